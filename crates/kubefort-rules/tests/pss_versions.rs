//! Pod Security controls at the policy versions where their behaviour
//! changes, written from the standard: each case is a pod that meets
//! restricted except for one setting, and the controls that must fail it at
//! each level and version around the boundary.

use kubefort_core::yaml::{load_str, Limits};
use kubefort_core::FieldPath;
use kubefort_rules::pss::{evaluate, Level, Pod, Version};

/// A restricted pod; `{pod}` adds pod-level fields, `{sc}` pod securityContext
/// fields, `{ctr}` container fields, `{csc}` container securityContext
/// fields, `{ann}` annotations.
const BASE: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    x: y
{ann}spec:
{pod}  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
{sc}  containers:
  - name: app
    image: registry.example/app:1.0
{ctr}    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
{csc}"#;

struct Case {
    name: &'static str,
    ann: &'static str,
    pod: &'static str,
    sc: &'static str,
    ctr: &'static str,
    csc: &'static str,
    /// (level, version, check IDs that fail; empty: the pod passes)
    expect: &'static [(Level, &'static str, &'static [&'static str])],
}

const NONE: Case = Case {
    name: "",
    ann: "",
    pod: "",
    sc: "",
    ctr: "",
    csc: "",
    expect: &[],
};

use Level::{Baseline as B, Restricted as R};

const CASES: &[Case] = &[
    Case {
        name: "the base pod meets restricted at every version",
        expect: &[
            (R, "v1.0", &[]),
            (R, "v1.22", &[]),
            (R, "v1.35", &[]),
            (R, "latest", &[]),
            (B, "latest", &[]),
        ],
        ..NONE
    },
    Case {
        name: "probe host: not checked before v1.34",
        ctr: "    readinessProbe:\n      tcpSocket:\n        host: 10.0.0.1\n        port: 80\n",
        expect: &[
            (B, "v1.33", &[]),
            (B, "v1.34", &["hostProbesAndHostLifecycle"]),
            (R, "v1.33", &[]),
            (R, "v1.34", &["hostProbesAndHostLifecycle"]),
            (B, "latest", &["hostProbesAndHostLifecycle"]),
        ],
        ..NONE
    },
    Case {
        name: "lifecycle host, including the deprecated tcpSocket handler",
        ctr: "    lifecycle:\n      postStart:\n        tcpSocket:\n          host: example.com\n          port: 80\n",
        expect: &[
            (B, "v1.33", &[]),
            (B, "v1.34", &["hostProbesAndHostLifecycle"]),
        ],
        ..NONE
    },
    Case {
        name: "empty probe host is allowed",
        ctr: "    livenessProbe:\n      httpGet:\n        host: \"\"\n        port: 80\n",
        expect: &[(B, "latest", &[])],
        ..NONE
    },
    Case {
        name: "SELinux container_engine_t: allowed from v1.31",
        sc: "    seLinuxOptions:\n      type: container_engine_t\n",
        expect: &[
            (B, "v1.30", &["seLinuxOptions"]),
            (B, "v1.31", &[]),
            (R, "v1.30", &["seLinuxOptions"]),
            (R, "v1.31", &[]),
        ],
        ..NONE
    },
    Case {
        name: "SELinux user is never allowed",
        csc: "      seLinuxOptions:\n        user: system_u\n",
        expect: &[(B, "v1.0", &["seLinuxOptions"]), (B, "latest", &["seLinuxOptions"])],
        ..NONE
    },
    Case {
        name: "procMount Unmasked in a user namespace: baseline relaxes from v1.35, restricted does not",
        pod: "  hostUsers: false\n",
        csc: "      procMount: Unmasked\n",
        expect: &[
            (B, "v1.34", &["procMount"]),
            (B, "v1.35", &[]),
            (R, "v1.34", &["procMount"]),
            (R, "v1.35", &["procMount_restricted"]),
        ],
        ..NONE
    },
    Case {
        name: "procMount Unmasked on the host's user namespace",
        csc: "      procMount: Unmasked\n",
        expect: &[
            (B, "v1.35", &["procMount"]),
            (R, "v1.35", &["procMount_restricted"]),
        ],
        ..NONE
    },
    Case {
        name: "seccomp annotation unconfined: checked only before v1.19",
        ann: "    seccomp.security.alpha.kubernetes.io/pod: unconfined\n",
        expect: &[
            (B, "v1.18", &["seccompProfile_baseline"]),
            (B, "v1.19", &[]),
            (R, "v1.18", &["seccompProfile_baseline"]),
            (R, "v1.19", &[]),
        ],
        ..NONE
    },
    Case {
        name: "seccomp field Unconfined: checked from v1.19",
        csc: "      seccompProfile:\n        type: Unconfined\n",
        expect: &[
            (B, "v1.18", &[]),
            (B, "v1.19", &["seccompProfile_baseline"]),
            (R, "v1.18", &[]),
            (R, "v1.19", &["seccompProfile_restricted"]),
        ],
        ..NONE
    },
    Case {
        name: "sysctl net.ipv4.ip_local_reserved_ports: safe from v1.27",
        sc: "    sysctls:\n    - name: net.ipv4.ip_local_reserved_ports\n      value: \"30000\"\n",
        expect: &[(B, "v1.26", &["sysctls"]), (B, "v1.27", &[])],
        ..NONE
    },
    Case {
        name: "sysctl net.ipv4.tcp_keepalive_probes: safe from v1.29",
        sc: "    sysctls:\n    - name: net.ipv4.tcp_keepalive_probes\n      value: \"5\"\n",
        expect: &[(B, "v1.28", &["sysctls"]), (B, "v1.29", &[])],
        ..NONE
    },
    Case {
        name: "sysctl net.ipv4.tcp_wmem: safe from v1.32",
        sc: "    sysctls:\n    - name: net.ipv4.tcp_wmem\n      value: \"4096 87380 16777216\"\n",
        expect: &[(B, "v1.31", &["sysctls"]), (B, "v1.32", &[])],
        ..NONE
    },
    Case {
        name: "sysctl net.ipv4.tcp_slow_start_after_idle: safe from v1.37",
        sc: "    sysctls:\n    - name: net.ipv4.tcp_slow_start_after_idle\n      value: \"0\"\n",
        expect: &[
            (B, "v1.36", &["sysctls"]),
            (B, "v1.37", &[]),
            (B, "v1.40", &[]),
            (B, "latest", &[]),
        ],
        ..NONE
    },
    Case {
        name: "allowPrivilegeEscalation unset: required from v1.8",
        csc: "      allowPrivilegeEscalation: null\n",
        expect: &[
            (R, "v1.7", &[]),
            (R, "v1.8", &["allowPrivilegeEscalation"]),
            (B, "latest", &[]),
        ],
        ..NONE
    },
    Case {
        name: "Windows pods are exempt from privilege escalation, seccomp and capabilities from v1.25",
        pod: "  os:\n    name: windows\n",
        csc: "      allowPrivilegeEscalation: true\n      capabilities: null\n      seccompProfile:\n        type: Unconfined\n",
        expect: &[
            (
                R,
                "v1.24",
                &[
                    "allowPrivilegeEscalation",
                    "capabilities_restricted",
                    "seccompProfile_restricted",
                ],
            ),
            (R, "v1.25", &[]),
            // The baseline seccomp control has no Windows exemption.
            (B, "v1.25", &["seccompProfile_baseline"]),
        ],
        ..NONE
    },
    Case {
        name: "runAsUser 0: forbidden from v1.23, relaxed in a user namespace from v1.35",
        pod: "  hostUsers: false\n",
        csc: "      runAsUser: 0\n",
        expect: &[
            (R, "v1.22", &[]),
            (R, "v1.23", &["runAsUser"]),
            (R, "v1.34", &["runAsUser"]),
            (R, "v1.35", &[]),
            (B, "v1.23", &[]),
        ],
        ..NONE
    },
    Case {
        name: "runAsNonRoot false: relaxed in a user namespace from v1.35",
        pod: "  hostUsers: false\n",
        csc: "      runAsNonRoot: false\n",
        expect: &[
            (R, "v1.0", &["runAsNonRoot"]),
            (R, "v1.34", &["runAsNonRoot"]),
            (R, "v1.35", &[]),
        ],
        ..NONE
    },
    Case {
        name: "hostUsers: true does not relax",
        pod: "  hostUsers: true\n",
        csc: "      runAsNonRoot: false\n",
        expect: &[(R, "v1.35", &["runAsNonRoot"])],
        ..NONE
    },
    Case {
        name: "capabilities: add outside the default set fails baseline; restricted replaces it from v1.22",
        csc: "      capabilities:\n        drop: [\"ALL\"]\n        add: [\"SYS_ADMIN\"]\n",
        expect: &[
            (B, "v1.0", &["capabilities_baseline"]),
            (R, "v1.21", &["capabilities_baseline"]),
            (R, "v1.22", &["capabilities_restricted"]),
        ],
        ..NONE
    },
    Case {
        name: "capabilities: a default capability passes baseline, fails restricted from v1.22",
        csc: "      capabilities:\n        drop: [\"ALL\"]\n        add: [\"CHOWN\"]\n",
        expect: &[
            (B, "latest", &[]),
            (R, "v1.21", &[]),
            (R, "v1.22", &["capabilities_restricted"]),
        ],
        ..NONE
    },
    Case {
        name: "hostPath: baseline's control, replaced by Volume Types at restricted",
        pod: "  volumes:\n  - name: h\n    hostPath:\n      path: /etc\n",
        expect: &[
            (B, "v1.0", &["hostPathVolumes"]),
            (R, "v1.0", &["restrictedVolumes"]),
            (R, "latest", &["restrictedVolumes"]),
        ],
        ..NONE
    },
    Case {
        name: "image volumes are allowed at restricted",
        pod: "  volumes:\n  - name: i\n    image:\n      reference: registry.example/data:1\n",
        expect: &[(R, "latest", &[])],
        ..NONE
    },
    Case {
        name: "AppArmor field and annotation",
        ann: "    container.apparmor.security.beta.kubernetes.io/app: unconfined\n",
        sc: "    appArmorProfile:\n      type: Localhost\n      localhostProfile: k8s-default\n",
        expect: &[(B, "v1.0", &["appArmorProfile"]), (B, "latest", &["appArmorProfile"])],
        ..NONE
    },
    Case {
        name: "privileged and host namespaces at every version",
        pod: "  hostIPC: true\n",
        csc: "      privileged: true\n",
        expect: &[
            (B, "v1.0", &["hostNamespaces", "privileged"]),
            (R, "latest", &["hostNamespaces", "privileged"]),
        ],
        ..NONE
    },
    Case {
        name: "host process",
        sc: "    windowsOptions:\n      hostProcess: true\n",
        expect: &[(B, "v1.0", &["windowsHostProcess"])],
        ..NONE
    },
    Case {
        name: "host ports",
        ctr: "    ports:\n    - containerPort: 80\n      hostPort: 80\n",
        expect: &[(B, "v1.0", &["hostPorts"]), (B, "latest", &["hostPorts"])],
        ..NONE
    },
];

fn failing(case: &Case, level: Level, version: &str) -> Vec<&'static str> {
    // A case's container securityContext fields replace the base's.
    let mut base = BASE.to_string();
    if case.csc.contains("allowPrivilegeEscalation:") {
        base = base.replace("      allowPrivilegeEscalation: false\n", "");
    }
    if case.csc.contains("capabilities:") {
        base = base.replace("      capabilities:\n        drop: [\"ALL\"]\n", "");
    }
    let text = base
        .replace("{ann}", case.ann)
        .replace("{pod}", case.pod)
        .replace("{sc}", case.sc)
        .replace("{ctr}", case.ctr)
        .replace("{csc}", case.csc);
    let doc = load_str(&text, &Limits::default())
        .remove(0)
        .unwrap_or_else(|e| panic!("{}: {e:?}\n{text}", case.name));
    let root = doc.root;
    let pod = Pod::from_nodes(
        root.get("spec").unwrap(),
        FieldPath::root().key("spec"),
        root.get("metadata"),
        FieldPath::root().key("metadata"),
    );
    let version = Version::parse(version).unwrap();
    let mut ids: Vec<&str> = evaluate(&pod, level, version)
        .into_iter()
        .map(|(c, _)| c.id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn controls_change_at_their_versions() {
    let mut wrong = Vec::new();
    for case in CASES {
        for (level, version, expected) in case.expect {
            let mut expected = expected.to_vec();
            expected.sort();
            let got = failing(case, *level, version);
            if got != expected {
                wrong.push(format!(
                    "{} at {level}:{version}: expected {expected:?}, got {got:?}",
                    case.name
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

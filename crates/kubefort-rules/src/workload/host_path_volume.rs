use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity, Value};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "host-path-volume",
        severity: Severity::High,
        groups: &["security"],
        summary: "The pod mounts a path of the node's file system",
        remediation: "Replace the hostPath volume with a PersistentVolumeClaim, ConfigMap, Secret, projected or emptyDir volume.",
        docs: r#"## What it does
Flags `hostPath` volumes in every pod spec. Paths that hand over the node
are critical: the container runtime sockets (`/var/run/docker.sock`,
`/run/containerd/containerd.sock`, `/var/run/crio/crio.sock`), the node's
root and system directories (`/`, `/etc`, `/root`, `/proc`, `/sys`,
`/dev`, `/boot`, `/var/lib/kubelet`, `/var/lib/docker`,
`/var/lib/containerd`, `/var/log`), cloud credential locations (`/home`,
with users' `~/.aws`, `~/.azure` and `~/.config/gcloud`; the Azure agent's
`/var/lib/waagent`; cloud-init's `/var/lib/cloud`), and anything above
them. Other paths
are high, including the public files workloads commonly mount from `/etc`
(CA bundles under `/etc/ssl`, `/etc/pki`, `/etc/ca-certificates`, and
`/etc/localtime`).

## Why it matters
A hostPath volume exposes the node's file system to the pod. The runtime
socket starts privileged containers on the node; `/etc` and `/root` hold
credentials and let an attacker add users or cron jobs; `/var/lib/kubelet`
holds the tokens of every pod on the node; `/proc` and `/sys` reach the
kernel. Even a harmless-looking path can be a symbolic-link escape, and a
read-only mount still leaks secrets.

Peers: kube-linter sensitive-host-mounts and docker-sock, kubesec
DockerSock and ProcMount, Checkov CKV_K8S_27, Trivy KSV-0006, KSV-0023 and
KSV-0121, Kubescape C-0048, C-0074 and C-0020 (cloud credentials), Polaris
hostPathSet.

## Example
```yaml
volumes:
- name: docker
  hostPath:
    path: /var/run/docker.sock   # critical
```

## How to fix
Use a PersistentVolumeClaim for data, a ConfigMap or Secret for
configuration, an emptyDir for scratch space. Node agents that need host
paths (CNI, log shippers, CSI drivers) belong in a dedicated namespace with
a reviewed suppression (`kubefort.io/ignore: host-path-volume` with a
reason).
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
            "https://attack.mitre.org/techniques/T1611/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

/// Node paths whose exposure gives the node away.
const SENSITIVE: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/etc",
    "/root",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/log",
    "/var/run",
    "/run",
    // Cloud credentials: users' ~/.aws, ~/.azure, ~/.config/gcloud, the
    // Azure agent's and cloud-init's data (user data often holds secrets).
    "/home",
    "/var/lib/waagent",
    "/var/lib/cloud",
];

/// Public, read-mostly files under sensitive directories that workloads
/// commonly mount (CA bundles, time zone): not critical, still a hostPath.
const BENIGN: &[&str] = &[
    "/etc/ssl",
    "/etc/pki",
    "/etc/ca-certificates",
    "/etc/localtime",
    "/etc/timezone",
];

/// The path without trailing slashes and `.` segments (`/` stays `/`).
fn normalize(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// Why a path is critical: it is, contains, or lies inside a sensitive path.
fn critical(path: &str) -> Option<&'static str> {
    let p = normalize(path);
    if p == "/" {
        return Some("the node's whole file system");
    }
    if BENIGN
        .iter()
        .any(|b| p == *b || p.starts_with(&format!("{b}/")))
    {
        return None;
    }
    SENSITIVE.iter().find_map(|s| {
        let inside = p == *s || p.starts_with(&format!("{s}/"));
        let contains = s.starts_with(&format!("{p}/"));
        (inside || contains).then_some(if s.ends_with(".sock") {
            "the container runtime's socket: it starts privileged containers on the node"
        } else {
            "a node directory holding credentials, kernel interfaces or other pods' data"
        })
    })
}

fn check(ctx: &mut ObjectCtx<'_>) {
    for spec in ctx.pod_specs() {
        let Some(volumes) = spec.node.get("volumes").and_then(|v| v.as_seq()) else {
            continue;
        };
        for (i, v) in volumes.iter().enumerate() {
            let Some(hp) = v.get("hostPath").filter(|h| !h.is_null()) else {
                continue;
            };
            let name = v.str_at("name").unwrap_or("");
            let path = hp.str_at("path").unwrap_or("");
            let at = spec.path.key("volumes").index(i).key("hostPath");
            let at = if matches!(hp.get("path").map(|n| &n.value), Some(Value::String(_))) {
                at.key("path")
            } else {
                at
            };
            match critical(path) {
                Some(why) => ctx.report_with(
                    Severity::Critical,
                    at,
                    format!("volume {name:?} mounts the node's {path}: {why}"),
                ),
                None => ctx.report(
                    at,
                    format!("volume {name:?} mounts the node's path {path:?}: the pod can read (or write) the node's files outside any container boundary"),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::critical;

    #[test]
    fn sensitive_paths() {
        assert!(critical("/").is_some());
        assert!(critical("/var/run/docker.sock").is_some());
        assert!(critical("/var/run/").is_some());
        assert!(critical("/etc/kubernetes/").is_some());
        assert!(critical("/var").is_some(), "contains /var/lib/kubelet");
        assert!(critical("//etc/./kubernetes").is_some());
        assert!(critical("/data/cache").is_none());
        assert!(critical("/etcd-data").is_none());
        assert!(critical("/etc/ssl/certs/ca-certificates.crt").is_none());
        assert!(critical("/etc/localtime").is_none());
        assert!(critical("/home/ubuntu/.aws").is_some());
        assert!(critical("/var/lib/cloud/instance").is_some());
    }
}

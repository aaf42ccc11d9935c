//! `kubefort node` over node layouts built in temporary directories:
//! kubeadm's defaults, a hardened node, and variations of both.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use kubefort_core::config::NodePaths;
use kubefort_core::{select_rules, Config, Engine, Report};
use kubefort_node::layout::{self, Layout};
use kubefort_node::{check, collect, Collected, Options};

fn cis_engine() -> Engine {
    let all = kubefort_rules::all();
    let names: Vec<String> = all
        .iter()
        .filter(|r| r.meta.default_enabled && r.meta.groups.contains(&"cis"))
        .map(|r| r.meta.name.to_string())
        .collect();
    let rules = select_rules(&all, Some(&names), &[], &[]).unwrap();
    Engine::new(rules, Config::default())
}

fn node(root: &Path) -> (Collected, Report) {
    node_with(root, NodePaths::default())
}

fn node_with(root: &Path, paths: NodePaths) -> (Collected, Report) {
    let opts = Options {
        root: root.to_path_buf(),
        paths,
    };
    let report = check(&cis_engine(), collect(&opts));
    (collect(&opts), report)
}

fn chmod(root: &Path, rel: &str, mode: u32) {
    std::fs::set_permissions(root.join(rel), std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `(rule, file relative to root, line, column)` of every finding.
fn located(root: &Path, r: &Report) -> Vec<(String, String, u32, u32)> {
    let prefix = format!("{}/", root.display());
    r.findings
        .iter()
        .map(|f| {
            (
                f.rule.to_string(),
                f.location.file.trim_start_matches(&prefix).to_string(),
                f.location.line,
                f.location.column,
            )
        })
        .collect()
}

fn has(
    list: &[(String, String, u32, u32)],
    rule: &str,
    file: &str,
    line: u32,
    column: u32,
) -> bool {
    list.iter()
        .any(|(r, f, l, c)| r == rule && f == file && *l == line && *c == column)
}

#[test]
fn kubeadm_defaults_are_found_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    layout::write(root, Layout::Kubeadm).unwrap();
    let (collected, report) = node(root);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let role = |rel: &str| {
        collected
            .found
            .iter()
            .filter(|f| f.path == root.join(rel))
            .map(|f| f.role)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        role("etc/kubernetes/manifests/kube-apiserver.yaml"),
        ["apiserver-manifest"]
    );
    assert_eq!(
        role("etc/kubernetes/manifests/etcd.yaml"),
        ["etcd-manifest"]
    );
    assert_eq!(
        role("etc/kubernetes/super-admin.conf"),
        ["admin-kubeconfig"]
    );
    assert_eq!(role("etc/kubernetes/kubelet.conf"), ["kubelet-kubeconfig"]);
    assert_eq!(role("etc/kubernetes/pki/etcd/peer.key"), ["pki-key"]);
    assert_eq!(role("etc/kubernetes/pki/etcd"), ["pki-dir"]);
    assert_eq!(role("var/lib/etcd"), ["etcd-data-dir"]);
    assert_eq!(role("var/lib/kubelet/config.yaml"), ["kubelet-config"]);
    assert_eq!(
        role("etc/kubernetes/pki/ca.crt"),
        ["pki-cert", "kubelet-client-ca"]
    );
    assert_eq!(
        role("usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"),
        ["kubelet-service"]
    );

    let got = located(root, &report);
    let api = "etc/kubernetes/manifests/kube-apiserver.yaml";
    for rule in [
        "apiserver-anonymous-auth",
        "apiserver-audit-log",
        "apiserver-encryption-at-rest",
        "apiserver-kubelet-tls",
        "control-plane-profiling",
    ] {
        // The `command` key of the container: where the missing flag belongs.
        assert!(has(&got, rule, api, 13, 5), "{rule}: {got:#?}");
    }
    assert!(has(
        &got,
        "node-file-permissions",
        "var/lib/kubelet/config.yaml",
        1,
        1
    ));
    assert!(has(
        &got,
        "node-file-permissions",
        "etc/cni/net.d/10-flannel.conflist",
        1,
        1
    ));
    assert!(has(&got, "node-file-ownership", "var/lib/etcd", 1, 1));
    assert!(has(
        &got,
        "kubelet-serving-certificate",
        "var/lib/kubelet/config.yaml",
        1,
        1
    ));
    // kubeadm's kubelet configuration is otherwise sound: its `0s` durations
    // are defaults, anonymous access is off, authorization is Webhook.
    for rule in [
        "kubelet-anonymous-auth",
        "kubelet-authorization-mode",
        "kubelet-read-only-port",
        "kubelet-streaming-timeout",
        "kubelet-rotate-certificates",
        "node-file-ownership",
    ] {
        assert!(
            !got.iter()
                .any(|(r, f, _, _)| r == rule && f.contains("kubelet")),
            "{rule} on the kubelet: {got:#?}"
        );
    }
    // Files kubeadm writes 0600 are not reported.
    assert!(!got.iter().any(|(r, f, _, _)| r == "node-file-permissions"
        && (f.ends_with(".conf") && f.starts_with("etc/kubernetes") || f.ends_with(".key"))));
}

#[test]
fn a_hardened_node_has_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    layout::write(root, Layout::Hardened).unwrap();
    let (collected, report) = node(root);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // The files the API server's flags name are scanned too.
    for f in [
        "etc/kubernetes/enc/encryption.yaml",
        "etc/kubernetes/audit/policy.yaml",
        "etc/kubernetes/admission/admission.yaml",
    ] {
        assert!(
            collected
                .files
                .iter()
                .any(|s| s.path.as_deref() == Some(&root.join(f))),
            "{f}"
        );
    }
    let mut got = located(root, &report);
    if !layout::can_chown(root) {
        // Without root the etcd data directory cannot be given to etcd.
        got.retain(|(r, f, _, _)| !(r == "node-file-ownership" && f == "var/lib/etcd"));
    }
    assert!(got.is_empty(), "{got:#?}");
    assert!(report.stats.objects > 40);
}

#[test]
fn static_pods_are_recognised_by_component_not_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    layout::write(root, Layout::Kubeadm).unwrap();
    let m = root.join("etc/kubernetes/manifests");
    std::fs::rename(m.join("kube-apiserver.yaml"), m.join("zz-api.yaml")).unwrap();
    std::fs::rename(m.join("kube-scheduler.yaml"), m.join("kube-apiserver.yaml")).unwrap();
    let (collected, report) = node(root);
    let role = |f: &str| {
        collected
            .found
            .iter()
            .find(|x| x.path == m.join(f))
            .map(|x| x.role)
    };
    assert_eq!(role("zz-api.yaml"), Some("apiserver-manifest"));
    assert_eq!(role("kube-apiserver.yaml"), Some("scheduler-manifest"));
    let got = located(root, &report);
    assert!(has(
        &got,
        "apiserver-anonymous-auth",
        "etc/kubernetes/manifests/zz-api.yaml",
        13,
        5
    ));
    assert!(!got
        .iter()
        .any(|(r, f, _, _)| r == "apiserver-anonymous-auth" && f.ends_with("kube-apiserver.yaml")));
}

#[test]
fn kubelet_flags_from_environment_files_point_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    layout::write(root, Layout::Hardened).unwrap();
    std::fs::write(
        root.join("var/lib/kubelet/kubeadm-flags.env"),
        "# written by kubeadm\nKUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --read-only-port=10255\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("etc/default")).unwrap();
    std::fs::write(
        root.join("etc/default/kubelet"),
        "KUBELET_EXTRA_ARGS=--rotate-certificates=false --anonymous-auth\n",
    )
    .unwrap();
    let (_, report) = node(root);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let got = located(root, &report);
    // The flag overrides the hardened configuration file.
    assert!(
        has(
            &got,
            "kubelet-read-only-port",
            "var/lib/kubelet/kubeadm-flags.env",
            2,
            95
        ),
        "{got:#?}"
    );
    assert!(
        has(
            &got,
            "kubelet-rotate-certificates",
            "etc/default/kubelet",
            1,
            20
        ),
        "{got:#?}"
    );
    assert!(
        has(&got, "kubelet-anonymous-auth", "etc/default/kubelet", 1, 48),
        "{got:#?}"
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == "kubelet-read-only-port")
        .unwrap();
    assert!(f.path.starts_with("spec.args["), "{}", f.path);
    assert_eq!(got.len(), 3, "{got:#?}");
}

#[test]
fn systemd_units_in_etc_take_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    layout::write(root, Layout::Hardened).unwrap();
    // A drop-in of the same name in /etc hides the packaged one; its
    // ExecStart resets and replaces the command line.
    let d = root.join("etc/systemd/system/kubelet.service.d");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("10-kubeadm.conf"),
        "[Service]\nEnvironment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\nExecStart=\nExecStart=/usr/bin/kubelet $KUBELET_CONFIG_ARGS \\\n    --authorization-mode=AlwaysAllow\n",
    )
    .unwrap();
    chmod(
        root,
        "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
        0o600,
    );
    let (collected, report) = node(root);
    let got = located(root, &report);
    assert!(
        has(
            &got,
            "kubelet-authorization-mode",
            "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
            5,
            5
        ),
        "{got:#?}"
    );
    assert!(!collected.found.iter().any(|f| f
        .path
        .ends_with("usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf")));
}

#[test]
fn permissions_and_owners_are_checked_per_role() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    layout::write(root, Layout::Hardened).unwrap();
    chmod(root, "etc/kubernetes/admin.conf", 0o644);
    chmod(root, "etc/kubernetes/pki/ca.key", 0o640);
    chmod(root, "etc/kubernetes/pki/front-proxy-ca.crt", 0o664);
    chmod(root, "etc/kubernetes/manifests/etcd.yaml", 0o620);
    chmod(root, "var/lib/etcd", 0o750);
    let owned = layout::can_chown(root);
    if owned {
        std::os::unix::fs::chown(
            root.join("etc/kubernetes/scheduler.conf"),
            Some(1000),
            Some(0),
        )
        .unwrap();
    }
    let (_, report) = node(root);
    let msgs: Vec<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.rule.to_string(), f.message.clone()))
        .collect();
    let find = |rule: &str, needle: &str| msgs.iter().any(|(r, m)| r == rule && m.contains(needle));
    assert!(
        find(
            "node-file-permissions",
            "CIS 1.1.13: an administrative kubeconfig"
        ),
        "{msgs:#?}"
    );
    assert!(find("node-file-permissions", "CIS 1.1.21"));
    assert!(find("node-file-permissions", "CIS 1.1.20"));
    assert!(find("node-file-permissions", "CIS 1.1.7"));
    assert!(find("node-file-permissions", "CIS 1.1.11"));
    let sev = |needle: &str| {
        report
            .findings
            .iter()
            .find(|f| f.message.contains(needle))
            .unwrap()
            .severity
    };
    assert_eq!(sev("CIS 1.1.13"), kubefort_core::Severity::High);
    assert_eq!(
        sev("CIS 1.1.20"),
        kubefort_core::Severity::High,
        "group-writable"
    );
    if owned {
        assert!(
            find(
                "node-file-ownership",
                "CIS 1.1.16: the scheduler's kubeconfig"
            ),
            "{msgs:#?}"
        );
        assert!(find("node-file-ownership", "owned by 1000:root"));
    }
    assert_eq!(report.findings.len(), 5 + usize::from(owned), "{msgs:#?}");
}

#[test]
fn configured_paths_replace_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    layout::write(root, Layout::Kubeadm).unwrap();
    std::fs::rename(
        root.join("etc/kubernetes/manifests"),
        root.join("srv/static"),
    )
    .unwrap_or_else(|_| {
        std::fs::create_dir_all(root.join("srv")).unwrap();
        std::fs::rename(
            root.join("etc/kubernetes/manifests"),
            root.join("srv/static"),
        )
        .unwrap();
    });
    let (c, _) = node(root);
    assert!(!c.found.iter().any(|f| f.role == "apiserver-manifest"));
    assert!(c.missing.iter().any(|m| m.contains("static pod manifests")));
    let paths = NodePaths {
        manifests_dir: Some("/srv/static".into()),
        ..Default::default()
    };
    let (c, report) = node_with(root, paths);
    assert!(c
        .found
        .iter()
        .any(|f| f.role == "apiserver-manifest"
            && f.path == root.join("srv/static/kube-apiserver.yaml")));
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "apiserver-anonymous-auth"));
}

#[test]
fn an_empty_root_has_nothing_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let (c, report) = node(dir.path());
    assert!(c.found.is_empty() && c.files.is_empty() && c.objects.is_empty());
    assert!(report.findings.is_empty() && report.errors.is_empty());
    assert_eq!(c.missing.len(), 3, "{:?}", c.missing);
}

#[test]
fn broken_files_are_errors_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    layout::write(root, Layout::Hardened).unwrap();
    std::fs::write(
        root.join("var/lib/kubelet/config.yaml"),
        "kind: KubeletConfiguration\nauthentication: [\n",
    )
    .unwrap();
    chmod(root, "var/lib/kubelet/config.yaml", 0o600);
    std::fs::write(
        root.join("etc/kubernetes/manifests/extra.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n",
    )
    .unwrap();
    std::fs::remove_file(root.join("etc/kubernetes/enc/encryption.yaml")).unwrap();
    let (_, report) = node(root);
    let errs: Vec<String> = report
        .errors
        .iter()
        .map(|e| format!("{}:{:?} {}", e.file, e.line, e.message))
        .collect();
    assert!(
        errs.iter()
            .any(|e| e.contains("var/lib/kubelet/config.yaml:Some(")),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("manifests/extra.yaml:Some(")),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("enc/encryption.yaml") && e.contains("not found")),
        "{errs:#?}"
    );
}

#[test]
fn hostile_inputs_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    layout::write(root, Layout::Hardened).unwrap();
    // A symbolic-link loop and deep nesting in the PKI directory.
    std::os::unix::fs::symlink(
        root.join("etc/kubernetes/pki"),
        root.join("etc/kubernetes/pki/loop"),
    )
    .unwrap();
    let mut deep = root.join("etc/kubernetes/pki");
    for i in 0..40 {
        deep = deep.join(format!("d{i}"));
    }
    std::fs::create_dir_all(&deep).unwrap();
    // A kubelet configuration far larger than any real one (sparse).
    let f = std::fs::File::options()
        .write(true)
        .open(root.join("var/lib/kubelet/config.yaml"))
        .unwrap();
    f.set_len(64 << 20).unwrap();
    let started = std::time::Instant::now();
    let (c, report) = node(root);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(c.found.iter().filter(|f| f.role == "pki-dir").count() < 20);
    let errs: Vec<String> = report
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.file, e.message))
        .collect();
    assert!(
        errs.iter()
            .any(
                |e| e.contains("var/lib/kubelet/config.yaml") && e.contains("max-file-size")
                    || e.contains("var/lib/kubelet/config.yaml") && e.contains("larger")
            ),
        "{errs:#?}"
    );
}

#[test]
fn kubelet_drop_in_directories_are_said_to_be_unread() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    layout::write(root, Layout::Hardened).unwrap();
    std::fs::write(
        root.join("var/lib/kubelet/kubeadm-flags.env"),
        "KUBELET_KUBEADM_ARGS=\"--config-dir=/etc/kubernetes/kubelet.conf.d\"\n",
    )
    .unwrap();
    let (_, report) = node(root);
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(report.skipped[0]
        .file
        .ends_with("etc/kubernetes/kubelet.conf.d"));
    assert!(report.findings.is_empty() || !layout::can_chown(root));
}

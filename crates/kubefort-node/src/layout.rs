//! Realistic node layouts written into a directory, for tests and
//! benchmarks: kubeadm's defaults (v1.37: its generated static pod
//! manifests, kubeconfigs, kubelet configuration, systemd drop-in and flags
//! file, with the modes kubeadm and the packages give them) and a hardened
//! variant that passes every default `cis` rule. The files' text lives in
//! `layouts/`.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Which node to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A control-plane node as `kubeadm init` leaves it.
    Kubeadm,
    /// The same node with every benchmark recommendation applied.
    Hardened,
}

/// uid and gid of the `etcd` account in the layouts' `/etc/passwd`.
pub const ETCD_ID: u32 = 2379;

const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/bash\netcd:x:2379:2379:etcd:/var/lib/etcd:/usr/sbin/nologin\n";
const GROUP: &str = "root:x:0:\netcd:x:2379:\n";

/// The PKI files kubeadm creates: path, mode.
const PKI: &[(&str, u32)] = &[
    ("ca.crt", 0o644),
    ("ca.key", 0o600),
    ("apiserver.crt", 0o644),
    ("apiserver.key", 0o600),
    ("apiserver-kubelet-client.crt", 0o644),
    ("apiserver-kubelet-client.key", 0o600),
    ("apiserver-etcd-client.crt", 0o644),
    ("apiserver-etcd-client.key", 0o600),
    ("front-proxy-ca.crt", 0o644),
    ("front-proxy-ca.key", 0o600),
    ("front-proxy-client.crt", 0o644),
    ("front-proxy-client.key", 0o600),
    ("sa.key", 0o600),
    ("sa.pub", 0o600),
    ("etcd/ca.crt", 0o644),
    ("etcd/ca.key", 0o600),
    ("etcd/server.crt", 0o644),
    ("etcd/server.key", 0o600),
    ("etcd/peer.crt", 0o644),
    ("etcd/peer.key", 0o600),
    ("etcd/healthcheck-client.crt", 0o644),
    ("etcd/healthcheck-client.key", 0o600),
];

fn put(root: &Path, rel: &str, mode: u32, text: &str) -> io::Result<()> {
    let p = root.join(rel);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(&p, text)?;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
}

/// Whether this process can give files away (runs as root).
pub fn can_chown(root: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = root.join(".kubefort-probe");
    let ok = std::fs::write(&probe, b"").is_ok()
        && std::fs::metadata(&probe).is_ok_and(|m| m.uid() == 0);
    let _ = std::fs::remove_file(&probe);
    ok
}

/// Write `layout` under `root`.
pub fn write(root: &Path, layout: Layout) -> io::Result<()> {
    let files = match layout {
        Layout::Kubeadm => KUBEADM,
        Layout::Hardened => HARDENED,
    };
    put(root, "etc/passwd", 0o644, PASSWD)?;
    put(root, "etc/group", 0o644, GROUP)?;
    for (rel, mode, text) in files {
        put(root, rel, *mode, text)?;
    }
    let pki = root.join("etc/kubernetes/pki");
    for (rel, mode) in PKI {
        let kind = if rel.ends_with(".key") {
            "PRIVATE KEY"
        } else if rel.ends_with(".pub") {
            "PUBLIC KEY"
        } else {
            "CERTIFICATE"
        };
        // Content does not matter to the checks; the names and modes are kubeadm's.
        put(
            &pki,
            rel,
            *mode,
            &format!("-----BEGIN {kind}-----\n-----END {kind}-----\n"),
        )?;
    }
    std::fs::set_permissions(&pki, std::fs::Permissions::from_mode(0o755))?;
    let etcd = root.join("var/lib/etcd");
    std::fs::create_dir_all(etcd.join("member/snap"))?;
    std::fs::set_permissions(&etcd, std::fs::Permissions::from_mode(0o700))?;
    if layout == Layout::Hardened && can_chown(root) {
        std::os::unix::fs::chown(&etcd, Some(ETCD_ID), Some(ETCD_ID))?;
    }
    Ok(())
}

const KUBEADM: &[(&str, u32, &str)] = &[
    (
        "etc/cni/net.d/10-flannel.conflist",
        0o644,
        include_str!("../layouts/kubeadm/etc/cni/net.d/10-flannel.conflist"),
    ),
    (
        "etc/kubernetes/admin.conf",
        0o600,
        include_str!("../layouts/kubeadm/etc/kubernetes/admin.conf"),
    ),
    (
        "etc/kubernetes/controller-manager.conf",
        0o600,
        include_str!("../layouts/kubeadm/etc/kubernetes/controller-manager.conf"),
    ),
    (
        "etc/kubernetes/kubelet.conf",
        0o600,
        include_str!("../layouts/kubeadm/etc/kubernetes/kubelet.conf"),
    ),
    (
        "etc/kubernetes/manifests/etcd.yaml",
        0o600,
        include_str!("../layouts/kubeadm/etc/kubernetes/manifests/etcd.yaml"),
    ),
    (
        "etc/kubernetes/manifests/kube-apiserver.yaml",
        0o600,
        include_str!("../layouts/kubeadm/etc/kubernetes/manifests/kube-apiserver.yaml"),
    ),
    (
        "etc/kubernetes/manifests/kube-controller-manager.yaml",
        0o600,
        include_str!("../layouts/kubeadm/etc/kubernetes/manifests/kube-controller-manager.yaml"),
    ),
    (
        "etc/kubernetes/manifests/kube-scheduler.yaml",
        0o600,
        include_str!("../layouts/kubeadm/etc/kubernetes/manifests/kube-scheduler.yaml"),
    ),
    (
        "etc/kubernetes/scheduler.conf",
        0o600,
        include_str!("../layouts/kubeadm/etc/kubernetes/scheduler.conf"),
    ),
    (
        "etc/kubernetes/super-admin.conf",
        0o600,
        include_str!("../layouts/kubeadm/etc/kubernetes/super-admin.conf"),
    ),
    (
        "usr/lib/systemd/system/kubelet.service",
        0o644,
        include_str!("../layouts/kubeadm/usr/lib/systemd/system/kubelet.service"),
    ),
    (
        "usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
        0o644,
        include_str!("../layouts/kubeadm/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"),
    ),
    (
        "var/lib/kubelet/config.yaml",
        0o644,
        include_str!("../layouts/kubeadm/var/lib/kubelet/config.yaml"),
    ),
    (
        "var/lib/kubelet/kubeadm-flags.env",
        0o644,
        include_str!("../layouts/kubeadm/var/lib/kubelet/kubeadm-flags.env"),
    ),
];
const HARDENED: &[(&str, u32, &str)] = &[
    (
        "etc/cni/net.d/10-flannel.conflist",
        0o600,
        include_str!("../layouts/hardened/etc/cni/net.d/10-flannel.conflist"),
    ),
    (
        "etc/kubernetes/admin.conf",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/admin.conf"),
    ),
    (
        "etc/kubernetes/admission/admission.yaml",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/admission/admission.yaml"),
    ),
    (
        "etc/kubernetes/audit/policy.yaml",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/audit/policy.yaml"),
    ),
    (
        "etc/kubernetes/controller-manager.conf",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/controller-manager.conf"),
    ),
    (
        "etc/kubernetes/enc/encryption.yaml",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/enc/encryption.yaml"),
    ),
    (
        "etc/kubernetes/kubelet.conf",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/kubelet.conf"),
    ),
    (
        "etc/kubernetes/manifests/etcd.yaml",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/manifests/etcd.yaml"),
    ),
    (
        "etc/kubernetes/manifests/kube-apiserver.yaml",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/manifests/kube-apiserver.yaml"),
    ),
    (
        "etc/kubernetes/manifests/kube-controller-manager.yaml",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/manifests/kube-controller-manager.yaml"),
    ),
    (
        "etc/kubernetes/manifests/kube-scheduler.yaml",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/manifests/kube-scheduler.yaml"),
    ),
    (
        "etc/kubernetes/scheduler.conf",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/scheduler.conf"),
    ),
    (
        "etc/kubernetes/super-admin.conf",
        0o600,
        include_str!("../layouts/hardened/etc/kubernetes/super-admin.conf"),
    ),
    (
        "usr/lib/systemd/system/kubelet.service",
        0o600,
        include_str!("../layouts/hardened/usr/lib/systemd/system/kubelet.service"),
    ),
    (
        "usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
        0o600,
        include_str!(
            "../layouts/hardened/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
        ),
    ),
    (
        "var/lib/kubelet/config.yaml",
        0o600,
        include_str!("../layouts/hardened/var/lib/kubelet/config.yaml"),
    ),
    (
        "var/lib/kubelet/kubeadm-flags.env",
        0o644,
        include_str!("../layouts/hardened/var/lib/kubelet/kubeadm-flags.env"),
    ),
];

//! Ownership and permissions of a node's Kubernetes files (CIS 1.1.x, 4.1.x).
//!
//! `kubefort node` describes each file it finds as a `NodeFile` object
//! (`node.kubefort.io/v1`): its role, type, mode and owner, read with
//! `lstat`. The rules compare them with the benchmark's limits for the role,
//! so the same checks run on a description saved from another node.
//!
//! ```yaml
//! apiVersion: node.kubefort.io/v1
//! kind: NodeFile
//! metadata:
//!   name: /etc/kubernetes/manifests/kube-apiserver.yaml
//! spec:
//!   role: apiserver-manifest
//!   type: file          # or directory
//!   mode: "0644"        # permission bits, octal
//!   owner: root         # user name (or the number when unknown)
//!   group: root
//! ```

use kubefort_core::{FieldPath, Rule};

use super::{cis_rule, CIS_REF};

pub const API_VERSION: &str = "node.kubefort.io/v1";
pub const KIND: &str = "NodeFile";

/// What the benchmark asks of a file with a given role.
pub struct Role {
    pub name: &'static str,
    /// What the file is, for messages.
    pub what: &'static str,
    /// CIS ID of the permissions check and the most permissive mode allowed.
    pub mode: Option<(&'static str, u32)>,
    /// CIS ID of the ownership check and the owner and group required.
    pub owner: Option<(&'static str, &'static str, &'static str)>,
}

/// The roles, in benchmark order.
pub const ROLES: &[Role] = &[
    role(
        "apiserver-manifest",
        "the API server pod specification file",
        Some(("1.1.1", 0o600)),
        Some(("1.1.2", "root", "root")),
    ),
    role(
        "controller-manager-manifest",
        "the controller manager pod specification file",
        Some(("1.1.3", 0o600)),
        Some(("1.1.4", "root", "root")),
    ),
    role(
        "scheduler-manifest",
        "the scheduler pod specification file",
        Some(("1.1.5", 0o600)),
        Some(("1.1.6", "root", "root")),
    ),
    role(
        "etcd-manifest",
        "the etcd pod specification file",
        Some(("1.1.7", 0o600)),
        Some(("1.1.8", "root", "root")),
    ),
    role(
        "cni-config",
        "a Container Network Interface file",
        Some(("1.1.9", 0o600)),
        Some(("1.1.10", "root", "root")),
    ),
    role(
        "etcd-data-dir",
        "the etcd data directory",
        Some(("1.1.11", 0o700)),
        Some(("1.1.12", "etcd", "etcd")),
    ),
    role(
        "admin-kubeconfig",
        "an administrative kubeconfig",
        Some(("1.1.13", 0o600)),
        Some(("1.1.14", "root", "root")),
    ),
    role(
        "scheduler-kubeconfig",
        "the scheduler's kubeconfig",
        Some(("1.1.15", 0o600)),
        Some(("1.1.16", "root", "root")),
    ),
    role(
        "controller-manager-kubeconfig",
        "the controller manager's kubeconfig",
        Some(("1.1.17", 0o600)),
        Some(("1.1.18", "root", "root")),
    ),
    role(
        "pki-dir",
        "the Kubernetes PKI directory",
        None,
        Some(("1.1.19", "root", "root")),
    ),
    role(
        "pki-cert",
        "a Kubernetes PKI certificate",
        Some(("1.1.20", 0o644)),
        Some(("1.1.19", "root", "root")),
    ),
    role(
        "pki-key",
        "a Kubernetes PKI key",
        Some(("1.1.21", 0o600)),
        Some(("1.1.19", "root", "root")),
    ),
    role(
        "pki-file",
        "a file in the Kubernetes PKI directory",
        None,
        Some(("1.1.19", "root", "root")),
    ),
    role(
        "kubelet-service",
        "the kubelet service file",
        Some(("4.1.1", 0o600)),
        Some(("4.1.2", "root", "root")),
    ),
    role(
        "proxy-kubeconfig",
        "the kube-proxy kubeconfig",
        Some(("4.1.3", 0o600)),
        Some(("4.1.4", "root", "root")),
    ),
    role(
        "kubelet-kubeconfig",
        "the kubelet's kubeconfig",
        Some(("4.1.5", 0o600)),
        Some(("4.1.6", "root", "root")),
    ),
    role(
        "kubelet-client-ca",
        "the kubelet's client certificate authority file",
        Some(("4.1.7", 0o644)),
        Some(("4.1.8", "root", "root")),
    ),
    role(
        "kubelet-config",
        "the kubelet configuration file",
        Some(("4.1.9", 0o600)),
        Some(("4.1.10", "root", "root")),
    ),
];

const fn role(
    name: &'static str,
    what: &'static str,
    mode: Option<(&'static str, u32)>,
    owner: Option<(&'static str, &'static str, &'static str)>,
) -> Role {
    Role {
        name,
        what,
        mode,
        owner,
    }
}

pub fn role_named(name: &str) -> Option<&'static Role> {
    ROLES.iter().find(|r| r.name == name)
}

/// The `NodeFile` object's role, when it is one.
fn node_file<'a>(ctx: &kubefort_core::ObjectCtx<'a>) -> Option<(&'a str, &'static Role)> {
    let o = ctx.object;
    if o.id.kind != KIND || o.id.api_version != API_VERSION {
        return None;
    }
    let name = o.id.name.as_deref()?;
    let role = role_named(o.root.get("spec")?.str_at("role")?)?;
    Some((name, role))
}

pub static PERMISSIONS: Rule = cis_rule! {
    name: "node-file-permissions",
    severity: High,
    summary: "A Kubernetes file on the node is writable or readable by more than its owner allows (CIS 1.1.x, 4.1.x)",
    remediation: "chmod the file to the mode the benchmark gives (600 for manifests, kubeconfigs, keys and kubelet files; 644 for certificates; 700 for the etcd data directory).",
    docs: r#"## What it does
Compares the mode of each file `kubefort node` finds with the benchmark's
limit for its role: any permission bit outside the limit is flagged.

| role | CIS | limit |
| --- | --- | --- |
| API server, controller manager, scheduler, etcd pod manifests | 1.1.1, 1.1.3, 1.1.5, 1.1.7 | 600 |
| CNI configuration files | 1.1.9 | 600 |
| etcd data directory | 1.1.11 | 700 |
| admin.conf, super-admin.conf | 1.1.13 | 600 |
| scheduler.conf, controller-manager.conf | 1.1.15, 1.1.17 | 600 |
| PKI certificates (`*.crt`), keys (`*.key`) | 1.1.20, 1.1.21 | 644, 600 |
| kubelet service file and drop-ins | 4.1.1 | 600 |
| kube-proxy kubeconfig | 4.1.3 | 600 |
| kubelet.conf | 4.1.5 | 600 |
| kubelet client CA file | 4.1.7 | 644 |
| kubelet config.yaml | 4.1.9 | 600 |

A finding is high when group or others may write the file, or may read a
secret (keys, kubeconfigs, the etcd data); otherwise (read access to a
manifest, a certificate, a configuration file) it is low.

## Why it matters
A kubeconfig or key readable by another local user is a cluster credential
handed to them; a manifest writable by them is a way to run any container
as root on the control plane.

## Example
```yaml
apiVersion: node.kubefort.io/v1
kind: NodeFile
metadata:
  name: /etc/kubernetes/admin.conf
spec:
  role: admin-kubeconfig
  type: file
  mode: "0644"   # flagged: readable by everyone
  owner: root
  group: root
```

## How to fix
`chmod 600 /etc/kubernetes/admin.conf` (and so on per role).
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/"],
    check: |ctx| {
        let Some((name, role)) = node_file(ctx) else { return };
        let Some((id, limit)) = role.mode else { return };
        let Some(mode) = ctx.object.root.get("spec").and_then(|s| s.str_at("mode")) else { return };
        let Ok(mode) = u32::from_str_radix(mode.trim_start_matches("0o"), 8) else { return };
        let extra = mode & 0o7777 & !limit;
        if extra != 0 {
            // Others may write it, or read a secret: high; else low.
            let secret = matches!(
                role.name,
                "pki-key" | "admin-kubeconfig" | "scheduler-kubeconfig" | "controller-manager-kubeconfig"
                    | "proxy-kubeconfig" | "kubelet-kubeconfig" | "etcd-data-dir"
            );
            let severity = if extra & 0o022 != 0 || secret {
                kubefort_core::Severity::High
            } else {
                kubefort_core::Severity::Low
            };
            ctx.report_with(severity, FieldPath::root().keys("spec.mode"), format!(
                "CIS {id}: {} {name} has mode {mode:04o}; at most {limit:04o} is allowed (extra bits {extra:04o})",
                role.what));
        }
    },
};

pub static OWNERSHIP: Rule = cis_rule! {
    name: "node-file-ownership",
    severity: Medium,
    summary: "A Kubernetes file on the node is not owned by the account the benchmark requires (CIS 1.1.x, 4.1.x)",
    remediation: "chown the file to root:root (etcd:etcd for the etcd data directory).",
    docs: r#"## What it does
Compares the owner and group of each file `kubefort node` finds with the
benchmark's requirement for its role: `root:root` for manifests,
kubeconfigs, the PKI directory and everything in it (1.1.2, 1.1.4, 1.1.6,
1.1.8, 1.1.10, 1.1.14, 1.1.16, 1.1.18, 1.1.19) and the kubelet's files (4.1.2,
4.1.4, 4.1.6, 4.1.8, 4.1.10); `etcd:etcd` for the etcd data directory (1.1.12).

## Why it matters
The owner of a file can change its mode; a non-root owner of a control-plane
file can rewrite it whatever its permissions say.

## Example
```yaml
apiVersion: node.kubefort.io/v1
kind: NodeFile
metadata:
  name: /etc/kubernetes/manifests/etcd.yaml
spec:
  role: etcd-manifest
  type: file
  mode: "0600"
  owner: ubuntu   # flagged
  group: root
```

## How to fix
`chown root:root FILE` (`chown -R etcd:etcd /var/lib/etcd` after creating
the `etcd` user, for the data directory).
"#,
    references: &[CIS_REF],
    check: |ctx| {
        let Some((name, role)) = node_file(ctx) else { return };
        let Some((id, user, group)) = role.owner else { return };
        let Some(spec) = ctx.object.root.get("spec") else { return };
        let (Some(u), Some(g)) = (spec.str_at("owner"), spec.str_at("group")) else { return };
        if u != user || g != group {
            let path = if u != user { "spec.owner" } else { "spec.group" };
            ctx.report(FieldPath::root().keys(path), format!(
                "CIS {id}: {} {name} is owned by {u}:{g}; the benchmark requires {user}:{group}",
                role.what));
        }
    },
};

//! Pod Security admission configuration checks (CIS 5.2.1): the
//! cluster-wide defaults and exemptions of the PodSecurity plugin, in an
//! `AdmissionConfiguration` or a standalone `PodSecurityConfiguration`.

use kubefort_core::{FieldPath, Node, Rule, Severity};

use super::{cis_rule, CIS_REF};

fn check_config(cfg: &Node, at: &FieldPath, out: &mut Vec<(Severity, FieldPath, String)>) {
    let defaults = cfg.get("defaults");
    let enforce = defaults
        .and_then(|d| d.str_at("enforce"))
        .unwrap_or("privileged");
    if enforce == "privileged" {
        let path = if defaults.is_some() {
            at.key("defaults")
        } else {
            at.clone()
        };
        let path = if defaults.and_then(|d| d.get("enforce")).is_some() {
            path.key("enforce")
        } else {
            path
        };
        out.push((Severity::Medium, path,
            "CIS 5.2.1: the PodSecurity default `enforce` level is privileged: namespaces without labels accept privileged pods".into()));
    }
    let Some(ex) = cfg.get("exemptions") else {
        return;
    };
    for (field, sev, what) in [
        (
            "usernames",
            Severity::High,
            "requests by this user skip Pod Security entirely",
        ),
        (
            "runtimeClasses",
            Severity::Medium,
            "pods of this runtime class skip Pod Security",
        ),
        (
            "namespaces",
            Severity::Low,
            "pods in this namespace skip Pod Security",
        ),
    ] {
        let Some(items) = ex.get(field).and_then(Node::as_seq) else {
            continue;
        };
        for (i, v) in items.iter().enumerate() {
            let Some(name) = v.as_str() else { continue };
            if field == "namespaces" && name == "kube-system" {
                continue;
            }
            out.push((
                sev,
                at.key("exemptions").key(field).index(i),
                format!("CIS 5.2.1: Pod Security exemption {name:?}: {what}"),
            ));
        }
    }
}

pub static POD_SECURITY_DEFAULTS: Rule = cis_rule! {
    name: "admission-pod-security-defaults",
    severity: Medium,
    summary: "The PodSecurity admission plugin enforces nothing by default, or exempts users, runtime classes or namespaces (CIS 5.2.1)",
    remediation: "Set `defaults.enforce` to `baseline` (or `restricted`) and keep `exemptions` empty apart from kube-system.",
    docs: r#"## What it does
CIS 5.2.1. In the PodSecurity plugin's configuration (an
`AdmissionConfiguration` entry named `PodSecurity`, or a
`PodSecurityConfiguration` file) flags:
- a default `enforce` level of `privileged`, or none (which is `privileged`): medium;
- exempted `usernames` (high: that user's pods are never checked),
  `runtimeClasses` (medium), and `namespaces` other than `kube-system` (low).

## Why it matters
The defaults apply to every namespace without Pod Security labels; with
`privileged` a new namespace accepts privileged, host-network pods. An
exempt user is a bypass anyone holding that identity can use.

## Example
```yaml
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: privileged   # flagged
    exemptions:
      usernames: [ci-bot]   # flagged
```

## How to fix
`enforce: baseline` cluster-wide, `restricted` on namespaces that allow it,
and exemptions only for system namespaces.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-admission-controller/"],
    check: |ctx| {
        let id = &ctx.object.id;
        let mut out = Vec::new();
        let root = &ctx.object.root;
        if id.kind == "PodSecurityConfiguration" && id.group() == "pod-security.admission.config.k8s.io" {
            check_config(root, &FieldPath::root(), &mut out);
        } else if id.kind == "AdmissionConfiguration"
            && matches!(id.group(), "apiserver.config.k8s.io" | "apiserver.k8s.io")
        {
            for (i, p) in root.get("plugins").and_then(Node::as_seq).unwrap_or(&[]).iter().enumerate() {
                if p.str_at("name") != Some("PodSecurity") {
                    continue;
                }
                if let Some(cfg) = p.get("configuration") {
                    check_config(cfg, &FieldPath::root().key("plugins").index(i).key("configuration"), &mut out);
                }
            }
        }
        for (sev, path, msg) in out {
            ctx.report_with(sev, path, msg);
        }
    },
};

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{allowed_verbs, check_rules, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-nodes-proxy",
        severity: Severity::Critical,
        groups: &["rbac"],
        summary: "A ClusterRole reaches the kubelet API through nodes/proxy",
        remediation: "Remove nodes/proxy; scrape kubelet metrics through a dedicated endpoint or the metrics API.",
        docs: r#"## What it does
Flags ClusterRole rule entries that allow any verb on `nodes/proxy`.

## Why it matters
The API server forwards `nodes/proxy` requests to the kubelet with its own
credentials. The kubelet API runs commands in any container on the node
(`/exec`, `/run`) and this is not audited as a pod exec: even `get` is
enough, since commands can run over WebSockets opened with GET. It is
exec in every pod of the cluster.

## Example
```yaml
kind: ClusterRole
rules:
  - apiGroups: [""]
    resources: [nodes/proxy]
    verbs: [get]     # flagged
```

## How to fix
Monitoring needs `nodes/metrics` and `nodes/stats`, not `nodes/proxy`:
```yaml
  - apiGroups: [""]
    resources: [nodes/metrics, nodes/stats]
    verbs: [get]
```
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes",
            "https://attack.mitre.org/techniques/T1609/",
            "https://attack.mitre.org/techniques/T1611/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    check_rules(ctx, |rb, role, rule| {
        if !rb.is_cluster_role(role) {
            return None;
        }
        let (verbs, _) = allowed_verbs(
            rule,
            &["get", "create", "update", "patch", "delete"],
            "",
            "nodes",
            "proxy",
        )?;
        Some((
            Severity::Critical,
            format!(
                "can {} nodes/proxy: the kubelet API runs commands in every pod of every node",
                verbs.join("/")
            ),
        ))
    });
}

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{allowed_verbs, check_rules, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-pod-exec",
        severity: Severity::High,
        groups: &["rbac"],
        summary: "A role execs, attaches or adds ephemeral containers to pods, or port-forwards to them",
        remediation: "Grant pods/exec, pods/attach and pods/ephemeralcontainers only for break-glass debugging, in namespaces that hold nothing more powerful.",
        docs: r#"## What it does
Flags rule entries that allow `create` on `pods/exec` or `pods/attach`,
`update`/`patch` on `pods/ephemeralcontainers` (high), or `create` on
`pods/portforward` (medium). `get` on these subresources is flagged too:
API servers before the WebSocket authorization change (and those that turn
it off) accept `get` for exec, attach and port-forward over WebSockets.

## Why it matters
A shell in a running container reads its service-account token, its
mounted Secrets and its memory; an ephemeral container can be added to any
pod with any image. Port-forwarding reaches ports a NetworkPolicy keeps
closed, such as an unauthenticated admin interface.

## Example
```yaml
kind: ClusterRole
rules:
  - apiGroups: [""]
    resources: [pods/exec]
    verbs: [create]     # flagged
```

## How to fix
Keep these subresources for break-glass roles bound for the time they are
needed. `get` on `pods/log` is enough for most debugging.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation",
            "https://attack.mitre.org/techniques/T1609/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    check_rules(ctx, |_, _, rule| {
        let mut hits = Vec::new();
        let mut severity = Severity::Medium;
        for (verbs, sub, sev) in [
            (&["create", "get"][..], "exec", Severity::High),
            (&["create", "get"][..], "attach", Severity::High),
            (
                &["update", "patch"][..],
                "ephemeralcontainers",
                Severity::High,
            ),
            (&["create", "get"][..], "portforward", Severity::Medium),
        ] {
            if let Some((v, _)) = allowed_verbs(rule, verbs, "", "pods", sub) {
                hits.push(format!("{} pods/{sub}", v.join("/")));
                severity = severity.max(sev);
            }
        }
        (!hits.is_empty()).then(|| (severity, format!("can {}", hits.join(", "))))
    });
}

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{allowed_verbs, check_rules, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-webhook-config-write",
        severity: Severity::High,
        groups: &["rbac"],
        summary: "A ClusterRole edits admission webhook configurations or admission policies",
        remediation: "Leave admission configuration to cluster administrators and the operators that install their own webhook, limited with resourceNames.",
        docs: r#"## What it does
Flags ClusterRole rule entries that allow `create`, `update`, `patch`,
`delete` or `deletecollection` on `mutatingwebhookconfigurations`,
`validatingwebhookconfigurations`, `validatingadmissionpolicies`,
`validatingadmissionpolicybindings`, `mutatingadmissionpolicies` or
`mutatingadmissionpolicybindings` (admissionregistration.k8s.io).

## Why it matters
A mutating webhook sees and rewrites every object it registers for: it can
add a container or change the service account of every new pod, and read
every Secret written. Deleting a validating webhook or policy switches off
the guardrails (Kyverno, Gatekeeper, kubefort's own) without a trace in the
workloads.

## Example
```yaml
kind: ClusterRole
rules:
  - apiGroups: [admissionregistration.k8s.io]
    resources: [mutatingwebhookconfigurations]
    verbs: [create, update]     # flagged
```

## How to fix
An operator that manages its own webhook needs `update` on that
configuration only:
```yaml
    resourceNames: [my-operator-webhook]
    verbs: [get, update]
```
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/",
            "https://attack.mitre.org/techniques/T1562/001/",
            "https://attack.mitre.org/techniques/T1610/",
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
        let mut hits = Vec::new();
        for res in [
            "mutatingwebhookconfigurations",
            "validatingwebhookconfigurations",
            "validatingadmissionpolicies",
            "validatingadmissionpolicybindings",
            "mutatingadmissionpolicies",
            "mutatingadmissionpolicybindings",
        ] {
            if let Some((v, _)) = allowed_verbs(
                rule,
                &["create", "update", "patch", "delete", "deletecollection"],
                "admissionregistration.k8s.io",
                res,
                "",
            ) {
                hits.push(format!("{} {res}", v.join("/")));
            }
        }
        (!hits.is_empty()).then(|| {
            (
                Severity::High,
                format!(
                    "can {}: admission control sees, rewrites or stops guarding every request",
                    hits.join(", ")
                ),
            )
        })
    });
}

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{rbac, report_rule, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-wildcard",
        severity: Severity::High,
        groups: &["rbac"],
        summary: "A Role or ClusterRole rule uses `*` for verbs, resources or API groups",
        remediation: "List the verbs, resources and API groups the workload needs instead of `*`.",
        docs: r#"## What it does
Flags every rule entry of a Role or ClusterRole with `*` in `verbs`,
`resources` or `apiGroups`, and says who the rule is granted to. `*` in all
three is cluster-admin's rule (critical); `*` in verbs or resources is high;
`*` only in API groups is low.

## Why it matters
`*` grants everything that exists and everything added later: every verb
(including `escalate`, `bind`, `impersonate` and `delete`), every
subresource (`pods/exec`, `nodes/proxy`, `serviceaccounts/token`), and every
custom resource an operator installs next year. Access reviews cannot see
what a wildcard allows.

## Example
```yaml
kind: ClusterRole
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]        # flagged: critical
```

## How to fix
Name what is needed:
```yaml
rules:
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, list, update]
```
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
            "https://attack.mitre.org/techniques/T1098/006/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    let rb = rbac(ctx);
    for (role, i, rule) in rb.declared_rules() {
        let star = |v: &[String]| v.iter().any(|x| x == "*");
        let (verbs, resources, groups) = (
            star(&rule.verbs),
            star(&rule.resources),
            star(&rule.api_groups),
        );
        let (severity, what) = match (verbs, resources, groups) {
            (true, true, true) => (
                Severity::Critical,
                "every verb on every resource of every API group",
            ),
            (true, true, false) => (
                Severity::High,
                "every verb on every resource of its API groups",
            ),
            (true, false, _) => (Severity::High, "every verb on its resources"),
            (false, true, _) => (
                Severity::High,
                "its verbs on every resource, subresources included",
            ),
            (false, false, true) => (
                Severity::Low,
                "its resources in every API group, present and future",
            ),
            (false, false, false) => continue,
        };
        if !rule.non_resource_urls.is_empty() && rule.resources.is_empty() {
            continue;
        }
        let msg = format!(
            "{} rules[{i}] grants {what}; {}",
            rb.model.roles[role].display(),
            rb.grantees(role)
        );
        report_rule(ctx, rb, role, i, severity, msg);
    }
}

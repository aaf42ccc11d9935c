use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "missing-memory-limit",
        severity: Severity::Medium,
        groups: &["reliability"],
        summary: "A container has no memory limit",
        remediation: "Set `resources.limits.memory` (and a matching `resources.requests.memory`).",
        docs: r#"## What it does
Flags containers and init containers without `resources.limits.memory`.

## Why it matters
Without a limit a container can use all the memory of its node. A leak, a
traffic spike or a deliberate memory bomb then makes the kernel kill other
workloads' processes, or the kubelet evict them; one compromised container
becomes a denial of service for every pod on the node. A LimitRange can set
defaults for a namespace, but a manifest that states its own limit does not
depend on one being present.

## Example
```yaml
containers:
- name: app
  image: registry.example/app:1.4.2
  resources:
    requests:
      memory: 128Mi      # flagged: a request but no limit
```

## How to fix
```yaml
  resources:
    requests:
      memory: 128Mi
    limits:
      memory: 256Mi
```
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
            "https://kubernetes.io/docs/concepts/policy/limit-range/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    super::flag_missing_limit(
        ctx,
        "memory",
        "it can take all of its node's memory and get other pods killed",
    );
}

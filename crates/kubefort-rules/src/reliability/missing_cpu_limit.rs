use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "missing-cpu-limit",
        severity: Severity::Low,
        groups: &["reliability"],
        summary: "A container has no CPU limit",
        remediation: "Set `resources.limits.cpu`, or at least `resources.requests.cpu` so the scheduler and the kernel share CPU fairly.",
        docs: r#"## What it does
Flags containers and init containers without `resources.limits.cpu`.

## Why it matters
A container without a CPU limit may use every core of its node. Its
neighbours keep the CPU their requests guarantee, but everything above that
is taken, so a runaway or hijacked process (a crypto miner is the usual one)
slows down the whole node. Some teams leave CPU limits off on purpose to
avoid throttling; this rule is low severity for that reason and can be
ignored with `--ignore missing-cpu-limit`.

## Example
```yaml
containers:
- name: app
  image: registry.example/app:1.4.2   # flagged: no resources at all
```

## How to fix
```yaml
  resources:
    requests:
      cpu: 250m
    limits:
      cpu: "1"
```
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    super::flag_missing_limit(ctx, "cpu", "it can use every core of its node");
}

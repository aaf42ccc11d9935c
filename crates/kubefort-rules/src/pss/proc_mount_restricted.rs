//! PSS restricted control "/proc Mount Type" (upstream check
//! `procMount_restricted`, v1.35+).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "procMount_restricted",
    rule: "pss-proc-mount-restricted",
    level: Level::Restricted,
    title: "/proc Mount Type",
    allowed: "undefined/null, Default",
    versions: &[Versioned {
        since: 35,
        check: proc_mount::proc_mount_1_0,
        overrides: &["procMount"],
    }],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-proc-mount-restricted",
        severity: Severity::Medium,
        groups: RESTRICTED_GROUPS,
        summary:
            "Pod Security restricted (v1.35+): a container unmasks /proc, even in a user namespace",
        remediation: "Remove `securityContext.procMount` or set it to `Default`.",
        docs: r#"## What it does
Evaluates the restricted Pod Security Standards control **/proc Mount Type**
(from policy version v1.35) as the Pod Security Admission controller does:
every container's `securityContext.procMount`, when set, must be `Default`,
whether or not the pod runs in its own user namespace.

## Why it matters
From v1.35 the baseline level lets pods with `hostUsers: false` unmask
/proc; the restricted level keeps the unconditional rule of earlier
versions, as defence in depth.

## Example
```yaml
spec:
  hostUsers: false
  containers:
  - name: app
    securityContext:
      procMount: Unmasked   # forbidden at restricted
```

## How to fix
Remove `procMount` or set it to `Default`.

## Versions
Before v1.35 the baseline control (`pss-proc-mount`) enforced the same rule
at both levels. From v1.35 this control replaces it at the restricted level.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "privileged-container",
        severity: Severity::Critical,
        groups: &["security"],
        summary: "A container runs privileged",
        remediation: "Remove `securityContext.privileged: true`; grant only the specific capabilities the container needs.",
        docs: r#"## What it does
Flags containers, init containers and ephemeral containers whose
`securityContext.privileged` is `true`.

## Why it matters
A privileged container runs with every Linux capability, sees all host
devices and is not confined by seccomp or AppArmor. Anyone who controls the
process controls the node: mounting the host disk or loading kernel modules
is one command away. The Pod Security Standards forbid it at the baseline
level.

## Example
```yaml
containers:
- name: app
  image: registry.example/app:1.4.2
  securityContext:
    privileged: true   # flagged
```

## How to fix
Drop `privileged: true`. If the workload needs a specific kernel facility, add
only that capability (`capabilities.add: [NET_ADMIN]`) and keep the rest
dropped. Node agents that truly need privilege (CNI, storage drivers) belong
in a namespace with an explicit, reviewed exemption.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    for spec in ctx.pod_specs() {
        for c in spec.all_containers() {
            let sc = c.node.get("securityContext");
            if sc
                .and_then(|s| s.get("privileged"))
                .and_then(|n| n.as_bool())
                == Some(true)
            {
                ctx.report(
                    c.path.keys("securityContext.privileged"),
                    format!(
                        "{} runs privileged: it has every capability and full access to the host's devices",
                        c.describe()
                    ),
                );
            }
        }
    }
}

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use crate::workload::effective;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "root-group",
        severity: Severity::Low,
        groups: &["hardening"],
        summary: "A pod or container runs with the root group (GID 0) as primary, file-system or supplemental group (opt-in)",
        remediation: "Use a non-zero `runAsGroup`, `fsGroup` and `supplementalGroups`.",
        docs: r#"## What it does
Flags an effective `runAsGroup: 0` (container level, else pod level), a pod
`fsGroup: 0`, and `0` in the pod's `supplementalGroups`. Off by default.

## Why it matters
Group 0 owns many root-writable files in images and on the host
(`/etc`, devices, runtime directories with group permissions). A process
that runs with GID 0 can write them even as a non-root user, and keeps that
access after an escape. `runAsNonRoot` does not look at groups.

## Example
```yaml
securityContext:
  runAsUser: 10001
  runAsGroup: 0        # flagged
  fsGroup: 10001       # fine
```

## How to fix
Give the process its own group (`runAsGroup: 10001`, `fsGroup: 10001`).
OpenShift-style images that rely on group 0 for arbitrary UIDs can keep it
with a suppression and a reason.

Peers: kube-linter run-as-non-root (group part), Trivy KSV-0116.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
        ],
        default_enabled: false,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    let mut seen = std::collections::HashSet::new();
    for spec in ctx.pod_specs() {
        for c in spec.all_containers() {
            if let Some((n, path)) = effective(spec, &c, "runAsGroup") {
                if n.as_i64() == Some(0) && seen.insert(path.to_string()) {
                    let who = if path.segs().len() > spec.path.segs().len() + 2 {
                        c.describe()
                    } else {
                        "the pod".to_string()
                    };
                    ctx.report(path, format!("{who} runs with group 0 (root)"));
                }
            }
        }
        let sc = spec.path.key("securityContext");
        if spec
            .node
            .get_path(&["securityContext", "fsGroup"])
            .and_then(|n| n.as_i64())
            == Some(0)
        {
            ctx.report(
                sc.key("fsGroup"),
                "the pod's volumes are owned by group 0 (fsGroup: 0)",
            );
        }
        if let Some(groups) = spec
            .node
            .get_path(&["securityContext", "supplementalGroups"])
            .and_then(|n| n.as_seq())
        {
            if let Some(i) = groups.iter().position(|g| g.as_i64() == Some(0)) {
                ctx.report(
                    sc.key("supplementalGroups").index(i),
                    "the pod's processes are in group 0 (supplementalGroups)",
                );
            }
        }
    }
}

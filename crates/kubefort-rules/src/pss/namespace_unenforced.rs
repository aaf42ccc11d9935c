//! A Namespace that does not enforce a Pod Security level.

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{FieldPath, ObjectCtx, Severity};

use super::*;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-namespace-unenforced",
        severity: Severity::Medium,
        groups: BASELINE_GROUPS,
        summary: "A namespace enforces no Pod Security level, or labels it with values the admission controller cannot read",
        remediation: "Label the namespace `pod-security.kubernetes.io/enforce: restricted` (or `baseline`), pinning `enforce-version` if you upgrade clusters deliberately.",
        docs: r#"## What it does
Flags `Namespace` objects that leave Pod Security Admission without an
enforced level:

* no `pod-security.kubernetes.io/enforce` label: pods are judged by the
  cluster's default, which is `privileged` (everything admitted) unless the
  API server's admission configuration says otherwise;
* `pod-security.kubernetes.io/enforce: privileged`;
* a Pod Security label whose value the admission controller cannot read. It
  then falls back: an unreadable `enforce` level becomes `restricted`, an
  unreadable `warn` or `audit` level becomes `privileged`, an unreadable
  version becomes `latest`. The finding says which.

Workloads in a labelled namespace are evaluated by the `pss-*` rules at the
namespace's levels and versions, each finding saying whether the pod would
be rejected (enforce) or admitted with a warning (warn, audit).

## Why it matters
Pod Security Admission is the built-in guard against privileged pods, host
namespaces and host paths. A namespace without an enforced level lets any
workload, or anyone who can create pods there, run as root on the node.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: v1.37
```

## How to fix
Add the `enforce` label at the strictest level the namespace's workloads
meet (`kubefort pss` shows it per workload). System namespaces that must run
privileged agents should say so explicitly and be suppressed with a reason.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
            "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    let id = &ctx.object.id;
    if id.kind != "Namespace" || id.api_version != "v1" {
        return;
    }
    let file = ctx.object.file.clone();
    let Some(ns) = kubefort_core::namespaces::namespace_info(&file, &ctx.object.root) else {
        return;
    };
    let labels = FieldPath::root().keys("metadata.labels");
    let (policy, errors) = policy_from_labels(&ns.labels, Version::Latest);
    for e in &errors {
        ctx.report(
            labels.key(e.label),
            format!(
                "namespace {:?}: {}={:?} is not a valid {}; the admission controller uses {:?} instead",
                ns.name,
                e.label,
                e.value,
                if e.label.ends_with("-version") {
                    "Pod Security version (use \"latest\" or \"v1.N\")"
                } else {
                    "Pod Security level (use \"privileged\", \"baseline\" or \"restricted\")"
                },
                e.fallback
            ),
        );
    }
    match ns.labels.get(ENFORCE) {
        None => ctx.report(
            FieldPath::root().keys("metadata.name"),
            format!(
                "namespace {:?} has no {ENFORCE} label: pods in it are admitted at the cluster default, privileged unless the API server is configured otherwise",
                ns.name
            ),
        ),
        Some(_) if policy.enforce.level == Level::Privileged => ctx.report(
            labels.key(ENFORCE),
            format!(
                "namespace {:?} enforces Pod Security level \"privileged\": any pod is admitted, including privileged pods with host access",
                ns.name
            ),
        ),
        Some(_) => {}
    }
}

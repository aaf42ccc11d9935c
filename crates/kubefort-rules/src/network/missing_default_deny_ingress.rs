//! A namespace without a default-deny ingress policy.

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_netpol::Direction;

use super::{check_default_deny, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "missing-default-deny-ingress",
        severity: Severity::Medium,
        groups: &["network"],
        summary: "A namespace has no default-deny ingress NetworkPolicy",
        remediation: "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]` to the namespace, then allow each flow its workloads need.",
        docs: r#"## What it does
Flags each namespace that the scanned inputs declare (a `Namespace`
object) or hold workloads of, when none of its NetworkPolicies selects
every pod (`podSelector: {}`) for ingress without allowing everything.
The finding is on the `Namespace` object, or, when the inputs do not
declare the namespace, on its first workload.

The rule speaks when the inputs hold at least one NetworkPolicy (policies
are managed with these manifests), or when it is selected explicitly
(`--select network`, or its name): a single Deployment scanned on its own
says nothing about the policies applied next to it.

## Why it matters
A pod that no policy selects accepts connections from every pod of the
cluster and from every address that can route to it. A default deny makes
isolation the rule for every pod of the namespace, including pods added
later, and turns every needed flow into an explicit, reviewable allowance.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
```

## How to fix
Add the policy above to the namespace, and one policy per flow its
workloads need (`kubefort netpol` shows what is reachable before and after).
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    check_default_deny(ctx, Direction::Ingress);
}

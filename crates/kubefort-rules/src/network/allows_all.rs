//! A NetworkPolicy rule that allows every source or every destination.

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::{FieldPath, Severity};
use kubefort_netpol::{Direction, Peer, Policy};

use super::Net;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "network-policy-allows-all",
        severity: Severity::Medium,
        groups: &["network"],
        summary: "A NetworkPolicy rule allows all ingress or all egress",
        remediation: "Name the peers the rule is for (pod and namespace selectors, or the external CIDRs) and the ports they use.",
        docs: r#"## What it does
Flags the ingress and egress rules of NetworkPolicies that open every port
to everyone:

* a rule without `from` / `to` (or with an empty list) and without
  `ports`, such as `- {}`: every pod of every namespace and every address;
* an `ipBlock` of `0.0.0.0/0` or `::/0` (with or without `except`) in a rule
  without `ports`: every address outside the cluster.

Rules limited to some ports (`- ports: [{port: 443}]`) are deliberate
openings and are not flagged; nor are rules of a direction the policy's
`policyTypes` leave out, which have no effect.

## Why it matters
A pod selected by such a policy is isolated in name only: the rule undoes
the isolation for that direction. An allow-all rule added while debugging
and never removed is a common way a default deny stops protecting
anything.

## Example
```yaml
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - {}                          # flagged: every source, every port
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0}  # flagged: every external address, every port
```

## How to fix
Replace the rule with the peers and ports the workload needs:

```yaml
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 8080}]
```
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/#allow-all-ingress-traffic",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: &["NetworkPolicy"],
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    let net = Net::of(ctx.inventory);
    for p in &net.cluster.policies {
        let object = net.object(&p.source);
        for d in Direction::BOTH {
            for r in p.rules(d).unwrap_or(&[]) {
                if r.ports.is_some() {
                    continue;
                }
                let rule_path = Policy::rule_path(d, r.index);
                let (everyone, who) = match d {
                    Direction::Ingress => ("every source", "from"),
                    Direction::Egress => ("every destination", "to"),
                };
                let Some(peers) = &r.peers else {
                    ctx.report_object(
                        object,
                        rule_path,
                        format!(
                            "{d} rule #{} of NetworkPolicy {} has no `{who}` and no `ports`: it allows {everyone} (every pod of every namespace and every address) on every port",
                            r.index + 1,
                            p.id()
                        ),
                    );
                    continue;
                };
                for (j, peer) in peers.iter().enumerate() {
                    let Peer::IpBlock { cidr, except, .. } = peer else {
                        continue;
                    };
                    if !cidr.ends_with("/0") {
                        continue;
                    }
                    let path: FieldPath =
                        rule_path.key(d.peers_field()).index(j).keys("ipBlock.cidr");
                    let except_text = if except.is_empty() {
                        String::new()
                    } else {
                        format!(" except {}", except.join(", "))
                    };
                    ctx.report_object(
                        object,
                        path,
                        format!(
                            "{d} rule #{} of NetworkPolicy {} allows every address{} ({cidr}{except_text}) on every port",
                            r.index + 1,
                            p.id(),
                            match d {
                                Direction::Ingress => " as a source",
                                Direction::Egress => " as a destination",
                            }
                        ),
                    );
                }
            }
        }
    }
}

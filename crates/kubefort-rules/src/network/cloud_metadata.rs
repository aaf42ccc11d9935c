//! Egress rules that open the cloud metadata service.

use std::net::IpAddr;

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_netpol::{Direction, Peer, Policy, PortValue, Protocol};

use super::{Net, RETAIN};

/// The metadata service: link-local IPv4 on every major cloud, and AWS's
/// IPv6 endpoint.
const METADATA: [&str; 2] = ["169.254.169.254", "fd00:ec2::254"];

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "egress-to-cloud-metadata",
        severity: Severity::High,
        groups: &["network"],
        summary: "An egress rule lets pods reach the cloud metadata service (169.254.169.254)",
        remediation: "Add `except: [169.254.169.254/32]` to the ipBlock (or narrow it), or restrict the rule to the ports and peers the workload needs.",
        docs: r#"## What it does
Flags egress rules of NetworkPolicies that allow TCP port 80 of the cloud
metadata service, `169.254.169.254` (or AWS's IPv6 endpoint
`fd00:ec2::254`):

* a rule without `to`: every destination, the metadata service included;
* an `ipBlock` whose CIDR contains the address and whose `except` list
  does not remove it (`0.0.0.0/0`, `169.254.0.0/16`, ...).

Only rules whose `ports` allow TCP 80 (or every port) are flagged. Pods
that no egress policy selects reach the metadata service too; the
`missing-default-deny-egress` rule reports those namespaces.

## Why it matters
The metadata service hands out the node's cloud credentials and
bootstrap data to whoever asks from the node's network. A pod that can
reach it can often act as the node in the cloud account: stealing
credentials from 169.254.169.254 is a classic step from a compromised
container to the cloud account. An egress policy that means "allow the
internet" with `0.0.0.0/0` opens it too.

## Example
```yaml
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0           # flagged: includes 169.254.169.254
```

## How to fix
Remove the address from the block:

```yaml
    - ipBlock:
        cidr: 0.0.0.0/0
        except: [169.254.169.254/32]
```
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource",
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

/// Whether a rule's ports let TCP 80 through to an address (named ports
/// never match an address).
fn allows_http(rule: &kubefort_netpol::Rule) -> bool {
    match &rule.ports {
        None => true,
        Some(ports) => ports.iter().any(|p| {
            p.protocol == Protocol::Tcp
                && match p.port {
                    PortValue::All => true,
                    PortValue::Range(a, b) => a <= 80 && 80 <= b,
                    PortValue::Named(_) => false,
                }
        }),
    }
}

fn check(ctx: &mut InventoryCtx<'_>) {
    let net = Net::of(ctx.inventory);
    let addrs: Vec<IpAddr> = METADATA
        .iter()
        .map(|a| a.parse().expect("address"))
        .collect();
    for (pi, p) in net.cluster.policies.iter().enumerate() {
        let Some(rules) = p.rules(Direction::Egress) else {
            continue;
        };
        let object = net.object(&p.source);
        let selected = net.cluster.selected_by(pi);
        let applies = if selected.is_empty() {
            String::new()
        } else {
            format!(" (it selects {})", net.some_workloads(&selected))
        };
        for r in rules.iter().filter(|r| allows_http(r)) {
            let rule_path = Policy::rule_path(Direction::Egress, r.index);
            match &r.peers {
                None => ctx.report_object(
                    object,
                    rule_path,
                    format!(
                        "egress rule #{} of NetworkPolicy {}{applies} allows every destination, the cloud metadata service {} included: pods can fetch the node's cloud credentials",
                        r.index + 1,
                        p.id(),
                        METADATA[0]
                    ),
                ),
                Some(peers) => {
                    for (j, peer) in peers.iter().enumerate() {
                        let Peer::IpBlock { cidr, set, .. } = peer else {
                            continue;
                        };
                        let Some(addr) = addrs.iter().find(|a| set.contains(**a)) else {
                            continue;
                        };
                        let exact = cidr.ends_with("/32") || cidr.ends_with("/128");
                        if exact {
                            ctx.report_object(
                                object,
                                rule_path.key("to").index(j).keys("ipBlock.cidr"),
                                format!(
                                    "egress rule #{} of NetworkPolicy {}{applies} allows the cloud metadata service {addr} explicitly: pods can fetch the node's cloud credentials unless the platform scopes them to the pod (such as GKE's metadata server); suppress with a reason if that is the case",
                                    r.index + 1,
                                    p.id()
                                ),
                            );
                            continue;
                        }
                        ctx.report_object(
                            object,
                            rule_path.key("to").index(j).keys("ipBlock.cidr"),
                            format!(
                                "egress rule #{} of NetworkPolicy {}{applies} allows {cidr}, which contains the cloud metadata service {addr}: pods can fetch the node's cloud credentials; add `except: [{}]`",
                                r.index + 1,
                                p.id(),
                                match addr {
                                    IpAddr::V4(a) => format!("{a}/32"),
                                    IpAddr::V6(a) => format!("{a}/128"),
                                }
                            ),
                        );
                    }
                }
            }
        }
    }
}

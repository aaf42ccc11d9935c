//! Named ports in a NetworkPolicy that no container of the pods declares.

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_netpol::{Direction, Endpoint, Policy, PortValue};

use super::{Net, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "network-policy-unknown-named-port",
        severity: Severity::Medium,
        groups: &["network"],
        summary: "A NetworkPolicy names a port that no container of the pods it applies to declares",
        remediation: "Use the port name the containers declare in `ports[].name` (with the same protocol), or the port number.",
        docs: r#"## What it does
Flags `ports` entries of NetworkPolicy rules that name a port (`port:
http`) when none of the scanned pods the entry applies to declares a
container port of that name and protocol:

* for an ingress rule, the pods the policy selects (the destination);
* for an egress rule, the pods its `to` peers match (the destination).

Entries are judged only when the inputs hold at least one such pod. A
name declared with another protocol (`dns` as UDP, used in a TCP entry)
is reported as such.

## Why it matters
A named port resolves, per destination pod, to the number its container
declares under that name. When no container declares it, the entry allows
nothing: the traffic the rule was written for is dropped, and the usual
"fix" under pressure is an allow-all rule.

## Example
```yaml
kind: Deployment
spec:
  template:
    spec:
      containers:
      - name: api
        ports: [{name: web, containerPort: 8080}]
---
kind: NetworkPolicy
spec:
  ingress:
  - ports: [{port: http}]   # flagged: the container calls it "web"
```

## How to fix
Use the declared name (`port: web`) or the number (`port: 8080`), or
declare the name on the container.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    let net = Net::of(ctx.inventory);
    let cl = &net.cluster;
    for (pi, p) in cl.policies.iter().enumerate() {
        let object = net.object(&p.source);
        let selected = cl.selected_by(pi);
        for d in Direction::BOTH {
            for r in p.rules(d).unwrap_or(&[]) {
                let Some(ports) = &r.ports else { continue };
                let targets: Vec<usize> = match d {
                    Direction::Ingress => selected.clone(),
                    Direction::Egress => (0..cl.workloads.len())
                        .filter(|&w| cl.rule_matches(p, r, Endpoint::Workload(w)))
                        .collect(),
                };
                if targets.is_empty() {
                    continue;
                }
                for (k, port) in ports.iter().enumerate() {
                    let PortValue::Named(name) = &port.port else {
                        continue;
                    };
                    if targets
                        .iter()
                        .any(|&w| cl.workloads[w].named_port(name, port.protocol).is_some())
                    {
                        continue;
                    }
                    let other_protocol = targets.iter().find_map(|&w| {
                        cl.workloads[w]
                            .ports
                            .iter()
                            .find(|cp| cp.name.as_deref() == Some(name.as_str()))
                            .map(|cp| (w, cp.protocol))
                    });
                    let why = match other_protocol {
                        Some((w, proto)) => format!(
                            "{} declares {name:?} as a {proto} port, and this entry is {}",
                            cl.workloads[w].id(),
                            port.protocol
                        ),
                        None => format!(
                            "no container of {} declares a port named {name:?}",
                            net.some_workloads(&targets)
                        ),
                    };
                    ctx.report_object(
                        object,
                        Policy::rule_path(d, r.index).key("ports").index(k).key("port"),
                        format!(
                            "{d} rule #{} of NetworkPolicy {} names port {name:?} ({}), which resolves on none of the pods it applies to: {why}; the entry allows nothing",
                            r.index + 1,
                            p.id(),
                            port.protocol
                        ),
                    );
                }
            }
        }
    }
}

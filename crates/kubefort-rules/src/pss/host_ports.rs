//! PSS baseline control "Host Ports" (upstream check `hostPorts`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "hostPorts",
    rule: "pss-host-ports",
    level: Level::Baseline,
    title: "Host Ports",
    allowed: "undefined/null, 0",
    versions: &[Versioned {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-host-ports",
        severity: Severity::Medium,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: a container binds a port on the node",
        remediation:
            "Remove `hostPort` from the container ports; expose the port through a Service.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Host Ports** (baseline) as the
Pod Security Admission controller does: `ports[*].hostPort` of every
container must be unset or `0`.

## Why it matters
A host port opens the node itself to the network on that port, bypassing
Services and NetworkPolicies, and ties the pod to nodes where the port is
free.

## Example
```yaml
ports:
- containerPort: 8080
  hostPort: 8080   # forbidden
```

## How to fix
Remove `hostPort`; expose the workload with a Service (ClusterIP,
NodePort or LoadBalancer) or an Ingress.

## Versions
Unchanged since v1.0.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut ports = Vec::new();
    let mut first = None;
    for c in &pod.containers {
        let mut valid = true;
        for (i, p) in list(c.node, "ports").iter().enumerate() {
            let host_port = p.get("hostPort").and_then(Node::as_i64).unwrap_or(0);
            if host_port != 0 {
                valid = false;
                ports.push(host_port.to_string());
                first.get_or_insert_with(|| c.path.key("ports").index(i).key("hostPort"));
            }
        }
        if !valid {
            bad.push(c.name);
        }
    }
    let ports = sorted_set(ports);
    Some(Violation {
        reason: "hostPort".into(),
        detail: format!(
            "{} {} {} {} {}",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
        path: first?,
    })
}

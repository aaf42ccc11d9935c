use kubefort_core::{RuleMeta, Severity};
use serde_json::Value;

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-nodeport-service",
        severity: Severity::Low,
        groups: &["audit"],
        summary: "A NodePort Service was created or a Service changed to NodePort",
        remediation: "Expose the workload through an Ingress or a LoadBalancer with firewall rules instead, or confirm the node ports are not reachable from outside.",
        docs: r#"## What it does
Alerts when a Service of type `NodePort` is written (created, updated,
patched) by anyone but the control plane, with its node ports.

## Why it matters
A NodePort opens the same port on every node, usually past the
load balancer's firewall and TLS termination; attackers use it to expose
a backdoor or an internal service.

## How to respond
Check what the Service selects and whether the nodes' ports are reachable
from outside.

## False positives
Bare-metal clusters that expose ingress controllers through node ports.
Exception by namespace or name.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport",
            "https://attack.mitre.org/techniques/T1133/",
        ],
        default_enabled: true,
    },
    mitre: &["T1133"],
    falco: &["Create NodePort Service"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "services"
        || !ev.subresource().is_empty()
        || !matches!(&*ev.verb, "create" | "update" | "patch")
        || ctx.facts.trusted
    {
        return;
    }
    let Some(obj) = ctx.lazy.written_object(ev) else {
        return;
    };
    if obj.pointer("/spec/type").and_then(Value::as_str) != Some("NodePort") {
        return;
    }
    let ports: Vec<String> = obj
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            match p.get("nodePort").and_then(Value::as_i64) {
                Some(n) => format!("{port}→node port {n}"),
                None => port.to_string(),
            }
        })
        .collect();
    let msg = format!(
        "{} {} NodePort Service {} (ports {}){}",
        ctx.who(),
        super::verb_past(&ev.verb),
        ctx.target(),
        ports.join(", "),
        ctx.outcome()
    );
    let sev = ctx.attempt_severity(Severity::Low);
    ctx.report_with(sev, msg);
}

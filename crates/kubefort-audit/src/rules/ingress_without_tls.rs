use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-ingress-without-tls",
        severity: Severity::Low,
        groups: &["audit"],
        summary: "An Ingress without TLS was created",
        remediation: "Add a `tls` section with a certificate (cert-manager can issue one) so the traffic is encrypted.",
        docs: r#"## What it does
Alerts when an Ingress (networking.k8s.io) without a `spec.tls` section is
created by anyone but the control plane.

## Why it matters
Without TLS, credentials and session cookies cross the network in clear
text, readable by anyone on the path.

## How to respond
Add TLS to the Ingress, or confirm that TLS ends before it.

## False positives
Ingresses behind a load balancer that terminates TLS. Exception by
namespace or name.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls",
            "https://attack.mitre.org/techniques/T1557/",
        ],
        default_enabled: true,
    },
    mitre: &["T1557"],
    falco: &["Ingress Object without TLS Certificate Created"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "ingresses"
        || !ev.subresource().is_empty()
        || ev.verb != "create"
        || !ev.succeeded()
        || ctx.facts.trusted
    {
        return;
    }
    let Some(obj) = ctx.lazy.written_object(ev) else {
        return;
    };
    let tls = obj
        .pointer("/spec/tls")
        .and_then(|t| t.as_array())
        .is_some_and(|a| !a.is_empty());
    if tls {
        return;
    }
    let msg = format!("{} created Ingress {} without TLS", ctx.who(), ctx.target());
    ctx.report(msg);
}

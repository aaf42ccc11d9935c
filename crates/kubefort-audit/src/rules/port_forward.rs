use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-pod-port-forward",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "Someone opened a tunnel into a pod (`kubectl port-forward`)",
        remediation: "Confirm who opened the tunnel and to what; if unexplained, remove `pods/portforward` from the identity's roles and review what the pod's ports expose.",
        docs: r#"## What it does
Alerts on requests to the `portforward` subresource of a pod, judged once
when the tunnel opens. The control plane and nodes are not reported.

## Why it matters
A port-forward tunnels traffic from the caller's machine straight to a pod,
past NetworkPolicies, Services and ingress controllers: databases and admin
interfaces that are never exposed become reachable.

## How to respond
Check the identity, its source address and the pod. An unexpected tunnel
to a database or an admin port is data access: review what was reachable
and rotate credentials that could have been used through it.

## False positives
Developers reaching a dev database, on-call engineers. Add exceptions by
group or namespace.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/access-application-cluster/port-forward-access-application-cluster/",
            "https://attack.mitre.org/techniques/T1572/",
        ],
        default_enabled: true,
    },
    mitre: &["T1572"],
    falco: &["port-forward"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "pods" || ev.subresource() != "portforward" || ctx.facts.trusted {
        return;
    }
    let ports = ev.query_values("ports").join(",");
    let ports = if ports.is_empty() {
        String::new()
    } else {
        format!(" (ports {ports})")
    };
    let sev = ctx.attempt_severity(Severity::Medium);
    let msg = format!(
        "{} opened a port-forward to pod {}{ports}{}",
        ctx.who(),
        ctx.target(),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}

use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-nodes-proxy",
        severity: Severity::High,
        groups: &["audit"],
        summary: "Someone used `nodes/proxy`: the kubelet's API, through the API server",
        remediation: "Find out why the identity talks to the kubelet; remove `nodes/proxy` from its roles unless it is a monitoring agent that needs it, and then restrict it to `get` on metrics paths.",
        docs: r#"## What it does
Alerts on every request to the `proxy` subresource of nodes, with the
kubelet path from the request URI. The control plane and nodes are not
reported.

## Why it matters
`nodes/proxy` reaches the kubelet API of any node: `/exec`, `/run` and
`/attach` on every pod of that node, without a `pods/exec` permission and
without an exec event in the audit log (the kubelet does not write one).
It is a known escalation path, used by attackers who found it granted to
monitoring tools.

## How to respond
Read the path (`requestURI`): `/metrics` and `/stats` are monitoring;
`/exec`, `/run`, `/attach`, `/portForward` are commands in pods. Treat
those as `audit-pod-exec` on every pod of the node.

## False positives
Prometheus and other monitoring that scrape kubelets through the API
server. Add an exception for their service account.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes",
            "https://attack.mitre.org/techniques/T1609/",
        ],
        default_enabled: true,
    },
    mitre: &["T1609", "T1613"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "nodes" || ev.subresource() != "proxy" || ctx.facts.trusted {
        return;
    }
    let path = ev
        .request_uri
        .split_once("/proxy")
        .map(|(_, p)| p.to_string())
        .unwrap_or_default();
    let dangerous = ["/exec", "/run", "/attach", "/portForward", "/cri", "/pods"]
        .iter()
        .any(|p| path.starts_with(p));
    let sev = if dangerous {
        Severity::Critical
    } else {
        Severity::High
    };
    let sev = ctx.attempt_severity(sev);
    let msg = format!(
        "{} reached the kubelet of node {} through the API server (path {}){}",
        ctx.who(),
        ctx.target(),
        if path.is_empty() { "/" } else { &path },
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}

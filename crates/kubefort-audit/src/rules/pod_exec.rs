use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};
use crate::identity::Kind;

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-pod-exec",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "Someone ran a command in, or attached to, a container (`kubectl exec`/`attach`)",
        remediation: "Confirm who ran the command and why; if nobody can explain it, treat the pod as compromised: capture it, rotate the secrets it mounts, and remove `pods/exec` from the identity's roles.",
        docs: r#"## What it does
Alerts on every request to the `exec` and `attach` subresources of a pod
(`kubectl exec`, `kubectl attach`, `kubectl debug` without a copy), with the
command from the request URI. It is judged when the connection is upgraded
(`ResponseStarted`), so a live session is reported while it runs, and once
only. An identity of the control plane or a node is not reported. A service
account doing it is high: workloads have no business opening shells in
other pods.

## Why it matters
A shell in a container is the most direct hands-on-keyboard technique in
Kubernetes: it reads the pod's mounted secrets and service-account token,
and reaches whatever the pod can reach. Attackers with stolen credentials
use it first.

## How to respond
Look at the command (`requestURI`), the identity and the source address.
Unexpected: isolate the pod, rotate the credentials it holds, and review
the roles that grant `create` on `pods/exec`.

## False positives
Operators debugging production, and tools built on exec (backup agents,
`kubectl cp`). Add an exception for the people or the tool's account:
`{rules: [audit-pod-exec], groups: [sre]}`.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/debug/debug-application/get-shell-running-container/",
            "https://attack.mitre.org/techniques/T1609/",
        ],
        default_enabled: true,
    },
    mitre: &["T1609"],
    falco: &["Attach/Exec Pod"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "pods" || !matches!(ev.subresource(), "exec" | "attach") {
        return;
    }
    if !matches!(&*ev.verb, "create" | "get") || ctx.facts.trusted {
        return;
    }
    let command = ev.query_values("command").join(" ");
    let container = ev.query_values("container").join(",");
    let what = if ev.subresource() == "exec" {
        if command.is_empty() {
            "ran a command".to_string()
        } else {
            format!("ran `{command}`")
        }
    } else {
        "attached".to_string()
    };
    let in_container = if container.is_empty() {
        String::new()
    } else {
        format!(" (container {container})")
    };
    let severity = if ctx.facts.kind == Kind::ServiceAccount {
        Severity::High
    } else {
        Severity::Medium
    };
    let severity = ctx.attempt_severity(severity);
    let msg = format!(
        "{} {what} in pod {}{in_container}{}",
        ctx.who(),
        ctx.target(),
        ctx.outcome()
    );
    ctx.report_with(severity, msg);
}

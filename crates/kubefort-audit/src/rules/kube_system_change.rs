use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-kube-system-change",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "Something in kube-system (or another system namespace) was changed by an identity outside the control plane",
        remediation: "Confirm the change with the platform team; revert it if nobody owns it, and keep write access to system namespaces to the cluster's installers.",
        docs: r#"## What it does
Alerts on creates, updates, patches and deletions in the namespaces of
`system-namespaces` (default `kube-system`, `kube-public`,
`kube-node-lease`), and of those namespaces themselves, by identities
outside the control plane, the nodes and kube-system's own service
accounts. Subresources reported by their own rules (exec, attach,
port-forward, ephemeral containers, tokens) are left to them. High for
pods, workloads, service accounts, secrets, RBAC objects and the
namespaces themselves.

## Why it matters
kube-system runs the cluster's most privileged components; a pod there
inherits a privileged namespace, a service account there is mistaken for
a component, and a secret there may be a controller's token. Attackers
hide in it because nobody looks.

## How to respond
Identify the object and the identity; revert unexplained changes, and
check the new objects' permissions.

## False positives
Add-on installations by administrators and GitOps agents: add the agent
to `known-controllers`, or an exception by user.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces",
            "https://attack.mitre.org/techniques/T1610/",
            "https://attack.mitre.org/techniques/T1136/",
        ],
        default_enabled: true,
    },
    mitre: &["T1610", "T1136"],
    falco: &["Pod Created in Kube Namespace", "Service Account Created in Kube Namespace"],
    check,
};

const HIGH: &[&str] = &[
    "pods",
    "deployments",
    "daemonsets",
    "statefulsets",
    "replicasets",
    "jobs",
    "cronjobs",
    "serviceaccounts",
    "secrets",
    "roles",
    "rolebindings",
    "namespaces",
    "configmaps",
];

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if !ctx.facts.write || ctx.facts.trusted {
        return;
    }
    if matches!(
        ev.subresource(),
        "exec" | "attach" | "portforward" | "ephemeralcontainers" | "token" | "proxy"
    ) {
        return;
    }
    let system = &ctx.settings.config.system_namespaces;
    let in_system = system.iter().any(|n| n == ev.namespace())
        || (ev.resource() == "namespaces" && system.iter().any(|n| n == ev.name()));
    if !in_system {
        return;
    }
    let sev = if HIGH.contains(&ev.resource()) {
        Severity::High
    } else {
        Severity::Medium
    };
    let sev = ctx.attempt_severity(sev);
    let msg = format!(
        "{} {} {} {}{}",
        ctx.who(),
        super::verb_past(&ev.verb),
        ev.resource_path(),
        ctx.target(),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}

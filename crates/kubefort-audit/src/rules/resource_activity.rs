use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-resource-activity",
        severity: Severity::Info,
        groups: &["audit"],
        summary: "Activity record: deployments, services, configmaps, namespaces, service accounts, RBAC objects and secrets created or deleted (off by default)",
        remediation: "Nothing to fix: an activity record for investigations.",
        docs: r#"## What it does
Records every successful creation and deletion of Deployments, Services,
ConfigMaps, Namespaces, ServiceAccounts, Roles, ClusterRoles,
RoleBindings, ClusterRoleBindings and Secrets by identities outside the
control plane, at `info` (never fails a run). Off by default: select it
for a change trail.

## Why it matters
During an investigation, "what did this identity create or delete" is the
first question; this answers it from the audit log alone.

## How to respond
Nothing by itself.

## False positives
Every deployment pipeline: this is a record, not a detection.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/",
            "https://attack.mitre.org/techniques/T1610/",
        ],
        default_enabled: false,
    },
    mitre: &["T1610", "T1098"],
    falco: &[
        "K8s Deployment Created", "K8s Deployment Deleted", "K8s Service Created", "K8s Service Deleted",
        "K8s ConfigMap Created", "K8s ConfigMap Deleted", "K8s Namespace Created", "K8s Namespace Deleted",
        "K8s Serviceaccount Created", "K8s Serviceaccount Deleted", "K8s Role/Clusterrole Created",
        "K8s Role/Clusterrole Deleted", "K8s Role/Clusterrolebinding Created", "K8s Role/Clusterrolebinding Deleted",
        "K8s Secret Created", "K8s Secret Deleted",
    ],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ctx.facts.trusted
        || !matches!(&*ev.verb, "create" | "delete")
        || !ev.subresource().is_empty()
        || !ev.succeeded()
        || !matches!(
            ev.resource(),
            "deployments"
                | "services"
                | "configmaps"
                | "namespaces"
                | "serviceaccounts"
                | "roles"
                | "clusterroles"
                | "rolebindings"
                | "clusterrolebindings"
                | "secrets"
        )
    {
        return;
    }
    let msg = format!(
        "{} {} {} {}",
        ctx.who(),
        super::verb_past(&ev.verb),
        ev.resource().trim_end_matches('s'),
        ctx.target()
    );
    ctx.report(msg);
}

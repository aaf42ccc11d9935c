use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-untrusted-node",
        severity: Severity::High,
        groups: &["audit"],
        summary: "A Node object was registered by an identity that is not that node's kubelet",
        remediation: "Delete the Node unless it is a reviewed registration, and find out where the credential that created it came from.",
        docs: r#"## What it does
Alerts on the creation of Node objects by anyone other than the node's
own kubelet (`system:node:NAME` in `system:nodes`) and the control plane
(cloud controllers). A refused attempt is reported at a lower severity.

## Why it matters
A rogue node receives pods, and with them their secrets and service
account tokens; the scheduler trusts any Ready node. Registering one with
stolen bootstrap or admin credentials is a known persistence technique.

## How to respond
Check the identity and address; delete the Node and cordon nothing else
until you know which credential was used.

## False positives
Tools that pre-create Node objects (virtual kubelets register as their
own user: add them to `known-controllers`).
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/node/",
            "https://attack.mitre.org/techniques/T1078/",
        ],
        default_enabled: true,
    },
    mitre: &["T1078", "T1098"],
    falco: &[
        "Untrusted Node Successfully Joined the Cluster",
        "Untrusted Node Unsuccessfully Tried to Join the Cluster",
    ],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "nodes" || !ev.subresource().is_empty() || ev.verb != "create" {
        return;
    }
    let name = ctx.target();
    let own = ctx.who() == format!("system:node:{name}")
        && ctx.facts.actor.groups.iter().any(|g| g == "system:nodes");
    if own || (ctx.facts.trusted && ctx.facts.kind != crate::identity::Kind::Node) {
        return;
    }
    let sev = ctx.attempt_severity(Severity::High);
    let msg = format!("{} registered node {name}{}", ctx.who(), ctx.outcome());
    ctx.report_with(sev, msg);
}

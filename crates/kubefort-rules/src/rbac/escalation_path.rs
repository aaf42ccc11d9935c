use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_rbac::graph::{EscalationGraph, Node};

use super::{rbac, report_binding, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-escalation-path",
        severity: Severity::Critical,
        groups: &["rbac"],
        summary: "An identity that is not cluster-admin has a path to cluster-admin",
        remediation: "Break the first step: remove the permission it starts with, or move the powerful identity it reaches out of its reach.",
        docs: r#"## What it does
Builds the escalation graph of the inputs (identities, capabilities, and the
techniques that lead from one to the next: running pods as a namespace's
service accounts, reading token Secrets, creating tokens, impersonation,
`bind`/`escalate`, `nodes/proxy`, CSR approval, mutating webhooks) and flags
every user, group and service account that is not cluster-admin but can
become it. The finding is at the binding subject that grants the first step,
and its message lists every step. `kubefort rbac paths` prints the same
paths with each step's evidence.

## Why it matters
Reviews look at one role at a time; attackers chain them. "Can create
Deployments in `ci`" is harmless until a cluster-admin service account lives
in `ci`: then it is cluster-admin.

## Example
```yaml
kind: RoleBinding          # deployer may create Deployments in ci ...
metadata: {name: deployer, namespace: ci}
roleRef: {kind: Role, name: deployer}
subjects: [{kind: ServiceAccount, name: deployer}]   # flagged
---
kind: ClusterRoleBinding   # ... where ops-bot is cluster-admin
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: ops-bot, namespace: ci}]
```

## How to fix
Move powerful service accounts into namespaces of their own that only
administrators can deploy to, and remove the permissions the path starts
with.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalation-paths",
            "https://attack.mitre.org/techniques/T1078/",
            "https://attack.mitre.org/techniques/T1098/006/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    let rb = rbac(ctx);
    let m = &rb.model;
    let g = EscalationGraph::build(m);
    let mut found = Vec::new();
    for p in g.all_paths(&Node::ClusterAdmin) {
        if p.is_direct() || !p.first_grant_is_own(m) {
            continue;
        }
        let (_, _, first) = &p.steps[0];
        let Some((b, s)) = first
            .evidence
            .iter()
            .filter_map(|e| e.binding)
            .find(|&(b, s)| {
                let subj = &m.bindings[b].subjects[s];
                match &p.from {
                    Node::Group(gr) => subj.kind == "Group" && &subj.name == gr,
                    _ => subj.kind != "Group",
                }
            })
        else {
            continue;
        };
        let steps: Vec<String> = p
            .steps
            .iter()
            .map(|(_, to, st)| format!("[{}] {} → {}", st.technique, st.detail, to.describe(m)))
            .collect();
        let msg = format!(
            "{} can become cluster-admin in {} {}: {}",
            p.from.describe(m),
            p.steps.len(),
            if p.steps.len() == 1 { "step" } else { "steps" },
            steps.join("; ")
        );
        found.push((b, s, msg));
    }
    for (b, s, msg) in found {
        report_binding(ctx, rb, b, Some(s), Severity::Critical, msg);
    }
}

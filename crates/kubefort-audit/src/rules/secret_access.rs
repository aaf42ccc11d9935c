use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};
use crate::identity::Kind;

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-secret-access",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "Secrets were read or listed by an identity that is neither a controller nor a workload that mounts them",
        remediation: "Confirm the identity needs the secret; if not, rotate the secret's values and narrow the identity's role to `resourceNames` it uses.",
        docs: r#"## What it does
Alerts on `get`, `list` and `watch` of secrets, except by:
- the control plane, nodes (the Node authorizer limits them to their pods'
  secrets), kube-system's service accounts and configured controllers;
- a workload's service account reading a secret that one of its pods
  mounts or references (volumes, projected volumes, env, envFrom, image
  pull secrets), as learned from the pod creations in the same stream;
- Helm reading its release records (`sh.helm.release.v1.*`, `owner=helm`).

Listing or watching secrets is high (every secret of the namespace, or of
the cluster, in one response); a workload reading a secret in another
namespace is high; other reads are medium; refused attempts are one step
lower.

## Why it matters
Secrets hold database passwords, API keys, TLS keys and tokens. Falco's
"secret get" rule fires on every controller; this rule knows who is
supposed to read what, so what remains is someone reading what they do not
use.

## How to respond
Check which secret, by whom, from where. A workload reading others'
secrets, or a person listing them: rotate the values and review the role
that allowed it.

## False positives
Operators that manage secrets (external-secrets, cert-manager, Vault
agents) — add them to `known-controllers`; people reading secrets while
debugging — exception by group. Workloads reading secrets they do not
mount (an application fetching its own TLS secret through the API) —
exception by user and name. Pods created before the log starts are not
known to mount anything: analyse a period that begins with them, or add
exceptions.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
            "https://attack.mitre.org/techniques/T1552/007/",
        ],
        default_enabled: true,
    },
    mitre: &["T1552.007"],
    falco: &["K8s Secret Get Successfully", "K8s Secret Get Unsuccessfully Tried"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "secrets"
        || !ev.subresource().is_empty()
        || !matches!(&*ev.verb, "get" | "list" | "watch")
        || ctx.facts.trusted
    {
        return;
    }
    if ev.name().starts_with("sh.helm.release.v1.")
        || ev.request_uri.contains("owner%3Dhelm")
        || ev.request_uri.contains("owner=helm")
    {
        return;
    }
    let ns = ev.namespace();
    let sa = crate::detect::actor_sa(ctx.facts);
    let severity = if ev.verb != "get" {
        Severity::High
    } else if let (Some((sa_ns, sa_name)), Kind::ServiceAccount) = (sa, ctx.facts.kind) {
        if sa_ns != ns {
            Severity::High
        } else if ctx
            .state
            .mounts
            .get(&(ns.to_string(), ev.name().to_string()))
            .is_some_and(|users| users.iter().any(|u| u == sa_name))
        {
            return;
        } else {
            Severity::Medium
        }
    } else {
        Severity::Medium
    };
    let severity = ctx.attempt_severity(severity);
    let what = match &*ev.verb {
        "get" => format!("read secret {}", ctx.target()),
        verb => {
            let scope = if ns.is_empty() {
                "in every namespace".to_string()
            } else {
                format!("in namespace {ns}")
            };
            format!("{} secrets {scope}", super::verb_past(verb))
        }
    };
    let why = match (sa, ctx.facts.kind) {
        (Some(_), Kind::ServiceAccount) if ev.verb == "get" => ", which none of its pods mounts",
        _ => "",
    };
    let msg = format!("{} {what}{why}{}", ctx.who(), ctx.outcome());
    ctx.report_with(severity, msg);
}

use kubefort_core::{RuleMeta, Severity};
use serde_json::Value;

use super::{AuditRule, Ctx};
use crate::identity::Kind;

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-sa-token-request",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "A non-system identity requested a service-account token (`kubectl create token`, TokenRequest)",
        remediation: "Find out why a token was minted outside the kubelet; revoke it by deleting the bound object or rotating the service account, and remove `create` on `serviceaccounts/token` from the identity's roles.",
        docs: r#"## What it does
Alerts on `create` of the `token` subresource of service accounts by any
identity other than the kubelets and the control plane (which request the
tokens pods mount). High when the token is for a service account of
kube-system, when a workload's service account asks for another account's
token, or when the requested lifetime exceeds a day.

## Why it matters
A TokenRequest mints a valid credential for the service account, usable
from anywhere until it expires, and invisible afterwards: the token is in
the response only. Attackers with `serviceaccounts/token` turn it into the
permissions of any account in reach, typically a controller's.

## How to respond
Check the account and the requested lifetime. Unexplained: rotate the
service account's signing binding (delete and recreate the account, or
the bound object), and review the identity's roles.

## False positives
CI pipelines minting short-lived deploy tokens, `kubectl create token` by
administrators. Exception by user or by the account's name.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/",
            "https://attack.mitre.org/techniques/T1528/",
        ],
        default_enabled: true,
    },
    mitre: &["T1528"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "serviceaccounts" || ev.subresource() != "token" || ev.verb != "create" {
        return;
    }
    if ctx.facts.trusted {
        return;
    }
    let seconds = ctx
        .lazy
        .request_object(ev)
        .and_then(|o| o.pointer("/spec/expirationSeconds"))
        .and_then(Value::as_i64);
    let other_account = match crate::detect::actor_sa(ctx.facts) {
        Some((ns, name)) => {
            ctx.facts.kind == Kind::ServiceAccount && (ns != ev.namespace() || name != ev.name())
        }
        None => false,
    };
    let high =
        ev.namespace() == "kube-system" || other_account || seconds.is_some_and(|s| s > 86_400);
    let sev = ctx.attempt_severity(if high {
        Severity::High
    } else {
        Severity::Medium
    });
    let lifetime = seconds
        .map(|s| format!(" valid for {s} s"))
        .unwrap_or_default();
    let msg = format!(
        "{} requested a token{lifetime} for service account {}{}",
        ctx.who(),
        ctx.target(),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}

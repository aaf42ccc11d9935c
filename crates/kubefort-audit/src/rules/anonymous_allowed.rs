use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};
use crate::identity::Kind;

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-anonymous-allowed",
        severity: Severity::High,
        groups: &["audit"],
        summary: "An anonymous (unauthenticated) request was allowed",
        remediation: "Remove the bindings that grant `system:anonymous` or `system:unauthenticated` anything beyond the public discovery roles, or start the API server with `--anonymous-auth=false`.",
        docs: r#"## What it does
Alerts on requests by `system:anonymous` (or any member of
`system:unauthenticated`) that the authorizer allowed, except the public
endpoints the default policy opens to everyone: `/healthz`, `/livez`,
`/readyz`, `/version` and service-account issuer discovery
(`/.well-known/openid-configuration`, `/openid/v1/jwks`).

## Why it matters
Anything anonymous users may do, the whole network may do. Clusters have
been taken over within minutes of a binding to `system:anonymous`.

## How to respond
Find the binding named in the authorizer's reason (`decision` and
`authorization.k8s.io/reason` in the event), delete it, and look for what
anonymous users did while it existed.

## False positives
Public endpoints you opened on purpose. Exception by resource.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests",
            "https://attack.mitre.org/techniques/T1078/001/",
        ],
        default_enabled: true,
    },
    mitre: &["T1078.001", "T1190"],
    falco: &["Anonymous Request Allowed"],
    check,
};

const PUBLIC: &[&str] = &[
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/.well-known/openid-configuration",
    "/openid/v1/jwks",
];

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ctx.facts.kind != Kind::Anonymous {
        return;
    }
    let allowed = ev.decision() == Some("allow") || (ev.decision().is_none() && ev.succeeded());
    if !allowed {
        return;
    }
    let path = ev.request_uri.split('?').next().unwrap_or("");
    if PUBLIC
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        return;
    }
    let msg = format!(
        "anonymous request allowed: {} {}{}",
        ev.verb,
        ev.request_uri,
        ctx.outcome()
    );
    ctx.report(msg);
}

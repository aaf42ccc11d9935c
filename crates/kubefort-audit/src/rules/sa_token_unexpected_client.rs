use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};
use crate::detect::{bound, in_cidrs};
use crate::identity::Kind;

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-sa-token-unexpected-client",
        severity: Severity::High,
        groups: &["audit"],
        summary: "A service-account token was used by a hand-held client (curl, python, kubectl), from outside the pod network, or from a second address",
        remediation: "Treat the token as stolen: find the pod it belongs to (`user.extra` names it), rotate the token (delete the pod or the account's secret), and look at what the requests did.",
        docs: r#"## What it does
Alerts on requests authenticated as a service account (outside the control
plane) when:
- the user agent starts with one of `suspicious-user-agents` (curl, wget,
  python-requests, python-urllib, Go's default client, kubectl, attack
  tools; the list is configurable): workloads use their client library,
  people with a stolen token use curl;
- `service-account-cidrs` is set and the source address is outside it: the
  token left the cluster;
- the same credential (the token's `credential-id`, else the account and
  its bound pod) was first used from another address: one token, two
  places.

One alert per request; the third case once per new address.

## Why it matters
A pod's token is the credential attackers steal first (from a compromised
container, a leaked log, a node's disk). Its use from a shell tool or from
outside the cluster is the clearest sign it is not in its owner's hands.

## How to respond
Identify the pod (`authentication.kubernetes.io/pod-name` in the event's
`user.extra`). Rotate the token by deleting the pod (bound tokens die with
it) or the account's token Secret; investigate the pod it came from.

## False positives
Debugging from inside a pod with curl; jobs that use kubectl on purpose
(add exceptions for their accounts); nodes whose addresses are outside the
configured CIDRs (add them).
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-tokens",
            "https://attack.mitre.org/techniques/T1528/",
            "https://attack.mitre.org/techniques/T1550/001/",
        ],
        default_enabled: true,
    },
    mitre: &["T1528", "T1550.001"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    if !matches!(
        ctx.facts.kind,
        Kind::ServiceAccount | Kind::KubeSystemServiceAccount
    ) || ctx.settings.known_controller(ctx.facts.actor)
    {
        return;
    }
    let ev = ctx.ev;
    let ua = ev.user_agent.to_ascii_lowercase();
    let mut reasons: Vec<String> = Vec::new();
    if let Some(p) = ctx
        .settings
        .user_agents
        .iter()
        .find(|p| !p.is_empty() && ua.starts_with(p.as_str()))
    {
        reasons.push(format!(
            "with the user agent {:?} (matches {p:?})",
            ev.user_agent
        ));
    }
    let ip = ev
        .source_ips
        .first()
        .map(|s| s.to_string())
        .unwrap_or_default();
    if !ctx.settings.cidrs.is_empty() && !ip.is_empty() && !in_cidrs(&ctx.settings.cidrs, &ip) {
        reasons.push(format!("from {ip}, outside the service-account networks"));
    }
    if !ip.is_empty() {
        let extra = &ctx.facts.actor.extra;
        let first = |k: &str| extra.get(k).and_then(|v| v.first()).map(|s| s.to_string());
        let key = first("authentication.kubernetes.io/credential-id").unwrap_or_else(|| {
            format!(
                "{}|{}",
                ctx.who(),
                first("authentication.kubernetes.io/pod-uid").unwrap_or_default()
            )
        });
        match ctx.state.credential_ips.get(&key) {
            Some(seen) if *seen != ip => {
                reasons.push(format!(
                    "from {ip}, while the same credential was first used from {seen}"
                ));
                // Report each new address once.
                ctx.state.credential_ips.insert(key, ip.clone());
            }
            Some(_) => {}
            None => {
                bound(&mut ctx.state.credential_ips);
                ctx.state.credential_ips.insert(key, ip.clone());
            }
        }
    }
    if reasons.is_empty() {
        return;
    }
    let target = if ev.resource().is_empty() {
        ev.request_uri.to_string()
    } else {
        format!("{} {}", ev.resource_path(), ctx.target())
    };
    let msg = format!(
        "service account token of {} used {} to {} {target}{}",
        ctx.who(),
        reasons.join(", and "),
        ev.verb,
        ctx.outcome()
    );
    ctx.report(msg);
}

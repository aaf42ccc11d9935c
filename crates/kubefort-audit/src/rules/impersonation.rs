use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};
use crate::identity::{classify, Kind};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-impersonation",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "A request was made while impersonating another user (`--as`, `Impersonate-User`)",
        remediation: "Confirm the impersonation; remove `impersonate` from the impersonator's roles unless it is an authenticating proxy, and limit it with `resourceNames`.",
        docs: r#"## What it does
Alerts on every request carrying `impersonatedUser`: the authenticated
user acted as another identity. High when the impersonated identity is in
`system:masters`, is a control-plane or node identity, or a service
account of kube-system. Authenticating proxies configured as known
controllers are not reported.

## Why it matters
Impersonation turns `impersonate` permission into every permission of the
impersonated identity, and the audit log's `user` field then names the
impersonator only in this event. Attackers impersonate `system:masters`
members or controllers to hide among routine traffic.

## How to respond
Look at who impersonated whom and what they did; without a reason, remove
the impersonator's `impersonate` grant and rotate its credentials.

## False positives
Administrators testing permissions (`kubectl auth can-i --as`), and
authenticating proxies (add them to `known-controllers`).
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation",
            "https://attack.mitre.org/techniques/T1078/",
        ],
        default_enabled: true,
    },
    mitre: &["T1078", "T1134"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    let Some(target) = ev.impersonated_user.as_ref() else {
        return;
    };
    // The impersonator, not the impersonated, decides whether it is routine.
    let real = &ev.user;
    if matches!(classify(real), Kind::ControlPlane) || ctx.settings.known_controller(real) {
        return;
    }
    let privileged = target.groups.iter().any(|g| g == "system:masters")
        || matches!(
            classify(target),
            Kind::ControlPlane | Kind::Node | Kind::KubeSystemServiceAccount
        );
    let sev = ctx.attempt_severity(if privileged {
        Severity::High
    } else {
        Severity::Medium
    });
    let groups = if target.groups.is_empty() {
        String::new()
    } else {
        format!(
            " (groups {})",
            target
                .groups
                .iter()
                .map(|g| g.as_ref())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let msg = format!(
        "{} impersonated {}{groups} to {} {}{}",
        real.username,
        target.username,
        ev.verb,
        if ev.resource().is_empty() {
            ev.request_uri.to_string()
        } else {
            format!("{} {}", ev.resource_path(), ctx.target())
        },
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}

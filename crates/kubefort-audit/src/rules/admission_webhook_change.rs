use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-admission-webhook-change",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "An admission webhook or admission policy was created, changed or deleted",
        remediation: "Confirm the change with the owner of the admission control; restore a deleted or weakened policy, and review who may write admissionregistration objects.",
        docs: r#"## What it does
Alerts on writes to ValidatingWebhookConfigurations,
MutatingWebhookConfigurations, ValidatingAdmissionPolicies and their
bindings, and MutatingAdmissionPolicies and their bindings, by anyone but
the control plane. Deletions, updates and patches are high (a control
weakened); creations are medium (a new mutating webhook sees, and may
change, every object it selects).

## Why it matters
Admission control is where policy is enforced: deleting a validating
webhook or adding an exemption turns policy off without a trace in the
policy engine. A malicious mutating webhook injects containers into every
new pod, or reads every Secret written.

## How to respond
Diff the object with its source in Git; restore it. For a new webhook,
check where its service points and what it selects.

## False positives
Installing or upgrading operators (cert-manager, policy engines) — their
installer's identity. Exception by user or name.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/",
            "https://attack.mitre.org/techniques/T1562/001/",
        ],
        default_enabled: true,
    },
    mitre: &["T1562.001", "T1554"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.api_group() != "admissionregistration.k8s.io"
        || !ctx.facts.write
        || ctx.facts.trusted
        || !matches!(
            ev.resource(),
            "validatingwebhookconfigurations"
                | "mutatingwebhookconfigurations"
                | "validatingadmissionpolicies"
                | "validatingadmissionpolicybindings"
                | "mutatingadmissionpolicies"
                | "mutatingadmissionpolicybindings"
        )
    {
        return;
    }
    let sev = if ev.verb == "create" {
        Severity::Medium
    } else {
        Severity::High
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

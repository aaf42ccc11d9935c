use kubefort_core::{RuleMeta, Severity};
use serde_json::Value;

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-csr-approval",
        severity: Severity::High,
        groups: &["audit"],
        summary: "A CertificateSigningRequest was approved by someone other than the control plane",
        remediation: "Check the CSR's subject and signer; if it was not expected, revoke what it grants (delete bindings to its user, rotate the CA if it signs client certificates for `system:masters`) and remove `approve` on `signers` from the approver's roles.",
        docs: r#"## What it does
Alerts on updates and patches of the `approval` subresource of
CertificateSigningRequests by anyone but the control plane (the
kube-controller-manager's approver signs kubelet certificates). Names the
signer when the event carries the object.

## Why it matters
An approved CSR for `kubernetes.io/kube-apiserver-client` is a client
certificate: a credential valid until it expires, that RBAC cannot revoke
and that may claim any group, `system:masters` included. Approving one's
own CSR is a full escalation.

## How to respond
Read the CSR (`kubectl get csr NAME -o yaml`): signer, requested
username and groups. Unexpected: delete it, remove bindings to its user,
and rotate the signing CA if the certificate grants `system:masters`.

## False positives
Manual approval of new nodes' serving certificates. Exception by user.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/",
            "https://attack.mitre.org/techniques/T1649/",
        ],
        default_enabled: true,
    },
    mitre: &["T1649"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "certificatesigningrequests"
        || ev.subresource() != "approval"
        || !matches!(&*ev.verb, "update" | "patch")
        || ctx.facts.trusted
    {
        return;
    }
    let obj = ctx
        .lazy
        .request_object(ev)
        .or_else(|| ctx.lazy.response_object(ev));
    let signer = obj
        .and_then(|o| o.pointer("/spec/signerName"))
        .and_then(Value::as_str)
        .map(|s| format!(" for signer {s}"))
        .unwrap_or_default();
    let approved = obj
        .and_then(|o| o.pointer("/status/conditions"))
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .any(|x| x.get("type").and_then(Value::as_str) == Some("Approved"))
        })
        .unwrap_or(true);
    if !approved {
        return;
    }
    let sev = ctx.attempt_severity(Severity::High);
    let msg = format!(
        "{} approved certificate signing request {}{signer}{}",
        ctx.who(),
        ctx.target(),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}

use kubefort_core::{RuleMeta, Severity};
use serde_json::Value;

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-ephemeral-container",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "Someone added an ephemeral container to a running pod (`kubectl debug`)",
        remediation: "Confirm the debugging session; if unexplained, inspect the image and command of the ephemeral container, and remove `pods/ephemeralcontainers` from the identity's roles.",
        docs: r#"## What it does
Alerts on updates and patches of the `ephemeralcontainers` subresource of a
pod, naming the image of the added container when the event carries the
object (RequestResponse level).

## Why it matters
An ephemeral container joins a running pod: its network, its volumes and,
with `targetContainerName`, its process namespace. An attacker brings an
image full of tools into a pod that had none, and Pod Security admission
is the only control left.

## How to respond
Check the image and the identity. An unknown image in production is an
intrusion: capture the pod, rotate its secrets, and review who may update
`pods/ephemeralcontainers`.

## False positives
`kubectl debug` sessions by on-call engineers. Exception by group.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/",
            "https://attack.mitre.org/techniques/T1609/",
        ],
        default_enabled: true,
    },
    mitre: &["T1609", "T1610"],
    falco: &["EphemeralContainers Created"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "pods"
        || ev.subresource() != "ephemeralcontainers"
        || !matches!(&*ev.verb, "update" | "patch")
        || ctx.facts.trusted
    {
        return;
    }
    let image = ctx
        .lazy
        .request_object(ev)
        .or_else(|| ctx.lazy.response_object(ev))
        .and_then(|o| {
            o.pointer("/spec/ephemeralContainers")
                .and_then(Value::as_array)
                .and_then(|a| a.last())
        })
        .map(|c| {
            format!(
                " {} (image {})",
                c.get("name").and_then(Value::as_str).unwrap_or("?"),
                c.get("image").and_then(Value::as_str).unwrap_or("?")
            )
        })
        .unwrap_or_default();
    let sev = ctx.attempt_severity(Severity::Medium);
    let msg = format!(
        "{} added an ephemeral container{image} to pod {}{}",
        ctx.who(),
        ctx.target(),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}

use kubefort_core::{RuleMeta, Severity};

use super::{images, writes_pod_spec, AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-disallowed-image",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "A pod or workload with an image outside the configured `allowed-images` was created or changed",
        remediation: "Use images from the allowed registries, or add the registry to `audit.allowed-images`; enforce the list at admission as well.",
        docs: r#"## What it does
When `audit.allowed-images` is set (image prefixes such as
`registry.example.com/`), alerts on writes of pods and workloads with a
container, init container or ephemeral container image that starts with
none of them. Silent when the list is empty. Controllers creating pods
from templates are not reported (the template's author is).

## Why it matters
Attackers run their own tooling images (miners, scanners, shells);
images from unvetted registries are also the supply-chain risk.

## How to respond
Check the image and who deployed it; remove it if unknown.

## False positives
New registries not yet listed.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/containers/images/",
            "https://attack.mitre.org/techniques/T1610/",
        ],
        default_enabled: true,
    },
    mitre: &["T1610", "T1204.003"],
    falco: &["Create Disallowed Pod"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let allowed = &ctx.settings.config.allowed_images;
    if allowed.is_empty() || ctx.facts.trusted || !writes_pod_spec(ctx.ev) {
        return;
    }
    let Some(obj) = ctx.lazy.written_object(ctx.ev) else {
        return;
    };
    let bad: Vec<String> = images(obj, ctx.ev.resource())
        .into_iter()
        .filter(|i| !allowed.iter().any(|p| i.starts_with(p.as_str())))
        .collect();
    if bad.is_empty() {
        return;
    }
    let sev = ctx.attempt_severity(Severity::Medium);
    let msg = format!(
        "{} {} {} {} with images outside allowed-images: {}{}",
        ctx.who(),
        super::verb_past(&ctx.ev.verb),
        super::kind_of(ctx.ev.resource()).unwrap_or("object"),
        ctx.target(),
        bad.join(", "),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{FieldPath, ObjectCtx, Severity};

use super::scan_named;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "credential-in-annotation",
        severity: Severity::High,
        groups: &["secrets"],
        summary: "An annotation holds a credential",
        remediation: "Remove the credential from the annotation, keep it in a Secret that is not committed in clear, and rotate it.",
        docs: r#"## What it does
Looks at the annotations of every object (and of pod templates) and flags
values that hold a recognisable credential, or a random-looking value under
a password-like key (see `credential-in-env` for the formats and the
exclusions). `kubectl.kubernetes.io/last-applied-configuration` is skipped
(it repeats the object, whose fields the other rules check), and so are
`checksum/…` annotations (hashes of other objects, set by Helm charts). The value is
never printed.

## Why it matters
Annotations are metadata: every tool, controller and person that can read
the object reads them, they are copied into events and logs, and no
encryption at rest covers them. Tokens for webhooks, notification services
and registries end up there more often than one would think.

## Example
```yaml
metadata:
  annotations:
    notifications.argoproj.io/subscribe.on-sync.slack: alerts    # fine
    ci.example.com/token: ghp_Zq3v8RkT1mWx9bYcN4pLs7dHf2gJa6eUo0iK   # flagged
```

## How to fix
Rotate the credential and reference a Secret from the tool that reads the
annotation.

Peers: Kubescape C-0012 (sensitive data in configuration).
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/",
            "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn scan(ctx: &mut ObjectCtx<'_>, meta: Option<&kubefort_core::Node>, at: FieldPath) {
    let Some(ann) = meta
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.as_map())
    else {
        return;
    };
    let mut out = Vec::new();
    for (key, v) in ann.iter() {
        // The object itself, again; and Helm's checksums of other objects.
        if key == "kubectl.kubernetes.io/last-applied-configuration" || key.starts_with("checksum/")
        {
            continue;
        }
        let Some(value) = v.as_str() else { continue };
        let name = key.rsplit('/').next().unwrap_or(key);
        if let Some(f) = scan_named(name, value) {
            out.push((
                at.key("annotations").key(key),
                format!("annotation {key} holds a credential: {}", f.describe()),
            ));
        }
    }
    for (path, message) in out {
        ctx.report(path, message);
    }
}

fn check(ctx: &mut ObjectCtx<'_>) {
    scan(
        ctx,
        ctx.object.root.get("metadata"),
        FieldPath::root().key("metadata"),
    );
    for spec in ctx.pod_specs() {
        scan(ctx, spec.metadata, spec.metadata_path.clone());
    }
}

use kubefort_core::{RuleMeta, Severity};
use serde_json::Value;

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-configmap-credentials",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "A ConfigMap holding what looks like a credential was created or changed",
        remediation: "Move the credential to a Secret (or an external secret store), rotate it, and delete it from the ConfigMap.",
        docs: r#"## What it does
Looks at the data of created, updated and patched ConfigMaps (the request
body, or the stored object of a patch) for keys or values that name
credentials: AWS access keys (`aws_access_key_id`, `AKIA…` values),
passwords, passphrases, private keys (`-----BEGIN … PRIVATE KEY-----`),
API tokens and secret keys. The control plane and kube-system's accounts
are not reported.

## Why it matters
ConfigMaps are readable by far more identities than Secrets (every `view`
binding), are not encrypted at rest, and end up in logs and Git.

## How to respond
Rotate the credential (it has been exposed) and move it to a Secret.

## False positives
Keys that only name a setting (`password-min-length`). Exception by name.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/configmap/",
            "https://attack.mitre.org/techniques/T1552/",
        ],
        default_enabled: true,
    },
    mitre: &["T1552", "T1552.007"],
    falco: &["Create/Modify Configmap With Private Credentials"],
    check,
};

const KEY_WORDS: &[&str] = &[
    "aws_access_key_id",
    "aws-access-key-id",
    "aws_secret_access_key",
    "aws-secret-access-key",
    "password",
    "passwd",
    "passphrase",
    "secret_key",
    "secret-key",
    "secretkey",
    "api_key",
    "api-key",
    "apikey",
    "access_token",
    "access-token",
    "private_key",
    "private-key",
    "client_secret",
    "client-secret",
];

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "configmaps"
        || !ev.subresource().is_empty()
        || !matches!(&*ev.verb, "create" | "update" | "patch")
        || ctx.facts.trusted
    {
        return;
    }
    let Some(obj) = ctx.lazy.written_object(ev) else {
        return;
    };
    let mut found: Vec<String> = Vec::new();
    for (key, value) in obj
        .get("data")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let k = key.to_ascii_lowercase();
        let v = value.as_str().unwrap_or("");
        let lower = v.to_ascii_lowercase();
        let hit = KEY_WORDS.iter().any(|w| k.contains(w))
            || KEY_WORDS.iter().any(|w| {
                lower.contains(&format!("{w}="))
                    || lower.contains(&format!("{w}:"))
                    || lower.contains(&format!("{w}\":"))
            })
            || v.contains("PRIVATE KEY-----")
            || v.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w.len() == 20 && (w.starts_with("AKIA") || w.starts_with("ASIA")));
        if hit {
            found.push(key.clone());
        }
    }
    if found.is_empty() {
        return;
    }
    let sev = ctx.attempt_severity(Severity::Medium);
    let msg = format!(
        "{} {} ConfigMap {} with credential-like data under {}{}",
        ctx.who(),
        super::verb_past(&ev.verb),
        ctx.target(),
        found.join(", "),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}

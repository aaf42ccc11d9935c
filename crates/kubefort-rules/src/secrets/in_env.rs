use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::{looks_random, scan_named, scan_text, secret_name, Found};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "credential-in-env",
        severity: Severity::High,
        groups: &["secrets"],
        summary: "A container's environment, command or arguments hold a hard-coded credential",
        remediation: "Move the value into a Secret (created by SealedSecrets, External Secrets Operator or Vault, not committed) and reference it with `valueFrom.secretKeyRef` or a mounted file; rotate the exposed credential.",
        docs: r#"## What it does
Looks at the literal `env[].value`, `command` and `args` of containers,
init containers and ephemeral containers, and flags:

- credentials of a recognisable format anywhere in the value: PEM private
  keys, AWS access keys, Google API keys, Azure storage keys and SAS
  tokens, GitHub, GitLab, Slack, Stripe, SendGrid, npm, PyPI, OpenAI and
  Anthropic tokens, Slack webhooks, JSON Web Tokens, and URLs with an
  embedded password (`postgres://app:pw@db`);
- a password-like name (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`,
  `*ACCESS_KEY*`, `*PRIVATE_KEY*`, `*CREDENTIALS*`, …, but not `*_FILE`,
  `*_PATH`, `*_NAME`, `*_REF`, `*_ID`, `*_URL`, `*_TTL`, …) with a
  random-looking value: 8 characters or more, two character classes or
  more, entropy of 3 bits per character or more; in arguments as
  `--password=…` or `--password …`.

Never flagged: `valueFrom` references, Kubernetes `$(VAR)` and shell
`${VAR}` references, templates (`{{ … }}`), paths, and placeholders
(`changeme`, `<password>`, `xxxx`, empty values, AWS's `…EXAMPLE` keys).

Findings never contain the value: only its kind, the public prefix of
well-known token formats (`ghp_…`) and its length.

## Why it matters
A credential in a manifest is in Git history forever, in every clone, in
CI logs, in the API server (readable by anyone who can `get` the
workload, a much wider group than who can read Secrets), and in
`kubectl describe` output.

## Example
```yaml
env:
- name: DB_PASSWORD
  value: "q9W!xz7Lp2#r"            # flagged
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef: {name: db, key: password}   # fine
```

## How to fix
Rotate the credential first: it is compromised. Then keep it in a Secret
that is not committed in clear (SealedSecret, ExternalSecret, Vault) and
reference it.

Peers: kube-linter env-var-secret, Polaris sensitiveContainerEnvVar,
Kubescape C-0012 and C-0259.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
            "https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/",
            "https://cwe.mitre.org/data/definitions/798.html",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    for spec in ctx.pod_specs() {
        for c in spec.all_containers() {
            if let Some(env) = c.node.get("env").and_then(|e| e.as_seq()) {
                for (i, e) in env.iter().enumerate() {
                    let (Some(name), Some(value)) = (e.str_at("name"), e.str_at("value")) else {
                        continue;
                    };
                    if let Some(f) = scan_named(name, value) {
                        ctx.report(
                            c.path.key("env").index(i).key("value"),
                            format!(
                                "environment variable {name} of {} holds a credential: {}",
                                c.describe(),
                                f.describe()
                            ),
                        );
                    }
                }
            }
            for field in ["command", "args"] {
                let Some(list) = c.node.get(field).and_then(|a| a.as_seq()) else {
                    continue;
                };
                let words: Vec<Option<&str>> = list.iter().map(|a| a.as_str()).collect();
                for (i, w) in words.iter().enumerate() {
                    let Some(w) = *w else { continue };
                    if let Some(f) = in_argument(w, words.get(i + 1).copied().flatten()) {
                        ctx.report(
                            c.path.key(field).index(i),
                            format!(
                                "{} passes a credential in its {field}: {}",
                                c.describe(),
                                f.describe()
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// A credential in one argument: a recognisable format, `--password=value`,
/// or `--password` followed by the value (reported on the flag).
fn in_argument(arg: &str, next: Option<&str>) -> Option<Found> {
    if let Some(f) = scan_text(arg) {
        return Some(f);
    }
    let flag = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
    let (name, value) = match flag.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (flag, None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) || !secret_name(name) {
        return None;
    }
    let value = match value {
        Some(v) => v,
        None => next.filter(|n| !n.starts_with('-'))?,
    };
    if scan_text(value).is_some() || !looks_random(value) {
        return None;
    }
    Some(Found {
        kind: "hard-coded value of a credential-named flag",
        prefix: None,
        len: value.trim().chars().count(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn arguments() {
        let a = super::in_argument;
        assert!(a("--password=q9W!xz7Lp2#r", None).is_some());
        assert!(a("--db-password", Some("q9W!xz7Lp2#r")).is_some());
        assert!(a("--password-file=/etc/pw", None).is_none());
        assert!(a("--token", Some("$(TOKEN)")).is_none());
        assert!(a("--token", Some("--verbose")).is_none());
        assert!(a("--secret-name", Some("app-Secret-1")).is_none());
        assert!(a("--enable-skip-login", None).is_none());
    }
}

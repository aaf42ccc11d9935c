use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "secret-as-env-var",
        severity: Severity::Low,
        groups: &["hardening"],
        summary: "A container reads a Secret into environment variables (`secretKeyRef`, `envFrom.secretRef`) (opt-in)",
        remediation: "Mount the Secret as a file (a `secret` volume, read-only) and let the application read it from there.",
        docs: r#"## What it does
Flags `env[].valueFrom.secretKeyRef` and `envFrom[].secretRef` in
containers, init containers and ephemeral containers. Off by default.

## Why it matters
Environment variables leak: they are inherited by every child process,
printed by crash handlers and debug endpoints, visible in
`/proc/<pid>/environ`, and never rotated while the process runs. Files
from a Secret volume can be read once, with file permissions, and are
updated in place when the Secret changes.

## Example
```yaml
env:
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef: {name: db, key: password}   # flagged
```

## How to fix
Mount the Secret as a volume (`readOnly: true`) and point the application
at the file (`DB_PASSWORD_FILE=/secrets/db/password`).

Peers: kube-linter read-secret-from-env-var, kubesec
SecretsAsEnvironmentVariables, Checkov CKV_K8S_35, Kubescape C-0207.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod",
            "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
        ],
        default_enabled: false,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    for spec in ctx.pod_specs() {
        for c in spec.all_containers() {
            if let Some(env) = c.node.get("env").and_then(|e| e.as_seq()) {
                for (i, e) in env.iter().enumerate() {
                    let Some(r) = e
                        .get_path(&["valueFrom", "secretKeyRef"])
                        .filter(|n| !n.is_null())
                    else {
                        continue;
                    };
                    let var = e.str_at("name").unwrap_or("");
                    let secret = r.str_at("name").unwrap_or("");
                    ctx.report(
                        c.path.key("env").index(i).keys("valueFrom.secretKeyRef"),
                        format!(
                            "{} reads Secret {secret:?} into the environment variable {var}",
                            c.describe()
                        ),
                    );
                }
            }
            if let Some(from) = c.node.get("envFrom").and_then(|e| e.as_seq()) {
                for (i, e) in from.iter().enumerate() {
                    let Some(r) = e.get("secretRef").filter(|n| !n.is_null()) else {
                        continue;
                    };
                    let secret = r.str_at("name").unwrap_or("");
                    ctx.report(
                        c.path.key("envFrom").index(i).key("secretRef"),
                        format!(
                            "{} loads every key of Secret {secret:?} into its environment",
                            c.describe()
                        ),
                    );
                }
            }
        }
    }
}

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{FieldPath, ObjectCtx, Severity};

use super::{scan_document, scan_named};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "credential-in-configmap",
        severity: Severity::High,
        groups: &["secrets"],
        summary: "A ConfigMap holds a credential",
        remediation: "Move the credential into a Secret that is not committed in clear (SealedSecrets, External Secrets Operator, Vault) and rotate it.",
        docs: r#"## What it does
Looks at every `data` entry of ConfigMaps. A single-line value is checked
like an environment variable (see `credential-in-env`): a recognisable
credential format, or a password-like key with a random-looking value. A
multi-line value (a configuration file) is checked for recognisable formats
anywhere and for `name = value`, `name: value` and `"name": "value"` lines
with a password-like name and a random-looking value; the finding names the
line inside the value. References (`${VAR}`, `$(VAR)`, `{{ … }}`),
placeholders and paths are never flagged, and the value is never printed.

## Why it matters
ConfigMaps are made for non-confidential data: RBAC grants read access to
them widely (`view` includes ConfigMaps but not Secrets), they are not
encrypted at rest by the usual EncryptionConfiguration, and they are
printed by `kubectl describe`. A credential in one is readable by far more
people and tools than intended.

## Example
```yaml
kind: ConfigMap
data:
  DATABASE_URL: postgres://app:S3cr3t-Pa55@db:5432/app   # flagged
  app.ini: |
    [db]
    password = ${DB_PASSWORD}                             # fine
```

## How to fix
Rotate the credential, move it into a Secret (delivered by SealedSecrets,
External Secrets Operator or Vault) and reference it.

Peers: Polaris sensitiveConfigmapContent, Trivy KSV-0109, Kubescape C-0012.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/configmap/",
            "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    if ctx.object.id.kind != "ConfigMap" {
        return;
    }
    let Some(data) = ctx.object.root.get("data").and_then(|d| d.as_map()) else {
        return;
    };
    let mut out = Vec::new();
    for (key, v) in data.iter() {
        let Some(value) = v.as_str() else { continue };
        let path = FieldPath::root().key("data").key(key);
        if value.contains('\n') {
            if let Some((line, f)) = scan_document(value) {
                out.push((
                    path,
                    format!(
                        "key {key:?}, line {} of the value, holds a credential: {}",
                        line + 1,
                        f.describe()
                    ),
                ));
            }
        } else if let Some(f) = scan_named(key, value) {
            out.push((
                path,
                format!("key {key:?} holds a credential: {}", f.describe()),
            ));
        }
    }
    for (path, message) in out {
        ctx.report(path, message);
    }
}

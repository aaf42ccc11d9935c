use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{FieldPath, ObjectCtx, Severity};

use super::{is_placeholder, looks_random, scan_document, scan_named, secret_name};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "secret-in-manifest",
        severity: Severity::Medium,
        groups: &["secrets"],
        summary: "A Secret's values are committed with the manifests (`data`/`stringData`)",
        remediation: "Commit an encrypted or referenced form instead: a SealedSecret, an ExternalSecret (External Secrets Operator), a Vault Secrets Operator resource, or SOPS-encrypted files; rotate the committed values.",
        docs: r#"## What it does
Flags `Secret` objects whose `data` or `stringData` hold at least one value
that may be a credential: not empty or a placeholder (`changeme`,
`<password>`, `${VAR}`, `{{ … }}`; `data` values are base64-decoded
first), and under a credential-like key (`password`, `token`, `*.key`,
`.dockerconfigjson`, …), binary, or itself credential-like (a recognisable
token format, a configuration file with a password line, a random-looking
value). Settings beside a credential (`url`, `type`, `username`, a VM type)
are not flagged on their own, as in Argo CD's repository Secrets whose
password is added out of band. The finding names the keys, never the
values.

The safe forms are other kinds and are never flagged: `SealedSecret`
(bitnami.com: encrypted for the cluster's controller), `ExternalSecret` and
`ClusterExternalSecret` (external-secrets.io: a reference to a secret
store), `VaultStaticSecret`/`VaultDynamicSecret` (secrets.hashicorp.com),
and `SecretProviderClass` (Secrets Store CSI driver).

## Why it matters
`data` is base64, an encoding, not encryption: a Secret in a repository is
a plaintext credential in every clone and in the history forever, whatever
access control the cluster has.

## Example
```yaml
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData:
  password: q9W!xz7Lp2#r      # flagged
```

## How to fix
Rotate the committed values. Then commit a SealedSecret (`kubeseal`), an
ExternalSecret pointing at your secret manager, or SOPS-encrypted data, and
let a controller create the Secret in the cluster.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
            "https://github.com/bitnami-labs/sealed-secrets",
            "https://external-secrets.io/latest/",
            "https://developer.hashicorp.com/vault/docs/platform/k8s/vso",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

/// Standard base64 (with or without padding); `None` when it is not.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for b in s.bytes().filter(|b| !b.is_ascii_whitespace()) {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Whether a committed value is (or may be) a credential: not a placeholder,
/// and a credential-named key, a key file, binary data, or a value that
/// looks like a credential.
fn credential(key: Option<&str>, v: &str, encoded: bool) -> bool {
    if is_placeholder(v) {
        return false;
    }
    let decoded;
    let text = if encoded {
        match decode_base64(v.trim()) {
            Some(bytes) => match String::from_utf8(bytes) {
                Ok(s) => {
                    decoded = s;
                    decoded.as_str()
                }
                // Binary: keys, keystores.
                Err(e) => return !e.as_bytes().is_empty(),
            },
            // Not base64: the API server rejects it, still a committed value.
            None => v,
        }
    } else {
        v
    };
    if is_placeholder(text) {
        return false;
    }
    let Some(key) = key else { return true };
    let lower = key.to_ascii_lowercase();
    secret_name(key)
        || lower == "key"
        || lower.ends_with(".key")
        || lower.ends_with(".pem")
        || lower.ends_with(".p12")
        || lower.ends_with(".jks")
        || lower.contains("dockerconfig")
        || scan_named(key, text).is_some()
        || scan_document(text).is_some()
        || looks_random(text)
}

fn check(ctx: &mut ObjectCtx<'_>) {
    let id = &ctx.object.id;
    if id.kind != "Secret" || id.api_version != "v1" {
        return;
    }
    let name = id.name.clone().unwrap_or_default();
    for (field, encoded) in [("data", true), ("stringData", false)] {
        let Some(map) = ctx.object.root.get(field).and_then(|d| d.as_map()) else {
            continue;
        };
        let keys: Vec<String> = map
            .iter()
            .filter(|(k, v)| v.as_str().is_some_and(|s| credential(Some(k), s, encoded)))
            .map(|(k, _)| k.to_string())
            .collect();
        if keys.is_empty() {
            continue;
        }
        ctx.report(
            FieldPath::root().key(field),
            format!(
                "Secret {name:?} commits {} value{} in {field} ({}): in source control a Secret is plaintext",
                keys.len(),
                if keys.len() > 1 { "s" } else { "" },
                keys.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64() {
        assert_eq!(super::decode_base64("Y2hhbmdlbWU=").unwrap(), b"changeme");
        assert_eq!(super::decode_base64("YWRtaW4").unwrap(), b"admin");
        assert!(super::decode_base64("not base64!").is_none());
        assert!(!super::credential(None, "Y2hhbmdlbWU=", true));
        assert!(super::credential(
            Some("password"),
            "cTlXIXh6N0xwMiNy",
            true
        ));
        assert!(!super::credential(Some("VMType"), "dm1zcw==", true));
    }
}

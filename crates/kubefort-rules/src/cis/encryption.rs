//! `EncryptionConfiguration` checks (CIS 1.2.28): is a Secret encrypted when
//! the API server writes it, and with what.
//!
//! The API server uses, for each resource, the first `resources` entry that
//! names it (`secrets`, `*.` for every core resource, `*.*` for every
//! resource) and writes with that entry's first provider; the others only
//! read. A resource no entry names is written unencrypted.

use kubefort_core::{FieldPath, Node, ObjectCtx, Rule, Severity};

use super::{cis_rule, CIS_REF};

const ENC_REF: &str = "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/";

fn is_encryption_config(ctx: &ObjectCtx<'_>) -> bool {
    ctx.object.id.kind == "EncryptionConfiguration"
        && matches!(
            ctx.object.id.group(),
            "apiserver.config.k8s.io" | "apiserver.k8s.io"
        )
}

/// The first `resources` entry that covers Secrets, with its index.
fn secrets_entry(root: &Node) -> Option<(usize, &Node)> {
    root.get("resources")?
        .as_seq()?
        .iter()
        .enumerate()
        .find(|(_, e)| {
            e.get("resources").and_then(Node::as_seq).is_some_and(|rs| {
                rs.iter()
                    .filter_map(Node::as_str)
                    .any(|r| matches!(r, "secrets" | "*." | "*.*"))
            })
        })
}

/// The provider type of a provider entry (`aescbc`, `identity`, …).
fn provider_type(p: &Node) -> Option<&str> {
    p.as_map()?.entries.first().map(|e| &*e.key)
}

pub static SECRETS_UNENCRYPTED: Rule = cis_rule! {
    name: "encryption-secrets-unencrypted",
    severity: High,
    summary: "The EncryptionConfiguration writes Secrets unencrypted (CIS 1.2.28)",
    remediation: "Put an encrypting provider (kms v2, secretbox or aesgcm) first in the entry for `secrets`; keep `identity` only last, for reading old data.",
    docs: r#"## What it does
CIS 1.2.28. In an `EncryptionConfiguration`, finds the entry the API server
uses for Secrets (the first naming `secrets`, `*.` or `*.*`) and flags it
when its first provider is `identity`, or when no entry covers Secrets.

## Why it matters
The first provider is the one that writes. With `identity` first, the
configuration looks like encryption at rest but every Secret still lands in
etcd, and in its backups, in plain text.

## Example
```yaml
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - identity: {}   # flagged: writes in plain text
  - aescbc:
      keys: [{name: key1, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]
```

## How to fix
Move the encrypting provider first, restart the API server, and rewrite
every Secret so it is stored encrypted.
"#,
    references: &[CIS_REF, ENC_REF],
    check: |ctx| {
        if !is_encryption_config(ctx) {
            return;
        }
        let root = &ctx.object.root;
        match secrets_entry(root) {
            None => ctx.report(FieldPath::root().key("resources"),
                "CIS 1.2.28: no entry covers `secrets`: Secrets are written to etcd unencrypted"),
            Some((i, e)) => {
                let at = FieldPath::root().key("resources").index(i).key("providers");
                match e.get("providers").and_then(Node::as_seq).and_then(|p| p.first()) {
                    None => ctx.report(at, "CIS 1.2.28: the entry for Secrets has no provider"),
                    Some(p) if provider_type(p) == Some("identity") => ctx.report(at.index(0),
                        "CIS 1.2.28: `identity` is the first provider for Secrets: they are written to etcd unencrypted"),
                    Some(_) => {}
                }
            }
        }
    },
};

pub static WEAK_PROVIDER: Rule = cis_rule! {
    name: "encryption-weak-provider",
    severity: Low,
    summary: "The EncryptionConfiguration writes with a provider upstream no longer recommends (CIS 1.2.28)",
    remediation: "Write with KMS v2 (`kms` with `apiVersion: v2`), or `secretbox`/`aesgcm` with regular key rotation.",
    docs: r#"## What it does
CIS 1.2.28. For every entry of an `EncryptionConfiguration`, flags a first
(writing) provider that is `aescbc` (not recommended upstream: CBC is open to
padding-oracle attacks) or `kms` without `apiVersion: v2` (KMS v1 is
deprecated and disabled by default). `kms` v2, `secretbox` and `aesgcm`
pass; `identity` first is reported by `encryption-secrets-unencrypted`.

## Why it matters
Local-key providers keep the key next to the data it protects; KMS v2 keeps
it in an external key service and rotates data keys itself.

## Example
```yaml
  providers:
  - aescbc:   # flagged
      keys: [{name: key1, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]
```

## How to fix
Switch the first provider to `kms` with `apiVersion: v2` (or `secretbox`),
keep the old provider second to read existing data, and rewrite the data.
"#,
    references: &[CIS_REF, ENC_REF],
    check: |ctx| {
        if !is_encryption_config(ctx) {
            return;
        }
        let Some(entries) = ctx.object.root.get("resources").and_then(Node::as_seq) else {
            return;
        };
        for (i, e) in entries.iter().enumerate() {
            let Some(p) = e.get("providers").and_then(Node::as_seq).and_then(|p| p.first()) else {
                continue;
            };
            let at = FieldPath::root().key("resources").index(i).key("providers").index(0);
            match provider_type(p) {
                Some("aescbc") => ctx.report(at.key("aescbc"),
                    "CIS 1.2.28: `aescbc` writes with AES-CBC, which upstream no longer recommends (padding-oracle attacks)"),
                Some("kms") => {
                    let v2 = p.get("kms").and_then(|k| k.str_at("apiVersion")) == Some("v2");
                    if !v2 {
                        ctx.report_with(Severity::Medium, at.key("kms"),
                            "CIS 1.2.28: KMS v1 is deprecated and disabled by default; the API server may refuse it: use `apiVersion: v2`");
                    }
                }
                _ => {}
            }
        }
    },
};

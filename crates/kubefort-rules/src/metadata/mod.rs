//! Labels and annotations an organisation requires (configured).

pub mod required_annotations;
pub mod required_labels;

use kubefort_core::{FieldPath, ObjectCtx};

/// What `required-labels` and `required-annotations` check.
#[derive(Debug, Default)]
pub struct RequiredKeys {
    /// Keys every object must carry (`team`, `app.kubernetes.io/name`).
    pub keys: Vec<String>,
    /// Kinds the requirement applies to (`Deployment`); empty: every kind.
    pub kinds: Vec<String>,
}

impl RequiredKeys {
    pub(crate) fn validate(&self, field: &str) -> Result<(), String> {
        for k in &self.keys {
            let t = k.trim();
            if t.is_empty() || t.contains(char::is_whitespace) || t.matches('/').count() > 1 {
                return Err(format!(
                    "{field}: {k:?} is not a key (`name` or `prefix/name`)"
                ));
            }
        }
        Ok(())
    }
}

/// Report each required key missing from `metadata.<field>`.
pub(crate) fn check_keys(ctx: &mut ObjectCtx<'_>, s: &RequiredKeys, field: &str, noun: &str) {
    if !s.kinds.is_empty() && !s.kinds.contains(&ctx.object.id.kind) {
        return;
    }
    let map = ctx
        .object
        .root
        .get_path(&["metadata", field])
        .and_then(|m| m.as_map());
    let missing: Vec<&str> = s
        .keys
        .iter()
        .map(|k| k.trim())
        .filter(|k| map.is_none_or(|m| m.get(k).is_none()))
        .collect();
    if missing.is_empty() {
        return;
    }
    let path = if map.is_some() {
        FieldPath::root().keys("metadata").key(field)
    } else {
        FieldPath::root().keys("metadata.name")
    };
    ctx.report(
        path,
        format!(
            "{} {} lacks the required {noun}{} {}",
            ctx.object.id.kind,
            ctx.object.id.name.as_deref().unwrap_or(""),
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
        ),
    );
}

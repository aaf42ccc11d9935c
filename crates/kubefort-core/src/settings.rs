//! Per-rule settings (`rules:` in the configuration file).
//!
//! A parameterised rule declares a [`RuleSettings`] next to its check: the
//! rule's name and a parser for a `#[derive(Deserialize, Default)]` struct.
//! The front end resolves the raw settings of the configuration once, before
//! a scan ([`crate::Config::resolve_settings`]); a check reads its value
//! through [`crate::ObjectCtx::settings`] without any parsing per object.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;

type Parsed = Arc<dyn Any + Send + Sync>;

/// How one rule reads its settings.
pub struct RuleSettings {
    /// The rule these settings belong to.
    pub rule: &'static str,
    /// Parse and validate the raw settings (a YAML mapping as JSON).
    pub parse: fn(serde_json::Value) -> Result<Parsed, String>,
}

impl RuleSettings {
    /// Settings parsed as `T` with serde.
    pub const fn of<T: DeserializeOwned + Send + Sync + 'static>(rule: &'static str) -> Self {
        RuleSettings {
            rule,
            parse: parse_plain::<T>,
        }
    }

    /// Settings parsed as `T`, then checked by `T::validate`.
    pub const fn validated<T: DeserializeOwned + Validate + Send + Sync + 'static>(
        rule: &'static str,
    ) -> Self {
        RuleSettings {
            rule,
            parse: parse_validated::<T>,
        }
    }
}

/// A check of parsed settings beyond their shape (an empty prefix, a bad pattern).
pub trait Validate {
    fn validate(&mut self) -> Result<(), String>;
}

fn parse_plain<T: DeserializeOwned + Send + Sync + 'static>(
    v: serde_json::Value,
) -> Result<Parsed, String> {
    let t: T = serde_json::from_value(v).map_err(|e| e.to_string())?;
    Ok(Arc::new(t))
}

fn parse_validated<T: DeserializeOwned + Validate + Send + Sync + 'static>(
    v: serde_json::Value,
) -> Result<Parsed, String> {
    let mut t: T = serde_json::from_value(v).map_err(|e| e.to_string())?;
    t.validate()?;
    Ok(Arc::new(t))
}

/// Resolved settings by rule name.
#[derive(Clone, Default)]
pub struct ResolvedSettings {
    by_rule: HashMap<&'static str, Parsed>,
}

impl std::fmt::Debug for ResolvedSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.by_rule.keys()).finish()
    }
}

impl ResolvedSettings {
    pub(crate) fn insert(&mut self, rule: &'static str, v: Parsed) {
        self.by_rule.insert(rule, v);
    }

    /// The settings of `rule` as `T`, when the configuration sets them.
    pub fn get<T: Any>(&self, rule: &str) -> Option<&T> {
        self.by_rule.get(rule)?.downcast_ref()
    }
}

//! The webhook's configuration: per-namespace modes, exemptions, UPDATE
//! semantics, and the scan settings (`.kubefort.yaml` keys) the rules run
//! with.
//!
//! ```yaml
//! webhook:
//!   enforce: high            # deny findings at or above (off: never deny)
//!   warn: low                # warn (kubectl shows it) at or above
//!   audit: info              # audit annotations at or above
//!   namespaces:              # first match wins; unset keys keep the defaults
//!     - match: ["dev-*"]
//!       enforce: off
//!   namespace-labels: true   # kubefort.io/{enforce,warn,audit} on the Namespace
//!   exempt:
//!     namespaces: [kube-system]
//!     usernames: ["system:serviceaccount:kube-system:*"]
//!     groups: []
//!   update: new-violations   # or all
//! ignore: [missing-cpu-limit] # any .kubefort.yaml key
//! ```

use std::collections::BTreeMap;
use std::fmt;

use globset::{GlobSet, GlobSetBuilder};
use serde::{Deserialize, Deserializer};

use kubefort_core::yaml::{load_str, Limits};
use kubefort_core::{Config, Severity};

/// The namespace labels that set a namespace's modes.
pub const LABEL_ENFORCE: &str = "kubefort.io/enforce";
pub const LABEL_WARN: &str = "kubefort.io/warn";
pub const LABEL_AUDIT: &str = "kubefort.io/audit";

/// A threshold: findings at or above the severity, or none (`off`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold(pub Option<Severity>);

impl Threshold {
    pub const OFF: Threshold = Threshold(None);

    pub fn parse(s: &str) -> Result<Threshold, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "none" | "false" => Ok(Threshold::OFF),
            other => other.parse().map(|s| Threshold(Some(s))).map_err(|_| {
                format!("{s:?} is not a threshold: use info, low, medium, high, critical or off")
            }),
        }
    }

    /// Whether a finding of `severity` reaches the threshold.
    pub fn reached(self, severity: Severity) -> bool {
        self.0.is_some_and(|t| severity >= t)
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, "{s}"),
            None => f.write_str("off"),
        }
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // YAML 1.1 reads `off` as the boolean false.
        let v = serde_json::Value::deserialize(d)?;
        match v {
            serde_json::Value::Bool(false) => Ok(Threshold::OFF),
            serde_json::Value::String(s) => Threshold::parse(&s).map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "{other} is not a threshold: use info, low, medium, high, critical or off"
            ))),
        }
    }
}

/// What happens to a namespace's findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modes {
    pub enforce: Threshold,
    pub warn: Threshold,
    pub audit: Threshold,
}

impl Default for Modes {
    fn default() -> Self {
        Modes {
            enforce: Threshold(Some(Severity::High)),
            warn: Threshold(Some(Severity::Info)),
            audit: Threshold(Some(Severity::Info)),
        }
    }
}

impl fmt::Display for Modes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "enforce={},warn={},audit={}",
            self.enforce, self.warn, self.audit
        )
    }
}

/// How UPDATE requests are judged.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateMode {
    /// Deny only findings the old object did not have: an update that
    /// leaves existing violations as they were is not blocked (they are
    /// warned about).
    #[default]
    NewViolations,
    /// Judge the new object as if it were created.
    All,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct NamespaceRule {
    #[serde(rename = "match")]
    patterns: Vec<String>,
    enforce: Option<Threshold>,
    warn: Option<Threshold>,
    audit: Option<Threshold>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ExemptConfig {
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    usernames: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct WebhookConfig {
    enforce: Option<Threshold>,
    warn: Option<Threshold>,
    audit: Option<Threshold>,
    #[serde(default)]
    namespaces: Vec<NamespaceRule>,
    #[serde(default = "yes")]
    namespace_labels: bool,
    exempt: Option<ExemptConfig>,
    #[serde(default)]
    update: UpdateMode,
}

fn yes() -> bool {
    true
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            enforce: None,
            warn: None,
            audit: None,
            namespaces: Vec::new(),
            namespace_labels: true,
            exempt: None,
            update: UpdateMode::default(),
        }
    }
}

/// A compiled per-namespace override.
#[derive(Debug)]
struct NamespaceOverride {
    set: GlobSet,
    enforce: Option<Threshold>,
    warn: Option<Threshold>,
    audit: Option<Threshold>,
}

/// Why a request is exempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exemption {
    Namespace(String),
    Username(String),
    Group(String),
}

impl fmt::Display for Exemption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exemption::Namespace(n) => write!(f, "namespace {n} is exempt"),
            Exemption::Username(u) => write!(f, "user {u} is exempt"),
            Exemption::Group(g) => write!(f, "group {g} is exempt"),
        }
    }
}

/// The webhook's policy: the configuration file, compiled.
#[derive(Debug)]
pub struct Policy {
    pub defaults: Modes,
    overrides: Vec<NamespaceOverride>,
    pub namespace_labels: bool,
    exempt_namespaces: GlobSet,
    exempt_usernames: GlobSet,
    exempt_groups: GlobSet,
    pub update: UpdateMode,
    /// The scan settings: rule selection, suppressions, PSS version.
    pub scan: Config,
    /// Those settings as JSON, and the file's name, to build the engine's
    /// own copy.
    scan_source: (String, String),
}

impl Default for Policy {
    fn default() -> Self {
        Policy::from_str_named("", "(defaults)").expect("the defaults compile")
    }
}

fn globs(patterns: &[String], what: &str) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        // Names hold no path separators: `*` matches any run of characters.
        let g = globset::GlobBuilder::new(p)
            .literal_separator(false)
            .build()
            .map_err(|e| format!("{what}: bad pattern {p:?}: {e}"))?;
        b.add(g);
    }
    b.build().map_err(|e| format!("{what}: {e}"))
}

impl Policy {
    /// Read and check a configuration file.
    pub fn load(path: &std::path::Path) -> Result<Policy, String> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        Policy::from_str_named(&text, &shown)
    }

    /// Parse configuration text; `name` is used in error messages.
    pub fn from_str_named(text: &str, name: &str) -> Result<Policy, String> {
        let mut docs = load_str(text, &Limits::default());
        let mut json = match docs.len() {
            0 => serde_json::Map::new(),
            1 => match docs.remove(0) {
                Ok(d) if d.root.is_null() => serde_json::Map::new(),
                Ok(d) => match d.root.to_json() {
                    serde_json::Value::Object(m) => m,
                    _ => return Err(format!("{name}: expected a mapping")),
                },
                Err(e) => return Err(format!("{name}:{}: {}", e.pos, e.message)),
            },
            _ => return Err(format!("{name}: expected one YAML document")),
        };
        let webhook: WebhookConfig = match json.remove("webhook") {
            None | Some(serde_json::Value::Null) => WebhookConfig::default(),
            Some(v) => serde_json::from_value(v).map_err(|e| format!("{name}: webhook: {e}"))?,
        };
        let rest = serde_json::Value::Object(json).to_string();
        let scan = Config::from_str_named(&rest, name)?;
        let scan_source = (rest, name.to_string());
        let d = Modes::default();
        let defaults = Modes {
            enforce: webhook.enforce.unwrap_or(d.enforce),
            warn: webhook.warn.unwrap_or(d.warn),
            audit: webhook.audit.unwrap_or(d.audit),
        };
        let overrides = webhook
            .namespaces
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if r.patterns.is_empty() {
                    return Err(format!("{name}: webhook.namespaces[{i}].match is empty"));
                }
                Ok(NamespaceOverride {
                    set: globs(&r.patterns, &format!("{name}: webhook.namespaces[{i}]"))?,
                    enforce: r.enforce,
                    warn: r.warn,
                    audit: r.audit,
                })
            })
            .collect::<Result<_, _>>()?;
        let exempt = webhook.exempt.unwrap_or_else(|| ExemptConfig {
            namespaces: vec!["kube-system".into()],
            ..Default::default()
        });
        Ok(Policy {
            defaults,
            overrides,
            namespace_labels: webhook.namespace_labels,
            exempt_namespaces: globs(&exempt.namespaces, &format!("{name}: webhook.exempt"))?,
            exempt_usernames: globs(&exempt.usernames, &format!("{name}: webhook.exempt"))?,
            exempt_groups: globs(&exempt.groups, &format!("{name}: webhook.exempt"))?,
            update: webhook.update,
            scan,
            scan_source,
        })
    }

    /// A fresh copy of the scan settings.
    pub fn scan_config(&self) -> Config {
        let (text, name) = &self.scan_source;
        Config::from_str_named(text, name).expect("the settings parsed before")
    }

    /// Whether a request is exempt, and why.
    pub fn exemption(
        &self,
        namespace: &str,
        username: &str,
        groups: &[String],
    ) -> Option<Exemption> {
        if !namespace.is_empty() && self.exempt_namespaces.is_match(namespace) {
            return Some(Exemption::Namespace(namespace.to_string()));
        }
        if self.exempt_usernames.is_match(username) {
            return Some(Exemption::Username(username.to_string()));
        }
        groups
            .iter()
            .find(|g| self.exempt_groups.is_match(g.as_str()))
            .map(|g| Exemption::Group(g.clone()))
    }

    /// The modes of a namespace (`""` for cluster-scoped objects): the
    /// defaults, then the first matching `namespaces` entry, then the
    /// namespace's labels when they are read. Labels that do not parse are
    /// ignored and returned as notes.
    pub fn modes_for(
        &self,
        namespace: &str,
        labels: Option<&BTreeMap<String, String>>,
    ) -> (Modes, Vec<String>) {
        let mut m = self.defaults;
        if !namespace.is_empty() {
            if let Some(o) = self.overrides.iter().find(|o| o.set.is_match(namespace)) {
                m.enforce = o.enforce.unwrap_or(m.enforce);
                m.warn = o.warn.unwrap_or(m.warn);
                m.audit = o.audit.unwrap_or(m.audit);
            }
        }
        let mut notes = Vec::new();
        if let (true, Some(labels)) = (self.namespace_labels, labels) {
            for (key, slot) in [
                (LABEL_ENFORCE, &mut m.enforce),
                (LABEL_WARN, &mut m.warn),
                (LABEL_AUDIT, &mut m.audit),
            ] {
                if let Some(v) = labels.get(key) {
                    match Threshold::parse(v) {
                        Ok(t) => *slot = t,
                        Err(e) => notes.push(format!(
                            "namespace {namespace} label {key}: {e}; using {slot}"
                        )),
                    }
                }
            }
        }
        (m, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let p = Policy::default();
        assert_eq!(p.defaults, Modes::default());
        assert_eq!(p.update, UpdateMode::NewViolations);
        assert_eq!(
            p.exemption("kube-system", "u", &[]),
            Some(Exemption::Namespace("kube-system".into()))
        );
        assert_eq!(p.exemption("default", "u", &[]), None);
    }

    #[test]
    fn namespaces_labels_and_exemptions() {
        let p = Policy::from_str_named(
            "webhook:\n  enforce: critical\n  warn: off\n  namespaces:\n  - match: [\"dev-*\", qa]\n    enforce: off\n    warn: medium\n  exempt:\n    usernames: [\"system:serviceaccount:ops:*\"]\n    groups: [breakglass]\n  update: all\nignore: [missing-cpu-limit]\n",
            "c.yaml",
        )
        .unwrap();
        assert_eq!(p.update, UpdateMode::All);
        assert_eq!(p.scan.ignore, ["missing-cpu-limit"]);
        let (m, _) = p.modes_for("prod", None);
        assert_eq!(m.enforce, Threshold(Some(Severity::Critical)));
        assert_eq!(m.warn, Threshold::OFF);
        let (m, _) = p.modes_for("dev-a", None);
        assert_eq!(m.enforce, Threshold::OFF);
        assert_eq!(m.warn, Threshold(Some(Severity::Medium)));
        let labels: BTreeMap<String, String> = [
            (LABEL_ENFORCE.to_string(), "high".to_string()),
            (LABEL_WARN.to_string(), "loud".to_string()),
        ]
        .into();
        let (m, notes) = p.modes_for("dev-a", Some(&labels));
        assert_eq!(m.enforce, Threshold(Some(Severity::High)));
        assert_eq!(m.warn, Threshold(Some(Severity::Medium)));
        assert!(notes[0].contains("kubefort.io/warn"), "{notes:?}");
        // Exemptions replace the default list.
        assert_eq!(p.exemption("kube-system", "u", &[]), None);
        assert_eq!(
            p.exemption("x", "system:serviceaccount:ops:deployer", &[]),
            Some(Exemption::Username(
                "system:serviceaccount:ops:deployer".into()
            ))
        );
        assert_eq!(
            p.exemption("x", "bob", &["a".into(), "breakglass".into()]),
            Some(Exemption::Group("breakglass".into()))
        );
    }

    #[test]
    fn errors_name_the_file_and_key() {
        for (text, want) in [
            ("webhook:\n  enforce: loud\n", "c.yaml: webhook: "),
            ("webhook:\n  enforcee: high\n", "unknown field `enforcee`"),
            (
                "webhook:\n  namespaces:\n  - match: []\n",
                "webhook.namespaces[0].match is empty",
            ),
            (
                "webhook:\n  update: sometimes\n",
                "unknown variant `sometimes`",
            ),
            ("selekt: [x]\n", "unknown field `selekt`"),
            ("- a\n", "expected a mapping"),
        ] {
            let e = Policy::from_str_named(text, "c.yaml").unwrap_err();
            assert!(e.contains(want) && e.starts_with("c.yaml"), "{text}: {e}");
        }
    }
}

//! The configuration file (`.kubefort.yaml`), found upward from the working
//! directory unless `--config` names one.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::finding::{Finding, Severity};
use crate::object::PodTemplatePath;
use crate::path::FieldPath;
use crate::settings::{ResolvedSettings, RuleSettings};
use crate::yaml::{load_str, Limits};

pub const CONFIG_NAMES: [&str; 2] = [".kubefort.yaml", ".kubefort.yml"];

/// Settings from the configuration file; command-line options override them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Rules and groups to run instead of the defaults.
    pub select: Option<Vec<String>>,
    /// Rules and groups to add to the selection.
    #[serde(default)]
    pub extend_select: Vec<String>,
    /// Rules and groups not to run.
    #[serde(default)]
    pub ignore: Vec<String>,
    pub fail_on: Option<Severity>,
    pub pss_version: Option<String>,
    /// Path globs not to scan at all.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Findings to suppress (counted in the summary, listed in JSON).
    #[serde(default)]
    pub suppress: Vec<Suppression>,
    /// Pod spec locations in custom resources.
    #[serde(default)]
    pub pod_templates: Vec<PodTemplateConfig>,
    /// Largest file read, in bytes (default 32 MiB).
    pub max_file_size: Option<u64>,
    /// Where `kubefort node` looks for a node's files (kubeadm's paths by default).
    #[serde(default)]
    pub node: NodePaths,
    /// Settings of `kubefort audit`, checked by kubefort-audit (docs/audit.md).
    #[serde(default)]
    pub audit: Option<serde_json::Value>,
    /// Settings of parameterised rules, by rule name, as written; checked
    /// and parsed by [`Config::resolve_settings`].
    #[serde(default)]
    pub rules: std::collections::BTreeMap<String, serde_json::Value>,
    /// User policies (Rego, CEL) run beside the rules: files or directories,
    /// relative to the configuration file (docs/policies.md).
    #[serde(default)]
    pub policies: Vec<PolicyConfig>,

    #[serde(skip)]
    pub file: Option<PathBuf>,
    #[serde(skip)]
    compiled: Compiled,
}

#[derive(Debug, Default)]
struct Compiled {
    exclude: Option<GlobSet>,
    suppress: Vec<Option<GlobSet>>,
    pod_templates: Vec<PodTemplatePath>,
    /// Line of each `rules.<name>` key in the file.
    rule_lines: std::collections::HashMap<String, u32>,
    settings: ResolvedSettings,
}

/// Paths `kubefort node` reads, relative to its `--root`; each replaces the
/// kubeadm default when set.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NodePaths {
    /// Static pod manifests (`/etc/kubernetes/manifests`).
    pub manifests_dir: Option<String>,
    /// The cluster PKI (`/etc/kubernetes/pki`).
    pub pki_dir: Option<String>,
    /// Where admin.conf, super-admin.conf, controller-manager.conf,
    /// scheduler.conf and kubelet.conf live (`/etc/kubernetes`).
    pub kubeconfig_dir: Option<String>,
    /// The kubelet configuration file, when the kubelet's `--config` cannot
    /// be read from its service (`/var/lib/kubelet/config.yaml`).
    pub kubelet_config: Option<String>,
    /// Directories holding `kubelet.service` and `kubelet.service.d/`
    /// (`/etc/systemd/system`, `/usr/lib/systemd/system`, `/lib/systemd/system`).
    #[serde(default)]
    pub systemd_dirs: Vec<String>,
    /// The etcd data directory, when etcd's `--data-dir` is not known (`/var/lib/etcd`).
    pub etcd_data_dir: Option<String>,
    /// CNI configuration (`/etc/cni/net.d`).
    pub cni_dir: Option<String>,
    /// The kube-proxy kubeconfig (`/var/lib/kube-proxy/kubeconfig.conf`).
    pub proxy_kubeconfig: Option<String>,
}

/// One suppression: every listed condition must hold; an empty list matches anything.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Suppression {
    /// Rule names or groups (empty: all rules).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Path globs (`charts/**`).
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub names: Vec<String>,
    pub reason: Option<String>,
}

/// One `policies:` entry: a path, or a path with settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum PolicyConfig {
    Path(String),
    Detailed(PolicyEntry),
}

/// A policy path with its settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PolicyEntry {
    pub path: String,
    /// Severity of the findings of these policies when the policy sets none.
    pub severity: Option<Severity>,
    /// Rego packages queried for conftest-style rules (default `main`).
    #[serde(default)]
    pub namespaces: Vec<String>,
}

impl PolicyConfig {
    /// The entry with its path resolved against the configuration file's directory.
    pub fn entry(&self, config_file: Option<&Path>) -> PolicyEntry {
        let mut e = match self {
            PolicyConfig::Path(p) => PolicyEntry {
                path: p.clone(),
                ..Default::default()
            },
            PolicyConfig::Detailed(e) => e.clone(),
        };
        if let Some(dir) = config_file.and_then(Path::parent) {
            if Path::new(&e.path).is_relative() {
                e.path = dir.join(&e.path).to_string_lossy().into_owned();
            }
        }
        e
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PodTemplateConfig {
    pub kind: String,
    /// API group (`argoproj.io`); any group when absent.
    pub group: Option<String>,
    /// Path of the PodSpec in the object (`spec.template.spec`).
    pub path: String,
}

impl Config {
    /// Find the configuration file upward from `start`.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            for name in CONFIG_NAMES {
                let p = d.join(name);
                if p.is_file() {
                    return Some(p);
                }
            }
            dir = d.parent();
        }
        None
    }

    /// Read and check a configuration file.
    pub fn load(path: &Path) -> Result<Config, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        Self::from_str_named(&text, &shown.to_string()).map(|mut c| {
            c.file = Some(path.to_path_buf());
            c
        })
    }

    /// Parse configuration text; `name` is used in error messages.
    pub fn from_str_named(text: &str, name: &str) -> Result<Config, String> {
        let mut docs = load_str(text, &Limits::default());
        let mut rule_lines = std::collections::HashMap::new();
        let json = match docs.len() {
            0 => serde_json::Value::Object(Default::default()),
            1 => match docs.remove(0) {
                Ok(d) if d.root.is_null() => serde_json::Value::Object(Default::default()),
                Ok(d) => {
                    if let Some(m) = d.root.get("rules").and_then(|r| r.as_map()) {
                        for e in &m.entries {
                            rule_lines.insert(e.key.to_string(), e.key_pos.line);
                        }
                    }
                    d.root.to_json()
                }
                Err(e) => return Err(format!("{name}:{}: {}", e.pos, e.message)),
            },
            _ => return Err(format!("{name}: expected one YAML document")),
        };
        let mut c: Config = serde_json::from_value(json).map_err(|e| format!("{name}: {e}"))?;
        c.compiled.rule_lines = rule_lines;
        c.compile().map_err(|e| format!("{name}: {e}"))?;
        Ok(c)
    }

    fn compile(&mut self) -> Result<(), String> {
        self.compiled.exclude = globs(&self.exclude)?;
        self.compiled.suppress = self
            .suppress
            .iter()
            .map(|s| globs(&s.paths))
            .collect::<Result<_, _>>()?;
        self.compiled.pod_templates = self
            .pod_templates
            .iter()
            .map(|p| {
                Ok(PodTemplatePath {
                    kind: p.kind.clone(),
                    group: p.group.clone(),
                    spec: FieldPath::parse(&p.path)?,
                })
            })
            .collect::<Result<_, String>>()?;
        if let Some(v) = &self.pss_version {
            parse_pss_version(v)?;
        }
        Ok(())
    }

    /// Check and parse the `rules:` settings once, before a scan. `known`
    /// lists every rule name; `parsers` the rules that take settings. An
    /// unknown rule, a rule without settings or a bad value is an error
    /// naming the file, line and key.
    pub fn resolve_settings(
        &mut self,
        known: &[&str],
        parsers: &[&RuleSettings],
    ) -> Result<(), String> {
        let mut resolved = ResolvedSettings::default();
        for (name, raw) in &self.rules {
            let at = {
                let file = self
                    .file
                    .as_ref()
                    .map_or_else(|| "configuration".to_string(), |p| p.display().to_string());
                match self.compiled.rule_lines.get(name) {
                    Some(line) => format!("{file}:{line}: rules.{name}"),
                    None => format!("{file}: rules.{name}"),
                }
            };
            let Some(p) = parsers.iter().find(|p| p.rule == name) else {
                return Err(if known.contains(&name.as_str()) {
                    format!("{at}: rule {name} takes no settings")
                } else {
                    format!("{at}: unknown rule {name:?} (see `kubefort rules`)")
                });
            };
            let raw = if raw.is_null() {
                serde_json::Value::Object(Default::default())
            } else {
                raw.clone()
            };
            let v = (p.parse)(raw).map_err(|e| format!("{at}: {e}"))?;
            resolved.insert(p.rule, v);
        }
        self.compiled.settings = resolved;
        Ok(())
    }

    /// The resolved settings of `rule`, when the configuration sets them.
    pub fn rule_settings<T: std::any::Any>(&self, rule: &str) -> Option<&T> {
        self.compiled.settings.get(rule)
    }

    pub fn custom_pod_templates(&self) -> &[PodTemplatePath] {
        &self.compiled.pod_templates
    }

    /// Whether a path is excluded from scanning.
    pub fn is_excluded(&self, path: &Path) -> bool {
        match &self.compiled.exclude {
            Some(set) => path_candidates(path, self.file.as_deref())
                .iter()
                .any(|p| set.is_match(p)),
            None => false,
        }
    }

    /// The reason a finding is suppressed by this configuration, if it is.
    pub fn suppression_for(&self, f: &Finding) -> Option<String> {
        for (s, paths) in self.suppress.iter().zip(&self.compiled.suppress) {
            let rule_ok = s.rules.is_empty()
                || s.rules
                    .iter()
                    .any(|r| r == f.rule || f.groups.contains(&r.as_str()) || r == "all");
            if !rule_ok {
                continue;
            }
            if let Some(set) = paths {
                let candidates =
                    path_candidates(Path::new(&*f.location.file), self.file.as_deref());
                if !candidates.iter().any(|p| set.is_match(p)) {
                    continue;
                }
            }
            if !s.namespaces.is_empty()
                && !s
                    .namespaces
                    .iter()
                    .any(|n| Some(n.as_str()) == f.object.namespace.as_deref())
            {
                continue;
            }
            if !s.kinds.is_empty() && !s.kinds.contains(&f.object.kind) {
                continue;
            }
            if !s.names.is_empty()
                && !s
                    .names
                    .iter()
                    .any(|n| Some(n.as_str()) == f.object.name.as_deref())
            {
                continue;
            }
            let origin = self
                .file
                .as_ref()
                .map_or_else(|| "configuration".to_string(), |p| p.display().to_string());
            return Some(match &s.reason {
                Some(r) => format!("{r} ({origin})"),
                None => format!("suppressed in {origin}"),
            });
        }
        None
    }
}

fn globs(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = Glob::new(p).map_err(|e| format!("invalid glob {p:?}: {e}"))?;
        b.add(g);
        // `dir` and `dir/` also mean everything below it.
        let trimmed = p.trim_end_matches('/');
        if !trimmed.contains('*') {
            b.add(Glob::new(&format!("{trimmed}/**")).map_err(|e| e.to_string())?);
        }
    }
    b.build().map(Some).map_err(|e| e.to_string())
}

/// A path as written, without a leading `./`, and relative to the
/// configuration file's directory.
fn path_candidates(path: &Path, config: Option<&Path>) -> Vec<PathBuf> {
    let mut out = vec![path.to_path_buf()];
    if let Ok(p) = path.strip_prefix(".") {
        out.push(p.to_path_buf());
    }
    if let Some(dir) = config.and_then(Path::parent) {
        let abs = if path.is_absolute() {
            Some(path.to_path_buf())
        } else {
            std::env::current_dir().ok().map(|c| c.join(path))
        };
        let dir_abs = if dir.is_absolute() {
            Some(dir.to_path_buf())
        } else {
            std::env::current_dir().ok().map(|c| c.join(dir))
        };
        if let (Some(a), Some(d)) = (abs, dir_abs) {
            let a = normalize(&a);
            let d = normalize(&d);
            if let Ok(rel) = a.strip_prefix(&d) {
                out.push(rel.to_path_buf());
            }
        }
    }
    out
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A Pod Security Standards version: `latest` or `vMAJOR.MINOR` (v1.0 and later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PssVersion {
    Version(u32, u32),
    Latest,
}

pub fn parse_pss_version(s: &str) -> Result<PssVersion, String> {
    if s == "latest" {
        return Ok(PssVersion::Latest);
    }
    let bad = || {
        format!(
            "invalid Pod Security Standards version {s:?}: use latest or vMAJOR.MINOR, e.g. v1.30"
        )
    };
    let rest = s.strip_prefix('v').ok_or_else(bad)?;
    let (maj, min) = rest.split_once('.').ok_or_else(bad)?;
    // As the admission controller reads versions: digits, no leading zeros.
    let digits = |d: &str| {
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && (d == "0" || !d.starts_with('0'))
    };
    if !digits(maj) || !digits(min) {
        return Err(bad());
    }
    let maj: u32 = maj.parse().map_err(|_| bad())?;
    let min: u32 = min.parse().map_err(|_| bad())?;
    if maj != 1 {
        return Err(bad());
    }
    Ok(PssVersion::Version(maj, min))
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_errors() {
        let e = Config::from_str_named("selct: [a]\n", "c.yaml").unwrap_err();
        assert!(e.contains("unknown field `selct`"), "{e}");
    }

    #[test]
    fn parses_everything() {
        let c = Config::from_str_named(
            "select: [pss-baseline]\nignore: [latest-tag]\nfail-on: high\npss-version: v1.30\nexclude: [vendor/]\nsuppress:\n- rules: [host-network]\n  namespaces: [kube-system]\n  reason: CNI\npod-templates:\n- kind: Thing\n  path: spec.podSpec\n",
            "c.yaml",
        )
        .unwrap();
        assert_eq!(c.fail_on, Some(Severity::High));
        assert!(c.is_excluded(Path::new("vendor/x/y.yaml")));
        assert!(c.is_excluded(Path::new("./vendor/y.yaml")));
        assert!(!c.is_excluded(Path::new("src/y.yaml")));
        assert_eq!(c.custom_pod_templates()[0].spec.to_string(), "spec.podSpec");
    }

    #[test]
    fn pss_versions() {
        assert_eq!(parse_pss_version("v1.30"), Ok(PssVersion::Version(1, 30)));
        assert_eq!(parse_pss_version("latest"), Ok(PssVersion::Latest));
        assert!(parse_pss_version("1.30").is_err());
        assert!(parse_pss_version("v2.0").is_err());
        assert!(parse_pss_version("v1.05").is_err());
        assert!(parse_pss_version("v1.+5").is_err());
    }
}

//! Finding and compiling policies: `.rego` files (conftest), and YAML or
//! JSON files holding ConstraintTemplates, constraints,
//! ValidatingAdmissionPolicies and their bindings; other objects in those
//! files are parameters.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubefort_core::config::PolicyEntry;
use kubefort_core::value::Node;
use kubefort_core::yaml::{load_str, Limits};
use kubefort_core::{FieldPath, Severity};
use serde_json::Value as Json;

use crate::gatekeeper::{self, Constraint, Template};
use crate::rego::Conftest;
use crate::vap::{Binding, Vap};
use crate::{Policy, PolicyError, PolicySet};

/// How to load.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Evaluate Gatekeeper templates that carry both Rego and
    /// `K8sNativeValidation` with CEL instead of Rego.
    pub prefer_cel: bool,
}

/// Largest policy file read.
const MAX_POLICY_FILE: u64 = 8 * 1024 * 1024;

/// One YAML document of a policy file, with positions for errors.
pub struct Doc<'a> {
    pub file: Arc<str>,
    pub node: &'a Node,
    pub json: Json,
    pub lines: &'a [&'a str],
}

impl Doc<'_> {
    /// The line of the field at `path` (dotted, with `[i]`), or of its
    /// nearest existing ancestor.
    pub fn line(&self, path: &str) -> u32 {
        FieldPath::parse(path)
            .map(|p| p.locate(self.node).line)
            .unwrap_or(self.node.pos.line)
    }

    pub fn err(&self, path: &str, message: impl Into<String>) -> PolicyError {
        PolicyError {
            file: self.file.clone(),
            line: Some(self.line(path)),
            message: message.into(),
        }
    }

    /// The file line of line `n` (1-based) of the scalar at `path`: a block
    /// scalar (`|`, `>`) starts on the line after its indicator.
    pub fn scalar_line(&self, path: &str, n: u32) -> u32 {
        let node = FieldPath::parse(path)
            .ok()
            .and_then(|p| p.resolve(self.node));
        let Some(node) = node else {
            return self.line(path);
        };
        let pos = node.pos;
        let block = self
            .lines
            .get(pos.line.saturating_sub(1) as usize)
            .map(|l| {
                l.chars()
                    .skip(pos.column.saturating_sub(1) as usize)
                    .collect::<String>()
            })
            .is_some_and(|rest| rest.starts_with(['|', '>']));
        pos.line + u32::from(block) + n.saturating_sub(1)
    }
}

/// Every file under `path` (itself if a file), sorted; hidden entries skipped.
pub fn walk(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
            })
            .collect();
        entries.sort();
        for p in entries.into_iter().rev() {
            seen += 1;
            if seen > 100_000 {
                return Err(format!(
                    "{}: more than 100,000 entries: name the policy directories",
                    path.display()
                ));
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_yaml(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn is_rego(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()) == Some("rego")
        && !p
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s.ends_with("_test"))
}

pub(crate) fn read(p: &Path) -> Result<String, PolicyError> {
    let file: Arc<str> = p.display().to_string().into();
    let meta = std::fs::metadata(p).map_err(|e| PolicyError {
        file: file.clone(),
        line: None,
        message: e.to_string(),
    })?;
    if meta.len() > MAX_POLICY_FILE {
        return Err(PolicyError {
            file,
            line: None,
            message: format!(
                "{} bytes: larger than the {} MiB a policy file may have",
                meta.len(),
                MAX_POLICY_FILE / 1024 / 1024
            ),
        });
    }
    let bytes = std::fs::read(p).map_err(|e| PolicyError {
        file: file.clone(),
        line: None,
        message: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| PolicyError {
        file,
        line: None,
        message: format!("not UTF-8: {e}"),
    })
}

/// A constraint waiting for its template: file, node, JSON, lines, severity.
type PendingConstraint = (Arc<str>, Node, Json, Vec<String>, Option<Severity>);

/// What a YAML document is, to the loader.
enum Parsed {
    Template(Arc<Template>),
    Constraint,
    Vap(Arc<Vap>),
    Binding(Box<Binding>),
    Resource(Json),
    Skip,
}

impl PolicySet {
    /// Load and compile the policies under `entries` (files or
    /// directories). Policies that fail are in [`PolicySet::errors`].
    pub fn load(entries: &[PolicyEntry], opts: &LoadOptions) -> PolicySet {
        let mut set = PolicySet::empty();
        // constraints wait for their templates, bindings for their policies
        let mut templates: HashMap<String, Arc<Template>> = HashMap::new();
        let mut constraints: Vec<PendingConstraint> = Vec::new();
        let mut vaps: HashMap<String, Arc<Vap>> = HashMap::new();
        let mut bindings: Vec<(Binding, Option<Severity>)> = Vec::new();
        for entry in entries {
            let files = match walk(Path::new(&entry.path)) {
                Ok(f) => f,
                Err(e) => {
                    set.errors.push(PolicyError {
                        file: entry.path.clone().into(),
                        line: None,
                        message: e,
                    });
                    continue;
                }
            };
            let namespaces = if entry.namespaces.is_empty() {
                vec!["main".to_string()]
            } else {
                entry.namespaces.clone()
            };
            let mut rego_files = Vec::new();
            for f in &files {
                if is_rego(f) {
                    match read(f) {
                        Ok(t) => rego_files.push((Arc::<str>::from(f.display().to_string()), t)),
                        Err(e) => set.errors.push(e),
                    }
                    set.files.push(f.clone());
                } else if is_yaml(f) {
                    let text = match read(f) {
                        Ok(t) => t,
                        Err(e) => {
                            set.errors.push(e);
                            continue;
                        }
                    };
                    set.files.push(f.clone());
                    let file: Arc<str> = f.display().to_string().into();
                    let lines: Vec<&str> = text.lines().collect();
                    for d in load_str(&text, &Limits::default()) {
                        let doc = match d {
                            Ok(d) => d,
                            Err(e) => {
                                set.errors.push(PolicyError {
                                    file: file.clone(),
                                    line: Some(e.pos.line),
                                    message: e.message,
                                });
                                continue;
                            }
                        };
                        let json = doc.root.to_json();
                        let d = Doc {
                            file: file.clone(),
                            node: &doc.root,
                            json,
                            lines: &lines,
                        };
                        match classify(&d) {
                            Ok(Parsed::Template(t)) => {
                                templates.insert(t.kind.clone(), t);
                            }
                            Ok(Parsed::Constraint) => constraints.push((
                                file.clone(),
                                doc.root.clone(),
                                d.json,
                                lines.iter().map(|s| s.to_string()).collect(),
                                entry.severity,
                            )),
                            Ok(Parsed::Vap(v)) => {
                                vaps.insert(v.name.clone(), v);
                            }
                            Ok(Parsed::Binding(b)) => bindings.push((*b, entry.severity)),
                            Ok(Parsed::Resource(j)) => set.resources.add(j),
                            Ok(Parsed::Skip) => {}
                            Err(e) => set.errors.push(e),
                        }
                    }
                }
            }
            if !rego_files.is_empty() {
                let (c, errs) = Conftest::load(&rego_files, &namespaces, entry.severity);
                set.errors.extend(errs);
                if let Some(c) = c {
                    set.policies.push(Policy::Conftest(Box::new(c)));
                }
            }
        }
        let engine = if opts.prefer_cel {
            gatekeeper::Engine::PreferCel
        } else {
            gatekeeper::Engine::Default
        };
        for (file, node, json, lines, sev) in constraints {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let d = Doc {
                file,
                node: &node,
                json,
                lines: &lines,
            };
            let kind = d.json.get("kind").and_then(Json::as_str).unwrap_or("");
            match templates.get(kind) {
                Some(t) => match Constraint::parse(&d, t.clone(), sev, engine) {
                    Ok(c) => set.policies.push(Policy::Gatekeeper(Box::new(c))),
                    Err(e) => set.errors.push(e),
                },
                None => set.errors.push(d.err(
                    "kind",
                    format!("no ConstraintTemplate defines the constraint kind {kind:?} (load its template with the constraint)"),
                )),
            }
        }
        for (b, sev) in bindings {
            match vaps.get(&b.policy_name) {
                Some(p) => set
                    .policies
                    .push(Policy::Vap(Box::new(b.bind(p.clone(), sev)))),
                None => set.errors.push(PolicyError {
                    file: b.file.clone(),
                    line: None,
                    message: format!(
                        "binding {:?}: no ValidatingAdmissionPolicy named {:?} was loaded",
                        b.name, b.policy_name
                    ),
                }),
            }
        }
        set.errors.sort();
        set
    }
}

fn classify(d: &Doc<'_>) -> Result<Parsed, PolicyError> {
    let av = d
        .json
        .get("apiVersion")
        .and_then(Json::as_str)
        .unwrap_or("");
    let kind = d.json.get("kind").and_then(Json::as_str).unwrap_or("");
    let group = av.rsplit_once('/').map_or("", |(g, _)| g);
    Ok(match (group, kind) {
        ("", "") => Parsed::Skip,
        ("templates.gatekeeper.sh", "ConstraintTemplate") => {
            Parsed::Template(Arc::new(Template::parse(d)?))
        }
        ("constraints.gatekeeper.sh", _) => Parsed::Constraint,
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => {
            Parsed::Vap(Arc::new(Vap::parse(d)?))
        }
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => {
            Parsed::Binding(Box::new(Binding::parse(d)?))
        }
        ("config.gatekeeper.sh", _) | ("kubefort.io", _) => Parsed::Skip,
        _ => Parsed::Resource(d.json.clone()),
    })
}

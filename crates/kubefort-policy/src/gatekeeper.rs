//! Gatekeeper: ConstraintTemplates (Rego in `spec.targets[].rego` with
//! `libs`, or `spec.targets[].code[]` with the `Rego` and
//! `K8sNativeValidation` engines) and their constraints, with Gatekeeper's
//! match criteria and its input: `input.review` (the admission request),
//! `input.parameters`, `data.inventory`.

use std::sync::{Arc, OnceLock};

use kubefort_core::Severity;
use serde_json::Value as Json;

use crate::convert::Input;
use crate::kinds;
use crate::load::Doc;
use crate::rego::{self, Module, Pool};
use crate::selector::LabelSelector;
use crate::vap::Vap;
use crate::{intern, severity_annotation, Action, PolicyError, Resources, Violation};

/// A compiled ConstraintTemplate.
pub struct Template {
    pub name: String,
    /// The constraint kind it defines.
    pub kind: String,
    pub file: Arc<str>,
    /// The Rego engine (compiled), when the template has Rego.
    rego: Option<(regorus::Engine, String)>,
    /// The CEL code, when the template has `K8sNativeValidation`.
    pub cel: Option<Arc<Vap>>,
    pub uses_inventory: bool,
    severity: Option<Severity>,
}

/// Which engine a constraint is evaluated with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Rego when the template has it, else CEL.
    Default,
    /// CEL (`K8sNativeValidation`) when the template has it, else Rego.
    PreferCel,
}

impl Template {
    pub fn parse(doc: &Doc<'_>) -> Result<Template, PolicyError> {
        let j = &doc.json;
        let name = j
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .ok_or_else(|| doc.err("metadata", "a ConstraintTemplate needs metadata.name"))?
            .to_string();
        let kind = j
            .pointer("/spec/crd/spec/names/kind")
            .and_then(Json::as_str)
            .ok_or_else(|| {
                doc.err(
                    "spec",
                    "spec.crd.spec.names.kind: Required value (the kind of its constraints)",
                )
            })?
            .to_string();
        if kind.to_ascii_lowercase() != name {
            return Err(doc.err(
                "metadata.name",
                format!(
                    "metadata.name {name:?} must be the lower-cased constraint kind {:?}",
                    kind.to_ascii_lowercase()
                ),
            ));
        }
        let targets = j
            .pointer("/spec/targets")
            .and_then(Json::as_array)
            .ok_or_else(|| doc.err("spec", "spec.targets: Required value"))?;
        let (ti, target) = targets
            .iter()
            .enumerate()
            .find(|(_, t)| {
                t.get("target").and_then(Json::as_str) == Some("admission.k8s.gatekeeper.sh")
            })
            .ok_or_else(|| {
                doc.err(
                    "spec.targets",
                    "no target admission.k8s.gatekeeper.sh in spec.targets",
                )
            })?;
        let tp = format!("spec.targets[{ti}]");
        let mut rego_src: Option<RegoSource> = None;
        if let Some(r) = target.get("rego").and_then(Json::as_str) {
            let libs = target
                .get("libs")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .enumerate()
                        .filter_map(|(i, l)| {
                            l.as_str()
                                .map(|s| (format!("{tp}.libs[{i}]"), s.to_string()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            rego_src = Some((format!("{tp}.rego"), r.to_string(), libs, true));
        }
        let mut cel = None;
        if let Some(code) = target.get("code").and_then(Json::as_array) {
            for (ci, c) in code.iter().enumerate() {
                let cp = format!("{tp}.code[{ci}].source");
                let src = c.get("source").unwrap_or(&Json::Null);
                match c.get("engine").and_then(Json::as_str) {
                    Some("Rego") if rego_src.is_none() => {
                        let r = src
                            .get("rego")
                            .and_then(Json::as_str)
                            .ok_or_else(|| doc.err(&cp, "a Rego source needs rego"))?;
                        let libs = src
                            .get("libs")
                            .and_then(Json::as_array)
                            .map(|a| {
                                a.iter()
                                    .enumerate()
                                    .filter_map(|(i, l)| {
                                        l.as_str()
                                            .map(|s| (format!("{cp}.libs[{i}]"), s.to_string()))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        let v0 = src.get("version").and_then(Json::as_str) != Some("v1");
                        rego_src = Some((format!("{cp}.rego"), r.to_string(), libs, v0));
                    }
                    Some("K8sNativeValidation") => {
                        let mut vap = Vap::gatekeeper(&name, doc, src);
                        vap.parse_code(doc, &cp, src)?;
                        if src.get("failurePolicy").and_then(Json::as_str) == Some("Ignore") {
                            vap.set_fail_open();
                        }
                        cel = Some(Arc::new(vap));
                    }
                    _ => {}
                }
            }
        }
        if rego_src.is_none() && cel.is_none() {
            return Err(doc.err(&tp, "the target has neither rego nor code"));
        }
        let mut uses_inventory = false;
        let rego = match rego_src {
            Some((path, text, libs, v0)) => {
                uses_inventory = text.contains("data.inventory")
                    || libs.iter().any(|(_, l)| l.contains("data.inventory"));
                let mut modules = vec![Module {
                    file: doc.file.clone(),
                    first_line: doc.scalar_line(&path, 1),
                    text: text.clone(),
                }];
                for (lp, l) in &libs {
                    modules.push(Module {
                        file: doc.file.clone(),
                        first_line: doc.scalar_line(lp, 1),
                        text: l.clone(),
                    });
                }
                let engine = rego::engine(&modules, v0)?;
                let pkg = regex::Regex::new(r"(?m)^\s*package\s+([A-Za-z0-9_.]+)")
                    .expect("valid")
                    .captures(&text)
                    .map(|c| c[1].to_string())
                    .ok_or_else(|| doc.err(&path, "the Rego has no package"))?;
                if !regex::Regex::new(r"(?m)^\s*violation\b")
                    .expect("valid")
                    .is_match(&text)
                {
                    return Err(doc.err(
                        &path,
                        "the Rego defines no `violation` rule (Gatekeeper queries violation[{\"msg\": msg}])",
                    ));
                }
                Some((engine, format!("data.{pkg}.violation")))
            }
            None => None,
        };
        Ok(Template {
            name,
            kind,
            file: doc.file.clone(),
            rego,
            cel,
            uses_inventory,
            severity: severity_annotation(j).map_err(|e| doc.err("metadata.annotations", e))?,
        })
    }
}

/// Where a template's Rego is: the field, the text, the libs (field, text), v0.
type RegoSource = (String, String, Vec<(String, String)>, bool);

/// Gatekeeper's `match`.
#[derive(Clone, Debug, Default)]
struct Match {
    kinds: Vec<(Vec<String>, Vec<String>)>,
    namespaces: Vec<String>,
    excluded: Vec<String>,
    label_selector: LabelSelector,
    namespace_selector: LabelSelector,
    scope: String,
    name: Option<String>,
}

fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Gatekeeper's namespace globs: a trailing or leading `*`.
fn glob(pattern: &str, s: &str) -> bool {
    if let Some(p) = pattern.strip_suffix('*') {
        s.starts_with(p)
    } else if let Some(p) = pattern.strip_prefix('*') {
        s.ends_with(p)
    } else {
        pattern == s
    }
}

impl Match {
    fn parse(doc: &Doc<'_>, v: &Json) -> Result<Match, PolicyError> {
        let sel = |k: &str| {
            LabelSelector::parse(v.get(k).unwrap_or(&Json::Null))
                .map_err(|e| doc.err(&format!("spec.match.{k}"), e))
        };
        Ok(Match {
            kinds: v
                .get("kinds")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .map(|k| (strings(k.get("apiGroups")), strings(k.get("kinds"))))
                        .collect()
                })
                .unwrap_or_default(),
            namespaces: strings(v.get("namespaces")),
            excluded: strings(v.get("excludedNamespaces")),
            label_selector: sel("labelSelector")?,
            namespace_selector: sel("namespaceSelector")?,
            scope: v
                .get("scope")
                .and_then(Json::as_str)
                .unwrap_or("*")
                .to_string(),
            name: v.get("name").and_then(Json::as_str).map(str::to_string),
        })
    }

    fn matches(&self, input: &Input<'_>) -> bool {
        let req = input.req;
        let (group, _) = kinds::split_api_version(req.api_version());
        let kind = req.kind();
        if !self.kinds.is_empty()
            && !self.kinds.iter().any(|(groups, ks)| {
                (groups.is_empty() || groups.iter().any(|g| g == "*" || g == group))
                    && (ks.is_empty() || ks.iter().any(|k| k == "*" || k == kind))
            })
        {
            return false;
        }
        let cluster = kinds::is_cluster_scoped(group, kind);
        match self.scope.as_str() {
            "Cluster" if !cluster => return false,
            "Namespaced" if cluster => return false,
            _ => {}
        }
        if let Some(n) = &self.name {
            if !glob(n, req.name()) {
                return false;
            }
        }
        let is_ns = kind == "Namespace" && group.is_empty();
        // For a Namespace, its own name; cluster-scoped objects are not
        // filtered by namespace criteria.
        let ns = if is_ns {
            Some(req.name().to_string())
        } else if cluster {
            None
        } else {
            Some(req.namespace())
        };
        if let Some(ns) = &ns {
            if !self.namespaces.is_empty() && !self.namespaces.iter().any(|p| glob(p, ns)) {
                return false;
            }
            if self.excluded.iter().any(|p| glob(p, ns)) {
                return false;
            }
            if !self
                .namespace_selector
                .matches(req.namespace_labels().as_ref())
            {
                return false;
            }
        }
        let labels = req.labels().or_else(|| {
            req.old_object
                .as_deref()
                .and_then(|o| o.pointer("/metadata/labels"))
        });
        self.label_selector.matches(labels)
    }
}

/// A constraint bound to its template.
pub struct Constraint {
    pub rule: &'static str,
    pub template: Arc<Template>,
    matcher: Match,
    parameters: Json,
    action: Action,
    severity: Severity,
    file: Arc<str>,
    engine: Engine,
    pool: OnceLock<Option<Pool>>,
}

impl Constraint {
    pub fn parse(
        doc: &Doc<'_>,
        template: Arc<Template>,
        default: Option<Severity>,
        engine: Engine,
    ) -> Result<Constraint, PolicyError> {
        let j = &doc.json;
        let name = j
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .ok_or_else(|| doc.err("metadata", "a constraint needs metadata.name"))?;
        let spec = j.get("spec").cloned().unwrap_or(Json::Null);
        let matcher = Match::parse(doc, spec.get("match").unwrap_or(&Json::Null))?;
        let action = match spec.get("enforcementAction").and_then(Json::as_str) {
            None | Some("deny") | Some("scoped") => Action::Deny,
            Some("warn") => Action::Warn,
            Some("dryrun") => Action::Audit,
            Some(other) => {
                return Err(doc.err(
                    "spec.enforcementAction",
                    format!("enforcementAction {other:?}: use deny, warn, dryrun or scoped"),
                ))
            }
        };
        let severity = severity_annotation(j)
            .map_err(|e| doc.err("metadata.annotations", e))?
            .or(template.severity)
            .or(default)
            .unwrap_or(match action {
                Action::Deny => Severity::High,
                Action::Warn => Severity::Medium,
                Action::Audit => Severity::Low,
            });
        Ok(Constraint {
            rule: intern(name),
            matcher,
            parameters: spec.get("parameters").cloned().unwrap_or(Json::Null),
            action,
            severity,
            file: doc.file.clone(),
            template,
            engine,
            pool: OnceLock::new(),
        })
    }

    fn use_cel(&self) -> bool {
        match self.engine {
            Engine::Default => self.template.rego.is_none(),
            Engine::PreferCel => self.template.cel.is_some(),
        }
    }

    pub(crate) fn evaluate(
        &self,
        input: &mut Input<'_>,
        resources: &Resources,
        out: &mut Vec<Violation>,
    ) -> Result<(), PolicyError> {
        if !self.matcher.matches(input) {
            return Ok(());
        }
        let mut push = |msg: String| {
            out.push(Violation {
                rule: self.rule,
                severity: self.severity,
                actions: vec![self.action],
                message: msg,
                reason: None,
                field_path: None,
                source: self.file.clone(),
                binding: None,
            })
        };
        if self.use_cel() {
            let vap = self.template.cel.as_ref().expect("checked");
            let params = if self.parameters.is_null() {
                None
            } else {
                Some(&self.parameters)
            };
            // `params` is the constraint, `variables.params` its parameters.
            let constraint = serde_json::json!({"spec": {"parameters": self.parameters}});
            if let Some(v) = vap.run(input, Some(&constraint), params.or(Some(&Json::Null))) {
                for (m, _, _) in v {
                    push(m);
                }
            }
            return Ok(());
        }
        let Some((engine, entry)) = &self.template.rego else {
            return Ok(());
        };
        let pool = self.pool.get_or_init(|| {
            let mut e = engine.clone();
            if self.template.uses_inventory {
                e.add_data(resources.rego_inventory().clone()).ok()?;
            }
            Some(Pool::new(e))
        });
        let Some(pool) = pool else {
            return Err(PolicyError {
                file: self.template.file.clone(),
                line: None,
                message: "the inventory could not be added as data".into(),
            });
        };
        let review = input.rego_review();
        let mut input_obj = std::collections::BTreeMap::new();
        input_obj.insert(regorus::Value::from("review"), review);
        input_obj.insert(
            regorus::Value::from("parameters"),
            regorus::Value::from(if self.parameters.is_null() {
                serde_json::json!({})
            } else {
                self.parameters.clone()
            }),
        );
        let input_val = regorus::Value::from(input_obj);
        let r = pool.with(|e| {
            e.set_input(input_val);
            e.eval_rule(entry.clone())
        });
        match r {
            Ok(v) => {
                for (m, _) in rego::messages(&v) {
                    push(m);
                }
                Ok(())
            }
            Err(err) => Err(PolicyError {
                file: self.template.file.clone(),
                line: None,
                message: format!(
                    "template {}: evaluation failed: {}",
                    self.template.name,
                    err.to_string().lines().last().unwrap_or("")
                ),
            }),
        }
    }
}

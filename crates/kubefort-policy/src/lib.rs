//! User policies, run unchanged next to kubefort's built-in rules:
//!
//! - Rego through `regorus`: conftest-style packages (`deny`, `violation`,
//!   `warn` rules with the object as input) and Gatekeeper
//!   `ConstraintTemplate`s with their constraints (input shaped as
//!   Gatekeeper shapes it: `input.review`, `input.parameters`,
//!   `data.inventory`);
//! - CEL through `cel`: `ValidatingAdmissionPolicy` and
//!   `ValidatingAdmissionPolicyBinding` (admissionregistration.k8s.io/v1),
//!   and the `K8sNativeValidation` code of Gatekeeper templates.
//!
//! [`PolicySet::load`] compiles every policy once; a policy that does not
//! compile is reported ([`PolicyError`], with file and line) and left out,
//! the others still run. [`PolicySet::evaluate`] evaluates one admission
//! request (what `webhook` and `cluster` call); [`PolicySet::check`] wraps
//! the set as a [`kubefort_core::DynamicCheck`] for the scan engine, so
//! policy findings are ordinary findings.

pub mod cel_lib;
mod check;
mod convert;
mod gatekeeper;
pub mod kinds;
mod load;
mod rego;
pub mod selector;
pub mod test_runner;
mod vap;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use kubefort_core::Severity;
use serde::Serialize;
use serde_json::Value as Json;

pub use check::PolicyCheck;
pub use load::LoadOptions;

/// A policy that could not be loaded, or failed while evaluating.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PolicyError {
    pub file: Arc<str>,
    pub line: Option<u32>,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// The admission operation a request stands for (`scan` and `cluster`
/// evaluate objects as if they were created).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    #[default]
    Create,
    Update,
    Delete,
    Connect,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }

    pub fn parse(s: &str) -> Option<Operation> {
        Some(match s {
            "CREATE" => Operation::Create,
            "UPDATE" => Operation::Update,
            "DELETE" => Operation::Delete,
            "CONNECT" => Operation::Connect,
            _ => return None,
        })
    }
}

/// One admission request to evaluate: an AdmissionReview's request, or an
/// object from a file or a cluster (as a `CREATE`).
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// The object (absent on DELETE).
    pub object: Option<Arc<Json>>,
    pub old_object: Option<Arc<Json>>,
    pub operation: Operation,
    /// `{username, uid, groups, extra}`, when known.
    pub user_info: Option<Json>,
    /// The Namespace object of the object's namespace, when known; else one
    /// with only the `kubernetes.io/metadata.name` label is assumed.
    pub namespace_object: Option<Arc<Json>>,
    pub dry_run: bool,
}

impl Request {
    /// A CREATE of `object`.
    pub fn create(object: Json) -> Request {
        Request {
            object: Some(Arc::new(object)),
            ..Default::default()
        }
    }

    /// The object, or the old object on DELETE.
    pub fn any_object(&self) -> Option<&Json> {
        self.object.as_deref().or(self.old_object.as_deref())
    }

    pub(crate) fn api_version(&self) -> &str {
        self.any_object()
            .and_then(|o| o.get("apiVersion"))
            .and_then(Json::as_str)
            .unwrap_or("")
    }

    pub(crate) fn kind(&self) -> &str {
        self.any_object()
            .and_then(|o| o.get("kind"))
            .and_then(Json::as_str)
            .unwrap_or("")
    }

    pub(crate) fn name(&self) -> &str {
        self.any_object()
            .and_then(|o| o.pointer("/metadata/name"))
            .and_then(Json::as_str)
            .unwrap_or("")
    }

    /// The namespace of a namespaced object (`default` when the object
    /// names none, as `kubectl` would create it), empty when cluster-scoped.
    pub(crate) fn namespace(&self) -> String {
        let (group, _) = kinds::split_api_version(self.api_version());
        if kinds::is_cluster_scoped(group, self.kind()) {
            return String::new();
        }
        self.any_object()
            .and_then(|o| o.pointer("/metadata/namespace"))
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
            .to_string()
    }

    pub(crate) fn labels(&self) -> Option<&Json> {
        self.any_object()
            .and_then(|o| o.pointer("/metadata/labels"))
    }

    /// Labels of the object's namespace (its own for a Namespace).
    pub(crate) fn namespace_labels(&self) -> Option<Json> {
        if self.kind() == "Namespace" && self.api_version() == "v1" {
            return self.labels().cloned();
        }
        let ns = self.namespace();
        if ns.is_empty() {
            return None;
        }
        match &self.namespace_object {
            Some(o) => o.pointer("/metadata/labels").cloned(),
            None => Some(serde_json::json!({ "kubernetes.io/metadata.name": ns })),
        }
    }

    /// The Namespace object for CEL's `namespaceObject`.
    pub(crate) fn namespace_json(&self) -> Option<Json> {
        let ns = self.namespace();
        if ns.is_empty() {
            return None;
        }
        Some(match &self.namespace_object {
            Some(o) => (**o).clone(),
            None => serde_json::json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}
            }),
        })
    }
}

/// What a violated policy asks the admission decision to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Refuse the request.
    Deny,
    /// Admit it with a warning.
    Warn,
    /// Admit it and record it (audit annotation, dry run).
    Audit,
}

/// One policy violation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// The rule name findings carry: the constraint's, policy's or
    /// package rule's name.
    pub rule: &'static str,
    pub severity: Severity,
    /// What the policy asks for; a scan reports every action as a finding.
    pub actions: Vec<Action>,
    pub message: String,
    /// CEL validations' `reason` (`Invalid`, `Forbidden`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The field the policy names (`fieldPath` of a CEL validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_path: Option<String>,
    /// The policy's file.
    pub source: Arc<str>,
    /// The VAP binding that applied, for the API server's message shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
}

impl Violation {
    /// The message the API server (or Gatekeeper) would send back.
    pub fn admission_message(&self) -> String {
        match &self.binding {
            Some(b) => format!(
                "ValidatingAdmissionPolicy '{}' with binding '{}' denied request: {}",
                self.rule, b, self.message
            ),
            None => format!("[{}] {}", self.rule, self.message),
        }
    }
}

/// One loaded policy.
pub(crate) enum Policy {
    Conftest(Box<rego::Conftest>),
    Gatekeeper(Box<gatekeeper::Constraint>),
    Vap(Box<vap::Bound>),
}

/// Objects the policies may read besides the one under review: VAP
/// parameters (`paramKind`/`paramRef`) and Gatekeeper's `data.inventory`.
#[derive(Default)]
pub struct Resources {
    /// By `(apiVersion, kind)`.
    objects: HashMap<(String, String), Vec<Arc<Json>>>,
    rego_inventory: OnceLock<regorus::Value>,
}

impl Resources {
    pub fn add(&mut self, object: Json) {
        let key = (
            object
                .get("apiVersion")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
            object
                .get("kind")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
        );
        self.objects.entry(key).or_default().push(Arc::new(object));
        self.rego_inventory = OnceLock::new();
    }

    pub fn len(&self) -> usize {
        self.objects.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn of_kind(&self, api_version: &str, kind: &str) -> &[Arc<Json>] {
        self.objects
            .get(&(api_version.to_string(), kind.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// Gatekeeper's `data.inventory`: `cluster[groupVersion][kind][name]`
    /// and `namespace[ns][groupVersion][kind][name]`.
    pub(crate) fn rego_inventory(&self) -> &regorus::Value {
        self.rego_inventory.get_or_init(|| {
            let mut cluster: ByVersion = BTreeMap::new();
            let mut namespaced: BTreeMap<String, ByVersion> = BTreeMap::new();
            for ((av, kind), objs) in &self.objects {
                let (group, _) = kinds::split_api_version(av);
                for o in objs {
                    let name = o
                        .pointer("/metadata/name")
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_string();
                    if kinds::is_cluster_scoped(group, kind) {
                        cluster
                            .entry(av.clone())
                            .or_default()
                            .entry(kind.clone())
                            .or_default()
                            .insert(name, (**o).clone());
                    } else {
                        let ns = o
                            .pointer("/metadata/namespace")
                            .and_then(Json::as_str)
                            .filter(|s| !s.is_empty())
                            .unwrap_or("default")
                            .to_string();
                        namespaced
                            .entry(ns)
                            .or_default()
                            .entry(av.clone())
                            .or_default()
                            .entry(kind.clone())
                            .or_default()
                            .insert(name, (**o).clone());
                    }
                }
            }
            let json = serde_json::json!({
                "inventory": {"cluster": cluster, "namespace": namespaced}
            });
            regorus::Value::from(json)
        })
    }
}

/// Objects by groupVersion, kind and name.
type ByVersion = BTreeMap<String, BTreeMap<String, serde_json::Map<String, Json>>>;

/// Every loaded policy, compiled once.
pub struct PolicySet {
    pub(crate) policies: Vec<Policy>,
    /// Policies that did not load.
    pub errors: Vec<PolicyError>,
    /// Objects for parameters and inventories (from the policy paths, and
    /// whatever the caller adds before wrapping the set).
    pub resources: Resources,
    /// Errors met while evaluating (a policy that fails at run time), each
    /// reported once.
    eval_errors: Mutex<Vec<PolicyError>>,
    eval_error_seen: Mutex<HashSet<String>>,
    /// The files the policies came from.
    pub files: Vec<PathBuf>,
}

impl PolicySet {
    /// An empty set.
    pub fn empty() -> PolicySet {
        PolicySet {
            policies: Vec::new(),
            errors: Vec::new(),
            resources: Resources::default(),
            eval_errors: Mutex::new(Vec::new()),
            eval_error_seen: Mutex::new(HashSet::new()),
            files: Vec::new(),
        }
    }

    /// Number of loaded policies (conftest packages, constraints, VAP bindings).
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// The rule names the policies report under.
    pub fn rule_names(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .policies
            .iter()
            .flat_map(|p| match p {
                Policy::Conftest(c) => c.rule_names(),
                Policy::Gatekeeper(c) => vec![c.rule],
                Policy::Vap(b) => vec![b.rule],
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Kinds (`apiVersion`, `kind`) whose objects the policies read besides
    /// the reviewed object; `None` when they may read any kind (a Gatekeeper
    /// template reading `data.inventory`).
    pub fn needed_resources(&self) -> Option<Vec<(String, String)>> {
        let mut out = Vec::new();
        for p in &self.policies {
            match p {
                Policy::Vap(b) => {
                    if let Some(pk) = &b.policy.param_kind {
                        out.push(pk.clone());
                    }
                }
                Policy::Gatekeeper(c) if c.template.uses_inventory => return None,
                _ => {}
            }
        }
        out.sort();
        out.dedup();
        Some(out)
    }

    /// Evaluate one request against every policy.
    pub fn evaluate(&self, req: &Request) -> Vec<Violation> {
        let mut input = convert::Input::new(req);
        let mut out = Vec::new();
        for p in &self.policies {
            let r = match p {
                Policy::Conftest(c) => c.evaluate(&mut input, &mut out),
                Policy::Gatekeeper(c) => c.evaluate(&mut input, &self.resources, &mut out),
                Policy::Vap(b) => b.evaluate(&mut input, &self.resources, &mut out),
            };
            if let Err(e) = r {
                self.record_eval_error(e);
            }
        }
        out
    }

    fn record_eval_error(&self, e: PolicyError) {
        let key = e.to_string();
        let mut seen = self
            .eval_error_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if seen.insert(key) {
            self.eval_errors
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(e);
        }
    }

    /// Errors met while evaluating so far (each once).
    pub fn evaluation_errors(&self) -> Vec<PolicyError> {
        let mut v = self
            .eval_errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        v.sort();
        v
    }

    /// The set as a check for the scan engine.
    pub fn check(self: &Arc<Self>) -> Arc<dyn kubefort_core::DynamicCheck> {
        Arc::new(PolicyCheck::new(self.clone()))
    }
}

/// Rule names are `&'static str` in findings: each distinct name is stored
/// once for the life of the process, so memory is bounded by the number of
/// distinct policy names, however often policies are loaded or evaluated.
pub(crate) fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(n) = names.get(name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(n);
    n
}

/// Severity from a `kubefort.io/severity` annotation.
pub(crate) fn severity_annotation(obj: &Json) -> Result<Option<Severity>, String> {
    match obj
        .pointer("/metadata/annotations/kubefort.io~1severity")
        .and_then(Json::as_str)
    {
        Some(s) => s.parse().map(Some),
        None => Ok(None),
    }
}

//! What the model is built from: Roles, ClusterRoles, their bindings,
//! ServiceAccounts and service-account token Secrets, each with where it was
//! declared. Manifests fill it through [`crate::load`]; a live inventory can
//! fill it from the API the same way (with no positions).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Where something is declared: a file and a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One entry of a role's `rules`, as the API stores it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
}

impl PolicyRule {
    /// The same content, for comparisons that ignore where a rule came from
    /// (the aggregation controller's `ruleExists`).
    pub fn same_as(&self, other: &PolicyRule) -> bool {
        self == other
    }
}

impl fmt::Display for PolicyRule {
    /// `verbs=[get list] apiGroups=[""] resources=[pods]`, like `kubectl describe`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[String]| {
            v.iter()
                .map(|s| {
                    if s.is_empty() {
                        "\"\"".to_string()
                    } else {
                        s.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        write!(f, "verbs=[{}]", list(&self.verbs))?;
        if !self.api_groups.is_empty() {
            write!(f, " apiGroups=[{}]", list(&self.api_groups))?;
        }
        if !self.resources.is_empty() {
            write!(f, " resources=[{}]", list(&self.resources))?;
        }
        if !self.resource_names.is_empty() {
            write!(f, " resourceNames=[{}]", list(&self.resource_names))?;
        }
        if !self.non_resource_urls.is_empty() {
            write!(f, " nonResourceURLs=[{}]", list(&self.non_resource_urls))?;
        }
        Ok(())
    }
}

/// A label selector requirement's operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub key: String,
    /// `None` when the operator is not one the API knows (the selector is then invalid).
    pub operator: Option<Operator>,
    pub values: Vec<String>,
}

/// A `metav1.LabelSelector`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LabelSelector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// Whether `labels` match, as `metav1.LabelSelectorAsSelector` decides;
    /// `Err` when the selector is invalid (the aggregation controller then
    /// leaves the role as it is). An empty selector matches everything.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> Result<bool, String> {
        for r in &self.match_expressions {
            match r.operator {
                Some(Operator::In | Operator::NotIn) if r.values.is_empty() => {
                    return Err(format!(
                        "matchExpressions key {:?}: operator {:?} needs values",
                        r.key,
                        r.operator.expect("matched Some")
                    ))
                }
                Some(Operator::Exists | Operator::DoesNotExist) if !r.values.is_empty() => {
                    return Err(format!(
                        "matchExpressions key {:?}: operator {:?} takes no values",
                        r.key,
                        r.operator.expect("matched Some")
                    ))
                }
                None => {
                    return Err(format!(
                        "matchExpressions key {:?}: unknown operator",
                        r.key
                    ))
                }
                _ => {}
            }
        }
        let labels_ok = self
            .match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v));
        let exprs_ok = self.match_expressions.iter().all(|r| {
            let have = labels.get(&r.key);
            match r.operator.expect("validated above") {
                Operator::In => have.is_some_and(|v| r.values.contains(v)),
                Operator::NotIn => have.is_none_or(|v| !r.values.contains(v)),
                Operator::Exists => have.is_some(),
                Operator::DoesNotExist => have.is_none(),
            }
        });
        Ok(labels_ok && exprs_ok)
    }
}

/// `Role` (namespaced) or `ClusterRole`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// A Role or ClusterRole.
#[derive(Clone, Debug)]
pub struct Role {
    pub kind: RoleKind,
    /// The namespace of a Role; `None` for a ClusterRole.
    pub namespace: Option<String>,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// `aggregationRule.clusterRoleSelectors` of a ClusterRole.
    pub aggregation: Option<Vec<LabelSelector>>,
    pub rules: Vec<PolicyRule>,
    /// Where each rule entry is declared (parallel to `rules`; empty when unknown).
    pub rule_origins: Vec<Option<Origin>>,
    pub origin: Option<Origin>,
    /// A Kubernetes bootstrap role that the inputs use without declaring.
    pub builtin: bool,
    /// The caller's handle for the object this came from (an index into its own list).
    pub source: Option<usize>,
}

impl Role {
    /// `ClusterRole edit`, `Role shop/reader`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind.as_str(), self.name),
            None => format!("{} {}", self.kind.as_str(), self.name),
        }
    }
}

/// `RoleBinding` (namespaced) or `ClusterRoleBinding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum BindingKind {
    RoleBinding,
    ClusterRoleBinding,
}

impl BindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::RoleBinding => "RoleBinding",
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }
}

/// A binding's `roleRef`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRef {
    pub kind: String,
    pub name: String,
    pub api_group: String,
}

/// One entry of a binding's `subjects`, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount` (anything else matches no one).
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// `apiGroup` as written (`None` when absent; the API defaults it).
    pub api_group: Option<String>,
    pub origin: Option<Origin>,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub struct Binding {
    pub kind: BindingKind,
    /// The namespace of a RoleBinding; `None` for a ClusterRoleBinding.
    pub namespace: Option<String>,
    pub name: String,
    pub role_ref: RoleRef,
    pub subjects: Vec<Subject>,
    pub origin: Option<Origin>,
    /// The caller's handle for the object this came from.
    pub source: Option<usize>,
}

impl Binding {
    /// `RoleBinding shop/deployer`, `ClusterRoleBinding ops`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind.as_str(), self.name),
            None => format!("{} {}", self.kind.as_str(), self.name),
        }
    }
}

/// A ServiceAccount object.
#[derive(Clone, Debug)]
pub struct ServiceAccount {
    pub namespace: String,
    pub name: String,
    pub origin: Option<Origin>,
    pub source: Option<usize>,
}

/// A Secret of type `kubernetes.io/service-account-token`: whoever reads it
/// holds that service account's token.
#[derive(Clone, Debug)]
pub struct TokenSecret {
    pub namespace: String,
    pub name: String,
    pub service_account: String,
    pub origin: Option<Origin>,
    pub source: Option<usize>,
}

/// Everything the model is built from.
#[derive(Clone, Debug, Default)]
pub struct RbacInventory {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
    pub service_accounts: Vec<ServiceAccount>,
    pub token_secrets: Vec<TokenSecret>,
    /// Namespaces known to exist (Namespace objects, or a live cluster's list).
    pub namespaces: Vec<String>,
}

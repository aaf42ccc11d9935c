//! Reading RBAC objects from loaded manifests.

use std::collections::BTreeMap;

use kubefort_core::object::Object;
use kubefort_core::value::Node;
use kubefort_core::FieldPath;

use crate::input::{
    Binding, BindingKind, LabelSelector, Operator, Origin, PolicyRule, RbacInventory, Requirement,
    Role, RoleKind, RoleRef, ServiceAccount, Subject, TokenSecret,
};

/// The kinds [`add_object`] reads (the kinds an RBAC rule retains).
pub const KINDS: &[&str] = &[
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ServiceAccount",
    "Secret",
    "Namespace",
];

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The namespace a namespaced object without one is applied to (the
/// context's default, which is `default` unless the kubeconfig says otherwise).
pub const DEFAULT_NAMESPACE: &str = "default";

fn origin(o: &Object, node: &Node) -> Origin {
    Origin {
        file: o.file.clone(),
        line: node.pos.line,
        column: node.pos.column,
    }
}

fn strings(n: Option<&Node>) -> Vec<String> {
    n.and_then(Node::as_seq)
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn string_map(n: Option<&Node>) -> BTreeMap<String, String> {
    n.and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.to_string(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Add `object` to `inv` if it is one of the RBAC kinds; `source` is the
/// caller's handle for it.
pub fn add_object(inv: &mut RbacInventory, object: &Object, source: usize) {
    let id = &object.id;
    let root = &object.root;
    let name = id.name.clone().unwrap_or_default();
    let ns = || {
        id.namespace
            .clone()
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string())
    };
    let at = Some(origin(object, root));
    match (id.group(), id.kind.as_str()) {
        (RBAC_GROUP, kind @ ("Role" | "ClusterRole")) => {
            let kind = if kind == "Role" {
                RoleKind::Role
            } else {
                RoleKind::ClusterRole
            };
            let mut rules = Vec::new();
            let mut rule_origins = Vec::new();
            for r in root.get("rules").and_then(Node::as_seq).unwrap_or(&[]) {
                rules.push(PolicyRule {
                    verbs: strings(r.get("verbs")),
                    api_groups: strings(r.get("apiGroups")),
                    resources: strings(r.get("resources")),
                    resource_names: strings(r.get("resourceNames")),
                    non_resource_urls: strings(r.get("nonResourceURLs")),
                });
                rule_origins.push(Some(origin(object, r)));
            }
            let aggregation = match (kind, root.get("aggregationRule")) {
                (RoleKind::ClusterRole, Some(a)) if !a.is_null() => Some(
                    a.get("clusterRoleSelectors")
                        .and_then(Node::as_seq)
                        .map(|sels| sels.iter().map(selector).collect())
                        .unwrap_or_default(),
                ),
                _ => None,
            };
            inv.roles.push(Role {
                kind,
                namespace: (kind == RoleKind::Role).then(ns),
                name,
                labels: string_map(root.get_path(&["metadata", "labels"])),
                aggregation,
                rules,
                rule_origins,
                origin: at,
                builtin: false,
                source: Some(source),
            });
        }
        (RBAC_GROUP, kind @ ("RoleBinding" | "ClusterRoleBinding")) => {
            let kind = if kind == "RoleBinding" {
                BindingKind::RoleBinding
            } else {
                BindingKind::ClusterRoleBinding
            };
            let rr = root.get("roleRef");
            let subjects = root
                .get("subjects")
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .map(|s| Subject {
                    kind: s.str_at("kind").unwrap_or("").to_string(),
                    name: s.str_at("name").unwrap_or("").to_string(),
                    namespace: s.str_at("namespace").map(str::to_string),
                    api_group: s.str_at("apiGroup").map(str::to_string),
                    origin: Some(origin(object, s)),
                })
                .collect();
            inv.bindings.push(Binding {
                kind,
                namespace: (kind == BindingKind::RoleBinding).then(ns),
                name,
                role_ref: RoleRef {
                    kind: rr.and_then(|r| r.str_at("kind")).unwrap_or("").to_string(),
                    name: rr.and_then(|r| r.str_at("name")).unwrap_or("").to_string(),
                    api_group: rr
                        .and_then(|r| r.str_at("apiGroup"))
                        .unwrap_or("")
                        .to_string(),
                },
                subjects,
                origin: at,
                source: Some(source),
            });
        }
        ("", "ServiceAccount") => inv.service_accounts.push(ServiceAccount {
            namespace: ns(),
            name,
            origin: at,
            source: Some(source),
        }),
        ("", "Secret") if root.str_at("type") == Some("kubernetes.io/service-account-token") => {
            if let Some(sa) = object.annotation("kubernetes.io/service-account.name") {
                inv.token_secrets.push(TokenSecret {
                    namespace: ns(),
                    name,
                    service_account: sa.to_string(),
                    origin: at,
                    source: Some(source),
                });
            }
        }
        ("", "Namespace") => inv.namespaces.push(name),
        _ => {}
    }
}

fn selector(n: &Node) -> LabelSelector {
    let mut s = LabelSelector {
        match_labels: string_map(n.get("matchLabels")).into_iter().collect(),
        match_expressions: Vec::new(),
    };
    for e in n
        .get("matchExpressions")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
    {
        s.match_expressions.push(Requirement {
            key: e.str_at("key").unwrap_or("").to_string(),
            operator: match e.str_at("operator") {
                Some("In") => Some(Operator::In),
                Some("NotIn") => Some(Operator::NotIn),
                Some("Exists") => Some(Operator::Exists),
                Some("DoesNotExist") => Some(Operator::DoesNotExist),
                _ => None,
            },
            values: strings(e.get("values")),
        });
    }
    s
}

/// Field path of rule entry `index` of a role.
pub fn rule_path(index: usize) -> FieldPath {
    FieldPath::root().key("rules").index(index)
}

/// Field path of subject entry `index` of a binding.
pub fn subject_path(index: usize) -> FieldPath {
    FieldPath::root().key("subjects").index(index)
}

/// Load every RBAC object of a YAML or JSON stream (tests, benchmarks and
/// callers holding text). Errors name the line.
pub fn inventory_from_str(file: &str, text: &str) -> Result<RbacInventory, String> {
    use kubefort_core::object::{extract, Extracted};
    use kubefort_core::yaml::{load_str, Limits};
    let mut inv = RbacInventory::default();
    let file: std::sync::Arc<str> = file.into();
    let mut n = 0;
    for doc in load_str(text, &Limits::default()) {
        let doc = doc.map_err(|e| format!("{file}:{}: {}", e.pos.line, e.message))?;
        if doc.root.is_null() {
            continue;
        }
        if let Extracted::Objects(objs) = extract(doc.root) {
            for (root, id) in objs {
                let o = Object {
                    root,
                    id,
                    file: file.clone(),
                    doc_index: doc.index,
                    pod_specs: Vec::new(),
                };
                add_object(&mut inv, &o, n);
                n += 1;
            }
        }
    }
    Ok(inv)
}

impl RbacInventory {
    /// Add everything of `other`.
    pub fn extend(&mut self, other: RbacInventory) {
        self.roles.extend(other.roles);
        self.bindings.extend(other.bindings);
        self.service_accounts.extend(other.service_accounts);
        self.token_secrets.extend(other.token_secrets);
        self.namespaces.extend(other.namespaces);
    }
}

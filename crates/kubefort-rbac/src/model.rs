//! The RBAC model: roles with their aggregated rules, bindings resolved to
//! roles, and every subject's grants; queries answer as the API server's
//! RBAC authorizer would.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::builtin;
use crate::input::{
    Binding, BindingKind, Origin, PolicyRule, RbacInventory, Role, RoleKind, ServiceAccount,
    Subject, TokenSecret,
};
use crate::request::{rule_allows, service_account_user, Request, UserInfo, SYSTEM_MASTERS};

pub type RoleId = usize;
pub type BindingId = usize;

/// A rule of a role, where it comes from: rule `index` of role `role`.
/// For an aggregated ClusterRole, `role` is the ClusterRole that declares
/// the rule, not the aggregating one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleRef {
    pub role: RoleId,
    pub index: usize,
}

/// Who a binding subject matches: the authorizer compares a user's name or
/// one of its groups. A ServiceAccount subject is the user
/// `system:serviceaccount:NS:NAME`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Principal {
    User(String),
    Group(String),
}

/// Where a grant applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Scope {
    Cluster,
    Namespace(String),
}

impl Scope {
    /// Whether a grant at this scope is consulted for a request in `ns`
    /// (empty: cluster-wide or non-resource): ClusterRoleBindings always,
    /// RoleBindings only for requests in their namespace.
    pub fn applies_to(&self, ns: &str) -> bool {
        match self {
            Scope::Cluster => true,
            Scope::Namespace(n) => !ns.is_empty() && n == ns,
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Cluster => f.write_str("cluster-wide"),
            Scope::Namespace(ns) => write!(f, "in namespace {ns:?}"),
        }
    }
}

/// What a binding's `roleRef` resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    Role(RoleId),
    /// No such role, declared or built in: the binding grants nothing (yet).
    Missing,
    /// A reference the API server rejects or cannot follow.
    Invalid(String),
}

/// One subject of one binding: a grant of a role's rules at a scope.
#[derive(Clone, Debug)]
pub struct Grant {
    pub binding: BindingId,
    /// Index into the binding's `subjects`.
    pub subject: usize,
    pub principal: Principal,
    pub scope: Scope,
    /// `None` when the binding's role is missing or invalid.
    pub role: Option<RoleId>,
}

/// Something in the inputs that does not do what it appears to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// How the model is built.
#[derive(Clone, Debug)]
pub struct Options {
    /// Add the Kubernetes bootstrap ClusterRoles the inputs do not declare
    /// (right for manifests; a live cluster already holds its own).
    pub builtin_roles: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            builtin_roles: true,
        }
    }
}

/// One reason a request is allowed: a subject of a binding, its role, and
/// the rule that matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Evidence {
    pub binding: BindingId,
    pub subject: usize,
    pub role: RoleId,
    pub rule: RuleRef,
}

/// The answer to "may this user do this?".
#[derive(Clone, Debug, Default)]
pub struct Decision {
    pub allowed: bool,
    /// Allowed because the user is in `system:masters`.
    pub superuser: bool,
    /// Every grant that allows it, in authorizer order (cluster bindings first).
    pub evidence: Vec<Evidence>,
    /// Bindings of the user that could not be followed (missing roles).
    pub unresolved: Vec<BindingId>,
}

/// A subject allowed by [`Model::who_can`], with every grant that allows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedSubject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    pub name: String,
    /// The service account's namespace.
    pub namespace: Option<String>,
    /// Allowed because it is the superuser group `system:masters`.
    pub superuser: bool,
    pub evidence: Vec<Evidence>,
}

/// The RBAC model of one inventory.
pub struct Model {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
    pub service_accounts: Vec<ServiceAccount>,
    pub token_secrets: Vec<TokenSecret>,
    pub namespaces: BTreeSet<String>,
    /// Effective rules per role (aggregated for aggregating ClusterRoles).
    effective: Vec<Vec<RuleRef>>,
    /// Per binding.
    pub resolution: Vec<Resolution>,
    pub grants: Vec<Grant>,
    by_principal: HashMap<Principal, Vec<usize>>,
    cluster_bindings: Vec<BindingId>,
    ns_bindings: HashMap<String, Vec<BindingId>>,
    cluster_roles: HashMap<String, RoleId>,
    ns_roles: HashMap<(String, String), RoleId>,
    pub problems: Vec<Problem>,
    rejected: HashMap<RoleId, Rejection>,
}

/// Why the API server's validation rejects a role, and the rule entry at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub message: String,
    /// Index of the rule entry at fault (`None`: the aggregation rule).
    pub rule: Option<usize>,
}

impl Model {
    pub fn build(inv: RbacInventory, opts: &Options) -> Model {
        let RbacInventory {
            mut roles,
            bindings,
            service_accounts,
            token_secrets,
            namespaces,
        } = inv;
        let mut problems = Vec::new();
        let mut cluster_roles: HashMap<String, RoleId> = HashMap::new();
        let mut ns_roles: HashMap<(String, String), RoleId> = HashMap::new();
        let mut rejected: HashMap<RoleId, Rejection> = HashMap::new();
        for (i, r) in roles.iter().enumerate() {
            if let Some(why) = validate_role(r) {
                problems.push(Problem {
                    message: format!(
                        "{}: {}; the API server rejects it, so bindings to it find no role",
                        r.display(),
                        why.message
                    ),
                    origin: why
                        .rule
                        .and_then(|i| r.rule_origins.get(i).cloned().flatten())
                        .or_else(|| r.origin.clone()),
                });
                rejected.insert(i, why);
                continue;
            }
            match (&r.kind, &r.namespace) {
                (RoleKind::ClusterRole, _) => {
                    cluster_roles.entry(r.name.clone()).or_insert(i);
                }
                (RoleKind::Role, Some(ns)) => {
                    ns_roles.entry((ns.clone(), r.name.clone())).or_insert(i);
                }
                (RoleKind::Role, None) => {}
            }
        }
        if opts.builtin_roles {
            for b in builtin::roles() {
                if !cluster_roles.contains_key(b.name) {
                    cluster_roles.insert(b.name.to_string(), roles.len());
                    roles.push(b.to_role());
                }
            }
        }
        let effective = aggregate(&roles, &rejected, &mut problems);

        let mut resolution = Vec::with_capacity(bindings.len());
        let mut grants = Vec::new();
        let mut by_principal: HashMap<Principal, Vec<usize>> = HashMap::new();
        let mut cluster_bindings = Vec::new();
        let mut ns_bindings: HashMap<String, Vec<BindingId>> = HashMap::new();
        for (bi, b) in bindings.iter().enumerate() {
            let res = resolve(b, &cluster_roles, &ns_roles);
            match &res {
                Resolution::Missing => problems.push(Problem {
                    message: format!(
                        "{} refers to {} {:?}, which does not exist: it grants nothing, and whoever creates that role later grants its rules to the binding's subjects",
                        b.display(),
                        b.role_ref.kind,
                        b.role_ref.name
                    ),
                    origin: b.origin.clone(),
                }),
                Resolution::Invalid(why) => problems.push(Problem {
                    message: format!("{}: {why}; the API server rejects it, so it grants nothing", b.display()),
                    origin: b.origin.clone(),
                }),
                Resolution::Role(_) => {}
            }
            let role = match res {
                Resolution::Role(r) => Some(r),
                _ => None,
            };
            let scope = match (&b.kind, &b.namespace) {
                (BindingKind::ClusterRoleBinding, _) => Scope::Cluster,
                (BindingKind::RoleBinding, Some(ns)) => Scope::Namespace(ns.clone()),
                (BindingKind::RoleBinding, None) => Scope::Namespace("default".into()),
            };
            match &scope {
                Scope::Cluster => cluster_bindings.push(bi),
                Scope::Namespace(ns) => ns_bindings.entry(ns.clone()).or_default().push(bi),
            }
            let subjects: &[Subject] = match &res {
                Resolution::Invalid(_) => &[],
                _ => &b.subjects,
            };
            for (si, s) in subjects.iter().enumerate() {
                let principal = match subject_principal(s, &scope) {
                    Ok(p) => p,
                    Err(why) => {
                        problems.push(Problem {
                            message: format!("{}: {why}", b.display()),
                            origin: s.origin.clone().or_else(|| b.origin.clone()),
                        });
                        continue;
                    }
                };
                by_principal
                    .entry(principal.clone())
                    .or_default()
                    .push(grants.len());
                grants.push(Grant {
                    binding: bi,
                    subject: si,
                    principal,
                    scope: scope.clone(),
                    role,
                });
            }
            resolution.push(res);
        }
        let mut ns_set: BTreeSet<String> = namespaces.into_iter().collect();
        ns_set.extend(ns_bindings.keys().cloned());
        ns_set.extend(service_accounts.iter().map(|s| s.namespace.clone()));
        ns_set.extend(roles.iter().filter_map(|r| r.namespace.clone()));
        problems.sort();
        problems.dedup();
        Model {
            roles,
            bindings,
            service_accounts,
            token_secrets,
            namespaces: ns_set,
            effective,
            resolution,
            grants,
            by_principal,
            cluster_bindings,
            ns_bindings,
            cluster_roles,
            ns_roles,
            problems,
            rejected,
        }
    }

    /// Why the API server rejects a declared role (it then does not exist).
    pub fn rejection(&self, role: RoleId) -> Option<&Rejection> {
        self.rejected.get(&role)
    }

    /// The effective rules of a role (an aggregating ClusterRole's are the
    /// rules the aggregation controller gathers).
    pub fn rules_of(&self, role: RoleId) -> &[RuleRef] {
        &self.effective[role]
    }

    pub fn rule(&self, r: RuleRef) -> &PolicyRule {
        &self.roles[r.role].rules[r.index]
    }

    /// Where a rule entry is declared.
    pub fn rule_origin(&self, r: RuleRef) -> Option<&Origin> {
        self.roles[r.role]
            .rule_origins
            .get(r.index)
            .and_then(Option::as_ref)
    }

    pub fn cluster_role(&self, name: &str) -> Option<RoleId> {
        self.cluster_roles.get(name).copied()
    }

    pub fn role(&self, namespace: &str, name: &str) -> Option<RoleId> {
        self.ns_roles
            .get(&(namespace.to_string(), name.to_string()))
            .copied()
    }

    /// The grants whose subject is `p`.
    pub fn grants_of(&self, p: &Principal) -> impl Iterator<Item = &Grant> + '_ {
        self.by_principal
            .get(p)
            .into_iter()
            .flatten()
            .map(|&i| &self.grants[i])
    }

    /// Every grant that applies to `user` (its name and each of its groups).
    pub fn grants_for<'a>(&'a self, user: &'a UserInfo) -> impl Iterator<Item = &'a Grant> + 'a {
        std::iter::once(Principal::User(user.name.clone()))
            .chain(user.groups.iter().cloned().map(Principal::Group))
            .collect::<Vec<_>>()
            .into_iter()
            .flat_map(move |p| {
                self.by_principal
                    .get(&p)
                    .into_iter()
                    .flatten()
                    .map(move |&i| &self.grants[i])
            })
    }

    /// The first rule of `role` that allows `req`.
    pub fn role_allows(&self, role: RoleId, req: &Request) -> Option<RuleRef> {
        self.effective[role]
            .iter()
            .copied()
            .find(|r| rule_allows(self.rule(*r), req))
    }

    /// Whether a grant allows `req`, and by which rule.
    pub fn grant_allows(&self, g: &Grant, req: &Request) -> Option<Evidence> {
        if !g.scope.applies_to(req.scope_namespace()) {
            return None;
        }
        let role = g.role?;
        self.role_allows(role, req).map(|rule| Evidence {
            binding: g.binding,
            subject: g.subject,
            role,
            rule,
        })
    }

    /// Whether `user` may make `req`, as the API server decides with the
    /// privileged-group and RBAC authorizers.
    pub fn authorize(&self, user: &UserInfo, req: &Request) -> Decision {
        let mut d = Decision {
            superuser: user.is_superuser(),
            ..Default::default()
        };
        let mut seen = BTreeSet::new();
        for g in self.grants_for(user) {
            if !g.scope.applies_to(req.scope_namespace()) {
                continue;
            }
            if g.role.is_none() {
                d.unresolved.push(g.binding);
                continue;
            }
            if let Some(e) = self.grant_allows(g, req) {
                if seen.insert((e.binding, e.rule)) {
                    d.evidence.push(e);
                }
            }
        }
        // The authorizer visits ClusterRoleBindings first, then RoleBindings.
        d.evidence.sort_by_key(|e| {
            (
                self.bindings[e.binding].kind != BindingKind::ClusterRoleBinding,
                e.binding,
                e.rule,
            )
        });
        d.unresolved.sort();
        d.unresolved.dedup();
        d.allowed = d.superuser || !d.evidence.is_empty();
        d
    }

    /// Every subject of a binding that allows `req`, as the API server's
    /// subject locator finds them (`system:masters` first), merged by subject.
    pub fn who_can(&self, req: &Request) -> Vec<AllowedSubject> {
        let mut out: BTreeMap<(String, String, Option<String>), AllowedSubject> = BTreeMap::new();
        let mut role_cache: HashMap<RoleId, Option<RuleRef>> = HashMap::new();
        let mut candidates: Vec<BindingId> = self.cluster_bindings.clone();
        if req.is_resource_request() && !req.namespace.is_empty() {
            if let Some(v) = self.ns_bindings.get(&req.namespace) {
                candidates.extend(v);
            }
        }
        for bi in candidates {
            let Resolution::Role(role) = self.resolution[bi] else {
                continue;
            };
            let Some(rule) = *role_cache
                .entry(role)
                .or_insert_with(|| self.role_allows(role, req))
            else {
                continue;
            };
            let b = &self.bindings[bi];
            for (si, s) in b.subjects.iter().enumerate() {
                let ns = match s.kind.as_str() {
                    "ServiceAccount" => {
                        match s
                            .namespace
                            .clone()
                            .filter(|n| !n.is_empty())
                            .or_else(|| b.namespace.clone())
                        {
                            Some(n) => Some(n),
                            None => continue,
                        }
                    }
                    "User" | "Group" => None,
                    _ => continue,
                };
                let entry = out
                    .entry((s.kind.clone(), s.name.clone(), ns.clone()))
                    .or_insert_with(|| AllowedSubject {
                        kind: s.kind.clone(),
                        name: s.name.clone(),
                        namespace: ns,
                        superuser: false,
                        evidence: Vec::new(),
                    });
                let e = Evidence {
                    binding: bi,
                    subject: si,
                    role,
                    rule,
                };
                if !entry.evidence.iter().any(|x| x.binding == bi) {
                    entry.evidence.push(e);
                }
            }
        }
        let mut v = vec![AllowedSubject {
            kind: "Group".into(),
            name: SYSTEM_MASTERS.into(),
            namespace: None,
            superuser: true,
            evidence: out
                .remove(&("Group".into(), SYSTEM_MASTERS.into(), None))
                .map(|s| s.evidence)
                .unwrap_or_default(),
        }];
        v.extend(out.into_values());
        v
    }

    /// The rules `user` holds, per scope: cluster-wide (ClusterRoleBindings)
    /// and per namespace (RoleBindings), each with its evidence.
    pub fn rules_for(&self, user: &UserInfo) -> BTreeMap<Scope, Vec<(PolicyRule, Vec<Evidence>)>> {
        let mut out: BTreeMap<Scope, Vec<(PolicyRule, Vec<Evidence>)>> = BTreeMap::new();
        for g in self.grants_for(user) {
            let Some(role) = g.role else { continue };
            for &rule in &self.effective[role] {
                out.entry(g.scope.clone()).or_default().push((
                    self.rule(rule).clone(),
                    vec![Evidence {
                        binding: g.binding,
                        subject: g.subject,
                        role,
                        rule,
                    }],
                ));
            }
        }
        out
    }

    /// Service accounts known in `ns`: ServiceAccount objects, subjects of
    /// bindings, token Secrets, and `default`, which every namespace has.
    pub fn service_accounts_in(&self, ns: &str) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = BTreeSet::new();
        out.insert("default".into());
        out.extend(
            self.service_accounts
                .iter()
                .filter(|s| s.namespace == ns)
                .map(|s| s.name.clone()),
        );
        out.extend(
            self.token_secrets
                .iter()
                .filter(|s| s.namespace == ns)
                .map(|s| s.service_account.clone()),
        );
        for g in &self.grants {
            if let Principal::User(u) = &g.principal {
                if let Some((n, name)) = crate::request::split_service_account(u) {
                    if n == ns {
                        out.insert(name.to_string());
                    }
                }
            }
        }
        out
    }

    /// Every principal some binding names.
    pub fn principals(&self) -> impl Iterator<Item = &Principal> + '_ {
        self.by_principal.keys()
    }

    /// `Binding shop/x → ClusterRole edit (built-in)`.
    pub fn describe_grant(&self, binding: BindingId, role: RoleId) -> String {
        format!(
            "{} → {}",
            self.bindings[binding].display(),
            self.describe_role(role)
        )
    }

    /// `ClusterRole edit (built-in definition, Kubernetes v1.37.2)`.
    pub fn describe_role(&self, role: RoleId) -> String {
        let r = &self.roles[role];
        if r.builtin {
            format!(
                "{} (built-in definition, Kubernetes {})",
                r.display(),
                builtin::VERSION
            )
        } else {
            r.display()
        }
    }

    /// `rule 2 of ClusterRole view (line 14)`, naming the declaring role
    /// when aggregated into another.
    pub fn describe_rule(&self, role: RoleId, rule: RuleRef) -> String {
        let mut s = format!("rules[{}]", rule.index);
        if rule.role != role {
            s.push_str(&format!(
                " of {} (aggregated)",
                self.roles[rule.role].display()
            ));
        }
        if let Some(o) = self.rule_origin(rule) {
            s.push_str(&format!(" at {o}"));
        }
        s
    }
}

fn subject_principal(s: &Subject, scope: &Scope) -> Result<Principal, String> {
    match s.kind.as_str() {
        "User" => Ok(Principal::User(s.name.clone())),
        "Group" => Ok(Principal::Group(s.name.clone())),
        "ServiceAccount" => {
            let ns = s
                .namespace
                .clone()
                .filter(|n| !n.is_empty())
                .or(match scope {
                    Scope::Namespace(ns) => Some(ns.clone()),
                    Scope::Cluster => None,
                });
            match ns {
                Some(ns) => Ok(Principal::User(service_account_user(&ns, &s.name))),
                None => Err(format!(
                    "ServiceAccount subject {:?} has no namespace, so it matches no one (a ClusterRoleBinding must name the namespace)",
                    s.name
                )),
            }
        }
        other => Err(format!(
            "subject kind {other:?} is not User, Group or ServiceAccount, so it matches no one"
        )),
    }
}

/// Why the API server's validation rejects a role, if it does: a rule
/// without verbs, a resource rule without API groups or resources, a rule
/// for both resources and non-resource URLs, non-resource URLs in a Role,
/// an aggregation rule without selectors or with an invalid one.
fn validate_role(r: &Role) -> Option<Rejection> {
    if r.builtin {
        return None;
    }
    for (i, rule) in r.rules.iter().enumerate() {
        let why = if rule.verbs.is_empty() {
            Some("verbs must contain at least one value")
        } else if !rule.non_resource_urls.is_empty() {
            if r.kind == RoleKind::Role {
                Some("a Role's rules cannot apply to non-resource URLs")
            } else if !rule.api_groups.is_empty()
                || !rule.resources.is_empty()
                || !rule.resource_names.is_empty()
            {
                Some("a rule cannot apply to both resources and non-resource URLs")
            } else {
                None
            }
        } else if rule.api_groups.is_empty() {
            Some("a resource rule must name at least one API group")
        } else if rule.resources.is_empty() {
            Some("a resource rule must name at least one resource")
        } else {
            None
        };
        if let Some(why) = why {
            return Some(Rejection {
                message: format!("rules[{i}]: {why}"),
                rule: Some(i),
            });
        }
    }
    if let Some(sels) = &r.aggregation {
        if sels.is_empty() {
            return Some(Rejection {
                message: "aggregationRule needs at least one clusterRoleSelector".into(),
                rule: None,
            });
        }
        for (i, sel) in sels.iter().enumerate() {
            if let Err(e) = sel.matches(&BTreeMap::new()) {
                return Some(Rejection {
                    message: format!("aggregationRule.clusterRoleSelectors[{i}]: {e}"),
                    rule: None,
                });
            }
        }
    }
    None
}

/// Why the API server's validation rejects a binding's subjects, if it does
/// (after defaulting: an empty `apiGroup` of a User or Group subject is
/// `rbac.authorization.k8s.io`). A rejected binding is never stored.
fn invalid_subject(b: &Binding) -> Option<String> {
    for (i, s) in b.subjects.iter().enumerate() {
        let group = s.api_group.as_deref().unwrap_or("");
        let why = if s.name.is_empty() {
            Some("has no name".to_string())
        } else {
            match s.kind.as_str() {
                "ServiceAccount" if !group.is_empty() => {
                    Some(format!("is a ServiceAccount with apiGroup {group:?} (must be empty)"))
                }
                "ServiceAccount"
                    if b.kind == BindingKind::ClusterRoleBinding
                        && s.namespace.as_deref().is_none_or(str::is_empty) =>
                {
                    Some(format!(
                        "is ServiceAccount {:?} without a namespace, which a ClusterRoleBinding must name (a kustomize base gets it from the namespace transformer: scan `kustomize build` output)",
                        s.name
                    ))
                }
                "User" | "Group" if !group.is_empty() && group != "rbac.authorization.k8s.io" => {
                    Some(format!(
                        "is a {} with apiGroup {group:?} (must be rbac.authorization.k8s.io)",
                        s.kind
                    ))
                }
                "User" | "Group" | "ServiceAccount" => None,
                other => Some(format!(
                    "has kind {other:?}, not User, Group or ServiceAccount"
                )),
            }
        };
        if let Some(why) = why {
            return Some(format!("subjects[{i}] {why}"));
        }
    }
    None
}

fn resolve(
    b: &Binding,
    cluster_roles: &HashMap<String, RoleId>,
    ns_roles: &HashMap<(String, String), RoleId>,
) -> Resolution {
    if let Some(why) = invalid_subject(b) {
        return Resolution::Invalid(why);
    }
    if !b.role_ref.api_group.is_empty() && b.role_ref.api_group != "rbac.authorization.k8s.io" {
        return Resolution::Invalid(format!(
            "roleRef.apiGroup {:?} is not rbac.authorization.k8s.io",
            b.role_ref.api_group
        ));
    }
    match (b.kind, b.role_ref.kind.as_str()) {
        (_, "ClusterRole") => cluster_roles
            .get(&b.role_ref.name)
            .map_or(Resolution::Missing, |&r| Resolution::Role(r)),
        (BindingKind::RoleBinding, "Role") => {
            let ns = b.namespace.clone().unwrap_or_else(|| "default".into());
            ns_roles
                .get(&(ns, b.role_ref.name.clone()))
                .map_or(Resolution::Missing, |&r| Resolution::Role(r))
        }
        (BindingKind::ClusterRoleBinding, "Role") => {
            Resolution::Invalid("a ClusterRoleBinding can only refer to a ClusterRole".into())
        }
        (_, other) => {
            Resolution::Invalid(format!("roleRef.kind {other:?} is not Role or ClusterRole"))
        }
    }
}

/// Effective rules of every role, with ClusterRole aggregation applied as
/// the controller converges: an aggregating role's rules are replaced by the
/// rules of every other ClusterRole its selectors match (selectors in order,
/// roles by name, duplicates dropped), repeated until nothing changes.
fn aggregate(
    roles: &[Role],
    rejected: &HashMap<RoleId, Rejection>,
    problems: &mut Vec<Problem>,
) -> Vec<Vec<RuleRef>> {
    let mut effective: Vec<Vec<RuleRef>> = roles
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (0..r.rules.len())
                .map(|index| RuleRef { role: i, index })
                .collect()
        })
        .collect();
    let mut by_name: Vec<RoleId> = (0..roles.len())
        .filter(|&i| roles[i].kind == RoleKind::ClusterRole && !rejected.contains_key(&i))
        .collect();
    by_name.sort_by(|&a, &b| roles[a].name.cmp(&roles[b].name).then(a.cmp(&b)));
    // Which roles each aggregating role gathers from, once.
    let mut sources: Vec<(RoleId, Vec<RoleId>)> = Vec::new();
    for (i, r) in roles.iter().enumerate() {
        let (RoleKind::ClusterRole, Some(sels)) = (r.kind, &r.aggregation) else {
            continue;
        };
        if rejected.contains_key(&i) {
            continue;
        }
        let mut from = Vec::new();
        let mut invalid = None;
        for sel in sels {
            for &j in &by_name {
                if roles[j].name == r.name {
                    continue;
                }
                match sel.matches(&roles[j].labels) {
                    Ok(true) => from.push(j),
                    Ok(false) => {}
                    Err(e) => {
                        invalid = Some(e);
                        break;
                    }
                }
            }
            if invalid.is_some() {
                break;
            }
        }
        match invalid {
            Some(e) => problems.push(Problem {
                message: format!(
                    "{}: invalid aggregation selector ({e}); the aggregation controller leaves its rules as they are",
                    r.display()
                ),
                origin: r.origin.clone(),
            }),
            None => {
                if !r.rules.is_empty() && !r.builtin {
                    problems.push(Problem {
                        message: format!(
                            "{} declares rules and an aggregationRule: the aggregation controller replaces the rules with the aggregated ones",
                            r.display()
                        ),
                        origin: r.origin.clone(),
                    });
                }
                effective[i].clear();
                sources.push((i, from));
            }
        }
    }
    for _ in 0..=sources.len() {
        let mut changed = false;
        for (i, from) in &sources {
            let mut next: Vec<RuleRef> = Vec::new();
            for &j in from {
                for &rr in &effective[j] {
                    let rule = &roles[rr.role].rules[rr.index];
                    if !next
                        .iter()
                        .any(|x| roles[x.role].rules[x.index].same_as(rule))
                    {
                        next.push(rr);
                    }
                }
            }
            if next != effective[*i] {
                effective[*i] = next;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    effective
}

//! The escalation graph: nodes are identities and capabilities, edges are
//! techniques that turn one into the other, each with its evidence (the
//! binding, role and rule that allow it). Shortest paths show how an
//! identity climbs to cluster-admin.
//!
//! What an identity can do is evaluated with its groups (a service account
//! is also `system:serviceaccounts`, `system:serviceaccounts:NS` and
//! `system:authenticated`), with the same rule matching as
//! [`Model::authorize`]. The graph assumes that a pod cannot break out to
//! its node (Pod Security's business, see `kubefort pss`): creating a pod
//! yields its service account, not the node.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::OnceLock;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use rayon::prelude::*;
use serde::Serialize;

use crate::input::{BindingKind, RoleKind};
use crate::model::{BindingId, Model, Principal, RoleId, RuleRef, Scope};
use crate::request::{
    rule_allows, service_account_user, split_service_account, Request, UserInfo, SYSTEM_MASTERS,
};

/// A node: an identity, or a capability that leads to identities.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// A user by name; service accounts are users named
    /// `system:serviceaccount:NS:NAME`.
    User(String),
    Group(String),
    /// Can act as any service account of a namespace (`None`: of every namespace).
    AnyServiceAccount(Option<String>),
    /// Can do anything in a namespace (`None`: in every namespace).
    NamespaceAdmin(Option<String>),
    /// Holds a role it granted itself.
    Role {
        role: RoleId,
        scope: Scope,
    },
    /// Can call the kubelet API of every node.
    Kubelet,
    /// `*` on every resource cluster-wide, or the superuser group.
    ClusterAdmin,
}

impl Node {
    /// How the node reads: `ServiceAccount shop/ci`, `User alice`, ...
    pub fn describe(&self, m: &Model) -> String {
        match self {
            Node::User(u) => match split_service_account(u) {
                Some((ns, n)) => format!("ServiceAccount {ns}/{n}"),
                None => format!("User {u}"),
            },
            Node::Group(g) => format!("Group {g}"),
            Node::AnyServiceAccount(Some(ns)) => {
                format!("any service account in namespace {ns}")
            }
            Node::AnyServiceAccount(None) => "any service account in any namespace".into(),
            Node::NamespaceAdmin(Some(ns)) => format!("full control of namespace {ns}"),
            Node::NamespaceAdmin(None) => "full control of every namespace".into(),
            Node::Role { role, scope } => format!("{} {scope}", m.roles[*role].display()),
            Node::Kubelet => "the kubelet API of every node".into(),
            Node::ClusterAdmin => "cluster-admin".into(),
        }
    }

    /// The identity this node is, for JSON: `{"kind","name","namespace"}`.
    pub fn identity(&self) -> Option<(&'static str, String, Option<String>)> {
        match self {
            Node::User(u) => Some(match split_service_account(u) {
                Some((ns, n)) => ("ServiceAccount", n.to_string(), Some(ns.to_string())),
                None => ("User", u.clone(), None),
            }),
            Node::Group(g) => Some(("Group", g.clone(), None)),
            _ => None,
        }
    }
}

/// How one node leads to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Technique {
    /// Holds `*` verbs on `*` resources in `*` API groups cluster-wide.
    ClusterAdminRules,
    /// Member of `system:masters`.
    Superuser,
    /// Creates pods or workload controllers (or changes their pod template),
    /// which run as any service account of the namespace.
    RunPods,
    /// Execs, attaches or adds an ephemeral container to running pods, and
    /// reads their service-account tokens.
    ExecIntoPods,
    /// Reads a service-account token Secret.
    ReadTokenSecret,
    /// Creates a `kubernetes.io/service-account-token` Secret for any
    /// service account and reads back the token the controller puts in it.
    MintTokenSecret,
    /// Creates `serviceaccounts/token` (TokenRequest).
    CreateToken,
    /// Impersonates a user, group or service account.
    Impersonate,
    /// Creates or updates a binding to a role it may `bind`.
    Bind,
    /// Rewrites a role it is bound to (`escalate` and `update`/`patch`).
    Escalate,
    /// Calls the kubelet through `nodes/proxy`.
    NodesProxy,
    /// Through the kubelet API, execs into any pod on any node.
    KubeletExec,
    /// Creates a CertificateSigningRequest for the `system:masters` group,
    /// approves it and lets the `kube-apiserver-client` signer sign it.
    ApproveCsr,
    /// Registers a mutating admission webhook that rewrites every pod.
    MutatingWebhook,
    /// A capability that contains another (a namespace's admin can act as
    /// its service accounts; a service account is one of "any").
    Includes,
}

impl Technique {
    pub fn name(self) -> &'static str {
        match self {
            Technique::ClusterAdminRules => "cluster-admin-rules",
            Technique::Superuser => "superuser",
            Technique::RunPods => "run-pods",
            Technique::ExecIntoPods => "exec-into-pods",
            Technique::ReadTokenSecret => "read-token-secret",
            Technique::MintTokenSecret => "mint-token-secret",
            Technique::CreateToken => "create-token",
            Technique::Impersonate => "impersonate",
            Technique::Bind => "bind",
            Technique::Escalate => "escalate",
            Technique::NodesProxy => "nodes-proxy",
            Technique::KubeletExec => "kubelet-exec",
            Technique::ApproveCsr => "approve-csr",
            Technique::MutatingWebhook => "mutating-webhook",
            Technique::Includes => "includes",
        }
    }
}

impl fmt::Display for Technique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One permission an edge relies on: the binding subject that grants it
/// (none for a role an identity granted itself), the role and the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Proof {
    pub binding: Option<(BindingId, usize)>,
    pub role: RoleId,
    pub rule: RuleRef,
}

/// An edge: the technique, what it does here, and its evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub technique: Technique,
    pub detail: String,
    pub evidence: Vec<Proof>,
}

/// One grant an identity holds, for evaluating what it can do.
#[derive(Clone, Debug)]
struct Held {
    scope: Scope,
    role: RoleId,
    via: Option<(BindingId, usize)>,
}

/// A name no object has: a rule allows it only when it allows every name.
const ANY_NAME: &str = "\u{0}any";

/// The escalation graph of a model.
pub struct EscalationGraph<'m> {
    pub model: &'m Model,
    pub graph: DiGraph<Node, Step>,
    index: HashMap<Node, NodeIndex>,
    /// Per namespace, the service accounts known there.
    sas: BTreeMap<String, BTreeSet<String>>,
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
    /// Token Secrets (indexes into the model's), all and per namespace.
    all_secrets: Vec<usize>,
    secrets_by_ns: HashMap<String, Vec<usize>>,
    /// Per role, the atoms it allows (see [`ATOMS`]).
    role_atoms: Vec<OnceLock<Box<[Option<RuleRef>]>>>,
}

/// A path: the start node and each step to the target.
#[derive(Clone, Debug)]
pub struct Path {
    pub from: Node,
    pub steps: Vec<(Node, Node, Step)>,
}

impl<'m> EscalationGraph<'m> {
    pub fn build(model: &'m Model) -> Self {
        let mut sas: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for ns in &model.namespaces {
            sas.entry(ns.clone()).or_default().insert("default".into());
        }
        for s in &model.service_accounts {
            sas.entry(s.namespace.clone())
                .or_default()
                .insert(s.name.clone());
        }
        for s in &model.token_secrets {
            sas.entry(s.namespace.clone())
                .or_default()
                .insert(s.service_account.clone());
        }
        let mut users = BTreeSet::new();
        let mut groups = BTreeSet::new();
        for p in model.principals() {
            match p {
                Principal::User(u) => match split_service_account(u) {
                    Some((ns, n)) => {
                        sas.entry(ns.to_string()).or_default().insert(n.to_string());
                    }
                    None => {
                        users.insert(u.clone());
                    }
                },
                Principal::Group(g) => {
                    groups.insert(g.clone());
                }
            }
        }
        let mut secrets_by_ns: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, s) in model.token_secrets.iter().enumerate() {
            secrets_by_ns
                .entry(s.namespace.clone())
                .or_default()
                .push(i);
        }
        let mut g = EscalationGraph {
            model,
            graph: DiGraph::new(),
            index: HashMap::new(),
            sas,
            users,
            groups,
            all_secrets: (0..model.token_secrets.len()).collect(),
            secrets_by_ns,
            role_atoms: (0..model.roles.len()).map(|_| OnceLock::new()).collect(),
        };
        g.node(Node::ClusterAdmin);
        let mut todo: Vec<Node> = Vec::new();
        for u in &g.users {
            todo.push(Node::User(u.clone()));
        }
        for (ns, names) in &g.sas {
            for n in names {
                todo.push(Node::User(service_account_user(ns, n)));
            }
        }
        for gr in &g.groups {
            todo.push(Node::Group(gr.clone()));
        }
        // The identities' edges, in parallel; then the capabilities they
        // lead to (and anything those lead to), one at a time.
        let first: Vec<(Node, Vec<(Node, Step)>)> = {
            let g = &g;
            todo.par_iter()
                .map(|n| (n.clone(), g.edges_of(n)))
                .collect()
        };
        let mut done: HashSet<Node> = HashSet::new();
        let mut todo: Vec<Node> = Vec::new();
        let add = |g: &mut Self, n: Node, edges: Vec<(Node, Step)>, todo: &mut Vec<Node>| {
            let from = g.node(n);
            for (to, step) in edges {
                todo.push(to.clone());
                let to = g.node(to);
                g.graph.add_edge(from, to, step);
            }
        };
        for (n, _) in &first {
            done.insert(n.clone());
        }
        for (n, edges) in first {
            add(&mut g, n, edges, &mut todo);
        }
        while let Some(n) = todo.pop() {
            if !done.insert(n.clone()) {
                continue;
            }
            let edges = g.edges_of(&n);
            add(&mut g, n, edges, &mut todo);
        }
        g
    }

    fn node(&mut self, n: Node) -> NodeIndex {
        if let Some(&i) = self.index.get(&n) {
            return i;
        }
        let i = self.graph.add_node(n.clone());
        self.index.insert(n, i);
        i
    }

    pub fn index_of(&self, n: &Node) -> Option<NodeIndex> {
        self.index.get(n).copied()
    }

    fn held_for_user(&self, user: &UserInfo) -> Vec<Held> {
        self.model
            .grants_for(user)
            .filter_map(|g| {
                Some(Held {
                    scope: g.scope.clone(),
                    role: g.role?,
                    via: Some((g.binding, g.subject)),
                })
            })
            .collect()
    }

    fn held_for_group(&self, group: &str) -> Vec<Held> {
        self.model
            .grants_of(&Principal::Group(group.to_string()))
            .filter_map(|g| {
                Some(Held {
                    scope: g.scope.clone(),
                    role: g.role?,
                    via: Some((g.binding, g.subject)),
                })
            })
            .collect()
    }

    /// The edges out of a node.
    fn edges_of(&self, n: &Node) -> Vec<(Node, Step)> {
        let includes = |to: Node, detail: String| {
            (
                to,
                Step {
                    technique: Technique::Includes,
                    detail,
                    evidence: Vec::new(),
                },
            )
        };
        match n {
            Node::User(u) => {
                let user = UserInfo::impersonated(u, &[]);
                self.capabilities(&self.held_for_user(&user), user.is_superuser())
            }
            Node::Group(gr) => self.capabilities(&self.held_for_group(gr), gr == SYSTEM_MASTERS),
            Node::Role { role, scope } => self.capabilities(
                &[Held {
                    scope: scope.clone(),
                    role: *role,
                    via: None,
                }],
                false,
            ),
            Node::AnyServiceAccount(Some(ns)) => self
                .sas
                .get(ns)
                .into_iter()
                .flatten()
                .map(|sa| {
                    includes(
                        Node::User(service_account_user(ns, sa)),
                        format!("{ns}/{sa} is a service account of namespace {ns}"),
                    )
                })
                .collect(),
            Node::AnyServiceAccount(None) => self
                .sas
                .keys()
                .map(|ns| {
                    includes(
                        Node::AnyServiceAccount(Some(ns.clone())),
                        format!("namespace {ns} is one of every namespace"),
                    )
                })
                .collect(),
            Node::NamespaceAdmin(Some(ns)) => vec![includes(
                Node::AnyServiceAccount(Some(ns.clone())),
                format!("full control of {ns} includes creating pods as any of its service accounts"),
            )],
            Node::NamespaceAdmin(None) => vec![includes(
                Node::AnyServiceAccount(None),
                "full control of every namespace includes creating pods as any service account".into(),
            )],
            Node::Kubelet => vec![(
                Node::AnyServiceAccount(None),
                Step {
                    technique: Technique::KubeletExec,
                    detail: "the kubelet API runs commands in any pod on its node (/exec, /run), which yields the pods' service-account tokens".into(),
                    evidence: Vec::new(),
                },
            )],
            Node::ClusterAdmin => Vec::new(),
        }
    }

    /// Which atoms (see [`ATOMS`]) a role allows, and by which rule; computed once per role.
    fn atoms_of(&self, role: RoleId) -> &[Option<RuleRef>] {
        self.role_atoms[role].get_or_init(|| {
            ATOMS
                .iter()
                .map(|a| {
                    let req = a.request();
                    match a.name {
                        AtomName::Ignore => self.model.rules_of(role).iter().copied().find(|&rr| {
                            let mut any = self.model.rule(rr).clone();
                            any.resource_names.clear();
                            rule_allows(&any, &req)
                        }),
                        _ => self.model.role_allows(role, &req),
                    }
                })
                .collect()
        })
    }

    /// The first held grant that allows atom `atom` in namespace `ns`
    /// (empty: cluster-wide grants only).
    fn has(&self, held: &[Held], ns: &str, atom: usize) -> Option<Proof> {
        held.iter().find_map(|h| {
            if !h.scope.applies_to(ns) {
                return None;
            }
            self.atoms_of(h.role)[atom].map(|rule| Proof {
                binding: h.via,
                role: h.role,
                rule,
            })
        })
    }

    /// The first held grant that allows `req`.
    fn allow(&self, held: &[Held], req: &Request) -> Option<Proof> {
        held.iter().find_map(|h| {
            if !h.scope.applies_to(&req.namespace) {
                return None;
            }
            self.model.role_allows(h.role, req).map(|rule| Proof {
                binding: h.via,
                role: h.role,
                rule,
            })
        })
    }

    /// Names that rules matching `req` (whatever its name) restrict it to,
    /// or `None` when some rule allows every name.
    fn named(&self, held: &[Held], req: &Request) -> Option<Vec<(String, Proof)>> {
        let mut out = Vec::new();
        for h in held {
            if !h.scope.applies_to(&req.namespace) {
                continue;
            }
            for &rr in self.model.rules_of(h.role) {
                let rule = self.model.rule(rr);
                let mut any = rule.clone();
                any.resource_names.clear();
                if !rule_allows(&any, req) {
                    continue;
                }
                let proof = Proof {
                    binding: h.via,
                    role: h.role,
                    rule: rr,
                };
                if rule.resource_names.is_empty() {
                    return None;
                }
                out.extend(rule.resource_names.iter().map(|n| (n.clone(), proof)));
            }
        }
        Some(out)
    }

    /// What a holder of `held` can reach in one step.
    fn capabilities(&self, held: &[Held], superuser: bool) -> Vec<(Node, Step)> {
        let mut out: Vec<(Node, Step)> = Vec::new();
        let step = |t: Technique, detail: String, evidence: Vec<Proof>| Step {
            technique: t,
            detail,
            evidence,
        };
        if superuser {
            out.push((
                Node::ClusterAdmin,
                step(
                    Technique::Superuser,
                    "member of system:masters, which bypasses authorization".into(),
                    Vec::new(),
                ),
            ));
        }
        if held.is_empty() {
            return out;
        }
        if let Some(p) = self.has(held, "", EVERYTHING) {
            out.push((
                Node::ClusterAdmin,
                step(
                    Technique::ClusterAdminRules,
                    "holds every verb on every resource cluster-wide".into(),
                    vec![p],
                ),
            ));
            return out;
        }
        // Cluster-wide first (namespace ""), then each namespace it holds
        // RoleBindings in, skipping what cluster-wide grants already give.
        let mut scopes: Vec<String> = vec![String::new()];
        let mut ns_set: BTreeSet<&str> = BTreeSet::new();
        for h in held {
            if let Scope::Namespace(ns) = &h.scope {
                ns_set.insert(ns);
            }
        }
        scopes.extend(ns_set.into_iter().map(str::to_string));
        let mut cluster_done: HashSet<Technique> = HashSet::new();
        for ns in &scopes {
            let cluster = ns.is_empty();
            let target_ns = (!cluster).then(|| ns.clone());
            let where_ = if cluster {
                "in every namespace".to_string()
            } else {
                format!("in namespace {ns}")
            };
            let has = |atom: usize| self.has(held, ns, atom);
            let mut add = |out: &mut Vec<(Node, Step)>, to: Node, s: Step| {
                if cluster {
                    cluster_done.insert(s.technique);
                } else if cluster_done.contains(&s.technique) {
                    return;
                }
                out.push((to, s));
            };

            // Run pods, directly or through a controller.
            if let Some((atom, p)) = WORKLOADS.iter().find_map(|&a| has(a).map(|p| (a, p))) {
                let a = &ATOMS[atom];
                add(
                    &mut out,
                    Node::AnyServiceAccount(target_ns.clone()),
                    step(
                        Technique::RunPods,
                        format!(
                            "can {} {} {where_}: a pod runs as any service account of its namespace and gets its token",
                            a.verb,
                            resource_display(a.group, a.resource)
                        ),
                        vec![p],
                    ),
                );
            }
            // Exec into running pods.
            if let Some((atom, p)) = EXEC.iter().find_map(|&a| has(a).map(|p| (a, p))) {
                let a = &ATOMS[atom];
                add(
                    &mut out,
                    Node::AnyServiceAccount(target_ns.clone()),
                    step(
                        Technique::ExecIntoPods,
                        format!(
                            "can {} pods/{} {where_}: a shell in a running pod reads its service-account token",
                            a.verb, a.sub
                        ),
                        vec![p],
                    ),
                );
            }
            // Service accounts by name: TokenRequest and impersonation.
            for (t, atom, verb, sub) in [
                (Technique::CreateToken, SA_TOKEN, "create", "token"),
                (Technique::Impersonate, SA_IMPERSONATE, "impersonate", ""),
            ] {
                if has(atom).is_none() {
                    continue;
                }
                let what = if sub.is_empty() {
                    "serviceaccounts".to_string()
                } else {
                    format!("serviceaccounts/{sub}")
                };
                let req = Request::resource(verb, "", "serviceaccounts")
                    .in_namespace(ns)
                    .with_subresource(sub);
                match self.named(held, &req) {
                    None => {
                        let p = self.allow(held, &req.clone().named(ANY_NAME));
                        add(
                            &mut out,
                            Node::AnyServiceAccount(target_ns.clone()),
                            step(
                                t,
                                format!("can {verb} {what} {where_}"),
                                p.into_iter().collect(),
                            ),
                        );
                    }
                    Some(names) => {
                        for (name, p) in names {
                            let namespaces: Vec<&String> = match &target_ns {
                                Some(ns) => vec![ns],
                                None => self
                                    .sas
                                    .iter()
                                    .filter(|(_, names)| names.contains(&name))
                                    .map(|(ns, _)| ns)
                                    .collect(),
                            };
                            for sns in namespaces {
                                out.push((
                                    Node::User(service_account_user(sns, &name)),
                                    step(
                                        t,
                                        format!(
                                            "can {verb} {what} named {name} in namespace {sns}"
                                        ),
                                        vec![p],
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
            // Secrets: read token Secrets, or mint one.
            let list = has(LIST_SECRETS)
                .map(|p| ("list", p))
                .or_else(|| has(WATCH_SECRETS).map(|p| ("watch", p)));
            let get = if list.is_none() && has(GET_SECRETS_NAMED).is_some() {
                Some(self.named(
                    held,
                    &Request::resource("get", "", "secrets").in_namespace(ns),
                ))
            } else {
                None
            };
            if list.is_some() || get.is_some() {
                let secrets: &[usize] = if cluster {
                    &self.all_secrets
                } else {
                    self.secrets_by_ns.get(ns).map_or(&[], Vec::as_slice)
                };
                for &si in secrets {
                    let s = &self.model.token_secrets[si];
                    let read = match (&list, &get) {
                        (Some((v, p)), _) => Some((*v, *p)),
                        (None, Some(None)) => has(GET_SECRETS_NAMED).map(|p| ("get", p)),
                        (None, Some(Some(names))) => names
                            .iter()
                            .find(|(n, _)| n == &s.name)
                            .map(|(_, p)| ("get", *p)),
                        (None, None) => None,
                    };
                    if let Some((verb, p)) = read {
                        out.push((
                            Node::User(service_account_user(&s.namespace, &s.service_account)),
                            step(
                                Technique::ReadTokenSecret,
                                format!(
                                    "can {verb} secrets in namespace {}: Secret {} holds the token of {}/{}",
                                    s.namespace, s.name, s.namespace, s.service_account
                                ),
                                vec![p],
                            ),
                        ));
                    }
                }
            }
            if let (Some(c), Some(g)) = (has(CREATE_SECRETS), has(GET_SECRETS_ANY)) {
                add(
                    &mut out,
                    Node::AnyServiceAccount(target_ns.clone()),
                    step(
                        Technique::MintTokenSecret,
                        format!("can create and get secrets {where_}: a Secret of type kubernetes.io/service-account-token is filled with a token for the service account it names"),
                        vec![c, g],
                    ),
                );
            }
            // Bind: create or update a binding to a role it may bind.
            let write_rb = WRITE_RB.iter().find_map(|&a| has(a));
            let write_crb = if cluster {
                WRITE_CRB.iter().find_map(|&a| has(a))
            } else {
                None
            };
            if write_rb.is_some() || write_crb.is_some() {
                match (has(BIND_CLUSTER_ADMIN), write_crb, write_rb) {
                    (Some(b), Some(w), _) => out.push((
                        Node::ClusterAdmin,
                        step(
                            Technique::Bind,
                            "can bind ClusterRole cluster-admin and write ClusterRoleBindings: binds cluster-admin to itself".into(),
                            vec![w, b],
                        ),
                    )),
                    (Some(b), None, Some(w)) => add(
                        &mut out,
                        Node::NamespaceAdmin(target_ns.clone()),
                        step(
                            Technique::Bind,
                            format!("can bind ClusterRole cluster-admin and write RoleBindings {where_}: binds it to itself there"),
                            vec![w, b],
                        ),
                    ),
                    _ => {
                        // Named roles only.
                        for (res, kind, atom) in [
                            ("clusterroles", RoleKind::ClusterRole, BIND_CLUSTERROLES),
                            ("roles", RoleKind::Role, BIND_ROLES),
                        ] {
                            if has(atom).is_none() {
                                continue;
                            }
                            let req = Request::resource("bind", RBAC, res).in_namespace(ns);
                            let Some(names) = self.named(held, &req) else {
                                continue;
                            };
                            for (name, b) in names {
                                let role = match kind {
                                    RoleKind::ClusterRole => self.model.cluster_role(&name),
                                    RoleKind::Role if !cluster => self.model.role(ns, &name),
                                    RoleKind::Role => None,
                                };
                                let Some(role) = role else { continue };
                                if kind == RoleKind::ClusterRole {
                                    if let Some(w) = write_crb {
                                        out.push((
                                            Node::Role {
                                                role,
                                                scope: Scope::Cluster,
                                            },
                                            step(
                                                Technique::Bind,
                                                format!("can bind {} and write ClusterRoleBindings", self.model.roles[role].display()),
                                                vec![w, b],
                                            ),
                                        ));
                                        continue;
                                    }
                                }
                                if let (Some(w), Some(tns)) = (write_rb, &target_ns) {
                                    out.push((
                                        Node::Role {
                                            role,
                                            scope: Scope::Namespace(tns.clone()),
                                        },
                                        step(
                                            Technique::Bind,
                                            format!("can bind {} and write RoleBindings in namespace {tns}", self.model.roles[role].display()),
                                            vec![w, b],
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                }
            }
            if !cluster {
                continue;
            }
            // Impersonate users and groups (cluster-scoped).
            if has(IMPERSONATE_USERS).is_some() {
                let some_user = self.named(held, &Request::resource("impersonate", "", "users"));
                let user_proof = match &some_user {
                    None => has(IMPERSONATE_USERS),
                    Some(v) => v.first().map(|(_, p)| *p),
                };
                if let Some(up) = user_proof {
                    let groups = if has(IMPERSONATE_GROUPS).is_some() {
                        self.named(held, &Request::resource("impersonate", "", "groups"))
                    } else {
                        Some(Vec::new())
                    };
                    let masters = match &groups {
                        None => has(IMPERSONATE_GROUPS),
                        Some(v) => v.iter().find(|(n, _)| n == SYSTEM_MASTERS).map(|(_, p)| *p),
                    };
                    if let Some(gp) = masters {
                        out.push((
                            Node::ClusterAdmin,
                            step(
                                Technique::Impersonate,
                                "can impersonate a user in group system:masters".into(),
                                vec![up, gp],
                            ),
                        ));
                    } else if let Some(v) = &groups {
                        for (g, gp) in v {
                            out.push((
                                Node::Group(g.clone()),
                                step(
                                    Technique::Impersonate,
                                    format!("can impersonate group {g}"),
                                    vec![up, *gp],
                                ),
                            ));
                        }
                    }
                    let users: Vec<(String, Proof)> = match some_user {
                        None => self.users.iter().map(|u| (u.clone(), up)).collect(),
                        Some(v) => v,
                    };
                    for (u, p) in users {
                        out.push((
                            Node::User(u.clone()),
                            step(
                                Technique::Impersonate,
                                format!("can impersonate user {u}"),
                                vec![p],
                            ),
                        ));
                    }
                }
            }
            // The kubelet API.
            if let Some((atom, p)) = NODES_PROXY.iter().find_map(|&a| has(a).map(|p| (a, p))) {
                out.push((
                    Node::Kubelet,
                    step(
                        Technique::NodesProxy,
                        format!(
                            "can {} nodes/proxy: the API server forwards its requests to any kubelet",
                            ATOMS[atom].verb
                        ),
                        vec![p],
                    ),
                ));
            }
            // Certificates for system:masters.
            if let (Some(c), Some(a), Some(s)) = (
                has(CREATE_CSR),
                CSR_APPROVAL.iter().find_map(|&a| has(a)),
                CLIENT_SIGNER.iter().find_map(|&a| has(a)),
            ) {
                out.push((
                    Node::ClusterAdmin,
                    step(
                        Technique::ApproveCsr,
                        "can create and approve a CertificateSigningRequest for the kube-apiserver-client signer: a client certificate in group system:masters".into(),
                        vec![c, a, s],
                    ),
                ));
            }
            // Mutating admission webhooks.
            if let Some((atom, p)) = WEBHOOKS.iter().find_map(|&a| has(a).map(|p| (a, p))) {
                out.push((
                    Node::AnyServiceAccount(None),
                    step(
                        Technique::MutatingWebhook,
                        format!(
                            "can {} mutatingwebhookconfigurations: a webhook rewrites every new pod, including its service account",
                            ATOMS[atom].verb
                        ),
                        vec![p],
                    ),
                ));
            }
        }
        // Escalate: rewrite a role it is bound to.
        let may_escalate = held.iter().any(|h| {
            let a = self.atoms_of(h.role);
            a[ESCALATE_ROLES].is_some() || a[ESCALATE_CLUSTERROLES].is_some()
        });
        if may_escalate {
            for h in held {
                let r = &self.model.roles[h.role];
                if r.builtin {
                    continue;
                }
                let (res, ns) = match (r.kind, &r.namespace) {
                    (RoleKind::ClusterRole, _) => ("clusterroles", String::new()),
                    (RoleKind::Role, Some(ns)) => ("roles", ns.clone()),
                    (RoleKind::Role, None) => continue,
                };
                let Some(e) = self.allow(
                    held,
                    &Request::resource("escalate", RBAC, res)
                        .in_namespace(&ns)
                        .named(&r.name),
                ) else {
                    continue;
                };
                let Some(u) = ["update", "patch"].iter().find_map(|v| {
                    self.allow(
                        held,
                        &Request::resource(v, RBAC, res)
                            .in_namespace(&ns)
                            .named(&r.name),
                    )
                }) else {
                    continue;
                };
                let (to, detail) = match &h.scope {
                    Scope::Cluster => (
                        Node::ClusterAdmin,
                        format!("can escalate and update {}, which a ClusterRoleBinding grants it: adds `*` to it", r.display()),
                    ),
                    Scope::Namespace(bns) => (
                        Node::NamespaceAdmin(Some(bns.clone())),
                        format!("can escalate and update {}, which a RoleBinding in {bns} grants it: adds `*` to it", r.display()),
                    ),
                };
                out.push((to, step(Technique::Escalate, detail, vec![e, u])));
            }
        }
        let mut seen = HashSet::new();
        out.retain(|(to, s)| seen.insert((to.clone(), s.technique)));
        out
    }

    /// Shortest path from every node that can reach `target` (by reverse
    /// breadth-first search): the next node and edge on it, and its length.
    pub fn towards(
        &self,
        target: &Node,
    ) -> HashMap<NodeIndex, (usize, Option<petgraph::graph::EdgeIndex>)> {
        let mut dist: HashMap<NodeIndex, (usize, Option<petgraph::graph::EdgeIndex>)> =
            HashMap::new();
        let Some(t) = self.index_of(target) else {
            return dist;
        };
        dist.insert(t, (0, None));
        let mut q = VecDeque::from([t]);
        while let Some(n) = q.pop_front() {
            let d = dist[&n].0;
            let mut incoming: Vec<_> = self.graph.edges_directed(n, Direction::Incoming).collect();
            // Deterministic: prefer the technique listed first, then the edge order.
            incoming.sort_by_key(|e| (e.weight().technique, e.id()));
            for e in incoming {
                let src = e.source();
                if let std::collections::hash_map::Entry::Vacant(v) = dist.entry(src) {
                    v.insert((d + 1, Some(e.id())));
                    q.push_back(src);
                }
            }
        }
        dist
    }

    fn path_from(
        &self,
        start: NodeIndex,
        dist: &HashMap<NodeIndex, (usize, Option<petgraph::graph::EdgeIndex>)>,
    ) -> Option<Path> {
        let mut steps = Vec::new();
        let mut cur = start;
        loop {
            let (_, e) = dist.get(&cur)?;
            let Some(e) = e else { break };
            let (a, b) = self.graph.edge_endpoints(*e).expect("edge exists");
            steps.push((
                self.graph[a].clone(),
                self.graph[b].clone(),
                self.graph[*e].clone(),
            ));
            cur = b;
        }
        Some(Path {
            from: self.graph[start].clone(),
            steps,
        })
    }

    /// The shortest path from `user` (with `groups` as given to
    /// impersonation) to `target`.
    pub fn path_for_user(&self, user: &UserInfo, target: &Node) -> Option<Path> {
        let dist = self.towards(target);
        let start = Node::User(user.name.clone());
        if user.groups == UserInfo::impersonated(&user.name, &[]).groups {
            if let Some(i) = self.index_of(&start) {
                if dist.contains_key(&i) {
                    return self.path_from(i, &dist);
                }
            }
        }
        if &start == target {
            return Some(Path {
                from: start,
                steps: Vec::new(),
            });
        }
        // Groups other than the implicit ones: evaluate this user's first step here.
        let held = self.held_for_user(user);
        let mut best: Option<(usize, Node, Step)> = None;
        for (to, step) in self.capabilities(&held, user.is_superuser()) {
            let d = if &to == target {
                0
            } else {
                match self.index_of(&to).and_then(|i| dist.get(&i)) {
                    Some((d, _)) => *d,
                    None => continue,
                }
            };
            if best.as_ref().is_none_or(|(bd, _, _)| d < *bd) {
                best = Some((d, to, step));
            }
        }
        let (_, to, step) = best?;
        let mut steps = vec![(start.clone(), to.clone(), step)];
        if &to != target {
            let rest = self.path_from(self.index_of(&to)?, &dist)?;
            steps.extend(rest.steps);
        }
        Some(Path { from: start, steps })
    }

    /// The shortest path to `target` from every identity (user, service
    /// account, group) that has one, shortest first.
    pub fn all_paths(&self, target: &Node) -> Vec<Path> {
        let dist = self.towards(target);
        let mut out: Vec<(usize, Node, Path)> = Vec::new();
        for (&i, &(d, _)) in &dist {
            let n = &self.graph[i];
            if d == 0 || !matches!(n, Node::User(_) | Node::Group(_)) {
                continue;
            }
            if let Some(p) = self.path_from(i, &dist) {
                out.push((d, n.clone(), p));
            }
        }
        out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        out.into_iter().map(|(_, _, p)| p).collect()
    }
}

impl Path {
    /// Whether the first step uses a grant whose subject is the start
    /// itself (not one of its groups), so the finding belongs to it.
    pub fn first_grant_is_own(&self, m: &Model) -> bool {
        let Some((_, _, step)) = self.steps.first() else {
            return false;
        };
        let own = |(b, s): (BindingId, usize)| {
            let subj = &m.bindings[b].subjects[s];
            match (&self.from, subj.kind.as_str()) {
                (Node::Group(g), "Group") => &subj.name == g,
                (Node::User(_), "User" | "ServiceAccount") => true,
                _ => false,
            }
        };
        step.evidence.iter().filter_map(|p| p.binding).any(own)
    }

    /// Whether the start already holds cluster-admin-equivalent rules (or is a superuser).
    pub fn is_direct(&self) -> bool {
        self.steps.len() == 1
            && matches!(
                self.steps[0].2.technique,
                Technique::ClusterAdminRules | Technique::Superuser
            )
    }
}

/// `RoleBinding shop/x` for a proof's binding, `(acquired)` for none.
pub fn proof_binding(m: &Model, p: &Proof) -> String {
    match p.binding {
        Some((b, _)) => m.bindings[b].display(),
        None => "(a binding it created)".into(),
    }
}

/// Whether `p`'s binding is a ClusterRoleBinding.
pub fn proof_is_cluster(m: &Model, p: &Proof) -> bool {
    p.binding
        .is_some_and(|(b, _)| m.bindings[b].kind == BindingKind::ClusterRoleBinding)
}

fn resource_display(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";
const CERT: &str = "certificates.k8s.io";
const ADMISSION: &str = "admissionregistration.k8s.io";

/// How an atom's request names its object.
#[derive(Clone, Copy)]
enum AtomName {
    /// No name (list, create).
    None,
    /// Some name nobody chose: allowed only by rules without resourceNames.
    Any,
    /// This name.
    Is(&'static str),
    /// Whatever the rule's resourceNames say (then looked at by name).
    Ignore,
}

/// One request the escalation techniques ask about, evaluated once per role.
struct Atom {
    verb: &'static str,
    group: &'static str,
    resource: &'static str,
    sub: &'static str,
    name: AtomName,
}

impl Atom {
    fn request(&self) -> Request {
        let r = Request::resource(self.verb, self.group, self.resource).with_subresource(self.sub);
        match self.name {
            AtomName::None | AtomName::Ignore => r,
            AtomName::Any => r.named(ANY_NAME),
            AtomName::Is(n) => r.named(n),
        }
    }
}

const fn atom(
    verb: &'static str,
    group: &'static str,
    resource: &'static str,
    sub: &'static str,
    name: AtomName,
) -> Atom {
    Atom {
        verb,
        group,
        resource,
        sub,
        name,
    }
}

const EVERYTHING: usize = 0;
const WORKLOADS: [usize; 20] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
];
const EXEC: [usize; 4] = [21, 22, 23, 24];
const SA_TOKEN: usize = 25;
const SA_IMPERSONATE: usize = 26;
const LIST_SECRETS: usize = 27;
const WATCH_SECRETS: usize = 28;
const GET_SECRETS_NAMED: usize = 29;
const CREATE_SECRETS: usize = 30;
const GET_SECRETS_ANY: usize = 31;
const WRITE_RB: [usize; 3] = [32, 33, 34];
const WRITE_CRB: [usize; 3] = [35, 36, 37];
const BIND_CLUSTER_ADMIN: usize = 38;
const BIND_CLUSTERROLES: usize = 39;
const BIND_ROLES: usize = 40;
const IMPERSONATE_USERS: usize = 41;
const IMPERSONATE_GROUPS: usize = 42;
const NODES_PROXY: [usize; 2] = [43, 44];
const CREATE_CSR: usize = 45;
const CSR_APPROVAL: [usize; 2] = [46, 47];
const CLIENT_SIGNER: [usize; 2] = [48, 49];
const WEBHOOKS: [usize; 3] = [50, 51, 52];
const ESCALATE_ROLES: usize = 53;
const ESCALATE_CLUSTERROLES: usize = 54;

/// Every request a technique asks about; the constants above index it.
static ATOMS: [Atom; 55] = [
    atom("*", "*", "*", "", AtomName::None),
    atom("create", "", "pods", "", AtomName::Any),
    atom("create", "apps", "deployments", "", AtomName::Any),
    atom("update", "apps", "deployments", "", AtomName::Any),
    atom("patch", "apps", "deployments", "", AtomName::Any),
    atom("create", "apps", "replicasets", "", AtomName::Any),
    atom("update", "apps", "replicasets", "", AtomName::Any),
    atom("patch", "apps", "replicasets", "", AtomName::Any),
    atom("create", "apps", "statefulsets", "", AtomName::Any),
    atom("update", "apps", "statefulsets", "", AtomName::Any),
    atom("patch", "apps", "statefulsets", "", AtomName::Any),
    atom("create", "apps", "daemonsets", "", AtomName::Any),
    atom("update", "apps", "daemonsets", "", AtomName::Any),
    atom("patch", "apps", "daemonsets", "", AtomName::Any),
    atom("create", "batch", "jobs", "", AtomName::Any),
    atom("create", "batch", "cronjobs", "", AtomName::Any),
    atom("update", "batch", "cronjobs", "", AtomName::Any),
    atom("patch", "batch", "cronjobs", "", AtomName::Any),
    atom("create", "", "replicationcontrollers", "", AtomName::Any),
    atom("update", "", "replicationcontrollers", "", AtomName::Any),
    atom("patch", "", "replicationcontrollers", "", AtomName::Any),
    atom("create", "", "pods", "exec", AtomName::Any),
    atom("create", "", "pods", "attach", AtomName::Any),
    atom("patch", "", "pods", "ephemeralcontainers", AtomName::Any),
    atom("update", "", "pods", "ephemeralcontainers", AtomName::Any),
    atom("create", "", "serviceaccounts", "token", AtomName::Ignore),
    atom("impersonate", "", "serviceaccounts", "", AtomName::Ignore),
    atom("list", "", "secrets", "", AtomName::None),
    atom("watch", "", "secrets", "", AtomName::None),
    atom("get", "", "secrets", "", AtomName::Ignore),
    atom("create", "", "secrets", "", AtomName::None),
    atom("get", "", "secrets", "", AtomName::Any),
    atom("create", RBAC, "rolebindings", "", AtomName::Any),
    atom("update", RBAC, "rolebindings", "", AtomName::Any),
    atom("patch", RBAC, "rolebindings", "", AtomName::Any),
    atom("create", RBAC, "clusterrolebindings", "", AtomName::Any),
    atom("update", RBAC, "clusterrolebindings", "", AtomName::Any),
    atom("patch", RBAC, "clusterrolebindings", "", AtomName::Any),
    atom(
        "bind",
        RBAC,
        "clusterroles",
        "",
        AtomName::Is("cluster-admin"),
    ),
    atom("bind", RBAC, "clusterroles", "", AtomName::Ignore),
    atom("bind", RBAC, "roles", "", AtomName::Ignore),
    atom("impersonate", "", "users", "", AtomName::Ignore),
    atom("impersonate", "", "groups", "", AtomName::Ignore),
    atom("create", "", "nodes", "proxy", AtomName::Any),
    atom("get", "", "nodes", "proxy", AtomName::Any),
    atom(
        "create",
        CERT,
        "certificatesigningrequests",
        "",
        AtomName::None,
    ),
    atom(
        "update",
        CERT,
        "certificatesigningrequests",
        "approval",
        AtomName::Any,
    ),
    atom(
        "patch",
        CERT,
        "certificatesigningrequests",
        "approval",
        AtomName::Any,
    ),
    atom(
        "approve",
        CERT,
        "signers",
        "",
        AtomName::Is("kubernetes.io/kube-apiserver-client"),
    ),
    atom(
        "approve",
        CERT,
        "signers",
        "",
        AtomName::Is("kubernetes.io/*"),
    ),
    atom(
        "create",
        ADMISSION,
        "mutatingwebhookconfigurations",
        "",
        AtomName::Any,
    ),
    atom(
        "update",
        ADMISSION,
        "mutatingwebhookconfigurations",
        "",
        AtomName::Any,
    ),
    atom(
        "patch",
        ADMISSION,
        "mutatingwebhookconfigurations",
        "",
        AtomName::Any,
    ),
    atom("escalate", RBAC, "roles", "", AtomName::Ignore),
    atom("escalate", RBAC, "clusterroles", "", AtomName::Ignore),
];

#[cfg(test)]
mod atom_index {
    use super::*;

    #[test]
    fn constants_name_the_atoms_they_index() {
        let at = |i: usize| {
            let a = &ATOMS[i];
            format!("{} {}/{}/{}", a.verb, a.group, a.resource, a.sub)
        };
        assert_eq!(at(EVERYTHING), "* */*/");
        assert_eq!(at(WORKLOADS[0]), "create /pods/");
        assert_eq!(at(WORKLOADS[19]), "patch /replicationcontrollers/");
        assert_eq!(at(EXEC[3]), "update /pods/ephemeralcontainers");
        assert_eq!(at(SA_TOKEN), "create /serviceaccounts/token");
        assert_eq!(at(SA_IMPERSONATE), "impersonate /serviceaccounts/");
        assert_eq!(at(LIST_SECRETS), "list /secrets/");
        assert_eq!(at(WATCH_SECRETS), "watch /secrets/");
        assert_eq!(at(GET_SECRETS_NAMED), "get /secrets/");
        assert_eq!(at(CREATE_SECRETS), "create /secrets/");
        assert_eq!(at(GET_SECRETS_ANY), "get /secrets/");
        assert_eq!(at(WRITE_RB[0]), format!("create {RBAC}/rolebindings/"));
        assert_eq!(
            at(WRITE_CRB[2]),
            format!("patch {RBAC}/clusterrolebindings/")
        );
        assert_eq!(at(BIND_CLUSTER_ADMIN), format!("bind {RBAC}/clusterroles/"));
        assert_eq!(at(BIND_ROLES), format!("bind {RBAC}/roles/"));
        assert_eq!(at(IMPERSONATE_GROUPS), "impersonate /groups/");
        assert_eq!(at(NODES_PROXY[1]), "get /nodes/proxy");
        assert_eq!(
            at(CREATE_CSR),
            format!("create {CERT}/certificatesigningrequests/")
        );
        assert_eq!(
            at(CSR_APPROVAL[1]),
            format!("patch {CERT}/certificatesigningrequests/approval")
        );
        assert_eq!(at(CLIENT_SIGNER[1]), format!("approve {CERT}/signers/"));
        assert_eq!(
            at(WEBHOOKS[2]),
            format!("patch {ADMISSION}/mutatingwebhookconfigurations/")
        );
        assert_eq!(at(ESCALATE_ROLES), format!("escalate {RBAC}/roles/"));
        assert_eq!(
            at(ESCALATE_CLUSTERROLES),
            format!("escalate {RBAC}/clusterroles/")
        );
    }
}

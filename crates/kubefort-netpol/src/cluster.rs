//! The model of a cluster's network: namespaces, workloads and policies,
//! and what the policies allow between any two endpoints.

use std::collections::BTreeMap;
use std::fmt;

use kubefort_core::namespaces::NamespaceInfo;

use crate::ip::AddrRange;
use crate::policy::{Direction, Peer, Policy, PortValue, Rule};
use crate::ports::{ConnSet, PortRanges};
use crate::selector::Labels;
use crate::workload::{Workload, WorkloadId};

/// The label the API server puts on every namespace, set to its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A namespace and its labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    /// Labels, including `kubernetes.io/metadata.name`.
    pub labels: Labels,
    /// Whether the inputs declare it (otherwise it is inferred from the
    /// workloads in it, with only the automatic label).
    pub declared: bool,
}

/// One side of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// A workload, by index in [`Cluster::workloads`].
    Workload(usize),
    /// Addresses outside the cluster's pods.
    External(AddrRange),
}

/// Namespaces, workloads and policies, with which policies select which
/// workloads in each direction.
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    pub namespaces: BTreeMap<String, Namespace>,
    /// One entry per workload identity, in input order.
    pub workloads: Vec<Workload>,
    pub policies: Vec<Policy>,
    /// What the model assumed about the inputs (inferred namespaces,
    /// merged workloads), for the reader.
    pub notes: Vec<String>,
    /// Per direction, per workload: the policies that select it.
    selected: [Vec<Vec<usize>>; 2],
    /// Per namespace: its workloads.
    by_namespace: BTreeMap<String, Vec<usize>>,
}

/// What the policies on one side of a connection allow.
#[derive(Clone, Debug, PartialEq)]
pub struct Side {
    pub direction: Direction,
    /// The workload whose policies decide (the source for egress, the
    /// destination for ingress).
    pub subject: usize,
    /// Whether some policy selects the subject in this direction. When none
    /// does, everything is allowed.
    pub isolated: bool,
    /// Every policy that selects the subject in this direction, with its
    /// rules that match the other endpoint.
    pub policies: Vec<PolicyVerdict>,
    pub allowed: ConnSet,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PolicyVerdict {
    pub policy: usize,
    /// The rules whose peers match the other endpoint, with the
    /// connections each allows (possibly none, when a named port does not
    /// resolve).
    pub rules: Vec<(usize, ConnSet)>,
}

/// Both sides of a connection, and the verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub src: Endpoint,
    pub dst: Endpoint,
    /// `None` when the source is external: only pods have egress policies.
    pub egress: Option<Side>,
    /// `None` when the destination is external.
    pub ingress: Option<Side>,
    /// The connections both sides allow.
    pub allowed: ConnSet,
}

impl Cluster {
    /// Build the model. Workloads with the same identity (the pods of one
    /// owner) are merged, keeping the first. Namespaces that hold workloads
    /// but are not declared are inferred, with only the automatic
    /// `kubernetes.io/metadata.name` label, and a note says so.
    pub fn new(
        workloads: Vec<Workload>,
        policies: Vec<Policy>,
        namespaces: impl IntoIterator<Item = NamespaceInfo>,
    ) -> Cluster {
        let mut c = Cluster::default();
        for ns in namespaces {
            let mut labels = ns.labels.clone();
            labels.insert(NAMESPACE_NAME_LABEL.to_string(), ns.name.clone());
            c.namespaces.entry(ns.name.clone()).or_insert(Namespace {
                name: ns.name,
                labels,
                declared: true,
            });
        }
        let mut seen: BTreeMap<WorkloadId, usize> = BTreeMap::new();
        let mut merged: BTreeMap<WorkloadId, (usize, bool)> = BTreeMap::new();
        for w in workloads {
            let id = w.id();
            if let Some(&first) = seen.get(&id) {
                let e = merged.entry(id).or_insert((1, false));
                e.0 += 1;
                e.1 |= c.workloads[first].labels != w.labels;
                continue;
            }
            seen.insert(id, c.workloads.len());
            c.workloads.push(w);
        }
        for (id, (n, differ)) in merged {
            c.notes.push(format!(
                "{n} objects make up workload {id}; {}",
                if differ {
                    "their pod labels differ, and the labels of the first one are used"
                } else {
                    "they are analysed as one workload"
                }
            ));
        }
        for (i, w) in c.workloads.iter().enumerate() {
            c.by_namespace
                .entry(w.namespace.clone())
                .or_default()
                .push(i);
        }
        let inferred: Vec<String> = c
            .by_namespace
            .keys()
            .filter(|n| !c.namespaces.contains_key(*n))
            .cloned()
            .collect();
        for name in inferred {
            c.notes.push(format!(
                "namespace {name:?} is not declared in the inputs; it is assumed to have only the label {NAMESPACE_NAME_LABEL}={name}"
            ));
            let labels = Labels::from([(NAMESPACE_NAME_LABEL.to_string(), name.clone())]);
            c.namespaces.insert(
                name.clone(),
                Namespace {
                    name,
                    labels,
                    declared: false,
                },
            );
        }
        c.policies = policies;
        let n = c.workloads.len();
        c.selected = [vec![Vec::new(); n], vec![Vec::new(); n]];
        for (p, policy) in c.policies.iter().enumerate() {
            for &w in c
                .by_namespace
                .get(&policy.namespace)
                .map_or(&[][..], Vec::as_slice)
            {
                if policy.pod_selector.matches(&c.workloads[w].labels) {
                    for d in Direction::BOTH {
                        if policy.affects(d) {
                            c.selected[d.index()][w].push(p);
                        }
                    }
                }
            }
        }
        c
    }

    /// The policies that select a workload in a direction.
    pub fn selecting(&self, d: Direction, workload: usize) -> &[usize] {
        &self.selected[d.index()][workload]
    }

    /// The workloads of a namespace.
    pub fn workloads_in(&self, namespace: &str) -> &[usize] {
        self.by_namespace.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// The workloads a policy's `podSelector` selects.
    pub fn selected_by(&self, policy: usize) -> Vec<usize> {
        let p = &self.policies[policy];
        self.workloads_in(&p.namespace)
            .iter()
            .copied()
            .filter(|&w| p.pod_selector.matches(&self.workloads[w].labels))
            .collect()
    }

    /// The labels of a namespace (only the automatic one when unknown).
    pub fn namespace_labels(&self, name: &str) -> Labels {
        match self.namespaces.get(name) {
            Some(ns) => ns.labels.clone(),
            None => Labels::from([(NAMESPACE_NAME_LABEL.to_string(), name.to_string())]),
        }
    }

    fn namespace_matches(&self, sel: &crate::selector::Selector, name: &str) -> bool {
        match self.namespaces.get(name) {
            Some(ns) => sel.matches(&ns.labels),
            None => sel.matches(&self.namespace_labels(name)),
        }
    }

    /// Whether a peer entry of `policy` matches an endpoint.
    pub fn peer_matches(&self, policy: &Policy, peer: &Peer, ep: Endpoint) -> bool {
        match (peer, ep) {
            (Peer::Pods { pods, namespaces }, Endpoint::Workload(w)) => {
                let w = &self.workloads[w];
                let ns_ok = match namespaces {
                    None => w.namespace == policy.namespace,
                    Some(sel) => self.namespace_matches(sel, &w.namespace),
                };
                ns_ok && pods.as_ref().is_none_or(|s| s.matches(&w.labels))
            }
            // Pods are never inside an ipBlock: ipBlocks stand for
            // addresses outside the cluster's pods.
            (Peer::IpBlock { set, .. }, Endpoint::External(r)) => set.contains_range(&r),
            _ => false,
        }
    }

    /// Whether a rule's `from` / `to` matches an endpoint.
    pub fn rule_matches(&self, policy: &Policy, rule: &Rule, ep: Endpoint) -> bool {
        match &rule.peers {
            None => true,
            Some(peers) => peers.iter().any(|p| self.peer_matches(policy, p, ep)),
        }
    }

    /// The connections a rule's `ports` allow toward a destination. Named
    /// ports resolve against the destination workload's container ports;
    /// they never match an external address.
    pub fn rule_conns(&self, rule: &Rule, dst: Endpoint) -> ConnSet {
        let Some(ports) = &rule.ports else {
            return ConnSet::all();
        };
        let mut c = ConnSet::none();
        for p in ports {
            match &p.port {
                PortValue::All => c.add(p.protocol, &PortRanges::all()),
                PortValue::Range(a, b) => c.add(p.protocol, &PortRanges::range(*a, *b)),
                PortValue::Named(name) => {
                    if let Endpoint::Workload(w) = dst {
                        if let Some(n) = self.workloads[w].named_port(name, p.protocol) {
                            c.add(p.protocol, &PortRanges::single(n));
                        }
                    }
                }
            }
        }
        c
    }

    /// What the policies selecting `subject` in direction `d` allow with
    /// `other` (the source for ingress, the destination for egress).
    pub fn side(&self, d: Direction, subject: usize, other: Endpoint) -> Side {
        let selecting = self.selecting(d, subject);
        let dst = match d {
            Direction::Ingress => Endpoint::Workload(subject),
            Direction::Egress => other,
        };
        let mut allowed = if selecting.is_empty() {
            ConnSet::all()
        } else {
            ConnSet::none()
        };
        let mut policies = Vec::new();
        for &p in selecting {
            let policy = &self.policies[p];
            let mut rules = Vec::new();
            for r in policy.rules(d).unwrap_or(&[]) {
                if self.rule_matches(policy, r, other) {
                    let c = self.rule_conns(r, dst);
                    allowed = allowed.union(&c);
                    rules.push((r.index, c));
                }
            }
            policies.push(PolicyVerdict { policy: p, rules });
        }
        Side {
            direction: d,
            subject,
            isolated: !selecting.is_empty(),
            policies,
            allowed,
        }
    }

    /// Both sides of a connection from `src` to `dst`. A connection is
    /// allowed only when the source's egress side and the destination's
    /// ingress side both allow it.
    pub fn explain(&self, src: Endpoint, dst: Endpoint) -> Explanation {
        let egress = match src {
            Endpoint::Workload(s) => Some(self.side(Direction::Egress, s, dst)),
            Endpoint::External(_) => None,
        };
        let ingress = match dst {
            Endpoint::Workload(d) => Some(self.side(Direction::Ingress, d, src)),
            Endpoint::External(_) => None,
        };
        let allowed = match (&egress, &ingress) {
            (None, None) => ConnSet::none(),
            (Some(e), None) => e.allowed.clone(),
            (None, Some(i)) => i.allowed.clone(),
            (Some(e), Some(i)) => e.allowed.intersect(&i.allowed),
        };
        Explanation {
            src,
            dst,
            egress,
            ingress,
            allowed,
        }
    }

    /// The connections allowed from `src` to `dst`.
    pub fn allowed(&self, src: Endpoint, dst: Endpoint) -> ConnSet {
        self.explain(src, dst).allowed
    }

    /// How reports name an endpoint: `namespace/name[Kind]` or an address range.
    pub fn endpoint_name(&self, ep: Endpoint) -> String {
        match ep {
            Endpoint::Workload(w) => self.workloads[w].id().to_string(),
            Endpoint::External(r) => r.to_string(),
        }
    }

    /// Find workloads by `namespace/name`, `namespace/name[Kind]` or a bare
    /// `name` (any namespace).
    pub fn find(&self, query: &str) -> Vec<usize> {
        self.workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| {
                let id = w.id();
                query == id.to_string()
                    || query == format!("{}/{}", w.namespace, w.name)
                    || (!query.contains('/') && query == w.name)
            })
            .map(|(i, _)| i)
            .collect()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Workload(w) => write!(f, "workload #{w}"),
            Endpoint::External(r) => write!(f, "{r}"),
        }
    }
}

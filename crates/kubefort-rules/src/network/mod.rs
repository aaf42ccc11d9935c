//! Network isolation: NetworkPolicy coverage, over-broad rules and
//! policies that do not do what they appear to. Every rule here reads the
//! model of `kubefort-netpol`, built from the scanned inputs.

pub mod allows_all;
pub mod cloud_metadata;
pub mod exposed_service;
pub mod missing_default_deny_egress;
pub mod missing_default_deny_ingress;
pub mod selects_nothing;
pub mod unknown_named_port;
pub mod workload_without_policy;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kubefort_core::object::Object;
use kubefort_core::rule::{Inventory, InventoryCtx};
use kubefort_core::{Config, FieldPath, Pos};
use kubefort_netpol::policy::is_network_policy;
use kubefort_netpol::{build, read_object, Cluster, Direction, Source};

/// The kinds the network rules read in full: policies, namespaces,
/// services and every built-in kind with a pod template.
pub(crate) const RETAIN: &[&str] = &[
    "NetworkPolicy",
    "Namespace",
    "Service",
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "DeploymentConfig",
    "Rollout",
];

/// The model of the scanned inputs, with the objects it was read from.
/// Built once per scan and shared by the network rules.
pub(crate) struct Net {
    pub cluster: Cluster,
    by_source: HashMap<(Arc<str>, Pos), Arc<Object>>,
    /// Declared Namespace objects by name.
    pub namespaces: BTreeMap<String, Arc<Object>>,
    pub services: Vec<Arc<Object>>,
    /// Whether the inputs hold any NetworkPolicy (valid or not).
    pub has_policies: bool,
}

impl Net {
    /// The model of the inventory, built on first use.
    pub fn of(inventory: &Inventory) -> &Net {
        inventory
            .shared()
            .get_or_init("kubefort-netpol model", || Net::new(inventory))
    }

    fn new(inventory: &Inventory) -> Net {
        let mut by_source = HashMap::new();
        let mut namespaces = BTreeMap::new();
        let mut services = Vec::new();
        let mut items = Vec::new();
        let mut has_policies = false;
        for o in &inventory.retained {
            has_policies |= is_network_policy(o);
            if o.id.kind == "Service" && o.id.api_version == "v1" {
                services.push(o.clone());
                continue;
            }
            if let Some(item) = read_object(o) {
                if let kubefort_netpol::Item::Namespace(ns) = &item {
                    namespaces
                        .entry(ns.name.clone())
                        .or_insert_with(|| o.clone());
                }
                by_source.insert((o.file.clone(), o.root.pos), o.clone());
                items.push(item);
            }
        }
        let (cluster, _invalid) = build(items);
        Net {
            cluster,
            by_source,
            namespaces,
            services,
            has_policies,
        }
    }

    /// The object a workload or policy was read from.
    pub fn object(&self, source: &Source) -> &Object {
        &self.by_source[&(source.file.clone(), source.pos)]
    }

    /// Every namespace the inputs say something about: declared by a
    /// Namespace object or holding a scanned workload.
    pub fn known_namespaces(&self) -> Vec<String> {
        let mut v: Vec<String> = self.namespaces.keys().cloned().collect();
        for w in &self.cluster.workloads {
            if !v.contains(&w.namespace) {
                v.push(w.namespace.clone());
            }
        }
        v.sort();
        v
    }

    /// `shop/web[Deployment]`, `shop/web[Deployment] and 2 more`.
    pub fn some_workloads(&self, ws: &[usize]) -> String {
        let first = ws
            .first()
            .map(|&w| self.cluster.workloads[w].id().to_string())
            .unwrap_or_default();
        match ws.len() {
            0 | 1 => first,
            n => format!("{first} and {} more", n - 1),
        }
    }
}

/// Whether the user selected this rule by name, by the `network` group or
/// with `all` (rather than running it as a default).
pub(crate) fn explicitly_selected(config: &Config, rule: &str) -> bool {
    config
        .select
        .iter()
        .flatten()
        .chain(&config.extend_select)
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .any(|t| t == rule || t == "network" || t.eq_ignore_ascii_case("all"))
}

/// Whether a coverage rule speaks: when the inputs hold NetworkPolicies
/// (so policies are managed with these manifests), or when the user asked
/// for the rule.
pub(crate) fn coverage_applies(ctx: &InventoryCtx<'_>, net: &Net) -> bool {
    net.has_policies || explicitly_selected(ctx.config, ctx.rule.name)
}

/// A namespace has a default deny for a direction when one of its
/// policies selects every pod (`podSelector: {}`) for that direction and
/// has no rule allowing every peer on every port.
pub(crate) fn has_default_deny(cluster: &Cluster, namespace: &str, d: Direction) -> bool {
    cluster.policies.iter().any(|p| {
        p.namespace == namespace
            && p.pod_selector.is_empty()
            && p.rules(d)
                .is_some_and(|rules| !rules.iter().any(|r| r.peers.is_none() && r.ports.is_none()))
    })
}

/// Report the lack of a default deny in each namespace the inputs know.
pub(crate) fn check_default_deny(ctx: &mut InventoryCtx<'_>, d: Direction) {
    let net = Net::of(ctx.inventory);
    if !coverage_applies(ctx, net) {
        return;
    }
    for ns in net.known_namespaces() {
        if has_default_deny(&net.cluster, &ns, d) {
            continue;
        }
        let workloads = net.cluster.workloads_in(&ns);
        let (object, path, what) = match net.namespaces.get(&ns) {
            Some(o) => (
                &**o,
                FieldPath::root().keys("metadata.name"),
                match workloads.len() {
                    0 => "declared here, with no workload in the scanned inputs".to_string(),
                    1 => "declared here, with 1 workload in the scanned inputs".to_string(),
                    n => format!("declared here, with {n} workloads in the scanned inputs"),
                },
            ),
            None => {
                let first = &net.cluster.workloads[workloads[0]];
                (
                    net.object(&first.source),
                    FieldPath::root().keys("metadata.namespace"),
                    match workloads.len() {
                        1 => "it holds this workload in the scanned inputs".to_string(),
                        n => format!(
                            "it holds this workload and {} more in the scanned inputs",
                            n - 1
                        ),
                    },
                )
            }
        };
        let lets = match d {
            Direction::Ingress => {
                "pods that no other policy selects for ingress accept connections from every pod and every address"
            }
            Direction::Egress => {
                "pods that no other policy selects for egress can connect to every pod and every address, the cloud metadata service included"
            }
        };
        ctx.report_object(
            object,
            path,
            format!(
                "namespace {ns:?} ({what}) has no default-deny {d} NetworkPolicy among the scanned inputs (one with `podSelector: {{}}` and policyTypes [{}]): its {lets}",
                d.as_str()
            ),
        );
    }
}

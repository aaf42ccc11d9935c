//! NetworkPolicy analysis: the `networking.k8s.io/v1` semantics, exactly.
//!
//! Workloads come from every object with a pod template; namespaces from
//! Namespace objects (or inferred, with only the automatic
//! `kubernetes.io/metadata.name` label); policies from NetworkPolicy
//! objects, validated as the API server validates them. [`Cluster`]
//! answers what is allowed between two endpoints and why;
//! [`connectivity`] lists every allowed connection, and [`format`] writes
//! it in the notation of np-guard's netpol-analyzer (`list` command).
//!
//! The rules, in short:
//!
//! * a pod is isolated in a direction when some policy of its namespace
//!   selects it and affects that direction (`policyTypes`, which defaults to
//!   `Ingress`, plus `Egress` when the policy has egress rules); a pod no
//!   policy selects allows everything in that direction;
//! * an isolated pod allows what the union of the matching rules of its
//!   policies allows; `ingress: []` or no rules allow nothing;
//! * a connection is allowed when the source's egress side and the
//!   destination's ingress side both allow it;
//! * `ipBlock` peers stand for addresses outside the cluster's pods: a pod
//!   is never inside one, and an external address is never a pod.

pub mod cluster;
pub mod connlist;
pub mod format;
pub mod ip;
pub mod policy;
pub mod ports;
pub mod selector;
pub mod workload;

use std::sync::Arc;

use kubefort_core::namespaces::{namespace_info, NamespaceInfo};
use kubefort_core::object::{extract, pod_spec_paths, Extracted, Object};
use kubefort_core::yaml::{load_str, Limits};
use kubefort_core::Pos;

pub use cluster::{Cluster, Endpoint, Explanation, Namespace, Side};
pub use connlist::{connectivity, Connectivity};
pub use ip::AddrRange;
pub use policy::{Direction, Peer, Policy, PolicyError, PortSpec, PortValue, Rule, Source};
pub use ports::{ConnSet, PortRanges, Protocol};
pub use selector::{Labels, Selector};
pub use workload::{Workload, WorkloadId};

/// An object the analysis cannot use, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub file: Arc<str>,
    pub pos: Pos,
    pub message: String,
}

/// What one object contributes to the model.
#[derive(Clone, Debug)]
pub enum Item {
    Workload(Workload),
    Policy(Policy),
    Namespace(NamespaceInfo),
    /// A NetworkPolicy the API server would reject; it is left out.
    Invalid(Invalid),
}

/// Read what an object contributes: a workload, a policy, a namespace, or
/// nothing.
pub fn read_object(object: &Object) -> Option<Item> {
    if policy::is_network_policy(object) {
        return Some(match Policy::from_object(object) {
            Ok(p) => Item::Policy(p),
            Err(e) => Item::Invalid(Invalid {
                file: object.file.clone(),
                pos: e.path.locate(&object.root),
                message: format!(
                    "NetworkPolicy {}/{}: {}: {}; the policy is left out of the analysis",
                    object.id.namespace.as_deref().unwrap_or("default"),
                    object.id.name.as_deref().unwrap_or("<unnamed>"),
                    e.path,
                    e.message
                ),
            }),
        });
    }
    if object.id.kind == "Namespace" && object.id.api_version == "v1" {
        return namespace_info(&object.file, &object.root).map(Item::Namespace);
    }
    Workload::from_object(object).map(Item::Workload)
}

/// Build the model from what the objects contributed, in input order.
/// Returns the invalid policies apart.
pub fn build(items: impl IntoIterator<Item = Item>) -> (Cluster, Vec<Invalid>) {
    let mut workloads = Vec::new();
    let mut policies = Vec::new();
    let mut namespaces = Vec::new();
    let mut invalid = Vec::new();
    for item in items {
        match item {
            Item::Workload(w) => workloads.push(w),
            Item::Policy(p) => policies.push(p),
            Item::Namespace(n) => namespaces.push(n),
            Item::Invalid(i) => invalid.push(i),
        }
    }
    (Cluster::new(workloads, policies, namespaces), invalid)
}

/// Load the objects of a YAML or JSON stream (for tests, benchmarks and
/// embedding; the command line goes through the engine). Documents that
/// fail to load are skipped.
pub fn load_objects(file: &str, text: &str) -> Vec<Object> {
    let file: Arc<str> = file.into();
    let mut out = Vec::new();
    for doc in load_str(text, &Limits::default()).into_iter().flatten() {
        if let Extracted::Objects(objs) = extract(doc.root) {
            for (root, id) in objs {
                let pod_specs = pod_spec_paths(&id, &[]);
                out.push(Object {
                    root,
                    id,
                    file: file.clone(),
                    doc_index: doc.index,
                    pod_specs,
                });
            }
        }
    }
    out
}

/// The model of a YAML or JSON stream.
pub fn cluster_from_str(file: &str, text: &str) -> (Cluster, Vec<Invalid>) {
    build(load_objects(file, text).iter().filter_map(read_object))
}

//! Workloads: the pods NetworkPolicies select, read from every kind of
//! object that holds a pod template.

use std::fmt;

use kubefort_core::object::{ContainerKind, Object};

use crate::policy::Source;
use crate::ports::Protocol;
use crate::selector::Labels;

/// A port a container declares.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
    pub container: String,
}

/// The pods of one workload: one Pod, or every replica of a Deployment,
/// StatefulSet, DaemonSet, Job, CronJob, ReplicaSet, ReplicationController
/// (and other pod-template kinds). Replicas share labels and ports, so one
/// entry stands for all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// `default` for objects without a namespace.
    pub namespace: String,
    pub name: String,
    /// The kind that owns the pods (`Deployment`, `Pod`, ...).
    pub kind: String,
    /// The pods' labels.
    pub labels: Labels,
    /// Ports of the regular containers, in declaration order.
    pub ports: Vec<ContainerPort>,
    pub source: Source,
}

/// The identity of a workload in reports: `namespace/name[Kind]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkloadId {
    pub namespace: String,
    pub name: String,
    pub kind: String,
}

impl fmt::Display for WorkloadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}[{}]", self.namespace, self.name, self.kind)
    }
}

impl Workload {
    /// The workload of an object with a pod template (not `PodTemplate`
    /// itself, which runs nothing). A Pod with a controlling owner
    /// (`ownerReferences` with `controller: true`, other than a Node) is
    /// named after its owner, so the pods of one ReplicaSet form one
    /// workload.
    pub fn from_object(object: &Object) -> Option<Workload> {
        if object.id.kind == "PodTemplate" {
            return None;
        }
        let spec = object.pod_specs().into_iter().next()?;
        let mut name = object.id.name.clone()?;
        let mut kind = object.id.kind.clone();
        if kind == "Pod" {
            if let Some(owner) = controlling_owner(object) {
                (name, kind) = owner;
            }
        }
        let mut labels = Labels::new();
        if let Some(m) = spec
            .metadata
            .and_then(|m| m.get("labels"))
            .and_then(|l| l.as_map())
        {
            for (k, v) in m.iter() {
                if let Some(v) = v.as_str() {
                    labels.insert(k.to_string(), v.to_string());
                }
            }
        }
        let mut ports = Vec::new();
        for c in spec.containers_of(&[ContainerKind::Container]) {
            for p in c.node.get("ports").and_then(|p| p.as_seq()).unwrap_or(&[]) {
                let Some(number) = p
                    .get("containerPort")
                    .and_then(|n| n.as_i64())
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| *n > 0)
                else {
                    continue;
                };
                let protocol = match p.str_at("protocol") {
                    None => Protocol::Tcp,
                    Some(s) => match Protocol::parse(s) {
                        Some(p) => p,
                        None => continue,
                    },
                };
                ports.push(ContainerPort {
                    name: p
                        .str_at("name")
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                    port: number,
                    protocol,
                    container: c.name.to_string(),
                });
            }
        }
        Some(Workload {
            namespace: object
                .id
                .namespace
                .clone()
                .unwrap_or_else(|| "default".to_string()),
            name,
            kind,
            labels,
            ports,
            source: Source::of(object),
        })
    }

    pub fn id(&self) -> WorkloadId {
        WorkloadId {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
        }
    }

    /// The port number a named port stands for on these pods: the first
    /// container port with that name, when its protocol is the rule's.
    pub fn named_port(&self, name: &str, protocol: Protocol) -> Option<u16> {
        let p = self
            .ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name))?;
        (p.protocol == protocol).then_some(p.port)
    }
}

fn controlling_owner(object: &Object) -> Option<(String, String)> {
    let refs = object
        .root
        .get_path(&["metadata", "ownerReferences"])?
        .as_seq()?;
    let owner = refs
        .iter()
        .find(|r| r.get("controller").and_then(|c| c.as_bool()) == Some(true))?;
    let kind = owner
        .str_at("kind")
        .filter(|k| !k.is_empty() && *k != "Node")?;
    let name = owner.str_at("name").filter(|n| !n.is_empty())?;
    Some((name.to_string(), kind.to_string()))
}

//! NetworkPolicy objects read into the model, validated as the API server
//! validates them.

use std::fmt;
use std::sync::Arc;

use kubefort_core::object::Object;
use kubefort_core::{FieldPath, Node, Pos, Value};

use crate::ip::{ip_block_set, Cidr, IpSet};
use crate::ports::{Protocol, MAX_PORT};
use crate::selector::Selector;

/// Which way traffic flows relative to the pods a policy selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    /// `Ingress` / `Egress`, as in `policyTypes`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// `ingress` / `egress`: the spec field and the word for messages.
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// `from` / `to`: the field that lists a rule's peers.
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.field())
    }
}

/// Where an object was read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    pub file: Arc<str>,
    /// Position of the object.
    pub pos: Pos,
}

impl Source {
    pub fn of(object: &Object) -> Source {
        Source {
            file: object.file.clone(),
            pos: object.root.pos,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.pos.line)
    }
}

/// A `networking.k8s.io/v1` NetworkPolicy.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub namespace: String,
    pub name: String,
    /// `spec.podSelector`: which pods of the namespace the policy isolates.
    pub pod_selector: Selector,
    /// The ingress rules when the policy affects ingress (`None` when it
    /// does not); an empty list allows no ingress at all.
    pub ingress: Option<Vec<Rule>>,
    /// The egress rules when the policy affects egress.
    pub egress: Option<Vec<Rule>>,
    /// The address sets of every `ipBlock` in `spec.ingress` and
    /// `spec.egress`, whether or not `policyTypes` makes those rules count.
    pub referenced_blocks: [Vec<IpSet>; 2],
    pub source: Source,
}

/// One ingress or egress rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Position in `spec.ingress` or `spec.egress`.
    pub index: usize,
    /// Where the rule is written.
    pub pos: Pos,
    /// `from` / `to`; `None` when absent or empty: every peer, in the
    /// cluster and outside it.
    pub peers: Option<Vec<Peer>>,
    /// `ports`; `None` when absent or empty: every port of every protocol.
    pub ports: Option<Vec<PortSpec>>,
}

/// One entry of `from` / `to`.
#[derive(Clone, Debug, PartialEq)]
pub enum Peer {
    /// `podSelector` and/or `namespaceSelector` in one entry: pods matching
    /// the pod selector (all pods when absent) in the namespaces matching
    /// the namespace selector (the policy's own namespace when absent).
    Pods {
        pods: Option<Selector>,
        namespaces: Option<Selector>,
    },
    /// `ipBlock`: addresses outside the cluster's pods.
    IpBlock {
        cidr: String,
        except: Vec<String>,
        set: IpSet,
    },
}

/// One entry of `ports`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub protocol: Protocol,
    pub port: PortValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortValue {
    /// No `port`: every port of the protocol.
    All,
    /// `port`, or `port` to `endPort`.
    Range(u16, u16),
    /// A named port, resolved against the destination pod's containers.
    Named(String),
}

/// Why a NetworkPolicy would be rejected by the API server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    pub path: FieldPath,
    pub message: String,
}

fn err<T>(path: FieldPath, message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError {
        path,
        message: message.into(),
    })
}

/// Whether the object is a NetworkPolicy of the `networking.k8s.io` API
/// (or its `extensions/v1beta1` predecessor, which has the same semantics).
pub fn is_network_policy(object: &Object) -> bool {
    object.id.kind == "NetworkPolicy"
        && matches!(object.id.group(), "networking.k8s.io" | "extensions")
}

/// A list field: absent and `null` read as empty.
fn list<'a>(node: Option<&'a Node>, path: &FieldPath) -> Result<&'a [Node], PolicyError> {
    match node.map(|n| &n.value) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Seq(s)) => Ok(s),
        Some(other) => err(
            path.clone(),
            format!("expected a list, got {}", other.type_name()),
        ),
    }
}

impl Policy {
    /// Read a NetworkPolicy object. Objects without a namespace are in
    /// `default`, where `kubectl apply` puts them.
    pub fn from_object(object: &Object) -> Result<Policy, PolicyError> {
        let root = &object.root;
        let name = object.id.name.clone().unwrap_or_default();
        let namespace = object
            .id
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string());
        let spec_path = FieldPath::root().key("spec");
        let spec = match root.get("spec") {
            Some(s) if s.as_map().is_some() => s,
            Some(s) if !s.is_null() => {
                return err(
                    spec_path,
                    format!("expected a mapping, got {}", s.value.type_name()),
                )
            }
            _ => return err(spec_path, "a NetworkPolicy needs a spec"),
        };
        let sel_path = spec_path.key("podSelector");
        // A missing podSelector decodes as the empty selector: every pod.
        let pod_selector = match spec.get("podSelector") {
            Some(n) => Selector::parse(n, &sel_path)
                .map_err(|(path, message)| PolicyError { path, message })?,
            None => Selector::everything(),
        };
        let types_path = spec_path.key("policyTypes");
        let mut types = Vec::new();
        for (i, t) in list(spec.get("policyTypes"), &types_path)?
            .iter()
            .enumerate()
        {
            match t.as_str() {
                Some("Ingress") => types.push(Direction::Ingress),
                Some("Egress") => types.push(Direction::Egress),
                _ => return err(types_path.index(i), "must be \"Ingress\" or \"Egress\""),
            }
        }
        let mut rules: [Vec<Rule>; 2] = [Vec::new(), Vec::new()];
        let mut referenced_blocks: [Vec<IpSet>; 2] = [Vec::new(), Vec::new()];
        for d in Direction::BOTH {
            let at = spec_path.key(d.field());
            for (i, r) in list(spec.get(d.field()), &at)?.iter().enumerate() {
                let rule = parse_rule(r, i, d, &at.index(i))?;
                for p in rule.peers.iter().flatten() {
                    if let Peer::IpBlock { set, .. } = p {
                        referenced_blocks[d.index()].push(set.clone());
                    }
                }
                rules[d.index()].push(rule);
            }
        }
        // policyTypes defaults as the API server sets them: Ingress always,
        // Egress when there is at least one egress rule.
        if types.is_empty() {
            types.push(Direction::Ingress);
            if !rules[Direction::Egress.index()].is_empty() {
                types.push(Direction::Egress);
            }
        }
        let [ingress, egress] = rules;
        Ok(Policy {
            namespace,
            name,
            pod_selector,
            ingress: types.contains(&Direction::Ingress).then_some(ingress),
            egress: types.contains(&Direction::Egress).then_some(egress),
            referenced_blocks,
            source: Source::of(object),
        })
    }

    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Whether the policy isolates its pods in this direction.
    pub fn affects(&self, d: Direction) -> bool {
        self.rules(d).is_some()
    }

    /// The rules of a direction the policy affects.
    pub fn rules(&self, d: Direction) -> Option<&[Rule]> {
        match d {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }

    /// The field path of a rule (`spec.ingress[0]`).
    pub fn rule_path(d: Direction, rule: usize) -> FieldPath {
        FieldPath::root().key("spec").key(d.field()).index(rule)
    }
}

fn parse_rule(
    node: &Node,
    index: usize,
    d: Direction,
    at: &FieldPath,
) -> Result<Rule, PolicyError> {
    if !(node.as_map().is_some() || node.is_null()) {
        return err(
            at.clone(),
            format!("expected a mapping, got {}", node.value.type_name()),
        );
    }
    let peers_at = at.key(d.peers_field());
    let mut peers = Vec::new();
    for (j, p) in list(node.get(d.peers_field()), &peers_at)?
        .iter()
        .enumerate()
    {
        peers.push(parse_peer(p, &peers_at.index(j))?);
    }
    let ports_at = at.key("ports");
    let mut ports = Vec::new();
    for (k, p) in list(node.get("ports"), &ports_at)?.iter().enumerate() {
        ports.push(parse_port(p, &ports_at.index(k))?);
    }
    Ok(Rule {
        index,
        pos: node.pos,
        peers: (!peers.is_empty()).then_some(peers),
        ports: (!ports.is_empty()).then_some(ports),
    })
}

fn parse_peer(node: &Node, at: &FieldPath) -> Result<Peer, PolicyError> {
    let field = |k: &str| node.get(k).filter(|n| !n.is_null());
    let selector = |k: &str| -> Result<Option<Selector>, PolicyError> {
        field(k)
            .map(|n| Selector::parse(n, &at.key(k)))
            .transpose()
            .map_err(|(path, message)| PolicyError { path, message })
    };
    let pods = selector("podSelector")?;
    let namespaces = selector("namespaceSelector")?;
    match field("ipBlock") {
        Some(_) if pods.is_some() || namespaces.is_some() => err(
            at.key("ipBlock"),
            "may not be specified when podSelector or namespaceSelector is specified",
        ),
        Some(ipb) => {
            let ipb_at = at.key("ipBlock");
            let Some(cidr_text) = ipb.str_at("cidr").filter(|s| !s.is_empty()) else {
                return err(ipb_at.key("cidr"), "an ipBlock needs a cidr");
            };
            let cidr = Cidr::parse(cidr_text).or_else(|m| err(ipb_at.key("cidr"), m))?;
            let except_at = ipb_at.key("except");
            let mut except = Vec::new();
            let mut holes = Vec::new();
            for (i, e) in list(ipb.get("except"), &except_at)?.iter().enumerate() {
                let Some(text) = e.as_str() else {
                    return err(except_at.index(i), "expected a CIDR string");
                };
                let hole = Cidr::parse(text).or_else(|m| err(except_at.index(i), m))?;
                // The API server: each exception must be a strict subset of cidr.
                if !cidr.contains(hole.family, hole.network) || hole.prefix <= cidr.prefix {
                    return err(
                        except_at.index(i),
                        format!(
                            "{text:?} must be a strict subset of the ipBlock's cidr {cidr_text:?}"
                        ),
                    );
                }
                except.push(text.to_string());
                holes.push(hole);
            }
            Ok(Peer::IpBlock {
                cidr: cidr_text.to_string(),
                except,
                set: ip_block_set(&cidr, &holes),
            })
        }
        None if pods.is_none() && namespaces.is_none() => err(
            at.clone(),
            "must specify a podSelector, a namespaceSelector or an ipBlock",
        ),
        None => Ok(Peer::Pods { pods, namespaces }),
    }
}

/// A valid IANA service name, as a named port must be: at most 15
/// lowercase letters, digits and hyphens, at least one letter, hyphens
/// neither first, last nor doubled.
pub fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn parse_port(node: &Node, at: &FieldPath) -> Result<PortSpec, PolicyError> {
    if node.as_map().is_none() {
        return err(
            at.clone(),
            format!("expected a mapping, got {}", node.value.type_name()),
        );
    }
    let protocol = match node.get("protocol").filter(|n| !n.is_null()) {
        None => Protocol::Tcp,
        Some(p) => match p.as_str().and_then(Protocol::parse) {
            Some(p) => p,
            None => return err(at.key("protocol"), "must be \"TCP\", \"UDP\" or \"SCTP\""),
        },
    };
    let end = node.get("endPort").filter(|n| !n.is_null());
    let port = match node.get("port").filter(|n| !n.is_null()) {
        None => {
            if end.is_some() {
                return err(
                    at.key("endPort"),
                    "may not be specified when port is not specified",
                );
            }
            PortValue::All
        }
        Some(p) => match (&p.value, p.as_i64()) {
            (_, Some(n)) => {
                if !(1..=i64::from(MAX_PORT)).contains(&n) {
                    return err(at.key("port"), "must be between 1 and 65535, inclusive");
                }
                let start = n as u16;
                let stop = match end {
                    None => start,
                    Some(e) => match e.as_i64() {
                        Some(e) if e >= n && e <= i64::from(MAX_PORT) => e as u16,
                        Some(_) => {
                            return err(
                                at.key("endPort"),
                                "must be greater than or equal to port and at most 65535",
                            )
                        }
                        None => return err(at.key("endPort"), "must be an integer"),
                    },
                };
                PortValue::Range(start, stop)
            }
            (Value::String(s), None) => {
                if end.is_some() {
                    return err(
                        at.key("endPort"),
                        "may not be specified when port is non-numeric",
                    );
                }
                if !is_port_name(s) {
                    return err(
                        at.key("port"),
                        format!("{s:?} is not a valid port name (at most 15 lowercase letters, digits and '-', with at least one letter)"),
                    );
                }
                PortValue::Named(s.to_string())
            }
            (other, None) => {
                return err(
                    at.key("port"),
                    format!("expected a port number or name, got {}", other.type_name()),
                )
            }
        },
    };
    Ok(PortSpec { protocol, port })
}

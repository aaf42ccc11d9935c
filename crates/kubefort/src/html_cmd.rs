//! What the HTML report needs besides the findings: the source text around
//! them and the graphs of the RBAC and NetworkPolicy analyses.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use kubefort_core::object::Object;
use kubefort_core::source::{SourceFile, STDIN_NAME};
use kubefort_core::{Engine, Report};
use kubefort_netpol::{build, connectivity, read_object, Endpoint, Item};
use kubefort_rbac::graph::{EscalationGraph, Node};
use kubefort_rbac::request::split_service_account;
use kubefort_rbac::{Model, Options, RbacInventory};
use kubefort_report::html::{Graph, GraphEdge, GraphNode};

/// Edges of the connectivity graph drawn at most.
const MAX_NETPOL_EDGES: usize = 1500;

/// The text of every file a finding points into (not standard input, which
/// was read once), each at most `max_size` bytes; unreadable ones are left out.
pub fn sources(report: &Report, max_size: u64) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for f in report.findings.iter().filter(|f| f.location.has_position()) {
        let name = &*f.location.file;
        if name == STDIN_NAME || out.contains_key(name) {
            continue;
        }
        let mut text = String::new();
        let read = std::fs::File::open(name)
            .and_then(|file| file.take(max_size).read_to_string(&mut text));
        if read.is_ok() {
            out.insert(name.to_string(), text);
        }
    }
    out
}

/// What the graphs are built from, per object.
enum Part {
    Rbac(RbacInventory),
    Net(Item),
}

fn visit(object: &Object) -> Vec<Part> {
    let mut out = Vec::new();
    let mut inv = RbacInventory::default();
    kubefort_rbac::load::add_object(&mut inv, object, 0);
    out.push(Part::Rbac(inv));
    if let Some(item) = read_object(object) {
        out.push(Part::Net(item));
    }
    out
}

/// Graphs of the manifests in `files` (standard input is skipped: it was
/// read once by the scan).
pub fn graphs_of_files(engine: &Engine, files: &[SourceFile]) -> Vec<Graph> {
    let files: Vec<SourceFile> = files
        .iter()
        .filter(|f| &*f.name != STDIN_NAME)
        .cloned()
        .collect();
    let visited = engine.visit(&files, false, &|o, _| visit(o));
    graphs(visited.items, engine, true)
}

/// Graphs of objects read from a cluster.
pub fn graphs_of_objects(engine: &Engine, objects: &[Object]) -> Vec<Graph> {
    graphs(
        engine.visit_objects(objects, &|o, _| visit(o)),
        engine,
        false,
    )
}

fn graphs(parts: Vec<Part>, engine: &Engine, builtin_roles: bool) -> Vec<Graph> {
    let ran = |rule: &str| engine.rules().iter().any(|r| r.meta.name == rule);
    let mut inv = RbacInventory::default();
    let mut items = Vec::new();
    for p in parts {
        match p {
            Part::Rbac(i) => inv.extend(i),
            Part::Net(i) => items.push(i),
        }
    }
    let mut out = Vec::new();
    if ran("rbac-escalation-path") {
        let model = Model::build(inv, &Options { builtin_roles });
        if let Some(g) = rbac_graph(&model) {
            out.push(g);
        }
    }
    if engine
        .rules()
        .iter()
        .any(|r| r.meta.groups.contains(&"network"))
    {
        if let Some(g) = netpol_graph(items) {
            out.push(g);
        }
    }
    out
}

/// What to search the findings for to find those of an identity.
fn search_of(n: &Node) -> String {
    match n {
        Node::User(u) => match split_service_account(u) {
            Some((ns, name)) => format!("{ns}/{name}"),
            None => u.clone(),
        },
        Node::Group(g) => g.clone(),
        _ => String::new(),
    }
}

/// Every escalation path to cluster-admin, merged into one graph.
fn rbac_graph(model: &Model) -> Option<Graph> {
    let g = EscalationGraph::build(model);
    let paths = g.all_paths(&Node::ClusterAdmin);
    if paths.is_empty() {
        return None;
    }
    let mut ids: BTreeMap<Node, usize> = BTreeMap::new();
    let mut nodes: Vec<GraphNode> = Vec::new();
    let mut edges: Vec<GraphEdge> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut id = |n: &Node, nodes: &mut Vec<GraphNode>| -> usize {
        *ids.entry(n.clone()).or_insert_with(|| {
            let kind = match n {
                Node::ClusterAdmin => "target",
                Node::User(_) | Node::Group(_) => "subject",
                _ => "capability",
            };
            nodes.push(GraphNode {
                label: n.describe(model),
                kind: kind.into(),
                detail: String::new(),
                search: search_of(n),
            });
            nodes.len() - 1
        })
    };
    for p in &paths {
        for (a, b, step) in &p.steps {
            let (x, y) = (id(a, &mut nodes), id(b, &mut nodes));
            if seen.insert((x, y, step.technique)) {
                edges.push(GraphEdge {
                    from: x,
                    to: y,
                    label: step.technique.name().into(),
                    detail: step.detail.clone(),
                });
            }
        }
    }
    let escalating = paths.iter().filter(|p| !p.is_direct()).count();
    Some(Graph {
        id: "rbac".into(),
        title: "RBAC: paths to cluster-admin".into(),
        description: format!(
            "Identities that hold cluster-admin ({}) or can reach it ({escalating}); each edge is a technique (create pods, read a token Secret, bind, escalate, …) that the RBAC rules allow. `kubefort rbac paths` prints each path with its evidence.",
            paths.len() - escalating
        ),
        layout: "layered".into(),
        nodes,
        edges,
        omitted_edges: 0,
    })
}

/// The allowed connections between workloads and address ranges, when the
/// inputs hold NetworkPolicies.
fn netpol_graph(items: Vec<Item>) -> Option<Graph> {
    let (cluster, _) = build(items);
    if cluster.policies.is_empty() || cluster.workloads.is_empty() {
        return None;
    }
    let conn = connectivity(&cluster);
    let mut nodes: Vec<GraphNode> = Vec::new();
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut edges = Vec::new();
    let mut omitted = 0;
    for c in &conn.connections {
        if edges.len() >= MAX_NETPOL_EDGES {
            omitted += 1;
            continue;
        }
        let mut node = |p: u32, nodes: &mut Vec<GraphNode>| -> usize {
            *index.entry(p).or_insert_with(|| {
                let peer = conn.peer(p);
                let (kind, search) = match peer.endpoint {
                    Endpoint::Workload(w) => {
                        let wl = &cluster.workloads[w];
                        ("workload", format!("{}/{}", wl.namespace, wl.name))
                    }
                    Endpoint::External(_) => ("external", String::new()),
                };
                nodes.push(GraphNode {
                    label: peer.name.clone(),
                    kind: kind.into(),
                    detail: String::new(),
                    search,
                });
                nodes.len() - 1
            })
        };
        let (a, b) = (node(c.src, &mut nodes), node(c.dst, &mut nodes));
        edges.push(GraphEdge {
            from: a,
            to: b,
            label: conn.set(c.conn).to_string(),
            detail: format!("{} => {}", conn.peer(c.src).name, conn.peer(c.dst).name),
        });
    }
    Some(Graph {
        id: "netpol".into(),
        title: "NetworkPolicy connectivity".into(),
        description: format!(
            "Every connection the {} NetworkPolicies allow between the {} workloads and outside address ranges (`kubefort netpol` lists them; `kubefort netpol explain` says why).",
            cluster.policies.len(),
            cluster.workloads.len()
        ),
        layout: "circle".into(),
        nodes,
        edges,
        omitted_edges: omitted,
    })
}

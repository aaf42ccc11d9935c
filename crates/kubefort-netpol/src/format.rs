//! Writers for the connectivity list: text and Markdown in np-guard's
//! netpol-analyzer notation, a Graphviz graph, and versioned JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::cluster::{Cluster, Endpoint};
use crate::connlist::{Connection, Connectivity};
use crate::policy::Direction;
use crate::ports::ConnSet;

/// What to write: the connectivity of a cluster, optionally only the
/// connections from or to some workloads.
pub struct View<'a> {
    pub cluster: &'a Cluster,
    pub connectivity: &'a Connectivity,
    /// Workload indexes; `None` for every connection.
    pub focus: Option<&'a [usize]>,
}

impl View<'_> {
    fn focused(&self, ep: Endpoint) -> bool {
        match (self.focus, ep) {
            (None, _) => true,
            (Some(f), Endpoint::Workload(w)) => f.contains(&w),
            (Some(_), Endpoint::External(_)) => false,
        }
    }

    /// The connections to write, in order.
    pub fn connections(&self) -> impl Iterator<Item = &Connection> {
        self.connectivity.connections.iter().filter(|c| {
            self.focus.is_none()
                || self.focused(self.connectivity.peer(c.src).endpoint)
                || self.focused(self.connectivity.peer(c.dst).endpoint)
        })
    }

    fn line(&self, c: &Connection) -> (&str, &str, String) {
        (
            &self.connectivity.peer(c.src).name,
            &self.connectivity.peer(c.dst).name,
            self.connectivity.set(c.conn).to_string(),
        )
    }
}

/// One line per allowed connection: `SRC => DST : CONNECTIONS`.
pub fn text(view: &View<'_>) -> String {
    let mut out = String::new();
    for c in view.connections() {
        let (s, d, conn) = view.line(c);
        let _ = writeln!(out, "{s} => {d} : {conn}");
    }
    out
}

/// A Markdown table with the columns `src`, `dst`, `conn`.
pub fn markdown(view: &View<'_>) -> String {
    let mut out = String::from("| src | dst | conn |\n|-----|-----|------|\n");
    for c in view.connections() {
        let (s, d, conn) = view.line(c);
        let _ = writeln!(out, "| {s} | {d} | {conn} |");
    }
    out
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A Graphviz digraph: workloads grouped in one cluster per namespace,
/// external ranges outside, one edge per connection labelled with what it
/// allows.
pub fn dot(view: &View<'_>) -> String {
    let cl = view.cluster;
    let conn = view.connectivity;
    let mut workloads: BTreeSet<usize> = BTreeSet::new();
    let mut external: BTreeSet<String> = BTreeSet::new();
    let mut edges = Vec::new();
    for c in view.connections() {
        for p in [c.src, c.dst] {
            match conn.peer(p).endpoint {
                Endpoint::Workload(w) => {
                    workloads.insert(w);
                }
                Endpoint::External(_) => {
                    external.insert(conn.peer(p).name.clone());
                }
            }
        }
        let (s, d, label) = view.line(c);
        edges.push(format!(
            "\t{} -> {} [label={} color=\"gold2\" fontcolor=\"darkgreen\"]",
            quote(s),
            quote(d),
            quote(&label)
        ));
    }
    // Workloads without any connection are drawn too: they are isolated.
    for w in 0..cl.workloads.len() {
        if view.focused(Endpoint::Workload(w)) {
            workloads.insert(w);
        }
    }
    let mut by_ns: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for &w in &workloads {
        let wl = &cl.workloads[w];
        by_ns.entry(&wl.namespace).or_default().push(format!(
            "\t\t{} [label={} color=\"blue\" fontcolor=\"blue\"]",
            quote(&wl.id().to_string()),
            quote(&format!("{}[{}]", wl.name, wl.kind))
        ));
    }
    let mut out = String::from("digraph {\n");
    for (ns, mut nodes) in by_ns {
        nodes.sort();
        let _ = writeln!(out, "\tsubgraph {} {{", quote(&format!("cluster_{ns}")));
        for n in nodes {
            let _ = writeln!(out, "{n}");
        }
        let _ = writeln!(out, "\t\tlabel={}", quote(ns));
        let _ = writeln!(out, "\t}}");
    }
    for e in &external {
        let _ = writeln!(
            out,
            "\t{} [label={} color=\"red2\" fontcolor=\"red2\"]",
            quote(e),
            quote(e)
        );
    }
    edges.sort();
    for e in edges {
        let _ = writeln!(out, "{e}");
    }
    out.push_str("}\n");
    out
}

/// Ports of a connection set by protocol, as `[first, last]` ranges.
pub fn conn_json(c: &ConnSet) -> Value {
    let mut m = serde_json::Map::new();
    for (p, r) in c.protocols() {
        m.insert(
            p.as_str().to_string(),
            Value::Array(r.ranges().iter().map(|&(a, b)| json!([a, b])).collect()),
        );
    }
    Value::Object(m)
}

/// The JSON document (version 1, documented in docs/netpol.md).
pub fn json(view: &View<'_>) -> Value {
    let cl = view.cluster;
    let conn = view.connectivity;
    let connections: Vec<Value> = view
        .connections()
        .map(|c| {
            let (s, d, text) = view.line(c);
            json!({
                "src": s,
                "dst": d,
                "conn": text,
                "ports": conn_json(conn.set(c.conn)),
            })
        })
        .collect();
    let side = |d: Direction, w: usize| {
        let sel = cl.selecting(d, w);
        json!({
            "isolated": !sel.is_empty(),
            "policies": sel.iter().map(|&p| cl.policies[p].id()).collect::<Vec<_>>(),
        })
    };
    let workloads: Vec<Value> = (0..cl.workloads.len())
        .filter(|&w| view.focused(Endpoint::Workload(w)))
        .map(|w| {
            let wl = &cl.workloads[w];
            json!({
                "workload": wl.id().to_string(),
                "namespace": wl.namespace,
                "name": wl.name,
                "kind": wl.kind,
                "labels": wl.labels,
                "location": {"file": &*wl.source.file, "line": wl.source.pos.line},
                "ingress": side(Direction::Ingress, w),
                "egress": side(Direction::Egress, w),
            })
        })
        .collect();
    let namespaces: Vec<Value> = cl
        .namespaces
        .values()
        .map(|ns| json!({"name": ns.name, "labels": ns.labels, "declared": ns.declared}))
        .collect();
    json!({
        "version": 1,
        "connections": connections,
        "workloads": workloads,
        "namespaces": namespaces,
        "external": {
            "sources": conn.external_sources.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "destinations": conn.external_destinations.iter().map(ToString::to_string).collect::<Vec<_>>(),
        },
        "notes": cl.notes,
    })
}

//! The connectivity list: every allowed connection between workloads and
//! external address ranges, computed for all pairs at once.
//!
//! The evaluation is the same as [`Cluster::explain`], organised for
//! speed: each rule's peers are resolved once into a set of workloads and
//! of external ranges, each distinct connection set is stored once and
//! referred to by number, and unions and intersections of those numbers are
//! memoised. The result is tested against `Cluster::allowed` pair by pair.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::cluster::{Cluster, Endpoint};
use crate::ip::{disjoint_ranges, AddrRange};
use crate::policy::{Direction, Peer, PortValue, Rule};
use crate::ports::{ConnSet, PortRanges, Protocol};

/// A connection set's number in [`Connectivity::sets`].
pub type ConnId = u32;
/// No connection.
pub const NONE: ConnId = 0;
/// Every connection.
pub const ALL: ConnId = 1;

/// A peer of the connectivity list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// `namespace/name[Kind]` or `first-last` address range.
    pub name: String,
    pub endpoint: Endpoint,
}

/// One allowed connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Index in [`Connectivity::peers`].
    pub src: u32,
    pub dst: u32,
    pub conn: ConnId,
}

/// Every allowed connection, sorted by source name, then destination name
/// (byte order, as netpol-analyzer sorts its lines).
#[derive(Clone, Debug, Default)]
pub struct Connectivity {
    pub peers: Vec<PeerInfo>,
    pub connections: Vec<Connection>,
    pub sets: Vec<ConnSet>,
    /// External ranges that can be sources (cut by the ingress rules'
    /// ipBlocks) and destinations (cut by the egress rules' ipBlocks).
    pub external_sources: Vec<AddrRange>,
    pub external_destinations: Vec<AddrRange>,
}

impl Connectivity {
    pub fn set(&self, id: ConnId) -> &ConnSet {
        &self.sets[id as usize]
    }

    pub fn peer(&self, i: u32) -> &PeerInfo {
        &self.peers[i as usize]
    }
}

/// FNV-1a: keys here are small integers and connection sets.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn write_u64(&mut self, n: u64) {
        // One multiply-xorshift round for integer keys.
        let h = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 29);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Connection sets by number, with memoised set operations.
struct Table {
    sets: Vec<ConnSet>,
    ids: FastMap<ConnSet, ConnId>,
    unions: FastMap<u64, ConnId>,
    intersections: FastMap<u64, ConnId>,
}

fn pair(a: ConnId, b: ConnId) -> u64 {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    (u64::from(a) << 32) | u64::from(b)
}

impl Table {
    fn new() -> Table {
        let mut t = Table {
            sets: Vec::new(),
            ids: FastMap::default(),
            unions: FastMap::default(),
            intersections: FastMap::default(),
        };
        assert_eq!(t.intern(ConnSet::none()), NONE);
        assert_eq!(t.intern(ConnSet::all()), ALL);
        t
    }

    fn intern(&mut self, c: ConnSet) -> ConnId {
        if let Some(&id) = self.ids.get(&c) {
            return id;
        }
        let id = self.sets.len() as ConnId;
        self.sets.push(c.clone());
        self.ids.insert(c, id);
        id
    }

    #[inline]
    fn union(&mut self, a: ConnId, b: ConnId) -> ConnId {
        if a == b || b == NONE || a == ALL {
            return a;
        }
        if a == NONE || b == ALL {
            return b;
        }
        let key = pair(a, b);
        if let Some(&r) = self.unions.get(&key) {
            return r;
        }
        let c = self.sets[a as usize].union(&self.sets[b as usize]);
        let r = self.intern(c);
        self.unions.insert(key, r);
        r
    }

    #[inline]
    fn intersect(&mut self, a: ConnId, b: ConnId) -> ConnId {
        if a == b || b == ALL || a == NONE {
            return a;
        }
        if a == ALL || b == NONE {
            return b;
        }
        let key = pair(a, b);
        if let Some(&r) = self.intersections.get(&key) {
            return r;
        }
        let c = self.sets[a as usize].intersect(&self.sets[b as usize]);
        let r = self.intern(c);
        self.intersections.insert(key, r);
        r
    }
}

/// A fixed-size set of small numbers.
#[derive(Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            let mut b = bits;
            std::iter::from_fn(move || {
                if b == 0 {
                    return None;
                }
                let t = b.trailing_zeros() as usize;
                b &= b - 1;
                Some(w * 64 + t)
            })
        })
    }
}

/// A rule with its peers resolved.
struct Resolved<'a> {
    /// `from` / `to` absent: every workload and every external range.
    everyone: bool,
    workloads: Bits,
    /// Indexes of the external ranges (sources for ingress rules,
    /// destinations for egress rules) inside the rule's ipBlocks.
    external: Vec<usize>,
    /// The numbered ports.
    numeric: ConnId,
    /// The named ports.
    named: Vec<(Protocol, &'a str)>,
}

impl Resolved<'_> {
    /// The connections toward a destination workload.
    fn conns_to(&self, cluster: &Cluster, table: &mut Table, dst: usize) -> ConnId {
        if self.named.is_empty() {
            return self.numeric;
        }
        let mut c = table.sets[self.numeric as usize].clone();
        for &(proto, name) in &self.named {
            if let Some(n) = cluster.workloads[dst].named_port(name, proto) {
                c.add(proto, &PortRanges::single(n));
            }
        }
        table.intern(c)
    }
}

fn resolve<'a>(
    cluster: &Cluster,
    table: &mut Table,
    policy: usize,
    rule: &'a Rule,
    external: &[AddrRange],
) -> Resolved<'a> {
    let p = &cluster.policies[policy];
    let n = cluster.workloads.len();
    let mut workloads = Bits::new(n);
    let mut ext = Vec::new();
    if let Some(peers) = &rule.peers {
        let mut ns_cache: HashMap<&str, bool> = HashMap::new();
        for peer in peers {
            match peer {
                Peer::Pods { pods, namespaces } => {
                    let in_ns = |w: usize| {
                        pods.as_ref()
                            .is_none_or(|s| s.matches(&cluster.workloads[w].labels))
                    };
                    match namespaces {
                        None => {
                            for &w in cluster.workloads_in(&p.namespace) {
                                if in_ns(w) {
                                    workloads.set(w);
                                }
                            }
                        }
                        Some(sel) => {
                            ns_cache.clear();
                            for (name, ns) in &cluster.namespaces {
                                let matches = *ns_cache
                                    .entry(name.as_str())
                                    .or_insert_with(|| sel.matches(&ns.labels));
                                if matches {
                                    for &w in cluster.workloads_in(name) {
                                        if in_ns(w) {
                                            workloads.set(w);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                Peer::IpBlock { set, .. } => {
                    for (i, r) in external.iter().enumerate() {
                        if set.contains_range(r) {
                            ext.push(i);
                        }
                    }
                }
            }
        }
        ext.sort_unstable();
        ext.dedup();
    }
    let mut numeric = ConnSet::none();
    let mut named = Vec::new();
    match &rule.ports {
        None => numeric = ConnSet::all(),
        Some(ports) => {
            for port in ports {
                match &port.port {
                    PortValue::All => numeric.add(port.protocol, &PortRanges::all()),
                    PortValue::Range(a, b) => {
                        numeric.add(port.protocol, &PortRanges::range(*a, *b))
                    }
                    PortValue::Named(name) => named.push((port.protocol, name.as_str())),
                }
            }
        }
    }
    Resolved {
        everyone: rule.peers.is_none(),
        workloads,
        external: ext,
        numeric: table.intern(numeric),
        named,
    }
}

/// Compute every allowed connection: between workloads (not from a
/// workload to itself), from external ranges to workloads and from
/// workloads to external ranges.
pub fn connectivity(cluster: &Cluster) -> Connectivity {
    let n = cluster.workloads.len();
    let mut table = Table::new();
    let blocks = |d: Direction| {
        disjoint_ranges(
            cluster
                .policies
                .iter()
                .flat_map(move |p| p.referenced_blocks[d.index()].iter()),
        )
    };
    let src_ext = blocks(Direction::Ingress);
    let dst_ext = blocks(Direction::Egress);

    // Resolve every rule once.
    let mut resolved: [Vec<Vec<Resolved<'_>>>; 2] = [Vec::new(), Vec::new()];
    for d in Direction::BOTH {
        let ext = match d {
            Direction::Ingress => &src_ext,
            Direction::Egress => &dst_ext,
        };
        for (pi, p) in cluster.policies.iter().enumerate() {
            let rules = p.rules(d).unwrap_or(&[]);
            let v = rules
                .iter()
                .map(|r| resolve(cluster, &mut table, pi, r, ext))
                .collect();
            resolved[d.index()].push(v);
        }
    }

    // Ingress: for each isolated destination, what each source may send.
    // Sources are the workloads, then the external source ranges.
    let mut ingress: Vec<Option<Vec<ConnId>>> = Vec::with_capacity(n);
    for dst in 0..n {
        let selecting = cluster.selecting(Direction::Ingress, dst);
        if selecting.is_empty() {
            ingress.push(None);
            continue;
        }
        let mut row = vec![NONE; n + src_ext.len()];
        for &p in selecting {
            for r in &resolved[Direction::Ingress.index()][p] {
                let c = r.conns_to(cluster, &mut table, dst);
                if c == NONE {
                    continue;
                }
                if r.everyone {
                    for x in &mut row {
                        *x = table.union(*x, c);
                    }
                    continue;
                }
                for s in r.workloads.ones() {
                    row[s] = table.union(row[s], c);
                }
                for &e in &r.external {
                    row[n + e] = table.union(row[n + e], c);
                }
            }
        }
        ingress.push(Some(row));
    }

    // Egress: for each isolated source, what it may send to each
    // destination (the workloads, then the external destination ranges).
    let mut egress: Vec<Option<Vec<ConnId>>> = Vec::with_capacity(n);
    for src in 0..n {
        let selecting = cluster.selecting(Direction::Egress, src);
        if selecting.is_empty() {
            egress.push(None);
            continue;
        }
        let mut row = vec![NONE; n + dst_ext.len()];
        for &p in selecting {
            for r in &resolved[Direction::Egress.index()][p] {
                // Named ports never match an external address.
                let ext_conn = r.numeric;
                let apply = |row: &mut Vec<ConnId>, d: usize, table: &mut Table| {
                    let c = r.conns_to(cluster, table, d);
                    row[d] = table.union(row[d], c);
                };
                if r.everyone {
                    for d in 0..n {
                        apply(&mut row, d, &mut table);
                    }
                    if ext_conn != NONE {
                        for x in &mut row[n..] {
                            *x = table.union(*x, ext_conn);
                        }
                    }
                    continue;
                }
                for d in r.workloads.ones() {
                    apply(&mut row, d, &mut table);
                }
                if ext_conn != NONE {
                    for &e in &r.external {
                        row[n + e] = table.union(row[n + e], ext_conn);
                    }
                }
            }
        }
        egress.push(Some(row));
    }

    // Peers, sorted by name; the output is produced in sorted order.
    let mut peers: Vec<PeerInfo> = Vec::with_capacity(n + src_ext.len() + dst_ext.len());
    for w in 0..n {
        peers.push(PeerInfo {
            name: cluster.endpoint_name(Endpoint::Workload(w)),
            endpoint: Endpoint::Workload(w),
        });
    }
    let mut ext_all: Vec<AddrRange> = src_ext.iter().chain(&dst_ext).copied().collect();
    ext_all.sort_unstable();
    ext_all.dedup();
    for r in &ext_all {
        peers.push(PeerInfo {
            name: r.to_string(),
            endpoint: Endpoint::External(*r),
        });
    }
    let mut order: Vec<u32> = (0..peers.len() as u32).collect();
    order.sort_by(|a, b| peers[*a as usize].name.cmp(&peers[*b as usize].name));
    let src_index = |r: &AddrRange| src_ext.binary_search(r).ok();
    let dst_index = |r: &AddrRange| dst_ext.binary_search(r).ok();

    let mut connections = Vec::new();
    for &s in &order {
        let src = peers[s as usize].endpoint;
        for &d in &order {
            let dst = peers[d as usize].endpoint;
            let c = match (src, dst) {
                (Endpoint::Workload(a), Endpoint::Workload(b)) => {
                    if a == b {
                        continue;
                    }
                    let e = egress[a].as_ref().map_or(ALL, |row| row[b]);
                    if e == NONE {
                        continue;
                    }
                    let i = ingress[b].as_ref().map_or(ALL, |row| row[a]);
                    table.intersect(e, i)
                }
                (Endpoint::External(r), Endpoint::Workload(b)) => {
                    let Some(e) = src_index(&r) else { continue };
                    ingress[b].as_ref().map_or(ALL, |row| row[n + e])
                }
                (Endpoint::Workload(a), Endpoint::External(r)) => {
                    let Some(e) = dst_index(&r) else { continue };
                    egress[a].as_ref().map_or(ALL, |row| row[n + e])
                }
                (Endpoint::External(_), Endpoint::External(_)) => continue,
            };
            if c != NONE {
                connections.push(Connection {
                    src: s,
                    dst: d,
                    conn: c,
                });
            }
        }
    }
    Connectivity {
        peers,
        connections,
        sets: table.sets,
        external_sources: src_ext,
        external_destinations: dst_ext,
    }
}

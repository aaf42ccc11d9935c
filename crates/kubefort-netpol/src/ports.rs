//! Protocols, port sets and connection sets, printed the way np-guard's
//! netpol-analyzer prints them (`TCP 80,8080-8090,UDP 53`, `All Connections`).

use std::fmt;

/// A protocol a NetworkPolicy port can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

    /// The API spelling: `TCP`, `UDP`, `SCTP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    /// Parse the API spelling. The API server accepts exactly `TCP`, `UDP`
    /// and `SCTP` (case-sensitive).
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// Parse a protocol written by a person (`tcp`, `Udp`).
    pub fn parse_loose(s: &str) -> Option<Protocol> {
        Protocol::parse(&s.to_ascii_uppercase())
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const MIN_PORT: u16 = 1;
pub const MAX_PORT: u16 = 65535;

/// A set of ports: sorted, disjoint, non-adjacent inclusive ranges within
/// 1..=65535.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRanges(Vec<(u16, u16)>);

impl PortRanges {
    pub fn empty() -> Self {
        PortRanges(Vec::new())
    }

    pub fn all() -> Self {
        PortRanges(vec![(MIN_PORT, MAX_PORT)])
    }

    /// `start..=end`, clamped to valid ports; empty when `start > end`.
    pub fn range(start: u16, end: u16) -> Self {
        let start = start.max(MIN_PORT);
        if start > end {
            return PortRanges::empty();
        }
        PortRanges(vec![(start, end)])
    }

    pub fn single(port: u16) -> Self {
        PortRanges::range(port, port)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.0 == [(MIN_PORT, MAX_PORT)]
    }

    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.0
    }

    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(a, b)| a <= port && port <= b)
    }

    pub fn union(&self, other: &PortRanges) -> PortRanges {
        if other.0.is_empty() || self == other {
            return self.clone();
        }
        if self.0.is_empty() {
            return other.clone();
        }
        let mut all: Vec<(u16, u16)> = self.0.iter().chain(&other.0).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (a, b) in all {
            match out.last_mut() {
                Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        PortRanges(out)
    }

    pub fn intersect(&self, other: &PortRanges) -> PortRanges {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a1, b1) = self.0[i];
            let (a2, b2) = other.0[j];
            let (a, b) = (a1.max(a2), b1.min(b2));
            if a <= b {
                out.push((a, b));
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortRanges(out)
    }

    /// Ports in `self` and not in `other`.
    pub fn subtract(&self, other: &PortRanges) -> PortRanges {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            let mut start = u32::from(a);
            let end = u32::from(b);
            for &(c, d) in &other.0 {
                let (c, d) = (u32::from(c), u32::from(d));
                if d < start || c > end {
                    continue;
                }
                if c > start {
                    out.push((start as u16, (c - 1) as u16));
                }
                start = d + 1;
            }
            if start <= end {
                out.push((start as u16, end as u16));
            }
        }
        PortRanges(out)
    }
}

impl fmt::Display for PortRanges {
    /// `80,8080-8090`; ranges of one port as the port.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

/// A set of connections: ports per protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnSet {
    ports: [PortRanges; 3],
}

impl ConnSet {
    /// No connection at all.
    pub fn none() -> Self {
        ConnSet::default()
    }

    /// Every port of every protocol.
    pub fn all() -> Self {
        ConnSet {
            ports: [PortRanges::all(), PortRanges::all(), PortRanges::all()],
        }
    }

    /// `ports` of one protocol.
    pub fn of(protocol: Protocol, ports: PortRanges) -> Self {
        let mut c = ConnSet::none();
        c.ports[protocol.index()] = ports;
        c
    }

    pub fn is_empty(&self) -> bool {
        self.ports.iter().all(PortRanges::is_empty)
    }

    pub fn is_all(&self) -> bool {
        self.ports.iter().all(PortRanges::is_all)
    }

    pub fn ports(&self, protocol: Protocol) -> &PortRanges {
        &self.ports[protocol.index()]
    }

    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.ports[protocol.index()].contains(port)
    }

    /// Add `ports` of `protocol`.
    pub fn add(&mut self, protocol: Protocol, ports: &PortRanges) {
        let i = protocol.index();
        self.ports[i] = self.ports[i].union(ports);
    }

    pub fn union(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].union(&other.ports[i])),
        }
    }

    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].intersect(&other.ports[i])),
        }
    }

    pub fn subtract(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].subtract(&other.ports[i])),
        }
    }

    /// Only the connections of one protocol and port (`None`: every port).
    pub fn restrict(&self, protocol: Protocol, port: Option<u16>) -> ConnSet {
        let want = match port {
            Some(p) => PortRanges::single(p),
            None => PortRanges::all(),
        };
        ConnSet::of(protocol, self.ports(protocol).intersect(&want))
    }

    /// The protocols with at least one port, in netpol-analyzer's order.
    pub fn protocols(&self) -> impl Iterator<Item = (Protocol, &PortRanges)> {
        // Sorted by the printed string, as netpol-analyzer sorts them.
        [Protocol::Sctp, Protocol::Tcp, Protocol::Udp]
            .into_iter()
            .map(|p| (p, &self.ports[p.index()]))
            .filter(|(_, r)| !r.is_empty())
    }
}

impl fmt::Display for ConnSet {
    /// `All Connections`, `No Connections`, or `PROTOCOL PORTS` per protocol
    /// joined with commas, protocols in alphabetical order:
    /// `SCTP 1-65535,TCP 80,UDP 53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        for (i, (p, r)) in self.protocols().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{p} {r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_union_merge_adjacent_and_overlapping() {
        let a = PortRanges::range(80, 80).union(&PortRanges::range(81, 90));
        assert_eq!(a.ranges(), &[(80, 90)]);
        let b = a
            .union(&PortRanges::range(100, 200))
            .union(&PortRanges::range(85, 120));
        assert_eq!(b.ranges(), &[(80, 200)]);
        assert_eq!(b.to_string(), "80-200");
        let c = PortRanges::single(53).union(&PortRanges::single(80));
        assert_eq!(c.to_string(), "53,80");
    }

    #[test]
    fn ranges_intersect_and_subtract() {
        let a = PortRanges::range(1, 100).union(&PortRanges::range(200, 300));
        let b = PortRanges::range(50, 250);
        assert_eq!(a.intersect(&b).to_string(), "50-100,200-250");
        assert_eq!(
            PortRanges::all()
                .subtract(&PortRanges::single(53))
                .to_string(),
            "1-52,54-65535"
        );
        assert!(PortRanges::single(80)
            .subtract(&PortRanges::all())
            .is_empty());
        assert_eq!(
            PortRanges::range(0, 0),
            PortRanges::empty(),
            "port 0 is not a port"
        );
    }

    #[test]
    fn conn_sets_print_like_netpol_analyzer() {
        assert_eq!(ConnSet::all().to_string(), "All Connections");
        assert_eq!(ConnSet::none().to_string(), "No Connections");
        let mut c = ConnSet::of(Protocol::Udp, PortRanges::single(53));
        c.add(Protocol::Tcp, &PortRanges::range(8080, 8090));
        c.add(Protocol::Tcp, &PortRanges::single(80));
        assert_eq!(c.to_string(), "TCP 80,8080-8090,UDP 53");
        let almost = ConnSet::all().subtract(&ConnSet::of(Protocol::Udp, PortRanges::single(53)));
        assert_eq!(
            almost.to_string(),
            "SCTP 1-65535,TCP 1-65535,UDP 1-52,54-65535"
        );
        assert_eq!(
            ConnSet::of(Protocol::Tcp, PortRanges::all()).to_string(),
            "TCP 1-65535"
        );
    }

    #[test]
    fn protocols_parse_as_the_api_does() {
        assert_eq!(Protocol::parse("TCP"), Some(Protocol::Tcp));
        assert_eq!(Protocol::parse("tcp"), None);
        assert_eq!(Protocol::parse_loose("sctp"), Some(Protocol::Sctp));
    }
}

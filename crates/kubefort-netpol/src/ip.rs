//! IP address sets for `ipBlock` peers: CIDRs with `except`, IPv4 and IPv6,
//! and the disjoint address ranges the connectivity report is written in.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// The last address of the family, as a number.
    pub fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    fn bits(self) -> u32 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    pub fn format(self, addr: u128) -> String {
        match self {
            Family::V4 => Ipv4Addr::from(addr as u32).to_string(),
            Family::V6 => Ipv6Addr::from(addr).to_string(),
        }
    }
}

/// Sorted, disjoint, non-adjacent inclusive ranges of addresses of one family.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ranges(Vec<(u128, u128)>);

impl Ranges {
    pub fn ranges(&self) -> &[(u128, u128)] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn from_unsorted(mut v: Vec<(u128, u128)>) -> Ranges {
        v.sort_unstable();
        let mut out: Vec<(u128, u128)> = Vec::with_capacity(v.len());
        for (a, b) in v {
            match out.last_mut() {
                Some(last) if last.1 == u128::MAX || a <= last.1 + 1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        Ranges(out)
    }

    pub fn union(&self, other: &Ranges) -> Ranges {
        Ranges::from_unsorted(self.0.iter().chain(&other.0).copied().collect())
    }

    pub fn subtract(&self, other: &Ranges) -> Ranges {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            let mut start = Some(a);
            for &(c, d) in &other.0 {
                let Some(s) = start else { break };
                if d < s || c > b {
                    continue;
                }
                if c > s {
                    out.push((s, c - 1));
                }
                start = d.checked_add(1).filter(|n| *n <= b);
            }
            if let Some(s) = start {
                if s <= b {
                    out.push((s, b));
                }
            }
        }
        Ranges(out)
    }

    pub fn contains(&self, addr: u128) -> bool {
        self.0.iter().any(|&(a, b)| a <= addr && addr <= b)
    }

    /// Whether every address of `start..=end` is in the set.
    pub fn contains_range(&self, start: u128, end: u128) -> bool {
        self.0.iter().any(|&(a, b)| a <= start && end <= b)
    }

    pub fn overlaps(&self, start: u128, end: u128) -> bool {
        self.0.iter().any(|&(a, b)| a <= end && start <= b)
    }
}

/// A set of IPv4 and IPv6 addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct IpSet {
    pub v4: Ranges,
    pub v6: Ranges,
}

impl IpSet {
    /// Every address of both families.
    pub fn everything() -> IpSet {
        IpSet {
            v4: Ranges(vec![(0, Family::V4.max())]),
            v6: Ranges(vec![(0, Family::V6.max())]),
        }
    }

    pub fn family(&self, f: Family) -> &Ranges {
        match f {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    pub fn union(&self, other: &IpSet) -> IpSet {
        IpSet {
            v4: self.v4.union(&other.v4),
            v6: self.v6.union(&other.v6),
        }
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let (f, n) = addr_number(addr);
        self.family(f).contains(n)
    }

    /// Whether the whole range is in the set.
    pub fn contains_range(&self, r: &AddrRange) -> bool {
        self.family(r.family).contains_range(r.start, r.end)
    }
}

/// A CIDR: network address and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub family: Family,
    /// The network address (host bits cleared).
    pub network: u128,
    pub prefix: u32,
}

impl Cidr {
    /// Parse `a.b.c.d/n` or `x:y::/n` as the API server does
    /// (`ParseCIDRSloppy`: IPv4 octets may have leading zeros, read as
    /// decimal; host bits are allowed and cleared).
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let bad = || format!("{s:?} is not a valid CIDR (address/prefix-length)");
        let (addr, len) = s.split_once('/').ok_or_else(bad)?;
        if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let prefix: u32 = len.parse().map_err(|_| bad())?;
        let (family, n) = parse_addr(addr).ok_or_else(bad)?;
        if prefix > family.bits() {
            return Err(bad());
        }
        let host_bits = family.bits() - prefix;
        let mask = if host_bits == 128 {
            0
        } else {
            !((1u128 << host_bits) - 1) & family.max()
        };
        Ok(Cidr {
            family,
            network: n & mask,
            prefix,
        })
    }

    pub fn last(&self) -> u128 {
        let host_bits = self.family.bits() - self.prefix;
        if host_bits == 128 {
            u128::MAX
        } else {
            self.network | ((1u128 << host_bits) - 1)
        }
    }

    pub fn contains(&self, family: Family, addr: u128) -> bool {
        family == self.family && self.network <= addr && addr <= self.last()
    }
}

/// Parse an address as Go's `ParseIP` does (IPv4 octets may carry leading
/// zeros, read as decimal).
pub fn parse_addr(s: &str) -> Option<(Family, u128)> {
    if s.contains(':') {
        let a: Ipv6Addr = s.parse().ok()?;
        return Some((Family::V6, u128::from(a)));
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut n: u128 = 0;
    for p in parts {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u16 = p.parse().ok()?;
        if v > 255 {
            return None;
        }
        n = (n << 8) | u128::from(v);
    }
    Some((Family::V4, n))
}

/// Parse an address given on the command line.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    let (f, n) = parse_addr(s)?;
    Some(match f {
        Family::V4 => IpAddr::V4(Ipv4Addr::from(n as u32)),
        Family::V6 => IpAddr::V6(Ipv6Addr::from(n)),
    })
}

pub fn addr_number(a: IpAddr) -> (Family, u128) {
    match a {
        IpAddr::V4(v) => (Family::V4, u128::from(u32::from(v))),
        IpAddr::V6(v) => (Family::V6, u128::from(v)),
    }
}

/// The addresses of an `ipBlock`: `cidr` minus every `except`.
pub fn ip_block_set(cidr: &Cidr, except: &[Cidr]) -> IpSet {
    let whole = Ranges(vec![(cidr.network, cidr.last())]);
    let holes = Ranges::from_unsorted(
        except
            .iter()
            .filter(|e| e.family == cidr.family)
            .map(|e| (e.network, e.last()))
            .collect(),
    );
    let r = whole.subtract(&holes);
    match cidr.family {
        Family::V4 => IpSet {
            v4: r,
            v6: Ranges::default(),
        },
        Family::V6 => IpSet {
            v4: Ranges::default(),
            v6: r,
        },
    }
}

/// One contiguous range of addresses of one family: an external peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddrRange {
    pub family: Family,
    pub start: u128,
    pub end: u128,
}

impl AddrRange {
    pub fn single(addr: IpAddr) -> AddrRange {
        let (family, n) = addr_number(addr);
        AddrRange {
            family,
            start: n,
            end: n,
        }
    }
}

impl fmt::Display for AddrRange {
    /// `first-last`, as netpol-analyzer writes IP ranges, also for a
    /// single address (`10.0.0.1-10.0.0.1`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.family.format(self.start),
            self.family.format(self.end)
        )
    }
}

/// Split the address space into the ranges that no `ipBlock` boundary
/// crosses, as netpol-analyzer does: every `ipBlock` (its CIDR minus its
/// exceptions, split into contiguous ranges) and the whole IPv4 space are
/// cut into disjoint pieces, and every piece is one contiguous range.
/// Each returned range is therefore either inside or outside every given
/// block. IPv6 is split only when some block holds IPv6 addresses, with
/// `::/0` as its whole space (netpol-analyzer itself reads only IPv4).
pub fn disjoint_ranges<'a>(blocks: impl IntoIterator<Item = &'a IpSet>) -> Vec<AddrRange> {
    let mut cuts4: Vec<u128> = vec![0];
    let mut cuts6: Vec<u128> = vec![0];
    let mut any6 = false;
    for b in blocks {
        for &(s, e) in b.v4.ranges() {
            cuts4.push(s);
            if e < Family::V4.max() {
                cuts4.push(e + 1);
            }
        }
        for &(s, e) in b.v6.ranges() {
            any6 = true;
            cuts6.push(s);
            if e < Family::V6.max() {
                cuts6.push(e + 1);
            }
        }
    }
    let mut out = Vec::new();
    for (family, mut cuts, include) in [(Family::V4, cuts4, true), (Family::V6, cuts6, any6)] {
        if !include {
            continue;
        }
        cuts.sort_unstable();
        cuts.dedup();
        for (i, &start) in cuts.iter().enumerate() {
            let end = match cuts.get(i + 1) {
                Some(next) => next - 1,
                None => family.max(),
            };
            out.push(AddrRange { family, start, end });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    fn names(r: &[AddrRange]) -> Vec<String> {
        r.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn parses_cidrs_sloppily_like_the_api_server() {
        let c = cidr("10.1.2.3/8");
        assert_eq!(Family::V4.format(c.network), "10.0.0.0");
        assert_eq!(Family::V4.format(c.last()), "10.255.255.255");
        assert_eq!(cidr("010.0.0.0/8"), cidr("10.0.0.0/8"));
        let all = cidr("0.0.0.0/0");
        assert_eq!((all.network, all.last()), (0, u128::from(u32::MAX)));
        let v6 = cidr("2001:db8::/32");
        assert_eq!(
            Family::V6.format(v6.last()),
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        assert_eq!(cidr("::/0").last(), u128::MAX);
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/8",
            "::/129",
            "x/8",
            "10.0.0.0/",
            "1.2.3.256/32",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn except_removes_addresses_in_both_families() {
        let s = ip_block_set(
            &cidr("10.0.0.0/8"),
            &[cidr("10.1.0.0/16"), cidr("10.3.0.0/16")],
        );
        assert!(s.contains("10.0.0.1".parse().unwrap()));
        assert!(!s.contains("10.1.2.3".parse().unwrap()));
        assert!(s.contains("10.2.0.0".parse().unwrap()));
        assert!(!s.contains("10.3.255.255".parse().unwrap()));
        assert!(!s.contains("11.0.0.0".parse().unwrap()));
        assert!(!s.contains("::1".parse().unwrap()));
        let s6 = ip_block_set(&cidr("::/0"), &[cidr("fd00::/8")]);
        assert!(s6.contains("2001:db8::1".parse().unwrap()));
        assert!(!s6.contains("fd00:ec2::254".parse().unwrap()));
        assert!(!s6.contains("10.0.0.1".parse().unwrap()));
        let edge = ip_block_set(
            &cidr("0.0.0.0/0"),
            &[cidr("255.255.255.255/32"), cidr("0.0.0.0/32")],
        );
        assert_eq!(edge.v4.ranges(), &[(1, u128::from(u32::MAX) - 1)]);
    }

    #[test]
    fn disjoint_ranges_cut_at_every_block_boundary() {
        assert_eq!(names(&disjoint_ranges([])), ["0.0.0.0-255.255.255.255"]);
        let a = ip_block_set(&cidr("0.0.0.0/0"), &[cidr("10.0.0.0/8")]);
        let b = ip_block_set(&cidr("172.21.0.0/16"), &[]);
        assert_eq!(
            names(&disjoint_ranges([&a, &b])),
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.255.255.255",
                "11.0.0.0-172.20.255.255",
                "172.21.0.0-172.21.255.255",
                "172.22.0.0-255.255.255.255"
            ]
        );
        let single = ip_block_set(&cidr("169.254.169.254/32"), &[]);
        assert_eq!(
            names(&disjoint_ranges([&single])),
            [
                "0.0.0.0-169.254.169.253",
                "169.254.169.254-169.254.169.254",
                "169.254.169.255-255.255.255.255"
            ]
        );
        let v6 = ip_block_set(&cidr("2001:db8::/32"), &[]);
        assert_eq!(
            names(&disjoint_ranges([&v6])),
            [
                "0.0.0.0-255.255.255.255",
                "::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
                "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                "2001:db9::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
            ]
        );
    }
}

//! The all-pairs connectivity list must say exactly what the pair-by-pair
//! evaluation says, on many generated clusters mixing every kind of peer,
//! port and policy type.

use kubefort_netpol::{cluster_from_str, connectivity, Cluster, Endpoint};

struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.next(xs.len())]
    }
}

const APPS: [&str; 4] = ["web", "api", "db", "job"];
const NAMESPACES: [&str; 3] = ["red", "blue", "green"];

fn selector(rng: &mut Rng) -> String {
    match rng.next(6) {
        0 => "{}".into(),
        1 => format!("{{matchLabels: {{app: {}}}}}", rng.pick(&APPS)),
        2 => format!(
            "{{matchExpressions: [{{key: app, operator: In, values: [{}, {}]}}]}}",
            rng.pick(&APPS),
            rng.pick(&APPS)
        ),
        3 => format!(
            "{{matchExpressions: [{{key: tier, operator: NotIn, values: [{}]}}]}}",
            rng.pick(&["front", "back"])
        ),
        4 => "{matchExpressions: [{key: tier, operator: Exists}]}".into(),
        _ => "{matchExpressions: [{key: tier, operator: DoesNotExist}]}".into(),
    }
}

fn ns_selector(rng: &mut Rng) -> String {
    match rng.next(4) {
        0 => "{}".into(),
        1 => format!("{{matchLabels: {{team: {}}}}}", rng.pick(&["a", "b"])),
        2 => format!(
            "{{matchLabels: {{kubernetes.io/metadata.name: {}}}}}",
            rng.pick(&NAMESPACES)
        ),
        _ => "{matchExpressions: [{key: team, operator: DoesNotExist}]}".into(),
    }
}

fn peer(rng: &mut Rng) -> String {
    match rng.next(5) {
        0 => format!("{{podSelector: {}}}", selector(rng)),
        1 => format!("{{namespaceSelector: {}}}", ns_selector(rng)),
        2 => format!(
            "{{namespaceSelector: {}, podSelector: {}}}",
            ns_selector(rng),
            selector(rng)
        ),
        3 => rng
            .pick(&[
                "{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.3.0.0/16]}}",
                "{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}",
                "{ipBlock: {cidr: 192.168.1.0/24}}",
                "{ipBlock: {cidr: 10.2.0.0/15}}",
            ])
            .into(),
        _ => rng
            .pick(&[
                "{ipBlock: {cidr: '2001:db8::/32', except: ['2001:db8:1::/48']}}",
                "{ipBlock: {cidr: '::/0'}}",
            ])
            .into(),
    }
}

fn port(rng: &mut Rng) -> String {
    match rng.next(7) {
        0 => "{port: 80}".into(),
        1 => "{port: 8000, endPort: 8100}".into(),
        2 => "{protocol: UDP, port: 53}".into(),
        3 => "{protocol: SCTP}".into(),
        4 => "{port: http}".into(),
        5 => "{protocol: UDP, port: dns}".into(),
        _ => "{port: metrics, protocol: UDP}".into(),
    }
}

fn rule(rng: &mut Rng, peers_field: &str) -> String {
    let mut r = String::from("  - {");
    let mut parts = Vec::new();
    if rng.next(4) > 0 {
        let n = 1 + rng.next(2);
        let ps: Vec<String> = (0..n).map(|_| peer(rng)).collect();
        parts.push(format!("{peers_field}: [{}]", ps.join(", ")));
    }
    if rng.next(3) > 0 {
        let n = 1 + rng.next(3);
        let ps: Vec<String> = (0..n).map(|_| port(rng)).collect();
        parts.push(format!("ports: [{}]", ps.join(", ")));
    }
    r.push_str(&parts.join(", "));
    r.push_str("}\n");
    r
}

fn generate(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut y = String::new();
    for (i, ns) in NAMESPACES.iter().enumerate() {
        if i < 2 {
            y += &format!(
                "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: {{team: {}}}}}\n",
                ["a", "b"][i]
            );
        }
    }
    for w in 0..(3 + rng.next(5)) {
        let ns = rng.pick(&NAMESPACES);
        let app = rng.pick(&APPS);
        let tier = match rng.next(3) {
            0 => String::new(),
            1 => ", tier: front".into(),
            _ => ", tier: back".into(),
        };
        let ports = rng.pick(&[
            "[]",
            "[{name: http, containerPort: 8080}]",
            "[{name: http, containerPort: 8081}, {name: dns, containerPort: 53, protocol: UDP}]",
            "[{name: metrics, containerPort: 9090}]",
        ]);
        y += &format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{w}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {{app: {app}{tier}}}}}\n    spec: {{containers: [{{name: c, image: i, ports: {ports}}}]}}\n"
        );
    }
    for p in 0..rng.next(5) {
        let ns = rng.pick(&NAMESPACES);
        y += &format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p{p}, namespace: {ns}}}\nspec:\n  podSelector: {}\n",
            selector(&mut rng)
        );
        match rng.next(4) {
            0 => y += "  policyTypes: [Ingress]\n",
            1 => y += "  policyTypes: [Egress]\n",
            2 => y += "  policyTypes: [Ingress, Egress]\n",
            _ => {}
        }
        for (field, peers) in [("ingress", "from"), ("egress", "to")] {
            match rng.next(3) {
                0 => {}
                1 => y += &format!("  {field}: []\n"),
                _ => {
                    y += &format!("  {field}:\n");
                    for _ in 0..(1 + rng.next(3)) {
                        y += &rule(&mut rng, peers);
                    }
                }
            }
        }
    }
    y
}

/// Check one cluster; returns how many listed connections are neither
/// everything nor nothing, and how many involve an external range.
fn check(c: &Cluster, yaml: &str) -> (usize, usize) {
    let list = connectivity(c);
    let partial = list
        .connections
        .iter()
        .filter(|x| !list.set(x.conn).is_all())
        .count();
    let external = list
        .connections
        .iter()
        .filter(|x| {
            matches!(list.peer(x.src).endpoint, Endpoint::External(_))
                || matches!(list.peer(x.dst).endpoint, Endpoint::External(_))
        })
        .count();
    let mut listed = std::collections::HashMap::new();
    for conn in &list.connections {
        listed.insert((conn.src, conn.dst), list.set(conn.conn).clone());
    }
    for (s, sp) in list.peers.iter().enumerate() {
        for (d, dp) in list.peers.iter().enumerate() {
            let (src, dst) = (sp.endpoint, dp.endpoint);
            let skip = s == d
                || matches!((src, dst), (Endpoint::External(_), Endpoint::External(_)))
                || matches!(src, Endpoint::External(r) if !list.external_sources.contains(&r))
                || matches!(dst, Endpoint::External(r) if !list.external_destinations.contains(&r));
            if skip {
                continue;
            }
            let want = c.allowed(src, dst);
            let got = listed
                .get(&(s as u32, d as u32))
                .cloned()
                .unwrap_or_default();
            assert_eq!(got, want, "{} => {}\n{yaml}", sp.name, dp.name);
        }
    }
    (partial, external)
}

#[test]
fn connectivity_list_agrees_with_pairwise_evaluation() {
    let (mut partial, mut external, mut named) = (0, 0, 0);
    for seed in 1..=400u64 {
        let yaml = generate(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let (c, invalid) = cluster_from_str("gen.yaml", &yaml);
        assert!(invalid.is_empty(), "{invalid:?}\n{yaml}");
        let (p, e) = check(&c, &yaml);
        partial += p;
        external += e;
        let list = connectivity(&c);
        named += list
            .connections
            .iter()
            .filter(|x| {
                let s = list.set(x.conn).to_string();
                s.contains("8080") || s.contains("8081") || s.contains("9090")
            })
            .count();
    }
    // The generated clusters exercise partial sets, addresses and named ports.
    assert!(
        partial > 500 && external > 500 && named > 50,
        "{partial} {external} {named}"
    );
}

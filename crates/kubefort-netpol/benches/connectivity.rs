//! Connectivity for every pair of a generated cluster: 2,000 workloads in
//! 20 namespaces, 500 NetworkPolicies (a default deny and a DNS allowance
//! per namespace, and per-application policies with pod, namespace and
//! ipBlock peers, named ports and port ranges).
//!
//! cargo bench -p kubefort-netpol --bench connectivity

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use kubefort_core::namespaces::NamespaceInfo;
use kubefort_core::Pos;
use kubefort_netpol::ip::{ip_block_set, Cidr};
use kubefort_netpol::policy::Source;
use kubefort_netpol::selector::{Op, Requirement};
use kubefort_netpol::workload::ContainerPort;
use kubefort_netpol::{
    connectivity, Cluster, Peer, Policy, PortSpec, PortValue, Protocol, Rule, Selector, Workload,
};

const NAMESPACES: usize = 20;
const WORKLOADS: usize = 2000;
const POLICIES: usize = 500;
const TIERS: [&str; 4] = ["web", "api", "db", "cache"];

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn source() -> Source {
    Source {
        file: Arc::from("generated.yaml"),
        pos: Pos::new(1, 1),
    }
}

fn ipblock(cidr: &str, except: &[&str]) -> Peer {
    let c = Cidr::parse(cidr).unwrap();
    let holes: Vec<Cidr> = except.iter().map(|e| Cidr::parse(e).unwrap()).collect();
    Peer::IpBlock {
        cidr: cidr.into(),
        except: except.iter().map(|s| s.to_string()).collect(),
        set: ip_block_set(&c, &holes),
    }
}

fn port(protocol: Protocol, port: PortValue) -> PortSpec {
    PortSpec { protocol, port }
}

fn pods(pairs: &[(&str, &str)]) -> Option<Selector> {
    Some(Selector::labels(pairs.iter().copied()))
}

fn policy(
    ns: &str,
    name: String,
    sel: Selector,
    ingress: Option<Vec<Rule>>,
    egress: Option<Vec<Rule>>,
) -> Policy {
    let mut blocks: [Vec<_>; 2] = [Vec::new(), Vec::new()];
    for (i, rules) in [&ingress, &egress].into_iter().enumerate() {
        for r in rules.iter().flatten() {
            for p in r.peers.iter().flatten() {
                if let Peer::IpBlock { set, .. } = p {
                    blocks[i].push(set.clone());
                }
            }
        }
    }
    Policy {
        namespace: ns.into(),
        name,
        pod_selector: sel,
        ingress,
        egress,
        referenced_blocks: blocks,
        source: source(),
    }
}

/// With `default_deny`, every namespace starts with a default deny and a
/// DNS allowance; without, most pods are open and nearly every pair is
/// connected (about four million connections).
fn generate(default_deny: bool) -> (Vec<Workload>, Vec<Policy>, Vec<NamespaceInfo>) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let namespaces: Vec<NamespaceInfo> = (0..NAMESPACES)
        .map(|i| NamespaceInfo {
            name: format!("ns-{i:02}"),
            labels: BTreeMap::from([
                ("team".to_string(), format!("t{}", i % 5)),
                (
                    "env".to_string(),
                    if i % 2 == 0 { "prod" } else { "staging" }.to_string(),
                ),
            ]),
            file: Arc::from("generated.yaml"),
            pos: Pos::new(1, 1),
        })
        .collect();
    let per_ns = WORKLOADS / NAMESPACES;
    let mut workloads = Vec::with_capacity(WORKLOADS);
    for i in 0..WORKLOADS {
        let ns = i / per_ns;
        let app = i % per_ns;
        let tier = TIERS[app % TIERS.len()];
        let mut ports = vec![
            ContainerPort {
                name: Some("http".into()),
                port: 8080 + (app % 3) as u16,
                protocol: Protocol::Tcp,
                container: "main".into(),
            },
            ContainerPort {
                name: Some("metrics".into()),
                port: 9090,
                protocol: Protocol::Tcp,
                container: "main".into(),
            },
        ];
        if tier == "db" {
            ports.push(ContainerPort {
                name: Some("sql".into()),
                port: 5432,
                protocol: Protocol::Tcp,
                container: "main".into(),
            });
        }
        workloads.push(Workload {
            namespace: format!("ns-{ns:02}"),
            name: format!("app-{app:03}"),
            kind: "Deployment".into(),
            labels: BTreeMap::from([
                ("app".to_string(), format!("app-{app:03}")),
                ("tier".to_string(), tier.to_string()),
                ("version".to_string(), format!("v{}", app % 3)),
            ]),
            ports,
            source: source(),
        });
    }
    let mut policies = Vec::with_capacity(POLICIES);
    for ns in namespaces.iter().filter(|_| default_deny) {
        policies.push(policy(
            &ns.name,
            "default-deny".into(),
            Selector::everything(),
            Some(vec![]),
            Some(vec![]),
        ));
        policies.push(policy(
            &ns.name,
            "dns".into(),
            Selector::everything(),
            None,
            Some(vec![Rule {
                index: 0,
                pos: Pos::new(1, 1),
                peers: Some(vec![Peer::Pods {
                    namespaces: Some(Selector::labels([("kubernetes.io/metadata.name", "ns-00")])),
                    pods: pods(&[("app", "app-000")]),
                }]),
                ports: Some(vec![
                    port(Protocol::Udp, PortValue::Range(53, 53)),
                    port(Protocol::Tcp, PortValue::Range(53, 53)),
                ]),
            }]),
        ));
    }
    let mut k = 0;
    while policies.len() < POLICIES {
        let ns = &namespaces[rng.next(NAMESPACES)].name;
        let app = format!("app-{:03}", rng.next(per_ns));
        let from_tier = TIERS[rng.next(TIERS.len())];
        let to_tier = TIERS[rng.next(TIERS.len())];
        let team = format!("t{}", rng.next(5));
        let ingress = vec![
            Rule {
                index: 0,
                pos: Pos::new(1, 1),
                peers: Some(vec![Peer::Pods {
                    pods: pods(&[("tier", from_tier)]),
                    namespaces: None,
                }]),
                ports: Some(vec![port(Protocol::Tcp, PortValue::Named("http".into()))]),
            },
            Rule {
                index: 1,
                pos: Pos::new(1, 1),
                peers: Some(vec![Peer::Pods {
                    namespaces: Some(Selector {
                        match_labels: vec![("team".into(), team)],
                        match_expressions: vec![Requirement {
                            key: "env".into(),
                            op: Op::NotIn,
                            values: vec!["dev".into()],
                        }],
                    }),
                    pods: pods(&[("tier", "api")]),
                }]),
                ports: Some(vec![port(Protocol::Tcp, PortValue::Range(9090, 9090))]),
            },
            Rule {
                index: 2,
                pos: Pos::new(1, 1),
                peers: Some(vec![ipblock(
                    "10.0.0.0/8",
                    &[&format!("10.{}.0.0/16", k % 250)],
                )]),
                ports: Some(vec![port(Protocol::Tcp, PortValue::Range(443, 443))]),
            },
        ];
        let egress = vec![
            Rule {
                index: 0,
                pos: Pos::new(1, 1),
                peers: Some(vec![Peer::Pods {
                    pods: pods(&[("tier", to_tier)]),
                    namespaces: Some(Selector::everything()),
                }]),
                ports: Some(vec![
                    port(Protocol::Tcp, PortValue::Named("sql".into())),
                    port(Protocol::Tcp, PortValue::Range(8080, 8082)),
                ]),
            },
            Rule {
                index: 1,
                pos: Pos::new(1, 1),
                peers: Some(vec![ipblock(
                    "0.0.0.0/0",
                    &["169.254.169.254/32", "10.0.0.0/8"],
                )]),
                ports: Some(vec![port(Protocol::Tcp, PortValue::Range(443, 443))]),
            },
        ];
        policies.push(policy(
            ns,
            format!("p-{k}"),
            Selector::labels([("app", app.as_str())]),
            Some(ingress),
            Some(egress),
        ));
        k += 1;
    }
    (workloads, policies, namespaces)
}

fn bench(c: &mut Criterion) {
    let (workloads, policies, namespaces) = generate(true);
    let cluster = Cluster::new(workloads.clone(), policies.clone(), namespaces.clone());
    let list = connectivity(&cluster);
    eprintln!(
        "generated: {} workloads, {} policies, {} namespaces; {} allowed connections, {} external source and {} destination ranges",
        cluster.workloads.len(),
        cluster.policies.len(),
        cluster.namespaces.len(),
        list.connections.len(),
        list.external_sources.len(),
        list.external_destinations.len()
    );
    let mut g = c.benchmark_group("netpol");
    g.sample_size(10);
    g.bench_function("model (2000 workloads x 500 policies)", |b| {
        b.iter(|| {
            black_box(Cluster::new(
                workloads.clone(),
                policies.clone(),
                namespaces.clone(),
            ))
        })
    });
    g.bench_function(
        "all-pairs connectivity (2000 workloads x 500 policies)",
        |b| b.iter(|| black_box(connectivity(&cluster))),
    );
    g.bench_function("model + connectivity + text", |b| {
        b.iter(|| {
            let cl = Cluster::new(workloads.clone(), policies.clone(), namespaces.clone());
            let list = connectivity(&cl);
            black_box(kubefort_netpol::format::text(
                &kubefort_netpol::format::View {
                    cluster: &cl,
                    connectivity: &list,
                    focus: None,
                },
            ))
        })
    });
    let (workloads, policies, namespaces) = generate(false);
    let open = Cluster::new(workloads, policies, namespaces);
    eprintln!(
        "without default deny: {} allowed connections",
        connectivity(&open).connections.len()
    );
    g.bench_function(
        "all-pairs connectivity, mostly open (2000 workloads x 500 policies)",
        |b| b.iter(|| black_box(connectivity(&open))),
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

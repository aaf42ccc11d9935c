//! A cluster-sized inventory (5,000 roles, 20,000 bindings, 10,000 service
//! accounts in 500 namespaces): building the model and the escalation graph,
//! and answering who-can, can and paths.
//!
//! `cargo bench -p kubefort-rbac --bench rbac`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use kubefort_rbac::graph::{EscalationGraph, Node};
use kubefort_rbac::input::{RoleRef, ServiceAccount, TokenSecret};
use kubefort_rbac::{
    Binding, BindingKind, Model, Options, PolicyRule, RbacInventory, Request, Role, RoleKind,
    Subject, UserInfo,
};

const NAMESPACES: usize = 500;
const SAS_PER_NS: usize = 20; // 10,000
const ROLES_PER_NS: usize = 8; // 4,000 Roles
const CLUSTER_ROLES: usize = 1_000; // 5,000 roles in all
const ROLEBINDINGS_PER_NS: usize = 36; // 18,000
const CLUSTER_ROLE_BINDINGS: usize = 2_000; // 20,000 bindings in all

struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn rule(rng: &mut Rng) -> PolicyRule {
    const SHAPES: &[(&[&str], &[&str], &[&str])] = &[
        (
            &["get", "list", "watch"],
            &[""],
            &["pods", "services", "configmaps"],
        ),
        (&["get", "list"], &["apps"], &["deployments", "replicasets"]),
        (&["create", "update", "patch"], &["apps"], &["deployments"]),
        (&["get"], &[""], &["secrets"]),
        (&["get", "list"], &["batch"], &["jobs", "cronjobs"]),
        (&["create"], &[""], &["pods/exec"]),
        (&["get", "list", "watch"], &["example.com"], &["widgets"]),
        (&["update"], &[""], &["configmaps"]),
    ];
    let (verbs, groups, resources) = SHAPES[rng.next(SHAPES.len())];
    PolicyRule {
        verbs: s(verbs),
        api_groups: s(groups),
        resources: s(resources),
        ..Default::default()
    }
}

fn inventory() -> RbacInventory {
    let mut rng = Rng(42);
    let mut inv = RbacInventory::default();
    let ns = |i: usize| format!("ns-{i}");
    for n in 0..NAMESPACES {
        inv.namespaces.push(ns(n));
        for a in 0..SAS_PER_NS {
            inv.service_accounts.push(ServiceAccount {
                namespace: ns(n),
                name: format!("sa-{a}"),
                origin: None,
                source: None,
            });
        }
        if n % 5 == 0 {
            inv.token_secrets.push(TokenSecret {
                namespace: ns(n),
                name: "sa-0-token".into(),
                service_account: "sa-0".into(),
                origin: None,
                source: None,
            });
        }
        for r in 0..ROLES_PER_NS {
            let k = 1 + rng.next(4);
            inv.roles.push(Role {
                kind: RoleKind::Role,
                namespace: Some(ns(n)),
                name: format!("role-{r}"),
                labels: BTreeMap::new(),
                aggregation: None,
                rules: (0..k).map(|_| rule(&mut rng)).collect(),
                rule_origins: Vec::new(),
                origin: None,
                builtin: false,
                source: None,
            });
        }
    }
    for c in 0..CLUSTER_ROLES {
        let mut labels = BTreeMap::new();
        if c % 50 == 0 {
            labels.insert(
                "rbac.authorization.k8s.io/aggregate-to-view".into(),
                "true".into(),
            );
        }
        if c % 100 == 1 {
            labels.insert("team".into(), format!("t{}", c % 7));
        }
        let aggregation = (c % 200 == 2).then(|| {
            vec![kubefort_rbac::input::LabelSelector {
                match_labels: vec![("team".into(), format!("t{}", c % 7))],
                match_expressions: Vec::new(),
            }]
        });
        let k = 1 + rng.next(5);
        inv.roles.push(Role {
            kind: RoleKind::ClusterRole,
            namespace: None,
            name: format!("cluster-role-{c}"),
            labels,
            aggregation,
            rules: (0..k).map(|_| rule(&mut rng)).collect(),
            rule_origins: Vec::new(),
            origin: None,
            builtin: false,
            source: None,
        });
    }
    let subject = |rng: &mut Rng, n: usize| -> Subject {
        match rng.next(10) {
            0..=6 => Subject {
                kind: "ServiceAccount".into(),
                name: format!("sa-{}", rng.next(SAS_PER_NS)),
                namespace: Some(ns(n)),
                api_group: None,
                origin: None,
            },
            7 | 8 => Subject {
                kind: "User".into(),
                name: format!("user-{}", rng.next(2_000)),
                namespace: None,
                api_group: None,
                origin: None,
            },
            _ => Subject {
                kind: "Group".into(),
                name: format!("group-{}", rng.next(200)),
                namespace: None,
                api_group: None,
                origin: None,
            },
        }
    };
    for n in 0..NAMESPACES {
        for b in 0..ROLEBINDINGS_PER_NS {
            let role_ref = match rng.next(10) {
                0..=6 => RoleRef {
                    kind: "Role".into(),
                    name: format!("role-{}", rng.next(ROLES_PER_NS)),
                    api_group: "rbac.authorization.k8s.io".into(),
                },
                7 => RoleRef {
                    kind: "ClusterRole".into(),
                    name: ["view", "edit", "admin"][rng.next(3)].into(),
                    api_group: "rbac.authorization.k8s.io".into(),
                },
                _ => RoleRef {
                    kind: "ClusterRole".into(),
                    name: format!("cluster-role-{}", rng.next(CLUSTER_ROLES)),
                    api_group: "rbac.authorization.k8s.io".into(),
                },
            };
            let k = 1 + rng.next(3);
            inv.bindings.push(Binding {
                kind: BindingKind::RoleBinding,
                namespace: Some(ns(n)),
                name: format!("rb-{b}"),
                role_ref,
                subjects: (0..k).map(|_| subject(&mut rng, n)).collect(),
                origin: None,
                source: None,
            });
        }
    }
    for b in 0..CLUSTER_ROLE_BINDINGS {
        let n = rng.next(NAMESPACES);
        let name = if b % 400 == 0 {
            "cluster-admin".to_string()
        } else {
            format!("cluster-role-{}", rng.next(CLUSTER_ROLES))
        };
        inv.bindings.push(Binding {
            kind: BindingKind::ClusterRoleBinding,
            namespace: None,
            name: format!("crb-{b}"),
            role_ref: RoleRef {
                kind: "ClusterRole".into(),
                name,
                api_group: "rbac.authorization.k8s.io".into(),
            },
            subjects: vec![subject(&mut rng, n)],
            origin: None,
            source: None,
        });
    }
    inv
}

fn bench(c: &mut Criterion) {
    let inv = inventory();
    assert_eq!(inv.roles.len(), 5_000);
    assert_eq!(inv.bindings.len(), 20_000);
    assert_eq!(inv.service_accounts.len(), 10_000);
    let opts = Options::default();
    let mut g = c.benchmark_group("rbac");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("build_model", |b| {
        b.iter(|| Model::build(black_box(inv.clone()), &opts))
    });
    let model = Model::build(inv.clone(), &opts);
    g.bench_function("build_graph", |b| {
        b.iter(|| EscalationGraph::build(black_box(&model)))
    });
    let who = Request::resource("create", "", "pods")
        .in_namespace("ns-42")
        .with_subresource("exec");
    g.bench_function("who_can", |b| b.iter(|| model.who_can(black_box(&who))));
    let user = UserInfo::service_account("ns-42", "sa-3");
    let req = Request::resource("get", "", "secrets")
        .in_namespace("ns-42")
        .named("x");
    g.bench_function("can", |b| {
        b.iter(|| model.authorize(black_box(&user), black_box(&req)))
    });
    let graph = EscalationGraph::build(&model);
    g.bench_function("paths_from", |b| {
        b.iter(|| graph.path_for_user(black_box(&user), &Node::ClusterAdmin))
    });
    g.bench_function("paths_all", |b| {
        b.iter(|| graph.all_paths(&Node::ClusterAdmin))
    });
    g.bench_function("total", |b| {
        b.iter(|| {
            let m = Model::build(inv.clone(), &opts);
            let gr = EscalationGraph::build(&m);
            black_box(m.who_can(&who));
            black_box(m.authorize(&user, &req));
            black_box(gr.path_for_user(&user, &Node::ClusterAdmin));
            black_box(gr.all_paths(&Node::ClusterAdmin).len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

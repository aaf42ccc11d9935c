//! One test per rule of the NetworkPolicy semantics, each on a small
//! manifest, checked through `Cluster::allowed` and through the all-pairs
//! connectivity list (which must agree with it).

use kubefort_netpol::ip::parse_ip;
use kubefort_netpol::{cluster_from_str, connectivity, AddrRange, Cluster, Endpoint};

fn cluster(yaml: &str) -> Cluster {
    let (c, invalid) = cluster_from_str("test.yaml", yaml);
    assert!(invalid.is_empty(), "{invalid:?}");
    c
}

fn endpoint(c: &Cluster, s: &str) -> Endpoint {
    if let Some(ip) = parse_ip(s) {
        return Endpoint::External(AddrRange::single(ip));
    }
    let found = c.find(s);
    assert_eq!(found.len(), 1, "{s}: {found:?}");
    Endpoint::Workload(found[0])
}

/// What `from` may open to `to`, printed as netpol-analyzer prints it.
fn allowed(c: &Cluster, from: &str, to: &str) -> String {
    c.allowed(endpoint(c, from), endpoint(c, to)).to_string()
}

/// The connectivity list must agree with the pair-by-pair evaluation.
fn check_list(c: &Cluster) {
    let list = connectivity(c);
    let mut listed = std::collections::BTreeMap::new();
    for conn in &list.connections {
        listed.insert(
            (conn.src as usize, conn.dst as usize),
            list.set(conn.conn).clone(),
        );
    }
    for (s, sp) in list.peers.iter().enumerate() {
        for (d, dp) in list.peers.iter().enumerate() {
            let external = |e: &Endpoint| matches!(e, Endpoint::External(_));
            if s == d || (external(&sp.endpoint) && external(&dp.endpoint)) {
                continue;
            }
            if let Endpoint::External(r) = sp.endpoint {
                if !list.external_sources.contains(&r) {
                    continue;
                }
            }
            if let Endpoint::External(r) = dp.endpoint {
                if !list.external_destinations.contains(&r) {
                    continue;
                }
            }
            let want = c.allowed(sp.endpoint, dp.endpoint);
            let got = listed.get(&(s, d)).cloned().unwrap_or_default();
            assert_eq!(got, want, "{} => {}", sp.name, dp.name);
        }
    }
}

fn deploy(ns: &str, name: &str, labels: &str, ports: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {labels}}}\n    spec:\n      containers:\n      - name: main\n        image: x\n        ports: {ports}\n"
    )
}

fn ns(name: &str, labels: &str) -> String {
    format!("---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {labels}}}\n")
}

fn policy(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}"
    )
}

/// Three workloads in two namespaces, no policies yet.
fn base() -> String {
    [
        ns("a", "{team: red}"),
        ns("b", "{team: blue}"),
        deploy(
            "a",
            "web",
            "{app: web}",
            "[{name: http, containerPort: 8080}]",
        ),
        deploy("a", "db", "{app: db}", "[{name: sql, containerPort: 5432}]"),
        deploy("b", "client", "{app: client}", "[]"),
    ]
    .concat()
}

#[test]
fn without_policies_everything_is_allowed() {
    let c = cluster(&base());
    assert_eq!(allowed(&c, "a/web", "a/db"), "All Connections");
    assert_eq!(allowed(&c, "b/client", "a/web"), "All Connections");
    assert_eq!(allowed(&c, "a/web", "8.8.8.8"), "All Connections");
    assert_eq!(allowed(&c, "8.8.8.8", "a/web"), "All Connections");
    assert_eq!(allowed(&c, "2001:db8::1", "a/web"), "All Connections");
    check_list(&c);
}

#[test]
fn empty_pod_selector_selects_every_pod_of_its_namespace_only() {
    let y = base() + &policy("a", "deny", "  podSelector: {}\n");
    let c = cluster(&y);
    assert_eq!(allowed(&c, "b/client", "a/web"), "No Connections");
    assert_eq!(allowed(&c, "b/client", "a/db"), "No Connections");
    assert_eq!(allowed(&c, "8.8.8.8", "a/web"), "No Connections");
    // The client's namespace has no policy: it still accepts everything.
    assert_eq!(allowed(&c, "a/web", "b/client"), "All Connections");
    // Ingress only: egress from the isolated pods is unaffected.
    assert_eq!(allowed(&c, "a/web", "8.8.8.8"), "All Connections");
    check_list(&c);
}

#[test]
fn ingress_empty_list_and_absent_rules_deny() {
    for spec in [
        "  podSelector: {}\n  ingress: []\n",
        "  podSelector: {}\n  policyTypes: [Ingress]\n",
        "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
    ] {
        let c = cluster(&(base() + &policy("a", "p", spec)));
        assert_eq!(allowed(&c, "a/db", "a/web"), "No Connections", "{spec}");
        check_list(&c);
    }
    let c = cluster(
        &(base()
            + &policy(
                "a",
                "p",
                "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
            )),
    );
    assert_eq!(allowed(&c, "a/web", "b/client"), "No Connections");
    assert_eq!(allowed(&c, "a/web", "1.1.1.1"), "No Connections");
}

#[test]
fn policy_types_default_to_ingress_plus_egress_when_there_are_egress_rules() {
    // Egress rules and no policyTypes: the policy affects ingress (denying
    // it, having no ingress rules) and egress.
    let spec = "  podSelector: {matchLabels: {app: web}}\n  egress:\n  - to: [{podSelector: {matchLabels: {app: db}}}]\n";
    let c = cluster(&(base() + &policy("a", "p", spec)));
    assert_eq!(allowed(&c, "a/web", "a/db"), "All Connections");
    assert_eq!(allowed(&c, "a/web", "b/client"), "No Connections");
    assert_eq!(
        allowed(&c, "a/db", "a/web"),
        "No Connections",
        "ingress is denied too"
    );
    check_list(&c);

    // `egress: []` is not "having egress rules": ingress only.
    let c = cluster(&(base() + &policy("a", "p", "  podSelector: {}\n  egress: []\n")));
    assert_eq!(allowed(&c, "a/web", "b/client"), "All Connections");
    assert_eq!(allowed(&c, "b/client", "a/web"), "No Connections");

    // Explicit policyTypes win: ingress rules of an Egress-only policy do nothing.
    let spec = "  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]\n  egress: []\n";
    let c = cluster(&(base() + &policy("a", "p", spec)));
    assert_eq!(allowed(&c, "b/client", "a/web"), "All Connections");
    assert_eq!(allowed(&c, "a/web", "b/client"), "No Connections");
    assert_eq!(allowed(&c, "a/web", "a/db"), "No Connections");
    check_list(&c);
}

#[test]
fn absent_or_empty_from_allows_every_source_including_external() {
    for rule in ["  - {}\n", "  - from: []\n", "  - ports: []\n"] {
        let spec = format!("  podSelector: {{}}\n  ingress:\n{rule}");
        let c = cluster(&(base() + &policy("a", "p", &spec)));
        assert_eq!(
            allowed(&c, "b/client", "a/web"),
            "All Connections",
            "{rule}"
        );
        assert_eq!(
            allowed(&c, "203.0.113.9", "a/web"),
            "All Connections",
            "{rule}"
        );
        assert_eq!(
            allowed(&c, "2001:db8::9", "a/web"),
            "All Connections",
            "{rule}"
        );
        check_list(&c);
    }
}

#[test]
fn namespace_selector_alone_selects_all_pods_of_matching_namespaces() {
    let spec = "  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {}}]\n";
    let c = cluster(&(base() + &policy("a", "p", spec)));
    assert_eq!(allowed(&c, "b/client", "a/web"), "All Connections");
    assert_eq!(allowed(&c, "a/db", "a/web"), "All Connections");
    assert_eq!(
        allowed(&c, "8.8.8.8", "a/web"),
        "No Connections",
        "not outside the cluster"
    );
    check_list(&c);

    let spec = "  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {team: blue}}}]\n";
    let c = cluster(&(base() + &policy("a", "p", spec)));
    assert_eq!(allowed(&c, "b/client", "a/web"), "All Connections");
    assert_eq!(allowed(&c, "a/db", "a/web"), "No Connections");
    check_list(&c);
}

#[test]
fn pod_selector_alone_selects_pods_of_the_policy_namespace() {
    let y = base() + &deploy("b", "web", "{app: web}", "[]");
    let spec = "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n";
    let c = cluster(&(y + &policy("a", "p", spec)));
    assert_eq!(allowed(&c, "a/web", "a/db"), "All Connections");
    assert_eq!(
        allowed(&c, "b/web", "a/db"),
        "No Connections",
        "same labels, other namespace"
    );
    check_list(&c);
}

#[test]
fn both_selectors_in_one_peer_intersect_and_separate_peers_unite() {
    let y = base()
        + &deploy("b", "web", "{app: web}", "[]")
        + &ns("c", "{team: blue}")
        + &deploy("c", "other", "{app: other}", "[]");
    // One peer: pods labelled app=web in namespaces labelled team=blue.
    let one = "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: blue}}\n      podSelector: {matchLabels: {app: web}}\n";
    let c = cluster(&(y.clone() + &policy("a", "p", one)));
    assert_eq!(allowed(&c, "b/web", "a/db"), "All Connections");
    assert_eq!(allowed(&c, "b/client", "a/db"), "No Connections");
    assert_eq!(allowed(&c, "c/other", "a/db"), "No Connections");
    assert_eq!(
        allowed(&c, "a/web", "a/db"),
        "No Connections",
        "namespace a is red"
    );
    check_list(&c);
    // Two peers: namespaces labelled team=blue, or pods labelled app=web in a.
    let two = "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: blue}}\n    - podSelector: {matchLabels: {app: web}}\n";
    let c = cluster(&(y + &policy("a", "p", two)));
    assert_eq!(allowed(&c, "b/web", "a/db"), "All Connections");
    assert_eq!(allowed(&c, "b/client", "a/db"), "All Connections");
    assert_eq!(allowed(&c, "c/other", "a/db"), "All Connections");
    assert_eq!(allowed(&c, "a/web", "a/db"), "All Connections");
    check_list(&c);
}

#[test]
fn match_expressions_in_notin_exists_doesnotexist() {
    let y = [
        ns("a", "{}"),
        deploy("a", "prod", "{app: x, env: prod}", "[]"),
        deploy("a", "dev", "{app: x, env: dev}", "[]"),
        deploy("a", "bare", "{app: x}", "[]"),
        deploy("a", "target", "{app: target}", "[]"),
    ]
    .concat();
    let with = |expr: &str| {
        let spec = format!(
            "  podSelector: {{matchLabels: {{app: target}}}}\n  ingress:\n  - from: [{{podSelector: {{matchExpressions: [{expr}]}}}}]\n"
        );
        let c = cluster(&(y.clone() + &policy("a", "p", &spec)));
        check_list(&c);
        ["a/prod", "a/dev", "a/bare"].map(|s| allowed(&c, s, "a/target") == "All Connections")
    };
    assert_eq!(
        with("{key: env, operator: In, values: [prod, staging]}"),
        [true, false, false]
    );
    assert_eq!(
        with("{key: env, operator: NotIn, values: [prod]}"),
        [false, true, true]
    );
    assert_eq!(with("{key: env, operator: Exists}"), [true, true, false]);
    assert_eq!(
        with("{key: env, operator: DoesNotExist}"),
        [false, false, true]
    );
}

#[test]
fn namespace_labels_include_the_automatic_name_label() {
    let spec = "  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}}]\n";
    let c = cluster(&(base() + &policy("a", "p", spec)));
    assert_eq!(allowed(&c, "b/client", "a/web"), "All Connections");
    assert_eq!(allowed(&c, "a/db", "a/web"), "No Connections");
    check_list(&c);
}

#[test]
fn inferred_namespaces_have_only_the_name_label() {
    let y = [
        deploy("front", "web", "{app: web}", "[]"),
        deploy("back", "api", "{app: api}", "[]"),
        policy(
            "back",
            "p",
            "  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [front]}]}}]\n  - from: [{namespaceSelector: {matchLabels: {team: red}}}]\n",
        ),
    ]
    .concat();
    let c = cluster(&y);
    assert_eq!(allowed(&c, "front/web", "back/api"), "All Connections");
    assert!(!c.namespaces["front"].declared);
    assert_eq!(c.namespaces["front"].labels.len(), 1);
    assert!(c
        .notes
        .iter()
        .any(|n| n.contains("\"front\" is not declared")));
    check_list(&c);
}

#[test]
fn ip_blocks_with_except_in_both_families() {
    let spec = "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n    - ipBlock: {cidr: '2001:db8::/32', except: ['2001:db8:1::/48']}\n  egress:\n  - to:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}\n";
    let c = cluster(&(base() + &policy("a", "p", spec)));
    assert_eq!(allowed(&c, "10.2.3.4", "a/web"), "All Connections");
    assert_eq!(allowed(&c, "10.1.3.4", "a/web"), "No Connections");
    assert_eq!(allowed(&c, "11.0.0.1", "a/web"), "No Connections");
    assert_eq!(allowed(&c, "2001:db8:2::1", "a/web"), "All Connections");
    assert_eq!(allowed(&c, "2001:db8:1::1", "a/web"), "No Connections");
    assert_eq!(allowed(&c, "a/web", "8.8.8.8"), "All Connections");
    assert_eq!(allowed(&c, "a/web", "169.254.169.254"), "No Connections");
    assert_eq!(
        allowed(&c, "a/web", "::1"),
        "No Connections",
        "the egress block is IPv4 only"
    );
    // Pods are never inside an ipBlock, even 0.0.0.0/0.
    assert_eq!(allowed(&c, "a/web", "b/client"), "No Connections");
    assert_eq!(allowed(&c, "b/client", "a/web"), "No Connections");
    check_list(&c);
}

#[test]
fn ports_by_number_range_protocol_and_without_port() {
    let spec = "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - ports:\n    - port: 5432\n    - {protocol: UDP, port: 53}\n    - {port: 8000, endPort: 8010}\n    - protocol: SCTP\n";
    let c = cluster(&(base() + &policy("a", "p", spec)));
    assert_eq!(
        allowed(&c, "a/web", "a/db"),
        "SCTP 1-65535,TCP 5432,8000-8010,UDP 53"
    );
    check_list(&c);
    // Numbers and ranges merge; a port entry without port is every port
    // of its protocol.
    let spec = "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - ports: [{port: 80}, {port: 81, endPort: 90}, {protocol: UDP}]\n  - ports: [{port: 85, endPort: 100}]\n";
    let c = cluster(&(base() + &policy("a", "p", spec)));
    assert_eq!(allowed(&c, "a/web", "a/db"), "TCP 80-100,UDP 1-65535");
    check_list(&c);
}

#[test]
fn named_ports_resolve_on_the_destination_pod() {
    // Ingress: "http" means 8080 on web, and nothing on db (which names 5432 "sql").
    let spec =
        "  podSelector: {}\n  ingress:\n  - ports: [{port: http}, {port: sql, protocol: UDP}]\n";
    let c = cluster(&(base() + &policy("a", "p", spec)));
    assert_eq!(allowed(&c, "b/client", "a/web"), "TCP 8080");
    assert_eq!(
        allowed(&c, "b/client", "a/db"),
        "No Connections",
        "sql is a TCP port: a UDP rule does not open it"
    );
    check_list(&c);
    // Egress: the name resolves on each destination; never on an address.
    let spec = "  podSelector: {matchLabels: {app: client}}\n  egress:\n  - ports: [{port: http}, {port: sql}]\n";
    let c = cluster(&(base() + &policy("b", "p", spec)));
    assert_eq!(allowed(&c, "b/client", "a/web"), "TCP 8080");
    assert_eq!(allowed(&c, "b/client", "a/db"), "TCP 5432");
    assert_eq!(allowed(&c, "b/client", "8.8.8.8"), "No Connections");
    check_list(&c);
}

#[test]
fn both_sides_must_allow() {
    let y = base()
        + &policy(
            "b",
            "egress",
            "  podSelector: {}\n  egress:\n  - ports: [{port: 8080}, {port: 9000}]\n",
        )
        + &policy(
            "a",
            "ingress",
            "  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - ports: [{port: 8080}, {port: 7000}]\n",
        );
    let c = cluster(&y);
    assert_eq!(allowed(&c, "b/client", "a/web"), "TCP 8080");
    check_list(&c);
}

#[test]
fn several_policies_unite() {
    let y = base()
        + &policy("a", "one", "  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - ports: [{port: 80}]\n")
        + &policy("a", "two", "  podSelector: {}\n  ingress:\n  - ports: [{port: 443}]\n    from: [{namespaceSelector: {}}]\n");
    let c = cluster(&y);
    assert_eq!(allowed(&c, "b/client", "a/web"), "TCP 80,443");
    assert_eq!(allowed(&c, "8.8.8.8", "a/web"), "TCP 80");
    assert_eq!(allowed(&c, "b/client", "a/db"), "TCP 443");
    check_list(&c);
}

#[test]
fn workloads_of_every_pod_template_kind() {
    let y = r#"
apiVersion: v1
kind: Pod
metadata: {name: p1, labels: {app: x}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: rs-abc12
  namespace: w
  labels: {app: y}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u, controller: true}]
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: rs-def34
  namespace: w
  labels: {app: y}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u, controller: true}]
spec: {containers: [{name: c, image: i}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj, namespace: w}
spec: {schedule: "* * * * *", jobTemplate: {spec: {template: {metadata: {labels: {app: cj}}, spec: {containers: [{name: c, image: i}]}}}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ss, namespace: w}
spec: {template: {metadata: {labels: {app: ss}}, spec: {containers: [{name: c, image: i}]}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds, namespace: w}
spec: {template: {spec: {containers: [{name: c, image: i}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: job, namespace: w}
spec: {template: {spec: {containers: [{name: c, image: i}]}}}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: w}
spec: {template: {spec: {containers: [{name: c, image: i}]}}}
---
apiVersion: v1
kind: PodTemplate
metadata: {name: pt, namespace: w}
template: {spec: {containers: [{name: c, image: i}]}}
"#;
    let c = cluster(y);
    let ids: Vec<String> = c.workloads.iter().map(|w| w.id().to_string()).collect();
    assert_eq!(
        ids,
        [
            "default/p1[Pod]",
            "w/rs[ReplicaSet]",
            "w/cj[CronJob]",
            "w/ss[StatefulSet]",
            "w/ds[DaemonSet]",
            "w/job[Job]",
            "w/rc[ReplicationController]"
        ]
    );
    assert!(c
        .notes
        .iter()
        .any(|n| n.contains("2 objects make up workload w/rs[ReplicaSet]")));
    let list = connectivity(&c);
    assert!(
        !list.connections.iter().any(|x| x.src == x.dst),
        "no connection from a workload to itself"
    );
}

#[test]
fn invalid_policies_are_reported_and_left_out() {
    let bad = [
        ("  podSelector: {matchExpressions: [{key: a, operator: Is, values: [b]}]}\n", "spec.podSelector.matchExpressions[0].operator"),
        ("  podSelector: {matchExpressions: [{key: a, operator: In}]}\n", "spec.podSelector.matchExpressions[0].values"),
        ("  podSelector: {matchExpressions: [{key: a, operator: Exists, values: [b]}]}\n", "spec.podSelector.matchExpressions[0].values"),
        ("  podSelector: {}\n  ingress: [{from: [{}]}]\n", "spec.ingress[0].from[0]"),
        ("  podSelector: {}\n  ingress: [{from: [{podSelector: {}, ipBlock: {cidr: 10.0.0.0/8}}]}]\n", "spec.ingress[0].from[0].ipBlock"),
        ("  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]\n", "spec.ingress[0].from[0].ipBlock.except[0]"),
        ("  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}}]}]\n", "spec.ingress[0].from[0].ipBlock.except[0]"),
        ("  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.1}}]}]\n", "spec.ingress[0].from[0].ipBlock.cidr"),
        ("  podSelector: {}\n  egress: [{ports: [{port: 90, endPort: 80}]}]\n", "spec.egress[0].ports[0].endPort"),
        ("  podSelector: {}\n  egress: [{ports: [{port: http, endPort: 80}]}]\n", "spec.egress[0].ports[0].endPort"),
        ("  podSelector: {}\n  egress: [{ports: [{endPort: 80}]}]\n", "spec.egress[0].ports[0].endPort"),
        ("  podSelector: {}\n  egress: [{ports: [{port: 0}]}]\n", "spec.egress[0].ports[0].port"),
        ("  podSelector: {}\n  egress: [{ports: [{port: '80'}]}]\n", "spec.egress[0].ports[0].port"),
        ("  podSelector: {}\n  egress: [{ports: [{port: 80, protocol: tcp}]}]\n", "spec.egress[0].ports[0].protocol"),
        ("  podSelector: {}\n  policyTypes: [ingress]\n", "spec.policyTypes[0]"),
    ];
    for (spec, path) in bad {
        let (c, invalid) = cluster_from_str("t.yaml", &(base() + &policy("a", "bad", spec)));
        assert_eq!(invalid.len(), 1, "{spec}");
        assert!(
            invalid[0].message.contains(path),
            "{spec}: {}",
            invalid[0].message
        );
        assert!(c.policies.is_empty());
    }
}

#[test]
fn explanations_list_every_selecting_policy_and_matching_rule() {
    let y = base()
        + &policy("a", "deny", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n")
        + &policy(
            "a",
            "db",
            "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: sql}, {port: grpc}]\n  - from: [{namespaceSelector: {matchLabels: {team: blue}}}]\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: nope}]\n",
        );
    let c = cluster(&y);
    let web = endpoint(&c, "a/web");
    let db = endpoint(&c, "a/db");
    let ex = c.explain(web, db);
    let egress = ex.egress.as_ref().unwrap();
    assert!(egress.isolated);
    assert_eq!(
        egress.policies.len(),
        1,
        "only the default deny selects web for egress"
    );
    assert!(egress.policies[0].rules.is_empty());
    assert!(egress.allowed.is_empty());
    let ingress = ex.ingress.as_ref().unwrap();
    let ids: Vec<String> = ingress
        .policies
        .iter()
        .map(|p| c.policies[p.policy].id())
        .collect();
    assert_eq!(ids, ["a/deny", "a/db"]);
    let rules: Vec<(usize, String)> = ingress.policies[1]
        .rules
        .iter()
        .map(|(i, conns)| (*i, conns.to_string()))
        .collect();
    // Rule 2 (team=blue) does not match web; rule 3 matches but its named
    // port resolves on nothing.
    assert_eq!(
        rules,
        [
            (0, "TCP 5432".to_string()),
            (2, "No Connections".to_string())
        ]
    );
    assert_eq!(ingress.allowed.to_string(), "TCP 5432");
    assert!(ex.allowed.is_empty(), "web's egress is denied");

    // An unselected side is not isolated and allows everything.
    let ex = c.explain(endpoint(&c, "b/client"), endpoint(&c, "8.8.8.8"));
    let e = ex.egress.unwrap();
    assert!(!e.isolated && e.policies.is_empty() && e.allowed.is_all());
    assert!(ex.ingress.is_none());
}

#[test]
fn selectors_and_ports_edge_cases() {
    // Both selectors empty in one peer: every pod of every namespace.
    let spec = "  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {}, podSelector: {}}]\n    ports: [{port: 8000, endPort: 8010}, {protocol: SCTP, port: 9}]\n";
    let c = cluster(&(base() + &policy("a", "p", spec)));
    let conns = c.allowed(endpoint(&c, "b/client"), endpoint(&c, "a/web"));
    assert!(conns.contains(kubefort_netpol::Protocol::Tcp, 8000));
    assert!(
        conns.contains(kubefort_netpol::Protocol::Tcp, 8010),
        "endPort is inclusive"
    );
    assert!(!conns.contains(kubefort_netpol::Protocol::Tcp, 8011));
    assert!(!conns.contains(kubefort_netpol::Protocol::Udp, 8005));
    assert!(conns.contains(kubefort_netpol::Protocol::Sctp, 9));
    assert_eq!(allowed(&c, "8.8.8.8", "a/web"), "No Connections");
    check_list(&c);
    // A missing podSelector selects every pod, like `{}`; null lists are absent.
    let c = cluster(&(base() + &policy("a", "p", "  ingress:\n  - from: null\n    ports: null\n")));
    assert_eq!(allowed(&c, "b/client", "a/db"), "All Connections");
    assert_eq!(c.selecting(kubefort_netpol::Direction::Ingress, 1).len(), 1);
    // Policies without a namespace are in default, like workloads.
    let y = [
        deploy("default", "web", "{app: web}", "[]"),
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}}\n".to_string(),
    ]
    .concat();
    let c = cluster(&y);
    assert_eq!(c.policies[0].namespace, "default");
    assert_eq!(allowed(&c, "1.2.3.4", "default/web"), "No Connections");
}

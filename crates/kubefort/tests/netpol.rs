//! End-to-end tests of `kubefort netpol` and `kubefort netpol explain`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const SHOP: &str = "crates/kubefort-netpol/tests/scenarios/default-deny-with-allows";

fn kubefort() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubefort"));
    c.current_dir(root()).env("CI", "true");
    c
}

fn run(args: &[&str]) -> Output {
    kubefort().args(args).output().expect("runs")
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = kubefort()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

#[test]
fn text_lists_connections_in_netpol_analyzer_notation() {
    let o = run(&["netpol", "--no-config", SHOP]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let want = std::fs::read_to_string(root().join(SHOP).join("expected.txt")).unwrap();
    assert_eq!(stdout(&o), want);
    assert!(
        stderr(&o).contains("note: namespace \"kube-system\" is not declared in the inputs"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn markdown_table_and_focus() {
    let o = run(&[
        "netpol",
        "--no-config",
        "--format",
        "md",
        "--focus",
        "shop/backend",
        SHOP,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "| src | dst | conn |\n\
         |-----|-----|------|\n\
         | shop/backend[Deployment] | kube-system/coredns[Deployment] | TCP 53,UDP 53 |\n\
         | shop/backend[Deployment] | shop/db[StatefulSet] | TCP 5432 |\n\
         | shop/frontend[Deployment] | shop/backend[Deployment] | TCP 9090 |\n"
    );
    // A bare name focuses on that workload in any namespace.
    let o = run(&["netpol", "--no-config", "--focus", "coredns", SHOP]);
    assert_eq!(stdout(&o).lines().count(), 5, "{}", stdout(&o));
    assert!(stdout(&o).lines().all(|l| l.contains("coredns")));
    let o = run(&["netpol", "--no-config", "--focus", "shop/nothing", SHOP]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--focus \"shop/nothing\": no such workload"));
}

#[test]
fn json_is_versioned_and_structured() {
    let o = run(&["netpol", "--no-config", "-f", "json", SHOP]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "notes go into the document");
    let j = json_of(&o);
    assert_eq!(j["version"], 1);
    let conns = j["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 8);
    let c = conns
        .iter()
        .find(|c| {
            c["src"] == "shop/backend[Deployment]" && c["dst"] == "kube-system/coredns[Deployment]"
        })
        .unwrap();
    assert_eq!(c["conn"], "TCP 53,UDP 53");
    assert_eq!(c["ports"]["TCP"], serde_json::json!([[53, 53]]));
    assert_eq!(c["ports"]["UDP"], serde_json::json!([[53, 53]]));
    let all = conns
        .iter()
        .find(|c| c["src"] == "kube-system/coredns[Deployment]")
        .unwrap();
    assert_eq!(all["conn"], "All Connections");
    assert_eq!(all["ports"]["SCTP"], serde_json::json!([[1, 65535]]));
    let w = j["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["workload"] == "shop/frontend[Deployment]")
        .unwrap();
    assert_eq!(w["ingress"]["isolated"], true);
    assert_eq!(
        w["egress"]["policies"],
        serde_json::json!(["shop/default-deny", "shop/dns", "shop/frontend"])
    );
    let dns = j["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "coredns")
        .unwrap();
    assert_eq!(dns["ingress"]["isolated"], false);
    assert_eq!(
        j["external"]["sources"],
        serde_json::json!(["0.0.0.0-255.255.255.255"])
    );
    assert_eq!(j["notes"].as_array().unwrap().len(), 1);
    assert_eq!(j["errors"], serde_json::json!([]));
}

#[test]
fn dot_draws_namespaces_nodes_and_edges() {
    let o = run(&["netpol", "--no-config", "-f", "dot", SHOP]);
    assert_eq!(code(&o), 0);
    let s = stdout(&o);
    assert!(s.starts_with("digraph {\n") && s.ends_with("}\n"), "{s}");
    assert!(s.contains("\tsubgraph \"cluster_shop\" {"));
    assert!(s.contains(
        "\t\t\"shop/db[StatefulSet]\" [label=\"db[StatefulSet]\" color=\"blue\" fontcolor=\"blue\"]"
    ));
    assert!(s.contains("\t\"0.0.0.0-255.255.255.255\" [label=\"0.0.0.0-255.255.255.255\" color=\"red2\" fontcolor=\"red2\"]"));
    assert!(s.contains("\t\"shop/frontend[Deployment]\" -> \"shop/backend[Deployment]\" [label=\"TCP 9090\" color=\"gold2\" fontcolor=\"darkgreen\"]"));
    assert_eq!(s.matches(" -> ").count(), 8);
}

#[test]
fn explain_allowed_with_the_deciding_rules() {
    let o = run(&[
        "netpol",
        "explain",
        "--no-config",
        "--from",
        "shop/frontend",
        "--to",
        "shop/backend",
        SHOP,
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let s = stdout(&o);
    assert!(
        s.starts_with(
            "shop/frontend[Deployment] => shop/backend[Deployment] : allowed: TCP 9090\n"
        ),
        "{s}"
    );
    assert!(
        s.contains("egress of shop/frontend[Deployment]: allows TCP 9090\n"),
        "{s}"
    );
    assert!(
        s.contains("selects it; it has no egress rule: it allows nothing"),
        "{s}"
    );
    assert!(
        s.contains("    egress rule #1 (line 34, spec.egress[0]) allows TCP 9090\n"),
        "{s}"
    );
    assert!(
        s.contains("ingress of shop/backend[Deployment]: allows TCP 9090\n"),
        "{s}"
    );
    assert!(
        s.contains("    ingress rule #1 (line 44, spec.ingress[0]) allows TCP 9090\n"),
        "{s}"
    );
}

#[test]
fn explain_denied_exits_one() {
    let o = run(&[
        "netpol",
        "explain",
        "--no-config",
        "--from",
        "shop/frontend",
        "--to",
        "shop/db",
        "--port",
        "5432",
        SHOP,
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.starts_with("shop/frontend[Deployment] => shop/db[StatefulSet] : TCP 5432 denied\n"),
        "{s}"
    );
    assert!(
        s.contains("egress of shop/frontend[Deployment]: denies TCP 5432"),
        "{s}"
    );
    assert!(
        s.contains("its ingress rule does not match shop/frontend[Deployment]"),
        "{s}"
    );
    // The right port on the wrong protocol.
    let o = run(&[
        "netpol",
        "explain",
        "--no-config",
        "--from",
        "shop/backend",
        "--to",
        "shop/db",
        "--port",
        "5432",
        "--protocol",
        "udp",
        SHOP,
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("matches, allows TCP 5432, not UDP 5432"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn explain_addresses_named_ports_and_json() {
    let o = run(&[
        "netpol",
        "explain",
        "--no-config",
        "--from",
        "203.0.113.7",
        "--to",
        "shop/frontend",
        "--port",
        "http",
        "-f",
        "json",
        SHOP,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let j = json_of(&o);
    assert_eq!(j["version"], 1);
    assert_eq!(j["from"], "203.0.113.7");
    assert_eq!(j["to"], "shop/frontend[Deployment]");
    assert_eq!(
        j["query"],
        serde_json::json!({"protocol": "TCP", "port": 8080})
    );
    assert_eq!(j["allowed"], true);
    assert_eq!(j["conn"], "TCP 8080");
    assert_eq!(j["egress"], Value::Null);
    let ingress = &j["ingress"];
    assert_eq!(ingress["isolated"], true);
    let p = ingress["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["policy"] == "shop/frontend")
        .unwrap();
    assert_eq!(p["rules"][0]["path"], "spec.ingress[0]");
    assert_eq!(p["rules"][0]["allows"], "TCP 8080");

    // To the outside: only the egress side counts.
    let o = run(&[
        "netpol",
        "explain",
        "--no-config",
        "--from",
        "kube-system/coredns",
        "--to",
        "8.8.8.8",
        SHOP,
    ]);
    assert_eq!(code(&o), 0);
    let s = stdout(&o);
    assert!(s.contains("no NetworkPolicy selects kube-system/coredns[Deployment] for egress: every destination is allowed"), "{s}");
    assert!(s.contains("ingress: 8.8.8.8 is outside the cluster"), "{s}");
}

#[test]
fn explain_rejects_bad_endpoints() {
    for (args, msg) in [
        (
            vec!["--from", "shop/nope", "--to", "shop/db"],
            "--from \"shop/nope\": no such workload",
        ),
        (
            vec!["--from", "1.1.1.1", "--to", "2.2.2.2"],
            "both addresses",
        ),
        (
            vec![
                "--from",
                "shop/backend",
                "--to",
                "shop/db",
                "--port",
                "grpc",
            ],
            "--port \"grpc\"",
        ),
        (
            vec![
                "--from",
                "shop/backend",
                "--to",
                "shop/db",
                "--protocol",
                "icmp",
            ],
            "unknown protocol",
        ),
    ] {
        let mut a = vec!["netpol", "explain", "--no-config"];
        a.extend(args);
        a.push(SHOP);
        let o = run(&a);
        assert_eq!(code(&o), 2, "{a:?}");
        assert!(stderr(&o).contains(msg), "{a:?}: {}", stderr(&o));
    }
}

#[test]
fn invalid_policies_are_errors_and_left_out() {
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: i}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: a}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}\n";
    let o = run_stdin(&["netpol", "--no-config", "-"], yaml);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stdout(&o),
        "0.0.0.0-255.255.255.255 => a/web[Deployment] : All Connections\na/web[Deployment] => 0.0.0.0-255.255.255.255 : All Connections\n"
    );
    assert!(stderr(&o).contains("error: <stdin>:16:"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("must be a strict subset"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn output_file_and_missing_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("conns.txt");
    let o = run(&["netpol", "--no-config", "-o", out.to_str().unwrap(), SHOP]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).is_empty());
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 8);
    let o = run(&["netpol", "--no-config", "no/such/dir"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn examples_connectivity() {
    let o = run(&["netpol", "--no-config", "examples/hardened"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "0.0.0.0-255.255.255.255 => shop/web[Deployment] : TCP 8080\nshop/backup[CronJob] => 10.20.0.0-10.20.255.255 : TCP 5432\n"
    );
    // No policy at all: everything reaches everything.
    let o = run(&["netpol", "--no-config", "examples/insecure"]);
    assert_eq!(code(&o), 0);
    let s = stdout(&o);
    assert_eq!(s.lines().count(), 3 + 3 * 3, "{s}");
    assert!(s.lines().all(|l| l.ends_with(" : All Connections")), "{s}");
}

fn rules_of(j: &Value) -> Vec<String> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn coverage_rules_speak_when_policies_are_managed_or_asked_for() {
    // No NetworkPolicy in the inputs: the coverage rules stay silent by default...
    let o = run(&["scan", "--no-config", "-f", "json", "examples/insecure"]);
    let rules = rules_of(&json_of(&o));
    assert!(
        !rules
            .iter()
            .any(|r| r.ends_with("network-policy") || r.contains("default-deny")),
        "{rules:?}"
    );
    // ...and speak when selected.
    let o = run(&[
        "scan",
        "--no-config",
        "-f",
        "json",
        "--select",
        "network",
        "examples/insecure",
    ]);
    let mut rules = rules_of(&json_of(&o));
    rules.sort();
    assert_eq!(
        rules,
        [
            "missing-default-deny-egress",
            "missing-default-deny-ingress",
            "workload-without-network-policy",
            "workload-without-network-policy",
            "workload-without-network-policy"
        ]
    );
    // Inputs with a NetworkPolicy: gaps are findings by default.
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: c, image: i}]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: i}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n";
    let o = run_stdin(&["scan", "--no-config", "-f", "json", "-"], yaml);
    let j = json_of(&o);
    let f: Vec<(String, String)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["object"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        f.contains(&("workload-without-network-policy".into(), "web".into())),
        "{f:?}"
    );
    assert!(
        !f.iter()
            .any(|(r, n)| r == "workload-without-network-policy" && n == "api"),
        "{f:?}"
    );
    assert!(
        f.contains(&("missing-default-deny-ingress".into(), "api".into())),
        "{f:?}"
    );
}

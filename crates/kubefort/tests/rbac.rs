//! End-to-end tests of `kubefort rbac`: answers, JSON shapes, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubefort"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("runs")
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubefort"))
        .current_dir(root())
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
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            stdout(o),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

const EXAMPLE: &str = "examples/rbac";

#[test]
fn who_can_json_shape() {
    let o = run(&[
        "rbac",
        "who-can",
        "create",
        "pods/exec",
        "-n",
        "shop",
        "--no-config",
        "-f",
        "json",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 0);
    let j = json_of(&o);
    let subjects = j["subjects"].as_array().unwrap();
    let names: Vec<(&str, &str)> = subjects
        .iter()
        .map(|s| (s["kind"].as_str().unwrap(), s["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("Group", "system:masters"),
            ("Group", "developers"),
            ("ServiceAccount", "ops-bot")
        ]
    );
    for s in subjects {
        for v in s["via"].as_array().unwrap() {
            assert!(v["binding"].is_string() && v["role"].is_string(), "{v}");
        }
    }
    let dev = &subjects[1]["via"][0];
    assert_eq!(dev["binding"], "RoleBinding shop/developers");
    assert_eq!(dev["role"], "ClusterRole edit");
    assert_eq!(dev["builtin"], true);
    assert_eq!(dev["rule"]["aggregatedFrom"], "ClusterRole debugger");
    assert_eq!(dev["rule"]["location"]["line"], 63);
    assert_eq!(subjects[2]["namespace"], "ci");
    assert_eq!(j["request"]["subresource"], "exec");
    // The missing role is reported.
    assert!(j["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("\"auditor\", which does not exist"));
}

#[test]
fn who_can_resource_forms() {
    // kubectl's resource.group form, short names, and non-resource URLs.
    for args in [
        &["create", "deployments.apps", "-n", "ci"][..],
        &["create", "deploy", "-n", "ci"][..],
    ] {
        let mut a = vec!["rbac", "who-can"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--no-config", "-f", "json", EXAMPLE]);
        let j = json_of(&run(&a));
        assert!(
            j["subjects"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == "deployer"),
            "{j}"
        );
    }
    let j = json_of(&run(&[
        "rbac",
        "who-can",
        "get",
        "/metrics",
        "--no-config",
        "-f",
        "json",
        EXAMPLE,
    ]));
    assert_eq!(j["request"]["path"], "/metrics");
    let names: Vec<&str> = j["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["system:masters", "ops-bot"]);
    // --subresource and --name.
    let j = json_of(&run(&[
        "rbac",
        "who-can",
        "create",
        "pods",
        "--subresource",
        "exec",
        "-n",
        "shop",
        "--name",
        "web",
        "--no-config",
        "-f",
        "json",
        EXAMPLE,
    ]));
    assert_eq!(j["subjects"].as_array().unwrap().len(), 3);
    // A contradiction is a usage error.
    let o = run(&[
        "rbac",
        "who-can",
        "create",
        "pods/log",
        "--subresource",
        "exec",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn can_answers_with_exit_codes() {
    let o = run(&[
        "rbac",
        "can",
        "system:serviceaccount:ci:deployer",
        "create",
        "deployments",
        "-n",
        "ci",
        "--no-config",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let s = stdout(&o);
    assert!(
        s.starts_with(
            "note: \"deployments\" is in API group \"apps\"\nyes: ServiceAccount ci/deployer"
        ),
        "{s}"
    );
    assert!(s.contains("allowed by RoleBinding ci/deployer (examples/rbac/rbac.yaml:38) → Role ci/deployer, rules[0] at examples/rbac/rbac.yaml:21"), "{s}");
    let o = run(&[
        "rbac",
        "can",
        "system:serviceaccount:ci:deployer",
        "create",
        "deployments",
        "-n",
        "shop",
        "--no-config",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("no: ServiceAccount ci/deployer"));
    // --as-group adds the user's groups.
    let o = run(&[
        "rbac",
        "can",
        "dana",
        "create",
        "pods/exec",
        "-n",
        "shop",
        "--as-group",
        "developers",
        "--no-config",
        "-f",
        "json",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 0);
    let j = json_of(&o);
    assert_eq!(j["allowed"], true);
    assert_eq!(
        j["user"]["groups"],
        serde_json::json!(["developers", "system:authenticated"])
    );
    assert_eq!(j["reasons"][0]["binding"], "RoleBinding shop/developers");
    assert_eq!(j["subjectAccessReview"]["kind"], "SubjectAccessReview");
    assert_eq!(
        j["subjectAccessReview"]["spec"]["resourceAttributes"]["subresource"],
        "exec"
    );
    // system:masters bypasses authorization.
    let o = run(&[
        "rbac",
        "can",
        "root",
        "delete",
        "nodes",
        "--as-group",
        "system:masters",
        "--no-config",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("superuser"));
    // A binding to a missing role is named in the answer.
    let o = run(&[
        "rbac",
        "can",
        "alice",
        "get",
        "pods",
        "-n",
        "shop",
        "--no-config",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o)
        .contains("RoleBinding shop/auditors applies to this user but its role does not exist"));
}

#[test]
fn list_compacts_rules_per_scope() {
    let o = run(&[
        "rbac",
        "list",
        "system:serviceaccount:ci:deployer",
        "--no-config",
        "-f",
        "json",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 0);
    let j = json_of(&o);
    let scopes = j["scopes"].as_array().unwrap();
    assert_eq!(scopes.len(), 1);
    assert_eq!(scopes[0]["namespace"], "ci");
    let rules = scopes[0]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(
        rules[1]["verbs"],
        serde_json::json!(["create", "get", "list", "patch", "update"])
    );
    assert_eq!(rules[1]["via"][0]["binding"], "RoleBinding ci/deployer");
    // Rules that differ in one list are merged.
    let yaml = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: a}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
- {apiGroups: [""], resources: [services], verbs: [get]}
- {apiGroups: [""], resources: [pods, services], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: a}
subjects: [{kind: User, name: u}]
"#;
    let o = run_stdin(&["rbac", "list", "u", "--no-config", "-"], yaml);
    let s = stdout(&o);
    assert!(s.contains("cluster-wide:\n  verbs=[get list] apiGroups=[\"\"] resources=[pods services]\n      via ClusterRoleBinding a → ClusterRole a\n"), "{s}");
}

#[test]
fn paths_to_cluster_admin() {
    let o = run(&["rbac", "paths", "--no-config", EXAMPLE]);
    assert_eq!(code(&o), 1, "paths exist");
    let s = stdout(&o);
    assert!(
        s.contains("Already cluster-admin:\n  ServiceAccount ci/ops-bot"),
        "{s}"
    );
    assert!(
        s.contains("ServiceAccount ci/deployer → cluster-admin (3 steps)"),
        "{s}"
    );
    assert!(
        s.contains("ServiceAccount monitoring/prometheus → cluster-admin (2 steps)"),
        "{s}"
    );
    let o = run(&[
        "rbac",
        "paths",
        "--from",
        "system:serviceaccount:ci:deployer",
        "--no-config",
        "-f",
        "json",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 1);
    let j = json_of(&o);
    let steps = j["paths"][0]["steps"].as_array().unwrap();
    let techniques: Vec<&str> = steps
        .iter()
        .map(|s| s["technique"].as_str().unwrap())
        .collect();
    assert_eq!(techniques, ["run-pods", "includes", "cluster-admin-rules"]);
    assert_eq!(
        steps[0]["evidence"][0]["binding"],
        "RoleBinding ci/deployer"
    );
    assert_eq!(steps[0]["evidence"][0]["rule"]["location"]["line"], 21);
    assert_eq!(
        steps[1]["to"],
        serde_json::json!({"kind": "ServiceAccount", "name": "ops-bot", "namespace": "ci"})
    );
    // No path: exit 0.
    let o = run(&["rbac", "paths", "--from", "alice", "--no-config", EXAMPLE]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("no path from alice to cluster-admin"));
    // Any identity as the target.
    let o = run(&[
        "rbac",
        "paths",
        "--from",
        "system:serviceaccount:ci:deployer",
        "--to",
        "system:serviceaccount:ci:ops-bot",
        "--no-config",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("→ ServiceAccount ci/ops-bot (2 steps)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn builtin_roles_can_be_turned_off_and_errors_exit_2() {
    let o = run(&[
        "rbac",
        "can",
        "system:serviceaccount:ci:ops-bot",
        "delete",
        "nodes",
        "--no-builtin-roles",
        "--no-config",
        EXAMPLE,
    ]);
    assert_eq!(code(&o), 1);
    let o = run(&[
        "rbac",
        "can",
        "bob",
        "get",
        "pods",
        "--no-config",
        "does/not/exist.yaml",
    ]);
    assert_eq!(code(&o), 2);
    let o = run(&["rbac", "can", "bob", "get", "pods", "--no-config"]);
    assert_eq!(code(&o), 2, "PATH is required");
}

#[test]
fn scan_reports_the_rbac_rules_on_the_example() {
    let o = run(&["scan", "--no-config", "-f", "json", EXAMPLE]);
    assert_eq!(code(&o), 1);
    let j = json_of(&o);
    let found: Vec<(String, u64)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let expect = [
        ("rbac-pod-create", 21),
        ("rbac-escalation-path", 38),
        ("rbac-cluster-admin-binding", 51),
        ("rbac-pod-exec", 63),
        ("rbac-nodes-proxy", 87),
        ("rbac-pod-exec", 87),
        ("rbac-secret-read", 87),
        ("rbac-wildcard", 87),
        ("rbac-escalation-path", 100),
        ("rbac-missing-role", 119),
    ];
    let expect: Vec<(String, u64)> = expect.iter().map(|(r, l)| (r.to_string(), *l)).collect();
    assert_eq!(found, expect);
}

#[test]
fn a_namespace_object_is_in_its_own_namespace() {
    let yaml = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: v, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: User, name: u}]
"#;
    let o = run_stdin(
        &[
            "rbac",
            "can",
            "u",
            "get",
            "namespaces",
            "--name",
            "shop",
            "--no-config",
            "-",
        ],
        yaml,
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("as the API server makes it"));
    let o = run_stdin(
        &[
            "rbac",
            "can",
            "u",
            "get",
            "namespaces",
            "--name",
            "web",
            "--no-config",
            "-",
        ],
        yaml,
    );
    assert_eq!(code(&o), 1);
}

//! `kubefort cluster` against a real API server (kubefort-testenv): the
//! objects of the examples are created in it, and what `cluster` finds must
//! be what `scan` finds in the same manifests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kube::api::{Api, DynamicObject, PostParams};
use kube::discovery::Discovery;
use kubefort_testenv::{Options, TestEnv};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kubefort(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubefort"))
        .current_dir(root())
        .env("CI", "1")
        .args(args)
        .output()
        .expect("runs")
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// A real API server that, like most clusters, allows privileged pods.
async fn start() -> TestEnv {
    TestEnv::start(Options {
        extra_args: vec!["--allow-privileged=true".into()],
        ..Options::default()
    })
    .await
    .expect("test environment")
}

/// Every document of a manifest file, as JSON.
fn documents(text: &str) -> Vec<Value> {
    kubefort_core::yaml::load_str(text, &kubefort_core::yaml::Limits::default())
        .into_iter()
        .map(|d| d.expect("valid YAML").root.to_json())
        .filter(|v| !v.is_null())
        .collect()
}

/// Create objects in the API server, Namespaces first; returns them as created.
async fn create(client: &kube::Client, docs: Vec<Value>) -> Vec<DynamicObject> {
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    let mut docs = docs;
    // Namespaces the objects use but do not declare are created first.
    let declared: BTreeSet<String> = docs
        .iter()
        .filter(|d| d["kind"] == "Namespace")
        .filter_map(|d| d["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    let used: BTreeSet<String> = docs
        .iter()
        .filter_map(|d| d["metadata"]["namespace"].as_str().map(str::to_string))
        .chain(docs.iter().flat_map(|d| {
            d["subjects"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["namespace"].as_str().map(str::to_string))
        }))
        .collect();
    for ns in used.difference(&declared) {
        if !["default", "kube-system", "kube-public"].contains(&ns.as_str()) {
            docs.push(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
        }
    }
    docs.sort_by_key(|d| d["kind"] != "Namespace");
    let mut created = Vec::new();
    for doc in docs {
        let obj: DynamicObject = serde_json::from_value(doc.clone()).unwrap();
        let tm = obj.types.clone().expect("typed");
        let (group, version) = match tm.api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), tm.api_version.clone()),
        };
        let gvk = kube::core::GroupVersionKind::gvk(&group, &version, &tm.kind);
        let (ar, caps) = discovery.resolve_gvk(&gvk).expect("served kind");
        let api: Api<DynamicObject> = if caps.scope == kube::discovery::Scope::Namespaced {
            let ns = obj.metadata.namespace.clone().unwrap_or("default".into());
            Api::namespaced_with(client.clone(), &ns, &ar)
        } else {
            Api::all_with(client.clone(), &ar)
        };
        match api.create(&PostParams::default(), &obj).await {
            Ok(made) => created.push(made),
            Err(kube::Error::Api(s)) if s.code == 409 && tm.kind == "Namespace" => {}
            Err(e) => panic!("creating {doc}: {e}"),
        }
    }
    created
}

/// (rule, kind, namespace, name, path) of every finding.
fn keys(report: &Value) -> BTreeSet<(String, String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |v: &Value| v.as_str().unwrap_or("").to_string();
            (
                s(&f["rule"]),
                s(&f["object"]["kind"]),
                s(&f["object"]["namespace"]),
                s(&f["object"]["name"]),
                s(&f["path"]),
            )
        })
        .collect()
}

fn example_docs(paths: &[&str]) -> Vec<Value> {
    paths
        .iter()
        .flat_map(|p| documents(&std::fs::read_to_string(root().join(p)).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn cluster_finds_what_scan_finds() {
    let env = start().await;
    let client = env.client().await.unwrap();
    let files = ["examples/insecure/app.yaml", "examples/insecure/job.yaml"];
    create(&client, example_docs(&files)).await;
    let kubeconfig = env.kubeconfig.to_str().unwrap();

    let live = kubefort(&[
        "cluster",
        "--kubeconfig",
        kubeconfig,
        "--no-config",
        "-f",
        "json",
    ]);
    let code = live.status.code();
    let live = json_of(&live);
    assert_eq!(code, Some(1), "{:#}", live["errors"]);
    let mut args = vec!["scan", "--no-config", "-f", "json"];
    args.extend(files);
    let scanned = json_of(&kubefort(&args));

    // The examples' objects are all in namespace `shop`; the cluster also
    // holds what the API server creates for itself.
    let ours = |k: &(String, String, String, String, String)| {
        k.2 == "shop" || (k.1 == "Namespace" && k.3 == "shop")
    };
    let live_keys: BTreeSet<_> = keys(&live).into_iter().filter(ours).collect();
    let scan_keys: BTreeSet<_> = keys(&scanned).into_iter().filter(ours).collect();
    assert!(!scan_keys.is_empty());
    // The API server fills in defaults (`resources: {}`), so a finding about
    // a missing field may point one level deeper in the live object.
    type Key = (String, String, String, String, String);
    let same = |a: &Key, b: &Key| {
        (&a.0, &a.1, &a.2, &a.3) == (&b.0, &b.1, &b.2, &b.3)
            && (a.4 == b.4 || a.4.starts_with(&format!("{}.", b.4)))
    };
    let unmatched_live: Vec<&Key> = live_keys
        .iter()
        .filter(|l| !scan_keys.iter().any(|s| same(l, s)))
        .collect();
    let unmatched_scan: Vec<&Key> = scan_keys
        .iter()
        .filter(|s| !live_keys.iter().any(|l| same(l, s)))
        .collect();
    assert!(
        unmatched_live.is_empty() && unmatched_scan.is_empty(),
        "only in cluster: {unmatched_live:#?}\nonly in scan: {unmatched_scan:#?}"
    );

    // Locations are API paths, with no line.
    let f = live["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["object"]["name"] == "web" && f["rule"] == "privileged-container")
        .expect("the privileged web deployment");
    assert_eq!(
        f["location"],
        serde_json::json!({"file": "/apis/apps/v1/namespaces/shop/deployments/web"})
    );

    // SARIF without regions still validates; text names the API path.
    let sarif = kubefort(&[
        "cluster",
        "--kubeconfig",
        kubeconfig,
        "--no-config",
        "-f",
        "sarif",
    ]);
    let sarif = json_of(&sarif);
    let loc = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert!(loc.get("region").is_none(), "{loc}");
    assert!(loc["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("/api"));
    let text = kubefort(&[
        "cluster",
        "--kubeconfig",
        kubeconfig,
        "--no-config",
        "--color",
        "never",
    ]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("/apis/apps/v1/namespaces/shop/deployments/web\n"),
        "{text}"
    );
    assert!(!text.contains(" 0:0 "), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn hardened_objects_have_no_findings() {
    let env = start().await;
    let client = env.client().await.unwrap();
    let files = [
        "examples/hardened/app.yaml",
        "examples/hardened/network.yaml",
    ];
    create(&client, example_docs(&files)).await;
    let out = kubefort(&[
        "cluster",
        "--kubeconfig",
        env.kubeconfig.to_str().unwrap(),
        "--no-config",
        "-f",
        "json",
        "-n",
        "shop",
    ]);
    let report = json_of(&out);
    let in_shop: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["object"]["namespace"] == "shop")
        .collect();
    assert!(in_shop.is_empty(), "{in_shop:#?}");
    let mut args = vec!["scan", "--no-config", "-f", "json"];
    args.extend(files);
    let scanned = json_of(&kubefort(&args));
    assert_eq!(scanned["findings"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forbidden_list_is_reported_and_the_rest_is_scanned() {
    let env = start().await;
    let client = env.client().await.unwrap();
    create(
        &client,
        example_docs(&["examples/insecure/app.yaml"])
            .into_iter()
            .chain(documents(
                "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: workloads-only}
rules:
- apiGroups: ['', apps]
  resources: [namespaces, pods, deployments, daemonsets]
  verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: limited-workloads-only}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: workloads-only}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: limited}
",
            ))
            .collect(),
    )
    .await;
    let kc = env.dir().join("limited.kubeconfig");
    std::fs::write(&kc, env.kubeconfig_for("limited", &[]).unwrap()).unwrap();
    let out = kubefort(&[
        "cluster",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--no-config",
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2), "an incomplete scan exits 2");
    let report = json_of(&out);
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("cannot list secrets cluster-wide") && e.contains("forbidden")),
        "{errors:#?}"
    );
    assert!(errors
        .iter()
        .any(|e| e.starts_with("cannot list clusterroles.rbac.authorization.k8s.io")));
    assert!(
        !errors.iter().any(|e| e.contains("deployments.apps")),
        "{errors:#?}"
    );
    // What could be read was scanned.
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "privileged-container" && f["object"]["name"] == "web"));
}

#[tokio::test(flavor = "multi_thread")]
async fn owned_pods_are_reported_on_their_owner() {
    let env = start().await;
    let client = env.client().await.unwrap();
    let rs = documents(
        "apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext: {privileged: true}
",
    );
    let made = create(&client, rs).await;
    let uid = made[1].metadata.uid.clone().unwrap();
    let pod = |name: &str, extra: &str| {
        format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: shop
  labels: {{app: web}}
  ownerReferences:
  - {{apiVersion: apps/v1, kind: ReplicaSet, name: web, uid: {uid}, controller: true}}
spec:
  containers:
  - name: web
    image: nginx:1.27
    securityContext: {{privileged: true}}
{extra}"
        )
    };
    let debug = "  - name: debug
    image: busybox:1.36
    securityContext: {capabilities: {add: [SYS_ADMIN]}}
";
    let pods = [pod("web-a", ""), pod("web-b", debug), pod("web-c", debug)].join("---\n");
    create(&client, documents(&pods)).await;

    let out = kubefort(&[
        "cluster",
        "--kubeconfig",
        env.kubeconfig.to_str().unwrap(),
        "--no-config",
        "-f",
        "json",
        "-n",
        "shop",
    ]);
    let report = json_of(&out);
    let findings = report["findings"].as_array().unwrap();
    let on = |name: &str, rule: &str| {
        findings
            .iter()
            .filter(|f| f["object"]["name"] == name && f["rule"] == rule)
            .count()
    };
    assert_eq!(on("web", "privileged-container"), 1, "on the ReplicaSet");
    for p in ["web-a", "web-b", "web-c"] {
        assert_eq!(on(p, "privileged-container"), 0, "not repeated on {p}");
    }
    // A change made to the pods after creation is reported once.
    let debug_findings: Vec<&Value> = findings
        .iter()
        .filter(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .starts_with("spec.containers[1]")
        })
        .collect();
    assert!(!debug_findings.is_empty());
    let names: BTreeSet<&str> = debug_findings
        .iter()
        .map(|f| f["object"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.into_iter().collect::<Vec<_>>(), vec!["web-b"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_reports_are_written_to_the_cluster() {
    let env = start().await;
    let client = env.client().await.unwrap();
    let crds = std::fs::read_to_string(root().join("deploy/crds/wgpolicyk8s.io.yaml")).unwrap();
    create(&client, documents(&crds)).await;
    create(&client, example_docs(&["examples/insecure/app.yaml"])).await;
    // The CRDs need a moment to be served.
    let kubeconfig = env.kubeconfig.to_str().unwrap();
    let mut out = None;
    for _ in 0..50 {
        let o = kubefort(&[
            "cluster",
            "--kubeconfig",
            kubeconfig,
            "--no-config",
            "-f",
            "json",
            "-n",
            "shop",
            "--apply-reports",
        ]);
        if o.status.code() == Some(1) {
            out = Some(o);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let out = out.unwrap_or_else(|| {
        let o = kubefort(&[
            "cluster",
            "--kubeconfig",
            kubeconfig,
            "--no-config",
            "-n",
            "shop",
            "--apply-reports",
        ]);
        panic!(
            "reports not applied: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let report = json_of(&out);
    let expected = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["object"]["namespace"] == "shop")
        .count();
    let ar = kube::core::ApiResource::from_gvk_with_plural(
        &kube::core::GroupVersionKind::gvk("wgpolicyk8s.io", "v1alpha2", "PolicyReport"),
        "policyreports",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "shop", &ar);
    let pr = api.get("kubefort").await.expect("the shop PolicyReport");
    assert_eq!(pr.data["summary"]["fail"], expected);
    assert_eq!(pr.data["results"].as_array().unwrap().len(), expected);
    assert!(pr.data["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["policy"] == "privileged-container" && r["resources"][0]["name"] == "web"));

    // `--format policyreport` prints the same objects for `kubectl apply`.
    let printed = kubefort(&[
        "cluster",
        "--kubeconfig",
        kubeconfig,
        "--no-config",
        "-f",
        "policyreport",
        "-n",
        "shop",
    ]);
    let docs = documents(&String::from_utf8_lossy(&printed.stdout));
    assert!(docs
        .iter()
        .any(|d| d["kind"] == "PolicyReport" && d["metadata"]["namespace"] == "shop"));
}

#[tokio::test(flavor = "multi_thread")]
async fn rbac_and_netpol_read_the_cluster() {
    let env = start().await;
    let client = env.client().await.unwrap();
    create(
        &client,
        example_docs(&[
            "examples/rbac/rbac.yaml",
            "examples/hardened/app.yaml",
            "examples/hardened/network.yaml",
        ]),
    )
    .await;
    let kubeconfig = env.kubeconfig.to_str().unwrap();
    // The same question over the files and over the cluster.
    let files = kubefort(&[
        "rbac",
        "who-can",
        "get",
        "secrets",
        "-n",
        "shop",
        "examples/rbac/rbac.yaml",
        "-f",
        "json",
        "--no-config",
    ]);
    let live = kubefort(&[
        "rbac",
        "who-can",
        "get",
        "secrets",
        "-n",
        "shop",
        "--cluster",
        "--kubeconfig",
        kubeconfig,
        "-f",
        "json",
        "--no-config",
    ]);
    assert_eq!(
        live.status.code(),
        files.status.code(),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    let subjects = |o: &Output| -> BTreeSet<String> {
        json_of(o)["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{} {}", s["kind"], s["name"]))
            .collect()
    };
    let from_files = subjects(&files);
    let from_cluster = subjects(&live);
    assert!(!from_files.is_empty());
    assert!(
        from_files.is_subset(&from_cluster),
        "{from_files:?} vs {from_cluster:?}"
    );

    let net = kubefort(&[
        "netpol",
        "--cluster",
        "--kubeconfig",
        kubeconfig,
        "--no-config",
        "--focus",
        "shop/web",
    ]);
    let net_files = kubefort(&[
        "netpol",
        "examples/hardened/app.yaml",
        "examples/hardened/network.yaml",
        "--no-config",
        "--focus",
        "shop/web",
    ]);
    assert_eq!(
        net.status.code(),
        net_files.status.code(),
        "{}",
        String::from_utf8_lossy(&net.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&net.stdout),
        String::from_utf8_lossy(&net_files.stdout)
    );
}

#[test]
fn unreachable_server_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kc");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: abc}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n",
    )
    .unwrap();
    let out = kubefort(&[
        "cluster",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--no-config",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach the API server at https://127.0.0.1:1"),
        "{err}"
    );
    let out = kubefort(&[
        "cluster",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--context",
        "nope",
        "--no-config",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

#[test]
fn the_deployment_manifests_scan_clean() {
    // The reader role's `list secrets` is suppressed by its annotation,
    // although the finding comes from an inventory rule.
    let out = kubefort(&[
        "scan",
        "deploy/cluster",
        "deploy/crds",
        "--no-config",
        "-f",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json_of(&out);
    assert_eq!(report["summary"]["findings"], 0);
    assert_eq!(report["summary"]["suppressed"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_credentials_and_untrusted_certificates_are_clear_errors() {
    let env = start().await;
    let admin = std::fs::read_to_string(&env.kubeconfig).unwrap();
    let field = |name: &str| {
        admin
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}: ")))
            .unwrap()
            .to_string()
    };
    let (ca, client_cert) = (
        field("certificate-authority-data"),
        field("client-certificate-data"),
    );
    let kubeconfig = |cluster: &str, user: &str| {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n{cluster}users:\n- name: u\n  user:\n{user}contexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n",
            env.url
        )
    };
    let run = |text: String| {
        let path = env.dir().join(format!("kc-{}", text.len()));
        std::fs::write(&path, text).unwrap();
        let out = kubefort(&[
            "cluster",
            "--kubeconfig",
            path.to_str().unwrap(),
            "--no-config",
        ]);
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    // A token the server does not know: 401.
    let err = run(kubeconfig(
        &format!("    certificate-authority-data: {ca}\n"),
        "    token: expired-or-unknown\n",
    ));
    assert!(
        err.contains("refused the credentials (401 Unauthorized)"),
        "{err}"
    );
    // The kubeconfig trusts a certificate that did not sign the server's.
    let err = run(kubeconfig(
        &format!("    certificate-authority-data: {client_cert}\n"),
        "    token: whatever\n",
    ));
    assert!(err.contains("TLS with"), "{err}");
    assert!(err.contains("certificate"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_resources_with_pod_templates_are_found_by_discovery() {
    let env = start().await;
    let client = env.client().await.unwrap();
    create(
        &client,
        documents(
            "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clonesets.apps.example.com}
spec:
  group: apps.example.com
  names: {kind: CloneSet, plural: clonesets, singular: cloneset, listKind: CloneSetList}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
",
        ),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kubefort.yaml");
    std::fs::write(
        &config,
        "pod-templates:\n- kind: CloneSet\n  group: apps.example.com\n  path: spec.template.spec\n",
    )
    .unwrap();
    let clone = documents(
        "apiVersion: apps.example.com/v1alpha1
kind: CloneSet
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: web, image: nginx:1.27}]
",
    );
    // The CRD needs a moment before the API server serves it.
    let mut made = false;
    for _ in 0..50 {
        let discovery = Discovery::new(client.clone()).run().await.unwrap();
        if discovery.has_group("apps.example.com") {
            create(&client, clone.clone()).await;
            made = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(made, "the CRD was never served");
    let out = kubefort(&[
        "cluster",
        "--kubeconfig",
        env.kubeconfig.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "-f",
        "json",
        "-n",
        "shop",
    ]);
    let report = json_of(&out);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "host-network" && f["object"]["kind"] == "CloneSet")
        .unwrap_or_else(|| panic!("{:#}", report["findings"]));
    assert_eq!(f["path"], "spec.template.spec.hostNetwork");
    assert_eq!(
        f["location"]["file"],
        "/apis/apps.example.com/v1alpha1/namespaces/shop/clonesets/web"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn user_policies_run_on_the_live_objects() {
    let env = start().await;
    let client = env.client().await.unwrap();
    create(&client, example_docs(&["examples/insecure/app.yaml"])).await;
    let out = kubefort(&[
        "cluster",
        "--kubeconfig",
        env.kubeconfig.to_str().unwrap(),
        "--no-config",
        "-f",
        "json",
        "-n",
        "shop",
        "--policy",
        "examples/policies/vap/host-network.yaml",
        "--policy",
        "examples/policies/rego",
    ]);
    let report = json_of(&out);
    assert_eq!(
        report["errors"].as_array().unwrap().len(),
        0,
        "{:#}",
        report["errors"]
    );
    let on_web: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["object"]["name"] == "web")
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(on_web.contains("no-host-network"), "{on_web:?}");
    assert!(on_web.iter().any(|r| r.starts_with("main.")), "{on_web:?}");
}

//! End to end with a real kube-apiserver: the webhook registered by URL,
//! objects created through the API server, and what the client sees.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::http;
use serde_json::{json, Value};

use common::*;
use kubefort_admission::init::{webhook_configuration, WebhookSpec};
use kubefort_admission::namespaces::NamespaceLookup;
use kubefort_admission::server::{Options, Running, State};
use kubefort_admission::validate::Decision;
use kubefort_admission::{Policy, Validator};
use kubefort_core::yaml::{load_str, Limits};
use kubefort_testenv::{Options as EnvOptions, TestEnv};

struct Answer {
    status: u16,
    warnings: Vec<String>,
    body: Value,
}

impl Answer {
    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

async fn call(client: &kube::Client, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(
            body.map(|b| b.to_string().into_bytes())
                .unwrap_or_default()
                .into(),
        )
        .unwrap();
    let resp = client.send(req).await.unwrap();
    let status = resp.status().as_u16();
    let warnings = resp
        .headers()
        .get_all("warning")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_string())
        .collect();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        warnings,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

fn obj(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn pod(text: &str, ns: &str, name: &str) -> Value {
    let mut v = obj(&in_ns(text, ns));
    v["metadata"]["name"] = json!(name);
    v
}

async fn create_pod(c: &kube::Client, ns: &str, p: &Value, dry_run: bool) -> Answer {
    let q = if dry_run { "?dryRun=All" } else { "" };
    call(
        c,
        "POST",
        &format!("/api/v1/namespaces/{ns}/pods{q}"),
        Some(p),
    )
    .await
}

fn configuration(addr: std::net::SocketAddr, ca_pem: &str, failure_policy: &str) -> Value {
    let yaml = webhook_configuration(&WebhookSpec {
        name: "kubefort".into(),
        namespace: "kubefort".into(),
        service: "kubefort-webhook".into(),
        port: 443,
        url: Some(format!("https://{addr}")),
        failure_policy: failure_policy.into(),
        timeout_seconds: 5,
        ca_pem: ca_pem.into(),
    });
    load_str(&yaml, &Limits::default())
        .remove(0)
        .unwrap()
        .root
        .to_json()
}

async fn register(c: &kube::Client, config: &Value) {
    let base = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
    let _ = call(c, "DELETE", &format!("{base}/kubefort"), None).await;
    let a = call(c, "POST", base, Some(config)).await;
    assert_eq!(a.status, 201, "{}", a.body);
}

/// Poll until `check` holds (the API server loads webhook configurations
/// asynchronously).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{what}: not within 30 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_server_enforces_kubefort_decisions() {
    // Without --allow-privileged the API server's validation refuses
    // privileged pods before any admission webhook sees them.
    let env = TestEnv::start(EnvOptions {
        extra_args: vec!["--allow-privileged=true".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    let admin = env.client().await.unwrap();
    for (ns, labels) in [
        ("enforced", json!({})),
        ("warned", json!({"kubefort.io/enforce": "off"})),
        ("exempt-me", json!({})),
        ("kubefort", json!({})),
    ] {
        let a = call(
            &admin,
            "POST",
            "/api/v1/namespaces",
            Some(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})),
        )
        .await;
        assert_eq!(a.status, 201, "{}", a.body);
    }
    // A workload that was there before the webhook.
    let legacy = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "legacy", "namespace": "enforced"},
        "spec": {"selector": {"matchLabels": {"app": "legacy"}}, "template": {
            "metadata": {"labels": {"app": "legacy"}},
            "spec": {"containers": [{"name": "c", "image": "registry.example/app:1", "securityContext": {"privileged": true}}]}}}
    });
    let deployments = "/apis/apps/v1/namespaces/enforced/deployments";
    let a = call(&admin, "POST", deployments, Some(&legacy)).await;
    assert_eq!(a.status, 201, "{}", a.body);

    let certs = Certs::new();
    let policy = Policy::from_str_named(
        "webhook:\n  exempt:\n    namespaces: [exempt-me]\n",
        "test.yaml",
    )
    .unwrap();
    let lookup = NamespaceLookup::new(env.client().await.unwrap());
    let state = Arc::new(State::new(
        Validator::new(policy).unwrap(),
        Some(lookup),
        Options::default(),
    ));
    let server = Running::start(
        "127.0.0.1:0".parse().unwrap(),
        state.clone(),
        certs.resolver(),
    )
    .await
    .unwrap();
    let addr = server.addr;
    register(&admin, &configuration(addr, &certs.ca_pem, "Fail")).await;

    // A privileged pod is refused with kubefort's message.
    let privileged = pod(PRIVILEGED_POD, "enforced", "priv");
    let start = Instant::now();
    let a = loop {
        let a = create_pod(&admin, "enforced", &privileged, false).await;
        if a.status != 201 {
            break a;
        }
        // Not yet called: the API server loads configurations asynchronously.
        call(
            &admin,
            "DELETE",
            "/api/v1/namespaces/enforced/pods/priv",
            None,
        )
        .await;
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the webhook is never called"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(
        a.message().starts_with("admission webhook \"workloads.webhook.kubefort.io\" denied the request: kubefort denied Pod enforced/priv: 1 finding at or above high: [critical] privileged-container"),
        "{}",
        a.message()
    );

    // A hardened pod is admitted without warnings.
    let a = create_pod(
        &admin,
        "enforced",
        &pod(HARDENED_POD, "enforced", "hardened"),
        false,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);

    // Lower findings reach the client as warnings.
    let a = create_pod(
        &admin,
        "enforced",
        &pod(SLOPPY_POD, "enforced", "sloppy"),
        false,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("kubefort [medium] latest-tag")),
        "{:?}",
        a.warnings
    );

    // A namespace labelled kubefort.io/enforce=off: admitted, with warnings.
    let a = create_pod(
        &admin,
        "warned",
        &pod(PRIVILEGED_POD, "warned", "priv"),
        false,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("kubefort [critical] privileged-container")),
        "{:?}",
        a.warnings
    );

    // Exempt by configuration; the webhook's own namespace is never sent.
    let before = state.metrics.decisions_of(Decision::Exempt);
    let a = create_pod(
        &admin,
        "exempt-me",
        &pod(PRIVILEGED_POD, "exempt-me", "priv"),
        false,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(state.metrics.decisions_of(Decision::Exempt), before + 1);
    let reviews = state.metrics.render();
    let a = create_pod(
        &admin,
        "kubefort",
        &pod(PRIVILEGED_POD, "kubefort", "priv"),
        false,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let count = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with("kubefort_webhook_review_duration_seconds_count"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(count(&reviews), count(&state.metrics.render()));

    // Dry run: the same decision, and nothing is created.
    let a = create_pod(
        &admin,
        "enforced",
        &pod(PRIVILEGED_POD, "enforced", "dry-priv"),
        true,
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = create_pod(
        &admin,
        "enforced",
        &pod(HARDENED_POD, "enforced", "dry"),
        true,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(
        call(&admin, "GET", "/api/v1/namespaces/enforced/pods/dry", None)
            .await
            .status,
        404
    );

    // UPDATE: leaving the existing violation alone is allowed, with a warning...
    let mut changed = call(&admin, "GET", &format!("{deployments}/legacy"), None)
        .await
        .body;
    changed["metadata"]["labels"] = json!({"team": "shop"});
    let a = call(
        &admin,
        "PUT",
        &format!("{deployments}/legacy"),
        Some(&changed),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        a.warnings.iter().any(|w| w.contains("privileged-container")
            && w.contains("already present before this update")),
        "{:?}",
        a.warnings
    );
    // ...adding a new one is refused.
    let mut worse = a.body.clone();
    worse["spec"]["template"]["spec"]["hostPID"] = json!(true);
    let a = call(
        &admin,
        "PUT",
        &format!("{deployments}/legacy"),
        Some(&worse),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(
        a.message().contains("host-pid") && !a.message().contains("privileged-container"),
        "{}",
        a.message()
    );
    // DELETE is allowed.
    assert_eq!(
        call(&admin, "DELETE", &format!("{deployments}/legacy"), None)
            .await
            .status,
        200
    );

    // Cluster-scoped objects go to the second webhook.
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "everything"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]});
    let a = call(
        &admin,
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        Some(&role),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(
        a.message().contains("cluster.webhook.kubefort.io")
            && a.message().contains("rbac-wildcard"),
        "{}",
        a.message()
    );

    // The webhook stops: failurePolicy Fail refuses...
    server.stop().await;
    let hardened = pod(HARDENED_POD, "enforced", "while-down");
    let a = create_pod(&admin, "enforced", &hardened, false).await;
    assert_eq!(a.status, 500, "{}", a.body);
    assert!(
        a.message().contains("failed calling webhook"),
        "{}",
        a.message()
    );
    // ...and Ignore admits.
    register(&admin, &configuration(addr, &certs.ca_pem, "Ignore")).await;
    eventually("failurePolicy Ignore applies", || {
        let (admin, hardened) = (&admin, &hardened);
        async move { create_pod(admin, "enforced", hardened, false).await.status == 201 }
    })
    .await;
    let a = create_pod(
        &admin,
        "enforced",
        &pod(PRIVILEGED_POD, "enforced", "priv-while-down"),
        false,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
}

/// The plain manifests are accepted by a real API server as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_server_accepts_the_plain_manifests() {
    let env = TestEnv::start(EnvOptions::default()).await.unwrap();
    let admin = env.client().await.unwrap();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/kubefort-webhook.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut kinds = Vec::new();
    for doc in load_str(&text, &Limits::default()) {
        let v = doc.unwrap().root.to_json();
        if v.is_null() {
            continue;
        }
        let kind = v["kind"].as_str().unwrap().to_string();
        let ns = v["metadata"]["namespace"].as_str().unwrap_or("kubefort");
        let url = match kind.as_str() {
            "Namespace" => "/api/v1/namespaces".to_string(),
            "ClusterRole" | "ClusterRoleBinding" => format!(
                "/apis/rbac.authorization.k8s.io/v1/{}s",
                kind.to_lowercase()
            ),
            "ServiceAccount" | "ConfigMap" | "Service" => {
                format!("/api/v1/namespaces/{ns}/{}s", kind.to_lowercase())
            }
            "Deployment" => format!("/apis/apps/v1/namespaces/{ns}/deployments"),
            "PodDisruptionBudget" => {
                format!("/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets")
            }
            "NetworkPolicy" => {
                format!("/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies")
            }
            other => panic!("no path for {other}"),
        };
        let a = call(&admin, "POST", &url, Some(&v)).await;
        assert_eq!(a.status, 201, "{kind}: {}", a.body);
        kinds.push(kind);
    }
    for k in [
        "Namespace",
        "Deployment",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ClusterRole",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    // The Deployment's pods meet the namespace's Pod Security level: a
    // server-side dry run of its pod template in the namespace passes.
    let d = call(
        &admin,
        "GET",
        "/apis/apps/v1/namespaces/kubefort/deployments/kubefort-webhook",
        None,
    )
    .await;
    let template = &d.body["spec"]["template"];
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe", "namespace": "kubefort", "labels": template["metadata"]["labels"]}, "spec": template["spec"]});
    let a = call(
        &admin,
        "POST",
        "/api/v1/namespaces/kubefort/pods?dryRun=All",
        Some(&pod),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
}

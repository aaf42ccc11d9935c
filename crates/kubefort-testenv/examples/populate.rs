//! Fill an API server with a realistic mix of objects, for the cluster
//! benchmark (`bench/cluster.sh`).
//!
//! ```text
//! cargo run -p kubefort-testenv --example populate -- KUBECONFIG TOTAL
//! ```
//!
//! Creates objects in namespaces `bench-0`, `bench-1`, … (100 objects each:
//! Deployments, Services, ConfigMaps, Secrets, ServiceAccounts, Roles,
//! RoleBindings, NetworkPolicies, Jobs, Pods; every third workload
//! insecure) until the cluster holds TOTAL objects created by this program;
//! objects that exist already are skipped, so it can grow a cluster in steps.

use serde_json::{json, Value};

/// The objects of namespace number `n`, with their collection paths.
fn namespace_objects(n: usize) -> Vec<(String, Value)> {
    let ns = format!("bench-{n}");
    let mut out = vec![(
        "/api/v1/namespaces".to_string(),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": format!("t{}", n % 7)}}}),
    )];
    let core = |plural: &str| format!("/api/v1/namespaces/{ns}/{plural}");
    let group = |g: &str, plural: &str| format!("/apis/{g}/namespaces/{ns}/{plural}");
    for i in 0..11 {
        let insecure = i % 3 == 0;
        let container = if insecure {
            json!({"name": "app", "image": "nginx:latest", "securityContext": {"privileged": true}})
        } else {
            json!({
                "name": "app", "image": "registry.example.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}}
            })
        };
        let name = format!("app-{i}");
        let labels = json!({"app": name});
        let spec = json!({"containers": [container], "automountServiceAccountToken": false});
        out.push((group("apps/v1", "deployments"), json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": spec}}
        })));
        out.push((
            core("services"),
            json!({
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                "spec": {"selector": labels, "ports": [{"port": 80}]}
            }),
        ));
        out.push((core("configmaps"), json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
            "data": {"settings.yaml": "level: info\nworkers: 4\n".repeat(8)}
        })));
        out.push((
            core("secrets"),
            json!({
                "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
                "stringData": {"password": format!("bench-{n}-{i}")}
            }),
        ));
        out.push((core("serviceaccounts"), json!({
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}
        })));
        out.push((group("rbac.authorization.k8s.io/v1", "roles"), json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name, "namespace": ns},
            "rules": [{"apiGroups": [""], "resources": if insecure { json!(["*"]) } else { json!(["configmaps"]) }, "verbs": ["get", "list"]}]
        })));
        out.push((group("rbac.authorization.k8s.io/v1", "rolebindings"), json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name, "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]
        })));
        out.push((group("networking.k8s.io/v1", "networkpolicies"), json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {"matchLabels": labels}, "ingress": [{"from": [{"podSelector": {}}]}]}
        })));
        if i < 7 {
            out.push((core("pods"), json!({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
                "spec": spec
            })));
        }
        if i < 4 {
            out.push((group("batch/v1", "jobs"), json!({
                "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": ns},
                "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": spec["containers"].clone()}}}
            })));
        }
    }
    out.truncate(100);
    out
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(kubeconfig), Some(total)) = (
        args.get(1),
        args.get(2).and_then(|t| t.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: populate KUBECONFIG TOTAL");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig");
    let kc = kube::config::Kubeconfig::from_yaml(&text).expect("kubeconfig YAML");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("kubeconfig");
    let client = kube::Client::try_from(config).expect("client");
    let mut objects = Vec::new();
    let mut n = 0;
    while objects.len() < total {
        objects.extend(namespace_objects(n));
        n += 1;
    }
    objects.truncate(total);
    // Namespaces first, then everything else, 32 requests in flight.
    let (namespaces, rest): (Vec<_>, Vec<_>) = objects
        .into_iter()
        .partition(|(_, v)| v["kind"] == "Namespace");
    for batch in [namespaces, rest] {
        let chunks: Vec<Vec<(String, Value)>> = batch
            .chunks(batch.len().div_ceil(32).max(1))
            .map(|c| c.to_vec())
            .collect();
        let mut tasks = tokio::task::JoinSet::new();
        for chunk in chunks {
            let client = client.clone();
            tasks.spawn(async move {
                for (path, body) in chunk {
                    let req = http::Request::post(&path)
                        .header("content-type", "application/json")
                        .body(serde_json::to_vec(&body).unwrap())
                        .unwrap();
                    match client.request::<Value>(req).await {
                        Ok(_) => {}
                        Err(kube::Error::Api(s)) if s.code == 409 => {}
                        Err(e) => panic!("creating {path}: {e}"),
                    }
                }
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.expect("a creating task");
        }
    }
    println!("{total}");
}

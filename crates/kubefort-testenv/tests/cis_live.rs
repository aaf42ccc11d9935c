//! The CIS control-plane rules on a live API server: the running test
//! kube-apiserver's own command line (read from /proc), stored in the API as
//! the mirror pod a kubelet would create for it, read back as JSON as
//! `kubefort cluster` reads pods, and checked.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use kubefort_core::{select_rules, Config, Engine};
use kubefort_testenv::{Options, TestEnv};

#[tokio::test(flavor = "multi_thread")]
async fn the_test_api_server_is_checked_through_its_pod() {
    let env = TestEnv::start(Options::default()).await.expect("testenv");
    let pid = env.apiserver_pid().expect("running");
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
    let argv: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    assert!(argv[0].ends_with("kube-apiserver"), "{argv:?}");

    let pod: Pod = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "kube-apiserver-node1",
            "namespace": "kube-system",
            "labels": {"component": "kube-apiserver", "tier": "control-plane"},
        },
        "spec": {
            "nodeName": "node1",
            "hostNetwork": true,
            "containers": [{
                "name": "kube-apiserver",
                "image": "registry.k8s.io/kube-apiserver:v1.37.2",
                "command": argv,
            }],
        },
    }))
    .unwrap();
    let pods: Api<Pod> = Api::namespaced(env.client().await.unwrap(), "kube-system");
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("create");
    let live = pods.get("kube-apiserver-node1").await.expect("get");
    let json = serde_json::to_string_pretty(&live).unwrap();

    let all = kubefort_rules::all();
    let mut config = Config::default();
    config.select = Some(vec!["cis".into()]);
    let rules = select_rules(&all, config.select.as_deref(), &[], &[]).unwrap();
    let report = Engine::new(rules, config).scan_str("kube-system/kube-apiserver-node1", &json);
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    let ids: BTreeSet<(String, String)> = report
        .findings
        .iter()
        .map(|f| {
            let id = f
                .message
                .split(':')
                .next()
                .unwrap()
                .trim_start_matches("CIS ")
                .to_string();
            (f.rule.to_string(), id)
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("apiserver-admission-plugins", "1.2.12"),
        ("apiserver-admission-plugins", "1.2.14"),
        ("apiserver-audit-log", "1.2.17"),
        ("apiserver-audit-log", "1.2.18"),
        ("apiserver-audit-log", "1.2.19"),
        ("apiserver-encryption-at-rest", "1.2.27"),
        ("apiserver-etcd-tls", "1.2.23"),
        ("apiserver-etcd-tls", "1.2.26"),
        ("apiserver-kubelet-tls", "1.2.4"),
        ("apiserver-kubelet-tls", "1.2.5"),
        ("apiserver-optional-admission-plugins", "1.2.11"),
        ("apiserver-optional-admission-plugins", "1.2.3"),
        ("apiserver-optional-admission-plugins", "1.2.9"),
        ("apiserver-service-account-tokens", "1.2.30"),
        ("control-plane-profiling", "1.2.15"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(ids, want);

    // A flag's finding points at its entry of `command` in the API's JSON.
    let i = argv
        .iter()
        .position(|a| a.starts_with("--etcd-servers=http://"))
        .unwrap();
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == "apiserver-etcd-tls" && f.message.contains("without TLS"))
        .unwrap();
    assert_eq!(f.path, format!("spec.containers[0].command[{i}]"));
    let line = json.lines().nth(f.location.line as usize - 1).unwrap();
    assert!(line.contains("--etcd-servers=http://"), "{line}");
    let i = argv
        .iter()
        .position(|a| a.starts_with("--disable-admission-plugins="))
        .unwrap();
    assert!(report
        .findings
        .iter()
        .any(|f| f.message.starts_with("CIS 1.2.12")
            && f.path == format!("spec.containers[0].command[{i}]")));
}

//! The environment starts a working, authorizing, auditing API server.

use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams, PostParams};
use kube::core::ObjectMeta;
use kubefort_testenv::{Options, TestEnv};

#[tokio::test(flavor = "multi_thread")]
async fn starts_authorizes_and_audits() {
    let env = TestEnv::start(Options::default())
        .await
        .expect("test environment");

    // The admin (system:masters) can do anything.
    let admin = env.client().await.unwrap();
    let ns: Api<Namespace> = Api::all(admin.clone());
    ns.create(
        &PostParams::default(),
        &Namespace {
            metadata: ObjectMeta {
                name: Some("team-a".into()),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let names: Vec<String> = ns
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert!(names.contains(&"team-a".to_string()), "{names:?}");

    // Another identity gets nothing without RBAC.
    let alice = env.client_as("alice", &["developers"]).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(alice, "team-a");
    match pods.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 403, "{s:?}"),
        other => panic!("alice listed pods: {other:?}"),
    }

    // Both requests are in the audit log, with their users.
    let log = std::fs::read_to_string(&env.audit_log).unwrap();
    assert!(log
        .lines()
        .any(|l| l.contains("\"team-a\"") && l.contains("kubefort-admin")));
    assert!(log
        .lines()
        .any(|l| l.contains("\"alice\"") && l.contains("\"forbid\"")
            || l.contains("\"alice\"") && l.contains("403")));

    let dir = env.dir().to_path_buf();
    drop(env);
    assert!(!dir.exists(), "the temporary directory is removed");
}

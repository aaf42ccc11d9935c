//! Pod Security verdicts of a real kube-apiserver against kubefort's.
//!
//! Every pod of the upstream conformance fixtures (one copy of each) and of
//! kubefort's own PSS fixtures is created with a server-side dry run in
//! namespaces that enforce each level at several policy versions. The API
//! server's answer (admitted, or forbidden by PodSecurity) must be
//! kubefort's. Pods the API server rejects as invalid before admission runs
//! are counted and skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, PostParams};
use kube::core::ObjectMeta;
use kubefort_core::yaml::{load_str, Limits};
use kubefort_core::FieldPath;
use kubefort_rules::pss::{evaluate, Level, Pod as PssPod, Version};
use kubefort_testenv::{Options, TestEnv};

fn upstream_fixtures() -> PathBuf {
    if let Some(d) = std::env::var_os("KUBEFORT_PSA_FIXTURES") {
        return PathBuf::from(d);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fetch-psa-fixtures.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .expect("runs the fetch script");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// One copy of every pod: upstream fixtures by file name, and kubefort's.
fn pods() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let root = upstream_fixtures();
    for level in ["baseline", "restricted"] {
        for v in std::fs::read_dir(root.join(level)).unwrap().flatten() {
            for sub in ["pass", "fail"] {
                let Ok(files) = std::fs::read_dir(v.path().join(sub)) else {
                    continue;
                };
                for f in files.flatten() {
                    let text = std::fs::read_to_string(f.path()).unwrap();
                    out.entry(text.clone()).or_insert(text);
                }
            }
        }
    }
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubefort-rules/tests/fixtures");
    for rule in std::fs::read_dir(own).unwrap().flatten() {
        if !rule.file_name().to_string_lossy().starts_with("pss-") {
            continue;
        }
        for f in std::fs::read_dir(rule.path()).unwrap().flatten() {
            let text = std::fs::read_to_string(f.path()).unwrap();
            if text.contains("kind: Pod\n") {
                out.insert(text.clone(), text);
            }
        }
    }
    out
}

fn kubefort_allows(text: &str, level: Level, version: &str) -> bool {
    let root = load_str(text, &Limits::default()).remove(0).unwrap().root;
    let pod = PssPod::from_nodes(
        root.get("spec").unwrap(),
        FieldPath::root().key("spec"),
        root.get("metadata"),
        FieldPath::root().key("metadata"),
    );
    evaluate(&pod, level, Version::parse(version).unwrap()).is_empty()
}

#[tokio::test(flavor = "multi_thread")]
async fn api_server_and_kubefort_agree_on_pod_security() {
    let env = TestEnv::start(Options::default())
        .await
        .expect("test environment");
    let client = env.client().await.unwrap();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let versions = ["v1.0", "v1.22", "v1.25", "v1.30", "v1.35", "latest"];
    let mut ns_of = Vec::new();
    for level in [Level::Baseline, Level::Restricted] {
        for v in versions {
            let name = format!("{}-{}", level, v.replace('.', "-"));
            let mut labels = BTreeMap::new();
            labels.insert(
                "pod-security.kubernetes.io/enforce".to_string(),
                level.to_string(),
            );
            labels.insert(
                "pod-security.kubernetes.io/enforce-version".to_string(),
                v.to_string(),
            );
            let ns = Namespace {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    labels: Some(labels),
                    ..Default::default()
                },
                ..Default::default()
            };
            namespaces
                .create(&PostParams::default(), &ns)
                .await
                .unwrap();
            ns_of.push((level, v, name));
        }
    }
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let (mut agreed, mut invalid, mut disagreements) = (0, 0, Vec::new());
    for text in pods().values() {
        let json = load_str(text, &Limits::default())
            .remove(0)
            .unwrap()
            .root
            .to_json();
        let mut pod: Pod = serde_json::from_value(json).unwrap();
        for (level, version, ns) in &ns_of {
            pod.metadata.namespace = Some(ns.clone());
            let api: Api<Pod> = Api::namespaced(client.clone(), ns);
            let server = match api.create(&dry, &pod).await {
                Ok(_) => true,
                Err(kube::Error::Api(s)) if s.code == 403 && s.message.contains("PodSecurity") => {
                    false
                }
                Err(kube::Error::Api(s)) if s.code == 422 => {
                    invalid += 1;
                    continue;
                }
                Err(e) => panic!("{}: {e}", pod.metadata.name.clone().unwrap_or_default()),
            };
            let ours = kubefort_allows(text, *level, version);
            if ours == server {
                agreed += 1;
            } else {
                disagreements.push(format!(
                    "{} in {ns}: API server {}, kubefort {}",
                    pod.metadata.name.clone().unwrap_or_default(),
                    if server { "admits" } else { "rejects" },
                    if ours { "admits" } else { "rejects" }
                ));
            }
        }
    }
    eprintln!("{agreed} verdicts agree; {invalid} invalid pods skipped");
    assert!(agreed > 500, "too few comparisons: {agreed}");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

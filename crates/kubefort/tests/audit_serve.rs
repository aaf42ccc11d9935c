//! `kubefort audit serve`, the binary, as a real kube-apiserver's audit
//! webhook backend: a privileged pod created through the API server is
//! reported on standard output within seconds; SIGTERM stops it cleanly
//! with a summary.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use kubefort_testenv::{Options, TestEnv};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};

fn certificates(dir: &Path) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "kubefort-audit-ca");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = p.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("tls.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_receives_the_api_servers_events() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubefort"))
        .args([
            "audit",
            "serve",
            "--no-config",
            "--listen",
            "127.0.0.1:0",
            "--format",
            "json",
        ])
        .arg("--tls-cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("tls.key"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    let webhook = dir.path().join("webhook.kubeconfig");
    std::fs::write(
        &webhook,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: {url}/audit\n    certificate-authority: {}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: d\n  context:\n    cluster: k\n    user: u\ncurrent-context: d\n",
            dir.path().join("ca.pem").display()
        ),
    )
    .unwrap();
    let env = TestEnv::start(Options {
        audit_policy: std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/audit-policy.yaml"),
        )
        .unwrap(),
        audit_webhook: Some(webhook),
        extra_args: vec!["--allow-privileged=true".into()],
        ..Options::default()
    })
    .await
    .expect("test environment");

    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            if tx.send(l.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let alice = env.client_as("alice", &["system:masters"]).await.unwrap();
    let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"root-shell","namespace":"default"},"spec":{"containers":[{"name":"x","image":"alpine:3.20","securityContext":{"privileged":true}}]}}"#;
    let req = http::Request::post("/api/v1/namespaces/default/pods")
        .header("content-type", "application/json")
        .body(pod.as_bytes().to_vec())
        .unwrap();
    alice.request_text(req).await.expect("the pod is created");

    let line = tokio::task::spawn_blocking(move || loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) if l.contains("audit-privileged-pod") => break Some(l),
            Ok(_) => continue,
            Err(_) => break None,
        }
    })
    .await
    .unwrap()
    .expect("an alert within 30 s");
    let alert: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(alert["user"], "alice");
    assert_eq!(alert["name"], "root-shell");
    assert!(
        alert.get("source").is_none(),
        "live alerts have no file position"
    );

    // SIGTERM: the queue is drained, the summary printed, exit 0.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let code = child.wait().unwrap();
    assert_eq!(code.code(), Some(0), "{rest}");
    assert!(rest.contains("Summary"), "{rest}");
    drop(env);
}

//! `kubefort audit serve` as the real API server's audit webhook backend:
//! the same attack steps as the file test, received live in EventList
//! batches over mutual TLS, judged, and counted at /metrics. And what the
//! receiver does when its queue is full.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::config::{KubeConfigOptions, Kubeconfig};
use kubefort_audit::serve::{self, Metrics};
use kubefort_audit::{Alert, AuditConfig, Detector};
use kubefort_testenv::{Options, TestEnv};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};

/// A CA, a serving certificate for 127.0.0.1 and a client certificate, as files.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn pki(dir: &Path) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "audit-receiver-ca");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = p.signed_by(&key, &issuer).unwrap();
    let ckey = KeyPair::generate().unwrap();
    let mut c = CertificateParams::new(Vec::<String>::new()).unwrap();
    c.distinguished_name
        .push(DnType::CommonName, "kube-apiserver-audit");
    c.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let ccert = c.signed_by(&ckey, &issuer).unwrap();
    let w = |n: &str, t: String| {
        let p = dir.join(n);
        std::fs::write(&p, t).unwrap();
        p
    };
    Pki {
        ca: w("ca.pem", ca_cert.pem()),
        cert: w("tls.crt", cert.pem()),
        key: w("tls.key", key.serialize_pem()),
        client_cert: w("client.crt", ccert.pem()),
        client_key: w("client.key", ckey.serialize_pem()),
    }
}

/// A kubeconfig naming the receiver, as the API server and clients read it.
fn kubeconfig(pki: &Pki, url: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: kubefort\n  cluster:\n    server: {url}\n    certificate-authority: {}\nusers:\n- name: apiserver\n  user:\n    client-certificate: {}\n    client-key: {}\ncontexts:\n- name: default\n  context:\n    cluster: kubefort\n    user: apiserver\ncurrent-context: default\n",
        pki.ca.display(),
        pki.client_cert.display(),
        pki.client_key.display()
    )
}

async fn client(kc: &str) -> kube::Client {
    let kc = Kubeconfig::from_yaml(kc).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

/// Start a receiver on a free port; the caller judges (or not) from the returned queue.
async fn start(
    pki: &Pki,
    queue: usize,
) -> (
    String,
    std::sync::mpsc::Receiver<bytes::Bytes>,
    Arc<Metrics>,
    tokio::sync::oneshot::Sender<()>,
) {
    let (tx, rx) = sync_channel(queue);
    let metrics = Arc::new(Metrics::default());
    let opts = serve::Options {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls_cert: pki.cert.clone(),
        tls_key: pki.key.clone(),
        client_ca: Some(pki.ca.clone()),
        queue,
    };
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let m = metrics.clone();
    tokio::spawn(async move {
        serve::run(
            &opts,
            8 << 20,
            tx,
            m,
            |a| {
                let _ = addr_tx.send(a);
            },
            async {
                let _ = stop_rx.await;
            },
        )
        .await
        .unwrap();
    });
    let addr = addr_rx.await.unwrap();
    (format!("https://{addr}"), rx, metrics, stop_tx)
}

/// One HTTP/1.1 request over mutual TLS, without retries: the status code.
async fn raw_post(pki: &Pki, url: &str, body: &str) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("https://");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&pki.ca).unwrap())
        .unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_auth_cert(
        vec![CertificateDer::from_pem_file(&pki.client_cert).unwrap()],
        PrivateKeyDer::from_pem_file(&pki.client_key).unwrap(),
    )
    .unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    let req = format!(
        "POST /audit HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut resp = Vec::new();
    let _ = tls.read_to_end(&mut resp).await;
    let text = String::from_utf8_lossy(&resp);
    if text.contains("429") {
        assert!(
            text.to_ascii_lowercase().contains("retry-after: 1"),
            "{text}"
        );
    }
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_receiver_judges_the_api_servers_batches() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let (url, rx, metrics, _stop) = start(&pki, 256).await;

    let (alert_tx, alert_rx) = std::sync::mpsc::channel::<Alert>();
    let m2 = metrics.clone();
    let judge = std::thread::spawn(move || {
        let det = Detector::new(
            kubefort_audit::select_rules(None, &[], &[]).unwrap(),
            AuditConfig::default(),
        );
        let mut errors = Vec::new();
        let det = serve::judge(
            det,
            rx,
            m2,
            &mut |a| {
                let _ = alert_tx.send(a.clone());
            },
            &mut |e| errors.push(e),
        );
        (det, errors)
    });

    let webhook = dir.path().join("webhook.kubeconfig");
    std::fs::write(&webhook, kubeconfig(&pki, &format!("{url}/audit"))).unwrap();
    let env = TestEnv::start(Options {
        audit_policy: common::POLICY.to_string(),
        audit_webhook: Some(webhook),
        extra_args: vec![
            "--anonymous-auth=true".into(),
            "--allow-privileged=true".into(),
        ],
        ..Options::default()
    })
    .await
    .expect("test environment");
    common::run_scenario(&env).await;

    // The API server sends a batch at least every second.
    let want = common::expected();
    let mut alerts: Vec<Alert> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        while let Ok(a) = alert_rx.try_recv() {
            alerts.push(a);
        }
        let got: BTreeSet<(String, String)> = alerts
            .iter()
            .map(|a| (a.user.clone(), a.rule.to_string()))
            .collect();
        if want.is_subset(&got) {
            let extra: Vec<_> = got.difference(&want).collect();
            assert!(extra.is_empty(), "unexpected alerts {extra:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "missing {:?}\nmetrics:\n{}\napiserver:\n{}\nreceived:\n{}",
            want.difference(&got).collect::<Vec<_>>(),
            metrics.render(),
            env.apiserver_log()
                .lines()
                .filter(|l| l.contains("udit") || l.contains("webhook"))
                .take(20)
                .collect::<Vec<_>>()
                .join("\n"),
            alerts
                .iter()
                .map(|a| kubefort_audit::output::text(a, false))
                .collect::<String>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Live alerts carry no file position.
    assert!(alerts.iter().all(|a| a.source.is_none()));

    // /metrics over the same mutual TLS.
    let c = client(&kubeconfig(&pki, &url)).await;
    let text = c
        .request_text(http::Request::get("/metrics").body(Vec::new()).unwrap())
        .await
        .unwrap();
    let value = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
    };
    assert!(value("kubefort_audit_batches_total") > 0);
    assert!(value("kubefort_audit_events_total") > 100);
    assert_eq!(value("kubefort_audit_batches_rejected_total"), 0);
    assert_eq!(value("kubefort_audit_events_invalid_total"), 0);
    assert!(
        text.contains(
            "kubefort_audit_alerts_total{rule=\"audit-privileged-pod\",severity=\"high\"} 1"
        ),
        "{text}"
    );

    // A client without a certificate signed by the client CA is refused.
    let anon = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: {url}\n    certificate-authority: {}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: d\n  context:\n    cluster: k\n    user: u\ncurrent-context: d\n",
        pki.ca.display()
    );
    let r = client(&anon)
        .await
        .request_text(http::Request::get("/metrics").body(Vec::new()).unwrap())
        .await;
    assert!(r.is_err(), "no client certificate, no answer");

    drop(env);
    drop(_stop);
    drop(c);
    // The judge ends when the server and its connections are gone.
    let _ = judge;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_queue_refuses_batches_with_429_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    // Nobody judges yet: one batch fills the queue.
    let (url, rx, metrics, _stop) = start(&pki, 1).await;
    let sample = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/audit/audit.log"),
    )
    .unwrap();
    let items: Vec<&str> = sample.lines().take(10).collect();
    let batch = format!(
        "{{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"metadata\":{{}},\"items\":[{}]}}",
        items.join(",")
    );
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(raw_post(&pki, &url, &batch).await);
    }
    assert_eq!(codes, vec![200, 429, 429, 429, 429]);
    let text = metrics.render();
    assert!(text.contains("kubefort_audit_batches_total 1\n"), "{text}");
    assert!(
        text.contains("kubefort_audit_batches_rejected_total 4\n"),
        "{text}"
    );
    assert!(
        text.contains("kubefort_audit_events_rejected_total 40\n"),
        "{text}"
    );
    assert!(text.contains("kubefort_audit_queue_depth 1\n"), "{text}");

    // A malformed batch and a malformed item are counted, the rest judged.
    drop(_stop);
    let det = Detector::new(
        kubefort_audit::select_rules(None, &[], &[]).unwrap(),
        AuditConfig::default(),
    );
    let (tx2, rx2) = sync_channel(4);
    tx2.send(rx.recv().unwrap()).unwrap();
    tx2.send(bytes::Bytes::from_static(b"{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v2\"}]}")).unwrap();
    tx2.send(bytes::Bytes::from_static(
        b"{\"kind\":\"EventList\",\"items\":[",
    ))
    .unwrap();
    drop(tx2);
    let mut errors = Vec::new();
    let det = serve::judge(det, rx2, metrics.clone(), &mut |_| {}, &mut |e| {
        errors.push(e)
    });
    assert_eq!(det.stats.events, 10);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("batch 2 item 0: unsupported apiVersion"),
        "{errors:?}"
    );
    assert!(errors[1].contains("batch 3: truncated JSON"), "{errors:?}");
}

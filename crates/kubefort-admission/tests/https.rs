//! The webhook over real HTTPS: decisions, endpoints, hostile input,
//! limits, certificate reload and graceful shutdown.

mod common;

use std::time::Duration;

use common::*;
use kubefort_admission::server::Options;
use tokio::io::AsyncWriteExt;

fn quick() -> Options {
    Options {
        header_timeout: Duration::from_millis(400),
        body_timeout: Duration::from_millis(600),
        queue_timeout: Duration::from_millis(300),
        reload_interval: Duration::from_millis(100),
        drain_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

fn response(r: &Reply) -> serde_json::Value {
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["kind"], "AdmissionReview");
    v["response"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denies_privileged_admits_hardened_and_warns() {
    let (server, certs) = start("", quick()).await;
    let mut c = Conn::open(server.addr, &certs.ca_pem).await.unwrap();

    let r = response(
        &c.post(
            "/validate",
            review("u1", "CREATE", "shop", &in_ns(PRIVILEGED_POD, "shop"), None),
        )
        .await,
    );
    assert_eq!(r["uid"], "u1");
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 403);
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(msg.starts_with("kubefort denied Pod shop/priv: 1 finding at or above high: [critical] privileged-container"), "{msg}");
    assert!(
        msg.contains("spec.containers[0].securityContext.privileged"),
        "{msg}"
    );
    assert_eq!(r["auditAnnotations"]["decision"], "denied");

    let r = response(
        &c.post(
            "/validate",
            review("u2", "CREATE", "shop", &in_ns(HARDENED_POD, "shop"), None),
        )
        .await,
    );
    assert_eq!(r["allowed"], true, "{r}");
    assert!(r.get("warnings").is_none(), "{r}");
    assert!(r.get("status").is_none());

    let r = response(
        &c.post(
            "/validate",
            review("u3", "CREATE", "shop", &in_ns(SLOPPY_POD, "shop"), None),
        )
        .await,
    );
    assert_eq!(r["allowed"], true);
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("kubefort [medium] latest-tag:")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("missing-memory-limit")),
        "{warnings:?}"
    );
    assert_eq!(r["auditAnnotations"]["decision"], "warned");
    assert!(r["auditAnnotations"]["findings"]
        .as_str()
        .unwrap()
        .contains("latest-tag(medium)@spec.containers[0].image"));

    // The same rule in a Deployment's template, found at the template's path.
    let deploy = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"hostPID":true,"containers":[{"name":"c","image":"registry.example/app:1"}]}}}}"#;
    let r = response(
        &c.post("/validate", review("u4", "CREATE", "shop", deploy, None))
            .await,
    );
    assert_eq!(r["allowed"], false);
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("host-pid")
            && r["status"]["message"]
                .as_str()
                .unwrap()
                .contains("spec.template.spec.hostPID"),
        "{r}"
    );

    // RBAC: a Role with wildcards.
    let role = r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"all","namespace":"shop"},"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}"#;
    let r = response(
        &c.post("/validate", review("u5", "CREATE", "shop", role, None))
            .await,
    );
    assert_eq!(r["allowed"], false, "{r}");
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("rbac-wildcard"),
        "{r}"
    );

    // A RoleBinding to a Role the request does not carry is not "missing".
    let binding = r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b","namespace":"shop"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"},"subjects":[{"kind":"User","name":"bob","apiGroup":"rbac.authorization.k8s.io"}]}"#;
    let r = response(
        &c.post("/validate", review("u6", "CREATE", "shop", binding, None))
            .await,
    );
    assert_eq!(r["allowed"], true, "{r}");
    assert!(!r.to_string().contains("rbac-missing-role"), "{r}");

    let m = c.get("/metrics").await;
    assert_eq!(m.status, 200);
    assert!(m.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let t = m.text();
    assert!(t.contains("kubefort_webhook_admission_reviews_total{decision=\"denied\",operation=\"CREATE\"} 3\n"), "{t}");
    assert!(t.contains("kubefort_webhook_rule_findings_total{rule=\"privileged-container\",action=\"denied\"} 1\n"), "{t}");
    assert!(
        t.contains("kubefort_webhook_review_duration_seconds_count 6\n"),
        "{t}"
    );
    assert_eq!(c.get("/healthz").await.status, 200);
    assert_eq!(c.get("/readyz").await.status, 200);
    assert_eq!(c.get("/nope").await.status, 404);
    let r = c.get("/validate").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.headers["allow"], "POST");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_modes_exemptions_updates_deletes_and_dry_runs() {
    let policy = "webhook:\n  namespaces:\n  - match: [\"sandbox-*\"]\n    enforce: off\n  exempt:\n    namespaces: [kube-system]\n    usernames: [\"system:serviceaccount:ci:*\"]\n    groups: [breakglass]\n";
    let (server, certs) = start(policy, quick()).await;
    let mut c = Conn::open(server.addr, &certs.ca_pem).await.unwrap();
    let priv_in = |ns: &str| in_ns(PRIVILEGED_POD, ns);

    // Warn mode: admitted, the finding becomes a warning.
    let r = response(
        &c.post(
            "/validate",
            review("a", "CREATE", "sandbox-1", &priv_in("sandbox-1"), None),
        )
        .await,
    );
    assert_eq!(r["allowed"], true);
    assert!(
        r["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("kubefort [critical] privileged-container"),
        "{r}"
    );

    // Exempt namespace, user, group.
    let r = response(
        &c.post(
            "/validate",
            review("b", "CREATE", "kube-system", &priv_in("kube-system"), None),
        )
        .await,
    );
    assert_eq!(r["allowed"], true);
    assert_eq!(
        r["auditAnnotations"]["exempt"],
        "namespace kube-system is exempt"
    );
    let by_ci = review("c", "CREATE", "shop", &priv_in("shop"), None)
        .replace("\"alice\"", "\"system:serviceaccount:ci:deployer\"");
    assert_eq!(response(&c.post("/validate", by_ci).await)["allowed"], true);
    let by_group =
        review("d", "CREATE", "shop", &priv_in("shop"), None).replace("\"dev\"", "\"breakglass\"");
    assert_eq!(
        response(&c.post("/validate", by_group).await)["allowed"],
        true
    );

    // UPDATE that leaves an existing violation alone: allowed, with a warning.
    let old = priv_in("shop");
    let new = old.replace(
        "\"name\":\"priv\",",
        "\"name\":\"priv\",\"labels\":{\"x\":\"y\"},",
    );
    let r = response(
        &c.post("/validate", review("e", "UPDATE", "shop", &new, Some(&old)))
            .await,
    );
    assert_eq!(r["allowed"], true, "{r}");
    assert!(
        r["warnings"][0]
            .as_str()
            .unwrap()
            .contains("already present before this update"),
        "{r}"
    );
    // UPDATE that adds a violation: denied.
    let hardened = in_ns(HARDENED_POD, "shop").replace("hardened", "priv");
    let r = response(
        &c.post(
            "/validate",
            review("f", "UPDATE", "shop", &old, Some(&hardened)),
        )
        .await,
    );
    assert_eq!(r["allowed"], false, "{r}");

    // DELETE is allowed whatever the object.
    let r = response(
        &c.post(
            "/validate",
            review("g", "DELETE", "shop", "null", Some(&old)),
        )
        .await,
    );
    assert_eq!(r["allowed"], true);

    // Dry run: the same decision, marked.
    let dry =
        review("h", "CREATE", "shop", &old, None).replace("\"dryRun\":false", "\"dryRun\":true");
    let r = response(&c.post("/validate", dry).await);
    assert_eq!(r["allowed"], false);
    assert_eq!(r["auditAnnotations"]["dry-run"], "true");

    // Status updates carry no spec change kubefort judges.
    let status = review("i", "UPDATE", "shop", &old, Some(&old)).replace(
        "\"name\":\"priv\",\"namespace\"",
        "\"subResource\":\"status\",\"name\":\"priv\",\"namespace\"",
    );
    assert_eq!(
        response(&c.post("/validate", status).await)["allowed"],
        true
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_all_judges_the_new_object_alone() {
    let (server, certs) = start("webhook:\n  update: all\n", quick()).await;
    let mut c = Conn::open(server.addr, &certs.ca_pem).await.unwrap();
    let old = in_ns(PRIVILEGED_POD, "shop");
    let r = response(
        &c.post("/validate", review("e", "UPDATE", "shop", &old, Some(&old)))
            .await,
    );
    assert_eq!(r["allowed"], false, "{r}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_reviews_get_clear_errors() {
    let (server, certs) = start("", quick()).await;
    let mut c = Conn::open(server.addr, &certs.ca_pem).await.unwrap();
    for (body, want) in [
        ("{not json".to_string(), "not an admission.k8s.io/v1 AdmissionReview: the body is not an AdmissionReview: key must be a string"),
        (r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}"#.to_string(), "admissionReviewVersions: [v1]"),
        (r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_string(), "request is missing"),
        ("".to_string(), "EOF while parsing"),
    ] {
        let r = c.post("/validate", body.clone()).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.text().contains(want), "{body}: {}", r.text());
    }
    // With a UID, the answer is an AdmissionReview the API server shows.
    let no_object = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u9","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"shop"}}"#;
    let r = response(&c.post("/validate", no_object).await);
    assert_eq!(r["uid"], "u9");
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 400);
    assert!(r["status"]["message"]
        .as_str()
        .unwrap()
        .contains("request.object is missing"));

    // An object the API server would not accept: refused with the field.
    let bad =
        in_ns(PRIVILEGED_POD, "shop").replace("\"privileged\":true", "\"privileged\":\"yes\"");
    let r = response(
        &c.post("/validate", review("u10", "CREATE", "shop", &bad, None))
            .await,
    );
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 400);
    let m = r["status"]["message"].as_str().unwrap();
    assert!(
        m.starts_with("kubefort cannot check Pod shop/priv:") && m.contains("privileged"),
        "{m}"
    );

    // Deep nesting: refused, the server stays up.
    let deep = format!("{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"d\"}},\"data\":{}1{}}}", "[".repeat(50_000), "]".repeat(50_000));
    let body = review("u11", "CREATE", "shop", HARDENED_POD, None).replace(HARDENED_POD, &deep);
    let r = c.post("/validate", body).await;
    assert!(
        r.status == 400 || r.json()["response"]["allowed"] == false,
        "{}",
        r.status
    );
    assert!(
        r.text().contains("recursion limit") || r.text().contains("nest"),
        "{}",
        &r.text()[..r.text().len().min(300)]
    );

    // 10 MB: refused from Content-Length, before reading.
    // The server answers and closes without reading the rest.
    let mut s = tls_stream(server.addr, &certs.ca_pem).await.unwrap();
    let len = 10 * 1024 * 1024;
    s.write_all(
        format!("POST /validate HTTP/1.1\r\nhost: x\r\ncontent-length: {len}\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let _ = s.write_all(&vec![b' '; 256 * 1024]).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_end(&mut s, &mut buf),
    )
    .await;
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(
        text.contains("the request body is 10485760 bytes; the limit is 7340032 (--max-body-size)"),
        "{text}"
    );
    assert_eq!(c.get("/healthz").await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_chunked_bodies_slow_clients_and_overload() {
    let opts = Options {
        max_in_flight: 1,
        max_body_bytes: 1024 * 1024,
        ..quick()
    };
    let (server, certs) = start("", opts).await;

    // A chunked body without Content-Length is cut at the limit.
    let mut s = tls_stream(server.addr, &certs.ca_pem).await.unwrap();
    s.write_all(b"POST /validate HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut answer = Vec::new();
    for _ in 0..40 {
        let head = format!("{:x}\r\n", chunk.len());
        if s.write_all(head.as_bytes()).await.is_err()
            || s.write_all(&chunk).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_end(&mut s, &mut answer),
    )
    .await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // A client that never finishes its headers is disconnected.
    let mut slow = tls_stream(server.addr, &certs.ca_pem).await.unwrap();
    slow.write_all(b"POST /validate HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(3),
        tokio::io::AsyncReadExt::read_to_end(&mut slow, &mut buf),
    )
    .await;
    assert!(read.is_ok(), "the slow client was not disconnected");

    // A client that never finishes its body holds the only slot, then gets 408;
    // meanwhile another review waits, then gets 503.
    let mut stalled = tls_stream(server.addr, &certs.ca_pem).await.unwrap();
    stalled
        .write_all(b"POST /validate HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut c = Conn::open(server.addr, &certs.ca_pem).await.unwrap();
    let r = c
        .post(
            "/validate",
            review("o", "CREATE", "shop", &in_ns(HARDENED_POD, "shop"), None),
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("too many reviews in flight"));
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(
        Duration::from_secs(3),
        tokio::io::AsyncReadExt::read_to_end(&mut stalled, &mut buf),
    )
    .await;
    let buf = String::from_utf8_lossy(&buf);
    assert!(buf.starts_with("HTTP/1.1 408"), "{buf}");
    // And the slot is free again.
    let r = c
        .post(
            "/validate",
            review("p", "CREATE", "shop", &in_ns(HARDENED_POD, "shop"), None),
        )
        .await;
    assert_eq!(response(&r)["allowed"], true);
    let t = c.get("/metrics").await.text();
    for reason in ["body_too_large", "body_timeout", "overloaded"] {
        assert!(
            t.contains(&format!(
                "kubefort_webhook_rejected_requests_total{{reason=\"{reason}\"}} 1\n"
            )),
            "{reason}: {t}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_reload_without_dropping_connections() {
    let opts = Options {
        header_timeout: Duration::from_secs(30),
        ..quick()
    };
    let (server, certs) = start("", opts).await;
    let mut old_conn = Conn::open(server.addr, &certs.ca_pem).await.unwrap();
    assert_eq!(old_conn.get("/healthz").await.status, 200);
    let new_ca = certs.rotate();
    let mut reloaded = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if Conn::open(server.addr, &new_ca).await.is_ok() {
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "the new certificate was never served");
    // New handshakes no longer offer the old certificate...
    assert!(Conn::open(server.addr, &certs.ca_pem).await.is_err());
    // ...and the connection opened before the rotation still works.
    assert_eq!(old_conn.get("/healthz").await.status, 200);
    let t = old_conn.get("/metrics").await.text();
    assert!(
        t.contains("kubefort_webhook_certificate_reloads_total{result=\"success\"} 1\n"),
        "{t}"
    );

    // Broken files: the previous certificate stays.
    std::fs::write(&certs.cert, "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(Conn::open(server.addr, &new_ca).await.is_ok());
    let t = old_conn.get("/metrics").await.text();
    assert!(
        t.contains("kubefort_webhook_certificate_reloads_total{result=\"error\"}"),
        "{t}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_fails_readiness_then_drains_in_flight_requests() {
    let opts = Options {
        shutdown_delay: Duration::from_millis(500),
        body_timeout: Duration::from_secs(5),
        ..quick()
    };
    let (mut server, certs) = start("", opts).await;
    let addr = server.addr;
    let mut probe = Conn::open(addr, &certs.ca_pem).await.unwrap();
    // A review in flight: headers sent, body still coming.
    let mut inflight = tls_stream(addr, &certs.ca_pem).await.unwrap();
    let body = review("z", "CREATE", "shop", &in_ns(HARDENED_POD, "shop"), None);
    let head = format!(
        "POST /validate HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    inflight.write_all(head.as_bytes()).await.unwrap();
    inflight.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    server.begin_stop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(probe.get("/readyz").await.status, 503);
    assert_eq!(probe.get("/healthz").await.status, 200);
    tokio::time::sleep(Duration::from_millis(600)).await;
    // The listener is closed now, the in-flight request still completes.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    inflight.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_end(&mut inflight, &mut buf),
    )
    .await
    .unwrap()
    .unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"allowed\":true"), "{text}");
    tokio::time::timeout(Duration::from_secs(5), server.wait())
        .await
        .unwrap();
}

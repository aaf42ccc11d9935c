//! `kubefort audit serve`: the receiver of the API server's audit webhook
//! backend. It accepts `EventList` batches over HTTPS (optionally requiring
//! client certificates), queues them in a bounded queue, judges them in
//! order on one thread, and exposes its counters at `/metrics`.
//!
//! When the queue is full the batch is refused with `429 Too Many Requests`
//! and `Retry-After: 1`: the API server's webhook backend retries it with
//! backoff, so nothing is lost silently; every refusal is counted here
//! (`kubefort_audit_batches_rejected_total`), and a batch the API server
//! finally gives up on is counted there (`apiserver_audit_error_total`).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::detect::{Alert, Detector};
use crate::event::{describe_json_error, Event, EventList};

/// How to run the receiver.
pub struct Options {
    pub listen: SocketAddr,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    /// Require client certificates signed by this CA (the API server's
    /// webhook kubeconfig names the client certificate).
    pub client_ca: Option<PathBuf>,
    /// Batches waiting to be judged before new ones are refused.
    pub queue: usize,
}

/// The receiver's counters, exported at `/metrics`.
#[derive(Default)]
pub struct Metrics {
    pub batches: AtomicU64,
    pub batches_rejected: AtomicU64,
    pub batches_invalid: AtomicU64,
    pub batches_oversized: AtomicU64,
    pub events: AtomicU64,
    pub events_invalid: AtomicU64,
    pub events_rejected: AtomicU64,
    pub queue_depth: AtomicU64,
    pub queue_capacity: AtomicU64,
    pub alerts: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    pub suppressed: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let mut counter = |name: &str, help: &str, v: u64| {
            s += &format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n");
        };
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            "kubefort_audit_batches_total",
            "EventList batches accepted.",
            l(&self.batches),
        );
        counter(
            "kubefort_audit_batches_rejected_total",
            "Batches refused with 429 because the queue was full (the API server retries them).",
            l(&self.batches_rejected),
        );
        counter(
            "kubefort_audit_batches_invalid_total",
            "Batches that were not an audit.k8s.io/v1 EventList.",
            l(&self.batches_invalid),
        );
        counter(
            "kubefort_audit_batches_oversized_total",
            "Batches over the size limit, refused with 413.",
            l(&self.batches_oversized),
        );
        counter(
            "kubefort_audit_events_total",
            "Events judged.",
            l(&self.events),
        );
        counter(
            "kubefort_audit_events_invalid_total",
            "Items of accepted batches that were not valid audit events.",
            l(&self.events_invalid),
        );
        counter(
            "kubefort_audit_events_rejected_total",
            "Events in batches refused with 429 (counted by their auditID keys).",
            l(&self.events_rejected),
        );
        s += &format!(
            "# HELP kubefort_audit_queue_depth Batches waiting to be judged.\n# TYPE kubefort_audit_queue_depth gauge\nkubefort_audit_queue_depth {}\n",
            l(&self.queue_depth)
        );
        s += &format!(
            "# HELP kubefort_audit_queue_capacity Batches the queue holds.\n# TYPE kubefort_audit_queue_capacity gauge\nkubefort_audit_queue_capacity {}\n",
            l(&self.queue_capacity)
        );
        s += "# HELP kubefort_audit_alerts_total Alerts raised, by rule and severity.\n# TYPE kubefort_audit_alerts_total counter\n";
        for ((rule, sev), n) in self.alerts.lock().expect("metrics lock").iter() {
            s +=
                &format!("kubefort_audit_alerts_total{{rule=\"{rule}\",severity=\"{sev}\"}} {n}\n");
        }
        s += "# HELP kubefort_audit_alerts_suppressed_total Alerts suppressed by configured exceptions, by rule.\n# TYPE kubefort_audit_alerts_suppressed_total counter\n";
        for (rule, n) in self.suppressed.lock().expect("metrics lock").iter() {
            s += &format!("kubefort_audit_alerts_suppressed_total{{rule=\"{rule}\"}} {n}\n");
        }
        s
    }
}

/// Load the serving certificate chain and key, and the client CA.
pub fn tls_config(opts: &Options) -> Result<rustls::ServerConfig, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&opts.tls_cert)
        .map_err(|e| format!("{}: {e}", opts.tls_cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", opts.tls_cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate", opts.tls_cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(&opts.tls_key).map_err(|e| {
        format!(
            "{}: {e} (expected a PEM private key)",
            opts.tls_key.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match &opts.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in
                CertificateDer::pem_file_iter(ca).map_err(|e| format!("{}: {e}", ca.display()))?
            {
                let c = c.map_err(|e| format!("{}: {e}", ca.display()))?;
                roots.add(c).map_err(|e| format!("{}: {e}", ca.display()))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| format!("{}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut cfg = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("{}: {e}", opts.tls_key.display()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Judge the queued batches, in order, until every sender is gone.
pub fn judge(
    mut det: Detector,
    rx: Receiver<Bytes>,
    metrics: Arc<Metrics>,
    emit: &mut dyn FnMut(&Alert),
    on_error: &mut dyn FnMut(String),
) -> Detector {
    let mut batch_no: u64 = 0;
    while let Ok(body) = rx.recv() {
        let _ = metrics
            .queue_depth
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| {
                Some(d.saturating_sub(1))
            });
        batch_no += 1;
        let Ok(text) = std::str::from_utf8(&body) else {
            metrics.batches_invalid.fetch_add(1, Ordering::Relaxed);
            det.invalid();
            on_error(format!("batch {batch_no}: not UTF-8"));
            continue;
        };
        let list: EventList<'_> = match serde_json::from_str(text) {
            Ok(l) => l,
            Err(e) => {
                metrics.batches_invalid.fetch_add(1, Ordering::Relaxed);
                det.invalid();
                on_error(format!("batch {batch_no}: {}", describe_json_error(&e)));
                continue;
            }
        };
        if list.kind != "EventList" || list.api_version != crate::event::API_VERSION {
            metrics.batches_invalid.fetch_add(1, Ordering::Relaxed);
            det.invalid();
            on_error(format!(
                "batch {batch_no}: kind {:?} apiVersion {:?}, expected an {} EventList",
                list.kind,
                list.api_version,
                crate::event::API_VERSION
            ));
            continue;
        }
        for (i, item) in list.items.iter().enumerate() {
            match Event::parse_item(item.get()) {
                Ok(ev) => {
                    metrics.events.fetch_add(1, Ordering::Relaxed);
                    det.feed(&ev, None, &mut |a: Alert| {
                        if a.suppressed.is_some() {
                            *metrics
                                .suppressed
                                .lock()
                                .expect("metrics lock")
                                .entry(a.rule)
                                .or_default() += 1;
                        } else {
                            *metrics
                                .alerts
                                .lock()
                                .expect("metrics lock")
                                .entry((a.rule, a.severity.as_str()))
                                .or_default() += 1;
                        }
                        emit(&a);
                    });
                }
                Err(m) => {
                    metrics.events_invalid.fetch_add(1, Ordering::Relaxed);
                    det.invalid();
                    on_error(format!("batch {batch_no} item {i}: {m}"));
                }
            }
        }
    }
    det
}

fn reply(code: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = code;
    r
}

async fn handle(
    req: Request<Incoming>,
    tx: SyncSender<Bytes>,
    metrics: Arc<Metrics>,
    max_body: usize,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    match (req.method().as_str(), path.as_str()) {
        ("GET", "/metrics") => {
            let mut r = reply(StatusCode::OK, metrics.render());
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            Ok(r)
        }
        ("GET", "/healthz") | ("GET", "/readyz") => Ok(reply(StatusCode::OK, "ok")),
        ("POST", _) => {
            let body = match Limited::new(req.into_body(), max_body).collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => {
                    if e.is::<http_body_util::LengthLimitError>() {
                        metrics.batches_oversized.fetch_add(1, Ordering::Relaxed);
                        return Ok(reply(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            format!("batch larger than {max_body} bytes (audit.max-event-size); lower --audit-webhook-batch-max-size\n"),
                        ));
                    }
                    return Ok(reply(
                        StatusCode::BAD_REQUEST,
                        format!("reading the body: {e}\n"),
                    ));
                }
            };
            metrics.queue_depth.fetch_add(1, Ordering::Relaxed);
            match tx.try_send(body) {
                Ok(()) => {
                    metrics.batches.fetch_add(1, Ordering::Relaxed);
                    Ok(reply(StatusCode::OK, "{}"))
                }
                Err(TrySendError::Full(body)) | Err(TrySendError::Disconnected(body)) => {
                    metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
                    metrics.batches_rejected.fetch_add(1, Ordering::Relaxed);
                    let items = memchr::memmem::find_iter(&body, b"\"auditID\"").count() as u64;
                    metrics.events_rejected.fetch_add(items, Ordering::Relaxed);
                    let mut r = reply(StatusCode::TOO_MANY_REQUESTS, "queue full, retry\n");
                    r.headers_mut().insert(
                        hyper::header::RETRY_AFTER,
                        hyper::header::HeaderValue::from_static("1"),
                    );
                    Ok(r)
                }
            }
        }
        _ => Ok(reply(
            StatusCode::NOT_FOUND,
            "POST audit EventList batches to any path; GET /metrics, /healthz\n",
        )),
    }
}

/// A running receiver.
pub struct Server {
    pub addr: SocketAddr,
    pub metrics: Arc<Metrics>,
}

/// Bind, then serve until `shutdown` resolves; batches go to `tx`. Returns
/// the bound address through `on_bound` (the port may have been 0).
pub async fn run(
    opts: &Options,
    max_body: usize,
    tx: SyncSender<Bytes>,
    metrics: Arc<Metrics>,
    on_bound: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let tls = Arc::new(tls_config(opts)?);
    let acceptor = TlsAcceptor::from(tls);
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    metrics
        .queue_capacity
        .store(opts.queue as u64, Ordering::Relaxed);
    on_bound(addr);
    tokio::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            _ = &mut shutdown => break,
            conn = listener.accept() => match conn {
                Ok(c) => c,
                Err(_) => continue,
            },
        };
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let Ok(Ok(tls)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
            else {
                return;
            };
            let service = hyper::service::service_fn(move |req| {
                handle(req, tx.clone(), metrics.clone(), max_body)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
    Ok(())
}

/// Serve until SIGINT or SIGTERM, judging on a thread of its own; alerts go
/// to `out`, errors to standard error. Returns the detector for the summary.
pub fn serve_blocking(
    opts: Options,
    det: Detector,
    mut out: Box<dyn FnMut(&Alert) + Send>,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<(Detector, Arc<Metrics>), String> {
    let max_body = det.settings.config.max_event_size.max(1 << 20);
    let (tx, rx) = sync_channel::<Bytes>(opts.queue.max(1));
    let metrics = Arc::new(Metrics::default());
    let m2 = metrics.clone();
    let judge_thread = std::thread::Builder::new()
        .name("audit-judge".into())
        .spawn(move || {
            let mut err = std::io::stderr();
            judge(det, rx, m2, &mut |a| out(a), &mut |e| {
                let _ = writeln!(err, "error: {e}");
            })
        })
        .map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = rt.block_on(run(&opts, max_body, tx, metrics.clone(), on_bound, async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
        }
    }));
    // Connections still open hold senders; stop them before draining.
    rt.shutdown_timeout(Duration::from_secs(5));
    let det = judge_thread
        .join()
        .map_err(|_| "the judging thread panicked".to_string())?;
    result.map(|()| (det, metrics))
}

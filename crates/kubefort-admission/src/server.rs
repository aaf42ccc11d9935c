//! The HTTPS server: `POST /validate`, `/healthz`, `/readyz`, `/metrics`.
//!
//! Limits that keep a bad client or a burst from taking the webhook down:
//! a TLS handshake timeout, a header read timeout, a body read timeout, a
//! body size limit (checked against `Content-Length` first, then while
//! reading), a bound on connections and on reviews decided at once (a
//! request waits a short while for a slot, then gets 503). On shutdown
//! `/readyz` fails first, the listener stays open for `shutdown_delay` (so
//! endpoints stop sending traffic), then in-flight requests are drained.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::metrics::Metrics;
use crate::namespaces::NamespaceLookup;
use crate::review;
use crate::tls::{server_config, ReloadingResolver};
use crate::validate::{Decision, Validator};

/// Server limits and timings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Largest request body. The API server caps objects at 3 MiB and a
    /// review of an UPDATE carries two of them.
    pub max_body_bytes: usize,
    /// Reviews decided at once; more wait up to `queue_timeout`.
    pub max_in_flight: usize,
    pub queue_timeout: Duration,
    /// Open connections; more are closed at once.
    pub max_connections: usize,
    pub handshake_timeout: Duration,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    /// After SIGTERM, how long to keep accepting while `/readyz` fails.
    pub shutdown_delay: Duration,
    /// How long in-flight requests may take to finish at shutdown.
    pub drain_timeout: Duration,
    /// How often the certificate files are checked for a change.
    pub reload_interval: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_body_bytes: 7 * 1024 * 1024,
            max_in_flight: 256,
            queue_timeout: Duration::from_secs(2),
            max_connections: 4096,
            handshake_timeout: Duration::from_secs(5),
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            shutdown_delay: Duration::ZERO,
            drain_timeout: Duration::from_secs(25),
            reload_interval: Duration::from_secs(10),
        }
    }
}

/// What every request handler shares.
pub struct State {
    pub validator: Validator,
    pub namespaces: Option<NamespaceLookup>,
    pub metrics: Metrics,
    ready: AtomicBool,
    slots: Semaphore,
    pub opts: Options,
}

impl State {
    pub fn new(validator: Validator, namespaces: Option<NamespaceLookup>, opts: Options) -> State {
        State {
            validator,
            namespaces,
            metrics: Metrics::default(),
            ready: AtomicBool::new(true),
            slots: Semaphore::new(opts.max_in_flight.max(1)),
            opts,
        }
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }
}

/// Log a line to standard error.
pub fn log(msg: impl std::fmt::Display) {
    eprintln!("kubefort webhook: {msg}");
}

type Body = Full<Bytes>;

fn reply(code: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = code;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn text(code: StatusCode, msg: impl Into<String>) -> Response<Body> {
    let mut m = msg.into();
    m.push('\n');
    reply(code, "text/plain; charset=utf-8", m)
}

/// Answer one HTTP request.
pub async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let path: &'static str = match req.uri().path() {
        "/validate" => "/validate",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        _ => "other",
    };
    let resp = match (req.method(), path) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok"),
        (&Method::GET, "/readyz") if state.is_ready() => text(StatusCode::OK, "ok"),
        (&Method::GET, "/readyz") => text(StatusCode::SERVICE_UNAVAILABLE, "shutting down"),
        (&Method::GET, "/metrics") => reply(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            state.metrics.render(),
        ),
        (&Method::POST, "/validate") => validate(&state, req).await,
        (_, "other") => text(
            StatusCode::NOT_FOUND,
            "not found: the webhook serves POST /validate, GET /healthz, /readyz and /metrics",
        ),
        (_, p) => {
            let mut r = text(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method not allowed on {p}"),
            );
            let allow = if p == "/validate" { "POST" } else { "GET" };
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
            r
        }
    };
    state.metrics.request(path, resp.status().as_u16());
    Ok(resp)
}

async fn validate(state: &State, req: Request<Incoming>) -> Response<Body> {
    let max = state.opts.max_body_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared.filter(|l| *l > max as u64) {
        state.metrics.rejected("body_too_large");
        return text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is {len} bytes; the limit is {max} (--max-body-size)"),
        );
    }
    let Ok(_slot) = tokio::time::timeout(state.opts.queue_timeout, state.slots.acquire()).await
    else {
        state.metrics.rejected("overloaded");
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "too many reviews in flight (--max-in-flight {}); try again",
                state.opts.max_in_flight
            ),
        );
    };
    state.metrics.in_flight(1);
    let resp = validate_body(state, req, max).await;
    state.metrics.in_flight(-1);
    resp
}

async fn validate_body(state: &State, req: Request<Incoming>, max: usize) -> Response<Body> {
    let body = match tokio::time::timeout(
        state.opts.body_timeout,
        Limited::new(req.into_body(), max).collect(),
    )
    .await
    {
        Err(_) => {
            state.metrics.rejected("body_timeout");
            return text(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {:?}",
                    state.opts.body_timeout
                ),
            );
        }
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            state.metrics.rejected("body_too_large");
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than the limit of {max} bytes (--max-body-size)"
                ),
            );
        }
        Ok(Err(e)) => {
            state.metrics.rejected("body_error");
            return text(
                StatusCode::BAD_REQUEST,
                format!("cannot read the request body: {e}"),
            );
        }
        Ok(Ok(c)) => c.to_bytes(),
    };
    let started = Instant::now();
    let request = match review::decode(&body) {
        Ok(r) => r,
        Err(e) => {
            state.metrics.rejected("bad_review");
            return match &e.uid {
                // The API server can show this answer to the client.
                Some(uid) => {
                    let r = review::Response::deny(
                        uid,
                        400,
                        "BadRequest",
                        format!("kubefort cannot review this request: {}", e.message),
                    );
                    state.metrics.decision(Decision::Invalid, "UNKNOWN", &[]);
                    reply(StatusCode::OK, "application/json", review::encode(&r))
                }
                None => text(
                    StatusCode::BAD_REQUEST,
                    format!("not an admission.k8s.io/v1 AdmissionReview: {}", e.message),
                ),
            };
        }
    };
    let namespace = match (&state.namespaces, request.namespace.as_str()) {
        (Some(lookup), ns) if !ns.is_empty() => match lookup.get(ns).await {
            Ok(info) => info,
            Err(e) => {
                log(format!("{e}; deciding with the configured modes only"));
                None
            }
        },
        _ => None,
    };
    let outcome = state.validator.evaluate(&request, namespace.as_ref());
    state.metrics.decision(
        outcome.decision,
        request.operation.as_str(),
        &outcome.actions,
    );
    state.metrics.observe(started.elapsed());
    for n in &outcome.notes {
        log(n);
    }
    if matches!(outcome.decision, Decision::Denied | Decision::Invalid) {
        let msg = outcome
            .response
            .status
            .as_ref()
            .map(|s| s.message.as_str())
            .unwrap_or_default();
        log(format!(
            "{} {} uid={} user={}{}: {msg}",
            outcome.decision.as_str(),
            request.operation.as_str(),
            request.uid,
            request.user.username,
            if request.dry_run { " (dry run)" } else { "" }
        ));
    }
    reply(
        StatusCode::OK,
        "application/json",
        review::encode(&outcome.response),
    )
}

/// Serve on `listener` until `shutdown` resolves, then stop as described
/// in the module documentation.
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    resolver: Arc<ReloadingResolver>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(server_config(resolver.clone()));
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(state.opts.max_connections.max(1)));
    let reloader = {
        let state = state.clone();
        let resolver = resolver.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(state.opts.reload_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                match resolver.reload() {
                    Ok(true) => {
                        state.metrics.reload("success");
                        log("serving certificate reloaded");
                    }
                    Ok(false) => {}
                    Err(e) => {
                        state.metrics.reload("error");
                        log(format!(
                            "serving certificate not reloaded, still serving the previous one: {e}"
                        ));
                    }
                }
            }
        })
    };
    tokio::pin!(shutdown);
    let mut stop_at: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, _peer) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        log(format!("accept: {e}"));
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let Ok(permit) = connections.clone().try_acquire_owned() else {
                    state.metrics.rejected("too_many_connections");
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let state = state.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let _permit = permit;
                    let tls = match tokio::time::timeout(state.opts.handshake_timeout, acceptor.accept(tcp)).await {
                        Ok(Ok(t)) => t,
                        _ => {
                            state.metrics.rejected("tls_handshake");
                            return;
                        }
                    };
                    let mut builder = auto::Builder::new(TokioExecutor::new());
                    builder
                        .http1()
                        .timer(TokioTimer::new())
                        .header_read_timeout(state.opts.header_timeout);
                    builder
                        .http2()
                        .timer(TokioTimer::new())
                        .max_concurrent_streams(256);
                    let st = state.clone();
                    let service = service_fn(move |req| handle(st.clone(), req));
                    let conn = builder.serve_connection(TokioIo::new(tls), service).into_owned();
                    let _ = watcher.watch(conn).await;
                });
            }
            _ = &mut shutdown, if stop_at.is_none() => {
                state.ready.store(false, Ordering::Relaxed);
                log(format!("shutting down: /readyz fails now, draining in {:?}", state.opts.shutdown_delay));
                stop_at = Some(Box::pin(tokio::time::sleep(state.opts.shutdown_delay)));
            }
            _ = async { stop_at.as_mut().expect("set").as_mut().await }, if stop_at.is_some() => break,
        }
    }
    drop(listener);
    reloader.abort();
    let open = graceful.count();
    match tokio::time::timeout(state.opts.drain_timeout, graceful.shutdown()).await {
        Ok(()) => log(format!("stopped ({open} connections drained)")),
        Err(_) => log(format!(
            "stopped: connections still open after {:?} were cut",
            state.opts.drain_timeout
        )),
    }
}

/// A server running on a task, for tests and benchmarks.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    /// Bind `addr` (port 0 for any) and serve.
    pub async fn start(
        addr: SocketAddr,
        state: Arc<State>,
        resolver: Arc<ReloadingResolver>,
    ) -> std::io::Result<Running> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state.clone(), resolver, async move {
            let _ = rx.await;
        }));
        Ok(Running {
            addr,
            state,
            stop: Some(tx),
            task,
        })
    }

    /// Shut down gracefully and wait until the server has stopped.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Begin shutting down without waiting.
    pub fn begin_stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Wait until the server has stopped.
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

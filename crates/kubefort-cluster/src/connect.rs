//! Connecting: the kubeconfig's current (or chosen) context, or the pod's
//! service account when running in a cluster, checked with one request so
//! that an unreachable server, refused credentials or a certificate mismatch
//! are said plainly before anything is listed.

use std::fmt;
use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};

/// Where to connect.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// A kubeconfig file (default: `$KUBECONFIG`, then `~/.kube/config`,
    /// then the in-cluster service account).
    pub kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig (default: its current context).
    pub context: Option<String>,
}

/// A checked connection.
#[derive(Clone)]
pub struct Connection {
    pub client: kube::Client,
    /// The context used, when a kubeconfig was.
    pub context: Option<String>,
    /// The API server's URL.
    pub server: String,
    /// The server's version (`v1.37.2`).
    pub version: String,
}

/// Why no connection could be made, with what to do.
#[derive(Debug)]
pub struct ConnectError {
    pub message: String,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

fn err(message: impl Into<String>) -> ConnectError {
    ConnectError {
        message: message.into(),
    }
}

/// Load the configuration, build a client and ask the server its version.
pub async fn connect(opts: &ConnectOptions) -> Result<Connection, ConnectError> {
    let kopts = KubeConfigOptions {
        context: opts.context.clone(),
        ..Default::default()
    };
    let (config, context) = if let Some(path) = &opts.kubeconfig {
        let kc = Kubeconfig::read_from(path).map_err(|e| {
            err(format!(
                "cannot read the kubeconfig {}: {e}",
                path.display()
            ))
        })?;
        let context = opts.context.clone().or_else(|| kc.current_context.clone());
        let config = kube::Config::from_custom_kubeconfig(kc, &kopts)
            .await
            .map_err(|e| {
                err(format!(
                    "the kubeconfig {} cannot be used: {e}{}",
                    path.display(),
                    context_hint(&opts.context)
                ))
            })?;
        (config, context)
    } else if opts.context.is_some() {
        let config = kube::Config::from_kubeconfig(&kopts).await.map_err(|e| {
            err(format!(
                "cannot load the kubeconfig: {e}{}",
                context_hint(&opts.context)
            ))
        })?;
        (config, opts.context.clone())
    } else {
        match kube::Config::from_kubeconfig(&kopts).await {
            Ok(c) => {
                let current = Kubeconfig::read().ok().and_then(|k| k.current_context);
                (c, current)
            }
            Err(kerr) => match kube::Config::incluster() {
                Ok(c) => (c, None),
                Err(_) => {
                    return Err(err(format!(
                        "no cluster to connect to: {kerr}; and this is not a pod with a \
                         service account. Pass --kubeconfig FILE, set KUBECONFIG, or run \
                         `kubectl config use-context NAME`"
                    )))
                }
            },
        }
    };
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config).map_err(|e| {
        err(format!(
            "cannot set up a client for {server}: {}",
            chain(&e)
        ))
    })?;
    let version = client
        .apiserver_version()
        .await
        .map_err(|e| err(explain(&server, &e)))?;
    Ok(Connection {
        client,
        context,
        server,
        version: version.git_version,
    })
}

fn context_hint(context: &Option<String>) -> String {
    match context {
        Some(c) => format!(" (is `{c}` a context of it? `kubectl config get-contexts` lists them)"),
        None => String::new(),
    }
}

/// An error with its causes, on one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        source = c.source();
    }
    s
}

/// The HTTP status and a one-line message for a failed request.
pub(crate) fn describe(e: &kube::Error) -> (u16, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.message.clone()),
        other => (0, chain(other)),
    }
}

/// What a failed first request means and what to do about it.
fn explain(server: &str, e: &kube::Error) -> String {
    let text = chain(e);
    let lower = text.to_lowercase();
    if let kube::Error::Api(s) = e {
        return match s.code {
            401 => format!(
                "the API server at {server} refused the credentials (401 Unauthorized): they \
                 may have expired or been revoked; refresh them (log in again, or re-run your \
                 provider's get-credentials command) or pick another --context"
            ),
            403 => format!(
                "the API server at {server} answered 403 Forbidden to a version request: {}",
                s.message
            ),
            code => format!("the API server at {server} answered {code}: {}", s.message),
        };
    }
    if lower.contains("certificate") || lower.contains("unknownissuer") || lower.contains("tls") {
        return format!(
            "TLS with {server} failed: {text}. The server's certificate is not the one the \
             kubeconfig expects (check the cluster's certificate-authority-data and the \
             server address, which must be among the certificate's names)"
        );
    }
    if lower.contains("connection refused")
        || lower.contains("dns")
        || lower.contains("timed out")
        || lower.contains("unreachable")
        || lower.contains("connect")
    {
        return format!(
            "cannot reach the API server at {server}: {text}. Is the cluster running, and \
             is this the right context (`kubectl config current-context`)?"
        );
    }
    format!("the API server at {server} could not be asked: {text}")
}

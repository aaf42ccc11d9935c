//! `kubefort webhook`: the server with its certificate, policy and namespace lookups.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{namespaces, server, tls, Policy, Validator};

/// Everything `kubefort webhook` needs to run.
pub struct RunConfig {
    pub addr: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub policy: Policy,
    pub options: server::Options,
    /// Read namespace labels from the API server: with this kubeconfig, or
    /// in-cluster / `KUBECONFIG` when `None`.
    pub kubeconfig: Option<PathBuf>,
    /// Worker threads (default: one per core).
    pub threads: Option<usize>,
    /// Checks beside the rules (user policies: Rego, CEL).
    pub dynamic: Vec<Arc<dyn kubefort_core::DynamicCheck>>,
}

async fn namespace_lookup(
    kubeconfig: Option<&PathBuf>,
) -> Result<namespaces::NamespaceLookup, String> {
    let config = match kubeconfig {
        Some(path) => {
            let kc = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => kube::Config::infer().await.map_err(|e| e.to_string())?,
    };
    let client = kube::Client::try_from(config).map_err(|e| e.to_string())?;
    Ok(namespaces::NamespaceLookup::new(client))
}

/// Run the webhook until SIGTERM or SIGINT; `Err` when it cannot start.
pub fn run(config: RunConfig) -> Result<(), String> {
    let resolver = Arc::new(tls::ReloadingResolver::new(tls::CertFiles {
        cert: config.cert.clone(),
        key: config.key.clone(),
    })?);
    let wants_labels = config.policy.namespace_labels;
    let mut validator = Validator::new(config.policy)?;
    for check in config.dynamic {
        validator = validator.with_dynamic(check);
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if let Some(n) = config.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = rt
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async move {
        let lookup = if wants_labels {
            match namespace_lookup(config.kubeconfig.as_ref()).await {
                Ok(l) => Some(l),
                Err(e) if config.kubeconfig.is_some() => return Err(format!("kubeconfig: {e}")),
                Err(e) => {
                    server::log(format!(
                        "no API server access ({e}): namespace labels are not read; modes come from the configuration only"
                    ));
                    None
                }
            }
        } else {
            None
        };
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let addr = listener.local_addr().unwrap_or(config.addr);
        server::log(format!(
            "listening on https://{addr} with {} rules",
            validator.rule_names().len()
        ));
        let state = Arc::new(server::State::new(validator, lookup, config.options));
        server::serve(listener, state, resolver, server::termination()).await;
        Ok(())
    })
}

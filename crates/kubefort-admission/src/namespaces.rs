//! Namespace labels from the API server: they choose a namespace's modes
//! (`kubefort.io/enforce`, ...) and its Pod Security levels. An
//! AdmissionReview does not carry them, so they are read with a GET and
//! kept for a short while.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;

use kubefort_core::namespaces::NamespaceInfo;

/// How long a namespace's labels are kept.
pub const TTL: Duration = Duration::from_secs(15);
/// How long a lookup may take before the request goes on without labels.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// Looks up Namespaces, with a cache.
pub struct NamespaceLookup {
    api: Api<Namespace>,
    cache: Mutex<HashMap<String, (Instant, Option<NamespaceInfo>)>>,
}

impl NamespaceLookup {
    pub fn new(client: kube::Client) -> NamespaceLookup {
        NamespaceLookup {
            api: Api::all(client),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The namespace's labels, from the cache or the API server. `Err` when
    /// the API server cannot be asked (the caller goes on without labels).
    pub async fn get(&self, name: &str) -> Result<Option<NamespaceInfo>, String> {
        let now = Instant::now();
        {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, info)) = cache.get(name) {
                if now.duration_since(*at) < TTL {
                    return Ok(info.clone());
                }
            }
        }
        let got = tokio::time::timeout(LOOKUP_TIMEOUT, self.api.get_opt(name))
            .await
            .map_err(|_| format!("reading namespace {name} took more than {LOOKUP_TIMEOUT:?}"))?
            .map_err(|e| format!("reading namespace {name}: {e}"))?;
        let info = got.map(|ns| NamespaceInfo {
            name: name.to_string(),
            labels: ns.metadata.labels.unwrap_or_default(),
            file: "api-server".into(),
            pos: kubefort_core::Pos { line: 1, column: 1 },
        });
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > 10_000 {
            cache.retain(|_, (at, _)| now.duration_since(*at) < TTL);
        }
        cache.insert(name.to_string(), (now, info.clone()));
        Ok(info)
    }
}

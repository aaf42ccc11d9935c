//! Live collection: read every object the rules need from a cluster's API
//! server, so `kubefort cluster` runs the same rules as `kubefort scan`.
//!
//! - Every resource is listed across all namespaces (or the ones asked for)
//!   in pages, several resources at a time.
//! - Secrets are listed as metadata only (`PartialObjectMetadata`): no value
//!   ever reaches the tool, and their `last-applied-configuration`
//!   annotation (which holds the values when `kubectl apply` wrote it) is
//!   dropped on arrival.
//! - A list the identity may not read is reported and the rest is scanned.
//! - Objects owned by a listed controller (a ReplicaSet's pods, a
//!   Deployment's ReplicaSets) are folded into their owner: see [`owners`].
//!
//! Objects have no source text; their location is their API path (see
//! [`kubefort_core::Location`]).

pub mod connect;
pub mod owners;
pub mod reports;

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::{self, StreamExt};
use kubefort_core::object::{Object, PodTemplatePath};
use serde::Deserialize;
use serde_json::Value;

pub use connect::{connect, ConnectError, ConnectOptions, Connection};
pub use owners::{bootstrap_objects, fold_owned, suppress_bootstrap, Owned};

/// A kind of object to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// API group; empty for the core group.
    pub group: String,
    pub version: String,
    /// The resource name in URLs (`deployments`).
    pub plural: String,
    pub kind: String,
    pub namespaced: bool,
    /// List as `PartialObjectMetadata`: the object's metadata only.
    pub metadata_only: bool,
}

impl Resource {
    fn builtin(group: &str, version: &str, plural: &str, kind: &str, namespaced: bool) -> Resource {
        Resource {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
            kind: kind.into(),
            namespaced,
            metadata_only: false,
        }
    }

    /// `apps/v1` or `v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `/apis/apps/v1` or `/api/v1`.
    fn base(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    /// The collection path, in one namespace or across all of them.
    pub fn list_path(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if self.namespaced => {
                format!("{}/namespaces/{ns}/{}", self.base(), self.plural)
            }
            _ => format!("{}/{}", self.base(), self.plural),
        }
    }

    /// An object's API path (what `kubectl get --raw` accepts).
    pub fn object_path(&self, namespace: Option<&str>, name: &str) -> String {
        match namespace {
            Some(ns) if self.namespaced => {
                format!("{}/namespaces/{ns}/{}/{name}", self.base(), self.plural)
            }
            _ => format!("{}/{}/{name}", self.base(), self.plural),
        }
    }

    /// `deployments.apps` / `secrets`, as RBAC and kubectl name resources.
    pub fn display(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// What the rules look at, in the versions Kubernetes v1.37 serves.
pub fn builtin_resources() -> Vec<Resource> {
    let r = Resource::builtin;
    let mut v = vec![
        r("", "v1", "namespaces", "Namespace", false),
        r("", "v1", "pods", "Pod", true),
        r(
            "",
            "v1",
            "replicationcontrollers",
            "ReplicationController",
            true,
        ),
        r("", "v1", "podtemplates", "PodTemplate", true),
        r("", "v1", "services", "Service", true),
        r("", "v1", "serviceaccounts", "ServiceAccount", true),
        r("", "v1", "configmaps", "ConfigMap", true),
        r("", "v1", "limitranges", "LimitRange", true),
        r("", "v1", "resourcequotas", "ResourceQuota", true),
        r("apps", "v1", "deployments", "Deployment", true),
        r("apps", "v1", "replicasets", "ReplicaSet", true),
        r("apps", "v1", "statefulsets", "StatefulSet", true),
        r("apps", "v1", "daemonsets", "DaemonSet", true),
        r("batch", "v1", "jobs", "Job", true),
        r("batch", "v1", "cronjobs", "CronJob", true),
        r(
            "networking.k8s.io",
            "v1",
            "networkpolicies",
            "NetworkPolicy",
            true,
        ),
        r("networking.k8s.io", "v1", "ingresses", "Ingress", true),
        r(
            "networking.k8s.io",
            "v1",
            "ingressclasses",
            "IngressClass",
            false,
        ),
        r(
            "policy",
            "v1",
            "poddisruptionbudgets",
            "PodDisruptionBudget",
            true,
        ),
        r(
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            true,
        ),
        r("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
        r(
            "rbac.authorization.k8s.io",
            "v1",
            "rolebindings",
            "RoleBinding",
            true,
        ),
        r(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterroles",
            "ClusterRole",
            false,
        ),
        r(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            "ClusterRoleBinding",
            false,
        ),
        r(
            "admissionregistration.k8s.io",
            "v1",
            "validatingwebhookconfigurations",
            "ValidatingWebhookConfiguration",
            false,
        ),
        r(
            "admissionregistration.k8s.io",
            "v1",
            "mutatingwebhookconfigurations",
            "MutatingWebhookConfiguration",
            false,
        ),
        r(
            "admissionregistration.k8s.io",
            "v1",
            "validatingadmissionpolicies",
            "ValidatingAdmissionPolicy",
            false,
        ),
        r(
            "admissionregistration.k8s.io",
            "v1",
            "validatingadmissionpolicybindings",
            "ValidatingAdmissionPolicyBinding",
            false,
        ),
    ];
    v.push(Resource {
        metadata_only: true,
        ..r("", "v1", "secrets", "Secret", true)
    });
    v
}

/// How to collect.
#[derive(Clone, Debug)]
pub struct CollectOptions {
    /// Only these namespaces (cluster-scoped kinds are still listed); empty: all.
    pub namespaces: Vec<String>,
    /// Objects per page (`limit`).
    pub page_size: u32,
    /// Lists in flight at once.
    pub concurrency: usize,
    /// Only these kinds (empty: every built-in resource and the custom ones).
    pub kinds: Vec<String>,
    /// Custom resources with pod templates (from the config), found by discovery.
    pub custom: Vec<PodTemplatePath>,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            namespaces: Vec::new(),
            page_size: 500,
            concurrency: 4,
            kinds: Vec::new(),
            custom: Vec::new(),
        }
    }
}

/// A list that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unreadable {
    /// `deployments.apps`.
    pub resource: String,
    /// The namespace, or `None` for a cluster-wide list.
    pub namespace: Option<String>,
    /// HTTP status (403 when forbidden); 0 when no response came.
    pub code: u16,
    pub message: String,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scope = match &self.namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "cluster-wide".to_string(),
        };
        write!(f, "cannot list {} {scope}: {}", self.resource, self.message)?;
        if self.code == 403 {
            f.write_str(
                " (the scan goes on without them; grant `list` on this resource, see deploy/rbac.yaml, \
                 or limit the scan with --namespace to namespaces you may read)",
            )?;
        }
        Ok(())
    }
}

/// What a collection produced.
#[derive(Debug, Default)]
pub struct Collection {
    pub objects: Vec<Object>,
    /// Lists that failed, with why.
    pub unreadable: Vec<Unreadable>,
    /// Objects that could not be turned into objects (should not happen).
    pub invalid: Vec<(String, String)>,
    /// Resources the server does not serve (skipped quietly).
    pub not_served: Vec<String>,
    /// Objects listed, per resource.
    pub counts: Vec<(String, usize)>,
    /// Objects owned by a listed controller.
    pub owned: Owned,
}

/// Turns a listed JSON object into an [`Object`]; the first argument is its API path.
pub type Convert<'a> = dyn Fn(Arc<str>, Value) -> Result<Object, String> + Sync + 'a;

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    metadata: PageMeta,
    /// `null` in an empty `PartialObjectMetadataList`.
    #[serde(default)]
    items: Option<Vec<Value>>,
}

#[derive(Default, Deserialize)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    continue_: Option<String>,
}

const PARTIAL_METADATA_LIST: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/// The resources to list: the built-in ones and the custom kinds with pod
/// templates that the server serves (unknown ones are reported in
/// `not_served`).
pub async fn resources(
    conn: &Connection,
    opts: &CollectOptions,
    not_served: &mut Vec<String>,
) -> Vec<Resource> {
    let mut out = builtin_resources();
    for custom in &opts.custom {
        match discover_kind(conn, custom.group.as_deref(), &custom.kind).await {
            Some(r) => {
                if !out.contains(&r) {
                    out.push(r)
                }
            }
            None => not_served.push(match &custom.group {
                Some(g) => format!("{}.{g}", custom.kind),
                None => custom.kind.clone(),
            }),
        }
    }
    if !opts.kinds.is_empty() {
        out.retain(|r| opts.kinds.iter().any(|k| k.eq_ignore_ascii_case(&r.kind)));
    }
    out
}

async fn get_json(conn: &Connection, path: &str, accept: &str) -> Result<Value, kube::Error> {
    let req = http::Request::get(path)
        .header(http::header::ACCEPT, accept)
        .body(Vec::new())
        .map_err(kube::Error::HttpError)?;
    conn.client.request::<Value>(req).await
}

/// Find a kind's resource by discovery, in its group's preferred version.
async fn discover_kind(conn: &Connection, group: Option<&str>, kind: &str) -> Option<Resource> {
    let groups: Vec<(String, String)> = match group {
        Some(g) if !g.is_empty() => {
            let v = get_json(conn, &format!("/apis/{g}"), "application/json")
                .await
                .ok()?;
            let gv = v
                .pointer("/preferredVersion/groupVersion")?
                .as_str()?
                .to_string();
            vec![(g.to_string(), gv)]
        }
        Some(_) => vec![(String::new(), "v1".to_string())],
        None => {
            let v = get_json(conn, "/apis", "application/json").await.ok()?;
            v.get("groups")?
                .as_array()?
                .iter()
                .filter_map(|g| {
                    Some((
                        g.get("name")?.as_str()?.to_string(),
                        g.pointer("/preferredVersion/groupVersion")?
                            .as_str()?
                            .to_string(),
                    ))
                })
                .collect()
        }
    };
    for (group, gv) in groups {
        let path = if group.is_empty() {
            "/api/v1".to_string()
        } else {
            format!("/apis/{gv}")
        };
        let Ok(list) = get_json(conn, &path, "application/json").await else {
            continue;
        };
        let found = list
            .get("resources")
            .and_then(Value::as_array)
            .and_then(|rs| {
                rs.iter().find(|r| {
                    r.get("kind").and_then(Value::as_str) == Some(kind)
                        && r.get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| !n.contains('/'))
                })
            });
        if let Some(r) = found {
            let version = gv.rsplit('/').next().unwrap_or("v1").to_string();
            return Some(Resource {
                group,
                version,
                plural: r.get("name")?.as_str()?.to_string(),
                kind: kind.to_string(),
                namespaced: r.get("namespaced").and_then(Value::as_bool).unwrap_or(true),
                metadata_only: false,
            });
        }
    }
    None
}

/// List every resource and convert each object; `progress` is called after
/// every page with the resource and the objects listed so far in total.
pub async fn collect(
    conn: &Connection,
    opts: &CollectOptions,
    convert: &Convert<'_>,
    progress: &(dyn Fn(&str, usize) + Sync),
) -> Collection {
    let mut collection = Collection::default();
    let resources = resources(conn, opts, &mut collection.not_served).await;
    let total = std::sync::atomic::AtomicUsize::new(0);
    let mut jobs: Vec<(Resource, Option<String>)> = Vec::new();
    for r in &resources {
        if r.namespaced && !opts.namespaces.is_empty() {
            for ns in &opts.namespaces {
                jobs.push((r.clone(), Some(ns.clone())));
            }
        } else if r.kind == "Namespace" && !opts.namespaces.is_empty() {
            // Only the namespaces asked for (listing all might be forbidden).
            jobs.push((r.clone(), None));
        } else {
            jobs.push((r.clone(), None));
        }
    }
    let results: Vec<ListOutcome> = stream::iter(jobs)
        .map(|(r, ns)| {
            let total = &total;
            async move {
                list_all(conn, &r, ns.as_deref(), opts.page_size, convert, &|n| {
                    let t = total.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
                    progress(&r.display(), t);
                })
                .await
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for o in results {
        match o.error {
            Some(e) if e.code == 404 => collection.not_served.push(e.resource.clone()),
            Some(e) => collection.unreadable.push(e),
            None => {}
        }
        *counts.entry(o.resource).or_default() += o.objects.len();
        collection.invalid.extend(o.invalid);
        collection.objects.extend(o.objects);
    }
    if !opts.namespaces.is_empty() {
        collection.objects.retain(|o| {
            o.id.kind != "Namespace"
                || o.id
                    .name
                    .as_ref()
                    .is_some_and(|n| opts.namespaces.contains(n))
        });
    }
    // A stable order: the same cluster gives the same report.
    collection
        .objects
        .sort_by(|a, b| (&a.file, &a.id).cmp(&(&b.file, &b.id)));
    collection.owned = Owned::index(&collection.objects);
    collection.unreadable.sort();
    collection.not_served.sort();
    collection.not_served.dedup();
    collection.counts = counts.into_iter().collect();
    collection.counts.sort();
    collection
}

struct ListOutcome {
    resource: String,
    objects: Vec<Object>,
    invalid: Vec<(String, String)>,
    error: Option<Unreadable>,
}

async fn list_all(
    conn: &Connection,
    r: &Resource,
    namespace: Option<&str>,
    page_size: u32,
    convert: &Convert<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> ListOutcome {
    let mut out = ListOutcome {
        resource: r.display(),
        objects: Vec::new(),
        invalid: Vec::new(),
        error: None,
    };
    let accept = if r.metadata_only {
        PARTIAL_METADATA_LIST
    } else {
        "application/json"
    };
    let mut token: Option<String> = None;
    loop {
        let mut path = format!("{}?limit={page_size}", r.list_path(namespace));
        if let Some(t) = &token {
            path.push_str("&continue=");
            path.push_str(&encode_query(t));
        }
        let page: Page = match get_json(conn, &path, accept)
            .await
            .and_then(|v| serde_json::from_value(v).map_err(kube::Error::SerdeError))
        {
            Ok(p) => p,
            Err(e) => {
                let (code, message) = connect::describe(&e);
                out.error = Some(Unreadable {
                    resource: r.display(),
                    namespace: namespace.map(str::to_string),
                    code,
                    message,
                });
                return out;
            }
        };
        let items = page.items.unwrap_or_default();
        let n = items.len();
        for item in items {
            let item = normalize(r, item);
            let name = item
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let ns = item
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(str::to_string);
            let path = r.object_path(ns.as_deref(), &name);
            match convert(path.as_str().into(), item) {
                Ok(o) => out.objects.push(o),
                Err(e) => out.invalid.push((path, e)),
            }
        }
        progress(n);
        match page.metadata.continue_ {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return out,
        }
    }
}

/// Give a listed item its type (lists leave it out), drop what the rules
/// never read and what must not be kept: managed fields, and for
/// metadata-only kinds (Secrets) the last-applied annotation, which holds
/// the whole object.
fn normalize(r: &Resource, mut item: Value) -> Value {
    if r.metadata_only {
        let metadata = item
            .get_mut("metadata")
            .map(Value::take)
            .unwrap_or_default();
        item = serde_json::json!({ "metadata": metadata });
    }
    if let Some(obj) = item.as_object_mut() {
        obj.insert("apiVersion".into(), Value::String(r.api_version()));
        obj.insert("kind".into(), Value::String(r.kind.clone()));
    }
    if let Some(meta) = item.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            ann.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    item
}

fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let r = Resource::builtin("apps", "v1", "deployments", "Deployment", true);
        assert_eq!(r.list_path(None), "/apis/apps/v1/deployments");
        assert_eq!(
            r.list_path(Some("shop")),
            "/apis/apps/v1/namespaces/shop/deployments"
        );
        assert_eq!(
            r.object_path(Some("shop"), "web"),
            "/apis/apps/v1/namespaces/shop/deployments/web"
        );
        let ns = Resource::builtin("", "v1", "namespaces", "Namespace", false);
        assert_eq!(ns.object_path(None, "shop"), "/api/v1/namespaces/shop");
        assert_eq!(ns.display(), "namespaces");
        assert_eq!(r.display(), "deployments.apps");
    }

    #[test]
    fn secrets_keep_only_metadata() {
        let r = builtin_resources()
            .into_iter()
            .find(|r| r.kind == "Secret")
            .unwrap();
        let item = serde_json::json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": {
                "name": "db", "namespace": "shop",
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"aHVudGVyMg==\"}}",
                    "team": "payments"
                }
            },
            "data": {"password": "aHVudGVyMg=="}
        });
        let v = normalize(&r, item);
        assert_eq!(
            v,
            serde_json::json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "db", "namespace": "shop", "annotations": {"team": "payments"}}
            })
        );
        assert!(!v.to_string().contains("aHVudGVyMg"));
    }

    #[test]
    fn continue_tokens_are_encoded() {
        assert_eq!(encode_query("eyJ2+/=="), "eyJ2%2B%2F%3D%3D");
    }
}

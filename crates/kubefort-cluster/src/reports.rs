//! Writing PolicyReports into the cluster (`kubefort cluster --apply-reports`).

use serde_json::Value;

use crate::connect::{describe, Connection};

/// Server-side apply each report (field manager `kubefort`), so running
/// again replaces kubefort's results and nothing else. Returns one error
/// line per report that could not be written.
pub async fn apply_reports(conn: &Connection, reports: &[Value]) -> Vec<String> {
    let mut errors = Vec::new();
    for r in reports {
        let kind = r["kind"].as_str().unwrap_or("");
        let name = r["metadata"]["name"].as_str().unwrap_or("");
        let path = match r["metadata"]["namespace"].as_str() {
            Some(ns) => {
                format!("/apis/wgpolicyk8s.io/v1alpha2/namespaces/{ns}/policyreports/{name}")
            }
            None => format!("/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/{name}"),
        };
        let body = serde_json::to_vec(r).expect("a JSON value serialises");
        let req = http::Request::patch(format!("{path}?fieldManager=kubefort&force=true"))
            .header(http::header::CONTENT_TYPE, "application/apply-patch+yaml")
            .header(http::header::ACCEPT, "application/json")
            .body(body);
        let result = match req {
            Ok(req) => conn.client.request::<Value>(req).await.map(|_| ()),
            Err(e) => Err(kube::Error::HttpError(e)),
        };
        if let Err(e) = result {
            let (code, message) = describe(&e);
            let hint = match code {
                404 => ": the PolicyReport CRDs are not installed; apply deploy/crds/wgpolicyk8s.io.yaml first",
                403 => ": the identity may not write reports; see the kubefort-reports role in deploy/rbac.yaml",
                _ => "",
            };
            errors.push(format!("cannot write {kind} {path}: {message}{hint}"));
        }
    }
    errors
}

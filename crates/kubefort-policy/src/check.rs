//! The policies as a check of the scan engine: every object is evaluated
//! as a CREATE, each violation becomes a finding at the object (or at the
//! field a CEL validation names).

use std::sync::Arc;

use kubefort_core::finding::{Finding, Location};
use kubefort_core::object::Object;
use kubefort_core::{DynamicCheck, FieldPath, ScanScope};
use serde_json::Value as Json;

use crate::{PolicySet, Request};

/// Remediation text of policy findings.
const REMEDIATION: &str =
    "Change the object so that the policy admits it, or ask the policy's owners for an exception.";

/// Groups of policy findings (so `kubefort.io/ignore: policy` suppresses them).
pub const GROUPS: &[&str] = &["policy"];

/// A [`PolicySet`] as a [`DynamicCheck`].
pub struct PolicyCheck {
    set: Arc<PolicySet>,
}

impl PolicyCheck {
    pub fn new(set: Arc<PolicySet>) -> Self {
        PolicyCheck { set }
    }
}

impl DynamicCheck for PolicyCheck {
    fn needs_namespaces(&self) -> bool {
        !self.set.is_empty()
    }

    fn check_object(&self, object: &Object, scope: &ScanScope, out: &mut Vec<Finding>) {
        if self.set.is_empty() {
            return;
        }
        let json = object.root.to_json();
        let mut req = Request::create(json);
        if let Some(ns) = object
            .id
            .namespace
            .as_deref()
            .and_then(|n| scope.namespaces.get(n))
        {
            let labels: serde_json::Map<String, Json> = ns
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect();
            req.namespace_object = Some(Arc::new(serde_json::json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns.name, "labels": labels}
            })));
        }
        for v in self.set.evaluate(&req) {
            let path = v
                .field_path
                .as_deref()
                .and_then(|p| FieldPath::parse(p).ok())
                .filter(|p| p.resolve(&object.root).is_some())
                .unwrap_or_else(|| FieldPath::root().keys("metadata.name"));
            let pos = path.locate(&object.root);
            out.push(Finding {
                rule: v.rule,
                severity: v.severity,
                message: v.message,
                object: object.id.clone(),
                path: path.to_string(),
                location: Location {
                    file: object.file.clone(),
                    line: pos.line,
                    column: pos.column,
                },
                remediation: REMEDIATION,
                groups: GROUPS,
                suppressed: None,
            });
        }
    }
}

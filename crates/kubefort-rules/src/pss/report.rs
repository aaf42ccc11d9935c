//! The focused Pod Security report (`kubefort pss`): for every pod spec, the
//! highest level it satisfies at a policy version, what stands between it and
//! `restricted`, and what its namespace's admission policy does with it.

use serde::Serialize;

use kubefort_core::object::Object;
use kubefort_core::{ObjectRef, ScanScope};

use super::*;

/// One failed control, as the report shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ControlFailure {
    /// The upstream check ID (`allowPrivilegeEscalation`).
    pub check: &'static str,
    /// The control's name in the standard.
    pub control: &'static str,
    pub level: Level,
    /// The kubefort rule that reports it in `kubefort scan`.
    pub rule: &'static str,
    pub reason: String,
    pub detail: String,
    pub allowed: &'static str,
    /// Where a fix starts.
    pub path: String,
    pub line: u32,
    pub column: u32,
}

/// What a namespace's labels make the admission controller do with a pod.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct NamespaceVerdict {
    pub namespace: String,
    pub enforce: String,
    pub warn: String,
    pub audit: String,
    /// `rejected` (enforce fails), `warned` (warn fails: the client sees a
    /// warning), `audited` (only audit fails) or `admitted`.
    pub verdict: &'static str,
    /// The failures at the enforce level (why it is rejected).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enforce_failures: Vec<String>,
}

/// The assessment of one pod spec.
#[derive(Clone, Debug, Serialize)]
pub struct Assessment {
    pub object: ObjectRef,
    pub file: String,
    pub line: u32,
    /// Path of the pod spec in the object.
    pub pod_spec: String,
    /// The highest level the pod satisfies: `restricted`, `baseline` or
    /// `privileged` (meets neither).
    pub level: Level,
    /// Failures at baseline (what keeps it at privileged).
    pub baseline: Vec<ControlFailure>,
    /// Failures at restricted (what to change to reach restricted; includes
    /// the baseline failures that restricted also applies).
    pub restricted: Vec<ControlFailure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_policy: Option<NamespaceVerdict>,
}

impl Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

fn failures(object: &Object, pod: &Pod<'_>, level: Level, version: Version) -> Vec<ControlFailure> {
    evaluate(pod, level, version)
        .into_iter()
        .map(|(c, v)| {
            let pos = v.path.locate(&object.root);
            ControlFailure {
                check: c.id,
                control: c.title,
                level: c.level,
                rule: c.rule,
                reason: v.reason,
                detail: v.detail,
                allowed: c.allowed,
                path: v.path.to_string(),
                line: pos.line,
                column: pos.column,
            }
        })
        .collect()
}

/// Assess every pod spec of an object at `version`, with its namespace's
/// policy when the inputs declare a labelled namespace.
pub fn assess(object: &Object, scope: &ScanScope, version: Version) -> Vec<Assessment> {
    let mut out = Vec::new();
    for spec in object.pod_specs() {
        let pod = Pod::new(&spec);
        let baseline = failures(object, &pod, Level::Baseline, version);
        let restricted = failures(object, &pod, Level::Restricted, version);
        let level = if restricted.is_empty() {
            Level::Restricted
        } else if baseline.is_empty() {
            Level::Baseline
        } else {
            Level::Privileged
        };
        let namespace_policy = object
            .id
            .namespace
            .as_deref()
            .and_then(|n| scope.namespaces.get(n))
            .filter(|ns| has_pss_labels(ns))
            .map(|ns| {
                let (p, _) = policy_from_labels(&ns.labels, version);
                let fails = |lv: LevelVersion| {
                    if lv.level == Level::Privileged {
                        Vec::new()
                    } else {
                        evaluate(&pod, lv.level, lv.version)
                            .into_iter()
                            .map(|(_, v)| v.to_string())
                            .collect()
                    }
                };
                let enforce_failures = fails(p.enforce);
                let verdict = if !enforce_failures.is_empty() {
                    "rejected"
                } else if !fails(p.warn).is_empty() {
                    "warned"
                } else if !fails(p.audit).is_empty() {
                    "audited"
                } else {
                    "admitted"
                };
                NamespaceVerdict {
                    namespace: ns.name.clone(),
                    enforce: p.enforce.to_string(),
                    warn: p.warn.to_string(),
                    audit: p.audit.to_string(),
                    verdict,
                    enforce_failures,
                }
            });
        out.push(Assessment {
            object: object.id.clone(),
            file: object.file.to_string(),
            line: object.root.pos.line,
            pod_spec: spec.path.to_string(),
            level,
            baseline,
            restricted,
            namespace_policy,
        });
    }
    out
}

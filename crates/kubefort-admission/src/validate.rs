//! The decision for one admission request: the object is scanned by the
//! same engine and rules as `kubefort scan`, and each finding is denied,
//! warned about or recorded according to the namespace's modes.

use std::collections::{BTreeMap, HashMap, HashSet};

use kubefort_core::namespaces::{NamespaceInfo, Namespaces};
use kubefort_core::{select_rules, Check, Engine, Finding, Rule, Severity};

use crate::policy::{Modes, Policy, UpdateMode};
use crate::review::{Operation, Request, Response};

/// Rules whose verdict depends on other objects of the cluster than the
/// one in the request (a binding's role, the namespace's NetworkPolicies,
/// the whole RBAC graph). Judged on one object they would report what is
/// not wrong, so the webhook does not run them; `kubefort cluster` and
/// `kubefort scan` of the whole set of manifests do.
pub const NEEDS_CLUSTER: &[&str] = &[
    "duplicate-object",
    "workload-without-network-policy",
    "missing-default-deny-ingress",
    "missing-default-deny-egress",
    "exposed-service-without-ingress-policy",
    "network-policy-selects-nothing",
    "network-policy-unknown-named-port",
    "rbac-escalation-path",
    "rbac-missing-role",
];

/// Most warnings returned to the client; the rest are counted.
const MAX_WARNINGS: usize = 20;
/// Longest warning (the API server truncates long ones).
const MAX_WARNING_CHARS: usize = 240;
/// Longest denial message and audit annotation value.
const MAX_MESSAGE_CHARS: usize = 3000;

/// The outcome of a request, for metrics and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Decision {
    /// Allowed with no finding at a warn or enforce threshold.
    Allowed,
    /// Allowed, with warnings.
    Warned,
    Denied,
    /// Allowed without a check: an exempt namespace, user or group.
    Exempt,
    /// Allowed without a check: DELETE, CONNECT, or a subresource that
    /// carries no object kubefort judges.
    Skipped,
    /// Refused: the object could not be read.
    Invalid,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Warned => "warned",
            Decision::Denied => "denied",
            Decision::Exempt => "exempt",
            Decision::Skipped => "skipped",
            Decision::Invalid => "invalid",
        }
    }
}

/// What was done with one rule's finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Denied,
    Warned,
    Audited,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Denied => "denied",
            Action::Warned => "warned",
            Action::Audited => "audited",
        }
    }
}

/// A request's response and what led to it.
#[derive(Debug)]
pub struct Outcome {
    pub response: Response,
    pub decision: Decision,
    /// Each finding's rule and what was done with it.
    pub actions: Vec<(&'static str, Action)>,
    /// Notes for the log (labels that do not parse, ...).
    pub notes: Vec<String>,
}

/// The rules and policy of a running webhook.
pub struct Validator {
    /// The selected rules.
    rules: Vec<&'static Rule>,
    /// The object rules: what runs for a kind no inventory rule retains.
    base: Engine,
    /// For each kind some selected inventory rule retains, the object rules
    /// and those inventory rules. An inventory rule sees only the objects of
    /// the kinds it retains, so for one object of another kind it has
    /// nothing to judge; leaving it out saves building its model (the RBAC
    /// model with the bootstrap roles, the NetworkPolicy model) per request.
    by_kind: HashMap<&'static str, Engine>,
    policy: Policy,
}

impl Validator {
    /// Select the rules the policy's scan settings name (less
    /// [`NEEDS_CLUSTER`]) and build the engines.
    pub fn new(policy: Policy) -> Result<Validator, String> {
        let all = kubefort_rules::all();
        let c = &policy.scan;
        let rules: Vec<&'static Rule> =
            select_rules(&all, c.select.as_deref(), &c.extend_select, &c.ignore)?
                .into_iter()
                .filter(|r| !NEEDS_CLUSTER.contains(&r.meta.name))
                .collect();
        let object_rules = || -> Vec<&'static Rule> {
            rules
                .iter()
                .copied()
                .filter(|r| !matches!(r.check, Check::Inventory { .. }))
                .collect()
        };
        let mut kinds: Vec<&'static str> = rules
            .iter()
            .filter_map(|r| match r.check {
                Check::Inventory { retain, .. } => Some(retain.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        let by_kind = kinds
            .into_iter()
            .map(|kind| {
                let mut rs = object_rules();
                rs.extend(rules.iter().copied().filter(
                    |r| matches!(r.check, Check::Inventory { retain, .. } if retain.contains(&kind)),
                ));
                (kind, Engine::new(rs, policy.scan_config()))
            })
            .collect();
        Ok(Validator {
            base: Engine::new(object_rules(), policy.scan_config()),
            by_kind,
            rules,
            policy,
        })
    }

    /// Run `check` (a user policy) beside the rules, for every kind.
    pub fn with_dynamic(mut self, check: std::sync::Arc<dyn kubefort_core::DynamicCheck>) -> Self {
        let placeholder = || Engine::new(Vec::new(), Default::default());
        let base = std::mem::replace(&mut self.base, placeholder());
        self.base = base.with_dynamic(check.clone());
        for engine in self.by_kind.values_mut() {
            let e = std::mem::replace(engine, placeholder());
            *engine = e.with_dynamic(check.clone());
        }
        self
    }

    /// The engine that judges an object of `kind`.
    pub fn engine_for(&self, kind: &str) -> &Engine {
        self.by_kind.get(kind).unwrap_or(&self.base)
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The names of the rules the webhook runs.
    pub fn rule_names(&self) -> Vec<&'static str> {
        self.rules.iter().map(|r| r.meta.name).collect()
    }

    /// Decide a request. `namespace` is the request namespace's Namespace
    /// object, when known (its labels choose modes and Pod Security levels).
    pub fn evaluate(&self, req: &Request<'_>, namespace: Option<&NamespaceInfo>) -> Outcome {
        let allow = |decision: Decision, annotation: Option<(&str, String)>| {
            let mut response = Response::allow(&req.uid);
            if let Some((k, v)) = annotation {
                response.audit_annotations.insert(k.to_string(), v);
            }
            Outcome {
                response,
                decision,
                actions: Vec::new(),
                notes: Vec::new(),
            }
        };
        if matches!(req.operation, Operation::Delete | Operation::Connect) {
            return allow(Decision::Skipped, None);
        }
        if !req.sub_resource.is_empty() && req.sub_resource != "ephemeralcontainers" {
            return allow(Decision::Skipped, None);
        }
        if let Some(e) = self
            .policy
            .exemption(&req.namespace, &req.user.username, &req.user.groups)
        {
            return allow(Decision::Exempt, Some(("exempt", e.to_string())));
        }
        let (modes, notes) = self
            .policy
            .modes_for(&req.namespace, namespace.map(|n| &n.labels));
        let mut namespaces = Namespaces::default();
        if let Some(ns) = namespace {
            namespaces.insert(ns.clone());
        }
        let Some(object) = req.object else {
            // decode() refuses CREATE and UPDATE without an object.
            return allow(Decision::Skipped, None);
        };
        let object = with_namespace(object, &req.namespace);
        let engine = self.engine_for(&req.kind.kind);
        let report = engine.scan_str_in("request.object", &object, &namespaces);
        let what = describe(req);
        if !report.errors.is_empty() {
            let errors: Vec<String> = report
                .errors
                .iter()
                .map(|e| {
                    let at = e.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                    format!("{at}{}", e.message)
                })
                .collect();
            let message = clip(
                &format!("kubefort cannot check {what}: {}", errors.join("; ")),
                MAX_MESSAGE_CHARS,
            );
            if modes.enforce.0.is_none() {
                let mut o = allow(Decision::Warned, Some(("error", message.clone())));
                o.response.warnings.push(clip(&message, MAX_WARNING_CHARS));
                o.notes = notes;
                return o;
            }
            let mut response = Response::deny(&req.uid, 400, "BadRequest", message.clone());
            response
                .audit_annotations
                .insert("error".to_string(), message);
            return Outcome {
                response,
                decision: Decision::Invalid,
                actions: Vec::new(),
                notes,
            };
        }
        // Findings the old object already had: an update that leaves them
        // as they were is not blocked for them.
        let existing: HashSet<(&'static str, String)> = match (req.operation, req.old_object) {
            (Operation::Update, Some(old)) if self.policy.update == UpdateMode::NewViolations => {
                let old = with_namespace(old, &req.namespace);
                engine
                    .scan_str_in("request.oldObject", &old, &namespaces)
                    .findings
                    .into_iter()
                    .map(|f| (f.rule, f.path))
                    .collect()
            }
            _ => HashSet::new(),
        };
        decide(req, &what, modes, &report.findings, &existing, notes)
    }
}

/// The object's text, with `metadata.namespace` set to the request's
/// namespace when the object leaves it out.
fn with_namespace<'a>(object: &'a str, namespace: &str) -> std::borrow::Cow<'a, str> {
    if namespace.is_empty() || object.contains("\"namespace\"") {
        return object.into();
    }
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(object) else {
        return object.into();
    };
    if let Some(meta) = v
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| serde_json::json!({})))
        .and_then(|m| m.as_object_mut())
    {
        meta.insert("namespace".into(), namespace.into());
        return v.to_string().into();
    }
    object.into()
}

/// `Deployment shop/web` for messages.
fn describe(req: &Request<'_>) -> String {
    let mut s = req.kind.kind.clone();
    s.push(' ');
    if !req.namespace.is_empty() {
        s.push_str(&req.namespace);
        s.push('/');
    }
    s.push_str(if req.name.is_empty() {
        "<generated name>"
    } else {
        &req.name
    });
    s
}

fn clip(s: &str, max: usize) -> String {
    // One line, printable: the API server drops warnings with control characters.
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn line(f: &Finding) -> String {
    format!("[{}] {}: {} ({})", f.severity, f.rule, f.message, f.path)
}

fn decide(
    req: &Request<'_>,
    what: &str,
    modes: Modes,
    findings: &[Finding],
    existing: &HashSet<(&'static str, String)>,
    notes: Vec<String>,
) -> Outcome {
    let mut denied: Vec<&Finding> = Vec::new();
    let mut warned: Vec<(&Finding, bool)> = Vec::new();
    let mut audited: Vec<&Finding> = Vec::new();
    let mut actions = Vec::new();
    for f in findings {
        let pre_existing = existing.contains(&(f.rule, f.path.clone()));
        if modes.enforce.reached(f.severity) && !pre_existing {
            denied.push(f);
            actions.push((f.rule, Action::Denied));
        } else if modes.warn.reached(f.severity)
            || (pre_existing && modes.enforce.reached(f.severity))
        {
            warned.push((f, pre_existing));
            actions.push((f.rule, Action::Warned));
        } else if modes.audit.reached(f.severity) {
            actions.push((f.rule, Action::Audited));
        }
        if modes.audit.reached(f.severity) {
            audited.push(f);
        }
    }
    let mut response = if denied.is_empty() {
        Response::allow(&req.uid)
    } else {
        let threshold = modes.enforce.0.unwrap_or(Severity::Critical);
        let n = denied.len();
        denied.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let list: Vec<String> = denied.iter().map(|f| line(f)).collect();
        let message = format!(
            "kubefort denied {what}: {n} finding{} at or above {threshold}: {}",
            if n == 1 { "" } else { "s" },
            list.join("; ")
        );
        Response::deny(
            &req.uid,
            403,
            "Forbidden",
            clip(&message, MAX_MESSAGE_CHARS),
        )
    };
    // Most severe first: the API server may drop warnings past its budget.
    warned.sort_by_key(|w| std::cmp::Reverse(w.0.severity));
    let total = warned.len();
    for (f, pre_existing) in warned.iter().take(MAX_WARNINGS) {
        let mut w = format!("kubefort {}", line(f));
        if *pre_existing {
            w.push_str(" [already present before this update]");
        }
        response.warnings.push(clip(&w, MAX_WARNING_CHARS));
    }
    if total > MAX_WARNINGS {
        response.warnings.push(format!(
            "kubefort: {} more findings; run `kubefort scan` on the manifest to see them all",
            total - MAX_WARNINGS
        ));
    }
    let decision = if !denied.is_empty() {
        Decision::Denied
    } else if !response.warnings.is_empty() {
        Decision::Warned
    } else {
        Decision::Allowed
    };
    let a = &mut response.audit_annotations;
    if !audited.is_empty() || decision != Decision::Allowed {
        a.insert("decision".into(), decision.as_str().into());
        a.insert("modes".into(), modes.to_string());
    }
    if !audited.is_empty() {
        let list: Vec<String> = audited
            .iter()
            .map(|f| format!("{}({})@{}", f.rule, f.severity, f.path))
            .collect();
        a.insert("findings".into(), clip(&list.join(","), MAX_MESSAGE_CHARS));
    }
    if req.dry_run {
        // Nothing to undo: the webhook has no side effects.
        a.insert("dry-run".into(), "true".into());
    }
    Outcome {
        response,
        decision,
        actions,
        notes,
    }
}

/// A map of labels, for tests and callers that build namespaces by hand.
pub fn namespace(name: &str, labels: &[(&str, &str)]) -> NamespaceInfo {
    NamespaceInfo {
        name: name.to_string(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        file: "api-server".into(),
        pos: kubefort_core::Pos { line: 1, column: 1 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::decode;

    fn review(namespace: &str, object: &str) -> String {
        format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u","kind":{{"group":"","version":"v1","kind":"Pod"}},"namespace":"{namespace}","operation":"CREATE","userInfo":{{"username":"a"}},"object":{object}}}}}"#
        )
    }

    /// A check supplied at run time (a user policy) judges every kind,
    /// whichever engine the kind gets.
    #[test]
    fn dynamic_checks_run_for_every_kind() {
        struct DenyAll;
        impl kubefort_core::DynamicCheck for DenyAll {
            fn check_object(
                &self,
                object: &kubefort_core::object::Object,
                _: &kubefort_core::ScanScope,
                out: &mut Vec<kubefort_core::Finding>,
            ) {
                out.push(kubefort_core::Finding {
                    rule: "deny-everything",
                    severity: kubefort_core::Severity::Critical,
                    message: "denied by a test policy".into(),
                    object: object.id.clone(),
                    path: "metadata".into(),
                    location: kubefort_core::Location {
                        file: object.file.clone(),
                        line: 1,
                        column: 1,
                    },
                    remediation: "",
                    groups: &["policy"],
                    suppressed: None,
                });
            }
        }
        let v = Validator::new(Policy::default())
            .unwrap()
            .with_dynamic(std::sync::Arc::new(DenyAll));
        let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"r/a:1"}]}}"#;
        let body = review("default", pod);
        let req = decode(body.as_bytes()).unwrap();
        let d = v.evaluate(&req, Some(&namespace("default", &[])));
        assert!(!d.response.allowed);
        assert!(d.actions.iter().any(|(r, _)| *r == "deny-everything"));
        let kinds: Vec<&str> = v.by_kind.keys().copied().collect();
        assert!(!kinds.is_empty());
        for kind in kinds {
            assert!(v
                .engine_for(kind)
                .scan_str("x.json", &format!(r#"{{"apiVersion":"v1","kind":"{kind}","metadata":{{"name":"x","namespace":"n"}}}}"#))
                .findings
                .iter()
                .any(|f| f.rule == "deny-everything"), "{kind}");
        }
    }

    /// The Pod Security rules read the namespace's labels from the API
    /// server, and the object gets the request's namespace when it has none.
    #[test]
    fn pod_security_follows_the_namespace_labels() {
        let v = Validator::new(Policy::default()).unwrap();
        let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"r/a:1"}]}}"#;
        let body = review("tight", pod);
        let req = decode(body.as_bytes()).unwrap();
        let unlabelled = v.evaluate(&req, Some(&namespace("tight", &[])));
        assert!(!unlabelled
            .actions
            .iter()
            .any(|(r, _)| r.starts_with("pss-")));
        let ns = namespace(
            "tight",
            &[("pod-security.kubernetes.io/enforce", "restricted")],
        );
        let labelled = v.evaluate(&req, Some(&ns));
        let pss: Vec<&str> = labelled
            .actions
            .iter()
            .map(|(r, _)| *r)
            .filter(|r| r.starts_with("pss-"))
            .collect();
        assert!(pss.contains(&"pss-run-as-non-root"), "{pss:?}");
        // Medium findings: warnings under the default modes.
        assert!(labelled.response.allowed);
        assert!(labelled
            .response
            .warnings
            .iter()
            .any(|w| w.contains("pss-run-as-non-root")));
    }

    #[test]
    fn long_messages_are_one_clipped_line() {
        assert_eq!(clip("a\nb", 10), "a b");
        let c = clip(&"x".repeat(500), 240);
        assert_eq!(c.chars().count(), 240);
        assert!(c.ends_with('…'));
    }
}

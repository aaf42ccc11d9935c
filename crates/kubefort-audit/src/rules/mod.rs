//! The detection rules (group `audit`). One file per rule: its
//! documentation (what, why, how to respond, false positives), severity,
//! MITRE ATT&CK techniques and the Falco k8saudit rules it covers, next to
//! its check. Every rule is listed in [`all`].

use kubefort_core::{Rule, RuleMeta, Severity};
use serde_json::Value;

use crate::detect::{Facts, Lazy, Settings, State};
use crate::event::Event;

pub mod admin_activity;
pub mod admission_webhook_change;
pub mod anonymous_allowed;
pub mod anonymous_binding;
pub mod baseline_anomaly;
pub mod cluster_admin_binding;
pub mod configmap_credentials;
pub mod csr_approval;
pub mod disallowed_image;
pub mod disallowed_namespace;
pub mod disallowed_user;
pub mod ephemeral_container;
pub mod forbidden_burst;
pub mod host_namespace_pod;
pub mod impersonation;
pub mod ingress_without_tls;
pub mod kube_system_change;
pub mod nodeport_service;
pub mod nodes_proxy;
pub mod permission_enumeration;
pub mod pod_exec;
pub mod port_forward;
pub mod privileged_pod;
pub mod resource_activity;
pub mod role_escalation_verbs;
pub mod role_pod_exec;
pub mod role_wildcard;
pub mod role_write_privileges;
pub mod sa_token_request;
pub mod sa_token_unexpected_client;
pub mod secret_access;
pub mod sensitive_mount_pod;
pub mod system_role_modified;
pub mod untrusted_node;

/// An audit rule: metadata (shared with kubefort's other rules), the
/// techniques it detects, its Falco counterparts, and the check.
pub struct AuditRule {
    pub meta: RuleMeta,
    /// MITRE ATT&CK technique IDs (`T1609`).
    pub mitre: &'static [&'static str],
    /// Falco k8saudit default rules with the same intent.
    pub falco: &'static [&'static str],
    pub check: fn(&mut Ctx<'_>),
}

/// What a rule reports: a message, and a severity when not its default.
pub struct Hit {
    pub severity: Option<Severity>,
    pub message: String,
    /// The object's name when the event's reference has none (creations).
    pub name: Option<String>,
}

/// What a rule sees.
pub struct Ctx<'c> {
    pub ev: &'c Event<'c>,
    pub facts: &'c Facts<'c>,
    pub settings: &'c Settings,
    pub state: &'c mut State,
    pub lazy: &'c Lazy,
    pub rule: &'static AuditRule,
    pub(crate) hits: &'c mut Vec<Hit>,
}

impl Ctx<'_> {
    pub fn report(&mut self, message: impl Into<String>) {
        self.report_with(self.rule.meta.severity, message);
    }

    pub fn report_with(&mut self, severity: Severity, message: impl Into<String>) {
        let name = if self.ev.name().is_empty() {
            self.lazy
                .written_object(self.ev)
                .and_then(|o| o.pointer("/metadata/name"))
                .and_then(Value::as_str)
                .map(str::to_string)
        } else {
            None
        };
        self.hits.push(Hit {
            severity: Some(severity),
            message: message.into(),
            name,
        });
    }

    /// The actor's name.
    pub fn who(&self) -> &str {
        &self.facts.actor.username
    }

    /// `namespace/name` of the target (or its name, or the resource).
    pub fn target(&self) -> String {
        let name = if self.ev.name().is_empty() {
            self.lazy
                .written_object(self.ev)
                .and_then(|o| o.pointer("/metadata/name"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        } else {
            self.ev.name().to_string()
        };
        let ns = if self.ev.resource() == "namespaces" {
            ""
        } else {
            self.ev.namespace()
        };
        match (ns, name.as_str()) {
            ("", "") => self.ev.resource().to_string(),
            ("", n) => n.to_string(),
            (ns, "") => format!("namespace {ns}"),
            (ns, n) => format!("{ns}/{n}"),
        }
    }

    /// How the request ended, for messages: empty when it succeeded.
    pub fn outcome(&self) -> String {
        outcome(self.ev)
    }

    /// Severity one step lower when the request did not succeed: an attempt
    /// is worth knowing, a success is worth acting on.
    pub fn attempt_severity(&self, severity: Severity) -> Severity {
        if self.ev.succeeded() {
            severity
        } else {
            lower(severity)
        }
    }
}

/// One step lower (never below low).
pub fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        _ => Severity::Low,
    }
}

/// ` (refused: 403 Forbidden)`, ` (failed: 400 …)`, or empty on success.
pub fn outcome(ev: &Event<'_>) -> String {
    if ev.succeeded() {
        return String::new();
    }
    let code = ev.code();
    let reason = ev
        .response_status
        .as_ref()
        .map(|s| s.reason.as_ref())
        .unwrap_or("");
    let word = if code == 401 || code == 403 {
        "refused"
    } else {
        "failed"
    };
    if code == 0 {
        format!(" ({word}: no response code)")
    } else if reason.is_empty() {
        format!(" ({word}: {code})")
    } else {
        format!(" ({word}: {code} {reason})")
    }
}

/// Every audit rule, in documentation order.
pub fn all() -> Vec<&'static AuditRule> {
    vec![
        &pod_exec::RULE,
        &port_forward::RULE,
        &ephemeral_container::RULE,
        &nodes_proxy::RULE,
        &privileged_pod::RULE,
        &sensitive_mount_pod::RULE,
        &host_namespace_pod::RULE,
        &cluster_admin_binding::RULE,
        &anonymous_binding::RULE,
        &role_wildcard::RULE,
        &role_escalation_verbs::RULE,
        &role_pod_exec::RULE,
        &role_write_privileges::RULE,
        &system_role_modified::RULE,
        &impersonation::RULE,
        &sa_token_request::RULE,
        &sa_token_unexpected_client::RULE,
        &csr_approval::RULE,
        &untrusted_node::RULE,
        &admission_webhook_change::RULE,
        &anonymous_allowed::RULE,
        &forbidden_burst::RULE,
        &permission_enumeration::RULE,
        &secret_access::RULE,
        &configmap_credentials::RULE,
        &kube_system_change::RULE,
        &nodeport_service::RULE,
        &ingress_without_tls::RULE,
        &disallowed_user::RULE,
        &disallowed_image::RULE,
        &disallowed_namespace::RULE,
        &admin_activity::RULE,
        &resource_activity::RULE,
        &baseline_anomaly::RULE,
    ]
}

/// The group every audit rule is in, and what it holds.
pub const GROUPS: &[(&str, &str)] = &[(
    "audit",
    "Threat detection over Kubernetes audit events (`kubefort audit`)",
)];

/// The rules of kubefort-rules that judge pods in requests.
pub fn workload_rules() -> Vec<&'static Rule> {
    use kubefort_rules::workload::*;
    vec![
        &privileged_container::RULE,
        &dangerous_capabilities::RULE,
        &host_network::RULE,
        &host_pid::RULE,
        &host_ipc::RULE,
        &host_path_volume::RULE,
    ]
}

/// Resources holding a pod spec, and their kinds.
const WORKLOADS: &[(&str, &str)] = &[
    ("pods", "Pod"),
    ("deployments", "Deployment"),
    ("replicasets", "ReplicaSet"),
    ("statefulsets", "StatefulSet"),
    ("daemonsets", "DaemonSet"),
    ("jobs", "Job"),
    ("cronjobs", "CronJob"),
    ("replicationcontrollers", "ReplicationController"),
    ("podtemplates", "PodTemplate"),
];

/// The kind of a workload resource.
pub fn kind_of(resource: &str) -> Option<&'static str> {
    WORKLOADS
        .iter()
        .find(|(r, _)| *r == resource)
        .map(|(_, k)| *k)
}

/// Whether the event writes a pod spec (a pod or a workload, not a
/// subresource), whose findings the workload rules give.
pub fn writes_pod_spec(ev: &Event<'_>) -> bool {
    ev.subresource().is_empty()
        && matches!(&*ev.verb, "create" | "update" | "patch")
        && kind_of(ev.resource()).is_some()
}

/// The workload rules' findings for this event, when it writes a pod spec
/// and was not made by a trusted identity (a controller creating pods from
/// a template repeats what its creator already did).
pub fn workload_findings<'c>(ctx: &Ctx<'c>, rules: &[&str]) -> Vec<&'c kubefort_core::Finding> {
    if ctx.facts.trusted || !writes_pod_spec(ctx.ev) {
        return Vec::new();
    }
    ctx.lazy
        .workload_findings(ctx.ev, ctx.settings)
        .iter()
        .filter(|f| rules.contains(&f.rule))
        .collect()
}

/// Report the workload findings of `rules`, one alert for all of them.
pub fn report_workload(ctx: &mut Ctx<'_>, rules: &[&str], what: &str) {
    let findings = workload_findings(ctx, rules);
    if findings.is_empty() {
        return;
    }
    let worst = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(ctx.rule.meta.severity);
    let severity = ctx.attempt_severity(worst.min(Severity::High).max(ctx.rule.meta.severity));
    let mut details: Vec<String> = findings
        .iter()
        .map(|f| format!("{} ({})", f.message, f.path))
        .collect();
    details.dedup();
    let kind = kind_of(ctx.ev.resource()).unwrap_or("object");
    let msg = format!(
        "{} {} {kind} {} {what}{}: {}",
        ctx.who(),
        verb_past(&ctx.ev.verb),
        ctx.target(),
        ctx.outcome(),
        details.join("; ")
    );
    ctx.report_with(severity, msg);
}

/// `created`, `updated`, `patched`, `deleted`, or the verb.
pub fn verb_past(verb: &str) -> String {
    match verb {
        "create" => "created".into(),
        "update" => "updated".into(),
        "patch" => "patched".into(),
        "delete" => "deleted".into(),
        "deletecollection" => "deleted a collection of".into(),
        "get" => "read".into(),
        "list" => "listed".into(),
        "watch" => "watched".into(),
        v => v.to_string(),
    }
}

/// One RBAC policy rule of a Role or ClusterRole.
pub struct PolicyRule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The rules of a written Role or ClusterRole, when the event writes one.
pub fn written_policy_rules(ctx: &Ctx<'_>) -> Option<Vec<PolicyRule>> {
    if !matches!(ctx.ev.resource(), "roles" | "clusterroles")
        || !ctx.ev.subresource().is_empty()
        || !matches!(&*ctx.ev.verb, "create" | "update" | "patch")
        || ctx.ev.api_group() != "rbac.authorization.k8s.io"
    {
        return None;
    }
    let obj = ctx.lazy.written_object(ctx.ev)?;
    Some(
        obj.get("rules")
            .and_then(Value::as_array)
            .map(|rules| {
                rules
                    .iter()
                    .map(|r| PolicyRule {
                        verbs: strings(r.get("verbs")),
                        api_groups: strings(r.get("apiGroups")),
                        resources: strings(r.get("resources")),
                        non_resource_urls: strings(r.get("nonResourceURLs")),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    )
}

impl PolicyRule {
    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb || v == "*")
    }

    /// Whether the rule covers `resource` (`pods/exec`) in `group`.
    pub fn covers(&self, group: &str, resource: &str) -> bool {
        let group_ok = self.api_groups.iter().any(|g| g == group || g == "*");
        let (base, sub) = resource.split_once('/').unwrap_or((resource, ""));
        let res_ok = self.resources.iter().any(|r| {
            r == "*"
                || r == resource
                || (!sub.is_empty() && (*r == format!("{base}/*") || *r == format!("*/{sub}")))
        });
        group_ok && res_ok
    }

    pub fn describe(&self) -> String {
        let mut s = format!("verbs {:?}", self.verbs);
        if !self.resources.is_empty() {
            s += &format!(" on {:?}", self.resources);
            if !self.api_groups.is_empty() {
                s += &format!(" in apiGroups {:?}", self.api_groups);
            }
        }
        if !self.non_resource_urls.is_empty() {
            s += &format!(" on nonResourceURLs {:?}", self.non_resource_urls);
        }
        s
    }
}

/// A written RoleBinding or ClusterRoleBinding: (role kind, role name, subjects as `Kind name`).
pub struct Binding {
    pub role_kind: String,
    pub role_name: String,
    pub subjects: Vec<(String, String, String)>,
}

/// The binding an event writes, if it writes one.
pub fn written_binding(ctx: &Ctx<'_>) -> Option<Binding> {
    if !matches!(ctx.ev.resource(), "rolebindings" | "clusterrolebindings")
        || !ctx.ev.subresource().is_empty()
        || !matches!(&*ctx.ev.verb, "create" | "update" | "patch")
        || ctx.ev.api_group() != "rbac.authorization.k8s.io"
    {
        return None;
    }
    let obj = ctx.lazy.written_object(ctx.ev)?;
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    Some(Binding {
        role_kind: s(obj.pointer("/roleRef/kind")),
        role_name: s(obj.pointer("/roleRef/name")),
        subjects: obj
            .get("subjects")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|x| (s(x.get("kind")), s(x.get("name")), s(x.get("namespace"))))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

impl Binding {
    pub fn describe_subjects(&self) -> String {
        self.subjects
            .iter()
            .map(|(k, n, ns)| {
                if ns.is_empty() {
                    format!("{k} {n}")
                } else {
                    format!("{k} {ns}/{n}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The secrets a pod uses: volumes (also projected), env and envFrom
/// references, image pull secrets.
pub fn secrets_used(pod: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: Option<&Value>| {
        if let Some(n) = v.and_then(Value::as_str) {
            if !out.iter().any(|o| o == n) {
                out.push(n.to_string());
            }
        }
    };
    let spec = pod.get("spec").unwrap_or(&Value::Null);
    for vol in spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        add(vol.pointer("/secret/secretName"));
        for src in vol
            .pointer("/projected/sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            add(src.pointer("/secret/name"));
        }
    }
    for s in spec
        .get("imagePullSecrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        add(s.get("name"));
    }
    for field in ["containers", "initContainers", "ephemeralContainers"] {
        for c in spec
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
                add(e.pointer("/valueFrom/secretKeyRef/name"));
            }
            for e in c
                .get("envFrom")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                add(e.pointer("/secretRef/name"));
            }
        }
    }
    out
}

/// The container images of a written pod spec.
pub fn images(obj: &Value, resource: &str) -> Vec<String> {
    let spec = match resource {
        "pods" => obj.get("spec"),
        "cronjobs" => obj.pointer("/spec/jobTemplate/spec/template/spec"),
        "podtemplates" => obj.pointer("/template/spec"),
        _ => obj.pointer("/spec/template/spec"),
    };
    let Some(spec) = spec else {
        return Vec::new();
    };
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|f| spec.get(*f).and_then(Value::as_array).into_iter().flatten())
        .filter_map(|c| c.get("image").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// Markdown reference of the audit rules: a table, then each rule's docs.
pub fn markdown(rules: &[&AuditRule]) -> String {
    let mut s = String::new();
    s += "| Rule | Severity | MITRE ATT&CK | Falco k8saudit counterpart | Default | Summary |\n";
    s += "| --- | --- | --- | --- | --- | --- |\n";
    for r in rules {
        let falco = if r.falco.is_empty() {
            "— (not covered by Falco)".to_string()
        } else {
            r.falco.join("; ")
        };
        s += &format!(
            "| [`{n}`](#{n}) | {sev} | {mitre} | {falco} | {def} | {sum} |\n",
            n = r.meta.name,
            sev = r.meta.severity,
            mitre = r
                .mitre
                .iter()
                .map(|t| format!(
                    "[{t}](https://attack.mitre.org/techniques/{}/)",
                    t.replace('.', "/")
                ))
                .collect::<Vec<_>>()
                .join(", "),
            def = if r.meta.default_enabled { "on" } else { "off" },
            sum = r.meta.summary,
        );
    }
    for r in rules {
        s += &format!("\n### {}\n\n", r.meta.name);
        s += &format!(
            "Severity: **{}** · MITRE ATT&CK: {} · Falco: {} · {}\n\n",
            r.meta.severity,
            r.mitre.join(", "),
            if r.falco.is_empty() {
                "none".to_string()
            } else {
                r.falco.join("; ")
            },
            if r.meta.default_enabled {
                "on by default"
            } else {
                "off by default (select it)"
            }
        );
        // Rule docs use `##` headings; here they sit under `###`.
        for line in r.meta.docs.trim().lines() {
            if let Some(h) = line.strip_prefix("## ") {
                s += &format!("#### {h}\n");
            } else {
                s += line;
                s.push('\n');
            }
        }
        s += "\n#### How to respond (summary)\n";
        s += r.meta.remediation;
        s.push('\n');
        if !r.meta.references.is_empty() {
            s += "\n#### References\n";
            for reference in r.meta.references {
                s += &format!("- <{reference}>\n");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_rule_is_documented_and_unique() {
        let mut names = HashSet::new();
        for r in all() {
            let m = &r.meta;
            assert!(names.insert(m.name), "duplicate rule {}", m.name);
            assert!(m.name.starts_with("audit-"), "{}", m.name);
            assert_eq!(m.groups.first(), Some(&"audit"), "{}", m.name);
            for heading in [
                "## What it does",
                "## Why it matters",
                "## How to respond",
                "## False positives",
            ] {
                assert!(m.docs.contains(heading), "{} lacks {heading:?}", m.name);
            }
            assert!(!r.mitre.is_empty(), "{} has no technique", m.name);
            for t in r.mitre {
                assert!(t.starts_with('T') && t.len() >= 5, "{}: {t}", m.name);
            }
            assert!(!m.references.is_empty(), "{} has no references", m.name);
            assert!(!m.summary.is_empty() && !m.remediation.is_empty());
        }
    }

    #[test]
    fn policy_rules_cover_subresources() {
        let r = PolicyRule {
            verbs: vec!["create".into()],
            api_groups: vec!["".into()],
            resources: vec!["pods/*".into()],
            non_resource_urls: vec![],
        };
        assert!(r.covers("", "pods/exec"));
        assert!(!r.covers("", "pods"));
        assert!(!r.covers("apps", "pods/exec"));
    }
}

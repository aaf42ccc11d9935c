//! The `audit:` section of `.kubefort.yaml`: exceptions per rule, the
//! identities a cluster trusts, and the thresholds of the stateful rules.

use serde::Deserialize;

use crate::event::Event;
use crate::identity::matches_pattern;

/// Settings of `kubefort audit` (the `audit:` key of the configuration file).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Alerts to drop: every listed condition must hold.
    pub exceptions: Vec<Exception>,
    /// More users (exact, or a prefix ending in `*`) treated like the
    /// cluster's own controllers: GitOps agents, operators, backup tools.
    pub known_controllers: Vec<String>,
    /// Groups whose members are treated like controllers.
    pub known_controller_groups: Vec<String>,
    /// `audit-forbidden-burst`: this many forbidden responses…
    pub forbidden_threshold: u32,
    /// …to one identity within this many seconds.
    pub forbidden_window_seconds: u32,
    /// `audit-sa-token-unexpected-client`: user-agent prefixes (case-insensitive)
    /// that no workload's own client sends.
    pub suspicious_user_agents: Vec<String>,
    /// `audit-sa-token-unexpected-client`: where service-account tokens may be
    /// used from (pod and node CIDRs); empty: not checked.
    pub service_account_cidrs: Vec<String>,
    /// `audit-disallowed-user`: the users allowed to call the API; empty: the rule is silent.
    pub allowed_users: Vec<String>,
    /// `audit-disallowed-image`: allowed image prefixes; empty: the rule is silent.
    pub allowed_images: Vec<String>,
    /// `audit-disallowed-namespace`: namespaces that may be created; empty: the rule is silent.
    pub allowed_namespaces: Vec<String>,
    /// Namespaces whose changes `audit-kube-system-change` watches.
    pub system_namespaces: Vec<String>,
    /// Largest event (one line, one webhook batch) read, in bytes.
    pub max_event_size: usize,
    /// `audit-baseline-anomaly`: the lowest score reported (0 to 1).
    pub baseline_threshold: f64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            exceptions: Vec::new(),
            known_controllers: Vec::new(),
            known_controller_groups: Vec::new(),
            forbidden_threshold: 10,
            forbidden_window_seconds: 60,
            suspicious_user_agents: [
                "curl/",
                "wget/",
                "python-requests/",
                "python-urllib",
                "python/",
                "aiohttp/",
                "httpie/",
                "postmanruntime/",
                "insomnia/",
                "go-http-client/",
                "kubectl/",
                "peirates",
                "kube-hunter",
                "masscan",
                "nmap",
                "okhttp/",
                "node-fetch",
                "axios/",
                "powershell",
            ]
            .map(String::from)
            .to_vec(),
            service_account_cidrs: Vec::new(),
            allowed_users: Vec::new(),
            allowed_images: Vec::new(),
            allowed_namespaces: Vec::new(),
            system_namespaces: ["kube-system", "kube-public", "kube-node-lease"]
                .map(String::from)
                .to_vec(),
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            baseline_threshold: 0.5,
        }
    }
}

/// 8 MiB: the API server refuses request bodies over 3 MiB, and an event
/// holds at most a request and a response object.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 8 << 20;

/// One exception. Every list that is not empty must match; `rules` empty
/// means every rule.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Exception {
    #[serde(default)]
    pub rules: Vec<String>,
    /// Users (the identity the request was authorized as; `*` suffix for prefixes).
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Resource names (`*` suffix for prefixes).
    #[serde(default)]
    pub names: Vec<String>,
    /// Resources (`secrets`, `pods/exec`).
    #[serde(default)]
    pub resources: Vec<String>,
    pub reason: Option<String>,
}

impl AuditConfig {
    /// Read the `audit:` value of the configuration file.
    pub fn from_value(v: Option<&serde_json::Value>) -> Result<AuditConfig, String> {
        let c: AuditConfig = match v {
            None | Some(serde_json::Value::Null) => AuditConfig::default(),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("audit: {e}"))?,
        };
        for cidr in &c.service_account_cidrs {
            crate::cidr::Cidr::parse(cidr)
                .map_err(|e| format!("audit.service-account-cidrs: {e}"))?;
        }
        if !(0.0..=1.0).contains(&c.baseline_threshold) {
            return Err("audit: baseline-threshold must be between 0 and 1".into());
        }
        if c.forbidden_threshold == 0 || c.forbidden_window_seconds == 0 {
            return Err(
                "audit: forbidden-threshold and forbidden-window-seconds must be at least 1".into(),
            );
        }
        Ok(c)
    }

    /// The exception an alert of `rule` on `ev` falls under, with its reason.
    pub fn exception_for(&self, rule: &str, groups: &[&str], ev: &Event<'_>) -> Option<String> {
        let actor = ev.actor();
        self.exceptions.iter().find_map(|x| {
            let rule_ok = x.rules.is_empty()
                || x.rules
                    .iter()
                    .any(|r| r == rule || groups.contains(&r.as_str()) || r == "all");
            let user_ok =
                x.users.is_empty() || x.users.iter().any(|u| matches_pattern(u, &actor.username));
            let group_ok = x.groups.is_empty()
                || x.groups
                    .iter()
                    .any(|g| actor.groups.iter().any(|ag| matches_pattern(g, ag)));
            let ns_ok = x.namespaces.is_empty()
                || x.namespaces
                    .iter()
                    .any(|n| matches_pattern(n, ev.namespace()));
            let name_ok =
                x.names.is_empty() || x.names.iter().any(|n| matches_pattern(n, ev.name()));
            let res = ev.resource_path();
            let res_ok = x.resources.is_empty()
                || x.resources.iter().any(|r| *r == res || r == ev.resource());
            (rule_ok && user_ok && group_ok && ns_ok && name_ok && res_ok).then(|| {
                x.reason
                    .clone()
                    .unwrap_or_else(|| "configured exception".into())
            })
        })
    }
}

//! The detector: one audit event at a time through every selected rule,
//! with the little state the stateful rules keep, exceptions applied, and
//! alerts out.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;

use kubefort_core::{Config, Engine, Finding, Severity};
use serde::Serialize;

use crate::cidr::Cidr;
use crate::config::AuditConfig;
use crate::event::Event;
use crate::identity::{classify, matches_pattern, service_account, Kind};
use crate::rules::{AuditRule, Ctx, Hit};

/// One alert.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub rule: &'static str,
    pub severity: Severity,
    /// What happened, in a sentence.
    pub message: String,
    /// MITRE ATT&CK technique IDs.
    pub mitre: &'static [&'static str],
    #[serde(rename = "auditID")]
    pub audit_id: String,
    pub time: String,
    pub stage: String,
    /// The identity the request was authorized as.
    pub user: String,
    pub groups: Vec<String>,
    /// Who impersonated `user`, when someone did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonator: Option<String>,
    #[serde(rename = "sourceIPs")]
    pub source_ips: Vec<String>,
    pub user_agent: String,
    pub verb: String,
    pub resource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_group: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(rename = "requestURI")]
    pub request_uri: String,
    pub response_code: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// Where the event was read (file and line), in file mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Why the alert was suppressed, when a configured exception matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

/// Where an event came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    pub file: String,
    pub line: u64,
}

/// Per-rule counts, for the summary and the metrics.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RuleCount {
    pub alerts: u64,
    pub suppressed: u64,
}

/// What a run saw.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Events read (valid ones).
    pub events: u64,
    /// Events evaluated by the rules (`ResponseComplete`, `Panic`, and
    /// `ResponseStarted` of connections).
    pub evaluated: u64,
    /// Events of other stages, not evaluated (a request is judged once).
    pub other_stages: u64,
    /// Lines or items that were not valid audit events.
    pub invalid: u64,
    /// Lines or batches over the size limit, skipped.
    pub oversized: u64,
    pub alerts: u64,
    pub suppressed: u64,
}

/// The settings the rules read, compiled once.
pub struct Settings {
    pub config: AuditConfig,
    pub cidrs: Vec<Cidr>,
    pub user_agents: Vec<String>,
    /// The workload rules of kubefort-rules, run on the pods in requests.
    pub workloads: Engine,
    /// The learned baseline, when one is given.
    pub baseline: Option<crate::baseline::Baseline>,
}

impl Settings {
    pub fn new(config: AuditConfig) -> Settings {
        let cidrs = config
            .service_account_cidrs
            .iter()
            .filter_map(|c| Cidr::parse(c).ok())
            .collect();
        let user_agents = config
            .suspicious_user_agents
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        Settings {
            config,
            cidrs,
            user_agents,
            workloads: Engine::new(crate::rules::workload_rules(), Config::default()),
            baseline: None,
        }
    }

    /// Whether the user is trusted as a controller by the configuration.
    pub fn known_controller(&self, user: &crate::event::UserInfo<'_>) -> bool {
        self.config
            .known_controllers
            .iter()
            .any(|p| matches_pattern(p, &user.username))
            || self
                .config
                .known_controller_groups
                .iter()
                .any(|p| user.groups.iter().any(|g| matches_pattern(p, g)))
    }
}

/// What rules keep between events. Every map is bounded: past
/// [`STATE_LIMIT`] entries the oldest half is forgotten.
#[derive(Default)]
pub struct State {
    /// Forbidden responses per identity: times (µs) in the window.
    pub forbidden: HashMap<String, Burst>,
    /// Secrets mounted by pods, learned from pod creations: (namespace,
    /// secret) → service accounts of the pods that use it.
    pub mounts: HashMap<(String, String), Vec<String>>,
    /// Where each service-account credential was first used from.
    pub credential_ips: HashMap<String, String>,
    /// Novelties `audit-baseline-anomaly` reported (each once per run).
    pub reported: HashSet<String>,
    /// Audit IDs judged at `ResponseStarted` (not judged again at completion).
    started: HashSet<String>,
    started_order: VecDeque<String>,
}

/// One identity's recent forbidden responses.
#[derive(Default)]
pub struct Burst {
    pub times: VecDeque<i64>,
    pub resources: VecDeque<String>,
    /// No new alert for this identity before this time (µs).
    pub quiet_until: i64,
}

/// How many entries a state map holds before forgetting.
pub const STATE_LIMIT: usize = 100_000;

pub(crate) fn bound<K: std::hash::Hash + Eq + Clone, V>(m: &mut HashMap<K, V>) {
    if m.len() >= STATE_LIMIT {
        let drop: Vec<K> = m.keys().take(STATE_LIMIT / 2).cloned().collect();
        for k in drop {
            m.remove(&k);
        }
    }
}

/// Values computed once per event, for every rule that asks.
#[derive(Default)]
pub struct Lazy {
    request: OnceCell<Option<serde_json::Value>>,
    response: OnceCell<Option<serde_json::Value>>,
    workload: OnceCell<Vec<Finding>>,
}

impl Lazy {
    pub fn request_object(&self, ev: &Event<'_>) -> Option<&serde_json::Value> {
        self.request
            .get_or_init(|| {
                ev.request_object
                    .and_then(|r| serde_json::from_str(r.get()).ok())
            })
            .as_ref()
    }

    pub fn response_object(&self, ev: &Event<'_>) -> Option<&serde_json::Value> {
        self.response
            .get_or_init(|| {
                ev.response_object
                    .and_then(|r| serde_json::from_str(r.get()).ok())
            })
            .as_ref()
    }

    /// The object a write left: the request body of a create or update,
    /// the response of a patch (whose request is only the patch).
    pub fn written_object(&self, ev: &Event<'_>) -> Option<&serde_json::Value> {
        match &*ev.verb {
            "create" | "update" => self
                .request_object(ev)
                .filter(|o| o.get("metadata").is_some() || o.get("spec").is_some())
                .or_else(|| self.response_object(ev)),
            "patch" => self.response_object(ev),
            _ => None,
        }
    }

    /// Findings of kubefort's workload rules (privileged containers, host
    /// namespaces, hostPath volumes, capabilities) on the written object.
    pub fn workload_findings(&self, ev: &Event<'_>, settings: &Settings) -> &[Finding] {
        self.workload.get_or_init(|| {
            let Some(obj) = self.written_object(ev) else {
                return Vec::new();
            };
            let mut obj = obj.clone();
            // A request body may leave kind and apiVersion to the URL.
            if let (Some(m), Some(r)) = (obj.as_object_mut(), ev.object_ref.as_ref()) {
                if !m.contains_key("kind") {
                    if let Some(kind) = crate::rules::kind_of(&r.resource) {
                        m.insert("kind".into(), kind.into());
                    }
                }
                if !m.contains_key("apiVersion") {
                    let v = if r.api_group.is_empty() {
                        r.api_version.to_string()
                    } else {
                        format!("{}/{}", r.api_group, r.api_version)
                    };
                    m.insert("apiVersion".into(), v.into());
                }
            }
            let text = obj.to_string();
            settings.workloads.scan_str("requestObject", &text).findings
        })
    }
}

/// Facts about an event every rule reads.
pub struct Facts<'e> {
    /// The identity the request was authorized as.
    pub actor: &'e crate::event::UserInfo<'e>,
    pub kind: Kind,
    /// The control plane, a node, kube-system's service accounts, or a
    /// configured controller: the identities that do routine work.
    pub trusted: bool,
    /// A write: create, update, patch, delete, deletecollection.
    pub write: bool,
}

/// The detector: rules, settings, state, counts.
pub struct Detector {
    rules: Vec<&'static AuditRule>,
    pub settings: Settings,
    state: State,
    pub stats: Stats,
    pub per_rule: HashMap<&'static str, RuleCount>,
    /// The highest severity of an alert not suppressed.
    pub worst: Option<Severity>,
}

impl Detector {
    pub fn new(rules: Vec<&'static AuditRule>, config: AuditConfig) -> Detector {
        Detector {
            rules,
            settings: Settings::new(config),
            state: State::default(),
            stats: Stats::default(),
            per_rule: HashMap::new(),
            worst: None,
        }
    }

    /// Judge against a learned baseline (`audit-baseline-anomaly`).
    pub fn with_baseline(mut self, baseline: crate::baseline::Baseline) -> Detector {
        self.settings.baseline = Some(baseline);
        self
    }

    pub fn rules(&self) -> &[&'static AuditRule] {
        &self.rules
    }

    /// Count an input that was not a valid event.
    pub fn invalid(&mut self) {
        self.stats.invalid += 1;
    }

    /// Count an input over the size limit.
    pub fn oversized(&mut self) {
        self.stats.oversized += 1;
    }

    /// Judge one event; `emit` receives every alert, suppressed ones included
    /// (with `suppressed` set).
    pub fn feed(&mut self, ev: &Event<'_>, source: Option<&Source>, emit: &mut dyn FnMut(Alert)) {
        self.stats.events += 1;
        let connect = matches!(
            ev.subresource(),
            "exec" | "attach" | "portforward" | "proxy"
        );
        match &*ev.stage {
            "ResponseComplete" | "Panic" => {
                if connect && !ev.audit_id.is_empty() && self.state.started.contains(&*ev.audit_id)
                {
                    self.stats.other_stages += 1;
                    return;
                }
            }
            "ResponseStarted" if connect => {
                if self.state.started_order.len() >= STATE_LIMIT {
                    if let Some(old) = self.state.started_order.pop_front() {
                        self.state.started.remove(&old);
                    }
                }
                self.state.started.insert(ev.audit_id.to_string());
                self.state.started_order.push_back(ev.audit_id.to_string());
            }
            _ => {
                self.stats.other_stages += 1;
                return;
            }
        }
        self.stats.evaluated += 1;
        let actor = ev.actor();
        let kind = classify(actor);
        let trusted = matches!(
            kind,
            Kind::ControlPlane | Kind::Node | Kind::KubeSystemServiceAccount
        ) || self.settings.known_controller(actor);
        let facts = Facts {
            actor,
            kind,
            trusted,
            write: matches!(
                &*ev.verb,
                "create" | "update" | "patch" | "delete" | "deletecollection"
            ),
        };
        let lazy = Lazy::default();
        learn(ev, &facts, &lazy, &mut self.state);
        let mut hits: Vec<Hit> = Vec::new();
        for rule in &self.rules {
            let mut ctx = Ctx {
                ev,
                facts: &facts,
                settings: &self.settings,
                state: &mut self.state,
                lazy: &lazy,
                rule,
                hits: &mut hits,
            };
            (rule.check)(&mut ctx);
            for hit in hits.drain(..) {
                let mut alert = make_alert(rule, hit, ev, source);
                let count = self.per_rule.entry(rule.meta.name).or_default();
                alert.suppressed =
                    self.settings
                        .config
                        .exception_for(rule.meta.name, rule.meta.groups, ev);
                if alert.suppressed.is_some() {
                    count.suppressed += 1;
                    self.stats.suppressed += 1;
                } else {
                    count.alerts += 1;
                    self.stats.alerts += 1;
                    self.worst = self.worst.max(Some(alert.severity));
                }
                emit(alert);
            }
        }
    }
}

fn make_alert(
    rule: &'static AuditRule,
    hit: Hit,
    ev: &Event<'_>,
    source: Option<&Source>,
) -> Alert {
    let actor = ev.actor();
    Alert {
        rule: rule.meta.name,
        severity: hit.severity.unwrap_or(rule.meta.severity),
        message: hit.message,
        mitre: rule.mitre,
        audit_id: ev.audit_id.to_string(),
        time: ev.time().to_string(),
        stage: ev.stage.to_string(),
        user: actor.username.to_string(),
        groups: actor.groups.iter().map(|g| g.to_string()).collect(),
        impersonator: ev.impersonator().map(|u| u.username.to_string()),
        source_ips: ev.source_ips.iter().map(|s| s.to_string()).collect(),
        user_agent: ev.user_agent.to_string(),
        verb: ev.verb.to_string(),
        resource: ev.resource_path(),
        api_group: ev.api_group().to_string(),
        namespace: ev.namespace().to_string(),
        name: if ev.name().is_empty() {
            hit.name.unwrap_or_default()
        } else {
            ev.name().to_string()
        },
        request_uri: ev.request_uri.to_string(),
        response_code: ev.code(),
        decision: ev.decision().map(str::to_string),
        source: source.cloned(),
        suppressed: None,
    }
}

/// What the stream teaches the stateful rules before they run: which
/// service accounts' pods use which secrets.
fn learn(ev: &Event<'_>, facts: &Facts<'_>, lazy: &Lazy, state: &mut State) {
    if ev.resource() != "pods" || !ev.subresource().is_empty() || ev.verb != "create" {
        return;
    }
    if !ev.succeeded() {
        return;
    }
    let _ = facts;
    let Some(pod) = lazy.written_object(ev) else {
        return;
    };
    let ns = pod
        .pointer("/metadata/namespace")
        .and_then(|v| v.as_str())
        .unwrap_or(ev.namespace())
        .to_string();
    let sa = pod
        .pointer("/spec/serviceAccountName")
        .and_then(|v| v.as_str())
        .unwrap_or("default")
        .to_string();
    for secret in crate::rules::secrets_used(pod) {
        bound(&mut state.mounts);
        let users = state.mounts.entry((ns.clone(), secret)).or_default();
        if !users.contains(&sa) && users.len() < 64 {
            users.push(sa.clone());
        }
    }
}

/// Whether a source IP is inside the configured service-account CIDRs.
pub fn in_cidrs(cidrs: &[Cidr], ip: &str) -> bool {
    ip.parse::<IpAddr>()
        .map(|ip| cidrs.iter().any(|c| c.contains(&ip)))
        .unwrap_or(false)
}

/// The namespace and name of a service-account actor.
pub fn actor_sa<'e>(facts: &Facts<'e>) -> Option<(&'e str, &'e str)> {
    service_account(&facts.actor.username)
}

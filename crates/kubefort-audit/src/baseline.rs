//! The learned baseline: what each identity normally does (verb × resource
//! × namespace), from where (source addresses) and with what (user agents),
//! with counts and first and last times. `learn` builds it from past logs;
//! the `audit-baseline-anomaly` rule flags what an identity never or rarely
//! did before, with a score and a plain explanation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::identity::{classify, Kind};
use crate::time::parse_micros;

/// Version of the baseline file format.
pub const VERSION: u32 = 1;

/// Most actions, addresses and agents kept per identity (the rest is counted).
pub const MAX_KEYS: usize = 4096;

/// What the history holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Baseline {
    pub version: u32,
    /// First and last event times (µs since the epoch).
    pub first_us: i64,
    pub last_us: i64,
    pub events: u64,
    /// Per identity (the user a request was authorized as).
    pub identities: BTreeMap<String, Profile>,
}

/// One identity's normal behaviour.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub events: u64,
    pub first_us: i64,
    pub last_us: i64,
    /// `verb resource namespace` (namespace `*` for cluster scope).
    pub actions: BTreeMap<String, Seen>,
    pub source_ips: BTreeMap<String, Seen>,
    pub user_agents: BTreeMap<String, Seen>,
    /// Keys not kept because a map was full.
    #[serde(default)]
    pub dropped: u64,
}

/// How often and when something was seen.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seen {
    pub count: u64,
    pub first_us: i64,
    pub last_us: i64,
}

/// The action key of an event.
pub fn action(ev: &Event<'_>) -> String {
    let res = ev.resource_path();
    let res = if res.is_empty() {
        ev.request_uri.split('?').next().unwrap_or("").to_string()
    } else {
        res
    };
    let ns = if ev.namespace().is_empty() {
        "*"
    } else {
        ev.namespace()
    };
    format!("{} {res} {ns}", ev.verb)
}

/// A user agent without its build details: `kubectl/v1.37.2 (linux/amd64)
/// kubernetes/abc` → `kubectl/v1.37`.
pub fn agent(ua: &str) -> String {
    let product = ua.split_whitespace().next().unwrap_or("");
    match product.split_once('/') {
        Some((name, version)) => {
            let v: Vec<&str> = version.splitn(3, '.').collect();
            format!("{name}/{}", v[..v.len().min(2)].join("."))
        }
        None => product.to_string(),
    }
}

/// Whether an identity's behaviour is learned and judged: everything but
/// the control plane and the kubelets.
pub fn judged(kind: Kind) -> bool {
    !matches!(kind, Kind::ControlPlane | Kind::Node)
}

fn bump(map: &mut BTreeMap<String, Seen>, key: String, t: i64, dropped: &mut u64) {
    if let Some(s) = map.get_mut(&key) {
        s.count += 1;
        s.first_us = s.first_us.min(t);
        s.last_us = s.last_us.max(t);
    } else if map.len() < MAX_KEYS {
        map.insert(
            key,
            Seen {
                count: 1,
                first_us: t,
                last_us: t,
            },
        );
    } else {
        *dropped += 1;
    }
}

impl Baseline {
    pub fn new() -> Baseline {
        Baseline {
            version: VERSION,
            first_us: i64::MAX,
            last_us: i64::MIN,
            ..Default::default()
        }
    }

    /// Learn one event (only the stages the detector judges).
    pub fn learn(&mut self, ev: &Event<'_>) {
        if !matches!(&*ev.stage, "ResponseComplete" | "Panic") {
            return;
        }
        let actor = ev.actor();
        if !judged(classify(actor)) {
            return;
        }
        let Some(t) = parse_micros(ev.time()) else {
            return;
        };
        self.events += 1;
        self.first_us = self.first_us.min(t);
        self.last_us = self.last_us.max(t);
        let p = self
            .identities
            .entry(actor.username.to_string())
            .or_insert_with(|| Profile {
                first_us: t,
                last_us: t,
                ..Default::default()
            });
        p.events += 1;
        p.first_us = p.first_us.min(t);
        p.last_us = p.last_us.max(t);
        let mut dropped = 0;
        bump(&mut p.actions, action(ev), t, &mut dropped);
        if let Some(ip) = ev.source_ips.first() {
            bump(&mut p.source_ips, ip.to_string(), t, &mut dropped);
        }
        if !ev.user_agent.is_empty() {
            bump(&mut p.user_agents, agent(&ev.user_agent), t, &mut dropped);
        }
        p.dropped += dropped;
    }

    /// Days of history (at least 1).
    pub fn days(&self) -> i64 {
        if self.last_us < self.first_us {
            return 0;
        }
        ((self.last_us - self.first_us) / 86_400_000_000).max(1)
    }

    pub fn from_json(text: &str, name: &str) -> Result<Baseline, String> {
        let b: Baseline = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        if b.version != VERSION {
            return Err(format!(
                "{name}: baseline version {} (this kubefort reads version {VERSION}; learn it again)",
                b.version
            ));
        }
        Ok(b)
    }
}

/// How sensitive an action is: what an unseen one scores.
pub fn sensitivity(ev: &Event<'_>) -> f64 {
    let res = ev.resource();
    let sub = ev.subresource();
    let verb: &str = &ev.verb;
    if matches!(
        sub,
        "exec" | "attach" | "portforward" | "token" | "proxy" | "approval" | "ephemeralcontainers"
    ) || matches!(verb, "impersonate" | "escalate" | "bind")
    {
        return 0.9;
    }
    if res == "secrets" {
        return if verb == "get" { 0.7 } else { 0.9 };
    }
    let write = matches!(
        verb,
        "create" | "update" | "patch" | "delete" | "deletecollection"
    );
    if write
        && (ev.api_group() == "rbac.authorization.k8s.io"
            || ev.api_group() == "admissionregistration.k8s.io"
            || matches!(
                res,
                "pods" | "daemonsets" | "serviceaccounts" | "nodes" | "certificatesigningrequests"
            ))
    {
        return 0.8;
    }
    if write {
        return 0.6;
    }
    if matches!(verb, "list" | "watch") && ev.namespace().is_empty() {
        return 0.6;
    }
    0.4
}

/// Learn every event of one input; lines that are not valid events go to
/// `on_error` (with their line) and are skipped.
pub fn learn_reader(
    b: &mut Baseline,
    name: &str,
    reader: Box<dyn std::io::BufRead + Send>,
    max: usize,
    on_error: &mut dyn FnMut(crate::read::LineError),
) -> Result<(), crate::read::LineError> {
    use crate::read::{Line, LineError, LineReader};
    let mut lines = LineReader::new(reader, max);
    let mut buf = Vec::new();
    let err = |line: u64, message: String| LineError {
        file: name.to_string(),
        line,
        message,
    };
    loop {
        let line = match lines.next_line(&mut buf) {
            Ok(Line::Eof { partial: false }) => return Ok(()),
            Ok(Line::Eof { partial: true }) => lines.finish_partial(),
            Ok(l) => l,
            Err(e) => return Err(err(lines.line + 1, format!("cannot read: {e}"))),
        };
        match line {
            Line::Text => {
                let Ok(text) = std::str::from_utf8(&buf) else {
                    on_error(err(lines.line, "not UTF-8".into()));
                    continue;
                };
                if text.trim().is_empty() {
                    continue;
                }
                match Event::parse(text) {
                    Ok(ev) => b.learn(&ev),
                    Err(m) => on_error(err(lines.line, m)),
                }
            }
            Line::Oversized(n) => on_error(err(
                lines.line,
                format!("event of {n} bytes skipped: larger than the limit of {max} bytes (audit.max-event-size)"),
            )),
            Line::Eof { .. } => return Ok(()),
        }
    }
}

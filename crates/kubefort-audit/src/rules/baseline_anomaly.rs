use kubefort_core::{RuleMeta, Severity};

use super::{verb_past, AuditRule, Ctx};
use crate::baseline::{action, agent, judged, sensitivity};
use crate::time::parse_micros;

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-baseline-anomaly",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "An identity did something it never or rarely did in the learned baseline (`--baseline`)",
        remediation: "Ask the identity's owner whether the new behaviour is expected; if it is, learn the baseline again to include it; if not, investigate it like the rule that matches the action.",
        docs: r#"## What it does
With `--baseline FILE` (learned by `kubefort audit learn LOG… -o FILE`),
compares each request of an identity outside the control plane with that
identity's history: the actions (verb × resource × namespace) it took,
the addresses it came from, the clients (user agent, without build
details) it used, with counts and first and last times. It scores:
- an action never seen: by its sensitivity (exec, tokens, proxies, CSR
  approval, impersonation 0.9; listing secrets 0.9, reading one 0.7;
  writes of RBAC, pods, daemonsets, service accounts, nodes, CSRs and
  admission configuration 0.8; other writes 0.6; cluster-wide lists 0.6;
  other reads 0.4);
- an action seen at most twice and in less than 0.1% of the identity's
  requests: half that;
- a source address in a network (/16 for IPv4, /48 for IPv6) the identity
  never came from, or a client it never used, for an identity with 20 or
  more learned requests: 0.6 (pod addresses change with every restart;
  networks do not);
- an identity never seen: its action's score, at least 0.5.
Several novelties in one request add 0.1 each. Requests scoring at least
`baseline-threshold` (default 0.5) are reported, each novelty once per
run, with a plain explanation ("system:serviceaccount:shop:cart never
listed secrets in namespace shop before; 1st time in 31 days of
history"). Severity: high from 0.85, medium from 0.6, low below.

## Why it matters
Rules know techniques; a baseline knows this cluster. A stolen token used
for something its workload never does, from an address it never used,
stands out even when no rule names the technique.

## How to respond
Read the explanation; check with the identity's owner. Expected changes
(a new release, a new office address) mean the baseline needs learning
again.

## False positives
Every new deployment does new things: learn over a period that covers a
release cycle, and again after large changes. Identities with little
history are judged on little.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/",
            "https://attack.mitre.org/techniques/T1078/",
        ],
        default_enabled: true,
    },
    mitre: &["T1078", "T1552.007", "T1613"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let Some(b) = ctx.settings.baseline.as_ref() else {
        return;
    };
    if ctx.facts.trusted || !judged(ctx.facts.kind) {
        return;
    }
    let ev = ctx.ev;
    if parse_micros(ev.time()).is_none() {
        return;
    }
    let user = ctx.who().to_string();
    let days = b.days();
    let key = action(ev);
    let sens = sensitivity(ev);
    let ns = if ev.namespace().is_empty() {
        String::new()
    } else {
        format!(" in namespace {}", ev.namespace())
    };
    let what = format!(
        "{} {}{ns}",
        verb_past(&ev.verb),
        if ev.resource().is_empty() {
            ev.request_uri.split('?').next().unwrap_or("").to_string()
        } else {
            ev.resource_path()
        }
    );
    let mut reasons: Vec<(f64, String)> = Vec::new();
    let mut novel_keys: Vec<String> = Vec::new();
    match b.identities.get(&user) {
        None => {
            reasons.push((
                sens.max(0.5),
                format!("{user} never appeared in {days} days of history (first request: {what})"),
            ));
            novel_keys.push(format!("new-identity|{key}"));
        }
        Some(p) => {
            match p.actions.get(&key) {
                None => {
                    reasons.push((
                        sens,
                        format!("{user} never {what} before; 1st time in {days} days of history"),
                    ));
                    novel_keys.push(format!("action|{key}"));
                }
                Some(s) if s.count <= 2 && (s.count as f64) < 0.001 * p.events as f64 => {
                    let ago = (b.last_us - s.last_us) / 86_400_000_000;
                    reasons.push((
                        sens * 0.5,
                        format!(
                            "{user} {what} only {} time(s) in {days} days of history ({:.3}% of its {} requests), last {ago} day(s) before the history ended",
                            s.count,
                            100.0 * s.count as f64 / p.events as f64,
                            p.events
                        ),
                    ));
                    novel_keys.push(format!("rare|{key}"));
                }
                Some(_) => {}
            }
            if p.events >= 20 {
                if let Some(ip) = ev.source_ips.first() {
                    // Addresses change with every pod restart: a new
                    // network (/16, /48) is what matters.
                    let net = network(ip);
                    if !p.source_ips.keys().any(|k| network(k) == net) {
                        let known: Vec<&str> =
                            p.source_ips.keys().take(3).map(String::as_str).collect();
                        reasons.push((
                            0.6,
                            format!(
                                "{user} never came from {ip} ({net}) before (learned: {})",
                                known.join(", ")
                            ),
                        ));
                        novel_keys.push(format!("net|{net}"));
                    }
                }
                if !ev.user_agent.is_empty() {
                    let a = agent(&ev.user_agent);
                    if !p.user_agents.contains_key(&a) {
                        let known: Vec<&str> =
                            p.user_agents.keys().take(3).map(String::as_str).collect();
                        reasons.push((
                            0.6,
                            format!(
                                "{user} never used the client {a:?} before (learned: {})",
                                known.join(", ")
                            ),
                        ));
                        novel_keys.push(format!("agent|{a}"));
                    }
                }
            }
        }
    }
    if reasons.is_empty() {
        return;
    }
    let max = reasons.iter().map(|r| r.0).fold(0.0, f64::max);
    let score = (max + 0.1 * (reasons.len() - 1) as f64).min(1.0);
    if score < ctx.settings.config.baseline_threshold {
        return;
    }
    // Each novelty once per run.
    let fresh: Vec<String> = novel_keys
        .into_iter()
        .map(|k| format!("{user}|{k}"))
        .filter(|k| !ctx.state.reported.contains(k))
        .collect();
    if fresh.is_empty() {
        return;
    }
    for k in fresh {
        if ctx.state.reported.len() >= crate::detect::STATE_LIMIT {
            ctx.state.reported.clear();
        }
        ctx.state.reported.insert(k);
    }
    let severity = if score >= 0.85 {
        Severity::High
    } else if score >= 0.6 {
        Severity::Medium
    } else {
        Severity::Low
    };
    let msg = format!(
        "score {score:.2}: {}{}",
        reasons
            .iter()
            .map(|r| r.1.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        ctx.outcome()
    );
    ctx.report_with(severity, msg);
}

/// The /16 (IPv4) or /48 (IPv6) network of an address, as text.
fn network(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.0.0/16", o[0], o[1])
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        Err(_) => ip.to_string(),
    }
}

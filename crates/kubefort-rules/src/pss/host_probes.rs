//! PSS baseline control "Host Probes / Lifecycle Hooks" (upstream check
//! `hostProbesAndHostLifecycle`, v1.34+).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "hostProbesAndHostLifecycle",
    rule: "pss-host-probes",
    level: Level::Baseline,
    title: "Host Probes / Lifecycle Hooks",
    allowed: "undefined/null, \"\"",
    versions: &[Versioned {
        since: 34,
        check: v1_34,
        overrides: &[],
    }],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-host-probes",
        severity: Severity::Medium,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline (v1.34+): a probe or lifecycle hook targets another host",
        remediation: "Remove `host` from `httpGet` and `tcpSocket` probes and lifecycle handlers; they then target the pod itself.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Host Probes / Lifecycle
Hooks** (baseline, from policy version v1.34) as the Pod Security Admission
controller does: the `host` field of `httpGet` and `tcpSocket` in the
liveness, readiness and startup probes and in the `postStart`/`preStop`
lifecycle handlers of every container must be unset or empty.

## Why it matters
The kubelet performs probes and HTTP lifecycle hooks from the node. A `host`
pointing elsewhere makes the kubelet send requests to any address the node
can reach (cloud metadata services, the node's own loopback services,
internal APIs): a server-side request forgery with the node's network
position.

## Example
```yaml
livenessProbe:
  httpGet:
    host: 169.254.169.254   # forbidden from v1.34
    path: /latest/meta-data/
    port: 80
```

## How to fix
Remove `host`; probes then target the pod's own IP.

## Versions
Not checked before v1.34; from v1.34 on, as above.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

/// Hosts set in a probe or handler's `httpGet` and `tcpSocket`, with paths.
fn hosts(handler: &Node, path: &FieldPath, out: &mut Vec<(String, FieldPath)>) {
    for kind in ["httpGet", "tcpSocket"] {
        if let Some(h) = set(handler, kind) {
            let host = string(h, "host");
            if !host.is_empty() {
                out.push((host.to_string(), path.key(kind).key("host")));
            }
        }
    }
}

fn v1_34(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut forbidden = Vec::new();
    let mut first = None;
    for c in &pod.containers {
        let mut found = Vec::new();
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let Some(p) = set(c.node, probe) {
                hosts(p, &c.path.key(probe), &mut found);
            }
        }
        if let Some(lc) = set(c.node, "lifecycle") {
            for hook in ["postStart", "preStop"] {
                if let Some(h) = set(lc, hook) {
                    hosts(h, &c.path.key("lifecycle").key(hook), &mut found);
                }
            }
        }
        if !found.is_empty() {
            bad.push(c.name.to_string());
            for (host, path) in found {
                forbidden.push(host);
                first.get_or_insert(path);
            }
        }
    }
    let bad = sorted_set(bad);
    let forbidden = sorted_set(forbidden);
    Some(Violation {
        reason: "probe or lifecycle host".into(),
        detail: format!(
            "{} {} {} {} {}",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                forbidden.len()
            ),
            join_quote(&forbidden)
        ),
        path: first?,
    })
}

//! PSS restricted control "Capabilities" (upstream check
//! `capabilities_restricted`, v1.22+).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "capabilities_restricted",
    rule: "pss-capabilities-restricted",
    level: Level::Restricted,
    title: "Capabilities",
    allowed: "drop must include ALL; add undefined/empty or NET_BIND_SERVICE",
    versions: &[
        Versioned {
            since: 22,
            check: v1_22,
            overrides: &["capabilities_baseline"],
        },
        Versioned {
            since: 25,
            check: v1_25,
            overrides: &["capabilities_baseline"],
        },
    ],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-capabilities-restricted",
        severity: Severity::Medium,
        groups: RESTRICTED_GROUPS,
        summary: "Pod Security restricted (v1.22+): a container does not drop ALL capabilities, or adds one besides NET_BIND_SERVICE",
        remediation: "Set `securityContext.capabilities.drop: [\"ALL\"]` on every container and add back at most `NET_BIND_SERVICE`.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Capabilities** (restricted,
from policy version v1.22) as the Pod Security Admission controller does:
every container, init container and ephemeral container must list `ALL` in
`securityContext.capabilities.drop`, and may list only `NET_BIND_SERVICE`
in `capabilities.add`. From v1.25, pods with `spec.os.name: windows` are
exempt.

## Why it matters
Even the runtime's default capabilities (`NET_RAW`, `SETUID`,
`DAC_OVERRIDE`, …) help an attacker: spoofing packets, switching users,
ignoring file permissions. Dropping all of them removes that help.

## Example
```yaml
securityContext:
  capabilities:
    drop: ["ALL"]
    add: ["NET_BIND_SERVICE"]   # the only one allowed
```

## How to fix
Drop `ALL`; if the process binds a port below 1024, add back
`NET_BIND_SERVICE` (or listen on a higher port).

## Versions
Before v1.22 the restricted level only applies the baseline Capabilities
control. From v1.22 this control replaces it; from v1.25 Windows pods are
exempt.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn v1_22(pod: &Pod<'_>) -> Option<Violation> {
    let mut missing_drop = Vec::new();
    let mut adding = Vec::new();
    let mut forbidden = Vec::new();
    let mut first = None;
    for c in &pod.containers {
        let Some(caps) = c.sc().and_then(|sc| set(sc, "capabilities")) else {
            missing_drop.push(c.name);
            first.get_or_insert_with(|| c.sc_path().keys("capabilities.drop"));
            continue;
        };
        let caps_path = c.sc_path().key("capabilities");
        if !list(caps, "drop").iter().any(|d| d.as_str() == Some("ALL")) {
            missing_drop.push(c.name);
            first.get_or_insert_with(|| caps_path.key("drop"));
        }
        let mut added = false;
        for (i, a) in list(caps, "add").iter().enumerate() {
            let a = a.as_str().unwrap_or("");
            if a != "NET_BIND_SERVICE" {
                added = true;
                forbidden.push(a.to_string());
                first.get_or_insert_with(|| caps_path.key("add").index(i));
            }
        }
        if added {
            adding.push(c.name);
        }
    }
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            "{} {} must set securityContext.capabilities.drop=[\"ALL\"]",
            pluralize("container", "containers", missing_drop.len()),
            join_quote(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        details.push(format!(
            "{} {} must not include {} in securityContext.capabilities.add",
            pluralize("container", "containers", adding.len()),
            join_quote(&adding),
            join_quote(&sorted_set(forbidden))
        ));
    }
    if details.is_empty() {
        return None;
    }
    Some(Violation {
        reason: "unrestricted capabilities".into(),
        detail: details.join("; "),
        path: first?,
    })
}

fn v1_25(pod: &Pod<'_>) -> Option<Violation> {
    if pod.is_windows() {
        return None;
    }
    v1_22(pod)
}

//! Audit `Policy` checks (CIS 3.2.1, 3.2.2).
//!
//! The API server gives each request the level of the first rule that
//! matches it. A rule matches a resource request when its `users`,
//! `userGroups`, `verbs` and `namespaces` (each empty = any) match and its
//! `resources` is empty (every resource) or has a group entry whose
//! `resources` is empty or names the resource (or `*`); a rule with only
//! `nonResourceURLs` matches no resource request.

use kubefort_core::{FieldPath, Node, ObjectCtx, Rule};

use super::{cis_rule, CIS_REF};

const AUDIT_REF: &str = "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy";

fn is_policy(ctx: &ObjectCtx<'_>) -> bool {
    ctx.object.id.kind == "Policy" && ctx.object.id.group() == "audit.k8s.io"
}

fn strings(n: Option<&Node>) -> Vec<&str> {
    n.and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .collect()
}

/// How a rule matches requests to `group`/`resource`: `None` not at all,
/// `Some(true)` every such request, `Some(false)` some of them.
fn matches(rule: &Node, group: &str, resource: &str) -> Option<bool> {
    let limited = ["users", "userGroups", "verbs", "namespaces"]
        .iter()
        .any(|k| !strings(rule.get(k)).is_empty());
    let groups = rule.get("resources").and_then(Node::as_seq).unwrap_or(&[]);
    if groups.is_empty() {
        if !strings(rule.get("nonResourceURLs")).is_empty() {
            return None;
        }
        return Some(!limited);
    }
    let mut found = None;
    for g in groups {
        if g.str_at("group").unwrap_or("") != group {
            continue;
        }
        let rs = strings(g.get("resources"));
        if rs.is_empty() || rs.iter().any(|r| *r == resource || *r == "*") {
            let by_name = !strings(g.get("resourceNames")).is_empty();
            let all = !limited && !by_name;
            found = Some(found.unwrap_or(false) || all);
        }
    }
    found
}

/// Requests whose bodies carry credentials.
const SENSITIVE: &[(&str, &str, &str)] = &[
    ("", "secrets", "Secret values"),
    (
        "authentication.k8s.io",
        "tokenreviews",
        "bearer tokens under review",
    ),
];

pub static SECRETS_LOGGED: Rule = cis_rule! {
    name: "audit-policy-secrets-logged",
    severity: High,
    summary: "The audit policy writes Secret values or tokens into the audit log (CIS 3.2.2)",
    remediation: "Add a rule `level: Metadata` for `secrets` and `tokenreviews` before any Request or RequestResponse rule that matches them.",
    docs: r#"## What it does
CIS 3.2.2. Evaluates an audit `Policy` the way the API server does (first
matching rule wins) for requests to `secrets` and to `tokenreviews`, and flags
every rule at level `Request` or `RequestResponse` that such a request can
reach, that is, that is not preceded by a rule matching all of them.

## Why it matters
At `Request` level the audit log holds request bodies; at `RequestResponse`
the responses too. For Secrets that is their values, for TokenReviews the
tokens. The audit log is usually shipped to systems with far wider access
than the Secrets themselves.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: RequestResponse   # flagged: matches Secrets
```

## How to fix
```yaml
rules:
- level: Metadata
  resources:
  - group: ""
    resources: [secrets]
  - group: authentication.k8s.io
    resources: [tokenreviews]
- level: RequestResponse
```
"#,
    references: &[CIS_REF, AUDIT_REF],
    check: |ctx| {
        if !is_policy(ctx) {
            return;
        }
        let Some(rules) = ctx.object.root.get("rules").and_then(Node::as_seq) else {
            return;
        };
        let mut reports: Vec<(usize, String)> = Vec::new();
        for (group, resource, what) in SENSITIVE {
            for (i, r) in rules.iter().enumerate() {
                let Some(all) = matches(r, group, resource) else {
                    continue;
                };
                let level = r.str_at("level").unwrap_or("");
                if matches!(level, "Request" | "RequestResponse") {
                    let msg = format!("CIS 3.2.2: requests to {resource} are logged at level {level}: the audit log receives {what}");
                    if !reports.contains(&(i, msg.clone())) {
                        reports.push((i, msg));
                    }
                }
                if all {
                    break;
                }
            }
        }
        reports.sort();
        for (i, msg) in reports {
            ctx.report(FieldPath::root().key("rules").index(i).key("level"), msg);
        }
    },
};

pub static LOGS_NOTHING: Rule = cis_rule! {
    name: "audit-policy-logs-nothing",
    severity: Medium,
    summary: "The audit policy records no request (CIS 3.2.1)",
    remediation: "Add rules that log at least Metadata for every request, after the exclusions.",
    docs: r#"## What it does
CIS 3.2.1. Flags an audit `Policy` with no rules, with only `level: None`
rules, or whose first rule matches every request at level `None` (so no later
rule is ever reached).

## Why it matters
A policy that records nothing gives the appearance of audit logging, a
log file and flags, with no content.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None   # flagged: matches everything
- level: Metadata
```

## How to fix
Keep the `None` rules for noisy, harmless requests (health checks, events by
the kubelet) narrow, and end with a `level: Metadata` rule.
"#,
    references: &[CIS_REF, AUDIT_REF],
    check: |ctx| {
        if !is_policy(ctx) {
            return;
        }
        let rules = ctx.object.root.get("rules").and_then(Node::as_seq).unwrap_or(&[]);
        if rules.is_empty() {
            ctx.report(FieldPath::root().key("rules"), "CIS 3.2.1: the audit policy has no rules: no request is audited");
            return;
        }
        let catch_all = |r: &Node| {
            ["users", "userGroups", "verbs", "namespaces", "resources", "nonResourceURLs"]
                .iter()
                .all(|k| r.get(k).and_then(Node::as_seq).is_none_or(|s| s.is_empty()))
        };
        let level = |r: &Node| r.str_at("level").unwrap_or("").to_string();
        if catch_all(&rules[0]) && level(&rules[0]) == "None" {
            ctx.report(FieldPath::root().key("rules").index(0).key("level"),
                "CIS 3.2.1: the first rule matches every request at level None: no request is audited");
        } else if rules.iter().all(|r| level(r) == "None") {
            ctx.report(FieldPath::root().key("rules"), "CIS 3.2.1: every rule has level None: no request is audited");
        }
    },
};

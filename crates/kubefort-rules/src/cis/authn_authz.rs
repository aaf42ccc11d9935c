//! Structured authentication and authorization configuration files of the
//! API server (`--authentication-config`, `--authorization-config`), which
//! replace `--anonymous-auth` and `--authorization-mode` (CIS 1.2.1,
//! 1.2.6-1.2.8).

use kubefort_core::{FieldPath, Node, Rule, Severity};

use super::{cis_rule, CIS_REF};

pub static ANONYMOUS_CONFIG: Rule = cis_rule! {
    name: "authn-anonymous-unrestricted",
    severity: Medium,
    summary: "The AuthenticationConfiguration allows anonymous requests to every path (CIS 1.2.1)",
    remediation: "Set `anonymous.enabled: false`, or list `anonymous.conditions` limited to health endpoints.",
    docs: r#"## What it does
CIS 1.2.1. Flags an `AuthenticationConfiguration` (the file of
`--authentication-config`) whose `anonymous.enabled` is `true` with no
`conditions`, so anonymous requests are accepted on every path.

## Why it matters
See `apiserver-anonymous-auth`: anonymous requests run as `system:anonymous`
and any binding to it is open to everyone. Conditions let load balancers
probe `/livez` and `/readyz` without opening the rest.

## Example
```yaml
apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
anonymous:
  enabled: true   # flagged
```

## How to fix
```yaml
anonymous:
  enabled: true
  conditions:
  - path: /livez
  - path: /readyz
```
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-authenticator-configuration"],
    check: |ctx| {
        let id = &ctx.object.id;
        if id.kind != "AuthenticationConfiguration" || id.group() != "apiserver.config.k8s.io" {
            return;
        }
        let Some(anon) = ctx.object.root.get("anonymous") else { return };
        if anon.get("enabled").and_then(Node::as_bool) == Some(true)
            && anon.get("conditions").and_then(Node::as_seq).is_none_or(|c| c.is_empty())
        {
            ctx.report(FieldPath::root().keys("anonymous.enabled"),
                "CIS 1.2.1: anonymous requests are accepted on every path, as system:anonymous");
        }
    },
};

pub static AUTHORIZERS: Rule = cis_rule! {
    name: "authz-config-authorizers",
    severity: Critical,
    summary: "The AuthorizationConfiguration allows every request, or lacks the Node or RBAC authorizer (CIS 1.2.6-1.2.8)",
    remediation: "List authorizers `Node` and `RBAC` (and webhooks as needed), never `AlwaysAllow`.",
    docs: r#"## What it does
CIS 1.2.6-1.2.8 for an `AuthorizationConfiguration` (the file of
`--authorization-config`): flags an `AlwaysAllow` authorizer (critical), and a
chain without `Node` or without `RBAC` (medium).

## Why it matters
See `apiserver-authorization-mode`.

## Example
```yaml
apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
- type: AlwaysAllow   # flagged
  name: allow
```

## How to fix
```yaml
authorizers:
- {type: Node, name: node}
- {type: RBAC, name: rbac}
```
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/access-authn-authz/authorization/#using-configuration-file-for-authorization"],
    check: |ctx| {
        let id = &ctx.object.id;
        if id.kind != "AuthorizationConfiguration" || id.group() != "apiserver.config.k8s.io" {
            return;
        }
        let list = ctx.object.root.get("authorizers").and_then(Node::as_seq).unwrap_or(&[]);
        let types: Vec<&str> = list.iter().filter_map(|a| a.str_at("type")).collect();
        for (i, t) in types.iter().enumerate() {
            if *t == "AlwaysAllow" {
                ctx.report(FieldPath::root().key("authorizers").index(i).key("type"),
                    "CIS 1.2.6: the AlwaysAllow authorizer authorizes every request that reaches it");
            }
        }
        for (cis, t, why) in [("1.2.7", "Node", "kubelets are not limited to their own pods' objects"), ("1.2.8", "RBAC", "RBAC roles and bindings are not enforced")] {
            if !types.contains(&t) {
                ctx.report_with(Severity::Medium, FieldPath::root().key("authorizers"),
                    format!("CIS {cis}: no {t} authorizer: {why}"));
            }
        }
    },
};

//! kubeconfig files (`kind: Config`): server verification and embedded
//! secrets. Not numbered by the benchmark, which only sets the files'
//! permissions (CIS 1.1.13-1.1.18, 4.1.3-4.1.6); what those files hold
//! matters as much.

use kubefort_core::{FieldPath, Node, ObjectCtx, Rule};

use super::{cis_rule, CIS_REF};

const KUBECONFIG_REF: &str = "https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/";

fn is_kubeconfig(ctx: &ObjectCtx<'_>) -> bool {
    ctx.object.id.kind == "Config" && ctx.object.id.api_version == "v1"
}

fn named<'a>(ctx: &ObjectCtx<'a>, list: &str) -> Vec<(usize, &'a str, &'a Node)> {
    ctx.object
        .root
        .get(list)
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(i, n)| (i, n.str_at("name").unwrap_or(""), n))
        .collect()
}

pub static INSECURE_SKIP_TLS_VERIFY: Rule = cis_rule! {
    name: "kubeconfig-insecure-skip-tls-verify",
    severity: High,
    summary: "A kubeconfig does not verify the API server's certificate, or uses plain HTTP",
    remediation: "Remove `insecure-skip-tls-verify` and set `certificate-authority-data` (or `certificate-authority`) to the cluster CA; use an https:// server.",
    docs: r#"## What it does
Flags clusters in a kubeconfig with `insecure-skip-tls-verify: true` or an
`http://` server.

## Why it matters
The client then sends its credentials (client certificate, token) to
whoever answers at the server's address, and trusts whatever comes back.
For a component's kubeconfig on a node that is every request it makes.

## Example
```yaml
apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    server: https://10.0.0.1:6443
    insecure-skip-tls-verify: true   # flagged
```

## How to fix
Embed the cluster CA (`certificate-authority-data`) and remove the setting.
"#,
    references: &[KUBECONFIG_REF, CIS_REF],
    check: |ctx| {
        if !is_kubeconfig(ctx) {
            return;
        }
        for (i, name, c) in named(ctx, "clusters") {
            let Some(cluster) = c.get("cluster") else { continue };
            let at = FieldPath::root().key("clusters").index(i).key("cluster");
            if cluster.get("insecure-skip-tls-verify").and_then(Node::as_bool) == Some(true) {
                ctx.report(at.key("insecure-skip-tls-verify"), format!(
                    "cluster {name:?} skips verification of the API server's certificate: credentials go to whoever answers"));
            }
            if let Some(s) = cluster.str_at("server").filter(|s| s.starts_with("http://")) {
                ctx.report(at.key("server"), format!(
                    "cluster {name:?} is reached over plain HTTP ({s}): credentials and data travel in clear text"));
            }
        }
    },
};

pub static EMBEDDED_CREDENTIALS: Rule = cis_rule! {
    name: "kubeconfig-embedded-credentials",
    severity: Medium,
    summary: "A kubeconfig holds a bearer token or a password",
    remediation: "Use a client certificate, an exec credential plugin or a short-lived token file instead of a static token or password.",
    docs: r#"## What it does
Flags users in a kubeconfig with an embedded `token` or a `password`
(basic authentication, which the API server no longer supports).

## Why it matters
A bearer token in a file is a credential that works from anywhere until it
is revoked; copied with the file (backups, support bundles, repositories) it
is a standing key to the cluster.

## Example
```yaml
users:
- name: deployer
  user:
    token: eyJhbGciOi...   # flagged
```

## How to fix
Use `exec` credential plugins (cloud providers, OIDC) or `tokenFile` with a
short-lived, rotated token.
"#,
    references: &[KUBECONFIG_REF, "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins"],
    check: |ctx| {
        if !is_kubeconfig(ctx) {
            return;
        }
        for (i, name, u) in named(ctx, "users") {
            let Some(user) = u.get("user") else { continue };
            let at = FieldPath::root().key("users").index(i).key("user");
            if user.str_at("token").is_some_and(|t| !t.is_empty()) {
                ctx.report(at.key("token"), format!("user {name:?} carries a static bearer token"));
            }
            if user.str_at("password").is_some_and(|t| !t.is_empty()) {
                ctx.report(at.key("password"), format!("user {name:?} carries a password (basic authentication)"));
            }
        }
    },
};

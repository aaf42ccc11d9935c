use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{FieldPath, ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "ingress-nginx-snippets",
        severity: Severity::High,
        groups: &["images"],
        summary: "An Ingress uses ingress-nginx snippet annotations, or the controller's ConfigMap allows them",
        remediation: "Replace the snippet with a dedicated annotation or controller setting, and set `allow-snippet-annotations: \"false\"` in the controller's ConfigMap.",
        docs: r#"## What it does
Flags Ingress objects with an `nginx.ingress.kubernetes.io/…-snippet`
annotation (`configuration-snippet`, `server-snippet`, `auth-snippet`,
`stream-snippet`, `modsecurity-snippet`), and ConfigMaps that set
`allow-snippet-annotations: "true"` (the ingress-nginx controller's
setting).

## Why it matters
Snippets are raw NGINX configuration copied into the controller, which runs
with a service account that reads every Secret of the cluster. Anyone who
can create an Ingress can use a snippet to read those Secrets or run code in
the controller (CVE-2021-25742, CVE-2023-5044, and the 2025
"IngressNightmare" family). The controller disables snippets by default
since v1.9; turning them back on re-opens the hole.

## Example
```yaml
kind: Ingress
metadata:
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: |   # flagged
      more_set_headers "X-Frame-Options: DENY";
```

## How to fix
Use the dedicated annotations (headers, rewrites, auth) or a global
setting, keep `allow-snippet-annotations: "false"`, and plan the move off
ingress-nginx (see `ingress-nginx-eol`).
"#,
        references: &[
            "https://github.com/kubernetes/ingress-nginx/issues/7837",
            "https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/#allow-snippet-annotations",
            "https://kubernetes.io/blog/2025/03/24/ingress-nginx-cve-2025-1974/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    let kind = ctx.object.id.kind.as_str();
    if kind == "ConfigMap" {
        let v = ctx
            .object
            .root
            .get_path(&["data", "allow-snippet-annotations"])
            .and_then(|n| n.as_str());
        if v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            ctx.report(
                FieldPath::root().keys("data").key("allow-snippet-annotations"),
                "the ingress-nginx controller setting allow-snippet-annotations is on: any Ingress author can inject NGINX configuration",
            );
        }
        return;
    }
    if kind != "Ingress" {
        return;
    }
    let Some(ann) = ctx
        .object
        .root
        .get_path(&["metadata", "annotations"])
        .and_then(|a| a.as_map())
    else {
        return;
    };
    let keys: Vec<String> = ann
        .iter()
        .map(|(k, _)| k.to_string())
        .filter(|k| {
            k.strip_prefix("nginx.ingress.kubernetes.io/")
                .is_some_and(|s| s.ends_with("-snippet"))
        })
        .collect();
    for k in keys {
        ctx.report(
            FieldPath::root().keys("metadata.annotations").key(&k),
            format!(
                "annotation {k} injects raw NGINX configuration into the ingress-nginx controller"
            ),
        );
    }
}

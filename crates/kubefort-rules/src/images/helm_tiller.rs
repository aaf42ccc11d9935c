use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{FieldPath, ObjectCtx, Severity};

use super::{images, parse_image};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "helm-tiller",
        severity: Severity::High,
        groups: &["images"],
        summary: "Helm v2's Tiller server is deployed or exposed by a Service",
        remediation: "Migrate the releases to Helm 3 (`helm-2to3`), then delete the Tiller Deployment, Service and service account.",
        docs: r#"## What it does
Flags containers running the Tiller image (`gcr.io/kubernetes-helm/tiller`,
`ghcr.io/helm/tiller`, any `…/tiller` repository of those owners) and
Services that expose Tiller (named `tiller-deploy`, selecting
`app: helm, name: tiller`, or serving port 44134).

## Why it matters
Tiller is the server side of Helm 2, end of life since November 2020. It
usually runs with cluster-admin and, by default, serves an unauthenticated
gRPC API on port 44134: any pod that can reach it installs any chart, which
is cluster-admin for everyone in the cluster.

## Example
```yaml
containers:
- name: tiller
  image: gcr.io/kubernetes-helm/tiller:v2.16.12   # flagged
```

## How to fix
Helm 3 has no server component. Convert releases with the `helm-2to3`
plugin and remove Tiller.

Peers: Checkov CKV_K8S_34 (Tiller deployed), CKV_K8S_44 (Tiller Service),
CKV_K8S_45 (Tiller listening on all interfaces); Trivy KSV-0102.
"#,
        references: &[
            "https://helm.sh/blog/helm-v2-deprecation-timeline/",
            "https://helm.sh/docs/topics/v2_v3_migration/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn is_tiller(image: &str) -> bool {
    let r = parse_image(image);
    let q = r.qualified();
    q.ends_with("/tiller") && (q.contains("kubernetes-helm/") || q.contains("/helm/"))
}

fn check(ctx: &mut ObjectCtx<'_>) {
    if ctx.object.id.kind == "Service" {
        check_service(ctx);
        return;
    }
    for (c, image) in images(ctx) {
        if is_tiller(image) {
            ctx.report(
                c.path.key("image"),
                format!(
                    "{} runs Helm v2's Tiller ({image:?}), an end-of-life server that installs anything for whoever reaches it",
                    c.describe()
                ),
            );
        }
    }
}

fn check_service(ctx: &mut ObjectCtx<'_>) {
    let root = &ctx.object.root;
    let name = ctx.object.id.name.as_deref().unwrap_or("");
    let sel = root.get_path(&["spec", "selector"]);
    let by_selector = sel.and_then(|s| s.str_at("app")) == Some("helm")
        && sel.and_then(|s| s.str_at("name")) == Some("tiller");
    let port = root
        .get_path(&["spec", "ports"])
        .and_then(|p| p.as_seq())
        .and_then(|ports| {
            ports.iter().position(|p| {
                p.get("port").and_then(|n| n.as_i64()) == Some(44134)
                    || p.get("targetPort").and_then(|n| n.as_i64()) == Some(44134)
            })
        });
    let path = if by_selector {
        FieldPath::root().keys("spec.selector")
    } else if let Some(i) = port {
        FieldPath::root().keys("spec.ports").index(i)
    } else if name == "tiller-deploy" {
        FieldPath::root().keys("metadata.name")
    } else {
        return;
    };
    ctx.report(
        path,
        format!("Service {name:?} exposes Helm v2's Tiller API (port 44134, no authentication by default)"),
    );
}

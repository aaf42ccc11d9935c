use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::{images, parse_image, under_prefix};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "ingress-nginx-eol",
        severity: Severity::Medium,
        groups: &["images"],
        summary: "The ingress-nginx controller, retired in March 2026, is deployed",
        remediation: "Move to a maintained controller (a Gateway API implementation, or another Ingress controller) and remove ingress-nginx.",
        docs: r#"## What it does
Flags containers running the community ingress-nginx controller
(`registry.k8s.io/ingress-nginx/controller`, its `k8s.gcr.io` and
`quay.io/kubernetes-ingress-controller` predecessors). Other NGINX-based
controllers (F5's `nginx/nginx-ingress`) are different projects and are not
flagged.

## Why it matters
Kubernetes SIG Network retired ingress-nginx: best-effort maintenance ended
in March 2026, after which there are no releases and no security fixes.
The controller has a history of critical flaws (CVE-2025-1974
"IngressNightmare": unauthenticated remote code execution and cluster-wide
Secret read from the pod network), and the next one will not be fixed.

## Example
```yaml
containers:
- name: controller
  image: registry.k8s.io/ingress-nginx/controller:v1.12.1   # flagged
```

## How to fix
Plan the migration: a Gateway API implementation is the recommended
successor; `ingress2gateway` converts Ingress objects.

Peers: Kubescape C-0292.
"#,
        references: &[
            "https://kubernetes.io/blog/2025/11/11/ingress-nginx-retirement/",
            "https://kubernetes.io/blog/2025/03/24/ingress-nginx-cve-2025-1974/",
            "https://github.com/kubernetes-sigs/ingress2gateway",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

const CONTROLLER: &[&str] = &[
    "registry.k8s.io/ingress-nginx/controller",
    "registry.k8s.io/ingress-nginx/controller-chroot",
    "k8s.gcr.io/ingress-nginx/controller",
    "quay.io/kubernetes-ingress-controller/nginx-ingress-controller",
];

fn check(ctx: &mut ObjectCtx<'_>) {
    for (c, image) in images(ctx) {
        let q = parse_image(image).qualified();
        if CONTROLLER.iter().any(|p| under_prefix(&q, p)) {
            ctx.report(
                c.path.key("image"),
                format!(
                    "{} runs the ingress-nginx controller ({image:?}), which receives no security fixes since its retirement in March 2026",
                    c.describe()
                ),
            );
        }
    }
}

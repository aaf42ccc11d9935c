use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::{images, parse_image, under_prefix};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "deprecated-registry",
        severity: Severity::Medium,
        groups: &["images"],
        summary: "An image comes from a frozen or deprecated registry (k8s.gcr.io, gcr.io/google-containers, bitnamilegacy)",
        remediation: "Pull the image from its maintained home: `registry.k8s.io` for Kubernetes project images, the vendor's current repository otherwise.",
        docs: r#"## What it does
Flags containers whose image is under a registry that no longer receives
images:

| Prefix | Status | Use instead |
|---|---|---|
| `k8s.gcr.io` | frozen since April 2023, redirected then retired | `registry.k8s.io` |
| `gcr.io/google-containers`, `gcr.io/google_containers` | legacy home of the same images | `registry.k8s.io` |
| `{us,eu,asia}.gcr.io/k8s-artifacts-prod` | backing store of `k8s.gcr.io` | `registry.k8s.io` |
| `docker.io/bitnamilegacy` | Bitnami's frozen archive since August 2025, no updates | a maintained image |

## Why it matters
A frozen registry never gets the security fixes of newer releases, the
images can disappear at any time (pulls then fail when a node is replaced),
and an image name there usually means the manifest has not been reviewed in
years.

## Example
```yaml
containers:
- name: pause
  image: k8s.gcr.io/pause:3.2   # flagged: use registry.k8s.io/pause
```

## How to fix
Change the registry (`k8s.gcr.io/x` is `registry.k8s.io/x`) and move to a
current release of the image.

Peers: Kubescape C-0253.
"#,
        references: &[
            "https://kubernetes.io/blog/2023/02/06/k8s-gcr-io-freeze-announcement/",
            "https://kubernetes.io/blog/2022/11/28/registry-k8s-io-faster-cheaper-ga/",
            "https://github.com/bitnami/containers/issues/83267",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

const FROZEN: &[(&str, &str)] = &[
    ("k8s.gcr.io", "registry.k8s.io"),
    ("gcr.io/google-containers", "registry.k8s.io"),
    ("gcr.io/google_containers", "registry.k8s.io"),
    ("us.gcr.io/k8s-artifacts-prod", "registry.k8s.io"),
    ("eu.gcr.io/k8s-artifacts-prod", "registry.k8s.io"),
    ("asia.gcr.io/k8s-artifacts-prod", "registry.k8s.io"),
    ("docker.io/bitnamilegacy", "a maintained image"),
];

fn check(ctx: &mut ObjectCtx<'_>) {
    for (c, image) in images(ctx) {
        let q = parse_image(image).qualified();
        if let Some((p, instead)) = FROZEN.iter().find(|(p, _)| under_prefix(&q, p)) {
            ctx.report(
                c.path.key("image"),
                format!(
                    "{} uses image {image:?} from {p}, which no longer receives images; use {instead}",
                    c.describe()
                ),
            );
        }
    }
}

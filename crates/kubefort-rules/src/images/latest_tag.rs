use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::parse_image;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "latest-tag",
        severity: Severity::Medium,
        groups: &["images"],
        summary: "An image has the `latest` tag or no tag, so what runs can change without a change to the manifest",
        remediation: "Pin the image to a version tag, or better to a digest (`image: app:1.4.2@sha256:…`).",
        docs: r#"## What it does
Flags containers whose image has no tag (`nginx`) or the tag `latest`
(`nginx:latest`), unless the reference also pins a digest (`@sha256:…`).

## Why it matters
`latest` is whatever was pushed last. Two nodes can run different code for
the same manifest, a rollback does not roll back, and an attacker who can push
to the repository gets their image deployed on the next pod restart without
any change to reviewed configuration. An untagged image means `latest`.

## Example
```yaml
containers:
- name: app
  image: registry.example/app          # flagged: no tag means latest
- name: proxy
  image: envoyproxy/envoy:latest        # flagged
- name: ok
  image: registry.example/app:1.4.2@sha256:9f86d0…  # fine
```

## How to fix
Use an immutable reference: a version tag at least, a digest at best. Tools
such as `crane digest` or your registry's UI give the digest of a tag.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/containers/images/#image-names",
            "https://kubernetes.io/docs/concepts/configuration/overview/#container-images",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    for spec in ctx.pod_specs() {
        for c in spec.all_containers() {
            let Some(image) = c.node.str_at("image") else {
                continue;
            };
            let r = parse_image(image.trim());
            if r.digest.is_some() {
                continue;
            }
            let message = match r.tag {
                None => format!(
                    "{} uses image {image:?} with no tag, which means `latest`",
                    c.describe()
                ),
                Some("latest") => format!(
                    "{} uses image {image:?} with the mutable tag `latest`",
                    c.describe()
                ),
                Some(_) => continue,
            };
            ctx.report(c.path.key("image"), message);
        }
    }
}

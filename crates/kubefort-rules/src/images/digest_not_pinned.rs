use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::{images, parse_image};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "image-digest-not-pinned",
        severity: Severity::Low,
        groups: &["images"],
        summary: "An image is referenced by tag only, not pinned to a digest (opt-in)",
        remediation: "Add the digest of the tested image: `image: app:1.4.2@sha256:…` (`crane digest app:1.4.2` prints it).",
        docs: r#"## What it does
Flags containers whose image has no `@sha256:` digest. Off by default
(select it with `--extend-select image-digest-not-pinned`): most teams pin
digests through tooling (Renovate, admission-time resolution) rather than
by hand. Images with the `latest` tag or no tag are `latest-tag`'s
business and are not reported twice.

## Why it matters
A tag is a movable pointer: whoever can push to the repository can change
what `app:1.4.2` runs, and the nodes pull the new content on the next
restart without any change to reviewed manifests. A digest names exactly
one image.

## Example
```yaml
containers:
- name: app
  image: ghcr.io/acme/app:1.4.2                 # flagged
- name: ok
  image: ghcr.io/acme/app:1.4.2@sha256:9f86d0…  # fine
```

## How to fix
Resolve the tag to its digest at release time and write both (the tag stays
for humans, the runtime uses the digest).

Peers: Checkov CKV_K8S_43, Kubescape C-0306.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/containers/images/#image-names",
            "https://docs.renovatebot.com/docker/#digest-pinning",
        ],
        default_enabled: false,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    for (c, image) in images(ctx) {
        let r = parse_image(image);
        if r.digest.is_some() || matches!(r.tag, None | Some("latest")) {
            continue;
        }
        ctx.report(
            c.path.key("image"),
            format!("{} uses image {image:?} without a digest", c.describe()),
        );
    }
}

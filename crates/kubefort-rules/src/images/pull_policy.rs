use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::{images, parse_image};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "image-pull-policy-not-always",
        severity: Severity::Low,
        groups: &["images"],
        summary: "A tag-referenced image is not pulled with `imagePullPolicy: Always` (opt-in)",
        remediation: "Set `imagePullPolicy: Always`, or pin the image to a digest so the policy no longer matters.",
        docs: r#"## What it does
Flags containers whose image is referenced by a tag (no digest) and whose
effective pull policy is not `Always`. The effective policy is computed as
the API server defaults it: `Always` for `latest` or untagged images,
`IfNotPresent` otherwise. Off by default (opinionated; select it with
`--extend-select image-pull-policy-not-always`).

## Why it matters
With `IfNotPresent`, a pod on a node that already has the tag runs the
cached image without the registry checking the pod's pull credentials: a
pod of another tenant can run a private image it could not pull, and a tag
moved in the registry runs old and new content side by side.
`Always` makes the kubelet ask the registry each time (the AlwaysPullImages
admission plugin enforces the same cluster-wide).

## Example
```yaml
containers:
- name: app
  image: ghcr.io/acme/app:1.4.2
  imagePullPolicy: IfNotPresent    # flagged
```

## How to fix
Use `imagePullPolicy: Always`, or a digest (`app@sha256:…`), which makes
every policy safe.

Peers: Polaris pullPolicyNotAlways, Checkov CKV_K8S_15, Kubescape C-0075,
kube-score container-image-pull-policy.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy",
            "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#alwayspullimages",
        ],
        default_enabled: false,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    for (c, image) in images(ctx) {
        let r = parse_image(image);
        if r.digest.is_some() {
            continue;
        }
        let explicit = c.node.str_at("imagePullPolicy");
        let effective = explicit.unwrap_or(match r.tag {
            None | Some("latest") => "Always",
            Some(_) => "IfNotPresent",
        });
        if effective == "Always" {
            continue;
        }
        let path = if explicit.is_some() {
            c.path.key("imagePullPolicy")
        } else {
            c.path.key("image")
        };
        ctx.report(
            path,
            format!(
                "{} pulls the tag-referenced image {image:?} with policy {effective}{}",
                c.describe(),
                if explicit.is_none() {
                    " (the default for a tag)"
                } else {
                    ""
                }
            ),
        );
    }
}

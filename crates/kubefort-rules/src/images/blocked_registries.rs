use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, RuleSettings, Severity};

use super::{images, parse_image, under_prefix, RegistrySettings};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "blocked-registries",
        severity: Severity::High,
        groups: &["images"],
        summary: "An image comes from a registry the configuration forbids",
        remediation: "Use an image from another registry, or remove the registry from `rules.blocked-registries.registries` after review.",
        docs: r#"## What it does
Flags containers whose image is under a registry or repository prefix listed
as forbidden in the configuration. The rule does nothing until the list is
set:

```yaml
# .kubefort.yaml
rules:
  blocked-registries:
    registries: [docker.io, quay.io/untrusted-org/]
```

Prefixes are matched as in `allowed-registries`: a host matches everything
on it, a path matches whole components, `nginx` is `docker.io/library/nginx`.

## Why it matters
Some registries are known to be unscanned, rate-limited, or outside the
organisation's control; a block-list keeps them out even where an
allow-list is too strict to adopt.

## Example
```yaml
containers:
- name: app
  image: nginx:1.27        # flagged with the settings above: docker.io
```

## How to fix
Mirror the image to an approved registry and reference the mirror.

Peers: Kubescape C-0001 (forbidden container registries).
"#,
        references: &["https://kubernetes.io/docs/concepts/containers/images/"],
        default_enabled: true,
    },
    check: Check::Object(check),
};

/// Settings: `rules.blocked-registries` in the configuration file.
pub static SETTINGS: RuleSettings =
    RuleSettings::validated::<RegistrySettings>("blocked-registries");

fn check(ctx: &mut ObjectCtx<'_>) {
    let Some(s) = ctx.settings::<RegistrySettings>() else {
        return;
    };
    for (c, image) in images(ctx) {
        let q = parse_image(image).qualified();
        if let Some(p) = s.registries.iter().find(|p| under_prefix(&q, p)) {
            ctx.report(
                c.path.key("image"),
                format!(
                    "{} uses image {image:?} from {q}, under the blocked registry {}",
                    c.describe(),
                    p.trim()
                ),
            );
        }
    }
}

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, RuleSettings, Severity};

use super::{images, parse_image, under_prefix, RegistrySettings};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "allowed-registries",
        severity: Severity::Medium,
        groups: &["images"],
        summary: "An image comes from a registry outside the configured allow-list",
        remediation: "Pull the image through an allowed registry (mirror it there), or add its registry to `rules.allowed-registries.registries` in the configuration.",
        docs: r#"## What it does
Flags containers whose image is not under one of the registries or
repository prefixes listed in the configuration. The rule does nothing until
the list is set:

```yaml
# .kubefort.yaml
rules:
  allowed-registries:
    registries: [registry.example.com, ghcr.io/acme/]
```

An entry without `/` names a registry host and matches everything on it;
an entry with `/` matches whole path components (`ghcr.io/acme/` matches
`ghcr.io/acme/app`, not `ghcr.io/acme-evil/app`). Images are compared in the
form the runtime pulls: `nginx` is `docker.io/library/nginx`, `bitnami/redis`
is `docker.io/bitnami/redis`. Wildcards are refused: a prefix is exact.

## Why it matters
An allow-list of registries is the usual supply-chain baseline: images come
only from registries the organisation scans, signs and controls, and a typo
or a copied manifest cannot pull code from an arbitrary public account.

## Example
```yaml
containers:
- name: app
  image: ghcr.io/acme/app:1.4.2      # fine with the settings above
- name: tool
  image: docker.io/someone/tool:1.0  # flagged
```

## How to fix
Mirror the image into an allowed registry and reference the mirror, or add
the registry to the list after review. Enforce the same list at admission
time (Kyverno, Gatekeeper or a ValidatingAdmissionPolicy).

Peers: Trivy KSV-0125 (and the deprecated KSV-0032…0035), Kubescape C-0078.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/containers/images/",
            "https://kyverno.io/policies/best-practices/restrict-image-registries/restrict-image-registries/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

/// Settings: `rules.allowed-registries` in the configuration file.
pub static SETTINGS: RuleSettings =
    RuleSettings::validated::<RegistrySettings>("allowed-registries");

fn check(ctx: &mut ObjectCtx<'_>) {
    let Some(s) = ctx.settings::<RegistrySettings>() else {
        return;
    };
    if s.registries.is_empty() {
        return;
    }
    for (c, image) in images(ctx) {
        let q = parse_image(image).qualified();
        if !s.registries.iter().any(|p| under_prefix(&q, p)) {
            ctx.report(
                c.path.key("image"),
                format!(
                    "{} uses image {image:?} from {q}, which is not under an allowed registry ({})",
                    c.describe(),
                    s.registries.join(", ")
                ),
            );
        }
    }
}

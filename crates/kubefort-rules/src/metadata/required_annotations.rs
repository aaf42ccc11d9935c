use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, RuleSettings, Severity, Validate};

use super::{check_keys, RequiredKeys};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "required-annotations",
        severity: Severity::Low,
        groups: &["metadata"],
        summary: "An object lacks a annotation the configuration requires",
        remediation: "Add the missing annotations to the object's `metadata.annotations`.",
        docs: r#"## What it does
Flags objects whose `metadata.annotations` lack one of the keys listed in the
configuration. The rule does nothing until the list is set:

```yaml
# .kubefort.yaml
rules:
  required-annotations:
    annotations: [owner, runbook.example.com/url]
    kinds: [Deployment, StatefulSet, DaemonSet, CronJob]   # optional; default: every kind
```

Only the presence of a key is checked, not its value.

## Why it matters
Ownership and routing annotations are how findings, alerts and costs reach a
team. An object without them is an orphan the day something goes wrong.

## Example
```yaml
metadata:
  name: web
  annotations:
    owner: payments   # "runbook.example.com/url" missing: flagged
```

## How to fix
Add the annotations (Kustomize's `commonLabels`/`commonAnnotations` or a Helm
helper set them on every object).

Peers: kube-linter required-annotation-email.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

pub static SETTINGS: RuleSettings = RuleSettings::validated::<Settings>("required-annotations");

/// Settings: `rules.required-annotations`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Keys every object must carry.
    pub annotations: Vec<String>,
    /// Kinds the requirement applies to; empty: every kind.
    pub kinds: Vec<String>,
    #[serde(skip)]
    keys: RequiredKeys,
}

impl Validate for Settings {
    fn validate(&mut self) -> Result<(), String> {
        self.keys = RequiredKeys {
            keys: self.annotations.clone(),
            kinds: self.kinds.clone(),
        };
        self.keys.validate("annotations")
    }
}

fn check(ctx: &mut ObjectCtx<'_>) {
    if let Some(s) = ctx.settings::<Settings>() {
        check_keys(ctx, &s.keys, "annotations", "annotation");
    }
}

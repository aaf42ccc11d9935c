use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, RuleSettings, Severity, Validate};

use super::{check_keys, RequiredKeys};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "required-labels",
        severity: Severity::Low,
        groups: &["metadata"],
        summary: "An object lacks a label the configuration requires",
        remediation: "Add the missing labels to the object's `metadata.labels`.",
        docs: r#"## What it does
Flags objects whose `metadata.labels` lack one of the keys listed in the
configuration. The rule does nothing until the list is set:

```yaml
# .kubefort.yaml
rules:
  required-labels:
    labels: [app.kubernetes.io/name, team]
    kinds: [Deployment, StatefulSet, DaemonSet, CronJob]   # optional; default: every kind
```

Only the presence of a key is checked, not its value.

## Why it matters
Ownership and routing labels are how findings, alerts and costs reach a
team. An object without them is an orphan the day something goes wrong.

## Example
```yaml
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web   # "team" missing: flagged
```

## How to fix
Add the labels (Kustomize's `commonLabels`/`commonAnnotations` or a Helm
helper set them on every object).

Peers: kube-linter required-label-owner, Kubescape C-0076 and C-0077.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

pub static SETTINGS: RuleSettings = RuleSettings::validated::<Settings>("required-labels");

/// Settings: `rules.required-labels`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Keys every object must carry.
    pub labels: Vec<String>,
    /// Kinds the requirement applies to; empty: every kind.
    pub kinds: Vec<String>,
    #[serde(skip)]
    keys: RequiredKeys,
}

impl Validate for Settings {
    fn validate(&mut self) -> Result<(), String> {
        self.keys = RequiredKeys {
            keys: self.labels.clone(),
            kinds: self.kinds.clone(),
        };
        self.keys.validate("labels")
    }
}

fn check(ctx: &mut ObjectCtx<'_>) {
    if let Some(s) = ctx.settings::<Settings>() {
        check_keys(ctx, &s.keys, "labels", "label");
    }
}

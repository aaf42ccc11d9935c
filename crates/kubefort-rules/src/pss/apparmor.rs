//! PSS baseline control "AppArmor" (upstream check `appArmorProfile`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "appArmorProfile",
    rule: "pss-apparmor",
    level: Level::Baseline,
    title: "AppArmor",
    allowed: "appArmorProfile.type undefined/null, RuntimeDefault or Localhost; annotation container.apparmor.security.beta.kubernetes.io/* undefined, \"\", runtime/default or localhost/*",
    versions: &[Versioned {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-apparmor",
        severity: Severity::Medium,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: AppArmor is disabled or overridden",
        remediation: "Remove `appArmorProfile` settings of type `Unconfined` and AppArmor annotations other than `runtime/default` or `localhost/<profile>`.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **AppArmor** (baseline) as the
Pod Security Admission controller does:

* `securityContext.appArmorProfile.type` of the pod and of every container,
  when set, must be `RuntimeDefault` or `Localhost`;
* every pod annotation whose key starts with
  `container.apparmor.security.beta.kubernetes.io/` must be empty,
  `runtime/default` or `localhost/<profile>`.

## Why it matters
The runtime's default AppArmor profile blocks many kernel interfaces an
attacker uses to escape a container (mounting, writing to `/proc/sys`,
raw access to devices). `Unconfined` removes that layer.

## Example
```yaml
metadata:
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined   # forbidden
spec:
  securityContext:
    appArmorProfile:
      type: Unconfined   # forbidden
```

## How to fix
Remove the override, or use `RuntimeDefault` / a `Localhost` profile that is
loaded on the nodes.

## Versions
The same check at every version from v1.0: the `appArmorProfile` fields are
checked whenever they are present, the annotations always.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
            "https://kubernetes.io/docs/tutorials/security/apparmor/",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn allowed_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

fn allowed_annotation(v: &str) -> bool {
    v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
}

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    let mut setters_list = Vec::new();
    let mut values = Vec::new();
    let mut first = None;
    if let Some(p) = pod
        .security_context()
        .and_then(|sc| set(sc, "appArmorProfile"))
    {
        let t = string(p, "type");
        if !allowed_type(t) {
            setters_list.push("pod".to_string());
            values.push(t.to_string());
            first = Some(pod.sc_path().keys("appArmorProfile.type"));
        }
    }
    let mut bad = Vec::new();
    for c in &pod.containers {
        if let Some(p) = c.sc().and_then(|sc| set(sc, "appArmorProfile")) {
            let t = string(p, "type");
            if !allowed_type(t) {
                bad.push(c.name);
                values.push(t.to_string());
                first.get_or_insert_with(|| c.sc_path().keys("appArmorProfile.type"));
            }
        }
    }
    if !bad.is_empty() {
        setters_list.push(format!(
            "{} {}",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad)
        ));
    }
    let mut annotations = Vec::new();
    for (k, v, path) in pod.annotations() {
        if k.starts_with(ANNOTATION_PREFIX) && !allowed_annotation(v) {
            annotations.push(format!("{k}={}", go_quote(v)));
            first.get_or_insert(path);
        }
    }
    let mut values = sorted_set(values);
    if !annotations.is_empty() {
        annotations.sort();
        setters_list.push(pluralize("annotation", "annotations", annotations.len()).to_string());
        values.extend(annotations);
    }
    if setters_list.is_empty() {
        return None;
    }
    Some(Violation {
        reason: pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            values.len(),
        )
        .into(),
        detail: format!(
            "{} must not set AppArmor profile type to {}",
            setters_list.join(" and "),
            join_quote(&values)
        ),
        path: first?,
    })
}

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, RuleSettings, Severity, Validate};

use crate::workload::effective;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "low-user-id",
        severity: Severity::Low,
        groups: &["hardening"],
        summary: "A container runs with a UID or GID below 10000 (configurable), which may collide with a host account (opt-in)",
        remediation: "Run as a UID and GID of 10000 or more (`runAsUser`, `runAsGroup`), or use user namespaces (`hostUsers: false`).",
        docs: r#"## What it does
Flags containers whose effective `runAsUser` or `runAsGroup` (container
level, else pod level) is set and below the threshold (10000 by default).
UID/GID 0 is left to the `pss-run-as-user` and `root-group` rules; an unset
value is left to `pss-run-as-non-root`. Pods with `hostUsers: false` are
skipped: their IDs are mapped away from the host's. Off by default.

Settings (`.kubefort.yaml`):

```yaml
rules:
  low-user-id:
    min-uid: 10000   # default
    min-gid: 10000   # default
```

## Why it matters
Without user namespaces, a container process's UID is the host's UID. If
it escapes, a low UID can coincide with a real account on the node (system
services use low IDs) and inherit its files. A high, unique UID owns
nothing on the host.

## Example
```yaml
securityContext:
  runAsUser: 1000      # flagged: below 10000
  runAsGroup: 10001    # fine
```

## How to fix
Build the image with a high UID/GID (`USER 10001:10001`) and set
`runAsUser`/`runAsGroup` to match, or enable user namespaces.

Peers: kubesec RunAsUser and RunAsGroup, kube-score
container-security-context-user-group-id, Checkov CKV_K8S_40, Trivy
KSV-0020 and KSV-0021 (all: above 10000).
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
            "https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/",
        ],
        default_enabled: false,
    },
    check: Check::Object(check),
};

/// Settings: `rules.low-user-id`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub struct Settings {
    pub min_uid: i64,
    pub min_gid: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            min_uid: 10000,
            min_gid: 10000,
        }
    }
}

impl Validate for Settings {
    fn validate(&mut self) -> Result<(), String> {
        for (k, v) in [("min-uid", self.min_uid), ("min-gid", self.min_gid)] {
            if !(1..=2147483647).contains(&v) {
                return Err(format!("{k}: {v} is not between 1 and 2147483647"));
            }
        }
        Ok(())
    }
}

pub static SETTINGS: RuleSettings = RuleSettings::validated::<Settings>("low-user-id");

static DEFAULT: Settings = Settings {
    min_uid: 10000,
    min_gid: 10000,
};

fn check(ctx: &mut ObjectCtx<'_>) {
    let s = ctx.settings::<Settings>().unwrap_or(&DEFAULT);
    let mut seen = std::collections::HashSet::new();
    for spec in ctx.pod_specs() {
        if spec.node.get("hostUsers").and_then(|n| n.as_bool()) == Some(false) {
            continue;
        }
        for c in spec.all_containers() {
            for (field, min, what) in [
                ("runAsUser", s.min_uid, "UID"),
                ("runAsGroup", s.min_gid, "GID"),
            ] {
                let Some((n, path)) = effective(spec, &c, field) else {
                    continue;
                };
                let Some(id) = n.as_i64() else { continue };
                if id > 0 && id < min && seen.insert(path.to_string()) {
                    let who = if path.segs().len() > spec.path.segs().len() + 2 {
                        c.describe()
                    } else {
                        "the pod".to_string()
                    };
                    ctx.report(path, format!("{who} runs with {what} {id}, below {min}"));
                }
            }
        }
    }
}

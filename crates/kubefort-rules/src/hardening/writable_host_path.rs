use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "writable-host-path",
        severity: Severity::Medium,
        groups: &["hardening"],
        summary: "A container mounts a hostPath volume without `readOnly: true` (opt-in)",
        remediation: "Add `readOnly: true` to the volumeMount, or replace the hostPath volume.",
        docs: r#"## What it does
Flags `volumeMounts` of containers, init containers and ephemeral
containers that mount a `hostPath` volume without `readOnly: true`. Every
hostPath volume is already reported by `host-path-volume`; this rule adds
the write access, for teams that accept read-only node mounts (log and
metrics agents) but not writable ones. Off by default.

## Why it matters
A writable host mount lets the pod change the node: plant binaries or
cron jobs, tamper with other pods' data and logs, or create symbolic links
that the kubelet later follows as root (the `/var/log` escape).

## Example
```yaml
containers:
- name: agent
  volumeMounts:
  - name: varlog
    mountPath: /var/log
    readOnly: true       # fine; without it: flagged
volumes:
- name: varlog
  hostPath: {path: /var/log}
```

## How to fix
Mount read-only, or move the data to a PersistentVolumeClaim.

Peers: kube-linter writable-host-mount, Kubescape C-0045.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
            "https://kubernetes.io/docs/concepts/storage/volumes/#read-only-mounts",
        ],
        default_enabled: false,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    for spec in ctx.pod_specs() {
        let Some(volumes) = spec.node.get("volumes").and_then(|v| v.as_seq()) else {
            continue;
        };
        let host: Vec<(&str, &str)> = volumes
            .iter()
            .filter_map(|v| {
                let hp = v.get("hostPath").filter(|h| !h.is_null())?;
                Some((v.str_at("name")?, hp.str_at("path").unwrap_or("")))
            })
            .collect();
        if host.is_empty() {
            continue;
        }
        for c in spec.all_containers() {
            let Some(mounts) = c.node.get("volumeMounts").and_then(|m| m.as_seq()) else {
                continue;
            };
            for (i, m) in mounts.iter().enumerate() {
                let Some(name) = m.str_at("name") else {
                    continue;
                };
                let Some((_, path)) = host.iter().find(|(n, _)| *n == name) else {
                    continue;
                };
                if m.get("readOnly").and_then(|r| r.as_bool()) == Some(true) {
                    continue;
                }
                ctx.report(
                    c.path.key("volumeMounts").index(i),
                    format!(
                        "{} mounts the node's {path} (volume {name:?}) writable",
                        c.describe()
                    ),
                );
            }
        }
    }
}

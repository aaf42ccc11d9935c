//! PSS baseline control "HostPath Volumes" (upstream check `hostPathVolumes`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "hostPathVolumes",
    rule: "pss-host-path-volumes",
    level: Level::Baseline,
    title: "HostPath Volumes",
    allowed: "undefined/null",
    versions: &[Versioned {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-host-path-volumes",
        severity: Severity::High,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: the pod mounts a hostPath volume",
        remediation: "Replace the hostPath volume with a PersistentVolumeClaim, ConfigMap, Secret or emptyDir.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **HostPath Volumes** (baseline)
as the Pod Security Admission controller does: no entry of `spec.volumes` may
have a `hostPath` source.

## Why it matters
A hostPath volume exposes the node's file system to the pod: the container
runtime socket, kubelet credentials, other pods' data, `/etc`. Write access
to most of these is a path to owning the node.

## Example
```yaml
volumes:
- name: docker
  hostPath:
    path: /var/run/docker.sock   # forbidden
```

## How to fix
Use a PersistentVolumeClaim for data, a ConfigMap or Secret for files, an
emptyDir for scratch space. Node agents that need host paths belong in a
namespace whose Pod Security level is `privileged`.

## Versions
Unchanged since v1.0. At the restricted level the Volume Types control
(`pss-volume-types`) replaces it.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut first = None;
    for (i, v) in list(pod.spec, "volumes").iter().enumerate() {
        if v.as_map().is_some() && set(v, "hostPath").is_some() {
            bad.push(string(v, "name"));
            first.get_or_insert_with(|| pod.spec_path.key("volumes").index(i).key("hostPath"));
        }
    }
    Some(Violation {
        reason: "hostPath volumes".into(),
        detail: format!(
            "{} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad)
        ),
        path: first?,
    })
}

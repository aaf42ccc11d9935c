//! PSS restricted control "Volume Types" (upstream check `restrictedVolumes`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "restrictedVolumes",
    rule: "pss-volume-types",
    level: Level::Restricted,
    title: "Volume Types",
    allowed: "configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret",
    versions: &[Versioned {
        since: 0,
        check: v1_0,
        overrides: &["hostPathVolumes"],
    }],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-volume-types",
        severity: Severity::Medium,
        groups: RESTRICTED_GROUPS,
        summary: "Pod Security restricted: the pod uses a volume type outside the restricted set",
        remediation: "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes; reach other storage through PersistentVolumeClaims.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Volume Types** (restricted)
as the Pod Security Admission controller does: every entry of
`spec.volumes` must use one of `configMap`, `csi`, `downwardAPI`,
`emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected` or
`secret`. Any other source (`hostPath`, `nfs`, `iscsi`, `gitRepo`,
`rbd`, `cephfs`, `flexVolume`, …) is forbidden. A volume with no source at
all passes: the API server defaults it to an `emptyDir` before admission
runs.

## Why it matters
Inline volume sources let a pod author reach storage directly, with node
credentials and without the review a PersistentVolume gets: host paths,
network shares, block devices, or `gitRepo`, which runs git on the node.

## Example
```yaml
volumes:
- name: shared
  nfs:                 # forbidden at restricted
    server: nfs.internal
    path: /exports
```

## How to fix
Create a PersistentVolume for the storage and mount it through a
PersistentVolumeClaim; use projected, configMap or secret volumes for files.

## Versions
Unchanged since v1.0; at the restricted level it replaces the baseline
HostPath Volumes control (`pss-host-path-volumes`).
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

const ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Forbidden sources, in the order upstream names the first one present.
const FORBIDDEN: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut types = Vec::new();
    let mut first = None;
    for (i, v) in list(pod.spec, "volumes").iter().enumerate() {
        if v.as_map().is_none() || ALLOWED.iter().any(|k| set(v, k).is_some()) {
            continue;
        }
        // A volume with no source at all is defaulted to an emptyDir by the
        // API server before admission runs, so it passes.
        if let Some(k) = FORBIDDEN.iter().find(|k| set(v, k).is_some()) {
            bad.push(string(v, "name"));
            types.push(k.to_string());
            first.get_or_insert_with(|| pod.spec_path.key("volumes").index(i).key(k));
        }
    }
    let types = sorted_set(types);
    Some(Violation {
        reason: "restricted volume types".into(),
        detail: format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
        path: first?,
    })
}

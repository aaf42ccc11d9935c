use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{allowed_verbs, check_rules, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-persistentvolume-create",
        severity: Severity::High,
        groups: &["rbac"],
        summary: "A ClusterRole creates PersistentVolumes, which can be hostPath volumes on any node",
        remediation: "Let a StorageClass provisioner create volumes; grant users PersistentVolumeClaims instead.",
        docs: r#"## What it does
Flags ClusterRole rule entries that allow `create`, `update` or `patch` on
`persistentvolumes`.

## Why it matters
A PersistentVolume can be a `hostPath` volume of `/` on a node. Bound to a
claim in a namespace where the user runs pods, it mounts the node's file
system into a pod that Pod Security's hostPath check never sees (the pod
only names a claim): node credentials, other pods' tokens, the container
runtime socket.

## Example
```yaml
kind: ClusterRole
rules:
  - apiGroups: [""]
    resources: [persistentvolumes]
    verbs: [create]     # flagged
```

## How to fix
Use dynamic provisioning: users create PersistentVolumeClaims, a
StorageClass's provisioner creates the volumes.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#persistent-volume-creation",
            "https://attack.mitre.org/techniques/T1611/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    check_rules(ctx, |rb, role, rule| {
        if !rb.is_cluster_role(role) {
            return None;
        }
        let (v, _) = allowed_verbs(
            rule,
            &["create", "update", "patch"],
            "",
            "persistentvolumes",
            "",
        )?;
        Some((
            Severity::High,
            format!(
                "can {} persistentvolumes: a hostPath volume mounts a node's file system",
                v.join("/")
            ),
        ))
    });
}

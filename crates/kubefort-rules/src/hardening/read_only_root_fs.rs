use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "read-only-root-filesystem",
        severity: Severity::Low,
        groups: &["hardening"],
        summary: "A container's root file system is writable (`readOnlyRootFilesystem` not true) (opt-in)",
        remediation: "Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir where the process writes (`/tmp`, caches).",
        docs: r#"## What it does
Flags containers and init containers whose
`securityContext.readOnlyRootFilesystem` is not `true` (ephemeral debug
containers are left alone). Off by default: it is the most common
hardening gap and needs per-application work (select it with
`--extend-select hardening` or `read-only-root-filesystem`).

## Why it matters
With a writable root file system an intruder can drop tools, modify the
application's code or configuration in place, and persist until the pod is
replaced. A read-only root turns most of those steps into errors.

## Example
```yaml
containers:
- name: app
  image: registry.example/app:1.0
  securityContext:
    readOnlyRootFilesystem: true     # fine
  volumeMounts:
  - {name: tmp, mountPath: /tmp}
```

## How to fix
Set `readOnlyRootFilesystem: true` and give the process emptyDir volumes
for the directories it writes to.

Peers: kube-linter no-read-only-root-fs, kubesec ReadOnlyRootFilesystem,
kube-score container-security-context-readonlyrootfilesystem, Polaris
notReadOnlyRootFilesystem, Checkov CKV_K8S_22, Trivy KSV-0014 (high),
Kubescape C-0017. Severity: low here, since a writable root is a
hardening gap rather than an exposure by itself.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
            "https://kubernetes.io/docs/concepts/storage/volumes/#emptydir",
        ],
        default_enabled: false,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    use kubefort_core::object::ContainerKind;
    for spec in ctx.pod_specs() {
        for c in spec.containers_of(&[ContainerKind::Container, ContainerKind::Init]) {
            let v = c
                .node
                .get_path(&["securityContext", "readOnlyRootFilesystem"]);
            if v.and_then(|n| n.as_bool()) == Some(true) {
                continue;
            }
            let path = match v {
                Some(_) => c.path.keys("securityContext.readOnlyRootFilesystem"),
                None => c.path.clone(),
            };
            ctx.report(
                path,
                format!("{} has a writable root file system", c.describe()),
            );
        }
    }
}

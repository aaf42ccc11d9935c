use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "missing-liveness-probe",
        severity: Severity::Low,
        groups: &["reliability"],
        summary: "A long-running container has no liveness probe",
        remediation: "Add a `livenessProbe` that fails only when the process is stuck beyond recovery.",
        docs: r#"## What it does
Flags the (regular) containers of Deployments, StatefulSets, DaemonSets,
ReplicaSets, ReplicationControllers, DeploymentConfigs and Argo Rollouts that
have no `livenessProbe`. Jobs, CronJobs and bare Pods are not checked: they
are expected to finish.

## Why it matters
Without a liveness probe the kubelet restarts a container only when its
process exits. A deadlocked or wedged process keeps its pod "Running"
forever while serving nothing.

## Example
```yaml
kind: Deployment
spec:
  template:
    spec:
      containers:
      - name: app            # flagged
        image: registry.example/app:1.4.2
```

## How to fix
```yaml
        livenessProbe:
          httpGet:
            path: /healthz
            port: 8080
          periodSeconds: 10
          failureThreshold: 3
```
Keep liveness checks cheap and independent of downstream services, or a
database outage restarts every replica at once.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    super::flag_missing_probe(ctx, "livenessProbe", "a hung process is never restarted");
}

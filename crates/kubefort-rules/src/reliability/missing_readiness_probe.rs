use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "missing-readiness-probe",
        severity: Severity::Low,
        groups: &["reliability"],
        summary: "A long-running container has no readiness probe",
        remediation: "Add a `readinessProbe` that succeeds only when the container can serve requests.",
        docs: r#"## What it does
Flags the (regular) containers of Deployments, StatefulSets, DaemonSets,
ReplicaSets, ReplicationControllers, DeploymentConfigs and Argo Rollouts that
have no `readinessProbe`.

## Why it matters
Without a readiness probe a pod receives traffic from its Services as soon as
its containers start, before the application is ready, and keeps receiving it
while it is overloaded or shutting down. Rolling updates also proceed without
waiting for new pods to work, so a broken release replaces every healthy
replica.

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
        readinessProbe:
          httpGet:
            path: /ready
            port: 8080
          periodSeconds: 5
```
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    super::flag_missing_probe(
        ctx,
        "readinessProbe",
        "it gets traffic before it can serve it, and rollouts do not wait for it",
    );
}

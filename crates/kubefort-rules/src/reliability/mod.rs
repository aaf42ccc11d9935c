//! Resource limits and health probes.

pub mod missing_cpu_limit;
pub mod missing_liveness_probe;
pub mod missing_memory_limit;
pub mod missing_readiness_probe;

use kubefort_core::object::ContainerKind;
use kubefort_core::ObjectCtx;

/// Report containers and init containers without `resources.limits.<resource>`.
pub(crate) fn flag_missing_limit(ctx: &mut ObjectCtx<'_>, resource: &str, why: &str) {
    for spec in ctx.pod_specs() {
        // Ephemeral containers cannot have resources.
        for c in spec.containers_of(&[ContainerKind::Container, ContainerKind::Init]) {
            let resources = c.node.get("resources");
            let limits = resources.and_then(|r| r.get("limits"));
            if limits
                .and_then(|l| l.get(resource))
                .is_some_and(|q| !q.is_null())
            {
                continue;
            }
            let path = match (resources, limits) {
                (Some(_), Some(_)) => c.path.keys("resources.limits"),
                (Some(_), None) => c.path.key("resources"),
                _ => c.path.clone(),
            };
            ctx.report(
                path,
                format!(
                    "{} has no {} limit: {why}",
                    c.describe(),
                    if resource == "cpu" { "CPU" } else { resource }
                ),
            );
        }
    }
}

/// Kinds whose pods run until stopped and sit behind load balancing, where
/// probes matter. Jobs, CronJobs and bare Pods are left alone.
pub(crate) fn long_running(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "DeploymentConfig"
            | "Rollout"
    )
}

/// Report regular containers of long-running workloads that lack `probe`.
pub(crate) fn flag_missing_probe(ctx: &mut ObjectCtx<'_>, probe: &str, why: &str) {
    if !long_running(&ctx.object.id.kind) {
        return;
    }
    for spec in ctx.pod_specs() {
        for c in spec.containers_of(&[ContainerKind::Container]) {
            if c.node.get(probe).is_some_and(|p| !p.is_null()) {
                continue;
            }
            ctx.report(
                c.path.clone(),
                format!("{} has no {probe}: {why}", c.describe()),
            );
        }
    }
}

//! Workload isolation: privileged containers, host namespaces, host paths and capabilities.

pub mod dangerous_capabilities;
pub mod host_ipc;
pub mod host_network;
pub mod host_path_volume;
pub mod host_pid;
pub mod privileged_container;

use kubefort_core::ObjectCtx;

/// Report every pod spec whose boolean `field` is `true`.
pub(crate) fn flag_pod_bool(ctx: &mut ObjectCtx<'_>, field: &str, message: &str) {
    for spec in ctx.pod_specs() {
        if spec.node.get(field).and_then(|n| n.as_bool()) == Some(true) {
            ctx.report(spec.path.key(field), message);
        }
    }
}

//! Workload isolation: privileged containers, host namespaces, host paths and capabilities.

pub mod dangerous_capabilities;
pub mod host_ipc;
pub mod host_network;
pub mod host_path_volume;
pub mod host_pid;
pub mod privileged_container;
pub mod sudo;

use kubefort_core::ObjectCtx;

/// Report every pod spec whose boolean `field` is `true`.
pub(crate) fn flag_pod_bool(ctx: &mut ObjectCtx<'_>, field: &str, message: &str) {
    for spec in ctx.pod_specs() {
        if spec.node.get(field).and_then(|n| n.as_bool()) == Some(true) {
            ctx.report(spec.path.key(field), message);
        }
    }
}

/// A container's `securityContext.<field>`, else the pod's; with the path
/// of the one that applies.
pub(crate) fn effective<'a>(
    spec: &kubefort_core::object::PodSpec<'a>,
    c: &kubefort_core::object::Container<'a>,
    field: &str,
) -> Option<(&'a kubefort_core::Node, kubefort_core::FieldPath)> {
    if let Some(n) = c
        .node
        .get_path(&["securityContext", field])
        .filter(|n| !n.is_null())
    {
        return Some((n, c.path.keys("securityContext").key(field)));
    }
    spec.node
        .get_path(&["securityContext", field])
        .filter(|n| !n.is_null())
        .map(|n| (n, spec.path.keys("securityContext").key(field)))
}

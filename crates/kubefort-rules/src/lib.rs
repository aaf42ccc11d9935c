//! kubefort's built-in rules. One file per rule, grouped by theme; each file
//! holds the rule's documentation next to its check. Every rule is listed in
//! [`all`], the one place rules register.

use kubefort_core::Rule;

pub mod cis;
pub mod correctness;
pub mod images;
pub mod network;
pub mod pss;
pub mod rbac;
pub mod reliability;
pub mod workload;

/// Every built-in rule, in documentation order.
pub fn all() -> Vec<&'static Rule> {
    let mut v = vec![
        &workload::privileged_container::RULE,
        &workload::host_network::RULE,
        &workload::host_pid::RULE,
        &workload::host_ipc::RULE,
        &workload::host_path_volume::RULE,
        &workload::dangerous_capabilities::RULE,
        &images::latest_tag::RULE,
        &reliability::missing_memory_limit::RULE,
        &reliability::missing_cpu_limit::RULE,
        &reliability::missing_liveness_probe::RULE,
        &reliability::missing_readiness_probe::RULE,
        &correctness::duplicate_object::RULE,
        &network::workload_without_policy::RULE,
        &network::missing_default_deny_ingress::RULE,
        &network::missing_default_deny_egress::RULE,
        &network::allows_all::RULE,
        &network::cloud_metadata::RULE,
        &network::exposed_service::RULE,
        &network::selects_nothing::RULE,
        &network::unknown_named_port::RULE,
        &rbac::wildcard::RULE,
        &rbac::cluster_admin_binding::RULE,
        &rbac::escalation_path::RULE,
        &rbac::escalation_verbs::RULE,
        &rbac::binding_to_everyone::RULE,
        &rbac::binding_to_system_masters::RULE,
        &rbac::secret_read::RULE,
        &rbac::pod_create::RULE,
        &rbac::pod_exec::RULE,
        &rbac::token_create::RULE,
        &rbac::nodes_proxy::RULE,
        &rbac::csr_approval::RULE,
        &rbac::webhook_config_write::RULE,
        &rbac::persistent_volume_create::RULE,
        &rbac::status_write::RULE,
        &rbac::default_service_account::RULE,
        &rbac::rolebinding_broad_clusterrole::RULE,
        &rbac::missing_role::RULE,
    ];
    v.extend(pss::RULES.iter().copied());
    v.extend(cis::RULES.iter().copied());
    v
}

/// Group names and what they hold, for `kubefort rules` and the docs.
pub const GROUPS: &[(&str, &str)] = &[
    (
        "security",
        "Settings that weaken isolation between workloads and the node",
    ),
    (
        "pss-baseline",
        "Pod Security Standards, baseline level, evaluated as the Pod Security Admission controller does",
    ),
    (
        "pss-restricted",
        "Pod Security Standards, restricted level (includes baseline), evaluated as the Pod Security Admission controller does",
    ),
    ("images", "Image references: tags, digests, registries"),
    ("reliability", "Resource limits and health probes"),
    (
        "network",
        "NetworkPolicy coverage and rules: unprotected workloads, over-broad and ineffective policies",
    ),
    (
        "rbac",
        "Risky RBAC permissions and bindings, and escalation paths to cluster-admin, evaluated as the API server's authorizer does",
    ),
    (
        "cis",
        "CIS Kubernetes Benchmark v1.12: control-plane flags, kubelet, etcd, encryption, audit and admission configuration, kubeconfigs, node file permissions (docs/cis.md)",
    ),
    (
        "correctness",
        "Manifests that do not do what they appear to",
    ),
];

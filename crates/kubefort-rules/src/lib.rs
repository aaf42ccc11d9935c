//! kubefort's built-in rules. One file per rule, grouped by theme; each file
//! holds the rule's documentation next to its check. Every rule is listed in
//! [`all`], the one place rules register.

use kubefort_core::{Config, Rule, RuleSettings};

pub mod cis;
pub mod correctness;
pub mod hardening;
pub mod images;
pub mod metadata;
pub mod network;
pub mod pss;
pub mod rbac;
pub mod reliability;
pub mod secrets;
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
        &workload::sudo::RULE,
        &hardening::service_account_token::RULE,
        &hardening::read_only_root_fs::RULE,
        &hardening::low_user_id::RULE,
        &hardening::root_group::RULE,
        &hardening::writable_host_path::RULE,
        &hardening::host_aliases::RULE,
        &hardening::default_sa_automount::RULE,
        &hardening::secret_env_var::RULE,
        &images::latest_tag::RULE,
        &images::digest_not_pinned::RULE,
        &images::pull_policy::RULE,
        &images::allowed_registries::RULE,
        &images::blocked_registries::RULE,
        &images::deprecated_registry::RULE,
        &images::helm_tiller::RULE,
        &images::dashboard::RULE,
        &images::git_sync_exec::RULE,
        &images::ingress_nginx_eol::RULE,
        &images::ingress_nginx_snippets::RULE,
        &secrets::in_env::RULE,
        &secrets::in_configmap::RULE,
        &secrets::in_annotations::RULE,
        &secrets::secret_in_manifest::RULE,
        &reliability::missing_memory_limit::RULE,
        &reliability::missing_cpu_limit::RULE,
        &reliability::missing_liveness_probe::RULE,
        &reliability::missing_readiness_probe::RULE,
        &correctness::duplicate_object::RULE,
        &metadata::required_labels::RULE,
        &metadata::required_annotations::RULE,
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

/// The rules that take settings (`rules:` in the configuration file).
pub fn settings() -> Vec<&'static RuleSettings> {
    vec![
        &images::allowed_registries::SETTINGS,
        &images::blocked_registries::SETTINGS,
        &hardening::low_user_id::SETTINGS,
        &metadata::required_labels::SETTINGS,
        &metadata::required_annotations::SETTINGS,
    ]
}

/// Check and parse the configuration's per-rule settings against the
/// built-in rules, once, before a scan.
pub fn configure(config: &mut Config) -> Result<(), String> {
    let names: Vec<&str> = all().iter().map(|r| r.meta.name).collect();
    config.resolve_settings(&names, &settings())
}

/// Group names and what they hold, for `kubefort rules` and the docs.
pub const GROUPS: &[(&str, &str)] = &[
    (
        "security",
        "Settings that weaken isolation between workloads and the node",
    ),
    (
        "hardening",
        "Defence in depth the peers recommend but that is a matter of policy (opt-in)",
    ),
    (
        "pss-baseline",
        "Pod Security Standards, baseline level, evaluated as the Pod Security Admission controller does",
    ),
    (
        "pss-restricted",
        "Pod Security Standards, restricted level (includes baseline), evaluated as the Pod Security Admission controller does",
    ),
    ("images", "Image references and supply chain: tags, digests, registries, known-bad components"),
    (
        "secrets",
        "Credentials written into manifests: env values, arguments, ConfigMaps, annotations, committed Secrets",
    ),
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
        "metadata",
        "Labels and annotations the configuration requires",
    ),
    (
        "correctness",
        "Manifests that do not do what they appear to",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn configure_str(text: &str) -> Result<Config, String> {
        let mut c = Config::from_str_named(text, ".kubefort.yaml")?;
        c.file = Some(".kubefort.yaml".into());
        configure(&mut c).map(|()| c)
    }

    #[test]
    fn settings_are_parsed_once_and_typed() {
        let c =
            configure_str("rules:\n  allowed-registries: {registries: [ghcr.io/acme/]}\n").unwrap();
        let s: &images::RegistrySettings = c.rule_settings("allowed-registries").unwrap();
        assert_eq!(s.registries, ["ghcr.io/acme/"]);
        assert!(c
            .rule_settings::<images::RegistrySettings>("blocked-registries")
            .is_none());
    }

    #[test]
    fn bad_settings_name_the_file_line_and_key() {
        let e = configure_str("select: [all]\nrules:\n  allowed-registrie: {registries: []}\n")
            .unwrap_err();
        assert_eq!(
            e,
            ".kubefort.yaml:3: rules.allowed-registrie: unknown rule \"allowed-registrie\" (see `kubefort rules`)"
        );
        let e = configure_str("rules:\n  latest-tag: {x: 1}\n").unwrap_err();
        assert_eq!(
            e,
            ".kubefort.yaml:2: rules.latest-tag: rule latest-tag takes no settings"
        );
        let e = configure_str("rules:\n  allowed-registries: {registry: [a]}\n").unwrap_err();
        assert!(
            e.starts_with(".kubefort.yaml:2: rules.allowed-registries: unknown field `registry`"),
            "{e}"
        );
        let e = configure_str("rules:\n  blocked-registries: {registries: \"docker.io\"}\n")
            .unwrap_err();
        assert!(e.contains("invalid type: string"), "{e}");
        let e =
            configure_str("rules:\n  blocked-registries: {registries: [\"*.io\"]}\n").unwrap_err();
        assert!(e.contains("no wildcards"), "{e}");
    }

    #[test]
    fn every_parameterised_rule_exists() {
        let names: Vec<&str> = all().iter().map(|r| r.meta.name).collect();
        for s in settings() {
            assert!(names.contains(&s.rule), "{}", s.rule);
        }
    }
}

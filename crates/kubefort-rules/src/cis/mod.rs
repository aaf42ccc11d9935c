//! CIS Kubernetes Benchmark checks (benchmark v1.12, as published in
//! kube-bench's `cfg/cis-1.12`): control-plane command lines in pod specs,
//! kubelet and kube-proxy configuration, API server configuration files
//! (encryption at rest, audit policy, admission, authentication and
//! authorization configuration), kubeconfig files, and the ownership and
//! permissions of a node's files ([`node_files`]).
//!
//! The control-plane rules find their component by the program a container
//! runs (or its image), in any pod spec: a static pod manifest, a mirror pod
//! read from the API, or a Deployment of a hosted control plane. They never
//! look at file names. Every finding names its CIS ID in its message; the
//! rule's docs list the IDs it covers (docs/cis.md has the whole table).

use kubefort_core::{FieldPath, ObjectCtx, Severity};

pub mod admission;
pub mod apiserver;
pub mod audit_policy;
pub mod authn_authz;
pub mod controller_manager;
pub mod encryption;
pub mod etcd;
pub mod flags;
pub mod kube_proxy;
pub mod kubeconfig;
pub mod kubelet;
pub mod node_files;
pub mod profiling_bind;

use flags::{CommandLine, Component};

/// The benchmark version the IDs refer to.
pub const BENCHMARK: &str = "CIS Kubernetes Benchmark v1.12";

pub(crate) const CIS_REF: &str = "https://www.cisecurity.org/benchmark/kubernetes";

/// Declare a `cis` rule.
macro_rules! cis_rule {
    (
        name: $name:literal,
        severity: $sev:ident,
        summary: $summary:literal,
        remediation: $rem:literal,
        docs: $docs:expr,
        references: $refs:expr,
        check: $check:expr $(,)?
    ) => {
        cis_rule!(@ $name, $sev, $summary, $rem, $docs, $refs, $check, true)
    };
    (
        name: $name:literal,
        severity: $sev:ident,
        summary: $summary:literal,
        remediation: $rem:literal,
        docs: $docs:expr,
        references: $refs:expr,
        check: $check:expr,
        default_enabled: $def:expr $(,)?
    ) => {
        cis_rule!(@ $name, $sev, $summary, $rem, $docs, $refs, $check, $def)
    };
    (@ $name:literal, $sev:ident, $summary:literal, $rem:literal, $docs:expr, $refs:expr, $check:expr, $def:expr) => {
        kubefort_core::Rule {
            meta: kubefort_core::RuleMeta {
                name: $name,
                severity: kubefort_core::Severity::$sev,
                groups: &["cis"],
                summary: $summary,
                remediation: $rem,
                docs: $docs,
                references: $refs,
                default_enabled: $def,
            },
            check: kubefort_core::Check::Object($check),
        }
    };
}
pub(crate) use cis_rule;

/// Every rule of the group, in documentation order.
pub static RULES: &[&kubefort_core::Rule] = &[
    &apiserver::ANONYMOUS_AUTH,
    &apiserver::TOKEN_AUTH_FILE,
    &apiserver::KUBELET_TLS,
    &apiserver::AUTHORIZATION_MODE,
    &apiserver::ADMISSION_PLUGINS,
    &apiserver::OPTIONAL_ADMISSION_PLUGINS,
    &apiserver::AUDIT_LOG,
    &apiserver::SERVICE_ACCOUNT_TOKENS,
    &apiserver::ETCD_TLS,
    &apiserver::TLS,
    &apiserver::ENCRYPTION_AT_REST,
    &profiling_bind::PROFILING,
    &profiling_bind::BIND_ADDRESS,
    &controller_manager::SERVICE_ACCOUNT_CREDENTIALS,
    &controller_manager::SERVICE_ACCOUNT_KEYS,
    &controller_manager::ROTATE_KUBELET_SERVER_CERTIFICATE,
    &etcd::CLIENT_TLS,
    &etcd::PEER_TLS,
    &kubelet::ANONYMOUS_AUTH,
    &kubelet::AUTHORIZATION_MODE,
    &kubelet::CLIENT_CA,
    &kubelet::READ_ONLY_PORT,
    &kubelet::STREAMING_TIMEOUT,
    &kubelet::IPTABLES_CHAINS,
    &kubelet::SERVING_CERTIFICATE,
    &kubelet::ROTATE_CERTIFICATES,
    &kubelet::ROTATE_SERVER_CERTIFICATES,
    &kubelet::TLS_CIPHER_SUITES,
    &kubelet::POD_PIDS_LIMIT,
    &kubelet::SECCOMP_DEFAULT,
    &kubelet::PROTECT_KERNEL_DEFAULTS,
    &kube_proxy::METRICS_BIND_ADDRESS,
    &encryption::SECRETS_UNENCRYPTED,
    &encryption::WEAK_PROVIDER,
    &audit_policy::SECRETS_LOGGED,
    &audit_policy::LOGS_NOTHING,
    &admission::POD_SECURITY_DEFAULTS,
    &authn_authz::ANONYMOUS_CONFIG,
    &authn_authz::AUTHORIZERS,
    &kubeconfig::INSECURE_SKIP_TLS_VERIFY,
    &kubeconfig::EMBEDDED_CREDENTIALS,
    &node_files::PERMISSIONS,
    &node_files::OWNERSHIP,
];

/// Run `f` over every command line of `component` in the object.
pub(crate) fn each_command_line(
    ctx: &mut ObjectCtx<'_>,
    component: Component,
    mut f: impl FnMut(&CommandLine, &mut Out),
) {
    for cl in flags::of_object(ctx) {
        if cl.component != component {
            continue;
        }
        let mut out = Out::default();
        f(cl, &mut out);
        out.emit(ctx);
    }
}

/// Findings a check collects before they are reported.
#[derive(Default)]
pub(crate) struct Out {
    items: Vec<(Option<Severity>, FieldPath, String)>,
}

impl Out {
    pub fn push(&mut self, path: &FieldPath, message: String) {
        self.items.push((None, path.clone(), message));
    }

    pub fn push_with(&mut self, severity: Severity, path: &FieldPath, message: String) {
        self.items.push((Some(severity), path.clone(), message));
    }

    pub fn emit(self, ctx: &mut ObjectCtx<'_>) {
        for (sev, path, msg) in self.items {
            match sev {
                Some(s) => ctx.report_with(s, path, msg),
                None => ctx.report(path, msg),
            }
        }
    }
}

/// A flag that must be set: a finding at the command line when it is not.
pub(crate) fn require(cl: &CommandLine, out: &mut Out, id: &str, flag: &str, why: &str) {
    if cl.value(flag).is_none_or(str::is_empty) {
        out.push(
            &cl.anchor,
            format!("CIS {id}: {} does not set `--{flag}`: {why}", cl.described),
        );
    }
}

/// A boolean flag that must have `want`; `default` is the component's
/// default when the flag is absent.
pub(crate) fn require_bool(
    cl: &CommandLine,
    out: &mut Out,
    id: &str,
    flag: &str,
    want: bool,
    default: bool,
    why: &str,
) {
    match cl.bool(flag) {
        Some((Some(v), _)) if v == want => {}
        Some((Some(v), f)) if f.value.is_none() => out.push(
            &f.path,
            format!("CIS {id}: `--{flag}` without a value is {v} (a boolean flag never takes the next word as its value): {why}"),
        ),
        Some((Some(v), f)) => out.push(
            &f.path,
            format!("CIS {id}: `--{flag}={v}`: {why}"),
        ),
        Some((None, f)) => out.push(
            &f.path,
            format!(
                "CIS {id}: `--{flag}={}` is not a boolean; {} refuses to start with it",
                f.text(),
                cl.component.binary()
            ),
        ),
        None if default == want => {}
        None => out.push(
            &cl.anchor,
            format!(
                "CIS {id}: {} does not set `--{flag}`, which defaults to {default}: {why}",
                cl.described
            ),
        ),
    }
}

/// Whether an address is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
pub(crate) fn is_loopback(addr: &str) -> bool {
    let host = addr.trim_start_matches('[').trim_end_matches(']');
    if host == "localhost" || host == "::1" {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// Whether the object is `kind` in one of `groups` (any version).
pub(crate) fn is_kind(ctx: &ObjectCtx<'_>, groups: &[&str], kind: &str) -> bool {
    ctx.object.id.kind == kind && groups.contains(&ctx.object.id.group())
}

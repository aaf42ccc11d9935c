//! Pod Security Standards, evaluated as the Pod Security Admission controller
//! (k8s.io/pod-security-admission) evaluates them.
//!
//! Each control of the standard is a [`Control`]: an upstream check ID, its
//! level, and the check function for every policy version where its behaviour
//! changes. Evaluating a pod at a level and version picks, for every control
//! of that level (restricted includes baseline), the newest check version not
//! newer than the requested one, and drops the baseline controls a restricted
//! control overrides at that version, exactly as the upstream registry does.
//! Versions newer than the newest check version evaluate as the newest one;
//! `latest` is the newest.
//!
//! Every control is also a kubefort rule (one file per control in this
//! module). A rule evaluates an object's pod specs at the policy that applies
//! to it: the Pod Security labels of its Namespace when the inputs declare
//! one, otherwise the level the user selected (`--select pss-restricted`,
//! `pss-baseline`, a PSS rule name or `all`) at `--pss-version`. With neither,
//! PSS rules stay silent: the general security rules cover unlabelled
//! namespaces.

use std::fmt;

use kubefort_core::config::PssVersion;
use kubefort_core::namespaces::NamespaceInfo;
use kubefort_core::object::{ContainerKind, PodSpec};
use kubefort_core::{Config, FieldPath, Node, ObjectCtx, Rule};

pub mod allow_privilege_escalation;
pub mod apparmor;
pub mod capabilities_baseline;
pub mod capabilities_restricted;
pub mod host_namespaces;
pub mod host_path_volumes;
pub mod host_ports;
pub mod host_probes;
pub mod host_process;
pub mod namespace_unenforced;
pub mod privileged;
pub mod proc_mount;
pub mod proc_mount_restricted;
pub mod report;
pub mod run_as_non_root;
pub mod run_as_user;
pub mod seccomp_baseline;
pub mod seccomp_restricted;
pub mod selinux;
pub mod sysctls;
pub mod volume_types;

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    /// The level a label value names, as `api.ParseLevel` reads it.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy version: `v1.N` or `latest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    V1(u32),
    Latest,
}

impl Version {
    /// Parse a version exactly as `api.ParseVersion` does: `latest`, or
    /// `v1.` followed by a minor without leading zeros.
    pub fn parse(s: &str) -> Option<Version> {
        if s == "latest" {
            return Some(Version::Latest);
        }
        let minor = s.strip_prefix("v1.")?;
        let ok = !minor.is_empty()
            && minor.bytes().all(|b| b.is_ascii_digit())
            && (minor == "0" || !minor.starts_with('0'));
        if !ok {
            return None;
        }
        minor.parse().ok().map(Version::V1)
    }

    /// The check version that evaluates this policy version: the newest
    /// check version for `latest` and for versions beyond it.
    pub fn effective_minor(self) -> u32 {
        match self {
            Version::Latest => MAX_MINOR,
            Version::V1(m) => m.min(MAX_MINOR),
        }
    }
}

impl From<PssVersion> for Version {
    fn from(v: PssVersion) -> Self {
        match v {
            PssVersion::Latest => Version::Latest,
            PssVersion::Version(_, m) => Version::V1(m),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::V1(m) => write!(f, "v1.{m}"),
        }
    }
}

/// The newest policy version whose checks differ from the one before
/// (the upstream registry's maximum check version).
pub const MAX_MINOR: u32 = 37;

/// Why a pod fails a control: upstream's reason and detail, and the field
/// that a fix starts at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub reason: String,
    pub detail: String,
    pub path: FieldPath,
}

impl fmt::Display for Violation {
    /// `reason (detail)`, as the admission controller prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{} ({})", self.reason, self.detail)
        }
    }
}

pub type CheckFn = fn(&Pod<'_>) -> Option<Violation>;

/// One behaviour of a control, from a policy version on.
pub struct Versioned {
    /// First policy minor version (major 1) with this behaviour.
    pub since: u32,
    pub check: CheckFn,
    /// Baseline controls this restricted control replaces from `since` on.
    pub overrides: &'static [&'static str],
}

/// A control of the Pod Security Standards.
pub struct Control {
    /// The upstream check ID (`allowPrivilegeEscalation`).
    pub id: &'static str,
    /// The kubefort rule that reports it.
    pub rule: &'static str,
    pub level: Level,
    /// The control's name in the standard ("Privileged Containers").
    pub title: &'static str,
    /// The values the standard allows.
    pub allowed: &'static str,
    pub versions: &'static [Versioned],
}

impl Control {
    /// The behaviour at a policy minor version, if the control exists then.
    pub fn at(&self, minor: u32) -> Option<&Versioned> {
        self.versions.iter().rev().find(|v| v.since <= minor)
    }

    /// The check that runs for this control at `level` and `minor`, if any:
    /// none for controls above the level, none for baseline controls that an
    /// enabled restricted control overrides at a restricted evaluation.
    pub fn applies(
        &self,
        level: Level,
        minor: u32,
        enabled: &dyn Fn(&str) -> bool,
    ) -> Option<&Versioned> {
        if level < self.level || level == Level::Privileged {
            return None;
        }
        let v = self.at(minor)?;
        if self.level == Level::Baseline && level == Level::Restricted {
            let overridden = CONTROLS.iter().any(|c| {
                c.level == Level::Restricted
                    && enabled(c.rule)
                    && c.at(minor)
                        .is_some_and(|rv| rv.overrides.contains(&self.id))
            });
            if overridden {
                return None;
            }
        }
        Some(v)
    }

    /// The rule registered for this control.
    pub fn rule(&self) -> &'static Rule {
        RULES
            .iter()
            .copied()
            .find(|r| r.meta.name == self.rule)
            .expect("every control has a rule")
    }
}

/// Every control: baseline controls first, then restricted, each in the
/// upstream order (check IDs sorted), which is the order of the admission
/// controller's messages.
pub static CONTROLS: &[&Control] = &[
    &apparmor::CONTROL,
    &capabilities_baseline::CONTROL,
    &host_namespaces::CONTROL,
    &host_path_volumes::CONTROL,
    &host_ports::CONTROL,
    &host_probes::CONTROL,
    &privileged::CONTROL,
    &proc_mount::CONTROL,
    &selinux::CONTROL,
    &seccomp_baseline::CONTROL,
    &sysctls::CONTROL,
    &host_process::CONTROL,
    &allow_privilege_escalation::CONTROL,
    &capabilities_restricted::CONTROL,
    &proc_mount_restricted::CONTROL,
    &volume_types::CONTROL,
    &run_as_non_root::CONTROL,
    &run_as_user::CONTROL,
    &seccomp_restricted::CONTROL,
];

/// The PSS rules, in documentation order.
pub static RULES: &[&Rule] = &[
    &host_process::RULE,
    &host_namespaces::RULE,
    &privileged::RULE,
    &capabilities_baseline::RULE,
    &host_path_volumes::RULE,
    &host_ports::RULE,
    &host_probes::RULE,
    &apparmor::RULE,
    &selinux::RULE,
    &proc_mount::RULE,
    &seccomp_baseline::RULE,
    &sysctls::RULE,
    &volume_types::RULE,
    &allow_privilege_escalation::RULE,
    &run_as_non_root::RULE,
    &run_as_user::RULE,
    &seccomp_restricted::RULE,
    &capabilities_restricted::RULE,
    &proc_mount_restricted::RULE,
    &namespace_unenforced::RULE,
];

/// The rule groups of a control of this level.
pub const BASELINE_GROUPS: &[&str] = &["pss-baseline", "pss-restricted"];
pub const RESTRICTED_GROUPS: &[&str] = &["pss-restricted"];

/// Evaluate a pod at a level and version, as the admission controller does:
/// the failures of every applicable control, in upstream order.
pub fn evaluate(
    pod: &Pod<'_>,
    level: Level,
    version: Version,
) -> Vec<(&'static Control, Violation)> {
    let minor = version.effective_minor();
    CONTROLS
        .iter()
        .filter_map(|c| {
            let v = c.applies(level, minor, &|_| true)?;
            (v.check)(pod).map(|viol| (*c, viol))
        })
        .collect()
}

/// The highest level a pod satisfies at a version.
pub fn highest_level(pod: &Pod<'_>, version: Version) -> Level {
    if evaluate(pod, Level::Restricted, version).is_empty() {
        Level::Restricted
    } else if evaluate(pod, Level::Baseline, version).is_empty() {
        Level::Baseline
    } else {
        Level::Privileged
    }
}

// ---------------------------------------------------------------------------
// Policies: which level and version apply to an object, and in which mode.

/// How the admission controller acts on a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Rejected.
    Enforce,
    /// Admitted; the client sees a warning.
    Warn,
    /// Admitted; the audit log records it.
    Audit,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

/// A level at a version (`restricted:v1.30`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    pub level: Level,
    pub version: Version,
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

/// The three modes of a namespace's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub enforce: LevelVersion,
    pub audit: LevelVersion,
    pub warn: LevelVersion,
}

pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";
pub const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
pub const ENFORCE_VERSION: &str = "pod-security.kubernetes.io/enforce-version";
pub const AUDIT: &str = "pod-security.kubernetes.io/audit";
pub const AUDIT_VERSION: &str = "pod-security.kubernetes.io/audit-version";
pub const WARN: &str = "pod-security.kubernetes.io/warn";
pub const WARN_VERSION: &str = "pod-security.kubernetes.io/warn-version";

/// A label whose value the admission controller cannot read, and what it
/// uses instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelError {
    pub label: &'static str,
    pub value: String,
    pub fallback: String,
}

/// Resolve a namespace's labels to its policy, as `api.PolicyToEvaluate`
/// does, with `default_version` for versions the labels leave unset and
/// `privileged` for unset levels. Unreadable levels fall back to
/// `restricted` for enforce and `privileged` for audit and warn; unreadable
/// versions to `latest`. Warn defaults to a stricter enforce level (and its
/// version) when no warn label is set.
pub fn policy_from_labels(
    labels: &std::collections::BTreeMap<String, String>,
    default_version: Version,
) -> (Policy, Vec<LabelError>) {
    let default = LevelVersion {
        level: Level::Privileged,
        version: default_version,
    };
    let mut p = Policy {
        enforce: default,
        audit: default,
        warn: default,
    };
    let mut errs = Vec::new();
    let level = |label: &'static str, fallback: Level, errs: &mut Vec<LabelError>| {
        labels.get(label).map(|v| {
            Level::parse(v).ok_or(()).map_err(|()| {
                errs.push(LabelError {
                    label,
                    value: v.clone(),
                    fallback: fallback.to_string(),
                });
                fallback
            })
        })
    };
    let enforce = level(ENFORCE, Level::Restricted, &mut errs);
    let audit = level(AUDIT, Level::Privileged, &mut errs);
    let warn = level(WARN, Level::Privileged, &mut errs);
    let mut version = |label: &'static str| {
        labels.get(label).map(|v| {
            Version::parse(v).unwrap_or_else(|| {
                errs.push(LabelError {
                    label,
                    value: v.clone(),
                    fallback: "latest".into(),
                });
                Version::Latest
            })
        })
    };
    let enforce_version = version(ENFORCE_VERSION);
    let audit_version = version(AUDIT_VERSION);
    let warn_version = version(WARN_VERSION);
    let pick = |r: Result<Level, Level>| r.unwrap_or_else(|l| l);
    if let Some(l) = enforce {
        p.enforce.level = pick(l);
    }
    if let Some(v) = enforce_version {
        p.enforce.version = v;
    }
    if let Some(l) = audit {
        p.audit.level = pick(l);
    }
    if let Some(v) = audit_version {
        p.audit.version = v;
    }
    if let Some(l) = warn {
        p.warn.level = pick(l);
    }
    if let Some(v) = warn_version {
        p.warn.version = v;
    }
    let has_enforce_level = matches!(enforce, Some(Ok(_)));
    if warn.is_none() && has_enforce_level && p.enforce.level > p.warn.level {
        p.warn.level = p.enforce.level;
        if warn_version.is_none() {
            p.warn.version = p.enforce.version;
        }
    }
    errs.sort_by_key(|e| e.label);
    (p, errs)
}

/// Whether a namespace carries any Pod Security label.
pub fn has_pss_labels(ns: &NamespaceInfo) -> bool {
    ns.labels.keys().any(|k| {
        [
            ENFORCE,
            ENFORCE_VERSION,
            AUDIT,
            AUDIT_VERSION,
            WARN,
            WARN_VERSION,
        ]
        .contains(&k.as_str())
    })
}

/// The version used where nothing pins one: `--pss-version`, else latest.
pub fn default_version(config: &Config) -> Version {
    config
        .pss_version
        .as_deref()
        .and_then(|v| kubefort_core::config::parse_pss_version(v).ok())
        .map_or(Version::Latest, Version::from)
}

/// The level the user asked every workload to meet, from the rules and
/// groups named in `select`/`extend-select`: `pss-restricted`, `all` or a
/// restricted control's rule ask for restricted; `pss-baseline` or a
/// baseline control's rule for baseline.
pub fn selected_level(config: &Config) -> Option<Level> {
    config
        .select
        .iter()
        .flatten()
        .chain(&config.extend_select)
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter_map(|t| {
            if t.eq_ignore_ascii_case("all") || t == "pss-restricted" {
                Some(Level::Restricted)
            } else if t == "pss-baseline" {
                Some(Level::Baseline)
            } else {
                CONTROLS.iter().find(|c| c.rule == t).map(|c| c.level)
            }
        })
        .max()
}

/// A policy applied to an object: where it comes from and how it acts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub lv: LevelVersion,
    /// `None` for the level the user selected.
    pub mode: Option<Mode>,
    /// The namespace whose labels set it.
    pub namespace: Option<String>,
}

/// The policies an object is evaluated at, strictest consequence first.
pub fn policies_for(ctx: &ObjectCtx<'_>) -> Vec<Applied> {
    let version = default_version(ctx.config);
    if let Some(ns) = ctx.namespace().filter(|ns| has_pss_labels(ns)) {
        let (p, _) = policy_from_labels(&ns.labels, version);
        let mut out: Vec<Applied> = Vec::new();
        for (mode, lv) in [
            (Mode::Enforce, p.enforce),
            (Mode::Warn, p.warn),
            (Mode::Audit, p.audit),
        ] {
            if lv.level != Level::Privileged && !out.iter().any(|a| a.lv == lv) {
                out.push(Applied {
                    lv,
                    mode: Some(mode),
                    namespace: Some(ns.name.clone()),
                });
            }
        }
        return out;
    }
    selected_level(ctx.config)
        .map(|level| Applied {
            lv: LevelVersion { level, version },
            mode: None,
            namespace: None,
        })
        .into_iter()
        .collect()
}

/// One control's finding on an object: the kubefort rule, where, and what.
struct ObjectFinding {
    rule: &'static str,
    path: FieldPath,
    message: String,
}

/// Evaluate every enabled control on an object's pod specs, once per object
/// (the rules of the controls share the result): one finding per control and
/// pod spec, at the first policy (enforce, warn, audit) that fails it.
fn evaluate_object(ctx: &ObjectCtx<'_>) -> Vec<ObjectFinding> {
    let specs = ctx.pod_specs();
    if specs.is_empty() {
        return Vec::new();
    }
    let policies = policies_for(ctx);
    if policies.is_empty() {
        return Vec::new();
    }
    let enabled = |n: &str| ctx.is_enabled(n);
    let mut out = Vec::new();
    for spec in specs {
        let pod = Pod::new(spec);
        for control in CONTROLS.iter().filter(|c| enabled(c.rule)) {
            for applied in &policies {
                let minor = applied.lv.version.effective_minor();
                let Some(v) = control.applies(applied.lv.level, minor, &enabled) else {
                    continue;
                };
                if let Some(viol) = (v.check)(&pod) {
                    out.push(ObjectFinding {
                        rule: control.rule,
                        message: message(control, applied, &viol, &ctx.object.id.kind),
                        path: viol.path,
                    });
                    break;
                }
            }
        }
    }
    out
}

/// Run one control as a rule: report its part of the object's evaluation.
pub fn run_rule(ctx: &mut ObjectCtx<'_>, control: &'static Control) {
    if ctx.pod_specs().is_empty() {
        return;
    }
    let findings = ctx.memo().get_or_init("pss", || evaluate_object(ctx));
    for f in findings.iter().filter(|f| f.rule == control.rule) {
        ctx.report(f.path.clone(), f.message.clone());
    }
}

fn message(control: &Control, applied: &Applied, viol: &Violation, kind: &str) -> String {
    let pods = if kind == "Pod" {
        "this pod"
    } else {
        "pods of this workload"
    };
    let head = match (applied.mode, &applied.namespace) {
        (Some(Mode::Enforce), Some(ns)) => format!(
            "namespace {ns:?} enforces PodSecurity \"{}\", so the API server rejects {pods}: ",
            applied.lv
        ),
        (Some(Mode::Warn), Some(ns)) => format!(
            "namespace {ns:?} warns on PodSecurity \"{}\": {pods} would be admitted with a warning: ",
            applied.lv
        ),
        (Some(Mode::Audit), Some(ns)) => format!(
            "namespace {ns:?} audits PodSecurity \"{}\": {pods} would be admitted and recorded in the audit log: ",
            applied.lv
        ),
        _ => String::new(),
    };
    format!(
        "{head}violates PodSecurity \"{}\": {viol} [control {:?} ({}), allowed: {}]",
        applied.lv, control.title, control.level, control.allowed
    )
}

// ---------------------------------------------------------------------------
// The pod as the checks read it, with Go's decoding semantics: a field set to
// null is absent, a missing boolean is false, a missing string is empty.

/// A pod spec with its metadata and containers in upstream visiting order
/// (init containers, containers, ephemeral containers).
pub struct Pod<'a> {
    pub spec: &'a Node,
    pub spec_path: FieldPath,
    pub meta: Option<&'a Node>,
    pub meta_path: FieldPath,
    pub containers: Vec<Ctr<'a>>,
}

/// A container of any kind.
pub struct Ctr<'a> {
    pub node: &'a Node,
    pub path: FieldPath,
    pub name: &'a str,
}

impl<'a> Pod<'a> {
    pub fn new(spec: &PodSpec<'a>) -> Self {
        Pod::from_nodes(
            spec.node,
            spec.path.clone(),
            spec.metadata,
            spec.metadata_path.clone(),
        )
    }

    pub fn from_nodes(
        spec: &'a Node,
        spec_path: FieldPath,
        meta: Option<&'a Node>,
        meta_path: FieldPath,
    ) -> Self {
        // Upstream visits init containers, then containers, then ephemeral ones.
        let view = PodSpec {
            node: spec,
            path: spec_path.clone(),
            metadata: meta,
            metadata_path: meta_path.clone(),
        };
        let containers = view
            .containers_of(&[
                ContainerKind::Init,
                ContainerKind::Container,
                ContainerKind::Ephemeral,
            ])
            .into_iter()
            .map(|c| Ctr {
                node: c.node,
                path: c.path,
                name: c.name,
            })
            .collect();
        Pod {
            spec,
            spec_path,
            meta,
            meta_path,
            containers,
        }
    }

    /// `spec.securityContext`, when set.
    pub fn security_context(&self) -> Option<&'a Node> {
        set(self.spec, "securityContext")
    }

    pub fn sc_path(&self) -> FieldPath {
        self.spec_path.key("securityContext")
    }

    /// `metadata.annotations` as (key, value, path) in document order.
    pub fn annotations(&self) -> Vec<(&'a str, &'a str, FieldPath)> {
        let Some(m) = self
            .meta
            .and_then(|m| set(m, "annotations"))
            .and_then(Node::as_map)
        else {
            return Vec::new();
        };
        let base = self.meta_path.key("annotations");
        m.iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s, base.key(k))))
            .collect()
    }

    /// `spec.os.name == "windows"`.
    pub fn is_windows(&self) -> bool {
        set(self.spec, "os").is_some_and(|os| string(os, "name") == "windows")
    }

    /// `spec.hostUsers: false`: the pod runs in its own user namespace.
    pub fn in_user_namespace(&self) -> bool {
        opt_bool(self.spec, "hostUsers") == Some(false)
    }
}

impl<'a> Ctr<'a> {
    /// `securityContext`, when set.
    pub fn sc(&self) -> Option<&'a Node> {
        set(self.node, "securityContext")
    }

    pub fn sc_path(&self) -> FieldPath {
        self.path.key("securityContext")
    }
}

/// A field that is present and not null (a non-nil pointer in Go).
pub fn set<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    n.get(key).filter(|v| !v.is_null())
}

/// A boolean field: `None` when absent or null.
pub fn opt_bool(n: &Node, key: &str) -> Option<bool> {
    n.get(key).and_then(Node::as_bool)
}

/// A string field, empty when absent or null.
pub fn string<'a>(n: &'a Node, key: &str) -> &'a str {
    n.get(key).and_then(Node::as_str).unwrap_or("")
}

/// A list field, empty when absent or null.
pub fn list<'a>(n: &'a Node, key: &str) -> &'a [Node] {
    n.get(key).and_then(Node::as_seq).unwrap_or(&[])
}

/// `"a", "b"`: upstream's joinQuote.
pub fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut s = String::from("\"");
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            s.push_str("\", \"");
        }
        s.push_str(it.as_ref());
    }
    s.push('"');
    s
}

pub fn pluralize<'s>(singular: &'s str, plural: &'s str, count: usize) -> &'s str {
    if count == 1 {
        singular
    } else {
        plural
    }
}

/// A string quoted as Go's `%q` quotes it.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"))
                } else {
                    out.push_str(&format!("\\U{n:08x}"))
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A sorted, deduplicated list (Go's `sets.String.List()`).
pub fn sorted_set(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// "pod and containers "a", "b"": who set a forbidden value.
pub fn setters(pod: bool, containers: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    if pod {
        out.push("pod".to_string());
    }
    if !containers.is_empty() {
        out.push(format!(
            "{} {}",
            pluralize("container", "containers", containers.len()),
            join_quote(containers)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn versions_parse_as_upstream() {
        assert_eq!(Version::parse("v1.0"), Some(Version::V1(0)));
        assert_eq!(Version::parse("v1.37"), Some(Version::V1(37)));
        assert_eq!(Version::parse("latest"), Some(Version::Latest));
        for bad in ["v1.05", "1.30", "v2.0", "v1.", "v1.x", "Latest", "v1.3 "] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
        assert_eq!(Version::V1(99).effective_minor(), MAX_MINOR);
    }

    #[test]
    fn policy_defaults_warn_to_stricter_enforce() {
        let (p, e) = policy_from_labels(
            &labels(&[(ENFORCE, "restricted"), (ENFORCE_VERSION, "v1.25")]),
            Version::Latest,
        );
        assert!(e.is_empty());
        assert_eq!(p.warn.level, Level::Restricted);
        assert_eq!(p.warn.version, Version::V1(25));
        assert_eq!(p.audit.level, Level::Privileged);

        let (p, _) = policy_from_labels(
            &labels(&[(ENFORCE, "baseline"), (WARN, "restricted")]),
            Version::Latest,
        );
        assert_eq!(p.warn.level, Level::Restricted);
        assert_eq!(p.enforce.level, Level::Baseline);
    }

    #[test]
    fn invalid_labels_fall_back_like_the_admission_controller() {
        let (p, e) = policy_from_labels(
            &labels(&[
                (ENFORCE, "strict"),
                (WARN, "nope"),
                (AUDIT_VERSION, "v1.05"),
            ]),
            Version::Latest,
        );
        assert_eq!(p.enforce.level, Level::Restricted);
        // An invalid enforce level does not raise warn.
        assert_eq!(p.warn.level, Level::Privileged);
        assert_eq!(p.audit.version, Version::Latest);
        assert_eq!(e.len(), 3);
    }

    #[test]
    fn overrides_follow_versions() {
        let all = |_: &str| true;
        let cap = &capabilities_baseline::CONTROL;
        assert!(cap.applies(Level::Restricted, 21, &all).is_some());
        assert!(cap.applies(Level::Restricted, 22, &all).is_none());
        assert!(cap.applies(Level::Baseline, 22, &all).is_some());
        let none = |_: &str| false;
        assert!(cap.applies(Level::Restricted, 22, &none).is_some());
        assert!(run_as_user::CONTROL
            .applies(Level::Restricted, 22, &all)
            .is_none());
        assert!(run_as_user::CONTROL
            .applies(Level::Baseline, 30, &all)
            .is_none());
        assert!(host_probes::CONTROL
            .applies(Level::Baseline, 33, &all)
            .is_none());
        assert!(host_probes::CONTROL
            .applies(Level::Baseline, 34, &all)
            .is_some());
    }

    #[test]
    fn go_quoting() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
    }

    #[test]
    fn controls_are_in_upstream_order() {
        // Baseline check IDs sorted bytewise, then restricted ones.
        let ids = |level| {
            CONTROLS
                .iter()
                .filter(|c| c.level == level)
                .map(|c| c.id)
                .collect::<Vec<_>>()
        };
        for level in [Level::Baseline, Level::Restricted] {
            let mut sorted = ids(level);
            sorted.sort();
            assert_eq!(ids(level), sorted);
        }
        let first_restricted = CONTROLS
            .iter()
            .position(|c| c.level == Level::Restricted)
            .unwrap();
        assert!(CONTROLS[first_restricted..]
            .iter()
            .all(|c| c.level == Level::Restricted));
    }

    #[test]
    fn max_version_is_the_newest_check() {
        let newest = CONTROLS
            .iter()
            .flat_map(|c| c.versions.iter().map(|v| v.since))
            .max();
        assert_eq!(newest, Some(MAX_MINOR));
    }
}

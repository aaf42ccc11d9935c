//! RBAC rules: risky permissions in Roles and ClusterRoles, risky bindings,
//! and escalation paths to cluster-admin. Every rule reads one model of the
//! scan's RBAC objects ([`kubefort_rbac::Model`]), built once per scan.

use std::collections::HashMap;
use std::sync::Arc;

use kubefort_core::rule::InventoryCtx;
use kubefort_core::Severity;
use kubefort_rbac::input::RoleKind;
use kubefort_rbac::load::{add_object, rule_path, subject_path};
use kubefort_rbac::model::{BindingId, Resolution, RoleId, RuleRef};
use kubefort_rbac::request::rule_allows;
use kubefort_rbac::{Model, Options, PolicyRule, RbacInventory, Request};

pub mod binding_to_everyone;
pub mod binding_to_system_masters;
pub mod cluster_admin_binding;
pub mod csr_approval;
pub mod default_service_account;
pub mod escalation_path;
pub mod escalation_verbs;
pub mod missing_role;
pub mod nodes_proxy;
pub mod persistent_volume_create;
pub mod pod_create;
pub mod pod_exec;
pub mod rolebinding_broad_clusterrole;
pub mod secret_read;
pub mod status_write;
pub mod token_create;
pub mod webhook_config_write;
pub mod wildcard;

/// The kinds every RBAC rule keeps in full.
pub(crate) const RETAIN: &[&str] = kubefort_rbac::load::KINDS;

/// The model of the scan's RBAC objects, with what reporting needs.
pub(crate) struct Rbac {
    pub model: Model,
    /// For each role, the aggregating ClusterRoles that gather its rules.
    aggregators: HashMap<RoleId, Vec<RoleId>>,
}

/// The scan's RBAC model, built by the first RBAC rule that runs.
pub(crate) fn rbac<'a>(ctx: &InventoryCtx<'a>) -> &'a Rbac {
    let inventory = ctx.inventory;
    inventory.shared().get_or_init("rbac-model", || {
        let mut inv = RbacInventory::default();
        for (i, o) in inventory.retained.iter().enumerate() {
            add_object(&mut inv, o, i);
        }
        let model = Model::build(inv, &Options::default());
        let mut aggregators: HashMap<RoleId, Vec<RoleId>> = HashMap::new();
        for r in 0..model.roles.len() {
            let mut from: Vec<RoleId> = model
                .rules_of(r)
                .iter()
                .map(|rr| rr.role)
                .filter(|&src| src != r)
                .collect();
            from.sort();
            from.dedup();
            for src in from {
                aggregators.entry(src).or_default().push(r);
            }
        }
        Rbac { model, aggregators }
    })
}

impl Rbac {
    /// Every rule entry declared in the inputs that takes effect (not the
    /// replaced rules of an aggregating ClusterRole), with its role.
    pub fn declared_rules(&self) -> Vec<(RoleId, usize, &PolicyRule)> {
        let m = &self.model;
        let mut out = Vec::new();
        for (id, role) in m.roles.iter().enumerate() {
            if role.builtin || role.source.is_none() || m.rejection(id).is_some() {
                continue;
            }
            for (i, rule) in role.rules.iter().enumerate() {
                if m.rules_of(id).contains(&RuleRef { role: id, index: i }) {
                    out.push((id, i, rule));
                }
            }
        }
        out
    }

    /// `ServiceAccount ci/deployer`, `Group devs`, as a binding subject reads.
    pub fn subject(&self, b: BindingId, s: usize) -> String {
        let b = &self.model.bindings[b];
        let s = &b.subjects[s];
        match s.kind.as_str() {
            "ServiceAccount" => {
                let ns = s
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .or(b.namespace.as_deref())
                    .unwrap_or("?");
                format!("ServiceAccount {ns}/{}", s.name)
            }
            k => format!("{k} {}", s.name),
        }
    }

    /// Who a role's rules reach: `granted to ServiceAccount ci/x by
    /// RoleBinding ci/x (in namespace ci)`, or that no binding grants them.
    pub fn grantees(&self, role: RoleId) -> String {
        let m = &self.model;
        let mut roles = vec![role];
        roles.extend(self.aggregators.get(&role).into_iter().flatten());
        let mut parts = Vec::new();
        for (bi, b) in m.bindings.iter().enumerate() {
            let Resolution::Role(r) = m.resolution[bi] else {
                continue;
            };
            if !roles.contains(&r) {
                continue;
            }
            let through = if r == role {
                String::new()
            } else {
                format!(" through aggregated {}", m.roles[r].display())
            };
            let scope = match &b.namespace {
                Some(ns) => format!("in namespace {ns}"),
                None => "cluster-wide".into(),
            };
            for si in 0..b.subjects.len() {
                parts.push(format!(
                    "{} by {}{through} ({scope})",
                    self.subject(bi, si),
                    b.display()
                ));
            }
        }
        match parts.len() {
            0 => "no binding in the inputs grants it".into(),
            1..=3 => format!("granted to {}", parts.join("; ")),
            n => format!("granted to {} and {} more", parts[..3].join("; "), n - 3),
        }
    }

    /// Whether some binding grants this role (directly or aggregated) cluster-wide.
    pub fn bound_cluster_wide(&self, role: RoleId) -> bool {
        let m = &self.model;
        let mut roles = vec![role];
        roles.extend(self.aggregators.get(&role).into_iter().flatten());
        m.bindings.iter().enumerate().any(|(bi, b)| {
            b.namespace.is_none()
                && matches!(m.resolution[bi], Resolution::Role(r) if roles.contains(&r))
        })
    }

    pub fn is_cluster_role(&self, role: RoleId) -> bool {
        self.model.roles[role].kind == RoleKind::ClusterRole
    }
}

/// Report at rule entry `index` of a declared role.
pub(crate) fn report_rule(
    ctx: &mut InventoryCtx<'_>,
    rb: &Rbac,
    role: RoleId,
    index: usize,
    severity: Severity,
    message: String,
) {
    let Some(src) = rb.model.roles[role].source else {
        return;
    };
    let object = Arc::clone(&ctx.inventory.retained[src]);
    ctx.report_object_with(severity, &object, rule_path(index), message);
}

/// Report at subject entry `subject` of a binding (at `roleRef` when `None`).
pub(crate) fn report_binding(
    ctx: &mut InventoryCtx<'_>,
    rb: &Rbac,
    binding: BindingId,
    subject: Option<usize>,
    severity: Severity,
    message: String,
) {
    let Some(src) = rb.model.bindings[binding].source else {
        return;
    };
    let object = Arc::clone(&ctx.inventory.retained[src]);
    let path = match subject {
        Some(s) => subject_path(s),
        None => kubefort_core::FieldPath::root().key("roleRef"),
    };
    ctx.report_object_with(severity, &object, path, message);
}

/// The verbs of `verbs` that `rule` allows on `group`/`resource[/sub]`
/// for some object name, and whether it is limited to named objects.
pub(crate) fn allowed_verbs(
    rule: &PolicyRule,
    verbs: &[&'static str],
    group: &str,
    resource: &str,
    sub: &str,
) -> Option<(Vec<&'static str>, bool)> {
    let mut any = rule.clone();
    any.resource_names.clear();
    let hit: Vec<&'static str> = verbs
        .iter()
        .copied()
        .filter(|v| {
            rule_allows(
                &any,
                &Request::resource(v, group, resource).with_subresource(sub),
            )
        })
        .collect();
    let named = !rule.resource_names.is_empty();
    (!hit.is_empty()).then_some((hit, named))
}

/// `resourceNames [a b]` restriction, for messages.
pub(crate) fn names_note(rule: &PolicyRule) -> String {
    if rule.resource_names.is_empty() {
        String::new()
    } else {
        format!(" (only resourceNames {})", rule.resource_names.join(", "))
    }
}

/// `pods`, `deployments.apps`.
pub(crate) fn resource_name(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// Run `what` on every declared rule entry; each `Some((severity, text))`
/// is reported at the entry as "ROLE rules[i] TEXT; granted to …".
pub(crate) fn check_rules(
    ctx: &mut InventoryCtx<'_>,
    what: impl Fn(&Rbac, RoleId, &PolicyRule) -> Option<(Severity, String)>,
) {
    let rb = rbac(ctx);
    let mut found = Vec::new();
    for (role, i, rule) in rb.declared_rules() {
        // `*` verbs on `*` resources is everything at once: rbac-wildcard
        // reports it, rather than every rule for its part.
        let star = |v: &[String]| v.iter().any(|x| x == "*");
        if star(&rule.verbs) && star(&rule.resources) {
            continue;
        }
        if let Some((severity, text)) = what(rb, role, rule) {
            let msg = format!(
                "{} rules[{i}] {text}; {}",
                rb.model.roles[role].display(),
                rb.grantees(role)
            );
            found.push((role, i, severity, msg));
        }
    }
    for (role, i, severity, msg) in found {
        report_rule(ctx, rb, role, i, severity, msg);
    }
}

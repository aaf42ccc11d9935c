//! `kubefort rbac`: who can do what, why, and how an identity climbs to
//! cluster-admin, from the RBAC objects of manifests.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{json, Value};

use kubefort_core::source::{discover, Input};
use kubefort_core::{Engine, InputError};
use kubefort_rbac::compact::compact;
use kubefort_rbac::graph::{proof_binding, EscalationGraph, Node, Path, Proof};
use kubefort_rbac::model::{Evidence, RuleRef};
use kubefort_rbac::request::split_service_account;
use kubefort_rbac::resource::{parse, Target};
use kubefort_rbac::{Model, Options, RbacInventory, Request, Scope, UserInfo};

use crate::{load_config_from, usage_error, write_output, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum RbacFormat {
    Text,
    Json,
}

#[derive(clap::Subcommand)]
pub enum RbacCommand {
    /// Every subject allowed to make a request, with the binding and role that allow it
    WhoCan(WhoCanArgs),
    /// Whether a user may make a request, and why (exit 0 yes, 1 no)
    Can(CanArgs),
    /// A user's effective rules, compacted, cluster-wide and per namespace
    List(ListArgs),
    /// Escalation paths to cluster-admin (exit 1 when a path exists)
    Paths(PathsArgs),
}

#[derive(clap::Args)]
pub struct RbacArgs {
    #[command(subcommand)]
    command: RbacCommand,
}

#[derive(clap::Args)]
struct Common {
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: RbacFormat,
    /// Write the answer to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Use only the ClusterRoles the inputs declare, not the Kubernetes
    /// bootstrap roles (cluster-admin, admin, edit, view, system:*)
    #[arg(long)]
    no_builtin_roles: bool,
    /// Configuration file [default: .kubefort.yaml found upward from the working directory]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any configuration file
    #[arg(long)]
    no_config: bool,
    /// Read the RBAC objects from the cluster (kubeconfig context) instead of files
    #[arg(long)]
    cluster: bool,
    #[command(flatten)]
    connect: crate::cluster_cmd::ConnectArgs,
}

#[derive(clap::Args)]
struct RequestArgs {
    /// The verb: get, list, watch, create, update, patch, delete, deletecollection, use, bind, escalate, impersonate, ... or *
    verb: String,
    /// RESOURCE[.GROUP][/SUBRESOURCE] (pods, pods/exec, deployments.apps) or a non-resource URL (/healthz)
    resource: String,
    /// Namespace of the request [default: none, a cluster-wide request]
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    namespace: Option<String>,
    /// Subresource (exec, log, status, ...)
    #[arg(long, value_name = "SUBRESOURCE")]
    subresource: Option<String>,
    /// The object's name (rules with resourceNames match only named requests)
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
}

#[derive(clap::Args)]
pub struct WhoCanArgs {
    #[command(flatten)]
    request: RequestArgs,
    /// Files, directories or - (stdin) holding the RBAC objects (none with --cluster)
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    paths: Vec<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
pub struct CanArgs {
    /// The user, as kubectl's --as takes it: alice, system:serviceaccount:NAMESPACE:NAME
    subject: String,
    #[command(flatten)]
    request: RequestArgs,
    /// A group of the user (repeatable), as kubectl's --as-group; replaces a service account's own groups
    #[arg(long = "as-group", value_name = "GROUP")]
    as_group: Vec<String>,
    /// Files, directories or - (stdin) holding the RBAC objects (none with --cluster)
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    paths: Vec<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// The user, as kubectl's --as takes it: alice, system:serviceaccount:NAMESPACE:NAME
    subject: String,
    /// A group of the user (repeatable), as kubectl's --as-group
    #[arg(long = "as-group", value_name = "GROUP")]
    as_group: Vec<String>,
    /// Files, directories or - (stdin) holding the RBAC objects (none with --cluster)
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    paths: Vec<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
pub struct PathsArgs {
    /// Only paths from this user (alice, system:serviceaccount:NAMESPACE:NAME)
    #[arg(long, value_name = "SUBJECT")]
    from: Option<String>,
    /// A group of the --from user (repeatable), as kubectl's --as-group
    #[arg(long = "as-group", value_name = "GROUP", requires = "from")]
    as_group: Vec<String>,
    /// Where the paths lead: cluster-admin, or a user or service account
    #[arg(long, value_name = "TARGET", default_value = "cluster-admin")]
    to: String,
    /// Files, directories or - (stdin) holding the RBAC objects (none with --cluster)
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    paths: Vec<String>,
    #[command(flatten)]
    common: Common,
}

pub fn run(args: RbacArgs) -> ExitCode {
    match args.command {
        RbacCommand::WhoCan(a) => who_can(a),
        RbacCommand::Can(a) => can(a),
        RbacCommand::List(a) => list(a),
        RbacCommand::Paths(a) => paths(a),
    }
}

/// The model of the inputs, and the errors met reading them.
fn load(paths: &[String], common: &Common) -> Result<(Model, Vec<InputError>), ExitCode> {
    let config = load_config_from(common.config.as_deref(), common.no_config)
        .map_err(|e| usage_error(format!("configuration: {e}")))?;
    let engine = Engine::new(Vec::new(), config);
    let visit = |object: &kubefort_core::object::Object, _: &kubefort_core::ScanScope| {
        let mut inv = RbacInventory::default();
        kubefort_rbac::load::add_object(&mut inv, object, 0);
        vec![inv]
    };
    let (parts, mut errors) = if common.cluster {
        let (objects, errors) = crate::cluster_cmd::inventory(
            &common.connect,
            &engine,
            &["ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"],
        )?;
        (engine.visit_objects(&objects, &visit), errors)
    } else {
        let inputs: Vec<Input> = paths.iter().map(|p| Input::parse(p)).collect();
        let discovered = discover(&inputs, engine.config());
        let visited = engine.visit(&discovered.files, false, &visit);
        let mut errors = visited.errors;
        errors.extend(discovered.errors);
        (visited.items, errors)
    };
    let mut inv = RbacInventory::default();
    for part in parts {
        inv.extend(part);
    }
    errors.sort();
    // A live cluster holds its own bootstrap roles.
    let opts = Options {
        builtin_roles: !common.no_builtin_roles && !common.cluster,
    };
    Ok((Model::build(inv, &opts), errors))
}

fn request(a: &RequestArgs) -> Result<(Request, Vec<String>), String> {
    let mut notes = Vec::new();
    let mut req = match parse(&a.resource, a.subresource.as_deref())? {
        Target::NonResource { path } => {
            if a.namespace.is_some() || a.name.is_some() {
                return Err("a non-resource URL takes neither --namespace nor --name".into());
            }
            Request::non_resource(&a.verb, &path)
        }
        Target::Resource {
            group,
            resource,
            subresource,
            namespaced,
            note,
        } => {
            notes.extend(note);
            if namespaced == Some(false) && a.namespace.is_some() {
                notes.push(format!(
                    "{resource} is cluster-scoped: evaluated with the namespace as given, which a real request for it never carries"
                ));
            }
            Request::resource(&a.verb, &group, &resource).with_subresource(&subresource)
        }
    };
    if let Some(ns) = &a.namespace {
        req = req.in_namespace(ns);
    }
    if let Some(n) = &a.name {
        req = req.named(n);
        // The API server gives a request for a Namespace object its own
        // name as namespace (/api/v1/namespaces/NAME), so RoleBindings there apply.
        if req.is_resource_request()
            && req.api_group.is_empty()
            && req.resource == "namespaces"
            && a.namespace.as_deref().is_none_or(|ns| ns == n)
        {
            if a.namespace.is_none() {
                notes.push(format!(
                    "a request for Namespace {n:?} is in namespace {n:?}, as the API server makes it"
                ));
            }
            req = req.in_namespace(n);
        }
    }
    Ok((req, notes))
}

fn finish(
    rendered: &str,
    output: Option<&std::path::Path>,
    errors: &[InputError],
    code: u8,
) -> ExitCode {
    if let Some(code) = write_output(output, rendered) {
        return code;
    }
    for e in errors {
        eprintln!("error: {e}");
    }
    if errors.is_empty() {
        ExitCode::from(code)
    } else {
        ExitCode::from(EXIT_ERROR)
    }
}

fn json_out(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("serializable");
    s.push('\n');
    s
}

fn location_json(o: Option<&kubefort_rbac::Origin>) -> Option<Value> {
    o.map(|o| json!({"file": &*o.file, "line": o.line, "column": o.column}))
}

/// `{"binding","role"}` and, when useful, `builtin`, `rule`, `location`.
fn via_json(
    m: &Model,
    binding: Option<(usize, usize)>,
    role: usize,
    rule: Option<RuleRef>,
) -> Value {
    let mut v = json!({
        "binding": binding.map_or_else(|| "(a binding it creates)".to_string(), |(b, _)| m.bindings[b].display()),
        "role": m.roles[role].display(),
    });
    if m.roles[role].builtin {
        v["builtin"] = json!(true);
    }
    if let Some(r) = rule {
        let mut rj = serde_json::to_value(m.rule(r)).expect("serializable");
        rj["index"] = json!(r.index);
        if r.role != role {
            rj["aggregatedFrom"] = json!(m.roles[r.role].display());
        }
        if let Some(l) = location_json(m.rule_origin(r)) {
            rj["location"] = l;
        }
        v["rule"] = rj;
    }
    if let Some((b, s)) = binding {
        let b = &m.bindings[b];
        if let Some(l) = location_json(
            b.subjects
                .get(s)
                .and_then(|s| s.origin.as_ref())
                .or(b.origin.as_ref()),
        ) {
            v["location"] = l;
        }
    }
    v
}

fn evidence_json(m: &Model, e: &Evidence) -> Value {
    via_json(m, Some((e.binding, e.subject)), e.role, Some(e.rule))
}

/// One line: `RoleBinding shop/devs → ClusterRole edit (built-in …), rules[2] at f:9`.
fn evidence_text(m: &Model, binding: Option<(usize, usize)>, role: usize, rule: RuleRef) -> String {
    let b = match binding {
        Some((b, s)) => {
            let b = &m.bindings[b];
            match b
                .subjects
                .get(s)
                .and_then(|s| s.origin.as_ref())
                .or(b.origin.as_ref())
            {
                Some(o) => format!("{} ({o})", b.display()),
                None => b.display(),
            }
        }
        None => "(a binding it creates)".into(),
    };
    format!(
        "{b} → {}, {}: {}",
        m.describe_role(role),
        m.describe_rule(role, rule),
        m.rule(rule)
    )
}

fn problems_json(m: &Model) -> Value {
    serde_json::to_value(&m.problems).expect("serializable")
}

fn problems_text(out: &mut String, m: &Model) {
    for p in &m.problems {
        match &p.origin {
            Some(o) => {
                let _ = writeln!(out, "warning: {o}: {}", p.message);
            }
            None => {
                let _ = writeln!(out, "warning: {}", p.message);
            }
        }
    }
}

fn request_json(req: &Request) -> Value {
    serde_json::to_value(req).expect("serializable")
}

fn who_can(a: WhoCanArgs) -> ExitCode {
    let (req, notes) = match request(&a.request) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let (m, errors) = match load(&a.paths, &a.common) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let subjects = m.who_can(&req);
    let rendered = match a.common.format {
        RbacFormat::Json => json_out(&json!({
            "request": request_json(&req),
            "subjects": subjects.iter().map(|s| {
                let mut v = json!({"kind": s.kind, "name": s.name});
                if let Some(ns) = &s.namespace {
                    v["namespace"] = json!(ns);
                }
                if s.superuser {
                    v["superuser"] = json!(true);
                }
                v["via"] = Value::Array(s.evidence.iter().map(|e| evidence_json(&m, e)).collect());
                v
            }).collect::<Vec<_>>(),
            "notes": notes,
            "problems": problems_json(&m),
        })),
        RbacFormat::Text => {
            let mut out = String::new();
            for n in &notes {
                let _ = writeln!(out, "note: {n}");
            }
            let _ = writeln!(out, "Who can {req}:");
            for s in &subjects {
                let who = match &s.namespace {
                    Some(ns) => format!("{} {ns}/{}", s.kind, s.name),
                    None => format!("{} {}", s.kind, s.name),
                };
                if s.superuser {
                    let _ = writeln!(out, "  {who}  superuser: authorization is bypassed");
                }
                for e in &s.evidence {
                    let _ = writeln!(
                        out,
                        "  {who}  {}",
                        evidence_text(&m, Some((e.binding, e.subject)), e.role, e.rule)
                    );
                }
            }
            let _ = writeln!(
                out,
                "{} {}",
                subjects.len(),
                if subjects.len() == 1 {
                    "subject"
                } else {
                    "subjects"
                }
            );
            problems_text(&mut out, &m);
            out
        }
    };
    finish(&rendered, a.common.output.as_deref(), &errors, EXIT_OK)
}

fn user_json(u: &UserInfo) -> Value {
    json!({"name": u.name, "groups": u.groups})
}

fn describe_user(u: &UserInfo) -> String {
    let who = match split_service_account(&u.name) {
        Some((ns, n)) => format!("ServiceAccount {ns}/{n}"),
        None => format!("User {}", u.name),
    };
    format!("{who} (groups: {})", u.groups.join(", "))
}

fn can(a: CanArgs) -> ExitCode {
    let (req, notes) = match request(&a.request) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let (m, errors) = match load(&a.paths, &a.common) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let user = UserInfo::impersonated(&a.subject, &a.as_group);
    let d = m.authorize(&user, &req);
    let rendered = match a.common.format {
        RbacFormat::Json => json_out(&json!({
            "allowed": d.allowed,
            "superuser": d.superuser,
            "user": user_json(&user),
            "request": request_json(&req),
            "reasons": d.evidence.iter().map(|e| evidence_json(&m, e)).collect::<Vec<_>>(),
            "unresolved": d.unresolved.iter().map(|&b| m.bindings[b].display()).collect::<Vec<_>>(),
            "subjectAccessReview": req.subject_access_review(&user),
            "notes": notes,
            "problems": problems_json(&m),
        })),
        RbacFormat::Text => {
            let mut out = String::new();
            for n in &notes {
                let _ = writeln!(out, "note: {n}");
            }
            let _ = writeln!(
                out,
                "{}: {} {} {req}",
                if d.allowed { "yes" } else { "no" },
                describe_user(&user),
                if d.allowed { "may" } else { "may not" }
            );
            if d.superuser {
                let _ = writeln!(
                    out,
                    "  system:masters is a superuser group: authorization is bypassed"
                );
            }
            for e in &d.evidence {
                let _ = writeln!(
                    out,
                    "  allowed by {}",
                    evidence_text(&m, Some((e.binding, e.subject)), e.role, e.rule)
                );
            }
            if !d.allowed {
                let _ = writeln!(
                    out,
                    "  no binding of this user or its groups has a rule that matches"
                );
            }
            for &b in &d.unresolved {
                let _ = writeln!(
                    out,
                    "  note: {} applies to this user but its role does not exist",
                    m.bindings[b].display()
                );
            }
            out
        }
    };
    finish(
        &rendered,
        a.common.output.as_deref(),
        &errors,
        if d.allowed { EXIT_OK } else { EXIT_FINDINGS },
    )
}

fn list(a: ListArgs) -> ExitCode {
    let (m, errors) = match load(&a.paths, &a.common) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let user = UserInfo::impersonated(&a.subject, &a.as_group);
    let by_scope = m.rules_for(&user);
    let scopes: Vec<(Scope, Vec<kubefort_rbac::compact::Compacted<Evidence>>)> = by_scope
        .into_iter()
        .map(|(s, rules)| (s, compact(rules)))
        .collect();
    let rendered = match a.common.format {
        RbacFormat::Json => json_out(&json!({
            "user": user_json(&user),
            "superuser": user.is_superuser(),
            "scopes": scopes.iter().map(|(s, rules)| json!({
                "namespace": match s { Scope::Cluster => Value::Null, Scope::Namespace(ns) => json!(ns) },
                "rules": rules.iter().map(|c| {
                    let mut v = serde_json::to_value(&c.rule).expect("serializable");
                    v["via"] = Value::Array(dedup_via(&m, &c.sources));
                    v
                }).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "problems": problems_json(&m),
        })),
        RbacFormat::Text => {
            let mut out = String::new();
            let _ = writeln!(out, "Effective rules of {}:", describe_user(&user));
            if user.is_superuser() {
                let _ = writeln!(
                    out,
                    "  system:masters is a superuser group: every request is allowed"
                );
            }
            if scopes.is_empty() {
                let _ = writeln!(out, "  none");
            }
            for (s, rules) in &scopes {
                let _ = match s {
                    Scope::Cluster => writeln!(out, "cluster-wide:"),
                    Scope::Namespace(ns) => writeln!(out, "namespace {ns}:"),
                };
                for c in rules {
                    let _ = writeln!(out, "  {}", c.rule);
                    let mut seen = std::collections::BTreeSet::new();
                    for e in &c.sources {
                        let g = m.describe_grant(e.binding, e.role);
                        if seen.insert(g.clone()) {
                            let _ = writeln!(out, "      via {g}");
                        }
                    }
                }
            }
            problems_text(&mut out, &m);
            out
        }
    };
    finish(&rendered, a.common.output.as_deref(), &errors, EXIT_OK)
}

/// One `via` entry per binding and role.
fn dedup_via(m: &Model, sources: &[Evidence]) -> Vec<Value> {
    let mut seen = std::collections::BTreeSet::new();
    sources
        .iter()
        .filter(|e| seen.insert((e.binding, e.role)))
        .map(|e| via_json(m, Some((e.binding, e.subject)), e.role, None))
        .collect()
}

fn node_json(m: &Model, n: &Node) -> Value {
    match n.identity() {
        Some((kind, name, ns)) => {
            let mut v = json!({"kind": kind, "name": name});
            if let Some(ns) = ns {
                v["namespace"] = json!(ns);
            }
            v
        }
        None => json!({"kind": "Capability", "name": n.describe(m)}),
    }
}

fn proof_json(m: &Model, p: &Proof) -> Value {
    via_json(m, p.binding, p.role, Some(p.rule))
}

fn path_json(m: &Model, p: &Path) -> Value {
    json!({
        "from": node_json(m, &p.from),
        "steps": p.steps.iter().map(|(a, b, s)| json!({
            "from": node_json(m, a),
            "to": node_json(m, b),
            "technique": s.technique.name(),
            "detail": s.detail,
            "evidence": s.evidence.iter().map(|e| proof_json(m, e)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn path_text(out: &mut String, m: &Model, p: &Path, target: &str) {
    let _ = writeln!(
        out,
        "{} → {target} ({} {})",
        p.from.describe(m),
        p.steps.len(),
        if p.steps.len() == 1 { "step" } else { "steps" }
    );
    for (i, (_, to, s)) in p.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. [{}] {} → {}",
            i + 1,
            s.technique,
            s.detail,
            to.describe(m)
        );
        for e in &s.evidence {
            let _ = writeln!(
                out,
                "       {}",
                evidence_text(m, e.binding, e.role, e.rule)
            );
        }
    }
}

fn paths(a: PathsArgs) -> ExitCode {
    let (m, errors) = match load(&a.paths, &a.common) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let target = if a.to == "cluster-admin" {
        Node::ClusterAdmin
    } else {
        Node::User(a.to.clone())
    };
    let g = EscalationGraph::build(&m);
    let (found, direct): (Vec<Path>, Vec<Path>) = match &a.from {
        Some(from) => {
            let user = UserInfo::impersonated(from, &a.as_group);
            (
                g.path_for_user(&user, &target).into_iter().collect(),
                Vec::new(),
            )
        }
        None => g
            .all_paths(&target)
            .into_iter()
            .partition(|p| !p.is_direct()),
    };
    let target_name = if a.to == "cluster-admin" {
        "cluster-admin".to_string()
    } else {
        target.describe(&m)
    };
    let rendered = match a.common.format {
        RbacFormat::Json => json_out(&json!({
            "target": a.to,
            "paths": found.iter().map(|p| path_json(&m, p)).collect::<Vec<_>>(),
            "holders": direct.iter().map(|p| {
                let mut v = node_json(&m, &p.from);
                v["via"] = Value::Array(p.steps[0].2.evidence.iter().map(|e| proof_json(&m, e)).collect());
                v
            }).collect::<Vec<_>>(),
            "problems": problems_json(&m),
        })),
        RbacFormat::Text => {
            let mut out = String::new();
            if !direct.is_empty() {
                let _ = writeln!(out, "Already {target_name}:");
                for p in &direct {
                    let (_, _, s) = &p.steps[0];
                    let how = s
                        .evidence
                        .first()
                        .map_or_else(|| s.detail.clone(), |e| proof_binding(&m, e));
                    let _ = writeln!(out, "  {}  ({how})", p.from.describe(&m));
                }
                let _ = writeln!(out);
            }
            for p in &found {
                path_text(&mut out, &m, p, &target_name);
                let _ = writeln!(out);
            }
            let _ = match &a.from {
                Some(from) if found.is_empty() => {
                    writeln!(out, "no path from {from} to {target_name}")
                }
                Some(_) => Ok(()),
                None => writeln!(
                    out,
                    "{} {} can reach {target_name}",
                    found.len(),
                    if found.len() == 1 {
                        "identity"
                    } else {
                        "identities"
                    }
                ),
            };
            problems_text(&mut out, &m);
            out
        }
    };
    let code = if found.iter().any(|p| !p.steps.is_empty()) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    };
    finish(&rendered, a.common.output.as_deref(), &errors, code)
}

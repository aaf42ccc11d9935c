//! `kubefort netpol`: which workloads and addresses can reach which, once
//! the NetworkPolicies are applied; `kubefort netpol explain`: why.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use kubefort_core::source::{discover, Input};
use kubefort_core::{Engine, InputError};
use kubefort_netpol::cluster::Side;
use kubefort_netpol::format::{self, conn_json, View};
use kubefort_netpol::ip::parse_ip;
use kubefort_netpol::{
    build, connectivity, read_object, AddrRange, Cluster, ConnSet, Direction, Endpoint, Policy,
    Protocol,
};
use serde_json::{json, Value};

use crate::{load_config_from, usage_error, write_output, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum NetpolFormat {
    Text,
    Json,
    Dot,
    Md,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

/// Options shared by both forms of the command.
#[derive(clap::Args)]
struct Inputs {
    /// Configuration file [default: .kubefort.yaml found upward from the working directory]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any configuration file
    #[arg(long)]
    no_config: bool,
    /// Write the report to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Read the workloads, namespaces and policies from the cluster (kubeconfig context) instead of files
    #[arg(long)]
    cluster: bool,
    #[command(flatten)]
    connect: crate::cluster_cmd::ConnectArgs,
}

#[derive(clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Text output lists one allowed connection per line, `SRC => DST : CONNECTIONS`, in the notation of np-guard's netpol-analyzer. Exit codes: 0 done; 2 usage error or an input that could not be read or understood."
)]
pub struct NetpolArgs {
    #[command(subcommand)]
    command: Option<NetpolCommand>,
    /// Files, directories or - (stdin)
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    paths: Vec<String>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: NetpolFormat,
    /// Only connections from or to this workload (namespace/name, namespace/name[Kind] or name)
    #[arg(long, value_name = "NAMESPACE/NAME")]
    focus: Option<String>,
    #[command(flatten)]
    inputs: Inputs,
}

#[derive(clap::Subcommand)]
enum NetpolCommand {
    /// Whether a connection is allowed, and which policy and rule decide, on the egress and the ingress side
    #[command(
        after_help = "A and B are workloads (namespace/name, namespace/name[Kind]) or IP addresses. Exit codes: 0 allowed; 1 denied; 2 usage error or an input that could not be read or understood."
    )]
    Explain(ExplainArgs),
}

#[derive(clap::Args)]
struct ExplainArgs {
    /// Source: a workload (namespace/name) or an IP address
    #[arg(long, value_name = "A")]
    from: String,
    /// Destination: a workload (namespace/name) or an IP address
    #[arg(long, value_name = "B")]
    to: String,
    /// Only this port: a number, or a port name the destination declares
    #[arg(long, value_name = "PORT")]
    port: Option<String>,
    /// Protocol of the connection (TCP, UDP or SCTP) [default: TCP with --port, every protocol without]
    #[arg(long, value_name = "PROTOCOL", value_parser = parse_protocol)]
    protocol: Option<Protocol>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: ExplainFormat,
    /// Files, directories or - (stdin)
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    paths: Vec<String>,
    #[command(flatten)]
    inputs: Inputs,
}

fn parse_protocol(s: &str) -> Result<Protocol, String> {
    Protocol::parse_loose(s).ok_or_else(|| format!("unknown protocol {s:?}: use TCP, UDP or SCTP"))
}

/// The model of the inputs, and every error met reading them.
fn load(paths: &[String], inputs: &Inputs) -> Result<(Cluster, Vec<InputError>), ExitCode> {
    let config = load_config_from(inputs.config.as_deref(), inputs.no_config)
        .map_err(|e| usage_error(format!("configuration: {e}")))?;
    let engine = Engine::new(Vec::new(), config);
    let visit = |object: &kubefort_core::object::Object, _: &kubefort_core::ScanScope| {
        read_object(object).into_iter().collect()
    };
    let (items, mut errors) = if inputs.cluster {
        let mut kinds: Vec<&str> = vec![
            "Namespace",
            "NetworkPolicy",
            "Pod",
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "CronJob",
            "ReplicationController",
        ];
        let custom = engine.config().custom_pod_templates().to_vec();
        kinds.extend(custom.iter().map(|c| c.kind.as_str()));
        let (mut objects, errors) =
            crate::cluster_cmd::inventory(&inputs.connect, &engine, &kinds)?;
        // A Deployment's ReplicaSets and pods are the Deployment.
        let owned = kubefort_cluster::Owned::index(&objects);
        objects.retain(|o| owned.owner_of(&o.file).is_none());
        (engine.visit_objects(&objects, &visit), errors)
    } else {
        let parsed: Vec<Input> = paths.iter().map(|p| Input::parse(p)).collect();
        let discovered = discover(&parsed, engine.config());
        let visited = engine.visit(&discovered.files, false, &visit);
        let mut errors = visited.errors;
        errors.extend(discovered.errors);
        (visited.items, errors)
    };
    let (cluster, invalid) = build(items);
    errors.extend(invalid.into_iter().map(|i| InputError {
        file: i.file,
        line: Some(i.pos.line).filter(|l| *l > 0),
        column: Some(i.pos.column).filter(|_| i.pos.line > 0),
        message: i.message,
    }));
    errors.sort();
    errors.dedup();
    Ok((cluster, errors))
}

fn report_stderr(cluster: &Cluster, errors: &[InputError]) {
    for n in &cluster.notes {
        eprintln!("note: {n}");
    }
    for e in errors {
        eprintln!("error: {e}");
    }
}

pub fn run(args: NetpolArgs) -> ExitCode {
    if let Some(NetpolCommand::Explain(e)) = args.command {
        return explain(e);
    }
    let (cluster, errors) = match load(&args.paths, &args.inputs) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let focus = match &args.focus {
        None => None,
        Some(f) => {
            let found = cluster.find(f);
            if found.is_empty() {
                report_stderr(&cluster, &errors);
                return usage_error(format!(
                    "--focus {f:?}: no such workload in the inputs (name workloads namespace/name)"
                ));
            }
            Some(found)
        }
    };
    let list = connectivity(&cluster);
    let view = View {
        cluster: &cluster,
        connectivity: &list,
        focus: focus.as_deref(),
    };
    let rendered = match args.format {
        NetpolFormat::Text => format::text(&view),
        NetpolFormat::Md => format::markdown(&view),
        NetpolFormat::Dot => format::dot(&view),
        NetpolFormat::Json => {
            let mut v = format::json(&view);
            v["errors"] = serde_json::to_value(&errors).expect("serializable");
            let mut s = serde_json::to_string_pretty(&v).expect("serializable");
            s.push('\n');
            s
        }
    };
    if !matches!(args.format, NetpolFormat::Json) {
        report_stderr(&cluster, &errors);
    }
    if let Some(code) = write_output(args.inputs.output.as_deref(), &rendered) {
        return code;
    }
    if errors.is_empty() {
        ExitCode::from(EXIT_OK)
    } else {
        ExitCode::from(EXIT_ERROR)
    }
}

/// A workload or an address named on the command line.
fn endpoint(cluster: &Cluster, flag: &str, s: &str) -> Result<Endpoint, String> {
    if let Some(ip) = parse_ip(s) {
        return Ok(Endpoint::External(AddrRange::single(ip)));
    }
    let found = cluster.find(s);
    match found.as_slice() {
        [w] => Ok(Endpoint::Workload(*w)),
        [] => Err(format!(
            "{flag} {s:?}: no such workload in the inputs and not an IP address (name workloads namespace/name)"
        )),
        many => Err(format!(
            "{flag} {s:?} names {} workloads ({}): use namespace/name[Kind]",
            many.len(),
            many.iter()
                .map(|&w| cluster.workloads[w].id().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// What the user asked about: one protocol and maybe one port, or everything.
struct Query {
    protocol: Option<Protocol>,
    port: Option<u16>,
}

impl Query {
    fn restrict(&self, c: &ConnSet) -> ConnSet {
        match self.protocol {
            None => c.clone(),
            Some(p) => c.restrict(p, self.port),
        }
    }

    fn describe(&self) -> Option<String> {
        let p = self.protocol?;
        Some(match self.port {
            Some(port) => format!("{p} {port}"),
            None => format!("{p} (every port)"),
        })
    }
}

fn explain(args: ExplainArgs) -> ExitCode {
    let (cluster, errors) = match load(&args.paths, &args.inputs) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let (src, dst) = match (
        endpoint(&cluster, "--from", &args.from),
        endpoint(&cluster, "--to", &args.to),
    ) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => {
            report_stderr(&cluster, &errors);
            return usage_error(e);
        }
    };
    if matches!((src, dst), (Endpoint::External(_), Endpoint::External(_))) {
        return usage_error("--from and --to are both addresses: one of them must be a workload");
    }
    let protocol = match (&args.port, args.protocol) {
        (Some(_), None) => Some(Protocol::Tcp),
        (_, p) => p,
    };
    let port = match (&args.port, protocol) {
        (None, _) => None,
        (Some(p), Some(proto)) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                let resolved = match dst {
                    Endpoint::Workload(w) => cluster.workloads[w].named_port(p, proto),
                    Endpoint::External(_) => None,
                };
                match resolved {
                    Some(n) => Some(n),
                    None => {
                        return usage_error(format!(
                        "--port {p:?}: not a port number, nor a {proto} port name that {} declares",
                        cluster.endpoint_name(dst)
                    ))
                    }
                }
            }
        },
        (Some(_), None) => unreachable!("a port implies a protocol"),
    };
    let query = Query { protocol, port };
    let ex = cluster.explain(src, dst);
    let allowed = query.restrict(&ex.allowed);
    let verdict = !allowed.is_empty();
    let rendered = match args.format {
        ExplainFormat::Text => explain_text(&cluster, &ex, &query, &allowed),
        ExplainFormat::Json => {
            let mut v = explain_json(&cluster, &ex, &query, &allowed);
            v["notes"] = json!(cluster.notes);
            v["errors"] = serde_json::to_value(&errors).expect("serializable");
            let mut s = serde_json::to_string_pretty(&v).expect("serializable");
            s.push('\n');
            s
        }
    };
    if matches!(args.format, ExplainFormat::Text) {
        report_stderr(&cluster, &errors);
    }
    if let Some(code) = write_output(args.inputs.output.as_deref(), &rendered) {
        return code;
    }
    if !errors.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else if verdict {
        ExitCode::from(EXIT_OK)
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

/// A workload's name, or the address asked about.
fn endpoint_name(cluster: &Cluster, ep: Endpoint) -> String {
    match ep {
        Endpoint::External(r) if r.start == r.end => r.family.format(r.start),
        _ => cluster.endpoint_name(ep),
    }
}

fn policy_at(p: &Policy) -> String {
    format!("{} ({}:{})", p.id(), p.source.file, p.source.pos.line)
}

fn rule_name(d: Direction, index: usize) -> String {
    format!("{} rule #{}", d.field(), index + 1)
}

fn side_text(out: &mut String, cluster: &Cluster, side: &Side, other: &str, query: &Query) {
    let subject = cluster.workloads[side.subject].id();
    let d = side.direction;
    let allowed = query.restrict(&side.allowed);
    let what = query.describe().unwrap_or_else(|| "connections".into());
    let _ = writeln!(
        out,
        "{} of {subject}: {}",
        d.field(),
        if allowed.is_empty() {
            format!("denies {what}")
        } else {
            format!("allows {allowed}")
        }
    );
    if !side.isolated {
        let _ = writeln!(
            out,
            "  no NetworkPolicy selects {subject} for {d}: every {} is allowed",
            if d == Direction::Egress {
                "destination"
            } else {
                "source"
            }
        );
        return;
    }
    for pv in &side.policies {
        let p = &cluster.policies[pv.policy];
        if pv.rules.is_empty() {
            let count = p.rules(d).map_or(0, <[_]>::len);
            let _ = writeln!(
                out,
                "  {} selects it; {}",
                policy_at(p),
                match count {
                    0 => format!("it has no {d} rule: it allows nothing"),
                    1 => format!("its {d} rule does not match {other}"),
                    n => format!("none of its {n} {d} rules matches {other}"),
                }
            );
            continue;
        }
        let _ = writeln!(out, "  {} selects it:", policy_at(p));
        let rules = p.rules(d).unwrap_or(&[]);
        for (index, conns) in &pv.rules {
            let line = rules
                .iter()
                .find(|r| r.index == *index)
                .map_or(0, |r| r.pos.line);
            let shown = query.restrict(conns);
            let text = if conns.is_empty() {
                "matches, but its named ports are not declared by the destination: allows nothing"
                    .to_string()
            } else if shown.is_empty() {
                format!("matches, allows {conns}, not {what}")
            } else {
                format!("allows {shown}")
            };
            let _ = writeln!(
                out,
                "    {} (line {line}, {}) {text}",
                rule_name(d, *index),
                Policy::rule_path(d, *index)
            );
        }
    }
}

fn explain_text(
    cluster: &Cluster,
    ex: &kubefort_netpol::Explanation,
    query: &Query,
    allowed: &ConnSet,
) -> String {
    let src = endpoint_name(cluster, ex.src);
    let dst = endpoint_name(cluster, ex.dst);
    let mut out = String::new();
    let what = query.describe();
    let verdict = match (&what, allowed.is_empty()) {
        (Some(w), false) => format!("{w} allowed"),
        (Some(w), true) => format!("{w} denied"),
        (None, false) => format!("allowed: {allowed}"),
        (None, true) => "denied: no connection is allowed".to_string(),
    };
    let _ = writeln!(out, "{src} => {dst} : {verdict}");
    let _ = writeln!(out);
    match &ex.egress {
        Some(side) => side_text(&mut out, cluster, side, &dst, query),
        None => {
            let _ = writeln!(
                out,
                "egress: {src} is outside the cluster; no NetworkPolicy applies to it"
            );
        }
    }
    match &ex.ingress {
        Some(side) => side_text(&mut out, cluster, side, &src, query),
        None => {
            let _ = writeln!(
                out,
                "ingress: {dst} is outside the cluster; no NetworkPolicy applies to it"
            );
        }
    }
    out
}

fn side_json(cluster: &Cluster, side: Option<&Side>, query: &Query) -> Value {
    let Some(side) = side else {
        return Value::Null;
    };
    let d = side.direction;
    let allowed = query.restrict(&side.allowed);
    let policies: Vec<Value> = side
        .policies
        .iter()
        .map(|pv| {
            let p = &cluster.policies[pv.policy];
            let rules = p.rules(d).unwrap_or(&[]);
            json!({
                "policy": p.id(),
                "location": {"file": &*p.source.file, "line": p.source.pos.line},
                "rules": pv.rules.iter().map(|(index, conns)| {
                    let line = rules.iter().find(|r| r.index == *index).map_or(0, |r| r.pos.line);
                    json!({
                        "rule": index + 1,
                        "path": Policy::rule_path(d, *index).to_string(),
                        "line": line,
                        "allows": query.restrict(conns).to_string(),
                        "ports": conn_json(&query.restrict(conns)),
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "workload": cluster.workloads[side.subject].id().to_string(),
        "isolated": side.isolated,
        "allowed": !allowed.is_empty(),
        "conn": allowed.to_string(),
        "ports": conn_json(&allowed),
        "policies": policies,
    })
}

fn explain_json(
    cluster: &Cluster,
    ex: &kubefort_netpol::Explanation,
    query: &Query,
    allowed: &ConnSet,
) -> Value {
    json!({
        "version": 1,
        "from": endpoint_name(cluster, ex.src),
        "to": endpoint_name(cluster, ex.dst),
        "query": query.protocol.map(|p| json!({"protocol": p.as_str(), "port": query.port})),
        "allowed": !allowed.is_empty(),
        "conn": allowed.to_string(),
        "ports": conn_json(allowed),
        "egress": side_json(cluster, ex.egress.as_ref(), query),
        "ingress": side_json(cluster, ex.ingress.as_ref(), query),
    })
}

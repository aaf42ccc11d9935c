//! `kubefort cluster`: the rules of `scan` over a live cluster's objects;
//! and the live inventory behind `rbac --cluster` and `netpol --cluster`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kubefort_cluster::{collect, connect, fold_owned, CollectOptions, ConnectOptions, Connection};
use kubefort_core::object::Object;
use kubefort_core::{Engine, InputError, SkipLevel, Skipped};

use crate::{emit, prepare, progress_allowed, usage_error, RunArgs, EXIT_ERROR};

/// Where the cluster is.
#[derive(clap::Args, Clone, Default)]
pub struct ConnectArgs {
    /// Kubeconfig file [default: $KUBECONFIG, then ~/.kube/config, then the pod's service account]
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Context of the kubeconfig [default: its current context]
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

#[derive(clap::Args)]
pub struct ClusterArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// Only these namespaces (repeatable; cluster-scoped objects are still read) [default: all]
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    namespace: Vec<String>,
    #[command(flatten)]
    run: RunArgs,
    /// Also write the results into the cluster as PolicyReports (server-side apply)
    #[arg(long)]
    apply_reports: bool,
    /// Also report findings on Kubernetes' own bootstrap RBAC objects (labelled
    /// kubernetes.io/bootstrapping=rbac-defaults); by default they are counted as suppressed
    #[arg(long)]
    include_bootstrap: bool,
    /// Objects per list request
    #[arg(long, value_name = "N", default_value = "500", value_parser = clap::value_parser!(u32).range(1..))]
    page_size: u32,
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| usage_error(format!("cannot start the I/O runtime: {e}")))
}

/// A spinner with the count of objects listed, on a terminal only.
fn spinner(show: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner} listing: {pos} objects ({msg}) {elapsed}")
            .expect("template"),
    );
    if show {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.enable_steady_tick(Duration::from_millis(120));
    }
    bar
}

/// The objects of the cluster that `kinds` name (all when empty), and what
/// could not be read, as input errors (the `file` is the resource).
pub fn live_objects(
    rt: &tokio::runtime::Runtime,
    conn: &Connection,
    engine: &Engine,
    opts: &CollectOptions,
    show_progress: bool,
) -> (kubefort_cluster::Collection, Vec<InputError>) {
    let bar = spinner(show_progress);
    let convert = |path: std::sync::Arc<str>, value: serde_json::Value| -> Result<Object, String> {
        engine.object_from_json(path, value)
    };
    let progress = |resource: &str, total: usize| {
        bar.set_position(total as u64);
        bar.set_message(resource.to_string());
    };
    let collection = rt.block_on(collect(conn, opts, &convert, &progress));
    bar.finish_and_clear();
    let mut errors: Vec<InputError> = collection
        .unreadable
        .iter()
        .map(|u| InputError {
            file: conn.server.as_str().into(),
            line: None,
            column: None,
            message: u.to_string(),
        })
        .collect();
    errors.extend(collection.invalid.iter().map(|(path, e)| InputError {
        file: path.as_str().into(),
        line: None,
        column: None,
        message: e.clone(),
    }));
    (collection, errors)
}

/// Connect, or say why not (exit 2).
pub fn connect_or_exit(
    rt: &tokio::runtime::Runtime,
    args: &ConnectArgs,
) -> Result<Connection, ExitCode> {
    let opts = ConnectOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
    };
    rt.block_on(connect(&opts)).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_ERROR)
    })
}

/// The objects of `kinds` in the cluster, for `rbac --cluster` and
/// `netpol --cluster`: what could not be read is an input error.
pub fn inventory(
    args: &ConnectArgs,
    engine: &Engine,
    kinds: &[&str],
) -> Result<(Vec<Object>, Vec<InputError>), ExitCode> {
    let rt = runtime()?;
    let conn = connect_or_exit(&rt, args)?;
    let opts = CollectOptions {
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        custom: engine.config().custom_pod_templates().to_vec(),
        ..Default::default()
    };
    let show = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let (collection, errors) = live_objects(&rt, &conn, engine, &opts, show);
    Ok((collection.objects, errors))
}

pub fn run(args: ClusterArgs) -> ExitCode {
    let (engine, fail_on) = match prepare(&args.run) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let conn = match connect_or_exit(&rt, &args.connect) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let custom = engine.config().custom_pod_templates().to_vec();
    let opts = CollectOptions {
        namespaces: args.namespace.clone(),
        page_size: args.page_size,
        custom: custom.clone(),
        ..Default::default()
    };
    let (mut collection, errors) =
        live_objects(&rt, &conn, &engine, &opts, progress_allowed(&args.run));
    let objects = std::mem::take(&mut collection.objects);
    let nobjects = objects.len();
    let policies = crate::policy_cmd::entries(&args.run.policy, engine.config());
    let (engine, policy_set, policy_errors) =
        crate::policy_cmd::attach_objects(engine, &policies, &objects);
    let bootstrap = kubefort_cluster::bootstrap_objects(&objects);
    let graphs = if args.run.html() {
        crate::html_cmd::graphs_of_objects(&engine, &objects)
    } else {
        Vec::new()
    };
    let mut report = engine.scan_objects(objects);
    fold_owned(&mut report, &collection.owned, &custom);
    if !args.include_bootstrap {
        kubefort_cluster::suppress_bootstrap(&mut report, &bootstrap);
    }
    report.errors.extend(errors);
    report.errors.extend(policy_errors);
    report
        .errors
        .extend(crate::policy_cmd::evaluation_errors(&policy_set));
    report.errors.sort();
    let source: std::sync::Arc<str> = conn.server.as_str().into();
    for r in &collection.not_served {
        report.skipped.push(Skipped {
            file: source.clone(),
            line: None,
            level: SkipLevel::Info,
            reason: format!("{r}: not served by this API server"),
        });
    }
    report.stats.objects = nobjects;
    let code = emit(&report, &args.run, fail_on, graphs);
    if args.apply_reports {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let reports = kubefort_report::policyreport::reports(&report, now);
        let failed = rt.block_on(kubefort_cluster::reports::apply_reports(&conn, &reports));
        for e in &failed {
            eprintln!("error: {e}");
        }
        if !failed.is_empty() {
            return ExitCode::from(EXIT_ERROR);
        }
        if std::io::stderr().is_terminal() {
            eprintln!(
                "wrote {} PolicyReport{} to {}",
                reports.len(),
                if reports.len() == 1 { "" } else { "s" },
                conn.server
            );
        }
    }
    code
}

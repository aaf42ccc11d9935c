//! The kubefort command line: wiring only, no logic.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use kubefort_core::config::{parse_pss_version, Config};
use kubefort_core::source::{discover, Input};
use kubefort_core::{select_rules, Engine, RuleMeta, Severity};
use kubefort_report::WriteOptions;

mod audit_cmd;
mod cluster_cmd;
mod html_cmd;
mod netpol_cmd;
mod node_cmd;
mod policy_cmd;
mod pss_cmd;
mod rbac_cmd;
mod webhook_cmd;

/// Exit code: nothing at or above --fail-on.
const EXIT_OK: u8 = 0;
/// Exit code: findings at or above --fail-on.
const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage error, or an input that could not be read or parsed.
const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "kubefort",
    version,
    about = "Find and stop Kubernetes misconfigurations",
    long_about = "kubefort finds the Kubernetes misconfigurations behind most cluster breaches \
(privileged containers, host namespaces, mutable images, missing limits, ...) in manifests, \
with the exact file, line and field.\n\nExit codes: 0 no findings at or above --fail-on; \
1 findings at or above it; 2 usage error or unreadable input (findings for readable inputs \
are still reported).",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan manifests: files, directories (recursively) or - for stdin
    Scan(ScanArgs),
    /// Scan a live cluster through its API: every object the rules need, across all namespaces
    Cluster(cluster_cmd::ClusterArgs),
    /// Pod Security report: per workload, the highest Pod Security Standards level it meets and what to change to reach restricted
    Pss(pss_cmd::PssArgs),
    /// NetworkPolicy analysis: which workloads and addresses can reach which; `netpol explain` says why
    Netpol(netpol_cmd::NetpolArgs),
    /// RBAC questions: who can do what, may a user do it and why, effective rules, escalation paths
    Rbac(rbac_cmd::RbacArgs),
    /// Check this node's control-plane and kubelet files and their permissions (CIS Kubernetes Benchmark)
    Node(node_cmd::NodeArgs),
    /// Threat detection over Kubernetes audit events: log files, stdin, or live as the API server's audit webhook (`audit serve`)
    Audit(Box<audit_cmd::AuditArgs>),
    /// Validating admission webhook: refuse insecure objects at the API server with the scan rules
    Webhook(webhook_cmd::WebhookArgs),
    /// User policies (Rego, CEL): `policy test` runs their unit tests
    Policy(policy_cmd::PolicyArgs),
    /// List the rules with their severity, groups and docs
    Rules(RulesArgs),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    /// wgpolicyk8s.io/v1alpha2 PolicyReports (one per namespace) and a ClusterPolicyReport
    Policyreport,
    /// One self-contained HTML page: scores, charts, top risks, graphs, filterable findings
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Files, directories or - (stdin); directories are searched for .yaml, .yml and .json
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    #[command(flatten)]
    run: RunArgs,
    /// Largest input file to read, in bytes [default: 33554432]
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
}

/// What `scan` and `cluster` share: the rules, the configuration and the report.
#[derive(clap::Args)]
struct RunArgs {
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Run only these rules or groups (comma-separated; `all` for every rule)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Option<Vec<String>>,
    /// Run these rules or groups in addition to the selection
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    extend_select: Vec<String>,
    /// Do not run these rules or groups
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Fail (exit 1) on findings at or above this severity [default: low]
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Pod Security Standards version to check against (vMAJOR.MINOR or latest) [default: latest]
    #[arg(long, value_name = "VERSION")]
    pss_version: Option<String>,
    /// Configuration file [default: .kubefort.yaml found upward from the working directory]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any configuration file
    #[arg(long)]
    no_config: bool,
    /// When to use colours in text output
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Also show suppressed findings, fixes and inputs skipped as not Kubernetes objects
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Never show a progress bar
    #[arg(long)]
    no_progress: bool,
    /// User policies to run beside the rules: Rego (.rego, conftest style), Gatekeeper ConstraintTemplates and constraints, ValidatingAdmissionPolicies and bindings (files or directories; repeatable)
    #[arg(long, value_name = "PATH")]
    policy: Vec<PathBuf>,
    /// Compare with an earlier JSON report: mark findings new or unchanged and count the fixed ones
    #[arg(long, value_name = "REPORT.json")]
    baseline: Option<PathBuf>,
    /// Fail (exit 1) only on new findings at or above --fail-on (needs --baseline)
    #[arg(long, requires = "baseline")]
    fail_on_new: bool,
}

impl RunArgs {
    fn html(&self) -> bool {
        matches!(self.format, Format::Html)
    }
}

#[derive(clap::Args)]
struct RulesArgs {
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: RulesFormat,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Cluster(args) => cluster_cmd::run(args),
        Command::Pss(args) => pss_cmd::run(args),
        Command::Netpol(args) => netpol_cmd::run(args),
        Command::Rbac(args) => rbac_cmd::run(args),
        Command::Node(args) => node_cmd::run(args),
        Command::Audit(args) => audit_cmd::run(*args),
        Command::Webhook(args) => webhook_cmd::run(args),
        Command::Policy(args) => policy_cmd::run(args),
        Command::Rules(args) => {
            let all = kubefort_rules::all();
            let metas: Vec<&RuleMeta> = all.iter().map(|r| &r.meta).collect();
            let out = match args.format {
                RulesFormat::Text => kubefort_report::rules::text(&metas),
                RulesFormat::Json => kubefort_report::rules::json(&metas),
                RulesFormat::Markdown => {
                    kubefort_report::rules::markdown(&metas, kubefort_rules::GROUPS)
                }
            };
            print_stdout(&out)
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "kubefort",
                &mut std::io::stdout(),
            );
            ExitCode::from(EXIT_OK)
        }
        Command::Man => {
            let mut buf = Vec::new();
            if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut buf) {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_ERROR);
            }
            print_stdout(&String::from_utf8_lossy(&buf))
        }
    }
}

fn print_stdout(s: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::from(EXIT_OK),
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Write a rendered report to `--output` or standard output; `Some` with
/// the exit code when that fails.
fn write_output(output: Option<&std::path::Path>, rendered: &str) -> Option<ExitCode> {
    match output {
        Some(path) => match std::fs::write(path, rendered) {
            Ok(()) => None,
            Err(e) => Some(usage_error(format!("cannot write {}: {e}", path.display()))),
        },
        None => {
            let code = print_stdout(rendered);
            (code != ExitCode::from(EXIT_OK)).then_some(code)
        }
    }
}

fn usage_error(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_ERROR)
}

/// The configuration: `--config FILE`, none with `--no-config`, else the
/// file found upward from the working directory.
fn load_config_from(file: Option<&std::path::Path>, no_config: bool) -> Result<Config, String> {
    if no_config {
        return Ok(Config::default());
    }
    let path = match file {
        Some(p) => Some(p.to_path_buf()),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| Config::discover(&d)),
    };
    let mut config = match path {
        Some(p) => Config::load(&p)?,
        None => Config::default(),
    };
    kubefort_rules::configure(&mut config)?;
    Ok(config)
}

/// The engine for `scan` and `cluster`: the configuration with the
/// command line's selection applied, and the severity that fails the run.
fn prepare(run: &RunArgs) -> Result<(Engine, Severity), ExitCode> {
    let config = load_config_from(run.config.as_deref(), run.no_config)
        .map_err(|e| usage_error(format!("configuration: {e}")))?;
    if let Some(v) = run.pss_version.as_deref().or(config.pss_version.as_deref()) {
        parse_pss_version(v).map_err(usage_error)?;
    }
    let select: Option<Vec<String>> = run.select.clone().or_else(|| config.select.clone());
    let extend: Vec<String> = config
        .extend_select
        .iter()
        .chain(&run.extend_select)
        .cloned()
        .collect();
    let ignore: Vec<String> = config.ignore.iter().chain(&run.ignore).cloned().collect();
    let rules = select_rules(&kubefort_rules::all(), select.as_deref(), &extend, &ignore)
        .map_err(usage_error)?;
    let fail_on = run.fail_on.or(config.fail_on).unwrap_or(Severity::Low);
    // The engine and the rules see the effective settings.
    let mut config = config;
    config.select = select;
    config.extend_select = extend;
    if run.pss_version.is_some() {
        config.pss_version = run.pss_version.clone();
    }
    Ok((Engine::new(rules, config), fail_on))
}

/// Whether a progress bar may be drawn.
fn progress_allowed(run: &RunArgs) -> bool {
    !run.no_progress && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

fn scan(args: ScanArgs) -> ExitCode {
    let (mut engine, fail_on) = match prepare(&args.run) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if let Some(max) = args.max_file_size {
        engine = engine.with_max_file_size(max);
    }
    let inputs: Vec<Input> = args.paths.iter().map(|p| Input::parse(p)).collect();
    let discovered = discover(&inputs, engine.config());
    let policies = policy_cmd::entries(&args.run.policy, engine.config());
    let (engine, policy_set, policy_errors) =
        policy_cmd::attach(engine, &policies, &discovered.files);

    let show_progress = progress_allowed(&args.run) && discovered.files.len() > 1;
    let bar = ProgressBar::with_draw_target(
        Some(discovered.files.len() as u64),
        ProgressDrawTarget::hidden(),
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} scanning {pos}/{len} files {wide_bar} {elapsed}")
            .expect("template"),
    );
    let started = Instant::now();
    let shown = AtomicBool::new(false);
    let progress = || {
        bar.inc(1);
        if show_progress
            && started.elapsed() > Duration::from_secs(1)
            && !shown.swap(true, Ordering::Relaxed)
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    };
    let mut report = engine.scan(&discovered.files, &progress);
    bar.finish_and_clear();
    report.errors.extend(discovered.errors);
    report.errors.extend(policy_errors);
    report
        .errors
        .extend(policy_cmd::evaluation_errors(&policy_set));
    report.errors.sort();
    report.skipped.extend(discovered.skipped);
    report.skipped.sort();
    let graphs = if args.run.html() {
        html_cmd::graphs_of_files(&engine, &discovered.files)
    } else {
        Vec::new()
    };
    emit(&report, &args.run, fail_on, graphs)
}

/// The `--baseline` comparison, or why it cannot be made (exit 2).
fn compare(
    report: &kubefort_core::Report,
    path: &std::path::Path,
) -> Result<kubefort_report::baseline::Comparison, ExitCode> {
    use kubefort_report::baseline::{Baseline, Comparison, MAX_BASELINE_SIZE};
    use std::io::Read;
    let name = path.display().to_string();
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_BASELINE_SIZE + 1).read_to_string(&mut text))
        .map_err(|e| usage_error(format!("--baseline {name}: cannot read it: {e}")))?;
    if text.len() as u64 > MAX_BASELINE_SIZE {
        return Err(usage_error(format!(
            "--baseline {name}: larger than {} MiB; is it a kubefort JSON report?",
            MAX_BASELINE_SIZE >> 20
        )));
    }
    let baseline =
        Baseline::parse(&name, &text).map_err(|e| usage_error(format!("--baseline {e}")))?;
    Ok(Comparison::new(report, &baseline))
}

/// Write the report where and how `run` says, and choose the exit code.
/// `graphs` are drawn in the HTML report.
fn emit(
    report: &kubefort_core::Report,
    run: &RunArgs,
    fail_on: Severity,
    graphs: Vec<kubefort_report::html::Graph>,
) -> ExitCode {
    let baseline = match run.baseline.as_deref().map(|p| compare(report, p)) {
        None => None,
        Some(Ok(c)) => Some(std::sync::Arc::new(c)),
        Some(Err(code)) => return code,
    };
    let to_terminal = run.output.is_none() && std::io::stdout().is_terminal();
    let color = match run.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let opts = WriteOptions {
        fail_on,
        color,
        verbose: run.verbose,
        tool_version: env!("CARGO_PKG_VERSION"),
        baseline,
        fail_on_new: run.fail_on_new,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // JSON and SARIF stream straight to their destination; text and JUnit
    // are small enough to render first.
    let render = |out: &mut dyn Write| -> std::io::Result<()> {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        match run.format {
            Format::Text => out.write_all(kubefort_report::text::write(report, &opts).as_bytes()),
            Format::Json => kubefort_report::json::write_to(report, &opts, &mut out),
            Format::Sarif => kubefort_report::sarif::write_to(report, &opts, &mut out),
            Format::Junit => out.write_all(kubefort_report::junit::write(report, &opts).as_bytes()),
            Format::Policyreport => kubefort_report::policyreport::write_to_with(
                report,
                now,
                opts.baseline.as_deref(),
                &mut out,
            ),
            Format::Html => {
                let extras = kubefort_report::html::Extras {
                    sources: html_cmd::sources(
                        report,
                        kubefort_core::source::DEFAULT_MAX_FILE_SIZE,
                    ),
                    graphs: graphs.clone(),
                    generated: now,
                };
                out.write_all(kubefort_report::html::write(report, &opts, &extras).as_bytes())
            }
        }?;
        out.flush()
    };
    match &run.output {
        Some(path) => {
            let written = std::fs::File::create(path).and_then(|mut f| render(&mut f));
            if let Err(e) = written {
                return usage_error(format!("cannot write {}: {e}", path.display()));
            }
            // The report went to a file; still tell a person at a terminal how it went.
            if std::io::stderr().is_terminal() {
                let summary = kubefort_report::text::summary_line(report, false);
                eprintln!(
                    "{} (report written to {})",
                    summary.trim_end(),
                    path.display()
                );
            }
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            match render(&mut lock) {
                Ok(()) => {}
                // A closed pipe (`| head`) is not an error worth a message.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return ExitCode::from(EXIT_OK)
                }
                Err(e) => {
                    eprintln!("error: cannot write to standard output: {e}");
                    return ExitCode::from(EXIT_ERROR);
                }
            }
        }
    }
    if !report.errors.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else if kubefort_report::run_fails(report, &opts) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

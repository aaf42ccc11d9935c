//! `kubefort audit`: threat detection over Kubernetes audit events, from
//! log files, standard input, or the API server's audit webhook backend
//! (`kubefort audit serve`). Wiring only: the logic is in kubefort-audit.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use kubefort_audit::read::{self, Follow, LineError};
use kubefort_audit::{output, AuditConfig, Detector};
use kubefort_core::Severity;

use crate::{
    load_config_from, parse_severity, usage_error, ColorChoice, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK,
};

/// Errors printed one by one before they are only counted.
const SHOWN_ERRORS: usize = 50;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: Option<AuditCommand>,
    #[command(flatten)]
    files: FileArgs,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Receive the API server's audit webhook batches over HTTPS and judge them live (GET /metrics for counters)
    Serve(Box<ServeArgs>),
    /// List the audit rules with severity, MITRE ATT&CK techniques, Falco counterparts and docs
    Rules(RulesArgs),
    /// Learn each identity's normal behaviour from audit logs, for `kubefort audit --baseline`
    Learn(LearnArgs),
}

#[derive(clap::Args)]
struct LearnArgs {
    /// Audit logs (JSON lines, plain or gzip-compressed) or - for standard input
    #[arg(value_name = "LOG", required = true)]
    logs: Vec<String>,
    /// Where to write the baseline (JSON)
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,
    /// Largest event read, in bytes [default: 8388608]
    #[arg(long, value_name = "BYTES")]
    max_event_size: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum AlertFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
    Markdown,
}

/// Options shared by file mode and the receiver.
#[derive(clap::Args)]
struct Common {
    /// Alert format: text, or one JSON object per line
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: AlertFormat,
    /// Write alerts to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Run only these audit rules (comma-separated; `audit` or `all` for every rule)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Option<Vec<String>>,
    /// Run these audit rules in addition to the selection
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    extend_select: Vec<String>,
    /// Do not run these audit rules
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Configuration file [default: .kubefort.yaml found upward from the working directory]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any configuration file
    #[arg(long)]
    no_config: bool,
    /// Largest event (one log line, one webhook batch) read, in bytes [default: 8388608]
    #[arg(long, value_name = "BYTES")]
    max_event_size: Option<usize>,
    /// Also show alerts suppressed by configured exceptions
    #[arg(long, short = 'v')]
    verbose: bool,
    /// When to use colours in text output
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Flag what identities never or rarely did before, against this learned baseline (`kubefort audit learn`)
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
}

#[derive(clap::Args)]
struct FileArgs {
    /// Audit logs (JSON lines, plain or gzip-compressed) or - for standard input
    #[arg(value_name = "LOG")]
    logs: Vec<String>,
    /// Keep reading the files as they grow (across rotation), like tail -F
    #[arg(long, short = 'F')]
    follow: bool,
    /// Fail (exit 1) on alerts at or above this severity [default: low]
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Do not print the summary table at the end
    #[arg(long)]
    no_summary: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    /// Serving certificate chain (PEM)
    #[arg(long, value_name = "FILE")]
    tls_cert: PathBuf,
    /// Serving private key (PEM)
    #[arg(long, value_name = "FILE")]
    tls_key: PathBuf,
    /// Require client certificates signed by this CA (PEM)
    #[arg(long, value_name = "FILE")]
    client_ca: Option<PathBuf>,
    /// Batches queued for judging before new ones are refused with 429 (the API server retries)
    #[arg(long, value_name = "N", default_value = "256")]
    queue: usize,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
struct RulesArgs {
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: RulesFormat,
}

pub fn run(args: AuditArgs) -> ExitCode {
    match args.command {
        Some(AuditCommand::Rules(r)) => rules(r),
        Some(AuditCommand::Serve(s)) => serve(*s),
        Some(AuditCommand::Learn(l)) => learn(l),
        None => files(args.files),
    }
}

fn rules(args: RulesArgs) -> ExitCode {
    let all = kubefort_audit::all_rules();
    let out = match args.format {
        RulesFormat::Markdown => kubefort_audit::rules::markdown(&all),
        RulesFormat::Text => {
            let metas: Vec<_> = all.iter().map(|r| &r.meta).collect();
            kubefort_report::rules::text(&metas)
        }
        RulesFormat::Json => {
            let v: Vec<serde_json::Value> = all
                .iter()
                .map(|r| {
                    let mut v = kubefort_report::rules::to_value(&[&r.meta]);
                    let mut one = v
                        .as_array_mut()
                        .and_then(|a| a.pop())
                        .unwrap_or(serde_json::Value::Null);
                    if let Some(m) = one.as_object_mut() {
                        m.insert("mitre".into(), r.mitre.into());
                        m.insert("falco".into(), r.falco.into());
                    }
                    one
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
            s.push('\n');
            s
        }
    };
    crate::print_stdout(&out)
}

/// The detector the options describe, or a usage error.
fn detector(c: &Common) -> Result<Detector, ExitCode> {
    let config = load_config_from(c.config.as_deref(), c.no_config)
        .map_err(|e| usage_error(format!("configuration: {e}")))?;
    let mut audit = AuditConfig::from_value(config.audit.as_ref())
        .map_err(|e| usage_error(format!("configuration: {e}")))?;
    if let Some(max) = c.max_event_size {
        audit.max_event_size = max;
    }
    let rules = kubefort_audit::select_rules(c.select.as_deref(), &c.extend_select, &c.ignore)
        .map_err(usage_error)?;
    let det = Detector::new(rules, audit);
    match &c.baseline {
        None => Ok(det),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| usage_error(format!("cannot read {}: {e}", p.display())))?;
            let b = kubefort_audit::baseline::Baseline::from_json(&text, &p.display().to_string())
                .map_err(usage_error)?;
            Ok(det.with_baseline(b))
        }
    }
}

fn learn(args: LearnArgs) -> ExitCode {
    let max = args
        .max_event_size
        .unwrap_or(kubefort_audit::config::DEFAULT_MAX_EVENT_SIZE);
    let mut b = kubefort_audit::baseline::Baseline::new();
    let mut errors = 0usize;
    let mut report = |e: LineError| {
        if errors < SHOWN_ERRORS {
            eprintln!("error: {e}");
        }
        errors += 1;
    };
    for log in &args.logs {
        let (name, reader): (String, Box<dyn BufRead + Send>) = if log == "-" {
            (
                "<stdin>".into(),
                Box::new(BufReader::with_capacity(1 << 20, std::io::stdin())),
            )
        } else {
            match read::open(Path::new(log)) {
                Ok(r) => (log.clone(), r),
                Err(e) => {
                    report(LineError {
                        file: log.clone(),
                        line: 0,
                        message: format!("cannot open: {e}"),
                    });
                    continue;
                }
            }
        };
        if let Err(e) =
            kubefort_audit::baseline::learn_reader(&mut b, &name, reader, max, &mut report)
        {
            report(e);
        }
    }
    let json = match serde_json::to_string(&b) {
        Ok(j) => j,
        Err(e) => return usage_error(e),
    };
    if let Err(e) = std::fs::write(&args.output, json) {
        return usage_error(format!("cannot write {}: {e}", args.output.display()));
    }
    eprintln!(
        "learned {} events of {} identities over {} day(s) into {}{}",
        b.events,
        b.identities.len(),
        b.days(),
        args.output.display(),
        if errors > 0 {
            format!(" ({errors} input errors)")
        } else {
            String::new()
        }
    );
    ExitCode::from(if errors > 0 { EXIT_ERROR } else { EXIT_OK })
}

/// Where alerts go, and how they are written.
struct Sink {
    out: Box<dyn Write + Send>,
    json: bool,
    color: bool,
    verbose: bool,
    /// Flush after every alert (streams, followed files, the receiver).
    live: bool,
    broken: bool,
}

impl Sink {
    fn new(c: &Common, live: bool) -> Result<Sink, ExitCode> {
        let (out, terminal): (Box<dyn Write + Send>, bool) = match &c.output {
            Some(p) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(live)
                    .write(true)
                    .truncate(!live)
                    .open(p)
                    .map_err(|e| usage_error(format!("cannot write {}: {e}", p.display())))?;
                (Box::new(std::io::BufWriter::new(f)), false)
            }
            None => (
                Box::new(std::io::BufWriter::with_capacity(
                    1 << 16,
                    std::io::stdout(),
                )),
                std::io::stdout().is_terminal(),
            ),
        };
        let color = match c.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Ok(Sink {
            out,
            json: matches!(c.format, AlertFormat::Json),
            color,
            verbose: c.verbose,
            live,
            broken: false,
        })
    }

    fn alert(&mut self, a: &kubefort_audit::Alert) {
        if self.broken || (a.suppressed.is_some() && !self.verbose) {
            return;
        }
        let s = if self.json {
            output::json_line(a)
        } else {
            output::text(a, self.color)
        };
        let mut r = self.out.write_all(s.as_bytes());
        if self.live && r.is_ok() {
            r = self.out.flush();
        }
        if r.is_err() {
            self.broken = true;
        }
    }

    fn text(&mut self, s: &str) {
        if !self.broken && self.out.write_all(s.as_bytes()).is_err() {
            self.broken = true;
        }
    }

    fn finish(&mut self) {
        let _ = self.out.flush();
    }
}

fn files(args: FileArgs) -> ExitCode {
    if args.logs.is_empty() {
        return usage_error(
            "no audit log given: name files (or - for standard input), or use `kubefort audit serve` or `kubefort audit rules`",
        );
    }
    let mut det = match detector(&args.common) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let stdin_used = args.logs.iter().any(|l| l == "-");
    let live = args.follow || stdin_used;
    let mut sink = match Sink::new(&args.common, live) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut errors: Vec<LineError> = Vec::new();
    let report_error = |e: LineError, errors: &mut Vec<LineError>| {
        if errors.len() < SHOWN_ERRORS {
            eprintln!("error: {e}");
        }
        errors.push(e);
    };
    let follow = args.follow.then_some(Follow {
        poll: Duration::from_millis(200),
    });
    // Followed files are read one after another only when not followed;
    // with --follow, each file but the last is read to its end first.
    let n = args.logs.len();
    for (i, log) in args.logs.iter().enumerate() {
        let (name, path, reader): (String, Option<&Path>, Box<dyn BufRead + Send>) = if log == "-" {
            (
                "<stdin>".into(),
                None,
                Box::new(BufReader::with_capacity(1 << 20, std::io::stdin())),
            )
        } else {
            let p = Path::new(log);
            match read::open(p) {
                Ok(r) => (log.clone(), Some(p), r),
                Err(e) => {
                    report_error(
                        LineError {
                            file: log.clone(),
                            line: 0,
                            message: format!("cannot open: {e}"),
                        },
                        &mut errors,
                    );
                    continue;
                }
            }
        };
        let follow_this = if i + 1 == n && path.is_some() {
            follow
        } else {
            None
        };
        let mut line_errors: Vec<LineError> = Vec::new();
        let result = read::process(
            &mut det,
            &name,
            path,
            reader,
            follow_this,
            &mut |a| sink.alert(&a),
            &mut |e| line_errors.push(e),
        );
        for e in line_errors {
            report_error(e, &mut errors);
        }
        if let Err(e) = result {
            report_error(e, &mut errors);
        }
    }
    if errors.len() > SHOWN_ERRORS {
        eprintln!("error: … {} more input errors", errors.len() - SHOWN_ERRORS);
    }
    if !args.no_summary {
        let summary = output::summary(&det, &errors, SHOWN_ERRORS);
        if sink.json || args.common.output.is_some() {
            eprint!("{summary}");
        } else {
            sink.text(&summary);
        }
    }
    sink.finish();
    let fail_on = args.fail_on.unwrap_or(Severity::Low);
    if !errors.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else if fail_on != Severity::Info && det.worst.is_some_and(|w| w >= fail_on) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let det = match detector(&args.common) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let mut sink = match Sink::new(&args.common, true) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let opts = kubefort_audit::serve::Options {
        listen: args.listen,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        client_ca: args.client_ca,
        queue: args.queue,
    };
    let out = Box::new(move |a: &kubefort_audit::Alert| sink.alert(a));
    match kubefort_audit::serve::serve_blocking(opts, det, out, |addr| {
        eprintln!("kubefort audit serve: listening on https://{addr} (POST EventList batches; GET /metrics)");
    }) {
        Ok((det, _)) => {
            eprint!("{}", output::summary(&det, &[], SHOWN_ERRORS));
            ExitCode::from(EXIT_OK)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

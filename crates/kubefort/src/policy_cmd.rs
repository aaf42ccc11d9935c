//! `--policy` for `scan`, and `kubefort policy test`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Subcommand, ValueEnum};
use kubefort_core::config::{Config, PolicyEntry};
use kubefort_core::object::Object;
use kubefort_core::source::SourceFile;
use kubefort_core::{Engine, InputError};
use kubefort_policy::{LoadOptions, PolicyError, PolicySet};

#[derive(clap::Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Run policy unit tests: PolicyTest files (cases of objects with the expected allow, deny or warn) and *_test.rego files
    Test(TestArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum TestFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
struct TestArgs {
    /// Test files or directories (searched recursively)
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: TestFormat,
    /// Evaluate Gatekeeper templates that have both with their CEL code instead of Rego
    #[arg(long)]
    prefer_cel: bool,
    /// Also list the cases that pass
    #[arg(long, short = 'v')]
    verbose: bool,
}

pub fn run(args: PolicyArgs) -> ExitCode {
    match args.command {
        PolicyCommand::Test(t) => test(t),
    }
}

fn test(args: TestArgs) -> ExitCode {
    let report = kubefort_policy::test_runner::run(
        &args.paths,
        &LoadOptions {
            prefer_cel: args.prefer_cel,
        },
    );
    match args.format {
        TestFormat::Text => print!(
            "{}",
            kubefort_policy::test_runner::text(&report, args.verbose)
        ),
        TestFormat::Json => match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    }
    if !report.errors.is_empty() {
        ExitCode::from(2)
    } else if report.failed > 0 {
        ExitCode::from(1)
    } else if report.cases.is_empty() {
        eprintln!("error: no PolicyTest cases or *_test.rego tests found under the given paths");
        ExitCode::from(2)
    } else {
        ExitCode::from(0)
    }
}

/// The policies of `--policy` and of the configuration's `policies:`.
pub fn entries(cli: &[PathBuf], config: &Config) -> Vec<PolicyEntry> {
    let mut v: Vec<PolicyEntry> = config
        .policies
        .iter()
        .map(|p| p.entry(config.file.as_deref()))
        .collect();
    v.extend(cli.iter().map(|p| PolicyEntry {
        path: p.display().to_string(),
        ..Default::default()
    }));
    v
}

fn input_error(e: PolicyError) -> InputError {
    InputError {
        file: e.file,
        line: e.line,
        column: None,
        message: format!("policy: {}", e.message),
    }
}

/// Load the policies and give them the objects of the inputs they read
/// (VAP parameters, Gatekeeper's `data.inventory`); the engine then runs
/// them beside the rules. Load errors are input errors: the other
/// policies still run.
pub fn attach(
    engine: Engine,
    entries: &[PolicyEntry],
    files: &[SourceFile],
) -> (Engine, Option<Arc<PolicySet>>, Vec<InputError>) {
    attach_with(engine, entries, &|e, keep| {
        e.visit(files, false, &|o, _| {
            if keep(o) {
                vec![o.root.to_json()]
            } else {
                vec![]
            }
        })
        .items
    })
}

/// [`attach`] for objects already in memory (read from a cluster).
pub fn attach_objects(
    engine: Engine,
    entries: &[PolicyEntry],
    objects: &[Object],
) -> (Engine, Option<Arc<PolicySet>>, Vec<InputError>) {
    attach_with(engine, entries, &|_, keep| {
        objects
            .iter()
            .filter(|o| keep(o))
            .map(|o| o.root.to_json())
            .collect()
    })
}

/// What the policies may read: the objects `keep` accepts, as JSON.
type Gather<'a> = dyn Fn(&Engine, &(dyn Fn(&Object) -> bool + Sync)) -> Vec<serde_json::Value> + 'a;

fn attach_with(
    engine: Engine,
    entries: &[PolicyEntry],
    gather: &Gather<'_>,
) -> (Engine, Option<Arc<PolicySet>>, Vec<InputError>) {
    if entries.is_empty() {
        return (engine, None, Vec::new());
    }
    let mut set = PolicySet::load(entries, &LoadOptions::default());
    let errors: Vec<InputError> = set.errors.drain(..).map(input_error).collect();
    let objects = match set.needed_resources() {
        Some(kinds) if kinds.is_empty() => Vec::new(),
        Some(kinds) => gather(&engine, &|o: &Object| {
            kinds
                .iter()
                .any(|(av, k)| *av == o.id.api_version && *k == o.id.kind)
        }),
        None => gather(&engine, &|_| true),
    };
    for o in objects {
        set.resources.add(o);
    }
    let set = Arc::new(set);
    (engine.with_dynamic(set.check()), Some(set), errors)
}

/// Errors the policies met while evaluating, as input errors.
pub fn evaluation_errors(set: &Option<Arc<PolicySet>>) -> Vec<InputError> {
    set.as_ref()
        .map(|s| s.evaluation_errors().into_iter().map(input_error).collect())
        .unwrap_or_default()
}

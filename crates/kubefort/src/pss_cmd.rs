//! `kubefort pss`: the focused Pod Security report.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use kubefort_core::config::parse_pss_version;
use kubefort_core::source::{discover, Input};
use kubefort_core::{Engine, InputError};
use kubefort_rules::pss::report::{assess, Assessment, ControlFailure};
use kubefort_rules::pss::{Level, Version};

use crate::{load_config_from, usage_error, write_output, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum PssFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq, PartialOrd, Ord)]
pub enum RequiredLevel {
    Baseline,
    Restricted,
}

#[derive(clap::Args)]
pub struct PssArgs {
    /// Files, directories or - (stdin)
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Policy version to evaluate (vMAJOR.MINOR or latest) [default: latest]
    #[arg(long, value_name = "VERSION")]
    pss_version: Option<String>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: PssFormat,
    /// Write the report to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a pod spec does not meet this level
    #[arg(long, value_enum, value_name = "LEVEL")]
    require: Option<RequiredLevel>,
    /// Configuration file [default: .kubefort.yaml found upward from the working directory]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any configuration file
    #[arg(long)]
    no_config: bool,
}

pub fn run(args: PssArgs) -> ExitCode {
    let config = match load_config_from(args.config.as_deref(), args.no_config) {
        Ok(c) => c,
        Err(e) => return usage_error(format!("configuration: {e}")),
    };
    let version_text = args
        .pss_version
        .clone()
        .or_else(|| config.pss_version.clone())
        .unwrap_or_else(|| "latest".into());
    let version: Version = match parse_pss_version(&version_text) {
        Ok(v) => v.into(),
        Err(e) => return usage_error(e),
    };
    let inputs: Vec<Input> = args.paths.iter().map(|p| Input::parse(p)).collect();
    let discovered = discover(&inputs, &config);
    let engine = Engine::new(Vec::new(), config);
    let visited = engine.visit(&discovered.files, true, &|object, scope| {
        assess(object, scope, version)
    });
    let mut errors: Vec<InputError> = visited.errors;
    errors.extend(discovered.errors);
    errors.sort();
    let mut items = visited.items;
    items.sort_by(|a, b| {
        (&a.file, a.line, &a.pod_spec, &a.object).cmp(&(&b.file, b.line, &b.pod_spec, &b.object))
    });

    let rendered = match args.format {
        PssFormat::Text => text(&items, &errors, version),
        PssFormat::Json => json(&items, &errors, version),
    };
    if let Some(code) = write_output(args.output.as_deref(), &rendered) {
        return code;
    }
    let below = |a: &Assessment| match args.require {
        Some(RequiredLevel::Restricted) => a.level < Level::Restricted,
        Some(RequiredLevel::Baseline) => a.level < Level::Baseline,
        None => false,
    };
    if !errors.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else if items.iter().any(below) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

fn counts(items: &[Assessment]) -> [usize; 3] {
    let mut c = [0; 3];
    for a in items {
        c[a.level as usize] += 1;
    }
    c
}

fn json(items: &[Assessment], errors: &[InputError], version: Version) -> String {
    let [privileged, baseline, restricted] = counts(items);
    let rejected = items
        .iter()
        .filter(|a| {
            a.namespace_policy
                .as_ref()
                .is_some_and(|n| n.verdict == "rejected")
        })
        .count();
    let v = serde_json::json!({
        "version": version.to_string(),
        "pod_specs": items,
        "summary": {
            "pod_specs": items.len(),
            "restricted": restricted,
            "baseline": baseline,
            "privileged": privileged,
            "rejected_by_namespace": rejected,
        },
        "errors": errors,
    });
    let mut s = serde_json::to_string_pretty(&v).expect("serializable");
    s.push('\n');
    s
}

fn failure_line(out: &mut String, f: &ControlFailure) {
    let _ = writeln!(
        out,
        "      {}:{}  {} ({}): {}",
        f.line, f.column, f.reason, f.detail, f.path
    );
}

fn text(items: &[Assessment], errors: &[InputError], version: Version) -> String {
    let mut out = String::new();
    for a in items {
        let _ = writeln!(
            out,
            "{}:{}  {}  {}  {}",
            a.file,
            a.line,
            a.object,
            a.pod_spec,
            match a.level {
                Level::Restricted => "restricted",
                Level::Baseline => "baseline (not restricted)",
                Level::Privileged => "privileged (meets no level)",
            }
        );
        if let Some(ns) = &a.namespace_policy {
            let _ = writeln!(
                out,
                "    namespace {:?}: enforce {}, warn {}, audit {}: {}",
                ns.namespace, ns.enforce, ns.warn, ns.audit, ns.verdict
            );
        }
        if a.level == Level::Privileged {
            let _ = writeln!(out, "    to reach baseline:");
            for f in &a.baseline {
                failure_line(&mut out, f);
            }
            let rest: Vec<&ControlFailure> = a
                .restricted
                .iter()
                .filter(|r| !a.baseline.iter().any(|b| b.check == r.check))
                .collect();
            if !rest.is_empty() {
                let _ = writeln!(out, "    then, to reach restricted:");
                for f in rest {
                    failure_line(&mut out, f);
                }
            }
        } else if a.level == Level::Baseline {
            let _ = writeln!(out, "    to reach restricted:");
            for f in &a.restricted {
                failure_line(&mut out, f);
            }
        }
    }
    for e in errors {
        let _ = writeln!(out, "error: {e}");
    }
    let [privileged, baseline, restricted] = counts(items);
    let _ = writeln!(
        out,
        "{}{} pod {} at Pod Security {version}: {restricted} restricted, {baseline} baseline, {privileged} privileged",
        if items.is_empty() { "" } else { "\n" },
        items.len(),
        if items.len() == 1 { "spec" } else { "specs" },
    );
    out
}

//! `kubefort node`: a node's control-plane and kubelet files, checked with
//! the CIS rules and reported like `scan`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kubefort_core::{select_rules, Engine, Severity};
use kubefort_report::WriteOptions;

use crate::{load_config_from, parse_severity, usage_error, ColorChoice, Format};
use crate::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

#[derive(clap::Args)]
pub struct NodeArgs {
    /// The node's root directory: every path is read under it
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Run only these rules or groups [default: the cis rules that are on by default]
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
    /// Configuration file [default: .kubefort.yaml found upward from the working directory]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any configuration file
    #[arg(long)]
    no_config: bool,
    /// Static pod manifests [default: /etc/kubernetes/manifests]
    #[arg(long, value_name = "DIR")]
    manifests_dir: Option<String>,
    /// PKI directory [default: /etc/kubernetes/pki]
    #[arg(long, value_name = "DIR")]
    pki_dir: Option<String>,
    /// Directory of admin.conf, controller-manager.conf, scheduler.conf, kubelet.conf [default: /etc/kubernetes]
    #[arg(long, value_name = "DIR")]
    kubeconfig_dir: Option<String>,
    /// Kubelet configuration file when the kubelet service does not name one [default: /var/lib/kubelet/config.yaml]
    #[arg(long, value_name = "FILE")]
    kubelet_config: Option<String>,
    /// Directories holding kubelet.service and kubelet.service.d (repeatable) [default: /etc/systemd/system, /run/systemd/system, /usr/local/lib/systemd/system, /usr/lib/systemd/system, /lib/systemd/system]
    #[arg(long, value_name = "DIR")]
    systemd_dir: Vec<String>,
    /// etcd data directory when etcd's --data-dir is not known [default: /var/lib/etcd]
    #[arg(long, value_name = "DIR")]
    etcd_data_dir: Option<String>,
    /// CNI configuration directory [default: /etc/cni/net.d]
    #[arg(long, value_name = "DIR")]
    cni_dir: Option<String>,
    /// kube-proxy kubeconfig [default: /var/lib/kube-proxy/kubeconfig.conf, /etc/kubernetes/proxy.conf]
    #[arg(long, value_name = "FILE")]
    proxy_kubeconfig: Option<String>,
    /// When to use colours in text output
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Also show suppressed findings and fixes
    #[arg(long, short = 'v')]
    verbose: bool,
}

pub fn run(args: NodeArgs) -> ExitCode {
    let mut config = match load_config_from(args.config.as_deref(), args.no_config) {
        Ok(c) => c,
        Err(e) => return usage_error(format!("configuration: {e}")),
    };
    if !args.root.is_dir() {
        return usage_error(format!(
            "--root {}: not a directory; give the node's root directory (default /)",
            args.root.display()
        ));
    }
    let all = kubefort_rules::all();
    // The configuration's `select` is for `scan`; a node is checked with the
    // cis rules unless --select says otherwise.
    let select: Vec<String> = match &args.select {
        Some(s) => s.clone(),
        None => all
            .iter()
            .filter(|r| r.meta.default_enabled && r.meta.groups.contains(&"cis"))
            .map(|r| r.meta.name.to_string())
            .collect(),
    };
    let extend: Vec<String> = config
        .extend_select
        .iter()
        .chain(&args.extend_select)
        .cloned()
        .collect();
    let ignore: Vec<String> = config.ignore.iter().chain(&args.ignore).cloned().collect();
    let rules = match select_rules(&all, Some(&select), &extend, &ignore) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(Severity::Low);
    let p = &mut config.node;
    let set = |field: &mut Option<String>, v: &Option<String>| {
        if v.is_some() {
            field.clone_from(v);
        }
    };
    set(&mut p.manifests_dir, &args.manifests_dir);
    set(&mut p.pki_dir, &args.pki_dir);
    set(&mut p.kubeconfig_dir, &args.kubeconfig_dir);
    set(&mut p.kubelet_config, &args.kubelet_config);
    set(&mut p.etcd_data_dir, &args.etcd_data_dir);
    set(&mut p.cni_dir, &args.cni_dir);
    set(&mut p.proxy_kubeconfig, &args.proxy_kubeconfig);
    if !args.systemd_dir.is_empty() {
        p.systemd_dirs.clone_from(&args.systemd_dir);
    }
    let opts = kubefort_node::Options {
        root: args.root.clone(),
        paths: config.node.clone(),
    };
    config.select = Some(select);
    config.extend_select = extend;
    let collected = kubefort_node::collect(&opts);
    let nothing = collected.found.is_empty() && collected.files.is_empty();
    let missing = collected.missing.clone();
    let engine = Engine::new(rules, config);
    let report = kubefort_node::check(&engine, collected);

    if nothing {
        eprintln!(
            "kubefort node: no Kubernetes node files found under {}: nothing to check (looked for {})",
            args.root.display(),
            if missing.is_empty() {
                "kubeadm's default paths".to_string()
            } else {
                missing.join(", ")
            }
        );
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let opts = WriteOptions {
        fail_on,
        color,
        verbose: args.verbose,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    let mut rendered = match args.format {
        Format::Text => kubefort_report::text::write(&report, &opts),
        Format::Json => kubefort_report::json::write(&report, &opts),
        Format::Sarif => kubefort_report::sarif::write(&report, &opts),
        Format::Junit => kubefort_report::junit::write(&report, &opts),
        Format::Policyreport => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let mut buf = Vec::new();
            let _ = kubefort_report::policyreport::write_to(&report, now, &mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    if nothing && matches!(args.format, Format::Text) {
        rendered = format!(
            "No Kubernetes node files found under {}: nothing to check.\n{rendered}",
            args.root.display()
        );
    }
    let written = match &args.output {
        Some(path) => std::fs::write(path, rendered.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out
                .write_all(rendered.as_bytes())
                .and_then(|()| out.flush())
            {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write to standard output: {e}"))
                }
                _ => Ok(()),
            }
        }
    };
    if let Err(e) = written {
        eprintln!("error: {e}");
        return ExitCode::from(EXIT_ERROR);
    }
    if !report.errors.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else if kubefort_report::fails(&report, fail_on) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

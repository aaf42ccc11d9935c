//! `kubefort node`: a node's control-plane and kubelet files, checked with
//! the CIS rules and reported like `scan`.

use std::path::PathBuf;
use std::process::ExitCode;

use kubefort_core::{select_rules, Engine, Severity};

use crate::{load_config_from, usage_error, RunArgs};

#[derive(clap::Args)]
pub struct NodeArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The node's root directory: every path is read under it
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
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
}

pub fn run(args: NodeArgs) -> ExitCode {
    let mut config = match load_config_from(args.run.config.as_deref(), args.run.no_config) {
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
    let select: Vec<String> = match &args.run.select {
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
        .chain(&args.run.extend_select)
        .cloned()
        .collect();
    let ignore: Vec<String> = config
        .ignore
        .iter()
        .chain(&args.run.ignore)
        .cloned()
        .collect();
    let rules = match select_rules(&all, Some(&select), &extend, &ignore) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let fail_on = args.run.fail_on.or(config.fail_on).unwrap_or(Severity::Low);
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
    crate::emit(&report, &args.run, fail_on, Vec::new())
}

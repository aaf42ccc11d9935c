//! `kubefort webhook`: the validating admission webhook, and `webhook init`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use kubefort_admission::init::{generate, service_names, webhook_configuration, WebhookSpec};
use kubefort_admission::{server, Policy, RunConfig};

use crate::{print_stdout, usage_error, EXIT_ERROR};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct WebhookArgs {
    #[command(subcommand)]
    command: Option<WebhookCommand>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Generate a CA and serving certificate, and print the ValidatingWebhookConfiguration
    Init(InitArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// User policies to enforce beside the rules: Rego, Gatekeeper templates and constraints, ValidatingAdmissionPolicies (repeatable)
    #[arg(long, value_name = "PATH")]
    policy: Vec<PathBuf>,
    /// Serving certificate (PEM, chain first); reloaded when the file changes
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// Private key of the serving certificate (PEM)
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Address to listen on
    #[arg(long, default_value = "0.0.0.0:8443", value_name = "ADDR")]
    addr: SocketAddr,
    /// Webhook configuration: modes, exemptions, and any .kubefort.yaml setting (docs/webhook.md)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Kubeconfig for reading namespace labels [default: in-cluster, or KUBECONFIG]
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Largest request body, in bytes
    #[arg(long, default_value_t = 7 * 1024 * 1024, value_name = "BYTES")]
    max_body_size: usize,
    /// Reviews decided at once; more wait up to 2 s, then get 503
    #[arg(long, default_value_t = 256, value_name = "N")]
    max_in_flight: usize,
    /// Seconds to keep serving after SIGTERM while /readyz fails
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    shutdown_delay: u64,
    /// Seconds in-flight requests may take to finish at shutdown
    #[arg(long, default_value_t = 25, value_name = "SECONDS")]
    drain_timeout: u64,
    /// Seconds between checks of the certificate files for a change
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    reload_interval: u64,
    /// Worker threads [default: one per core]
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailurePolicy {
    Fail,
    Ignore,
}

#[derive(Args)]
struct InitArgs {
    /// Namespace the webhook runs in (never reviewed, so it cannot lock itself out)
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    namespace: String,
    /// Name of the webhook's Service
    #[arg(long, default_value = "kubefort-webhook", value_name = "NAME")]
    service: String,
    /// Port of the Service
    #[arg(long, default_value_t = 443, value_name = "PORT")]
    port: u16,
    /// Name of the ValidatingWebhookConfiguration
    #[arg(long, default_value = "kubefort", value_name = "NAME")]
    name: String,
    /// Reach the webhook at this https URL instead of the Service (its host is added to the certificate)
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// More DNS names or IP addresses for the serving certificate
    #[arg(long = "san", value_name = "NAME")]
    sans: Vec<String>,
    /// What the API server does with namespaced objects when the webhook cannot be reached
    #[arg(long, value_enum, default_value = "fail")]
    failure_policy: FailurePolicy,
    /// How long the API server waits for a decision (1-30)
    #[arg(long, default_value_t = 5, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..=30))]
    timeout_seconds: u32,
    /// Directory to write ca.crt, ca.key, tls.crt and tls.key into
    #[arg(long, default_value = ".", value_name = "DIR")]
    out_dir: PathBuf,
}

pub fn run(args: WebhookArgs) -> ExitCode {
    match args.command {
        Some(WebhookCommand::Init(a)) => init(a),
        None => serve(args.serve),
    }
}

fn serve(a: ServeArgs) -> ExitCode {
    let (Some(cert), Some(key)) = (a.cert, a.key) else {
        return usage_error(
            "kubefort webhook needs --cert FILE and --key FILE (`kubefort webhook init` generates them)",
        );
    };
    let policy = match &a.config {
        Some(p) => match Policy::load(p) {
            Ok(p) => p,
            Err(e) => return usage_error(format!("configuration: {e}")),
        },
        None => Policy::default(),
    };
    // User policies from --policy and the configuration's `policies:`: a
    // policy that does not load stops the start, so that nothing runs
    // with half its rules.
    let entries = crate::policy_cmd::entries(&a.policy, &policy.scan);
    let mut dynamic: Vec<std::sync::Arc<dyn kubefort_core::DynamicCheck>> = Vec::new();
    if !entries.is_empty() {
        let set = kubefort_policy::PolicySet::load(&entries, &Default::default());
        if !set.errors.is_empty() {
            for e in &set.errors {
                eprintln!("error: policy: {e}");
            }
            return ExitCode::from(crate::EXIT_ERROR);
        }
        dynamic.push(std::sync::Arc::new(set).check());
    }
    let options = server::Options {
        max_body_bytes: a.max_body_size,
        max_in_flight: a.max_in_flight,
        shutdown_delay: Duration::from_secs(a.shutdown_delay),
        drain_timeout: Duration::from_secs(a.drain_timeout),
        reload_interval: Duration::from_secs(a.reload_interval.max(1)),
        ..Default::default()
    };
    match kubefort_admission::run(RunConfig {
        addr: a.addr,
        cert,
        key,
        policy,
        options,
        kubeconfig: a.kubeconfig,
        threads: a.threads,
        dynamic,
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn init(a: InitArgs) -> ExitCode {
    let mut names = service_names(&a.service, &a.namespace);
    if let Some(url) = &a.url {
        let Some(rest) = url.strip_prefix("https://") else {
            return usage_error(format!(
                "--url {url}: the API server calls webhooks over https://"
            ));
        };
        let host = rest.split(['/', '?']).next().unwrap_or_default();
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host.rsplit_once(':').map_or(host, |(h, _)| h),
        };
        if host.is_empty() {
            return usage_error(format!("--url {url}: no host"));
        }
        names.insert(0, host.to_string());
    }
    names.extend(a.sans.iter().cloned());
    let certs = match generate(&names) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    if let Err(e) = std::fs::create_dir_all(&a.out_dir) {
        return usage_error(format!("cannot create {}: {e}", a.out_dir.display()));
    }
    for (file, text, private) in [
        ("ca.crt", &certs.ca_cert, false),
        ("ca.key", &certs.ca_key, true),
        ("tls.crt", &certs.cert, false),
        ("tls.key", &certs.key, true),
    ] {
        let path = a.out_dir.join(file);
        if let Err(e) = write_file(&path, text, private) {
            return usage_error(format!("cannot write {}: {e}", path.display()));
        }
    }
    let spec = WebhookSpec {
        name: a.name,
        namespace: a.namespace.clone(),
        service: a.service.clone(),
        port: a.port,
        url: a.url,
        failure_policy: match a.failure_policy {
            FailurePolicy::Fail => "Fail".into(),
            FailurePolicy::Ignore => "Ignore".into(),
        },
        timeout_seconds: a.timeout_seconds,
        ca_pem: certs.ca_cert,
    };
    let d = a.out_dir.display();
    eprintln!(
        "wrote {d}/ca.crt, {d}/ca.key, {d}/tls.crt and {d}/tls.key (certificate for {}).\n\
         Store the serving pair for the webhook, then apply the configuration printed below:\n  \
         kubectl -n {} create secret tls {}-tls --cert={d}/tls.crt --key={d}/tls.key",
        names.join(", "),
        a.namespace,
        a.service,
    );
    print_stdout(&webhook_configuration(&spec))
}

fn write_file(path: &std::path::Path, text: &str, private: bool) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(if private { 0o600 } else { 0o644 })
            .open(path)?;
        f.write_all(text.as_bytes())
    }
    #[cfg(not(unix))]
    {
        let _ = private;
        std::fs::write(path, text)
    }
}

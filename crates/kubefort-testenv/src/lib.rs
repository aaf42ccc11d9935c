//! A real Kubernetes control plane for tests: etcd and kube-apiserver on
//! loopback, with random free ports, a temporary directory, a generated CA
//! and serving certificate, a service-account signing key, an admin identity
//! in `system:masters`, any other identity on demand (client certificates
//! signed by the test CA), `--authorization-mode=Node,RBAC`, and an audit
//! log. Everything stops when the [`TestEnv`] is dropped, also when a test
//! panics; the child processes also die with the test process
//! (`PR_SET_PDEATHSIG`).
//!
//! The binaries come from `scripts/testenv.sh` (built once from the Go module
//! proxy and cached outside the repository); `KUBEFORT_TESTENV_BIN` names
//! another directory holding `etcd` and `kube-apiserver`.

use std::fmt;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kube::config::{KubeConfigOptions, Kubeconfig};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// Why the environment could not start.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn err(context: &str, e: impl fmt::Display) -> Error {
    Error(format!("{context}: {e}"))
}

/// The default audit policy: every request at `RequestResponse` level except
/// reads of events and the API server's own health checks, so tests see
/// request and response objects as real clusters log them.
pub const DEFAULT_AUDIT_POLICY: &str = r#"apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version"]
- level: None
  resources:
  - group: ""
    resources: ["events"]
- level: RequestResponse
"#;

/// How to start the environment.
#[derive(Clone, Debug)]
pub struct Options {
    /// Audit policy (YAML); [`DEFAULT_AUDIT_POLICY`] by default.
    pub audit_policy: String,
    /// A kubeconfig file for the audit webhook backend (`--audit-webhook-config-file`).
    pub audit_webhook: Option<PathBuf>,
    /// Admission plugins to disable. By default `ServiceAccount`: no
    /// controller-manager runs to create each namespace's `default` account.
    pub disable_admission_plugins: Vec<String>,
    /// More kube-apiserver flags.
    pub extra_args: Vec<String>,
    /// How long to wait for `/readyz`.
    pub ready_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            audit_policy: DEFAULT_AUDIT_POLICY.to_string(),
            audit_webhook: None,
            disable_admission_plugins: vec!["ServiceAccount".into()],
            extra_args: Vec::new(),
            ready_timeout: Duration::from_secs(90),
        }
    }
}

/// A running etcd and kube-apiserver.
pub struct TestEnv {
    dir: tempfile::TempDir,
    etcd: Option<Child>,
    apiserver: Option<Child>,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    ca_cert_pem: String,
    ca_params: CertificateParams,
    ca_key_pem: String,
    /// Kubeconfig of the admin identity (`system:masters`).
    pub kubeconfig: PathBuf,
    /// The audit log the API server writes (JSON lines).
    pub audit_log: PathBuf,
}

/// The directory holding `etcd` and `kube-apiserver`: `KUBEFORT_TESTENV_BIN`,
/// or what `scripts/testenv.sh` builds (once) and prints.
pub fn binaries() -> Result<PathBuf, Error> {
    if let Some(d) = std::env::var_os("KUBEFORT_TESTENV_BIN") {
        return Ok(PathBuf::from(d));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/testenv.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| err(&format!("running {}", script.display()), e))?;
    if !out.status.success() {
        return Err(Error(format!(
            "{} failed (it needs Go and the Go module proxy)",
            script.display()
        )));
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    ))
}

fn free_port() -> Result<u16, Error> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| err("finding a free port", e))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| err("finding a free port", e))
}

/// A child that dies with this process.
fn spawn(bin: &Path, args: &[String], log: &Path) -> Result<Child, Error> {
    let log_file = std::fs::File::create(log).map_err(|e| err("creating a log file", e))?;
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().map_err(|e| err("log file", e))?)
        .stderr(log_file);
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
        .map_err(|e| err(&format!("starting {}", bin.display()), e))
}

fn key_pem(k: &KeyPair) -> String {
    k.serialize_pem()
}

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl TestEnv {
    /// Start etcd and kube-apiserver and wait until the API server is ready.
    pub async fn start(opts: Options) -> Result<TestEnv, Error> {
        let bin = binaries()?;
        let dir = tempfile::Builder::new()
            .prefix("kubefort-testenv-")
            .tempdir()
            .map_err(|e| err("creating a temporary directory", e))?;
        let d = dir.path();
        let write = |name: &str, text: &str| -> Result<PathBuf, Error> {
            let p = d.join(name);
            std::fs::write(&p, text).map_err(|e| err(&format!("writing {name}"), e))?;
            Ok(p)
        };

        // Certificates: a CA, the serving certificate, the admin client.
        let ca_key = KeyPair::generate().map_err(|e| err("CA key", e))?;
        let mut ca_params =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| err("CA", e))?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "kubefort-testenv-ca");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params
            .self_signed(&ca_key)
            .map_err(|e| err("CA certificate", e))?;
        let ca_cert_pem = ca_cert.pem();
        let ca_key_pem = key_pem(&ca_key);
        let issuer = Issuer::new(ca_params.clone(), ca_key);

        let serving_key = KeyPair::generate().map_err(|e| err("serving key", e))?;
        let mut serving = CertificateParams::new(vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
            "kubernetes.default.svc".to_string(),
        ])
        .map_err(|e| err("serving certificate", e))?;
        serving
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let serving_cert = serving
            .signed_by(&serving_key, &issuer)
            .map_err(|e| err("serving certificate", e))?;

        let sa_key = KeyPair::generate().map_err(|e| err("service-account key", e))?;

        let ca_file = write("ca.crt", &ca_cert_pem)?;
        let serving_cert_file = write("apiserver.crt", &serving_cert.pem())?;
        let serving_key_file = write("apiserver.key", &key_pem(&serving_key))?;
        let sa_key_file = write("sa.key", &key_pem(&sa_key))?;
        let sa_pub_file = write("sa.pub", &sa_key.public_key_pem())?;
        let audit_policy = write("audit-policy.yaml", &opts.audit_policy)?;
        let audit_log = d.join("audit.log");

        // etcd.
        let etcd_port = free_port()?;
        let peer_port = free_port()?;
        let etcd_url = format!("http://127.0.0.1:{etcd_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let etcd = spawn(
            &bin.join("etcd"),
            &[
                "--name=testenv".into(),
                format!("--data-dir={}", d.join("etcd").display()),
                format!("--listen-client-urls={etcd_url}"),
                format!("--advertise-client-urls={etcd_url}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster=testenv={peer_url}"),
                "--unsafe-no-fsync=true".into(),
                "--log-level=warn".into(),
            ],
            &d.join("etcd.log"),
        )?;

        let port = free_port()?;
        let url = format!("https://127.0.0.1:{port}");
        let mut args = vec![
            format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={port}"),
            format!("--cert-dir={}", d.join("certs").display()),
            format!("--tls-cert-file={}", serving_cert_file.display()),
            format!("--tls-private-key-file={}", serving_key_file.display()),
            format!("--client-ca-file={}", ca_file.display()),
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
            format!("--service-account-key-file={}", sa_pub_file.display()),
            format!(
                "--service-account-signing-key-file={}",
                sa_key_file.display()
            ),
            "--service-cluster-ip-range=10.96.0.0/16".into(),
            "--authorization-mode=Node,RBAC".into(),
            "--anonymous-auth=false".into(),
            // Loopback is not a valid endpoint for the kubernetes Service.
            "--endpoint-reconciler-type=none".into(),
            format!("--audit-policy-file={}", audit_policy.display()),
            format!("--audit-log-path={}", audit_log.display()),
            "--audit-log-format=json".into(),
        ];
        if !opts.disable_admission_plugins.is_empty() {
            args.push(format!(
                "--disable-admission-plugins={}",
                opts.disable_admission_plugins.join(",")
            ));
        }
        if let Some(w) = &opts.audit_webhook {
            args.push(format!("--audit-webhook-config-file={}", w.display()));
            args.push("--audit-webhook-batch-max-wait=1s".into());
        }
        args.extend(opts.extra_args.iter().cloned());
        let apiserver = spawn(&bin.join("kube-apiserver"), &args, &d.join("apiserver.log"))?;

        let mut env = TestEnv {
            kubeconfig: d.join("admin.kubeconfig"),
            dir,
            etcd: Some(etcd),
            apiserver: Some(apiserver),
            url,
            ca_cert_pem,
            ca_params,
            ca_key_pem,
            audit_log,
        };
        let admin = env.kubeconfig_for("kubefort-admin", &["system:masters"])?;
        std::fs::write(&env.kubeconfig, admin).map_err(|e| err("writing the kubeconfig", e))?;
        env.wait_ready(opts.ready_timeout).await?;
        Ok(env)
    }

    /// The process ID of the running kube-apiserver (its command line is in
    /// `/proc/PID/cmdline`).
    pub fn apiserver_pid(&self) -> Option<u32> {
        self.apiserver.as_ref().map(Child::id)
    }

    /// The temporary directory (certificates, logs, etcd data).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The CA certificate (PEM) that signed the serving and client certificates.
    pub fn ca_pem(&self) -> &str {
        &self.ca_cert_pem
    }

    /// A kubeconfig (YAML) authenticating as `user` in `groups` with a
    /// client certificate signed by the test CA.
    pub fn kubeconfig_for(&self, user: &str, groups: &[&str]) -> Result<String, Error> {
        let key = KeyPair::generate().map_err(|e| err("client key", e))?;
        let mut p = CertificateParams::new(Vec::<String>::new()).map_err(|e| err("client", e))?;
        p.distinguished_name.push(DnType::CommonName, user);
        for g in groups {
            p.distinguished_name.push(DnType::OrganizationName, *g);
        }
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let ca_key = KeyPair::from_pem(&self.ca_key_pem).map_err(|e| err("CA key", e))?;
        let issuer = Issuer::new(self.ca_params.clone(), ca_key);
        let cert = p
            .signed_by(&key, &issuer)
            .map_err(|e| err("client certificate", e))?;
        Ok(format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: testenv\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca}\nusers:\n- name: {user:?}\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\ncontexts:\n- name: testenv\n  context:\n    cluster: testenv\n    user: {user:?}\ncurrent-context: testenv\n",
            url = self.url,
            ca = b64(self.ca_cert_pem.as_bytes()),
            cert = b64(cert.pem().as_bytes()),
            key = b64(key.serialize_pem().as_bytes()),
        ))
    }

    /// A client authenticated as the admin (`system:masters`).
    pub async fn client(&self) -> Result<kube::Client, Error> {
        let text = std::fs::read_to_string(&self.kubeconfig).map_err(|e| err("kubeconfig", e))?;
        client_from(&text).await
    }

    /// A client authenticated as `user` in `groups` (plus
    /// `system:authenticated`, which the API server adds).
    pub async fn client_as(&self, user: &str, groups: &[&str]) -> Result<kube::Client, Error> {
        client_from(&self.kubeconfig_for(user, groups)?).await
    }

    /// The API server's log so far, for failure messages.
    pub fn apiserver_log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir().join("apiserver.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    async fn wait_ready(&mut self, timeout: Duration) -> Result<(), Error> {
        let client = self.client().await?;
        let started = Instant::now();
        loop {
            if let Some(child) = self.apiserver.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(Error(format!(
                        "kube-apiserver exited with {status}:\n{}",
                        tail(&self.apiserver_log(), 40)
                    )));
                }
            }
            let req = http::Request::get("/readyz")
                .body(Vec::new())
                .map_err(|e| err("request", e))?;
            if let Ok(body) = client.request_text(req).await {
                if body.trim() == "ok" {
                    return Ok(());
                }
            }
            if started.elapsed() > timeout {
                return Err(Error(format!(
                    "kube-apiserver not ready after {timeout:?}:\n{}",
                    tail(&self.apiserver_log(), 40)
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

async fn client_from(kubeconfig: &str) -> Result<kube::Client, Error> {
    let kc = Kubeconfig::from_yaml(kubeconfig).map_err(|e| err("kubeconfig", e))?;
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .map_err(|e| err("client configuration", e))?;
    kube::Client::try_from(config).map_err(|e| err("client", e))
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        for child in [self.apiserver.take(), self.etcd.take()]
            .into_iter()
            .flatten()
        {
            let mut child = child;
            // SIGTERM, a moment to exit, then SIGKILL.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(50))
                    }
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::b64;

    #[test]
    fn base64() {
        assert_eq!(b64(b""), "");
        assert_eq!(b64(b"f"), "Zg==");
        assert_eq!(b64(b"fo"), "Zm8=");
        assert_eq!(b64(b"foo"), "Zm9v");
        assert_eq!(b64(b"foobar"), "Zm9vYmFy");
    }
}

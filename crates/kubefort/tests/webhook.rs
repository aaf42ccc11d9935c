//! `kubefort webhook init` and `kubefort webhook` as a process: certificates,
//! the printed configuration, startup errors, and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn kubefort() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubefort"))
}

#[test]
fn init_then_serve_then_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let out = kubefort()
        .args([
            "webhook",
            "init",
            "--namespace",
            "sec",
            "--san",
            "127.0.0.1",
            "--failure-policy",
            "ignore",
            "--out-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(
        yaml.starts_with(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\n"
        ),
        "{yaml}"
    );
    assert!(
        yaml.contains("failurePolicy: Ignore")
            && yaml.contains("namespace: sec")
            && yaml.contains("values: [\"kube-system\", \"sec\"]"),
        "{yaml}"
    );
    for f in ["ca.crt", "ca.key", "tls.crt", "tls.key"] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("tls.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let mut child = kubefort()
        .args(["webhook", "--addr", "127.0.0.1:0", "--kubeconfig"])
        .arg(dir.path().join("missing-kubeconfig"))
        .arg("--cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--key")
        .arg(dir.path().join("tls.key"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // An explicit kubeconfig that cannot be read is an error, not a silent fallback.
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));

    let config = dir.path().join("webhook.yaml");
    std::fs::write(&config, "webhook:\n  namespace-labels: false\n").unwrap();
    let mut child = kubefort()
        .args(["webhook", "--addr", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--key")
        .arg(dir.path().join("tls.key"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("kubefort webhook: listening on https://127.0.0.1:"),
        "{first}"
    );
    let port: u16 = first
        .split("127.0.0.1:")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

#[test]
fn usage_errors() {
    let out = kubefort().arg("webhook").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --cert FILE and --key FILE"));
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.crt");
    let out = kubefort()
        .args(["webhook", "--cert"])
        .arg(&missing)
        .arg("--key")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read the certificate") && err.contains("nope.crt"),
        "{err}"
    );
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "webhook:\n  enforce: loud\n").unwrap();
    let out = kubefort()
        .args(["webhook", "--cert", "x", "--key", "x", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a threshold"));
    let out = kubefort()
        .args(["webhook", "init", "--namespace", "x", "--url", "http://h:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));
}

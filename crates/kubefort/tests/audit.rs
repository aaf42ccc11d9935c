//! `kubefort audit` end to end over the committed sample of real audit
//! events (examples/audit/audit.log, written by a real kube-apiserver):
//! formats, exit codes, selection, exceptions, standard input, following a
//! file, bad input, and the rules reference in docs/audit.md.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const SAMPLE: &str = "examples/audit/audit.log";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kubefort() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubefort"));
    c.current_dir(root()).env("CI", "true").env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> Output {
    kubefort().args(args).output().expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_alerts(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn text_report_with_summary_and_exit_code() {
    let o = run(&["audit", "--no-config", SAMPLE]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "CRITICAL audit-anonymous-binding: mallory created binding public-pods of ClusterRole public-pods to Group system:unauthenticated",
        "audit-pod-exec: eve ran `cat /var/run/secrets/kubernetes.io/serviceaccount/token` in pod shop/cart-1",
        "impersonator=mallory",
        "at examples/audit/audit.log:",
        "\nSummary\n",
        "audit-forbidden-burst",
    ] {
        assert!(out.contains(needle), "{needle:?} not in:\n{out}");
    }
    // Quiet on the API server's, the kubelet's and the controller's traffic.
    for quiet in [
        "system:apiserver",
        "system:node:node-1",
        "system:kube-controller-manager",
    ] {
        assert!(
            !out.contains(&format!("user={quiet} ")),
            "{quiet} reported:\n{out}"
        );
    }
}

#[test]
fn json_lines_carry_every_field() {
    let o = run(&["audit", "--no-config", "--format", "json", SAMPLE]);
    assert_eq!(o.status.code(), Some(1));
    let alerts = json_alerts(&o);
    assert!(alerts.len() >= 20, "{}", alerts.len());
    for a in &alerts {
        for key in [
            "version",
            "rule",
            "severity",
            "message",
            "mitre",
            "auditID",
            "time",
            "user",
            "groups",
            "sourceIPs",
            "userAgent",
            "verb",
            "resource",
            "requestURI",
            "responseCode",
            "source",
        ] {
            assert!(a.get(key).is_some(), "{key} missing in {a}");
        }
        assert_eq!(a["version"], 1);
    }
    let imp = alerts
        .iter()
        .find(|a| a["rule"] == "audit-impersonation")
        .unwrap();
    assert_eq!(imp["impersonator"], "mallory");
    assert_eq!(imp["user"], "jane");
    // The summary goes to standard error, so standard output stays JSON lines.
    assert!(stderr(&o).contains("Summary"));
}

#[test]
fn fail_on_and_selection() {
    let o = run(&[
        "audit",
        "--no-config",
        "--select",
        "audit-pod-exec",
        "--fail-on",
        "medium",
        SAMPLE,
    ]);
    // The exec attempt failed (no kubelet): reported at low.
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("audit-pod-exec"));
    let o = run(&["audit", "--no-config", "--ignore", "audit", SAMPLE]);
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["audit", "--no-config", "--select", "no-such-rule", SAMPLE]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown audit rule"), "{}", stderr(&o));
    let o = run(&["audit", "--no-config"]);
    assert_eq!(o.status.code(), Some(2));
    // Off-by-default rules can be selected.
    let o = run(&[
        "audit",
        "--no-config",
        "--format",
        "json",
        "--select",
        "audit-admin-activity",
        SAMPLE,
    ]);
    let alerts = json_alerts(&o);
    assert!(!alerts.is_empty() && alerts.iter().all(|a| a["user"] == "kubefort-admin"));
}

#[test]
fn exceptions_from_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kubefort.yaml");
    std::fs::write(
        &cfg,
        "audit:\n  exceptions:\n  - rules: [audit-pod-exec, audit-pod-port-forward, audit-ephemeral-container]\n    users: [eve]\n    reason: developers debug\n  known-controllers: [\"mallory\"]\n",
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let o = run(&["audit", "--config", cfg, "--format", "json", SAMPLE]);
    let alerts = json_alerts(&o);
    assert!(!alerts.iter().any(|a| a["rule"] == "audit-pod-exec"));
    assert!(
        !alerts.iter().any(|a| a["user"] == "mallory"),
        "known controllers are trusted"
    );
    assert!(stderr(&o).contains("suppressed by exceptions"));
    let o = run(&[
        "audit",
        "--config",
        cfg,
        "--format",
        "json",
        "--verbose",
        SAMPLE,
    ]);
    let exec = json_alerts(&o)
        .into_iter()
        .find(|a| a["rule"] == "audit-pod-exec")
        .expect("shown with --verbose");
    assert_eq!(exec["suppressed"], "developers debug");

    std::fs::write(dir.path().join("bad.yaml"), "audit:\n  exeptions: []\n").unwrap();
    let o = run(&[
        "audit",
        "--config",
        dir.path().join("bad.yaml").to_str().unwrap(),
        SAMPLE,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("exeptions"), "{}", stderr(&o));
}

#[test]
fn standard_input_gives_the_same_alerts() {
    let file = json_alerts(&run(&["audit", "--no-config", "--format", "json", SAMPLE]));
    let mut child = kubefort()
        .args(["audit", "--no-config", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let data = std::fs::read(root().join(SAMPLE)).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || stdin.write_all(&data));
    let o = child.wait_with_output().unwrap();
    let piped = json_alerts(&o);
    assert_eq!(piped.len(), file.len());
    assert_eq!(piped[0]["source"]["file"], "<stdin>");
}

#[test]
fn bad_lines_are_reported_with_their_line_and_the_rest_is_judged() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(root().join(SAMPLE)).unwrap();
    let good = sample
        .lines()
        .find(|l| l.contains("\"root-me\"") && l.contains("\"create\""))
        .unwrap();
    let huge = format!(
        "{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"requestURI\":\"{}\"}}",
        "x".repeat(5000)
    );
    let text = format!(
        "{good}\n{{\"kind\":\"Event\",\"apiVersion\":\n not json at all\n{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1beta1\"}}\n{huge}\n\n\u{0}\u{ff}\n{good}"
    );
    let log = dir.path().join("broken.log");
    std::fs::write(&log, text.replace('\u{ff}', "")).unwrap();
    let mut bytes = std::fs::read(&log).unwrap();
    // An invalid UTF-8 byte on line 7.
    let pos = bytes.iter().position(|b| *b == 0).unwrap();
    bytes[pos] = 0xff;
    std::fs::write(&log, bytes).unwrap();
    let name = log.to_str().unwrap();
    let o = run(&[
        "audit",
        "--no-config",
        "--max-event-size",
        "4096",
        "--select",
        "audit-privileged-pod",
        name,
    ]);
    assert_eq!(o.status.code(), Some(2), "input errors exit 2");
    let err = stderr(&o);
    for needle in [
        format!("{name}:2: truncated JSON"),
        format!("{name}:3: not valid JSON"),
        format!("{name}:4: unsupported apiVersion \"audit.k8s.io/v1beta1\""),
        format!(
            "{name}:5: event of {} bytes skipped: larger than the limit of 4096 bytes",
            huge.len()
        ),
        format!("{name}:7: not UTF-8"),
    ] {
        assert!(err.contains(&needle), "{needle:?} not in:\n{err}");
    }
    // Both good lines were judged, the one after the bad lines too.
    let out = stdout(&o);
    assert!(out.contains(&format!("{name}:1\n")), "{out}");
    assert!(out.contains(&format!("{name}:8\n")), "{out}");
    assert!(out.contains("4 invalid, 1 over the size limit"), "{out}");
}

#[test]
fn gzip_rotated_logs_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("audit-2026-11-25T10-00-00.000.log.gz");
    let status = Command::new("gzip")
        .arg("-c")
        .arg(root().join(SAMPLE))
        .stdout(std::fs::File::create(&gz).unwrap())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("gzip not available; the library test covers compressed logs");
        return;
    }
    let plain = json_alerts(&run(&["audit", "--no-config", "--format", "json", SAMPLE]));
    let zipped = json_alerts(&run(&[
        "audit",
        "--no-config",
        "--format",
        "json",
        gz.to_str().unwrap(),
    ]));
    assert_eq!(plain.len(), zipped.len());
}

#[test]
fn follow_reports_events_as_the_file_grows() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    std::fs::write(&log, "").unwrap();
    let mut child = kubefort()
        .args([
            "audit",
            "--no-config",
            "--format",
            "json",
            "--follow",
            log.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sample = std::fs::read_to_string(root().join(SAMPLE)).unwrap();
    let line = sample
        .lines()
        .find(|l| l.contains("\"mallory-admin\"") && l.contains("\"create\""))
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    // Written in two parts: a line is judged when it is complete.
    let (a, b) = line.split_at(line.len() / 2);
    f.write_all(a.as_bytes()).unwrap();
    f.flush().unwrap();
    std::thread::sleep(Duration::from_millis(400));
    f.write_all(format!("{b}\n").as_bytes()).unwrap();
    f.flush().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            if tx.send(l.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let got = rx.recv_timeout(Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    let got = got.expect("an alert while following");
    assert!(got.contains("audit-cluster-admin-binding"), "{got}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn rules_listing_and_docs_are_in_sync() {
    let o = run(&["audit", "rules", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let rules: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(rules.len() >= 30);
    for r in &rules {
        assert!(r["mitre"].as_array().is_some_and(|m| !m.is_empty()), "{r}");
        assert!(r["falco"].is_array());
        assert!(r["docs"].as_str().unwrap().contains("## False positives"));
    }
    let md = stdout(&run(&["audit", "rules", "--format", "markdown"]));
    let doc = std::fs::read_to_string(root().join("docs/audit.md")).unwrap_or_default();
    let marker = "<!-- generated: kubefort audit rules --format markdown -->\n";
    let generated = doc.split_once(marker).map(|(_, g)| g).unwrap_or("");
    assert!(
        generated == md,
        "docs/audit.md is out of date: replace everything after the marker line with the output of `cargo run -q -- audit rules --format markdown`"
    );
}

#[test]
fn serve_explains_unusable_certificates() {
    let o = run(&[
        "audit",
        "serve",
        "--no-config",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        "no/such/tls.crt",
        "--tls-key",
        "no/such/tls.key",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/tls.crt"), "{}", stderr(&o));
}

#[test]
fn learn_then_judge_against_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("baseline.json");
    let o = run(&["audit", "learn", SAMPLE, "-o", b.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("learned "), "{}", stderr(&o));
    let base: Value = serde_json::from_str(&std::fs::read_to_string(&b).unwrap()).unwrap();
    assert_eq!(base["version"], 1);
    assert!(
        base["identities"]["system:serviceaccount:shop:cart"]["actions"]["get secrets shop"]
            ["count"]
            .as_u64()
            >= Some(2)
    );
    // The history itself holds nothing new.
    let o = run(&[
        "audit",
        "--no-config",
        "--format",
        "json",
        "--select",
        "audit-baseline-anomaly",
        "--baseline",
        b.to_str().unwrap(),
        SAMPLE,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(json_alerts(&o).is_empty());
    // A new action of a known identity is.
    let sample = std::fs::read_to_string(root().join(SAMPLE)).unwrap();
    let line = sample
        .lines()
        .find(|l| {
            l.contains("\"username\":\"system:serviceaccount:shop:cart\"")
                && l.contains("cart-config")
        })
        .unwrap()
        .replace("\"verb\":\"get\"", "\"verb\":\"list\"")
        .replace("\"resource\":\"configmaps\"", "\"resource\":\"secrets\"");
    let log = dir.path().join("new.log");
    std::fs::write(&log, format!("{line}\n")).unwrap();
    let o = run(&[
        "audit",
        "--no-config",
        "--format",
        "json",
        "--select",
        "audit-baseline-anomaly",
        "--baseline",
        b.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    let alerts = json_alerts(&o);
    assert_eq!(alerts.len(), 1, "{}", stdout(&o));
    assert!(
        alerts[0]["message"]
            .as_str()
            .unwrap()
            .contains("never listed secrets in namespace shop before"),
        "{}",
        alerts[0]
    );
    let o = run(&[
        "audit",
        "--no-config",
        "--baseline",
        "no/such/baseline.json",
        SAMPLE,
    ]);
    assert_eq!(o.status.code(), Some(2));
}

//! End-to-end tests of the `kubefort` binary: contracts (exit codes, formats,
//! selection, suppressions, configuration) and behaviour on bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kubefort() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubefort"));
    c.current_dir(root())
        .env_remove("NO_COLOR")
        .env("CI", "true");
    c
}

fn run(args: &[&str]) -> Output {
    kubefort().args(args).output().expect("runs")
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    kubefort()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = kubefort()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn has_finding(j: &Value, rule: &str, file_suffix: &str, line: u64) -> bool {
    j["findings"].as_array().unwrap().iter().any(|f| {
        f["rule"] == rule
            && f["location"]["file"]
                .as_str()
                .unwrap()
                .ends_with(file_suffix)
            && f["location"]["line"] == line
    })
}

#[test]
fn insecure_example_fails_with_exact_lines() {
    let o = run(&["scan", "--no-config", "-f", "json", "examples/insecure"]);
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
    let j = json_of(&o);
    assert_eq!(j["version"], 1);
    assert_eq!(j["tool"]["name"], "kubefort");
    assert!(has_finding(
        &j,
        "privileged-container",
        "insecure/app.yaml",
        29
    ));
    assert!(has_finding(&j, "host-network", "insecure/app.yaml", 22));
    assert!(has_finding(&j, "host-pid", "insecure/app.yaml", 50));
    assert!(has_finding(&j, "latest-tag", "insecure/app.yaml", 25));
    assert!(has_finding(
        &j,
        "privileged-container",
        "insecure/job.yaml",
        18
    ));
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "privileged-container")
        .unwrap();
    assert_eq!(f["severity"], "critical");
    assert_eq!(
        f["path"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(f["location"]["column"], 11);
    assert_eq!(
        f["object"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"})
    );
    assert!(f["remediation"].as_str().unwrap().len() > 10);
    assert!(f["groups"]
        .as_array()
        .unwrap()
        .contains(&Value::from("security")));
    assert_eq!(j["summary"]["bySeverity"]["critical"], 2);
    assert_eq!(j["summary"]["failed"], true);
}

#[test]
fn hardened_example_passes() {
    let o = run(&["scan", "--no-config", "examples/hardened"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("No findings"));
}

#[test]
fn text_output_groups_by_file_and_summarises() {
    let o = run(&["scan", "--no-config", "examples/insecure"]);
    let s = String::from_utf8(o.stdout).unwrap();
    assert!(s.starts_with("examples/insecure/app.yaml\n"), "{s}");
    assert!(s.contains("29:11"));
    assert!(s.contains("privileged-container"));
    assert!(!s.contains('\x1b'), "no colours when not a terminal");
    assert!(
        s.trim_end()
            .lines()
            .last()
            .unwrap()
            .contains("19 findings (2 critical, 3 high, 7 medium, 7 low)"),
        "{s}"
    );
    let o = run(&[
        "scan",
        "--no-config",
        "--color",
        "always",
        "examples/insecure",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains('\x1b'));
}

#[test]
fn fail_on_threshold() {
    let o = run(&[
        "scan",
        "--no-config",
        "--fail-on",
        "critical",
        "examples/insecure/app.yaml",
    ]);
    assert_eq!(code(&o), 1);
    let o = run(&[
        "scan",
        "--no-config",
        "--select",
        "host-pid,host-ipc",
        "--fail-on",
        "critical",
        "examples/insecure",
    ]);
    assert_eq!(code(&o), 0);
    let o = run(&[
        "scan",
        "--no-config",
        "--fail-on",
        "severe",
        "examples/insecure",
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn select_and_ignore_by_name_and_group() {
    let rules_of = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["scan", "--no-config", "-f", "json"];
        all.extend_from_slice(args);
        all.push("examples/insecure");
        let j = json_of(&run(&all));
        let set: std::collections::BTreeSet<String> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        set.into_iter().collect()
    };
    assert_eq!(
        rules_of(&["--select", "security", "--ignore", "host-pid"]),
        ["host-ipc", "host-network", "privileged-container"]
    );
    assert_eq!(
        rules_of(&[
            "--select",
            "pss-baseline",
            "--ignore",
            "pss-host-namespaces"
        ]),
        ["pss-namespace-unenforced", "pss-privileged"]
    );
    // Restricted includes baseline; `--extend-select` adds to the defaults.
    let restricted = rules_of(&["--select", "pss-restricted"]);
    assert!(restricted.contains(&"pss-privileged".to_string()));
    assert!(restricted.contains(&"pss-run-as-non-root".to_string()));
    let extended = rules_of(&["--extend-select", "pss-restricted"]);
    assert!(extended.contains(&"latest-tag".to_string()));
    assert!(extended.contains(&"pss-seccomp-restricted".to_string()));
    let o = run(&[
        "scan",
        "--no-config",
        "--select",
        "privileged-containr",
        "examples",
    ]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown rule or group `privileged-containr`"),
        "{err}"
    );
    assert!(
        err.contains("privileged-container"),
        "suggests the right name: {err}"
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema_path = root().join("../shared/reference/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the shared/ folder must sit beside the repository)",
                schema_path.display()
            )
        }))
        .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    // Findings, a suppressed finding and an input error all in one report.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    kubefort.io/ignore: latest-tag\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "a: [\n").unwrap();
    let o = run_in(dir.path(), &["scan", "--no-config", "-f", "sarif", "."]);
    assert_eq!(code(&o), 2);
    let sarif = json_of(&o);
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid: {errors:#?}");
    let sarif_run = &sarif["runs"][0];
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif_run["results"].as_array().unwrap();
    let hostpid = results.iter().find(|r| r["ruleId"] == "host-pid").unwrap();
    assert_eq!(
        hostpid["locations"][0]["physicalLocation"]["region"]["startLine"],
        8
    );
    assert_eq!(
        hostpid["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "a.yaml"
    );
    assert_eq!(hostpid["level"], "error");
    let rules = sarif_run["tool"]["driver"]["rules"].as_array().unwrap();
    let idx = hostpid["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], "host-pid");
    assert!(rules[idx]["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("## Why it matters"));
    assert!(rules[idx]["properties"]["security-severity"]
        .as_str()
        .unwrap()
        .parse::<f64>()
        .is_ok());
    let suppressed = results
        .iter()
        .find(|r| r["ruleId"] == "latest-tag")
        .unwrap();
    assert_eq!(suppressed["suppressions"][0]["kind"], "inSource");
    assert_eq!(sarif_run["invocations"][0]["executionSuccessful"], false);
    // The examples too.
    let o = run(&["scan", "--no-config", "-f", "sarif", "examples"]);
    let sarif = json_of(&o);
    assert!(validator.is_valid(&sarif));
}

#[test]
fn junit_has_a_case_per_object_and_group() {
    let o = run(&["scan", "--no-config", "-f", "junit", "examples/insecure"]);
    let x = String::from_utf8(o.stdout).unwrap();
    assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    // 4 objects (Namespace, Deployment, DaemonSet, CronJob) x 11 rule categories.
    assert!(
        x.contains("<testsuites name=\"kubefort\" tests=\"44\" failures=\"8\""),
        "{x}"
    );
    assert!(
        x.contains("<testsuite name=\"kubefort.security\" tests=\"4\" failures=\"3\""),
        "{x}"
    );
    assert_eq!(x.matches("<testcase ").count(), 44);
    assert_eq!(
        x.matches("<testsuite ").count(),
        x.matches("</testsuite>").count()
    );
    assert!(x.contains("type=\"critical\""));
}

#[test]
fn stdin_is_read_with_dash() {
    let yaml = std::fs::read(root().join("examples/insecure/job.yaml")).unwrap();
    let o = run_stdin(&["scan", "--no-config", "-f", "json", "-"], &yaml);
    assert_eq!(code(&o), 1);
    let j = json_of(&o);
    assert!(has_finding(&j, "privileged-container", "<stdin>", 18));
}

#[test]
fn json_and_lists_and_non_objects() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pod.json"),
        r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},
   "spec": {"hostIPC": true, "containers": [{"name": "c", "image": "x:1"}]}}
]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("values.yaml"),
        "replicaCount: 1\nimage: nginx\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not scanned").unwrap();
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "--no-config",
            "-f",
            "json",
            "--select",
            "security",
            ".",
        ],
    );
    assert_eq!(code(&o), 1);
    let j = json_of(&o);
    assert!(has_finding(&j, "host-ipc", "pod.json", 3));
    assert_eq!(j["summary"]["files"], 2);
    let skipped = j["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["level"], "info");
    assert!(skipped[0]["reason"]
        .as_str()
        .unwrap()
        .contains("not a Kubernetes object"));
    // --verbose shows it; plain text does not.
    let o = run_in(
        dir.path(),
        &["scan", "--no-config", "--select", "security", "."],
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("values.yaml"));
    let o = run_in(
        dir.path(),
        &["scan", "--no-config", "-v", "--select", "security", "."],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("values.yaml"));
}

#[test]
fn suppressions_by_annotation_and_config_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(
        dir.path().join(".kubefort.yaml"),
        "select: [security, images]\nsuppress:\n- rules: [host-network]\n  namespaces: [kube-system]\n  reason: the CNI needs it\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sub/cni.yaml"),
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: cni\n  namespace: kube-system\n  annotations:\n    kubefort.io/ignore: privileged-container, images\n    kubefort.io/ignore-reason: node agent\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      hostPID: true\n      containers:\n      - name: c\n        image: cni:latest\n        securityContext: {privileged: true}\n",
    )
    .unwrap();
    // The configuration is found upward from the working directory.
    let o = run_in(&dir.path().join("sub"), &["scan", "-f", "json", "."]);
    let j = json_of(&o);
    let rules: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["host-pid"]);
    assert_eq!(j["summary"]["suppressed"], 3);
    let reasons: Vec<&str> = j["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["suppressed"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("the CNI needs it")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("node agent (annotation kubefort.io/ignore)")),
        "{reasons:?}"
    );
    let o = run_in(&dir.path().join("sub"), &["scan", "."]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("3 suppressed"));
    // --no-config ignores it.
    let o = run_in(
        &dir.path().join("sub"),
        &["scan", "--no-config", "-f", "json", "."],
    );
    assert_eq!(json_of(&o)["summary"]["suppressed"], 2);
    // A broken configuration is a usage error naming the file.
    std::fs::write(dir.path().join(".kubefort.yaml"), "selct: [a]\n").unwrap();
    let o = run_in(&dir.path().join("sub"), &["scan", "."]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains(".kubefort.yaml: unknown field `selct`"));
}

#[test]
fn helm_templates_are_reported_not_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    spec:\n      hostPID: {{ .Values.hostPID }}\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["scan", "--no-config", "."]);
    assert_eq!(code(&o), 0, "a template is skipped, not an error");
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.contains("warning: ./chart/templates/deploy.yaml:4: a Helm template, not rendered"),
        "{s}"
    );
}

#[test]
fn output_file_and_generated_artefacts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let o = run(&[
        "scan",
        "--no-config",
        "-f",
        "json",
        "-o",
        out.to_str().unwrap(),
        "examples/insecure",
    ]);
    assert_eq!(code(&o), 1);
    assert!(o.stdout.is_empty());
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(j["summary"]["findings"], 19);

    let o = run(&["completions", "bash"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("kubefort"));
    let o = run(&["man"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(".TH kubefort"));
}

#[test]
fn rules_listing_and_reference_are_current() {
    let o = run(&["rules", "--format", "json"]);
    let j = json_of(&o);
    let names: Vec<&str> = j
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"privileged-container"));
    for r in j.as_array().unwrap() {
        for key in [
            "severity",
            "groups",
            "summary",
            "docs",
            "remediation",
            "references",
        ] {
            assert!(!r[key].is_null(), "{} lacks {key}", r["name"]);
        }
    }
    let o = run(&["rules"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("RULE"));
    let o = run(&["rules", "--format", "markdown"]);
    let generated = String::from_utf8(o.stdout).unwrap();
    let committed = std::fs::read_to_string(root().join("docs/rules.md")).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/rules.md is out of date: run `cargo run -q -- rules --format markdown > docs/rules.md`"
    );
}

/// Every kind of bad input gets a one-line error naming the file (and line
/// where there is one), and the good file beside them is still scanned.
#[test]
fn bad_inputs_do_not_hide_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w = |name: &str, data: &[u8]| std::fs::write(d.join(name), data).unwrap();
    w("good.yaml", b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: x:1\n");
    w(
        "invalid.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n",
    );
    w(
        "utf8.yaml",
        b"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: \"\xff\xfe\"\n",
    );
    w("binary.yaml", b"\x7fELF\x02\x01\x01\x00\x00\x00binary");
    w("empty.yaml", b"");
    w(
        "dupkeys.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
    );
    w(
        "types.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\nspec:\n  containers: \"x\"\n",
    );
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for i in 1..names.len() {
        bomb.push_str(&format!(
            "{}: &{} [{}]\n",
            names[i],
            names[i],
            vec![format!("*{}", names[i - 1]); 9].join(",")
        ));
    }
    w("bomb.yaml", bomb.as_bytes());
    w(
        "deep.yaml",
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).as_bytes(),
    );
    w(
        "deepblock.yaml",
        (0..3_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect::<String>()
            .as_bytes(),
    );
    // 100 MB on one line.
    {
        let mut f = std::fs::File::create(d.join("huge.yaml")).unwrap();
        let chunk = vec![b'a'; 1 << 20];
        f.write_all(b"k: ").unwrap();
        for _ in 0..100 {
            f.write_all(&chunk).unwrap();
        }
    }
    std::fs::create_dir(d.join("loop")).unwrap();
    std::os::unix::fs::symlink(d.join("loop"), d.join("loop/again")).unwrap();
    std::os::unix::fs::symlink(d.join("missing-target.yaml"), d.join("dangling.yaml")).unwrap();

    let started = std::time::Instant::now();
    let o = run_in(
        d,
        &[
            "scan",
            "--no-config",
            "-f",
            "json",
            "--select",
            "host-pid",
            ".",
        ],
    );
    assert!(
        started.elapsed().as_secs() < 60,
        "bad input must not hang the scan"
    );
    assert_eq!(code(&o), 2, "{}", String::from_utf8_lossy(&o.stderr));
    let j = json_of(&o);
    assert!(
        has_finding(&j, "host-pid", "good.yaml", 6),
        "the good file is still scanned"
    );
    let errors = j["errors"].as_array().unwrap();
    let error_for = |file: &str| -> &Value {
        errors
            .iter()
            .find(|e| e["file"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("no error for {file}: {errors:#?}"))
    };
    let expect = |file: &str, line: Option<u64>, words: &str| {
        let e = error_for(file);
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains(words), "{file}: {msg:?} lacks {words:?}");
        assert!(!msg.contains('\n'), "{file}: one line: {msg:?}");
        if let Some(l) = line {
            assert_eq!(e["line"], l, "{file}: {e}");
        }
    };
    expect("invalid.yaml", Some(4), "");
    expect("utf8.yaml", Some(4), "invalid UTF-8");
    expect("binary.yaml", None, "binary file");
    expect(
        "dupkeys.yaml",
        Some(5),
        "\"name\" already set in map (first set at line 4)",
    );
    expect(
        "types.yaml",
        Some(6),
        "spec.containers: expected list, got string \"x\"",
    );
    expect("bomb.yaml", None, "excessive aliasing");
    expect("deep.yaml", Some(1), "too deep");
    expect("deepblock.yaml", None, "deep");
    expect("huge.yaml", None, "over the 32.0 MiB limit");
    expect("dangling.yaml", None, "broken symbolic link");
    assert!(
        !errors
            .iter()
            .any(|e| e["file"].as_str().unwrap().ends_with("empty.yaml")),
        "an empty file is fine"
    );
    let skipped = j["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["reason"].as_str().unwrap().contains("symbolic link loop")),
        "{skipped:#?}"
    );
    // Text output: one line per error, naming file and line.
    let o = run_in(d, &["scan", "--no-config", "--select", "host-pid", "."]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.contains("error: ./dupkeys.yaml:5:3: key \"name\" already set in map"),
        "{s}"
    );
}

#[test]
fn missing_path_is_an_error_and_other_inputs_still_scan() {
    let o = run(&[
        "scan",
        "--no-config",
        "-f",
        "json",
        "does-not-exist.yaml",
        "examples/insecure/job.yaml",
    ]);
    assert_eq!(code(&o), 2);
    let j = json_of(&o);
    assert_eq!(j["errors"][0]["file"], "does-not-exist.yaml");
    assert_eq!(j["errors"][0]["message"], "no such file or directory");
    assert!(has_finding(&j, "privileged-container", "job.yaml", 18));
}

#[test]
fn unreadable_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("secret.yaml");
    std::fs::write(&p, "a: 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        // Running as root: permissions do not stop reads; nothing to test.
        return;
    }
    let o = run_in(dir.path(), &["scan", "--no-config", "-f", "json", "."]);
    assert_eq!(code(&o), 2);
    assert!(json_of(&o)["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("permission denied"));
}

#[test]
fn pss_report_levels_and_namespace_verdicts() {
    // The examples: the hardened app meets restricted; the insecure one meets nothing.
    let o = run(&["pss", "--no-config", "-f", "json", "examples"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let j = json_of(&o);
    assert_eq!(j["version"], "latest");
    let specs = j["pod_specs"].as_array().unwrap();
    let level_of = |file: &str, kind: &str| {
        specs
            .iter()
            .find(|s| s["file"].as_str().unwrap().ends_with(file) && s["object"]["kind"] == kind)
            .map(|s| s["level"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(level_of("hardened/app.yaml", "Deployment"), "restricted");
    assert_eq!(level_of("insecure/app.yaml", "Deployment"), "privileged");
    assert_eq!(j["summary"]["restricted"], 2);
    assert_eq!(j["summary"]["privileged"], 3);
    let web = specs
        .iter()
        .find(|s| s["file"].as_str().unwrap().ends_with("insecure/app.yaml"))
        .unwrap();
    let privileged = web["baseline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "privileged")
        .unwrap();
    assert_eq!(privileged["line"], 29);
    assert_eq!(privileged["rule"], "pss-privileged");
    assert_eq!(
        privileged["detail"],
        "container \"web\" must not set securityContext.privileged=true"
    );

    // --require fails the run below the level; text names what to change.
    let o = run(&[
        "pss",
        "--no-config",
        "--require",
        "baseline",
        "examples/insecure",
    ]);
    assert_eq!(code(&o), 1);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("to reach baseline:"), "{text}");
    assert!(
        text.contains("3 pod specs at Pod Security latest: 0 restricted, 0 baseline, 3 privileged"),
        "{text}"
    );
    let o = run(&[
        "pss",
        "--no-config",
        "--require",
        "restricted",
        "examples/hardened",
    ]);
    assert_eq!(code(&o), 0);

    // A labelled namespace on standard input: the verdict of its policy.
    let yaml = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/warn: restricted\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n  - name: app\n    image: app:1\n";
    let o = run_stdin(
        &[
            "pss",
            "--no-config",
            "-f",
            "json",
            "--pss-version",
            "v1.30",
            "-",
        ],
        yaml,
    );
    let j = json_of(&o);
    let ns = &j["pod_specs"][0]["namespace_policy"];
    assert_eq!(ns["verdict"], "warned");
    assert_eq!(ns["enforce"], "baseline:v1.30");
    assert_eq!(ns["warn"], "restricted:v1.30");
    assert_eq!(j["pod_specs"][0]["level"], "baseline");

    let o = run(&["pss", "--no-config", "--pss-version", "v1.05", "examples"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn namespace_labels_set_the_level_and_mode_of_findings() {
    let yaml = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: v1.25\n    pod-security.kubernetes.io/warn: restricted\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:1\n        securityContext:\n          privileged: true\n";
    let o = run_stdin(
        &[
            "scan",
            "--no-config",
            "-f",
            "json",
            "--select",
            "pss-restricted",
            "-",
        ],
        yaml,
    );
    let j = json_of(&o);
    let msg = |rule: &str| {
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule}: {j}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let p = msg("pss-privileged");
    assert!(
        p.starts_with("namespace \"shop\" enforces PodSecurity \"baseline:v1.25\""),
        "{p}"
    );
    let r = msg("pss-run-as-non-root");
    assert!(
        r.contains("warns on PodSecurity \"restricted:latest\""),
        "{r}"
    );
    // Without a selection, a plain scan still reports what the namespace enforces.
    let o = run_stdin(&["scan", "--no-config", "-f", "json", "-"], yaml);
    let j = json_of(&o);
    assert!(j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "pss-privileged"));
    // And nothing at all without a labelled namespace or a PSS selection.
    let bare = &yaml[yaml.windows(4).position(|w| w == b"---\n").unwrap() + 4..];
    let o = run_stdin(&["scan", "--no-config", "-f", "json", "-"], bare);
    let j = json_of(&o);
    assert!(!j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"].as_str().unwrap().starts_with("pss-")));
}

#[test]
fn namespace_in_another_file_sets_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a-workloads.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  hostPID: true\n  containers:\n  - name: app\n    image: app:1\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: quiet\n  namespace: shop\n  annotations:\n    kubefort.io/ignore: pss-host-namespaces\nspec:\n  hostPID: true\n  containers:\n  - name: app\n    image: app:1\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: elsewhere\n  namespace: other\nspec:\n  hostPID: true\n  containers:\n  - name: app\n    image: app:1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("z-namespaces.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["scan", "--no-config", "-f", "json", "."]);
    let j = json_of(&o);
    let pss: Vec<(String, String)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("pss-"))
        .map(|f| {
            (
                f["object"]["name"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Only the pod in the labelled namespace, not the suppressed one, not the other namespace.
    assert_eq!(pss.len(), 1, "{pss:?}");
    assert_eq!(pss[0].0, "web");
    assert!(pss[0]
        .1
        .contains("enforces PodSecurity \"baseline:latest\""));
    let suppressed: Vec<&str> = j["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        suppressed.contains(&"pss-host-namespaces"),
        "{suppressed:?}"
    );
}

#[test]
fn rule_settings_come_from_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: ghcr.io/acme/app:1.0\n  - name: b\n    image: docker.io/someone/tool:1.0\n",
    )
    .unwrap();
    // Off until configured.
    let o = run_in(
        dir.path(),
        &["scan", "-f", "json", "--select", "allowed-registries", "."],
    );
    assert_eq!(json_of(&o)["findings"].as_array().unwrap().len(), 0);
    std::fs::write(
        dir.path().join(".kubefort.yaml"),
        "rules:\n  allowed-registries:\n    registries: [ghcr.io/acme/]\n",
    )
    .unwrap();
    let o = run_in(
        dir.path(),
        &["scan", "-f", "json", "--select", "allowed-registries", "."],
    );
    let j = json_of(&o);
    let f = j["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{j}");
    assert_eq!(f[0]["location"]["line"], 10);
    // A misspelt rule or setting is a usage error naming the file, line and key.
    std::fs::write(
        dir.path().join(".kubefort.yaml"),
        "rules:\n  allowed-registries:\n    registry: [ghcr.io/acme/]\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["scan", "."]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(".kubefort.yaml:2: rules.allowed-registries: unknown field `registry`"),
        "{err}"
    );
    std::fs::write(
        dir.path().join(".kubefort.yaml"),
        "rules:\n  no-such-rule: {}\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["scan", "."]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown rule \"no-such-rule\""));
}

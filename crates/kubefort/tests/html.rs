//! The HTML report in a real browser (headless Chromium, driven through the
//! DevTools protocol by tests/browser/check-report.mjs), and the baseline
//! comparison in every format.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kubefort(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubefort"))
        .current_dir(dir)
        .env("CI", "true")
        .args(args)
        .output()
        .expect("runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
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

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

/// Debian's Chromium (`KUBEFORT_CHROMIUM` overrides). CI installs it
/// (.ci/run): there its absence fails the test; elsewhere it is skipped
/// with a note.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBEFORT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|n| on_path(n));
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is not installed: `apt-get install -y chromium` (.ci/run does it)"
        );
        eprintln!("skipped: no Chromium on this machine (apt-get install -y chromium)");
    }
    found
}

#[test]
fn the_report_of_the_examples_renders_and_filters_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let node = on_path("node").expect("Node.js runs the browser check");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let png = dir.path().join("report.png");
    let root = root();

    let o = kubefort(
        &root,
        &[
            "scan",
            "examples",
            "-f",
            "html",
            "-o",
            html.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing refers to another file or site to load.
    for needle in ["<link", "src=\"http", "src='http", "@import", "url(http"] {
        assert!(!page.contains(needle), "the page loads {needle}…");
    }
    let expected = json_of(&kubefort(&root, &["scan", "examples", "-f", "json"]));
    let by_sev = &expected["summary"]["bySeverity"];
    let total = expected["summary"]["findings"].as_u64().unwrap();

    let o = Command::new(node)
        .arg(root.join("crates/kubefort/tests/browser/check-report.mjs"))
        .arg(&chromium)
        .arg(&html)
        .arg(&png)
        .output()
        .expect("node runs");
    assert!(
        o.status.success(),
        "browser check failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let seen = json_of(&o);
    eprintln!("{seen:#}");

    assert_eq!(seen["title"], "kubefort posture report");
    assert_eq!(seen["errors"], serde_json::json!([]), "script errors");
    assert_eq!(seen["requests"], serde_json::json!([]), "network requests");
    // Two charts with bars, the score, the heatmap, namespaces, top risks.
    let charts = seen["charts"].as_array().unwrap();
    assert_eq!(charts.len(), 2);
    assert!(
        charts.iter().all(|c| c.as_u64().unwrap() >= 3),
        "{charts:?}"
    );
    let score: u64 = seen["gauge"].as_str().unwrap().parse().unwrap();
    assert!(score < 100, "the examples are not all clean: {score}");
    assert!(seen["heatmapCells"].as_u64().unwrap() >= 5);
    assert_eq!(
        seen["namespaces"], 4,
        "shop, ci, default (the policy examples' objects), and cluster-scoped objects"
    );
    assert_eq!(seen["topRisks"], 10);
    // The findings table holds every finding; filtering shows the right ones.
    assert_eq!(seen["rows"].as_u64().unwrap(), total);
    assert_eq!(seen["visibleAtStart"].as_u64().unwrap(), total);
    assert_eq!(seen["selectValue"], "critical");
    assert_eq!(seen["visibleCritical"], by_sev["critical"]);
    assert_eq!(
        seen["severitiesWhenCritical"],
        serde_json::json!(["critical"])
    );
    assert_eq!(
        seen["countText"],
        format!("showing {} of {total} findings", by_sev["critical"])
    );
    assert_eq!(seen["hashWhenCritical"], "#sev=critical");
    assert_eq!(seen["visibleAfterReset"].as_u64().unwrap(), total);
    assert_eq!(seen["visibleHigh"], by_sev["high"]);
    assert_eq!(seen["severitiesWhenHigh"], serde_json::json!(["high"]));
    let host_pid = expected["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            // What the search box searches: rule, object, message, place, field.
            [
                &f["rule"],
                &f["message"],
                &f["path"],
                &f["location"]["file"],
            ]
            .iter()
            .any(|v| v.as_str().unwrap().to_lowercase().contains("hostpid"))
        })
        .count();
    assert!(host_pid > 0);
    assert_eq!(seen["visibleSearch"].as_u64().unwrap() as usize, host_pid);
    assert_eq!(seen["searchMatchesAll"], true);
    // A finding opens on its source line, its fix and its rule's docs.
    let first = &expected["findings"][0];
    assert_eq!(seen["detailOpen"], true);
    let hit = seen["excerptHit"].as_str().expect("a highlighted line");
    assert!(
        hit.starts_with(&first["location"]["line"].to_string()),
        "{hit:?} is not line {}",
        first["location"]["line"]
    );
    // The fix is Markdown: its `code` spans are shown as code.
    assert_eq!(
        seen["fix"].as_str().unwrap(),
        first["remediation"].as_str().unwrap().replace('`', "")
    );
    assert!(seen["docsHeadings"].as_u64().unwrap() >= 3);
    // The RBAC escalation paths and the NetworkPolicy connectivity are drawn.
    let rbac = &seen["graphs"]["graph-rbac"];
    assert!(rbac["nodes"].as_u64().unwrap() >= 3, "{rbac}");
    assert!(rbac["edges"].as_u64().unwrap() >= 2, "{rbac}");
    let netpol = &seen["graphs"]["graph-netpol"];
    assert!(netpol["nodes"].as_u64().unwrap() >= 2, "{netpol}");
    assert!(netpol["edges"].as_u64().unwrap() >= 1, "{netpol}");
    assert_eq!(seen["graphFocus"], true);
    assert!(seen["graphEdgesOn"].as_u64().unwrap() >= 1);

    // The screenshot is a real PNG of the page's size.
    let shot = std::fs::read(&png).unwrap();
    assert_eq!(&shot[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(shot[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(shot[20..24].try_into().unwrap());
    assert_eq!((width, height), (1400, 1800));
    assert!(shot.len() > 50_000, "an almost empty picture");
    if std::env::var_os("KUBEFORT_UPDATE_SCREENSHOT").is_some() {
        std::fs::copy(&png, root.join("docs/report.png")).unwrap();
    }
}

/// A copy of the examples with lines moved, a finding fixed and one added.
fn changed_examples(dir: &Path) {
    let root = root();
    for f in ["insecure/app.yaml", "insecure/job.yaml", "rbac/rbac.yaml"] {
        let to = dir.join("examples").join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        let mut text = std::fs::read_to_string(root.join("examples").join(f)).unwrap();
        if f == "insecure/job.yaml" {
            // Moved: every line three lines down.
            text = format!("# moved\n# down\n# three lines\n{text}");
            // Fixed: the backup job no longer runs privileged.
            assert!(text.contains("privileged: true"));
            text = text.replace("privileged: true", "privileged: false");
            // New: it shares the node's process namespace.
            text = text.replacen("containers:", "hostPID: true\n          containers:", 1);
        }
        std::fs::write(&to, text).unwrap();
    }
}

#[test]
fn baseline_marks_new_unchanged_and_fixed_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = root();
    let base = dir.path().join("base.json");
    let o = kubefort(
        &root,
        &[
            "scan",
            "examples/insecure",
            "examples/rbac",
            "-f",
            "json",
            "-o",
            base.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1);
    let before = serde_json::from_str::<Value>(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let before_n = before["findings"].as_array().unwrap().len();

    // Unchanged inputs: nothing new, nothing fixed; --fail-on-new passes.
    let b = base.to_str().unwrap();
    let o = kubefort(
        &root,
        &[
            "scan",
            "examples/insecure",
            "examples/rbac",
            "-f",
            "json",
            "--baseline",
            b,
            "--fail-on-new",
        ],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let j = json_of(&o);
    assert_eq!(j["baseline"]["new"], 0);
    assert_eq!(
        j["baseline"]["unchanged"].as_u64().unwrap() as usize,
        before_n
    );
    assert_eq!(j["baseline"]["fixed"], 0);
    assert_eq!(j["summary"]["failed"], false);
    assert!(j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["baseline"] == "unchanged"));

    // Changed inputs, in another directory: lines moved, one fixed, one new.
    changed_examples(dir.path());
    let scan = |format: &str, extra: &[&str]| {
        let mut args = vec!["scan", "examples", "-f", format, "--baseline", b];
        args.extend_from_slice(extra);
        kubefort(dir.path(), &args)
    };
    let o = scan("json", &[]);
    assert_eq!(code(&o), 1);
    let j = json_of(&o);
    let new: Vec<&Value> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline"] == "new")
        .collect();
    let new_rules: Vec<&str> = new.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(new_rules.contains(&"host-pid"), "{new_rules:?}");
    assert!(
        new.iter().all(|f| f["object"]["name"] == "backup"),
        "only the changed CronJob has new findings: {new_rules:?}"
    );
    let fixed: Vec<&str> = j["baseline"]["fixedFindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(fixed.contains(&"privileged-container"), "{fixed:?}");
    assert!(
        fixed.iter().all(|r| *r == "privileged-container"),
        "{fixed:?}"
    );
    assert_eq!(j["baseline"]["new"].as_u64().unwrap() as usize, new.len());
    assert_eq!(
        j["baseline"]["fixed"].as_u64().unwrap() as usize,
        fixed.len()
    );
    // Moved lines still match: the CronJob's latest-tag finding is unchanged
    // although it is four lines further down (three comment lines and the
    // hostPID line above it).
    let latest = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "latest-tag" && f["object"]["name"] == "backup")
        .unwrap();
    assert_eq!(latest["baseline"], "unchanged");
    let old_latest = before["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "latest-tag" && f["object"]["name"] == "backup")
        .unwrap();
    assert_eq!(
        latest["location"]["line"].as_u64().unwrap(),
        old_latest["location"]["line"].as_u64().unwrap() + 4
    );

    // --fail-on-new: new findings at or above --fail-on fail, others do not.
    assert_eq!(code(&scan("json", &["--fail-on-new"])), 1);
    assert_eq!(
        code(&scan("json", &["--fail-on-new", "--fail-on", "critical"])),
        0,
        "the new host-pid finding is high"
    );
    assert_eq!(
        code(&scan("json", &["--fail-on", "critical"])),
        1,
        "without --fail-on-new every critical finding fails"
    );

    // Text: only the new findings, and the counts.
    let o = scan("text", &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("host-pid"), "{text}");
    assert!(!text.contains("rbac-escalation-path"), "{text}");
    assert!(
        text.contains(&format!(
            "Compared with {b}: {} new, {} unchanged, {} fixed",
            new.len(),
            j["baseline"]["unchanged"],
            fixed.len()
        )),
        "{text}"
    );

    // SARIF: baselineState on every result, absent ones for the fixed.
    let s = json_of(&scan("sarif", &[]));
    let results = s["runs"][0]["results"].as_array().unwrap();
    let state_count = |st: &str| results.iter().filter(|r| r["baselineState"] == st).count();
    assert_eq!(state_count("new"), new.len());
    assert_eq!(state_count("absent"), fixed.len());
    assert_eq!(
        state_count("unchanged"),
        j["baseline"]["unchanged"].as_u64().unwrap() as usize
    );

    // JUnit: findings say whether they are new; fixed ones pass.
    let o = scan("junit", &["--fail-on-new"]);
    let xml = String::from_utf8_lossy(&o.stdout);
    assert!(xml.contains("host-pid (new)"), "{xml}");
    assert!(xml.contains("(in the baseline)"), "{xml}");
    assert!(xml.contains("fixed: privileged-container on CronJob shop/backup"));
    // With --fail-on-new only objects with new findings fail.
    let failures = xml.matches("<failure ").count();
    assert!(failures >= 1);
    let o = scan("junit", &[]);
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .matches("<failure ")
            .count()
            > failures
    );

    // PolicyReports: each result says whether it is new.
    let o = scan("policyreport", &[]);
    let yaml = String::from_utf8_lossy(&o.stdout);
    assert_eq!(yaml.matches("\"baseline\": \"new\"").count(), new.len());
    assert_eq!(
        yaml.matches("\"baseline\": \"unchanged\"").count() as u64,
        j["baseline"]["unchanged"].as_u64().unwrap()
    );

    // HTML: the counts, the new badges, the fixed list.
    let o = scan("html", &[]);
    let html = String::from_utf8_lossy(&o.stdout);
    assert_eq!(html.matches("data-base=\"new\"").count(), new.len());
    assert!(html.contains("Fixed since the baseline"));
    assert!(html.contains(&format!("<b>{}</b> fixed", fixed.len())));
}

#[test]
fn bad_baselines_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = root();
    let missing = dir.path().join("nope.json");
    let o = kubefort(
        &root,
        &["scan", "examples", "--baseline", missing.to_str().unwrap()],
    );
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("nope.json: cannot read it"), "{err}");

    let sarif = dir.path().join("old.sarif");
    let o = kubefort(
        &root,
        &[
            "scan",
            "examples",
            "-f",
            "sarif",
            "-o",
            sarif.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1);
    let o = kubefort(
        &root,
        &["scan", "examples", "--baseline", sarif.to_str().unwrap()],
    );
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not a kubefort JSON report"), "{err}");

    let o = kubefort(&root, &["scan", "examples", "--fail-on-new"]);
    assert_eq!(code(&o), 2, "--fail-on-new needs --baseline");
}

/// Create the objects of manifest files in a real API server, Namespaces
/// first (and the namespaces they use but do not declare).
async fn create_in(client: &kube::Client, files: &[&str]) {
    use kube::api::{Api, DynamicObject, PostParams};
    let mut docs: Vec<Value> = files
        .iter()
        .flat_map(|p| {
            let text = std::fs::read_to_string(root().join(p)).unwrap();
            kubefort_core::yaml::load_str(&text, &kubefort_core::yaml::Limits::default())
                .into_iter()
                .map(|d| d.expect("valid YAML").root.to_json())
                .filter(|v| !v.is_null())
                .collect::<Vec<_>>()
        })
        .collect();
    let used: std::collections::BTreeSet<String> = docs
        .iter()
        .filter_map(|d| d["metadata"]["namespace"].as_str().map(str::to_string))
        .collect();
    for ns in used {
        docs.push(
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        );
    }
    docs.sort_by_key(|d| d["kind"] != "Namespace");
    let discovery = kube::discovery::Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    for doc in docs {
        let obj: DynamicObject = serde_json::from_value(doc.clone()).unwrap();
        let tm = obj.types.clone().expect("typed");
        let (group, version) = match tm.api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), tm.api_version.clone()),
        };
        let gvk = kube::core::GroupVersionKind::gvk(&group, &version, &tm.kind);
        let (ar, caps) = discovery.resolve_gvk(&gvk).expect("served kind");
        let api: Api<DynamicObject> = if caps.scope == kube::discovery::Scope::Namespaced {
            let ns = obj.metadata.namespace.clone().unwrap_or("default".into());
            Api::namespaced_with(client.clone(), &ns, &ar)
        } else {
            Api::all_with(client.clone(), &ar)
        };
        match api.create(&PostParams::default(), &obj).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 && tm.kind == "Namespace" => {}
            Err(e) => panic!("creating {doc}: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cluster_html_report_and_baseline_against_a_real_api_server() {
    let env = kubefort_testenv::TestEnv::start(kubefort_testenv::Options {
        extra_args: vec!["--allow-privileged=true".into()],
        ..kubefort_testenv::Options::default()
    })
    .await
    .expect("test environment");
    let client = env.client().await.unwrap();
    create_in(
        &client,
        &["examples/insecure/app.yaml", "examples/rbac/rbac.yaml"],
    )
    .await;
    let kc = env.kubeconfig.to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let root = root();
    let cluster = |extra: &[&str]| {
        let mut args = vec!["cluster", "--kubeconfig", &kc, "--no-config"];
        args.extend_from_slice(extra);
        kubefort(&root, &args)
    };

    // The HTML report of live objects: API paths instead of excerpts, and
    // the escalation graph of the cluster's own RBAC.
    let o = cluster(&["-f", "html"]);
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
    let html = String::from_utf8_lossy(&o.stdout);
    assert!(html.contains(
        "<dt>API path</dt><dd class=\"file\">/apis/apps/v1/namespaces/shop/deployments/web</dd>"
    ));
    assert!(!html.contains("<pre class=\"excerpt\""));
    assert!(html.contains("id=\"graph-data-rbac\""));
    assert!(html.contains("ServiceAccount monitoring/prometheus"));

    // A baseline of the cluster, then a new workload: only its findings are new.
    let base = dir.path().join("base.json");
    let o = cluster(&["-f", "json", "-o", base.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let b = base.to_str().unwrap();
    assert_eq!(code(&cluster(&["--baseline", b, "--fail-on-new"])), 0);
    create_in(&client, &["examples/insecure/job.yaml"]).await;
    let o = cluster(&["-f", "json", "--baseline", b, "--fail-on-new"]);
    assert_eq!(code(&o), 1, "the new CronJob fails the run");
    let j = json_of(&o);
    let new: Vec<&Value> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline"] == "new")
        .collect();
    assert!(!new.is_empty());
    assert!(
        new.iter().all(|f| f["object"]["name"] == "backup"),
        "{new:#?}"
    );
    assert_eq!(j["baseline"]["new"].as_u64().unwrap() as usize, new.len());
    assert_eq!(j["baseline"]["fixed"], 0);
}

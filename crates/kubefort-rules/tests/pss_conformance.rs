//! The upstream conformance fixtures of k8s.io/pod-security-admission: for
//! every level and policy version, pods the admission controller admits
//! (`pass/`) and pods it rejects (`fail/`). kubefort must agree on each.
//!
//! The fixtures come from the Go module proxy through
//! `scripts/fetch-psa-fixtures.sh` (set `KUBEFORT_PSA_FIXTURES` to use another
//! copy); they are not vendored into the repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use kubefort_core::{select_rules, Config, Engine};

fn fixtures() -> PathBuf {
    if let Some(dir) = std::env::var_os("KUBEFORT_PSA_FIXTURES") {
        return PathBuf::from(dir);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fetch-psa-fixtures.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} failed (it needs Go and the Go module proxy):\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn engine(level: &str, version: &str) -> Engine {
    let select = vec![format!("pss-{level}")];
    let rules = select_rules(&kubefort_rules::all(), Some(&select), &[], &[]).unwrap();
    let mut config = Config::default();
    config.select = Some(select);
    config.pss_version = Some(version.to_string());
    Engine::new(rules, config)
}

fn sorted_dir(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn agrees_with_every_upstream_fixture() {
    let root = fixtures();
    let mut checked = 0;
    let mut disagreements = Vec::new();
    for level in ["baseline", "restricted"] {
        let versions = sorted_dir(&root.join(level));
        assert!(versions.len() >= 38, "{level}: too few versions");
        for vdir in versions {
            let version = vdir.file_name().unwrap().to_string_lossy().to_string();
            let engine = engine(level, &version);
            for (expect_fail, sub) in [(false, "pass"), (true, "fail")] {
                let dir = vdir.join(sub);
                if !dir.exists() {
                    continue;
                }
                for f in sorted_dir(&dir) {
                    let text = std::fs::read_to_string(&f).unwrap();
                    let report = engine.scan_str(&f.to_string_lossy(), &text);
                    assert!(
                        report.errors.is_empty(),
                        "{}: {:?}",
                        f.display(),
                        report.errors
                    );
                    assert_eq!(report.stats.objects, 1, "{}", f.display());
                    checked += 1;
                    let failed = !report.findings.is_empty();
                    if failed != expect_fail {
                        disagreements.push(format!(
                            "{level} {version} {sub}/{}: kubefort {}{}",
                            f.file_name().unwrap().to_string_lossy(),
                            if failed { "rejects" } else { "admits" },
                            report
                                .findings
                                .iter()
                                .map(|x| format!("\n    {}: {}", x.rule, x.message))
                                .collect::<String>()
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 4000, "only {checked} fixtures");
    assert!(
        disagreements.is_empty(),
        "{} of {checked} fixtures disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

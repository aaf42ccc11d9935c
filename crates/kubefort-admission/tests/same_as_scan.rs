//! A rule decides the same in the webhook as in `kubefort scan`: for every
//! single-object fixture of the rules, the engine the webhook picks for the
//! object's kind reports exactly what a scan with all the webhook's rules
//! reports.

use std::path::Path;

use kubefort_admission::validate::NEEDS_CLUSTER;
use kubefort_admission::{Policy, Validator};
use kubefort_core::{select_rules, Config, Engine};

#[test]
fn the_webhook_engine_reports_what_scan_reports() {
    let rules: Vec<_> = select_rules(&kubefort_rules::all(), Some(&["all".to_string()]), &[], &[])
        .unwrap()
        .into_iter()
        .filter(|r| !NEEDS_CLUSTER.contains(&r.meta.name))
        .collect();
    // The same settings: the Pod Security rules read the selection.
    let scan = Engine::new(
        rules,
        Config::from_str_named("select: [all]\n", "t.yaml").unwrap(),
    );
    let validator =
        Validator::new(Policy::from_str_named("select: [all]\n", "t.yaml").unwrap()).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubefort-rules/tests/fixtures");
    let (mut compared, mut with_findings) = (0, 0);
    for rule in std::fs::read_dir(dir).unwrap().flatten() {
        for f in std::fs::read_dir(rule.path()).unwrap().flatten() {
            let text = std::fs::read_to_string(f.path()).unwrap();
            let full = scan.scan_str("fixture.yaml", &text);
            if full.objects.len() != 1 || !full.errors.is_empty() {
                continue;
            }
            let kind = &full.objects[0].object.kind;
            let webhook = validator.engine_for(kind).scan_str("fixture.yaml", &text);
            assert_eq!(webhook.findings, full.findings, "{}", f.path().display());
            compared += 1;
            with_findings += usize::from(!full.findings.is_empty());
        }
    }
    assert!(
        compared > 50 && with_findings > 30,
        "{compared} {with_findings}"
    );
}

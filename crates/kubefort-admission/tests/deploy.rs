//! The webhook's own deployment passes kubefort's own scan.

use std::path::Path;

use kubefort_core::source::{discover, Input};
use kubefort_core::{select_rules, Config, Engine};

#[test]
fn the_rendered_manifests_are_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let inputs = vec![Input::parse(dir.to_str().unwrap())];
    let config = Config::default();
    let found = discover(&inputs, &config);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let names: Vec<String> = found.files.iter().map(|f| f.name.to_string()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("kubefort-webhook.yaml")),
        "{names:?}"
    );
    // Every default rule, and the Pod Security rules at restricted.
    let rules = select_rules(
        &kubefort_rules::all(),
        None,
        &["pss-restricted".to_string()],
        &[],
    )
    .unwrap();
    let report = Engine::new(rules, config).scan(&found.files, &|| {});
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.objects.len() >= 10, "{:?}", report.objects);
    let findings: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {} {}",
                f.location.file, f.location.line, f.rule, f.path, f.message
            )
        })
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");
}

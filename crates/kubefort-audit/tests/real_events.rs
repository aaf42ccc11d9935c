//! The rules over REAL audit events: attack steps and normal traffic
//! against a real kube-apiserver (kubefort-testenv) with the recommended
//! audit policy; the log it writes is judged. Every attack step is
//! reported, as the identity that took it, and nothing else is: not the
//! API server's own start-up traffic, not the kubelet, not the controller,
//! not the workload reading what it mounts, not the admin's routine work.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use kubefort_audit::read::{self, LineError};
use kubefort_audit::{Alert, AuditConfig, Detector};
use kubefort_testenv::{Options, TestEnv};

fn judge(log: &std::path::Path, config: AuditConfig) -> (Vec<Alert>, Vec<LineError>, Detector) {
    let mut det = Detector::new(
        kubefort_audit::select_rules(None, &[], &[]).unwrap(),
        config,
    );
    let mut alerts = Vec::new();
    let mut errors = Vec::new();
    read::process(
        &mut det,
        &log.display().to_string(),
        Some(log),
        read::open(log).unwrap(),
        None,
        &mut |a| alerts.push(a),
        &mut |e| errors.push(e),
    )
    .unwrap();
    (alerts, errors, det)
}

fn pairs(alerts: &[Alert]) -> BTreeSet<(String, String)> {
    alerts
        .iter()
        .filter(|a| a.suppressed.is_none())
        .map(|a| (a.user.clone(), a.rule.to_string()))
        .collect()
}

fn show(alerts: &[Alert]) -> String {
    alerts
        .iter()
        .map(|a| kubefort_audit::output::text(a, false))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn attacks_are_detected_and_normal_traffic_is_not() {
    let env = TestEnv::start(Options {
        audit_policy: common::POLICY.to_string(),
        extra_args: vec![
            "--anonymous-auth=true".into(),
            "--allow-privileged=true".into(),
        ],
        ..Options::default()
    })
    .await
    .expect("test environment");
    common::run_scenario(&env).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (alerts, errors, det) = judge(&env.audit_log, AuditConfig::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert!(det.stats.events > 100, "{:?}", det.stats);
    let got = pairs(&alerts);
    let want = common::expected();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nunexpected {extra:?}\nalerts:\n{}",
        show(&alerts)
    );

    // Details an investigation needs are in the alerts.
    let find = |rule: &str| alerts.iter().find(|a| a.rule == rule).unwrap();
    let exec = find("audit-pod-exec");
    assert!(
        exec.message
            .contains("/var/run/secrets/kubernetes.io/serviceaccount/token"),
        "{}",
        exec.message
    );
    assert_eq!(exec.namespace, "shop");
    assert_eq!(exec.name, "cart-1");
    let imp = find("audit-impersonation");
    assert_eq!(imp.impersonator.as_deref(), Some("mallory"));
    assert!(
        imp.groups.iter().any(|g| g == "system:masters"),
        "{:?}",
        imp.groups
    );
    let ua = find("audit-sa-token-unexpected-client");
    assert_eq!(ua.user_agent, "python-requests/2.32.3");
    let secret = alerts
        .iter()
        .find(|a| a.rule == "audit-secret-access" && a.user.ends_with(":cart"))
        .unwrap();
    assert_eq!(
        secret.name, "payments-key",
        "the mounted secret is not reported"
    );
    let burst = find("audit-forbidden-burst");
    assert!(
        burst.message.contains("refused 10 requests"),
        "{}",
        burst.message
    );
    let privileged = find("audit-privileged-pod");
    assert_eq!(privileged.name, "root-me");
    assert!(privileged.source.as_ref().is_some_and(|s| s.line > 0));
    for a in &alerts {
        assert!(
            !a.audit_id.is_empty() && !a.time.is_empty() && !a.mitre.is_empty(),
            "{a:?}"
        );
    }

    // Exceptions from the configuration: by user, by group, by name.
    let config: AuditConfig = AuditConfig::from_value(Some(&serde_json::json!({
        "exceptions": [
            {"rules": ["audit-pod-exec", "audit-pod-port-forward", "audit-ephemeral-container"], "groups": ["developers"], "reason": "developers debug their pods"},
            {"rules": ["audit-secret-access"], "users": ["system:serviceaccount:shop:*"], "names": ["payments-key"]},
        ]
    })))
    .unwrap();
    let (alerts2, _, det2) = judge(&env.audit_log, config);
    let got2 = pairs(&alerts2);
    for gone in [
        ("eve", "audit-pod-exec"),
        ("eve", "audit-pod-port-forward"),
        ("eve", "audit-ephemeral-container"),
        ("system:serviceaccount:shop:cart", "audit-secret-access"),
    ] {
        assert!(
            !got2.contains(&(gone.0.to_string(), gone.1.to_string())),
            "{gone:?} not suppressed"
        );
    }
    assert!(got2.contains(&("mallory".to_string(), "audit-secret-access".to_string())));
    assert_eq!(det2.stats.suppressed, 4, "suppressed alerts are counted");
    let sup = alerts2.iter().find(|a| a.rule == "audit-pod-exec").unwrap();
    assert_eq!(
        sup.suppressed.as_deref(),
        Some("developers debug their pods")
    );

    // A sample of these real events for the documentation and the CLI tests.
    if let Some(dest) = std::env::var_os("KUBEFORT_WRITE_AUDIT_SAMPLE") {
        let text = std::fs::read_to_string(&env.audit_log).unwrap();
        // The API server's own traffic: its writes and reads, a few watches.
        let (mut complete, mut started) = (0, 0);
        let sample: String = text
            .lines()
            .filter(|l| {
                if !l.contains("\"username\":\"system:apiserver\"") {
                    return true;
                }
                if l.contains("\"stage\":\"ResponseStarted\"") {
                    started += 1;
                    started <= 5
                } else {
                    complete += 1;
                    complete <= 40
                }
            })
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(dest, sample).unwrap();
    }
}

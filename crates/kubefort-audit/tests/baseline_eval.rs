//! The learned baseline on a generated month of audit events: 24 workload
//! service accounts, 8 people and 2 deployment agents, each with its own
//! habits (actions, addresses, clients) and a long tail of occasional
//! actions; learned over 30 days, then judged on day 31 with ten attack
//! steps injected. Prints precision (alerts on attack events / alerts) and
//! recall (attack steps with an alert / attack steps), and holds them to a
//! floor.

use kubefort_audit::baseline::Baseline;
use kubefort_audit::{AuditConfig, Detector, Event};
use serde_json::json;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
}

#[derive(Clone)]
struct Act {
    verb: &'static str,
    resource: &'static str,
    sub: &'static str,
    group: &'static str,
    ns: String,
    name: String,
}

fn act(verb: &'static str, resource: &'static str, ns: &str, name: &str) -> Act {
    let (resource, sub) = resource.split_once('/').unwrap_or((resource, ""));
    let group = match resource {
        "deployments" | "daemonsets" | "replicasets" => "apps",
        "clusterrolebindings" | "rolebindings" | "roles" | "clusterroles" => {
            "rbac.authorization.k8s.io"
        }
        "leases" => "coordination.k8s.io",
        _ => "",
    };
    Act {
        verb,
        resource,
        sub,
        group,
        ns: ns.to_string(),
        name: name.to_string(),
    }
}

struct Identity {
    user: String,
    groups: Vec<&'static str>,
    agent: String,
    ips: Vec<String>,
    habits: Vec<Act>,
    occasional: Vec<Act>,
    per_day: usize,
}

fn event(id: &str, t_us: i64, who: &Identity, ip: &str, agent: &str, a: &Act) -> String {
    let secs = t_us / 1_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970 (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let ts = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        t_us % 1_000_000
    );
    let base = if a.group.is_empty() {
        "/api/v1".to_string()
    } else {
        format!("/apis/{}/v1", a.group)
    };
    let mut uri = base;
    if !a.ns.is_empty() {
        uri += &format!("/namespaces/{}", a.ns);
    }
    uri += &format!("/{}", a.resource);
    if !a.name.is_empty() {
        uri += &format!("/{}", a.name);
    }
    if !a.sub.is_empty() {
        uri += &format!("/{}", a.sub);
    }
    json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": id, "stage": "ResponseComplete", "requestURI": uri, "verb": a.verb,
        "user": {"username": who.user, "groups": who.groups},
        "sourceIPs": [ip], "userAgent": agent,
        "objectRef": {"resource": a.resource, "subresource": a.sub, "namespace": a.ns, "name": a.name, "apiGroup": a.group, "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": ts, "stageTimestamp": ts,
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    })
    .to_string()
}

fn identities(rng: &mut Rng) -> Vec<Identity> {
    let mut out = Vec::new();
    let namespaces = ["shop", "payments", "search", "auth", "media", "ops"];
    let apps = ["api", "worker", "cache", "cron"];
    for (i, ns) in namespaces.iter().enumerate() {
        for (j, app) in apps.iter().enumerate() {
            let mut habits = vec![
                act("get", "configmaps", ns, &format!("{app}-config")),
                act("get", "secrets", ns, &format!("{app}-credentials")),
                act("list", "pods", ns, ""),
                act("watch", "endpoints", ns, ""),
            ];
            if j == 0 {
                habits.push(act("get", "services", ns, ""));
            }
            if j == 3 {
                habits.push(act("update", "leases", ns, &format!("{app}-leader")));
            }
            let ips = (0..3)
                .map(|_| format!("10.244.{}.{}", i * 4 + j, 2 + rng.below(250)))
                .collect();
            out.push(Identity {
                user: format!("system:serviceaccount:{ns}:{app}"),
                groups: vec!["system:serviceaccounts", "system:authenticated"],
                agent: format!("{app}/1.{} (linux/amd64)", i),
                ips,
                habits,
                occasional: vec![act("get", "configmaps", ns, "feature-flags")],
                per_day: 150,
            });
        }
    }
    let people = [
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
    ];
    for (k, p) in people.iter().enumerate() {
        let home = namespaces[k % 3];
        let other = namespaces[(k % 3) + 3];
        out.push(Identity {
            user: p.to_string(),
            groups: vec!["developers", "system:authenticated"],
            agent: "kubectl/v1.37.1 (linux/amd64) kubernetes/abcdef0".to_string(),
            ips: vec![
                format!("192.0.2.{}", 10 + k),
                format!("198.51.100.{}", 10 + k),
            ],
            habits: vec![
                act("list", "pods", home, ""),
                act("get", "pods", home, "api-0"),
                act("get", "pods/log", home, "api-0"),
                act("list", "deployments", home, ""),
                act("get", "deployments", home, "api"),
                act("list", "pods", other, ""),
                act("list", "services", home, ""),
                act("list", "events", home, ""),
            ],
            occasional: vec![
                act("create", "pods/exec", home, "api-0"),
                act("delete", "pods", home, "api-1"),
                act("patch", "deployments", home, "api"),
                act("get", "secrets", home, "api-credentials"),
                act("create", "pods/portforward", home, "cache-0"),
                act("list", "configmaps", other, ""),
                act("get", "pods/log", other, "worker-0"),
                act("list", "namespaces", "", ""),
            ],
            per_day: 60,
        });
    }
    for (k, agent) in ["argocd-application-controller", "flux-kustomize"]
        .iter()
        .enumerate()
    {
        out.push(Identity {
            user: format!("system:serviceaccount:gitops:{agent}"),
            groups: vec!["system:serviceaccounts", "system:authenticated"],
            agent: format!("{agent}/v2.{k}.3"),
            ips: vec![format!("10.244.60.{}", 10 + k)],
            habits: namespaces
                .iter()
                .flat_map(|ns| {
                    [
                        act("get", "deployments", ns, "api"),
                        act("patch", "deployments", ns, "api"),
                        act("list", "configmaps", ns, ""),
                        act("patch", "services", ns, "api"),
                    ]
                })
                .collect(),
            occasional: namespaces
                .iter()
                .map(|ns| act("create", "configmaps", ns, "api-config"))
                .collect(),
            per_day: 200,
        });
    }
    out
}

/// A day of normal traffic starting at `day_us`.
fn day(
    rng: &mut Rng,
    ids: &[Identity],
    day_us: i64,
    seq: &mut u64,
    out: &mut Vec<(String, bool, usize)>,
) {
    for who in ids {
        for _ in 0..who.per_day {
            let a = if !who.occasional.is_empty() && rng.chance(0.004) {
                &who.occasional[rng.below(who.occasional.len())]
            } else {
                &who.habits[rng.below(who.habits.len())]
            };
            let ip = &who.ips[rng.below(who.ips.len())];
            let t = day_us + rng.below(86_400_000_000) as i64;
            *seq += 1;
            out.push((
                event(&format!("n-{seq}"), t, who, ip, &who.agent, a),
                false,
                0,
            ));
        }
    }
}

#[test]
fn baseline_precision_and_recall_on_injected_attacks() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let ids = identities(&mut rng);
    let start: i64 = 1_793_491_200_000_000; // 2026-11-01T00:00:00Z
    let day_us: i64 = 86_400_000_000;
    let mut seq = 0u64;

    // Thirty days of history.
    let mut history = Vec::new();
    for d in 0..30 {
        day(&mut rng, &ids, start + d * day_us, &mut seq, &mut history);
    }
    let mut baseline = Baseline::new();
    for (line, _, _) in &history {
        baseline.learn(&Event::parse(line).unwrap());
    }
    assert_eq!(baseline.days(), 29);
    // The learned file round-trips.
    let baseline = Baseline::from_json(&serde_json::to_string(&baseline).unwrap(), "b").unwrap();

    // Day 31: normal traffic, and ten attack steps.
    let mut test = Vec::new();
    let t31 = start + 30 * day_us;
    day(&mut rng, &ids, t31, &mut seq, &mut test);
    let find = |u: &str| ids.iter().find(|i| i.user == u).unwrap();
    let cart = find("system:serviceaccount:shop:api");
    let alice = find("alice");
    let bob = find("bob");
    let transcoder = find("system:serviceaccount:media:worker");
    let backup = find("system:serviceaccount:ops:cron");
    let deployer = find("system:serviceaccount:gitops:flux-kustomize");
    let stranger = Identity {
        user: "system:serviceaccount:default:default".into(),
        groups: vec!["system:serviceaccounts", "system:authenticated"],
        agent: "curl/8.5.0".into(),
        ips: vec!["10.244.99.7".into()],
        habits: vec![],
        occasional: vec![],
        per_day: 0,
    };
    let steps: Vec<(&Identity, &str, &str, Vec<Act>)> = vec![
        (
            cart,
            &cart.ips[0],
            cart.agent.as_str(),
            vec![act("list", "secrets", "shop", "")],
        ),
        (
            cart,
            &cart.ips[0],
            cart.agent.as_str(),
            vec![act("get", "secrets", "payments", "stripe-key")],
        ),
        (
            cart,
            "203.0.113.9",
            "curl/8.5.0",
            vec![
                act("list", "pods", "kube-system", ""),
                act("list", "secrets", "kube-system", ""),
            ],
        ),
        (
            alice,
            &alice.ips[0],
            alice.agent.as_str(),
            vec![act("create", "clusterrolebindings", "", "alice-admin")],
        ),
        (
            alice,
            &alice.ips[1],
            alice.agent.as_str(),
            vec![act("create", "pods/exec", "payments", "api-0")],
        ),
        (
            bob,
            "203.0.113.50",
            bob.agent.as_str(),
            vec![act("list", "secrets", "", "")],
        ),
        (
            &stranger,
            "10.244.99.7",
            "curl/8.5.0",
            vec![act("list", "pods", "", ""), act("list", "secrets", "", "")],
        ),
        (
            deployer,
            &deployer.ips[0],
            deployer.agent.as_str(),
            vec![act("create", "daemonsets", "kube-system", "node-agent")],
        ),
        (
            transcoder,
            &transcoder.ips[0],
            transcoder.agent.as_str(),
            vec![act("create", "pods/exec", "search", "api-0")],
        ),
        (
            backup,
            &backup.ips[0],
            backup.agent.as_str(),
            vec![act("create", "serviceaccounts/token", "ops", "admin")],
        ),
    ];
    for (k, (who, ip, agent, acts)) in steps.iter().enumerate() {
        let t = t31 + (k as i64 + 1) * 3_600_000_000;
        for (n, a) in acts.iter().enumerate() {
            test.push((
                event(
                    &format!("attack-{k}-{n}"),
                    t + n as i64 * 1000,
                    who,
                    ip,
                    agent,
                    a,
                ),
                true,
                k,
            ));
        }
    }
    test.sort_by(|a, b| {
        let t = |s: &str| {
            serde_json::from_str::<serde_json::Value>(s).unwrap()["stageTimestamp"]
                .as_str()
                .unwrap()
                .to_string()
        };
        t(&a.0).cmp(&t(&b.0))
    });

    let rules =
        kubefort_audit::select_rules(Some(&["audit-baseline-anomaly".to_string()]), &[], &[])
            .unwrap();
    let mut det = Detector::new(rules, AuditConfig::default()).with_baseline(baseline);
    let mut alerts_total = 0usize;
    let mut alerts_attack = 0usize;
    let mut detected = vec![false; steps.len()];
    let mut false_positives = Vec::new();
    for (line, attack, step) in &test {
        let ev = Event::parse(line).unwrap();
        let mut hits = Vec::new();
        det.feed(&ev, None, &mut |a| hits.push(a));
        for a in hits {
            alerts_total += 1;
            if *attack {
                alerts_attack += 1;
                detected[*step] = true;
            } else {
                false_positives.push(a.message);
            }
        }
    }
    let precision = alerts_attack as f64 / alerts_total.max(1) as f64;
    let recall = detected.iter().filter(|d| **d).count() as f64 / steps.len() as f64;
    println!(
        "baseline evaluation: {} history events, {} identities, day 31: {} events ({} attack events in {} steps)",
        history.len(),
        ids.len(),
        test.len(),
        test.iter().filter(|t| t.1).count(),
        steps.len()
    );
    println!(
        "alerts {alerts_total}: {alerts_attack} on attack events, {} false positives; precision {precision:.2}, recall {recall:.2}",
        false_positives.len()
    );
    for fp in &false_positives {
        println!("  false positive: {fp}");
    }
    assert_eq!(recall, 1.0, "every attack step is flagged: {detected:?}");
    assert!(precision >= 0.5, "precision {precision:.2}");
    // An explanation a person can act on.
    let mut det2 = Detector::new(
        kubefort_audit::select_rules(Some(&["audit-baseline-anomaly".to_string()]), &[], &[])
            .unwrap(),
        AuditConfig::default(),
    )
    .with_baseline(det.settings.baseline.clone().unwrap());
    let mut msgs = Vec::new();
    let first = test.iter().find(|t| t.0.contains("attack-0-0")).unwrap();
    det2.feed(&Event::parse(&first.0).unwrap(), None, &mut |a| {
        msgs.push(a.message)
    });
    assert!(
        msgs[0].contains("system:serviceaccount:shop:api never listed secrets in namespace shop before; 1st time in 29 days of history"),
        "{msgs:?}"
    );
}

//! ValidatingAdmissionPolicy verdicts of a real kube-apiserver against
//! kubefort's.
//!
//! Each policy file of `tests/vap/` (policies, bindings, parameters) is
//! created in a real API server (kubefort-testenv), and every object of its
//! `.cases.yaml` is created with a server-side dry run. The API server's
//! answer (admitted, or denied by a ValidatingAdmissionPolicy) must be
//! kubefort's, and so must the message and the reason when one validation
//! denies. Then the `K8sNativeValidation` code of every gatekeeper-library
//! template is turned into a ValidatingAdmissionPolicy as Gatekeeper does
//! (its variables `anyObject` and `params`, the constraint's parameters),
//! and the library's example objects get the same treatment.
//!
//! Objects the API server rejects before admission (invalid objects) are
//! counted and skipped.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kubefort_core::config::PolicyEntry;
use kubefort_core::yaml::{load_str, Limits};
use kubefort_policy::kinds::{is_cluster_scoped, resource_of, split_api_version};
use kubefort_policy::{Action, LoadOptions, PolicySet, Request, Violation};
use kubefort_testenv::{Options, TestEnv};
use serde_json::{json, Value as Json};

fn objects_of(text: &str) -> Vec<Json> {
    load_str(text, &Limits::default())
        .into_iter()
        .map(|d| d.unwrap().root.to_json())
        .filter(|j| j.get("kind").is_some())
        .collect()
}

fn api_for(client: &kube::Client, obj: &Json) -> Api<DynamicObject> {
    let av = obj["apiVersion"].as_str().unwrap();
    let kind = obj["kind"].as_str().unwrap();
    let (group, version) = split_api_version(av);
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(group, version, kind),
        &resource_of(kind),
    );
    if is_cluster_scoped(group, kind) {
        Api::all_with(client.clone(), &ar)
    } else {
        let ns = obj
            .pointer("/metadata/namespace")
            .and_then(Json::as_str)
            .unwrap_or("default");
        Api::namespaced_with(client.clone(), ns, &ar)
    }
}

async fn create(client: &kube::Client, obj: &Json) {
    let d: DynamicObject = serde_json::from_value(obj.clone()).unwrap();
    api_for(client, obj)
        .create(&PostParams::default(), &d)
        .await
        .unwrap_or_else(|e| panic!("creating {obj}: {e}"));
}

async fn delete(client: &kube::Client, obj: &Json) {
    let name = obj
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .unwrap();
    let _ = api_for(client, obj)
        .delete(name, &DeleteParams::default())
        .await;
}

/// The API server's answer to a dry-run create.
#[derive(Debug, PartialEq)]
enum Answer {
    Allowed,
    /// Denied by a policy: message after "denied request: ", and reason.
    Denied(String, String),
    /// Rejected before admission (an invalid object).
    Invalid(String),
}

async fn dry_run(client: &kube::Client, obj: &Json) -> Answer {
    let d: DynamicObject = serde_json::from_value(obj.clone()).unwrap();
    let pp = PostParams {
        dry_run: true,
        ..Default::default()
    };
    match api_for(client, obj).create(&pp, &d).await {
        Ok(_) => Answer::Allowed,
        Err(kube::Error::Api(ae)) => {
            if let Some((_, m)) = ae.message.split_once("denied request: ") {
                Answer::Denied(m.to_string(), ae.reason.clone())
            } else {
                Answer::Invalid(ae.message.clone())
            }
        }
        Err(e) => panic!("dry run of {obj}: {e}"),
    }
}

/// kubefort's answer.
fn kubefort(set: &PolicySet, obj: &Json) -> Vec<Violation> {
    let v = set.evaluate(&Request::create(obj.clone()));
    v.into_iter()
        .filter(|v| v.actions.contains(&Action::Deny))
        .collect()
}

#[derive(Default)]
struct Tally {
    cases: usize,
    denied: usize,
    allowed: usize,
    messages_compared: usize,
    invalid: Vec<String>,
    failures: Vec<String>,
}

fn compare(
    tally: &mut Tally,
    what: &str,
    ours: &[Violation],
    theirs: &Answer,
    compare_messages: bool,
) {
    match theirs {
        Answer::Invalid(m) => {
            tally.invalid.push(format!("{what}: {m}"));
            return;
        }
        Answer::Allowed => {
            tally.allowed += 1;
            if !ours.is_empty() {
                tally.failures.push(format!(
                    "{what}: the API server admits it, kubefort denies: {:?}",
                    ours.iter().map(|v| &v.message).collect::<Vec<_>>()
                ));
            }
        }
        Answer::Denied(msg, reason) => {
            tally.denied += 1;
            if ours.is_empty() {
                tally.failures.push(format!(
                    "{what}: the API server denies ({msg}), kubefort admits"
                ));
            } else if compare_messages && ours.len() == 1 && !msg.contains("resulted in error") {
                tally.messages_compared += 1;
                if ours[0].message != *msg {
                    tally.failures.push(format!(
                        "{what}: message {:?}, the API server's {msg:?}",
                        ours[0].message
                    ));
                }
                let r = ours[0].reason.as_deref().unwrap_or("Invalid");
                if r != reason {
                    tally
                        .failures
                        .push(format!("{what}: reason {r}, the API server's {reason}"));
                }
            }
        }
    }
    tally.cases += 1;
}

/// Wait until the API server enforces the new policies: the first object
/// kubefort denies is denied (policies are loaded asynchronously).
async fn settle(client: &kube::Client, probe: Option<&Json>) {
    let Some(p) = probe else {
        tokio::time::sleep(Duration::from_secs(3)).await;
        return;
    };
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if matches!(dry_run(client, p).await, Answer::Denied(..)) {
            // the other bindings of the file settle with it
            tokio::time::sleep(Duration::from_millis(500)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A JSON value as a CEL literal (elements as `dyn`, since the type checker
/// refuses maps and lists of mixed types).
fn cel_literal(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => serde_json::to_string(s).unwrap(),
        Json::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|x| format!("dyn({})", cel_literal(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Json::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!(
                    "{}: dyn({})",
                    serde_json::to_string(k).unwrap(),
                    cel_literal(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn library() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/open-policy-agent__gatekeeper-library/library");
    root.is_dir().then_some(root)
}

fn entry(p: &Path) -> PolicyEntry {
    PolicyEntry {
        path: p.display().to_string(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn verdicts_agree_with_the_api_server() {
    let env = TestEnv::start(Options::default())
        .await
        .expect("testenv starts");
    let client = env.client().await.unwrap();
    let mut tally = Tally::default();

    // 1. kubefort's own policy files
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vap");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_string_lossy().ends_with(".yaml") && !p.to_string_lossy().ends_with(".cases.yaml")
        })
        .collect();
    files.sort();
    for f in &files {
        let set = PolicySet::load(&[entry(f)], &LoadOptions::default());
        assert!(set.errors.is_empty(), "{}: {:?}", f.display(), set.errors);
        let text = std::fs::read_to_string(f).unwrap();
        let created = objects_of(&text);
        for o in &created {
            create(&client, o).await;
        }
        let cases = objects_of(&std::fs::read_to_string(f.with_extension("cases.yaml")).unwrap());
        let probe = cases.iter().find(|c| !kubefort(&set, c).is_empty());
        settle(&client, probe).await;
        for c in &cases {
            let what = format!(
                "{} {} {}",
                f.file_name().unwrap().to_string_lossy(),
                c["kind"].as_str().unwrap(),
                c.pointer("/metadata/name").unwrap()
            );
            let ours = kubefort(&set, c);
            let theirs = dry_run(&client, c).await;
            compare(&mut tally, &what, &ours, &theirs, true);
        }
        for o in created.iter().rev() {
            delete(&client, o).await;
        }
        // let the deletions reach the admission plugin
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let own_cases = tally.cases;

    // 2. the gatekeeper-library's CEL templates as ValidatingAdmissionPolicies
    if let Some(lib) = library() {
        let mut templates: Vec<PathBuf> = Vec::new();
        let mut stack = vec![lib];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.file_name().is_some_and(|n| n == "template.yaml")
                    && std::fs::read_to_string(&p)
                        .unwrap()
                        .contains("K8sNativeValidation")
                {
                    templates.push(p);
                }
            }
        }
        templates.sort();
        for t in &templates {
            let tj = objects_of(&std::fs::read_to_string(t).unwrap()).remove(0);
            let name = tj
                .pointer("/metadata/name")
                .unwrap()
                .as_str()
                .unwrap()
                .to_string();
            let code = tj
                .pointer("/spec/targets/0/code")
                .unwrap()
                .as_array()
                .unwrap();
            let src = code
                .iter()
                .find(|c| c["engine"] == "K8sNativeValidation")
                .unwrap()["source"]
                .clone();
            let samples = t.parent().unwrap().join("samples");
            let mut dirs: Vec<PathBuf> = std::fs::read_dir(&samples)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.join("constraint.yaml").is_file())
                .collect();
            dirs.sort();
            for sd in dirs {
                let cpath = sd.join("constraint.yaml");
                let cj = objects_of(&std::fs::read_to_string(&cpath).unwrap()).remove(0);
                let set = PolicySet::load(
                    &[entry(t), entry(&cpath)],
                    &LoadOptions { prefer_cel: true },
                );
                assert!(set.errors.is_empty(), "{:?}", set.errors);
                let params = cj
                    .pointer("/spec/parameters")
                    .cloned()
                    .unwrap_or(Json::Null);
                let mut rules = Vec::new();
                for k in cj
                    .pointer("/spec/match/kinds")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    let groups: Vec<Json> = k["apiGroups"].as_array().cloned().unwrap_or_default();
                    let resources: Vec<String> = k["kinds"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|x| resource_of(x.as_str().unwrap()))
                        .collect();
                    rules.push(json!({
                        "apiGroups": groups, "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE"], "resources": resources
                    }));
                }
                let mut variables = vec![
                    json!({"name": "anyObject", "expression": "object"}),
                    json!({"name": "params", "expression": format!("dyn({})", cel_literal(&params))}),
                ];
                variables.extend(src["variables"].as_array().cloned().unwrap_or_default());
                let vap_name = format!("gk-{name}");
                let mut vap_spec = json!({
                    "failurePolicy": "Fail",
                    "matchConstraints": {"resourceRules": rules},
                    "variables": variables,
                    "validations": src["validations"],
                });
                if let Some(mc) = src.get("matchConditions") {
                    vap_spec["matchConditions"] = mc.clone();
                }
                let vap = json!({
                    "apiVersion": "admissionregistration.k8s.io/v1",
                    "kind": "ValidatingAdmissionPolicy",
                    "metadata": {"name": vap_name},
                    "spec": vap_spec,
                });
                let binding = json!({
                    "apiVersion": "admissionregistration.k8s.io/v1",
                    "kind": "ValidatingAdmissionPolicyBinding",
                    "metadata": {"name": vap_name},
                    "spec": {"policyName": vap_name, "validationActions": ["Deny"]},
                });
                create(&client, &vap).await;
                create(&client, &binding).await;
                let mut examples: Vec<Json> = Vec::new();
                let mut rd: Vec<PathBuf> = std::fs::read_dir(&sd)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .filter(|p| {
                        let n = p.file_name().unwrap().to_string_lossy().to_string();
                        n.ends_with(".yaml")
                            && !n.starts_with("constraint")
                            && !n.contains("inventory")
                    })
                    .collect();
                rd.sort();
                for p in &rd {
                    examples.extend(objects_of(&std::fs::read_to_string(p).unwrap()));
                }
                // objects the constraint's namespaces criterion would skip are out of scope
                let probe = examples.iter().find(|c| !kubefort(&set, c).is_empty());
                settle(&client, probe).await;
                for (i, c) in examples.iter().enumerate() {
                    let what = format!(
                        "{name}/{} example {i}",
                        sd.file_name().unwrap().to_string_lossy()
                    );
                    let ours = kubefort(&set, c);
                    let theirs = dry_run(&client, c).await;
                    compare(&mut tally, &what, &ours, &theirs, true);
                }
                delete(&client, &binding).await;
                delete(&client, &vap).await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
    println!(
        "ValidatingAdmissionPolicy verdicts: {} cases ({} from kubefort's policy files, {} from the gatekeeper-library's CEL code): {} denied, {} admitted by the API server, messages and reasons compared on {}; {} invalid objects skipped",
        tally.cases,
        own_cases,
        tally.cases - own_cases,
        tally.denied,
        tally.allowed,
        tally.messages_compared,
        tally.invalid.len()
    );
    for i in &tally.invalid {
        println!("SKIPPED (invalid) {i}");
    }
    for f in &tally.failures {
        println!("FAIL {f}");
    }
    assert!(
        tally.failures.is_empty(),
        "{} disagreements",
        tally.failures.len()
    );
    assert!(
        tally.denied >= 20 && tally.allowed >= 20,
        "too few of each verdict"
    );
}

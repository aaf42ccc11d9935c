//! Conformance with the public gatekeeper-library: every ConstraintTemplate
//! and every constraint loads, and every example object gets the verdict
//! the library documents, with the Rego code and, where a template ships
//! one, with its `K8sNativeValidation` (CEL) code.
//!
//! The library's layout: `library/<group>/<template>/template.yaml` and
//! `samples/<sample>/constraint.yaml` with example objects beside it, named
//! `example_allowed*.yaml` / `example_disallowed*.yaml` (or `*-allowed`,
//! `*-disallowed`, `disallowed_*`, or in a `disallowed/` folder);
//! `example_inventory*.yaml` are the cluster objects a referential template
//! reads (`data.inventory`). Examples whose name does not carry the verdict
//! are listed in `NAMED_VERDICTS` with the reason, read from the template.

use std::path::{Path, PathBuf};

use kubefort_core::config::PolicyEntry;
use kubefort_core::yaml::{load_str, Limits};
use kubefort_policy::{LoadOptions, PolicySet, Request};

fn library() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/open-policy-agent__gatekeeper-library/library");
    root.is_dir().then_some(root)
}

/// Examples whose file name does not say the verdict: (path suffix, deny?, why).
const NAMED_VERDICTS: &[(&str, bool, &str)] = &[
    (
        "disallowedtags/samples/container-image-must-not-have-latest-tag/example_no_tag.yaml",
        true,
        "the template's second rule denies images without a tag",
    ),
    (
        "disallowedtags/samples/container-image-must-not-have-latest-tag/example_no_tag_w_port.yaml",
        true,
        "a registry port is not a tag: the image has none",
    ),
    (
        "disallowedtags/samples/container-image-must-not-have-latest-tag/example_exempt_image_w_disallowed_tag.yaml",
        false,
        "the image is listed in exemptImages",
    ),
    (
        "capabilities/samples/psp-capabilities-restricted/example_drop_all.yaml",
        false,
        "drops ALL and adds nothing, as the constraint requires",
    ),
];

fn verdict_of(path: &Path) -> Option<bool> {
    let s = path.to_string_lossy();
    if let Some((_, deny, _)) = NAMED_VERDICTS.iter().find(|(p, _, _)| s.ends_with(p)) {
        return Some(*deny);
    }
    let name = path.file_name()?.to_str()?;
    if path
        .parent()
        .and_then(|p| p.file_name())
        .is_some_and(|n| n == "disallowed")
    {
        return Some(true);
    }
    if name.contains("disallowed") {
        return Some(true);
    }
    if name.contains("allowed") {
        return Some(false);
    }
    None
}

/// `(verdict word, trailing digits)` of an example or inventory file name.
fn key(name: &str) -> (Option<&'static str>, String) {
    let stem = name.trim_end_matches(".yaml");
    let word = if stem.contains("disallowed") {
        Some("disallowed")
    } else if stem.contains("allowed") {
        Some("allowed")
    } else {
        None
    };
    let digits: String = stem
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (word, digits)
}

fn objects(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    load_str(&text, &Limits::default())
        .into_iter()
        .filter_map(|d| d.ok())
        .map(|d| d.root.to_json())
        .filter(|j| j.get("kind").is_some())
        .collect()
}

fn entry(p: &Path) -> PolicyEntry {
    PolicyEntry {
        path: p.display().to_string(),
        ..Default::default()
    }
}

#[derive(Default)]
struct Tally {
    templates: usize,
    cel_templates: usize,
    constraints: usize,
    examples: usize,
    agreed_rego: usize,
    agreed_cel: usize,
    checked_cel: usize,
    failures: Vec<String>,
}

fn run_sample(tally: &mut Tally, template: &Path, sample: &Path) {
    let mut files: Vec<PathBuf> = Vec::new();
    for e in walkdir(sample) {
        files.push(e);
    }
    let constraints: Vec<&PathBuf> = files
        .iter()
        .filter(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("constraint"))
        })
        .collect();
    // Every constraint loads.
    for c in &constraints {
        for prefer_cel in [false, true] {
            let set = PolicySet::load(&[entry(template), entry(c)], &LoadOptions { prefer_cel });
            if !set.errors.is_empty() || set.len() != 1 {
                tally.failures.push(format!(
                    "{}: does not load: {:?}",
                    c.display(),
                    set.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>()
                ));
            }
        }
        tally.constraints += 1;
    }
    // The documented verdicts are those of `constraint.yaml`.
    let Some(primary) = constraints
        .iter()
        .find(|c| c.file_name().is_some_and(|n| n == "constraint.yaml"))
    else {
        return;
    };
    let inventories: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.to_string_lossy().contains("example_inventory"))
        .collect();
    let has_cel = std::fs::read_to_string(template)
        .unwrap()
        .contains("K8sNativeValidation");
    for ex in &files {
        let name = ex.file_name().unwrap().to_str().unwrap();
        if name.starts_with("constraint") || name.contains("example_inventory") {
            continue;
        }
        let Some(deny) = verdict_of(ex) else {
            tally
                .failures
                .push(format!("{}: no documented verdict", ex.display()));
            continue;
        };
        let ek = key(name);
        let inv: Vec<&&PathBuf> = inventories
            .iter()
            .filter(|i| {
                let ik = key(i.file_name().unwrap().to_str().unwrap());
                ik.0.is_none()
                    || ik == ek
                    || (ik.0 == ek.0 && ik.1.is_empty() && ek.0 == Some("allowed"))
            })
            .collect();
        tally.examples += 1;
        for prefer_cel in [false, true] {
            if prefer_cel && !has_cel {
                continue;
            }
            let mut set = PolicySet::load(
                &[entry(template), entry(primary)],
                &LoadOptions { prefer_cel },
            );
            for i in &inv {
                for o in objects(i) {
                    set.resources.add(o);
                }
            }
            let mut denied = false;
            let mut messages = Vec::new();
            for o in objects(ex) {
                let v = set.evaluate(&Request::create(o));
                denied |= !v.is_empty();
                messages.extend(v.into_iter().map(|v| v.message));
            }
            let errs = set.evaluation_errors();
            if denied == deny && errs.is_empty() {
                if prefer_cel {
                    tally.agreed_cel += 1;
                } else {
                    tally.agreed_rego += 1;
                }
            } else {
                tally.failures.push(format!(
                    "{} ({}): expected {}, got {} {:?} errors {:?}",
                    ex.display(),
                    if prefer_cel { "CEL" } else { "Rego" },
                    if deny { "deny" } else { "allow" },
                    if denied { "deny" } else { "allow" },
                    messages,
                    errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
                ));
            }
            if prefer_cel {
                tally.checked_cel += 1;
            }
        }
    }
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_template_and_example_of_the_gatekeeper_library() {
    let Some(lib) = library() else {
        eprintln!("gatekeeper-library corpus not present; skipping");
        return;
    };
    let mut tally = Tally::default();
    let templates: Vec<PathBuf> = walkdir(&lib)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "template.yaml"))
        .collect();
    assert!(templates.len() >= 40, "found {} templates", templates.len());
    for t in &templates {
        tally.templates += 1;
        let set = PolicySet::load(&[entry(t)], &LoadOptions::default());
        if !set.errors.is_empty() {
            tally.failures.push(format!(
                "{}: template does not load: {:?}",
                t.display(),
                set.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>()
            ));
        }
        if std::fs::read_to_string(t)
            .unwrap()
            .contains("K8sNativeValidation")
        {
            tally.cel_templates += 1;
        }
        let samples = t.parent().unwrap().join("samples");
        let Ok(rd) = std::fs::read_dir(&samples) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            run_sample(&mut tally, t, &d);
        }
    }
    println!(
        "gatekeeper-library: {} templates ({} with CEL), {} constraints loaded; {} examples: {} agree with Rego, {}/{} agree with CEL",
        tally.templates,
        tally.cel_templates,
        tally.constraints,
        tally.examples,
        tally.agreed_rego,
        tally.agreed_cel,
        tally.checked_cel
    );
    for f in &tally.failures {
        println!("FAIL {f}");
    }
    assert!(
        tally.failures.is_empty(),
        "{} failures",
        tally.failures.len()
    );
    assert_eq!(tally.agreed_rego, tally.examples);
    assert_eq!(tally.agreed_cel, tally.checked_cel);
}

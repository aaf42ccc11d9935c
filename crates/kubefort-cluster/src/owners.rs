//! Objects made by a controller are reported on the controller.
//!
//! A Deployment with 30 replicas has a ReplicaSet and 30 pods in the API;
//! each has the Deployment's pod template, so each would repeat the
//! Deployment's findings. A finding of an owned object is dropped when its
//! top owner (the controller at the end of the `controller: true` owner
//! references, among the listed objects) has the same finding at the same
//! place in its pod template; what is left (a pod changed after it was
//! created: an ephemeral debug container, a sidecar injected by a mutating
//! webhook) is reported once for all the owner's objects, on the first one.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kubefort_core::object::{pod_spec_paths, Object, PodTemplatePath};
use kubefort_core::{Finding, Report};

/// Which listed objects are owned by which listed controller.
#[derive(Clone, Debug, Default)]
pub struct Owned {
    /// API path of an owned object → API path of its top owner.
    top: HashMap<Arc<str>, Arc<str>>,
}

impl Owned {
    /// Index the controller owner references among `objects` (each
    /// object's `file` is its API path).
    pub fn index(objects: &[Object]) -> Owned {
        let uid = |o: &Object| {
            o.root
                .get("metadata")
                .and_then(|m| m.str_at("uid"))
                .map(str::to_string)
        };
        let by_uid: HashMap<String, usize> = objects
            .iter()
            .enumerate()
            .filter_map(|(i, o)| Some((uid(o)?, i)))
            .collect();
        let controller = |o: &Object| -> Option<usize> {
            let refs = o.root.get("metadata")?.get("ownerReferences")?.as_seq()?;
            refs.iter()
                .find(|r| r.get("controller").and_then(|c| c.as_bool()) == Some(true))
                .and_then(|r| r.str_at("uid"))
                .and_then(|u| by_uid.get(u).copied())
        };
        let parent: Vec<Option<usize>> = objects.iter().map(controller).collect();
        let mut top = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            let Some(mut t) = parent[i] else { continue };
            let mut steps = 0;
            while let Some(p) = parent[t] {
                if p == i || steps > 16 {
                    break;
                }
                t = p;
                steps += 1;
            }
            if t != i {
                top.insert(o.file.clone(), objects[t].file.clone());
            }
        }
        Owned { top }
    }

    /// How many objects are owned by a listed controller.
    pub fn len(&self) -> usize {
        self.top.len()
    }

    pub fn is_empty(&self) -> bool {
        self.top.is_empty()
    }

    /// The top owner's API path of an owned object.
    pub fn owner_of(&self, path: &str) -> Option<&Arc<str>> {
        self.top.get(path)
    }
}

/// A finding's path relative to the pod template it is in, so that a pod's
/// `spec.containers[0]` meets its Deployment's
/// `spec.template.spec.containers[0]`.
fn relative_path(f: &Finding, custom: &[PodTemplatePath]) -> String {
    for at in pod_spec_paths(&f.object, custom) {
        for (prefix, tag) in [
            (at.spec.to_string(), "$pod"),
            (at.metadata.to_string(), "$meta"),
        ] {
            if let Some(rest) = f.path.strip_prefix(prefix.as_str()) {
                if rest.is_empty() || rest.starts_with('.') || rest.starts_with('[') {
                    return format!("{tag}{rest}");
                }
            }
        }
    }
    f.path.clone()
}

/// Fold the findings of owned objects into their owners (see the module
/// docs); returns how many findings were folded.
pub fn fold_owned(report: &mut Report, owned: &Owned, custom: &[PodTemplatePath]) -> usize {
    if owned.is_empty() {
        return 0;
    }
    let key = |f: &Finding, top: &Arc<str>| (top.clone(), f.rule, relative_path(f, custom));
    let mut on_owner: HashSet<(Arc<str>, &'static str, String)> = HashSet::new();
    for f in report.findings.iter().chain(&report.suppressed) {
        if owned.owner_of(&f.location.file).is_none() {
            on_owner.insert(key(f, &f.location.file));
        }
    }
    let mut folded = 0;
    for list in [&mut report.findings, &mut report.suppressed] {
        let mut seen = HashSet::new();
        list.retain(|f| match owned.owner_of(&f.location.file) {
            None => true,
            Some(top) => {
                let k = key(f, top);
                let keep = !on_owner.contains(&k) && seen.insert(k);
                if !keep {
                    folded += 1;
                }
                keep
            }
        });
    }
    let with_findings: HashSet<&Arc<str>> =
        report.findings.iter().map(|f| &f.location.file).collect();
    report.objects.retain(|o| {
        owned.owner_of(&o.location.file).is_none() || with_findings.contains(&o.location.file)
    });
    folded
}

/// The label the API server puts on the RBAC objects of its bootstrap policy.
pub const BOOTSTRAP_LABEL: (&str, &str) = ("kubernetes.io/bootstrapping", "rbac-defaults");

/// API paths of the objects of Kubernetes' bootstrap RBAC policy (the
/// controllers' roles, `cluster-admin`, `system:*`), which every cluster
/// has and its users cannot change for long: the API server reconciles them.
pub fn bootstrap_objects(objects: &[Object]) -> HashSet<Arc<str>> {
    objects
        .iter()
        .filter(|o| {
            o.root
                .get("metadata")
                .and_then(|m| m.get("labels"))
                .and_then(|l| l.str_at(BOOTSTRAP_LABEL.0))
                == Some(BOOTSTRAP_LABEL.1)
        })
        .map(|o| o.file.clone())
        .collect()
}

/// Move the findings on bootstrap objects to the suppressed ones, with the
/// reason; returns how many.
pub fn suppress_bootstrap(report: &mut Report, bootstrap: &HashSet<Arc<str>>) -> usize {
    let (moved, kept): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut report.findings)
        .into_iter()
        .partition(|f| bootstrap.contains(&f.location.file));
    report.findings = kept;
    let n = moved.len();
    for mut f in moved {
        f.suppressed = Some(format!(
            "part of Kubernetes' bootstrap RBAC policy ({}={}); --include-bootstrap reports it",
            BOOTSTRAP_LABEL.0, BOOTSTRAP_LABEL.1
        ));
        report.suppressed.push(f);
    }
    report.suppressed.sort_by(|a, b| {
        (&a.location, a.rule, &a.path, &a.message).cmp(&(&b.location, b.rule, &b.path, &b.message))
    });
    n
}

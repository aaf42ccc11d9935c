//! Kubernetes objects found in documents, and the pod specs inside them.

use std::sync::Arc;

use crate::finding::ObjectRef;
use crate::path::FieldPath;
use crate::value::{Node, Pos, Value};

/// One Kubernetes object with its source.
#[derive(Debug)]
pub struct Object {
    pub root: Node,
    pub id: ObjectRef,
    pub file: Arc<str>,
    /// 0-based index of the document in its file.
    pub doc_index: usize,
    /// Where the pod specs of this object are (none for non-workloads).
    pub pod_specs: Vec<PodSpecAt>,
}

/// Where a pod spec and the metadata beside it live in an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSpecAt {
    pub spec: FieldPath,
    pub metadata: FieldPath,
}

/// A user-declared pod template location, for custom resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodTemplatePath {
    pub kind: String,
    /// API group; `None` matches any group.
    pub group: Option<String>,
    /// Path to the PodSpec (`spec.template.spec`).
    pub spec: FieldPath,
}

/// What a document turned out to be.
pub enum Extracted {
    Objects(Vec<(Node, ObjectRef)>),
    /// Not a Kubernetes object; the reason says why.
    NotAnObject(String),
    /// A Kubernetes object with a malformed identity.
    Invalid {
        pos: Pos,
        message: String,
    },
}

/// Read the identity of a document's root, expanding `List` kinds.
pub fn extract(root: Node) -> Extracted {
    let mut out = Vec::new();
    match extract_into(root, &mut out, 0) {
        Ok(()) if out.is_empty() => Extracted::NotAnObject("an empty List".into()),
        Ok(()) => Extracted::Objects(out),
        Err(e) => e,
    }
}

fn extract_into(
    root: Node,
    out: &mut Vec<(Node, ObjectRef)>,
    depth: usize,
) -> Result<(), Extracted> {
    let Value::Map(map) = &root.value else {
        return Err(Extracted::NotAnObject(format!(
            "the document is a {}, not a Kubernetes object",
            root.value.type_name()
        )));
    };
    let api_version = map.get("apiVersion");
    let kind = map.get("kind");
    let (api_version, kind) = match (api_version, kind) {
        (Some(a), Some(k)) => (a, k),
        _ => {
            return Err(Extracted::NotAnObject(
                "not a Kubernetes object (no apiVersion and kind)".into(),
            ))
        }
    };
    let (Some(api_version), Some(kind)) = (api_version.as_str(), kind.as_str()) else {
        let bad = if api_version.as_str().is_none() {
            ("apiVersion", api_version)
        } else {
            ("kind", kind)
        };
        return Err(Extracted::Invalid {
            pos: bad.1.pos,
            message: format!(
                "{}: expected string, got {}",
                bad.0,
                bad.1.value.type_name()
            ),
        });
    };
    if kind.ends_with("List") && depth < 4 {
        if let Some(items) = map.get("items") {
            if let Value::Seq(_) = items.value {
                let mut root = root;
                let items = take_items(&mut root);
                for item in items {
                    match extract_into(item, out, depth + 1) {
                        Ok(()) | Err(Extracted::NotAnObject(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                return Ok(());
            }
        }
    }
    let id = ObjectRef {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace: root
            .get("metadata")
            .and_then(|m| m.str_at("namespace"))
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        name: root.get("metadata").and_then(|m| {
            m.str_at("name")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .or_else(|| m.str_at("generateName").map(|g| format!("{g}*")))
        }),
    };
    out.push((root, id));
    Ok(())
}

fn take_items(root: &mut Node) -> Vec<Node> {
    if let Value::Map(m) = &mut root.value {
        if let Some(e) = m.entries.iter_mut().find(|e| &*e.key == "items") {
            if let Value::Seq(items) = &mut e.value.value {
                return std::mem::take(items);
            }
        }
    }
    Vec::new()
}

/// Where the pod specs of an object of this kind live.
pub fn pod_spec_paths(id: &ObjectRef, custom: &[PodTemplatePath]) -> Vec<PodSpecAt> {
    let group = id.group();
    let at = |spec: &str, metadata: &str| PodSpecAt {
        spec: FieldPath::parse(spec).expect("static path"),
        metadata: FieldPath::parse(metadata).expect("static path"),
    };
    let builtin = match (group, id.kind.as_str()) {
        ("", "Pod") => Some(at("spec", "metadata")),
        ("", "PodTemplate") => Some(at("template.spec", "template.metadata")),
        ("", "ReplicationController")
        | ("apps" | "extensions", "Deployment" | "ReplicaSet" | "DaemonSet")
        | ("apps", "StatefulSet")
        | ("batch", "Job")
        | ("apps.openshift.io" | "", "DeploymentConfig")
        | ("argoproj.io", "Rollout") => Some(at("spec.template.spec", "spec.template.metadata")),
        ("batch", "CronJob") => Some(at(
            "spec.jobTemplate.spec.template.spec",
            "spec.jobTemplate.spec.template.metadata",
        )),
        _ => None,
    };
    let mut out: Vec<PodSpecAt> = builtin.into_iter().collect();
    for c in custom {
        if c.kind == id.kind && c.group.as_deref().is_none_or(|g| g == group) {
            let segs = c.spec.segs();
            let metadata = match segs.last() {
                Some(crate::path::Seg::Key(k)) if k == "spec" => {
                    let mut p = FieldPath::root();
                    for s in &segs[..segs.len() - 1] {
                        p = match s {
                            crate::path::Seg::Key(k) => p.key(k),
                            crate::path::Seg::Index(i) => p.index(*i),
                        };
                    }
                    p.key("metadata")
                }
                _ => FieldPath::root().key("metadata"),
            };
            let spec_at = PodSpecAt {
                spec: c.spec.clone(),
                metadata,
            };
            if !out.contains(&spec_at) {
                out.push(spec_at);
            }
        }
    }
    out
}

/// Which list of a pod spec a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    Container,
    Init,
    Ephemeral,
}

impl ContainerKind {
    pub const ALL: [ContainerKind; 3] = [
        ContainerKind::Container,
        ContainerKind::Init,
        ContainerKind::Ephemeral,
    ];

    /// The pod spec field that holds this kind.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// How a message names it: "container", "init container", "ephemeral container".
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Container => "container",
            ContainerKind::Init => "init container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// A pod spec inside an object.
#[derive(Clone, Debug)]
pub struct PodSpec<'a> {
    pub node: &'a Node,
    pub path: FieldPath,
    pub metadata: Option<&'a Node>,
    pub metadata_path: FieldPath,
}

/// A container inside a pod spec.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    pub node: &'a Node,
    pub path: FieldPath,
    pub kind: ContainerKind,
    pub name: &'a str,
}

impl<'a> Container<'a> {
    /// `container "app"` / `init container "setup"`.
    pub fn describe(&self) -> String {
        format!("{} {:?}", self.kind.noun(), self.name)
    }
}

impl Object {
    /// The pod specs of this object that are present and are mappings.
    pub fn pod_specs(&self) -> Vec<PodSpec<'_>> {
        self.pod_specs
            .iter()
            .filter_map(|at| {
                let node = at.spec.resolve(&self.root)?;
                node.as_map()?;
                Some(PodSpec {
                    node,
                    path: at.spec.clone(),
                    metadata: at.metadata.resolve(&self.root),
                    metadata_path: at.metadata.clone(),
                })
            })
            .collect()
    }

    /// `metadata.annotations[key]` as a string.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root
            .get_path(&["metadata", "annotations"])?
            .str_at(key)
    }
}

impl<'a> PodSpec<'a> {
    /// Every container of the given kinds, in order, skipping malformed entries.
    pub fn containers_of(&self, kinds: &[ContainerKind]) -> Vec<Container<'a>> {
        let mut out = Vec::new();
        for &kind in kinds {
            let Some(list) = self.node.get(kind.field()).and_then(Node::as_seq) else {
                continue;
            };
            let list_path = self.path.key(kind.field());
            for (i, c) in list.iter().enumerate() {
                if c.as_map().is_none() {
                    continue;
                }
                out.push(Container {
                    node: c,
                    path: list_path.index(i),
                    kind,
                    name: c.str_at("name").unwrap_or(""),
                });
            }
        }
        out
    }

    /// All containers: regular, init and ephemeral.
    pub fn all_containers(&self) -> Vec<Container<'a>> {
        self.containers_of(&ContainerKind::ALL)
    }
}

//! The Namespace objects of a scan, known before any other object is checked.
//!
//! Some rules judge a workload by the namespace it lands in (Pod Security
//! Admission reads the namespace's labels). The engine collects every
//! `v1/Namespace` of the inputs in a first, cheap pass: only files whose text
//! mentions `Namespace` at all are parsed, so the pass costs a read and a
//! substring search for most files.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::object::{extract, Extracted};
use crate::value::{Node, Pos, Value};
use crate::yaml::{load_chunk, split_documents, Limits};

/// A Namespace object: its labels and where it was declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceInfo {
    pub name: String,
    /// `metadata.labels`, string values only (as the API server stores them).
    pub labels: BTreeMap<String, String>,
    pub file: Arc<str>,
    /// Position of the object.
    pub pos: Pos,
}

/// Namespaces by name.
#[derive(Clone, Debug, Default)]
pub struct Namespaces {
    by_name: HashMap<String, NamespaceInfo>,
}

impl Namespaces {
    pub fn get(&self, name: &str) -> Option<&NamespaceInfo> {
        self.by_name.get(name)
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Add a namespace; when a name is declared twice the first one read wins.
    pub fn insert(&mut self, ns: NamespaceInfo) {
        self.by_name.entry(ns.name.clone()).or_insert(ns);
    }

    pub fn extend(&mut self, other: Namespaces) {
        for (_, ns) in other.by_name {
            self.insert(ns);
        }
    }
}

/// Whether a file's text can hold a Namespace object: somewhere a `kind`
/// key has the value `Namespace`, in any of the spellings YAML and JSON
/// allow (`kind: Namespace`, `kind: "Namespace"`, `"kind":"Namespace"`,
/// `{kind: Namespace}`). Mentions in descriptions, `NamespaceSelector`
/// and the like do not count, so large CRDs are not parsed twice.
pub fn may_declare_namespace(text: &str) -> bool {
    may_declare_namespace_bytes(text.as_bytes())
}

/// [`may_declare_namespace`] on a file's raw bytes, before decoding.
pub fn may_declare_namespace_bytes(b: &[u8]) -> bool {
    memchr::memmem::find_iter(b, b"Namespace").any(|at| is_kind_value(b, at))
}

fn is_kind_value(b: &[u8], at: usize) -> bool {
    let end = at + "Namespace".len();
    if b.get(end)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    {
        return false;
    }
    let mut i = at;
    let skip_back = |i: &mut usize, what: &[u8]| {
        while *i > 0 && what.contains(&b[*i - 1]) {
            *i -= 1;
        }
    };
    skip_back(&mut i, b"\"'");
    skip_back(&mut i, b" \t\r\n");
    if i == 0 || b[i - 1] != b':' {
        return false;
    }
    i -= 1;
    skip_back(&mut i, b" \t");
    skip_back(&mut i, b"\"'");
    i >= 4 && &b[i - 4..i] == b"kind" && (i == 4 || !b[i - 5].is_ascii_alphanumeric())
}

/// The Namespace objects declared in a file's text. Documents that fail to
/// load are left to the main pass, which reports them.
pub fn namespaces_in(file: &Arc<str>, text: &str, limits: &Limits) -> Namespaces {
    let mut out = Namespaces::default();
    if !may_declare_namespace(text) {
        return out;
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut docs = Vec::new();
    for chunk in split_documents(text) {
        if may_declare_namespace(chunk.text) {
            load_chunk(chunk, limits, &mut docs);
        }
    }
    for doc in docs.into_iter().flatten() {
        if let Extracted::Objects(objs) = extract(doc.root) {
            for (node, id) in objs {
                if id.kind != "Namespace" || id.api_version != "v1" {
                    continue;
                }
                if let Some(info) = namespace_info(file, &node) {
                    out.insert(info);
                }
            }
        }
    }
    out
}

/// Read a Namespace object's name and labels.
pub fn namespace_info(file: &Arc<str>, node: &Node) -> Option<NamespaceInfo> {
    let meta = node.get("metadata")?;
    let name = meta.str_at("name").filter(|n| !n.is_empty())?;
    let mut labels = BTreeMap::new();
    if let Some(Value::Map(m)) = meta.get("labels").map(|l| &l.value) {
        for (k, v) in m.iter() {
            if let Some(s) = v.as_str() {
                labels.insert(k.to_string(), s.to_string());
            }
        }
    }
    Some(NamespaceInfo {
        name: name.to_string(),
        labels,
        file: file.clone(),
        pos: node.pos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_namespaces_from_lists_and_streams() {
        let f: Arc<str> = "ns.yaml".into();
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: b\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n";
        let ns = namespaces_in(&f, text, &Limits::default());
        assert_eq!(ns.len(), 2);
        assert_eq!(
            ns.get("a").unwrap().labels["pod-security.kubernetes.io/enforce"],
            "restricted"
        );
        assert_eq!(ns.get("a").unwrap().pos.line, 1);
        assert!(ns.get("b").unwrap().labels.is_empty());
        assert!(ns.get("c").is_none());
    }

    #[test]
    fn finds_namespace_kinds_in_every_spelling() {
        for yes in [
            "kind: Namespace\n",
            "kind:   \"Namespace\"\n",
            "{\"kind\":\"Namespace\"}",
            "- {kind: 'Namespace', apiVersion: v1}",
            "  kind: Namespace # the namespace",
            "kind:\n  Namespace\n",
        ] {
            assert!(may_declare_namespace(yes), "{yes}");
        }
        for no in [
            "kind: NamespaceSelector\n",
            "description: the Namespace of the pod\n",
            "subkind: Namespace\n",
            "resources: [Namespace]\n",
            "kinds:\n- Namespace\n",
        ] {
            assert!(!may_declare_namespace(no), "{no}");
        }
    }

    #[test]
    fn skips_files_without_namespaces() {
        let f: Arc<str> = "x.yaml".into();
        assert!(namespaces_in(&f, "kind: Pod\n", &Limits::default()).is_empty());
        assert!(namespaces_in(&f, ": : bad\nNamespace", &Limits::default()).is_empty());
    }
}

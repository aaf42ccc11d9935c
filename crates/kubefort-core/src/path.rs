//! Field paths (`spec.template.spec.containers[0].securityContext.privileged`)
//! and their source locations.

use std::fmt;

use crate::value::{Node, Pos, Value};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path from an object's root to one of its fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FieldPath {
    segs: Vec<Seg>,
}

impl FieldPath {
    pub fn root() -> Self {
        FieldPath { segs: Vec::new() }
    }

    /// Parse a dotted path with `[i]` indexes and `["key"]` for keys that
    /// hold dots or other punctuation (`metadata.labels["app.kubernetes.io/name"]`),
    /// as written in configuration and printed in findings.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("invalid field path {s:?}: {why}");
        let mut segs = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        let mut expect_key = true;
        while i < b.len() {
            match b[i] {
                b'[' if i + 1 < b.len() && b[i + 1] == b'"' => {
                    // A JSON string up to the closing quote, then `]`.
                    let mut j = i + 2;
                    while j < b.len() && b[j] != b'"' {
                        j += if b[j] == b'\\' { 2 } else { 1 };
                    }
                    if j + 1 >= b.len() || b[j + 1] != b']' {
                        return Err(bad("missing \"]"));
                    }
                    let key: String =
                        serde_json::from_str(&s[i + 1..=j]).map_err(|_| bad("bad quoted key"))?;
                    segs.push(Seg::Key(key));
                    i = j + 2;
                    expect_key = false;
                }
                b'[' => {
                    let end = s[i..].find(']').ok_or_else(|| bad("missing ]"))? + i;
                    let idx = s[i + 1..end].parse().map_err(|_| bad("bad index"))?;
                    if segs.is_empty() {
                        return Err(bad("index before any key"));
                    }
                    segs.push(Seg::Index(idx));
                    i = end + 1;
                    expect_key = false;
                }
                b'.' => {
                    if expect_key {
                        return Err(bad("empty key"));
                    }
                    expect_key = true;
                    i += 1;
                }
                _ => {
                    if !expect_key {
                        return Err(bad("a key must follow a dot"));
                    }
                    let end = s[i..].find(['.', '[']).map_or(s.len(), |e| e + i);
                    segs.push(Seg::Key(s[i..end].to_string()));
                    i = end;
                    expect_key = false;
                }
            }
        }
        if expect_key && !s.is_empty() {
            return Err(bad("empty key"));
        }
        if segs.is_empty() {
            return Err(bad("empty path"));
        }
        Ok(FieldPath { segs })
    }

    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.segs.push(Seg::Key(k.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.segs.push(Seg::Index(i));
        p
    }

    /// Append a dotted relative path (`securityContext.privileged`).
    pub fn keys(&self, dotted: &str) -> Self {
        let mut p = self.clone();
        p.segs
            .extend(dotted.split('.').map(|k| Seg::Key(k.to_string())));
        p
    }

    pub fn segs(&self) -> &[Seg] {
        &self.segs
    }

    pub fn is_root(&self) -> bool {
        self.segs.is_empty()
    }

    /// The node at this path, if every step exists.
    pub fn resolve<'a>(&self, root: &'a Node) -> Option<&'a Node> {
        let mut node = root;
        for s in &self.segs {
            node = match (s, &node.value) {
                (Seg::Key(k), Value::Map(m)) => m.get(k)?,
                (Seg::Index(i), Value::Seq(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// Where this path's field stands in the source: the position of its key
    /// (or list item), or of the nearest ancestor that exists.
    pub fn locate(&self, root: &Node) -> Pos {
        let mut node = root;
        let mut pos = root.pos;
        for s in &self.segs {
            match (s, &node.value) {
                (Seg::Key(k), Value::Map(m)) => match m.entry(k) {
                    Some(e) => {
                        pos = e.key_pos;
                        node = &e.value;
                    }
                    None => break,
                },
                (Seg::Index(i), Value::Seq(items)) => match items.get(*i) {
                    Some(n) => {
                        pos = n.pos;
                        node = n;
                    }
                    None => break,
                },
                _ => break,
            }
        }
        pos
    }
}

/// Keys printed bare in a path; others are written `["key"]`.
fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'$')
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.segs {
            match s {
                Seg::Key(k) if is_plain_key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => {
                    let quoted = serde_json::to_string(k).map_err(|_| fmt::Error)?;
                    write!(f, "[{quoted}]")?;
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{load_str, Limits};

    #[test]
    fn display_and_parse_round_trip() {
        let p = FieldPath::root()
            .keys("spec.template.spec")
            .key("containers")
            .index(0)
            .keys("securityContext.privileged");
        let s = p.to_string();
        assert_eq!(
            s,
            "spec.template.spec.containers[0].securityContext.privileged"
        );
        assert_eq!(FieldPath::parse(&s).unwrap(), p);
        assert!(FieldPath::parse("a..b").is_err());
        assert!(FieldPath::parse("a[x]").is_err());
        assert!(FieldPath::parse("a.").is_err());
        assert!(FieldPath::parse(".a").is_err());
        assert!(FieldPath::parse("[0]").is_err());
        assert!(FieldPath::parse("a[\"b\"").is_err());

        let q = FieldPath::root()
            .keys("metadata.labels")
            .key("pod-security.kubernetes.io/enforce")
            .key("x");
        assert_eq!(
            q.to_string(),
            "metadata.labels[\"pod-security.kubernetes.io/enforce\"].x"
        );
        assert_eq!(FieldPath::parse(&q.to_string()).unwrap(), q);
        let odd = FieldPath::root().key("a\"b]").index(2);
        assert_eq!(FieldPath::parse(&odd.to_string()).unwrap(), odd);
    }

    #[test]
    fn locate_nearest_ancestor() {
        let doc = load_str(
            "kind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext:\n      privileged: true\n",
            &Limits::default(),
        )
        .remove(0)
        .unwrap()
        .root;
        let p = FieldPath::parse("spec.containers[0].securityContext.privileged").unwrap();
        assert_eq!(p.locate(&doc), Pos::new(6, 7));
        let missing = FieldPath::parse("spec.containers[0].resources.limits").unwrap();
        assert_eq!(missing.locate(&doc), Pos::new(4, 5));
        assert_eq!(
            FieldPath::parse("spec.containers[3]").unwrap().locate(&doc),
            Pos::new(3, 3)
        );
    }
}

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

    /// Parse a dotted path with `[i]` indexes, as written in configuration.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut segs = Vec::new();
        for part in s.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() {
                return Err(format!("invalid field path {s:?}: empty key"));
            }
            segs.push(Seg::Key(key.to_string()));
            while let Some(r) = rest.strip_prefix('[') {
                let end = r
                    .find(']')
                    .ok_or_else(|| format!("invalid field path {s:?}: missing ]"))?;
                let idx = r[..end]
                    .parse()
                    .map_err(|_| format!("invalid field path {s:?}: bad index"))?;
                segs.push(Seg::Index(idx));
                rest = &r[end + 1..];
            }
            if !rest.is_empty() {
                return Err(format!("invalid field path {s:?}"));
            }
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

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.segs {
            match s {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
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

//! Comparing loaded documents, positions included.
#![allow(dead_code)]

use kubefort_core::value::{Node, Value};
use kubefort_core::yaml::{Document, LoadError};

/// Structural equality with positions; floats compare by bits so that NaN
/// equals NaN. Returns where the trees first differ.
pub fn diff(a: &Node, b: &Node, path: &str) -> Option<String> {
    if a.pos != b.pos {
        return Some(format!("{path}: position {} vs {}", a.pos, b.pos));
    }
    match (&a.value, &b.value) {
        (Value::Float(x), Value::Float(y)) if x.to_bits() == y.to_bits() => None,
        (Value::Seq(x), Value::Seq(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: {} vs {} items", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| diff(p, q, &format!("{path}[{i}]")))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.entries.len() != y.entries.len() {
                return Some(format!(
                    "{path}: {} vs {} entries",
                    x.entries.len(),
                    y.entries.len()
                ));
            }
            x.entries.iter().zip(&y.entries).find_map(|(p, q)| {
                if p.key != q.key {
                    Some(format!("{path}: key {:?} vs {:?}", p.key, q.key))
                } else if p.key_pos != q.key_pos {
                    Some(format!(
                        "{path}.{}: key position {} vs {}",
                        p.key, p.key_pos, q.key_pos
                    ))
                } else {
                    diff(&p.value, &q.value, &format!("{path}.{}", p.key))
                }
            })
        }
        (x, y) if x == y => None,
        (x, y) => Some(format!("{path}: {x:?} vs {y:?}")),
    }
}

pub fn diff_docs(
    a: &[Result<Document, LoadError>],
    b: &[Result<Document, LoadError>],
) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!("{} vs {} documents", a.len(), b.len()));
    }
    a.iter().zip(b).enumerate().find_map(|(i, d)| match d {
        (Ok(x), Ok(y)) if x.index == y.index => diff(&x.root, &y.root, &format!("doc{i}")),
        (Err(x), Err(y)) if x == y => None,
        (x, y) => Some(format!("doc{i}: {x:?} vs {y:?}")),
    })
}

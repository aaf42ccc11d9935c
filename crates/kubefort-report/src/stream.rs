//! Pieces for writing a large JSON document as it is produced, without
//! building it as one `serde_json::Value` first.
//!
//! The JSON and SARIF reports used to be built as a `Value` and then printed;
//! their layout is what that printed. Streaming keeps it byte for byte: each
//! element of a long array is still made into a small `Value` (so its members
//! come out in `serde_json::Map` order, and a field added to a serialized
//! type appears as before), then written and dropped; objects written member
//! by member take their order from [`map_order`].

use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::Value;

/// `keys` in the order a `serde_json::Map` holding them iterates them, so
/// an object written member by member matches the one a `Value` printed.
pub(crate) fn map_order(keys: &[&'static str]) -> Vec<&'static str> {
    let map: serde_json::Map<String, Value> =
        keys.iter().map(|k| (k.to_string(), Value::Null)).collect();
    map.keys()
        .map(|k| *keys.iter().find(|&&x| x == k).expect("a key given"))
        .collect()
}

/// A JSON array whose elements are made one at a time by `make()`'s iterator.
pub(crate) struct Seq<F>(pub F);

impl<F, I> Serialize for Seq<F>
where
    F: Fn() -> I,
    I: Iterator<Item = Value>,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for v in (self.0)() {
            seq.serialize_element(&v)?;
        }
        seq.end()
    }
}

/// A JSON array of `items`, each serialized as a `Value` would print it.
pub(crate) struct Each<'a, T>(pub &'a [T]);

impl<T: Serialize> Serialize for Each<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for item in self.0 {
            let v = serde_json::to_value(item).map_err(serde::ser::Error::custom)?;
            seq.serialize_element(&v)?;
        }
        seq.end()
    }
}

/// Pretty-print `value` to `out` as `serde_json::to_string_pretty` does,
/// with a final line break.
pub(crate) fn write_pretty<W: std::io::Write>(
    value: &impl Serialize,
    out: W,
) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::pretty(out);
    value.serialize(&mut ser)?;
    ser.into_inner().write_all(b"\n")
}

/// Run a writer into memory and return the text.
pub(crate) fn to_string(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    write(&mut buf).expect("writing to memory cannot fail");
    String::from_utf8(buf).expect("JSON is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_order_is_serde_json_order() {
        let keys = ["version", "tool", "$schema", "runs", "b", "a"];
        let map: serde_json::Map<String, Value> =
            keys.iter().map(|k| (k.to_string(), Value::Null)).collect();
        let want: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(map_order(&keys), want);
    }
}

//! The document model: a JSON-shaped value tree in which every node and every
//! mapping key remembers where it stands in the source.
//!
//! Kubernetes objects are JSON; YAML is only their spelling. After loading, a
//! document is exactly the JSON value `kubectl` would send to the API server
//! (see [`crate::yaml`]), plus positions.

use std::fmt;

/// A 1-based line and column in a source file (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub const fn new(line: u32, column: u32) -> Self {
        Pos { line, column }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value with the position where it starts in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// A JSON value. Numbers keep the distinction between integers and floats
/// that the YAML resolver made, as the API server's decoder sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Box<str>),
    Seq(Vec<Node>),
    Map(Map),
}

/// One `key: value` pair with the key's position.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Box<str>,
    pub key_pos: Pos,
    pub value: Node,
}

/// A mapping with unique string keys, in source order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    pub entries: Vec<Entry>,
}

impl Map {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| &*e.key == key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.entries.iter().map(|e| (&*e.key, &e.value))
    }
}

impl Value {
    /// The JSON type name, as used in error messages ("expected boolean, got string").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }
}

impl Node {
    pub fn new(value: Value, pos: Pos) -> Self {
        Node { value, pos }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer, as the API server's JSON decoder reads one: a JSON number
    /// with no fractional part (`8`, `8.0`, `1e3`).
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
                Some(f as i64)
            }
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The child under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key)
    }

    /// Follow a chain of mapping keys.
    pub fn get_path(&self, keys: &[&str]) -> Option<&Node> {
        let mut node = self;
        for k in keys {
            node = node.get(k)?;
        }
        Some(node)
    }

    /// A string under `key`, or `None` when absent or not a string.
    pub fn str_at(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// Build a tree from a JSON value that has no source text (an object read
    /// from the API server): every position is [`Pos::default`] (line 0),
    /// which the writers show as "no position".
    pub fn from_json(value: serde_json::Value) -> Node {
        use serde_json::Value as J;
        let value = match value {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Value::String(s.into_boxed_str()),
            J::Array(items) => Value::Seq(items.into_iter().map(Node::from_json).collect()),
            J::Object(m) => Value::Map(Map {
                entries: m
                    .into_iter()
                    .map(|(k, v)| Entry {
                        key: k.into_boxed_str(),
                        key_pos: Pos::default(),
                        value: Node::from_json(v),
                    })
                    .collect(),
            }),
        };
        Node::new(value, Pos::default())
    }

    /// Convert to a `serde_json::Value` (positions are dropped).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(
                m.entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

impl Drop for Node {
    /// Deep trees are dropped without deep recursion, so hostile nesting cannot
    /// overflow the stack of a worker thread.
    fn drop(&mut self) {
        let mut stack: Vec<Value> = Vec::new();
        match std::mem::replace(&mut self.value, Value::Null) {
            v @ (Value::Seq(_) | Value::Map(_)) => stack.push(v),
            _ => return,
        }
        while let Some(v) = stack.pop() {
            match v {
                Value::Seq(items) => {
                    for mut n in items {
                        let c = std::mem::replace(&mut n.value, Value::Null);
                        if matches!(c, Value::Seq(_) | Value::Map(_)) {
                            stack.push(c);
                        }
                    }
                }
                Value::Map(m) => {
                    for mut e in m.entries {
                        let c = std::mem::replace(&mut e.value.value, Value::Null);
                        if matches!(c, Value::Seq(_) | Value::Map(_)) {
                            stack.push(c);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

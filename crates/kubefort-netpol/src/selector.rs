//! Label selectors (`matchLabels`, `matchExpressions`) as the API machinery
//! evaluates them.

use std::collections::BTreeMap;
use std::fmt;

use kubefort_core::{FieldPath, Node, Value};

/// Labels of a pod or namespace.
pub type Labels = BTreeMap<String, String>;

/// A `matchExpressions` operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

/// A label selector. The empty selector (`{}`) selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Selector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<Requirement>,
}

impl Selector {
    /// The empty selector: matches every label set.
    pub fn everything() -> Selector {
        Selector::default()
    }

    /// `matchLabels` only.
    pub fn labels<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Selector {
        Selector {
            match_labels: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            match_expressions: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Whether `labels` satisfy every term. `NotIn` and `DoesNotExist` are
    /// satisfied by a label set without the key.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.op {
                    Op::In => value.is_some_and(|v| r.values.contains(v)),
                    Op::NotIn => value.is_none_or(|v| !r.values.contains(v)),
                    Op::Exists => value.is_some(),
                    Op::DoesNotExist => value.is_none(),
                }
            })
    }

    /// Read a selector at `path`. Errors are the API server's validation
    /// errors, with the path of the offending field.
    pub fn parse(node: &Node, path: &FieldPath) -> Result<Selector, (FieldPath, String)> {
        let mut sel = Selector::default();
        match &node.value {
            Value::Null => return Ok(sel),
            Value::Map(_) => {}
            other => {
                return Err((
                    path.clone(),
                    format!(
                        "expected a label selector (mapping), got {}",
                        other.type_name()
                    ),
                ))
            }
        }
        if let Some(ml) = node.get("matchLabels") {
            match &ml.value {
                Value::Null => {}
                Value::Map(m) => {
                    for (k, v) in m.iter() {
                        let Some(v) = v.as_str() else {
                            return Err((
                                path.key("matchLabels").key(k),
                                format!(
                                    "label value must be a string, got {}",
                                    v.value.type_name()
                                ),
                            ));
                        };
                        sel.match_labels.push((k.to_string(), v.to_string()));
                    }
                }
                other => {
                    return Err((
                        path.key("matchLabels"),
                        format!("expected a mapping, got {}", other.type_name()),
                    ))
                }
            }
        }
        if let Some(me) = node.get("matchExpressions") {
            let list: &[Node] = match &me.value {
                Value::Null => &[],
                Value::Seq(s) => s,
                other => {
                    return Err((
                        path.key("matchExpressions"),
                        format!("expected a list, got {}", other.type_name()),
                    ))
                }
            };
            for (i, e) in list.iter().enumerate() {
                let at = path.key("matchExpressions").index(i);
                let key = e.str_at("key").unwrap_or("");
                if key.is_empty() {
                    return Err((at.key("key"), "a requirement needs a key".into()));
                }
                let op_text = e.str_at("operator").unwrap_or("");
                let op = match op_text {
                    "In" => Op::In,
                    "NotIn" => Op::NotIn,
                    "Exists" => Op::Exists,
                    "DoesNotExist" => Op::DoesNotExist,
                    _ => {
                        return Err((
                            at.key("operator"),
                            format!(
                            "{op_text:?} is not a valid operator (In, NotIn, Exists, DoesNotExist)"
                        ),
                        ))
                    }
                };
                let mut values = Vec::new();
                if let Some(vs) = e.get("values") {
                    match &vs.value {
                        Value::Null => {}
                        Value::Seq(s) => {
                            for (j, v) in s.iter().enumerate() {
                                let Some(v) = v.as_str() else {
                                    return Err((
                                        at.key("values").index(j),
                                        "values must be strings".into(),
                                    ));
                                };
                                values.push(v.to_string());
                            }
                        }
                        other => {
                            return Err((
                                at.key("values"),
                                format!("expected a list, got {}", other.type_name()),
                            ))
                        }
                    }
                }
                match op {
                    Op::In | Op::NotIn if values.is_empty() => {
                        return Err((
                            at.key("values"),
                            format!("must be specified when `operator` is '{op_text}'"),
                        ))
                    }
                    Op::Exists | Op::DoesNotExist if !values.is_empty() => {
                        return Err((
                            at.key("values"),
                            format!("may not be specified when `operator` is '{op_text}'"),
                        ))
                    }
                    _ => {}
                }
                sel.match_expressions.push(Requirement {
                    key: key.to_string(),
                    op,
                    values,
                });
            }
        }
        Ok(sel)
    }
}

impl fmt::Display for Selector {
    /// The label-query notation: `app=web,tier in (a,b),!legacy`; `{}` for
    /// the empty selector.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("{}");
        }
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.match_expressions {
            parts.push(match r.op {
                Op::In => format!("{} in ({})", r.key, r.values.join(",")),
                Op::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
                Op::Exists => r.key.clone(),
                Op::DoesNotExist => format!("!{}", r.key),
            });
        }
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: Op, values: &[&str]) -> Selector {
        Selector {
            match_labels: vec![],
            match_expressions: vec![Requirement {
                key: key.into(),
                op,
                values: values.iter().map(|s| s.to_string()).collect(),
            }],
        }
    }

    #[test]
    fn empty_selector_matches_everything() {
        assert!(Selector::everything().matches(&labels(&[])));
        assert!(Selector::everything().matches(&labels(&[("a", "b")])));
    }

    #[test]
    fn match_labels_need_every_pair() {
        let s = Selector::labels([("app", "web"), ("tier", "front")]);
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "front"), ("x", "y")])));
        assert!(!s.matches(&labels(&[("app", "web")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "back")])));
    }

    #[test]
    fn expressions_follow_the_api_semantics() {
        let with = labels(&[("env", "prod")]);
        let other = labels(&[("env", "dev")]);
        let without = labels(&[("app", "x")]);
        let s = req("env", Op::In, &["prod", "staging"]);
        assert!(s.matches(&with) && !s.matches(&other) && !s.matches(&without));
        let s = req("env", Op::NotIn, &["prod"]);
        assert!(!s.matches(&with) && s.matches(&other));
        assert!(s.matches(&without), "NotIn matches a pod without the key");
        let s = req("env", Op::Exists, &[]);
        assert!(s.matches(&with) && s.matches(&other) && !s.matches(&without));
        let s = req("env", Op::DoesNotExist, &[]);
        assert!(!s.matches(&with) && s.matches(&without));
    }

    #[test]
    fn labels_and_expressions_are_anded() {
        let mut s = Selector::labels([("app", "web")]);
        s.match_expressions = req("env", Op::NotIn, &["dev"]).match_expressions;
        assert!(s.matches(&labels(&[("app", "web")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("env", "dev")])));
        assert!(!s.matches(&labels(&[("env", "prod")])));
        assert_eq!(s.to_string(), "app=web,env notin (dev)");
    }
}

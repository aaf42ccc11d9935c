//! Label selectors (`matchLabels`, `matchExpressions`) with the API's
//! semantics: every requirement must hold; an empty selector matches
//! everything.

use serde_json::Value;

/// A parsed `metav1.LabelSelector`.
#[derive(Clone, Debug, Default)]
pub struct LabelSelector {
    reqs: Vec<Req>,
}

#[derive(Clone, Debug)]
enum Req {
    Eq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl LabelSelector {
    /// Parse a selector; errors say which field is wrong.
    pub fn parse(v: &Value) -> Result<LabelSelector, String> {
        let mut reqs = Vec::new();
        let Some(obj) = v.as_object() else {
            if v.is_null() {
                return Ok(LabelSelector::default());
            }
            return Err("a label selector must be an object".into());
        };
        if let Some(ml) = obj.get("matchLabels").filter(|v| !v.is_null()) {
            let ml = ml
                .as_object()
                .ok_or("matchLabels must be a map of strings")?;
            for (k, v) in ml {
                let v = v.as_str().ok_or("matchLabels values must be strings")?;
                reqs.push(Req::Eq(k.clone(), v.to_string()));
            }
        }
        if let Some(me) = obj.get("matchExpressions").filter(|v| !v.is_null()) {
            let me = me.as_array().ok_or("matchExpressions must be a list")?;
            for e in me {
                let key = e
                    .get("key")
                    .and_then(Value::as_str)
                    .ok_or("matchExpressions[].key must be a string")?
                    .to_string();
                let op = e
                    .get("operator")
                    .and_then(Value::as_str)
                    .ok_or("matchExpressions[].operator must be a string")?;
                let values: Vec<String> = e
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                reqs.push(match op {
                    "In" => Req::In(key, values),
                    "NotIn" => Req::NotIn(key, values),
                    "Exists" => Req::Exists(key),
                    "DoesNotExist" => Req::DoesNotExist(key),
                    other => {
                        return Err(format!(
                            "matchExpressions operator {other:?}: use In, NotIn, Exists or DoesNotExist"
                        ))
                    }
                });
            }
        }
        Ok(LabelSelector { reqs })
    }

    /// Whether labels (a JSON object of strings, or null) match.
    pub fn matches(&self, labels: Option<&Value>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.reqs.iter().all(|r| match r {
            Req::Eq(k, v) => get(k) == Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
            Req::Exists(k) => get(k).is_some(),
            Req::DoesNotExist(k) => get(k).is_none(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_follow_the_api() {
        let s = LabelSelector::parse(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "NotIn", "values": ["db"]},
                {"key": "env", "operator": "Exists"}
            ]
        }))
        .unwrap();
        assert!(s.matches(Some(&json!({"app": "web", "env": "x"}))));
        assert!(!s.matches(Some(&json!({"app": "web", "env": "x", "tier": "db"}))));
        assert!(!s.matches(Some(&json!({"app": "web"}))));
        assert!(!s.matches(None));
        assert!(LabelSelector::parse(&json!({})).unwrap().matches(None));
        assert!(LabelSelector::parse(
            &json!({"matchExpressions": [{"key": "a", "operator": "Bad"}]})
        )
        .is_err());
    }
}

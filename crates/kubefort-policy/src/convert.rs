//! One request in the shapes the engines read, each built once per request
//! and shared by every policy: CEL values and Rego values.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::value::Val;
use cel::objects::{Key, Map};
use serde_json::Value as Json;

use crate::{kinds, Request};

/// A JSON value as a CEL value.
pub fn json_to_cel(v: &Json) -> cel::Value {
    match v {
        Json::Null => cel::Value::Null,
        Json::Bool(b) => cel::Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => cel::Value::Int(i),
            None => match n.as_u64() {
                Some(u) => cel::Value::UInt(u),
                None => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
        },
        Json::String(s) => cel::Value::String(Arc::new(s.clone())),
        Json::Array(a) => cel::Value::List(Arc::new(a.iter().map(json_to_cel).collect())),
        Json::Object(o) => {
            let m: HashMap<Key, cel::Value> = o
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), json_to_cel(v)))
                .collect();
            cel::Value::Map(Map { map: Arc::new(m) })
        }
    }
}

/// A JSON value as the interpreter's own value, built directly.
pub fn json_to_val(v: &Json) -> Box<dyn Val> {
    use cel::common::types::{
        CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt,
    };
    match v {
        Json::Null => Box::new(CelNull),
        Json::Bool(b) => Box::new(CelBool::from(*b)),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Box::new(CelInt::from(i)),
            None => match n.as_u64() {
                Some(u) => Box::new(CelUInt::from(u)),
                None => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
            },
        },
        Json::String(s) => Box::new(CelString::from(s.clone())),
        Json::Array(a) => Box::new(CelList::from(a.iter().map(json_to_val).collect::<Vec<_>>())),
        Json::Object(o) => Box::new(CelMap::from(
            o.iter()
                .map(|(k, v)| (CelMapKey::from(k.clone()), json_to_val(v)))
                .collect::<HashMap<_, _>>(),
        )),
    }
}

/// A CEL value as a boxed `Val`, the form the interpreter reads.
pub fn to_val(v: cel::Value) -> Box<dyn Val> {
    let r: Result<Box<dyn Val>, _> = v.try_into();
    r.unwrap_or_else(|_| Box::new(cel::common::types::CelNull))
}

/// A CEL result as JSON (for messages and tests).
pub fn cel_to_json(v: &cel::Value) -> Json {
    match v {
        cel::Value::Null => Json::Null,
        cel::Value::Bool(b) => Json::Bool(*b),
        cel::Value::Int(i) => Json::from(*i),
        cel::Value::UInt(u) => Json::from(*u),
        cel::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        cel::Value::String(s) => Json::String(s.to_string()),
        cel::Value::List(l) => Json::Array(l.iter().map(cel_to_json).collect()),
        cel::Value::Map(m) => Json::Object(
            m.map
                .iter()
                .map(|(k, v)| {
                    let k = match k {
                        Key::String(s) => s.to_string(),
                        Key::Int(i) => i.to_string(),
                        Key::Uint(u) => u.to_string(),
                        Key::Bool(b) => b.to_string(),
                    };
                    (k, cel_to_json(v))
                })
                .collect(),
        ),
        other => Json::String(format!("{other:?}")),
    }
}

/// The request's values, built on first use.
pub struct Input<'r> {
    pub req: &'r Request,
    cel_object: Option<Box<dyn Val>>,
    cel_old: Option<Box<dyn Val>>,
    cel_request: std::sync::OnceLock<Box<dyn Val>>,
    cel_namespace: std::sync::OnceLock<Box<dyn Val>>,
    rego_object: Option<regorus::Value>,
    rego_review: Option<regorus::Value>,
}

fn null_val() -> Box<dyn Val> {
    Box::new(cel::common::types::CelNull)
}

impl<'r> Input<'r> {
    pub fn new(req: &'r Request) -> Self {
        Input {
            req,
            cel_object: None,
            cel_old: None,
            cel_request: Default::default(),
            cel_namespace: Default::default(),
            rego_object: None,
            rego_review: None,
        }
    }

    /// Make sure the CEL values exist (call before borrowing them).
    pub fn prepare_cel(&mut self) {
        if self.cel_object.is_none() {
            self.cel_object = Some(
                self.req
                    .object
                    .as_deref()
                    .map_or_else(null_val, json_to_val),
            );
            self.cel_old = Some(
                self.req
                    .old_object
                    .as_deref()
                    .map_or_else(null_val, json_to_val),
            );
        }
    }

    pub fn cel_object(&self) -> &dyn Val {
        self.cel_object.as_deref().expect("prepare_cel first")
    }
    pub fn cel_old(&self) -> &dyn Val {
        self.cel_old.as_deref().expect("prepare_cel first")
    }
    /// Built on first use: most policies never read it.
    pub fn cel_request(&self) -> &dyn Val {
        self.cel_request
            .get_or_init(|| json_to_val(&self.admission_request()))
            .as_ref()
    }
    pub fn cel_namespace(&self) -> &dyn Val {
        self.cel_namespace
            .get_or_init(|| {
                self.req
                    .namespace_json()
                    .map_or_else(null_val, |n| json_to_val(&n))
            })
            .as_ref()
    }

    /// The object as conftest's input.
    pub fn rego_object(&mut self) -> regorus::Value {
        if self.rego_object.is_none() {
            self.rego_object = Some(
                self.req
                    .any_object()
                    .map_or(regorus::Value::Null, |o| regorus::Value::from(o.clone())),
            );
        }
        self.rego_object.clone().expect("set above")
    }

    /// Gatekeeper's `input.review`.
    pub fn rego_review(&mut self) -> regorus::Value {
        if self.rego_review.is_none() {
            self.rego_review = Some(regorus::Value::from(self.gatekeeper_review()));
        }
        self.rego_review.clone().expect("set above")
    }

    /// The AdmissionRequest as CEL's `request` sees it.
    pub fn admission_request(&self) -> Json {
        let req = self.req;
        let (group, version) = kinds::split_api_version(req.api_version());
        let kind = req.kind();
        let ns = req.namespace();
        let mut user = req
            .user_info
            .clone()
            .unwrap_or_else(|| serde_json::json!({"username": "", "groups": []}));
        if let Some(o) = user.as_object_mut() {
            o.entry("groups").or_insert_with(|| Json::Array(vec![]));
        }
        serde_json::json!({
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": kinds::resource_of(kind)},
            "requestKind": {"group": group, "version": version, "kind": kind},
            "requestResource": {"group": group, "version": version, "resource": kinds::resource_of(kind)},
            "name": req.name(),
            "namespace": ns,
            "operation": req.operation.as_str(),
            "userInfo": user,
            "dryRun": req.dry_run,
        })
    }

    /// The review Gatekeeper builds from an admission request.
    pub fn gatekeeper_review(&self) -> Json {
        let req = self.req;
        let (group, version) = kinds::split_api_version(req.api_version());
        let mut review = serde_json::json!({
            "kind": {"group": group, "version": version, "kind": req.kind()},
            "name": req.name(),
            "operation": req.operation.as_str(),
            "dryRun": req.dry_run,
        });
        let m = review.as_object_mut().expect("an object");
        let ns = req.namespace();
        if !ns.is_empty() {
            m.insert("namespace".into(), Json::String(ns));
        }
        if let Some(o) = &req.object {
            m.insert("object".into(), (**o).clone());
        }
        if let Some(o) = &req.old_object {
            m.insert("oldObject".into(), (**o).clone());
        }
        if let Some(u) = &req.user_info {
            m.insert("userInfo".into(), u.clone());
        }
        review
    }
}

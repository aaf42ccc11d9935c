//! The `admission.k8s.io/v1` AdmissionReview: decoding a request (with
//! errors that say what is wrong) and encoding a response.
//!
//! The object and the old object are kept as the raw JSON text the API
//! server sent, so the engine reads exactly those bytes, with the same
//! loader `kubefort scan` uses.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";

/// Why a body is not an AdmissionReview the webhook can answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub message: String,
    /// The request's UID, when it could be read: the error can then be
    /// answered with an AdmissionReview that refuses the request.
    pub uid: Option<String>,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

/// Group, version and kind of the request's object.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct GroupVersionKind {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

/// Group, version and resource of the request.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct GroupVersionResource {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub resource: String,
}

/// Who sent the request.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct UserInfo {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The operation of an admission request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

/// A decoded admission request. `object` and `old_object` are the JSON
/// text of the objects as sent.
#[derive(Debug)]
pub struct Request<'a> {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub resource: GroupVersionResource,
    pub sub_resource: String,
    pub name: String,
    pub namespace: String,
    pub operation: Operation,
    pub user: UserInfo,
    pub object: Option<&'a str>,
    pub old_object: Option<&'a str>,
    pub dry_run: bool,
}

#[derive(Deserialize)]
struct WireReview<'a> {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
    #[serde(borrow)]
    request: Option<WireRequest<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRequest<'a> {
    uid: Option<String>,
    kind: Option<GroupVersionKind>,
    resource: Option<GroupVersionResource>,
    #[serde(default)]
    sub_resource: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    operation: Option<String>,
    #[serde(default)]
    user_info: Option<UserInfo>,
    #[serde(borrow, default)]
    object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    old_object: Option<&'a RawValue>,
    #[serde(default)]
    dry_run: Option<bool>,
}

/// A raw JSON value that is `null` counts as absent.
fn present(v: Option<&RawValue>) -> Option<&str> {
    v.map(RawValue::get).filter(|s| s.trim() != "null")
}

/// Decode an AdmissionReview request body.
pub fn decode(body: &[u8]) -> Result<Request<'_>, DecodeError> {
    let err = |message: String, uid: Option<String>| DecodeError { message, uid };
    let text = std::str::from_utf8(body).map_err(|e| {
        err(
            format!(
                "the body is not UTF-8 JSON (invalid byte at offset {})",
                e.valid_up_to()
            ),
            None,
        )
    })?;
    let review: WireReview<'_> = serde_json::from_str(text)
        .map_err(|e| err(format!("the body is not an AdmissionReview: {e}"), None))?;
    match review.api_version.as_deref() {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(err(
                format!("apiVersion {other:?} is not supported: send {API_VERSION} (set admissionReviewVersions: [v1] in the webhook configuration)"),
                None,
            ))
        }
        None => return Err(err(format!("apiVersion is missing: expected {API_VERSION}"), None)),
    }
    match review.kind.as_deref() {
        Some(KIND) => {}
        Some(other) => return Err(err(format!("kind {other:?} is not {KIND}"), None)),
        None => return Err(err(format!("kind is missing: expected {KIND}"), None)),
    }
    let r = review.request.ok_or_else(|| {
        err(
            "request is missing: an AdmissionReview to validate carries a request".into(),
            None,
        )
    })?;
    let uid = r
        .uid
        .filter(|u| !u.is_empty())
        .ok_or_else(|| err("request.uid is missing".into(), None))?;
    let with_uid = |m: &str| err(m.to_string(), Some(uid.clone()));
    let operation = match r.operation.as_deref() {
        Some("CREATE") => Operation::Create,
        Some("UPDATE") => Operation::Update,
        Some("DELETE") => Operation::Delete,
        Some("CONNECT") => Operation::Connect,
        Some(other) => {
            return Err(with_uid(&format!(
                "request.operation {other:?} is not CREATE, UPDATE, DELETE or CONNECT"
            )))
        }
        None => return Err(with_uid("request.operation is missing")),
    };
    let kind = r.kind.ok_or_else(|| with_uid("request.kind is missing"))?;
    let object = present(r.object);
    let old_object = present(r.old_object);
    for (name, v) in [
        ("request.object", object),
        ("request.oldObject", old_object),
    ] {
        if let Some(v) = v {
            if !v.trim_start().starts_with('{') {
                return Err(with_uid(&format!("{name} is not a JSON object")));
            }
        }
    }
    match operation {
        Operation::Create | Operation::Update if object.is_none() => {
            return Err(with_uid(&format!(
                "request.object is missing: a {} request carries the object",
                operation.as_str()
            )))
        }
        Operation::Update if old_object.is_none() => {
            return Err(with_uid(
                "request.oldObject is missing: an UPDATE request carries the old object",
            ))
        }
        _ => {}
    }
    Ok(Request {
        uid,
        kind,
        resource: r.resource.unwrap_or_default(),
        sub_resource: r.sub_resource.unwrap_or_default(),
        name: r.name.unwrap_or_default(),
        namespace: r.namespace.unwrap_or_default(),
        operation,
        user: r.user_info.unwrap_or_default(),
        object,
        old_object,
        dry_run: r.dry_run.unwrap_or(false),
    })
}

/// `metav1.Status` as an admission response carries it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Status {
    pub status: &'static str,
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

/// An AdmissionResponse.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

impl Response {
    pub fn allow(uid: &str) -> Response {
        Response {
            uid: uid.to_string(),
            allowed: true,
            status: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
        }
    }

    pub fn deny(uid: &str, code: u16, reason: &'static str, message: String) -> Response {
        Response {
            uid: uid.to_string(),
            allowed: false,
            status: Some(Status {
                status: "Failure",
                code,
                reason,
                message,
            }),
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireResponse<'a> {
    api_version: &'static str,
    kind: &'static str,
    response: &'a Response,
}

/// The AdmissionReview holding `response`, as JSON.
pub fn encode(response: &Response) -> Vec<u8> {
    serde_json::to_vec(&WireResponse {
        api_version: API_VERSION,
        kind: KIND,
        response,
    })
    .expect("a response serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(request: &str) -> String {
        format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{request}}}"#
        )
    }

    #[test]
    fn decodes_a_create() {
        let body = review(
            r#"{"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"ns","operation":"CREATE","userInfo":{"username":"alice","groups":["dev"]},"object":{"apiVersion":"v1","kind":"Pod"},"oldObject":null,"dryRun":true}"#,
        );
        let r = decode(body.as_bytes()).unwrap();
        assert_eq!(r.uid, "u1");
        assert_eq!(r.kind.kind, "Pod");
        assert_eq!(r.operation, Operation::Create);
        assert_eq!(r.user.groups, ["dev"]);
        assert_eq!(r.object, Some(r#"{"apiVersion":"v1","kind":"Pod"}"#));
        assert_eq!(r.old_object, None);
        assert!(r.dry_run);
    }

    #[test]
    fn says_what_is_wrong() {
        let cases: &[(&str, &str)] = &[
            ("{", "not an AdmissionReview"),
            ("[]", "not an AdmissionReview"),
            (
                r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}"#,
                "v1beta1",
            ),
            (
                r#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}"#,
                "is not AdmissionReview",
            ),
            (
                r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
                "request is missing",
            ),
            (
                &review(r#"{"kind":{"kind":"Pod"},"operation":"CREATE"}"#),
                "request.uid is missing",
            ),
            (
                &review(r#"{"uid":"u","kind":{"kind":"Pod"},"operation":"PATCH"}"#),
                "\"PATCH\"",
            ),
            (
                &review(r#"{"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE"}"#),
                "request.object is missing",
            ),
            (
                &review(r#"{"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","object":[1]}"#),
                "not a JSON object",
            ),
            (
                &review(r#"{"uid":"u","kind":{"kind":"Pod"},"operation":"UPDATE","object":{}}"#),
                "oldObject is missing",
            ),
        ];
        for (body, want) in cases {
            let e = decode(body.as_bytes()).unwrap_err();
            assert!(e.message.contains(want), "{body}: {}", e.message);
        }
        assert!(decode(b"\xff\xfe").unwrap_err().message.contains("UTF-8"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let body = review(&format!(
            r#"{{"uid":"u","kind":{{"kind":"Pod"}},"operation":"CREATE","object":{{"a":{deep}}}}}"#
        ));
        // Either refused here or later by the loader: never a stack overflow.
        let _ = decode(body.as_bytes());
    }

    #[test]
    fn encodes_a_denial() {
        let mut r = Response::deny("u", 403, "Forbidden", "no".into());
        r.warnings.push("w".into());
        let v: serde_json::Value = serde_json::from_slice(&encode(&r)).unwrap();
        assert_eq!(v["apiVersion"], API_VERSION);
        assert_eq!(v["response"]["uid"], "u");
        assert_eq!(v["response"]["allowed"], false);
        assert_eq!(v["response"]["status"]["code"], 403);
        assert_eq!(v["response"]["warnings"][0], "w");
        assert!(v["response"].get("auditAnnotations").is_none());
    }
}

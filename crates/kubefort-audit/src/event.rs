//! The `audit.k8s.io/v1` Event and EventList, as the API server writes them
//! (k8s.io/apiserver/pkg/apis/audit/v1). Strings borrow from the input where
//! they can; request and response objects stay raw JSON until a rule asks
//! for them, so an event costs one pass over its bytes.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The only version the API server has written since v1.24
/// (`audit.k8s.io/v1beta1` and `v1alpha1` were removed).
pub const API_VERSION: &str = "audit.k8s.io/v1";

/// One audit event.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    #[serde(borrow, default)]
    pub kind: Cow<'a, str>,
    #[serde(borrow, default)]
    pub api_version: Cow<'a, str>,
    /// `None`, `Metadata`, `Request` or `RequestResponse`.
    #[serde(borrow, default)]
    pub level: Cow<'a, str>,
    #[serde(borrow, default, rename = "auditID")]
    pub audit_id: Cow<'a, str>,
    /// `RequestReceived`, `ResponseStarted`, `ResponseComplete` or `Panic`.
    #[serde(borrow, default)]
    pub stage: Cow<'a, str>,
    #[serde(borrow, default, rename = "requestURI")]
    pub request_uri: Cow<'a, str>,
    #[serde(borrow, default)]
    pub verb: Cow<'a, str>,
    /// The authenticated user (the impersonator when `impersonated_user` is set).
    #[serde(borrow, default)]
    pub user: UserInfo<'a>,
    #[serde(borrow, default)]
    pub impersonated_user: Option<UserInfo<'a>>,
    #[serde(borrow, default, rename = "sourceIPs")]
    pub source_ips: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_agent: Cow<'a, str>,
    #[serde(borrow, default)]
    pub object_ref: Option<ObjectReference<'a>>,
    #[serde(borrow, default)]
    pub response_status: Option<Status<'a>>,
    #[serde(borrow, default)]
    pub request_object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub response_object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub request_received_timestamp: Cow<'a, str>,
    #[serde(borrow, default)]
    pub stage_timestamp: Cow<'a, str>,
    /// The annotations the rules read (others are skipped unparsed).
    #[serde(borrow, default)]
    pub annotations: Annotations<'a>,
}

/// The authorizer's annotations of an event.
#[derive(Debug, Default, Deserialize)]
pub struct Annotations<'a> {
    /// `allow` or `forbid`. (The reason, `authorization.k8s.io/reason`, is
    /// left in the raw event: no rule reads it.)
    #[serde(borrow, default, rename = "authorization.k8s.io/decision")]
    pub decision: Option<Cow<'a, str>>,
}

/// authentication.k8s.io/v1 UserInfo.
#[derive(Debug, Default, Deserialize)]
pub struct UserInfo<'a> {
    #[serde(borrow, default)]
    pub username: Cow<'a, str>,
    #[serde(borrow, default)]
    pub uid: Cow<'a, str>,
    #[serde(borrow, default)]
    pub groups: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub extra: BTreeMap<Cow<'a, str>, Vec<Cow<'a, str>>>,
}

/// audit.k8s.io/v1 ObjectReference.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference<'a> {
    #[serde(borrow, default)]
    pub resource: Cow<'a, str>,
    #[serde(borrow, default)]
    pub namespace: Cow<'a, str>,
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub api_group: Cow<'a, str>,
    #[serde(borrow, default)]
    pub api_version: Cow<'a, str>,
    #[serde(borrow, default)]
    pub subresource: Cow<'a, str>,
}

/// The part of metav1.Status the audit log carries.
#[derive(Debug, Default, Deserialize)]
pub struct Status<'a> {
    #[serde(default)]
    pub code: i64,
    #[serde(borrow, default)]
    pub status: Cow<'a, str>,
    #[serde(borrow, default)]
    pub reason: Cow<'a, str>,
    #[serde(borrow, default)]
    pub message: Cow<'a, str>,
}

/// audit.k8s.io/v1 EventList, the body of the webhook backend's requests.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventList<'a> {
    #[serde(borrow, default)]
    pub kind: Cow<'a, str>,
    #[serde(borrow, default)]
    pub api_version: Cow<'a, str>,
    /// Kept raw so one malformed event does not lose the batch.
    #[serde(borrow, default)]
    pub items: Vec<&'a RawValue>,
}

/// The authorizer's decision annotation (`allow`, `forbid`).
pub const DECISION: &str = "authorization.k8s.io/decision";
/// The authorizer's reason annotation (the binding that allowed it).
pub const REASON: &str = "authorization.k8s.io/reason";

impl<'a> Event<'a> {
    /// Parse one event, checking its kind and version.
    pub fn parse(text: &'a str) -> Result<Event<'a>, String> {
        let ev: Event<'a> = serde_json::from_str(text).map_err(|e| describe_json_error(&e))?;
        ev.check()?;
        Ok(ev)
    }

    /// Parse one item of an EventList: the API server leaves out `kind` and
    /// `apiVersion` there (the list carries them); when present they are checked.
    pub fn parse_item(text: &'a str) -> Result<Event<'a>, String> {
        let ev: Event<'a> = serde_json::from_str(text).map_err(|e| describe_json_error(&e))?;
        if !(ev.kind.is_empty() && ev.api_version.is_empty()) {
            ev.check()?;
        }
        Ok(ev)
    }

    fn check(&self) -> Result<(), String> {
        if self.kind != "Event" {
            return Err(if self.kind.is_empty() {
                "not an audit event: no \"kind\"".to_string()
            } else {
                format!(
                    "not an audit event: kind {:?} (expected \"Event\")",
                    self.kind
                )
            });
        }
        if self.api_version != API_VERSION {
            return Err(format!(
                "unsupported apiVersion {:?} (expected {API_VERSION:?}; the API server has written only v1 since Kubernetes 1.24)",
                self.api_version
            ));
        }
        Ok(())
    }

    /// The identity the request was authorized as: the impersonated user
    /// when there is one, else the authenticated user.
    pub fn actor(&self) -> &UserInfo<'a> {
        self.impersonated_user.as_ref().unwrap_or(&self.user)
    }

    /// The user who impersonated the actor, if any.
    pub fn impersonator(&self) -> Option<&UserInfo<'a>> {
        self.impersonated_user.as_ref().map(|_| &self.user)
    }

    /// The response code (0 when the event has none).
    pub fn code(&self) -> i64 {
        self.response_status.as_ref().map_or(0, |s| s.code)
    }

    /// Whether the request succeeded (2xx), or, for long-running requests
    /// seen at `ResponseStarted`, was upgraded (101).
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.code()) || self.code() == 101
    }

    pub fn decision(&self) -> Option<&str> {
        self.annotations.decision.as_deref()
    }

    pub fn resource(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.resource)
    }

    pub fn subresource(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.subresource)
    }

    pub fn namespace(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.namespace)
    }

    pub fn name(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.name)
    }

    pub fn api_group(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.api_group)
    }

    /// `resource` or `resource/subresource`.
    pub fn resource_path(&self) -> String {
        match (self.resource(), self.subresource()) {
            ("", _) => String::new(),
            (r, "") => r.to_string(),
            (r, s) => format!("{r}/{s}"),
        }
    }

    /// The event's time: when the stage was reached, else when the request arrived.
    pub fn time(&self) -> &str {
        if self.stage_timestamp.is_empty() {
            &self.request_received_timestamp
        } else {
            &self.stage_timestamp
        }
    }

    /// A query parameter of the request URI (`command` of an exec), every value.
    pub fn query_values(&self, key: &str) -> Vec<String> {
        let Some((_, q)) = self.request_uri.split_once('?') else {
            return Vec::new();
        };
        q.split('&')
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k == key).then(|| percent_decode(v))
            })
            .collect()
    }
}

/// `%XX` and `+` decoding of a query value.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// serde_json's message without its position (the caller names the line),
/// with the column kept.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let base = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => &msg,
    };
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => format!("truncated JSON ({base}, column {})", e.column()),
        Category::Syntax => format!("not valid JSON: {base} at column {}", e.column()),
        _ => format!("{base} (column {})", e.column()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_decoded() {
        let ev = Event::parse(r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","requestURI":"/api/v1/namespaces/a/pods/p/exec?command=sh&command=-c&command=cat%20%2Fetc%2Fshadow&stdin=true"}"#).unwrap();
        assert_eq!(
            ev.query_values("command"),
            vec!["sh", "-c", "cat /etc/shadow"]
        );
        assert!(ev.query_values("container").is_empty());
    }

    #[test]
    fn kind_and_version_are_checked() {
        let e =
            Event::parse(r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1"}"#).unwrap_err();
        assert!(e.contains("unsupported apiVersion"), "{e}");
        let e = Event::parse(r#"{"kind":"Pod","apiVersion":"v1"}"#).unwrap_err();
        assert!(e.contains("not an audit event"), "{e}");
        let e = Event::parse(r#"{"kind":"Event","apiVersion":"#).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
    }
}

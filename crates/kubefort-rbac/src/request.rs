//! Requests and users, as the authorizer sees them, and how a rule matches
//! a request (the API server's `RuleAllows`).

use std::fmt;

use serde::Serialize;

use crate::input::PolicyRule;

/// The attributes of one request (the authorizer's `Attributes`): a
/// resource request, or a non-resource request when `path` is set.
/// Empty strings mean "none", as in the API server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub verb: String,
    /// Empty for cluster-wide requests (and always for non-resource ones).
    pub namespace: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    /// The object's name; empty for requests without one (list, create, ...).
    pub name: String,
    /// A non-resource URL (`/healthz`); `None` for resource requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Request {
    /// A resource request.
    pub fn resource(verb: &str, api_group: &str, resource: &str) -> Self {
        Request {
            verb: verb.into(),
            api_group: api_group.into(),
            resource: resource.into(),
            ..Default::default()
        }
    }

    /// A non-resource request.
    pub fn non_resource(verb: &str, path: &str) -> Self {
        Request {
            verb: verb.into(),
            path: Some(path.into()),
            ..Default::default()
        }
    }

    pub fn in_namespace(mut self, ns: &str) -> Self {
        self.namespace = ns.into();
        self
    }

    pub fn with_subresource(mut self, sub: &str) -> Self {
        self.subresource = sub.into();
        self
    }

    pub fn named(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    pub fn is_resource_request(&self) -> bool {
        self.path.is_none()
    }

    /// The namespace the authorizer sees: none for non-resource requests.
    pub fn scope_namespace(&self) -> &str {
        if self.path.is_some() {
            ""
        } else {
            &self.namespace
        }
    }

    /// This request as a `SubjectAccessReview` for `user`, to ask the API
    /// server the same question.
    pub fn subject_access_review(&self, user: &UserInfo) -> serde_json::Value {
        let mut spec = serde_json::json!({ "user": user.name, "groups": user.groups });
        match &self.path {
            Some(path) => {
                spec["nonResourceAttributes"] =
                    serde_json::json!({"verb": self.verb, "path": path});
            }
            None => {
                let mut ra = serde_json::json!({
                    "verb": self.verb,
                    "group": self.api_group,
                    "resource": self.resource,
                });
                for (k, v) in [
                    ("namespace", &self.namespace),
                    ("subresource", &self.subresource),
                    ("name", &self.name),
                ] {
                    if !v.is_empty() {
                        ra[k] = serde_json::Value::String(v.clone());
                    }
                }
                spec["resourceAttributes"] = ra;
            }
        }
        serde_json::json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": spec,
        })
    }
}

impl fmt::Display for Request {
    /// `create pods/exec named "web" in namespace "shop"`, `get /healthz`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            return write!(f, "{} {p}", self.verb);
        }
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.api_group.is_empty() {
            write!(f, ".{}", self.api_group)?;
        }
        if !self.subresource.is_empty() {
            write!(f, "/{}", self.subresource)?;
        }
        if !self.name.is_empty() {
            write!(f, " named {:?}", self.name)?;
        }
        if self.namespace.is_empty() {
            write!(f, " cluster-wide")
        } else {
            write!(f, " in namespace {:?}", self.namespace)
        }
    }
}

/// The superuser group: the API server's privileged-group authorizer allows
/// its members everything before RBAC is asked.
pub const SYSTEM_MASTERS: &str = "system:masters";
pub const ALL_AUTHENTICATED: &str = "system:authenticated";
pub const ALL_UNAUTHENTICATED: &str = "system:unauthenticated";
pub const ANONYMOUS: &str = "system:anonymous";
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";
const SA_PREFIX: &str = "system:serviceaccount:";

/// The user name of a service account.
pub fn service_account_user(namespace: &str, name: &str) -> String {
    format!("{SA_PREFIX}{namespace}:{name}")
}

/// `(namespace, name)` of a service-account user name.
pub fn split_service_account(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SA_PREFIX)?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
}

/// A user as the authorizer sees it: a name and groups.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    /// The user that `kubectl --as NAME [--as-group G]...` makes, with the
    /// groups the API server's impersonation filter adds: a service
    /// account's `system:serviceaccounts` and `system:serviceaccounts:NS`
    /// when no group is given, then `system:authenticated` unless a given
    /// group is `system:authenticated` or `system:unauthenticated`
    /// (`system:unauthenticated` instead for `system:anonymous`).
    pub fn impersonated(name: &str, groups: &[String]) -> Self {
        let mut g: Vec<String> = groups.to_vec();
        if groups.is_empty() {
            if let Some((ns, _)) = split_service_account(name) {
                g.push(ALL_SERVICE_ACCOUNTS.into());
                g.push(format!("{ALL_SERVICE_ACCOUNTS}:{ns}"));
            }
        }
        if name != ANONYMOUS {
            if !g
                .iter()
                .any(|x| x == ALL_AUTHENTICATED || x == ALL_UNAUTHENTICATED)
            {
                g.push(ALL_AUTHENTICATED.into());
            }
        } else if !g.iter().any(|x| x == ALL_UNAUTHENTICATED) {
            g.push(ALL_UNAUTHENTICATED.into());
        }
        UserInfo {
            name: name.into(),
            groups: g,
        }
    }

    /// A service account's user, with the groups its tokens carry.
    pub fn service_account(namespace: &str, name: &str) -> Self {
        Self::impersonated(&service_account_user(namespace, name), &[])
    }

    pub fn is_superuser(&self) -> bool {
        self.groups.iter().any(|g| g == SYSTEM_MASTERS)
    }
}

pub const ALL: &str = "*";

/// `rbacv1helpers.VerbMatches`.
pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == ALL || v == verb)
}

/// `rbacv1helpers.APIGroupMatches`.
pub fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == ALL || g == group)
}

/// `rbacv1helpers.ResourceMatches`: `*`, the exact `resource[/subresource]`,
/// or `*/subresource` for a request with that subresource.
pub fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        if r == ALL {
            return true;
        }
        if subresource.is_empty() {
            return r == resource;
        }
        match r.split_once('/') {
            Some((res, sub)) => sub == subresource && (res == resource || res == ALL),
            None => false,
        }
    })
}

/// `rbacv1helpers.ResourceNameMatches`: an empty list allows any name;
/// otherwise the request must name one of them (a request without a name,
/// such as list or create, does not match).
pub fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || rule.resource_names.iter().any(|n| n == name)
}

/// `rbacv1helpers.NonResourceURLMatches`: `*`, the exact path, or a
/// trailing `*` as a prefix match.
pub fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|u| {
        u == ALL
            || u == path
            || u.strip_suffix('*')
                .is_some_and(|_| path.starts_with(u.trim_end_matches('*')))
    })
}

/// `RuleAllows`: whether one rule allows the request.
pub fn rule_allows(rule: &PolicyRule, req: &Request) -> bool {
    match &req.path {
        None => {
            verb_matches(rule, &req.verb)
                && api_group_matches(rule, &req.api_group)
                && resource_matches(rule, &req.resource, &req.subresource)
                && resource_name_matches(rule, &req.name)
        }
        Some(path) => verb_matches(rule, &req.verb) && non_resource_url_matches(rule, path),
    }
}

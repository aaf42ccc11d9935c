//! The CEL environment of ValidatingAdmissionPolicies: the `cel` crate's
//! standard library and extensions (strings, lists, math, base64), plus the
//! Kubernetes libraries written here (lists, regex, url, ip/cidr, quantity,
//! format), following `k8s.io/apiserver/pkg/cel/library`.
//!
//! [`KNOWN_FUNCTIONS`] lists every function a policy may call; a call to any
//! other is reported when the policy loads, with its file and line. A test
//! evaluates one call of each listed name, so the list cannot claim more
//! than the environment has.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use cel::common::types::{Type, DYN_TYPE, INT_TYPE, LIST_TYPE, STRING_TYPE};
use cel::common::value::CowVal;
use cel::objects::{Key, Map, Opaque};
use cel::{Env, ExecutionError, Value};
use ipnet::IpNet;

/// Functions (and their receivers' methods) a policy may call. Operators and
/// macros (`has`, `all`, `exists`, `exists_one`, `map`, `filter`, `sortBy`)
/// are handled by the parser and not listed.
pub const KNOWN_FUNCTIONS: &[(&str, &str)] = &[
    // CEL standard library
    ("size", "standard"),
    ("contains", "standard"),
    ("startsWith", "standard"),
    ("endsWith", "standard"),
    ("matches", "standard"),
    ("int", "standard"),
    ("uint", "standard"),
    ("double", "standard"),
    ("string", "standard"),
    ("bytes", "standard"),
    ("bool", "standard"),
    ("type", "standard"),
    ("dyn", "standard"),
    ("duration", "standard"),
    ("timestamp", "standard"),
    ("getFullYear", "standard"),
    ("getMonth", "standard"),
    ("getDate", "standard"),
    ("getDayOfMonth", "standard"),
    ("getDayOfWeek", "standard"),
    ("getDayOfYear", "standard"),
    ("getHours", "standard"),
    ("getMinutes", "standard"),
    ("getSeconds", "standard"),
    ("getMilliseconds", "standard"),
    ("optional.of", "optional"),
    ("optional.none", "optional"),
    ("optional.ofNonZeroValue", "optional"),
    ("hasValue", "optional"),
    ("value", "optional"),
    ("or", "optional"),
    ("orValue", "optional"),
    // cel-go strings extension (Kubernetes enables it)
    ("charAt", "strings"),
    ("indexOf", "strings, lists"),
    ("lastIndexOf", "strings, lists"),
    ("lowerAscii", "strings"),
    ("upperAscii", "strings"),
    ("replace", "strings"),
    ("split", "strings"),
    ("substring", "strings"),
    ("trim", "strings"),
    ("join", "strings"),
    ("format", "strings"),
    ("strings.quote", "strings"),
    ("reverse", "strings, lists"),
    // cel-go lists extension
    ("slice", "lists"),
    ("flatten", "lists"),
    ("distinct", "lists"),
    ("sort", "lists"),
    ("lists.range", "lists"),
    // Kubernetes lists library
    ("isSorted", "lists"),
    ("sum", "lists"),
    ("min", "lists"),
    ("max", "lists"),
    // math and encoders extensions
    ("math.greatest", "math"),
    ("math.least", "math"),
    ("math.abs", "math"),
    ("math.ceil", "math"),
    ("math.floor", "math"),
    ("math.round", "math"),
    ("math.trunc", "math"),
    ("math.sign", "math"),
    ("math.sqrt", "math"),
    ("math.isInf", "math"),
    ("math.isNaN", "math"),
    ("math.isFinite", "math"),
    ("math.bitAnd", "math"),
    ("math.bitOr", "math"),
    ("math.bitXor", "math"),
    ("math.bitNot", "math"),
    ("base64.encode", "encoders"),
    ("base64.decode", "encoders"),
    // Kubernetes regex library
    ("find", "regex"),
    ("findAll", "regex"),
    // Kubernetes URL library
    ("url", "url"),
    ("isURL", "url"),
    ("getScheme", "url"),
    ("getHost", "url"),
    ("getHostname", "url"),
    ("getPort", "url"),
    ("getEscapedPath", "url"),
    ("getQuery", "url"),
    // Kubernetes IP and CIDR libraries
    ("ip", "ip"),
    ("isIP", "ip"),
    ("ip.isCanonical", "ip"),
    ("family", "ip"),
    ("isUnspecified", "ip"),
    ("isLoopback", "ip"),
    ("isLinkLocalMulticast", "ip"),
    ("isLinkLocalUnicast", "ip"),
    ("isGlobalUnicast", "ip"),
    ("cidr", "cidr"),
    ("isCIDR", "cidr"),
    ("containsIP", "cidr"),
    ("containsCIDR", "cidr"),
    ("masked", "cidr"),
    ("prefixLength", "cidr"),
    // Kubernetes quantity library
    ("quantity", "quantity"),
    ("isQuantity", "quantity"),
    ("sign", "quantity"),
    ("isInteger", "quantity"),
    ("asInteger", "quantity"),
    ("asApproximateFloat", "quantity"),
    ("add", "quantity"),
    ("sub", "quantity"),
    ("compareTo", "quantity"),
    ("isGreaterThan", "quantity"),
    ("isLessThan", "quantity"),
    // Kubernetes format library
    ("format.named", "format"),
    ("format.dns1123Label", "format"),
    ("format.dns1123Subdomain", "format"),
    ("format.dns1035Label", "format"),
    ("format.qualifiedName", "format"),
    ("format.dns1123LabelPrefix", "format"),
    ("format.dns1123SubdomainPrefix", "format"),
    ("format.dns1035LabelPrefix", "format"),
    ("format.labelValue", "format"),
    ("format.uri", "format"),
    ("format.uuid", "format"),
    ("format.byte", "format"),
    ("format.date", "format"),
    ("format.datetime", "format"),
    ("validate", "format"),
];

/// The function presence tests (`has(x.f)`) are rewritten to call.
pub const HAS: &str = "@kubefort_has";

/// Functions of the Kubernetes libraries that kubefort does not evaluate,
/// with the reason given when a policy calls one.
pub const UNSUPPORTED_FUNCTIONS: &[(&str, &str)] = &[
    ("authorizer", "the authorizer library needs the API server's authorizer (SubjectAccessReviews); kubefort evaluates policies offline"),
    ("path", "the authorizer library needs the API server's authorizer"),
    ("group", "the authorizer library needs the API server's authorizer"),
    ("resource", "the authorizer library needs the API server's authorizer"),
    ("check", "the authorizer library needs the API server's authorizer"),
    ("allowed", "the authorizer library needs the API server's authorizer"),
    ("serviceAccount", "the authorizer library needs the API server's authorizer"),
    ("isSemver", "the semver library is not supported"),
    ("semver", "the semver library is not supported"),
];

/// The shared environment, built once.
pub fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(build_env().expect("the library's overloads are distinct")))
        .clone()
}

fn build_env() -> Result<Env, cel::DeclarationError> {
    let mut env = Env::stdlib();
    env.add_extension(cel::extensions::strings)?;
    env.add_extension(cel::extensions::lists)?;
    env.add_extension(cel::extensions::math)?;
    env.add_extension(cel::extensions::encoders)?;
    env.add_overload(HAS, "kubefort_has", vec![DYN_TYPE, STRING_TYPE], has_field)?;
    // lists
    env.add_member_overload(
        "isSorted",
        "list_is_sorted",
        LIST_TYPE,
        vec![],
        list_is_sorted,
    )?;
    env.add_member_overload("sum", "list_sum", LIST_TYPE, vec![], list_sum)?;
    env.add_member_overload("min", "list_min", LIST_TYPE, vec![], list_min)?;
    env.add_member_overload("max", "list_max", LIST_TYPE, vec![], list_max)?;
    env.add_member_overload(
        "indexOf",
        "list_index_of",
        LIST_TYPE,
        vec![DYN_TYPE],
        list_index_of,
    )?;
    env.add_member_overload(
        "lastIndexOf",
        "list_last_index_of",
        LIST_TYPE,
        vec![DYN_TYPE],
        list_last_index_of,
    )?;
    // regex
    env.add_member_overload(
        "find",
        "string_find_string",
        STRING_TYPE,
        vec![STRING_TYPE],
        re_find,
    )?;
    env.add_member_overload(
        "findAll",
        "string_find_all_string",
        STRING_TYPE,
        vec![STRING_TYPE],
        re_find_all,
    )?;
    env.add_member_overload(
        "findAll",
        "string_find_all_string_int",
        STRING_TYPE,
        vec![STRING_TYPE, INT_TYPE],
        re_find_all_n,
    )?;
    // url
    env.add_overload("url", "string_to_url", vec![STRING_TYPE], url_new)?;
    env.add_overload("isURL", "is_url_string", vec![STRING_TYPE], url_is)?;
    for (name, f) in [
        ("getScheme", url_scheme as cel::common::functions::Function),
        ("getHost", url_host),
        ("getHostname", url_hostname),
        ("getPort", url_port),
        ("getEscapedPath", url_path),
        ("getQuery", url_query),
    ] {
        env.add_member_overload(name, &format!("url_{name}"), url_type(), vec![], f)?;
    }
    env.add_overload("string", "url_to_string", vec![url_type()], url_string)?;
    // ip
    env.add_overload("ip", "string_to_ip", vec![STRING_TYPE], ip_new)?;
    env.add_overload("isIP", "is_ip", vec![STRING_TYPE], ip_is)?;
    env.add_overload(
        "ip.isCanonical",
        "ip_is_canonical",
        vec![STRING_TYPE],
        ip_is_canonical,
    )?;
    for (name, f) in [
        ("family", ip_family as cel::common::functions::Function),
        ("isUnspecified", ip_is_unspecified),
        ("isLoopback", ip_is_loopback),
        ("isLinkLocalMulticast", ip_is_ll_multicast),
        ("isLinkLocalUnicast", ip_is_ll_unicast),
        ("isGlobalUnicast", ip_is_global_unicast),
    ] {
        env.add_member_overload(name, &format!("ip_{name}"), ip_type(), vec![], f)?;
    }
    env.add_overload("string", "ip_to_string", vec![ip_type()], ip_string)?;
    // cidr
    env.add_overload("cidr", "string_to_cidr", vec![STRING_TYPE], cidr_new)?;
    env.add_overload("isCIDR", "is_cidr", vec![STRING_TYPE], cidr_is)?;
    env.add_member_overload(
        "containsIP",
        "cidr_contains_ip_ip",
        cidr_type(),
        vec![ip_type()],
        cidr_contains_ip,
    )?;
    env.add_member_overload(
        "containsIP",
        "cidr_contains_ip_string",
        cidr_type(),
        vec![STRING_TYPE],
        cidr_contains_ip,
    )?;
    env.add_member_overload(
        "containsCIDR",
        "cidr_contains_cidr_cidr",
        cidr_type(),
        vec![cidr_type()],
        cidr_contains_cidr,
    )?;
    env.add_member_overload(
        "containsCIDR",
        "cidr_contains_cidr_string",
        cidr_type(),
        vec![STRING_TYPE],
        cidr_contains_cidr,
    )?;
    env.add_member_overload("ip", "cidr_ip", cidr_type(), vec![], cidr_ip)?;
    env.add_member_overload("masked", "cidr_masked", cidr_type(), vec![], cidr_masked)?;
    env.add_member_overload(
        "prefixLength",
        "cidr_prefix_length",
        cidr_type(),
        vec![],
        cidr_prefix_length,
    )?;
    env.add_overload("string", "cidr_to_string", vec![cidr_type()], cidr_string)?;
    // quantity
    env.add_overload("quantity", "string_to_quantity", vec![STRING_TYPE], q_new)?;
    env.add_overload("isQuantity", "is_quantity", vec![STRING_TYPE], q_is)?;
    for (name, f) in [
        ("sign", q_sign as cel::common::functions::Function),
        ("isInteger", q_is_integer),
        ("asInteger", q_as_integer),
        ("asApproximateFloat", q_as_float),
    ] {
        env.add_member_overload(
            name,
            &format!("quantity_{name}"),
            quantity_type(),
            vec![],
            f,
        )?;
    }
    for (name, f) in [
        ("add", q_add as cel::common::functions::Function),
        ("sub", q_sub),
        ("compareTo", q_compare),
        ("isGreaterThan", q_greater),
        ("isLessThan", q_less),
    ] {
        env.add_member_overload(
            name,
            &format!("quantity_{name}_quantity"),
            quantity_type(),
            vec![quantity_type()],
            f,
        )?;
        if matches!(name, "add" | "sub") {
            env.add_member_overload(
                name,
                &format!("quantity_{name}_int"),
                quantity_type(),
                vec![INT_TYPE],
                f,
            )?;
        }
    }
    // format
    env.add_overload("format.named", "format_named", vec![STRING_TYPE], fmt_named)?;
    env.add_member_overload(
        "validate",
        "format_validate",
        format_type(),
        vec![STRING_TYPE],
        fmt_validate,
    )?;
    Ok(env)
}

// ---------------------------------------------------------------- helpers

fn to_value(v: &CowVal<'_, '_>) -> Result<Value, ExecutionError> {
    Value::try_from(v.as_ref())
}

fn values(args: &[CowVal<'_, '_>]) -> Result<Vec<Value>, ExecutionError> {
    args.iter().map(to_value).collect()
}

fn out<'b, 'v>(v: Value) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let b: Box<dyn cel::common::value::Val> = v.try_into()?;
    Ok(CowVal::Owned(b))
}

fn ferr(function: &str, msg: impl ToString) -> ExecutionError {
    ExecutionError::function_error(function, msg)
}

fn string_arg<'a>(function: &str, v: &'a Value) -> Result<&'a str, ExecutionError> {
    match v {
        Value::String(s) => Ok(s.as_str()),
        other => Err(ferr(
            function,
            format!("expected a string, got {:?}", other.type_of()),
        )),
    }
}

fn opaque<'a, T: 'static>(function: &str, v: &'a Value) -> Result<&'a T, ExecutionError> {
    match v {
        Value::Opaque(o) => o
            .downcast_ref::<T>()
            .ok_or_else(|| ferr(function, "unexpected argument type")),
        _ => Err(ferr(function, "unexpected argument type")),
    }
}

/// Defines a `Function` (a plain `fn`) from a closure-like body over values.
macro_rules! cel_fn {
    ($name:ident, $label:expr, |$args:ident| $body:expr) => {
        fn $name<'b, 'v>(raw: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
            let $args = values(&raw)?;
            let _ = $label;
            let r: Result<Value, ExecutionError> = $body;
            out(r?)
        }
    };
}

/// `has(x.f)`: whether the map `x` has the key `f`; false for anything
/// that is not a map, as cel-go without `errorOnBadPresenceTest`.
fn has_field<'b, 'v>(raw: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let key = raw[1].as_ref();
    let key_str = Value::try_from(key)?;
    let found = match raw[0].as_ref().as_indexer() {
        Some(ix) if raw[0].as_ref().get_type().kind() == cel::common::types::Kind::Map => {
            match ix.get(key) {
                Ok(_) => true,
                Err(ExecutionError::NoSuchKey(_)) => false,
                Err(e) => return Err(e),
            }
        }
        _ => {
            // an optional: present and holding the key
            match Value::try_from(raw[0].as_ref()) {
                Ok(Value::Map(m)) => match &key_str {
                    Value::String(s) => m.map.contains_key(&Key::String(s.clone())),
                    _ => false,
                },
                _ => false,
            }
        }
    };
    out(Value::Bool(found))
}

// ---------------------------------------------------------------- lists

fn list_items<'a>(function: &str, v: &'a Value) -> Result<&'a [Value], ExecutionError> {
    match v {
        Value::List(l) => Ok(l.as_slice()),
        _ => Err(ferr(function, "expected a list")),
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::UInt(x), Value::UInt(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        (Value::Opaque(x), Value::Opaque(y)) => {
            match (x.downcast_ref::<Quantity>(), y.downcast_ref::<Quantity>()) {
                (Some(p), Some(q)) => Some(p.cmp_q(q)),
                _ => None,
            }
        }
        _ => None::<Ordering>,
    }
}

cel_fn!(list_is_sorted, "isSorted", |a| {
    let items = list_items("isSorted", &a[0])?;
    let mut ok = true;
    for w in items.windows(2) {
        match compare(&w[0], &w[1]) {
            Some(std::cmp::Ordering::Greater) => ok = false,
            Some(_) => {}
            None => return Err(ferr("isSorted", "list elements are not comparable")),
        }
    }
    Ok(Value::Bool(ok))
});

cel_fn!(list_sum, "sum", |a| {
    let items = list_items("sum", &a[0])?;
    let mut acc: Option<Value> = None;
    for v in items {
        acc = Some(match (acc, v) {
            (None, v) => v.clone(),
            (Some(Value::Int(x)), Value::Int(y)) => Value::Int(
                x.checked_add(*y)
                    .ok_or_else(|| ferr("sum", "integer overflow"))?,
            ),
            (Some(Value::UInt(x)), Value::UInt(y)) => Value::UInt(
                x.checked_add(*y)
                    .ok_or_else(|| ferr("sum", "integer overflow"))?,
            ),
            (Some(Value::Float(x)), Value::Float(y)) => Value::Float(x + y),
            (Some(Value::Duration(x)), Value::Duration(y)) => Value::Duration(x + *y),
            _ => return Err(ferr("sum", "list elements cannot be summed")),
        });
    }
    Ok(acc.unwrap_or(Value::Int(0)))
});

fn extreme(function: &str, a: &[Value], want: std::cmp::Ordering) -> Result<Value, ExecutionError> {
    let items = list_items(function, &a[0])?;
    let mut best: Option<&Value> = None;
    for v in items {
        best = Some(match best {
            None => v,
            Some(b) => match compare(v, b) {
                Some(o) if o == want => v,
                Some(_) => b,
                None => return Err(ferr(function, "list elements are not comparable")),
            },
        });
    }
    best.cloned()
        .ok_or_else(|| ferr(function, format!("{function} called on an empty list")))
}

cel_fn!(list_min, "min", |a| extreme(
    "min",
    &a,
    std::cmp::Ordering::Less
));
cel_fn!(list_max, "max", |a| extreme(
    "max",
    &a,
    std::cmp::Ordering::Greater
));

fn index_of(function: &str, a: &[Value], last: bool) -> Result<Value, ExecutionError> {
    let items = list_items(function, &a[0])?;
    let found = if last {
        items.iter().rposition(|v| v == &a[1])
    } else {
        items.iter().position(|v| v == &a[1])
    };
    Ok(Value::Int(found.map_or(-1, |i| i as i64)))
}

cel_fn!(list_index_of, "indexOf", |a| index_of("indexOf", &a, false));
cel_fn!(list_last_index_of, "lastIndexOf", |a| index_of(
    "lastIndexOf",
    &a,
    true
));

// ---------------------------------------------------------------- regex

fn regex(function: &str, pattern: &str) -> Result<regex::Regex, ExecutionError> {
    regex::Regex::new(pattern)
        .map_err(|e| ferr(function, format!("invalid regular expression: {e}")))
}

cel_fn!(re_find, "find", |a| {
    let s = string_arg("find", &a[0])?;
    let re = regex("find", string_arg("find", &a[1])?)?;
    Ok(Value::String(Arc::new(
        re.find(s).map_or(String::new(), |m| m.as_str().to_string()),
    )))
});

fn find_all(a: &[Value], n: i64) -> Result<Value, ExecutionError> {
    let s = string_arg("findAll", &a[0])?;
    let re = regex("findAll", string_arg("findAll", &a[1])?)?;
    let limit = if n < 0 { usize::MAX } else { n as usize };
    Ok(Value::List(Arc::new(
        re.find_iter(s)
            .take(limit)
            .map(|m| Value::String(Arc::new(m.as_str().to_string())))
            .collect(),
    )))
}

cel_fn!(re_find_all, "findAll", |a| find_all(&a, -1));
cel_fn!(re_find_all_n, "findAll", |a| {
    let n = match a[2] {
        Value::Int(n) => n,
        _ => return Err(ferr("findAll", "expected an int")),
    };
    find_all(&a, n)
});

// ---------------------------------------------------------------- url

/// A parsed URL (`url(string)`), as Go's `url.Parse` reads absolute URIs
/// and absolute paths.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlVal {
    raw: String,
    scheme: String,
    host: String,
    path: String,
    query: String,
}

impl Opaque for UrlVal {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.URL"
    }
}

fn url_type() -> Type {
    Type::new_opaque_type("kubernetes.URL")
}

fn parse_url(s: &str) -> Result<UrlVal, String> {
    // Kubernetes accepts absolute URIs and absolute paths (url.ParseRequestURI).
    if s.starts_with('/') {
        let (path, query) = s.split_once('?').unwrap_or((s, ""));
        return Ok(UrlVal {
            raw: s.to_string(),
            scheme: String::new(),
            host: String::new(),
            path: path.to_string(),
            query: query.to_string(),
        });
    }
    let u = url::Url::parse(s)
        .map_err(|e| format!("URL parse error during conversion from string: {e}"))?;
    let rest = &s[u.scheme().len() + 1..];
    let (host, path, query) = if let Some(r) = rest.strip_prefix("//") {
        let end = r.find(['/', '?', '#']).unwrap_or(r.len());
        let host = &r[..end];
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let after = &r[end..];
        let after = after.split_once('#').map_or(after, |(a, _)| a);
        let (p, q) = after.split_once('?').unwrap_or((after, ""));
        (host.to_string(), p.to_string(), q.to_string())
    } else {
        (
            String::new(),
            u.path().to_string(),
            u.query().unwrap_or("").to_string(),
        )
    };
    Ok(UrlVal {
        raw: s.to_string(),
        scheme: u.scheme().to_string(),
        host,
        path,
        query,
    })
}

cel_fn!(url_new, "url", |a| {
    let s = string_arg("url", &a[0])?;
    parse_url(s)
        .map(|u| Value::Opaque(Arc::new(u)))
        .map_err(|e| ferr("url", e))
});
cel_fn!(url_is, "isURL", |a| Ok(Value::Bool(
    parse_url(string_arg("isURL", &a[0])?).is_ok()
)));
fn s(v: impl Into<String>) -> Value {
    Value::String(Arc::new(v.into()))
}
cel_fn!(url_scheme, "getScheme", |a| Ok(s(opaque::<UrlVal>(
    "getScheme",
    &a[0]
)?
.scheme
.clone())));
cel_fn!(url_host, "getHost", |a| Ok(s(opaque::<UrlVal>(
    "getHost", &a[0]
)?
.host
.clone())));
fn split_host(host: &str) -> (&str, &str) {
    if let Some(r) = host.strip_prefix('[') {
        if let Some((h, rest)) = r.split_once(']') {
            return (h, rest.strip_prefix(':').unwrap_or(""));
        }
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, p),
        _ => (host, ""),
    }
}
cel_fn!(url_hostname, "getHostname", |a| Ok(s(split_host(
    &opaque::<UrlVal>("getHostname", &a[0])?.host
)
.0)));
cel_fn!(url_port, "getPort", |a| Ok(s(split_host(
    &opaque::<UrlVal>("getPort", &a[0])?.host
)
.1)));
cel_fn!(url_path, "getEscapedPath", |a| Ok(s(opaque::<UrlVal>(
    "getEscapedPath",
    &a[0]
)?
.path
.clone())));
cel_fn!(url_query, "getQuery", |a| {
    let q = &opaque::<UrlVal>("getQuery", &a[0])?.query;
    let mut m: HashMap<Key, Vec<Value>> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
        m.entry(Key::String(Arc::new(k.into_owned())))
            .or_default()
            .push(s(v.into_owned()));
    }
    Ok(Value::Map(Map {
        map: Arc::new(
            m.into_iter()
                .map(|(k, v)| (k, Value::List(Arc::new(v))))
                .collect(),
        ),
    }))
});
cel_fn!(url_string, "string", |a| Ok(s(opaque::<UrlVal>(
    "string", &a[0]
)?
.raw
.clone())));

// ---------------------------------------------------------------- ip, cidr

/// An IP address (`ip(string)`).
#[derive(Debug, PartialEq, Eq)]
pub struct IpVal(IpAddr);

impl Opaque for IpVal {
    fn runtime_type_name(&self) -> &str {
        "net.IP"
    }
}

/// A CIDR (`cidr(string)`).
#[derive(Debug, PartialEq, Eq)]
pub struct CidrVal(IpNet);

impl Opaque for CidrVal {
    fn runtime_type_name(&self) -> &str {
        "net.CIDR"
    }
}

fn ip_type() -> Type {
    Type::new_opaque_type("net.IP")
}
fn cidr_type() -> Type {
    Type::new_opaque_type("net.CIDR")
}

/// Kubernetes' IP parsing: no zones, no IPv4-mapped IPv6 addresses.
fn parse_ip(s: &str) -> Result<IpAddr, String> {
    if s.contains('%') {
        return Err(format!("IP address with zone value is not allowed: {s}"));
    }
    let ip: IpAddr = s
        .parse()
        .map_err(|_| format!("IP Address {s:?} parse error during conversion from string"))?;
    if let IpAddr::V6(v6) = ip {
        if v6.to_ipv4_mapped().is_some() {
            return Err(format!("IPv4-mapped IPv6 address {s:?} is not allowed"));
        }
    }
    Ok(ip)
}

fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let (addr, _) = s.split_once('/').ok_or_else(|| {
        format!(
            "network address parse error during conversion from string: invalid CIDR address: {s}"
        )
    })?;
    parse_ip(addr)?;
    s.parse::<IpNet>().map_err(|_| {
        format!(
            "network address parse error during conversion from string: invalid CIDR address: {s}"
        )
    })
}

cel_fn!(ip_new, "ip", |a| parse_ip(string_arg("ip", &a[0])?)
    .map(|ip| Value::Opaque(Arc::new(IpVal(ip))))
    .map_err(|e| ferr("ip", e)));
cel_fn!(ip_is, "isIP", |a| Ok(Value::Bool(
    parse_ip(string_arg("isIP", &a[0])?).is_ok()
)));
cel_fn!(ip_is_canonical, "ip.isCanonical", |a| {
    let t = string_arg("ip.isCanonical", &a[0])?;
    let ip = parse_ip(t).map_err(|e| ferr("ip.isCanonical", e))?;
    Ok(Value::Bool(ip.to_string() == t))
});
fn ip_of<'a>(f: &str, v: &'a Value) -> Result<&'a IpAddr, ExecutionError> {
    Ok(&opaque::<IpVal>(f, v)?.0)
}
cel_fn!(ip_family, "family", |a| Ok(Value::Int(
    match ip_of("family", &a[0])? {
        IpAddr::V4(_) => 4,
        IpAddr::V6(_) => 6,
    }
)));
cel_fn!(ip_is_unspecified, "isUnspecified", |a| Ok(Value::Bool(
    ip_of("isUnspecified", &a[0])?.is_unspecified()
)));
cel_fn!(ip_is_loopback, "isLoopback", |a| Ok(Value::Bool(
    ip_of("isLoopback", &a[0])?.is_loopback()
)));
cel_fn!(ip_is_ll_multicast, "isLinkLocalMulticast", |a| Ok(
    Value::Bool(match ip_of("isLinkLocalMulticast", &a[0])? {
        IpAddr::V4(v) => v.octets()[0] == 224 && v.octets()[1] == 0 && v.octets()[2] == 0,
        IpAddr::V6(v) => v.segments()[0] & 0xff0f == 0xff02,
    })
));
cel_fn!(ip_is_ll_unicast, "isLinkLocalUnicast", |a| Ok(Value::Bool(
    match ip_of("isLinkLocalUnicast", &a[0])? {
        IpAddr::V4(v) => v.is_link_local(),
        IpAddr::V6(v) => v.segments()[0] & 0xffc0 == 0xfe80,
    }
)));
/// Go's `net.IP.IsGlobalUnicast`.
fn global_unicast(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            !(v.is_unspecified()
                || v.is_loopback()
                || v.is_multicast()
                || v.is_broadcast()
                || v.is_link_local())
        }
        IpAddr::V6(v) => {
            let s0 = v.segments()[0];
            !(v.is_unspecified() || v.is_loopback() || v.is_multicast() || s0 & 0xffc0 == 0xfe80)
        }
    }
}
cel_fn!(ip_is_global_unicast, "isGlobalUnicast", |a| Ok(
    Value::Bool(global_unicast(ip_of("isGlobalUnicast", &a[0])?))
));
cel_fn!(ip_string, "string", |a| Ok(s(
    ip_of("string", &a[0])?.to_string()
)));

fn cidr_of<'a>(f: &str, v: &'a Value) -> Result<&'a IpNet, ExecutionError> {
    Ok(&opaque::<CidrVal>(f, v)?.0)
}
cel_fn!(cidr_new, "cidr", |a| parse_cidr(string_arg("cidr", &a[0])?)
    .map(|c| Value::Opaque(Arc::new(CidrVal(c))))
    .map_err(|e| ferr("cidr", e)));
cel_fn!(cidr_is, "isCIDR", |a| Ok(Value::Bool(
    parse_cidr(string_arg("isCIDR", &a[0])?).is_ok()
)));
cel_fn!(cidr_contains_ip, "containsIP", |a| {
    let net = cidr_of("containsIP", &a[0])?;
    let ip = match &a[1] {
        Value::String(t) => parse_ip(t).map_err(|e| ferr("containsIP", e))?,
        other => *ip_of("containsIP", other)?,
    };
    Ok(Value::Bool(net.contains(&ip)))
});
cel_fn!(cidr_contains_cidr, "containsCIDR", |a| {
    let net = cidr_of("containsCIDR", &a[0])?;
    let other = match &a[1] {
        Value::String(t) => parse_cidr(t).map_err(|e| ferr("containsCIDR", e))?,
        other => *cidr_of("containsCIDR", other)?,
    };
    Ok(Value::Bool(
        net.contains(&other.network()) && other.prefix_len() >= net.prefix_len(),
    ))
});
cel_fn!(cidr_ip, "ip", |a| Ok(Value::Opaque(Arc::new(IpVal(
    cidr_of("ip", &a[0])?.addr()
)))));
cel_fn!(cidr_masked, "masked", |a| Ok(Value::Opaque(Arc::new(
    CidrVal(cidr_of("masked", &a[0])?.trunc())
))));
cel_fn!(cidr_prefix_length, "prefixLength", |a| Ok(Value::Int(
    cidr_of("prefixLength", &a[0])?.prefix_len() as i64
)));
cel_fn!(cidr_string, "string", |a| Ok(s(
    cidr_of("string", &a[0])?.to_string()
)));

// ---------------------------------------------------------------- quantity

/// A Kubernetes resource quantity, kept exactly as a rational number
/// `mantissa * 10^exp` (both binary and decimal suffixes are converted).
#[derive(Debug, Clone)]
pub struct Quantity {
    /// Value in units of 10^-9 (nano), as Kubernetes rounds below that.
    nanos: i128,
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}
impl Eq for Quantity {}

impl Quantity {
    fn cmp_q(&self, other: &Quantity) -> std::cmp::Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Opaque for Quantity {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Quantity"
    }
}

fn quantity_type() -> Type {
    Type::new_opaque_type("kubernetes.Quantity")
}

/// Parse a quantity with `resource.ParseQuantity`'s grammar: a signed
/// decimal number, then a binary (`Ki`…`Ei`), decimal (`n u m k M G T P E`)
/// or exponent (`e3`, `E-2`) suffix.
pub fn parse_quantity(text: &str) -> Result<i128, String> {
    let bad = || {
        format!("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text:?}")
    };
    if text.is_empty() {
        return Err(bad());
    }
    let b = text.as_bytes();
    let mut i = 0;
    let neg = match b[0] {
        b'-' => {
            i = 1;
            true
        }
        b'+' => {
            i = 1;
            false
        }
        _ => false,
    };
    let num_start = i;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        i += 1;
    }
    let num = &text[num_start..i];
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return Err(bad());
    }
    let suffix = &text[i..];
    // value = digits * 10^(exp10) * 2^(exp2)
    let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return Err("quantity too large".into());
    }
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| bad())?
    };
    let mut exp10: i32 = -(frac_part.len() as i32);
    let mut exp2: u32 = 0;
    match suffix {
        "" => {}
        "Ki" => exp2 = 10,
        "Mi" => exp2 = 20,
        "Gi" => exp2 = 30,
        "Ti" => exp2 = 40,
        "Pi" => exp2 = 50,
        "Ei" => exp2 = 60,
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        s if s.starts_with(['e', 'E']) => {
            let e: i32 = s[1..].parse().map_err(|_| bad())?;
            if s.len() == 1 {
                return Err(bad());
            }
            exp10 += e;
        }
        _ => return Err(bad()),
    }
    // to nanos, rounding up as Kubernetes does below its smallest scale
    let mut v = mantissa;
    let shift = exp10 + 9;
    if exp2 > 0 {
        v = v.checked_mul(1i128 << exp2).ok_or("quantity too large")?;
    }
    if shift >= 0 {
        if shift > 36 {
            return Err("quantity too large".into());
        }
        v = v
            .checked_mul(10i128.pow(shift as u32))
            .ok_or("quantity too large")?;
    } else {
        let d = 10i128
            .checked_pow((-shift) as u32)
            .ok_or("quantity too small")?;
        v = (v + d - 1) / d;
    }
    Ok(if neg { -v } else { v })
}

fn q_of<'a>(f: &str, v: &'a Value) -> Result<&'a Quantity, ExecutionError> {
    opaque::<Quantity>(f, v)
}

fn q_val(nanos: i128) -> Value {
    Value::Opaque(Arc::new(Quantity { nanos }))
}

cel_fn!(q_new, "quantity", |a| {
    let t = string_arg("quantity", &a[0])?;
    let nanos = parse_quantity(t).map_err(|e| ferr("quantity", e))?;
    Ok(Value::Opaque(Arc::new(Quantity { nanos })))
});
cel_fn!(q_is, "isQuantity", |a| Ok(Value::Bool(
    parse_quantity(string_arg("isQuantity", &a[0])?).is_ok()
)));
cel_fn!(q_sign, "sign", |a| Ok(Value::Int(
    q_of("sign", &a[0])?.nanos.signum() as i64
)));
const NANO: i128 = 1_000_000_000;
cel_fn!(q_is_integer, "isInteger", |a| {
    let n = q_of("isInteger", &a[0])?.nanos;
    Ok(Value::Bool(
        n % NANO == 0 && i64::try_from(n / NANO).is_ok(),
    ))
});
cel_fn!(q_as_integer, "asInteger", |a| {
    let n = q_of("asInteger", &a[0])?.nanos;
    if n % NANO != 0 {
        return Err(ferr(
            "asInteger",
            "cannot convert value to integer: the quantity has a fractional part",
        ));
    }
    i64::try_from(n / NANO)
        .map(Value::Int)
        .map_err(|_| ferr("asInteger", "cannot convert value to integer: out of range"))
});
cel_fn!(q_as_float, "asApproximateFloat", |a| Ok(Value::Float(
    q_of("asApproximateFloat", &a[0])?.nanos as f64 / 1e9
)));
fn q_other(f: &str, v: &Value) -> Result<i128, ExecutionError> {
    match v {
        Value::Int(i) => Ok(*i as i128 * NANO),
        other => Ok(q_of(f, other)?.nanos),
    }
}
cel_fn!(q_add, "add", |a| Ok(q_val(
    q_of("add", &a[0])?.nanos + q_other("add", &a[1])?
)));
cel_fn!(q_sub, "sub", |a| Ok(q_val(
    q_of("sub", &a[0])?.nanos - q_other("sub", &a[1])?
)));
cel_fn!(q_compare, "compareTo", |a| Ok(Value::Int(
    match q_of("compareTo", &a[0])?.cmp_q(q_of("compareTo", &a[1])?) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
)));
cel_fn!(q_greater, "isGreaterThan", |a| Ok(Value::Bool(
    q_of("isGreaterThan", &a[0])?.nanos > q_of("isGreaterThan", &a[1])?.nanos
)));
cel_fn!(q_less, "isLessThan", |a| Ok(Value::Bool(
    q_of("isLessThan", &a[0])?.nanos < q_of("isLessThan", &a[1])?.nanos
)));

// ---------------------------------------------------------------- format

/// A named format of the Kubernetes format library.
#[derive(Debug, PartialEq, Eq)]
pub struct FormatVal(&'static str);

impl Opaque for FormatVal {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.NamedFormat"
    }
}

fn format_type() -> Type {
    Type::new_opaque_type("kubernetes.NamedFormat")
}

type Validator = fn(&str) -> Vec<String>;

const FORMATS: &[(&str, Validator)] = &[
    ("dns1123Label", |s| dns_label(s, false, 63, true)),
    ("dns1123Subdomain", dns1123_subdomain),
    ("dns1035Label", |s| dns_label(s, false, 63, false)),
    ("qualifiedName", qualified_name),
    ("dns1123LabelPrefix", |s| {
        dns_label(s.strip_suffix('-').unwrap_or(s), true, 63, true)
    }),
    ("dns1123SubdomainPrefix", |s| {
        dns1123_subdomain(s.strip_suffix(['-', '.']).unwrap_or(s))
    }),
    ("dns1035LabelPrefix", |s| {
        dns_label(s.strip_suffix('-').unwrap_or(s), true, 63, false)
    }),
    ("labelValue", label_value),
    ("uri", |s| {
        if parse_url(s).is_ok() {
            vec![]
        } else {
            vec!["invalid URI".into()]
        }
    }),
    ("uuid", |s| {
        let re = regex::Regex::new(
            "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        )
        .expect("valid");
        if re.is_match(s) {
            vec![]
        } else {
            vec!["does not match the UUID format".into()]
        }
    }),
    ("byte", |s| {
        if s.len() % 4 == 0
            && s.trim_end_matches('=')
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
        {
            vec![]
        } else {
            vec!["invalid base64".into()]
        }
    }),
    ("date", |s| {
        if chrono_date(s) {
            vec![]
        } else {
            vec!["invalid date".into()]
        }
    }),
    ("datetime", |s| {
        if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
            vec![]
        } else {
            vec!["invalid datetime".into()]
        }
    }),
];

fn chrono_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn dns_label(s: &str, prefix: bool, max: usize, digit_first: bool) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > max {
        errs.push(format!("must be no more than {max} characters"));
    }
    let ok = if digit_first {
        regex_ok("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", s)
    } else {
        regex_ok("^[a-z]([-a-z0-9]*[a-z0-9])?$", s)
    };
    let _ = prefix;
    if !ok {
        errs.push(if digit_first {
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character".into()
        } else {
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character".into()
        });
    }
    errs
}

fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push("must be no more than 253 characters".into());
    }
    if !regex_ok(
        "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        s,
    ) {
        errs.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".into());
    }
    errs
}

fn qualified_name(s: &str) -> Vec<String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let mut errs = Vec::new();
    if let Some(p) = prefix {
        if p.is_empty() {
            errs.push("prefix part must be non-empty".into());
        } else {
            errs.extend(
                dns1123_subdomain(p)
                    .into_iter()
                    .map(|e| format!("prefix part {e}")),
            );
        }
    }
    if name.is_empty() {
        errs.push("name part must be non-empty".into());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 characters".into());
    }
    if !regex_ok("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$", name) {
        errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".into());
    }
    errs
}

fn label_value(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push("must be no more than 63 characters".into());
    }
    if !s.is_empty() && !regex_ok("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", s) {
        errs.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".into());
    }
    errs
}

fn regex_ok(pattern: &str, s: &str) -> bool {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<String, regex::Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    let re = c
        .entry(pattern.to_string())
        .or_insert_with(|| regex::Regex::new(pattern).expect("the library's patterns are valid"));
    re.is_match(s)
}

fn format_named(name: &str) -> Option<&'static str> {
    FORMATS.iter().find(|(n, _)| *n == name).map(|(n, _)| *n)
}

fn optional(v: Option<Value>) -> Value {
    Value::Opaque(Arc::new(match v {
        Some(v) => cel::objects::OptionalValue::of(v),
        None => cel::objects::OptionalValue::none(),
    }))
}

cel_fn!(fmt_named, "format.named", |a| Ok(optional(
    format_named(string_arg("format.named", &a[0])?).map(|n| Value::Opaque(Arc::new(FormatVal(n))))
)));

cel_fn!(fmt_validate, "validate", |a| {
    let f = opaque::<FormatVal>("validate", &a[0])?;
    let t = string_arg("validate", &a[1])?;
    let validator = FORMATS
        .iter()
        .find(|(n, _)| *n == f.0)
        .map(|(_, v)| *v)
        .ok_or_else(|| ferr("validate", "unknown format"))?;
    let errs = validator(t);
    Ok(optional(if errs.is_empty() {
        None
    } else {
        Some(Value::List(Arc::new(errs.into_iter().map(s).collect())))
    }))
});

/// Rewrite `format.NAME()` into `format.named("NAME").value()`: the same
/// value, as the overloads of the `cel` crate are not told which name they
/// were called by.
pub fn rewrite_fixed_formats(source: &str) -> String {
    let mut out = source.to_string();
    for (name, _) in FORMATS {
        out = out.replace(
            &format!("format.{name}()"),
            &format!("format.named(\"{name}\").value()"),
        );
    }
    out
}

//! Kubelet checks (CIS 4.2.x) over `KubeletConfiguration` objects and over
//! a node's kubelet: its command line and configuration file together.
//!
//! The kubelet reads its settings from the file named by `--config` and lets
//! flags given on the command line override them. Defaults differ between
//! the two: without a configuration file the flag defaults apply (anonymous
//! requests allowed, `AlwaysAllow` authorization, read-only port 10255);
//! with one, the `kubelet.config.k8s.io/v1beta1` defaults apply (anonymous
//! off, `Webhook`, read-only port off), and zero durations in the file are
//! replaced by their defaults. Each rule is one check over [`Settings`],
//! which answers with the effective value of a setting and where it comes
//! from.
//!
//! A `KubeletConfiguration` written in a ConfigMap (kubeadm's
//! `kube-system/kubelet-config`, key `kubelet`) is checked as a file,
//! reported at its data key.
//!
//! `kubefort node` describes a node's kubelet as a `Kubelet` object
//! (`node.kubefort.io/v1`) whose `spec.args` is the command line, word by
//! word (each word keeps the line and column of the unit or environment file
//! it comes from), and whose `spec.config` is the configuration file's
//! object (with its own positions):
//!
//! ```yaml
//! apiVersion: node.kubefort.io/v1
//! kind: Kubelet
//! metadata:
//!   name: kubelet
//! spec:
//!   args: [--config=/var/lib/kubelet/config.yaml, --read-only-port=10255]
//!   config:
//!     apiVersion: kubelet.config.k8s.io/v1beta1
//!     kind: KubeletConfiguration
//! ```

use kubefort_core::object::Object;
use kubefort_core::{FieldPath, Node, ObjectCtx, Rule};

use super::flags::{parse_bool, pflag_words};
use super::{cis_rule, CIS_REF};

const KUBELET_REF: &str = "https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/";

/// The kubelet's boolean flags: a bare `--flag` is `true`.
pub const BOOL_FLAGS: &[&str] = &[
    "anonymous-auth",
    "cgroups-per-qos",
    "enable-controller-attach-detach",
    "enable-debugging-handlers",
    "enable-server",
    "exit-on-lock-contention",
    "fail-swap-on",
    "kernel-memcg-notification",
    "localstorage-capacity-isolation",
    "make-iptables-util-chains",
    "protect-kernel-defaults",
    "register-node",
    "register-schedulable",
    "rotate-certificates",
    "rotate-server-certificates",
    "seccomp-default",
    "serialize-image-pulls",
    "logtostderr",
    "alsologtostderr",
    "help",
];

/// One kubelet setting: its field in the configuration file, its flag, and
/// its defaults with and without a configuration file.
pub struct Setting {
    pub field: &'static [&'static str],
    pub flag: &'static str,
    pub config_default: &'static str,
    pub flag_default: &'static str,
}

/// Where an effective value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A field of the configuration file.
    Config(FieldPath),
    /// A command-line flag (the index of its word).
    Flag(usize),
    /// The default: the configuration object's parent field when there is a
    /// file, else the command line.
    Default(Option<FieldPath>),
}

/// An effective value: the text of a flag, or the node of a field.
pub enum Value<'a> {
    Text(&'a str),
    Node(&'a Node),
}

impl Value<'_> {
    /// The value as a string, for scalars (booleans and numbers as written).
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Text(t) => Some((*t).to_string()),
            Value::Node(n) => match &n.value {
                kubefort_core::Value::String(s) => Some(s.to_string()),
                kubefort_core::Value::Bool(b) => Some(b.to_string()),
                kubefort_core::Value::Int(i) => Some(i.to_string()),
                kubefort_core::Value::Float(f) => Some(f.to_string()),
                _ => None,
            },
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Text(t) => parse_bool(t),
            Value::Node(n) => n.as_bool(),
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Text(t) => t.parse().ok(),
            Value::Node(n) => n.as_i64(),
        }
    }

    /// A list: comma-separated for a flag, a sequence of strings in the file.
    pub fn as_list(&self) -> Vec<String> {
        match self {
            Value::Text("") => Vec::new(),
            Value::Text(t) => t.split(',').map(str::to_string).collect(),
            Value::Node(n) => n
                .as_seq()
                .unwrap_or(&[])
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
        }
    }
}

/// The kubelet's command line, read as the kubelet reads it.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `(name, value, index of the flag's word)`; a bare boolean flag has no value.
    pub args: Vec<(String, Option<String>, usize)>,
}

impl Flags {
    /// Read the words of a command line (without the program name).
    pub fn parse(words: &[&str]) -> Flags {
        let argv: Vec<(&str, usize)> = words.iter().enumerate().map(|(i, w)| (*w, i)).collect();
        Flags {
            args: pflag_words(&argv, BOOL_FLAGS),
        }
    }

    /// The last occurrence of a flag: its value and word index.
    pub fn last(&self, name: &str) -> Option<(&str, usize)> {
        self.args
            .iter()
            .rev()
            .find(|a| a.0 == name)
            .map(|a| (a.1.as_deref().unwrap_or("true"), a.2))
    }
}

/// The effective kubelet settings: a configuration object, flags, or both.
pub struct Settings<'a> {
    pub config: Option<&'a Node>,
    pub flags: Option<&'a Flags>,
}

impl<'a> Settings<'a> {
    /// The effective value of a setting and where it comes from.
    pub fn get(&self, s: &Setting) -> (Value<'a>, Source) {
        if let Some(flags) = self.flags {
            if let Some((v, i)) = flags.last(s.flag) {
                return (Value::Text(v), Source::Flag(i));
            }
        }
        match self.config {
            Some(root) => {
                let path = s.field.iter().fold(FieldPath::root(), |p, k| p.key(k));
                match root.get_path(s.field).filter(|n| !n.is_null()) {
                    Some(n) => (Value::Node(n), Source::Config(path)),
                    None => {
                        let parent = s.field[..s.field.len() - 1]
                            .iter()
                            .fold(FieldPath::root(), |p, k| p.key(k));
                        (Value::Text(s.config_default), Source::Default(Some(parent)))
                    }
                }
            }
            None => (Value::Text(s.flag_default), Source::Default(None)),
        }
    }

    /// A feature gate: `featureGates` in the file, merged with `--feature-gates`.
    pub fn feature_gate(&self, gate: &str) -> Option<(bool, Source)> {
        let mut found = None;
        if let Some(root) = self.config {
            if let Some(n) = root.get_path(&["featureGates", gate]) {
                if let Some(b) = n.as_bool() {
                    found = Some((
                        b,
                        Source::Config(FieldPath::root().key("featureGates").key(gate)),
                    ));
                }
            }
        }
        if let Some(flags) = self.flags {
            for (_, value, i) in flags.args.iter().filter(|a| a.0 == "feature-gates") {
                for pair in value.as_deref().unwrap_or("").split(',') {
                    if let Some((k, v)) = pair.split_once('=') {
                        if k.trim() == gate {
                            if let Some(b) = parse_bool(v.trim()) {
                                found = Some((b, Source::Flag(*i)));
                            }
                        }
                    }
                }
            }
        }
        found
    }

    /// How a setting is named in a message: the flag or the field.
    fn name(&self, s: &Setting, src: &Source) -> String {
        match src {
            Source::Flag(_) => format!("`--{}`", s.flag),
            Source::Default(None) => format!("`--{}` (not set)", s.flag),
            _ => format!("`{}`", s.field.join(".")),
        }
    }
}

/// What a kubelet check reports: where and what.
pub type Findings = Vec<(Source, String)>;

type KubeletCheck = fn(&Settings<'_>, &mut Findings);

/// A boolean setting that must be `want`.
fn want_bool(st: &Settings<'_>, out: &mut Findings, id: &str, s: &Setting, want: bool, why: &str) {
    let (v, src) = st.get(s);
    match v.as_bool() {
        Some(b) if b == want => {}
        Some(b) => {
            let name = st.name(s, &src);
            let how = if matches!(src, Source::Default(_)) {
                format!("{name} defaults to {b}")
            } else {
                format!("{name} is {b}")
            };
            out.push((src, format!("CIS {id}: {how}: {why}")));
        }
        None => {
            let name = st.name(s, &src);
            out.push((src, format!("CIS {id}: {name} is not a boolean")));
        }
    }
}

pub const NODE_API_VERSION: &str = "node.kubefort.io/v1";
pub const NODE_KIND: &str = "Kubelet";

/// Run a kubelet check over a `KubeletConfiguration` object or a node's
/// `Kubelet` description.
fn object_check(ctx: &mut ObjectCtx<'_>, check: KubeletCheck) {
    if ctx.object.id.kind == "ConfigMap" && ctx.object.id.api_version == "v1" {
        return embedded_check(ctx, check);
    }
    let o = ctx.object;
    let (config, config_path, args) = if is_kubelet_config(o) {
        (Some(&o.root), FieldPath::root(), None)
    } else if o.id.kind == NODE_KIND && o.id.api_version == NODE_API_VERSION {
        let spec = o.root.get("spec");
        let config = spec
            .and_then(|s| s.get("config"))
            .filter(|c| c.as_map().is_some());
        let args = spec.and_then(|s| s.get("args")).and_then(Node::as_seq);
        (config, FieldPath::root().keys("spec.config"), args)
    } else {
        return;
    };
    let words: Vec<&str> = args
        .unwrap_or(&[])
        .iter()
        .map(|n| n.as_str().unwrap_or(""))
        .collect();
    let flags = Flags::parse(&words);
    let st = Settings {
        config,
        flags: args.map(|_| &flags),
    };
    let mut out = Vec::new();
    check(&st, &mut out);
    let args_path = FieldPath::root().keys("spec.args");
    for (src, msg) in out {
        let path = match src {
            Source::Config(p) | Source::Default(Some(p)) => join(&config_path, &p),
            Source::Flag(i) => args_path.index(i),
            Source::Default(None) if args.is_some() => args_path.clone(),
            Source::Default(None) => FieldPath::root(),
        };
        ctx.report(path, msg);
    }
}

/// Configuration objects of `kind` written as text in a ConfigMap's `data`
/// (kubeadm's `kube-system/kubelet-config` and `kube-proxy` ConfigMaps):
/// `(key, parsed object)`.
pub fn embedded(root: &Node, group: &str, kind: &str) -> Vec<(String, Node)> {
    let Some(data) = root.get("data").and_then(Node::as_map) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, v) in data.iter() {
        let Some(text) = v.as_str().filter(|t| t.contains(kind)) else {
            continue;
        };
        let limits = kubefort_core::yaml::Limits::default();
        for doc in kubefort_core::yaml::load_str(text, &limits)
            .into_iter()
            .flatten()
        {
            let api = doc.root.str_at("apiVersion").unwrap_or("");
            if doc.root.str_at("kind") == Some(kind) && api.starts_with(&format!("{group}/")) {
                out.push((key.to_string(), doc.root));
                break;
            }
        }
    }
    out
}

/// A kubelet check over the KubeletConfiguration a ConfigMap carries; the
/// finding is at the ConfigMap's data key, and its message names the field.
fn embedded_check(ctx: &mut ObjectCtx<'_>, check: KubeletCheck) {
    let root = &ctx.object.root;
    let found = ctx.memo().get_or_init("cis-embedded-kubelet", || {
        embedded(root, "kubelet.config.k8s.io", "KubeletConfiguration")
    });
    for (key, config) in found {
        let st = Settings {
            config: Some(config),
            flags: None,
        };
        let mut out = Vec::new();
        check(&st, &mut out);
        let at = FieldPath::root().key("data").key(key);
        for (_, msg) in out {
            ctx.report(
                at.clone(),
                format!("{msg} (in the KubeletConfiguration of {at})"),
            );
        }
    }
}

fn join(base: &FieldPath, rel: &FieldPath) -> FieldPath {
    let mut p = base.clone();
    for s in rel.segs() {
        p = match s {
            kubefort_core::path::Seg::Key(k) => p.key(k),
            kubefort_core::path::Seg::Index(i) => p.index(*i),
        };
    }
    p
}

/// Whether an object is a `KubeletConfiguration`.
pub fn is_kubelet_config(o: &Object) -> bool {
    o.id.kind == "KubeletConfiguration" && o.id.group() == "kubelet.config.k8s.io"
}

const ANONYMOUS: Setting = Setting {
    field: &["authentication", "anonymous", "enabled"],
    flag: "anonymous-auth",
    config_default: "false",
    flag_default: "true",
};

fn anonymous_auth(st: &Settings<'_>, out: &mut Findings) {
    want_bool(
        st,
        out,
        "4.2.1",
        &ANONYMOUS,
        false,
        "anyone who reaches the kubelet's port is served as system:anonymous",
    );
}

pub static ANONYMOUS_AUTH: Rule = cis_rule! {
    name: "kubelet-anonymous-auth",
    severity: High,
    summary: "The kubelet accepts anonymous requests (CIS 4.2.1)",
    remediation: "Set `authentication.anonymous.enabled: false` in the KubeletConfiguration (or `--anonymous-auth=false`).",
    docs: r#"## What it does
CIS 4.2.1. Flags a kubelet whose effective `authentication.anonymous.enabled`
is `true`: set so in the configuration file, or by `--anonymous-auth`, or by
default when the kubelet runs without a configuration file (the flag's
default is `true`; the file's is `false`).

## Why it matters
The kubelet API runs commands in containers, reads logs and lists pods.
Anonymous requests with a permissive authorization mode hand all of that to
anyone who reaches port 10250.

## Example
```yaml
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: true   # flagged
```

## How to fix
`enabled: false`, and `authentication.webhook.enabled: true` so the API
server authenticates callers.
"#,
    references: &[CIS_REF, KUBELET_REF],
    check: |ctx| object_check(ctx, anonymous_auth),
};

const AUTHZ_MODE: Setting = Setting {
    field: &["authorization", "mode"],
    flag: "authorization-mode",
    config_default: "Webhook",
    flag_default: "AlwaysAllow",
};

fn authorization_mode(st: &Settings<'_>, out: &mut Findings) {
    let (v, src) = st.get(&AUTHZ_MODE);
    if v.text().as_deref() == Some("AlwaysAllow") {
        let name = st.name(&AUTHZ_MODE, &src);
        out.push((
            src,
            format!(
                "CIS 4.2.2: {name} is AlwaysAllow: every request to the kubelet API is authorized"
            ),
        ));
    }
}

pub static AUTHORIZATION_MODE: Rule = cis_rule! {
    name: "kubelet-authorization-mode",
    severity: Critical,
    summary: "The kubelet authorizes every request (CIS 4.2.2)",
    remediation: "Set `authorization.mode: Webhook` in the KubeletConfiguration (or `--authorization-mode=Webhook`).",
    docs: r#"## What it does
CIS 4.2.2. Flags a kubelet whose effective `authorization.mode` is
`AlwaysAllow`, including a kubelet without a configuration file and without
`--authorization-mode` (the flag defaults to `AlwaysAllow`).

## Why it matters
With `AlwaysAllow`, every authenticated caller (and every anonymous one, if
anonymous auth is on) can exec into any container on the node.

## Example
```yaml
authorization:
  mode: AlwaysAllow   # flagged
```

## How to fix
`mode: Webhook`: the kubelet then asks the API server (SubjectAccessReview)
whether the caller may use `nodes/proxy`, `nodes/log`, and so on.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"],
    check: |ctx| object_check(ctx, authorization_mode),
};

const CLIENT_CA_FILE: Setting = Setting {
    field: &["authentication", "x509", "clientCAFile"],
    flag: "client-ca-file",
    config_default: "",
    flag_default: "",
};

fn client_ca(st: &Settings<'_>, out: &mut Findings) {
    let (v, src) = st.get(&CLIENT_CA_FILE);
    if v.text().is_none_or(|t| t.is_empty()) {
        out.push((src, "CIS 4.2.3: no client CA file (`authentication.x509.clientCAFile` / `--client-ca-file`): the kubelet cannot authenticate the API server's client certificate".into()));
    }
}

pub static CLIENT_CA: Rule = cis_rule! {
    name: "kubelet-client-ca",
    severity: High,
    summary: "The kubelet has no client CA to authenticate callers (CIS 4.2.3)",
    remediation: "Set `authentication.x509.clientCAFile` to the cluster CA (or `--client-ca-file`).",
    docs: r#"## What it does
CIS 4.2.3. Flags a kubelet without `authentication.x509.clientCAFile` (or
`--client-ca-file`).

## Why it matters
Without it the kubelet cannot verify the client certificate the API server
presents, so it either rejects the API server or, with anonymous access,
treats it (and everyone else) as anonymous.

## Example
```yaml
authentication:
  x509: {}   # flagged
```

## How to fix
`clientCAFile: /etc/kubernetes/pki/ca.crt`, as kubeadm writes it.
"#,
    references: &[CIS_REF, KUBELET_REF],
    check: |ctx| object_check(ctx, client_ca),
};

const READ_ONLY: Setting = Setting {
    field: &["readOnlyPort"],
    flag: "read-only-port",
    config_default: "0",
    flag_default: "10255",
};

fn read_only_port(st: &Settings<'_>, out: &mut Findings) {
    let (v, src) = st.get(&READ_ONLY);
    match v.as_i64() {
        Some(0) => {}
        Some(p) => {
            let name = st.name(&READ_ONLY, &src);
            out.push((src, format!(
                "CIS 4.2.4: {name} is {p}: pods, specs and node metrics are served on it without authentication")));
        }
        None => out.push((src, "CIS 4.2.4: the read-only port is not a number".into())),
    }
}

pub static READ_ONLY_PORT: Rule = cis_rule! {
    name: "kubelet-read-only-port",
    severity: High,
    summary: "The kubelet serves its unauthenticated read-only port (CIS 4.2.4)",
    remediation: "Set `readOnlyPort: 0` (or `--read-only-port=0`).",
    docs: r#"## What it does
CIS 4.2.4. Flags a kubelet whose effective `readOnlyPort` is not 0 (the flag
defaults to 10255 without a configuration file; the file defaults to 0).

## Why it matters
The read-only port serves `/pods` and `/spec` with no authentication at all:
every pod's full spec, environment variables included.

## Example
```yaml
readOnlyPort: 10255   # flagged
```

## How to fix
`readOnlyPort: 0`; scrape metrics from the authenticated port 10250.
"#,
    references: &[CIS_REF, KUBELET_REF],
    check: |ctx| object_check(ctx, read_only_port),
};

const STREAMING: Setting = Setting {
    field: &["streamingConnectionIdleTimeout"],
    flag: "streaming-connection-idle-timeout",
    config_default: "4h0m0s",
    flag_default: "4h0m0s",
};

/// Whether a Go duration is zero (every number in it is 0).
fn is_zero_duration(d: &str) -> bool {
    !d.is_empty() && !d.chars().any(|c| ('1'..='9').contains(&c))
}

fn streaming_timeout(st: &Settings<'_>, out: &mut Findings) {
    let (v, src) = st.get(&STREAMING);
    // A zero duration in the file is defaulted to 4h when the kubelet loads
    // it; only a flag sets it to zero.
    if matches!(src, Source::Flag(_)) && v.text().is_some_and(|t| is_zero_duration(&t)) {
        let name = st.name(&STREAMING, &src);
        out.push((
            src,
            format!(
            "CIS 4.2.5: {name} is 0: idle exec, attach and port-forward streams are never closed"),
        ));
    }
}

pub static STREAMING_TIMEOUT: Rule = cis_rule! {
    name: "kubelet-streaming-timeout",
    severity: Low,
    summary: "Idle streaming connections to the kubelet never time out (CIS 4.2.5)",
    remediation: "Set `streamingConnectionIdleTimeout` to a non-zero duration such as `5m`.",
    docs: r#"## What it does
CIS 4.2.5. Flags a kubelet started with `--streaming-connection-idle-timeout=0`.
A zero `streamingConnectionIdleTimeout` in the configuration file is not
flagged: the kubelet replaces zero durations in the file with their defaults
(4h here) when it loads it, which is why kubeadm's generated file says `0s`.

## Why it matters
Forgotten `exec` and `port-forward` sessions stay open forever, holding
resources and leaving an authenticated channel into a container.

## Example
```
KUBELET_KUBEADM_ARGS="--streaming-connection-idle-timeout=0"   # flagged
```

## How to fix
`streamingConnectionIdleTimeout: 5m` (the default is 4h).
"#,
    references: &[CIS_REF, KUBELET_REF],
    check: |ctx| object_check(ctx, streaming_timeout),
};

const IPTABLES: Setting = Setting {
    field: &["makeIPTablesUtilChains"],
    flag: "make-iptables-util-chains",
    config_default: "true",
    flag_default: "true",
};

fn iptables_chains(st: &Settings<'_>, out: &mut Findings) {
    want_bool(st, out, "4.2.6", &IPTABLES, true,
        "the kubelet does not maintain its iptables chains, so they drift from the pods' networking needs");
}

pub static IPTABLES_CHAINS: Rule = cis_rule! {
    name: "kubelet-iptables-chains",
    severity: Low,
    summary: "The kubelet does not manage its iptables utility chains (CIS 4.2.6)",
    remediation: "Set `makeIPTablesUtilChains: true` (the default).",
    docs: r#"## What it does
CIS 4.2.6. Flags a kubelet with `makeIPTablesUtilChains: false` (or
`--make-iptables-util-chains=false`).

## Why it matters
The kubelet then leaves the iptables rules it relies on to be managed by
hand, where they fall out of step with the pods' networking.

## Example
```yaml
makeIPTablesUtilChains: false   # flagged
```

## How to fix
Remove the setting or set it to `true`.
"#,
    references: &[CIS_REF, KUBELET_REF],
    check: |ctx| object_check(ctx, iptables_chains),
};

const TLS_CERT: Setting = Setting {
    field: &["tlsCertFile"],
    flag: "tls-cert-file",
    config_default: "",
    flag_default: "",
};
const TLS_KEY: Setting = Setting {
    field: &["tlsPrivateKeyFile"],
    flag: "tls-private-key-file",
    config_default: "",
    flag_default: "",
};
const SERVER_BOOTSTRAP: Setting = Setting {
    field: &["serverTLSBootstrap"],
    flag: "rotate-server-certificates",
    config_default: "false",
    flag_default: "false",
};

fn serving_certificate(st: &Settings<'_>, out: &mut Findings) {
    let set = |s: &Setting| st.get(s).0.text().is_some_and(|t| !t.is_empty());
    if set(&TLS_CERT) && set(&TLS_KEY) {
        return;
    }
    if st.get(&SERVER_BOOTSTRAP).0.as_bool() == Some(true) {
        return;
    }
    let (_, src) = st.get(&TLS_CERT);
    out.push((src, "CIS 4.2.9: neither `tlsCertFile`/`tlsPrivateKeyFile` nor `serverTLSBootstrap: true`: the kubelet serves a self-signed certificate that the API server cannot verify".into()));
}

pub static SERVING_CERTIFICATE: Rule = cis_rule! {
    name: "kubelet-serving-certificate",
    severity: Medium,
    summary: "The kubelet serves a self-signed certificate (CIS 4.2.9)",
    remediation: "Set `serverTLSBootstrap: true` (certificates from the cluster CA) or `tlsCertFile` and `tlsPrivateKeyFile`.",
    docs: r#"## What it does
CIS 4.2.9. Flags a kubelet with neither `tlsCertFile` and `tlsPrivateKeyFile`
(`--tls-cert-file`, `--tls-private-key-file`) nor `serverTLSBootstrap: true`
(`--rotate-server-certificates`). The benchmark lists it as manual because
either way of providing a certificate is acceptable; kubefort accepts both.

## Why it matters
With a self-signed serving certificate the API server cannot verify it is
talking to the real kubelet (`--kubelet-certificate-authority` cannot be
used), so exec and logs traffic can be intercepted.

## Example
```yaml
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration   # neither set: flagged
```

## How to fix
`serverTLSBootstrap: true`, and approve the kubelets' serving CSRs (or run
an approver).
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-tls-bootstrapping/"],
    check: |ctx| object_check(ctx, serving_certificate),
};

const ROTATE: Setting = Setting {
    field: &["rotateCertificates"],
    flag: "rotate-certificates",
    config_default: "false",
    flag_default: "false",
};

fn rotate_certificates(st: &Settings<'_>, out: &mut Findings) {
    want_bool(
        st,
        out,
        "4.2.10",
        &ROTATE,
        true,
        "the kubelet's client certificate is not renewed and the node drops out when it expires",
    );
}

pub static ROTATE_CERTIFICATES: Rule = cis_rule! {
    name: "kubelet-rotate-certificates",
    severity: Medium,
    summary: "The kubelet does not rotate its client certificate (CIS 4.2.10)",
    remediation: "Set `rotateCertificates: true` (or `--rotate-certificates`).",
    docs: r#"## What it does
CIS 4.2.10. Flags a kubelet whose effective `rotateCertificates` is `false`,
including when it is absent (the default is `false`; kubeadm writes `true`).

## Why it matters
Without rotation the client certificate is long-lived and, when it expires,
the node stops reporting; long-lived credentials on a node are what an
attacker copies.

## Example
```yaml
rotateCertificates: false   # flagged
```

## How to fix
`rotateCertificates: true`.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/tasks/tls/certificate-rotation/"],
    check: |ctx| object_check(ctx, rotate_certificates),
};

fn rotate_server_certificates(st: &Settings<'_>, out: &mut Findings) {
    if let Some((false, src)) = st.feature_gate("RotateKubeletServerCertificate") {
        out.push((src, "CIS 4.2.11: the RotateKubeletServerCertificate feature gate is off: the kubelet's serving certificate is not requested from or renewed by the cluster CA".into()));
    }
}

pub static ROTATE_SERVER_CERTIFICATES: Rule = cis_rule! {
    name: "kubelet-rotate-server-certificates",
    severity: Low,
    summary: "The kubelet's RotateKubeletServerCertificate feature gate is off (CIS 4.2.11)",
    remediation: "Remove `RotateKubeletServerCertificate: false` from `featureGates` (or `--feature-gates`).",
    docs: r#"## What it does
CIS 4.2.11. Flags `featureGates.RotateKubeletServerCertificate: false` in the
configuration file or `RotateKubeletServerCertificate=false` in
`--feature-gates` (the flag wins over the file, as the kubelet merges them).

## Why it matters
The gate lets the kubelet obtain and renew its serving certificate from the
cluster CA.

## Example
```yaml
featureGates:
  RotateKubeletServerCertificate: false   # flagged
```

## How to fix
Remove the entry; the gate is on by default.
"#,
    references: &[CIS_REF, KUBELET_REF],
    check: |ctx| object_check(ctx, rotate_server_certificates),
};

/// Cipher suites CIS 4.2.12 accepts for the kubelet.
const KUBELET_STRONG_CIPHERS: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

const CIPHERS: Setting = Setting {
    field: &["tlsCipherSuites"],
    flag: "tls-cipher-suites",
    config_default: "",
    flag_default: "",
};
const MIN_VERSION: Setting = Setting {
    field: &["tlsMinVersion"],
    flag: "tls-min-version",
    config_default: "",
    flag_default: "",
};

fn tls_cipher_suites(st: &Settings<'_>, out: &mut Findings) {
    let (v, src) = st.get(&CIPHERS);
    let weak: Vec<String> = v
        .as_list()
        .into_iter()
        .filter(|c| !KUBELET_STRONG_CIPHERS.contains(&c.as_str()))
        .collect();
    if !weak.is_empty() {
        out.push((
            src,
            format!(
                "CIS 4.2.12: weak cipher suites allowed: {}",
                weak.join(", ")
            ),
        ));
    }
    let (v, src) = st.get(&MIN_VERSION);
    if let Some(t) = v
        .text()
        .filter(|t| t == "VersionTLS10" || t == "VersionTLS11")
    {
        out.push((src, format!("CIS 4.2.12: TLS minimum version {t} allows protocol versions with known weaknesses")));
    }
}

pub static TLS_CIPHER_SUITES: Rule = cis_rule! {
    name: "kubelet-tls-cipher-suites",
    severity: Low,
    summary: "The kubelet allows weak TLS cipher suites or versions (CIS 4.2.12)",
    remediation: "Limit `tlsCipherSuites` to ECDHE suites with AES-GCM or ChaCha20-Poly1305, and keep `tlsMinVersion` at TLS 1.2 or above.",
    docs: r#"## What it does
CIS 4.2.12. Flags `tlsCipherSuites` (or `--tls-cipher-suites`) entries
outside the benchmark's list of AEAD suites, and `tlsMinVersion` below
TLS 1.2. An unset list (Go's defaults) is not flagged.

## Why it matters
CBC, 3DES and RC4 suites and TLS 1.0/1.1 have practical attacks on the
confidentiality of exec and logs traffic.

## Example
```yaml
tlsCipherSuites: [TLS_RSA_WITH_3DES_EDE_CBC_SHA]   # flagged
```

## How to fix
Use only the ECDHE AES-GCM and ChaCha20-Poly1305 suites.
"#,
    references: &[CIS_REF, KUBELET_REF],
    check: |ctx| object_check(ctx, tls_cipher_suites),
};

const PIDS: Setting = Setting {
    field: &["podPidsLimit"],
    flag: "pod-max-pids",
    config_default: "-1",
    flag_default: "-1",
};

fn pod_pids_limit(st: &Settings<'_>, out: &mut Findings) {
    let (v, src) = st.get(&PIDS);
    if v.as_i64().is_none_or(|n| n <= 0) {
        let name = st.name(&PIDS, &src);
        out.push((src, format!("CIS 4.2.13: {name} sets no limit: one pod can exhaust the node's process IDs (fork bomb)")));
    }
}

pub static POD_PIDS_LIMIT: Rule = cis_rule! {
    name: "kubelet-pod-pids-limit",
    severity: Low,
    summary: "Pods have no process-ID limit (CIS 4.2.13)",
    remediation: "Set `podPidsLimit` (or `--pod-max-pids`) to a bound such as 4096.",
    docs: r#"## What it does
CIS 4.2.13. Flags a kubelet whose `podPidsLimit` (`--pod-max-pids`) is
absent, 0 or negative (the default is -1, no limit).

## Why it matters
A fork bomb in one pod exhausts the node's PIDs and takes down every other
pod and the kubelet itself.

## Example
```yaml
podPidsLimit: -1   # flagged
```

## How to fix
`podPidsLimit: 4096` or a bound that fits the workloads.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/concepts/policy/pid-limiting/"],
    check: |ctx| object_check(ctx, pod_pids_limit),
};

const SECCOMP: Setting = Setting {
    field: &["seccompDefault"],
    flag: "seccomp-default",
    config_default: "false",
    flag_default: "false",
};

fn seccomp_default(st: &Settings<'_>, out: &mut Findings) {
    want_bool(
        st,
        out,
        "4.2.14",
        &SECCOMP,
        true,
        "containers without a seccomp profile run unconfined instead of with RuntimeDefault",
    );
}

pub static SECCOMP_DEFAULT: Rule = cis_rule! {
    name: "kubelet-seccomp-default",
    severity: Low,
    summary: "The kubelet does not apply the RuntimeDefault seccomp profile by default (CIS 4.2.14)",
    remediation: "Set `seccompDefault: true` (or `--seccomp-default`).",
    docs: r#"## What it does
CIS 4.2.14. Flags a kubelet whose `seccompDefault` is not `true` (the
default is `false`).

## Why it matters
Without it, every container that does not ask for a profile runs without
seccomp and can call every system call, including those behind most
container escapes.

## Example
```yaml
seccompDefault: false   # flagged
```

## How to fix
`seccompDefault: true`, after checking that workloads run under the
runtime's default profile.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/tutorials/security/seccomp/#enable-the-use-of-runtimedefault-as-the-default-seccomp-profile-for-all-workloads"],
    check: |ctx| object_check(ctx, seccomp_default),
};

const PROTECT: Setting = Setting {
    field: &["protectKernelDefaults"],
    flag: "protect-kernel-defaults",
    config_default: "false",
    flag_default: "false",
};

fn protect_kernel_defaults(st: &Settings<'_>, out: &mut Findings) {
    want_bool(st, out, "4.2.6 (v1.8)", &PROTECT, true,
        "the kubelet silently changes kernel settings it disagrees with instead of refusing to start");
}

pub static PROTECT_KERNEL_DEFAULTS: Rule = cis_rule! {
    name: "kubelet-protect-kernel-defaults",
    severity: Low,
    summary: "The kubelet may change kernel tunables (CIS v1.8 4.2.6, not in v1.12)",
    remediation: "Set `protectKernelDefaults: true` after setting the kernel parameters the kubelet expects.",
    docs: r#"## What it does
Flags a kubelet whose `protectKernelDefaults` (`--protect-kernel-defaults`)
is not `true`. This was CIS 4.2.6 up to benchmark v1.8; v1.12 dropped it.
Off by default in kubefort: select it by name or with `--select cis`.

## Why it matters
With it the kubelet refuses to start when kernel tunables differ from what it
needs, instead of changing them, so hardened sysctls are not silently undone.

## Example
```yaml
protectKernelDefaults: false   # flagged
```

## How to fix
Set the sysctls the kubelet expects (`vm.overcommit_memory=1`,
`kernel.panic=10`, `kernel.panic_on_oops=1`), then `protectKernelDefaults: true`.
"#,
    references: &[CIS_REF, KUBELET_REF],
    check: |ctx| object_check(ctx, protect_kernel_defaults),
    default_enabled: false,
};

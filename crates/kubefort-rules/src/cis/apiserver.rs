//! kube-apiserver command-line checks (CIS 1.2.x and 3.2.1).

use kubefort_core::{Rule, Severity};

use super::flags::{CommandLine, Component};
use super::{cis_rule, each_command_line, require, require_bool, Out, CIS_REF};

const APISERVER_REF: &str =
    "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/";

fn run(ctx: &mut kubefort_core::ObjectCtx<'_>, f: fn(&CommandLine, &mut Out)) {
    each_command_line(ctx, Component::ApiServer, f);
}

pub static ANONYMOUS_AUTH: Rule = cis_rule! {
    name: "apiserver-anonymous-auth",
    severity: Medium,
    summary: "The API server accepts anonymous requests (CIS 1.2.1)",
    remediation: "Set `--anonymous-auth=false` on kube-apiserver, or restrict anonymous access to health endpoints in an AuthenticationConfiguration.",
    docs: r#"## What it does
CIS 1.2.1. Flags kube-apiserver containers that do not set `--anonymous-auth=false`
(the default is `true`). When the API server reads a structured
authentication file (`--authentication-config`) and the flag is absent, anonymous
access is configured in that file, which `authn-anonymous-unrestricted` checks.

## Why it matters
Anonymous requests are served as the user `system:anonymous` in the group
`system:unauthenticated`. Any RBAC binding that names them, by mistake or by an
old default, is open to the whole network that reaches the API server.

## Example
```yaml
spec:
  containers:
  - name: kube-apiserver
    command:
    - kube-apiserver
    - --authorization-mode=Node,RBAC   # no --anonymous-auth=false: flagged
```

## How to fix
Add `--anonymous-auth=false`. Load balancers that probe `/livez` or `/readyz`
then need credentials, or an AuthenticationConfiguration whose `anonymous`
section allows only those paths.
"#,
    references: &[CIS_REF, APISERVER_REF],
    check: |ctx| {
        run(ctx, |cl, out| {
            if cl.get("anonymous-auth").is_none() && cl.get("authentication-config").is_some() {
                return;
            }
            require_bool(cl, out, "1.2.1", "anonymous-auth", false, true,
                "unauthenticated requests reach the API server as system:anonymous");
        })
    },
};

pub static TOKEN_AUTH_FILE: Rule = cis_rule! {
    name: "apiserver-token-auth-file",
    severity: High,
    summary: "The API server authenticates static tokens from a file (CIS 1.2.2)",
    remediation: "Remove `--token-auth-file` and use client certificates, OIDC or webhook authentication.",
    docs: r#"## What it does
CIS 1.2.2. Flags kube-apiserver containers with `--token-auth-file`.

## Why it matters
Static tokens live in clear text on the control-plane node, never expire, and
can only be changed by restarting the API server. A leaked token is a
permanent credential.

## Example
```yaml
    - --token-auth-file=/etc/kubernetes/tokens.csv   # flagged
```

## How to fix
Remove the flag; authenticate people with OIDC and workloads with
ServiceAccount tokens.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file"],
    check: |ctx| {
        run(ctx, |cl, out| {
            if let Some(f) = cl.get("token-auth-file") {
                out.push(&f.path, format!(
                    "CIS 1.2.2: `--token-auth-file={}` authenticates static, never-expiring tokens stored in clear text",
                    f.text()
                ));
            }
        })
    },
};

pub static KUBELET_TLS: Rule = cis_rule! {
    name: "apiserver-kubelet-tls",
    severity: High,
    summary: "The API server does not authenticate to kubelets or verify their certificates (CIS 1.2.4, 1.2.5)",
    remediation: "Set `--kubelet-client-certificate`, `--kubelet-client-key` and `--kubelet-certificate-authority` on kube-apiserver.",
    docs: r#"## What it does
CIS 1.2.4 and 1.2.5. Flags kube-apiserver containers without
`--kubelet-client-certificate` and `--kubelet-client-key` (1.2.4) or without
`--kubelet-certificate-authority` (1.2.5).

## Why it matters
The API server connects to kubelets for `exec`, `attach`, `logs` and
`port-forward`. Without a client certificate the kubelet cannot authorize it;
without a certificate authority the API server accepts any serving
certificate, so anyone who can intercept node traffic can read and inject
into exec sessions.

## Example
```yaml
    - --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt
    - --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key
    # no --kubelet-certificate-authority: flagged (1.2.5)
```

## How to fix
Give the kubelets serving certificates signed by the cluster CA
(`serverTLSBootstrap: true`) and set `--kubelet-certificate-authority` to that CA.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/concepts/security/controlling-access/"],
    check: |ctx| {
        run(ctx, |cl, out| {
            require(cl, out, "1.2.4", "kubelet-client-certificate",
                "the API server does not authenticate to kubelets with a client certificate");
            require(cl, out, "1.2.4", "kubelet-client-key",
                "the API server does not authenticate to kubelets with a client certificate");
            require(cl, out, "1.2.5", "kubelet-certificate-authority",
                "the API server does not verify the kubelets' serving certificates");
        })
    },
};

pub static AUTHORIZATION_MODE: Rule = cis_rule! {
    name: "apiserver-authorization-mode",
    severity: Critical,
    summary: "The API server allows every request, or lacks the Node or RBAC authorizer (CIS 1.2.6-1.2.8)",
    remediation: "Set `--authorization-mode=Node,RBAC` (no `AlwaysAllow`).",
    docs: r#"## What it does
CIS 1.2.6, 1.2.7 and 1.2.8. Reads `--authorization-mode` (a list; repeated
flags append) and flags `AlwaysAllow` (critical; also when the flag is absent,
since `AlwaysAllow` is its default), and a mode list without `Node` or without
`RBAC` (medium). When the API server reads a structured authorization file
(`--authorization-config`), the flag cannot be used and the file is checked
instead by `authz-config-authorizers`.

## Why it matters
`AlwaysAllow` authorizes every authenticated (and, with anonymous auth, every
unauthenticated) request: any credential is cluster-admin. Without `Node`, a
kubelet is authorized only by RBAC and can read every Secret its role allows,
not only those of its own pods.

## Example
```yaml
    - --authorization-mode=AlwaysAllow   # flagged
```

## How to fix
Use `--authorization-mode=Node,RBAC`.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/access-authn-authz/authorization/"],
    check: |ctx| {
        run(ctx, |cl, out| {
            if cl.get("authorization-mode").is_none() && cl.get("authorization-config").is_some() {
                return;
            }
            match cl.list("authorization-mode") {
                None => out.push(&cl.anchor, format!(
                    "CIS 1.2.6: {} does not set `--authorization-mode`, which defaults to AlwaysAllow: every request is authorized",
                    cl.described
                )),
                Some((modes, f)) => {
                    if modes.contains(&"AlwaysAllow") {
                        out.push(&f.path, "CIS 1.2.6: `--authorization-mode` includes AlwaysAllow: every request is authorized".into());
                    }
                    if !modes.contains(&"Node") {
                        out.push_with(Severity::Medium, &f.path, format!(
                            "CIS 1.2.7: `--authorization-mode={}` does not include Node: kubelets are not limited to their own pods' objects",
                            modes.join(",")));
                    }
                    if !modes.contains(&"RBAC") {
                        out.push_with(Severity::Medium, &f.path, format!(
                            "CIS 1.2.8: `--authorization-mode={}` does not include RBAC",
                            modes.join(",")));
                    }
                }
            }
        })
    },
};

pub static ADMISSION_PLUGINS: Rule = cis_rule! {
    name: "apiserver-admission-plugins",
    severity: High,
    summary: "Security admission plugins are off, or AlwaysAdmit is on (CIS 1.2.10, 1.2.12-1.2.14)",
    remediation: "Enable NodeRestriction, keep ServiceAccount, NamespaceLifecycle and PodSecurity enabled, and never enable AlwaysAdmit.",
    docs: r#"## What it does
Reads `--enable-admission-plugins` and `--disable-admission-plugins` (lists;
repeated flags append) and flags:
- CIS 1.2.10: `AlwaysAdmit` enabled;
- CIS 1.2.12: `ServiceAccount` disabled;
- CIS 1.2.13: `NamespaceLifecycle` disabled;
- CIS 1.2.14: `NodeRestriction` not enabled (it is not on by default), or disabled;
- CIS 5.2.1: `PodSecurity` disabled (the built-in policy control mechanism).

## Why it matters
Without `NodeRestriction` a kubelet's credentials can modify any Node and any
pod, so one compromised node takes over the others. Without `PodSecurity` no
built-in control stops privileged pods. `AlwaysAdmit` disables admission control.

## Example
```yaml
    - --enable-admission-plugins=AlwaysAdmit   # flagged twice: AlwaysAdmit, no NodeRestriction
```

## How to fix
`--enable-admission-plugins=NodeRestriction` and no `--disable-admission-plugins`
entry for the default plugins.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/"],
    check: |ctx| {
        run(ctx, |cl, out| {
            let enabled = cl.list("enable-admission-plugins");
            let disabled = cl.list("disable-admission-plugins");
            let on = |p: &str| enabled.as_ref().is_some_and(|(v, _)| v.contains(&p));
            let off = |p: &str| disabled.as_ref().is_some_and(|(v, _)| v.contains(&p));
            if let (true, Some((_, f))) = (on("AlwaysAdmit"), &enabled) {
                out.push_with(Severity::Critical, &f.path,
                    "CIS 1.2.10: the AlwaysAdmit admission plugin is enabled: it admits every request".into());
            }
            for (id, plugin, why) in [
                ("1.2.12", "ServiceAccount", "pods are not given their ServiceAccount and its token mounts are not checked"),
                ("1.2.13", "NamespaceLifecycle", "objects can be created in namespaces being deleted or that do not exist"),
                ("5.2.1", "PodSecurity", "the Pod Security Standards are not enforced"),
            ] {
                if let (true, Some((_, f))) = (off(plugin), &disabled) {
                    out.push(&f.path, format!("CIS {id}: the {plugin} admission plugin is disabled: {why}"));
                }
            }
            let why = "a kubelet's credentials can modify every Node and pod, not only its own";
            match (&enabled, &disabled) {
                (_, Some((_, f))) if off("NodeRestriction") => out.push(&f.path,
                    format!("CIS 1.2.14: the NodeRestriction admission plugin is disabled: {why}")),
                (Some((_, f)), _) if !on("NodeRestriction") => out.push(&f.path,
                    format!("CIS 1.2.14: `--enable-admission-plugins` does not include NodeRestriction: {why}")),
                (None, _) => out.push(&cl.anchor,
                    format!("CIS 1.2.14: {} does not enable the NodeRestriction admission plugin: {why}", cl.described)),
                _ => {}
            }
        })
    },
};

pub static OPTIONAL_ADMISSION_PLUGINS: Rule = cis_rule! {
    name: "apiserver-optional-admission-plugins",
    severity: Info,
    summary: "Admission plugins the benchmark recommends case by case are off (CIS 1.2.3, 1.2.9, 1.2.11)",
    remediation: "Consider enabling DenyServiceExternalIPs, EventRateLimit and AlwaysPullImages.",
    docs: r#"## What it does
Manual CIS checks made visible: reports kube-apiserver containers whose
`--enable-admission-plugins` lacks `DenyServiceExternalIPs` (1.2.3),
`EventRateLimit` (1.2.9) or `AlwaysPullImages` (1.2.11). Informational and
not on by default: each plugin changes behaviour workloads may rely on.

## Why it matters
`externalIPs` on a Service lets its author intercept traffic to any address
(CVE-2020-8554); unlimited events let one client flood etcd; without
`AlwaysPullImages` a pod can run a private image already pulled on its node
without the registry credentials.

## Example
```yaml
    - --enable-admission-plugins=NodeRestriction   # reported three times
```

## How to fix
Enable the plugins that fit the cluster; `EventRateLimit` also needs an
`--admission-control-config-file`.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/"],
    check: |ctx| {
        run(ctx, |cl, out| {
            let enabled = cl.list("enable-admission-plugins");
            let at = enabled.as_ref().map_or(&cl.anchor, |(_, f)| &f.path);
            for (id, plugin, why) in [
                ("1.2.3", "DenyServiceExternalIPs", "Services may set externalIPs and intercept traffic to those addresses"),
                ("1.2.9", "EventRateLimit", "event creation is not rate-limited"),
                ("1.2.11", "AlwaysPullImages", "pods may use private images already pulled on their node without credentials"),
            ] {
                if !enabled.as_ref().is_some_and(|(v, _)| v.contains(&plugin)) {
                    out.push(at, format!("CIS {id}: the {plugin} admission plugin is not enabled: {why}"));
                }
            }
        })
    },
    default_enabled: false,
};

pub static AUDIT_LOG: Rule = cis_rule! {
    name: "apiserver-audit-log",
    severity: Medium,
    summary: "API server audit logging is off or keeps too little (CIS 1.2.16-1.2.19, 3.2.1)",
    remediation: "Set `--audit-policy-file`, `--audit-log-path`, `--audit-log-maxage=30`, `--audit-log-maxbackup=10` and `--audit-log-maxsize=100` (or more).",
    docs: r#"## What it does
- CIS 3.2.1: no `--audit-policy-file` (without a policy nothing is audited);
- CIS 1.2.16: neither `--audit-log-path` nor an audit webhook
  (`--audit-webhook-config-file`);
- CIS 1.2.17-1.2.19: with a log file (not `-`), `--audit-log-maxage` below 30,
  `--audit-log-maxbackup` below 10, `--audit-log-maxsize` below 100 (each
  defaults to 0, which for age and backups means "keep everything" only when
  every limit is 0; the benchmark asks for explicit retention).

## Why it matters
The audit log is the only record of who did what through the API. Without it
an intrusion cannot be reconstructed; with too short a retention the
evidence is gone before it is looked for.

## Example
```yaml
    - --audit-log-path=/var/log/kubernetes/audit.log   # no policy, no retention: flagged
```

## How to fix
Write an audit policy (metadata level for Secrets), mount it and the log
directory, and set the flags above.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/"],
    check: |ctx| {
        run(ctx, |cl, out| {
            if cl.value("audit-policy-file").is_none_or(str::is_empty) {
                out.push(&cl.anchor, format!(
                    "CIS 3.2.1: {} does not set `--audit-policy-file`: no request is audited", cl.described));
            }
            let path = cl.get("audit-log-path").filter(|f| !f.text().is_empty());
            if path.is_none() && cl.value("audit-webhook-config-file").is_none_or(str::is_empty) {
                out.push(&cl.anchor, format!(
                    "CIS 1.2.16: {} sets neither `--audit-log-path` nor `--audit-webhook-config-file`: audit events are not written anywhere",
                    cl.described));
            }
            if path.is_some_and(|p| p.text() != "-") {
                for (id, flag, min) in [
                    ("1.2.17", "audit-log-maxage", 30),
                    ("1.2.18", "audit-log-maxbackup", 10),
                    ("1.2.19", "audit-log-maxsize", 100),
                ] {
                    match cl.get(flag) {
                        None => out.push(&cl.anchor, format!(
                            "CIS {id}: {} does not set `--{flag}` (at least {min})", cl.described)),
                        Some(f) => match f.text().parse::<i64>() {
                            Ok(v) if v >= min => {}
                            Ok(v) => out.push(&f.path, format!("CIS {id}: `--{flag}={v}` is below {min}")),
                            Err(_) => out.push(&f.path, format!(
                                "CIS {id}: `--{flag}={}` is not a number; kube-apiserver refuses to start with it", f.text())),
                        },
                    }
                }
            }
        })
    },
};

pub static SERVICE_ACCOUNT_TOKENS: Rule = cis_rule! {
    name: "apiserver-service-account-tokens",
    severity: Medium,
    summary: "ServiceAccount tokens are not checked against etcd, have no verification key, or have their expiry extended (CIS 1.2.21, 1.2.22, 1.2.30)",
    remediation: "Keep `--service-account-lookup` true, set `--service-account-key-file`, and set `--service-account-extend-token-expiration=false`.",
    docs: r#"## What it does
- CIS 1.2.21: `--service-account-lookup=false` (default `true`);
- CIS 1.2.22: no `--service-account-key-file`;
- CIS 1.2.30: `--service-account-extend-token-expiration` not set to `false`
  (default `true`; low severity).

## Why it matters
Without lookup, a token stays valid after its ServiceAccount or Secret is
deleted. Without an explicit key file, tokens are verified with the serving
key, which cannot be rotated separately. With extended expiration, projected
tokens meant to live an hour are honoured for a year.

## Example
```yaml
    - --service-account-lookup=false   # flagged
```

## How to fix
Remove `--service-account-lookup=false`, point `--service-account-key-file` at
the public half of `--service-account-signing-key-file`, and add
`--service-account-extend-token-expiration=false`.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"],
    check: |ctx| {
        run(ctx, |cl, out| {
            require_bool(cl, out, "1.2.21", "service-account-lookup", true, true,
                "tokens stay valid after their ServiceAccount is deleted");
            require(cl, out, "1.2.22", "service-account-key-file",
                "ServiceAccount tokens have no dedicated verification key");
            let mut low = Out::default();
            require_bool(cl, &mut low, "1.2.30", "service-account-extend-token-expiration", false, true,
                "projected ServiceAccount tokens are accepted for up to a year instead of their requested lifetime");
            for (_, path, msg) in low.items {
                out.push_with(Severity::Low, &path, msg);
            }
        })
    },
};

pub static ETCD_TLS: Rule = cis_rule! {
    name: "apiserver-etcd-tls",
    severity: High,
    summary: "The API server talks to etcd without TLS client authentication or server verification (CIS 1.2.23, 1.2.26)",
    remediation: "Set `--etcd-certfile`, `--etcd-keyfile` and `--etcd-cafile`, and use `https://` etcd URLs.",
    docs: r#"## What it does
- CIS 1.2.23: no `--etcd-certfile` or `--etcd-keyfile`;
- CIS 1.2.26: no `--etcd-cafile`;
- an `--etcd-servers` URL with `http://` (no TLS at all).

## Why it matters
etcd holds every Secret of the cluster. If the API server does not
authenticate to it, etcd must accept unauthenticated clients; if it does not
verify etcd's certificate, whoever impersonates etcd receives every write.

## Example
```yaml
    - --etcd-servers=http://127.0.0.1:2379   # flagged
```

## How to fix
Use the `apiserver-etcd-client` certificate and the etcd CA that kubeadm
generates, and `https://` URLs.
"#,
    references: &[CIS_REF, "https://etcd.io/docs/latest/op-guide/security/"],
    check: |ctx| {
        run(ctx, |cl, out| {
            require(cl, out, "1.2.23", "etcd-certfile", "the API server does not authenticate to etcd");
            require(cl, out, "1.2.23", "etcd-keyfile", "the API server does not authenticate to etcd");
            require(cl, out, "1.2.26", "etcd-cafile", "the API server does not verify etcd's certificate");
            if let Some((servers, f)) = cl.list("etcd-servers") {
                for s in servers.iter().filter(|s| s.starts_with("http://")) {
                    out.push(&f.path, format!("CIS 1.2.23: etcd server {s} is reached without TLS"));
                }
            }
        })
    },
};

/// Cipher suites CIS 1.2.29 accepts for the API server.
const STRONG_CIPHERS: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

/// Report cipher suites outside `strong` and TLS versions below 1.2.
pub(crate) fn check_ciphers(cl: &CommandLine, out: &mut Out, id: &str, strong: &[&str]) {
    if let Some((suites, f)) = cl.list("tls-cipher-suites") {
        let weak: Vec<&str> = suites
            .iter()
            .copied()
            .filter(|s| !strong.contains(s))
            .collect();
        if !weak.is_empty() {
            out.push_with(
                Severity::Low,
                &f.path,
                format!(
                    "CIS {id}: `--tls-cipher-suites` allows weak cipher suites: {}",
                    weak.join(", ")
                ),
            );
        }
    }
    if let Some(f) = cl.get("tls-min-version") {
        if matches!(f.text(), "VersionTLS10" | "VersionTLS11") {
            out.push_with(
                Severity::Low,
                &f.path,
                format!(
                    "CIS {id}: `--tls-min-version={}` allows TLS versions with known weaknesses",
                    f.text()
                ),
            );
        }
    }
}

pub static TLS: Rule = cis_rule! {
    name: "apiserver-tls",
    severity: High,
    summary: "The API server has no serving certificate or client CA, or allows weak TLS (CIS 1.2.24, 1.2.25, 1.2.29)",
    remediation: "Set `--tls-cert-file`, `--tls-private-key-file` and `--client-ca-file`; limit `--tls-cipher-suites` to AEAD suites.",
    docs: r#"## What it does
- CIS 1.2.24: no `--tls-cert-file` or `--tls-private-key-file` (the API server
  then serves a self-signed certificate);
- CIS 1.2.25: no `--client-ca-file` (no client-certificate authentication);
- CIS 1.2.29 (low): `--tls-cipher-suites` with a suite outside the
  benchmark's list of AEAD suites, or `--tls-min-version` below TLS 1.2.

## Why it matters
A self-signed serving certificate trains clients to skip verification; CBC
and RC4 suites and TLS 1.0/1.1 have practical attacks.

## Example
```yaml
    - --tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA   # flagged
```

## How to fix
Use the certificates kubeadm generates, and
`--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,...`.
"#,
    references: &[CIS_REF, APISERVER_REF],
    check: |ctx| {
        run(ctx, |cl, out| {
            require(cl, out, "1.2.24", "tls-cert-file", "the API server serves a self-signed certificate");
            require(cl, out, "1.2.24", "tls-private-key-file", "the API server serves a self-signed certificate");
            require(cl, out, "1.2.25", "client-ca-file", "client certificates are not accepted, so components cannot authenticate with them");
            check_ciphers(cl, out, "1.2.29", STRONG_CIPHERS);
        })
    },
};

pub static ENCRYPTION_AT_REST: Rule = cis_rule! {
    name: "apiserver-encryption-at-rest",
    severity: High,
    summary: "The API server stores Secrets in etcd unencrypted (CIS 1.2.27)",
    remediation: "Write an EncryptionConfiguration (kms v2, aesgcm or secretbox for secrets) and set `--encryption-provider-config`.",
    docs: r#"## What it does
CIS 1.2.27. Flags kube-apiserver containers without
`--encryption-provider-config`. The file itself is checked by
`encryption-secrets-unencrypted` and `encryption-weak-provider`.

## Why it matters
Without it every Secret is written to etcd in plain text, and so into every
etcd backup and snapshot.

## Example
```yaml
    command:
    - kube-apiserver   # no --encryption-provider-config: flagged
```

## How to fix
Create an EncryptionConfiguration that encrypts `secrets` with a KMS v2
plugin (or `secretbox`/`aesgcm`), set `--encryption-provider-config`, then
rewrite the existing Secrets (`kubectl get secrets -A -o json | kubectl replace -f -`).
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"],
    check: |ctx| {
        run(ctx, |cl, out| {
            require(cl, out, "1.2.27", "encryption-provider-config", "Secrets are stored in etcd in plain text");
        })
    },
};

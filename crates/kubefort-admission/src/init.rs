//! `kubefort webhook init`: a CA and a serving certificate for the
//! webhook's Service, and the ValidatingWebhookConfiguration that trusts
//! that CA.

use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

/// Where the API server reaches the webhook, and how it treats it.
#[derive(Clone, Debug)]
pub struct WebhookSpec {
    /// Base name of the objects (`kubefort`).
    pub name: String,
    /// The namespace the webhook runs in (excluded from review).
    pub namespace: String,
    /// The webhook's Service name.
    pub service: String,
    /// The Service port.
    pub port: u16,
    /// `clientConfig.url` instead of the Service (a webhook outside the cluster).
    pub url: Option<String>,
    /// `Fail` or `Ignore` for namespaced objects.
    pub failure_policy: String,
    /// `timeoutSeconds` (1–30).
    pub timeout_seconds: u32,
    /// PEM of the CA that signed the serving certificate.
    pub ca_pem: String,
}

/// The generated certificates, PEM.
pub struct Certificates {
    pub ca_cert: String,
    pub ca_key: String,
    pub cert: String,
    pub key: String,
}

/// Civil date (year, month, day) `days` days after 1970-01-01.
fn civil(days: i64) -> (i32, u8, u8) {
    // Howard Hinnant's days_from_civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

fn validity(p: &mut CertificateParams, years: i32) {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 / 86_400)
        .unwrap_or(0);
    let (y, m, d) = civil(days - 1);
    p.not_before = date_time_ymd(y, m, d.min(28));
    p.not_after = date_time_ymd(y + years, m, d.min(28));
}

/// The DNS names the API server uses for a Service.
pub fn service_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
        format!("{service}.{namespace}"),
        service.to_string(),
    ]
}

/// A new CA (10 years) and a serving certificate (1 year) for `names`
/// (DNS names or IP addresses).
pub fn generate(names: &[String]) -> Result<Certificates, String> {
    let e = |what: &str, err: rcgen::Error| format!("generating the {what}: {err}");
    let ca_key = KeyPair::generate().map_err(|x| e("CA key", x))?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|x| e("CA", x))?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "kubefort-webhook-ca");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut ca, 10);
    let ca_cert = ca
        .self_signed(&ca_key)
        .map_err(|x| e("CA certificate", x))?;
    let ca_cert_pem = ca_cert.pem();
    let ca_key_pem = ca_key.serialize_pem();
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().map_err(|x| e("serving key", x))?;
    let mut p = CertificateParams::new(names.to_vec()).map_err(|x| e("serving certificate", x))?;
    p.distinguished_name.push(
        DnType::CommonName,
        names
            .first()
            .cloned()
            .unwrap_or_else(|| "kubefort-webhook".into()),
    );
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    validity(&mut p, 1);
    let cert = p
        .signed_by(&key, &issuer)
        .map_err(|x| e("serving certificate", x))?;
    Ok(Certificates {
        ca_cert: ca_cert_pem,
        ca_key: ca_key_pem,
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// Standard base64 (for `caBundle`).
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The resources kubefort's rules judge, namespaced: (API group, resources).
pub const NAMESPACED_RESOURCES: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "pods",
            "pods/ephemeralcontainers",
            "podtemplates",
            "replicationcontrollers",
            "services",
        ],
    ),
    (
        "apps",
        &["deployments", "replicasets", "statefulsets", "daemonsets"],
    ),
    ("batch", &["jobs", "cronjobs"]),
    ("networking.k8s.io", &["networkpolicies", "ingresses"]),
    ("rbac.authorization.k8s.io", &["roles", "rolebindings"]),
];

/// Cluster-scoped resources kubefort's rules judge.
pub const CLUSTER_RESOURCES: &[(&str, &[&str])] = &[
    ("", &["namespaces"]),
    (
        "rbac.authorization.k8s.io",
        &["clusterroles", "clusterrolebindings"],
    ),
];

fn rules_yaml(out: &mut String, resources: &[(&str, &[&str])], scope: &str) {
    out.push_str("    rules:\n");
    for (group, res) in resources {
        out.push_str(&format!(
            "      - apiGroups: [\"{group}\"]\n        apiVersions: [\"*\"]\n        operations: [\"CREATE\", \"UPDATE\"]\n        resources: [{}]\n        scope: \"{scope}\"\n",
            res.iter()
                .map(|r| format!("\"{r}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// The ValidatingWebhookConfiguration, YAML. Two webhooks: namespaced
/// objects with the chosen failure policy, and cluster-scoped objects
/// (Namespaces, ClusterRoles, ClusterRoleBindings) with `Ignore`, because
/// a namespaceSelector cannot exclude the control plane's own
/// cluster-scoped writes: with `Fail`, a webhook outage would block them.
pub fn webhook_configuration(s: &WebhookSpec) -> String {
    let client = match &s.url {
        Some(url) => format!(
            "    clientConfig:\n      url: \"{}/validate\"\n      caBundle: {}\n",
            url.trim_end_matches('/'),
            base64(s.ca_pem.as_bytes())
        ),
        None => format!(
            "    clientConfig:\n      service:\n        name: {}\n        namespace: {}\n        path: /validate\n        port: {}\n      caBundle: {}\n",
            s.service,
            s.namespace,
            s.port,
            base64(s.ca_pem.as_bytes())
        ),
    };
    let selector = format!(
        "    namespaceSelector:\n      matchExpressions:\n        - key: kubernetes.io/metadata.name\n          operator: NotIn\n          values: [\"kube-system\", \"{}\"]\n",
        s.namespace
    );
    let common = format!(
        "    admissionReviewVersions: [\"v1\"]\n    sideEffects: None\n    matchPolicy: Equivalent\n    timeoutSeconds: {}\n",
        s.timeout_seconds
    );
    let mut y = format!(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: {}\n  labels:\n    app.kubernetes.io/name: kubefort\n    app.kubernetes.io/component: webhook\nwebhooks:\n",
        s.name
    );
    y.push_str("  - name: workloads.webhook.kubefort.io\n");
    y.push_str(&client);
    y.push_str(&format!("    failurePolicy: {}\n", s.failure_policy));
    y.push_str(&common);
    y.push_str(&selector);
    rules_yaml(&mut y, NAMESPACED_RESOURCES, "Namespaced");
    y.push_str("  - name: cluster.webhook.kubefort.io\n");
    y.push_str(&client);
    y.push_str("    failurePolicy: Ignore\n");
    y.push_str(&common);
    y.push_str(&selector);
    rules_yaml(&mut y, CLUSTER_RESOURCES, "Cluster");
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::certified_key;
    use std::path::Path;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20_454), (2026, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
    }

    #[test]
    fn certificates_load_and_belong_together() {
        let c = generate(&service_names("kubefort-webhook", "kubefort")).unwrap();
        assert!(c.ca_cert.starts_with("-----BEGIN CERTIFICATE-----"));
        certified_key(
            c.cert.as_bytes(),
            c.key.as_bytes(),
            Path::new("tls.crt"),
            Path::new("tls.key"),
        )
        .unwrap();
        let other = generate(&["x".into()]).unwrap();
        let e = certified_key(
            c.cert.as_bytes(),
            other.key.as_bytes(),
            Path::new("tls.crt"),
            Path::new("tls.key"),
        )
        .unwrap_err();
        assert!(e.contains("do not belong together"), "{e}");
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}

#[cfg(test)]
mod chart {
    use super::*;

    /// The Helm chart's webhook configuration sends the same resources as
    /// the one `webhook init` prints.
    #[test]
    fn the_chart_sends_the_same_resources() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/helm/kubefort/templates/webhook.yaml"
        );
        let chart = std::fs::read_to_string(path).unwrap();
        let mut printed = String::new();
        rules_yaml(&mut printed, NAMESPACED_RESOURCES, "Namespaced");
        rules_yaml(&mut printed, CLUSTER_RESOURCES, "Cluster");
        let lines = |t: &str| -> Vec<String> {
            t.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("resources:") || l.starts_with("- apiGroups:"))
                .map(String::from)
                .collect()
        };
        assert_eq!(lines(&chart), lines(&printed));
    }
}

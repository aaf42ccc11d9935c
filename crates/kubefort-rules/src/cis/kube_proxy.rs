//! kube-proxy checks (CIS 4.3.1) over `KubeProxyConfiguration` objects and
//! kube-proxy command lines.

use kubefort_core::{FieldPath, Rule};

use super::flags::{self, Component};
use super::{cis_rule, is_kind, is_loopback, Out, CIS_REF};

/// Whether a metrics address (`host:port`, `host`, or a CIDR) is loopback only.
fn loopback_address(addr: &str) -> bool {
    if let Some((ip, _)) = addr.split_once('/') {
        return is_loopback(ip);
    }
    let host = match addr.rsplit_once(':') {
        Some((h, p))
            if !h.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && !addr.ends_with("::1") =>
        {
            h
        }
        _ => addr,
    };
    is_loopback(host)
}

pub static METRICS_BIND_ADDRESS: Rule = cis_rule! {
    name: "kube-proxy-metrics-bind-address",
    severity: Low,
    summary: "kube-proxy serves metrics on a non-loopback address (CIS 4.3.1)",
    remediation: "Set `metricsBindAddress: 127.0.0.1:10249` (or remove it: that is the default).",
    docs: r#"## What it does
CIS 4.3.1. Flags a `KubeProxyConfiguration` whose `metricsBindAddress` is not
a loopback address, and kube-proxy containers whose `--metrics-bind-address`
is not (the flag overrides the file). A `KubeProxyConfiguration` written in
a ConfigMap (kubeadm's `kube-system/kube-proxy`, key `config.conf`) is
checked too, reported at its data key. An empty or absent value is the
default, `127.0.0.1:10249`.

## Why it matters
The metrics endpoint has no authentication; bound to every interface it
tells anyone on the network about the node's services and traffic.

## Example
```yaml
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
metricsBindAddress: 0.0.0.0:10249   # flagged
```

## How to fix
Leave the default, and scrape through a local agent.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/"],
    check: |ctx| {
        if ctx.object.id.kind == "ConfigMap" && ctx.object.id.api_version == "v1" {
            let root = &ctx.object.root;
            for (key, cfg) in super::kubelet::embedded(root, "kubeproxy.config.k8s.io", "KubeProxyConfiguration") {
                if let Some(a) = cfg.str_at("metricsBindAddress") {
                    if !a.is_empty() && !loopback_address(a) {
                        let at = FieldPath::root().key("data").key(&key);
                        ctx.report(at.clone(), format!(
                            "CIS 4.3.1: metrics are served without authentication on {a} (metricsBindAddress in the KubeProxyConfiguration of {at})"));
                    }
                }
            }
            return;
        }
        if is_kind(ctx, &["kubeproxy.config.k8s.io"], "KubeProxyConfiguration") {
            if let Some(a) = ctx.object.root.str_at("metricsBindAddress") {
                if !a.is_empty() && !loopback_address(a) {
                    ctx.report(FieldPath::root().key("metricsBindAddress"), format!(
                        "CIS 4.3.1: metrics are served without authentication on {a}"));
                }
            }
            return;
        }
        let mut out = Out::default();
        for cl in flags::of_object(ctx).iter().filter(|c| c.component == Component::Proxy) {
            if let Some(f) = cl.get("metrics-bind-address") {
                if !f.text().is_empty() && !loopback_address(f.text()) {
                    out.push(&f.path, format!(
                        "CIS 4.3.1: `--metrics-bind-address={}`: metrics are served without authentication on it", f.text()));
                }
            }
        }
        out.emit(ctx);
    },
};

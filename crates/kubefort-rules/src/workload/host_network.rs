use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "host-network",
        severity: Severity::High,
        groups: &["security"],
        summary: "A pod uses the node's network namespace (`hostNetwork`)",
        remediation: "Remove `hostNetwork: true`; expose ports through a Service instead.",
        docs: DOCS,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    super::flag_pod_bool(
        ctx,
        "hostNetwork",
        "the pod shares the node's network namespace: it can bind host ports, reach services listening on the node's loopback and see the node's traffic, and NetworkPolicies do not apply to it",
    );
}

const DOCS: &str = r#"## What it does
Flags pod specs with `hostNetwork: true`.

## Why it matters
With the host's network namespace the pod's processes use the node's network
interfaces directly. They can bind any port on the node, reach services that
listen only on the node's loopback (the kubelet's read-only port, cloud
metadata proxies, local databases), observe the node's traffic, and bypass
NetworkPolicies, which do not apply to host-network pods. The Pod Security
Standards forbid it at the baseline level.

## Example
```yaml
spec:
  hostNetwork: true   # flagged
  containers:
  - name: app
    image: registry.example/app:1.4.2
```

## How to fix
Remove `hostNetwork: true` and expose the pod through a Service (or a
`hostPort` only if a node port is really needed). CNI plugins and node agents
that must use the host network belong in a dedicated namespace with an
explicit exemption.
"#;

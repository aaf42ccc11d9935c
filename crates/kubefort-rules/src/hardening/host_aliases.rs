use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "host-aliases",
        severity: Severity::Low,
        groups: &["hardening"],
        summary: "A pod overrides name resolution with `hostAliases` (opt-in)",
        remediation: "Resolve names through DNS (a Service, an ExternalName Service or CoreDNS configuration) instead of `hostAliases`.",
        docs: r#"## What it does
Flags pod specs with a non-empty `hostAliases` list. Off by default.

## Why it matters
`hostAliases` writes entries into the pod's `/etc/hosts`, bypassing
cluster DNS. It hides where traffic really goes from reviewers and from
DNS-based policies and monitoring, and it is a way to redirect a
well-known name (a registry, a cloud API, the API server) to an address of
one's choosing.

## Example
```yaml
spec:
  hostAliases:                   # flagged
  - ip: 10.0.0.5
    hostnames: [api.payments.example.com]
```

## How to fix
Publish the name in DNS: a Service, an ExternalName Service, or a CoreDNS
`hosts`/`rewrite` entry reviewed by the platform team.

Peers: kubesec HostAliases, Trivy KSV-0007.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/",
        ],
        default_enabled: false,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    for spec in ctx.pod_specs() {
        let Some(list) = spec.node.get("hostAliases").and_then(|n| n.as_seq()) else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        let names: Vec<&str> = list
            .iter()
            .filter_map(|a| a.get("hostnames").and_then(|h| h.as_seq()))
            .flatten()
            .filter_map(|h| h.as_str())
            .collect();
        ctx.report(
            spec.path.key("hostAliases"),
            format!(
                "the pod overrides /etc/hosts for {}",
                if names.is_empty() {
                    "no name".to_string()
                } else {
                    names.join(", ")
                }
            ),
        );
    }
}

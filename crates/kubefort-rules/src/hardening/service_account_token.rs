use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "service-account-token-automount",
        severity: Severity::Low,
        groups: &["hardening"],
        summary: "A pod leaves `automountServiceAccountToken` unset, so an API token is mounted into every container (opt-in)",
        remediation: "Set `automountServiceAccountToken: false` in the pod spec; pods that call the API server set it to `true` explicitly.",
        docs: r#"## What it does
Flags pod specs that do not set `automountServiceAccountToken`. An
explicit `true` is a decision and is not flagged; an explicit `false` is the
fix. The pod's field wins over the service account's, so setting it on the
pod is what makes the intent visible in the manifest. Off by default:
Pod Security `restricted` does not require it and the token is harmless
where the service account holds no permissions; teams that want every pod
to opt out select it (`--extend-select hardening`).

## Why it matters
Unless told otherwise, the kubelet mounts a token of the pod's service
account into every container at
`/var/run/secrets/kubernetes.io/serviceaccount/token`. Most applications
never call the API server; for them the token only serves whoever gets code
execution in the container, with all the RBAC the service account holds
(often more than intended: shared service accounts, `default` bindings).

## Example
```yaml
spec:
  automountServiceAccountToken: false   # fine
  containers:
  - name: app
    image: registry.example/app:1.0
```

## How to fix
Set `automountServiceAccountToken: false` on pods that do not talk to the
API server, and `true` on the ones that do (controllers, operators). The
`default` service account of each namespace can disable it too (see
`default-service-account-automount`).

Peers: kubesec AutomountServiceAccountToken, Polaris
automountServiceAccountToken, Checkov CKV_K8S_38, Trivy KSV-0036,
Kubescape C-0034.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
            "https://kubernetes.io/docs/concepts/security/service-accounts/",
        ],
        default_enabled: false,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    for spec in ctx.pod_specs() {
        if spec
            .node
            .get("automountServiceAccountToken")
            .is_some_and(|n| !n.is_null())
        {
            continue;
        }
        if spec.all_containers().is_empty() {
            continue;
        }
        let sa = spec
            .node
            .str_at("serviceAccountName")
            .filter(|s| !s.is_empty())
            .unwrap_or("default");
        ctx.report(
            spec.path.clone(),
            format!("the pod does not set automountServiceAccountToken, so a token of service account {sa:?} is mounted into its containers"),
        );
    }
}

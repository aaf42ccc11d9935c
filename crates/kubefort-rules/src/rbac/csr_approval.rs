use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_rbac::Request;

use super::{allowed_verbs, check_rules, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-csr-approval",
        severity: Severity::High,
        groups: &["rbac"],
        summary: "A ClusterRole approves CertificateSigningRequests or holds approve on signers",
        remediation: "Leave CSR approval to the controllers that need it, limited to their signers with resourceNames.",
        docs: r#"## What it does
Flags ClusterRole rule entries that allow `update`/`patch` on
`certificatesigningrequests/approval` or `approve` on `signers`. It is
critical when the role can also create CSRs and approve for the
`kubernetes.io/kube-apiserver-client` signer (or any signer); high otherwise.

## Why it matters
The `kube-apiserver-client` signer issues client certificates with whatever
user and groups the request names, `system:masters` included. Who can create
and approve such a request holds a superuser certificate that cannot be
revoked.

## Example
```yaml
kind: ClusterRole
rules:
  - apiGroups: [certificates.k8s.io]
    resources: [certificatesigningrequests/approval]
    verbs: [update]
  - apiGroups: [certificates.k8s.io]
    resources: [signers]
    verbs: [approve]        # flagged: every signer
```

## How to fix
Limit approval to the signers a controller serves:
```yaml
  - apiGroups: [certificates.k8s.io]
    resources: [signers]
    resourceNames: [example.com/my-signer]
    verbs: [approve]
```
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization",
            "https://attack.mitre.org/techniques/T1649/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    let cert = "certificates.k8s.io";
    check_rules(ctx, |rb, role, rule| {
        if !rb.is_cluster_role(role) {
            return None;
        }
        let approval = allowed_verbs(
            rule,
            &["update", "patch"],
            cert,
            "certificatesigningrequests",
            "approval",
        );
        let signers = allowed_verbs(rule, &["approve"], cert, "signers", "");
        if approval.is_none() && signers.is_none() {
            return None;
        }
        let m = &rb.model;
        let client_signer = ["kubernetes.io/kube-apiserver-client", "kubernetes.io/*"]
            .iter()
            .any(|n| {
                m.role_allows(
                    role,
                    &Request::resource("approve", cert, "signers").named(n),
                )
                .is_some()
            });
        let all = client_signer
            && m.role_allows(
                role,
                &Request::resource("create", cert, "certificatesigningrequests"),
            )
            .is_some()
            && ["update", "patch"].iter().any(|v| {
                m.role_allows(
                    role,
                    &Request::resource(v, cert, "certificatesigningrequests")
                        .with_subresource("approval")
                        .named("x"),
                )
                .is_some()
            });
        let what = match (approval, signers) {
            (Some(_), Some(_)) => "can approve CertificateSigningRequests and approve for signers",
            (Some(_), None) => "can approve CertificateSigningRequests",
            _ => "can approve for signers",
        };
        Some(if all {
            (
                Severity::Critical,
                format!("{what}; with create on CSRs and the kube-apiserver-client signer, it can issue itself a system:masters client certificate"),
            )
        } else {
            (Severity::High, what.to_string())
        })
    });
}

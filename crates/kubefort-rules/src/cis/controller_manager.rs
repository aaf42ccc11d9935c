//! kube-controller-manager command-line checks (CIS 1.3.x).

use kubefort_core::Rule;

use super::flags::Component;
use super::{cis_rule, each_command_line, require, require_bool, CIS_REF};

const CM_REF: &str =
    "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/";

pub static SERVICE_ACCOUNT_CREDENTIALS: Rule = cis_rule! {
    name: "controller-manager-service-account-credentials",
    severity: Medium,
    summary: "Controllers share the controller manager's own credentials (CIS 1.3.3)",
    remediation: "Set `--use-service-account-credentials=true` on kube-controller-manager.",
    docs: r#"## What it does
CIS 1.3.3. Flags kube-controller-manager containers without
`--use-service-account-credentials=true` (the default is `false`).

## Why it matters
With it, each controller runs with its own ServiceAccount and the narrow
`system:controller:*` role; without it every controller acts with the
controller manager's broad identity, so one abused controller can do what
all of them can.

## Example
```yaml
    command:
    - kube-controller-manager   # flag absent: flagged
```

## How to fix
Add `--use-service-account-credentials=true` (kubeadm sets it).
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#controller-roles"],
    check: |ctx| {
        each_command_line(ctx, Component::ControllerManager, |cl, out| {
            require_bool(cl, out, "1.3.3", "use-service-account-credentials", true, false,
                "every controller acts with the controller manager's own, broad credentials");
        })
    },
};

pub static SERVICE_ACCOUNT_KEYS: Rule = cis_rule! {
    name: "controller-manager-service-account-keys",
    severity: Medium,
    summary: "The controller manager has no ServiceAccount signing key or root CA file (CIS 1.3.4, 1.3.5)",
    remediation: "Set `--service-account-private-key-file` and `--root-ca-file` on kube-controller-manager.",
    docs: r#"## What it does
CIS 1.3.4: no `--service-account-private-key-file`; CIS 1.3.5: no `--root-ca-file`.

## Why it matters
Without the private key the controller manager cannot sign ServiceAccount
tokens that the API server's key file verifies, so keys cannot be rotated
independently; without the root CA file, pods are not given the CA bundle
to verify the API server and may skip verification.

## Example
```yaml
    command:
    - kube-controller-manager
    - --use-service-account-credentials=true   # no key or CA files: flagged twice
```

## How to fix
`--service-account-private-key-file=/etc/kubernetes/pki/sa.key` and
`--root-ca-file=/etc/kubernetes/pki/ca.crt`, as kubeadm sets them.
"#,
    references: &[CIS_REF, CM_REF],
    check: |ctx| {
        each_command_line(ctx, Component::ControllerManager, |cl, out| {
            require(cl, out, "1.3.4", "service-account-private-key-file",
                "ServiceAccount tokens are not signed with a dedicated key");
            require(cl, out, "1.3.5", "root-ca-file",
                "pods are not given the CA bundle to verify the API server");
        })
    },
};

pub static ROTATE_KUBELET_SERVER_CERTIFICATE: Rule = cis_rule! {
    name: "controller-manager-rotate-kubelet-server-certificate",
    severity: Low,
    summary: "The RotateKubeletServerCertificate feature gate is turned off (CIS 1.3.6)",
    remediation: "Remove `RotateKubeletServerCertificate=false` from `--feature-gates`.",
    docs: r#"## What it does
CIS 1.3.6. Reads `--feature-gates` (repeated flags merge; later keys win) on
kube-controller-manager and flags `RotateKubeletServerCertificate=false`.

## Why it matters
The gate lets kubelets obtain serving certificates from the cluster CA and
renew them; turned off, kubelets keep self-signed certificates that the API
server cannot verify.

## Example
```yaml
    - --feature-gates=RotateKubeletServerCertificate=false   # flagged
```

## How to fix
Remove the entry (the gate is on by default).
"#,
    references: &[CIS_REF, CM_REF],
    check: |ctx| {
        each_command_line(ctx, Component::ControllerManager, |cl, out| {
            if let Some((v, f)) = cl.bool_map("feature-gates").get("RotateKubeletServerCertificate") {
                if *v == Some(false) {
                    out.push(&f.path, "CIS 1.3.6: `--feature-gates` turns RotateKubeletServerCertificate off: kubelet serving certificates are not issued or rotated by the cluster CA".into());
                }
            }
        })
    },
};

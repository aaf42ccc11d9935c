use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::{images, parse_image};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "kubernetes-dashboard",
        severity: Severity::Low,
        groups: &["images"],
        summary: "The Kubernetes Dashboard is deployed (high with `--enable-skip-login` or `--enable-insecure-login`)",
        remediation: "Prefer `kubectl` or a dashboard behind the organisation's single sign-on; never enable skip-login; bind the dashboard's service account to no more than view.",
        docs: r#"## What it does
Flags containers running the Kubernetes Dashboard (`kubernetesui/dashboard`,
`kubernetesui/dashboard-api`, `kubernetesui/dashboard-web`, the legacy
`kubernetes-dashboard-amd64`). The finding is high when the container's
arguments include `--enable-skip-login` or `--enable-insecure-login`.

## Why it matters
The dashboard is a web front end to the API server with the permissions of
whoever logs in, or of its own service account when login is skipped. It
was the entry point of well-known cryptojacking breaches (Tesla, 2018):
exposed with skip-login and a cluster-admin service account, it is the
cluster.

## Example
```yaml
containers:
- name: dashboard
  image: kubernetesui/dashboard:v2.7.0
  args: ["--enable-skip-login"]      # flagged high
```

## How to fix
Reach the cluster through `kubectl` or an SSO-protected console. If the
dashboard stays, keep login mandatory, expose it only through
`kubectl proxy` or an authenticating proxy, and do not bind its service
account to more than `view`.

Peers: Checkov CKV_K8S_33; Kubescape C-0014 (dashboard access).
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/access-application-cluster/web-ui-dashboard/",
            "https://github.com/kubernetes/dashboard/blob/master/docs/common/arguments.md",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn is_dashboard(image: &str) -> bool {
    let q = parse_image(image).qualified();
    let last = q.rsplit('/').next().unwrap_or("");
    q.contains("/kubernetesui/dashboard") || last.starts_with("kubernetes-dashboard")
}

const UNSAFE: &[&str] = &["--enable-skip-login", "--enable-insecure-login"];

fn check(ctx: &mut ObjectCtx<'_>) {
    for (c, image) in images(ctx) {
        if !is_dashboard(image) {
            continue;
        }
        let mut flagged = false;
        for field in ["args", "command"] {
            let Some(list) = c.node.get(field).and_then(|a| a.as_seq()) else {
                continue;
            };
            for (i, a) in list.iter().enumerate() {
                let Some(s) = a.as_str() else { continue };
                let flag = s.split('=').next().unwrap_or("");
                let on = s.split_once('=').is_none_or(|(_, v)| v != "false");
                if UNSAFE.contains(&flag) && on {
                    flagged = true;
                    ctx.report_with(
                        Severity::High,
                        c.path.key(field).index(i),
                        format!("{} runs the Kubernetes Dashboard with {flag}", c.describe()),
                    );
                }
            }
        }
        if !flagged {
            ctx.report(
                c.path.key("image"),
                format!(
                    "{} runs the Kubernetes Dashboard ({image:?}), a web console to the API server",
                    c.describe()
                ),
            );
        }
    }
}

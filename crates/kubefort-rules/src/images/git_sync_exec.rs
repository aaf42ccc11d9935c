use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::{images, parse_image};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "git-sync-custom-git",
        severity: Severity::High,
        groups: &["images"],
        summary: "A git-sync container sets the git binary it runs (`GITSYNC_GIT`, `GIT_SYNC_GIT`, `--git`)",
        remediation: "Remove `GITSYNC_GIT`/`GIT_SYNC_GIT` and `--git`; git-sync's own git is the one to run.",
        docs: r#"## What it does
Flags containers running git-sync (`registry.k8s.io/git-sync/git-sync`,
`k8s.gcr.io/git-sync`, any `…/git-sync` image) that set the path of the git
executable through the `GITSYNC_GIT` or `GIT_SYNC_GIT` environment
variables or the `--git` flag.

## Why it matters
Whoever can set that value chooses the program git-sync executes, with the
container's identity and mounts. In Airflow and Argo deployments, where
users edit the sync settings, it is a code-injection path.

## Example
```yaml
containers:
- name: git-sync
  image: registry.k8s.io/git-sync/git-sync:v4.2.1
  env:
  - name: GITSYNC_GIT
    value: /tmp/evil            # flagged
```

## How to fix
Delete the setting; the image ships the git it supports.

Peers: Checkov CKV_K8S_159.
"#,
        references: &[
            "https://github.com/kubernetes/git-sync#parameters",
            "https://www.checkov.io/5.Policy%20Index/kubernetes.html",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    for (c, image) in images(ctx) {
        let repo = parse_image(image).qualified();
        if repo.rsplit('/').next() != Some("git-sync") {
            continue;
        }
        if let Some(env) = c.node.get("env").and_then(|e| e.as_seq()) {
            for (i, e) in env.iter().enumerate() {
                let name = e.str_at("name").unwrap_or("");
                if name == "GITSYNC_GIT" || name == "GIT_SYNC_GIT" {
                    ctx.report(
                        c.path.key("env").index(i),
                        format!(
                            "{} sets {name}: git-sync will execute that program",
                            c.describe()
                        ),
                    );
                }
            }
        }
        for field in ["args", "command"] {
            let Some(list) = c.node.get(field).and_then(|a| a.as_seq()) else {
                continue;
            };
            for (i, a) in list.iter().enumerate() {
                let s = a.as_str().unwrap_or("");
                if s == "--git" || s.starts_with("--git=") || s == "-git" || s.starts_with("-git=")
                {
                    ctx.report(
                        c.path.key(field).index(i),
                        format!(
                            "{} sets --git: git-sync will execute that program",
                            c.describe()
                        ),
                    );
                }
            }
        }
    }
}

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "sudo-in-command",
        severity: Severity::Medium,
        groups: &["security"],
        summary: "A container's command or arguments run `sudo`",
        remediation: "Run the process as the user it needs from the start (`runAsUser`), give it only the capability it needs, and remove sudo from the image.",
        docs: r#"## What it does
Flags containers whose `command` or `args` run `sudo`: an element that is
`sudo` or a path ending in `/sudo`, or a shell script (`sh -c "…"`) with
`sudo` as a word of a command.

## Why it matters
`sudo` inside a container means the image ships a setuid-root binary and a
sudoers policy, and the process expects to become root at run time. It
only works when privilege escalation is allowed (`allowPrivilegeEscalation`
not `false`), so it defeats that control, and it is a ready-made escalation
path for whoever gets code execution in the container.

## Example
```yaml
containers:
- name: app
  image: registry.example/app:1.0
  command: ["sh", "-c", "sudo chown app /data && exec app"]   # flagged
```

## How to fix
Prepare ownership at build time or with `fsGroup`, run as the target user
(`runAsUser`), add the single capability needed if any, and set
`allowPrivilegeEscalation: false`.

Peers: Kubescape C-0062.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
            "https://hub.armosec.io/docs/c-0062",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

/// Whether a command word or a shell script runs sudo.
fn runs_sudo(s: &str) -> bool {
    s.split(|c: char| {
        c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '`' | '"' | '\'')
    })
    .any(|w| w == "sudo" || w.ends_with("/sudo"))
}

fn check(ctx: &mut ObjectCtx<'_>) {
    for spec in ctx.pod_specs() {
        for c in spec.all_containers() {
            for field in ["command", "args"] {
                let Some(list) = c.node.get(field).and_then(|a| a.as_seq()) else {
                    continue;
                };
                if let Some(i) = list.iter().position(|a| a.as_str().is_some_and(runs_sudo)) {
                    ctx.report(
                        c.path.key(field).index(i),
                        format!("{} runs sudo in its {field}", c.describe()),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn words() {
        assert!(super::runs_sudo("sudo"));
        assert!(super::runs_sudo("/usr/bin/sudo"));
        assert!(super::runs_sudo("set -e; sudo -u app x"));
        assert!(super::runs_sudo("a && (sudo b)"));
        assert!(!super::runs_sudo("pseudo-random"));
        assert!(!super::runs_sudo("--sudo-free"));
        assert!(!super::runs_sudo("echo sudoers"));
    }
}

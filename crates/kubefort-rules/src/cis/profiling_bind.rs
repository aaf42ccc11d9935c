//! Checks shared by kube-apiserver, kube-controller-manager and
//! kube-scheduler: profiling (CIS 1.2.15, 1.3.2, 1.4.1) and the bind address
//! of the controller manager and scheduler (CIS 1.3.7, 1.4.2).

use kubefort_core::Rule;

use super::flags::{self, Component};
use super::{cis_rule, is_loopback, require_bool, Out, CIS_REF};

pub static PROFILING: Rule = cis_rule! {
    name: "control-plane-profiling",
    severity: Low,
    summary: "A control-plane component serves profiling data (CIS 1.2.15, 1.3.2, 1.4.1)",
    remediation: "Set `--profiling=false` on kube-apiserver, kube-controller-manager and kube-scheduler.",
    docs: r#"## What it does
Flags kube-apiserver (CIS 1.2.15), kube-controller-manager (CIS 1.3.2) and
kube-scheduler (CIS 1.4.1) containers that do not set `--profiling=false`
(the default is `true`).

## Why it matters
`/debug/pprof` exposes goroutine stacks, heap contents and timing of the
component to anyone authorized for it, and lets a caller make the
process spend CPU on profiles: a detailed map for an attacker and a denial
of service lever.

## Example
```yaml
    command:
    - kube-scheduler
    - --profiling=true   # flagged
```

## How to fix
Add `--profiling=false` to each component (kubeadm: `extraArgs` in the
ClusterConfiguration).
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"],
    check: |ctx| {
        let mut out = Out::default();
        for cl in flags::of_object(ctx) {
            let id = match cl.component {
                Component::ApiServer => "1.2.15",
                Component::ControllerManager => "1.3.2",
                Component::Scheduler => "1.4.1",
                _ => continue,
            };
            require_bool(cl, &mut out, id, "profiling", false, true,
                "profiling data (stacks, heap, timings) is served on the component's port");
        }
        out.emit(ctx);
    },
};

pub static BIND_ADDRESS: Rule = cis_rule! {
    name: "control-plane-bind-address",
    severity: Medium,
    summary: "The controller manager or scheduler listens on every interface (CIS 1.3.7, 1.4.2)",
    remediation: "Set `--bind-address=127.0.0.1` on kube-controller-manager and kube-scheduler.",
    docs: r#"## What it does
Flags kube-controller-manager (CIS 1.3.7) and kube-scheduler (CIS 1.4.2)
containers whose `--bind-address` is not a loopback address. The flag
defaults to `0.0.0.0`, so an absent flag is flagged too.

## Why it matters
Their secure ports serve health, metrics and (with profiling) debug
endpoints. Bound to every interface they are reachable from the node's
network, and from pods on host networking.

## Example
```yaml
    - --bind-address=0.0.0.0   # flagged
```

## How to fix
`--bind-address=127.0.0.1`, as kubeadm sets it; scrape metrics through a
local proxy.
"#,
    references: &[CIS_REF, "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-scheduler/"],
    check: |ctx| {
        let mut out = Out::default();
        for cl in flags::of_object(ctx) {
            let id = match cl.component {
                Component::ControllerManager => "1.3.7",
                Component::Scheduler => "1.4.2",
                _ => continue,
            };
            match cl.get("bind-address") {
                Some(f) if is_loopback(f.text()) => {}
                Some(f) => out.push(&f.path, format!(
                    "CIS {id}: `--bind-address={}` is not a loopback address: the secure port is reachable from the network",
                    f.text())),
                None => out.push(&cl.anchor, format!(
                    "CIS {id}: {} does not set `--bind-address`, which defaults to 0.0.0.0: the secure port is reachable from the network",
                    cl.described)),
            }
        }
        out.emit(ctx);
    },
};

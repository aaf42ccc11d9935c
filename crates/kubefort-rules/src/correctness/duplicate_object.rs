use std::collections::HashMap;
use std::path::Path;

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "duplicate-object",
        severity: Severity::Medium,
        groups: &["correctness"],
        summary: "The same object is defined twice in one directory or stream",
        remediation: "Keep one definition; remove or rename the other.",
        docs: r#"## What it does
Flags an object whose API group, kind, namespace and name are the same as
those of an object defined earlier in the same file, the same directory or
the same piped stream: the inputs that are applied together with
`kubectl apply -f`.

## Why it matters
When both are applied, the later one silently replaces the earlier one. What
reviewers read in the first definition (its security context, its RBAC
rules) is not what runs. Objects with the same name in different directories
(kustomize bases and overlays, per-environment folders) are not flagged.

## Example
```yaml
# a.yaml
kind: ServiceAccount
metadata: {name: app, namespace: shop}
# b.yaml, same directory
kind: ServiceAccount
metadata: {name: app, namespace: shop}   # flagged
```

## How to fix
Delete one of the definitions, or give them different names.
"#,
        references: &["https://kubernetes.io/docs/concepts/overview/working-with-objects/names/"],
        default_enabled: true,
    },
    check: Check::Inventory { retain: &[], check },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    let mut first: HashMap<(String, &str, &str, Option<&str>, &str), usize> = HashMap::new();
    let mut dups = Vec::new();
    for (i, e) in ctx.inventory.objects.iter().enumerate() {
        let o = &e.scanned.object;
        let Some(name) = o.name.as_deref() else {
            continue;
        };
        if name.ends_with('*') {
            // generateName: every apply makes a new object.
            continue;
        }
        let dir = Path::new(&*e.scanned.location.file)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let key = (
            dir,
            o.group(),
            o.kind.as_str(),
            o.namespace.as_deref(),
            name,
        );
        match first.get(&key) {
            Some(&j) => dups.push((i, j)),
            None => {
                first.insert(key, i);
            }
        }
    }
    for (i, j) in dups {
        let e = ctx.inventory.objects[i].clone();
        let prev = &ctx.inventory.objects[j].scanned.location;
        let msg = format!(
            "{} is defined again; the first definition is at {}:{}, and whichever is applied last wins",
            e.scanned.object, prev.file, prev.line
        );
        ctx.report_entry(&e, msg);
    }
}

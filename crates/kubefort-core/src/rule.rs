//! What a rule is: metadata and docs next to a check function.
//!
//! A rule file declares one `pub static RULE: Rule`. Object rules see one
//! object at a time and run in parallel; inventory rules see every scanned
//! object once per scan, with full objects kept only for the kinds they ask
//! for.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use crate::config::Config;
use crate::finding::{Finding, Location, ObjectRef, ScannedObject, Severity};
use crate::namespaces::{NamespaceInfo, Namespaces};
use crate::object::{Object, PodSpec};
use crate::path::FieldPath;
use crate::value::Pos;

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case name (`privileged-container`).
    pub name: &'static str,
    pub severity: Severity,
    /// Groups this rule belongs to; the first is its category.
    pub groups: &'static [&'static str],
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// What to change, in one or two sentences (goes into every finding).
    pub remediation: &'static str,
    /// Markdown: what it does, why it matters, example, how to fix.
    pub docs: &'static str,
    pub references: &'static [&'static str],
    /// Selected when the user selects nothing.
    pub default_enabled: bool,
}

/// A rule: metadata plus the check.
pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

pub enum Check {
    /// Looks at one object at a time.
    Object(fn(&mut ObjectCtx<'_>)),
    /// Looks at one object at a time, and at the Namespace object it lives
    /// in ([`ObjectCtx::namespace`]); the engine reads every Namespace of the
    /// inputs first.
    Namespaced(fn(&mut ObjectCtx<'_>)),
    /// Looks at the whole inventory; `retain` names the kinds it needs in full.
    Inventory {
        retain: &'static [&'static str],
        check: fn(&mut InventoryCtx<'_>),
    },
}

/// What an object rule sees.
pub struct ObjectCtx<'a> {
    pub object: &'a Object,
    pub rule: &'static RuleMeta,
    pub config: &'a Config,
    pub(crate) scope: &'a ScanScope,
    memo: &'a Memo,
    pod_specs: &'a [PodSpec<'a>],
    out: &'a mut Vec<Finding>,
}

/// What every object rule of a scan may ask about the scan as a whole.
#[derive(Debug, Default)]
pub struct ScanScope {
    /// Names of the rules that run.
    pub enabled: HashSet<&'static str>,
    /// Namespace objects of the inputs (empty unless a namespaced rule runs).
    pub namespaces: Namespaces,
}

impl<'a> ObjectCtx<'a> {
    pub fn new(
        object: &'a Object,
        rule: &'static RuleMeta,
        config: &'a Config,
        scope: &'a ScanScope,
        memo: &'a Memo,
        pod_specs: &'a [PodSpec<'a>],
        out: &'a mut Vec<Finding>,
    ) -> Self {
        ObjectCtx {
            object,
            rule,
            config,
            scope,
            memo,
            pod_specs,
            out,
        }
    }

    /// Values shared by the rules of this object (see [`Memo`]).
    pub fn memo(&self) -> &'a Memo {
        self.memo
    }

    /// Whether the rule named `name` runs in this scan.
    pub fn is_enabled(&self, name: &str) -> bool {
        self.scope.enabled.contains(name)
    }

    /// The Namespace object this object is in, when the inputs declare it
    /// (only for [`Check::Namespaced`] rules).
    pub fn namespace(&self) -> Option<&'a NamespaceInfo> {
        self.scope
            .namespaces
            .get(self.object.id.namespace.as_deref()?)
    }

    /// This rule's settings from the configuration file (`rules:`), parsed
    /// once before the scan; `None` when the configuration sets none.
    pub fn settings<T: Any>(&self) -> Option<&'a T> {
        self.config.rule_settings(self.rule.name)
    }

    /// The pod specs of the object (none unless it is a workload).
    pub fn pod_specs(&self) -> &'a [PodSpec<'a>] {
        self.pod_specs
    }

    /// Report a finding at `path` with the rule's default severity.
    pub fn report(&mut self, path: FieldPath, message: impl Into<String>) {
        self.report_with(self.rule.severity, path, message);
    }

    /// Report a finding at `path` with a severity of its own.
    pub fn report_with(&mut self, severity: Severity, path: FieldPath, message: impl Into<String>) {
        let pos = path.locate(&self.object.root);
        self.out.push(make_finding(
            self.rule,
            severity,
            message.into(),
            self.object.id.clone(),
            &path,
            Location {
                file: self.object.file.clone(),
                line: pos.line,
                column: pos.column,
            },
        ));
    }
}

pub(crate) fn make_finding(
    rule: &'static RuleMeta,
    severity: Severity,
    message: String,
    object: ObjectRef,
    path: &FieldPath,
    location: Location,
) -> Finding {
    Finding {
        rule: rule.name,
        severity,
        message,
        object,
        path: path.to_string(),
        location,
        remediation: rule.remediation,
        groups: rule.groups,
        suppressed: None,
    }
}

/// Everything a scan saw, for rules that look across objects.
#[derive(Default)]
pub struct Inventory {
    /// Every scanned object, in report order.
    pub objects: Vec<InventoryEntry>,
    /// Full objects of the kinds some selected inventory rule retains.
    pub retained: Vec<Arc<Object>>,
    by_kind: OnceLock<HashMap<String, Vec<usize>>>,
    shared: Memo,
}

/// Values computed once and shared by every rule that asks for them: per
/// object for object rules (one evaluation several rules read, such as the
/// Pod Security controls; [`ObjectCtx::memo`]), per scan for inventory rules
/// (a model several rules read, such as the NetworkPolicy and RBAC models;
/// [`Inventory::shared`]).
#[derive(Default)]
pub struct Memo {
    slots: [OnceLock<(&'static str, Box<dyn Any + Send + Sync>)>; 8],
}

impl Memo {
    /// The value under `key`, computed by `init` on first use. One key
    /// always holds one type.
    pub fn get_or_init<T: Any + Send + Sync>(
        &self,
        key: &'static str,
        init: impl FnOnce() -> T,
    ) -> &T {
        if let Some(v) = self.find(key) {
            return v;
        }
        let mut value: Option<Box<dyn Any + Send + Sync>> = Some(Box::new(init()));
        for slot in &self.slots {
            let Some(v) = value.take() else { break };
            if let Err((_, v)) = slot.set((key, v)) {
                value = Some(v);
            }
        }
        match (self.find(key), value) {
            (Some(v), _) => v,
            // More keys than slots (no rule comes close): the value is not
            // shared, and lives as long as the process.
            (None, Some(v)) => {
                let v: Box<dyn Any> = v;
                Box::leak(v).downcast_ref::<T>().expect("boxed as T above")
            }
            (None, None) => unreachable!("stored in a slot, so found"),
        }
    }

    fn find<T: Any>(&self, key: &str) -> Option<&T> {
        self.slots
            .iter()
            .filter_map(OnceLock::get)
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| (&**v as &dyn Any).downcast_ref())
    }
}

/// One scanned object: identity, where it is, and where its name is.
#[derive(Clone, Debug)]
pub struct InventoryEntry {
    pub scanned: ScannedObject,
    /// Position of `metadata.name`, or of the object.
    pub name_pos: Pos,
}

impl Inventory {
    pub fn new(objects: Vec<InventoryEntry>, retained: Vec<Arc<Object>>) -> Self {
        Inventory {
            objects,
            retained,
            by_kind: OnceLock::new(),
            shared: Memo::default(),
        }
    }

    /// Values shared by the inventory rules of this scan (see [`Memo`]).
    pub fn shared(&self) -> &Memo {
        &self.shared
    }

    /// Indexes of `objects` by kind, built on first use.
    pub fn by_kind(&self, kind: &str) -> &[usize] {
        let idx = self.by_kind.get_or_init(|| {
            let mut m: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, o) in self.objects.iter().enumerate() {
                m.entry(o.scanned.object.kind.clone()).or_default().push(i);
            }
            m
        });
        idx.get(kind).map_or(&[], Vec::as_slice)
    }
}

/// What an inventory rule sees.
pub struct InventoryCtx<'a> {
    pub inventory: &'a Inventory,
    pub rule: &'static RuleMeta,
    pub config: &'a Config,
    out: &'a mut Vec<Finding>,
}

impl<'a> InventoryCtx<'a> {
    pub fn new(
        inventory: &'a Inventory,
        rule: &'static RuleMeta,
        config: &'a Config,
        out: &'a mut Vec<Finding>,
    ) -> Self {
        InventoryCtx {
            inventory,
            rule,
            config,
            out,
        }
    }

    /// This rule's settings from the configuration file (`rules:`), parsed
    /// once before the scan; `None` when the configuration sets none.
    pub fn settings<T: Any>(&self) -> Option<&'a T> {
        self.config.rule_settings(self.rule.name)
    }

    /// Report a finding on an inventory entry at its `metadata.name`.
    pub fn report_entry(&mut self, entry: &InventoryEntry, message: impl Into<String>) {
        self.out.push(make_finding(
            self.rule,
            self.rule.severity,
            message.into(),
            entry.scanned.object.clone(),
            &FieldPath::root().keys("metadata.name"),
            Location {
                file: entry.scanned.location.file.clone(),
                line: entry.name_pos.line,
                column: entry.name_pos.column,
            },
        ));
    }

    /// Report a finding at a path of a retained object.
    pub fn report_object(&mut self, object: &Object, path: FieldPath, message: impl Into<String>) {
        self.report_object_with(self.rule.severity, object, path, message);
    }

    /// Report a finding at a path of a retained object, with a severity of its own.
    pub fn report_object_with(
        &mut self,
        severity: Severity,
        object: &Object,
        path: FieldPath,
        message: impl Into<String>,
    ) {
        let pos = path.locate(&object.root);
        self.out.push(make_finding(
            self.rule,
            severity,
            message.into(),
            object.id.clone(),
            &path,
            Location {
                file: object.file.clone(),
                line: pos.line,
                column: pos.column,
            },
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn shared_values_are_computed_once_per_inventory() {
        let inv = Inventory::new(Vec::new(), Vec::new());
        let calls = Cell::new(0);
        for _ in 0..3 {
            let v: &Vec<u32> = inv.shared().get_or_init("model", || {
                calls.set(calls.get() + 1);
                vec![1, 2, 3]
            });
            assert_eq!(v, &[1, 2, 3]);
        }
        assert_eq!(calls.get(), 1);
        let other: &String = inv.shared().get_or_init("other", || "x".to_string());
        assert_eq!(other, "x");
        // A new scan computes its own.
        let inv2 = Inventory::new(Vec::new(), Vec::new());
        let v: &Vec<u32> = inv2.shared().get_or_init("model", || vec![9]);
        assert_eq!(v, &[9]);
        // More keys than slots still work.
        const KEYS: [&str; 10] = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        for (i, k) in KEYS.iter().enumerate() {
            let v: &usize = inv2.shared().get_or_init(k, || i);
            assert_eq!(*v, i);
        }
    }
}

//! The engine: load every input, run the selected rules, apply suppressions,
//! and produce one deterministic report.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::finding::{Finding, InputError, Location, ScannedObject, SkipLevel, Skipped, Stats};
use crate::namespaces::{
    may_declare_namespace_bytes, namespace_info, namespaces_in, NamespaceInfo, Namespaces,
};
use crate::object::{extract, pod_spec_paths, Extracted, Object};
use crate::path::FieldPath;
use crate::rule::{
    Check, Inventory, InventoryCtx, InventoryEntry, Memo, ObjectCtx, Rule, RuleMeta, ScanScope,
};
use crate::schema;
use crate::source::{decode, in_helm_chart, read_source, SourceFile, DEFAULT_MAX_FILE_SIZE};
use crate::value::Pos;
use crate::yaml::{load_chunk, number_documents, split_documents, Limits};

pub const IGNORE_ANNOTATION: &str = "kubefort.io/ignore";
pub const IGNORE_REASON_ANNOTATION: &str = "kubefort.io/ignore-reason";

/// The outcome of a scan.
#[derive(Debug, Default)]
pub struct Report {
    /// Active findings, sorted by file, line, column and rule.
    pub findings: Vec<Finding>,
    /// Findings that matched a suppression, with the reason in `suppressed`.
    pub suppressed: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    /// Every object scanned, sorted like findings.
    pub objects: Vec<ScannedObject>,
    pub stats: Stats,
    /// The rules that ran.
    pub rules: Vec<&'static RuleMeta>,
}

/// A configured engine.
pub struct Engine {
    rules: Vec<&'static Rule>,
    /// Checks supplied at run time (user policies), run beside the rules.
    dynamic: Vec<Arc<dyn DynamicCheck>>,
    config: Config,
    limits: Limits,
    max_file_size: u64,
}

/// A check supplied at run time rather than compiled in as a [`Rule`]: user
/// policies (Rego, CEL). It runs beside the selected rules on every object,
/// in parallel, and once per scan over the inventory. Its findings are
/// ordinary findings (suppressions and sorting apply); it names its own rules
/// in [`Finding::rule`], which, being `&'static str`, must come from a
/// bounded set of names (an interner), not from leaking per evaluation.
pub trait DynamicCheck: Send + Sync {
    /// Whether the check reads the inputs' Namespace objects
    /// ([`ScanScope::namespaces`]); if so they are collected before any
    /// object is checked.
    fn needs_namespaces(&self) -> bool {
        false
    }
    /// Kinds `check_inventory` needs as full objects ([`Inventory::retained`]).
    fn retain(&self) -> &[String] {
        &[]
    }
    /// Check one object; push findings to `out`.
    fn check_object(&self, object: &Object, scope: &ScanScope, out: &mut Vec<Finding>);
    /// Check the whole inventory once per scan, after every object.
    fn check_inventory(&self, _inventory: &Inventory, _out: &mut Vec<Finding>) {}
}

/// The outcome for one file; `items` holds what a visitor kept.
struct FileOutcome<T = ()> {
    findings: Vec<Finding>,
    errors: Vec<InputError>,
    skipped: Vec<Skipped>,
    objects: Vec<InventoryEntry>,
    retained: Vec<Arc<Object>>,
    items: Vec<T>,
    documents: usize,
    /// The Namespace objects of the file.
    namespaces: Vec<NamespaceInfo>,
    /// The namespaces of the file's objects that have pod specs.
    pod_namespaces: Vec<String>,
    /// Objects with a `kubefort.io/ignore` annotation, for the findings
    /// of inventory rules.
    ignores: Vec<Ignore>,
}

/// An object's `kubefort.io/ignore` annotation.
struct Ignore {
    file: Arc<str>,
    object: crate::finding::ObjectRef,
    names: Vec<String>,
    reason: String,
}

impl Ignore {
    fn matches(&self, f: &Finding) -> bool {
        f.location.file == self.file
            && f.object == self.object
            && self
                .names
                .iter()
                .any(|n| n == f.rule || n == "all" || f.groups.contains(&n.as_str()))
    }
}

impl<T> Default for FileOutcome<T> {
    fn default() -> Self {
        FileOutcome {
            findings: Vec::new(),
            errors: Vec::new(),
            skipped: Vec::new(),
            objects: Vec::new(),
            retained: Vec::new(),
            items: Vec::new(),
            documents: 0,
            namespaces: Vec::new(),
            pod_namespaces: Vec::new(),
            ignores: Vec::new(),
        }
    }
}

/// When the Namespace objects of the inputs become known to the rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NamespacePass {
    /// Not needed.
    None,
    /// Before any object is handled: a first pass over every file.
    First,
    /// After the main pass, which collects them: objects in a labelled
    /// Namespace declared in the inputs are checked again by the
    /// namespaced rules. No file is read twice unless such a namespace
    /// exists.
    Deferred,
}

/// Which rules `check_object` runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    All,
    NamespacedOnly,
}

/// What [`Engine::visit`] produces: the visitor's items in input order, and
/// the errors and skips met while loading.
#[derive(Debug)]
pub struct Visited<T> {
    pub items: Vec<T>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    pub stats: Stats,
}

/// What the engine does with each object it loads.
type OnObject<'s, T> = dyn Fn(&Engine, &Object, &ScanScope, &mut FileOutcome<T>) + Sync + 's;

impl Engine {
    pub fn new(rules: Vec<&'static Rule>, config: Config) -> Self {
        let max_file_size = config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
        Engine {
            rules,
            dynamic: Vec::new(),
            config,
            limits: Limits::default(),
            max_file_size,
        }
    }

    /// Add a check supplied at run time (see [`DynamicCheck`]).
    pub fn with_dynamic(mut self, check: Arc<dyn DynamicCheck>) -> Self {
        self.dynamic.push(check);
        self
    }

    pub fn with_max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn rules(&self) -> &[&'static Rule] {
        &self.rules
    }

    /// Kinds that some selected inventory rule needs as full objects.
    fn retained_kinds(&self) -> HashSet<&str> {
        self.rules
            .iter()
            .filter_map(|r| match &r.check {
                Check::Inventory { retain, .. } => Some(retain.iter().copied()),
                _ => None,
            })
            .flatten()
            .chain(
                self.dynamic
                    .iter()
                    .flat_map(|d| d.retain().iter().map(String::as_str)),
            )
            .collect()
    }

    fn dynamic_needs_namespaces(&self) -> bool {
        self.dynamic.iter().any(|d| d.needs_namespaces())
    }

    fn needs_namespaces(&self) -> bool {
        self.rules
            .iter()
            .any(|r| matches!(r.check, Check::Namespaced(_)))
    }

    /// Scan files; `progress` is called once per file finished.
    pub fn scan(&self, files: &[SourceFile], progress: &(dyn Fn() + Sync)) -> Report {
        let pass = if self.dynamic_needs_namespaces() {
            NamespacePass::First
        } else if self.needs_namespaces() {
            NamespacePass::Deferred
        } else {
            NamespacePass::None
        };
        let (outcomes, _) = self.run(files, progress, pass, &|e, o, s, out| {
            e.check_object(o, s, out, Phase::All)
        });
        self.finish(files.len(), outcomes)
    }

    /// Scan in-memory text as if it were the file `name`.
    pub fn scan_str(&self, name: &str, text: &str) -> Report {
        let src = SourceFile {
            name: name.into(),
            path: None,
        };
        let retain = self.retained_kinds();
        let mut scope = self.scope();
        if self.needs_namespaces() || self.dynamic_needs_namespaces() {
            scope.namespaces = namespaces_in(&src.name, text, &self.limits);
        }
        let o = self.scan_text(&src, text, &retain, &scope, &|e, o, s, out| {
            e.check_object(o, s, out, Phase::All)
        });
        self.finish(1, vec![o])
    }

    /// Scan in-memory text as if it were the file `name`, with namespaces
    /// known from elsewhere (an API server, for an admission request): the
    /// namespaced rules see them as if the inputs had declared them.
    /// Namespaces the text itself declares are added to them.
    pub fn scan_str_in(&self, name: &str, text: &str, namespaces: &Namespaces) -> Report {
        let src = SourceFile {
            name: name.into(),
            path: None,
        };
        let retain = self.retained_kinds();
        let mut scope = self.scope();
        if self.needs_namespaces() {
            scope.namespaces = namespaces.clone();
            scope
                .namespaces
                .extend(namespaces_in(&src.name, text, &self.limits));
        }
        let o = self.scan_text(&src, text, &retain, &scope, &|e, o, s, out| {
            e.check_object(o, s, out, Phase::All)
        });
        self.finish(1, vec![o])
    }

    /// Load every object of `files` and hand each to `visit` (in parallel),
    /// keeping what it returns; no rule runs. `visit` sees the scan scope,
    /// with the inputs' Namespace objects when `with_namespaces` is set.
    pub fn visit<T: Send>(
        &self,
        files: &[SourceFile],
        with_namespaces: bool,
        visit: &(dyn Fn(&Object, &ScanScope) -> Vec<T> + Sync),
    ) -> Visited<T> {
        let pass = if with_namespaces {
            NamespacePass::First
        } else {
            NamespacePass::None
        };
        let (outcomes, _) = self.run(files, &|| {}, pass, &|_, o, s, out| {
            out.items.extend(visit(o, s))
        });
        let mut v = Visited {
            items: Vec::new(),
            errors: Vec::new(),
            skipped: Vec::new(),
            stats: Stats::default(),
        };
        v.stats.files = files.len();
        for o in outcomes {
            v.stats.documents += o.documents;
            v.items.extend(o.items);
            v.errors.extend(o.errors);
            v.skipped.extend(o.skipped);
        }
        v.errors.sort();
        v.errors.dedup();
        v.skipped.sort();
        v
    }

    /// Make an [`Object`] of a JSON object that has no source text (one read
    /// from the API server); `name` stands in for the file (the object's API
    /// path). Fails when the value is not a single Kubernetes object.
    pub fn object_from_json(
        &self,
        name: Arc<str>,
        value: serde_json::Value,
    ) -> Result<Object, String> {
        let root = crate::value::Node::from_json(value);
        let (root, id) = match extract(root) {
            Extracted::Objects(mut objs) if objs.len() == 1 => objs.pop().expect("one object"),
            Extracted::Objects(_) => return Err("a List, not one object".into()),
            Extracted::NotAnObject(reason) => return Err(reason),
            Extracted::Invalid { message, .. } => return Err(message),
        };
        let pod_specs = pod_spec_paths(&id, self.config.custom_pod_templates());
        Ok(Object {
            root,
            id,
            file: name,
            doc_index: 0,
            pod_specs,
        })
    }

    /// Scan objects that are already in memory (read from the API server),
    /// with the same rules, namespaces, suppressions and inventory checks as
    /// [`Engine::scan`]. Every Namespace among them is known to the
    /// namespaced rules from the start.
    pub fn scan_objects(&self, objects: Vec<Object>) -> Report {
        let retain = self.retained_kinds();
        let mut scope = self.scope();
        if self.needs_namespaces() {
            for o in objects.iter().filter(|o| is_namespace(o)) {
                if let Some(ns) = namespace_info(&o.file, &o.root) {
                    scope.namespaces.insert(ns);
                }
            }
        }
        let outcomes: Vec<FileOutcome> = objects
            .into_par_iter()
            .fold(FileOutcome::default, |mut out, object| {
                out.documents += 1;
                self.check_object(&object, &scope, &mut out, Phase::All);
                if retain.contains(object.id.kind.as_str()) {
                    out.retained.push(Arc::new(object));
                }
                out
            })
            .collect();
        self.finish(0, outcomes)
    }

    /// [`Engine::visit`] for objects already in memory: hand each to `visit`
    /// (in parallel) and keep what it returns, in input order.
    pub fn visit_objects<T: Send>(
        &self,
        objects: &[Object],
        visit: &(dyn Fn(&Object, &ScanScope) -> Vec<T> + Sync),
    ) -> Vec<T> {
        let mut scope = self.scope();
        for o in objects.iter().filter(|o| is_namespace(o)) {
            if let Some(ns) = namespace_info(&o.file, &o.root) {
                scope.namespaces.insert(ns);
            }
        }
        objects
            .par_iter()
            .map(|o| visit(o, &scope))
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect()
    }

    fn scope(&self) -> ScanScope {
        ScanScope {
            enabled: self.rules.iter().map(|r| r.meta.name).collect(),
            namespaces: Namespaces::default(),
        }
    }

    /// Read every file (stdin once), collect Namespaces first if asked, then
    /// load and handle every object, one file per task.
    fn run<T: Send>(
        &self,
        files: &[SourceFile],
        progress: &(dyn Fn() + Sync),
        pass: NamespacePass,
        on_object: &OnObject<'_, T>,
    ) -> (Vec<FileOutcome<T>>, ScanScope) {
        let retain = self.retained_kinds();
        // Standard input can be read only once: keep it for both passes.
        let stdin = files
            .iter()
            .find(|f| f.path.is_none())
            .map(|f| read_source(f, self.max_file_size));
        let read = |f: &SourceFile| -> Result<Cow<'_, str>, InputError> {
            match (&f.path, &stdin) {
                (None, Some(r)) => r.as_deref().map(Cow::Borrowed).map_err(Clone::clone),
                _ => read_source(f, self.max_file_size).map(Cow::Owned),
            }
        };
        let mut scope = self.scope();
        if pass == NamespacePass::First {
            // Raw bytes first: most files never mention a Namespace kind, and
            // for those the pass is a read and a substring search.
            scope.namespaces = files
                .par_iter()
                .map(|f| {
                    let text = match (&f.path, &stdin) {
                        (None, Some(Ok(t))) => Cow::Borrowed(t.as_str()),
                        (Some(p), _) => match std::fs::read(p) {
                            Ok(bytes)
                                if bytes.len() as u64 <= self.max_file_size
                                    && may_declare_namespace_bytes(&bytes) =>
                            {
                                match decode(bytes) {
                                    Ok(t) => Cow::Owned(t),
                                    Err(_) => return Namespaces::default(),
                                }
                            }
                            _ => return Namespaces::default(),
                        },
                        _ => return Namespaces::default(),
                    };
                    namespaces_in(&f.name, &text, &self.limits)
                })
                .reduce(Namespaces::default, |mut a, b| {
                    a.extend(b);
                    a
                });
        }
        let mut outcomes: Vec<FileOutcome<T>> = files
            .par_iter()
            .map(|f| {
                let o = match read(f) {
                    Ok(text) => self.scan_text(f, &text, &retain, &scope, on_object),
                    Err(e) => FileOutcome {
                        errors: vec![e],
                        ..Default::default()
                    },
                };
                progress();
                o
            })
            .collect();
        if pass == NamespacePass::Deferred {
            for o in &mut outcomes {
                for ns in std::mem::take(&mut o.namespaces) {
                    scope.namespaces.insert(ns);
                }
            }
            let labelled = |n: &String| {
                scope
                    .namespaces
                    .get(n)
                    .is_some_and(|ns| !ns.labels.is_empty())
            };
            let again: Vec<usize> = outcomes
                .iter()
                .enumerate()
                .filter(|(_, o)| o.pod_namespaces.iter().any(labelled))
                .map(|(i, _)| i)
                .collect();
            if !again.is_empty() {
                let namespaced: HashSet<&str> = self
                    .rules
                    .iter()
                    .filter(|r| matches!(r.check, Check::Namespaced(_)))
                    .map(|r| r.meta.name)
                    .collect();
                let redone: Vec<(usize, Vec<Finding>)> = again
                    .par_iter()
                    .filter_map(|&i| {
                        let text = read(&files[i]).ok()?;
                        let o: FileOutcome<()> =
                            self.scan_text(&files[i], &text, &retain, &scope, &|e, o, s, out| {
                                e.check_object(o, s, out, Phase::NamespacedOnly)
                            });
                        Some((i, o.findings))
                    })
                    .collect();
                for (i, findings) in redone {
                    let o = &mut outcomes[i];
                    o.findings.retain(|f| !namespaced.contains(f.rule));
                    o.findings.extend(findings);
                }
            }
        }
        (outcomes, scope)
    }

    fn scan_text<T>(
        &self,
        src: &SourceFile,
        text: &str,
        retain: &HashSet<&str>,
        scope: &ScanScope,
        on_object: &OnObject<'_, T>,
    ) -> FileOutcome<T> {
        let mut out = FileOutcome::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let chunks = split_documents(text);
        let mut docs = if chunks.len() > 32 {
            chunks
                .par_iter()
                .map(|c| {
                    let mut v = Vec::new();
                    load_chunk(*c, &self.limits, &mut v);
                    v
                })
                .collect::<Vec<_>>()
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
        } else {
            let mut v = Vec::new();
            for c in &chunks {
                load_chunk(*c, &self.limits, &mut v);
            }
            v
        };
        number_documents(&mut docs);
        out.documents = docs.len();

        // An unrendered Helm template reads as broken YAML, or as YAML with
        // template text in it: say what it is instead of how it fails.
        if text.contains("{{") {
            let in_chart = src.path.as_deref().is_some_and(in_helm_chart);
            let lines: Vec<&str> = text.lines().collect();
            let near_template = |line: u32| {
                let l = line as usize;
                (l.saturating_sub(2)..=l)
                    .filter_map(|i| lines.get(i))
                    .any(|t| t.contains("{{"))
            };
            let template_error = docs
                .iter()
                .any(|d| matches!(d, Err(e) if near_template(e.pos.line)));
            if in_chart || template_error {
                out.skipped.push(Skipped {
                    file: src.name.clone(),
                    line: text
                        .lines()
                        .position(|l| l.contains("{{"))
                        .map(|i| i as u32 + 1),
                    level: SkipLevel::Warning,
                    reason: "a Helm template, not rendered: run `helm template CHART | kubefort scan -` to scan what it produces".into(),
                });
                out.documents = 0;
                return out;
            }
        }

        let objects: Vec<(usize, crate::value::Node, crate::finding::ObjectRef)> = {
            let mut v = Vec::new();
            for d in docs {
                match d {
                    Err(e) => out.errors.push(InputError {
                        file: src.name.clone(),
                        line: Some(e.pos.line),
                        column: Some(e.pos.column),
                        message: e.message,
                    }),
                    Ok(doc) => {
                        if doc.root.is_null() {
                            continue;
                        }
                        let pos = doc.root.pos;
                        match extract(doc.root) {
                            Extracted::Objects(objs) => {
                                v.extend(objs.into_iter().map(|(n, id)| (doc.index, n, id)))
                            }
                            Extracted::NotAnObject(reason) => out.skipped.push(Skipped {
                                file: src.name.clone(),
                                line: Some(pos.line),
                                level: SkipLevel::Info,
                                reason,
                            }),
                            Extracted::Invalid { pos, message } => out.errors.push(InputError {
                                file: src.name.clone(),
                                line: Some(pos.line),
                                column: Some(pos.column),
                                message,
                            }),
                        }
                    }
                }
            }
            v
        };

        for (doc_index, root, id) in objects {
            let pod_specs = pod_spec_paths(&id, self.config.custom_pod_templates());
            let object = Object {
                root,
                id,
                file: src.name.clone(),
                doc_index,
                pod_specs,
            };
            if object.id.kind == "Namespace" && object.id.api_version == "v1" {
                if let Some(ns) = namespace_info(&object.file, &object.root) {
                    out.namespaces.push(ns);
                }
            }
            if !object.pod_specs.is_empty() {
                if let Some(ns) = &object.id.namespace {
                    if !out.pod_namespaces.contains(ns) {
                        out.pod_namespaces.push(ns.clone());
                    }
                }
            }
            on_object(self, &object, scope, &mut out);
            if retain.contains(object.id.kind.as_str()) {
                out.retained.push(Arc::new(object));
            }
        }
        out
    }

    fn check_object(
        &self,
        object: &Object,
        scope: &ScanScope,
        out: &mut FileOutcome,
        phase: Phase,
    ) {
        let all = phase == Phase::All;
        for e in schema::validate(object).into_iter().filter(|_| all) {
            out.errors.push(InputError {
                file: object.file.clone(),
                line: Some(e.pos.line),
                column: Some(e.pos.column),
                message: format!("{}: {}", object.id, e.message),
            });
        }
        let specs = object.pod_specs();
        let memo = Memo::default();
        let start = out.findings.len();
        for rule in &self.rules {
            let check = match rule.check {
                Check::Namespaced(check) => Some(check),
                Check::Object(check) if all => Some(check),
                _ => None,
            };
            if let Some(check) = check {
                let mut ctx = ObjectCtx::new(
                    object,
                    &rule.meta,
                    &self.config,
                    scope,
                    &memo,
                    &specs,
                    &mut out.findings,
                );
                check(&mut ctx);
            }
        }
        if all {
            for d in &self.dynamic {
                d.check_object(object, scope, &mut out.findings);
            }
        }
        if let Some(list) = object.annotation(IGNORE_ANNOTATION) {
            let ignore = Ignore {
                file: object.file.clone(),
                object: object.id.clone(),
                names: list
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                reason: object.annotation(IGNORE_REASON_ANNOTATION).map_or_else(
                    || format!("annotation {IGNORE_ANNOTATION}"),
                    |r| format!("{r} (annotation {IGNORE_ANNOTATION})"),
                ),
            };
            for f in &mut out.findings[start..] {
                if ignore.matches(f) {
                    f.suppressed = Some(ignore.reason.clone());
                }
            }
            if all {
                out.ignores.push(ignore);
            }
        }
        let root = FieldPath::root();
        let name_pos = root.keys("metadata.name").locate(&object.root);
        out.objects.push(InventoryEntry {
            scanned: ScannedObject {
                object: object.id.clone(),
                location: location(&object.file, object.root.pos),
            },
            name_pos,
        });
    }

    fn finish(&self, nfiles: usize, outcomes: Vec<FileOutcome>) -> Report {
        let mut report = Report {
            rules: self.rules.iter().map(|r| &r.meta).collect(),
            ..Default::default()
        };
        report.stats.files = nfiles;
        let mut entries = Vec::new();
        let mut retained = Vec::new();
        let mut findings = Vec::new();
        let mut ignores = Vec::new();
        for o in outcomes {
            report.stats.documents += o.documents;
            findings.extend(o.findings);
            ignores.extend(o.ignores);
            report.errors.extend(o.errors);
            report.skipped.extend(o.skipped);
            entries.extend(o.objects);
            retained.extend(o.retained);
        }
        report.stats.objects = entries.len();
        report.objects = entries.iter().map(|e| e.scanned.clone()).collect();
        let inventory = Inventory::new(entries, retained);
        for rule in &self.rules {
            if let Check::Inventory { check, .. } = rule.check {
                let mut ctx =
                    InventoryCtx::new(&inventory, &rule.meta, &self.config, &mut findings);
                check(&mut ctx);
            }
        }
        for d in &self.dynamic {
            d.check_inventory(&inventory, &mut findings);
        }
        for mut f in findings {
            if f.suppressed.is_none() && !ignores.is_empty() {
                // Inventory rules report on objects they did not visit one by one.
                f.suppressed = ignores
                    .iter()
                    .find(|i| i.matches(&f))
                    .map(|i| i.reason.clone());
            }
            if f.suppressed.is_none() {
                f.suppressed = self.config.suppression_for(&f);
            }
            if f.suppressed.is_some() {
                report.suppressed.push(f);
            } else {
                report.findings.push(f);
            }
        }
        // Compare by reference: no key is copied.
        let order = |a: &Finding, b: &Finding| {
            (&a.location, a.rule, &a.path, &a.message).cmp(&(
                &b.location,
                b.rule,
                &b.path,
                &b.message,
            ))
        };
        report.findings.sort_by(order);
        report.findings.dedup();
        report.suppressed.sort_by(order);
        report.suppressed.dedup();
        report.errors.sort();
        report.errors.dedup();
        report.skipped.sort();
        report
            .objects
            .sort_by(|a, b| (&a.location, &a.object).cmp(&(&b.location, &b.object)));
        report
    }
}

fn is_namespace(o: &Object) -> bool {
    o.id.kind == "Namespace" && o.id.api_version == "v1"
}

fn location(file: &Arc<str>, pos: Pos) -> Location {
    Location {
        file: file.clone(),
        line: pos.line,
        column: pos.column,
    }
}

/// The error for a selection token that names no rule or group, with the
/// closest names as suggestions.
fn unknown(token: &str, all: &[&'static Rule]) -> String {
    let mut names: BTreeSet<&str> = all.iter().map(|r| r.meta.name).collect();
    names.extend(all.iter().flat_map(|r| r.meta.groups.iter().copied()));
    let mut close: Vec<(usize, &str)> = names
        .iter()
        .map(|n| (edit_distance(token, n), *n))
        .filter(|(d, n)| *d <= 3 || n.contains(token))
        .collect();
    close.sort();
    let hint = if close.is_empty() {
        "run `kubefort rules` to list rules and groups".to_string()
    } else {
        format!(
            "did you mean {}? (`kubefort rules` lists them all)",
            close
                .iter()
                .take(3)
                .map(|(_, n)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!("unknown rule or group `{token}`: {hint}")
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn matches_token(rule: &Rule, token: &str) -> bool {
    token.eq_ignore_ascii_case("all")
        || rule.meta.name == token
        || rule.meta.groups.contains(&token)
}

/// Choose rules as ruff does: `select` (or the defaults) plus `extend`,
/// minus `ignore`. Tokens are rule names, group names or `all`.
pub fn select_rules(
    all: &[&'static Rule],
    select: Option<&[String]>,
    extend: &[String],
    ignore: &[String],
) -> Result<Vec<&'static Rule>, String> {
    let tokens = |list: &[String]| -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for t in list
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if !all.iter().any(|r| matches_token(r, t)) {
                return Err(unknown(t, all));
            }
            out.push(t.to_string());
        }
        Ok(out)
    };
    let ignore = tokens(ignore)?;
    let extend = tokens(extend)?;
    let chosen: Vec<&'static Rule> = match select {
        Some(sel) => {
            let sel = tokens(sel)?;
            all.iter()
                .copied()
                .filter(|r| sel.iter().chain(&extend).any(|t| matches_token(r, t)))
                .collect()
        }
        None => all
            .iter()
            .copied()
            .filter(|r| r.meta.default_enabled || extend.iter().any(|t| matches_token(r, t)))
            .collect(),
    };
    Ok(chosen
        .into_iter()
        .filter(|r| !ignore.iter().any(|t| matches_token(r, t)))
        .collect())
}

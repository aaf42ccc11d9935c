//! `kubefort node`: find a node's Kubernetes files where kubeadm puts them
//! (or where the configuration says), check what they configure with the
//! `cis` rules, and check their ownership and permissions.
//!
//! What is read, under `--root` (default `/`):
//! - static pod manifests (`/etc/kubernetes/manifests`); each is recognised
//!   by the component its containers run, never by its file name;
//! - the files the API server's flags name (encryption, audit policy,
//!   admission, authentication and authorization configuration) and etcd's
//!   data directory (`--data-dir`);
//! - kubeconfigs (`admin.conf`, `super-admin.conf`, `controller-manager.conf`,
//!   `scheduler.conf`, `kubelet.conf`, kube-proxy's);
//! - the PKI directory, CNI configuration;
//! - the kubelet: its systemd unit, drop-ins and environment files
//!   (kubeadm's `10-kubeadm.conf` and `kubeadm-flags.env`), and the
//!   configuration file its `--config` names; flags and file are checked
//!   together as a `Kubelet` object (see `kubefort_rules::cis::kubelet`).
//!
//! Files become `NodeFile` objects (role, type, mode, owner, group) for the
//! `node-file-*` rules. Everything is reported like `scan`: one [`Report`].

pub mod layout;
pub mod systemd;

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubefort_core::config::NodePaths;
use kubefort_core::finding::ScannedObject;
use kubefort_core::namespaces::Namespaces;
use kubefort_core::object::{extract, pod_spec_paths, Extracted, Object};
use kubefort_core::rule::{Memo, ScanScope};
use kubefort_core::source::{read_source, SourceFile, DEFAULT_MAX_FILE_SIZE};
use kubefort_core::value::{Entry, Map};
use kubefort_core::yaml::{load_str, Limits};
use kubefort_core::{
    Check, Engine, Finding, InputError, Location, Node, ObjectCtx, ObjectRef, Pos, Report,
    SkipLevel, Skipped, Value,
};
use kubefort_rules::cis::flags::{command_lines, Component};
use kubefort_rules::cis::{kubelet, node_files};

/// kubeadm's default locations.
pub mod defaults {
    pub const MANIFESTS_DIR: &str = "/etc/kubernetes/manifests";
    pub const PKI_DIR: &str = "/etc/kubernetes/pki";
    pub const KUBECONFIG_DIR: &str = "/etc/kubernetes";
    pub const KUBELET_CONFIG: &str = "/var/lib/kubelet/config.yaml";
    pub const SYSTEMD_DIRS: &[&str] = &[
        "/etc/systemd/system",
        "/run/systemd/system",
        "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system",
        "/lib/systemd/system",
    ];
    pub const ETCD_DATA_DIR: &str = "/var/lib/etcd";
    pub const CNI_DIR: &str = "/etc/cni/net.d";
    pub const PROXY_KUBECONFIGS: &[&str] = &[
        "/var/lib/kube-proxy/kubeconfig.conf",
        "/etc/kubernetes/proxy.conf",
    ];
}

/// What to read and where.
#[derive(Clone, Debug)]
pub struct Options {
    pub root: PathBuf,
    pub paths: NodePaths,
}

/// A file found on the node with the role it plays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub role: &'static str,
}

/// Everything collected from a node, before any rule runs.
#[derive(Default)]
pub struct Collected {
    /// YAML files the engine scans (manifests, kubeconfigs, API server
    /// configuration files).
    pub files: Vec<SourceFile>,
    /// `Kubelet` and `NodeFile` objects, with the file each field path
    /// prefix comes from.
    pub objects: Vec<Synthetic>,
    /// Files with a CIS role (for the notes and tests).
    pub found: Vec<Found>,
    pub errors: Vec<InputError>,
    /// What was found but not checked, and why.
    pub skipped: Vec<Skipped>,
    /// Places looked at and not found.
    pub missing: Vec<String>,
}

/// An object built from the node, and for field paths that start with a
/// prefix, the file those fields come from.
pub struct Synthetic {
    pub object: Object,
    pub sources: Vec<(String, Arc<str>)>,
}

struct Ctx<'a> {
    root: &'a Path,
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
    out: Collected,
}

impl Ctx<'_> {
    /// The path on this machine of a node path.
    fn under(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }

    fn show(&self, p: &Path) -> Arc<str> {
        Arc::from(p.to_string_lossy().as_ref())
    }

    /// Add a `NodeFile` for `path` when it exists.
    fn file(&mut self, path: &Path, role: &'static str) -> bool {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
            Err(e) => {
                self.error(path, None, format!("cannot read its status: {e}"));
                return false;
            }
        };
        if self
            .out
            .found
            .iter()
            .any(|f| f.path == path && f.role == role)
        {
            return true;
        }
        let name =
            |m: &HashMap<u32, String>, id: u32| m.get(&id).cloned().unwrap_or(id.to_string());
        let owner = name(&self.users, meta.uid());
        let group = name(&self.groups, meta.gid());
        let shown = self.show(path);
        let object = node_file_object(
            &shown,
            role,
            meta.is_dir(),
            meta.mode() & 0o7777,
            &owner,
            &group,
        );
        self.out.objects.push(Synthetic {
            object,
            sources: Vec::new(),
        });
        self.out.found.push(Found {
            path: path.to_path_buf(),
            role,
        });
        true
    }

    fn scan(&mut self, path: &Path) {
        if self
            .out
            .files
            .iter()
            .any(|f| f.path.as_deref() == Some(path))
        {
            return;
        }
        self.out.files.push(SourceFile {
            name: self.show(path),
            path: Some(path.to_path_buf()),
        });
    }

    fn error(&mut self, path: &Path, pos: Option<Pos>, message: String) {
        self.out.errors.push(InputError {
            file: self.show(path),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            message,
        });
    }
}

fn scalar(v: Value) -> Node {
    Node::new(v, Pos::new(1, 1))
}

fn map(entries: Vec<(&str, Node)>) -> Node {
    let pos = entries.first().map_or(Pos::new(1, 1), |e| e.1.pos);
    Node::new(
        Value::Map(Map {
            entries: entries
                .into_iter()
                .map(|(k, v)| Entry {
                    key: k.into(),
                    key_pos: v.pos,
                    value: v,
                })
                .collect(),
        }),
        pos,
    )
}

fn text(s: &str) -> Node {
    scalar(Value::String(s.into()))
}

/// The `NodeFile` object for a file (see `kubefort_rules::cis::node_files`).
pub fn node_file_object(
    path: &Arc<str>,
    role: &str,
    dir: bool,
    mode: u32,
    owner: &str,
    group: &str,
) -> Object {
    let root = map(vec![
        ("apiVersion", text(node_files::API_VERSION)),
        ("kind", text(node_files::KIND)),
        ("metadata", map(vec![("name", text(path))])),
        (
            "spec",
            map(vec![
                ("role", text(role)),
                ("type", text(if dir { "directory" } else { "file" })),
                ("mode", text(&format!("{mode:04o}"))),
                ("owner", text(owner)),
                ("group", text(group)),
            ]),
        ),
    ]);
    Object {
        root,
        id: ObjectRef {
            api_version: node_files::API_VERSION.into(),
            kind: node_files::KIND.into(),
            namespace: None,
            name: Some(path.to_string()),
        },
        file: path.clone(),
        doc_index: 0,
        pod_specs: Vec::new(),
    }
}

/// `uid -> name` from a passwd or group file.
fn id_names(path: &Path) -> HashMap<u32, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    let mut m = HashMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 3 {
            if let Ok(id) = f[2].parse::<u32>() {
                m.entry(id).or_insert_with(|| f[0].to_string());
            }
        }
    }
    m
}

/// Parse a YAML file into its objects; errors are recorded.
fn objects_of(ctx: &mut Ctx<'_>, path: &Path) -> Vec<Object> {
    // Errors are the engine's to report when it scans the same file.
    let shown = ctx.show(path);
    let src = SourceFile {
        name: shown.clone(),
        path: Some(path.to_path_buf()),
    };
    let Ok(text) = read_source(&src, DEFAULT_MAX_FILE_SIZE) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for doc in load_str(&text, &Limits::default()).into_iter().flatten() {
        if let Extracted::Objects(objs) = extract(doc.root) {
            for (root, id) in objs {
                let pod_specs = pod_spec_paths(&id, &[]);
                out.push(Object {
                    root,
                    id,
                    file: shown.clone(),
                    doc_index: doc.index,
                    pod_specs,
                });
            }
        }
    }
    out
}

fn list_dir(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Find the node's files.
pub fn collect(opts: &Options) -> Collected {
    let root = opts.root.as_path();
    let mut ctx = Ctx {
        root,
        users: id_names(&root.join("etc/passwd")),
        groups: id_names(&root.join("etc/group")),
        out: Collected::default(),
    };
    let p = &opts.paths;
    let get = |v: &Option<String>, d: &str| v.clone().unwrap_or_else(|| d.to_string());

    // Static pod manifests, recognised by the component they run.
    let manifests = ctx.under(&get(&p.manifests_dir, defaults::MANIFESTS_DIR));
    let mut data_dirs: Vec<String> = Vec::new();
    let mut referenced: Vec<String> = Vec::new();
    if manifests.is_dir() {
        for f in list_dir(&manifests) {
            let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !matches!(ext, "yaml" | "yml" | "json") || !f.is_file() {
                continue;
            }
            ctx.scan(&f);
            for o in objects_of(&mut ctx, &f) {
                for cl in command_lines(&o.pod_specs()) {
                    let role = match cl.component {
                        Component::ApiServer => {
                            for flag in [
                                "encryption-provider-config",
                                "audit-policy-file",
                                "admission-control-config-file",
                                "authentication-config",
                                "authorization-config",
                            ] {
                                if let Some(v) = cl.value(flag).filter(|v| !v.is_empty()) {
                                    referenced.push(v.to_string());
                                }
                            }
                            "apiserver-manifest"
                        }
                        Component::ControllerManager => "controller-manager-manifest",
                        Component::Scheduler => "scheduler-manifest",
                        Component::Etcd => {
                            if let Some(d) = cl.value("data-dir").filter(|v| !v.is_empty()) {
                                data_dirs.push(d.to_string());
                            }
                            "etcd-manifest"
                        }
                        Component::Proxy => continue,
                    };
                    ctx.file(&f, role);
                }
            }
        }
    } else {
        ctx.out
            .missing
            .push(format!("static pod manifests ({})", manifests.display()));
    }
    for r in referenced {
        let f = ctx.under(&r);
        if f.is_file() {
            ctx.scan(&f);
        } else {
            ctx.error(
                &f,
                None,
                "named by a kube-apiserver flag but not found on this node".into(),
            );
        }
    }

    // etcd's data directory.
    if data_dirs.is_empty() {
        data_dirs.push(get(&p.etcd_data_dir, defaults::ETCD_DATA_DIR));
    }
    for d in data_dirs {
        let d = ctx.under(&d);
        ctx.file(&d, "etcd-data-dir");
    }

    // Kubeconfigs of the control plane.
    let kdir = get(&p.kubeconfig_dir, defaults::KUBECONFIG_DIR);
    for (name, role) in [
        ("admin.conf", "admin-kubeconfig"),
        ("super-admin.conf", "admin-kubeconfig"),
        ("controller-manager.conf", "controller-manager-kubeconfig"),
        ("scheduler.conf", "scheduler-kubeconfig"),
    ] {
        let f = ctx.under(&kdir).join(name);
        if ctx.file(&f, role) {
            ctx.scan(&f);
        }
    }
    let proxy: Vec<String> = match &p.proxy_kubeconfig {
        Some(x) => vec![x.clone()],
        None => defaults::PROXY_KUBECONFIGS
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    for x in proxy {
        let f = ctx.under(&x);
        if ctx.file(&f, "proxy-kubeconfig") {
            ctx.scan(&f);
        }
    }

    // PKI.
    let pki = ctx.under(&get(&p.pki_dir, defaults::PKI_DIR));
    if pki.is_dir() {
        walk_pki(&mut ctx, &pki, 0);
    } else {
        ctx.out
            .missing
            .push(format!("PKI directory ({})", pki.display()));
    }

    // CNI configuration.
    let cni = ctx.under(&get(&p.cni_dir, defaults::CNI_DIR));
    for f in list_dir(&cni) {
        if f.is_file() {
            ctx.file(&f, "cni-config");
        }
    }

    kubelet_of(&mut ctx, p, &kdir);

    let mut out = ctx.out;
    out.errors.sort();
    out
}

fn walk_pki(ctx: &mut Ctx<'_>, dir: &Path, depth: usize) {
    ctx.file(dir, "pki-dir");
    if depth > 8 {
        return;
    }
    for f in list_dir(dir) {
        let Ok(meta) = std::fs::symlink_metadata(&f) else {
            continue;
        };
        if meta.is_dir() {
            walk_pki(ctx, &f, depth + 1);
            continue;
        }
        let role = match f.extension().and_then(|e| e.to_str()) {
            Some("crt") => "pki-cert",
            Some("key") => "pki-key",
            _ => "pki-file",
        };
        ctx.file(&f, role);
    }
}

/// The kubelet: its service, flags, configuration file and the files they name.
fn kubelet_of(ctx: &mut Ctx<'_>, p: &NodePaths, kdir: &str) {
    let dirs: Vec<String> = if p.systemd_dirs.is_empty() {
        defaults::SYSTEMD_DIRS
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        p.systemd_dirs.clone()
    };
    let root = ctx.root.to_path_buf();
    let svc = systemd::read_service(&root, &dirs, &|f| Arc::from(f.to_string_lossy().as_ref()));
    for (f, e) in &svc.errors {
        ctx.error(f, None, format!("cannot read: {e}"));
    }
    for f in svc.files.clone() {
        ctx.file(&f, "kubelet-service");
    }
    if svc.files.is_empty() {
        ctx.out
            .missing
            .push("the kubelet's systemd service (kubelet.service)".into());
    }
    let words: Vec<&str> = svc.args.iter().flatten().map(|w| w.text.as_str()).collect();
    let flags = kubelet::Flags::parse(&words);
    let flag = |name: &str| {
        flags
            .last(name)
            .map(|(v, _)| v.to_string())
            .filter(|v| !v.is_empty())
    };

    let config_path = flag("config").or_else(|| {
        svc.args.is_none().then(|| {
            p.kubelet_config
                .clone()
                .unwrap_or_else(|| defaults::KUBELET_CONFIG.into())
        })
    });
    let mut config: Option<(Node, Arc<str>)> = None;
    if let Some(cp) = &config_path {
        let f = ctx.under(cp);
        if ctx.file(&f, "kubelet-config") {
            let shown = ctx.show(&f);
            let src = SourceFile {
                name: shown.clone(),
                path: Some(f.clone()),
            };
            match read_source(&src, DEFAULT_MAX_FILE_SIZE) {
                Ok(text) => {
                    for d in load_str(&text, &Limits::default()) {
                        match d {
                            Ok(d) if d.root.as_map().is_some() => {
                                config = Some((d.root, shown.clone()));
                                break;
                            }
                            Ok(_) => {}
                            Err(e) => ctx.error(&f, Some(e.pos), e.message),
                        }
                    }
                }
                Err(e) => ctx.out.errors.push(e),
            }
        } else if svc.args.is_some() {
            ctx.error(
                &f,
                None,
                "named by the kubelet's --config but not found on this node".into(),
            );
        }
    }
    if let Some(d) = flag("config-dir") {
        let dir = ctx.under(&d);
        ctx.out.skipped.push(Skipped {
            file: ctx.show(&dir),
            line: None,
            level: SkipLevel::Warning,
            reason: "kubelet configuration drop-ins (--config-dir) are not read: settings made there are not checked".into(),
        });
    }
    let kubeconfig = flag("kubeconfig")
        .unwrap_or_else(|| format!("{}/kubelet.conf", kdir.trim_end_matches('/')));
    let kc = ctx.under(&kubeconfig);
    if ctx.file(&kc, "kubelet-kubeconfig") {
        ctx.scan(&kc);
    }
    let ca = flag("client-ca-file").or_else(|| {
        config
            .as_ref()
            .and_then(|(c, _)| c.get_path(&["authentication", "x509", "clientCAFile"]))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    });
    if let Some(ca) = ca {
        let f = ctx.under(&ca);
        ctx.file(&f, "kubelet-client-ca");
    }
    if svc.args.is_none() && config.is_none() {
        return;
    }
    // The Kubelet object: args word by word, then the configuration file.
    let mut spec = Vec::new();
    let mut sources = Vec::new();
    if let Some(args) = &svc.args {
        let items: Vec<Node> = args
            .iter()
            .map(|w| Node::new(Value::String(w.text.as_str().into()), w.pos))
            .collect();
        for (i, w) in args.iter().enumerate() {
            sources.push((format!("spec.args[{i}]"), w.file.clone()));
        }
        let pos = items.first().map_or(Pos::new(1, 1), |n| n.pos);
        spec.push(("args", Node::new(Value::Seq(items), pos)));
    }
    let (file, id_pos) = match (&svc.exec_start, &config) {
        (Some((f, pos)), _) => (f.clone(), *pos),
        (None, Some((c, f))) => (f.clone(), c.pos),
        (None, None) => unreachable!("returned above"),
    };
    if let Some((c, f)) = config {
        sources.push(("spec.config".into(), f));
        spec.push(("config", c));
    }
    let spec = map(spec);
    let mut root = map(vec![
        ("apiVersion", text(kubelet::NODE_API_VERSION)),
        ("kind", text(kubelet::NODE_KIND)),
        ("metadata", map(vec![("name", text("kubelet"))])),
        ("spec", spec),
    ]);
    set_positions(&mut root, id_pos);
    ctx.out.objects.push(Synthetic {
        object: Object {
            root,
            id: ObjectRef {
                api_version: kubelet::NODE_API_VERSION.into(),
                kind: kubelet::NODE_KIND.into(),
                namespace: None,
                name: Some("kubelet".into()),
            },
            file,
            doc_index: 0,
            pod_specs: Vec::new(),
        },
        sources,
    });
}

/// Give the synthetic part of the Kubelet object (everything but `spec.args`
/// items and `spec.config`) the position of `ExecStart`.
fn set_positions(root: &mut Node, pos: Pos) {
    root.pos = pos;
    if let Value::Map(m) = &mut root.value {
        for e in &mut m.entries {
            e.key_pos = pos;
            match &*e.key {
                "spec" => {
                    e.value.pos = pos;
                    if let Value::Map(spec) = &mut e.value.value {
                        for s in &mut spec.entries {
                            if &*s.key == "args" {
                                s.key_pos = pos;
                                s.value.pos = pos;
                            } else {
                                s.key_pos = s.value.pos;
                            }
                        }
                    }
                }
                "metadata" => set_positions(&mut e.value, pos),
                _ => e.value.pos = pos,
            }
        }
    }
}

/// Run the selected rules over what was collected: the engine over the
/// files, the object rules over the node's objects; one report.
pub fn check(engine: &Engine, collected: Collected) -> Report {
    let mut report = engine.scan(&collected.files, &|| {});
    let scope = ScanScope {
        enabled: engine.rules().iter().map(|r| r.meta.name).collect(),
        namespaces: Namespaces::default(),
    };
    let mut findings: Vec<Finding> = Vec::new();
    for s in &collected.objects {
        let memo = Memo::default();
        let start = findings.len();
        for rule in engine.rules() {
            let (Check::Object(f) | Check::Namespaced(f)) = rule.check else {
                continue;
            };
            let mut ctx = ObjectCtx::new(
                &s.object,
                &rule.meta,
                engine.config(),
                &scope,
                &memo,
                &[],
                &mut findings,
            );
            f(&mut ctx);
        }
        for f in &mut findings[start..] {
            if let Some((_, file)) = s
                .sources
                .iter()
                .filter(|(prefix, _)| {
                    f.path == *prefix
                        || f.path.starts_with(prefix.as_str())
                            && f.path[prefix.len()..].starts_with(['.', '['])
                })
                .max_by_key(|(prefix, _)| prefix.len())
            {
                f.location.file = file.clone();
            }
        }
        report.objects.push(ScannedObject {
            object: s.object.id.clone(),
            location: Location {
                file: s.object.file.clone(),
                line: s.object.root.pos.line,
                column: s.object.root.pos.column,
            },
        });
        report.stats.objects += 1;
    }
    for mut f in findings {
        f.suppressed = engine.config().suppression_for(&f);
        if f.suppressed.is_some() {
            report.suppressed.push(f);
        } else {
            report.findings.push(f);
        }
    }
    let order = |a: &Finding, b: &Finding| {
        (&a.location, a.rule, &a.path, &a.message).cmp(&(&b.location, b.rule, &b.path, &b.message))
    };
    report.findings.sort_by(order);
    report.findings.dedup();
    report.suppressed.sort_by(order);
    report.errors.extend(collected.errors);
    report.skipped.extend(collected.skipped);
    report.skipped.sort();
    report.errors.sort();
    report.errors.dedup();
    report
        .objects
        .sort_by(|a, b| (&a.location, &a.object).cmp(&(&b.location, &b.object)));
    report
}

//! Control-plane command lines read from pod specs, the way the components
//! themselves read them.
//!
//! A container's command line is its `command` followed by its `args` (or the
//! image's entrypoint followed by `args` when `command` is absent). Which
//! component a container runs is read from the program it starts
//! (`command[0]`, also through `hyperkube`), or from the image name when
//! `command` is absent; never from a file name.
//!
//! The Kubernetes components parse their flags with spf13/pflag:
//! `--flag=value` and `--flag value` (the next word is the value whatever it
//! looks like), a bare `--flag` is `true` for boolean flags, flags and other
//! words may be interleaved, `--` ends the flags, a repeated scalar flag keeps
//! the last value, a repeated list flag (`--enable-admission-plugins`)
//! appends, and a repeated map flag (`--feature-gates`) merges. etcd uses Go's
//! `flag` package: one or two dashes, the same last-one-wins rule, parsing
//! stops at the first word that is not a flag, a boolean flag never takes the
//! next word, and settings not given as flags are read from `ETCD_*`
//! environment variables.

use std::collections::BTreeMap;

use kubefort_core::object::{Container, ContainerKind, PodSpec};
use kubefort_core::{FieldPath, Node, ObjectCtx};

/// A control-plane (or node) component recognised in a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Component {
    ApiServer,
    ControllerManager,
    Scheduler,
    Etcd,
    Proxy,
}

impl Component {
    pub fn binary(self) -> &'static str {
        match self {
            Component::ApiServer => "kube-apiserver",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Etcd => "etcd",
            Component::Proxy => "kube-proxy",
        }
    }

    /// The component a program name runs (`kube-apiserver`,
    /// `/usr/local/bin/kube-apiserver`). hyperkube's subcommands may also
    /// be the short names (`apiserver`); as programs those are other
    /// projects' servers, not Kubernetes components.
    fn from_program(name: &str, hyperkube: bool) -> Option<Component> {
        let base = name.rsplit('/').next().unwrap_or(name);
        Some(match base {
            "kube-apiserver" => Component::ApiServer,
            "kube-controller-manager" => Component::ControllerManager,
            "kube-scheduler" => Component::Scheduler,
            "etcd" if !hyperkube => Component::Etcd,
            "kube-proxy" => Component::Proxy,
            "apiserver" if hyperkube => Component::ApiServer,
            "controller-manager" if hyperkube => Component::ControllerManager,
            "scheduler" if hyperkube => Component::Scheduler,
            "proxy" if hyperkube => Component::Proxy,
            _ => return None,
        })
    }

    /// The component an image runs when the pod does not set `command`:
    /// the last segment of the repository, without tag or digest, with an
    /// architecture suffix allowed (`registry.k8s.io/kube-apiserver-amd64:v1.37.0`).
    fn from_image(image: &str) -> Option<Component> {
        let no_digest = image.split('@').next().unwrap_or(image);
        let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
        let repo = last.split(':').next().unwrap_or(last);
        let repo = ["-amd64", "-arm64", "-arm", "-ppc64le", "-s390x"]
            .iter()
            .find_map(|s| repo.strip_suffix(s))
            .unwrap_or(repo);
        match repo {
            "kube-apiserver" => Some(Component::ApiServer),
            "kube-controller-manager" => Some(Component::ControllerManager),
            "kube-scheduler" => Some(Component::Scheduler),
            "etcd" => Some(Component::Etcd),
            "kube-proxy" => Some(Component::Proxy),
            _ => None,
        }
    }

    /// Boolean flags: a bare `--flag` is `true`, and the next word is never
    /// its value.
    fn bool_flags(self) -> &'static [&'static str] {
        match self {
            Component::ApiServer => &[
                "allow-privileged",
                "anonymous-auth",
                "audit-log-compress",
                "audit-log-truncate-enabled",
                "audit-webhook-truncate-enabled",
                "contention-profiling",
                "enable-aggregator-routing",
                "enable-bootstrap-token-auth",
                "enable-garbage-collector",
                "enable-logs-handler",
                "enable-priority-and-fairness",
                "profiling",
                "service-account-extend-token-expiration",
                "service-account-lookup",
                "watch-cache",
                "logtostderr",
                "alsologtostderr",
                "help",
                "version",
            ],
            Component::ControllerManager => &[
                "allocate-node-cidrs",
                "configure-cloud-routes",
                "contention-profiling",
                "enable-dynamic-provisioning",
                "enable-garbage-collector",
                "enable-hostpath-provisioner",
                "enable-leader-migration",
                "leader-elect",
                "profiling",
                "use-service-account-credentials",
                "logtostderr",
                "alsologtostderr",
                "help",
                "version",
            ],
            Component::Scheduler => &[
                "contention-profiling",
                "leader-elect",
                "profiling",
                "logtostderr",
                "alsologtostderr",
                "help",
                "version",
            ],
            Component::Etcd => &[
                "auto-tls",
                "client-cert-auth",
                "enable-grpc-gateway",
                "enable-pprof",
                "enable-v2",
                "experimental-initial-corrupt-check",
                "experimental-peer-skip-client-san-verification",
                "force-new-cluster",
                "peer-auto-tls",
                "peer-client-cert-auth",
                "strict-reconfig-check",
                "help",
                "version",
            ],
            Component::Proxy => &["masquerade-all", "profiling", "cleanup", "help", "version"],
        }
    }
}

/// One flag as written, with where it is written.
#[derive(Clone, Debug)]
pub struct Flag {
    pub name: String,
    /// `None` for a bare boolean flag (`--profiling`), which means `true`.
    pub value: Option<String>,
    /// The `command`/`args` entry of the flag's name (or the `env` entry).
    pub path: FieldPath,
}

impl Flag {
    /// The value as text (`true` for a bare boolean flag).
    pub fn text(&self) -> &str {
        self.value.as_deref().unwrap_or("true")
    }
}

/// A component's command line in one container.
#[derive(Clone, Debug)]
pub struct CommandLine {
    pub component: Component,
    pub container: FieldPath,
    /// Where a missing flag belongs: `command`, else `args`, else the container.
    pub anchor: FieldPath,
    /// `container "kube-apiserver"`.
    pub described: String,
    pub flags: Vec<Flag>,
}

/// What a boolean flag's value reads as (Go's `strconv.ParseBool`).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

impl CommandLine {
    /// The effective occurrence of a scalar flag: the last one.
    pub fn get(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }

    /// The value of a scalar flag, when set.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(Flag::text)
    }

    /// A boolean flag: its value (`None` when it does not parse, which the
    /// component refuses at start-up) and where it is set.
    pub fn bool(&self, name: &str) -> Option<(Option<bool>, &Flag)> {
        self.get(name).map(|f| (parse_bool(f.text()), f))
    }

    /// A list flag (pflag `StringSlice`): the values of every occurrence,
    /// appended, and the last occurrence. Values are comma-separated, not
    /// trimmed (as pflag reads them).
    pub fn list(&self, name: &str) -> Option<(Vec<&str>, &Flag)> {
        let mut values = Vec::new();
        let mut last = None;
        for f in self.flags.iter().filter(|f| f.name == name) {
            let text = f.text();
            if !text.is_empty() {
                values.extend(text.split(','));
            }
            last = Some(f);
        }
        last.map(|l| (values, l))
    }

    /// A `key=bool` map flag (`--feature-gates`): occurrences merge, later
    /// keys win. Keys are trimmed as the feature-gate parser trims them.
    pub fn bool_map(&self, name: &str) -> BTreeMap<String, (Option<bool>, &Flag)> {
        let mut out = BTreeMap::new();
        for f in self.flags.iter().filter(|f| f.name == name) {
            for pair in f.text().split(',') {
                let pair = pair.trim();
                if pair.is_empty() {
                    continue;
                }
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                out.insert(k.trim().to_string(), (parse_bool(v.trim()), f));
            }
        }
        out
    }
}

/// One word of a command line and where it is written.
struct Word<'a> {
    text: &'a str,
    path: FieldPath,
}

fn words<'a>(node: Option<&'a Node>, path: FieldPath) -> Vec<Word<'a>> {
    let Some(items) = node.and_then(Node::as_seq) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            Some(Word {
                text: n.as_str()?,
                path: path.index(i),
            })
        })
        .collect()
}

/// The component a container runs and its command line, if it is one.
pub fn command_line(c: &Container<'_>) -> Option<CommandLine> {
    let command = c.node.get("command");
    let cmd = words(command, c.path.key("command"));
    let args = words(c.node.get("args"), c.path.key("args"));
    let has_command = command
        .and_then(Node::as_seq)
        .is_some_and(|s| !s.is_empty());
    let (component, skip) = if has_command {
        let first = cmd.first()?.text;
        let base = first.rsplit('/').next().unwrap_or(first);
        if base == "hyperkube" {
            (Component::from_program(cmd.get(1)?.text, true)?, 2)
        } else {
            (Component::from_program(first, false)?, 1)
        }
    } else {
        (Component::from_image(c.node.str_at("image")?)?, 0)
    };
    let argv: Vec<Word<'_>> = cmd.into_iter().chain(args).skip(skip).collect();
    let anchor = if c.node.get("command").is_some() {
        c.path.key("command")
    } else if c.node.get("args").is_some() {
        c.path.key("args")
    } else {
        c.path.clone()
    };
    let mut flags = if component == Component::Etcd {
        parse_goflag(&argv, component)
    } else {
        parse_pflag(&argv, component)
    };
    if component == Component::Etcd {
        add_etcd_env(c, &mut flags);
    }
    Some(CommandLine {
        component,
        container: c.path.clone(),
        anchor,
        described: c.describe(),
        flags,
    })
}

fn parse_pflag(argv: &[Word<'_>], component: Component) -> Vec<Flag> {
    let words: Vec<(&str, &FieldPath)> = argv.iter().map(|w| (w.text, &w.path)).collect();
    pflag_words(&words, component.bool_flags())
        .into_iter()
        .map(|(name, value, path)| Flag {
            name,
            value,
            path: path.clone(),
        })
        .collect()
}

/// Read words as spf13/pflag does: `(name, value, where)` for every long
/// flag; `bools` are the boolean flags (a bare `--flag` is `true`).
pub fn pflag_words<L: Clone>(
    argv: &[(&str, L)],
    bools: &[&str],
) -> Vec<(String, Option<String>, L)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        let (text, at) = &argv[i];
        i += 1;
        if *text == "--" {
            break;
        }
        let Some(body) = text.strip_prefix("--") else {
            // A positional word or a shorthand (`-v=2`): not a long flag.
            continue;
        };
        if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
            continue;
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None if bools.contains(&body) => (body, None),
            None => match argv.get(i) {
                // pflag takes the next word as the value whatever it is; for a
                // flag it does not know, a word that is itself a flag is more
                // likely the next flag than a value.
                Some((next, _)) if !next.starts_with('-') || known_value_flag(body) => {
                    i += 1;
                    (body, Some(next.to_string()))
                }
                _ => (body, None),
            },
        };
        out.push((name.to_string(), value, at.clone()));
    }
    out
}

/// Flags that always take a value, whatever the next word looks like.
fn known_value_flag(name: &str) -> bool {
    name.ends_with("-file")
        || name.ends_with("-path")
        || name.ends_with("-address")
        || name.ends_with("-mode")
        || name.ends_with("-plugins")
}

fn parse_goflag(argv: &[Word<'_>], component: Component) -> Vec<Flag> {
    let bools = component.bool_flags();
    let mut out = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        let w = &argv[i];
        i += 1;
        let t = w.text;
        if t.len() < 2 || !t.starts_with('-') {
            break; // Go's flag package stops at the first non-flag word.
        }
        if t == "--" {
            break;
        }
        let body = t.strip_prefix("--").unwrap_or(&t[1..]);
        if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
            break;
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None if bools.contains(&body) => (body, None),
            None => match argv.get(i) {
                Some(next) => {
                    i += 1;
                    (body, Some(next.text.to_string()))
                }
                None => (body, None),
            },
        };
        out.push(Flag {
            name: name.to_string(),
            value,
            path: w.path.clone(),
        });
    }
    out
}

/// etcd reads `ETCD_<FLAG>` variables for the flags not given on its command line.
fn add_etcd_env(c: &Container<'_>, flags: &mut Vec<Flag>) {
    let Some(env) = c.node.get("env").and_then(Node::as_seq) else {
        return;
    };
    let mut extra = Vec::new();
    for (i, e) in env.iter().enumerate() {
        let (Some(name), Some(value)) = (e.str_at("name"), e.str_at("value")) else {
            continue;
        };
        let Some(flag) = name.strip_prefix("ETCD_") else {
            continue;
        };
        let flag = flag.to_ascii_lowercase().replace('_', "-");
        if flags.iter().any(|f| f.name == flag) {
            continue;
        }
        extra.push(Flag {
            name: flag,
            value: Some(value.to_string()),
            path: c.path.key("env").index(i),
        });
    }
    // Environment settings apply only where no flag is given; put them first
    // so a flag would win as the last occurrence.
    extra.append(flags);
    *flags = extra;
}

/// Every component command line in the object's pod specs (regular and init
/// containers).
pub fn command_lines(specs: &[PodSpec<'_>]) -> Vec<CommandLine> {
    specs
        .iter()
        .flat_map(|s| s.containers_of(&[ContainerKind::Container, ContainerKind::Init]))
        .filter_map(|c| command_line(&c))
        .collect()
}

/// The command lines of the object, parsed once for every CIS rule.
pub fn of_object<'a>(ctx: &ObjectCtx<'a>) -> &'a [CommandLine] {
    if ctx.pod_specs().is_empty() {
        return &[];
    }
    let specs = ctx.pod_specs();
    ctx.memo()
        .get_or_init("cis-command-lines", || command_lines(specs))
}

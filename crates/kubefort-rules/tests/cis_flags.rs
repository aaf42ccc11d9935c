//! Command lines read as the components read them.

use kubefort_core::object::{extract, pod_spec_paths, Extracted, Object};
use kubefort_core::yaml::{load_str, Limits};
use kubefort_rules::cis::flags::{command_lines, parse_bool, pflag_words, Component};

fn lines(yaml: &str) -> Vec<kubefort_rules::cis::flags::CommandLine> {
    let docs = load_str(yaml, &Limits::default());
    let root = docs.into_iter().next().unwrap().unwrap().root;
    let Extracted::Objects(mut objs) = extract(root) else {
        panic!("not an object")
    };
    let (root, id) = objs.remove(0);
    let pod_specs = pod_spec_paths(&id, &[]);
    let o = Object {
        root,
        id,
        file: "t".into(),
        doc_index: 0,
        pod_specs,
    };
    command_lines(&o.pod_specs())
}

fn pod(command: &str, args: &str, image: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    image: {image}\n{command}{args}")
}

#[test]
fn pflag_spellings() {
    let w = |s: &[&str]| -> Vec<(String, Option<String>)> {
        let argv: Vec<(&str, usize)> = s.iter().map(|x| (*x, 0)).collect();
        pflag_words(&argv, &["profiling"])
            .into_iter()
            .map(|(n, v, _)| (n, v))
            .collect()
    };
    assert_eq!(
        w(&[
            "--a=1",
            "--b",
            "2",
            "--profiling",
            "false",
            "-v=2",
            "--c=x=y",
            "--d=",
            "--",
            "--e=3"
        ]),
        [
            ("a".into(), Some("1".into())),
            ("b".into(), Some("2".into())),
            ("profiling".into(), None),
            ("c".into(), Some("x=y".into())),
            ("d".into(), Some(String::new())),
        ]
    );
    // A value-taking flag takes the next word even when it starts with a dash.
    assert_eq!(
        w(&["--audit-log-path", "-"]),
        [("audit-log-path".into(), Some("-".into()))]
    );
    assert_eq!(parse_bool("T"), Some(true));
    assert_eq!(parse_bool("yes"), None);
}

#[test]
fn components_by_program_or_image() {
    let cl = lines(&pod(
        "    command: [/usr/local/bin/kube-controller-manager, --bind-address=0.0.0.0]\n",
        "",
        "example.com/anything:1",
    ));
    assert_eq!(cl[0].component, Component::ControllerManager);
    let cl = lines(&pod(
        "",
        "    args: [--profiling=false]\n",
        "registry.k8s.io/kube-scheduler-arm64:v1.37.0@sha256:0123",
    ));
    assert_eq!(cl[0].component, Component::Scheduler);
    assert_eq!(cl[0].value("profiling"), Some("false"));
    // Other projects' servers named like hyperkube's subcommands are not it.
    assert!(lines(&pod(
        "    command: [/bin/apiserver]\n",
        "    args: [--config=/config]\n",
        "gcr.io/ml-pipeline/api-server:2.0"
    ))
    .is_empty());
    let cl = lines(&pod(
        "    command: [/hyperkube, apiserver, --profiling=false]\n",
        "",
        "x",
    ));
    assert_eq!(cl[0].component, Component::ApiServer);
    // A shell wrapper is not the component.
    assert!(lines(&pod(
        "    command: [sh, -c, kube-apiserver --anonymous-auth=true]\n",
        "",
        "registry.k8s.io/kube-apiserver:v1.37.0"
    ))
    .is_empty());
    // Other images with a matching name elsewhere in the path are not it.
    assert!(lines(&pod(
        "",
        "    args: [--x]\n",
        "example.com/kube-apiserver/sidecar:1"
    ))
    .is_empty());
    // command and args concatenate.
    let cl = lines(&pod(
        "    command: [kube-apiserver, --enable-admission-plugins=A]\n",
        "    args: [--enable-admission-plugins, B]\n",
        "x",
    ));
    let (list, last) = cl[0].list("enable-admission-plugins").unwrap();
    assert_eq!(list, ["A", "B"]);
    assert_eq!(last.path.to_string(), "spec.containers[0].args[0]");
}

#[test]
fn etcd_uses_go_flag_rules_and_environment() {
    let cl = lines(&pod(
        "    command: [etcd, -client-cert-auth, --cert-file, /a.crt, positional, --key-file=/b.key]\n",
        "    env:\n    - {name: ETCD_KEY_FILE, value: /env.key}\n    - {name: ETCD_CLIENT_CERT_AUTH, value: \"false\"}\n",
        "x",
    ));
    let c = &cl[0];
    assert_eq!(c.bool("client-cert-auth").unwrap().0, Some(true));
    assert_eq!(c.value("cert-file"), Some("/a.crt"));
    // Parsing stopped at `positional`: the key comes from the environment.
    assert_eq!(c.value("key-file"), Some("/env.key"));
    assert_eq!(
        c.get("key-file").unwrap().path.to_string(),
        "spec.containers[0].env[0]"
    );
}

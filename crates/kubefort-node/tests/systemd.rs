//! The kubelet's command line as systemd assembles it.

use std::path::Path;
use std::sync::Arc;

use kubefort_node::systemd::read_service;

fn show(p: &Path) -> Arc<str> {
    Arc::from(p.to_string_lossy().as_ref())
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn words(root: &Path) -> Vec<(String, String, u32, u32)> {
    let svc = read_service(
        root,
        &[
            "/etc/systemd/system".into(),
            "/usr/lib/systemd/system".into(),
        ],
        &show,
    );
    let prefix = format!("{}/", root.display());
    svc.args
        .unwrap()
        .into_iter()
        .map(|w| {
            (
                w.text,
                w.file.trim_start_matches(&prefix).to_string(),
                w.pos.line,
                w.pos.column,
            )
        })
        .collect()
}

#[test]
fn environment_quoting_expansion_and_continuations() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(
        r,
        "usr/lib/systemd/system/kubelet.service",
        "[Service]\nExecStart=/usr/bin/kubelet\n",
    );
    write(
        r,
        "usr/lib/systemd/system/kubelet.service.d/10-a.conf",
        "[Service]\nEnvironment=\"A=--x=1 --y=2\" B=--z\nEnvironment='C=--c=with space'\nEnvironmentFile=-/etc/default/kubelet\nEnvironmentFile=-/nowhere\nExecStart=\nExecStart=-/usr/bin/kubelet $A ${C} \\\n  --last=yes $B $UNSET\n",
    );
    write(
        r,
        "etc/default/kubelet",
        "# comment\nexport B=\"--from-file\"\n",
    );
    let w = words(r);
    let got: Vec<(&str, &str, u32, u32)> = w
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), *c, *d))
        .collect();
    assert_eq!(
        got,
        [
            (
                "--x=1",
                "usr/lib/systemd/system/kubelet.service.d/10-a.conf",
                2,
                16
            ),
            (
                "--y=2",
                "usr/lib/systemd/system/kubelet.service.d/10-a.conf",
                2,
                22
            ),
            (
                "--c=with space",
                "usr/lib/systemd/system/kubelet.service.d/10-a.conf",
                3,
                16
            ),
            (
                "--last=yes",
                "usr/lib/systemd/system/kubelet.service.d/10-a.conf",
                8,
                3
            ),
            // EnvironmentFile= overrides Environment=.
            ("--from-file", "etc/default/kubelet", 2, 11),
        ]
    );
}

#[test]
fn no_exec_start_means_no_command_line() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(
        r,
        "etc/systemd/system/kubelet.service",
        "[Unit]\nDescription=x\n[Service]\nExecStart=/usr/bin/kubelet --a\nExecStart=\n",
    );
    let svc = read_service(r, &["/etc/systemd/system".into()], &show);
    assert!(svc.args.is_none());
    assert_eq!(svc.files.len(), 1);
}

#[test]
fn a_missing_required_environment_file_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(
        r,
        "etc/systemd/system/kubelet.service",
        "[Service]\nEnvironmentFile=/etc/kubelet.env\nExecStart=/usr/bin/kubelet\n",
    );
    let svc = read_service(r, &["/etc/systemd/system".into()], &show);
    assert_eq!(svc.errors.len(), 1);
    assert!(svc.errors[0].0.ends_with("etc/kubelet.env"));
}

#[test]
fn oversized_files_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(
        r,
        "etc/systemd/system/kubelet.service",
        "[Service]\nEnvironmentFile=/etc/kubelet.env\nExecStart=/usr/bin/kubelet $X\n",
    );
    let big = format!("X=\"{}\"\n", "--a ".repeat(1 << 19));
    write(r, "etc/kubelet.env", &big);
    let svc = read_service(r, &["/etc/systemd/system".into()], &show);
    assert_eq!(svc.errors.len(), 1, "{:?}", svc.errors);
    assert!(svc.errors[0].1.contains("larger than"), "{:?}", svc.errors);
}

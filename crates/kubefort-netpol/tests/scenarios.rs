//! Scenario tests: each directory under `tests/scenarios/` holds manifests
//! and `expected.txt`, the connectivity list derived by hand from the
//! NetworkPolicy specification, in netpol-analyzer's notation.

use std::path::Path;

use kubefort_netpol::format::{text, View};
use kubefort_netpol::{build, connectivity, load_objects, read_object};

fn run(dir: &Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut objects = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        objects.extend(load_objects(&f.display().to_string(), &text));
    }
    let (cluster, invalid) = build(objects.iter().filter_map(read_object));
    assert!(invalid.is_empty(), "{}: {invalid:?}", dir.display());
    let list = connectivity(&cluster);
    text(&View {
        cluster: &cluster,
        connectivity: &list,
        focus: None,
    })
}

#[test]
fn scenarios_match_their_expected_connectivity() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 6);
    let mut failed = Vec::new();
    for dir in dirs {
        let want = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
        let got = run(&dir);
        if got != want {
            failed.push(format!(
                "== {}\n-- expected\n{want}-- got\n{got}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

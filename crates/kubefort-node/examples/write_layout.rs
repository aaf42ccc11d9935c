//! Write a kubeadm-style node layout into a directory:
//! `cargo run -p kubefort-node --example write_layout -- DIR [kubeadm|hardened]`.

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), kind) = (args.next(), args.next()) else {
        eprintln!("usage: write_layout DIR [kubeadm|hardened]");
        std::process::exit(2);
    };
    let layout = match kind.as_deref() {
        None | Some("kubeadm") => kubefort_node::layout::Layout::Kubeadm,
        Some("hardened") => kubefort_node::layout::Layout::Hardened,
        Some(other) => {
            eprintln!("unknown layout {other}: kubeadm or hardened");
            std::process::exit(2);
        }
    };
    if let Err(e) = kubefort_node::layout::write(std::path::Path::new(&dir), layout) {
        eprintln!("{dir}: {e}");
        std::process::exit(1);
    }
}

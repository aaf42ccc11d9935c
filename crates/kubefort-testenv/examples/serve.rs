//! Start the test environment and keep it running until standard input
//! closes (or the process is killed): for trying `kubefort cluster` by hand
//! and for the cluster benchmark.
//!
//! ```text
//! cargo run -p kubefort-testenv --example serve -- [--allow-privileged]
//! ```
//!
//! Prints the admin kubeconfig's path on the first line of standard output.

use std::io::Read;

use kubefort_testenv::{Options, TestEnv};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut opts = Options::default();
    if std::env::args().any(|a| a == "--allow-privileged") {
        opts.extra_args.push("--allow-privileged=true".into());
    }
    let env = match TestEnv::start(opts).await {
        Ok(env) => env,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    println!("{}", env.kubeconfig.display());
    eprintln!("API server at {}; close standard input to stop", env.url);
    // Block until stdin closes; the environment stops when `env` drops.
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
    drop(env);
}

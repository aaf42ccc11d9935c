//! kubefort's validating admission webhook.
//!
//! `POST /validate` takes an `admission.k8s.io/v1` AdmissionReview, scans
//! the object with the same engine and rules as `kubefort scan`
//! ([`validate::Validator`]), and answers with a decision, warnings and
//! audit annotations chosen by the namespace's modes ([`policy`]). The
//! server ([`server`]) is hyper over rustls with bounded concurrency,
//! timeouts, a body limit, certificate reload and a graceful shutdown.

#[cfg(feature = "server")]
pub mod init;
pub mod metrics;
#[cfg(feature = "server")]
pub mod namespaces;
pub mod policy;
pub mod review;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod tls;
pub mod validate;

#[cfg(feature = "server")]
mod run;
#[cfg(feature = "server")]
pub use run::{run, RunConfig};

pub use policy::Policy;
pub use validate::Validator;

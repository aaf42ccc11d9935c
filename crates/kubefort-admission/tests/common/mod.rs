//! A real HTTPS client (rustls + hyper HTTP/1.1) and a running webhook
//! with freshly generated certificates, for the tests and benchmarks.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use kubefort_admission::init::generate;
use kubefort_admission::server::{Options, Running, State};
use kubefort_admission::tls::{CertFiles, ReloadingResolver};
use kubefort_admission::{Policy, Validator};

/// Certificates for 127.0.0.1 in a temporary directory.
pub struct Certs {
    pub dir: tempfile::TempDir,
    pub ca_pem: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Certs {
    pub fn new() -> Certs {
        let dir = tempfile::tempdir().unwrap();
        let c = generate(&["127.0.0.1".into(), "localhost".into()]).unwrap();
        let cert = dir.path().join("tls.crt");
        let key = dir.path().join("tls.key");
        std::fs::write(&cert, &c.cert).unwrap();
        std::fs::write(&key, &c.key).unwrap();
        Certs {
            dir,
            ca_pem: c.ca_cert,
            cert,
            key,
        }
    }

    /// Replace the files with a pair from a new CA; returns its PEM.
    pub fn rotate(&self) -> String {
        let c = generate(&["127.0.0.1".into(), "localhost".into()]).unwrap();
        // Write both to new files and rename, as a Secret volume update does.
        let tmp_c = self.dir.path().join("tls.crt.new");
        let tmp_k = self.dir.path().join("tls.key.new");
        std::fs::write(&tmp_c, &c.cert).unwrap();
        std::fs::write(&tmp_k, &c.key).unwrap();
        std::fs::rename(&tmp_k, &self.key).unwrap();
        std::fs::rename(&tmp_c, &self.cert).unwrap();
        c.ca_cert
    }

    pub fn resolver(&self) -> Arc<ReloadingResolver> {
        Arc::new(
            ReloadingResolver::new(CertFiles {
                cert: self.cert.clone(),
                key: self.key.clone(),
            })
            .unwrap(),
        )
    }
}

/// A webhook on 127.0.0.1 with a policy and options.
pub async fn start(policy: &str, opts: Options) -> (Running, Certs) {
    let certs = Certs::new();
    let policy = Policy::from_str_named(policy, "test.yaml").unwrap();
    let state = Arc::new(State::new(Validator::new(policy).unwrap(), None, opts));
    let running = Running::start("127.0.0.1:0".parse().unwrap(), state, certs.resolver())
        .await
        .unwrap();
    (running, certs)
}

pub fn tls_config(ca_pem: &str) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// A TLS stream to the server, verified against `ca_pem` for 127.0.0.1.
pub async fn tls_stream(
    addr: SocketAddr,
    ca_pem: &str,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from("127.0.0.1").unwrap();
    TlsConnector::from(tls_config(ca_pem))
        .connect(name, tcp)
        .await
}

/// One keep-alive HTTP/1.1 connection over TLS.
pub struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
}

/// A response: status, headers and body.
pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{e}: status {} body {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Conn {
    pub async fn open(addr: SocketAddr, ca_pem: &str) -> std::io::Result<Conn> {
        let tls = tls_stream(addr, ca_pem).await?;
        let (sender, conn) = http1::handshake(TokioIo::new(tls))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { sender })
    }

    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Reply, hyper::Error> {
        self.sender.ready().await?;
        let req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = self.sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await?.to_bytes().to_vec();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    pub async fn post(&mut self, path: &str, body: impl Into<Vec<u8>>) -> Reply {
        self.request("POST", path, body.into()).await.unwrap()
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.request("GET", path, Vec::new()).await.unwrap()
    }
}

/// An AdmissionReview for `object` (JSON text).
pub fn review(uid: &str, op: &str, namespace: &str, object: &str, old: Option<&str>) -> String {
    let v: serde_json::Value = serde_json::from_str(object).unwrap();
    let kind = v["kind"].as_str().unwrap_or_default();
    let api = v["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
    let name = v["metadata"]["name"].as_str().unwrap_or_default();
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"{uid}","kind":{{"group":"{group}","version":"{version}","kind":"{kind}"}},"resource":{{"group":"{group}","version":"{version}","resource":"x"}},"name":"{name}","namespace":"{namespace}","operation":"{op}","userInfo":{{"username":"alice","groups":["dev","system:authenticated"]}},"object":{object},"oldObject":{},"dryRun":false}}}}"#,
        old.unwrap_or("null")
    )
}

pub const PRIVILEGED_POD: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"priv","namespace":"NS"},"spec":{"containers":[{"name":"c","image":"registry.example/app:1.2.3","securityContext":{"privileged":true}}]}}"#;

pub const HARDENED_POD: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"hardened","namespace":"NS"},"spec":{"automountServiceAccountToken":false,"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"app","image":"registry.example/app:1.2.3","resources":{"requests":{"cpu":"50m","memory":"64Mi"},"limits":{"cpu":"100m","memory":"64Mi"}},"livenessProbe":{"httpGet":{"path":"/healthz","port":8080}},"readinessProbe":{"httpGet":{"path":"/readyz","port":8080}},"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}]}}"#;

/// Only warnings: a hardened pod without limits and with an untagged image.
pub const SLOPPY_POD: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"sloppy","namespace":"NS"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}"#;

pub fn in_ns(object: &str, ns: &str) -> String {
    object.replace("\"NS\"", &format!("\"{ns}\""))
}

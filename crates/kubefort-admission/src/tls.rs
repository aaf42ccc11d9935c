//! The serving certificate: read from PEM files, served through a resolver
//! whose certificate is swapped when the files change (cert-manager renews
//! them in place). Connections already open keep their session; new
//! handshakes get the new certificate.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::crypto::ring::default_provider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate and key pair read from files.
#[derive(Debug)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The PEM files' bytes, to notice a change.
type Snapshot = (Vec<u8>, Vec<u8>);

/// Serves the newest certificate that loaded without error.
#[derive(Debug)]
pub struct ReloadingResolver {
    files: CertFiles,
    current: RwLock<(Arc<CertifiedKey>, Snapshot)>,
}

fn read(files: &CertFiles) -> Result<Snapshot, String> {
    let cert = std::fs::read(&files.cert)
        .map_err(|e| format!("cannot read the certificate {}: {e}", files.cert.display()))?;
    let key = std::fs::read(&files.key)
        .map_err(|e| format!("cannot read the private key {}: {e}", files.key.display()))?;
    Ok((cert, key))
}

/// Parse a PEM certificate chain and private key into a signing key.
pub fn certified_key(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert_name: &Path,
    key_name: &Path,
) -> Result<CertifiedKey, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: not a PEM certificate: {e}", cert_name.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "{}: no certificate (expected a PEM block `BEGIN CERTIFICATE`)",
            cert_name.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
        format!(
            "{}: no private key (expected PEM `BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE KEY` or `BEGIN EC PRIVATE KEY`): {e}",
            key_name.display()
        )
    })?;
    let provider = default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("{}: unusable private key: {e}", key_name.display()))?;
    let ck = CertifiedKey::new(chain, signing);
    ck.keys_match().map_err(|e| {
        format!(
            "{} and {} do not belong together: {e}",
            cert_name.display(),
            key_name.display()
        )
    })?;
    Ok(ck)
}

impl ReloadingResolver {
    /// Load the files; an error says which file and what is wrong.
    pub fn new(files: CertFiles) -> Result<ReloadingResolver, String> {
        let snap = read(&files)?;
        let ck = certified_key(&snap.0, &snap.1, &files.cert, &files.key)?;
        Ok(ReloadingResolver {
            files,
            current: RwLock::new((Arc::new(ck), snap)),
        })
    }

    /// Read the files again; swap the certificate when they changed and
    /// load. `Ok(true)` when swapped, `Ok(false)` when unchanged, `Err`
    /// when the new files do not load (the old certificate stays).
    pub fn reload(&self) -> Result<bool, String> {
        let snap = read(&self.files)?;
        if self.current.read().unwrap_or_else(|e| e.into_inner()).1 == snap {
            return Ok(false);
        }
        let ck = certified_key(&snap.0, &snap.1, &self.files.cert, &self.files.key)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = (Arc::new(ck), snap);
        Ok(true)
    }

    /// The certificate now served.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }
}

impl ResolvesServerCert for ReloadingResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// The TLS configuration: TLS 1.2 and 1.3 with ring, HTTP/2 and HTTP/1.1
/// by ALPN, the certificate from `resolver`.
pub fn server_config(resolver: Arc<ReloadingResolver>) -> Arc<ServerConfig> {
    let mut c = ServerConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    c.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(c)
}

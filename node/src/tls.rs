//! TLS for the HTTP API and for the node's own HTTPS requests, with rustls and its *ring*
//! provider (never aws-lc or OpenSSL: `deny.toml` refuses them).
//!
//! * Server: [`server_config`] reads a PEM certificate chain and its private key
//!   (`[http] tls_cert`, `tls_key`); the listener then speaks only HTTPS
//!   ([`crate::http::listener`]).
//! * Client: [`client_tls`] gives the roots a client trusts: the certificates of a CA file
//!   (`--ca-file`, `PACTUM_CA_FILE`, `[events] ca_file` for webhooks), else the system's bundle.
//!   The operator commands ([`crate::client`]) and webhook deliveries use it.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use rustls::crypto::CryptoProvider;
use rustls_pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};

/// Where a system keeps its CA bundle (Debian, Fedora, Alpine, openSUSE); `SSL_CERT_FILE`
/// goes first, as with OpenSSL.
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
];

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("{path} is not a PEM certificate file: {reason}")]
    BadCertificate { path: PathBuf, reason: String },
    #[error("{path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1): {reason}")]
    BadKey { path: PathBuf, reason: String },
    #[error("the certificate and key cannot serve TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The crypto provider of every TLS connection the node makes or accepts.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The API's TLS configuration: the certificate chain in `cert` (PEM, leaf first) and its
/// private key in `key` (PEM). HTTP/1.1 only, as the listener serves.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let chain = read_certificates(cert)?;
    let key_bytes = read(key)?;
    let key_der = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|error| TlsError::BadKey {
        path: key.to_path_buf(),
        reason: error.to_string(),
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The client TLS configuration: trust the certificates in `ca_file`, or, without one, the
/// system's CA bundle ([`trusting_system`]).
pub fn client_tls(ca_file: Option<&Path>) -> Result<ureq::tls::TlsConfig, TlsError> {
    match ca_file {
        Some(path) => Ok(trusting(read_certificates(path)?)),
        None => Ok(trusting_system()),
    }
}

/// Trusts the system's CA bundle. A machine without one trusts nothing (every HTTPS request
/// then fails as untrusted), never everything.
pub fn trusting_system() -> ureq::tls::TlsConfig {
    trusting(system_roots())
}

fn trusting(roots: Vec<CertificateDer<'static>>) -> ureq::tls::TlsConfig {
    let roots: Vec<ureq::tls::Certificate<'static>> = roots
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(provider())
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(roots)))
        .build()
}

/// The system's CA certificates (`SSL_CERT_FILE`, else the first bundle found), or none.
fn system_roots() -> Vec<CertificateDer<'static>> {
    let from_env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    from_env
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from))
        .find(|path| path.is_file())
        .and_then(|path| read_certificates(&path).ok())
        .unwrap_or_default()
}

/// Every certificate of a PEM file; at least one.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::BadCertificate {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })?;
    if certificates.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certificates)
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

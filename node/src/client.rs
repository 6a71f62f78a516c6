//! A small blocking client of the node's HTTP API, used by the operator subcommands of
//! `pactum-node` and by the end-to-end tests. It speaks HTTPS to an `https://` URL, trusting
//! a given CA file or the system's CAs ([`crate::tls`]).

use std::{path::Path, time::Duration};

use serde::Serialize;
use serde_json::Value;

use crate::api::ErrorBody;

/// Largest response read (bundles of long orders are the big ones).
const MAX_RESPONSE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node answered with an API error.
    #[error("the node refused: {0}")]
    Api(ErrorAnswer),
    #[error("cannot reach the node at {url}: {reason}")]
    Transport { url: String, reason: String },
    /// The TLS session failed: most often a certificate this client does not trust.
    #[error("no trusted HTTPS connection to {url}: {reason} (a node whose certificate a private CA signed needs that CA: --ca-file or PACTUM_CA_FILE; a node serving plain HTTP needs an http:// URL)")]
    Tls { url: String, reason: String },
    #[error("cannot use the CA file: {0}")]
    CaFile(#[from] crate::tls::TlsError),
    #[error("the node sent an unreadable response ({status}): {reason}")]
    BadResponse { status: u16, reason: String },
}

impl ClientError {
    /// The API error code, when the node answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api(error) => Some(&error.code),
            _ => None,
        }
    }
}

/// An error answer of a node as this client reads it: the HTTP status it was answered with,
/// and the error's code, message and (for a fed document) path, as the node wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorAnswer {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub path: Option<String>,
}

impl std::fmt::Display for ErrorAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

/// A client bound to one node.
#[derive(Clone)]
pub struct ApiClient {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl ApiClient {
    /// `base` is the node's URL (`http://127.0.0.1:7300`, or `https://…`, trusting the
    /// system's CAs); `token` is needed for every call but `/health`.
    pub fn new(base: impl Into<String>, token: Option<String>) -> ApiClient {
        let base = base.into();
        // The system bundle is read only for HTTPS.
        let tls = base
            .starts_with("https://")
            .then(crate::tls::trusting_system);
        Self::with_tls(base, token, tls)
    }

    /// A client that trusts the CA certificates in `ca_file` (PEM) for HTTPS, or the system's
    /// CAs without one.
    pub fn with_ca_file(
        base: impl Into<String>,
        token: Option<String>,
        ca_file: Option<&Path>,
    ) -> Result<ApiClient, ClientError> {
        match ca_file {
            Some(path) => Ok(Self::with_tls(
                base.into(),
                token,
                Some(crate::tls::client_tls(Some(path))?),
            )),
            None => Ok(Self::new(base, token)),
        }
    }

    fn with_tls(base: String, token: Option<String>, tls: Option<ureq::tls::TlsConfig>) -> Self {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)));
        if let Some(tls) = tls {
            config = config.tls_config(tls);
        }
        ApiClient {
            agent: config.build().into(),
            base: base.trim_end_matches('/').to_string(),
            token,
        }
    }

    /// Adds the bearer token, when there is one (reads need it too, except `/health`).
    fn authorized<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(token) => request.header("Authorization", format!("Bearer {token}")),
            None => request,
        }
    }

    /// The bearer token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The node's URL this client talks to.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET `path`, expecting JSON.
    pub fn get(&self, path: &str) -> Result<Value, ClientError> {
        let url = self.url(path);
        let response = self
            .authorized(self.agent.get(&url))
            .call()
            .map_err(|error| transport(&url, error))?;
        json_of(response)
    }

    /// DELETE `path`, expecting JSON.
    pub fn delete(&self, path: &str) -> Result<Value, ClientError> {
        let url = self.url(path);
        let response = self
            .authorized(self.agent.delete(&url))
            .call()
            .map_err(|error| transport(&url, error))?;
        json_of(response)
    }

    /// GET `path`, returning the raw body (bundles, metrics).
    pub fn get_bytes(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        let url = self.url(path);
        let mut response = self
            .authorized(self.agent.get(&url))
            .call()
            .map_err(|error| transport(&url, error))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|error| ClientError::BadResponse {
                status,
                reason: error.to_string(),
            })?;
        if status >= 400 {
            return Err(api_error(status, &bytes));
        }
        Ok(bytes)
    }

    /// POST `body` as JSON to `path` with the bearer token.
    pub fn post<B: Serialize>(&self, path: &str, body: &B) -> Result<Value, ClientError> {
        let url = self.url(path);
        let request = self.agent.post(&url).content_type("application/json");
        let response = self
            .authorized(request)
            .send(encode_body(body)?)
            .map_err(|error| transport(&url, error))?;
        json_of(response)
    }

    /// POST a document as it is (`POST /ingest/…`: EPCIS JSON, CAP XML) to `path`.
    pub fn post_document(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Value, ClientError> {
        let url = self.url(path);
        let request = self.agent.post(&url).content_type(content_type);
        let response = self
            .authorized(request)
            .send(body)
            .map_err(|error| transport(&url, error))?;
        json_of(response)
    }

    /// PUT `body` as JSON to `path` with the bearer token.
    pub fn put<B: Serialize>(&self, path: &str, body: &B) -> Result<Value, ClientError> {
        let url = self.url(path);
        let request = self.agent.put(&url).content_type("application/json");
        let response = self
            .authorized(request)
            .send(encode_body(body)?)
            .map_err(|error| transport(&url, error))?;
        json_of(response)
    }
}

fn encode_body<B: Serialize>(body: &B) -> Result<String, ClientError> {
    serde_json::to_string(body).map_err(|error| ClientError::BadResponse {
        status: 0,
        reason: format!("cannot encode the request: {error}"),
    })
}

fn transport(url: &str, error: ureq::Error) -> ClientError {
    let url = url.to_string();
    let reason = error.to_string();
    if is_tls_failure(&error) {
        ClientError::Tls { url, reason }
    } else {
        ClientError::Transport { url, reason }
    }
}

/// Whether the request failed in the TLS layer (rustls reports through an I/O error).
fn is_tls_failure(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::Rustls(_) | ureq::Error::Tls(_) | ureq::Error::Pem(_) => true,
        ureq::Error::Io(io) => io
            .get_ref()
            .is_some_and(|inner| inner.is::<rustls::Error>()),
        _ => false,
    }
}

fn api_error(status: u16, bytes: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) => ClientError::Api(ErrorAnswer {
            status,
            code: body.error.code,
            message: body.error.message,
            path: body.error.path,
        }),
        Err(_) => ClientError::BadResponse {
            status,
            reason: String::from_utf8_lossy(bytes).chars().take(200).collect(),
        },
    }
}

fn json_of(mut response: ureq::http::Response<ureq::Body>) -> Result<Value, ClientError> {
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(|error| ClientError::BadResponse {
            status,
            reason: error.to_string(),
        })?;
    if status >= 400 {
        return Err(api_error(status, &bytes));
    }
    serde_json::from_slice(&bytes).map_err(|error| ClientError::BadResponse {
        status,
        reason: format!("not JSON: {error}"),
    })
}

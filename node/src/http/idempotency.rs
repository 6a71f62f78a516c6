//! `Idempotency-Key` on every write (POST, PUT, PATCH, DELETE), as Stripe's API has it: a
//! client that did not get an answer (timeout, lost connection) sends the same request with the
//! same key and gets the original answer instead of doing the write twice.
//!
//! The first answer (any status below 500: a refusal is an answer too; a 5xx may be retried)
//! is stored with a fingerprint of the request (method, path, body) in the node's store
//! (space `idempotency`), flushed before it is returned. Then:
//! * same key, same request → the stored answer, with `Idempotent-Replayed: true`;
//! * same key, another request → `422 idempotency_key_reused`, nothing done;
//! * same key while the first is still running → `409 idempotency_key_in_use`.
//!
//! Keys are kept [`RETENTION_MS`] (24 h). A crash after the write and before its answer is
//! stored leaves no record: the retry runs again, which the node's writes survive (a signed
//! fact sent twice gets its original answer; proposals, acceptances and reviews are refused
//! or replaced, not doubled).

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::HttpError;
use crate::{
    api::{ApiError, Code},
    durable::{Space, Store, WriteBatch},
    engine::records,
};

/// Key (the header's bytes) → [`Answer`].
pub const IDEMPOTENCY: Space = Space::new("idempotency");
/// How long a key is remembered.
pub const RETENTION_MS: u64 = 24 * 3_600 * 1_000;
/// Longest key accepted.
pub const MAX_KEY_LENGTH: usize = 255;
/// Largest answer kept (write answers are small JSON documents).
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Answer {
    /// SHA-256 of method, path and body.
    #[serde(with = "serde_bytes")]
    fingerprint: Vec<u8>,
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
    /// When it was stored (Unix ms).
    at_ms: u64,
}

/// The idempotency keys of one node.
pub struct IdempotencyKeys {
    store: Arc<Store>,
    /// Keys whose first request is running.
    in_flight: Mutex<HashSet<Vec<u8>>>,
}

impl IdempotencyKeys {
    /// Keys kept in `store`; expired ones are removed by a background task (started on the
    /// current runtime) while the keys are in use.
    pub fn new(store: Arc<Store>) -> Arc<IdempotencyKeys> {
        let keys = Arc::new(IdempotencyKeys {
            store,
            in_flight: Mutex::new(HashSet::new()),
        });
        tokio::spawn(prune_forever(Arc::downgrade(&keys)));
        keys
    }

    fn stored(&self, key: &[u8], now: u64) -> Result<Option<Answer>, HttpError> {
        let answer: Option<Answer> =
            records::read(&self.store, IDEMPOTENCY, key, "idempotency key")
                .map_err(|error| HttpError(ApiError::internal(error.to_string())))?;
        Ok(answer.filter(|answer| !expired(answer, now)))
    }

    async fn store(&self, key: &[u8], answer: &Answer) -> Result<(), String> {
        let mut batch = WriteBatch::new();
        batch.put(
            IDEMPOTENCY,
            key,
            records::encode("idempotency key", answer).map_err(|error| error.to_string())?,
        );
        self.store
            .commit(batch)
            .await
            .map(drop)
            .map_err(|error| error.to_string())
    }

    /// Marks `key` as running; `None` if it already is.
    fn start(self: &Arc<Self>, key: &[u8]) -> Option<Running> {
        let mut in_flight = self.in_flight.lock().ok()?;
        in_flight.insert(key.to_vec()).then(|| Running {
            keys: self.clone(),
            key: key.to_vec(),
        })
    }

    /// Removes keys older than [`RETENTION_MS`].
    fn prune(&self, now: u64) {
        let mut batch = WriteBatch::new();
        for (key, value) in self.store.scan_prefix(IDEMPOTENCY, []).flatten() {
            let answer: Result<Answer, _> = records::decode("idempotency key", &value);
            if answer.is_ok_and(|answer| expired(&answer, now)) {
                batch.remove(IDEMPOTENCY, key);
            }
        }
        if !batch.is_empty() {
            let _ = self.store.try_submit(batch);
        }
    }
}

/// Removes its key from the running set when the request ends, however it ends.
struct Running {
    keys: Arc<IdempotencyKeys>,
    key: Vec<u8>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut in_flight) = self.keys.in_flight.lock() {
            in_flight.remove(&self.key);
        }
    }
}

fn expired(answer: &Answer, now: u64) -> bool {
    now.saturating_sub(answer.at_ms) > RETENTION_MS
}

async fn prune_forever(keys: std::sync::Weak<IdempotencyKeys>) {
    loop {
        match keys.upgrade() {
            Some(keys) => keys.prune(now_ms()),
            None => return,
        }
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
}

/// The middleware: see the module documentation. Reads carry no key and pass through; so does
/// every request when the node keeps no keys (test doubles).
pub async fn middleware(
    axum::extract::State(keys): axum::extract::State<Option<Arc<IdempotencyKeys>>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let is_write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let key = request.headers().get("idempotency-key").cloned();
    let (Some(keys), Some(key), true) = (keys, key, is_write) else {
        return next.run(request).await;
    };
    once(&keys, key.as_bytes(), request, next).await
}

async fn once(
    keys: &Arc<IdempotencyKeys>,
    key: &[u8],
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    if let Err(error) = check_key(key) {
        return error.into_response();
    }
    let (parts, body) = request.into_parts();
    // The body was read whole, within the size limit, by the layer before this one.
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let fingerprint = fingerprint(&parts, &body);
    let now = now_ms();
    match keys.stored(key, now) {
        Ok(Some(answer)) => return replay(answer, &fingerprint),
        Ok(None) => {}
        Err(error) => return error.into_response(),
    }
    let Some(_running) = keys.start(key) else {
        return HttpError(ApiError::new(
            Code::IdempotencyKeyInUse,
            "a request with this Idempotency-Key is still running; retry once it answered",
        ))
        .into_response();
    };
    // Stored meanwhile by a request that just finished.
    match keys.stored(key, now) {
        Ok(Some(answer)) => return replay(answer, &fingerprint),
        Ok(None) => {}
        Err(error) => return error.into_response(),
    }
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    if response.status().is_server_error() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_ANSWER_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let answer = Answer {
        fingerprint,
        status: parts.status.as_u16(),
        content_type: header_text(&parts.headers, header::CONTENT_TYPE),
        location: header_text(&parts.headers, header::LOCATION),
        body: body.to_vec(),
        at_ms: now,
    };
    if let Err(error) = keys.store(key, &answer).await {
        // The write is done; its answer goes out, only a retry would run it again.
        tracing::warn!(%error, "cannot store an idempotency key's answer");
    }
    Response::from_parts(parts, Body::from(body))
}

fn check_key(key: &[u8]) -> Result<(), HttpError> {
    let printable = key.iter().all(|byte| (0x21..=0x7e).contains(byte));
    if key.is_empty() || key.len() > MAX_KEY_LENGTH || !printable {
        return Err(HttpError(ApiError::new(
            Code::InvalidIdempotencyKey,
            format!("Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters without spaces (a UUID is a good key)"),
        )));
    }
    Ok(())
}

/// What makes two requests "the same": method, path with query, the caller's token and the
/// body's bytes.
fn fingerprint(parts: &axum::http::request::Parts, body: &[u8]) -> Vec<u8> {
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let mut hash = Sha256::new();
    for field in [
        parts.method.as_str().as_bytes(),
        parts
            .uri
            .path_and_query()
            .map_or("", |p| p.as_str())
            .as_bytes(),
        token,
    ] {
        hash.update((field.len() as u64).to_be_bytes());
        hash.update(field);
    }
    hash.update(body);
    hash.finalize().to_vec()
}

/// The stored answer, or a refusal when the key came with another request.
fn replay(answer: Answer, fingerprint: &[u8]) -> Response {
    if answer.fingerprint != fingerprint {
        return HttpError(ApiError::new(
            Code::IdempotencyKeyReused,
            "this Idempotency-Key was used for a different request (method, path, token or body); use a new key for a new request",
        ))
        .into_response();
    }
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, answer.content_type),
        (header::LOCATION, answer.location),
    ] {
        if let Some(value) = value.and_then(|value| HeaderValue::from_str(&value).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

fn header_text(headers: &axum::http::HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(String::from)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

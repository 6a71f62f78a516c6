//! The evolution-trail page over HTTP, and share links for customers.
//!
//! * `GET /orders/{id}/trail[?lang=zh]`: the page (`verifier::page`) for the order's current
//!   bundle, verified in the reader's browser against this node's trust file (its log key and
//!   the witnesses that cosigned its latest checkpoint).
//! * `POST /orders/{id}/share` (a write: bearer token) with `{"expires_in_seconds": N}` or `{}`:
//!   a read-only capability — a random 256-bit token — and its path `/share/{token}`.
//! * `GET /share/{token}[?lang=]` serves the page, `GET /share/{token}/bundle` the bundle and
//!   `GET /share/{token}/head` this node's signed head of the order (readable from any origin:
//!   a page saved from the link, or served by another party's node, asks for it), and nothing
//!   else: the token names one order, can expire, and
//!   `DELETE /orders/{id}/share/{token}` revokes it. An unknown, expired or revoked token is
//!   the same 404, so a guess learns nothing.
//!
//! The page from a share link carries the address of the link's `/head` on this node (from the
//! request's `Host`), so that it, or a copy saved later, says whether its bundle is still the
//! latest; the page from `/orders/{id}/trail` carries this node's `/orders/{id}/head` (asked
//! with whatever lets the reader's browser in). Either also asks the head addresses of the
//! trust file it carries (`heads`, see `verifier::bundle::TrustFile`).
//!
//! Share tokens are kept in `shares.json` in the node's data directory (replaced atomically),
//! so a link outlives a restart and a revocation is never forgotten.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::api::ApiError;

/// One share link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub order: String,
    /// Seconds since 1970.
    pub created_at: u64,
    pub expires_at: Option<u64>,
    pub revoked: bool,
}

/// The node's share links, by token.
#[derive(Debug)]
pub struct Shares {
    file: Option<PathBuf>,
    tokens: Mutex<BTreeMap<String, Share>>,
}

/// Seconds since 1970 by the node's clock (share links expire by wall time).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl Shares {
    /// Share links kept only in memory (tests, and nodes without a data directory).
    pub fn in_memory() -> Shares {
        Shares {
            file: None,
            tokens: Mutex::new(BTreeMap::new()),
        }
    }

    /// The share links stored in `file`, if it exists.
    pub fn open(file: PathBuf) -> Result<Shares, ApiError> {
        let tokens = match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| {
                ApiError::internal(format!("{} is unreadable: {error}", file.display()))
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(error) => {
                return Err(ApiError::internal(format!(
                    "cannot read {}: {error}",
                    file.display()
                )))
            }
        };
        Ok(Shares {
            file: Some(file),
            tokens: Mutex::new(tokens),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Share>> {
        // A poisoned lock only means another request panicked mid-update of a map that is
        // rewritten whole: the map itself is still consistent.
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn save(&self, tokens: &BTreeMap<String, Share>) -> Result<(), ApiError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let io = |error: std::io::Error| {
            ApiError::internal(format!("cannot write {}: {error}", file.display()))
        };
        let bytes = serde_json::to_vec_pretty(tokens)
            .map_err(|error| ApiError::internal(error.to_string()))?;
        let temporary = file.with_extension("json.tmp");
        std::fs::write(&temporary, bytes).map_err(io)?;
        std::fs::rename(&temporary, file).map_err(io)
    }

    /// A new link to `order`, expiring `expires_in` seconds after `now` if given.
    pub fn create(
        &self,
        order: &str,
        expires_in: Option<u64>,
        now: u64,
    ) -> Result<(String, Share), ApiError> {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random)
            .map_err(|error| ApiError::internal(format!("no randomness for a token: {error}")))?;
        let token = hex::encode(random);
        let share = Share {
            order: order.to_string(),
            created_at: now,
            expires_at: expires_in.map(|seconds| now.saturating_add(seconds)),
            revoked: false,
        };
        let mut tokens = self.lock();
        tokens.insert(token.clone(), share.clone());
        if let Err(error) = self.save(&tokens) {
            tokens.remove(&token);
            return Err(error);
        }
        Ok((token, share))
    }

    /// Revokes `token` if it is a link to `order`; false if there is no such link.
    pub fn revoke(&self, order: &str, token: &str) -> Result<bool, ApiError> {
        let mut tokens = self.lock();
        let Some(share) = tokens.get_mut(token).filter(|share| share.order == order) else {
            return Ok(false);
        };
        let was = share.revoked;
        share.revoked = true;
        if let Err(error) = self.save(&tokens) {
            if let Some(share) = tokens.get_mut(token) {
                share.revoked = was;
            }
            return Err(error);
        }
        Ok(true)
    }

    /// The order `token` opens at `now`: none if unknown, revoked or expired.
    pub fn resolve(&self, token: &str, now: u64) -> Option<String> {
        let tokens = self.lock();
        let share = tokens.get(token)?;
        let live = !share.revoked && share.expires_at.is_none_or(|at| now < at);
        live.then(|| share.order.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_its_order_until_it_expires_or_is_revoked() {
        let shares = Shares::in_memory();
        let (token, share) = shares.create("ab", Some(60), 1_000).expect("created");
        assert_eq!(token.len(), 64);
        assert_eq!(share.expires_at, Some(1_060));
        assert_eq!(shares.resolve(&token, 1_059).as_deref(), Some("ab"));
        assert_eq!(shares.resolve(&token, 1_060), None);
        let (forever, _) = shares.create("ab", None, 1_000).expect("created");
        assert!(!shares.revoke("cd", &forever).expect("no error"));
        assert!(shares.revoke("ab", &forever).expect("revoked"));
        assert_eq!(shares.resolve(&forever, 1_000), None);
        assert_eq!(shares.resolve("00", 1_000), None);
    }

    #[test]
    fn links_and_revocations_survive_a_restart() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("shares.json");
        let shares = Shares::open(file.clone()).expect("opened");
        let (kept, _) = shares.create("ab", None, 1).expect("created");
        let (revoked, _) = shares.create("ab", None, 1).expect("created");
        assert!(shares.revoke("ab", &revoked).expect("revoked"));
        let reopened = Shares::open(file).expect("reopened");
        assert_eq!(reopened.resolve(&kept, 2).as_deref(), Some("ab"));
        assert_eq!(reopened.resolve(&revoked, 2), None);
    }
}

/// The HTTP handlers of the trail page and share links.
pub(super) mod routes {
    use axum::{
        extract::State,
        http::{header, HeaderMap, HeaderValue, StatusCode},
        response::{IntoResponse, Response},
        Json,
    };
    use serde::Deserialize;
    use serde_json::{json, Value};
    use verifier::trail::Lang;

    use super::super::{
        extract::ApiJson, extract::ApiPath, extract::OrderId, ApiQuery, AppState, HttpError,
    };
    use super::now;
    use crate::api::{ApiError, NodeApi};

    #[derive(Deserialize)]
    pub struct PageQuery {
        lang: Option<String>,
    }

    /// `POST /orders/{id}/share`: `{}`, or when the link expires.
    #[derive(Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ShareRequest {
        /// Seconds from now until the link expires; absent: it does not expire (until revoked).
        #[serde(default)]
        expires_in_seconds: Option<u64>,
    }

    fn lang(query: Option<&PageQuery>) -> Result<Lang, HttpError> {
        match query.and_then(|query| query.lang.as_deref()) {
            None => Ok(Lang::En),
            Some(code) => Lang::from_code(code).ok_or_else(|| {
                HttpError(ApiError::new(
                    crate::api::Code::BadLang,
                    "lang is one of en, zh, de",
                ))
            }),
        }
    }

    /// The page for `order`'s current bundle, with this node's trust file and the addresses of
    /// parties' heads it asks once it has verified the bundle.
    async fn page<A: NodeApi>(
        api: &A,
        order: String,
        lang: Lang,
        heads: &[String],
    ) -> Result<Response, HttpError> {
        let bundle = api.bundle(order).await?;
        let checkpoint = api.checkpoint().await?;
        let trust = checkpoint
            .get("trust")
            .map(|trust| serde_json::to_string_pretty(trust).unwrap_or_default())
            .ok_or_else(|| HttpError(ApiError::internal("the node has no trust file")))?;
        let html = verifier::page::html_with_heads(&bundle.bytes, &trust, lang, heads);
        let mut response = html.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        // A capability URL must not leak through the Referer header or a shared cache.
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        Ok(response)
    }

    /// The page for a party, with the address of this node's `GET /orders/{id}/head`: a browser
    /// reaches `/orders/…` only through whatever adds its read token (a proxy, a gateway), and
    /// the page's fetch of that same-origin address goes the same way.
    pub async fn trail<A: NodeApi>(
        State(state): State<AppState<A>>,
        OrderId(id): OrderId,
        ApiQuery(query): ApiQuery<PageQuery>,
        headers: HeaderMap,
    ) -> Result<Response, HttpError> {
        let heads: Vec<String> = base_url(&headers)
            .map(|base| format!("{base}/orders/{id}/head"))
            .into_iter()
            .collect();
        page(state.api.as_ref(), id, lang(query.as_ref())?, &heads).await
    }

    pub async fn create<A: NodeApi>(
        State(state): State<AppState<A>>,
        OrderId(id): OrderId,
        ApiJson(request): ApiJson<ShareRequest>,
    ) -> Result<(StatusCode, Json<Value>), HttpError> {
        // The order must exist before a link to it is made.
        state.api.order(id.clone()).await?;
        let (token, share) =
            state
                .settings
                .shares
                .create(&id, request.expires_in_seconds, now())?;
        Ok((
            StatusCode::CREATED,
            Json(json!({
                "order": id,
                "token": token,
                "path": format!("/share/{token}"),
                "created_at": share.created_at,
                "expires_at": share.expires_at,
            })),
        ))
    }

    pub async fn revoke<A: NodeApi>(
        State(state): State<AppState<A>>,
        ApiPath((id, token)): ApiPath<(String, String)>,
    ) -> Result<Json<Value>, HttpError> {
        let id = id.to_ascii_lowercase();
        if state.settings.shares.revoke(&id, &token)? {
            Ok(Json(
                json!({ "order": id, "token": token, "revoked": true }),
            ))
        } else {
            Err(HttpError(unknown_link()))
        }
    }

    fn unknown_link() -> ApiError {
        ApiError::new(
            crate::api::Code::UnknownLink,
            "no such share link (unknown, expired or revoked)",
        )
    }

    fn shared_order<A: NodeApi>(state: &AppState<A>, token: &str) -> Result<String, HttpError> {
        state
            .settings
            .shares
            .resolve(token, now())
            .ok_or_else(|| HttpError(unknown_link()))
    }

    pub async fn shared_page<A: NodeApi>(
        State(state): State<AppState<A>>,
        ApiPath(token): ApiPath<String>,
        ApiQuery(query): ApiQuery<PageQuery>,
        headers: HeaderMap,
    ) -> Result<Response, HttpError> {
        let order = shared_order(&state, &token)?;
        let heads: Vec<String> = base_url(&headers)
            .map(|base| format!("{base}/share/{token}/head"))
            .into_iter()
            .collect();
        page(state.api.as_ref(), order, lang(query.as_ref())?, &heads).await
    }

    /// This node's address as the browser reached it (`Host`, and `X-Forwarded-Proto: https`
    /// behind a proxy that ends TLS); none for a host that is not a plain `name[:port]`.
    fn base_url(headers: &HeaderMap) -> Option<String> {
        let host = headers.get(header::HOST)?.to_str().ok()?;
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        if host.is_empty() || !host.chars().all(plain) {
            return None;
        }
        let https = headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
        Some(format!("{}://{host}", if https { "https" } else { "http" }))
    }

    /// The shared order's signed head on this node, for any origin: it is signed, public to
    /// whoever holds the link, and carries no cookie or token.
    pub async fn shared_head<A: NodeApi>(
        State(state): State<AppState<A>>,
        ApiPath(token): ApiPath<String>,
    ) -> Result<Response, HttpError> {
        let order = shared_order(&state, &token)?;
        Ok(shared_file(state.api.head(order).await?, true))
    }

    pub async fn shared_bundle<A: NodeApi>(
        State(state): State<AppState<A>>,
        ApiPath(token): ApiPath<String>,
    ) -> Result<Response, HttpError> {
        let order = shared_order(&state, &token)?;
        Ok(shared_file(state.api.bundle(order).await?, false))
    }

    /// A file served through a share link: never cached, never naming the link to another
    /// site, and readable from any origin only when `any_origin` (the signed head).
    fn shared_file(export: crate::api::BundleExport, any_origin: bool) -> Response {
        let mut response = export.bytes.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(export.content_type),
        );
        if any_origin {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

//! The local HTTP/JSON API (axum 0.8).
//!
//! Every route maps to one [`NodeApi`] call. Around them:
//! * every write (any method but GET/HEAD) needs `Authorization: Bearer <token>`, checked
//!   before the body is read, so an unauthorised request costs nothing and changes nothing;
//! * request bodies are limited to the configured size;
//! * every failure, including unknown routes, wrong methods, malformed JSON, wrong types and
//!   oversize bodies, is a 4xx/5xx with `{ "error": { "code": …, "message": … } }`.
//!
//! The listener is bound to localhost by default (see the configuration); nothing here assumes
//! a trusted network beyond that.

mod error;
mod extract;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{DefaultBodyLimit, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::Value;

pub use error::HttpError;
use extract::{ApiJson, OrderId};

use crate::{
    api::{AcceptOrder, ApiError, NodeApi, ProposeOrder, SubmitEvent, SubmitReview},
    metrics::{self, Metrics},
};

/// What the HTTP layer needs besides the API.
#[derive(Clone)]
pub struct HttpSettings {
    /// The bearer token writes must present.
    pub token: String,
    pub max_body_bytes: usize,
}

struct Shared<A> {
    api: Arc<A>,
    settings: HttpSettings,
    metrics: Arc<Metrics>,
}

type AppState<A> = Arc<Shared<A>>;
type Reply = Result<Json<Value>, HttpError>;

/// The API's router.
pub fn router<A: NodeApi>(api: Arc<A>, settings: HttpSettings, metrics: Arc<Metrics>) -> Router {
    let max_body = settings.max_body_bytes;
    let state: AppState<A> = Arc::new(Shared {
        api,
        settings,
        metrics,
    });
    Router::new()
        .route("/orders", post(propose::<A>))
        .route("/orders/{id}", get(order::<A>))
        .route("/orders/{id}/accept", post(accept::<A>))
        .route("/orders/{id}/events", post(submit_event::<A>))
        .route("/orders/{id}/history", get(history::<A>))
        .route("/orders/{id}/review", post(review::<A>))
        .route("/orders/{id}/bundle", get(bundle::<A>))
        .route("/orders/{id}/evidence", get(evidence::<A>))
        .route("/orders/{id}/facts/{event}", get(fact::<A>))
        .route("/checkpoint", get(checkpoint::<A>))
        .route("/health", get(health::<A>))
        .route("/metrics", get(metrics_text::<A>))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_token::<A>,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), count::<A>))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds the API's listener, with a clear error when the address is taken.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ApiError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| ApiError::internal(format!("cannot listen on {addr}: {error}")))
}

async fn count<A: NodeApi>(
    State(state): State<AppState<A>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    state
        .metrics
        .http_requests
        .get_or_create(&vec![("status", response.status().as_u16().to_string())])
        .inc();
    response
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn same_token(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

async fn require_token<A: NodeApi>(
    State(state): State<AppState<A>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let error = match presented {
        None => ApiError::new(
            401,
            "unauthorized",
            "writes need `Authorization: Bearer <token>` with the token from the node's configuration",
        ),
        Some(token) if !same_token(token.trim().as_bytes(), state.settings.token.as_bytes()) => {
            ApiError::new(401, "unauthorized", "the bearer token is wrong")
        }
        Some(_) => return next.run(request).await,
    };
    let mut response = HttpError(error).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"pactum-node\""),
    );
    response
}

async fn not_found(uri: axum::http::Uri) -> HttpError {
    HttpError(ApiError::new(
        404,
        "not_found",
        format!(
            "no route {}; see the API reference in node/README",
            uri.path()
        ),
    ))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> HttpError {
    HttpError(ApiError::new(
        405,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    ))
}

async fn propose<A: NodeApi>(
    State(state): State<AppState<A>>,
    ApiJson(request): ApiJson<ProposeOrder>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let view = state.api.propose(request).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn accept<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
    ApiJson(request): ApiJson<AcceptOrder>,
) -> Reply {
    Ok(Json(state.api.accept(id, request).await?))
}

async fn submit_event<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
    ApiJson(request): ApiJson<SubmitEvent>,
) -> Result<Response, HttpError> {
    if request.signed.is_some() == request.event.is_some() {
        return Err(HttpError(ApiError::invalid(
            "invalid_request",
            "give exactly one of `signed` (a base64 signed event) or `event` (for this node to sign)",
        )));
    }
    let answer = state.api.submit_event(id, request).await?;
    // A fact stored to commit once every party's node answers: 202 with its status URL.
    let queued = answer["status"] == "queued";
    let location = answer["status_url"]
        .as_str()
        .and_then(|url| HeaderValue::from_str(url).ok());
    let mut response = Json(answer).into_response();
    if queued {
        *response.status_mut() = StatusCode::ACCEPTED;
        if let Some(location) = location {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    Ok(response)
}

async fn fact<A: NodeApi>(
    State(state): State<AppState<A>>,
    axum::extract::Path((id, event)): axum::extract::Path<(String, String)>,
) -> Reply {
    Ok(Json(state.api.fact(id, event).await?))
}

async fn order<A: NodeApi>(State(state): State<AppState<A>>, OrderId(id): OrderId) -> Reply {
    Ok(Json(state.api.order(id).await?))
}

async fn history<A: NodeApi>(State(state): State<AppState<A>>, OrderId(id): OrderId) -> Reply {
    Ok(Json(state.api.history(id).await?))
}

async fn evidence<A: NodeApi>(State(state): State<AppState<A>>, OrderId(id): OrderId) -> Reply {
    Ok(Json(state.api.evidence(id).await?))
}

async fn review<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
    ApiJson(request): ApiJson<SubmitReview>,
) -> Reply {
    Ok(Json(state.api.review(id, request).await?))
}

async fn bundle<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
) -> Result<Response, HttpError> {
    let export = state.api.bundle(id).await?;
    let disposition = format!("attachment; filename=\"{}\"", export.file_name);
    let mut response = export.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(export.content_type),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

async fn checkpoint<A: NodeApi>(State(state): State<AppState<A>>) -> Reply {
    Ok(Json(state.api.checkpoint().await?))
}

async fn health<A: NodeApi>(State(state): State<AppState<A>>) -> Json<Value> {
    Json(state.api.health().await)
}

async fn metrics_text<A: NodeApi>(State(state): State<AppState<A>>) -> Response {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        state.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison() {
        assert!(same_token(b"abc", b"abc"));
        assert!(!same_token(b"abd", b"abc"));
        assert!(!same_token(b"ab", b"abc"));
        assert!(!same_token(b"", b"abc"));
    }
}

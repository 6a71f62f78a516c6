//! The local HTTP/JSON API (axum 0.8).
//!
//! Every route maps to one [`NodeApi`] call. Around them:
//! * every request but `GET /health` needs `Authorization: Bearer <token>` with the route's
//!   scope ([`tokens`]: read for GET, submit for posting events, admin for the rest), checked
//!   before the body is read, so an unauthorised request costs nothing and changes nothing;
//! * connections are capped, the request head must arrive within a deadline and within size
//!   limits ([`listener`]), and the body within its own deadline and the configured size;
//! * every failure, including unknown routes, wrong methods, malformed JSON, wrong types,
//!   oversize bodies, over-long paths and headers and timeouts, is a 4xx/5xx with
//!   `{ "error": { "code": …, "message": … } }`.
//!
//! The listener is bound to localhost by default (see the configuration); nothing here assumes
//! a trusted network beyond that.

mod error;
mod events;
mod extract;
pub mod idempotency;
mod ingest;
pub mod listener;
pub mod openapi;
pub mod share;
pub mod tokens;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{DefaultBodyLimit, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Json, Router,
};
use serde_json::Value;

pub use error::{status_of, HttpError};
use extract::{ApiJson, ApiPath, OrderId};
pub use listener::{serve, ConnectionLimits};
use tokens::{Denied, Scope, Tokens};

use crate::{
    api::{
        AcceptOrder, ApiError, BundleQuery, Code, ConsistencyQuery, HistoryQuery, NodeApi,
        OrderQuery, ProposalQuery, ProposeOrder, PutPeer, SubmitAgreement, SubmitClose,
        SubmitEvent, SubmitReview,
    },
    metrics::{self, Metrics},
};

/// What the HTTP layer needs besides the API.
#[derive(Clone)]
pub struct HttpSettings {
    /// The bearer tokens and their scopes.
    pub tokens: Arc<Tokens>,
    pub max_body_bytes: usize,
    /// Time allowed to receive a request's body.
    pub body_timeout: std::time::Duration,
    /// Share links of the trail page (`share`).
    pub shares: Arc<share::Shares>,
    /// Answers of writes sent with an `Idempotency-Key` (`None`: the header is ignored).
    pub idempotency: Option<Arc<idempotency::IdempotencyKeys>>,
    /// How `POST /ingest/…` documents become facts.
    pub ingest: Arc<crate::ingest::Mapping>,
    /// Told the method, path, status and error code of every answer (tests check them against
    /// the OpenAPI document).
    pub observe: Option<Observer>,
}

/// Sees `(method, path, status, code)` of each answer, the path as requested (`/orders/4f…`),
/// `code` the error's (`order_closed`) when the answer is an API error.
pub type Observer = Arc<dyn Fn(&str, &str, u16, Option<&str>) + Send + Sync>;

impl HttpSettings {
    /// One operator token holding every scope, the default body deadline.
    pub fn new(token: impl Into<String>, max_body_bytes: usize) -> HttpSettings {
        HttpSettings {
            tokens: Arc::new(Tokens::new(token, None)),
            max_body_bytes,
            body_timeout: ConnectionLimits::default().body_timeout,
            shares: Arc::new(share::Shares::in_memory()),
            idempotency: None,
            ingest: Arc::new(crate::ingest::Mapping::standard()),
            observe: None,
        }
    }
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
    let idempotency = settings.idempotency.clone();
    let state: AppState<A> = Arc::new(Shared {
        api,
        settings,
        metrics,
    });
    Router::new()
        .route("/orders", post(propose::<A>).get(list_orders::<A>))
        .route("/proposals", get(proposals::<A>))
        .route("/proposals/{id}", get(proposal::<A>))
        .route("/orders/{id}", get(order::<A>))
        .route("/orders/{id}/accept", post(accept::<A>))
        .route("/orders/{id}/events", post(submit_event::<A>))
        .route("/orders/{id}/history", get(history::<A>))
        .route(
            "/orders/{id}/review",
            post(review::<A>).delete(withdraw_review::<A>),
        )
        .route("/orders/{id}/bundle", get(bundle::<A>))
        .route(
            "/orders/{id}/close",
            post(close::<A>).delete(withdraw_close::<A>),
        )
        .route("/orders/{id}/agreements", post(agree::<A>))
        .route("/orders/{id}/head", get(head::<A>))
        .route("/orders/{id}/evidence", get(evidence::<A>))
        .route("/orders/{id}/facts/{event}", get(fact::<A>))
        .route("/orders/{id}/trail", get(share::routes::trail::<A>))
        .route("/orders/{id}/share", post(share::routes::create::<A>))
        .route(
            "/orders/{id}/share/{token}",
            axum::routing::delete(share::routes::revoke::<A>),
        )
        .route("/share/{token}", get(share::routes::shared_page::<A>))
        .route(
            "/share/{token}/bundle",
            get(share::routes::shared_bundle::<A>),
        )
        .route("/share/{token}/head", get(share::routes::shared_head::<A>))
        .route(
            "/webhooks",
            post(events::create_webhook::<A>).get(events::list_webhooks::<A>),
        )
        .route(
            "/webhooks/{id}",
            axum::routing::delete(events::delete_webhook::<A>),
        )
        .route("/events", get(events::stream_events::<A>))
        .route("/ingest/epcis", post(ingest::epcis::<A>))
        .route("/ingest/cap", post(ingest::cap::<A>))
        .route("/peers", get(peers::<A>))
        .route("/peers/{key}", put(put_peer::<A>).delete(delete_peer::<A>))
        .route("/faults", get(faults::<A>))
        .route("/faults/{id}/acknowledge", post(acknowledge_fault::<A>))
        .route("/checkpoint", get(checkpoint::<A>))
        .route("/admin/backup", post(backup::<A>))
        .route("/log/consistency", get(consistency::<A>))
        .route("/health", get(health::<A>))
        .route("/metrics", get(metrics_text::<A>))
        .route("/openapi.json", get(openapi_document))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Innermost: after the token is checked and the body read.
        .layer(middleware::from_fn_with_state(
            idempotency,
            idempotency::middleware,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            read_body::<A>,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_token::<A>,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), count::<A>))
        .layer(middleware::from_fn_with_state(state.clone(), observe::<A>))
        .with_state(state)
}

/// Binds the API's listener, with a clear error when the address is taken.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ApiError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| ApiError::internal(format!("cannot listen on {addr}: {error}")))
}

/// Tells [`HttpSettings::observe`] what the router answered (outermost: every status counts).
async fn observe<A: NodeApi>(
    State(state): State<AppState<A>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(observe) = state.settings.observe.clone() else {
        return next.run(request).await;
    };
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let code = response
        .extensions()
        .get::<error::ErrorCode>()
        .map(|code| code.0.as_str());
    observe(&method, &path, response.status().as_u16(), code);
    response
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

/// Routes anyone may call without a token: liveness for load balancers and supervisors, and
/// the API's description.
const PUBLIC_ROUTES: &[&str] = &["/health", "/openapi.json"];

/// The scope a request needs; `None` for the public routes.
fn needed_scope(method: &Method, path: &str) -> Option<Scope> {
    // Webhook URLs say where this node's outcomes go: operators only.
    if path == "/webhooks" || path.starts_with("/webhooks/") {
        return Some(Scope::Admin);
    }
    if matches!(*method, Method::GET | Method::HEAD) {
        // A share link is its own capability (the random token in its path, see `share`):
        // a customer opens it without any of the node's bearer tokens.
        if path.starts_with("/share/") {
            return None;
        }
        return (!PUBLIC_ROUTES.contains(&path)).then_some(Scope::Read);
    }
    if *method == Method::POST && path.starts_with("/orders/") && path.ends_with("/events") {
        return Some(Scope::Submit);
    }
    // A feed's documents are facts too.
    if *method == Method::POST && path.starts_with("/ingest/") {
        return Some(Scope::Submit);
    }
    Some(Scope::Admin)
}

async fn require_token<A: NodeApi>(
    State(state): State<AppState<A>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let Some(needed) = needed_scope(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let presented = bearer(&headers);
    let error = match state.settings.tokens.authorize(presented, needed) {
        Ok(()) => return next.run(request).await,
        Err(Denied::Unknown) if presented.is_none() => ApiError::new(
            Code::Unauthorized,
            "send `Authorization: Bearer <token>`: the token from the node's configuration or its tokens file",
        ),
        Err(Denied::Unknown) => ApiError::new(Code::Unauthorized, "the bearer token is wrong"),
        Err(Denied::Scope { token, needed }) => {
            return HttpError(ApiError::new(
                Code::Forbidden,
                format!("token `{token}` does not have the `{}` scope this request needs", needed.name()),
            ))
            .into_response()
        }
    };
    let mut response = HttpError(error).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"pactum-node\""),
    );
    response
}

/// The bearer token a request presents, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Reads the whole request body within the body deadline and the size limit (bodies are
/// small JSON documents), so a client that trickles its body cannot hold a connection open.
async fn read_body<A: NodeApi>(
    State(state): State<AppState<A>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let limit = state.settings.max_body_bytes;
    let deadline = state.settings.body_timeout;
    let bytes = match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return HttpError(ApiError::new(
            Code::PayloadTooLarge,
            "the request body exceeds the node's size limit (http.max_body_bytes) or was cut off",
        ))
        .into_response(),
        Err(_) => {
            return HttpError(ApiError::new(
                Code::RequestTimeout,
                format!(
                    "the request body did not arrive within {} ms",
                    deadline.as_millis()
                ),
            ))
            .into_response()
        }
    };
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

async fn not_found(uri: axum::http::Uri) -> HttpError {
    HttpError(ApiError::new(
        Code::NotFound,
        format!(
            "no route {}; see the API reference in node/README",
            uri.path()
        ),
    ))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> HttpError {
    HttpError(ApiError::new(
        Code::MethodNotAllowed,
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
        return Err(HttpError(ApiError::new(
            Code::InvalidRequest,
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
    ApiPath((id, event)): ApiPath<(String, String)>,
) -> Reply {
    Ok(Json(state.api.fact(id, event).await?))
}

async fn order<A: NodeApi>(State(state): State<AppState<A>>, OrderId(id): OrderId) -> Reply {
    Ok(Json(state.api.order(id).await?))
}

async fn history<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
    query: ApiQuery<HistoryQuery>,
) -> Reply {
    match query.0 {
        Some(page) => Ok(Json(state.api.history_page(id, page).await?)),
        None => Ok(Json(state.api.history(id).await?)),
    }
}

async fn list_orders<A: NodeApi>(
    State(state): State<AppState<A>>,
    query: ApiQuery<OrderQuery>,
) -> Reply {
    Ok(Json(
        state.api.list_orders(query.0.unwrap_or_default()).await?,
    ))
}

async fn proposals<A: NodeApi>(
    State(state): State<AppState<A>>,
    query: ApiQuery<ProposalQuery>,
) -> Reply {
    let query = query.0.unwrap_or_default();
    Ok(Json(state.api.proposals(None, query).await?))
}

async fn proposal<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
    query: ApiQuery<ProposalQuery>,
) -> Reply {
    let query = query.0.unwrap_or_default();
    Ok(Json(state.api.proposals(Some(id), query).await?))
}

/// A query string parsed as `T` (`None` when there is none), or a 400 naming the problem.
struct ApiQuery<T>(Option<T>);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S>
    for ApiQuery<T>
{
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        match parts.uri.query().filter(|query| !query.is_empty()) {
            None => Ok(ApiQuery(None)),
            Some(query) => serde_urlencoded::from_str(query)
                .map(|value| ApiQuery(Some(value)))
                .map_err(|error| {
                    HttpError(ApiError::new(
                        Code::InvalidQuery,
                        format!("the query string is not valid here: {error}"),
                    ))
                }),
        }
    }
}

async fn withdraw_review<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
) -> Reply {
    Ok(Json(state.api.withdraw_review(id).await?))
}

async fn peers<A: NodeApi>(State(state): State<AppState<A>>) -> Reply {
    Ok(Json(state.api.peers().await?))
}

async fn put_peer<A: NodeApi>(
    State(state): State<AppState<A>>,
    ApiPath(key): ApiPath<String>,
    ApiJson(request): ApiJson<PutPeer>,
) -> Reply {
    Ok(Json(state.api.put_peer(key, request).await?))
}

async fn delete_peer<A: NodeApi>(
    State(state): State<AppState<A>>,
    ApiPath(key): ApiPath<String>,
) -> Reply {
    Ok(Json(state.api.delete_peer(key).await?))
}

async fn close<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
    ApiJson(request): ApiJson<SubmitClose>,
) -> Reply {
    Ok(Json(state.api.close(id, request).await?))
}

async fn withdraw_close<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
) -> Reply {
    Ok(Json(state.api.withdraw_close(id).await?))
}

async fn agree<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
    ApiJson(request): ApiJson<SubmitAgreement>,
) -> Reply {
    Ok(Json(state.api.agree(id, request).await?))
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
    query: ApiQuery<BundleQuery>,
) -> Result<Response, HttpError> {
    let since = query.0.and_then(|query| query.since);
    Ok(download(state.api.bundle_since(id, since).await?))
}

async fn consistency<A: NodeApi>(
    State(state): State<AppState<A>>,
    query: ApiQuery<ConsistencyQuery>,
) -> Reply {
    let query = query.0.ok_or_else(|| {
        HttpError(ApiError::new(
            Code::InvalidQuery,
            "give the two log sizes: ?from=N&to=M",
        ))
    })?;
    Ok(Json(state.api.consistency(query).await?))
}

async fn head<A: NodeApi>(
    State(state): State<AppState<A>>,
    OrderId(id): OrderId,
) -> Result<Response, HttpError> {
    Ok(download(state.api.head(id).await?))
}

/// An exported file as an answer: its media type, and a file name to save it under.
fn download(export: crate::api::BundleExport) -> Response {
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
    response
}

async fn backup<A: NodeApi>(
    State(state): State<AppState<A>>,
    ApiJson(request): ApiJson<crate::api::BackupRequest>,
) -> Reply {
    Ok(Json(state.api.backup(request).await?))
}

async fn faults<A: NodeApi>(State(state): State<AppState<A>>) -> Reply {
    Ok(Json(state.api.faults().await?))
}

async fn acknowledge_fault<A: NodeApi>(
    State(state): State<AppState<A>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<crate::api::AcknowledgeFault>,
) -> Reply {
    Ok(Json(state.api.acknowledge_fault(id, request).await?))
}

async fn checkpoint<A: NodeApi>(State(state): State<AppState<A>>) -> Reply {
    Ok(Json(state.api.checkpoint().await?))
}

async fn health<A: NodeApi>(State(state): State<AppState<A>>, headers: HeaderMap) -> Json<Value> {
    let mut health = state.api.health().await;
    if let Some(fields) = health.as_object_mut() {
        fields.insert(
            "connections_refused".to_string(),
            connections_refused(&state.metrics),
        );
    }
    let may_read = state
        .settings
        .tokens
        .authorize(bearer(&headers), Scope::Read)
        .is_ok();
    if may_read {
        Json(health)
    } else {
        Json(public_health(health))
    }
}

/// What `/health` tells a caller without a read token: what a load balancer or a supervisor
/// needs (the status, each reason's code and count, figures in aggregate, which node this is:
/// its role and public identity), nothing that names an order, another party or what was
/// refused (ids, keys, addresses, messages), since every other read of those needs a token.
fn public_health(health: Value) -> Value {
    const AGGREGATE: [&str; 9] = [
        "status",
        "role",
        "public_key",
        "peer_id",
        "orders_by_state",
        "queued_facts",
        "orders",
        "log_size",
        "connections_refused",
    ];
    let mut public: serde_json::Map<String, Value> = AGGREGATE
        .iter()
        .filter_map(|field| Some((field.to_string(), health.get(*field)?.clone())))
        .collect();
    let reasons: Vec<Value> = health["reasons"]
        .as_array()
        .map(|reasons| {
            reasons
                .iter()
                .map(|reason| {
                    let count = reason.get("count").cloned().unwrap_or(Value::from(1));
                    serde_json::json!({ "code": reason["code"], "count": count })
                })
                .collect()
        })
        .unwrap_or_default();
    public.insert("reasons".to_string(), Value::from(reasons));
    public.insert(
        "details".to_string(),
        Value::from(
            "send a token with the read scope for the reasons' details and recent refusals",
        ),
    );
    Value::Object(public)
}

/// Connections refused at the edges, in aggregate: libp2p connections by reason (strangers
/// over their limits, banned peers, connection limits) and HTTP connections over the cap.
fn connections_refused(metrics: &Metrics) -> Value {
    let peers: serde_json::Map<String, Value> = [
        "strangers_full",
        "per_ip",
        "total",
        "strangers_closed",
        "banned",
        "connection_limits",
    ]
    .into_iter()
    .map(|reason| {
        let count = metrics
            .peer_connections_refused
            .get_or_create(&vec![("reason", reason.to_string())])
            .get();
        (reason.to_string(), Value::from(count))
    })
    .collect();
    serde_json::json!({
        "peers": peers,
        "http": metrics.http_connections_refused.get(),
        "http_evicted": metrics.http_connections_evicted.get(),
    })
}

async fn openapi_document() -> Json<Value> {
    Json(openapi::document())
}

async fn metrics_text<A: NodeApi>(State(state): State<AppState<A>>) -> Response {
    state.api.refresh_gauges().await;
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
    fn scopes_of_routes() {
        assert_eq!(needed_scope(&Method::GET, "/health"), None);
        assert_eq!(needed_scope(&Method::GET, "/metrics"), Some(Scope::Read));
        assert_eq!(needed_scope(&Method::GET, "/orders/x"), Some(Scope::Read));
        assert_eq!(
            needed_scope(&Method::POST, "/orders/x/events"),
            Some(Scope::Submit)
        );
        assert_eq!(needed_scope(&Method::POST, "/orders"), Some(Scope::Admin));
        assert_eq!(
            needed_scope(&Method::POST, "/orders/x/review"),
            Some(Scope::Admin)
        );
        assert_eq!(needed_scope(&Method::DELETE, "/health"), Some(Scope::Admin));
        assert_eq!(needed_scope(&Method::GET, "/webhooks"), Some(Scope::Admin));
        assert_eq!(needed_scope(&Method::GET, "/events"), Some(Scope::Read));
        assert_eq!(needed_scope(&Method::GET, "/faults"), Some(Scope::Read));
        assert_eq!(
            needed_scope(&Method::POST, "/faults/x/acknowledge"),
            Some(Scope::Admin)
        );
        assert_eq!(
            needed_scope(&Method::POST, "/ingest/epcis"),
            Some(Scope::Submit)
        );
    }
}

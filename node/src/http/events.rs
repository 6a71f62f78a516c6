//! Outcomes out over HTTP: webhooks managed by the operator (`POST/GET /webhooks`,
//! `DELETE /webhooks/{id}`, admin scope; a secret is never shown back) and the event stream
//! `GET /events` (read scope), server-sent events resumable with `Last-Event-ID`.

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use futures::stream::{self, Stream};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    extract::{ApiJson, ApiPath},
    ApiQuery, AppState, HttpError,
};
use crate::{
    api::{ApiError, Code, NodeApi},
    events::{webhooks::parse_kinds, EventKind, Events, EventsError, WebhookError},
};

/// Events read from the journal per step of a stream.
const STREAM_PAGE: usize = 256;

/// `POST /webhooks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An http:// URL receiving a POST per event.
    pub url: String,
    /// Key of the `Pactum-Signature` HMAC-SHA256, at least 16 characters. Never shown back.
    pub secret: String,
    /// Event kinds to send; absent or empty: every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// `GET /events` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Start after this event id (instead of the `Last-Event-ID` header).
    pub after: Option<u64>,
    /// Comma-separated event kinds to stream; absent: every kind.
    pub kinds: Option<String>,
}

fn journal<A: NodeApi>(state: &AppState<A>) -> Result<Arc<Events>, HttpError> {
    state.api.events().ok_or_else(|| {
        HttpError(ApiError::new(
            Code::NoEventJournal,
            "this node keeps no event journal",
        ))
    })
}

fn api_error(error: EventsError) -> HttpError {
    HttpError(match error {
        EventsError::Webhook(WebhookError::Unknown(id)) => {
            ApiError::new(Code::UnknownWebhook, format!("no webhook {id}"))
        }
        EventsError::Webhook(error @ WebhookError::Configured(_)) => {
            ApiError::new(Code::ConfiguredWebhook, error.to_string())
        }
        EventsError::Webhook(error @ WebhookError::Random(_)) => {
            ApiError::internal(error.to_string())
        }
        EventsError::Webhook(error) => ApiError::new(Code::InvalidWebhook, error.to_string()),
        EventsError::Store(error) => ApiError::new(Code::StoreFailed, error.to_string()),
        EventsError::Record(error) => ApiError::internal(error.to_string()),
    })
}

pub(super) async fn create_webhook<A: NodeApi>(
    State(state): State<AppState<A>>,
    ApiJson(request): ApiJson<CreateWebhook>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let events = journal(&state)?;
    let webhook = events
        .create_webhook(&request.url, &request.secret, &request.kinds)
        .await
        .map_err(api_error)?;
    Ok((StatusCode::CREATED, Json(webhook.public_view())))
}

pub(super) async fn list_webhooks<A: NodeApi>(
    State(state): State<AppState<A>>,
) -> Result<Json<Value>, HttpError> {
    let events = journal(&state)?;
    let mut webhooks = Vec::new();
    for webhook in events.webhooks() {
        let (pending, attempts) = events.pending(&webhook.id).map_err(api_error)?;
        let mut view = webhook.public_view();
        view["pending_deliveries"] = json!(pending);
        view["most_failed_attempts"] = json!(attempts);
        webhooks.push(view);
    }
    Ok(Json(json!({ "webhooks": webhooks })))
}

pub(super) async fn delete_webhook<A: NodeApi>(
    State(state): State<AppState<A>>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, HttpError> {
    let events = journal(&state)?;
    let webhook = events.delete_webhook(&id).await.map_err(api_error)?;
    Ok(Json(json!({ "deleted": webhook.public_view() })))
}

/// `GET /events`: every durable event after `Last-Event-ID` (or `?after=`), then new ones as
/// they commit. Each SSE message has the event id as `id`, its kind as `event` and the same
/// JSON body a webhook receives as `data`.
pub(super) async fn stream_events<A: NodeApi>(
    State(state): State<AppState<A>>,
    headers: HeaderMap,
    query: ApiQuery<StreamQuery>,
) -> Result<Response, HttpError> {
    let events = journal(&state)?;
    let query = query.0.unwrap_or_default();
    let kinds = match &query.kinds {
        Some(list) => {
            let names: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(String::from)
                .collect();
            parse_kinds(&names)
                .map_err(|error| HttpError(ApiError::new(Code::InvalidQuery, error.to_string())))?
        }
        None => EventKind::all(),
    };
    let after = match query.after {
        Some(after) => after,
        None => last_event_id(&headers)?,
    };
    let stream = event_stream(events, after, kinds);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// The `Last-Event-ID` header a reconnecting client sends (0 when absent: from the start).
fn last_event_id(headers: &HeaderMap) -> Result<u64, HttpError> {
    match headers.get("last-event-id") {
        None => Ok(0),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .ok_or_else(|| {
                HttpError(ApiError::new(
                    Code::InvalidLastEventId,
                    "Last-Event-ID must be an event id (a decimal number) from this stream",
                ))
            }),
    }
}

struct Cursor {
    events: Arc<Events>,
    after: u64,
    kinds: std::collections::BTreeSet<EventKind>,
    durable: tokio::sync::watch::Receiver<u64>,
    closing: tokio::sync::watch::Receiver<bool>,
    ready: std::collections::VecDeque<Event>,
}

fn event_stream(
    events: Arc<Events>,
    after: u64,
    kinds: std::collections::BTreeSet<EventKind>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let cursor = Cursor {
        durable: events.watch(),
        closing: events.closing(),
        events,
        after,
        kinds,
        ready: Default::default(),
    };
    stream::unfold(cursor, |mut cursor| async move {
        loop {
            if *cursor.closing.borrow() {
                return None;
            }
            if let Some(event) = cursor.ready.pop_front() {
                return Some((Ok(event), cursor));
            }
            let page = match cursor.events.read_after(cursor.after, STREAM_PAGE) {
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(%error, "cannot read the event journal");
                    return None;
                }
            };
            if page.is_empty() {
                tokio::select! {
                    changed = cursor.durable.changed() => if changed.is_err() { return None },
                    _ = cursor.closing.changed() => return None,
                }
                continue;
            }
            for (id, record) in page {
                cursor.after = id;
                if cursor.kinds.contains(&record.kind) {
                    let data = String::from_utf8_lossy(&record.body).into_owned();
                    cursor.ready.push_back(
                        Event::default()
                            .id(id.to_string())
                            .event(record.kind.name())
                            .data(data),
                    );
                }
            }
        }
    })
}

//! HTTP API tests against a fake `NodeApi` that records every call: each bad request gets the
//! right 4xx and JSON error, and reaches nothing behind the API (changes nothing).

use std::sync::{Arc, Mutex};

use axum::{
    body::{to_bytes, Body},
    http::{header, Request, StatusCode},
    Router,
};
use pactum_node::{
    api::{
        AcceptOrder, ApiError, BundleExport, ErrorBody, NodeApi, ProposeOrder, SubmitClose,
        SubmitEvent, SubmitReview,
    },
    http::{router, HttpSettings},
    metrics::Metrics,
};
use serde_json::{json, Value};
use tower::ServiceExt;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const KNOWN: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const UNKNOWN: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const LIMIT: usize = 4096;
/// A C2SP verifier key (any valid one: the page only embeds it).
const LOG_KEY: &str = "pactum.example/log+5e4b8ac5+AUTXAbC8nzdWuwJi8W5ZKuMx4nbzCkA2CUQgcoLfD0jG";

/// Records each call; knows one order.
#[derive(Default)]
struct FakeApi {
    calls: Mutex<Vec<String>>,
}

impl FakeApi {
    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    fn known(&self, order: &str) -> Result<(), ApiError> {
        if order == KNOWN {
            Ok(())
        } else {
            Err(ApiError::unknown_order(order))
        }
    }
}

impl NodeApi for FakeApi {
    async fn propose(&self, request: ProposeOrder) -> Result<Value, ApiError> {
        self.record(format!("propose {}", request.order_ref));
        Ok(json!({ "order": KNOWN }))
    }
    async fn accept(&self, order: String, _: AcceptOrder) -> Result<Value, ApiError> {
        self.known(&order)?;
        self.record(format!("accept {order}"));
        Ok(json!({ "accepted": order }))
    }
    async fn submit_event(&self, order: String, request: SubmitEvent) -> Result<Value, ApiError> {
        self.known(&order)?;
        self.record(format!("event {order} {:?}", request.event.map(|e| e.kind)));
        Ok(json!({ "seq": 1 }))
    }
    async fn order(&self, order: String) -> Result<Value, ApiError> {
        self.known(&order)?;
        Ok(json!({ "order": order }))
    }
    async fn history(&self, order: String) -> Result<Value, ApiError> {
        self.known(&order)?;
        Ok(json!({ "entries": [] }))
    }
    async fn review(&self, order: String, request: SubmitReview) -> Result<Value, ApiError> {
        self.known(&order)?;
        self.record(format!("review {order} {}", request.decision));
        Ok(json!({ "seq": 2 }))
    }
    async fn close(&self, order: String, request: SubmitClose) -> Result<Value, ApiError> {
        self.known(&order)?;
        self.record(format!("close {order} {}", request.note));
        Ok(json!({ "status": "signed" }))
    }
    async fn withdraw_close(&self, order: String) -> Result<Value, ApiError> {
        self.known(&order)?;
        self.record(format!("withdraw close {order}"));
        Ok(json!({ "status": "withdrawn" }))
    }
    async fn bundle(&self, order: String) -> Result<BundleExport, ApiError> {
        self.known(&order)?;
        Ok(BundleExport {
            content_type: "application/cbor",
            file_name: "order.bundle".into(),
            bytes: vec![0xa0],
        })
    }
    async fn checkpoint(&self) -> Result<Value, ApiError> {
        // A trust file as a node describes it (the trail page embeds it).
        let trust = json!({ "log": { "log_key": LOG_KEY, "witnesses": [], "min_witnesses": 0 } });
        Ok(json!({ "size": 0, "trust": trust }))
    }
    async fn health(&self) -> Value {
        json!({
            "status": "degraded",
            "reasons": [
                {"code": "party_unreachable", "role": "buyer", "key": KNOWN, "since": 1,
                 "message": "the node of party `buyer` did not answer: 10.0.0.7:7201 refused"},
                {"code": "facts_queued", "count": 2, "orders": 1, "message": "2 facts wait"},
            ],
            "orders_by_state": {"running": 1},
            "queued_facts": 2,
            "role": "seller",
            "public_key": UNKNOWN,
            "recent_refusals": [{"order": KNOWN, "seq": 4, "code": "determinism_fault"}],
            "equivocations": [{"order": KNOWN, "seq": 4}],
        })
    }
}

fn app() -> (Router, Arc<FakeApi>, Arc<Metrics>) {
    let api = Arc::new(FakeApi::default());
    let metrics = Arc::new(Metrics::new());
    let settings = HttpSettings::new(TOKEN, LIMIT);
    (router(api.clone(), settings, metrics.clone()), api, metrics)
}

struct Call<'a> {
    method: &'a str,
    path: String,
    token: Option<&'a str>,
    content_type: Option<&'a str>,
    body: Vec<u8>,
}

fn post(path: impl Into<String>, body: impl Into<Vec<u8>>) -> Call<'static> {
    Call {
        method: "POST",
        path: path.into(),
        token: Some(TOKEN),
        content_type: Some("application/json"),
        body: body.into(),
    }
}

fn get(path: impl Into<String>) -> Call<'static> {
    Call {
        method: "GET",
        path: path.into(),
        token: Some(TOKEN),
        content_type: None,
        body: Vec::new(),
    }
}

async fn send(app: &Router, call: Call<'_>) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder().method(call.method).uri(&call.path);
    if let Some(token) = call.token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if let Some(content_type) = call.content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(call.body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, bytes.to_vec())
}

fn error_of(bytes: &[u8]) -> ErrorBody {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| panic!("not a JSON error: {}", String::from_utf8_lossy(bytes)))
}

fn propose_body() -> Value {
    json!({
        "order_ref": "PO-1",
        "jurisdiction": "CN",
        "terms": { "transport_mode": "sea" },
        "clauses": [{ "name": "air_freight_fallback" }],
        "genesis_at": "2026-01-05T00:00:00Z"
    })
}

#[tokio::test]
async fn good_requests_reach_the_api() {
    let (app, api, _) = app();
    let body = serde_json::to_vec(&propose_body()).unwrap();
    let (status, bytes) = send(&app, post("/orders", body)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let (status, _) = send(&app, post(format!("/orders/{KNOWN}/accept"), "{}")).await;
    assert_eq!(status, StatusCode::OK);
    let event = json!({ "event": { "kind": "shipment.departed", "at": "2026-01-10T00:00:00Z",
                                   "fields": { "port": "Shenzhen" } } });
    let (status, _) = send(
        &app,
        post(format!("/orders/{KNOWN}/events"), event.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let review = json!({ "decision": "approve", "note": "checked" });
    let (status, _) = send(
        &app,
        post(format!("/orders/{KNOWN}/review"), review.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Upper-case ids are the same order.
    let (status, _) = send(&app, get(format!("/orders/{}", KNOWN.to_uppercase()))).await;
    assert_eq!(status, StatusCode::OK);
    for path in ["history", "bundle"] {
        let (status, _) = send(&app, get(format!("/orders/{KNOWN}/{path}"))).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    for path in ["/checkpoint", "/health", "/metrics"] {
        let (status, _) = send(&app, get(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    assert_eq!(
        *api.calls.lock().unwrap(),
        vec![
            "propose PO-1".to_string(),
            format!("accept {KNOWN}"),
            format!("event {KNOWN} Some(\"shipment.departed\")"),
            format!("review {KNOWN} approve"),
        ]
    );
}

/// A close signature and its withdrawal (`POST` and `DELETE /orders/{id}/close`) reach the
/// API; the withdrawal takes no body.
#[tokio::test]
async fn the_close_routes_reach_the_api() {
    let (app, api, _) = app();
    let close = format!("/orders/{KNOWN}/close");
    let (status, _) = send(&app, post(close.clone(), r#"{"note":"settled"}"#)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, bytes) = send(&app, delete(close, Some(TOKEN))).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(
        *api.calls.lock().unwrap(),
        vec![
            format!("close {KNOWN} settled"),
            format!("withdraw close {KNOWN}"),
        ]
    );
}

#[tokio::test]
async fn bad_requests_get_a_json_4xx_and_change_nothing() {
    let (app, api, _) = app();
    let events = format!("/orders/{KNOWN}/events");
    let good_event = r#"{"event":{"kind":"shipment.departed","at":"2026-01-10T00:00:00Z"}}"#;
    let cases: Vec<(&str, Call, StatusCode, &str)> = vec![
        (
            "no token",
            Call {
                token: None,
                ..post(events.clone(), good_event)
            },
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "wrong token",
            Call {
                token: Some("0123456789abcdef0123456789abcdeX"),
                ..post(events.clone(), good_event)
            },
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "malformed JSON",
            post(events.clone(), r#"{"event": {"kind": "#),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "wrong type",
            post(
                events.clone(),
                r#"{"event":{"kind":5,"at":"2026-01-10T00:00:00Z"}}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            "unknown field",
            post(events.clone(), r#"{"evnt":{}}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            "neither signed nor plain event",
            post(events.clone(), "{}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            "not JSON at all",
            Call {
                content_type: Some("text/plain"),
                ..post(events.clone(), good_event)
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "oversize body",
            post(
                events.clone(),
                format!(r#"{{"event":{{"kind":"{}","at":"x"}}}}"#, "k".repeat(LIMIT)),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "unknown order",
            post(format!("/orders/{UNKNOWN}/events"), good_event),
            StatusCode::NOT_FOUND,
            "unknown_order",
        ),
        (
            "order id not hex",
            post("/orders/not-an-order/events", good_event),
            StatusCode::BAD_REQUEST,
            "bad_order_id",
        ),
        (
            "order id too short",
            get("/orders/abcd"),
            StatusCode::BAD_REQUEST,
            "bad_order_id",
        ),
        (
            "unknown order on read",
            get(format!("/orders/{UNKNOWN}/history")),
            StatusCode::NOT_FOUND,
            "unknown_order",
        ),
        (
            "unknown route",
            get("/nothing/here"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "wrong method",
            Call {
                method: "DELETE",
                ..post(format!("/orders/{KNOWN}"), "")
            },
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            "review without decision",
            post(format!("/orders/{KNOWN}/review"), r#"{"note":"x"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            "proposal with a list for terms",
            post(
                "/orders",
                r#"{"order_ref":"x","jurisdiction":"CN","terms":[],"clauses":[],"genesis_at":"x"}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            "empty body",
            post(format!("/orders/{KNOWN}/accept"), ""),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        // The close routes: a signature and its withdrawal.
        (
            "close with malformed JSON",
            post(format!("/orders/{KNOWN}/close"), r#"{"note": "#),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "close withdrawal without a token",
            delete(format!("/orders/{KNOWN}/close"), None),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "close withdrawal with an order id not hex",
            delete("/orders/not-an-order/close", Some(TOKEN)),
            StatusCode::BAD_REQUEST,
            "bad_order_id",
        ),
        (
            "close withdrawal of an unknown order",
            delete(format!("/orders/{UNKNOWN}/close"), Some(TOKEN)),
            StatusCode::NOT_FOUND,
            "unknown_order",
        ),
        (
            "close by a method it does not take",
            Call {
                method: "PUT",
                ..post(format!("/orders/{KNOWN}/close"), "{}")
            },
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (name, call, status, code) in cases {
        let (got, bytes) = send(&app, call).await;
        assert_eq!(got, status, "{name}: {}", String::from_utf8_lossy(&bytes));
        let error = error_of(&bytes);
        assert_eq!(error.error.code, code, "{name}");
        assert!(!error.error.message.is_empty(), "{name}");
    }
    assert!(
        api.calls.lock().unwrap().is_empty(),
        "bad requests reached the API: {:?}",
        api.calls.lock().unwrap()
    );
}

#[tokio::test]
async fn health_without_a_read_token_names_no_order_party_or_refusal() {
    let (app, _, _) = app();
    let mut anonymous = get("/health");
    anonymous.token = None;
    let (status, body) = send(&app, anonymous).await;
    assert_eq!(status, StatusCode::OK);
    let health: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(health["status"], "degraded");
    assert_eq!(
        health["reasons"],
        json!([{"code": "party_unreachable", "count": 1}, {"code": "facts_queued", "count": 2}])
    );
    assert_eq!(health["orders_by_state"]["running"], 1);
    assert_eq!(
        (health["role"].as_str(), health["public_key"].as_str()),
        (Some("seller"), Some(UNKNOWN))
    );
    assert!(health["connections_refused"].is_object(), "{health}");
    let text = String::from_utf8(body).unwrap();
    for secret in [
        KNOWN,
        "10.0.0.7",
        "buyer",
        "recent_refusals",
        "equivocations",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // With a token of the read scope: everything.
    let (_, body) = send(&app, get("/health")).await;
    let health: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(health["recent_refusals"][0]["order"], KNOWN);
    assert_eq!(health["reasons"][0]["role"], "buyer");
}

#[tokio::test]
async fn metrics_count_responses_by_status() {
    let (app, _, metrics) = app();
    send(&app, get("/health")).await;
    send(&app, get("/nothing")).await;
    send(&app, get("/nothing")).await;
    let text = metrics.render();
    assert!(
        text.contains("pactum_http_requests_total{status=\"404\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("pactum_http_requests_total{status=\"200\"} 1"),
        "{text}"
    );
}

/// A request without any of the node's tokens: what a customer's browser sends.
fn anonymous(path: impl Into<String>) -> Call<'static> {
    Call {
        token: None,
        ..get(path)
    }
}

fn delete(path: impl Into<String>, token: Option<&'static str>) -> Call<'static> {
    Call {
        method: "DELETE",
        path: path.into(),
        token,
        content_type: None,
        body: Vec::new(),
    }
}

#[tokio::test]
async fn a_share_link_serves_the_page_and_the_bundle_until_revoked() {
    let (app, _, _) = app();
    let (status, bytes) = send(&app, post(format!("/orders/{KNOWN}/share"), "{}")).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let made: Value = serde_json::from_slice(&bytes).unwrap();
    let token = made["token"].as_str().unwrap().to_string();
    assert_eq!(made["path"], format!("/share/{token}"));
    assert_eq!(made["expires_at"], Value::Null);

    let (status, bytes) = send(&app, anonymous(format!("/share/{token}/bundle"))).await;
    assert_eq!((status, bytes), (StatusCode::OK, vec![0xa0]));
    let (status, page) = send(&app, anonymous(format!("/share/{token}?lang=zh"))).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(page).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<html lang=\"zh\">"));
    // The page carries the order's bundle and the node's trust.
    assert_eq!(verifier::page::embedded_bundle(&page), Some(vec![0xa0]));
    assert!(page.contains(LOG_KEY));
    // The capability opens nothing else: no other path under it, no other order.
    for other in [
        format!("/share/{token}/history"),
        format!("/share/{token}/../orders"),
    ] {
        let (status, _) = send(&app, anonymous(other.clone())).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{other}");
    }

    // Revoking needs the node's token and the right order.
    let (status, _) = send(&app, delete(format!("/orders/{KNOWN}/share/{token}"), None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(
        &app,
        delete(format!("/orders/{UNKNOWN}/share/{token}"), Some(TOKEN)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        delete(format!("/orders/{KNOWN}/share/{token}"), Some(TOKEN)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for path in [format!("/share/{token}"), format!("/share/{token}/bundle")] {
        let (status, bytes) = send(&app, anonymous(path.clone())).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(error_of(&bytes).error.code, "unknown_link");
    }
}

#[tokio::test]
async fn share_links_need_the_token_a_known_order_and_can_expire() {
    let (app, _, _) = app();
    let mut unauthorised = post(format!("/orders/{KNOWN}/share"), "{}");
    unauthorised.token = None;
    let (status, _) = send(&app, unauthorised).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(&app, post(format!("/orders/{UNKNOWN}/share"), "{}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        post(format!("/orders/{KNOWN}/share"), r#"{"expires_in":5}"#),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let (status, bytes) = send(
        &app,
        post(
            format!("/orders/{KNOWN}/share"),
            r#"{"expires_in_seconds":0}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let made: Value = serde_json::from_slice(&bytes).unwrap();
    let (status, _) = send(
        &app,
        anonymous(format!("/share/{}", made["token"].as_str().unwrap())),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a link that expired at once opens nothing"
    );
    let (status, _) = send(&app, anonymous("/share/not-a-token")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_trail_page_is_served_for_the_parties() {
    let (app, _, _) = app();
    let (status, _) = send(&app, anonymous(format!("/orders/{KNOWN}/trail"))).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the parties' route needs a read token"
    );
    let (status, bytes) = send(&app, get(format!("/orders/{KNOWN}/trail?lang=de"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(bytes)
        .unwrap()
        .contains("<html lang=\"de\">"));
    let (status, bytes) = send(&app, get(format!("/orders/{KNOWN}/trail?lang=fr"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&bytes).error.code, "bad_lang");
    let (status, _) = send(&app, get(format!("/orders/{UNKNOWN}/trail"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

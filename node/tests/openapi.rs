//! The OpenAPI document against the router and the README: it parses as OpenAPI 3.1, every
//! route the router serves is documented, every documented operation reaches a handler, the
//! README's API table lists exactly the documented calls and its status-code table exactly the
//! documented codes. (Every status and error code real nodes answer in the end-to-end tests is
//! checked against the document too: `openapi::undocumented`, called by `tests/common`.) And a
//! refusal's status comes from its code alone (`http::status_of`), never from the site that
//! builds it.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use axum::{
    body::{to_bytes, Body},
    http::Request,
};
use pactum_node::{
    api::{
        AcceptOrder, ApiError, BundleExport, Code, NodeApi, ProposeOrder, SubmitEvent, SubmitReview,
    },
    http::{openapi, router, status_of, HttpSettings},
    metrics::Metrics,
};
use serde_json::Value;
use tower::ServiceExt;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const ID: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// Knows no order: every call that gets this far answers 404 `unknown_order`.
struct NoOrders;

impl NodeApi for NoOrders {
    async fn propose(&self, _: ProposeOrder) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(ID))
    }
    async fn accept(&self, order: String, _: AcceptOrder) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn submit_event(&self, order: String, _: SubmitEvent) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn order(&self, order: String) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn history(&self, order: String) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn review(&self, order: String, _: SubmitReview) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn bundle(&self, order: String) -> Result<BundleExport, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn checkpoint(&self) -> Result<Value, ApiError> {
        Ok(Value::Null)
    }
    async fn health(&self) -> Value {
        Value::Null
    }
}

fn document() -> Value {
    openapi::document()
}

/// The router over [`NoOrders`], with [`TOKEN`] and a 4 KiB body limit.
fn app() -> axum::Router {
    router(
        Arc::new(NoOrders),
        HttpSettings::new(TOKEN, 4096),
        Arc::new(Metrics::new()),
    )
}

/// `(METHOD, path)` of every documented operation, with its documented status codes.
fn documented() -> BTreeMap<(String, String), BTreeSet<u16>> {
    let doc = document();
    let mut operations = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let codes = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|code| code.parse().unwrap())
                .collect();
            operations.insert((method.to_uppercase(), path.clone()), codes);
        }
    }
    operations
}

/// `(METHOD, path)` of every `.route(PATH, METHOD(handler)…)` call in the HTTP module's
/// sources: what the router serves.
fn served() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut routes = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for call in source.split(".route(").skip(1) {
            let Some(rest) = call.trim_start().strip_prefix('"') else {
                continue;
            };
            let (path, rest) = rest.split_once('"').unwrap();
            // The route call ends at its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(at, _)| at);
            for method in ["get", "post", "put", "patch", "delete"] {
                let called = rest[..end]
                    .match_indices(&format!("{method}("))
                    .any(|(at, _)| at == 0 || !rest[..at].ends_with('_'));
                if called {
                    routes.insert((method.to_uppercase(), path.to_string()));
                }
            }
        }
    }
    routes
}

#[test]
fn the_document_is_openapi_3_1() {
    let doc = document();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    let text = serde_json::to_string(&doc).unwrap();
    let parsed = oas3::from_json(&text).expect("parses as OpenAPI 3.1");
    assert!(!parsed.paths.unwrap_or_default().is_empty());
    // Every schema it refers to is defined.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "undefined schema {name}");
    }
}

#[test]
fn every_route_the_router_serves_is_documented() {
    let served = served();
    assert!(served.len() >= 10, "{served:?}");
    let documented: BTreeSet<_> = documented().into_keys().collect();
    assert_eq!(served, documented, "served (left) vs documented (right)");
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler() {
    let app = app();
    for ((method, path), codes) in documented() {
        let uri = path
            .replace("{id}", ID)
            .replace("{event}", ID)
            .replace("{token}", ID);
        let request = Request::builder()
            .method(method.as_str())
            .uri(&uri)
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert_ne!(status, 405, "{method} {path}: {text}");
        assert!(
            codes.contains(&status),
            "{method} {path} answered {status}, which its documented responses {codes:?} do not list: {text}"
        );
        assert!(
            !text.contains("\"not_found\""),
            "{method} {path} fell through to the fallback: {text}"
        );
    }
}

/// A JSON body sent without `Content-Type: application/json` is refused by every operation that
/// takes one (`415 unsupported_media_type`, before its handler runs: `NoOrders` would answer
/// 404), and the document says so for exactly those operations, through the one shared
/// response `components.responses.UnsupportedMediaType415`; an operation whose body is a
/// schema of the API's types (`$ref`) is among them.
#[tokio::test]
async fn a_json_body_without_its_content_type_is_refused_as_documented() {
    let app = app();
    let doc = document();
    let shared = "#/components/responses/UnsupportedMediaType415";
    assert!(
        doc["components"]["responses"]["UnsupportedMediaType415"]["description"]
            .as_str()
            .is_some_and(|text| text.contains("`unsupported_media_type`")),
        "{}",
        doc["components"]["responses"]
    );
    let mut refusing = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(body) = operation.get("requestBody") else {
                continue;
            };
            let operation_name = format!("{} {path}", method.to_uppercase());
            let uri = path.replace("{id}", ID).replace("{key}", ID);
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header("authorization", format!("Bearer {TOKEN}"))
                .body(Body::from("{}"))
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
            let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let documented = &operation["responses"]["415"];
            if status == 415 {
                refusing.insert(operation_name.clone());
                assert_eq!(
                    answer["error"]["code"], "unsupported_media_type",
                    "{operation_name}: {answer}"
                );
                assert_eq!(documented["$ref"], shared, "{operation_name}: {documented}");
            } else {
                assert!(
                    documented.is_null(),
                    "{operation_name} documents 415 but answered {status}: {answer}"
                );
            }
            let typed = body["content"]["application/json"]["schema"]["$ref"].is_string();
            assert!(
                !typed || status == 415,
                "{operation_name} takes a JSON body of the API's types but answered {status} to one without its Content-Type: {answer}"
            );
        }
    }
    assert!(refusing.len() >= 11, "{refusing:?}");
}

/// `(method, path, status, code, what the report says)`: `None`, nothing to report.
type Case<'a> = (&'a str, &'a str, u16, Option<&'a str>, Option<&'a str>);

/// The check the end-to-end tests run on every answer their nodes gave
/// (`openapi::undocumented`): what it lets through and what it reports, one case a row.
#[test]
fn the_check_of_answers_reports_what_the_document_does_not_describe() {
    let order = format!("/orders/{ID}");
    let events = format!("/orders/{ID}/events");
    let cases: [Case; 12] = [
        ("GET", &order, 200, None, None),
        ("GET", &order, 404, Some("unknown_order"), None),
        (
            "GET",
            &order,
            404,
            Some("no_such_code"),
            Some("does not name"),
        ),
        (
            "GET",
            &order,
            409,
            Some("order_closed"),
            Some("answered 409"),
        ),
        // Any write may answer an `Idempotency-Key`'s code (described once, shared); a read may not.
        ("POST", &events, 409, Some("idempotency_key_in_use"), None),
        (
            "GET",
            &order,
            409,
            Some("idempotency_key_in_use"),
            Some("answered 409"),
        ),
        // Any route may answer the connection layer's codes and `internal`, described once.
        ("POST", "/orders", 408, Some("request_timeout"), None),
        ("GET", &order, 500, Some("internal"), None),
        ("GET", &order, 408, Some("internal"), Some("answered 408")),
        // A response that refers to a shared one is read there.
        ("POST", "/orders", 415, Some("unsupported_media_type"), None),
        (
            "POST",
            "/orders",
            415,
            Some("malformed_json"),
            Some("does not name"),
        ),
        // What the document does not have at all is the router's fallback.
        ("GET", "/no/such/route", 404, Some("not_found"), None),
    ];
    for (method, path, status, code, reported) in cases {
        let answered = BTreeSet::from([(
            method.to_string(),
            path.to_string(),
            status,
            code.map(str::to_string),
        )]);
        let found = openapi::undocumented(&answered);
        match reported {
            None => assert!(
                found.is_empty(),
                "{method} {path} {status} {code:?}: {found:?}"
            ),
            Some(words) => assert!(
                found.len() == 1 && found[0].contains(words),
                "{method} {path} {status} {code:?} should be reported ({words}): {found:?}"
            ),
        }
    }
}

#[tokio::test]
async fn the_document_is_served_without_a_token() {
    let app = app();
    let request = Request::builder()
        .uri("/openapi.json")
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = to_bytes(response.into_body(), 1 << 22).await.unwrap();
    let served: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(served, document());
}

#[test]
fn the_readme_status_table_matches_the_document() {
    let table = readme_after("### Status codes");
    let mut listed = BTreeMap::new();
    for line in table.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(route) = cells[1].strip_prefix('`').and_then(|r| r.strip_suffix('`')) else {
            continue;
        };
        let (method, path) = route.split_once(' ').unwrap();
        let codes: BTreeSet<u16> = cells[2]
            .split(',')
            .map(|code| code.trim().parse().unwrap())
            .collect();
        listed.insert((method.to_string(), path.to_string()), codes);
    }
    assert_eq!(listed, documented(), "README (left) vs OpenAPI (right)");
}

/// node/README.md from the first `marker` on.
fn readme_after(marker: &str) -> String {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    match readme.split_once(marker) {
        Some((_, rest)) => rest.to_string(),
        None => panic!("node/README.md has no {marker:?}"),
    }
}

/// The calls of the README's API table (`| route | what |`): every backticked `METHOD /path` of
/// a row's first cell, without the query or optional parts it shows (`[?lang=…]`, `?from=N`).
fn readme_api_table() -> BTreeSet<(String, String)> {
    let table = readme_after("| route | what |");
    let mut calls = BTreeSet::new();
    for line in table.lines().skip(2) {
        if !line.starts_with('|') {
            break;
        }
        let first = line.split(" | ").next().unwrap().trim_start_matches('|');
        for call in first.split('`').skip(1).step_by(2) {
            let (method, path) = call.split_once(' ').unwrap();
            let path = path.split(['[', '?']).next().unwrap();
            calls.insert((method.to_string(), path.to_string()));
        }
    }
    calls
}

#[test]
fn the_readme_api_table_lists_every_documented_call() {
    let documented: BTreeSet<_> = documented().into_keys().collect();
    assert_eq!(
        readme_api_table(),
        documented,
        "README's API table (left) vs OpenAPI (right)"
    );
}

/// Prints the README's status-code table from the document: `cargo test -p pactum-node --test
/// openapi print_status_table -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_status_table() {
    println!("| route | statuses |\n|---|---|");
    for ((method, path), codes) in documented() {
        let codes: Vec<String> = codes.iter().map(u16::to_string).collect();
        println!("| `{method} {path}` | {} |", codes.join(", "));
    }
}

/// Every code the node answers with, and its HTTP status: the statuses the node answered
/// with before the status was chosen at the HTTP edge alone (`http::REFUSAL_STATUSES` and the
/// edge's own `ApiError::new(status, …)`), which the edge's `status_of` keeps.
const STATUSES: &[(&str, u16)] = &[
    // Not on this node.
    ("unknown_order", 404),
    ("unknown_proposal", 404),
    ("unknown_fact", 404),
    ("unknown_peer", 404),
    ("unknown_fault", 404),
    ("no_orders", 404),
    ("no_store", 404),
    // A request the API cannot read: an id, key, hash or query of the wrong form.
    ("bad_order_id", 400),
    ("bad_key", 400),
    ("bad_event_id", 400),
    ("bad_fault_id", 400),
    ("bad_cursor", 400),
    ("invalid_query", 400),
    // Well-formed, but the API does not take its values.
    ("invalid_clause", 422),
    ("duplicate_clause", 422),
    ("unknown_clause", 422),
    ("invalid_decision", 422),
    ("invalid_role", 422),
    ("invalid_address", 422),
    ("unresolvable_address", 422),
    ("own_key", 422),
    ("invalid_key", 422),
    ("invalid_lang", 422),
    ("invalid_time", 422),
    ("invalid_acknowledgement", 422),
    ("backup_failed", 422),
    ("bad_range", 422),
    ("unknown_reference", 422),
    ("document_spans_sequencers", 422),
    // The request itself does not fit: its content, signature or author.
    ("invalid_request", 422),
    ("invalid_contract", 422),
    ("invalid_event", 422),
    ("invalid_review", 422),
    ("invalid_close", 422),
    ("invalid_agreement", 422),
    ("malformed_entry", 422),
    ("bad_signature", 422),
    ("not_a_party", 422),
    ("not_sequencer", 422),
    ("not_invited", 422),
    ("not_accepted", 422),
    ("stranger", 422),
    ("refused_by_state_machine", 422),
    ("wrong_order", 422),
    ("out_of_sequence", 422),
    ("wrong_prev", 422),
    ("determinism_fault", 422),
    // The order's state: closed, closing, paused, moved past the record, holding it already,
    // facts queued; a party's refusal of the entry; a second entry at one position.
    ("already_started", 409),
    ("order_closed", 409),
    ("order_closing", 409),
    ("order_paused", 409),
    ("facts_queued", 409),
    ("nothing_to_review", 409),
    ("duplicate_event", 409),
    ("stale_review", 409),
    ("stale_agreement", 409),
    ("stale_close", 409),
    ("refused_by_party", 409),
    ("conflict", 409),
    ("equivocation", 409),
    // A document's facts taken in part: another party's node refused a later one.
    ("ingest_incomplete", 409),
    ("internal", 500),
    // Another node answered, but not as the protocol says.
    ("bad_answer", 502),
    ("bad_cosignature", 502),
    // Not answered, or not kept: the same request may succeed later.
    ("party_unreachable", 503),
    ("no_answer", 503),
    ("store_failed", 503),
    ("network_failed", 503),
    // The HTTP edge's own: the token, the router, the body, the listener, the API's
    // webhook, share-link, Idempotency-Key and fed-document checks.
    ("unauthorized", 401),
    ("forbidden", 403),
    ("not_found", 404),
    ("method_not_allowed", 405),
    ("request_timeout", 408),
    ("payload_too_large", 413),
    ("uri_too_long", 414),
    ("unsupported_media_type", 415),
    ("headers_too_large", 431),
    ("too_many_connections", 503),
    ("https_required", 400),
    ("malformed_json", 400),
    ("unreadable_body", 400),
    ("bad_path", 400),
    ("bad_lang", 400),
    ("invalid_last_event_id", 400),
    ("invalid_idempotency_key", 400),
    ("unknown_link", 404),
    ("unknown_webhook", 404),
    ("no_event_journal", 404),
    ("invalid_webhook", 422),
    ("document_does_not_fit", 422),
    ("idempotency_key_reused", 422),
    ("configured_webhook", 409),
    ("idempotency_key_in_use", 409),
];

#[test]
fn a_refusals_status_comes_from_its_code() {
    for (code, status) in STATUSES {
        let parsed = Code::parse(code);
        assert_eq!(parsed.as_str(), *code, "{code} is a code the node knows");
        assert!(Code::KNOWN.contains(&parsed), "{code}");
        assert_eq!(status_of(&parsed).as_u16(), *status, "{code}");
        // What the engine asks of a code (a close is withdrawn when it was refused, not when
        // it was not answered) agrees with what a client is told: a refusal is a 4xx.
        assert_eq!(parsed.is_refusal(), *status < 500, "{code}");
    }
    // The table has every code, and a code the node does not know (a newer node's) is a
    // conflict.
    for code in Code::KNOWN {
        assert!(
            STATUSES.iter().any(|(known, _)| code == known),
            "{code} has no status in the table"
        );
    }
    let newer = Code::parse("a_code_of_a_newer_node");
    assert_eq!(newer, Code::Other("a_code_of_a_newer_node".into()));
    assert_eq!(status_of(&newer).as_u16(), 409);
}

/// Where code outside the HTTP edge (`src/http/`) names an HTTP status of an API error: asks
/// the edge for one (`status_of`), builds an error with one (`ApiError::new(404, …)`) or reads
/// one off an error (`error.status`); each as `file:line text`. The HTTP client
/// (`src/client.rs`) reads the status of the answers it gets, and is not the engine's.
fn statuses_named_outside_the_edge() -> Vec<String> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (edge, client) = (src.join("http"), src.join("client.rs"));
    let named = |line: &str| {
        let line = line.split("//").next().unwrap_or_default();
        line.contains("status_of(")
            || line.contains("REFUSAL_STATUSES")
            || line
                .split("ApiError::new(")
                .skip(1)
                .any(|call| call.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            || ["error", "refused", "refusal", "err"]
                .iter()
                .any(|name| line.contains(&format!("{name}.status")))
    };
    let mut found = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path != edge {
                    dirs.push(path);
                }
                continue;
            }
            if path == client {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for (number, line) in source.lines().enumerate() {
                if named(line) {
                    let file = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
                    found.push(format!("{}:{} {}", file.display(), number + 1, line.trim()));
                }
            }
        }
    }
    found.sort();
    found
}

/// An API error is its code, its message and (for a fed document) a path: only the HTTP edge
/// gives it a status, from its code, so nothing outside `src/http/` names one.
#[test]
fn only_the_http_edge_gives_an_api_error_its_status() {
    let error = serde_json::to_value(ApiError::unknown_order(ID)).unwrap();
    let fields: Vec<&String> = error.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["code", "message"], "{error}");
    let found = statuses_named_outside_the_edge();
    assert!(
        found.is_empty(),
        "{} places outside the HTTP edge name an API error's status:\n{}",
        found.len(),
        found.join("\n")
    );
}

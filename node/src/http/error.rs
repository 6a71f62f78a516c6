//! Turning [`ApiError`]s and axum's extractor rejections into JSON error responses.

use axum::{
    extract::rejection::{JsonRejection, PathRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};

use crate::api::{ApiError, ErrorBody};

/// Wrapper so handlers can return `Result<_, HttpError>`.
#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl From<ApiError> for HttpError {
    fn from(error: ApiError) -> Self {
        HttpError(error)
    }
}

/// The code of the API error a response carries, kept in its extensions for
/// [`super::HttpSettings::observe`] (which so need not read the body).
#[derive(Debug, Clone)]
pub struct ErrorCode(pub String);

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(ErrorBody::from(&self.0))).into_response();
        response
            .extensions_mut()
            .insert(ErrorCode(self.0.code.clone()));
        response
    }
}

/// Every code with which the node refuses a request outside the HTTP edge's own refusals
/// (the token, the body's size and media type, the connection layer, the routes' paths), with
/// the HTTP status it is answered with: a refusal of this node's protocol core, or one another
/// party's node answered, which sends the code and a message only (`Response::Refused`), so
/// that a failure is answered with one status at every node; and the API's own checks of a
/// request. [`status_of`] reads it; such an error is built with `ApiError::refusal`, never
/// with a status of its own (`node/tests/openapi.rs` checks the sources).
pub const REFUSAL_STATUSES: &[(&str, u16)] = &[
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
];

/// The HTTP status of a refusal by its code ([`REFUSAL_STATUSES`]); a code it does not list
/// (a newer node's) is a conflict with the order's state, 409.
pub fn status_of(code: &str) -> u16 {
    REFUSAL_STATUSES
        .iter()
        .find(|(known, _)| *known == code)
        .map_or(409, |(_, status)| *status)
}

/// The API error for a JSON body axum could not extract.
pub fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status().as_u16();
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::JsonSyntaxError(_) => ApiError::bad_request(
            "malformed_json",
            format!("the request body is not valid JSON: {detail}"),
        ),
        JsonRejection::JsonDataError(_) => ApiError::refusal(
            "invalid_request",
            format!("the request body does not have the expected fields and types: {detail}"),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            415,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::BytesRejection(_) if status == 413 => ApiError::new(
            413,
            "payload_too_large",
            "the request body exceeds the node's size limit (http.max_body_bytes)",
        ),
        _ => ApiError::bad_request(
            "unreadable_body",
            format!("cannot read the request body: {detail}"),
        ),
    }
}

/// The API error for a path parameter axum could not extract.
pub fn path_rejection(rejection: PathRejection) -> ApiError {
    ApiError::bad_request(
        "bad_path",
        format!("invalid path parameter: {}", rejection.body_text()),
    )
}

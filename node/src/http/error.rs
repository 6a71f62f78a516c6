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

/// The HTTP status of a refusal by its code: one mapping, whether the refusal arose at this
/// node or at another party's node, which sends the code and a message only
/// (`Response::Refused`), so that a failure is answered with one status at every node.
pub fn status_of(code: &str) -> u16 {
    match code {
        "unknown_order" => 404,
        // The request itself does not fit: its content, signature or author.
        "invalid_request"
        | "invalid_contract"
        | "invalid_event"
        | "invalid_review"
        | "invalid_close"
        | "invalid_agreement"
        | "malformed_entry"
        | "bad_signature"
        | "not_a_party"
        | "refused_by_state_machine"
        | "wrong_order"
        | "out_of_sequence"
        | "wrong_prev"
        | "determinism_fault" => 422,
        "internal" => 500,
        // Another node answered, but not as the protocol says.
        "bad_answer" | "bad_cosignature" => 502,
        // Not answered, or not kept: the same request may succeed later.
        "party_unreachable" | "no_answer" | "store_failed" | "network_failed" => 503,
        // The order's state (closed, closing, paused, moved past the record, facts queued), a
        // party's refusal of the entry (`refused_by_party`), or a code of a newer node.
        _ => 409,
    }
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
        JsonRejection::JsonDataError(_) => ApiError::invalid(
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

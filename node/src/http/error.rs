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

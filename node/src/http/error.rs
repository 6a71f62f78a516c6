//! Turning [`ApiError`]s and axum's extractor rejections into JSON error responses.

use axum::{
    extract::rejection::{JsonRejection, PathRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};

use crate::api::{ApiError, Code, ErrorBody};

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
        let status = status_of(&self.0.code);
        let mut response = (status, Json(ErrorBody::from(&self.0))).into_response();
        response
            .extensions_mut()
            .insert(ErrorCode(self.0.code.as_str().to_string()));
        response
    }
}

/// The HTTP status an API error is answered with, chosen by its code alone, here at the HTTP
/// edge only: a refusal of this node's protocol core, one another party's node answered
/// (which sends the code and a message only, `Response::Refused`), so that a failure is
/// answered with one status at every node, the API's own checks of a request, and the edge's
/// own refusals (the token, the body's size and media type, the connection layer, the routes'
/// paths). A code this node does not know (a newer node's) is a conflict with the order's
/// state, 409.
pub fn status_of(code: &Code) -> StatusCode {
    match code {
        // Not on this node; a route the router does not have.
        Code::UnknownOrder
        | Code::UnknownProposal
        | Code::UnknownFact
        | Code::UnknownPeer
        | Code::UnknownFault
        | Code::UnknownWebhook
        | Code::UnknownLink
        | Code::NoOrders
        | Code::NoStore
        | Code::NoEventJournal
        | Code::NotFound => StatusCode::NOT_FOUND,
        // A request the API cannot read: an id, key, hash, query, path or body of the wrong
        // form; plain HTTP on a TLS port.
        Code::BadOrderId
        | Code::BadKey
        | Code::BadEventId
        | Code::BadFaultId
        | Code::BadCursor
        | Code::BadLang
        | Code::BadPath
        | Code::InvalidQuery
        | Code::InvalidLastEventId
        | Code::InvalidIdempotencyKey
        | Code::MalformedJson
        | Code::UnreadableBody
        | Code::HttpsRequired => StatusCode::BAD_REQUEST,
        // Well-formed, but the API does not take its values; the request itself does not
        // fit: its content, signature or author.
        Code::InvalidClause
        | Code::DuplicateClause
        | Code::UnknownClause
        | Code::InvalidDecision
        | Code::InvalidRole
        | Code::InvalidAddress
        | Code::UnresolvableAddress
        | Code::OwnKey
        | Code::InvalidKey
        | Code::InvalidLang
        | Code::InvalidTime
        | Code::InvalidAcknowledgement
        | Code::InvalidWebhook
        | Code::BackupFailed
        | Code::BadRange
        | Code::UnknownReference
        | Code::DocumentSpansSequencers
        | Code::DocumentDoesNotFit
        | Code::IdempotencyKeyReused
        | Code::InvalidRequest
        | Code::InvalidContract
        | Code::InvalidEvent
        | Code::InvalidReview
        | Code::InvalidClose
        | Code::InvalidAgreement
        | Code::MalformedEntry
        | Code::BadSignature
        | Code::NotAParty
        | Code::NotSequencer
        | Code::NotInvited
        | Code::NotAccepted
        | Code::Stranger
        | Code::RefusedByStateMachine
        | Code::WrongOrder
        | Code::OutOfSequence
        | Code::WrongPrev
        | Code::DeterminismFault => StatusCode::UNPROCESSABLE_ENTITY,
        // The order's state, a party's refusal, a second entry at one position, a document
        // taken in part; the node's configuration; a key in use.
        Code::AlreadyStarted
        | Code::OrderClosed
        | Code::OrderClosing
        | Code::OrderPaused
        | Code::FactsQueued
        | Code::NothingToReview
        | Code::DuplicateEvent
        | Code::StaleReview
        | Code::StaleAgreement
        | Code::StaleClose
        | Code::RefusedByParty
        | Code::Conflict
        | Code::Equivocation
        | Code::ConfiguredWebhook
        | Code::IdempotencyKeyInUse
        | Code::IngestIncomplete
        | Code::Other(_) => StatusCode::CONFLICT,
        Code::Unauthorized => StatusCode::UNAUTHORIZED,
        Code::Forbidden => StatusCode::FORBIDDEN,
        Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Code::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Code::UriTooLong => StatusCode::URI_TOO_LONG,
        Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Code::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        // Another node answered, but not as the protocol says.
        Code::BadAnswer | Code::BadCosignature => StatusCode::BAD_GATEWAY,
        // Not answered, or not kept: the same request may succeed later; the connection cap.
        Code::PartyUnreachable
        | Code::NoAnswer
        | Code::StoreFailed
        | Code::NetworkFailed
        | Code::TooManyConnections => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The API error for a JSON body axum could not extract.
pub fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status().as_u16();
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            Code::MalformedJson,
            format!("the request body is not valid JSON: {detail}"),
        ),
        JsonRejection::JsonDataError(_) => ApiError::new(
            Code::InvalidRequest,
            format!("the request body does not have the expected fields and types: {detail}"),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            Code::UnsupportedMediaType,
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::BytesRejection(_) if status == 413 => ApiError::new(
            Code::PayloadTooLarge,
            "the request body exceeds the node's size limit (http.max_body_bytes)",
        ),
        _ => ApiError::new(
            Code::UnreadableBody,
            format!("cannot read the request body: {detail}"),
        ),
    }
}

/// The API error for a path parameter axum could not extract.
pub fn path_rejection(rejection: PathRejection) -> ApiError {
    ApiError::new(
        Code::BadPath,
        format!("invalid path parameter: {}", rejection.body_text()),
    )
}

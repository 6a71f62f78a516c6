//! Request extractors that fail with the API's JSON errors instead of axum's plain text.

use axum::{
    extract::{FromRequest, FromRequestParts, Path, Request},
    http::request::Parts,
    Json,
};
use serde::de::DeserializeOwned;

use super::error::{json_rejection, path_rejection, HttpError};
use crate::api::{ApiError, Code};

/// A JSON body of type `T`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(HttpError(json_rejection(rejection))),
        }
    }
}

/// The path parameters of a route (a `String`, or a tuple of them), refused with the API's
/// JSON `400 bad_path` rather than axum's plain text when they cannot be read (a parameter
/// that is not UTF-8 once percent-decoded, `/webhooks/%FF`).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(HttpError(path_rejection(rejection))),
        }
    }
}

/// The `{id}` of an order route: 64 hex digits, returned lowercase.
pub struct OrderId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for OrderId {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ApiPath(id) = ApiPath::<String>::from_request_parts(parts, state).await?;
        if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            let shown: String = id.chars().take(80).collect();
            return Err(HttpError(ApiError::new(
                Code::BadOrderId,
                format!("order id {shown:?} is not 64 hex digits (the SHA-256 of the contract)"),
            )));
        }
        Ok(OrderId(id.to_ascii_lowercase()))
    }
}

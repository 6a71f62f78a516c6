//! `POST /ingest/epcis` (a GS1 EPCIS 2.0 JSON capture document) and `POST /ingest/cap` (an
//! OASIS CAP 1.2 XML alert): the document is read with the node's mapping
//! ([`crate::ingest`]), then its facts are checked whole and submitted by the engine.

use axum::{
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};

use super::{ApiQuery, AppState, HttpError};
use crate::{
    api::{ApiError, Code, IngestQuery, NodeApi},
    ingest::{map_document, Format},
};

pub(super) async fn epcis<A: NodeApi>(
    state: State<AppState<A>>,
    query: ApiQuery<IngestQuery>,
    body: Bytes,
) -> Result<Response, HttpError> {
    ingest(state, Format::Epcis, query, body).await
}

pub(super) async fn cap<A: NodeApi>(
    state: State<AppState<A>>,
    query: ApiQuery<IngestQuery>,
    body: Bytes,
) -> Result<Response, HttpError> {
    ingest(state, Format::Cap, query, body).await
}

async fn ingest<A: NodeApi>(
    State(state): State<AppState<A>>,
    format: Format,
    query: ApiQuery<IngestQuery>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let order = query.0.and_then(|query| query.order);
    let facts =
        map_document(format, &body, &state.settings.ingest, order.is_some()).map_err(|error| {
            HttpError(
                ApiError::new(Code::DocumentDoesNotFit, error.to_string()).at_path(error.path),
            )
        })?;
    let (answer, queued) = state.api.ingest(format, facts, order).await?;
    let status = if queued {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(answer)).into_response())
}

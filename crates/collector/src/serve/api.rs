//! The HTTP API: `POST /api/v1/reports` and `GET /api/v1/health`.
//!
//! An upload is answered with a JSON body `{"status", "report_id", "message"}`:
//!
//! | status code | status | when |
//! |---|---|---|
//! | 201 | `stored` | verified and stored |
//! | 200 | `already_stored` | this exact report was stored before (a replay changes nothing) |
//! | 400 | `refused` | not JSON, not a signed report, bad signature, unsupported schema version |
//! | 403 | `refused` | the report's host is not the host the client certificate was issued for |
//! | 408 | `refused` | the body did not arrive in time |
//! | 409 | `refused` | another file with this report id is stored, or the host's agent key changed |
//! | 413 | `refused` | larger than a report may be |
//! | 415 | `refused` | not `Content-Type: application/json` |
//! | 422 | `refused` | names a check this collector's catalog does not know |
//! | 429 | `refused` | this client sends too fast (`Retry-After` says when to come back) |
//! | 503 | `refused` | the store could not write it, or the collector is stopping: send again later |

use super::ratelimit::RateLimiter;
use super::writer::WriteJob;
use crate::pki::PeerIdentity;
use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use selfcheck_catalog::Catalog;
use selfcheck_ledger::import::{ImportError, ImportOutcome, verify_report};
use selfcheck_report::MAX_REPORT_BYTES;
use selfcheck_report::upload::{
    HEALTH_OK, HEALTH_PATH, Health, REPORTS_PATH, UploadAnswer, UploadStatus,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// What the handlers share.
pub struct AppState {
    /// The catalog reports are checked against.
    pub catalog: Catalog,
    /// The store writer's queue.
    pub writer: mpsc::Sender<WriteJob>,
    /// Per-client request rate.
    pub limiter: RateLimiter,
    /// How long the body may take to arrive.
    pub body_timeout: Duration,
    /// Largest body accepted.
    pub max_body: usize,
    /// Reports being parsed and checked at once, at most (one per core: more
    /// only thrash the caches while the others wait anyway).
    pub verifying: tokio::sync::Semaphore,
}

/// The API routes over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(REPORTS_PATH, post(post_report))
        .route(HEALTH_PATH, get(health))
        .fallback(not_found)
        .with_state(state)
}

fn answer(
    code: StatusCode,
    status: UploadStatus,
    report_id: Option<String>,
    message: String,
) -> Response {
    let body = UploadAnswer::new(status, report_id, message);
    (code, axum::Json(body)).into_response()
}

fn refused(code: StatusCode, message: impl Into<String>) -> Response {
    answer(code, UploadStatus::Refused, None, message.into())
}

async fn health() -> Response {
    axum::Json(Health {
        status: HEALTH_OK.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
    .into_response()
}

async fn not_found() -> Response {
    refused(
        StatusCode::NOT_FOUND,
        "no such endpoint; reports go to POST /api/v1/reports",
    )
}

async fn post_report(
    State(app): State<Arc<AppState>>,
    Extension(peer): Extension<Arc<PeerIdentity>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let response = upload(&app, &peer, &headers, body).await;
    tracing::info!(
        host = %peer.host,
        serial = %peer.serial,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "upload"
    );
    response
}

async fn upload(app: &AppState, peer: &PeerIdentity, headers: &HeaderMap, body: Body) -> Response {
    if let Err(wait) = app.limiter.check(&peer.serial) {
        let mut response = refused(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many requests from {}; try again in {} s",
                peer.host,
                wait.as_secs().max(1)
            ),
        );
        let secs = HeaderValue::from(wait.as_secs().max(1));
        response.headers_mut().insert(header::RETRY_AFTER, secs);
        return response;
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the signed report file as the body with Content-Type: application/json",
        );
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body is larger than {} bytes, the most a report may be",
                app.max_body
            ),
        )
    };
    if declared.is_some_and(|n| n > app.max_body as u64) {
        return too_large();
    }
    let bytes = match tokio::time::timeout(
        app.body_timeout,
        axum::body::to_bytes(body, app.max_body),
    )
    .await
    {
        Err(_) => {
            return refused(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the body did not arrive within {} s; send it again",
                    app.body_timeout.as_secs()
                ),
            );
        }
        Ok(Err(e)) => {
            if is_length_limit(&e) {
                return too_large();
            }
            return refused(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            );
        }
        Ok(Ok(bytes)) => bytes,
    };
    // Parsing and checking the signature of a large report takes a while:
    // off the async threads.
    let catalog = app.catalog.clone();
    let Ok(slot) = app.verifying.acquire().await else {
        return refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "the collector is stopping; send the report again later",
        );
    };
    let checked = {
        let bytes = bytes.clone();
        tokio::task::spawn_blocking(move || verify_report(&bytes, &catalog)).await
    };
    drop(slot);
    let verified = match checked {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return refusal(&e, None),
        Err(e) => {
            return refused(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the check of the report failed ({e}); send it again"),
            );
        }
    };
    let report_id = verified.signed.report.report_id.to_string();
    let host = verified.signed.report.host.hostname.clone();
    if host != peer.host {
        return answer(
            StatusCode::FORBIDDEN,
            UploadStatus::Refused,
            Some(report_id),
            format!(
                "the report is of host {host:?}, but this client certificate was issued to {:?}; an agent uploads only its own host's reports (enroll each host with its own name)",
                peer.host
            ),
        );
    }
    let (reply, outcome) = oneshot::channel();
    let job = WriteJob {
        bytes,
        verified,
        source: format!("upload from {} (certificate {})", peer.host, peer.serial),
        reply,
    };
    let stopping = || {
        refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "the collector is stopping; send the report again later",
        )
    };
    if app.writer.send(job).await.is_err() {
        return stopping();
    }
    match outcome.await {
        Err(_) => stopping(),
        Ok(ImportOutcome::Stored { findings, .. }) => answer(
            StatusCode::CREATED,
            UploadStatus::Stored,
            Some(report_id),
            format!("stored, {findings} finding(s)"),
        ),
        Ok(ImportOutcome::AlreadyStored { .. }) => answer(
            StatusCode::OK,
            UploadStatus::AlreadyStored,
            Some(report_id),
            "this report was stored before; nothing changed".into(),
        ),
        Ok(ImportOutcome::Refused { error }) => refusal(&error, Some(report_id)),
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// The status code for a refused report.
fn refusal(error: &ImportError, report_id: Option<String>) -> Response {
    let code = match error {
        ImportError::UnknownCheck { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ImportError::Conflict { .. }
        | ImportError::KeyChanged { .. }
        | ImportError::DuplicateMachineId { .. } => StatusCode::CONFLICT,
        ImportError::ClockSkew { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ImportError::Report(selfcheck_report::ReportError::TooLarge { .. }) => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        ImportError::Store(_) | ImportError::Batch(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    answer(code, UploadStatus::Refused, report_id, error.to_string())
}

/// The largest body: a report's limit.
pub const DEFAULT_MAX_BODY: usize = MAX_REPORT_BYTES;

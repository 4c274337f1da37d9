//! The HTTP API: `POST /api/v1/reports` and `GET /api/v1/health`.
//!
//! An upload is answered with a JSON body `{"status", "report_id", "message"}`:
//!
//! | status code | status | when |
//! |---|---|---|
//! | 201 | `stored` | verified and stored |
//! | 200 | `already_stored` | this exact report was stored before (a replay changes nothing) |
//! | 400 | `refused` | not JSON, not a signed report, bad signature, unsupported schema version |
//! | 401 | `refused` | the client certificate was revoked (or left the register) since the connection was opened; the connection is closed |
//! | 403 | `refused` | the report's host is not the host the client certificate was issued for |
//! | 408 | `refused` | the body did not arrive in time |
//! | 409 | `refused` | another file with this report id is stored, or the host's agent key changed |
//! | 413 | `refused` | larger than a report may be |
//! | 415 | `refused` | not `Content-Type: application/json` |
//! | 422 | `refused` | names a check this collector's catalog does not know |
//! | 429 | `refused` | this client sends too fast (`Retry-After` says when to come back) |
//! | 503 | `refused` | the store could not write it, the collector is receiving too much at once (`Retry-After`), or it is stopping: send again later |

use super::loglimit::LogLimiter;
use super::ratelimit::RateLimiter;
use super::writer::WriteJob;
use crate::pki::{ClientRegister, PeerIdentity};
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
    /// The memory budget of request bodies being received, parsed and
    /// stored, in KiB permits: an upload reserves its body's size first.
    pub body_memory: tokio::sync::Semaphore,
    /// The budget's size in bytes (for messages).
    pub body_memory_total: usize,
    /// The register every request's certificate is checked against.
    pub register: ClientRegister,
    /// The server's log line limiter.
    pub log: Arc<LogLimiter>,
    /// Reports being parsed and checked at once, at most (one per core: more
    /// only thrash the caches while the others wait anyway).
    pub verifying: tokio::sync::Semaphore,
}

/// The API routes over `state`, each request admitted only while its
/// client certificate is in the register and not revoked.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(REPORTS_PATH, post(post_report))
        .route(HEALTH_PATH, get(health))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admitted,
        ))
        .with_state(state)
}

/// Check the connection's certificate against the register before every
/// request: one revoked since the handshake gets 401 and the connection is
/// closed. (Not 403: an agent sets a report refused with 403 aside as bad,
/// while this report is fine and waits for the host to be enrolled again.)
async fn admitted(
    State(app): State<Arc<AppState>>,
    Extension(peer): Extension<Arc<PeerIdentity>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match app.register.admit(&peer) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            let why = refusal.explain(&peer);
            if app.log.allow("refused requests", &peer.serial) {
                tracing::warn!(host = %peer.host, serial = %peer.serial, "{why}");
            }
            let mut response = refused(StatusCode::UNAUTHORIZED, why);
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
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
    // Every answer is logged, except that a client refused for sending too
    // fast is logged a few times a window, then summarised.
    let status = response.status();
    if status != StatusCode::TOO_MANY_REQUESTS || app.log.allow("too fast uploads", &peer.serial) {
        tracing::info!(
            host = %peer.host,
            serial = %peer.serial,
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "upload"
        );
    }
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
    // The body's bytes are reserved from the memory budget before one is
    // read: many large uploads at once wait their turn (or are told to come
    // back) instead of each being buffered whole.
    let reserve = declared.map_or(app.max_body, |n| n as usize);
    let Some(_memory) = reserve_memory(app, reserve).await else {
        let mut response = refused(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the collector is receiving {} MiB of reports already; send this one again in {RETRY_WHEN_BUSY_SECS} s",
                app.body_memory_total / (1024 * 1024)
            ),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_WHEN_BUSY_SECS));
        return response;
    };
    let bytes =
        match tokio::time::timeout(app.body_timeout, read_body(body, declared, app.max_body)).await
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
            Ok(Err(BodyError::TooLarge)) => return too_large(),
            Ok(Err(BodyError::Broken(e))) => {
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

enum BodyError {
    TooLarge,
    Broken(axum::Error),
}

/// Read the body as it arrives into one buffer of the declared size,
/// stopping as soon as it passes `max` (nothing beyond is read or kept).
async fn read_body(
    mut body: Body,
    declared: Option<u64>,
    max: usize,
) -> Result<bytes::Bytes, BodyError> {
    use http_body_util::BodyExt;
    let mut buf = Vec::with_capacity(declared.map_or(64 * 1024, |n| n as usize).min(max));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Broken)?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > max {
                return Err(BodyError::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(bytes::Bytes::from(buf))
}

/// Reserve `bytes` of the upload memory budget, waiting up to
/// [`BUSY_WAIT`] for it; `None` when it stays taken.
async fn reserve_memory(app: &AppState, bytes: usize) -> Option<tokio::sync::SemaphorePermit<'_>> {
    let kib = u32::try_from(bytes.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
    tokio::time::timeout(BUSY_WAIT, app.body_memory.acquire_many(kib))
        .await
        .ok()?
        .ok()
}

/// How long an upload waits for its share of the memory budget.
const BUSY_WAIT: Duration = Duration::from_secs(20);

/// The `Retry-After` of a 503 for a full memory budget, in seconds.
const RETRY_WHEN_BUSY_SECS: u64 = 30;

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

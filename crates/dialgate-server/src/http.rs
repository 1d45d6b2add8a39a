//! The HTTP plumbing every route shares: JSON answers, error bodies, the
//! body checks in the contract's order, the per-request log line.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dialgate::Company;
use serde_json::{json, Value};

use crate::AppState;

/// The largest request body, bytes: 64 KiB; more is 413.
///
/// # Example
/// ```
/// assert_eq!(dialgate_server::MAX_BODY_BYTES, 65_536);
/// ```
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The `Content-Type` of every JSON answer.
static JSON: HeaderValue = HeaderValue::from_static("application/json");

/// What a request's log line says besides method, path, status and
/// latency: set on the response by the handlers and the auth layer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Outcome {
    /// `admitted`, a rejection code or an error code.
    pub(crate) code: Option<Cow<'static, str>>,
    /// The call id of an admitted or settled call.
    pub(crate) call_id: Option<String>,
}

/// The authenticated company, for the log line.
#[derive(Clone, Debug)]
pub(crate) struct Caller(pub(crate) Arc<Company>);

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    json_bytes(
        status,
        serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec()),
    )
}

/// A JSON answer already written.
pub(crate) fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, JSON.clone());
    response
}

/// An error answer: `{"ok": false, "error": {"code", "message"}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 422 `invalid_request`.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    /// 500 `internal`: a bug, never a decision.
    pub(crate) fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the host failed to answer; nothing was decided",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(
            self.status,
            &json!({"ok": false, "error": {"code": self.code, "message": self.message}}),
        );
        response.extensions_mut().insert(Outcome {
            code: Some(Cow::Borrowed(self.code)),
            call_id: None,
        });
        response
    }
}

/// The media type check: `application/json`, with at most a `charset`
/// parameter.
pub(crate) fn is_json_media_type(value: Option<&HeaderValue>) -> bool {
    let Some(text) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = text.split(';');
    let media = parts.next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|param| {
        let param = param.trim();
        param.is_empty()
            || param
                .split_once('=')
                .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
    })
}

/// A request body, checked in the contract's order: `Content-Type` (415),
/// size (413), JSON syntax (400), each `invalid_request`. The body is read
/// here, after the media type check, so that a 64 MiB `text/plain` body is
/// 415 and not 413.
pub(crate) async fn json_body(request: Request) -> Result<Bytes, ApiError> {
    if !is_json_media_type(request.headers().get(header::CONTENT_TYPE)) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "the body must be `application/json`",
        ));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            format!("the body is over {} KiB", MAX_BODY_BYTES / 1024),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            if is_length_limit(&e) {
                too_large()
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "the body could not be read",
                )
            }
        })?;
    if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is not JSON",
        ));
    }
    Ok(bytes)
}

/// Whether reading a body failed on its length limit (tower-http's limit
/// layer or `to_bytes`' own).
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

/// Turns every error answer that is not JSON yet (axum's own 404 and 405,
/// a rejected path, tower-http's 408 and 413, a caught panic) into the
/// contract's JSON error.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let ours = response.headers().contains_key(header::CONTENT_TYPE)
        && response.extensions().get::<Outcome>().is_some();
    if !(status.is_client_error() || status.is_server_error()) || ours {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "no such route".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => (
            "not_found",
            "this route does not take this method".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "invalid_request",
            format!("the body is over {} KiB", MAX_BODY_BYTES / 1024),
        ),
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "the request took too long".to_owned()),
        s if s.is_server_error() => (
            "internal",
            "the host failed to answer; nothing was decided".to_owned(),
        ),
        _ => (
            "invalid_request",
            "the request could not be read".to_owned(),
        ),
    };
    let (mut parts, _) = response.into_parts();
    let mut fixed = ApiError::new(status, code, message).into_response();
    // Keep the headers axum set (`Allow` on a 405), with the JSON type.
    parts.headers.insert(header::CONTENT_TYPE, JSON.clone());
    parts.headers.remove(header::CONTENT_LENGTH);
    std::mem::swap(fixed.headers_mut(), &mut parts.headers);
    fixed
}

/// The longest path a log line repeats, characters.
const MAX_LOGGED_PATH: usize = 256;

/// One structured line per request: method, path, status, company, code,
/// call id, latency. Never a header, a body or a key.
pub(crate) async fn log_line(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path: String = request.uri().path().chars().take(MAX_LOGGED_PATH).collect();
    let response = next.run(request).await;
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let outcome = response.extensions().get::<Outcome>();
    let company = response.extensions().get::<Caller>();
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        company = company.map_or("-", |c| c.0.id.as_str()),
        code = outcome.and_then(|o| o.code.as_deref()).unwrap_or("-"),
        call_id = outcome.and_then(|o| o.call_id.as_deref()).unwrap_or("-"),
        latency_us,
        "request"
    );
    response
}

/// Basic authentication on every `/api/` route: the caller's company goes
/// into the request's extensions (and the response's, for the log line).
pub(crate) async fn authenticate(
    State(app): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    let Some(company) = app.keys.authenticate(header) else {
        let mut response = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "authentication required: HTTP Basic with an API key of the company",
        )
        .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"dialgate\""),
        );
        return response;
    };
    let caller = Caller(company);
    request.extensions_mut().insert(caller.clone());
    let mut response = next.run(request).await;
    response.extensions_mut().insert(caller);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
            "application/json; charset=utf-8;",
        ] {
            assert!(
                is_json_media_type(Some(&HeaderValue::from_static(ok))),
                "{ok}"
            );
        }
        for bad in [
            "text/plain",
            "application/jsonx",
            "application/json; boundary=x",
            "application/x-www-form-urlencoded",
            "",
            "application/json, text/plain",
        ] {
            assert!(
                !is_json_media_type(Some(&HeaderValue::from_static(bad))),
                "{bad}"
            );
        }
        assert!(!is_json_media_type(None));
    }
}

//! make_call, commit and release of held calls, and the operations routes.

use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Utc};
use dialgate::Rejection;
use serde_json::json;

use crate::holds::Taken;
use crate::http::{json_body, json_bytes, json_response, ApiError, Caller, Outcome};
use crate::{AppState, Decision};

/// The status of a rejection, as the contract's table has it. The match is
/// exhaustive on purpose: a new rejection must be given a status here.
pub(crate) fn status_of(rejection: &Rejection) -> StatusCode {
    match rejection {
        Rejection::InvalidRequest { .. } | Rejection::InvalidNumber { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Rejection::UnknownLead { .. } | Rejection::ScheduleNotFound { .. } => StatusCode::NOT_FOUND,
        Rejection::ScheduleInactive { .. }
        | Rejection::NoMatchingDistribution { .. }
        | Rejection::RoutingLoop { .. }
        | Rejection::DuplicateConcurrentLead { .. }
        | Rejection::OutsideCallingWindow { .. } => StatusCode::CONFLICT,
        Rejection::SuppressedContact { .. } => StatusCode::FORBIDDEN,
        Rejection::RecentlyDialed { .. }
        | Rejection::CallCapReached { .. }
        | Rejection::CpsExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
        Rejection::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// `Retry-After`: the whole seconds from `now` to `retry_at`, rounded up,
/// at least 1.
pub(crate) fn retry_after_secs(retry_at: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    const NANOS: i128 = 1_000_000_000;
    let nanos = (retry_at - now)
        .num_nanoseconds()
        .map_or(i128::from(i64::MAX), i128::from);
    let secs = (nanos + NANOS - 1).div_euclid(NANOS);
    u64::try_from(secs).unwrap_or(0).max(1)
}

/// A rejection's answer: its status, the contract's error body and, when it
/// carries `retry_at`, `Retry-After`.
pub(crate) fn rejection_response(rejection: &Rejection, now: DateTime<Utc>) -> Response {
    let mut body = rejection.to_json();
    if let Rejection::SuppressedContact { number, .. } = rejection {
        // Never the entry or list that matched: a caller could probe lists.
        if let Some(message) = body.get_mut("error").and_then(|e| e.get_mut("message")) {
            *message = json!(format!("{number} is suppressed: it may not be called"));
        }
    }
    let mut response = json_response(status_of(rejection), &body);
    if let Some(at) = rejection.retry_at() {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(retry_after_secs(at, now)),
        );
    }
    response.extensions_mut().insert(Outcome {
        code: Some(Cow::Borrowed(rejection.code())),
        call_id: None,
    });
    response
}

/// `?hold=true` (or `false`); other parameters are ignored.
fn hold_param(query: Option<&str>) -> Result<bool, ApiError> {
    let mut hold = false;
    for pair in query.unwrap_or_default().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name == "hold" {
            hold = match value {
                "true" => true,
                "false" => false,
                _ => return Err(ApiError::invalid("`hold` must be `true` or `false`")),
            };
        }
    }
    Ok(hold)
}

fn caller(request: &Request) -> Result<Caller, ApiError> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(ApiError::internal)
}

/// `POST /api/v1/schedules/make_call[?hold=true]`.
pub(crate) async fn make_call(State(app): State<Arc<AppState>>, request: Request) -> Response {
    match make_call_inner(app, request).await {
        Ok(response) | Err(response) => response,
    }
}

async fn make_call_inner(app: Arc<AppState>, request: Request) -> Result<Response, Response> {
    let Caller(company) = caller(&request).map_err(IntoResponse::into_response)?;
    let hold = hold_param(request.uri().query());
    let body = json_body(request)
        .await
        .map_err(IntoResponse::into_response)?;
    let hold = hold.map_err(IntoResponse::into_response)?;
    let state = Arc::clone(&app);
    let decision = app
        .off_executor(move || state.decide(&company, &body, hold))
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(match decision {
        Decision::Rejected(rejection) => rejection_response(&rejection, app.clock.now()),
        Decision::Admitted { line, call_id } => {
            let mut response = json_bytes(StatusCode::OK, line);
            response.extensions_mut().insert(Outcome {
                code: Some(Cow::Borrowed(crate::metrics::ADMITTED)),
                call_id: Some(call_id),
            });
            response
        }
        Decision::CommitFailed { call_id, reason } => {
            let mut response = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("admission is unavailable: {reason}; the call was admitted but its commit was not recorded: do not place it"),
            )
            .into_response();
            response.extensions_mut().insert(Outcome {
                code: Some(Cow::Borrowed("unavailable")),
                call_id: Some(call_id),
            });
            response
        }
    })
}

/// `POST /api/v1/calls/{call_id}/commit`.
pub(crate) async fn commit(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(call_id): Path<String>,
) -> Response {
    settle(app, caller, call_id, true).await
}

/// `POST /api/v1/calls/{call_id}/release`.
pub(crate) async fn release(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(call_id): Path<String>,
) -> Response {
    settle(app, caller, call_id, false).await
}

async fn settle(
    app: Arc<AppState>,
    Caller(company): Caller,
    call_id: String,
    commit: bool,
) -> Response {
    let (taken, open) = app.holds.take(&company.id, &call_id, app.clock.now());
    app.metrics.holds_open(open);
    let not_held = |why: &str| {
        let mut response = ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_call",
            format!(
                "no call `{}` is held by this company{why}",
                dialgate::world::one_line(&call_id)
            ),
        )
        .into_response();
        response.extensions_mut().insert(Outcome {
            code: Some(Cow::Borrowed("unknown_call")),
            call_id: Some(call_id.clone()),
        });
        response
    };
    let admitted = match taken {
        Taken::NotHeld => return not_held(""),
        Taken::Expired(admitted) => {
            let state = Arc::clone(&app);
            let _ = app.off_executor(move || state.commit(admitted)).await;
            return not_held(": its lease ended, and it counts as placed");
        }
        Taken::Held(admitted) => admitted,
    };
    let state = Arc::clone(&app);
    let settled = app
        .off_executor(move || {
            if commit {
                state.commit(admitted)
            } else {
                state.release(admitted)
            }
        })
        .await;
    let mut response = match settled {
        Ok(Ok(())) => json_response(StatusCode::OK, &json!({"ok": true})),
        Ok(Err(reason)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("admission is unavailable: {reason}; the call is no longer held and its claims stay until they expire"),
        )
        .into_response(),
        Err(e) => e.into_response(),
    };
    let code = if response.status() == StatusCode::OK {
        if commit {
            "committed"
        } else {
            "released"
        }
    } else {
        "unavailable"
    };
    response.extensions_mut().insert(Outcome {
        code: Some(Cow::Borrowed(code)),
        call_id: Some(call_id),
    });
    response
}

/// `GET /healthz`: the process runs.
pub(crate) async fn healthz() -> Response {
    json_response(StatusCode::OK, &json!({"ok": true}))
}

/// `GET /readyz`: the host can decide (its admission state answers) and is
/// not stopping.
pub(crate) async fn readyz(State(app): State<Arc<AppState>>) -> Response {
    if app.draining.load(Ordering::Relaxed) {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the host is stopping",
        )
        .into_response();
    }
    let admission = Arc::clone(&app.admission);
    match app.off_executor(move || admission.health()).await {
        Ok(Ok(())) => json_response(StatusCode::OK, &json!({"ok": true})),
        Ok(Err(e)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("admission is unavailable: {}", e.reason),
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    let mut response = Response::new(Body::from(app.metrics.render()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        dialgate::timefmt::parse(text).unwrap()
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_at_least_one() {
        let now = t("2026-11-26T15:00:00.250Z");
        assert_eq!(retry_after_secs(t("2026-11-26T15:00:30Z"), now), 30);
        assert_eq!(retry_after_secs(t("2026-11-26T15:00:30.250Z"), now), 30);
        assert_eq!(
            retry_after_secs(t("2026-11-26T15:00:30.250000001Z"), now),
            31
        );
        assert_eq!(
            retry_after_secs(t("2026-11-26T15:00:00.250000001Z"), now),
            1
        );
        assert_eq!(retry_after_secs(now, now), 1);
        assert_eq!(retry_after_secs(t("2026-11-26T14:00:00Z"), now), 1);
    }

    #[test]
    fn hold_is_true_or_false() {
        assert!(!hold_param(None).unwrap());
        assert!(hold_param(Some("hold=true")).unwrap());
        assert!(!hold_param(Some("x=1&hold=false")).unwrap());
        assert!(hold_param(Some("hold=yes")).is_err());
        assert!(hold_param(Some("hold")).is_err());
    }
}

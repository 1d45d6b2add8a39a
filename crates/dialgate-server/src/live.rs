//! Leads, schedules and suppressions, changed while decisions run: the
//! engine's in-memory stores change through `&self`, each change whole
//! (a decision sees it entirely or not at all), and every decision that
//! starts after the answer sees it.

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use dialgate::{
    Company, EnrolError, EnrolRequest, Lead, LeadChange, LeadStatus, LeadStore, Put, StoreError,
};
use serde_json::{json, Value};

use crate::http::{json_body, json_response, ApiError, Caller, Outcome};
use crate::routes::rejection_response;
use crate::AppState;

/// A lead as in the world file, its number in E.164 when it reads.
fn lead_json(lead: &Lead, company: &Company, app: &AppState) -> Value {
    let number = app
        .engine
        .numbers()
        .read(&lead.number, company.default_region)
        .map_or_else(|_| lead.number.clone(), |n| n.to_string());
    json!({
        "id": lead.id,
        "company_id": lead.company_id,
        "schedule_id": lead.schedule_id,
        "number": number,
        "status": lead.status.as_str(),
        "data": serde_json::to_value(&lead.data).unwrap_or(Value::Null),
    })
}

fn with_code(mut response: Response, code: &'static str) -> Response {
    response.extensions_mut().insert(Outcome {
        code: Some(Cow::Borrowed(code)),
        call_id: None,
    });
    response
}

fn ok(status: StatusCode, body: &Value) -> Response {
    with_code(json_response(status, body), "ok")
}

fn unknown_lead(id: &str) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_lead",
        format!(
            "no lead `{}` in this company",
            dialgate::world::one_line(id)
        ),
    )
    .into_response()
}

/// The caller and the checked body of a request.
async fn caller_and_body(request: Request) -> Result<(Arc<Company>, axum::body::Bytes), Response> {
    let Caller(company) = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| ApiError::internal().into_response())?;
    let body = json_body(request)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((company, body))
}

/// `POST /api/v1/leads`: steps 1 to 5, then a live lead in the dialing
/// schedule (201), or the live lead there with that number already (200).
pub(crate) async fn enrol(State(app): State<Arc<AppState>>, request: Request) -> Response {
    let (company, body) = match caller_and_body(request).await {
        Ok(parts) => parts,
        Err(response) => return response,
    };
    let state = Arc::clone(&app);
    let enrolled = app
        .off_executor(move || {
            let request = EnrolRequest::from_json(&body).map_err(EnrolError::Rejected)?;
            let enrolled = state.engine.enrol(&company, &request)?;
            Ok::<_, EnrolError>((enrolled, company))
        })
        .await;
    match enrolled {
        Err(e) => e.into_response(),
        Ok(Ok((enrolled, company))) => {
            let status = if enrolled.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            ok(
                status,
                &json!({"ok": true, "lead": lead_json(&enrolled.lead, &company, &app)}),
            )
        }
        Ok(Err(EnrolError::Rejected(rejection))) => rejection_response(&rejection, app.clock.now()),
        Ok(Err(EnrolError::Conflict(id))) => ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "lead id `{}` is already used in this company",
                dialgate::world::one_line(&id)
            ),
        )
        .into_response(),
    }
}

/// `GET /api/v1/leads/{id}`.
pub(crate) async fn get_lead(
    State(app): State<Arc<AppState>>,
    Extension(Caller(company)): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    match app.engine.leads().lead(&company.id, &id) {
        Ok(Some(lead)) => ok(
            StatusCode::OK,
            &json!({"ok": true, "lead": lead_json(&lead, &company, &app)}),
        ),
        Ok(None) => unknown_lead(&id),
        Err(e) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("lead store is unavailable: {}", e.reason),
        )
        .into_response(),
    }
}

/// The change a `PATCH /api/v1/leads/{id}` body asks for: `status` and
/// `data` (which replaces the lead's data whole, checked as a request's
/// `data`); a lead's id, company, schedule and number do not change.
fn lead_change(body: &[u8]) -> Result<LeadChange, ApiError> {
    let object: serde_json::Map<String, Value> = serde_json::from_slice(body)
        .map_err(|_| ApiError::invalid("the body must be a JSON object"))?;
    for fixed in ["id", "company_id", "schedule_id", "number"] {
        if object.contains_key(fixed) {
            return Err(ApiError::invalid(format!(
                "`{fixed}` cannot be changed: delete the lead and enrol it again"
            )));
        }
    }
    let status = match object.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 64 => {
            Some(LeadStatus::from(s.as_str()))
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "`status` must be a string of 1 to 64 bytes",
            ));
        }
    };
    let data = match object.get("data") {
        None | Some(Value::Null) => None,
        Some(data) => {
            // The same rules as a request's `data`: flat, scalars, bounded.
            let wrapped = serde_json::to_vec(&json!({ "data": data }))
                .map_err(|_| ApiError::invalid("`data` does not read"))?;
            let read =
                EnrolRequest::from_json(&wrapped).map_err(|r| ApiError::invalid(r.to_string()))?;
            Some(read.data)
        }
    };
    Ok(LeadChange { status, data })
}

/// `PATCH /api/v1/leads/{id}` with `{"status"?, "data"?}`.
pub(crate) async fn patch_lead(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (company, body) = match caller_and_body(request).await {
        Ok(parts) => parts,
        Err(response) => return response,
    };
    let change = match lead_change(&body) {
        Ok(change) => change,
        Err(e) => return e.into_response(),
    };
    match app.engine.leads().update(&company.id, &id, change) {
        Some(lead) => ok(
            StatusCode::OK,
            &json!({"ok": true, "lead": lead_json(&lead, &company, &app)}),
        ),
        None => unknown_lead(&id),
    }
}

/// `DELETE /api/v1/leads/{id}`.
pub(crate) async fn delete_lead(
    State(app): State<Arc<AppState>>,
    Extension(Caller(company)): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    match app.engine.leads().remove(&company.id, &id) {
        Some(lead) => ok(
            StatusCode::OK,
            &json!({"ok": true, "lead": lead_json(&lead, &company, &app)}),
        ),
        None => unknown_lead(&id),
    }
}

/// `PUT /api/v1/schedules/{id}`: creates (201) or replaces (200) the
/// caller's schedule.
pub(crate) async fn put_schedule(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    put_schedule_with_id(app, id, request).await
}

/// `PUT /api/v1/schedules/make_call`: a schedule whose id is `make_call`
/// (the path is make_call's for `POST`).
pub(crate) async fn put_schedule_make_call(
    State(app): State<Arc<AppState>>,
    request: Request,
) -> Response {
    put_schedule_with_id(app, "make_call".to_owned(), request).await
}

async fn put_schedule_with_id(app: Arc<AppState>, id: String, request: Request) -> Response {
    let (company, body) = match caller_and_body(request).await {
        Ok(parts) => parts,
        Err(response) => return response,
    };
    let schedule = match dialgate::world::schedule_from_json(&company.id, &id, &body) {
        Ok(schedule) => schedule,
        Err(e) => return ApiError::invalid(e).into_response(),
    };
    match app.engine.schedules().put(schedule) {
        Ok(Put::Created) => ok(StatusCode::CREATED, &json!({"ok": true})),
        Ok(Put::Replaced) => ok(StatusCode::OK, &json!({"ok": true})),
        Err(StoreError::DuplicateLeadToken(token)) => ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "lead token `{}` is held by another schedule",
                dialgate::world::one_line(&token)
            ),
        )
        .into_response(),
        Err(e) => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()).into_response(),
    }
}

/// `POST /api/v1/suppressions` (201) and `DELETE /api/v1/suppressions`
/// (200, or 404 `unknown_suppression`): entries of the caller's company.
pub(crate) async fn add_suppression(
    State(app): State<Arc<AppState>>,
    request: Request,
) -> Response {
    change_suppression(app, request, true).await
}

/// See [`add_suppression`].
pub(crate) async fn remove_suppression(
    State(app): State<Arc<AppState>>,
    request: Request,
) -> Response {
    change_suppression(app, request, false).await
}

async fn change_suppression(app: Arc<AppState>, request: Request, add: bool) -> Response {
    let (company, body) = match caller_and_body(request).await {
        Ok(parts) => parts,
        Err(response) => return response,
    };
    let entry = match dialgate::world::suppression_from_json(&company, &body, app.engine.numbers())
    {
        Ok(entry) => entry,
        Err(e) => return ApiError::invalid(e).into_response(),
    };
    if add {
        app.engine.suppressions().insert(entry);
        ok(StatusCode::CREATED, &json!({"ok": true}))
    } else if app.engine.suppressions().remove(&entry) {
        ok(StatusCode::OK, &json!({"ok": true}))
    } else {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_suppression",
            "this company has no equal suppression entry",
        )
        .into_response()
    }
}

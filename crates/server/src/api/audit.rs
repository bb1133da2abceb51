//! Hygiene rules, audit rounds, violations (answer and review) and standings.
use crate::api::json_body;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_store::audit::{ViolationQuery, ROUND_JOB};
use poryadok_store::jobs::NewJob;
use serde::Deserialize;
use serde_json::{json, Value};

fn id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

pub async fn list_rules(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.list_rules(&actor).await?})))
}

pub async fn create_rule(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let rule = st.db.create_rule(&actor, &json_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": rule}))).into_response())
}

pub async fn get_rule(State(st): State<AppState>, Auth(actor): Auth, Path(raw): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.get_rule(&actor, id(&raw)?).await?})))
}

pub async fn update_rule(State(st): State<AppState>, Auth(actor): Auth, Path(raw): Path<String>, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.update_rule(&actor, id(&raw)?, &json_body(&body)?).await?})))
}

pub async fn delete_rule(State(st): State<AppState>, Auth(actor): Auth, Path(raw): Path<String>) -> ApiResult<StatusCode> {
    st.db.delete_rule(&actor, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a round and hands it to the job worker; the answer comes at once with the round's id.
pub async fn start_round(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Response> {
    let round = begin_round(&st, &actor).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"data": {"id": round, "status": "running"}}))).into_response())
}

/// Opens a round and enqueues its evaluation; shared by the API and the web UI.
pub async fn begin_round(st: &AppState, actor: &poryadok_store::Actor) -> Result<i64, poryadok_store::StoreError> {
    let round = st.db.start_round(actor).await?;
    st.db
        .enqueue(
            &NewJob::new(actor.ws_id(), ROUND_JOB, json!({"round_id": round}), st.db.clock.now_ms()).dedupe(format!("audit-round:{round}")),
        )
        .await?;
    st.wake_worker();
    Ok(round)
}

pub async fn rounds(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.rounds(&actor).await?})))
}

#[derive(Deserialize)]
pub struct ViolationParams {
    round: Option<i64>,
    user: Option<i64>,
    rule: Option<i64>,
    status: Option<String>,
    limit: Option<u64>,
}

pub async fn violations(State(st): State<AppState>, Auth(actor): Auth, Query(p): Query<ViolationParams>) -> ApiResult<Json<Value>> {
    let q = ViolationQuery { id: None, round: p.round, user: p.user, rule: p.rule, status: p.status, limit: p.limit };
    Ok(Json(json!({"data": st.db.violations(&actor, &q).await?})))
}

pub async fn answer(State(st): State<AppState>, Auth(actor): Auth, Path(raw): Path<String>, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.answer_violation(&actor, id(&raw)?, &json_body(&body)?).await?})))
}

pub async fn review(State(st): State<AppState>, Auth(actor): Auth, Path(raw): Path<String>, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.review_violation(&actor, id(&raw)?, &json_body(&body)?).await?})))
}

pub async fn standings(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.standings(&actor).await?})))
}

#[derive(Deserialize)]
pub struct ExportParams {
    format: Option<String>,
}

/// The server's own address as the client reached it, for links in the workbook.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).filter(|s| *s == "https").unwrap_or("http");
    format!("{scheme}://{host}")
}

/// A round as an XLSX workbook (default) or CSV.
pub async fn export(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(raw): Path<String>,
    Query(p): Query<ExportParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let round = id(&raw)?;
    if !st.db.rounds(&actor).await?.iter().any(|r| r["id"] == round) {
        return Err(ApiError::not_found());
    }
    let rows = st.db.round_export(&actor, round).await?;
    let rules = st.db.list_rules(&actor).await?;
    let (base, ru) = (base_url(&headers), actor.ws.locale == "ru");
    let disposition = |ext: &str| format!("attachment; filename=\"audit-round-{round}.{ext}\"");
    match p.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => {
            let bytes = crate::export::workbook(&rules, &rows, &base, ru).map_err(|e| {
                tracing::error!(error = %e, "workbook");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the workbook could not be written")
            })?;
            let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
            Ok(([(header::CONTENT_TYPE, ct.to_string()), (header::CONTENT_DISPOSITION, disposition("xlsx"))], bytes).into_response())
        }
        "csv" => {
            let body = crate::export::csv(&rules, &rows, &base, ru);
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition("csv"))], body)
                .into_response())
        }
        _ => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "must be one of: xlsx, csv").with_field("format")),
    }
}

/// Installs the built-in catalogue: `{"params": {"stage_demo_done": "Демо проведено", …}}` maps it
/// to the workspace's own names; the body may be empty.
pub async fn install_catalogue(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let body = if body.is_empty() { json!({}) } else { json_body(&body)? };
    let mut params = std::collections::HashMap::new();
    if let Some(p) = body.get("params") {
        let obj = p.as_object().ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "must be an object of names").with_field("params")
        })?;
        for (k, v) in obj {
            let v = v.as_str().ok_or_else(|| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "must be a string").with_field(format!("params.{k}"))
            })?;
            params.insert(k.clone(), v.to_string());
        }
    }
    let added = st.db.install_catalogue(&actor, &params).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": added}))).into_response())
}

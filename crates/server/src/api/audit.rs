//! Hygiene rules, audit rounds, violations (answer and review) and standings.
use crate::api::extract::{id_cursor, limit, page_of, paginate, ApiPath, ApiQuery, Paging};
use crate::api::json_body;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::msg::{words, AuditMsg, Common};
use poryadok_core::Lang;
use poryadok_store::audit::{ViolationQuery, ViolationState, ROUND_JOB};
use poryadok_store::jobs::NewJob;
use serde::Deserialize;
use serde_json::{json, Value};

fn id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

pub async fn list_rules(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(p): ApiQuery<Paging>) -> ApiResult<Json<Value>> {
    let (data, next) = paginate(st.db.list_rules(&actor).await?, &p, MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

/// Lists the store gives whole answer everything by default, as before they were paged.
const MAX_LIMIT: u64 = crate::api::extract::MAX_LIMIT;

pub async fn create_rule(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let rule = st.db.create_rule(&actor, &json_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": rule}))).into_response())
}

pub async fn get_rule(State(st): State<AppState>, Auth(actor): Auth, ApiPath(raw): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.get_rule(&actor, id(&raw)?).await?})))
}

pub async fn update_rule(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(raw): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.update_rule(&actor, id(&raw)?, &json_body(&body)?).await?})))
}

pub async fn delete_rule(State(st): State<AppState>, Auth(actor): Auth, ApiPath(raw): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.delete_rule(&actor, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a round and hands it to the job worker; the answer comes at once with the round's id.
/// `{"now": "2026-11-24T09:00:00Z"}` (optional) evaluates the rules as of that moment, so time
/// rules can be tried without waiting.
pub async fn start_round(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let body = if body.is_empty() { json!({}) } else { json_body(&body)? };
    let Some(obj) = body.as_object() else {
        return Err(ApiError::from_msg(StatusCode::BAD_REQUEST, "validation", Common::BodyNotObject {}).with_field("body"));
    };
    if let Some(k) = obj.keys().find(|k| k.as_str() != "now") {
        return Err(ApiError::invalid(k.clone(), Common::UnknownField { expected: words(["now"]) }));
    }
    let now = match obj.get("now") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(poryadok_core::types::parse_timestamp(t).map_err(|e| ApiError::invalid("now", e))?),
        Some(_) => return Err(ApiError::invalid("now", Common::NotString {})),
    };
    let round = begin_round_at(&st, &actor, now).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"data": {"id": round, "status": "running"}}))).into_response())
}

/// Opens a round and enqueues its evaluation; shared by the API and the web UI.
pub async fn begin_round(st: &AppState, actor: &poryadok_store::Actor) -> Result<i64, poryadok_store::StoreError> {
    begin_round_at(st, actor, None).await
}

/// [`begin_round`] as of `now` (milliseconds), carried by the job to the evaluation.
pub async fn begin_round_at(st: &AppState, actor: &poryadok_store::Actor, now: Option<i64>) -> Result<i64, poryadok_store::StoreError> {
    let round = st.db.start_round_at(actor, now).await?;
    let payload = match now {
        Some(t) => json!({"round_id": round, "now": t}),
        None => json!({"round_id": round}),
    };
    st.db.enqueue(&NewJob::new(actor.ws_id(), ROUND_JOB, payload, st.db.clock.now_ms()).dedupe(format!("audit-round:{round}"))).await?;
    st.wake_worker();
    Ok(round)
}

pub async fn rounds(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(p): ApiQuery<Paging>) -> ApiResult<Json<Value>> {
    let (data, next) = paginate(st.db.rounds(&actor).await?, &p, MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViolationParams {
    round_id: Option<i64>,
    rule_id: Option<i64>,
    user_id: Option<i64>,
    state: Option<String>,
    answered: Option<bool>,
    /// The first names of `round_id`, `user_id`, `rule_id` and of `state` (answers only), kept
    /// for the clients that use them.
    round: Option<i64>,
    user: Option<i64>,
    rule: Option<i64>,
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// One filter given under its name or its older one (not both).
fn either(new: (&str, Option<i64>), old: (&str, Option<i64>)) -> ApiResult<Option<i64>> {
    match (new.1, old.1) {
        (Some(_), Some(_)) => Err(ApiError::invalid(new.0, Common::EitherNotBoth { a: new.0.to_string(), b: old.0.to_string() })),
        (n, o) => Ok(n.or(o)),
    }
}

/// Violations oldest first, a page at a time (default 50, at most 500); `next_cursor` is the
/// last id of the page. The filters combine.
pub async fn violations(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(p): ApiQuery<ViolationParams>) -> ApiResult<Json<Value>> {
    let limit = limit(p.limit.as_deref(), 50)?;
    let state = match p.state.as_deref() {
        None | Some("") => None,
        Some(s) => {
            Some(ViolationState::parse(s).ok_or_else(|| ApiError::invalid("state", Common::OneOf { list: ViolationState::names() }))?)
        }
    };
    let q = ViolationQuery {
        round: either(("round_id", p.round_id), ("round", p.round))?,
        user: either(("user_id", p.user_id), ("user", p.user))?,
        rule: either(("rule_id", p.rule_id), ("rule", p.rule))?,
        status: p.status,
        state,
        answered: p.answered,
        limit: Some(limit + 1),
        after_id: id_cursor(p.cursor.as_deref())?,
        ..ViolationQuery::default()
    };
    let mut data = st.db.violations(&actor, &q).await?;
    let next = if data.len() as u64 > limit {
        data.truncate(limit as usize);
        data.last().map(|v| v.id.to_string())
    } else {
        None
    };
    Ok(Json(page_of(data, next)))
}

pub async fn answer(State(st): State<AppState>, Auth(actor): Auth, ApiPath(raw): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.answer_violation(&actor, id(&raw)?, &json_body(&body)?).await?})))
}

pub async fn review(State(st): State<AppState>, Auth(actor): Auth, ApiPath(raw): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.review_violation(&actor, id(&raw)?, &json_body(&body)?).await?})))
}

pub async fn standings(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.standings(&actor).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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
    ApiPath(raw): ApiPath<String>,
    ApiQuery(p): ApiQuery<ExportParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let round = id(&raw)?;
    if !st.db.rounds(&actor).await?.iter().any(|r| r.id == round) {
        return Err(ApiError::not_found());
    }
    let rows = st.db.round_export(&actor, round).await?;
    // The export reads the rules in their wire form.
    let rules: Vec<Value> = st.db.list_rules(&actor).await?.iter().map(|r| json!(r)).collect();
    // The workbook is for the one who asked: in their language.
    let ru = Lang::for_reader(actor.user_locale.as_deref(), &actor.ws.locale) == Lang::Ru;
    let base = base_url(&headers);
    let disposition = |ext: &str| format!("attachment; filename=\"audit-round-{round}.{ext}\"");
    match p.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => {
            // An internal error: logged with its cause, answered with the generic message.
            let bytes = crate::export::workbook(&rules, &rows, &base, ru)
                .map_err(|e| ApiError::from(poryadok_store::StoreError::Internal(format!("workbook: {e}"))))?;
            let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
            Ok(([(header::CONTENT_TYPE, ct.to_string()), (header::CONTENT_DISPOSITION, disposition("xlsx"))], bytes).into_response())
        }
        "csv" => {
            let body = crate::export::csv(&rules, &rows, &base, ru);
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition("csv"))], body)
                .into_response())
        }
        _ => Err(ApiError::invalid("format", Common::OneOf { list: words(["xlsx", "csv"]) })),
    }
}

/// Installs the built-in catalogue: `{"params": {"stage_demo_done": "Демо проведено", …}}` maps it
/// to the workspace's own names; the body may be empty.
pub async fn install_catalogue(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let body = if body.is_empty() { json!({}) } else { json_body(&body)? };
    let mut params = std::collections::HashMap::new();
    if let Some(p) = body.get("params") {
        let obj = p.as_object().ok_or_else(|| ApiError::invalid("params", AuditMsg::ParamsObject {}))?;
        for (k, v) in obj {
            let v = v.as_str().ok_or_else(|| ApiError::invalid(format!("params.{k}"), Common::NotString {}))?;
            params.insert(k.clone(), v.to_string());
        }
    }
    let added = st.db.install_catalogue(&actor, &params).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": added}))).into_response())
}

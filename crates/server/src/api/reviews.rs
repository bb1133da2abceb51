//! Call quality review: `/api/v1/reviews/scorecard`, `/api/v1/reviews/settings`,
//! `/api/v1/reviews/sample`, the queue `/api/v1/reviews[/{id}]` with scoring, a dispute and its
//! resolution, and `/api/v1/reviews/report`.
use super::json_body;
use crate::api::extract::ApiPath;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::Json;
use poryadok_core::msg::{words, Common, ReviewMsg};
use poryadok_store::reviews::parse_week;
use serde_json::{json, Value};

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn week_of(s: &str, field: &str) -> ApiResult<time::Date> {
    parse_week(s).ok_or_else(|| ApiError::invalid(field, ReviewMsg::Week { s: s.to_string() }))
}

pub async fn get_scorecard(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.scorecard(&actor).await?})))
}

/// `PUT /api/v1/reviews/scorecard` with `{name?, criteria}`: the next version.
pub async fn put_scorecard(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.put_scorecard(&actor, &json_body(&body)?).await?})))
}

pub async fn get_settings(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.review_settings(&actor).await?})))
}

/// `PATCH /api/v1/reviews/settings` with `{inbound_pct?, outbound_pct?, min_seconds?, seed?}`.
pub async fn patch_settings(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.put_review_settings(&actor, &json_body(&body)?).await?})))
}

/// `POST /api/v1/reviews/sample` with `{week?: "2026-W48"}` (default: last week).
pub async fn sample(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    if !actor.caller.role.can_configure_regulation() {
        return Err(ApiError::from(poryadok_store::StoreError::forbidden(ReviewMsg::HeadsOnly {})));
    }
    let body = if body.is_empty() { json!({}) } else { json_body(&body)? };
    let monday = match body.get("week").and_then(Value::as_str) {
        Some(w) => week_of(w, "week")?,
        None => poryadok_store::reviews::last_week(&actor.ws.timezone, st.db.clock.now_ms()),
    };
    Ok(Json(json!({"data": st.db.sample_week(&actor, monday).await?})))
}

/// `GET /api/v1/reviews?status=&manager_id=&week=`.
pub async fn list(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let (mut status, mut manager, mut week) = (None, None, None);
    for (k, v) in pairs(q.as_deref()) {
        match k.as_str() {
            "status" => status = Some(v),
            "manager_id" => manager = Some(v.parse::<i64>().map_err(|_| ApiError::invalid("manager_id", Common::NotInteger {}))?),
            "week" => {
                week_of(&v, "week")?;
                week = Some(v)
            }
            other => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["status", "manager_id", "week"]) })),
        }
    }
    let data = st.db.reviews(&actor, status.as_deref(), manager, week.as_deref()).await?;
    Ok(Json(json!({"data": data})))
}

pub async fn get(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.review(&actor, id_of(&id)?).await?})))
}

/// `POST /api/v1/reviews/{id}/score` with `{points: {key: n}, comment?, comment_second?}`.
pub async fn score(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.score_review(&actor, id_of(&id)?, &json_body(&body)?).await?})))
}

/// `POST /api/v1/reviews/{id}/dispute` with `{text}` (the call's manager, once).
pub async fn dispute(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.dispute_review(&actor, id_of(&id)?, &json_body(&body)?).await?})))
}

/// `POST /api/v1/reviews/{id}/resolve` with `{resolution: upheld|changed, points?, comment?}`.
pub async fn resolve(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.resolve_review(&actor, id_of(&id)?, &json_body(&body)?).await?})))
}

/// `GET /api/v1/reviews/report?from=2026-W45&to=2026-W48[&format=csv|xlsx][&by=criterion]`
/// (default: the last four weeks): JSON, or the report's tables as one CSV or a workbook of one
/// sheet per table; `by=criterion` downloads the manager × criterion table alone.
pub async fn report(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let (mut from, mut to, mut format, mut by_criterion) = (None, None, None, false);
    for (k, v) in pairs(q.as_deref()) {
        match k.as_str() {
            "from" => from = Some(v),
            "to" => to = Some(v),
            "format" if ["json", "csv", "xlsx"].contains(&v.as_str()) => format = Some(v),
            "format" => return Err(ApiError::invalid("format", Common::OneOf { list: words(["json", "csv", "xlsx"]) })),
            "by" if ["criterion", ""].contains(&v.as_str()) => by_criterion = v == "criterion",
            "by" => return Err(ApiError::invalid("by", Common::OneOf { list: words(["criterion"]) })),
            other => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["from", "to", "format", "by"]) })),
        }
    }
    let (from, to) = crate::ui::reviews::period_of(&actor.ws.timezone, st.db.clock.now_ms(), from.as_deref(), to.as_deref())?;
    let data = st.db.review_report(&actor, &from, &to).await?;
    let t = crate::ui::i18n::T::new(actor.ws_lang());
    Ok(match format.as_deref() {
        Some(f @ ("csv" | "xlsx")) => crate::ui::reviews::export(&data, &t, f, by_criterion, &from)?,
        _ => Json(json!({"data": data})).into_response(),
    })
}

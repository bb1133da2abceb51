//! Sales plans: `/api/v1/plans[/{id}]` and the import of a plan sheet at `/api/v1/plans/import`.
use super::json_body;
use crate::api::records::{etag, if_match};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::msg::{words, Common};
use poryadok_core::plan::PlanPeriod;
use poryadok_store::plans::{Plan, PlanQuery};
use serde_json::{json, Value};

use crate::api::extract::ApiPath;

/// The largest plan sheet one request takes.
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// A plan with its version as the `ETag`.
fn one(status: StatusCode, p: &Plan) -> Response {
    let mut res = (status, Json(json!({"data": p.to_json()}))).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(p.version)) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

/// `GET /api/v1/plans?period=&user_id=&team_id=&metric=&limit=&cursor=`
pub async fn list(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let pairs = pairs(q.as_deref());
    let pq = PlanQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let page = st.db.plans(&actor, &pq).await?;
    Ok(Json(json!({"data": page.data.iter().map(Plan::to_json).collect::<Vec<_>>(), "next_cursor": page.next_cursor})))
}

/// `GET /api/v1/plans/spread?period=2026-Q4` (or a month of it): the quarter's plans the
/// caller reads, each month by month — the months' own plans and the parts of the quarter's
/// plan spread over the others by their working days; what the monthly plan-fact and the bonus
/// report measure against.
pub async fn spread(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let mut period = None;
    for (k, v) in pairs(q.as_deref()) {
        match k.as_str() {
            "period" => period = Some(PlanPeriod::parse(&v).map_err(|m| ApiError::invalid("period", m))?),
            other => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["period"]) })),
        }
    }
    let period = period.ok_or_else(|| ApiError::invalid("period", Common::Required {}))?;
    let (quarter, lines) = st.db.plan_spread(&actor, period).await?;
    Ok(Json(json!({"quarter": quarter.key(), "data": lines.iter().map(|l| l.to_json()).collect::<Vec<_>>()})))
}

pub async fn create(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let p = st.db.create_plan(&actor, &json_body(&body)?).await?;
    Ok(one(StatusCode::CREATED, &p))
}

pub async fn get(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    Ok(one(StatusCode::OK, &st.db.plan(&actor, id_of(&id)?).await?))
}

/// `PATCH /api/v1/plans/{id}` with `{value}`; `If-Match` with the `ETag` read guards the change.
pub async fn update(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let p = st.db.update_plan(&actor, id_of(&id)?, &json_body(&body)?, version).await?;
    Ok(one(StatusCode::OK, &p))
}

pub async fn delete(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.delete_plan(&actor, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/plans/import[?dry_run=true][&period=2026-11]` with the sheet as the body
/// (`text/csv` or the XLSX type): the report, with each row's cells and the rows refused.
pub async fn import(
    State(st): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let (mut dry_run, mut period) = (false, None);
    for (k, v) in pairs(q.as_deref()) {
        match (k.as_str(), v.as_str()) {
            ("dry_run", "true" | "1") => dry_run = true,
            ("dry_run", "false" | "0" | "") => dry_run = false,
            ("dry_run", _) => return Err(ApiError::invalid("dry_run", Common::NotBool {})),
            ("period", "") => period = None,
            ("period", p) => period = Some(PlanPeriod::parse(p).map_err(|m| ApiError::invalid("period", m))?),
            (other, _) => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["dry_run", "period"]) })),
        }
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let report = st.db.import_plans(&actor, &body, content_type, period, dry_run, &mut |_, _| {}).await?;
    Ok(Json(json!({"data": report.to_json()})))
}

//! The team: work schedules (`/api/v1/users/{id}/schedule[/exceptions]`), who is on shift
//! (`/api/v1/team/on_shift`), the week's team calendar (`/api/v1/team/calendar`) and the routing
//! answer for a telephony provider (`/api/v1/routing?phone=`).
use super::json_body;
use crate::api::extract::ApiPath;
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
use poryadok_store::team::{RouteMode, UserSchedule};
use serde_json::{json, Value};

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn schedule_response(s: &UserSchedule) -> Response {
    let mut res = Json(json!({"data": s})).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(s.version)) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

/// `GET /api/v1/users/{id}/schedule`: the weekly pattern, the exceptions not yet over, whether
/// the user is on shift now and when next; the version is the `ETag`.
pub async fn get_schedule(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    Ok(schedule_response(&st.db.user_schedule(&actor, id_of(&id)?).await?))
}

/// `PUT /api/v1/users/{id}/schedule` with `{shifts: [{day: 1–7, start: "09:00", end: "18:00"}]}`
/// (`null`: back to business hours); overlapping shifts are 422 `schedule_shift_overlap`.
pub async fn put_schedule(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    Ok(schedule_response(&st.db.put_schedule(&actor, id_of(&id)?, &json_body(&body)?, version).await?))
}

/// `POST /api/v1/users/{id}/schedule/exceptions` with `{kind, from, to?, start?, end?}`.
pub async fn add_exception(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let e = st.db.add_schedule_exception(&actor, id_of(&id)?, &json_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": e}))).into_response())
}

/// `DELETE /api/v1/users/{id}/schedule/exceptions/{exception_id}`.
pub async fn delete_exception(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((id, eid)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    st.db.delete_schedule_exception(&actor, id_of(&id)?, id_of(&eid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/team/on_shift`: every active user, those on shift now first.
pub async fn on_shift(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    let team = st.db.team_on_shift(&actor).await?;
    let on: Vec<i64> = team.iter().filter(|m| m.on_shift).map(|m| m.user_id).collect();
    Ok(Json(json!({"data": team, "on_shift": on})))
}

/// `GET /api/v1/team/calendar?week=2026-12-07`: the week holding that day (default: this week).
pub async fn calendar(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let mut day = None;
    for (k, v) in pairs(q.as_deref()) {
        match k.as_str() {
            "week" if v.is_empty() => {}
            "week" => {
                day = Some(
                    poryadok_core::schedule::parse_date(&v).ok_or_else(|| ApiError::invalid("week", Common::NotDate { s: v.clone() }))?,
                )
            }
            other => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["week"]) })),
        }
    }
    Ok(Json(json!({"data": st.db.team_calendar(&actor, day).await?})))
}

/// `GET /api/v1/routing?phone=+7…[&mode=round_robin|least_load]`: the manager to connect the
/// caller to, with the reason as a code (`route_owner_on_shift`, `route_next_on_shift`,
/// `route_new_client`, `route_head_nobody_on_shift`).
pub async fn routing(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let (mut phone, mut mode) = (None, RouteMode::RoundRobin);
    for (k, v) in pairs(q.as_deref()) {
        match k.as_str() {
            "phone" => phone = Some(v),
            "mode" => {
                mode = RouteMode::parse(&v)
                    .ok_or_else(|| ApiError::invalid("mode", Common::OneOf { list: words(["round_robin", "least_load"]) }))?
            }
            other => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["phone", "mode"]) })),
        }
    }
    let phone = phone.ok_or_else(|| ApiError::invalid("phone", Common::Required {}))?;
    Ok(Json(json!({"data": st.db.routing_for_phone(&actor, &phone, mode).await?})))
}

//! Intake for administrators: sources (with their secret on creation and rotation), the inbox of
//! raw events with their errors, re-processing after a fix, the telephony presets, and a deal's
//! touches.
use super::json_body;
use crate::api::extract::{id_cursor, limit, offset, page_of, paginate, ApiPath, ApiQuery, Paging};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use poryadok_core::intake::{preset_mapping, CALL_FIELDS, CALL_PRESETS};
use serde::Deserialize;
use serde_json::{json, Map, Value};

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().map_err(|_| ApiError::not_found())
}

/// The source's JSON with its full webhook URL when the server knows its public address.
fn source_json(st: &AppState, s: &poryadok_store::intake::Source, with_secret: bool) -> Value {
    let mut v = s.to_json(with_secret);
    if let Some(base) = &st.public_url {
        v["hook_url"] = json!(format!("{base}{}", s.hook_path()));
        if s.kind == "form" {
            v["form_url"] = json!(format!("{base}/f/{}", s.hook_key));
        }
    }
    v
}

pub async fn list_sources(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(p): ApiQuery<Paging>) -> ApiResult<Json<Value>> {
    let all: Vec<Value> = st.db.sources(&actor).await?.iter().map(|s| source_json(&st, s, false)).collect();
    let (data, next) = paginate(all, &p, crate::api::extract::MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

pub async fn create_source(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let s = st.db.create_source(&actor, &json_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": source_json(&st, &s, true)}))))
}

pub async fn get_source(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    let s = st.db.source(&actor, id_of(&id)?).await?;
    Ok(Json(json!({"data": source_json(&st, &s, false)})))
}

pub async fn update_source(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let s = st.db.update_source(&actor, id_of(&id)?, &json_body(&body)?).await?;
    Ok(Json(json!({"data": source_json(&st, &s, false)})))
}

pub async fn delete_source(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.delete_source(&actor, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rotate_secret(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    let s = st.db.rotate_source_secret(&actor, id_of(&id)?).await?;
    Ok(Json(json!({"data": source_json(&st, &s, true)})))
}

/// The telephony presets: each one's parameter names, and the call fields a mapping may name.
pub async fn presets(Auth(_actor): Auth) -> Json<Value> {
    let presets: Map<String, Value> =
        CALL_PRESETS.iter().map(|p| ((*p).to_string(), json!(preset_mapping(p).unwrap_or_default()))).collect();
    let meeting_presets: Map<String, Value> = poryadok_core::meetings::MEETING_PRESETS
        .iter()
        .map(|p| ((*p).to_string(), json!(poryadok_core::meetings::preset_mapping(p).unwrap_or_default())))
        .collect();
    Json(json!({"data": {
        "presets": presets,
        "call_fields": CALL_FIELDS,
        "meeting_presets": meeting_presets,
        "meeting_fields": poryadok_core::meetings::MEETING_FIELDS,
        "callback_placeholders": poryadok_core::template::CALLBACK_PLACEHOLDERS,
    }}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    status: Option<String>,
    source_id: Option<i64>,
    limit: Option<String>,
    before_id: Option<i64>,
    cursor: Option<String>,
}

pub async fn events(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(q): ApiQuery<EventsQuery>) -> ApiResult<Json<Value>> {
    let limit = limit(q.limit.as_deref(), 100)?;
    let before_id = id_cursor(q.cursor.as_deref())?.or(q.before_id);
    let data = st.db.events(&actor, q.status.as_deref(), q.source_id, limit, before_id).await?;
    let next = (data.len() as u64 == limit).then(|| data.last().map(|e| e.id)).flatten();
    let counts = st.db.event_counts(&actor).await?;
    Ok(Json(json!({"data": data, "next_cursor": next.map(|i| i.to_string()), "next_before_id": next, "counts": counts})))
}

pub async fn event(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.event(&actor, id_of(&id)?).await?})))
}

pub async fn reprocess(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    let ev = st.db.reprocess_event(&actor, id_of(&id)?).await?;
    st.wake_worker();
    Ok(Json(json!({"data": ev})))
}

pub async fn touches(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Value>> {
    let (data, next) = paginate(st.db.touches(&actor, id_of(&id)?).await?, &p, crate::api::extract::MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

/// `GET /api/v1/{deals|persons}/{id}/messages`.
pub async fn messages(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((collection, id)): ApiPath<(String, String)>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Value>> {
    let entity = match collection.as_str() {
        "deals" => poryadok_core::schema::Entity::Deal,
        "persons" => poryadok_core::schema::Entity::Person,
        _ => return Err(ApiError::not_found()),
    };
    // The store gives the newest first up to a count; the page is cut from as many as it needs.
    let wanted = limit(p.limit.as_deref(), 100)?;
    let from = offset(p.cursor.as_deref())?;
    let all = st.db.messages(&actor, entity, id_of(&id)?, from + wanted + 1).await?;
    let (data, next) = paginate(all, &p, 100)?;
    Ok(Json(page_of(data, next)))
}

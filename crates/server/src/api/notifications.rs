//! The caller's notifications: list, unread count, mark read. Everyone sees only their own.
use crate::api::json_body;
use crate::api::reports::int_param;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use poryadok_store::notifications::{Notification, MAX_LIST};
use serde_json::{json, Value};

const DEFAULT_LIMIT: u64 = 50;
/// Ids one request may mark read.
const MAX_IDS: usize = 500;

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", message).with_field(field)
}

fn bool_param(raw: Option<&str>, name: &str) -> ApiResult<bool> {
    match form_urlencoded::parse(raw.unwrap_or("").as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).as_deref() {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(invalid(name, "must be true or false")),
    }
}

/// `GET /api/v1/notifications?unread=true&limit=50&before=ID`: newest first; page back with
/// `before` set to the last id of the previous answer.
pub async fn list(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let q = q.as_deref();
    let unread = bool_param(q, "unread")?;
    let limit = int_param(q, "limit")?.map_or(DEFAULT_LIMIT, |n| (n as u64).min(MAX_LIST));
    let items = st.db.notifications(&actor, unread, limit, int_param(q, "before")?).await?;
    Ok(Json(json!({"data": items.iter().map(Notification::to_json).collect::<Vec<_>>()})))
}

/// `GET /api/v1/notifications/unread_count`
pub async fn unread_count(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": {"unread": st.db.unread_count(&actor).await?}})))
}

/// Which notifications a mark-read request names: `{"ids": [..]}` or `{"all": true}`.
fn ids_to_mark(body: &Value) -> ApiResult<Option<Vec<i64>>> {
    let obj = body.as_object().ok_or_else(|| ApiError::bad_body("a JSON object is required"))?;
    match (obj.get("ids"), obj.get("all")) {
        (Some(_), Some(_)) => Err(invalid("ids", "give either ids or all, not both")),
        (None, Some(Value::Bool(true))) => Ok(None),
        (None, Some(_)) => Err(invalid("all", "must be true")),
        (Some(Value::Array(ids)), None) => {
            if ids.len() > MAX_IDS {
                return Err(invalid("ids", "at most 500 ids at a time"));
            }
            ids.iter()
                .map(|v| v.as_i64().filter(|i| *i > 0).ok_or_else(|| invalid("ids", "must be an array of notification ids")))
                .collect::<ApiResult<Vec<_>>>()
                .map(Some)
        }
        (Some(_), None) => Err(invalid("ids", "must be an array of notification ids")),
        (None, None) => Err(invalid("ids", "is required (or \"all\": true)")),
    }
}

/// `POST /api/v1/notifications/read`: marks the caller's own notifications read; other users' ids
/// change nothing. Answers how many changed and how many remain unread.
pub async fn read(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    let ids = ids_to_mark(&json_body(&body)?)?;
    let marked = st.db.mark_read(&actor, ids.as_deref()).await?;
    Ok(Json(json!({"data": {"marked": marked, "unread": st.db.unread_count(&actor).await?}})))
}

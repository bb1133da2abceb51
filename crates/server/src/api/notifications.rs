//! The caller's notifications: list, unread count, mark read. Everyone sees only their own.
use crate::api::extract::{id_cursor, limit, page_of, ApiQuery};
use crate::api::json_body;
use crate::api::reports::int_param;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use poryadok_store::notifications::{Notification, MAX_LIST};
use serde::Deserialize;
use serde_json::{json, Value};

const DEFAULT_LIMIT: u64 = 50;
/// Ids one request may mark read.
const MAX_IDS: usize = 500;

fn invalid(field: &str, msg: impl Into<poryadok_core::Msg>) -> ApiError {
    ApiError::invalid(field, msg)
}

fn bool_param(raw: Option<&str>, name: &str) -> ApiResult<bool> {
    match raw {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(invalid(name, poryadok_core::msg::Common::NotBool {})),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    unread: Option<String>,
    limit: Option<String>,
    before: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/v1/notifications?unread=true&limit=50&cursor=…`: newest first; page back with
/// `cursor` set to the previous answer's `next_cursor` (`before`, the last id, works too).
pub async fn list(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(q): ApiQuery<ListParams>) -> ApiResult<Json<Value>> {
    let unread = bool_param(q.unread.as_deref(), "unread")?;
    // The store gives at most MAX_LIST a time: a larger page is that many, with a cursor on.
    let limit = limit(q.limit.as_deref(), DEFAULT_LIMIT)?.min(MAX_LIST);
    let before = match id_cursor(q.cursor.as_deref())? {
        Some(c) => Some(c),
        None => int_param(q.before.as_deref().map(|b| format!("before={b}")).as_deref(), "before")?,
    };
    let items = st.db.notifications(&actor, unread, limit, before).await?;
    let next = (items.len() as u64 == limit).then(|| items.last().map(|n| n.id.to_string())).flatten();
    Ok(Json(page_of(items.iter().map(Notification::to_json).collect::<Vec<_>>(), next)))
}

/// `GET /api/v1/notifications/unread_count`
pub async fn unread_count(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": {"unread": st.db.unread_count(&actor).await?}})))
}

/// Which notifications a mark-read request names: `{"ids": [..]}` or `{"all": true}`.
fn ids_to_mark(body: &Value) -> ApiResult<Option<Vec<i64>>> {
    let obj = body.as_object().ok_or_else(|| ApiError::bad_body(poryadok_core::msg::ApiMsg::ObjectRequired {}))?;
    match (obj.get("ids"), obj.get("all")) {
        (Some(_), Some(_)) => Err(invalid("ids", poryadok_core::msg::Common::EitherNotBoth { a: "ids".into(), b: "all".into() })),
        (None, Some(Value::Bool(true))) => Ok(None),
        (None, Some(_)) => Err(invalid("all", poryadok_core::msg::Common::MustBeTrue {})),
        (Some(Value::Array(ids)), None) => {
            if ids.len() > MAX_IDS {
                return Err(invalid("ids", poryadok_core::msg::Common::AtMostAtATime { n: MAX_IDS as i64, what: "ids".into() }));
            }
            ids.iter()
                .map(|v| {
                    v.as_i64()
                        .filter(|i| *i > 0)
                        .ok_or_else(|| invalid("ids", poryadok_core::msg::Common::IdsOf { what: "notification".into() }))
                })
                .collect::<ApiResult<Vec<_>>>()
                .map(Some)
        }
        (Some(_), None) => Err(invalid("ids", poryadok_core::msg::Common::IdsOf { what: "notification".into() })),
        (None, None) => Err(invalid("ids", poryadok_core::msg::Common::RequiredOr { alt: "\"all\": true".into() })),
    }
}

/// `POST /api/v1/notifications/read`: marks the caller's own notifications read; other users' ids
/// change nothing. Answers how many changed and how many remain unread.
pub async fn read(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    let ids = ids_to_mark(&json_body(&body)?)?;
    let marked = st.db.mark_read(&actor, ids.as_deref()).await?;
    Ok(Json(json!({"data": {"marked": marked, "unread": st.db.unread_count(&actor).await?}})))
}

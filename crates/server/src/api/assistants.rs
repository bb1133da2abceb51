//! Assistants: their settings, a run now (or a dry run listing what it would do and why), and
//! what they did to a record.
use super::json_body;
use crate::api::extract::{page_of, paginate, ApiPath, ApiQuery, Paging};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use poryadok_core::domain::Role;
use poryadok_core::msg::{AssistantMsg, Common};
use poryadok_core::schema::Entity;
use serde_json::{json, Value};

pub async fn list(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(p): ApiQuery<Paging>) -> ApiResult<Json<Value>> {
    let (data, next) = paginate(st.db.assistants(&actor).await?, &p, crate::api::extract::MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

pub async fn update(State(st): State<AppState>, Auth(actor): Auth, ApiPath(name): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.update_assistant(&actor, &name, &json_body(&body)?).await?})))
}

/// `{"dry_run": true, "now": "2026-11-24T09:00:00Z"}`; both optional (a real run, now).
pub async fn run(State(st): State<AppState>, Auth(actor): Auth, ApiPath(name): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    let body = if body.is_empty() { json!({}) } else { json_body(&body)? };
    let dry_run = match body.get("dry_run") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::from_msg(StatusCode::BAD_REQUEST, "validation", Common::NotBool {}).with_field("dry_run")),
    };
    let allowed = if dry_run { matches!(actor.caller.role, Role::Admin | Role::Head) } else { actor.caller.role == Role::Admin };
    if !allowed {
        return Err(ApiError::from_msg(StatusCode::FORBIDDEN, "forbidden", AssistantMsg::RunForbidden {}));
    }
    let now = match body.get("now").and_then(Value::as_str) {
        Some(t) => Some(
            poryadok_core::types::parse_timestamp(t)
                .map_err(|e| ApiError::from_msg(StatusCode::BAD_REQUEST, "validation", e).with_field("now"))?,
        ),
        None => None,
    };
    let report = st.db.run_assistant(actor.ws_id(), &name, now, dry_run).await?;
    st.wake_worker();
    Ok(Json(json!({"data": report.to_json()})))
}

fn entity_of(collection: &str) -> ApiResult<Entity> {
    match Entity::from_path(collection) {
        Some(e @ (Entity::Organization | Entity::Person | Entity::Deal | Entity::Activity)) => Ok(e),
        _ => Err(ApiError::not_found()),
    }
}

pub async fn actions(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((collection, id)): ApiPath<(String, i64)>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Value>> {
    let (data, next) = paginate(st.db.assistant_actions(&actor, entity_of(&collection)?, id).await?, &p, crate::api::extract::MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

pub async fn labels(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((collection, id)): ApiPath<(String, i64)>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Value>> {
    let (data, next) = paginate(st.db.labels(&actor, entity_of(&collection)?, id).await?, &p, crate::api::extract::MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

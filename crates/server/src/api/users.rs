//! What an administrator does to a user's sign-in beyond the user record itself: lifting a
//! lockout that wrong passwords put on the account (see `poryadok_store::auth`).
use crate::api::extract::ApiPath;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// `POST /api/v1/users/{id}/unlock`: lifts the user's sign-in lockout and forgets their recent
/// failures; `unlocked` says whether a lockout was on. Administrators only (403); a user of
/// another workspace is 404.
pub async fn unlock(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    let unlocked = st.db.unlock_user(&actor, id).await?;
    Ok(Json(json!({"data": {"unlocked": unlocked}})))
}

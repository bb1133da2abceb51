//! The caller's workspace settings: `GET` for everyone, `PATCH` for administrators.
use crate::api::json_body;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

pub async fn get(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.workspace_json(&actor).await?})))
}

pub async fn update(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.update_workspace(&actor, &json_body(&body)?).await?})))
}

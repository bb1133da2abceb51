//! Client notifications' settings (`/api/v1/client_notifications`, administrators) and the
//! caller's own mail account (`/api/v1/me/smtp`, every user for themselves).
use super::json_body;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// `GET /api/v1/client_notifications`: quiet hours and a rule per stage and event.
pub async fn get_settings(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.client_notify_settings(&actor).await?})))
}

/// `PUT /api/v1/client_notifications`: `{quiet_hours?, rules?: [{event, stage_id?, enabled?,
/// channel?, template_key?}]}`; rules not named keep what they had.
pub async fn put_settings(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.set_client_notify_settings(&actor, &json_body(&body)?).await?})))
}

/// `GET /api/v1/me/smtp`: the caller's own mail account (the password only as `password_set`), or null.
pub async fn get_own_smtp(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.own_smtp(&actor).await?})))
}

/// `PUT /api/v1/me/smtp`: `{host, port?, tls: tls|starttls|none, login?, password?, from?}`;
/// a password left out (or `***`) keeps the stored one; `null` removes the account.
pub async fn put_own_smtp(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.set_own_smtp(&actor, &json_body(&body)?).await?})))
}

//! Sign-in for the UI (session cookie + CSRF token), the caller's profile, and API tokens.
use crate::api::json_body;
use crate::auth::{cookie, Auth, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::schema::Entity;
use poryadok_store::auth::SESSION_DAYS;
use poryadok_store::StoreError;
use serde_json::{json, Value};

pub fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", SESSION_DAYS * 86_400)
}

pub async fn login(State(st): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let field = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "is required").with_field(name))
    };
    let (email, password) = (field("email")?, field("password")?);
    let (token, csrf, actor) = st.db.login(email, password).await.map_err(|e| match e {
        StoreError::Unauthorized => ApiError::unauthorized("wrong e-mail or password"),
        other => other.into(),
    })?;
    let user = st.db.get(&actor, Entity::User, actor.user_id()).await?;
    let mut resp = Json(json!({"data": {"user": user.to_json(), "csrf_token": csrf}})).into_response();
    let cookie = HeaderValue::from_str(&session_cookie(&token, st.secure_cookies))
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "cookie"))?;
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(resp)
}

pub async fn logout(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        st.db.logout(token).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static("poryadok_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"));
    Ok(resp)
}

pub async fn me(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    let user = st.db.get(&actor, Entity::User, actor.user_id()).await?;
    let ws = st.db.workspace_json(&actor).await?;
    Ok(Json(json!({"data": {"user": user.to_json(), "workspace": ws}})))
}

/// Creates an API token for the caller; the token is in this response and nowhere else.
pub async fn create_token(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let name = if body.is_empty() {
        "api".to_string()
    } else {
        let v = json_body(&body)?;
        match v.get("name") {
            None | Some(Value::Null) => "api".to_string(),
            Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 100 => s.trim().to_string(),
            Some(_) => {
                return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "must be 1 to 100 characters").with_field("name"))
            }
        }
    };
    let token = st.db.create_token(actor.ws_id(), actor.user_id(), &name).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": {"name": name, "token": token}}))).into_response())
}

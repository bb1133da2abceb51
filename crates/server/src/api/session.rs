//! Sign-in for the UI (session cookie + CSRF token, throttled per account and client address)
//! and the caller's profile. API tokens are in [`super::tokens`].
use crate::api::json_body;
use crate::auth::{client_addr, cookie, minutes_left, notify_lockout, peer_addr, seconds_left, Auth, Peer, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::schema::Entity;
use poryadok_store::auth::{SignIn, SESSION_DAYS};
use serde_json::{json, Value};

pub fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", SESSION_DAYS * 86_400)
}

/// Cookies are `Secure` when the server is reached over HTTPS: configured so, or its public
/// address is an `https://` one.
pub fn secure_cookies(st: &AppState) -> bool {
    st.secure_cookies || st.public_url.as_deref().is_some_and(|u| u.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("https://")))
}

/// The answer to a sign-in refused for too many failures: 429 with `Retry-After`.
pub fn too_many_attempts(retry_after_ms: i64) -> Response {
    let minutes = minutes_left(retry_after_ms);
    let mut resp =
        ApiError::from_msg(StatusCode::TOO_MANY_REQUESTS, "rate_limited", poryadok_core::msg::ApiMsg::TooManyAttempts { minutes })
            .with_field("email")
            .into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds_left(retry_after_ms)));
    resp
}

pub async fn login(State(st): State<AppState>, peer: Peer, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let field = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::invalid(name, poryadok_core::msg::Common::Required {}))
    };
    let (email, password) = (field("email")?, field("password")?);
    let client = client_addr(&st, peer_addr(peer), &headers);
    let (token, csrf, actor) = match st.db.sign_in(email, password, client.as_deref()).await? {
        SignIn::Ok { token, csrf, actor } => (token, csrf, actor),
        SignIn::Refused => return Err(ApiError::unauthorized(poryadok_core::msg::ApiMsg::WrongPassword {})),
        SignIn::Throttled { retry_after_ms, lockout } => {
            if let Some(l) = lockout {
                notify_lockout(&st, &l).await;
            }
            return Ok(too_many_attempts(retry_after_ms));
        }
    };
    let user = st.db.get(&actor, Entity::User, actor.user_id()).await?;
    let mut resp = Json(json!({"data": {"user": user.to_json(), "csrf_token": csrf}})).into_response();
    let cookie = HeaderValue::from_str(&session_cookie(&token, secure_cookies(&st))).map_err(|_| ApiError::internal())?;
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
    let mut user = user.to_json();
    // The caller's own zone (null: the workspace's) and the one their times are shown in.
    user["timezone"] = json!(actor.user_timezone);
    Ok(Json(json!({"data": {"user": user, "workspace": ws, "timezone": actor.reader_tz()}})))
}

/// `PATCH /api/v1/me`: `{"timezone": "Asia/Yekaterinburg"}` sets the caller's own time zone;
/// `null` (or "") follows the workspace's again. Answers as `GET /api/v1/me`.
pub async fn update_me(State(st): State<AppState>, Auth(actor): Auth, body: axum::body::Bytes) -> ApiResult<Json<Value>> {
    let body = super::json_body(&body)?;
    let obj = body.as_object().ok_or_else(|| poryadok_store::StoreError::invalid("body", poryadok_core::msg::Common::BodyNotObject {}))?;
    if let Some(k) = obj.keys().find(|k| k.as_str() != "timezone") {
        return Err(poryadok_store::StoreError::invalid(
            k,
            poryadok_core::msg::Common::UnknownField { expected: poryadok_core::msg::words(["timezone"]) },
        )
        .into());
    }
    match obj.get("timezone") {
        Some(Value::Null) => st.db.set_own_timezone(&actor, None).await?,
        Some(Value::String(tz)) => st.db.set_own_timezone(&actor, Some(tz)).await?,
        Some(_) => return Err(poryadok_store::StoreError::invalid("timezone", poryadok_core::msg::Common::NotString {}).into()),
        None => {}
    }
    let actor = st.db.actor_for_user(actor.user_id(), actor.channel).await?;
    me(State(st), Auth(actor)).await
}

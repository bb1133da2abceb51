//! Who is calling: an API token (`Authorization: Bearer`) or a UI session cookie. Cookie-borne
//! requests that change anything must carry the session's CSRF token in `X-CSRF-Token`.
//! Also what sign-in needs around the store's throttle: the client's address and telling people
//! about a lockout.
use crate::error::ApiError;
use crate::ui::i18n::{Lang, T};
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::Extension;
use poryadok_store::auth::Lockout;
use poryadok_store::notifications::NewNotification;
use poryadok_store::{Actor, StoreError};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "poryadok_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller of a request.
pub struct Auth(pub Actor);

pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn map_auth(e: StoreError) -> ApiError {
    match e {
        StoreError::Unauthorized => ApiError::unauthorized(poryadok_core::msg::ApiMsg::TokenInvalid {}),
        other => other.into(),
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| ApiError::unauthorized(poryadok_core::msg::ApiMsg::BearerExpected {}))?;
            return state.db.actor_for_token(token.trim()).await.map(Auth).map_err(map_auth);
        }
        let Some(session) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ApiError::unauthorized(poryadok_core::msg::ApiMsg::SignInOrBearer {}));
        };
        let (actor, csrf) = state.db.actor_for_session(session).await.map_err(map_auth)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !sent.is_some_and(|s| constant_time_eq(s.as_bytes(), csrf.as_bytes())) {
                return Err(ApiError::forbidden(poryadok_core::msg::ApiMsg::Csrf {}).with_field(CSRF_HEADER));
            }
        }
        Ok(Auth(actor))
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The address a request came from, by the server's trusted proxy setting
/// ([`crate::security::client_ip`]). Keys the per-address sign-in throttle.
pub fn client_addr(st: &AppState, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<String> {
    crate::security::client_ip(headers, peer, &st.security).map(|ip| ip.to_string())
}

/// The peer address axum recorded for the connection, when the server was started with it.
pub type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

pub fn peer_addr(peer: Peer) -> Option<SocketAddr> {
    peer.map(|Extension(ConnectInfo(a))| a)
}

/// Whole minutes until a lockout ends, rounded up, at least one: what people are told to wait.
pub fn minutes_left(retry_after_ms: i64) -> i64 {
    ((retry_after_ms + 59_999) / 60_000).max(1)
}

/// Seconds for `Retry-After`, rounded up, at least one.
pub fn seconds_left(retry_after_ms: i64) -> i64 {
    ((retry_after_ms + 999) / 1000).max(1)
}

/// Tells the locked-out user and their workspace's administrators, each in their language, once
/// per lockout episode (the dedupe key is the episode). A failure is logged: the sign-in answer
/// does not depend on it.
pub async fn notify_lockout(st: &AppState, lockout: &Lockout) {
    let recipients = match st.db.lockout_recipients(lockout).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "lockout recipients");
            return;
        }
    };
    let minutes = minutes_left(lockout.until_ms - lockout.episode_started_at).to_string();
    let mut emailed = false;
    for r in recipients {
        let t = T::new(Lang::from_locale(&r.locale));
        let own = r.user_id == lockout.user_id;
        let args = [("email", lockout.email.as_str()), ("minutes", minutes.as_str())];
        let n = NewNotification {
            workspace_id: lockout.workspace_id,
            user_id: r.user_id,
            kind: "login_lockout".into(),
            title: t.fmt("auth.lockout.title", &args),
            body: t.fmt(if own { "auth.lockout.body_own" } else { "auth.lockout.body_admin" }, &args),
            link: None,
            deal_id: None,
            dedupe_key: Some(format!("login_lockout:{}:{}", lockout.user_id, lockout.episode_started_at)),
            email: st.emails_on(),
        };
        match st.db.notify(&n).await {
            Ok(id) => emailed |= id.is_some() && n.email,
            Err(e) => tracing::error!(error = %e, "lockout notification"),
        }
    }
    if emailed {
        st.wake_worker();
    }
}

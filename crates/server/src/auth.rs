//! Who is calling: an API token (`Authorization: Bearer`) or a UI session cookie. Cookie-borne
//! requests that change anything must carry the session's CSRF token in `X-CSRF-Token`.
use crate::error::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use poryadok_store::{Actor, StoreError};

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
        StoreError::Unauthorized => ApiError::unauthorized("the token or session is invalid, expired or revoked"),
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
                .ok_or_else(|| ApiError::unauthorized("expected 'Authorization: Bearer <token>'"))?;
            return state.db.actor_for_token(token.trim()).await.map(Auth).map_err(map_auth);
        }
        let Some(session) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ApiError::unauthorized("sign in or send 'Authorization: Bearer <token>'"));
        };
        let (actor, csrf) = state.db.actor_for_session(session).await.map_err(map_auth)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !sent.is_some_and(|s| constant_time_eq(s.as_bytes(), csrf.as_bytes())) {
                return Err(ApiError::forbidden("missing or wrong CSRF token").with_field(CSRF_HEADER));
            }
        }
        Ok(Auth(actor))
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

//! Inbound webhooks: `POST /hooks/{key}` for telephony, Telegram and raw-MIME e-mail sources, and
//! a web form's server-to-server submissions (`{"fields": {…}, "attribution": {…}, "id": "…"}`;
//! browsers post to `/f/{key}` instead, see `forms`).
//!
//! A source authenticates with its own secret, never a user's token: `X-Poryadok-Signature:
//! sha256=<hex HMAC-SHA256 of the body>` or `X-Poryadok-Token: <secret>`; a Telegram bot's
//! `X-Telegram-Bot-Api-Secret-Token`. A delivery that fails authentication is refused and not
//! stored (anyone could send it). An authenticated one is stored before anything else: a
//! readable event answers 202 and is processed by the job engine; an unreadable one is stored as
//! failed and answers 422 with the error and the event's id; a replay answers 200 with the first
//! delivery's id and changes nothing.
use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use poryadok_store::intake::{Arrival, NewEvent, Source};
use serde_json::json;
use sha2::Sha256;
use std::net::SocketAddr;

/// E-mails with attachments are larger than API bodies.
pub const MAX_HOOK_BYTES: usize = 16 * 1024 * 1024;
pub const SIGNATURE_HEADER: &str = "x-poryadok-signature";
pub const TOKEN_HEADER: &str = "x-poryadok-token";
pub const TELEGRAM_HEADER: &str = "x-telegram-bot-api-secret-token";

/// `sha256=<hex>` of `body` under `secret`: what a sender puts in `X-Poryadok-Signature`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length: the constructor's error cannot happen.
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks the delivery's secret for its source.
pub fn authenticate(source: &Source, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let secret = source.secret.as_bytes();
    if source.kind == "telegram" {
        return match header(TELEGRAM_HEADER) {
            Some(t) if constant_time_eq(t.as_bytes(), secret) => Ok(()),
            Some(_) => Err(ApiError::unauthorized("the X-Telegram-Bot-Api-Secret-Token does not match this source's secret")),
            None => Err(ApiError::unauthorized("this source needs the X-Telegram-Bot-Api-Secret-Token header (set secret_token in setWebhook)")),
        };
    }
    if let Some(sig) = header(SIGNATURE_HEADER) {
        let Some(hex_sig) = sig.strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()) else {
            return Err(ApiError::unauthorized("X-Poryadok-Signature must be sha256=<hex HMAC-SHA256 of the body>"));
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| ApiError::unauthorized("bad secret"))?;
        mac.update(body);
        return mac.verify_slice(&hex_sig).map_err(|_| ApiError::unauthorized("the signature does not match the body and this source's secret"));
    }
    match header(TOKEN_HEADER) {
        Some(t) if constant_time_eq(t.as_bytes(), secret) => Ok(()),
        Some(_) => Err(ApiError::unauthorized("the X-Poryadok-Token does not match this source's secret")),
        None => Err(ApiError::unauthorized(
            "this source needs X-Poryadok-Signature (sha256=<hex HMAC-SHA256 of the body>) or X-Poryadok-Token",
        )),
    }
}

fn remote(req_addr: Option<&ConnectInfo<SocketAddr>>) -> Option<String> {
    req_addr.map(|ConnectInfo(a)| a.ip().to_string())
}

pub async fn receive(
    State(st): State<AppState>,
    Path(key): Path<String>,
    addr: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let source = st.db.source_by_key(&key).await?.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such intake source"))?;
    authenticate(&source, &headers, &body)?;
    let body = if source.kind == "form" { crate::forms::normalised_signed(&body) } else { body };
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (external_id, arrival) = st.db.triage(&source, &body, content_type.as_deref()).await?;
    let ev = NewEvent {
        source: &source,
        external_id,
        content_type,
        body: &body,
        remote_addr: remote(addr.as_ref().map(|a| &a.0)),
        arrival: arrival.clone(),
    };
    let accepted = st.db.accept_event(&ev).await?;
    Ok(respond(&accepted, &arrival, || st.wake_worker()))
}

/// The answer to a stored delivery.
pub fn respond(accepted: &poryadok_store::intake::Accepted, arrival: &Arrival, wake: impl FnOnce()) -> Response {
    if accepted.duplicate {
        return (StatusCode::OK, Json(json!({"event_id": accepted.event_id, "status": accepted.status, "duplicate": true}))).into_response();
    }
    match arrival {
        Arrival::Pending => {
            wake();
            (StatusCode::ACCEPTED, Json(json!({"event_id": accepted.event_id, "status": "pending"}))).into_response()
        }
        Arrival::Invalid(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": {"code": "invalid_event", "message": e.message, "field": e.field},
                "event_id": accepted.event_id,
                "status": "failed",
            })),
        )
            .into_response(),
        Arrival::Rejected(_) => (StatusCode::OK, Json(json!({"event_id": accepted.event_id, "status": "rejected"}))).into_response(),
    }
}

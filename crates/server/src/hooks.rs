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
use poryadok_core::msg::IntakeMsg;
use poryadok_store::intake::{Arrival, NewEvent, Source};
use poryadok_store::StoreError;
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

/// A refused authentication: 401 with the catalogue's message.
fn refused(m: IntakeMsg) -> ApiError {
    ApiError::from_msg(StatusCode::UNAUTHORIZED, "unauthorized", m)
}

/// Checks the delivery's secret for its source.
pub fn authenticate(source: &Source, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let secret = source.secret.as_bytes();
    if source.kind == "telegram" {
        return match header(TELEGRAM_HEADER) {
            Some(t) if constant_time_eq(t.as_bytes(), secret) => Ok(()),
            Some(_) => Err(refused(IntakeMsg::TelegramTokenMismatch {})),
            None => Err(refused(IntakeMsg::TelegramTokenMissing {})),
        };
    }
    if let Some(sig) = header(SIGNATURE_HEADER) {
        let Some(hex_sig) = sig.strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()) else {
            return Err(refused(IntakeMsg::SignatureShape {}));
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| refused(IntakeMsg::SignatureMismatch {}))?;
        mac.update(body);
        return mac.verify_slice(&hex_sig).map_err(|_| refused(IntakeMsg::SignatureMismatch {}));
    }
    match header(TOKEN_HEADER) {
        Some(t) if constant_time_eq(t.as_bytes(), secret) => Ok(()),
        Some(_) => Err(refused(IntakeMsg::TokenMismatch {})),
        None => Err(refused(IntakeMsg::AuthMissing {})),
    }
}

pub async fn receive(
    State(st): State<AppState>,
    Path(key): Path<String>,
    addr: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let source = st
        .db
        .source_by_key(&key)
        .await?
        .ok_or_else(|| ApiError::from_msg(StatusCode::NOT_FOUND, "not_found", IntakeMsg::NoSuchSource {}))?;
    authenticate(&source, &headers, &body)?;
    let body = if source.kind == "form" { crate::forms::normalised_signed(&body) } else { body };
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (external_id, arrival) = st.db.triage(&source, &body, content_type.as_deref()).await?;
    let (reply, answer) = tokio::sync::oneshot::channel();
    let waiting = Waiting {
        source,
        external_id,
        content_type,
        body,
        remote_addr: crate::security::client_ip(&headers, addr.map(|a| a.0 .0), &st.security).map(|ip| ip.to_string()),
        arrival: arrival.clone(),
        reply,
    };
    // Logged with the cause, answered as any internal error.
    let internal = || ApiError::from(StoreError::Internal("the inbox writer did not take the delivery".into()));
    st.inbox.sender(&st.db).await.send(waiting).await.map_err(|_| internal())?;
    let accepted = answer.await.map_err(|_| internal())?.map_err(|_| internal())?;
    Ok(respond(&accepted, &arrival, || st.wake_worker()))
}

/// The answer to a stored delivery.
pub fn respond(accepted: &poryadok_store::intake::Accepted, arrival: &Arrival, wake: impl FnOnce()) -> Response {
    if accepted.duplicate {
        return (StatusCode::OK, Json(json!({"event_id": accepted.event_id, "status": accepted.status, "duplicate": true})))
            .into_response();
    }
    match arrival {
        Arrival::Pending => {
            wake();
            (StatusCode::ACCEPTED, Json(json!({"event_id": accepted.event_id, "status": "pending"}))).into_response()
        }
        Arrival::Invalid(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": {
                    "code": "invalid_event",
                    "message": e.message(),
                    "field": e.field,
                    "message_code": e.msg.code(),
                    "args": e.msg.args_json(),
                },
                "event_id": accepted.event_id,
                "status": "failed",
            })),
        )
            .into_response(),
        Arrival::Rejected(_) => (StatusCode::OK, Json(json!({"event_id": accepted.event_id, "status": "rejected"}))).into_response(),
    }
}

/// A delivery waiting for the inbox.
struct Waiting {
    source: Source,
    external_id: Option<String>,
    content_type: Option<String>,
    body: Bytes,
    remote_addr: Option<String>,
    arrival: Arrival,
    reply: tokio::sync::oneshot::Sender<Result<poryadok_store::intake::Accepted, String>>,
}

/// Gathers concurrent deliveries into one inbox transaction. No delay is added: while a batch
/// is being written, the next deliveries queue up and go together in the next one, so a burst
/// costs one commit per batch instead of one per call (SQLite has one writer).
#[derive(Default)]
pub struct Inbox {
    queue: tokio::sync::OnceCell<tokio::sync::mpsc::Sender<Waiting>>,
}

/// At most this many deliveries share a transaction.
const BATCH: usize = 256;

impl Inbox {
    async fn sender(&self, db: &poryadok_store::Db) -> &tokio::sync::mpsc::Sender<Waiting> {
        self.queue
            .get_or_init(|| async {
                let (tx, rx) = tokio::sync::mpsc::channel(4 * BATCH);
                tokio::spawn(write_batches(db.clone(), rx));
                tx
            })
            .await
    }
}

async fn write_batches(db: poryadok_store::Db, mut rx: tokio::sync::mpsc::Receiver<Waiting>) {
    let mut batch: Vec<Waiting> = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let evs: Vec<NewEvent<'_>> = batch
            .iter()
            .map(|w| NewEvent {
                source: &w.source,
                external_id: w.external_id.clone(),
                content_type: w.content_type.clone(),
                body: &w.body,
                remote_addr: w.remote_addr.clone(),
                arrival: w.arrival.clone(),
            })
            .collect();
        let result = db.accept_events(&evs).await;
        drop(evs);
        match result {
            Ok(accepted) => {
                for (w, a) in batch.drain(..).zip(accepted) {
                    let _ = w.reply.send(Ok(a));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, n = batch.len(), "storing inbound events failed");
                for w in batch.drain(..) {
                    let _ = w.reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

//! Sending what the channels store queued: e-mail to clients through the server's mail server
//! (the same SMTP configuration as notifications' copies), SMS through the workspace's HTTP
//! gateway, and webhook deliveries signed with the webhook's secret.
//!
//! Each is a job. A message or a delivery is recorded as sent only when the mail server accepted
//! it or the receiver answered 2xx; anything else (no mail server configured, no gateway, a
//! refusal, a timeout, a non-2xx answer) is recorded on the row with the attempt count and fails
//! the job, which the engine retries with its back-off; after the last attempt the row is
//! `failed` and stays visible with its error. A crash between sending and recording sends again
//! (at least once): receivers tell repeats by `X-Poryadok-Delivery`.
use crate::worker::JobContext;
use poryadok_core::msg::{ChannelMsg, Common};
use poryadok_core::template::{GatewayRequest, Method, SmsGateway};
use poryadok_core::Msg;
use poryadok_store::channels::webhooks::DeliveryTask;
use poryadok_store::channels::{Gateway, OutboundMessage};
use poryadok_store::jobs::Job;
use poryadok_store::{Actor, Db, StoreError};
use serde_json::Value as Json;
use std::sync::OnceLock;
use std::time::Duration;

/// A gateway or a receiver that does not answer within this time counts as a failed attempt.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
pub const EVENT_HEADER: &str = "X-Poryadok-Event";
pub const DELIVERY_HEADER: &str = "X-Poryadok-Delivery";
/// How much of a refusing answer's body is kept with the error.
const ANSWER_SHOWN: usize = 300;
/// How much of an error's own text (a mail server's, a network library's) is kept.
const WHY_SHOWN: usize = 1000;

/// One client for every outgoing call: no redirects (a 3xx is not a delivery), a fixed timeout.
fn http() -> Result<&'static reqwest::Client, Msg> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(HTTP_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("Poryadok/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|why| ChannelMsg::HttpClientFailed { why: why.clone() }.into())
}

/// An HTTP call's outcome: the status code when the other side answered, and the error when it
/// was not a 2xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub code: Option<u16>,
    pub error: Option<Msg>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// The Telegram Bot API replies go through unless the server is told another base URL.
pub const TELEGRAM_API: &str = "https://api.telegram.org";

/// Who is called: the SMS gateway, a webhook's receiver, the Telegram Bot API or the WhatsApp
/// provider (their errors say which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    Gateway,
    Receiver,
    Telegram,
    WhatsApp,
}

impl Peer {
    fn provider(self) -> String {
        match self {
            Peer::Telegram => "Telegram Bot API".into(),
            _ => "WhatsApp".into(),
        }
    }
}

fn clipped(s: &str, n: usize) -> String {
    s.trim().chars().take(n).collect()
}

async fn call(req: reqwest::RequestBuilder, peer: Peer) -> Answer {
    let error: Msg = match req.send().await {
        Ok(resp) if resp.status().is_success() => return Answer { code: Some(resp.status().as_u16()), error: None },
        Ok(resp) => {
            let code = resp.status().as_u16();
            let answer = clipped(&resp.text().await.unwrap_or_default(), ANSWER_SHOWN);
            let m = match peer {
                Peer::Gateway => ChannelMsg::GatewayAnswered { code: code.into(), answer },
                Peer::Receiver => ChannelMsg::ReceiverAnswered { code: code.into(), answer },
                Peer::Telegram => ChannelMsg::TelegramAnswered { code: code.into(), answer },
                Peer::WhatsApp => ChannelMsg::WhatsappAnswered { code: code.into(), answer },
            };
            return Answer { code: Some(code), error: Some(m.into()) };
        }
        Err(e) if e.is_timeout() => {
            let seconds = HTTP_TIMEOUT.as_secs() as i64;
            match peer {
                Peer::Gateway => ChannelMsg::GatewayTimeout { seconds },
                Peer::Receiver => ChannelMsg::ReceiverTimeout { seconds },
                Peer::Telegram | Peer::WhatsApp => ChannelMsg::ProviderTimeout { provider: peer.provider(), seconds },
            }
            .into()
        }
        Err(e) => {
            let why = clipped(&describe(&e), WHY_SHOWN);
            match peer {
                Peer::Gateway => ChannelMsg::GatewayUnreachable { why },
                Peer::Receiver => ChannelMsg::ReceiverUnreachable { why },
                Peer::Telegram | Peer::WhatsApp => ChannelMsg::ProviderUnreachable { provider: peer.provider(), why },
            }
            .into()
        }
    };
    Answer { code: None, error: Some(error) }
}

/// reqwest's outer error says only "error sending request"; the cause says why.
fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out = format!("{out}: {s}");
        source = s.source();
    }
    out
}

/// Sends one SMS through `gateway`.
pub async fn send_sms(gateway: &SmsGateway, to: &str, text: &str) -> Answer {
    send_through(gateway, to, text, Peer::Gateway).await
}

/// Sends one text through a gateway described as data (SMS, or a WhatsApp provider).
async fn send_through(gateway: &SmsGateway, to: &str, text: &str, peer: Peer) -> Answer {
    let client = match http() {
        Ok(c) => c,
        Err(e) => return Answer { code: None, error: Some(e) },
    };
    let GatewayRequest { method, url, headers, body, content_type } = gateway.request(to, text);
    let mut req = match method {
        Method::Get => client.get(&url),
        Method::Post => client.post(&url),
    };
    for (name, value) in headers {
        req = req.header(name, value);
    }
    if let Some(ct) = content_type {
        req = req.header(reqwest::header::CONTENT_TYPE, ct);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    call(req, peer).await
}

/// Sends a text to a Telegram chat through a bot (`sendMessage` of the Bot API at `api`).
async fn send_telegram(api: &str, token: &str, chat: &str, text: &str) -> Answer {
    let client = match http() {
        Ok(c) => c,
        Err(e) => return Answer { code: None, error: Some(e) },
    };
    // A chat id is a number; the Bot API takes it as one.
    let chat: Json = chat.parse::<i64>().map_or_else(|_| Json::String(chat.to_string()), Json::from);
    let req = client
        .post(format!("{}/bot{token}/sendMessage", api.trim_end_matches('/')))
        .json(&serde_json::json!({"chat_id": chat, "text": text}));
    call(req, Peer::Telegram).await
}

async fn send_message(ctx: &JobContext<'_>, ws: i64, m: &OutboundMessage) -> Result<(), Msg> {
    let failed = |why: String| Msg::from(ChannelMsg::SendFailed { why: clipped(&why, WHY_SHOWN) });
    match m.channel.as_str() {
        "email" => {
            let mut files = Vec::new();
            for f in ctx.db.attachment_files(ws, &m.attachments).await.map_err(|e| failed(e.to_string()))? {
                let bytes = ctx.files.blobs.get(&f.sha256).await.map_err(|e| failed(e.to_string()))?;
                files.push(crate::mail::MailFile { name: f.name, content_type: f.content_type, bytes });
            }
            // The writer's own mail account when they set one, else the workspace's.
            let own = match m.user_id {
                Some(u) => ctx.db.own_smtp_for(ws, u).await.map_err(|e| failed(e.to_string()))?,
                None => None,
            };
            let subject = m.subject.as_deref().unwrap_or("");
            match own {
                Some(account) => {
                    let name = ctx.db.user_name(ws, m.user_id.unwrap_or_default()).await.unwrap_or_default();
                    let smtp = crate::mail::SmtpConfig::for_account(&account, &name).map_err(failed)?;
                    smtp.send_in_thread(&m.recipient, subject, &m.body, &m.thread, files).await.map_err(failed)
                }
                None => {
                    let smtp = ctx.smtp.ok_or(ChannelMsg::NoSmtp {})?;
                    smtp.send_in_thread(&m.recipient, subject, &m.body, &m.thread, files).await.map_err(failed)
                }
            }
        }
        "telegram" => {
            let (Some(source), Some(chat)) = (m.thread.source_id, m.thread.chat_id.as_deref()) else {
                return Err(ChannelMsg::NoTelegramChat {}.into());
            };
            let (name, token) = ctx.db.bot_of(ws, source).await.map_err(|e| failed(e.to_string()))?;
            let token = token.ok_or(ChannelMsg::NoBotToken { source: name })?;
            answer(send_telegram(ctx.telegram_api, &token, chat, &m.body).await)
        }
        "whatsapp" => {
            let gateway = ctx
                .db
                .gateway_for(ws, Gateway::WhatsApp)
                .await
                .map_err(|e| failed(e.to_string()))?
                .ok_or(ChannelMsg::NoWhatsappGateway {})?;
            answer(send_through(&gateway, &m.recipient, &m.body, Peer::WhatsApp).await)
        }
        "sms" => {
            let gateway = ctx.db.sms_gateway_for(ws).await.map_err(|e| failed(e.to_string()))?.ok_or(ChannelMsg::NoGatewaySet {})?;
            answer(send_sms(&gateway, &m.recipient, &m.body).await)
        }
        other => Err(ChannelMsg::NoChannel { channel: other.to_string() }.into()),
    }
}

fn answer(a: Answer) -> Result<(), Msg> {
    match a.error {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

/// The `client_message` job: sends one message and records the outcome on it.
pub async fn message_job(ctx: &JobContext<'_>, job: &Job) -> Result<(), String> {
    let id = job.payload.get("message_id").and_then(Json::as_i64).ok_or("the job names no message_id")?;
    let ws = job.workspace_id;
    let Some(m) = ctx.db.message_for_job(ws, id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    if m.status == "sent" {
        return Ok(());
    }
    let outcome = send_message(ctx, ws, &m).await;
    let last = job.attempts >= job.max_attempts;
    ctx.db.record_message_attempt(ws, id, m.attempts + 1, outcome.as_ref().map(|_| ()), last).await.map_err(|e| e.to_string())?;
    // The job's own error (the engine's log) is the English text.
    outcome.map_err(|e| e.english())
}

/// The request for one delivery: the stored body, exactly, with its signature.
fn delivery_request(client: &reqwest::Client, d: &DeliveryTask, body: String) -> reqwest::RequestBuilder {
    let req = client
        .post(&d.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(crate::hooks::SIGNATURE_HEADER, crate::hooks::sign(&d.secret, body.as_bytes()))
        .header(EVENT_HEADER, &d.event)
        .header(DELIVERY_HEADER, d.id.to_string());
    let req = match &d.http_user {
        Some(user) => req.basic_auth(user, d.http_password.as_deref()),
        None => req,
    };
    req.body(body)
}

/// The `webhook_delivery` job: POSTs one event to one webhook and records the answer.
pub async fn delivery_job(ctx: &JobContext<'_>, job: &Job) -> Result<(), String> {
    let id = job.payload.get("delivery_id").and_then(Json::as_i64).ok_or("the job names no delivery_id")?;
    let ws = job.workspace_id;
    let Some(d) = ctx.db.delivery_for_job(ws, id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    if d.status == "delivered" {
        return Ok(());
    }
    let record = |code: Option<u16>, error: Option<Msg>, status: &'static str| {
        let attempts = d.attempts + 1;
        async move { ctx.db.record_delivery(ws, id, attempts, code.map(i64::from), error.as_ref(), status).await.map_err(|e| e.to_string()) }
    };
    if !d.live {
        // Nobody to deliver to any more: recorded, not retried.
        return record(None, Some(ChannelMsg::WebhookGone {}.into()), "failed").await;
    }
    // A webhook registered through the Pipedrive-compatible API gets Pipedrive's body.
    let body = match d.format {
        Some(_) => crate::pipedrive::hooks::delivery_body(ctx.db, ws, &d).await,
        None => d.payload.clone(),
    };
    let answer = match http() {
        Ok(client) => call(delivery_request(client, &d, body), Peer::Receiver).await,
        Err(e) => Answer { code: None, error: Some(e) },
    };
    match answer.error {
        None => record(answer.code, None, "delivered").await,
        Some(e) => {
            let status = if job.attempts >= job.max_attempts { "failed" } else { "queued" };
            let text = e.english();
            record(answer.code, Some(e), status).await?;
            Err(text)
        }
    }
}

/// Sends a test SMS through the workspace's gateway at once and logs it in the outbox.
/// A test SMS as the gateway answered it.
#[derive(Debug, serde::Serialize)]
pub struct TestSms {
    pub message_id: i64,
    pub to: String,
    /// `sent` or `failed`.
    pub status: &'static str,
    pub response_code: Option<u16>,
    /// Why it failed.
    #[serde(flatten)]
    pub failure: poryadok_store::intake::Failure,
}

pub async fn test_sms(db: &Db, actor: &Actor, to: &str, text: &str) -> Result<TestSms, StoreError> {
    // The settings' own read first: it refuses anyone but an administrator.
    db.sms_gateway(actor).await?;
    let gateway = db.sms_gateway_for(actor.ws_id()).await?.ok_or_else(|| StoreError::invalid("sms_gateway", ChannelMsg::NoGateway {}))?;
    let to = db.normalise_phone(actor.ws_id(), to).await?;
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::invalid("text", Common::Required {}));
    }
    let answer = send_sms(&gateway, &to, text).await;
    let id = db.log_direct_message(actor, "sms", &to, text, answer.error.as_ref().map_or(Ok(()), Err)).await?;
    Ok(TestSms {
        message_id: id,
        status: if answer.ok() { "sent" } else { "failed" },
        response_code: answer.code,
        failure: poryadok_store::intake::Failure::of_msg(answer.error),
        to,
    })
}

//! Channels to clients and to other systems: message templates per workspace, outgoing e-mail and
//! SMS to clients, the workspace's SMS gateway, and outbound webhooks ([`webhooks`]).
//!
//! A message is a row before it is sent. It is queued in the same transaction as what causes it
//! (an assistant's action), together with its `client_message` job, and a dedupe key makes a
//! repeat a no-op. The job (in the server) sends it and records the outcome: `sent` only after
//! the mail server or the gateway took it; a failure keeps the row `queued` with the error and
//! the attempt count while the job engine backs off, and the last attempt leaves it `failed`,
//! listed with its error until someone retries it.
//!
//! Templates use the placeholders of [`poryadok_core::template::PLACEHOLDERS`]; an unknown one is
//! refused when the template is saved, so filling never meets a surprise.
pub mod replies;
pub mod webhooks;

use crate::error::{Result, StoreError};
use crate::jobs::{enqueue_on, NewJob};
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::domain::{HistoryAction, Role};
use poryadok_core::msg::{words, ChannelMsg, Common};
use poryadok_core::template::{self, SmsGateway};
use poryadok_core::types::{Email, Phone};
use poryadok_core::Msg;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use sea_query::{Expr, OnConflict, Order, Query};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// An HTTP API a workspace sends through, described as data (see [`SmsGateway`]): the SMS
/// gateway, or the WhatsApp provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gateway {
    Sms,
    WhatsApp,
}

impl Gateway {
    fn column(self) -> &'static str {
        match self {
            Gateway::Sms => "sms_gateway",
            Gateway::WhatsApp => "whatsapp_gateway",
        }
    }
}

/// The job that sends one outgoing message.
pub const MESSAGE_JOB: &str = "client_message";
pub const CHANNELS: &[&str] = &["email", "sms"];
pub const MESSAGE_STATUSES: &[&str] = &["queued", "sent", "failed"];
/// What a message may be about (for the outbox and the card).
pub const MESSAGE_ENTITIES: &[&str] = &["organization", "person", "deal", "invoice", "activity"];
const MAX_BODY: usize = 10_000;
const MAX_SUBJECT: usize = 255;
pub const MAX_LIST: u64 = 500;

/// The templates a new department starts with (Russian, as the seed's clients read them): the
/// keys the unpaid-orders and debtors assistants send.
pub const DEFAULT_TEMPLATES: &[(&str, &str, Option<&str>, &str)] = &[
    (
        "unpaid_reminder",
        "email",
        Some("Счёт № {invoice} ожидает оплаты"),
        "Добрый день!\n\nНапоминаем, что счёт № {invoice} для {client} на сумму {amount} пока не оплачен. \
Если оплата уже в пути, просто не обращайте внимания на это письмо.\n\n\
Если остались вопросы, ответьте на письмо или позвоните: {manager}, {manager_phone}.\n\nС уважением,\n{company}",
    ),
    ("unpaid_reminder", "sms", None, "{company}: счёт № {invoice} на {amount} ожидает оплаты. Вопросы: {manager}, {manager_phone}"),
    (
        "debt_reminder",
        "email",
        Some("Просрочена оплата счёта № {invoice}"),
        "Добрый день!\n\nСрок оплаты счёта № {invoice} для {client} на сумму {amount} истёк {due_date}; \
просрочка — {days_overdue} дн. Просим оплатить счёт или сообщить, когда ожидать оплату.\n\n\
Ваш менеджер: {manager}, {manager_phone}.\n\nС уважением,\n{company}",
    ),
    (
        "debt_reminder",
        "sms",
        None,
        "{company}: оплата счёта № {invoice} на {amount} просрочена на {days_overdue} дн. Просим оплатить. {manager}, {manager_phone}",
    ),
    // Client notifications (crate::client_notify) and sending a document from the card.
    ("stage_notice", "sms", None, "{company}: ваш заказ «{deal}» перешёл на этап «{stage}». Вопросы: {manager}"),
    (
        "stage_notice",
        "email",
        Some("Ваш заказ «{deal}»: этап «{stage}»"),
        "Добрый день!\n\nВаш заказ «{deal}» перешёл на этап «{stage}».\n\nЕсли остались вопросы, ответьте на это письмо. \
Ваш менеджер — {manager}.\n\nС уважением,\n{company}",
    ),
    (
        "missed_call_apology",
        "sms",
        None,
        "{company}: извините, мы не успели ответить на ваш звонок. Перезвоним в ближайшее рабочее время. {manager}",
    ),
    (
        "missed_call_apology",
        "email",
        Some("Мы пропустили ваш звонок"),
        "Добрый день!\n\nИзвините, мы не успели ответить на ваш звонок. Перезвоним в ближайшее рабочее время.\n\n{manager}\n{company}",
    ),
    ("business_card", "sms", None, "{company}: спасибо за звонок! Ваш менеджер — {manager}, {manager_phone}"),
    (
        "business_card",
        "email",
        Some("Ваш менеджер в {company}"),
        "Добрый день!\n\nСпасибо за звонок. Ваш менеджер — {manager}.\nТелефон: {manager_phone}\nПочта: {manager_email}\n\nС уважением,\n{company}",
    ),
    (
        "document_send",
        "email",
        Some("Документы по заказу «{deal}»"),
        "Добрый день!\n\nНаправляем документы по заказу «{deal}» во вложении.\n\nС уважением,\n{manager}\n{company}",
    ),
];

/// A message to a client, filled from the workspace's template `template_key` for `channel`.
#[derive(Debug, Clone, Default)]
pub struct ClientMessage {
    /// `email` or `sms`.
    pub channel: String,
    /// An e-mail address, or a phone number (normalised with the workspace's region).
    pub recipient: String,
    pub template_key: String,
    /// Placeholder → value; a placeholder not given is left empty (`company` defaults to the
    /// workspace's name).
    pub vars: Map<String, Json>,
    /// What the message is about: `organization`, `person`, `deal`, `invoice`…
    pub entity: Option<&'static str>,
    pub record_id: Option<i64>,
    /// Queueing again with the same key (in the workspace) does nothing.
    pub dedupe_key: Option<String>,
}

/// A workspace's template for one key and channel. Instants are milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MessageTemplate {
    pub id: i64,
    pub key: String,
    pub channel: String,
    pub subject: Option<String>,
    pub body: String,
    /// The placeholders the subject and the body use, in order of use.
    pub placeholders: Vec<String>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub updated_at: i64,
}

/// An outgoing message as stored. Instants are milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboundMessage {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub template_key: Option<String>,
    pub entity: Option<String>,
    pub record_id: Option<i64>,
    pub dedupe_key: Option<String>,
    pub status: String,
    /// Why the last attempt failed.
    #[serde(flatten)]
    pub failure: crate::intake::Failure,
    pub attempts: i64,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::serde_time::opt_ms")]
    pub sent_at: Option<i64>,
    /// How a reply from the card continues the conversation (none for other messages).
    #[serde(skip)]
    pub thread: replies::Thread,
    /// Files sent with an e-mail.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<replies::Attachment>,
    /// It waits until then (a client notification in quiet hours).
    #[serde(serialize_with = "crate::serde_time::opt_ms", skip_serializing_if = "Option::is_none")]
    pub not_before: Option<i64>,
    /// Who wrote it (a reply from the card); their own mail account sends their e-mail.
    #[serde(skip)]
    pub user_id: Option<i64>,
}

/// How many messages are in each of [`MESSAGE_STATUSES`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MessageCounts {
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

impl MessageCounts {
    /// The count of one status (0 for one not in [`MESSAGE_STATUSES`]).
    pub fn of(&self, status: &str) -> i64 {
        match status {
            "queued" => self.queued,
            "sent" => self.sent,
            "failed" => self.failed,
            _ => 0,
        }
    }

    pub fn total(&self) -> i64 {
        self.queued + self.sent + self.failed
    }
}

/// The SMS gateway as the settings show it: header values masked ([`template::MASK`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ShownGateway {
    pub url: String,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Header name → the mask.
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub content_type: Option<String>,
}

impl ShownGateway {
    fn of(g: &SmsGateway) -> ShownGateway {
        ShownGateway {
            url: g.url.clone(),
            method: g.method.as_str(),
            headers: g.headers.iter().map(|(name, _)| (name.clone(), template::MASK.to_string())).collect(),
            body: g.body.clone(),
            content_type: Some(g.content_type.clone()).filter(|c| !c.is_empty()),
        }
    }
}

/// Which messages to list.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub entity: Option<String>,
    pub record_id: Option<i64>,
    pub limit: u64,
    pub before_id: Option<i64>,
}

const TEMPLATE_COLUMNS: [&str; 7] = ["id", "key", "channel", "subject", "body", "created_at", "updated_at"];
const MESSAGE_COLUMNS: [&str; 18] = [
    "id",
    "channel",
    "recipient",
    "subject",
    "body",
    "template_key",
    "entity",
    "record_id",
    "dedupe_key",
    "status",
    "error",
    "attempts",
    "created_at",
    "sent_at",
    "thread",
    "attachments",
    "not_before",
    "user_id",
];

fn decode_template(r: &QueryResult) -> Result<MessageTemplate> {
    let subject: Option<String> = r.try_get("", "subject")?;
    let body: String = r.try_get("", "body")?;
    let mut placeholders = template::check(subject.as_deref().unwrap_or("")).unwrap_or_default();
    placeholders.extend(template::check(&body).unwrap_or_default());
    placeholders.dedup();
    Ok(MessageTemplate {
        id: r.try_get("", "id")?,
        key: r.try_get("", "key")?,
        channel: r.try_get("", "channel")?,
        subject,
        body,
        placeholders,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn decode_message(r: &QueryResult) -> Result<OutboundMessage> {
    Ok(OutboundMessage {
        id: r.try_get("", "id")?,
        channel: r.try_get("", "channel")?,
        recipient: r.try_get("", "recipient")?,
        subject: r.try_get("", "subject")?,
        body: r.try_get("", "body")?,
        template_key: r.try_get("", "template_key")?,
        entity: r.try_get("", "entity")?,
        record_id: r.try_get("", "record_id")?,
        dedupe_key: r.try_get("", "dedupe_key")?,
        status: r.try_get("", "status")?,
        failure: crate::intake::Failure::read(r.try_get("", "error")?),
        attempts: r.try_get("", "attempts")?,
        created_at: r.try_get("", "created_at")?,
        sent_at: r.try_get("", "sent_at")?,
        thread: replies::Thread::read(r.try_get("", "thread")?),
        attachments: r.try_get::<Option<String>>("", "attachments")?.and_then(|a| serde_json::from_str(&a).ok()).unwrap_or_default(),
        not_before: r.try_get("", "not_before")?,
        user_id: r.try_get("", "user_id")?,
    })
}

/// Administrators only; `refusal` says what they manage.
pub(crate) fn must_admin(actor: &Actor, refusal: ChannelMsg) -> Result<()> {
    match actor.caller.role {
        Role::Admin => Ok(()),
        _ => Err(StoreError::forbidden(refusal)),
    }
}

/// The outbox is read, and messages queued by hand, by administrators and heads of sales.
fn may_use_outbox(actor: &Actor) -> Result<()> {
    match actor.caller.role {
        Role::Admin | Role::Head => Ok(()),
        _ => Err(StoreError::forbidden(ChannelMsg::OutboxHeadsOnly {})),
    }
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(StoreError::invalid(field, Common::OneOf { list: words(allowed) }))
    }
}

fn is_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a template's subject and body for its channel; the subject to store (none for SMS).
pub fn check_template_parts(channel: &str, subject: Option<&str>, body: &str) -> Result<(Option<String>, String)> {
    one_of("channel", channel, CHANNELS)?;
    let subject = subject.map(str::trim).filter(|s| !s.is_empty());
    let subject = match (channel, subject) {
        ("email", None) => return Err(StoreError::invalid("subject", Common::Required {})),
        ("email", Some(s)) if s.chars().count() > MAX_SUBJECT => {
            return Err(StoreError::invalid("subject", Common::TooLong { max: MAX_SUBJECT as i64 }))
        }
        ("email", Some(s)) => {
            template::check(s).map_err(|m| StoreError::invalid("subject", m))?;
            Some(s.to_string())
        }
        (_, Some(_)) => return Err(StoreError::invalid("subject", ChannelMsg::SmsNoSubject {})),
        (_, None) => None,
    };
    let body = body.trim();
    if body.is_empty() {
        return Err(StoreError::invalid("body", Common::Required {}));
    }
    if body.chars().count() > MAX_BODY {
        return Err(StoreError::invalid("body", Common::TooLong { max: MAX_BODY as i64 }));
    }
    template::check(body).map_err(|m| StoreError::invalid("body", m))?;
    Ok((subject, body.to_string()))
}

/// A template filled with `vars`: (subject, body). The parts are checked first.
pub fn render_template(channel: &str, subject: Option<&str>, body: &str, vars: &Map<String, Json>) -> Result<(Option<String>, String)> {
    let (subject, body) = check_template_parts(channel, subject, body)?;
    Ok((subject.map(|s| template::fill(&s, vars)), template::fill(&body, vars)))
}

/// `key`, `channel`, `subject`, `body` of a create or an update (over `old`), checked.
fn template_input(body: &Json, old: Option<&MessageTemplate>) -> Result<(String, String, Option<String>, String)> {
    let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
    const KEYS: [&str; 4] = ["key", "channel", "subject", "body"];
    if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(StoreError::invalid(k, Common::UnknownField { expected: words(KEYS) }));
    }
    let given = |k: &str| -> Result<Option<String>> {
        match obj.get(k) {
            None => Ok(None),
            Some(Json::Null) => Ok(Some(String::new())),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(StoreError::invalid(k, Common::NotString {})),
        }
    };
    let key = given("key")?.or_else(|| old.map(|o| o.key.clone())).unwrap_or_default().trim().to_string();
    if key.is_empty() {
        return Err(StoreError::invalid("key", Common::Required {}));
    }
    if !is_key(&key) {
        return Err(StoreError::invalid("key", Common::NotIdentifierKey {}));
    }
    let channel = given("channel")?.or_else(|| old.map(|o| o.channel.clone())).unwrap_or_default();
    if channel.is_empty() {
        return Err(StoreError::invalid("channel", Common::Required {}));
    }
    let subject = given("subject")?.or_else(|| old.and_then(|o| o.subject.clone()));
    let text = given("body")?.or_else(|| old.map(|o| o.body.clone())).unwrap_or_default();
    let (subject, text) = check_template_parts(&channel, subject.as_deref(), &text)?;
    Ok((key, channel, subject, text))
}

fn template_clash(e: sea_orm::DbErr) -> StoreError {
    let err = StoreError::Db(e);
    if err.is_unique_violation() {
        StoreError::conflict("key", ChannelMsg::TemplateTaken {})
    } else {
        err
    }
}

fn message_select() -> sea_query::SelectStatement {
    Query::select().columns(MESSAGE_COLUMNS.map(col)).from(col("outbound_messages")).to_owned()
}

impl Db {
    /// The workspace's templates, by key and channel.
    pub async fn templates(&self, actor: &Actor) -> Result<Vec<MessageTemplate>> {
        must_admin(actor, ChannelMsg::TemplatesAdminOnly {})?;
        let q = Query::select()
            .columns(TEMPLATE_COLUMNS.map(col))
            .from(col("message_templates"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .order_by(col("key"), Order::Asc)
            .order_by(col("channel"), Order::Asc)
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(decode_template).collect()
    }

    pub async fn template(&self, actor: &Actor, id: i64) -> Result<MessageTemplate> {
        must_admin(actor, ChannelMsg::TemplatesAdminOnly {})?;
        let q = Query::select()
            .columns(TEMPLATE_COLUMNS.map(col))
            .from(col("message_templates"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.read.query_one(self.backend.build(&q)).await?.as_ref().map(decode_template).transpose()?.ok_or(StoreError::NotFound)
    }

    /// Creates a template: `{key, channel: email|sms, subject (e-mail only), body}`.
    pub async fn create_template(&self, actor: &Actor, body: &Json) -> Result<MessageTemplate> {
        must_admin(actor, ChannelMsg::TemplatesAdminOnly {})?;
        let (key, channel, subject, text) = template_input(body, None)?;
        let now = self.clock.now_ms();
        let q = Query::insert()
            .into_table(col("message_templates"))
            .columns(["workspace_id", "key", "channel", "subject", "body", "created_at", "updated_at"].map(col))
            .values([actor.ws_id().into(), key.into(), channel.into(), subject.into(), text.into(), now.into(), now.into()])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .returning_col(col("id"))
            .to_owned();
        let row = self.write.query_one(self.backend.build(&q)).await.map_err(template_clash)?;
        let id: i64 = row.ok_or_else(|| StoreError::Internal("insert returned no id".into()))?.try_get("", "id")?;
        self.template(actor, id).await
    }

    /// Changes any of `key`, `channel`, `subject`, `body`; the result is checked as a whole.
    pub async fn update_template(&self, actor: &Actor, id: i64, body: &Json) -> Result<MessageTemplate> {
        let old = self.template(actor, id).await?;
        let (key, channel, subject, text) = template_input(body, Some(&old))?;
        let q = Query::update()
            .table(col("message_templates"))
            .values([
                (col("key"), key.into()),
                (col("channel"), channel.into()),
                (col("subject"), subject.into()),
                (col("body"), text.into()),
                (col("updated_at"), self.clock.now_ms().into()),
            ])
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await.map_err(template_clash)?;
        self.template(actor, id).await
    }

    /// Deletes a template; messages already queued from it keep their text.
    pub async fn delete_template(&self, actor: &Actor, id: i64) -> Result<()> {
        self.template(actor, id).await?;
        let q = Query::delete()
            .from_table(col("message_templates"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// Adds the [`DEFAULT_TEMPLATES`] the workspace lacks (an edited one stays as it is); how many were added.
    pub async fn add_default_templates(&self, actor: &Actor) -> Result<usize> {
        must_admin(actor, ChannelMsg::TemplatesAdminOnly {})?;
        let now = self.clock.now_ms();
        let mut added = 0;
        for (key, channel, subject, body) in DEFAULT_TEMPLATES {
            let q = Query::insert()
                .into_table(col("message_templates"))
                .columns(["workspace_id", "key", "channel", "subject", "body", "created_at", "updated_at"].map(col))
                .values([
                    actor.ws_id().into(),
                    (*key).into(),
                    (*channel).into(),
                    subject.map(str::to_string).into(),
                    (*body).into(),
                    now.into(),
                    now.into(),
                ])
                .map_err(|e| StoreError::Internal(e.to_string()))?
                .on_conflict(OnConflict::columns(["workspace_id", "key", "channel"].map(col)).do_nothing().to_owned())
                .to_owned();
            added += self.write.execute(self.backend.build(&q)).await?.rows_affected() as usize;
        }
        Ok(added)
    }

    /// The SMS gateway as the settings show it (header values masked); `None` when not set.
    pub async fn sms_gateway(&self, actor: &Actor) -> Result<Option<ShownGateway>> {
        self.gateway(actor, Gateway::Sms).await
    }

    /// Sets the SMS gateway (`null` removes it); see [`SmsGateway::parse`].
    pub async fn set_sms_gateway(&self, actor: &Actor, v: &Json) -> Result<Option<ShownGateway>> {
        self.set_gateway(actor, Gateway::Sms, v).await
    }

    /// The workspace's SMS gateway with its header values, for sending.
    pub async fn sms_gateway_for(&self, ws: i64) -> Result<Option<SmsGateway>> {
        self.gateway_for(ws, Gateway::Sms).await
    }

    /// A gateway as the settings show it (header values masked); `None` when not set.
    pub async fn gateway(&self, actor: &Actor, kind: Gateway) -> Result<Option<ShownGateway>> {
        must_admin(actor, ChannelMsg::GatewayAdminOnly {})?;
        Ok(self.gateway_for(actor.ws_id(), kind).await?.as_ref().map(ShownGateway::of))
    }

    /// Sets a gateway (`null` removes it); see [`SmsGateway::parse`].
    pub async fn set_gateway(&self, actor: &Actor, kind: Gateway, v: &Json) -> Result<Option<ShownGateway>> {
        must_admin(actor, ChannelMsg::GatewayAdminOnly {})?;
        let stored = self.gateway_for(actor.ws_id(), kind).await?;
        let gateway = match v {
            Json::Null => None,
            v => Some(SmsGateway::parse(v, stored.as_ref())?),
        };
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let q = Query::update()
            .table(col("workspaces"))
            .value(col(kind.column()), gateway.as_ref().map(|g| self.secrets.seal(&g.to_json().to_string())).transpose()?)
            .and_where(Expr::col(col("id")).eq(actor.ws_id()))
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        // Header values may be keys: the history says that it changed, not to what.
        let mut changes = Map::new();
        changes.insert(kind.column().into(), json!(if gateway.is_some() { "changed" } else { "removed" }));
        crate::records::append_history(&tx, self.backend, actor, "workspace", actor.ws_id(), HistoryAction::Update, changes, now).await?;
        tx.commit().await?;
        Ok(gateway.as_ref().map(ShownGateway::of))
    }

    /// The workspace's gateway of `kind` with its header values, for sending.
    pub async fn gateway_for(&self, ws: i64, kind: Gateway) -> Result<Option<SmsGateway>> {
        let column = kind.column();
        let q = Query::select().column(col(column)).from(col("workspaces")).and_where(Expr::col(col("id")).eq(ws)).to_owned();
        let stored: Option<String> = match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => r.try_get("", column)?,
            None => return Err(StoreError::NotFound),
        };
        let Some(text) = stored else { return Ok(None) };
        // Sealed whole: its header values may be keys ([`crate::secrets`]).
        let text = self.secrets.open(&text)?;
        let v: Json = serde_json::from_str(&text).map_err(|e| StoreError::Internal(format!("stored {column}: {e}")))?;
        Ok(Some(SmsGateway::parse(&v, None).map_err(|e| StoreError::Internal(format!("stored {column}: {e}")))?))
    }

    /// Queues a message to a client from the workspace's template; `None` when its dedupe key was
    /// queued before. The row and its sending job are one write.
    pub async fn queue_client_message(&self, ws: i64, m: &ClientMessage) -> Result<Option<i64>> {
        let tx = self.write.begin().await?;
        let id = queue_client_message_in(&tx, self.backend, ws, m, self.clock.now_ms()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// `POST /api/v1/outbound_messages`: `{channel, recipient, template_key, vars, entity, record_id,
    /// dedupe_key}` by an administrator or a head. The message, and whether the dedupe key had
    /// queued it before (then it is the earlier one).
    pub async fn queue_message_as(&self, actor: &Actor, body: &Json) -> Result<(OutboundMessage, bool)> {
        may_use_outbox(actor)?;
        let m = client_message_of(body)?;
        match self.queue_client_message(actor.ws_id(), &m).await? {
            Some(id) => Ok((self.message_in(actor.ws_id(), id).await?.ok_or(StoreError::NotFound)?, false)),
            None => {
                let mut q = message_select();
                q.and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                    .and_where(Expr::col(col("dedupe_key")).eq(m.dedupe_key.clone()));
                let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
                Ok((decode_message(&r)?, true))
            }
        }
    }

    /// Messages to clients, newest first.
    pub async fn outbound_messages(&self, actor: &Actor, f: &MessageQuery) -> Result<Vec<OutboundMessage>> {
        may_use_outbox(actor)?;
        let mut q = message_select();
        q.and_where(Expr::col(col("workspace_id")).eq(actor.ws_id())).order_by(col("id"), Order::Desc).limit(f.limit.clamp(1, MAX_LIST));
        if let Some(s) = &f.status {
            one_of("status", s, MESSAGE_STATUSES)?;
            q.and_where(Expr::col(col("status")).eq(s.as_str()));
        }
        if let Some(c) = &f.channel {
            one_of("channel", c, CHANNELS)?;
            q.and_where(Expr::col(col("channel")).eq(c.as_str()));
        }
        if let Some(e) = &f.entity {
            one_of("entity", e, MESSAGE_ENTITIES)?;
            q.and_where(Expr::col(col("entity")).eq(e.as_str()));
        }
        if let Some(r) = f.record_id {
            q.and_where(Expr::col(col("record_id")).eq(r));
        }
        if let Some(b) = f.before_id {
            q.and_where(Expr::col(col("id")).lt(b));
        }
        self.read.query_all(self.backend.build(&q)).await?.iter().map(decode_message).collect()
    }

    /// How many messages are in each status.
    pub async fn message_counts(&self, actor: &Actor) -> Result<MessageCounts> {
        may_use_outbox(actor)?;
        let q = Query::select()
            .column(col("status"))
            .expr_as(Expr::col(col("id")).count(), col("n"))
            .from(col("outbound_messages"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .group_by_col(col("status"))
            .to_owned();
        let mut out = MessageCounts::default();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let n: i64 = r.try_get("", "n")?;
            match r.try_get::<String>("", "status")?.as_str() {
                "queued" => out.queued = n,
                "sent" => out.sent = n,
                "failed" => out.failed = n,
                other => return Err(StoreError::Internal(format!("stored message status {other:?}"))),
            }
        }
        Ok(out)
    }

    pub async fn outbound_message(&self, actor: &Actor, id: i64) -> Result<OutboundMessage> {
        may_use_outbox(actor)?;
        self.message_in(actor.ws_id(), id).await?.ok_or(StoreError::NotFound)
    }

    /// Queues a failed message again (after the gateway or the mail server was fixed).
    pub async fn retry_message(&self, actor: &Actor, id: i64) -> Result<OutboundMessage> {
        let m = self.outbound_message(actor, id).await?;
        if m.status != "failed" {
            return Err(StoreError::conflict("status", ChannelMsg::OnlyFailedRetried { status: m.status }));
        }
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let q = Query::update()
            .table(col("outbound_messages"))
            .value(col("status"), "queued")
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("status")).eq("failed"))
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        enqueue_on(&tx, self.backend, &send_job(actor.ws_id(), id, now, Some(now)), now).await?;
        tx.commit().await?;
        self.outbound_message(actor, id).await
    }

    /// The files of an e-mail for its sending job (no user: the job names the workspace): each
    /// file's row as it is now (a file removed from its card since is not sent).
    pub async fn attachment_files(&self, ws: i64, attachments: &[replies::Attachment]) -> Result<Vec<crate::files::StoredFile>> {
        let mut out = Vec::new();
        let actor = self.system_actor(ws, poryadok_core::domain::Channel::System).await?;
        for a in attachments {
            match self.file(&actor, a.id).await {
                Ok(f) => out.push(f),
                Err(StoreError::NotFound) => {
                    return Err(StoreError::invalid("file_ids", Common::NoSuchRecord { what: "file".into(), id: a.id }))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// A message for its sending job (no user: the job names the workspace).
    pub async fn message_for_job(&self, ws: i64, id: i64) -> Result<Option<OutboundMessage>> {
        self.message_in(ws, id).await
    }

    async fn message_in(&self, ws: i64, id: i64) -> Result<Option<OutboundMessage>> {
        let mut q = message_select();
        q.and_where(Expr::col(col("workspace_id")).eq(ws)).and_where(Expr::col(col("id")).eq(id));
        self.read.query_one(self.backend.build(&q)).await?.as_ref().map(decode_message).transpose()
    }

    /// Records a sending attempt: `Ok` → sent; an error → still queued (retried), or failed after
    /// the last attempt. A message already sent stays sent.
    pub async fn record_message_attempt(&self, ws: i64, id: i64, attempts: i64, outcome: Result<(), &Msg>, last: bool) -> Result<()> {
        let now = self.clock.now_ms();
        let (status, error, sent_at) = match outcome {
            Ok(()) => ("sent", None, Some(now)),
            Err(e) => (if last { "failed" } else { "queued" }, Some(crate::intake::stored_msg(e)), None),
        };
        let q = Query::update()
            .table(col("outbound_messages"))
            .values([
                (col("status"), status.into()),
                (col("error"), error.into()),
                (col("attempts"), attempts.into()),
                (col("sent_at"), sent_at.into()),
            ])
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("status")).ne("sent"))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// Records a message sent at once rather than queued (a test SMS from the settings), sent or failed.
    pub async fn log_direct_message(
        &self,
        actor: &Actor,
        channel: &str,
        recipient: &str,
        body: &str,
        outcome: Result<(), &Msg>,
    ) -> Result<i64> {
        must_admin(actor, ChannelMsg::GatewayAdminOnly {})?;
        let now = self.clock.now_ms();
        let (status, error, sent_at) = match outcome {
            Ok(()) => ("sent", None, Some(now)),
            Err(e) => ("failed", Some(crate::intake::stored_msg(e)), None),
        };
        let q = Query::insert()
            .into_table(col("outbound_messages"))
            .columns(["workspace_id", "channel", "recipient", "body", "status", "error", "attempts", "created_at", "sent_at"].map(col))
            .values([
                actor.ws_id().into(),
                channel.into(),
                recipient.into(),
                body.into(),
                status.into(),
                error.into(),
                1i64.into(),
                now.into(),
                sent_at.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        crate::sql::insert_id(&self.write, self.backend, &q).await
    }

    /// A phone number as the workspace's gateway is given it (E.164 with the workspace's region).
    pub async fn normalise_phone(&self, ws: i64, raw: &str) -> Result<String> {
        let info = self.workspace_info(ws).await?;
        Phone::parse(raw, &info.region).map(Phone::into_string).map_err(|m| StoreError::invalid("to", m))
    }
}

/// Reads a [`ClientMessage`] from the API's JSON.
fn client_message_of(body: &Json) -> Result<ClientMessage> {
    let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
    const KEYS: [&str; 7] = ["channel", "recipient", "template_key", "vars", "entity", "record_id", "dedupe_key"];
    if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(StoreError::invalid(k, Common::UnknownField { expected: words(KEYS) }));
    }
    let text = |k: &str| -> Result<Option<String>> {
        match obj.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
            Some(_) => Err(StoreError::invalid(k, ChannelMsg::NonEmptyString {})),
        }
    };
    let entity = match text("entity")? {
        None => None,
        Some(e) => Some(
            *MESSAGE_ENTITIES
                .iter()
                .find(|x| **x == e)
                .ok_or_else(|| StoreError::invalid("entity", Common::OneOf { list: words(MESSAGE_ENTITIES) }))?,
        ),
    };
    let vars = match obj.get("vars") {
        None | Some(Json::Null) => Map::new(),
        Some(Json::Object(m)) => m.clone(),
        Some(_) => return Err(StoreError::invalid("vars", ChannelMsg::VarsNotObject {})),
    };
    let record_id = match obj.get("record_id") {
        None | Some(Json::Null) => None,
        Some(v) => Some(v.as_i64().filter(|i| *i > 0).ok_or_else(|| StoreError::invalid("record_id", ChannelMsg::RecordId {}))?),
    };
    Ok(ClientMessage {
        channel: text("channel")?.ok_or_else(|| StoreError::invalid("channel", Common::Required {}))?,
        recipient: text("recipient")?.ok_or_else(|| StoreError::invalid("recipient", Common::Required {}))?,
        template_key: text("template_key")?.ok_or_else(|| StoreError::invalid("template_key", Common::Required {}))?,
        vars,
        entity,
        record_id,
        dedupe_key: text("dedupe_key")?,
    })
}

/// The sending job of a message; a retry (`round`) is a new job.
fn send_job(ws: i64, id: i64, now: i64, round: Option<i64>) -> NewJob {
    let key = match round {
        Some(r) => format!("message:{id}:{r}"),
        None => format!("message:{id}"),
    };
    NewJob::new(ws, MESSAGE_JOB, json!({"message_id": id}), now).dedupe(key)
}

/// [`Db::queue_client_message`] inside the caller's transaction.
pub async fn queue_client_message_in(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    m: &ClientMessage,
    now: i64,
) -> Result<Option<i64>> {
    one_of("channel", &m.channel, CHANNELS)?;
    let q = Query::select().columns(["name", "region"].map(col)).from(col("workspaces")).and_where(Expr::col(col("id")).eq(ws)).to_owned();
    let r = conn.query_one(backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
    let (company, region): (String, String) = (r.try_get("", "name")?, r.try_get("", "region")?);
    let recipient = match m.channel.as_str() {
        "email" => Email::parse(&m.recipient).map(Email::into_string),
        _ => Phone::parse(&m.recipient, &region).map(Phone::into_string),
    }
    .map_err(|e| StoreError::invalid("recipient", e))?;
    let q = Query::select()
        .columns(["subject", "body"].map(col))
        .from(col("message_templates"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("key")).eq(m.template_key.as_str()))
        .and_where(Expr::col(col("channel")).eq(m.channel.as_str()))
        .to_owned();
    let Some(t) = conn.query_one(backend.build(&q)).await? else {
        let key = m.template_key.clone();
        let missing = if m.channel == "email" { ChannelMsg::NoEmailTemplate { key } } else { ChannelMsg::NoSmsTemplate { key } };
        return Err(StoreError::invalid("template", missing));
    };
    let mut vars = m.vars.clone();
    vars.entry("company").or_insert(Json::String(company));
    let subject: Option<String> = t.try_get("", "subject")?;
    let (subject, body) = render_template(&m.channel, subject.as_deref(), &t.try_get::<String>("", "body")?, &vars)?;
    if body.trim().is_empty() {
        return Err(StoreError::invalid("template", ChannelMsg::TemplateEmpty { key: m.template_key.clone() }));
    }
    let q = Query::insert()
        .into_table(col("outbound_messages"))
        .columns(
            [
                "workspace_id",
                "channel",
                "recipient",
                "subject",
                "body",
                "template_key",
                "entity",
                "record_id",
                "dedupe_key",
                "status",
                "attempts",
                "created_at",
            ]
            .map(col),
        )
        .values([
            ws.into(),
            m.channel.clone().into(),
            recipient.into(),
            subject.into(),
            body.into(),
            m.template_key.clone().into(),
            m.entity.map(str::to_string).into(),
            m.record_id.into(),
            m.dedupe_key.clone().into(),
            "queued".into(),
            0i64.into(),
            now.into(),
        ])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .on_conflict(OnConflict::columns([col("workspace_id"), col("dedupe_key")]).do_nothing().to_owned())
        .returning_col(col("id"))
        .to_owned();
    let Some(id) = conn.query_one(backend.build(&q)).await?.map(|r| r.try_get::<i64>("", "id")).transpose()? else {
        return Ok(None);
    };
    enqueue_on(conn, backend, &send_job(ws, id, now, None), now).await?;
    Ok(Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_templates_check() {
        for (key, channel, subject, body) in DEFAULT_TEMPLATES {
            assert!(is_key(key));
            check_template_parts(channel, *subject, body).unwrap();
        }
    }

    #[test]
    fn template_input_names_the_part() {
        let field = |v: Json| match template_input(&v, None) {
            Err(StoreError::Validation(fe)) => fe.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(json!({"key": "x", "channel": "email", "subject": "Счёт {bill}", "body": "b"})), "subject");
        assert_eq!(field(json!({"key": "x", "channel": "sms", "body": "Долг {debt}"})), "body");
        assert_eq!(field(json!({"key": "x", "channel": "sms", "body": "Долг {amount"})), "body");
        assert_eq!(field(json!({"key": "x", "channel": "sms", "subject": "s", "body": "b"})), "subject");
        assert_eq!(field(json!({"key": "x", "channel": "email", "body": "b"})), "subject");
        assert_eq!(field(json!({"key": "X y", "channel": "sms", "body": "b"})), "key");
        assert_eq!(field(json!({"key": "x", "channel": "fax", "body": "b"})), "channel");
        assert_eq!(field(json!({"key": "x", "channel": "sms", "body": "b", "to": 1})), "to");
        let (k, c, s, b) = template_input(&json!({"key": "x", "channel": "sms", "body": " {amount} "}), None).unwrap();
        assert_eq!((k.as_str(), c.as_str(), s, b.as_str()), ("x", "sms", None, "{amount}"));
    }
}

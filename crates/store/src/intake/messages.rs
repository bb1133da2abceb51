//! Messages from Telegram and e-mail onto the sender's card.
//!
//! The sender is found by the identity the channel gives (a Telegram user id, an e-mail address),
//! then by what ties the message to a known client: an e-mail that answers one of the client's
//! messages (In-Reply-To / References), a phone number in its signature, or a contact the client
//! shared in Telegram. What is found that way becomes one more identity of that client, so the
//! next message goes straight to the same card.
use crate::error::{Result, StoreError};
use crate::intake::client::{self, EventCtx, Landing};
use crate::sql::col;
use poryadok_core::domain::IdentityKind;
use poryadok_core::error::FieldError;
use poryadok_core::intake::{display_phone, Attribution, Words};
use poryadok_core::msg::{Common, IntakeMsg};
use poryadok_core::types::{Email, Phone};
use poryadok_core::Msg;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Order, Query};
use serde_json::{json, Map, Value as Json};

const BODY_LIMIT: usize = 100_000;

/// A message row's fields, as written and as read (besides its id, workspace and creation time).
pub(crate) const MESSAGE_FIELDS: [&str; 12] = [
    "channel",
    "direction",
    "person_id",
    "deal_id",
    "event_id",
    "external_id",
    "thread_id",
    "sender",
    "recipients",
    "subject",
    "body",
    "sent_at",
];

/// A message as intake reads it, whatever the channel.
#[derive(Debug, Clone, Default)]
pub(crate) struct InboundMessage {
    pub channel: &'static str,
    /// Why it is not a message at all (a Telegram update of another kind), if so.
    pub ignore: Option<Msg>,
    pub external_id: Option<String>,
    /// Message-IDs this one answers (e-mail).
    pub thread_refs: Vec<String>,
    pub sender_name: Option<String>,
    /// The channel's own identity of the sender.
    pub identity: Option<(IdentityKind, String)>,
    /// A Telegram @username, kept on the person's `telegram` field.
    pub username: Option<String>,
    /// A phone number the sender shared (Telegram contact).
    pub shared_phone: Option<String>,
    /// Phone numbers written in the message (an e-mail signature).
    pub phone_hints: Vec<String>,
    pub sender: String,
    pub recipients: Vec<String>,
    pub subject: Option<String>,
    pub body: String,
    pub sent_at: Option<i64>,
}

/// A Telegram Bot API update (`message` or `edited_message`).
pub(crate) fn read_telegram(body: &[u8]) -> std::result::Result<InboundMessage, FieldError> {
    let update: Json =
        serde_json::from_slice(body).map_err(|e| FieldError::new("body", IntakeMsg::UpdateNotJson { why: e.to_string() }))?;
    if update.get("update_id").and_then(Json::as_i64).is_none() {
        return Err(FieldError::new("update_id", IntakeMsg::NoUpdateId {}));
    }
    let Some(msg) = update.get("message").or_else(|| update.get("edited_message")) else {
        return Ok(InboundMessage { channel: "telegram", ignore: Some(IntakeMsg::NotAMessageUpdate {}.into()), ..Default::default() });
    };
    let from = msg.get("from").ok_or_else(|| FieldError::new("message.from", IntakeMsg::NoSender {}))?;
    let user_id = from.get("id").and_then(Json::as_i64).ok_or_else(|| FieldError::new("message.from.id", IntakeMsg::SenderNoId {}))?;
    let chat = msg.get("chat").and_then(|c| c.get("id")).and_then(Json::as_i64).unwrap_or(user_id);
    let message_id = msg.get("message_id").and_then(Json::as_i64).unwrap_or(0);
    let name = [from.get("first_name"), from.get("last_name")].iter().flatten().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(" ");
    let username = from.get("username").and_then(Json::as_str).map(|u| u.trim_start_matches('@').to_lowercase());
    let contact = msg.get("contact");
    // A contact is the sender's own only when its user id is the sender's.
    let shared_phone = contact
        .filter(|c| c.get("user_id").and_then(Json::as_i64).is_none_or(|u| u == user_id))
        .and_then(|c| c.get("phone_number"))
        .and_then(Json::as_str)
        .map(str::to_string);
    let text = msg.get("text").or_else(|| msg.get("caption")).and_then(Json::as_str).map(str::to_string);
    let body = match (&text, &shared_phone) {
        (Some(t), _) => t.clone(),
        (None, Some(p)) => format!("☎ {p}"),
        (None, None) => "[—]".to_string(),
    };
    Ok(InboundMessage {
        channel: "telegram",
        external_id: Some(format!("{chat}:{message_id}")),
        sender_name: Some(name).filter(|n| !n.trim().is_empty()),
        identity: Some((IdentityKind::TelegramId, user_id.to_string())),
        sender: username.as_ref().map_or_else(|| user_id.to_string(), |u| format!("@{u}")),
        username,
        shared_phone,
        body: body.chars().take(BODY_LIMIT).collect(),
        sent_at: msg.get("date").and_then(Json::as_i64).map(|s| s * 1000),
        ..Default::default()
    })
}

/// A WhatsApp message as a provider's webhook posts it: the generic shape `{id, from, name,
/// text, timestamp}` (seconds), or the shape of the common gateways of this market, `{messages:
/// [{messageId, chatId, chatType, text, dateTime, isEcho, contact: {name}}]}` (the first
/// message; our own echoed outgoing one is ignored). The sender's number is their identity.
pub(crate) fn read_whatsapp(body: &[u8]) -> std::result::Result<InboundMessage, FieldError> {
    let v: Json = serde_json::from_slice(body).map_err(|e| FieldError::new("body", IntakeMsg::UpdateNotJson { why: e.to_string() }))?;
    let text_of = |m: &Json, k: &str| m.get(k).and_then(|x| x.as_str().map(str::to_string).or_else(|| x.as_i64().map(|n| n.to_string())));
    let (m, id, from, name, sent_at) = match v.get("messages").and_then(Json::as_array).and_then(|a| a.first()) {
        Some(m) => {
            if m.get("isEcho").and_then(Json::as_bool) == Some(true) {
                return Ok(InboundMessage { channel: "whatsapp", ignore: Some(IntakeMsg::WhatsappEcho {}.into()), ..Default::default() });
            }
            let at = m.get("dateTime").and_then(Json::as_str).and_then(|d| poryadok_core::types::parse_timestamp(d).ok());
            let name = m.get("contact").and_then(|c| c.get("name")).and_then(Json::as_str).map(str::to_string);
            (m, text_of(m, "messageId"), text_of(m, "chatId"), name, at)
        }
        None => {
            (&v, text_of(&v, "id"), text_of(&v, "from"), text_of(&v, "name"), v.get("timestamp").and_then(Json::as_i64).map(|s| s * 1000))
        }
    };
    let digits: String = from.unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 10 {
        return Err(FieldError::new("from", IntakeMsg::WhatsappNoSender {}));
    }
    // A WhatsApp number is international: digits with the country code.
    let phone = format!("+{digits}");
    let text = text_of(m, "text").unwrap_or_else(|| "[—]".to_string());
    Ok(InboundMessage {
        channel: "whatsapp",
        external_id: id.map(|i| format!("wa:{i}")),
        sender_name: name.filter(|n| !n.trim().is_empty()),
        identity: Some((IdentityKind::Phone, phone.clone())),
        sender: phone,
        body: text.chars().take(BODY_LIMIT).collect(),
        sent_at,
        ..Default::default()
    })
}

/// A raw MIME message.
pub(crate) fn read_email(body: &[u8]) -> std::result::Result<InboundMessage, FieldError> {
    let m = poryadok_core::email::parse_email(body).map_err(|e| {
        // The parser's own text (English) says what exactly is wrong; the message says where.
        let why = e.message;
        let msg = if e.field == "from" { IntakeMsg::EmailNoSender { why } } else { IntakeMsg::NotMime { why } };
        FieldError::new(e.field, msg)
    })?;
    let address = Email::parse(&m.from_addr).map_err(|e| FieldError::new("from", e))?.into_string();
    let mut refs = m.in_reply_to.clone();
    refs.extend(m.references.iter().cloned());
    Ok(InboundMessage {
        channel: "email",
        external_id: m.message_id.clone(),
        thread_refs: refs,
        sender_name: m.from_name.clone(),
        identity: Some((IdentityKind::Email, address.clone())),
        phone_hints: poryadok_core::email::phone_candidates(&m.text),
        sender: address,
        recipients: m.to.clone(),
        subject: Some(m.subject.clone()).filter(|s| !s.is_empty()),
        body: m.text.chars().take(BODY_LIMIT).collect(),
        sent_at: m.sent_at,
        ..Default::default()
    })
}

/// Checks an e-mail source's optional IMAP settings.
pub(crate) fn check_email_config(c: &mut Map<String, Json>) -> Result<()> {
    let Some(imap) = c.get_mut("imap") else {
        return Ok(());
    };
    let Json::Object(imap) = imap else {
        return Err(StoreError::invalid("config.imap", IntakeMsg::ImapNotObject {}));
    };
    for key in ["host", "username", "password"] {
        if imap.get(key).and_then(Json::as_str).is_none_or(|s| s.trim().is_empty()) {
            return Err(StoreError::invalid(format!("config.imap.{key}"), Common::Required {}));
        }
    }
    let security = imap.get("security").and_then(Json::as_str).unwrap_or("tls").to_string();
    if !matches!(security.as_str(), "tls" | "starttls" | "plain") {
        return Err(StoreError::invalid("config.imap.security", IntakeMsg::ImapSecurity {}));
    }
    let port = match imap.get("port") {
        None | Some(Json::Null) => {
            if security == "tls" {
                993
            } else {
                143
            }
        }
        Some(v) => v
            .as_i64()
            .filter(|p| (1..=65535).contains(p))
            .ok_or_else(|| StoreError::invalid("config.imap.port", IntakeMsg::PortNumber {}))?,
    };
    let every = match imap.get("every_minutes") {
        None | Some(Json::Null) => 1,
        Some(v) => v
            .as_i64()
            .filter(|m| (1..=1440).contains(m))
            .ok_or_else(|| StoreError::invalid("config.imap.every_minutes", IntakeMsg::EveryMinutes {}))?,
    };
    imap.insert("security".into(), json!(security));
    imap.insert("port".into(), json!(port));
    imap.insert("every_minutes".into(), json!(every));
    if imap.get("mailbox").and_then(Json::as_str).is_none_or(|s| s.trim().is_empty()) {
        imap.insert("mailbox".into(), json!("INBOX"));
    }
    Ok(())
}

/// The client and deal of an earlier message this one answers.
async fn thread_of(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, refs: &[String]) -> Result<Option<(i64, Option<i64>, String)>> {
    if refs.is_empty() {
        return Ok(None);
    }
    let q = Query::select()
        .columns(["person_id", "deal_id", "thread_id", "external_id"].map(col))
        .from(col("messages"))
        .and_where(Expr::col(col("workspace_id")).eq(ctx.actor.ws_id()))
        .and_where(Expr::col(col("channel")).eq("email"))
        .and_where(Expr::col(col("external_id")).is_in(refs.iter().map(String::as_str)))
        .and_where(Expr::col(col("person_id")).is_not_null())
        .order_by(col("id"), Order::Desc)
        .limit(1)
        .to_owned();
    match conn.query_one(ctx.db.backend.build(&q)).await? {
        Some(r) => {
            let thread: Option<String> = r.try_get("", "thread_id")?;
            let own: Option<String> = r.try_get("", "external_id")?;
            Ok(Some((r.try_get("", "person_id")?, r.try_get("", "deal_id")?, thread.or(own).unwrap_or_default())))
        }
        None => Ok(None),
    }
}

async fn person_by_phone(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, raw: &str) -> Result<Option<(i64, String)>> {
    let Ok(phone) = Phone::parse(raw, &ctx.actor.ws.region) else {
        return Ok(None);
    };
    let phone = phone.into_string();
    Ok(client::person_by_identity(ctx, conn, IdentityKind::Phone, &phone).await?.map(|p| (p, phone)))
}

/// What a message event made.
#[derive(Debug)]
pub(crate) enum MessageLanded {
    /// Not a client's message (an auto-reply, a bounce, a blocked sender): why.
    Ignored(Msg),
    Landed(NewMessage),
}

/// A message on a client's card: the event's result, as the inbox shows it.
#[derive(Debug, serde::Serialize)]
pub(crate) struct NewMessage {
    pub person_id: i64,
    pub person_created: bool,
    pub deal_id: Option<i64>,
    pub deal_created: bool,
    pub message_id: i64,
    /// How a known client was found other than by the sender: `shared_contact`,
    /// `shared_contact_merged`, `thread` or `phone_in_message`.
    pub linked_by: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_lead: Option<String>,
}

pub(crate) async fn apply(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, m: &InboundMessage) -> Result<MessageLanded> {
    if let Some(why) = &m.ignore {
        return Ok(MessageLanded::Ignored(why.clone()));
    }
    let (kind, value) = m.identity.clone().ok_or_else(|| StoreError::invalid("sender", IntakeMsg::MessageNamesNoSender {}))?;
    let mut person = client::person_by_identity(ctx, conn, kind, &value).await?;
    let mut linked_by = None;
    let thread = thread_of(ctx, conn, &m.thread_refs).await?;
    if let Some(shared) = &m.shared_phone {
        // A shared contact ties the Telegram id to a phone: to the phone's card when there is one.
        match person_by_phone(ctx, conn, shared).await? {
            Some((by_phone, _)) if person.is_some_and(|p| p != by_phone) => {
                let from = person.unwrap_or(by_phone);
                let (kept, brought) = (client::open_deals(ctx, conn, by_phone).await?, client::open_deals(ctx, conn, from).await?);
                ctx.db.merge_in(conn, ctx.actor, poryadok_core::schema::Entity::Person, by_phone, from).await?;
                // One open intake deal per pipeline: the Telegram card's joins the phone card's.
                client::merge_brought_deals(ctx, conn, &kept, &brought).await?;
                person = Some(by_phone);
                linked_by = Some("shared_contact_merged");
            }
            Some((by_phone, _)) => {
                person = Some(by_phone);
                linked_by = Some("shared_contact");
            }
            None => {
                if let (Some(p), Ok(phone)) = (person, Phone::parse(shared, &ctx.actor.ws.region)) {
                    client::attach_identity(ctx, conn, p, IdentityKind::Phone, phone.as_str()).await?;
                }
            }
        }
    }
    if person.is_none() {
        if let Some((p, _, _)) = &thread {
            person = Some(*p);
            linked_by = Some("thread");
        }
    }
    if person.is_none() {
        for hint in &m.phone_hints {
            if let Some((p, _)) = person_by_phone(ctx, conn, hint).await? {
                person = Some(p);
                linked_by = Some("phone_in_message");
                break;
            }
        }
    }
    let who = m.sender_name.clone().unwrap_or_else(|| m.sender.clone());
    let (person, new_person) = match person {
        Some(p) => {
            client::attach_identity(ctx, conn, p, kind, &value).await?;
            if let Some(u) = &m.username {
                client::attach_identity(ctx, conn, p, IdentityKind::Telegram, u).await?;
            }
            (p, false)
        }
        None => {
            let mut fields = Map::new();
            let mut extra = Vec::new();
            match kind {
                IdentityKind::Email => {
                    fields.insert("email".into(), json!(value));
                }
                IdentityKind::Phone => {
                    fields.insert("phone".into(), json!(value));
                }
                _ => extra.push((kind, value.clone())),
            }
            if let Some(u) = &m.username {
                fields.insert("telegram".into(), json!(u));
            }
            if let Some(p) = m.shared_phone.as_ref().and_then(|p| Phone::parse(p, &ctx.actor.ws.region).ok()) {
                fields.insert("phone".into(), json!(p.as_str()));
            }
            let owner = client::assign_owner(ctx, conn).await?;
            (client::create_person(ctx, conn, &who, fields, &extra, owner).await?, true)
        }
    };
    let words = Words::new(&ctx.actor.ws.locale);
    let shown = m.shared_phone.as_deref().map_or(who.clone(), display_phone);
    let at = m.sent_at.unwrap_or(ctx.received_at);
    let title = words.message_deal(m.channel, &shown);
    // From someone marked as not a lead: the message goes on their card, and nothing else happens.
    let (deal, new_deal, not_lead) = match client::landing(ctx, conn, (person, new_person), &title, &Attribution::default()).await? {
        Landing::Deal { id, created, .. } => {
            client::record_touch(ctx, conn, id, person, m.channel, &Attribution::default(), at, created).await?;
            (Some(id), created, None)
        }
        Landing::NotLead { reason } => (None, false, Some(reason)),
    };
    let thread_id = thread.map(|(_, _, t)| t).filter(|t| !t.is_empty()).or_else(|| m.external_id.clone());
    let q = Query::insert()
        .into_table(col("messages"))
        .columns(std::iter::once("workspace_id").chain(MESSAGE_FIELDS).chain(["created_at"]).map(col))
        .values([
            ctx.actor.ws_id().into(),
            m.channel.into(),
            "in".into(),
            person.into(),
            deal.into(),
            ctx.event_id.into(),
            m.external_id.clone().into(),
            thread_id.into(),
            m.sender.as_str().into(),
            (!m.recipients.is_empty()).then(|| m.recipients.join(", ")).into(),
            m.subject.clone().into(),
            m.body.as_str().into(),
            at.into(),
            ctx.db.clock.now_ms().into(),
        ])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .to_owned();
    let id = crate::sql::insert_id(conn, ctx.db.backend, &q).await?;
    let result = NewMessage {
        person_id: person,
        person_created: new_person,
        deal_id: deal,
        deal_created: new_deal,
        message_id: id,
        linked_by,
        not_lead,
    };
    match &result.not_lead {
        Some(_) => {}
        None => {
            crate::live::wake(conn, ctx.db.backend).await?;
            let links = crate::activity_clock::Links { organization_id: None, deal_id: deal, person_id: Some(person) };
            crate::activity_clock::touch(conn, ctx.db.backend, ctx.actor.ws_id(), links, at.min(ctx.db.clock.now_ms())).await?;
        }
    }
    Ok(MessageLanded::Landed(result))
}

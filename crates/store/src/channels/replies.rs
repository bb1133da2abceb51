//! Writing to a client from their card: e-mail (threaded under the client's last letter),
//! Telegram (through the bot the client wrote to), WhatsApp (through the workspace's provider)
//! and SMS, from a free text or one of the workspace's templates filled from the deal.
//!
//! A reply is an outgoing message like any other ([`super::OutboundMessage`], sent by the
//! `client_message` job with its retries) and also a row of the conversation (`messages`,
//! direction `out`), so the card shows it between the client's own messages with its delivery
//! state, and an e-mail that answers it lands on the same card. Everything that can be known
//! before sending is checked before anything is written: the client must have the channel, the
//! channel must be set up, and a template's placeholder must not come out empty.
use super::{
    decode_message, decode_template, message_select, send_job, Gateway, MessageTemplate, OutboundMessage, MAX_BODY, MAX_SUBJECT,
    TEMPLATE_COLUMNS,
};
use crate::error::{Result, StoreError};
use crate::jobs::enqueue_on;
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::msg::{words, ChannelMsg, Common};
use poryadok_core::schema::Entity;
use poryadok_core::template;
use sea_orm::{ConnectionTrait, TransactionTrait};
use sea_query::{Expr, JoinType, OnConflict, Order, Query};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};

/// The channels a card can write on, in the order the composer offers them.
pub const REPLY_CHANNELS: &[&str] = &["email", "telegram", "whatsapp", "sms"];

/// How a reply continues its conversation; stored with the outgoing message as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Thread {
    /// E-mail: this letter's own Message-ID, and the letter it answers with its thread (ids
    /// without their angle brackets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Telegram: the bot's intake source and the chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
}

impl Thread {
    pub(crate) fn read(stored: Option<String>) -> Thread {
        stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
    }

    fn stored(&self) -> Option<String> {
        (self != &Thread::default()).then(|| serde_json::to_string(self).unwrap_or_default())
    }
}

/// What the composer of a card offers: each channel with where it would go (none: the client
/// lacks it, or it is not set up, and why), and the templates of each.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyOptions {
    pub person_id: Option<i64>,
    pub channels: Vec<ReplyChannel>,
    /// The subject an e-mail reply gets by default: `Re:` the client's last letter.
    pub subject: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplyChannel {
    pub channel: &'static str,
    /// The address, number or chat it goes to.
    pub to: Option<String>,
    /// Why it cannot be used, when it cannot.
    #[serde(skip)]
    pub unavailable: Option<poryadok_core::Msg>,
}

/// Where a card's client can be reached, read once for a reply.
pub(crate) struct Reach {
    pub(crate) person_id: Option<i64>,
    pub(crate) deal_id: Option<i64>,
    email: Option<String>,
    phone: Option<String>,
    /// The client's last letter: its Message-ID, its thread's first, and its subject.
    last_email: Option<(String, Option<String>, Option<String>)>,
    /// The client's last Telegram message: the bot's source, its name and token, and the chat.
    telegram: Option<(i64, String, bool, String)>,
    whatsapp_gateway: bool,
    sms_gateway: bool,
}

/// A file sent with an e-mail: which file of the card, and its name and size as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Attachment {
    pub id: i64,
    pub name: String,
    pub size: i64,
}

/// At most this many files, and this many bytes together, go with one e-mail (mail servers
/// commonly refuse letters over 10–25 MB, and base64 makes the files a third larger).
pub const MAX_ATTACHMENTS: usize = 10;
pub const MAX_ATTACHMENT_BYTES: i64 = 10 * 1024 * 1024;

/// An outgoing message about to be written with its conversation row.
pub(crate) struct Outgoing {
    pub(crate) channel: &'static str,
    pub(crate) to: String,
    pub(crate) subject: Option<String>,
    pub(crate) text: String,
    pub(crate) template_key: Option<String>,
    pub(crate) attachments: Vec<Attachment>,
    /// Queueing again with the same key does nothing (a client notification's event).
    pub(crate) dedupe_key: Option<String>,
    /// It waits until then (quiet hours).
    pub(crate) not_before: Option<i64>,
    /// Refused before sending: written `failed` with this reason, so the card shows it.
    pub(crate) refused: Option<poryadok_core::Msg>,
}

impl Reach {
    /// A card whose client cannot be reached at all (a deal without a contact): its refusals
    /// still go on the card.
    pub(crate) fn unreachable(deal_id: Option<i64>, person_id: Option<i64>) -> Reach {
        Reach {
            person_id,
            deal_id,
            email: None,
            phone: None,
            last_email: None,
            telegram: None,
            whatsapp_gateway: false,
            sms_gateway: false,
        }
    }

    pub(crate) fn channel(&self, channel: &'static str) -> ReplyChannel {
        let lacks = || Some(ChannelMsg::ClientLacksChannel { channel: channel.to_string() }.into());
        let (to, unavailable) = match channel {
            "email" => (self.email.clone(), if self.email.is_none() { lacks() } else { None }),
            "telegram" => match &self.telegram {
                None => (None, Some(ChannelMsg::NoTelegramChat {}.into())),
                Some((_, source, false, _)) => (None, Some(ChannelMsg::NoBotToken { source: source.clone() }.into())),
                Some((_, _, true, chat)) => (Some(chat.clone()), None),
            },
            "whatsapp" | "sms" => {
                let set = if channel == "whatsapp" { self.whatsapp_gateway } else { self.sms_gateway };
                match (&self.phone, set) {
                    (None, _) => (None, lacks()),
                    (Some(_), false) if channel == "whatsapp" => (None, Some(ChannelMsg::NoWhatsappGateway {}.into())),
                    (Some(_), false) => (None, Some(ChannelMsg::NoGatewaySet {}.into())),
                    (Some(p), true) => (Some(p.clone()), None),
                }
            }
            _ => (None, Some(ChannelMsg::NoChannel { channel: channel.to_string() }.into())),
        };
        ReplyChannel { channel, to, unavailable }
    }
}

fn re_subject(subject: Option<&str>) -> Option<String> {
    let s = subject?.trim();
    if s.is_empty() {
        return None;
    }
    let lower = s.to_lowercase();
    Some(if lower.starts_with("re:") || lower.starts_with("ответ:") { s.to_string() } else { format!("Re: {s}") })
}

impl Db {
    /// Where `entity` `id`'s client can be written to (the caller must see the card).
    pub async fn reply_options(&self, actor: &Actor, entity: Entity, id: i64) -> Result<ReplyOptions> {
        let reach = self.reach(actor, entity, id).await?;
        Ok(ReplyOptions {
            person_id: reach.person_id,
            channels: REPLY_CHANNELS.iter().map(|c| reach.channel(c)).collect(),
            subject: re_subject(reach.last_email.as_ref().and_then(|(_, _, s)| s.as_deref())),
        })
    }

    /// Writes to the client of a deal or a person: `{channel, text?, subject?, template_id?}`.
    /// The message is queued with its sending job and shown on the card at once, `queued` until
    /// the channel took it.
    pub async fn send_reply(&self, actor: &Actor, entity: Entity, id: i64, body: &Json) -> Result<OutboundMessage> {
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        const KEYS: [&str; 5] = ["channel", "text", "subject", "template_id", "file_ids"];
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(StoreError::invalid(k, Common::UnknownField { expected: words(KEYS) }));
        }
        let text_of = |k: &str| -> Result<Option<String>> {
            match obj.get(k) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
                Some(_) => Err(StoreError::invalid(k, Common::NotString {})),
            }
        };
        let channel_name = text_of("channel")?.ok_or_else(|| StoreError::invalid("channel", Common::Required {}))?;
        let channel = *REPLY_CHANNELS
            .iter()
            .find(|c| **c == channel_name)
            .ok_or_else(|| StoreError::invalid("channel", Common::OneOf { list: words(REPLY_CHANNELS) }))?;
        let template_id = match obj.get("template_id") {
            None | Some(Json::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| StoreError::invalid("template_id", Common::NotInteger {}))?),
        };
        let attachments = self.reply_attachments(actor, channel, obj.get("file_ids")).await?;
        let reach = self.reach(actor, entity, id).await?;
        let target = reach.channel(channel);
        let to = match (target.to, target.unavailable) {
            (Some(to), None) => to,
            (_, why) => return Err(StoreError::invalid("channel", why.unwrap_or_else(|| Common::Required {}.into()))),
        };
        let (subject, text, template_key) = match template_id {
            Some(tid) => {
                let (subject, text, key) = self.fill_template(actor, &reach, channel, tid).await?;
                (subject, text, Some(key))
            }
            None => {
                let text = text_of("text")?.ok_or_else(|| StoreError::invalid("text", ChannelMsg::TextOrTemplate {}))?;
                (text_of("subject")?, text, None)
            }
        };
        if text.chars().count() > MAX_BODY {
            return Err(StoreError::invalid("text", Common::TooLong { max: MAX_BODY as i64 }));
        }
        let subject = match channel {
            "email" => {
                let s = subject
                    .or_else(|| re_subject(reach.last_email.as_ref().and_then(|(_, _, s)| s.as_deref())))
                    .ok_or_else(|| StoreError::invalid("subject", Common::Required {}))?;
                if s.chars().count() > MAX_SUBJECT {
                    return Err(StoreError::invalid("subject", Common::TooLong { max: MAX_SUBJECT as i64 }));
                }
                Some(s)
            }
            _ => None,
        };
        let out = Outgoing { channel, to, subject, text, template_key, attachments, dedupe_key: None, not_before: None, refused: None };
        let out_id = self.write_outgoing(actor, entity, id, &reach, out).await?.ok_or(StoreError::NotFound)?;
        let mut q = message_select();
        q.and_where(Expr::col(col("workspace_id")).eq(actor.ws_id())).and_where(Expr::col(col("id")).eq(out_id));
        decode_message(&self.write.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?)
    }

    /// The files of `file_ids` (any file the caller sees: the card's, its documents'), checked
    /// for the channel and the size limit.
    async fn reply_attachments(&self, actor: &Actor, channel: &str, ids: Option<&Json>) -> Result<Vec<Attachment>> {
        let ids: Vec<i64> = match ids {
            None | Some(Json::Null) => return Ok(Vec::new()),
            Some(Json::Array(a)) => {
                a.iter().map(|v| v.as_i64().ok_or_else(|| StoreError::invalid("file_ids", Common::NotInteger {}))).collect::<Result<_>>()?
            }
            Some(_) => return Err(StoreError::invalid("file_ids", Common::NotInteger {})),
        };
        let mut ids = ids;
        ids.dedup();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if channel != "email" {
            return Err(StoreError::invalid("file_ids", ChannelMsg::AttachmentsEmailOnly { channel: channel.to_string() }));
        }
        if ids.len() > MAX_ATTACHMENTS {
            return Err(StoreError::invalid("file_ids", ChannelMsg::TooManyAttachments { max: MAX_ATTACHMENTS as i64 }));
        }
        let mut out = Vec::new();
        for fid in ids {
            let f = self.file(actor, fid).await.map_err(|e| match e {
                StoreError::NotFound => StoreError::invalid("file_ids", Common::NoSuchRecord { what: "file".into(), id: fid }),
                e => e,
            })?;
            out.push(Attachment { id: f.id, name: f.name, size: f.size });
        }
        if out.iter().map(|a| a.size).sum::<i64>() > MAX_ATTACHMENT_BYTES {
            return Err(StoreError::invalid("file_ids", ChannelMsg::AttachmentsTooLarge { max_mb: MAX_ATTACHMENT_BYTES / 1024 / 1024 }));
        }
        Ok(out)
    }

    /// Writes an outgoing message and its row in the card's conversation, and queues its sending
    /// job (unless refused) for when it may go. `None` when its dedupe key was written before.
    pub(crate) async fn write_outgoing(&self, actor: &Actor, entity: Entity, id: i64, reach: &Reach, out: Outgoing) -> Result<Option<i64>> {
        let now = self.clock.now_ms();
        let channel = out.channel;
        let to = out.to;
        let mut thread = Thread::default();
        match channel {
            "email" => {
                // Kept without angle brackets, as the inbound side keeps the ids it reads.
                let token: String = crate::auth::new_secret("").chars().filter(char::is_ascii_alphanumeric).take(16).collect();
                thread.message_id = Some(format!("reply.{now}.{token}@poryadok"));
                if let Some((last, first, _)) = &reach.last_email {
                    thread.in_reply_to = Some(last.clone());
                    thread.references = first.iter().filter(|f| *f != last).cloned().chain([last.clone()]).collect();
                }
            }
            "telegram" => {
                thread.source_id = reach.telegram.as_ref().map(|t| t.0);
                thread.chat_id = Some(to.clone()).filter(|t| !t.is_empty());
            }
            _ => {}
        }
        let (status, error) = match &out.refused {
            Some(why) => ("failed", Some(crate::intake::stored_msg(why))),
            None => ("queued", None),
        };
        let attachments = (!out.attachments.is_empty()).then(|| serde_json::to_string(&out.attachments).unwrap_or_default());
        let tx = self.write.begin().await?;
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
                    "status",
                    "error",
                    "attempts",
                    "created_at",
                    "user_id",
                    "deal_id",
                    "person_id",
                    "thread",
                    "dedupe_key",
                    "attachments",
                    "not_before",
                ]
                .map(col),
            )
            .values([
                actor.ws_id().into(),
                channel.into(),
                to.clone().into(),
                out.subject.clone().into(),
                out.text.clone().into(),
                out.template_key.into(),
                Some(entity.name()).into(),
                Some(id).into(),
                status.into(),
                error.into(),
                0i64.into(),
                now.into(),
                Some(actor.user_id()).filter(|u| *u > 0).into(),
                reach.deal_id.into(),
                reach.person_id.into(),
                thread.stored().into(),
                out.dedupe_key.into(),
                attachments.into(),
                out.not_before.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .on_conflict(OnConflict::columns([col("workspace_id"), col("dedupe_key")]).do_nothing().to_owned())
            .returning_col(col("id"))
            .to_owned();
        let Some(out_id) = tx.query_one(self.backend.build(&q)).await?.map(|r| r.try_get::<i64>("", "id")).transpose()? else {
            return Ok(None);
        };
        let thread_root = thread.references.first().cloned().or_else(|| thread.message_id.clone());
        let q = Query::insert()
            .into_table(col("messages"))
            .columns(
                [
                    "workspace_id",
                    "channel",
                    "direction",
                    "person_id",
                    "deal_id",
                    "external_id",
                    "thread_id",
                    "sender",
                    "recipients",
                    "subject",
                    "body",
                    "sent_at",
                    "created_at",
                    "outbound_id",
                ]
                .map(col),
            )
            .values([
                actor.ws_id().into(),
                channel.into(),
                "out".into(),
                reach.person_id.into(),
                reach.deal_id.into(),
                thread.message_id.clone().into(),
                thread_root.into(),
                Some(actor.user_name.clone()).filter(|n| !n.is_empty()).into(),
                Some(to).filter(|t| !t.is_empty()).into(),
                out.subject.into(),
                out.text.into(),
                now.into(),
                now.into(),
                out_id.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        if out.refused.is_none() {
            let mut job = send_job(actor.ws_id(), out_id, now, None);
            if let Some(at) = out.not_before {
                job.run_at = at;
            }
            enqueue_on(&tx, self.backend, &job, now).await?;
        }
        crate::live::wake(&tx, self.backend).await?;
        tx.commit().await?;
        Ok(Some(out_id))
    }

    /// A template filled for the card's client, for the composer to show before sending:
    /// (subject, text). An empty placeholder is refused as it would be when sending.
    pub async fn reply_template_text(
        &self,
        actor: &Actor,
        entity: Entity,
        id: i64,
        channel: &str,
        template_id: i64,
    ) -> Result<(Option<String>, String)> {
        let reach = self.reach(actor, entity, id).await?;
        let (subject, text, _) = self.fill_template(actor, &reach, channel, template_id).await?;
        Ok((subject, text))
    }

    /// Template `tid` filled from the card for `channel`: (subject, text, the template's key).
    async fn fill_template(&self, actor: &Actor, reach: &Reach, channel: &str, tid: i64) -> Result<(Option<String>, String, String)> {
        let t = self
            .reply_templates(actor)
            .await?
            .into_iter()
            .find(|t| t.id == tid)
            .ok_or_else(|| StoreError::invalid("template_id", Common::NoSuchRecord { what: "template".into(), id: tid }))?;
        self.fill_this(actor, reach, channel, t).await
    }

    /// The template `key` of `channel`'s family (e-mail, or text for the others) filled from the
    /// card: (subject, text, key).
    pub(crate) async fn fill_template_key(
        &self,
        actor: &Actor,
        reach: &Reach,
        channel: &str,
        key: &str,
    ) -> Result<(Option<String>, String, String)> {
        let family = if channel == "email" { "email" } else { "sms" };
        let t = self
            .reply_templates(actor)
            .await?
            .into_iter()
            .find(|t| t.key == key && t.channel == family)
            .ok_or_else(|| StoreError::invalid("template_key", ChannelMsg::NotifyNoTemplate { key: key.to_string() }))?;
        self.fill_this(actor, reach, channel, t).await
    }

    async fn fill_this(&self, actor: &Actor, reach: &Reach, channel: &str, t: MessageTemplate) -> Result<(Option<String>, String, String)> {
        let family = if channel == "email" { "email" } else { "sms" };
        if t.channel != family {
            return Err(StoreError::invalid("template_id", ChannelMsg::TemplateOtherChannel { channel: channel.to_string() }));
        }
        let vars = self.reply_vars(actor, reach).await?;
        if let Some(p) = t.placeholders.iter().find(|p| vars.get(p.as_str()).and_then(Json::as_str).is_none_or(|v| v.trim().is_empty())) {
            return Err(StoreError::invalid("template_id", ChannelMsg::EmptyPlaceholder { placeholder: p.clone() }));
        }
        let subject = t.subject.as_deref().map(|s| template::fill(s, &vars));
        Ok((subject, template::fill(&t.body, &vars), t.key))
    }

    /// The workspace's templates a reply may start from: anyone who writes to clients may use
    /// them (only administrators change them).
    pub async fn reply_templates(&self, actor: &Actor) -> Result<Vec<MessageTemplate>> {
        actor.caller.may_write(Entity::Note).map_err(StoreError::forbidden)?;
        let q = Query::select()
            .columns(TEMPLATE_COLUMNS.map(col))
            .from(col("message_templates"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .order_by(col("key"), Order::Asc)
            .order_by(col("channel"), Order::Asc)
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(decode_template).collect()
    }

    /// The card's client and how to reach them. The caller must see the card.
    pub(crate) async fn reach(&self, actor: &Actor, entity: Entity, id: i64) -> Result<Reach> {
        let (deal_id, person_id) = match entity {
            Entity::Deal => {
                let deal = self.get(actor, entity, id).await?;
                (
                    Some(id),
                    Some(deal.get("person_id").as_int().ok_or_else(|| StoreError::invalid("channel", ChannelMsg::NoClientPerson {}))?),
                )
            }
            Entity::Person => {
                self.get(actor, entity, id).await?;
                (None, Some(id))
            }
            _ => return Err(StoreError::invalid("entity", poryadok_core::msg::IntakeMsg::MessagesOnDealsAndPersons {})),
        };
        let ws = actor.ws_id();
        let (mut email, mut phone) = (None, None);
        if let Some(p) = person_id {
            let q = Query::select()
                .columns(["email", "phone"].map(col))
                .from(col("persons"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("id")).eq(p))
                .to_owned();
            if let Some(r) = self.read.query_one(self.backend.build(&q)).await? {
                email = r.try_get::<Option<String>>("", "email")?.filter(|e| !e.is_empty());
                phone = r.try_get::<Option<String>>("", "phone")?.filter(|e| !e.is_empty());
            }
        }
        // The client's latest message on a channel: theirs on this deal, else anywhere on their card.
        let last_in = |channel: &str| {
            let mut q = Query::select()
                .expr_as(Expr::col((col("m"), col("external_id"))), col("external_id"))
                .expr_as(Expr::col((col("m"), col("thread_id"))), col("thread_id"))
                .expr_as(Expr::col((col("m"), col("subject"))), col("subject"))
                .expr_as(Expr::col((col("e"), col("source_id"))), col("source_id"))
                .from_as(col("messages"), col("m"))
                .join_as(
                    JoinType::LeftJoin,
                    col("inbound_events"),
                    col("e"),
                    Expr::col((col("e"), col("id")))
                        .equals((col("m"), col("event_id")))
                        .and(Expr::col((col("e"), col("workspace_id"))).equals((col("m"), col("workspace_id")))),
                )
                .and_where(Expr::col((col("m"), col("workspace_id"))).eq(ws))
                .and_where(Expr::col((col("m"), col("channel"))).eq(channel))
                .and_where(Expr::col((col("m"), col("direction"))).eq("in"))
                .and_where(Expr::col((col("m"), col("external_id"))).is_not_null())
                .order_by((col("m"), col("sent_at")), Order::Desc)
                .order_by((col("m"), col("id")), Order::Desc)
                .limit(1)
                .to_owned();
            match person_id {
                Some(p) => q.and_where(Expr::col((col("m"), col("person_id"))).eq(p)),
                None => q.and_where(Expr::col((col("m"), col("deal_id"))).eq(deal_id.unwrap_or_default())),
            };
            q
        };
        let last_email = match self.read.query_one(self.backend.build(&last_in("email"))).await? {
            Some(r) => Some((r.try_get::<String>("", "external_id")?, r.try_get("", "thread_id")?, r.try_get("", "subject")?)),
            None => None,
        };
        let telegram = match self.read.query_one(self.backend.build(&last_in("telegram"))).await? {
            Some(r) => {
                let chat = r.try_get::<String>("", "external_id")?.split(':').next().unwrap_or_default().to_string();
                match r.try_get::<Option<i64>>("", "source_id")? {
                    Some(source) => {
                        let (name, token) = self.bot_of(ws, source).await?;
                        Some((source, name, token.is_some(), chat))
                    }
                    None => None,
                }
            }
            None => None,
        };
        Ok(Reach {
            person_id,
            deal_id,
            email,
            phone,
            last_email,
            telegram,
            whatsapp_gateway: self.gateway_for(ws, Gateway::WhatsApp).await?.is_some(),
            sms_gateway: self.gateway_for(ws, Gateway::Sms).await?.is_some(),
        })
    }

    /// A Telegram source's name and bot token (for sending through it).
    pub async fn bot_of(&self, ws: i64, source: i64) -> Result<(String, Option<String>)> {
        let q = Query::select()
            .columns(["name", "config"].map(col))
            .from(col("intake_sources"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(source))
            .to_owned();
        let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        let mut config: Json = serde_json::from_str(&r.try_get::<String>("", "config")?).unwrap_or(Json::Null);
        crate::intake::open_config(&self.secrets, &mut config)?;
        let token = config.get("bot_token").and_then(Json::as_str).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        Ok((r.try_get("", "name")?, token))
    }

    /// The placeholders of a reply's template, from the card's deal, client and manager.
    async fn reply_vars(&self, actor: &Actor, reach: &Reach) -> Result<Map<String, Json>> {
        let mut vars = Map::new();
        vars.insert("company".into(), json!(actor.ws.name));
        let ws = actor.ws_id();
        let text = |r: &sea_orm::QueryResult, c: &str| -> Result<Option<String>> {
            Ok(r.try_get::<Option<String>>("", c)?.filter(|s| !s.trim().is_empty()))
        };
        let mut owner: Option<i64> = None;
        let mut org: Option<i64> = None;
        if let Some(d) = reach.deal_id {
            let q = Query::select()
                .expr_as(Expr::col((col("d"), col("title"))), col("title"))
                .expr_as(Expr::col((col("d"), col("owner_id"))), col("owner_id"))
                .expr_as(Expr::col((col("d"), col("organization_id"))), col("organization_id"))
                .expr_as(Expr::col((col("s"), col("name"))), col("stage"))
                .from_as(col("deals"), col("d"))
                .join_as(
                    JoinType::LeftJoin,
                    col("stages"),
                    col("s"),
                    Expr::col((col("s"), col("id")))
                        .equals((col("d"), col("stage_id")))
                        .and(Expr::col((col("s"), col("workspace_id"))).equals((col("d"), col("workspace_id")))),
                )
                .and_where(Expr::col((col("d"), col("workspace_id"))).eq(ws))
                .and_where(Expr::col((col("d"), col("id"))).eq(d))
                .to_owned();
            if let Some(r) = self.read.query_one(self.backend.build(&q)).await? {
                for (k, c) in [("deal", "title"), ("stage", "stage")] {
                    if let Some(v) = text(&r, c)? {
                        vars.insert(k.into(), json!(v));
                    }
                }
                owner = r.try_get("", "owner_id")?;
                org = r.try_get("", "organization_id")?;
            }
        }
        if let Some(p) = reach.person_id {
            let q = Query::select()
                .columns(["name", "owner_id", "organization_id"].map(col))
                .from(col("persons"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("id")).eq(p))
                .to_owned();
            if let Some(r) = self.read.query_one(self.backend.build(&q)).await? {
                if let Some(v) = text(&r, "name")? {
                    vars.insert("contact".into(), json!(v.clone()));
                    vars.insert("client".into(), json!(v));
                }
                owner = owner.or(r.try_get("", "owner_id")?);
                org = org.or(r.try_get("", "organization_id")?);
            }
        }
        if let Some(o) = org {
            let q = Query::select()
                .column(col("name"))
                .from(col("organizations"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("id")).eq(o))
                .to_owned();
            if let Some(v) = self.read.query_one(self.backend.build(&q)).await?.map(|r| text(&r, "name")).transpose()?.flatten() {
                vars.insert("client".into(), json!(v));
            }
        }
        // The manager is the card's owner, else the one writing.
        let manager = owner.or(Some(actor.user_id()).filter(|u| *u > 0));
        if let Some(u) = manager {
            let q = Query::select()
                .columns(["name", "email", "phone"].map(col))
                .from(col("users"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("id")).eq(u))
                .to_owned();
            if let Some(r) = self.read.query_one(self.backend.build(&q)).await? {
                for (k, c) in [("manager", "name"), ("manager_email", "email"), ("manager_phone", "phone")] {
                    if let Some(v) = text(&r, c)? {
                        vars.insert(k.into(), json!(v));
                    }
                }
            }
        }
        Ok(vars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_subject_gets_one_re() {
        assert_eq!(re_subject(Some("Счёт за май")).as_deref(), Some("Re: Счёт за май"));
        assert_eq!(re_subject(Some("RE: Счёт")).as_deref(), Some("RE: Счёт"));
        assert_eq!(re_subject(Some("  ")), None);
    }

    #[test]
    fn a_thread_round_trips_and_an_empty_one_is_not_stored() {
        assert_eq!(Thread::default().stored(), None);
        let t = Thread { message_id: Some("<a@b>".into()), references: vec!["<r@b>".into()], ..Thread::default() };
        assert_eq!(Thread::read(t.stored()), t);
    }
}

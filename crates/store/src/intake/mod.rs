//! Intake: sources that take calls, web forms, Telegram and e-mail in, and the inbox of raw events.
//!
//! Inbox first: an event is a row (`inbound_events`) with its source, the provider's id and the
//! body exactly as received before anything else happens, and the row's unique key
//! (workspace, source, external id) makes a replayed delivery a no-op. Processing is a job: it
//! claims the event by flipping its status in the same transaction that writes the person, deal,
//! call or message, so a replay or a second worker changes nothing. A processing error is kept on
//! the event (`failed`, with the error and the field) and retried by the job engine; an event that
//! cannot be read at all is stored as failed at once. Failed events are listed and re-processed
//! through the API and the UI after a fix (a mapping, a pipeline).
//!
//! What becomes of a client's card is in [`client`] (one client, one card) and the per-channel
//! modules.
pub(crate) mod calls;
pub(crate) mod client;
mod demo;
pub mod forms;
pub(crate) mod meetings;
pub(crate) mod messages;

use crate::error::{Result, StoreError};
use crate::jobs::{enqueue_on, NewJob};
use crate::secrets::{SecretError, SecretKey};
use crate::sql::col;
use crate::{Actor, Db};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use poryadok_core::domain::{Channel, Role};
use poryadok_core::error::FieldError;
use poryadok_core::msg::{words, Common, IntakeMsg};
use poryadok_core::types::format_ms;
use poryadok_core::Msg;
use sea_orm::{ConnectionTrait, QueryResult, TransactionTrait};
use sea_query::{Expr, OnConflict, Order, Query};
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

/// The job that processes one inbound event.
/// A mapped source's overrides (`config.mapping`: field → parameter name of the provider).
pub(crate) fn mapping_overrides(config: &Json) -> std::collections::BTreeMap<String, String> {
    match config.get("mapping") {
        Some(Json::Object(m)) => m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect(),
        _ => Default::default(),
    }
}

/// Checks a mapped source's `preset` (default `generic`) and `mapping` (names as text), then that
/// `mapping_of` reads them; a refusal names `config.<part>`.
pub(crate) fn check_mapped_config<M>(
    c: &mut serde_json::Map<String, Json>,
    mapping_of: impl Fn(&Json) -> std::result::Result<M, poryadok_core::error::FieldError>,
) -> Result<()> {
    match c.get("preset") {
        None => {
            c.insert("preset".into(), Json::from("generic"));
        }
        Some(Json::String(_)) => {}
        Some(_) => return Err(StoreError::invalid("config.preset", IntakeMsg::PresetName {})),
    }
    if let Some(m) = c.get("mapping") {
        let Json::Object(m) = m else {
            return Err(StoreError::invalid("config.mapping", IntakeMsg::MappingNotObject {}));
        };
        if let Some((k, _)) = m.iter().find(|(_, v)| !v.is_string()) {
            return Err(StoreError::invalid(format!("config.mapping.{k}"), IntakeMsg::ParamName {}));
        }
    }
    mapping_of(&Json::Object(c.clone())).map_err(|e| StoreError::invalid(format!("config.{}", e.field), e.msg))?;
    Ok(())
}

pub const EVENT_JOB: &str = "intake_event";
/// The recurring job that polls an e-mail source's IMAP mailbox.
pub const IMAP_JOB: &str = "imap_poll";
pub const SOURCE_KINDS: &[&str] = &["telephony", "form", "telegram", "email", "whatsapp", "meetings"];
pub const EVENT_STATUSES: &[&str] = &["pending", "processed", "failed", "rejected"];
/// Unique-key clashes between concurrent first contacts are settled by running again.
const CLASH_RETRIES: usize = 3;

/// A configured intake source.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: i64,
    pub workspace_id: i64,
    pub kind: String,
    pub name: String,
    pub hook_key: String,
    pub secret: String,
    pub config: Json,
    pub state: Json,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Source {
    /// The wire form; the secret only when asked (on creation and rotation, to an admin).
    pub fn to_json(&self, with_secret: bool) -> Json {
        let mut v = json!({
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "hook_key": self.hook_key,
            "hook_path": self.hook_path(),
            "config": redact_config(&self.config),
            "active": self.active,
            "created_at": format_ms(self.created_at),
            "updated_at": format_ms(self.updated_at),
        });
        if with_secret {
            v["secret"] = Json::String(self.secret.clone());
        }
        v
    }

    /// Where the provider posts: `/hooks/{key}`; a web form's page is `/f/{key}`.
    pub fn hook_path(&self) -> String {
        format!("/hooks/{}", self.hook_key)
    }

    pub fn config_str(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(Json::as_str)
    }
}

/// Passwords inside a config (IMAP) are never listed.
fn redact_config(config: &Json) -> Json {
    let mut c = config.clone();
    if let Some(imap) = c.get_mut("imap").and_then(Json::as_object_mut) {
        if imap.contains_key("password") {
            imap.insert("password".into(), Json::String("***".into()));
        }
    }
    if let Some(h) = c.pointer_mut("/callback/headers").and_then(Json::as_object_mut) {
        for v in h.values_mut() {
            *v = Json::String(poryadok_core::template::MASK.into());
        }
    }
    if let Some(obj) = c.as_object_mut() {
        if obj.get("bot_token").and_then(Json::as_str).is_some_and(|t| !t.is_empty()) {
            obj.insert("bot_token".into(), Json::String("***".into()));
        }
    }
    c
}

/// How an event enters the inbox.
#[derive(Debug, Clone)]
pub enum Arrival {
    /// Readable: processed by a job.
    Pending,
    /// Unreadable (bad JSON or MIME, no phone…): stored with the error, never processed by itself.
    Invalid(FieldError),
    /// Spam by the source's own rules (a honeypot, too fast): kept for the record, never processed.
    Rejected(Msg),
}

pub struct NewEvent<'a> {
    pub source: &'a Source,
    /// The provider's id; the body's SHA-256 when it has none, so a replayed body is still one event.
    pub external_id: Option<String>,
    pub content_type: Option<String>,
    pub body: &'a [u8],
    pub remote_addr: Option<String>,
    pub arrival: Arrival,
}

/// What the inbox did with a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub event_id: i64,
    /// The same event was delivered before; nothing changed.
    pub duplicate: bool,
    pub status: String,
}

/// An event of the inbox as listed: the delivery, where processing stands, its error and result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InboundEvent {
    pub id: i64,
    pub source_id: i64,
    /// The source's kind when the event arrived.
    pub kind: String,
    pub external_id: String,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub received_at: i64,
    pub content_type: Option<String>,
    pub remote_addr: Option<String>,
    /// One of [`EVENT_STATUSES`].
    pub status: String,
    /// Why the event failed or was rejected.
    #[serde(flatten)]
    pub failure: Failure,
    /// The part of the body the error is about.
    pub error_field: Option<String>,
    pub attempts: i64,
    #[serde(serialize_with = "crate::serde_time::opt_ms")]
    pub processed_at: Option<i64>,
    /// What processing made, as stored (its keys differ by channel).
    pub result: Option<Json>,
    /// The result's person, deal and reason to ignore, read for display.
    #[serde(skip)]
    pub outcome: Outcome,
}

/// One event read alone: as listed, with its body exactly as received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: InboundEvent,
    /// The text, or base64 when the body is not UTF-8.
    pub body: String,
    pub body_encoding: BodyEncoding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyEncoding {
    Text,
    Base64,
}

/// What processing made of an event: the client's person and deal (found or created), or why it
/// made nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub person: Option<Made>,
    pub deal: Option<Made>,
    /// Why the event became no card (a Telegram update that is not a message…).
    pub ignored: Option<StoredMsg>,
    /// The reason its person was marked as not a lead: it went on their card without a deal.
    pub not_lead: Option<String>,
}

/// A record processing found or created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub id: i64,
    pub created: bool,
}

impl Outcome {
    /// Reads a stored result: `person_id`/`person_created`, `deal_id`/`deal_created`, `ignored`
    /// (with `ignored_code` and `ignored_args`).
    pub fn of_result(result: &Json) -> Outcome {
        let made = |id: &str, created: &str| {
            result.get(id).and_then(Json::as_i64).map(|id| Made { id, created: result.get(created) == Some(&Json::Bool(true)) })
        };
        Outcome {
            person: made("person_id", "person_created"),
            deal: made("deal_id", "deal_created"),
            ignored: result
                .get("ignored")
                .and_then(Json::as_str)
                .map(|text| StoredMsg { text: text.to_string(), msg: msg_of(result, "ignored") }),
            not_lead: result.get("not_lead").and_then(Json::as_str).map(str::to_string),
        }
    }
}

/// A message kept on a record: its English text, and the message itself when it can be rebuilt
/// (text stored before messages had codes cannot).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMsg {
    pub text: String,
    pub msg: Option<Msg>,
}

/// How many events are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EventCounts {
    pub pending: i64,
    pub processed: i64,
    pub failed: i64,
    pub rejected: i64,
}

impl EventCounts {
    /// The count of one of [`EVENT_STATUSES`]; nothing is in any other status.
    pub fn of(&self, status: &str) -> i64 {
        match status {
            "pending" => self.pending,
            "processed" => self.processed,
            "failed" => self.failed,
            "rejected" => self.rejected,
            _ => 0,
        }
    }

    pub fn total(&self) -> i64 {
        self.pending + self.processed + self.failed + self.rejected
    }
}

/// A Telegram or e-mail message on a client's card.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CardMessage {
    pub id: i64,
    /// `telegram` or `email`.
    pub channel: String,
    /// `in` or `out`.
    pub direction: String,
    pub person_id: Option<i64>,
    pub deal_id: Option<i64>,
    /// The inbox event it came in with.
    pub event_id: Option<i64>,
    /// Message-ID for e-mail, chat:message for Telegram.
    pub external_id: Option<String>,
    /// The thread's first message's external id (e-mail).
    pub thread_id: Option<String>,
    pub sender: Option<String>,
    /// Addresses, comma-separated.
    pub recipients: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub sent_at: i64,
    /// A reply written on the card: its outgoing message and `queued`, `sent` or `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbound_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
}

/// A marketing touch of a deal: a call, a form, a message, with where it came from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Touch {
    pub id: i64,
    pub channel: String,
    pub event_id: Option<i64>,
    pub person_id: Option<i64>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub occurred_at: i64,
    #[serde(flatten)]
    pub attribution: poryadok_core::intake::Attribution,
}

pub fn body_hash(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

fn decode_source(r: &QueryResult, key: &SecretKey) -> Result<Source> {
    let config: String = r.try_get("", "config")?;
    let state: String = r.try_get("", "state")?;
    let mut config = serde_json::from_str(&config).unwrap_or(Json::Null);
    open_config(key, &mut config)?;
    Ok(Source {
        id: r.try_get("", "id")?,
        workspace_id: r.try_get("", "workspace_id")?,
        kind: r.try_get("", "kind")?,
        name: r.try_get("", "name")?,
        hook_key: r.try_get("", "hook_key")?,
        secret: key.open(&r.try_get::<String>("", "secret")?)?,
        config,
        state: serde_json::from_str(&state).unwrap_or_else(|_| json!({})),
        active: r.try_get("", "active")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

const SOURCE_COLUMNS: [&str; 11] =
    ["id", "workspace_id", "kind", "name", "hook_key", "secret", "config", "state", "active", "created_at", "updated_at"];

fn must_admin(actor: &Actor) -> Result<()> {
    match actor.caller.role {
        Role::Admin => Ok(()),
        _ => Err(StoreError::forbidden(IntakeMsg::SourcesAdminOnly {})),
    }
}

fn may_read_events(actor: &Actor) -> Result<()> {
    match actor.caller.role {
        Role::Admin | Role::Head => Ok(()),
        _ => Err(StoreError::forbidden(IntakeMsg::InboxHeadsOnly {})),
    }
}

impl Db {
    /// Creates a source: `{"kind", "name", "config"}`; the secret is generated.
    pub async fn create_source(&self, actor: &Actor, body: &Json) -> Result<Source> {
        must_admin(actor)?;
        let kind = body.get("kind").and_then(Json::as_str).ok_or_else(|| StoreError::invalid("kind", Common::Required {}))?;
        if !SOURCE_KINDS.contains(&kind) {
            return Err(StoreError::invalid("kind", IntakeMsg::NotSourceKind { kind: kind.to_string(), kinds: words(SOURCE_KINDS) }));
        }
        let name = source_name(body.get("name"))?.ok_or_else(|| StoreError::invalid("name", Common::Required {}))?;
        let config = self.check_source_config(actor, kind, body.get("config").unwrap_or(&json!({}))).await?;
        let now = self.clock.now_ms();
        let key = crate::auth::new_secret("").chars().filter(char::is_ascii_alphanumeric).take(24).collect::<String>();
        let secret = crate::auth::new_secret("whsec_");
        let q = Query::insert()
            .into_table(col("intake_sources"))
            .columns(
                ["workspace_id", "kind", "name", "hook_key", "secret", "config", "state", "active", "created_at", "updated_at"].map(col),
            )
            .values([
                actor.ws_id().into(),
                kind.into(),
                name.into(),
                key.into(),
                self.secrets.seal(&secret)?.into(),
                seal_config(&self.secrets, &config)?.to_string().into(),
                "{}".into(),
                true.into(),
                now.into(),
                now.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        let id = crate::sql::insert_id(&self.write, self.backend, &q).await?;
        let source = self.source(actor, id).await?;
        self.schedule_polling(&source).await?;
        Ok(source)
    }

    /// An e-mail source with IMAP settings is polled every `every_minutes`; the job skips a
    /// source that lost them or was switched off.
    async fn schedule_polling(&self, source: &Source) -> Result<()> {
        let Some(every) = source.config.pointer("/imap/every_minutes").and_then(Json::as_i64) else {
            return Ok(());
        };
        let name = format!("imap:{}", source.id);
        self.upsert_schedule(source.workspace_id, &name, IMAP_JOB, &json!({"source_id": source.id}), every * 60_000, self.clock.now_ms())
            .await
    }

    /// Updates `name`, `config` (replaced whole) and `active`.
    pub async fn update_source(&self, actor: &Actor, id: i64, body: &Json) -> Result<Source> {
        must_admin(actor)?;
        let old = self.source(actor, id).await?;
        let mut q = Query::update();
        q.table(col("intake_sources"))
            .value(col("updated_at"), self.clock.now_ms())
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id));
        if let Some(name) = source_name(body.get("name"))? {
            q.value(col("name"), name);
        }
        if let Some(config) = body.get("config") {
            let mut config = config.clone();
            keep_secret_fields(&mut config, &old.config);
            let config = self.check_source_config(actor, &old.kind, &config).await?;
            q.value(col("config"), seal_config(&self.secrets, &config)?.to_string());
        }
        match body.get("active") {
            Some(Json::Bool(b)) => {
                q.value(col("active"), *b);
            }
            Some(_) => return Err(StoreError::invalid("active", Common::NotBool {})),
            None => {}
        }
        self.write.execute(self.backend.build(&q)).await?;
        let source = self.source(actor, id).await?;
        self.schedule_polling(&source).await?;
        Ok(source)
    }

    /// A new secret; the old one stops working at once.
    pub async fn rotate_source_secret(&self, actor: &Actor, id: i64) -> Result<Source> {
        must_admin(actor)?;
        self.source(actor, id).await?;
        let q = Query::update()
            .table(col("intake_sources"))
            .value(col("secret"), self.secrets.seal(&crate::auth::new_secret("whsec_"))?)
            .value(col("updated_at"), self.clock.now_ms())
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        self.source(actor, id).await
    }

    /// Deleting a source keeps its events (they are the record of what arrived).
    pub async fn delete_source(&self, actor: &Actor, id: i64) -> Result<()> {
        must_admin(actor)?;
        self.source(actor, id).await?;
        crate::sql::soft_delete(&self.write, self.backend, "intake_sources", actor.ws_id(), id, self.clock.now_ms()).await
    }

    pub async fn sources(&self, actor: &Actor) -> Result<Vec<Source>> {
        may_read_events(actor)?;
        let q = Query::select()
            .columns(SOURCE_COLUMNS.map(col))
            .from(col("intake_sources"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("id"), Order::Asc)
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(|r| decode_source(r, &self.secrets)).collect()
    }

    pub async fn source(&self, actor: &Actor, id: i64) -> Result<Source> {
        may_read_events(actor)?;
        self.source_in(actor.ws_id(), id).await?.ok_or(StoreError::NotFound)
    }

    /// A live source for background work (no user: the job names the workspace).
    pub async fn source_for_job(&self, ws: i64, id: i64) -> Result<Option<Source>> {
        self.source_in(ws, id).await
    }

    pub(crate) async fn source_in(&self, ws: i64, id: i64) -> Result<Option<Source>> {
        let q = Query::select()
            .columns(SOURCE_COLUMNS.map(col))
            .from(col("intake_sources"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        self.read.query_one(self.backend.build(&q)).await?.as_ref().map(|r| decode_source(r, &self.secrets)).transpose()
    }

    /// The live, active source behind a webhook URL (no user: the source's secret authenticates).
    pub async fn source_by_key(&self, key: &str) -> Result<Option<Source>> {
        let q = Query::select()
            .columns(SOURCE_COLUMNS.map(col))
            .from(col("intake_sources"))
            .and_where(Expr::col(col("hook_key")).eq(key))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .and_where(Expr::col(col("active")).eq(true))
            .to_owned();
        self.read.query_one(self.backend.build(&q)).await?.as_ref().map(|r| decode_source(r, &self.secrets)).transpose()
    }

    /// Live sources of a kind across workspaces (the IMAP poller's list).
    pub async fn sources_of_kind(&self, kind: &str) -> Result<Vec<Source>> {
        let q = Query::select()
            .columns(SOURCE_COLUMNS.map(col))
            .from(col("intake_sources"))
            .and_where(Expr::col(col("kind")).eq(kind))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .and_where(Expr::col(col("active")).eq(true))
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(|r| decode_source(r, &self.secrets)).collect()
    }

    /// Remembers a source's progress (the IMAP poller's last UID).
    pub async fn set_source_state(&self, ws: i64, id: i64, state: &Json) -> Result<()> {
        let q = Query::update()
            .table(col("intake_sources"))
            .value(col("state"), state.to_string())
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// Stores an event and, when it is readable, its processing job, in one transaction: an
    /// acknowledged event is never lost, and a replay of the same external id is a no-op.
    pub async fn accept_event(&self, ev: &NewEvent<'_>) -> Result<Accepted> {
        let mut out = self.accept_events(std::slice::from_ref(ev)).await?;
        out.pop().ok_or_else(|| StoreError::Internal("an accepted batch lost its event".into()))
    }

    /// [`Db::accept_event`] for a batch, in one transaction with one statement for the events
    /// and one for their jobs: the server gathers concurrent deliveries into such batches, so
    /// a burst of calls costs one commit per batch. Answers in the order given.
    pub async fn accept_events(&self, evs: &[NewEvent<'_>]) -> Result<Vec<Accepted>> {
        if evs.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.clock.now_ms();
        let keys: Vec<String> =
            evs.iter().map(|ev| ev.external_id.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| body_hash(ev.body))).collect();
        let mut q = Query::insert();
        q.into_table(col("inbound_events")).columns(
            [
                "workspace_id",
                "source_id",
                "kind",
                "external_id",
                "received_at",
                "content_type",
                "body",
                "body_base64",
                "remote_addr",
                "status",
                "error",
                "error_field",
                "attempts",
            ]
            .map(col),
        );
        for (ev, key) in evs.iter().zip(&keys) {
            let (body, base64) = match std::str::from_utf8(ev.body) {
                Ok(s) => (s.to_string(), false),
                Err(_) => (B64.encode(ev.body), true),
            };
            let (status, error, field) = arrival_columns(&ev.arrival);
            q.values([
                ev.source.workspace_id.into(),
                ev.source.id.into(),
                ev.source.kind.as_str().into(),
                key.as_str().into(),
                now.into(),
                ev.content_type.clone().into(),
                body.into(),
                base64.into(),
                ev.remote_addr.clone().into(),
                status.into(),
                error.into(),
                field.into(),
                0i64.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        }
        q.on_conflict(OnConflict::columns(["workspace_id", "source_id", "external_id"].map(col)).do_nothing().to_owned())
            .returning(Query::returning().columns(["id", "workspace_id", "source_id", "external_id"].map(col)));
        let tx = self.write.begin().await?;
        let mut fresh: std::collections::HashMap<(i64, i64, String), i64> = std::collections::HashMap::new();
        for r in tx.query_all(self.backend.build(&q)).await? {
            fresh
                .insert((r.try_get("", "workspace_id")?, r.try_get("", "source_id")?, r.try_get("", "external_id")?), r.try_get("", "id")?);
        }
        let mut out = Vec::with_capacity(evs.len());
        let mut jobs = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (ev, key) in evs.iter().zip(&keys) {
            let k = (ev.source.workspace_id, ev.source.id, key.clone());
            match fresh.get(&k) {
                // The first of identical deliveries in one batch is the new one; the rest are replays.
                Some(id) if seen.insert(k.clone()) => {
                    let (status, _, _) = arrival_columns(&ev.arrival);
                    if status == "pending" {
                        jobs.push(process_job(ev.source.workspace_id, *id, 0, now));
                    }
                    out.push(Accepted { event_id: *id, duplicate: false, status: status.into() });
                }
                _ => {
                    let q = Query::select()
                        .columns(["id", "status"].map(col))
                        .from(col("inbound_events"))
                        .and_where(Expr::col(col("workspace_id")).eq(k.0))
                        .and_where(Expr::col(col("source_id")).eq(k.1))
                        .and_where(Expr::col(col("external_id")).eq(k.2.as_str()))
                        .to_owned();
                    let r = tx
                        .query_one(self.backend.build(&q))
                        .await?
                        .ok_or_else(|| StoreError::Internal("replayed event vanished".into()))?;
                    out.push(Accepted { event_id: r.try_get("", "id")?, duplicate: true, status: r.try_get("", "status")? });
                }
            }
        }
        crate::jobs::enqueue_many_on(&tx, self.backend, &jobs, now).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Reads a delivery the way processing will, so the sender learns at once what is wrong with
    /// it: the provider's id (when the body names one) and how the event enters the inbox.
    pub async fn triage(&self, source: &Source, body: &[u8], content_type: Option<&str>) -> Result<(Option<String>, Arrival)> {
        let actor = self.system_actor(source.workspace_id, Channel::Intake).await?;
        let ctx = client::EventCtx { db: self, actor: &actor, source, event_id: 0, received_at: self.clock.now_ms() };
        let (external_id, read) = match source.kind.as_str() {
            // A readable call carries its id; only an unreadable one is searched for it separately.
            "telephony" => match calls::read(&ctx, body, content_type) {
                Ok(call) => (call.call_id.map(|id| calls::event_key(&id, body)), Ok(())),
                Err(e) => (calls::external_id(source, body, content_type), Err(e)),
            },
            "telegram" => {
                let id = serde_json::from_slice::<Json>(body)
                    .ok()
                    .and_then(|u| u.get("update_id").and_then(Json::as_i64))
                    .map(|u| format!("update:{u}"));
                (id, messages::read_telegram(body).map(|_| ()))
            }
            "whatsapp" => match messages::read_whatsapp(body) {
                Ok(m) => (m.external_id, Ok(())),
                Err(e) => (None, Err(e)),
            },
            "meetings" => match meetings::read(&ctx, body) {
                Ok(m) => (Some(meetings::event_key(&m)), Ok(())),
                Err(e) => (None, Err(e)),
            },
            "email" => match messages::read_email(body) {
                Ok(m) => (m.external_id, Ok(())),
                Err(e) => (None, Err(e)),
            },
            "form" => match forms::Submission::from_body(body) {
                Ok(sub) => {
                    let problem = self.form_problems(source, &sub).await?.into_iter().next();
                    (sub.id.as_ref().map(|id| format!("id:{id}")), problem.map_or(Ok(()), |p| Err(p.into())))
                }
                Err(e) => (None, Err(e)),
            },
            other => (None, Err(FieldError::new("source", IntakeMsg::NoWebhookDeliveries { kind: other.to_string() }))),
        };
        Ok((external_id, read.map_or_else(Arrival::Invalid, |()| Arrival::Pending)))
    }

    /// The inbox, newest first: `status` and `source_id` narrow it; `before_id` pages.
    pub async fn events(
        &self,
        actor: &Actor,
        status: Option<&str>,
        source_id: Option<i64>,
        limit: u64,
        before_id: Option<i64>,
    ) -> Result<Vec<InboundEvent>> {
        may_read_events(actor)?;
        if let Some(s) = status {
            if !EVENT_STATUSES.contains(&s) {
                return Err(StoreError::invalid(
                    "status",
                    IntakeMsg::NotEventStatus { status: s.to_string(), statuses: words(EVENT_STATUSES) },
                ));
            }
        }
        let mut q = event_select(false);
        q.and_where(Expr::col(col("workspace_id")).eq(actor.ws_id())).order_by(col("id"), Order::Desc).limit(limit.clamp(1, 500));
        if let Some(s) = status {
            q.and_where(Expr::col(col("status")).eq(s));
        }
        if let Some(s) = source_id {
            q.and_where(Expr::col(col("source_id")).eq(s));
        }
        if let Some(b) = before_id {
            q.and_where(Expr::col(col("id")).lt(b));
        }
        self.read.query_all(self.backend.build(&q)).await?.iter().map(decode_event).collect()
    }

    /// How many events wait in each status.
    pub async fn event_counts(&self, actor: &Actor) -> Result<EventCounts> {
        may_read_events(actor)?;
        let q = Query::select()
            .column(col("status"))
            .expr_as(Expr::col(col("id")).count(), col("n"))
            .from(col("inbound_events"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .group_by_col(col("status"))
            .to_owned();
        let mut out = EventCounts::default();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let n: i64 = r.try_get("", "n")?;
            match r.try_get::<String>("", "status")?.as_str() {
                "pending" => out.pending = n,
                "processed" => out.processed = n,
                "failed" => out.failed = n,
                "rejected" => out.rejected = n,
                other => return Err(StoreError::Internal(format!("stored event status {other:?}"))),
            }
        }
        Ok(out)
    }

    /// One event with its body.
    pub async fn event(&self, actor: &Actor, id: i64) -> Result<EventDetail> {
        may_read_events(actor)?;
        let mut q = event_select(true);
        q.and_where(Expr::col(col("workspace_id")).eq(actor.ws_id())).and_where(Expr::col(col("id")).eq(id));
        let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        let base64: bool = r.try_get("", "body_base64")?;
        Ok(EventDetail {
            event: decode_event(&r)?,
            body: r.try_get("", "body")?,
            body_encoding: if base64 { BodyEncoding::Base64 } else { BodyEncoding::Text },
        })
    }

    /// Queues a failed event to be processed again (after the mapping or the setup was fixed).
    pub async fn reprocess_event(&self, actor: &Actor, id: i64) -> Result<EventDetail> {
        if actor.caller.role != Role::Admin {
            return Err(StoreError::forbidden(IntakeMsg::ReprocessAdminOnly {}));
        }
        let ev = self.event(actor, id).await?.event;
        if ev.status != "failed" {
            return Err(StoreError::conflict("status", IntakeMsg::OnlyFailedReprocessed { status: ev.status }));
        }
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let q = Query::update()
            .table(col("inbound_events"))
            .value(col("status"), "pending")
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("status")).eq("failed"))
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        enqueue_on(&tx, self.backend, &process_job(actor.ws_id(), id, ev.attempts + 1, now), now).await?;
        tx.commit().await?;
        self.event(actor, id).await
    }

    /// Telegram and e-mail messages on a deal's or a person's card, newest first.
    pub async fn messages(&self, actor: &Actor, entity: poryadok_core::schema::Entity, id: i64, limit: u64) -> Result<Vec<CardMessage>> {
        use poryadok_core::schema::Entity;
        let link = match entity {
            Entity::Deal => "deal_id",
            Entity::Person => "person_id",
            _ => return Err(StoreError::invalid("entity", IntakeMsg::MessagesOnDealsAndPersons {})),
        };
        self.get(actor, entity, id).await?;
        let cols: Vec<&str> = std::iter::once("id").chain(messages::MESSAGE_FIELDS).collect();
        let q = Query::select()
            .columns(cols.iter().map(|c| col(c)))
            .column(col("outbound_id"))
            .expr_as(
                Expr::cust("(SELECT o.status FROM outbound_messages o WHERE o.workspace_id = messages.workspace_id AND o.id = messages.outbound_id)"),
                col("delivery"),
            )
            .from(col("messages"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col(link)).eq(id))
            .order_by(col("sent_at"), Order::Desc)
            .order_by(col("id"), Order::Desc)
            .limit(limit.clamp(1, 500))
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            out.push(CardMessage {
                id: r.try_get("", "id")?,
                channel: r.try_get("", "channel")?,
                direction: r.try_get("", "direction")?,
                person_id: r.try_get("", "person_id")?,
                deal_id: r.try_get("", "deal_id")?,
                event_id: r.try_get("", "event_id")?,
                external_id: r.try_get("", "external_id")?,
                thread_id: r.try_get("", "thread_id")?,
                sender: r.try_get("", "sender")?,
                recipients: r.try_get("", "recipients")?,
                subject: r.try_get("", "subject")?,
                body: r.try_get("", "body")?,
                sent_at: r.try_get("", "sent_at")?,
                outbound_id: r.try_get("", "outbound_id")?,
                delivery: r.try_get("", "delivery")?,
            });
        }
        Ok(out)
    }

    /// A deal's marketing touches, oldest first (the first one is the deal's own attribution).
    pub async fn touches(&self, actor: &Actor, deal_id: i64) -> Result<Vec<Touch>> {
        self.get(actor, poryadok_core::schema::Entity::Deal, deal_id).await?;
        let mut cols = vec!["id", "channel", "event_id", "person_id", "occurred_at"];
        cols.extend(poryadok_core::intake::Attribution::FIELDS);
        let q = Query::select()
            .columns(cols.iter().map(|c| col(c)))
            .from(col("touches"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deal_id")).eq(deal_id))
            .order_by(col("occurred_at"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .limit(500)
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            out.push(Touch {
                id: r.try_get("", "id")?,
                channel: r.try_get("", "channel")?,
                event_id: r.try_get("", "event_id")?,
                person_id: r.try_get("", "person_id")?,
                occurred_at: r.try_get("", "occurred_at")?,
                attribution: poryadok_core::intake::Attribution {
                    utm_source: r.try_get("", "utm_source")?,
                    utm_medium: r.try_get("", "utm_medium")?,
                    utm_campaign: r.try_get("", "utm_campaign")?,
                    utm_term: r.try_get("", "utm_term")?,
                    utm_content: r.try_get("", "utm_content")?,
                    tracking_number: r.try_get("", "tracking_number")?,
                    landing_page: r.try_get("", "landing_page")?,
                    referrer: r.try_get("", "referrer")?,
                },
            });
        }
        Ok(out)
    }

    /// Processes one event (the job's work). `Ok` also when the event was already processed, or
    /// cannot be read (then it is marked failed and stays so until re-processed); `Err` when it
    /// should be retried.
    pub async fn process_event(&self, ws: i64, id: i64) -> Result<()> {
        let mut q = event_select(true);
        q.column(col("source_id")).and_where(Expr::col(col("workspace_id")).eq(ws)).and_where(Expr::col(col("id")).eq(id));
        let Some(r) = self.read.query_one(self.backend.build(&q)).await? else {
            return Ok(());
        };
        let status: String = r.try_get("", "status")?;
        if !matches!(status.as_str(), "pending" | "failed") {
            return Ok(());
        }
        let source_id: i64 = r.try_get("", "source_id")?;
        let Some(source) = self.source_in(ws, source_id).await? else {
            return self.fail_event(ws, id, &FieldError::new("source", IntakeMsg::SourceDeleted {})).await;
        };
        let body = raw_body(&r)?;
        let content_type: Option<String> = r.try_get("", "content_type")?;
        let received_at: i64 = r.try_get("", "received_at")?;
        let actor = self.system_actor(ws, Channel::Intake).await?;
        let ctx = client::EventCtx { db: self, actor: &actor, source: &source, event_id: id, received_at };
        let intent = match source.kind.as_str() {
            "telephony" => calls::read(&ctx, &body, content_type.as_deref()).map(Intent::Call),
            "telegram" => messages::read_telegram(&body).map(Intent::Message),
            "whatsapp" => messages::read_whatsapp(&body).map(Intent::Message),
            "meetings" => meetings::read(&ctx, &body).map(Intent::Meeting),
            "email" => messages::read_email(&body).map(Intent::Message),
            "form" => forms::read(&ctx, &body).await?.map(Intent::Form),
            other => Err(FieldError::new("source", IntakeMsg::NoIntakeFor { kind: other.to_string() })),
        };
        let intent = match intent {
            Ok(i) => i,
            Err(e) => return self.fail_event(ws, id, &e).await,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.apply_event(&ctx, &intent).await {
                Ok(()) => return Ok(()),
                // Two first contacts from one new client race for the same identity; the loser runs
                // again and finds the winner's person and deal.
                // (The clash shows as the key's violation, or as the store's own identity check
                // when the other transaction committed first.)
                Err(e) if (e.is_unique_violation() || matches!(e, StoreError::Conflict { .. })) && attempt < CLASH_RETRIES => continue,
                Err(StoreError::Validation(e)) => return self.fail_event(ws, id, &e).await,
                Err(e) => {
                    // A refusal keeps its message (a stage gate, a conflict that outlived the
                    // retries); anything else is described for the log and the inbox.
                    let why = match e.msg() {
                        Some(m) => m.clone(),
                        None => IntakeMsg::ProcessingFailed { why: e.to_string() }.into(),
                    };
                    self.fail_event(ws, id, &FieldError::new("processing", why)).await?;
                    return Err(e);
                }
            }
        }
    }

    async fn apply_event(&self, ctx: &client::EventCtx<'_>, intent: &Intent) -> Result<()> {
        let tx = self.write.begin().await?;
        let claim = Query::update()
            .table(col("inbound_events"))
            .value(col("status"), "processed")
            .value(col("processed_at"), self.clock.now_ms())
            .value(col("error"), Option::<String>::None)
            .value(col("error_field"), Option::<String>::None)
            .value(col("attempts"), Expr::col(col("attempts")).add(1))
            .and_where(Expr::col(col("workspace_id")).eq(ctx.actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(ctx.event_id))
            .and_where(Expr::col(col("status")).is_in(["pending", "failed"]))
            .to_owned();
        if tx.execute(self.backend.build(&claim)).await?.rows_affected() == 0 {
            return Ok(());
        }
        // Each kind's typed result is written as the row's JSON here, and only here.
        fn stored(result: &impl serde::Serialize) -> Result<String> {
            serde_json::to_string(result).map_err(|e| StoreError::Internal(e.to_string()))
        }
        let result = match intent {
            Intent::Call(call) => stored(&calls::apply(ctx, &tx, call).await?)?,
            Intent::Message(m) => match messages::apply(ctx, &tx, m).await? {
                // The English text for the API, the code and arguments for a reader in another language.
                messages::MessageLanded::Ignored(why) => {
                    json!({"ignored": why.english(), "ignored_code": why.code(), "ignored_args": why.args_json()}).to_string()
                }
                messages::MessageLanded::Landed(landed) => stored(&landed)?,
            },
            Intent::Form(lead) => stored(&forms::apply(ctx, &tx, lead).await?)?,
            Intent::Meeting(m) => stored(&meetings::apply(ctx, &tx, m).await?)?,
        };
        let q = Query::update()
            .table(col("inbound_events"))
            .value(col("result"), result)
            .and_where(Expr::col(col("workspace_id")).eq(ctx.actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(ctx.event_id))
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fail_event(&self, ws: i64, id: i64, e: &FieldError) -> Result<()> {
        let q = Query::update()
            .table(col("inbound_events"))
            .value(col("status"), "failed")
            .value(col("error"), stored_msg(&e.msg))
            .value(col("error_field"), e.field.as_str())
            .value(col("attempts"), Expr::col(col("attempts")).add(1))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("status")).ne("processed"))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// Checks a source's config for its kind and returns it normalised.
    async fn check_source_config(&self, actor: &Actor, kind: &str, config: &Json) -> Result<Json> {
        let Json::Object(obj) = config else {
            return Err(StoreError::invalid("config", Common::NotObject {}));
        };
        let mut out = obj.clone();
        client::check_routing(self, actor, &mut out).await?;
        match kind {
            "telephony" => calls::check_config(&mut out)?,
            "meetings" => meetings::check_config(&mut out)?,
            "email" => messages::check_email_config(&mut out)?,
            "form" => forms::check_config(self, actor, &mut out).await?,
            _ => {}
        }
        Ok(Json::Object(out))
    }
}

/// What an event asks for.
pub(crate) enum Intent {
    Call(poryadok_core::intake::CallEvent),
    Message(messages::InboundMessage),
    Form(forms::FormLead),
    Meeting(poryadok_core::meetings::MeetingEvent),
}

/// An arrival as the row's status, error and field.
fn arrival_columns(a: &Arrival) -> (&'static str, Option<String>, Option<String>) {
    match a {
        Arrival::Pending => ("pending", None, None),
        Arrival::Invalid(e) => ("failed", Some(stored_msg(&e.msg)), Some(e.field.clone())),
        Arrival::Rejected(why) => ("rejected", Some(stored_msg(why)), None),
    }
}

/// How a message is kept in a record's text column (an event's or a delivery's `error`): its
/// code, its arguments and its English text, as JSON, so a reader sees it in their language
/// and the API still answers the English text. A message too long for that is kept as its text.
pub(crate) fn stored_msg(m: &Msg) -> String {
    const LIMIT: usize = 4000;
    let text = m.english();
    let stored = json!({"code": m.code(), "args": m.args_json(), "text": text}).to_string();
    if stored.len() <= LIMIT {
        stored
    } else {
        text.chars().take(2000).collect()
    }
}

/// A stored message's English text and the message itself when it can be rebuilt; text stored
/// as plain text (before messages had codes) is its own text.
/// A failure as a record carries it (an inbound event, an outbound message, a webhook delivery,
/// a test send): the English text the API answers, the message's code and arguments for a client
/// in another language, and the message itself for a reader here. Records flatten it, so the API
/// shows `error`, `error_code` and `error_args`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    pub error: Option<String>,
    pub error_code: Option<&'static str>,
    pub error_args: Option<Map<String, Json>>,
    #[serde(skip)]
    pub msg: Option<Msg>,
}

impl Failure {
    /// The failure a column stored with [`stored_msg`] (or as plain text before messages had codes).
    pub fn read(stored: Option<String>) -> Failure {
        let Some(stored) = stored else { return Failure::default() };
        let (text, msg) = read_stored_msg(&stored);
        Failure { error: Some(text), ..Failure::of_msg(msg) }
    }

    /// The failure of `msg`, if there is one.
    pub fn of_msg(msg: Option<Msg>) -> Failure {
        Failure {
            error: msg.as_ref().map(Msg::english),
            error_code: msg.as_ref().map(Msg::code),
            error_args: msg.as_ref().map(Msg::args_json),
            msg,
        }
    }

    /// What a reader is told: the message as `say` renders it, else the stored text.
    pub fn said(&self, say: impl Fn(&Msg) -> String) -> Option<String> {
        self.msg.as_ref().map(say).or_else(|| self.error.clone())
    }
}

pub fn read_stored_msg(stored: &str) -> (String, Option<Msg>) {
    if stored.starts_with('{') {
        if let Ok(Json::Object(v)) = serde_json::from_str::<Json>(stored) {
            if let (Some(code), Some(text)) = (v.get("code").and_then(Json::as_str), v.get("text").and_then(Json::as_str)) {
                let args = v.get("args").and_then(Json::as_object).cloned().unwrap_or_default();
                return (text.to_string(), Msg::from_code(code, &args));
            }
        }
    }
    (stored.to_string(), None)
}

/// Puts a stored message on a record's JSON as the API shows it: `<key>` (the English text),
/// `<key>_code` and `<key>_args` (for a reader in another language; null when not known).
#[cfg(test)]
pub(crate) fn put_stored_msg(v: &mut Json, key: &str, stored: Option<String>) {
    let (text, msg) = match stored {
        Some(s) => {
            let (text, msg) = read_stored_msg(&s);
            (Some(text), msg)
        }
        None => (None, None),
    };
    v[key] = json!(text);
    v[format!("{key}_code")] = json!(msg.as_ref().map(Msg::code));
    v[format!("{key}_args")] = msg.map_or(Json::Null, |m| Json::Object(m.args_json()));
}

/// The message an API record carries as `<key>_code` and `<key>_args` (see [`put_stored_msg`]).
pub fn msg_of(v: &Json, key: &str) -> Option<Msg> {
    let code = v.get(format!("{key}_code"))?.as_str()?;
    let empty = Map::new();
    Msg::from_code(code, v.get(format!("{key}_args")).and_then(Json::as_object).unwrap_or(&empty))
}

fn process_job(ws: i64, event_id: i64, round: i64, now: i64) -> NewJob {
    NewJob::new(ws, EVENT_JOB, json!({"event_id": event_id}), now).dedupe(format!("intake:{event_id}:{round}"))
}

fn source_name(v: Option<&Json>) -> Result<Option<String>> {
    match v {
        None => Ok(None),
        Some(Json::String(s)) if !s.trim().is_empty() && s.chars().count() <= 100 => Ok(Some(s.trim().to_string())),
        Some(_) => Err(StoreError::invalid("name", IntakeMsg::SourceName {})),
    }
}

/// Where a source's config holds secrets: the IMAP password, a Telegram bot's token and the
/// click-to-call request's header values.
pub(crate) fn each_config_secret(config: &mut Json, f: &mut dyn FnMut(&str) -> Result<String, SecretError>) -> Result<(), SecretError> {
    let mut slots: Vec<&mut Json> = Vec::new();
    if let Some(obj) = config.as_object_mut() {
        for (k, v) in obj.iter_mut() {
            match (k.as_str(), v) {
                ("bot_token", v) => slots.push(v),
                ("imap", Json::Object(imap)) => slots.extend(imap.get_mut("password")),
                ("callback", Json::Object(cb)) => {
                    if let Some(Json::Object(h)) = cb.get_mut("headers") {
                        slots.extend(h.values_mut());
                    }
                }
                _ => {}
            }
        }
    }
    for v in slots {
        if let Json::String(s) = v {
            if !s.is_empty() && s != poryadok_core::template::MASK && s != "***" {
                *s = f(s)?;
            }
        }
    }
    Ok(())
}

/// The config as stored: its secrets sealed ([`crate::secrets`]).
pub(crate) fn seal_config(key: &SecretKey, config: &Json) -> Result<Json, SecretError> {
    let mut c = config.clone();
    each_config_secret(&mut c, &mut |s| key.seal(s))?;
    Ok(c)
}

/// Opens the sealed secrets of a stored config in place (values stored before sealing are read as they are).
pub(crate) fn open_config(key: &SecretKey, config: &mut Json) -> Result<(), SecretError> {
    each_config_secret(config, &mut |s| key.open(s))
}

/// A config sent back for editing carries `***` for its password: keep the stored one.
fn keep_secret_fields(new: &mut Json, old: &Json) {
    if let (Some(imap), Some(old_pw)) = (new.get_mut("imap").and_then(Json::as_object_mut), old.pointer("/imap/password")) {
        if imap.get("password").and_then(Json::as_str).is_none_or(|p| p == "***") {
            imap.insert("password".into(), old_pw.clone());
        }
    }
    // A click-to-call request's header shown masked and sent back unchanged is kept.
    if let (Some(h), Some(old_h)) =
        (new.pointer_mut("/callback/headers").and_then(Json::as_object_mut), old.pointer("/callback/headers").and_then(Json::as_object))
    {
        for (name, v) in h.iter_mut() {
            if v.as_str() == Some(poryadok_core::template::MASK) {
                if let Some(o) = old_h.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, o)| o) {
                    *v = o.clone();
                }
            }
        }
    }
    // A Telegram bot's token shown masked and sent back unchanged is kept.
    if let (Some(obj), Some(old_token)) = (new.as_object_mut(), old.get("bot_token")) {
        if obj.get("bot_token").and_then(Json::as_str) == Some("***") {
            obj.insert("bot_token".into(), old_token.clone());
        }
    }
}

const EVENT_COLUMNS: [&str; 13] = [
    "id",
    "source_id",
    "kind",
    "external_id",
    "received_at",
    "content_type",
    "remote_addr",
    "status",
    "error",
    "error_field",
    "attempts",
    "processed_at",
    "result",
];

fn event_select(with_body: bool) -> sea_query::SelectStatement {
    let mut q = Query::select();
    q.columns(EVENT_COLUMNS.map(col)).from(col("inbound_events"));
    if with_body {
        q.columns(["body", "body_base64"].map(col));
    }
    q
}

fn raw_body(r: &QueryResult) -> Result<Vec<u8>> {
    let body: String = r.try_get("", "body")?;
    if r.try_get::<bool>("", "body_base64")? {
        return B64.decode(body).map_err(|e| StoreError::Internal(format!("stored body is not base64: {e}")));
    }
    Ok(body.into_bytes())
}

fn decode_event(r: &QueryResult) -> Result<InboundEvent> {
    let result = r.try_get::<Option<String>>("", "result")?.and_then(|s| serde_json::from_str::<Json>(&s).ok());
    Ok(InboundEvent {
        id: r.try_get("", "id")?,
        source_id: r.try_get("", "source_id")?,
        kind: r.try_get("", "kind")?,
        external_id: r.try_get("", "external_id")?,
        received_at: r.try_get("", "received_at")?,
        content_type: r.try_get("", "content_type")?,
        remote_addr: r.try_get("", "remote_addr")?,
        status: r.try_get("", "status")?,
        failure: Failure::read(r.try_get("", "error")?),
        error_field: r.try_get("", "error_field")?,
        attempts: r.try_get("", "attempts")?,
        processed_at: r.try_get("", "processed_at")?,
        outcome: result.as_ref().map(Outcome::of_result).unwrap_or_default(),
        result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use poryadok_core::Lang;

    #[test]
    fn a_stored_message_reads_back_in_any_language_and_old_text_as_it_was() {
        let m: Msg = Common::Phone { s: "12".into() }.into();
        let stored = stored_msg(&m);
        assert_eq!(read_stored_msg(&stored), ("'12' is not a valid phone number".to_string(), Some(m.clone())));
        let mut v = json!({});
        put_stored_msg(&mut v, "error", Some(stored));
        assert_eq!(v["error"], "'12' is not a valid phone number");
        assert_eq!((v["error_code"].as_str(), &v["error_args"]), (Some("phone"), &json!({"s": "12"})));
        assert_eq!(msg_of(&v, "error").map(|m| m.text(Lang::Ru)).as_deref(), Some("«12» — не номер телефона"));
        assert_eq!(read_stored_msg("the body is empty"), ("the body is empty".to_string(), None));
        let mut old = json!({});
        put_stored_msg(&mut old, "error", None);
        assert_eq!(old, json!({"error": null, "error_code": null, "error_args": null}));
        // A message too long for the column is kept as its (clipped) text.
        let long: Msg = IntakeMsg::ProcessingFailed { why: "x".repeat(5000) }.into();
        let (text, msg) = read_stored_msg(&stored_msg(&long));
        assert_eq!((text.chars().count(), msg), (2000, None));
    }

    #[test]
    fn an_event_and_a_touch_serialize_as_the_api_shows_them() {
        let m: Msg = Common::Phone { s: "12".into() }.into();
        let event = InboundEvent {
            id: 7,
            source_id: 2,
            kind: "telephony".into(),
            external_id: "c-1".into(),
            received_at: 1_769_839_200_250,
            content_type: Some("application/json".into()),
            remote_addr: None,
            status: "failed".into(),
            failure: Failure::of_msg(Some(m.clone())),
            error_field: Some("caller".into()),
            attempts: 1,
            processed_at: None,
            result: None,
            outcome: Outcome::default(),
        };
        let listed = json!({
            "id": 7, "source_id": 2, "kind": "telephony", "external_id": "c-1", "received_at": "2026-01-31T06:00:00.250Z",
            "content_type": "application/json", "remote_addr": null, "status": "failed",
            "error": "'12' is not a valid phone number", "error_code": "phone", "error_args": {"s": "12"}, "error_field": "caller",
            "attempts": 1, "processed_at": null, "result": null,
        });
        assert_eq!(serde_json::to_value(&event).ok(), Some(listed.clone()));
        let detail = EventDetail { event, body: "{}".into(), body_encoding: BodyEncoding::Base64 };
        let mut alone = listed;
        alone["body"] = json!("{}");
        alone["body_encoding"] = json!("base64");
        assert_eq!(serde_json::to_value(&detail).ok(), Some(alone));

        let touch = Touch {
            id: 1,
            channel: "form".into(),
            event_id: Some(7),
            person_id: None,
            occurred_at: 0,
            attribution: poryadok_core::intake::Attribution { utm_source: Some("ya".into()), ..Default::default() },
        };
        assert_eq!(
            serde_json::to_value(&touch).ok(),
            Some(json!({
                "id": 1, "channel": "form", "event_id": 7, "person_id": null, "occurred_at": "1970-01-01T00:00:00.000Z",
                "utm_source": "ya", "utm_medium": null, "utm_campaign": null, "utm_term": null, "utm_content": null,
                "tracking_number": null, "landing_page": null, "referrer": null,
            }))
        );
    }

    #[test]
    fn a_result_reads_as_what_processing_made() {
        let made = Outcome::of_result(&json!({"person_id": 3, "person_created": true, "deal_id": 9, "activity_id": 4}));
        assert_eq!(
            (made.person, made.deal, made.ignored),
            (Some(Made { id: 3, created: true }), Some(Made { id: 9, created: false }), None)
        );
        let why: Msg = IntakeMsg::NotAMessageUpdate {}.into();
        let ignored = Outcome::of_result(&json!({"ignored": why.english(), "ignored_code": why.code(), "ignored_args": why.args_json()}));
        assert_eq!(ignored.ignored, Some(StoredMsg { text: why.english(), msg: Some(why) }));
        assert_eq!(Outcome::of_result(&json!({"ignored": "old text"})).ignored, Some(StoredMsg { text: "old text".into(), msg: None }));
    }

    #[test]
    fn a_rejected_or_unreadable_arrival_keeps_its_message() {
        let (status, error, field) = arrival_columns(&Arrival::Rejected(IntakeMsg::HoneypotFilled {}.into()));
        assert_eq!((status, field), ("rejected", None));
        assert_eq!(read_stored_msg(&error.unwrap()).1, Some(IntakeMsg::HoneypotFilled {}.into()));
        let (status, _, field) = arrival_columns(&Arrival::Invalid(FieldError::new("body", IntakeMsg::BodyEmpty {})));
        assert_eq!((status, field.as_deref()), ("failed", Some("body")));
    }
}

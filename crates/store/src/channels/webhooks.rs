//! Outbound webhooks: a workspace's subscriptions to record events, and the log of deliveries.
//!
//! Every history event of a deal, person, organization, activity, note, invoice or payment is
//! offered to the workspace's active webhooks in the transaction that writes it: each matching
//! webhook gets a delivery row (the exact JSON body it will be sent) and a `webhook_delivery` job,
//! so an event is never announced for a change that rolled back and never lost for one that
//! committed. A workspace without webhooks pays one indexed lookup per such write.
//!
//! The job (in the server) POSTs the body signed with the webhook's secret and records the answer;
//! a non-2xx answer or no answer is retried with the job engine's back-off, and the delivery ends
//! `failed` after the last attempt. Redelivering makes a new delivery of the same body.
use super::must_admin;
use crate::error::{Result, StoreError};
use crate::jobs::{enqueue_on, NewJob};
use crate::secrets::SecretKey;
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::domain::HistoryAction;
use poryadok_core::msg::{words, ChannelMsg, Common};
use poryadok_core::types::{format_ms, parse_url};
use poryadok_core::Msg;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use sea_query::{Expr, JoinType, Order, Query};
use serde_json::{json, Map, Value as Json};

/// The job that delivers one event to one webhook.
pub const DELIVERY_JOB: &str = "webhook_delivery";
/// The records whose events webhooks may subscribe to.
pub const ENTITIES: &[&str] = &["deal", "person", "organization", "activity", "note", "invoice", "payment"];
pub const ACTIONS: &[&str] = &["created", "updated", "deleted"];
pub const DELIVERY_STATUSES: &[&str] = &["queued", "delivered", "failed"];
const MAX_EVENTS: usize = 50;
pub const MAX_LIST: u64 = 500;

/// A subscription of a URL to events. Instants are milliseconds. The secret is not written
/// with the rest: only on creation ([`Webhook::with_secret`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// `deal.created`, `person.*`, `*`…
    pub events: Vec<String>,
    #[serde(skip)]
    pub secret: String,
    pub active: bool,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub updated_at: i64,
    /// The payload shape (`pipedrive_v1`, `pipedrive_v2`); none: Poryadok's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Basic auth the receiver expects (the password is never written out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_user: Option<String>,
    #[serde(skip)]
    pub http_password: Option<String>,
    /// Who registered it through the Pipedrive-compatible API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
}

/// The payload shapes of webhooks registered through the Pipedrive-compatible API.
pub const PIPEDRIVE_FORMATS: &[&str] = &["pipedrive_v1", "pipedrive_v2"];

/// A webhook as the Pipedrive-compatible API registers it.
#[derive(Debug, Clone)]
pub struct PipedriveHook {
    pub url: String,
    /// Our event patterns (`deal.updated`, `*`…).
    pub events: Vec<String>,
    pub format: &'static str,
    pub name: Option<String>,
    pub http_user: Option<String>,
    pub http_password: Option<String>,
}

/// A webhook as its creation answers it: with the secret that signs every delivery.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WebhookWithSecret<'a> {
    #[serde(flatten)]
    pub webhook: &'a Webhook,
    pub secret: &'a str,
}

impl Webhook {
    /// The wire form with the secret (shown once, on creation).
    pub fn with_secret(&self) -> WebhookWithSecret<'_> {
        WebhookWithSecret { webhook: self, secret: &self.secret }
    }

    pub fn wants(&self, event: &str) -> bool {
        wants(&self.events, event)
    }
}

fn wants(patterns: &[String], event: &str) -> bool {
    let entity = event.split('.').next().unwrap_or("");
    patterns.iter().any(|p| p == "*" || p == event || p.strip_suffix(".*") == Some(entity))
}

/// One delivery of an event to a webhook, as the log lists it. Instants are milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    /// The body sent, as JSON (a body that is not JSON, as a string).
    pub payload: Json,
    /// One of [`DELIVERY_STATUSES`].
    pub status: String,
    pub attempts: i64,
    /// What the receiver answered last, when it answered.
    pub response_code: Option<i64>,
    /// Why the last attempt failed.
    #[serde(flatten)]
    pub failure: crate::intake::Failure,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::serde_time::opt_ms")]
    pub delivered_at: Option<i64>,
}

/// What the delivery job needs: the body as stored and where and how to send it.
#[derive(Debug, Clone)]
pub struct DeliveryTask {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub payload: String,
    pub status: String,
    /// Attempts before this one.
    pub attempts: i64,
    pub url: String,
    pub secret: String,
    /// The webhook still exists and is active.
    pub live: bool,
    /// See [`Webhook::format`].
    pub format: Option<String>,
    pub http_user: Option<String>,
    pub http_password: Option<String>,
}

/// The event name of a history action: `deal.created`.
pub fn event_name(entity: &str, action: HistoryAction) -> String {
    let verb = match action {
        HistoryAction::Create => "created",
        HistoryAction::Update => "updated",
        HistoryAction::Delete => "deleted",
    };
    format!("{entity}.{verb}")
}

/// Checks a list of event patterns: `*`, `<entity>.*` or `<entity>.<created|updated|deleted>`.
pub fn parse_events(v: &Json) -> Result<Vec<String>> {
    let list = v.as_array().ok_or_else(|| StoreError::invalid("events", ChannelMsg::EventsNotList {}))?;
    if list.is_empty() {
        return Err(StoreError::invalid("events", ChannelMsg::NoEvents {}));
    }
    if list.len() > MAX_EVENTS {
        return Err(StoreError::invalid("events", ChannelMsg::TooManyEvents { max: MAX_EVENTS as i64 }));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let e = e.as_str().map(str::trim).unwrap_or("");
        let ok = e == "*"
            || e.split_once('.').is_some_and(|(entity, action)| ENTITIES.contains(&entity) && (action == "*" || ACTIONS.contains(&action)));
        if !ok {
            return Err(StoreError::invalid(
                format!("events.{i}"),
                ChannelMsg::NotEvent { event: e.to_string(), records: words(ENTITIES), actions: words(ACTIONS) },
            ));
        }
        if !out.iter().any(|x| x == e) {
            out.push(e.to_string());
        }
    }
    Ok(out)
}

fn webhook_url(v: Option<&Json>) -> Result<Option<String>> {
    match v {
        None => Ok(None),
        Some(Json::String(s)) => parse_url(s).map(Some).map_err(|m| StoreError::invalid("url", m)),
        Some(_) => Err(StoreError::invalid("url", Common::NotString {})),
    }
}

const WEBHOOK_COLUMNS: [&str; 12] =
    ["id", "url", "events", "secret", "active", "created_at", "updated_at", "format", "name", "http_user", "http_password", "user_id"];
const DELIVERY_COLUMNS: [&str; 10] =
    ["id", "webhook_id", "event", "payload", "status", "attempts", "response_code", "error", "created_at", "delivered_at"];

/// A webhook row; its secret and password opened with `key`, or left out (empty) without one,
/// where only the events matter.
fn decode_webhook(r: &QueryResult, key: Option<&SecretKey>) -> Result<Webhook> {
    let events: String = r.try_get("", "events")?;
    let secret: String = r.try_get("", "secret")?;
    let http_password: Option<String> = r.try_get("", "http_password")?;
    let (secret, http_password) = match key {
        Some(k) => (k.open(&secret)?, k.open_opt(http_password)?),
        None => (String::new(), None),
    };
    Ok(Webhook {
        id: r.try_get("", "id")?,
        url: r.try_get("", "url")?,
        events: serde_json::from_str(&events).unwrap_or_default(),
        secret,
        active: r.try_get("", "active")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        format: r.try_get("", "format")?,
        name: r.try_get("", "name")?,
        http_user: r.try_get("", "http_user")?,
        http_password,
        user_id: r.try_get("", "user_id")?,
    })
}

fn decode_delivery(r: &QueryResult) -> Result<Delivery> {
    let payload: String = r.try_get("", "payload")?;
    Ok(Delivery {
        id: r.try_get("", "id")?,
        webhook_id: r.try_get("", "webhook_id")?,
        event: r.try_get("", "event")?,
        payload: serde_json::from_str::<Json>(&payload).unwrap_or(Json::String(payload)),
        status: r.try_get("", "status")?,
        attempts: r.try_get("", "attempts")?,
        response_code: r.try_get("", "response_code")?,
        failure: crate::intake::Failure::read(r.try_get("", "error")?),
        created_at: r.try_get("", "created_at")?,
        delivered_at: r.try_get("", "delivered_at")?,
    })
}

fn live_webhooks(ws: i64) -> sea_query::SelectStatement {
    Query::select()
        .columns(WEBHOOK_COLUMNS.map(col))
        .from(col("webhooks"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .to_owned()
}

fn delivery_job(ws: i64, id: i64, now: i64) -> NewJob {
    NewJob::new(ws, DELIVERY_JOB, json!({"delivery_id": id}), now).dedupe(format!("webhook:{id}"))
}

/// Writes a delivery of `payload` to `webhook` and its job.
async fn deliver_on(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    webhook: i64,
    event: &str,
    payload: &str,
    now: i64,
) -> Result<i64> {
    let q = Query::insert()
        .into_table(col("webhook_deliveries"))
        .columns(["workspace_id", "webhook_id", "event", "payload", "status", "attempts", "created_at"].map(col))
        .values([ws.into(), webhook.into(), event.into(), payload.into(), "queued".into(), 0i64.into(), now.into()])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .to_owned();
    let id = crate::sql::insert_id(conn, backend, &q).await?;
    enqueue_on(conn, backend, &delivery_job(ws, id, now), now).await?;
    Ok(id)
}

/// Offers a history event to the workspace's active webhooks, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn emit_on(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    entity: &str,
    record_id: i64,
    action: HistoryAction,
    changes: &Json,
    now: i64,
) -> Result<()> {
    emit_many(conn, backend, ws, entity, action, &[(record_id, changes)], now).await
}

/// [`emit_on`] for one action on several records: the workspace's webhooks are read once.
pub(crate) async fn emit_many(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    entity: &str,
    action: HistoryAction,
    records: &[(i64, &Json)],
    now: i64,
) -> Result<()> {
    if !ENTITIES.contains(&entity) || records.is_empty() {
        return Ok(());
    }
    let mut q = live_webhooks(ws);
    q.and_where(Expr::col(col("active")).eq(true));
    // Settings: from memory when they have not changed since (crate::settings_cache).
    let all: Vec<Webhook> = crate::settings_cache::cached(ws, "webhooks", 0, || async move {
        conn.query_all(backend.build(&q)).await?.iter().map(|r| decode_webhook(r, None)).collect::<Result<Vec<_>>>()
    })
    .await?;
    if all.is_empty() {
        return Ok(());
    }
    let event = event_name(entity, action);
    let hooks: Vec<_> = all.into_iter().filter(|h| h.wants(&event)).collect();
    let pipedrive_hooks = hooks.iter().any(|h| h.format.is_some());
    let record_entity = poryadok_core::schema::Entity::from_name(entity);
    for (record_id, changes) in records {
        let mut payload = json!({
            "event": event,
            "entity": entity,
            "id": record_id,
            "action": action.as_str(),
            "changes": changes,
            "occurred_at": format_ms(now),
            "workspace_id": ws,
        });
        let native = payload.to_string();
        // A Pipedrive-shaped delivery describes the whole record as it is after the change (read
        // here, in the writing transaction); the shape itself is made when it is sent.
        let with_record = match (pipedrive_hooks, record_entity) {
            (true, Some(e)) => {
                let row = crate::records::stored_row(conn, backend, ws, e, *record_id).await?;
                payload["current"] = row.map_or(Json::Null, |r| r.to_json());
                payload.to_string()
            }
            _ => native.clone(),
        };
        for hook in &hooks {
            let body = if hook.format.is_some() { &with_record } else { &native };
            deliver_on(conn, backend, ws, hook.id, &event, body, now).await?;
        }
    }
    Ok(())
}

impl Db {
    /// Creates a webhook: `{url, events, active}`; the secret is generated and shown this once.
    pub async fn create_webhook(&self, actor: &Actor, body: &Json) -> Result<Webhook> {
        must_admin(actor, ChannelMsg::WebhooksAdminOnly {})?;
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        check_keys(obj)?;
        let url = webhook_url(obj.get("url"))?.ok_or_else(|| StoreError::invalid("url", Common::Required {}))?;
        let events = parse_events(obj.get("events").unwrap_or(&Json::Null))?;
        let active = active_of(obj)?.unwrap_or(true);
        let now = self.clock.now_ms();
        let q = Query::insert()
            .into_table(col("webhooks"))
            .columns(["workspace_id", "url", "events", "secret", "active", "created_at", "updated_at"].map(col))
            .values([
                actor.ws_id().into(),
                url.into(),
                json!(events).to_string().into(),
                self.secrets.seal(&crate::auth::new_secret("whsec_"))?.into(),
                active.into(),
                now.into(),
                now.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        let id = crate::sql::insert_id(&self.write, self.backend, &q).await?;
        self.webhook(actor, id).await
    }

    /// The custom field definitions of `entity` in workspace `ws` (a delivery names custom
    /// values by them).
    pub async fn custom_defs_for(&self, ws: i64, entity: poryadok_core::schema::Entity) -> Result<Vec<poryadok_core::validate::CustomDef>> {
        Ok(crate::records::read_custom_defs(&self.read, self.backend, ws, Some(entity)).await?.into_iter().map(|(_, d)| d).collect())
    }

    /// The custom field definitions of `entity` in the caller's workspace with their ids, in
    /// display order: one indexed read (the Pipedrive-compatible API names custom values by
    /// keys derived from them on every call).
    pub async fn custom_defs_with_ids(
        &self,
        actor: &Actor,
        entity: poryadok_core::schema::Entity,
    ) -> Result<Vec<(i64, poryadok_core::validate::CustomDef)>> {
        let defs = crate::records::read_custom_defs_with_ids(&self.read, self.backend, actor.ws_id(), Some(entity)).await?;
        Ok(defs.into_iter().map(|(id, _, d)| (id, d)).collect())
    }

    /// Registers a webhook through the Pipedrive-compatible API (an administrator's right, as
    /// for every webhook).
    pub async fn create_pipedrive_webhook(&self, actor: &Actor, hook: &PipedriveHook) -> Result<Webhook> {
        must_admin(actor, ChannelMsg::WebhooksAdminOnly {})?;
        let url = webhook_url(Some(&Json::String(hook.url.clone())))?
            .ok_or_else(|| StoreError::invalid("subscription_url", Common::Required {}))?;
        let now = self.clock.now_ms();
        let q = Query::insert()
            .into_table(col("webhooks"))
            .columns(
                [
                    "workspace_id",
                    "url",
                    "events",
                    "secret",
                    "active",
                    "created_at",
                    "updated_at",
                    "format",
                    "name",
                    "http_user",
                    "http_password",
                    "user_id",
                ]
                .map(col),
            )
            .values([
                actor.ws_id().into(),
                url.into(),
                json!(hook.events).to_string().into(),
                self.secrets.seal(&crate::auth::new_secret("whsec_"))?.into(),
                true.into(),
                now.into(),
                now.into(),
                hook.format.into(),
                hook.name.clone().into(),
                hook.http_user.clone().into(),
                self.secrets.seal_opt(hook.http_password.as_deref())?.into(),
                actor.user_id().into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        let id = crate::sql::insert_id(&self.write, self.backend, &q).await?;
        self.webhook(actor, id).await
    }

    /// Changes `url`, `events` or `active`.
    pub async fn update_webhook(&self, actor: &Actor, id: i64, body: &Json) -> Result<Webhook> {
        self.webhook(actor, id).await?;
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        check_keys(obj)?;
        let mut q = Query::update();
        q.table(col("webhooks"))
            .value(col("updated_at"), self.clock.now_ms())
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id));
        if let Some(url) = webhook_url(obj.get("url"))? {
            q.value(col("url"), url);
        }
        if let Some(events) = obj.get("events") {
            q.value(col("events"), json!(parse_events(events)?).to_string());
        }
        if let Some(active) = active_of(obj)? {
            q.value(col("active"), active);
        }
        self.write.execute(self.backend.build(&q)).await?;
        self.webhook(actor, id).await
    }

    /// Deletes a webhook; its delivery log stays, and queued deliveries end as failed.
    pub async fn delete_webhook(&self, actor: &Actor, id: i64) -> Result<()> {
        self.webhook(actor, id).await?;
        crate::sql::soft_delete(&self.write, self.backend, "webhooks", actor.ws_id(), id, self.clock.now_ms()).await
    }

    pub async fn webhooks(&self, actor: &Actor) -> Result<Vec<Webhook>> {
        must_admin(actor, ChannelMsg::WebhooksAdminOnly {})?;
        let mut q = live_webhooks(actor.ws_id());
        q.order_by(col("id"), Order::Asc);
        self.read.query_all(self.backend.build(&q)).await?.iter().map(|r| decode_webhook(r, Some(&self.secrets))).collect()
    }

    pub async fn webhook(&self, actor: &Actor, id: i64) -> Result<Webhook> {
        must_admin(actor, ChannelMsg::WebhooksAdminOnly {})?;
        let mut q = live_webhooks(actor.ws_id());
        q.and_where(Expr::col(col("id")).eq(id));
        self.read
            .query_one(self.backend.build(&q))
            .await?
            .as_ref()
            .map(|r| decode_webhook(r, Some(&self.secrets)))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// A webhook's deliveries, newest first, optionally of one status.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        webhook: i64,
        status: Option<&str>,
        limit: u64,
        before_id: Option<i64>,
    ) -> Result<Vec<Delivery>> {
        self.webhook(actor, webhook).await?;
        let mut q = Query::select();
        q.columns(DELIVERY_COLUMNS.map(col))
            .from(col("webhook_deliveries"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("webhook_id")).eq(webhook))
            .order_by(col("id"), Order::Desc)
            .limit(limit.clamp(1, MAX_LIST));
        if let Some(s) = status {
            if !DELIVERY_STATUSES.contains(&s) {
                return Err(StoreError::invalid("status", Common::OneOf { list: words(DELIVERY_STATUSES) }));
            }
            q.and_where(Expr::col(col("status")).eq(s));
        }
        if let Some(b) = before_id {
            q.and_where(Expr::col(col("id")).lt(b));
        }
        self.read.query_all(self.backend.build(&q)).await?.iter().map(decode_delivery).collect()
    }

    pub async fn delivery(&self, actor: &Actor, id: i64) -> Result<Delivery> {
        must_admin(actor, ChannelMsg::WebhooksAdminOnly {})?;
        let q = Query::select()
            .columns(DELIVERY_COLUMNS.map(col))
            .from(col("webhook_deliveries"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.read.query_one(self.backend.build(&q)).await?.as_ref().map(decode_delivery).transpose()?.ok_or(StoreError::NotFound)
    }

    /// Sends a delivery's body again, as a new delivery (the log keeps both).
    pub async fn redeliver(&self, actor: &Actor, id: i64) -> Result<Delivery> {
        let old = self.delivery(actor, id).await?;
        let webhook = old.webhook_id;
        let hook = self.webhook(actor, webhook).await?;
        if !hook.active {
            return Err(StoreError::conflict("active", ChannelMsg::WebhookOff {}));
        }
        let q = Query::select()
            .columns(["event", "payload"].map(col))
            .from(col("webhook_deliveries"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        let (event, payload): (String, String) = (r.try_get("", "event")?, r.try_get("", "payload")?);
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let new_id = deliver_on(&tx, self.backend, actor.ws_id(), webhook, &event, &payload, now).await?;
        tx.commit().await?;
        self.delivery(actor, new_id).await
    }

    /// A delivery with its webhook, for the delivery job.
    pub async fn delivery_for_job(&self, ws: i64, id: i64) -> Result<Option<DeliveryTask>> {
        let d = |c: &str| Expr::col((col("d"), col(c)));
        let w = |c: &str| Expr::col((col("w"), col(c)));
        let q = Query::select()
            .expr_as(d("id"), col("id"))
            .expr_as(d("webhook_id"), col("webhook_id"))
            .expr_as(d("event"), col("event"))
            .expr_as(d("payload"), col("payload"))
            .expr_as(d("status"), col("status"))
            .expr_as(d("attempts"), col("attempts"))
            .expr_as(w("url"), col("url"))
            .expr_as(w("secret"), col("secret"))
            .expr_as(w("active"), col("active"))
            .expr_as(w("deleted_at"), col("deleted_at"))
            .expr_as(w("format"), col("format"))
            .expr_as(w("http_user"), col("http_user"))
            .expr_as(w("http_password"), col("http_password"))
            .from_as(col("webhook_deliveries"), col("d"))
            .join_as(
                JoinType::InnerJoin,
                col("webhooks"),
                col("w"),
                w("id").equals((col("d"), col("webhook_id"))).and(w("workspace_id").equals((col("d"), col("workspace_id")))),
            )
            .and_where(d("workspace_id").eq(ws))
            .and_where(d("id").eq(id))
            .to_owned();
        let Some(r) = self.read.query_one(self.backend.build(&q)).await? else { return Ok(None) };
        Ok(Some(DeliveryTask {
            id: r.try_get("", "id")?,
            webhook_id: r.try_get("", "webhook_id")?,
            event: r.try_get("", "event")?,
            payload: r.try_get("", "payload")?,
            status: r.try_get("", "status")?,
            attempts: r.try_get("", "attempts")?,
            url: r.try_get("", "url")?,
            secret: self.secrets.open(&r.try_get::<String>("", "secret")?)?,
            live: r.try_get::<bool>("", "active")? && r.try_get::<Option<i64>>("", "deleted_at")?.is_none(),
            format: r.try_get("", "format")?,
            http_user: r.try_get("", "http_user")?,
            http_password: self.secrets.open_opt(r.try_get("", "http_password")?)?,
        }))
    }

    /// Records a delivery attempt: the receiver's status code (if it answered) and the error (if it
    /// was not a 2xx); `status` is `delivered`, `queued` (retried) or `failed`.
    pub async fn record_delivery(
        &self,
        ws: i64,
        id: i64,
        attempts: i64,
        code: Option<i64>,
        error: Option<&Msg>,
        status: &str,
    ) -> Result<()> {
        let now = self.clock.now_ms();
        let q = Query::update()
            .table(col("webhook_deliveries"))
            .values([
                (col("status"), status.into()),
                (col("attempts"), attempts.into()),
                (col("response_code"), code.into()),
                (col("error"), error.map(crate::intake::stored_msg).into()),
                (col("delivered_at"), (status == "delivered").then_some(now).into()),
            ])
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("status")).ne("delivered"))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }
}

fn check_keys(obj: &Map<String, Json>) -> Result<()> {
    const KEYS: [&str; 3] = ["url", "events", "active"];
    match obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        Some(k) => Err(StoreError::invalid(k, Common::UnknownField { expected: words(KEYS) })),
        None => Ok(()),
    }
}

fn active_of(obj: &Map<String, Json>) -> Result<Option<bool>> {
    match obj.get("active") {
        None => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(StoreError::invalid("active", Common::NotBool {})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_match_exactly_by_record_or_all() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wants(&p(&["deal.created"]), "deal.created") && !wants(&p(&["deal.created"]), "deal.updated"));
        assert!(wants(&p(&["person.*"]), "person.deleted") && !wants(&p(&["person.*"]), "personal.created"));
        assert!(wants(&p(&["*"]), "invoice.updated"));
        assert_eq!(event_name("note", HistoryAction::Delete), "note.deleted");
    }

    #[test]
    fn event_lists_are_checked() {
        assert_eq!(parse_events(&json!(["deal.created", "person.*", "deal.created"])).unwrap(), vec!["deal.created", "person.*"]);
        let field = |v: Json| match parse_events(&v) {
            Err(StoreError::Validation(fe)) => fe.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(json!([])), "events");
        assert_eq!(field(json!("deal.created")), "events");
        assert_eq!(field(json!(["deal.created", "deal.moved"])), "events.1");
        assert_eq!(field(json!(["user.created"])), "events.0");
    }
}

//! Client notifications: a message to the client when their deal enters a stage, after a missed
//! call (an apology with a call-back promise) and after their first answered call (the
//! manager's business card), each switchable, from a message template, on a channel.
//!
//! The write that causes one (a stage change, a call through intake) only queues a
//! `client_notify` job in its own transaction, keyed by the event (deal + stage + entry instant,
//! the call's activity, the person for a first call), so a replay queues nothing new. The job
//! decides the channel, fills the template from the card and writes the outgoing message with
//! the same key (see [`crate::channels::replies`]): on the card at once, sent by the
//! `client_message` job — after the workspace's quiet hours when it falls inside them. A client
//! who lacks the channel gets nothing, and the card shows the message as not sent, with why.
//!
//! Quiet hours are read in the workspace's time zone: persons keep no time zone of their own and
//! a phone number's region does not tell one (Russia spans eleven).
use crate::channels::replies::Outgoing;
use crate::error::{Result, StoreError};
use crate::jobs::{enqueue_on, NewJob};
use crate::records::Row;
use crate::rules::scalar_i64;
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::client_notify::{resolve_channel, NotifyEvent, QuietHours, NOTIFY_CHANNELS};
use poryadok_core::domain::{Channel, HistoryAction};
use poryadok_core::msg::{words, ChannelMsg, Common};
use poryadok_core::schema::Entity;
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
use sea_query::{Expr, OnConflict, Order, Query};
use serde_json::{json, Map, Value as Json};

/// The job that turns an event into a message.
pub const NOTIFY_JOB: &str = "client_notify";

/// One notification's rule as the settings show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotifyRule {
    /// `stage_entry`, `missed_call` or `first_call`.
    pub event: &'static str,
    /// The stage of a stage-entry rule, its name and its pipeline's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    pub enabled: bool,
    /// `sms`, `email`, `telegram`, `whatsapp`, or `last` (the client's last channel).
    pub channel: String,
    pub template_key: String,
}

/// The workspace's client notifications: quiet hours and a rule per event (per stage).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClientNotifySettings {
    /// `HH:MM-HH:MM`, none when notifications go at any hour.
    pub quiet_hours: Option<String>,
    /// The zone quiet hours are read in (the workspace's).
    pub timezone: String,
    pub rules: Vec<NotifyRule>,
}

fn must_admin(actor: &Actor) -> Result<()> {
    crate::channels::must_admin(actor, ChannelMsg::NotifyAdminOnly {})
}

/// A stored rule: (enabled, channel, template key).
async fn stored_rule(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    event: NotifyEvent,
    stage: i64,
) -> Result<Option<(bool, String, String)>> {
    let q = Query::select()
        .columns(["enabled", "channel", "template_key"].map(col))
        .from(col("client_notify_rules"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("event")).eq(event.as_str()))
        .and_where(Expr::col(col("stage_id")).eq(stage))
        .to_owned();
    match conn.query_one(backend.build(&q)).await? {
        Some(r) => Ok(Some((r.try_get("", "enabled")?, r.try_get("", "channel")?, r.try_get("", "template_key")?))),
        None => Ok(None),
    }
}

async fn enabled(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, event: NotifyEvent, stage: i64) -> Result<bool> {
    // Settings: from memory when they have not changed since (crate::settings_cache).
    crate::settings_cache::cached(ws, event.as_str(), stage, || async move {
        Ok(stored_rule(conn, backend, ws, event, stage).await?.is_some_and(|r| r.0))
    })
    .await
}

async fn queue(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, payload: Json, key: String, at: i64) -> Result<()> {
    let mut payload = payload;
    payload["key"] = json!(key);
    enqueue_on(conn, backend, &NewJob::new(ws, NOTIFY_JOB, payload, at).dedupe(format!("notify:{key}")), at).await?;
    Ok(())
}

/// In the write pipeline: a deal that entered a stage with a notification switched on queues it,
/// keyed by the deal, the stage and the entry instant.
pub(crate) async fn after_write(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, row: &Row, old: Option<&Row>) -> Result<()> {
    if row.entity != Entity::Deal {
        return Ok(());
    }
    let Some(stage) = row.get("stage_id").as_int() else { return Ok(()) };
    if old.and_then(|o| o.get("stage_id").as_int()) == Some(stage) {
        return Ok(());
    }
    if !enabled(conn, backend, ws, NotifyEvent::StageEntry, stage).await? {
        return Ok(());
    }
    let at = row.get("stage_entered_at").as_int().or_else(|| row.get("updated_at").as_int()).unwrap_or(0);
    let payload = json!({"event": "stage_entry", "deal_id": row.id(), "stage_id": stage});
    queue(conn, backend, ws, payload, format!("stage:{}:{stage}:{at}", row.id()), at).await
}

/// In intake: a missed call queues the apology (keyed by the call), an answered one the business
/// card (keyed by the person: only their first answered call gets one).
pub(crate) async fn after_call(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    (activity, deal, person): (i64, Option<i64>, i64),
    outcome: poryadok_core::domain::CallOutcome,
    at: i64,
) -> Result<()> {
    use poryadok_core::domain::CallOutcome;
    let (event, key) = match outcome {
        CallOutcome::Missed => (NotifyEvent::MissedCall, format!("missed:{activity}")),
        CallOutcome::Answered => (NotifyEvent::FirstCall, format!("first_call:{person}")),
        _ => return Ok(()),
    };
    if !enabled(conn, backend, ws, event, 0).await? {
        return Ok(());
    }
    if event == NotifyEvent::FirstCall {
        // A client who had an answered call before the notification was switched on is not new.
        let q = Query::select()
            .expr(Expr::col(col("id")).count())
            .from(col("activities"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("person_id")).eq(person))
            .and_where(Expr::col(col("type")).eq("call"))
            .and_where(Expr::col(col("call_outcome")).eq(CallOutcome::Answered.as_str()))
            .and_where(Expr::col(col("id")).ne(activity))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        if scalar_i64(conn, backend, &q).await?.unwrap_or(0) > 0 {
            return Ok(());
        }
    }
    let payload = json!({"event": event.as_str(), "deal_id": deal, "person_id": person, "activity_id": activity});
    queue(conn, backend, ws, payload, key, at).await
}

impl Db {
    /// The settings: quiet hours and every rule, one per stage of every pipeline (those never set
    /// are off, on the client's last channel, with the event's default template).
    pub async fn client_notify_settings(&self, actor: &Actor) -> Result<ClientNotifySettings> {
        must_admin(actor)?;
        let ws = actor.ws_id();
        let q = Query::select().column(col("client_quiet_hours")).from(col("workspaces")).and_where(Expr::col(col("id")).eq(ws)).to_owned();
        let quiet: Option<String> = match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => r.try_get("", "client_quiet_hours")?,
            None => return Err(StoreError::NotFound),
        };
        let q = Query::select()
            .columns(["event", "stage_id", "enabled", "channel", "template_key"].map(col))
            .from(col("client_notify_rules"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .to_owned();
        let mut stored = std::collections::HashMap::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let key: (String, i64) = (r.try_get("", "event")?, r.try_get("", "stage_id")?);
            let v: (bool, String, String) = (r.try_get("", "enabled")?, r.try_get("", "channel")?, r.try_get("", "template_key")?);
            stored.insert(key, v);
        }
        let rule = |event: NotifyEvent, stage: Option<(i64, String, String)>| {
            let (stage_id, stage, pipeline) = match stage {
                Some((id, s, p)) => (Some(id), Some(s), Some(p)),
                None => (None, None, None),
            };
            let (enabled, channel, template_key) = stored
                .get(&(event.as_str().to_string(), stage_id.unwrap_or(0)))
                .cloned()
                .unwrap_or_else(|| (false, "last".into(), event.default_template().into()));
            NotifyRule { event: event.as_str(), stage_id, stage, pipeline, enabled, channel, template_key }
        };
        let q = Query::select()
            .expr_as(Expr::col((col("s"), col("id"))), col("id"))
            .expr_as(Expr::col((col("s"), col("name"))), col("stage"))
            .expr_as(Expr::col((col("p"), col("name"))), col("pipeline"))
            .from_as(col("stages"), col("s"))
            .inner_join(
                crate::sql::aliased("pipelines", "p"),
                Expr::col((col("p"), col("id")))
                    .equals((col("s"), col("pipeline_id")))
                    .and(Expr::col((col("p"), col("workspace_id"))).equals((col("s"), col("workspace_id")))),
            )
            .and_where(Expr::col((col("s"), col("workspace_id"))).eq(ws))
            .and_where(Expr::col((col("s"), col("deleted_at"))).is_null())
            .order_by((col("p"), col("position")), Order::Asc)
            .order_by((col("p"), col("id")), Order::Asc)
            .order_by((col("s"), col("position")), Order::Asc)
            .to_owned();
        let mut rules = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            rules.push(rule(NotifyEvent::StageEntry, Some((r.try_get("", "id")?, r.try_get("", "stage")?, r.try_get("", "pipeline")?))));
        }
        rules.push(rule(NotifyEvent::MissedCall, None));
        rules.push(rule(NotifyEvent::FirstCall, None));
        Ok(ClientNotifySettings { quiet_hours: quiet, timezone: actor.ws.timezone.clone(), rules })
    }

    /// Changes the settings: `{quiet_hours?: "HH:MM-HH:MM" | null, rules?: [{event, stage_id?,
    /// enabled?, channel?, template_key?}]}`; a rule not named keeps what it had.
    pub async fn set_client_notify_settings(&self, actor: &Actor, body: &Json) -> Result<ClientNotifySettings> {
        must_admin(actor)?;
        let ws = actor.ws_id();
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        const KEYS: [&str; 2] = ["quiet_hours", "rules"];
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(StoreError::invalid(k, Common::UnknownField { expected: words(KEYS) }));
        }
        let quiet = match obj.get("quiet_hours") {
            None => None,
            Some(Json::Null) => Some(None),
            Some(Json::String(s)) if s.trim().is_empty() => Some(None),
            Some(Json::String(s)) => {
                Some(Some(QuietHours::parse(s).ok_or_else(|| StoreError::invalid("quiet_hours", ChannelMsg::QuietHoursShape {}))?.text()))
            }
            Some(_) => return Err(StoreError::invalid("quiet_hours", ChannelMsg::QuietHoursShape {})),
        };
        let current = self.client_notify_settings(actor).await?;
        let mut changed = Vec::new();
        let given = match obj.get("rules") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(a)) => a.clone(),
            Some(_) => return Err(StoreError::invalid("rules", Common::NotList {})),
        };
        for (i, r) in given.iter().enumerate() {
            let field = |k: &str| format!("rules[{i}].{k}");
            let o = r.as_object().ok_or_else(|| StoreError::invalid(format!("rules[{i}]"), Common::BodyNotObject {}))?;
            const RULE_KEYS: [&str; 5] = ["event", "stage_id", "enabled", "channel", "template_key"];
            if let Some(k) = o.keys().find(|k| !RULE_KEYS.contains(&k.as_str())) {
                return Err(StoreError::invalid(field(k), Common::UnknownField { expected: words(RULE_KEYS) }));
            }
            let event = o
                .get("event")
                .and_then(Json::as_str)
                .and_then(NotifyEvent::parse)
                .ok_or_else(|| StoreError::invalid(field("event"), Common::OneOf { list: words(NotifyEvent::NAMES) }))?;
            let stage = match (event, o.get("stage_id")) {
                (NotifyEvent::StageEntry, Some(v)) => {
                    Some(v.as_i64().ok_or_else(|| StoreError::invalid(field("stage_id"), Common::NotInteger {}))?)
                }
                (NotifyEvent::StageEntry, None) => return Err(StoreError::invalid(field("stage_id"), Common::Required {})),
                (_, None | Some(Json::Null)) => None,
                (_, Some(_)) => return Err(StoreError::invalid(field("stage_id"), ChannelMsg::NotifyStageOnly {})),
            };
            let mut rule = current.rules.iter().find(|x| x.event == event.as_str() && x.stage_id == stage).cloned().ok_or_else(|| {
                StoreError::invalid(field("stage_id"), Common::NoSuchRecord { what: "stage".into(), id: stage.unwrap_or(0) })
            })?;
            if let Some(v) = o.get("enabled") {
                rule.enabled = v.as_bool().ok_or_else(|| StoreError::invalid(field("enabled"), Common::NotBool {}))?;
            }
            if let Some(v) = o.get("channel") {
                let c = v.as_str().filter(|c| NOTIFY_CHANNELS.contains(c));
                rule.channel =
                    c.ok_or_else(|| StoreError::invalid(field("channel"), Common::OneOf { list: words(NOTIFY_CHANNELS) }))?.to_string();
            }
            if let Some(v) = o.get("template_key") {
                rule.template_key = v.as_str().map(str::trim).unwrap_or_default().to_string();
            }
            let q = Query::select()
                .expr(Expr::col(col("id")).count())
                .from(col("message_templates"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("key")).eq(rule.template_key.as_str()))
                .to_owned();
            if scalar_i64(&self.read, self.backend, &q).await?.unwrap_or(0) == 0 {
                return Err(StoreError::invalid(field("template_key"), ChannelMsg::NotifyNoTemplate { key: rule.template_key.clone() }));
            }
            changed.push((event, rule));
        }
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let mut history = Map::new();
        if let Some(q) = &quiet {
            let up = Query::update()
                .table(col("workspaces"))
                .value(col("client_quiet_hours"), q.clone())
                .and_where(Expr::col(col("id")).eq(ws))
                .to_owned();
            tx.execute(self.backend.build(&up)).await?;
            history.insert("client_quiet_hours".into(), json!(q));
        }
        for (event, rule) in &changed {
            let q = Query::insert()
                .into_table(col("client_notify_rules"))
                .columns(["workspace_id", "event", "stage_id", "enabled", "channel", "template_key", "updated_at"].map(col))
                .values([
                    ws.into(),
                    event.as_str().into(),
                    rule.stage_id.unwrap_or(0).into(),
                    rule.enabled.into(),
                    rule.channel.clone().into(),
                    rule.template_key.clone().into(),
                    now.into(),
                ])
                .map_err(|e| StoreError::Internal(e.to_string()))?
                .on_conflict(
                    OnConflict::columns(["workspace_id", "event", "stage_id"].map(col))
                        .update_columns(["enabled", "channel", "template_key", "updated_at"].map(col))
                        .to_owned(),
                )
                .to_owned();
            tx.execute(self.backend.build(&q)).await?;
            let name = match rule.stage_id {
                Some(s) => format!("client_notify.{}.{s}", event.as_str()),
                None => format!("client_notify.{}", event.as_str()),
            };
            history.insert(name, json!({"enabled": rule.enabled, "channel": rule.channel, "template_key": rule.template_key}));
        }
        if !history.is_empty() {
            crate::records::append_history(&tx, self.backend, actor, "workspace", ws, HistoryAction::Update, history, now).await?;
        }
        tx.commit().await?;
        self.client_notify_settings(actor).await
    }

    /// The `client_notify` job: the event's message, written once per event key.
    pub async fn run_client_notify(&self, ws: i64, payload: &Json) -> Result<()> {
        let Some(event) = payload.get("event").and_then(Json::as_str).and_then(NotifyEvent::parse) else {
            return Err(StoreError::Internal(format!("client_notify payload without an event: {payload}")));
        };
        let key = payload.get("key").and_then(Json::as_str).unwrap_or_default().to_string();
        let stage = payload.get("stage_id").and_then(Json::as_i64).unwrap_or(0);
        let Some((true, channel_choice, template_key)) = stored_rule(&self.read, self.backend, ws, event, stage).await? else {
            // Switched off since: nothing to send.
            return Ok(());
        };
        let actor = self.system_actor(ws, Channel::System).await?;
        let (entity, id) = match (payload.get("deal_id").and_then(Json::as_i64), payload.get("person_id").and_then(Json::as_i64)) {
            (Some(d), _) => (Entity::Deal, d),
            (None, Some(p)) => (Entity::Person, p),
            _ => return Ok(()),
        };
        let reach = match self.reach(&actor, entity, id).await {
            Ok(r) => r,
            // The deal is gone: nobody to notify.
            Err(StoreError::NotFound) => return Ok(()),
            // A deal without a contact: nobody to write to, and the card says so.
            Err(StoreError::Validation(fe)) if entity == Entity::Deal => {
                let out = Outgoing {
                    channel: resolve_channel(&channel_choice, None),
                    to: String::new(),
                    subject: None,
                    text: String::new(),
                    template_key: Some(template_key),
                    attachments: Vec::new(),
                    dedupe_key: Some(format!("notify:{key}")),
                    not_before: None,
                    refused: Some(*fe.msg),
                };
                let reach = crate::channels::replies::Reach::unreachable(Some(id), None);
                self.write_outgoing(&actor, entity, id, &reach, out).await?;
                return Ok(());
            }
            Err(StoreError::Validation(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let last = match reach.person_id {
            Some(p) => self.last_inbound_channel(ws, p).await?,
            None => None,
        };
        let channel = resolve_channel(&channel_choice, last.as_deref());
        let target = reach.channel(channel);
        let mut refused = target.unavailable.clone();
        let (subject, text) = match self.fill_template_key(&actor, &reach, channel, &template_key).await {
            Ok((subject, text, _)) => (subject, text),
            Err(StoreError::Validation(fe)) => {
                refused = refused.or(Some(*fe.msg));
                (None, String::new())
            }
            Err(e) => return Err(e),
        };
        let now = self.clock.now_ms();
        let quiet = self.quiet_hours(ws).await?;
        let not_before = quiet.and_then(|q| q.defer(&actor.ws.timezone, now)).filter(|_| refused.is_none());
        let out = Outgoing {
            channel,
            to: target.to.unwrap_or_default(),
            subject,
            text,
            template_key: Some(template_key),
            attachments: Vec::new(),
            dedupe_key: Some(format!("notify:{key}")),
            not_before,
            refused,
        };
        self.write_outgoing(&actor, entity, id, &reach, out).await?;
        Ok(())
    }

    async fn quiet_hours(&self, ws: i64) -> Result<Option<QuietHours>> {
        let q = Query::select().column(col("client_quiet_hours")).from(col("workspaces")).and_where(Expr::col(col("id")).eq(ws)).to_owned();
        let stored: Option<String> = match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => r.try_get("", "client_quiet_hours")?,
            None => None,
        };
        Ok(stored.as_deref().and_then(QuietHours::parse))
    }

    /// The channel the client last wrote on, if they ever did.
    async fn last_inbound_channel(&self, ws: i64, person: i64) -> Result<Option<String>> {
        let q = Query::select()
            .column(col("channel"))
            .from(col("messages"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("person_id")).eq(person))
            .and_where(Expr::col(col("direction")).eq("in"))
            .order_by(col("sent_at"), Order::Desc)
            .order_by(col("id"), Order::Desc)
            .limit(1)
            .to_owned();
        Ok(match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => Some(r.try_get("", "channel")?),
            None => None,
        })
    }
}

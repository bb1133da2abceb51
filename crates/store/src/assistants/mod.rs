//! Assistants: robots that scan the whole base on a schedule, act, and explain themselves.
//!
//! Each assistant plans with set-based queries over the workspace (no per-record round trips,
//! so a run over a million deals stays in seconds), then acts in batches: a label on the record,
//! a task for the owner (marked with the assistant's name, which escalation watches), a message
//! to the client, a hand-over, a notice to the head. Every act writes an `assistant_actions`
//! row and a history event on the record with the reason, which is what the card's timeline
//! shows. A dry run plans and writes nothing. Acting twice is a no-op: labels are unique while
//! live, notices and messages carry dedupe keys.
//!
//! Settings are per workspace (`assistants`); defaults and checks live in
//! `poryadok_core::assistants`. An enabled assistant runs daily through the job engine.
mod churned;
mod escalation;
mod forgotten;
mod invoices;
mod release;
mod support;

use crate::error::{Result, StoreError};
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::assistants::{check_settings, defaults, unknown, Texts, NAMES};
use poryadok_core::domain::{Channel, HistoryAction, Role};
use poryadok_core::msg::{AssistantMsg, Common};
use poryadok_core::types::format_ms;
use poryadok_core::Lang;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, OnConflict, Order, Query};
use serde_json::{json, Value as Json};
pub use support::Planned;

/// The job that runs one assistant (`{"name": …}`), daily per enabled assistant.
pub const RUN_JOB: &str = "assistant";
const EVERY_MS: i64 = 86_400_000;

/// What a run did (or, dry, would do).
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run_id: Option<i64>,
    pub assistant: String,
    pub dry_run: bool,
    pub as_of: i64,
    pub actions: Vec<Planned>,
    pub elapsed_ms: i64,
}

impl RunReport {
    pub fn to_json(&self) -> Json {
        json!({
            "run_id": self.run_id,
            "assistant": self.assistant,
            "dry_run": self.dry_run,
            "as_of": format_ms(self.as_of),
            "elapsed_ms": self.elapsed_ms,
            "count": self.actions.len(),
            "actions": self.actions.iter().take(1000).map(Planned::to_json).collect::<Vec<_>>(),
        })
    }
}

/// An assistant as its settings page shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AssistantInfo {
    pub name: &'static str,
    /// In the reader's language.
    pub title: String,
    pub enabled: bool,
    /// Every setting, defaults filled in.
    pub settings: Json,
    /// The last real run (dry runs are not kept).
    pub last_run: Option<LastRun>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LastRun {
    pub id: i64,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub as_of: i64,
    /// `None` while the run is under way (or when it broke off).
    #[serde(serialize_with = "crate::serde_time::opt_ms")]
    pub finished_at: Option<i64>,
    /// How many acts it did.
    pub actions: i64,
}

/// An assistant's settings as saved.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AssistantSettings {
    pub name: String,
    pub enabled: bool,
    pub settings: Json,
}

/// What an assistant did to a record, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AssistantAction {
    pub id: i64,
    pub run_id: i64,
    pub assistant: String,
    /// `label`, `unlabel`, `task`, `reassign`, `remind`, `notify_head`.
    pub action: String,
    pub reason: String,
    /// The task it set, if it did.
    pub task_id: Option<i64>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
}

/// A live label on a record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Label {
    pub label: String,
    /// The assistant that set it, and why.
    pub assistant: Option<String>,
    pub reason: Option<String>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub set_at: i64,
}

/// Checks an assistant's settings (defaults filled in, a pool of active users) and saves them
/// with its switch, on `conn` (the settings page, or a regulation apply's transaction). Returns
/// the settings as saved. The daily run is scheduled by the caller.
pub(crate) async fn put_assistant_on(
    conn: &impl ConnectionTrait,
    backend: sea_orm::DbBackend,
    actor: &Actor,
    name: &str,
    enabled: bool,
    given: &Json,
    now: i64,
) -> Result<Json> {
    let ws = actor.ws_id();
    let mut settings = check_settings(name, given).map_err(StoreError::Validation)?;
    if let Some(pool) = settings.get("pool").and_then(Json::as_array).filter(|p| p.iter().any(Json::is_string)) {
        let ids = pool_ids(conn, backend, ws, pool).await?;
        settings["pool"] = json!(ids);
    }
    if let Some(pool) = settings.get("pool").and_then(Json::as_array).filter(|p| !p.is_empty()) {
        let ids: Vec<i64> = pool.iter().filter_map(Json::as_i64).collect();
        if support::active_users(conn, backend, ws, Some(&ids), None).await?.is_empty() {
            return Err(StoreError::invalid("settings.pool", AssistantMsg::PoolInactive {}));
        }
    }
    let q = Query::insert()
        .into_table(col("assistants"))
        .columns(["workspace_id", "name", "enabled", "settings", "created_at", "updated_at"].map(col))
        .values([ws.into(), name.into(), enabled.into(), settings.to_string().into(), now.into(), now.into()])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .on_conflict(
            OnConflict::columns(["workspace_id", "name"].map(col))
                .update_columns(["enabled", "settings", "updated_at"].map(col))
                .to_owned(),
        )
        .to_owned();
    let before = stored_on(conn, backend, ws, name).await?;
    conn.execute(backend.build(&q)).await?;
    // A change of the switch or the settings is a history event of the assistant, like the
    // other changes of the regulation (the settings screen's and a regulation file's alike).
    let (from_enabled, from_settings) = match &before {
        Some((_, e, s)) => (Some(*e), Some(s.clone())),
        None => (None, None),
    };
    if from_enabled != Some(enabled) || from_settings.as_ref() != Some(&settings) {
        let id = match &before {
            Some((id, ..)) => *id,
            None => stored_on(conn, backend, ws, name).await?.map(|(id, ..)| id).unwrap_or_default(),
        };
        let mut changes = serde_json::Map::new();
        changes.insert("name".into(), json!(name));
        if from_enabled != Some(enabled) {
            changes.insert("enabled".into(), json!({"from": from_enabled, "to": enabled}));
        }
        if from_settings.as_ref() != Some(&settings) {
            changes.insert("settings".into(), json!({"from": from_settings, "to": settings}));
        }
        let action = if before.is_some() { HistoryAction::Update } else { HistoryAction::Create };
        crate::records::append_history(conn, backend, actor, HISTORY_ENTITY, id, action, changes, now).await?;
    }
    Ok(settings)
}

/// History events of an assistant's settings name this entity (the record is its `assistants` row).
pub const HISTORY_ENTITY: &str = "assistant";

/// An assistant's stored row: id, switch, settings as saved.
async fn stored_on(conn: &impl ConnectionTrait, backend: sea_orm::DbBackend, ws: i64, name: &str) -> Result<Option<(i64, bool, Json)>> {
    let q = Query::select()
        .columns(["id", "enabled", "settings"].map(col))
        .from(col("assistants"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("name")).eq(name))
        .to_owned();
    match conn.query_one(backend.build(&q)).await? {
        Some(r) => {
            let s: String = r.try_get("", "settings")?;
            Ok(Some((r.try_get("", "id")?, r.try_get("", "enabled")?, serde_json::from_str(&s).unwrap_or(Json::Null))))
        }
        None => Ok(None),
    }
}

/// Removes an assistant's row (a regulation file that no longer lists it: off, with its
/// defaults), with its history event.
pub(crate) async fn remove_assistant_on(
    conn: &impl ConnectionTrait,
    backend: sea_orm::DbBackend,
    actor: &Actor,
    name: &str,
    now: i64,
) -> Result<()> {
    let Some((id, enabled, settings)) = stored_on(conn, backend, actor.ws_id(), name).await? else { return Ok(()) };
    let q = Query::delete()
        .from_table(col("assistants"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("id")).eq(id))
        .to_owned();
    conn.execute(backend.build(&q)).await?;
    let mut changes = serde_json::Map::new();
    changes.insert("name".into(), json!(name));
    changes.insert("enabled".into(), json!({"from": enabled, "to": false}));
    changes.insert("settings".into(), json!({"from": settings, "to": null}));
    crate::records::append_history(conn, backend, actor, HISTORY_ENTITY, id, HistoryAction::Delete, changes, now).await
}

/// A pool's users as ids: an e-mail (as the regulation file names them) is looked up among the
/// workspace's users, case aside; one nobody has is refused naming it.
async fn pool_ids(conn: &impl ConnectionTrait, backend: sea_orm::DbBackend, ws: i64, pool: &[Json]) -> Result<Vec<i64>> {
    let emails: Vec<String> = pool.iter().filter_map(Json::as_str).map(|e| e.trim().to_lowercase()).collect();
    let by_email = users_by(conn, backend, ws, Expr::expr(sea_query::Func::lower(Expr::col(col("email")))).is_in(emails)).await?;
    let mut ids = Vec::with_capacity(pool.len());
    for v in pool {
        match v.as_str() {
            Some(e) => {
                let e = e.trim().to_lowercase();
                let id = by_email.iter().find(|(_, m)| m.to_lowercase() == e).map(|(id, _)| *id);
                ids.push(id.ok_or_else(|| StoreError::invalid("settings.pool", AssistantMsg::PoolUnknownEmail { email: e }))?);
            }
            None => ids.extend(v.as_i64()),
        }
    }
    Ok(ids)
}

/// A pool's user ids as their e-mails, for the regulation file (ids differ between workspaces);
/// an id no user has any more stays an id.
pub(crate) async fn pool_emails(conn: &impl ConnectionTrait, backend: sea_orm::DbBackend, ws: i64, settings: &mut Json) -> Result<()> {
    let Some(pool) = settings.get("pool").and_then(Json::as_array).filter(|p| !p.is_empty()) else { return Ok(()) };
    let ids: Vec<i64> = pool.iter().filter_map(Json::as_i64).collect();
    let users = users_by(conn, backend, ws, Expr::col(col("id")).is_in(ids)).await?;
    let named: Vec<Json> = pool
        .iter()
        .map(|v| match v.as_i64().and_then(|id| users.iter().find(|(u, _)| *u == id)) {
            Some((_, email)) => json!(email),
            None => v.clone(),
        })
        .collect();
    settings["pool"] = Json::Array(named);
    Ok(())
}

async fn users_by(
    conn: &impl ConnectionTrait,
    backend: sea_orm::DbBackend,
    ws: i64,
    cond: sea_query::SimpleExpr,
) -> Result<Vec<(i64, String)>> {
    let q = Query::select()
        .columns(["id", "email"].map(col))
        .from(col("users"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(cond)
        .to_owned();
    conn.query_all(backend.build(&q)).await?.iter().map(|r| Ok((r.try_get("", "id")?, r.try_get("", "email")?))).collect()
}

/// Schedules an enabled assistant's daily run (the first a minute from now).
pub(crate) async fn schedule_daily(db: &Db, ws: i64, name: &str) -> Result<()> {
    let now = db.clock.now_ms();
    db.upsert_schedule(ws, &format!("assistant:{name}"), RUN_JOB, &json!({"name": name}), EVERY_MS, now + 60_000).await
}

fn must_admin(actor: &Actor) -> Result<()> {
    match actor.caller.role {
        Role::Admin => Ok(()),
        _ => Err(StoreError::forbidden(AssistantMsg::AdminOnly {})),
    }
}

fn may_view(actor: &Actor) -> Result<()> {
    match actor.caller.role {
        Role::Admin | Role::Head => Ok(()),
        _ => Err(StoreError::forbidden(AssistantMsg::ViewForbidden {})),
    }
}

impl Db {
    /// Every assistant with its settings (defaults filled in), whether it is on, and its last run.
    pub async fn assistants(&self, actor: &Actor) -> Result<Vec<AssistantInfo>> {
        may_view(actor)?;
        let texts = Texts::in_lang(Lang::for_reader(actor.user_locale.as_deref(), &actor.ws.locale));
        let mut out = Vec::new();
        for name in NAMES {
            let (enabled, settings) = self.assistant_settings(actor.ws_id(), name).await?;
            let q = Query::select()
                .columns(["id", "dry_run", "as_of", "started_at", "finished_at", "actions"].map(col))
                .from(col("assistant_runs"))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("assistant")).eq(*name))
                .and_where(Expr::col(col("dry_run")).eq(false))
                .order_by(col("id"), Order::Desc)
                .limit(1)
                .to_owned();
            let last_run = match self.read.query_one(self.backend.build(&q)).await? {
                Some(r) => Some(LastRun {
                    id: r.try_get("", "id")?,
                    as_of: r.try_get("", "as_of")?,
                    finished_at: r.try_get("", "finished_at")?,
                    actions: r.try_get("", "actions")?,
                }),
                None => None,
            };
            out.push(AssistantInfo { name, title: texts.title(name), enabled, settings, last_run });
        }
        Ok(out)
    }

    /// Whether an assistant is on, and its settings (defaults when never saved).
    pub async fn assistant_settings(&self, ws: i64, name: &str) -> Result<(bool, Json)> {
        let defaults = defaults(name).ok_or_else(|| StoreError::invalid("name", unknown(name)))?;
        let q = Query::select()
            .columns(["enabled", "settings"].map(col))
            .from(col("assistants"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("name")).eq(name))
            .to_owned();
        match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => {
                let s: String = r.try_get("", "settings")?;
                let stored = serde_json::from_str(&s).unwrap_or(defaults);
                Ok((r.try_get("", "enabled")?, check_settings(name, &stored).unwrap_or(stored)))
            }
            None => Ok((false, defaults)),
        }
    }

    /// Turns an assistant on or off and changes its settings: `{"enabled", "settings": {…}}`.
    /// An enabled assistant is scheduled to run daily.
    pub async fn update_assistant(&self, actor: &Actor, name: &str, body: &Json) -> Result<AssistantSettings> {
        must_admin(actor)?;
        let (enabled, current) = self.assistant_settings(actor.ws_id(), name).await?;
        let enabled = match body.get("enabled") {
            None => enabled,
            Some(Json::Bool(b)) => *b,
            Some(_) => return Err(StoreError::invalid("enabled", Common::NotBool {})),
        };
        let mut merged = current;
        if let Some(given) = body.get("settings") {
            let Json::Object(given) = given else {
                return Err(StoreError::invalid("settings", Common::NotObject {}));
            };
            if let Some(m) = merged.as_object_mut() {
                m.extend(given.clone());
            }
        }
        // The regulation's versions: edits made before stay a version of their own (no author),
        // this change becomes the next one, the administrator's.
        self.regulation_snapshot(actor.ws_id(), None).await?;
        let now = self.clock.now_ms();
        let (a, n, backend) = (actor.clone(), name.to_string(), self.backend);
        let settings =
            self.write_tx(move |tx| Box::pin(async move { put_assistant_on(tx, backend, &a, &n, enabled, &merged, now).await })).await?;
        self.regulation_snapshot(actor.ws_id(), Some(actor.user_id())).await?;
        if enabled {
            schedule_daily(self, actor.ws_id(), name).await?;
        }
        Ok(AssistantSettings { name: name.to_string(), enabled, settings })
    }

    /// Runs an assistant as of `now` (the workspace's clock unless given). `dry_run` plans only.
    pub async fn run_assistant(&self, ws: i64, name: &str, now: Option<i64>, dry_run: bool) -> Result<RunReport> {
        let (_, settings) = self.assistant_settings(ws, name).await?;
        let started = std::time::Instant::now();
        let as_of = now.unwrap_or_else(|| self.clock.now_ms());
        let actor = self.system_actor(ws, Channel::Assistant).await?;
        let run_id = if dry_run { None } else { Some(self.start_run(ws, name, as_of).await?) };
        let ctx = support::RunCtx {
            db: self,
            actor: &actor,
            name,
            settings: &settings,
            now: as_of,
            run_id: run_id.unwrap_or(0),
            dry_run,
            texts: Texts::new(&actor.ws.locale),
            heads: Default::default(),
        };
        let actions = match name {
            "forgotten" => forgotten::run(&ctx).await?,
            "release" => release::run(&ctx).await?,
            "churned" => churned::run(&ctx).await?,
            "escalation" => escalation::run(&ctx).await?,
            "unpaid" => invoices::unpaid(&ctx).await?,
            "debtors" => invoices::debtors(&ctx).await?,
            other => return Err(StoreError::invalid("name", unknown(other))),
        };
        if let Some(id) = run_id {
            let q = Query::update()
                .table(col("assistant_runs"))
                .value(col("finished_at"), self.clock.now_ms())
                .value(col("actions"), actions.len() as i64)
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("id")).eq(id))
                .to_owned();
            self.write.execute(self.backend.build(&q)).await?;
        }
        Ok(RunReport { run_id, assistant: name.into(), dry_run, as_of, actions, elapsed_ms: started.elapsed().as_millis() as i64 })
    }

    /// The scheduled run: only while the assistant is on.
    pub async fn scheduled_assistant(&self, ws: i64, name: &str) -> Result<Option<RunReport>> {
        let (enabled, _) = self.assistant_settings(ws, name).await?;
        if !enabled {
            return Ok(None);
        }
        self.run_assistant(ws, name, None, false).await.map(Some)
    }

    async fn start_run(&self, ws: i64, name: &str, as_of: i64) -> Result<i64> {
        let q = Query::insert()
            .into_table(col("assistant_runs"))
            .columns(["workspace_id", "assistant", "dry_run", "as_of", "started_at", "actions"].map(col))
            .values([ws.into(), name.into(), false.into(), as_of.into(), self.clock.now_ms().into(), 0i64.into()])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        crate::sql::insert_id(&self.write, self.backend, &q).await
    }

    /// What assistants did to a record, newest first (the card shows it with the reason).
    pub async fn assistant_actions(&self, actor: &Actor, entity: poryadok_core::schema::Entity, id: i64) -> Result<Vec<AssistantAction>> {
        self.get(actor, entity, id).await?;
        let q = Query::select()
            .columns(["id", "run_id", "assistant", "action", "reason", "task_id", "created_at"].map(col))
            .from(col("assistant_actions"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("entity")).eq(entity.name()))
            .and_where(Expr::col(col("record_id")).eq(id))
            .order_by(col("id"), Order::Desc)
            .limit(200)
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            out.push(AssistantAction {
                id: r.try_get("", "id")?,
                run_id: r.try_get("", "run_id")?,
                assistant: r.try_get("", "assistant")?,
                action: r.try_get("", "action")?,
                reason: r.try_get("", "reason")?,
                task_id: r.try_get("", "task_id")?,
                created_at: r.try_get("", "created_at")?,
            });
        }
        Ok(out)
    }

    /// The live labels of many records at once (a list page), by record; `ids` are records the
    /// caller already sees.
    pub async fn labels_of(
        &self,
        actor: &Actor,
        entity: poryadok_core::schema::Entity,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<String>>> {
        let mut out: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let q = Query::select()
            .columns(["record_id", "label"].map(col))
            .from(col("labels"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("entity")).eq(entity.name()))
            .and_where(Expr::col(col("record_id")).is_in(ids.iter().copied()))
            .and_where(Expr::col(col("cleared_at")).is_null())
            .order_by(col("id"), Order::Asc)
            .to_owned();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            out.entry(r.try_get("", "record_id")?).or_default().push(r.try_get("", "label")?);
        }
        Ok(out)
    }

    /// The live labels of a record.
    pub async fn labels(&self, actor: &Actor, entity: poryadok_core::schema::Entity, id: i64) -> Result<Vec<Label>> {
        self.get(actor, entity, id).await?;
        let q = Query::select()
            .columns(["label", "assistant", "reason", "set_at"].map(col))
            .from(col("labels"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("entity")).eq(entity.name()))
            .and_where(Expr::col(col("record_id")).eq(id))
            .and_where(Expr::col(col("cleared_at")).is_null())
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            out.push(Label {
                label: r.try_get("", "label")?,
                assistant: r.try_get("", "assistant")?,
                reason: r.try_get("", "reason")?,
                set_at: r.try_get("", "set_at")?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assistants_serialize_as_the_api_shows_them() {
        let info = AssistantInfo {
            name: "forgotten",
            title: "Forgotten clients".into(),
            enabled: true,
            settings: json!({"days": 60}),
            last_run: Some(LastRun { id: 3, as_of: 0, finished_at: None, actions: 2 }),
        };
        assert_eq!(
            serde_json::to_value(&info).ok(),
            Some(json!({
                "name": "forgotten", "title": "Forgotten clients", "enabled": true, "settings": {"days": 60},
                "last_run": {"id": 3, "as_of": "1970-01-01T00:00:00.000Z", "finished_at": null, "actions": 2},
            }))
        );
        let never = AssistantInfo { last_run: None, ..info };
        assert_eq!(serde_json::to_value(&never).ok().map(|v| v["last_run"].is_null()), Some(true));
        let label = Label { label: "churned".into(), assistant: Some("churned".into()), reason: None, set_at: 1000 };
        assert_eq!(
            serde_json::to_value(&label).ok(),
            Some(json!({"label": "churned", "assistant": "churned", "reason": null, "set_at": "1970-01-01T00:00:01.000Z"}))
        );
    }
}

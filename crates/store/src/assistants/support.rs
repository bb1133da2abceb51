//! What every assistant shares: the run's context, a planned action, and acting in batches —
//! labels, tasks, history events with the reason, `assistant_actions` rows and notices — each
//! batch in one transaction with multi-row statements, so a run over many thousand clients
//! costs a few statements per five hundred.
use crate::error::{Result, StoreError};
use crate::notifications::{notify_on, NewNotification};
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::assistants::{Texts, DAY_MS};
use poryadok_core::domain::{HistoryAction, Role};
use poryadok_core::types::Val;
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
use sea_query::{Condition, Expr, Order, Query, SimpleExpr};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

const CHUNK: usize = 500;

pub(crate) struct RunCtx<'a> {
    pub db: &'a Db,
    pub actor: &'a Actor,
    pub name: &'a str,
    pub settings: &'a Json,
    pub now: i64,
    pub run_id: i64,
    pub dry_run: bool,
    pub texts: Texts,
    /// Each owner's head, looked up once per run.
    pub heads: std::sync::Mutex<std::collections::HashMap<Option<i64>, Option<i64>>>,
}

impl RunCtx<'_> {
    pub fn ws(&self) -> i64 {
        self.actor.ws_id()
    }
    pub fn backend(&self) -> DbBackend {
        self.db.backend
    }
    pub fn setting(&self, key: &str) -> i64 {
        poryadok_core::assistants::int(self.settings, key)
    }
    pub fn days_ago(&self, days: i64) -> i64 {
        self.now - days * DAY_MS
    }
    /// When a task made now is due: `task_due_days` working days on the workspace's calendar.
    pub async fn task_due(&self) -> Result<i64> {
        let days = self.setting("task_due_days").max(1);
        let cal = crate::regulation::workspace_calendar(&self.db.read, self.backend(), self.ws()).await?;
        Ok(cal.add_working_days(&self.actor.ws.timezone, self.now, days))
    }
}

/// One thing an assistant does (or would do), and why.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    /// `label`, `unlabel`, `task`, `reassign`, `remind`, `notify_head`.
    pub action: &'static str,
    pub entity: &'static str,
    pub record_id: i64,
    /// The record's name, for people reading the list.
    pub title: String,
    pub reason: String,
    pub owner_id: Option<i64>,
}

impl Planned {
    pub fn to_json(&self) -> Json {
        json!({"action": self.action, "entity": self.entity, "record_id": self.record_id, "title": self.title, "reason": self.reason, "owner_id": self.owner_id})
    }
}

/// A task an act creates for the record's owner.
pub(crate) struct TaskSpec {
    pub subject: String,
    pub owner_id: Option<i64>,
    pub due_at: i64,
    pub organization_id: Option<i64>,
    pub deal_id: Option<i64>,
}

/// Everything one planned action writes.
#[derive(Default)]
pub(crate) struct Act {
    pub planned: Planned,
    /// A label to set on the record.
    pub label: Option<&'static str>,
    /// A label to clear on the record.
    pub clear_label: Option<&'static str>,
    /// A client (organization) handed over to this user with its people and open deals.
    pub reassign_to: Option<i64>,
    pub task: Option<TaskSpec>,
    pub notices: Vec<NewNotification>,
    /// Reminders to the client, queued with the act.
    pub messages: Vec<crate::channels::ClientMessage>,
}

impl Act {
    /// An action that writes only its `assistant_actions` row and history event; the struct
    /// update syntax adds the rest (`Act { label: Some(…), ..Act::new(planned) }`).
    pub fn new(planned: Planned) -> Act {
        Act { planned, ..Default::default() }
    }

    /// A client (organization) labelled, with a task for its owner saying what to do.
    pub fn label_client(
        id: i64,
        name: String,
        owner: Option<i64>,
        label: &'static str,
        reason: String,
        subject: String,
        due_at: i64,
    ) -> Act {
        let task = TaskSpec { subject, owner_id: owner, due_at, organization_id: Some(id), deal_id: None };
        let planned = Planned { action: "label", entity: "organization", record_id: id, title: name, reason, owner_id: owner };
        Act { label: Some(label), task: Some(task), ..Act::new(planned) }
    }
}

/// Writes the acts in batches; returns the planned actions (what the report lists).
pub(crate) async fn act(ctx: &RunCtx<'_>, acts: Vec<Act>) -> Result<Vec<Planned>> {
    if ctx.dry_run {
        return Ok(acts.into_iter().map(|a| a.planned).collect());
    }
    let mut done = Vec::with_capacity(acts.len());
    let mut acts = acts.into_iter().peekable();
    while acts.peek().is_some() {
        let chunk: Vec<Act> = acts.by_ref().take(CHUNK).collect();
        let tx = ctx.db.write.begin().await?;
        write_chunk(ctx, &tx, &chunk).await?;
        tx.commit().await?;
        done.extend(chunk.into_iter().map(|a| a.planned));
    }
    Ok(done)
}

async fn write_chunk(ctx: &RunCtx<'_>, tx: &impl ConnectionTrait, chunk: &[Act]) -> Result<()> {
    let ws = ctx.ws();
    let now = ctx.db.clock.now_ms();
    // Tasks first: their ids go into the actions' rows.
    let tasks: Vec<(usize, &TaskSpec)> = chunk.iter().enumerate().filter_map(|(i, a)| a.task.as_ref().map(|t| (i, t))).collect();
    let mut task_ids = vec![None; chunk.len()];
    if !tasks.is_empty() {
        let rows: Vec<Vec<(&'static str, Val)>> = tasks
            .iter()
            .map(|(_, t)| {
                vec![
                    ("type", Val::Text("task".into())),
                    ("subject", Val::Text(t.subject.chars().take(255).collect())),
                    ("due_at", Val::Int(t.due_at)),
                    ("done", Val::Bool(false)),
                    ("owner_id", t.owner_id.map_or(Val::Null, Val::Int)),
                    ("organization_id", t.organization_id.map_or(Val::Null, Val::Int)),
                    ("deal_id", t.deal_id.map_or(Val::Null, Val::Int)),
                    ("assistant", Val::Text(ctx.name.to_string())),
                ]
            })
            .collect();
        // Through the write pipeline, in one batch: history and webhooks for every task.
        let ids = crate::records::create_system_records(tx, ctx.backend(), ctx.actor, poryadok_core::schema::Entity::Activity, &rows, now)
            .await?;
        for ((i, _), id) in tasks.iter().zip(ids) {
            task_ids[*i] = Some(id);
        }
    }
    let labels: Vec<&Act> = chunk.iter().filter(|a| a.label.is_some()).collect();
    if !labels.is_empty() {
        let mut q = Query::insert();
        q.into_table(col("labels")).columns(["workspace_id", "entity", "record_id", "label", "assistant", "reason", "set_at"].map(col));
        for a in &labels {
            q.values([
                ws.into(),
                a.planned.entity.into(),
                a.planned.record_id.into(),
                a.label.unwrap_or_default().into(),
                ctx.name.into(),
                a.planned.reason.as_str().into(),
                ctx.now.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        }
        tx.execute(ctx.backend().build(&q)).await?;
    }
    let mut actions = Query::insert();
    actions
        .into_table(col("assistant_actions"))
        .columns(["workspace_id", "run_id", "assistant", "action", "entity", "record_id", "reason", "task_id", "created_at"].map(col));
    let mut history = History::default();
    for (a, task) in chunk.iter().zip(&task_ids) {
        let p = &a.planned;
        actions
            .values([
                ws.into(),
                ctx.run_id.into(),
                ctx.name.into(),
                p.action.into(),
                p.entity.into(),
                p.record_id.into(),
                p.reason.as_str().into(),
                (*task).into(),
                now.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut changes = json!({"assistant": ctx.name, "assistant_action": p.action, "reason": p.reason});
        if let Some(l) = a.label {
            changes["label"] = json!(l);
        }
        history.push(p.entity, p.record_id, HistoryAction::Update, changes);
        if let (Some(id), Some(t)) = (task, &a.task) {
            let created =
                json!({"type": {"to": "task"}, "subject": {"to": t.subject}, "owner_id": {"to": t.owner_id}, "assistant": ctx.name});
            history.push("activity", *id, HistoryAction::Create, created);
        }
    }
    // Labels cleared and clients handed over, a statement per kind of label and per new owner.
    let mut clears: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
    let mut moves: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for a in chunk {
        if let Some(l) = a.clear_label {
            clears.entry((a.planned.entity, l)).or_default().push(a.planned.record_id);
        }
        if let Some(to) = a.reassign_to {
            moves.entry(to).or_default().push(a.planned.record_id);
        }
    }
    for ((entity, label), ids) in clears {
        let q = Query::update()
            .table(col("labels"))
            .value(col("cleared_at"), ctx.now)
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("entity")).eq(entity))
            .and_where(Expr::col(col("label")).eq(label))
            .and_where(Expr::col(col("record_id")).is_in(ids))
            .and_where(Expr::col(col("cleared_at")).is_null())
            .to_owned();
        tx.execute(ctx.backend().build(&q)).await?;
    }
    for (to, orgs) in moves {
        hand_over(ctx, tx, &mut history, &orgs, to, now).await?;
    }
    tx.execute(ctx.backend().build(&actions)).await?;
    history.write(ctx, tx, now).await?;
    for a in chunk {
        for n in &a.notices {
            notify_on(tx, ctx.backend(), n, now).await?;
        }
        for m in &a.messages {
            crate::channels::queue_client_message_in(tx, ctx.backend(), ws, m, now).await?;
        }
    }
    Ok(())
}

/// Moves organizations, their people and their open deals to `to` together, so ownership of a
/// client never splits; each moved record gets its history event (from its own former owner).
async fn hand_over(ctx: &RunCtx<'_>, tx: &impl ConnectionTrait, history: &mut History, orgs: &[i64], to: i64, now: i64) -> Result<()> {
    let ws = ctx.ws();
    let targets: [(&'static str, &str, &str, bool); 3] = [
        ("organization", "organizations", "id", false),
        ("person", "persons", "organization_id", false),
        ("deal", "deals", "organization_id", true),
    ];
    // Each moved record's former owner, by entity: an open task of the client moves when it was
    // its record's former owner's (a task someone else holds stays with them).
    let mut former: BTreeMap<(&'static str, i64), Option<i64>> = BTreeMap::new();
    let mut moved: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
    for (entity, table, link, open_only) in targets {
        let mut q = Query::select();
        q.columns(["id", "owner_id"].map(col))
            .from(col(table))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col(link)).is_in(orgs.iter().copied()))
            .and_where(Expr::col(col("deleted_at")).is_null());
        if open_only {
            q.and_where(Expr::col(col("status")).eq("open"));
        }
        let rows = tx.query_all(ctx.backend().build(&q)).await?;
        let mut ids = Vec::with_capacity(rows.len());
        for r in &rows {
            let (id, from): (i64, Option<i64>) = (r.try_get("", "id")?, r.try_get("", "owner_id")?);
            ids.push(id);
            former.insert((entity, id), from);
            history.push(entity, id, HistoryAction::Update, json!({"owner_id": {"from": from, "to": to}, "assistant": ctx.name}));
        }
        update_owner(ctx, tx, table, &ids, to, now).await?;
        moved.insert(entity, ids);
    }
    // The client's open tasks go with it: the former owner would otherwise keep (and be
    // escalated for) the "forgotten client" task of a client no longer theirs.
    let links = [("organization", "organization_id"), ("person", "person_id"), ("deal", "deal_id")];
    let mut any = Condition::any();
    for (entity, link) in links {
        if let Some(ids) = moved.get(entity).filter(|ids| !ids.is_empty()) {
            any = any.add(Expr::col(col(link)).is_in(ids.iter().copied()));
        }
    }
    let q = Query::select()
        .columns(["id", "owner_id", "organization_id", "person_id", "deal_id"].map(col))
        .from(col("activities"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("done")).eq(false))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .cond_where(any)
        .to_owned();
    let mut tasks = Vec::new();
    for r in tx.query_all(ctx.backend().build(&q)).await? {
        let (id, owner): (i64, Option<i64>) = (r.try_get("", "id")?, r.try_get("", "owner_id")?);
        if owner == Some(to) {
            continue;
        }
        let mut was_former_owners = false;
        for (entity, link) in links {
            if let Some(record) = r.try_get::<Option<i64>>("", link)? {
                was_former_owners |= former.get(&(entity, record)).is_some_and(|f| *f == owner);
            }
        }
        if was_former_owners {
            tasks.push(id);
            history.push("activity", id, HistoryAction::Update, json!({"owner_id": {"from": owner, "to": to}, "assistant": ctx.name}));
        }
    }
    update_owner(ctx, tx, "activities", &tasks, to, now).await
}

async fn update_owner(ctx: &RunCtx<'_>, tx: &impl ConnectionTrait, table: &str, ids: &[i64], to: i64, now: i64) -> Result<()> {
    for part in ids.chunks(CHUNK) {
        // Deals change owner: the per-day aggregate follows in the same transaction.
        let stats = match table {
            "deals" => Some(crate::deal_stats::snapshot(tx, ctx.backend(), ctx.ws(), part).await?),
            _ => None,
        };
        let q = Query::update()
            .table(col(table))
            .value(col("owner_id"), to)
            .value(col("updated_at"), now)
            .value(col("version"), Expr::col(col("version")).add(1))
            .and_where(Expr::col(col("workspace_id")).eq(ctx.ws()))
            .and_where(Expr::col(col("id")).is_in(part.iter().copied()))
            .to_owned();
        tx.execute(ctx.backend().build(&q)).await?;
        if let Some(stats) = stats {
            crate::deal_stats::settle(tx, ctx.backend(), ctx.actor, stats).await?;
        }
    }
    Ok(())
}

/// The history events of a batch: written with one statement, and announced to the workspace's
/// outbound webhooks like any other change (one lookup per batch when there are none).
#[derive(Default)]
struct History {
    rows: Vec<(&'static str, i64, HistoryAction, Json)>,
}

impl History {
    fn push(&mut self, entity: &'static str, id: i64, action: HistoryAction, changes: Json) {
        self.rows.push((entity, id, action, changes));
    }

    async fn write(&self, ctx: &RunCtx<'_>, tx: &impl ConnectionTrait, now: i64) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let ws = ctx.ws();
        let mut q = Query::insert();
        q.into_table(col("history"))
            .columns(["workspace_id", "entity", "record_id", "action", "actor_id", "channel", "changes", "created_at"].map(col));
        for (entity, id, action, changes) in &self.rows {
            let values: [SimpleExpr; 8] = [
                ws.into(),
                (*entity).into(),
                (*id).into(),
                action.as_str().into(),
                Option::<i64>::None.into(),
                "assistant".into(),
                changes.to_string().into(),
                now.into(),
            ];
            q.values(values).map_err(|e| StoreError::Internal(e.to_string()))?;
        }
        tx.execute(ctx.backend().build(&q)).await?;
        let hooks = "SELECT COUNT(*) AS n FROM webhooks WHERE workspace_id = $1 AND active = true AND deleted_at IS NULL";
        let n: i64 = match tx.query_one(raw(ctx.backend(), hooks, vec![ws.into()])).await? {
            Some(r) => r.try_get("", "n")?,
            None => 0,
        };
        if n > 0 {
            for (entity, id, action, changes) in &self.rows {
                crate::channels::webhooks::emit_on(tx, ctx.backend(), ws, entity, *id, *action, changes, now).await?;
            }
        }
        Ok(())
    }
}

/// Active users of the workspace, by id, optionally among `ids` or of one role.
pub(crate) async fn active_users(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    ids: Option<&[i64]>,
    role: Option<Role>,
) -> Result<Vec<i64>> {
    let mut q = Query::select();
    q.column(col("id"))
        .from(col("users"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("active")).eq(true))
        .order_by(col("id"), Order::Asc);
    if let Some(ids) = ids {
        q.and_where(Expr::col(col("id")).is_in(ids.iter().copied()));
    }
    if let Some(r) = role {
        q.and_where(Expr::col(col("role")).eq(r.as_str()));
    }
    conn.query_all(backend.build(&q)).await?.iter().map(|r| r.try_get::<i64>("", "id").map_err(StoreError::from)).collect()
}

/// Organizations with a task still ahead (not done, due after `now`) on them, their people or
/// their deals: "do not forget while a task is active".
pub(crate) async fn orgs_with_future_task(ctx: &RunCtx<'_>) -> Result<std::collections::HashSet<i64>> {
    let ws = ctx.ws();
    let sql = "SELECT DISTINCT COALESCE(a.organization_id, d.organization_id, p.organization_id) AS org \
               FROM activities a \
               LEFT JOIN deals d ON d.workspace_id = a.workspace_id AND d.id = a.deal_id \
               LEFT JOIN persons p ON p.workspace_id = a.workspace_id AND p.id = a.person_id \
               WHERE a.workspace_id = $1 AND a.done = false AND a.due_at > $2 AND a.deleted_at IS NULL";
    let rows = ctx.db.read.query_all(raw(ctx.backend(), sql, vec![ws.into(), ctx.now.into()])).await?;
    let mut out = std::collections::HashSet::new();
    for r in rows {
        if let Some(o) = r.try_get::<Option<i64>>("", "org")? {
            out.insert(o);
        }
    }
    Ok(out)
}

/// A statement written with `$n` placeholders, for either backend (`?n` on SQLite, which
/// numbers `$name` parameters by first appearance instead).
pub(crate) fn raw(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    let sql = if backend == DbBackend::Postgres { sql.to_string() } else { sql.replace('$', "?") };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// The head responsible for `user` (their team's head, else the first active head): who is told
/// when assistants escalate.
pub(crate) async fn head(ctx: &RunCtx<'_>, user: Option<i64>) -> Result<Option<i64>> {
    if let Some(h) = ctx.heads.lock().ok().and_then(|m| m.get(&user).copied()) {
        return Ok(h);
    }
    let h = crate::regulation::head_of(&ctx.db.read, ctx.backend(), ctx.ws(), user).await?;
    if let Ok(mut m) = ctx.heads.lock() {
        m.insert(user, h);
    }
    Ok(h)
}

/// A date people read, in the workspace's zone.
pub(crate) fn day(ctx: &RunCtx<'_>, ms: i64) -> String {
    let d = poryadok_core::zone::local(&ctx.actor.ws.timezone, ms).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

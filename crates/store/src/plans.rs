//! Sales plans: a target per manager or team per month or quarter for one metric (revenue in
//! minor units, won deals, calls, e-mails sent, invoices issued), kept one per target, period
//! and metric; entered one by one (the API), as a grid of a period (the web UI) or from a sheet
//! ([`Db::import_plans`]: CSV or XLSX with a manager, a period and a column per metric).
//!
//! Heads of sales and administrators write plans; everyone else reads: analysts every plan, a
//! manager their own, their team-mates' and their team's. Every change writes a history event
//! (`plan`) in its own transaction. What a plan is measured against is the plan-fact report's
//! ([`crate::report::plan_fact`]).
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::invoices::import::{parse_amount, RowError};
use crate::list::parse_limit;
use crate::records::append_history;
use crate::sql::col;
use crate::{Db, Page};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use poryadok_core::calendar::BusinessHours;
use poryadok_core::domain::HistoryAction;
use poryadok_core::msg::{words, Common, InvoiceMsg, PlanMsg};
use poryadok_core::plan::{spread, Metric, PlanPeriod};
use poryadok_core::types::format_ms;
use poryadok_core::Msg;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use sea_query::{Expr, Order, Query, SelectStatement, SimpleExpr};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, HashMap};

/// The largest plan value: a quadrillion minor units.
pub const MAX_VALUE: i64 = 1_000_000_000_000_000;
const COLUMNS: [&str; 10] = ["id", "user_id", "team_id", "period", "metric", "value", "version", "created_by", "created_at", "updated_at"];
const WRITABLE: &[&str] = &["user_id", "team_id", "period", "metric", "value"];
const READ_ONLY: &[&str] = &["id", "version", "created_by", "created_at", "updated_at"];

/// Whom a plan is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    User(i64),
    Team(i64),
}

impl Target {
    fn key(self) -> String {
        match self {
            Target::User(id) => format!("u{id}"),
            Target::Team(id) => format!("t{id}"),
        }
    }

    fn columns(self) -> (Option<i64>, Option<i64>) {
        match self {
            Target::User(id) => (Some(id), None),
            Target::Team(id) => (None, Some(id)),
        }
    }
}

/// One plan as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub id: i64,
    pub target: Target,
    pub period: PlanPeriod,
    pub metric: Metric,
    /// Revenue in minor units, otherwise a count.
    pub value: i64,
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Plan {
    pub fn to_json(&self) -> Json {
        let (user_id, team_id) = self.target.columns();
        json!({
            "id": self.id,
            "user_id": user_id,
            "team_id": team_id,
            "period": self.period.key(),
            "metric": self.metric.as_str(),
            "value": self.value,
            "version": self.version,
            "created_by": self.created_by,
            "created_at": format_ms(self.created_at),
            "updated_at": format_ms(self.updated_at),
        })
    }

    fn fields(&self) -> Map<String, Json> {
        let mut m = self.to_json().as_object().cloned().unwrap_or_default();
        for k in READ_ONLY {
            m.remove(*k);
        }
        m
    }
}

fn decode(r: &QueryResult) -> Result<Plan> {
    let bad = |what: &str| StoreError::Internal(format!("a stored plan has a bad {what}"));
    let (user_id, team_id): (Option<i64>, Option<i64>) = (r.try_get("", "user_id")?, r.try_get("", "team_id")?);
    let target = match (user_id, team_id) {
        (Some(u), _) => Target::User(u),
        (None, Some(t)) => Target::Team(t),
        (None, None) => return Err(bad("target")),
    };
    let period: String = r.try_get("", "period")?;
    let metric: String = r.try_get("", "metric")?;
    Ok(Plan {
        id: r.try_get("", "id")?,
        target,
        period: PlanPeriod::parse(&period).map_err(|_| bad("period"))?,
        metric: Metric::parse(&metric).ok_or_else(|| bad("metric"))?,
        value: r.try_get("", "value")?,
        version: r.try_get("", "version")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn members_of(ws: i64, team: i64) -> SelectStatement {
    Query::select()
        .column(col("id"))
        .from(col("users"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("team_id")).eq(team))
        .to_owned()
}

/// The plans the caller reads: all for those who see everything, else their own, their
/// team-mates' and their team's.
fn read_scope(actor: &Actor) -> Option<SimpleExpr> {
    if actor.caller.role.sees_all() {
        return None;
    }
    let own = Expr::col(col("user_id")).eq(actor.user_id());
    Some(match actor.caller.team_id {
        Some(team) => own.or(Expr::col(col("user_id")).in_subquery(members_of(actor.ws_id(), team))).or(Expr::col(col("team_id")).eq(team)),
        None => own,
    })
}

fn visible(actor: &Actor) -> SelectStatement {
    let mut q =
        Query::select().columns(COLUMNS.map(col)).from(col("plans")).and_where(Expr::col(col("workspace_id")).eq(actor.ws_id())).to_owned();
    if let Some(c) = read_scope(actor) {
        q.and_where(c);
    }
    q
}

fn may_write(actor: &Actor) -> Result<()> {
    if poryadok_core::plan::may_write(actor.caller.role) {
        Ok(())
    } else {
        Err(StoreError::forbidden(PlanMsg::HeadsOnly {}))
    }
}

/// A plan's value: a whole number from 0 to [`MAX_VALUE`].
fn value_of(v: &Json) -> Result<i64> {
    let n = v.as_i64().filter(|n| *n >= 0).ok_or_else(|| StoreError::invalid("value", PlanMsg::ValueShape {}))?;
    if n > MAX_VALUE {
        return Err(StoreError::invalid("value", PlanMsg::ValueTooLarge {}));
    }
    Ok(n)
}

fn id_of(field: &str, v: &Json) -> Result<Option<i64>> {
    match v {
        Json::Null => Ok(None),
        v => v.as_i64().filter(|i| *i > 0).map(Some).ok_or_else(|| StoreError::invalid(field, Common::PositiveInteger {})),
    }
}

/// What a new plan asks for.
struct NewPlan {
    target: Target,
    period: PlanPeriod,
    metric: Metric,
    value: i64,
}

fn read_new(body: &Json) -> Result<NewPlan> {
    let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
    let (mut user, mut team, mut period, mut metric, mut value) = (None, None, None, None, None);
    for (k, v) in obj {
        match k.as_str() {
            "user_id" => user = id_of(k, v)?,
            "team_id" => team = id_of(k, v)?,
            "period" => {
                let s = v.as_str().ok_or_else(|| StoreError::invalid("period", PlanMsg::PeriodShape {}))?;
                period = Some(PlanPeriod::parse(s).map_err(|m| StoreError::invalid("period", m))?);
            }
            "metric" => {
                let s = v.as_str().unwrap_or_default();
                metric = Some(Metric::parse(s).ok_or_else(|| StoreError::invalid("metric", Common::OneOf { list: Metric::names() }))?);
            }
            "value" => value = Some(value_of(v)?),
            k if READ_ONLY.contains(&k) => return Err(StoreError::invalid(k, Common::ReadOnly {})),
            k => return Err(StoreError::invalid(k, Common::UnknownField { expected: words(WRITABLE) })),
        }
    }
    let target = match (user, team) {
        (Some(u), None) => Target::User(u),
        (None, Some(t)) => Target::Team(t),
        (Some(_), Some(_)) => return Err(StoreError::invalid("team_id", PlanMsg::OneTarget {})),
        (None, None) => return Err(StoreError::invalid("user_id", PlanMsg::OneTarget {})),
    };
    Ok(NewPlan {
        target,
        period: period.ok_or_else(|| StoreError::invalid("period", Common::Required {}))?,
        metric: metric.ok_or_else(|| StoreError::invalid("metric", Common::Required {}))?,
        value: value.ok_or_else(|| StoreError::invalid("value", Common::Required {}))?,
    })
}

/// Keyset position in the list: the last id.
fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(id.to_string())
}

fn decode_cursor(raw: &str) -> Result<i64> {
    let bad = || StoreError::invalid("cursor", Common::BadCursor {});
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    std::str::from_utf8(&bytes).ok().and_then(|s| s.parse::<i64>().ok()).ok_or_else(bad)
}

/// Narrowing of the plan list; every part optional.
#[derive(Debug, Default, Clone)]
pub struct PlanQuery {
    pub period: Option<PlanPeriod>,
    pub user_id: Option<i64>,
    /// The team's own plans and its members'.
    pub team_id: Option<i64>,
    pub metric: Option<Metric>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl PlanQuery {
    pub const PARAMS: [&'static str; 6] = ["period", "user_id", "team_id", "metric", "limit", "cursor"];

    /// Reads the list's query pairs; anything else, or a value that does not read, is a
    /// validation error naming it.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<PlanQuery> {
        let mut q = PlanQuery::default();
        let id =
            |k: &str, v: &str| v.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| StoreError::invalid(k, Common::PositiveInteger {}));
        for (k, v) in pairs {
            if v.is_empty() {
                continue;
            }
            match k {
                "period" => q.period = Some(PlanPeriod::parse(v).map_err(|m| StoreError::invalid("period", m))?),
                "user_id" => q.user_id = Some(id(k, v)?),
                "team_id" => q.team_id = Some(id(k, v)?),
                "metric" => {
                    q.metric = Some(Metric::parse(v).ok_or_else(|| StoreError::invalid("metric", Common::OneOf { list: Metric::names() }))?)
                }
                "limit" => q.limit = Some(v.to_string()),
                "cursor" => q.cursor = Some(v.to_string()),
                other => return Err(StoreError::invalid(other, Common::UnknownParameter { expected: words(PlanQuery::PARAMS) })),
            }
        }
        Ok(q)
    }
}

/// One cell of a grid or a sheet: a target's plan for a metric in a period; none removes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanSet {
    pub target: Target,
    pub period: PlanPeriod,
    pub metric: Metric,
    pub value: Option<i64>,
}

/// What a cell did to the stored plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetAction {
    Created,
    Updated,
    Removed,
    Unchanged,
}

impl SetAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SetAction::Created => "created",
            SetAction::Updated => "updated",
            SetAction::Removed => "removed",
            SetAction::Unchanged => "unchanged",
        }
    }
}

/// What a grid's save did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetReport {
    pub created: u64,
    pub updated: u64,
    pub removed: u64,
    pub unchanged: u64,
}

impl SetReport {
    fn count(&mut self, a: SetAction) {
        match a {
            SetAction::Created => self.created += 1,
            SetAction::Updated => self.updated += 1,
            SetAction::Removed => self.removed += 1,
            SetAction::Unchanged => self.unchanged += 1,
        }
    }

    pub fn changed(&self) -> u64 {
        self.created + self.updated + self.removed
    }
}

/// A user plans may be set for, as a grid lists them and a sheet names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanUser {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub team_id: Option<i64>,
    pub active: bool,
}

/// The roles whose members a period's grid lists (others appear once they have a plan).
pub const SELLING_ROLES: [&str; 3] = ["manager", "consultant", "partner_manager"];

async fn insert(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, p: &NewPlan, now: i64) -> Result<Plan> {
    let (user_id, team_id) = p.target.columns();
    let q = Query::insert()
        .into_table(col("plans"))
        .columns(
            [
                "workspace_id",
                "user_id",
                "team_id",
                "target_key",
                "period",
                "metric",
                "value",
                "version",
                "created_by",
                "created_at",
                "updated_at",
            ]
            .map(col),
        )
        .values([
            actor.ws_id().into(),
            user_id.into(),
            team_id.into(),
            p.target.key().into(),
            p.period.key().into(),
            p.metric.as_str().into(),
            p.value.into(),
            1i64.into(),
            (actor.user_id() != 0).then_some(actor.user_id()).into(),
            now.into(),
            now.into(),
        ])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .returning_col(col("id"))
        .to_owned();
    let id: i64 = conn.query_one(backend.build(&q)).await?.ok_or_else(|| StoreError::Internal("no plan id".into()))?.try_get("", "id")?;
    let plan = Plan {
        id,
        target: p.target,
        period: p.period,
        metric: p.metric,
        value: p.value,
        version: 1,
        created_by: (actor.user_id() != 0).then_some(actor.user_id()),
        created_at: now,
        updated_at: now,
    };
    let changes = plan.fields().into_iter().map(|(k, v)| (k, json!({"from": null, "to": v}))).collect();
    append_history(conn, backend, actor, "plan", id, HistoryAction::Create, changes, now).await?;
    Ok(plan)
}

async fn change_value(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, plan: &Plan, value: i64, now: i64) -> Result<Plan> {
    let q = Query::update()
        .table(col("plans"))
        .value(col("value"), value)
        .value(col("version"), plan.version + 1)
        .value(col("updated_at"), now)
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("id")).eq(plan.id))
        .to_owned();
    conn.execute(backend.build(&q)).await?;
    let mut changes = Map::new();
    changes.insert("value".into(), json!({"from": plan.value, "to": value}));
    append_history(conn, backend, actor, "plan", plan.id, HistoryAction::Update, changes, now).await?;
    Ok(Plan { value, version: plan.version + 1, updated_at: now, ..plan.clone() })
}

async fn remove(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, plan: &Plan, now: i64) -> Result<()> {
    let q = Query::delete()
        .from_table(col("plans"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("id")).eq(plan.id))
        .to_owned();
    conn.execute(backend.build(&q)).await?;
    let changes = plan.fields().into_iter().map(|(k, v)| (k, json!({"from": v, "to": null}))).collect();
    append_history(conn, backend, actor, "plan", plan.id, HistoryAction::Delete, changes, now).await
}

async fn existing(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    periods: &[PlanPeriod],
) -> Result<HashMap<(Target, PlanPeriod, Metric), Plan>> {
    let mut out = HashMap::new();
    if periods.is_empty() {
        return Ok(out);
    }
    let keys: Vec<String> = periods.iter().map(PlanPeriod::key).collect();
    let q = Query::select()
        .columns(COLUMNS.map(col))
        .from(col("plans"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("period")).is_in(keys))
        .to_owned();
    for r in conn.query_all(backend.build(&q)).await? {
        let p = decode(&r)?;
        out.insert((p.target, p.period, p.metric), p);
    }
    Ok(out)
}

impl Db {
    /// The workspace's users and teams, for checking a plan's target.
    pub async fn plan_users(&self, actor: &Actor) -> Result<Vec<PlanUser>> {
        let q = Query::select()
            .columns(["id", "name", "email", "role", "team_id", "active"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .order_by(col("name"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .to_owned();
        self.read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| {
                Ok(PlanUser {
                    id: r.try_get("", "id")?,
                    name: r.try_get("", "name")?,
                    email: r.try_get("", "email")?,
                    role: r.try_get("", "role")?,
                    team_id: r.try_get("", "team_id")?,
                    active: r.try_get("", "active")?,
                })
            })
            .collect()
    }

    /// The workspace's live teams by name: `(id, name)`.
    pub async fn plan_teams(&self, actor: &Actor) -> Result<Vec<(i64, String)>> {
        let q = Query::select()
            .columns(["id", "name"].map(col))
            .from(col("teams"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("name"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(|r| Ok((r.try_get("", "id")?, r.try_get("", "name")?))).collect()
    }

    /// Checks that a target is an active user or a live team of the workspace.
    async fn check_target(&self, actor: &Actor, target: Target) -> Result<()> {
        match target {
            Target::User(id) => {
                if !self.plan_users(actor).await?.iter().any(|u| u.id == id && u.active) {
                    return Err(StoreError::invalid("user_id", PlanMsg::NoUser { id }));
                }
            }
            Target::Team(id) => {
                if !self.plan_teams(actor).await?.iter().any(|t| t.0 == id) {
                    return Err(StoreError::invalid("team_id", PlanMsg::NoTeam { id }));
                }
            }
        }
        Ok(())
    }

    /// One plan the caller reads.
    pub async fn plan(&self, actor: &Actor, id: i64) -> Result<Plan> {
        let mut q = visible(actor);
        q.and_where(Expr::col(col("id")).eq(id));
        decode(&self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?)
    }

    /// The plans the caller reads, oldest first, paged by cursor.
    pub async fn plans(&self, actor: &Actor, pq: &PlanQuery) -> Result<Page<Plan>> {
        let limit = parse_limit(pq.limit.as_deref())?;
        let mut q = visible(actor);
        if let Some(p) = pq.period {
            q.and_where(Expr::col(col("period")).eq(p.key()));
        }
        if let Some(u) = pq.user_id {
            q.and_where(Expr::col(col("user_id")).eq(u));
        }
        if let Some(t) = pq.team_id {
            q.and_where(Expr::col(col("team_id")).eq(t).or(Expr::col(col("user_id")).in_subquery(members_of(actor.ws_id(), t))));
        }
        if let Some(m) = pq.metric {
            q.and_where(Expr::col(col("metric")).eq(m.as_str()));
        }
        if let Some(c) = &pq.cursor {
            q.and_where(Expr::col(col("id")).gt(decode_cursor(c)?));
        }
        q.order_by(col("id"), Order::Asc).limit(limit + 1);
        let mut data = self.read.query_all(self.backend.build(&q)).await?.iter().map(decode).collect::<Result<Vec<_>>>()?;
        let next_cursor = if data.len() as u64 > limit {
            data.truncate(limit as usize);
            data.last().map(|p| encode_cursor(p.id))
        } else {
            None
        };
        Ok(Page { data, next_cursor })
    }

    /// The plans of `periods` the caller reads, every one (no paging: a period has a few per person).
    pub async fn plans_of(&self, actor: &Actor, periods: &[PlanPeriod]) -> Result<Vec<Plan>> {
        if periods.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = visible(actor);
        q.and_where(Expr::col(col("period")).is_in(periods.iter().map(PlanPeriod::key).collect::<Vec<_>>()));
        q.order_by(col("id"), Order::Asc);
        self.read.query_all(self.backend.build(&q)).await?.iter().map(decode).collect()
    }

    /// Creates a plan: `{user_id | team_id, period, metric, value}`. A plan already set for the
    /// same target, period and metric is a conflict naming it.
    pub async fn create_plan(&self, actor: &Actor, body: &Json) -> Result<Plan> {
        may_write(actor)?;
        let new = read_new(body)?;
        self.check_target(actor, new.target).await?;
        let tx = self.write.begin().await?;
        if let Some(p) = existing(&tx, self.backend, actor.ws_id(), &[new.period]).await?.get(&(new.target, new.period, new.metric)) {
            return Err(StoreError::conflict("period", PlanMsg::Exists { id: p.id }));
        }
        let plan = match insert(&tx, self.backend, actor, &new, self.clock.now_ms()).await {
            // Another writer set it between the check and the insert.
            Err(e) if e.is_unique_violation() => {
                drop(tx);
                let id = existing(&self.read, self.backend, actor.ws_id(), &[new.period])
                    .await?
                    .get(&(new.target, new.period, new.metric))
                    .map_or(0, |p| p.id);
                return Err(StoreError::conflict("period", PlanMsg::Exists { id }));
            }
            other => other?,
        };
        tx.commit().await?;
        Ok(plan)
    }

    /// Changes a plan's `value` (nothing else changes; `If-Match` guards against a stale read).
    pub async fn update_plan(&self, actor: &Actor, id: i64, body: &Json, if_match: Option<i64>) -> Result<Plan> {
        may_write(actor)?;
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        let mut value = None;
        for (k, v) in obj {
            match k.as_str() {
                "value" => value = Some(value_of(v)?),
                k if READ_ONLY.contains(&k) => return Err(StoreError::invalid(k, Common::ReadOnly {})),
                k if WRITABLE.contains(&k) => return Err(StoreError::invalid(k, PlanMsg::ChangeByValue {})),
                k => return Err(StoreError::invalid(k, Common::UnknownField { expected: words(["value"]) })),
            }
        }
        let value = value.ok_or_else(|| StoreError::invalid("value", Common::Required {}))?;
        let tx = self.write.begin().await?;
        let mut q = visible(actor);
        q.and_where(Expr::col(col("id")).eq(id));
        if self.backend == DbBackend::Postgres {
            q.lock(sea_query::LockType::Update);
        }
        let plan = decode(&tx.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?)?;
        if if_match.is_some_and(|v| v != plan.version) {
            return Err(StoreError::Stale { current: plan.version });
        }
        if plan.value == value {
            return Ok(plan);
        }
        let plan = change_value(&tx, self.backend, actor, &plan, value, self.clock.now_ms()).await?;
        tx.commit().await?;
        Ok(plan)
    }

    pub async fn delete_plan(&self, actor: &Actor, id: i64) -> Result<()> {
        may_write(actor)?;
        let plan = self.plan(actor, id).await?;
        let tx = self.write.begin().await?;
        remove(&tx, self.backend, actor, &plan, self.clock.now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets many plans in one transaction (a period's grid): creates, changes or removes each
    /// cell's plan; a target that is not an active user or a team of the workspace refuses the
    /// whole save, naming it.
    pub async fn set_plans(&self, actor: &Actor, cells: &[PlanSet]) -> Result<SetReport> {
        may_write(actor)?;
        let (users, teams) = (self.plan_users(actor).await?, self.plan_teams(actor).await?);
        for c in cells.iter().filter(|c| c.value.is_some()) {
            match c.target {
                Target::User(id) if !users.iter().any(|u| u.id == id && u.active) => {
                    return Err(StoreError::invalid("user_id", PlanMsg::NoUser { id }))
                }
                Target::Team(id) if !teams.iter().any(|t| t.0 == id) => return Err(StoreError::invalid("team_id", PlanMsg::NoTeam { id })),
                _ => {}
            }
            if c.value.is_some_and(|v| !(0..=MAX_VALUE).contains(&v)) {
                return Err(StoreError::invalid("value", PlanMsg::ValueShape {}));
            }
        }
        let tx = self.write.begin().await?;
        let mut report = SetReport::default();
        let mut current = self.current_plans(&tx, actor, cells).await?;
        for c in cells {
            report.count(self.set_one(&tx, actor, &mut current, c).await?);
        }
        tx.commit().await?;
        Ok(report)
    }

    async fn current_plans(
        &self,
        conn: &impl ConnectionTrait,
        actor: &Actor,
        cells: &[PlanSet],
    ) -> Result<HashMap<(Target, PlanPeriod, Metric), Plan>> {
        let mut periods: Vec<PlanPeriod> = cells.iter().map(|c| c.period).collect();
        periods.sort();
        periods.dedup();
        existing(conn, self.backend, actor.ws_id(), &periods).await
    }

    async fn set_one(
        &self,
        conn: &impl ConnectionTrait,
        actor: &Actor,
        current: &mut HashMap<(Target, PlanPeriod, Metric), Plan>,
        c: &PlanSet,
    ) -> Result<SetAction> {
        let key = (c.target, c.period, c.metric);
        let now = self.clock.now_ms();
        Ok(match (current.get(&key).cloned(), c.value) {
            (None, None) => SetAction::Unchanged,
            (Some(p), None) => {
                remove(conn, self.backend, actor, &p, now).await?;
                current.remove(&key);
                SetAction::Removed
            }
            (Some(p), Some(v)) if p.value == v => SetAction::Unchanged,
            (Some(p), Some(v)) => {
                let p = change_value(conn, self.backend, actor, &p, v, now).await?;
                current.insert(key, p);
                SetAction::Updated
            }
            (None, Some(v)) => {
                let p = insert(conn, self.backend, actor, &NewPlan { target: c.target, period: c.period, metric: c.metric, value: v }, now)
                    .await?;
                current.insert(key, p);
                SetAction::Created
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The import of a plan sheet.

/// Rows in one sheet at most.
pub const MAX_ROWS: usize = 5_000;
const HEADER_SEARCH: usize = 20;

/// The columns of a plan sheet besides the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Column {
    Manager,
    Period,
    Metric(Metric),
}

impl Column {
    fn key(self) -> &'static str {
        match self {
            Column::Manager => "manager",
            Column::Period => "period",
            Column::Metric(m) => m.as_str(),
        }
    }

    /// Headers that name the column, normalised (lower case, `ё` as `е`, single spaces).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Manager => &[
                "менеджер",
                "сотрудник",
                "пользователь",
                "ответственный",
                "e-mail",
                "email",
                "почта",
                "manager",
                "user",
                "employee",
                "salesperson",
            ],
            Column::Period => &["период", "месяц", "квартал", "period", "month", "quarter"],
            Column::Metric(Metric::Revenue) => {
                &["выручка", "план по выручке", "сумма продаж", "оборот", "revenue", "sales", "sales amount"]
            }
            Column::Metric(Metric::WonDeals) => &[
                "сделки",
                "выигранные сделки",
                "успешные сделки",
                "продажи",
                "количество продаж",
                "won deals",
                "deals won",
                "deals",
                "won",
            ],
            Column::Metric(Metric::Calls) => &["звонки", "исходящие звонки", "calls", "outgoing calls"],
            Column::Metric(Metric::Emails) => &["письма", "отправленные письма", "emails", "e-mails", "emails sent", "e-mails sent"],
            Column::Metric(Metric::Invoices) => &["счета", "выставленные счета", "invoices", "invoices issued"],
        }
    }

    fn all() -> Vec<Column> {
        let mut v = vec![Column::Manager, Column::Period];
        v.extend(Metric::ALL.map(Column::Metric));
        v
    }
}

fn normalise_header(h: &str) -> String {
    let h =
        h.trim().trim_matches(|c| c == '"' || c == '\'' || c == '\u{feff}').trim_end_matches([':', '.']).to_lowercase().replace('ё', "е");
    let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
    // "Выручка, ₽" and "Revenue (RUB)" name the revenue column.
    h.split([',', '(']).next().unwrap_or("").trim().to_string()
}

/// One row of a sheet as the preview shows it: whose plan, for when, and what each cell does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportLine {
    pub line: u64,
    pub user_id: i64,
    pub user_name: String,
    pub period: PlanPeriod,
    pub cells: Vec<(Metric, i64, SetAction)>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanImportReport {
    pub dry_run: bool,
    /// Data rows read (the header and blank rows not counted).
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub lines: Vec<ImportLine>,
    /// Rows refused, with the line and column; the other rows are applied.
    pub errors: Vec<RowError>,
}

impl PlanImportReport {
    pub fn to_json(&self) -> Json {
        json!({
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "lines": self.lines.iter().map(|l| json!({
                "line": l.line,
                "user_id": l.user_id,
                "user": l.user_name,
                "period": l.period.key(),
                "cells": l.cells.iter().map(|(m, v, a)| json!({"metric": m.as_str(), "value": v, "action": a.as_str()})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "errors": self.errors.iter().map(RowError::to_json).collect::<Vec<_>>(),
        })
    }
}

/// A count cell: a whole number, zero or more (`12`, `12.0` as a sheet may store it).
fn parse_count(raw: &str) -> std::result::Result<i64, Msg> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
    let s = s.strip_suffix(".0").or_else(|| s.strip_suffix(",0")).unwrap_or(&s);
    s.parse::<i64>().ok().filter(|n| (0..=MAX_VALUE).contains(n)).ok_or_else(|| PlanMsg::NotCount { raw: raw.to_string() }.into())
}

fn fold_name(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().replace('ё', "е")
}

/// The user a sheet's manager cell names: by e-mail, else by the one active user of that name.
fn find_user<'a>(users: &'a [PlanUser], raw: &str) -> std::result::Result<&'a PlanUser, Msg> {
    let want = fold_name(raw);
    let active = || users.iter().filter(|u| u.active);
    if let Some(u) = active().find(|u| u.email.to_lowercase() == want) {
        return Ok(u);
    }
    let named: Vec<&PlanUser> = active().filter(|u| fold_name(&u.name) == want).collect();
    match named.as_slice() {
        [u] => Ok(u),
        [] => Err(PlanMsg::UnknownManager { raw: raw.trim().to_string() }.into()),
        _ => Err(PlanMsg::AmbiguousManager { raw: raw.trim().to_string() }.into()),
    }
}

/// A good row of a sheet: its line, the user's id and name, the period and the values it sets.
type SheetLine = (u64, i64, String, PlanPeriod, Vec<(Metric, i64)>);

/// A sheet's rows, read and checked: the cells to set, and the rows refused.
struct Parsed {
    rows: u64,
    lines: Vec<SheetLine>,
    errors: Vec<RowError>,
}

fn read_sheet(table: &crate::tabular::Table, users: &[PlanUser], default_period: Option<PlanPeriod>) -> Result<Parsed> {
    // The header: the first of the top rows with a manager column and a metric column.
    let mut found = None;
    for (i, (_, cells)) in table.rows.iter().enumerate().take(HEADER_SEARCH) {
        let norm: Vec<String> = cells.iter().map(|c| normalise_header(c)).collect();
        let map: HashMap<Column, usize> =
            Column::all().into_iter().filter_map(|c| norm.iter().position(|h| c.aliases().contains(&h.as_str())).map(|i| (c, i))).collect();
        if map.contains_key(&Column::Manager) && map.keys().any(|c| matches!(c, Column::Metric(_))) {
            found = Some((i, map, cells.clone()));
            break;
        }
    }
    let Some((at, map, header)) = found else {
        let first = table.rows.first().map(|(_, c)| c.iter().map(|c| normalise_header(c)).collect::<Vec<_>>()).unwrap_or_default();
        if first.iter().any(|h| Column::Manager.aliases().contains(&h.as_str())) {
            return Err(StoreError::invalid("file", PlanMsg::NoMetricColumns {}));
        }
        return Err(StoreError::invalid("manager", PlanMsg::MissingColumns { columns: vec!["Менеджер / Manager".into()] }));
    };
    if default_period.is_none() && !map.contains_key(&Column::Period) {
        return Err(StoreError::invalid("period", PlanMsg::MissingColumns { columns: vec!["Период / Period".into()] }));
    }
    let data = &table.rows[at + 1..];
    if data.len() > MAX_ROWS {
        return Err(StoreError::invalid("file", InvoiceMsg::TooManyRowsCount { n: data.len() as i64, max: MAX_ROWS as i64 }));
    }
    let head = |c: Column| map.get(&c).and_then(|i| header.get(*i)).cloned().unwrap_or_else(|| c.key().to_string());
    let mut metrics: Vec<(Metric, usize)> = Metric::ALL.iter().filter_map(|m| map.get(&Column::Metric(*m)).map(|i| (*m, *i))).collect();
    metrics.sort_by_key(|(_, i)| *i);
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    let mut seen: HashMap<(i64, PlanPeriod), u64> = HashMap::new();
    for (line, cells) in data {
        let cell = |i: usize| cells.get(i).map_or("", |s| s.trim());
        let err = |c: Column, code: &'static str, message: Msg| RowError { line: *line, column: head(c), code, message: Box::new(message) };
        let parsed = (|| {
            let raw = map.get(&Column::Manager).map_or("", |i| cell(*i));
            if raw.is_empty() {
                return Err(err(Column::Manager, "required", InvoiceMsg::CellEmpty {}.into()));
            }
            let user = find_user(users, raw).map_err(|m| err(Column::Manager, "unknown_manager", m))?;
            let period = match map.get(&Column::Period).map(|i| cell(*i)).filter(|s| !s.is_empty()) {
                Some(p) => PlanPeriod::parse_loose(p)
                    .ok_or_else(|| err(Column::Period, "bad_period", PlanMsg::NotPeriod { raw: p.to_string() }.into()))?,
                None => default_period.ok_or_else(|| err(Column::Period, "required", InvoiceMsg::CellEmpty {}.into()))?,
            };
            let mut values = Vec::new();
            for (m, i) in &metrics {
                let raw = cell(*i);
                if raw.is_empty() {
                    continue;
                }
                let v = if m.is_money() {
                    parse_amount(raw)
                        .map_err(|e| err(Column::Metric(*m), if raw.trim_start().starts_with('-') { "negative" } else { "bad_value" }, e))?
                } else {
                    parse_count(raw)
                        .map_err(|e| err(Column::Metric(*m), if raw.trim_start().starts_with('-') { "negative" } else { "bad_value" }, e))?
                };
                if v > MAX_VALUE {
                    return Err(err(Column::Metric(*m), "bad_value", PlanMsg::ValueTooLarge {}.into()));
                }
                values.push((*m, v));
            }
            if let Some(first) = seen.get(&(user.id, period)) {
                return Err(err(Column::Manager, "duplicate", PlanMsg::DuplicateRow { first: *first as i64 }.into()));
            }
            Ok((*line, user.id, user.name.clone(), period, values))
        })();
        match parsed {
            Ok(l) => {
                seen.insert((l.1, l.3), l.0);
                lines.push(l);
            }
            Err(e) => errors.push(e),
        }
    }
    Ok(Parsed { rows: data.len() as u64, lines, errors })
}

impl Db {
    /// Imports a plan sheet (CSV or XLSX): a row per manager (by name or e-mail) and period
    /// (a month or a quarter; `default_period` for a sheet without that column) with a column
    /// per metric — revenue in currency units, the others as counts. An empty cell leaves that
    /// plan as it is. A row with a mistake is skipped and reported with its line and column;
    /// the others are applied in one transaction, which a dry run rolls back, so the preview is
    /// exactly what the import does. `progress` hears `(rows done, rows)`.
    pub async fn import_plans(
        &self,
        actor: &Actor,
        bytes: &[u8],
        content_type: Option<&str>,
        default_period: Option<PlanPeriod>,
        dry_run: bool,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<PlanImportReport> {
        may_write(actor)?;
        let table = crate::tabular::read_table(bytes, content_type)?;
        let users = self.plan_users(actor).await?;
        let parsed = read_sheet(&table, &users, default_period)?;
        let mut report = PlanImportReport { dry_run, rows: parsed.rows, errors: parsed.errors, ..Default::default() };
        let cells: Vec<PlanSet> = parsed
            .lines
            .iter()
            .flat_map(|(_, user, _, period, values)| {
                values.iter().map(|(m, v)| PlanSet { target: Target::User(*user), period: *period, metric: *m, value: Some(*v) })
            })
            .collect();
        let tx = self.write.begin().await?;
        let mut current = self.current_plans(&tx, actor, &cells).await?;
        let total = parsed.lines.len() as u64;
        for (done, (line, user, name, period, values)) in parsed.lines.into_iter().enumerate() {
            let mut out = Vec::new();
            for (m, v) in values {
                let a = self
                    .set_one(&tx, actor, &mut current, &PlanSet { target: Target::User(user), period, metric: m, value: Some(v) })
                    .await?;
                match a {
                    SetAction::Created => report.created += 1,
                    SetAction::Updated => report.updated += 1,
                    _ => report.unchanged += 1,
                }
                out.push((m, v, a));
            }
            report.lines.push(ImportLine { line, user_id: user, user_name: name, period, cells: out });
            progress(done as u64 + 1, total);
        }
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(report)
    }
}

/// The plans of a period and its months, by target and metric: what the plan-fact report and
/// the bonus report measure against. A quarter's plan is its own, else the sum of its months'
/// plans. A month's plan is its own, else its part of the quarter's plan: what the quarter's plan
/// leaves after the months of the quarter that have their own, spread over the others by their
/// working days in the calendar `hours` ([`poryadok_core::plan::spread`]). `plans` should hold
/// the period's quarter and the quarter's months.
pub fn effective(plans: &[Plan], period: PlanPeriod, hours: &BusinessHours) -> BTreeMap<(Target, Metric), i64> {
    let mut own: BTreeMap<(Target, Metric), i64> = BTreeMap::new();
    let mut months: BTreeMap<(Target, Metric), i64> = BTreeMap::new();
    let parts = period.months();
    for p in plans {
        if p.period == period {
            own.insert((p.target, p.metric), p.value);
        } else if period.is_quarter() && parts.contains(&p.period) {
            let e = months.entry((p.target, p.metric)).or_default();
            *e = e.saturating_add(p.value);
        }
    }
    for (k, v) in months {
        own.entry(k).or_insert(v);
    }
    if let (PlanPeriod::Month { .. }, Some(first)) = (period, period.first_day()) {
        let quarter = PlanPeriod::quarter_of(first);
        for ((target, metric), by_month) in quarter_spread(plans, quarter, hours) {
            if let Some((v, true)) = by_month.iter().find(|(m, _)| *m == period).map(|(_, s)| *s) {
                own.entry((target, metric)).or_insert(v);
            }
        }
    }
    own
}

/// A quarterly plan month by month: `(month, (value, spread))`.
pub type MonthParts = Vec<(PlanPeriod, (i64, bool))>;

/// Each quarterly plan of `quarter` month by month: `(month, (value, spread))` — a month's own
/// plan (`spread` false), or its part of what the quarter's plan leaves after them (`true`).
pub fn quarter_spread(plans: &[Plan], quarter: PlanPeriod, hours: &BusinessHours) -> BTreeMap<(Target, Metric), MonthParts> {
    let months = quarter.months();
    let mut out = BTreeMap::new();
    for q in plans.iter().filter(|p| p.period == quarter) {
        let own: HashMap<PlanPeriod, i64> = plans
            .iter()
            .filter(|p| p.target == q.target && p.metric == q.metric && months.contains(&p.period))
            .map(|p| (p.period, p.value))
            .collect();
        let left = q.value.saturating_sub(own.values().fold(0i64, |a, v| a.saturating_add(*v))).max(0);
        let open: Vec<PlanPeriod> = months.iter().filter(|m| !own.contains_key(m)).copied().collect();
        let shared: HashMap<PlanPeriod, i64> = spread(left, &open, hours).into_iter().collect();
        let by_month = months
            .iter()
            .map(|m| match own.get(m) {
                Some(v) => (*m, (*v, false)),
                None => (*m, (shared.get(m).copied().unwrap_or(0), true)),
            })
            .collect();
        out.insert((q.target, q.metric), by_month);
    }
    out
}

/// A quarterly plan month by month, as [`Db::plan_spread`] answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpreadLine {
    pub target: Target,
    pub metric: Metric,
    /// The quarter's plan.
    pub value: i64,
    /// Each month: its plan, and whether it is the quarter's part (true) or the month's own.
    pub months: Vec<(PlanPeriod, i64, bool)>,
}

impl SpreadLine {
    pub fn to_json(&self) -> Json {
        let (user_id, team_id) = self.target.columns();
        json!({
            "user_id": user_id,
            "team_id": team_id,
            "metric": self.metric.as_str(),
            "value": self.value,
            "months": self.months.iter().map(|(m, v, spread)| json!({"period": m.key(), "value": v, "spread": spread})).collect::<Vec<_>>(),
        })
    }
}

impl Db {
    /// The quarterly plans of the quarter holding `period` (a quarter, or one of its months)
    /// that the caller reads, each spread to its months as [`effective`] measures them.
    pub async fn plan_spread(&self, actor: &Actor, period: PlanPeriod) -> Result<(PlanPeriod, Vec<SpreadLine>)> {
        let quarter = period.first_day().map(PlanPeriod::quarter_of).unwrap_or(period);
        let plans = self.plans_of(actor, &periods_for(quarter)).await?;
        let hours = self.business_hours(actor).await?;
        let values: HashMap<(Target, Metric), i64> =
            plans.iter().filter(|p| p.period == quarter).map(|p| ((p.target, p.metric), p.value)).collect();
        let lines = quarter_spread(&plans, quarter, &hours)
            .into_iter()
            .map(|((target, metric), months)| SpreadLine {
                target,
                metric,
                value: values.get(&(target, metric)).copied().unwrap_or(0),
                months: months.into_iter().map(|(m, (v, spread))| (m, v, spread)).collect(),
            })
            .collect();
        Ok((quarter, lines))
    }
}

/// The periods whose plans [`effective`] reads for `period`: its quarter and the quarter's months.
pub fn periods_for(period: PlanPeriod) -> Vec<PlanPeriod> {
    let quarter = period.first_day().map(PlanPeriod::quarter_of).unwrap_or(period);
    let mut out = vec![quarter];
    out.extend(quarter.months());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, name: &str, email: &str) -> PlanUser {
        PlanUser { id, name: name.into(), email: email.into(), role: "manager".into(), team_id: None, active: true }
    }

    #[test]
    fn a_sheet_is_read_by_its_headers_with_an_error_per_bad_row() {
        let users = [user(1, "Анна Петрова", "anna@a.test"), user(2, "Иван", "ivan@a.test"), user(3, "Иван", "ivan2@a.test")];
        let rows = |r: &[&[&str]]| crate::tabular::Table {
            rows: r.iter().enumerate().map(|(i, c)| (i as u64 + 1, c.iter().map(|s| s.to_string()).collect())).collect(),
        };
        let t = rows(&[
            &["План продаж на ноябрь"],
            &["Менеджер", "Период", "Выручка, ₽", "Звонки", "Счета"],
            &["анна петрова", "11.2026", "1 500 000", "200", ""],
            &["ivan2@a.test", "2026-Q4", "100,50", "12.0", "3"],
            &["Иван", "2026-11", "1", "1", "1"],
            &["Пётр", "2026-11", "1", "1", "1"],
            &["anna@a.test", "ноябрь 2026", "-5", "", ""],
            &["anna@a.test", "когда-то", "5", "", ""],
            &["Анна Петрова", "2026-11", "5", "", ""],
        ]);
        let p = read_sheet(&t, &users, None).unwrap();
        assert_eq!(p.rows, 7);
        let nov = PlanPeriod::parse("2026-11").unwrap();
        assert_eq!(p.lines[0], (3, 1, "Анна Петрова".to_string(), nov, vec![(Metric::Revenue, 150_000_000), (Metric::Calls, 200)]));
        assert_eq!(p.lines[1].3.key(), "2026-Q4");
        assert_eq!(p.lines[1].4, vec![(Metric::Revenue, 10_050), (Metric::Calls, 12), (Metric::Invoices, 3)]);
        let errs: Vec<(u64, &str, &str)> = p.errors.iter().map(|e| (e.line, e.column.as_str(), e.code)).collect();
        assert_eq!(
            errs,
            vec![
                (5, "Менеджер", "unknown_manager"),
                (6, "Менеджер", "unknown_manager"),
                (7, "Выручка, ₽", "negative"),
                (8, "Период", "bad_period"),
                (9, "Менеджер", "duplicate"),
            ]
        );
        assert_eq!(p.errors[0].message.code(), "plan_import_ambiguous_manager");
        // Without a period column, the given period; without one given, the column is missing.
        let t = rows(&[&["E-mail", "Calls"], &["ivan@a.test", "7"]]);
        assert_eq!(read_sheet(&t, &users, Some(nov)).unwrap().lines[0].3, nov);
        assert!(matches!(read_sheet(&t, &users, None), Err(StoreError::Validation(e)) if e.field == "period"));
        let t = rows(&[&["Manager", "Comment"], &["ivan@a.test", "7"]]);
        assert!(matches!(read_sheet(&t, &users, None), Err(StoreError::Validation(e)) if e.field == "file"));
    }

    #[test]
    fn a_quarter_is_planned_by_its_own_plan_or_its_months() {
        let plan = |target, period: &str, metric, value| Plan {
            id: 0,
            target,
            period: PlanPeriod::parse(period).unwrap(),
            metric,
            value,
            version: 1,
            created_by: None,
            created_at: 0,
            updated_at: 0,
        };
        let plans = [
            plan(Target::User(1), "2026-10", Metric::Calls, 100),
            plan(Target::User(1), "2026-11", Metric::Calls, 120),
            plan(Target::User(1), "2026-Q4", Metric::Revenue, 9_000),
            plan(Target::User(1), "2026-11", Metric::Revenue, 1_000),
            plan(Target::Team(5), "2026-12", Metric::Invoices, 7),
        ];
        let hours =
            BusinessHours::parse(&json!({"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "holidays": ["2026-11-04"]})).unwrap();
        let q = effective(&plans, PlanPeriod::parse("2026-Q4").unwrap(), &hours);
        assert_eq!(q.get(&(Target::User(1), Metric::Calls)), Some(&220));
        assert_eq!(q.get(&(Target::User(1), Metric::Revenue)), Some(&9_000));
        assert_eq!(q.get(&(Target::Team(5), Metric::Invoices)), Some(&7));
        let m = effective(&plans, PlanPeriod::parse("2026-11").unwrap(), &hours);
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&(Target::User(1), Metric::Revenue)), Some(&1_000));
        // October and December share what the quarter leaves after November's own 1 000:
        // 8 000 by 22 and 23 working days.
        let oct = effective(&plans, PlanPeriod::parse("2026-10").unwrap(), &hours);
        let dec = effective(&plans, PlanPeriod::parse("2026-12").unwrap(), &hours);
        assert_eq!(oct.get(&(Target::User(1), Metric::Revenue)), Some(&3_911));
        assert_eq!(dec.get(&(Target::User(1), Metric::Revenue)), Some(&4_089));
        assert_eq!(oct.get(&(Target::User(1), Metric::Calls)), Some(&100));
        let spread = quarter_spread(&plans, PlanPeriod::parse("2026-Q4").unwrap(), &hours);
        let by_month = &spread[&(Target::User(1), Metric::Revenue)];
        assert_eq!(
            by_month.iter().map(|(m, v)| (m.key(), *v)).collect::<Vec<_>>(),
            [("2026-10".to_string(), (3_911, true)), ("2026-11".to_string(), (1_000, false)), ("2026-12".to_string(), (4_089, true)),]
        );
        assert_eq!(
            periods_for(PlanPeriod::parse("2026-11").unwrap()).iter().map(|p| p.key()).collect::<Vec<_>>(),
            ["2026-Q4", "2026-10", "2026-11", "2026-12"]
        );
    }
}

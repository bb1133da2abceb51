//! The bonus split by role: each pipeline's split (`bonus_splits`, one row per pipeline, changed
//! by heads of sales and administrators with a `pipeline` history event in the same transaction)
//! and the bonus report — per user over a period, the won deals they earn on, in which role(s),
//! how much, and their revenue plan for the months of the period.
//!
//! Who earns what is [`poryadok_core::bonus::allocate`]'s; this module reads the split, the won
//! deals (closed in the period, whatever the caller's record visibility: a consultant earns on a
//! deal someone else owns), their participants and the owners' teams' heads. What a caller sees
//! of the report is narrower than records: heads, administrators and analysts see everyone's
//! bonus, anyone else only their own.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::plans::{effective, periods_for, Target};
use crate::records::{append_history, fetch_one};
use crate::report::load::{custom_int, COST_FIELD};
use crate::sql::col;
use crate::Db;
use poryadok_core::bonus::{allocate, basis_amount, percent_text, Basis, Role, Split, WonDeal};
use poryadok_core::domain::{CustomFieldType, DealStatus, HistoryAction};
use poryadok_core::msg::ReviewMsg;
use poryadok_core::plan::{Metric, PlanPeriod};
use poryadok_core::report::Period;
use poryadok_core::schema::Entity;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use sea_query::{Alias, Expr, Order, Query};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, HashMap};

/// Each role's share as a percent (`"12.5"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shares {
    pub manager: String,
    pub consultant: String,
    pub head: String,
}

/// A pipeline's split as the API and the settings page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BonusSplit {
    pub pipeline_id: i64,
    pub basis: Basis,
    pub shares: Shares,
    /// The shares' sum, in percent.
    pub total: String,
    /// Whether the pipeline has a split at all (without one its deals pay no bonus).
    pub configured: bool,
    /// Whether deals have the money field `cost` the margin basis needs.
    pub cost_field: bool,
    /// 0 until the first save; the `ETag`.
    pub version: i64,
    #[serde(skip)]
    pub split: Split,
}

impl BonusSplit {
    fn of(pipeline_id: i64, split: Split, configured: bool, cost_field: bool, version: i64) -> BonusSplit {
        BonusSplit {
            pipeline_id,
            basis: split.basis,
            shares: Shares {
                manager: percent_text(split.manager_bp),
                consultant: percent_text(split.consultant_bp),
                head: percent_text(split.head_bp),
            },
            total: percent_text(split.total_bp()),
            configured,
            cost_field,
            version,
            split,
        }
    }
}

/// One role a user played on a deal, and what it paid them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolePart {
    pub role: Role,
    /// The role's share of the basis, in percent.
    pub share: String,
    /// How many people played the role (its part is split equally between them).
    pub shared_by: usize,
    /// Minor units.
    pub amount: i64,
}

/// A won deal in a user's bonus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BonusDeal {
    pub deal_id: i64,
    pub title: String,
    pub pipeline_id: i64,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub closed_at: i64,
    pub currency: String,
    pub value: i64,
    pub basis: Basis,
    /// The amount the shares are taken of (the value, or the margin); none when the basis is the
    /// margin and the deal has no cost.
    pub base: Option<i64>,
    pub roles: Vec<RolePart>,
    /// The user's bonus on the deal, minor units.
    pub amount: i64,
    /// The basis is the margin and the deal has no cost: it pays nothing until one is entered.
    pub cost_missing: bool,
}

/// One user's bonus over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BonusUser {
    pub user_id: i64,
    pub name: String,
    /// Minor units of the workspace's currency.
    pub bonus: i64,
    /// Won deals the user played a role on.
    pub deals: usize,
    /// The revenue of the won deals the user owns (what a revenue plan measures).
    pub revenue: i64,
    /// The user's revenue plan for the months the period covers (none: no plan set).
    pub plan: Option<i64>,
    /// Deals that would pay the user but have no cost under a margin split.
    pub cost_missing: usize,
    pub deal_list: Vec<BonusDeal>,
}

/// The bonus report of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BonusReport {
    pub from: String,
    pub to: String,
    pub currency: String,
    /// The users with a bonus (or a plan) in the period, the largest bonus first.
    pub users: Vec<BonusUser>,
    pub total: i64,
    /// Won deals of the period in pipelines without a split (they pay no bonus).
    pub unsplit_deals: usize,
}

fn may_configure(actor: &Actor) -> Result<()> {
    if actor.caller.role.can_configure_regulation() {
        Ok(())
    } else {
        Err(StoreError::forbidden(ReviewMsg::SplitHeadsOnly {}))
    }
}

fn decode_split(r: &QueryResult) -> Result<(i64, Split, i64)> {
    let basis: String = r.try_get("", "basis")?;
    let split = Split {
        basis: Basis::parse(&basis).ok_or_else(|| StoreError::Internal(format!("a stored bonus split has the basis {basis}")))?,
        manager_bp: r.try_get("", "manager_bp")?,
        consultant_bp: r.try_get("", "consultant_bp")?,
        head_bp: r.try_get("", "head_bp")?,
    };
    Ok((r.try_get("", "pipeline_id")?, split, r.try_get("", "version")?))
}

const SPLIT_COLUMNS: [&str; 6] = ["pipeline_id", "basis", "manager_bp", "consultant_bp", "head_bp", "version"];

async fn splits_of(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, pipeline: Option<i64>) -> Result<Vec<(i64, Split, i64)>> {
    let mut q = Query::select()
        .columns(SPLIT_COLUMNS.map(col))
        .from(col("bonus_splits"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .order_by(col("pipeline_id"), Order::Asc)
        .to_owned();
    if let Some(p) = pipeline {
        q.and_where(Expr::col(col("pipeline_id")).eq(p));
    }
    conn.query_all(backend.build(&q)).await?.iter().map(decode_split).collect()
}

/// The months a period touches, as plan periods.
fn months_of(period: &Period) -> Vec<PlanPeriod> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let (Ok(first), Ok(last)) = (time::Date::parse(&period.from_date, &fmt), time::Date::parse(&period.to_date, &fmt)) else {
        return Vec::new();
    };
    let (mut m, last) = (PlanPeriod::month_of(first), PlanPeriod::month_of(last));
    let mut out = vec![m];
    while m < last && out.len() < 240 {
        m = m.next();
        out.push(m);
    }
    out
}

/// Writes a pipeline's split on `conn` (the settings page's transaction, or a regulation
/// apply's): `None` removes it (the pipeline pays no bonus). The margin needs the deals' money
/// field `cost` (`bonus_split_no_cost`); `if_match` is the version read. A history event on the
/// pipeline names the change. Returns the new version and whether the cost field exists.
pub(crate) async fn put_split_on(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    pipeline: i64,
    split: Option<Split>,
    if_match: Option<i64>,
    now: i64,
) -> Result<(i64, bool)> {
    let ws = actor.ws_id();
    let defs = crate::records::read_custom_defs(conn, backend, ws, Some(Entity::Deal)).await?;
    let cost_field = defs.iter().any(|(_, d)| d.key == COST_FIELD && d.field_type == CustomFieldType::Money);
    if split.is_some_and(|s| s.basis == Basis::Margin) && !cost_field {
        return Err(StoreError::invalid("basis", ReviewMsg::SplitNoCost {}));
    }
    let mut read = Query::select()
        .columns(SPLIT_COLUMNS.map(col))
        .from(col("bonus_splits"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("pipeline_id")).eq(pipeline))
        .to_owned();
    if backend == DbBackend::Postgres {
        read.lock(sea_query::LockType::Update);
    }
    let before = conn.query_one(backend.build(&read)).await?.as_ref().map(decode_split).transpose()?;
    let version = before.as_ref().map_or(0, |(_, _, v)| *v);
    if if_match.is_some_and(|v| v != version) {
        return Err(StoreError::Stale { current: version });
    }
    let values = |s: &Split| -> Vec<(Alias, sea_query::SimpleExpr)> {
        vec![
            (col("basis"), s.basis.as_str().into()),
            (col("manager_bp"), s.manager_bp.into()),
            (col("consultant_bp"), s.consultant_bp.into()),
            (col("head_bp"), s.head_bp.into()),
            (col("version"), (version + 1).into()),
            (col("updated_by"), actor.user_id().into()),
            (col("updated_at"), now.into()),
        ]
    };
    let this = || Expr::col(col("workspace_id")).eq(ws).and(Expr::col(col("pipeline_id")).eq(pipeline));
    let stmt = match (&split, &before) {
        (None, None) => return Ok((0, cost_field)),
        (None, Some(_)) => backend.build(&Query::delete().from_table(col("bonus_splits")).cond_where(this()).to_owned()),
        (Some(s), Some(_)) => backend.build(&Query::update().table(col("bonus_splits")).values(values(s)).cond_where(this()).to_owned()),
        (Some(s), None) => {
            let (cols, vals): (Vec<Alias>, Vec<sea_query::SimpleExpr>) = values(s).into_iter().unzip();
            let mut ins = Query::insert();
            ins.into_table(col("bonus_splits")).columns([col("workspace_id"), col("pipeline_id")].into_iter().chain(cols));
            ins.values([ws.into(), pipeline.into()].into_iter().chain(vals)).map_err(|e| StoreError::Internal(e.to_string()))?;
            backend.build(&ins)
        }
    };
    conn.execute(stmt).await?;
    let shown = |s: &Split| json!({"basis": s.basis, "shares": BonusSplit::of(pipeline, *s, true, cost_field, 0).shares});
    let mut changes = Map::new();
    changes.insert("bonus_split".into(), json!({"from": before.as_ref().map(|(_, s, _)| shown(s)), "to": split.as_ref().map(shown)}));
    append_history(conn, backend, actor, Entity::Pipeline.name(), pipeline, HistoryAction::Update, changes, now).await?;
    Ok((if split.is_some() { version + 1 } else { 0 }, cost_field))
}

/// Every pipeline's split that is set, by pipeline, read on `conn`.
pub(crate) async fn splits_on(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<BTreeMap<i64, Split>> {
    Ok(splits_of(conn, backend, ws, None).await?.into_iter().map(|(p, s, _)| (p, s)).collect())
}

impl Db {
    async fn cost_field(&self, ws: i64) -> Result<bool> {
        let defs = crate::records::read_custom_defs(&self.read, self.backend, ws, Some(Entity::Deal)).await?;
        Ok(defs.iter().any(|(_, d)| d.key == COST_FIELD && d.field_type == CustomFieldType::Money))
    }

    /// A pipeline's split (an unset one is revenue with no shares, `configured: false`).
    pub async fn bonus_split(&self, actor: &Actor, pipeline: i64) -> Result<BonusSplit> {
        fetch_one(&self.read, self.backend, Entity::Pipeline, actor, pipeline, false).await?;
        let cost_field = self.cost_field(actor.ws_id()).await?;
        Ok(match splits_of(&self.read, self.backend, actor.ws_id(), Some(pipeline)).await?.into_iter().next() {
            Some((_, split, version)) => BonusSplit::of(pipeline, split, true, cost_field, version),
            None => BonusSplit::of(pipeline, Split::default(), false, cost_field, 0),
        })
    }

    /// Every pipeline's split that is set, by pipeline.
    pub async fn bonus_splits(&self, actor: &Actor) -> Result<BTreeMap<i64, Split>> {
        splits_on(&self.read, self.backend, actor.ws_id()).await
    }

    /// Sets a pipeline's split from `{basis, shares: {manager, consultant, head}}` (percents).
    /// Shares over 100 % in total are refused (`bonus_split_over`); the margin needs the deals'
    /// money field `cost` (`bonus_split_no_cost`). `if_match` is the version read.
    pub async fn put_bonus_split(&self, actor: &Actor, pipeline: i64, body: &Json, if_match: Option<i64>) -> Result<BonusSplit> {
        may_configure(actor)?;
        fetch_one(&self.read, self.backend, Entity::Pipeline, actor, pipeline, false).await?;
        let split = Split::parse(body).map_err(StoreError::Validation)?;
        let tx = self.write.begin().await?;
        let (version, cost_field) = put_split_on(&tx, self.backend, actor, pipeline, Some(split), if_match, self.clock.now_ms()).await?;
        tx.commit().await?;
        Ok(BonusSplit::of(pipeline, split, true, cost_field, version))
    }

    /// The bonus of each user over `period` (one user with `user`), each with the list of their
    /// deals. A caller who is not a head, an administrator or an analyst sees only their own;
    /// asking for someone else's is refused.
    pub async fn bonus_report(&self, actor: &Actor, period: &Period, user: Option<i64>) -> Result<BonusReport> {
        self.bonus_report_of(actor, period, user, true).await
    }

    /// [`Db::bonus_report`], with each user's `deal_list` only when `with_deals` (the figures
    /// are the same; the whole team's totals — the page and the API without `user_id` — skip
    /// building a line per deal and person, which is most of the report's work).
    pub async fn bonus_report_of(&self, actor: &Actor, period: &Period, user: Option<i64>, with_deals: bool) -> Result<BonusReport> {
        let own_only = !actor.caller.role.sees_all();
        if own_only && user.is_some_and(|u| u != actor.user_id()) {
            return Err(StoreError::forbidden(ReviewMsg::BonusOwnOnly {}));
        }
        let wanted = if own_only { Some(actor.user_id()) } else { user };
        let ws = actor.ws_id();
        let splits = self.bonus_splits(actor).await?;
        let cost_field = self.cost_field(ws).await?;
        let won = || {
            Query::select()
                .from(col("deals"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("deleted_at")).is_null())
                .and_where(Expr::col(col("status")).eq(DealStatus::Won.as_str()))
                .and_where(Expr::col(col("closed_at")).gte(period.from))
                .and_where(Expr::col(col("closed_at")).lt(period.to))
                .to_owned()
        };
        let cost = if cost_field { custom_int(self.backend, "custom", COST_FIELD) } else { "NULL".into() };
        let mut deals_q = won()
            .columns(["id", "pipeline_id", "value", "currency", "owner_id"].map(col))
            .expr_as(Expr::cust(cost), Alias::new("cost"))
            .to_owned();
        if with_deals {
            deals_q.columns(["title", "closed_at"].map(col)).order_by(col("closed_at"), Order::Asc).order_by(col("id"), Order::Asc);
        }
        // The participants who earn (managers and consultants), read in the same pass of the
        // period's won deals.
        let mut participants: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
        let pq = Query::select()
            .columns(["deal_id", "user_id", "role"].map(col))
            .from(col("deal_participants"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("role")).is_in([Role::Manager.as_str(), Role::Consultant.as_str()]))
            .and_where(Expr::col(col("deal_id")).in_subquery(won().column(col("id")).to_owned()))
            .to_owned();
        let (rows, prows) =
            tokio::try_join!(self.read.query_all(self.backend.build(&deals_q)), self.read.query_all(self.backend.build(&pq)))?;
        for r in &prows {
            participants.entry(r.try_get_by_index(0)?).or_default().push((r.try_get_by_index(1)?, r.try_get_by_index(2)?));
        }
        drop(prows);
        let uq = Query::select()
            .columns(["id", "name", "team_id"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .to_owned();
        let mut names: HashMap<i64, String> = HashMap::new();
        let mut team_of: HashMap<i64, i64> = HashMap::new();
        for r in self.read.query_all(self.backend.build(&uq)).await? {
            let id: i64 = r.try_get("", "id")?;
            names.insert(id, r.try_get("", "name")?);
            if let Some(t) = r.try_get::<Option<i64>>("", "team_id")? {
                team_of.insert(id, t);
            }
        }
        let tq = Query::select()
            .columns(["id", "head_id"].map(col))
            .from(col("teams"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        let mut head_of: HashMap<i64, i64> = HashMap::new();
        for r in self.read.query_all(self.backend.build(&tq)).await? {
            if let Some(h) = r.try_get::<Option<i64>>("", "head_id")? {
                head_of.insert(r.try_get("", "id")?, h);
            }
        }
        // The owner's head, looked up once per owner.
        let owner_head = |o: i64| team_of.get(&o).and_then(|t| head_of.get(t)).copied();

        let mut users: BTreeMap<i64, BonusUser> = BTreeMap::new();
        let mut foreign: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let blank = |id: i64| BonusUser {
            user_id: id,
            name: names.get(&id).cloned().unwrap_or_default(),
            bonus: 0,
            deals: 0,
            revenue: 0,
            plan: None,
            cost_missing: 0,
            deal_list: Vec::new(),
        };
        let mut unsplit_deals = 0;
        // One deal's earners, reused from deal to deal: (user, their parts).
        let mut by_user: Vec<(i64, Vec<RolePart>)> = Vec::new();
        let ws_currency = actor.ws.currency.as_str();
        for r in &rows {
            // Columns by position, as selected above: id, pipeline_id, value, currency, owner_id,
            // cost[, title, closed_at].
            let id: i64 = r.try_get_by_index(0)?;
            let pipeline_id: i64 = r.try_get_by_index(1)?;
            let value: i64 = r.try_get_by_index(2)?;
            let owner_id: Option<i64> = r.try_get_by_index(4)?;
            if let Some(o) = owner_id.filter(|o| wanted.is_none_or(|w| w == *o)) {
                users.entry(o).or_insert_with(|| blank(o)).revenue += value;
            }
            let Some(split) = splits.get(&pipeline_id) else {
                unsplit_deals += 1;
                continue;
            };
            let deal = WonDeal {
                value,
                cost: r.try_get_by_index(5)?,
                owner_id,
                participants: participants.remove(&id).unwrap_or_default(),
                head_id: owner_id.and_then(owner_head),
            };
            let base = basis_amount(split.basis, &deal);
            by_user.clear();
            let earner = |u: i64, by_user: &mut Vec<(i64, Vec<RolePart>)>| -> usize {
                match by_user.iter().position(|(x, _)| *x == u) {
                    Some(i) => i,
                    None => {
                        by_user.push((u, Vec::new()));
                        by_user.len() - 1
                    }
                }
            };
            if base.is_none() {
                // A margin split over a deal without a cost: whoever played a role is told.
                for role in Role::ALL {
                    if split.share(role) > 0 {
                        for u in poryadok_core::bonus::players(&deal, role) {
                            earner(u, &mut by_user);
                        }
                    }
                }
            }
            for p in allocate(split, &deal) {
                let i = earner(p.user_id, &mut by_user);
                by_user[i].1.push(RolePart { role: p.role, share: String::new(), shared_by: p.shared_by, amount: p.amount });
            }
            by_user.sort_by_key(|(u, _)| *u);
            let currency: String = r.try_get_by_index(3)?;
            // Amounts in another currency are never added to the workspace's: the report is
            // refused below, naming them (there are no exchange rates to convert with).
            if currency != ws_currency && by_user.iter().any(|(u, _)| wanted.is_none_or(|w| w == *u)) {
                foreign.insert(currency.clone());
            }
            for (u, roles) in by_user.drain(..) {
                if wanted.is_some_and(|w| w != u) {
                    continue;
                }
                let amount: i64 = roles.iter().map(|p| p.amount).sum();
                let e = users.entry(u).or_insert_with(|| blank(u));
                e.bonus += amount;
                e.deals += 1;
                e.cost_missing += usize::from(base.is_none());
                if with_deals {
                    let roles = roles.into_iter().map(|p| RolePart { share: percent_text(split.share(p.role)), ..p }).collect();
                    e.deal_list.push(BonusDeal {
                        deal_id: id,
                        title: r.try_get_by_index(6)?,
                        pipeline_id,
                        closed_at: r.try_get_by_index(7)?,
                        currency: currency.clone(),
                        value,
                        basis: split.basis,
                        base,
                        roles,
                        amount,
                        cost_missing: base.is_none(),
                    });
                }
            }
        }

        if !foreign.is_empty() {
            let others = foreign.into_iter().collect::<Vec<_>>().join(", ");
            return Err(StoreError::invalid("currency", ReviewMsg::BonusMixedCurrencies { currency: actor.ws.currency.clone(), others }));
        }
        // Each month's revenue plan: its own, or its part of the quarter's (plans::effective).
        let months = months_of(period);
        let mut periods: Vec<PlanPeriod> = months.iter().flat_map(|m| periods_for(*m)).collect();
        periods.sort();
        periods.dedup();
        let plans = self.plans_of(actor, &periods).await?;
        let hours = self.business_hours(actor).await?;
        for month in months {
            for ((target, metric), value) in effective(&plans, month, &hours) {
                let Target::User(u) = target else { continue };
                if metric != Metric::Revenue || wanted.is_some_and(|w| w != u) || !names.contains_key(&u) {
                    continue;
                }
                let e = users.entry(u).or_insert_with(|| blank(u));
                e.plan = Some(e.plan.unwrap_or(0).saturating_add(value));
            }
        }
        if let Some(w) = wanted.filter(|w| names.contains_key(w)) {
            users.entry(w).or_insert_with(|| blank(w));
        }
        let mut users: Vec<BonusUser> = users.into_values().collect();
        users.sort_by(|a, b| b.bonus.cmp(&a.bonus).then_with(|| a.name.cmp(&b.name)).then(a.user_id.cmp(&b.user_id)));
        Ok(BonusReport {
            from: period.from_date.clone(),
            to: period.to_date.clone(),
            currency: actor.ws.currency.clone(),
            total: users.iter().map(|u| u.bonus).sum(),
            users,
            unsplit_deals: if own_only { 0 } else { unsplit_deals },
        })
    }

    /// The demo department's split on `pipeline` — the manager 5 %, the consultant 10 %, the
    /// head of the owner's team 1 % of the revenue — and the consultant as a participant of the
    /// latest won deals (every other one of the last 60), so the bonus report
    /// has content. Returns the participants added.
    pub async fn demo_bonus(&self, ws: i64, pipeline: i64) -> Result<u64> {
        let sys = self.system_actor(ws, poryadok_core::domain::Channel::Demo).await?;
        self.put_bonus_split(&sys, pipeline, &json!({"basis": "revenue", "shares": {"manager": 5, "consultant": 10, "head": 1}}), None)
            .await?;
        let cq = Query::select()
            .column(col("id"))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("role")).eq(poryadok_core::domain::Role::Consultant.as_str()))
            .order_by(col("id"), Order::Asc)
            .limit(1)
            .to_owned();
        let Some(consultant) = self.read.query_one(self.backend.build(&cq)).await? else { return Ok(0) };
        let consultant: i64 = consultant.try_get("", "id")?;
        let dq = Query::select()
            .columns(["id", "owner_id"].map(col))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("pipeline_id")).eq(pipeline))
            .and_where(Expr::col(col("status")).eq(DealStatus::Won.as_str()))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("closed_at"), Order::Desc)
            .limit(60)
            .to_owned();
        let mut added = 0;
        for (i, r) in self.read.query_all(self.backend.build(&dq)).await?.iter().enumerate() {
            let (deal, owner): (i64, Option<i64>) = (r.try_get("", "id")?, r.try_get("", "owner_id")?);
            if i % 2 == 1 || owner == Some(consultant) {
                continue;
            }
            self.add_participant(&sys, deal, &json!({"user_id": consultant, "role": "consultant"})).await?;
            added += 1;
        }
        Ok(added)
    }
}

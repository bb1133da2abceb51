//! Each manager's load beside what it brings: their open deals (count and value) and open and
//! overdue tasks now, and the deals they won in the period with the revenue and, where the deals
//! carry a cost, the margin. Deals are the scope's (pipeline, team, manager, filter, what the
//! caller may see); tasks are every open activity a manager owns that the caller may see, whatever
//! it is linked to, so neither the pipeline nor the filter narrows them.
use super::ReportScope;
use crate::actor::{scope_condition, Actor};
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::{CustomFieldType, DealStatus};
use poryadok_core::schema::Entity;
use sea_orm::{ConnectionTrait, DbBackend};
use sea_query::{Alias, Expr, Query};
use std::collections::BTreeMap;

/// The deal field a cost is kept in, by convention: a custom field of type money with this key.
/// With it, a won deal's margin is its value less its cost.
pub const COST_FIELD: &str = "cost";

/// One manager's figures (or the department's).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LoadCounts {
    /// Open deals now, and their value (minor units).
    pub open_deals: i64,
    pub open_value: i64,
    /// Open tasks now, and those of them past their due time.
    pub open_tasks: i64,
    pub overdue_tasks: i64,
    /// Deals won in the period, and the revenue.
    pub won: i64,
    pub won_value: i64,
    /// Of the won deals, those with a cost: how many, their value and their cost.
    pub costed: i64,
    pub costed_value: i64,
    pub cost: i64,
}

impl LoadCounts {
    fn add(&mut self, o: &LoadCounts) {
        self.open_deals += o.open_deals;
        self.open_value += o.open_value;
        self.open_tasks += o.open_tasks;
        self.overdue_tasks += o.overdue_tasks;
        self.won += o.won;
        self.won_value += o.won_value;
        self.costed += o.costed;
        self.costed_value += o.costed_value;
        self.cost += o.cost;
    }

    /// The margin of the won deals whose cost is known.
    pub fn margin(&self) -> Option<i64> {
        (self.costed > 0).then_some(self.costed_value - self.cost)
    }
}

/// A manager's row (`owner_id` none: deals and tasks without an owner).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoadRow {
    pub owner_id: Option<i64>,
    pub counts: LoadCounts,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoadReport {
    /// The managers with anything to count, the most revenue first, then the most open deals.
    pub rows: Vec<LoadRow>,
    pub total: LoadCounts,
    /// Whether the workspace's deals have the cost field (without it there is no margin to show).
    pub cost_field: bool,
}

/// The manager a row is counted for. The unary plus keeps SQLite from reading the deals (or
/// tasks) in owner order through the owner index — a random read of every row, 3.6 s at a million
/// deals — rather than scanning them and grouping the few owners (0.4 s); PostgreSQL plans it the same.
const MANAGER: &str = "+owner_id";

/// An open activity, as the partial index `activities_ws_open_owner` (m0046) states it.
const OPEN_TASK: &str = "done = false AND deleted_at IS NULL";

/// SQL for the integer a custom field `key` holds in the JSON column `json`, NULL unless it is
/// one. The key is a constant of the code, never input.
pub(crate) fn custom_int(backend: DbBackend, json: &str, key: &str) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "(CASE WHEN jsonb_typeof(({json})::jsonb -> '{key}') = 'number' AND (({json})::jsonb ->> '{key}') ~ '^-?[0-9]+$' \
             THEN (({json})::jsonb ->> '{key}')::bigint END)"
        ),
        _ => format!("(CASE WHEN json_type({json}, '$.\"{key}\"') = 'integer' THEN json_extract({json}, '$.\"{key}\"') END)"),
    }
}

impl Db {
    /// Each manager's load and results over the scope's period, in `pipeline` (none: every one).
    pub async fn load_report(&self, actor: &Actor, scope: &ReportScope, pipeline: Option<i64>) -> Result<LoadReport> {
        let defs = crate::records::read_custom_defs(&self.read, self.backend, actor.ws_id(), Some(Entity::Deal)).await?;
        let cost_field = defs.iter().any(|(_, d)| d.key == COST_FIELD && d.field_type == CustomFieldType::Money);
        let mut rows: BTreeMap<Option<i64>, LoadCounts> = BTreeMap::new();
        let sum = |e: &str| Expr::cust(format!("CAST(COALESCE(SUM({e}), 0) AS BIGINT)"));

        // The deals' part from the aggregate when it answers (it has no costs to sum).
        let aggregate = !cost_field && self.rollup_answers(actor, scope).await?;
        if aggregate {
            self.load_deals_rollup(actor, scope, pipeline, &mut rows).await?;
        }
        let open = Query::select()
            .expr_as(Expr::cust(MANAGER), Alias::new("manager"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .expr_as(sum("value"), Alias::new("total"))
            .from(col("deals"))
            .cond_where(self.report_deals_in(actor, scope, pipeline))
            .and_where(Expr::col(col("status")).eq(DealStatus::Open.as_str()))
            .group_by_col(col("manager"))
            .to_owned();
        for r in if aggregate { Vec::new() } else { self.read.query_all(self.backend.build(&open)).await? } {
            let c = rows.entry(r.try_get("", "manager")?).or_default();
            c.open_deals = r.try_get("", "n")?;
            c.open_value = r.try_get("", "total")?;
        }

        let cost = if cost_field { custom_int(self.backend, "custom", COST_FIELD) } else { "NULL".into() };
        let won = Query::select()
            .expr_as(Expr::cust(MANAGER), Alias::new("manager"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .expr_as(sum("value"), Alias::new("total"))
            .expr_as(sum(&format!("CASE WHEN {cost} IS NOT NULL THEN 1 ELSE 0 END")), Alias::new("costed"))
            .expr_as(sum(&format!("CASE WHEN {cost} IS NOT NULL THEN value ELSE 0 END")), Alias::new("costed_value"))
            .expr_as(sum(&format!("COALESCE({cost}, 0)")), Alias::new("cost"))
            .from(col("deals"))
            .cond_where(self.report_deals_in(actor, scope, pipeline))
            .and_where(Expr::col(col("status")).eq(DealStatus::Won.as_str()))
            .and_where(Expr::col(col("closed_at")).gte(scope.from))
            .and_where(Expr::col(col("closed_at")).lt(scope.to))
            .group_by_col(col("manager"))
            .to_owned();
        for r in if aggregate { Vec::new() } else { self.read.query_all(self.backend.build(&won)).await? } {
            let c = rows.entry(r.try_get("", "manager")?).or_default();
            c.won = r.try_get("", "n")?;
            c.won_value = r.try_get("", "total")?;
            c.costed = r.try_get("", "costed")?;
            c.costed_value = r.try_get("", "costed_value")?;
            c.cost = r.try_get("", "cost")?;
        }

        // The open tasks by owner, from the partial index of open activities by owner and due
        // time (m0046) alone: its condition is written as the index's text so both databases
        // match it, and every other column the query reads is in the index.
        let mut tasks = Query::select();
        tasks
            .expr_as(Expr::col(col("owner_id")), Alias::new("manager"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .expr_as(sum(&format!("CASE WHEN due_at < {} THEN 1 ELSE 0 END", self.clock.now_ms())), Alias::new("overdue"))
            .from(col("activities"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::cust(OPEN_TASK))
            .group_by_col(col("owner_id"));
        if let Some(s) = scope_condition(Entity::Activity, &actor.caller) {
            tasks.and_where(s);
        }
        if let Some(o) = scope.owner {
            tasks.and_where(Expr::col(col("owner_id")).eq(o));
        }
        if let Some(t) = scope.team {
            tasks.and_where(super::team_owners(actor.ws_id(), t));
        }
        for r in self.read.query_all(self.backend.build(&tasks)).await? {
            let c = rows.entry(r.try_get("", "manager")?).or_default();
            c.open_tasks = r.try_get("", "n")?;
            c.overdue_tasks = r.try_get("", "overdue")?;
        }

        let mut total = LoadCounts::default();
        for c in rows.values() {
            total.add(c);
        }
        let mut rows: Vec<LoadRow> = rows.into_iter().map(|(owner_id, counts)| LoadRow { owner_id, counts }).collect();
        rows.sort_by(|a, b| {
            (b.counts.won_value, b.counts.open_deals, b.counts.open_tasks)
                .cmp(&(a.counts.won_value, a.counts.open_deals, a.counts.open_tasks))
                .then(a.owner_id.cmp(&b.owner_id))
        });
        Ok(LoadReport { rows, total, cost_field })
    }
}

//! Sales reports over many deals: what each report counts, scoped like every other read to the
//! caller's workspace and to the deals they may see, narrowed by pipeline, team, manager and a
//! filter expression. The figures are counts and sums; ratios, charts and words are the caller's.
use crate::actor::{scope_condition, Actor};
use crate::error::{Result, StoreError};
use crate::records::fetch_one;
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::DealStatus;
use poryadok_core::msg::RecordMsg;
use poryadok_core::schema::Entity;
use sea_orm::ConnectionTrait;
use sea_query::{Cond, Expr, Order, Query, SimpleExpr};

pub mod activity;
pub mod dashboard;
pub mod digest;
pub mod forecast;
pub mod funnel;
pub mod load;
pub mod lost_reasons;
pub mod marketing;
pub mod partners;
pub mod plan_fact;
pub mod rollup;
pub mod sales;
pub mod stage_time;

/// Which deals a report looks at.
#[derive(Clone, Debug, Default)]
pub struct ReportScope {
    /// The period, `[from, to)` in Unix milliseconds.
    pub from: i64,
    pub to: i64,
    pub pipeline: i64,
    /// One manager's deals.
    pub owner: Option<i64>,
    /// The deals of a team's members.
    pub team: Option<i64>,
    /// A checked filter expression over deals.
    pub filter: Option<poryadok_core::filter::Checked>,
    /// Read the per-day aggregate where it answers the scope exactly
    /// ([`Db::rollup_answers`]); the deals otherwise.
    pub from_aggregate: bool,
}

/// A stage of a pipeline, in order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StageInfo {
    pub id: i64,
    pub name: String,
    pub position: i64,
}

/// Records owned by a member of the team `team`: the condition every report adds for `team_id`.
pub(crate) fn team_owners(ws: i64, team: i64) -> SimpleExpr {
    let members = Query::select()
        .column(col("id"))
        .from(col("users"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("team_id")).eq(team))
        .to_owned();
    Expr::col(col("owner_id")).in_subquery(members)
}

impl Db {
    /// Checks that a report's pipeline, manager and team exist in the caller's workspace, naming
    /// the parameter that does not.
    pub async fn check_report_scope(&self, actor: &Actor, scope: &ReportScope) -> Result<()> {
        let missing = |field: &str, what: &str, id: i64| StoreError::invalid(field, RecordMsg::NoRecord { what: what.into(), id });
        let system = crate::records::system_view(actor);
        fetch_one(&self.read, self.backend, Entity::Pipeline, &system, scope.pipeline, false)
            .await
            .map_err(|_| missing("pipeline_id", "pipeline", scope.pipeline))?;
        if let Some(o) = scope.owner {
            fetch_one(&self.read, self.backend, Entity::User, &system, o, false).await.map_err(|_| missing("owner_id", "user", o))?;
        }
        if let Some(t) = scope.team {
            fetch_one(&self.read, self.backend, Entity::Team, &system, t, false).await.map_err(|_| missing("team_id", "team", t))?;
        }
        Ok(())
    }

    /// The pipeline's live stages in order.
    pub async fn pipeline_stages(&self, actor: &Actor, pipeline: i64) -> Result<Vec<StageInfo>> {
        let q = Query::select()
            .columns(["id", "name", "position"].map(col))
            .from(col("stages"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("pipeline_id")).eq(pipeline))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("position"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .to_owned();
        self.read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| Ok(StageInfo { id: r.try_get("", "id")?, name: r.try_get("", "name")?, position: r.try_get("", "position")? }))
            .collect()
    }

    /// The deals of the scope the caller may see (not their period): a condition on the
    /// unaliased `deals` table.
    pub(crate) fn report_deals(&self, actor: &Actor, scope: &ReportScope) -> Cond {
        self.report_deals_in(actor, scope, Some(scope.pipeline))
    }

    /// [`Db::report_deals`] in one pipeline, or (none) in every pipeline of the workspace.
    pub(crate) fn report_deals_in(&self, actor: &Actor, scope: &ReportScope, pipeline: Option<i64>) -> Cond {
        let mut c = Cond::all().add(Expr::col(col("workspace_id")).eq(actor.ws_id()));
        if let Some(p) = pipeline {
            c = c.add(Expr::col(col("pipeline_id")).eq(p));
        }
        c = c
            .add(Expr::col(col("deleted_at")).is_null())
            // Not a lead was never in the funnel.
            .add(Expr::col(col("status")).ne(DealStatus::NotLead.as_str()));
        if let Some(s) = scope_condition(Entity::Deal, &actor.caller) {
            c = c.add(s);
        }
        if let Some(o) = scope.owner {
            c = c.add(Expr::col(col("owner_id")).eq(o));
        }
        if let Some(t) = scope.team {
            c = c.add(team_owners(actor.ws_id(), t));
        }
        if let Some(f) = &scope.filter {
            c = c.add(self.filter_condition(actor, f, self.clock.now_ms()));
        }
        c
    }

    /// The ids of the scope's deals, as a subquery.
    /// Whether the deal `deal` (a column of the outer query) is one of the scope's deals: a
    /// correlated `EXISTS`, one lookup by key per outer row, where an `IN` over the pipeline's
    /// deals would read them all.
    pub(crate) fn report_deal_exists(&self, actor: &Actor, scope: &ReportScope, deal: (&str, &str)) -> SimpleExpr {
        let q = Query::select()
            .expr(Expr::val(1))
            .from(col("deals"))
            .and_where(Expr::col((col("deals"), col("id"))).equals((col(deal.0), col(deal.1))))
            .cond_where(self.report_deals(actor, scope))
            .to_owned();
        Expr::exists(q)
    }
}

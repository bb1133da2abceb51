//! The funnel of a pipeline, two ways. As a cohort: of the deals created in the period, how
//! many reached each stage (a deal that skipped a stage has reached it) and how many are won.
//! As movement: how many deals reached each stage during the period, whenever they were created,
//! and how many were won in it. Per manager: the cohort funnel of each owner side by side.
use super::{ReportScope, StageInfo};
use crate::actor::Actor;
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::DealStatus;
use sea_orm::ConnectionTrait;
use sea_query::{Alias, Expr, Func, Query};
use std::collections::BTreeMap;

/// How many deals reached each stage (in the pipeline's order), and how many were won.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct FunnelCounts {
    /// Deals counted: created in the period (cohort) or moved in it (movement).
    pub deals: i64,
    pub reached: Vec<i64>,
    pub won: i64,
    pub won_value: i64,
    pub lost: i64,
}

/// A pipeline's funnel for a period.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FunnelReport {
    pub stages: Vec<StageInfo>,
    pub cohort: FunnelCounts,
    pub movement: FunnelCounts,
}

/// One manager's cohort funnel (`owner_id` none for deals without an owner).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ManagerFunnel {
    pub owner_id: Option<i64>,
    pub counts: FunnelCounts,
}

/// The furthest stage a deal reached in its pipeline (its current one when it has no stays).
const REACHED: &str = "COALESCE((SELECT MAX(s.position) FROM stage_stays ss INNER JOIN stages s ON s.id = ss.stage_id \
     WHERE ss.workspace_id = deals.workspace_id AND ss.deal_id = deals.id AND s.pipeline_id = deals.pipeline_id), \
     (SELECT s.position FROM stages s WHERE s.id = deals.stage_id))";

/// Adds a deal furthest at `pos` to the counts: it reached every stage up to that position.
pub(crate) fn add_reached(counts: &mut FunnelCounts, stages: &[StageInfo], pos: i64, n: i64) {
    for (i, s) in stages.iter().enumerate() {
        if s.position <= pos {
            counts.reached[i] += n;
        }
    }
}

impl Db {
    /// The cohort and movement funnels of the scope's pipeline over its period.
    pub async fn funnel_report(&self, actor: &Actor, scope: &ReportScope) -> Result<FunnelReport> {
        let stages = self.pipeline_stages(actor, scope.pipeline).await?;
        let cohort = self.cohort_funnels(actor, scope, &stages, false).await?.into_values().next().unwrap_or_else(|| empty(&stages));
        let movement = self.movement_funnel(actor, scope, &stages).await?;
        Ok(FunnelReport { stages, cohort, movement })
    }

    /// The cohort funnel of the scope's pipeline over its period, from the per-day aggregate
    /// when it answers the scope; the movement is left empty (the dashboard shows the cohort).
    pub async fn cohort_report(&self, actor: &Actor, scope: &ReportScope) -> Result<FunnelReport> {
        let stages = self.pipeline_stages(actor, scope.pipeline).await?;
        let cohort = if self.rollup_answers(actor, scope).await? {
            self.cohort_rollup(actor, scope, &stages).await?
        } else {
            self.cohort_funnels(actor, scope, &stages, false).await?.into_values().next().unwrap_or_else(|| empty(&stages))
        };
        let movement = empty(&stages);
        Ok(FunnelReport { stages, cohort, movement })
    }

    /// Each manager's cohort funnel, and the department's (all of them together).
    pub async fn manager_funnels(&self, actor: &Actor, scope: &ReportScope) -> Result<(Vec<StageInfo>, FunnelCounts, Vec<ManagerFunnel>)> {
        let stages = self.pipeline_stages(actor, scope.pipeline).await?;
        let per_owner = self.cohort_funnels(actor, scope, &stages, true).await?;
        let mut total = empty(&stages);
        for c in per_owner.values() {
            total.deals += c.deals;
            total.won += c.won;
            total.won_value += c.won_value;
            total.lost += c.lost;
            for (t, r) in total.reached.iter_mut().zip(&c.reached) {
                *t += r;
            }
        }
        let managers = per_owner.into_iter().map(|(owner_id, counts)| ManagerFunnel { owner_id, counts }).collect();
        Ok((stages, total, managers))
    }

    /// Deals created in the period, by furthest stage and status (and owner when `by_owner`).
    async fn cohort_funnels(
        &self,
        actor: &Actor,
        scope: &ReportScope,
        stages: &[StageInfo],
        by_owner: bool,
    ) -> Result<BTreeMap<Option<i64>, FunnelCounts>> {
        let mut inner = Query::select();
        inner
            .expr_as(Expr::cust(REACHED), Alias::new("pos"))
            .columns(["status", "value", "owner_id"].map(col))
            .from(col("deals"))
            .cond_where(self.report_deals(actor, scope))
            .and_where(Expr::col(col("created_at")).gte(scope.from))
            .and_where(Expr::col(col("created_at")).lt(scope.to));
        let mut q = Query::select();
        q.columns(["pos", "status"].map(col))
            .expr_as(Func::count(Expr::col(col("status"))), Alias::new("n"))
            .expr_as(Expr::cust("CAST(COALESCE(SUM(value), 0) AS BIGINT)"), Alias::new("total"))
            .from_subquery(inner, Alias::new("r"))
            .group_by_columns(["pos", "status"].map(col));
        if by_owner {
            q.column(col("owner_id")).group_by_col(col("owner_id"));
        }
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        let mut out: BTreeMap<Option<i64>, FunnelCounts> = BTreeMap::new();
        for r in &rows {
            let owner: Option<i64> = if by_owner { r.try_get("", "owner_id")? } else { None };
            let c = out.entry(owner).or_insert_with(|| empty(stages));
            let (pos, status, n, total): (Option<i64>, String, i64, i64) =
                (r.try_get("", "pos")?, r.try_get("", "status")?, r.try_get("", "n")?, r.try_get("", "total")?);
            c.deals += n;
            add_reached(c, stages, pos.unwrap_or(i64::MIN), n);
            match DealStatus::parse(&status) {
                Some(DealStatus::Won) => {
                    c.won += n;
                    c.won_value += total;
                }
                Some(DealStatus::Lost) => c.lost += n,
                _ => {}
            }
        }
        Ok(out)
    }

    /// Stages reached during the period, from the stays entered in it; deals won and lost in it.
    async fn movement_funnel(&self, actor: &Actor, scope: &ReportScope, stages: &[StageInfo]) -> Result<FunnelCounts> {
        let mut counts = empty(stages);
        // One read of the period's stays (their from and to positions and deal): the moves are
        // counted and the deals told apart here, where two grouped reads each joined the stays
        // to the deals again (at a million deals a month's 77k stays: 1.2 s as two, half as one).
        let mut q = Query::select();
        q.expr_as(Expr::cust("COALESCE(f.position, -1)"), Alias::new("fp"))
            .expr_as(Expr::col((col("t"), col("position"))), Alias::new("tp"))
            .expr_as(Expr::col((col("ss"), col("deal_id"))), Alias::new("deal"))
            .inner_join(crate::sql::aliased("stages", "t"), Expr::col((col("t"), col("id"))).equals((col("ss"), col("stage_id"))))
            .left_join(
                crate::sql::aliased("stages", "f"),
                Expr::col((col("f"), col("id")))
                    .equals((col("ss"), col("from_stage_id")))
                    .and(Expr::col((col("f"), col("pipeline_id"))).equals((col("ss"), col("pipeline_id")))),
            )
            .from_as(col("stage_stays"), col("ss"))
            .and_where(Expr::col((col("ss"), col("workspace_id"))).eq(actor.ws_id()))
            .and_where(Expr::col((col("ss"), col("pipeline_id"))).eq(scope.pipeline))
            .and_where(Expr::col((col("ss"), col("entered_at"))).gte(scope.from))
            .and_where(Expr::col((col("ss"), col("entered_at"))).lt(scope.to))
            .and_where(self.report_deal_exists(actor, scope, ("ss", "deal_id")));
        let mut moves: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        let mut deals = std::collections::HashSet::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let (fp, tp, deal): (i64, i64, i64) = (r.try_get("", "fp")?, r.try_get("", "tp")?, r.try_get("", "deal")?);
            *moves.entry((fp, tp)).or_default() += 1;
            deals.insert(deal);
        }
        for ((fp, tp), n) in moves {
            for (i, s) in stages.iter().enumerate() {
                if fp < s.position && s.position <= tp {
                    counts.reached[i] += n;
                }
            }
        }
        counts.deals = deals.len() as i64;
        let closed = Query::select()
            .column(col("status"))
            .expr_as(Func::count(Expr::col(col("id"))), Alias::new("n"))
            .expr_as(Expr::cust("CAST(COALESCE(SUM(value), 0) AS BIGINT)"), Alias::new("total"))
            .from(col("deals"))
            .cond_where(self.report_deals(actor, scope))
            .and_where(Expr::col(col("status")).is_in([DealStatus::Won.as_str(), DealStatus::Lost.as_str()]))
            .and_where(Expr::col(col("closed_at")).gte(scope.from))
            .and_where(Expr::col(col("closed_at")).lt(scope.to))
            .group_by_col(col("status"))
            .to_owned();
        for r in self.read.query_all(self.backend.build(&closed)).await? {
            let (status, n, total): (String, i64, i64) = (r.try_get("", "status")?, r.try_get("", "n")?, r.try_get("", "total")?);
            if status == DealStatus::Won.as_str() {
                counts.won = n;
                counts.won_value = total;
            } else {
                counts.lost = n;
            }
        }
        Ok(counts)
    }
}

pub(crate) fn empty(stages: &[StageInfo]) -> FunnelCounts {
    FunnelCounts { reached: vec![0; stages.len()], ..FunnelCounts::default() }
}

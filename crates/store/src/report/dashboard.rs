//! The head's dashboard's own figures (the others are the reports'): the leads of a period by
//! source, and the violations of the latest audit rounds with how many were fixed.
use super::ReportScope;
use crate::actor::Actor;
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::Role;
use sea_orm::ConnectionTrait;
use sea_query::{Alias, Expr, Func, Order, Query};

/// One audit round's violations (of the caller's, for a manager), and how many of them were
/// fixed (claimed and not found still matching at the re-check).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RoundTrend {
    pub round_id: i64,
    pub started_at: i64,
    pub violations: i64,
    pub fixed: i64,
}

impl Db {
    /// Deals created in the scope's period by source (none: without one), most first.
    pub async fn leads_by_source(&self, actor: &Actor, scope: &ReportScope, pipeline: Option<i64>) -> Result<Vec<(Option<String>, i64)>> {
        if self.rollup_answers(actor, scope).await? {
            return self.leads_by_source_rollup(actor, scope, pipeline).await;
        }
        let inner = Query::select()
            .expr_as(Expr::cust("NULLIF(source, '')"), Alias::new("src"))
            .from(col("deals"))
            .cond_where(self.report_deals_in(actor, scope, pipeline))
            .and_where(Expr::col(col("created_at")).gte(scope.from))
            .and_where(Expr::col(col("created_at")).lt(scope.to))
            .to_owned();
        let q = Query::select()
            .column(col("src"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(inner, Alias::new("l"))
            .group_by_col(col("src"))
            .to_owned();
        let mut out = self
            .read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| Ok((r.try_get("", "src")?, r.try_get("", "n")?)))
            .collect::<Result<Vec<(Option<String>, i64)>>>()?;
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(out)
    }

    /// The latest `rounds` finished audit rounds, oldest first, with their violations: all of
    /// them for those who review, the caller's own for anyone else.
    pub async fn violations_trend(&self, actor: &Actor, rounds: u64) -> Result<Vec<RoundTrend>> {
        let ws = actor.ws_id();
        let q = Query::select()
            .columns(["id", "started_at"].map(col))
            .from(col("audit_rounds"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("status")).is_not_in(["running", "failed"]))
            .order_by(col("id"), Order::Desc)
            .limit(rounds)
            .to_owned();
        let mut trend: Vec<RoundTrend> = self
            .read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| Ok(RoundTrend { round_id: r.try_get("", "id")?, started_at: r.try_get("", "started_at")?, violations: 0, fixed: 0 }))
            .collect::<Result<_>>()?;
        trend.reverse();
        let Some(first) = trend.first().map(|t| t.round_id) else { return Ok(trend) };
        let mut q = Query::select();
        q.column(col("round_id"))
            .expr_as(Func::count(Expr::col(col("id"))), Alias::new("n"))
            .expr_as(
                Expr::cust(
                    "COALESCE(SUM(CASE WHEN status = 'fixed' AND (recheck IS NULL OR recheck <> 'still_matches') THEN 1 ELSE 0 END), 0)",
                ),
                Alias::new("fixed"),
            )
            .from(col("violations"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("round_id")).gte(first))
            .group_by_col(col("round_id"));
        if !matches!(actor.caller.role, Role::Admin | Role::Head | Role::Analyst) {
            q.and_where(Expr::col(col("user_id")).eq(actor.user_id()));
        }
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let round: i64 = r.try_get("", "round_id")?;
            if let Some(t) = trend.iter_mut().find(|t| t.round_id == round) {
                t.violations = r.try_get("", "n")?;
                t.fixed = r.try_get::<Option<i64>>("", "fixed")?.unwrap_or(0);
            }
        }
        Ok(trend)
    }
}

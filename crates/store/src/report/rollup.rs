//! The reports' figures read from the per-day aggregate ([`crate::deal_stats`]) instead of the
//! deals, for a scope it answers exactly: a period of whole local days in the zone it was
//! counted in, no filter expression, and a reader who sees every deal or asks for their own
//! (their visibility then adds nothing to `owner = me`). Each function returns what its exact
//! twin returns — the same struct, the same order — except the median cycle, which sums cannot
//! give (`None`). Reading a month is a few rows per manager and day, not the month's deals.
use super::funnel::{add_reached, empty, FunnelCounts};
use super::load::LoadCounts;
use super::sales::{SalesCounts, SalesKey, SalesReport, SalesRow};
use super::{ReportScope, StageInfo};
use crate::actor::Actor;
use crate::deal_stats::{local_day, month_text, Kind, TABLE};
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::access::Scope;
use poryadok_core::zone;
use sea_orm::ConnectionTrait;
use sea_query::{Alias, Expr, Query, SelectStatement};
use std::collections::BTreeMap;

fn sum(c: &str) -> sea_query::SimpleExpr {
    Expr::cust(format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)"))
}

impl Db {
    /// Whether the aggregate answers `scope` for the caller exactly (see the module docs).
    pub async fn rollup_answers(&self, actor: &Actor, scope: &ReportScope) -> Result<bool> {
        if !scope.from_aggregate || scope.filter.is_some() {
            return Ok(false);
        }
        if actor.caller.scope() != Scope::All && scope.owner != Some(actor.user_id()) {
            return Ok(false);
        }
        let tz = actor.ws.timezone.as_str();
        if zone::day_bounds(tz, scope.from).0 != scope.from || zone::day_bounds(tz, scope.to).0 != scope.to {
            return Ok(false);
        }
        Ok(self.stats_zone(actor).await?.as_deref() == Some(tz))
    }

    /// The scope's rows of `kind` in `pipeline` (every one: none), in the scope's days when
    /// `days`, of its owner or team.
    fn rollup_rows(
        &self,
        actor: &Actor,
        scope: &ReportScope,
        kind: Kind,
        days: Option<(i64, i64)>,
        pipeline: Option<i64>,
    ) -> SelectStatement {
        let mut q = Query::select();
        q.from(col(TABLE))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("kind")).eq(kind.as_str()))
            .and_where(Expr::col(col("deals")).ne(0));
        if let Some((from, to)) = days {
            let tz = actor.ws.timezone.as_str();
            q.and_where(Expr::col(col("day")).gte(local_day(tz, from))).and_where(Expr::col(col("day")).lt(local_day(tz, to)));
        }
        if let Some(p) = pipeline {
            q.and_where(Expr::col(col("pipeline_id")).eq(p));
        }
        if let Some(o) = scope.owner {
            q.and_where(Expr::col(col("owner_id")).eq(o));
        }
        if let Some(t) = scope.team {
            q.and_where(super::team_owners(actor.ws_id(), t));
        }
        q
    }

    /// [`Db::sales_report`] by owner from the aggregate (no median cycle).
    pub(crate) async fn sales_by_owner_rollup(&self, actor: &Actor, scope: &ReportScope, pipeline: Option<i64>) -> Result<SalesReport> {
        let q = self
            .rollup_rows(actor, scope, Kind::Closed, Some((scope.from, scope.to)), pipeline)
            .columns(["owner_id", "status"].map(col))
            .expr_as(sum("deals"), Alias::new("n"))
            .expr_as(sum("value"), Alias::new("total"))
            .expr_as(sum("cycle_ms"), Alias::new("cycle"))
            .group_by_columns(["owner_id", "status"].map(col))
            .to_owned();
        let mut groups: BTreeMap<SalesKey, SalesCounts> = BTreeMap::new();
        let mut total = SalesCounts::default();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let (owner, status, n, value, cycle): (i64, String, i64, i64, i64) = (
                r.try_get("", "owner_id")?,
                r.try_get("", "status")?,
                r.try_get("", "n")?,
                r.try_get("", "total")?,
                r.try_get("", "cycle")?,
            );
            if n == 0 {
                continue;
            }
            let c = groups.entry(SalesKey::Id((owner != 0).then_some(owner))).or_default();
            for c in [c, &mut total] {
                c.add_closed(&status, n, value, cycle);
            }
        }
        let mut rows: Vec<SalesRow> = groups.into_iter().map(|(key, counts)| SalesRow { key, bucket: None, counts }).collect();
        rows.sort_by(|a, b| {
            (b.counts.won_value, b.counts.won, b.counts.lost)
                .cmp(&(a.counts.won_value, a.counts.won, a.counts.lost))
                .then(a.key.cmp(&b.key))
        });
        Ok(SalesReport { rows, total })
    }

    /// The cohort funnel of the scope's pipeline from the aggregate: the deals created in the
    /// period by the furthest stage they reached and their status.
    pub(crate) async fn cohort_rollup(&self, actor: &Actor, scope: &ReportScope, stages: &[StageInfo]) -> Result<FunnelCounts> {
        let q = self
            .rollup_rows(actor, scope, Kind::Created, Some((scope.from, scope.to)), Some(scope.pipeline))
            .columns(["stage_id", "status"].map(col))
            .expr_as(sum("deals"), Alias::new("n"))
            .expr_as(sum("value"), Alias::new("total"))
            .group_by_columns(["stage_id", "status"].map(col))
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.try_get("", "stage_id")).collect::<std::result::Result<_, _>>()?;
        // The furthest stage's position now, deleted stages too (as the exact count reads it).
        let positions: BTreeMap<i64, Option<i64>> = if ids.is_empty() {
            BTreeMap::new()
        } else {
            let q = Query::select()
                .columns(["id", "position"].map(col))
                .from(col("stages"))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("id")).is_in(ids))
                .to_owned();
            self.read
                .query_all(self.backend.build(&q))
                .await?
                .iter()
                .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "position")?)))
                .collect::<Result<_>>()?
        };
        let mut c = empty(stages);
        for r in &rows {
            let (stage, status, n, total): (i64, String, i64, i64) =
                (r.try_get("", "stage_id")?, r.try_get("", "status")?, r.try_get("", "n")?, r.try_get("", "total")?);
            c.deals += n;
            add_reached(&mut c, stages, positions.get(&stage).copied().flatten().unwrap_or(i64::MIN), n);
            match status.as_str() {
                "won" => {
                    c.won += n;
                    c.won_value += total;
                }
                "lost" => c.lost += n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// [`Db::leads_by_source`] from the aggregate.
    pub(crate) async fn leads_by_source_rollup(
        &self,
        actor: &Actor,
        scope: &ReportScope,
        pipeline: Option<i64>,
    ) -> Result<Vec<(Option<String>, i64)>> {
        let q = self
            .rollup_rows(actor, scope, Kind::Lead, Some((scope.from, scope.to)), pipeline)
            .column(col("source"))
            .expr_as(sum("deals"), Alias::new("n"))
            .group_by_col(col("source"))
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let (source, n): (String, i64) = (r.try_get("", "source")?, r.try_get("", "n")?);
            if n != 0 {
                out.push(((!source.is_empty()).then_some(source), n));
            }
        }
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(out)
    }

    /// Open deals of the scope's pipeline by expected close month and stage, from the aggregate.
    pub(crate) async fn open_cells_rollup(&self, actor: &Actor, scope: &ReportScope) -> Result<Vec<super::forecast::OpenCell>> {
        let q = self
            .rollup_rows(actor, scope, Kind::Open, None, Some(scope.pipeline))
            .columns(["day", "stage_id"].map(col))
            .expr_as(sum("deals"), Alias::new("n"))
            .expr_as(sum("value"), Alias::new("total"))
            .group_by_columns(["day", "stage_id"].map(col))
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let (month, stage_id, deals, value): (i64, i64, i64, i64) =
                (r.try_get("", "day")?, r.try_get("", "stage_id")?, r.try_get("", "n")?, r.try_get("", "total")?);
            if deals != 0 {
                out.push(super::forecast::OpenCell { month: month_text(month), stage_id, deals, value });
            }
        }
        Ok(out)
    }

    /// The leads created in `[from, to)` (whole local days) in the scope's pipeline and those
    /// of them won, from the aggregate.
    pub(crate) async fn lead_history_rollup(
        &self,
        actor: &Actor,
        scope: &ReportScope,
        history: (i64, i64),
    ) -> Result<super::forecast::LeadHistory> {
        let q = self
            .rollup_rows(actor, scope, Kind::Created, Some(history), Some(scope.pipeline))
            .expr_as(sum("deals"), Alias::new("leads"))
            .expr_as(sum("CASE WHEN status = 'won' THEN deals ELSE 0 END"), Alias::new("won"))
            .expr_as(sum("CASE WHEN status = 'won' THEN value ELSE 0 END"), Alias::new("won_value"))
            .to_owned();
        Ok(match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => super::forecast::LeadHistory {
                leads: r.try_get("", "leads")?,
                won: r.try_get("", "won")?,
                won_value: r.try_get("", "won_value")?,
            },
            None => super::forecast::LeadHistory::default(),
        })
    }

    /// Each owner's open deals now and deals won in the period (with their values), from the
    /// aggregate: the deals' part of the load.
    pub(crate) async fn load_deals_rollup(
        &self,
        actor: &Actor,
        scope: &ReportScope,
        pipeline: Option<i64>,
        rows: &mut BTreeMap<Option<i64>, LoadCounts>,
    ) -> Result<()> {
        let open = self
            .rollup_rows(actor, scope, Kind::Open, None, pipeline)
            .column(col("owner_id"))
            .expr_as(sum("deals"), Alias::new("n"))
            .expr_as(sum("value"), Alias::new("total"))
            .group_by_col(col("owner_id"))
            .to_owned();
        let won = self
            .rollup_rows(actor, scope, Kind::Closed, Some((scope.from, scope.to)), pipeline)
            .and_where(Expr::col(col("status")).eq("won"))
            .column(col("owner_id"))
            .expr_as(sum("deals"), Alias::new("n"))
            .expr_as(sum("value"), Alias::new("total"))
            .group_by_col(col("owner_id"))
            .to_owned();
        for (q, is_open) in [(open, true), (won, false)] {
            for r in self.read.query_all(self.backend.build(&q)).await? {
                let (owner, n, total): (i64, i64, i64) = (r.try_get("", "owner_id")?, r.try_get("", "n")?, r.try_get("", "total")?);
                if n == 0 {
                    continue;
                }
                let c = rows.entry((owner != 0).then_some(owner)).or_default();
                if is_open {
                    c.open_deals = n;
                    c.open_value = total;
                } else {
                    c.won = n;
                    c.won_value = total;
                }
            }
        }
        Ok(())
    }
}

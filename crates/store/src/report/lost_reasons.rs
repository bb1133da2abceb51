//! Why deals are lost: the deals of a pipeline lost in the period (closed then), counted with
//! their value by reason, by the stage they were lost at (the stage a deal stays in when it is
//! closed) and by manager — one `GROUP BY` over the three; the sums over one of them are added up
//! here from its few rows.
use super::{ReportScope, StageInfo};
use crate::actor::Actor;
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::DealStatus;
use sea_orm::ConnectionTrait;
use sea_query::{Alias, Expr, Query};
use std::collections::BTreeMap;

/// Lost deals of one reason, stage and manager (none: without a reason, a stage, an owner).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LostCell {
    pub reason: Option<String>,
    pub stage_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub lost: i64,
    /// Minor units.
    pub value: i64,
}

/// A sum over lost deals: how many and their value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Lost {
    pub lost: i64,
    pub value: i64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LostReasonsReport {
    pub stages: Vec<StageInfo>,
    pub cells: Vec<LostCell>,
}

fn sum_by<K: Ord + Clone>(cells: &[LostCell], key: impl Fn(&LostCell) -> K) -> BTreeMap<K, Lost> {
    let mut out: BTreeMap<K, Lost> = BTreeMap::new();
    for c in cells {
        let e = out.entry(key(c)).or_default();
        e.lost += c.lost;
        e.value += c.value;
    }
    out
}

/// Most lost first, then the largest value, then the key.
fn ranked<K: Ord>(m: BTreeMap<K, Lost>) -> Vec<(K, Lost)> {
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| (b.1.lost, b.1.value).cmp(&(a.1.lost, a.1.value)).then(a.0.cmp(&b.0)));
    v
}

impl LostReasonsReport {
    pub fn total(&self) -> Lost {
        sum_by(&self.cells, |_| ()).remove(&()).unwrap_or_default()
    }

    /// By reason, most lost first.
    pub fn by_reason(&self) -> Vec<(Option<String>, Lost)> {
        ranked(sum_by(&self.cells, |c| c.reason.clone()))
    }

    /// By manager, most lost first.
    pub fn by_owner(&self) -> Vec<(Option<i64>, Lost)> {
        ranked(sum_by(&self.cells, |c| c.owner_id))
    }

    /// By stage in the pipeline's order (every stage, none lost at it too), then any stage no
    /// longer in it.
    pub fn by_stage(&self) -> Vec<(Option<i64>, Lost)> {
        let mut sums = sum_by(&self.cells, |c| c.stage_id);
        let mut out: Vec<_> = self.stages.iter().map(|s| (Some(s.id), sums.remove(&Some(s.id)).unwrap_or_default())).collect();
        out.extend(sums);
        out
    }

    /// Deals of `reason` lost by `owner`.
    pub fn count(&self, reason: &Option<String>, owner: Option<i64>) -> Lost {
        sum_by(&self.cells, |c| (c.reason.clone(), c.owner_id)).remove(&(reason.clone(), owner)).unwrap_or_default()
    }
}

impl Db {
    /// The scope's pipeline's deals lost in its period, by reason, stage and manager.
    pub async fn lost_reasons_report(&self, actor: &Actor, scope: &ReportScope) -> Result<LostReasonsReport> {
        let stages = self.pipeline_stages(actor, scope.pipeline).await?;
        let lost = Query::select()
            .expr_as(Expr::cust("NULLIF(lost_reason, '')"), Alias::new("reason"))
            .columns(["stage_id", "owner_id", "value"].map(col))
            .from(col("deals"))
            .cond_where(self.report_deals(actor, scope))
            .and_where(Expr::col(col("status")).eq(DealStatus::Lost.as_str()))
            .and_where(Expr::col(col("closed_at")).gte(scope.from))
            .and_where(Expr::col(col("closed_at")).lt(scope.to))
            .to_owned();
        let q = Query::select()
            .columns(["reason", "stage_id", "owner_id"].map(col))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .expr_as(Expr::cust("CAST(COALESCE(SUM(value), 0) AS BIGINT)"), Alias::new("total"))
            .from_subquery(lost, Alias::new("l"))
            .group_by_columns(["reason", "stage_id", "owner_id"].map(col))
            .to_owned();
        let cells = self
            .read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| {
                Ok(LostCell {
                    reason: r.try_get("", "reason")?,
                    stage_id: r.try_get("", "stage_id")?,
                    owner_id: r.try_get("", "owner_id")?,
                    lost: r.try_get("", "n")?,
                    value: r.try_get("", "total")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(LostReasonsReport { stages, cells })
    }
}

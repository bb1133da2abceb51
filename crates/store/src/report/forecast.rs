//! What the pipeline is expected to bring, three ways. Weighted: the open deals by the month
//! they are expected to close in and the stage they are at, each worth its value times its
//! stage's probability. By conversion: the leads created in a window of history and how many of
//! them were won. Discounted: the open deals the latest audit round found breaking a critical
//! rule, with the rules, so the weighted figure can be told without them.
use super::{ReportScope, StageInfo};
use crate::actor::Actor;
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::DealStatus;
use sea_orm::ConnectionTrait;
use sea_query::{Alias, Expr, Func, Order, Query};
use std::collections::BTreeMap;

/// The first seven characters of a date: its month, `YYYY-MM`.
const MONTH: &str = "SUBSTR(expected_close_date, 1, 7)";

/// Open deals of one expected close month (none: no date) at one stage.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OpenCell {
    pub month: Option<String>,
    pub stage_id: i64,
    pub deals: i64,
    /// Minor units.
    pub value: i64,
}

/// An open deal with an open critical violation, and the rules it breaks.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FlaggedDeal {
    pub id: i64,
    pub month: Option<String>,
    pub stage_id: i64,
    pub value: i64,
    pub rules: Vec<String>,
}

/// The leads created in the window, and those of them won.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LeadHistory {
    pub leads: i64,
    pub won: i64,
    pub won_value: i64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ForecastReport {
    pub stages: Vec<StageInfo>,
    /// Each stage's probability in percent (none: not set, weighted as zero).
    pub probability: BTreeMap<i64, Option<i64>>,
    pub open: Vec<OpenCell>,
    pub flagged: Vec<FlaggedDeal>,
    pub history: LeadHistory,
}

/// Open deals of one month: how many, their value, weighted, and the part of it held by deals
/// with open critical violations.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct MonthSum {
    pub deals: i64,
    pub value: i64,
    pub weighted: i64,
    pub flagged: i64,
    pub flagged_weighted: i64,
}

impl ForecastReport {
    /// `value` at stage `stage`'s probability, minor units.
    pub fn weigh(&self, stage: i64, value: i64) -> i64 {
        let p = self.probability.get(&stage).copied().flatten().unwrap_or(0);
        ((value as f64) * (p as f64) / 100.0).round() as i64
    }

    /// The open deals by expected close month (none: without a date), months in order.
    pub fn by_month(&self) -> BTreeMap<Option<String>, MonthSum> {
        let mut out: BTreeMap<Option<String>, MonthSum> = BTreeMap::new();
        for c in &self.open {
            let m = out.entry(c.month.clone()).or_default();
            m.deals += c.deals;
            m.value += c.value;
            m.weighted += self.weigh(c.stage_id, c.value);
        }
        for d in &self.flagged {
            let m = out.entry(d.month.clone()).or_default();
            m.flagged += 1;
            m.flagged_weighted += self.weigh(d.stage_id, d.value);
        }
        out
    }

    /// The broken rules, most deals first: how many deals and their weighted value.
    pub fn by_rule(&self, in_period: impl Fn(&Option<String>) -> bool) -> Vec<(String, i64, i64)> {
        let mut sums: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        for d in self.flagged.iter().filter(|d| in_period(&d.month)) {
            for r in &d.rules {
                let e = sums.entry(r).or_default();
                e.0 += 1;
                e.1 += self.weigh(d.stage_id, d.value);
            }
        }
        let mut v: Vec<_> = sums.into_iter().map(|(r, (n, w))| (r.to_string(), n, w)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        v
    }

    /// The stages without a probability that hold open deals.
    pub fn unweighted_stages(&self) -> Vec<&StageInfo> {
        self.stages
            .iter()
            .filter(|s| self.probability.get(&s.id).copied().flatten().is_none() && self.open.iter().any(|c| c.stage_id == s.id))
            .collect()
    }
}

impl Db {
    /// The scope's pipeline's open deals by expected month and stage, those with open critical
    /// violations, and the leads of `history` (a period before the scope's) with their wins.
    pub async fn forecast_report(&self, actor: &Actor, scope: &ReportScope, history: (i64, i64)) -> Result<ForecastReport> {
        let stages = self.pipeline_stages(actor, scope.pipeline).await?;
        let probability = self.stage_probabilities(actor, scope.pipeline).await?;
        let open_deals = || {
            Query::select()
                .from(col("deals"))
                .cond_where(self.report_deals(actor, scope))
                .and_where(Expr::col(col("status")).eq(DealStatus::Open.as_str()))
                .to_owned()
        };
        let aggregate = self.rollup_answers(actor, scope).await?;
        let q = open_deals()
            .expr_as(Expr::cust(MONTH), Alias::new("month"))
            .column(col("stage_id"))
            .expr_as(Func::count(Expr::col(col("id"))), Alias::new("n"))
            .expr_as(Expr::cust("CAST(COALESCE(SUM(value), 0) AS BIGINT)"), Alias::new("total"))
            .add_group_by([Expr::cust(MONTH), Expr::col(col("stage_id")).into()])
            .to_owned();
        let open = if aggregate {
            self.open_cells_rollup(actor, scope).await?
        } else {
            self.read
                .query_all(self.backend.build(&q))
                .await?
                .iter()
                .map(|r| {
                    Ok(OpenCell {
                        month: r.try_get("", "month")?,
                        stage_id: r.try_get("", "stage_id")?,
                        deals: r.try_get("", "n")?,
                        value: r.try_get("", "total")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?
        };
        let flagged = self.flagged_deals(actor, open_deals()).await?;
        let created = Query::select()
            .expr_as(Func::count(Expr::col(col("id"))), Alias::new("leads"))
            .expr_as(Expr::cust("COALESCE(SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), 0)"), Alias::new("won"))
            .expr_as(
                Expr::cust("CAST(COALESCE(SUM(CASE WHEN status = 'won' THEN value ELSE 0 END), 0) AS BIGINT)"),
                Alias::new("won_value"),
            )
            .from(col("deals"))
            .cond_where(self.report_deals(actor, scope))
            .and_where(Expr::col(col("created_at")).gte(history.0))
            .and_where(Expr::col(col("created_at")).lt(history.1))
            .to_owned();
        let history = match (aggregate, history) {
            // The window is whole months, so whole local days.
            (true, window) => Some(self.lead_history_rollup(actor, scope, window).await?),
            (false, _) => None,
        };
        let history = match history {
            Some(h) => h,
            None => match self.read.query_one(self.backend.build(&created)).await? {
                Some(r) => LeadHistory {
                    leads: r.try_get("", "leads")?,
                    won: r.try_get::<Option<i64>>("", "won")?.unwrap_or(0),
                    won_value: r.try_get("", "won_value")?,
                },
                None => LeadHistory::default(),
            },
        };
        Ok(ForecastReport { stages, probability, open, flagged, history })
    }

    async fn stage_probabilities(&self, actor: &Actor, pipeline: i64) -> Result<BTreeMap<i64, Option<i64>>> {
        let q = Query::select()
            .columns(["id", "probability"].map(col))
            .from(col("stages"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("pipeline_id")).eq(pipeline))
            .to_owned();
        self.read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "probability")?)))
            .collect()
    }

    /// The open deals of `open` with a violation of a critical rule (criticality 1) found by the
    /// workspace's latest audit round and not fixed since (a claimed fix the re-check found still
    /// matching is not fixed).
    async fn flagged_deals(&self, actor: &Actor, open: sea_query::SelectStatement) -> Result<Vec<FlaggedDeal>> {
        let ws = actor.ws_id();
        let latest = Query::select()
            .expr(Func::max(Expr::col(col("id"))))
            .from(col("audit_rounds"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("status")).is_not_in(["running", "failed"]))
            .to_owned();
        let critical = Query::select()
            .column(col("id"))
            .from(col("rules"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("criticality")).eq(1))
            .to_owned();
        let v = |c: &str| Expr::col((col("v"), col(c)));
        let q = Query::select()
            .expr_as(v("record_id"), Alias::new("deal"))
            .expr_as(Expr::col((col("r"), col("name"))), Alias::new("rule"))
            .from_as(col("violations"), col("v"))
            .inner_join(crate::sql::aliased("rules", "r"), Expr::col((col("r"), col("id"))).equals((col("v"), col("rule_id"))))
            .and_where(v("workspace_id").eq(ws))
            .and_where(v("entity").eq(poryadok_core::schema::Entity::Deal.name()))
            .and_where(v("round_id").in_subquery(latest))
            .and_where(v("rule_id").in_subquery(critical))
            .and_where(v("status").ne("fixed").or(v("recheck").eq("still_matches")))
            .order_by((col("v"), col("record_id")), Order::Asc)
            .order_by((col("r"), col("name")), Order::Asc)
            .to_owned();
        let mut rules: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let list = rules.entry(r.try_get("", "deal")?).or_default();
            let name: String = r.try_get("", "rule")?;
            if !list.contains(&name) {
                list.push(name);
            }
        }
        if rules.is_empty() {
            return Ok(Vec::new());
        }
        let mut deals = Vec::new();
        // The ids in slices, as a statement's parameters are limited.
        let ids: Vec<i64> = rules.keys().copied().collect();
        for chunk in ids.chunks(500) {
            let q = open
                .clone()
                .columns(["id", "stage_id", "value"].map(col))
                .expr_as(Expr::cust(MONTH), Alias::new("month"))
                .and_where(Expr::col(col("id")).is_in(chunk.iter().copied()))
                .to_owned();
            for r in self.read.query_all(self.backend.build(&q)).await? {
                let id: i64 = r.try_get("", "id")?;
                deals.push(FlaggedDeal {
                    id,
                    month: r.try_get("", "month")?,
                    stage_id: r.try_get("", "stage_id")?,
                    value: r.try_get("", "value")?,
                    rules: rules.remove(&id).unwrap_or_default(),
                });
            }
        }
        deals.sort_by_key(|d| d.id);
        Ok(deals)
    }
}

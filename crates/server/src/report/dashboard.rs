//! The head's dashboard: this period's revenue against plan, the funnel, the managers side by
//! side, the forecast, overdue tasks, the violations' trend and incoming leads by source — each
//! the figures of its report, computed together. A manager's dashboard is the same over their
//! own deals.
use super::{params, Data, ForecastData, FunnelData, LoadData, MarketingData, Params, PlanFactData, SalesData};
use crate::ui::i18n::T;
use poryadok_core::plan::Metric;
use poryadok_core::report::Period;
use poryadok_store::report::dashboard::RoundTrend;
use poryadok_store::report::plan_fact::Figures;
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};

/// How many audit rounds the violations' trend shows.
pub const TREND_ROUNDS: u64 = 6;

/// The query parameters the dashboard takes.
pub const DASHBOARD_PARAMS: &[&str] = &["from", "to", "pipeline_id"];

pub struct Dashboard {
    /// The funnel's parameters: the period, the pipeline, and the manager of a manager's own
    /// dashboard.
    pub params: Params,
    /// Won deals by manager, with the previous period.
    pub sales: SalesData,
    pub funnel: FunnelData,
    pub forecast: ForecastData,
    pub load: LoadData,
    /// None when the period is not a plan's (a month or a quarter).
    pub plan: Option<PlanFactData>,
    pub sources: Vec<(Option<String>, i64)>,
    pub trend: Vec<RoundTrend>,
    /// Spend, leads and ROMI by channel (the `marketing` report), for those who see spend.
    pub marketing: Option<MarketingData>,
    /// The dashboard is the caller's own (a manager's), not the department's.
    pub own: bool,
}

/// Where the dashboard's deal figures come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// The per-day aggregate the write path keeps, wherever it answers the scope exactly
    /// (`Db::rollup_answers`: whole local days, no filter, a reader who sees every deal or
    /// their own); the deals elsewhere.
    Aggregate,
    /// Always the deals (what the reports' pages read), for comparison.
    Exact,
}

/// Reads one report's figures with `extra` parameters over the dashboard's.
async fn tile(
    db: &Db,
    actor: &Actor,
    t: &T,
    read: Read,
    name: &str,
    base: &[(String, String)],
    extra: &[(&str, &str)],
) -> Result<Data, StoreError> {
    let mut pairs = base.to_vec();
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut p = params(db, actor, name, &pairs).await?;
    p.scope.from_aggregate = read == Read::Aggregate;
    super::run(db, actor, p, t).await
}

pub async fn dashboard(db: &Db, actor: &Actor, pairs: &[(String, String)], t: &T) -> Result<Dashboard, StoreError> {
    dashboard_from(db, actor, pairs, t, Read::Aggregate).await
}

/// [`dashboard`] with its deal figures read as `read` says.
pub async fn dashboard_from(db: &Db, actor: &Actor, pairs: &[(String, String)], t: &T, read: Read) -> Result<Dashboard, StoreError> {
    if let Some((k, _)) = pairs.iter().find(|(k, _)| !DASHBOARD_PARAMS.contains(&k.as_str())) {
        return Err(StoreError::invalid(
            k,
            poryadok_core::msg::Common::OneOf { list: DASHBOARD_PARAMS.iter().map(|s| s.to_string()).collect() },
        ));
    }
    let own = !actor.caller.role.sees_all();
    let mut base: Vec<(String, String)> = pairs.to_vec();
    if own {
        base.push(("owner_id".into(), actor.user_id().to_string()));
    }
    // The funnel's parameters settle the period and the pipeline once for every tile.
    let mut funnel_params = params(db, actor, "funnel", &base).await?;
    funnel_params.scope.from_aggregate = read == Read::Aggregate;
    let mut with_pipeline = base.clone();
    if !base.iter().any(|(k, _)| k == "pipeline_id") {
        with_pipeline.push(("pipeline_id".into(), funnel_params.scope.pipeline.to_string()));
    }
    let dated = |mut v: Vec<(String, String)>| {
        v.retain(|(k, _)| k != "from" && k != "to");
        v.push(("from".into(), funnel_params.period.from_date.clone()));
        v.push(("to".into(), funnel_params.period.to_date.clone()));
        v
    };
    let (base, with_pipeline) = (dated(base), dated(with_pipeline));
    let plan_period = super::plan_fact::plan_period(&funnel_params.period).is_ok();
    let scope = funnel_params.scope.clone();
    let funnel_of = |p: Params| async move {
        // The tile shows the cohort: the movement is the funnel report's.
        let now = db.cohort_report(actor, &p.scope).await?;
        Ok::<_, StoreError>(FunnelData { params: p, now, previous: None })
    };
    let marketing = poryadok_core::spend::may_read(actor.caller.role);
    let (sales, forecast, load, plan, sources, trend, funnel, marketing) = tokio::try_join!(
        tile(db, actor, t, read, "sales", &base, &[("group", "owner"), ("compare", "previous")]),
        tile(db, actor, t, read, "forecast", &with_pipeline, &[]),
        tile(db, actor, t, read, "load", &base, &[]),
        async {
            match plan_period {
                true => {
                    let p = params(db, actor, "plan_fact", &base).await?;
                    super::plan_fact::plan_fact_of(db, actor, p, &[Metric::Revenue]).await.map(Some)
                }
                false => Ok(None),
            }
        },
        db.leads_by_source(actor, &scope, None),
        db.violations_trend(actor, TREND_ROUNDS),
        funnel_of(funnel_params.clone()),
        async {
            match marketing {
                true => tile(db, actor, t, Read::Exact, "marketing", &base, &[]).await.map(Some),
                false => Ok(None),
            }
        },
    )?;
    let (Data::Sales(sales), Data::Forecast(forecast), Data::Load(load)) = (sales, forecast, load) else {
        return Err(StoreError::Internal("a dashboard tile of another report".into()));
    };
    let marketing = match marketing {
        Some(Data::Marketing(m)) => Some(m),
        _ => None,
    };
    Ok(Dashboard { params: funnel_params, sales, funnel, forecast, load, plan, sources, trend, marketing, own })
}

impl Dashboard {
    pub fn period(&self) -> &Period {
        &self.params.period
    }

    /// The total's revenue against its plan, when there is one.
    pub fn revenue_plan(&self) -> Option<Figures> {
        let p = self.plan.as_ref()?;
        p.now.total.figures.get(&Metric::Revenue).copied().filter(|f| f.plan.is_some())
    }

    pub fn json(&self) -> Value {
        let s = &self.sales;
        let prev = s.previous.as_ref().map(|p| &p.total);
        let plan = self.revenue_plan();
        let load = &self.load.now.total;
        json!({
            "period": super::period_json(self.period()),
            "own": self.own,
            "pipeline_id": self.params.scope.pipeline,
            "revenue": {
                "won": s.now.total.won,
                "won_value": s.now.total.won_value,
                "previous_won_value": prev.map(|p| p.won_value),
                "plan": plan.and_then(|f| f.plan),
                "projection": plan.and_then(|f| f.projection),
                "fulfilment": plan.and_then(|f| Some(super::pct(poryadok_core::report::ratio(f.fact?, f.plan?)))),
            },
            "funnel": super::funnel::counts_json(&self.funnel.now.stages, &self.funnel.now.cohort),
            // The median cycle is the sales report's (the aggregate sums, it has no median).
            "managers": s.rows_json(&s.now.rows).into_iter().map(|mut r| {
                if let Some(o) = r.as_object_mut() {
                    o.remove("cycle_median_days");
                }
                r
            }).collect::<Vec<_>>(),
            "forecast": {
                "weighted": self.forecast.in_period().weighted,
                "conversion": self.forecast.conversion.expected_value,
                "discounted": self.forecast.discounted(),
            },
            "overdue_tasks": {
                "total": load.overdue_tasks,
                "managers": self.load.now.rows.iter().filter(|r| r.counts.overdue_tasks > 0).map(|r| json!({
                    "owner_id": r.owner_id, "name": r.owner_id.and_then(|o| self.load.owners.get(&o)), "overdue": r.counts.overdue_tasks,
                })).collect::<Vec<_>>(),
            },
            "violations": self.trend.iter().map(|r| json!({"round_id": r.round_id, "started_at": poryadok_core::types::format_ms(r.started_at),
                "violations": r.violations, "fixed": r.fixed})).collect::<Vec<_>>(),
            "leads_by_source": self.sources.iter().map(|(s, n)| json!({"source": s, "leads": n})).collect::<Vec<_>>(),
            "marketing": self.marketing.as_ref().map(|m| json!({
                "spend": m.report.total.spend,
                "leads": m.report.total.leads,
                "romi": super::pct(m.report.total.romi()),
                "channels": m.report.rows.iter().map(|r| json!({
                    "channel": r.key.channel, "spend": r.figures.spend, "leads": r.figures.leads, "romi": super::pct(r.figures.romi()),
                })).collect::<Vec<_>>(),
            })),
        })
    }
}

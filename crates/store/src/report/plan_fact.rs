//! Plan against fact for a month or a quarter: per manager, per team and in total, each metric's
//! plan ([`crate::plans::effective`]), its fact, and the fact carried on at its pace to the
//! period's end in working days of the workspace's calendar ([`Pace`]).
//!
//! Facts come from the same scoped reads as the other reports: revenue and won deals from the
//! deals won in the period ([`Db::report_deals_in`], every pipeline unless one is chosen);
//! outgoing calls, e-mails sent and invoices issued from the activity report
//! ([`Db::activity_report_in`]: `calls_out`, `emails_out`, `invoices_issued`), by the owner of
//! the activity, message or invoice. A manager sees the rows of the people whose deals they see.
use super::ReportScope;
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::plans::{effective, periods_for, PlanUser, Target};
use crate::sql::col;
use crate::Db;
use poryadok_core::access::Scope;
use poryadok_core::calendar::BusinessHours;
use poryadok_core::domain::DealStatus;
use poryadok_core::plan::{team_plan, Metric, Pace, PlanPeriod};
use sea_orm::ConnectionTrait;
use sea_query::{Alias, Expr, Query};
use std::collections::{BTreeMap, HashMap};

/// A metric's figures in a row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Figures {
    pub plan: Option<i64>,
    /// None where the metric is not counted.
    pub fact: Option<i64>,
    /// The fact at its pace by the period's end.
    pub projection: Option<i64>,
}

/// A manager, a team or the total.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanFactRow {
    /// None for the total.
    pub target: Option<Target>,
    pub name: String,
    pub team_id: Option<i64>,
    pub figures: BTreeMap<Metric, Figures>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlanFactReport {
    pub period: PlanPeriod,
    pub pace: Pace,
    /// The workspace's local day the pace is counted to (`YYYY-MM-DD`).
    pub today: String,
    /// The metrics that have a plan in the rows shown, in their order.
    pub metrics: Vec<Metric>,
    pub managers: Vec<PlanFactRow>,
    pub teams: Vec<PlanFactRow>,
    pub total: PlanFactRow,
}

/// Facts by metric and owner (none: deals without one).
pub type Facts = HashMap<Metric, HashMap<Option<i64>, i64>>;

impl Db {
    /// The workspace's working calendar (the default one when unset or unreadable).
    pub async fn business_hours(&self, actor: &Actor) -> Result<BusinessHours> {
        let q = Query::select()
            .column(col("business_hours"))
            .from(col("workspaces"))
            .and_where(Expr::col(col("id")).eq(actor.ws_id()))
            .to_owned();
        let stored: Option<String> = match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => r.try_get("", "business_hours")?,
            None => None,
        };
        if let Some(h) = stored.and_then(|s| serde_json::from_str(&s).ok()).and_then(|v| BusinessHours::parse(&v).ok()) {
            return Ok(h);
        }
        BusinessHours::parse(&crate::workspace::default_business_hours()).map_err(|e| StoreError::Internal(e.message()))
    }

    /// Revenue and won deals of the scope's period by owner.
    async fn won_facts(&self, actor: &Actor, scope: &ReportScope, pipeline: Option<i64>) -> Result<Facts> {
        let q = Query::select()
            .column(col("owner_id"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .expr_as(Expr::cust("CAST(COALESCE(SUM(value), 0) AS BIGINT)"), Alias::new("total"))
            .from(col("deals"))
            .cond_where(self.report_deals_in(actor, scope, pipeline))
            .and_where(Expr::col(col("status")).eq(DealStatus::Won.as_str()))
            .and_where(Expr::col(col("closed_at")).gte(scope.from))
            .and_where(Expr::col(col("closed_at")).lt(scope.to))
            .group_by_col(col("owner_id"))
            .to_owned();
        let mut facts = Facts::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let owner: Option<i64> = r.try_get("", "owner_id")?;
            facts.entry(Metric::WonDeals).or_default().insert(owner, r.try_get("", "n")?);
            facts.entry(Metric::Revenue).or_default().insert(owner, r.try_get("", "total")?);
        }
        facts.entry(Metric::WonDeals).or_default();
        facts.entry(Metric::Revenue).or_default();
        Ok(facts)
    }

    /// Plan against fact for `period` (whose days the scope's period is), in `pipeline` (none:
    /// every pipeline).
    pub async fn plan_fact_report(
        &self,
        actor: &Actor,
        scope: &ReportScope,
        pipeline: Option<i64>,
        period: PlanPeriod,
    ) -> Result<PlanFactReport> {
        self.plan_fact_of(actor, scope, pipeline, period, &Metric::ALL).await
    }

    /// [`Db::plan_fact_report`] of the `wanted` metrics only. A fact is read only for a metric
    /// some plan sets: the activity counts (a month of calls, e-mails and invoices) cost most.
    pub async fn plan_fact_of(
        &self,
        actor: &Actor,
        scope: &ReportScope,
        pipeline: Option<i64>,
        period: PlanPeriod,
        wanted: &[Metric],
    ) -> Result<PlanFactReport> {
        let hours = self.business_hours(actor).await?;
        let now = self.clock.now_ms();
        let today_date = poryadok_core::zone::local(&actor.ws.timezone, now).date();
        let today = crate::activity_clock::local_day(&actor.ws.timezone, now);
        let pace = Pace::of(&hours, &period, today_date);
        let mut plans = effective(&self.plans_of(actor, &periods_for(period)).await?, period, &hours);
        plans.retain(|(_, m), _| wanted.contains(m));
        let planned = |ms: &[Metric]| plans.keys().any(|(_, m)| ms.contains(m));
        let mut facts =
            if planned(&[Metric::Revenue, Metric::WonDeals]) { self.won_facts(actor, scope, pipeline).await? } else { Facts::new() };
        let activity_metrics = [Metric::Calls, Metric::Emails, Metric::Invoices];
        let activity = match planned(&activity_metrics) {
            true => Some(self.activity_report_in(actor, scope, pipeline).await?.rows),
            false => None,
        };
        for (metric, of) in [
            (Metric::Calls, (|c| c.calls_out) as fn(&super::activity::ActivityCounts) -> i64),
            (Metric::Emails, |c| c.emails_out),
            (Metric::Invoices, |c| c.invoices_issued),
        ] {
            let Some(activity) = &activity else { break };
            let by_owner = facts.entry(metric).or_default();
            for row in activity {
                *by_owner.entry(row.owner_id).or_default() += of(&row.counts);
            }
        }
        let users = self.plan_users(actor).await?;
        let teams = self.plan_teams(actor).await?;
        Ok(assemble(actor, scope, period, pace, today, &plans, &facts, &users, &teams))
    }
}

/// Lays out the rows from plans and facts (pure, so the rules read in one place).
#[allow(clippy::too_many_arguments)]
pub fn assemble(
    actor: &Actor,
    scope: &ReportScope,
    period: PlanPeriod,
    pace: Pace,
    today: String,
    plans: &BTreeMap<(Target, Metric), i64>,
    facts: &Facts,
    users: &[PlanUser],
    teams: &[(i64, String)],
) -> PlanFactReport {
    let caller = actor.caller.scope();
    let sees = |u: &PlanUser| match caller {
        Scope::All => true,
        Scope::OwnedBy(me) => u.id == me,
        Scope::Team { team_id, user_id } => u.id == user_id || u.team_id == Some(team_id),
    };
    let narrowed = |u: &PlanUser| scope.owner.is_none_or(|o| o == u.id) && scope.team.is_none_or(|t| u.team_id == Some(t));
    let fact = |m: Metric, owner: i64| facts.get(&m).map(|f| f.get(&Some(owner)).copied().unwrap_or(0));
    let metrics: Vec<Metric> = Metric::ALL
        .into_iter()
        .filter(|m| {
            plans.iter().any(|((t, pm), _)| {
                pm == m
                    && match t {
                        Target::User(id) => users.iter().any(|u| u.id == *id && sees(u) && narrowed(u)),
                        Target::Team(id) => scope.owner.is_none() && scope.team.is_none_or(|t| t == *id),
                    }
            })
        })
        .collect();
    let figures = |plan: Option<i64>, fact: Option<i64>| Figures { plan, fact, projection: fact.and_then(|f| pace.projection(f)) };

    let managers: Vec<PlanFactRow> = users
        .iter()
        .filter(|u| sees(u) && narrowed(u))
        .filter(|u| metrics.iter().any(|m| plans.contains_key(&(Target::User(u.id), *m)) || fact(*m, u.id).unwrap_or(0) > 0))
        .map(|u| PlanFactRow {
            target: Some(Target::User(u.id)),
            name: u.name.clone(),
            team_id: u.team_id,
            figures: metrics.iter().map(|m| (*m, figures(plans.get(&(Target::User(u.id), *m)).copied(), fact(*m, u.id)))).collect(),
        })
        .collect();

    let team_rows_allowed = scope.owner.is_none()
        && match caller {
            Scope::All => true,
            Scope::Team { .. } => true,
            Scope::OwnedBy(_) => false,
        };
    let team_rows: Vec<PlanFactRow> = teams
        .iter()
        .filter(|(id, _)| team_rows_allowed && scope.team.is_none_or(|t| t == *id))
        .filter(|(id, _)| match caller {
            Scope::Team { team_id, .. } => team_id == *id,
            _ => true,
        })
        .filter(|(id, _)| {
            metrics.iter().any(|m| plans.contains_key(&(Target::Team(*id), *m))) || managers.iter().any(|r| r.team_id == Some(*id))
        })
        .map(|(id, name)| {
            let members: Vec<&PlanUser> = users.iter().filter(|u| u.team_id == Some(*id) && sees(u)).collect();
            PlanFactRow {
                target: Some(Target::Team(*id)),
                name: name.clone(),
                team_id: Some(*id),
                figures: metrics
                    .iter()
                    .map(|m| {
                        let plan = team_plan(
                            plans.get(&(Target::Team(*id), *m)).copied(),
                            members.iter().map(|u| plans.get(&(Target::User(u.id), *m)).copied()),
                        );
                        let f = facts.get(m).map(|_| members.iter().map(|u| fact(*m, u.id).unwrap_or(0)).sum());
                        (*m, figures(plan, f))
                    })
                    .collect(),
            }
        })
        .collect();

    let shown_teams: Vec<i64> = team_rows.iter().filter_map(|r| r.team_id).collect();
    let total_figures = metrics
        .iter()
        .map(|m| {
            let in_teams = team_rows.iter().filter_map(|r| r.figures.get(m).and_then(|f| f.plan));
            let alone = managers
                .iter()
                .filter(|r| r.team_id.is_none_or(|t| !shown_teams.contains(&t)))
                .filter_map(|r| r.figures.get(m).and_then(|f| f.plan));
            let plan = in_teams.chain(alone).reduce(|a, b| a.saturating_add(b));
            // The scope's whole fact when it is not narrowed to people; else the rows'.
            let f = facts.get(m).map(|by_owner| {
                if scope.owner.is_none() && scope.team.is_none() && caller == Scope::All {
                    by_owner.values().sum()
                } else {
                    managers.iter().filter_map(|r| r.figures.get(m).and_then(|f| f.fact)).sum()
                }
            });
            (*m, figures(plan, f))
        })
        .collect();
    PlanFactReport {
        period,
        pace,
        today,
        metrics,
        managers,
        teams: team_rows,
        total: PlanFactRow { target: None, name: String::new(), team_id: None, figures: total_figures },
    }
}

impl Db {
    /// The demo department's plans, for the previous month and the current one: each active
    /// manager's, consultant's and partner manager's revenue, won deals, calls, e-mails and
    /// invoices — the previous month's fact raised by a tenth (revenue rounded up to a thousand,
    /// at least 50 000; counts at least 1), as a head sets plans from what the team does.
    /// Returns how many plans were set.
    pub async fn demo_plans(&self, ws: i64) -> Result<u64> {
        let sys = self.system_actor(ws, poryadok_core::domain::Channel::Demo).await?;
        let today = poryadok_core::zone::local(&sys.ws.timezone, self.clock.now_ms()).date();
        let this = PlanPeriod::month_of(today);
        let last = this.previous();
        let day = |d: Option<time::Date>| d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())).unwrap_or_default();
        let p = poryadok_core::report::Period::parse(&day(last.first_day()), &day(last.last_day()), &sys.ws.timezone)?;
        let scope = ReportScope { from: p.from, to: p.to, ..Default::default() };
        let mut facts = self.won_facts(&sys, &scope, None).await?;
        let activity = self.activity_report_in(&sys, &scope, None).await?;
        for row in &activity.rows {
            for (m, v) in [
                (Metric::Calls, row.counts.calls_out),
                (Metric::Emails, row.counts.emails_out),
                (Metric::Invoices, row.counts.invoices_issued),
            ] {
                *facts.entry(m).or_default().entry(row.owner_id).or_default() += v;
            }
        }
        let mut cells = Vec::new();
        for u in self.plan_users(&sys).await?.iter().filter(|u| u.active && crate::plans::SELLING_ROLES.contains(&u.role.as_str())) {
            for m in Metric::ALL {
                let fact = facts.get(&m).and_then(|f| f.get(&Some(u.id))).copied().unwrap_or(0);
                let raised = fact.saturating_mul(11) / 10;
                let value = if m.is_money() { ((raised + 99_999) / 100_000 * 100_000).max(5_000_000) } else { raised.max(1) };
                for period in [last, this] {
                    cells.push(crate::plans::PlanSet { target: Target::User(u.id), period, metric: m, value: Some(value) });
                }
            }
        }
        Ok(self.set_plans(&sys, &cells).await?.created)
    }
}

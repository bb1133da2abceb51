//! Plan against fact: per manager, team and in total, each planned metric's plan, fact,
//! fulfilment and run-rate projection to the period's end in working days.
use super::{pct, period_json, Cell, Params, Table};
use crate::ui::i18n::T;
use poryadok_core::msg::PlanMsg;
use poryadok_core::plan::{fulfilment, Metric, PlanPeriod};
use poryadok_store::plans::Target;
use poryadok_store::report::plan_fact::{Figures, PlanFactReport, PlanFactRow};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Map, Value};

/// The plan period a report's `from`..`to` covers: a whole month or quarter, or a 422 on `from`.
pub fn plan_period(p: &poryadok_core::report::Period) -> Result<PlanPeriod, StoreError> {
    PlanPeriod::from_days(&p.from_date, &p.to_date).ok_or_else(|| StoreError::invalid("from", PlanMsg::ReportPeriod {}))
}

pub struct PlanFactData {
    pub params: Params,
    pub now: PlanFactReport,
}

pub async fn plan_fact(db: &Db, actor: &Actor, params: Params) -> Result<PlanFactData, StoreError> {
    plan_fact_of(db, actor, params, &Metric::ALL).await
}

/// [`plan_fact`] of the `wanted` metrics only (the dashboard's is revenue).
pub async fn plan_fact_of(db: &Db, actor: &Actor, params: Params, wanted: &[Metric]) -> Result<PlanFactData, StoreError> {
    let period = plan_period(&params.period)?;
    let now = db.plan_fact_of(actor, &params.scope, params.pipeline(), period, wanted).await?;
    Ok(PlanFactData { params, now })
}

/// The projection as a share of the plan.
pub fn projected(f: &Figures) -> Option<f64> {
    f.projection.and_then(|p| fulfilment(p, f.plan))
}

fn figures_json(f: &Figures) -> Value {
    json!({
        "plan": f.plan,
        "fact": f.fact,
        "fulfilment": pct(f.fact.and_then(|x| fulfilment(x, f.plan))),
        "projection": f.projection,
        "projected_fulfilment": pct(projected(f)),
    })
}

fn row_json(r: &PlanFactRow) -> Value {
    let metrics: Map<String, Value> = r.figures.iter().map(|(m, f)| (m.as_str().to_string(), figures_json(f))).collect();
    let mut v = json!({"name": r.name, "metrics": metrics});
    match r.target {
        Some(Target::User(id)) => {
            v["user_id"] = json!(id);
            v["team_id"] = json!(r.team_id);
        }
        Some(Target::Team(id)) => v["team_id"] = json!(id),
        None => {
            if let Some(o) = v.as_object_mut() {
                o.remove("name");
            }
        }
    }
    v
}

impl PlanFactData {
    pub fn json(&self) -> Value {
        let r = &self.now;
        json!({
            "report": "plan_fact",
            "pipeline_id": self.params.pipeline(),
            "period": period_json(&self.params.period),
            "plan_period": r.period.key(),
            "working_days": {"total": r.pace.total, "elapsed": r.pace.elapsed, "as_of": r.today},
            "metrics": r.metrics.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            "managers": r.managers.iter().map(row_json).collect::<Vec<_>>(),
            "teams": r.teams.iter().map(row_json).collect::<Vec<_>>(),
            "total": row_json(&r.total),
        })
    }

    /// A row per manager, team and the total; per metric its plan, fact, fulfilment, projection
    /// and the projection's share of the plan.
    pub fn table(&self, t: &T) -> Table {
        let r = &self.now;
        let mut heads = vec![t.t("reports.plan_fact.col.who").to_string()];
        for m in &r.metrics {
            let metric = t.t(&format!("reports.plan_fact.metric.{}", m.as_str())).to_string();
            for col in ["plan", "fact", "fulfilment", "projection", "projected"] {
                heads.push(format!("{metric}: {}", t.t(&format!("reports.plan_fact.col.{col}"))));
            }
        }
        let mut table = Table::new(heads);
        let amount = |m: Metric, v: Option<i64>| match v {
            None => Cell::Empty,
            Some(v) if m.is_money() => Cell::Money(v),
            Some(v) => Cell::Int(v),
        };
        let mut push = |label: String, row: &PlanFactRow| {
            let mut cells = vec![Cell::Text(label)];
            for m in &r.metrics {
                let f = row.figures.get(m).copied().unwrap_or_default();
                cells.push(amount(*m, f.plan));
                cells.push(amount(*m, f.fact));
                cells.push(Cell::Pct(f.fact.and_then(|x| fulfilment(x, f.plan))));
                cells.push(amount(*m, f.projection));
                cells.push(Cell::Pct(projected(&f)));
            }
            table.rows.push(cells);
        };
        for row in &r.managers {
            push(row.name.clone(), row);
        }
        for row in &r.teams {
            push(t.fmt("reports.plan_fact.team", &[("name", row.name.as_str())]), row);
        }
        push(t.t("reports.total").to_string(), &r.total);
        table
    }
}

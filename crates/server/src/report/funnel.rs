//! The funnel and each manager's funnel beside the department's.
use super::{pct, period_json, Cell, Params, Table, MIN_SAMPLE};
use crate::ui::i18n::T;
use poryadok_core::report::{ratio, step_conversions, weakest_step};
use poryadok_core::schema::Entity;
use poryadok_store::report::funnel::{FunnelCounts, FunnelReport, ManagerFunnel};
use poryadok_store::report::StageInfo;
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};

/// The funnel with what its page and files show around it.
pub struct FunnelData {
    pub params: Params,
    pub now: FunnelReport,
    pub previous: Option<FunnelReport>,
}

pub async fn funnel(db: &Db, actor: &Actor, params: Params) -> Result<FunnelData, StoreError> {
    let now = db.funnel_report(actor, &params.scope).await?;
    let previous = match params.previous_scope() {
        Some(s) => Some(db.funnel_report(actor, &s).await?),
        None => None,
    };
    Ok(FunnelData { params, now, previous })
}

/// Each manager's funnel beside the department's, with their weakest step.
pub struct ManagersData {
    pub params: Params,
    pub stages: Vec<StageInfo>,
    pub department: FunnelCounts,
    pub managers: Vec<(ManagerFunnel, String, Option<usize>)>,
}

pub async fn managers(db: &Db, actor: &Actor, params: Params, t: &T) -> Result<ManagersData, StoreError> {
    let (stages, department, rows) = db.manager_funnels(actor, &params.scope).await?;
    let names = db.names(actor, Entity::User, rows.iter().filter_map(|m| m.owner_id)).await?;
    let mut managers: Vec<_> = rows
        .into_iter()
        .map(|m| {
            let name = match m.owner_id {
                Some(o) => names.get(&o).cloned().unwrap_or_else(|| format!("#{o}")),
                None => t.t("reports.no_owner").to_string(),
            };
            let weak = weakest_step(&m.counts.reached, m.counts.won, &department.reached, department.won, MIN_SAMPLE);
            (m, name, weak)
        })
        .collect();
    managers.sort_by(|a, b| b.0.counts.deals.cmp(&a.0.counts.deals).then_with(|| a.1.cmp(&b.1)));
    Ok(ManagersData { params, stages, department, managers })
}

pub(super) fn counts_json(stages: &[StageInfo], c: &FunnelCounts) -> Value {
    let conv = step_conversions(&c.reached, c.won);
    json!({
        "deals": c.deals,
        "won": c.won,
        "won_value": c.won_value,
        "lost": c.lost,
        "win_rate": pct(ratio(c.won, c.won + c.lost)),
        "stages": stages.iter().enumerate().map(|(i, s)| json!({
            "stage_id": s.id,
            "name": s.name,
            "reached": c.reached[i],
            "to_next": pct(conv[i]),
            "to_won": pct(ratio(c.won, c.reached[i])),
        })).collect::<Vec<_>>(),
    })
}

impl FunnelData {
    pub fn json(&self) -> Value {
        let stages = &self.now.stages;
        let mut v = json!({
            "report": "funnel",
            "pipeline_id": self.params.scope.pipeline,
            "period": period_json(&self.params.period),
            "cohort": counts_json(stages, &self.now.cohort),
            "movement": counts_json(stages, &self.now.movement),
        });
        if let (Some(prev), Some(p)) = (&self.previous, &self.params.compare) {
            v["previous"] = json!({
                "period": period_json(p),
                "cohort": counts_json(&prev.stages, &prev.cohort),
                "movement": counts_json(&prev.stages, &prev.movement),
            });
        }
        v
    }

    /// One row per stage and one for won: reached and conversions, cohort then movement.
    pub fn table(&self, t: &T) -> Table {
        let heads = [
            "reports.col.stage",
            "reports.col.cohort_reached",
            "reports.col.to_next",
            "reports.col.to_won",
            "reports.col.movement_reached",
            "reports.col.to_next",
            "reports.col.to_won",
        ];
        let mut table = Table::new(heads.iter().map(|k| t.t(k).to_string()).collect());
        let (c, m) = (&self.now.cohort, &self.now.movement);
        let (cc, mc) = (step_conversions(&c.reached, c.won), step_conversions(&m.reached, m.won));
        for (i, s) in self.now.stages.iter().enumerate() {
            table.rows.push(vec![
                Cell::Text(s.name.clone()),
                Cell::Int(c.reached[i]),
                Cell::Pct(cc[i]),
                Cell::Pct(ratio(c.won, c.reached[i])),
                Cell::Int(m.reached[i]),
                Cell::Pct(mc[i]),
                Cell::Pct(ratio(m.won, m.reached[i])),
            ]);
        }
        table.rows.push(vec![
            Cell::Text(t.t("reports.won").to_string()),
            Cell::Int(c.won),
            Cell::Empty,
            Cell::Empty,
            Cell::Int(m.won),
            Cell::Empty,
            Cell::Empty,
        ]);
        table
    }
}

impl ManagersData {
    pub fn json(&self) -> Value {
        json!({
            "report": "managers",
            "pipeline_id": self.params.scope.pipeline,
            "period": period_json(&self.params.period),
            "department": counts_json(&self.stages, &self.department),
            "managers": self.managers.iter().map(|(m, name, weak)| {
                let mut v = counts_json(&self.stages, &m.counts);
                v["owner_id"] = json!(m.owner_id);
                v["name"] = json!(name);
                v["weakest_step"] = json!(weak.map(|i| json!({"index": i, "from_stage_id": self.stages[i].id,
                    "to": self.stages.get(i + 1).map_or(json!("won"), |s| json!(s.id))})));
                v
            }).collect::<Vec<_>>(),
        })
    }

    /// One row per manager (and the department's first): deals reaching each stage, won, the
    /// win rate and the weakest step.
    pub fn table(&self, t: &T) -> Table {
        let mut heads = vec![t.t("reports.col.manager").to_string()];
        heads.extend(self.stages.iter().map(|s| s.name.clone()));
        heads.extend(["reports.won", "reports.col.won_value", "reports.col.win_rate", "reports.col.weakest"].map(|k| t.t(k).to_string()));
        let mut table = Table::new(heads);
        let row = |name: String, c: &FunnelCounts, weak: Option<usize>| {
            let mut r = vec![Cell::Text(name)];
            r.extend(c.reached.iter().map(|n| Cell::Int(*n)));
            r.push(Cell::Int(c.won));
            r.push(Cell::Money(c.won_value));
            r.push(Cell::Pct(ratio(c.won, c.won + c.lost)));
            r.push(weak.map_or(Cell::Empty, |i| Cell::Text(self.step_name(t, i))));
            r
        };
        table.rows.push(row(t.t("reports.department").to_string(), &self.department, None));
        for (m, name, weak) in &self.managers {
            table.rows.push(row(name.clone(), &m.counts, *weak));
        }
        table
    }

    /// "Stage → next stage" (or "→ won") of step `i`.
    pub fn step_name(&self, t: &T, i: usize) -> String {
        let to = self.stages.get(i + 1).map_or_else(|| t.t("reports.won").to_string(), |s| s.name.clone());
        format!("{} → {to}", self.stages[i].name)
    }
}

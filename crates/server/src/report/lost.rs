//! Lost deals by reason, stage and manager.
use super::{pct, period_json, Cell, Params, Table};
use crate::ui::i18n::T;
use poryadok_core::report::ratio;
use poryadok_core::schema::Entity;
use poryadok_store::report::lost_reasons::{Lost, LostReasonsReport};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Lost deals by reason, stage and manager, with what their page and files show around them.
pub struct LostData {
    pub params: Params,
    pub now: LostReasonsReport,
    pub previous: Option<LostReasonsReport>,
    pub owners: HashMap<i64, String>,
    pub stages: HashMap<i64, String>,
}

pub async fn lost_reasons(db: &Db, actor: &Actor, params: Params) -> Result<LostData, StoreError> {
    let now = db.lost_reasons_report(actor, &params.scope).await?;
    let previous = match params.previous_scope() {
        Some(s) => Some(db.lost_reasons_report(actor, &s).await?),
        None => None,
    };
    let owners = db.names(actor, Entity::User, now.cells.iter().filter_map(|c| c.owner_id)).await?;
    let stages = db.names(actor, Entity::Stage, now.cells.iter().filter_map(|c| c.stage_id)).await?;
    Ok(LostData { params, now, previous, owners, stages })
}

fn lost_json(l: &Lost, total: &Lost) -> Value {
    json!({"lost": l.lost, "value": l.value, "share": pct(ratio(l.lost, total.lost))})
}

impl LostData {
    pub fn reason_name(&self, t: &T, r: &Option<String>) -> String {
        r.clone().unwrap_or_else(|| t.t("reports.no_reason").to_string())
    }

    pub fn owner_name(&self, t: &T, o: Option<i64>) -> String {
        match o {
            Some(o) => self.owners.get(&o).cloned().unwrap_or_else(|| format!("#{o}")),
            None => t.t("reports.no_owner").to_string(),
        }
    }

    pub fn stage_name(&self, s: Option<i64>) -> String {
        s.and_then(|s| self.stages.get(&s).cloned()).unwrap_or_else(|| "—".into())
    }

    pub fn json(&self) -> Value {
        let total = self.now.total();
        let reasons = |r: &LostReasonsReport| {
            let total = r.total();
            r.by_reason()
                .iter()
                .map(|(reason, l)| json!({"reason": reason, "lost": l.lost, "value": l.value, "share": pct(ratio(l.lost, total.lost))}))
                .collect::<Vec<_>>()
        };
        let mut v = json!({
            "report": "lost_reasons",
            "pipeline_id": self.params.scope.pipeline,
            "period": period_json(&self.params.period),
            "total": {"lost": total.lost, "value": total.value},
            "reasons": reasons(&self.now),
            "stages": self.now.by_stage().iter().map(|(s, l)| {
                let mut v = lost_json(l, &total);
                v["stage_id"] = json!(s);
                v["name"] = json!(self.stage_name(*s));
                v
            }).collect::<Vec<_>>(),
            "managers": self.now.by_owner().iter().map(|(o, l)| {
                let mut v = lost_json(l, &total);
                v["owner_id"] = json!(o);
                v["name"] = json!(o.and_then(|o| self.owners.get(&o)));
                v["reasons"] = self.now.by_reason().iter().filter_map(|(r, _)| {
                    let c = self.now.count(r, *o);
                    (c.lost > 0).then(|| json!({"reason": r, "lost": c.lost, "value": c.value}))
                }).collect::<Vec<_>>().into();
                v
            }).collect::<Vec<_>>(),
        });
        if let (Some(prev), Some(pp)) = (&self.previous, &self.params.compare) {
            let t = prev.total();
            v["previous"] = json!({"period": period_json(pp), "total": {"lost": t.lost, "value": t.value}, "reasons": reasons(prev)});
        }
        v
    }

    /// A row per reason (lost, value, share, and how many each manager lost for it), the total,
    /// then a row per stage where the deals were lost.
    pub fn table(&self, t: &T) -> Table {
        let owners = self.now.by_owner();
        let mut heads =
            ["reports.col.reason", "reports.col.lost", "reports.col.lost_value", "reports.col.share"].map(|k| t.t(k).to_string()).to_vec();
        heads.extend(owners.iter().map(|(o, _)| self.owner_name(t, *o)));
        let width = heads.len();
        let mut table = Table::new(heads);
        let total = self.now.total();
        for (reason, l) in self.now.by_reason() {
            let mut row = vec![
                Cell::Text(self.reason_name(t, &reason)),
                Cell::Int(l.lost),
                Cell::Money(l.value),
                Cell::Pct(ratio(l.lost, total.lost)),
            ];
            row.extend(owners.iter().map(|(o, _)| Cell::Int(self.now.count(&reason, *o).lost)));
            table.rows.push(row);
        }
        let mut row = vec![Cell::Text(t.t("reports.total").to_string()), Cell::Int(total.lost), Cell::Money(total.value), Cell::Empty];
        row.extend(owners.iter().map(|(_, l)| Cell::Int(l.lost)));
        table.rows.push(row);
        table.rows.push(vec![Cell::Empty; width]);
        table.rows.push(
            ["reports.col.lost_stage", "reports.col.lost", "reports.col.lost_value", "reports.col.share"]
                .map(|k| Cell::Text(t.t(k).to_string()))
                .to_vec(),
        );
        for (s, l) in self.now.by_stage() {
            table.rows.push(vec![
                Cell::Text(self.stage_name(s)),
                Cell::Int(l.lost),
                Cell::Money(l.value),
                Cell::Pct(ratio(l.lost, total.lost)),
            ]);
        }
        table
    }
}

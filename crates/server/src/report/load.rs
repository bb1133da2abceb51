//! Each manager's load beside their revenue and margin: profit against load.
use super::{period_json, Cell, Params, Table};
use crate::ui::i18n::T;
use poryadok_core::schema::Entity;
use poryadok_store::report::load::{LoadCounts, LoadReport, LoadRow};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The managers' load with what their page and files show around it.
pub struct LoadData {
    pub params: Params,
    pub now: LoadReport,
    /// The comparison period's (only its won deals are read: open deals and tasks are now's).
    pub previous: Option<LoadReport>,
    pub owners: HashMap<i64, String>,
}

pub async fn load(db: &Db, actor: &Actor, params: Params) -> Result<LoadData, StoreError> {
    let now = db.load_report(actor, &params.scope, params.pipeline()).await?;
    let previous = match params.previous_scope() {
        Some(s) => Some(db.load_report(actor, &s, params.pipeline()).await?),
        None => None,
    };
    let owners = db.names(actor, Entity::User, now.rows.iter().filter_map(|r| r.owner_id)).await?;
    Ok(LoadData { params, now, previous, owners })
}

/// Money per open deal (rounded to a minor unit): what each deal in work stands against.
pub fn per_open_deal(amount: Option<i64>, c: &LoadCounts) -> Option<i64> {
    let a = amount?;
    (c.open_deals > 0).then(|| (a as f64 / c.open_deals as f64).round() as i64)
}

fn counts_json(c: &LoadCounts, cost_field: bool) -> Value {
    let mut v = json!({
        "open_deals": c.open_deals,
        "open_value": c.open_value,
        "open_tasks": c.open_tasks,
        "overdue_tasks": c.overdue_tasks,
        "won": c.won,
        "won_value": c.won_value,
        "revenue_per_open_deal": per_open_deal(Some(c.won_value), c),
    });
    if cost_field {
        v["margin"] = json!(c.margin());
        v["margin_known"] = json!(c.costed);
        v["margin_per_open_deal"] = json!(per_open_deal(c.margin(), c));
    }
    v
}

impl LoadData {
    pub fn owner_name(&self, t: &T, o: Option<i64>) -> String {
        match o {
            Some(o) => self.owners.get(&o).cloned().unwrap_or_else(|| format!("#{o}")),
            None => t.t("reports.no_owner").to_string(),
        }
    }

    /// The comparison period's row of the manager `owner`.
    pub fn previous_of(&self, owner: Option<i64>) -> Option<&LoadCounts> {
        self.previous.as_ref().map(|p| p.rows.iter().find(|r| r.owner_id == owner).map_or(&EMPTY, |r| &r.counts))
    }

    pub fn json(&self) -> Value {
        let cf = self.now.cost_field;
        let rows = |rows: &[LoadRow]| {
            rows.iter()
                .map(|r| {
                    let mut v = counts_json(&r.counts, cf);
                    v["owner_id"] = json!(r.owner_id);
                    v["name"] = json!(r.owner_id.and_then(|o| self.owners.get(&o)));
                    v
                })
                .collect::<Vec<_>>()
        };
        let mut v = json!({
            "report": "load",
            "pipeline_id": self.params.pipeline(),
            "period": period_json(&self.params.period),
            "cost_field": cf,
            "total": counts_json(&self.now.total, cf),
            "managers": rows(&self.now.rows),
        });
        if let (Some(prev), Some(pp)) = (&self.previous, &self.params.compare) {
            let won = |c: &LoadCounts| {
                let mut v = json!({"won": c.won, "won_value": c.won_value});
                if cf {
                    v["margin"] = json!(c.margin());
                }
                v
            };
            v["previous"] = json!({
                "period": period_json(pp),
                "total": won(&prev.total),
                "managers": prev.rows.iter().filter(|r| r.counts.won > 0).map(|r| {
                    let mut v = won(&r.counts);
                    v["owner_id"] = json!(r.owner_id);
                    v
                }).collect::<Vec<_>>(),
            });
        }
        v
    }

    /// The column heads after the manager's: open deals and their value, open and overdue tasks,
    /// won and revenue, (the previous revenue), (margin), revenue (and margin) per open deal.
    pub fn heads(&self, t: &T) -> Vec<String> {
        let mut keys = vec![
            "reports.load.col.open_deals",
            "reports.load.col.open_value",
            "reports.load.col.open_tasks",
            "reports.load.col.overdue_tasks",
            "reports.won",
            "reports.col.won_value",
        ];
        if self.previous.is_some() {
            keys.push("reports.col.previous");
        }
        if self.now.cost_field {
            keys.push("reports.load.col.margin");
        }
        keys.push("reports.load.col.revenue_per_deal");
        if self.now.cost_field {
            keys.push("reports.load.col.margin_per_deal");
        }
        keys.into_iter().map(|k| t.t(k).to_string()).collect()
    }

    /// A row per manager and the department's total, in the order of [`Self::heads`].
    pub fn table(&self, t: &T) -> Table {
        let mut heads = vec![t.t("reports.col.manager").to_string()];
        heads.extend(self.heads(t));
        let mut table = Table::new(heads);
        let money = |m: Option<i64>| m.map_or(Cell::Empty, Cell::Money);
        let row = |name: String, c: &LoadCounts, prev: Option<&LoadCounts>| {
            let mut r = vec![
                Cell::Text(name),
                Cell::Int(c.open_deals),
                Cell::Money(c.open_value),
                Cell::Int(c.open_tasks),
                Cell::Int(c.overdue_tasks),
                Cell::Int(c.won),
                Cell::Money(c.won_value),
            ];
            if self.previous.is_some() {
                r.push(money(prev.map(|p| p.won_value)));
            }
            if self.now.cost_field {
                r.push(money(c.margin()));
            }
            r.push(money(per_open_deal(Some(c.won_value), c)));
            if self.now.cost_field {
                r.push(money(per_open_deal(c.margin(), c)));
            }
            r
        };
        for r in &self.now.rows {
            table.rows.push(row(self.owner_name(t, r.owner_id), &r.counts, self.previous_of(r.owner_id)));
        }
        table.rows.push(row(t.t("reports.department").to_string(), &self.now.total, self.previous.as_ref().map(|p| &p.total)));
        table
    }
}

static EMPTY: LoadCounts =
    LoadCounts { open_deals: 0, open_value: 0, open_tasks: 0, overdue_tasks: 0, won: 0, won_value: 0, costed: 0, costed_value: 0, cost: 0 };

//! Clients, deals and revenue per partner organization.
use super::{period_json, Cell, Params, Table};
use crate::ui::i18n::T;
use poryadok_core::schema::Entity;
use poryadok_store::report::partners::{PartnerCounts, PartnersReport};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The partners' figures with what their page and files show around them.
pub struct PartnersData {
    pub params: Params,
    pub now: PartnersReport,
    pub previous: Option<PartnersReport>,
    pub names: HashMap<i64, String>,
}

pub async fn partners(db: &Db, actor: &Actor, params: Params) -> Result<PartnersData, StoreError> {
    let now = db.partners_report(actor, &params.scope, params.pipeline()).await?;
    let previous = match params.previous_scope() {
        Some(s) => Some(db.partners_report(actor, &s, params.pipeline()).await?),
        None => None,
    };
    let names = db.names(actor, Entity::Organization, now.rows.iter().map(|r| r.partner_id)).await?;
    Ok(PartnersData { params, now, previous, names })
}

fn counts_json(c: &PartnerCounts) -> Value {
    json!({"clients": c.clients, "deals": c.deals, "deals_value": c.deals_value, "won": c.won, "won_value": c.won_value})
}

impl PartnersData {
    pub fn name(&self, id: i64) -> String {
        self.names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }

    /// The comparison period's figures of partner `id` (zeros when it had none).
    pub fn previous_of(&self, id: i64) -> Option<PartnerCounts> {
        self.previous.as_ref().map(|p| p.rows.iter().find(|r| r.partner_id == id).map(|r| r.counts.clone()).unwrap_or_default())
    }

    pub fn json(&self) -> Value {
        let mut v = json!({
            "report": "partners",
            "pipeline_id": self.params.pipeline(),
            "period": period_json(&self.params.period),
            "field": self.now.field,
            "total": counts_json(&self.now.total),
            "period_clients": self.now.period_clients,
            "period_clients_without_partner": self.now.period_clients_without,
            "partners": self.now.rows.iter().map(|r| {
                let mut v = counts_json(&r.counts);
                v["partner_id"] = json!(r.partner_id);
                v["name"] = json!(self.name(r.partner_id));
                v
            }).collect::<Vec<_>>(),
        });
        if let (Some(prev), Some(pp)) = (&self.previous, &self.params.compare) {
            v["previous"] = json!({
                "period": period_json(pp),
                "total": counts_json(&prev.total),
                "partners": prev.rows.iter().filter(|r| r.counts.deals + r.counts.won > 0).map(|r| {
                    json!({"partner_id": r.partner_id, "deals": r.counts.deals, "won": r.counts.won, "won_value": r.counts.won_value})
                }).collect::<Vec<_>>(),
            });
        }
        v
    }

    /// The column heads after the partner's: clients, deals and their value, won, revenue, (the
    /// previous revenue).
    pub fn heads(&self, t: &T) -> Vec<String> {
        let mut keys = vec![
            "reports.partners.col.clients",
            "reports.partners.col.deals",
            "reports.partners.col.deals_value",
            "reports.won",
            "reports.col.won_value",
        ];
        if self.previous.is_some() {
            keys.push("reports.col.previous");
        }
        keys.into_iter().map(|k| t.t(k).to_string()).collect()
    }

    /// A row per partner and the total, in the order of [`Self::heads`].
    pub fn table(&self, t: &T) -> Table {
        let mut heads = vec![t.t("reports.partners.col.partner").to_string()];
        heads.extend(self.heads(t));
        let mut table = Table::new(heads);
        let row = |name: String, c: &PartnerCounts, prev: Option<i64>| {
            let mut r = vec![
                Cell::Text(name),
                Cell::Int(c.clients),
                Cell::Int(c.deals),
                Cell::Money(c.deals_value),
                Cell::Int(c.won),
                Cell::Money(c.won_value),
            ];
            if self.previous.is_some() {
                r.push(prev.map_or(Cell::Empty, Cell::Money));
            }
            r
        };
        for r in &self.now.rows {
            table.rows.push(row(self.name(r.partner_id), &r.counts, self.previous_of(r.partner_id).map(|p| p.won_value)));
        }
        table.rows.push(row(t.t("reports.total").to_string(), &self.now.total, self.previous.as_ref().map(|p| p.total.won_value)));
        table
    }
}

//! Sales by period, manager, source or pipeline.
use super::{pct, period_json, Cell, Params, Table};
use crate::ui::i18n::T;
use poryadok_core::report::ratio;
use poryadok_core::schema::Entity;
use poryadok_store::report::sales::{SalesCounts, SalesGroup, SalesKey, SalesReport, SalesRow};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;

const DAY_MS: f64 = 86_400_000.0;

/// Days with two decimals.
fn days(ms: f64) -> f64 {
    (ms / DAY_MS * 100.0).round() / 100.0
}

/// The average won deal, minor units.
pub fn average(c: &SalesCounts) -> Option<i64> {
    (c.won > 0).then(|| (c.won_value as f64 / c.won as f64).round() as i64)
}

/// The mean created → won, milliseconds.
pub fn cycle_mean_ms(c: &SalesCounts) -> Option<f64> {
    (c.won > 0).then(|| c.cycle_total_ms as f64 / c.won as f64)
}

pub fn win_rate(c: &SalesCounts) -> Option<f64> {
    ratio(c.won, c.won + c.lost)
}

/// Sales by group, with what their page and files show around them.
pub struct SalesData {
    pub params: Params,
    pub now: SalesReport,
    pub previous: Option<SalesReport>,
    /// The names of the managers or pipelines the rows are of.
    pub names: HashMap<i64, String>,
}

pub async fn sales(db: &Db, actor: &Actor, params: Params) -> Result<SalesData, StoreError> {
    let now = db.sales_report(actor, &params.scope, params.pipeline(), params.group, params.step).await?;
    let previous = match params.previous_scope() {
        Some(s) => Some(db.sales_report(actor, &s, params.pipeline(), params.group, params.step).await?),
        None => None,
    };
    let ids = now.rows.iter().chain(previous.iter().flat_map(|p| &p.rows)).filter_map(|r| match r.key {
        SalesKey::Id(Some(i)) => Some(i),
        _ => None,
    });
    let names = match params.group {
        SalesGroup::Owner => db.names(actor, Entity::User, ids).await?,
        SalesGroup::Pipeline => db.names(actor, Entity::Pipeline, ids).await?,
        _ => HashMap::new(),
    };
    Ok(SalesData { params, now, previous, names })
}

fn sales_json(c: &SalesCounts) -> Value {
    json!({
        "won": c.won,
        "won_value": c.won_value,
        "average": average(c),
        "lost": c.lost,
        "lost_value": c.lost_value,
        "win_rate": pct(win_rate(c)),
        "cycle_median_days": c.cycle_median_ms.map(days),
        "cycle_mean_days": cycle_mean_ms(c).map(days),
    })
}

impl SalesData {
    /// The column the rows are named in.
    pub fn group_head(&self, t: &T) -> String {
        t.t(&format!("reports.sales.by.{}", self.params.group.as_str())).to_string()
    }

    /// A row's name: its days (written by `day`), manager, source or pipeline.
    pub fn label(&self, t: &T, row: &SalesRow, day: impl Fn(&str) -> String) -> String {
        if let Some(b) = &row.bucket {
            return if b.first_day == b.last_day { day(&b.first_day) } else { format!("{} — {}", day(&b.first_day), day(&b.last_day)) };
        }
        match (&row.key, self.params.group) {
            (SalesKey::Id(Some(i)), _) => self.names.get(i).cloned().unwrap_or_else(|| format!("#{i}")),
            (SalesKey::Id(None), SalesGroup::Pipeline) => "—".into(),
            (SalesKey::Id(None), _) => t.t("reports.no_owner").to_string(),
            (SalesKey::Text(Some(s)), _) => s.clone(),
            (SalesKey::Text(None), _) => t.t("reports.no_source").to_string(),
        }
    }

    /// The comparison period's figures of row `i`: the bucket in the same place when by period,
    /// the same manager, source or pipeline otherwise.
    pub fn previous_of(&self, i: usize) -> Option<&SalesCounts> {
        let prev = self.previous.as_ref()?;
        if self.params.group == SalesGroup::Period {
            return prev.rows.get(i).map(|r| &r.counts);
        }
        let key = &self.now.rows.get(i)?.key;
        prev.rows.iter().find(|r| &r.key == key).map(|r| &r.counts)
    }

    pub(super) fn rows_json(&self, rows: &[SalesRow]) -> Vec<Value> {
        rows.iter()
            .map(|r| {
                let mut v = sales_json(&r.counts);
                match (&r.bucket, &r.key, self.params.group) {
                    (Some(b), _, _) => {
                        v["from"] = json!(b.first_day);
                        v["to"] = json!(b.last_day);
                    }
                    (None, SalesKey::Text(s), _) => v["source"] = json!(s),
                    (None, SalesKey::Id(i), g) => {
                        v[if g == SalesGroup::Pipeline { "pipeline_id" } else { "owner_id" }] = json!(i);
                        v["name"] = json!(i.and_then(|i| self.names.get(&i)));
                    }
                }
                v
            })
            .collect()
    }

    pub fn json(&self) -> Value {
        let p = &self.params;
        let mut v = json!({
            "report": "sales",
            "pipeline_id": p.pipeline(),
            "period": period_json(&p.period),
            "group": p.group.as_str(),
            "step": (p.group == SalesGroup::Period).then(|| p.step.as_str()),
            "total": sales_json(&self.now.total),
            "rows": self.rows_json(&self.now.rows),
        });
        if let (Some(prev), Some(pp)) = (&self.previous, &p.compare) {
            v["previous"] = json!({"period": period_json(pp), "total": sales_json(&prev.total), "rows": self.rows_json(&prev.rows)});
        }
        v
    }

    /// A row per group and the total: won, revenue, the average deal, lost, the win rate and
    /// the cycle in days.
    pub fn table(&self, t: &T) -> Table {
        let mut heads = vec![self.group_head(t)];
        heads.extend(
            [
                "reports.won",
                "reports.col.won_value",
                "reports.col.average",
                "reports.col.lost",
                "reports.col.win_rate",
                "reports.col.cycle_median",
                "reports.col.cycle_mean",
            ]
            .map(|k| t.t(k).to_string()),
        );
        let mut table = Table::new(heads);
        let row = |name: String, c: &SalesCounts| {
            vec![
                Cell::Text(name),
                Cell::Int(c.won),
                Cell::Money(c.won_value),
                average(c).map_or(Cell::Empty, Cell::Money),
                Cell::Int(c.lost),
                Cell::Pct(win_rate(c)),
                Cell::Days(c.cycle_median_ms.map(|m| m / DAY_MS)),
                Cell::Days(cycle_mean_ms(c).map(|m| m / DAY_MS)),
            ]
        };
        for r in &self.now.rows {
            table.rows.push(row(self.label(t, r, |d| d.to_string()), &r.counts));
        }
        table.rows.push(row(t.t("reports.total").to_string(), &self.now.total));
        table
    }
}

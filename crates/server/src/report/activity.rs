//! What each manager did: calls, talk time, messages, meetings, tasks and invoices per manager
//! with the department's total, over every pipeline unless one is chosen.
use super::{pct, period_json, Cell, Params, Table};
use crate::ui::i18n::T;
use poryadok_core::schema::Entity;
use poryadok_store::report::activity::{ActivityCounts, ActivityReport};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The managers' activity, with what its page and files show around it.
pub struct ActivityData {
    pub params: Params,
    pub now: ActivityReport,
    pub previous: Option<ActivityReport>,
    pub owners: HashMap<i64, String>,
    /// When it was counted (overdue tasks are those past due by then).
    pub as_of: i64,
}

pub async fn activity(db: &Db, actor: &Actor, params: Params) -> Result<ActivityData, StoreError> {
    let now = db.activity_report_in(actor, &params.scope, params.pipeline()).await?;
    let previous = match params.previous_scope() {
        Some(s) => Some(db.activity_report_in(actor, &s, params.pipeline()).await?),
        None => None,
    };
    let ids = now.rows.iter().chain(previous.iter().flat_map(|p| &p.rows)).filter_map(|r| r.owner_id);
    let owners = db.names(actor, Entity::User, ids).await?;
    Ok(ActivityData { params, now, previous, owners, as_of: db.clock.now_ms() })
}

/// Talk time in whole minutes, the nearest.
pub fn talk_minutes(c: &ActivityCounts) -> i64 {
    (c.talk_seconds + 30) / 60
}

fn counts_json(c: &ActivityCounts) -> Value {
    json!({
        "calls": c.calls(),
        "calls_in": c.calls_in,
        "calls_out": c.calls_out,
        "calls_missed": c.calls_missed,
        "answered_share": pct(c.answered_share()),
        "talk_seconds": c.talk_seconds,
        "messages_in": c.messages_in,
        "messages_out": c.messages_out,
        "emails_out": c.emails_out,
        "meetings": c.meetings,
        "tasks_done": c.tasks_done,
        "tasks_overdue": c.tasks_overdue,
        "invoices_issued": c.invoices_issued,
        "invoices_issued_value": c.invoices_issued_value,
        "invoices_paid": c.invoices_paid,
        "invoices_paid_value": c.invoices_paid_value,
    })
}

/// The columns of the table and the files, after the manager's.
pub const COLUMNS: [&str; 15] = [
    "calls_in",
    "calls_out",
    "calls_missed",
    "answered_share",
    "talk_minutes",
    "messages_in",
    "messages_out",
    "emails_out",
    "meetings",
    "tasks_done",
    "tasks_overdue",
    "invoices_issued",
    "invoices_issued_value",
    "invoices_paid",
    "invoices_paid_value",
];

impl ActivityData {
    pub fn owner_name(&self, t: &T, o: Option<i64>) -> String {
        match o {
            Some(o) => self.owners.get(&o).cloned().unwrap_or_else(|| format!("#{o}")),
            None => t.t("reports.no_owner").to_string(),
        }
    }

    /// The comparison period's figures of `owner`.
    pub fn previous_of(&self, owner: Option<i64>) -> Option<ActivityCounts> {
        self.previous.as_ref().map(|p| p.owner(owner))
    }

    pub fn json(&self) -> Value {
        let rows = |r: &ActivityReport| {
            r.rows
                .iter()
                .map(|row| {
                    let mut v = counts_json(&row.counts);
                    v["owner_id"] = json!(row.owner_id);
                    v["name"] = json!(row.owner_id.and_then(|o| self.owners.get(&o)));
                    v
                })
                .collect::<Vec<_>>()
        };
        let mut v = json!({
            "report": "activity",
            "pipeline_id": self.params.pipeline(),
            "period": period_json(&self.params.period),
            "total": counts_json(&self.now.total),
            "managers": rows(&self.now),
        });
        if let (Some(prev), Some(pp)) = (&self.previous, &self.params.compare) {
            v["previous"] = json!({"period": period_json(pp), "total": counts_json(&prev.total), "managers": rows(prev)});
        }
        v
    }

    /// A row per manager and the department's, every figure a column (talk time in minutes).
    pub fn table(&self, t: &T) -> Table {
        let mut heads = vec![t.t("reports.col.manager").to_string()];
        heads.extend(COLUMNS.iter().map(|c| t.t(&format!("reports.activity.col.{c}")).to_string()));
        let mut table = Table::new(heads);
        let line = |label: String, c: &ActivityCounts| {
            vec![
                Cell::Text(label),
                Cell::Int(c.calls_in),
                Cell::Int(c.calls_out),
                Cell::Int(c.calls_missed),
                Cell::Pct(c.answered_share()),
                Cell::Int(talk_minutes(c)),
                Cell::Int(c.messages_in),
                Cell::Int(c.messages_out),
                Cell::Int(c.emails_out),
                Cell::Int(c.meetings),
                Cell::Int(c.tasks_done),
                Cell::Int(c.tasks_overdue),
                Cell::Int(c.invoices_issued),
                Cell::Money(c.invoices_issued_value),
                Cell::Int(c.invoices_paid),
                Cell::Money(c.invoices_paid_value),
            ]
        };
        for r in &self.now.rows {
            table.rows.push(line(self.owner_name(t, r.owner_id), &r.counts));
        }
        table.rows.push(line(t.t("reports.department").to_string(), &self.now.total));
        table
    }
}

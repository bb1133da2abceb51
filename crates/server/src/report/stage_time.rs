//! Time in each stage, in working time.
use super::{period_json, Cell, Params, Table};
use crate::ui::i18n::T;
use poryadok_store::report::stage_time::{StageTime, StageTimeReport};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};

/// The stage times with what their page and files show around them.
pub struct StageTimeData {
    pub params: Params,
    pub now: StageTimeReport,
    pub previous: Option<StageTimeReport>,
}

pub async fn stage_time(db: &Db, actor: &Actor, params: Params) -> Result<StageTimeData, StoreError> {
    let now = db.stage_time_report(actor, &params.scope, true).await?;
    let previous = match params.previous_scope() {
        Some(s) => Some(db.stage_time_report(actor, &s, false).await?),
        None => None,
    };
    Ok(StageTimeData { params, now, previous })
}

/// Working minutes as working days of the calendar (a day of `day_minutes`).
pub fn working_days(minutes: i64, day_minutes: i64) -> f64 {
    minutes as f64 / day_minutes.max(1) as f64
}

/// Working days with two decimals, for JSON.
fn days_json(minutes: Option<i64>, day_minutes: i64) -> Value {
    minutes.map_or(Value::Null, |m| json!((working_days(m, day_minutes) * 100.0).round() / 100.0))
}

impl StageTimeData {
    pub fn stage_name(&self, id: i64) -> String {
        self.now.stages.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_else(|| format!("#{id}"))
    }

    /// The comparison period's figures of the stage `id`.
    pub fn previous_of(&self, id: i64) -> Option<&StageTime> {
        self.previous.as_ref()?.rows.iter().find(|r| r.stage_id == id)
    }

    /// The hours of the calendar's working day, as the column heads say them (`9`, `8,5`).
    pub fn day_hours(&self, t: &T) -> String {
        let h = self.now.day_minutes as f64 / 60.0;
        let text = if h.fract() == 0.0 { format!("{h:.0}") } else { format!("{h:.1}") };
        match t.lang {
            poryadok_core::msg::Lang::Ru => text.replace('.', ","),
            poryadok_core::msg::Lang::En => text,
        }
    }

    pub fn json(&self) -> Value {
        let dm = self.now.day_minutes;
        let mut v = json!({
            "report": "stage_time",
            "pipeline_id": self.params.scope.pipeline,
            "period": period_json(&self.params.period),
            "unit": "working_minutes",
            "day_minutes": dm,
            "stays": self.now.stays(),
            "now": self.now.now(),
            "stages": self.now.rows.iter().map(|r| json!({
                "stage_id": r.stage_id,
                "name": self.stage_name(r.stage_id),
                "stays": r.stays,
                "median_minutes": r.median_minutes,
                "p90_minutes": r.p90_minutes,
                "median_days": days_json(r.median_minutes, dm),
                "p90_days": days_json(r.p90_minutes, dm),
                "now": r.now,
                "now_longest_minutes": r.now_longest_minutes,
                "now_longest_days": days_json(r.now_longest_minutes, dm),
                "now_longest_deal_id": r.now_longest_deal,
            })).collect::<Vec<_>>(),
        });
        if let (Some(prev), Some(pp)) = (&self.previous, &self.params.compare) {
            v["previous"] = json!({
                "period": period_json(pp),
                "stays": prev.stays(),
                "stages": prev.rows.iter().map(|r| json!({
                    "stage_id": r.stage_id,
                    "stays": r.stays,
                    "median_minutes": r.median_minutes,
                    "p90_minutes": r.p90_minutes,
                    "median_days": days_json(r.median_minutes, prev.day_minutes),
                    "p90_days": days_json(r.p90_minutes, prev.day_minutes),
                })).collect::<Vec<_>>(),
            });
        }
        v
    }

    /// The column heads: the stage, the stays, the median and the 90th percentile in working
    /// days (the chart's title and the note say how long a working day is), the deals in the
    /// stage now and the longest wait.
    pub fn heads(&self, t: &T, previous: bool) -> Vec<String> {
        let mut keys = vec!["reports.col.stage", "reports.stage_time.col.stays", "reports.stage_time.col.median"];
        if previous {
            keys.push("reports.stage_time.col.previous");
        }
        keys.extend(["reports.stage_time.col.p90", "reports.stage_time.col.now", "reports.stage_time.col.longest"]);
        keys.into_iter().map(|k| t.t(k).to_string()).collect()
    }

    /// A row per stage: stays, median and 90th percentile in working days, (the previous
    /// median), deals in it now, the longest wait; then the total of stays and deals now.
    pub fn table(&self, t: &T) -> Table {
        let dm = self.now.day_minutes;
        let prev = self.previous.is_some();
        let mut table = Table::new(self.heads(t, prev));
        let d = |m: Option<i64>| Cell::Days(m.map(|m| working_days(m, dm)));
        for r in &self.now.rows {
            let mut row = vec![Cell::Text(self.stage_name(r.stage_id)), Cell::Int(r.stays), d(r.median_minutes)];
            if prev {
                row.push(Cell::Days(self.previous_of(r.stage_id).and_then(|p| p.median_minutes).map(|m| working_days(m, dm))));
            }
            row.extend([d(r.p90_minutes), Cell::Int(r.now), d(r.now_longest_minutes)]);
            table.rows.push(row);
        }
        let mut total = vec![Cell::Text(t.t("reports.total").to_string()), Cell::Int(self.now.stays()), Cell::Empty];
        if prev {
            total.push(Cell::Empty);
        }
        total.extend([Cell::Empty, Cell::Int(self.now.now()), Cell::Empty]);
        table.rows.push(total);
        table
    }
}

//! The forecast: the weighted pipeline by expected close month, the conversion forecast from a
//! window of history, and the weighted figure without the deals that break critical rules —
//! side by side, the difference explained.
use super::{pct, period_json, Cell, Params, Table};
use crate::ui::i18n::T;
use poryadok_core::report::{conversion_forecast, ConversionForecast, Period};
use poryadok_store::report::forecast::{ForecastReport, MonthSum};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};

/// Where an expected close month stands against the period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Before the current month: the date has passed and the deal is still open.
    Overdue,
    Before,
    InPeriod,
    After,
    NoDate,
}

impl When {
    pub fn as_str(self) -> &'static str {
        match self {
            When::Overdue => "overdue",
            When::Before => "before",
            When::InPeriod => "in_period",
            When::After => "after",
            When::NoDate => "no_date",
        }
    }
}

pub struct ForecastData {
    pub params: Params,
    pub report: ForecastReport,
    /// The history the conversion forecast learns from.
    pub window: Period,
    pub conversion: ConversionForecast,
    /// The current month, `YYYY-MM`.
    pub this_month: String,
    /// The open deals by expected close month, in order, with where each month stands.
    pub months: Vec<(Option<String>, When, MonthSum)>,
}

pub async fn forecast(db: &Db, actor: &Actor, params: Params) -> Result<ForecastData, StoreError> {
    let tz = actor.ws.timezone.clone();
    let window = params.period.months_before(params.window, &tz);
    let report = db.forecast_report(actor, &params.scope, (window.from, window.to)).await?;
    let h = report.history;
    let conversion = conversion_forecast(h.leads, h.won, h.won_value, window.months(), params.period.months());
    let this_month = Period::month_of(db.clock.now_ms(), &tz).from_date[..7].to_string();
    let (first, last) = (params.period.from_date[..7].to_string(), params.period.to_date[..7].to_string());
    let months = report
        .by_month()
        .into_iter()
        .map(|(m, sum)| {
            let when = match &m {
                None => When::NoDate,
                Some(m) if *m >= first && *m <= last => When::InPeriod,
                Some(m) if *m < this_month => When::Overdue,
                Some(m) if *m < first => When::Before,
                Some(_) => When::After,
            };
            (m, when, sum)
        })
        .collect();
    Ok(ForecastData { params, report, window, conversion, this_month, months })
}

impl ForecastData {
    /// The open deals expected to close in the period.
    pub fn in_period(&self) -> MonthSum {
        let mut t = MonthSum::default();
        for (_, _, m) in self.months.iter().filter(|(_, w, _)| *w == When::InPeriod) {
            t.deals += m.deals;
            t.value += m.value;
            t.weighted += m.weighted;
            t.flagged += m.flagged;
            t.flagged_weighted += m.flagged_weighted;
        }
        t
    }

    /// The weighted forecast without the deals with open critical violations.
    pub fn discounted(&self) -> i64 {
        let t = self.in_period();
        t.weighted - t.flagged_weighted
    }

    /// The broken critical rules of the deals expected in the period: name, deals, weighted value.
    pub fn rules(&self) -> Vec<(String, i64, i64)> {
        let (first, last) = (&self.params.period.from_date[..7], &self.params.period.to_date[..7]);
        self.report.by_rule(|m| m.as_deref().is_some_and(|m| m >= first && m <= last))
    }

    /// The ids of the flagged deals expected in the period.
    pub fn flagged_ids(&self) -> Vec<i64> {
        let (first, last) = (&self.params.period.from_date[..7], &self.params.period.to_date[..7]);
        self.report.flagged.iter().filter(|d| d.month.as_deref().is_some_and(|m| m >= first && m <= last)).map(|d| d.id).collect()
    }

    pub fn empty(&self) -> bool {
        self.report.open.is_empty() && self.report.history.leads == 0
    }

    pub fn month_name(&self, t: &T, fmt: &crate::ui::format::Fmt, m: &Option<String>, when: When) -> String {
        match (m, when) {
            (None, _) => t.t("reports.forecast.no_date").to_string(),
            (Some(m), When::Overdue) => format!("{} · {}", fmt.month(m), t.t("reports.forecast.overdue")),
            (Some(m), _) => fmt.month(m),
        }
    }

    pub fn json(&self) -> Value {
        let p = self.in_period();
        let c = &self.conversion;
        let h = self.report.history;
        json!({
            "report": "forecast",
            "pipeline_id": self.params.scope.pipeline,
            "period": period_json(&self.params.period),
            "weighted": {"deals": p.deals, "value": p.value, "weighted": p.weighted},
            "conversion": {
                "window": {"from": self.window.from_date, "to": self.window.to_date, "months": self.params.window},
                "leads": h.leads,
                "won": h.won,
                "won_value": h.won_value,
                "leads_per_month": (c.leads_per_month * 100.0).round() / 100.0,
                "conversion": pct(c.conversion),
                "average_won": c.average_won,
                "expected_won": (c.expected_won * 100.0).round() / 100.0,
                "expected_value": c.expected_value,
            },
            "discounted": {
                "weighted": self.discounted(),
                "excluded_deals": p.flagged,
                "excluded_weighted": p.flagged_weighted,
                "rules": self.rules().iter().map(|(r, n, w)| json!({"rule": r, "deals": n, "weighted": w})).collect::<Vec<_>>(),
            },
            "months": self.months.iter().map(|(m, w, s)| json!({
                "month": m, "when": w.as_str(), "deals": s.deals, "value": s.value, "weighted": s.weighted,
                "flagged": s.flagged, "flagged_weighted": s.flagged_weighted,
            })).collect::<Vec<_>>(),
            "stages_without_probability": self.report.unweighted_stages().iter().map(|s| json!({"stage_id": s.id, "name": s.name})).collect::<Vec<_>>(),
        })
    }

    /// A row per expected close month, then the three forecasts of the period.
    pub fn table(&self, t: &T) -> Table {
        let fmt = crate::ui::format::Fmt { lang: t.lang, tz: "UTC".into() };
        let heads = [
            "reports.forecast.col.month",
            "reports.forecast.col.deals",
            "reports.forecast.col.value",
            "reports.forecast.col.weighted",
            "reports.forecast.col.flagged",
            "reports.forecast.col.discounted",
        ];
        let mut table = Table::new(heads.iter().map(|k| t.t(k).to_string()).collect());
        for (m, when, s) in &self.months {
            table.rows.push(vec![
                Cell::Text(self.month_name(t, &fmt, m, *when)),
                Cell::Int(s.deals),
                Cell::Money(s.value),
                Cell::Money(s.weighted),
                Cell::Int(s.flagged),
                Cell::Money(s.weighted - s.flagged_weighted),
            ]);
        }
        table.rows.push(vec![Cell::Empty; 6]);
        let p = self.in_period();
        let summary = |key: &str, deals: Cell, value: i64| {
            vec![Cell::Text(t.t(key).to_string()), deals, Cell::Empty, Cell::Money(value), Cell::Empty, Cell::Empty]
        };
        table.rows.push(summary("reports.forecast.weighted", Cell::Int(p.deals), p.weighted));
        table.rows.push(summary(
            "reports.forecast.conversion",
            Cell::Decimal(Some(self.conversion.expected_won)),
            self.conversion.expected_value,
        ));
        table.rows.push(summary("reports.forecast.discounted", Cell::Int(p.deals - p.flagged), self.discounted()));
        table
    }
}

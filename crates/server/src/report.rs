//! Sales reports as both the API and the web UI serve them: their parameters (the period, the
//! comparison, the pipeline, team, manager and filter), the figures as JSON, and the same
//! figures as a table for CSV and XLSX in the reader's language.
use crate::ui::i18n::T;
use poryadok_core::msg::{Common, ReportMsg};
use poryadok_core::report::{ratio, step_conversions, weakest_step, Period};
use poryadok_core::schema::Entity;
use poryadok_store::report::funnel::{FunnelCounts, FunnelReport, ManagerFunnel};
use poryadok_store::report::{ReportScope, StageInfo};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The reports there are, by their name in URLs.
pub const REPORTS: &[&str] = &["funnel", "managers"];

/// A manager's step is judged only with this many deals at it.
pub const MIN_SAMPLE: i64 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

/// A report's parameters, checked.
#[derive(Clone, Debug)]
pub struct Params {
    pub name: &'static str,
    pub scope: ReportScope,
    pub period: Period,
    pub compare: Option<Period>,
    pub format: Format,
    /// The filter as typed (for links and the form).
    pub filter: String,
    pub pipeline_name: String,
}

/// The query parameters every report takes.
pub const PARAMS: &[&str] = &["from", "to", "pipeline_id", "team_id", "owner_id", "filter", "compare", "format"];

fn invalid(field: &str, msg: impl Into<poryadok_core::Msg>) -> StoreError {
    StoreError::invalid(field, msg)
}

/// Reads and checks a report's parameters; an absent period is the current month, an absent
/// pipeline the one with the most deals.
pub async fn params(db: &Db, actor: &Actor, name: &str, pairs: &[(String, String)]) -> Result<Params, StoreError> {
    let name = REPORTS
        .iter()
        .copied()
        .find(|r| *r == name)
        .ok_or_else(|| invalid("report", ReportMsg::UnknownReport { known: REPORTS.iter().map(|s| s.to_string()).collect() }))?;
    let get = |k: &str| pairs.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    if let Some((k, _)) = pairs.iter().find(|(k, _)| !PARAMS.contains(&k.as_str())) {
        return Err(invalid(k, poryadok_core::msg::Common::OneOf { list: PARAMS.iter().map(|s| s.to_string()).collect() }));
    }
    let id = |k: &str| -> Result<Option<i64>, StoreError> {
        match get(k) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().ok().filter(|i| *i > 0).map(Some).ok_or_else(|| invalid(k, Common::PositiveInteger {})),
        }
    };
    let tz = actor.ws.timezone.clone();
    let period = match (get("from"), get("to")) {
        (None, None) => Period::month_of(db.clock.now_ms(), &tz),
        (Some(f), Some(t)) => Period::parse(&f, &t, &tz).map_err(StoreError::Validation)?,
        (None, Some(_)) => return Err(invalid("from", Common::Required {})),
        (Some(_), None) => return Err(invalid("to", Common::Required {})),
    };
    let compare = match get("compare").as_deref() {
        None | Some("none") => None,
        Some("previous") => Some(period.previous(&tz)),
        Some(_) => return Err(invalid("compare", ReportMsg::CompareWord {})),
    };
    let format = match get("format").as_deref() {
        None | Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        Some(_) => return Err(invalid("format", ReportMsg::FormatWord {})),
    };
    let pipeline = match id("pipeline_id")? {
        Some(p) => p,
        None => default_pipeline(db, actor).await?,
    };
    let filter = get("filter").unwrap_or_default();
    let checked = if filter.is_empty() { None } else { Some(db.check_filter(actor, Entity::Deal, &filter, "filter").await?) };
    let scope = ReportScope { from: period.from, to: period.to, pipeline, owner: id("owner_id")?, team: id("team_id")?, filter: checked };
    db.check_report_scope(actor, &scope).await?;
    let pipeline_name = db.names(actor, Entity::Pipeline, [pipeline]).await?.remove(&pipeline).unwrap_or_default();
    Ok(Params { name, scope, period, compare, format, filter, pipeline_name })
}

/// The pipeline with the most deals; in a workspace without deals, its first pipeline.
async fn default_pipeline(db: &Db, actor: &Actor) -> Result<i64, StoreError> {
    match db.largest_pipeline(actor).await {
        Err(StoreError::NotFound) => {
            let q = poryadok_store::ListQuery { limit: Some("1".into()), sort: Some("position".into()), ..Default::default() };
            db.list(actor, Entity::Pipeline, &q)
                .await?
                .data
                .first()
                .map(|p| p.id())
                .ok_or_else(|| invalid("pipeline_id", Common::Required {}))
        }
        other => other,
    }
}

impl Params {
    /// The same report over the comparison period.
    pub fn previous_scope(&self) -> Option<ReportScope> {
        self.compare.as_ref().map(|p| ReportScope { from: p.from, to: p.to, ..self.scope.clone() })
    }
}

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

fn pct(r: Option<f64>) -> Value {
    r.map_or(Value::Null, |v| json!((v * 10_000.0).round() / 10_000.0))
}

fn counts_json(stages: &[StageInfo], c: &FunnelCounts) -> Value {
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

fn period_json(p: &Period) -> Value {
    json!({"from": p.from_date, "to": p.to_date})
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

/// A cell of an exported report.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Minor units of the workspace's currency.
    Money(i64),
    Pct(Option<f64>),
    Empty,
}

/// A report as rows under a header, for CSV and XLSX.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(headers: Vec<String>) -> Table {
        Table { headers, rows: Vec::new() }
    }

    /// CSV with a byte-order mark; money in currency units, shares in percent with one decimal.
    pub fn csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        let line = |cells: Vec<String>| cells.iter().map(|c| crate::security::csv_text(c)).collect::<Vec<_>>().join(",") + "\r\n";
        out.push_str(&line(self.headers.clone()));
        for r in &self.rows {
            out.push_str(&line(r.iter().map(cell_text).collect()));
        }
        out
    }

    /// One sheet, the header bold and frozen; numbers as numbers, shares as percentages; no
    /// text is ever a formula.
    pub fn xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let bold = Format::new().set_bold();
        let percent = Format::new().set_num_format("0.0%");
        let money = Format::new().set_num_format("#,##0.00");
        for (c, h) in self.headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold)?;
            sheet.set_column_width(c as u16, if c == 0 { 32 } else { 16 })?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c, s).map(|_| ())?,
                    Cell::Int(n) => sheet.write_number(r, c, *n as f64).map(|_| ())?,
                    Cell::Money(n) => sheet.write_number_with_format(r, c, *n as f64 / 100.0, &money).map(|_| ())?,
                    Cell::Pct(Some(p)) => sheet.write_number_with_format(r, c, *p, &percent).map(|_| ())?,
                    Cell::Pct(None) | Cell::Empty => {}
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        book.save_to_buffer()
    }
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Money(n) => format!("{}.{:02}", n / 100, (n % 100).abs()),
        Cell::Pct(Some(p)) => format!("{:.1}", p * 100.0),
        Cell::Pct(None) | Cell::Empty => String::new(),
    }
}

/// Query pairs of a raw query string.
pub fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The owners a report's manager select offers: the workspace's active users the caller sees.
pub async fn owners(db: &Db, actor: &Actor) -> Result<HashMap<i64, String>, StoreError> {
    let q = poryadok_store::ListQuery { limit: Some("500".into()), sort: Some("name".into()), ..Default::default() };
    Ok(db.list(actor, Entity::User, &q).await?.data.iter().map(|u| (u.id(), u.get("name").as_text().unwrap_or("").to_string())).collect())
}

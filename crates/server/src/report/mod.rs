//! Sales reports as both the API and the web UI serve them: their parameters (the period, the
//! comparison, the pipeline, team, manager and filter), the figures as JSON, and the same
//! figures as a table for CSV and XLSX in the reader's language.
use crate::ui::i18n::T;
use poryadok_core::msg::{Common, ReportMsg};
use poryadok_core::report::Period;
use poryadok_core::schema::Entity;
use poryadok_store::report::sales::{SalesGroup, Step};
use poryadok_store::report::ReportScope;
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;

mod activity;
pub mod dashboard;
mod forecast;
mod funnel;
mod load;
mod lost;
pub mod marketing;
mod partners;
pub mod plan_fact;
pub mod review;
mod sales;
mod stage_time;

pub use activity::{talk_minutes, ActivityData};
pub use forecast::{ForecastData, When};
pub use funnel::{FunnelData, ManagersData};
pub use load::{per_open_deal, LoadData};
pub use lost::LostData;
pub use marketing::{MarketingData, MarketingParams};
pub use partners::PartnersData;
pub use plan_fact::PlanFactData;
pub use sales::{average, cycle_mean_ms, win_rate, SalesData};
pub use stage_time::{working_days, StageTimeData};

/// The reports there are, by their name in URLs.
pub const REPORTS: &[&str] =
    &["funnel", "managers", "sales", "lost_reasons", "activity", "forecast", "stage_time", "load", "partners", "plan_fact", "marketing"];

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
    /// Empty when the report covers every pipeline.
    pub pipeline_name: String,
    /// `sales` without `pipeline_id`: every pipeline of the workspace.
    pub all_pipelines: bool,
    /// The chosen team's name (for the filter expressions of drill-down links).
    pub team_name: String,
    /// What `sales` groups by, and its buckets' length when by period.
    pub group: SalesGroup,
    pub step: Step,
    /// How many months of history the conversion forecast learns from.
    pub window: i64,
    /// `marketing`: the grouping, attribution model, basis, revenue, order and drill-down.
    pub marketing: MarketingParams,
}

/// The forecast's history by default: the last quarter.
pub const DEFAULT_WINDOW: i64 = 3;

/// The query parameters every report takes.
pub const PARAMS: &[&str] = &[
    "from",
    "to",
    "pipeline_id",
    "team_id",
    "owner_id",
    "filter",
    "compare",
    "format",
    "group",
    "step",
    "window",
    "group_by",
    "attribution",
    "basis",
    "revenue",
    "sort",
    "channel",
    "campaign",
];

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
    if name == "plan_fact" {
        plan_fact::plan_period(&period)?;
    }
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
    let group = match get("group") {
        None => SalesGroup::Period,
        Some(g) => SalesGroup::parse(&g)
            .ok_or_else(|| invalid("group", Common::OneOf { list: SalesGroup::ALL.iter().map(|g| g.as_str().to_string()).collect() }))?,
    };
    let step = match get("step") {
        None => Step::for_period(period.from, period.to),
        Some(s) => Step::parse(&s)
            .ok_or_else(|| invalid("step", Common::OneOf { list: Step::ALL.iter().map(|s| s.as_str().to_string()).collect() }))?,
    };
    let window = match get("window") {
        None => DEFAULT_WINDOW,
        Some(w) => {
            w.parse::<i64>().ok().filter(|w| (1..=24).contains(w)).ok_or_else(|| invalid("window", Common::Between { min: 1, max: 24 }))?
        }
    };
    let marketing = marketing_params(&get)?;
    let given = id("pipeline_id")?;
    // Revenue, a manager's load and a partner's clients are not a pipeline's: these cover them
    // all unless one is chosen.
    let all_pipelines = matches!(name, "sales" | "activity" | "load" | "partners" | "plan_fact" | "marketing") && given.is_none();
    let pipeline = match given {
        Some(p) => p,
        None => default_pipeline(db, actor).await?,
    };
    let filter = get("filter").unwrap_or_default();
    let checked = if filter.is_empty() { None } else { Some(db.check_filter(actor, Entity::Deal, &filter, "filter").await?) };
    let scope = ReportScope {
        from: period.from,
        to: period.to,
        pipeline,
        owner: id("owner_id")?,
        team: id("team_id")?,
        filter: checked,
        from_aggregate: false,
    };
    db.check_report_scope(actor, &scope).await?;
    let pipeline_name = if all_pipelines {
        String::new()
    } else {
        db.names(actor, Entity::Pipeline, [pipeline]).await?.remove(&pipeline).unwrap_or_default()
    };
    let team_name = match scope.team {
        Some(t) => db.names(actor, Entity::Team, [t]).await?.remove(&t).unwrap_or_default(),
        None => String::new(),
    };
    Ok(Params { name, scope, period, compare, format, filter, pipeline_name, all_pipelines, team_name, group, step, window, marketing })
}

/// The marketing report's parameters (every report checks them; only `marketing` uses them).
fn marketing_params(get: &impl Fn(&str) -> Option<String>) -> Result<MarketingParams, StoreError> {
    use poryadok_core::attribution::Model;
    use poryadok_store::report::marketing::{Basis, GroupBy, Revenue, Sort, SortKey};
    fn one_of<T>(field: &str, v: Option<String>, parse: impl Fn(&str) -> Option<T>, all: Vec<&str>, default: T) -> Result<T, StoreError> {
        match v {
            None => Ok(default),
            Some(v) => parse(&v).ok_or_else(|| invalid(field, Common::OneOf { list: all.into_iter().map(String::from).collect() })),
        }
    }
    let d = MarketingParams::default();
    let key = |k: &str| get(k).map(|v| poryadok_core::attribution::text_key(Some(&v)).unwrap_or_default());
    let sorts = SortKey::ALL.iter().flat_map(|k| [k.as_str().to_string(), format!("-{}", k.as_str())]).collect::<Vec<_>>();
    let m = MarketingParams {
        group_by: one_of("group_by", get("group_by"), GroupBy::parse, GroupBy::ALL.map(GroupBy::as_str).to_vec(), d.group_by)?,
        model: one_of("attribution", get("attribution"), Model::parse, Model::ALL.map(Model::as_str).to_vec(), d.model)?,
        basis: one_of("basis", get("basis"), Basis::parse, Basis::ALL.map(Basis::as_str).to_vec(), d.basis)?,
        revenue: one_of("revenue", get("revenue"), Revenue::parse, Revenue::ALL.map(Revenue::as_str).to_vec(), d.revenue)?,
        sort: one_of("sort", get("sort"), Sort::parse, sorts.iter().map(String::as_str).collect(), d.sort)?,
        channel: key("channel"),
        campaign: key("campaign"),
    };
    if m.campaign.is_some() && m.channel.is_none() {
        return Err(invalid("channel", Common::Required {}));
    }
    Ok(m)
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

    /// The pipeline a report is narrowed to (none: every one).
    pub fn pipeline(&self) -> Option<i64> {
        (!self.all_pipelines).then_some(self.scope.pipeline)
    }
}

/// A report's figures, whichever report it is.
pub enum Data {
    Funnel(FunnelData),
    Managers(ManagersData),
    Sales(SalesData),
    Lost(LostData),
    Activity(ActivityData),
    StageTime(StageTimeData),
    Load(LoadData),
    Partners(PartnersData),
    Forecast(ForecastData),
    PlanFact(PlanFactData),
    Marketing(MarketingData),
}

/// Computes the report `params` names.
pub async fn run(db: &Db, actor: &Actor, params: Params, t: &T) -> Result<Data, StoreError> {
    Ok(match params.name {
        "funnel" => Data::Funnel(funnel::funnel(db, actor, params).await?),
        "managers" => Data::Managers(funnel::managers(db, actor, params, t).await?),
        "sales" => Data::Sales(sales::sales(db, actor, params).await?),
        "lost_reasons" => Data::Lost(lost::lost_reasons(db, actor, params).await?),
        "activity" => Data::Activity(activity::activity(db, actor, params).await?),
        "stage_time" => Data::StageTime(stage_time::stage_time(db, actor, params).await?),
        "load" => Data::Load(load::load(db, actor, params).await?),
        "partners" => Data::Partners(partners::partners(db, actor, params).await?),
        "forecast" => Data::Forecast(forecast::forecast(db, actor, params).await?),
        "plan_fact" => Data::PlanFact(plan_fact::plan_fact(db, actor, params).await?),
        "marketing" => Data::Marketing(marketing::marketing(db, actor, params).await?),
        _ => return Err(StoreError::NotFound),
    })
}

impl Data {
    pub fn json(&self) -> Value {
        match self {
            Data::Funnel(d) => d.json(),
            Data::Managers(d) => d.json(),
            Data::Sales(d) => d.json(),
            Data::Lost(d) => d.json(),
            Data::Activity(d) => d.json(),
            Data::StageTime(d) => d.json(),
            Data::Load(d) => d.json(),
            Data::Partners(d) => d.json(),
            Data::Forecast(d) => d.json(),
            Data::PlanFact(d) => d.json(),
            Data::Marketing(d) => d.json(),
        }
    }

    pub fn table(&self, t: &T) -> Table {
        match self {
            Data::Funnel(d) => d.table(t),
            Data::Managers(d) => d.table(t),
            Data::Sales(d) => d.table(t),
            Data::Lost(d) => d.table(t),
            Data::Activity(d) => d.table(t),
            Data::StageTime(d) => d.table(t),
            Data::Load(d) => d.table(t),
            Data::Partners(d) => d.table(t),
            Data::Forecast(d) => d.table(t),
            Data::PlanFact(d) => d.table(t),
            Data::Marketing(d) => d.table(t),
        }
    }
}

/// A share with four decimals, or null.
pub(crate) fn pct(r: Option<f64>) -> Value {
    r.map_or(Value::Null, |v| json!((v * 10_000.0).round() / 10_000.0))
}

pub(crate) fn period_json(p: &Period) -> Value {
    json!({"from": p.from_date, "to": p.to_date})
}

/// A cell of an exported report.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Minor units of the workspace's currency.
    Money(i64),
    Pct(Option<f64>),
    /// Days, with one decimal.
    Days(Option<f64>),
    /// A fractional number, with one decimal.
    Decimal(Option<f64>),
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
            // Text is guarded against formulas; a number (a negative ROMI: -100.0) is written as is.
            let cells: Vec<String> = r
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => crate::security::csv_text(s),
                    other => cell_text(other),
                })
                .collect();
            out.push_str(&(cells.join(",") + "\r\n"));
        }
        out
    }

    /// One sheet, the header bold and frozen; numbers as numbers, shares as percentages; no
    /// text is ever a formula.
    pub fn xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        workbook(&[(String::new(), self)])
    }

    /// Writes the table onto `sheet`.
    fn write_to(&self, sheet: &mut rust_xlsxwriter::Worksheet) -> Result<(), rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::Format;
        let bold = Format::new().set_bold();
        let percent = Format::new().set_num_format("0.0%");
        let money = Format::new().set_num_format("#,##0.00");
        let days = Format::new().set_num_format("0.0");
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
                    Cell::Days(Some(d)) | Cell::Decimal(Some(d)) => sheet.write_number_with_format(r, c, *d, &days).map(|_| ())?,
                    Cell::Pct(None) | Cell::Days(None) | Cell::Decimal(None) | Cell::Empty => {}
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(())
    }
}

/// A workbook of one sheet per table, each named (an empty name: the default one), the header
/// bold and frozen; numbers as numbers, shares as percentages; no text is ever a formula.
pub fn workbook(sheets: &[(String, &Table)]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, table) in sheets {
        let sheet = book.add_worksheet();
        if !name.is_empty() {
            // A sheet's name: at most 31 characters, none of []:*?/\.
            let clean: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
            sheet.set_name(clean)?;
        }
        table.write_to(sheet)?;
    }
    book.save_to_buffer()
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Money(n) => format!("{}.{:02}", n / 100, (n % 100).abs()),
        Cell::Pct(Some(p)) => format!("{:.1}", p * 100.0),
        Cell::Days(Some(d)) | Cell::Decimal(Some(d)) => format!("{d:.1}"),
        Cell::Pct(None) | Cell::Days(None) | Cell::Decimal(None) | Cell::Empty => String::new(),
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

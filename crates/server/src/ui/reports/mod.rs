//! The sales reports' pages: a form of the period (with the previous one to compare), the
//! pipeline, team, manager and a filter; a chart and a table; every count a link to the deals
//! behind it; the same report as CSV or XLSX.
use super::card::Opt;
use super::i18n::T;
use super::{render_status, OrUi, Ui, UiResult};
use crate::report::{self as r, Data, Format, Params};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use poryadok_core::schema::Entity;
use poryadok_store::report::sales::{SalesGroup, Step};
use poryadok_store::{ListQuery, StoreError};

mod activity;
mod forecast;
mod funnel;
mod load;
mod lost;
mod marketing;
mod partners;
mod plan_fact;
mod sales;
mod stage_time;

use activity::activity_body;
use forecast::forecast_body;
use funnel::{funnel_body, managers_body};
pub use funnel::{FunnelRow, ManagerRow, StepCell};
use load::load_body;
use lost::lost_body;
pub use lost::LostLine;
use partners::partners_body;
use plan_fact::plan_fact_body;
use sales::sales_body;
pub use sales::SalesLine;
use stage_time::stage_time_body;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(|| async { Redirect::to("/reports/funnel") }))
        .route("/reports/{name}", get(report_page))
        .route("/marketing", get(marketing::page))
}

/// The form's values as given, and what the selects offer.
pub struct ReportForm {
    pub name: &'static str,
    pub from: String,
    pub to: String,
    pub compare: bool,
    pub pipeline: String,
    pub team: String,
    pub owner: String,
    pub filter: String,
    /// How `sales` is grouped, and the step as given (empty: chosen by the period's length).
    pub group: String,
    pub step: String,
    /// The forecast's history in months, as given.
    pub window: String,
    pub groups: Vec<Opt>,
    pub steps: Vec<Opt>,
    pub pipelines: Vec<Opt>,
    pub teams: Vec<Opt>,
    pub owners: Vec<Opt>,
    /// A refused parameter: its name and why.
    pub error: Option<(String, String)>,
    /// The current query, for the export links.
    pub query: String,
}

impl ReportForm {
    pub fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|(f, _)| f == field)
    }
}

pub struct Tab {
    pub href: String,
    pub label: String,
    pub active: bool,
}

/// One bar of a chart: its label, the value written beside it, its length (0–100) and the
/// comparison period's, and where it leads.
pub struct Bar {
    pub label: String,
    pub text: String,
    pub width: f64,
    pub previous: Option<f64>,
    pub previous_text: String,
    pub href: String,
}

/// A table of figures under a head row, each figure a link to the records behind it: what a
/// report whose rows are people, stages or partners shows.
pub struct Grid {
    /// The table's element id.
    pub id: &'static str,
    /// A heading above it (none: the report's only table).
    pub caption: String,
    /// The first column's head, then the figures'.
    pub heads: Vec<String>,
    pub rows: Vec<GridRow>,
}

pub struct GridRow {
    pub label: String,
    pub cells: Vec<GridCell>,
    /// The total row, set apart.
    pub total: bool,
}

/// A figure: its text, where it leads (empty: nowhere), and a mark (`weak`, `below`, `muted`, or none).
pub struct GridCell {
    pub text: String,
    pub href: String,
    pub mark: &'static str,
}

impl GridCell {
    pub fn text(text: impl Into<String>) -> GridCell {
        GridCell { text: text.into(), href: String::new(), mark: "" }
    }

    /// A count leading to its records; a zero leads nowhere.
    pub fn link(text: impl Into<String>, href: impl Into<String>) -> GridCell {
        let text = text.into();
        let href = if text == "0" { String::new() } else { href.into() };
        GridCell { text, href, mark: "" }
    }

    pub fn marked(self, mark: &'static str) -> GridCell {
        GridCell { mark, ..self }
    }
}

pub enum Body {
    /// A bar chart (titled `chart`, with `note` under it) and tables.
    Grids {
        chart: String,
        bars: Vec<Bar>,
        note: String,
        grids: Vec<Grid>,
    },
    Sales {
        bars: Vec<Bar>,
        head: String,
        rows: Vec<SalesLine>,
        total: SalesLine,
        compare: String,
    },
    Lost {
        bars: Vec<Bar>,
        managers: Vec<String>,
        reasons: Vec<LostLine>,
        total: LostLine,
        stages: Vec<LostLine>,
        compare: String,
    },
    Funnel {
        bars: Vec<Bar>,
        rows: Vec<FunnelRow>,
        won: String,
        won_href: String,
        moved_won: String,
        compare: String,
    },
    Managers {
        steps: Vec<String>,
        department: ManagerRow,
        rows: Vec<ManagerRow>,
        bars: Vec<Bar>,
    },
}

pub struct ReportView {
    pub title: String,
    pub hint: String,
    pub period: String,
    pub empty: bool,
    /// What the empty state explains.
    pub empty_text: String,
    pub body: Body,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    ctx: super::Ctx,
    t: T,
    tabs: Vec<Tab>,
    f: ReportForm,
    v: Option<ReportView>,
}

#[derive(Template)]
#[template(path = "report_body.html")]
struct ReportBody {
    t: T,
    f: ReportForm,
    v: Option<ReportView>,
}

async fn report_page(State(st): State<AppState>, ui: Ui, Path(name): Path<String>, RawQuery(q): RawQuery) -> UiResult {
    let Some(name) = r::REPORTS.iter().copied().find(|n| *n == name) else {
        return Err(ui.fail(StoreError::NotFound));
    };
    // End-to-end analytics has its own page, with its own form.
    if name == "marketing" {
        return Ok(Redirect::to(&format!("/marketing?{}", q.unwrap_or_default())).into_response());
    }
    let pairs = r::pairs(q.as_deref());
    let mut f = form(&st, &ui, name, &pairs).await.or_ui(&ui)?;
    let (status, v) = match r::params(&st.db, &ui.actor, name, &pairs).await {
        Ok(params) if params.format != Format::Json => return export(&st, &ui, params).await,
        Ok(params) => {
            f.pipeline = params.pipeline().map(|p| p.to_string()).unwrap_or_default();
            f.group = params.group.as_str().to_string();
            f.from = params.period.from_date.clone();
            f.to = params.period.to_date.clone();
            (StatusCode::OK, Some(view(&st, &ui, params).await.or_ui(&ui)?))
        }
        Err(e) => match super::field_error(&ui.t, &e) {
            Some(err) => {
                f.error = Some(err);
                (StatusCode::UNPROCESSABLE_ENTITY, None)
            }
            None => return Err(ui.fail(e)),
        },
    };
    if ui.htmx {
        return Ok(render_status(status, &ReportBody { t: ui.t, f, v }));
    }
    let mut tabs: Vec<Tab> = r::REPORTS
        .iter()
        .map(|n| Tab {
            href: if *n == "marketing" { "/marketing".to_string() } else { format!("/reports/{n}") },
            label: ui.t.t(&format!("reports.{n}.title")).to_string(),
            active: *n == name,
        })
        .collect();
    tabs.push(Tab { href: "/plans".into(), label: ui.t.t("plans.title").to_string(), active: false });
    tabs.push(Tab { href: "/bonus".into(), label: ui.t.t("bonus.title").to_string(), active: false });
    let title = ui.t.t(&format!("reports.{name}.title")).to_string();
    Ok(render_status(status, &ReportPage { ctx: ui.ctx("reports", title), t: ui.t, tabs, f, v }))
}

async fn export(st: &AppState, ui: &Ui, params: Params) -> UiResult {
    let format = params.format;
    let name = params.name;
    let from = params.period.from_date.clone();
    let table = r::run(&st.db.reader(), &ui.actor, params, &ui.t).await.or_ui(ui)?.table(&ui.t);
    let file = format!("{name}-{from}");
    Ok(match format {
        Format::Xlsx => {
            let bytes = table.xlsx().map_err(|e| StoreError::Internal(e.to_string())).or_ui(ui)?;
            super::kit::download(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &format!("{file}.xlsx"))
        }
        _ => super::kit::download(table.csv().into_bytes(), "text/csv; charset=utf-8", &format!("{file}.csv")),
    }
    .into_response())
}

async fn form(st: &AppState, ui: &Ui, name: &'static str, pairs: &[(String, String)]) -> Result<ReportForm, StoreError> {
    let get = |k: &str| pairs.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let opts = |rows: Vec<poryadok_store::Row>| {
        rows.iter().map(|r| Opt { value: r.id().to_string(), label: r.get("name").as_text().unwrap_or("").to_string() }).collect()
    };
    let by = |sort: &str| ListQuery { limit: Some("500".into()), sort: Some(sort.into()), ..ListQuery::default() };
    let pipelines = opts(st.db.list(&ui.actor, Entity::Pipeline, &by("position")).await?.data);
    let teams = opts(st.db.list(&ui.actor, Entity::Team, &by("name")).await?.data);
    let owners = opts(st.db.list(&ui.actor, Entity::User, &by("name")).await?.data);
    let query = pairs.iter().filter(|(k, _)| k != "format").map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
    Ok(ReportForm {
        name,
        from: get("from"),
        to: get("to"),
        compare: get("compare") == "previous",
        pipeline: get("pipeline_id"),
        team: get("team_id"),
        owner: get("owner_id"),
        filter: get("filter"),
        group: get("group"),
        step: get("step"),
        window: get("window"),
        groups: SalesGroup::ALL
            .iter()
            .map(|g| Opt { value: g.as_str().into(), label: ui.t.t(&format!("reports.sales.by.{}", g.as_str())).to_string() })
            .collect(),
        steps: Step::ALL
            .iter()
            .map(|s| Opt { value: s.as_str().into(), label: ui.t.t(&format!("reports.step.{}", s.as_str())).to_string() })
            .collect(),
        pipelines,
        teams,
        owners,
        error: None,
        query,
    })
}

pub(super) fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A share as people read it: `42 %`, `42%`; a dash where there is nothing to divide.
pub fn pct(t: &T, r: Option<f64>) -> String {
    match r {
        None => "—".into(),
        Some(v) => {
            let n = (v * 1000.0).round() / 10.0;
            let text = if n.fract() == 0.0 { format!("{n:.0}") } else { format!("{n:.1}") };
            match t.lang {
                poryadok_core::msg::Lang::Ru => format!("{}\u{a0}%", text.replace('.', ",")),
                poryadok_core::msg::Lang::En => format!("{text}%"),
            }
        }
    }
}

/// A filter string as the filter language quotes it.
pub(super) fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An instant as the filter language can write it: a UTC date plus minutes.
pub(super) fn instant(ms: i64) -> String {
    let day = ms.div_euclid(86_400_000) * 86_400_000;
    let date = poryadok_core::types::format_ms(day)[..10].to_string();
    match (ms - day) / 60_000 {
        0 => date,
        m => format!("{date} + {m}m"),
    }
}

/// The deals list narrowed to the report's deals and `extra`: where every count leads.
pub(super) fn deals_href(p: &Params, field: &str, extra: &str) -> String {
    deals_href_in(p, Some((field, p.scope.from, p.scope.to)), extra)
}

/// [`deals_href`] with `field` in `[from, to)` of `span` rather than the report's period, or
/// (none) whenever.
pub(super) fn deals_href_in(p: &Params, span: Option<(&str, i64, i64)>, extra: &str) -> String {
    let mut e = if p.all_pipelines { String::new() } else { format!("pipeline = {} and ", quoted(&p.pipeline_name)) };
    e.push_str("status != not_lead");
    if let Some((field, from, to)) = span {
        e.push_str(&format!(" and {field} >= {} and {field} < {}", instant(from), instant(to)));
    }
    if let Some(o) = p.scope.owner {
        e.push_str(&format!(" and owner = {o}"));
    }
    if p.scope.team.is_some() {
        e.push_str(&format!(" and owner.team = {}", quoted(&p.team_name)));
    }
    if !extra.is_empty() {
        e.push_str(" and ");
        e.push_str(extra);
    }
    if !p.filter.is_empty() {
        e.push_str(&format!(" and ({})", p.filter));
    }
    format!("/deals?q={}", enc(&e))
}

async fn view(st: &AppState, ui: &Ui, params: Params) -> Result<ReportView, StoreError> {
    let t = &ui.t;
    let fmt = ui.fmt();
    let period = format!("{} — {}", fmt.date_str(&params.period.from_date), fmt.date_str(&params.period.to_date));
    let name = params.name;
    let (empty, body) = match r::run(&st.db.reader(), &ui.actor, params, t).await? {
        Data::Funnel(d) => (d.now.cohort.deals == 0 && d.now.movement.deals == 0, funnel_body(ui, &d)),
        Data::Managers(d) => (d.department.deals == 0, managers_body(ui, &d)),
        Data::Sales(d) => (d.now.total.won + d.now.total.lost == 0, sales_body(ui, &d)),
        Data::Lost(d) => (d.now.cells.is_empty(), lost_body(ui, &d)),
        Data::Activity(d) => (d.now.total.is_empty(), activity_body(ui, &d)),
        Data::StageTime(d) => (d.now.stays() + d.now.now() == 0, stage_time_body(ui, &d)),
        Data::Load(d) => (d.now.rows.is_empty(), load_body(ui, &d)),
        Data::Partners(d) => (d.now.total.deals + d.now.total.won == 0, partners_body(ui, &d)),
        Data::Forecast(d) => (d.empty(), forecast_body(ui, &d)),
        Data::PlanFact(d) => (d.now.metrics.is_empty(), plan_fact_body(ui, &d)),
        // Served by its own page (`/marketing`), which `/reports/marketing` redirects to.
        Data::Marketing(_) => return Err(StoreError::NotFound),
    };
    // A report's own explanation of an empty period, or the common one.
    let own = format!("reports.{name}.empty");
    let empty_key = if t.t(&own) != own { own } else { "reports.empty".to_string() };
    Ok(ReportView {
        title: t.t(&format!("reports.{name}.title")).to_string(),
        hint: t.t(&format!("reports.{name}.hint")).to_string(),
        period,
        empty,
        empty_text: t.t(&empty_key).to_string(),
        body,
    })
}

/// Days as people read them (the column names the unit): `3,5`, `3.5`; a dash where there is nothing.
pub(super) fn days(t: &T, ms: Option<f64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) => {
            let n = (ms / 86_400_000.0 * 10.0).round() / 10.0;
            let text = if n.fract() == 0.0 { format!("{n:.0}") } else { format!("{n:.1}") };
            match t.lang {
                poryadok_core::msg::Lang::Ru => text.replace('.', ","),
                poryadok_core::msg::Lang::En => text,
            }
        }
    }
}

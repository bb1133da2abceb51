//! The sales reports' pages: a form of the period (with the previous one to compare), the
//! pipeline, team, manager and a filter; a chart and a table; every count a link to the deals
//! behind it; the same report as CSV or XLSX.
use super::card::Opt;
use super::i18n::T;
use super::{render_status, OrUi, Ui, UiResult};
use crate::report::{self as r, Format, FunnelData, LostData, ManagersData, Params, SalesData};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use poryadok_core::report::{ratio, step_conversions};
use poryadok_core::schema::Entity;
use poryadok_store::report::funnel::FunnelCounts;
use poryadok_store::report::lost_reasons::Lost;
use poryadok_store::report::sales::{SalesCounts, SalesGroup, SalesKey, Step};
use poryadok_store::{ListQuery, StoreError};

pub fn routes() -> Router<AppState> {
    Router::new().route("/reports", get(|| async { Redirect::to("/reports/funnel") })).route("/reports/{name}", get(report_page))
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

pub struct FunnelRow {
    pub name: String,
    pub reached: String,
    pub href: String,
    pub to_next: String,
    pub to_won: String,
    pub previous: String,
    pub moved: String,
    pub moved_next: String,
    pub moved_won: String,
}

/// A manager's funnel: a cell per step with its conversion, the weakest marked.
pub struct StepCell {
    pub text: String,
    pub count: String,
    pub href: String,
    pub weak: bool,
    /// How far below the department (0: not below), for the cell's shade.
    pub below: bool,
}

pub struct ManagerRow {
    pub name: String,
    pub steps: Vec<StepCell>,
    pub won: String,
    pub won_href: String,
    pub won_value: String,
    pub win_rate: String,
    pub weakest: String,
}

/// A group of the sales report: its figures, each count a link to its deals.
pub struct SalesLine {
    pub label: String,
    pub won: String,
    pub won_href: String,
    pub value: String,
    pub average: String,
    pub lost: String,
    pub lost_href: String,
    pub win_rate: String,
    pub median: String,
    pub mean: String,
    /// The comparison period's revenue.
    pub previous: String,
}

/// A row of lost deals (a reason, a stage or the total): the count and its link, the value,
/// the share, and per manager (for reasons) the count and its link.
pub struct LostLine {
    pub label: String,
    pub lost: String,
    pub href: String,
    pub value: String,
    pub share: String,
    pub cells: Vec<(String, String)>,
}

pub enum Body {
    Sales { bars: Vec<Bar>, head: String, rows: Vec<SalesLine>, total: SalesLine, compare: String },
    Lost { bars: Vec<Bar>, managers: Vec<String>, reasons: Vec<LostLine>, total: LostLine, stages: Vec<LostLine>, compare: String },
    Funnel { bars: Vec<Bar>, rows: Vec<FunnelRow>, won: String, won_href: String, moved_won: String, compare: String },
    Managers { steps: Vec<String>, department: ManagerRow, rows: Vec<ManagerRow>, bars: Vec<Bar> },
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
    let tabs = r::REPORTS
        .iter()
        .map(|n| Tab { href: format!("/reports/{n}"), label: ui.t.t(&format!("reports.{n}.title")).to_string(), active: *n == name })
        .collect();
    let title = ui.t.t(&format!("reports.{name}.title")).to_string();
    Ok(render_status(status, &ReportPage { ctx: ui.ctx("reports", title), t: ui.t, tabs, f, v }))
}

async fn export(st: &AppState, ui: &Ui, params: Params) -> UiResult {
    let format = params.format;
    let name = params.name;
    let from = params.period.from_date.clone();
    let table = match name {
        "funnel" => r::funnel(&st.db, &ui.actor, params).await.or_ui(ui)?.table(&ui.t),
        "managers" => r::managers(&st.db, &ui.actor, params, &ui.t).await.or_ui(ui)?.table(&ui.t),
        "sales" => r::sales(&st.db, &ui.actor, params).await.or_ui(ui)?.table(&ui.t),
        _ => r::lost_reasons(&st.db, &ui.actor, params).await.or_ui(ui)?.table(&ui.t),
    };
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

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A share as people read it: `42 %`, `42%`; a dash where there is nothing to divide.
fn pct(t: &T, r: Option<f64>) -> String {
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
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An instant as the filter language can write it: a UTC date plus minutes.
fn instant(ms: i64) -> String {
    let day = ms.div_euclid(86_400_000) * 86_400_000;
    let date = poryadok_core::types::format_ms(day)[..10].to_string();
    match (ms - day) / 60_000 {
        0 => date,
        m => format!("{date} + {m}m"),
    }
}

/// The deals list narrowed to the report's deals and `extra`: where every count leads.
fn deals_href(p: &Params, field: &str, extra: &str) -> String {
    let mut e = if p.all_pipelines { String::new() } else { format!("pipeline = {} and ", quoted(&p.pipeline_name)) };
    e.push_str(&format!("status != not_lead and {field} >= {} and {field} < {}", instant(p.scope.from), instant(p.scope.to)));
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
    let (empty, body) = match name {
        "funnel" => {
            let d = r::funnel(&st.db, &ui.actor, params).await?;
            (d.now.cohort.deals == 0 && d.now.movement.deals == 0, funnel_body(ui, &d))
        }
        "managers" => {
            let d = r::managers(&st.db, &ui.actor, params, t).await?;
            (d.department.deals == 0, managers_body(ui, &d))
        }
        "sales" => {
            let d = r::sales(&st.db, &ui.actor, params).await?;
            (d.now.total.won + d.now.total.lost == 0, sales_body(ui, &d))
        }
        _ => {
            let d = r::lost_reasons(&st.db, &ui.actor, params).await?;
            (d.now.cells.is_empty(), lost_body(ui, &d))
        }
    };
    let empty_key = match name {
        "sales" | "lost_reasons" => format!("reports.{name}.empty"),
        _ => "reports.empty".to_string(),
    };
    Ok(ReportView {
        title: t.t(&format!("reports.{name}.title")).to_string(),
        hint: t.t(&format!("reports.{name}.hint")).to_string(),
        period,
        empty,
        empty_text: t.t(&empty_key).to_string(),
        body,
    })
}

fn funnel_body(ui: &Ui, d: &FunnelData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let (c, m) = (&d.now.cohort, &d.now.movement);
    let (cc, mc) = (step_conversions(&c.reached, c.won), step_conversions(&m.reached, m.won));
    let prev = d.previous.as_ref().map(|x| &x.cohort);
    let max = c.reached.iter().chain(prev.map_or(&[][..], |x| &x.reached)).copied().max().unwrap_or(0).max(1) as f64;
    let stage_href = |name: &str| deals_href(p, "created_at", &format!("stage >= {}", quoted(name)));
    let mut bars: Vec<Bar> = d
        .now
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| Bar {
            label: s.name.clone(),
            text: format!("{} · {}", fmt.count(c.reached[i]), pct(t, ratio(c.reached[i], c.reached[0]))),
            width: c.reached[i] as f64 / max * 100.0,
            previous: prev.map(|x| x.reached.get(i).copied().unwrap_or(0) as f64 / max * 100.0),
            previous_text: prev.map(|x| fmt.count(x.reached.get(i).copied().unwrap_or(0))).unwrap_or_default(),
            href: stage_href(&s.name),
        })
        .collect();
    let won_href = deals_href(p, "created_at", "status = won");
    bars.push(Bar {
        label: t.t("reports.won").to_string(),
        text: format!("{} · {}", fmt.count(c.won), pct(t, ratio(c.won, c.reached.first().copied().unwrap_or(0)))),
        width: c.won as f64 / max * 100.0,
        previous: prev.map(|x| x.won as f64 / max * 100.0),
        previous_text: prev.map(|x| fmt.count(x.won)).unwrap_or_default(),
        href: won_href.clone(),
    });
    let rows = d
        .now
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| FunnelRow {
            name: s.name.clone(),
            reached: fmt.count(c.reached[i]),
            href: stage_href(&s.name),
            to_next: pct(t, cc[i]),
            to_won: pct(t, ratio(c.won, c.reached[i])),
            previous: prev.map(|x| fmt.count(x.reached.get(i).copied().unwrap_or(0))).unwrap_or_default(),
            moved: fmt.count(m.reached[i]),
            moved_next: pct(t, mc[i]),
            moved_won: pct(t, ratio(m.won, m.reached[i])),
        })
        .collect();
    let compare = match (&d.params.compare, prev) {
        (Some(pp), Some(x)) => t.fmt(
            "reports.compared",
            &[
                ("from", fmt.date_str(&pp.from_date).as_str()),
                ("to", fmt.date_str(&pp.to_date).as_str()),
                ("deals", fmt.count(x.deals).as_str()),
                ("won", fmt.count(x.won).as_str()),
            ],
        ),
        _ => String::new(),
    };
    Body::Funnel { bars, rows, won: fmt.count(c.won), won_href, moved_won: fmt.count(m.won), compare }
}

fn managers_body(ui: &Ui, d: &ManagersData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let currency = ui.actor.ws.currency.clone();
    let dept = step_conversions(&d.department.reached, d.department.won);
    let row = |name: &str, owner: Option<i64>, c: &FunnelCounts, weak: Option<usize>| {
        let conv = step_conversions(&c.reached, c.won);
        let who = owner.map(|o| format!("owner = {o}")).unwrap_or_else(|| "owner is empty".into());
        let steps = d
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| StepCell {
                text: pct(t, conv[i]),
                count: fmt.count(c.reached[i]),
                href: deals_href(p, "created_at", &format!("{who} and stage >= {}", quoted(&s.name))),
                weak: weak == Some(i),
                below: matches!((conv[i], dept[i]), (Some(a), Some(b)) if a + 1e-9 < b),
            })
            .collect();
        ManagerRow {
            name: name.to_string(),
            steps,
            won: fmt.count(c.won),
            won_href: deals_href(p, "created_at", &format!("{who} and status = won")),
            won_value: fmt.money(c.won_value, &currency),
            win_rate: pct(t, ratio(c.won, c.won + c.lost)),
            weakest: weak.map(|i| d.step_name(t, i)).unwrap_or_default(),
        }
    };
    let department = ManagerRow { weakest: String::new(), ..row(t.t("reports.department"), None, &d.department, None) };
    let department =
        ManagerRow { steps: department.steps.into_iter().map(|s| StepCell { href: String::new(), ..s }).collect(), ..department };
    let max = d.managers.iter().map(|(m, _, _)| m.counts.won_value).max().unwrap_or(0).max(1) as f64;
    let bars = d
        .managers
        .iter()
        .map(|(m, name, _)| Bar {
            label: name.clone(),
            text: format!("{} · {}", fmt.money(m.counts.won_value, &currency), fmt.count(m.counts.won)),
            width: m.counts.won_value as f64 / max * 100.0,
            previous: None,
            previous_text: String::new(),
            href: deals_href(p, "created_at", &m.owner_id.map_or("owner is empty".into(), |o| format!("owner = {o} and status = won"))),
        })
        .collect();
    let rows = d.managers.iter().map(|(m, name, weak)| row(name, m.owner_id, &m.counts, *weak)).collect();
    let steps = (0..d.stages.len()).map(|i| d.step_name(t, i)).collect();
    Body::Managers { steps, department, rows, bars }
}

/// Days as people read them (the column names the unit): `3,5`, `3.5`; a dash where there is nothing.
fn days(t: &T, ms: Option<f64>) -> String {
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

fn sales_body(ui: &Ui, d: &SalesData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let currency = ui.actor.ws.currency.clone();
    // What narrows the deals list to a row's deals.
    let narrow = |i: usize| -> String {
        let Some(row) = d.now.rows.get(i) else { return String::new() };
        if let Some(b) = &row.bucket {
            return format!("closed_at >= {} and closed_at < {}", instant(b.from), instant(b.to));
        }
        match (&row.key, p.group) {
            (SalesKey::Id(Some(id)), SalesGroup::Pipeline) => {
                format!("pipeline = {}", quoted(d.names.get(id).map_or("", String::as_str)))
            }
            (SalesKey::Id(Some(id)), _) => format!("owner = {id}"),
            (SalesKey::Id(None), _) => "owner is empty".into(),
            (SalesKey::Text(Some(s)), _) => format!("source = {}", quoted(s)),
            (SalesKey::Text(None), _) => "source is empty".into(),
        }
    };
    let href = |extra: &str, status: &str| {
        let e = if extra.is_empty() { format!("status = {status}") } else { format!("{extra} and status = {status}") };
        deals_href(p, "closed_at", &e)
    };
    let line = |label: String, c: &SalesCounts, extra: &str, prev: Option<&SalesCounts>| SalesLine {
        label,
        won: fmt.count(c.won),
        won_href: href(extra, "won"),
        value: fmt.money(c.won_value, &currency),
        average: r::average(c).map_or_else(|| "—".into(), |a| fmt.money(a, &currency)),
        lost: fmt.count(c.lost),
        lost_href: href(extra, "lost"),
        win_rate: pct(t, r::win_rate(c)),
        median: days(t, c.cycle_median_ms),
        mean: days(t, r::cycle_mean_ms(c)),
        previous: prev.map(|x| fmt.money(x.won_value, &currency)).unwrap_or_default(),
    };
    let day = |s: &str| fmt.date_str(s);
    let rows: Vec<SalesLine> =
        d.now.rows.iter().enumerate().map(|(i, row)| line(d.label(t, row, day), &row.counts, &narrow(i), d.previous_of(i))).collect();
    let total = line(t.t("reports.total").to_string(), &d.now.total, "", d.previous.as_ref().map(|x| &x.total));
    let max = (0..d.now.rows.len())
        .flat_map(|i| [Some(d.now.rows[i].counts.won_value), d.previous_of(i).map(|c| c.won_value)])
        .flatten()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let bars = d
        .now
        .rows
        .iter()
        .enumerate()
        .zip(&rows)
        .map(|((i, row), l)| Bar {
            label: l.label.clone(),
            text: format!("{} · {}", l.value, l.won),
            width: row.counts.won_value as f64 / max * 100.0,
            previous: d.previous.as_ref().map(|_| d.previous_of(i).map_or(0.0, |c| c.won_value as f64 / max * 100.0)),
            previous_text: d
                .previous
                .as_ref()
                .map(|_| fmt.money(d.previous_of(i).map_or(0, |c| c.won_value), &currency))
                .unwrap_or_default(),
            href: l.won_href.clone(),
        })
        .collect();
    let compare = match (&p.compare, &d.previous) {
        (Some(pp), Some(x)) => t.fmt(
            "reports.sales.compared",
            &[
                ("from", fmt.date_str(&pp.from_date).as_str()),
                ("to", fmt.date_str(&pp.to_date).as_str()),
                ("value", fmt.money(x.total.won_value, &currency).as_str()),
                ("won", fmt.count(x.total.won).as_str()),
            ],
        ),
        _ => String::new(),
    };
    Body::Sales { bars, head: d.group_head(t), rows, total, compare }
}

fn lost_body(ui: &Ui, d: &LostData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let currency = ui.actor.ws.currency.clone();
    let total = d.now.total();
    let reason_is =
        |r: &Option<String>| r.as_ref().map_or_else(|| "lost_reason is empty".to_string(), |r| format!("lost_reason = {}", quoted(r)));
    let owner_is = |o: Option<i64>| o.map_or_else(|| "owner is empty".to_string(), |o| format!("owner = {o}"));
    let href = |extra: &str| {
        deals_href(p, "closed_at", &if extra.is_empty() { "status = lost".into() } else { format!("status = lost and {extra}") })
    };
    let owners = d.now.by_owner();
    let line = |label: String, l: &Lost, extra: &str| LostLine {
        label,
        lost: fmt.count(l.lost),
        href: href(extra),
        value: fmt.money(l.value, &currency),
        share: pct(t, ratio(l.lost, total.lost)),
        cells: Vec::new(),
    };
    let by_reason = d.now.by_reason();
    let reasons: Vec<LostLine> = by_reason
        .iter()
        .map(|(reason, l)| LostLine {
            cells: owners
                .iter()
                .map(|(o, _)| {
                    let n = d.now.count(reason, *o).lost;
                    let link = if n > 0 { href(&format!("{} and {}", reason_is(reason), owner_is(*o))) } else { String::new() };
                    (fmt.count(n), link)
                })
                .collect(),
            ..line(d.reason_name(t, reason), l, &reason_is(reason))
        })
        .collect();
    let total_line = LostLine {
        cells: owners.iter().map(|(o, l)| (fmt.count(l.lost), href(&owner_is(*o)))).collect(),
        ..line(t.t("reports.total").to_string(), &total, "")
    };
    let stages = d
        .now
        .by_stage()
        .iter()
        .map(|(s, l)| {
            let name = d.stage_name(*s);
            let extra = match s {
                Some(_) => format!("stage = {}", quoted(&name)),
                None => "stage is empty".into(),
            };
            line(name, l, &extra)
        })
        .collect();
    let prev = d.previous.as_ref().map(|x| x.by_reason());
    let max = by_reason.iter().map(|(_, l)| l.lost).chain(prev.iter().flatten().map(|(_, l)| l.lost)).max().unwrap_or(0).max(1) as f64;
    let bars = by_reason
        .iter()
        .zip(&reasons)
        .map(|((reason, l), line)| {
            let before = prev.as_ref().map(|p| p.iter().find(|(r, _)| r == reason).map_or(0, |(_, l)| l.lost));
            Bar {
                label: line.label.clone(),
                text: format!("{} · {}", line.lost, line.value),
                width: l.lost as f64 / max * 100.0,
                previous: before.map(|n| n as f64 / max * 100.0),
                previous_text: before.map(|n| fmt.count(n)).unwrap_or_default(),
                href: line.href.clone(),
            }
        })
        .collect();
    let compare = match (&p.compare, &d.previous) {
        (Some(pp), Some(x)) => {
            let l = x.total();
            t.fmt(
                "reports.lost_reasons.compared",
                &[
                    ("from", fmt.date_str(&pp.from_date).as_str()),
                    ("to", fmt.date_str(&pp.to_date).as_str()),
                    ("lost", fmt.count(l.lost).as_str()),
                    ("value", fmt.money(l.value, &currency).as_str()),
                ],
            )
        }
        _ => String::new(),
    };
    let managers = owners.iter().map(|(o, _)| d.owner_name(t, *o)).collect();
    Body::Lost { bars, managers, reasons, total: total_line, stages, compare }
}

//! The plans page (`/plans?period=2026-11`): a period's targets for every manager and team in
//! one grid — a head of sales or an administrator types them and saves once; everyone else
//! reads the plans they may see — and the import of a plan sheet (CSV or XLSX) with a preview
//! of what each row does before it is applied.
//!
//! A save writes only the cells the reader changed (each input carries the value it was shown
//! with), so two heads filling in different rows do not undo each other. A refused value is
//! marked at its cell and nothing is saved.
use super::format::Fmt;
use super::i18n::{Lang, T};
use super::reports::Tab;
use super::{messages, render, render_status, OrUi, Ui, UiResult};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use poryadok_core::msg::PlanMsg;
use poryadok_core::plan::{may_write, Metric, PlanPeriod};
use poryadok_core::Msg;
use poryadok_store::invoices::import::parse_amount;
use poryadok_store::plans::{periods_for, quarter_spread, Plan, PlanImportReport, PlanSet, SetAction, SetReport, Target, SELLING_ROLES};
use poryadok_store::StoreError;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans", get(page).post(save))
        .route("/plans/import", post(import).layer(DefaultBodyLimit::max(crate::api::plans::MAX_IMPORT_BYTES)))
}

/// One input of the grid (or, read-only, its text).
pub struct CellView {
    /// `u12.revenue`, `t3.calls`.
    pub name: String,
    pub value: String,
    /// The value the page was shown with (what a save compares against).
    pub shown: String,
    /// What a screen reader announces: whose plan and for what.
    pub label: String,
    pub invalid: bool,
    /// How a quarter's plan reaches this cell: on a month, its part of the quarter's plan (when
    /// the month has none of its own); on a quarter, the plan month by month.
    pub hint: String,
}

pub struct RowView {
    pub label: String,
    /// The team, for a manager; empty for a team.
    pub sub: String,
    pub cells: Vec<CellView>,
}

pub struct PlansView {
    pub period: String,
    pub title: String,
    pub prev_href: String,
    pub next_href: String,
    /// The month or the quarter of the same days, whichever this is not.
    pub other_href: String,
    pub other_label: String,
    pub report_href: String,
    pub heads: Vec<String>,
    pub users: Vec<RowView>,
    pub teams: Vec<RowView>,
    pub editable: bool,
    /// Some cell shows how a quarter's plan spreads to months (the note under the grid says how).
    pub spread_note: bool,
    /// The confirmation of a save.
    pub saved: String,
    pub errors: Vec<String>,
    pub period_error: String,
    pub csrf: String,
    /// Rendered into another response, to replace the page's grid (htmx out of band).
    pub oob: bool,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    ctx: super::Ctx,
    t: T,
    tabs: Vec<Tab>,
    v: PlansView,
}

#[derive(Template)]
#[template(path = "plans_body.html")]
struct PlansBody {
    t: T,
    v: PlansView,
}

/// An import's outcome: counts, each row's cells, the refused rows; after an applied import the
/// grid too (swapped in out of band).
#[derive(Template)]
#[template(path = "plans_import.html")]
struct ImportResult {
    t: T,
    r: ImportView,
    grid: Option<PlansView>,
}

pub struct ImportLineView {
    pub line: u64,
    pub who: String,
    pub period: String,
    pub cells: Vec<ImportCell>,
}

/// A plan of a sheet's row: the metric, the value and what it does (`created`, `updated`, `unchanged`).
pub struct ImportCell {
    pub metric: String,
    pub value: String,
    pub action: &'static str,
    pub action_text: String,
}

pub struct ImportErrorView {
    pub line: u64,
    pub column: String,
    pub message: String,
}

pub struct ImportView {
    pub dry_run: bool,
    pub summary: String,
    pub lines: Vec<ImportLineView>,
    pub errors: Vec<ImportErrorView>,
    /// A refusal of the whole file.
    pub failure: String,
}

fn metric_label(t: &T, m: Metric) -> String {
    t.t(&format!("reports.plan_fact.metric.{}", m.as_str())).to_string()
}

/// A period as a heading: `Ноябрь 2026`, `4 квартал 2026`.
fn period_title(t: &T, fmt: &Fmt, p: &PlanPeriod) -> String {
    match p {
        PlanPeriod::Month { .. } => fmt.month(&p.key()),
        PlanPeriod::Quarter { year, quarter } => {
            t.fmt("plans.quarter", &[("q", quarter.to_string().as_str()), ("year", year.to_string().as_str())])
        }
    }
}

/// A value as the grid's input shows it: revenue in currency units (`12 000,50` in Russian,
/// `12000.50` in English, whose thousands comma would read as a decimal one elsewhere), counts
/// as they are.
fn input_value(t: &T, m: Metric, v: i64) -> String {
    if !m.is_money() {
        return v.to_string();
    }
    match (v % 100, t.lang) {
        (0, Lang::Ru) => Fmt { lang: t.lang, tz: String::new() }.count(v / 100),
        (c, Lang::Ru) => format!("{},{c:02}", Fmt { lang: t.lang, tz: String::new() }.count(v / 100)),
        (0, Lang::En) => (v / 100).to_string(),
        (c, Lang::En) => format!("{}.{c:02}", v / 100),
    }
}

/// A cell's text as a value: empty is no plan. An English reader's commas group thousands.
fn parse_value(lang: Lang, m: Metric, raw: &str) -> Result<Option<i64>, Msg> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if m.is_money() {
        let s = if lang == Lang::En { s.replace(',', "") } else { s.to_string() };
        return parse_amount(&s).map(Some);
    }
    let digits: String = s.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != ',').collect();
    digits.parse::<i64>().ok().filter(|n| *n >= 0).map(Some).ok_or_else(|| PlanMsg::NotCount { raw: s.to_string() }.into())
}

fn cell_name(target: Target, m: Metric) -> String {
    match target {
        Target::User(id) => format!("u{id}.{}", m.as_str()),
        Target::Team(id) => format!("t{id}.{}", m.as_str()),
    }
}

fn parse_name(name: &str) -> Option<(Target, Metric)> {
    let (who, metric) = name.split_once('.')?;
    let id = who.get(1..)?.parse::<i64>().ok().filter(|i| *i > 0)?;
    let target = match who.chars().next()? {
        'u' => Target::User(id),
        't' => Target::Team(id),
        _ => return None,
    };
    Some((target, Metric::parse(metric)?))
}

fn tabs(t: &T) -> Vec<Tab> {
    let mut tabs: Vec<Tab> = crate::report::REPORTS
        .iter()
        .map(|n| Tab { href: format!("/reports/{n}"), label: t.t(&format!("reports.{n}.title")).to_string(), active: false })
        .collect();
    tabs.push(Tab { href: "/plans".into(), label: t.t("plans.title").to_string(), active: true });
    tabs.push(Tab { href: "/bonus".into(), label: t.t("bonus.title").to_string(), active: false });
    tabs
}

/// The period a request asks for (the current month by default); a bad one is the current month
/// with the reason.
fn requested(ui: &Ui, st: &AppState, raw: Option<&str>) -> (PlanPeriod, String) {
    let now = poryadok_core::zone::local(&ui.actor.ws.timezone, st.db.clock.now_ms()).date();
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => (PlanPeriod::month_of(now), String::new()),
        Some(s) => match PlanPeriod::parse(s).ok().or_else(|| PlanPeriod::parse_loose(s)) {
            Some(p) => (p, String::new()),
            None => (PlanPeriod::month_of(now), messages::say(&ui.t, &PlanMsg::PeriodShape {}.into())),
        },
    }
}

/// The grid of `period`, with `typed` values (after a refused save) in place of the stored ones.
async fn grid(
    st: &AppState,
    ui: &Ui,
    period: PlanPeriod,
    typed: &HashMap<String, (String, String)>,
    invalid: &[String],
) -> Result<PlansView, StoreError> {
    let (t, fmt) = (&ui.t, ui.fmt());
    let editable = may_write(ui.actor.caller.role);
    let around: Vec<Plan> = st.db.plans_of(&ui.actor, &periods_for(period)).await?;
    let plans: Vec<Plan> = around.iter().filter(|p| p.period == period).cloned().collect();
    let stored: HashMap<(Target, Metric), i64> = plans.iter().map(|p| ((p.target, p.metric), p.value)).collect();
    // A quarter's plan spread to its months by their working days (plans::effective).
    let hours = st.db.business_hours(&ui.actor).await?;
    let quarter = period.first_day().map(PlanPeriod::quarter_of).unwrap_or(period);
    let spread = quarter_spread(&around, quarter, &hours);
    let shown_value = |m: Metric, v: i64| if m.is_money() { fmt.money(v, &ui.actor.ws.currency) } else { fmt.count(v) };
    let hint = |target: Target, m: Metric| -> String {
        let Some(months) = spread.get(&(target, m)) else { return String::new() };
        match period {
            PlanPeriod::Month { .. } => months
                .iter()
                .find(|(p, (_, spread))| *p == period && *spread)
                .map(|(_, (v, _))| t.fmt("plans.from_quarter", &[("value", shown_value(m, *v).as_str())]))
                .unwrap_or_default(),
            PlanPeriod::Quarter { .. } => months
                .iter()
                .map(|(p, (v, spread))| {
                    let own = if *spread { "" } else { "*" };
                    format!("{}: {}{own}", fmt.month(&p.key()), shown_value(m, *v))
                })
                .collect::<Vec<_>>()
                .join(" · "),
        }
    };
    let users = st.db.plan_users(&ui.actor).await?;
    let teams = st.db.plan_teams(&ui.actor).await?;
    let team_names: HashMap<i64, String> = teams.iter().cloned().collect();
    let planned = |target: Target| plans.iter().any(|p| p.target == target);
    let cells = |target: Target, who: &str| {
        Metric::ALL
            .iter()
            .map(|m| {
                let name = cell_name(target, *m);
                let shown = stored.get(&(target, *m)).map(|v| input_value(t, *m, *v)).unwrap_or_default();
                let (value, shown) = match typed.get(&name) {
                    Some((value, was)) => (value.clone(), was.clone()),
                    None => (shown.clone(), shown),
                };
                let hint = hint(target, *m);
                CellView { label: format!("{who} — {}", metric_label(t, *m)), invalid: invalid.contains(&name), name, value, shown, hint }
            })
            .collect()
    };
    let me = ui.actor.user_id();
    let user_rows: Vec<RowView> = users
        .iter()
        .filter(|u| {
            let target = Target::User(u.id);
            planned(target) || (editable && u.active && SELLING_ROLES.contains(&u.role.as_str())) || (!editable && u.id == me)
        })
        .map(|u| RowView {
            label: u.name.clone(),
            sub: u.team_id.and_then(|t| team_names.get(&t).cloned()).unwrap_or_default(),
            cells: cells(Target::User(u.id), &u.name),
        })
        .collect();
    let team_rows: Vec<RowView> = teams
        .iter()
        .filter(|(id, _)| editable || planned(Target::Team(*id)))
        .map(|(id, name)| {
            let label = t.fmt("reports.plan_fact.team", &[("name", name.as_str())]);
            RowView { cells: cells(Target::Team(*id), &label), label, sub: String::new() }
        })
        .collect();
    let (first, last) = (period.first_day(), period.last_day());
    let day = |d: Option<time::Date>| d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())).unwrap_or_default();
    let other = match period {
        PlanPeriod::Month { .. } => first.map(PlanPeriod::quarter_of),
        PlanPeriod::Quarter { .. } => first.map(PlanPeriod::month_of),
    }
    .unwrap_or(period);
    let heads =
        Metric::ALL
            .iter()
            .map(|m| {
                if m.is_money() {
                    format!("{}, {}", metric_label(t, *m), currency_sign(&ui.actor.ws.currency))
                } else {
                    metric_label(t, *m)
                }
            })
            .collect();
    let spread_note = user_rows.iter().chain(&team_rows).flat_map(|r: &RowView| &r.cells).any(|c| !c.hint.is_empty());
    Ok(PlansView {
        spread_note,
        period: period.key(),
        title: period_title(t, &fmt, &period),
        prev_href: format!("/plans?period={}", period.previous().key()),
        next_href: format!("/plans?period={}", period.next().key()),
        other_label: if other.is_quarter() { t.t("plans.show_quarter").to_string() } else { t.t("plans.show_month").to_string() },
        other_href: format!("/plans?period={}", other.key()),
        report_href: format!("/reports/plan_fact?from={}&to={}", day(first), day(last)),
        heads,
        users: user_rows,
        teams: team_rows,
        editable,
        saved: String::new(),
        errors: Vec::new(),
        period_error: String::new(),
        csrf: ui.csrf.clone(),
        oob: false,
    })
}

fn currency_sign(c: &str) -> String {
    match c {
        "RUB" => "₽".into(),
        "USD" => "$".into(),
        "EUR" => "€".into(),
        other => other.to_string(),
    }
}

fn query_period(raw: Option<&str>) -> Option<String> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).find(|(k, _)| k == "period").map(|(_, v)| v.into_owned())
}

/// `GET /plans?period=`
async fn page(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    let (period, error) = requested(&ui, &st, query_period(q.as_deref()).as_deref());
    let mut v = grid(&st, &ui, period, &HashMap::new(), &[]).await.or_ui(&ui)?;
    v.period_error = error;
    Ok(respond(&ui, StatusCode::OK, v))
}

fn respond(ui: &Ui, status: StatusCode, v: PlansView) -> Response {
    if ui.htmx {
        return render_status(status, &PlansBody { t: ui.t, v });
    }
    let title = ui.t.t("plans.title").to_string();
    render_status(status, &PlansPage { ctx: ui.ctx("reports", title), t: ui.t, tabs: tabs(&ui.t), v })
}

fn summary(t: &T, r: &SetReport) -> String {
    if r.changed() == 0 {
        return t.t("plans.saved_nothing").to_string();
    }
    t.fmt(
        "plans.saved",
        &[
            ("created", r.created.to_string().as_str()),
            ("updated", r.updated.to_string().as_str()),
            ("removed", r.removed.to_string().as_str()),
        ],
    )
}

/// `POST /plans` (a form: `period`, a field per cell and `shown:` + its name with the value it
/// was shown with): saves the changed cells, the grid again with a confirmation, or 422 with the
/// refused cells marked and nothing saved.
async fn save(State(st): State<AppState>, ui: Ui, body: Bytes) -> UiResult {
    if !may_write(ui.actor.caller.role) {
        return Err(ui.forbidden());
    }
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let get = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let period = get("period").and_then(|p| PlanPeriod::parse(p).ok());
    let Some(period) = period else {
        let (p, _) = requested(&ui, &st, None);
        let mut v = grid(&st, &ui, p, &HashMap::new(), &[]).await.or_ui(&ui)?;
        v.period_error = messages::say(&ui.t, &PlanMsg::PeriodShape {}.into());
        return Ok(respond(&ui, StatusCode::UNPROCESSABLE_ENTITY, v));
    };
    let (mut cells, mut typed, mut invalid, mut errors) = (Vec::new(), HashMap::new(), Vec::new(), Vec::new());
    for (name, value) in &fields {
        let Some((target, metric)) = parse_name(name) else { continue };
        let shown = get(&format!("shown:{name}")).unwrap_or("").to_string();
        typed.insert(name.clone(), (value.clone(), shown.clone()));
        if value.trim() == shown.trim() {
            continue;
        }
        match parse_value(ui.t.lang, metric, value) {
            Ok(v) => cells.push(PlanSet { target, period, metric, value: v }),
            Err(m) => {
                invalid.push(name.clone());
                errors.push((name.clone(), messages::say(&ui.t, &m)));
            }
        }
    }
    if !errors.is_empty() {
        let mut v = grid(&st, &ui, period, &typed, &invalid).await.or_ui(&ui)?;
        // Each refusal named by its cell: whose plan and which metric.
        let label = |name: &str| v.users.iter().chain(&v.teams).flat_map(|r| &r.cells).find(|c| c.name == name).map(|c| c.label.clone());
        v.errors = errors.into_iter().map(|(name, m)| format!("{}: {m}", label(&name).unwrap_or(name))).collect();
        return Ok(respond(&ui, StatusCode::UNPROCESSABLE_ENTITY, v));
    }
    match st.db.set_plans(&ui.actor, &cells).await {
        Ok(r) => {
            let mut v = grid(&st, &ui, period, &HashMap::new(), &[]).await.or_ui(&ui)?;
            v.saved = summary(&ui.t, &r);
            Ok(respond(&ui, StatusCode::OK, v))
        }
        Err(e @ (StoreError::Validation(_) | StoreError::Conflict { .. })) => {
            let mut v = grid(&st, &ui, period, &typed, &[]).await.or_ui(&ui)?;
            v.errors = vec![messages::refusal_line(&ui.t, &e).unwrap_or_default()];
            Ok(respond(&ui, StatusCode::UNPROCESSABLE_ENTITY, v))
        }
        Err(e) => Err(ui.fail(e)),
    }
}

fn import_view(t: &T, fmt: &Fmt, currency: &str, r: &PlanImportReport) -> ImportView {
    let action = |a: SetAction| match a {
        SetAction::Created => "created",
        SetAction::Updated => "updated",
        _ => "unchanged",
    };
    let lines = r
        .lines
        .iter()
        .map(|l| ImportLineView {
            line: l.line,
            who: l.user_name.clone(),
            period: period_title(t, fmt, &l.period),
            cells: l
                .cells
                .iter()
                .map(|(m, v, a)| ImportCell {
                    metric: metric_label(t, *m),
                    value: if m.is_money() { fmt.money(*v, currency) } else { fmt.count(*v) },
                    action: action(*a),
                    action_text: t.t(&format!("plans.import.{}", action(*a))).to_string(),
                })
                .collect(),
        })
        .collect();
    let errors = r
        .errors
        .iter()
        .map(|e| ImportErrorView { line: e.line, column: e.column.clone(), message: messages::say(t, &e.message) })
        .collect();
    let key = if r.dry_run { "plans.import.preview_summary" } else { "plans.import.done_summary" };
    let summary = t.fmt(
        key,
        &[
            ("rows", r.rows.to_string().as_str()),
            ("created", r.created.to_string().as_str()),
            ("updated", r.updated.to_string().as_str()),
            ("unchanged", r.unchanged.to_string().as_str()),
            ("errors", r.errors.len().to_string().as_str()),
        ],
    );
    ImportView { dry_run: r.dry_run, summary, lines, errors, failure: String::new() }
}

/// `POST /plans/import[?dry_run=1]` (multipart: `file`, `period`): what the sheet does (a dry
/// run), or what it did, as a fragment; an applied import also brings the grid up to date.
async fn import(State(st): State<AppState>, ui: Ui, headers: HeaderMap, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let fail = |status: StatusCode, failure: String| {
        let r = ImportView { dry_run: true, summary: String::new(), lines: Vec::new(), errors: Vec::new(), failure };
        render_status(status, &ImportResult { t: ui.t, r, grid: None })
    };
    if !may_write(ui.actor.caller.role) {
        return fail(StatusCode::FORBIDDEN, messages::say(&ui.t, &PlanMsg::HeadsOnly {}.into()));
    }
    let dry_run =
        form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes()).any(|(k, v)| k == "dry_run" && matches!(v.as_ref(), "1" | "true"));
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(parts) = super::invoices::multipart_parts(content_type, &body) else {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, ui.t.t("plans.import.no_file").to_string());
    };
    let file = parts.iter().find(|(n, _)| n == "file").map(|(_, d)| d.as_slice()).unwrap_or_default();
    if file.is_empty() {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, ui.t.t("plans.import.no_file").to_string());
    }
    let period = parts
        .iter()
        .find(|(n, _)| n == "period")
        .and_then(|(_, d)| std::str::from_utf8(d).ok())
        .and_then(|p| PlanPeriod::parse(p.trim()).ok());
    let fmt = ui.fmt();
    match st.db.import_plans(&ui.actor, file, None, period, dry_run, &mut |_, _| {}).await {
        Ok(report) => {
            let r = import_view(&ui.t, &fmt, &ui.actor.ws.currency, &report);
            let grid = match (dry_run, period) {
                (false, Some(p)) => grid(&st, &ui, p, &HashMap::new(), &[]).await.ok().map(|g| PlansView { oob: true, ..g }),
                _ => None,
            };
            render(&ImportResult { t: ui.t, r, grid })
        }
        Err(e) => match messages::refusal_line(&ui.t, &e) {
            Some(line) => fail(StatusCode::UNPROCESSABLE_ENTITY, line),
            None => ui.fail(e).into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_and_write_in_the_reader_language() {
        let (ru, en) = (T::new(Lang::Ru), T::new(Lang::En));
        assert_eq!(input_value(&ru, Metric::Revenue, 1_200_050), "12\u{a0}000,50");
        assert_eq!(input_value(&en, Metric::Revenue, 1_200_000), "12000");
        assert_eq!(input_value(&en, Metric::Revenue, 1_200_050), "12000.50");
        assert_eq!(input_value(&en, Metric::Calls, 1200), "1200");
        assert_eq!(parse_value(Lang::Ru, Metric::Revenue, "12\u{a0}000,50"), Ok(Some(1_200_050)));
        assert_eq!(parse_value(Lang::Ru, Metric::Revenue, "12 000"), Ok(Some(1_200_000)));
        assert_eq!(parse_value(Lang::En, Metric::Revenue, "12,000.5"), Ok(Some(1_200_050)));
        assert_eq!(parse_value(Lang::En, Metric::Calls, " 1 200 "), Ok(Some(1200)));
        assert_eq!(parse_value(Lang::Ru, Metric::Calls, ""), Ok(None));
        assert!(parse_value(Lang::Ru, Metric::Calls, "-3").is_err());
        assert!(parse_value(Lang::Ru, Metric::Revenue, "-3").is_err());
        assert!(parse_value(Lang::Ru, Metric::Calls, "много").is_err());
        assert_eq!(parse_name("u12.revenue"), Some((Target::User(12), Metric::Revenue)));
        assert_eq!(parse_name("t3.won_deals"), Some((Target::Team(3), Metric::WonDeals)));
        assert_eq!(parse_name("x3.calls"), None);
        assert_eq!(parse_name("u0.calls"), None);
    }
}

//! The dashboard page: the start page of heads and analysts, and each manager's own. Tiles of
//! the period's figures, each a chart whose bars lead to the records behind them and whose
//! title leads to its report.
use super::i18n::T;
use super::reports::{deals_href, pct, quoted, Bar};
use super::{render_status, OrUi, Ui, UiResult};
use crate::report::dashboard::{dashboard, Dashboard};
use crate::report::{pairs, Params, When};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use poryadok_core::report::{ratio, Period};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(page))
        .route("/dashboard/subscriptions", axum::routing::post(subscribe))
        .route("/reports/review", get(review))
}

/// The monthly review's workbook, of `?month=YYYY-MM` (the month before by default).
async fn review(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    use axum::response::IntoResponse;
    let given = pairs(q.as_deref());
    let month = given.iter().find(|(k, _)| k == "month").map(|(_, v)| v.as_str());
    let period = crate::report::review::review_month(&st.db, &ui.actor, month).or_ui(&ui)?;
    let bytes = crate::report::review::review_workbook(&st.db.reader(), &ui.actor, &ui.t, &period).await.or_ui(&ui)?;
    let file = format!("review-{}.xlsx", &period.from_date[..7]);
    Ok(super::kit::download(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &file).into_response())
}

#[derive(serde::Deserialize)]
struct SubscribeForm {
    #[serde(default)]
    weekly: Option<String>,
    #[serde(default)]
    monthly_review: Option<String>,
}

/// Switches the reader's scheduled reports (a checkbox absent from the form is off).
async fn subscribe(State(st): State<AppState>, ui: Ui, axum::Form(f): axum::Form<SubscribeForm>) -> UiResult {
    use axum::response::IntoResponse;
    let monthly = ui.actor.caller.role.sees_all().then_some(f.monthly_review.is_some());
    st.db.set_report_subscriptions(&ui.actor, Some(f.weekly.is_some()), monthly).await.or_ui(&ui)?;
    Ok(super::kit::go_to(&ui, &super::kit::saved_at("/dashboard", "/dashboard")).into_response())
}

/// A tile: its title and the report it leads to, a headline figure with a line under it, and
/// a bar chart (or, when it has none, a sentence saying why).
pub struct Tile {
    pub id: &'static str,
    pub title: String,
    pub href: String,
    pub figure: String,
    /// Where the figure leads: the report (or the records) it is read from.
    pub figure_href: String,
    pub sub: String,
    /// The plan's fulfilment as a bar, for the revenue tile.
    pub progress: Option<Progress>,
    pub bars: Vec<Bar>,
    pub empty: String,
}

/// A share of a plan done: the bar's length (0–100), whether it falls short, and what it reads.
pub struct Progress {
    pub width: f64,
    pub short: bool,
    pub label: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    ctx: super::Ctx,
    t: T,
    from: String,
    to: String,
    period: String,
    own: bool,
    tiles: Vec<Tile>,
    error: Option<(String, String)>,
    /// The reader's scheduled reports, and whether they may get the monthly review.
    subs: poryadok_store::report::digest::Subscriptions,
    heads: bool,
    /// The month before, `YYYY-MM`, for the review's field.
    last_month: String,
    saved: bool,
    /// Periods a click away: (label, query).
    shortcuts: Vec<(String, String)>,
}

/// This month, the month before, this quarter and this year (a year's tiles compare with the
/// year before: the previous period is as many days just before).
fn shortcuts(st: &AppState, ui: &Ui) -> Vec<(String, String)> {
    let tz = &ui.actor.ws.timezone;
    let month = Period::month_of(st.db.clock.now_ms(), tz);
    let before = month.months_before(1, tz);
    let (y, m): (i32, u8) = (month.from_date[..4].parse().unwrap_or(1970), month.from_date[5..7].parse().unwrap_or(1));
    let (first, last) = ((m - 1) / 3 * 3 + 1, (m - 1) / 3 * 3 + 3);
    let days = time::Month::try_from(last).map(|l| l.length(y)).unwrap_or(30);
    let quarter =
        Period::parse(&format!("{y:04}-{first:02}-01"), &format!("{y:04}-{last:02}-{days:02}"), tz).unwrap_or_else(|_| month.clone());
    let year = Period::parse(&format!("{y:04}-01-01"), &format!("{y:04}-12-31"), tz).unwrap_or_else(|_| month.clone());
    [
        ("dashboard.this_month", &month),
        ("dashboard.last_month", &before),
        ("dashboard.this_quarter", &quarter),
        ("dashboard.this_year", &year),
    ]
    .iter()
    .map(|(k, p)| (ui.t.t(k).to_string(), format!("from={}&to={}", p.from_date, p.to_date)))
    .collect()
}

async fn page(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    let given = pairs(q.as_deref());
    let get = |k: &str| given.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let (mut from, mut to) = (get("from"), get("to"));
    let title = ui.t.t("dashboard.title").to_string();
    let (status, tiles, error, period, own) = match dashboard(&st.db.reader(), &ui.actor, &given, &ui.t).await {
        Ok(d) => {
            let fmt = ui.fmt();
            let period = format!("{} — {}", fmt.date_str(&d.period().from_date), fmt.date_str(&d.period().to_date));
            (from, to) = (d.period().from_date.clone(), d.period().to_date.clone());
            (StatusCode::OK, tiles(&ui, &d), None, period, d.own)
        }
        Err(e) => match super::field_error(&ui.t, &e) {
            Some(err) => (StatusCode::UNPROCESSABLE_ENTITY, Vec::new(), Some(err), String::new(), false),
            None => return Err(ui.fail(e)),
        },
    };
    let shortcuts = shortcuts(&st, &ui);
    let subs = st.db.report_subscriptions(&ui.actor).await.or_ui(&ui)?;
    let heads = ui.actor.caller.role.sees_all();
    let tz = ui.actor.ws.timezone.clone();
    let last_month = Period::month_of(st.db.clock.now_ms(), &tz).months_before(1, &tz).from_date[..7].to_string();
    let saved = get("saved") == "1";
    let ctx = ui.ctx("dashboard", title);
    Ok(render_status(status, &Page { ctx, t: ui.t, from, to, period, own, tiles, error, subs, heads, last_month, saved, shortcuts }))
}

fn query(d: &Dashboard, extra: &str) -> String {
    let p = d.period();
    let mut q = format!("from={}&to={}", p.from_date, p.to_date);
    if !extra.is_empty() {
        q.push('&');
        q.push_str(extra);
    }
    q
}

/// Bars of `rows` (label, value, its text, href), scaled to the largest.
fn bars(rows: Vec<(String, i64, String, String)>) -> Vec<Bar> {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    rows.into_iter()
        .map(|(label, v, text, href)| Bar {
            label,
            text,
            width: v.max(0) as f64 / max * 100.0,
            previous: None,
            previous_text: String::new(),
            href,
        })
        .collect()
}

fn tiles(ui: &Ui, d: &Dashboard) -> Vec<Tile> {
    let (t, fmt) = (&ui.t, ui.fmt());
    let currency = ui.actor.ws.currency.clone();
    let money = |v: i64| fmt.money(v, &currency);
    let owner_q = if d.own { format!("owner_id={}", ui.actor.user_id()) } else { String::new() };
    let report = |name: &str, extra: &str| {
        let mut q = query(d, &owner_q);
        if !extra.is_empty() {
            q.push('&');
            q.push_str(extra);
        }
        format!("/reports/{name}?{q}")
    };
    let mut out = Vec::new();

    // Revenue against plan.
    let s = &d.sales;
    let total = &s.now.total;
    let prev = s.previous.as_ref().map(|p| p.total.won_value);
    let previous = prev.map(|v| t.fmt("dashboard.revenue.previous", &[("value", money(v).as_str())])).unwrap_or_default();
    let mut sub = format!("{previous} · {}", t.t("dashboard.revenue.no_plan"));
    let mut progress = None;
    let mut href = report("sales", "");
    if let Some(f) = d.revenue_plan() {
        let (plan, fact) = (f.plan.unwrap_or(0), f.fact.unwrap_or(0));
        let share = ratio(fact, plan);
        progress = share.map(|r| Progress { width: (r * 100.0).clamp(0.5, 100.0), short: r < 1.0, label: pct(t, Some(r)) });
        sub = t.fmt(
            "dashboard.revenue.plan",
            &[
                ("plan", money(plan).as_str()),
                ("share", pct(t, share).as_str()),
                ("projection", f.projection.map(money).unwrap_or_else(|| "—".into()).as_str()),
            ],
        );
        href = report("plan_fact", "");
    }
    out.push(Tile {
        id: "tile-revenue",
        title: t.t("dashboard.revenue").to_string(),
        figure_href: href.clone(),
        href,
        figure: money(total.won_value),
        sub: format!("{} · {}", t.fmt("dashboard.revenue.won", &[("won", fmt.count(total.won).as_str())]), sub),
        progress,
        bars: Vec::new(),
        empty: String::new(),
    });

    // The funnel, of the pipeline the dashboard chose (or was given).
    let pipeline_q = format!("pipeline_id={}", d.params.scope.pipeline);
    let f = &d.funnel.now;
    let c = &f.cohort;
    let mut rows: Vec<_> = f
        .stages
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let share = pct(t, ratio(c.reached[i], c.reached[0]));
            let href = deals_href(&d.funnel.params, "created_at", &format!("stage >= {}", quoted(&st.name)));
            (st.name.clone(), c.reached[i], format!("{} · {share}", fmt.count(c.reached[i])), href)
        })
        .collect();
    rows.push((t.t("reports.won").to_string(), c.won, fmt.count(c.won), deals_href(&d.funnel.params, "created_at", "status = won")));
    out.push(Tile {
        id: "tile-funnel",
        title: format!("{} · {}", t.t("reports.funnel.title"), d.funnel.params.pipeline_name),
        href: report("funnel", &pipeline_q),
        figure: fmt.count(c.deals),
        figure_href: report("funnel", &pipeline_q),
        sub: t.fmt("dashboard.funnel.sub", &[("won", pct(t, ratio(c.won, c.deals)).as_str())]),
        progress: None,
        bars: if c.deals == 0 { Vec::new() } else { bars(rows) },
        empty: t.t("dashboard.funnel.empty").to_string(),
    });

    // Managers side by side: revenue.
    if !d.own {
        let rows = s
            .now
            .rows
            .iter()
            .take(8)
            .map(|r| {
                let name = s.label(t, r, |x| x.to_string());
                let owner = match r.key {
                    poryadok_store::report::sales::SalesKey::Id(Some(o)) => format!("owner_id={o}"),
                    _ => String::new(),
                };
                (name, r.counts.won_value, format!("{} · {}", money(r.counts.won_value), fmt.count(r.counts.won)), report("sales", &owner))
            })
            .collect();
        out.push(Tile {
            id: "tile-managers",
            title: t.t("dashboard.managers").to_string(),
            href: report("sales", "group=owner"),
            figure: fmt.count(s.now.rows.len() as i64),
            figure_href: report("sales", "group=owner"),
            sub: t.t("dashboard.managers.sub").to_string(),
            progress: None,
            bars: bars(rows),
            empty: t.t("dashboard.managers.empty").to_string(),
        });
    }

    // The forecast.
    let fc = &d.forecast;
    let fq = report("forecast", &format!("pipeline_id={}", d.params.scope.pipeline));
    let rows = vec![
        (t.t("reports.forecast.weighted").to_string(), fc.in_period().weighted, money(fc.in_period().weighted), fq.clone()),
        (t.t("reports.forecast.conversion").to_string(), fc.conversion.expected_value, money(fc.conversion.expected_value), fq.clone()),
        (t.t("reports.forecast.discounted").to_string(), fc.discounted(), money(fc.discounted()), fq.clone()),
    ];
    let overdue_deals: i64 = fc.months.iter().filter(|(_, w, _)| *w == When::Overdue).map(|(_, _, m)| m.deals).sum();
    out.push(Tile {
        id: "tile-forecast",
        title: t.t("reports.forecast.title").to_string(),
        figure_href: fq.clone(),
        href: fq,
        figure: money(fc.discounted()),
        sub: if overdue_deals > 0 {
            t.fmt("dashboard.forecast.overdue", &[("deals", fmt.count(overdue_deals).as_str())])
        } else {
            t.t("dashboard.forecast.sub").to_string()
        },
        progress: None,
        bars: if fc.empty() { Vec::new() } else { bars(rows) },
        empty: t.t("reports.forecast.empty").to_string(),
    });

    // Overdue tasks.
    let l = &d.load;
    let rows = l
        .now
        .rows
        .iter()
        .filter(|r| r.counts.overdue_tasks > 0)
        .take(8)
        .map(|r| {
            let name = match r.owner_id {
                Some(o) => l.owners.get(&o).cloned().unwrap_or_else(|| format!("#{o}")),
                None => t.t("reports.no_owner").to_string(),
            };
            let owner = r.owner_id.map(|o| format!("owner_id={o}")).unwrap_or_default();
            (name, r.counts.overdue_tasks, fmt.count(r.counts.overdue_tasks), report("load", &owner))
        })
        .collect();
    out.push(Tile {
        id: "tile-overdue",
        title: t.t("dashboard.overdue").to_string(),
        href: report("load", ""),
        figure: fmt.count(l.now.total.overdue_tasks),
        figure_href: report("load", ""),
        sub: t.fmt("dashboard.overdue.sub", &[("open", fmt.count(l.now.total.open_tasks).as_str())]),
        progress: None,
        bars: bars(rows),
        empty: t.t("dashboard.overdue.empty").to_string(),
    });

    // Violations by audit round.
    let rows = d
        .trend
        .iter()
        .map(|r| {
            let text =
                t.fmt("dashboard.violations.bar", &[("n", fmt.count(r.violations).as_str()), ("fixed", fmt.count(r.fixed).as_str())]);
            (fmt.date(r.started_at), r.violations, text, format!("/violations?round={}", r.round_id))
        })
        .collect();
    let last = d.trend.last();
    out.push(Tile {
        id: "tile-violations",
        title: t.t("dashboard.violations").to_string(),
        href: "/violations".into(),
        figure: last.map(|r| fmt.count(r.violations)).unwrap_or_else(|| "—".into()),
        figure_href: last.map(|r| format!("/violations?round={}", r.round_id)).unwrap_or_else(|| "/violations".into()),
        sub: match (last, d.trend.len().checked_sub(2).and_then(|i| d.trend.get(i))) {
            (Some(_), Some(p)) => t.fmt("dashboard.violations.sub", &[("previous", fmt.count(p.violations).as_str())]),
            (Some(_), None) => t.t("dashboard.violations.first").to_string(),
            _ => String::new(),
        },
        progress: None,
        bars: bars(rows),
        empty: t.t("dashboard.violations.empty").to_string(),
    });

    // Leads by source.
    let total: i64 = d.sources.iter().map(|(_, n)| n).sum();
    let every = Params { all_pipelines: true, ..d.params.clone() };
    let rows = d
        .sources
        .iter()
        .take(8)
        .map(|(src, n)| {
            let label = src.clone().unwrap_or_else(|| t.t("reports.no_source").to_string());
            let is = src.as_ref().map_or_else(|| "source is empty".to_string(), |s| format!("source = {}", quoted(s)));
            (label, *n, format!("{} · {}", fmt.count(*n), pct(t, ratio(*n, total))), deals_href(&every, "created_at", &is))
        })
        .collect();
    out.push(Tile {
        id: "tile-sources",
        title: t.t("dashboard.sources").to_string(),
        href: report("sales", "group=source"),
        figure: fmt.count(total),
        // The leads themselves: the sales report by source counts the won ones.
        figure_href: deals_href(&every, "created_at", ""),
        sub: t.t("dashboard.sources.sub").to_string(),
        progress: None,
        bars: bars(rows),
        empty: t.t("dashboard.sources.empty").to_string(),
    });

    // Marketing: spend, leads and ROMI by channel.
    if let Some(m) = &d.marketing {
        let total = &m.report.total;
        let page = format!("/marketing?{}", query(d, ""));
        let rows = m
            .report
            .rows
            .iter()
            .filter(|r| r.figures.spend + r.figures.leads > 0)
            .take(8)
            .map(|r| {
                let f = &r.figures;
                let text = t.fmt(
                    "dashboard.marketing.bar",
                    &[("spend", money(f.spend).as_str()), ("leads", fmt.count(f.leads).as_str()), ("romi", pct(t, f.romi()).as_str())],
                );
                let href = match &r.key.channel {
                    Some(c) => format!("{page}&group_by=campaign&channel={}", super::reports::enc(c)),
                    None => page.clone(),
                };
                (m.channel_label(t, r), f.spend, text, href)
            })
            .collect();
        out.push(Tile {
            id: "tile-marketing",
            title: t.t("dashboard.marketing").to_string(),
            figure_href: page.clone(),
            href: page,
            figure: money(total.spend),
            sub: t.fmt("dashboard.marketing.sub", &[("leads", fmt.count(total.leads).as_str()), ("romi", pct(t, total.romi()).as_str())]),
            progress: None,
            bars: bars(rows),
            empty: t.t("dashboard.marketing.empty").to_string(),
        });
    }
    out
}

//! The plan-fact page: fulfilment bars per manager (the fact, with the plan as a thin bar under
//! it) for the first planned metric, and a table per metric — plan, fact, fulfilment and the
//! run-rate projection — each fact a link to the deals behind it.
use super::{deals_href, enc, instant, pct, quoted, Bar, Body, Grid, GridCell, GridRow};
use crate::report::plan_fact::projected;
use crate::report::PlanFactData;
use crate::ui::Ui;
use poryadok_core::plan::{fulfilment, Metric};
use poryadok_store::plans::Target;
use poryadok_store::report::plan_fact::{Figures, PlanFactRow};

pub(super) fn plan_fact_body(ui: &Ui, d: &PlanFactData) -> Body {
    let (t, fmt, p, r) = (&ui.t, ui.fmt(), &d.params, &d.now);
    let currency = ui.actor.ws.currency.clone();
    let amount = |m: Metric, v: Option<i64>| match v {
        None => "—".to_string(),
        Some(v) if m.is_money() => fmt.money(v, &currency),
        Some(v) => fmt.count(v),
    };
    // The deals behind a row's revenue and won deals; for its calls, the deals they were made
    // on (the web UI has no list of activities, nor of messages and invoices to lead to).
    let href = |m: Metric, row: &PlanFactRow| -> String {
        let who = match row.target {
            Some(Target::User(id)) => format!(" and owner = {id}"),
            Some(Target::Team(_)) => format!(" and owner.team = {}", quoted(&row.name)),
            None => String::new(),
        };
        // The total's calls are those of the chosen manager or team.
        let activity_who = match (row.target, p.scope.owner, p.scope.team) {
            (None, Some(o), _) => format!(" and owner = {o}"),
            (None, None, Some(_)) => format!(" and owner.team = {}", quoted(&p.team_name)),
            _ => who.clone(),
        };
        match m {
            Metric::Revenue | Metric::WonDeals => deals_href(p, "closed_at", &format!("status = won{who}")),
            Metric::Calls => {
                let (from, to) = (instant(p.scope.from), instant(p.scope.to));
                let mut e = if p.all_pipelines { String::new() } else { format!("pipeline = {} and ", quoted(&p.pipeline_name)) };
                e.push_str(&format!(
                    "status != not_lead and exists activity(type = call and call_direction = outbound and done and \
                     ((due_at >= {from} and due_at < {to}) or (due_at is empty and done_at >= {from} and done_at < {to})){activity_who})"
                ));
                if !p.filter.is_empty() {
                    e.push_str(&format!(" and ({})", p.filter));
                }
                format!("/deals?q={}", enc(&e))
            }
            Metric::Emails | Metric::Invoices => String::new(),
        }
    };
    let line = |m: Metric, label: String, row: &PlanFactRow, total: bool| {
        let f: Figures = row.figures.get(&m).copied().unwrap_or_default();
        let fact = match f.fact {
            Some(_) => GridCell::link(amount(m, f.fact), href(m, row)),
            None => GridCell::text("—").marked("muted"),
        };
        let ahead = projected(&f);
        let mark = match ahead {
            Some(x) if x < 1.0 => "below",
            _ => "",
        };
        GridRow {
            label,
            cells: vec![
                GridCell::text(amount(m, f.plan)),
                fact,
                GridCell::text(pct(t, f.fact.and_then(|x| fulfilment(x, f.plan)))),
                GridCell::text(amount(m, f.projection)),
                GridCell::text(pct(t, ahead)).marked(mark),
            ],
            total,
        }
    };
    let grids = r
        .metrics
        .iter()
        .map(|m| {
            let mut rows: Vec<GridRow> = r.managers.iter().map(|row| line(*m, row.name.clone(), row, false)).collect();
            rows.extend(r.teams.iter().map(|row| line(*m, t.fmt("reports.plan_fact.team", &[("name", row.name.as_str())]), row, false)));
            rows.push(line(*m, t.t("reports.total").to_string(), &r.total, true));
            let mut heads = vec![t.t("reports.plan_fact.col.who").to_string()];
            heads.extend(
                ["plan", "fact", "fulfilment", "projection", "projected"].map(|c| t.t(&format!("reports.plan_fact.col.{c}")).to_string()),
            );
            Grid { id: grid_id(*m), caption: t.t(&format!("reports.plan_fact.metric.{}", m.as_str())).to_string(), heads, rows }
        })
        .collect();

    // The chart: the first planned metric, the fact as the bar and the plan as a thin one.
    let (chart, bars) = match r.metrics.first() {
        Some(&m) => {
            let rows: Vec<&PlanFactRow> = r.managers.iter().filter(|row| row.figures.get(&m).is_some_and(|f| f.plan.is_some())).collect();
            let max = rows
                .iter()
                .filter_map(|row| row.figures.get(&m))
                .flat_map(|f| [f.plan.unwrap_or(0), f.fact.unwrap_or(0)])
                .max()
                .unwrap_or(0)
                .max(1) as f64;
            let bars = rows
                .iter()
                .map(|row| {
                    let f = row.figures.get(&m).copied().unwrap_or_default();
                    Bar {
                        label: row.name.clone(),
                        text: t.fmt(
                            "reports.plan_fact.bar",
                            &[
                                ("pct", pct(t, f.fact.and_then(|x| fulfilment(x, f.plan))).as_str()),
                                ("fact", amount(m, f.fact).as_str()),
                                ("plan", amount(m, f.plan).as_str()),
                            ],
                        ),
                        width: f.fact.unwrap_or(0) as f64 / max * 100.0,
                        previous: Some(f.plan.unwrap_or(0) as f64 / max * 100.0),
                        previous_text: String::new(),
                        href: href(m, row),
                    }
                })
                .collect();
            (t.fmt("reports.plan_fact.chart", &[("metric", t.t(&format!("reports.plan_fact.metric.{}", m.as_str())))]), bars)
        }
        None => (String::new(), Vec::new()),
    };
    let note = t.fmt(
        "reports.plan_fact.note",
        &[
            ("elapsed", r.pace.elapsed.to_string().as_str()),
            ("total", r.pace.total.to_string().as_str()),
            ("day", fmt.date_str(&r.today).as_str()),
        ],
    );
    Body::Grids { chart, bars, note, grids }
}

/// The table of a metric, by its element id.
fn grid_id(m: Metric) -> &'static str {
    match m {
        Metric::Revenue => "plan-fact-revenue",
        Metric::WonDeals => "plan-fact-won_deals",
        Metric::Calls => "plan-fact-calls",
        Metric::Emails => "plan-fact-emails",
        Metric::Invoices => "plan-fact-invoices",
    }
}

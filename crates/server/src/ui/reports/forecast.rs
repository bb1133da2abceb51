//! The forecast's page: the three forecasts side by side, the open deals by expected close
//! month, the critical rules that make the difference, and the history the conversion
//! forecast learns from.
use super::{deals_href_in, pct, Bar, Body, Grid, GridCell, GridRow};
use crate::report::{ForecastData, When};
use crate::ui::Ui;

/// The first day of the month after `ym` (`YYYY-MM`).
fn next_month(ym: &str) -> String {
    let (y, m) = (ym[..4].parse::<i32>().unwrap_or(1970), ym[5..7].parse::<u32>().unwrap_or(1));
    if m == 12 {
        format!("{}-01-01", y + 1)
    } else {
        format!("{y:04}-{:02}-01", m + 1)
    }
}

/// The deals list narrowed to open deals expected to close in the month (none: without a date).
fn month_filter(m: &Option<String>) -> String {
    match m {
        Some(m) => format!("status = open and expected_close_date >= {m}-01 and expected_close_date < {}", next_month(m)),
        None => "status = open and expected_close_date is empty".into(),
    }
}

/// One decimal where it matters: `20`, `2,5`, `2.5`.
fn decimal(ui: &Ui, v: f64) -> String {
    let n = (v * 10.0).round() / 10.0;
    let text = if n.fract() == 0.0 { format!("{n:.0}") } else { format!("{n:.1}") };
    match ui.t.lang {
        poryadok_core::msg::Lang::Ru => text.replace('.', ","),
        poryadok_core::msg::Lang::En => text,
    }
}

pub(super) fn forecast_body(ui: &Ui, d: &ForecastData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let currency = ui.actor.ws.currency.clone();
    let money = |v: i64| fmt.money(v, &currency);
    let period = d.in_period();
    let (first, last) = (&p.period.from_date[..7], &p.period.to_date[..7]);
    let in_period_href = deals_href_in(
        p,
        None,
        &format!("status = open and expected_close_date >= {first}-01 and expected_close_date < {}", next_month(last)),
    );
    let flagged = d.flagged_ids();
    let flagged_href = if flagged.is_empty() {
        String::new()
    } else {
        let ids = flagged.iter().take(500).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
        deals_href_in(p, None, &format!("id in ({ids})"))
    };
    let window_href = |extra: &str| deals_href_in(p, Some(("created_at", d.window.from, d.window.to)), extra);
    let c = &d.conversion;
    let figures = [
        (t.t("reports.forecast.weighted"), period.weighted, in_period_href.clone()),
        (t.t("reports.forecast.conversion"), c.expected_value, window_href("")),
        (t.t("reports.forecast.discounted"), d.discounted(), in_period_href.clone()),
    ];
    let max = figures.iter().map(|f| f.1).max().unwrap_or(0).max(1) as f64;
    let bars = figures
        .iter()
        .map(|(label, v, href)| Bar {
            label: label.to_string(),
            text: money(*v),
            width: (*v).max(0) as f64 / max * 100.0,
            previous: None,
            previous_text: String::new(),
            href: href.clone(),
        })
        .collect();
    let rules = d.rules();
    let mut note = if period.flagged == 0 {
        t.t("reports.forecast.no_flagged").to_string()
    } else {
        let list = rules.iter().map(|(r, n, _)| format!("«{r}» — {}", fmt.count(*n))).collect::<Vec<_>>().join("; ");
        t.fmt(
            "reports.forecast.difference",
            &[("deals", fmt.count(period.flagged).as_str()), ("value", money(period.flagged_weighted).as_str()), ("rules", list.as_str())],
        )
    };
    let unweighted = d.report.unweighted_stages();
    if !unweighted.is_empty() {
        let names = unweighted.iter().map(|s| format!("«{}»", s.name)).collect::<Vec<_>>().join(", ");
        note.push(' ');
        note.push_str(&t.fmt("reports.forecast.no_probability", &[("stages", names.as_str())]));
    }

    let row = |label: String, cells: Vec<GridCell>| GridRow { label, cells, total: false };
    let summary = Grid {
        id: "forecast-summary",
        caption: String::new(),
        heads: ["reports.forecast.col.forecast", "reports.forecast.col.sales", "reports.forecast.col.amount"]
            .map(|k| t.t(k).to_string())
            .to_vec(),
        rows: vec![
            row(
                t.t("reports.forecast.weighted").to_string(),
                vec![GridCell::link(fmt.count(period.deals), &in_period_href), GridCell::text(money(period.weighted))],
            ),
            row(
                t.t("reports.forecast.conversion").to_string(),
                vec![GridCell::text(decimal(ui, c.expected_won)), GridCell::text(money(c.expected_value))],
            ),
            row(
                t.t("reports.forecast.discounted").to_string(),
                vec![GridCell::text(fmt.count(period.deals - period.flagged)), GridCell::text(money(d.discounted()))],
            ),
        ],
    };
    let months = Grid {
        id: "forecast-months",
        caption: t.t("reports.forecast.by_month").to_string(),
        heads: [
            "reports.forecast.col.month",
            "reports.forecast.col.deals",
            "reports.forecast.col.value",
            "reports.forecast.col.weighted",
            "reports.forecast.col.flagged",
            "reports.forecast.col.discounted",
        ]
        .map(|k| t.t(k).to_string())
        .to_vec(),
        rows: d
            .months
            .iter()
            .map(|(m, when, s)| GridRow {
                label: d.month_name(t, &fmt, m, *when),
                cells: vec![
                    GridCell::link(fmt.count(s.deals), deals_href_in(p, None, &month_filter(m))),
                    GridCell::text(money(s.value)),
                    GridCell::text(money(s.weighted)),
                    GridCell::text(fmt.count(s.flagged)),
                    GridCell::text(money(s.weighted - s.flagged_weighted)),
                ]
                .into_iter()
                .map(|c| match when {
                    When::InPeriod => c,
                    When::Overdue => c.marked("below"),
                    _ => c.marked("muted"),
                })
                .collect(),
                total: *when == When::InPeriod,
            })
            .collect(),
    };
    let mut grids = vec![summary, months];
    if !rules.is_empty() {
        grids.push(Grid {
            id: "forecast-rules",
            caption: t.t("reports.forecast.rules").to_string(),
            heads: ["reports.forecast.col.rule", "reports.forecast.col.deals", "reports.forecast.col.weighted"]
                .map(|k| t.t(k).to_string())
                .to_vec(),
            rows: rules
                .iter()
                .map(|(r, n, w)| row(r.clone(), vec![GridCell::link(fmt.count(*n), &flagged_href), GridCell::text(money(*w))]))
                .collect(),
        });
    }
    let h = d.report.history;
    let window = format!("{} — {}", fmt.date_str(&d.window.from_date), fmt.date_str(&d.window.to_date));
    grids.push(Grid {
        id: "forecast-history",
        caption: t.fmt("reports.forecast.history", &[("window", window.as_str())]),
        heads: ["reports.forecast.col.figure", "reports.forecast.col.amount"].map(|k| t.t(k).to_string()).to_vec(),
        rows: vec![
            row(t.t("reports.forecast.leads").to_string(), vec![GridCell::link(fmt.count(h.leads), window_href(""))]),
            row(t.t("reports.forecast.leads_won").to_string(), vec![GridCell::link(fmt.count(h.won), window_href("status = won"))]),
            row(t.t("reports.forecast.leads_per_month").to_string(), vec![GridCell::text(decimal(ui, c.leads_per_month))]),
            row(t.t("reports.forecast.lead_conversion").to_string(), vec![GridCell::text(pct(t, c.conversion))]),
            row(t.t("reports.forecast.average_won").to_string(), vec![GridCell::text(c.average_won.map_or("—".into(), money))]),
            row(
                t.t("reports.forecast.formula").to_string(),
                vec![GridCell::text(format!(
                    "{} × {} × {} = {}",
                    decimal(ui, c.leads_per_month),
                    pct(t, c.conversion),
                    decimal(ui, p.period.months()),
                    decimal(ui, c.expected_won)
                ))],
            ),
        ],
    });
    Body::Grids { chart: t.t("reports.forecast.chart").to_string(), bars, note, grids }
}

//! The sales page.
use super::{days, deals_href, instant, pct, quoted, Bar, Body};
use crate::report::{self as r, SalesData};
use crate::ui::Ui;
use poryadok_store::report::sales::{SalesCounts, SalesGroup, SalesKey};

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

pub(super) fn sales_body(ui: &Ui, d: &SalesData) -> Body {
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

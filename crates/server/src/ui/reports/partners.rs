//! The partners' page: a bar per partner of the revenue its clients brought (the previous
//! period's under it), a table of clients, deals, won deals and revenue, and how many of the
//! period's clients name no partner.
use super::{deals_href, enc, quoted, Bar, Body, Grid, GridCell, GridRow};
use crate::report::PartnersData;
use crate::ui::Ui;
use poryadok_store::report::partners::{PartnerCounts, PARTNER_FIELD};

/// At most this many partners get a bar; the table lists them all.
const BARS: usize = 12;

pub(super) fn partners_body(ui: &Ui, d: &PartnersData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let currency = ui.actor.ws.currency.clone();
    // A partner's clients (none: any partner's), as a condition on organizations.
    let referred = |id: Option<i64>| id.map_or_else(|| format!("{PARTNER_FIELD} is not empty"), |id| format!("{PARTNER_FIELD} = {id}"));
    let line = |label: String, c: &PartnerCounts, id: Option<i64>, total: bool| {
        let of_clients = format!("org.{}", referred(id));
        let mut clients = referred(id);
        if let Some(o) = p.scope.owner {
            clients.push_str(&format!(" and owner = {o}"));
        }
        if p.scope.team.is_some() {
            clients.push_str(&format!(" and owner.team = {}", quoted(&p.team_name)));
        }
        let mut cells = vec![
            GridCell::link(fmt.count(c.clients), format!("/organizations?q={}", enc(&clients))),
            GridCell::link(fmt.count(c.deals), deals_href(p, "created_at", &of_clients)),
            GridCell::text(fmt.money(c.deals_value, &currency)),
            GridCell::link(fmt.count(c.won), deals_href(p, "closed_at", &format!("status = won and {of_clients}"))),
            GridCell::text(fmt.money(c.won_value, &currency)),
        ];
        if d.previous.is_some() {
            let prev = match id {
                Some(id) => d.previous_of(id).map(|x| x.won_value),
                None => d.previous.as_ref().map(|x| x.total.won_value),
            };
            cells.push(GridCell::text(prev.map_or_else(|| "—".to_string(), |v| fmt.money(v, &currency))).marked("muted"));
        }
        GridRow { label, cells, total }
    };
    let mut rows: Vec<GridRow> = d.now.rows.iter().map(|r| line(d.name(r.partner_id), &r.counts, Some(r.partner_id), false)).collect();
    rows.push(line(t.t("reports.total").to_string(), &d.now.total, None, true));
    let mut heads = vec![t.t("reports.partners.col.partner").to_string()];
    heads.extend(d.heads(t));

    let charted: Vec<_> = d.now.rows.iter().filter(|r| r.counts.won + r.counts.deals > 0).take(BARS).collect();
    let prev_max = charted.iter().filter_map(|r| d.previous_of(r.partner_id)).map(|x| x.won_value);
    let max = charted.iter().map(|r| r.counts.won_value).chain(prev_max).max().unwrap_or(0).max(1) as f64;
    let bars = charted
        .iter()
        .map(|r| {
            let before = d.previous_of(r.partner_id).map(|x| x.won_value);
            Bar {
                label: d.name(r.partner_id),
                text: t.fmt(
                    "reports.partners.bar",
                    &[
                        ("revenue", fmt.money(r.counts.won_value, &currency).as_str()),
                        ("won", fmt.count(r.counts.won).as_str()),
                        ("deals", fmt.count(r.counts.deals).as_str()),
                    ],
                ),
                width: r.counts.won_value as f64 / max * 100.0,
                previous: before.map(|v| v as f64 / max * 100.0),
                previous_text: before.map(|v| fmt.money(v, &currency)).unwrap_or_default(),
                href: deals_href(p, "closed_at", &format!("status = won and org.{}", referred(Some(r.partner_id)))),
            }
        })
        .collect();
    let mut note = t.fmt(
        "reports.partners.note",
        &[("without", fmt.count(d.now.period_clients_without).as_str()), ("clients", fmt.count(d.now.period_clients).as_str())],
    );
    if let (Some(pp), Some(x)) = (&p.compare, &d.previous) {
        note.push(' ');
        note.push_str(&t.fmt(
            "reports.partners.compared",
            &[
                ("from", fmt.date_str(&pp.from_date).as_str()),
                ("to", fmt.date_str(&pp.to_date).as_str()),
                ("won", fmt.count(x.total.won).as_str()),
                ("revenue", fmt.money(x.total.won_value, &currency).as_str()),
            ],
        ));
    }
    Body::Grids {
        chart: t.t("reports.partners.chart").to_string(),
        bars,
        note,
        grids: vec![Grid { id: "partners-table", caption: String::new(), heads, rows }],
    }
}

//! The page of the managers' load: a bar per manager of the revenue (the previous period's under
//! it), and a table of open deals, open and overdue tasks, won deals, revenue and margin, and the
//! money per open deal — profit against load.
use super::{deals_href, deals_href_in, enc, quoted, Bar, Body, Grid, GridCell, GridRow};
use crate::report::{per_open_deal, LoadData};
use crate::ui::Ui;
use poryadok_store::report::load::{LoadCounts, COST_FIELD};

/// The deals an open task of `who` (a condition on the task's owner; none: anyone's) is on,
/// with `overdue` only those past due: where a task count leads, the web UI having no task list.
/// Tasks are not narrowed by pipeline or filter, so neither is the list.
fn tasks_href(who: Option<&str>, overdue: bool) -> String {
    let mut c = String::from("done = false");
    if let Some(w) = who {
        c.push_str(&format!(" and {w}"));
    }
    if overdue {
        c.push_str(" and due_at < now");
    }
    format!("/deals?q={}", enc(&format!("exists activity({c})")))
}

pub(super) fn load_body(ui: &Ui, d: &LoadData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let currency = ui.actor.ws.currency.clone();
    let money = |m: Option<i64>| m.map_or_else(|| "—".to_string(), |m| fmt.money(m, &currency));
    let cf = d.now.cost_field;
    let who = |o: Option<i64>| o.map_or_else(|| "owner is empty".to_string(), |o| format!("owner = {o}"));
    let line = |label: String, c: &LoadCounts, owner: Option<Option<i64>>, total: bool| {
        // `owner` none: the department, every manager's.
        let and_who = |s: &str| match owner {
            Some(o) => format!("{s} and {}", who(o)),
            None => s.to_string(),
        };
        // The department's tasks are those of the chosen manager or team, or everyone's.
        let task_who = match (owner, p.scope.owner, p.scope.team) {
            (Some(o), _, _) => Some(who(o)),
            (None, Some(o), _) => Some(format!("owner = {o}")),
            (None, None, Some(_)) => Some(format!("owner.team = {}", quoted(&p.team_name))),
            (None, None, None) => None,
        };
        let mut cells = vec![
            GridCell::link(fmt.count(c.open_deals), deals_href_in(p, None, &and_who("status = open"))),
            GridCell::text(fmt.money(c.open_value, &currency)),
            GridCell::link(fmt.count(c.open_tasks), tasks_href(task_who.as_deref(), false)),
            {
                let cell = GridCell::link(fmt.count(c.overdue_tasks), tasks_href(task_who.as_deref(), true));
                if c.overdue_tasks > 0 {
                    cell.marked("weak")
                } else {
                    cell
                }
            },
            GridCell::link(fmt.count(c.won), deals_href(p, "closed_at", &and_who("status = won"))),
            GridCell::text(fmt.money(c.won_value, &currency)),
        ];
        if d.previous.is_some() {
            let prev = match owner {
                Some(o) => d.previous_of(o).map(|x| x.won_value),
                None => d.previous.as_ref().map(|x| x.total.won_value),
            };
            cells.push(GridCell::text(money(prev)).marked("muted"));
        }
        if cf {
            let margin = match c.margin() {
                Some(m) if c.costed < c.won => t.fmt(
                    "reports.load.margin_of",
                    &[
                        ("margin", fmt.money(m, &currency).as_str()),
                        ("known", fmt.count(c.costed).as_str()),
                        ("won", fmt.count(c.won).as_str()),
                    ],
                ),
                m => money(m),
            };
            cells.push(GridCell::text(margin));
        }
        cells.push(GridCell::text(money(per_open_deal(Some(c.won_value), c))));
        if cf {
            cells.push(GridCell::text(money(per_open_deal(c.margin(), c))));
        }
        GridRow { label, cells, total }
    };
    let mut rows: Vec<GridRow> = d.now.rows.iter().map(|r| line(d.owner_name(t, r.owner_id), &r.counts, Some(r.owner_id), false)).collect();
    rows.push(line(t.t("reports.department").to_string(), &d.now.total, None, true));
    let mut heads = vec![t.t("reports.col.manager").to_string()];
    heads.extend(d.heads(t));

    let prev_max = d.previous.iter().flat_map(|x| &x.rows).map(|r| r.counts.won_value);
    let max = d.now.rows.iter().map(|r| r.counts.won_value).chain(prev_max).max().unwrap_or(0).max(1) as f64;
    let bars = d
        .now
        .rows
        .iter()
        .map(|r| {
            let before = d.previous_of(r.owner_id).map(|x| x.won_value);
            Bar {
                label: d.owner_name(t, r.owner_id),
                text: t.fmt(
                    "reports.load.bar",
                    &[
                        ("revenue", fmt.money(r.counts.won_value, &currency).as_str()),
                        ("deals", fmt.count(r.counts.open_deals).as_str()),
                        ("tasks", fmt.count(r.counts.open_tasks).as_str()),
                    ],
                ),
                width: r.counts.won_value as f64 / max * 100.0,
                previous: before.map(|v| v as f64 / max * 100.0),
                previous_text: before.map(|v| fmt.money(v, &currency)).unwrap_or_default(),
                href: deals_href(p, "closed_at", &format!("status = won and {}", who(r.owner_id))),
            }
        })
        .collect();
    let mut note = t.t("reports.load.note").to_string();
    note.push(' ');
    note.push_str(&if cf {
        t.fmt("reports.load.margin_note", &[("field", COST_FIELD)])
    } else {
        t.fmt("reports.load.no_margin", &[("field", COST_FIELD)])
    });
    if let (Some(pp), Some(x)) = (&p.compare, &d.previous) {
        note.push(' ');
        note.push_str(&t.fmt(
            "reports.load.compared",
            &[
                ("from", fmt.date_str(&pp.from_date).as_str()),
                ("to", fmt.date_str(&pp.to_date).as_str()),
                ("won", fmt.count(x.total.won).as_str()),
                ("revenue", fmt.money(x.total.won_value, &currency).as_str()),
            ],
        ));
    }
    Body::Grids {
        chart: t.t("reports.load.chart").to_string(),
        bars,
        note,
        grids: vec![Grid { id: "load-table", caption: String::new(), heads, rows }],
    }
}

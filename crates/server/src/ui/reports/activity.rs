//! The managers' activity page: a bar of calls per manager (tasks done written beside it), and
//! three tables — calls, messages with meetings and tasks, invoices — each with the department's
//! total. A count of activities leads to the deals list narrowed to the deals those activities
//! are on (the web UI has no list of activities); messages and invoices have no list to lead to.
use super::{enc, instant, pct, quoted, Bar, Body, Grid, GridCell, GridRow};
use crate::report::{talk_minutes, ActivityData, Params};
use crate::ui::i18n::T;
use crate::ui::Ui;
use poryadok_store::report::activity::ActivityCounts;

/// The deals list of the report's deals (its pipeline, not a lead, its filter) that have an
/// activity meeting `what`, by `who` (a condition on the activity's owner; empty: anyone's).
fn deals_with(p: &Params, what: &str, who: &str) -> String {
    let mut e = String::new();
    if !p.all_pipelines {
        e.push_str(&format!("pipeline = {} and ", quoted(&p.pipeline_name)));
    }
    e.push_str("status != not_lead and exists activity(");
    e.push_str(what);
    if !who.is_empty() {
        e.push_str(" and ");
        e.push_str(who);
    }
    e.push(')');
    if !p.filter.is_empty() {
        e.push_str(&format!(" and ({})", p.filter));
    }
    format!("/deals?q={}", enc(&e))
}

/// The conditions on an activity behind each count, as the store counts them.
struct What {
    calls_in: String,
    calls_out: String,
    calls_missed: String,
    calls: String,
    meetings: String,
    tasks_done: String,
    tasks_overdue: String,
}

impl What {
    fn of(p: &Params, now: i64) -> What {
        let (from, to) = (instant(p.scope.from), instant(p.scope.to));
        let held = format!("((due_at >= {from} and due_at < {to}) or (due_at is empty and done_at >= {from} and done_at < {to}))");
        let calls = format!("type = call and call_direction is not empty and done and {held}");
        let due_until = if p.scope.to > now { "due_at < now".to_string() } else { format!("due_at < {to}") };
        What {
            calls_in: format!("{calls} and call_direction = inbound and (call_outcome = answered or call_outcome is empty)"),
            calls_out: format!("{calls} and call_direction = outbound"),
            calls_missed: format!("{calls} and call_direction = inbound and call_outcome in (missed, busy, failed)"),
            meetings: format!("type in (meeting, demo, lunch) and done and {held}"),
            tasks_done: format!("call_direction is empty and done and done_at >= {from} and done_at < {to}"),
            tasks_overdue: format!("call_direction is empty and done = false and due_at >= {from} and {due_until}"),
            calls,
        }
    }
}

/// Talk time as people read it: `1 ч 05 мин`, `45 мин`.
fn talk(t: &T, c: &ActivityCounts) -> String {
    let m = talk_minutes(c);
    if m >= 60 {
        t.fmt("reports.activity.talk_hm", &[("h", (m / 60).to_string().as_str()), ("m", format!("{:02}", m % 60).as_str())])
    } else {
        t.fmt("reports.activity.talk_m", &[("m", m.to_string().as_str())])
    }
}

pub(super) fn activity_body(ui: &Ui, d: &ActivityData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let currency = ui.actor.ws.currency.clone();
    let what = What::of(p, d.as_of);
    let owner_is = |o: Option<i64>| o.map_or_else(|| "owner is empty".to_string(), |o| format!("owner = {o}"));
    // The department's activities are those of the chosen manager or team, or everyone's.
    let everyone = match (p.scope.owner, p.scope.team) {
        (Some(o), _) => format!("owner = {o}"),
        (None, Some(_)) => format!("owner.team = {}", quoted(&p.team_name)),
        (None, None) => String::new(),
    };
    let count = |n: i64, what: &str, who: &str| GridCell::link(fmt.count(n), deals_with(p, what, who));
    let overdue = |n: i64, cell: GridCell| if n > 0 { cell.marked("weak") } else { cell };
    let lines = |cells: &dyn Fn(&ActivityCounts, &str) -> Vec<GridCell>| {
        let mut rows: Vec<GridRow> = d
            .now
            .rows
            .iter()
            .map(|r| GridRow { label: d.owner_name(t, r.owner_id), cells: cells(&r.counts, &owner_is(r.owner_id)), total: false })
            .collect();
        rows.push(GridRow { label: t.t("reports.department").to_string(), cells: cells(&d.now.total, &everyone), total: true });
        rows
    };
    let heads = |cols: &[&str]| {
        std::iter::once(t.t("reports.col.manager").to_string())
            .chain(cols.iter().map(|c| t.t(&format!("reports.activity.col.{c}")).to_string()))
            .collect::<Vec<_>>()
    };
    let calls = Grid {
        id: "activity-calls",
        caption: t.t("reports.activity.calls").to_string(),
        heads: heads(&["calls_in", "calls_out", "calls_missed", "answered_share", "talk"]),
        rows: lines(&|c, who| {
            vec![
                count(c.calls_in, &what.calls_in, who),
                count(c.calls_out, &what.calls_out, who),
                overdue(c.calls_missed, count(c.calls_missed, &what.calls_missed, who)),
                GridCell::text(pct(t, c.answered_share())),
                GridCell::text(talk(t, c)),
            ]
        }),
    };
    let work = Grid {
        id: "activity-work",
        caption: t.t("reports.activity.work").to_string(),
        heads: heads(&["messages_in", "messages_out", "emails_out", "meetings", "tasks_done", "tasks_overdue"]),
        rows: lines(&|c, who| {
            vec![
                GridCell::text(fmt.count(c.messages_in)),
                GridCell::text(fmt.count(c.messages_out)),
                GridCell::text(fmt.count(c.emails_out)),
                count(c.meetings, &what.meetings, who),
                count(c.tasks_done, &what.tasks_done, who),
                overdue(c.tasks_overdue, count(c.tasks_overdue, &what.tasks_overdue, who)),
            ]
        }),
    };
    let invoices = Grid {
        id: "activity-invoices",
        caption: t.t("reports.activity.invoices").to_string(),
        heads: heads(&["invoices_issued", "invoices_issued_value", "invoices_paid", "invoices_paid_value"]),
        rows: lines(&|c, _| {
            vec![
                GridCell::text(fmt.count(c.invoices_issued)),
                GridCell::text(fmt.money(c.invoices_issued_value, &currency)),
                GridCell::text(fmt.count(c.invoices_paid)),
                GridCell::text(fmt.money(c.invoices_paid_value, &currency)),
            ]
        }),
    };

    let prev_max = d.previous.iter().flat_map(|x| &x.rows).map(|r| r.counts.calls());
    let max = d.now.rows.iter().map(|r| r.counts.calls()).chain(prev_max).max().unwrap_or(0).max(1) as f64;
    let bars = d
        .now
        .rows
        .iter()
        .map(|r| {
            let before = d.previous_of(r.owner_id).map(|x| x.calls());
            Bar {
                label: d.owner_name(t, r.owner_id),
                text: t.fmt(
                    "reports.activity.bar",
                    &[("calls", fmt.count(r.counts.calls()).as_str()), ("tasks", fmt.count(r.counts.tasks_done).as_str())],
                ),
                width: r.counts.calls() as f64 / max * 100.0,
                previous: before.map(|n| n as f64 / max * 100.0),
                previous_text: before.map(|n| fmt.count(n)).unwrap_or_default(),
                href: deals_with(p, &what.calls, &owner_is(r.owner_id)),
            }
        })
        .collect();
    let mut note = t.t("reports.activity.note").to_string();
    if let (Some(pp), Some(x)) = (&p.compare, &d.previous) {
        note.push(' ');
        note.push_str(&t.fmt(
            "reports.activity.compared",
            &[
                ("from", fmt.date_str(&pp.from_date).as_str()),
                ("to", fmt.date_str(&pp.to_date).as_str()),
                ("calls", fmt.count(x.total.calls()).as_str()),
                ("tasks", fmt.count(x.total.tasks_done).as_str()),
            ],
        ));
    }
    Body::Grids { chart: t.t("reports.activity.chart").to_string(), bars, note, grids: vec![calls, work, invoices] }
}

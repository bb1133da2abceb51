//! The page of time in stage: a bar per stage (its median, the previous period's under it) and a
//! table of stays, median, 90th percentile, the deals in each stage now and the longest wait.
use super::{deals_href_in, quoted, Bar, Body, Grid, GridCell, GridRow};
use crate::report::{working_days, StageTimeData};
use crate::ui::i18n::T;
use crate::ui::Ui;
use poryadok_core::domain::DealStatus;

/// Working days as people read them (the column head names the unit and the day's length):
/// `3,5`, `3.5`; a dash where there is nothing.
pub(super) fn wdays(t: &T, minutes: Option<i64>, day_minutes: i64) -> String {
    match minutes {
        None => "—".into(),
        Some(m) => {
            let n = (working_days(m, day_minutes) * 10.0).round() / 10.0;
            let text = if n.fract() == 0.0 { format!("{n:.0}") } else { format!("{n:.1}") };
            match t.lang {
                poryadok_core::msg::Lang::Ru => text.replace('.', ","),
                poryadok_core::msg::Lang::En => text,
            }
        }
    }
}

/// The deals `ids` among the report's deals (none: no link).
fn ids_href(d: &StageTimeData, ids: &[i64]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    deals_href_in(&d.params, None, &format!("id in ({list})"))
}

pub(super) fn stage_time_body(ui: &Ui, d: &StageTimeData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let dm = d.now.day_minutes;
    let open = format!("status = {}", DealStatus::Open.as_str());
    let now_href = |stage: &str| deals_href_in(p, None, &format!("{open} and stage = {}", quoted(stage)));
    let prev_rows = d.previous.as_ref().map(|x| &x.rows);
    let max = d.now.rows.iter().chain(prev_rows.into_iter().flatten()).filter_map(|r| r.median_minutes).max().unwrap_or(0).max(1) as f64;
    let bars = d
        .now
        .rows
        .iter()
        .map(|r| {
            let before = d.previous_of(r.stage_id).map(|x| x.median_minutes);
            Bar {
                label: d.stage_name(r.stage_id),
                text: t.fmt(
                    "reports.stage_time.bar",
                    &[("median", wdays(t, r.median_minutes, dm).as_str()), ("p90", wdays(t, r.p90_minutes, dm).as_str())],
                ),
                width: r.median_minutes.unwrap_or(0) as f64 / max * 100.0,
                previous: before.map(|m| m.unwrap_or(0) as f64 / max * 100.0),
                previous_text: before.map(|m| wdays(t, m, dm)).unwrap_or_default(),
                href: ids_href(d, &r.deals),
            }
        })
        .collect();
    let prev = d.previous.is_some();
    let heads = d.heads(t, prev);
    let mut rows: Vec<GridRow> = d
        .now
        .rows
        .iter()
        .map(|r| {
            let name = d.stage_name(r.stage_id);
            let mut cells = vec![GridCell::link(fmt.count(r.stays), ids_href(d, &r.deals)), GridCell::text(wdays(t, r.median_minutes, dm))];
            if prev {
                let m = d.previous_of(r.stage_id).and_then(|x| x.median_minutes);
                cells.push(GridCell::text(wdays(t, m, dm)).marked("muted"));
            }
            cells.push(GridCell::text(wdays(t, r.p90_minutes, dm)));
            cells.push(GridCell::link(fmt.count(r.now), now_href(&name)));
            cells.push(match r.now_longest_deal {
                Some(id) => GridCell::link(wdays(t, r.now_longest_minutes, dm), format!("/deals/{id}")),
                None => GridCell::text("—"),
            });
            GridRow { label: name, cells, total: false }
        })
        .collect();
    let mut total = vec![GridCell::text(fmt.count(d.now.stays())), GridCell::text("")];
    if prev {
        total.push(GridCell::text(""));
    }
    total.extend([GridCell::text(""), GridCell::link(fmt.count(d.now.now()), deals_href_in(p, None, &open)), GridCell::text("")]);
    rows.push(GridRow { label: t.t("reports.total").to_string(), cells: total, total: true });

    let mut note = t.fmt(
        "reports.stage_time.note",
        &[("hours", d.day_hours(t).as_str()), ("deals", fmt.count(poryadok_store::report::stage_time::DRILL_DEALS as i64).as_str())],
    );
    if let (Some(pp), Some(x)) = (&p.compare, &d.previous) {
        note.push(' ');
        note.push_str(&t.fmt(
            "reports.stage_time.compared",
            &[
                ("from", fmt.date_str(&pp.from_date).as_str()),
                ("to", fmt.date_str(&pp.to_date).as_str()),
                ("stays", fmt.count(x.stays()).as_str()),
            ],
        ));
    }
    Body::Grids {
        chart: t.fmt("reports.stage_time.chart", &[("hours", d.day_hours(t).as_str())]),
        bars,
        note,
        grids: vec![Grid { id: "stage-time-table", caption: String::new(), heads, rows }],
    }
}

//! The lost reasons' page.
use super::{deals_href, pct, quoted, Bar, Body};
use crate::report::LostData;
use crate::ui::Ui;
use poryadok_core::report::ratio;
use poryadok_store::report::lost_reasons::Lost;

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

pub(super) fn lost_body(ui: &Ui, d: &LostData) -> Body {
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

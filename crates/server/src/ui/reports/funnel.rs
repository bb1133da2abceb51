//! The funnel's and the managers' pages.
use super::{deals_href, pct, quoted, Bar, Body};
use crate::report::{FunnelData, ManagersData};
use crate::ui::Ui;
use poryadok_core::report::{ratio, step_conversions};
use poryadok_store::report::funnel::FunnelCounts;

pub struct FunnelRow {
    pub name: String,
    pub reached: String,
    pub href: String,
    pub to_next: String,
    pub to_won: String,
    pub previous: String,
    pub moved: String,
    pub moved_next: String,
    pub moved_won: String,
}

/// A manager's funnel: a cell per step with its conversion, the weakest marked.
pub struct StepCell {
    pub text: String,
    pub count: String,
    pub href: String,
    pub weak: bool,
    /// How far below the department (0: not below), for the cell's shade.
    pub below: bool,
}

pub struct ManagerRow {
    pub name: String,
    pub steps: Vec<StepCell>,
    pub won: String,
    pub won_href: String,
    pub won_value: String,
    pub win_rate: String,
    pub weakest: String,
}

pub(super) fn funnel_body(ui: &Ui, d: &FunnelData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let (c, m) = (&d.now.cohort, &d.now.movement);
    let (cc, mc) = (step_conversions(&c.reached, c.won), step_conversions(&m.reached, m.won));
    let prev = d.previous.as_ref().map(|x| &x.cohort);
    let max = c.reached.iter().chain(prev.map_or(&[][..], |x| &x.reached)).copied().max().unwrap_or(0).max(1) as f64;
    let stage_href = |name: &str| deals_href(p, "created_at", &format!("stage >= {}", quoted(name)));
    let mut bars: Vec<Bar> = d
        .now
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| Bar {
            label: s.name.clone(),
            text: format!("{} · {}", fmt.count(c.reached[i]), pct(t, ratio(c.reached[i], c.reached[0]))),
            width: c.reached[i] as f64 / max * 100.0,
            previous: prev.map(|x| x.reached.get(i).copied().unwrap_or(0) as f64 / max * 100.0),
            previous_text: prev.map(|x| fmt.count(x.reached.get(i).copied().unwrap_or(0))).unwrap_or_default(),
            href: stage_href(&s.name),
        })
        .collect();
    let won_href = deals_href(p, "created_at", "status = won");
    bars.push(Bar {
        label: t.t("reports.won").to_string(),
        text: format!("{} · {}", fmt.count(c.won), pct(t, ratio(c.won, c.reached.first().copied().unwrap_or(0)))),
        width: c.won as f64 / max * 100.0,
        previous: prev.map(|x| x.won as f64 / max * 100.0),
        previous_text: prev.map(|x| fmt.count(x.won)).unwrap_or_default(),
        href: won_href.clone(),
    });
    let rows = d
        .now
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| FunnelRow {
            name: s.name.clone(),
            reached: fmt.count(c.reached[i]),
            href: stage_href(&s.name),
            to_next: pct(t, cc[i]),
            to_won: pct(t, ratio(c.won, c.reached[i])),
            previous: prev.map(|x| fmt.count(x.reached.get(i).copied().unwrap_or(0))).unwrap_or_default(),
            moved: fmt.count(m.reached[i]),
            moved_next: pct(t, mc[i]),
            moved_won: pct(t, ratio(m.won, m.reached[i])),
        })
        .collect();
    let compare = match (&d.params.compare, prev) {
        (Some(pp), Some(x)) => t.fmt(
            "reports.compared",
            &[
                ("from", fmt.date_str(&pp.from_date).as_str()),
                ("to", fmt.date_str(&pp.to_date).as_str()),
                ("deals", fmt.count(x.deals).as_str()),
                ("won", fmt.count(x.won).as_str()),
            ],
        ),
        _ => String::new(),
    };
    Body::Funnel { bars, rows, won: fmt.count(c.won), won_href, moved_won: fmt.count(m.won), compare }
}

pub(super) fn managers_body(ui: &Ui, d: &ManagersData) -> Body {
    let (t, fmt, p) = (&ui.t, ui.fmt(), &d.params);
    let currency = ui.actor.ws.currency.clone();
    let dept = step_conversions(&d.department.reached, d.department.won);
    let row = |name: &str, owner: Option<i64>, c: &FunnelCounts, weak: Option<usize>| {
        let conv = step_conversions(&c.reached, c.won);
        let who = owner.map(|o| format!("owner = {o}")).unwrap_or_else(|| "owner is empty".into());
        let steps = d
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| StepCell {
                text: pct(t, conv[i]),
                count: fmt.count(c.reached[i]),
                href: deals_href(p, "created_at", &format!("{who} and stage >= {}", quoted(&s.name))),
                weak: weak == Some(i),
                below: matches!((conv[i], dept[i]), (Some(a), Some(b)) if a + 1e-9 < b),
            })
            .collect();
        ManagerRow {
            name: name.to_string(),
            steps,
            won: fmt.count(c.won),
            won_href: deals_href(p, "created_at", &format!("{who} and status = won")),
            won_value: fmt.money(c.won_value, &currency),
            win_rate: pct(t, ratio(c.won, c.won + c.lost)),
            weakest: weak.map(|i| d.step_name(t, i)).unwrap_or_default(),
        }
    };
    let department = ManagerRow { weakest: String::new(), ..row(t.t("reports.department"), None, &d.department, None) };
    let department =
        ManagerRow { steps: department.steps.into_iter().map(|s| StepCell { href: String::new(), ..s }).collect(), ..department };
    let max = d.managers.iter().map(|(m, _, _)| m.counts.won_value).max().unwrap_or(0).max(1) as f64;
    let bars = d
        .managers
        .iter()
        .map(|(m, name, _)| Bar {
            label: name.clone(),
            text: format!("{} · {}", fmt.money(m.counts.won_value, &currency), fmt.count(m.counts.won)),
            width: m.counts.won_value as f64 / max * 100.0,
            previous: None,
            previous_text: String::new(),
            href: deals_href(p, "created_at", &m.owner_id.map_or("owner is empty".into(), |o| format!("owner = {o} and status = won"))),
        })
        .collect();
    let rows = d.managers.iter().map(|(m, name, weak)| row(name, m.owner_id, &m.counts, *weak)).collect();
    let steps = (0..d.stages.len()).map(|i| d.step_name(t, i)).collect();
    Body::Managers { steps, department, rows, bars }
}

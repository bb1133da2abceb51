//! The managers' load over a hand-built department, every figure computed by hand: open deals
//! and their value, open and overdue tasks, deals won in the period with revenue and margin (a
//! deal's cost in the custom field `cost`), money per open deal; the previous period, a team, what
//! a manager sees, the export and the page's drill-down.
use crate::helpers::*;
use crate::reports_stage_time::{linked_deals, row_links};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

crate::both_dbs!(the_load_is_counted_exactly_per_manager, the_load_page_leads_to_the_deals_and_tasks_behind_each_figure);

pub const DECEMBER: &str = "from=2026-12-01&to=2026-12-31";

async fn deal(app: &TestApp, title: &str, owner: i64, value: i64, cost: Option<i64>) -> i64 {
    let mut body = json!({"title": title, "owner_id": owner, "value": value});
    if let Some(c) = cost {
        body["custom"] = json!({"cost": c});
    }
    app.create(&app.t.admin, "deals", body).await
}

async fn win(app: &TestApp, id: i64) {
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), json!({"status": "won"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn task(app: &TestApp, owner: i64, deal: Option<i64>, due: &str, done: bool) -> i64 {
    let body = json!({"type": "task", "subject": "Задача", "owner_id": owner, "deal_id": deal, "due_at": due, "done": done});
    app.create(&app.t.admin, "activities", body).await
}

/// The department (values in kopecks; the deals' cost field `cost` added first):
///
/// - November (the clock's start, Mon 23): m2 wins W0 for 90 000.
/// - Tue 1 December 12:00 Moscow time, the clock from then on:
///   - m1: open O1 100 000 and O2 200 000; won W1 300 000 (cost 100 000) and W2 100 000 (no
///     cost); lost L1 50 000. Tasks: on O1 one overdue (due 30 Nov) and one due 3 Dec, one
///     without a deal due 2 Dec, and one done (not counted).
///   - m2: open O3 50 000; won W3 400 000 (cost 250 000). Tasks: on O3 one overdue (due 1 Dec
///     09:00), one without a deal and without a due time.
///   - m3 (team «Казань»): open O4 70 000, nothing won, no task.
///
/// December, per manager: m1 2 open for 300 000, tasks 3 (1 overdue), won 2 for 400 000, margin
/// 200 000 over 1 of 2, per open deal 200 000 revenue and 100 000 margin; m2 1 open for 50 000,
/// tasks 2 (1), won 1 for 400 000, margin 150 000, per open deal 400 000 and 150 000; m3 1 open
/// for 70 000, per open deal 0. The department: 4 open for 420 000, tasks 5 (2), won 3 for
/// 800 000, margin 350 000 over 2 of 3, per open deal 200 000 and 87 500.
pub async fn department(app: &TestApp) -> HashMap<&'static str, i64> {
    let (m1, m2, m3) = (app.ids.manager1, app.ids.manager2, app.ids.manager3);
    app.create(&app.t.admin, "custom_fields", json!({"entity": "deal", "key": "cost", "label": "Себестоимость", "field_type": "money"}))
        .await;
    let mut ids = HashMap::new();
    let w0 = deal(app, "W0", m2, 90_000, None).await;
    win(app, w0).await;
    crate::reports_stage_time::at(app, time::macros::datetime!(2026-12-01 12:00 +3));
    for (name, owner, value, cost) in [
        ("O1", m1, 100_000, None),
        ("O2", m1, 200_000, None),
        ("W1", m1, 300_000, Some(100_000)),
        ("W2", m1, 100_000, None),
        ("L1", m1, 50_000, Some(10_000)),
        ("O3", m2, 50_000, None),
        ("W3", m2, 400_000, Some(250_000)),
        ("O4", m3, 70_000, None),
    ] {
        ids.insert(name, deal(app, name, owner, value, cost).await);
    }
    for w in ["W1", "W2", "W3"] {
        win(app, ids[w]).await;
    }
    let (s, v) = app
        .patch(
            &app.t.admin,
            &format!("/api/v1/deals/{}", ids["L1"]),
            json!({"status": "lost", "lost_reason": "Дорого", "close_comment": "—"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    task(app, m1, Some(ids["O1"]), "2026-11-30T12:00:00Z", false).await;
    task(app, m1, Some(ids["O1"]), "2026-12-03T12:00:00Z", false).await;
    task(app, m1, None, "2026-12-02T12:00:00Z", false).await;
    task(app, m1, Some(ids["O2"]), "2026-11-30T12:00:00Z", true).await;
    task(app, m2, Some(ids["O3"]), "2026-12-01T06:00:00Z", false).await;
    let body = json!({"type": "call", "subject": "Перезвонить", "owner_id": m2});
    app.create(&app.t.admin, "activities", body).await;
    ids
}

/// A manager's figures: open deals, their value, open tasks, overdue, won, revenue.
fn figures(v: &Value) -> [i64; 6] {
    ["open_deals", "open_value", "open_tasks", "overdue_tasks", "won", "won_value"].map(|k| v[k].as_i64().unwrap_or(-1))
}

/// Margin, how many won deals it is known for, revenue and margin per open deal.
fn money(v: &Value) -> [Value; 4] {
    ["margin", "margin_known", "revenue_per_open_deal", "margin_per_open_deal"].map(|k| v[k].clone())
}

async fn load(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, v) = app.get(token, &format!("/api/v1/reports/load?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["data"].clone()
}

async fn the_load_is_counted_exactly_per_manager(app: TestApp) {
    department(&app).await;
    let (m1, m2, m3) = (app.ids.manager1, app.ids.manager2, app.ids.manager3);
    let d = load(&app, &app.t.head, &format!("{DECEMBER}&compare=previous")).await;
    assert_eq!((d["pipeline_id"].clone(), d["cost_field"].clone()), (Value::Null, json!(true)), "every pipeline by default");
    let managers = d["managers"].as_array().unwrap();
    let owners: Vec<_> = managers.iter().map(|m| m["owner_id"].as_i64()).collect();
    assert_eq!(owners, vec![Some(m1), Some(m2), Some(m3)], "the most revenue first, then the most open deals");
    assert_eq!(figures(&managers[0]), [2, 300_000, 3, 1, 2, 400_000]);
    assert_eq!(money(&managers[0]), [json!(200_000), json!(1), json!(200_000), json!(100_000)]);
    assert_eq!(figures(&managers[1]), [1, 50_000, 2, 1, 1, 400_000]);
    assert_eq!(money(&managers[1]), [json!(150_000), json!(1), json!(400_000), json!(150_000)]);
    assert_eq!(figures(&managers[2]), [1, 70_000, 0, 0, 0, 0]);
    assert_eq!(money(&managers[2]), [Value::Null, json!(0), json!(0), Value::Null]);
    assert_eq!(figures(&d["total"]), [4, 420_000, 5, 2, 3, 800_000]);
    assert_eq!(money(&d["total"]), [json!(350_000), json!(2), json!(200_000), json!(87_500)]);
    // November: W0 of m2.
    let prev = &d["previous"];
    assert_eq!((prev["total"]["won"].as_i64(), prev["total"]["won_value"].as_i64()), (Some(1), Some(90_000)), "{prev}");
    assert_eq!(prev["managers"], json!([{"owner_id": m2, "won": 1, "won_value": 90_000, "margin": null}]));

    // A team, a manager, what a manager sees.
    let centre = load(&app, &app.t.head, &format!("{DECEMBER}&team_id={}", team_of(&app, m1).await)).await;
    assert_eq!(centre["managers"].as_array().unwrap().len(), 2);
    assert_eq!(figures(&centre["total"]), [3, 300_000 + 50_000, 5, 2, 3, 800_000]);
    let own = load(&app, &app.t.manager2, DECEMBER).await;
    let rows = own["managers"].as_array().unwrap();
    assert_eq!((rows.len(), rows[0]["owner_id"].as_i64()), (1, Some(m2)));
    assert_eq!(figures(&rows[0]), [1, 50_000, 2, 1, 1, 400_000]);
    // A filter narrows the deals, not the tasks.
    let big = load(&app, &app.t.head, &format!("{DECEMBER}&owner_id={m1}&filter=value%20%3E%3D%201500")).await;
    assert_eq!(figures(&big["managers"][0]), [1, 200_000, 3, 1, 1, 300_000]);

    // Without the cost field there is no margin.
    let cost = app.all_records(&app.t.admin, "custom_fields", "", 50).await.into_iter().find(|f| f["key"] == "cost").unwrap();
    let (s, v) = app.delete(&app.t.admin, &format!("/api/v1/custom_fields/{}", cost["id"])).await;
    assert!(s.is_success(), "{v}");
    let d = load(&app, &app.t.head, DECEMBER).await;
    assert_eq!(d["cost_field"], json!(false));
    assert!(d["total"].get("margin").is_none(), "{d}");

    let resp =
        app.client.get(format!("{}/api/v1/reports/load?{DECEMBER}&format=csv", app.base)).bearer_auth(&app.t.head).send().await.unwrap();
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0], "Менеджер,Открытых сделок,На сумму,Открытых задач,Просрочено,Выиграно,Выручка,Выручка на открытую сделку",
        "{csv}"
    );
    assert_eq!(lines[1], "m1,2,3000.00,3,1,2,4000.00,2000.00", "{csv}");
    assert_eq!(lines[4], "Отдел,4,4200.00,5,2,3,8000.00,2000.00", "{csv}");
}

async fn team_of(app: &TestApp, user: i64) -> i64 {
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/users/{user}")).await;
    v["data"]["team_id"].as_i64().unwrap()
}

async fn the_load_page_leads_to_the_deals_and_tasks_behind_each_figure(app: TestApp) {
    let ids = department(&app).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, html) = ui.get(&format!("/reports/load?{DECEMBER}")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"load-table\"") && html.contains("Маржа на открытую сделку"), "{html}");
    // m1: open deals, open tasks (the deals they are on), overdue, won.
    let links = row_links(&html, "m1");
    assert_eq!(links.len(), 4, "{links:?}");
    let sorted = |mut v: Vec<i64>| {
        v.sort_unstable();
        v
    };
    assert_eq!(linked_deals(&app, &links[0]).await, sorted(vec![ids["O1"], ids["O2"]]));
    assert_eq!(linked_deals(&app, &links[1]).await, vec![ids["O1"]], "the deal m1's open tasks are on");
    assert_eq!(linked_deals(&app, &links[2]).await, vec![ids["O1"]], "the deal of m1's overdue task");
    assert_eq!(linked_deals(&app, &links[3]).await, sorted(vec![ids["W1"], ids["W2"]]));
    let m1_row = html.split("<tr").find(|r| r.contains("<th scope=\"row\">m1</th>")).unwrap();
    assert!(m1_row.contains("class=\"num weak\""), "overdue tasks are marked: {m1_row}");
    assert!(m1_row.contains("(по 1 из 2)"), "the margin says how many deals it is known for: {m1_row}");
    let links = row_links(&html, "Отдел");
    assert_eq!(linked_deals(&app, &links[0]).await, sorted(vec![ids["O1"], ids["O2"], ids["O3"], ids["O4"]]));
    assert_eq!(linked_deals(&app, &links[2]).await, sorted(vec![ids["O1"], ids["O3"]]));
    assert_eq!(linked_deals(&app, &links[3]).await, sorted(vec![ids["W1"], ids["W2"], ids["W3"]]));
    // Nothing at all to count: an explained empty state.
    let other = app.create(&app.t.admin, "pipelines", json!({"name": "Пустая"})).await;
    app.create(&app.t.admin, "stages", json!({"pipeline_id": other, "name": "Первый"})).await;
    let (_, html) = ui.get(&format!("/reports/load?{DECEMBER}&pipeline_id={other}&owner_id={}", app.ids.manager3)).await;
    assert!(html.contains("id=\"report-empty\""), "{html}");
}

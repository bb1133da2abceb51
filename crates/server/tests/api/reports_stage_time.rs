//! Time in stage over a hand-built fortnight, every figure computed by hand in working time (the
//! default calendar: Monday to Friday, 09:00–18:00 Moscow time, 540 minutes a day): the stays
//! that ended in the period by a move or by closing, their median and 90th percentile by nearest
//! rank, the deals in each stage now and the longest wait, the previous period, what a manager
//! sees, the export and the page's drill-down.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use time::macros::datetime;
use time::OffsetDateTime;

crate::both_dbs!(stage_times_are_counted_in_working_time_exactly, the_stage_time_page_leads_to_the_deals_behind_each_figure);

/// The period: Monday 30 November to Sunday 6 December; the previous one is the week before.
pub const FORTNIGHT: &str = "from=2026-11-30&to=2026-12-06";

/// Moves the clock forward to `t`.
pub fn at(app: &TestApp, t: OffsetDateTime) {
    let now = app.db.clock.now_ms();
    let target = (t.unix_timestamp_nanos() / 1_000_000) as i64;
    assert!(target >= now, "the clock only moves forward: {t}");
    app.clock.advance(time::Duration::milliseconds(target - now));
}

async fn move_to(app: &TestApp, id: i64, stage: usize) {
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), json!({"stage_id": app.ids.stages[stage]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn close(app: &TestApp, id: i64, status: &str) {
    let body = match status {
        "won" => json!({"status": "won"}),
        _ => json!({"status": "lost", "lost_reason": "Дорого", "close_comment": "—"}),
    };
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Two weeks of a pipeline («Новый» 0, «Принял в работу» 1, «Коммуникация» 2), Moscow time; in
/// brackets the working minutes of the stay that ends:
///
/// - Mon 23 Nov 12:00: P1, A, B (m1), P2, C (m2) created in «Новый».
/// - Mon 23 14:00: P1 → 1 [Новый 120]. Tue 24 12:00: P2 → 1 [Новый 360 + 180 = 540].
/// - Fri 27 17:00: E (m2) created.
/// - Mon 30 10:00: A → 1 [Новый 360 + 4 × 540 + 60 = 2580], E → 1 [Новый 60 + 60 = 120 over the
///   weekend]; D (m1) and X (m1) created.
/// - Mon 30 11:00: D → 1 [Новый 60]; X → 1, then X is not a lead (counted nowhere).
/// - Mon 30 15:00: P1 → 2 [Принял 240 + 4 × 540 + 360 = 2760].
/// - Tue 1 Dec 12:00: B → 2, skipping a stage [Новый 2520 + 540 + 180 = 3240]; D won [Принял 420 + 180 = 600].
/// - Thu 3 Dec 12:00: P1 lost [Коммуникация 180 + 540 + 540 + 180 = 1440].
/// - The clock stops at Mon 7 Dec 10:00.
///
/// In the period: «Новый» 60, 120, 2580, 3240 (median 120, 90 % 3240); «Принял» 600, 2760
/// (600, 2760); «Коммуникация» 1440. The week before: «Новый» 120, 540 (120, 540).
/// Now: «Новый» C since Mon 23 12:00 (5280); «Принял» P2 (since Tue 24 12:00: 4740), A, E;
/// «Коммуникация» B (since Tue 1 12:00: 2040).
pub async fn fortnight(app: &TestApp) -> HashMap<&'static str, i64> {
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    let mut ids = HashMap::new();
    let deal = |name: &'static str, owner: i64| {
        let body = json!({"title": format!("Сделка {name}"), "owner_id": owner, "value": 100_000});
        async move { (name, app.create(&app.t.admin, "deals", body).await) }
    };
    for (name, owner) in [("P1", m1), ("A", m1), ("B", m1), ("P2", m2), ("C", m2)] {
        let (n, id) = deal(name, owner).await;
        ids.insert(n, id);
    }
    at(app, datetime!(2026-11-23 14:00 +3));
    move_to(app, ids["P1"], 1).await;
    at(app, datetime!(2026-11-24 12:00 +3));
    move_to(app, ids["P2"], 1).await;
    at(app, datetime!(2026-11-27 17:00 +3));
    let (n, id) = deal("E", m2).await;
    ids.insert(n, id);
    at(app, datetime!(2026-11-30 10:00 +3));
    move_to(app, ids["A"], 1).await;
    move_to(app, ids["E"], 1).await;
    for name in ["D", "X"] {
        let (n, id) = deal(name, m1).await;
        ids.insert(n, id);
    }
    at(app, datetime!(2026-11-30 11:00 +3));
    move_to(app, ids["D"], 1).await;
    move_to(app, ids["X"], 1).await;
    let (s, v) = app.post(&app.t.admin, &format!("/api/v1/deals/{}/not_lead", ids["X"]), json!({"reason": "Спам"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    at(app, datetime!(2026-11-30 15:00 +3));
    move_to(app, ids["P1"], 2).await;
    at(app, datetime!(2026-12-01 12:00 +3));
    move_to(app, ids["B"], 2).await;
    close(app, ids["D"], "won").await;
    at(app, datetime!(2026-12-03 12:00 +3));
    close(app, ids["P1"], "lost").await;
    at(app, datetime!(2026-12-07 10:00 +3));
    ids
}

/// A stage's figures: stays, median, 90th percentile (working minutes), deals now, the longest wait.
fn figures(s: &Value) -> (i64, Option<i64>, Option<i64>, i64, Option<i64>) {
    (
        s["stays"].as_i64().unwrap(),
        s["median_minutes"].as_i64(),
        s["p90_minutes"].as_i64(),
        s["now"].as_i64().unwrap_or(0),
        s["now_longest_minutes"].as_i64(),
    )
}

async fn stage_time(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, v) = app.get(token, &format!("/api/v1/reports/stage_time?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["data"].clone()
}

async fn stage_times_are_counted_in_working_time_exactly(app: TestApp) {
    let ids = fortnight(&app).await;
    let d = stage_time(&app, &app.t.head, &format!("{FORTNIGHT}&compare=previous")).await;
    assert_eq!((d["unit"].as_str(), d["day_minutes"].as_i64()), (Some("working_minutes"), Some(540)), "{d}");
    let stages = d["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 3);
    assert_eq!(figures(&stages[0]), (4, Some(120), Some(3240), 1, Some(5280)), "Новый: {}", stages[0]);
    assert_eq!(figures(&stages[1]), (2, Some(600), Some(2760), 3, Some(4740)), "Принял в работу: {}", stages[1]);
    assert_eq!(figures(&stages[2]), (1, Some(1440), Some(1440), 1, Some(2040)), "Коммуникация: {}", stages[2]);
    assert_eq!(stages[0]["now_longest_deal_id"], ids["C"]);
    assert_eq!(stages[1]["now_longest_deal_id"], ids["P2"]);
    // 120 / 540 and 3240 / 540 working days; 5280 / 540 = 9.78.
    assert_eq!((stages[0]["median_days"].clone(), stages[0]["p90_days"].clone()), (json!(0.22), json!(6.0)));
    assert_eq!(stages[0]["now_longest_days"], json!(9.78));
    assert_eq!((d["stays"].as_i64(), d["now"].as_i64()), (Some(7), Some(5)));
    // The week before: P1 and P2 left «Новый» after 120 and 540 minutes.
    let prev = &d["previous"];
    assert_eq!(prev["period"], json!({"from": "2026-11-23", "to": "2026-11-29"}));
    let p = prev["stages"].as_array().unwrap();
    assert_eq!((p[0]["stays"].as_i64(), p[0]["median_minutes"].as_i64(), p[0]["p90_minutes"].as_i64()), (Some(2), Some(120), Some(540)));
    assert_eq!((p[1]["stays"].as_i64(), p[1]["median_minutes"].as_i64()), (Some(0), None));

    // A manager sees their own deals: m1's «Новый» stays are D 60, A 2580, B 3240.
    let d = stage_time(&app, &app.t.manager1, FORTNIGHT).await;
    let s = &d["stages"][0];
    assert_eq!(figures(s), (3, Some(2580), Some(3240), 0, None), "{s}");
    assert!(d.get("previous").is_none());
    // One manager's, a filter's.
    let d = stage_time(&app, &app.t.head, &format!("{FORTNIGHT}&owner_id={}", app.ids.manager2)).await;
    assert_eq!(figures(&d["stages"][0]), (1, Some(120), Some(120), 1, Some(5280)));
    let d =
        stage_time(&app, &app.t.head, &format!("{FORTNIGHT}&filter=title%20%3D%20%22%D0%A1%D0%B4%D0%B5%D0%BB%D0%BA%D0%B0%20B%22")).await;
    assert_eq!(figures(&d["stages"][0]), (1, Some(3240), Some(3240), 0, None), "only B: {d}");
    // A period with no stay ended: nothing, though deals wait now.
    let d = stage_time(&app, &app.t.head, "from=2026-10-01&to=2026-10-31").await;
    assert_eq!((d["stays"].as_i64(), d["now"].as_i64()), (Some(0), Some(5)));
    assert_eq!(d["stages"][0]["median_minutes"], Value::Null);

    // The export: working days with one decimal, the previous median beside the median.
    let resp = app
        .client
        .get(format!("{}/api/v1/reports/stage_time?{FORTNIGHT}&compare=previous&format=csv", app.base))
        .bearer_auth(&app.t.head)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "Этап,Пребываний,\"Медиана, раб. дн.\",Прошлая медиана,\"90-й процентиль, раб. дн.\",Сейчас на этапе,\"Ждёт дольше всех, раб. дн.\"",
        "{csv}"
    );
    assert_eq!(lines[1], "Новый,4,0.2,0.2,6.0,1,9.8", "{csv}");
    assert_eq!(lines[2], "Принял в работу,2,1.1,,5.1,3,8.8", "{csv}");
    assert_eq!(lines[4], "Итого,7,,,,5,", "{csv}");
    let resp = app.client.get(format!("{}/api/v1/reports/stage_time?format=xlsx", app.base)).bearer_auth(&app.t.head).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().starts_with(b"PK"));
    assert_error(&app.get(&app.t.head, "/api/v1/reports/stage_time?from=2026-12-06&to=2026-11-30").await, 422, "validation", Some("from"));
}

/// The query of a link `href` to the deals list, decoded.
pub fn list_filter(href: &str) -> String {
    let href = href.replace("&amp;", "&");
    let q = href.split_once("?q=").map(|(_, q)| q).unwrap_or_else(|| panic!("not a list link: {href}"));
    form_urlencoded::parse(format!("q={q}").as_bytes()).next().unwrap().1.into_owned()
}

/// The links of the table row whose head is `label`.
pub fn row_links(html: &str, label: &str) -> Vec<String> {
    let row =
        html.split("<tr").find(|r| r.contains(&format!("<th scope=\"row\">{label}</th>"))).unwrap_or_else(|| panic!("no row {label}"));
    row.split("<a href=\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_string()).collect()
}

/// The ids of the deals a report's link leads to, as the API lists them.
pub async fn linked_deals(app: &TestApp, href: &str) -> Vec<i64> {
    let expr = list_filter(href);
    let q: String = form_urlencoded::byte_serialize(expr.as_bytes()).collect();
    let mut ids = app.all_ids(&app.t.admin, "deals", &format!("&filter={q}")).await;
    ids.sort_unstable();
    ids
}

async fn the_stage_time_page_leads_to_the_deals_behind_each_figure(app: TestApp) {
    let ids = fortnight(&app).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, html) = ui.get(&format!("/reports/stage_time?{FORTNIGHT}&compare=previous")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Время на этапах") && html.contains("id=\"stage-time-table\""), "{html}");
    assert!(html.contains("рабочий день — 9 ч"), "the unit is said: {html}");
    let sorted = |mut v: Vec<i64>| {
        v.sort_unstable();
        v
    };
    // «Новый»: the four deals that left it; the one waiting in it; the longest waiting deal.
    let links = row_links(&html, "Новый");
    assert_eq!(links.len(), 3, "{links:?}");
    assert_eq!(linked_deals(&app, &links[0]).await, sorted(vec![ids["A"], ids["B"], ids["D"], ids["E"]]));
    assert_eq!(linked_deals(&app, &links[1]).await, vec![ids["C"]]);
    assert_eq!(links[2], format!("/deals/{}", ids["C"]));
    let links = row_links(&html, "Принял в работу");
    assert_eq!(linked_deals(&app, &links[0]).await, sorted(vec![ids["P1"], ids["D"]]));
    assert_eq!(linked_deals(&app, &links[1]).await, sorted(vec![ids["P2"], ids["A"], ids["E"]]));
    let (s, list) = ui.get(&links[1].replace("&amp;", "&")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("Сделка P2") && !list.contains("Сделка C"), "{list}");

    // An empty period and pipeline explain themselves.
    let other = app.create(&app.t.admin, "pipelines", json!({"name": "Пустая"})).await;
    app.create(&app.t.admin, "stages", json!({"pipeline_id": other, "name": "Первый"})).await;
    let (s, html) = ui.get(&format!("/reports/stage_time?{FORTNIGHT}&pipeline_id={other}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"report-empty\"") && html.contains("ни одна сделка воронки не ушла с этапа"), "{html}");
    let (s, csv) = ui.get(&format!("/reports/stage_time?{FORTNIGHT}&format=csv")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.contains("Коммуникация,1,2.7,2.7,1,3.8"), "{csv}");
}

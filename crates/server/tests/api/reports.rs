//! Sales reports over a hand-built department, every figure computed by hand: the funnel as a
//! cohort and as movement (a skipped stage counts as reached), each manager's funnel with their
//! weakest step, the previous period, visibility, bad parameters, exports and drill-down.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    the_funnel_and_each_managers_funnel_are_counted_exactly,
    a_report_refuses_bad_parameters_by_name_and_exports,
    the_reports_pages_show_the_weakest_step_and_lead_to_the_deals,
);

/// Creates a deal for `owner` and walks it through `path` (stage indexes), then closes it.
pub async fn walk(app: &TestApp, owner: i64, title: &str, path: &[usize], close: Option<&str>) -> i64 {
    let id = app.create(&app.t.admin, "deals", json!({"title": title, "owner_id": owner, "value": 100_000})).await;
    for s in path {
        let (st, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), json!({"stage_id": app.ids.stages[*s]})).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let body = match close {
        Some("won") => json!({"status": "won"}),
        Some("lost") => json!({"status": "lost", "lost_reason": "Дорого", "close_comment": "—"}),
        _ => return id,
    };
    let (st, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), body).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    id
}

/// The department: manager 1 brings ten deals, manager 2 five.
/// - m1: four stay new (two lost there), two go on to «Принял в работу», two go on through it to
///   «Коммуникация», two jump straight there; three of the last four are won, one lost.
///   Reached 10 / 6 / 4, won 3, lost 3.
/// - m2: all five taken into work, four to «Коммуникация», none won, two lost there.
///   Reached 5 / 5 / 4, won 0, lost 2.
/// - and a wrong number, closed as not a lead, which counts nowhere.
pub async fn department(app: &TestApp) {
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    for (i, close) in [Some("lost"), Some("lost"), None, None].iter().enumerate() {
        walk(app, m1, &format!("m1 новая {i}"), &[], *close).await;
    }
    for i in 0..2 {
        walk(app, m1, &format!("m1 в работе {i}"), &[1], None).await;
    }
    walk(app, m1, "m1 через этапы 0", &[1, 2], Some("won")).await;
    walk(app, m1, "m1 через этапы 1", &[1, 2], Some("won")).await;
    walk(app, m1, "m1 прыжок 0", &[2], Some("won")).await;
    walk(app, m1, "m1 прыжок 1", &[2], Some("lost")).await;
    walk(app, m2, "m2 в работе", &[1], None).await;
    for (i, close) in [None, Some("lost"), Some("lost"), None].iter().enumerate() {
        walk(app, m2, &format!("m2 коммуникация {i}"), &[1, 2], *close).await;
    }
    let junk = walk(app, m1, "Ошиблись номером", &[1], None).await;
    let (s, v) = app.post(&app.t.admin, &format!("/api/v1/deals/{junk}/not_lead"), json!({"reason": "Спам"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

fn reached(counts: &Value) -> Vec<i64> {
    counts["stages"].as_array().unwrap().iter().map(|s| s["reached"].as_i64().unwrap()).collect()
}

fn shares(counts: &Value, key: &str) -> Vec<Value> {
    counts["stages"].as_array().unwrap().iter().map(|s| s[key].clone()).collect()
}

async fn the_funnel_and_each_managers_funnel_are_counted_exactly(app: TestApp) {
    department(&app).await;
    let (s, v) = app.get(&app.t.head, "/api/v1/reports/funnel").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!(d["period"], json!({"from": "2026-11-01", "to": "2026-11-30"}), "the current month by default");
    let cohort = &d["cohort"];
    assert_eq!(reached(cohort), vec![15, 11, 8], "{cohort}");
    assert_eq!((cohort["deals"].as_i64(), cohort["won"].as_i64(), cohort["lost"].as_i64()), (Some(15), Some(3), Some(5)));
    assert_eq!(cohort["won_value"], 300_000);
    // 11/15, 8/11, 3/8; to won 3/15, 3/11, 3/8; win rate 3/8.
    assert_eq!(shares(cohort, "to_next"), vec![json!(0.7333), json!(0.7273), json!(0.375)]);
    assert_eq!(shares(cohort, "to_won"), vec![json!(0.2), json!(0.2727), json!(0.375)]);
    assert_eq!(cohort["win_rate"], json!(0.375));
    // Every move happened in the period: movement reaches the same stages.
    assert_eq!(reached(&d["movement"]), vec![15, 11, 8], "{}", d["movement"]);
    assert_eq!((d["movement"]["won"].as_i64(), d["movement"]["lost"].as_i64()), (Some(3), Some(5)));

    let (s, v) = app.get(&app.t.head, "/api/v1/reports/managers").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!(reached(&d["department"]), vec![15, 11, 8]);
    let by_name = |n: &str| d["managers"].as_array().unwrap().iter().find(|m| m["name"] == n).cloned().unwrap();
    let (m1, m2) = (by_name("m1"), by_name("m2"));
    assert_eq!((reached(&m1), m1["won"].as_i64(), m1["win_rate"].clone()), (vec![10, 6, 4], Some(3), json!(0.5)));
    assert_eq!((reached(&m2), m2["won"].as_i64(), m2["win_rate"].clone()), (vec![5, 5, 4], Some(0), json!(0.0)));
    // m1 loses most at the first step (60 % against 73 %); m2 at closing (0 % against 37.5 %).
    assert_eq!(m1["weakest_step"]["index"], 0, "{m1}");
    assert_eq!(m1["weakest_step"]["to"], app.ids.stages[1]);
    assert_eq!((m2["weakest_step"]["index"].as_i64(), m2["weakest_step"]["to"].as_str()), (Some(2), Some("won")), "{m2}");

    // A manager sees the figures of what they may see: their own deals.
    let (_, v) = app.get(&app.t.manager1, "/api/v1/reports/managers").await;
    let names: Vec<_> = v["data"]["managers"].as_array().unwrap().iter().map(|m| m["name"].clone()).collect();
    assert_eq!(names, vec![json!("m1")]);
    assert_eq!(reached(&v["data"]["department"]), vec![10, 6, 4]);
    // A team, a manager and a filter narrow the deals.
    let (_, v) = app.get(&app.t.head, &format!("/api/v1/reports/funnel?owner_id={}", app.ids.manager2)).await;
    assert_eq!(reached(&v["data"]["cohort"]), vec![5, 5, 4]);
    let (_, v) = app.get(&app.t.head, "/api/v1/reports/funnel?filter=title%20~%20%22%D0%BF%D1%80%D1%8B%D0%B6%D0%BE%D0%BA%22").await;
    assert_eq!(reached(&v["data"]["cohort"]), vec![2, 2, 2], "two deals jumped a stage and still reached it");

    // Next month: one new deal; compared with November.
    app.clock.advance(time::Duration::days(10));
    walk(&app, app.ids.manager1, "Декабрь", &[1], None).await;
    let (s, v) = app.get(&app.t.head, "/api/v1/reports/funnel?from=2026-12-01&to=2026-12-31&compare=previous").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(reached(&v["data"]["cohort"]), vec![1, 1, 0]);
    assert_eq!(v["data"]["previous"]["period"], json!({"from": "2026-10-31", "to": "2026-11-30"}));
    assert_eq!(reached(&v["data"]["previous"]["cohort"]), vec![15, 11, 8]);
}

async fn a_report_refuses_bad_parameters_by_name_and_exports(app: TestApp) {
    department(&app).await;
    let token = &app.t.head;
    assert_error(&app.get(token, "/api/v1/reports/funnel?from=2026-12-02&to=2026-12-01").await, 422, "validation", Some("from"));
    assert_error(&app.get(token, "/api/v1/reports/funnel?from=2026-12-01").await, 422, "validation", Some("to"));
    assert_error(&app.get(token, "/api/v1/reports/funnel?owner_id=999999").await, 422, "validation", Some("owner_id"));
    assert_error(&app.get(token, "/api/v1/reports/funnel?pipeline_id=999999").await, 422, "validation", Some("pipeline_id"));
    let other = format!("/api/v1/reports/funnel?pipeline_id={}", app.ids.other_pipeline);
    assert_error(&app.get(token, &other).await, 422, "validation", Some("pipeline_id"));
    assert_error(&app.get(token, "/api/v1/reports/funnel?filter=stage%20%3E%3D").await, 422, "validation", Some("filter"));
    assert_error(&app.get(token, "/api/v1/reports/funnel?format=pdf").await, 422, "validation", Some("format"));
    assert_error(&app.get(token, "/api/v1/reports/funnel?colour=red").await, 422, "validation", Some("colour"));
    assert_error(&app.get(token, "/api/v1/reports/nope").await, 422, "validation", Some("report"));
    // An empty period is a report with nothing in it, not an error.
    let (s, v) = app.get(token, "/api/v1/reports/funnel?from=2025-01-01&to=2025-01-31").await;
    assert_eq!((s, reached(&v["data"]["cohort"])), (StatusCode::OK, vec![0, 0, 0]));

    let resp = app.client.get(format!("{}/api/v1/reports/funnel?format=csv", app.base)).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "Этап,Дошли (когорта),В следующий,В выигрыш,Дошли (движение),В следующий,В выигрыш", "{csv}");
    assert_eq!(lines[1], "Новый,15,73.3,20.0,15,73.3,20.0", "{csv}");
    assert_eq!(lines[4], "Выиграно,3,,,3,,", "{csv}");
    let resp = app.client.get(format!("{}/api/v1/reports/managers?format=xlsx", app.base)).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
}

async fn the_reports_pages_show_the_weakest_step_and_lead_to_the_deals(app: TestApp) {
    department(&app).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, html) = ui.get("/reports/managers").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Воронка по менеджерам") && html.contains("Слабый шаг"), "{html}");
    let m1_row = html.split("<tr>").find(|r| r.contains("<th scope=\"row\">m1</th>")).expect("a row for m1");
    assert!(m1_row.contains("class=\"num weak\"") && m1_row.contains("Новый → Принял в работу"), "{m1_row}");
    let m2_row = html.split("<tr>").find(|r| r.contains("<th scope=\"row\">m2</th>")).expect("a row for m2");
    assert!(m2_row.contains("Коммуникация → Выиграно"), "{m2_row}");

    // The funnel's count of «Принял в работу» leads to those eleven deals.
    let (s, html) = ui.get("/reports/funnel").await;
    assert_eq!(s, StatusCode::OK);
    let row = html.split("<tr>").find(|r| r.contains("<th scope=\"row\">Принял в работу</th>")).expect("the stage's row");
    let href = html_attr(row, "<a ", "href").unwrap().replace("&amp;", "&");
    let q = href.strip_prefix("/deals?q=").unwrap();
    let expr: String = form_urlencoded::parse(format!("q={q}").as_bytes()).next().unwrap().1.into_owned();
    let found = app.all_records(&app.t.admin, "deals", &format!("&filter={}", urlencode(&expr)), 100).await;
    assert_eq!(found.len(), 11, "{expr}: {found:?}");
    let (s, list) = ui.get(&href).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("m1 прыжок 0"), "a deal that jumped the stage is among them");

    // A refused period is shown at its field; an empty one explains itself.
    let (s, html) = ui.get_fragment("/reports/funnel?from=2026-12-02&to=2026-12-01").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("период начинается позже") && html.contains("data-field=\"from\""), "{html}");
    let (_, html) = ui.get("/reports/funnel?from=2025-01-01&to=2025-01-31").await;
    assert!(html.contains("id=\"report-empty\""), "{html}");
    let (s, csv) = ui.get("/reports/funnel?format=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.contains("Принял в работу,11"), "{csv}");
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

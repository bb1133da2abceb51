//! The forecast over a hand-built department with a fixed clock (23 November 2026): the weighted
//! pipeline by expected close month, the seed's conversion forecast (200 leads a month at 10 % —
//! expect 20 sales), and the weighted figure without the deals the latest audit found breaking a
//! critical rule; visibility, a bad window, the page, its drill-down and export.
use crate::helpers::*;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(the_three_forecasts_are_counted_exactly, the_forecast_page_explains_the_difference_and_leads_to_the_deals,);

/// October: 200 leads, 20 of them won at 50 000. November: five open deals with expected dates
/// (stage probabilities 10 %, 50 %, none), a critical rule broken by one, a minor one by another.
async fn department(app: &TestApp) -> Value {
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    for (i, p) in [Some(10), Some(50), None].iter().enumerate() {
        let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{}", app.ids.stages[i]), json!({"probability": p})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    app.clock.advance(time::Duration::days(-40));
    for i in 0..200 {
        let id = app.create(&app.t.admin, "deals", json!({"title": format!("Лид {i}"), "owner_id": m1, "value": 50_000})).await;
        if i % 10 == 0 {
            let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), json!({"status": "won"})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    }
    app.clock.advance(time::Duration::days(40));
    let deal = |title: &str, owner: i64, stage: usize, value: i64, date: &str| json!({"title": title, "owner_id": owner, "stage_id": app.ids.stages[stage], "value": value, "expected_close_date": date});
    let mut ids = json!({});
    for (key, body) in [
        ("a", deal("А сделка", m2, 1, 200_000, "2026-11-25")),
        ("b", deal("Б сделка", m1, 0, 1_000_000, "2026-11-30")),
        ("c", deal("В сделка", m1, 1, 400_000, "2026-12-10")),
        ("d", deal("Г сделка", m1, 0, 300_000, "2026-10-20")),
        ("e", deal("Д сделка", m1, 2, 500_000, "2026-11-28")),
    ] {
        ids[key] = json!(app.create(&app.t.admin, "deals", body).await);
    }
    for (name, expr, criticality) in [("Крупная сделка без задачи", "title = \"Б сделка\"", 1), ("Мелочь", "title = \"А сделка\"", 2)]
    {
        let body = json!({"name": name, "entity": "deal", "expression": expr, "criticality": criticality, "why": "—", "fix": "—"});
        app.create(&app.t.head, "rules", body).await;
    }
    let (s, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    Worker::new(&AppState::new(app.db.clone())).run_once().await.unwrap();
    ids
}

fn month<'a>(d: &'a Value, m: Option<&str>) -> &'a Value {
    d["months"].as_array().unwrap().iter().find(|x| x["month"].as_str() == m).unwrap_or_else(|| panic!("{m:?} in {d}"))
}

async fn the_three_forecasts_are_counted_exactly(app: TestApp) {
    department(&app).await;
    let (s, v) = app.get(&app.t.head, "/api/v1/reports/forecast?window=1").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!(d["period"], json!({"from": "2026-11-01", "to": "2026-11-30"}));
    // November: А 200 000 × 50 % + Б 1 000 000 × 10 % + Д 500 000 × nothing.
    assert_eq!(d["weighted"], json!({"deals": 3, "value": 1_700_000, "weighted": 200_000}), "{d}");
    // The seed: 200 leads a month at 10 % — expect 20 sales, at the average won deal.
    let c = &d["conversion"];
    assert_eq!(c["window"], json!({"from": "2026-10-01", "to": "2026-10-31", "months": 1}));
    assert_eq!((c["leads"].as_i64(), c["won"].as_i64(), c["won_value"].as_i64()), (Some(200), Some(20), Some(1_000_000)));
    assert_eq!((c["leads_per_month"].as_f64(), c["conversion"].as_f64()), (Some(200.0), Some(0.1)));
    assert_eq!(
        (c["expected_won"].as_f64(), c["average_won"].as_i64(), c["expected_value"].as_i64()),
        (Some(20.0), Some(50_000), Some(1_000_000))
    );
    // Without Б, which breaks a critical rule; А's minor rule takes nothing off.
    let x = &d["discounted"];
    assert_eq!(
        (x["weighted"].as_i64(), x["excluded_deals"].as_i64(), x["excluded_weighted"].as_i64()),
        (Some(100_000), Some(1), Some(100_000))
    );
    assert_eq!(x["rules"], json!([{"rule": "Крупная сделка без задачи", "deals": 1, "weighted": 100_000}]));
    // Every open deal by month: October's date has passed, December is after the period, and
    // October's 180 open leads have no date.
    assert_eq!(
        (month(d, Some("2026-10"))["when"].as_str(), month(d, Some("2026-10"))["weighted"].as_i64()),
        (Some("overdue"), Some(30_000))
    );
    assert_eq!(
        (month(d, Some("2026-12"))["when"].as_str(), month(d, Some("2026-12"))["weighted"].as_i64()),
        (Some("after"), Some(200_000))
    );
    assert_eq!(month(d, Some("2026-11"))["flagged"], 1);
    let none = month(d, None);
    assert_eq!((none["when"].as_str(), none["deals"].as_i64(), none["weighted"].as_i64()), (Some("no_date"), Some(180), Some(900_000)));
    assert_eq!(d["stages_without_probability"][0]["stage_id"], app.ids.stages[2]);

    // Over the default quarter the same 200 leads are 66.7 a month: 6.67 sales.
    let (_, v) = app.get(&app.t.head, "/api/v1/reports/forecast").await;
    assert_eq!(v["data"]["conversion"]["window"]["from"], "2026-08-01");
    assert_eq!(v["data"]["conversion"]["expected_won"], json!(6.67));
    // A quarter's period expects three months of sales.
    let (_, v) = app.get(&app.t.head, "/api/v1/reports/forecast?window=1&from=2026-11-01&to=2027-01-31").await;
    assert_eq!(v["data"]["conversion"]["expected_won"], json!(60.0));
    assert_eq!(v["data"]["weighted"]["weighted"], 400_000, "November and December");

    // A manager forecasts from what they may see: manager2 has only А.
    let (_, v) = app.get(&app.t.manager2, "/api/v1/reports/forecast?window=1").await;
    let d = &v["data"];
    assert_eq!(
        (d["weighted"]["weighted"].as_i64(), d["conversion"]["leads"].as_i64(), d["discounted"]["excluded_deals"].as_i64()),
        (Some(100_000), Some(0), Some(0))
    );
    assert_error(&app.get(&app.t.head, "/api/v1/reports/forecast?window=0").await, 422, "validation", Some("window"));
    assert_error(&app.get(&app.t.head, "/api/v1/reports/forecast?window=many").await, 422, "validation", Some("window"));
}

async fn the_forecast_page_explains_the_difference_and_leads_to_the_deals(app: TestApp) {
    let ids = department(&app).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, html) = ui.get("/reports/forecast?window=1").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Взвешенная воронка") && html.contains("Без сделок с нарушениями"), "{html}");
    assert!(html.contains("«Крупная сделка без задачи» — 1"), "the difference is explained: {html}");
    assert!(html.contains("200 × 10\u{a0}% × 1 = 20"), "the seed's arithmetic is shown: {html}");
    assert!(html.contains("не задана вероятность"), "{html}");
    // The count of the rule's deals leads to Б; November's count to А, Б and Д.
    let rules = html.split("id=\"forecast-rules\"").nth(1).expect("the rules' table");
    let href = html_attr(rules, "<a ", "href").unwrap().replace("&amp;", "&");
    let found = deals_of(&app, &href).await;
    assert_eq!(found, vec![ids["b"].as_i64().unwrap()]);
    let months = html.split("id=\"forecast-months\"").nth(1).unwrap();
    let row = months.split("<tr").find(|r| r.contains("Ноябрь 2026")).expect("November's row");
    let mut found = deals_of(&app, &html_attr(row, "<a ", "href").unwrap().replace("&amp;", "&")).await;
    found.sort_unstable();
    assert_eq!(found, ["a", "b", "e"].map(|k| ids[k].as_i64().unwrap()).to_vec());
    let (s, csv) = ui.get("/reports/forecast?window=1&format=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.contains("Ноябрь 2026,3,17000.00,2000.00,1,1000.00"), "{csv}");
    assert!(csv.contains("По конверсии,20.0,,10000.00"), "{csv}");
    // A later period with nothing expected in it still forecasts by conversion.
    let (_, html) = ui.get("/reports/forecast?window=1&from=2027-03-01&to=2027-03-31").await;
    assert!(html.contains("id=\"forecast-summary\""), "open deals and history still forecast: {html}");
}

async fn deals_of(app: &TestApp, href: &str) -> Vec<i64> {
    let q = href.strip_prefix("/deals?q=").unwrap();
    let expr: String = form_urlencoded::parse(format!("q={q}").as_bytes()).next().unwrap().1.into_owned();
    let enc: String = form_urlencoded::byte_serialize(expr.as_bytes()).collect();
    app.all_records(&app.t.admin, "deals", &format!("&filter={enc}"), 100).await.iter().map(|d| d["id"].as_i64().unwrap()).collect()
}

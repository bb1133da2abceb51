//! The head's dashboard over the reports' hand-built department (fixed clock, 23 November
//! 2026): every tile's figure is its report's, a manager's dashboard is their own, and the
//! start page is the dashboard for heads.
use crate::helpers::*;
use crate::reports::department;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(the_dashboard_shows_each_reports_figures_and_a_managers_own, the_dashboard_page_is_the_heads_start_page,);

/// The department, an overdue task of m2's, and an audit round finding the two deals that jumped a stage.
async fn setup(app: &TestApp) {
    department(app).await;
    let yesterday = "2026-11-22T09:00:00Z";
    app.create(
        &app.t.admin,
        "activities",
        json!({"type": "task", "subject": "Перезвонить", "owner_id": app.ids.manager2, "due_at": yesterday}),
    )
    .await;
    let rule = json!({"name": "Прыжок через этап", "entity": "deal", "expression": "title ~ \"прыжок\"", "criticality": 1, "why": "—", "fix": "—"});
    app.create(&app.t.head, "rules", rule).await;
    let (s, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    Worker::new(&AppState::new(app.db.clone())).run_once().await.unwrap();
}

async fn the_dashboard_shows_each_reports_figures_and_a_managers_own(app: TestApp) {
    setup(&app).await;
    let (s, v) = app.get(&app.t.head, "/api/v1/dashboard").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!((d["period"]["from"].as_str(), d["own"].as_bool()), (Some("2026-11-01"), Some(false)));
    // Three won at 100 000 each, none the month before.
    assert_eq!(d["revenue"]["won"], 3);
    assert_eq!(d["revenue"]["won_value"], 300_000);
    assert_eq!(d["revenue"]["previous_won_value"], 0);
    // The funnel's cohort, as the funnel report counts it.
    let reached: Vec<i64> = d["funnel"]["stages"].as_array().unwrap().iter().map(|s| s["reached"].as_i64().unwrap()).collect();
    assert_eq!((d["funnel"]["deals"].as_i64(), reached), (Some(15), vec![15, 11, 8]));
    // Managers side by side: m1 won all three.
    let m1 = d["managers"].as_array().unwrap().iter().find(|m| m["name"] == "m1").cloned().unwrap();
    assert_eq!((m1["won"].as_i64(), m1["won_value"].as_i64()), (Some(3), Some(300_000)));
    // m2's task due yesterday is the one overdue.
    assert_eq!(d["overdue_tasks"]["total"], 1);
    assert_eq!(d["overdue_tasks"]["managers"], json!([{"owner_id": app.ids.manager2, "name": "m2", "overdue": 1}]));
    // One audit round: the two deals that jumped a stage, none fixed yet.
    assert_eq!(d["violations"].as_array().unwrap().len(), 1);
    assert_eq!((d["violations"][0]["violations"].as_i64(), d["violations"][0]["fixed"].as_i64()), (Some(2), Some(0)));
    // Fifteen leads came in, none with a source.
    assert_eq!(d["leads_by_source"], json!([{"source": null, "leads": 15}]));
    // The open deals have no expected date and the stages no probability: nothing weighted;
    // nothing was created before November to learn a conversion from.
    assert_eq!(d["forecast"], json!({"weighted": 0, "conversion": 0, "discounted": 0}));

    // A manager's dashboard is their own: m2's five deals, no revenue, their own overdue task
    // and their own violations (none).
    let (s, v) = app.get(&app.t.manager2, "/api/v1/dashboard").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!((d["own"].as_bool(), d["funnel"]["deals"].as_i64(), d["revenue"]["won_value"].as_i64()), (Some(true), Some(5), Some(0)));
    assert_eq!(d["overdue_tasks"]["total"], 1);
    assert_eq!(d["violations"][0]["violations"], 0);
    let (_, v) = app.get(&app.t.manager1, "/api/v1/dashboard").await;
    assert_eq!((v["data"]["funnel"]["deals"].as_i64(), v["data"]["overdue_tasks"]["total"].as_i64()), (Some(10), Some(0)));
    assert_eq!(v["data"]["violations"][0]["violations"], 2);

    // Bad input names its parameter.
    assert_error(&app.get(&app.t.head, "/api/v1/dashboard?from=2026-12-02&to=2026-12-01").await, 422, "validation", Some("from"));
    assert_error(&app.get(&app.t.head, "/api/v1/dashboard?pipeline_id=999999").await, 422, "validation", Some("pipeline_id"));
    assert_error(&app.get(&app.t.head, "/api/v1/dashboard?colour=red").await, 422, "validation", Some("colour"));
}

async fn the_dashboard_page_is_the_heads_start_page(app: TestApp) {
    setup(&app).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let resp = ui.client.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(resp.headers()["location"], "/dashboard", "a head starts at the dashboard");
    let (s, html) = ui.get("/dashboard").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Сводка отдела"), "{html}");
    for tile in ["tile-revenue", "tile-funnel", "tile-managers", "tile-forecast", "tile-overdue", "tile-violations", "tile-sources"] {
        assert!(html.contains(&format!("id=\"{tile}\"")), "{tile} in {html}");
    }
    let revenue = html.split("id=\"tile-revenue\"").nth(1).unwrap();
    assert!(revenue.contains("3\u{a0}000\u{a0}₽"), "{revenue}");
    // The funnel tile's second bar (after the title's and the number's links) leads to the
    // eleven deals that reached «Принял в работу».
    let funnel = html.split("id=\"tile-funnel\"").nth(1).unwrap();
    let href = funnel.split("<a href=\"").nth(4).and_then(|s| s.split('"').next()).unwrap().replace("&amp;", "&");
    let q = href.strip_prefix("/deals?q=").unwrap_or_else(|| panic!("{href}"));
    let expr: String = form_urlencoded::parse(format!("q={q}").as_bytes()).next().unwrap().1.into_owned();
    let enc: String = form_urlencoded::byte_serialize(expr.as_bytes()).collect();
    assert_eq!(app.all_records(&app.t.admin, "deals", &format!("&filter={enc}"), 100).await.len(), 11, "{expr}");
    let (s, _) = ui.get("/dashboard?from=2026-12-02&to=2026-12-01").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let ui = app.ui_login(app.ids.manager2, "m2@a.test").await;
    let resp = ui.client.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(resp.headers()["location"], "/board", "a manager starts at the board");
    let (_, html) = ui.get("/dashboard").await;
    assert!(html.contains("Мои показатели") && !html.contains("id=\"tile-managers\""), "{html}");
}

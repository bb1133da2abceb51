//! Scheduled reports with a fixed clock (Monday 23 November 2026): each user's switches, the
//! weekly summary on the next Monday (a head's of the department, a manager's of their own
//! deals, none for who switched it off, once), the monthly review on the 1st, and the review's
//! workbook on demand.
use crate::helpers::*;
use crate::reports::department;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    each_user_switches_their_scheduled_reports,
    the_weekly_summary_and_the_monthly_review_arrive_on_time_once,
    the_monthly_review_is_a_workbook_of_the_months_figures,
);

async fn each_user_switches_their_scheduled_reports(app: TestApp) {
    let path = "/api/v1/me/report_subscriptions";
    let (s, v) = app.get(&app.t.manager1, path).await;
    assert_eq!((s, v["data"].clone()), (StatusCode::OK, json!({"weekly": true, "monthly_review": true})));
    let (s, v) = app.patch(&app.t.manager1, path, json!({"weekly": false})).await;
    assert_eq!((s, v["data"].clone()), (StatusCode::OK, json!({"weekly": false, "monthly_review": true})));
    // Only one's own: manager2 still gets it.
    let (_, v) = app.get(&app.t.manager2, path).await;
    assert_eq!(v["data"]["weekly"], true);
    assert_error(&app.patch(&app.t.manager1, path, json!({"weekly": "no"})).await, 422, "validation", Some("weekly"));
    assert_error(&app.patch(&app.t.manager1, path, json!({"daily": true})).await, 422, "validation", Some("daily"));
    // The dashboard's form switches them too (an unchecked box is off).
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, _) = ui.post_form("/dashboard/subscriptions", &[]).await;
    assert!(s.is_redirection() || s == StatusCode::NO_CONTENT, "{s}");
    let (_, v) = app.get(&app.t.admin, path).await;
    assert_eq!(v["data"], json!({"weekly": false, "monthly_review": false}));
    let (_, html) = ui.get("/dashboard?saved=1").await;
    assert!(
        html.contains("id=\"subscriptions-saved\"") && html.contains("id=\"review-month\" type=\"month\" name=\"month\" value=\"2026-10\""),
        "{html}"
    );
}

async fn notes(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    let (s, v) = app.get(token, "/api/v1/notifications?limit=100").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().iter().filter(|n| n["kind"] == kind).cloned().collect()
}

async fn run_jobs(app: &TestApp) {
    Worker::new(&AppState::new(app.db.clone())).run_once().await.unwrap();
}

async fn the_weekly_summary_and_the_monthly_review_arrive_on_time_once(app: TestApp) {
    department(&app).await;
    app.patch(&app.t.manager1, "/api/v1/me/report_subscriptions", json!({"weekly": false})).await;
    app.db.ensure_digest_schedule(app.ws).await.unwrap();
    // Tuesday to Sunday: nothing is due.
    for _ in 0..6 {
        app.clock.advance(time::Duration::days(1));
        run_jobs(&app).await;
    }
    assert!(notes(&app, &app.t.head, "weekly_report").await.is_empty());
    // Monday 30 November, 07:00 in Moscow: the week of 23–29 November.
    app.clock.advance(time::Duration::days(1));
    run_jobs(&app).await;
    let head = notes(&app, &app.t.head, "weekly_report").await;
    assert_eq!(head.len(), 1, "{head:?}");
    assert_eq!(head[0]["title"], "Итоги недели 23.11.2026 — 29.11.2026");
    let body = head[0]["body"].as_str().unwrap();
    assert!(body.contains("Показатели отдела") && body.contains("Выручка: 3\u{a0}000\u{a0}₽, выиграно сделок: 3"), "{body}");
    assert!(body.contains("Новых сделок: 15; проиграно: 5") && body.contains("— m1: 3\u{a0}000\u{a0}₽ · 3"), "{body}");
    assert_eq!(head[0]["link"], "/dashboard?from=2026-11-23&to=2026-11-29");
    let m2 = notes(&app, &app.t.manager2, "weekly_report").await;
    let body = m2[0]["body"].as_str().unwrap();
    assert!(body.contains("Ваши показатели") && body.contains("Новых сделок: 5; проиграно: 2") && !body.contains("— m1"), "{body}");
    assert!(notes(&app, &app.t.manager1, "weekly_report").await.is_empty(), "m1 switched it off");
    // Sent once: a second run of the week changes nothing.
    let week = poryadok_server::digest::last_week("Europe/Moscow", app.db.clock.now_ms());
    assert_eq!(poryadok_server::digest::send_weekly(&app.db, app.ws, &week, false).await.unwrap(), 0);

    // Tuesday 1 December: the review of November for those who see the department.
    app.clock.advance(time::Duration::days(1));
    run_jobs(&app).await;
    let review = notes(&app, &app.t.head, "monthly_review").await;
    assert_eq!(review.len(), 1);
    assert_eq!(
        (review[0]["title"].as_str(), review[0]["link"].as_str()),
        (Some("Обзор отдела за Ноябрь 2026"), Some("/reports/review?month=2026-11"))
    );
    assert!(notes(&app, &app.t.manager2, "monthly_review").await.is_empty(), "a manager gets no department review");
}

async fn the_monthly_review_is_a_workbook_of_the_months_figures(app: TestApp) {
    use calamine::{Data, Reader, Xlsx};
    department(&app).await;
    let rule = json!({"name": "Прыжок через этап", "entity": "deal", "expression": "title ~ \"прыжок\"", "criticality": 1, "why": "—", "fix": "—"});
    app.create(&app.t.head, "rules", rule).await;
    app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    run_jobs(&app).await;
    let get = |path: &str, token: &str| app.client.get(format!("{}{path}", app.base)).bearer_auth(token.to_string()).send();
    let resp = get("/api/v1/reports/review?month=2026-11", &app.t.head).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(resp.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Динамика продаж", "Нарушения", "Звонки и активность", "Менеджеры", "Нагрузка", "План-факт", "Оценка звонков"]
    );
    // Sales by week: the total row counts November's three wins.
    let sales = book.worksheet_range("Динамика продаж").unwrap();
    let total = sales.rows().find(|r| r[0] == "Итого").expect("a total row");
    assert_eq!(total[1], Data::Float(3.0));
    // The audit found m1's two jumps; none fixed yet.
    let found = book.worksheet_range("Нарушения").unwrap();
    let m1 = found.rows().find(|r| r[0] == "m1").expect("m1's line");
    assert_eq!((m1[1].to_string(), m1[2].clone(), m1[3].clone()), ("Прыжок через этап".to_string(), Data::Float(2.0), Data::Float(0.0)));
    let managers = book.worksheet_range("Менеджеры").unwrap();
    assert!(managers.rows().any(|r| r[0] == "m1" && r[1] == Data::Float(3.0)));

    // A manager's review is of their own deals.
    let resp = get("/api/v1/reports/review?month=2026-11", &app.t.manager2).await.unwrap();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(resp.bytes().await.unwrap().to_vec())).unwrap();
    let sales = book.worksheet_range("Динамика продаж").unwrap();
    assert_eq!(sales.rows().find(|r| r[0] == "Итого").unwrap()[1], Data::Float(0.0));
    assert_error(&app.get(&app.t.head, "/api/v1/reports/review?month=2026-13").await, 422, "validation", Some("month"));
    assert_error(&app.get(&app.t.head, "/api/v1/reports/review?week=1").await, 422, "validation", Some("week"));
    // The page's download is the same workbook.
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let resp = ui.client.get(format!("{}/reports/review?month=2026-11", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("review-2026-11.xlsx"));
}

//! The call review report per manager × criterion (issue 22): for the week's reviews, each
//! manager's average score on each criterion of the scorecard, the share of calls given the
//! criterion's maximum and the number scored — in the API, as CSV and XLSX (`by=criterion`),
//! in the workbook of the whole report and on the report page. The fixed clock is Monday
//! 2026-11-23; the calls are in 2026-W47. Every figure is computed by hand.
use crate::helpers::TestApp;
use poryadok_core::review::default_criteria_ru;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

crate::both_dbs!(the_report_shows_each_manager_on_each_criterion);

pub async fn calls(app: &TestApp, owner: i64, n: usize) {
    for i in 0..n {
        let body = json!({
            "type": "call", "subject": format!("call {i}"), "done": true, "owner_id": owner,
            "due_at": format!("2026-11-{:02}T{:02}:15:00Z", 16 + (i % 5), 7 + (i % 8)),
            "call_direction": "inbound", "call_outcome": "answered", "call_seconds": 120,
            "recording_url": format!("https://records.example/{owner}/{i}.mp3"),
        });
        app.create(&app.t.admin, "activities", body).await;
    }
}

/// Every criterion at its maximum but the ones given.
pub fn points(given: &[(&str, i64)]) -> Value {
    let mut o = serde_json::Map::new();
    for c in default_criteria_ru().as_array().unwrap() {
        let max = c["points"].as_array().unwrap().iter().map(|p| p.as_i64().unwrap()).max().unwrap();
        o.insert(c["key"].as_str().unwrap().to_string(), json!(max));
    }
    for (k, v) in given {
        o.insert(k.to_string(), json!(v));
    }
    Value::Object(o)
}

async fn download(app: &TestApp, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = app.client.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap();
    let status = resp.status();
    let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ctype, resp.bytes().await.unwrap().to_vec())
}

/// manager1: two calls reviewed — greeting 2 and 1 of 2, questions 1 and 0 of 2, the rest at
/// the maximum: greeting 3 / 4 = 75 %, full marks on one of two (50 %); questions 1 / 4 = 25 %,
/// full marks on none. manager2: one call at the maximum everywhere: 100 % and 100 %.
async fn the_report_shows_each_manager_on_each_criterion(app: TestApp) {
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    let (s, v) = app.call(Method::PUT, &app.t.head, "/api/v1/reviews/scorecard", Some(json!({"criteria": default_criteria_ru()}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    calls(&app, m1, 20).await;
    calls(&app, m2, 10).await;
    let (s, v) = app.post(&app.t.head, "/api/v1/reviews/sample", json!({"week": "2026-W47"})).await;
    assert_eq!((s, v["data"]["queued"].as_i64()), (StatusCode::OK, Some(3)), "10 % of 20 and of 10: {v}");
    let (_, queue) = app.get(&app.t.head, "/api/v1/reviews?week=2026-W47").await;
    let of = |m: i64| -> Vec<i64> {
        queue["data"].as_array().unwrap().iter().filter(|r| r["manager_id"] == m).map(|r| r["id"].as_i64().unwrap()).collect()
    };
    let (mine, theirs) = (of(m1), of(m2));
    assert_eq!((mine.len(), theirs.len()), (2, 1));
    for (id, given) in [
        (mine[0], points(&[("greeting", 2), ("questions", 1)])),
        (mine[1], points(&[("greeting", 1), ("questions", 0)])),
        (theirs[0], points(&[])),
    ] {
        let (s, r) = app.post(&app.t.head, &format!("/api/v1/reviews/{id}/score"), json!({"points": given})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }

    let (s, rep) = app.get(&app.t.head, "/api/v1/reviews/report?from=2026-W47&to=2026-W47").await;
    assert_eq!(s, StatusCode::OK, "{rep}");
    let keys: Vec<&str> = rep["data"]["criterion_columns"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["greeting", "name", "questions", "summary", "benefits", "price", "objections", "politeness", "next_step", "task"]);
    assert_eq!(rep["data"]["criterion_columns"][2]["step"], "needs");
    let row = |m: i64| rep["data"]["manager_criteria"].as_array().unwrap().iter().find(|r| r["manager_id"] == m).unwrap().clone();
    let r1 = row(m1);
    assert_eq!(r1["reviews"], 2);
    assert_eq!(r1["cells"][0], json!({"key": "greeting", "reviews": 2, "score_pct": 75.0, "passed_pct": 50.0}));
    assert_eq!(r1["cells"][2], json!({"key": "questions", "reviews": 2, "score_pct": 25.0, "passed_pct": 0.0}));
    assert_eq!(r1["cells"][5], json!({"key": "price", "reviews": 2, "score_pct": 100.0, "passed_pct": 100.0}));
    let r2 = row(m2);
    assert_eq!(
        (r2["reviews"].clone(), r2["cells"][2].clone()),
        (json!(1), json!({"key": "questions", "reviews": 1, "score_pct": 100.0, "passed_pct": 100.0}))
    );
    // A manager sees only their own row.
    let (_, own) = app.get(&app.t.manager1, "/api/v1/reviews/report?from=2026-W47&to=2026-W47").await;
    let ids: Vec<i64> = own["data"]["manager_criteria"].as_array().unwrap().iter().map(|r| r["manager_id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [m1]);

    // The table alone as CSV: the manager, their calls, then score, full marks and calls per criterion.
    let (s, ctype, csv) = download(&app, &app.t.head, "/api/v1/reviews/report?from=2026-W47&to=2026-W47&by=criterion&format=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    let csv = String::from_utf8(csv).unwrap();
    let mut lines = csv.lines();
    let head = lines.next().unwrap();
    assert!(
        head.contains(
            "Менеджер,Звонков,\"Поздоровался, назвал себя и компанию: оценка, %\",\"Поздоровался, назвал себя и компанию: на максимум, %\""
        ),
        "{head}"
    );
    let name1 = r1["manager_name"].as_str().unwrap();
    let line1 = lines.clone().find(|l| l.starts_with(name1)).unwrap_or_else(|| panic!("{csv}"));
    assert!(line1.starts_with(&format!("{name1},2,75.0,50.0,2,100.0,100.0,2,25.0,0.0,2,")), "{line1}");
    // As a workbook of that one sheet; and the whole report's workbook has it as a sheet too.
    use calamine::{Reader, Xlsx};
    let (s, _, bytes) = download(&app, &app.t.head, "/api/v1/reviews/report?from=2026-W47&to=2026-W47&by=criterion&format=xlsx").await;
    assert_eq!(s, StatusCode::OK);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["Менеджеры × критерии"]);
    let range = book.worksheet_range("Менеджеры × критерии").unwrap();
    assert_eq!((range.height(), range.width()), (3, 2 + 3 * 10), "a header and two managers");
    let (_, _, bytes) = download(&app, &app.t.head, "/api/v1/reviews/report?from=2026-W47&to=2026-W47&format=xlsx").await;
    let book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert!(book.sheet_names().contains(&"Менеджеры × критерии".to_string()), "{:?}", book.sheet_names());
    let (s, v) = app.get(&app.t.head, "/api/v1/reviews/report?by=stage").await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("by")), "{v}");

    // The page: the table scrolls sideways, each cell with its score, full marks and count.
    let (_, me) = app.get(&app.t.head, "/api/v1/me").await;
    let head = app.ui_login(me["data"]["user"]["id"].as_i64().unwrap(), "head@a.test").await;
    let (s, page) = head.get("/reviews/report?from=2026-W47&to=2026-W47").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"reviews-manager-criteria\"") && page.contains("team-scroll"), "{page}");
    assert!(page.contains("Задал открытые вопросы о задаче клиента</th>"), "{page}");
    assert!(page.contains("75 %<br><span class=\"muted small nowrap\">✓ 50 % · 2</span>"), "{page}");
    assert!(page.contains("by=criterion&#38;format=xlsx"), "{page}");
}

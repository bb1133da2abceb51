//! Sales plans and the plan-fact report over a hand-built department on Monday 23 November 2026
//! (12:00 Moscow time), with 4 November a holiday: November has 20 working days, 15 of them
//! passed by the 23rd inclusive, so the run-rate forecast is the fact × 20 ÷ 15. Every figure is
//! computed by hand. Also: the API's refusals (a bad period, an unknown user, a negative value, a
//! duplicate, a manager writing), what a manager reads, a quarter, and the import of a plan sheet
//! built as XLSX (a dry run, then for real) and as CSV.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    plans_are_checked_and_read_by_role,
    plan_fact_counts_fulfilment_and_the_run_rate_by_hand,
    a_plan_sheet_is_previewed_then_imported,
    the_plans_pages_save_only_what_changed_and_explain_refusals,
);

const NOV: &str = "from=2026-11-01&to=2026-11-30";

/// Makes 4 November a holiday (Monday to Friday, 09:00–18:00).
pub async fn holiday(app: &TestApp) {
    let hours = json!({"business_hours": {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "holidays": ["2026-11-04"]}});
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", hours).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// A plan set by the head; its id.
pub async fn plan(app: &TestApp, target: (&str, i64), period: &str, metric: &str, value: i64) -> i64 {
    let body = json!({target.0: target.1, "period": period, "metric": metric, "value": value});
    let (s, v) = app.post(&app.t.head, "/api/v1/plans", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"]["id"].as_i64().unwrap()
}

/// A deal of `owner` worth `value`, won now (or lost, or left open).
pub async fn deal(app: &TestApp, owner: i64, value: i64, status: &str) -> i64 {
    let id = app.create(&app.t.admin, "deals", json!({"title": format!("Сделка {value}"), "owner_id": owner, "value": value})).await;
    let body = match status {
        "won" => json!({"status": "won"}),
        "lost" => json!({"status": "lost", "lost_reason": "Дорого", "close_comment": "—"}),
        _ => return id,
    };
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    id
}

async fn team_id(app: &TestApp, name: &str) -> i64 {
    let teams = app.all_records(&app.t.admin, "teams", "", 1).await;
    teams.iter().find(|t| t["name"] == name).and_then(|t| t["id"].as_i64()).unwrap()
}

async fn plans_are_checked_and_read_by_role(app: TestApp) {
    let (m1, m2, m3) = (app.ids.manager1, app.ids.manager2, app.ids.manager3);
    let (centre, kazan) = (team_id(&app, "Центр").await, team_id(&app, "Казань").await);
    let p1 = plan(&app, ("user_id", m1), "2026-11", "revenue", 1_000_000).await;
    plan(&app, ("user_id", m2), "2026-11", "calls", 120).await;
    plan(&app, ("user_id", m3), "2026-11", "revenue", 500_000).await;
    plan(&app, ("team_id", kazan), "2026-Q4", "invoices", 30).await;
    let pc = plan(&app, ("team_id", centre), "2026-11", "won_deals", 7).await;
    let h = &app.t.head;

    // Refusals, each naming its field.
    let a = &app;
    let post = |body: Value| async move { a.post(&a.t.head, "/api/v1/plans", body).await };
    let r = post(json!({"user_id": m1, "period": "2026-13", "metric": "revenue", "value": 1})).await;
    assert_error(&r, 422, "validation", Some("period"));
    assert_eq!(r.1["error"]["message_code"], "plan_period_shape");
    assert_error(
        &post(json!({"user_id": m1, "period": "ноябрь", "metric": "revenue", "value": 1})).await,
        422,
        "validation",
        Some("period"),
    );
    let r = post(json!({"user_id": 999_999, "period": "2026-11", "metric": "calls", "value": 1})).await;
    assert_error(&r, 422, "validation", Some("user_id"));
    assert_eq!(r.1["error"]["args"]["id"], 999_999);
    // Another workspace's user is unknown here.
    let (s, other) = app.get(&app.t.other_admin, "/api/v1/me").await;
    assert_eq!(s, StatusCode::OK);
    let stranger = other["data"]["user"]["id"].as_i64().unwrap();
    assert_error(
        &post(json!({"user_id": stranger, "period": "2026-11", "metric": "calls", "value": 1})).await,
        422,
        "validation",
        Some("user_id"),
    );
    assert_error(
        &post(json!({"team_id": 999_999, "period": "2026-11", "metric": "calls", "value": 1})).await,
        422,
        "validation",
        Some("team_id"),
    );
    let r = post(json!({"user_id": m1, "period": "2026-11", "metric": "calls", "value": -5})).await;
    assert_error(&r, 422, "validation", Some("value"));
    assert_eq!(r.1["error"]["message_code"], "plan_value_shape");
    assert_error(
        &post(json!({"user_id": m1, "period": "2026-11", "metric": "calls", "value": 2.5})).await,
        422,
        "validation",
        Some("value"),
    );
    assert_error(
        &post(json!({"user_id": m1, "period": "2026-11", "metric": "visits", "value": 1})).await,
        422,
        "validation",
        Some("metric"),
    );
    assert_error(
        &post(json!({"user_id": m1, "team_id": centre, "period": "2026-11", "metric": "calls", "value": 1})).await,
        422,
        "validation",
        Some("team_id"),
    );
    assert_error(&post(json!({"period": "2026-11", "metric": "calls", "value": 1})).await, 422, "validation", Some("user_id"));
    assert_error(&post(json!({"user_id": m1, "period": "2026-11", "metric": "calls"})).await, 422, "validation", Some("value"));
    // The same target, period and metric again: a conflict naming the plan there is.
    let r = post(json!({"user_id": m1, "period": "2026-11", "metric": "revenue", "value": 5})).await;
    assert_error(&r, 409, "conflict", Some("period"));
    assert_eq!((r.1["error"]["message_code"].as_str(), r.1["error"]["args"]["id"].as_i64()), (Some("plan_exists"), Some(p1)));
    // The same metric for another month, or for the quarter, is another plan.
    plan(&app, ("user_id", m1), "2026-12", "revenue", 1_100_000).await;
    // Managers and analysts read; they do not write.
    let body = json!({"user_id": m1, "period": "2027-01", "metric": "calls", "value": 1});
    assert_error(&app.post(&app.t.manager1, "/api/v1/plans", body.clone()).await, 403, "forbidden", None);
    assert_error(&app.post(&app.t.analyst, "/api/v1/plans", body).await, 403, "forbidden", None);
    assert_error(&app.patch(&app.t.manager1, &format!("/api/v1/plans/{p1}"), json!({"value": 1})).await, 403, "forbidden", None);
    assert_error(&app.delete(&app.t.manager1, &format!("/api/v1/plans/{p1}")).await, 403, "forbidden", None);

    // A change of value, guarded by the version read; nothing else changes.
    let resp = app.client.get(format!("{}/api/v1/plans/{p1}", app.base)).bearer_auth(h).send().await.unwrap();
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let (s, v) = app.patch(h, &format!("/api/v1/plans/{p1}"), json!({"value": 1_200_000})).await;
    assert_eq!((s, v["data"]["value"].as_i64(), v["data"]["version"].as_i64()), (StatusCode::OK, Some(1_200_000), Some(2)), "{v}");
    let stale = app
        .client
        .patch(format!("{}/api/v1/plans/{p1}", app.base))
        .bearer_auth(h)
        .header("If-Match", "\"1\"")
        .json(&json!({"value": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_error(&app.patch(h, &format!("/api/v1/plans/{p1}"), json!({"period": "2026-12"})).await, 422, "validation", Some("period"));
    assert_error(&app.patch(h, &format!("/api/v1/plans/{p1}"), json!({"value": -1})).await, 422, "validation", Some("value"));
    let (s, hist) = app.get(h, &format!("/api/v1/plans/{p1}")).await;
    assert_eq!((s, hist["data"]["value"].as_i64()), (StatusCode::OK, Some(1_200_000)));

    // The list and its filters.
    let ids = |v: &Value| -> Vec<i64> { v["data"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect() };
    let (_, all) = app.get(h, "/api/v1/plans").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 6);
    let (_, nov) = app.get(h, "/api/v1/plans?period=2026-11").await;
    assert_eq!(nov["data"].as_array().unwrap().len(), 4);
    let (_, mine) = app.get(h, &format!("/api/v1/plans?user_id={m1}")).await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 2);
    // A team's own plans and its members'.
    let (_, team) = app.get(h, &format!("/api/v1/plans?team_id={centre}&period=2026-11")).await;
    assert_eq!(team["data"].as_array().unwrap().len(), 3, "{team}");
    let (_, page) = app.get(h, "/api/v1/plans?limit=4").await;
    let next = page["next_cursor"].as_str().unwrap().to_string();
    let (_, rest) = app.get(h, &format!("/api/v1/plans?limit=4&cursor={next}")).await;
    assert_eq!(ids(&page).len() + ids(&rest).len(), 6);
    assert_error(&app.get(h, "/api/v1/plans?period=2026-11-01").await, 422, "validation", Some("period"));
    assert_error(&app.get(h, "/api/v1/plans?owner=1").await, 422, "validation", Some("owner"));

    // A manager reads their own, their team-mates' and their team's plans: m1 and m2 are in
    // «Центр», m3 in «Казань».
    let (_, seen) = app.get(&app.t.manager1, "/api/v1/plans?period=2026-11").await;
    let mut targets: Vec<(Value, Value)> =
        seen["data"].as_array().unwrap().iter().map(|p| (p["user_id"].clone(), p["team_id"].clone())).collect();
    targets.sort_by_key(|t| t.0.to_string() + &t.1.to_string());
    assert_eq!(targets.len(), 3, "{seen}");
    assert!(
        targets.contains(&(json!(m1), Value::Null))
            && targets.contains(&(json!(m2), Value::Null))
            && targets.contains(&(Value::Null, json!(centre)))
    );
    assert_eq!(app.get(&app.t.manager3, &format!("/api/v1/plans/{p1}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&app.t.other_admin, &format!("/api/v1/plans/{p1}")).await.0, StatusCode::NOT_FOUND);
    let (_, analyst) = app.get(&app.t.analyst, "/api/v1/plans").await;
    assert_eq!(analyst["data"].as_array().unwrap().len(), 6);

    // Removed, and gone.
    assert_eq!(app.delete(h, &format!("/api/v1/plans/{pc}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(h, &format!("/api/v1/plans/{pc}")).await.0, StatusCode::NOT_FOUND);
    // Every change is in the history.
    use sea_orm::{ConnectionTrait, Statement};
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    let sql = "SELECT action FROM history WHERE entity = 'plan' ORDER BY id".to_string();
    let rows = conn.query_all(Statement::from_string(conn.get_database_backend(), sql)).await.unwrap();
    conn.close().await.unwrap();
    let actions: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "action").unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| *a == "create").count(), 6);
    assert_eq!(actions[6..], ["update".to_string(), "delete".to_string()]);
}

fn figures(v: &Value, metric: &str) -> (Value, Value, Value, Value, Value) {
    let f = &v["metrics"][metric];
    (f["plan"].clone(), f["fact"].clone(), f["fulfilment"].clone(), f["projection"].clone(), f["projected_fulfilment"].clone())
}

fn by<'a>(d: &'a Value, list: &str, key: &str, id: i64) -> &'a Value {
    d[list].as_array().unwrap().iter().find(|r| r[key] == id).unwrap_or_else(|| panic!("no {key} {id} in {d}"))
}

async fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, v) = app.get(token, &format!("/api/v1/reports/plan_fact?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["data"].clone()
}

/// The department: m1 and m2 in «Центр», m3 in «Казань».
///
/// | plan (November) | revenue | won deals | calls |
/// |---|---|---|---|
/// | m1 | 1 000 000 | 4 | 100 |
/// | m2 | 800 000 | 3 | |
/// | m3 | 500 000 | | |
/// | «Казань» | 600 000 | | |
///
/// Won in November: m1 450 000 and 300 000; m2 480 000; m3 150 000. Not counted: m2's lost deal,
/// m1's open one, m1's deal won in October.
async fn plan_fact_counts_fulfilment_and_the_run_rate_by_hand(app: TestApp) {
    holiday(&app).await;
    let (m1, m2, m3) = (app.ids.manager1, app.ids.manager2, app.ids.manager3);
    let (centre, kazan) = (team_id(&app, "Центр").await, team_id(&app, "Казань").await);
    // An October sale: 30 days back, then forward again.
    app.clock.advance(time::Duration::days(-30));
    deal(&app, m1, 999_000, "won").await;
    app.clock.advance(time::Duration::days(30));
    let mut open = 0;
    for (owner, value, status) in
        [(m1, 450_000, "won"), (m1, 300_000, "won"), (m2, 480_000, "won"), (m3, 150_000, "won"), (m2, 70_000, "lost"), (m1, 80_000, "open")]
    {
        open = deal(&app, owner, value, status).await;
    }
    // m1's outgoing calls: three in November (one unanswered still counts), one in October, and
    // an incoming one that does not.
    for (dir, outcome, at) in [
        ("outbound", "answered", "2026-11-02T10:00:00Z"),
        ("outbound", "missed", "2026-11-20T10:00:00Z"),
        ("outbound", "answered", "2026-11-23T08:00:00Z"),
        ("outbound", "answered", "2026-10-30T10:00:00Z"),
        ("inbound", "answered", "2026-11-10T10:00:00Z"),
    ] {
        let body = json!({"type": "call", "subject": "Звонок", "done": true, "due_at": at, "owner_id": m1, "deal_id": open,
                          "call_direction": dir, "call_outcome": outcome});
        app.create(&app.t.admin, "activities", body).await;
    }
    // No plans yet: an explained empty report, not zeros.
    let d = report(&app, &app.t.head, NOV).await;
    assert_eq!(d["metrics"], json!([]));
    for (target, metric, value) in [
        (("user_id", m1), "revenue", 1_000_000),
        (("user_id", m2), "revenue", 800_000),
        (("user_id", m3), "revenue", 500_000),
        (("team_id", kazan), "revenue", 600_000),
        (("user_id", m1), "won_deals", 4),
        (("user_id", m2), "won_deals", 3),
        (("user_id", m1), "calls", 100),
    ] {
        plan(&app, target, "2026-11", metric, value).await;
    }

    let d = report(&app, &app.t.head, NOV).await;
    assert_eq!(d["plan_period"], "2026-11");
    assert_eq!(d["working_days"], json!({"total": 20, "elapsed": 15, "as_of": "2026-11-23"}));
    assert_eq!(d["metrics"], json!(["revenue", "won_deals", "calls"]));
    // m1: 750 000 of 1 000 000 = 75 %; at its pace 750 000 × 20 ÷ 15 = 1 000 000, 100 %.
    let r1 = by(&d, "managers", "user_id", m1);
    assert_eq!(figures(r1, "revenue"), (json!(1_000_000), json!(750_000), json!(0.75), json!(1_000_000), json!(1.0)));
    // 2 of 4 won; 2 × 20 ÷ 15 = 2.67, so 3 by the end: 75 %.
    assert_eq!(figures(r1, "won_deals"), (json!(4), json!(2), json!(0.5), json!(3), json!(0.75)));
    // 3 outgoing calls of 100; 3 × 20 ÷ 15 = 4 by the end.
    assert_eq!(figures(r1, "calls"), (json!(100), json!(3), json!(0.03), json!(4), json!(0.04)));
    // m2: 480 000 of 800 000 = 60 %; 640 000 by the end, 80 %. 1 of 3 won; 1.33 → 1.
    let r2 = by(&d, "managers", "user_id", m2);
    assert_eq!(figures(r2, "revenue"), (json!(800_000), json!(480_000), json!(0.6), json!(640_000), json!(0.8)));
    assert_eq!(figures(r2, "won_deals"), (json!(3), json!(1), json!(0.3333), json!(1), json!(0.3333)));
    // m3: 150 000 of 500 000 = 30 %; 200 000, 40 %. No won-deals plan, one won.
    let r3 = by(&d, "managers", "user_id", m3);
    assert_eq!(figures(r3, "revenue"), (json!(500_000), json!(150_000), json!(0.3), json!(200_000), json!(0.4)));
    assert_eq!(figures(r3, "won_deals"), (Value::Null, json!(1), Value::Null, json!(1), Value::Null));
    // «Центр» has no plan of its own: its members' 1 800 000; 1 230 000 = 68.33 %; 1 640 000, 91.11 %.
    let c = by(&d, "teams", "team_id", centre);
    assert_eq!(figures(c, "revenue"), (json!(1_800_000), json!(1_230_000), json!(0.6833), json!(1_640_000), json!(0.9111)));
    assert_eq!(figures(c, "won_deals"), (json!(7), json!(3), json!(0.4286), json!(4), json!(0.5714)));
    // «Казань» has its own 600 000, which stands for m3's 500 000: 150 000 = 25 %; 200 000, 33.33 %.
    let k = by(&d, "teams", "team_id", kazan);
    assert_eq!(figures(k, "revenue"), (json!(600_000), json!(150_000), json!(0.25), json!(200_000), json!(0.3333)));
    // The department: 1 800 000 + 600 000 = 2 400 000; 1 380 000 = 57.5 %; 1 840 000, 76.67 %.
    // Won: 7 planned, 4 won (m3's too), 5.33 → 5.
    assert_eq!(figures(&d["total"], "revenue"), (json!(2_400_000), json!(1_380_000), json!(0.575), json!(1_840_000), json!(0.7667)));
    assert_eq!(figures(&d["total"], "won_deals"), (json!(7), json!(4), json!(0.5714), json!(5), json!(0.7143)));
    assert_eq!(figures(&d["total"], "calls"), (json!(100), json!(3), json!(0.03), json!(4), json!(0.04)));

    // Narrowed to a team and to a manager.
    let d = report(&app, &app.t.head, &format!("{NOV}&team_id={centre}")).await;
    assert_eq!((d["managers"].as_array().unwrap().len(), d["teams"].as_array().unwrap().len()), (2, 1));
    assert_eq!(figures(&d["total"], "revenue").1, json!(1_230_000));
    let d = report(&app, &app.t.head, &format!("{NOV}&owner_id={m2}")).await;
    assert_eq!((d["managers"].as_array().unwrap().len(), d["teams"].as_array().unwrap().len()), (1, 0));
    assert_eq!(figures(&d["total"], "revenue"), figures(by(&d, "managers", "user_id", m2), "revenue"));

    // A manager sees their own row only (the workspace shows managers their own deals).
    let d = report(&app, &app.t.manager1, NOV).await;
    assert_eq!(d["managers"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["teams"], json!([]));
    assert_eq!(figures(&d["total"], "revenue"), (json!(1_000_000), json!(750_000), json!(0.75), json!(1_000_000), json!(1.0)));

    // The quarter: m1's own quarter plan; m2's October and November plans add up to 1 500 000.
    plan(&app, ("user_id", m1), "2026-Q4", "revenue", 3_000_000).await;
    plan(&app, ("user_id", m2), "2026-10", "revenue", 700_000).await;
    let d = report(&app, &app.t.head, "from=2026-10-01&to=2026-12-31").await;
    assert_eq!(d["plan_period"], "2026-Q4");
    // October 22 working days, November 20, December 23; by the 23rd of November 22 + 15.
    assert_eq!(d["working_days"], json!({"total": 65, "elapsed": 37, "as_of": "2026-11-23"}));
    // m1 won 999 000 in October too: 1 749 000 of 3 000 000 = 58.3 %; × 65 ÷ 37 = 3 072 568, 102.42 %.
    let r1 = by(&d, "managers", "user_id", m1);
    assert_eq!(figures(r1, "revenue"), (json!(3_000_000), json!(1_749_000), json!(0.583), json!(3_072_568), json!(1.0242)));
    assert_eq!(figures(by(&d, "managers", "user_id", m2), "revenue").0, json!(1_500_000));

    // The CSV: a row per manager, team and the total.
    let resp =
        app.client.get(format!("{}/api/v1/reports/plan_fact?{NOV}&format=csv", app.base)).bearer_auth(&app.t.head).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 1 + 3 + 2 + 1, "{csv}");
    assert!(lines[0].starts_with("Кто,Выручка: План,Выручка: Факт,Выручка: Выполнение,Выручка: Прогноз"), "{}", lines[0]);
    let m1_line = lines.iter().find(|l| l.starts_with("m1,")).unwrap();
    assert!(m1_line.starts_with("m1,10000.00,7500.00,75.0,10000.00,100.0,4,2,50.0,3,75.0,100,3,3.0,4,4.0"), "{m1_line}");

    // Not a month or a quarter; a period in the future has no forecast yet.
    assert_error(&app.get(&app.t.head, "/api/v1/reports/plan_fact?from=2026-11-02&to=2026-11-30").await, 422, "validation", Some("from"));
    plan(&app, ("user_id", m1), "2026-12", "revenue", 1_000_000).await;
    let d = report(&app, &app.t.head, "from=2026-12-01&to=2026-12-31").await;
    assert_eq!(d["working_days"]["elapsed"], 0);
    assert_eq!(figures(by(&d, "managers", "user_id", m1), "revenue"), (json!(1_000_000), json!(0), json!(0.0), Value::Null, Value::Null));
}

/// A plan sheet as a head keeps one: a title, then the manager by name or e-mail, the period and
/// the metrics, revenue in roubles.
fn sheet(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "План продаж").unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 2, c as u16);
            match cell.parse::<f64>() {
                Ok(n) => ws.write_number(r, c, n).unwrap(),
                Err(_) => ws.write_string(r, c, *cell).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

async fn import(app: &TestApp, token: &str, query: &str, body: Vec<u8>, ctype: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}/api/v1/plans/import{query}", app.base))
        .bearer_auth(token)
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    let s = resp.status();
    (s, resp.json().await.unwrap())
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn a_plan_sheet_is_previewed_then_imported(app: TestApp) {
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    plan(&app, ("user_id", m1), "2026-11", "revenue", 1_000_000).await;
    plan(&app, ("user_id", m1), "2026-11", "calls", 100).await;
    let file = sheet(&[
        &["Менеджер", "Период", "Выручка, ₽", "Сделки", "Звонки"],
        // m1: revenue 12 000 ₽ (1 200 000 kopecks, changed), calls 100 (unchanged), 5 won deals (new).
        &["m1", "ноябрь 2026", "12000", "5", "100"],
        // m2 by e-mail, by the quarter: 40 000 ₽.
        &["m2@a.test", "2026-Q4", "40000", "", ""],
        &["Пётр Иванов", "2026-11", "1000", "", ""],
        &["m3", "2026-11", "-5", "", ""],
        &["m3", "сентябрь", "5", "", ""],
    ]);
    // A manager may not import.
    assert_error(&import(&app, &app.t.manager1, "", file.clone(), XLSX).await, 403, "forbidden", None);

    // The preview: what each row would do, the refused rows, and nothing stored.
    let (s, v) = import(&app, &app.t.head, "?dry_run=true", file.clone(), XLSX).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["data"];
    assert_eq!((r["dry_run"].as_bool(), r["rows"].as_i64()), (Some(true), Some(5)));
    assert_eq!((r["created"].as_i64(), r["updated"].as_i64(), r["unchanged"].as_i64()), (Some(2), Some(1), Some(1)), "{r}");
    assert_eq!(
        r["lines"][0]["cells"],
        json!([
            {"metric": "revenue", "value": 1_200_000, "action": "updated"},
            {"metric": "won_deals", "value": 5, "action": "created"},
            {"metric": "calls", "value": 100, "action": "unchanged"},
        ])
    );
    assert_eq!((r["lines"][1]["user_id"].as_i64(), r["lines"][1]["period"].as_str()), (Some(m2), Some("2026-Q4")));
    let errors: Vec<(i64, &str, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["column"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, vec![(6, "Менеджер", "unknown_manager"), (7, "Выручка, ₽", "negative"), (8, "Период", "bad_period")]);
    let (_, before) = app.get(&app.t.head, "/api/v1/plans").await;
    assert_eq!(before["data"].as_array().unwrap().len(), 2);

    // Applied: the same figures, stored.
    let (s, v) = import(&app, &app.t.head, "", file.clone(), XLSX).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["data"]["created"].as_i64(), v["data"]["updated"].as_i64()), (Some(2), Some(1)));
    let (_, nov) = app.get(&app.t.head, &format!("/api/v1/plans?user_id={m1}&period=2026-11")).await;
    let mut got: Vec<(String, i64)> =
        nov["data"].as_array().unwrap().iter().map(|p| (p["metric"].as_str().unwrap().to_string(), p["value"].as_i64().unwrap())).collect();
    got.sort();
    assert_eq!(got, vec![("calls".into(), 100), ("revenue".into(), 1_200_000), ("won_deals".into(), 5)]);
    let (_, q) = app.get(&app.t.head, &format!("/api/v1/plans?user_id={m2}&period=2026-Q4")).await;
    assert_eq!(q["data"][0]["value"], 4_000_000);
    // Again: nothing changes.
    let (_, v) = import(&app, &app.t.head, "", file, XLSX).await;
    assert_eq!(
        (v["data"]["created"].as_i64(), v["data"]["updated"].as_i64(), v["data"]["unchanged"].as_i64()),
        (Some(0), Some(0), Some(4))
    );

    // CSV without a period column takes the period given.
    let csv = "E-mail;Calls;Invoices\r\nm2@a.test;60;4\r\n".as_bytes().to_vec();
    assert_error(&import(&app, &app.t.head, "", csv.clone(), "text/csv").await, 422, "validation", Some("period"));
    let (s, v) = import(&app, &app.t.head, "?period=2026-12", csv, "text/csv").await;
    assert_eq!((s, v["data"]["created"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
    let (_, dec) = app.get(&app.t.head, &format!("/api/v1/plans?user_id={m2}&period=2026-12&metric=invoices")).await;
    assert_eq!(dec["data"][0]["value"], 4);
    // A sheet without the manager column is refused whole, naming it.
    let bad = "Сумма;Звонки\r\n1;2\r\n".as_bytes().to_vec();
    assert_error(&import(&app, &app.t.head, "?period=2026-12", bad, "text/csv").await, 422, "validation", Some("manager"));
    assert_error(&import(&app, &app.t.head, "?period=2026-13", Vec::new(), "text/csv").await, 422, "validation", Some("period"));
}

/// The pages as a head and a manager get them: the grid saved by a form post (only the changed
/// cells), a refused cell, a manager's read-only grid and refused save, plan vs fact's empty state
/// and its refusal of a period that is not a month or a quarter, at the field.
async fn the_plans_pages_save_only_what_changed_and_explain_refusals(app: TestApp) {
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    let (_, me) = app.get(&app.t.head, "/api/v1/me").await;
    let head = app.ui_login(me["data"]["user"]["id"].as_i64().unwrap(), "head@a.test").await;
    let (s, page) = head.get("/reports/plan_fact").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"report-empty\"") && page.contains("На этот период планов нет"), "the empty state");
    let (s, page) = head.get("/reports/plan_fact?from=2026-11-02&to=2026-11-30").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-field=\"from\"") && page.contains("целый календарный месяц или квартал"), "the refusal at the field");

    let (s, page) = head.get("/plans?period=2026-11").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&format!("name=\"u{m1}.revenue\"")) && page.contains("Ноябрь 2026"));
    // m1's revenue typed in roubles; m2's calls left as shown (empty), so not written.
    let name = format!("u{m1}.revenue");
    let shown = format!("shown:{name}");
    let calls = format!("u{m2}.calls");
    let shown_calls = format!("shown:{calls}");
    let form =
        [("period", "2026-11"), (name.as_str(), "12 000,50"), (shown.as_str(), ""), (calls.as_str(), ""), (shown_calls.as_str(), "")];
    let (s, body) = head.post_form("/plans", &form).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("id=\"plans-saved\"") && body.contains("новых 1"), "{body}");
    let (_, v) = app.get(&app.t.head, &format!("/api/v1/plans?user_id={m1}")).await;
    assert_eq!((v["data"].as_array().unwrap().len(), v["data"][0]["value"].as_i64()), (1, Some(1_200_050)));
    // Another head changed it meanwhile: a form shown with the old value and not touched there
    // leaves their change alone.
    let id = v["data"][0]["id"].as_i64().unwrap();
    app.patch(&app.t.head, &format!("/api/v1/plans/{id}"), json!({"value": 1_300_000})).await;
    let form = [("period", "2026-11"), (name.as_str(), "12 000,50"), (shown.as_str(), "12 000,50")];
    let (_, body) = head.post_form("/plans", &form).await;
    assert!(body.contains("Ничего не изменилось"), "{body}");
    let (_, v) = app.get(&app.t.head, &format!("/api/v1/plans/{id}")).await;
    assert_eq!(v["data"]["value"], 1_300_000);
    // A cell that does not read: marked, named, nothing saved.
    let form = [("period", "2026-11"), (name.as_str(), ""), (shown.as_str(), "13 000"), (calls.as_str(), "-4"), (shown_calls.as_str(), "")];
    let (s, body) = head.post_form("/plans", &form).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("aria-invalid=\"true\"") && body.contains("m2 — Исходящие звонки: «-4»"), "{body}");
    let (_, v) = app.get(&app.t.head, &format!("/api/v1/plans/{id}")).await;
    assert_eq!(v["data"]["value"], 1_300_000, "nothing saved");

    // A manager reads the grid without inputs and may not save it.
    let manager = app.ui_login(m1, "m1@a.test").await;
    let (s, page) = manager.get("/plans?period=2026-11").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains("<input type=\"text\"") && page.contains("13\u{a0}000"), "read-only");
    let (s, _) = manager.post_form("/plans", &[("period", "2026-11"), (name.as_str(), "1"), (shown.as_str(), "")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, page) = manager.get("/plans?period=когда-нибудь").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"plans-period-error\""), "a bad period is explained");
}

//! The team (issue 22): work schedules, who is on shift, routing that respects them, and client
//! release that skips people on vacation. The fixed clock is Monday 2026-11-23 09:00 UTC, 12:00
//! in the workspace's Moscow time.
use crate::helpers::TestApp;
use crate::intake::{call, source, work};
use poryadok_core::Clock;
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::Duration;

crate::both_dbs!(
    a_schedule_is_set_checked_and_read_with_its_exceptions,
    routing_goes_to_the_owner_on_shift_else_a_colleague_else_the_head,
    a_missed_call_callback_goes_to_a_colleague_on_shift,
    release_skips_a_manager_on_vacation,
);

/// A refusal: its status, message code and field.
pub fn refused(resp: &(StatusCode, Value), status: u16, message_code: &str, field: Option<&str>) {
    let (s, v) = resp;
    assert_eq!(s.as_u16(), status, "status of {v}");
    assert_eq!(v["error"]["message_code"], message_code, "code of {v}");
    assert_eq!(v["error"]["field"].as_str(), field, "field of {v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "message of {v}");
}

fn weekdays(start: &str, end: &str) -> Value {
    json!({"shifts": (1..=5).map(|d| json!({"day": d, "start": start, "end": end})).collect::<Vec<_>>()})
}

async fn put(app: &TestApp, user: i64, body: Value) -> (StatusCode, Value) {
    app.call(reqwest::Method::PUT, &app.t.admin, &format!("/api/v1/users/{user}/schedule"), Some(body)).await
}

async fn vacation(app: &TestApp, user: i64, from: &str, to: &str) -> i64 {
    let (s, v) = app
        .post(&app.t.head, &format!("/api/v1/users/{user}/schedule/exceptions"), json!({"kind": "vacation", "from": from, "to": to}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"]["id"].as_i64().unwrap()
}

fn on_shift_ids(v: &Value) -> Vec<i64> {
    v["on_shift"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

async fn a_schedule_is_set_checked_and_read_with_its_exceptions(app: TestApp) {
    let m1 = app.ids.manager1;
    // Without a pattern the workspace's business hours apply.
    let (s, v) = app.get(&app.t.manager2, &format!("/api/v1/users/{m1}/schedule")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["data"]["business_hours"].as_bool(), v["data"]["version"].as_i64()), (Some(true), Some(0)));

    // Overlapping shifts are refused with the weekday named.
    let overlap = json!({"shifts": [{"day": 2, "start": "09:00", "end": "13:00"}, {"day": 2, "start": "12:30", "end": "18:00"}]});
    let r = put(&app, m1, overlap).await;
    refused(&r, 422, "schedule_shift_overlap", Some("shifts"));
    assert_eq!(r.1["error"]["args"]["day"], 2, "{}", r.1);
    refused(
        &put(&app, m1, json!({"shifts": [{"day": 9, "start": "09:00", "end": "13:00"}]})).await,
        422,
        "schedule_shift_day",
        Some("shifts.0.day"),
    );
    let forbidden =
        app.call(reqwest::Method::PUT, &app.t.manager1, &format!("/api/v1/users/{m1}/schedule"), Some(weekdays("09:00", "18:00"))).await;
    refused(&forbidden, 403, "schedule_heads_only", None);

    // An evening shift: not on shift at 12:00 Moscow time, next at 14:00.
    let (s, v) = put(&app, m1, weekdays("14:00", "22:00")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["version"], 1);
    assert_eq!(v["data"]["on_shift"], false);
    assert_eq!(v["data"]["next_on_shift"], "2026-11-23T11:00:00.000Z");
    let (s, v) = put(&app, m1, weekdays("09:00", "18:00")).await;
    assert_eq!((s, v["data"]["on_shift"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    // A stale version is refused.
    let stale = app
        .client
        .put(format!("{}/api/v1/users/{m1}/schedule", app.base))
        .bearer_auth(&app.t.admin)
        .header("if-match", "\"1\"")
        .json(&weekdays("09:00", "18:00"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);

    let (_, team) = app.get(&app.t.manager3, "/api/v1/team/on_shift").await;
    assert!(on_shift_ids(&team).contains(&m1), "{team}");
    // A vacation today takes them off shift; its removal puts them back.
    let vac = vacation(&app, m1, "2026-11-23", "2026-11-27").await;
    let (_, team) = app.get(&app.t.manager3, "/api/v1/team/on_shift").await;
    assert!(!on_shift_ids(&team).contains(&m1), "{team}");
    let me = team["data"].as_array().unwrap().iter().find(|m| m["user_id"] == m1).unwrap();
    assert_eq!(me["absent"], "vacation");
    assert_eq!(me["next_on_shift"], "2026-11-30T06:00:00.000Z", "back on Monday 09:00 Moscow time");
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/users/{m1}/schedule")).await;
    assert_eq!(v["data"]["exceptions"][0]["kind"], "vacation");
    // The team calendar of the week shows the vacation on each weekday.
    let (s, cal) = app.get(&app.t.head, "/api/v1/team/calendar?week=2026-11-25").await;
    assert_eq!(s, StatusCode::OK, "{cal}");
    assert_eq!(cal["data"]["from"], "2026-11-23");
    let row = cal["data"]["rows"].as_array().unwrap().iter().find(|r| r["user_id"] == m1).unwrap();
    assert_eq!(row["days"][0]["absent"], "vacation");
    assert_eq!(row["days"][5]["absent"], Value::Null);
    let (s, _) = app.delete(&app.t.admin, &format!("/api/v1/users/{m1}/schedule/exceptions/{vac}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, team) = app.get(&app.t.manager3, "/api/v1/team/on_shift").await;
    assert!(on_shift_ids(&team).contains(&m1), "{team}");

    // Bad exceptions.
    let bad = |body: Value| {
        let app = &app;
        async move { app.post(&app.t.admin, &format!("/api/v1/users/{m1}/schedule/exceptions"), body).await }
    };
    refused(&bad(json!({"kind": "holiday", "from": "2026-12-01"})).await, 422, "schedule_exception_kind", Some("kind"));
    refused(&bad(json!({"kind": "vacation", "from": "2026-12-10", "to": "2026-12-01"})).await, 422, "schedule_exception_dates", Some("to"));
    refused(&bad(json!({"kind": "extra_shift", "from": "2026-12-05"})).await, 422, "schedule_extra_shift_hours", Some("start"));
    // Another workspace's admin does not see this user.
    let (s, _) = app.get(&app.t.other_admin, &format!("/api/v1/users/{m1}/schedule")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn routing(app: &TestApp, phone: &str) -> Value {
    let (s, v) = app.get(&app.t.admin, &format!("/api/v1/routing?phone={}", phone.replace('+', "%2B"))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].clone()
}

async fn routing_goes_to_the_owner_on_shift_else_a_colleague_else_the_head(app: TestApp) {
    let (m1, m2, m3) = (app.ids.manager1, app.ids.manager2, app.ids.manager3);
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/users/{m1}"), json!({"extension": "101"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for u in [m1, m2, m3] {
        assert_eq!(put(&app, u, weekdays("09:00", "18:00")).await.0, StatusCode::OK);
    }
    app.create(&app.t.admin, "persons", json!({"name": "Клиент", "phone": "+79161234567", "owner_id": m1})).await;
    let r = routing(&app, "8 916 123-45-67").await;
    assert_eq!((r["user_id"].as_i64(), r["reason"].as_str()), (Some(m1), Some("route_owner_on_shift")), "{r}");
    assert_eq!((r["extension"].as_str(), r["owner_on_shift"].as_bool()), (Some("101"), Some(true)));

    // The owner on vacation: the colleague on shift of the same team (manager2), not manager3.
    vacation(&app, m1, "2026-11-23", "2026-11-23").await;
    let r = routing(&app, "+79161234567").await;
    assert_eq!((r["user_id"].as_i64(), r["reason"].as_str()), (Some(m2), Some("route_next_on_shift")), "{r}");
    assert_eq!(r["owner_on_shift"], false);

    // Nobody of the team on shift: the head, and the answer says so.
    vacation(&app, m2, "2026-11-20", "2026-11-24").await;
    let head = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    let r = routing(&app, "+79161234567").await;
    assert_eq!((r["user_id"].as_i64(), r["reason"].as_str()), (Some(head), Some("route_head_nobody_on_shift")), "{r}");

    // An unknown number is a new client: the next manager on shift (manager3 is the only one).
    let r = routing(&app, "+79990001122").await;
    assert_eq!((r["user_id"].as_i64(), r["reason"].as_str(), r["person_id"].as_i64()), (Some(m3), Some("route_new_client"), None), "{r}");

    // Tuesday 20:00 Moscow: everyone's shift is over, the vacation too.
    app.clock.advance(Duration::hours(32));
    let r = routing(&app, "+79161234567").await;
    assert_eq!(r["reason"], "route_head_nobody_on_shift", "{r}");
    refused(&app.get(&app.t.admin, "/api/v1/routing?phone=abc").await, 422, "phone", Some("phone"));
    refused(&app.get(&app.t.admin, "/api/v1/routing").await, 422, "required", Some("phone"));
}

async fn a_missed_call_callback_goes_to_a_colleague_on_shift(app: TestApp) {
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    for u in [m1, m2, app.ids.manager3] {
        put(&app, u, weekdays("09:00", "18:00")).await;
    }
    let person = app.create(&app.t.admin, "persons", json!({"name": "Клиент", "phone": "+79161234567", "owner_id": m1})).await;
    vacation(&app, m1, "2026-11-23", "2026-11-23").await;
    let hook = source(&app, "telephony", json!({"preset": "generic"})).await;
    let (s, v) = call(&app, &hook, json!({"call_id": "t-1", "from": "+79161234567", "status": "missed"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    work(&app).await;
    let (_, ev) = app.get(&app.t.admin, &format!("/api/v1/intake/events/{}", v["event_id"])).await;
    let result = &ev["data"]["result"];
    assert_eq!(result["owner_on_shift"], false, "{ev}");
    assert_eq!((result["route_user_id"].as_i64(), result["route_reason"].as_str()), (Some(m2), Some("route_next_on_shift")), "{ev}");
    let tasks = app.all_records(&app.t.admin, "activities", &format!("&person_id={person}&done=false"), 50).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["owner_id"].as_i64(), Some(m2), "the callback goes to the colleague on shift");
    // The client stays the owner's.
    let (_, p) = app.get(&app.t.admin, &format!("/api/v1/persons/{person}")).await;
    assert_eq!(p["data"]["owner_id"].as_i64(), Some(m1));

    // The owner back at work: the next call names them.
    app.clock.advance(Duration::days(1));
    let (_, v) = call(&app, &hook, json!({"call_id": "t-2", "from": "+79161234567", "status": "answered", "duration": 40})).await;
    work(&app).await;
    let (_, ev) = app.get(&app.t.admin, &format!("/api/v1/intake/events/{}", v["event_id"])).await;
    assert_eq!(ev["data"]["result"]["owner_on_shift"], true, "{ev}");
    assert_eq!(ev["data"]["result"]["route_reason"], "route_owner_on_shift");
}

async fn release_skips_a_manager_on_vacation(app: TestApp) {
    let run = |name: &'static str| {
        let app = &app;
        async move {
            let (s, v) = app.post(&app.t.admin, &format!("/api/v1/assistants/{name}/run"), json!({"dry_run": false})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["data"].clone()
        }
    };
    let client = app.create(&app.t.admin, "organizations", json!({"name": "Забытый холдинг", "owner_id": app.ids.manager1})).await;
    app.clock.advance(Duration::days(100));
    let sql = format!("UPDATE organizations SET last_activity_at = $2 - {} WHERE workspace_id = $1 AND id = {client}", 80 * 86_400_000_i64);
    app.db.raw_execute(&[sql], app.ws, app.clock.now_ms()).await.unwrap();
    run("forgotten").await;
    app.clock.advance(Duration::days(15));
    // Round-robin would hand the client to manager2 first; manager2 is on vacation today.
    let today = time::OffsetDateTime::from_unix_timestamp(app.clock.now_ms() / 1000).unwrap().date();
    vacation(&app, app.ids.manager2, &today.to_string(), &(today + Duration::days(3)).to_string()).await;
    let report = run("release").await;
    assert_eq!(report["count"], 1, "{report}");
    let (_, org) = app.get(&app.t.admin, &format!("/api/v1/organizations/{client}")).await;
    assert_eq!(org["data"]["owner_id"].as_i64(), Some(app.ids.manager3), "{org}");
}

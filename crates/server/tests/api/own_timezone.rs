//! A person's own time zone (issue 24): set through `PATCH /api/v1/me` and the profile page,
//! read back from `GET /api/v1/me`, used for the times they read and for their shifts, and the
//! workspace's zone for everyone who has none.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

crate::both_dbs!(a_persons_zone_is_set_refused_when_unknown_and_used_for_their_times_and_shifts, the_profile_page_sets_the_zone);

async fn me(app: &TestApp, token: &str) -> Value {
    let (s, v) = app.get(token, "/api/v1/me").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].clone()
}

async fn a_persons_zone_is_set_refused_when_unknown_and_used_for_their_times_and_shifts(app: TestApp) {
    let d = me(&app, &app.t.manager1).await;
    assert_eq!((d["user"]["timezone"].clone(), d["timezone"].as_str()), (Value::Null, Some("Europe/Moscow")), "{d}");

    let (s, v) = app.call(Method::PATCH, &app.t.manager1, "/api/v1/me", Some(json!({"timezone": "Mars/Olympus"}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "timezone", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("Mars/Olympus"), "{v}");
    let (s, v) = app.call(Method::PATCH, &app.t.manager1, "/api/v1/me", Some(json!({"zone": "UTC"}))).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("zone")), "{v}");

    let (s, v) = app.call(Method::PATCH, &app.t.manager1, "/api/v1/me", Some(json!({"timezone": "Asia/Yekaterinburg"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["data"]["user"]["timezone"].as_str(), v["data"]["timezone"].as_str()),
        (Some("Asia/Yekaterinburg"), Some("Asia/Yekaterinburg"))
    );
    assert_eq!(me(&app, &app.t.manager2).await["timezone"], "Europe/Moscow", "a colleague keeps the workspace's zone");

    // Shifts are in the person's own local time: 09:00–18:00 on weekdays. At 14:00 UTC on Monday
    // it is 17:00 in Moscow (at work) and 19:00 in Yekaterinburg (gone home).
    let weekdays = json!({"shifts": (1..=5).map(|d| json!({"day": d, "start": "09:00", "end": "18:00"})).collect::<Vec<_>>()});
    for user in [app.ids.manager1, app.ids.manager2] {
        let (s, v) = app.call(Method::PUT, &app.t.admin, &format!("/api/v1/users/{user}/schedule"), Some(weekdays.clone())).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    app.clock.advance(time::Duration::hours(5));
    let on_shift = |v: &Value| v["data"]["on_shift"].as_bool();
    let (_, v1) = app.get(&app.t.head, &format!("/api/v1/users/{}/schedule", app.ids.manager1)).await;
    let (_, v2) = app.get(&app.t.head, &format!("/api/v1/users/{}/schedule", app.ids.manager2)).await;
    assert_eq!((on_shift(&v1), on_shift(&v2)), (Some(false), Some(true)), "{v1} {v2}");
    // Their next shift starts at 09:00 in Yekaterinburg: 04:00 UTC on Tuesday.
    assert_eq!(v1["data"]["next_on_shift"], "2026-11-24T04:00:00.000Z", "{v1}");

    // Back to the workspace's zone.
    let (s, v) = app.call(Method::PATCH, &app.t.manager1, "/api/v1/me", Some(json!({"timezone": null}))).await;
    assert_eq!((s, v["data"]["timezone"].as_str()), (StatusCode::OK, Some("Europe/Moscow")), "{v}");
    let (_, v1) = app.get(&app.t.head, &format!("/api/v1/users/{}/schedule", app.ids.manager1)).await;
    assert_eq!(on_shift(&v1), Some(true), "{v1}");
}

async fn the_profile_page_sets_the_zone(app: TestApp) {
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, page) = ui.get("/profile/tokens").await;
    assert_eq!(s, StatusCode::OK);
    // 09:00 UTC is 12:00 in the workspace's Moscow.
    assert!(page.contains("id=\"own-tz-now\"") && page.contains("12:00") && page.contains("Europe/Moscow"), "{page}");

    let (s, page) = ui.post_form("/profile/timezone", &[("timezone", "Asia/Nowhere")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"own-tz-error\"") && page.contains("Asia/Nowhere"), "{page}");

    let (s, _) = ui.post_form("/profile/timezone", &[("timezone", "Asia/Vladivostok")]).await;
    assert!(s.is_success() || s.is_redirection(), "{s}");
    let (_, page) = ui.get("/profile/tokens?tz_saved=1").await;
    // Vladivostok is UTC+10: 19:00.
    assert!(page.contains("id=\"own-tz-saved\"") && page.contains("19:00") && page.contains("Asia/Vladivostok"), "{page}");
    assert_eq!(me(&app, &app.t.manager1).await["user"]["timezone"], "Asia/Vladivostok");
    // Emptied, the field follows the workspace again.
    ui.post_form("/profile/timezone", &[("timezone", "")]).await;
    assert_eq!(me(&app, &app.t.manager1).await["user"]["timezone"], Value::Null);
}

//! The iCalendar feed: a secret address per user, its events, renewal and revocation, and the
//! profile page that hands it out.
use crate::helpers::{assert_error, TestApp};
use icalendar::{Calendar, Component};
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(the_feed_lists_the_users_plans_and_parses_back, a_new_address_closes_the_old_one, the_profile_page_hands_out_the_address);

/// The feed's text at `url`, checked to be a calendar.
async fn read_feed(app: &TestApp, url: &str) -> (StatusCode, String) {
    let resp = app.client.get(url).send().await.unwrap();
    let status = resp.status();
    if status == StatusCode::OK {
        let ct = resp.headers().get("content-type").unwrap().to_str().unwrap().to_string();
        assert!(ct.starts_with("text/calendar"), "{ct}");
    }
    (status, resp.text().await.unwrap())
}

/// The feed address as the server hands it out, pointed at this test server.
async fn new_address(app: &TestApp, token: &str) -> String {
    let (s, v) = app.post(token, "/api/v1/me/calendar_feed", json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let url = v["data"]["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&app.base) && url.ends_with(".ics"), "{url}");
    url
}

async fn the_feed_lists_the_users_plans_and_parses_back(app: TestApp) {
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Поставка <станков> & сервис"})).await;
    let meeting = app
        .create(
            m1,
            "activities",
            json!({"type": "meeting", "subject": "Встреча; обсудить, договор", "deal_id": deal, "due_at": "2026-11-25T10:00:00Z", "duration_min": 90}),
        )
        .await;
    let task = app.create(m1, "activities", json!({"type": "task", "subject": "Отправить КП", "due_at": "2026-11-24T08:00:00Z"})).await;
    // Overdue and still open: it stays in the calendar however old.
    let overdue = app.create(m1, "activities", json!({"type": "task", "subject": "Старый долг", "due_at": "2026-06-01T08:00:00Z"})).await;
    let recent_done = app
        .create(m1, "activities", json!({"type": "task", "subject": "Сделано вчера", "due_at": "2026-11-22T08:00:00Z", "done": true}))
        .await;
    app.create(m1, "activities", json!({"type": "task", "subject": "Сделано давно", "due_at": "2026-06-01T09:00:00Z", "done": true})).await;
    app.create(m1, "activities", json!({"type": "task", "subject": "Без срока"})).await;
    app.create(&app.t.manager2, "activities", json!({"type": "task", "subject": "Чужая задача", "due_at": "2026-11-24T09:00:00Z"})).await;

    let (s, v) = app.get(m1, "/api/v1/me/calendar_feed").await;
    assert_eq!((s, v["data"]["active"].clone()), (StatusCode::OK, json!(false)));
    let url = new_address(&app, m1).await;
    let (s, v) = app.get(m1, "/api/v1/me/calendar_feed").await;
    assert_eq!((s, v["data"]["active"].clone()), (StatusCode::OK, json!(true)));
    assert!(v["data"].get("url").is_none(), "the secret is shown once: {v}");

    let (s, text) = read_feed(&app, &url).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let cal: Calendar = text.parse().expect("the feed parses as iCalendar");
    let events: Vec<_> = cal.events().collect();
    let subjects: Vec<&str> = events.iter().filter_map(|e| e.get_summary()).collect();
    assert_eq!(subjects, ["Старый долг", "✓ Сделано вчера", "Отправить КП", "Встреча; обсудить, договор"], "{text}");
    let uids: Vec<String> = events.iter().map(|e| e.get_uid().unwrap().to_string()).collect();
    for id in [overdue, recent_done, task, meeting] {
        assert!(uids.contains(&format!("activity-{}-{id}@poryadok", app.ws)), "{uids:?}");
    }
    let m = events.iter().find(|e| e.get_summary() == Some("Встреча; обсудить, договор")).unwrap();
    assert_eq!(m.get_url(), Some(format!("{}/deals/{deal}", app.base).as_str()));
    let (start, end) = (m.get_start().unwrap(), m.get_end().unwrap());
    let minutes = |d: icalendar::DatePerhapsTime| match d {
        icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(t)) => t.timestamp() / 60,
        other => panic!("UTC times expected, got {other:?}"),
    };
    assert_eq!(minutes(end) - minutes(start), 90);
    // The same address read again gives the same UIDs: a calendar updates events, never doubles them.
    let (_, again) = read_feed(&app, &url).await;
    let again: Calendar = again.parse().unwrap();
    assert_eq!(again.events().map(|e| e.get_uid().unwrap().to_string()).collect::<Vec<_>>(), uids);

    // A deactivated user's calendar is gone.
    let (s, _) = app.delete(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager1)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(read_feed(&app, &url).await.0, StatusCode::NOT_FOUND);
}

async fn a_new_address_closes_the_old_one(app: TestApp) {
    let m2 = &app.t.manager2;
    let first = new_address(&app, m2).await;
    assert_eq!(read_feed(&app, &first).await.0, StatusCode::OK);
    let second = new_address(&app, m2).await;
    assert_ne!(first, second);
    assert_eq!(read_feed(&app, &first).await.0, StatusCode::NOT_FOUND);
    assert_eq!(read_feed(&app, &second).await.0, StatusCode::OK);
    // Guessing, or a path without the extension, finds nothing.
    assert_eq!(read_feed(&app, &format!("{}/ical/cal_guess.ics", app.base)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(read_feed(&app, second.trim_end_matches(".ics")).await.0, StatusCode::NOT_FOUND);
    let (s, _) = app.delete(m2, "/api/v1/me/calendar_feed").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(read_feed(&app, &second).await.0, StatusCode::NOT_FOUND);
    assert_error(&app.delete(m2, "/api/v1/me/calendar_feed").await, 404, "not_found", None);
    // Without signing in there is no address to make.
    assert_error(&app.post("pat_forged", "/api/v1/me/calendar_feed", json!({})).await, 401, "unauthorized", None);
}

async fn the_profile_page_hands_out_the_address(app: TestApp) {
    app.create(&app.t.manager1, "activities", json!({"type": "call", "subject": "Перезвонить", "due_at": "2026-11-24T08:00:00Z"})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, page) = ui.get("/profile/tokens").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"calendar-feed\"") && page.contains("Адреса календаря пока нет"), "{page}");
    let (s, made) = ui.post_form("/profile/calendar", &[("csrf_token", &ui.csrf)]).await;
    assert_eq!(s, StatusCode::CREATED);
    let url = made.split("id=\"calendar-url\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let (s, text) = read_feed(&app, &url).await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("SUMMARY:Перезвонить"), "{text}");
    let (_, again) = ui.get("/profile/tokens").await;
    assert!(!again.contains(&url), "the address is shown once");
    assert!(again.contains("Сделать новый адрес") && again.contains("hx-confirm"), "renewing asks first");
    let (s, to, _) = ui.post_form_to("/profile/calendar/revoke", &[("csrf_token", &ui.csrf)]).await;
    assert_eq!((s, to.as_deref()), (StatusCode::NO_CONTENT, Some("/profile/tokens?saved=1")));
    assert_eq!(read_feed(&app, &url).await.0, StatusCode::NOT_FOUND);
    // Without the CSRF token no address is made.
    let resp = ui.client.post(format!("{}/profile/calendar", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

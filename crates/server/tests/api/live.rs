//! Live events: a page's `EventSource` hears the bell's new count and a toast when one of the
//! user's clients calls — also when another server process over the same database made them.
use crate::helpers::*;
use poryadok_store::notifications::NewNotification;
use serde_json::json;
use std::time::Duration;

crate::both_dbs!(a_page_hears_the_bell_and_a_clients_call_from_any_process);

/// Reads the event stream until `want` is in it (or fails after a while); returns what was read.
async fn read_until(resp: &mut reqwest::Response, seen: &mut String, want: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !seen.contains(want) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            other => panic!("no {want:?} in the stream ({other:?}); read so far: {seen}"),
        }
    }
}

async fn a_page_hears_the_bell_and_a_clients_call_from_any_process(app: TestApp) {
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, page) = ui.get("/today").await;
    assert!(page.contains("data-live=\"/events\""), "pages listen");
    // A second server process over the same database: its page hears what the first one writes.
    let other = app.serve_with(|_| {}).await;
    let mut resp = ui.client.get(format!("{other}/events")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut seen = String::new();
    app.db
        .notify(&NewNotification {
            workspace_id: app.ws,
            user_id: app.ids.manager1,
            kind: "sla_breach".into(),
            title: "Новый лид ждёт".into(),
            body: String::new(),
            link: Some("/today".into()),
            deal_id: None,
            dedupe_key: None,
            email: false,
        })
        .await
        .unwrap();
    read_until(&mut resp, &mut seen, "event: bell").await;
    read_until(&mut resp, &mut seen, "\"unread\":1").await;

    // A call from a client of manager1's: a toast naming the caller with a link to the deal.
    let person = app.create(&app.t.manager1, "persons", json!({"name": "Иван Звонков", "phone": "+79160001122"})).await;
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Звонок", "person_id": person})).await;
    // Someone else's client calling is not manager1's business.
    let theirs = app.create(&app.t.manager3, "persons", json!({"name": "Чужой Клиент"})).await;
    let call = |person: i64, deal: Option<i64>| {
        json!({"type": "call", "subject": "Входящий", "call_direction": "inbound", "call_outcome": "answered", "done": true,
               "person_id": person, "deal_id": deal})
    };
    app.create(&app.t.manager3, "activities", call(theirs, None)).await;
    app.create(&app.t.manager1, "activities", call(person, Some(deal))).await;
    read_until(&mut resp, &mut seen, "event: toast").await;
    read_until(&mut resp, &mut seen, &format!("/deals/{deal}")).await;
    assert!(seen.contains("Звонит Иван Звонков"), "{seen}");
    assert!(!seen.contains("Чужой Клиент"), "{seen}");
    // Signed out, the stream is refused.
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = anonymous.get(format!("{}/events", app.base)).send().await.unwrap();
    assert!(r.status().is_redirection() || r.status() == 401, "{}", r.status());
}

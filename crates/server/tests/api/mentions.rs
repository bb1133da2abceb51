//! `@mentions` in notes: the mentioned colleague is notified in the app and by e-mail, once; the
//! note shows who it mentions; an unknown or deactivated handle is refused, naming it.
use crate::helpers::{assert_error, TestApp};
use crate::notifications::smtp_sink;
use poryadok_server::mail::SmtpConfig;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(a_mention_notifies_the_colleague_once, unknown_and_deactivated_mentions_are_refused, the_card_shows_who_a_note_mentions);

async fn notices(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, v) = app.get(token, "/api/v1/notifications").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().iter().filter(|n| n["kind"] == "mention").cloned().collect()
}

async fn a_mention_notifies_the_colleague_once(app: TestApp) {
    let (port, sink) = smtp_sink().await;
    let smtp =
        SmtpConfig::new(&format!("smtp://127.0.0.1:{port}"), "Poryadok <crm@poryadok.test>", Some("https://crm.example.com/")).unwrap();
    let worker = Worker::new(&AppState::new(app.db.clone()).with_smtp(Some(smtp)));
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Поставка станков"})).await;
    let body = json!({"content": "@m2, посмотри счёт; клиент пишет с ivan@mail.ru. @M2 и @m1 (это я)", "deal_id": deal});
    let (s, note) = app.post(&app.t.manager1, "/api/v1/notes", body).await;
    assert_eq!(s, StatusCode::CREATED, "{note}");
    let note_id = note["data"]["id"].as_i64().unwrap();
    assert!(notices(&app, &app.t.manager2).await.is_empty(), "delivered by the job engine, not inside the request");
    let report = worker.run_once().await.unwrap();
    assert!(report.failed == 0 && report.ran >= 1, "{report:?}");
    let got = notices(&app, &app.t.manager2).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["link"], format!("/deals/{deal}"));
    assert!(got[0]["title"].as_str().unwrap().contains("m1"), "{got:?}");
    assert!(got[0]["body"].as_str().unwrap().contains("посмотри счёт"));
    assert!(notices(&app, &app.t.manager1).await.is_empty(), "the author is not told about their own note");
    assert!(notices(&app, &app.t.manager3).await.is_empty());
    {
        let sink = sink.lock().unwrap();
        assert_eq!(sink.messages.len(), 1, "one e-mail copy, to the mentioned colleague");
        assert!(sink.commands.iter().any(|c| c.contains("RCPT TO:<m2@a.test>")), "{:?}", sink.commands);
    }
    // Editing the note (still mentioning m2, now the head too) tells only the newcomer.
    let (s, v) = app.patch(&app.t.manager1, &format!("/api/v1/notes/{note_id}"), json!({"content": "@m2 @head, счёт готов"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    worker.run_once().await.unwrap();
    assert_eq!(notices(&app, &app.t.manager2).await.len(), 1);
    assert_eq!(notices(&app, &app.t.head).await.len(), 1);
}

async fn unknown_and_deactivated_mentions_are_refused(app: TestApp) {
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Сделка"})).await;
    let resp = app.post(&app.t.manager1, "/api/v1/notes", json!({"content": "@nobody глянь", "deal_id": deal})).await;
    assert_error(&resp, 422, "validation", Some("content"));
    assert_eq!(resp.1["error"]["message_code"], "unknown_mention");
    assert!(resp.1["error"]["message"].as_str().unwrap().contains("@nobody"), "{}", resp.1);
    let (s, _) = app.delete(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager3)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let resp = app.post(&app.t.manager1, "/api/v1/notes", json!({"content": "(@m3) глянь", "deal_id": deal})).await;
    assert_error(&resp, 422, "validation", Some("content"));
    assert_eq!(resp.1["error"]["message_code"], "inactive_mention");
    // Nothing half-written: the refused notes are not there.
    let (_, list) = app.get(&app.t.manager1, &format!("/api/v1/notes?deal_id={deal}")).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0), "{list}");
    // A client's e-mail address or a handle written by a web form mentions nobody.
    let (s, v) = app.post(&app.t.manager1, "/api/v1/notes", json!({"content": "почта клиента: nobody@mail.ru", "deal_id": deal})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

async fn the_card_shows_who_a_note_mentions(app: TestApp) {
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Сделка с упоминанием"})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, html) = ui.post_form(&format!("/deals/{deal}/notes"), &[("content", "@m2 перезвони клиенту")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Упомянуты: m2"), "{html}");
    let (s, html) = ui.post_form(&format!("/deals/{deal}/notes"), &[("content", "@никто глянь")]).await;
    assert!(s.is_client_error(), "{s}");
    assert!(html.contains("@никто"), "the refusal names the handle: {html}");
    let (_, page) = ui.get(&format!("/deals/{deal}")).await;
    assert!(page.contains("id=\"note-mention-hint\"") && page.contains("Упомянуты: m2"), "{page}");
}

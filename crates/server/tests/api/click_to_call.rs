//! Calling a client from the card through a fake telephony callback API on 127.0.0.1 that posts
//! the call's webhook back, as a provider does; the refusals before calling and the provider's
//! failures; and meeting recordings (Zoom's `recording.completed`) onto the participant's deal.
use crate::helpers::{assert_error, TestApp};
use crate::intake::{deliver, source, work, Hook};
use axum::routing::any;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

crate::both_dbs!(
    a_call_from_the_card_rings_the_extension_and_comes_back_through_intake,
    a_call_is_refused_before_calling_and_a_failing_provider_is_shown,
    a_meeting_recording_lands_on_the_participants_deal_once,
    the_callback_request_is_set_on_the_source_page_with_its_key_masked,
);

/// What the fake provider saw: the path and query, the Authorization header, the body.
type Seen = Arc<Mutex<Vec<(String, Option<String>, Value)>>>;

/// A fake callback API answering `status`. When `back` names the telephony source and the
/// app, it first posts the outgoing call's webhook to the source, as a provider does once the
/// call is over.
pub async fn fake_pbx(status: u16, back: Arc<Mutex<Option<(String, Hook)>>>) -> (String, Seen) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(any(move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
        let log = log.clone();
        let back = back.clone();
        async move {
            let sent: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
            log.lock().unwrap().push((uri.to_string(), auth, sent.clone()));
            let target = back.lock().unwrap().as_ref().map(|(base, h)| (base.clone(), h.path.clone(), h.secret.clone()));
            if let (Some((base, path, secret)), 200) = (target, status) {
                let n = log.lock().unwrap().len();
                let call = json!({"call_id": format!("cb-{n}"), "from": "101", "to": sent["to"], "direction": "out",
                                  "status": "answered", "duration": 95, "recording_url": "https://pbx.example/rec/1.mp3"});
                let raw = call.to_string();
                let resp = reqwest::Client::new()
                    .post(format!("{base}{path}"))
                    .header("content-type", "application/json")
                    .header("x-poryadok-signature", poryadok_server::hooks::sign(&secret, raw.as_bytes()))
                    .body(raw)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), reqwest::StatusCode::ACCEPTED);
            }
            (axum::http::StatusCode::from_u16(status).unwrap(), r#"{"result":"ok"}"#)
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

pub fn callback(url: &str) -> Value {
    json!({"url": format!("{url}/call?ext={{manager_extension}}"), "content_type": "application/json",
           "headers": {"Authorization": "Bearer pbx-key"},
           "body": "{\"to\": \"{client_phone}\", \"deal\": \"{deal_id}\", \"from\": \"{manager_phone}\"}"})
}

/// A client with a phone, a deal of manager 1 and manager 1's extension.
pub async fn client_with_deal(app: &TestApp) -> (i64, i64) {
    let person = app
        .create(&app.t.admin, "persons", json!({"name": "Иван Седов", "phone": "8 (999) 123-45-67", "owner_id": app.ids.manager1}))
        .await;
    let deal = app
        .create(
            &app.t.admin,
            "deals",
            json!({"title": "Поставка", "person_id": person, "owner_id": app.ids.manager1, "pipeline_id": app.ids.pipeline}),
        )
        .await;
    let (s, v) =
        app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager1), json!({"extension": "101", "phone": "+79990000101"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (person, deal)
}

async fn a_call_from_the_card_rings_the_extension_and_comes_back_through_intake(app: TestApp) {
    let (person, deal) = client_with_deal(&app).await;
    let back = Arc::new(Mutex::new(None));
    let (pbx, seen) = fake_pbx(200, back.clone()).await;
    let tel = source(&app, "telephony", json!({"callback": callback(&pbx)})).await;
    *back.lock().unwrap() = Some((app.base.clone(), tel));
    // The key is never shown back, and a masked value sent back keeps it.
    let id = back.lock().unwrap().as_ref().unwrap().1.id;
    let (_, shown) = app.get(&app.t.admin, &format!("/api/v1/intake/sources/{id}")).await;
    assert_eq!(shown["data"]["config"]["callback"]["headers"]["Authorization"], "***", "{shown}");
    let config = shown["data"]["config"].clone();
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/intake/sources/{id}"), json!({"config": config})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let (s, v) = app.post(&app.t.manager1, &format!("/api/v1/deals/{deal}/call"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["status"], "calling");
    assert_eq!(v["data"]["phone"], "+79991234567");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let (uri, auth, body) = &seen[0];
        assert_eq!(uri, "/call?ext=101");
        assert_eq!(auth.as_deref(), Some("Bearer pbx-key"), "the stored key survived the masked save");
        assert_eq!(body, &json!({"to": "+79991234567", "deal": deal.to_string(), "from": "+79990000101"}));
    }
    // The provider's webhook came back during the call request; the worker puts the call on the card.
    work(&app).await;
    let calls = app.all_records(&app.t.admin, "activities", &format!("&deal_id={deal}"), 50).await;
    let call = calls.iter().find(|a| a["type"] == "call").unwrap_or_else(|| panic!("no call on the deal: {calls:?}"));
    assert_eq!((call["call_direction"].as_str(), call["call_seconds"].as_i64()), (Some("outbound"), Some(95)), "{call}");
    assert_eq!(call["person_id"], person);

    // From the person's card, a chosen number (as typed another way) is called.
    let (s, v) = app.post(&app.t.manager1, &format!("/api/v1/persons/{person}/call"), json!({"phone": "+7 999 1234567"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(seen.lock().unwrap()[1].2["deal"], "", "no deal from a person's card");
}

async fn a_call_is_refused_before_calling_and_a_failing_provider_is_shown(app: TestApp) {
    let (person, deal) = client_with_deal(&app).await;
    let path = format!("/api/v1/deals/{deal}/call");
    // No telephony source can call yet.
    let r = app.post(&app.t.manager1, &path, json!({})).await;
    assert_error(&r, 422, "validation", Some("source_id"));
    assert_eq!(r.1["error"]["message_code"], "no_callback_set", "{}", r.1);

    let (refusing, seen) = fake_pbx(500, Arc::new(Mutex::new(None))).await;
    let src = source(&app, "telephony", json!({"callback": callback(&refusing)})).await;
    // A bad request template is refused naming its part.
    let bad = json!({"callback": {"url": "https://pbx.example/call?x={text}"}});
    let r = app.patch(&app.t.admin, &format!("/api/v1/intake/sources/{}", src.id), json!({"config": bad})).await;
    assert_error(&r, 422, "validation", Some("config.callback.url"));

    // The admin has no extension; the phone must be the card's; a card without a phone.
    let r = app.post(&app.t.admin, &path, json!({})).await;
    assert_error(&r, 422, "validation", Some("extension"));
    assert_eq!(r.1["error"]["message_code"], "no_extension");
    let r = app.post(&app.t.manager1, &path, json!({"phone": "+7 916 000-00-00"})).await;
    assert_error(&r, 422, "validation", Some("phone"));
    assert_eq!(r.1["error"]["message_code"], "phone_not_on_card");
    let bare = app.create(&app.t.admin, "persons", json!({"name": "Без телефона", "owner_id": app.ids.manager1})).await;
    let r = app.post(&app.t.manager1, &format!("/api/v1/persons/{bare}/call"), json!({})).await;
    assert_error(&r, 422, "validation", Some("phone"));
    assert_eq!(r.1["error"]["message_code"], "no_phone_on_card");
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent for a refusal");

    // The provider refuses: 502 with its answer, visibly.
    let (s, v) = app.post(&app.t.manager1, &path, json!({})).await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{v}");
    assert_eq!(v["error"]["code"], "callback_provider_answered");
    assert!(v["error"]["message"].as_str().unwrap().contains("HTTP 500"), "{v}");
    // Unreachable: a port nobody listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cb = callback(&format!("http://127.0.0.1:{closed}"));
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/intake/sources/{}", src.id), json!({"config": {"callback": cb}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.post(&app.t.manager1, &format!("/api/v1/persons/{person}/call"), json!({})).await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{v}");
    assert_eq!(v["error"]["code"], "callback_provider_unreachable");
    // Another workspace's card does not exist for this user.
    let r = app.post(&app.t.other_admin, &path, json!({})).await;
    assert_eq!(r.0, StatusCode::NOT_FOUND, "{}", r.1);
}

fn zoom(uuid: &str, email: &str, play: &str) -> Value {
    json!({"event": "recording.completed", "event_ts": 1_790_000_000_000_i64, "payload": {"account_id": "a", "object": {
        "uuid": uuid, "id": 123, "topic": "Демо для Ромашки", "start_time": "2026-11-23T08:00:00Z", "duration": 42,
        "host_email": "admin@vector.test", "participants": [{"name": "Иван", "email": email}],
        "recording_files": [{"file_type": "CHAT"}, {"file_type": "MP4", "play_url": play, "download_url": "https://zoom.us/rec/download/x"}]}}})
}

async fn a_meeting_recording_lands_on_the_participants_deal_once(app: TestApp) {
    let person = app.create(&app.t.admin, "persons", json!({"name": "Иван", "email": "Ivan@Client.ru"})).await;
    let deal = app
        .create(
            &app.t.admin,
            "deals",
            json!({"title": "Внедрение", "person_id": person, "owner_id": app.ids.manager2, "pipeline_id": app.ids.pipeline}),
        )
        .await;
    let lone = app.create(&app.t.admin, "persons", json!({"name": "Пётр", "email": "petr@client.ru"})).await;
    let src = source(&app, "meetings", json!({"preset": "zoom"})).await;
    let body = zoom("m-1==", "ivan@client.ru", "https://zoom.us/rec/play/1").to_string();
    let (s, v) = deliver(&app, &src, "application/json", body.as_bytes()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    // Zoom redelivers: one event, one meeting.
    let (s, v) = deliver(&app, &src, "application/json", body.as_bytes()).await;
    assert_eq!((s, v["duplicate"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    work(&app).await;
    let acts = app.all_records(&app.t.admin, "activities", &format!("&deal_id={deal}"), 50).await;
    let meetings: Vec<&Value> = acts.iter().filter(|a| a["type"] == "meeting").collect();
    assert_eq!(meetings.len(), 1, "{acts:?}");
    let m = meetings[0];
    assert_eq!(
        (m["recording_url"].as_str(), m["duration_min"].as_i64(), m["done"].as_bool()),
        (Some("https://zoom.us/rec/play/1"), Some(42), Some(true))
    );
    assert_eq!(m["owner_id"], app.ids.manager2, "the deal's owner owns it, not the host");

    // A participant without an open deal: on the person alone.
    let body = zoom("m-2==", "petr@client.ru", "https://zoom.us/rec/play/2").to_string();
    assert_eq!(deliver(&app, &src, "application/json", body.as_bytes()).await.0, StatusCode::ACCEPTED);
    // Nobody known: stored, processed as failed with the addresses, never dropped.
    let body = zoom("m-3==", "stranger@else.ru", "https://zoom.us/rec/play/3").to_string();
    let (_, v) = deliver(&app, &src, "application/json", body.as_bytes()).await;
    let unknown = v["event_id"].as_i64().unwrap();
    work(&app).await;
    let on_person = app.all_records(&app.t.admin, "activities", &format!("&person_id={lone}"), 50).await;
    assert_eq!(on_person.len(), 1, "{on_person:?}");
    assert!(on_person[0]["deal_id"].is_null(), "a recording makes no deal");
    assert_eq!(on_person[0]["owner_id"], app.ids.admin, "without a deal, the host owns it");
    let (_, ev) = app.get(&app.t.admin, &format!("/api/v1/intake/events/{unknown}")).await;
    assert_eq!(ev["data"]["status"], "failed", "{ev}");
    assert_eq!(ev["data"]["error_code"], "meeting_no_participant", "{ev}");
    assert!(ev["data"]["error"].as_str().unwrap().contains("stranger@else.ru"), "{ev}");

    // Only an http(s) link is taken.
    let body = zoom("m-4==", "ivan@client.ru", "javascript:alert(1)").to_string();
    let (s, v) = deliver(&app, &src, "application/json", body.as_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["message_code"], "meeting_no_recording");
}

async fn the_callback_request_is_set_on_the_source_page_with_its_key_masked(app: TestApp) {
    let hook = source(&app, "telephony", json!({"preset": "generic"})).await;
    let s = app.ui_login(app.ids.admin, "admin@a.test").await;
    let path = format!("/settings/intake/{}", hook.id);
    let (status, page) = s.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"callback_url\"") && page.contains("{client_phone}"), "the block and its placeholders");

    let bad = [("name", "АТС"), ("active", "1"), ("preset", "generic"), ("callback_url", "https://pbx.example/call?to={phone}")];
    let (status, html) = s.post_form(&path, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"callback_url-error\"") && html.contains("{phone}"), "the refusal is under the URL: {html}");

    let body = "{\"to\": \"{client_phone}\", \"ext\": \"{manager_extension}\"}";
    let good = [
        ("name", "АТС"),
        ("active", "1"),
        ("preset", "generic"),
        ("callback_url", "https://pbx.example/call"),
        ("callback_method", "POST"),
        ("callback_content_type", "application/json"),
        ("callback_headers", "Authorization: Bearer pbx-key\nX-Account: 42"),
        ("callback_body", body),
    ];
    let (status, html) = s.post_form(&path, &good).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Authorization: ***") && !html.contains("pbx-key"), "the key is shown masked");
    // Saved again as shown (masked), the key is kept.
    let again = [
        ("name", "АТС"),
        ("active", "1"),
        ("preset", "generic"),
        ("callback_url", "https://pbx.example/call"),
        ("callback_content_type", "application/json"),
        ("callback_headers", "Authorization: ***\nX-Account: ***"),
        ("callback_body", body),
    ];
    assert_eq!(s.post_form(&path, &again).await.0, StatusCode::OK);
    let config = app.db.source_for_job(app.ws, hook.id).await.unwrap().unwrap().config;
    assert_eq!(config["callback"]["headers"], json!({"Authorization": "Bearer pbx-key", "X-Account": "42"}));
    assert_eq!(config["callback"]["body"], body);
    assert_eq!(config["preset"], "generic", "the mapping's settings are kept");

    // The extension is set with the user in Settings → Users.
    let (status, html) = s.get("/settings/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("id=\"user-{}-extension\"", app.ids.manager1)), "the extension input");
    let user = [("name", "m1"), ("role", "manager"), ("extension", "205")];
    let (status, html) = s.post_form(&format!("/settings/users/{}", app.ids.manager1), &user).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, u) = app.get(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager1)).await;
    assert_eq!(u["data"]["extension"], "205", "{u}");
}

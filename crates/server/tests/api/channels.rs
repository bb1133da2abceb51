//! Channels end to end: templates with placeholders, e-mail to a local SMTP sink, SMS to a local
//! HTTP gateway, failures retried and left visible, and signed webhooks at a local receiver.
use crate::helpers::{assert_error, TestApp};
use crate::notifications::smtp_sink;
use base64::Engine;
use hmac::{Hmac, Mac};
use poryadok_server::mail::SmtpConfig;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use poryadok_store::channels::ClientMessage;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

crate::both_dbs!(
    a_queued_email_arrives_at_the_smtp_sink_with_the_filled_template,
    an_sms_arrives_at_the_http_gateway_with_the_filled_text,
    unreachable_mail_servers_and_gateways_are_retried_and_end_failed_and_visible,
    templates_and_gateways_are_checked_and_a_missing_template_is_a_clear_error,
    a_webhook_receiver_gets_deal_created_with_a_valid_signature,
    a_failing_receiver_is_retried_and_the_log_shows_every_attempt,
    pipedrive_webhooks_get_v1_and_v2_bodies_with_basic_auth,
    the_settings_pages_edit_templates_gateway_and_webhooks_and_show_the_outbox,
);

/// One worker name for the whole test: on SQLite a new name would wait for the previous lease.
fn worker(app: &TestApp, smtp_port: Option<u16>) -> Worker {
    let smtp = smtp_port.map(|port| SmtpConfig::new(&format!("smtp://127.0.0.1:{port}"), "ООО Вектор <crm@vector.test>", None).unwrap());
    let mut w = Worker::new(&AppState::new(app.db.clone()).with_smtp(smtp));
    w.id = "channels-worker".into();
    w
}

/// A request a local HTTP sink received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    uri: String,
    headers: axum::http::HeaderMap,
    body: String,
}

/// A local HTTP server on 127.0.0.1 that records every request and answers with `status`
/// (changeable while it runs).
struct HttpSink {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    status: Arc<AtomicU16>,
}

impl HttpSink {
    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn http_sink(status: u16) -> HttpSink {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let status = Arc::new(AtomicU16::new(status));
    let (s, code) = (seen.clone(), status.clone());
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (s, code) = (s.clone(), code.clone());
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            s.lock().unwrap().push(Seen {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                headers: parts.headers,
                body: String::from_utf8(body.to_vec()).unwrap(),
            });
            (axum::http::StatusCode::from_u16(code.load(Ordering::SeqCst)).unwrap(), "sink says so")
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    HttpSink { url, seen, status }
}

/// A port nobody listens on: take one, then let it go.
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

async fn template(app: &TestApp, body: Value) -> Value {
    let (s, v) = app.post(&app.t.admin, "/api/v1/message_templates", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"].clone()
}

async fn messages(app: &TestApp, query: &str) -> Vec<Value> {
    let (s, v) = app.get(&app.t.admin, &format!("/api/v1/outbound_messages{query}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().clone()
}

fn vars(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap()
}

/// A received message's subject and text, with MIME encoded words and transfer encodings undone.
fn decoded(raw: &str) -> (String, String) {
    let (head, body) = raw.split_once("\n\n").unwrap();
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    let header = |name: &str| unfolded.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).unwrap_or("").to_string();
    let b64 = base64::engine::general_purpose::STANDARD;
    // Whitespace between two encoded words is not part of the text (RFC 2047); elsewhere it is.
    let mut subject = String::new();
    let mut after_encoded = false;
    for (i, w) in header("Subject").split(' ').enumerate() {
        let encoded = w.strip_prefix("=?utf-8?b?").and_then(|w| w.strip_suffix("?="));
        if i > 0 && !(after_encoded && encoded.is_some()) {
            subject.push(' ');
        }
        match encoded {
            Some(enc) => subject.push_str(&String::from_utf8(b64.decode(enc).unwrap()).unwrap()),
            None => subject.push_str(w),
        }
        after_encoded = encoded.is_some();
    }
    let text = match header("Content-Transfer-Encoding").as_str() {
        "base64" => String::from_utf8(b64.decode(body.replace('\n', "")).unwrap()).unwrap(),
        "quoted-printable" => quoted_printable(body),
        _ => body.to_string(),
    };
    // Mail travels with CRLF line ends.
    (subject, text.replace("\r\n", "\n"))
}

fn quoted_printable(s: &str) -> String {
    let joined = s.replace("=\n", "");
    let mut bytes = Vec::new();
    let mut it = joined.bytes();
    while let Some(b) = it.next() {
        if b == b'=' {
            let hex: Vec<u8> = it.by_ref().take(2).collect();
            bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).unwrap()
}

async fn a_queued_email_arrives_at_the_smtp_sink_with_the_filled_template(app: TestApp) {
    let (port, sink) = smtp_sink().await;
    let worker = worker(&app, Some(port));
    template(
        &app,
        json!({"key": "debt_reminder", "channel": "email", "subject": "Счёт № {invoice}: просрочка {days_overdue} дн.",
               "body": "Добрый день, {contact}!\nСумма {amount}, срок был {due_date}.\n{manager}, {company}"}),
    )
    .await;
    let m = ClientMessage {
        channel: "email".into(),
        recipient: " Buh@Romashka.TEST ".into(),
        template_key: "debt_reminder".into(),
        vars: vars(
            json!({"invoice": "1024", "days_overdue": 12, "contact": "Анна", "amount": "120 000,00 ₽", "due_date": "11.11.2026", "manager": "Иван"}),
        ),
        entity: Some("invoice"),
        record_id: Some(7),
        dedupe_key: Some("debt:7:2026-11-23".into()),
    };
    let id = app.db.queue_client_message(app.ws, &m).await.unwrap().expect("queued");
    assert_eq!(app.db.queue_client_message(app.ws, &m).await.unwrap(), None, "the same dedupe key queues nothing");
    // The API with the same key answers with the first message and queues nothing either.
    let api =
        json!({"channel": "email", "recipient": "buh@romashka.test", "template_key": "debt_reminder", "dedupe_key": "debt:7:2026-11-23"});
    let (s, v) = app.post(&app.t.admin, "/api/v1/outbound_messages", api).await;
    assert_eq!((s, v["duplicate"].as_bool(), v["data"]["id"].as_i64()), (StatusCode::OK, Some(true), Some(id)), "{v}");
    let queued = messages(&app, "").await;
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0]["status"].as_str(), queued[0]["sent_at"].as_str()),
        (Some("queued"), None),
        "not sent before the server accepts it"
    );
    assert_eq!(queued[0]["recipient"], "buh@romashka.test");
    assert_eq!(queued[0]["subject"], "Счёт № 1024: просрочка 12 дн.");
    assert_eq!(app.db.list_jobs(app.ws, None, 10).await.unwrap().len(), 1, "one sending job");

    let report = worker.run_once().await.unwrap();
    assert_eq!((report.ran, report.failed), (1, 0));
    {
        let sink = sink.lock().unwrap();
        assert_eq!(sink.messages.len(), 1);
        let (subject, text) = decoded(&sink.messages[0]);
        assert_eq!(subject, "Счёт № 1024: просрочка 12 дн.");
        assert_eq!(text.trim_end(), "Добрый день, Анна!\nСумма 120 000,00 ₽, срок был 11.11.2026.\nИван, Вектор");
        assert!(sink.commands.iter().any(|c| c == "RCPT TO:<buh@romashka.test>"), "{:?}", sink.commands);
        assert!(sink.commands.iter().any(|c| c == "MAIL FROM:<crm@vector.test>"), "{:?}", sink.commands);
    }
    let sent = messages(&app, "?status=sent").await;
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0]["attempts"].as_i64(), sent[0]["sent_at"].as_str()), (Some(1), Some("2026-11-23T09:00:00.000Z")));
    assert_eq!((sent[0]["entity"].as_str(), sent[0]["record_id"].as_i64()), (Some("invoice"), Some(7)));
    assert_eq!(worker.run_once().await.unwrap().ran, 0, "nothing is sent twice");
    assert_eq!(sink.lock().unwrap().messages.len(), 1);
}

async fn an_sms_arrives_at_the_http_gateway_with_the_filled_text(app: TestApp) {
    let gw = http_sink(200).await;
    let worker = worker(&app, None);
    let gateway = json!({"url": format!("{}/sms/send", gw.url), "method": "POST", "headers": {"X-Api-Key": "k-123"},
                         "content_type": "application/json", "body": "{\"phone\": \"{to}\", \"message\": \"{text}\"}"});
    let (s, v) = app.call(reqwest::Method::PUT, &app.t.admin, "/api/v1/sms_gateway", Some(gateway)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["headers"]["X-Api-Key"], "***", "keys are never shown back");
    // Sent back as shown, the masked key keeps its stored value.
    let (_, shown) = app.get(&app.t.admin, "/api/v1/sms_gateway").await;
    let (s, _) = app.call(reqwest::Method::PUT, &app.t.admin, "/api/v1/sms_gateway", Some(shown["data"].clone())).await;
    assert_eq!(s, StatusCode::OK);
    template(
        &app,
        json!({"key": "unpaid_reminder", "channel": "sms", "body": "{company}: счёт № {invoice} на {amount} ждёт оплаты. \"{manager}\""}),
    )
    .await;

    let body = json!({"channel": "sms", "recipient": "8 (999) 000-11-22", "template_key": "unpaid_reminder",
                      "vars": {"invoice": "77", "amount": "5 000 ₽", "manager": "Иван"}, "entity": "deal", "record_id": 3});
    let (s, v) = app.post(&app.t.head, "/api/v1/outbound_messages", body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["data"]["recipient"], "+79990001122", "the number is normalised with the workspace's region");
    assert!(gw.requests().is_empty());

    assert_eq!(worker.run_once().await.unwrap().failed, 0);
    let got = gw.requests();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].method.as_str(), got[0].uri.as_str()), ("POST", "/sms/send"));
    assert_eq!(got[0].headers["x-api-key"], "k-123");
    assert_eq!(got[0].headers["content-type"], "application/json");
    let sent: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(sent, json!({"phone": "+79990001122", "message": "Вектор: счёт № 77 на 5 000 ₽ ждёт оплаты. \"Иван\""}));
    let m = &messages(&app, "?channel=sms").await[0];
    assert_eq!((m["status"].as_str(), m["attempts"].as_i64()), (Some("sent"), Some(1)), "{m}");

    // The settings' test send goes at once and is logged too.
    let (s, v) = app.post(&app.t.admin, "/api/v1/sms_gateway/test", json!({"to": "+7 999 000 11 23", "text": "Проверка"})).await;
    assert_eq!((s, v["data"]["status"].as_str(), v["data"]["response_code"].as_i64()), (StatusCode::OK, Some("sent"), Some(200)), "{v}");
    assert_eq!(serde_json::from_str::<Value>(&gw.requests()[1].body).unwrap()["message"], "Проверка");
    assert_eq!(messages(&app, "?status=sent").await.len(), 2);
    let (s, _) = app.post(&app.t.manager1, "/api/v1/sms_gateway/test", json!({"to": "+79990001123", "text": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A GET gateway carries both in the query, percent-encoded.
    let get = json!({"url": format!("{}/get?to={{to}}&msg={{text}}", gw.url), "method": "GET"});
    app.call(reqwest::Method::PUT, &app.t.admin, "/api/v1/sms_gateway", Some(get)).await;
    app.post(&app.t.admin, "/api/v1/sms_gateway/test", json!({"to": "+79990001124", "text": "Да & нет"})).await;
    assert_eq!(gw.requests()[2].uri, "/get?to=%2B79990001124&msg=%D0%94%D0%B0%20%26%20%D0%BD%D0%B5%D1%82");
}

async fn unreachable_mail_servers_and_gateways_are_retried_and_end_failed_and_visible(app: TestApp) {
    let worker = worker(&app, None);
    template(&app, json!({"key": "debt_reminder", "channel": "email", "subject": "Долг", "body": "Сумма {amount}"})).await;
    template(&app, json!({"key": "debt_reminder", "channel": "sms", "body": "Сумма {amount}"})).await;
    let dead = closed_port().await;
    let gateway = json!({"url": format!("http://127.0.0.1:{dead}/send")});
    app.call(reqwest::Method::PUT, &app.t.admin, "/api/v1/sms_gateway", Some(gateway)).await;
    let queue = |channel: &str, to: &str| ClientMessage {
        channel: channel.into(),
        recipient: to.into(),
        template_key: "debt_reminder".into(),
        vars: vars(json!({"amount": "10 ₽"})),
        ..Default::default()
    };
    let email = app.db.queue_client_message(app.ws, &queue("email", "a@b.test")).await.unwrap().unwrap();
    let sms = app.db.queue_client_message(app.ws, &queue("sms", "+79990001122")).await.unwrap().unwrap();

    assert_eq!(worker.run_once().await.unwrap().failed, 2);
    let by_id = |all: &[Value], id: i64| all.iter().find(|m| m["id"] == id).cloned().unwrap();
    let all = messages(&app, "").await;
    let (e, s) = (by_id(&all, email), by_id(&all, sms));
    assert_eq!((e["status"].as_str(), e["attempts"].as_i64()), (Some("queued"), Some(1)), "not sent, retried later: {e}");
    assert!(e["error"].as_str().unwrap().contains("PORYADOK_SMTP_URL"), "{e}");
    assert!(s["error"].as_str().unwrap().contains("SMS gateway is unreachable"), "{s}");
    assert_eq!(worker.run_once().await.unwrap().ran, 0, "not before the back-off");
    // Now with a mail server configured that does not answer (the same worker name keeps the lease).
    let worker = self::worker(&app, Some(dead));
    app.clock.advance(time::Duration::seconds(10));
    assert_eq!(worker.run_once().await.unwrap().failed, 2, "the second attempts fail too");
    let e = by_id(&messages(&app, "").await, email);
    assert_eq!(e["attempts"], 2);
    assert!(e["error"].as_str().unwrap().contains(&format!("SMTP smtp://127.0.0.1:{dead}")), "{e}");
    for _ in 0..6 {
        app.clock.advance(time::Duration::hours(1));
        worker.run_once().await.unwrap();
    }
    let failed = messages(&app, "?status=failed").await;
    assert_eq!(failed.len(), 2, "both end failed and listed");
    assert!(failed.iter().all(|m| m["attempts"] == 8 && m["sent_at"].is_null() && m["error"].is_string()), "{failed:?}");
    let (_, v) = app.get(&app.t.admin, "/api/v1/outbound_messages").await;
    assert_eq!((v["counts"]["failed"].as_i64(), v["counts"]["sent"].as_i64()), (Some(2), Some(0)));

    // After the gateway is fixed, a retry gets through; a message not failed is not retried.
    let gw = http_sink(500).await;
    app.call(reqwest::Method::PUT, &app.t.admin, "/api/v1/sms_gateway", Some(json!({"url": format!("{}/send", gw.url)}))).await;
    let (st, v) = app.post(&app.t.admin, &format!("/api/v1/outbound_messages/{sms}/retry"), json!({})).await;
    assert_eq!((st, v["data"]["status"].as_str()), (StatusCode::OK, Some("queued")), "{v}");
    assert_error(
        &app.post(&app.t.admin, &format!("/api/v1/outbound_messages/{sms}/retry"), json!({})).await,
        409,
        "conflict",
        Some("status"),
    );
    assert_eq!(worker.run_once().await.unwrap().failed, 1, "a 500 from the gateway is a failure");
    let m = by_id(&messages(&app, "").await, sms);
    assert!(m["error"].as_str().unwrap().contains("answered 500: sink says so"), "{m}");
    gw.status.store(200, Ordering::SeqCst);
    app.clock.advance(time::Duration::seconds(10));
    worker.run_once().await.unwrap();
    let m = by_id(&messages(&app, "").await, sms);
    assert_eq!((m["status"].as_str(), m["attempts"].as_i64(), m["error"].as_str()), (Some("sent"), Some(10), None), "{m}");
    assert_eq!(gw.requests().len(), 2);
    assert_eq!(gw.requests()[1].body, "to=%2B79990001122&text=%D0%A1%D1%83%D0%BC%D0%BC%D0%B0%2010%20%E2%82%BD");
}

async fn templates_and_gateways_are_checked_and_a_missing_template_is_a_clear_error(app: TestApp) {
    let post = |body: Value| app.post(&app.t.admin, "/api/v1/message_templates", body);
    let r = post(json!({"key": "debt_reminder", "channel": "sms", "body": "Долг {debt}"})).await;
    assert_error(&r, 422, "validation", Some("body"));
    let msg = r.1["error"]["message"].as_str().unwrap();
    assert!(msg.contains("unknown placeholder {debt}") && msg.contains("{amount}") && msg.contains("{days_overdue}"), "{msg}");
    assert_error(
        &post(json!({"key": "x", "channel": "email", "subject": "Счёт {bill}", "body": "b"})).await,
        422,
        "validation",
        Some("subject"),
    );
    assert_error(&post(json!({"key": "x", "channel": "sms", "body": "Счёт {invoice"})).await, 422, "validation", Some("body"));
    assert_error(&post(json!({"key": "x", "channel": "email", "body": "b"})).await, 422, "validation", Some("subject"));
    assert_error(&post(json!({"key": "x", "channel": "sms", "subject": "s", "body": "b"})).await, 422, "validation", Some("subject"));
    assert_error(&post(json!({"key": "x", "channel": "fax", "body": "b"})).await, 422, "validation", Some("channel"));
    assert_error(&post(json!({"key": "Bad key", "channel": "sms", "body": "b"})).await, 422, "validation", Some("key"));
    assert_error(
        &app.post(&app.t.manager1, "/api/v1/message_templates", json!({"key": "x", "channel": "sms", "body": "b"})).await,
        403,
        "forbidden",
        None,
    );
    assert_eq!(app.get(&app.t.admin, "/api/v1/message_templates").await.1["data"], json!([]), "nothing was saved");

    let t = template(&app, json!({"key": "x", "channel": "sms", "body": "Сумма {amount}"})).await;
    assert_eq!(t["placeholders"], json!(["amount"]));
    assert_error(&post(json!({"key": "x", "channel": "sms", "body": "b"})).await, 409, "conflict", Some("key"));
    let id = t["id"].as_i64().unwrap();
    let patch = app.patch(&app.t.admin, &format!("/api/v1/message_templates/{id}"), json!({"body": "Долг {debt}"})).await;
    assert_error(&patch, 422, "validation", Some("body"));
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/message_templates/{id}"), json!({"body": "Долг {amount}"})).await;
    assert_eq!((s, v["data"]["body"].as_str()), (StatusCode::OK, Some("Долг {amount}")));

    // The preview fills sample values and refuses what a save would refuse.
    let (s, v) = app.post(&app.t.admin, "/api/v1/message_templates/preview", json!({"channel": "email", "subject": "Счёт {invoice}", "body": "{client}: {amount}", "vars": {"invoice": "1", "amount": "5 ₽", "client": "ООО Ромашка"}})).await;
    assert_eq!((s, v["data"].clone()), (StatusCode::OK, json!({"subject": "Счёт 1", "body": "ООО Ромашка: 5 ₽"})));
    assert_error(
        &app.post(&app.t.admin, "/api/v1/message_templates/preview", json!({"channel": "sms", "body": "{debt}"})).await,
        422,
        "validation",
        Some("body"),
    );

    // Queueing without the template, or to a bad address, is a clear error and leaves nothing behind.
    let queue = |key: &str, channel: &str, to: &str| json!({"channel": channel, "recipient": to, "template_key": key});
    let r = app.post(&app.t.admin, "/api/v1/outbound_messages", queue("debt_reminder", "sms", "+79990001122")).await;
    assert_error(&r, 422, "validation", Some("template"));
    assert!(r.1["error"]["message"].as_str().unwrap().contains("no SMS template 'debt_reminder'"), "{}", r.1);
    assert_error(&app.post(&app.t.admin, "/api/v1/outbound_messages", queue("x", "sms", "12")).await, 422, "validation", Some("recipient"));
    assert_error(
        &app.post(&app.t.admin, "/api/v1/outbound_messages", queue("x", "pigeon", "12")).await,
        422,
        "validation",
        Some("channel"),
    );
    assert_error(&app.post(&app.t.manager1, "/api/v1/outbound_messages", queue("x", "sms", "+79990001122")).await, 403, "forbidden", None);
    assert!(messages(&app, "").await.is_empty() && app.db.list_jobs(app.ws, None, 10).await.unwrap().is_empty());

    // The standard set fills in what is missing, once.
    let (s, v) = app.post(&app.t.admin, "/api/v1/message_templates/defaults", json!({})).await;
    let standard = poryadok_store::channels::DEFAULT_TEMPLATES.len() as i64;
    assert!(standard >= 11, "reminders, client notifications, business card, documents: {standard}");
    assert_eq!((s, v["added"].as_i64(), v["data"].as_array().unwrap().len() as i64), (StatusCode::OK, Some(standard), standard + 1), "{v}");
    assert_eq!(app.post(&app.t.admin, "/api/v1/message_templates/defaults", json!({})).await.1["added"], 0);
    assert_eq!(app.delete(&app.t.admin, &format!("/api/v1/message_templates/{id}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&app.t.admin, &format!("/api/v1/message_templates/{id}")).await.0, StatusCode::NOT_FOUND);

    // Gateways: every part is checked and named.
    let put = |v: Value| app.call(reqwest::Method::PUT, &app.t.admin, "/api/v1/sms_gateway", Some(v));
    assert_error(&put(json!({"url": "ftp://sms.example"})).await, 422, "validation", Some("sms_gateway.url"));
    assert_error(
        &put(json!({"url": "https://sms.example", "body": "{\"phone\": \"{phone}\"}"})).await,
        422,
        "validation",
        Some("sms_gateway.body"),
    );
    assert_error(
        &put(json!({"url": "https://sms.example", "body": "{\"to\": \"{to}\"}"})).await,
        422,
        "validation",
        Some("sms_gateway.body"),
    );
    assert_error(&put(json!({"url": "https://sms.example", "method": "PATCH"})).await, 422, "validation", Some("sms_gateway.method"));
    assert_eq!(app.get(&app.t.admin, "/api/v1/sms_gateway").await.1["data"], Value::Null, "nothing was saved");
    let r = app.post(&app.t.admin, "/api/v1/sms_gateway/test", json!({"to": "+79990001122", "text": "x"})).await;
    assert_error(&r, 422, "validation", Some("sms_gateway"));
}

/// Verifies a delivery's signature the way a receiver would: HMAC-SHA256 of the raw body.
fn signed_by(secret: &str, seen: &Seen) -> bool {
    let sig = seen.headers["x-poryadok-signature"].to_str().unwrap();
    let Some(hex_sig) = sig.strip_prefix("sha256=") else { return false };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(seen.body.as_bytes());
    mac.verify_slice(&hex::decode(hex_sig).unwrap()).is_ok()
}

async fn webhook(app: &TestApp, url: &str, events: Value) -> (i64, String) {
    let (s, v) = app.post(&app.t.admin, "/api/v1/webhooks", json!({"url": url, "events": events})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (v["data"]["id"].as_i64().unwrap(), v["data"]["secret"].as_str().unwrap().to_string())
}

async fn deliveries(app: &TestApp, hook: i64) -> Vec<Value> {
    let (s, v) = app.get(&app.t.admin, &format!("/api/v1/webhooks/{hook}/deliveries")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().clone()
}

async fn a_webhook_receiver_gets_deal_created_with_a_valid_signature(app: TestApp) {
    let worker = worker(&app, None);
    // Without webhooks, writes enqueue nothing.
    app.create(&app.t.manager1, "organizations", json!({"name": "ООО До вебхуков"})).await;
    assert!(app.db.list_jobs(app.ws, None, 10).await.unwrap().is_empty());

    let receiver = http_sink(200).await;
    let (hook, secret) = webhook(&app, &format!("{}/crm/events", receiver.url), json!(["deal.created"])).await;
    let (_, people_secret) = webhook(&app, &format!("{}/crm/people", receiver.url), json!(["person.*"])).await;
    let (_, v) = app.get(&app.t.admin, "/api/v1/webhooks").await;
    assert!(v["data"].as_array().unwrap().iter().all(|w| w.get("secret").is_none()), "the secret is shown once: {v}");

    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Внедрение", "pipeline_id": app.ids.pipeline, "value": 500000})).await;
    app.patch(&app.t.manager1, &format!("/api/v1/deals/{deal}"), json!({"title": "Внедрение CRM"})).await;
    let queued = deliveries(&app, hook).await;
    assert_eq!(queued.len(), 1, "deal.created only, not the update: {queued:?}");
    assert_eq!(queued[0]["status"], "queued");
    assert!(receiver.requests().is_empty(), "delivered by the job, not inside the write");

    worker.run_once().await.unwrap();
    let got = receiver.requests();
    assert_eq!(got.len(), 1);
    let seen = &got[0];
    assert_eq!((seen.method.as_str(), seen.uri.as_str()), ("POST", "/crm/events"));
    assert!(signed_by(&secret, seen), "the signature verifies with the webhook's secret");
    assert!(!signed_by(&people_secret, seen), "and with no other");
    assert_eq!(seen.headers["x-poryadok-event"], "deal.created");
    assert_eq!(seen.headers["x-poryadok-delivery"].to_str().unwrap(), queued[0]["id"].to_string());
    assert_eq!(seen.headers["content-type"], "application/json");
    let payload: Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(
        (payload["event"].as_str(), payload["entity"].as_str(), payload["action"].as_str()),
        (Some("deal.created"), Some("deal"), Some("create"))
    );
    assert_eq!((payload["id"].as_i64(), payload["workspace_id"].as_i64()), (Some(deal), Some(app.ws)));
    assert_eq!(payload["changes"]["title"]["to"], "Внедрение");
    assert_eq!(payload["occurred_at"], "2026-11-23T09:00:00.000Z");
    let log = deliveries(&app, hook).await;
    assert_eq!(
        (log[0]["status"].as_str(), log[0]["response_code"].as_i64(), log[0]["attempts"].as_i64()),
        (Some("delivered"), Some(200), Some(1))
    );

    // Person events go to the other webhook only; a switched-off webhook hears nothing.
    let person = app.create(&app.t.manager1, "persons", json!({"name": "Анна"})).await;
    worker.run_once().await.unwrap();
    let got = receiver.requests();
    assert_eq!((got.len(), got[1].uri.as_str()), (2, "/crm/people"));
    assert_eq!(serde_json::from_str::<Value>(&got[1].body).unwrap()["id"], person);
    let (s, _) = app.patch(&app.t.admin, &format!("/api/v1/webhooks/{hook}"), json!({"active": false})).await;
    assert_eq!(s, StatusCode::OK);
    app.create(&app.t.manager1, "deals", json!({"title": "Ещё", "pipeline_id": app.ids.pipeline})).await;
    assert_eq!(deliveries(&app, hook).await.len(), 1);

    // Bad input is named; others may not manage webhooks.
    let bad = |v: Value| app.post(&app.t.admin, "/api/v1/webhooks", v);
    assert_error(&bad(json!({"url": "ftp://x", "events": ["*"]})).await, 422, "validation", Some("url"));
    assert_error(&bad(json!({"url": "https://x.example", "events": ["deal.moved"]})).await, 422, "validation", Some("events.0"));
    assert_error(&bad(json!({"url": "https://x.example", "events": []})).await, 422, "validation", Some("events"));
    assert_error(&app.get(&app.t.head, "/api/v1/webhooks").await, 403, "forbidden", None);
}

async fn a_failing_receiver_is_retried_and_the_log_shows_every_attempt(app: TestApp) {
    let worker = worker(&app, None);
    let receiver = http_sink(500).await;
    let (hook, secret) = webhook(&app, &receiver.url, json!(["*"])).await;
    let org = app.create(&app.t.manager1, "organizations", json!({"name": "ООО Ромашка"})).await;

    assert_eq!(worker.run_once().await.unwrap().failed, 1);
    let d = deliveries(&app, hook).await[0].clone();
    assert_eq!((d["status"].as_str(), d["attempts"].as_i64(), d["response_code"].as_i64()), (Some("queued"), Some(1), Some(500)), "{d}");
    assert!(d["error"].as_str().unwrap().contains("answered 500"), "{d}");
    app.clock.advance(time::Duration::seconds(10));
    worker.run_once().await.unwrap();
    for _ in 0..6 {
        app.clock.advance(time::Duration::hours(1));
        worker.run_once().await.unwrap();
    }
    let d = deliveries(&app, hook).await[0].clone();
    assert_eq!((d["status"].as_str(), d["attempts"].as_i64(), d["delivered_at"].as_str()), (Some("failed"), Some(8), None), "{d}");
    let got = receiver.requests();
    assert_eq!(got.len(), 8, "one request per attempt");
    let id = d["id"].to_string();
    assert!(got.iter().all(|r| r.headers["x-poryadok-delivery"].to_str().unwrap() == id && signed_by(&secret, r)));
    assert_eq!(serde_json::from_str::<Value>(&got[0].body).unwrap()["id"], org);

    // Redelivery after the receiver is fixed: a new delivery of the same body, delivered.
    receiver.status.store(204, Ordering::SeqCst);
    let (s, v) = app.post(&app.t.admin, &format!("/api/v1/webhook_deliveries/{}/redeliver", d["id"]), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_ne!(v["data"]["id"], d["id"]);
    worker.run_once().await.unwrap();
    let log = deliveries(&app, hook).await;
    assert_eq!(log.len(), 2);
    assert_eq!((log[0]["status"].as_str(), log[0]["response_code"].as_i64()), (Some("delivered"), Some(204)));
    assert_eq!(log[1]["status"], "failed", "the old one stays as it was");
    assert_eq!(receiver.requests()[8].body, got[0].body);

    // A webhook deleted while a delivery waits: the delivery ends failed, and is not retried.
    receiver.status.store(500, Ordering::SeqCst);
    app.create(&app.t.manager1, "notes", json!({"content": "Звонили", "organization_id": org})).await;
    assert_eq!(worker.run_once().await.unwrap().failed, 1);
    let (hook_note, _) = (deliveries(&app, hook).await[0]["id"].as_i64().unwrap(), ());
    assert_eq!(app.delete(&app.t.admin, &format!("/api/v1/webhooks/{hook}")).await.0, StatusCode::NO_CONTENT);
    app.clock.advance(time::Duration::seconds(20));
    assert_eq!(worker.run_once().await.unwrap().failed, 0);
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/webhook_deliveries/{hook_note}")).await;
    assert_eq!(
        (v["data"]["status"].as_str(), v["data"]["error"].as_str()),
        (Some("failed"), Some("the webhook was deleted or switched off")),
        "{v}"
    );
}

async fn the_settings_pages_edit_templates_gateway_and_webhooks_and_show_the_outbox(app: TestApp) {
    let worker = worker(&app, None);
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, page) = ui.get("/settings/pipelines").await;
    assert_eq!(s, StatusCode::OK);
    for href in ["/settings/templates", "/settings/sms", "/settings/webhooks", "/settings/outbox"] {
        assert!(page.contains(&format!(r#"href="{href}""#)), "the settings navigation links {href}");
    }

    // Templates: the standard set, a live preview with sample values, a refusal next to the field.
    let (s, page) = ui.get("/settings/templates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(r#"id="templates-empty""#) && page.contains(r#"aria-current="page">Шаблоны сообщений"#), "{page}");
    let (s, frag) = ui.post_form("/settings/templates/defaults", &[]).await;
    assert_eq!(s, StatusCode::OK, "{frag}");
    assert_eq!(frag.matches("<code>debt_reminder</code>").count(), 2, "{frag}");
    assert!(!frag.contains("templates-defaults"), "nothing left to add");
    let (_, preview) = ui.post_form("/settings/templates/preview", &[("channel", "sms"), ("body", "{company}: долг {amount}")]).await;
    assert!(preview.contains("Вектор: долг 120 000,00 ₽") && preview.contains(r#"id="preview-length""#), "{preview}");
    let (s, preview) =
        ui.post_form("/settings/templates/preview", &[("channel", "email"), ("subject", "Счёт"), ("body", "Долг {debt}")]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(preview.contains(r#"id="preview-error""#) && preview.contains("{debt}"), "{preview}");
    let bad = [("key", "reminder"), ("channel", "email"), ("subject", "Счёт {invoice}"), ("body", "Долг {debt}")];
    let (s, form) = ui.post_form("/settings/templates", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form.contains(r#"id="template-body-error""#) && form.contains("{debt}") && form.contains("Долг {debt}</textarea>"), "{form}");
    let good = [("key", "reminder"), ("channel", "sms"), ("subject", ""), ("body", "Оплатите счёт {invoice}")];
    let resp = ui
        .client
        .post(format!("{}/settings/templates", ui.base))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &ui.csrf)
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let pushed = resp.headers()["hx-push-url"].to_str().unwrap().to_string();
    assert!(pushed.starts_with("/settings/templates/"), "{pushed}");
    let (_, page) = ui.get(&pushed).await;
    assert!(page.contains("Оплатите счёт 1024"), "the editor opens with its preview: {page}");

    // The gateway: a refusal named at the input, then a test SMS answered at once.
    let (s, form) = ui.post_form("/settings/sms", &[("url", "ftp://sms.example"), ("method", "POST")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form.contains(r#"id="gateway-url-error""#) && form.contains("ftp://sms.example"), "{form}");
    let gw = http_sink(200).await;
    let url = format!("{}/send", gw.url);
    let fields = [("url", url.as_str()), ("method", "POST"), ("content_type", ""), ("headers", "X-Key: key-never-shown-42"), ("body", "")];
    let (s, form) = ui.post_form("/settings/sms", &fields).await;
    assert_eq!(s, StatusCode::OK, "{form}");
    assert!(form.contains("X-Key: ***") && !form.contains("key-never-shown-42"), "keys are never shown back: {form}");
    let (s, form) = ui.post_form("/settings/sms/test", &[("to", "+7 999 000-11-22"), ("text", "Проверка")]).await;
    assert_eq!(s, StatusCode::OK, "{form}");
    assert!(form.contains(r#"id="sms-test-result""#) && form.contains("+79990001122"), "{form}");
    assert_eq!(gw.requests()[0].headers["x-key"], "key-never-shown-42");
    let (s, form) = ui.post_form("/settings/sms/test", &[("to", "12"), ("text", "x")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form.contains(r#"id="sms-test-error""#), "{form}");

    // Webhooks: the secret once, the delivery log, redelivery.
    let receiver = http_sink(500).await;
    let (s, form) = ui.post_form("/settings/webhooks", &[("url", receiver.url.as_str()), ("events", "deal.moved")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form.contains(r#"id="hook-new-events-error""#) && form.contains("deal.moved"), "{form}");
    let (s, page) = ui.post_form("/settings/webhooks", &[("url", receiver.url.as_str()), ("events", "deal.created, person.*")]).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains(r#"id="hook-secret-value""#), "{page}");
    let hook = app.get(&app.t.admin, "/api/v1/webhooks").await.1["data"][0]["id"].as_i64().unwrap();
    let (_, page) = ui.get(&format!("/settings/webhooks/{hook}")).await;
    assert!(!page.contains("hook-secret-value") && page.contains(r#"id="deliveries-empty""#));
    app.create(&app.t.manager1, "deals", json!({"title": "Сайт", "pipeline_id": app.ids.pipeline})).await;
    worker.run_once().await.unwrap();
    let (_, page) = ui.get(&format!("/settings/webhooks/{hook}")).await;
    assert!(page.contains("<code>deal.created</code>") && page.contains(r#"<td class="num">500</td>"#), "{page}");
    let delivery = app.get(&app.t.admin, &format!("/api/v1/webhooks/{hook}/deliveries")).await.1["data"][0]["id"].as_i64().unwrap();
    let (s, frag) = ui.post_form(&format!("/settings/webhook_deliveries/{delivery}/redeliver"), &[]).await;
    assert_eq!(s, StatusCode::OK, "{frag}");
    assert_eq!(frag.matches("<code>deal.created</code>").count(), 2, "{frag}");

    // The outbox lists the test SMS; a failed message has a retry.
    app.call(
        reqwest::Method::PUT,
        &app.t.admin,
        "/api/v1/sms_gateway",
        Some(json!({"url": format!("http://127.0.0.1:{}/x", closed_port().await)})),
    )
    .await;
    ui.post_form("/settings/sms/test", &[("to", "+79990001123"), ("text", "Вторая")]).await;
    let (s, page) = ui.get("/settings/outbox").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Проверка") && page.contains("+79990001122") && page.contains("Вторая"), "{page}");
    let failed = messages(&app, "?status=failed").await[0]["id"].as_i64().unwrap();
    assert!(page.contains(&format!(r#"id="retry-{failed}""#)), "{page}");
    let (_, page) = ui.get("/settings/outbox?status=sent").await;
    assert!(page.contains("Проверка") && !page.contains("Вторая"));
    let (s, frag) = ui.post_form(&format!("/settings/outbox/{failed}/retry"), &[]).await;
    assert_eq!(s, StatusCode::OK, "{frag}");
    assert!(!frag.contains(&format!(r#"id="retry-{failed}""#)), "queued again: {frag}");

    // Only administrators.
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    for path in ["/settings/templates", "/settings/sms", "/settings/webhooks", "/settings/outbox"] {
        assert_eq!(m1.get(path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
}

/// Webhooks registered through the Pipedrive-compatible `/v1/webhooks` get Pipedrive's bodies
/// (v1: meta, current, previous, event; v2: meta, data, previous with only what changed) with
/// the basic auth they were registered with, through the same engine and log.
async fn pipedrive_webhooks_get_v1_and_v2_bodies_with_basic_auth(app: TestApp) {
    let worker = worker(&app, None);
    let receiver = http_sink(200).await;
    let register = |version: &'static str, path: &'static str| {
        let (app, url) = (&app, format!("{}{path}", receiver.url));
        async move {
            let resp = app
                .client
                .post(format!("{}/v1/webhooks", app.base))
                .header("x-api-token", &app.t.admin)
                .json(&json!({"subscription_url": url, "event_action": "updated", "event_object": "deal", "version": version,
                    "http_auth_user": "zap", "http_auth_password": "s3cret", "name": format!("n8n {version}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 201);
            let v: Value = resp.json().await.unwrap();
            assert_eq!(
                (v["success"].as_bool(), v["data"]["event_object"].as_str(), v["data"]["version"].as_str()),
                (Some(true), Some("deal"), Some(version))
            );
            v["data"]["id"].as_i64().unwrap()
        }
    };
    let v1_hook = register("1.0", "/pd/v1").await;
    let v2_hook = register("2.0", "/pd/v2").await;
    // A manager may not register one.
    let resp = app
        .client
        .post(format!("{}/v1/webhooks?api_token={}", app.base, app.t.manager1))
        .json(&json!({"subscription_url": "http://127.0.0.1:9/x", "event_action": "*", "event_object": "*"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);

    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Старое имя", "pipeline_id": app.ids.pipeline, "value": 500000})).await;
    app.patch(&app.t.manager1, &format!("/api/v1/deals/{deal}"), json!({"title": "Новое имя"})).await;
    worker.run_once().await.unwrap();
    let got = receiver.requests();
    assert_eq!(got.len(), 2, "the update only, once per webhook: {got:?}");
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("zap:s3cret"));
    for seen in &got {
        assert_eq!(seen.headers["authorization"].to_str().unwrap(), auth);
    }
    let body = |path: &str| -> Value { serde_json::from_str(&got.iter().find(|s| s.uri == path).unwrap().body).unwrap() };
    let v1 = body("/pd/v1");
    assert_eq!(
        (v1["event"].as_str(), v1["meta"]["action"].as_str(), v1["meta"]["object"].as_str()),
        (Some("updated.deal"), Some("updated"), Some("deal"))
    );
    assert_eq!((v1["current"]["title"].as_str(), v1["previous"]["title"].as_str()), (Some("Новое имя"), Some("Старое имя")));
    assert_eq!(v1["current"]["value"], json!(5000));
    assert_eq!(v1["current"]["id"], json!(deal));
    let v2 = body("/pd/v2");
    assert_eq!(
        (v2["meta"]["action"].as_str(), v2["meta"]["entity"].as_str(), v2["meta"]["version"].as_str()),
        (Some("change"), Some("deal"), Some("2.0"))
    );
    assert_eq!(v2["data"]["title"], "Новое имя");
    assert_eq!(v2["previous"]["title"], "Старое имя");
    assert!(v2["previous"].get("value").is_none(), "v2's previous holds only what changed: {}", v2["previous"]);
    // Listed and removed through the same API.
    let list: Value =
        app.client.get(format!("{}/v1/webhooks", app.base)).header("x-api-token", &app.t.admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert!(list["data"].as_array().unwrap().iter().all(|h| h["http_auth_password"] == "********"));
    let resp = app.client.delete(format!("{}/v1/webhooks/{v1_hook}", app.base)).header("x-api-token", &app.t.admin).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let (_, hooks) = app.get(&app.t.admin, "/api/v1/webhooks").await;
    assert_eq!(hooks["data"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![v2_hook]);
}

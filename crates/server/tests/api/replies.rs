//! Writing to a client from the card, against local sinks: e-mail threaded under the client's
//! letter (and their answer back on the card), Telegram through the bot they wrote to, WhatsApp
//! through the workspace's provider; refusals before sending, and failures retried and shown,
//! never marked sent.
use crate::helpers::{assert_error, TestApp};
use crate::intake::{deliver, source};
use crate::notifications::smtp_sink;
use axum::routing::post;
use poryadok_server::mail::SmtpConfig;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

crate::both_dbs!(
    an_email_reply_threads_under_the_clients_letter_and_their_answer_comes_back,
    a_telegram_reply_goes_through_the_bot_and_a_refusal_is_retried_then_failed,
    whatsapp_and_refusals_before_sending,
    a_whatsapp_message_comes_in_through_the_provider_and_is_answered,
);

/// A fake HTTP API on 127.0.0.1 that records each request (path and JSON body) and answers
/// with `status`.
async fn fake_api(status: u16) -> (String, Arc<Mutex<Vec<(String, Value)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(post(move |uri: axum::http::Uri, body: String| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push((uri.path().to_string(), serde_json::from_str(&body).unwrap_or(Value::Null)));
            (axum::http::StatusCode::from_u16(status).unwrap(), r#"{"ok":true}"#)
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

/// One worker name per test: on SQLite a new name would wait for the previous one's lease.
fn worker(app: &TestApp, smtp_port: Option<u16>, telegram: Option<&str>) -> Worker {
    let smtp = smtp_port.map(|p| SmtpConfig::new(&format!("smtp://127.0.0.1:{p}"), "Вектор <sales@vector.test>", None).unwrap());
    let mut w = Worker::new(&AppState::new(app.db.clone()).with_smtp(smtp).with_telegram_api(telegram));
    w.id = "test-worker".into();
    w
}

async fn card_messages(app: &TestApp, path: &str) -> Vec<Value> {
    let (s, v) = app.get(&app.t.admin, path).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().clone()
}

async fn an_email_reply_threads_under_the_clients_letter_and_their_answer_comes_back(app: TestApp) {
    let (port, sink) = smtp_sink().await;
    let w = worker(&app, Some(port), None);
    let mail = source(&app, "email", json!({})).await;
    let letter = "From: Ivan Sedov <ivan@example.ru>\r\nTo: sales@vector.test\r\nSubject: Счёт за май\r\n\
Message-ID: <m1@example.ru>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0300\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПришлите счёт.\r\n";
    assert_eq!(deliver(&app, &mail, "message/rfc822", letter.as_bytes()).await.0, StatusCode::ACCEPTED);
    w.run_once().await.unwrap();
    let person = app.all_records(&app.t.admin, "persons", "", 10).await[0]["id"].as_i64().unwrap();
    let deal = app.all_records(&app.t.admin, "deals", &format!("&person_id={person}"), 10).await[0]["id"].as_i64().unwrap();

    let (s, options) = app.get(&app.t.admin, &format!("/api/v1/deals/{deal}/reply_channels")).await;
    assert_eq!(s, StatusCode::OK, "{options}");
    assert_eq!(options["data"]["subject"], "Re: Счёт за май");
    let email = options["data"]["channels"].as_array().unwrap().iter().find(|c| c["channel"] == "email").unwrap().clone();
    assert_eq!(email["to"], "ivan@example.ru");

    let (s, sent) = app
        .post(&app.t.admin, &format!("/api/v1/deals/{deal}/messages"), json!({"channel": "email", "text": "Счёт во вложении, Иван."}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["data"]["status"], "queued");
    let on_card = card_messages(&app, &format!("/api/v1/deals/{deal}/messages")).await;
    let out = on_card.iter().find(|m| m["direction"] == "out").unwrap().clone();
    assert_eq!(out["delivery"], "queued", "on the card at once, not yet sent: {out}");
    assert_eq!(out["subject"], "Re: Счёт за май");

    w.run_once().await.unwrap();
    let data = {
        let sink = sink.lock().unwrap();
        assert_eq!(sink.messages.len(), 1);
        assert!(sink.commands.iter().any(|c| c.contains("RCPT TO:<ivan@example.ru>")), "{:?}", sink.commands);
        sink.messages[0].clone()
    };
    assert!(data.contains("In-Reply-To: <m1@example.ru>"), "{data}");
    assert!(data.contains("References: <m1@example.ru>"), "{data}");
    let own_id = out["external_id"].as_str().unwrap().to_string();
    assert!(data.contains(&format!("Message-ID: <{own_id}>")), "{data}");
    let (_, after) = app.get(&app.t.admin, &format!("/api/v1/outbound_messages/{}", sent["data"]["id"])).await;
    assert_eq!(after["data"]["status"], "sent");
    let out = card_messages(&app, &format!("/api/v1/deals/{deal}/messages")).await.into_iter().find(|m| m["direction"] == "out").unwrap();
    assert_eq!(out["delivery"], "sent");

    // The client answers from another address, quoting our letter: it lands on the same card.
    let answer = format!(
        "From: buh@example.ru\r\nTo: sales@vector.test\r\nSubject: Re: Re: Счёт за май\r\nMessage-ID: <m2@example.ru>\r\n\
In-Reply-To: <{own_id}>\r\nReferences: <m1@example.ru> <{own_id}>\r\n\r\nОплатили.\r\n"
    );
    assert_eq!(deliver(&app, &mail, "message/rfc822", answer.as_bytes()).await.0, StatusCode::ACCEPTED);
    w.run_once().await.unwrap();
    let on_card = card_messages(&app, &format!("/api/v1/deals/{deal}/messages")).await;
    assert_eq!(on_card.len(), 3, "{on_card:?}");
    assert_eq!(app.all_records(&app.t.admin, "persons", "", 10).await.len(), 1, "the answer did not make a new client");
}

async fn a_telegram_reply_goes_through_the_bot_and_a_refusal_is_retried_then_failed(app: TestApp) {
    let (api, calls) = fake_api(200).await;
    let tg = source(&app, "telegram", json!({"bot_token": "123:secret"})).await;
    // The token is never shown back.
    let (_, shown) = app.get(&app.t.admin, &format!("/api/v1/intake/sources/{}", tg.id)).await;
    assert_eq!(shown["data"]["config"]["bot_token"], "***", "{shown}");
    let update = json!({"update_id": 7, "message": {"message_id": 3, "from": {"id": 4242, "first_name": "Анна"}, "chat": {"id": 4242},
                        "date": 1_790_000_000, "text": "Здравствуйте, сколько стоит?"}});
    let resp = app
        .client
        .post(format!("{}{}", app.base, tg.path))
        .header("x-telegram-bot-api-secret-token", tg.secret.clone())
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let w = worker(&app, None, Some(&api));
    w.run_once().await.unwrap();
    let person = app.all_records(&app.t.admin, "persons", "", 10).await[0]["id"].as_i64().unwrap();

    let (s, sent) = app
        .post(&app.t.admin, &format!("/api/v1/persons/{person}/messages"), json!({"channel": "telegram", "text": "Добрый день! 12 000 ₽."}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{sent}");
    w.run_once().await.unwrap();
    {
        let calls = calls.lock().unwrap();
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(calls[0].0, "/bot123:secret/sendMessage");
        assert_eq!(calls[0].1, json!({"chat_id": 4242, "text": "Добрый день! 12 000 ₽."}));
    }
    let (_, m) = app.get(&app.t.admin, &format!("/api/v1/outbound_messages/{}", sent["data"]["id"])).await;
    assert_eq!(m["data"]["status"], "sent");

    // A Bot API that refuses: the message stays queued with the reason, is retried, and ends
    // failed after the last attempt; it is never marked sent.
    let (bad_api, bad_calls) = fake_api(502).await;
    let w = worker(&app, None, Some(&bad_api));
    let (_, sent) =
        app.post(&app.t.admin, &format!("/api/v1/persons/{person}/messages"), json!({"channel": "telegram", "text": "Вы тут?"})).await;
    let id = sent["data"]["id"].as_i64().unwrap();
    w.run_once().await.unwrap();
    let (_, m) = app.get(&app.t.admin, &format!("/api/v1/outbound_messages/{id}")).await;
    assert_eq!(m["data"]["status"], "queued", "{m}");
    assert_eq!(m["data"]["error_code"], "telegram_answered", "{m}");
    for _ in 0..10 {
        app.clock.advance(time::Duration::hours(2));
        w.run_once().await.unwrap();
    }
    let (_, m) = app.get(&app.t.admin, &format!("/api/v1/outbound_messages/{id}")).await;
    assert_eq!(m["data"]["status"], "failed", "{m}");
    assert!(m["data"]["sent_at"].is_null());
    assert!(bad_calls.lock().unwrap().len() >= 2, "retried");
    let out = card_messages(&app, &format!("/api/v1/persons/{person}/messages")).await;
    assert!(out.iter().any(|m| m["delivery"] == "failed"), "{out:?}");
}

async fn whatsapp_and_refusals_before_sending(app: TestApp) {
    let person = app.create(&app.t.manager1, "persons", json!({"name": "Пётр Без Почты", "phone": "+79161112233"})).await;
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Станки", "person_id": person})).await;
    let path = format!("/api/v1/deals/{deal}/messages");
    let m1 = &app.t.manager1;
    // The client has no e-mail, never wrote in Telegram, and no WhatsApp provider is set.
    let no_email = app.post(m1, &path, json!({"channel": "email", "text": "x", "subject": "s"})).await;
    assert_error(&no_email, 422, "validation", Some("channel"));
    assert_eq!(no_email.1["error"]["message_code"], "client_lacks_channel");
    let no_chat = app.post(m1, &path, json!({"channel": "telegram", "text": "x"})).await;
    assert_eq!(no_chat.1["error"]["message_code"], "no_telegram_chat", "{}", no_chat.1);
    let no_provider = app.post(m1, &path, json!({"channel": "whatsapp", "text": "x"})).await;
    assert_eq!(no_provider.1["error"]["message_code"], "no_whatsapp_gateway", "{}", no_provider.1);
    assert_error(&app.post(m1, &path, json!({"channel": "fax", "text": "x"})).await, 422, "validation", Some("channel"));
    assert_error(&app.post(m1, &path, json!({"channel": "sms"})).await, 422, "validation", Some("channel"));

    let (api, calls) = fake_api(200).await;
    let gateway = json!({"url": format!("{api}/send"), "method": "POST", "content_type": "application/json",
                         "body": "{\"phone\": \"{to}\", \"message\": \"{text}\"}", "headers": {"Authorization": "Bearer k"}});
    let (s, v) = app.call(reqwest::Method::PUT, &app.t.admin, "/api/v1/whatsapp_gateway", Some(gateway)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["headers"]["Authorization"], "***", "{v}");
    assert_error(&app.call(reqwest::Method::PUT, m1, "/api/v1/whatsapp_gateway", Some(json!(null))).await, 403, "forbidden", None);
    let (s, sent) = app.post(m1, &path, json!({"channel": "whatsapp", "text": "Счёт готов, \"Станки\" & сервис"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{sent}");
    worker(&app, None, None).run_once().await.unwrap();
    assert_eq!(calls.lock().unwrap()[0].1, json!({"phone": "+79161112233", "message": "Счёт готов, \"Станки\" & сервис"}));

    // A template whose placeholder is empty for this card is refused before anything is sent.
    let (s, t) = app
        .post(
            &app.t.admin,
            "/api/v1/message_templates",
            json!({"key": "call_me", "channel": "sms", "body": "{contact}, я {manager}, мой телефон {manager_phone}"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let tid = t["data"]["id"].as_i64().unwrap();
    let empty = app.post(m1, &path, json!({"channel": "whatsapp", "template_id": tid})).await;
    assert_error(&empty, 422, "validation", Some("template_id"));
    assert_eq!(empty.1["error"]["args"]["placeholder"], "manager_phone", "{}", empty.1);
    app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager1), json!({"phone": "+79990001122"})).await;
    let (s, sent) = app.post(m1, &path, json!({"channel": "whatsapp", "template_id": tid})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["data"]["body"], "Пётр Без Почты, я m1, мой телефон +79990001122");
    // Another manager may not write on a card they cannot see.
    assert_error(&app.post(&app.t.manager3, &path, json!({"channel": "whatsapp", "text": "x"})).await, 404, "not_found", None);
    assert_eq!(calls.lock().unwrap().len(), 1, "nothing else went out yet");
}

async fn a_whatsapp_message_comes_in_through_the_provider_and_is_answered(app: TestApp) {
    let wa = source(&app, "whatsapp", json!({})).await;
    // The gateways' shape: our own echoed message is ignored, the client's lands on a card.
    let echo = json!({"messages": [{"messageId": "e1", "chatId": "79161234567", "chatType": "whatsapp", "text": "Мы", "isEcho": true}]});
    assert_eq!(deliver(&app, &wa, "application/json", echo.to_string().as_bytes()).await.0, StatusCode::ACCEPTED);
    let incoming = json!({"messages": [{"messageId": "w1", "chatId": "79161234567", "chatType": "whatsapp", "text": "Есть в наличии?",
                                       "dateTime": "2026-11-23T08:00:00Z", "contact": {"name": "Ирина"}}]});
    assert_eq!(deliver(&app, &wa, "application/json", incoming.to_string().as_bytes()).await.0, StatusCode::ACCEPTED);
    // The generic shape from the same client: the same card.
    let generic = json!({"id": "w2", "from": "+7 916 123-45-67", "text": "И сколько стоит?", "timestamp": 1_795_000_000});
    assert_eq!(deliver(&app, &wa, "application/json", generic.to_string().as_bytes()).await.0, StatusCode::ACCEPTED);
    // No sender: stored, reported, not lost.
    let (s, v) = deliver(&app, &wa, "application/json", br#"{"id": "w3", "text": "?"}"#).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["event_id"].as_i64().is_some(), "{v}");
    let (api, calls) = fake_api(200).await;
    let gateway = json!({"url": format!("{api}/send"), "method": "POST", "content_type": "application/json", "body": "{\"to\": \"{to}\", \"text\": \"{text}\"}"});
    app.call(reqwest::Method::PUT, &app.t.admin, "/api/v1/whatsapp_gateway", Some(gateway)).await;
    let w = worker(&app, None, None);
    w.run_once().await.unwrap();
    let persons = app.all_records(&app.t.admin, "persons", "", 10).await;
    assert_eq!(persons.len(), 1, "{persons:?}");
    assert_eq!((persons[0]["name"].as_str(), persons[0]["phone"].as_str()), (Some("Ирина"), Some("+79161234567")));
    let person = persons[0]["id"].as_i64().unwrap();
    let on_card = card_messages(&app, &format!("/api/v1/persons/{person}/messages")).await;
    assert_eq!(on_card.len(), 2, "{on_card:?}");
    assert!(on_card.iter().all(|m| m["channel"] == "whatsapp" && m["direction"] == "in"));
    let deals = app.all_records(&app.t.admin, "deals", &format!("&person_id={person}"), 10).await;
    assert_eq!(deals.len(), 1);
    assert!(deals[0]["title"].as_str().unwrap().starts_with("WhatsApp"), "{:?}", deals[0]);
    let (s, v) = app
        .post(&app.t.admin, &format!("/api/v1/deals/{}/messages", deals[0]["id"]), json!({"channel": "whatsapp", "text": "Да, 12 000 ₽"}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    w.run_once().await.unwrap();
    assert_eq!(calls.lock().unwrap()[0].1, json!({"to": "+79161234567", "text": "Да, 12 000 ₽"}));
}

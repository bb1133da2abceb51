//! Client notifications, attachments and the user's own mail account, against local sinks: a
//! stage entry notifies once even when replayed, quiet hours defer to their end, a missed call
//! gets an apology and a first answered call a business card (refused visibly when the client
//! lacks the channel), an e-mail carries the card's file as a MIME attachment, and a user's own
//! mail server sends their e-mail instead of the workspace's.
use crate::helpers::{assert_error, TestApp};
use crate::intake::{call, source};
use crate::notifications::smtp_sink;
use axum::routing::post;
use poryadok_server::mail::SmtpConfig;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

crate::both_dbs!(
    a_stage_entry_notifies_the_client_once_even_on_a_replay,
    quiet_hours_defer_a_notification_to_their_end,
    a_missed_call_gets_an_apology_and_a_first_call_a_business_card,
    an_email_carries_the_cards_file_through_the_users_own_mail_server,
    a_document_is_sent_to_the_client_from_the_card,
);

/// A fake SMS gateway on 127.0.0.1: records each JSON body it is sent.
async fn sms_gateway(app: &TestApp) -> Arc<Mutex<Vec<Value>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let router = axum::Router::new().fallback(post(move |body: String| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(serde_json::from_str(&body).unwrap_or(Value::Null));
            "ok"
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let gateway =
        json!({"url": url, "method": "POST", "content_type": "application/json", "body": "{\"to\": \"{to}\", \"text\": \"{text}\"}"});
    let (s, v) = app.call(Method::PUT, &app.t.admin, "/api/v1/sms_gateway", Some(gateway)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    seen
}

fn worker(app: &TestApp, smtp_port: Option<u16>) -> Worker {
    let smtp = smtp_port.map(|p| SmtpConfig::new(&format!("smtp://127.0.0.1:{p}"), "Вектор <sales@vector.test>", None).unwrap());
    let mut w = Worker::new(&AppState::new(app.db.clone()).with_smtp(smtp));
    w.id = "test-worker".into();
    w
}

async fn defaults(app: &TestApp) {
    let (s, v) = app.post(&app.t.admin, "/api/v1/message_templates/defaults", json!({})).await;
    assert!(s.is_success(), "{v}");
}

async fn put_settings(app: &TestApp, body: Value) -> Value {
    let (s, v) = app.call(Method::PUT, &app.t.admin, "/api/v1/client_notifications", Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].clone()
}

async fn outgoing(app: &TestApp, path: &str) -> Vec<Value> {
    let (s, v) = app.get(&app.t.admin, path).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().iter().filter(|m| m["direction"] == "out").cloned().collect()
}

async fn client_with_deal(app: &TestApp, phone: &str, email: Option<&str>) -> (i64, i64) {
    let mut p = json!({"name": "Ольга Петрова", "phone": phone, "owner_id": app.ids.manager1});
    if let Some(e) = email {
        p["email"] = json!(e);
    }
    let person = app.create(&app.t.admin, "persons", p).await;
    let deal = app
        .create(
            &app.t.admin,
            "deals",
            json!({"title": "Поставка станков", "person_id": person, "owner_id": app.ids.manager1, "stage_id": app.ids.stages[0]}),
        )
        .await;
    (person, deal)
}

async fn a_stage_entry_notifies_the_client_once_even_on_a_replay(app: TestApp) {
    let sms = sms_gateway(&app).await;
    defaults(&app).await;
    let (stage, other) = (app.ids.stages[1], app.ids.stages[2]);
    // Off by default; only administrators see or change it.
    let (s, v) = app.get(&app.t.admin, "/api/v1/client_notifications").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let rule = v["data"]["rules"].as_array().unwrap().iter().find(|r| r["stage_id"] == stage).unwrap().clone();
    assert_eq!(
        (rule["enabled"].as_bool(), rule["channel"].as_str(), rule["template_key"].as_str()),
        (Some(false), Some("last"), Some("stage_notice"))
    );
    assert_error(&app.get(&app.t.manager1, "/api/v1/client_notifications").await, 403, "forbidden", None);
    let bad = |body: Value| app.call(Method::PUT, &app.t.admin, "/api/v1/client_notifications", Some(body));
    assert_error(&bad(json!({"quiet_hours": "9pm-9am"})).await, 422, "validation", Some("quiet_hours"));
    assert_error(&bad(json!({"rules": [{"event": "stage_entry"}]})).await, 422, "validation", Some("rules[0].stage_id"));
    assert_error(
        &bad(json!({"rules": [{"event": "stage_entry", "stage_id": stage, "template_key": "nope"}]})).await,
        422,
        "validation",
        Some("rules[0].template_key"),
    );
    assert_error(&bad(json!({"rules": [{"event": "missed_call", "channel": "fax"}]})).await, 422, "validation", Some("rules[0].channel"));

    let set = put_settings(&app, json!({"rules": [{"event": "stage_entry", "stage_id": stage, "enabled": true, "channel": "sms"}]})).await;
    assert_eq!(set["rules"].as_array().unwrap().iter().filter(|r| r["enabled"] == true).count(), 1, "{set}");
    let (_, deal) = client_with_deal(&app, "+79161112233", None).await;
    let w = worker(&app, None);
    w.run_once().await.unwrap();
    assert!(sms.lock().unwrap().is_empty(), "creating the deal at another stage notifies nobody");

    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{deal}"), json!({"stage_id": stage})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    w.run_once().await.unwrap();
    {
        let sent = sms.lock().unwrap();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0]["to"], "+79161112233");
        let text = sent[0]["text"].as_str().unwrap();
        assert!(text.contains("«Поставка станков»") && text.contains("«Принял в работу»") && text.contains("Вектор"), "{text}");
    }
    let out = outgoing(&app, &format!("/api/v1/deals/{deal}/messages")).await;
    assert_eq!(out.len(), 1, "on the card: {out:?}");
    assert_eq!(out[0]["delivery"], "sent");

    // A replay of the same entry (the job again, the same write again) sends nothing more.
    let jobs = app.db.list_jobs(app.ws, None, 100).await.unwrap();
    let job = jobs.iter().find(|j| j["kind"] == "client_notify").expect("the notification's job");
    let payload = job["payload"].clone();
    assert_eq!(payload["deal_id"], deal, "{job}");
    app.db.run_client_notify(app.ws, &payload).await.unwrap();
    app.patch(&app.t.admin, &format!("/api/v1/deals/{deal}"), json!({"stage_id": stage})).await;
    w.run_once().await.unwrap();
    assert_eq!(sms.lock().unwrap().len(), 1, "no double send");
    assert_eq!(outgoing(&app, &format!("/api/v1/deals/{deal}/messages")).await.len(), 1);

    // A deal without a contact: nothing is sent, and its card says why.
    let lonely = app.create(&app.t.admin, "deals", json!({"title": "Без контакта", "stage_id": app.ids.stages[0]})).await;
    app.patch(&app.t.admin, &format!("/api/v1/deals/{lonely}"), json!({"stage_id": stage})).await;
    w.run_once().await.unwrap();
    let out = outgoing(&app, &format!("/api/v1/deals/{lonely}/messages")).await;
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0]["delivery"], "failed");
    let (_, m) = app.get(&app.t.admin, &format!("/api/v1/outbound_messages/{}", out[0]["outbound_id"])).await;
    assert_eq!(m["data"]["error_code"], "no_client_person", "{m}");
    assert_eq!(sms.lock().unwrap().len(), 1);

    // A stage without a notification sends nothing; a switched-off one neither.
    app.patch(&app.t.admin, &format!("/api/v1/deals/{deal}"), json!({"stage_id": other})).await;
    put_settings(&app, json!({"rules": [{"event": "stage_entry", "stage_id": stage, "enabled": false}]})).await;
    app.patch(&app.t.admin, &format!("/api/v1/deals/{deal}"), json!({"stage_id": stage})).await;
    w.run_once().await.unwrap();
    assert_eq!(sms.lock().unwrap().len(), 1);
}

async fn quiet_hours_defer_a_notification_to_their_end(app: TestApp) {
    let sms = sms_gateway(&app).await;
    defaults(&app).await;
    let stage = app.ids.stages[1];
    let set = put_settings(
        &app,
        json!({"quiet_hours": "21:00–09:00", "rules": [{"event": "stage_entry", "stage_id": stage, "enabled": true, "channel": "last"}]}),
    )
    .await;
    assert_eq!(set["quiet_hours"], "21:00-09:00");
    assert_eq!(set["timezone"], "Europe/Moscow");
    let (_, deal) = client_with_deal(&app, "+79161112233", None).await;
    // The clock starts at 12:00 in Moscow; at 22:30 the client is asleep.
    app.clock.advance(time::Duration::minutes(10 * 60 + 30));
    app.patch(&app.t.admin, &format!("/api/v1/deals/{deal}"), json!({"stage_id": stage})).await;
    let w = worker(&app, None);
    w.run_once().await.unwrap();
    assert!(sms.lock().unwrap().is_empty(), "nothing at night");
    let out = outgoing(&app, &format!("/api/v1/deals/{deal}/messages")).await;
    assert_eq!(out.len(), 1, "on the card already: {out:?}");
    assert_eq!(out[0]["delivery"], "queued", "{out:?}");
    assert_eq!(out[0]["channel"], "sms", "a client who never wrote gets the last channel's fallback, SMS");
    let (_, m) = app.get(&app.t.admin, &format!("/api/v1/outbound_messages/{}", out[0]["outbound_id"])).await;
    assert_eq!(m["data"]["not_before"], "2026-11-24T06:00:00.000Z", "09:00 the next morning in Moscow: {m}");
    // 08:59: still waiting; 09:00: sent.
    app.clock.advance(time::Duration::minutes(10 * 60 + 29));
    w.run_once().await.unwrap();
    assert!(sms.lock().unwrap().is_empty());
    app.clock.advance(time::Duration::minutes(1));
    w.run_once().await.unwrap();
    assert_eq!(sms.lock().unwrap().len(), 1);
    assert_eq!(outgoing(&app, &format!("/api/v1/deals/{deal}/messages")).await[0]["delivery"], "sent");
}

async fn a_missed_call_gets_an_apology_and_a_first_call_a_business_card(app: TestApp) {
    let sms = sms_gateway(&app).await;
    defaults(&app).await;
    put_settings(
        &app,
        json!({"rules": [{"event": "missed_call", "enabled": true, "channel": "sms"},
                         {"event": "first_call", "enabled": true, "channel": "email", "template_key": "business_card"}]}),
    )
    .await;
    let hook = source(&app, "telephony", json!({})).await;
    let w = worker(&app, None);
    let missed = json!({"call_id": "c-1", "from": "+79995554433", "status": "missed"});
    assert_eq!(call(&app, &hook, missed.clone()).await.0, StatusCode::ACCEPTED);
    w.run_once().await.unwrap();
    {
        let sent = sms.lock().unwrap();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0]["to"], "+79995554433");
        assert!(sent[0]["text"].as_str().unwrap().contains("не успели ответить"), "{sent:?}");
    }
    // The provider sends the same event again: no second apology.
    call(&app, &hook, missed).await;
    w.run_once().await.unwrap();
    assert_eq!(sms.lock().unwrap().len(), 1);

    // The first answered call: the business card goes by e-mail, which this client lacks —
    // nothing is sent, and the card says why.
    call(&app, &hook, json!({"call_id": "c-2", "from": "+79995554433", "status": "answered", "duration": 40})).await;
    w.run_once().await.unwrap();
    let (_, persons) = app.get(&app.t.admin, "/api/v1/persons?limit=10").await;
    let person = persons["data"].as_array().unwrap().iter().find(|p| p["phone"] == "+79995554433").unwrap()["id"].as_i64().unwrap();
    let out = outgoing(&app, &format!("/api/v1/persons/{person}/messages")).await;
    assert_eq!(out.len(), 2, "{out:?}");
    let card = out.iter().find(|m| m["channel"] == "email").unwrap();
    assert_eq!(card["delivery"], "failed", "{card}");
    let (_, m) = app.get(&app.t.admin, &format!("/api/v1/outbound_messages/{}", card["outbound_id"])).await;
    assert_eq!(m["data"]["error_code"], "client_lacks_channel", "{m}");
    // A later answered call is not the first.
    call(&app, &hook, json!({"call_id": "c-3", "from": "+79995554433", "status": "answered", "duration": 20})).await;
    w.run_once().await.unwrap();
    assert_eq!(outgoing(&app, &format!("/api/v1/persons/{person}/messages")).await.len(), 2);
    assert_eq!(sms.lock().unwrap().len(), 1);
}

async fn upload(app: &TestApp, token: &str, deal: i64, name: &str, bytes: &[u8]) -> i64 {
    let boundary = "----poryadok-test";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = app
        .client
        .post(format!("{}/api/v1/deals/{deal}/files", app.base))
        .bearer_auth(token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["data"]["id"].as_i64().unwrap()
}

async fn an_email_carries_the_cards_file_through_the_users_own_mail_server(app: TestApp) {
    let (shared_port, shared) = smtp_sink().await;
    let (own_port, own) = smtp_sink().await;
    let m1 = &app.t.manager1;
    let (_, deal) = client_with_deal(&app, "+79161112233", Some("olga@client.ru")).await;
    let file = upload(&app, m1, deal, "smeta.txt", b"Smeta: 150000 RUB\n").await;
    let path = format!("/api/v1/deals/{deal}/messages");

    // Files go with an e-mail only; a messenger gets a clear refusal.
    let r = app.post(m1, &path, json!({"channel": "whatsapp", "text": "x", "file_ids": [file]})).await;
    assert_error(&r, 422, "validation", Some("file_ids"));
    let r = app.post(m1, &path, json!({"channel": "email", "subject": "s", "text": "x", "file_ids": [999_999]})).await;
    assert_error(&r, 422, "validation", Some("file_ids"));

    // The manager's own mail account; its password never comes back.
    let (s, v) = app
        .call(
            Method::PUT,
            m1,
            "/api/v1/me/smtp",
            Some(json!({"host": "127.0.0.1", "port": own_port, "tls": "none", "login": "olga.m@vector.test", "password": "hunter2"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["password_set"], true);
    assert!(!v.to_string().contains("hunter2"), "{v}");
    let (_, v) = app.get(m1, "/api/v1/me/smtp").await;
    assert!(!v.to_string().contains("hunter2") && v["data"]["host"] == "127.0.0.1", "{v}");
    let (_, v) = app.get(&app.t.manager2, "/api/v1/me/smtp").await;
    assert_eq!(v["data"], Value::Null, "another user has none");
    assert_error(
        &app.call(Method::PUT, m1, "/api/v1/me/smtp", Some(json!({"host": "h", "tls": "ssl", "login": "a@b.ru"}))).await,
        422,
        "validation",
        Some("tls"),
    );

    let (s, sent) =
        app.post(m1, &path, json!({"channel": "email", "subject": "Смета", "text": "Смета во вложении.", "file_ids": [file]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["data"]["attachments"][0]["name"], "smeta.txt", "{sent}");
    worker(&app, Some(shared_port)).run_once().await.unwrap();
    assert!(shared.lock().unwrap().messages.is_empty(), "not through the workspace's account");
    let data = {
        let sink = own.lock().unwrap();
        assert_eq!(sink.messages.len(), 1, "{:?}", sink.commands);
        assert!(sink.commands.iter().any(|c| c.contains("MAIL FROM:<olga.m@vector.test>")), "{:?}", sink.commands);
        assert!(sink.commands.iter().any(|c| c.starts_with("AUTH")), "logged in: {:?}", sink.commands);
        sink.messages[0].clone()
    };
    assert!(data.contains("multipart/mixed"), "{data}");
    assert!(data.contains("Content-Disposition: attachment; filename=\"smeta.txt\""), "{data}");
    assert!(data.contains("Smeta: 150000 RUB") || data.contains("U21ldGE6IDE1MDAwMCBSVUIK"), "the file's bytes: {data}");
    let out = outgoing(&app, &path).await;
    assert_eq!(out[0]["delivery"], "sent");

    // The own server unreachable: not sent, the reason on the message, the shared one not used.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    app.call(
        Method::PUT,
        m1,
        "/api/v1/me/smtp",
        Some(json!({"host": "127.0.0.1", "port": closed, "tls": "none", "login": "olga.m@vector.test"})),
    )
    .await;
    let (_, second) = app.post(m1, &path, json!({"channel": "email", "subject": "Ещё", "text": "Повтор."})).await;
    worker(&app, Some(shared_port)).run_once().await.unwrap();
    let (_, m) = app.get(&app.t.admin, &format!("/api/v1/outbound_messages/{}", second["data"]["id"])).await;
    assert_eq!(m["data"]["status"], "queued", "{m}");
    assert!(m["data"]["error"].as_str().unwrap_or("").contains(&format!("127.0.0.1:{closed}")), "the own server is named: {m}");
    assert!(shared.lock().unwrap().messages.is_empty());
    // Removed: back to the workspace's account.
    app.call(Method::PUT, m1, "/api/v1/me/smtp", Some(Value::Null)).await;
    app.post(m1, &path, json!({"channel": "email", "subject": "Третье", "text": "Через общий ящик."})).await;
    worker(&app, Some(shared_port)).run_once().await.unwrap();
    assert_eq!(shared.lock().unwrap().messages.len(), 1);
}

/// "Send to client" on a generated document: the composer opens on e-mail with the document's
/// file ticked and the `document_send` template filled; sent, the file is in the letter.
async fn a_document_is_sent_to_the_client_from_the_card(app: TestApp) {
    let (port, sink) = smtp_sink().await;
    defaults(&app).await;
    let requisites = json!({
        "legal_name": "ООО «Вектор»", "inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195",
        "legal_address": "117312, г. Москва, ул. Вавилова, д. 19", "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "corr_account": "30101810400000000225", "account": "40702810438000060473",
        "signatory_name": "Иванов Иван Иванович", "signatory_title": "Генеральный директор",
    });
    let (s, v) = app.call(Method::PUT, &app.t.admin, "/api/v1/workspace/requisites", Some(requisites)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.post(&app.t.admin, "/api/v1/document_templates/builtin", json!({})).await;
    assert!(s.is_success(), "{v}");
    let (_, templates) = app.get(&app.t.admin, "/api/v1/document_templates").await;
    let invoice = templates["data"].as_array().unwrap().iter().find(|t| t["doc_type"] == "invoice").unwrap()["id"].as_i64().unwrap();
    let m1 = &app.t.manager1;
    let org = app
        .create(m1, "organizations", json!({"name": "Рога и Копыта", "requisites": {"legal_name": "ООО Рога", "inn": "7707083893", "kpp": "773601001", "legal_address": "г. Казань, ул. Баумана, д. 1"}}))
        .await;
    let person = app.create(m1, "persons", json!({"name": "Пётр Сидоров", "email": "petr@roga.ru", "organization_id": org})).await;
    let deal = app.create(m1, "deals", json!({"title": "Поставка серверов", "organization_id": org, "person_id": person})).await;
    let (s, v) = app
        .post(
            m1,
            &format!("/api/v1/deals/{deal}/line_items"),
            json!({"name": "Сервер", "price": 100000, "quantity": "1", "vat_rate": "22"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, doc) = app.post(m1, &format!("/api/v1/deals/{deal}/documents"), json!({"template_id": invoice, "pdf": false})).await;
    assert_eq!(s, StatusCode::CREATED, "{doc}");
    let (doc_id, docx) = (doc["data"]["id"].as_i64().unwrap(), doc["data"]["docx_file_id"].as_i64().unwrap());

    app.set_password(app.ids.manager1, "manager-pass-123").await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, block) = ui.get_fragment(&format!("/documents/card/deals/{deal}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(block.contains(&format!("document-send-{doc_id}")), "the document offers Send to client: {block}");
    let (s, composer) = ui.get_fragment(&format!("/deals/{deal}/reply/fill?document={doc_id}")).await;
    assert_eq!(s, StatusCode::OK, "{composer}");
    assert!(composer.contains(&format!("id=\"reply-file-{docx}\" checked")), "the DOCX is ticked (no PDF): {composer}");
    assert!(composer.contains("Документы по заказу «Поставка серверов»"), "the template filled the subject: {composer}");
    assert!(composer.contains("<option value=\"email\" selected"), "by e-mail: {composer}");
    let subject = crate::helpers::html_attr(&composer, "id=\"reply-subject\"", "value").unwrap();
    let text = composer
        .split("id=\"reply-text\"")
        .nth(1)
        .and_then(|r| r.split_once('>'))
        .map(|(_, r)| r.split("</textarea>").next().unwrap())
        .unwrap()
        .to_string();
    let text = text.replace("&#x27;", "'").replace("&quot;", "\"").replace("&amp;", "&");
    let file_key = format!("file_{docx}");
    let (s, timeline) = ui
        .post_form(&format!("/deals/{deal}/reply"), &[("channel", "email"), ("subject", &subject), ("text", &text), (&file_key, "on")])
        .await;
    assert_eq!(s, StatusCode::OK, "{timeline}");
    worker(&app, Some(port)).run_once().await.unwrap();
    let data = sink.lock().unwrap().messages.first().cloned().expect("the letter");
    assert!(data.contains("Content-Disposition: attachment"), "{data}");
    assert!(data.contains(".docx"), "the DOCX is attached: {data}");
    assert!(data.contains("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), "{data}");
}

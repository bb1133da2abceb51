//! Intake end to end: sources, signed webhooks, the inbox, the call policy, Telegram and e-mail
//! onto one card, bad deliveries stored and reported, re-processing after a fix.
use crate::helpers::{assert_error, TestApp};
use poryadok_server::hooks::sign;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    a_telegram_only_card_merges_into_the_phone_card_when_the_contact_is_shared,
    every_spelling_of_a_number_is_one_client,
    a_replayed_event_changes_nothing,
    a_missed_call_makes_a_deal_and_a_callback_task_with_tracking,
    a_known_client_lands_in_their_open_deal_and_a_closed_one_starts_a_new_deal,
    bad_deliveries_are_stored_and_reported_and_reprocessed_after_a_fix,
    two_concurrent_first_calls_from_one_new_number_make_one_person_and_one_deal,
    a_client_who_calls_then_writes_in_telegram_then_emails_has_one_card,
);

pub struct Hook {
    pub id: i64,
    pub path: String,
    pub secret: String,
}

pub async fn source(app: &TestApp, kind: &str, config: Value) -> Hook {
    let (s, v) =
        app.post(&app.t.admin, "/api/v1/intake/sources", json!({"kind": kind, "name": format!("{kind} source"), "config": config})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let d = &v["data"];
    Hook {
        id: d["id"].as_i64().unwrap(),
        path: d["hook_path"].as_str().unwrap().to_string(),
        secret: d["secret"].as_str().unwrap().to_string(),
    }
}

/// Posts a body signed with the source's secret.
pub async fn deliver(app: &TestApp, hook: &Hook, content_type: &str, body: &[u8]) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}{}", app.base, hook.path))
        .header("content-type", content_type)
        .header("x-poryadok-signature", sign(&hook.secret, body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub async fn call(app: &TestApp, hook: &Hook, body: Value) -> (StatusCode, Value) {
    deliver(app, hook, "application/json", body.to_string().as_bytes()).await
}

/// Runs the job worker once. One worker name for the whole test: on SQLite a new name would
/// wait for the previous one's lease.
pub async fn work(app: &TestApp) {
    let mut w = Worker::new(&AppState::new(app.db.clone()));
    w.id = "test-worker".into();
    w.run_once().await.unwrap();
}

pub async fn persons_with_phone(app: &TestApp, phone: &str) -> Vec<Value> {
    app.all_records(&app.t.admin, "persons", &format!("&phone={}", phone.replace('+', "%2B")), 50).await
}

pub async fn deals_of(app: &TestApp, person: i64) -> Vec<Value> {
    app.all_records(&app.t.admin, "deals", &format!("&person_id={person}"), 50).await
}

async fn activities_of(app: &TestApp, deal: i64) -> Vec<Value> {
    app.all_records(&app.t.admin, "activities", &format!("&deal_id={deal}"), 50).await
}

async fn every_spelling_of_a_number_is_one_client(app: TestApp) {
    let hook = source(&app, "telephony", json!({"preset": "generic"})).await;
    for (i, number) in ["8 (999) 123-45-67", "+7 999 1234567", "89991234567"].iter().enumerate() {
        let (s, v) =
            call(&app, &hook, json!({"call_id": format!("c{i}"), "from": number, "direction": "in", "status": "answered", "duration": 61}))
                .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        work(&app).await;
    }
    let persons = persons_with_phone(&app, "+79991234567").await;
    assert_eq!(persons.len(), 1, "{persons:?}");
    assert_eq!(persons[0]["name"], "+7 999 123-45-67");
    let deals = deals_of(&app, persons[0]["id"].as_i64().unwrap()).await;
    assert_eq!(deals.len(), 1, "the second and third call land in the open deal");
    assert_eq!(deals[0]["title"], "Звонок +7 999 123-45-67");
    let calls = activities_of(&app, deals[0]["id"].as_i64().unwrap()).await;
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|c| c["type"] == "call" && c["done"] == true && c["subject"] == "+7 999 123-45-67"));
    assert!(calls.iter().all(|c| c["call_seconds"] == 61 && c["duration_min"] == 2 && c["call_direction"] == "inbound"));
    // Calls are the client's record: never deleted.
    let id = calls[0]["id"].as_i64().unwrap();
    assert_error(&app.delete(&app.t.admin, &format!("/api/v1/activities/{id}")).await, 409, "conflict", None);
}

async fn a_replayed_event_changes_nothing(app: TestApp) {
    let hook = source(&app, "telephony", json!({})).await;
    let body = json!({"call_id": "same-1", "from": "+79990000001", "status": "answered", "duration": 5});
    let (s1, v1) = call(&app, &hook, body.clone()).await;
    assert_eq!(s1, StatusCode::ACCEPTED, "{v1}");
    work(&app).await;
    let (s2, v2) = call(&app, &hook, body.clone()).await;
    assert_eq!(s2, StatusCode::OK, "{v2}");
    assert_eq!(
        (v2["duplicate"].as_bool(), v2["event_id"].as_i64(), v2["status"].as_str()),
        (Some(true), v1["event_id"].as_i64(), Some("processed"))
    );
    work(&app).await;
    // Re-running the processing of a processed event is a no-op too.
    app.db.process_event(app.ws, v1["event_id"].as_i64().unwrap()).await.unwrap();
    let persons = persons_with_phone(&app, "+79990000001").await;
    assert_eq!(persons.len(), 1);
    let deals = deals_of(&app, persons[0]["id"].as_i64().unwrap()).await;
    assert_eq!(activities_of(&app, deals[0]["id"].as_i64().unwrap()).await.len(), 1);
    let (_, events) = app.get(&app.t.admin, "/api/v1/intake/events").await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1);
    assert_eq!(events["counts"]["processed"], 1);
}

async fn a_missed_call_makes_a_deal_and_a_callback_task_with_tracking(app: TestApp) {
    let hook = source(&app, "telephony", json!({"preset": "ringostat", "callback_minutes": 30})).await;
    let body = "uniqueid=r-1&caller=8%20999%20555-44-33&dst=74951112233&call_type=in&disposition=NO%20ANSWER&billsec=0\
&utm_source=yandex&utm_medium=cpc&utm_campaign=winter&landing=https%3A%2F%2Fsite.example%2Fsale";
    let (s, v) = deliver(&app, &hook, "application/x-www-form-urlencoded", body.as_bytes()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    work(&app).await;
    let person = persons_with_phone(&app, "+79995554433").await[0]["id"].as_i64().unwrap();
    let deals = deals_of(&app, person).await;
    assert_eq!(deals.len(), 1);
    let deal = &deals[0];
    assert_eq!(deal["title"], "Пропущенный звонок +7 999 555-44-33");
    assert_eq!((deal["utm_source"].as_str(), deal["utm_campaign"].as_str()), (Some("yandex"), Some("winter")));
    assert_eq!(
        (deal["tracking_number"].as_str(), deal["landing_page"].as_str()),
        (Some("+74951112233"), Some("https://site.example/sale"))
    );
    // Round-robin among the active managers: the first manager gets the first lead.
    assert_eq!(deal["owner_id"].as_i64(), Some(app.ids.manager1));
    let acts = activities_of(&app, deal["id"].as_i64().unwrap()).await;
    let missed = acts.iter().find(|a| a["done"] == true).unwrap();
    assert_eq!((missed["call_outcome"].as_str(), missed["call_direction"].as_str()), (Some("missed"), Some("inbound")));
    let task = acts.iter().find(|a| a["done"] == false).expect("a callback task");
    assert_eq!(task["subject"], "Перезвонить +7 999 555-44-33: пропущенный звонок");
    assert_eq!(task["owner_id"].as_i64(), Some(app.ids.manager1));
    // The fixed clock is a working Monday 10:00 Moscow time; thirty working minutes later.
    let (_, ev) = app.get(&app.t.admin, &format!("/api/v1/intake/events/{}", v["event_id"])).await;
    let received =
        time::OffsetDateTime::parse(ev["data"]["received_at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
    let due = time::OffsetDateTime::parse(task["due_at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(due - received, time::Duration::minutes(30), "received {received}, due {due}");

    // A second touch with other tracking keeps the first on the deal and records both.
    let body2 = json!({"call_id": "g-2", "from": "+79995554433", "status": "answered", "duration": 30, "utm": {"source": "google"}});
    let generic = source(&app, "telephony", json!({})).await;
    call(&app, &generic, body2).await;
    work(&app).await;
    let deals = deals_of(&app, person).await;
    assert_eq!(deals.len(), 1);
    assert_eq!(deals[0]["utm_source"], "yandex");
    let (_, touches) = app.get(&app.t.admin, &format!("/api/v1/deals/{}/touches", deals[0]["id"])).await;
    let sources: Vec<_> = touches["data"].as_array().unwrap().iter().map(|t| t["utm_source"].clone()).collect();
    assert_eq!(sources, vec![json!("yandex"), json!("google")]);
    // The next new client goes to the next manager.
    let (s, _) = call(&app, &generic, json!({"call_id": "g-3", "from": "+79995554400", "status": "missed"})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    work(&app).await;
    let p2 = persons_with_phone(&app, "+79995554400").await[0]["id"].as_i64().unwrap();
    assert_eq!(deals_of(&app, p2).await[0]["owner_id"].as_i64(), Some(app.ids.manager2));
}

async fn a_known_client_lands_in_their_open_deal_and_a_closed_one_starts_a_new_deal(app: TestApp) {
    let person = app
        .create(&app.t.admin, "persons", json!({"name": "Ольга Петрова", "phone": "+7 912 000-11-22", "owner_id": app.ids.manager3}))
        .await;
    let older = app.create(&app.t.admin, "deals", json!({"title": "Старая", "person_id": person, "owner_id": app.ids.manager3})).await;
    let newer = app.create(&app.t.admin, "deals", json!({"title": "Свежая", "person_id": person, "owner_id": app.ids.manager3})).await;
    let hook = source(&app, "telephony", json!({})).await;
    call(
        &app,
        &hook,
        json!({"call_id": "k1", "from": "89120001122", "direction": "out", "to": "89120001122", "status": "answered", "duration": 10}),
    )
    .await;
    work(&app).await;
    assert_eq!(activities_of(&app, newer).await.len(), 1, "the most recent open deal takes the call");
    assert_eq!(activities_of(&app, older).await.len(), 0);
    for d in [older, newer] {
        let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{d}"), json!({"status": "won"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    call(&app, &hook, json!({"call_id": "k2", "from": "+79120001122", "status": "answered", "duration": 10})).await;
    work(&app).await;
    let deals = deals_of(&app, person).await;
    assert_eq!(deals.len(), 3);
    let new_deal = deals.iter().find(|d| d["status"] == "open").unwrap();
    assert_eq!(new_deal["owner_id"].as_i64(), Some(app.ids.manager3), "the client's owner keeps the client");
}

async fn bad_deliveries_are_stored_and_reported_and_reprocessed_after_a_fix(app: TestApp) {
    let hook = source(&app, "telephony", json!({"preset": "generic", "mapping": {"caller": "numA"}})).await;
    // Wrong secret: refused, not stored.
    let body = br#"{"call_id": "x", "numA": "+79991112233"}"#;
    let resp = app
        .client
        .post(format!("{}{}", app.base, hook.path))
        .header("x-poryadok-signature", sign("wrong", body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app.client.post(format!("{}{}", app.base, hook.path)).body(body.to_vec()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // A user's API token is no way in either.
    let resp = app.client.post(format!("{}{}", app.base, hook.path)).bearer_auth(&app.t.admin).body(body.to_vec()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app.client.post(format!("{}/hooks/nosuchkey", app.base)).body(body.to_vec()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    let (s, v) = deliver(&app, &hook, "application/json", b"{\"call_id\": ").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!((v["error"]["code"].as_str(), v["error"]["field"].as_str()), (Some("invalid_event"), Some("body")));
    let (s, v) = call(&app, &hook, json!({"call_id": "np"})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("caller")));
    assert!(v["error"]["message"].as_str().unwrap().contains("numA"), "{v}");
    let (s, v) = call(&app, &hook, json!({"call_id": "bad", "numA": "12"})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("caller")));
    // The provider actually sends `from`: the event fails until the mapping is fixed.
    let (s, miss) = call(&app, &hook, json!({"call_id": "fixme", "from": "+79991112233", "status": "answered"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, events) = app.get(&app.t.admin, "/api/v1/intake/events?status=failed").await;
    assert_eq!(events["data"].as_array().unwrap().len(), 4, "{events}");
    assert!(events["data"].as_array().unwrap().iter().all(|e| e["error"].is_string() && e["error_field"].is_string()));
    assert_eq!(persons_with_phone(&app, "+79991112233").await.len(), 0);
    // Managers do not see the inbox; only an admin re-processes.
    assert_error(&app.get(&app.t.manager1, "/api/v1/intake/events").await, 403, "forbidden", None);
    let ev = miss["event_id"].as_i64().unwrap();
    assert_error(&app.post(&app.t.head, &format!("/api/v1/intake/events/{ev}/reprocess"), json!({})).await, 403, "forbidden", None);
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/intake/sources/{}", hook.id), json!({"config": {"preset": "generic"}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.post(&app.t.admin, &format!("/api/v1/intake/events/{ev}/reprocess"), json!({})).await;
    assert_eq!((s, v["data"]["status"].as_str()), (StatusCode::OK, Some("pending")), "{v}");
    work(&app).await;
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/intake/events/{ev}")).await;
    assert_eq!(v["data"]["status"], "processed", "{v}");
    assert_eq!(persons_with_phone(&app, "+79991112233").await.len(), 1);
    assert_error(
        &app.post(&app.t.admin, &format!("/api/v1/intake/events/{ev}/reprocess"), json!({})).await,
        409,
        "conflict",
        Some("status"),
    );

    // Bad source settings.
    let app = &app;
    let bad = |config: Value| async move {
        app.post(&app.t.admin, "/api/v1/intake/sources", json!({"kind": "telephony", "name": "x", "config": config})).await
    };
    assert_error(&bad(json!({"preset": "asterisk"})).await, 422, "validation", Some("config.preset"));
    assert_error(&bad(json!({"mapping": {"colour": "x"}})).await, 422, "validation", Some("config.mapping.colour"));
    assert_error(&bad(json!({"pipeline_id": app.ids.other_pipeline})).await, 422, "validation", Some("config.pipeline_id"));
    assert_error(&bad(json!({"callback_minutes": 0})).await, 422, "validation", Some("config.callback_minutes"));
    assert_error(
        &app.post(&app.t.admin, "/api/v1/intake/sources", json!({"kind": "fax", "name": "x"})).await,
        422,
        "validation",
        Some("kind"),
    );
    assert_error(
        &app.post(&app.t.manager1, "/api/v1/intake/sources", json!({"kind": "telephony", "name": "x"})).await,
        403,
        "forbidden",
        None,
    );
    // The secret is shown on creation only.
    let (_, list) = app.get(&app.t.admin, "/api/v1/intake/sources").await;
    assert!(list["data"].as_array().unwrap().iter().all(|s| s.get("secret").is_none()));
}

async fn two_concurrent_first_calls_from_one_new_number_make_one_person_and_one_deal(app: TestApp) {
    let hook = source(&app, "telephony", json!({})).await;
    let mut ids = Vec::new();
    for i in 0..2 {
        let (s, v) =
            call(&app, &hook, json!({"call_id": format!("race-{i}"), "from": "+79997776655", "status": "answered", "duration": 3})).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        ids.push(v["event_id"].as_i64().unwrap());
    }
    let (a, b) = tokio::join!(app.db.process_event(app.ws, ids[0]), app.db.process_event(app.ws, ids[1]));
    a.unwrap();
    b.unwrap();
    let persons = persons_with_phone(&app, "+79997776655").await;
    assert_eq!(persons.len(), 1);
    let deals = deals_of(&app, persons[0]["id"].as_i64().unwrap()).await;
    assert_eq!(deals.len(), 1);
    assert_eq!(activities_of(&app, deals[0]["id"].as_i64().unwrap()).await.len(), 2);
}

async fn a_client_who_calls_then_writes_in_telegram_then_emails_has_one_card(app: TestApp) {
    let phone_hook = source(&app, "telephony", json!({})).await;
    call(&app, &phone_hook, json!({"call_id": "p1", "from": "+79161234567", "status": "answered", "duration": 40})).await;
    work(&app).await;
    let person = persons_with_phone(&app, "+79161234567").await[0]["id"].as_i64().unwrap();

    let tg = source(&app, "telegram", json!({})).await;
    let update = |id: i64, message: Value| json!({"update_id": id, "message": message});
    let from = json!({"id": 5550001, "first_name": "Иван", "last_name": "Седов", "username": "ISedov"});
    // Telegram authenticates with its own header; a signature is not it.
    let resp = app
        .client
        .post(format!("{}{}", app.base, tg.path))
        .header("x-telegram-bot-api-secret-token", "nope")
        .json(&update(1, json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let send = |body: Value| {
        let req =
            app.client.post(format!("{}{}", app.base, tg.path)).header("x-telegram-bot-api-secret-token", tg.secret.clone()).json(&body);
        async move { req.send().await.unwrap().status() }
    };
    let contact = json!({"message_id": 10, "from": from, "chat": {"id": 5550001}, "date": 1_790_000_000, "contact": {"phone_number": "79161234567", "user_id": 5550001, "first_name": "Иван"}});
    assert_eq!(send(update(100, contact)).await, StatusCode::ACCEPTED);
    let text =
        json!({"message_id": 11, "from": from, "chat": {"id": 5550001}, "date": 1_790_000_060, "text": "Добрый день, пришлите счёт"});
    assert_eq!(send(update(101, text)).await, StatusCode::ACCEPTED);
    work(&app).await;

    let email = "From: =?UTF-8?B?0JjQstCw0L0g0KHQtdC00L7Qsg==?= <Ivan.Sedov@Example.RU>\r\nTo: sales@vector.test\r\nSubject: Счёт\r\n\
Message-ID: <m1@example.ru>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0300\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Оплатим до пятницы.\r\n--\r\nИван Седов\r\nтел. +7 (916) 123-45-67\r\n";
    let mail = source(&app, "email", json!({})).await;
    let (s, v) = deliver(&app, &mail, "message/rfc822", email.as_bytes()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    work(&app).await;
    // A reply from the same address threads by In-Reply-To (and the address is now known anyway).
    let reply = "From: ivan.sedov@example.ru\r\nTo: sales@vector.test\r\nSubject: Re: Счёт\r\nMessage-ID: <m2@example.ru>\r\n\
In-Reply-To: <m1@example.ru>\r\nReferences: <m1@example.ru>\r\n\r\nИ ещё вопрос.\r\n";
    deliver(&app, &mail, "message/rfc822", reply.as_bytes()).await;
    work(&app).await;

    let persons = app.all_records(&app.t.admin, "persons", "", 50).await;
    assert_eq!(persons.len(), 1, "one client, one card: {persons:?}");
    assert_eq!(persons[0]["id"].as_i64(), Some(person));
    assert_eq!(persons[0]["email"], "ivan.sedov@example.ru");
    let deals = deals_of(&app, person).await;
    assert_eq!(deals.len(), 1);
    let deal = deals[0]["id"].as_i64().unwrap();
    assert_eq!(activities_of(&app, deal).await.len(), 1);
    let (_, events) = app.get(&app.t.admin, "/api/v1/intake/events?status=processed").await;
    let linked: Vec<_> = events["data"].as_array().unwrap().iter().map(|e| e["result"]["linked_by"].clone()).collect();
    assert!(linked.contains(&json!("shared_contact")) && linked.contains(&json!("phone_in_message")), "{linked:?}");
    let (s, messages) = app.get(&app.t.admin, &format!("/api/v1/persons/{person}/messages")).await;
    assert_eq!(s, StatusCode::OK, "{messages}");
    let channels: Vec<_> = messages["data"].as_array().unwrap().iter().map(|m| m["channel"].as_str().unwrap().to_string()).collect();
    assert_eq!(channels.len(), 4, "two Telegram messages and two e-mails on the card: {messages}");
    assert_eq!(channels.iter().filter(|c| *c == "email").count(), 2);
    let (_, on_deal) = app.get(&app.t.admin, &format!("/api/v1/deals/{deal}/messages")).await;
    assert_eq!(on_deal["data"].as_array().unwrap().len(), 4);
    let reply = on_deal["data"].as_array().unwrap().iter().find(|m| m["subject"] == "Re: Счёт").unwrap();
    assert_eq!(reply["thread_id"], "m1@example.ru");
}

async fn a_telegram_only_card_merges_into_the_phone_card_when_the_contact_is_shared(app: TestApp) {
    let known =
        app.create(&app.t.admin, "persons", json!({"name": "Пётр Ключников", "phone": "+79035550011", "owner_id": app.ids.manager2})).await;
    // The phone's card already has its open deal (from an earlier call).
    let call_deal = app
        .create(&app.t.admin, "deals", json!({"title": "Звонок +7 903 555-00-11", "person_id": known, "owner_id": app.ids.manager2}))
        .await;
    let tg = source(&app, "telegram", json!({})).await;
    let send = |body: Value| {
        let req =
            app.client.post(format!("{}{}", app.base, tg.path)).header("x-telegram-bot-api-secret-token", tg.secret.clone()).json(&body);
        async move { req.send().await.unwrap().status() }
    };
    let from = json!({"id": 4242, "first_name": "Пётр"});
    assert_eq!(send(json!({"update_id": 1, "message": {"message_id": 1, "from": from, "chat": {"id": 4242}, "date": 1_790_000_000, "text": "Здравствуйте"}})).await, StatusCode::ACCEPTED);
    work(&app).await;
    // A first message from an unknown Telegram user is a new card of its own…
    let persons = app.all_records(&app.t.admin, "persons", "", 50).await;
    assert_eq!(persons.len(), 2);
    let stranger = persons.iter().find(|p| p["id"].as_i64() != Some(known)).unwrap()["id"].as_i64().unwrap();
    // …until the user shares their contact: that phone is a known client, so the cards become one.
    let contact = json!({"message_id": 2, "from": from, "chat": {"id": 4242}, "date": 1_790_000_100, "contact": {"phone_number": "+7 903 555-00-11", "user_id": 4242}});
    assert_eq!(send(json!({"update_id": 2, "message": contact})).await, StatusCode::ACCEPTED);
    work(&app).await;
    let persons = app.all_records(&app.t.admin, "persons", "", 50).await;
    assert_eq!(persons.len(), 1, "{persons:?}");
    assert_eq!(persons[0]["id"].as_i64(), Some(known));
    let (_, messages) = app.get(&app.t.admin, &format!("/api/v1/persons/{known}/messages")).await;
    assert_eq!(messages["data"].as_array().unwrap().len(), 2, "{messages}");
    assert_error(&app.get(&app.t.admin, &format!("/api/v1/persons/{stranger}")).await, 404, "not_found", None);
    // One open deal per pipeline: the Telegram card's deal joined the call's, its messages with it.
    let open = app.all_records(&app.t.admin, "deals", &format!("&person_id={known}&status=open"), 50).await;
    assert_eq!(open.iter().map(|d| d["id"].as_i64()).collect::<Vec<_>>(), vec![Some(call_deal)], "{open:?}");
    assert!(messages["data"].as_array().unwrap().iter().all(|m| m["deal_id"].as_i64() == Some(call_deal)), "{messages}");
    // The deals' merge is written like any change: an event on each deal, made by the intake.
    let (_, h) = app.get(&app.t.admin, &format!("/api/v1/deals/{call_deal}/history?limit=1")).await;
    assert_eq!((h["data"][0]["action"].as_str(), h["data"][0]["channel"].as_str()), (Some("update"), Some("intake")), "{h}");
    let dup = h["data"][0]["changes"]["merged_from"].as_i64().unwrap_or_else(|| panic!("the kept deal names the merged one: {h}"));
    let (_, h) = app.get(&app.t.admin, &format!("/api/v1/deals/{dup}/history?limit=1")).await;
    assert_eq!(
        (h["data"][0]["action"].as_str(), h["data"][0]["changes"]["merged_into"].as_i64()),
        (Some("delete"), Some(call_deal)),
        "{h}"
    );
    // The next message goes straight to the card.
    assert_eq!(send(json!({"update_id": 3, "message": {"message_id": 3, "from": from, "chat": {"id": 4242}, "date": 1_790_000_200, "text": "Жду счёт"}})).await, StatusCode::ACCEPTED);
    work(&app).await;
    let (_, messages) = app.get(&app.t.admin, &format!("/api/v1/persons/{known}/messages")).await;
    assert_eq!(messages["data"].as_array().unwrap().len(), 3);
    assert!(messages["data"].as_array().unwrap().iter().all(|m| m["deal_id"].as_i64() == Some(call_deal)), "{messages}");
}

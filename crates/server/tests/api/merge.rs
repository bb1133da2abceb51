//! Duplicates and merges: the finder for each reason (and not for distinct records or records
//! the caller cannot see), a merge that moves deals, calls, notes, messages, touches and
//! identities and keeps every history event, the refusals, and the web UI's page and card block.
use crate::helpers::*;
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, Value as SqlValue};
use serde_json::{json, Value};
use std::collections::HashMap;

crate::both_dbs!(
    duplicates_are_found_for_each_reason_and_only_among_visible_records,
    a_person_merge_moves_everything_and_keeps_all_history,
    an_organization_merge_moves_people_deals_and_references,
    bad_merges_are_refused_and_change_nothing,
    the_duplicates_page_merges_a_group_and_the_card_merges_by_id,
    a_merge_writes_through_the_pipeline,
    a_person_merge_moves_the_clients_last_activity,
);

/// Runs one statement written with `?` placeholders on the test database (rows no API writes yet).
async fn sql(app: &TestApp, q: &str, values: Vec<SqlValue>) -> Vec<sea_orm::QueryResult> {
    let conn = Database::connect(app.url.expose()).await.unwrap();
    let backend = conn.get_database_backend();
    let mut text = String::new();
    let mut n = 0;
    for c in q.chars() {
        if c == '?' && backend == DbBackend::Postgres {
            n += 1;
            text.push_str(&format!("${n}"));
        } else {
            text.push(c);
        }
    }
    let rows = conn.query_all(Statement::from_sql_and_values(backend, text, values)).await.unwrap();
    conn.close().await.unwrap();
    rows
}

async fn count(app: &TestApp, q: &str, values: Vec<SqlValue>) -> i64 {
    sql(app, q, values).await[0].try_get_by_index::<i64>(0).unwrap()
}

async fn add_message(app: &TestApp, person: Option<i64>, deal: Option<i64>, body: &str) {
    let at = 1_795_000_000_000i64;
    sql(
        app,
        "INSERT INTO messages (workspace_id, channel, direction, person_id, deal_id, sender, subject, body, sent_at, created_at) \
         VALUES (?, 'email', 'in', ?, ?, 'client@example.com', 'Вопрос', ?, ?, ?)",
        vec![app.ws.into(), person.into(), deal.into(), body.into(), at.into(), at.into()],
    )
    .await;
}

fn groups(v: &Value) -> Vec<(String, Vec<i64>)> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["reason"].as_str().unwrap().to_string(), g["ids"].as_array().unwrap().iter().map(|i| i.as_i64().unwrap()).collect()))
        .collect()
}

async fn duplicates_are_found_for_each_reason_and_only_among_visible_records(app: TestApp) {
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Альфа"})).await;
    let other_org = app.create(m1, "organizations", json!({"name": "ООО Бета"})).await;
    let a = app.create(m1, "persons", json!({"name": "Анна Смирнова", "phone": "+7 916 123-45-67"})).await;
    let b = app.create(m1, "persons", json!({"name": "Смирнова А.", "whatsapp": "89161234567"})).await;
    let c = app.create(m1, "persons", json!({"name": "Олег", "email": "oleg@example.com"})).await;
    let d = app.create(m1, "persons", json!({"name": "Олег Ким"})).await;
    // An e-mail stored before identities were normalised.
    sql(
        &app,
        "INSERT INTO identities (workspace_id, person_id, kind, value, created_at) VALUES (?, ?, 'email', ' OLEG@Example.com', 0)",
        vec![app.ws.into(), d.into()],
    )
    .await;
    let e = app.create(m1, "persons", json!({"name": "Иванов Иван", "organization_id": org})).await;
    let f = app.create(m1, "persons", json!({"name": "иван  ИВАНОВ", "organization_id": org})).await;
    let g = app.create(m1, "persons", json!({"name": "Иван Иванов", "organization_id": other_org})).await;
    let h = app.create(m1, "persons", json!({"name": "Пётр Петров", "phone": "+79031112233", "organization_id": org})).await;

    let (s, v) = app.get(m1, "/api/v1/duplicates?entity=persons").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let found = groups(&v);
    assert!(found.contains(&("phone".into(), vec![a, b])), "phone = another's WhatsApp: {v}");
    assert!(found.contains(&("email".into(), vec![c, d])), "e-mails compared normalised: {v}");
    assert!(found.contains(&("name".into(), vec![e, f])), "same words in one organization: {v}");
    assert!(found.iter().all(|(_, ids)| !ids.contains(&g) && !ids.contains(&h)), "distinct records are not grouped: {v}");
    let phone = v["data"].as_array().unwrap().iter().find(|x| x["reason"] == "phone").unwrap();
    assert_eq!(phone["key"], "79161234567");

    // Another manager sees none of them; the limit is honoured.
    let (_, v) = app.get(&app.t.manager3, "/api/v1/duplicates").await;
    assert_eq!(groups(&v), vec![], "{v}");
    let (_, v) = app.get(m1, "/api/v1/duplicates?limit=1").await;
    assert_eq!(groups(&v).len(), 1);

    let o1 = app.create(m1, "organizations", json!({"name": "Гамма", "tax_id": "7701234567"})).await;
    let o2 = app.create(m1, "organizations", json!({"name": "Дельта", "tax_id": "7701234567 "})).await;
    let o3 = app.create(m1, "organizations", json!({"name": "Сайт один", "website": "https://www.romashka.ru/about"})).await;
    let o4 = app.create(m1, "organizations", json!({"name": "Сайт два", "website": "http://romashka.ru"})).await;
    let o5 = app.create(m1, "organizations", json!({"name": "ООО «Ёлка»"})).await;
    let o6 = app.create(m1, "organizations", json!({"name": "елка"})).await;
    let (s, v) = app.get(m1, "/api/v1/duplicates?entity=organizations&limit=50").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let found = groups(&v);
    assert!(found.contains(&("tax_id".into(), vec![o1, o2])), "{v}");
    assert!(found.contains(&("domain".into(), vec![o3, o4])), "{v}");
    assert!(found.contains(&("name".into(), vec![o5, o6])), "{v}");
    assert_eq!(found.len(), 3, "Альфа and Бета are distinct: {v}");

    assert_error(&app.get(m1, "/api/v1/duplicates?entity=deals").await, 422, "validation", Some("entity"));
    assert_error(&app.get(m1, "/api/v1/duplicates?limit=0").await, 422, "validation", Some("limit"));
    assert_error(&app.get(m1, "/api/v1/duplicates?sort=x").await, 422, "validation", Some("sort"));
}

/// Timeline items of a record by kind, all pages, as the system sees them.
async fn timeline_counts(app: &TestApp, entity: Entity, id: i64) -> HashMap<String, usize> {
    let sys = app.db.system_actor(app.ws, Channel::Cli).await.unwrap();
    let (mut out, mut before) = (HashMap::new(), None::<String>);
    loop {
        let (items, next) = app.db.timeline(&sys, entity, id, before.as_deref(), 3).await.unwrap();
        for i in &items {
            *out.entry(format!("{:?}", i.kind())).or_default() += 1;
        }
        match next {
            Some(n) => before = Some(n),
            None => return out,
        }
    }
}

fn sum(a: &HashMap<String, usize>, b: &HashMap<String, usize>, kind: &str) -> usize {
    a.get(kind).copied().unwrap_or(0) + b.get(kind).copied().unwrap_or(0)
}

async fn a_person_merge_moves_everything_and_keeps_all_history(app: TestApp) {
    let m1 = &app.t.manager1;
    for key in ["city", "country"] {
        app.create(&app.t.admin, "custom_fields", json!({"entity": "person", "key": key, "label": key, "field_type": "text"})).await;
    }
    let org = app.create(m1, "organizations", json!({"name": "ООО Ромашка"})).await;
    let keep = app.create(m1, "persons", json!({"name": "Иван Петров", "phone": "+79161234567", "custom": {"city": "Казань"}})).await;
    let gone = app
        .create(
            m1,
            "persons",
            json!({"name": "Петров Иван", "phone": "+79167654321", "email": "ivan@example.com", "job_title": "Директор",
                   "organization_id": org, "custom": {"city": "Москва", "country": "Россия"}}),
        )
        .await;
    app.patch(m1, &format!("/api/v1/persons/{gone}"), json!({"telegram": "@ivan_p"})).await;
    let d1 = app.create(m1, "deals", json!({"title": "Первая", "person_id": keep})).await;
    let d2 = app.create(m1, "deals", json!({"title": "Вторая", "person_id": gone})).await;
    app.create(
        m1,
        "activities",
        json!({"type": "call", "subject": "Звонок", "person_id": gone, "call_direction": "inbound", "done": true}),
    )
    .await;
    app.create(m1, "activities", json!({"type": "task", "subject": "Перезвонить", "person_id": gone})).await;
    app.create(m1, "notes", json!({"content": "О втором", "person_id": gone})).await;
    app.create(m1, "notes", json!({"content": "О первом", "person_id": keep})).await;
    add_message(&app, Some(gone), None, "Здравствуйте!\nЕсть вопрос.").await;
    add_message(&app, Some(keep), Some(d1), "Ответ").await;
    sql(
        &app,
        "INSERT INTO touches (workspace_id, deal_id, person_id, channel, utm_source, occurred_at) VALUES (?, ?, ?, 'form', 'yandex', 0)",
        vec![app.ws.into(), d2.into(), gone.into()],
    )
    .await;
    let (tk, tg) = (timeline_counts(&app, Entity::Person, keep).await, timeline_counts(&app, Entity::Person, gone).await);
    assert_eq!(tg.get("Message"), Some(&1), "{tg:?}");
    app.clock.advance(time::Duration::minutes(1));

    let (s, v) = app.post(m1, &format!("/api/v1/persons/{keep}/merge"), json!({"merge_id": gone})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kept = &v["data"];
    assert_eq!(kept["id"], keep);
    assert_eq!(kept["phone"], "+79161234567", "keep's own values stay");
    assert_eq!(kept["other_phones"], json!(["+79167654321"]), "the removed card's phone joins the others");
    assert_eq!(kept["name"], "Иван Петров");
    assert_eq!((kept["email"].as_str(), kept["job_title"].as_str()), (Some("ivan@example.com"), Some("Директор")), "empty fields filled");
    assert_eq!((kept["organization_id"].as_i64(), kept["telegram"].as_str()), (Some(org), Some("@ivan_p")));
    assert_eq!(kept["custom"], json!({"city": "Казань", "country": "Россия"}), "missing custom keys filled, set ones kept");

    assert_error(&app.get(m1, &format!("/api/v1/persons/{gone}")).await, 404, "not_found", None);
    let ids = |v: Value| v["data"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>();
    let (_, v) = app.get(m1, &format!("/api/v1/deals?person_id={keep}&sort=id")).await;
    assert_eq!(ids(v), [d1, d2]);
    let (_, v) = app.get(m1, &format!("/api/v1/activities?person_id={keep}")).await;
    assert_eq!(ids(v).len(), 2, "the call and the task");
    let (_, v) = app.get(m1, &format!("/api/v1/notes?person_id={keep}")).await;
    assert_eq!(ids(v).len(), 2);
    let by_person = |table: &str| format!("SELECT COUNT(*) FROM {table} WHERE workspace_id = ? AND person_id = ?");
    assert_eq!(count(&app, &by_person("messages"), vec![app.ws.into(), keep.into()]).await, 2);
    assert_eq!(count(&app, &by_person("touches"), vec![app.ws.into(), keep.into()]).await, 1);
    assert_eq!(count(&app, &by_person("identities"), vec![app.ws.into(), keep.into()]).await, 4, "two phones, the e-mail, telegram");
    assert_eq!(count(&app, &by_person("identities"), vec![app.ws.into(), gone.into()]).await, 0);
    assert_eq!(count(&app, "SELECT merged_into FROM persons WHERE id = ?", vec![gone.into()]).await, keep);
    // The removed person's phone still finds the kept card.
    let (s, v) = app.post(m1, "/api/v1/persons", json!({"name": "Кто-то", "phone": "+79167654321"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains(&keep.to_string()), "{v}");

    // Nothing is lost: everything reachable from both cards is reachable from the kept one,
    // plus one event on each for the merge.
    let after = timeline_counts(&app, Entity::Person, keep).await;
    for kind in ["Note", "Activity", "Message"] {
        assert_eq!(after.get(kind).copied().unwrap_or(0), sum(&tk, &tg, kind), "{kind}: {tk:?} + {tg:?} → {after:?}");
    }
    assert_eq!(after["History"], sum(&tk, &tg, "History") + 2, "{tk:?} + {tg:?} → {after:?}");
    let (_, v) = app.get(m1, &format!("/api/v1/persons/{keep}/history?limit=1")).await;
    let changes = &v["data"][0]["changes"];
    assert_eq!(changes["merged_from"], gone, "{v}");
    assert_eq!(changes["email"]["to"], "ivan@example.com");
    assert_eq!(changes["custom.country"]["to"], "Россия");
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/persons/{gone}/history?limit=1")).await;
    assert_eq!(v["data"][0]["action"], "delete");
    assert_eq!(v["data"][0]["changes"]["merged_into"], keep);

    // A chain: what was merged into the removed record is reachable from its new home.
    let third = app.create(m1, "persons", json!({"name": "Третий"})).await;
    let (s, _) = app.post(m1, &format!("/api/v1/persons/{third}/merge"), json!({"merge_id": keep})).await;
    assert_eq!(s, StatusCode::OK);
    let last = timeline_counts(&app, Entity::Person, third).await;
    assert_eq!(last["History"], after["History"] + 1 /* third created */ + 2, "{after:?} → {last:?}");
    assert_eq!(count(&app, "SELECT merged_into FROM persons WHERE id = ?", vec![gone.into()]).await, third);
}

async fn an_organization_merge_moves_people_deals_and_references(app: TestApp) {
    let m1 = &app.t.manager1;
    let keep = app.create(m1, "organizations", json!({"name": "Ромашка"})).await;
    let gone =
        app.create(m1, "organizations", json!({"name": "ООО «Ромашка»", "tax_id": "7701234567", "website": "https://romashka.ru"})).await;
    let person = app.create(m1, "persons", json!({"name": "Анна", "organization_id": gone})).await;
    let deal = app.create(m1, "deals", json!({"title": "Поставка", "organization_id": gone})).await;
    app.create(m1, "notes", json!({"content": "Об организации", "organization_id": gone})).await;
    let client = app.create(m1, "organizations", json!({"name": "Клиент", "custom": {"partner_org": gone}})).await;

    let (s, v) = app.post(m1, &format!("/api/v1/organizations/{keep}/merge"), json!({"merge_id": gone})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["data"]["tax_id"].as_str(), v["data"]["website"].as_str()), (Some("7701234567"), Some("https://romashka.ru")));
    let (_, v) = app.get(m1, &format!("/api/v1/persons/{person}")).await;
    assert_eq!(v["data"]["organization_id"], keep);
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["organization_id"], keep);
    let (_, v) = app.get(m1, &format!("/api/v1/notes?organization_id={keep}")).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    let (_, v) = app.get(m1, &format!("/api/v1/organizations/{client}")).await;
    assert_eq!(v["data"]["custom"]["partner_org"], keep, "custom organization fields follow the merge");
    let (_, v) = app.get(m1, "/api/v1/duplicates?entity=organizations").await;
    assert_eq!(groups(&v), vec![], "nothing left to merge: {v}");
}

async fn bad_merges_are_refused_and_change_nothing(app: TestApp) {
    let m1 = &app.t.manager1;
    let a = app.create(m1, "persons", json!({"name": "Первый"})).await;
    let b = app.create(m1, "persons", json!({"name": "Второй"})).await;
    let theirs = app.create(&app.t.manager3, "persons", json!({"name": "Чужой"})).await;
    let url = format!("/api/v1/persons/{a}/merge");
    assert_error(&app.post(m1, &url, json!({"merge_id": a})).await, 422, "validation", Some("merge_id"));
    assert_error(&app.post(m1, &url, json!({})).await, 422, "validation", Some("merge_id"));
    assert_error(&app.post(m1, &url, json!({"merge_id": "два"})).await, 422, "validation", Some("merge_id"));
    assert_error(&app.post(m1, &url, json!({"merge_id": 999_999})).await, 422, "validation", Some("merge_id"));
    assert_error(&app.post(m1, &url, json!({"merge_id": theirs})).await, 422, "validation", Some("merge_id"));
    assert_error(&app.post(m1, &format!("/api/v1/persons/{theirs}/merge"), json!({"merge_id": a})).await, 404, "not_found", None);
    assert_error(&app.post(m1, "/api/v1/persons/999999/merge", json!({"merge_id": a})).await, 404, "not_found", None);
    assert_error(&app.post(m1, &format!("/api/v1/deals/{a}/merge"), json!({"merge_id": b})).await, 422, "validation", Some("entity"));
    assert_error(&app.post(&app.t.analyst, &url, json!({"merge_id": b})).await, 403, "forbidden", None);
    assert_error(&app.post(&app.t.other_admin, &url, json!({"merge_id": b})).await, 404, "not_found", None);
    let (s, _) = app.call(reqwest::Method::POST, m1, &url, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "an empty body");
    for id in [a, b, theirs] {
        let (s, _) = app.get(&app.t.admin, &format!("/api/v1/persons/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{id} is untouched");
    }
    // A record merged away cannot be merged again.
    let (s, _) = app.post(m1, &url, json!({"merge_id": b})).await;
    assert_eq!(s, StatusCode::OK);
    assert_error(&app.post(m1, &url, json!({"merge_id": b})).await, 422, "validation", Some("merge_id"));
    assert_error(&app.post(m1, &format!("/api/v1/persons/{b}/merge"), json!({"merge_id": a})).await, 404, "not_found", None);
}

async fn the_duplicates_page_merges_a_group_and_the_card_merges_by_id(app: TestApp) {
    let m1 = &app.t.manager1;
    let a = app.create(m1, "persons", json!({"name": "Анна Смирнова", "phone": "+79161234567"})).await;
    let b = app.create(m1, "persons", json!({"name": "Анна <b>С.</b>", "whatsapp": "+79161234567"})).await;
    let deal = app.create(m1, "deals", json!({"title": "Заказ", "person_id": b})).await;
    add_message(&app, Some(b), Some(deal), "Первая строка\nВторая строка").await;

    let head = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    let ui = app.ui_login(head, "head@a.test").await;
    let (status, html) = ui.get("/duplicates").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("href=\"/duplicates\" class=\"active\""), "the menu item, active");
    assert!(html.contains(&format!("href=\"/persons/{a}\">Анна Смирнова</a>")) && html.contains("Анна &#60;b&#62;С.&#60;/b&#62;"));
    assert!(html.contains("Один телефон") && html.contains("79161234567"));
    assert!(html.contains("hx-confirm=\"Оставить «Анна Смирнова»"), "keeping asks first");
    assert!(html.contains("+79161234567"), "the phones side by side");
    let (status, html) = ui.get("/duplicates?entity=organizations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Дублей не найдено"));

    let ids = format!("{a},{b}");
    let form = [("entity", "persons"), ("keep", &a.to_string()), ("ids", &ids), ("reason", "phone"), ("key", "79161234567")];
    let (status, html) = ui.post_form("/duplicates/merge", &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Объединено в «Анна Смирнова»"), "{html}");
    assert_error(&app.get(m1, &format!("/api/v1/persons/{b}")).await, 404, "not_found", None);
    // Merging the same group again is refused in place.
    let (status, html) = ui.post_form("/duplicates/merge", &form).await;
    assert!(status.is_client_error(), "{status}: {html}");

    // The kept card shows the message and the merge in its timeline.
    let (_, html) = ui.get(&format!("/persons/{a}")).await;
    assert!(html.contains("Входящее · e-mail: Вопрос") && html.contains("client@example.com"), "the message item");
    assert!(html.contains("Первая строка\nВторая строка"), "line breaks kept");
    assert!(html.contains("Объединено с «Анна &#60;b&#62;С.&#60;/b&#62;»"), "the merge event names the other card");
    assert!(html.contains(&format!("hx-get=\"/persons/{a}/merge\"")), "the merge block");

    // The card's block: look-alikes, and a merge by id.
    let org = app.create(m1, "organizations", json!({"name": "ООО Ромашка"})).await;
    app.patch(m1, &format!("/api/v1/persons/{a}"), json!({"organization_id": org})).await;
    let c = app.create(m1, "persons", json!({"name": "Смирнова Анна", "organization_id": org})).await;
    let (status, html) = ui.get_fragment(&format!("/persons/{a}/merge")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(&format!("href=\"/persons/{c}\">Смирнова Анна</a>")) && html.contains("Похожее имя"), "{html}");
    let (status, html) = ui.post_form(&format!("/persons/{a}/merge"), &[("merge_id", "abc")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("укажите номер карточки") && html.contains("aria-invalid=\"true\""), "{html}");
    let (status, html) = ui.post_form(&format!("/persons/{a}/merge"), &[("merge_id", &a.to_string())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("саму с собой"), "{html}");
    let resp = ui
        .client
        .post(format!("{}/persons/{a}/merge", ui.base))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &ui.csrf)
        .form(&[("merge_id", c.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers().get("hx-redirect").and_then(|h| h.to_str().ok()), Some(format!("/persons/{a}").as_str()));
    assert_error(&app.get(m1, &format!("/api/v1/persons/{c}")).await, 404, "not_found", None);
    // Without the CSRF token nothing happens.
    let resp = ui.client.post(format!("{}/persons/{a}/merge", ui.base)).form(&[("merge_id", "1")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Managers reach the page but have no menu item; analysts see no merge block.
    let mui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, html) = mui.get("/duplicates").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("href=\"/duplicates\" class"), "no menu item for managers");
    let analyst = app.db.user_by_email("analyst@a.test").await.unwrap().unwrap().1;
    let aui = app.ui_login(analyst, "analyst@a.test").await;
    let (_, html) = aui.get(&format!("/persons/{a}")).await;
    assert!(!html.contains("/merge\""), "analysts do not merge");
}

/// The webhook log's payloads, parsed (a payload is stored as the text that was sent).
async fn delivered(app: &TestApp, hook: i64) -> Vec<Value> {
    let (s, log) = app.get(&app.t.admin, &format!("/api/v1/webhooks/{hook}/deliveries?limit=500")).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let payload = |d: &Value| match &d["payload"] {
        Value::String(text) => serde_json::from_str(text).unwrap(),
        other => other.clone(),
    };
    log["data"].as_array().unwrap().iter().map(payload).collect()
}

/// A merge is a series of ordinary writes: a deal it moves (even one of another manager) has its
/// history event and its webhook, both cards have theirs, and a hygiene rule sees the kept card's
/// filled field (its violation resolves on the re-check).
async fn a_merge_writes_through_the_pipeline(app: TestApp) {
    let (m1, m2) = (&app.t.manager1, &app.t.manager2);
    let events = json!(["deal.updated", "person.updated", "person.deleted", "activity.updated"]);
    let (s, v) = app.post(&app.t.admin, "/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook", "events": events})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let hook = v["data"]["id"].as_i64().unwrap();
    let rule = json!({"name": "Контакт без e-mail", "entity": "deal", "expression": "status = open and person.email is empty",
                      "criticality": 1, "why": "Некуда отправить КП", "fix": "Заполните e-mail контакта"});
    let (s, v) = app.post(&app.t.head, "/api/v1/rules", rule).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let keep = app.create(m1, "persons", json!({"name": "Ольга Сидорова", "phone": "+79031112233"})).await;
    let gone = app.create(m2, "persons", json!({"name": "Сидорова Ольга", "email": "olga@example.com"})).await;
    let kept_deal = app.create(m1, "deals", json!({"title": "Обучение", "person_id": keep, "value": 1000})).await;
    // manager2's deal and call: manager1 does not see them, the merge moves them all the same.
    let moved_deal = app.create(m2, "deals", json!({"title": "Консалтинг", "person_id": gone, "value": 2000})).await;
    let call = app
        .create(
            m2,
            "activities",
            json!({"type": "call", "subject": "Звонок", "person_id": gone, "call_direction": "inbound", "done": true}),
        )
        .await;
    // The persons must both be manager1's to merge them.
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/persons/{gone}"), json!({"owner_id": app.ids.manager1})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    crate::intake::work(&app).await;
    let (_, v) = app.get(&app.t.head, "/api/v1/violations").await;
    let hits: Vec<i64> = v["data"].as_array().unwrap().iter().map(|x| x["record_id"].as_i64().unwrap()).collect();
    assert_eq!(hits, [kept_deal], "the kept card has no e-mail: {v}");
    let before = delivered(&app, hook).await.len();
    app.clock.advance(time::Duration::minutes(1));

    let (s, v) = app.post(m1, &format!("/api/v1/persons/{keep}/merge"), json!({"merge_id": gone})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["email"], "olga@example.com");

    // The moved deal and call: an update event each, made by manager1 through the API.
    for (entity, id) in [("deals", moved_deal), ("activities", call)] {
        let (_, h) = app.get(&app.t.admin, &format!("/api/v1/{entity}/{id}/history?limit=1")).await;
        let event = &h["data"][0];
        assert_eq!(event["action"], "update", "{entity}: {h}");
        assert_eq!(event["changes"]["person_id"], json!({"from": gone, "to": keep}), "{entity}: {h}");
        assert_eq!((event["actor_id"].as_i64(), event["channel"].as_str()), (Some(app.ids.manager1), Some("api")), "{h}");
    }
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/deals/{moved_deal}")).await;
    assert_eq!(v["data"]["person_id"], keep);
    // The webhook log: the moved deal and call, the removed card, then the kept one.
    let log: Vec<(String, i64)> = delivered(&app, hook)
        .await
        .iter()
        .take(delivered(&app, hook).await.len() - before)
        .map(|p| (p["event"].as_str().unwrap().to_string(), p["id"].as_i64().unwrap()))
        .collect();
    for want in [("deal.updated", moved_deal), ("activity.updated", call), ("person.deleted", gone), ("person.updated", keep)] {
        assert!(log.iter().any(|(e, id)| (e.as_str(), *id) == want), "{want:?} in {log:?}");
    }
    let kept_event = delivered(&app, hook).await.into_iter().find(|p| p["event"] == "person.updated" && p["id"] == keep).unwrap();
    assert_eq!(kept_event["changes"]["merged_from"], gone, "{kept_event}");
    assert_eq!(kept_event["changes"]["email"]["to"], "olga@example.com", "{kept_event}");
    assert!(!log.iter().any(|(e, id)| e == "deal.updated" && *id == kept_deal), "a deal the merge does not move has no event: {log:?}");

    // The rule: the kept card's deal no longer breaks it, so the re-check resolves the manager's
    // "fixed".
    let (_, v) = app.get(&app.t.head, "/api/v1/violations").await;
    let violation = v["data"][0]["id"].as_i64().unwrap();
    let (s, v) = app.post(m1, &format!("/api/v1/violations/{violation}/answer"), json!({"status": "fixed"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.clock.advance(time::Duration::days(4));
    crate::intake::work(&app).await;
    let (_, v) = app.get(&app.t.head, "/api/v1/violations").await;
    let kept = v["data"].as_array().unwrap().iter().find(|x| x["record_id"] == kept_deal).cloned().unwrap();
    assert_eq!(kept["recheck"], "resolved", "{kept}");
    // Both deals are found by the new e-mail's filter.
    let (_, v) = app.get(&app.t.admin, "/api/v1/deals?filter=person.email%20%3D%20%22olga%40example.com%22&sort=id").await;
    let ids: Vec<i64> = v["data"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [kept_deal, moved_deal], "{v}");
}

/// The removed person's call, note and message become the kept person's, so the kept person's
/// organization — the client — was last in touch when they were; the removed person's
/// organization keeps its own last activity (it only moves forward).
async fn a_person_merge_moves_the_clients_last_activity(app: TestApp) {
    let m1 = &app.t.manager1;
    let kept_org = app.create(m1, "organizations", json!({"name": "ООО Ромашка"})).await;
    let other_org = app.create(m1, "organizations", json!({"name": "ООО Лютик"})).await;
    let keep = app.create(m1, "persons", json!({"name": "Иван Петров", "organization_id": kept_org})).await;
    let gone = app.create(m1, "persons", json!({"name": "Петров Иван", "organization_id": other_org})).await;
    let call = json!({"type": "call", "subject": "Звонок", "person_id": gone, "call_direction": "inbound", "done": true});
    app.create(m1, "activities", call).await;
    let called_ms = poryadok_core::clock::Clock::now_ms(&*app.clock);
    let db = &app.db;
    assert_eq!(db.last_activity_at(app.ws, kept_org).await.unwrap(), None, "no activity of the kept client yet");
    let other_before = db.last_activity_at(app.ws, other_org).await.unwrap();
    assert!(other_before.is_some_and(|t| t >= called_ms), "the call counted for the removed person's client: {other_before:?}");

    let (s, v) = app.post(m1, &format!("/api/v1/persons/{keep}/merge"), json!({"merge_id": gone})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kept_after = db.last_activity_at(app.ws, kept_org).await.unwrap();
    assert_eq!(kept_after, other_before, "the kept client was last in touch at the moved call/note: {kept_after:?}");
    assert_eq!(db.last_activity_at(app.ws, other_org).await.unwrap(), other_before, "the other client's stays");

    // A message alone (no call, no note) moves it too, and a later one wins.
    let third_org = app.create(m1, "organizations", json!({"name": "ООО Василёк"})).await;
    let third = app.create(m1, "persons", json!({"name": "Третий", "organization_id": third_org})).await;
    let later = app.create(m1, "persons", json!({"name": "Переписка"})).await;
    add_message(&app, Some(later), None, "Здравствуйте").await;
    let (s, v) = app.post(m1, &format!("/api/v1/persons/{third}/merge"), json!({"merge_id": later})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(db.last_activity_at(app.ws, third_org).await.unwrap(), Some(1_795_000_000_000), "the message's instant");
}

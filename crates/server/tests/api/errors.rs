use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

crate::both_dbs!(
    invalid_deals_are_refused_with_the_field_named,
    invalid_links_are_refused,
    invalid_persons_are_refused,
    a_refused_patch_changes_nothing,
    unreadable_bodies_are_refused,
    conflicts_are_reported,
    unknown_paths_and_missing_credentials,
    bad_query_strings_and_path_parameters_answer_the_envelope,
    every_list_pages_alike,
    the_filter_check_answers_no_debug_dump,
);

/// Sends a raw request: any body bytes, any (or no) `Authorization` header.
async fn raw(app: &TestApp, method: Method, auth: Option<&str>, path: &str, body: Option<Vec<u8>>) -> (StatusCode, Value) {
    let mut req = app.client.request(method, format!("{}{path}", app.base));
    if let Some(a) = auth {
        req = req.header(reqwest::header::AUTHORIZATION, a);
    }
    if let Some(b) = body {
        req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The server is alive and well after whatever the test threw at it.
async fn assert_healthy(app: &TestApp) {
    let resp = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["status"], "ok");
}

async fn read(app: &TestApp, collection: &str, id: i64) -> Value {
    let (s, v) = app.get(&app.t.admin, &format!("/api/v1/{collection}/{id}")).await;
    assert_eq!(s, StatusCode::OK, "reading {collection}/{id}: {v}");
    v["data"].clone()
}

async fn invalid_deals_are_refused_with_the_field_named(app: TestApp) {
    let t = &app.t.manager1;
    let existing = app.create(t, "deals", json!({"title": "Уже есть"})).await;
    let before = app.all_ids(&app.t.admin, "deals", "").await;
    let cases = [
        (json!({"titel": "Опечатка"}), "titel"),
        (json!({"title": "Строка", "value": "100"}), "value"),
        (json!({"value": 100}), "title"),
        (json!({"title": "   "}), "title"),
        (json!({"title": null}), "title"),
        (json!({"title": "я".repeat(256)}), "title"),
        (json!({"title": "Минус", "value": -1}), "value"),
        (json!({"title": "Дробь", "value": 1.5}), "value"),
        (json!({"title": "Статус", "status": "maybe"}), "status"),
        (json!({"title": "Дата", "expected_close_date": "2026-02-30"}), "expected_close_date"),
        (json!({"title": "Валюта", "currency": "рубли"}), "currency"),
        (json!({"title": "Кастом", "custom": {"citty": "Казань"}}), "custom.citty"),
        (json!({"title": "Бюджет", "custom": {"budget": "lots"}}), "custom.budget"),
        (json!({"title": "Ссылка", "custom": {"proposal_link": "ftp://x"}}), "custom.proposal_link"),
        (json!({"title": "Кастом", "custom": "city"}), "custom"),
        (json!({"title": "Ид", "id": 5}), "id"),
        (json!({"title": "Создана", "created_at": "2026-01-01T00:00:00Z"}), "created_at"),
        (json!({"title": "Этап", "stage_entered_at": "2026-01-01T00:00:00Z"}), "stage_entered_at"),
    ];
    for (body, field) in cases {
        let resp = app.post(t, "/api/v1/deals", body.clone()).await;
        assert_error(&resp, 422, "validation", Some(field));
    }
    let (_, v) = app.post(t, "/api/v1/deals", json!({"titel": "Опечатка"})).await;
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("'title'"), "the message should suggest 'title': {message}");
    let (_, v) = app.post(t, "/api/v1/deals", json!({"title": "x", "custom": {"citty": "Казань"}})).await;
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("'city'"), "the message should suggest 'city': {message}");
    let (_, v) = app.post(t, "/api/v1/deals", json!({"title": "я".repeat(256)})).await;
    assert!(v["error"]["message"].as_str().unwrap().contains("255"), "{v}");

    assert_eq!(app.all_ids(&app.t.admin, "deals", "").await, before, "a refused create stored a deal");
    assert_eq!(read(&app, "deals", existing).await["title"], "Уже есть");
    // The boundary itself is fine.
    app.create(t, "deals", json!({"title": "я".repeat(255)})).await;
    assert_healthy(&app).await;
}

async fn invalid_links_are_refused(app: TestApp) {
    let a = &app.t.admin;
    let deleted_org = app.create(a, "organizations", json!({"name": "ООО Бывшая"})).await;
    let (s, _) = app.delete(a, &format!("/api/v1/organizations/{deleted_org}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let second_pipeline = app.create(a, "pipelines", json!({"name": "Партнёры"})).await;
    let foreign_stage = app.create(a, "stages", json!({"pipeline_id": second_pipeline, "name": "Партнёрский этап"})).await;
    let (s, v) = app.get(&app.t.other_admin, &format!("/api/v1/stages?pipeline_id={}", app.ids.other_pipeline)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let other_ws_stage = v["data"][0]["id"].as_i64().unwrap();
    let hidden_person = app.create(&app.t.manager2, "persons", json!({"name": "Чужой Клиент"})).await;

    let t = &app.t.manager1;
    let deal = app.create(t, "deals", json!({"title": "Своя"})).await;
    let before_deal = read(&app, "deals", deal).await;
    let before = app.all_ids(a, "deals", "").await;
    let p = app.ids.pipeline;
    let cases = [
        (json!({"title": "x", "organization_id": app.ids.other_org}), "organization_id"),
        (json!({"title": "x", "organization_id": deleted_org}), "organization_id"),
        (json!({"title": "x", "organization_id": 999_999_999}), "organization_id"),
        (json!({"title": "x", "organization_id": "1"}), "organization_id"),
        (json!({"title": "x", "person_id": hidden_person}), "person_id"),
        (json!({"title": "x", "pipeline_id": p, "stage_id": foreign_stage}), "stage_id"),
        (json!({"title": "x", "stage_id": other_ws_stage}), "stage_id"),
        (json!({"title": "x", "pipeline_id": app.ids.other_pipeline}), "pipeline_id"),
    ];
    for (body, field) in &cases {
        assert_error(&app.post(t, "/api/v1/deals", body.clone()).await, 422, "validation", Some(field));
        // The same link is refused on update, and the deal stays as it was.
        let mut change = body.clone();
        change.as_object_mut().unwrap().remove("title");
        assert_error(&app.patch(t, &format!("/api/v1/deals/{deal}"), change).await, 422, "validation", Some(field));
    }
    // Owners must be active users of the workspace, even for those who may assign to anyone.
    let (_, other_me) = app.get(&app.t.other_admin, "/api/v1/me").await;
    let other_user = other_me["data"]["user"]["id"].as_i64().unwrap();
    for owner in [999_999_999, other_user] {
        let resp = app.post(a, "/api/v1/deals", json!({"title": "x", "owner_id": owner})).await;
        assert_error(&resp, 422, "validation", Some("owner_id"));
    }
    assert_eq!(app.all_ids(a, "deals", "").await, before);
    assert_eq!(read(&app, "deals", deal).await, before_deal);

    // Links in custom fields are checked the same way.
    let org = app.create(t, "organizations", json!({"name": "ООО Своя"})).await;
    let resp = app.patch(t, &format!("/api/v1/organizations/{org}"), json!({"custom": {"partner_org": app.ids.other_org}})).await;
    assert_error(&resp, 422, "validation", Some("custom.partner_org"));
    let resp = app.patch(t, &format!("/api/v1/organizations/{org}"), json!({"custom": {"is_agency": "да"}})).await;
    assert_error(&resp, 422, "validation", Some("custom.is_agency"));
    assert_eq!(read(&app, "organizations", org).await["custom"], json!({}));
    // A note about a deleted organization is refused too.
    let resp = app.post(t, "/api/v1/notes", json!({"content": "Заметка", "organization_id": deleted_org})).await;
    assert_error(&resp, 422, "validation", Some("organization_id"));
    assert_healthy(&app).await;
}

async fn invalid_persons_are_refused(app: TestApp) {
    let t = &app.t.manager1;
    let before = app.all_ids(&app.t.admin, "persons", "").await;
    let cases = [
        (json!({"name": "Иван", "phone": "123"}), "phone"),
        (json!({"name": "Иван", "phone": "not a phone"}), "phone"),
        (json!({"name": "Иван", "phone": 79161234567_i64}), "phone"),
        (json!({"name": "Иван", "whatsapp": "+7 000"}), "whatsapp"),
        (json!({"name": "Иван", "email": "nope"}), "email"),
        (json!({"name": "Иван", "email": "ivan@"}), "email"),
        (json!({"name": "Иван", "email": "a b@c.ru"}), "email"),
        (json!({"email": "ivan@example.ru"}), "name"),
        (json!({"name": "Иван", "author_id": 1}), "author_id"),
    ];
    for (body, field) in cases {
        assert_error(&app.post(t, "/api/v1/persons", body).await, 422, "validation", Some(field));
    }
    assert_eq!(app.all_ids(&app.t.admin, "persons", "").await, before);
    // A phone or e-mail that failed validation was not reserved as an identity.
    let id = app.create(t, "persons", json!({"name": "Иван", "phone": "8 916 000-11-22", "email": "Ivan@Example.ru"})).await;
    let p = read(&app, "persons", id).await;
    assert_eq!((&p["phone"], &p["email"]), (&json!("+79160001122"), &json!("ivan@example.ru")));
    assert_healthy(&app).await;
}

async fn a_refused_patch_changes_nothing(app: TestApp) {
    let t = &app.t.manager1;
    let deal = app.create(t, "deals", json!({"title": "Исходная", "value": 1000})).await;
    let path = format!("/api/v1/deals/{deal}");
    let before = read(&app, "deals", deal).await;
    app.clock.advance(time::Duration::minutes(5));
    let cases = [
        (json!({"titel": "Новая"}), "titel"),
        // A valid change next to an invalid one is not applied either.
        (json!({"title": "Новая", "titel": "Новая"}), "titel"),
        (json!({"value": 2000, "status": "maybe"}), "status"),
        (json!({"title": null}), "title"),
        (json!({"id": deal + 1}), "id"),
        (json!({"created_at": "2020-01-01T00:00:00Z"}), "created_at"),
        (json!({"updated_at": "2020-01-01T00:00:00Z"}), "updated_at"),
        (json!({"closed_at": "2020-01-01T00:00:00Z"}), "closed_at"),
        (json!({"stage_id": null}), "stage_id"),
        (json!({"pipeline_id": null}), "pipeline_id"),
    ];
    for (body, field) in cases {
        assert_error(&app.patch(t, &path, body.clone()).await, 422, "validation", Some(field));
        assert_eq!(read(&app, "deals", deal).await, before, "changed by the refused {body}");
    }
    // A stage cannot move to another pipeline once created.
    let stage = app.ids.stages[2];
    let resp = app.patch(&app.t.admin, &format!("/api/v1/stages/{stage}"), json!({"pipeline_id": app.ids.other_pipeline})).await;
    assert_error(&resp, 422, "validation", Some("pipeline_id"));
    assert_eq!(read(&app, "stages", stage).await["pipeline_id"], app.ids.pipeline);

    let (s, v) = app.get(t, &format!("{path}/history")).await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = v["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create"], "refused changes must leave no history");
    assert_healthy(&app).await;
}

async fn unreadable_bodies_are_refused(app: TestApp) {
    let auth = format!("Bearer {}", app.t.manager1);
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Тело"})).await;
    let before = read(&app, "deals", deal).await;
    let path = format!("/api/v1/deals/{deal}");
    for method in [Method::POST, Method::PATCH] {
        let target = if method == Method::POST { "/api/v1/deals" } else { path.as_str() };
        let send = |body: &[u8]| raw(&app, method.clone(), Some(&auth), target, Some(body.to_vec()));
        assert_error(&send(b"{\"title\": ").await, 400, "validation", Some("body"));
        assert_error(&send(b"title=x").await, 400, "validation", Some("body"));
        assert_error(&send(b"").await, 400, "validation", Some("body"));
        assert_error(&send(&[0xff, 0xfe, 0x00]).await, 400, "validation", Some("body"));
        assert_error(&send(b"[{\"title\": \"x\"}]").await, 422, "validation", Some("body"));
        assert_error(&send(b"\"x\"").await, 422, "validation", Some("body"));
        assert_error(&send(b"null").await, 422, "validation", Some("body"));
        let mut huge = br#"{"title": ""#.to_vec();
        huge.extend(vec![b'x'; poryadok_server::MAX_BODY_BYTES]);
        huge.extend(br#""}"#);
        assert_error(&send(&huge).await, 413, "payload_too_large", Some("body"));
    }
    assert_eq!(app.all_ids(&app.t.admin, "deals", "").await, [deal]);
    assert_eq!(read(&app, "deals", deal).await, before);
    // The workspace settings take the same envelope.
    let resp = raw(&app, Method::PATCH, Some(&format!("Bearer {}", app.t.admin)), "/api/v1/workspace", Some(b"{".to_vec())).await;
    assert_error(&resp, 400, "validation", Some("body"));
    assert_error(
        &app.patch(&app.t.admin, "/api/v1/workspace", json!({"visibility": "everyone"})).await,
        422,
        "validation",
        Some("visibility"),
    );
    assert_error(&app.patch(&app.t.admin, "/api/v1/workspace", json!({"colour": "red"})).await, 422, "validation", Some("colour"));
    let (_, ws) = app.get(&app.t.admin, "/api/v1/workspace").await;
    assert_eq!(ws["data"]["visibility"], "own");
    assert_healthy(&app).await;
}

async fn conflicts_are_reported(app: TestApp) {
    let a = &app.t.admin;
    // A stage that holds deals cannot be deleted; neither can its pipeline.
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "В этапе"})).await;
    let stage = app.ids.stages[0];
    let before = read(&app, "stages", stage).await;
    assert_error(&app.delete(a, &format!("/api/v1/stages/{stage}")).await, 409, "conflict", None);
    assert_error(&app.delete(a, &format!("/api/v1/pipelines/{}", app.ids.pipeline)).await, 409, "conflict", None);
    assert_eq!(read(&app, "stages", stage).await, before);
    assert_eq!(read(&app, "deals", deal).await["stage_id"], stage);
    assert!(app.all_ids(a, "pipelines", "").await.contains(&app.ids.pipeline));
    // An empty stage can.
    let (s, _) = app.delete(a, &format!("/api/v1/stages/{}", app.ids.stages[2])).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // A team with members cannot be deleted.
    let (_, me) = app.get(&app.t.manager1, "/api/v1/me").await;
    let team = me["data"]["user"]["team_id"].as_i64().unwrap();
    assert_error(&app.delete(a, &format!("/api/v1/teams/{team}")).await, 409, "conflict", None);
    assert!(app.all_ids(a, "teams", "").await.contains(&team));

    // E-mail addresses are unique, whatever their case, and across workspaces.
    let users = app.all_ids(a, "users", "").await;
    for email in ["m1@a.test", "M1@A.Test", " m1@a.test "] {
        let resp = app.post(a, "/api/v1/users", json!({"email": email, "name": "Двойник", "role": "manager"})).await;
        assert_error(&resp, 409, "conflict", Some("email"));
    }
    let resp = app.post(&app.t.other_admin, "/api/v1/users", json!({"email": "m1@a.test", "name": "Двойник", "role": "manager"})).await;
    assert_error(&resp, 409, "conflict", Some("email"));
    let other = app.create(a, "users", json!({"email": "m9@a.test", "name": "Другой", "role": "manager"})).await;
    let resp = app.patch(a, &format!("/api/v1/users/{other}"), json!({"email": "head@a.test"})).await;
    assert_error(&resp, 409, "conflict", Some("email"));
    assert_eq!(read(&app, "users", other).await["email"], "m9@a.test");
    assert_eq!(app.all_ids(a, "users", "").await.len(), users.len() + 1);

    // Two spellings of one phone number are one identity.
    let t = &app.t.manager1;
    let first = app.create(t, "persons", json!({"name": "Анна", "phone": "8 916 123-45-67"})).await;
    assert_eq!(read(&app, "persons", first).await["phone"], "+79161234567");
    let persons = app.all_ids(a, "persons", "").await;
    let resp = app.post(t, "/api/v1/persons", json!({"name": "Анна дубль", "phone": "+7 (916) 123 45 67"})).await;
    assert_error(&resp, 409, "conflict", Some("phone"));
    // Even for a manager who cannot see the first card.
    let resp = app.post(&app.t.manager3, "/api/v1/persons", json!({"name": "Анна чужая", "phone": "89161234567"})).await;
    assert_error(&resp, 409, "conflict", Some("phone"));
    let second = app.create(t, "persons", json!({"name": "Борис", "phone": "+7 916 765-43-21"})).await;
    let resp = app.patch(t, &format!("/api/v1/persons/{second}"), json!({"phone": "8 (916) 1234567"})).await;
    assert_error(&resp, 409, "conflict", Some("phone"));
    assert_eq!(read(&app, "persons", second).await["phone"], "+79167654321");
    assert_eq!(read(&app, "persons", first).await["phone"], "+79161234567");
    assert_eq!(app.all_ids(a, "persons", "").await.len(), persons.len() + 1);
    // The second card's own number stays reserved after the refused change.
    let resp = app.post(t, "/api/v1/persons", json!({"name": "Борис дубль", "phone": "+79167654321"})).await;
    assert_error(&resp, 409, "conflict", Some("phone"));

    // Telegram handles are one identity whatever the case and '@'; a card never clashes with itself,
    // and a handle it gives up is free for another card.
    let ivan = app.create(t, "persons", json!({"name": "Иван", "telegram": "@Ivan_Petrov"})).await;
    let resp = app.post(t, "/api/v1/persons", json!({"name": "Иван дубль", "telegram": "ivan_petrov"})).await;
    assert_error(&resp, 409, "conflict", Some("telegram"));
    let (s, v) = app.patch(t, &format!("/api/v1/persons/{ivan}"), json!({"telegram": "ivan_petrov"})).await;
    assert_eq!(s, StatusCode::OK, "re-spelling one's own handle: {v}");
    let (s, v) = app.patch(t, &format!("/api/v1/persons/{ivan}"), json!({"telegram": "@ivan_new"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.post(t, "/api/v1/persons", json!({"name": "Другой Иван", "telegram": "@Ivan_Petrov"})).await;
    assert_eq!(s, StatusCode::CREATED, "a handle given up must be free again: {v}");
    let resp = app.post(t, "/api/v1/persons", json!({"name": "Иван дубль", "telegram": "IVAN_NEW"})).await;
    assert_error(&resp, 409, "conflict", Some("telegram"));
    assert_healthy(&app).await;
}

async fn unknown_paths_and_missing_credentials(app: TestApp) {
    let t = &app.t.admin;
    let deal = app.create(t, "deals", json!({"title": "Одна"})).await;
    assert_error(&app.get(t, "/api/v1/widgets").await, 404, "not_found", None);
    assert_error(&app.post(t, "/api/v1/widgets", json!({"title": "x"})).await, 404, "not_found", None);
    assert_error(&app.get(t, "/api/v1/widgets/1").await, 404, "not_found", None);
    // `/api/v2` is the Pipedrive-compatible API (docs/PIPEDRIVE.md); a version beyond it is not.
    assert_error(&app.get(t, "/api/v3/deals").await, 404, "not_found", None);
    assert_error(&app.get(t, "/api/v1/deals/1/2/3").await, 404, "not_found", None);
    // A method a path does not take answers in the same envelope.
    assert_error(&app.delete(t, "/api/v1/deals").await, 405, "method_not_allowed", None);
    assert_eq!(app.all_ids(t, "deals", "").await, [deal]);
    for id in ["abc", "-1", "0", "1.5", "99999999999999999999", "%27%20OR%201=1"] {
        assert_error(&app.get(t, &format!("/api/v1/deals/{id}")).await, 404, "not_found", None);
        assert_error(&app.patch(t, &format!("/api/v1/deals/{id}"), json!({"title": "x"})).await, 404, "not_found", None);
        assert_error(&app.delete(t, &format!("/api/v1/deals/{id}")).await, 404, "not_found", None);
        assert_error(&app.get(t, &format!("/api/v1/deals/{id}/history")).await, 404, "not_found", None);
    }
    assert_error(&app.get(t, &format!("/api/v1/deals/{}", deal + 1)).await, 404, "not_found", None);

    let body = || Some(json!({"title": "Без токена"}).to_string().into_bytes());
    let ok = format!("Bearer {t}");
    for auth in [None, Some("Bearer pat_garbage"), Some("Bearer "), Some("Basic YWRtaW46YWRtaW4="), Some(t.as_str()), Some("bearer x")] {
        assert_error(&raw(&app, Method::GET, auth, "/api/v1/deals", None).await, 401, "unauthorized", None);
        assert_error(&raw(&app, Method::GET, auth, &format!("/api/v1/deals/{deal}"), None).await, 401, "unauthorized", None);
        assert_error(&raw(&app, Method::POST, auth, "/api/v1/deals", body()).await, 401, "unauthorized", None);
        assert_error(&raw(&app, Method::DELETE, auth, &format!("/api/v1/deals/{deal}"), None).await, 401, "unauthorized", None);
        assert_error(&raw(&app, Method::GET, auth, "/api/v1/me", None).await, 401, "unauthorized", None);
    }
    // A real token with garbage around it is still garbage.
    let padded = format!("Bearer {t}x");
    assert_error(&raw(&app, Method::GET, Some(&padded), "/api/v1/deals", None).await, 401, "unauthorized", None);
    assert_eq!(raw(&app, Method::GET, Some(&ok), "/api/v1/deals", None).await.0, StatusCode::OK);
    assert_eq!(app.all_ids(t, "deals", "").await, [deal]);
    assert_eq!(read(&app, "deals", deal).await["title"], "Одна");
    assert_healthy(&app).await;
}

/// A query string that does not fit, an unknown parameter or a path parameter that does not parse
/// is answered with the envelope naming it, never with axum's plain text.
async fn bad_query_strings_and_path_parameters_answer_the_envelope(app: TestApp) {
    let admin = &app.t.admin;
    let cases: &[(&str, u16, &str)] = &[
        ("/api/v1/violations?round=abc", 422, "round"),
        ("/api/v1/violations?user=1.5", 422, "user"),
        ("/api/v1/violations?bogus=1", 422, "bogus"),
        ("/api/v1/violations?limit=100000", 422, "limit"),
        ("/api/v1/violations?limit=0", 422, "limit"),
        ("/api/v1/violations?cursor=x", 422, "cursor"),
        ("/api/v1/audit/rounds?page=2", 422, "page"),
        ("/api/v1/audit/rounds/1/export?fromat=csv", 422, "fromat"),
        ("/api/v1/rules?sort=name", 422, "sort"),
        ("/api/v1/jobs?limit=abc", 422, "limit"),
        ("/api/v1/jobs?state=failed", 422, "state"),
        ("/api/v1/intake/events?source_id=x", 422, "source_id"),
        ("/api/v1/intake/events?limit=501", 422, "limit"),
        ("/api/v1/outbound_messages?record_id=x", 422, "record_id"),
        ("/api/v1/outbound_messages?statsu=failed", 422, "statsu"),
        ("/api/v1/notifications?unread=maybe", 422, "unread"),
        ("/api/v1/notifications?limit=1000", 422, "limit"),
        ("/api/v1/notifications?foo=1", 422, "foo"),
        ("/api/v1/tokens?everyone=true", 422, "everyone"),
        ("/api/v1/assistants?x=1", 422, "x"),
        ("/api/v1/message_templates?channel=sms", 422, "channel"),
        ("/api/v1/webhooks?limit=-1", 422, "limit"),
        ("/api/v1/intake/sources?kind=form", 422, "kind"),
        ("/api/v1/reports/funnel?pipeline=1", 422, "pipeline"),
        ("/api/v1/deals?limit=100000", 422, "limit"),
        ("/api/v1/deals?no_such_field=1", 422, "no_such_field"),
        ("/api/v1/deals/1/history?x=1", 422, "x"),
        ("/api/v1/duplicates?x=1", 422, "x"),
        ("/api/v1/deals/abc/assistant_actions", 404, "id"),
        ("/api/v1/deals/99999999999999999999999/labels", 404, "id"),
    ];
    for (path, status, field) in cases {
        let (s, v) = raw(&app, Method::GET, Some(&format!("Bearer {admin}")), path, None).await;
        assert_eq!(s.as_u16(), *status, "{path}: {v}");
        assert!(v["error"].is_object(), "{path} answers the envelope: {v}");
        assert_eq!(v["error"]["field"], *field, "{path}: {v}");
        let code = if *status == 404 { "not_found" } else { "validation" };
        assert_eq!(v["error"]["code"], code, "{path}: {v}");
    }
    // The message of an unknown parameter lists the ones the endpoint takes.
    let (_, v) = app.get(admin, "/api/v1/violations?bogus=1").await;
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.contains("round") && m.contains("limit"), "{m}");
    let (_, v) = app.get(admin, "/api/v1/violations?round=abc").await;
    assert_eq!(v["error"]["message"], "must be an integer");
    // A body that is not JSON, or not the shape, on a JSON endpoint: the envelope too.
    let (s, v) = raw(&app, Method::POST, Some(&format!("Bearer {admin}")), "/api/v1/audit/rounds", Some(b"{oops".to_vec())).await;
    assert_eq!(s.as_u16(), 400, "{v}");
    assert_eq!(v["error"]["field"], "body");
    assert_error(&app.post(admin, "/api/v1/audit/rounds", serde_json::json!({"now": "tomorrow"})).await, 422, "validation", Some("now"));
    assert_error(&app.post(admin, "/api/v1/audit/rounds", serde_json::json!({"when": "x"})).await, 422, "validation", Some("when"));
    assert_healthy(&app).await;
}

/// Every list takes `limit` from 1 to 500 and `cursor`, and answers `next_cursor`; walking the
/// cursors visits every item once.
async fn every_list_pages_alike(app: TestApp) {
    let admin = &app.t.admin;
    for n in 0..5 {
        app.create(admin, "deals", json!({"title": format!("Сделка {n}"), "value": 0})).await;
    }
    let body = json!({"name": "Нет суммы", "entity": "deal", "expression": "value = 0", "criticality": 1, "why": "w", "fix": "f"});
    for name in ["Первое", "Второе", "Третье"] {
        let mut b = body.clone();
        b["name"] = json!(name);
        app.create(&app.t.head, "rules", b).await;
    }
    let (s, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    poryadok_server::worker::Worker::new(&poryadok_server::AppState::new(app.db.clone())).run_once().await.unwrap();
    let (_, all) = app.get(admin, "/api/v1/violations?limit=500").await;
    let total = all["data"].as_array().unwrap().len();
    assert!(total >= 15, "{all}");
    assert!(all["next_cursor"].is_null(), "{all}");
    for list in
        ["/api/v1/violations", "/api/v1/rules", "/api/v1/audit/rounds", "/api/v1/assistants", "/api/v1/tokens?all=true", "/api/v1/jobs"]
    {
        let (s, first) = app.get(admin, &format!("{list}{}limit=1", if list.contains('?') { "&" } else { "?" })).await;
        assert_eq!(s, StatusCode::OK, "{list}: {first}");
        assert!(first.get("next_cursor").is_some(), "{list} answers next_cursor: {first}");
        let mut seen: Vec<Value> = first["data"].as_array().unwrap().clone();
        assert!(seen.len() <= 1, "{list}");
        let mut cursor = first["next_cursor"].clone();
        let mut pages = 1;
        while let Some(c) = cursor.as_str() {
            let sep = if list.contains('?') { "&" } else { "?" };
            let (s, page) = app.get(admin, &format!("{list}{sep}limit=2&cursor={c}")).await;
            assert_eq!(s, StatusCode::OK, "{list}: {page}");
            seen.extend(page["data"].as_array().unwrap().iter().cloned());
            cursor = page["next_cursor"].clone();
            pages += 1;
            assert!(pages < 100, "{list} pages forever");
        }
        let ids: Vec<String> = seen.iter().map(|x| x.get("id").or(x.get("name")).unwrap_or(x).to_string()).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{list} repeats an item across pages");
        if *list == *"/api/v1/violations" {
            assert_eq!(ids.len(), total, "the violations' pages cover them all");
        }
    }
}

async fn the_filter_check_answers_no_debug_dump(app: TestApp) {
    let (s, v) = app.post(&app.t.admin, "/api/v1/filters/check", json!({"entity": "deal", "expression": "value > 100"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["data"].get("checked").is_none(), "{v}");
    assert!(!v.to_string().contains("Cond") && !v.to_string().contains("SimpleExpr"), "{v}");
    assert_eq!(v["data"]["valid"], true);
}

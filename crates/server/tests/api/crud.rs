use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(
    deal_participants_with_roles,
    board_and_funnel_respect_visibility,
    deal_life_cycle_with_history,
    every_resource_supports_crud,
    custom_fields_are_typed,
    persons_have_unique_identities,
    persons_hold_more_phones_and_emails,
    healthz_answers
);

async fn deal_life_cycle_with_history(app: TestApp) {
    let t = &app.t.manager1;
    let org = app.create(t, "organizations", json!({"name": "ООО «Ромашка»", "custom": {"city": "Казань"}})).await;
    let person = app.create(t, "persons", json!({"name": "Анна Петрова", "organization_id": org, "phone": "8 (916) 555-12-34"})).await;
    let (s, v) = app
        .post(t, "/api/v1/deals", json!({"title": "Ромашка — CRM", "organization_id": org, "person_id": person, "value": 15_000_000, "expected_close_date": "2026-12-31", "utm_source": "yandex"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let deal = &v["data"];
    let id = deal["id"].as_i64().unwrap();
    // Defaults: first stage of the first pipeline, open, the workspace currency, the caller as owner.
    assert_eq!(deal["pipeline_id"], app.ids.pipeline);
    assert_eq!(deal["stage_id"], app.ids.stages[0]);
    assert_eq!(deal["status"], "open");
    assert_eq!(deal["currency"], "RUB");
    assert_eq!(deal["owner_id"], app.ids.manager1);
    assert_eq!(deal["stage_entered_at"], "2026-11-23T09:00:00.000Z");

    app.clock.advance(time::Duration::hours(2));
    let (s, v) = app.patch(t, &format!("/api/v1/deals/{id}"), json!({"stage_id": app.ids.stages[1], "status": "won"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["stage_entered_at"], "2026-11-23T11:00:00.000Z");
    assert_eq!(v["data"]["closed_at"], "2026-11-23T11:00:00.000Z");
    assert_eq!(v["data"]["updated_at"], "2026-11-23T11:00:00.000Z");

    let (s, v) = app.get(t, &format!("/api/v1/deals/{id}/history")).await;
    assert_eq!(s, StatusCode::OK);
    let events = v["data"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["action"], "update");
    assert_eq!(events[0]["actor_id"], app.ids.manager1);
    assert_eq!(events[0]["channel"], "api");
    assert_eq!(events[0]["changes"]["stage_id"], json!({"from": app.ids.stages[0], "to": app.ids.stages[1]}));
    assert_eq!(events[0]["changes"]["status"], json!({"from": "open", "to": "won"}));
    assert_eq!(events[1]["action"], "create");
    assert_eq!(events[1]["changes"]["title"]["to"], "Ромашка — CRM");

    // An update that changes nothing writes no event; restating the pipeline keeps the stage.
    app.patch(t, &format!("/api/v1/deals/{id}"), json!({"status": "won"})).await;
    let (_, v) = app.patch(t, &format!("/api/v1/deals/{id}"), json!({"pipeline_id": app.ids.pipeline})).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[1]);
    let (_, v) = app.get(t, &format!("/api/v1/deals/{id}/history")).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 2);

    let (s, _) = app.delete(t, &format!("/api/v1/deals/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(&app.get(t, &format!("/api/v1/deals/{id}")).await, 404, "not_found", None);
    let (s, v) = app.get(t, &format!("/api/v1/deals/{id}/history")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"][0]["action"], "delete");
}

async fn every_resource_supports_crud(app: TestApp) {
    let a = &app.t.admin;
    let deal = app.create(a, "deals", json!({"title": "Сделка"})).await;
    let cases = [
        ("organizations", json!({"name": "АО Вектор"}), json!({"website": "https://vector.example"})),
        ("persons", json!({"name": "Иван Иванов", "email": "Ivan@Example.ru"}), json!({"job_title": "Директор"})),
        ("deals", json!({"title": "Вторая сделка", "value": 100}), json!({"value": 250})),
        (
            "activities",
            json!({"type": "meeting", "subject": "Встреча в офисе", "deal_id": deal, "done": true, "duration_min": 60}),
            json!({"subject": "Встреча у клиента"}),
        ),
        ("notes", json!({"content": "Клиент просил КП до пятницы", "deal_id": deal}), json!({"content": "КП отправлено"})),
        ("pipelines", json!({"name": "Партнеры"}), json!({"name": "Партнёры"})),
        (
            "stages",
            json!({"pipeline_id": app.ids.pipeline, "name": "Договор", "probability": 90, "rotting_days": 30}),
            json!({"probability": 95}),
        ),
        (
            "users",
            json!({"email": "new@a.test", "name": "Новый", "role": "consultant", "password": "long enough pw"}),
            json!({"name": "Новый консультант"}),
        ),
        ("teams", json!({"name": "Партнерский отдел"}), json!({"name": "Партнёрский отдел"})),
        (
            "custom_fields",
            json!({"entity": "person", "key": "birthday", "label": "День рождения", "field_type": "date"}),
            json!({"label": "ДР"}),
        ),
    ];
    for (collection, create, patch) in cases {
        let id = app.create(a, collection, create.clone()).await;
        let (s, v) = app.get(a, &format!("/api/v1/{collection}/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{collection}: {v}");
        assert!(v["data"].get("password").is_none() && v["data"].get("password_hash").is_none(), "{collection} leaks a password");
        let (s, v) = app.patch(a, &format!("/api/v1/{collection}/{id}"), patch.clone()).await;
        assert_eq!(s, StatusCode::OK, "{collection}: {v}");
        let (k, val) = patch.as_object().unwrap().iter().next().unwrap();
        assert_eq!(&v["data"][k], val, "{collection}.{k}");
        assert!(app.all_ids(a, collection, "").await.contains(&id), "{collection} list");
        let (s, v) = app.delete(a, &format!("/api/v1/{collection}/{id}")).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{collection}: {v}");
        let (s, v) = app.get(a, &format!("/api/v1/{collection}/{id}")).await;
        if collection == "users" {
            assert_eq!(v["data"]["active"], false, "users are deactivated, not deleted");
        } else {
            assert_eq!(s, StatusCode::NOT_FOUND, "{collection}");
            assert!(!app.all_ids(a, collection, "").await.contains(&id), "{collection} list after delete");
        }
        let (s, v) = app.get(a, &format!("/api/v1/{collection}/{id}/history")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["data"].as_array().unwrap().len(), 3, "{collection} history: {v}");
    }
    // Deleting a pipeline takes its stages along.
    let pipeline = app.create(a, "pipelines", json!({"name": "Временная"})).await;
    let stage = app.create(a, "stages", json!({"pipeline_id": pipeline, "name": "Единственная"})).await;
    app.delete(a, &format!("/api/v1/pipelines/{pipeline}")).await;
    assert_error(&app.get(a, &format!("/api/v1/stages/{stage}")).await, 404, "not_found", None);
    app.create(a, "persons", json!({"name": "Иван Иванов", "email": "Ivan@Example.ru"})).await;
    let (_, v) = app.get(a, "/api/v1/persons?email=IVAN@example.ru").await;
    assert_eq!(v["data"][0]["email"], "ivan@example.ru", "e-mails are stored lower-cased");
}

async fn custom_fields_are_typed(app: TestApp) {
    let a = &app.t.admin;
    let (s, v) =
        app.post(a, "/api/v1/custom_fields", json!({"entity": "deal", "key": "segment", "label": "Сегмент", "field_type": "enum"})).await;
    assert_error(&(s, v), 422, "validation", Some("options"));
    app.create(
        a,
        "custom_fields",
        json!({"entity": "deal", "key": "segment", "label": "Сегмент", "field_type": "enum", "options": ["SMB", "Enterprise"]}),
    )
    .await;
    let org = app.create(a, "organizations", json!({"name": "Партнёр"})).await;
    let (s, v) = app
        .post(a, "/api/v1/deals", json!({"title": "С полями", "custom": {"segment": "SMB", "budget": 500000, "traffic": 12000.5, "demo_link": "https://demo.example/rec", "city": "Москва"}}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_i64().unwrap();
    assert_eq!(v["data"]["custom"]["segment"], "SMB");
    assert_eq!(v["data"]["custom"]["traffic"], 12000.5);
    // A patch merges; null removes one value.
    let (_, v) = app.patch(a, &format!("/api/v1/deals/{id}"), json!({"custom": {"city": null, "segment": "Enterprise"}})).await;
    assert_eq!(
        v["data"]["custom"],
        json!({"segment": "Enterprise", "budget": 500000, "traffic": 12000.5, "demo_link": "https://demo.example/rec"})
    );
    let (_, h) = app.get(a, &format!("/api/v1/deals/{id}/history")).await;
    assert_eq!(h["data"][0]["changes"]["custom.city"], json!({"from": "Москва", "to": null}));
    for (body, field) in [
        (json!({"segment": "Huge"}), "custom.segment"),
        (json!({"budget": "много"}), "custom.budget"),
        (json!({"demo_link": "not a url"}), "custom.demo_link"),
        (json!({"segmnt": "SMB"}), "custom.segmnt"),
    ] {
        assert_error(&app.patch(a, &format!("/api/v1/deals/{id}"), json!({"custom": body})).await, 422, "validation", Some(field));
    }
    // Organization-typed fields must point at a live organization of the workspace.
    let (s, v) = app.post(a, "/api/v1/organizations", json!({"name": "Клиент", "custom": {"partner_org": org}})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_error(
        &app.post(a, "/api/v1/organizations", json!({"name": "Клиент 2", "custom": {"partner_org": app.ids.other_org}})).await,
        422,
        "validation",
        Some("custom.partner_org"),
    );
}

async fn persons_have_unique_identities(app: TestApp) {
    let a = &app.t.admin;
    let (_, v) = app.post(a, "/api/v1/persons", json!({"name": "Пётр", "phone": "8 916 123-45-67", "telegram": "@Petr_Sales"})).await;
    assert_eq!(v["data"]["phone"], "+79161234567");
    let first = v["data"]["id"].as_i64().unwrap();
    assert_error(
        &app.post(a, "/api/v1/persons", json!({"name": "Дубль", "phone": "+7 (916) 123 45 67"})).await,
        409,
        "conflict",
        Some("phone"),
    );
    // Changing the phone frees the old number; deleting the person frees the new one.
    app.patch(a, &format!("/api/v1/persons/{first}"), json!({"phone": "+7 916 000-00-01"})).await;
    app.create(a, "persons", json!({"name": "Новый владелец номера", "phone": "89161234567"})).await;
    app.delete(a, &format!("/api/v1/persons/{first}")).await;
    app.create(a, "persons", json!({"name": "Ещё один", "phone": "+79160000001"})).await;
}

/// A mobile and a work line: the others are normalised, searchable identities, taken by nobody else.
async fn persons_hold_more_phones_and_emails(app: TestApp) {
    let a = &app.t.admin;
    let body = json!({"name": "Ольга", "phone": "8 916 111-22-33", "other_phones": ["+7 (495) 123-45-67", "8 495 123 45 67", "8 903 000-00-09"], "other_emails": "Olga@Work.ru; olga@home.ru"});
    let (s, v) = app.post(a, "/api/v1/persons", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_i64().unwrap();
    // Each normalised, repeats dropped.
    assert_eq!(v["data"]["other_phones"], json!(["+74951234567", "+79030000009"]));
    assert_eq!(v["data"]["other_emails"], json!(["olga@work.ru", "olga@home.ru"]));
    let found = app.get(a, "/api/v1/search?q=%2B7%20495%20123-45-67").await;
    assert!(found.1.to_string().contains("Ольга"), "{}", found.1);
    assert_error(&app.post(a, "/api/v1/persons", json!({"name": "Дубль", "phone": "+74951234567"})).await, 409, "conflict", Some("phone"));
    assert_error(
        &app.post(a, "/api/v1/persons", json!({"name": "Дубль", "other_emails": ["OLGA@home.ru"]})).await,
        409,
        "conflict",
        Some("other_emails"),
    );
    assert_error(
        &app.post(a, "/api/v1/persons", json!({"name": "Плохой", "other_phones": ["12"]})).await,
        422,
        "validation",
        Some("other_phones"),
    );
    let many: Vec<String> = (0..11).map(|i| format!("+7916000{i:04}")).collect();
    assert_error(
        &app.post(a, "/api/v1/persons", json!({"name": "Много", "other_phones": many})).await,
        422,
        "validation",
        Some("other_phones"),
    );
    // Dropping a number frees it; the main phone stays Ольга's.
    let (s, v) = app.patch(a, &format!("/api/v1/persons/{id}"), json!({"other_phones": []})).await;
    assert_eq!((s, &v["data"]["other_phones"]), (StatusCode::OK, &json!(null)), "{v}");
    app.create(a, "persons", json!({"name": "Новый владелец", "phone": "+74951234567"})).await;
    assert_error(&app.post(a, "/api/v1/persons", json!({"name": "Дубль", "phone": "89161112233"})).await, 409, "conflict", Some("phone"));
}

async fn healthz_answers(app: TestApp) {
    let resp = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<serde_json::Value>().await.unwrap()["status"], "ok");
}

async fn board_and_funnel_respect_visibility(app: TestApp) {
    let [s0, s1, _] = app.ids.stages[..] else { panic!() };
    app.create(&app.t.manager1, "deals", json!({"title": "A", "value": 100})).await;
    app.create(&app.t.manager1, "deals", json!({"title": "B", "value": 250, "stage_id": s1})).await;
    app.create(&app.t.manager2, "deals", json!({"title": "C", "value": 1000, "stage_id": s1})).await;
    app.create(&app.t.manager2, "deals", json!({"title": "Won", "value": 7, "stage_id": s1, "status": "won"})).await;
    let board = |token: String| {
        let app = &app;
        async move {
            let (s, v) = app.get(&token, &format!("/api/v1/pipelines/{}/board", app.ids.pipeline)).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["data"]["stages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["stage_id"].as_i64().unwrap(),
                        c["count"].as_i64().unwrap(),
                        c["total_value"].as_i64().unwrap(),
                        c["deals"].as_array().unwrap().len(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    // Open deals only; columns in stage order, including empty ones.
    assert_eq!(board(app.t.head.clone()).await, vec![(s0, 1, 100, 1), (s1, 2, 1250, 2), (app.ids.stages[2], 0, 0, 0)]);
    assert_eq!(board(app.t.manager1.clone()).await, vec![(s0, 1, 100, 1), (s1, 1, 250, 1), (app.ids.stages[2], 0, 0, 0)]);
    assert_error(&app.get(&app.t.other_admin, &format!("/api/v1/pipelines/{}/board", app.ids.pipeline)).await, 404, "not_found", None);

    let (s, v) = app.get(&app.t.head, &format!("/api/v1/reports/funnel?pipeline_id={}", app.ids.pipeline)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Every deal of the month: four reached the first stage, three the second; one won.
    let reached = |v: &serde_json::Value| -> Vec<i64> {
        v["data"]["cohort"]["stages"].as_array().unwrap().iter().map(|s| s["reached"].as_i64().unwrap()).collect()
    };
    assert_eq!(reached(&v), vec![4, 3, 0], "{v}");
    assert_eq!((v["data"]["cohort"]["won"].as_i64(), v["data"]["cohort"]["won_value"].as_i64()), (Some(1), Some(7)));
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/reports/funnel?pipeline_id={}", app.ids.pipeline)).await;
    assert_eq!(reached(&v), vec![2, 1, 0], "a manager's funnel counts only their deals: {v}");
    assert_error(&app.get(&app.t.head, "/api/v1/reports/funnel?pipeline_id=abc").await, 422, "validation", Some("pipeline_id"));
}

async fn deal_participants_with_roles(app: TestApp) {
    let sys = app.db.system_actor(app.ws, poryadok_core::domain::Channel::Cli).await.unwrap();
    let consultant = app
        .db
        .create(&sys, poryadok_core::schema::Entity::User, &json!({"email": "c@a.test", "name": "Консультант", "role": "consultant"}))
        .await
        .unwrap()
        .id();
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Передача консультанту"})).await;
    let path = format!("/api/v1/deals/{deal}/participants");
    let (s, v) = app.post(&app.t.manager1, &path, json!({"user_id": consultant, "role": "consultant"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let pid = v["data"]["id"].as_i64().unwrap();
    assert_error(
        &app.post(&app.t.manager1, &path, json!({"user_id": consultant, "role": "consultant"})).await,
        409,
        "conflict",
        Some("user_id"),
    );
    assert_error(
        &app.post(&app.t.manager1, &path, json!({"user_id": consultant, "role": "Главный!"})).await,
        422,
        "validation",
        Some("role"),
    );
    assert_error(
        &app.post(&app.t.manager1, &path, json!({"user_id": 999_999, "role": "consultant"})).await,
        422,
        "validation",
        Some("user_id"),
    );
    assert_error(&app.get(&app.t.manager2, &path).await, 404, "not_found", None);
    let (_, v) = app.get(&app.t.manager1, &path).await;
    assert_eq!(v["data"][0]["user_id"], consultant);
    assert_eq!(v["data"][0]["role"], "consultant");
    let (_, h) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}/history")).await;
    assert_eq!(h["data"][0]["changes"]["participants"]["to"]["role"], "consultant");
    let (s, _) = app.delete(&app.t.manager1, &format!("{path}/{pid}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = app.get(&app.t.manager1, &path).await;
    assert_eq!(v["data"], json!([]));
}

//! Global search through `GET /api/v1/search`: names by word prefixes, a phone in any spelling,
//! e-mail, tax id; visibility; renames and deletes; too-short queries.
use crate::helpers::*;
use serde_json::{json, Value};

crate::both_dbs!(
    names_phones_emails_and_tax_ids_are_found,
    search_sees_only_what_the_caller_may_see,
    renamed_and_deleted_records_follow,
    a_query_too_short_asks_for_more,
);

fn ids(v: &Value, group: &str) -> Vec<i64> {
    v[group].as_array().unwrap_or_else(|| panic!("{group} in {v}")).iter().map(|h| h["id"].as_i64().unwrap()).collect()
}

async fn search(app: &TestApp, token: &str, q: &str) -> Value {
    let path = format!("/api/v1/search?q={}", form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
    let (s, v) = app.get(token, &path).await;
    assert_eq!(s.as_u16(), 200, "{q}: {v}");
    v
}

async fn names_phones_emails_and_tax_ids_are_found(app: TestApp) {
    let head = &app.t.head;
    let org = app.create(head, "organizations", json!({"name": "ООО «Ёлки-Палки»", "tax_id": "7707083893"})).await;
    let ivan = app
        .create(
            head,
            "persons",
            json!({"name": "Иван Петров", "phone": "+7 968 481-03-92", "email": "Ivan@Elki.example", "organization_id": org}),
        )
        .await;
    let other = app.create(head, "persons", json!({"name": "Пётр Иванов"})).await;
    let deal = app.create(head, "deals", json!({"title": "Поставка станков ЧПУ", "person_id": ivan, "organization_id": org})).await;

    // Word prefixes in any order, any case, ё as е.
    let v = search(&app, head, "петр").await;
    assert_eq!(ids(&v, "persons"), vec![other, ivan], "{v}");
    assert_eq!(ids(&search(&app, head, "ПЕТРОВ ив").await, "persons"), vec![ivan]);
    assert_eq!(ids(&search(&app, head, "петр иванов").await, "persons"), vec![other]);
    assert_eq!(ids(&search(&app, head, "елки").await, "organizations"), vec![org]);
    assert_eq!(ids(&search(&app, head, "станк").await, "deals"), vec![deal]);
    assert!(ids(&search(&app, head, "станкостроение").await, "deals").is_empty());

    // A phone written the way people write it finds the client, and their deals come along.
    for typed in ["8 968 481-03-92", "+7(968)4810392", "9684810392"] {
        let v = search(&app, head, typed).await;
        assert_eq!(ids(&v, "persons"), vec![ivan], "{typed}: {v}");
        assert_eq!(ids(&v, "deals"), vec![deal], "{typed}: {v}");
        assert_eq!(v["persons"][0]["phone"], "+79684810392");
    }
    assert_eq!(ids(&search(&app, head, "ivan@elki.EXAMPLE").await, "persons"), vec![ivan]);
    assert_eq!(ids(&search(&app, head, "7707083893").await, "organizations"), vec![org]);
}

async fn search_sees_only_what_the_caller_may_see(app: TestApp) {
    let mine = app.create(&app.t.manager1, "persons", json!({"name": "Сидоров Моисей"})).await;
    let theirs = app.create(&app.t.manager2, "persons", json!({"name": "Сидоров Тайный", "phone": "+79001112233"})).await;
    app.create(&app.t.manager2, "deals", json!({"title": "Сидоров: тайная сделка", "person_id": theirs})).await;
    let v = search(&app, &app.t.manager1, "сидоров").await;
    assert_eq!(ids(&v, "persons"), vec![mine], "{v}");
    assert!(ids(&v, "deals").is_empty(), "{v}");
    assert!(ids(&search(&app, &app.t.manager1, "+7 900 111 22 33").await, "persons").is_empty());
    assert_eq!(ids(&search(&app, &app.t.head, "сидоров").await, "persons").len(), 2);
    // Another workspace finds nothing of this one.
    assert!(search(&app, &app.t.other_admin, "сидоров").await["persons"].as_array().unwrap().is_empty());
}

async fn renamed_and_deleted_records_follow(app: TestApp) {
    let head = &app.t.head;
    let id = app.create(head, "organizations", json!({"name": "Старое имя"})).await;
    let (s, v) = app.patch(head, &format!("/api/v1/organizations/{id}"), json!({"name": "Новое название"})).await;
    assert_eq!(s.as_u16(), 200, "{v}");
    assert!(ids(&search(&app, head, "старое").await, "organizations").is_empty());
    assert_eq!(ids(&search(&app, head, "новое назв").await, "organizations"), vec![id]);
    let (s, _) = app.delete(head, &format!("/api/v1/organizations/{id}")).await;
    assert!(s.is_success());
    assert!(ids(&search(&app, head, "новое").await, "organizations").is_empty());
}

async fn a_query_too_short_asks_for_more(app: TestApp) {
    for q in ["", "а", " — ", "%"] {
        let path = format!("/api/v1/search?q={}", form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
        let r = app.get(&app.t.head, &path).await;
        assert_error(&r, 422, "validation", Some("q"));
        assert_eq!(r.1["error"]["message_code"], "search_too_short", "{}", r.1);
    }
    let r = app.get(&app.t.head, "/api/v1/search?q=ab&limit=500").await;
    assert_error(&r, 422, "validation", Some("limit"));
    let r = app.get(&app.t.head, "/api/v1/search?q=ab&x=1").await;
    assert_error(&r, 422, "validation", Some("x"));
}

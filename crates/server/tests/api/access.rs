use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    managers_cannot_touch_each_others_records,
    team_and_all_visibility_widen_what_managers_see,
    other_workspaces_are_invisible,
    managers_assign_records_only_to_themselves,
    settings_are_for_administrators_and_the_regulation_also_for_heads,
    history_of_an_invisible_record_is_not_found,
);

/// Every owned resource: a body to create one, and a change to try on it.
fn owned_cases() -> Vec<(&'static str, Value, Value)> {
    vec![
        ("organizations", json!({"name": "ООО Тайна"}), json!({"name": "Взломано"})),
        ("persons", json!({"name": "Пётр Скрытный", "email": "petr@tayna.example"}), json!({"name": "Взломано"})),
        ("deals", json!({"title": "Тайная сделка", "value": 500_000}), json!({"title": "Взломано"})),
        ("activities", json!({"type": "call", "subject": "Позвонить тайно"}), json!({"subject": "Взломано"})),
        ("notes", json!({"content": "Тайная заметка"}), json!({"content": "Взломано"})),
    ]
}

/// The record as `token` reads it, failing unless it is readable.
async fn read(app: &TestApp, token: &str, collection: &str, id: i64) -> Value {
    let (s, v) = app.get(token, &format!("/api/v1/{collection}/{id}")).await;
    assert_eq!(s, StatusCode::OK, "reading {collection}/{id}: {v}");
    v["data"].clone()
}

async fn managers_cannot_touch_each_others_records(app: TestApp) {
    let (m1, m2) = (&app.t.manager1, &app.t.manager2);
    for (collection, create, change) in owned_cases() {
        let theirs = app.create(m2, collection, create.clone()).await;
        let mut my_body = create.clone();
        my_body.as_object_mut().unwrap().remove("email");
        let mine = app.create(m1, collection, my_body).await;
        let before = read(&app, m2, collection, theirs).await;
        let path = format!("/api/v1/{collection}/{theirs}");

        // Someone else's record looks exactly like a record that does not exist.
        let hidden = app.get(m1, &path).await;
        assert_error(&hidden, 404, "not_found", None);
        let missing = app.get(m1, &format!("/api/v1/{collection}/{}", theirs + 1_000_000)).await;
        assert_eq!(hidden, missing, "{collection}: a hidden record must be indistinguishable from a missing one");

        let listed = app.all_ids(m1, collection, "").await;
        assert!(listed.contains(&mine), "{collection}: manager1 must see their own record in {listed:?}");
        assert!(!listed.contains(&theirs), "{collection}: manager1 lists manager2's record {theirs}");

        assert_error(&app.patch(m1, &path, change.clone()).await, 404, "not_found", None);
        assert_error(&app.delete(m1, &path).await, 404, "not_found", None);
        assert_eq!(read(&app, m2, collection, theirs).await, before, "{collection}: changed by a manager who cannot see it");

        // Heads and administrators see every record; so do analysts, who change nothing.
        for (who, token) in [("head", &app.t.head), ("admin", &app.t.admin), ("analyst", &app.t.analyst)] {
            assert_eq!(read(&app, token, collection, theirs).await, before, "{who} reading {collection}");
            let listed = app.all_ids(token, collection, "").await;
            assert!(listed.contains(&theirs) && listed.contains(&mine), "{who} lists {collection}: {listed:?}");
        }
        let a = &app.t.analyst;
        let count = app.all_ids(&app.t.head, collection, "").await.len();
        assert_error(&app.post(a, &format!("/api/v1/{collection}"), create.clone()).await, 403, "forbidden", None);
        assert_error(&app.patch(a, &path, change.clone()).await, 403, "forbidden", None);
        assert_error(&app.delete(a, &path).await, 403, "forbidden", None);
        assert_eq!(app.all_ids(&app.t.head, collection, "").await.len(), count, "{collection}: an analyst created a record");
        assert_eq!(read(&app, m2, collection, theirs).await, before, "{collection}: changed by an analyst");

        // The owner still can.
        let (s, v) = app.patch(m2, &path, change.clone()).await;
        assert_eq!(s, StatusCode::OK, "{collection}: the owner updates: {v}");
        let (s, _) = app.delete(m2, &path).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{collection}: the owner deletes");
    }
}

async fn set_visibility(app: &TestApp, visibility: &str) {
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", json!({"visibility": visibility})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["visibility"], visibility);
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids
}

async fn team_and_all_visibility_widen_what_managers_see(app: TestApp) {
    let (m1, m2, m3) = (&app.t.manager1, &app.t.manager2, &app.t.manager3);
    let d1 = app.create(m1, "deals", json!({"title": "Сделка менеджера 1"})).await;
    let d2 = app.create(m2, "deals", json!({"title": "Сделка менеджера 2"})).await;
    let d3 = app.create(m3, "deals", json!({"title": "Сделка менеджера 3"})).await;

    let (s, v) = app.get(m1, "/api/v1/workspace").await;
    assert_eq!((s, &v["data"]["visibility"]), (StatusCode::OK, &json!("own")));
    assert_eq!(app.all_ids(m1, "deals", "").await, [d1]);
    assert!(!can_read(&app, m1, d2).await && !can_read(&app, m1, d3).await);

    // Only the administrator changes the setting.
    assert_error(&app.patch(m1, "/api/v1/workspace", json!({"visibility": "all"})).await, 403, "forbidden", None);
    assert_error(&app.patch(&app.t.head, "/api/v1/workspace", json!({"visibility": "all"})).await, 403, "forbidden", None);
    assert_eq!(app.all_ids(m1, "deals", "").await, [d1], "a refused settings change must not widen visibility");

    set_visibility(&app, "team").await;
    assert_eq!(sorted(app.all_ids(m1, "deals", "").await), [d1, d2]);
    assert!(can_read(&app, m1, d2).await, "manager1 reads a team mate's deal");
    assert!(!can_read(&app, m1, d3).await, "manager1 reads a deal of another team");
    assert_eq!(app.all_ids(m3, "deals", "").await, [d3]);
    assert!(!can_read(&app, m3, d1).await);
    // A team mate's deal can now be worked on, another team's still cannot.
    let (s, v) = app.patch(m1, &format!("/api/v1/deals/{d2}"), json!({"value": 100})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_error(&app.patch(m1, &format!("/api/v1/deals/{d3}"), json!({"value": 100})).await, 404, "not_found", None);
    assert_eq!(read(&app, m3, "deals", d3).await["value"], 0);

    set_visibility(&app, "all").await;
    assert_eq!(sorted(app.all_ids(m1, "deals", "").await), [d1, d2, d3]);
    assert!(can_read(&app, m1, d3).await && can_read(&app, m3, d1).await);

    set_visibility(&app, "own").await;
    assert_eq!(app.all_ids(m1, "deals", "").await, [d1]);
    assert_eq!(app.all_ids(m2, "deals", "").await, [d2]);
}

/// Whether `token` may read the deal; a refusal must be the not-found envelope.
async fn can_read(app: &TestApp, token: &str, id: i64) -> bool {
    let resp = app.get(token, &format!("/api/v1/deals/{id}")).await;
    if resp.0 == StatusCode::OK {
        return true;
    }
    assert_error(&resp, 404, "not_found", None);
    false
}

const ALL_COLLECTIONS: [&str; 10] =
    ["organizations", "persons", "deals", "activities", "notes", "pipelines", "stages", "users", "teams", "custom_fields"];

/// Asserts that `token` can neither read, list, change, delete nor see the history of any record in `records`.
async fn assert_invisible(app: &TestApp, token: &str, records: &[(&str, i64)]) {
    for &(collection, id) in records {
        let path = format!("/api/v1/{collection}/{id}");
        assert_error(&app.get(token, &path).await, 404, "not_found", None);
        assert_error(&app.get(token, &format!("{path}/history")).await, 404, "not_found", None);
        assert_error(&app.patch(token, &path, json!({})).await, 404, "not_found", None);
        assert_error(&app.delete(token, &path).await, 404, "not_found", None);
    }
    for collection in ALL_COLLECTIONS {
        let listed = app.all_ids(token, collection, "").await;
        for &(c, id) in records.iter().filter(|(c, _)| *c == collection) {
            assert!(!listed.contains(&id), "{c} {id} is listed to another workspace: {listed:?}");
        }
    }
}

async fn ids_of(app: &TestApp, token: &str, collection: &str) -> Vec<(&'static str, i64)> {
    let name = ALL_COLLECTIONS.into_iter().find(|c| *c == collection).unwrap();
    app.all_ids(token, collection, "").await.into_iter().map(|id| (name, id)).collect()
}

async fn other_workspaces_are_invisible(app: TestApp) {
    let a = &app.t.admin;
    let org = app.create(a, "organizations", json!({"name": "ООО Своя"})).await;
    let person = app.create(a, "persons", json!({"name": "Свой Человек", "organization_id": org})).await;
    let deal = app.create(a, "deals", json!({"title": "Своя сделка", "organization_id": org, "person_id": person})).await;
    let activity = app.create(a, "activities", json!({"type": "task", "subject": "Своя задача", "deal_id": deal})).await;
    let note = app.create(a, "notes", json!({"content": "Своя заметка", "deal_id": deal})).await;
    let mut ours = vec![("organizations", org), ("persons", person), ("deals", deal), ("activities", activity), ("notes", note)];
    for collection in ["pipelines", "stages", "users", "teams", "custom_fields"] {
        let ids = ids_of(&app, a, collection).await;
        assert!(!ids.is_empty(), "the first workspace has {collection}");
        ours.extend(ids);
    }
    assert!(ours.contains(&("pipelines", app.ids.pipeline)) && ours.contains(&("users", app.ids.manager1)));
    let snapshot: Vec<Value> = {
        let mut out = Vec::new();
        for &(c, id) in &ours {
            out.push(read(&app, a, c, id).await);
        }
        out
    };

    let o = &app.t.other_admin;
    assert_invisible(&app, o, &ours).await;
    for (i, &(c, id)) in ours.iter().enumerate() {
        assert_eq!(read(&app, a, c, id).await, snapshot[i], "{c} {id} changed by another workspace");
    }
    // The other workspace does see its own records.
    assert!(app.all_ids(o, "organizations", "").await.contains(&app.ids.other_org));
    assert!(app.all_ids(o, "pipelines", "").await.contains(&app.ids.other_pipeline));

    // And the other way round.
    let (s, me) = app.get(o, "/api/v1/me").await;
    assert_eq!(s, StatusCode::OK, "{me}");
    let mut theirs = vec![
        ("organizations", app.ids.other_org),
        ("pipelines", app.ids.other_pipeline),
        ("users", me["data"]["user"]["id"].as_i64().unwrap()),
    ];
    theirs.extend(ids_of(&app, o, "stages").await);
    theirs.extend(ids_of(&app, o, "custom_fields").await);
    assert!(theirs.iter().any(|(c, _)| *c == "stages") && theirs.iter().any(|(c, _)| *c == "custom_fields"));
    assert_invisible(&app, a, &theirs).await;
    assert_eq!(read(&app, o, "organizations", app.ids.other_org).await["name"], "ООО Чужие");
}

async fn managers_assign_records_only_to_themselves(app: TestApp) {
    let m1 = &app.t.manager1;
    let cases = [
        ("organizations", json!({"name": "ООО Назначение"})),
        ("persons", json!({"name": "Назначенный Человек"})),
        ("deals", json!({"title": "Назначенная сделка"})),
        ("activities", json!({"type": "task", "subject": "Назначенная задача"})),
    ];
    for (collection, body) in cases {
        let before = app.all_ids(&app.t.head, collection, "").await;
        let mut to_other = body.clone();
        to_other["owner_id"] = json!(app.ids.manager2);
        let resp = app.post(m1, &format!("/api/v1/{collection}"), to_other.clone()).await;
        assert_error(&resp, 403, "forbidden", Some("owner_id"));
        assert_eq!(app.all_ids(&app.t.head, collection, "").await, before, "{collection}: a refused create left a record");

        // The owner defaults to the caller, and the caller may name themselves.
        let id = app.create(m1, collection, body.clone()).await;
        assert_eq!(read(&app, m1, collection, id).await["owner_id"], app.ids.manager1, "{collection}");
        let mut to_self = body.clone();
        to_self["owner_id"] = json!(app.ids.manager1);
        let own = app.create(m1, collection, to_self).await;
        assert_eq!(read(&app, m1, collection, own).await["owner_id"], app.ids.manager1, "{collection}");

        // Nor can the record be handed over, or left without an owner, afterwards.
        let before = read(&app, m1, collection, id).await;
        for owner in [json!(app.ids.manager3), json!(app.ids.admin), Value::Null] {
            let resp = app.patch(m1, &format!("/api/v1/{collection}/{id}"), json!({"owner_id": owner})).await;
            assert_error(&resp, 403, "forbidden", Some("owner_id"));
            assert_eq!(read(&app, m1, collection, id).await, before, "{collection}: a refused reassignment changed the record");
        }
        // An explicit "no owner" is no way around the rule: the record would vanish from the manager's view.
        let count = app.all_ids(&app.t.head, collection, "").await.len();
        let mut unowned = body.clone();
        unowned["owner_id"] = Value::Null;
        assert_error(&app.post(m1, &format!("/api/v1/{collection}"), unowned.clone()).await, 403, "forbidden", Some("owner_id"));
        assert_eq!(app.all_ids(&app.t.head, collection, "").await.len(), count, "{collection}: an unowned record was created");

        // A head may assign to anyone, or to no one.
        let assigned = app.create(&app.t.head, collection, to_other).await;
        assert_eq!(read(&app, &app.t.manager2, collection, assigned).await["owner_id"], app.ids.manager2, "{collection}");
        let nobodys = app.create(&app.t.head, collection, unowned).await;
        assert_eq!(read(&app, &app.t.head, collection, nobodys).await["owner_id"], Value::Null, "{collection}");
        assert_error(&app.get(m1, &format!("/api/v1/{collection}/{nobodys}")).await, 404, "not_found", None);
    }

    // Under team visibility a manager assigns within the team, and still not to no one.
    let (s, _) = app.patch(&app.t.admin, "/api/v1/workspace", json!({"visibility": "team"})).await;
    assert_eq!(s, StatusCode::OK);
    let deal = app.create(m1, "deals", json!({"title": "Командная сделка"})).await;
    let path = format!("/api/v1/deals/{deal}");
    for owner in [json!(app.ids.manager3), json!(app.ids.admin), Value::Null] {
        assert_error(&app.patch(m1, &path, json!({"owner_id": owner})).await, 403, "forbidden", Some("owner_id"));
    }
    assert_eq!(read(&app, m1, "deals", deal).await["owner_id"], app.ids.manager1);
    let (s, v) = app.patch(m1, &path, json!({"owner_id": app.ids.manager2})).await;
    assert_eq!((s, &v["data"]["owner_id"]), (StatusCode::OK, &json!(app.ids.manager2)), "{v}");
    let made = app.create(m1, "deals", json!({"title": "Для коллеги", "owner_id": app.ids.manager2})).await;
    assert_eq!(read(&app, &app.t.manager2, "deals", made).await["owner_id"], app.ids.manager2);
}

/// Users and teams are the administrator's; pipelines, stages and custom fields (the sales
/// regulation) are the head of sales' too.
async fn settings_are_for_administrators_and_the_regulation_also_for_heads(app: TestApp) {
    let cases = [
        ("pipelines", json!({"name": "Партнёры"}), true),
        ("stages", json!({"pipeline_id": app.ids.pipeline, "name": "Договор"}), true),
        ("users", json!({"email": "new@a.test", "name": "Новый", "role": "manager"}), false),
        ("teams", json!({"name": "Новая команда"}), false),
        ("custom_fields", json!({"entity": "deal", "key": "segment", "label": "Сегмент", "field_type": "text"}), true),
    ];
    for (collection, body, regulation) in cases {
        let before = app.all_ids(&app.t.admin, collection, "").await;
        let refused: &[(&str, &String)] = if regulation {
            &[("manager", &app.t.manager1), ("analyst", &app.t.analyst)]
        } else {
            &[("manager", &app.t.manager1), ("head", &app.t.head), ("analyst", &app.t.analyst)]
        };
        for (who, token) in refused {
            let resp = app.post(token, &format!("/api/v1/{collection}"), body.clone()).await;
            assert_error(&resp, 403, "forbidden", None);
            assert_eq!(app.all_ids(&app.t.admin, collection, "").await, before, "{who} created {collection}");
        }
        // Everyone reads settings.
        assert_eq!(app.all_ids(&app.t.manager1, collection, "").await, before, "{collection} as read by a manager");

        let creator = if regulation { &app.t.head } else { &app.t.admin };
        let id = app.create(creator, collection, body).await;
        let path = format!("/api/v1/{collection}/{id}");
        let created = read(&app, &app.t.admin, collection, id).await;
        let change =
            if collection == "custom_fields" { json!({"label": "Чужое имя"}) } else { json!({"name": "Чужое имя"}) };
        assert_error(&app.patch(&app.t.manager1, &path, change.clone()).await, 403, "forbidden", None);
        assert_error(&app.delete(&app.t.manager1, &path).await, 403, "forbidden", None);
        assert_eq!(read(&app, &app.t.admin, collection, id).await, created, "{collection} changed by a manager");
        if regulation {
            let (s, v) = app.patch(&app.t.head, &path, change).await;
            assert_eq!(s, StatusCode::OK, "a head changes {collection}: {v}");
        } else {
            assert_error(&app.patch(&app.t.head, &path, change).await, 403, "forbidden", None);
            assert_eq!(read(&app, &app.t.admin, collection, id).await, created, "{collection} changed by a head");
        }
    }
}

async fn history_of_an_invisible_record_is_not_found(app: TestApp) {
    let deal = app.create(&app.t.manager2, "deals", json!({"title": "Чужая история"})).await;
    let path = format!("/api/v1/deals/{deal}/history");
    let (s, v) = app.get(&app.t.manager2, &path).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"][0]["action"], "create");
    let (s, v) = app.get(&app.t.head, &path).await;
    assert_eq!((s, v["data"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)));

    let hidden = app.get(&app.t.manager1, &path).await;
    assert_error(&hidden, 404, "not_found", None);
    let missing = app.get(&app.t.manager1, &format!("/api/v1/deals/{}/history", deal + 1_000_000)).await;
    assert_eq!(hidden, missing);
    assert_error(&app.get(&app.t.other_admin, &path).await, 404, "not_found", None);

    // Still hidden once the record is deleted.
    let (s, _) = app.delete(&app.t.manager2, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(&app.get(&app.t.manager1, &path).await, 404, "not_found", None);
    let (s, v) = app.get(&app.t.manager2, &path).await;
    assert_eq!((s, v["data"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)));
}

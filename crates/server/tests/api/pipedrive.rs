//! The Pipedrive-compatible API as its clients call it: the three token forms, v2 and v1 shapes
//! and paging, custom fields under hash keys, stage gates refused in Pipedrive's error envelope,
//! search, fields, and another workspace's records out of reach.
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

crate::both_dbs!(
    a_pipedrive_client_creates_links_moves_and_deletes,
    v1_pages_with_start_and_limit_and_v2_with_cursors,
    the_token_forms_and_errors_are_pipedrives,
);

/// A call with the token as `x-api-token` (the Node client's form).
async fn pd(app: &TestApp, method: Method, token: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, format!("{}{}", app.base, path)).header("x-api-token", token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn a_pipedrive_client_creates_links_moves_and_deletes(app: TestApp) {
    let t = &app.t.manager1;
    // A money custom field, as the workspace defines it.
    let (s, _) = app
        .post(
            &app.t.admin,
            "/api/v1/custom_fields",
            json!({"entity": "deal", "key": "pd_budget", "label": "Бюджет сделки", "field_type": "money"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, fields) = pd(&app, Method::GET, t, "/api/v2/dealFields", None).await;
    assert_eq!(s, 200, "{fields}");
    let budget = fields["data"].as_array().unwrap().iter().find(|f| f["field_name"] == "Бюджет сделки").unwrap();
    let hash = budget["field_code"].as_str().unwrap().to_string();
    assert_eq!(hash.len(), 40);
    assert_eq!(budget["field_type"], "monetary");
    let (_, v1_fields) = pd(&app, Method::GET, t, "/v1/dealFields", None).await;
    assert!(v1_fields["data"].as_array().unwrap().iter().any(|f| f["key"] == hash.as_str()), "{v1_fields}");

    let (s, org) =
        pd(&app, Method::POST, t, "/api/v2/organizations", Some(json!({"name": "Ромашка", "address": {"value": "Казань"}}))).await;
    assert_eq!(s, 201, "{org}");
    assert_eq!(org["success"], true);
    assert_eq!(org["data"]["address"]["value"], "Казань");
    let org_id = org["data"]["id"].as_i64().unwrap();
    let (s, person) = pd(
        &app,
        Method::POST,
        t,
        "/api/v2/persons",
        Some(json!({"name": "Иван Петров", "org_id": org_id, "phones": [{"value": "+7 900 111-22-33", "primary": true, "label": "work"}],
            "emails": [{"value": "ivan@romashka.ru", "primary": true}]})),
    )
    .await;
    assert_eq!(s, 201, "{person}");
    let p = &person["data"];
    assert_eq!((p["first_name"].as_str(), p["last_name"].as_str(), p["org_id"].as_i64()), (Some("Иван"), Some("Петров"), Some(org_id)));
    assert_eq!(p["phones"][0]["value"], "+79001112233");
    assert_eq!(p["phones"][0]["primary"], true);
    let person_id = p["id"].as_i64().unwrap();

    let (s, deal) = pd(
        &app,
        Method::POST,
        t,
        "/api/v2/deals",
        Some(json!({"title": "Ромашка — CRM", "value": 150000.5, "currency": "RUB", "person_id": person_id, "org_id": org_id,
            "pipeline_id": app.ids.pipeline, "stage_id": app.ids.stages[0], "custom_fields": {hash.clone(): {"value": 200000, "currency": "RUB"}}})),
    )
    .await;
    assert_eq!(s, 201, "{deal}");
    let d = &deal["data"];
    assert_eq!((d["value"].as_f64(), d["status"].as_str(), d["org_id"].as_i64()), (Some(150000.5), Some("open"), Some(org_id)));
    assert_eq!(d["custom_fields"][&hash]["value"], json!(200000));
    assert!(d["add_time"].as_str().unwrap().ends_with('Z'));
    let deal_id = d["id"].as_i64().unwrap();
    // The same record in the native API: minor units, native names.
    let (_, native) = app.get(t, &format!("/api/v1/deals/{deal_id}")).await;
    assert_eq!(native["data"]["value"], json!(15_000_050));
    assert_eq!(native["data"]["custom"]["pd_budget"], json!(20_000_000));

    // v1 reads it with the custom value at the root, money beside its currency.
    let (s, v1) = pd(&app, Method::GET, t, &format!("/v1/deals/{deal_id}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(v1["data"][&hash], json!(200000));
    assert_eq!(v1["data"][format!("{hash}_currency")], "RUB");
    assert_eq!(v1["data"]["org_id"]["value"], json!(org_id));
    assert!(!v1["data"]["add_time"].as_str().unwrap().contains('T'));

    // A stage gate refuses a move without the required field, naming it, in Pipedrive's envelope.
    let (s, _) = app
        .patch(
            &app.t.admin,
            &format!("/api/v1/stages/{}", app.ids.stages[1]),
            json!({"regulation": {"required_fields": ["expected_close_date"]}}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, refused) = pd(&app, Method::PATCH, t, &format!("/api/v2/deals/{deal_id}"), Some(json!({"stage_id": app.ids.stages[1]}))).await;
    assert_eq!(s, 422, "{refused}");
    assert_eq!(refused["success"], false);
    assert!(refused["error"].as_str().unwrap().contains("expected_close_date") || refused["field"] == "expected_close_date", "{refused}");
    // With the field it moves (v1 uses PUT).
    let (s, moved) = pd(
        &app,
        Method::PUT,
        t,
        &format!("/v1/deals/{deal_id}"),
        Some(json!({"stage_id": app.ids.stages[1], "expected_close_date": "2026-12-31"})),
    )
    .await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["data"]["stage_id"], json!(app.ids.stages[1]));
    assert!(moved["data"]["stage_change_time"].is_string());

    // An activity and a note on the deal.
    let (s, act) = pd(
        &app,
        Method::POST,
        t,
        "/api/v2/activities",
        Some(json!({"subject": "Позвонить", "type": "call", "deal_id": deal_id, "due_date": "2026-12-10", "due_time": "10:30", "duration": "00:30"})),
    )
    .await;
    assert_eq!(s, 201, "{act}");
    assert_eq!(
        (act["data"]["due_date"].as_str(), act["data"]["due_time"].as_str(), act["data"]["duration"].as_str()),
        (Some("2026-12-10"), Some("10:30"), Some("00:30"))
    );
    let (s, note) = pd(&app, Method::POST, t, "/v1/notes", Some(json!({"content": "Ждут КП", "deal_id": deal_id}))).await;
    assert_eq!(s, 201, "{note}");
    let (_, notes) = pd(&app, Method::GET, t, &format!("/v1/notes?deal_id={deal_id}"), None).await;
    assert_eq!(notes["data"][0]["content"], "Ждут КП");

    // Search by phone and by name.
    let (s, found) = pd(&app, Method::GET, t, "/api/v2/itemSearch?term=9001112233&item_types=person", None).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["data"]["items"][0]["item"]["id"], json!(person_id));
    let (_, found) = pd(&app, Method::GET, t, "/api/v2/deals/search?term=Ромашка", None).await;
    assert_eq!(found["data"]["items"][0]["item"]["id"], json!(deal_id));

    // Users: me, and the won deal's times.
    let (s, me) = pd(&app, Method::GET, t, "/v1/users/me", None).await;
    assert_eq!(s, 200);
    assert_eq!((me["data"]["id"].as_i64(), me["data"]["is_you"].as_bool()), (Some(app.ids.manager1), Some(true)));

    // Another workspace sees none of it.
    let (s, _) = pd(&app, Method::GET, &app.t.other_admin, &format!("/api/v2/deals/{deal_id}"), None).await;
    assert_eq!(s, 404);
    // Delete.
    let (s, gone) = pd(&app, Method::DELETE, t, &format!("/api/v2/activities/{}", act["data"]["id"]), None).await;
    assert_eq!((s, gone["data"]["id"].clone()), (200, act["data"]["id"].clone()));
    let (s, _) = pd(&app, Method::DELETE, t, &format!("/v1/deals/{deal_id}"), None).await;
    assert_eq!(s, 200);
    let (s, _) = pd(&app, Method::GET, t, &format!("/api/v2/deals/{deal_id}"), None).await;
    assert_eq!(s, 404);
}

async fn v1_pages_with_start_and_limit_and_v2_with_cursors(app: TestApp) {
    let t = &app.t.manager1;
    for i in 0..7 {
        app.create(t, "organizations", json!({"name": format!("Org {i}")})).await;
    }
    let mut seen = Vec::new();
    let mut start = 0;
    loop {
        let (s, page) = pd(&app, Method::GET, t, &format!("/v1/organizations?start={start}&limit=3"), None).await;
        assert_eq!(s, 200, "{page}");
        let p = &page["additional_data"]["pagination"];
        seen.extend(page["data"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_string()));
        if p["more_items_in_collection"] != true {
            break;
        }
        start = p["next_start"].as_u64().unwrap();
    }
    assert_eq!(seen, (0..7).map(|i| format!("Org {i}")).collect::<Vec<_>>());
    let mut names = Vec::new();
    let mut cursor = String::new();
    loop {
        let (s, page) =
            pd(&app, Method::GET, t, &format!("/api/v2/organizations?limit=2&sort_by=add_time&sort_direction=desc{cursor}"), None).await;
        assert_eq!(s, 200, "{page}");
        names.extend(page["data"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_string()));
        match page["additional_data"]["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(names.len(), 7);
    assert_eq!(names[0], "Org 6");
    // A v1 page past the end is `data: null`, as Pipedrive answers it.
    let (_, empty) = pd(&app, Method::GET, t, "/v1/organizations?start=100", None).await;
    assert_eq!(empty["data"], Value::Null);
    assert_eq!(empty["additional_data"]["pagination"]["more_items_in_collection"], false);
}

async fn the_token_forms_and_errors_are_pipedrives(app: TestApp) {
    let t = &app.t.manager1;
    // `api_token` in the query (the Python library), on /v1 and on /api/v1.
    for path in ["/v1/users/me", "/api/v1/users/me"] {
        let resp = app.client.get(format!("{}{path}?api_token={t}", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["success"], true, "{path}: {v}");
    }
    // Bearer on /api/v2.
    let resp = app.client.get(format!("{}/api/v2/pipelines", app.base)).bearer_auth(t).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert!(v["data"].as_array().unwrap().iter().any(|p| p["id"] == json!(app.ids.pipeline) && p["order_nr"].is_number()));
    // The native API at /api/v1 is untouched by Bearer callers.
    let (s, native) = app.get(t, "/api/v1/pipelines").await;
    assert_eq!(s, 200);
    assert!(native.get("success").is_none() && native["data"].is_array());
    // No token, a bad token, a bad parameter, an unknown record, a term too short.
    let resp = app.client.get(format!("{}/api/v2/deals", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let v: Value = resp.json().await.unwrap();
    assert_eq!((v["success"].as_bool(), v["error"].is_string()), (Some(false), true));
    let (s, v) = pd(&app, Method::GET, "nope", "/api/v2/deals", None).await;
    assert_eq!((s, v["success"].as_bool()), (401, Some(false)));
    let (s, v) = pd(&app, Method::GET, t, "/api/v2/deals?limit=501", None).await;
    assert_eq!((s, v["field"].as_str()), (422, Some("limit")));
    let (s, v) = pd(&app, Method::GET, t, "/api/v2/deals/999999", None).await;
    assert_eq!((s, v["success"].as_bool()), (404, Some(false)));
    let (s, v) = pd(&app, Method::GET, t, "/api/v2/itemSearch?term=a", None).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("term")));
    let (s, v) = pd(&app, Method::POST, t, "/api/v2/deals", Some(json!({"title": "x", "value": "много"}))).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("value")));
    // A manager may not create users through it.
    let (s, _) = pd(&app, Method::POST, t, "/v1/users", Some(json!({"name": "x"}))).await;
    assert_eq!(s, 403);
}

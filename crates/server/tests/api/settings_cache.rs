//! The settings a create reads come from memory while they are unchanged (issue 14): a change of
//! a stage's regulation or of where deals land applies to the very next create, whether it was
//! made through the API or straight in the database by another connection (another process);
//! concurrent creates gathered into one commit keep their own refusals.
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(a_settings_change_applies_to_the_next_create_from_anywhere, a_refused_create_never_fails_its_neighbours,);

/// A statement run on a connection of its own, as another process would.
async fn elsewhere(app: &TestApp, sql: &str) {
    use sea_orm::ConnectionTrait;
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    conn.execute_unprepared(sql).await.unwrap();
    conn.close().await.unwrap();
}

async fn new_deal(app: &TestApp, body: Value) -> Value {
    let (s, v) = app.post(&app.t.manager1, "/api/v1/deals", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"].clone()
}

async fn a_settings_change_applies_to_the_next_create_from_anywhere(app: TestApp) {
    let (first, second) = (app.ids.stages[0], app.ids.stages[1]);
    // Read once, so the cache holds where a deal lands and the stage without a regulation.
    for _ in 0..2 {
        let d = new_deal(&app, json!({"title": "заявка"})).await;
        assert_eq!((d["stage_id"].as_i64(), d["title"].as_str()), (Some(first), Some("заявка")));
    }
    // Through the API: the first stage gets a naming rule.
    let (s, v) = app
        .patch(
            &app.t.admin,
            &format!("/api/v1/stages/{first}"),
            json!({"regulation": {"naming": {"template": "{title} — с сайта", "mode": "apply"}}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = new_deal(&app, json!({"title": "заявка"})).await;
    assert_eq!(d["title"], "заявка — с сайта", "the API's change applies at once: {d}");
    // Another connection drops the rule and moves the first stage to the end of the pipeline.
    elsewhere(&app, &format!("UPDATE stages SET regulation = NULL WHERE id = {first}")).await;
    let d = new_deal(&app, json!({"title": "заявка"})).await;
    assert_eq!(d["title"], "заявка", "another connection's change applies at once: {d}");
    elsewhere(&app, &format!("UPDATE stages SET position = 1000 WHERE id = {first}")).await;
    let d = new_deal(&app, json!({"title": "заявка"})).await;
    assert_eq!(d["stage_id"].as_i64(), Some(second), "a new deal lands on the pipeline's new first stage: {d}");
}

async fn a_refused_create_never_fails_its_neighbours(app: TestApp) {
    let mut tasks = Vec::new();
    for i in 0..48 {
        let (client, base, token) = (app.client.clone(), app.base.clone(), app.t.manager1.clone());
        // Every third names a stage that does not exist: refused with its own field.
        let body = if i % 3 == 0 { json!({"title": format!("№{i}"), "stage_id": 999_999}) } else { json!({"title": format!("№{i}")}) };
        tasks.push(tokio::spawn(async move {
            let resp = client.post(format!("{base}/api/v1/deals")).bearer_auth(token).json(&body).send().await.unwrap();
            (i, resp.status(), resp.json::<Value>().await.unwrap())
        }));
    }
    for t in tasks {
        let (i, status, v) = t.await.unwrap();
        if i % 3 == 0 {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "№{i}: {v}");
            assert_eq!(v["error"]["field"], "stage_id", "№{i}: {v}");
        } else {
            assert_eq!(status, StatusCode::CREATED, "№{i}: {v}");
            let (s, got) = app.get(&app.t.manager1, &format!("/api/v1/deals/{}", v["data"]["id"])).await;
            assert_eq!((s, &got["data"]["title"]), (StatusCode::OK, &json!(format!("№{i}"))), "№{i} is stored");
        }
    }
}

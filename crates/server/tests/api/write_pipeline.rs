//! One write path: a task made by any producer — the API, the UI, a stage's entry tasks, a missed
//! call, an audit round, an assistant — has its history event, reaches the outbound webhooks, and
//! shows on its record's card.
use crate::helpers::*;
use poryadok_core::Clock;
use serde_json::{json, Value};
use time::Duration;

/// The activities with `subject` containing `words`, as the API lists them.
async fn tasks_like(app: &TestApp, words: &str) -> Vec<Value> {
    let all = app.all_records(&app.t.admin, "activities", "", 200).await;
    all.into_iter().filter(|a| a["subject"].as_str().unwrap_or("").contains(words)).collect()
}

#[tokio::test]
async fn every_producer_writes_tasks_through_the_pipeline() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (s, v) =
        app.post(&app.t.admin, "/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook", "events": ["activity.created"]})).await;
    assert_eq!(s, 201, "{v}");
    let hook = v["data"]["id"].as_i64().unwrap();
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Конвейер"})).await;
    let deal = app.create(m1, "deals", json!({"title": "Поставка", "organization_id": org, "value": 100_000})).await;

    // 1. The API.
    app.create(m1, "activities", json!({"type": "task", "subject": "Задача из API", "deal_id": deal})).await;
    // 2. The UI's card.
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, _) = ui.post_form(&format!("/deals/{deal}/tasks"), &[("type", "task"), ("subject", "Задача из карточки"), ("due", "")]).await;
    assert!(s.is_success() || s.is_redirection(), "{s}");
    // 3. A stage's entry task.
    let reg = json!({"regulation": {"entry_tasks": [{"type": "task", "subject": "Задача этапа для {title}", "due": {"amount": 1, "unit": "days"}}]}});
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{}", app.ids.stages[1]), reg).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.patch(m1, &format!("/api/v1/deals/{deal}"), json!({"stage_id": app.ids.stages[1]})).await;
    assert_eq!(s, 200, "{v}");
    // 4. A missed call: the callback task.
    let source = crate::intake::source(&app, "telephony", json!({"preset": "generic"})).await;
    crate::intake::call(&app, &source, json!({"call_id": "p-1", "from": "+79990007788", "status": "missed"})).await;
    crate::intake::work(&app).await;
    // 5. An audit round: the "answer your violations" task.
    let rule = json!({"name": "Нет суммы", "entity": "deal", "expression": "value = 0", "criticality": 1, "why": "—", "fix": "—"});
    app.create(&app.t.head, "rules", rule).await;
    app.create(m1, "deals", json!({"title": "Без суммы"})).await;
    let (s, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, 202, "{v}");
    crate::intake::work(&app).await;
    // 6. An assistant: a forgotten client's task.
    app.clock.advance(Duration::days(100));
    let sql = format!("UPDATE organizations SET last_activity_at = $2 - {} WHERE workspace_id = $1 AND id = {org}", 70 * 86_400_000_i64);
    app.db.raw_execute(&[sql], app.ws, app.clock.now_ms()).await.unwrap();
    let (s, v) = app.post(&app.t.admin, "/api/v1/assistants/forgotten/run", json!({"dry_run": false})).await;
    assert_eq!(s, 200, "{v}");

    let admin = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (_, log) = app.get(&app.t.admin, &format!("/api/v1/webhooks/{hook}/deliveries?limit=500")).await;
    let delivered: Vec<String> = log["data"].as_array().unwrap().iter().map(|d| d["payload"].to_string()).collect();
    for (producer, words, card) in [
        ("the API", "Задача из API", Some(format!("/deals/{deal}"))),
        ("the UI", "Задача из карточки", Some(format!("/deals/{deal}"))),
        ("an entry task", "Задача этапа для Поставка", Some(format!("/deals/{deal}"))),
        ("a missed call", "Перезвонить", None),
        ("an audit round", "нарушени", None),
        ("an assistant", "Забытый клиент", Some(format!("/organizations/{org}"))),
    ] {
        let found = tasks_like(&app, words).await;
        assert_eq!(found.len(), 1, "{producer}: one task with '{words}'");
        let id = found[0]["id"].as_i64().unwrap();
        let (s, h) = app.get(&app.t.admin, &format!("/api/v1/activities/{id}/history")).await;
        assert_eq!(s, 200, "{h}");
        assert_eq!(h["data"][0]["action"], "create", "{producer}: a history event: {h}");
        assert!(
            delivered.iter().any(|p| p.contains(&format!("\\\"id\\\":{id},")) || p.contains(&format!("\"id\":{id},"))),
            "{producer}: in the webhook log"
        );
        let card = card.unwrap_or_else(|| match found[0]["deal_id"].as_i64() {
            Some(d) => format!("/deals/{d}"),
            None => "/today".to_string(),
        });
        // A task of no record shows on its owner's Today.
        let (_, page) = if card == "/today" {
            let owner = found[0]["owner_id"].as_i64().unwrap();
            let ids = &app.ids;
            let email =
                [(ids.admin, "admin@a.test"), (ids.manager1, "m1@a.test"), (ids.manager2, "m2@a.test"), (ids.manager3, "m3@a.test")]
                    .into_iter()
                    .find(|(id, _)| *id == owner)
                    .map(|(_, e)| e)
                    .unwrap_or_else(|| panic!("{producer}: the task's owner {owner} is a test user"));
            app.ui_login(owner, email).await.get(&card).await
        } else {
            admin.get(&card).await
        };
        assert!(page.contains(words), "{producer}: on {card}");
    }
}

//! Assistants with a fixed clock: forgotten clients (and the "not while a task is ahead" option),
//! release of a forgotten client with its people and open deals, churned clients by their usual
//! interval, escalation of overdue assistant tasks, dry runs, second runs, bad settings.
use crate::helpers::*;
use poryadok_core::Clock;
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::Duration;

crate::both_dbs!(
    forgotten_clients_get_a_label_and_a_task_unless_a_task_is_ahead,
    a_forgotten_client_is_released_with_its_people_and_open_deals,
    churned_clients_are_found_by_their_usual_interval,
    overdue_assistant_tasks_are_escalated_to_the_head_once,
    bad_assistant_settings_are_refused,
    unpaid_invoices_get_a_task_and_a_reminder_once,
    debtors_are_reminded_by_email_and_sms_and_the_head_is_told_later,
);

async fn org(app: &TestApp, name: &str, owner: i64) -> i64 {
    app.create(&app.t.admin, "organizations", json!({"name": name, "owner_id": owner})).await
}

/// Sets an organization's last activity `days` before the app's now.
async fn last_activity(app: &TestApp, id: i64, days: i64) {
    let sql = format!("UPDATE organizations SET last_activity_at = $2 - {} WHERE workspace_id = $1 AND id = {id}", days * 86_400_000);
    app.db.raw_execute(&[sql], app.ws, app.clock.now_ms()).await.unwrap();
}

async fn run(app: &TestApp, name: &str, dry: bool) -> Value {
    let (s, v) = app.post(&app.t.admin, &format!("/api/v1/assistants/{name}/run"), json!({"dry_run": dry})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].clone()
}

fn ids(report: &Value, action: &str) -> Vec<i64> {
    let mut v: Vec<i64> =
        report["actions"].as_array().unwrap().iter().filter(|a| a["action"] == action).map(|a| a["record_id"].as_i64().unwrap()).collect();
    v.sort();
    v
}

async fn labels(app: &TestApp, org: i64) -> Vec<String> {
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/organizations/{org}/labels")).await;
    v["data"].as_array().unwrap().iter().map(|l| l["label"].as_str().unwrap().to_string()).collect()
}

async fn forgotten_clients_get_a_label_and_a_task_unless_a_task_is_ahead(app: TestApp) {
    let quiet = org(&app, "Тихий клиент", app.ids.manager1).await;
    let busy = org(&app, "Активный клиент", app.ids.manager1).await;
    let planned = org(&app, "Клиент с планом", app.ids.manager2).await;
    app.clock.advance(Duration::days(100));
    last_activity(&app, quiet, 70).await;
    last_activity(&app, busy, 5).await;
    last_activity(&app, planned, 70).await;
    let due = (app.clock.now() + Duration::days(10)).format(&time::format_description::well_known::Rfc3339).unwrap();
    app.create(
        &app.t.admin,
        "activities",
        json!({"type": "call", "subject": "Созвон после отпуска", "organization_id": planned, "owner_id": app.ids.manager2, "due_at": due}),
    )
    .await;

    let dry = run(&app, "forgotten", true).await;
    assert_eq!(ids(&dry, "label"), vec![quiet], "{dry}");
    assert!(dry["actions"][0]["reason"].as_str().unwrap().contains("70"), "the days since the last activity, not the threshold: {dry}");
    assert!(labels(&app, quiet).await.is_empty(), "a dry run changes nothing");

    let real = run(&app, "forgotten", false).await;
    assert_eq!(ids(&real, "label"), vec![quiet]);
    assert_eq!(labels(&app, quiet).await, vec!["forgotten"]);
    let tasks = app.all_records(&app.t.admin, "activities", &format!("&organization_id={quiet}"), 50).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        (tasks[0]["owner_id"].as_i64(), tasks[0]["assistant"].as_str(), tasks[0]["done"].as_bool()),
        (Some(app.ids.manager1), Some("forgotten"), Some(false))
    );
    // The card's explanation.
    let (_, actions) = app.get(&app.t.admin, &format!("/api/v1/organizations/{quiet}/assistant_actions")).await;
    assert_eq!(actions["data"][0]["assistant"], "forgotten");
    let (_, history) = app.get(&app.t.admin, &format!("/api/v1/organizations/{quiet}/history")).await;
    assert!(history.to_string().contains("forgotten"), "{history}");
    // A second run does nothing new.
    assert_eq!(run(&app, "forgotten", false).await["count"], 0);
    // What assistants change reaches outbound webhooks like any other change.
    let (s, hook) =
        app.post(&app.t.admin, "/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook", "events": ["organization.updated"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let busy_before = org(&app, "Ещё один тихий", app.ids.manager2).await;
    last_activity(&app, busy_before, 80).await;
    assert_eq!(ids(&run(&app, "forgotten", false).await, "label"), vec![busy_before]);
    let (_, deliveries) = app.get(&app.t.admin, &format!("/api/v1/webhooks/{}/deliveries", hook["data"]["id"])).await;
    let events: Vec<&str> = deliveries["data"].as_array().unwrap().iter().filter_map(|d| d["event"].as_str()).collect();
    assert!(events.contains(&"organization.updated"), "{deliveries}");
    // Without the option the planned client is forgotten too.
    let (s, v) = app.patch(&app.t.admin, "/api/v1/assistants/forgotten", json!({"settings": {"skip_with_future_task": false}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(ids(&run(&app, "forgotten", true).await, "label"), vec![planned]);
    // Activity again clears the label.
    app.clock.advance(Duration::days(1));
    last_activity(&app, quiet, 0).await;
    let again = run(&app, "forgotten", false).await;
    assert_eq!(ids(&again, "unlabel"), vec![quiet], "{again}");
    assert!(labels(&app, quiet).await.is_empty());
}

async fn a_forgotten_client_is_released_with_its_people_and_open_deals(app: TestApp) {
    let client = org(&app, "Забытый холдинг", app.ids.manager1).await;
    let person =
        app.create(&app.t.admin, "persons", json!({"name": "Директор", "organization_id": client, "owner_id": app.ids.manager1})).await;
    let open =
        app.create(&app.t.admin, "deals", json!({"title": "Поставка", "organization_id": client, "owner_id": app.ids.manager1})).await;
    let won = app
        .create(&app.t.admin, "deals", json!({"title": "Старая поставка", "organization_id": client, "owner_id": app.ids.manager1}))
        .await;
    app.patch(&app.t.admin, &format!("/api/v1/deals/{won}"), json!({"status": "won"})).await;
    let head = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    let task = |subject: &str, link: Value| {
        let mut body = json!({"type": "task", "subject": subject, "owner_id": app.ids.manager1});
        body.as_object_mut().unwrap().extend(link.as_object().unwrap().clone());
        body
    };
    let deal_task = app.create(&app.t.admin, "activities", task("Выставить счёт", json!({"deal_id": open}))).await;
    let person_task = app.create(&app.t.admin, "activities", task("Поздравить", json!({"person_id": person}))).await;
    let head_task =
        app.create(&app.t.admin, "activities", json!({"type": "task", "subject": "Проверить", "deal_id": open, "owner_id": head})).await;
    let done_task = app.create(&app.t.admin, "activities", task("Старое", json!({"deal_id": open, "done": true}))).await;
    app.clock.advance(Duration::days(100));
    last_activity(&app, client, 80).await;
    assert_eq!(ids(&run(&app, "forgotten", false).await, "label"), vec![client]);
    // Not yet: release comes `days` after forgotten.
    app.clock.advance(Duration::days(5));
    assert_eq!(run(&app, "release", false).await["count"], 0);
    app.clock.advance(Duration::days(10));
    let dry = run(&app, "release", true).await;
    assert_eq!(ids(&dry, "reassign"), vec![client], "{dry}");
    let real = run(&app, "release", false).await;
    assert_eq!(ids(&real, "reassign"), vec![client]);
    let owner_of = |path: String| {
        let app = &app;
        async move { app.get(&app.t.admin, &path).await.1["data"]["owner_id"].as_i64() }
    };
    let new_owner = owner_of(format!("/api/v1/organizations/{client}")).await;
    assert!(new_owner.is_some() && new_owner != Some(app.ids.manager1), "{new_owner:?}");
    assert_eq!(owner_of(format!("/api/v1/persons/{person}")).await, new_owner, "people move with the client");
    assert_eq!(owner_of(format!("/api/v1/deals/{open}")).await, new_owner, "open deals move with the client");
    assert_eq!(owner_of(format!("/api/v1/deals/{won}")).await, Some(app.ids.manager1), "closed deals keep their owner");
    assert!(labels(&app, client).await.is_empty(), "the forgotten label is cleared by the hand-over");
    // The client's open tasks go with it, the forgotten task first: the former owner is not
    // escalated for a client no longer theirs. A task someone else holds and a done one stay.
    let tasks = app.all_records(&app.t.admin, "activities", &format!("&organization_id={client}"), 50).await;
    let forgotten_task = tasks.iter().find(|t| t["assistant"] == "forgotten").unwrap();
    assert_eq!(forgotten_task["owner_id"].as_i64(), new_owner, "{forgotten_task}");
    for (id, expected) in [(deal_task, new_owner), (person_task, new_owner), (head_task, Some(head)), (done_task, Some(app.ids.manager1))] {
        assert_eq!(owner_of(format!("/api/v1/activities/{id}")).await, expected, "task {id}");
    }
    // Both users and the head are told.
    for token in [&app.t.manager1, &app.t.head] {
        let (_, n) = app.get(token, "/api/v1/notifications").await;
        assert!(n.to_string().contains("client_released"), "{n}");
    }
    let new_token = if new_owner == Some(app.ids.manager2) { &app.t.manager2 } else { &app.t.manager3 };
    let (_, n) = app.get(new_token, "/api/v1/notifications").await;
    assert!(n.to_string().contains("client_released"), "{n}");
    assert_eq!(run(&app, "release", false).await["count"], 0, "a second run does nothing new");
}

async fn churned_clients_are_found_by_their_usual_interval(app: TestApp) {
    let regular = org(&app, "Постоянный клиент", app.ids.manager1).await;
    let fresh = org(&app, "Недавно купил", app.ids.manager2).await;
    for (client, gaps) in [(regular, vec![30, 30, 30]), (fresh, vec![0])] {
        for gap in gaps {
            app.clock.advance(Duration::days(gap));
            let d = app.create(&app.t.admin, "deals", json!({"title": "Заказ", "organization_id": client})).await;
            let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{d}"), json!({"status": "won"})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    }
    // Purchases every 30 days; 50 quiet days is under twice that.
    app.clock.advance(Duration::days(50));
    assert_eq!(run(&app, "churned", true).await["count"], 0);
    app.clock.advance(Duration::days(15));
    let report = run(&app, "churned", false).await;
    assert_eq!(ids(&report, "label"), vec![regular], "{report}");
    assert_eq!(labels(&app, regular).await, vec!["churned"]);
    assert_eq!(run(&app, "churned", false).await["count"], 0);
}

async fn overdue_assistant_tasks_are_escalated_to_the_head_once(app: TestApp) {
    let client = org(&app, "Клиент без внимания", app.ids.manager1).await;
    app.clock.advance(Duration::days(100));
    last_activity(&app, client, 90).await;
    run(&app, "forgotten", false).await;
    app.clock.advance(Duration::days(2));
    assert_eq!(run(&app, "escalation", false).await["count"], 0, "not yet overdue by two days");
    app.clock.advance(Duration::days(3));
    let report = run(&app, "escalation", false).await;
    assert_eq!(report["count"], 1, "{report}");
    let (_, n) = app.get(&app.t.head, "/api/v1/notifications").await;
    assert_eq!(n["data"].as_array().unwrap().iter().filter(|x| x["kind"] == "assistant_escalation").count(), 1, "{n}");
    assert_eq!(run(&app, "escalation", false).await["count"], 0);
}

async fn bad_assistant_settings_are_refused(app: TestApp) {
    let patch = |body: Value| {
        let app = &app;
        async move { app.patch(&app.t.admin, "/api/v1/assistants/forgotten", body).await }
    };
    assert_error(&patch(json!({"settings": {"days": 0}})).await, 422, "validation", Some("settings.days"));
    assert_error(&patch(json!({"settings": {"days": -3}})).await, 422, "validation", Some("settings.days"));
    assert_error(&patch(json!({"settings": {"weeks": 3}})).await, 422, "validation", Some("settings.weeks"));
    assert_error(&patch(json!({"enabled": "yes"})).await, 422, "validation", Some("enabled"));
    let (_, v) = app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager3), json!({"active": false})).await;
    assert_eq!(v["data"]["active"], false);
    assert_error(
        &app.patch(&app.t.admin, "/api/v1/assistants/release", json!({"settings": {"mode": "pool", "pool": [app.ids.manager3]}})).await,
        422,
        "validation",
        Some("settings.pool"),
    );
    assert_error(
        &app.patch(&app.t.admin, "/api/v1/assistants/release", json!({"settings": {"mode": "pool"}})).await,
        422,
        "validation",
        Some("settings.pool"),
    );
    assert_error(&app.patch(&app.t.admin, "/api/v1/assistants/robot", json!({})).await, 422, "validation", Some("name"));
    assert_error(&app.patch(&app.t.manager1, "/api/v1/assistants/forgotten", json!({"enabled": true})).await, 403, "forbidden", None);
    assert_error(&app.post(&app.t.manager1, "/api/v1/assistants/forgotten/run", json!({"dry_run": true})).await, 403, "forbidden", None);
    // Settings that pass are kept, and turning one on schedules it.
    let (s, v) = patch(json!({"enabled": true, "settings": {"days": 90}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, list) = app.get(&app.t.head, "/api/v1/assistants").await;
    let f = list["data"].as_array().unwrap().iter().find(|a| a["name"] == "forgotten").unwrap().clone();
    assert_eq!((f["enabled"].as_bool(), f["settings"]["days"].as_i64()), (Some(true), Some(90)));
}

/// A client with a contact who has an e-mail and a phone, and an open invoice issued and due on
/// the given days before now.
async fn invoice(app: &TestApp, number: &str, issued_days_ago: i64, due_days_ago: i64) -> (i64, i64) {
    let client = org(app, &format!("Клиент {number}"), app.ids.manager1).await;
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    app.create(&app.t.admin, "persons", json!({"name": "Бухгалтер", "organization_id": client, "email": format!("buh{digits}@client.example"), "phone": format!("+7916111{digits:0>4}")})).await;
    let day = |d: i64| (app.clock.now() - Duration::days(d)).date().to_string();
    let sql = format!(
        "INSERT INTO invoices (workspace_id, number, organization_id, owner_id, amount, currency, issued_on, due_on, paid_amount, status, created_at, updated_at) \
         VALUES ($1, '{number}', {client}, {}, 1500000, 'RUB', '{}', '{}', 0, 'open', $2, $2)",
        app.ids.manager1,
        day(issued_days_ago),
        day(due_days_ago)
    );
    app.db.raw_execute(&[sql], app.ws, app.clock.now_ms()).await.unwrap();
    let id = app
        .db
        .raw_count(
            &format!("SELECT id FROM invoices WHERE workspace_id = $1 AND number = '{number}' AND created_at <= $2"),
            app.ws,
            app.clock.now_ms(),
        )
        .await
        .unwrap();
    (id, client)
}

async fn outbox(app: &TestApp) -> Vec<poryadok_store::channels::OutboundMessage> {
    let sys = app.db.system_actor(app.ws, poryadok_core::domain::Channel::Cli).await.unwrap();
    app.db.outbound_messages(&sys, &poryadok_store::channels::MessageQuery { limit: 100, ..Default::default() }).await.unwrap()
}

async fn default_templates(app: &TestApp) {
    let sys = app.db.system_actor(app.ws, poryadok_core::domain::Channel::Cli).await.unwrap();
    app.db.add_default_templates(&sys).await.unwrap();
}

async fn unpaid_invoices_get_a_task_and_a_reminder_once(app: TestApp) {
    default_templates(&app).await;
    let (old, _) = invoice(&app, "СЧ-101", 10, -5).await;
    let (fresh, _) = invoice(&app, "СЧ-102", 2, -12).await;
    let dry = run(&app, "unpaid", true).await;
    assert_eq!(ids(&dry, "remind"), vec![old], "{dry}");
    assert!(outbox(&app).await.is_empty());
    let real = run(&app, "unpaid", false).await;
    assert_eq!(ids(&real, "remind"), vec![old]);
    let messages = outbox(&app).await;
    assert_eq!(messages.len(), 1, "the setting's channel is e-mail");
    assert_eq!((messages[0].channel.as_str(), messages[0].recipient.as_str()), ("email", "buh101@client.example"));
    assert!(messages[0].body.contains("СЧ-101") && messages[0].body.contains("15 000,00"), "{}", messages[0].body);
    let tasks = app.all_records(&app.t.admin, "activities", "&assistant=unpaid", 50).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["owner_id"].as_i64(), Some(app.ids.manager1));
    assert_eq!(run(&app, "unpaid", false).await["count"], 0, "a second run does nothing new");
    let _ = fresh;
}

async fn debtors_are_reminded_by_email_and_sms_and_the_head_is_told_later(app: TestApp) {
    default_templates(&app).await;
    let (late, client) = invoice(&app, "СЧ-201", 30, 3).await;
    invoice(&app, "СЧ-202", 5, -10).await;
    let report = run(&app, "debtors", false).await;
    assert_eq!(ids(&report, "remind"), vec![late], "{report}");
    assert_eq!(labels(&app, client).await, vec!["debtor"]);
    let messages = outbox(&app).await;
    let mut channels: Vec<&str> = messages.iter().map(|m| m.channel.as_str()).collect();
    channels.sort();
    assert_eq!(channels, vec!["email", "sms"], "both channels by default");
    let sms = messages.iter().find(|m| m.channel == "sms").unwrap();
    assert_eq!(sms.recipient, "+79161110201");
    assert!(sms.body.contains("СЧ-201") && sms.body.contains('3'), "{}", sms.body);
    // Not escalated yet; seven days later the head is told, once.
    assert_eq!(run(&app, "debtors", false).await["count"], 0);
    app.clock.advance(Duration::days(7));
    let later = run(&app, "debtors", false).await;
    assert_eq!(ids(&later, "notify_head"), vec![late], "{later}");
    let (_, n) = app.get(&app.t.head, "/api/v1/notifications").await;
    assert_eq!(n["data"].as_array().unwrap().iter().filter(|x| x["kind"] == "debt_escalation").count(), 1, "{n}");
    assert_eq!(run(&app, "debtors", false).await["count"], 0);
    // Paid: the labels go.
    let sql =
        format!("UPDATE invoices SET paid_amount = amount, status = 'paid' WHERE workspace_id = $1 AND id = {late} AND updated_at <= $2");
    app.db.raw_execute(&[sql], app.ws, app.clock.now_ms()).await.unwrap();
    run(&app, "debtors", false).await;
    assert!(labels(&app, client).await.is_empty());
}

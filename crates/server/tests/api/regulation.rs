//! Stage regulation with a fixed clock: required fields, role ranges, naming, entry tasks with
//! due times in working time, closing rules, and SLA breaches notified exactly once.
use crate::helpers::*;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    a_stage_refuses_a_deal_missing_its_required_fields_and_names_each,
    a_manager_is_refused_beyond_the_range_and_a_head_is_not,
    a_manager_hands_a_deal_to_a_consultant_who_takes_it_further,
    entering_a_stage_names_the_deal_and_creates_its_tasks_due_in_working_time,
    a_deal_without_the_templates_values_keeps_its_title_and_gets_clean_tasks,
    lost_and_frozen_need_their_reasons_and_frozen_gets_a_return_task,
    an_sla_crossing_a_weekend_and_a_holiday_is_breached_once_for_owner_and_head,
    waiting_sla_checks_move_when_the_hours_or_the_stages_sla_change,
    bad_regulations_are_refused_at_save_time,
    a_head_configures_the_regulation_and_nothing_else_of_the_settings,
);

/// Monday 2026-11-30 is a holiday in these tests; the working week is Mon–Fri 09:00–18:00 Moscow.
async fn calendar_with_holiday(app: &TestApp) {
    let hours = json!({"business_hours": {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "holidays": ["2026-11-30"]}});
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", hours).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn set_regulation(app: &TestApp, stage: i64, regulation: Value) {
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{stage}"), json!({"regulation": regulation})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Friday 2026-11-27 17:30 in Moscow.
fn to_friday_evening(app: &TestApp) {
    app.clock.advance(time::Duration::days(4) + time::Duration::hours(5) + time::Duration::minutes(30));
}

async fn a_stage_refuses_a_deal_missing_its_required_fields_and_names_each(app: TestApp) {
    // `proposal_link` ("Ссылка на КП") is one of every workspace's default custom fields.
    set_regulation(&app, app.ids.stages[1], json!({"required_fields": ["value", "custom.proposal_link", "expected_close_date"]})).await;
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Сайт", "value": 0})).await;
    let to_next = json!({"stage_id": app.ids.stages[1]});
    let resp = app.patch(m1, &format!("/api/v1/deals/{deal}"), to_next.clone()).await;
    assert_error(&resp, 422, "validation", Some("stage_id"));
    let message = resp.1["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("value") && message.contains("Ссылка на КП") && message.contains("expected_close_date"), "{message}");
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[0], "nothing moved");

    // The board's drag goes through the same gate, and the UI names the fields in Russian.
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, html) = s.post_form("/board/move", &[("deal_id", &deal.to_string()), ("stage_id", &app.ids.stages[1].to_string())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Ссылка на КП"), "{html}");

    let filled = json!({"stage_id": app.ids.stages[1], "value": 5_000_000, "expected_close_date": "2026-12-20",
                        "custom": {"proposal_link": "https://docs.example/kp.pdf"}});
    let (status, v) = app.patch(m1, &format!("/api/v1/deals/{deal}"), filled).await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

async fn a_manager_is_refused_beyond_the_range_and_a_head_is_not(app: TestApp) {
    let ranges = json!({"role_ranges": [{"role": "manager", "up_to_stage_id": app.ids.stages[1]}]});
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/pipelines/{}", app.ids.pipeline), ranges).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["role_ranges"][0]["role"], "manager");
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Внедрение"})).await;
    let path = format!("/api/v1/deals/{deal}");
    let (s, _) = app.patch(&app.t.manager1, &path, json!({"stage_id": app.ids.stages[1]})).await;
    assert_eq!(s, StatusCode::OK, "within the range");
    let resp = app.patch(&app.t.manager1, &path, json!({"stage_id": app.ids.stages[2]})).await;
    assert_error(&resp, 403, "forbidden", Some("stage_id"));
    assert!(resp.1["error"]["message"].as_str().unwrap().contains("Принял в работу"), "the refusal names the last allowed stage");
    // Creating a deal straight in a later stage is entering it too.
    let resp = app.post(&app.t.manager1, "/api/v1/deals", json!({"title": "Сразу в работу", "stage_id": app.ids.stages[2]})).await;
    assert_error(&resp, 403, "forbidden", Some("stage_id"));
    let (s, _) = app.patch(&app.t.head, &path, json!({"stage_id": app.ids.stages[2]})).await;
    assert_eq!(s, StatusCode::OK, "heads move deals anywhere");
}

async fn a_manager_hands_a_deal_to_a_consultant_who_takes_it_further(app: TestApp) {
    let sys = app.db.system_actor(app.ws, poryadok_core::domain::Channel::Cli).await.unwrap();
    let consultant = app
        .db
        .create(&sys, poryadok_core::schema::Entity::User, &json!({"email": "c@a.test", "name": "Консультант", "role": "consultant"}))
        .await
        .unwrap()
        .id();
    let consultant_token = app.db.create_token(app.ws, consultant, "test").await.unwrap();
    let ranges = json!({"role_ranges": [{"role": "manager", "up_to_stage_id": app.ids.stages[1]}]});
    app.patch(&app.t.admin, &format!("/api/v1/pipelines/{}", app.ids.pipeline), ranges).await;
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Сложный проект", "stage_id": app.ids.stages[1]})).await;
    let path = format!("/api/v1/deals/{deal}");
    let (s, _) = app.get(&consultant_token, &path).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not the consultant's deal yet");

    // The manager adds the consultant to the deal: the consultant now sees it and moves it on.
    let (s, v) = app.post(m1, &format!("/api/v1/deals/{deal}/participants"), json!({"user_id": consultant, "role": "consultant"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, list) = app.get(&consultant_token, "/api/v1/deals").await;
    assert_eq!((s, list["data"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    assert_error(&app.patch(m1, &path, json!({"stage_id": app.ids.stages[2]})).await, 403, "forbidden", Some("stage_id"));
    let (s, v) = app.patch(&consultant_token, &path, json!({"stage_id": app.ids.stages[2]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["owner_id"], app.ids.manager1, "the owner stays the manager");
    // Another manager of the team still does not see it.
    assert_eq!(app.get(&app.t.manager3, &path).await.0, StatusCode::NOT_FOUND);
}

async fn entering_a_stage_names_the_deal_and_creates_its_tasks_due_in_working_time(app: TestApp) {
    calendar_with_holiday(&app).await;
    set_regulation(
        &app,
        app.ids.stages[1],
        json!({
            "naming": {"template": "{org} — сайт — до {expected_close_date}", "mode": "apply"},
            "entry_tasks": [
                {"type": "task", "subject": "Подготовить КП для {org}", "description": "Бриф получен: {title}", "due": {"amount": 1, "unit": "days"}},
                {"type": "call", "subject": "Созвониться с {person}", "due": {"amount": 2, "unit": "hours"}, "assignee": "head"},
            ],
        }),
    )
    .await;
    set_regulation(&app, app.ids.stages[2], json!({"naming": {"template": "{org} — {stage}", "mode": "check"}})).await;
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Ромашка"})).await;
    let person = app.create(m1, "persons", json!({"name": "Анна Петрова"})).await;
    let deal = app
        .create(
            m1,
            "deals",
            json!({"title": "заявка с сайта", "organization_id": org, "person_id": person, "expected_close_date": "2026-12-20"}),
        )
        .await;
    to_friday_evening(&app);
    let (s, v) = app.patch(m1, &format!("/api/v1/deals/{deal}"), json!({"stage_id": app.ids.stages[1]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["title"], "ООО Ромашка — сайт — до 20.12.2026");
    let (_, history) = app.get(m1, &format!("/api/v1/deals/{deal}/history")).await;
    assert_eq!(history["data"][0]["changes"]["title"]["to"], "ООО Ромашка — сайт — до 20.12.2026", "the rename is in the history");

    let (_, tasks) = app.get(&app.t.admin, &format!("/api/v1/activities?deal_id={deal}")).await;
    let tasks = tasks["data"].as_array().unwrap().clone();
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let call = tasks.iter().find(|t| t["type"] == "call").unwrap();
    let task = tasks.iter().find(|t| t["type"] == "task").unwrap();
    // Friday 17:30 + 2 working hours: 30 minutes on Friday, Monday is a holiday, 90 minutes on Tuesday.
    assert_eq!(call["due_at"], "2026-12-01T07:30:00.000Z");
    assert_eq!(call["subject"], "Созвониться с Анна Петрова");
    let head = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    assert_eq!(call["owner_id"], head, "assigned to the head");
    // One working day: the same time on the next working day, Tuesday 17:30.
    assert_eq!(task["due_at"], "2026-12-01T14:30:00.000Z");
    assert_eq!(task["subject"], "Подготовить КП для ООО Ромашка");
    assert_eq!(task["owner_id"], app.ids.manager1);

    // A stage that only checks names reports the mismatch on the deal and keeps the title.
    let (s, v) = app.patch(&app.t.head, &format!("/api/v1/deals/{deal}"), json!({"stage_id": app.ids.stages[2]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["title"], "ООО Ромашка — сайт — до 20.12.2026");
    let (_, notes) = app.get(&app.t.admin, &format!("/api/v1/notes?deal_id={deal}")).await;
    assert!(notes["data"][0]["content"].as_str().unwrap().contains("ООО Ромашка — Коммуникация"), "{notes}");
}

async fn a_deal_without_the_templates_values_keeps_its_title_and_gets_clean_tasks(app: TestApp) {
    set_regulation(
        &app,
        app.ids.stages[1],
        json!({
            "naming": {"template": "{org} — {value} — до {expected_close_date}", "mode": "apply"},
            "entry_tasks": [
                {"type": "task", "subject": "Подготовить КП для {org}", "description": "Бриф ({org}): {title}", "due": {"amount": 1, "unit": "days"}},
                {"type": "call", "subject": "{person}", "due": {"amount": 2, "unit": "hours"}},
            ],
        }),
    )
    .await;
    set_regulation(&app, app.ids.stages[2], json!({"naming": {"template": "{org} — {stage}", "mode": "check"}})).await;
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Сайт для пекарни"})).await;
    let (s, v) = app.patch(m1, &format!("/api/v1/deals/{deal}"), json!({"stage_id": app.ids.stages[1]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["title"], "Сайт для пекарни", "no organization, no amount, no date: the title stays");

    let (_, tasks) = app.get(&app.t.admin, &format!("/api/v1/activities?deal_id={deal}")).await;
    let tasks = tasks["data"].as_array().unwrap().clone();
    let task = tasks.iter().find(|t| t["type"] == "task").unwrap();
    assert_eq!(task["subject"], "Подготовить КП", "{task}");
    assert_eq!(task["description"], "Бриф: Сайт для пекарни");
    let call = tasks.iter().find(|t| t["type"] == "call").unwrap();
    assert_eq!(call["subject"], "Принял в работу", "a subject of nothing but a missing value falls back to the stage");

    // A checking stage cannot say what the name should be, so it leaves no note about it.
    let (s, v) = app.patch(&app.t.head, &format!("/api/v1/deals/{deal}"), json!({"stage_id": app.ids.stages[2]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["title"], "Сайт для пекарни");
    let (_, notes) = app.get(&app.t.admin, &format!("/api/v1/notes?deal_id={deal}")).await;
    assert_eq!(notes["data"].as_array().map(Vec::len), Some(0), "{notes}");
}

async fn lost_and_frozen_need_their_reasons_and_frozen_gets_a_return_task(app: TestApp) {
    let reasons = json!({"lost_reasons": ["Дорого", "Выбрали конкурента"], "frozen_reasons": ["Сезонность", "Сменилось контактное лицо"]});
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", reasons).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["lost_reasons"][1], "Выбрали конкурента");
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Реклама"})).await;
    let path = format!("/api/v1/deals/{deal}");
    assert_error(&app.patch(m1, &path, json!({"status": "lost"})).await, 422, "validation", Some("lost_reason"));
    assert_error(
        &app.patch(m1, &path, json!({"status": "lost", "lost_reason": "Не сложилось"})).await,
        422,
        "validation",
        Some("lost_reason"),
    );
    assert_error(&app.patch(m1, &path, json!({"status": "lost", "lost_reason": "Дорого"})).await, 422, "validation", Some("close_comment"));
    let (s, v) = app.patch(m1, &path, json!({"status": "lost", "lost_reason": "Дорого", "close_comment": "Бюджет урезали"})).await;
    assert_eq!((s, v["data"]["status"].as_str()), (StatusCode::OK, Some("lost")));

    let frozen = app.create(m1, "deals", json!({"title": "Сезонная реклама"})).await;
    let path = format!("/api/v1/deals/{frozen}");
    assert_error(
        &app.patch(m1, &path, json!({"status": "frozen", "frozen_reason": "Сезонность"})).await,
        422,
        "validation",
        Some("return_on"),
    );
    assert_error(
        &app.patch(m1, &path, json!({"status": "frozen", "frozen_reason": "Сезонность", "return_on": "2026-01-10"})).await,
        422,
        "validation",
        Some("return_on"),
    );
    let (s, v) = app.patch(m1, &path, json!({"status": "frozen", "frozen_reason": "Сезонность", "return_on": "2027-03-01"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, tasks) = app.get(m1, &format!("/api/v1/activities?deal_id={frozen}")).await;
    assert_eq!(tasks["data"][0]["subject"], "Вернуться к сделке: Сезонность");
    assert_eq!(tasks["data"][0]["due_at"], "2027-03-01T06:00:00.000Z", "09:00 Moscow on the return day");

    // Winning can require fields too.
    app.patch(&app.t.admin, &format!("/api/v1/pipelines/{}", app.ids.pipeline), json!({"won_required_fields": ["value"]})).await;
    let won = app.create(m1, "deals", json!({"title": "Договор"})).await;
    assert_error(&app.patch(m1, &format!("/api/v1/deals/{won}"), json!({"status": "won"})).await, 422, "validation", Some("status"));
    let (s, _) = app.patch(m1, &format!("/api/v1/deals/{won}"), json!({"status": "won", "value": 1_000_000})).await;
    assert_eq!(s, StatusCode::OK);
}

async fn an_sla_crossing_a_weekend_and_a_holiday_is_breached_once_for_owner_and_head(app: TestApp) {
    calendar_with_holiday(&app).await;
    set_regulation(&app, app.ids.stages[0], json!({"sla": {"amount": 1, "unit": "hours"}})).await;
    to_friday_evening(&app);
    let m1 = &app.t.manager1;
    let late = app.create(m1, "deals", json!({"title": "Новый лид"})).await;
    let on_time = app.create(m1, "deals", json!({"title": "Быстрый лид"})).await;
    let (_, jobs) = app.get(&app.t.admin, "/api/v1/jobs?status=queued").await;
    // 30 minutes on Friday, none on the weekend or the Monday holiday, 30 on Tuesday.
    assert!(
        jobs["data"].as_array().unwrap().iter().all(|j| j["kind"] == "sla_check" && j["run_at"] == "2026-12-01T06:30:00.000Z"),
        "{jobs}"
    );

    let (a, b) = (Worker::new(&AppState::new(app.db.clone())), Worker::new(&AppState::new(app.db.clone())));
    app.clock.advance(time::Duration::days(3) + time::Duration::hours(15)); // Tuesday 08:30: not yet
    app.patch(m1, &format!("/api/v1/deals/{on_time}"), json!({"stage_id": app.ids.stages[1]})).await;
    assert_eq!(a.run_once().await.unwrap().ran, 0);
    app.clock.advance(time::Duration::hours(1)); // Tuesday 09:30: the deadline
    let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
    assert_eq!(ra.unwrap().ran + rb.unwrap().ran, 2, "both checks ran, each once");
    assert_eq!(a.run_once().await.unwrap().ran, 0);

    let head = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    for (token, user) in [(m1, app.ids.manager1), (&app.t.head, head)] {
        let (s, v) = app.get(token, "/api/v1/notifications").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let list = v["data"].as_array().unwrap();
        assert_eq!(list.len(), 1, "user {user}: exactly one notice: {v}");
        assert_eq!(list[0]["kind"], "sla_breach");
        assert_eq!(list[0]["link"], format!("/deals/{late}"));
    }
    let (_, v) = app.get(&app.t.head, "/api/v1/notifications/unread_count").await;
    assert_eq!(v["data"]["unread"], 1);
}

/// A deadline already set follows the regulation: new business hours, a longer SLA, or none.
async fn waiting_sla_checks_move_when_the_hours_or_the_stages_sla_change(app: TestApp) {
    calendar_with_holiday(&app).await;
    set_regulation(&app, app.ids.stages[0], json!({"sla": {"amount": 1, "unit": "hours"}})).await;
    to_friday_evening(&app);
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Новый лид"})).await;
    let waiting = || async {
        let (_, jobs) = app.get(&app.t.admin, "/api/v1/jobs?status=queued").await;
        let list: Vec<Value> = jobs["data"].as_array().unwrap().iter().filter(|j| j["kind"] == "sla_check").cloned().collect();
        list.iter().map(|j| j["run_at"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    // 30 minutes on Friday, 30 on Tuesday after the Monday holiday.
    assert_eq!(waiting().await, vec!["2026-12-01T06:30:00.000Z"]);

    // The holiday is gone: Monday 09:30.
    let hours = json!({"business_hours": {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "holidays": []}});
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", hours).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(waiting().await, vec!["2026-11-30T06:30:00.000Z"]);

    // Three hours instead of one: Monday 11:30.
    set_regulation(&app, app.ids.stages[0], json!({"sla": {"amount": 3, "unit": "hours"}})).await;
    assert_eq!(waiting().await, vec!["2026-11-30T08:30:00.000Z"]);

    // No SLA at the stage any more: nothing waits, and no breach comes.
    set_regulation(&app, app.ids.stages[0], json!({})).await;
    assert_eq!(waiting().await, Vec::<String>::new());
    app.clock.advance(time::Duration::days(5));
    assert_eq!(Worker::new(&AppState::new(app.db.clone())).run_once().await.unwrap().ran, 0);
    let (_, v) = app.get(&app.t.manager1, "/api/v1/notifications").await;
    assert!(v["data"].as_array().unwrap().iter().all(|n| n["kind"] != "sla_breach"), "deal {deal}: {v}");
}

async fn bad_regulations_are_refused_at_save_time(app: TestApp) {
    let stage = format!("/api/v1/stages/{}", app.ids.stages[0]);
    let a = &app.t.admin;
    let resp = app.patch(a, &stage, json!({"regulation": {"naming": {"template": "{org} — {budget}"}}})).await;
    // The refusal names the part of the regulation that is wrong, with the message's code.
    assert_error(&resp, 422, "validation", Some("regulation.naming.template"));
    assert!(resp.1["error"]["message"].as_str().unwrap().contains("{budget}"));
    assert_eq!(resp.1["error"]["message_code"], "unknown_placeholder");
    assert_eq!(resp.1["error"]["args"]["name"], "{budget}");
    assert_error(
        &app.patch(a, &stage, json!({"regulation": {"sla": {"amount": 0, "unit": "hours"}}})).await,
        422,
        "validation",
        Some("regulation.sla.amount"),
    );
    assert_error(
        &app.patch(a, &stage, json!({"regulation": {"sla": {"amount": -2, "unit": "days"}}})).await,
        422,
        "validation",
        Some("regulation.sla.amount"),
    );
    assert_error(
        &app.patch(a, &stage, json!({"regulation": {"required_fields": ["custom.nope"]}})).await,
        422,
        "validation",
        Some("regulation"),
    );
    let pipeline = format!("/api/v1/pipelines/{}", app.ids.pipeline);
    let resp = app.patch(a, &pipeline, json!({"role_ranges": [{"role": "manager", "up_to_stage_id": 999_999}]})).await;
    assert_error(&resp, 422, "validation", Some("role_ranges.0.up_to_stage_id"));
    let overlapping = json!({"business_hours": {"days": [1, 2, 3, 4, 5], "hours": [["09:00", "13:00"], ["12:00", "18:00"]]}});
    assert_error(&app.patch(a, "/api/v1/workspace", overlapping).await, 422, "validation", Some("business_hours.hours"));
    let (_, v) = app.get(a, &stage).await;
    assert!(v["data"]["regulation"].is_null(), "nothing was saved: {v}");
}

/// Heads of sales configure the regulation (a stage's required fields, naming, entry tasks and
/// SLA, a pipeline's rules, the fields a stage may require) through the API as administrators
/// do; users, teams, the workspace, others' tokens and integrations stay the administrator's,
/// and a manager changes none of it.
async fn a_head_configures_the_regulation_and_nothing_else_of_the_settings(app: TestApp) {
    let h = &app.t.head;
    let stage = format!("/api/v1/stages/{}", app.ids.stages[1]);
    let regulation = json!({"regulation": {
        "required_fields": ["value", "custom.proposal_link"],
        "naming": {"template": "{org} — сайт", "mode": "apply"},
        "entry_tasks": [{"type": "call", "subject": "Позвонить {person}", "due": {"amount": 2, "unit": "hours"}}],
        "sla": {"amount": 4, "unit": "hours"},
    }});
    let (s, v) = app.patch(h, &stage, regulation).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.get(&app.t.admin, &stage).await;
    assert_eq!(v["data"]["regulation"]["required_fields"], json!(["value", "custom.proposal_link"]));
    assert_eq!(v["data"]["regulation"]["sla"], json!({"amount": 4, "unit": "hours"}));
    // The head's regulation is checked like anyone's.
    let bad = app.patch(h, &stage, json!({"regulation": {"sla": {"amount": 0, "unit": "hours"}}})).await;
    assert_error(&bad, 422, "validation", Some("regulation.sla.amount"));
    let pipeline = format!("/api/v1/pipelines/{}", app.ids.pipeline);
    let ranges = json!({"role_ranges": [{"role": "manager", "up_to_stage_id": app.ids.stages[1]}], "won_required_fields": ["value"]});
    let (s, v) = app.patch(h, &pipeline, ranges).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let field = json!({"entity": "deal", "key": "segment", "label": "Сегмент", "field_type": "text"});
    app.create(h, "custom_fields", field).await;
    app.create(h, "stages", json!({"pipeline_id": app.ids.pipeline, "name": "Договор"})).await;

    // The rest of the settings stay the administrator's.
    let m1 = app.ids.manager1;
    assert_error(&app.post(h, "/api/v1/users", json!({"email": "x@a.test", "name": "X", "role": "manager"})).await, 403, "forbidden", None);
    assert_error(&app.patch(h, &format!("/api/v1/users/{m1}"), json!({"role": "head"})).await, 403, "forbidden", None);
    assert_error(&app.post(h, &format!("/api/v1/users/{m1}/unlock"), json!({})).await, 403, "forbidden", None);
    assert_error(&app.post(h, "/api/v1/teams", json!({"name": "Своя команда"})).await, 403, "forbidden", None);
    assert_error(&app.patch(h, "/api/v1/workspace", json!({"visibility": "all"})).await, 403, "forbidden", None);
    assert_error(&app.get(h, &format!("/api/v1/tokens?user_id={m1}")).await, 403, "forbidden", None);
    assert_error(&app.get(h, "/api/v1/webhooks").await, 403, "forbidden", None);
    let hook = json!({"url": "https://example.com/hook", "events": ["deal.updated"]});
    assert_error(&app.post(h, "/api/v1/webhooks", hook).await, 403, "forbidden", None);
    assert_error(&app.post(h, "/api/v1/intake/sources", json!({"kind": "telephony", "name": "АТС"})).await, 403, "forbidden", None);
    let gateway = json!({"url": "https://sms.example/send"});
    assert_error(&app.call(reqwest::Method::PUT, h, "/api/v1/sms_gateway", Some(gateway)).await, 403, "forbidden", None);

    // A manager changes no part of the regulation.
    let m = &app.t.manager1;
    let resp = app.patch(m, &stage, json!({"regulation": null})).await;
    assert_error(&resp, 403, "forbidden", None);
    assert_eq!(resp.1["error"]["message_code"], "regulation_heads_only");
    assert_error(&app.patch(m, &pipeline, json!({"won_required_fields": []})).await, 403, "forbidden", None);
    assert_error(&app.post(m, "/api/v1/stages", json!({"pipeline_id": app.ids.pipeline, "name": "Своя"})).await, 403, "forbidden", None);
    let (_, v) = app.get(m, &stage).await;
    assert_eq!(v["data"]["regulation"]["sla"], json!({"amount": 4, "unit": "hours"}), "the manager changed nothing");
}

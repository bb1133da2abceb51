//! Quizzes on the regulation (issue 23): questions generated from the stage regulation answer as
//! the configuration says, scoring of single and multiple answers, results per user and per
//! question, a quiz due on a new user's first day and again after `repeat_days`, the attestation
//! before a role change, and workspace scoping.
use crate::helpers::TestApp;
use crate::team::refused;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

crate::both_dbs!(
    generated_questions_match_the_regulation,
    single_and_multiple_answers_are_scored_and_results_show_who_failed_what,
    new_users_get_quizzes_and_a_role_waits_for_the_pass,
    quizzes_stay_in_their_workspace,
    the_demo_workspace_has_the_regulation_quiz
);

fn basics(role: Option<&str>) -> Value {
    json!({
        "key": "basics", "title": "Основы регламента", "pass_percent": 60, "required_for_role": role,
        "questions": [
            {"key": "one", "text": "Когда сделка переходит на «Отправлено КП»?",
             "options": [{"text": "Когда позвонили"}, {"text": "Когда КП отправлено клиенту", "right": true}, {"text": "Никогда"}],
             "explanation": "Этап называется по объективному результату."},
            {"key": "many", "text": "Что обязательно у сделки на «Отправлено КП»?", "multiple": true,
             "options": [{"text": "Сумма", "right": true}, {"text": "Любимый цвет клиента"}, {"text": "Ссылка на КП", "right": true}]}
        ]
    })
}

fn quiz_without_role() -> Value {
    let mut q = basics(None);
    q.as_object_mut().unwrap().remove("required_for_role");
    q
}

async fn generated_questions_match_the_regulation(app: TestApp) {
    let (s1, s2) = (app.ids.stages[1], app.ids.stages[2]);
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{s1}"), json!({"rotting_days": 3})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let required = json!({"regulation": {"required_fields": ["value", "expected_close_date"]}});
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{s2}"), required).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", json!({"lost_reasons": ["Дорого", "Выбрали конкурента"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    for (stage, goal) in [(app.ids.stages[0], "Лид квалифицирован"), (s1, "Назначена встреча"), (s2, "Клиент получил КП")]
    {
        let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{stage}"), json!({"goal": goal})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    refused(&app.post(&app.t.manager1, "/api/v1/quizzes/generate", json!({})).await, 403, "quiz_heads_only", None);
    let (s, v) = app.post(&app.t.head, "/api/v1/quizzes/generate", json!({"seed": 42})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let quiz = &v["data"];
    assert_eq!(quiz["key"], "regulation");
    let questions = quiz["questions"].as_array().unwrap();
    let by_text = |t: &str| questions.iter().find(|q| q["text"] == t).unwrap_or_else(|| panic!("no question “{t}” in {quiz}"));
    // Which fields are required at «Коммуникация»: exactly the stage's required fields are right.
    let q = by_text("Какие поля обязательны на этапе «Коммуникация»?");
    assert_eq!(q["multiple"], true);
    let right: BTreeSet<&str> =
        q["options"].as_array().unwrap().iter().filter(|o| o["right"] == true).map(|o| o["field"].as_str().unwrap()).collect();
    assert_eq!(right, BTreeSet::from(["value", "expected_close_date"]), "{q}");
    assert!(q["options"].as_array().unwrap().len() > 2, "with distractors: {q}");
    assert_eq!(q["code"], "quiz_q_required_fields");
    // How long a deal may stay at «Принял в работу»: its rotting period.
    let q = by_text("Сколько дней сделка может находиться на этапе «Принял в работу»?");
    let right: Vec<&str> =
        q["options"].as_array().unwrap().iter().filter(|o| o["right"] == true).map(|o| o["text"].as_str().unwrap()).collect();
    assert_eq!(right, ["3 дн."], "{q}");
    // A lost reason of the list is the one right answer.
    let q = by_text("Какая причина проигрыша есть в списке?");
    let right: Vec<&str> =
        q["options"].as_array().unwrap().iter().filter(|o| o["right"] == true).map(|o| o["text"].as_str().unwrap()).collect();
    assert!(right.len() == 1 && ["Дорого", "Выбрали конкурента"].contains(&right[0]), "{q}");

    // The goal of a stage: its own goal is right, other stages' goals are the distractors.
    let q = by_text("Какова цель этапа «Принял в работу»?");
    let right: Vec<&str> =
        q["options"].as_array().unwrap().iter().filter(|o| o["right"] == true).map(|o| o["text"].as_str().unwrap()).collect();
    assert_eq!(right, ["Назначена встреча"], "{q}");
    assert_eq!(q["options"].as_array().unwrap().len(), 3, "{q}");

    // The same regulation and seed give the same quiz; it replaces the earlier one.
    let (_, again) = app.post(&app.t.head, "/api/v1/quizzes/generate", json!({"seed": 42})).await;
    assert_eq!(again["data"]["questions"], quiz["questions"]);
    assert_eq!(again["data"]["id"], quiz["id"]);
    let (_, all) = app.get(&app.t.head, "/api/v1/quizzes").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
    // A change of the regulation changes the answer.
    let (s, _) = app.patch(&app.t.admin, &format!("/api/v1/stages/{s1}"), json!({"rotting_days": 5})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app.post(&app.t.head, "/api/v1/quizzes/generate", json!({"seed": 42})).await;
    let q = v["data"]["questions"].as_array().unwrap().iter().find(|q| q["code"] == "quiz_q_rotting_days").unwrap().clone();
    let right: Vec<&str> =
        q["options"].as_array().unwrap().iter().filter(|o| o["right"] == true).map(|o| o["text"].as_str().unwrap()).collect();
    assert_eq!(right, ["5 дн."]);
}

async fn single_and_multiple_answers_are_scored_and_results_show_who_failed_what(app: TestApp) {
    // Bad quizzes are refused with the field named.
    let mut bad = quiz_without_role();
    bad["questions"][0]["options"][0]["right"] = json!(true);
    refused(&app.post(&app.t.head, "/api/v1/quizzes", bad).await, 422, "quiz_single_one_right", Some("questions.0.options"));
    let mut bad = quiz_without_role();
    bad["questions"][1]["options"] = json!([{"text": "a"}, {"text": "b"}]);
    refused(&app.post(&app.t.head, "/api/v1/quizzes", bad).await, 422, "quiz_no_right_option", Some("questions.1.options"));
    let mut bad = quiz_without_role();
    bad["colour"] = json!("red");
    refused(&app.post(&app.t.head, "/api/v1/quizzes", bad).await, 422, "quiz_spec", Some("body"));
    refused(&app.post(&app.t.manager1, "/api/v1/quizzes", quiz_without_role()).await, 403, "quiz_heads_only", None);

    let (s, v) = app.post(&app.t.head, "/api/v1/quizzes", quiz_without_role()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_i64().unwrap();
    refused(&app.post(&app.t.head, "/api/v1/quizzes", quiz_without_role()).await, 409, "quiz_key_taken", Some("key"));

    // A taker reads the quiz without its answers.
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/quizzes/{id}")).await;
    let text = v.to_string();
    assert!(!text.contains("\"right\":true") && !text.contains("объективному"), "{v}");

    let path = format!("/api/v1/quizzes/{id}/attempts");
    // All right: the single as a bare index, the multiple as a list.
    let (s, v) = app.post(&app.t.manager1, &path, json!({"answers": {"one": 1, "many": [2, 0]}})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!((v["data"]["percent"].as_i64(), v["data"]["passed"].as_bool()), (Some(100), Some(true)), "{v}");
    assert_eq!(v["data"]["quiz"]["questions"][0]["explanation"], "Этап называется по объективному результату.");
    // Half of a multiple answer is a wrong answer: 1 of 2 = 50 % < 60 %.
    let (_, v) = app.post(&app.t.manager2, &path, json!({"answers": {"one": [1], "many": [0]}})).await;
    assert_eq!((v["data"]["percent"].as_i64(), v["data"]["passed"].as_bool()), (Some(50), Some(false)), "{v}");
    assert_eq!(v["data"]["questions"][1]["correct"], false);
    assert_eq!(v["data"]["questions"][1]["right"], json!([0, 2]));
    // Too many answers to a single question, an option that does not exist.
    refused(
        &app.post(&app.t.manager3, &path, json!({"answers": {"one": [0, 1]}})).await,
        422,
        "quiz_single_one_answer",
        Some("answers.one"),
    );
    refused(&app.post(&app.t.manager3, &path, json!({"answers": {"many": [7]}})).await, 422, "quiz_option_range", Some("answers.many"));
    // Nothing answered: 0 %.
    let (_, v) = app.post(&app.t.manager3, &path, json!({"answers": {}})).await;
    assert_eq!(v["data"]["percent"], 0);

    refused(&app.get(&app.t.manager1, "/api/v1/quizzes/results").await, 403, "quiz_heads_only", None);
    let (s, v) = app.get(&app.t.head, "/api/v1/quizzes/results").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let users = v["data"]["users"].as_array().unwrap();
    let of = |u: i64| users.iter().find(|r| r["user_id"] == u).unwrap_or_else(|| panic!("no row of {u}: {v}"));
    assert_eq!((of(app.ids.manager1)["passed"].as_bool(), of(app.ids.manager1)["best_percent"].as_i64()), (Some(true), Some(100)));
    assert_eq!((of(app.ids.manager2)["passed"].as_bool(), of(app.ids.manager2)["best_percent"].as_i64()), (Some(false), Some(50)));
    let questions = v["data"]["questions"].as_array().unwrap();
    // The multiple one is failed most: by manager2 and manager3 (2 of 3); the single by manager3.
    assert_eq!(questions[0]["question_key"], "many");
    assert_eq!(
        (questions[0]["failed"].as_i64(), questions[0]["answered"].as_i64(), questions[0]["failed_percent"].as_i64()),
        (Some(2), Some(3), Some(66))
    );
    assert_eq!((questions[1]["question_key"].as_str(), questions[1]["failed"].as_i64()), (Some("one"), Some(1)));

    // A change keeps the attempts; deleting removes them.
    let mut changed = quiz_without_role();
    changed["pass_percent"] = json!(50);
    let (s, v) = app.call(Method::PUT, &app.t.head, &format!("/api/v1/quizzes/{id}"), Some(changed)).await;
    assert_eq!((s, v["data"]["version"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
    let (s, _) = app.delete(&app.t.head, &format!("/api/v1/quizzes/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = app.get(&app.t.head, "/api/v1/quizzes/results").await;
    assert_eq!(v["data"]["users"], json!([]));
}

async fn due(app: &TestApp, token: &str, quiz: i64) -> bool {
    let (_, v) = app.get(token, "/api/v1/quizzes/mine").await;
    v["data"].as_array().unwrap().iter().find(|q| q["quiz_id"] == quiz).unwrap_or_else(|| panic!("{v}"))["due"].as_bool().unwrap()
}

async fn new_users_get_quizzes_and_a_role_waits_for_the_pass(app: TestApp) {
    let mut spec = basics(Some("consultant"));
    spec["repeat_days"] = json!(30);
    let (s, v) = app.post(&app.t.head, "/api/v1/quizzes", spec).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_i64().unwrap();

    // A user created now has it due on their first day; users from before do not.
    let newbie = app.create(&app.t.admin, "users", json!({"email": "new@a.test", "name": "Новичок", "role": "manager"})).await;
    let newbie_token = app.db.create_token(app.ws, newbie, "test").await.unwrap();
    assert!(due(&app, &newbie_token, id).await);
    assert!(!due(&app, &app.t.manager1, id).await);

    // manager1 → consultant waits for the pass.
    let user = format!("/api/v1/users/{}", app.ids.manager1);
    refused(&app.patch(&app.t.admin, &user, json!({"role": "consultant"})).await, 422, "quiz_attestation_required", Some("role"));
    let path = format!("/api/v1/quizzes/{id}/attempts");
    let (_, v) = app.post(&app.t.manager1, &path, json!({"answers": {"one": 0, "many": [0, 2]}})).await;
    assert_eq!(v["data"]["passed"], false, "{v}");
    refused(&app.patch(&app.t.admin, &user, json!({"role": "consultant"})).await, 422, "quiz_attestation_required", Some("role"));
    // Another role is not held up.
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager2), json!({"role": "head"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.post(&app.t.manager1, &path, json!({"answers": {"one": 1, "many": [0, 2]}})).await;
    assert_eq!(v["data"]["passed"], true, "{v}");
    let (s, v) = app.patch(&app.t.admin, &user, json!({"role": "consultant"})).await;
    assert_eq!((s, v["data"]["role"].as_str()), (StatusCode::OK, Some("consultant")), "{v}");

    // The newbie passes: no longer due. 31 days later the periodic job assigns it again to
    // everyone whose last assignment is that old, or who never had it.
    app.post(&newbie_token, &path, json!({"answers": {"one": 1, "many": [0, 2]}})).await;
    assert!(!due(&app, &newbie_token, id).await);
    assert_eq!(app.db.reassign_quizzes(app.ws).await.unwrap(), 6, "everyone active but the newbie, assigned today");
    assert!(due(&app, &app.t.manager1, id).await);
    assert!(!due(&app, &newbie_token, id).await);
    app.clock.advance(time::Duration::days(31));
    assert_eq!(app.db.reassign_quizzes(app.ws).await.unwrap(), 1, "the newbie's assignment is 31 days old; the others are still due");
    assert!(due(&app, &newbie_token, id).await);
}

async fn quizzes_stay_in_their_workspace(app: TestApp) {
    let (_, v) = app.post(&app.t.head, "/api/v1/quizzes", quiz_without_role()).await;
    let id = v["data"]["id"].as_i64().unwrap();
    let other = &app.t.other_admin;
    let (_, v) = app.get(other, "/api/v1/quizzes").await;
    assert_eq!(v["data"], json!([]));
    assert_eq!(app.get(other, &format!("/api/v1/quizzes/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.post(other, &format!("/api/v1/quizzes/{id}/attempts"), json!({"answers": {}})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.call(Method::PUT, other, &format!("/api/v1/quizzes/{id}"), Some(quiz_without_role())).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(other, &format!("/api/v1/quizzes/{id}")).await.0, StatusCode::NOT_FOUND);
    // The other workspace may use the same key.
    let (s, v) = app.post(other, "/api/v1/quizzes", quiz_without_role()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, v) = app.get(&app.t.head, "/api/v1/quizzes").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
}

async fn the_demo_workspace_has_the_regulation_quiz(app: TestApp) {
    let demo = app.db.generate_demo(&poryadok_store::demo::DemoOptions { deals: 20, seed: 7 }).await.unwrap();
    app.db.apply_demo_process(demo.workspace_id).await.unwrap();
    let sys = app.db.system_actor(demo.workspace_id, poryadok_core::domain::Channel::Cli).await.unwrap();
    let quizzes = app.db.quizzes(&sys).await.unwrap();
    let q = quizzes.iter().find(|q| q.spec.key == "regulation").expect("the demo's quiz");
    assert_eq!((q.spec.required_for_role.as_deref(), q.spec.repeat_days), (Some("consultant"), Some(90)));
    let kp = q
        .spec
        .questions
        .iter()
        .find(|q| q.text == "Какие поля обязательны на этапе «Отправлено КП»?")
        .expect("the proposal stage's question");
    let right: BTreeSet<&str> = kp.options.iter().filter(|o| o.right).filter_map(|o| o.field.as_deref()).collect();
    assert_eq!(right, BTreeSet::from(["value", "custom.proposal_link"]), "as the demo regulation requires");
}

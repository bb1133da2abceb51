//! The compliance loop with a fixed clock: rules, a round recording violations for their owners,
//! answers, the re-check at the deadline, the head's review with a warning, and standings.
use crate::helpers::*;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    a_round_lists_every_hit_for_its_owner_and_the_loop_closes,
    bad_rules_answers_and_reviews_are_refused,
    the_catalogue_binds_to_the_workspace_and_every_rule_runs,
);

async fn rule(app: &TestApp, name: &str, expression: &str, criticality: i64) -> i64 {
    let body = json!({"name": name, "entity": "deal", "expression": expression, "criticality": criticality,
                      "why": "Сделка без задачи — работа не ведётся", "fix": "Поставьте задачу"});
    app.create(&app.t.head, "rules", body).await
}

async fn run_jobs(app: &TestApp) {
    Worker::new(&AppState::new(app.db.clone())).run_once().await.unwrap();
}

async fn violations(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (s, v) = app.get(token, &format!("/api/v1/violations?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().clone()
}

async fn a_round_lists_every_hit_for_its_owner_and_the_loop_closes(app: TestApp) {
    let (m1, m3) = (&app.t.manager1, &app.t.manager3);
    let no_task = rule(&app, "Открытая сделка без задачи", "status = open and not exists activity(done = false)", 1).await;
    let no_value = rule(&app, "Нет суммы", "value = 0", 1).await;
    // Planted: two of manager1's deals break both rules, one of manager3's breaks one; clean ones alongside.
    let bad1 = app.create(m1, "deals", json!({"title": "Без задачи и суммы"})).await;
    let bad2 = app.create(m1, "deals", json!({"title": "Тоже без задачи", "value": 0})).await;
    let bad3 = app.create(m3, "deals", json!({"title": "Казань без задачи", "value": 100_000})).await;
    let clean = app.create(m1, "deals", json!({"title": "Всё в порядке", "value": 500_000})).await;
    app.create(m1, "activities", json!({"type": "task", "subject": "Позвонить", "deal_id": clean})).await;
    app.create(m3, "activities", json!({"type": "task", "subject": "Позвонить", "deal_id": bad3})).await;
    app.patch(m3, &format!("/api/v1/deals/{bad3}"), json!({"value": 0})).await;

    let (s, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let round = v["data"]["id"].as_i64().unwrap();
    assert_error(&app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await, 409, "conflict", None);
    run_jobs(&app).await;
    let (_, rounds) = app.get(&app.t.head, "/api/v1/audit/rounds").await;
    assert_eq!(rounds["data"][0]["status"], "open");
    assert_eq!(rounds["data"][0]["violations"], 5);

    let all = violations(&app, &app.t.head, &format!("round={round}")).await;
    let hits = |rule: i64| {
        let mut ids: Vec<i64> = all.iter().filter(|v| v["rule_id"] == rule).map(|v| v["record_id"].as_i64().unwrap()).collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(hits(no_task), vec![bad1, bad2]);
    assert_eq!(hits(no_value), vec![bad1, bad2, bad3]);
    assert!(all.iter().all(|v| v["record_id"] != clean), "nothing clean is listed");

    // Each manager sees only their own, and got one task to answer them.
    let mine = violations(&app, m1, "").await;
    assert_eq!(mine.len(), 4);
    assert!(mine.iter().all(|v| v["user_id"] == app.ids.manager1));
    let (_, tasks) = app.get(m1, "/api/v1/activities?type=task&done=false").await;
    let answer_tasks: Vec<&Value> =
        tasks["data"].as_array().unwrap().iter().filter(|t| t["subject"].as_str().unwrap().contains("аудита")).collect();
    assert_eq!(answer_tasks.len(), 1, "{tasks}");

    // Manager1 fixes one deal for real, claims another fixed without fixing it, and disputes the third.
    let find =
        |rule: i64, record: i64| mine.iter().find(|v| v["rule_id"] == rule && v["record_id"] == record).unwrap()["id"].as_i64().unwrap();
    let (fixed_really, fixed_claimed, disputed) = (find(no_value, bad1), find(no_value, bad2), find(no_task, bad1));
    app.patch(m1, &format!("/api/v1/deals/{bad1}"), json!({"value": 700_000})).await;
    for (v, status) in [(fixed_really, "fixed"), (fixed_claimed, "fixed")] {
        let (s, r) = app.post(m1, &format!("/api/v1/violations/{v}/answer"), json!({"status": status})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    let (s, _) = app
        .post(
            m1,
            &format!("/api/v1/violations/{disputed}/answer"),
            json!({"status": "not_fixed", "comment": "Клиент в отпуске, задача будет после"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // The deadline: three working days later the re-check runs.
    app.clock.advance(time::Duration::days(4));
    run_jobs(&app).await;
    let after = violations(&app, &app.t.head, &format!("round={round}")).await;
    let get = |id: i64| after.iter().find(|v| v["id"] == id).unwrap().clone();
    assert_eq!((get(fixed_really)["recheck"].as_str(), get(fixed_really)["review"].as_str()), (Some("resolved"), Some("closed")));
    assert_eq!(get(fixed_claimed)["recheck"], "still_matches", "a fixed claim that still matches is flagged");
    assert!(get(fixed_claimed)["review"].is_null());

    // The head reviews: accepts the dispute, warns for the false claim.
    let (s, _) = app.post(&app.t.head, &format!("/api/v1/violations/{disputed}/review"), json!({"decision": "accept"})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(
            &app.t.head,
            &format!("/api/v1/violations/{fixed_claimed}/review"),
            json!({"decision": "warn", "comment": "Сумма так и не указана"}),
        )
        .await;
    assert_eq!((s, v["data"]["review"].as_str()), (StatusCode::OK, Some("warned")));
    assert_error(
        &app.post(m1, &format!("/api/v1/violations/{fixed_claimed}/answer"), json!({"status": "fixed"})).await,
        409,
        "conflict",
        Some("status"),
    );

    let (_, st) = app.get(&app.t.head, "/api/v1/audit/standings").await;
    let row = |user: i64| st["data"]["rows"].as_array().unwrap().iter().find(|r| r["user_id"] == user).unwrap().clone();
    assert_eq!(row(app.ids.manager1)["violations"], 4);
    assert_eq!(row(app.ids.manager1)["warnings"], 1);
    assert_eq!(row(app.ids.manager1)["fixed_on_time"], 1, "only the fix the re-check confirmed counts, not the false claim");
    assert_eq!(row(app.ids.manager3)["violations"], 1);
    check_exports(&app, round, &[("Открытая сделка без задачи", 2), ("Нет суммы", 3)]).await;

    // Two weeks after the first rule the scheduled round runs by itself.
    app.clock.advance(time::Duration::days(11));
    run_jobs(&app).await;
    let (_, rounds) = app.get(&app.t.head, "/api/v1/audit/rounds").await;
    assert_eq!(rounds["data"].as_array().unwrap().len(), 2, "{rounds}");
    assert_eq!(rounds["data"][0]["status"], "open");

    let never: Vec<i64> = st["data"]["never_listed"].as_array().unwrap().iter().map(|u| u["user_id"].as_i64().unwrap()).collect();
    assert!(never.contains(&app.ids.manager2) && !never.contains(&app.ids.manager1));
}

async fn bad_rules_answers_and_reviews_are_refused(app: TestApp) {
    let h = &app.t.head;
    let resp = app.post(h, "/api/v1/rules", json!({"name": "Опечатка", "entity": "deal", "expression": "valu > 1"})).await;
    assert_error(&resp, 422, "validation", Some("expression"));
    assert!(resp.1["error"]["position"].is_object(), "the mistake's position comes back");
    assert_error(
        &app.post(h, "/api/v1/rules", json!({"name": "x", "entity": "note", "expression": "1 = 1"})).await,
        422,
        "validation",
        Some("entity"),
    );
    assert_error(
        &app.post(h, "/api/v1/rules", json!({"name": "x", "expression": "value = 0", "criticality": 3})).await,
        422,
        "validation",
        Some("criticality"),
    );
    assert_error(
        &app.post(&app.t.manager1, "/api/v1/rules", json!({"name": "x", "expression": "value = 0"})).await,
        403,
        "forbidden",
        None,
    );
    assert_error(&app.post(&app.t.manager1, "/api/v1/audit/rounds", json!({})).await, 403, "forbidden", None);
    let (_, rules) = app.get(h, "/api/v1/rules").await;
    assert_eq!(rules["data"].as_array().unwrap().len(), 0, "nothing was saved");

    rule(&app, "Нет суммы", "value = 0", 1).await;
    app.create(&app.t.manager1, "deals", json!({"title": "Пустая"})).await;
    app.post(h, "/api/v1/audit/rounds", json!({})).await;
    run_jobs(&app).await;
    let v = violations(&app, &app.t.manager1, "").await[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/violations/{v}");
    assert_error(
        &app.post(&app.t.manager1, &format!("{path}/answer"), json!({"status": "not_fixed"})).await,
        422,
        "validation",
        Some("comment"),
    );
    assert_error(
        &app.post(&app.t.manager1, &format!("{path}/answer"), json!({"status": "maybe"})).await,
        422,
        "validation",
        Some("status"),
    );
    assert_error(&app.post(&app.t.manager2, &format!("{path}/answer"), json!({"status": "fixed"})).await, 404, "not_found", None);
    assert_error(&app.post(&app.t.manager1, &format!("{path}/review"), json!({"decision": "accept"})).await, 403, "forbidden", None);
    assert_error(&app.post(h, &format!("{path}/review"), json!({"decision": "warn"})).await, 422, "validation", Some("comment"));
    let after = violations(&app, h, "").await;
    assert_eq!((after[0]["status"].as_str(), after[0]["review"].as_str()), (Some("not_processed"), None), "nothing changed");
}

/// The round's workbook opens with calamine: a sheet per rule with its rows, a FAQ and a tally;
/// the CSV has the same rows.
async fn check_exports(app: &TestApp, round: i64, sheets: &[(&str, usize)]) {
    use calamine::{Reader, Xlsx};
    let url = format!("{}/api/v1/audit/rounds/{round}/export", app.base);
    let resp = app.client.get(&url).bearer_auth(&app.t.head).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let bytes = resp.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    let expected: Vec<String> = sheets.iter().map(|(n, _)| n.to_string()).chain(["FAQ".to_string(), "Учёт".to_string()]).collect();
    assert_eq!(names, expected);
    for (name, rows) in sheets {
        let range = book.worksheet_range(name).unwrap();
        assert_eq!(range.height(), rows + 1, "{name}: a header and a row per violation");
        assert_eq!(range.get((0, 1)).unwrap().to_string(), "Название");
        // Statuses are words in the workbook's language, never the stored `open` / `not_processed`.
        for row in range.rows().skip(1) {
            let (state, answer) = (row[3].to_string(), row[6].to_string());
            assert!(["Открыта", "Выиграна", "Проиграна", "Заморожена"].contains(&state.as_str()), "{name}: {state}");
            assert!(["Не обработано", "Исправлено", "Не исправлено"].contains(&answer.as_str()), "{name}: {answer}");
            assert!(["", "Предупреждение", "Принято", "Закрыто"].contains(&row[8].to_string().as_str()), "{name}: {}", row[8]);
        }
    }
    let faq = book.worksheet_range("FAQ").unwrap();
    assert_eq!(faq.get((1, 2)).unwrap().to_string(), "Сделка без задачи — работа не ведётся");
    let tally = book.worksheet_range("Учёт").unwrap();
    let m1 = tally.rows().find(|r| r[0] == "m1").expect("manager1 in the tally");
    assert_eq!((m1[1].to_string(), m1[5].to_string()), ("4".to_string(), "1".to_string()), "violations and warnings");

    let csv = app.client.get(format!("{url}?format=csv")).bearer_auth(&app.t.head).send().await.unwrap().text().await.unwrap();
    assert_eq!(csv.lines().count(), 1 + sheets.iter().map(|(_, n)| n).sum::<usize>());
    let bad = app.client.get(format!("{url}?format=pdf")).bearer_auth(&app.t.head).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let other = app.client.get(&url).bearer_auth(&app.t.manager1).send().await.unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN, "managers do not export rounds");
}

async fn the_catalogue_binds_to_the_workspace_and_every_rule_runs(app: TestApp) {
    // This workspace's stages are named differently from the demo's: installing with the
    // defaults is refused, naming the rule that does not fit, and nothing is installed.
    let resp = app.post(&app.t.head, "/api/v1/rules/catalogue", json!({})).await;
    assert_eq!(resp.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", resp.1);
    assert!(resp.1["error"]["field"].as_str().unwrap().starts_with("rules."), "{}", resp.1);
    assert_eq!(app.get(&app.t.head, "/api/v1/rules").await.1["data"].as_array().unwrap().len(), 0);
    assert_error(
        &app.post(&app.t.head, "/api/v1/rules/catalogue", json!({"params": {"stage_demo": "x"}})).await,
        422,
        "validation",
        Some("params.stage_demo"),
    );

    let partners = app.create(&app.t.admin, "pipelines", json!({"name": "Партнёры"})).await;
    app.create(&app.t.admin, "stages", json!({"pipeline_id": partners, "name": "Новый"})).await;
    let params = json!({"params": {"stage_demo_done": "Коммуникация", "stage_proposal_sent": "Коммуникация", "stage_trial": "Коммуникация", "pipeline_partners": "Партнёры"}});
    let (s, v) = app.post(&app.t.head, "/api/v1/rules/catalogue", params.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let installed = v["data"].as_array().unwrap().len();
    assert_eq!(installed, poryadok_core::hygiene::catalogue().len());
    let (_, again) = app.post(&app.t.head, "/api/v1/rules/catalogue", params).await;
    assert_eq!(again["data"].as_array().unwrap().len(), 0, "installing twice adds nothing");

    // A round runs every catalogue rule's SQL on this backend; a deal with no task and no value is caught.
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Пустая сделка"})).await;
    app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    run_jobs(&app).await;
    let (_, rounds) = app.get(&app.t.head, "/api/v1/audit/rounds").await;
    assert_eq!(rounds["data"][0]["status"], "open", "{rounds}");
    let hits = violations(&app, &app.t.head, "").await;
    assert!(hits.iter().any(|v| v["record_id"] == deal), "{hits:?}");
}

crate::both_dbs!(a_round_as_of_a_later_moment_sees_time_rules_fire);

/// A round started with `now` evaluates its time rules at that moment: a deal made today is not
/// stale now, and is ten days later.
async fn a_round_as_of_a_later_moment_sees_time_rules_fire(app: TestApp) {
    let head = &app.t.head;
    // One worker throughout: on SQLite a second one would wait for the first's lease.
    let worker = Worker::new(&AppState::new(app.db.clone()));
    let stale = rule(&app, "Давно без движения", "status = open and created_at < now - 7d", 2).await;
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Свежая"})).await;
    let (s, v) = app.post(head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let today = v["data"]["id"].as_i64().unwrap();
    worker.run_once().await.unwrap();
    assert!(violations(&app, head, &format!("round={today}&rule={stale}")).await.is_empty());

    let later = (start_time() + time::Duration::days(10)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let (s, v) = app.post(head, "/api/v1/audit/rounds", json!({"now": later})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let round = v["data"]["id"].as_i64().unwrap();
    worker.run_once().await.unwrap();
    let hits = violations(&app, head, &format!("round={round}&rule={stale}")).await;
    assert_eq!(hits.iter().map(|v| v["record_id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![deal]);
    let (_, rounds) = app.get(head, "/api/v1/audit/rounds").await;
    let r = rounds["data"].as_array().unwrap().iter().find(|r| r["id"] == round).unwrap().clone();
    assert!(r["started_at"].as_str().unwrap().starts_with("2026-12-03"), "the round is dated as of now: {r}");
}

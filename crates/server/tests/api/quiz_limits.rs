//! Quiz limits (issue 23): minutes per attempt and attempts per user, enforced by the server with
//! its clock, and a per-attempt shuffle of questions and options. On both databases with a fixed
//! clock; the take page over HTTP; in a real browser (RU, EN, 390 px) with `PORYADOK_TEST_BROWSER=1`.
use crate::browser::start_browser;
use crate::helpers::*;
use crate::team::refused;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(a_timed_quiz_refuses_a_late_answer_and_counts_attempts);

/// Six single-answer questions, the right option always the first in the spec.
fn timed(minutes: i64, attempts: i64) -> Value {
    let questions: Vec<Value> = (1..=6)
        .map(|n| {
            json!({"key": format!("q{n}"), "text": format!("Вопрос {n}"),
                   "options": [{"text": format!("Верно {n}"), "right": true}, {"text": "Нет"}, {"text": "Тоже нет"}, {"text": "Мимо"}]})
        })
        .collect();
    json!({"key": "timed", "title": "Тест на время", "pass_percent": 50, "time_limit_minutes": minutes,
           "max_attempts": attempts, "questions": questions})
}

fn all_right() -> Value {
    json!((1..=6).map(|n| (format!("q{n}"), json!([0]))).collect::<serde_json::Map<_, _>>())
}

fn order(start: &Value) -> Vec<String> {
    start["order"].as_array().unwrap().iter().map(|q| q["key"].as_str().unwrap().to_string()).collect()
}

async fn a_timed_quiz_refuses_a_late_answer_and_counts_attempts(app: TestApp) {
    let mut bad = timed(10, 2);
    bad["time_limit_minutes"] = json!(0);
    refused(&app.post(&app.t.head, "/api/v1/quizzes", bad).await, 422, "quiz_time_limit", Some("time_limit_minutes"));
    let mut bad = timed(10, 2);
    bad["max_attempts"] = json!(0);
    refused(&app.post(&app.t.head, "/api/v1/quizzes", bad).await, 422, "quiz_max_attempts", Some("max_attempts"));
    let (s, v) = app.post(&app.t.head, "/api/v1/quizzes", timed(10, 2)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!((v["data"]["time_limit_minutes"].as_i64(), v["data"]["max_attempts"].as_i64()), (Some(10), Some(2)));
    let id = v["data"]["id"].as_i64().unwrap();
    let (attempts, start) = (format!("/api/v1/quizzes/{id}/attempts"), format!("/api/v1/quizzes/{id}/start"));

    // A timed quiz is answered within a started attempt only.
    refused(&app.post(&app.t.manager1, &attempts, json!({"answers": all_right()})).await, 422, "quiz_not_started", Some("start_id"));

    let (s, first) = app.post(&app.t.manager1, &start, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let first = &first["data"];
    assert_eq!((first["attempts_used"].as_i64(), first["max_attempts"].as_i64()), (Some(1), Some(2)), "{first}");
    assert_eq!(first["deadline"], "2026-11-23T09:10:00.000Z", "ten minutes after the clock's now: {first}");
    assert!(!first.to_string().contains("\"right\":true"), "a start shows no answers: {first}");
    let mut keys = order(first);
    keys.sort();
    assert_eq!(keys, ["q1", "q2", "q3", "q4", "q5", "q6"], "every question once: {first}");
    // Starting again (a reload) is the same attempt: the same id, order and deadline, no attempt used.
    app.clock.advance(time::Duration::minutes(2));
    let (_, again) = app.post(&app.t.manager1, &start, json!({})).await;
    assert_eq!(again["data"]["start_id"], first["start_id"]);
    assert_eq!(again["data"]["order"], first["order"]);
    assert_eq!(again["data"]["attempts_used"], 1);
    let first_id = first["start_id"].as_i64().unwrap();
    // Another person cannot answer it.
    refused(
        &app.post(&app.t.manager2, &attempts, json!({"answers": all_right(), "start_id": first_id})).await,
        422,
        "quiz_start_unknown",
        Some("start_id"),
    );
    // In time (9 of 10 minutes): scored.
    app.clock.advance(time::Duration::minutes(7));
    let (s, v) = app.post(&app.t.manager1, &attempts, json!({"answers": all_right(), "start_id": first_id})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!((v["data"]["percent"].as_i64(), v["data"]["start_id"].as_i64()), (Some(100), Some(first_id)));
    // One answer per start.
    refused(
        &app.post(&app.t.manager1, &attempts, json!({"answers": all_right(), "start_id": first_id})).await,
        422,
        "quiz_start_unknown",
        Some("start_id"),
    );

    // The second attempt has its own order; answered a second after its ten minutes: refused.
    let (s, second) = app.post(&app.t.manager1, &start, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    let second = &second["data"];
    assert_ne!(second["start_id"], first["start_id"]);
    assert_eq!(second["attempts_used"], 2);
    assert_ne!(order(second), order(first), "another attempt, another order");
    let options = |s: &Value| s["order"].as_array().unwrap().iter().map(|q| q["options"].clone()).collect::<Vec<_>>();
    assert!(options(second).iter().any(|o| o != &json!([0, 1, 2, 3])), "options are shuffled too: {second}");
    app.clock.advance(time::Duration::minutes(10) + time::Duration::seconds(1));
    refused(
        &app.post(&app.t.manager1, &attempts, json!({"answers": all_right(), "start_id": second["start_id"]})).await,
        422,
        "quiz_time_over",
        Some("start_id"),
    );
    // Both attempts are used: no third.
    refused(&app.post(&app.t.manager1, &start, json!({})).await, 422, "quiz_no_attempts_left", Some("attempts"));
    let (_, mine) = app.get(&app.t.manager1, "/api/v1/quizzes/mine").await;
    let row = mine["data"].as_array().unwrap().iter().find(|q| q["quiz_id"] == id).unwrap().clone();
    assert_eq!((row["attempts_left"].as_i64(), row["passed"].as_bool()), (Some(0), Some(true)), "{row}");
    // Someone else still has both.
    let (_, mine) = app.get(&app.t.manager2, "/api/v1/quizzes/mine").await;
    let row = mine["data"].as_array().unwrap().iter().find(|q| q["quiz_id"] == id).unwrap().clone();
    assert_eq!(row["attempts_left"], 2, "{row}");

    // An attempt limit without a time limit counts answers sent without a start too.
    let mut once = timed(10, 1);
    once["key"] = json!("once");
    once.as_object_mut().unwrap().remove("time_limit_minutes");
    let (_, v) = app.post(&app.t.head, "/api/v1/quizzes", once).await;
    let once = v["data"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/quizzes/{once}/attempts");
    let (s, _) = app.post(&app.t.manager2, &path, json!({"answers": {}})).await;
    assert_eq!(s, StatusCode::CREATED);
    refused(&app.post(&app.t.manager2, &path, json!({"answers": {}})).await, 422, "quiz_no_attempts_left", Some("attempts"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_take_page_shows_the_limits_the_time_left_and_refuses_a_late_answer() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (_, v) = app.post(&app.t.head, "/api/v1/quizzes", timed(10, 2)).await;
    let id = v["data"]["id"].as_i64().unwrap();
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, list) = m1.get("/quizzes").await;
    assert!(list.contains("10 мин на попытку") && list.contains("осталось попыток: 2 из 2"), "{list}");
    // Limits first, then a start button; nothing is used until it is pressed.
    let (s, intro) = m1.get(&format!("/quizzes/{id}/take")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(intro.contains("id=\"quiz-start\"") && !intro.contains("id=\"quiz-form\""), "{intro}");
    let (s, to, _) = m1.post_form_to(&format!("/quizzes/{id}/start"), &[]).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(to.as_deref(), Some(format!("/quizzes/{id}/take").as_str()));
    app.clock.advance(time::Duration::minutes(3));
    let (_, page) = m1.get(&format!("/quizzes/{id}/take")).await;
    assert!(page.contains("Попытка 1 из 2") && page.contains("<strong>7 мин</strong>"), "{page}");
    let start_id = html_attr(&page, "name=\"start_id\"", "value").expect("the start in the form");
    // The questions are in the attempt's order, not the spec's.
    let at = |k: &str| page.find(&format!("id=\"quiz-q-{k}\"")).unwrap();
    let shown: Vec<usize> = (1..=6).map(|n| at(&format!("q{n}"))).collect();
    assert!(shown.windows(2).any(|w| w[0] > w[1]), "shuffled");
    app.clock.advance(time::Duration::minutes(8));
    let (s, late) = m1.post_form(&format!("/quizzes/{id}/take"), &[("start_id", &start_id), ("q.q1", "0")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.contains("время попытки (10 мин.) истекло") && !late.contains("id=\"quiz-submit\""), "{late}");

    // In a real browser: the limits and the running attempt, RU and EN, on a phone.
    let Some(b) = start_browser().await else { return };
    app.set_password(app.ids.manager2, "manager-pass-123").await;
    b.login(&app.base, "m2@a.test", "manager-pass-123").await;
    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        b.client.goto(&format!("{}/quizzes/{id}/take", app.base)).await.unwrap();
        if lang == "ru" {
            b.wait_for("#quiz-start").await;
            b.shot("quiz-limits-intro-phone-ru").await;
            b.client.find(fantoccini::Locator::Css("#quiz-start")).await.unwrap().click().await.unwrap();
        }
        b.wait_for("#quiz-clock").await;
        let clock = b.text_of("#quiz-clock").await;
        let want = if lang == "ru" { "Попытка 1 из 2" } else { "Attempt 1 of 2" };
        assert!(clock.contains(want), "{clock}");
        let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
        assert!(wide.as_i64().unwrap_or(99) <= 0, "the take page scrolls sideways by {wide}px on a phone");
        b.shot(&format!("quiz-limits-take-phone-{lang}")).await;
    }
}

//! Quizzes in the web UI (issue 23): a manager takes a quiz on one page and sees the score and
//! the right answers; the head generates a quiz from the regulation, edits one as text and reads
//! the results per user and per question. Over HTTP always; in a real browser with screenshots
//! (RU, EN, 390 px) when `PORYADOK_TEST_BROWSER=1`.
use crate::browser::start_browser;
use crate::helpers::*;
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", "\"").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

async fn setup(app: &TestApp) -> i64 {
    let required = json!({"regulation": {"required_fields": ["value", "expected_close_date"]}});
    let (s, _) = app.patch(&app.t.admin, &format!("/api/v1/stages/{}", app.ids.stages[2]), required).await;
    assert_eq!(s, StatusCode::OK);
    let quiz = json!({
        "key": "basics", "title": "Основы регламента", "pass_percent": 60,
        "questions": [
            {"key": "one", "text": "Когда сделка переходит на «Отправлено КП»?",
             "options": [{"text": "Когда позвонили"}, {"text": "Когда КП отправлено клиенту", "right": true}, {"text": "Никогда"}],
             "explanation": "Этап называется по объективному результату."},
            {"key": "many", "text": "Что обязательно у сделки на «Отправлено КП»?", "multiple": true,
             "options": [{"text": "Сумма", "right": true}, {"text": "Любимый цвет клиента"}, {"text": "Ссылка на КП", "right": true}]}
        ]
    });
    let (s, v) = app.post(&app.t.head, "/api/v1/quizzes", quiz).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"]["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_takes_a_quiz_and_the_head_edits_and_reads_results_over_http() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let id = setup(&app).await;
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, page) = m1.get("/quizzes").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Мои тесты") && page.contains("Основы регламента"), "{page}");
    assert!(!page.contains("quiz-results-table") && !page.contains("quiz-generate"), "a manager sees no results or editor");
    let (_, take) = m1.get(&format!("/quizzes/{id}/take")).await;
    assert!(take.contains("name=\"q.many\"") && take.contains("type=\"checkbox\"") && take.contains("type=\"radio\""), "{take}");
    assert!(!take.contains("верный ответ"), "no answers before submitting");
    // One right, one half right: 50 % of a 60 % pass mark.
    let (s, result) = m1.post_form(&format!("/quizzes/{id}/take"), &[("q.one", "1"), ("q.many", "0")]).await;
    assert_eq!(s, StatusCode::OK, "{result}");
    assert!(result.contains("Тест не сдан") && result.contains("50 %"), "{result}");
    assert!(result.contains("Этап называется по объективному результату."), "the explanation after answering");
    // The editor is the head's.
    assert_eq!(m1.get("/quizzes/new").await.0, StatusCode::FORBIDDEN);
    // Without the CSRF token a submission is refused.
    let bare = m1.client.post(format!("{}/quizzes/{id}/take", app.base)).form(&[("q.one", "1")]).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);

    let admin = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (_, page) = admin.get("/quizzes").await;
    assert!(page.contains("quiz-results-table") && page.contains("m1") && page.contains("Не сдан"), "{page}");
    assert!(page.contains("Что обязательно у сделки на «Отправлено КП»?"), "the most failed question: {page}");
    // Generate from the regulation: the editor opens with the generated questions.
    let (s, to, _) = admin.post_form_to("/quizzes/generate", &[]).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let to = to.expect("a redirect to the editor");
    let (_, editor) = admin.get(&to).await;
    assert!(editor.contains("? Какие поля обязательны на этапе «Коммуникация»?"), "{editor}");
    // Editing as text: a new question is added, the generated ones keep their wording code.
    let text = unescape(&editor[editor.find("<textarea").unwrap()..editor.find("</textarea>").unwrap()]);
    let text = format!("? Кто ставит задачи?\n+ Менеджер\n- Никто\n\n{}", &text[text.find('>').unwrap() + 1..]);
    let (s, _, body) = admin
        .post_form_to(
            &to.replace("?generated=1", ""),
            &[("title", "Регламент CRM"), ("key", "regulation"), ("pass_percent", "70"), ("questions", &text), ("assign_new_users", "on")],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (_, v) = app.get(&app.t.head, "/api/v1/quizzes").await;
    let generated = v["data"].as_array().unwrap().iter().find(|q| q["key"] == "regulation").unwrap().clone();
    assert_eq!((generated["pass_percent"].as_i64(), generated["questions"][0]["text"].as_str()), (Some(70), Some("Кто ставит задачи?")));
    assert_eq!(generated["questions"][1]["code"], "quiz_q_required_fields");
    // A bad line is shown, nothing saved.
    let (s, _, body) =
        admin.post_form_to("/quizzes/new", &[("title", "X"), ("key", "x"), ("pass_percent", "50"), ("questions", "+ без вопроса")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("строка 1"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_takes_a_quiz_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let id = setup(&app).await;
    app.patch(&app.t.admin, &format!("/api/v1/stages/{}", app.ids.stages[1]), json!({"rotting_days": 3})).await;
    let (_, generated) = app.post(&app.t.head, "/api/v1/quizzes/generate", json!({})).await;
    let generated = generated["data"]["id"].as_i64().unwrap();
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;
    b.client.goto(&format!("{}/quizzes", app.base)).await.unwrap();
    b.wait_for("#quiz-mine").await;
    b.shot("quiz-mine-ru").await;
    b.client.goto(&format!("{}/quizzes/{id}/take", app.base)).await.unwrap();
    b.wait_for("#quiz-form").await;
    b.client.find(Locator::Css("input[name='q.one'][value='1']")).await.unwrap().click().await.unwrap();
    b.client.find(Locator::Css("input[name='q.many'][value='0']")).await.unwrap().click().await.unwrap();
    b.client.find(Locator::Css("input[name='q.many'][value='2']")).await.unwrap().click().await.unwrap();
    b.shot("quiz-take-ru").await;
    b.client.find(Locator::Css("#quiz-submit")).await.unwrap().click().await.unwrap();
    b.wait_for("#quiz-score").await;
    let score = b.text_of("#quiz-score").await;
    assert!(score.contains("Тест сдан") && score.contains("100 %"), "{score}");
    b.shot("quiz-result-ru").await;

    // On a phone, in both languages: the quiz list, a quiz to take and its result.
    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        for (path, name, ready) in
            [("/quizzes".to_string(), "quiz-mine", "#quiz-mine"), (format!("/quizzes/{id}/take"), "quiz-take", "#quiz-form")]
        {
            b.client.goto(&format!("{}{path}", app.base)).await.unwrap();
            b.wait_for(ready).await;
            let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
            assert!(wide.as_i64().unwrap_or(99) <= 0, "{path} scrolls sideways by {wide}px on a phone");
            b.shot(&format!("{name}-phone-{lang}")).await;
        }
        b.client.find(Locator::Css("input[name='q.one'][value='0']")).await.unwrap().click().await.unwrap();
        b.client.find(Locator::Css("#quiz-submit")).await.unwrap().click().await.unwrap();
        b.wait_for("#quiz-score").await;
        b.shot(&format!("quiz-result-phone-{lang}")).await;
    }
    let score = b.text_of("#quiz-score").await;
    assert!(score.contains("Not passed") && score.contains("0 %"), "{score}");
    // A generated quiz reads in the reader's language: its questions, field labels and days.
    b.client.goto(&format!("{}/quizzes/{generated}/take", app.base)).await.unwrap();
    b.wait_for("#quiz-form").await;
    let form = b.text_of("#quiz-form").await;
    assert!(form.contains("Which fields are required at the stage “Коммуникация”?") && form.contains("3 days"), "{form}");
    assert!(!form.contains("дн.") && !form.contains("expected_close_date"), "{form}");
    b.shot("quiz-generated-take-phone-en").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_head_reads_results_and_generates_a_quiz_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let id = setup(&app).await;
    let path = format!("/api/v1/quizzes/{id}/attempts");
    app.post(&app.t.manager1, &path, json!({"answers": {"one": 1, "many": [0, 2]}})).await;
    app.post(&app.t.manager2, &path, json!({"answers": {"one": 0, "many": [0]}})).await;
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;
    b.client.goto(&format!("{}/quizzes", app.base)).await.unwrap();
    b.wait_for("#quiz-results-table").await;
    let results = b.text_of("#quiz-results-table").await;
    assert!(results.contains("m1") && results.contains("Сдан") && results.contains("m2") && results.contains("Не сдан"), "{results}");
    b.shot("quiz-results-ru").await;
    b.client.find(Locator::Css("#quiz-generate")).await.unwrap().click().await.unwrap();
    b.wait_for("#quiz-questions").await;
    let notice = b.text_of("#quiz-notice").await;
    assert!(notice.contains("сгенерирован"), "{notice}");
    b.shot("quiz-generated-ru").await;
    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        b.client.goto(&format!("{}/quizzes", app.base)).await.unwrap();
        b.wait_for("#quiz-results").await;
        let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
        assert!(wide.as_i64().unwrap_or(99) <= 0, "/quizzes scrolls sideways by {wide}px on a phone");
        b.shot(&format!("quiz-results-phone-{lang}")).await;
    }
}

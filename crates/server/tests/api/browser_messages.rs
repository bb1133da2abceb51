//! Refusals read in the user's language: the store's catalogue messages, rendered with field
//! labels, in a real browser, in Russian and then in English.
use crate::browser::start_browser;
use crate::helpers::*;
use fantoccini::Locator;
use serde_json::json;

/// The refusal the board shows, read and dismissed.
async fn refused(browser: &crate::browser::Browser, what: &str, shot: &str) -> String {
    browser.wait_until(what, "!document.getElementById('toast').hidden").await;
    let text = browser.text_of("#toast").await;
    browser.shot(shot).await;
    browser.client.execute("document.getElementById('toast').hidden = true;", vec![]).await.unwrap();
    text
}

/// A manager drags a deal past the stage their role may reach, then (as the head) into a stage
/// whose required field is empty: each refusal reads in Russian with the field's label, and the
/// same moves after switching to English read in English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_refusals_read_in_the_users_language_with_labels() {
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let ranges = json!({"role_ranges": [{"role": "manager", "up_to_stage_id": app.ids.stages[0]}]});
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/pipelines/{}", app.ids.pipeline), ranges).await;
    assert_eq!(s, 200, "{v}");
    let reg = json!({"regulation": {"required_fields": ["value", "expected_close_date"]}});
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{}", app.ids.stages[2]), reg).await;
    assert_eq!(s, 200, "{v}");
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Пробный заказ"})).await;
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    let head = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    app.set_password(head, "head-pass-1234").await;

    let card = format!(".deal-card[data-deal-id=\"{deal}\"]");
    let column = |i: usize| format!(".column[data-stage-id=\"{}\"] .cards", app.ids.stages[i]);

    browser.login(&app.base, "m1@a.test", "manager-pass-123").await;
    browser.drag(&card, &column(1)).await;
    let ru = refused(&browser, "the role refusal", "refusal-role-ru").await;
    assert!(ru.contains("роль «Менеджер» переводит сделки только до этапа «Новый»"), "{ru}");
    assert!(!ru.contains("moves deals"), "no English in the Russian UI: {ru}");

    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    browser.wait_for(&card).await;
    browser.drag(&card, &column(1)).await;
    let en = refused(&browser, "the role refusal in English", "refusal-role-en").await;
    assert!(en.contains("role Manager moves deals only up to stage 'Новый'"), "{en}");

    // The head may move anywhere, but the stage asks for fields: named by their labels.
    browser.client.delete_all_cookies().await.unwrap();
    browser.login(&app.base, "head@a.test", "head-pass-1234").await;
    browser.wait_for(&card).await;
    browser.drag(&card, &column(2)).await;
    let ru = refused(&browser, "the required fields", "refusal-required-ru").await;
    assert!(ru.contains("заполните: Сумма, Ожидаемая дата закрытия"), "labels, not keys: {ru}");
    assert!(!ru.contains("value") && !ru.contains("expected_close_date"), "{ru}");
    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    browser.wait_for(&card).await;
    browser.drag(&card, &column(2)).await;
    let en = refused(&browser, "the required fields in English", "refusal-required-en").await;
    assert!(en.contains("fill in: Value, Expected close date"), "{en}");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[0], "nothing moved");
}

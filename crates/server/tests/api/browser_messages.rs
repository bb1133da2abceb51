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

    // The head may move anywhere, but the stage asks for fields: a dialog with exactly those,
    // labelled in the reader's language; saving it completes the move.
    browser.client.delete_all_cookies().await.unwrap();
    browser.login(&app.base, "head@a.test", "head-pass-1234").await;
    browser.wait_for(&card).await;
    browser.drag(&card, &column(2)).await;
    browser.wait_until("the dialog of required fields", "document.getElementById('dialog').open").await;
    let ru = browser.text_of("#dialog").await;
    browser.shot("stage-dialog-ru").await;
    assert!(
        ru.contains("Чтобы перейти на этап") && ru.contains("Сумма") && ru.contains("Ожидаемая дата закрытия"),
        "labels, not keys: {ru}"
    );
    browser.client.find(Locator::Css("#dialog [data-dialog-close]")).await.unwrap().click().await.unwrap();
    browser.wait_until("the dialog closed", "!document.getElementById('dialog').open").await;
    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    browser.wait_for(&card).await;
    browser.drag(&card, &column(2)).await;
    browser.wait_until("the dialog in English", "document.getElementById('dialog').open").await;
    let en = browser.text_of("#dialog").await;
    browser.shot("stage-dialog-en").await;
    assert!(en.contains("To move to stage") && en.contains("Value") && en.contains("Expected close date"), "{en}");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[0], "nothing moved yet");
    browser.client.find(Locator::Css("#f-value")).await.unwrap().send_keys("1500000").await.unwrap();
    browser.client.execute("document.getElementById('f-expected_close_date').value = '2026-12-20';", vec![]).await.unwrap();
    browser.client.find(Locator::Css("#dialog button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.wait_for(&format!(".column[data-stage-id=\"{}\"] {card}", app.ids.stages[2])).await;
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[2], "the move is complete");
    assert_eq!(v["data"]["value"], 150_000_000, "the amount as grouped and typed");
}

/// An administrator sees a locked-out manager in Settings → Users and lifts the lockout; the page
/// in Russian and English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_unlocks_a_locked_user_in_the_browser() {
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let m3 = app.ids.manager3;
    app.set_password(m3, "m3-good-long-secret").await;
    for _ in 0..5 {
        app.client
            .post(format!("{}/api/v1/auth/login", app.base))
            .json(&json!({"email": "m3@a.test", "password": "wrong-password-1"}))
            .send()
            .await
            .unwrap();
    }
    app.set_password(app.ids.admin, "admin-pass-123").await;
    browser.login(&app.base, "admin@a.test", "admin-pass-123").await;
    browser.client.goto(&format!("{}/settings/users", app.base)).await.unwrap();
    let row = browser.wait_for(&format!("#user-{m3}")).await.text().await.unwrap();
    assert!(row.contains("Заблокирован до") && row.contains("Разблокировать"), "{row}");
    browser.shot("settings-users-locked-ru").await;

    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    let row = browser.wait_for(&format!("#user-{m3}")).await.text().await.unwrap();
    assert!(row.contains("Locked until") && row.contains("Unlock"), "{row}");
    browser.shot("settings-users-locked-en").await;

    browser.client.find(Locator::Css(&format!("#user-{m3} form[action$='/unlock'] button"))).await.unwrap().click().await.unwrap();
    browser.wait_until("the unlock notice", "document.querySelector('#settings-body .notice.ok')").await;
    let row = browser.text_of(&format!("#user-{m3}")).await;
    assert!(!row.contains("Locked until"), "the badge is gone: {row}");
    browser.shot("settings-users-unlocked-en").await;
    let resp = app
        .client
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"email": "m3@a.test", "password": "m3-good-long-secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "the right password works again");
}

//! In a real browser: a manager sends the client an e-mail with a file of the card from the
//! composer and sees it on the timeline with the file named; an administrator switches a client
//! notification on in Settings → Client notifications; a user sets their own mail account.
//! Russian, English, a phone.
use crate::browser::start_browser;
use crate::helpers::*;
use fantoccini::Locator;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_sends_a_file_from_the_card_and_an_admin_sets_up_notifications() {
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (s, v) = app.post(&app.t.admin, "/api/v1/message_templates/defaults", json!({})).await;
    assert!(s.is_success(), "{v}");
    let person = app.create(&app.t.manager1, "persons", json!({"name": "Ольга Петрова", "email": "olga@client.ru"})).await;
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Поставка станков", "person_id": person})).await;
    let boundary = "----poryadok-browser";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"smeta.txt\"\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(b"Smeta: 150000 RUB\n");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = app
        .client
        .post(format!("{}/api/v1/deals/{deal}/files", app.base))
        .bearer_auth(&app.t.manager1)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);

    app.set_password(app.ids.manager1, "manager-pass-123").await;
    browser.login(&app.base, "m1@a.test", "manager-pass-123").await;
    browser.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    browser.wait_for("#reply-files").await;
    let composer = browser.text_of("#reply").await;
    assert!(composer.contains("smeta.txt") && composer.contains("Приложить файлы"), "{composer}");
    browser.client.find(Locator::Css("#reply-files input[type=checkbox]")).await.unwrap().click().await.unwrap();
    browser.client.find(Locator::Css("#reply-subject")).await.unwrap().send_keys("Смета").await.unwrap();
    browser.client.find(Locator::Css("#reply-text")).await.unwrap().send_keys("Ольга, смета во вложении.").await.unwrap();
    browser
        .client
        .execute("window.scrollTo(0, document.getElementById('reply').getBoundingClientRect().top + window.scrollY - 60);", vec![])
        .await
        .unwrap();
    browser.shot("reply-attachment-ru").await;
    browser.client.find(Locator::Css("#reply button[type=submit]")).await.unwrap().click().await.unwrap();
    browser
        .wait_until(
            "the e-mail on the timeline",
            "document.querySelector('#timeline .timeline') && document.querySelector('#timeline .timeline').textContent.indexOf('смета во вложении') >= 0",
        )
        .await;
    let timeline = browser.text_of("#timeline .timeline").await;
    assert!(timeline.contains("Файлы: smeta.txt"), "the file is named on the timeline: {timeline}");
    browser
        .client
        .execute(
            "window.scrollTo(0, document.querySelector('#timeline .timeline').getBoundingClientRect().top + window.scrollY - 300);",
            vec![],
        )
        .await
        .unwrap();
    browser.shot("reply-attachment-sent-ru").await;

    // English, on a phone: the composer with its file list fits.
    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    browser.fit_viewport(390, 844).await;
    browser.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    browser.wait_for("#reply-files").await;
    let composer = browser.text_of("#reply").await;
    assert!(composer.contains("Attach the card's files"), "{composer}");
    let timeline = browser.text_of("#timeline .timeline").await;
    assert!(timeline.contains("Files: smeta.txt"), "{timeline}");
    let overflow: bool = browser
        .client
        .execute("return document.documentElement.scrollWidth > window.innerWidth + 1;", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(!overflow, "the card fits a phone's width");
    browser
        .client
        .execute("window.scrollTo(0, document.getElementById('reply').getBoundingClientRect().top + window.scrollY - 60);", vec![])
        .await
        .unwrap();
    browser.shot("reply-attachment-en-390").await;

    // The user's own mail account on their profile: the password is never shown back.
    browser.client.goto(&format!("{}/profile/mail", app.base)).await.unwrap();
    browser.wait_for("#own-smtp-form").await;
    browser.client.find(Locator::Css("#smtp-host")).await.unwrap().send_keys("smtp.yandex.ru").await.unwrap();
    browser.client.find(Locator::Css("#smtp-login")).await.unwrap().send_keys("m1@a.test").await.unwrap();
    browser.client.find(Locator::Css("#smtp-password")).await.unwrap().send_keys("hunter2").await.unwrap();
    browser.client.find(Locator::Css("#own-smtp-save")).await.unwrap().click().await.unwrap();
    browser.wait_for("#own-smtp-saved").await;
    let html = browser.client.source().await.unwrap();
    assert!(!html.contains("hunter2"), "the password is not on the page");
    browser.shot("own-smtp-en-390").await;

    // An administrator switches the missed-call apology on.
    app.set_password(app.ids.admin, "admin-pass-123").await;
    browser.client.delete_all_cookies().await.unwrap();
    browser.fit_viewport(1280, 900).await;
    browser.login(&app.base, "admin@a.test", "admin-pass-123").await;
    browser.client.goto(&format!("{}/settings/client_notifications", app.base)).await.unwrap();
    browser.wait_for("#client-notify-form").await;
    let page = browser.text_of("main").await;
    assert!(page.contains("Уведомления клиентам") || page.contains("Client notifications"), "{page}");
    let n = app.get(&app.t.admin, "/api/v1/client_notifications").await.1["data"]["rules"].as_array().unwrap().len() - 2;
    browser.client.find(Locator::Css(&format!("#notify-enabled-{n}"))).await.unwrap().click().await.unwrap();
    browser.client.find(Locator::Css("#quiet-hours")).await.unwrap().send_keys("21:00-09:00").await.unwrap();
    browser.client.find(Locator::Css("#client-notify-save")).await.unwrap().click().await.unwrap();
    browser.wait_for("#client-notify-saved").await;
    browser.shot("client-notify-settings").await;
    // In English, on a phone.
    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    browser.fit_viewport(390, 844).await;
    browser.client.goto(&format!("{}/settings/client_notifications", app.base)).await.unwrap();
    browser.wait_for("#client-notify-form").await;
    let page = browser.text_of("main").await;
    assert!(page.contains("Client notifications") && page.contains("Missed call"), "{page}");
    let overflow: bool = browser
        .client
        .execute("return document.documentElement.scrollWidth > window.innerWidth + 1;", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(!overflow, "the settings fit a phone's width");
    browser.shot("client-notify-settings-en-390").await;
    let (_, v) = app.get(&app.t.admin, "/api/v1/client_notifications").await;
    assert_eq!(v["data"]["quiet_hours"], "21:00-09:00", "{v}");
    let missed = v["data"]["rules"].as_array().unwrap().iter().find(|r| r["event"] == "missed_call").unwrap().clone();
    assert_eq!(missed["enabled"], true, "{v}");
}

//! A manager writes to a client from the deal card in a real browser: the composer loads with
//! the client's channels, a template fills the text, the message appears on the timeline with
//! its delivery state; a mention in a note shows who was mentioned. Russian, English, a phone.
use crate::browser::start_browser;
use crate::helpers::*;
use fantoccini::Locator;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_writes_to_the_client_from_the_card() {
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &app.t.admin,
            "/api/v1/whatsapp_gateway",
            Some(json!({"url": "http://127.0.0.1:9/send", "method": "POST", "content_type": "application/json", "body": "{\"to\": \"{to}\", \"text\": \"{text}\"}"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &app.t.admin,
            "/api/v1/message_templates",
            json!({"key": "hello", "channel": "sms", "body": "{contact}, это {manager} из {company}."}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let person = app.create(&app.t.manager1, "persons", json!({"name": "Ольга Петрова", "phone": "+79161112233"})).await;
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Поставка станков", "person_id": person})).await;
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    browser.login(&app.base, "m1@a.test", "manager-pass-123").await;
    browser.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    browser.wait_for("#reply-channel").await;
    let composer = browser.text_of("#reply").await;
    assert!(composer.contains("Написать клиенту") && composer.contains("+79161112233"), "{composer}");
    assert!(composer.contains("нет канала «email»") || composer.contains("нет канала"), "the e-mail option says why not: {composer}");
    browser.shot("reply-composer-ru").await;

    // WhatsApp is the first usable channel; a template fills the text from the card.
    browser.client.execute("var s = document.getElementById('reply-template'); s.value = s.options[1].value; s.dispatchEvent(new Event('change', {bubbles: true}));", vec![]).await.unwrap();
    browser
        .wait_until(
            "the template filled in",
            "document.getElementById('reply-text') && document.getElementById('reply-text').value.indexOf('Ольга Петрова') === 0",
        )
        .await;
    let text: String =
        browser.client.execute("return document.getElementById('reply-text').value;", vec![]).await.unwrap().as_str().unwrap().to_string();
    assert_eq!(text, "Ольга Петрова, это m1 из Вектор.");
    browser.client.find(Locator::Css("#reply button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.wait_until("the message on the timeline", "document.querySelector('#timeline .timeline') && document.querySelector('#timeline .timeline').textContent.indexOf('это m1 из Вектор') >= 0").await;
    let timeline = browser.text_of("#timeline .timeline").await;
    assert!(timeline.contains("Исходящее") && timeline.contains("отправляется"), "{timeline}");
    browser.shot("reply-sent-ru").await;

    // A note with a mention shows who was mentioned.
    browser.client.find(Locator::Css("#note-content")).await.unwrap().send_keys("@m2 подхватишь завтра?").await.unwrap();
    browser.client.find(Locator::Css("#note-form button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.wait_until("the mention on the note", "document.querySelector('#timeline').textContent.indexOf('Упомянуты: m2') >= 0").await;

    // English, on a phone.
    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    browser.fit_viewport(390, 844).await;
    browser.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    browser.wait_for("#reply-channel").await;
    let composer = browser.text_of("#reply").await;
    assert!(composer.contains("Write to the client") && composer.contains("Send"), "{composer}");
    let overflow: bool = browser
        .client
        .execute("return document.documentElement.scrollWidth > window.innerWidth + 1;", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(!overflow, "the card fits a phone's width");
    browser.shot("reply-composer-en-390").await;
}

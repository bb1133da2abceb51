//! A manager calls a client from the deal card in a real browser: the Call block lists the
//! client's phone with a Call button, pressing it shows "Calling…" (the fake provider took it),
//! and a provider that refuses shows why. Russian, English, a phone's width.
use crate::browser::start_browser;
use crate::click_to_call::{callback, client_with_deal, fake_pbx};
use crate::helpers::*;
use crate::intake::source;
use fantoccini::Locator;
use serde_json::json;
use std::sync::{Arc, Mutex};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_calls_the_client_from_the_card() {
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (person, deal) = client_with_deal(&app).await;
    // Before any source can call, the number is a tel: link with the reason.
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    browser.login(&app.base, "m1@a.test", "manager-pass-123").await;
    browser.client.goto(&format!("{}/persons/{person}", app.base)).await.unwrap();
    browser.wait_for("#card-call .call-tel").await;
    let block = browser.text_of("#card-call").await;
    assert!(block.contains("+7 999 123-45-67") && block.contains("запрос обратного звонка"), "{block}");
    assert!(browser.client.find(Locator::Css("#card-call .call-button")).await.is_err(), "no Call button without a callback request");
    browser
        .client
        .execute(
            "var el = document.getElementById('card-call'); window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 70);",
            vec![],
        )
        .await
        .unwrap();
    browser.shot("call-tel-only-ru").await;
    // A meeting's recording on the timeline is a link (a call's recording would play in place).
    let meeting = json!({"type": "meeting", "subject": "Запись встречи: Демо", "done": true, "deal_id": deal, "person_id": person,
                         "duration_min": 42, "recording_url": "https://zoom.us/rec/play/abc", "owner_id": app.ids.manager1});
    app.create(&app.t.admin, "activities", meeting).await;

    let (pbx, seen) = fake_pbx(200, Arc::new(Mutex::new(None))).await;
    let src = source(&app, "telephony", json!({"callback": callback(&pbx)})).await;
    browser.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    browser.wait_for("#card-call .call-button").await;
    browser
        .client
        .execute(
            "var el = document.getElementById('card-call'); window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 70);",
            vec![],
        )
        .await
        .unwrap();
    browser.shot("call-card-ru").await;
    browser.client.find(Locator::Css("#card-call .call-button")).await.unwrap().click().await.unwrap();
    browser.wait_until("calling", "document.querySelector('#call-state .call-calling') !== null").await;
    let state = browser.text_of("#call-state").await;
    assert!(state.contains("Звоним") && state.contains("101") && state.contains("+7 999 123-45-67"), "{state}");
    assert_eq!(seen.lock().unwrap().len(), 1, "the provider got the request");
    browser
        .client
        .execute(
            "var el = document.getElementById('card-call'); window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 70);",
            vec![],
        )
        .await
        .unwrap();
    browser.shot("call-calling-ru").await;
    let link = browser.wait_for(".tl-recording a").await;
    assert_eq!(link.attr("href").await.unwrap().as_deref(), Some("https://zoom.us/rec/play/abc"));
    browser
        .client
        .execute(
            "var el = document.querySelector('.tl-recording'); window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 200);",
            vec![],
        )
        .await
        .unwrap();
    browser.shot("meeting-recording-ru").await;

    // The provider refuses: the reason shows, in English, on a phone.
    let (refusing, _) = fake_pbx(503, Arc::new(Mutex::new(None))).await;
    let (s, v) =
        app.patch(&app.t.admin, &format!("/api/v1/intake/sources/{}", src.id), json!({"config": {"callback": callback(&refusing)}})).await;
    assert_eq!(s, 200, "{v}");
    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    browser.fit_viewport(390, 844).await;
    browser.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    browser.wait_for("#card-call .call-button").await;
    browser.client.find(Locator::Css("#card-call .call-button")).await.unwrap().click().await.unwrap();
    browser.wait_until("the refusal", "document.querySelector('#call-state .call-failed') !== null").await;
    let state = browser.text_of("#call-state").await;
    assert!(state.contains("not placed") && state.contains("HTTP 503"), "{state}");
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
        .execute(
            "var el = document.getElementById('card-call'); window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 70);",
            vec![],
        )
        .await
        .unwrap();
    browser.shot("call-failed-en-390").await;
}

//! Screens of this session looked at in a real browser, in Russian and English and on a phone:
//! a person's own time zone on the profile page, a meetings source's mapping table, the
//! composer's upload from disk, and the bonus report refusing deals in two currencies.
use crate::bonus::{put_split, rub, won};
use crate::browser::{start_browser, Browser};
use crate::helpers::*;
use crate::intake::source;
use fantoccini::Locator;
use serde_json::json;

async fn fits_a_phone(b: &Browser, what: &str) {
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "{what} scrolls sideways by {wide}px on a phone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_time_zone_and_a_meetings_mapping_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let hook = source(&app, "meetings", json!({"preset": "zoom"})).await;
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;

    // The profile: the zone typed and saved, the page says what time it is there.
    b.client.goto(&format!("{}/profile/tokens", app.base)).await.unwrap();
    b.wait_for("#own-timezone").await;
    let input = b.client.find(Locator::Css("#own-tz")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("Asia/Yekaterinburg").await.unwrap();
    b.client.find(Locator::Css("#own-tz-save")).await.unwrap().click().await.unwrap();
    b.wait_for("#own-tz-saved").await;
    let (_, me) = app.get(&app.t.admin, "/api/v1/me").await;
    assert_eq!(me["data"]["user"]["timezone"], "Asia/Yekaterinburg", "{me}");
    b.shot("profile-timezone-ru").await;

    // The meetings source: the mapping table with Zoom's paths.
    b.client.goto(&format!("{}/settings/intake/{}", app.base, hook.id)).await.unwrap();
    b.wait_for("#map_topic").await;
    let placeholder = b.client.execute("return document.getElementById('map_topic').placeholder;", vec![]).await.unwrap();
    assert_eq!(placeholder, json!("payload.object.topic"));
    b.shot("intake-meetings-mapping-ru").await;

    b.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    b.wait_until("English", "document.documentElement.lang === 'en'").await;
    b.fit_viewport(390, 844).await;
    b.client.goto(&format!("{}/profile/tokens", app.base)).await.unwrap();
    b.wait_for("#own-timezone").await;
    fits_a_phone(&b, "the profile page").await;
    b.shot("profile-timezone-en-390").await;
    b.client.goto(&format!("{}/settings/intake/{}", app.base, hook.id)).await.unwrap();
    b.wait_for("#map_topic").await;
    assert!(b.text_of("#intake-mapping").await.contains("Meeting field"));
    fits_a_phone(&b, "the meetings source's page").await;
    b.shot("intake-meetings-mapping-en-390").await;

    // The composer on a phone: the upload from disk beside the text.
    let person = app.create(&app.t.admin, "persons", json!({"name": "Ольга Петрова", "email": "olga@client.test"})).await;
    let deal = app.create(&app.t.admin, "deals", json!({"title": "Поставка станков", "person_id": person})).await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_for("#reply-upload").await;
    b.client.execute("document.getElementById('reply-upload').scrollIntoView({block: 'center'});", vec![]).await.unwrap();
    fits_a_phone(&b, "the deal card with the composer").await;
    assert!(b.text_of("#reply").await.contains("Attach a file"), "the upload is labelled in English");
    b.shot("reply-upload-en-390").await;

    // The bonus report over deals in two currencies says so instead of adding them up.
    let (s, v) = put_split(&app, &app.t.admin, app.ids.pipeline, json!({"basis": "revenue", "shares": {"manager": 5}})).await;
    assert_eq!(s, 200, "{v}");
    won(&app, app.ids.pipeline, "В рублях", app.ids.manager1, rub(100_000), &[], json!({})).await;
    let usd = won(&app, app.ids.pipeline, "In dollars", app.ids.manager1, 1_000_000, &[], json!({})).await;
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{usd}"), json!({"currency": "USD"})).await;
    assert_eq!(s, 200, "{v}");
    b.client.goto(&format!("{}/bonus?from=2026-11-01&to=2026-11-30", app.base)).await.unwrap();
    b.wait_for("#bonus-error").await;
    assert!(b.text_of("#bonus-error").await.contains("USD"), "the refusal names the currencies");
    b.wait_for("form input[name=from]").await;
    fits_a_phone(&b, "the bonus page").await;
    b.shot("bonus-currencies-en-390").await;
    b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
    b.wait_until("Russian", "document.documentElement.lang === 'ru'").await;
    b.fit_viewport(1366, 768).await;
    b.client.goto(&format!("{}/bonus?from=2026-11-01&to=2026-11-30", app.base)).await.unwrap();
    b.wait_for("#bonus-error").await;
    b.shot("bonus-currencies-ru").await;
}

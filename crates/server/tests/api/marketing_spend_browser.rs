//! The spend page in a real browser: a head finds the empty state, enters a day's spend through
//! the form and sees it confirmed and totalled, previews a Yandex Direct export and imports it
//! (the rows appear without a reload), sets a channel alias, and reads the page on a phone in
//! Russian and English without sideways scrolling; with screenshots.
use crate::browser::start_browser;
use crate::helpers::*;
use crate::marketing_spend::YANDEX;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_enters_and_imports_spend_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (_, me) = app.get(&app.t.head, "/api/v1/me").await;
    app.set_password(me["data"]["user"]["id"].as_i64().unwrap(), "head-pass-123").await;
    b.login(&app.base, "head@a.test", "head-pass-123").await;

    b.client.goto(&format!("{}/marketing/spend", app.base)).await.unwrap();
    b.wait_for("#spend-empty").await;
    b.shot("spend-empty-ru").await;

    // A day's spend through the form (the form is open while there is nothing to show).
    b.client.execute("document.getElementById('spend-add-from').value = '2026-11-20';", vec![]).await.unwrap();
    b.client.find(Locator::Css("#spend-add-channel")).await.unwrap().send_keys("Яндекс.Директ").await.unwrap();
    b.client.find(Locator::Css("#spend-add-campaign")).await.unwrap().send_keys("brand").await.unwrap();
    b.client.find(Locator::Css("#spend-add-amount")).await.unwrap().send_keys("1 500,50").await.unwrap();
    b.client.find(Locator::Css("#spend-add-clicks")).await.unwrap().send_keys("12").await.unwrap();
    b.client.find(Locator::Css("#spend-add-save")).await.unwrap().click().await.unwrap();
    b.wait_for("#spend-saved").await;
    let saved = b.text_of("#spend-saved").await;
    assert!(saved.contains("1 500,50 ₽"), "{saved}");
    let totals = b.text_of("#spend-totals").await;
    assert!(totals.contains("yandex") && totals.contains("1 500,50 ₽") && totals.contains("125,04 ₽"), "the cost of a click: {totals}");
    b.shot("spend-saved-ru").await;

    // A Yandex Direct export: the preview, then for real.
    let file = std::env::temp_dir().join(format!("spend-{}.csv", std::process::id()));
    std::fs::write(&file, YANDEX).unwrap();
    b.client.execute("document.getElementById('spend-import').open = true;", vec![]).await.unwrap();
    b.client.find(Locator::Css("#spend-file")).await.unwrap().send_keys(&file.display().to_string()).await.unwrap();
    b.client.find(Locator::Css("#spend-preview")).await.unwrap().click().await.unwrap();
    b.wait_for("#spend-import-lines").await;
    let summary = b.text_of("#spend-import-summary").await;
    assert!(summary.contains("Яндекс.Директ") && summary.contains("будет новых 2") && summary.contains("Ничего не сохранено"), "{summary}");
    b.client.execute("document.getElementById('spend-import-result').scrollIntoView();", vec![]).await.unwrap();
    b.shot("spend-import-preview-ru").await;
    b.client.find(Locator::Css("#spend-apply")).await.unwrap().click().await.unwrap();
    b.wait_until("the import", "document.getElementById('spend-import-summary').innerText.startsWith('Загружено')").await;
    b.wait_until("the rows refreshed", "document.getElementById('spend-rows').innerText.includes('crm_msk_search')").await;
    let _ = std::fs::remove_file(&file);

    // An alias.
    b.client.execute("document.getElementById('spend-aliases').open = true;", vec![]).await.unwrap();
    b.client.find(Locator::Css("#spend-alias")).await.unwrap().send_keys("Дзен").await.unwrap();
    b.client.find(Locator::Css("#spend-alias-channel")).await.unwrap().send_keys("promopages").await.unwrap();
    b.client.find(Locator::Css("#spend-alias-save")).await.unwrap().click().await.unwrap();
    b.wait_for("#spend-aliases-saved").await;
    assert!(b.text_of("#spend-alias-table").await.contains("дзен"));

    // On a phone, in both languages.
    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        b.client.goto(&format!("{}/marketing/spend", app.base)).await.unwrap();
        b.wait_for("#spend-rows").await;
        let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
        if wide.as_i64().unwrap_or(99) > 0 {
            let who = b.client.execute("const free = e => { for (let p = e.parentElement; p; p = p.parentElement) { if (getComputedStyle(p).overflowX !== 'visible' && p !== document.body && p !== document.documentElement) return false; } return true; }; return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && free(e)).slice(0, 12).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('\\n');", vec![]).await.unwrap();
            b.shot(&format!("spend-phone-{lang}-wide")).await;
            panic!("the spend page scrolls sideways by {wide}px on a phone:\n{}", who.as_str().unwrap_or(""));
        }
        b.shot(&format!("spend-phone-{lang}")).await;
        b.client
            .execute("document.getElementById('spend-add').open = true; document.getElementById('spend-add').scrollIntoView();", vec![])
            .await
            .unwrap();
        b.shot(&format!("spend-phone-{lang}-form")).await;
    }
    let heading = b.text_of("h1").await;
    assert_eq!(heading, "Advertising spend");
}

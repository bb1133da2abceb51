//! The import in a real browser: an administrator uploads an amoCRM CSV in Windows-1251, sees the
//! columns mapped by the preset and the stages by name, maps the unknown stage to "lost", runs a
//! dry run (counts and a failed row in place), imports, opens an imported deal from the result,
//! and rolls the import back after confirming; in Russian, in English and on a phone, with
//! screenshots.
use crate::browser::start_browser;
use crate::helpers::*;
use crate::imports::{cp1251, AMO_CSV};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_uploads_maps_previews_imports_and_rolls_back_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;

    b.client.goto(&format!("{}/imports", app.base)).await.unwrap();
    b.wait_for("#import-upload-form").await;
    b.shot("import-upload-ru").await;
    let file = std::env::temp_dir().join(format!("amocrm-{}.csv", std::process::id()));
    std::fs::write(&file, cp1251(AMO_CSV)).unwrap();
    b.client.find(Locator::Css("#import-file")).await.unwrap().send_keys(&file.display().to_string()).await.unwrap();
    b.client.find(Locator::Css("#import-upload-button")).await.unwrap().click().await.unwrap();
    b.wait_for("#import-map-form").await;
    let _ = std::fs::remove_file(&file);
    // The preset filled the selects.
    let title = b.client.execute("return document.getElementById('col-1').value;", vec![]).await.unwrap();
    assert_eq!(title.as_str(), Some("title"));
    let phone = b.client.execute("return document.getElementById('col-8').value;", vec![]).await.unwrap();
    assert_eq!(phone.as_str(), Some("person_phone"));
    b.shot("import-mapping-ru").await;

    // A dry run: counts and the failed rows, in place.
    b.client.find(Locator::Css("#import-dry-run")).await.unwrap().click().await.unwrap();
    b.wait_for("#import-errors").await;
    let errors = b.text_of("#import-errors").await;
    assert!(errors.contains("Переговоры") && errors.contains("Бюджет"), "{errors}");
    let summary = b.text_of("#import-report").await;
    assert!(summary.contains("Ничего не записано"), "{summary}");
    b.client.execute("document.getElementById('import-result').scrollIntoView();", vec![]).await.unwrap();
    b.shot("import-dry-run-ru").await;

    // The unknown stage is mapped to "lost"; the run leads to the result.
    b.client
        .execute(
            "var s = Array.from(document.querySelectorAll('#import-values-stage input[type=hidden]')).find(i => i.value === 'Переговоры'); \
             var sel = document.getElementById(s.name.replace('valkey.', 'val-').replace('.', '-')); sel.value = 'lost';",
            vec![],
        )
        .await
        .unwrap();
    b.client.find(Locator::Css("#import-go")).await.unwrap().click().await.unwrap();
    b.wait_for("#import-rollback-form").await;
    let counts = b.text_of("#import-report").await;
    assert!(counts.contains("Импорт выполнен"), "{counts}");
    assert_eq!(app.all_records(&app.t.admin, "deals", "", 100).await.len(), 4, "rows 101, 102, 103 and 105 (lost)");
    b.shot("import-result-ru").await;

    // A record opens from the result.
    let href = b
        .client
        .execute("return document.querySelector('#import-records a[href^=\"/deals/\"]').getAttribute('href');", vec![])
        .await
        .unwrap();
    let href = href.as_str().unwrap().to_string();
    b.client.goto(&format!("{}{href}", app.base)).await.unwrap();
    b.wait_until("the card", "document.body.innerText.includes('импорт')").await;
    b.shot("import-deal-card-ru").await;

    // On a phone, in both languages, then the rollback after confirming.
    b.fit_viewport(390, 844).await;
    let id = href.len(); // any; the page of the latest import is found from the list
    let _ = id;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        b.client.goto(&format!("{}/imports", app.base)).await.unwrap();
        b.wait_for("#import-history").await;
        let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
        assert!(wide.as_i64().unwrap_or(99) <= 0, "/imports scrolls sideways by {wide}px on a phone");
        b.shot(&format!("import-list-phone-{lang}")).await;
        b.client.execute("document.querySelector('#import-history tbody a').click();", vec![]).await.unwrap();
        b.wait_for("#import-rollback-form").await;
        let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
        assert!(wide.as_i64().unwrap_or(99) <= 0, "the import's page scrolls sideways by {wide}px on a phone");
        b.shot(&format!("import-result-phone-{lang}")).await;
    }
    b.client.find(Locator::Css("#import-rollback")).await.unwrap().click().await.unwrap();
    b.client.accept_alert().await.unwrap();
    b.wait_until("rolled back", "!document.getElementById('import-rollback-form')").await;
    assert!(b.text_of("#import-status").await.contains("rolled back"));
    assert!(app.all_records(&app.t.admin, "deals", "", 100).await.is_empty());
    b.shot("import-rolled-back-phone-en").await;
}

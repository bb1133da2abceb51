//! An administrator changes the regulation as a file in a real browser: uploads an edited
//! export, reads the plan (the changed stage, the deals a new required field keeps out, the
//! stage linter's warning), applies it and sees the new version; then the versions and a
//! version's diff in English on a phone's 390 px.
use crate::browser::start_browser;
use crate::helpers::*;
use fantoccini::Locator;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_uploads_plans_and_applies_the_regulation_file() {
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for _ in 0..3 {
        app.create(&app.t.admin, "deals", json!({"title": "Без суммы", "pipeline_id": app.ids.pipeline, "stage_id": app.ids.stages[0]}))
            .await;
    }
    let export =
        app.client.get(format!("{}/api/v1/regulation", app.base)).bearer_auth(&app.t.admin).send().await.unwrap().text().await.unwrap();
    let edited =
        export.replace("name = \"Новый\"", "name = \"Новый лид\"\ngoal = \"Лид квалифицирован: понятна задача и бюджет\"").replace(
            "key = \"prinyal_v_rabotu\"\nname = \"Принял в работу\"",
            "key = \"prinyal_v_rabotu\"\nname = \"Принял в работу\"\nrequired_fields = [\"value\"]",
        );
    assert_ne!(edited, export);
    let path = std::env::temp_dir().join(format!("regulation-{}.toml", std::process::id()));
    std::fs::write(&path, &edited).unwrap();

    app.set_password(app.ids.admin, "admin-pass-12345").await;
    browser.login(&app.base, "admin@a.test", "admin-pass-12345").await;
    browser.client.goto(&format!("{}/settings/workspace", app.base)).await.unwrap();
    browser.wait_for("#regfile-link").await.click().await.unwrap();
    browser.wait_for("#regfile-form").await;
    browser.shot("regulation-file-ru").await;
    browser.client.find(Locator::Css("#regfile-file")).await.unwrap().send_keys(&path.display().to_string()).await.unwrap();
    browser.client.find(Locator::Css("#regfile-plan-button")).await.unwrap().click().await.unwrap();
    browser.wait_for("#regfile-plan-body").await;
    let plan = browser.text_of("#regfile-plan-body").await;
    for want in [
        "Новый лид",
        "goal",
        "required_fields",
        "Лид квалифицирован",
        "не пустит туда открытых сделок: 3",
        "У этапа «Коммуникация» нет цели",
    ] {
        assert!(plan.contains(want), "{want} in the plan: {plan}");
    }
    browser.client.execute("document.getElementById('regfile-plan-body').scrollIntoView();", vec![]).await.unwrap();
    browser.shot("regulation-file-plan-ru").await;

    browser.client.find(Locator::Css("#regfile-apply")).await.unwrap().click().await.unwrap();
    browser.wait_for("#regfile-notice").await;
    let notice = browser.text_of("#regfile-notice").await;
    assert!(notice.contains("Регламент применён: версия 2"), "{notice}");
    let versions = browser.text_of("#regfile-versions").await;
    assert!(
        versions.contains("admin") && versions.contains("изменения в настройках"),
        "the apply by its author, the state before by the settings: {versions}"
    );
    browser.shot("regulation-file-applied-ru").await;
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/stages/{}", app.ids.stages[0])).await;
    assert_eq!(v["data"]["name"], "Новый лид");
    assert_eq!(v["data"]["goal"], "Лид квалифицирован: понятна задача и бюджет");

    // English, on a phone: the page fits, a version's diff reads field by field.
    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    browser.fit_viewport(390, 844).await;
    browser.client.goto(&format!("{}/settings/regulation-file", app.base)).await.unwrap();
    browser.wait_for("#regfile-versions").await;
    let overflow = "return document.documentElement.scrollWidth > window.innerWidth + 1;";
    assert!(!browser.client.execute(overflow, vec![]).await.unwrap().as_bool().unwrap(), "the page fits 390 px");
    browser.shot("regulation-file-en-390").await;
    browser.client.goto(&format!("{}/settings/regulation-file/versions/2", app.base)).await.unwrap();
    browser.wait_for("#regfile-changes").await;
    let diff = browser.text_of("#regfile-changes").await;
    assert!(
        diff.contains("changed") && diff.contains("Новый → Новый лид") || diff.contains("Новый") && diff.contains("Новый лид"),
        "{diff}"
    );
    assert!(!browser.client.execute(overflow, vec![]).await.unwrap().as_bool().unwrap(), "the version fits 390 px");
    browser.shot("regulation-file-version-en-390").await;
    // Roll back to version 1 from the version's page.
    browser.client.goto(&format!("{}/settings/regulation-file/versions/1", app.base)).await.unwrap();
    browser.wait_for("#regfile-rollback").await.click().await.unwrap();
    browser.wait_for("#regfile-notice").await;
    assert!(browser.text_of("#regfile-notice").await.contains("version 3"));
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/stages/{}", app.ids.stages[0])).await;
    assert_eq!(v["data"]["name"], "Новый");
    let _ = std::fs::remove_file(&path);
}

//! A manager reads the regulation in a real browser: the document from the configuration, a
//! field added since the date in yellow, the linter's warning at a vague stage, «Я прочитал(а)
//! версию N»; the head sees who has read it. Russian, English, a phone's 390 px.
use crate::browser::start_browser;
use crate::helpers::*;
use fantoccini::Locator;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_reads_the_regulation_and_marks_it_read() {
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let admin = &app.t.admin;
    let stage = |i: usize| format!("/api/v1/stages/{}", app.ids.stages[i]);
    let (s, v) = app.patch(admin, &stage(1), json!({"regulation": {"required_fields": ["value"],
        "entry_tasks": [{"type": "call", "subject": "Позвонить и выяснить потребность", "due": {"amount": 2, "unit": "hours"}, "assignee": "owner"}],
        "naming": {"template": "{org} — {title}", "mode": "apply"}}}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.patch(admin, &stage(2), json!({"name": "Думает"})).await;
    assert_eq!(s, 200, "{v}");
    // Version 1 is what everyone saw; an hour later the proposal link becomes required.
    let (s, _) = app.get(&app.t.manager1, "/api/v1/regulation/document").await;
    assert_eq!(s, 200);
    app.clock.advance(time::Duration::hours(1));
    let (s, v) = app
        .patch(admin, &stage(1), json!({"regulation": {"required_fields": ["value", "custom.proposal_link"],
            "entry_tasks": [{"type": "call", "subject": "Позвонить и выяснить потребность", "due": {"amount": 2, "unit": "hours"}, "assignee": "owner"}],
            "naming": {"template": "{org} — {title}", "mode": "apply"}}}))
        .await;
    assert_eq!(s, 200, "{v}");

    app.set_password(app.ids.manager1, "manager-pass-123").await;
    browser.login(&app.base, "m1@a.test", "manager-pass-123").await;
    browser.client.goto(&format!("{}/regulation", app.base)).await.unwrap();
    browser.wait_for("#regdoc-title").await;
    let doc = browser.text_of("article.regdoc").await;
    for want in [
        "Регламент работы в CRM",
        "1. Цель работы в CRM",
        "Принял в работу",
        "* Ссылка на КП",
        "Позвонить и выяснить потребность",
        "Пример:",
    ] {
        assert!(doc.contains(want), "{want} in the document: {doc}");
    }
    let marked = browser.text_of("#pipelines mark").await;
    assert_eq!(marked, "* Ссылка на КП", "the field added since the version before is highlighted");
    let warn: String = browser
        .client
        .execute("return Array.from(document.querySelectorAll('#pipelines .regdoc-warn')).map(e => e.textContent).join(' | ');", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(warn.contains("Этап «Думает» описывает настроение клиента"), "{warn}");
    browser.shot("regulation-doc-ru").await;
    browser.client.execute("document.getElementById('pipelines').scrollIntoView();", vec![]).await.unwrap();
    browser.shot("regulation-doc-stages-ru").await;

    browser.client.find(Locator::Css("#regdoc-read")).await.unwrap().click().await.unwrap();
    browser.wait_for("#regdoc-read-done").await;
    let done = browser.text_of("#regdoc-read-done").await;
    assert!(done.contains("Вы отметили версию 2 прочитанной"), "{done}");
    browser.shot("regulation-doc-read-ru").await;

    // English, on a phone.
    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    browser.fit_viewport(390, 844).await;
    browser.client.goto(&format!("{}/regulation", app.base)).await.unwrap();
    browser.wait_for("#regdoc-title").await;
    let doc = browser.text_of("article.regdoc").await;
    assert!(doc.contains("CRM regulation") && doc.contains("Required to enter:"), "{doc}");
    let overflow: bool = browser
        .client
        .execute("return document.documentElement.scrollWidth > window.innerWidth + 1;", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(!overflow, "the document fits a phone's width");
    browser.shot("regulation-doc-en-390").await;
    browser.client.execute("document.getElementById('pipelines').scrollIntoView();", vec![]).await.unwrap();
    browser.shot("regulation-doc-stages-en-390").await;

    // The head sees who has read the current version.
    let (_, head_id) = app.db.user_by_email("head@a.test").await.unwrap().expect("the head");
    app.set_password(head_id, "head-pass-12345").await;
    browser.client.delete_all_cookies().await.unwrap();
    browser.fit_viewport(1366, 768).await;
    browser.login(&app.base, "head@a.test", "head-pass-12345").await;
    browser.client.goto(&format!("{}/regulation#regdoc-readers", app.base)).await.unwrap();
    browser.wait_for("#regdoc-readers").await;
    let readers = browser.text_of("#regdoc-readers").await;
    assert!(readers.contains("Прочитали версию 2: 1 из") && readers.contains("не прочитал(а)"), "{readers}");
    browser.client.execute("document.getElementById('regdoc-readers').scrollIntoView();", vec![]).await.unwrap();
    browser.shot("regulation-doc-readers-ru").await;
}

//! The knowledge base in a real browser: an administrator reads the sections and an article,
//! writes a new one with a hostile `<img onerror>` (the preview and the page never run it),
//! saves and is told so; a manager's deal card at the linked stage shows the call script; the
//! pages fit a 390 px phone; the same in English.
use crate::browser::start_browser;
use crate::helpers::*;
use sea_orm::ConnectionTrait;
use serde_json::json;

async fn no_sideways_scroll(b: &crate::browser::Browser, what: &str) {
    let overflow: bool =
        b.client.execute("return document.documentElement.scrollWidth > window.innerWidth + 1;", vec![]).await.unwrap().as_bool().unwrap();
    assert!(!overflow, "{what} scrolls sideways at 390 px");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_knowledge_base_is_read_written_and_shows_the_script_on_the_card() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    conn.execute_unprepared(&format!("UPDATE pipelines SET key = 'clients' WHERE id = {}", app.ids.pipeline)).await.unwrap();
    conn.execute_unprepared(&format!("UPDATE stages SET key = 'new' WHERE id = {}", app.ids.stages[0])).await.unwrap();
    for body in [
        json!({"key": "first-call", "section": "Скрипты продаж", "title": "Первый звонок по заявке", "kind": "script", "links": ["stage:clients/new"],
               "body": "Цель — назначить демо.\n\n## 1. Представиться\n«Здравствуйте! Меня зовут …, компания «Порядок».»\n\n## 2. Выяснить задачу\n- Сколько человек в отделе?\n- Где ведёте сделки сейчас?\n\nЕсли «дорого» — см. kb:deal-name."}),
        json!({"key": "deal-name", "section": "Правила CRM", "title": "Как называть сделку", "links": ["rule:malformed_name"],
               "body": "**Компания — продукт — город**, например `ООО «Вектор» — CRM на 10 мест — Казань`."}),
    ] {
        let (s, v) = app.post(&app.t.head, "/api/v1/kb/articles", body).await;
        assert_eq!(s, 201, "{v}");
    }
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "ООО Ромашка — CRM", "stage_id": app.ids.stages[0]})).await;

    // The administrator, in Russian: the list, an article, a new article with a preview.
    app.set_password(app.ids.admin, "admin-pass-123456").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123456").await;
    b.client.goto(&format!("{}/kb", app.base)).await.unwrap();
    b.wait_for("#kb-list").await;
    let list = b.text_of("#kb-list").await;
    assert!(list.contains("Скрипты продаж") && list.contains("Первый звонок по заявке") && list.contains("Как называть сделку"), "{list}");
    b.shot("kb-list-ru").await;
    b.client.goto(&format!("{}/kb/first-call", app.base)).await.unwrap();
    b.wait_for("#kb-body h2").await;
    b.shot("kb-article-ru").await;

    b.client.goto(&format!("{}/kb/new", app.base)).await.unwrap();
    b.wait_for("#kb-title-input").await.send_keys("Возражения").await.unwrap();
    b.wait_for("#kb-section").await.send_keys("Скрипты продаж").await.unwrap();
    b.wait_for("#kb-script").await.click().await.unwrap();
    b.wait_for("#kb-body-input")
        .await
        .send_keys("## «Дорого»\n*Понимаю.* Давайте посчитаем.\n\n<img src=x onerror=\"window.__xss=1\">")
        .await
        .unwrap();
    b.wait_for("#kb-preview-button").await.click().await.unwrap();
    b.wait_until("the preview", "document.querySelector('#kb-preview em') !== null").await;
    b.shot("kb-editor-preview-ru").await;
    b.wait_for("#kb-save").await.click().await.unwrap();
    b.wait_until("saved", "document.getElementById('kb-saved') !== null").await;
    let xss = b.client.execute("return window.__xss === undefined;", vec![]).await.unwrap().as_bool().unwrap();
    assert!(xss, "an onerror handler in an article ran");
    assert!(b.text_of("#kb-saved").await.contains("Статья сохранена"));
    b.shot("kb-saved-ru").await;

    // A manager's deal card at the linked stage: the call script panel.
    b.client.delete_all_cookies().await.unwrap();
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until("the script panel", "document.querySelector('#card-script details.kb-script') !== null").await;
    let panel = b.text_of("#card-script").await;
    assert!(panel.contains("Скрипт разговора") && panel.contains("Первый звонок по заявке") && panel.contains("Представиться"), "{panel}");
    b.shot("kb-card-script-ru").await;
    b.fit_viewport(390, 844).await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until("the script panel on a phone", "document.querySelector('#card-script details.kb-script') !== null").await;
    no_sideways_scroll(&b, "the deal card with its script").await;
    b.shot("kb-card-script-390-ru").await;
    b.client.goto(&format!("{}/kb", app.base)).await.unwrap();
    b.wait_for("#kb-list").await;
    no_sideways_scroll(&b, "the knowledge base").await;
    b.shot("kb-list-390-ru").await;
    b.client.goto(&format!("{}/kb/first-call", app.base)).await.unwrap();
    b.wait_for("#kb-body").await;
    no_sideways_scroll(&b, "an article").await;
    b.shot("kb-article-390-ru").await;

    // In English.
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager1), json!({"locale": "en"})).await;
    assert_eq!(s, 200, "{v}");
    b.fit_viewport(1280, 900).await;
    b.client.goto(&format!("{}/kb", app.base)).await.unwrap();
    b.wait_until("the English list", "document.querySelector('h1')?.textContent === 'Knowledge base'").await;
    b.shot("kb-list-en").await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until("the English script panel", "document.querySelector('#card-script summary')?.textContent.includes('Call script')").await;
    b.shot("kb-card-script-en").await;
    b.client.goto(&format!("{}/kb/first-call/versions", app.base)).await.unwrap();
    b.wait_for("#kb-versions").await;
    b.shot("kb-versions-en").await;
}

//! The knowledge base (issue 23): articles rendered safely (a `<script>`, an `onerror=` handler
//! and a `javascript:` link never reach a page or the API's HTML), every save kept as a version
//! and restorable, search by a word of the body, another workspace's article is 404, only
//! administrators and heads write, and a call script shows on the card of a deal at the stage it
//! is linked to and not at another.
use crate::helpers::*;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;

crate::both_dbs!(
    articles_are_sanitised_versioned_searchable_and_scoped,
    a_call_script_shows_on_the_card_at_its_stage_only,
    the_editor_saves_confirms_and_explains_refusals,
    a_rules_faq_in_the_violations_inbox_links_its_articles,
);

const HOSTILE: &str = "# Как заполнить название сделки\n\nНазвание: **Компания — продукт**.\n\n\
    <script>alert('xss')</script>\n\n<img src=x onerror=\"alert('img')\">\n\n[нажми](javascript:alert('link'))\n\n\
    [сайт](https://example.ru)";

async fn article(app: &TestApp, token: &str, body: serde_json::Value) -> serde_json::Value {
    let (s, v) = app.post(token, "/api/v1/kb/articles", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"].clone()
}

fn assert_clean(html: &str) {
    for bad in ["<script>alert", "alert('xss')", "onerror", "javascript:", "alert('img')"] {
        assert!(!html.contains(bad), "{bad} reached the page: {html}");
    }
}

async fn articles_are_sanitised_versioned_searchable_and_scoped(app: TestApp) {
    let a = article(&app, &app.t.head, json!({"section": "Правила", "title": "Название сделки", "body": HOSTILE})).await;
    assert_eq!(a["key"], "nazvanie-sdelki", "a key is made from the title");
    assert_eq!(a["version"], 1);
    let html = a["html"].as_str().unwrap();
    assert_clean(html);
    assert!(html.contains("<strong>Компания — продукт</strong>"), "{html}");
    assert!(html.contains("href=\"https://example.ru\""), "{html}");

    // The page a manager reads.
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, page) = ui.get("/kb/nazvanie-sdelki").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Компания — продукт"), "{page}");
    assert_clean(&page);

    // Two more saves: three versions, newest first, each with its author.
    let put = |title: &str, body: &str| json!({"section": "Правила", "title": title, "body": body});
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &app.t.admin,
            "/api/v1/kb/articles/nazvanie-sdelki",
            Some(put("Название сделки", "Вторая редакция: ИНН в конце")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["version"], 2);
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &app.t.head,
            "/api/v1/kb/articles/nazvanie-sdelki",
            Some(put("Название сделки (v3)", "Третья редакция")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.get(&app.t.manager1, "/api/v1/kb/articles/nazvanie-sdelki/versions").await;
    let versions = v["data"].as_array().unwrap();
    assert_eq!(versions.iter().map(|x| x["version"].as_i64().unwrap()).collect::<Vec<_>>(), vec![3, 2, 1]);
    assert_eq!(versions[1]["author_name"], "admin");
    assert_eq!(versions[2]["body"], HOSTILE, "the first text is kept as written");
    let (_, v1) = app.get(&app.t.manager1, "/api/v1/kb/articles/nazvanie-sdelki/versions/1").await;
    assert_clean(v1["data"]["html"].as_str().unwrap());

    // A stale If-Match is refused; restoring version 2 makes it current as version 4.
    let resp = app
        .client
        .put(format!("{}/api/v1/kb/articles/nazvanie-sdelki", app.base))
        .bearer_auth(&app.t.head)
        .header("If-Match", "\"1\"")
        .json(&put("x", "y"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
    let (s, v) = app.post(&app.t.head, "/api/v1/kb/articles/nazvanie-sdelki/versions/2/restore", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["version"], 4);
    assert_eq!(v["data"]["body"], "Вторая редакция: ИНН в конце");
    assert_eq!(v["data"]["title"], "Название сделки");

    // Search: a word of the body, in any case; every word must be there.
    article(&app, &app.t.head, json!({"key": "first-call", "section": "Скрипты", "title": "Первый звонок", "kind": "script", "body": "Представьтесь и спросите про бюджет"})).await;
    let found = |q: &str| {
        let app = &app;
        let q = q.to_string();
        async move {
            let url = format!("/api/v1/kb/articles?q={}", urlencode(&q));
            let (s, v) = app.get(&app.t.manager2, &url).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["data"].as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(found("БЮДЖЕТ").await, vec!["first-call"]);
    assert_eq!(found("инн").await, vec!["nazvanie-sdelki"]);
    assert_eq!(found("бюджет инн").await, Vec::<String>::new());
    assert_eq!(found("100%").await, Vec::<String>::new(), "% is a character, not a wildcard");
    // Most relevant first: the word in a title before the word only in a text.
    article(&app, &app.t.head, json!({"key": "budget-text", "section": "Правила", "title": "Квалификация", "body": "Узнайте бюджет"}))
        .await;
    article(&app, &app.t.head, json!({"key": "budget-title", "section": "Правила", "title": "Бюджет клиента", "body": "…"})).await;
    assert_eq!(found("бюджет").await, vec!["budget-title", "budget-text", "first-call"]);
    let (_, v) = app.get(&app.t.manager2, "/api/v1/kb/sections").await;
    assert_eq!(v["data"], json!([{"name": "Правила", "articles": 3}, {"name": "Скрипты", "articles": 1}]));

    // Managers read but do not write; another workspace sees nothing.
    let r = app.post(&app.t.manager1, "/api/v1/kb/articles", json!({"section": "s", "title": "t", "body": "b"})).await;
    refused(&r, 403, "kb_editors_only", None);
    assert_eq!(app.get(&app.t.other_admin, "/api/v1/kb/articles/first-call").await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&app.t.other_admin, "/api/v1/kb/articles/first-call/versions").await.0, StatusCode::NOT_FOUND);
    let (_, v) = app.get(&app.t.other_admin, "/api/v1/kb/articles").await;
    assert_eq!(v["data"], json!([]));
    let r = app.call(reqwest::Method::DELETE, &app.t.other_admin, "/api/v1/kb/articles/first-call", None).await;
    assert_eq!(r.0, StatusCode::NOT_FOUND);

    // Bad input names its field; a taken key is a conflict.
    let r = app.post(&app.t.head, "/api/v1/kb/articles", json!({"key": "Плохой ключ", "section": "s", "title": "t", "body": "b"})).await;
    refused(&r, 422, "kb_key_shape", Some("key"));
    let r = app.post(&app.t.head, "/api/v1/kb/articles", json!({"section": "s", "title": "t", "body": "b", "links": ["deal:1"]})).await;
    refused(&r, 422, "kb_link_shape", Some("links"));
    let r = app.post(&app.t.head, "/api/v1/kb/articles", json!({"key": "first-call", "section": "s", "title": "t", "body": "b"})).await;
    refused(&r, 409, "kb_key_taken", Some("key"));

    // Deleted: gone from reads; the key can be created again and its history comes back.
    let (s, _) = app.delete(&app.t.head, "/api/v1/kb/articles/first-call").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&app.t.manager1, "/api/v1/kb/articles/first-call").await.0, StatusCode::NOT_FOUND);
    let again =
        article(&app, &app.t.head, json!({"key": "first-call", "section": "Скрипты", "title": "Первый звонок", "body": "Новый текст"}))
            .await;
    assert_eq!(again["version"], 2, "the revived article continues its versions");
}

/// A refusal: its status, message code and field.
fn refused(r: &(StatusCode, serde_json::Value), status: u16, code: &str, field: Option<&str>) {
    assert_eq!(r.0.as_u16(), status, "{}", r.1);
    assert_eq!(r.1["error"]["message_code"], code, "{}", r.1);
    assert_eq!(r.1["error"]["field"].as_str(), field, "{}", r.1);
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Gives the test pipeline and its stages the regulation file's keys (the export gives them on
/// first use; here they are set as the export would).
async fn stage_keys(app: &TestApp) {
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    conn.execute_unprepared(&format!("UPDATE pipelines SET key = 'clients' WHERE id = {}", app.ids.pipeline)).await.unwrap();
    for (id, key) in app.ids.stages.iter().zip(["new", "taken", "talk"]) {
        conn.execute_unprepared(&format!("UPDATE stages SET key = '{key}' WHERE id = {id}")).await.unwrap();
    }
}

async fn a_call_script_shows_on_the_card_at_its_stage_only(app: TestApp) {
    stage_keys(&app).await;
    article(
        &app,
        &app.t.head,
        json!({"key": "first-call", "section": "Скрипты", "title": "Первый звонок", "kind": "script",
               "body": "Здравствуйте! Меня зовут …\n\n<script>alert('xss')</script>", "links": ["stage:clients/new"]}),
    )
    .await;
    // An instruction (not a script) linked to the same stage stays off the card.
    article(
        &app,
        &app.t.head,
        json!({"key": "naming", "section": "Правила", "title": "Как назвать сделку", "body": "…", "links": ["stage:new"]}),
    )
    .await;
    article(
        &app,
        &app.t.head,
        json!({"key": "demo-task", "section": "Правила", "title": "Как назначить демо", "body": "…", "links": ["entry_task:clients/new"]}),
    )
    .await;
    let at_new = app
        .create(&app.t.admin, "deals", json!({"title": "ООО Ромашка — CRM", "owner_id": app.ids.manager1, "stage_id": app.ids.stages[0]}))
        .await;
    let at_taken = app
        .create(&app.t.admin, "deals", json!({"title": "ООО Лютик — CRM", "owner_id": app.ids.manager1, "stage_id": app.ids.stages[1]}))
        .await;

    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, card) = ui.get(&format!("/deals/{at_new}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(card.contains(&format!("hx-get=\"/kb/card/deals/{at_new}\"")), "the card loads its script panel");
    let (s, panel) = ui.get_fragment(&format!("/kb/card/deals/{at_new}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(panel.contains("Скрипт разговора") && panel.contains("Первый звонок"), "{panel}");
    assert!(panel.contains("Здравствуйте!"), "{panel}");
    assert_eq!(panel.matches("<details").count(), 1, "an instruction is not a call script: {panel}");
    assert!(
        panel.contains("<a href=\"/kb/naming\" class=\"kb-link\">Как назвать сделку</a>"),
        "the stage's instruction is linked: {panel}"
    );
    assert!(
        panel.contains("<a href=\"/kb/demo-task\" class=\"kb-link\">Как назначить демо</a>"),
        "the entry tasks' article is linked: {panel}"
    );
    assert_clean(&panel);
    let (_, panel) = ui.get_fragment(&format!("/kb/card/deals/{at_taken}")).await;
    assert!(!panel.contains("Первый звонок"), "not at another stage: {panel}");
    // The board's column of the stage links its articles; the other columns link none.
    let (s, board) = ui.get(&format!("/board?pipeline={}", app.ids.pipeline)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(board.matches("class=\"column-kb\"").count(), 1, "{board}");
    assert!(board.contains("href=\"/kb/first-call\"") || board.contains("href=\"/kb/naming\""), "{board}");
    assert!(board.contains("Как назвать сделку") && board.contains("Первый звонок"), "both titles in the link's title: {board}");

    // Moved to the linked stage, the deal shows the script.
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{at_taken}"), json!({"stage_id": app.ids.stages[0]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, panel) = ui.get_fragment(&format!("/kb/card/deals/{at_taken}")).await;
    assert!(panel.contains("Первый звонок"), "{panel}");
    // Another workspace's deal is not readable through the panel.
    let (s, _) = app.ui_login(app.ids.manager3, "m3@a.test").await.get_fragment("/kb/card/deals/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn the_editor_saves_confirms_and_explains_refusals(app: TestApp) {
    // The links the editor saves name real stages (a link to nothing is refused).
    stage_keys(&app).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, page) = ui.get("/kb").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"kb-new\""), "an administrator may add articles");
    let (s, form) = ui.get("/kb/new").await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("name=\"csrf_token\""));

    // A bad key is explained beside its input and what was typed stays.
    let (s, body) = ui
        .post_form(
            "/kb/new",
            &[("title", "Возражения"), ("section", "Скрипты"), ("key", "Плохо"), ("body", "Дорого? — Сравним."), ("links", "")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("ключ статьи начинается"), "{body}");
    assert!(body.contains("Дорого? — Сравним."), "{body}");

    let (s, to, _) = ui
        .post_form_to(
            "/kb/new",
            &[
                ("title", "Возражения"),
                ("section", "Скрипты"),
                ("kind", "script"),
                ("body", "**Дорого?** — Сравним."),
                ("links", "stage:new"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(to.as_deref(), Some("/kb/vozrazheniya?saved=1"));
    let (_, page) = ui.get("/kb/vozrazheniya?saved=1").await;
    assert!(page.contains("id=\"kb-saved\"") && page.contains("Статья сохранена"), "{page}");
    assert!(page.contains("<strong>Дорого?</strong>"), "{page}");

    // The preview renders safely; the edit form saves a new version; the history lists both.
    let (s, preview) = ui.post_form("/kb/preview", &[("body", "*курсив* <img src=x onerror=alert(1)>")]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(preview.contains("<em>курсив</em>") && !preview.contains("onerror"), "{preview}");
    let (s, to, _) = ui
        .post_form_to(
            "/kb/vozrazheniya/edit",
            &[("version", "1"), ("title", "Возражения"), ("section", "Скрипты"), ("body", "Новый текст"), ("links", "")],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(to.as_deref(), Some("/kb/vozrazheniya?saved=1"));
    let (s, body) = ui
        .post_form("/kb/vozrazheniya/edit", &[("version", "1"), ("title", "Возражения"), ("section", "Скрипты"), ("body", "Старое")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a stale form is refused");
    assert!(body.contains("id=\"kb-stale\""), "{body}");
    let (_, history) = ui.get("/kb/vozrazheniya/versions").await;
    assert!(history.contains("id=\"kb-version-1\"") && history.contains("id=\"kb-version-2\""), "{history}");

    // Search on the page; a manager sees no editing controls and cannot post.
    let (_, found) = ui.get("/kb?q=%D0%BD%D0%BE%D0%B2%D1%8B%D0%B9").await;
    assert!(found.contains("/kb/vozrazheniya") && found.contains("id=\"kb-results\""), "{found}");
    let m = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, page) = m.get("/kb/vozrazheniya").await;
    assert!(!page.contains("id=\"kb-edit\""));
    let (s, _) = m.post_form("/kb/new", &[("title", "x"), ("section", "y"), ("body", "z")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn a_rules_faq_in_the_violations_inbox_links_its_articles(app: TestApp) {
    let body = json!({"name": "Нет суммы", "entity": "deal", "expression": "value = 0", "criticality": 1, "why": "Не виден прогноз", "fix": "Укажите сумму"});
    let rule = app.create(&app.t.head, "rules", body).await;
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    conn.execute_unprepared(&format!("UPDATE rules SET key = 'no_value' WHERE id = {rule}")).await.unwrap();
    // Another rule, so an article may link to it (a link to no rule is refused).
    let body = json!({"name": "Отрицательная сумма", "entity": "deal", "expression": "value < 0", "criticality": 2});
    let other = app.create(&app.t.head, "rules", body).await;
    conn.execute_unprepared(&format!("UPDATE rules SET key = 'other_rule' WHERE id = {other}")).await.unwrap();
    article(
        &app,
        &app.t.head,
        json!({"key": "value", "section": "Правила", "title": "Как считать сумму сделки", "body": "Без НДС.", "links": ["rule:no_value"]}),
    )
    .await;
    article(
        &app,
        &app.t.head,
        json!({"key": "other", "section": "Правила", "title": "Про другое правило", "body": "…", "links": ["rule:other_rule"]}),
    )
    .await;
    app.create(&app.t.manager1, "deals", json!({"title": "ООО Ромашка — CRM"})).await;
    let (s, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    poryadok_server::worker::Worker::new(&poryadok_server::AppState::new(app.db.clone())).run_once().await.unwrap();

    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, inbox) = ui.get("/violations").await;
    assert_eq!(s, StatusCode::OK);
    assert!(inbox.contains(&format!("id=\"group-{rule}\"")), "the violation is listed: {inbox}");
    assert!(inbox.contains("<a href=\"/kb/value\" class=\"kb-link\">Как считать сумму сделки</a>"), "{inbox}");
    assert!(!inbox.contains("Про другое правило"), "an article of another rule is not linked here");

    // A message template lists the articles linked to it in the templates' settings.
    let (s, v) = app
        .post(
            &app.t.admin,
            "/api/v1/message_templates",
            json!({"key": "welcome", "channel": "email", "subject": "Здравствуйте", "body": "Спасибо за заявку"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    article(&app, &app.t.head, json!({"key": "welcome-letter", "section": "Письма", "title": "Когда отправлять приветствие", "body": "…", "links": ["template:welcome"]})).await;
    let admin = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, page) = admin.get("/settings/templates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<a href=\"/kb/welcome-letter\" class=\"kb-link small\">Когда отправлять приветствие</a>"), "{page}");
}

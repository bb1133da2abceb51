//! Knowledge-base links where work happens (issue 23): the editor picks links from what exists
//! (a link naming nothing is refused), a stage's entry task on the Today page shows the articles
//! of that entry task and stage, and a hygiene rule's settings page links and shows its articles.
//! On both databases; the pages over HTTP, and in a real browser (RU, EN, 390 px) with
//! `PORYADOK_TEST_BROWSER=1`.
use crate::browser::start_browser;
use crate::helpers::*;
use crate::team::refused;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(links_are_picked_from_what_exists_and_show_on_today_and_the_rule_page);

/// The link targets, as the API lists them; stages and rules get their keys on this first read.
async fn targets(app: &TestApp) -> Vec<Value> {
    let (s, v) = app.get(&app.t.head, "/api/v1/kb/targets").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().clone()
}

fn link_of(targets: &[Value], kind: &str, label_ends: &str) -> String {
    targets
        .iter()
        .find(|t| t["kind"] == kind && t["label"].as_str().unwrap().ends_with(label_ends))
        .unwrap_or_else(|| panic!("no {kind} “{label_ends}” in {targets:?}"))["link"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn article(app: &TestApp, body: Value) {
    let (s, v) = app.post(&app.t.head, "/api/v1/kb/articles", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

/// A stage whose entry task (a call) is created for the deal's owner on entering it, and two
/// articles: one on how to do that entry task, one on the stage. Returns the deal moved there.
async fn setup(app: &TestApp) -> i64 {
    let stage = app.ids.stages[1];
    let reg = json!({"regulation": {"entry_tasks": [{"type": "call", "subject": "Позвонить и договориться о демо", "due": {"amount": 1, "unit": "minutes"}}]}});
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{stage}"), reg).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let all = targets(app).await;
    let (stage_link, task_link) = (link_of(&all, "stage", "Принял в работу"), link_of(&all, "entry_task", "Принял в работу"));
    article(app, json!({"key": "demo-call", "section": "Скрипты", "title": "Как договориться о демо", "kind": "script", "body": "Предложите два времени.", "links": [task_link]})).await;
    article(app, json!({"key": "taken-stage", "section": "Этапы", "title": "Что значит «Принял в работу»", "body": "Менеджер связался с клиентом.", "links": [stage_link]})).await;
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "ООО Ромашка — CRM", "stage_id": app.ids.stages[0]})).await;
    let (s, v) = app.patch(&app.t.manager1, &format!("/api/v1/deals/{deal}"), json!({"stage_id": stage})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    deal
}

async fn links_are_picked_from_what_exists_and_show_on_today_and_the_rule_page(app: TestApp) {
    let all = targets(&app).await;
    // Every stage of the pipeline, labelled with its pipeline and name, as a stage and as its entry tasks.
    let stage = link_of(&all, "stage", "Новый");
    assert!(stage.starts_with("stage:") && stage.contains('/'), "{stage}");
    assert!(all.iter().any(|t| t["kind"] == "rule" && t["link"] == "rule:malformed_name"), "the built-in rules: {all:?}");
    // A link naming nothing is refused with a catalogue message, on create and on update.
    let bad = json!({"key": "x", "section": "s", "title": "t", "body": "b", "links": ["stage:nowhere/none"]});
    refused(&app.post(&app.t.head, "/api/v1/kb/articles", bad).await, 422, "kb_link_unknown", Some("links"));
    let (_, v) = app.post(&app.t.head, "/api/v1/kb/articles", json!({"key": "x", "section": "s", "title": "t", "body": "b"})).await;
    assert_eq!(v["data"]["key"], "x");
    let put = app
        .call(
            reqwest::Method::PUT,
            &app.t.head,
            "/api/v1/kb/articles/x",
            Some(json!({"section": "s", "title": "t", "body": "b", "links": ["rule:no_such_rule"]})),
        )
        .await;
    refused(&put, 422, "kb_link_unknown", Some("links"));

    let deal = setup(&app).await;
    // Today: the entry task of the stage shows how to do it (the entry task's article first) —
    // and a task on a deal at another stage shows none.
    let other = app.create(&app.t.manager1, "deals", json!({"title": "ООО Лютик", "stage_id": app.ids.stages[0]})).await;
    app.create(&app.t.manager1, "activities", json!({"type": "task", "subject": "Просто задача", "deal_id": other})).await;
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, today) = m1.get("/today").await;
    assert_eq!(s, StatusCode::OK);
    let task_at = today.find("Позвонить и договориться о демо").unwrap_or_else(|| panic!("the entry task is on Today: {today}"));
    let li = &today[today[..task_at].rfind("<li id=\"task-").unwrap()..];
    let li = &li[..li.find("</li>").unwrap()];
    let how = li.find("<a href=\"/kb/demo-call\" class=\"kb-link\">Как договориться о демо</a>").expect("the entry task's article");
    let stage_article =
        li.find("<a href=\"/kb/taken-stage\" class=\"kb-link\">Что значит «Принял в работу»</a>").expect("the stage's article");
    assert!(how < stage_article, "the entry task's article first: {li}");
    assert!(li.contains("Как сделать"), "{li}");
    let plain = &today[today.find("Просто задача").unwrap()..];
    assert!(!plain[..plain.find("</li>").unwrap()].contains("kb-link"), "no article at the other stage");
    // The stage's regulation settings list them by its entry tasks.
    let admin = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, reg) = admin.get(&format!("/settings/stages/{}/regulation", app.ids.stages[1])).await;
    assert_eq!(s, StatusCode::OK);
    let kb = &reg[reg.find("id=\"reg-kb\"").expect("the stage's articles")..];
    let kb = &kb[..kb.find("</p>").unwrap()];
    assert!(kb.contains("href=\"/kb/demo-call\"") && kb.contains("href=\"/kb/taken-stage\""), "{kb}");
    let (s, _) = m1.get("/kb/demo-call").await;
    assert_eq!(s, StatusCode::OK, "the manager opens the article");
    let _ = deal;

    // The rule's settings page: no article yet, the head links one, it shows; unlinking removes it.
    let rule = app
        .create(&app.t.head, "rules", json!({"name": "Нет суммы", "entity": "deal", "expression": "value = 0", "criticality": 1, "why": "Не виден прогноз", "fix": "Укажите сумму"}))
        .await;
    let head = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, page) = head.get(&format!("/audit/rules/{rule}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("id=\"rule-kb-empty\"") && page.contains("<option value=\"demo-call\">Скрипты · Как договориться о демо</option>"),
        "{page}"
    );
    let (s, page) = head.post_form(&format!("/audit/rules/{rule}/kb"), &[("article", "taken-stage")]).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("Статья привязана к правилу") && page.contains("<a href=\"/kb/taken-stage\" class=\"kb-link\">"), "{page}");
    let (_, a) = app.get(&app.t.head, "/api/v1/kb/articles/taken-stage").await;
    let links: Vec<&str> = a["data"]["links"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(links.iter().any(|l| l.starts_with("rule:")) && links.iter().any(|l| l.starts_with("stage:")), "{links:?}");
    assert_eq!(a["data"]["version"], 2, "linking is a new version");
    // A manager reads the rule's articles but links nothing.
    let (s, page) = m1.get(&format!("/audit/rules/{rule}")).await;
    if s == StatusCode::OK {
        assert!(page.contains("/kb/taken-stage") && !page.contains("id=\"rule-kb-form\""), "{page}");
    }
    let (s, _) = m1.post_form(&format!("/audit/rules/{rule}/kb"), &[("article", "demo-call")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, page) = head.post_form(&format!("/audit/rules/{rule}/kb"), &[("unlink", "taken-stage")]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"rule-kb-empty\""), "{page}");

    // The editor offers the targets to tick, with labels; a ticked one is saved as the link.
    let (_, form) = head.get("/kb/new").await;
    assert!(form.contains(&format!("name=\"link.{stage}\"")) && form.contains("Новый"), "{form}");
    let (s, to, body) = head
        .post_form_to(
            "/kb/new",
            &[
                ("title", "Новый лид"),
                ("section", "Этапы"),
                ("key", "new-lead"),
                ("body", "Позвонить за 15 минут."),
                (&format!("link.{stage}"), "1"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(to.as_deref(), Some("/kb/new-lead?saved=1"));
    let (_, a) = app.get(&app.t.head, "/api/v1/kb/articles/new-lead").await;
    assert_eq!(a["data"]["links"], json!([stage]));
    // Ticked on the form again when editing.
    let (_, form) = head.get("/kb/new-lead/edit").await;
    assert!(form.contains(&format!("name=\"link.{stage}\" value=\"1\" checked")), "{form}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kb_links_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    setup(&app).await;
    let rule =
        app.create(&app.t.head, "rules", json!({"name": "Нет суммы", "entity": "deal", "expression": "value = 0", "criticality": 1})).await;
    app.set_password(app.ids.admin, "admin-pass-123456").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123456").await;
    b.client.goto(&format!("{}/audit/rules/{rule}", app.base)).await.unwrap();
    b.wait_for("#rule-kb-form").await;
    b.wait_for("#rule-kb-link").await.click().await.unwrap();
    b.wait_for("#rule-kb-notice").await;
    b.client.execute("document.querySelector('#rule-kb').scrollIntoView();", vec![]).await.unwrap();
    b.shot("kb-rule-linked-ru").await;
    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        for (path, name, ready) in
            [(format!("/audit/rules/{rule}"), "kb-rule-page", "#rule-kb"), ("/kb/new".to_string(), "kb-editor-picker", "#kb-links-picker")]
        {
            b.client.goto(&format!("{}{path}", app.base)).await.unwrap();
            b.wait_for(ready).await;
            b.client.execute("document.querySelectorAll('details.kb-link-group').forEach(d => d.open = true);", vec![]).await.unwrap();
            b.client.execute(&format!("document.querySelector('{ready}').scrollIntoView();"), vec![]).await.unwrap();
            let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
            assert!(wide.as_i64().unwrap_or(99) <= 0, "{path} scrolls sideways by {wide}px on a phone");
            b.shot(&format!("{name}-phone-{lang}")).await;
        }
    }
    // The manager's day: the entry task with its articles, clicked through to the script.
    b.client.delete_all_cookies().await.unwrap();
    let b2 = &b;
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b2.login(&app.base, "m1@a.test", "manager-pass-123").await;
    b2.fit_viewport(390, 844).await;
    b2.client.goto(&format!("{}/today", app.base)).await.unwrap();
    b2.wait_for(".kb-howto").await;
    let how = b2.text_of(".kb-howto").await;
    assert!(how.contains("Как договориться о демо"), "{how}");
    b2.shot("kb-today-phone-ru").await;
    b2.wait_for(".kb-howto a").await.click().await.unwrap();
    b2.wait_for("#kb-body").await;
    b2.shot("kb-today-clicked-article-phone-ru").await;
}

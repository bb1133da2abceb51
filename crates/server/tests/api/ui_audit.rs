//! "Order in the CRM" as a browser sees it: the rule editor's live hit count and its caret on a
//! mistake, rules saved through the form, a manager's inbox with only their own violations and
//! answers checked by the store, the head's review with a warning, the standings, and the walk
//! through it all in a real browser.
use crate::helpers::*;
use fantoccini::Locator;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    the_rule_editor_counts_hits_as_you_type_and_points_at_a_mistake,
    a_rule_is_created_through_the_form_and_a_bad_one_is_refused_inline,
    the_inbox_lists_only_the_managers_own_and_an_unexplained_not_fixed_is_refused,
    the_head_warns_and_the_standings_show_it_while_others_may_not_review,
    a_long_review_shows_a_page_of_what_waits_and_says_how_many_more,
);

#[track_caller]
fn has(html: &str, needle: &str) {
    assert!(html.contains(needle), "{needle:?} is not on the page:\n{html}");
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn head(app: &TestApp) -> UiSession {
    let id = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    app.ui_login(id, "head@a.test").await
}

async fn run_jobs(app: &TestApp) {
    Worker::new(&AppState::new(app.db.clone())).run_once().await.unwrap();
}

/// One rule ("no value") and deals breaking it: two of manager1's and one of manager3's; a round run.
/// Returns the round and the violation of manager1's deal with a demo link and a recorded call.
async fn planted_round(app: &TestApp) -> (i64, i64) {
    let body = json!({"name": "Нет суммы", "entity": "deal", "expression": "value = 0", "criticality": 1,
                      "why": "Без суммы не виден прогноз", "fix": "Укажите сумму сделки"});
    app.create(&app.t.head, "rules", body).await;
    let deal = app
        .create(&app.t.manager1, "deals", json!({"title": "Ромашка без суммы", "custom": {"demo_link": "https://demo.example/romashka"}}))
        .await;
    let call = json!({"type": "call", "subject": "Звонок Ромашке", "deal_id": deal, "recording_url": "https://rec.example/1.mp3"});
    app.create(&app.t.manager1, "activities", call).await;
    app.create(&app.t.manager1, "deals", json!({"title": "Лютик без суммы"})).await;
    app.create(&app.t.manager3, "deals", json!({"title": "Казанская без суммы"})).await;
    app.create(&app.t.manager1, "deals", json!({"title": "С суммой", "value": 100_000})).await;
    let (s, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    run_jobs(app).await;
    let round = v["data"]["id"].as_i64().unwrap();
    let of_deal = violations(app, &app.t.head).await.into_iter().find(|x| x["record_id"] == deal).unwrap();
    (round, of_deal["id"].as_i64().unwrap())
}

async fn violations(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, v) = app.get(token, "/api/v1/violations").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().clone()
}

async fn the_rule_editor_counts_hits_as_you_type_and_points_at_a_mistake(app: TestApp) {
    for title in ["Планета один", "Планета два", "Другое"] {
        app.create(&app.t.manager1, "deals", json!({"title": title})).await;
    }
    let s = head(&app).await;
    let (st, html) = s.get("/audit/rules/new").await;
    assert_eq!(st, StatusCode::OK);
    has(&html, "hx-trigger=\"input changed delay:400ms\"");
    let (st, html) = s.get_fragment(&format!("/audit/rules/preview?entity=deal&expression={}", enc("title ~ \"Планета\""))).await;
    assert_eq!(st, StatusCode::OK);
    has(&html, "<strong id=\"rule-hits\">2</strong>");
    has(&html, "Планета один");
    assert!(!html.contains("Другое"), "only the hits are listed");
    let (_, html) = s.get_fragment(&format!("/audit/rules/preview?entity=deal&expression={}", enc("valu > 1"))).await;
    has(&html, "filter-error");
    has(&html, "^");
    assert!(!html.contains("rule-hits"));
}

async fn a_rule_is_created_through_the_form_and_a_bad_one_is_refused_inline(app: TestApp) {
    let s = head(&app).await;
    let form = |expression: &'static str| {
        vec![
            ("name", "Сделка без организации"),
            ("entity", "deal"),
            ("criticality", "2"),
            ("expression", expression),
            ("why", "Непонятно, кому продаём"),
            ("fix", "Привяжите организацию"),
            ("responsible", "owner"),
            ("enabled", "1"),
        ]
    };
    let (st, html) = s.post_form("/audit/rules", &form("organization_idd is empty")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    has(&html, "id=\"rule-form\"");
    has(&html, "filter-error");
    has(&html, "value=\"Сделка без организации\"");
    let (_, rules) = app.get(&app.t.head, "/api/v1/rules").await;
    assert_eq!(rules["data"].as_array().unwrap().len(), 0, "nothing was saved");

    let (st, _) = s.post_form("/audit/rules", &form("organization_id is empty")).await;
    assert_eq!(st, StatusCode::OK);
    let (_, rules) = app.get(&app.t.head, "/api/v1/rules").await;
    let rule = &rules["data"][0];
    assert_eq!((rule["name"].as_str(), rule["criticality"].as_i64()), (Some("Сделка без организации"), Some(2)));
    assert_eq!(rule["why"], "Непонятно, кому продаём");
    let (_, html) = s.get("/audit/rules").await;
    has(&html, "Сделка без организации");
    has(&html, "badge warn");
    has(&html, "href=\"/deals?q=organization_id+is+empty\"");

    let id = rule["id"].as_i64().unwrap();
    let (st, html) = s.get(&format!("/audit/rules/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    has(&html, "organization_id is empty</textarea>");
    has(&html, "id=\"rule-hits\"");
    let mut renamed = form("organization_id is empty");
    renamed[0] = ("name", "Без организации");
    let (st, _) = s.post_form(&format!("/audit/rules/{id}"), &renamed).await;
    assert_eq!(st, StatusCode::OK);
    let (_, r) = app.get(&app.t.head, &format!("/api/v1/rules/{id}")).await;
    assert_eq!(r["data"]["name"], "Без организации");

    // A manager reads the rules but gets no editor.
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (st, html) = m1.get("/audit/rules").await;
    assert_eq!(st, StatusCode::OK);
    has(&html, "Без организации");
    assert!(!html.contains(&format!("href=\"/audit/rules/{id}\"")), "no link to the editor");
    assert!(!html.contains("id=\"new-rule\""));
    let (st, _) = m1.post_form("/audit/rules", &form("organization_id is empty")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = m1.post_form(&format!("/audit/rules/{id}/delete"), &[]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let (st, _) = s.post_form(&format!("/audit/rules/{id}/delete"), &[]).await;
    assert_eq!(st, StatusCode::OK);
    let (_, rules) = app.get(&app.t.head, "/api/v1/rules").await;
    assert!(rules["data"].as_array().unwrap().is_empty(), "the rule is deleted");
}

async fn the_inbox_lists_only_the_managers_own_and_an_unexplained_not_fixed_is_refused(app: TestApp) {
    let (_, v) = planted_round(&app).await;
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (st, html) = m1.get("/violations").await;
    assert_eq!(st, StatusCode::OK);
    has(&html, "Ромашка без суммы");
    has(&html, "Лютик без суммы");
    has(&html, "Укажите сумму сделки");
    assert!(!html.contains("Казанская без суммы"), "manager3's violation is not in manager1's inbox");
    assert!(!html.contains("С суммой"));

    let path = format!("/violations/{v}/answer");
    let (st, html) = m1.post_form(&path, &[("status", "not_fixed"), ("comment", "  ")]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    has(&html, &format!("id=\"comment-{v}-error\""));
    has(&html, "<option value=\"not_fixed\" selected>");
    let stored = violations(&app, &app.t.manager1).await.into_iter().find(|x| x["id"] == v).unwrap();
    assert_eq!(stored["status"], "not_processed", "nothing was stored");

    let (st, html) = m1.post_form(&path, &[("status", "not_fixed"), ("comment", "Клиент ещё думает")]).await;
    assert_eq!(st, StatusCode::OK);
    has(&html, "value=\"Клиент ещё думает\"");
    let stored = violations(&app, &app.t.manager1).await.into_iter().find(|x| x["id"] == v).unwrap();
    assert_eq!((stored["status"].as_str(), stored["comment"].as_str()), (Some("not_fixed"), Some("Клиент ещё думает")));

    // Another manager cannot answer it.
    let m3 = app.ui_login(app.ids.manager3, "m3@a.test").await;
    let (st, _) = m3.post_form(&path, &[("status", "fixed")]).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

async fn the_head_warns_and_the_standings_show_it_while_others_may_not_review(app: TestApp) {
    let (round, v) = planted_round(&app).await;
    let h = head(&app).await;
    // A round is started from the page; a second while it runs is refused with a notice.
    let (st, _) = h.post_form("/audit/rounds", &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, html) = h.post_form("/audit/rounds", &[]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    has(&html, "id=\"round-refused\"");
    run_jobs(&app).await;
    let (_, html) = h.get("/audit").await;
    has(&html, &format!("/api/v1/audit/rounds/{round}/export?format=xlsx"));
    has(&html, &format!("/api/v1/audit/rounds/{round}/export?format=csv"));

    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    m1.post_form(&format!("/violations/{v}/answer"), &[("status", "fixed"), ("comment", "")]).await;
    let (st, _) = m1.get(&format!("/audit/rounds/{round}/review")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = m1.post_form(&format!("/violations/{v}/review"), &[("decision", "accept")]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let (st, html) = h.get(&format!("/audit/rounds/{round}/review")).await;
    assert_eq!(st, StatusCode::OK);
    has(&html, &format!("id=\"review-{v}\""));
    has(&html, "Ромашка без суммы");
    has(&html, "href=\"https://demo.example/romashka\"");
    has(&html, "href=\"https://rec.example/1.mp3\"");
    let (st, html) = h.post_form(&format!("/violations/{v}/review"), &[("decision", "warn"), ("comment", "")]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    has(&html, &format!("id=\"review-comment-{v}-error\""));
    let (st, html) = h.post_form(&format!("/violations/{v}/review"), &[("decision", "warn"), ("comment", "Сумма так и не указана")]).await;
    assert_eq!(st, StatusCode::OK);
    has(&html, "Сумма так и не указана");
    assert!(!html.contains("<form"), "a reviewed violation is read-only");

    let (st, html) = h.get("/audit/standings").await;
    assert_eq!(st, StatusCode::OK);
    has(&html, "<svg class=\"audit-chart\"");
    has(&html, "<span class=\"badge danger\">1</span>");
    has(&html, "m2");
    let (_, inbox) = m1.get(&format!("/violations?round={round}")).await;
    has(&inbox, "Сумма так и не указана");
}

/// The walk-through in a real browser: a manager answers in the inbox, the head reviews
/// and warns, and the standings show the warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_answers_and_the_head_warns_in_a_real_browser() {
    let Some(browser) = crate::browser::start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (round, v) = planted_round(&app).await;
    let head_id = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    app.set_password(app.ids.manager1, "browser-pass-123").await;
    app.set_password(head_id, "browser-pass-456").await;

    browser.login(&app.base, "m1@a.test", "browser-pass-123").await;
    browser.client.goto(&format!("{}/violations", app.base)).await.unwrap();
    browser.wait_for(&format!("#status-{v}")).await.select_by_value("not_fixed").await.unwrap();
    browser.client.find(Locator::Css(&format!("#comment-{v}"))).await.unwrap().send_keys("Клиент в отпуске до понедельника").await.unwrap();
    browser.client.find(Locator::Css(&format!("#violation-{v} button[type=submit]"))).await.unwrap().click().await.unwrap();
    for _ in 0..50 {
        if violations(&app, &app.t.manager1).await.iter().any(|x| x["id"] == v && x["status"] == "not_fixed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    browser
        .wait_until("the row re-rendered", &format!("document.querySelector('#comment-{v}') && !document.querySelector('.htmx-request')"))
        .await;
    browser.shot("audit-inbox-ru").await;
    let stored = violations(&app, &app.t.manager1).await;
    assert!(stored.iter().any(|x| x["id"] == v && x["status"] == "not_fixed"), "the answer is stored");

    browser.client.find(Locator::Css("#logout")).await.unwrap().click().await.unwrap();
    browser.wait_for("#email").await;
    browser.login(&app.base, "head@a.test", "browser-pass-456").await;
    browser.client.goto(&format!("{}/audit/rounds/{round}/review", app.base)).await.unwrap();
    browser.wait_for(&format!("#review-comment-{v}")).await.send_keys("Отпуск не повод оставлять сделку без суммы").await.unwrap();
    browser.client.find(Locator::Css(&format!("#review-{v} button[value=warn]"))).await.unwrap().click().await.unwrap();
    browser
        .wait_until(
            "the warning shown",
            &format!("document.querySelector('#review-{v} .badge.danger') && !document.querySelector('#review-{v} form')"),
        )
        .await;
    browser.shot("audit-review-ru").await;

    // The rule editor counts the hits as the head types.
    browser.client.goto(&format!("{}/audit/rules/new", app.base)).await.unwrap();
    browser.wait_for("#rule-expression").await.send_keys("value = 0").await.unwrap();
    browser
        .wait_until("the live count", "document.querySelector('#rule-hits') && document.querySelector('#rule-hits').textContent === '3'")
        .await;
    browser.shot("audit-rule-ru").await;

    browser.client.goto(&format!("{}/audit/standings", app.base)).await.unwrap();
    browser.wait_for(".audit-chart").await;
    assert!(browser.text_of(".audit-standings").await.contains("m1"));
    browser.shot("audit-standings-ru").await;
    let (_, st) = app.get(&app.t.head, "/api/v1/audit/standings").await;
    let row = st["data"]["rows"].as_array().unwrap().iter().find(|r| r["user_id"] == app.ids.manager1).unwrap().clone();
    assert_eq!(row["warnings"], 1);
}

/// Past the deadline every unanswered violation waits for the head: the page shows the first
/// hundred with their evidence and counts the rest, instead of reading evidence for thousands.
async fn a_long_review_shows_a_page_of_what_waits_and_says_how_many_more(app: TestApp) {
    let body = json!({"name": "Нет суммы", "entity": "deal", "expression": "value = 0", "criticality": 1});
    app.create(&app.t.head, "rules", body).await;
    for i in 0..120 {
        app.create(&app.t.manager1, "deals", json!({"title": format!("Сделка {i}")})).await;
    }
    let (_, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    run_jobs(&app).await;
    let round = v["data"]["id"].as_i64().unwrap();
    app.clock.advance(time::Duration::days(6));
    let s = head(&app).await;
    let (status, html) = s.get(&format!("/audit/rounds/{round}/review")).await;
    assert_eq!(status, StatusCode::OK);
    has(&html, "Ещё 20 нарушений ждут проверки");
}

//! The assistants as a browser sees them: the settings page with all six, a refused setting shown
//! at its input with the typed values kept, a dry run that lists a forgotten client with the
//! reason and changes nothing, a run that labels it, and the organization's card showing the
//! label, the recent action and the timeline's sentence. Heads read and dry-run; managers are
//! refused.
use crate::helpers::*;
use poryadok_core::Clock;
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::Duration;

crate::both_dbs!(
    the_page_shows_all_six_to_admins_and_heads_and_refuses_managers,
    a_refused_setting_is_shown_at_its_input_and_a_good_one_is_saved,
    a_dry_run_lists_a_forgotten_client_and_a_run_labels_it_on_the_card,
);

const NAMES: [&str; 6] = ["forgotten", "release", "churned", "unpaid", "debtors", "escalation"];

#[track_caller]
fn at(html: &str, needle: &str) -> usize {
    html.find(needle).unwrap_or_else(|| panic!("{needle:?} is not on the page:\n{html}"))
}

async fn assistant(app: &TestApp, name: &str) -> Value {
    let (_, list) = app.get(&app.t.admin, "/api/v1/assistants").await;
    list["data"].as_array().unwrap().iter().find(|a| a["name"] == name).unwrap().clone()
}

async fn labels(app: &TestApp, org: i64) -> Vec<String> {
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/organizations/{org}/labels")).await;
    v["data"].as_array().unwrap().iter().map(|l| l["label"].as_str().unwrap().to_string()).collect()
}

async fn the_page_shows_all_six_to_admins_and_heads_and_refuses_managers(app: TestApp) {
    let admin = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (status, page) = admin.get("/settings/assistants").await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "class=\"settings-nav\"");
    at(&page, "href=\"/settings/assistants\" class=\"active\"");
    for name in NAMES {
        at(&page, &format!("id=\"assistant-{name}\""));
        at(&page, &format!("id=\"assistant-{name}-save\""));
        at(&page, &format!("id=\"assistant-{name}-run\""));
    }
    at(&page, "Забытые клиенты");
    at(&page, "Ещё не запускался");
    // Typed inputs: days with a unit, the option, the release mode and the pool of active users.
    at(&page, "id=\"assistant-forgotten-days\" name=\"days\" value=\"60\" min=\"1\"");
    at(&page, "id=\"assistant-forgotten-skip_with_future_task\" checked");
    at(&page, "<option value=\"least_load\">Наименее загруженному</option>");
    at(&page, &format!("name=\"pool\" value=\"{}\"", app.ids.manager1));
    at(&page, "<option value=\"both\" selected>E-mail и SMS</option>");
    // The other settings tabs link here.
    let (_, users) = admin.get("/settings/users").await;
    at(&users, "href=\"/settings/assistants\"");

    let users = app.all_records(&app.t.admin, "users", "", 50).await;
    let head_id = users.iter().find(|u| u["email"] == "head@a.test").and_then(|u| u["id"].as_i64()).unwrap();
    let head = app.ui_login(head_id, "head@a.test").await;
    let (status, page) = head.get("/settings/assistants").await;
    assert_eq!(status, StatusCode::OK, "a head reads the settings");
    at(&page, "id=\"assistants-read-only\"");
    at(&page, "<fieldset class=\"reg-fieldset\" disabled>");
    assert!(!page.contains("id=\"assistant-forgotten-save\"") && !page.contains("id=\"assistant-forgotten-run\""), "{page}");
    assert!(!page.contains("href=\"/settings/users\""), "a head is not offered the administrator's tabs");
    let (status, _) = head.post_form("/settings/assistants/forgotten/dry-run", &[]).await;
    assert_eq!(status, StatusCode::OK, "a head may dry-run");
    let (status, _) = head.post_form("/settings/assistants/forgotten/run", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = head.post_form("/settings/assistants/forgotten", &[("days", "90")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let manager = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, _) = manager.get("/settings/assistants").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = manager.post_form("/settings/assistants/forgotten/dry-run", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Without the CSRF token nothing runs.
    let resp = admin.client.post(format!("{}/settings/assistants/forgotten/run", admin.base)).form(&[("x", "1")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(assistant(&app, "forgotten").await["last_run"].is_null());
}

async fn a_refused_setting_is_shown_at_its_input_and_a_good_one_is_saved(app: TestApp) {
    let s = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (status, html) = s.post_form("/settings/assistants/forgotten", &[("enabled", "1"), ("days", "0"), ("task_due_days", "3")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(!html.contains("<html"), "htmx gets the panel");
    at(&html, "id=\"assistant-forgotten\"");
    let input = at(&html, "id=\"assistant-forgotten-days\"");
    let error = at(&html, "<p class=\"field-error\" id=\"assistant-forgotten-days-error\">укажите целое число дней от 1 до 3650</p>");
    assert!(input < error, "the message is under the input");
    at(&html, "name=\"days\" value=\"0\"");
    at(&html, "name=\"task_due_days\" value=\"3\"");
    at(&html, "id=\"assistant-forgotten-enabled\" checked");
    assert!(!html.contains("id=\"assistant-forgotten-skip_with_future_task\" checked"), "an unticked box stays unticked");
    let stored = assistant(&app, "forgotten").await;
    assert_eq!((stored["enabled"].as_bool(), stored["settings"]["days"].as_i64()), (Some(false), Some(60)), "nothing is saved");

    // The pool mode with nobody in the pool is refused at the pool.
    let (status, html) = s.post_form("/settings/assistants/release", &[("days", "14"), ("mode", "pool")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "id=\"assistant-release-pool-error\"");
    at(&html, "<option value=\"pool\" selected>");

    let (status, html) = s.post_form("/settings/assistants/forgotten", &[("enabled", "1"), ("days", "90"), ("task_due_days", "2")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    at(&html, "Настройки сохранены");
    at(&html, "<span class=\"badge ok\">Включён</span>");
    let stored = assistant(&app, "forgotten").await;
    assert_eq!(stored["enabled"], true);
    assert_eq!(stored["settings"], json!({"days": 90, "skip_with_future_task": false, "task_due_days": 2}));

    let pool = app.ids.manager2.to_string();
    let (status, html) = s.post_form("/settings/assistants/release", &[("days", "7"), ("mode", "pool"), ("pool", &pool)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(assistant(&app, "release").await["settings"]["pool"], json!([app.ids.manager2]));

    // Without scripts the form posts and the browser comes back to the page.
    let plain = [("days", "45"), ("task_due_days", "1"), ("csrf_token", s.csrf.as_str())];
    let resp = s.client.post(format!("{}/settings/assistants/forgotten", s.base)).form(&plain).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, page) = s.get(resp.headers()["location"].to_str().unwrap()).await;
    at(&page, "Настройки сохранены");
    assert_eq!(assistant(&app, "forgotten").await["enabled"], false);
}

async fn a_dry_run_lists_a_forgotten_client_and_a_run_labels_it_on_the_card(app: TestApp) {
    let quiet = app.create(&app.t.admin, "organizations", json!({"name": "Тихий клиент", "owner_id": app.ids.manager1})).await;
    let busy = app.create(&app.t.admin, "organizations", json!({"name": "Активный клиент", "owner_id": app.ids.manager1})).await;
    app.clock.advance(Duration::days(100));
    for (org, days) in [(quiet, 70i64), (busy, 5)] {
        let sql = format!("UPDATE organizations SET last_activity_at = $2 - {} WHERE workspace_id = $1 AND id = {org}", days * 86_400_000);
        app.db.raw_execute(&[sql], app.ws, app.clock.now_ms()).await.unwrap();
    }
    let s = app.ui_login(app.ids.admin, "admin@a.test").await;

    let (status, dry) = s.post_form("/settings/assistants/forgotten/dry-run", &[]).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert!(!dry.contains("<html"));
    at(&dry, "Пробный запуск, ничего не изменено. Помощник сделал бы действий: 1");
    at(&dry, &format!("<a href=\"/organizations/{quiet}\">Тихий клиент</a>"));
    at(&dry, "нет активности 70 дн.");
    at(&dry, "<td class=\"nowrap\">Метка «Забыт»</td>");
    at(&dry, "<td>m1</td>");
    assert!(!dry.contains("Активный клиент"), "{dry}");
    assert!(labels(&app, quiet).await.is_empty(), "a dry run changes nothing");
    assert!(assistant(&app, "forgotten").await["last_run"].is_null());

    let (status, done) = s.post_form("/settings/assistants/forgotten/run", &[]).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    at(&done, "Запуск выполнен. Действий: 1");
    at(&done, &format!("<a href=\"/organizations/{quiet}\">Тихий клиент</a>"));
    at(&done, "id=\"assistant-forgotten-last\" hx-swap-oob=\"true\">Последний запуск:");
    assert_eq!(labels(&app, quiet).await, vec!["forgotten"]);
    let (_, again) = s.post_form("/settings/assistants/forgotten/dry-run", &[]).await;
    at(&again, "Делать нечего");
    let (_, page) = s.get("/settings/assistants").await;
    at(&page, "действий: 1");

    let (status, card) = s.get(&format!("/organizations/{quiet}")).await;
    assert_eq!(status, StatusCode::OK);
    let block = at(&card, "id=\"assistants-h\"");
    let badge = at(&card, "<span class=\"badge warn\" title=\"нет активности 70 дн.");
    assert!(block < badge);
    at(&card, "Забыт<span class=\"sr\">");
    at(&card, "Забытые клиенты · Метка «Забыт»</span>");
    // The timeline explains the act in a sentence, not as field changes.
    at(&card, "class=\"tl-assistant\"");
    at(&card, "<strong>Помощник «Забытые клиенты»: нет активности 70 дн.");
    at(&card, "Метка «Забыт»");
    assert!(!card.contains("assistant_action"), "no raw field names");
    // The task for the owner is on the card too, with the reason in its subject.
    at(&card, "Забытый клиент «Тихий клиент»");
    let (_, other) = s.get(&format!("/organizations/{busy}")).await;
    assert!(!other.contains("id=\"assistants-h\""), "a card the assistants never touched has no block");
    // The organizations list shows the mark on the forgotten client's row only.
    let (_, list) = s.get("/organizations").await;
    let row = at(&list, &format!("<a href=\"/organizations/{quiet}\">"));
    let mark = at(&list, "<span class=\"badge warn\">Забыт</span>");
    assert!(mark > row && list.matches("<span class=\"badge warn\">Забыт</span>").count() == 1, "one marked row");

    // The forgotten client's task, overdue, goes to the head; its row links to the client's card.
    app.clock.advance(Duration::days(5));
    let (status, esc) = s.post_form("/settings/assistants/escalation/dry-run", &[]).await;
    assert_eq!(status, StatusCode::OK, "{esc}");
    at(&esc, "Сообщение руководителю");
    at(&esc, &format!("<a href=\"/organizations/{quiet}\">Забытый клиент «Тихий клиент»"));

    // An assistant that is not ready yet says so instead of failing.
    let (status, html) = s.post_form("/settings/assistants/debtors/dry-run", &[]).await;
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        at(&html, "пока недоступен");
    } else {
        assert_eq!(status, StatusCode::OK, "{html}");
        at(&html, "id=\"assistant-debtors-summary\"");
    }
    let (status, _) = s.post_form("/settings/assistants/robot/dry-run", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

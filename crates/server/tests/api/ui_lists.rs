//! The lists and "today" screens of the web UI as a browser sees them: visibility, sorting,
//! paging, the filter box and its mistakes, saved filters, and today's tasks in the workspace's
//! time zone (Moscow; the test clock is 2026-11-23 09:00 UTC, noon in Moscow).
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    lists_show_visible_records_by_name_sorted_and_paged,
    the_filter_box_narrows_the_list_and_explains_mistakes,
    saved_filters_are_saved_applied_and_deleted,
    today_splits_overdue_and_today_in_the_workspace_zone,
    tasks_are_completed_and_rescheduled_in_place,
);

/// Where `needle` first occurs in `html`, failing the test when it does not.
#[track_caller]
fn at(html: &str, needle: &str) -> usize {
    html.find(needle).unwrap_or_else(|| panic!("{needle:?} is not on the page"))
}

/// A link's `href` as a browser follows it.
fn unescape(href: &str) -> String {
    href.replace("&#38;", "&").replace("&amp;", "&")
}

/// The HTML of one section of the "today" page, empty if the section is not shown.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let Some(start) = html.find(&format!("id=\"today-{id}\"")) else { return "" };
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn lists_show_visible_records_by_name_sorted_and_paged(app: TestApp) {
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Ромашка", "address": "Тверь"})).await;
    app.create(m1, "deals", json!({"title": "Alpha", "value": 5_000_000, "organization_id": org})).await;
    app.create(m1, "deals", json!({"title": "Bravo", "value": 20_000_000})).await;
    app.create(m1, "deals", json!({"title": "Charlie", "value": 100})).await;
    app.create(&app.t.manager3, "deals", json!({"title": "Казанская сделка", "value": 1})).await;

    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, page) = s.get("/deals").await;
    assert_eq!(status, StatusCode::OK);
    for shown in ["Alpha", "Bravo", "Charlie", "ООО Ромашка", "Новый", "50\u{a0}000\u{a0}₽", "m1", "Открыта"] {
        at(&page, shown);
    }
    assert!(!page.contains("Казанская сделка"), "another team's deal is not listed");
    at(&page, &format!("href=\"/organizations/{org}\""));

    let (_, by_value) = s.get("/deals?sort=-value").await;
    assert!(at(&by_value, "Bravo") < at(&by_value, "Alpha") && at(&by_value, "Alpha") < at(&by_value, "Charlie"));
    at(&by_value, "aria-sort=\"descending\"");
    let (_, ascending) = s.get_fragment("/deals?sort=value").await;
    assert!(at(&ascending, "Charlie") < at(&ascending, "Alpha") && at(&ascending, "Alpha") < at(&ascending, "Bravo"));
    assert!(!ascending.contains("<html"), "htmx gets the table fragment");
    at(&ascending, "hx-swap-oob");

    // 51 persons make two pages of 50; the next page keeps the sort.
    for i in 0..51 {
        app.create(m1, "persons", json!({"name": format!("Person {i:02}"), "organization_id": org})).await;
    }
    let (_, first) = s.get("/persons?sort=name").await;
    assert!(first.contains("Person 00") && first.contains("Person 49") && !first.contains("Person 50"));
    let next = unescape(&html_attr(&first, "rel=\"next\"", "href").expect("a next page link"));
    assert!(next.contains("sort=name") && next.contains("cursor="), "{next}");
    let (status, second) = s.get(&next).await;
    assert_eq!(status, StatusCode::OK);
    assert!(second.contains("Person 50") && !second.contains("Person 49"));
    assert!(!second.contains("rel=\"next\""), "no page after the last");
    at(&second, "href=\"/persons?sort=name\"");

    let (_, orgs) = s.get("/organizations").await;
    at(&orgs, "Тверь");
}

async fn the_filter_box_narrows_the_list_and_explains_mistakes(app: TestApp) {
    let m1 = &app.t.manager1;
    app.create(m1, "deals", json!({"title": "Alpha", "value": 5_000_000})).await;
    app.create(m1, "deals", json!({"title": "Bravo", "value": 20_000_000})).await;
    let won = app.create(m1, "deals", json!({"title": "Charlie"})).await;
    app.patch(m1, &format!("/api/v1/deals/{won}"), json!({"status": "won"})).await;
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;

    let (status, big) = s.get(&format!("/deals?q={}", enc("value > 100000"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(big.contains("Bravo") && !big.contains("Alpha") && !big.contains("Charlie"));

    let (_, words) = s.get_fragment("/deals?q=alp").await;
    assert!(words.contains("Alpha") && !words.contains("Bravo"), "plain words search titles");
    at(&words, "Ищем по названию");

    let (status, bad) = s.get_fragment(&format!("/deals?q={}", enc("valeu > 5"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&bad, "filter-error");
    at(&bad, "valeu");
    at(&bad, "^^^^^");
    let (status, _) = s.get(&format!("/deals?q={}", enc("stage = \"Нет такого\""))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The board's "N more" link: equality filters, named.
    let (_, closed) = s.get("/deals?status=won").await;
    assert!(closed.contains("Charlie") && !closed.contains("Alpha"));
    at(&closed, "Статус: Выиграна");
    let (_, in_stage) = s.get(&format!("/deals?stage_id={}&status=open", app.ids.stages[0])).await;
    assert!(in_stage.contains("Alpha") && !in_stage.contains("Charlie"));
    at(&in_stage, "Этап: Новый");
    // The filter box keeps them when its text changes.
    at(&in_stage, "<input type=\"hidden\" name=\"status\" value=\"open\">");
}

async fn saved_filters_are_saved_applied_and_deleted(app: TestApp) {
    let m1 = &app.t.manager1;
    app.create(m1, "deals", json!({"title": "Alpha", "value": 5_000_000})).await;
    let s1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let s2 = app.ui_login(app.ids.manager2, "m2@a.test").await;
    let big = "q=value+%3E+100000";

    let (status, page) = s1.post_form("/saved-filters", &[("entity", "deals"), ("name", "  "), ("view", big)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&page, "Укажите название фильтра");
    at(&page, "aria-invalid=\"true\"");
    let long = "Я".repeat(300);
    let (status, page) = s1.post_form("/saved-filters", &[("entity", "deals"), ("name", &long), ("view", big)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    at(&page, "field-error");
    let (status, _) = s1.post_form("/saved-filters", &[("entity", "deals"), ("name", "Пустой"), ("view", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "nothing to save");

    let (status, page) = s1.post_form("/saved-filters", &[("entity", "deals"), ("name", "Крупные"), ("view", big)]).await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "Фильтр сохранён");
    let (status, page) =
        s1.post_form("/saved-filters", &[("entity", "deals"), ("name", "Альфа"), ("shared", "1"), ("view", "q=alp")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");

    let (_, v) = app.get(m1, "/api/v1/filters").await;
    let saved: Vec<(String, String, bool)> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().into(), f["expression"].as_str().unwrap().into(), f["shared"] == Value::Bool(true)))
        .collect();
    assert_eq!(
        saved,
        vec![("Альфа".into(), "title ~ \"alp\"".into(), true), ("Крупные".into(), "value > 100000".into(), false)],
        "plain words are saved as the search they stand for"
    );
    let big_id = v["data"][1]["id"].as_i64().unwrap();
    let shared_id = v["data"][0]["id"].as_i64().unwrap();

    // Applied from the list: a link to the expression, marked when in force.
    let (_, list) = s1.get(&format!("/deals?{big}")).await;
    at(&list, &format!("href=\"/deals?{big}\" aria-current=\"true\">Крупные</a>"));
    // Another manager sees the shared one only, without a delete button.
    let (_, other) = s2.get("/deals").await;
    assert!(other.contains("Альфа") && !other.contains("Крупные"));
    assert!(!other.contains(&format!("/saved-filters/{shared_id}/delete")));
    let (status, _) = s2.post_form(&format!("/saved-filters/{shared_id}/delete"), &[("entity", "deals"), ("view", "")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, page) = s1.post_form(&format!("/saved-filters/{big_id}/delete"), &[("entity", "deals"), ("view", big)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Фильтр удалён") && !page.contains(">Крупные<"));

    // Without scripts: a plain form post returns to the list.
    let resp = s1
        .client
        .post(format!("{}/saved-filters", s1.base))
        .form(&[("entity", "persons"), ("name", "Иваны"), ("view", "q=Иван"), ("csrf_token", &s1.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/persons?q=%D0%98%D0%B2%D0%B0%D0%BD");
}

/// m1's tasks around the Moscow day of 2026-11-23 ([21:00Z on the 22nd, 21:00Z on the 23rd)).
async fn tasks_of_the_day(app: &TestApp) -> (i64, Vec<i64>) {
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Поставка труб"})).await;
    let task = |subject: &str, due: Option<&str>| json!({"type": "call", "subject": subject, "due_at": due, "deal_id": deal, "owner_id": app.ids.manager1});
    let mut ids = Vec::new();
    for (subject, due) in [
        ("Старый звонок", Some("2026-11-22T20:30:00Z")),
        ("Ранний звонок", Some("2026-11-22T21:30:00Z")),
        ("Поздний звонок", Some("2026-11-23T20:30:00Z")),
        ("Завтрашний звонок", Some("2026-11-23T21:30:00Z")),
        ("Звонок без срока", None),
    ] {
        ids.push(app.create(m1, "activities", task(subject, due)).await);
    }
    let done = app.create(m1, "activities", task("Сделанный звонок", Some("2026-11-23T10:00:00Z"))).await;
    app.patch(m1, &format!("/api/v1/activities/{done}"), json!({"done": true})).await;
    let m2_deal = app.create(&app.t.manager2, "deals", json!({"title": "Сделка m2"})).await;
    let other = json!({"type": "task", "subject": "Чужая задача", "due_at": "2026-11-23T10:00:00Z", "deal_id": m2_deal});
    ids.push(app.create(&app.t.manager2, "activities", other).await);
    (deal, ids)
}

async fn today_splits_overdue_and_today_in_the_workspace_zone(app: TestApp) {
    let (deal, _) = tasks_of_the_day(&app).await;
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, page) = s.get("/today").await;
    assert_eq!(status, StatusCode::OK);
    let (overdue, today, undated) = (section(&page, "overdue"), section(&page, "today"), section(&page, "undated"));
    assert!(overdue.contains("Старый звонок") && overdue.contains("22.11.2026 23:30"), "{overdue}");
    at(overdue, "due overdue");
    at(overdue, "<span class=\"badge danger\">1</span>");
    assert!(today.contains("Ранний звонок") && today.contains("00:30"), "after local midnight is today: {today}");
    assert!(today.contains("Поздний звонок") && today.contains("23:30"));
    at(today, "<span class=\"badge\">2</span>");
    at(undated, "Звонок без срока");
    for absent in ["Завтрашний звонок", "Сделанный звонок", "Чужая задача"] {
        assert!(!page.contains(absent), "{absent} is not on m1's today");
    }
    at(today, &format!("<a href=\"/deals/{deal}\">Поставка труб</a>"));
    at(today, "Звонок");

    // Someone with nothing due sees that the day is clear.
    let s3 = app.ui_login(app.ids.manager3, "m3@a.test").await;
    let (_, empty) = s3.get("/today").await;
    at(&empty, "На сегодня всё сделано");
}

async fn tasks_are_completed_and_rescheduled_in_place(app: TestApp) {
    let (_, ids) = tasks_of_the_day(&app).await;
    let (old, late, undated, foreign) = (ids[0], ids[2], ids[4], ids[5]);
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let due_of = |id: i64| {
        let app = &app;
        async move { app.get(&app.t.admin, &format!("/api/v1/activities/{id}")).await.1["data"].clone() }
    };

    let (status, page) = s.post_form(&format!("/activities/{late}/complete"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Поздний звонок") && page.contains("Задача выполнена"));
    assert_eq!(due_of(late).await["done"], true);

    // "Tomorrow" keeps the local time of day: 23:30 in Moscow.
    let (status, page) = s.post_form(&format!("/activities/{old}/reschedule"), &[("due", ""), ("quick", "tomorrow")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Старый звонок") && section(&page, "overdue").is_empty());
    assert_eq!(due_of(old).await["due_at"], "2026-11-24T20:30:00.000Z");

    // A time typed in the workspace's zone.
    let (status, page) = s.post_form(&format!("/activities/{undated}/reschedule"), &[("due", "2026-11-23T18:00")]).await;
    assert_eq!(status, StatusCode::OK);
    let today = section(&page, "today");
    assert!(today.contains("Звонок без срока") && today.contains("18:00"), "{today}");
    assert_eq!(due_of(undated).await["due_at"], "2026-11-23T15:00:00.000Z");

    let (status, page) = s.post_form(&format!("/activities/{undated}/reschedule"), &[("due", "завтра")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&page, "Укажите дату и время");
    at(&page, "aria-invalid=\"true\"");
    assert_eq!(due_of(undated).await["due_at"], "2026-11-23T15:00:00.000Z", "nothing changed");

    // Another manager's task is not there to complete.
    let (status, _) = s.post_form(&format!("/activities/{foreign}/complete"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(due_of(foreign).await["done"], false);

    // Without scripts: the form posts and the browser goes back to the day.
    let resp =
        s.client.post(format!("{}/activities/{undated}/complete", s.base)).form(&[("csrf_token", s.csrf.as_str())]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/today");
}

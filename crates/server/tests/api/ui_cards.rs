//! The record cards of the web UI: the deal card with its fields, stage and status actions and
//! in-place edit, the person and organization cards, and the timeline with notes and tasks.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(
    the_deal_card_shows_fields_custom_values_and_a_merged_timeline,
    person_and_organization_cards_show_their_deals_people_and_timeline,
    a_note_is_added_to_the_timeline_and_an_empty_one_is_refused,
    a_task_is_added_in_the_workspace_zone_and_marked_done,
    cards_of_records_the_user_does_not_see_are_not_found,
    a_script_in_a_title_is_shown_as_text,
    an_invalid_edit_is_refused_in_place_and_a_valid_one_saved,
    an_edit_of_a_deal_someone_changed_meanwhile_is_refused_not_overwritten,
    status_actions_and_stage_moves_go_through_the_store,
    a_long_timeline_is_paged,
    marking_the_last_open_task_done_offers_the_next_step,
);

async fn user_id(app: &TestApp, email: &str) -> i64 {
    app.db.user_by_email(email).await.unwrap().unwrap().1
}

async fn the_deal_card_shows_fields_custom_values_and_a_merged_timeline(app: TestApp) {
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Ромашка"})).await;
    let person = app.create(m1, "persons", json!({"name": "Иван Петров", "organization_id": org})).await;
    let deal = app
        .create(
            m1,
            "deals",
            json!({"title": "Сайт для Ромашки", "value": 15_000_000, "organization_id": org, "person_id": person,
                   "utm_source": "yandex", "custom": {"budget": 20_000_000, "city": "Казань"}}),
        )
        .await;
    app.create(m1, "notes", json!({"content": "Клиент просит КП до пятницы", "deal_id": deal})).await;
    app.create(
        m1,
        "activities",
        json!({"type": "call", "subject": "Первый звонок", "deal_id": deal, "call_direction": "inbound", "call_outcome": "answered",
               "phone": "+79161234567", "duration_min": 5, "recording_url": "https://rec.example/1.mp3", "done": true}),
    )
    .await;
    app.clock.advance(time::Duration::minutes(5));
    let (s, v) = app.patch(m1, &format!("/api/v1/deals/{deal}"), json!({"stage_id": app.ids.stages[1]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, html) = ui.get(&format!("/deals/{deal}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<title>Сайт для Ромашки · Poryadok</title>"));
    assert!(html.contains(&format!("href=\"/organizations/{org}\">ООО Ромашка</a>")), "organization link");
    assert!(html.contains(&format!("href=\"/persons/{person}\">Иван Петров</a>")), "person link");
    assert!(html.contains("150\u{a0}000\u{a0}₽") && html.contains("yandex"), "value and UTM");
    assert!(html.contains("Бюджет") && html.contains("200\u{a0}000\u{a0}₽") && html.contains("Казань"), "typed custom fields");
    assert!(html.contains("Трафик сайта"), "unset custom fields are listed too");
    assert!(html.contains("Клиент просит КП до пятницы"), "the note");
    assert!(html.contains("Звонок: Первый звонок") && html.contains("Входящий") && html.contains("5 мин"));
    assert!(html.contains("<audio controls preload=\"none\" src=\"https://rec.example/1.mp3\">"), "the recording player");
    // The stage change reads with names, and comes first: it is the newest.
    let change = html.find("Принял в работу</span>").expect("the stage change names the stages");
    assert!(change < html.find("Клиент просит").unwrap(), "newest first");
    assert!(html.contains("<span class=\"from\">Новый</span>"));
    assert!(html.contains("Сделка создана"));
    assert!(html.contains("class=\"active\">Сделки</a>"), "the deals menu item is active");
}

async fn person_and_organization_cards_show_their_deals_people_and_timeline(app: TestApp) {
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Ромашка", "website": "https://romashka.example"})).await;
    let person = app
        .create(m1, "persons", json!({"name": "Иван Петров", "organization_id": org, "phone": "+7 916 123-45-67", "job_title": "Директор"}))
        .await;
    let deal = app.create(m1, "deals", json!({"title": "Поставка", "person_id": person, "organization_id": org, "value": 1_000_000})).await;
    app.create(m1, "notes", json!({"content": "Заметка о сделке", "deal_id": deal})).await;
    app.create(m1, "notes", json!({"content": "Заметка о контакте", "person_id": person})).await;

    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, html) = ui.get(&format!("/persons/{person}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<title>Иван Петров · Poryadok</title>") && html.contains("Директор"));
    assert!(html.contains("+79161234567"), "the phone");
    assert!(html.contains(&format!("href=\"/organizations/{org}\">ООО Ромашка</a>")));
    assert!(html.contains(&format!("<a href=\"/deals/{deal}\">Поставка</a>")), "the deals table");
    assert!(html.contains("Заметка о контакте") && html.contains("Заметка о сделке"), "own and the deal's notes");
    assert!(html.contains("class=\"active\">Контакты</a>"));

    let (status, html) = ui.get(&format!("/organizations/{org}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(&format!("<a href=\"/persons/{person}\">Иван Петров</a>")), "the people list");
    assert!(html.contains(&format!("<a href=\"/deals/{deal}\">Поставка</a>")));
    assert!(html.contains("href=\"https://romashka.example\""));
    assert!(html.contains("Компания создана"));

    // A note added on the organization card is linked to it.
    let (status, _) = ui.post_form(&format!("/organizations/{org}/notes"), &[("content", "Звонили в офис")]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = app.get(m1, &format!("/api/v1/notes?organization_id={org}")).await;
    assert_eq!(v["data"][0]["content"], "Звонили в офис");
}

async fn a_note_is_added_to_the_timeline_and_an_empty_one_is_refused(app: TestApp) {
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Переезд"})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, html) = ui.post_form(&format!("/deals/{deal}/notes"), &[("content", "Договорились о встрече <b>завтра</b>")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.starts_with("<section class=\"panel timeline-panel\" id=\"timeline\""), "the refreshed timeline comes back");
    assert!(html.contains("Договорились о встрече &#60;b&#62;завтра&#60;/b&#62;"), "the note, as text");
    let (_, html) = ui.get(&format!("/deals/{deal}")).await;
    assert!(html.contains("Договорились о встрече"));

    let resp = ui
        .client
        .post(format!("{}/deals/{deal}/notes", ui.base))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &ui.csrf)
        .form(&[("content", "   ")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.headers()["hx-retarget"], "#note-form", "the refusal replaces the form only");
    let html = resp.text().await.unwrap();
    assert!(html.contains("aria-invalid=\"true\"") && html.contains("class=\"field-error\"") && html.contains("Напишите текст заметки"));
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/notes?deal_id={deal}")).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1, "nothing stored for the empty note");
}

async fn a_task_is_added_in_the_workspace_zone_and_marked_done(app: TestApp) {
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Переезд"})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let form = [("type", "call"), ("subject", "Перезвонить"), ("due", "2026-11-25T10:00")];
    let (status, html) = ui.post_form(&format!("/deals/{deal}/tasks"), &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Звонок: Перезвонить") && html.contains("Срок: 25.11.2026 10:00"));
    let (_, v) = app.get(m1, &format!("/api/v1/activities?deal_id={deal}")).await;
    let task = &v["data"][0];
    assert_eq!(task["due_at"], "2026-11-25T07:00:00.000Z", "10:00 in Moscow");
    assert_eq!(task["done"], false);

    let (status, html) = ui.post_form(&format!("/deals/{deal}/tasks"), &[("type", "task"), ("subject", ""), ("due", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"task-form\"") && html.contains("aria-invalid=\"true\""));
    let (status, _) = ui.post_form(&format!("/deals/{deal}/tasks"), &[("type", "task"), ("subject", "x"), ("due", "завтра")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let id = task["id"].as_i64().unwrap();
    let back = format!("/deals/{deal}");
    let (status, html) = ui.post_form(&format!("/activities/{id}/done"), &[("back", back.as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.starts_with(&format!("<li id=\"tl-activity-{id}\"")) && html.contains("badge ok"), "{html}");
    let (_, v) = app.get(m1, &format!("/api/v1/activities/{id}")).await;
    assert_eq!(v["data"]["done"], true);
}

async fn cards_of_records_the_user_does_not_see_are_not_found(app: TestApp) {
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Центр"})).await;
    let person = app.create(m1, "persons", json!({"name": "Пётр"})).await;
    let deal = app.create(m1, "deals", json!({"title": "Центральная сделка"})).await;
    let m3 = app.ui_login(app.ids.manager3, "m3@a.test").await;
    for path in [format!("/deals/{deal}"), format!("/persons/{person}"), format!("/organizations/{org}"), "/deals/999999".into()] {
        let (status, html) = m3.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("Центральная сделка") && !html.contains("ООО Центр"));
    }
    let (status, _) = m3.post_form(&format!("/deals/{deal}/notes"), &[("content", "чужое")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = m3.post_form(&format!("/deals/{deal}"), &[("title", "Захват")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = m3.get_fragment(&format!("/deals/{deal}/timeline")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["title"], "Центральная сделка");
    let (_, v) = app.get(m1, &format!("/api/v1/notes?deal_id={deal}")).await;
    assert!(v["data"].as_array().unwrap().is_empty());
}

async fn a_script_in_a_title_is_shown_as_text(app: TestApp) {
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "<script>alert(1)</script>"})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, html) = ui.get(&format!("/deals/{deal}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)"), "the title is not markup");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;</h1>"));
}

async fn an_invalid_edit_is_refused_in_place_and_a_valid_one_saved(app: TestApp) {
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Старое название", "value": 100_000})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, html) = ui.get_fragment(&format!("/deals/{deal}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"title\"") && html.contains("value=\"1000\"") && html.contains("name=\"custom.budget\""));

    let owner = app.ids.manager1.to_string();
    let edit = |title: &'static str, value: &'static str, budget: &'static str| {
        let owner = owner.clone();
        vec![
            ("title", title.to_string()),
            ("value", value.to_string()),
            ("currency", "RUB".into()),
            ("owner_id", owner),
            ("custom.budget", budget.into()),
        ]
    };
    for (form, field) in
        [(edit("Новое", "много", ""), "f-value"), (edit("", "10", ""), "f-title"), (edit("Новое", "10", "x"), "f-custom-budget")]
    {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, html) = ui.post_form(&format!("/deals/{deal}"), &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains(&format!("id=\"{field}\" name=")), "{html}");
        let at = html.find(&format!("id=\"{field}\"")).unwrap();
        let tag_end = at + html[at..].find('>').unwrap();
        assert!(html[at..tag_end].contains("aria-invalid=\"true\""), "the offending field is marked: {}", &html[at..tag_end]);
        assert!(html.contains(&format!("id=\"{field}-error\"")));
    }
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!((v["data"]["title"].as_str(), v["data"]["value"].as_i64()), (Some("Старое название"), Some(100_000)), "nothing saved");

    let form = edit("Новое название", "2 500,50", "300000");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = ui.post_form(&format!("/deals/{deal}"), &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.starts_with("<div class=\"record\" id=\"record\">") && html.contains("Новое название"));
    assert!(html.contains("<span class=\"to\">Новое название</span>"), "the change is on the timeline");
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["title"], "Новое название");
    assert_eq!(v["data"]["value"], 250_050);
    assert_eq!(v["data"]["custom"]["budget"], 30_000_000);
}

async fn status_actions_and_stage_moves_go_through_the_store(app: TestApp) {
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Переезд"})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let path = format!("/deals/{deal}/status");
    let (status, html) = ui.post_form(&path, &[("status", "lost"), ("reason", " "), ("comment", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Укажите причину") && html.contains("<details class=\"status-form\" open>"));

    let (status, html) = ui.post_form(&path, &[("status", "lost"), ("reason", "Дорого"), ("comment", "Ушли к конкуренту")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Проиграна") && html.contains("Дорого") && html.contains("Ушли к конкуренту"));
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!((v["data"]["status"].as_str(), v["data"]["lost_reason"].as_str()), (Some("lost"), Some("Дорого")));
    assert!(v["data"]["closed_at"].is_string());

    let (status, html) = ui.post_form(&path, &[("status", "open")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Выиграна"), "the actions of an open deal are back");
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["status"], "open");
    assert!(v["data"]["lost_reason"].is_null() && v["data"]["closed_at"].is_null());

    let stage = app.ids.stages[2].to_string();
    let (status, html) = ui.post_form(&format!("/deals/{deal}/stage"), &[("stage_id", &stage)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Этап: <strong>Коммуникация</strong>"));
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[2]);

    // A stage of another workspace is refused next to the select; an analyst may not move at all.
    let (status, html) = ui.post_form(&format!("/deals/{deal}/stage"), &[("stage_id", "999999")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"stage-error\""));
    let analyst = app.ui_login(user_id(&app, "analyst@a.test").await, "analyst@a.test").await;
    let first = app.ids.stages[0].to_string();
    let (status, html) = analyst.post_form(&format!("/deals/{deal}/stage"), &[("stage_id", &first)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[2], "nothing moved");
}

async fn a_long_timeline_is_paged(app: TestApp) {
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Долгая сделка"})).await;
    for i in 0..70 {
        app.create(m1, "notes", json!({"content": format!("Заметка номер {i}"), "deal_id": deal})).await;
        if i % 10 == 0 {
            app.clock.advance(time::Duration::minutes(1));
        }
    }
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, html) = ui.get(&format!("/deals/{deal}")).await;
    assert_eq!(html.matches("<li id=\"tl-").count(), 50, "one page");
    assert!(html.contains("Заметка номер 69<") && !html.contains("Заметка номер 0<"), "newest first");
    let more = html_attr(&html, "<li class=\"more\">", "hx-get").expect("a show-more button").replace("&amp;", "&");
    let (status, rest) = ui.get_fragment(&more).await;
    assert_eq!(status, StatusCode::OK);
    // 70 notes and the deal's creation: 21 more, and no more button.
    assert!(rest.contains("Заметка номер 0<") && rest.contains("Сделка создана") && !rest.contains("class=\"more\""));
    let ids = |page: &str| {
        page.match_indices("<li id=\"tl-").map(|(i, _)| page[i + 8..].split('"').next().unwrap().to_string()).collect::<Vec<_>>()
    };
    let (first, second) = (ids(&html), ids(&rest));
    assert_eq!(second.len(), 21, "70 notes and the deal's creation: {rest}");
    assert!(first.iter().all(|i| !second.contains(i)), "no item on both pages");
}

/// The card's in-place edit, note form and stage move as a browser with htmx does them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_works_a_deal_card_in_a_real_browser() {
    use fantoccini::Locator;
    let Some(browser) = crate::browser::start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Ромашка"})).await;
    let deal = app.create(m1, "deals", json!({"title": "Сайт для Ромашки", "value": 15_000_000, "organization_id": org})).await;
    app.create(m1, "activities", json!({"type": "task", "subject": "Отправить КП", "deal_id": deal, "due_at": "2026-11-25T10:00:00Z"}))
        .await;
    let password = "browser-pass-123";
    app.set_password(app.ids.manager1, password).await;
    browser.login(&app.base, "m1@a.test", password).await;
    browser.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    browser.wait_for("#deal-head").await;
    browser.shot("deal-card-ru").await;

    let click = |css: &'static str| {
        let c = browser.client.clone();
        async move { c.find(Locator::Css(css)).await.unwrap().click().await.unwrap() }
    };
    // Edit: an empty title is refused next to the field, nothing is saved.
    click("#deal-fields .panel-head button").await;
    let title = browser.wait_for("#f-title").await;
    title.clear().await.unwrap();
    browser.client.execute("document.getElementById('f-title').removeAttribute('required')", vec![]).await.unwrap();
    click("#deal-fields button.primary").await;
    browser.wait_for("#f-title[aria-invalid=true]").await;
    assert!(browser.text_of("#f-title-error").await.len() > 3);
    browser.shot("deal-card-edit-refused").await;
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["title"], "Сайт для Ромашки");
    browser.client.find(Locator::Css("#f-title")).await.unwrap().send_keys("Сайт и реклама").await.unwrap();
    click("#deal-fields button.primary").await;
    browser.wait_until("the saved title", "document.getElementById('deal-title').textContent === 'Сайт и реклама'").await;

    // A note goes to the top of the timeline.
    browser.client.find(Locator::Css("#note-content")).await.unwrap().send_keys("Созвонились, ждут КП").await.unwrap();
    click("#note-form button.primary").await;
    browser.wait_until("the note", "document.querySelector('.timeline li .body')?.textContent === 'Созвонились, ждут КП'").await;

    // The stage select moves the deal; the task is marked done from the timeline.
    let select = browser.client.find(Locator::Css("#stage-select")).await.unwrap();
    select.select_by_value(&app.ids.stages[1].to_string()).await.unwrap();
    click(".stage-move button").await;
    browser.wait_until("the new stage", "document.querySelector('.stage-now strong').textContent === 'Принял в работу'").await;
    click(".timeline .mark-done").await;
    browser.wait_until("the task done", "!document.querySelector('.timeline .mark-done')").await;
    browser.shot("deal-card-worked").await;

    // It was the deal's last open task: the next step is asked for in place and scheduled from there.
    browser.wait_for("#next-step-form").await;
    browser.shot("deal-card-next-step").await;
    browser.client.find(Locator::Css("#next-subject")).await.unwrap().send_keys("Согласовать КП").await.unwrap();
    click("#next-step-form button[type=submit]").await;
    browser
        .wait_until("the new task", "!document.querySelector('#next-step-form') && document.querySelector('.timeline .mark-done')")
        .await;
    let (_, v) = app.get(m1, &format!("/api/v1/activities?deal_id={deal}&done=false")).await;
    assert_eq!(v["data"][0]["subject"], "Согласовать КП", "{v}");
    // Marked done too, the offer comes again, and "not now" puts it away.
    click(".timeline .mark-done").await;
    browser.wait_for("#next-step-dismiss").await.click().await.unwrap();
    browser.wait_until("the offer gone", "!document.querySelector('#next-step')").await;
    assert!(browser.client.current_url().await.unwrap().path().ends_with(&format!("/deals/{deal}")));
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[1]);
}

async fn an_edit_of_a_deal_someone_changed_meanwhile_is_refused_not_overwritten(app: TestApp) {
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Исходное", "value": 100_000})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, html) = ui.get_fragment(&format!("/deals/{deal}/edit")).await;
    let version = html_attr(&html, "name=\"version\"", "value").expect("the form carries the version it was filled from");
    assert_eq!(version, "1");
    // A colleague saves first.
    let (s, _) = app.patch(&app.t.admin, &format!("/api/v1/deals/{deal}"), json!({"title": "Изменено коллегой"})).await;
    assert_eq!(s, StatusCode::OK);
    let owner = app.ids.manager1.to_string();
    let form =
        [("version", version.as_str()), ("title", "Мои правки"), ("value", "1000"), ("currency", "RUB"), ("owner_id", owner.as_str())];
    let (status, html) = ui.post_form(&format!("/deals/{deal}"), &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"deal-stale\"") && html.contains("изменил кто-то другой"), "{html}");
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["title"], "Изменено коллегой", "the colleague's change is kept");
    // Reloaded, the form carries the new version and saves.
    let (_, html) = ui.get_fragment(&format!("/deals/{deal}/edit")).await;
    let version = html_attr(&html, "name=\"version\"", "value").unwrap();
    let form =
        [("version", version.as_str()), ("title", "Мои правки"), ("value", "1000"), ("currency", "RUB"), ("owner_id", owner.as_str())];
    let (status, html) = ui.post_form(&format!("/deals/{deal}"), &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["title"], "Мои правки");
}

/// The deal's last open task marked done: the answer offers the next step in place, due the next
/// working day at 10:00 in the workspace's zone, and it is created like any task; while another
/// task is open, on a closed deal, or away from the deal's card, nothing is offered.
async fn marking_the_last_open_task_done_offers_the_next_step(app: TestApp) {
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Поставка станков"})).await;
    let first = app.create(m1, "activities", json!({"type": "call", "subject": "Созвон", "deal_id": deal})).await;
    let second = app.create(m1, "activities", json!({"type": "task", "subject": "Отправить КП", "deal_id": deal})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let back = format!("/deals/{deal}");
    let done = |id: i64| {
        let (ui, back) = (&ui, back.clone());
        async move { ui.post_form(&format!("/activities/{id}/done"), &[("back", back.as_str())]).await }
    };

    // Another task is still open: just the item.
    let (status, html) = done(first).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("next-step-form"), "{html}");

    // The last one: the offer, prefilled. Monday 12:00 in Moscow, so Tuesday 10:00.
    let (status, html) = done(second).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.starts_with(&format!("<li id=\"tl-activity-{second}\"")), "{html}");
    assert!(html.contains("id=\"next-step-form\"") && html.contains("Запланировать следующий шаг"), "{html}");
    assert!(html.contains(&format!("hx-post=\"/deals/{deal}/tasks\"")), "{html}");
    assert!(html.contains("<option value=\"task\" selected>"), "{html}");
    assert!(html.contains("value=\"2026-11-24T10:00\""), "{html}");
    assert!(html.contains("data-dismiss=\"next-step\"") && html.contains(&format!("href=\"/deals/{deal}\"")), "{html}");

    // Sent as prefilled, it becomes the deal's open task through the add-task path.
    let form = [("type", "task"), ("subject", "Уточнить сроки поставки"), ("due", "2026-11-24T10:00")];
    let (status, html) = ui.post_form(&format!("/deals/{deal}/tasks"), &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"timeline\"") && html.contains("Уточнить сроки поставки"), "{html}");
    let (_, v) = app.get(m1, &format!("/api/v1/activities?deal_id={deal}&done=false")).await;
    let open = v["data"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{v}");
    assert_eq!((open[0]["subject"].as_str(), open[0]["type"].as_str()), (Some("Уточнить сроки поставки"), Some("task")));
    assert_eq!(open[0]["due_at"], "2026-11-24T07:00:00.000Z", "10:00 in Moscow");

    // On Friday evening the next working morning is Monday's.
    app.clock.advance(time::Duration::days(4) + time::Duration::hours(9));
    let (_, html) = done(open[0]["id"].as_i64().unwrap()).await;
    assert!(html.contains("value=\"2026-11-30T10:00\""), "{html}");

    // Another manager's task on the deal counts as its next step.
    let shared = app.create(m1, "deals", json!({"title": "Общая сделка"})).await;
    let mine = app.create(m1, "activities", json!({"type": "task", "subject": "Моё", "deal_id": shared})).await;
    let (s, v) = app
        .post(
            &app.t.admin,
            "/api/v1/activities",
            json!({"type": "task", "subject": "Чужое", "deal_id": shared, "owner_id": app.ids.manager2}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, html) = ui.post_form(&format!("/activities/{mine}/done"), &[("back", format!("/deals/{shared}").as_str())]).await;
    assert!(!html.contains("next-step-form"), "{html}");

    // A won deal needs no next step; nor is it offered on Today or another card.
    let won = app.create(m1, "deals", json!({"title": "Выигранная"})).await;
    let last = app.create(m1, "activities", json!({"type": "task", "subject": "Закрыть", "deal_id": won})).await;
    let (s, v) = app.patch(m1, &format!("/api/v1/deals/{won}"), json!({"status": "won"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, html) = ui.post_form(&format!("/activities/{last}/done"), &[("back", format!("/deals/{won}").as_str())]).await;
    assert!(!html.contains("next-step-form"), "{html}");
    let other = app.create(m1, "deals", json!({"title": "С Сегодня"})).await;
    let today = app.create(m1, "activities", json!({"type": "task", "subject": "Позвонить", "deal_id": other})).await;
    let (_, html) = ui.post_form(&format!("/activities/{today}/done"), &[("back", "/today")]).await;
    assert!(!html.contains("next-step-form"), "{html}");

    // In English.
    let resp = ui
        .client
        .post(format!("{}/lang", ui.base))
        .form(&[("lang", "en"), ("back", "/board"), ("csrf_token", &ui.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let task = app.create(m1, "activities", json!({"type": "task", "subject": "Ещё", "deal_id": deal})).await;
    let (_, html) = done(task).await;
    assert!(html.contains("Schedule the next step") && html.contains("Not now"), "{html}");
}

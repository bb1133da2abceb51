//! The settings screens as a browser sees them: administrators get in, heads of sales get to the
//! regulation (pipelines, stages, fields), every write carries the CSRF token, and pipelines,
//! stages, custom fields, users and teams change through the same rules as the API, with refusals
//! shown next to the form that caused them. The sales regulation (a stage's, a pipeline's rules,
//! the working calendar and closing reasons) is saved the same way. A form's address opened as a
//! page answers with the error page, not JSON.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(
    an_admin_adds_a_stage_and_the_board_shows_it,
    a_bad_stage_is_refused_next_to_its_form_and_nothing_is_saved,
    only_administrators_get_in_and_only_with_the_csrf_token,
    moving_a_stage_reorders_the_board,
    a_stage_with_deals_is_not_deleted_and_an_empty_one_is,
    custom_fields_are_checked_by_the_store,
    users_and_teams_are_managed_and_an_admin_keeps_themselves_active,
    a_stage_regulation_is_saved_through_its_form,
    a_refused_regulation_is_shown_next_to_its_input_and_nothing_is_saved,
    a_role_range_saved_in_the_settings_stops_a_managers_move,
    the_working_calendar_and_reasons_are_saved_and_checked_by_the_store,
    a_locked_user_is_shown_and_unlocked,
    a_head_configures_the_regulation_but_not_users_or_integrations,
    a_manager_is_refused_the_regulation,
    a_get_on_a_form_address_is_an_html_page_in_the_readers_language,
);

#[track_caller]
fn at(html: &str, needle: &str) -> usize {
    html.find(needle).unwrap_or_else(|| panic!("{needle:?} is not on the page:\n{html}"))
}

async fn admin(app: &TestApp) -> UiSession {
    app.ui_login(app.ids.admin, "admin@a.test").await
}

async fn stage_count(app: &TestApp) -> usize {
    app.all_ids(&app.t.admin, "stages", &format!("&pipeline_id={}", app.ids.pipeline)).await.len()
}

async fn an_admin_adds_a_stage_and_the_board_shows_it(app: TestApp) {
    let s = admin(&app).await;
    let resp = s.client.get(format!("{}/settings", s.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/settings/pipelines");

    let (status, page) = s.get("/settings/pipelines").await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "class=\"settings-nav\"");
    at(&page, "href=\"/settings/users\"");
    at(&page, "Принял в работу");
    at(&page, "name=\"csrf_token\"");

    let pipeline = app.ids.pipeline.to_string();
    let form = [("pipeline_id", pipeline.as_str()), ("name", "Счёт выставлен"), ("probability", "60"), ("rotting_days", "7")];
    let (status, fragment) = s.post_form("/settings/stages", &form).await;
    assert_eq!(status, StatusCode::OK, "{fragment}");
    assert!(!fragment.contains("<html"), "htmx gets the fragment");
    at(&fragment, "id=\"settings-body\"");
    at(&fragment, "Счёт выставлен");

    let (_, board) = s.get("/board").await;
    assert!(at(&board, "Коммуникация") < at(&board, "Счёт выставлен"), "the new stage is the last column");
    let stages = app.all_records(&app.t.admin, "stages", &format!("&pipeline_id={}&sort=position", app.ids.pipeline), 50).await;
    let added = stages.last().unwrap();
    assert_eq!(
        (added["name"].as_str(), added["probability"].as_i64(), added["rotting_days"].as_i64()),
        (Some("Счёт выставлен"), Some(60), Some(7))
    );

    // Without scripts the form posts and the browser is sent back to the tab.
    let plain = [("pipeline_id", pipeline.as_str()), ("name", "Оплата"), ("csrf_token", s.csrf.as_str())];
    let resp = s.client.post(format!("{}/settings/stages", s.base)).form(&plain).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/settings/pipelines");
    assert_eq!(stage_count(&app).await, 5);
}

async fn a_bad_stage_is_refused_next_to_its_form_and_nothing_is_saved(app: TestApp) {
    let s = admin(&app).await;
    let stage = app.ids.stages[1];
    let (status, html) = s.post_form(&format!("/settings/stages/{stage}"), &[("name", "Квалификация"), ("probability", "150")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "должно быть от 0 до 100");
    at(&html, &format!("id=\"stage-{stage}-error\""));
    let input = &html[at(&html, &format!("id=\"stage-{stage}-probability\""))..];
    let input = &input[..at(input, ">")];
    assert!(input.contains("value=\"150\"") && input.contains("aria-invalid=\"true\""), "{input}");
    at(&html, "value=\"Квалификация\"");
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/stages/{stage}")).await;
    assert_eq!((v["data"]["name"].as_str(), v["data"]["probability"].as_i64()), (Some("Принял в работу"), Some(0)), "nothing saved");

    let pipeline = app.ids.pipeline.to_string();
    for (probability, message) in [("150", "должно быть от 0 до 100"), ("сорок", "должно быть целым числом")]
    {
        let form = [("pipeline_id", pipeline.as_str()), ("name", "Лишний"), ("probability", probability)];
        let (status, html) = s.post_form("/settings/stages", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        at(&html, message);
        at(&html, "value=\"Лишний\"");
    }
    let (status, html) = s.post_form("/settings/stages", &[("pipeline_id", pipeline.as_str()), ("name", " ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "обязательное поле");
    assert_eq!(stage_count(&app).await, 3, "no stage was created");
}

async fn only_administrators_get_in_and_only_with_the_csrf_token(app: TestApp) {
    let m = app.ui_login(app.ids.manager1, "m1@a.test").await;
    for path in ["/settings", "/settings/pipelines", "/settings/users"] {
        let (status, _) = m.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (_, board) = m.get("/board").await;
    assert!(!board.contains("href=\"/settings\""), "managers are not offered the settings");
    let pipeline = app.ids.pipeline.to_string();
    let (status, _) = m.post_form("/settings/stages", &[("pipeline_id", pipeline.as_str()), ("name", "Чужой")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = m.post_form(&format!("/settings/stages/{}/delete", app.ids.stages[2]), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let head = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    let h = app.ui_login(head, "head@a.test").await;
    assert_eq!(h.get("/settings/teams").await.0, StatusCode::FORBIDDEN);

    let s = admin(&app).await;
    for token in [None, Some("forged")] {
        let mut req =
            s.client.post(format!("{}/settings/stages", s.base)).form(&[("pipeline_id", pipeline.as_str()), ("name", "Без токена")]);
        if let Some(t) = token {
            req = req.header("X-CSRF-Token", t);
        }
        assert_eq!(req.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(stage_count(&app).await, 3, "no refused write got through");
}

/// The stage ids of the board's columns, left to right.
fn columns(board: &str) -> Vec<i64> {
    board.split("data-stage-id=\"").skip(1).filter_map(|rest| rest[..rest.find('"').unwrap()].parse().ok()).collect()
}

async fn moving_a_stage_reorders_the_board(app: TestApp) {
    let s = admin(&app).await;
    let [a, b, c] = [app.ids.stages[0], app.ids.stages[1], app.ids.stages[2]];
    assert_eq!(columns(&s.get("/board").await.1), [a, b, c]);

    let (status, html) = s.post_form(&format!("/settings/stages/{c}/move"), &[("dir", "up")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(at(&html, &format!("id=\"stage-{c}\"")) < at(&html, &format!("id=\"stage-{b}\"")));
    assert_eq!(columns(&s.get("/board").await.1), [a, c, b]);

    s.post_form(&format!("/settings/stages/{a}/move"), &[("dir", "down")]).await;
    assert_eq!(columns(&s.get("/board").await.1), [c, a, b]);
    // The first stage cannot go higher: nothing changes.
    let (status, _) = s.post_form(&format!("/settings/stages/{c}/move"), &[("dir", "up")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(columns(&s.get("/board").await.1), [c, a, b]);
    let (_, page) = s.get("/settings/pipelines").await;
    let up = &page[at(&page, &format!("id=\"stage-{c}-up\""))..];
    assert!(up[..at(up, ">")].contains("disabled"), "the top stage's up button is disabled");
}

async fn a_stage_with_deals_is_not_deleted_and_an_empty_one_is(app: TestApp) {
    app.create(&app.t.manager1, "deals", json!({"title": "Поставка"})).await;
    let s = admin(&app).await;
    let busy = app.ids.stages[0];
    let (status, html) = s.post_form(&format!("/settings/stages/{busy}/delete"), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "в этом этапе сделок: 1; сначала перенесите их");
    at(&html, &format!("id=\"stage-{busy}-error\""));
    assert_eq!(stage_count(&app).await, 3);

    let (status, html) = s.post_form(&format!("/settings/stages/{}/delete", app.ids.stages[2]), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Коммуникация"));
    assert_eq!(stage_count(&app).await, 2);

    let (status, html) = s.post_form(&format!("/settings/pipelines/{}/delete", app.ids.pipeline), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "в этой воронке сделок: 1");

    let (status, html) = s.post_form("/settings/pipelines", &[("name", "Партнёры")]).await;
    assert_eq!(status, StatusCode::OK);
    at(&html, "Партнёры");
    let (status, html) = s.post_form(&format!("/settings/pipelines/{}", app.ids.pipeline), &[("name", "Клиенты 2026")]).await;
    assert_eq!(status, StatusCode::OK);
    at(&html, "Клиенты 2026");
}

async fn custom_fields_are_checked_by_the_store(app: TestApp) {
    let s = admin(&app).await;
    let (status, page) = s.get("/settings/fields").await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "<code>budget</code>");

    let field = |key: &'static str, ft: &'static str, options: &'static str| {
        [("entity", "deal"), ("key", key), ("label", "Сегмент"), ("field_type", ft), ("options", options)]
    };
    let (status, html) = s.post_form("/settings/fields", &field("segment", "enum", "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "у поля-списка должен быть хотя бы один вариант");
    let (status, html) = s.post_form("/settings/fields", &field("city", "text", "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "поле с таким ключом уже есть у этой сущности");
    let (status, html) = s.post_form("/settings/fields", &field("segment", "colour", "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "допустимые значения:");
    let (status, html) = s.post_form("/settings/fields", &field("Segment", "text", "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "value=\"Segment\"");

    let (status, html) = s.post_form("/settings/fields", &field("segment", "enum", "SMB\nEnterprise\n")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let defs = app.all_records(&app.t.admin, "custom_fields", "&key=segment", 50).await;
    assert_eq!(defs[0]["options"], json!(["SMB", "Enterprise"]));
    let id = defs[0]["id"].as_i64().unwrap();
    let (status, _) = s.post_form(&format!("/settings/fields/{id}"), &[("label", "Сегмент клиента"), ("options", "SMB\nMid\n")]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/custom_fields/{id}")).await;
    assert_eq!((v["data"]["label"].as_str(), &v["data"]["options"]), (Some("Сегмент клиента"), &json!(["SMB", "Mid"])));
    let (status, html) = s.post_form(&format!("/settings/fields/{id}/delete"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<code>segment</code>"));
}

async fn users_and_teams_are_managed_and_an_admin_keeps_themselves_active(app: TestApp) {
    let s = admin(&app).await;
    let (status, page) = s.get("/settings/users").await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "m1@a.test");

    let new =
        |email: &'static str| [("name", "Ольга"), ("email", email), ("role", "manager"), ("team_id", ""), ("password", "long-enough-1")];
    let (status, html) = s.post_form("/settings/users", &new("olga@")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "не адрес электронной почты");
    assert!(!html.contains("long-enough-1"), "a password is never sent back");
    let (status, html) = s.post_form("/settings/users", &new("m1@a.test")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "этот e-mail нельзя использовать");
    let (status, html) = s.post_form("/settings/users", &new("olga@a.test")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let olga = app.db.user_by_email("olga@a.test").await.unwrap().unwrap().1;
    let o = app.ui_login(olga, "olga@a.test").await;
    assert_eq!(o.get("/board").await.0, StatusCode::OK, "the new user signs in");

    // Themselves: neither deactivated nor demoted.
    let me = app.ids.admin;
    let (status, html) = s.post_form(&format!("/settings/users/{me}/active"), &[("active", "0")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "нельзя отключить самого себя");
    let (status, html) = s.post_form(&format!("/settings/users/{me}"), &[("name", "admin"), ("role", "manager"), ("team_id", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "нельзя снять с себя роль администратора");

    // Another user: moved to a new team, deactivated, reactivated.
    let (status, _) = s.post_form("/settings/teams", &[("name", "Север")]).await;
    assert_eq!(status, StatusCode::OK);
    let teams = app.all_records(&app.t.admin, "teams", "&name=Север", 50).await;
    let north = teams[0]["id"].as_i64().unwrap().to_string();
    let m1 = app.ids.manager1;
    let (status, _) = s.post_form(&format!("/settings/users/{m1}"), &[("name", "m1"), ("role", "head"), ("team_id", north.as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/users/{m1}")).await;
    assert_eq!((v["data"]["role"].as_str(), v["data"]["team_id"].as_i64()), (Some("head"), north.parse().ok()));
    let (status, html) = s.post_form(&format!("/settings/users/{m1}/active"), &[("active", "0")]).await;
    assert_eq!(status, StatusCode::OK);
    at(&html, "Пользователь отключён");
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/users/{m1}")).await;
    assert_eq!(v["data"]["active"], false);
    s.post_form(&format!("/settings/users/{m1}/active"), &[("active", "1")]).await;
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/users/{m1}")).await;
    assert_eq!(v["data"]["active"], true);

    // A team with members stays; an empty one goes.
    let (status, html) = s.post_form(&format!("/settings/teams/{north}/delete"), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "в этой команде пользователей: 1");
    s.post_form(&format!("/settings/users/{m1}"), &[("name", "m1"), ("role", "manager"), ("team_id", "")]).await;
    let (status, html) = s.post_form(&format!("/settings/teams/{north}/delete"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Север"));
}

async fn stored_regulation(app: &TestApp, stage: i64) -> serde_json::Value {
    let (status, v) = app.get(&app.t.admin, &format!("/api/v1/stages/{stage}")).await;
    assert_eq!(status, StatusCode::OK);
    v["data"]["regulation"].clone()
}

async fn a_stage_regulation_is_saved_through_its_form(app: TestApp) {
    let s = admin(&app).await;
    let stage = app.ids.stages[1];
    let (_, page) = s.get("/settings/pipelines").await;
    at(&page, &format!("href=\"/settings/stages/{stage}/regulation\""));
    let (status, page) = s.get(&format!("/settings/stages/{stage}/regulation")).await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "Регламент этапа «Принял в работу»");
    at(&page, "name=\"req.custom.proposal_link\"");
    at(&page, "<code>{custom.product}</code>");

    // "Add a task" brings a new row and saves nothing.
    let path = format!("/settings/stages/{stage}/regulation");
    let (status, html) = s.post_form(&path, &[("req.value", "1"), ("op", "add")]).await;
    assert_eq!(status, StatusCode::OK);
    at(&html, "name=\"task.0.subject\"");
    let checkbox = &html[at(&html, "name=\"req.value\"")..];
    assert!(checkbox[..at(checkbox, ">")].contains("checked"), "what was ticked stays ticked");
    assert_eq!(stored_regulation(&app, stage).await, serde_json::Value::Null);

    let form = [
        ("req.value", "1"),
        ("req.custom.proposal_link", "1"),
        ("naming_template", "{org} — {custom.product}"),
        ("naming_mode", "check"),
        ("task.0.type", "call"),
        ("task.0.subject", "Позвонить {person}"),
        ("task.0.description", "Уточнить бюджет"),
        ("task.0.due_amount", "2"),
        ("task.0.due_unit", "hours"),
        ("task.0.assignee", "participant"),
        ("task.0.role", "consultant"),
        ("task.1.subject", ""),
        ("task.1.due_amount", "1"),
        ("task.1.due_unit", "days"),
        ("task.1.assignee", "owner"),
        ("sla_amount", "4"),
        ("sla_unit", "hours"),
        ("op", "save"),
    ];
    let (status, html) = s.post_form(&path, &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    at(&html, "Сохранено");
    let reg = stored_regulation(&app, stage).await;
    assert_eq!(reg["required_fields"], json!(["value", "custom.proposal_link"]));
    assert_eq!(reg["sla"], json!({"amount": 4, "unit": "hours"}));
    assert_eq!(reg["naming"], json!({"template": "{org} — {custom.product}", "mode": "check"}));
    assert_eq!(
        reg["entry_tasks"],
        json!([{"type": "call", "subject": "Позвонить {person}", "description": "Уточнить бюджет",
                "due": {"amount": 2, "unit": "hours"}, "assignee": "participant:consultant"}]),
        "the empty row is not a task"
    );
    let (_, page) = s.get("/settings/pipelines").await;
    at(&page, "полей: 2 · шаблон названия · задач: 1 · SLA 4 ч");

    // The regulation works: a deal without a value does not enter the stage.
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Сайт"})).await;
    let (status, v) = app.patch(&app.t.manager1, &format!("/api/v1/deals/{deal}"), json!({"stage_id": stage})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // Clearing everything stores no regulation.
    let (status, _) = s.post_form(&path, &[("naming_template", ""), ("sla_amount", ""), ("sla_unit", "hours")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored_regulation(&app, stage).await, serde_json::Value::Null);
}

async fn a_refused_regulation_is_shown_next_to_its_input_and_nothing_is_saved(app: TestApp) {
    let s = admin(&app).await;
    let stage = app.ids.stages[2];
    let path = format!("/settings/stages/{stage}/regulation");
    let form =
        [("req.value", "1"), ("naming_template", "{org} — {budget}"), ("naming_mode", "apply"), ("sla_amount", "1"), ("sla_unit", "days")];
    let (status, html) = s.post_form(&path, &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "Шаблон названия: неизвестная подстановка {budget}; доступны: {title}");
    at(&html, "id=\"reg-naming-error\"");
    let input = &html[at(&html, "id=\"reg-template\"")..];
    let input = &input[..at(input, ">")];
    assert!(input.contains("value=\"{org} — {budget}\"") && input.contains("aria-invalid=\"true\""), "{input}");
    assert_eq!(stored_regulation(&app, stage).await, serde_json::Value::Null, "nothing saved");

    // A task's refusal lands on its row.
    let form = [
        ("task.0.type", "task"),
        ("task.0.subject", "Перезвонить"),
        ("task.0.due_amount", "0"),
        ("task.0.due_unit", "hours"),
        ("task.0.assignee", "owner"),
    ];
    let (status, html) = s.post_form(&path, &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "id=\"reg-task-0-error\"");
    at(&html, "Срок: должно быть больше нуля");
    assert_eq!(stored_regulation(&app, stage).await, serde_json::Value::Null);

    // A custom field that does not exist is the store's refusal too.
    let (status, html) = s.post_form(&path, &[("naming_template", "{custom.nope}")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "у сделок нет дополнительного поля «nope»");
}

async fn a_role_range_saved_in_the_settings_stops_a_managers_move(app: TestApp) {
    let s = admin(&app).await;
    let p = app.ids.pipeline;
    let (_, page) = s.get("/settings/pipelines").await;
    at(&page, &format!("href=\"/settings/pipelines/{p}/rules\""));
    let (status, page) = s.get(&format!("/settings/pipelines/{p}/rules")).await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "name=\"range.manager\"");

    let first = app.ids.stages[0].to_string();
    let form = [("range.manager", first.as_str()), ("range.consultant", ""), ("range.partner_manager", ""), ("won.value", "1")];
    let (status, html) = s.post_form(&format!("/settings/pipelines/{p}/rules"), &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/pipelines/{p}")).await;
    assert_eq!(v["data"]["role_ranges"], json!([{"role": "manager", "up_to_stage_id": app.ids.stages[0]}]));
    assert_eq!(v["data"]["won_required_fields"], json!(["value"]));

    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Поставка"})).await;
    let (status, v) = app.patch(&app.t.manager1, &format!("/api/v1/deals/{deal}"), json!({"stage_id": app.ids.stages[1]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, _) = app.patch(&app.t.admin, &format!("/api/v1/deals/{deal}"), json!({"stage_id": app.ids.stages[1]})).await;
    assert_eq!(status, StatusCode::OK, "administrators move deals anywhere");

    // A stage of another workspace's pipeline is refused next to the role's select.
    let (status, html) = s.post_form(&format!("/settings/pipelines/{p}/rules"), &[("range.consultant", "999999")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "в этой воронке нет этапа 999999");
    let select = &html[at(&html, "id=\"rules-range-consultant\"")..];
    assert!(select[..at(select, ">")].contains("aria-invalid=\"true\""));
}

async fn the_working_calendar_and_reasons_are_saved_and_checked_by_the_store(app: TestApp) {
    let s = admin(&app).await;
    let (status, page) = s.get("/settings/workspace").await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "value=\"09:00-18:00\"");
    let (_, before) = app.get(&app.t.admin, "/api/v1/workspace").await;

    let week = [("day1", "1"), ("day2", "1"), ("day3", "1"), ("day4", "1"), ("day5", "1")];
    let mut form = week.to_vec();
    form.extend([
        ("hours", "09:00-13:00, 12:00-18:00"),
        ("holidays", ""),
        ("workdays", ""),
        ("lost_reasons", "Дорого"),
        ("frozen_reasons", ""),
    ]);
    let (status, html) = s.post_form("/settings/workspace/calendar", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    at(&html, "Рабочие часы: интервалы 09:00–13:00 и 12:00–18:00 пересекаются");
    let input = &html[at(&html, "id=\"cal-hours\"")..];
    assert!(input[..at(input, ">")].contains("aria-invalid=\"true\""));
    at(&html, "Дорого</textarea>");
    let (_, after) = app.get(&app.t.admin, "/api/v1/workspace").await;
    assert_eq!(after["data"], before["data"], "nothing saved");

    let mut form = week.to_vec();
    form.extend([
        ("hours", "9:00-13:00, 14:00-18:00"),
        ("holidays", "2026-01-01\n2026-01-02"),
        ("workdays", "2026-11-01"),
        ("lost_reasons", "Дорого\n\nВыбрали конкурента\n"),
        ("frozen_reasons", "Нет бюджета"),
    ]);
    let (status, html) = s.post_form("/settings/workspace/calendar", &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, v) = app.get(&app.t.admin, "/api/v1/workspace").await;
    assert_eq!(v["data"]["lost_reasons"], json!(["Дорого", "Выбрали конкурента"]));
    assert_eq!(v["data"]["frozen_reasons"], json!(["Нет бюджета"]));
    assert_eq!(
        v["data"]["business_hours"],
        json!({"days": [1, 2, 3, 4, 5], "hours": [["09:00", "13:00"], ["14:00", "18:00"]], "holidays": ["2026-01-01", "2026-01-02"], "workdays": ["2026-11-01"]})
    );
    let (_, page) = s.get("/settings/workspace").await;
    at(&page, "value=\"09:00-13:00, 14:00-18:00\"");
}

async fn a_locked_user_is_shown_and_unlocked(app: TestApp) {
    let right = "a-good-long-secret";
    let m3 = app.ids.manager3;
    app.set_password(m3, right).await;
    let sign_in = |password: &'static str| {
        let req = app.client.post(format!("{}/api/v1/auth/login", app.base)).json(&json!({"email": "m3@a.test", "password": password}));
        async move { req.send().await.unwrap().status() }
    };
    for _ in 0..5 {
        sign_in("wrong-password-1").await;
    }
    assert_eq!(sign_in(right).await, StatusCode::TOO_MANY_REQUESTS);

    // 09:00 UTC is 12:00 in the workspace's Moscow; the first lockout lasts five minutes.
    let s = admin(&app).await;
    let (status, page) = s.get("/settings/users").await;
    assert_eq!(status, StatusCode::OK);
    let row = &page[at(&page, &format!("id=\"user-{m3}\""))..];
    let row = &row[..at(row, "</tr>")];
    at(row, "Заблокирован до 12:05");
    at(row, &format!("action=\"/settings/users/{m3}/unlock\""));
    at(row, "name=\"csrf_token\"");
    at(row, "Разблокировать");
    assert_eq!(page.matches("Заблокирован до").count(), 1, "only the locked user has the badge");

    // A plain form post (no scripts) carries the CSRF field and lands back on the tab.
    let csrf = html_attr(row, &format!("action=\"/settings/users/{m3}/unlock\""), "value").unwrap();
    let resp = s.client.post(format!("{}/settings/users/{m3}/unlock", s.base)).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/settings/users");
    assert_eq!(sign_in(right).await, StatusCode::OK);

    // htmx: the refreshed tab with the notice, and no badge any more.
    for _ in 0..5 {
        sign_in("wrong-password-1").await;
    }
    let (status, html) = s.post_form(&format!("/settings/users/{m3}/unlock"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    at(&html, "Блокировка снята");
    assert!(!html.contains("Заблокирован до"), "{html}");
    let (status, html) = s.post_form(&format!("/settings/users/{m3}/unlock"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    at(&html, "Пользователь не был заблокирован");
    assert_eq!(sign_in(right).await, StatusCode::OK);

    // Managers cannot, and without the CSRF token nobody can.
    let m = app.ui_login(app.ids.manager1, "m1@a.test").await;
    assert_eq!(m.post_form(&format!("/settings/users/{m3}/unlock"), &[]).await.0, StatusCode::FORBIDDEN);
    let resp = s.client.post(format!("{}/settings/users/{m3}/unlock", s.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

async fn head(app: &TestApp) -> UiSession {
    let head = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    app.ui_login(head, "head@a.test").await
}

async fn a_head_configures_the_regulation_but_not_users_or_integrations(app: TestApp) {
    let h = head(&app).await;
    // The menu leads to the settings, which open on the pipelines.
    let (_, board) = h.get("/board").await;
    at(&board, "<a href=\"/settings\" class=\"\">Настройки</a>");
    let resp = h.client.get(format!("{}/settings", h.base)).send().await.unwrap();
    assert_eq!((resp.status(), resp.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/settings/pipelines"));
    let (status, page) = h.get("/settings/pipelines").await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "<a href=\"/settings\" class=\"active\">Настройки</a>");
    let nav = &page[at(&page, "class=\"settings-nav\"")..];
    let nav = &nav[..at(nav, "</nav>")];
    for href in ["/settings/pipelines", "/settings/fields", "/settings/assistants"] {
        at(nav, &format!("href=\"{href}\""));
    }
    for href in ["/settings/users", "/settings/teams", "/settings/workspace", "/settings/intake", "/settings/webhooks", "/settings/sms"] {
        assert!(!nav.contains(&format!("href=\"{href}\"")), "a head is not offered {href}: {nav}");
    }
    let (_, assistants) = h.get("/settings/assistants").await;
    at(&assistants, "href=\"/settings/fields\"");

    // A stage's required fields and SLA, through its form.
    let stage = app.ids.stages[1];
    let path = format!("/settings/stages/{stage}/regulation");
    assert_eq!(h.get(&path).await.0, StatusCode::OK);
    let form = [("req.value", "1"), ("sla_amount", "3"), ("sla_unit", "hours"), ("op", "save")];
    let (status, html) = h.post_form(&path, &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    at(&html, "Сохранено");
    let reg = stored_regulation(&app, stage).await;
    assert_eq!((&reg["required_fields"], &reg["sla"]), (&json!(["value"]), &json!({"amount": 3, "unit": "hours"})));
    // The pipeline's rules, a new stage and a custom field.
    let rules = format!("/settings/pipelines/{}/rules", app.ids.pipeline);
    assert_eq!(h.get(&rules).await.0, StatusCode::OK);
    let (status, html) = h.post_form(&rules, &[("won.value", "1")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let pipeline = app.ids.pipeline.to_string();
    let (status, html) = h.post_form("/settings/stages", &[("pipeline_id", pipeline.as_str()), ("name", "Договор")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(stage_count(&app).await, 4);
    let field = [("entity", "deal"), ("key", "segment"), ("label", "Сегмент"), ("field_type", "text")];
    let (status, html) = h.post_form("/settings/fields", &field).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    at(&html, "Сегмент");

    // Users, teams, the workspace and the integrations stay the administrator's.
    for path in ["/settings/users", "/settings/teams", "/settings/workspace", "/settings/intake", "/settings/webhooks", "/settings/sms"] {
        assert_eq!(h.get(path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let m1 = app.ids.manager1;
    let user = [("name", "Новый"), ("email", "new@a.test"), ("role", "manager")];
    assert_eq!(h.post_form("/settings/users", &user).await.0, StatusCode::FORBIDDEN);
    assert_eq!(h.post_form(&format!("/settings/users/{m1}"), &[("name", "m1"), ("role", "head")]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(h.post_form(&format!("/settings/users/{m1}/unlock"), &[]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(h.post_form("/settings/teams", &[("name", "Своя")]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(h.post_form("/settings/intake", &[("kind", "telephony"), ("name", "АТС")]).await.0, StatusCode::FORBIDDEN);
    let hook = [("url", "https://example.com/hook"), ("events", "deal.updated")];
    assert_eq!(h.post_form("/settings/webhooks", &hook).await.0, StatusCode::FORBIDDEN);
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/users/{m1}")).await;
    assert_eq!(v["data"]["role"], "manager", "nothing changed");
    let (_, v) = app.get(&app.t.admin, "/api/v1/intake/sources").await;
    assert_eq!(v["data"], json!([]));
}

async fn a_manager_is_refused_the_regulation(app: TestApp) {
    let m = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let stage = app.ids.stages[1];
    let path = format!("/settings/stages/{stage}/regulation");
    let rules = format!("/settings/pipelines/{}/rules", app.ids.pipeline);
    for page in ["/settings", "/settings/pipelines", "/settings/fields", path.as_str(), rules.as_str()] {
        assert_eq!(m.get(page).await.0, StatusCode::FORBIDDEN, "{page}");
    }
    let form = [("req.value", "1"), ("sla_amount", "3"), ("sla_unit", "hours"), ("op", "save")];
    assert_eq!(m.post_form(&path, &form).await.0, StatusCode::FORBIDDEN);
    assert_eq!(m.post_form(&rules, &[("won.value", "1")]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        m.post_form(&format!("/settings/stages/{stage}"), &[("name", "Свой"), ("probability", "10")]).await.0,
        StatusCode::FORBIDDEN
    );
    let field = [("entity", "deal"), ("key", "segment"), ("label", "Сегмент"), ("field_type", "text")];
    assert_eq!(m.post_form("/settings/fields", &field).await.0, StatusCode::FORBIDDEN);
    assert_eq!(stored_regulation(&app, stage).await, serde_json::Value::Null, "nothing saved");
    let (_, board) = m.get("/board").await;
    assert!(!board.contains("href=\"/settings\"") && !board.contains("href=\"/intake/events\""), "not in a manager's menu");
}

async fn a_get_on_a_form_address_is_an_html_page_in_the_readers_language(app: TestApp) {
    let s = admin(&app).await;
    let m3 = app.ids.manager3;
    let stage = app.ids.stages[1];
    for path in [
        format!("/settings/users/{m3}/unlock"),
        format!("/settings/users/{m3}/active"),
        format!("/settings/stages/{stage}/delete"),
        "/settings/workspace/calendar".to_string(),
        "/settings/stages".to_string(),
        "/logout".to_string(),
    ] {
        let resp = s.client.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(resp.headers()["allow"], "POST", "{path}");
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        let page = resp.text().await.unwrap();
        at(&page, "<!doctype html>");
        at(&page, "Этот адрес нельзя открыть как страницу");
        at(&page, "href=\"/board\"");
        assert!(!page.contains("method_not_allowed"), "not the API's JSON: {page}");
    }
    // Come from a page, the way back leads to it; htmx gets the notice alone.
    let referer = format!("{}/settings/users", s.base);
    let resp = s.client.get(format!("{}/settings/users/{m3}/unlock", s.base)).header("Referer", referer).send().await.unwrap();
    let page = resp.text().await.unwrap();
    at(&page, "<a href=\"/settings/users\" id=\"error-back\">Вернуться назад</a>");
    let foreign = s.client.get(format!("{}/settings/users/{m3}/unlock", s.base)).header("Referer", "https://evil.example/settings/users");
    assert!(!foreign.send().await.unwrap().text().await.unwrap().contains("error-back"), "only this site's pages");
    let (status, fragment) = s.get_fragment(&format!("/settings/users/{m3}/unlock")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(fragment.starts_with("<div class=\"notice error\""), "{fragment}");

    // In English for an English reader, and before sign-in in the browser's language.
    let resp = s.client.post(format!("{}/lang", s.base)).form(&[("lang", "en"), ("csrf_token", s.csrf.as_str())]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, english) = s.get(&format!("/settings/users/{m3}/unlock")).await;
    at(&english, "This address cannot be opened as a page");
    at(&english, "<html lang=\"en\">");
    let anon = reqwest::Client::new();
    let resp = anon.put(format!("{}/login", s.base)).header("Accept-Language", "en-GB,en;q=0.8").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    at(&resp.text().await.unwrap(), "This address cannot be opened as a page");
    // The API keeps its JSON envelope.
    assert_error(&app.delete(&app.t.admin, "/api/v1/deals").await, 405, "method_not_allowed", None);
}

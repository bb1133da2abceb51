//! Creating deals, persons and organizations in the web UI and editing persons and
//! organizations in place: forms, refusals in the reader's language, type-ahead links, the
//! duplicate hint, the board's quick add with the stage's required fields.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(
    a_manager_creates_an_organization_a_person_in_it_and_a_deal_for_them,
    a_refused_form_keeps_what_was_typed_and_names_the_field,
    the_quick_add_asks_for_what_the_stage_requires,
    person_and_organization_cards_are_edited_in_place,
    a_typed_phone_of_an_existing_client_is_pointed_out,
    links_are_picked_by_type_ahead_within_what_the_user_sees,
);

/// The id at the end of `/persons/17?saved=1`.
fn created_id(redirect: &Option<String>, prefix: &str) -> i64 {
    let r = redirect.as_deref().unwrap_or_else(|| panic!("no HX-Redirect, expected {prefix}…"));
    assert!(r.starts_with(prefix), "{r}");
    r[prefix.len()..].split('?').next().unwrap().parse().unwrap()
}

async fn a_manager_creates_an_organization_a_person_in_it_and_a_deal_for_them(app: TestApp) {
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, page) = ui.get("/organizations/new").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Новая компания") && page.contains("name=\"tax_id\""), "the form as a page");
    let (s, to, body) = ui
        .post_form_to(
            "/organizations/new",
            &[("csrf_token", &ui.csrf), ("name", "ООО «Вектор»"), ("tax_id", "7707083893"), ("owner_id", "")],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let org = created_id(&to, "/organizations/");
    assert!(to.unwrap().ends_with("saved=1"), "the card opens with a confirmation");

    // "+ person" on the company's card brings the company along.
    let (_, card) = ui.get(&format!("/organizations/{org}")).await;
    assert!(card.contains(&format!("/persons/new?organization_id={org}")), "the card offers + person");
    let (_, form) = ui.get_fragment(&format!("/persons/new?organization_id={org}")).await;
    assert!(form.contains(&format!("name=\"organization_id\" value=\"{org}\"")) && form.contains("value=\"ООО «Вектор»\""), "{form}");
    let (s, to, body) = ui
        .post_form_to(
            "/persons/new",
            &[
                ("name", "Иван Петров"),
                ("phone", "8 968 481-03-92"),
                ("email", "ivan@vector.example"),
                ("organization_id", &org.to_string()),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let person = created_id(&to, "/persons/");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/persons/{person}")).await;
    assert_eq!(v["data"]["phone"], "+79684810392", "the phone is stored normalised");
    assert_eq!(v["data"]["organization_id"], org);
    assert_eq!(v["data"]["owner_id"], app.ids.manager1, "the creator owns it by default");

    // "+ deal" on the person's card: the person and their company filled in; from the dialog the
    // user goes back where they were.
    let (_, card) = ui.get(&format!("/persons/{person}")).await;
    assert!(card.contains(&format!("/deals/new?person_id={person}&#38;organization_id={org}")), "{card}");
    let (s, to, body) = ui
        .post_form_to(
            "/deals/new",
            &[
                ("title", "Станки для Вектора"),
                ("value", "1 500 000,50"),
                ("currency", "RUB"),
                ("stage_id", &app.ids.stages[0].to_string()),
                ("person_id", &person.to_string()),
                ("organization_id", &org.to_string()),
                ("back", &format!("/persons/{person}")),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(to.as_deref(), Some(format!("/persons/{person}?saved=1").as_str()));
    let deals = app.all_records(&app.t.manager1, "deals", &format!("&person_id={person}"), 10).await;
    assert_eq!(deals.len(), 1);
    assert_eq!(deals[0]["value"], 150_000_050, "an amount typed with spaces and a comma");
    assert_eq!(deals[0]["organization_id"], org);
    let (_, card) = ui.get(&format!("/persons/{person}")).await;
    assert!(card.contains("Станки для Вектора"), "the new deal is on the client's card");
}

async fn a_refused_form_keeps_what_was_typed_and_names_the_field(app: TestApp) {
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, _, html) = ui.post_form_to("/persons/new", &[("name", "Пётр"), ("phone", "12"), ("email", "petr@x.example")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"f-phone-error\""), "the message sits at the phone: {html}");
    assert!(html.contains("value=\"petr@x.example\"") && html.contains("value=\"Пётр\""), "what was typed is kept");
    assert!(!html.contains("is not a valid"), "in Russian, not English: {html}");
    let (s, _, html) = ui.post_form_to("/deals/new", &[("title", ""), ("value", "12,345,6")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert!(app.all_ids(&app.t.manager1, "deals", "").await.is_empty(), "nothing was created");
}

async fn the_quick_add_asks_for_what_the_stage_requires(app: TestApp) {
    let stage = app.ids.stages[1];
    let (s, v) = app
        .patch(
            &app.t.admin,
            &format!("/api/v1/stages/{stage}"),
            json!({"regulation": {"required_fields": ["value", "custom.proposal_link"]}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, board) = ui.get("/board").await;
    assert!(board.contains(&format!("/deals/new?stage_id={stage}")), "each column has its + deal");
    let (_, form) = ui.get_fragment(&format!("/deals/new?stage_id={stage}")).await;
    assert!(form.contains("name=\"custom.proposal_link\""), "the stage's required custom field is asked for: {form}");
    let (_, first) = ui.get_fragment(&format!("/deals/new?stage_id={}", app.ids.stages[0])).await;
    assert!(!first.contains("name=\"custom.proposal_link\""), "the first stage does not ask for it");
    let stage_s = stage.to_string();
    let (s, _, html) = ui.post_form_to("/deals/new", &[("title", "Срочный заказ"), ("stage_id", &stage_s), ("value", "1000")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Ссылка на КП"), "the refusal names the missing field by its label: {html}");
    let (s, to, html) = ui
        .post_form_to(
            "/deals/new",
            &[
                ("title", "Срочный заказ"),
                ("stage_id", &stage_s),
                ("value", "1000"),
                ("custom.proposal_link", "https://docs.example/kp"),
                ("back", "/board"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{html}");
    assert_eq!(to.as_deref(), Some("/board?saved=1"), "back to the board");
}

async fn person_and_organization_cards_are_edited_in_place(app: TestApp) {
    let m1 = &app.t.manager1;
    let person = app.create(m1, "persons", json!({"name": "Анна Смирнова", "phone": "+79161112233"})).await;
    let org = app.create(m1, "organizations", json!({"name": "ИП Смирнова"})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, card) = ui.get(&format!("/persons/{person}")).await;
    assert!(card.contains(&format!("hx-get=\"/persons/{person}/edit\"")), "the card has an edit button");
    let (_, form) = ui.get_fragment(&format!("/persons/{person}/edit")).await;
    assert!(form.contains("value=\"+79161112233\"") && form.contains("name=\"version\""), "{form}");
    let version = html_attr(&form, "name=\"version\"", "value").unwrap();
    let (s, to, html) = ui
        .post_form_to(
            &format!("/persons/{person}/edit"),
            &[
                ("version", &version),
                ("name", "Анна Смирнова"),
                ("phone", "+7 916 999-88-77"),
                ("organization_id", &org.to_string()),
                ("job_title", "Директор"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{html}");
    assert_eq!(to.as_deref(), Some(format!("/persons/{person}?saved=1").as_str()));
    let (_, v) = app.get(m1, &format!("/api/v1/persons/{person}")).await;
    assert_eq!((v["data"]["phone"].as_str(), v["data"]["organization_id"].as_i64()), (Some("+79169998877"), Some(org)));
    // The old version again: someone else's save is not overwritten.
    let (s, _, html) = ui.post_form_to(&format!("/persons/{person}/edit"), &[("version", &version), ("name", "Перезапись")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("record-stale"), "{html}");
    // An organization's refused edit names its field.
    let (_, form) = ui.get_fragment(&format!("/organizations/{org}/edit")).await;
    let version = html_attr(&form, "name=\"version\"", "value").unwrap();
    let (s, _, html) = ui.post_form_to(&format!("/organizations/{org}/edit"), &[("version", &version), ("name", "  ")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"f-name-error\""), "{html}");
    // Someone who may not see the record gets no form.
    let ui2 = app.ui_login(app.ids.manager3, "m3@a.test").await;
    assert_eq!(ui2.get(&format!("/persons/{person}/edit")).await.0, StatusCode::NOT_FOUND);
}

async fn a_typed_phone_of_an_existing_client_is_pointed_out(app: TestApp) {
    let m1 = &app.t.manager1;
    let ivan = app.create(m1, "persons", json!({"name": "Иван Петров", "phone": "+79684810392", "email": "ivan@x.example"})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, hint) = ui.get_fragment("/check/persons?id=&phone=8%20(968)%20481-03-92").await;
    assert!(hint.contains(&format!("href=\"/persons/{ivan}\">Иван Петров</a>")), "{hint}");
    let (_, hint) = ui.get_fragment("/check/persons?id=&email=IVAN@x.example").await;
    assert!(hint.contains("Иван Петров"), "{hint}");
    let (_, hint) = ui.get_fragment(&format!("/check/persons?id={ivan}&phone=%2B79684810392")).await;
    assert!(!hint.contains("Иван Петров"), "their own phone is not a duplicate");
    let (_, hint) = ui.get_fragment("/check/persons?id=&phone=%2B79001234567").await;
    assert!(hint.trim().is_empty(), "{hint}");
    // Creating it anyway is refused at the phone, not duplicated.
    let (s, _, html) = ui.post_form_to("/persons/new", &[("name", "Иван П."), ("phone", "89684810392")]).await;
    // The identity conflict comes back as the refused form (422), the message at the phone.
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"f-phone-error\""), "{html}");
}

async fn links_are_picked_by_type_ahead_within_what_the_user_sees(app: TestApp) {
    app.create(&app.t.manager1, "organizations", json!({"name": "Ромашка Плюс"})).await;
    app.create(&app.t.manager3, "organizations", json!({"name": "Ромашка Казань"})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, html) = ui.get_fragment("/pick/organizations?q=ромаш").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-label=\"Ромашка Плюс\""), "{html}");
    assert!(!html.contains("Ромашка Казань"), "another team's company is not offered");
    let (_, html) = ui.get_fragment("/pick/organizations?q=р").await;
    assert!(html.contains("picker-hint"), "a one-letter query asks for more: {html}");
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Сделка"})).await;
    let (_, form) = ui.get_fragment(&format!("/deals/{deal}/edit")).await;
    assert!(
        form.contains("data-picker=\"/pick/organizations\"") && form.contains("data-picker=\"/pick/persons\""),
        "the deal form links by type-ahead too"
    );
}

//! The everyday CRM in a real browser: a manager creates a company, a person and a deal from the
//! board's dialogs, edits the person's phone on the card, finds the client by the phone written
//! another way through the top bar's search, loses a deal with a reason from the list; then Today
//! and the card on a phone-sized screen. Screenshots of each step in Russian and English.
use crate::browser::{start_browser, Browser};
use crate::helpers::*;
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::json;

async fn click(b: &Browser, css: &str) {
    b.wait_for(css).await.click().await.unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

async fn type_into(b: &Browser, css: &str, text: &str) {
    let el = b.wait_for(css).await;
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// The body of a GET made by the page itself (its cookies), as text.
async fn ui_fetch(b: &Browser, url: &str) -> String {
    let script = format!("return fetch('{url}', {{credentials: 'same-origin'}}).then(r => r.text());");
    b.client.execute(&script, vec![]).await.unwrap().as_str().unwrap_or_default().to_string()
}

async fn dialog_open(b: &Browser, what: &str) {
    b.wait_until(what, "document.getElementById('dialog').open && document.querySelector('#dialog-body form')").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_creates_finds_and_closes_records_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", json!({"lost_reasons": ["Дорого", "Выбрали конкурента"]})).await;
    assert_eq!(s, 200, "{v}");
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;

    // A company from its list, in the dialog.
    b.client.goto(&format!("{}/organizations", app.base)).await.unwrap();
    click(&b, "#list-add").await;
    dialog_open(&b, "the company dialog").await;
    type_into(&b, "#f-name", "ООО «Вектор»").await;
    type_into(&b, "#f-tax_id", "7707083893").await;
    b.shot("records-new-organization-ru").await;
    click(&b, "#dialog button[type=submit]").await;
    b.wait_until("the toast after saving", "!document.getElementById('toast').hidden").await;
    let org = app.all_records(&app.t.manager1, "organizations", "", 10).await[0]["id"].as_i64().unwrap();

    // A person in it from the company's card; the phone typed as people write it.
    b.client.goto(&format!("{}/organizations/{org}", app.base)).await.unwrap();
    click(&b, "#add-person").await;
    dialog_open(&b, "the person dialog").await;
    type_into(&b, "#f-name", "Иван Петров").await;
    type_into(&b, "#f-phone", "8 968 481-03-92").await;
    b.shot("records-new-person-ru").await;
    click(&b, "#dialog button[type=submit]").await;
    b.wait_until("the person listed on the company's card", "document.body.innerText.includes('Иван Петров')").await;
    let person = app.all_records(&app.t.manager1, "persons", "", 10).await[0]["id"].as_i64().unwrap();

    // A deal from the board's first column, linked to the person by type-ahead.
    b.client.goto(&format!("{}/board", app.base)).await.unwrap();
    click(&b, &format!(".column[data-stage-id=\"{}\"] .column-add", app.ids.stages[0])).await;
    dialog_open(&b, "the deal dialog").await;
    type_into(&b, "#f-title", "Станки для Вектора").await;
    type_into(&b, "#f-value", "1500000").await;
    type_into(&b, "#f-person_id", "петр").await;
    b.wait_for(".picker-option").await;
    b.shot("records-new-deal-picker-ru").await;
    click(&b, ".picker-option").await;
    b.wait_until("the value grouped as Russian writes it", "document.getElementById('f-value').value.replace(/\\s/g, ' ') === '1 500 000'")
        .await;
    click(&b, "#dialog button[type=submit]").await;
    b.wait_for(".deal-card").await;
    b.wait_until("the new deal on the board", "document.querySelector('#board').innerText.includes('Станки для Вектора')").await;
    b.shot("records-board-after-create-ru").await;
    let deals = app.all_records(&app.t.manager1, "deals", "", 10).await;
    assert_eq!(deals.len(), 1);
    assert_eq!((deals[0]["person_id"].as_i64(), deals[0]["value"].as_i64()), (Some(person), Some(150_000_000)));

    // The person's phone edited on the card.
    b.client.goto(&format!("{}/persons/{person}", app.base)).await.unwrap();
    click(&b, "#record-edit").await;
    b.wait_for("#record-form form").await;
    type_into(&b, "#f-phone", "+7 (916) 555-44-33").await;
    // A mobile and a second address beside the main ones, comma-separated.
    type_into(&b, "#f-other_phones", "8 903 111-22-33, +7 495 000-11-22").await;
    type_into(&b, "#f-other_emails", "Anna.Home@example.ru").await;
    b.shot("records-edit-person-ru").await;
    click(&b, "#record-form button[type=submit]").await;
    b.wait_until(
        "the card after saving",
        "document.body.innerText.includes('+7 916 555-44-33') || document.body.innerText.includes('+79165554433')",
    )
    .await;
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/persons/{person}")).await;
    assert_eq!(v["data"]["phone"], "+79165554433");
    assert_eq!(
        (&v["data"]["other_phones"], &v["data"]["other_emails"]),
        (&json!(["+79031112233", "+74950001122"]), &json!(["anna.home@example.ru"]))
    );
    let card = ui_fetch(&b, &format!("/persons/{person}")).await;
    assert!(card.contains("Другие телефоны") && card.contains("+79031112233"), "{card}");
    b.shot("records-person-other-phones-ru").await;

    // Found by the phone written another way, from the top bar with the keyboard.
    b.client.find(Locator::Css("body")).await.unwrap().send_keys("/").await.unwrap();
    b.wait_until("the search box focused", "document.activeElement.id === 'global-search'").await;
    b.client.find(Locator::Css("#global-search")).await.unwrap().send_keys("8 916 555 44 33").await.unwrap();
    b.wait_until("the results", "!document.getElementById('search-pop').hidden && document.querySelector('#search-pop .search-hit')").await;
    b.shot("records-search-phone-ru").await;
    let found = b.text_of("#search-pop").await;
    assert!(found.contains("Иван Петров") && found.contains("Станки для Вектора"), "{found}");
    b.client.find(Locator::Css("#global-search")).await.unwrap().send_keys(&Key::Down.to_string()).await.unwrap();
    b.wait_until("a result focused", "document.activeElement.classList.contains('search-hit')").await;

    // Lost with a reason from the list, from the card.
    let deal = deals[0]["id"].as_i64().unwrap();
    b.client.goto(&format!("{}/deals/{deal}/close?status=lost", app.base)).await.unwrap();
    b.wait_for("#close-reason").await;
    b.client
        .execute("var s = document.getElementById('close-reason'); s.value = 'Дорого'; s.dispatchEvent(new Event('change'));", vec![])
        .await
        .unwrap();
    type_into(&b, "#close-comment", "Бюджет урезали").await;
    b.shot("records-lost-reason-ru").await;
    click(&b, "#deal-close button[type=submit]").await;
    b.wait_until("the card after closing", &format!("location.pathname === '/deals/{deal}'")).await;
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!((v["data"]["status"].as_str(), v["data"]["lost_reason"].as_str()), (Some("lost"), Some("Дорого")));

    // The list: its count and value; three deals moved on at once.
    let mut handed = Vec::new();
    for title in ["Окна", "Двери", "Крыша"] {
        handed.push(app.create(&app.t.manager1, "deals", json!({"title": title, "value": 100_000})).await);
    }
    b.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    b.wait_until("the totals", "document.getElementById('list-totals').innerText.includes('Сделок: 4')").await;
    for id in &handed {
        click(&b, &format!("[data-bulk-one][value=\"{id}\"]")).await;
    }
    b.wait_until("the bulk bar", "!document.getElementById('bulk-form').hidden").await;
    b.client
        .execute(
            "var s = document.getElementById('bulk-action'); s.value = 'stage'; s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    b.wait_for("#bulk-stage").await;
    let stage = app.ids.stages[1].to_string();
    b.client.execute(&format!("document.getElementById('bulk-stage').value = '{stage}';"), vec![]).await.unwrap();
    b.shot("records-list-bulk-ru").await;
    click(&b, "#bulk-form button[type=submit]").await;
    b.wait_until(
        "the bulk notice",
        "document.querySelector('#list .notice') && document.querySelector('#list .notice').innerText.includes('Изменено: 3')",
    )
    .await;
    for id in &handed {
        let (_, v) = app.get(&app.t.admin, &format!("/api/v1/deals/{id}")).await;
        assert_eq!(v["data"]["stage_id"], app.ids.stages[1], "{v}");
    }
    // The list exported as the reader sees it, read back.
    let csv = ui_fetch(&b, &format!("{}/deals/export.csv", app.base)).await;
    // (The browser's decoder takes the byte-order mark off.)
    assert!(csv.trim_start_matches('\u{feff}').starts_with("Сделка,Компания,Этап"), "{csv}");
    for title in ["Станки для Вектора", "Окна", "Двери", "Крыша"] {
        assert!(csv.contains(title), "{title} in {csv}");
    }

    // The same screens in English.
    click(&b, "#lang-switch").await;
    b.wait_until("English", "document.documentElement.lang === 'en'").await;
    b.client.goto(&format!("{}/persons/new?organization_id={org}", app.base)).await.unwrap();
    type_into(&b, "#f-phone", "+7 916 555 44 33").await;
    b.wait_until("the duplicate hint", "document.querySelector('.dup-found')").await;
    let hint = b.text_of(".dup-found").await;
    assert!(hint.contains("already belongs to") && hint.contains("Иван Петров"), "{hint}");
    b.shot("records-duplicate-hint-en").await;
    b.client.goto(&format!("{}/search?q=%D0%B2%D0%B5%D0%BA%D1%82%D0%BE%D1%80", app.base)).await.unwrap();
    b.wait_for(".search-hit").await;
    b.shot("records-search-page-en").await;

    // A phone: the menu behind a button, Today and the card without sideways scrolling.
    b.fit_viewport(390, 844).await;
    for (path, name) in [
        ("/today", "today"),
        (&*format!("/persons/{person}"), "person-card"),
        (&*format!("/deals/{deal}"), "deal-card"),
        ("/deals", "deals-list"),
    ] {
        b.client.goto(&format!("{}{path}", app.base)).await.unwrap();
        b.wait_for("#main").await;
        let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
        assert!(wide.as_i64().unwrap_or(99) <= 0, "{path} scrolls sideways by {wide}px on a phone");
        b.shot(&format!("records-phone-{name}-en")).await;
    }
    click(&b, "#menu-toggle").await;
    b.wait_until("the menu open", "document.querySelector('#topnav').offsetHeight > 100").await;
    b.shot("records-phone-menu-en").await;
    click(&b, "#lang-switch").await;
    b.wait_until("Russian", "document.documentElement.lang === 'ru'").await;
    b.client.goto(&format!("{}/today", app.base)).await.unwrap();
    b.wait_for("#main").await;
    b.shot("records-phone-today-ru").await;
}

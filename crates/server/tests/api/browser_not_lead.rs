//! Not a lead in a real browser: a deal dragged onto the board's "Не лид" zone is closed with a
//! reason from the list and its person marked; the person's card says so and takes the mark off;
//! the card's own form in English and on a phone-sized screen.
use crate::browser::start_browser;
use crate::helpers::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_closes_a_wrong_number_as_not_a_lead_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let person = app.create(&app.t.manager1, "persons", json!({"name": "+7 999 700-00-09", "phone": "+79997000009"})).await;
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Звонок +7 999 700-00-09", "person_id": person})).await;
    app.create(
        &app.t.manager1,
        "activities",
        json!({"type": "call", "subject": "Перезвонить", "deal_id": deal, "due_at": "2026-11-23T12:00:00Z"}),
    )
    .await;
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;

    // Dragged onto the zone, the dialog asks why, with the person's mark checked.
    b.client.goto(&format!("{}/board", app.base)).await.unwrap();
    b.wait_for(&format!(".deal-card[data-deal-id=\"{deal}\"]")).await;
    b.drag(&format!(".deal-card[data-deal-id=\"{deal}\"]"), ".drop-zone[data-close-status=\"not_lead\"]").await;
    b.wait_until("the dialog", "document.getElementById('dialog').open && document.querySelector('#dialog-body #close-reason')").await;
    let marked = b.client.execute("return document.querySelector('#dialog-body [name=mark_person]').checked;", vec![]).await.unwrap();
    assert_eq!(marked, json!(true), "marking the person is the default");
    b.client
        .execute(
            "var s = document.getElementById('close-reason'); s.value = 'Ошиблись номером'; s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .unwrap();
    b.shot("not-lead-dialog-ru").await;
    b.client.execute("document.querySelector('#deal-close button[type=submit]').click();", vec![]).await.unwrap();
    b.wait_until("the toast after saving", "!document.getElementById('toast').hidden").await;
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!((v["data"]["status"].as_str(), v["data"]["not_lead_reason"].as_str()), (Some("not_lead"), Some("Ошиблись номером")));
    let board = b.text_of("#board").await;
    assert!(!board.contains("Звонок +7 999 700-00-09"), "the deal left the board: {board}");
    let open = app.all_records(&app.t.manager1, "activities", &format!("&deal_id={deal}&done=false"), 10).await;
    assert!(open.is_empty(), "its task is closed: {open:?}");

    // The person's card says they are marked; the mark comes off with a confirmation.
    b.client.goto(&format!("{}/persons/{person}", app.base)).await.unwrap();
    b.wait_for(".not-lead-mark").await;
    b.shot("not-lead-person-ru").await;
    b.client.execute("document.querySelector('.not-lead-mark button').click();", vec![]).await.unwrap();
    b.wait_until("the toast after saving", "!document.getElementById('toast').hidden && !document.querySelector('.not-lead-mark')").await;
    let (_, p) = app.get(&app.t.manager1, &format!("/api/v1/persons/{person}")).await;
    assert!(p["data"]["not_lead_reason"].is_null(), "{p}");

    // The card's own form, in English and on a phone.
    let other = app.create(&app.t.manager1, "deals", json!({"title": "Cold call from a vendor", "person_id": person})).await;
    b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
    b.wait_until("English", "document.documentElement.lang === 'en'").await;
    b.fit_viewport(390, 844).await;
    b.client.goto(&format!("{}/deals/{other}", app.base)).await.unwrap();
    b.client.execute("document.querySelector('details.status-form:last-of-type summary').click();", vec![]).await.unwrap();
    b.wait_until("the form open", "document.getElementById('not_lead-reason').offsetHeight > 0").await;
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "the card scrolls sideways by {wide}px on a phone");
    b.client.execute("document.getElementById('not_lead-reason').scrollIntoView();", vec![]).await.unwrap();
    b.shot("not-lead-card-phone-en").await;
}

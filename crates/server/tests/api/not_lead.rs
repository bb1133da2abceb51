//! Not a lead: a deal from a wrong number, a vendor or spam is closed with a reason from the
//! workspace's list; it leaves the funnel, its open tasks are done, and a marked person's later
//! calls and messages land on their card without a new deal — through the API and the web UI.
use crate::helpers::*;
use crate::intake::{call, deals_of, persons_with_phone, source, work};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(a_wrong_number_is_not_a_lead_and_its_later_calls_make_no_deal, a_manager_closes_a_deal_as_not_a_lead_in_the_browser,);

async fn open_tasks_of(app: &TestApp, deal: i64) -> Vec<Value> {
    app.all_records(&app.t.admin, "activities", &format!("&deal_id={deal}&done=false"), 50).await
}

async fn a_wrong_number_is_not_a_lead_and_its_later_calls_make_no_deal(app: TestApp) {
    let hook = source(&app, "telephony", json!({})).await;
    let (s, v) = call(&app, &hook, json!({"call_id": "w1", "from": "8 999 700-00-01", "status": "missed"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    work(&app).await;
    let person = persons_with_phone(&app, "+79997000001").await[0]["id"].as_i64().unwrap();
    let deal = deals_of(&app, person).await[0]["id"].as_i64().unwrap();
    assert_eq!(open_tasks_of(&app, deal).await.len(), 1, "a missed call gets a callback task");
    let path = format!("/api/v1/deals/{deal}/not_lead");
    let token = &app.t.manager1;

    // A reason is required, and it comes from the workspace's list (the default one here).
    assert_error(&app.post(token, &path, json!({})).await, 422, "validation", Some("reason"));
    let refused = app.post(token, &path, json!({"reason": "Не понравился голос"})).await;
    assert_error(&refused, 422, "validation", Some("reason"));
    assert!(refused.1["error"]["message"].as_str().unwrap().contains("Ошиблись номером"), "{}", refused.1);
    assert_error(&app.post(token, &path, json!({"reason": "Спам", "mark_person": "yes"})).await, 422, "validation", Some("mark_person"));
    let (_, still) = app.get(token, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(still["data"]["status"], "open", "a refusal changes nothing");

    // A stale If-Match is refused too.
    let stale = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("if-match", "\"999\"")
        .json(&json!({"reason": "Ошиблись номером"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);

    let (s, v) = app.post(token, &path, json!({"reason": "Ошиблись номером", "comment": "Искали шиномонтаж", "mark_person": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!((d["status"].as_str(), d["not_lead_reason"].as_str()), (Some("not_lead"), Some("Ошиблись номером")));
    assert_eq!(d["close_comment"], "Искали шиномонтаж");
    assert!(d["closed_at"].is_string(), "{d}");
    assert!(open_tasks_of(&app, deal).await.is_empty(), "the callback task is nobody's work any more");
    let (_, p) = app.get(token, &format!("/api/v1/persons/{person}")).await;
    assert_eq!(p["data"]["not_lead_reason"], "Ошиблись номером");

    // It leaves the funnel.
    let (_, funnel) = app.get(&app.t.admin, &format!("/api/v1/reports/funnel?pipeline_id={}", d["pipeline_id"])).await;
    assert_eq!((funnel["data"]["cohort"]["deals"].as_i64(), funnel["data"]["movement"]["deals"].as_i64()), (Some(0), Some(0)), "{funnel}");
    // And the hygiene rules: "an open deal without a task" does not find it.
    let (s, check) = app
        .post(&app.t.admin, "/api/v1/filters/check", json!({"entity": "deal", "expression": format!("id = {deal} and status = open")}))
        .await;
    assert_eq!((s, check["data"]["count"].as_i64()), (StatusCode::OK, Some(0)), "{check}");

    // Later calls from the marked number, spelled another way, go on the card and make nothing.
    let (_, v) = call(&app, &hook, json!({"call_id": "w2", "from": "+7 (999) 700-00-01", "status": "missed"})).await;
    work(&app).await;
    let (_, ev) = app.get(&app.t.admin, &format!("/api/v1/intake/events/{}", v["event_id"])).await;
    assert_eq!(ev["data"]["status"], "processed", "{ev}");
    assert_eq!(ev["data"]["result"]["not_lead"], "Ошиблись номером", "{ev}");
    assert_eq!(ev["data"]["result"]["deal_id"], Value::Null);
    assert_eq!(deals_of(&app, person).await.len(), 1, "no new deal");
    let acts = app.all_records(&app.t.admin, "activities", &format!("&person_id={person}"), 50).await;
    let calls: Vec<_> = acts.iter().filter(|a| a["call_outcome"].is_string()).collect();
    assert_eq!(calls.len(), 2, "the call is on the person's card: {acts:?}");
    assert!(calls.iter().any(|c| c["deal_id"].is_null()), "{calls:?}");
    assert!(acts.iter().all(|c| c["done"] == true), "no callback task for a marked number: {acts:?}");

    // Taking the mark off: the next call is a lead again.
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/persons/{person}"), json!({"not_lead_reason": null})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    call(&app, &hook, json!({"call_id": "w3", "from": "89997000001", "status": "answered", "duration": 30})).await;
    work(&app).await;
    let deals = deals_of(&app, person).await;
    assert_eq!(deals.len(), 2, "{deals:?}");

    // The workspace's own list replaces the default one.
    let (s, ws) = app.get(&app.t.admin, "/api/v1/workspace").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ws["data"]["not_lead_reasons"].as_array().unwrap().contains(&json!("Спам")), "{ws}");
    let (s, ws) = app.patch(&app.t.admin, "/api/v1/workspace", json!({"not_lead_reasons": ["Реклама", "Соискатель"]})).await;
    assert_eq!(s, StatusCode::OK, "{ws}");
    let other = deals.iter().find(|d| d["status"] == "open").unwrap()["id"].as_i64().unwrap();
    let other_path = format!("/api/v1/deals/{other}/not_lead");
    assert_error(&app.post(token, &other_path, json!({"reason": "Спам"})).await, 422, "validation", Some("reason"));
    let (s, v) = app.post(token, &other_path, json!({"reason": "Реклама"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, p) = app.get(token, &format!("/api/v1/persons/{person}")).await;
    assert_eq!(p["data"]["not_lead_reason"], Value::Null, "without mark_person the person stays unmarked");
}

async fn a_manager_closes_a_deal_as_not_a_lead_in_the_browser(app: TestApp) {
    let person = app.create(&app.t.manager1, "persons", json!({"name": "Продавец билетов", "phone": "+7 999 700-00-02"})).await;
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Звонок +7 999 700-00-02", "person_id": person})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;

    // The card offers "Не лид" with the workspace's reasons and the mark, checked.
    let (s, card) = ui.get(&format!("/deals/{deal}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(card.contains("id=\"not_lead-reason\"") && card.contains("<option value=\"Продают нам\""), "{card}");
    assert!(card.contains("name=\"mark_person\" value=\"1\" checked"), "{card}");

    // Without a reason it is refused in place.
    let (s, html) = ui.post_form(&format!("/deals/{deal}/status"), &[("status", "not_lead"), ("reason", "")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Укажите причину"), "{html}");

    let (s, html) =
        ui.post_form(&format!("/deals/{deal}/status"), &[("status", "not_lead"), ("reason", "Продают нам"), ("mark_person", "1")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Не лид") && html.contains("Продают нам"), "the card says so: {html}");
    let (_, d) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(d["data"]["status"], "not_lead");

    // The person's card says they are marked, and the mark can be taken off.
    let (_, pcard) = ui.get(&format!("/persons/{person}")).await;
    assert!(pcard.contains("Помечен как не клиент") && pcard.contains("Продают нам"), "{pcard}");
    let (s, to, _) = ui.post_form_to(&format!("/persons/{person}/unmark"), &[]).await;
    assert_eq!((s, to.as_deref()), (StatusCode::NO_CONTENT, Some(format!("/persons/{person}?saved=1").as_str())));
    let (_, pcard) = ui.get(&format!("/persons/{person}")).await;
    assert!(!pcard.contains("Помечен как не клиент"), "{pcard}");

    // The board's zone opens the same choice as a dialog; the deals list shows the status.
    let other = app.create(&app.t.manager1, "deals", json!({"title": "Спам-рассылка"})).await;
    let (s, dialog) = ui.get_fragment(&format!("/deals/{other}/close?status=not_lead")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(dialog.contains("Почему не лид") && dialog.contains("<option value=\"Спам\""), "{dialog}");
    assert!(!dialog.contains("mark_person"), "a deal without a person has no one to mark: {dialog}");
    let (s, to, html) =
        ui.post_form_to(&format!("/deals/{other}/close"), &[("status", "not_lead"), ("reason", "Спам"), ("back", "/board")]).await;
    assert_eq!((s, to.as_deref()), (StatusCode::NO_CONTENT, Some("/board?saved=1")), "{html}");
    let (_, list) = ui.get("/deals?q=status%20%3D%20not_lead").await;
    assert!(list.contains("Спам-рассылка") && list.contains("Не лид"), "{list}");
}

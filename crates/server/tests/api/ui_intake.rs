//! Intake in the browser: an administrator creates a source and sees its secret once, edits the
//! telephony mapping with refusals next to their input, reads a failed event in the inbox and
//! re-processes it after the fix; heads read the inbox, managers are kept out; a deal's card shows
//! where the deal came from.
use crate::helpers::*;
use crate::intake::{call, deliver, source, work, Hook};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    an_admin_creates_a_source_and_sees_its_secret_once,
    the_mapping_is_saved_and_a_bad_value_is_refused_next_to_its_input,
    a_meetings_source_maps_its_fields_on_the_page,
    a_failed_event_is_in_the_inbox_and_is_reprocessed_after_the_fix,
    heads_read_the_inbox_and_managers_are_kept_out,
    the_deal_card_shows_attribution_and_touches,
);

#[track_caller]
fn at(html: &str, needle: &str) -> usize {
    html.find(needle).unwrap_or_else(|| panic!("{needle:?} is not on the page:\n{html}"))
}

#[track_caller]
fn secret_in(html: &str) -> String {
    let start = at(html, "id=\"source-secret\"");
    let rest = &html[start..];
    let from = at(rest, "whsec_");
    rest[from..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

async fn admin(app: &TestApp) -> UiSession {
    app.ui_login(app.ids.admin, "admin@a.test").await
}

async fn source_config(app: &TestApp, id: i64) -> Value {
    let (s, v) = app.get(&app.t.admin, &format!("/api/v1/intake/sources/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"]["config"].clone()
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    let users = app.all_records(&app.t.admin, "users", "", 50).await;
    users.iter().find(|u| u["email"] == email).and_then(|u| u["id"].as_i64()).unwrap()
}

async fn an_admin_creates_a_source_and_sees_its_secret_once(app: TestApp) {
    let s = admin(&app).await;
    let (status, page) = s.get("/settings/intake").await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "class=\"settings-nav\"");
    at(&page, "href=\"/settings/intake\" class=\"active\"");
    // The other settings tabs link here too.
    let (_, users) = s.get("/settings/users").await;
    at(&users, "href=\"/settings/intake\"");

    let (status, created) = s.post_form("/settings/intake", &[("kind", "telephony"), ("name", "Ringostat")]).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let secret = secret_in(&created);
    let (_, list) = app.get(&app.t.admin, "/api/v1/intake/sources").await;
    let src = &list["data"][0];
    let id = src["id"].as_i64().unwrap();
    at(&created, &format!("/hooks/{}", src["hook_key"].as_str().unwrap()));
    at(&created, "X-Poryadok-Signature");

    // The secret shown is the source's: a call signed with it is taken.
    let hook = Hook { id, path: src["hook_path"].as_str().unwrap().to_string(), secret: secret.clone() };
    let (s202, v) = deliver(&app, &hook, "application/json", br#"{"call_id":"s1","from":"+79990000001","status":"answered"}"#).await;
    assert_eq!(s202, StatusCode::ACCEPTED, "{v}");

    // Never again: not on the source's page, not in the list.
    let (_, page) = s.get(&format!("/settings/intake/{id}")).await;
    assert!(!page.contains(&secret) && !page.contains("id=\"source-secret\""), "the secret is shown once");
    let (_, list_page) = s.get("/settings/intake").await;
    assert!(!list_page.contains(&secret));
    at(&list_page, "Ringostat");

    // Rotating shows the new one once; the old one stops working.
    let (status, rotated) = s.post_form(&format!("/settings/intake/{id}/rotate"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let fresh = secret_in(&rotated);
    assert_ne!(fresh, secret);
    let (s401, _) = deliver(&app, &hook, "application/json", br#"{"call_id":"s2","from":"+79990000001"}"#).await;
    assert_eq!(s401, StatusCode::UNAUTHORIZED);

    // A refused "new source" comes back with the input kept and the reason next to it.
    let (status, refused) = s.post_form("/settings/intake", &[("kind", "telephony"), ("name", "  ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    at(&refused, "id=\"new-source-name-error\"");

    // Deleting asks htmx to go back to the list; the source is gone.
    let resp = s
        .client
        .post(format!("{}/settings/intake/{id}/delete", s.base))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &s.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["hx-redirect"], "/settings/intake");
    let (_, list) = app.get(&app.t.admin, "/api/v1/intake/sources").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
}

async fn the_mapping_is_saved_and_a_bad_value_is_refused_next_to_its_input(app: TestApp) {
    let hook = source(&app, "telephony", json!({"preset": "generic"})).await;
    let s = admin(&app).await;
    let path = format!("/settings/intake/{}", hook.id);
    let (status, page) = s.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    // The preset's parameter shows as the placeholder of its override.
    let caller = at(&page, "id=\"map_caller\"");
    assert!(page[caller..].split('>').next().unwrap().contains("placeholder=\"from\""));

    let bad = [("name", "Ringostat"), ("active", "1"), ("preset", "generic"), ("callback_minutes", "0"), ("map_caller", "numA")];
    let (status, html) = s.post_form(&path, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    at(&html, "id=\"callback_minutes-error\"");
    let input = at(&html, "id=\"source-callback\"");
    assert!(html[input..].split('>').next().unwrap().contains("aria-invalid=\"true\""));
    at(&html, "value=\"numA\"");
    assert!(source_config(&app, hook.id).await.get("mapping").is_none(), "nothing is saved");

    let good = [("name", "Ringostat"), ("active", "1"), ("preset", "generic"), ("callback_minutes", "30"), ("map_caller", "numA")];
    let (status, html) = s.post_form(&path, &good).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    at(&html, "class=\"notice ok\"");
    let config = source_config(&app, hook.id).await;
    assert_eq!((config["mapping"]["caller"].as_str(), config["callback_minutes"].as_i64()), (Some("numA"), Some(30)));

    // The preset select asks for the table of its own parameter names.
    let (status, table) = s.get_fragment(&format!("{path}/mapping?preset=ringostat&map_caller=numA")).await;
    assert_eq!(status, StatusCode::OK);
    let callee = at(&table, "id=\"map_callee\"");
    assert!(table[callee..].split('>').next().unwrap().contains("placeholder=\"dst\""));
    at(&table, "value=\"numA\"");

    // Routing: a pipeline, an owner and a pool are saved as ids; an unchecked box leaves the pool.
    let (pipeline, m1, m2) = (app.ids.pipeline.to_string(), app.ids.manager1.to_string(), app.ids.manager2.to_string());
    let routed = [("name", "Ringostat"), ("pipeline_id", pipeline.as_str()), ("pool", m1.as_str()), ("pool", m2.as_str())];
    let (status, html) = s.post_form(&path, &routed).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let config = source_config(&app, hook.id).await;
    assert_eq!(config["pipeline_id"].as_i64(), Some(app.ids.pipeline));
    assert_eq!(config["pool"], json!([app.ids.manager1, app.ids.manager2]));
    let (_, api) = app.get(&app.t.admin, &format!("/api/v1/intake/sources/{}", hook.id)).await;
    assert_eq!(api["data"]["active"], false, "an unticked box switches the source off");
}

/// A meetings source's page maps the meeting's fields: Zoom's paths as placeholders, an override
/// saved into the source's config, the table redrawn for another preset, the override cleared.
async fn a_meetings_source_maps_its_fields_on_the_page(app: TestApp) {
    let hook = source(&app, "meetings", json!({"preset": "zoom"})).await;
    let s = admin(&app).await;
    let path = format!("/settings/intake/{}", hook.id);
    let (status, page) = s.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "Поле встречи");
    let topic = at(&page, "id=\"map_topic\"");
    assert!(page[topic..].split('>').next().unwrap().contains("placeholder=\"payload.object.topic\""));
    assert!(!page.contains("id=\"map_caller\""), "a meeting has no call fields");

    let form = [("name", "Zoom"), ("active", "1"), ("preset", "zoom"), ("map_topic", "payload.object.agenda")];
    let (status, html) = s.post_form(&path, &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    at(&html, "class=\"notice ok\"");
    let config = source_config(&app, hook.id).await;
    assert_eq!((config["preset"].as_str(), config["mapping"]["topic"].as_str()), (Some("zoom"), Some("payload.object.agenda")));

    // The preset select redraws the table with the generic preset's names, the override kept.
    let (status, table) = s.get_fragment(&format!("{path}/mapping?preset=generic&map_topic=payload.object.agenda")).await;
    assert_eq!(status, StatusCode::OK);
    let started = at(&table, "id=\"map_started_at\"");
    assert!(table[started..].split('>').next().unwrap().contains("placeholder=\"start_time\""));
    at(&table, "value=\"payload.object.agenda\"");

    // Saving the generic preset with no override clears the mapping.
    let (status, _) = s.post_form(&path, &[("name", "Zoom"), ("active", "1"), ("preset", "generic")]).await;
    assert_eq!(status, StatusCode::OK);
    let config = source_config(&app, hook.id).await;
    assert_eq!(config["preset"].as_str(), Some("generic"));
    assert!(config.get("mapping").is_none(), "{config}");
}

async fn a_failed_event_is_in_the_inbox_and_is_reprocessed_after_the_fix(app: TestApp) {
    let hook = source(&app, "telephony", json!({"preset": "generic"})).await;
    let (status, v) = call(&app, &hook, json!({"call_id": "x-1", "numA": "+79990001122", "status": "answered", "duration": 5})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let event = v["event_id"].as_i64().unwrap();
    let s = admin(&app).await;

    let (status, inbox) = s.get("/intake/events").await;
    assert_eq!(status, StatusCode::OK);
    let row = &inbox[at(&inbox, &format!("id=\"event-{event}\""))..];
    at(row, "x-1");
    at(row, "badge danger");
    at(row, "caller: в звонке нет номера клиента");
    let (_, failed) = s.get("/intake/events?status=failed").await;
    at(&failed, "x-1");
    let (_, processed) = s.get("/intake/events?status=processed").await;
    assert!(!processed.contains("x-1"));
    let (_, settings) = s.get("/settings/intake").await;
    at(&settings, "id=\"intake-failed-badge\"");

    let (status, page) = s.get(&format!("/intake/events/{event}")).await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "id=\"event-body\"");
    at(&page, "numA");
    at(&page, "id=\"event-reprocess\"");

    // Fix the mapping, then re-process: queued at once, processed by the worker.
    let fix = [("name", "Ringostat"), ("active", "1"), ("preset", "generic"), ("map_caller", "numA")];
    assert_eq!(s.post_form(&format!("/settings/intake/{}", hook.id), &fix).await.0, StatusCode::OK);
    let (status, fragment) = s.post_form(&format!("/intake/events/{event}/reprocess"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{fragment}");
    assert!(!fragment.contains("<html"));
    at(&fragment, "hx-trigger=\"every 2s\"");
    work(&app).await;
    let (_, done) = s.get_fragment(&format!("/intake/events/{event}/status")).await;
    at(&done, "badge ok");
    at(&done, "href=\"/deals/");
    assert!(!done.contains("every 2s") && !done.contains("event-reprocess"), "{done}");
    // A processed event is not re-processed.
    let (status, _) = s.post_form(&format!("/intake/events/{event}/reprocess"), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

async fn heads_read_the_inbox_and_managers_are_kept_out(app: TestApp) {
    let hook = source(&app, "telephony", json!({})).await;
    let (_, v) = call(&app, &hook, json!({"call_id": "h-1", "numA": "+79990001122"})).await;
    let event = v["event_id"].as_i64().unwrap();

    let head = app.ui_login(user_id(&app, "head@a.test").await, "head@a.test").await;
    let (status, inbox) = head.get("/intake/events").await;
    assert_eq!(status, StatusCode::OK);
    at(&inbox, "h-1");
    // The menu marks the inbox, not the settings.
    at(&inbox, "<a href=\"/intake/events\" class=\"active\">");
    at(&inbox, "<a href=\"/settings\" class=\"\">");
    let (status, page) = head.get(&format!("/intake/events/{event}")).await;
    assert_eq!(status, StatusCode::OK);
    at(&page, "<a href=\"/intake/events\" class=\"active\">");
    assert!(!page.contains("event-reprocess"), "a head reads, an administrator re-processes");
    assert_eq!(head.post_form(&format!("/intake/events/{event}/reprocess"), &[]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(head.get("/settings/intake").await.0, StatusCode::FORBIDDEN);

    let manager = app.ui_login(app.ids.manager1, "m1@a.test").await;
    for path in [
        "/settings/intake".to_string(),
        format!("/settings/intake/{}", hook.id),
        "/intake/events".into(),
        format!("/intake/events/{event}"),
    ] {
        assert_eq!(manager.get(&path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(manager.post_form("/settings/intake", &[("kind", "telephony"), ("name", "x")]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(manager.post_form(&format!("/settings/intake/{}/rotate", hook.id), &[]).await.0, StatusCode::FORBIDDEN);
    let (_, list) = app.get(&app.t.admin, "/api/v1/intake/sources").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // An event the workspace does not have is not found.
    let a = admin(&app).await;
    assert_eq!(a.get("/intake/events/999999").await.0, StatusCode::NOT_FOUND);
    // Administrators reach the inbox from the settings, which the menu marks for them.
    let (_, inbox) = a.get("/intake/events").await;
    at(&inbox, "<a href=\"/settings\" class=\"active\">");
    assert!(!inbox.contains("<a href=\"/intake/events\" class="), "no inbox item in an administrator's menu");
}

async fn the_deal_card_shows_attribution_and_touches(app: TestApp) {
    let hook = source(&app, "telephony", json!({})).await;
    let first = json!({"call_id": "a-1", "from": "+79995554433", "status": "answered", "duration": 30,
        "utm": {"source": "yandex", "medium": "cpc", "campaign": "winter"}, "landing_page": "https://site.example/sale"});
    assert_eq!(call(&app, &hook, first).await.0, StatusCode::ACCEPTED);
    work(&app).await;
    let persons = app.all_records(&app.t.admin, "persons", "&phone=%2B79995554433", 10).await;
    let person = persons[0]["id"].as_i64().unwrap();
    let deal = app.all_records(&app.t.admin, "deals", &format!("&person_id={person}"), 10).await[0]["id"].as_i64().unwrap();

    let s = admin(&app).await;
    let (status, card) = s.get(&format!("/deals/{deal}")).await;
    assert_eq!(status, StatusCode::OK);
    let block = &card[at(&card, "id=\"deal-attribution\"")..];
    at(block, "yandex");
    at(block, "https://site.example/sale");
    at(block, "(1)");

    let second = json!({"call_id": "a-2", "from": "+79995554433", "status": "answered", "duration": 5, "utm": {"source": "google"}});
    assert_eq!(call(&app, &hook, second).await.0, StatusCode::ACCEPTED);
    work(&app).await;
    let (_, card) = s.get(&format!("/deals/{deal}")).await;
    let block = &card[at(&card, "id=\"deal-attribution\"")..];
    at(block, "(2)");
    // The touch list (after the credited channel per model and the path) runs oldest first.
    let touches = &block[at(block, "class=\"intake-touches\"")..];
    assert!(at(touches, "yandex / cpc / winter") < at(touches, "google"), "touches oldest first");

    // A deal without touches has no block.
    let plain = app.create(&app.t.admin, "deals", json!({"title": "Без источника", "pipeline_id": app.ids.pipeline})).await;
    let (_, card) = s.get(&format!("/deals/{plain}")).await;
    assert!(!card.contains("deal-attribution"));
}

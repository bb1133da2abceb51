//! The filter box's helper `GET /filter/fields/{entity}`: the fields a filter may name with their
//! labels in the reader's language, kinds, operators and values — the workspace's own custom
//! fields, stages, pipelines and users only — and an expression read back as builder rows.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(the_fields_of_a_filter_come_labelled_with_their_operators_and_values, an_expression_reads_back_as_rows_when_it_can,);

async fn fields(ui: &UiSession, path: &str) -> Value {
    let (s, body) = ui.get(path).await;
    assert_eq!(s, StatusCode::OK, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

fn field<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("no field {name}: {answer}"))
}

fn values(f: &Value, what: &str) -> Vec<String> {
    f["options"].as_array().unwrap().iter().map(|o| o[what].as_str().unwrap().to_string()).collect()
}

fn ops(f: &Value) -> Vec<String> {
    f["ops"].as_array().unwrap().iter().map(|o| o["op"].as_str().unwrap().to_string()).collect()
}

async fn the_fields_of_a_filter_come_labelled_with_their_operators_and_values(app: TestApp) {
    let city = json!({"entity": "deal", "key": "region", "label": "Регион", "field_type": "enum", "options": ["Москва", "Казань"]});
    let (s, v) = app.post(&app.t.admin, "/api/v1/custom_fields", city).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let size = json!({"entity": "organization", "key": "staff", "label": "Штат", "field_type": "number"});
    let (s, v) = app.post(&app.t.admin, "/api/v1/custom_fields", size).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Another workspace's field, pipeline (made by the test setup) and user never show.
    let secret = json!({"entity": "deal", "key": "secret_margin", "label": "Чужая маржа", "field_type": "money"});
    let (s, v) = app.post(&app.t.other_admin, "/api/v1/custom_fields", secret).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let ru = fields(&ui, "/filter/fields/deals").await;
    assert_eq!(ru["entity"], "deal");
    let text = ru.to_string();
    for foreign in ["secret_margin", "Чужая маржа", "Чужая воронка", "admin@b.test", "\"B\""] {
        assert!(!text.contains(foreign), "another workspace's {foreign} is offered: {text}");
    }
    for secret in ["m1@a.test", "admin@a.test", "password"] {
        assert!(!text.contains(secret), "{secret} is not the filter's business");
    }

    let status = field(&ru, "status");
    assert_eq!(
        (status["label"].as_str(), status["kind"].as_str(), status["group"].as_str()),
        (Some("Статус"), Some("enum"), Some("field"))
    );
    assert_eq!(values(status, "value")[..4], ["open", "won", "lost", "frozen"]);
    assert_eq!(values(status, "label")[0], "Открыта");
    assert!(ops(status).iter().any(|o| o == "="));
    assert!(!ops(status).iter().any(|o| o == "~" || o == "<"), "an enum has no order and is not text: {:?}", ops(status));

    let value = field(&ru, "value");
    assert_eq!((value["label"].as_str(), value["kind"].as_str()), (Some("Сумма"), Some("money")));
    assert!(ops(value).iter().any(|o| o == ">="));
    let title = field(&ru, "title");
    assert_eq!(ops(title)[0], "~", "text is searched first");
    assert_eq!(title["ops"][0]["label"], "содержит");

    let stage = field(&ru, "stage");
    assert_eq!((stage["label"].as_str(), stage["kind"].as_str()), (Some("Этап"), Some("stage")));
    assert_eq!(values(stage, "value"), ["Новый", "Принял в работу", "Коммуникация"], "the workspace's stages, in order");
    assert_eq!(stage["options"][0]["group"], "Клиенты");
    assert_eq!(field(&ru, "stage")["ops"].as_array().unwrap().iter().find(|o| o["op"] == "<").unwrap()["label"], "раньше");
    assert_eq!(values(field(&ru, "pipeline"), "value"), ["Клиенты"]);

    let owner = field(&ru, "owner");
    assert_eq!((owner["label"].as_str(), owner["kind"].as_str()), (Some("Ответственный"), Some("user")));
    let owners = values(owner, "value");
    assert_eq!(owners[0], "me");
    assert!(owners.contains(&app.ids.manager3.to_string()) && owners.contains(&app.ids.admin.to_string()), "{owners:?}");
    assert_eq!(owners.len(), 7, "me and the six users of the workspace: {owners:?}");

    let region = field(&ru, "region");
    assert_eq!(
        (region["label"].as_str(), region["kind"].as_str(), region["group"].as_str()),
        (Some("Регион"), Some("enum"), Some("custom"))
    );
    assert_eq!(values(region, "value"), ["Москва", "Казань"]);
    // One step along a relation, its custom fields included.
    let org_staff = field(&ru, "org.staff");
    assert_eq!((org_staff["label"].as_str(), org_staff["kind"].as_str()), (Some("Компания · Штат"), Some("number")));
    assert_eq!(field(&ru, "org.name")["group"], "related");
    assert_eq!(values(field(&ru, "owner.role"), "label")[2], "Менеджер");
    assert_eq!(values(field(&ru, "owner.team"), "value"), ["Центр", "Казань"]);
    assert_eq!(field(&ru, "last_activity_at")["kind"], "timestamp");
    assert_eq!(ru["collections"][0]["name"], "activity");
    assert_eq!(ru["texts"]["apply"], "Применить");
    assert!(ru.get("rows").is_none(), "no q, no rows");

    // Persons: their own fields; no deal fields, and no organization field of deals.
    let persons = fields(&ui, "/filter/fields/person").await;
    assert_eq!(field(&persons, "job_title")["label"], "Должность");
    assert!(persons["fields"].as_array().unwrap().iter().all(|f| f["name"] != "region" && f["name"] != "person.name"));
    assert_eq!(field(&persons, "org.staff")["kind"], "number");

    // The same in English.
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager1), json!({"locale": "en"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let en = fields(&ui, "/filter/fields/deals").await;
    assert_eq!(field(&en, "status")["label"], "Status");
    assert_eq!(values(field(&en, "status"), "label")[0], "Open");
    assert_eq!(field(&en, "value")["label"], "Value");
    assert_eq!(field(&en, "stage_entered_at")["label"], "In the stage since");
    assert_eq!(field(&en, "region")["label"], "Регион", "a custom field keeps the label its workspace gave it");
    assert_eq!(field(&en, "title")["ops"][0]["label"], "contains");
    assert_eq!(en["texts"]["apply"], "Apply");

    // Not a filterable entity, or not signed in.
    assert_eq!(ui.get("/filter/fields/users").await.0, StatusCode::NOT_FOUND);
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let s = anonymous.get(format!("{}/filter/fields/deals", app.base)).send().await.unwrap().status();
    assert_eq!(s, StatusCode::SEE_OTHER, "sign in first");
}

async fn an_expression_reads_back_as_rows_when_it_can(app: TestApp) {
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let q = |q: &str| format!("/filter/fields/deal?q={}", form_urlencoded_byte(q));
    let simple = fields(&ui, &q(r#"status = open and value >= 1500.5 and title ~ "ООО \"Ромашка\"" and stage >= "принял в работу""#)).await;
    assert_eq!(
        simple["rows"],
        json!({"join": "and", "rows": [
            {"field": "status", "op": "=", "value": "open", "raw": false},
            {"field": "value", "op": ">=", "value": "1500.5", "raw": false},
            {"field": "title", "op": "~", "value": "ООО \"Ромашка\"", "raw": false},
            {"field": "stage", "op": ">=", "value": "Принял в работу", "raw": false},
        ]})
    );
    let any = fields(&ui, &q("owner = me or stage_entered_at < now - 7d or org.name is empty")).await;
    assert_eq!(any["rows"]["join"], "or");
    assert_eq!(any["rows"]["rows"][1], json!({"field": "stage_entered_at", "op": "<", "value": "now - 7d", "raw": true}));
    assert_eq!(any["rows"]["rows"][2]["op"], "is empty");
    for more in ["status = open and (value > 1 or value < 0)", "not exists activity(done = false)", "Ромашка", "stage = \"Нет такого\""]
    {
        assert!(fields(&ui, &q(more)).await.get("rows").is_none(), "{more} is more than rows");
    }
    assert_eq!(fields(&ui, &q("")).await["rows"], json!({"join": "and", "rows": []}));
}

fn form_urlencoded_byte(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

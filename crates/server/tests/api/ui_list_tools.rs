//! The lists' tools in the web UI: the count and value of the whole list, sorting on columns
//! with empty values, the column picker, bulk actions under the rules of single changes, and
//! exports (CSV, XLSX) of exactly what the reader's list holds.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(
    the_list_counts_and_sums_what_it_holds_for_the_reader,
    sorting_by_a_column_with_empty_values_pages_through_everything,
    bulk_actions_change_what_single_changes_would_and_report_the_rest,
    exports_hold_the_list_the_reader_sees_in_their_columns,
    the_api_counts_a_list_and_changes_records_in_bulk,
);

async fn the_list_counts_and_sums_what_it_holds_for_the_reader(app: TestApp) {
    for (title, value) in [("Окна", 100_000), ("Двери", 250_000), ("Пол", 50_000)] {
        app.create(&app.t.manager1, "deals", json!({"title": title, "value": value})).await;
    }
    app.create(&app.t.manager1, "deals", json!({"title": "Валютная", "value": 1_000, "currency": "USD"})).await;
    app.create(&app.t.manager3, "deals", json!({"title": "Чужая", "value": 9_900_000})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, list) = ui.get("/deals").await;
    assert!(list.contains("hx-get=\"/deals/totals\""), "the totals load after the page");
    let (s, totals) = ui.get_fragment("/deals/totals").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(totals, "Сделок: 4 · 4\u{a0}000\u{a0}₽ · 10\u{a0}$", "another manager's deal is not counted");
    let (_, totals) = ui.get_fragment("/deals/totals?q=value+%3E+600").await;
    assert_eq!(totals, "Сделок: 2 · 3\u{a0}500\u{a0}₽");
    let (_, totals) = ui.get_fragment("/persons/totals").await;
    assert_eq!(totals, "Контактов: 0");
}

async fn sorting_by_a_column_with_empty_values_pages_through_everything(app: TestApp) {
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut body = json!({"title": format!("Сделка {i}")});
        if i % 2 == 0 {
            body["expected_close_date"] = json!(format!("2026-12-{:02}", 10 + i));
        }
        ids.push(app.create(&app.t.manager1, "deals", body).await);
    }
    for sort in ["expected_close_date", "-expected_close_date", "status", "-owner_id", "source"] {
        let seen = app.all_ids(&app.t.manager1, "deals", &format!("&sort={sort}")).await;
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ids, "{sort}: every deal once, empty values included");
        if sort.ends_with("expected_close_date") {
            let last3: Vec<i64> = seen[4..].to_vec();
            assert!(last3.iter().all(|id| (ids.iter().position(|x| x == id).unwrap()) % 2 == 1), "{sort}: empty dates come last: {seen:?}");
        }
    }
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, page) = ui.get("/deals").await;
    for sort in ["status", "stage_id", "owner_id", "expected_close_date"] {
        assert!(page.contains(&format!("sort={sort}")) || page.contains(&format!("sort=-{sort}")), "the {sort} column sorts");
    }
}

async fn bulk_actions_change_what_single_changes_would_and_report_the_rest(app: TestApp) {
    let stage = app.ids.stages[1];
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{stage}"), json!({"regulation": {"required_fields": ["value"]}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let with_value: Vec<i64> = {
        let mut v = Vec::new();
        for i in 0..3 {
            v.push(app.create(&app.t.head, "deals", json!({"title": format!("С суммой {i}"), "value": 1000})).await);
        }
        v
    };
    let empty = app.create(&app.t.head, "deals", json!({"title": "Без суммы"})).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (_, fields) = ui.get_fragment("/deals/bulk/fields?action=stage").await;
    assert!(fields.contains(&format!("<option value=\"{stage}\">")), "{fields}");
    let stage_s = stage.to_string();
    let mut form: Vec<(&str, String)> = vec![("action", "stage".into()), ("stage_id", stage_s.clone()), ("view", String::new())];
    for id in with_value.iter().chain([&empty]) {
        form.push(("id", id.to_string()));
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, html) = ui.post_form("/deals/bulk", &pairs).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Изменено: 3") && html.contains("не изменено 1 из 4"), "{html}");
    assert!(html.contains("заполните: Сумма") && html.contains(&format!("#{empty}")), "the reason and the record: {html}");
    for id in &with_value {
        let (_, v) = app.get(&app.t.head, &format!("/api/v1/deals/{id}")).await;
        assert_eq!(v["data"]["stage_id"], stage);
    }
    let (_, v) = app.get(&app.t.head, &format!("/api/v1/deals/{empty}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[0], "the refused one did not move");

    // Reassigning to manager1 as manager2 is refused for every record: managers assign only to themselves.
    let m2 = app.ui_login(app.ids.manager2, "m2@a.test").await;
    let mine = app.create(&app.t.manager2, "deals", json!({"title": "Моя"})).await;
    let (_, html) = m2
        .post_form(
            "/deals/bulk",
            &[("action", "owner"), ("owner_id", &app.ids.manager1.to_string()), ("id", &mine.to_string()), ("view", "")],
        )
        .await;
    assert!(html.contains("не изменено 1 из 1"), "{html}");
    // A record the user does not see is refused as not found, never changed.
    let (_, html) = m2.post_form("/deals/bulk", &[("action", "delete"), ("id", &with_value[0].to_string()), ("view", "")]).await;
    assert!(html.contains("не изменено 1 из 1"), "{html}");
    let (s, _) = app.get(&app.t.head, &format!("/api/v1/deals/{}", with_value[0])).await;
    assert_eq!(s, StatusCode::OK, "still there");
    // A task for each, then delete.
    let (_, html) = ui
        .post_form(
            "/deals/bulk",
            &[
                ("action", "task"),
                ("subject", "Позвонить"),
                ("due_at", "2026-12-01T10:00"),
                ("id", &with_value[1].to_string()),
                ("id", &with_value[2].to_string()),
                ("view", ""),
            ],
        )
        .await;
    assert!(html.contains("Изменено: 2"), "{html}");
    let tasks = app.all_records(&app.t.head, "activities", &format!("&deal_id={}", with_value[1]), 10).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["subject"], "Позвонить");
    let (_, html) = ui.post_form("/deals/bulk", &[("action", "delete"), ("id", &with_value[2].to_string()), ("view", "")]).await;
    assert!(html.contains("Изменено: 1"), "{html}");
    assert_eq!(app.get(&app.t.head, &format!("/api/v1/deals/{}", with_value[2])).await.0, StatusCode::NOT_FOUND);
    // Without an action or a record, the form says what is missing.
    let (_, html) = ui.post_form("/deals/bulk", &[("action", ""), ("view", "")]).await;
    assert!(html.contains("обязательное поле"), "{html}");
}

async fn exports_hold_the_list_the_reader_sees_in_their_columns(app: TestApp) {
    use calamine::{Reader, Xlsx};
    app.create(&app.t.manager1, "deals", json!({"title": "=HYPERLINK(\"x\")", "value": 100_000})).await;
    app.create(&app.t.manager1, "deals", json!({"title": "Окна", "value": 200_000})).await;
    app.create(&app.t.manager3, "deals", json!({"title": "Чужая", "value": 300_000})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let resp = ui.client.get(format!("{}/deals/export.csv?sort=title", ui.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"].to_str().unwrap().contains(".csv"));
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "a header and my two deals: {csv}");
    assert!(lines[0].starts_with("Сделка,Компания,Этап,Сумма"), "{}", lines[0]);
    assert!(lines[1].starts_with("\"'=HYPERLINK"), "a formula is neutralised: {}", lines[1]);
    assert!(!csv.contains("Чужая"));
    // Picked columns go into the export too; a filtered list exports only its rows.
    let resp =
        ui.client.get(format!("{}/deals/export.xlsx?q=%D0%BE%D0%BA%D0%BD%D0%B0&cols=title.value.source", ui.base)).send().await.unwrap();
    assert!(resp.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(resp.bytes().await.unwrap().to_vec())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.height(), 2, "a header and the one matching deal");
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header, ["Сделка", "Сумма", "Источник"]);
    assert_eq!(sheet.get((1, 0)).unwrap().to_string(), "Окна");
    // The list page shows the picked columns too.
    let (_, page) = ui.get("/deals").await;
    assert!(
        page.contains("data-columns-cookie=\"cols_deals\"") && page.contains("value=\"source\""),
        "the column picker offers more columns"
    );
}

async fn the_api_counts_a_list_and_changes_records_in_bulk(app: TestApp) {
    let m1 = &app.t.manager1;
    let a = app.create(m1, "deals", json!({"title": "А", "value": 100})).await;
    let b = app.create(m1, "deals", json!({"title": "Б", "value": 200})).await;
    let theirs = app.create(&app.t.manager3, "deals", json!({"title": "В", "value": 400})).await;
    let (s, v) = app.get(m1, "/api/v1/deals/totals").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"], json!({"count": 2, "values": [{"currency": "RUB", "total": 300}]}));
    let (_, v) = app.get(m1, "/api/v1/deals/totals?filter=value%20%3E%201.5").await;
    assert_eq!(v["data"]["count"], 1);
    let (s, v) = app.post(m1, "/api/v1/deals/bulk", json!({"ids": [a, b, theirs], "update": {"source": "выставка"}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["done"], json!([a, b]));
    assert_eq!(v["data"]["refused"][0]["id"], theirs);
    assert_eq!(v["data"]["refused"][0]["error"]["code"], "not_found");
    let (_, v) = app.get(&app.t.head, &format!("/api/v1/deals/{theirs}")).await;
    assert!(v["data"]["source"].is_null(), "the refused record is untouched");
    let (s, v) = app.post(m1, "/api/v1/deals/bulk", json!({"ids": [a], "update": {"value": -5}})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"]["refused"][0]["error"]["field"], "value", "{v}");
    assert_error(
        &app.post(m1, "/api/v1/deals/bulk", json!({"ids": (0..1001).collect::<Vec<i64>>(), "delete": true})).await,
        422,
        "validation",
        Some("ids"),
    );
    assert_error(&app.post(m1, "/api/v1/deals/bulk", json!({"ids": [a]})).await, 422, "validation", Some("update"));
    let (_, v) = app.post(m1, "/api/v1/deals/bulk", json!({"ids": [a, b], "delete": true})).await;
    assert_eq!(v["data"]["done"], json!([a, b]));
    assert_eq!(app.get(m1, &format!("/api/v1/deals/{a}")).await.0, StatusCode::NOT_FOUND);
}

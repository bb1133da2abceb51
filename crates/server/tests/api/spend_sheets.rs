//! The marketing spend import reads every sheet of a workbook (issue 18): a workbook with a
//! Yandex Direct sheet, a VK Ads sheet and a sheet of notes imports both cabinets' rows (each
//! sheet's channel from its own headers) and leaves the notes out; `sheet` picks one sheet by
//! name or number; an unknown sheet is refused naming the workbook's sheets; a bad row names
//! its sheet, line and column and nothing is written; the same workbook again changes nothing.
//! Through the API, the CLI's options (the same `ImportOptions`) and the page's form.
use crate::helpers::*;
use crate::marketing_spend::multipart;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(every_sheet_of_a_workbook_is_imported);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A workbook of named sheets; a number is a number cell, the rest text.
pub fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = book.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell.parse::<f64>() {
                    Ok(n) => ws.write_number(r, c, n).unwrap(),
                    Err(_) => ws.write_string(r, c, *cell).unwrap(),
                };
            }
        }
    }
    book.save_to_buffer().unwrap()
}

pub const YANDEX: &[&[&str]] = &[
    &["Статистика по дням"],
    &["Дата", "Кампания", "Условие показа", "Показы", "Клики", "Расход (руб.)"],
    &["20.11.2026", "brand", "внедрение crm", "1000", "10", "1 234,56"],
    &["21.11.2026", "brand", "внедрение crm", "400", "4", "500"],
];
pub const VK: &[&[&str]] = &[&["Date", "Campaign", "Impressions", "Clicks", "Spent"], &["2026-11-20", "Ретаргет", "2000", "20", "2500.5"]];
const NOTES: &[&[&str]] = &[&["Выгрузка для отдела маркетинга"], &["Ответственный: Анна"]];

async fn import(app: &TestApp, query: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}/api/v1/marketing/spend/import{query}", app.base))
        .bearer_auth(&app.t.head)
        .header("content-type", XLSX)
        .body(body)
        .send()
        .await
        .unwrap();
    let s = resp.status();
    (s, resp.json().await.unwrap())
}

async fn stored(app: &TestApp) -> Vec<(String, String, i64)> {
    let (_, v) = app.get(&app.t.head, "/api/v1/marketing/spend?limit=500").await;
    let mut out: Vec<(String, String, i64)> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["day"].as_str().unwrap().into(), r["channel"].as_str().unwrap().into(), r["amount"].as_i64().unwrap()))
        .collect();
    out.sort();
    out
}

async fn every_sheet_of_a_workbook_is_imported(app: TestApp) {
    let book = workbook(&[("Яндекс", YANDEX), ("VK", VK), ("Заметки", NOTES)]);
    // A preview: both cabinets' sheets, the notes left out; each sheet's channel from its shape.
    let (s, v) = import(&app, "?dry_run=true", book.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["data"];
    assert_eq!(r["sheets"], json!(["Яндекс", "VK"]), "{r}");
    assert_eq!(
        (r["rows"].as_i64(), r["created"].as_i64(), r["amount"].as_i64()),
        (Some(3), Some(3), Some(123_456 + 50_000 + 250_050)),
        "{r}"
    );
    assert_eq!(r["channel"], Value::Null, "two channels, none for the whole file");
    let channels: Vec<&str> = r["lines"].as_array().unwrap().iter().map(|l| l["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, ["yandex", "yandex", "vk"]);
    assert!(stored(&app).await.is_empty(), "a dry run writes nothing");
    // For real, then read back; the same workbook again changes nothing.
    let (s, v) = import(&app, "", book.clone()).await;
    assert_eq!((s, v["data"]["applied"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    let all = vec![
        ("2026-11-20".to_string(), "vk".to_string(), 250_050),
        ("2026-11-20".to_string(), "yandex".to_string(), 123_456),
        ("2026-11-21".to_string(), "yandex".to_string(), 50_000),
    ];
    assert_eq!(stored(&app).await, all);
    let (_, v) = import(&app, "", book.clone()).await;
    assert_eq!((v["data"]["created"].as_i64(), v["data"]["unchanged"].as_i64()), (Some(0), Some(3)), "{v}");

    // One sheet by name (any case) or number.
    let (_, v) = import(&app, "?dry_run=true&sheet=vk", book.clone()).await;
    assert_eq!(
        (v["data"]["sheets"].clone(), v["data"]["rows"].as_i64(), v["data"]["channel"].as_str()),
        (json!(["VK"]), Some(1), Some("vk")),
        "{v}"
    );
    let (_, v) = import(&app, "?dry_run=true&sheet=1", book.clone()).await;
    assert_eq!((v["data"]["sheets"].clone(), v["data"]["rows"].as_i64()), (json!(["Яндекс"]), Some(2)), "{v}");
    let (s, v) = import(&app, "?sheet=Итоги", book.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!((v["error"]["field"].as_str(), v["error"]["message_code"].as_str()), (Some("sheet"), Some("spend_import_no_sheet")));
    assert_eq!(v["error"]["args"]["sheets"], json!(["Яндекс", "VK", "Заметки"]));
    // A workbook whose only sheets have no spend header says what is missing.
    let (s, v) = import(&app, "", workbook(&[("Заметки", NOTES)])).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("map.date")), "{v}");

    // A bad row on the second sheet names the sheet, its line and column; nothing is written.
    let bad_vk: &[&[&str]] = &[&["Date", "Campaign", "Impressions", "Clicks", "Spent"], &["2026-11-22", "Осень", "10", "1", "-5"]];
    let yandex_more: &[&[&str]] = &[YANDEX[1], &["22.11.2026", "brand", "внедрение crm", "100", "1", "700"]];
    let (s, v) = import(&app, "", workbook(&[("Яндекс", yandex_more), ("VK", bad_vk)])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["args"], json!({"n": 1, "line": 2, "column": "VK · Spent"}), "{v}");
    assert_eq!(stored(&app).await, all, "nothing of a refused workbook is written");

    // The page's form takes the sheet too, and says which sheets it read.
    let (_, me) = app.get(&app.t.head, "/api/v1/me").await;
    let head = app.ui_login(me["data"]["user"]["id"].as_i64().unwrap(), "head@a.test").await;
    let (s, page) = head.get("/marketing/spend").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"spend-import-sheet\" name=\"sheet\""), "the sheet field");
    let (ctype, body) = multipart(&book, &[("sheet", "")]);
    let resp = head
        .client
        .post(format!("{}/marketing/spend/import?dry_run=1", head.base))
        .header("content-type", ctype)
        .header("HX-Request", "true")
        .header("X-CSRF-Token", head.csrf.clone())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let fragment = resp.text().await.unwrap();
    assert!(fragment.contains("id=\"spend-import-sheets\"") && fragment.contains("«Яндекс», «VK»"), "{fragment}");
}

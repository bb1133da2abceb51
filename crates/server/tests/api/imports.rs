//! Importing a base from another CRM's export, on both databases, with fixture files written
//! here in each CRM's shape and encoding: an amoCRM CSV in Windows-1251 separated by `;` (a note
//! spanning lines, a formula cell, a won deal, a broken row, an unknown stage), a Bitrix24
//! "Excel" export (an HTML table saved as .xls) and a Pipedrive XLSX. Checked: the detected
//! preset and proposed mappings, a dry run that writes nothing, the counts of a run, a person
//! found by a phone spelt differently, a re-import that changes nothing, a rollback that removes
//! everything it created and restores what it updated, failed rows named by line and column,
//! the history's channel, a file in an unknown encoding and one over the size limit.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    an_amocrm_csv_in_windows_1251_imports_dry_then_for_real_and_rolls_back,
    a_bitrix24_html_xls_and_a_pipedrive_xlsx_import_with_their_counts,
    persons_are_updated_as_duplicates_and_restored_by_rollback,
    every_phone_and_email_of_an_amocrm_row_is_kept_matched_merged_and_rolled_back,
    bad_files_are_refused_with_their_reason,
    a_reimport_in_update_mode_changes_the_deals_writes_their_history_and_is_idempotent,
);

pub const AMO_CSV: &str = "ID;Название сделки;Бюджет;Этап сделки;Воронка;Ответственный;Основной контакт;Компания;Рабочий телефон;Рабочий email;utm_source;Дата создания;Примечание\n\
101;Поставка «Ромашка»;150 000;Новый;Клиенты;m1;Иван Петров;ООО Ромашка;+7 (912) 345-67-89;ivan@romashka.ru;yandex;23.11.2026 10:15:00;\"Звонил\nдважды\"\n\
102;Второй заказ;2 500,50;Успешно реализовано;Клиенты;m1;Иван Петров;ООО Ромашка;89123456789;;google;20.11.2026 09:00:00;\n\
103;\"=HYPERLINK(\"\"http://evil.example\"\";\"\"click\"\")\";0;Коммуникация;Клиенты;admin;Мария;;+7 999 111-22-33;;;01.11.2026 12:00:00;\n\
104;Битая строка;сто рублей;Новый;Клиенты;m1;Пётр;;12;;;31.02.2026 10:00:00;\n\
105;Неизвестный этап;100;Переговоры;Клиенты;m1;Олег;;;oleg@x.ru;;;\n";

pub fn cp1251(text: &str) -> Vec<u8> {
    let (bytes, _, bad) = encoding_rs::WINDOWS_1251.encode(text);
    assert!(!bad);
    bytes.into_owned()
}

/// Uploads a file as the raw body; the status and the answer.
pub async fn upload(app: &TestApp, query: &str, bytes: Vec<u8>, ctype: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}/api/v1/imports?{query}", app.base))
        .bearer_auth(&app.t.admin)
        .header("content-type", ctype)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn uploaded(app: &TestApp, query: &str, bytes: Vec<u8>, ctype: &str) -> Value {
    let (s, v) = upload(app, query, bytes, ctype).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn run(app: &TestApp, id: i64, body: Value) -> Value {
    let (s, v) = app.post(&app.t.admin, &format!("/api/v1/imports/{id}/run"), body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].clone()
}

fn counts(r: &Value) -> (i64, i64, i64, i64) {
    (r["created"].as_i64().unwrap(), r["updated"].as_i64().unwrap(), r["skipped"].as_i64().unwrap(), r["failed"].as_i64().unwrap())
}

async fn live(app: &TestApp, collection: &str) -> Vec<Value> {
    app.all_records(&app.t.admin, collection, "", 200).await
}

async fn an_amocrm_csv_in_windows_1251_imports_dry_then_for_real_and_rolls_back(app: TestApp) {
    // A person already in the base, her phone spelt as people type it.
    let ivan = app.create(&app.t.admin, "persons", json!({"name": "Иван", "phone": "89123456789"})).await;
    let v = uploaded(&app, "entity=deal&file_name=amocrm_export.csv", cp1251(AMO_CSV), "text/csv").await;
    let d = &v["data"];
    let id = d["id"].as_i64().unwrap();
    assert_eq!((d["preset"].as_str(), d["file_kind"].as_str(), d["rows"].as_i64()), (Some("amocrm"), Some("csv"), Some(5)), "{d}");
    let cols: Vec<Option<&str>> = d["settings"]["columns"].as_array().unwrap().iter().map(Value::as_str).collect();
    assert_eq!(
        cols,
        vec![
            Some("external_id"),
            Some("title"),
            Some("value"),
            Some("stage"),
            Some("pipeline"),
            Some("owner"),
            Some("person_name"),
            Some("org_name"),
            Some("person_phone"),
            Some("person_email"),
            Some("utm_source"),
            Some("created_at"),
            Some("note")
        ]
    );
    let stages = &d["settings"]["values"]["stage"];
    assert_eq!(stages["Новый"].as_str(), Some(app.ids.stages[0].to_string().as_str()), "{stages}");
    assert_eq!(stages["Успешно реализовано"].as_str(), Some("won"));
    assert!(stages.get("Переговоры").is_none(), "an unknown stage is not guessed: {stages}");
    assert_eq!(d["settings"]["values"]["owner"]["m1"].as_str(), Some(app.ids.manager1.to_string().as_str()));
    assert_eq!(d["preview"][0][1].as_str(), Some("Поставка «Ромашка»"));
    assert!(v["choices"]["stages"].as_array().unwrap().len() >= 3);

    // A dry run counts and names every failed row, and writes nothing.
    let dry = run(&app, id, json!({"dry_run": true})).await;
    assert_eq!(counts(&dry), (3, 0, 0, 2), "{dry}");
    assert_eq!(
        (dry["persons_created"].as_i64(), dry["organizations_created"].as_i64(), dry["notes_created"].as_i64()),
        (Some(1), Some(1), Some(1))
    );
    let errors: Vec<(i64, &str, &str)> = dry["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["column"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        vec![
            (6, "Бюджет", "bad_amount"),
            (6, "Рабочий телефон", "bad_phone"),
            (6, "Дата создания", "bad_date"),
            (7, "Этап сделки", "unmapped_value")
        ],
        "{dry}"
    );
    assert!(dry["errors"][3]["message"].as_str().unwrap().contains("Переговоры"), "{dry}");
    assert!(live(&app, "deals").await.is_empty(), "a dry run writes nothing");
    assert_eq!(live(&app, "persons").await.len(), 1);
    let (_, again) = app.get(&app.t.admin, &format!("/api/v1/imports/{id}")).await;
    assert_eq!((again["data"]["status"].as_str(), again["data"]["report"]["dry_run"].as_bool()), (Some("uploaded"), Some(true)));

    // The run.
    let r = run(&app, id, json!({"dry_run": false})).await;
    assert_eq!(counts(&r), (3, 0, 0, 2), "{r}");
    let deals = live(&app, "deals").await;
    assert_eq!(deals.len(), 3);
    let by_title =
        |t: &str| deals.iter().find(|d| d["title"].as_str() == Some(t)).cloned().unwrap_or_else(|| panic!("no deal {t}: {deals:?}"));
    let first = by_title("Поставка «Ромашка»");
    assert_eq!(
        (first["value"].as_i64(), first["person_id"].as_i64(), first["owner_id"].as_i64()),
        (Some(15_000_000), Some(ivan), Some(app.ids.manager1))
    );
    assert_eq!(first["utm_source"].as_str(), Some("yandex"));
    assert_eq!(first["created_at"].as_str(), Some("2026-11-23T07:15:00.000Z"), "the file's date, read in Moscow time");
    let won = by_title("Второй заказ");
    assert_eq!(
        (won["status"].as_str(), won["value"].as_i64(), won["person_id"].as_i64()),
        (Some("won"), Some(250_050), Some(ivan)),
        "{won}"
    );
    // The formula is kept as its text, never evaluated.
    let formula = by_title("=HYPERLINK(\"http://evil.example\";\"click\")");
    assert_eq!(formula["owner_id"].as_i64(), Some(app.ids.admin));
    assert_eq!(live(&app, "persons").await.len(), 2, "Иван was found by his phone; Мария is new");
    assert_eq!(live(&app, "organizations").await.len(), 1);
    let notes = live(&app, "notes").await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["content"].as_str(), Some("Звонил\nдважды"));
    // The deal's history says it came from the import, not through its stage's gates.
    let (s, h) = app.get(&app.t.admin, &format!("/api/v1/deals/{}/history", first["id"])).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["data"][0]["channel"].as_str(), Some("import"), "{h}");
    assert_eq!(h["data"][0]["changes"]["import_id"].as_i64(), Some(id), "{h}");
    let (_, tasks) = app.get(&app.t.admin, "/api/v1/activities?limit=100").await;
    assert_eq!(tasks["data"].as_array().unwrap().len(), 0, "no entry tasks: {tasks}");

    // A run import does not run twice; the same file again changes nothing.
    let (s, v) = app.post(&app.t.admin, &format!("/api/v1/imports/{id}/run"), json!({})).await;
    assert_error(&(s, v), 409, "conflict", None);
    let v2 = uploaded(&app, "entity=deal", cp1251(AMO_CSV), "text/csv").await;
    let id2 = v2["data"]["id"].as_i64().unwrap();
    let r2 = run(&app, id2, json!({"duplicates": "update"})).await;
    assert_eq!(counts(&r2), (0, 0, 3, 2), "{r2}");
    assert_eq!(r2["persons_created"].as_i64(), Some(0));
    assert_eq!(live(&app, "deals").await.len(), 3);
    assert_eq!(live(&app, "persons").await.len(), 2);
    assert_eq!(live(&app, "notes").await.len(), 1);

    // The list, and the rollback of the first import.
    let (_, list) = app.get(&app.t.admin, "/api/v1/imports").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert_eq!(list["data"][1]["status"].as_str(), Some("done"));
    let (s, rb) = app.post(&app.t.admin, &format!("/api/v1/imports/{id}/rollback"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{rb}");
    assert_eq!(rb["data"]["deleted"].as_i64(), Some(3 + 1 + 1 + 1), "3 deals, Мария, the organization, the note: {rb}");
    assert!(live(&app, "deals").await.is_empty());
    assert!(live(&app, "notes").await.is_empty());
    assert!(live(&app, "organizations").await.is_empty());
    let persons = live(&app, "persons").await;
    assert_eq!(persons.iter().map(|p| p["id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![ivan], "the person who was there stays");
    let (s, v) = app.post(&app.t.admin, &format!("/api/v1/imports/{id}/rollback"), json!({})).await;
    assert_error(&(s, v), 409, "conflict", None);
    // After a rollback the file imports again (its ids are free).
    let v3 = uploaded(&app, "entity=deal", cp1251(AMO_CSV), "text/csv").await;
    let r3 = run(&app, v3["data"]["id"].as_i64().unwrap(), json!({})).await;
    assert_eq!(counts(&r3), (3, 0, 0, 2), "{r3}");

    // Managers do not import.
    let (s, v) = app.get(&app.t.manager1, "/api/v1/imports").await;
    assert_error(&(s, v), 403, "forbidden", None);
}

pub fn bitrix_html() -> Vec<u8> {
    "<html><head><meta http-equiv=\"Content-type\" content=\"text/html;charset=utf-8\" /></head><body>\n\
     <table border=\"1\">\n<tr><th>ID</th><th>Название сделки</th><th>Стадия сделки</th><th>Сумма</th><th>Валюта</th><th>Ответственный</th><th>Компания</th><th>Контакт</th></tr>\n\
     <tr><td>7</td><td>Станки для &laquo;Вектора&raquo;</td><td>Новый</td><td>1 200 000</td><td>RUB</td><td>m2</td><td>АО Вектор</td><td>Сергей Волков</td></tr>\n\
     <tr><td>8</td><td>Запчасти</td><td>Сделка провалена</td><td>30 000</td><td>RUB</td><td>m2</td><td>АО Вектор</td><td></td></tr>\n\
     </table></body></html>"
        .replace("&laquo;", "«")
        .replace("&raquo;", "»")
        .into_bytes()
}

pub fn pipedrive_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows: [[&str; 10]; 4] = [
        [
            "Deal - ID",
            "Deal - Title",
            "Deal - Value",
            "Deal - Stage",
            "Deal - Pipeline",
            "Deal - Status",
            "Deal - Owner",
            "Person - Name",
            "Person - Phone",
            "Organization - Name",
        ],
        ["1", "Website redesign", "5000", "Новый", "Клиенты", "open", "m3", "Anna Smith", "+44 20 7946 0958", "Acme Ltd"],
        ["2", "Support contract", "1200.50", "Коммуникация", "Клиенты", "won", "m3", "Anna Smith", "+44 20 7946 0958", "Acme Ltd"],
        ["3", "Audit", "800", "Новый", "Клиенты", "lost", "m3", "Bob Jones", "", "Jones & Co"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if r > 0 && c == 2 {
                sheet.write_number(r as u32, c as u16, cell.parse::<f64>().unwrap()).unwrap();
            } else if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

async fn a_bitrix24_html_xls_and_a_pipedrive_xlsx_import_with_their_counts(app: TestApp) {
    let v = uploaded(&app, "entity=deal&file_name=deals.xls", bitrix_html(), "application/vnd.ms-excel").await;
    assert_eq!((v["data"]["preset"].as_str(), v["data"]["file_kind"].as_str()), (Some("bitrix24"), Some("html")), "{v}");
    assert_eq!(v["data"]["settings"]["values"]["stage"]["Сделка провалена"].as_str(), Some("lost"));
    let r = run(&app, v["data"]["id"].as_i64().unwrap(), json!({})).await;
    assert_eq!(counts(&r), (2, 0, 0, 0), "{r}");
    assert_eq!((r["organizations_created"].as_i64(), r["persons_created"].as_i64()), (Some(1), Some(1)), "one company named twice");
    let deals = live(&app, "deals").await;
    let lost = deals.iter().find(|d| d["title"] == "Запчасти").unwrap();
    assert_eq!(
        (lost["status"].as_str(), lost["value"].as_i64(), lost["owner_id"].as_i64()),
        (Some("lost"), Some(3_000_000), Some(app.ids.manager2))
    );
    assert!(deals.iter().any(|d| d["title"] == "Станки для «Вектора»" && d["value"] == 120_000_000));

    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let v = uploaded(&app, "entity=deal&file_name=pipedrive.xlsx", pipedrive_xlsx(), xlsx).await;
    assert_eq!((v["data"]["preset"].as_str(), v["data"]["file_kind"].as_str()), (Some("pipedrive"), Some("xlsx")), "{v}");
    let id = v["data"]["id"].as_i64().unwrap();
    let r = run(&app, id, json!({"dry_run": true})).await;
    assert_eq!(counts(&r), (3, 0, 0, 0), "{r}");
    let r = run(&app, id, json!({})).await;
    assert_eq!(counts(&r), (3, 0, 0, 0), "{r}");
    assert_eq!((r["organizations_created"].as_i64(), r["persons_created"].as_i64()), (Some(2), Some(2)), "{r}");
    let deals = live(&app, "deals").await;
    assert_eq!(deals.len(), 5);
    let support = deals.iter().find(|d| d["title"] == "Support contract").unwrap();
    assert_eq!((support["status"].as_str(), support["value"].as_i64()), (Some("won"), Some(120_050)), "{support}");
    assert_eq!(deals.iter().filter(|d| d["status"] == "lost").count(), 2);
}

async fn persons_are_updated_as_duplicates_and_restored_by_rollback(app: TestApp) {
    let olga = app.create(&app.t.admin, "persons", json!({"name": "Ольга", "email": "olga@example.ru", "job_title": "Бухгалтер"})).await;
    let csv = "Имя,Email,Телефон,Должность,Любимый цвет\nОльга Сергеевна,OLGA@example.ru,,Главный бухгалтер,синий\nПавел,pavel@example.ru,8 (495) 123-45-67,Директор,зелёный\n";
    let v = uploaded(&app, "entity=person&preset=generic", csv.as_bytes().to_vec(), "text/csv").await;
    let d = &v["data"];
    assert_eq!(d["settings"]["columns"], json!(["person_name", "person_email", "person_phone", "person_job_title", null]), "{d}");
    let id = d["id"].as_i64().unwrap();
    // The unmapped column becomes a custom field; the duplicate is updated.
    let r = run(&app, id, json!({"duplicates": "update", "new_custom": [4]})).await;
    assert_eq!(counts(&r), (1, 1, 0, 0), "{r}");
    assert_eq!(r["custom_fields_created"].as_i64(), Some(1));
    let (_, p) = app.get(&app.t.admin, &format!("/api/v1/persons/{olga}")).await;
    assert_eq!((p["data"]["name"].as_str(), p["data"]["job_title"].as_str()), (Some("Ольга Сергеевна"), Some("Главный бухгалтер")), "{p}");
    let persons = live(&app, "persons").await;
    let pavel = persons.iter().find(|p| p["name"] == "Павел").unwrap();
    assert_eq!(pavel["phone"].as_str(), Some("+74951234567"));
    assert_eq!(pavel["custom"].as_object().unwrap().values().next().and_then(Value::as_str), Some("зелёный"), "{pavel}");
    // Rollback: Павел is gone, Ольга is as she was.
    let (s, rb) = app.post(&app.t.admin, &format!("/api/v1/imports/{id}/rollback"), json!({})).await;
    assert_eq!((s, rb["data"]["deleted"].as_i64(), rb["data"]["restored"].as_i64()), (StatusCode::OK, Some(1), Some(1)), "{rb}");
    let (_, p) = app.get(&app.t.admin, &format!("/api/v1/persons/{olga}")).await;
    assert_eq!((p["data"]["name"].as_str(), p["data"]["job_title"].as_str()), (Some("Ольга"), Some("Бухгалтер")));
    assert_eq!(live(&app, "persons").await.len(), 1);
}

/// amoCRM's deal export with two phone columns (a cell holding two numbers) and two e-mail
/// columns. Анна is in the base under the number the file gives as her mobile one.
const AMO_PHONES_CSV: &str = "ID;Название сделки;Бюджет;Этап сделки;Воронка;Ответственный;Основной контакт;Рабочий телефон;Мобильный телефон;Рабочий email;Личный email\n\
201;Станки;100 000;Новый;Клиенты;m1;Борис;\"+7 (912) 000-00-01, 8 912 000-00-02\";+7 912 000-00-03;boris@work.ru;\"boris@home.ru; BORIS@work.ru\"\n\
202;Запчасти;5 000;Новый;Клиенты;m1;Анна Сергеевна;+7 495 222-33-44;8 (903) 111-22-33;anna@new.ru;\n\
203;Сервис;1 000;Новый;Клиенты;m1;Борис Иванов;;+79120000002;;\n";

async fn every_phone_and_email_of_an_amocrm_row_is_kept_matched_merged_and_rolled_back(app: TestApp) {
    let a = &app.t.admin;
    let anna = app.create(a, "persons", json!({"name": "Анна", "phone": "8 903 111-22-33", "email": "anna@old.ru"})).await;
    let v = uploaded(&app, "entity=deal&file_name=amocrm_deals.csv", cp1251(AMO_PHONES_CSV), "text/csv").await;
    let cols: Vec<Option<&str>> = v["data"]["settings"]["columns"].as_array().unwrap().iter().map(Value::as_str).collect();
    assert_eq!(&cols[7..], [Some("person_phone"), Some("person_phone"), Some("person_email"), Some("person_email")], "{v}");
    let id = v["data"]["id"].as_i64().unwrap();
    let r = run(&app, id, json!({"duplicates": "update"})).await;
    assert_eq!(counts(&r), (3, 0, 0, 0), "{r}");
    assert_eq!(r["persons_created"].as_i64(), Some(1), "Борис once, though two rows name him: {r}");

    let deals = live(&app, "deals").await;
    let person_of = |t: &str| deals.iter().find(|d| d["title"] == t).unwrap()["person_id"].as_i64().unwrap();
    let boris = person_of("Станки");
    assert_eq!(person_of("Сервис"), boris, "the third row's number is Борис's second");
    assert_eq!(person_of("Запчасти"), anna, "Анна is found by the number the file gives second");
    let (_, b) = app.get(a, &format!("/api/v1/persons/{boris}")).await;
    let b = &b["data"];
    assert_eq!((b["phone"].as_str(), &b["other_phones"]), (Some("+79120000001"), &json!(["+79120000002", "+79120000003"])), "{b}");
    assert_eq!((b["email"].as_str(), &b["other_emails"]), (Some("boris@work.ru"), &json!(["boris@home.ru"])), "{b}");
    let (_, p) = app.get(a, &format!("/api/v1/persons/{anna}")).await;
    let p = &p["data"];
    assert_eq!(
        (p["name"].as_str(), p["phone"].as_str(), &p["other_phones"]),
        (Some("Анна Сергеевна"), Some("+79031112233"), &json!(["+74952223344"])),
        "{p}"
    );
    assert_eq!((p["email"].as_str(), &p["other_emails"]), (Some("anna@old.ru"), &json!(["anna@new.ru"])), "{p}");
    // Search finds Анна by the number the import added, in another spelling.
    let (_, found) = app.get(a, "/api/v1/search?q=8%20495%20222%2033%2044").await;
    assert!(found.to_string().contains("Анна Сергеевна"), "{found}");
    assert_error(&app.post(a, "/api/v1/persons", json!({"name": "Клон", "phone": "89120000003"})).await, 409, "conflict", Some("phone"));

    // The rollback: the deals and Борис go, Анна is as she was, the numbers are free again.
    let (s, rb) = app.post(a, &format!("/api/v1/imports/{id}/rollback"), json!({})).await;
    assert_eq!((s, rb["data"]["deleted"].as_i64(), rb["data"]["restored"].as_i64()), (StatusCode::OK, Some(4), Some(1)), "{rb}");
    let (_, p) = app.get(a, &format!("/api/v1/persons/{anna}")).await;
    let p = &p["data"];
    assert_eq!(
        (p["name"].as_str(), p["phone"].as_str(), p["email"].as_str()),
        (Some("Анна"), Some("+79031112233"), Some("anna@old.ru")),
        "{p}"
    );
    assert_eq!((&p["other_phones"], &p["other_emails"]), (&Value::Null, &Value::Null), "{p}");
    for phone in ["+7 495 222-33-44", "89120000003"] {
        let (s, v) = app.post(a, "/api/v1/persons", json!({"name": "Новый", "phone": phone})).await;
        assert_eq!(s, StatusCode::CREATED, "{phone}: {v}");
    }
}

async fn bad_files_are_refused_with_their_reason(app: TestApp) {
    // KOI8-R is not an encoding the import reads.
    let (koi, _, _) = encoding_rs::KOI8_R.encode("Название сделки;Бюджет\nпоставка товара;1 000\n");
    let resp = upload(&app, "entity=deal", koi.into_owned(), "text/csv").await;
    assert_error(&resp, 422, "validation", Some("file"));
    assert!(resp.1["error"]["message"].as_str().unwrap().contains("UTF-8"), "{}", resp.1);
    let resp = upload(&app, "entity=nothing", b"a\n1\n".to_vec(), "text/csv").await;
    assert_error(&resp, 422, "validation", Some("entity"));
    let resp = upload(&app, "entity=deal", b"   ".to_vec(), "text/csv").await;
    assert_error(&resp, 422, "validation", Some("file"));
    // Over 100 MB: a 413 that says the limit.
    let big = vec![b'a'; 100 * 1024 * 1024 + 70 * 1024];
    let resp = upload(&app, "entity=deal", big, "text/csv").await;
    assert_error(&resp, 413, "payload_too_large", Some("file"));
    assert!(resp.1["error"]["message"].as_str().unwrap().contains("100 MB"), "{}", resp.1);
    // A run without a title column, and an unknown target.
    let v = uploaded(&app, "entity=deal", b"Foo;Bar\n1;2\n".to_vec(), "text/csv").await;
    let id = v["data"]["id"].as_i64().unwrap();
    let resp = app.post(&app.t.admin, &format!("/api/v1/imports/{id}/run"), json!({})).await;
    assert_error(&resp, 422, "validation", Some("columns"));
    let resp = app.post(&app.t.admin, &format!("/api/v1/imports/{id}/run"), json!({"mapping": {"Foo": "nonsense"}})).await;
    assert_error(&resp, 422, "validation", Some("columns.0"));
    let resp = app.post(&app.t.admin, &format!("/api/v1/imports/{id}/run"), json!({"mapping": {"Nope": "title"}})).await;
    assert_error(&resp, 422, "validation", Some("mapping.Nope"));
    let r = run(&app, id, json!({"mapping": {"Foo": "title", "Bar": "value"}})).await;
    assert_eq!(counts(&r), (1, 0, 0, 0));
    let resp = app.get(&app.t.other_admin, &format!("/api/v1/imports/{id}")).await;
    assert_error(&resp, 404, "not_found", None);
}

/// A file whose deals changed since the first import: 301's title and budget, 302 as it was.
fn amo_deals(title: &str, budget: &str) -> Vec<u8> {
    cp1251(&format!(
        "ID;Название сделки;Бюджет;Этап сделки;Воронка;Ответственный;Основной контакт;Рабочий телефон\n\
         301;{title};{budget};Новый;Клиенты;m1;Ирина;+7 912 700-00-01\n\
         302;Монтаж;20 000;Новый;Клиенты;m1;Ирина;+7 912 700-00-01\n"
    ))
}

async fn a_reimport_in_update_mode_changes_the_deals_writes_their_history_and_is_idempotent(app: TestApp) {
    let a = &app.t.admin;
    let first = uploaded(&app, "entity=deal", amo_deals("Поставка", "10 000"), "text/csv").await;
    assert_eq!(counts(&run(&app, first["data"]["id"].as_i64().unwrap(), json!({})).await), (2, 0, 0, 0));
    let deals = live(&app, "deals").await;
    let d301 = deals.iter().find(|d| d["title"] == "Поставка").unwrap().clone();
    let d302 = deals.iter().find(|d| d["title"] == "Монтаж").unwrap().clone();
    let history = |id: &Value| format!("/api/v1/deals/{id}/history?limit=100");
    let (_, h302) = app.get(a, &history(&d302["id"])).await;

    // The changed file in update mode: 301 is updated through the write path, 302 is skipped.
    let changed = uploaded(&app, "entity=deal", amo_deals("Поставка и монтаж", "12 500"), "text/csv").await;
    let changed_id = changed["data"]["id"].as_i64().unwrap();
    let r = run(&app, changed_id, json!({"duplicates": "update"})).await;
    assert_eq!(counts(&r), (0, 1, 1, 0), "{r}");
    let (_, d) = app.get(a, &format!("/api/v1/deals/{}", d301["id"])).await;
    assert_eq!((d["data"]["title"].as_str(), d["data"]["value"].as_i64()), (Some("Поставка и монтаж"), Some(1_250_000)), "{d}");
    assert_eq!(d["data"]["version"].as_i64(), Some(d301["version"].as_i64().unwrap() + 1), "{d}");
    let (_, h) = app.get(a, &history(&d301["id"])).await;
    let newest = &h["data"][0];
    assert_eq!((newest["action"].as_str(), newest["channel"].as_str()), (Some("update"), Some("import")), "{h}");
    assert_eq!(newest["changes"]["title"]["from"].as_str(), Some("Поставка"), "{h}");
    assert_eq!(newest["changes"]["title"]["to"].as_str(), Some("Поставка и монтаж"), "{h}");
    assert_eq!(newest["changes"]["value"]["to"].as_i64(), Some(1_250_000), "{h}");
    let (_, h302_after) = app.get(a, &history(&d302["id"])).await;
    assert_eq!(h302_after["data"], h302["data"], "the unchanged deal has no new event");

    // The same file again: nothing changes, no version, no history event.
    let again = uploaded(&app, "entity=deal", amo_deals("Поставка и монтаж", "12 500"), "text/csv").await;
    let r = run(&app, again["data"]["id"].as_i64().unwrap(), json!({"duplicates": "update"})).await;
    assert_eq!(counts(&r), (0, 0, 2, 0), "{r}");
    let (_, d_again) = app.get(a, &format!("/api/v1/deals/{}", d301["id"])).await;
    assert_eq!(d_again["data"]["version"], d["data"]["version"]);
    let (_, h_again) = app.get(a, &history(&d301["id"])).await;
    assert_eq!(h_again["data"], h["data"], "{h_again}");
    assert_eq!(live(&app, "deals").await.len(), 2);

    // The update is undone by its import's rollback.
    let (s, rb) = app.post(a, &format!("/api/v1/imports/{changed_id}/rollback"), json!({})).await;
    assert_eq!((s, rb["data"]["restored"].as_i64()), (StatusCode::OK, Some(1)), "{rb}");
    let (_, d) = app.get(a, &format!("/api/v1/deals/{}", d301["id"])).await;
    assert_eq!((d["data"]["title"].as_str(), d["data"]["value"].as_i64()), (Some("Поставка"), Some(1_000_000)), "{d}");
}

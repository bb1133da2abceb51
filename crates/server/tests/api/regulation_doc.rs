//! The regulation document (issue 23): generated from the configuration, each stage's required
//! fields by label, a field added after a date highlighted (and for the highlight period only),
//! everyone notified of a new version, the stage linter, read receipts seen by the head, the
//! DOCX a valid package naming each stage, and the page every user reads.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Read;

crate::both_dbs!(
    the_document_marks_required_fields_and_highlights_a_field_added_since_a_date,
    the_linter_flags_a_vague_stage_name_and_stages_without_a_goal,
    read_receipts_are_recorded_once_and_listed_for_the_head_only,
    the_docx_is_a_valid_package_naming_every_stage,
    the_page_is_read_and_marked_read_in_the_browser_form,
    a_change_nobody_opens_is_versioned_and_notified_by_the_schedule,
);

fn blocks(v: &Value) -> Vec<Value> {
    v["data"]["document"]["sections"].as_array().unwrap().iter().flat_map(|s| s["blocks"].as_array().unwrap().iter().cloned()).collect()
}

fn block<'a>(all: &'a [Value], text: &str) -> Option<&'a Value> {
    all.iter().find(|b| b["text"] == text)
}

async fn require(app: &TestApp, stage: i64, fields: Value) {
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{stage}"), json!({"regulation": {"required_fields": fields}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn the_document_marks_required_fields_and_highlights_a_field_added_since_a_date(app: TestApp) {
    require(&app, app.ids.stages[1], json!(["value"])).await;
    let m1 = &app.t.manager1;
    let (s, v) = app.get(m1, "/api/v1/regulation/document").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["version"], 1);
    assert_eq!(v["data"]["lang"], "ru");
    let first = blocks(&v);
    for name in ["1. Новый", "2. Принял в работу", "3. Коммуникация"] {
        assert!(block(&first, name).is_some_and(|b| b["kind"] == "heading3"), "stage {name} in {first:?}");
    }
    assert!(first.iter().all(|b| b["changed"] == false), "the first version highlights nothing");
    let titles: Vec<&str> = v["data"]["document"]["sections"].as_array().unwrap().iter().map(|s| s["title"].as_str().unwrap()).collect();
    assert_eq!(titles[0], "1. Цель работы в CRM");
    assert!(titles.contains(&"6. Сделки по воронке продаж") && titles.contains(&"7. Статусы сделок и причины"), "{titles:?}");

    // An hour later the head adds the proposal link to «Принял в работу».
    app.clock.advance(time::Duration::hours(1));
    require(&app, app.ids.stages[1], json!(["value", "custom.proposal_link"])).await;
    let (s, v) = app.get(m1, "/api/v1/regulation/document?since=2026-11-23").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["version"], 2);
    assert_eq!(v["data"]["since"], "2026-11-23");
    let now = blocks(&v);
    let added = block(&now, "* Ссылка на КП").unwrap_or_else(|| panic!("the custom field by its label: {now:?}"));
    assert_eq!(added["kind"], "required");
    assert_eq!(added["changed"], true, "added after the date: highlighted");
    let value = now.iter().find(|b| b["key"].as_str().unwrap().ends_with(".field.value")).unwrap();
    assert_eq!(value["changed"], false, "the amount was required before: {value}");
    assert!(value["text"].as_str().unwrap().starts_with("* ") && value["text"] != "* value", "a label, not the key: {value}");
    assert_eq!(now.iter().filter(|b| b["changed"] == true).count(), 1, "{now:?}");

    // English reads the same document in English.
    let (_, en) = app.get(m1, "/api/v1/regulation/document?lang=en&since=2026-11-23").await;
    let en_blocks = blocks(&en);
    assert!(en_blocks.iter().any(|b| b["text"] == "Required to enter:"), "{en_blocks:?}");
    assert_eq!(en_blocks.iter().filter(|b| b["changed"] == true).count(), 1);

    // Everyone is told, with what changed.
    let (_, n) = app.get(&app.t.manager2, "/api/v1/notifications").await;
    let note = n["data"].as_array().unwrap().iter().find(|x| x["kind"] == "regulation_version").unwrap_or_else(|| panic!("{n}")).clone();
    assert_eq!(note["title"], "Регламент изменился: версия 2");
    assert!(note["body"].as_str().unwrap().contains("Ссылка на КП"), "{note}");
    assert_eq!(note["link"], "/regulation");
    let (_, again) = app.get(m1, "/api/v1/regulation/document").await;
    assert_eq!(again["data"]["version"], 2, "no change, no new version");

    // Within the workspace's 14 days the change stays highlighted without a date; after, not.
    assert_eq!(blocks(&again).iter().filter(|b| b["changed"] == true).count(), 1);
    app.clock.advance(time::Duration::days(15));
    let (_, later) = app.get(m1, "/api/v1/regulation/document").await;
    assert_eq!(blocks(&later).iter().filter(|b| b["changed"] == true).count(), 0, "the highlight period is over");

    let bad = app.get(m1, "/api/v1/regulation/document?since=23.11.2026").await;
    assert_error(&bad, 422, "validation", Some("since"));
    let bad = app.get(m1, "/api/v1/regulation/document?format=odt").await;
    assert_error(&bad, 422, "validation", Some("format"));
}

async fn the_linter_flags_a_vague_stage_name_and_stages_without_a_goal(app: TestApp) {
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{}", app.ids.stages[2]), json!({"name": "Думает"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.get(&app.t.manager1, "/api/v1/regulation/lint").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let found = v["data"].as_array().unwrap();
    let vague: Vec<&Value> = found.iter().filter(|f| f["code"] == "stage_name_thinking").collect();
    assert_eq!(vague.len(), 1, "{found:?}");
    assert_eq!(vague[0]["stage_name"], "Думает");
    assert!(vague[0]["message"].as_str().unwrap().contains("«Проведена презентация»"), "the seed's advice: {}", vague[0]);
    let no_goal = found.iter().filter(|f| f["code"] == "stage_no_goal").count();
    assert_eq!(no_goal, 3, "no stage has a goal yet: {found:?}");
    assert!(!found.iter().any(|f| f["stage_name"] == "Новый" && f["code"] != "stage_no_goal"), "«Новый» is not vague");

    // The document shows the warning at the stage.
    let (_, d) = app.get(&app.t.manager1, "/api/v1/regulation/document?lang=en").await;
    let all = blocks(&d);
    let warn = all
        .iter()
        .find(|b| b["kind"] == "warning" && b["text"].as_str().unwrap().starts_with("Stage 'Думает' describes the client's mood"));
    assert!(warn.is_some(), "{all:?}");

    // A goal written for «Новый» reads in the document and silences its finding.
    let (s, v) = app
        .patch(
            &app.t.admin,
            &format!("/api/v1/stages/{}", app.ids.stages[0]),
            json!({"goal": "Клиент квалифицирован: есть потребность и бюджет"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.get(&app.t.manager1, "/api/v1/regulation/lint").await;
    assert_eq!(v["data"].as_array().unwrap().iter().filter(|f| f["code"] == "stage_no_goal").count(), 2, "{v}");
    let (_, d) = app.get(&app.t.manager1, "/api/v1/regulation/document").await;
    assert!(blocks(&d).iter().any(|b| b["text"] == "Цель: Клиент квалифицирован: есть потребность и бюджет"), "{d}");

    // And so does the pipelines' settings page, at the stage.
    let s = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (status, html) = s.get("/settings/pipelines").await;
    assert_eq!(status, StatusCode::OK);
    let marker = format!("id=\"stage-{}-lint\"", app.ids.stages[2]);
    let row = html.split(marker.as_str()).nth(1).unwrap_or_else(|| panic!("a lint row for «Думает»: {html}"));
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("Этап «Думает» описывает настроение клиента") && row.contains("нет цели"), "{row}");
}

async fn read_receipts_are_recorded_once_and_listed_for_the_head_only(app: TestApp) {
    let m1 = &app.t.manager1;
    let (s, v) = app.post(m1, "/api/v1/regulation/document/read", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["version"], 1);
    let first = v["data"]["read_at"].clone();
    app.clock.advance(time::Duration::minutes(5));
    let (_, v) = app.post(m1, "/api/v1/regulation/document/read", json!({"version": 1})).await;
    assert_eq!(v["data"]["read_at"], first, "recorded once");

    let (s, v) = app.get(&app.t.head, "/api/v1/regulation/document/reads").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 1);
    let rows = v["data"].as_array().unwrap();
    let row = |id: i64| rows.iter().find(|r| r["user_id"] == id).unwrap().clone();
    assert_eq!(row(app.ids.manager1)["read"], true);
    assert_eq!(row(app.ids.manager1)["read_at"], first);
    assert_eq!(row(app.ids.manager2)["read"], false);
    assert_eq!(v["read"], 1);
    assert_eq!(v["unread"].as_i64().unwrap(), rows.len() as i64 - 1);

    // A new version: nobody has read it yet, manager1's last read is version 1.
    require(&app, app.ids.stages[1], json!(["value"])).await;
    let (_, v) = app.get(&app.t.admin, "/api/v1/regulation/document/reads").await;
    assert_eq!(v["version"], 2);
    assert_eq!(v["read"], 0);
    let m1_row = v["data"].as_array().unwrap().iter().find(|r| r["user_id"] == app.ids.manager1).unwrap().clone();
    assert_eq!(m1_row["last_read_version"], 1);

    let denied = app.get(m1, "/api/v1/regulation/document/reads").await;
    assert_eq!(denied.0, StatusCode::FORBIDDEN, "{:?}", denied.1);
    let bad = app.post(m1, "/api/v1/regulation/document/read", json!({"version": 99})).await;
    assert_error(&bad, 422, "validation", Some("version"));
    let bad = app.post(m1, "/api/v1/regulation/document/read", json!({"versoin": 2})).await;
    assert_error(&bad, 422, "validation", Some("versoin"));
    let (_, other) = app.get(&app.t.other_admin, "/api/v1/regulation/document/reads").await;
    assert!(!other["data"].as_array().unwrap().iter().any(|r| r["user_id"] == app.ids.manager1), "another workspace's readers only");
}

async fn a_change_nobody_opens_is_versioned_and_notified_by_the_schedule(app: TestApp) {
    let worker = poryadok_server::worker::Worker::new(&poryadok_server::AppState::new(app.db.clone()));
    app.db.ensure_regulation_doc_schedule(app.ws).await.unwrap();
    app.clock.advance(time::Duration::minutes(6));
    worker.run_once().await.unwrap();
    require(&app, app.ids.stages[2], json!(["expected_close_date"])).await;
    let regulation_notes = |v: &Value| v["data"].as_array().unwrap().iter().filter(|n| n["kind"] == "regulation_version").count();
    let (_, n) = app.get(&app.t.manager3, "/api/v1/notifications").await;
    assert_eq!(regulation_notes(&n), 0, "the baseline notifies nobody, the change is not yet noticed");
    app.clock.advance(time::Duration::minutes(6));
    worker.run_once().await.unwrap();
    let (_, n) = app.get(&app.t.manager3, "/api/v1/notifications").await;
    assert_eq!(regulation_notes(&n), 1, "{n}");
    let (_, d) = app.get(&app.t.manager3, "/api/v1/regulation/document").await;
    assert_eq!(d["data"]["version"], 2, "recorded by the job, not by this reading");
    app.clock.advance(time::Duration::minutes(6));
    worker.run_once().await.unwrap();
    let (_, n) = app.get(&app.t.manager3, "/api/v1/notifications").await;
    assert_eq!(regulation_notes(&n), 1, "nothing changed, nobody told again");
}

async fn raw(app: &TestApp, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = app.client.get(format!("{}{}", app.base, path)).bearer_auth(token).send().await.unwrap();
    let status = resp.status();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

async fn the_docx_is_a_valid_package_naming_every_stage(app: TestApp) {
    require(&app, app.ids.stages[1], json!(["custom.proposal_link"])).await;
    let (s, v) = app.post(&app.t.admin, "/api/v1/intake/sources", json!({"kind": "telephony", "name": "Городской номер"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .patch(
            &app.t.admin,
            &format!("/api/v1/stages/{}", app.ids.stages[2]),
            json!({"regulation": {"required_files": ["signed_contract"]}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, ct, bytes) = raw(&app, &app.t.manager1, "/api/v1/regulation/document?format=docx").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let names: Vec<String> = (0..zip.len()).map(|i| zip.by_index(i).unwrap().name().unwrap().to_string()).collect();
    for part in ["[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml"] {
        assert!(names.iter().any(|n| n == part), "{part} in {names:?}");
    }
    let mut xml = String::new();
    zip.by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
    for stage in ["Новый", "Принял в работу", "Коммуникация"] {
        assert!(xml.contains(stage), "{stage} in the DOCX");
    }
    assert!(xml.contains("* Ссылка на КП"), "the required field by its label");
    assert!(xml.contains("Городской номер (Телефония)"), "the lead source with its kind");
    assert!(xml.contains("* файл: Подписанный договор (скан)"), "the required file by its kind's name");
    assert!(xml.contains("Регламент работы в CRM"));

    // Changed lines carry Word's yellow highlight.
    app.clock.advance(time::Duration::hours(1));
    require(&app, app.ids.stages[1], json!(["custom.proposal_link", "value"])).await;
    let (_, _, bytes) = raw(&app, &app.t.manager1, "/api/v1/regulation/document?format=docx&lang=en&since=2026-11-23").await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
    assert!(xml.contains("CRM regulation"), "English");
    assert_eq!(xml.matches("w:highlight w:val=\"yellow\"").count(), 2, "the added field and the 'changes since' line");

    let (s, ct, html) = raw(&app, &app.t.manager1, "/api/v1/regulation/document?format=html&since=2026-11-23").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("<mark>* Сумма</mark>") || html.contains("<mark>* "), "{html}");
    assert!(!html.contains("<script"));
}

async fn the_page_is_read_and_marked_read_in_the_browser_form(app: TestApp) {
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, html) = s.get("/regulation").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Регламент работы в CRM") && html.contains("Принял в работу"), "{html}");
    assert!(html.contains("Я прочитал(а) версию 1"), "the read button");
    assert!(!html.contains("regdoc-readers"), "a manager does not see who has read");
    let (status, _, _) = s.post_form_to("/regulation/read", &[("version", "1")]).await;
    assert!(status.is_redirection(), "{status}");
    let (_, html) = s.get("/regulation").await;
    assert!(html.contains("Вы отметили версию 1 прочитанной"), "{html}");

    let (_, head_id) = app.db.user_by_email("head@a.test").await.unwrap().expect("the test workspace's head");
    let h = app.ui_login(head_id, "head@a.test").await;
    let (_, html) = h.get("/regulation").await;
    assert!(html.contains("regdoc-readers") && html.contains("Прочитали версию 1: 1 из"), "{html}");
    let (status, _, _) = h.post_form_to("/regulation/settings", &[("highlight_days", "3")]).await;
    assert!(status.is_redirection(), "{status}");
    let (_, html) = h.get("/regulation").await;
    assert!(html.contains("value=\"3\""), "the period saved");
    let (status, _, _) = s.post_form_to("/regulation/settings", &[("highlight_days", "5")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The regulation as PDF through LibreOffice, its text read back with pdftotext. With
/// `PORYADOK_TEST_DOCUMENTS=1` (CI) a missing `soffice` or `pdftotext` fails the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_regulation_becomes_a_pdf_naming_the_stages_and_their_fields() {
    let have =
        |bin: &str| std::process::Command::new("sh").arg("-c").arg(format!("command -v {bin}")).output().is_ok_and(|o| o.status.success());
    if !(have("soffice") && have("pdftotext")) {
        assert!(std::env::var("PORYADOK_TEST_DOCUMENTS").is_err(), "PORYADOK_TEST_DOCUMENTS is set but soffice or pdftotext is missing");
        eprintln!("soffice or pdftotext missing: the PDF test does not run (set PORYADOK_TEST_DOCUMENTS=1 to require it)");
        return;
    }
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    require(&app, app.ids.stages[1], json!(["custom.proposal_link"])).await;
    let (s, ct, pdf) = raw(&app, &app.t.manager1, "/api/v1/regulation/document?format=pdf").await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(ct, "application/pdf");
    assert!(pdf.starts_with(b"%PDF"));
    let path = std::env::temp_dir().join(format!("poryadok-test-regulation-{}.pdf", std::process::id()));
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().unwrap();
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout).replace('\u{a0}', " ");
    for want in ["Регламент работы в CRM", "Принял в работу", "* Ссылка на КП", "11. Задачи и напоминания"]
    {
        assert!(text.contains(want), "{want} in the PDF: {text}");
    }
}

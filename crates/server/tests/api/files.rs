//! Files on cards through the API: upload (multipart and raw), list, download byte for byte,
//! visibility as the card's, limits, names, deletion with history, the stage gate that needs a
//! file of a kind; and the workspace's and an organization's requisites.
use crate::helpers::*;
use poryadok_store::files::FileStore;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    a_file_is_uploaded_listed_downloaded_identical_and_deleted_with_history,
    a_file_is_seen_exactly_by_who_sees_its_card,
    uploads_over_the_limit_programs_and_bad_names_are_refused,
    winning_needs_a_signed_contract_until_one_is_attached,
    a_stage_needs_a_file_of_a_kind_to_enter,
    workspace_requisites_are_validated_and_round_trip,
    organization_requisites_are_checked_in_the_records_api,
);

/// A multipart form with the file in `file` (named `name`) and the other fields.
fn form(name: &str, file: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----poryadok-files-test";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, token: &str, path: &str, name: &str, file: &[u8], fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let (ct, body) = form(name, file, fields);
    let resp = app
        .client
        .post(format!("{}/api/v1/{path}/files", app.base))
        .bearer_auth(token)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Bytes that look like a small PDF scan, different for each seed.
fn scan(seed: u8, len: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    b
}

async fn a_file_is_uploaded_listed_downloaded_identical_and_deleted_with_history(app: TestApp) {
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Поставка"})).await;
    let bytes = scan(1, 300_000);
    let (s, v) = upload(&app, m1, &format!("deals/{deal}"), "Договор №7 (скан).pdf", &bytes, &[("kind", "signed_contract")]).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let file = &v["data"];
    assert_eq!(file["name"], "Договор №7 (скан).pdf");
    assert_eq!(file["size"], bytes.len());
    assert_eq!(file["content_type"], "application/pdf");
    assert_eq!(file["kind"], "signed_contract");
    assert_eq!(file["uploaded_by_name"], "m1");
    assert_eq!(file["created_at"], "2026-11-23T09:00:00.000Z");
    let id = file["id"].as_i64().unwrap();

    // Raw body with the name in the query: a note's file.
    let note = app.create(m1, "notes", json!({"content": "звонок", "deal_id": deal})).await;
    let resp = app
        .client
        .post(format!("{}/api/v1/notes/{note}/files?name=memo.txt", app.base))
        .bearer_auth(m1)
        .body("заметка к звонку")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);

    let (s, v) = app.get(m1, &format!("/api/v1/deals/{deal}/files")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["data"][0]["id"], id);
    let (_, v) = app.get(m1, &format!("/api/v1/files/{id}")).await;
    assert_eq!(v["data"]["sha256"].as_str().unwrap().len(), 64);

    let resp = app.client.get(format!("{}/api/v1/files/{id}/content", app.base)).bearer_auth(m1).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\""), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80%20%E2%84%967"), "{disposition}");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes.as_slice(), "the download is the upload, byte for byte");

    // The history of the deal says a file was attached, then removed.
    assert_eq!(app.delete(m1, &format!("/api/v1/files/{id}")).await.0, StatusCode::NO_CONTENT);
    assert_error(&app.get(m1, &format!("/api/v1/files/{id}")).await, 404, "not_found", None);
    assert_eq!(app.delete(m1, &format!("/api/v1/files/{id}")).await.0, StatusCode::NOT_FOUND);
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}/files")).await;
    assert_eq!(v["data"], json!([]));
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}/history")).await;
    let text = v.to_string();
    assert!(text.contains("file_attached") && text.contains("file_removed") && text.contains("Договор №7 (скан).pdf"), "{text}");
}

async fn a_file_is_seen_exactly_by_who_sees_its_card(app: TestApp) {
    let (m1, m3) = (&app.t.manager1, &app.t.manager3);
    let deal = app.create(m1, "deals", json!({"title": "Чужим не видно"})).await;
    let (s, v) = upload(&app, m1, &format!("deals/{deal}"), "КП.docx", b"PK\x03\x04 proposal", &[]).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_i64().unwrap();
    // manager3 (another team; visibility "own") sees neither the deal nor its files.
    assert_error(&app.get(m3, &format!("/api/v1/files/{id}")).await, 404, "not_found", None);
    assert_error(&app.get(m3, &format!("/api/v1/files/{id}/content")).await, 404, "not_found", None);
    assert_error(&app.get(m3, &format!("/api/v1/deals/{deal}/files")).await, 404, "not_found", None);
    assert_eq!(upload(&app, m3, &format!("deals/{deal}"), "x.pdf", b"%PDF-", &[]).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(m3, &format!("/api/v1/files/{id}")).await.0, StatusCode::NOT_FOUND);
    // Another workspace's administrator neither.
    assert_error(&app.get(&app.t.other_admin, &format!("/api/v1/files/{id}")).await, 404, "not_found", None);
    // The head sees everything; the analyst reads but does not attach.
    assert_eq!(app.get(&app.t.head, &format!("/api/v1/files/{id}")).await.0, StatusCode::OK);
    assert_eq!(app.get(&app.t.analyst, &format!("/api/v1/deals/{deal}/files")).await.0, StatusCode::OK);
    assert_eq!(upload(&app, &app.t.analyst, &format!("deals/{deal}"), "x.pdf", b"%PDF-", &[]).await.0, StatusCode::FORBIDDEN);
    // Files attach to cards only.
    assert_eq!(upload(&app, m1, &format!("pipelines/{}", app.ids.pipeline), "x.pdf", b"%PDF-", &[]).await.0, StatusCode::NOT_FOUND);
    // Handing the deal to manager3 hands its files too.
    let (s, _) = app.patch(&app.t.head, &format!("/api/v1/deals/{deal}"), json!({"owner_id": app.ids.manager3})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.get(m3, &format!("/api/v1/files/{id}")).await.0, StatusCode::OK);
}

async fn uploads_over_the_limit_programs_and_bad_names_are_refused(app: TestApp) {
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Файлы"})).await;
    let path = format!("organizations/{org}");
    // A server with a 1 MiB limit: a 2 MiB file is a 413 naming the limit.
    let base = app.serve_with(|st| st.files = FileStore::local(std::env::temp_dir().join("poryadok-files"), 1024 * 1024)).await;
    let (ct, body) = form("big.pdf", &scan(2, 2 * 1024 * 1024), &[]);
    let resp =
        app.client.post(format!("{base}/api/v1/{path}/files")).bearer_auth(m1).header("content-type", ct).body(body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v: Value = resp.json().await.unwrap();
    assert_eq!((v["error"]["message_code"].as_str(), v["error"]["field"].as_str()), (Some("file_too_large"), Some("file")), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("1 MB"), "{v}");

    let refused = |r: (StatusCode, Value), field: &str, code: &str| {
        assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
        assert_eq!((r.1["error"]["field"].as_str(), r.1["error"]["message_code"].as_str()), (Some(field), Some(code)), "{}", r.1);
    };
    refused(upload(&app, m1, &path, "../../etc/passwd", b"x", &[]).await, "name", "file_name_separator");
    refused(upload(&app, m1, &path, "C:\\fakepath\\scan.pdf", b"%PDF-", &[]).await, "name", "file_name_separator");
    refused(upload(&app, m1, &path, "setup.exe", b"anything", &[]).await, "file", "file_executable");
    refused(upload(&app, m1, &path, "invoice.pdf", b"MZ\x90\x00\x03", &[]).await, "file", "file_executable");
    refused(upload(&app, m1, &path, "empty.pdf", b"", &[]).await, "file", "file_empty");
    refused(upload(&app, m1, &path, "scan.pdf", b"%PDF-", &[("kind", "Скан договора")]).await, "kind", "file_kind_shape");
    refused(upload(&app, m1, &path, "scan.pdf", b"%PDF-", &[("colour", "red")]).await, "colour", "unknown_parameter");
    let (_, v) = app.get(m1, &format!("/api/v1/{path}/files")).await;
    assert_eq!(v["data"], json!([]), "nothing refused was attached");
}

async fn winning_needs_a_signed_contract_until_one_is_attached(app: TestApp) {
    let pipeline = format!("/api/v1/pipelines/{}", app.ids.pipeline);
    let (s, v) = app.patch(&app.t.admin, &pipeline, json!({"won_required_fields": ["file.Signed contract"]})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("won_required_fields.0")), "{v}");
    let (s, v) = app.patch(&app.t.admin, &pipeline, json!({"won_required_fields": ["value", "file.signed_contract"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "Контракт", "value": 100_000})).await;
    let win = json!({"status": "won"});
    let r = app.patch(m1, &format!("/api/v1/deals/{deal}"), win.clone()).await;
    assert_error(&r, 422, "validation", Some("status"));
    assert_eq!(r.1["error"]["message_code"], "win_needs_files", "{}", r.1);
    assert_eq!(r.1["error"]["args"]["kinds"], json!(["signed_contract"]));
    // A file of another kind does not do.
    upload(&app, m1, &format!("deals/{deal}"), "draft.docx", b"PK\x03\x04draft", &[("kind", "contract")]).await;
    assert_eq!(app.patch(m1, &format!("/api/v1/deals/{deal}"), win.clone()).await.1["error"]["message_code"], "win_needs_files");
    // A signed contract removed again does not do either.
    let (_, v) = upload(&app, m1, &format!("deals/{deal}"), "signed.pdf", &scan(3, 100), &[("kind", "signed_contract")]).await;
    app.delete(m1, &format!("/api/v1/files/{}", v["data"]["id"])).await;
    assert_eq!(app.patch(m1, &format!("/api/v1/deals/{deal}"), win.clone()).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, v) = upload(&app, m1, &format!("deals/{deal}"), "Договор подписан.pdf", &scan(4, 100), &[("kind", "signed_contract")]).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app.patch(m1, &format!("/api/v1/deals/{deal}"), win).await;
    assert_eq!((s, &v["data"]["status"]), (StatusCode::OK, &json!("won")), "{v}");
}

async fn a_stage_needs_a_file_of_a_kind_to_enter(app: TestApp) {
    let stage = app.ids.stages[2];
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/stages/{stage}"), json!({"regulation": {"required_files": ["proposal"]}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let m1 = &app.t.manager1;
    let deal = app.create(m1, "deals", json!({"title": "КП"})).await;
    let r = app.patch(m1, &format!("/api/v1/deals/{deal}"), json!({"stage_id": stage})).await;
    assert_error(&r, 422, "validation", Some("stage_id"));
    assert_eq!(r.1["error"]["message_code"], "stage_needs_files");
    assert!(r.1["error"]["message"].as_str().unwrap().contains("proposal"), "{}", r.1);
    upload(&app, m1, &format!("deals/{deal}"), "КП.pdf", &scan(5, 10), &[("kind", "proposal")]).await;
    assert_eq!(app.patch(m1, &format!("/api/v1/deals/{deal}"), json!({"stage_id": stage})).await.0, StatusCode::OK);
}

fn sber() -> Value {
    json!({
        "legal_name": "ООО «Вектор»", "inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195",
        "legal_address": "117312, г. Москва, ул. Вавилова, д. 19", "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "corr_account": "30101810400000000225", "account": "40702810438000060473",
        "signatory_name": "Иванов Иван Иванович", "signatory_title": "Генеральный директор",
    })
}

async fn workspace_requisites_are_validated_and_round_trip(app: TestApp) {
    let path = "/api/v1/workspace/requisites";
    let (s, v) = app.get(&app.t.manager1, path).await;
    assert_eq!((s, &v["data"]["inn"], &v["data"]["version"]), (StatusCode::OK, &Value::Null, &json!(0)), "{v}");

    let put = |token: String, body: Value, etag: Option<&'static str>| {
        let req = app.client.put(format!("{}{path}", app.base)).bearer_auth(token).json(&body);
        let req = match etag {
            Some(t) => req.header("if-match", t),
            None => req,
        };
        async move {
            let r = req.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    assert_error(&put(app.t.manager1.clone(), sber(), None).await, 403, "forbidden", None);
    let mut bad = sber();
    bad["inn"] = json!("7707083894");
    let r = put(app.t.admin.clone(), bad, None).await;
    assert_error(&r, 422, "validation", Some("inn"));
    assert_eq!(r.1["error"]["message_code"], "inn_check_digit");
    let mut bad = sber();
    bad["account"] = json!("40702810438000060474");
    assert_eq!(put(app.t.admin.clone(), bad, None).await.1["error"]["message_code"], "account_key");

    let (s, v) = put(app.t.admin.clone(), sber(), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["version"], 1);
    let (_, v) = app.get(&app.t.manager1, path).await;
    for (k, val) in sber().as_object().unwrap() {
        assert_eq!(&v["data"][k], val, "{k}");
    }
    // A stale If-Match is a 412; the current one passes.
    assert_eq!(put(app.t.admin.clone(), sber(), Some("\"0\"")).await.0, StatusCode::PRECONDITION_FAILED);
    let mut changed = sber();
    changed["signatory_title"] = json!("Директор");
    let (s, v) = put(app.t.admin.clone(), changed, Some("\"1\"")).await;
    assert_eq!((s, &v["data"]["version"], &v["data"]["signatory_title"]), (StatusCode::OK, &json!(2), &json!("Директор")));
    // The typed read documents use.
    let r = poryadok_store::requisites::workspace(&app.db, app.ws).await.unwrap();
    assert_eq!(r.inn.unwrap().as_str(), "7707083893");
    // Another workspace has its own (none).
    let (_, v) = app.get(&app.t.other_admin, path).await;
    assert_eq!(v["data"]["inn"], Value::Null);
}

async fn organization_requisites_are_checked_in_the_records_api(app: TestApp) {
    let m1 = &app.t.manager1;
    let mut bad = sber();
    bad["inn"] = json!("500100732258");
    let r = app.post(m1, "/api/v1/organizations", json!({"name": "ИП Петров", "requisites": bad})).await;
    assert_error(&r, 422, "validation", Some("requisites.inn"));
    assert_eq!(r.1["error"]["message_code"], "inn_check_digit");
    let ip = json!({"legal_name": "ИП Петров П. П.", "inn": "500100732259", "ogrn": "304500116000157"});
    let org = app.create(m1, "organizations", json!({"name": "ИП Петров", "requisites": ip})).await;
    let (_, v) = app.get(m1, &format!("/api/v1/organizations/{org}")).await;
    assert_eq!(v["data"]["requisites"]["inn"], "500100732259");
    assert_eq!(v["data"]["requisites"]["kpp"], Value::Null);
    let r =
        app.patch(m1, &format!("/api/v1/organizations/{org}"), json!({"requisites": {"inn": "500100732259", "kpp": "773601001"}})).await;
    assert_error(&r, 422, "validation", Some("requisites.kpp"));
    let (s, v) = app.patch(m1, &format!("/api/v1/organizations/{org}"), json!({"requisites": sber()})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = poryadok_store::requisites::organization(&app.db, app.ws, org).await.unwrap();
    assert_eq!(r.bik.unwrap().as_str(), "044525225");
}

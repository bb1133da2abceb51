//! A file from disk attached inside the composer (issue 24): multipart with the CSRF header,
//! kept on the card through the file store (its checks and size limit), ticked for the letter,
//! and what was typed is kept; a refused file says why in the composer.
use crate::helpers::*;
use poryadok_store::files::FileStore;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(a_file_from_disk_is_attached_in_the_composer_and_ticked);

/// A multipart body: the other fields, then the file in `file`.
fn form(name: &str, file: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----poryadok-composer-test";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    let head = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_upload(ui: &UiSession, base: &str, path: &str, name: &str, bytes: &[u8], fields: &[(&str, &str)]) -> (StatusCode, String) {
    let (ct, body) = form(name, bytes, fields);
    let resp = ui
        .client
        .post(format!("{base}{path}"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &ui.csrf)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

async fn a_file_from_disk_is_attached_in_the_composer_and_ticked(app: TestApp) {
    let m1 = &app.t.manager1;
    let person = app.create(m1, "persons", json!({"name": "Анна Клиентова", "email": "anna@client.test"})).await;
    let deal = app.create(m1, "deals", json!({"title": "Поставка", "person_id": person})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, composer) = ui.get_fragment(&format!("/deals/{deal}/reply")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(composer.contains("id=\"reply-upload\"") && composer.contains("hx-encoding=\"multipart/form-data\""), "{composer}");

    let fields = [("channel", "email"), ("subject", "КП"), ("text", "Добрый день! Направляю предложение.")];
    let (s, composer) =
        post_upload(&ui, &app.base, &format!("/deals/{deal}/reply/upload"), "КП март.pdf", b"%PDF-1.4 offer", &fields).await;
    assert_eq!(s, StatusCode::OK, "{composer}");
    let (_, files) = app.get(m1, &format!("/api/v1/deals/{deal}/files")).await;
    let files = files["data"].as_array().unwrap().clone();
    assert_eq!(files.len(), 1, "{files:?}");
    let id = files[0]["id"].as_i64().unwrap();
    assert_eq!(files[0]["name"], "КП март.pdf");
    assert!(composer.contains(&format!("id=\"reply-file-{id}\" checked")), "the new file is ticked: {composer}");
    assert!(
        composer.contains("id=\"reply-attached\"") && composer.contains("Направляю предложение") && composer.contains("value=\"КП\""),
        "{composer}"
    );

    // A program is refused by the file store's checks, in the composer, with the text kept.
    let (s, composer) = post_upload(&ui, &app.base, &format!("/deals/{deal}/reply/upload"), "setup.exe", b"MZ\x90\x00", &fields).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{composer}");
    assert!(composer.contains("id=\"reply-error\"") && composer.contains("Направляю предложение"), "{composer}");
    // Over the limit: the server's size limit, named.
    let base = app.serve_with(|st| st.files = FileStore::local(std::env::temp_dir().join("poryadok-files"), 1024 * 1024)).await;
    let big = vec![b'%'; 2 * 1024 * 1024];
    let (s, composer) = post_upload(&ui, &base, &format!("/deals/{deal}/reply/upload"), "big.pdf", &big, &fields).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{composer}");
    assert!(composer.contains("1 МБ") || composer.contains("1 MB"), "{composer}");
    let (_, files) = app.get(m1, &format!("/api/v1/deals/{deal}/files")).await;
    assert_eq!(files["data"].as_array().unwrap().len(), 1, "nothing refused was attached");
    // Without the CSRF header the upload is refused before it is read.
    let (ct, body) = form("x.pdf", b"%PDF-", &[]);
    let resp =
        ui.client.post(format!("{}/deals/{deal}/reply/upload", app.base)).header("content-type", ct).body(body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

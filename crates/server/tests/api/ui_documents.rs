//! The deal card's "Documents" panel: the hint and the administrators' built-in templates when
//! the workspace has none, a document made from the form (CSRF required) and listed with its
//! DOCX, which downloads as a filled DOCX.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(the_documents_panel_makes_a_document_from_the_form,);

async fn deal_with_lines(app: &TestApp) -> i64 {
    let r = app
        .client
        .put(format!("{}/api/v1/workspace/requisites", app.base))
        .bearer_auth(&app.t.admin)
        .json(&json!({
            "legal_name": "ООО «Вектор»", "inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195",
            "legal_address": "117312, г. Москва, ул. Вавилова, д. 19", "bank_name": "ПАО Сбербанк", "bik": "044525225",
            "corr_account": "30101810400000000225", "account": "40702810438000060473",
            "signatory_name": "Иванов Иван Иванович", "signatory_title": "Генеральный директор",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let m1 = &app.t.manager1;
    let req = json!({"legal_name": "ООО «Рога и Копыта»", "inn": "7707083893", "kpp": "773601001", "legal_address": "г. Казань, ул. Баумана, д. 1"});
    let org = app.create(m1, "organizations", json!({"name": "Рога и Копыта", "requisites": req})).await;
    let person = app.create(m1, "persons", json!({"name": "Пётр Сидоров", "organization_id": org})).await;
    let deal = app.create(m1, "deals", json!({"title": "Поставка", "organization_id": org, "person_id": person})).await;
    let (s, v) = app
        .post(
            m1,
            &format!("/api/v1/deals/{deal}/line_items"),
            json!({"name": "Сервер", "price": 100000000, "quantity": "1", "vat_rate": "22"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    deal
}

async fn the_documents_panel_makes_a_document_from_the_form(app: TestApp) {
    let deal = deal_with_lines(&app).await;
    let panel = format!("/documents/card/deals/{deal}");
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;

    // The card loads the panel.
    let (s, card) = m1.get(&format!("/deals/{deal}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(card.contains(&format!("hx-get=\"{panel}\"")), "the card loads the documents panel");

    // No templates: the hint, and no install button for a manager.
    let (s, html) = m1.get_fragment(&panel).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"documents-empty\"") && html.contains("id=\"documents-no-templates\""), "{html}");
    assert!(!html.contains("documents-builtin") && !html.contains("document-generate"), "{html}");
    assert_eq!(m1.post_form(&format!("{panel}/builtin"), &[]).await.0, StatusCode::FORBIDDEN);

    // The administrator installs the built-in templates from the panel.
    let admin = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, html) = admin.get_fragment(&panel).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"documents-builtin\""), "{html}");
    let (s, html) = admin.post_form(&format!("{panel}/builtin"), &[]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Добавлено шаблонов: 4") && html.contains("Счёт на оплату"), "{html}");

    let (s, html) = m1.get_fragment(&panel).await;
    assert_eq!(s, StatusCode::OK);
    let invoice = html
        .split("<option value=\"")
        .skip(1)
        .find(|o| o.contains("Счёт на оплату"))
        .and_then(|o| o.split('"').next())
        .expect("the invoice template in the select")
        .to_string();

    // Without the CSRF token the form is refused.
    let r = m1.client.post(format!("{}{panel}", m1.base)).form(&[("template_id", invoice.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The form as a browser without htmx sends it: the token in the body.
    let r = m1
        .client
        .post(format!("{}{panel}", m1.base))
        .form(&[("template_id", invoice.as_str()), ("csrf_token", m1.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"documents-notice\""), "a confirmation: {html}");
    assert!(!html.contains("id=\"documents-empty\""), "{html}");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}/documents")).await;
    let doc = &v["data"][0];
    let number = doc["number"].as_str().unwrap();
    assert!(html.contains(&format!("Счёт на оплату № {number}")), "{html}");
    assert!(html.contains("PDF готовится") || html.contains("document-pdf"), "the PDF state is shown: {html}");
    let docx_link = format!("/files/{}/download", doc["docx_file_id"]);
    assert!(html.contains(&format!("href=\"{docx_link}\"")), "{html}");
    let r = m1.client.get(format!("{}{docx_link}", m1.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "a DOCX");

    // A refusal stays in the panel with its reason: no such template.
    let (s, html) = m1.post_form(&panel, &[("template_id", "999999")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"documents-error\""), "{html}");
}

/// In a real browser (PORYADOK_TEST_BROWSER=1): a manager picks the invoice and clicks
/// «Сформировать документ», sees it listed with its DOCX; the card at 390 px does not scroll
/// sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_is_generated_from_the_deal_card_in_a_browser() {
    let Some(b) = crate::browser::start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let deal = deal_with_lines(&app).await;
    let (s, v) = app.post(&app.t.admin, "/api/v1/document_templates/builtin", json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until("the documents panel", "document.getElementById('documents-empty') !== null").await;
    let invoice = v["data"].as_array().unwrap().iter().find(|t| t["doc_type"] == "invoice").unwrap()["id"].to_string();
    b.client.execute("document.getElementById('document-template').value = arguments[0];", vec![json!(invoice)]).await.unwrap();
    b.wait_for("#document-generate-button").await.click().await.unwrap();
    b.wait_until("the document listed", "document.querySelector('#card-documents a.document-docx') !== null").await;
    let panel = b.text_of("#card-documents").await;
    assert!(panel.contains("Счёт на оплату №") && panel.contains("сформирован"), "{panel}");
    b.shot("documents-deal-card-ru").await;

    b.fit_viewport(390, 844).await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until("the document on a phone", "document.querySelector('#card-documents a.document-docx') !== null").await;
    let overflow: bool =
        b.client.execute("return document.documentElement.scrollWidth > window.innerWidth + 1;", vec![]).await.unwrap().as_bool().unwrap();
    assert!(!overflow, "the card scrolls sideways at 390 px");
    b.shot("documents-deal-card-390-ru").await;
}

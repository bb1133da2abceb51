//! Documents in a real browser (PORYADOK_TEST_BROWSER=1), issue 21: an administrator adds a
//! product in Settings → Products; a manager adds it as a line item on the deal card (and a free
//! line), sees the totals, generates an invoice from the built-in template, sees it on the card
//! and downloads its DOCX; the card and the settings pages at 390 px (no sideways scroll); the
//! same screens in English. Screenshots under target/screenshots/.
use crate::browser::start_browser;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn no_sideways_scroll(b: &crate::browser::Browser, what: &str) {
    let overflow: bool =
        b.client.execute("return document.documentElement.scrollWidth > window.innerWidth + 1;", vec![]).await.unwrap().as_bool().unwrap();
    assert!(!overflow, "{what} scrolls sideways at 390 px");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_item_is_added_and_an_invoice_generated_and_downloaded_in_a_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
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
    let (s, v) = app.post(&app.t.admin, "/api/v1/document_templates/builtin", json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let invoice = v["data"].as_array().unwrap().iter().find(|t| t["doc_type"] == "invoice").unwrap()["id"].to_string();
    let m1 = &app.t.manager1;
    let req = json!({"legal_name": "ООО «Рога и Копыта»", "inn": "7707083893", "kpp": "773601001", "legal_address": "г. Казань, ул. Баумана, д. 1"});
    let org = app.create(m1, "organizations", json!({"name": "Рога и Копыта", "requisites": req})).await;
    let person = app.create(m1, "persons", json!({"name": "Пётр Сидоров", "organization_id": org})).await;
    let deal = app.create(m1, "deals", json!({"title": "Поставка серверов", "organization_id": org, "person_id": person})).await;

    // The administrator adds a product.
    app.set_password(app.ids.admin, "admin-pass-123456").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123456").await;
    b.client.goto(&format!("{}/settings/products", app.base)).await.unwrap();
    b.wait_until("the empty catalogue", "document.getElementById('products-empty') !== null").await;
    b.shot("products-empty-ru").await;
    b.wait_for("#product-new-name").await.send_keys("Сервер «Эльбрус-8С»").await.unwrap();
    b.wait_for("#product-new-sku").await.send_keys("ELB-8S").await.unwrap();
    let unit = b.wait_for("#product-new-unit").await;
    unit.clear().await.unwrap();
    unit.send_keys("шт").await.unwrap();
    b.wait_for("#product-new-price").await.send_keys("сто тысяч").await.unwrap();
    b.wait_for("#product-create").await.click().await.unwrap();
    b.wait_until("the price refused beside it", "document.getElementById('product-new-price-error') !== null").await;
    b.shot("products-refused-ru").await;
    let price = b.wait_for("#product-new-price").await;
    price.clear().await.unwrap();
    price.send_keys("150 000").await.unwrap();
    b.wait_for("#product-create").await.click().await.unwrap();
    b.wait_until("saved", "document.getElementById('products-notice') !== null").await;
    let list = b.text_of("#products-list").await;
    assert!(list.contains("Сервер «Эльбрус-8С»") && list.contains("арт. ELB-8S"), "{list}");
    b.shot("products-ru").await;
    b.client.goto(&format!("{}/settings/documents", app.base)).await.unwrap();
    b.wait_until("the templates page", "document.getElementById('doc-fields') !== null").await;
    b.shot("document-templates-ru").await;

    // The manager adds the line on the deal card, then generates the invoice.
    b.client.delete_all_cookies().await.unwrap();
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until("the line-items panel", "document.getElementById('lines-empty') !== null").await;
    b.wait_for("#line-new summary").await.click().await.unwrap();
    b.client
        .execute(
            "const s = document.getElementById('line-product'); s.value = [...s.options].find(o => o.text.startsWith('Сервер')).value;",
            vec![],
        )
        .await
        .unwrap();
    let q = b.wait_for("#line-quantity").await;
    q.clear().await.unwrap();
    q.send_keys("2").await.unwrap();
    b.wait_for("#line-add-button").await.click().await.unwrap();
    b.wait_until("the line listed", "document.querySelector('#card-lines .line-row') !== null").await;
    let lines = b.text_of("#card-lines").await.replace('\u{a0}', " ");
    assert!(lines.contains("Сервер «Эльбрус-8С»") && lines.contains("Итого к оплате\n300 000 ₽"), "{lines}");
    b.shot("line-items-ru").await;
    // The deal's value follows the lines: the details beside show it without a reload.
    b.wait_for("#lines-value-on").await.click().await.unwrap();
    b.wait_until(
        "the value shown",
        "document.getElementById('lines-value-off') !== null && document.getElementById('deal-fields').textContent.replace(/\\s/g, '').includes('300000')",
    )
    .await;

    b.wait_until("the documents panel", "document.getElementById('document-template') !== null").await;
    b.client.execute("document.getElementById('document-template').value = arguments[0];", vec![json!(invoice)]).await.unwrap();
    b.wait_for("#document-generate-button").await.click().await.unwrap();
    b.wait_until("the document listed", "document.querySelector('#card-documents a.document-docx') !== null").await;
    let panel = b.text_of("#card-documents").await;
    assert!(panel.contains("Счёт на оплату №"), "{panel}");
    b.shot("documents-invoice-ru").await;
    // The DOCX downloads with the session (fetched by the page, as the link would).
    let got = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('#card-documents a.document-docx').href).then(r => r.arrayBuffer().then(a => {
               const u = new Uint8Array(a); done([r.status, r.headers.get('content-disposition') || '', String.fromCharCode(u[0], u[1]), u.length]);
             }));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(got[0], 200, "{got}");
    assert!(got[1].as_str().unwrap().starts_with("attachment"), "{got}");
    assert_eq!(got[2], "PK", "a DOCX: {got}");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}/documents")).await;
    assert_eq!(v["data"][0]["total"], 30_000_000, "the invoice's total is the lines': {v}");

    // On a phone.
    b.fit_viewport(390, 844).await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until(
        "the panels on a phone",
        "document.querySelector('#card-lines .line-row') !== null && document.querySelector('#card-documents a.document-docx') !== null",
    )
    .await;
    no_sideways_scroll(&b, "the deal card").await;
    b.client.execute("document.getElementById('card-lines').scrollIntoView();", vec![]).await.unwrap();
    b.shot("line-items-390-ru").await;

    // The administrator reads English, on a phone and on a desktop.
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.admin), json!({"locale": "en"})).await;
    assert_eq!(s, 200, "{v}");
    b.client.delete_all_cookies().await.unwrap();
    b.login(&app.base, "admin@a.test", "admin-pass-123456").await;
    b.client.goto(&format!("{}/settings/products", app.base)).await.unwrap();
    b.wait_until("the products page in English", "document.querySelector('#products-h')?.textContent === 'Catalogue'").await;
    no_sideways_scroll(&b, "the products page").await;
    b.shot("products-390-en").await;
    b.client.goto(&format!("{}/settings/documents", app.base)).await.unwrap();
    b.wait_until("the templates page in English", "document.querySelector('#doc-fields-h')?.textContent === 'Template fields'").await;
    no_sideways_scroll(&b, "the templates page").await;
    b.shot("document-templates-390-en").await;
    b.client.execute("document.getElementById('doc-numbering').scrollIntoView();", vec![]).await.unwrap();
    b.shot("document-numbering-390-en").await;
    b.fit_viewport(1280, 900).await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until("the panels in English", "document.querySelector('#lines-h')?.textContent === 'Line items' && document.querySelector('#card-documents a.document-docx') !== null").await;
    b.wait_for("#line-new summary").await.click().await.unwrap();
    b.shot("line-items-en").await;
    b.client.goto(&format!("{}/settings/documents", app.base)).await.unwrap();
    b.wait_until("the templates page", "document.getElementById('doc-fields') !== null").await;
    b.shot("document-templates-en").await;
}

//! Documents in the web UI (issue 21): Settings → Products (the catalogue: empty state, refusals
//! beside the field, search, change, archive), the deal card's line-items panel (from the
//! catalogue and free, totals, a refused quantity, change, remove, the deal value following the
//! lines), Settings → Documents (a template upload refused naming the placeholder and its place,
//! not-a-DOCX, replace, delete; numbering that only moves forward), and the demo's documents.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(
    the_catalogue_and_the_line_items_are_kept_in_the_browser_ui,
    templates_and_numbering_are_set_in_settings,
    an_organization_s_requisites_are_kept_on_its_card,
);

fn retype(docx_bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(docx_bytes)).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut s = Vec::new();
        f.read_to_end(&mut s).unwrap();
        if name == "word/document.xml" {
            s = String::from_utf8(s).unwrap().replace(from, to).into_bytes();
        }
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(&s).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A multipart upload as htmx sends it (the CSRF token in the header).
async fn upload(s: &UiSession, parts: &[(&str, &str)], file: Option<(&str, Vec<u8>)>) -> (StatusCode, String) {
    let boundary = "ui-products-boundary-7f3a";
    let mut body = Vec::new();
    for (k, v) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let r = s
        .client
        .post(format!("{}/settings/documents/templates", s.base))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &s.csrf)
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn the_catalogue_and_the_line_items_are_kept_in_the_browser_ui(app: TestApp) {
    let admin = app.ui_login(app.ids.admin, "admin@a.test").await;
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    assert_eq!(m1.get("/settings/products").await.0, StatusCode::FORBIDDEN, "managers do not keep the catalogue");

    let (s, html) = admin.get("/settings/products").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"products-empty\"") && html.contains("href=\"/settings/products\""), "empty state and menu: {html}");

    // A price that does not read is refused beside the price, and what was typed stays.
    let form = [("name", "Сервер «Эльбрус» <8 ядер>"), ("unit", "шт"), ("price", "сто"), ("vat_rate", "22")];
    let (s, html) = admin.post_form("/settings/products", &form).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"product-new-price-error\"") && html.contains("Введите цену числом"), "{html}");
    assert!(html.contains("value=\"Сервер «Эльбрус» &#60;8 ядер&#62;\""), "the typed name is kept, escaped: {html}");
    // A unit too long: the store's refusal, beside the unit.
    let (s, html) =
        admin.post_form("/settings/products", &[("name", "X"), ("unit", &"ш".repeat(30)), ("price", "1"), ("vat_rate", "22")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"product-new-unit-error\""), "{html}");

    let (s, html) =
        admin.post_form("/settings/products", &[("name", "Сервер"), ("unit", "шт"), ("price", "150 000,50"), ("vat_rate", "22")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Товар «Сервер» добавлен."), "{html}");
    let (s, _) = admin.post_form("/settings/products", &[("name", "Книга"), ("unit", "шт"), ("price", "500"), ("vat_rate", "none")]).await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app.get(&app.t.admin, "/api/v1/products").await;
    let server = v["data"].as_array().unwrap().iter().find(|p| p["name"] == "Сервер").unwrap().clone();
    assert_eq!((server["price"].as_i64(), server["vat_rate"].as_str()), (Some(15_000_050), Some("22")), "{v}");
    let book = v["data"].as_array().unwrap().iter().find(|p| p["name"] == "Книга").unwrap()["id"].as_i64().unwrap();

    // Search by name.
    let (_, html) = admin.get("/settings/products?q=серв").await;
    assert!(html.contains("Сервер") && !html.contains(&format!("id=\"product-{book}\"")), "{html}");
    let (_, html) = admin.get("/settings/products?q=нет-такого").await;
    assert!(html.contains("id=\"products-none-found\""), "{html}");
    // An article code and a price in another currency; the list finds the product by its code.
    let form = [("name", "Support"), ("sku", "SUP-7"), ("unit", "h"), ("price", "99.5"), ("currency", "USD"), ("vat_rate", "none")];
    let (s, html) = admin.post_form("/settings/products", &form).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let (_, html) = admin.get("/settings/products?q=sup-7").await;
    assert!(html.contains("арт. SUP-7") && html.contains("$") && !html.contains(&format!("id=\"product-{book}\"")), "{html}");
    let (s, html) = admin
        .post_form("/settings/products", &[("name", "Дубль"), ("sku", "SUP-7"), ("unit", "шт"), ("price", "1"), ("vat_rate", "22")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"product-new-sku-error\"") && html.contains("уже у товара «Support»"), "{html}");

    // Change with the version; a stale version is told, not applied.
    let id = server["id"].as_i64().unwrap();
    let version = server["version"].to_string();
    let form = [("name", "Сервер Pro"), ("unit", "шт"), ("price", "160000"), ("vat_rate", "10"), ("version", version.as_str())];
    let (s, html) = admin.post_form(&format!("/settings/products/{id}"), &form).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Товар «Сервер Pro» сохранён."), "{html}");
    let (s, html) = admin.post_form(&format!("/settings/products/{id}"), &form).await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{html}");
    // Archive: gone from the list and the card's select, back on demand.
    let (s, html) = admin.post_form(&format!("/settings/products/{book}/archive"), &[]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let (_, html) = admin.get("/settings/products").await;
    assert!(!html.contains(&format!("id=\"product-{book}\"")), "{html}");
    let (_, html) = admin.get("/settings/products?archived=1").await;
    assert!(html.contains(&format!("id=\"product-restore-{book}\"")), "{html}");

    // The deal card's line items.
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Поставка", "value": 1})).await;
    let panel = format!("/line-items/card/deals/{deal}");
    let (_, card) = m1.get(&format!("/deals/{deal}")).await;
    assert!(card.contains(&format!("hx-get=\"{panel}\"")), "the card loads the panel");
    let (s, html) = m1.get_fragment(&panel).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"lines-empty\"") && html.contains("Сервер Pro") && !html.contains("Книга"), "{html}");
    let (s, html) = m1.post_form(&panel, &[("product_id", &id.to_string()), ("quantity", "2"), ("discount", "10%")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Позиция «Сервер Pro» добавлена."), "{html}");
    // A free line with a refused quantity: beside the quantity, the typed name kept.
    let (s, html) = m1.post_form(&panel, &[("name", "Монтаж & настройка"), ("quantity", "1,2345"), ("price", "5000")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"line-quantity-error\"") && html.contains("value=\"Монтаж &#38; настройка\""), "{html}");
    let (s, html) =
        m1.post_form(&panel, &[("name", "Монтаж & настройка"), ("quantity", "1,5"), ("price", "5000"), ("vat_rate", "22")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    // 2 × 160 000 − 10 % = 288 000 (VAT 10 % inside) + 1,5 × 5 000 = 7 500 → 295 500 to pay.
    assert!(html.contains("<strong id=\"lines-total\">295\u{a0}500\u{a0}₽</strong>"), "the total to pay: {html}");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}/line_items")).await;
    assert_eq!(v["data"]["totals"]["payable"], 29_550_000, "{v}");
    let free = &v["data"]["items"][1];
    assert_eq!((free["quantity"].as_str(), free["name"].as_str()), (Some("1.5"), Some("Монтаж & настройка")));
    let free_id = free["id"].as_i64().unwrap();

    // The value follows the lines when switched on.
    let (s, html) = m1.post_form(&format!("{panel}/value"), &[("value_from_items", "1")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"lines-value-off\""), "{html}");
    assert!(html.contains(&format!("hx-get=\"/deals/{deal}/fields\"")), "the card's details reload with the new value: {html}");
    let (_, d) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(d["data"]["value"], 29_550_000, "{d}");

    // Change a line in place (a bad discount refused beside it), then remove it.
    let ver = free["version"].to_string();
    let edit = |d: &'static str| {
        vec![("name", "Монтаж"), ("quantity", "3"), ("price", "5000"), ("discount", d), ("vat_rate", "22"), ("version", "")]
    };
    let mut f = edit("abc");
    f[5].1 = ver.as_str();
    let (s, html) = m1.post_form(&format!("{panel}/{free_id}"), &f).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains(&format!("id=\"line-{free_id}-discount-error\"")), "{html}");
    let mut f = edit("");
    f[5].1 = ver.as_str();
    let (s, html) = m1.post_form(&format!("{panel}/{free_id}"), &f).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let (_, d) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(d["data"]["value"], 28_800_000 + 1_500_000, "the value followed the change: {d}");
    let (s, html) = m1.post_form(&format!("{panel}/{free_id}/delete"), &[]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Позиция «Монтаж» удалена.") && !html.contains(&format!("id=\"line-{free_id}\"")), "{html}");

    // Another manager, who does not see the deal, does not get its panel.
    let m3 = app.ui_login(app.ids.manager3, "m3@a.test").await;
    let (s, _) = m3.get_fragment(&panel).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn templates_and_numbering_are_set_in_settings(app: TestApp) {
    let admin = app.ui_login(app.ids.admin, "admin@a.test").await;
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    assert_eq!(m1.get("/settings/documents").await.0, StatusCode::FORBIDDEN);
    let (s, html) = admin.get("/settings/documents").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"doc-templates-empty\""), "{html}");
    // The field list beside the upload: every placeholder and the loop.
    for p in poryadok_core::documents::PLACEHOLDERS {
        assert!(html.contains(&format!("<code>{{{}}}</code>", p.name)), "{} listed", p.name);
    }
    assert!(html.contains("<code>{#items}</code>") && html.contains("Наша организация: ИНН"), "{html}");

    // Not a DOCX; an unknown placeholder named with its place; no file.
    let (s, html) = upload(&admin, &[("name", "Счёт"), ("kind", "invoice")], Some(("счёт.docx", b"just text".to_vec()))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"docset-error\"") && html.contains("не является документом DOCX"), "{html}");
    assert!(html.contains("value=\"Счёт\""), "the name typed is kept: {html}");
    let (_, _, good) = poryadok_server::docx_builtin::builtin().remove(0);
    let bad = retype(&good, "{item.unit}", "{item.units}");
    let (s, html) = upload(&admin, &[("kind", "invoice")], Some(("typo.docx", bad))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("неизвестное поле {item.units} (таблица 2, строка 2, ячейка 4)"), "{html}");
    let (s, html) = upload(&admin, &[("kind", "invoice")], None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    // Too large.
    let big = vec![b'x'; (poryadok_store::documents::MAX_TEMPLATE_MB as usize) * 1024 * 1024 + 10];
    let (s, html) = upload(&admin, &[("kind", "invoice")], Some(("big.docx", big))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("больше 10 МБ"), "{html}");

    // A good one: its name from the file.
    let (s, html) = upload(&admin, &[("kind", "invoice")], Some(("Мой счёт.docx", good.clone()))).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Шаблон «Мой счёт» загружен."), "{html}");
    let (_, v) = app.get(&app.t.admin, "/api/v1/document_templates").await;
    let id = v["data"][0]["id"].as_i64().unwrap();
    let r = admin.client.get(format!("{}/settings/documents/templates/{id}/download", admin.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), good, "the download is the file uploaded");
    // Replace: a refused file leaves the template; a good one takes its place under its name.
    let bad = retype(&good, "{deal.title}", "{deal.titel}");
    let (s, html) = upload(&admin, &[("replace", &id.to_string())], Some(("new.docx", bad))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Шаблон «Мой счёт» не заменён") && html.contains("{deal.titel}"), "{html}");
    let newer = retype(&good, "Счёт на оплату №", "СЧЁТ №");
    let (s, html) = upload(&admin, &[("replace", &id.to_string())], Some(("new.docx", newer.clone()))).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let (_, v) = app.get(&app.t.admin, "/api/v1/document_templates").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!((v["data"][0]["name"].as_str(), v["data"][0]["doc_type"].as_str()), (Some("Мой счёт"), Some("invoice")));
    let new_id = v["data"][0]["id"].as_i64().unwrap();
    let (s, html) = admin.post_form(&format!("/settings/documents/templates/{new_id}/delete"), &[]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Шаблон «Мой счёт» удалён."), "{html}");
    let (s, html) = admin.post_form("/settings/documents/builtin", &[]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Коммерческое предложение") && html.contains("Договор"), "{html}");

    // Numbering: a prefix and a next number; a lower one refused beside its input.
    let year = &app.db.today(&app.db.system_actor(app.ws, poryadok_core::domain::Channel::Cli).await.unwrap())[..4];
    let mut form: Vec<(String, String)> = Vec::new();
    for t in ["invoice", "act", "contract", "proposal", "other"] {
        let (_, v) = app.get(&app.t.admin, "/api/v1/document_settings").await;
        let n = v["data"]["numbering"].as_array().unwrap().iter().find(|n| n["doc_type"] == t).unwrap().clone();
        form.push((format!("prefix_{t}"), n["prefix"].as_str().unwrap().to_string()));
        form.push((format!("next_{t}"), n["next_number"].to_string()));
    }
    let set = |form: &mut Vec<(String, String)>, k: &str, v: &str| form.iter_mut().find(|(a, _)| a == k).unwrap().1 = v.to_string();
    set(&mut form, "prefix_invoice", "INV-{year}/");
    set(&mut form, "next_invoice", "120");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (s, html) = admin.post_form("/settings/documents/numbering", &pairs).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains(&format!("INV-{year}/0120")) && html.contains("id=\"numbering-notice\""), "{html}");
    let (_, v) = app.get(&app.t.admin, "/api/v1/document_settings").await;
    assert_eq!(v["data"]["prices_include_vat"], false, "the box was not ticked: {v}");
    set(&mut form, "prefix_invoice", "INV-{year}/");
    set(&mut form, "next_invoice", "7");
    form.push(("prices_include_vat".into(), "1".into()));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (s, html) = admin.post_form("/settings/documents/numbering", &pairs).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"numbering-invoice-error\"") && html.contains("номера меньше 120"), "{html}");
    assert!(html.contains("value=\"7\""), "the typed number is kept: {html}");
    let (_, v) = app.get(&app.t.admin, "/api/v1/document_settings").await;
    let inv = v["data"]["numbering"].as_array().unwrap().iter().find(|n| n["doc_type"] == "invoice").unwrap().clone();
    assert_eq!(inv["next_number"], 120, "{v}");
}

async fn an_organization_s_requisites_are_kept_on_its_card(app: TestApp) {
    let org = app.create(&app.t.manager1, "organizations", json!({"name": "Рога и Копыта"})).await;
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let block = format!("/requisites/card/organizations/{org}");
    let (_, card) = m1.get(&format!("/organizations/{org}")).await;
    assert!(card.contains(&format!("hx-get=\"{block}\"")), "the card loads the block");
    let (s, html) = m1.get_fragment(&block).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"org-requisites-empty\"") && html.contains("id=\"org-requisites-form\""), "{html}");
    // A ИНН with a wrong check digit: refused beside it, the rest typed kept.
    let form = [("legal_name", "ООО «Рога и Копыта»"), ("inn", "7707083894"), ("kpp", "773601001"), ("legal_address", "г. Казань")];
    let (s, html) = m1.post_form(&block, &form).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"org-req-inn-error\"") && html.contains("value=\"г. Казань\""), "{html}");
    let form = [("legal_name", "ООО «Рога и Копыта»"), ("inn", "7707083893"), ("kpp", "773601001"), ("legal_address", "г. Казань")];
    let (s, html) = m1.post_form(&block, &form).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"org-requisites-saved\"") && html.contains("7707083893"), "{html}");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/organizations/{org}")).await;
    assert_eq!(v["data"]["requisites"]["inn"], "7707083893", "{v}");
    // Someone who may not see the organization gets no block.
    let m3 = app.ui_login(app.ids.manager3, "m3@a.test").await;
    assert_eq!(m3.get_fragment(&block).await.0, StatusCode::NOT_FOUND);
}

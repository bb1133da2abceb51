//! Invoices and payments end to end: the API keeps paid amounts and statuses, numbers are unique,
//! managers see their own; the accounting import (CSV in windows-1251 with semicolons and decimal
//! commas, XLSX) creates, changes nothing the second time, and tops payments up; each client's
//! last activity follows calls, notes, payments and messages; the card's block and its forms.
use crate::helpers::{assert_error, TestApp};
use crate::intake::{deliver, source, work};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    payments_keep_the_paid_amount_and_the_status,
    managers_see_their_own_invoices,
    a_csv_export_imports_once_and_tops_payments_up,
    an_xlsx_export_imports_too,
    the_last_activity_follows_calls_notes_payments_and_messages,
    the_card_block_and_its_payment_form,
);

/// An organization with a tax id and a deal of it, both owned by the token's user.
async fn client(app: &TestApp, token: &str, tax_id: &str) -> (i64, i64) {
    let org = app.create(token, "organizations", json!({"name": format!("ООО {tax_id}"), "tax_id": tax_id})).await;
    let deal = app.create(token, "deals", json!({"title": format!("Поставка {tax_id}"), "organization_id": org, "value": 100000})).await;
    (org, deal)
}

async fn invoice(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, v) = app.post(token, "/api/v1/invoices", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"].clone()
}

async fn payments_keep_the_paid_amount_and_the_status(app: TestApp) {
    let (org, deal) = client(&app, &app.t.manager1, "7701000001").await;
    let m1 = &app.t.manager1;
    let inv =
        invoice(&app, m1, json!({"number": " С-1 ", "deal_id": deal, "amount": 100000, "issued_on": "2026-11-01", "due_on": "2026-11-15"}))
            .await;
    let id = inv["id"].as_i64().unwrap();
    assert_eq!(inv["number"], "С-1");
    assert_eq!((inv["organization_id"].as_i64(), inv["owner_id"].as_i64()), (Some(org), Some(app.ids.manager1)), "the deal's");
    assert_eq!((inv["currency"].as_str(), inv["status"].as_str(), inv["paid_amount"].as_i64()), (Some("RUB"), Some("open"), Some(0)));
    assert_eq!(
        (inv["overdue"].as_bool(), inv["days_overdue"].as_i64(), inv["balance"].as_i64()),
        (Some(true), Some(8), Some(100000)),
        "today is 23.11"
    );

    // Bad input names the field.
    for (body, field) in [
        (json!({"amount": 1, "issued_on": "2026-11-01"}), "number"),
        (json!({"number": "x", "issued_on": "2026-11-01"}), "amount"),
        (json!({"number": "x", "amount": 1}), "issued_on"),
        (json!({"number": "x", "amount": 0, "issued_on": "2026-11-01"}), "amount"),
        (json!({"number": "x", "amount": 1, "issued_on": "01.11.2026"}), "issued_on"),
        (json!({"number": "x", "amount": 1, "issued_on": "2026-11-01", "due_on": "2026-10-01"}), "due_on"),
        (json!({"number": "x", "amount": 1, "issued_on": "2026-11-01", "paid_amount": 5}), "paid_amount"),
        (json!({"number": "x", "amount": 1, "issued_on": "2026-11-01", "deal_id": 999999}), "deal_id"),
    ] {
        assert_error(&app.post(m1, "/api/v1/invoices", body).await, 422, "validation", Some(field));
    }
    assert_error(
        &app.post(m1, "/api/v1/invoices", json!({"number": "С-1", "amount": 5, "issued_on": "2026-11-02"})).await,
        409,
        "conflict",
        Some("number"),
    );

    // Payments: the paid amount, the latest date and the status follow; the balance caps a payment.
    let pay_path = format!("/api/v1/invoices/{id}/payments");
    let pay = |body: Value| app.post(m1, &pay_path, body);
    let (s, v) = pay(json!({"amount": 40000, "paid_on": "2026-11-20", "reference": "п/п 17"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["invoice"]["paid_amount"].as_i64(), v["invoice"]["paid_on"].as_str(), v["invoice"]["status"].as_str()),
        (Some(40000), Some("2026-11-20"), Some("open"))
    );
    assert_eq!(v["data"]["source"], "manual");
    assert_error(&pay(json!({"amount": 60001})).await, 422, "validation", Some("amount"));
    assert_error(&pay(json!({"amount": 100, "paid_on": "2026-11-24"})).await, 422, "validation", Some("paid_on"));
    assert_error(&pay(json!({"amount": -1})).await, 422, "validation", Some("amount"));
    let (s, v) = pay(json!({"amount": 60000})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let second = v["data"]["id"].as_i64().unwrap();
    assert_eq!(
        (v["invoice"]["status"].as_str(), v["invoice"]["paid_on"].as_str(), v["invoice"]["overdue"].as_bool()),
        (Some("paid"), Some("2026-11-23"), Some(false))
    );
    assert_error(&pay(json!({"amount": 1})).await, 422, "validation", Some("amount"));
    let (_, list) = app.get(m1, &format!("/api/v1/invoices/{id}/payments")).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);

    // A deleted payment reopens the invoice.
    let (s, v) = app.delete(m1, &format!("/api/v1/payments/{second}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["data"]["status"].as_str(), v["data"]["paid_amount"].as_i64()), (Some("open"), Some(40000)));
    assert_eq!(app.delete(m1, &format!("/api/v1/payments/{second}")).await.0, StatusCode::NOT_FOUND, "deleted once");

    // Filters.
    let ids = |q: &'static str| invoice_ids(&app, q.to_string());
    let later = invoice(
        &app,
        m1,
        json!({"number": "С-2", "organization_id": org, "amount": 5000, "issued_on": "2026-11-22", "due_on": "2026-12-01"}),
    )
    .await;
    let later = later["id"].as_i64().unwrap();
    assert_eq!(ids("").await, vec![later, id], "newest issue date first");
    assert_eq!(ids("overdue=true").await, vec![id]);
    assert_eq!(ids("status=overdue").await, vec![id]);
    assert_eq!(ids("overdue=false").await, vec![later]);
    assert_eq!(invoice_ids(&app, format!("deal_id={deal}")).await, vec![id]);
    assert_eq!(invoice_ids(&app, format!("organization_id={org}&status=open")).await, vec![later, id]);
    assert_eq!(ids("status=paid").await, Vec::<i64>::new());
    let (_, page) = app.get(m1, "/api/v1/invoices?limit=1").await;
    let cursor = page["next_cursor"].as_str().unwrap();
    assert_eq!(invoice_ids(&app, format!("limit=1&cursor={cursor}")).await, vec![id]);
    assert_error(&app.get(m1, "/api/v1/invoices?status=late").await, 422, "validation", Some("status"));
    assert_error(&app.get(m1, "/api/v1/invoices?cursor=forged").await, 422, "validation", Some("cursor"));

    // Changing the amount or cancelling re-reads the status; a cancelled invoice takes no payment.
    let (s, v) = app.patch(m1, &format!("/api/v1/invoices/{id}"), json!({"amount": 40000})).await;
    assert_eq!((s, v["data"]["status"].as_str()), (StatusCode::OK, Some("paid")), "{v}");
    assert_error(&app.patch(m1, &format!("/api/v1/invoices/{id}"), json!({"status": "paid"})).await, 422, "validation", Some("status"));
    assert_error(&app.patch(m1, &format!("/api/v1/invoices/{id}"), json!({"number": "С-2"})).await, 409, "conflict", Some("number"));
    let (_, v) = app.patch(m1, &format!("/api/v1/invoices/{later}"), json!({"status": "cancelled"})).await;
    assert_eq!(v["data"]["status"], "cancelled");
    assert_error(&app.post(m1, &format!("/api/v1/invoices/{later}/payments"), json!({"amount": 1})).await, 409, "conflict", Some("status"));
    let (_, v) = app.patch(m1, &format!("/api/v1/invoices/{later}"), json!({"status": "open"})).await;
    assert_eq!(v["data"]["status"], "open");

    // Deleting frees the number; the history holds every change.
    assert_eq!(app.delete(m1, &format!("/api/v1/invoices/{later}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(m1, &format!("/api/v1/invoices/{later}")).await.0, StatusCode::NOT_FOUND);
    invoice(&app, m1, json!({"number": "С-2", "amount": 1, "issued_on": "2026-11-23"})).await;
    let events = history_count(&app, "invoice", id).await;
    assert!(events >= 5, "create, two payments, a removal, an amount change: {events}");
    assert_eq!(history_count(&app, "payment", second).await, 2, "created and deleted");
}

async fn invoice_ids(app: &TestApp, q: String) -> Vec<i64> {
    let (s, v) = app.get(&app.t.manager1, &format!("/api/v1/invoices?{q}")).await;
    assert_eq!(s, StatusCode::OK, "{q}: {v}");
    v["data"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

/// History events of one record, read straight from the database.
async fn history_count(app: &TestApp, entity: &str, id: i64) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    let sql = format!("SELECT COUNT(*) AS n FROM history WHERE entity = '{entity}' AND record_id = {id}");
    let row = conn.query_one(Statement::from_string(conn.get_database_backend(), sql)).await.unwrap().unwrap();
    let n: i64 = row.try_get("", "n").unwrap();
    conn.close().await.unwrap();
    n
}

async fn managers_see_their_own_invoices(app: TestApp) {
    let (_, d1) = client(&app, &app.t.manager1, "7701000011").await;
    let (_, d3) = client(&app, &app.t.manager3, "7701000013").await;
    let mine = invoice(&app, &app.t.manager1, json!({"number": "M1-1", "deal_id": d1, "amount": 100, "issued_on": "2026-11-01"})).await
        ["id"]
        .as_i64()
        .unwrap();
    let theirs = invoice(&app, &app.t.manager3, json!({"number": "M3-1", "deal_id": d3, "amount": 100, "issued_on": "2026-11-01"})).await
        ["id"]
        .as_i64()
        .unwrap();
    let listed = |token: String| {
        let app = &app;
        async move {
            app.get(&token, "/api/v1/invoices").await.1["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["number"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(app.t.manager1.clone()).await, vec!["M1-1"]);
    assert_eq!(listed(app.t.manager3.clone()).await, vec!["M3-1"]);
    assert_eq!(listed(app.t.head.clone()).await.len(), 2);
    assert_eq!(listed(app.t.analyst.clone()).await.len(), 2, "analysts read everything");
    assert_eq!(listed(app.t.other_admin.clone()).await.len(), 0, "another workspace sees nothing");
    let m1 = &app.t.manager1;
    assert_eq!(app.get(m1, &format!("/api/v1/invoices/{theirs}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&app.t.other_admin, &format!("/api/v1/invoices/{mine}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.post(m1, &format!("/api/v1/invoices/{theirs}/payments"), json!({"amount": 1})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.patch(m1, &format!("/api/v1/invoices/{theirs}"), json!({"amount": 1})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(m1, &format!("/api/v1/invoices/{theirs}")).await.0, StatusCode::NOT_FOUND);
    assert_error(
        &app.post(m1, "/api/v1/invoices", json!({"number": "x", "deal_id": d3, "amount": 1, "issued_on": "2026-11-01"})).await,
        422,
        "validation",
        Some("deal_id"),
    );
    assert_error(
        &app.post(m1, "/api/v1/invoices", json!({"number": "x", "owner_id": app.ids.manager3, "amount": 1, "issued_on": "2026-11-01"}))
            .await,
        403,
        "forbidden",
        Some("owner_id"),
    );
    assert_error(
        &app.post(&app.t.analyst, "/api/v1/invoices", json!({"number": "x", "amount": 1, "issued_on": "2026-11-01"})).await,
        403,
        "forbidden",
        None,
    );
    // A participant of the deal sees its invoices, like the deal itself.
    let (s, v) = app
        .post(&app.t.admin, &format!("/api/v1/deals/{d3}/participants"), json!({"user_id": app.ids.manager1, "role": "consultant"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(listed(app.t.manager1.clone()).await.len(), 2);
    // The head moves an invoice to another owner; it leaves the first manager's list.
    let (s, v) = app.patch(&app.t.head, &format!("/api/v1/invoices/{mine}"), json!({"owner_id": app.ids.manager2})).await;
    assert_eq!((s, v["data"]["owner_id"].as_i64()), (StatusCode::OK, Some(app.ids.manager2)), "{v}");
    assert_eq!(listed(app.t.manager1.clone()).await, vec!["M3-1"]);
}

async fn import(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>, dry_run: bool) -> (StatusCode, Value) {
    let url = format!("{}/api/v1/invoices/import{}", app.base, if dry_run { "?dry_run=true" } else { "" });
    let resp = app.client.post(url).bearer_auth(token).header("content-type", content_type).body(body).send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn counts(v: &Value) -> (i64, i64, i64, i64, usize) {
    let d = &v["data"];
    (
        d["created"].as_i64().unwrap(),
        d["updated"].as_i64().unwrap(),
        d["payments_added"].as_i64().unwrap(),
        d["unchanged"].as_i64().unwrap(),
        d["errors"].as_array().unwrap().len(),
    )
}

fn cp1251(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'А'..='я' => (c as u32 - 'А' as u32 + 0xC0) as u8,
            'ё' => 0xB8,
            'Ё' => 0xA8,
            '№' => 0xB9,
            c if c.is_ascii() => c as u8,
            c => panic!("{c} is not in the test's windows-1251 table"),
        })
        .collect()
}

async fn invoice_by_number(app: &TestApp, number: &str) -> Value {
    let (_, v) = app.get(&app.t.admin, "/api/v1/invoices?limit=500").await;
    v["data"].as_array().unwrap().iter().find(|i| i["number"] == number).cloned().unwrap_or(Value::Null)
}

async fn a_csv_export_imports_once_and_tops_payments_up(app: TestApp) {
    let (known, _) = client(&app, &app.t.manager1, "7701234567").await;
    let csv = |paid_a1: &str| {
        cp1251(&format!(
            "Реестр счетов покупателям за ноябрь 2026\r\n\r\n\
Номер;Дата;ИНН контрагента;Контрагент;Сумма;Оплачено;Срок оплаты\r\n\
А-1;01.11.2026;7701234567;ООО Ромашка;12 000,00;{paid_a1};15.11.2026\r\n\
А-2;05.11.2026;7809876543;\"ООО \"\"Новая\"\"\";5 000,50;5 000,50;\r\n\
А-3;06.11.2026;7700000001;;1 000,00;0;\r\n\
А-4;31.11.2026;7701234567;;100;0;\r\n"
        ))
    };
    let admin = &app.t.admin;
    assert_eq!(import(&app, &app.t.manager1, "text/csv", csv("0"), false).await.0, StatusCode::FORBIDDEN);

    let (s, dry) = import(&app, admin, "text/csv", csv("0"), true).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(counts(&dry), (2, 0, 1, 0, 2), "{dry}");
    assert_eq!(dry["data"]["dry_run"], true);
    assert_eq!(invoice_by_number(&app, "А-1").await, Value::Null, "a dry run saves nothing");

    let (s, v) = import(&app, admin, "text/csv; charset=windows-1251", csv("0"), false).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(counts(&v), (2, 0, 1, 0, 2), "{v}");
    assert_eq!(v["data"]["organizations_created"], 1);
    assert_eq!(v["data"]["rows"], 4);
    let errors: Vec<(i64, &str, &str)> = v["data"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["column"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, vec![(6, "ИНН контрагента", "no_organization"), (7, "Дата", "bad_date")]);
    let a1 = invoice_by_number(&app, "А-1").await;
    assert_eq!(
        (a1["amount"].as_i64(), a1["issued_on"].as_str(), a1["due_on"].as_str()),
        (Some(1_200_000), Some("2026-11-01"), Some("2026-11-15"))
    );
    assert_eq!(
        (a1["organization_id"].as_i64(), a1["owner_id"].as_i64()),
        (Some(known), Some(app.ids.manager1)),
        "the organization's owner"
    );
    let a2 = invoice_by_number(&app, "А-2").await;
    assert_eq!((a2["status"].as_str(), a2["paid_amount"].as_i64()), (Some("paid"), Some(500_050)));
    let (_, org) = app.get(admin, &format!("/api/v1/organizations/{}", a2["organization_id"])).await;
    assert_eq!((org["data"]["name"].as_str(), org["data"]["tax_id"].as_str()), (Some("ООО \"Новая\""), Some("7809876543")));

    // The same file again changes nothing.
    let (_, again) = import(&app, admin, "text/csv", csv("0"), false).await;
    assert_eq!(counts(&again), (0, 0, 0, 2, 2), "{again}");

    // A payment entered by hand stays; the file's larger paid amount is topped up by one import payment.
    let a1_id = a1["id"].as_i64().unwrap();
    let (s, v) = app.post(admin, &format!("/api/v1/invoices/{a1_id}/payments"), json!({"amount": 200_000, "paid_on": "2026-11-10"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, v) = import(&app, admin, "text/csv", csv("5 000,00"), false).await;
    assert_eq!(counts(&v), (0, 1, 1, 1, 2), "{v}");
    let a1 = invoice_by_number(&app, "А-1").await;
    assert_eq!((a1["paid_amount"].as_i64(), a1["status"].as_str()), (Some(500_000), Some("open")));
    let (_, pays) = app.get(admin, &format!("/api/v1/invoices/{a1_id}/payments")).await;
    let pays: Vec<(i64, &str)> =
        pays["data"].as_array().unwrap().iter().map(|p| (p["amount"].as_i64().unwrap(), p["source"].as_str().unwrap())).collect();
    assert_eq!(pays, vec![(200_000, "manual"), (300_000, "import")]);
    let (_, v) = import(&app, admin, "text/csv", csv("5 000,00"), false).await;
    assert_eq!(counts(&v), (0, 0, 0, 2, 2), "idempotent after the top-up: {v}");
    // A file that says less than the hand-entered payments is refused for that row only.
    let (_, v) = import(&app, admin, "text/csv", csv("1 000,00"), false).await;
    assert_eq!(counts(&v), (0, 0, 0, 1, 3), "{v}");
    assert!(
        v["data"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["code"] == "manual_payments_exceed_paid" && e["line"] == 4 && e["column"] == "Оплачено"),
        "{v}"
    );

    // Junk: an empty body, a header without a required column, a broken XLSX.
    assert_error(&import(&app, admin, "text/csv", Vec::new(), false).await, 422, "validation", Some("file"));
    assert_error(&import(&app, admin, "text/csv", b"\xEF\xBB\xBF  \r\n".to_vec(), false).await, 422, "validation", Some("file"));
    assert_error(
        &import(&app, admin, "text/csv", "Номер;Дата;Сумма;Оплачено\n1;01.11.2026;1;0\n".into(), false).await,
        422,
        "validation",
        Some("tax_id"),
    );
    assert_error(&import(&app, admin, "text/csv", b"\x00\x01\x02garbage".to_vec(), false).await, 422, "validation", Some("number"));
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    assert_error(&import(&app, admin, xlsx, b"PK\x03\x04 not a zip".to_vec(), false).await, 422, "validation", Some("file"));
    let url = format!("{}/api/v1/invoices/import?dry_run=maybe", app.base);
    let resp = app.client.post(url).bearer_auth(admin).body(csv("0")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn an_xlsx_export_imports_too(app: TestApp) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    client(&app, &app.t.manager1, "7701234567").await;
    let book = |paid: f64| {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let date = Format::new().set_num_format("dd.mm.yyyy");
        for (c, h) in ["Number", "Date", "Tax ID", "Amount", "Paid", "Due date"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "X-1").unwrap();
        ws.write_datetime_with_format(1, 1, ExcelDateTime::from_ymd(2026, 11, 2).unwrap(), &date).unwrap();
        ws.write_number(1, 2, 7701234567.0).unwrap();
        ws.write_number(1, 3, 1234.5).unwrap();
        ws.write_number(1, 4, paid).unwrap();
        ws.write_string(1, 5, "20.11.2026").unwrap();
        ws.write_string(2, 0, "X-2").unwrap();
        ws.write_string(2, 1, "не дата").unwrap();
        ws.write_number(2, 2, 7701234567.0).unwrap();
        ws.write_number(2, 3, 10.0).unwrap();
        wb.save_to_buffer().unwrap()
    };
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let (s, v) = import(&app, &app.t.head, xlsx, book(0.0), false).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(counts(&v), (1, 0, 0, 0, 1), "{v}");
    assert_eq!((v["data"]["errors"][0]["line"].as_i64(), v["data"]["errors"][0]["column"].as_str()), (Some(3), Some("Date")));
    let x1 = invoice_by_number(&app, "X-1").await;
    assert_eq!(
        (x1["amount"].as_i64(), x1["issued_on"].as_str(), x1["due_on"].as_str()),
        (Some(123_450), Some("2026-11-02"), Some("2026-11-20"))
    );
    let (_, v) = import(&app, &app.t.head, xlsx, book(0.0), false).await;
    assert_eq!(counts(&v), (0, 0, 0, 1, 1), "{v}");
    // Sent as an unknown type, the workbook is still recognised by its signature.
    let (_, v) = import(&app, &app.t.head, "application/octet-stream", book(1000.0), false).await;
    assert_eq!(counts(&v), (0, 1, 1, 0, 1), "{v}");
    let x1 = invoice_by_number(&app, "X-1").await;
    assert_eq!((x1["paid_amount"].as_i64(), x1["status"].as_str()), (Some(100_000), Some("open")));
}

async fn the_last_activity_follows_calls_notes_payments_and_messages(app: TestApp) {
    let m1 = &app.t.manager1;
    let (org, deal) = client(&app, m1, "7701000021").await;
    let person = app.create(m1, "persons", json!({"name": "Иван Седов", "organization_id": org, "email": "ivan@sedov.test"})).await;
    let (s, v) = app.patch(m1, &format!("/api/v1/deals/{deal}"), json!({"person_id": person})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let last = || app.db.last_activity_at(app.ws, org);
    let now = || app.db.clock.now_ms();
    assert_eq!(last().await.unwrap(), None, "creating records is not contact with the client");

    // A task not done changes nothing; done, it counts.
    let task = app.create(m1, "activities", json!({"type": "task", "subject": "Позвонить", "deal_id": deal})).await;
    assert_eq!(last().await.unwrap(), None);
    app.clock.advance(time::Duration::hours(1));
    app.patch(m1, &format!("/api/v1/activities/{task}"), json!({"done": true})).await;
    assert_eq!(last().await.unwrap(), Some(now()));
    // A done call on the deal.
    app.clock.advance(time::Duration::hours(1));
    app.create(m1, "activities", json!({"type": "call", "subject": "Звонок", "deal_id": deal, "done": true, "call_direction": "outbound"}))
        .await;
    assert_eq!(last().await.unwrap(), Some(now()));
    // A note on the person reaches the organization through the person.
    app.clock.advance(time::Duration::hours(1));
    app.create(m1, "notes", json!({"content": "Обсудили поставку", "person_id": person})).await;
    assert_eq!(last().await.unwrap(), Some(now()));
    // A payment counts from the start of its day; an older one never moves the clock back.
    app.clock.advance(time::Duration::days(1));
    let inv = invoice(&app, m1, json!({"number": "L-1", "deal_id": deal, "amount": 1000, "issued_on": "2026-11-01"})).await["id"]
        .as_i64()
        .unwrap();
    let before = last().await.unwrap();
    app.post(m1, &format!("/api/v1/invoices/{inv}/payments"), json!({"amount": 100, "paid_on": "2026-11-10"})).await;
    assert_eq!(last().await.unwrap(), before, "an old payment is old news");
    app.post(m1, &format!("/api/v1/invoices/{inv}/payments"), json!({"amount": 100})).await;
    let day_start = 1_795_467_600_000; // 2026-11-24 00:00 in Moscow
    assert_eq!(last().await.unwrap(), Some(day_start));
    // An e-mail from the person lands on their deal and counts at its date.
    app.clock.advance(time::Duration::hours(3));
    let mail = source(&app, "email", json!({})).await;
    let email = "From: Ivan <ivan@sedov.test>\r\nTo: sales@vector.test\r\nSubject: Re\r\nMessage-ID: <la-1@sedov.test>\r\n\
Date: Tue, 24 Nov 2026 14:30:00 +0300\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nСчёт получили.\r\n";
    let (s, v) = deliver(&app, &mail, "message/rfc822", email.as_bytes()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    work(&app).await;
    assert_eq!(last().await.unwrap(), Some(day_start + 14 * 3_600_000 + 30 * 60_000));

    // The backfill recomputes the same value from the records.
    {
        use sea_orm::ConnectionTrait;
        let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
        conn.execute_unprepared("UPDATE organizations SET last_activity_at = NULL").await.unwrap();
        conn.close().await.unwrap();
    }
    assert_eq!(last().await.unwrap(), None);
    let report = app.db.backfill_last_activity(app.ws).await.unwrap();
    assert_eq!(report.steps.len(), 5);
    assert_eq!(last().await.unwrap(), Some(day_start + 14 * 3_600_000 + 30 * 60_000));
}

async fn the_card_block_and_its_payment_form(app: TestApp) {
    let (_, deal) = client(&app, &app.t.manager1, "7701000031").await;
    let inv = invoice(
        &app,
        &app.t.manager1,
        json!({"number": "К-7", "deal_id": deal, "amount": 150_000, "issued_on": "2026-11-01", "due_on": "2026-11-10"}),
    )
    .await;
    let id = inv["id"].as_i64().unwrap();
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, page) = ui.get(&format!("/deals/{deal}")).await;
    assert_eq!(s, StatusCode::OK);
    for needle in ["id=\"deal-invoices\"", "К-7", "Просрочен", &format!("id=\"pay-form-{id}\""), "id=\"invoice-form\"", "1\u{a0}500\u{a0}₽"]
    {
        assert!(page.contains(needle), "the card shows {needle}");
    }

    // A payment through the form, as htmx sends it.
    let path = format!("/invoices/{id}/payments");
    let (s, html) = ui
        .post_form(&path, &[("deal_id", &deal.to_string()), ("amount", "600,00"), ("paid_on", "2026-11-23"), ("reference", "п/п 5")])
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"deal-invoices\"") && html.contains("п/п 5") && html.contains("внесена"), "{html}");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!(v["data"]["paid_amount"], 60_000);
    // Too much: 422 with the message at the form, nothing saved.
    let (s, html) = ui.post_form(&path, &[("deal_id", &deal.to_string()), ("amount", "2 000"), ("paid_on", "2026-11-23")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Больше остатка") && html.contains(&format!("id=\"pay-error-{id}\"")), "{html}");
    let (s, html) = ui.post_form(&path, &[("deal_id", &deal.to_string()), ("amount", "много")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert_eq!(app.get(&app.t.manager1, &format!("/api/v1/invoices/{id}")).await.1["data"]["paid_amount"], 60_000);
    // Without the CSRF token the gate refuses.
    let resp = ui.client.post(format!("{}{path}", ui.base)).header("HX-Request", "true").form(&[("amount", "1")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // A new invoice through the form; a taken number is shown at the field.
    let new = format!("/deals/{deal}/invoices");
    let (s, html) = ui.post_form(&new, &[("number", "К-8"), ("amount", "1 500,50"), ("issued_on", "2026-11-23"), ("due_on", "")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Счёт К-8 выставлен") && html.contains("1\u{a0}500,50\u{a0}₽"), "{html}");
    let (s, html) = ui.post_form(&new, &[("number", "К-8"), ("amount", "1"), ("issued_on", "2026-11-23")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("уже есть") && html.contains("aria-invalid=\"true\""), "{html}");

    // The list with its filter, and the import form only for heads and administrators.
    let (s, list) = ui.get("/invoices?status=overdue").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("К-7") && !list.contains("К-8") && !list.contains("invoices-import-form"), "{list}");
    let head = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (_, list) = head.get("/invoices").await;
    assert!(list.contains("invoices-import-form"));
    let boundary = "----poryadok-test";
    let file = cp1251("Номер;Дата;ИНН;Сумма;Оплачено\r\nК-9;02.11.2026;7701000031;100,00;0\r\n");
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\n1\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n").into_bytes();
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = head
        .client
        .post(format!("{}/invoices/import", head.base))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &head.csrf)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Пробный прогон") && html.contains("Создано счетов"), "{html}");
    assert_eq!(invoice_by_number(&app, "К-9").await, Value::Null, "a dry run");
}

//! Marketing spend through the API, on both databases: rows entered one by one and as a
//! period's total spread over its days (to the kopeck), the refusals naming their field, channel
//! names through the aliases, the import of each ad cabinet's export (Yandex Direct CSV, VK Ads
//! CSV and XLSX, Google Ads UTF-16 tab-separated) read back by hand-computed figures, a re-import
//! that changes nothing, bad rows named by line and column with nothing written, who may read and
//! write, and another workspace that never sees a row.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    spend_is_entered_spread_listed_and_deleted,
    aliases_normalise_channels,
    each_cabinet_export_imports_and_reads_back,
    bad_rows_name_their_line_and_column_and_write_nothing,
    spend_is_for_heads_admins_and_analysts_of_its_own_workspace,
    the_spend_page_enters_imports_and_explains,
);

const SPEND: &str = "/api/v1/marketing/spend";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn save(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.post(&app.t.head, SPEND, body).await
}

/// `(day, channel, campaign, term, amount, impressions, clicks)` of the rows a query lists, by day.
async fn rows(app: &TestApp, query: &str) -> Vec<(String, String, String, String, i64, Option<i64>, Option<i64>)> {
    let (s, v) = app.get(&app.t.head, &format!("{SPEND}?limit=500{query}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut out: Vec<_> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["day"].as_str().unwrap().to_string(),
                r["channel"].as_str().unwrap().to_string(),
                r["campaign"].as_str().unwrap().to_string(),
                r["term"].as_str().unwrap().to_string(),
                r["amount"].as_i64().unwrap(),
                r["impressions"].as_i64(),
                r["clicks"].as_i64(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn spend_is_entered_spread_listed_and_deleted(app: TestApp) {
    // One day: the channel as people write it.
    let (s, v) = save(
        &app,
        json!({"day": "2026-11-20", "channel": "Яндекс.Директ", "medium": "CPC", "campaign": "brand", "amount": 150_000, "clicks": 10}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["created"].as_i64(), v["data"][0]["channel"].as_str(), v["data"][0]["medium"].as_str()),
        (Some(1), Some("yandex"), Some("cpc"))
    );
    let id = v["data"][0]["id"].as_i64().unwrap();
    // The same day again replaces the figures; it never adds a row.
    let (s, v) =
        save(&app, json!({"day": "2026-11-20", "channel": "yandex", "medium": "cpc", "campaign": "brand", "amount": 120_000, "clicks": 8}))
            .await;
    assert_eq!((s, v["updated"].as_i64(), v["data"][0]["id"].as_i64()), (StatusCode::OK, Some(1), Some(id)), "{v}");
    let (s, v) =
        save(&app, json!({"day": "2026-11-20", "channel": "yandex", "medium": "cpc", "campaign": "brand", "amount": 120_000, "clicks": 8}))
            .await;
    assert_eq!((s, v["unchanged"].as_i64()), (StatusCode::OK, Some(1)));

    // A period's total: 10.00 ₽ and 10 impressions over three days, to the kopeck.
    let (s, v) = save(
        &app,
        json!({"from": "2026-11-01", "to": "2026-11-03", "channel": "VK", "campaign": "Осень", "amount": 1_000, "impressions": 10}),
    )
    .await;
    assert_eq!((s, v["created"].as_i64(), v["amount"].as_i64()), (StatusCode::CREATED, Some(3), Some(1_000)), "{v}");
    assert_eq!(
        rows(&app, "&channel=ВКонтакте").await,
        vec![
            ("2026-11-01".into(), "vk".into(), "Осень".into(), "".into(), 334, Some(4), None),
            ("2026-11-02".into(), "vk".into(), "Осень".into(), "".into(), 333, Some(3), None),
            ("2026-11-03".into(), "vk".into(), "Осень".into(), "".into(), 333, Some(3), None),
        ]
    );
    // A month: 1 000 000.00 ₽ over November's 30 days is 33 333.34 ₽ on the first ten, 33 333.33 after.
    let (s, v) = save(&app, json!({"from": "2026-11-01", "to": "2026-11-30", "channel": "google", "amount": 100_000_000})).await;
    assert_eq!((s, v["created"].as_i64()), (StatusCode::CREATED, Some(30)));
    let g = rows(&app, "&channel=google").await;
    assert_eq!((g[0].4, g[9].4, g[10].4, g[29].4), (3_333_334, 3_333_334, 3_333_333, 3_333_333));
    assert_eq!(g.iter().map(|r| r.4).sum::<i64>(), 100_000_000);

    // Filters, the totals of every row matching and the groups.
    let (_, v) = app.get(&app.t.head, &format!("{SPEND}?from=2026-11-02&to=2026-11-20&limit=2")).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    assert_eq!(v["data"][0]["day"], "2026-11-20", "the latest day first");
    // 120 000 + 333 + 333 + 19 days of Google: 3 333 334 × 9 (2nd–10th) + 3 333 333 × 10 (11th–20th).
    assert_eq!(v["totals"]["amount"].as_i64(), Some(120_000 + 666 + 3_333_334 * 9 + 3_333_333 * 10), "{v}");
    assert_eq!(v["totals"]["rows"].as_i64(), Some(1 + 2 + 19));
    let cursor = v["next_cursor"].as_str().unwrap().to_string();
    let (_, next) = app.get(&app.t.head, &format!("{SPEND}?from=2026-11-02&to=2026-11-20&limit=2&cursor={cursor}")).await;
    assert_ne!(next["data"][0]["id"], v["data"][0]["id"]);
    let (s, t) = app.get(&app.t.head, "/api/v1/marketing/spend/totals?group_by=channel").await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let by: Vec<(&str, i64)> =
        t["data"].as_array().unwrap().iter().map(|r| (r["channel"].as_str().unwrap(), r["amount"].as_i64().unwrap())).collect();
    assert_eq!(by, vec![("google", 100_000_000), ("yandex", 120_000), ("vk", 1_000)]);
    let (_, t) = app.get(&app.t.head, "/api/v1/marketing/spend/totals?group_by=campaign&campaign=brand").await;
    assert_eq!(
        (t["data"][0]["channel"].as_str(), t["data"][0]["clicks"].as_i64(), t["data"].as_array().unwrap().len()),
        (Some("yandex"), Some(8), 1)
    );

    // Refusals, each naming its field, in a catalogue message.
    let ok = json!({"day": "2026-11-21", "channel": "yandex", "amount": 100});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    for (body, field, code) in [
        (with("amount", json!(-100)), "amount", "spend_amount_negative"),
        (with("amount", json!(10.5)), "amount", "spend_amount_shape"),
        (with("currency", json!("USD")), "currency", "spend_currency"),
        (with("day", json!("1999-12-31")), "day", "spend_day_range"),
        (with("day", json!("21.11.2026")), "day", "spend_day_shape"),
        (with("channel", json!("  ")), "channel", "spend_channel_empty"),
        (with("clicks", json!(-1)), "clicks", "spend_count_shape"),
        (json!({"from": "2026-11-05", "to": "2026-11-01", "channel": "yandex", "amount": 1}), "to", "spend_period_order"),
        (json!({"from": "2026-01-01", "to": "2027-12-31", "channel": "yandex", "amount": 1}), "to", "spend_period_too_long"),
        (json!({"channel": "yandex", "amount": 1}), "day", "required_or"),
        (with("budget", json!(1)), "budget", "unknown_field"),
    ] {
        let r = save(&app, body).await;
        assert_error(&r, 422, "validation", Some(field));
        assert_eq!(r.1["error"]["message_code"], code, "{}", r.1);
    }
    assert!(save(&app, with("currency", json!("RUB"))).await.0.is_success());
    assert_error(&app.get(&app.t.head, &format!("{SPEND}?from=2026-11-30&to=2026-11-01")).await, 422, "validation", Some("to"));
    assert_error(&app.get(&app.t.head, &format!("{SPEND}?from=вчера")).await, 422, "validation", Some("from"));
    assert_error(&app.get(&app.t.head, &format!("{SPEND}?sort=day")).await, 422, "validation", Some("sort"));

    // Delete.
    let (s, _) = app.delete(&app.t.head, &format!("{SPEND}/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(&app.get(&app.t.head, &format!("{SPEND}/{id}")).await, 404, "not_found", None);
    assert_error(&app.delete(&app.t.head, &format!("{SPEND}/{id}")).await, 404, "not_found", None);
    assert!(rows(&app, "&campaign=brand").await.is_empty());

    // Every row of a period and channel at once; a period is required.
    assert_error(&app.delete(&app.t.head, &format!("{SPEND}?channel=vk")).await, 422, "validation", Some("from"));
    assert_error(&app.delete(&app.t.manager1, &format!("{SPEND}?from=2026-11-01&to=2026-11-30")).await, 403, "forbidden", None);
    let (s, v) = app.delete(&app.t.head, &format!("{SPEND}?from=2026-11-01&to=2026-11-02&channel=ВКонтакте")).await;
    assert_eq!((s, v["deleted"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
    assert_eq!(rows(&app, "&channel=vk").await.len(), 1);
    assert_eq!(rows(&app, "&channel=google").await.len(), 30, "other channels stay");
}

async fn aliases_normalise_channels(app: TestApp) {
    const ALIASES: &str = "/api/v1/marketing/aliases";
    let (s, v) = app.get(&app.t.head, ALIASES).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let list = v["data"].as_array().unwrap();
    let of = |alias: &str| {
        list.iter().find(|a| a["alias"] == alias).map(|a| (a["id"].as_i64().unwrap(), a["channel"].as_str().unwrap().to_string()))
    };
    assert_eq!(of("ya.ru").map(|a| a.1).as_deref(), Some("yandex"));
    assert_eq!(of("яндекс.директ").map(|a| a.1).as_deref(), Some("yandex"));
    assert_eq!(of("vk ads").map(|a| a.1).as_deref(), Some("vk"));
    assert_eq!(of("adwords").map(|a| a.1).as_deref(), Some("google"));
    let ya_ru = of("ya.ru").unwrap().0;

    // A workspace's own alias.
    let (s, v) = app.post(&app.t.head, ALIASES, json!({"alias": "  Дзен ", "channel": "PromoPages"})).await;
    assert_eq!(
        (s, v["data"]["alias"].as_str(), v["data"]["channel"].as_str()),
        (StatusCode::CREATED, Some("дзен"), Some("promopages")),
        "{v}"
    );
    let (_, v) = app.post(&app.t.head, SPEND, json!({"day": "2026-11-20", "channel": "ДЗЕН", "amount": 500})).await;
    assert_eq!(v["data"][0]["channel"], "promopages");
    // Pointed elsewhere; an alias of an alias leads to its channel.
    let (s, v) = app.call(reqwest::Method::PUT, &app.t.head, ALIASES, Some(json!({"alias": "дзен", "channel": "Яндекс"}))).await;
    assert_eq!((s, v["data"]["channel"].as_str()), (StatusCode::OK, Some("yandex")), "{v}");
    // Removed: the name stands for itself.
    let (s, _) = app.delete(&app.t.head, &format!("{ALIASES}/{ya_ru}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = app.post(&app.t.head, SPEND, json!({"day": "2026-11-20", "channel": "YA.RU", "amount": 500})).await;
    assert_eq!(v["data"][0]["channel"], "ya.ru");
    // The built-in ones come back on request; changed ones stay.
    let (s, v) = app.post(&app.t.head, &format!("{ALIASES}/defaults"), json!({})).await;
    assert_eq!((s, v["added"].as_i64()), (StatusCode::OK, Some(1)), "{v}");
    // A channel filter in any spelling.
    assert_eq!(rows(&app, "&channel=Дзен").await.len(), 0);
    assert_eq!(rows(&app, "&channel=ya.ru").await.len(), 0, "ya.ru is yandex again");
    assert_eq!(rows(&app, "&channel=Яндекс").await.len(), 0);
    assert_eq!(rows(&app, "&channel=promopages").await.len(), 1);
    assert_error(&app.post(&app.t.head, ALIASES, json!({"alias": " ", "channel": "x"})).await, 422, "validation", Some("alias"));
    assert_error(&app.post(&app.t.head, ALIASES, json!({"alias": "x", "channel": ""})).await, 422, "validation", Some("channel"));
    assert_error(&app.post(&app.t.manager1, ALIASES, json!({"alias": "x", "channel": "y"})).await, 403, "forbidden", None);
    assert_error(&app.get(&app.t.manager1, ALIASES).await, 403, "forbidden", None);
    // Another workspace has its own aliases (the built-in ones) and cannot touch these.
    let (_, other) = app.get(&app.t.other_admin, ALIASES).await;
    assert!(other["data"].as_array().unwrap().iter().all(|a| a["alias"] != "дзен"));
    let mine = app.get(&app.t.head, ALIASES).await.1["data"].as_array().unwrap().iter().find(|a| a["alias"] == "дзен").unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_error(&app.delete(&app.t.other_admin, &format!("{ALIASES}/{mine}")).await, 404, "not_found", None);
}

async fn import(app: &TestApp, token: &str, query: &str, body: Vec<u8>, ctype: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}{SPEND}/import{query}", app.base))
        .bearer_auth(token)
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    let s = resp.status();
    (s, resp.json().await.unwrap())
}

/// Yandex Direct's report wizard: a title, the period, `;`, a BOM, decimal commas, thousands
/// spaces, DD.MM.YYYY, a split row (two ad groups, one keyword) and the total.
pub const YANDEX: &str = "\u{feff}Статистика по дням\r\nПериод: 20.11.2026 - 21.11.2026\r\n\
Дата;Кампания;Условие показа;Показы;Клики;Расход (руб.)\r\n\
20.11.2026;brand;внедрение crm;1 200;35;1 234,56\r\n\
20.11.2026;brand;внедрение crm;100;5;100\r\n\
21.11.2026;crm_msk_search;сквозная аналитика;3 400;80;10 000\r\n\
Итого;;;4 700;120;11 334,56\r\n";

/// A sheet: the rows as given; a number is a number cell, `=d:` a date cell.
fn sheet(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
    let ws = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if let Some(serial) = cell.strip_prefix("=d:") {
                ws.write_number_with_format(r, c, serial.parse::<f64>().unwrap(), &date).unwrap();
            } else if let Ok(n) = cell.parse::<f64>() {
                ws.write_number(r, c, n).unwrap();
            } else {
                ws.write_string(r, c, *cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// A multipart form as a browser sends it: the file in `file`, then the fields.
pub fn multipart(file: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----poryadok-test-boundary";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"spend.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(file);
    for (k, v) in fields {
        body.extend(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}").into_bytes());
    }
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn each_cabinet_export_imports_and_reads_back(app: TestApp) {
    let h = app.t.head.clone();
    // Yandex Direct: a preview first, nothing stored.
    let (s, v) = import(&app, &h, "?dry_run=true", YANDEX.as_bytes().to_vec(), "text/csv").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["data"];
    assert_eq!((r["shape"].as_str(), r["channel"].as_str(), r["applied"].as_bool()), (Some("yandex_direct"), Some("yandex"), Some(false)));
    assert_eq!(
        (r["rows"].as_i64(), r["skipped"].as_i64(), r["merged"].as_i64(), r["created"].as_i64()),
        (Some(3), Some(1), Some(1), Some(2)),
        "{r}"
    );
    assert_eq!(
        (r["amount"].as_i64(), r["first_day"].as_str(), r["last_day"].as_str()),
        (Some(1_133_456), Some("2026-11-20"), Some("2026-11-21"))
    );
    assert_eq!(r["columns"]["amount"], "Расход (руб.)");
    assert_eq!(
        r["lines"][0],
        json!({"line": 4, "day": "2026-11-20", "channel": "yandex", "medium": "", "campaign": "brand", "term": "внедрение crm", "impressions": 1300, "clicks": 40, "amount": 133_456, "action": "created"})
    );
    assert!(rows(&app, "").await.is_empty(), "a dry run stores nothing");
    // For real, then read back.
    let (s, v) = import(&app, &h, "", YANDEX.as_bytes().to_vec(), "text/csv").await;
    assert_eq!((s, v["data"]["applied"].as_bool(), v["data"]["created"].as_i64()), (StatusCode::OK, Some(true), Some(2)), "{v}");
    assert!(v["data"]["import_id"].as_i64().is_some());
    assert_eq!(
        rows(&app, "&channel=yandex").await,
        vec![
            ("2026-11-20".into(), "yandex".into(), "brand".into(), "внедрение crm".into(), 133_456, Some(1_300), Some(40)),
            ("2026-11-21".into(), "yandex".into(), "crm_msk_search".into(), "сквозная аналитика".into(), 1_000_000, Some(3_400), Some(80)),
        ]
    );
    // The same file again changes nothing; a corrected one replaces the figure it changes.
    let (_, v) = import(&app, &h, "", YANDEX.as_bytes().to_vec(), "text/csv").await;
    assert_eq!(
        (v["data"]["created"].as_i64(), v["data"]["updated"].as_i64(), v["data"]["unchanged"].as_i64()),
        (Some(0), Some(0), Some(2)),
        "{v}"
    );
    assert_eq!(v["data"]["import_id"], Value::Null);
    let corrected = YANDEX.replace("10 000", "9 000,50");
    let (_, v) = import(&app, &h, "", corrected.into_bytes(), "text/csv").await;
    assert_eq!((v["data"]["updated"].as_i64(), v["data"]["unchanged"].as_i64()), (Some(1), Some(1)));
    assert_eq!(rows(&app, "&campaign=crm_msk_search").await[0].4, 900_050);
    assert_eq!(rows(&app, "").await.len(), 2, "never added, only replaced");

    // VK Ads, English CSV with commas.
    let vk = "Date,Campaign,Impressions,Clicks,Spent\n2026-11-20,Retarget,\"1,500\",12,\"2,500.50\"\n2026-11-21,Retarget,900,7,1499.5\n";
    let (s, v) = import(&app, &h, "", vk.as_bytes().to_vec(), "text/csv").await;
    assert_eq!((s, v["data"]["shape"].as_str(), v["data"]["created"].as_i64()), (StatusCode::OK, Some("vk_ads"), Some(2)), "{v}");
    // VK Ads, a Russian sheet with date cells (46348 is 22.11.2026).
    let book = sheet(&[&["Дата", "Кампания", "Показы", "Клики", "Потрачено, ₽"], &["=d:46348", "Осень", "10", "1", "99.9"]]);
    let (s, v) = import(&app, &h, "", book, XLSX).await;
    assert_eq!((s, v["data"]["shape"].as_str()), (StatusCode::OK, Some("vk_ads")), "{v}");
    assert_eq!(
        rows(&app, "&channel=vk").await,
        vec![
            ("2026-11-20".into(), "vk".into(), "Retarget".into(), "".into(), 250_050, Some(1_500), Some(12)),
            ("2026-11-21".into(), "vk".into(), "Retarget".into(), "".into(), 149_950, Some(900), Some(7)),
            ("2026-11-22".into(), "vk".into(), "Осень".into(), "".into(), 9_990, Some(10), Some(1)),
        ]
    );
    // Google Ads: UTF-16 with a BOM, tab-separated, two title lines (one with commas), `--`
    // for no keyword, and the totals.
    let google = "Campaign report\nNovember 20, 2026 - November 21, 2026\nDay\tCampaign\tKeyword\tCurrency code\tImpr.\tClicks\tCost\n\
2026-11-20\tSearch RU\tcrm system\tRUB\t1,234\t56\t789.01\n\"Nov 21, 2026\"\tSearch RU\t--\tRUB\t100\t2\t10.00\nTotal: Account\t\t\t\t1,334\t58\t799.01\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(google.encode_utf16().flat_map(u16::to_le_bytes));
    let (s, v) = import(&app, &h, "", bytes, "text/csv").await;
    assert_eq!((s, v["data"]["shape"].as_str(), v["data"]["skipped"].as_i64()), (StatusCode::OK, Some("google_ads"), Some(1)), "{v}");
    assert_eq!(
        rows(&app, "&channel=Google Ads").await,
        vec![
            ("2026-11-20".into(), "google".into(), "Search RU".into(), "crm system".into(), 78_901, Some(1_234), Some(56)),
            ("2026-11-21".into(), "google".into(), "Search RU".into(), "".into(), 1_000, Some(100), Some(2)),
        ]
    );

    // A file of no known shape: the columns mapped and the channel given, as a multipart form.
    let own = "Когда;Что;Ключ;Деньги\n23.11.2026;Промо;;1 500\n".as_bytes().to_vec();
    let fields = [("channel", "Дзен"), ("medium", "cpm"), ("map.date", "Когда"), ("map.campaign", "Что"), ("map.amount", "4")];
    let (ctype, body) = multipart(&own, &fields);
    let (s, v) = import(&app, &h, "", body, &ctype).await;
    assert_eq!((s, v["data"]["shape"].as_str(), v["data"]["created"].as_i64()), (StatusCode::OK, Some("generic"), Some(1)), "{v}");
    assert_eq!(v["data"]["lines"][0]["channel"], "дзен");
    assert_eq!(v["data"]["lines"][0]["medium"], "cpm");
    assert_eq!(v["data"]["lines"][0]["amount"], 150_000);
    // The mapping in the query; without it the file has no date column.
    assert_error(&import(&app, &h, "?channel=x", own.clone(), "text/csv").await, 422, "validation", Some("map.date"));
    let (s, _) = import(&app, &h, "?channel=x&map.date=1&map.amount=%D0%94%D0%B5%D0%BD%D1%8C%D0%B3%D0%B8", own.clone(), "text/csv").await;
    assert_eq!(s, StatusCode::OK);
    assert_error(
        &import(&app, &h, "?channel=x&map.date=1&map.amount=Бюджет", own.clone(), "text/csv").await,
        422,
        "validation",
        Some("map.amount"),
    );
    assert_error(&import(&app, &h, "?map.price=1", own.clone(), "text/csv").await, 422, "validation", Some("map.price"));
    // No channel column and no shape: the channel is asked for.
    assert_error(&import(&app, &h, "?map.date=1&map.amount=4", own, "text/csv").await, 422, "validation", Some("channel"));
}

async fn bad_rows_name_their_line_and_column_and_write_nothing(app: TestApp) {
    let h = app.t.head.clone();
    let file = "Дата;Кампания;Клики;Расход\n\
                2026-11-01;a;1;100\n\
                31.02.2026;b;1;100\n\
                2101-01-01;c;1;100\n\
                2026-11-02;d;много;100\n\
                2026-11-03;e;1;-5\n\
                2026-11-04;f;1;\n";
    let (s, v) = import(&app, &h, "?channel=yandex", file.as_bytes().to_vec(), "text/csv").await;
    assert_error(&(s, v.clone()), 422, "validation", Some("file"));
    assert_eq!(v["error"]["message_code"], "spend_import_rows_refused");
    assert_eq!(v["error"]["args"], json!({"n": 5, "line": 3, "column": "Дата"}));
    let bad: Vec<(i64, &str, &str)> = v["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["column"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        bad,
        vec![
            (3, "Дата", "bad_date"),
            (4, "Дата", "date_range"),
            (5, "Клики", "bad_count"),
            (6, "Расход", "negative"),
            (7, "Расход", "required")
        ]
    );
    assert_eq!(v["error"]["rows"][3]["message_code"], "spend_amount_negative");
    assert!(rows(&app, "").await.is_empty(), "a failed run writes nothing, the good row neither");
    // A dry run reports the same rows and what the good one would do.
    let (s, v) = import(&app, &h, "?channel=yandex&dry_run=true", file.as_bytes().to_vec(), "text/csv").await;
    assert_eq!((s, v["data"]["created"].as_i64(), v["data"]["errors"].as_array().unwrap().len()), (StatusCode::OK, Some(1), 5), "{v}");
    assert!(rows(&app, "").await.is_empty());
    // Another currency in a column, or in the amount's header.
    let (s, v) = import(&app, &h, "?channel=yandex", "Дата;Расход;Валюта\n2026-11-01;100;USD\n".as_bytes().to_vec(), "text/csv").await;
    assert_eq!(
        (s, v["error"]["rows"][0]["code"].as_str(), v["error"]["rows"][0]["column"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("currency"), Some("Валюта")),
        "{v}"
    );
    assert_error(
        &import(&app, &h, "", "Дата;Расход (USD)\n2026-11-01;100\n".as_bytes().to_vec(), "text/csv").await,
        422,
        "validation",
        Some("map.amount"),
    );
    // Files that do not read at all.
    assert_error(&import(&app, &h, "", Vec::new(), "text/csv").await, 422, "validation", Some("file"));
    assert_error(&import(&app, &h, "", b"PK\x03\x04 not really a workbook".to_vec(), XLSX).await, 422, "validation", Some("file"));
    assert_error(&import(&app, &h, "", "a;b\n1;2\n".as_bytes().to_vec(), "text/csv").await, 422, "validation", Some("map.date"));
    assert!(rows(&app, "").await.is_empty());
}

async fn spend_is_for_heads_admins_and_analysts_of_its_own_workspace(app: TestApp) {
    let body = json!({"day": "2026-11-20", "channel": "yandex", "amount": 100});
    for token in [&app.t.admin, &app.t.analyst] {
        assert!(app.post(token, SPEND, body.clone()).await.0.is_success());
    }
    let (_, v) = app.get(&app.t.analyst, SPEND).await;
    let id = v["data"][0]["id"].as_i64().unwrap();
    // Managers neither read nor write spend.
    for r in [
        app.get(&app.t.manager1, SPEND).await,
        app.get(&app.t.manager1, &format!("{SPEND}/totals")).await,
        app.get(&app.t.manager1, &format!("{SPEND}/{id}")).await,
        app.post(&app.t.manager1, SPEND, body.clone()).await,
        app.delete(&app.t.manager1, &format!("{SPEND}/{id}")).await,
        import(&app, &app.t.manager1, "", YANDEX.as_bytes().to_vec(), "text/csv").await,
    ] {
        assert_error(&r, 403, "forbidden", None);
    }
    let (_, v) = app.post(&app.t.manager1, SPEND, body.clone()).await;
    assert_eq!(v["error"]["message_code"], "spend_writers_only");
    // Another workspace never sees the rows, nor reaches them by id.
    let (s, v) = app.get(&app.t.other_admin, SPEND).await;
    assert_eq!((s, v["data"].as_array().unwrap().len(), v["totals"]["amount"].as_i64()), (StatusCode::OK, 0, Some(0)), "{v}");
    let (_, t) = app.get(&app.t.other_admin, &format!("{SPEND}/totals")).await;
    assert_eq!(t["data"], json!([]));
    assert_error(&app.get(&app.t.other_admin, &format!("{SPEND}/{id}")).await, 404, "not_found", None);
    assert_error(&app.delete(&app.t.other_admin, &format!("{SPEND}/{id}")).await, 404, "not_found", None);
    // Its own row of the same key is its own.
    let (s, v) = app.post(&app.t.other_admin, SPEND, body).await;
    assert_eq!((s, v["created"].as_i64()), (StatusCode::CREATED, Some(1)));
    let (_, mine) = app.get(&app.t.head, SPEND).await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    assert_eq!(mine["data"][0]["id"].as_i64(), Some(id));
    // The rows' history records who wrote them.
    let (_, hist) = app.get(&app.t.admin, &format!("/api/v1/marketing/spend/{id}")).await;
    assert_eq!(hist["data"]["amount"], 100);
}

/// The page as a head and a manager get it: the empty state, a day and a period entered through
/// the form (the confirmation, the rows), a refused amount at its field with nothing saved, the
/// import's preview and its refusal of bad rows, an alias set, and a manager refused.
async fn the_spend_page_enters_imports_and_explains(app: TestApp) {
    let (_, me) = app.get(&app.t.head, "/api/v1/me").await;
    let head = app.ui_login(me["data"]["user"]["id"].as_i64().unwrap(), "head@a.test").await;
    let (s, page) = head.get("/marketing/spend").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"spend-empty\"") && page.contains("href=\"/marketing\""), "the empty state and the report's link");
    // The last 30 days by default (today is 23 November 2026).
    assert!(page.contains("value=\"2026-10-25\"") && page.contains("value=\"2026-11-23\""));
    let form = [("from", "2026-11-20"), ("channel", "Яндекс"), ("campaign", "brand"), ("amount", "1 500,50"), ("clicks", "12")];
    let (s, body) = head.post_form("/marketing/spend?from=2026-11-01&to=2026-11-30", &form).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("id=\"spend-saved\"") && body.contains("1\u{a0}500,50\u{a0}₽"), "{body}");
    assert!(body.contains("id=\"spend-totals\"") && body.contains(">yandex</a>"), "{body}");
    let form = [("from", "2026-11-01"), ("to", "2026-11-10"), ("channel", "vk"), ("amount", "1000")];
    let (s, body) = head.post_form("/marketing/spend?from=2026-11-01&to=2026-11-30", &form).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("на 10 дн."), "{body}");
    assert_eq!(rows(&app, "&channel=vk").await.len(), 10);
    // A negative amount: at its field, nothing saved, the typed values kept.
    let form = [("from", "2026-11-21"), ("channel", "vk"), ("amount", "-5")];
    let (s, body) = head.post_form("/marketing/spend", &form).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("id=\"spend-add-amount-error\"") && body.contains("не может быть отрицательной") && body.contains("value=\"-5\""),
        "{body}"
    );
    let form = [("from", "1999-01-01"), ("channel", "vk"), ("amount", "5")];
    let (s, body) = head.post_form("/marketing/spend", &form).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"spend-add-from-error\"") && body.contains("вне диапазона"), "{body}");
    assert_eq!(rows(&app, "").await.len(), 11);

    // The import through the page: a preview, then a refusal of a file with a bad row.
    let post_file = |query: &'static str, file: &'static str| {
        let (ctype, bytes) = multipart(file.as_bytes(), &[("channel", if file.contains("Условие") { "" } else { "yandex" })]);
        let (client, base, csrf) = (head.client.clone(), head.base.clone(), head.csrf.clone());
        async move {
            let resp = client
                .post(format!("{base}/marketing/spend/import{query}"))
                .header("HX-Request", "true")
                .header("X-CSRF-Token", csrf)
                .header("content-type", ctype)
                .body(bytes)
                .send()
                .await
                .unwrap();
            (resp.status(), resp.text().await.unwrap())
        }
    };
    let (s, body) = post_file("?dry_run=1", YANDEX).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("id=\"spend-import-lines\"") && body.contains("Ничего не сохранено") && body.contains("Яндекс.Директ"), "{body}");
    let (s, body) = post_file("", "Дата;Кампания;Расход\n2026-11-01;a;100\n2026-11-02;b;сто\n").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"spend-import-errors\"") && body.contains("Ничего не записано") && body.contains("«сто»"), "{body}");
    let (s, body) = post_file("?from=2026-11-01&to=2026-11-30", YANDEX).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("Загружено") && body.contains("hx-swap-oob=\"true\"") && body.contains("crm_msk_search"),
        "the rows brought up to date: {body}"
    );

    // Every row the filter shows, at once.
    let (s, body) = head.post_form("/marketing/spend/delete?from=2026-11-21&to=2026-11-21", &[]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("Удалено строк расхода: 1"), "{body}");

    // An alias.
    let (s, body) = head.post_form("/marketing/aliases", &[("alias", "Дзен"), ("channel", "promopages")]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("id=\"spend-aliases-saved\"") && body.contains("дзен"), "{body}");
    let (s, body) = head.post_form("/marketing/aliases", &[("alias", ""), ("channel", "x")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"spend-aliases-error\""), "{body}");

    // A manager is refused the page and its forms.
    let manager = app.ui_login(app.ids.manager1, "m1@a.test").await;
    assert_eq!(manager.get("/marketing/spend").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        manager.post_form("/marketing/spend", &[("from", "2026-11-20"), ("channel", "x"), ("amount", "1")]).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(rows(&app, "").await.len(), 12);
}

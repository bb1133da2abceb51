//! End-to-end analytics (issue 18) over leads that came in through real intake deliveries with
//! their UTM marks, spend rows of the period, won deals and paid invoices — every figure worked
//! out by hand: the seed's four channels, first against last touch for a client who came twice,
//! a channel with spend and no leads, leads without a source, bad parameters, what a manager
//! sees, another workspace's spend, the drill-down to the leads themselves, the page, the card
//! and the dashboard's tile.
use crate::helpers::*;
use crate::intake::{call, source, work, Hook};
use crate::reports_stage_time::{at, linked_deals};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use std::collections::HashMap;

crate::both_dbs!(
    the_seed_ranks_the_channel_whose_leads_buy_above_the_one_with_more_leads,
    first_and_last_touch_credit_a_client_who_came_twice_differently,
    bad_parameters_are_named_and_each_reader_sees_their_own,
    the_marketing_page_drills_down_from_channel_to_the_leads,
);

/// A spend row, written as the spend side stores it.
#[allow(clippy::too_many_arguments)]
pub async fn spend(app: &TestApp, ws: &str, day: &str, channel: &str, campaign: &str, term: &str, amount: i64, clicks: i64) {
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    let sql = format!(
        "INSERT INTO marketing_spend (workspace_id, day, channel, medium, campaign, term, impressions, clicks, amount, created_at, updated_at) \
         SELECT {ws}, '{day}', '{channel}', 'cpc', '{campaign}', '{term}', {}, {clicks}, {amount}, 0, 0",
        clicks * 10
    );
    conn.execute_unprepared(&sql).await.unwrap();
}

/// The test workspace's id as SQL, and the other workspace's.
fn own(app: &TestApp) -> String {
    app.ws.to_string()
}
fn other(app: &TestApp) -> String {
    format!("(SELECT workspace_id FROM pipelines WHERE id = {})", app.ids.other_pipeline)
}

async fn alias(app: &TestApp, alias: &str, channel: &str) {
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    let sql =
        format!("INSERT INTO channel_aliases (workspace_id, alias, channel, created_at) VALUES ({}, '{alias}', '{channel}', 0)", app.ws);
    conn.execute_unprepared(&sql).await.unwrap();
}

/// Calls from new numbers with these marks (`utm` as the generic telephony shape takes it:
/// `{"source": …, "campaign": …, "term": …}`; none: a call without marks), processed; their
/// deals' ids in the same order.
pub async fn calls(app: &TestApp, hook: &Hook, first: u32, marks: &[Option<Value>]) -> Vec<i64> {
    let phone = |i: u32| format!("+7999{:07}", first + i);
    for (i, m) in marks.iter().enumerate() {
        let mut body = json!({"call_id": format!("m-{}", first + i as u32), "from": phone(i as u32), "direction": "in", "status": "answered", "duration": 40});
        if let Some(m) = m {
            body["utm"] = m.clone();
        }
        let (s, v) = call(app, hook, body).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    }
    work(app).await;
    let deals = app.all_records(&app.t.admin, "deals", "", 200).await;
    let by_phone: HashMap<String, i64> = deals
        .iter()
        .map(|d| (d["title"].as_str().unwrap_or("").chars().filter(char::is_ascii_digit).collect::<String>(), d["id"].as_i64().unwrap()))
        .collect();
    (0..marks.len() as u32).map(|i| by_phone[&phone(i)[1..]]).collect()
}

fn utm(source: &str, campaign: &str, term: &str) -> Option<Value> {
    let mut m = json!({"source": source});
    if !campaign.is_empty() {
        m["campaign"] = json!(campaign);
    }
    if !term.is_empty() {
        m["term"] = json!(term);
    }
    Some(m)
}

/// Wins a deal for `value` and, when `invoice` says so, bills it and records its payment on `paid_on`.
pub async fn sell(app: &TestApp, deal: i64, value: i64, paid_on: Option<&str>) {
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{deal}"), json!({"value": value, "status": "won"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    if let Some(day) = paid_on {
        let (s, inv) = app
            .post(
                &app.t.admin,
                "/api/v1/invoices",
                json!({"number": format!("M-{deal}"), "deal_id": deal, "amount": value, "issued_on": day}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{inv}");
        let id = inv["data"]["id"].as_i64().unwrap();
        let (s, p) = app.post(&app.t.admin, &format!("/api/v1/invoices/{id}/payments"), json!({"amount": value, "paid_on": day})).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
    }
}

async fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, v) = app.get(token, &format!("/api/v1/reports/marketing?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["data"].clone()
}

fn row<'a>(d: &'a Value, channel: Option<&str>) -> &'a Value {
    d["rows"].as_array().unwrap().iter().find(|r| r["channel"].as_str() == channel).unwrap_or_else(|| panic!("no row {channel:?}: {d}"))
}

/// Spend, leads, deals, sales and revenue of a row.
fn counts(r: &Value) -> [Option<i64>; 5] {
    ["spend", "leads", "deals", "won", "revenue"].map(|k| r[k].as_i64())
}

/// Cost per lead, cost per sale, ROMI, conversion, the average check and the share of spend.
fn ratios(r: &Value) -> (Value, Value, Value, Value, Value, Value) {
    (
        r["cost_per_lead"].clone(),
        r["cost_per_sale"].clone(),
        r["romi"].clone(),
        r["conversion"].clone(),
        r["average_check"].clone(),
        r["spend_share"].clone(),
    )
}

const SALE: i64 = 2_000_000;

/// The seed (001): four channels, 10 000 ₽ each in November (a sale is 20 000 ₽):
///
/// | channel | leads (marks) | deals | sales |
/// |---|---|---|---|
/// | yandex | 10: `yandex`, `Яндекс.Директ`, `ya.ru`; 6 Brand/crm, 4 Generic/crm система | 10 | 10 |
/// | promopages | 50: 40 `promopages`, 10 `ПромоСтраницы` (a workspace alias) | 15 (10 moved on) | 5 |
/// | vk | 20 | 1 | 1 |
/// | google | — | — | — |
/// | no source | 4: three calls without marks, one `(direct)` | 1 | 1 |
///
/// Every sale is billed and paid on 20.11. Spend also outside November (not counted), and in the
/// other workspace (never seen).
pub async fn seed(app: &TestApp) -> HashMap<&'static str, Vec<i64>> {
    let ws = own(app);
    for (day, channel, campaign, term, amount, clicks) in [
        ("2026-11-01", "yandex", "Brand", "crm", 300_000, 40),
        ("2026-11-02", "yandex", "Brand", "crm", 300_000, 40),
        ("2026-11-03", "yandex", "Generic", "crm система", 400_000, 70),
        ("2026-10-31", "yandex", "Brand", "crm", 500_000, 50),
        ("2026-11-05", "promopages", "Статьи", "", 1_000_000, 900),
        ("2026-11-05", "vk", "", "", 1_000_000, 300),
        ("2026-11-06", "google", "Поиск", "", 1_000_000, 120),
    ] {
        spend(app, &ws, day, channel, campaign, term, amount, clicks).await;
    }
    spend(app, &other(app), "2026-11-05", "yandex", "Brand", "crm", 99_900_000, 1).await;
    alias(app, "промостраницы", "promopages").await;
    // Every lead is the administrator's until given to a manager.
    let hook = source(app, "telephony", json!({"preset": "generic", "owner_id": app.ids.admin})).await;
    let mut ids = HashMap::new();
    let yandex: Vec<Option<Value>> = (0..10)
        .map(|i| {
            let src = ["yandex", "Яндекс.Директ", "ya.ru"][i % 3];
            if i < 6 {
                utm(src, "Brand", "crm")
            } else {
                utm(src, "generic", "CRM система")
            }
        })
        .collect();
    ids.insert("yandex", calls(app, &hook, 100, &yandex).await);
    let promo: Vec<Option<Value>> = (0..50).map(|i| utm(if i < 40 { "promopages" } else { "ПромоСтраницы" }, "Статьи", "")).collect();
    ids.insert("promopages", calls(app, &hook, 200, &promo).await);
    ids.insert("vk", calls(app, &hook, 300, &vec![utm("vk", "", ""); 20]).await);
    ids.insert("none", calls(app, &hook, 400, &[None, None, None, utm("(direct)", "", "")]).await);
    for d in &ids["yandex"] {
        sell(app, *d, SALE, Some("2026-11-20")).await;
    }
    for (i, d) in ids["promopages"].iter().enumerate() {
        if i % 10 == 0 {
            sell(app, *d, SALE, Some("2026-11-20")).await;
        } else if i % 10 == 1 || i % 10 == 2 {
            let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{d}"), json!({"stage_id": app.ids.stages[1]})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    }
    sell(app, ids["vk"][7], SALE, Some("2026-11-20")).await;
    sell(app, ids["none"][3], SALE, Some("2026-11-20")).await;
    ids
}

async fn the_seed_ranks_the_channel_whose_leads_buy_above_the_one_with_more_leads(app: TestApp) {
    seed(&app).await;
    let d = report(&app, &app.t.head, "").await;
    assert_eq!(
        (d["period"]["from"].as_str(), d["group_by"].as_str(), d["attribution"].as_str(), d["basis"].as_str(), d["revenue"].as_str()),
        (Some("2026-11-01"), Some("source"), Some("last_non_direct"), Some("created"), Some("won"))
    );
    let channels: Vec<Option<&str>> = d["rows"].as_array().unwrap().iter().map(|r| r["channel"].as_str()).collect();
    assert_eq!(channels, [Some("yandex"), Some("promopages"), Some("vk"), Some("google"), None], "the best ROMI first; none last");

    // Yandex: 10 leads for 10 000 ₽, all bought: 1 000 ₽ a lead and a sale, ROMI (200 000 − 10 000) / 10 000.
    let y = row(&d, Some("yandex"));
    assert_eq!(counts(y), [Some(1_000_000), Some(10), Some(10), Some(10), Some(20_000_000)]);
    assert_eq!(ratios(y), (json!(100_000), json!(100_000), json!(19.0), json!(1.0), json!(SALE), json!(0.05)));
    assert_eq!((y["impressions"].as_i64(), y["clicks"].as_i64()), (Some(1_500), Some(150)), "October's spend is not November's");
    // PromoPages: 50 leads look cheaper (200 ₽), but 5 sales cost 2 000 ₽ each: ROMI 9.
    let p = row(&d, Some("promopages"));
    assert_eq!(counts(p), [Some(1_000_000), Some(50), Some(15), Some(5), Some(10_000_000)]);
    assert_eq!(ratios(p), (json!(20_000), json!(200_000), json!(9.0), json!(0.1), json!(SALE), json!(0.1)));
    let vk = row(&d, Some("vk"));
    assert_eq!(counts(vk), [Some(1_000_000), Some(20), Some(1), Some(1), Some(SALE)]);
    assert_eq!(ratios(vk), (json!(50_000), json!(1_000_000), json!(1.0), json!(0.05), json!(SALE), json!(0.5)));
    // Spend and no leads: nothing to divide by is null, never an error; ROMI is −100 %.
    let g = row(&d, Some("google"));
    assert_eq!(counts(g), [Some(1_000_000), Some(0), Some(0), Some(0), Some(0)]);
    assert_eq!(ratios(g), (Value::Null, Value::Null, json!(-1.0), Value::Null, Value::Null, Value::Null));
    // No source: the calls without marks and the direct one, never dropped; no spend, no cost.
    let n = row(&d, None);
    assert_eq!(counts(n), [Some(0), Some(4), Some(1), Some(1), Some(SALE)]);
    assert_eq!(ratios(n), (Value::Null, Value::Null, Value::Null, json!(0.25), json!(SALE), json!(0.0)));
    assert_eq!(
        counts(&d["total"]),
        [Some(4_000_000), Some(84), Some(27), Some(17), Some(34_000_000)],
        "the other workspace's spend is not here"
    );
    assert_eq!(d["total"]["romi"], json!(7.5));

    // Ranked by cost per sale and by ROMI, Yandex is above PromoPages.
    let order = |d: &Value| d["rows"].as_array().unwrap().iter().map(|r| r["channel"].as_str().map(String::from)).collect::<Vec<_>>();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(order(&report(&app, &app.t.head, "sort=cost_per_sale").await), [s("yandex"), s("promopages"), s("vk"), s("google"), None]);
    assert_eq!(order(&report(&app, &app.t.head, "sort=-romi").await)[..2], [s("yandex"), s("promopages")]);
    assert_eq!(
        order(&report(&app, &app.t.head, "sort=cost_per_lead").await)[..3],
        [s("promopages"), s("vk"), s("yandex")],
        "leads alone mislead"
    );
    assert_eq!(order(&report(&app, &app.t.head, "sort=-leads").await)[0], s("promopages"));

    // Sales as paid invoices, and by the payment date: the same figures, since every sale paid in November.
    for q in ["revenue=paid", "basis=paid", "basis=paid&revenue=paid", "attribution=first", "attribution=last"] {
        let x = report(&app, &app.t.head, q).await;
        for ch in [Some("yandex"), Some("promopages"), Some("vk"), None] {
            assert_eq!(counts(row(&x, ch)), counts(row(&d, ch)), "{q}: {ch:?}");
        }
    }
    // By the payment date, December has the spend of nothing and no sales; by creation the same.
    let dec = report(&app, &app.t.head, "from=2026-12-01&to=2026-12-31&basis=paid&revenue=paid").await;
    assert_eq!(counts(&dec["total"]), [Some(0), Some(0), Some(0), Some(0), Some(0)]);
    assert!(dec["rows"].as_array().unwrap().is_empty(), "{dec}");

    // Campaigns of Yandex, their keywords: spend and leads meet however the marks are written.
    let c = report(&app, &app.t.head, "group_by=campaign&channel=yandex&sort=name").await;
    let rows = c["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{c}");
    assert_eq!((rows[0]["campaign"].as_str(), rows[0]["campaign_key"].as_str()), (Some("Brand"), Some("brand")));
    assert_eq!(counts(&rows[0]), [Some(600_000), Some(6), Some(6), Some(6), Some(12_000_000)]);
    assert_eq!((rows[1]["campaign"].as_str(), rows[1]["cost_per_lead"].as_i64()), (Some("Generic"), Some(100_000)));
    let t = report(&app, &app.t.head, "group_by=term&channel=yandex&campaign=Generic").await;
    let rows = t["rows"].as_array().unwrap();
    assert_eq!(
        (rows.len(), rows[0]["term"].as_str(), rows[0]["leads"].as_i64(), rows[0]["spend"].as_i64()),
        (1, Some("crm система"), Some(4), Some(400_000))
    );

    // The export: a row per channel and the total; a dash is an empty cell.
    let resp = app.client.get(format!("{}/api/v1/reports/marketing?format=csv", app.base)).bearer_auth(&app.t.head).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].contains("Канал") && lines[0].contains("ROMI") && lines[0].contains("Цена продажи"), "{csv}");
    assert_eq!(lines[1], "yandex,10000.00,1500,150,10,10,10,200000.00,1000.00,1000.00,100.0,20000.00,1900.0,5.0", "{csv}");
    assert!(lines.iter().any(|l| l.starts_with("google,10000.00,") && l.ends_with(",0,0,0,0.00,,,,,-100.0,")), "{csv}");
    assert!(lines.last().unwrap().starts_with("Итого,40000.00,"), "{csv}");
    let resp = app.client.get(format!("{}/api/v1/reports/marketing?format=xlsx", app.base)).bearer_auth(&app.t.head).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().starts_with(b"PK"));
}

/// A client calls from Yandex on 2.12, from VK on 10.12 and directly on 12.12 — three touches
/// on one deal, won for 30 000 ₽; another calls once from VK and does not buy. 5 000 ₽ of spend
/// on each channel in December.
///
/// | model | yandex | vk | no source |
/// |---|---|---|---|
/// | first | 1 lead, 1 sale, ROMI 5 | 1 lead, ROMI −1 | — |
/// | last | ROMI −1 | 1 lead, ROMI −1 | 1 lead, 1 sale |
/// | last non-direct | ROMI −1 | 2 leads, 1 sale, ROMI 5 | — |
async fn first_and_last_touch_credit_a_client_who_came_twice_differently(app: TestApp) {
    let ws = own(&app);
    spend(&app, &ws, "2026-12-01", "yandex", "", "", 500_000, 10).await;
    spend(&app, &ws, "2026-12-01", "vk", "", "", 500_000, 10).await;
    let hook = source(&app, "telephony", json!({"preset": "generic"})).await;
    at(&app, time::macros::datetime!(2026-12-02 10:00 +3));
    let a = calls(&app, &hook, 500, &[utm("yandex", "brand", "crm")]).await[0];
    at(&app, time::macros::datetime!(2026-12-10 10:00 +3));
    let body = json!({"call_id": "again-1", "from": "+79990000500", "status": "answered", "duration": 30, "utm": {"source": "vk"}});
    assert_eq!(call(&app, &hook, body).await.0, StatusCode::ACCEPTED);
    work(&app).await;
    at(&app, time::macros::datetime!(2026-12-12 10:00 +3));
    let body = json!({"call_id": "again-2", "from": "+79990000500", "status": "answered", "duration": 30});
    assert_eq!(call(&app, &hook, body).await.0, StatusCode::ACCEPTED);
    work(&app).await;
    let b = calls(&app, &hook, 600, &[utm("vk", "", "")]).await[0];
    let (_, touches) = app.get(&app.t.admin, &format!("/api/v1/deals/{a}/touches")).await;
    assert_eq!(touches["data"].as_array().unwrap().len(), 3, "one deal, three touches: {touches}");
    sell(&app, a, 3_000_000, None).await;
    assert_ne!(a, b);

    let dec = "from=2026-12-01&to=2026-12-31";
    let leads_won_romi = |r: &Value| (r["leads"].as_i64(), r["won"].as_i64(), r["romi"].clone());
    let first = report(&app, &app.t.head, &format!("{dec}&attribution=first")).await;
    assert_eq!(leads_won_romi(row(&first, Some("yandex"))), (Some(1), Some(1), json!(5.0)));
    assert_eq!(leads_won_romi(row(&first, Some("vk"))), (Some(1), Some(0), json!(-1.0)));
    assert!(first["rows"].as_array().unwrap().iter().all(|r| !r["channel"].is_null()), "{first}");
    let last = report(&app, &app.t.head, &format!("{dec}&attribution=last")).await;
    assert_eq!(leads_won_romi(row(&last, Some("yandex"))), (Some(0), Some(0), json!(-1.0)));
    assert_eq!(leads_won_romi(row(&last, Some("vk"))), (Some(1), Some(0), json!(-1.0)));
    assert_eq!(leads_won_romi(row(&last, None)), (Some(1), Some(1), Value::Null));
    let lnd = report(&app, &app.t.head, &format!("{dec}&attribution=last_non_direct")).await;
    assert_eq!(leads_won_romi(row(&lnd, Some("vk"))), (Some(2), Some(1), json!(5.0)));
    assert_eq!(leads_won_romi(row(&lnd, Some("yandex"))), (Some(0), Some(0), json!(-1.0)));
    assert_eq!(row(&lnd, Some("vk"))["cost_per_sale"], json!(500_000));

    // The filter language names the same deals.
    let ids = |q: &str| {
        let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let app = &app;
        async move {
            let mut v = app.all_ids(&app.t.admin, "deals", &format!("&filter={q}")).await;
            v.sort_unstable();
            v
        }
    };
    assert_eq!(ids("first_touch.channel = \"Яндекс\"").await, vec![a], "the value is folded as marks are");
    assert_eq!(ids("first_touch.campaign = \"Brand\" and first_touch.term = \"CRM\"").await, vec![a]);
    assert_eq!(ids("last_touch.channel is empty").await, vec![a]);
    assert_eq!(ids("last_non_direct_touch.channel = \"vk\"").await, vec![a, b]);
    assert_eq!(ids("last_touch.channel in (\"yandex\", \"vk\")").await, vec![b]);
    assert_eq!(ids("first_touch.channel ~ \"yan\"").await, vec![a]);
    let (s, v) = app.get(&app.t.admin, "/api/v1/deals?filter=first_touch.chanel%20%3D%20%22vk%22").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"]["message"].as_str().unwrap().contains("first_touch.channel"), "{v}");

    // The card: the channel, campaign and keyword each model credits, and the path.
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, html) = ui.get(&format!("/deals/{a}")).await;
    assert_eq!(s, StatusCode::OK);
    let block = &html[html.find("id=\"deal-attribution\"").expect("the attribution block")..];
    let block = &block[..block.find("</section>").unwrap()];
    for text in ["Первое касание", "yandex · brand · crm", "Последнее касание", "Без источника", "Последнее непрямое касание", "vk"]
    {
        assert!(block.contains(text), "{text}: {block}");
    }
    assert!(block.contains("Путь клиента") || block.contains("касания"), "{block}");
}

async fn bad_parameters_are_named_and_each_reader_sees_their_own(app: TestApp) {
    let ids = seed(&app).await;
    for (q, field) in [
        ("group_by=channel", "group_by"),
        ("attribution=linear", "attribution"),
        ("basis=shipped", "basis"),
        ("revenue=margin", "revenue"),
        ("sort=size", "sort"),
        ("campaign=brand", "channel"),
        ("from=2026-12-01&to=2026-11-01", "from"),
        ("channels=yandex", "channels"),
        ("filter=first_touch.colour%20%3D%20%22x%22", "filter"),
    ] {
        let resp = app.get(&app.t.head, &format!("/api/v1/reports/marketing?{q}")).await;
        assert_error(&resp, 422, "validation", Some(field));
    }
    let (_, v) = app.get(&app.t.head, "/api/v1/reports/marketing?attribution=linear").await;
    assert!(v["error"]["message"].as_str().unwrap().contains("last_non_direct"), "the allowed values are named: {v}");

    // A manager sees their own leads and no spend: m1 owns three of Yandex's (two bought) and one
    // of PromoPages'.
    for d in [ids["yandex"][0], ids["yandex"][1], ids["yandex"][2], ids["promopages"][3]] {
        let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{d}"), json!({"owner_id": app.ids.manager1})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    for d in &ids["yandex"][3..] {
        let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{d}"), json!({"owner_id": app.ids.manager2})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let m = report(&app, &app.t.manager1, "").await;
    assert_eq!(m["spend_visible"], json!(false));
    let y = row(&m, Some("yandex"));
    assert_eq!(counts(y), [None, Some(3), Some(3), Some(3), Some(6_000_000)]);
    assert_eq!((y["cost_per_lead"].clone(), y["romi"].clone(), y["clicks"].clone()), (Value::Null, Value::Null, Value::Null));
    assert_eq!(row(&m, Some("promopages"))["leads"], json!(1));
    assert!(m["rows"].as_array().unwrap().iter().all(|r| r["channel"] != json!("google")), "no spend, no google row: {m}");
    assert_eq!(m["total"]["leads"], json!(4));
    // The head narrows to a manager: their leads beside the whole spend.
    let h = report(&app, &app.t.head, &format!("owner_id={}", app.ids.manager1)).await;
    assert_eq!(counts(row(&h, Some("yandex"))), [Some(1_000_000), Some(3), Some(3), Some(3), Some(6_000_000)]);
    // An analyst sees everything.
    assert_eq!(report(&app, &app.t.analyst, "").await["total"]["leads"], json!(84));

    // The other workspace sees its own spend only, and none of these leads.
    let o = report(&app, &app.t.other_admin, "").await;
    assert_eq!(counts(&o["total"]), [Some(99_900_000), Some(0), Some(0), Some(0), Some(0)]);
    assert_eq!(o["rows"].as_array().unwrap().len(), 1, "{o}");
}

/// The row of the marketing table that contains `marker`.
fn table_row<'a>(html: &'a str, marker: &str) -> &'a str {
    let table = html.split("id=\"marketing-table\"").nth(1).unwrap_or_else(|| panic!("no table: {html}"));
    table.split("<tr").find(|r| r.contains(marker)).unwrap_or_else(|| panic!("no row {marker}: {table}"))
}

/// The links of a piece of HTML, unescaped.
fn hrefs(html: &str) -> Vec<String> {
    html.split("<a href=\"").skip(1).map(|s| s[..s.find('"').unwrap()].replace("&amp;", "&").replace("&#38;", "&")).collect()
}

async fn the_marketing_page_drills_down_from_channel_to_the_leads(app: TestApp) {
    let ids = seed(&app).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, html) = ui.get("/marketing").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("<h1>Маркетинг</h1>") && html.contains("id=\"marketing-table\"") && html.contains("href=\"/marketing/spend\""),
        "{html}"
    );
    assert!(html.contains("href=\"/marketing\" class=\"active\""), "in the top menu: {html}");
    for text in
        ["Расход", "Цена лида", "Цена продажи", "ROMI", "Лид → продажа", "Средний чек", "Доля расходов", "Без источника", "1900\u{a0}%"]
    {
        assert!(html.contains(text), "{text}");
    }
    // Google's cost per lead is a dash.
    let google = table_row(&html, ">google<");
    assert!(google.contains(">—<"), "{google}");

    // The channel leads to its campaigns, a campaign to its keywords.
    let links = hrefs(table_row(&html, ">yandex<"));
    assert!(
        links[0].starts_with("/marketing?") && links[0].contains("group_by=campaign") && links[0].contains("channel=yandex"),
        "{links:?}"
    );
    // Its leads and its sales: the deals list narrowed to exactly them.
    let mut expected = ids["yandex"].clone();
    expected.sort_unstable();
    assert_eq!(linked_deals(&app, &links[1]).await, expected, "{}", links[1]);
    assert_eq!(linked_deals(&app, &links[3]).await, expected);
    let (s, campaigns) = ui.get(&links[0]).await;
    assert_eq!(s, StatusCode::OK, "{}: {}", links[0], campaigns.split("report-error").nth(1).unwrap_or(""));
    assert!(campaigns.contains("id=\"marketing-crumbs\"") && campaigns.contains("Все каналы"), "{campaigns}");
    let links = hrefs(table_row(&campaigns, ">Brand<"));
    assert!(links[0].contains("group_by=term") && links[0].contains("campaign=brand"), "{links:?}");
    let mut brand_ids = ids["yandex"][..6].to_vec();
    brand_ids.sort_unstable();
    assert_eq!(linked_deals(&app, &links[1]).await, brand_ids);
    let (s, terms) = ui.get(&links[0]).await;
    assert_eq!(s, StatusCode::OK);
    let links = hrefs(table_row(&terms, ">crm<"));
    assert_eq!(linked_deals(&app, &links[0]).await, brand_ids, "the keyword's leads");
    // PromoPages' deals: the ten moved on and the five won.
    let (_, html) = ui.get("/marketing").await;
    let links = hrefs(table_row(&html, ">promopages<"));
    assert_eq!(linked_deals(&app, &links[2]).await.len(), 15);

    // Sorting by a column is a link; the sorted head says so.
    let (_, sorted) = ui.get("/marketing?sort=cost_per_sale").await;
    assert!(sorted.contains("aria-sort=\"ascending\""), "{sorted}");
    let first = sorted.split("id=\"marketing-table\"").nth(1).unwrap().split("<tbody>").nth(1).unwrap().split("<tr").nth(1).unwrap();
    assert!(first.contains(">yandex<"), "{first}");
    // A bad parameter is said at the form, with a 422.
    let (s, bad) = ui.get("/marketing?attribution=linear").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("data-field=\"attribution\""), "{bad}");
    // The reports' tab leads here; the export works from the page.
    let resp = ui.client.get(format!("{}/reports/marketing?group_by=campaign", app.base)).send().await.unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    assert_eq!(resp.headers()["location"], "/marketing?group_by=campaign");
    let (s, csv) = ui.get("/marketing?format=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.contains("promopages,10000.00,9000,900,50,15,5,"), "{csv}");

    // A manager's page: their leads, no spend; the menu has no Marketing for them.
    let m = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, html) = m.get("/marketing").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"marketing-spend-hidden\"") && !html.contains("href=\"/marketing/spend\""), "{html}");
    let (_, board) = m.get("/board").await;
    assert!(!board.contains("href=\"/marketing\""), "no menu item for a manager");

    // The dashboard's tile: spend, leads and ROMI by channel, leading to the page.
    let (_, dash) = ui.get("/dashboard").await;
    let tile = &dash[dash.find("id=\"tile-marketing\"").expect("the marketing tile")..];
    let tile = &tile[..tile.find("</section>").unwrap()];
    assert!(tile.contains("href=\"/marketing?from=2026-11-01&#38;to=2026-11-30\"") && tile.contains("лиды: 84 · ROMI 750"), "{tile}");
    assert!(tile.contains("yandex") && tile.contains("1900\u{a0}%") && tile.contains("лиды: 10"), "{tile}");
    let (_, api) = app.get(&app.t.head, "/api/v1/dashboard").await;
    let channels = api["data"]["marketing"]["channels"].as_array().unwrap();
    assert_eq!(
        (channels[0]["channel"].as_str(), channels[0]["leads"].as_i64(), channels[0]["romi"].clone()),
        (Some("yandex"), Some(10), json!(19.0))
    );

    // In English.
    ui.post_form("/lang", &[("lang", "en")]).await;
    let (_, en) = ui.get("/marketing").await;
    assert!(en.contains("<h1>Marketing</h1>") && en.contains("Cost per sale") && en.contains("No source") && en.contains("1900%"), "{en}");
}

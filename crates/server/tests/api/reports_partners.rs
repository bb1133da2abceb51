//! Partners over hand-built clients, every figure computed by hand: the clients naming each
//! partner organization, their deals created and won in the period and the revenue, the clients
//! without a partner, the previous period, what a manager sees, the export and the drill-down.
use crate::helpers::*;
use crate::reports_stage_time::{linked_deals, list_filter, row_links};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

crate::both_dbs!(partners_are_counted_exactly, the_partners_page_leads_to_the_clients_and_deals);

async fn org(app: &TestApp, name: &str, owner: i64, partner: Option<i64>) -> i64 {
    let mut body = json!({"name": name, "owner_id": owner});
    if let Some(p) = partner {
        body["custom"] = json!({"partner_org": p});
    }
    app.create(&app.t.admin, "organizations", body).await
}

pub async fn deal(app: &TestApp, title: &str, org: Option<i64>, owner: i64, value: i64, close: Option<&str>) -> i64 {
    let id = app.create(&app.t.admin, "deals", json!({"title": title, "organization_id": org, "owner_id": owner, "value": value})).await;
    let body = match close {
        Some("won") => json!({"status": "won"}),
        Some(_) => json!({"status": "lost", "lost_reason": "Дорого", "close_comment": "—"}),
        None => return id,
    };
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    id
}

/// Partners and their clients, all created now (values in kopecks):
///
/// | client | partner | owner | deals |
/// |---|---|---|---|
/// | K1 | Альфа | m1 | D1 100 000 won (m1), D2 50 000 open (m1) |
/// | K2 | Альфа | m2 | D3 300 000 won (m2) |
/// | K3 | Бета | m1 | D4 200 000 won (m1), D5 80 000 lost (m1) |
/// | K6 | Бета | m2 | — |
/// | K4 | — | m1 | D6 40 000 open (m1) |
/// | K5 | — | m2 | D7 500 000 won (m2) |
///
/// and D8 (m1) without an organization; Гамма refers no one.
///
/// Альфа: 2 clients, 3 deals for 450 000, 2 won for 400 000; Бета: 2 clients, 2 deals for
/// 280 000, 1 won for 200 000. Of the five clients with deals, K4 and K5 name no partner.
pub async fn clients(app: &TestApp) -> HashMap<&'static str, i64> {
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    let mut ids = HashMap::new();
    for p in ["Альфа", "Бета", "Гамма"] {
        ids.insert(p, org(app, &format!("Агентство «{p}»"), app.ids.admin, None).await);
    }
    for (k, partner, owner) in [
        ("K1", Some("Альфа"), m1),
        ("K2", Some("Альфа"), m2),
        ("K3", Some("Бета"), m1),
        ("K6", Some("Бета"), m2),
        ("K4", None, m1),
        ("K5", None, m2),
    ] {
        ids.insert(k, org(app, &format!("Клиент {k}"), owner, partner.map(|p| ids[p])).await);
    }
    for (d, k, owner, value, close) in [
        ("D1", Some("K1"), m1, 100_000, Some("won")),
        ("D2", Some("K1"), m1, 50_000, None),
        ("D3", Some("K2"), m2, 300_000, Some("won")),
        ("D4", Some("K3"), m1, 200_000, Some("won")),
        ("D5", Some("K3"), m1, 80_000, Some("lost")),
        ("D6", Some("K4"), m1, 40_000, None),
        ("D7", Some("K5"), m2, 500_000, Some("won")),
        ("D8", None, m1, 10_000, None),
    ] {
        ids.insert(d, deal(app, d, k.map(|k| ids[k]), owner, value, close).await);
    }
    ids
}

/// Clients, deals, their value, won, revenue.
fn figures(v: &Value) -> [i64; 5] {
    ["clients", "deals", "deals_value", "won", "won_value"].map(|k| v[k].as_i64().unwrap_or(-1))
}

async fn partners(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, v) = app.get(token, &format!("/api/v1/reports/partners?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["data"].clone()
}

async fn partners_are_counted_exactly(app: TestApp) {
    let ids = clients(&app).await;
    let d = partners(&app, &app.t.head, "").await;
    assert_eq!(
        (d["period"]["from"].as_str(), d["field"].clone(), d["pipeline_id"].clone()),
        (Some("2026-11-01"), json!(true), Value::Null)
    );
    let rows = d["partners"].as_array().unwrap();
    let names: Vec<_> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Агентство «Альфа»", "Агентство «Бета»"], "the most revenue first; Гамма has no client");
    assert_eq!(rows[0]["partner_id"], ids["Альфа"]);
    assert_eq!(figures(&rows[0]), [2, 3, 450_000, 2, 400_000]);
    assert_eq!(figures(&rows[1]), [2, 2, 280_000, 1, 200_000]);
    assert_eq!(figures(&d["total"]), [4, 5, 730_000, 3, 600_000]);
    assert_eq!((d["period_clients"].as_i64(), d["period_clients_without_partner"].as_i64()), (Some(5), Some(2)));

    // A manager sees their own: m1's clients K1 and K3, their deals D1, D2, D4, D5.
    let own = partners(&app, &app.t.manager1, "").await;
    let rows = own["partners"].as_array().unwrap();
    assert_eq!(rows.iter().map(|r| r["partner_id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![ids["Бета"], ids["Альфа"]]);
    assert_eq!(figures(&rows[0]), [1, 2, 280_000, 1, 200_000]);
    assert_eq!(figures(&rows[1]), [1, 2, 150_000, 1, 100_000]);
    assert_eq!((own["period_clients"].as_i64(), own["period_clients_without_partner"].as_i64()), (Some(3), Some(1)));

    // December: Бета's K3 wins again; compared with November.
    crate::reports_stage_time::at(&app, time::macros::datetime!(2026-12-02 12:00 +3));
    deal(&app, "D9", Some(ids["K3"]), app.ids.manager1, 150_000, Some("won")).await;
    let d = partners(&app, &app.t.head, "from=2026-12-01&to=2026-12-31&compare=previous").await;
    let rows = d["partners"].as_array().unwrap();
    assert_eq!(rows[0]["partner_id"], ids["Бета"]);
    assert_eq!(figures(&rows[0]), [2, 1, 150_000, 1, 150_000]);
    assert_eq!(figures(&rows[1]), [2, 0, 0, 0, 0], "Альфа keeps its clients in a quiet month");
    let prev = &d["previous"];
    assert_eq!(figures(&prev["total"]), [4, 5, 730_000, 3, 600_000]);
    let alpha = prev["partners"].as_array().unwrap().iter().find(|p| p["partner_id"] == ids["Альфа"]).cloned().unwrap();
    assert_eq!((alpha["won"].as_i64(), alpha["won_value"].as_i64()), (Some(2), Some(400_000)));

    let resp = app
        .client
        .get(format!("{}/api/v1/reports/partners?format=csv&from=2026-11-01&to=2026-11-30", app.base))
        .bearer_auth(&app.t.head)
        .send()
        .await
        .unwrap();
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "Партнёр,Клиентов,Сделок за период,На сумму,Выиграно,Выручка", "{csv}");
    assert_eq!(lines[1], "Агентство «Альфа»,2,3,4500.00,2,4000.00", "{csv}");
    assert_eq!(lines[3], "Итого,4,5,7300.00,3,6000.00", "{csv}");
}

async fn the_partners_page_leads_to_the_clients_and_deals(app: TestApp) {
    let ids = clients(&app).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, html) = ui.get("/reports/partners").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"partners-table\"") && html.contains("У 2 из 5 клиентов"), "{html}");
    let links = row_links(&html, "Агентство «Альфа»");
    assert_eq!(links.len(), 3, "{links:?}");
    // The clients: an organizations list.
    assert!(links[0].starts_with("/organizations?q="), "{}", links[0]);
    let q: String = form_urlencoded::byte_serialize(list_filter(&links[0]).as_bytes()).collect();
    let mut orgs = app.all_ids(&app.t.admin, "organizations", &format!("&filter={q}")).await;
    orgs.sort_unstable();
    let mut expected = vec![ids["K1"], ids["K2"]];
    expected.sort_unstable();
    assert_eq!(orgs, expected);
    let (s, list) = ui.get(&links[0].replace("&amp;", "&")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("Клиент K1") && !list.contains("Клиент K3"), "{list}");
    let mut deals = vec![ids["D1"], ids["D2"], ids["D3"]];
    deals.sort_unstable();
    assert_eq!(linked_deals(&app, &links[1]).await, deals);
    let mut won = vec![ids["D1"], ids["D3"]];
    won.sort_unstable();
    assert_eq!(linked_deals(&app, &links[2]).await, won);
    // A period without partners' deals explains itself.
    let (_, html) = ui.get("/reports/partners?from=2026-10-01&to=2026-10-31").await;
    assert!(html.contains("id=\"report-empty\"") && html.contains("Организация-партнёр"), "{html}");
}

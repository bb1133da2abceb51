//! The bonus split by role (issue 22), every figure computed by hand on a fixed clock: a deal
//! with a manager and a consultant, one person in both roles, a team's head, a pipeline without
//! a split; over 100 % refused at save time; the margin basis; what a manager sees; the exports.
use crate::helpers::*;
use crate::team::refused;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

crate::both_dbs!(
    the_bonus_is_split_by_role_beside_the_plan,
    the_margin_basis_needs_a_cost_and_flags_deals_without_one,
    the_demo_pays_consultants_bonuses
);

/// Roubles in kopecks.
pub fn rub(n: i64) -> i64 {
    n * 100
}

const NOVEMBER: &str = "from=2026-11-01&to=2026-11-30";

pub async fn put_split(app: &TestApp, token: &str, pipeline: i64, body: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, token, &format!("/api/v1/pipelines/{pipeline}/bonus_split"), Some(body)).await
}

/// A deal of `owner` worth `value` (kopecks) in `pipeline`, with participants, won now.
pub async fn won(app: &TestApp, pipeline: i64, title: &str, owner: i64, value: i64, participants: &[(i64, &str)], custom: Value) -> i64 {
    let id = app
        .create(
            &app.t.admin,
            "deals",
            json!({"title": title, "owner_id": owner, "value": value, "pipeline_id": pipeline, "custom": custom}),
        )
        .await;
    for (user, role) in participants {
        let (s, v) = app.post(&app.t.admin, &format!("/api/v1/deals/{id}/participants"), json!({"user_id": user, "role": role})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), json!({"status": "won"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    id
}

pub async fn user_id(app: &TestApp, email: &str) -> i64 {
    let users = app.all_records(&app.t.admin, "users", "", 50).await;
    users.iter().find(|u| u["email"] == email).and_then(|u| u["id"].as_i64()).unwrap()
}

fn row(report: &Value, user: i64) -> &Value {
    report["data"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == user)
        .unwrap_or_else(|| panic!("no row of {user}: {report}"))
}

/// Shares manager 5 %, consultant 10 %, head 1 %. Team «Центр» (m1, m2) has the head; «Казань» (m3)
/// has none. In November:
/// - D1: m1 owns, m3 consults, 100 000.00 → m1 5 000.00, m3 10 000.00, head 1 000.00;
/// - D2: m2 owns and consults, 200 000.00 → m2 10 000.00 + 20 000.00, head 2 000.00;
/// - D3: m3 owns, nobody consults, no head, 10 000.00 → m3 500.00;
/// - D4 in a pipeline without a split: nobody, counted as unsplit;
/// - D5 won in December: not in November.
///
/// Bonuses: m2 30 000.00, m3 10 500.00, m1 5 000.00, head 3 000.00; total 48 500.00.
async fn the_bonus_is_split_by_role_beside_the_plan(app: TestApp) {
    let (m1, m2, m3, p) = (app.ids.manager1, app.ids.manager2, app.ids.manager3, app.ids.pipeline);
    let head = user_id(&app, "head@a.test").await;
    let centre =
        app.all_records(&app.t.admin, "teams", "", 50).await.into_iter().find(|t| t["name"] == "Центр").unwrap()["id"].as_i64().unwrap();
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/teams/{centre}"), json!({"head_id": head})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Unset: no shares; a manager may not set it; over 100 % is refused with the total.
    let (s, v) = app.get(&app.t.manager1, &format!("/api/v1/pipelines/{p}/bonus_split")).await;
    assert_eq!((s, v["data"]["configured"].clone(), v["data"]["shares"]["manager"].clone()), (StatusCode::OK, json!(false), json!("0")));
    let split = json!({"basis": "revenue", "shares": {"manager": 5, "consultant": 10, "head": 1}});
    refused(&put_split(&app, &app.t.manager1, p, split.clone()).await, 403, "bonus_split_heads_only", None);
    let over = put_split(&app, &app.t.head, p, json!({"shares": {"manager": 60, "consultant": "40,5"}})).await;
    refused(&over, 422, "bonus_split_over", Some("shares"));
    assert_eq!(over.1["error"]["args"]["total"], "100.5", "{}", over.1);
    refused(&put_split(&app, &app.t.head, p, json!({"shares": {"driver": 5}})).await, 422, "bonus_split_role", Some("shares.driver"));
    refused(
        &put_split(&app, &app.t.head, p, json!({"basis": "margin", "shares": {"manager": 5}})).await,
        422,
        "bonus_split_no_cost",
        Some("basis"),
    );
    let (s, v) = put_split(&app, &app.t.head, p, split.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["total"], "16");
    assert_eq!(v["data"]["version"], 1);
    // A stale version is refused; the save is in the pipeline's history.
    let stale = app
        .client
        .put(format!("{}/api/v1/pipelines/{p}/bonus_split", app.base))
        .bearer_auth(&app.t.head)
        .header("If-Match", "\"0\"")
        .json(&split)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let (_, h) = app.get(&app.t.admin, &format!("/api/v1/pipelines/{p}/history")).await;
    assert!(h.to_string().contains("bonus_split"), "{h}");

    let other = app.create(&app.t.admin, "pipelines", json!({"name": "Сервис"})).await;
    app.create(&app.t.admin, "stages", json!({"pipeline_id": other, "name": "Новый"})).await;
    let d1 = won(&app, p, "D1", m1, rub(100_000), &[(m3, "consultant")], json!({})).await;
    let d2 = won(&app, p, "D2", m2, rub(200_000), &[(m2, "consultant")], json!({})).await;
    won(&app, p, "D3", m3, rub(10_000), &[], json!({})).await;
    won(&app, other, "D4", m1, rub(50_000), &[], json!({})).await;
    crate::plans::plan(&app, ("user_id", m1), "2026-11", "revenue", rub(150_000)).await;
    crate::reports_stage_time::at(&app, time::macros::datetime!(2026-12-02 10:00 UTC));
    won(&app, p, "D5", m1, rub(70_000), &[], json!({})).await;

    let (s, r) = app.get(&app.t.head, &format!("/api/v1/reports/bonus?{NOVEMBER}")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let order: Vec<i64> = r["data"]["users"].as_array().unwrap().iter().map(|u| u["user_id"].as_i64().unwrap()).collect();
    assert_eq!(order, vec![m2, m3, m1, head], "{r}");
    assert_eq!((row(&r, m2)["bonus"].clone(), row(&r, m2)["deals"].clone()), (json!(rub(30_000)), json!(1)));
    assert_eq!((row(&r, m3)["bonus"].clone(), row(&r, m3)["deals"].clone()), (json!(rub(10_500)), json!(2)));
    assert_eq!(row(&r, head)["bonus"], rub(3_000));
    let m1_row = row(&r, m1);
    // m1's revenue counts D4 too (a plan is of all pipelines); the bonus only D1.
    assert_eq!(
        (m1_row["bonus"].clone(), m1_row["plan"].clone(), m1_row["revenue"].clone()),
        (json!(rub(5_000)), json!(rub(150_000)), json!(rub(150_000)))
    );
    assert_eq!((r["data"]["total"].clone(), r["data"]["unsplit_deals"].clone()), (json!(rub(48_500)), json!(1)));

    // One person in both roles: both parts on the one deal.
    let (_, mine) = app.get(&app.t.head, &format!("/api/v1/reports/bonus?{NOVEMBER}&user_id={m2}")).await;
    let deals = row(&mine, m2)["deal_list"].as_array().unwrap().clone();
    assert_eq!(deals.len(), 1);
    assert_eq!(deals[0]["deal_id"], d2);
    let roles: Vec<(String, i64)> = deals[0]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["role"].as_str().unwrap().to_string(), p["amount"].as_i64().unwrap()))
        .collect();
    assert_eq!(roles, vec![("manager".to_string(), rub(10_000)), ("consultant".to_string(), rub(20_000))]);

    // A manager sees only their own bonus, with its deals; someone else's is refused.
    let (s, own) = app.get(&app.t.manager1, &format!("/api/v1/reports/bonus?{NOVEMBER}")).await;
    assert_eq!(s, StatusCode::OK, "{own}");
    let users = own["data"]["users"].as_array().unwrap();
    assert_eq!(users.len(), 1, "{own}");
    assert_eq!((users[0]["user_id"].as_i64(), users[0]["bonus"].as_i64()), (Some(m1), Some(rub(5_000))));
    assert_eq!(users[0]["deal_list"][0]["deal_id"], d1);
    assert_eq!(own["data"]["total"], rub(5_000));
    refused(&app.get(&app.t.manager1, &format!("/api/v1/reports/bonus?{NOVEMBER}&user_id={m2}")).await, 403, "bonus_own_only", None);
    // December holds D5 only: m1 and the head of their team.
    let (_, dec) = app.get(&app.t.head, "/api/v1/reports/bonus?from=2026-12-01&to=2026-12-31").await;
    assert_eq!(dec["data"]["total"], rub(3_500) + rub(700), "{dec}");

    // Payroll: a CSV row per user, an XLSX workbook.
    let csv =
        app.client.get(format!("{}/api/v1/reports/bonus?{NOVEMBER}&format=csv", app.base)).bearer_auth(&app.t.head).send().await.unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("bonus-2026-11-01-2026-11-30.csv"));
    let text = csv.text().await.unwrap();
    assert!(text.contains("Сотрудник,План по выручке,Выручка (свои сделки),Сделок,Бонус"), "{text}");
    assert!(text.contains("m2,,200000.00,1,30000.00"), "{text}");
    assert!(text.contains("m1,150000.00,150000.00,1,5000.00"), "{text}");
    let xlsx =
        app.client.get(format!("{}/api/v1/reports/bonus?{NOVEMBER}&format=xlsx", app.base)).bearer_auth(&app.t.head).send().await.unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    refused(&app.get(&app.t.head, "/api/v1/reports/bonus?from=2026-11-01").await, 422, "required", Some("to"));
}

/// Margin 10 % to the manager: W1 300 000.00 with cost 100 000.00 pays 20 000.00; W2 without a cost
/// pays nothing and is flagged; W3 sold at a loss pays nothing.
async fn the_margin_basis_needs_a_cost_and_flags_deals_without_one(app: TestApp) {
    let (m1, p) = (app.ids.manager1, app.ids.pipeline);
    app.create(&app.t.admin, "custom_fields", json!({"entity": "deal", "key": "cost", "label": "Себестоимость", "field_type": "money"}))
        .await;
    let (s, v) = put_split(&app, &app.t.admin, p, json!({"basis": "margin", "shares": {"manager": 10}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["data"]["basis"].clone(), v["data"]["cost_field"].clone()), (json!("margin"), json!(true)));
    won(&app, p, "W1", m1, rub(300_000), &[], json!({"cost": rub(100_000)})).await;
    let w2 = won(&app, p, "W2", m1, rub(100_000), &[], json!({})).await;
    won(&app, p, "W3", m1, rub(10_000), &[], json!({"cost": rub(12_000)})).await;
    let (s, r) = app.get(&app.t.head, &format!("/api/v1/reports/bonus?{NOVEMBER}&user_id={m1}")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let me = row(&r, m1);
    assert_eq!((me["bonus"].clone(), me["deals"].clone(), me["cost_missing"].clone()), (json!(rub(20_000)), json!(3), json!(1)), "{r}");
    let flagged: Vec<&Value> = me["deal_list"].as_array().unwrap().iter().filter(|d| d["cost_missing"] == true).collect();
    assert_eq!((flagged.len(), flagged[0]["deal_id"].as_i64()), (1, Some(w2)));
    assert_eq!(flagged[0]["base"], Value::Null);
}

/// The demo: a split on the client pipeline and the consultant on some won deals, so the report
/// of the whole demo history has the consultant's bonus.
async fn the_demo_pays_consultants_bonuses(app: TestApp) {
    let demo = app.db.generate_demo(&poryadok_store::demo::DemoOptions { deals: 400, seed: 22 }).await.unwrap();
    app.db.apply_demo_process(demo.workspace_id).await.unwrap();
    let sys = app.db.system_actor(demo.workspace_id, poryadok_core::domain::Channel::Cli).await.unwrap();
    let splits = app.db.bonus_splits(&sys).await.unwrap();
    assert_eq!(splits.len(), 1);
    let period = poryadok_core::report::Period::parse("2022-01-01", "2030-12-31", &sys.ws.timezone).unwrap();
    let r = app.db.bonus_report(&sys, &period, None).await.unwrap();
    let consultant = r.users.iter().find(|u| u.name == "Сергей Морозов").expect("the consultant earns");
    assert!(
        consultant.bonus > 0
            && consultant.deal_list.iter().any(|d| d.roles.iter().any(|p| p.role == poryadok_core::bonus::Role::Consultant))
    );
    assert!(r.users.iter().filter(|u| u.bonus > 0).count() >= 3, "{:?}", r.users.iter().map(|u| (&u.name, u.bonus)).collect::<Vec<_>>());
}

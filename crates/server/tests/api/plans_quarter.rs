//! Quarterly plans spread to their months (issue 22): by the months' working days of the
//! workspace's calendar, what a quarter's plan leaves after the months with their own plans, in
//! the monthly plan-fact, the bonus report, `GET /api/v1/plans/spread` and the plans page. The
//! fixed clock is Monday 23 November 2026; 4 November is a holiday, so October has 22 working
//! days, November 20 and December 23 (65 in the quarter). Every figure is computed by hand.
use crate::helpers::*;
use crate::plans::{deal, holiday, plan};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(a_quarterly_plan_spreads_to_its_months_by_working_days);

async fn revenue_plan(app: &TestApp, query: &str, user: i64) -> Value {
    let (s, v) = app.get(&app.t.head, &format!("/api/v1/reports/plan_fact?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["data"]["managers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == user)
        .map(|r| r["metrics"]["revenue"]["plan"].clone())
        .unwrap_or(Value::Null)
}

async fn bonus_plan(app: &TestApp, query: &str, user: i64) -> Value {
    let (s, v) = app.get(&app.t.head, &format!("/api/v1/reports/bonus?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["data"]["users"].as_array().unwrap().iter().find(|u| u["user_id"] == user).map(|u| u["plan"].clone()).unwrap_or(Value::Null)
}

const OCT: &str = "from=2026-10-01&to=2026-10-31";
const NOV: &str = "from=2026-11-01&to=2026-11-30";
const DEC: &str = "from=2026-12-01&to=2026-12-31";
const Q4: &str = "from=2026-10-01&to=2026-12-31";

/// m1: 6 500 000.00 for the quarter, no monthly plan → October 22/65, November 20/65, December
/// 23/65 of it: 2 200 000.00, 2 000 000.00, 2 300 000.00.
///
/// m2: 900 000.00 for the quarter and 300 000.00 of its own in November → the 600 000.00 left
/// goes to October and December by 22 and 23 days: 293 333.33⅓ and 306 666.66⅔; the kopeck left
/// over goes to the larger remainder, December: 29 333 333 and 30 666 667 kopecks.
async fn a_quarterly_plan_spreads_to_its_months_by_working_days(app: TestApp) {
    holiday(&app).await;
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    plan(&app, ("user_id", m1), "2026-Q4", "revenue", 650_000_000).await;
    plan(&app, ("user_id", m2), "2026-Q4", "revenue", 90_000_000).await;
    plan(&app, ("user_id", m2), "2026-11", "revenue", 30_000_000).await;
    deal(&app, m1, 100_000_000, "won").await;

    // The monthly plan-fact measures each month against its part.
    assert_eq!(revenue_plan(&app, OCT, m1).await, json!(220_000_000));
    assert_eq!(revenue_plan(&app, DEC, m1).await, json!(230_000_000));
    assert_eq!(revenue_plan(&app, OCT, m2).await, json!(29_333_333));
    assert_eq!(revenue_plan(&app, NOV, m2).await, json!(30_000_000));
    assert_eq!(revenue_plan(&app, DEC, m2).await, json!(30_666_667));
    let (_, v) = app.get(&app.t.head, &format!("/api/v1/reports/plan_fact?{NOV}")).await;
    let r1 = v["data"]["managers"].as_array().unwrap().iter().find(|r| r["user_id"] == m1).unwrap().clone();
    // 1 000 000.00 won of November's 2 000 000.00: half.
    assert_eq!(
        (
            r1["metrics"]["revenue"]["plan"].clone(),
            r1["metrics"]["revenue"]["fact"].clone(),
            r1["metrics"]["revenue"]["fulfilment"].clone()
        ),
        (json!(200_000_000), json!(100_000_000), json!(0.5)),
        "{v}"
    );
    // The quarter keeps its own plan.
    assert_eq!(revenue_plan(&app, Q4, m1).await, json!(650_000_000));
    assert_eq!(revenue_plan(&app, Q4, m2).await, json!(90_000_000));

    // The bonus report's plan: the months of its period, each month's part.
    assert_eq!(bonus_plan(&app, NOV, m1).await, json!(200_000_000));
    assert_eq!(bonus_plan(&app, NOV, m2).await, json!(30_000_000));
    assert_eq!(bonus_plan(&app, Q4, m1).await, json!(650_000_000));
    assert_eq!(bonus_plan(&app, Q4, m2).await, json!(90_000_000));
    assert_eq!(bonus_plan(&app, "from=2026-10-15&to=2026-11-10", m1).await, json!(420_000_000), "October and November whole");

    // The spread as the API answers it, for the quarter or a month of it.
    let (s, v) = app.get(&app.t.head, "/api/v1/plans/spread?period=2026-11").await;
    assert_eq!((s, v["quarter"].as_str()), (StatusCode::OK, Some("2026-Q4")), "{v}");
    let line = |u: i64| v["data"].as_array().unwrap().iter().find(|l| l["user_id"] == u).unwrap().clone();
    assert_eq!(
        line(m2)["months"],
        json!([
            {"period": "2026-10", "value": 29_333_333, "spread": true},
            {"period": "2026-11", "value": 30_000_000, "spread": false},
            {"period": "2026-12", "value": 30_666_667, "spread": true},
        ])
    );
    assert_eq!((line(m1)["value"].clone(), line(m1)["metric"].clone()), (json!(650_000_000), json!("revenue")));
    let (s, v) = app.get(&app.t.head, "/api/v1/plans/spread?period=2026-11-01").await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("period")), "{v}");
    // A manager of another team reads none of them.
    let (_, other) = app.get(&app.t.manager3, "/api/v1/plans/spread?period=2026-Q4").await;
    assert_eq!(other["data"], json!([]), "{other}");

    // December gets its own plan: October and November share the 4 000 000.00 left by 22 and
    // 20 days — 2 095 238.09 (+1 kopeck, the larger remainder) and 1 904 761.90.
    plan(&app, ("user_id", m1), "2026-12", "revenue", 250_000_000).await;
    assert_eq!(revenue_plan(&app, OCT, m1).await, json!(209_523_810));
    assert_eq!(revenue_plan(&app, NOV, m1).await, json!(190_476_190));
    assert_eq!(revenue_plan(&app, DEC, m1).await, json!(250_000_000));

    // The plans page shows the spread: a month's part under its empty cell, a quarter's plan
    // month by month.
    let (_, me) = app.get(&app.t.head, "/api/v1/me").await;
    let head = app.ui_login(me["data"]["user"]["id"].as_i64().unwrap(), "head@a.test").await;
    let (s, page) = head.get("/plans?period=2026-10").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("class=\"plans-spread") && page.contains("из квартала: 2\u{a0}095\u{a0}238,10\u{a0}₽"), "{page}");
    assert!(page.contains("id=\"plans-spread-note\""));
    let (_, page) = head.get("/plans?period=2026-Q4").await;
    assert!(page.contains("2\u{a0}500\u{a0}000\u{a0}₽*"), "December's own plan is starred: {page}");
}

//! A bonus report over won deals in several currencies (issue 22): the workspace keeps no
//! exchange rates, so the report is refused naming the currencies, never summed across them.
use crate::bonus::{put_split, rub, won};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(a_bonus_over_mixed_currencies_is_refused_naming_them);

async fn a_bonus_over_mixed_currencies_is_refused_naming_them(app: TestApp) {
    let (m1, p) = (app.ids.manager1, app.ids.pipeline);
    let (s, v) = put_split(&app, &app.t.admin, p, json!({"basis": "revenue", "shares": {"manager": 5}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    won(&app, p, "В рублях", m1, rub(100_000), &[], json!({})).await;
    let (s, r) = app.get(&app.t.head, "/api/v1/reports/bonus?from=2026-11-01&to=2026-11-30").await;
    assert_eq!((s, r["data"]["total"].as_i64()), (StatusCode::OK, Some(rub(5_000))), "{r}");

    let usd = won(&app, p, "In dollars", m1, 1_000_000, &[], json!({})).await;
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{usd}"), json!({"currency": "USD"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, r) = app.get(&app.t.head, "/api/v1/reports/bonus?from=2026-11-01&to=2026-11-30").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(
        (r["error"]["message_code"].as_str(), r["error"]["field"].as_str()),
        (Some("bonus_mixed_currencies"), Some("currency")),
        "{r}"
    );
    let message = r["error"]["message"].as_str().unwrap();
    assert!(message.contains("RUB") && message.contains("USD"), "{message}");
    // A manager's own report over the same deals says the same.
    let (s, r) = app.get(&app.t.manager1, "/api/v1/reports/bonus?from=2026-11-01&to=2026-11-30").await;
    assert_eq!((s, r["error"]["message_code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bonus_mixed_currencies")), "{r}");
    // The previous month, in roubles only, still adds up.
    let (s, _) = app.get(&app.t.head, "/api/v1/reports/bonus?from=2026-10-01&to=2026-10-31").await;
    assert_eq!(s, StatusCode::OK);
}

//! Call quality review (issue 22): scorecard versions and bad cards, the weekly sample's share
//! per manager and direction and its reproducibility, a critical criterion zeroing a call, a
//! dispute round trip and the report. The fixed clock is Monday 2026-11-23; the calls are in the
//! week before (2026-W47).
use crate::helpers::TestApp;
use crate::team::refused;
use poryadok_core::review::default_criteria_ru;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

crate::both_dbs!(calls_are_sampled_reviewed_disputed_and_resolved);

async fn calls(app: &TestApp, owner: i64, direction: &str, n: usize, seconds: i64) -> Vec<i64> {
    let mut out = Vec::new();
    for i in 0..n {
        let body = json!({
            "type": "call", "subject": format!("{direction} {i}"), "done": true, "owner_id": owner,
            "due_at": format!("2026-11-{:02}T{:02}:15:00Z", 16 + (i % 5), 7 + (i % 8)),
            "call_direction": direction, "call_outcome": "answered", "call_seconds": seconds,
            "recording_url": format!("https://records.example/{owner}/{direction}/{i}.mp3"),
        });
        out.push(app.create(&app.t.admin, "activities", body).await);
    }
    out
}

fn max_points(extra: &[(&str, i64)]) -> Value {
    let mut o = serde_json::Map::new();
    for c in default_criteria_ru().as_array().unwrap() {
        let max = c["points"].as_array().unwrap().iter().map(|p| p.as_i64().unwrap()).max().unwrap();
        o.insert(c["key"].as_str().unwrap().to_string(), json!(max));
    }
    for (k, v) in extra {
        o.insert(k.to_string(), json!(v));
    }
    Value::Object(o)
}

async fn calls_are_sampled_reviewed_disputed_and_resolved(app: TestApp) {
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    let head: &'static str = app.t.head.clone().leak();
    let m1_token: &'static str = app.t.manager1.clone().leak();
    let put = |token: &'static str, body: Value| app.call(Method::PUT, token, "/api/v1/reviews/scorecard", Some(body));
    // Bad cards and settings are refused at save.
    let zero = json!({"criteria": [{"step": "contact", "title": "Поздоровался", "weight": 0}]});
    refused(&put(head, zero).await, 422, "review_weights_zero", Some("criteria"));
    refused(&put(m1_token, json!({"criteria": default_criteria_ru()})).await, 403, "review_heads_only", None);
    let (s, v) = put(head, json!({"criteria": default_criteria_ru()})).await;
    assert_eq!((s, v["data"]["version"].as_i64()), (StatusCode::OK, Some(1)), "{v}");
    let (_, v) = put(head, json!({"name": "Оценка звонка", "criteria": default_criteria_ru()})).await;
    assert_eq!(v["data"]["version"], 2, "a change is a new version");
    for pct in [json!(120), json!(-5)] {
        let r = app.call(Method::PATCH, &app.t.head, "/api/v1/reviews/settings", Some(json!({"inbound_pct": pct}))).await;
        refused(&r, 422, "review_sample_pct", Some("inbound_pct"));
    }
    let (_, settings) = app.get(&app.t.head, "/api/v1/reviews/settings").await;
    assert_eq!((settings["data"]["inbound_pct"].as_f64(), settings["data"]["outbound_pct"].as_f64()), (Some(10.0), Some(5.0)));

    // manager1: 20 inbound and 40 outbound answered calls; manager2: 10 inbound and 5 too short.
    let in1 = calls(&app, m1, "inbound", 20, 120).await;
    let out1 = calls(&app, m1, "outbound", 40, 90).await;
    let in2 = calls(&app, m2, "inbound", 10, 60).await;
    calls(&app, m2, "inbound", 5, 10).await;
    let (s, v) = app.post(&app.t.head, "/api/v1/reviews/sample", json!({"week": "2026-W47"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let line = |m: i64| v["data"]["managers"].as_array().unwrap().iter().find(|l| l["manager_id"] == m).unwrap().clone();
    let l1 = line(m1);
    assert_eq!((l1["inbound_calls"].as_i64(), l1["inbound_sampled"].as_i64()), (Some(20), Some(2)), "10 % of inbound: {l1}");
    assert_eq!((l1["outbound_calls"].as_i64(), l1["outbound_sampled"].as_i64()), (Some(40), Some(2)), "5 % of outbound: {l1}");
    let l2 = line(m2);
    assert_eq!((l2["inbound_calls"].as_i64(), l2["inbound_sampled"].as_i64()), (Some(10), Some(1)), "calls under 30 s are left out: {l2}");
    assert_eq!(v["data"]["queued"], 5);
    let (_, queue) = app.get(&app.t.head, "/api/v1/reviews?week=2026-W47").await;
    let first: Vec<i64> = queue["data"].as_array().unwrap().iter().map(|r| r["activity_id"].as_i64().unwrap()).collect();
    assert!(first.iter().all(|a| in1.contains(a) || out1.contains(a) || in2.contains(a)), "{first:?}");
    // Drawn again, the week gives the same calls and queues nothing new.
    let (_, again) = app.post(&app.t.head, "/api/v1/reviews/sample", json!({"week": "2026-W47"})).await;
    assert_eq!((again["data"]["sampled"].as_i64(), again["data"]["queued"].as_i64()), (Some(5), Some(0)), "{again}");
    let (_, queue) = app.get(&app.t.head, "/api/v1/reviews?week=2026-W47").await;
    let second: Vec<i64> = queue["data"].as_array().unwrap().iter().map(|r| r["activity_id"].as_i64().unwrap()).collect();
    assert_eq!(first, second);

    // A manager sees only their own reviews.
    let (_, mine) = app.get(&app.t.manager1, "/api/v1/reviews").await;
    let mine: Vec<Value> = mine["data"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 4);
    assert!(mine.iter().all(|r| r["manager_id"] == m1));
    let (a, b) = (mine[0]["id"].as_i64().unwrap(), mine[1]["id"].as_i64().unwrap());
    assert!(mine[0]["recording_url"].as_str().unwrap().starts_with("https://records.example/"));

    // A critical criterion at zero zeroes the call; a perfect one is 100 %.
    let (s, r) = app
        .post(
            &app.t.head,
            &format!("/api/v1/reviews/{a}/score"),
            json!({"points": max_points(&[("politeness", 0)]), "comment": "Перебил клиента", "comment_second": 42}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["data"]["score_pct"].as_f64(), r["data"]["failed_critical"].clone()), (Some(0.0), json!(["politeness"])));
    assert_eq!((r["data"]["status"].as_str(), r["data"]["comment_second"].as_i64()), (Some("reviewed"), Some(42)));
    let (_, r) = app.post(&app.t.head, &format!("/api/v1/reviews/{b}/score"), json!({"points": max_points(&[("questions", 1)])})).await;
    assert_eq!(r["data"]["score_pct"].as_f64(), Some(91.3), "(23 − 2) / 23: {r}");
    refused(
        &app.post(&app.t.head, &format!("/api/v1/reviews/{b}/score"), json!({"points": max_points(&[])})).await,
        409,
        "review_already_reviewed",
        Some("status"),
    );
    refused(
        &app.post(&app.t.manager1, &format!("/api/v1/reviews/{b}/score"), json!({"points": max_points(&[])})).await,
        403,
        "review_heads_only",
        None,
    );
    let bad =
        app.post(&app.t.head, &format!("/api/v1/reviews/{}/score", mine[2]["id"]), json!({"points": max_points(&[("price", 2)])})).await;
    refused(&bad, 422, "review_points_not_option", Some("points.price"));

    // The manager disputes once; another manager cannot; the head resolves.
    let (s, d) = app
        .post(&app.t.manager1, &format!("/api/v1/reviews/{a}/dispute"), json!({"text": "Клиент сам перебивал, послушайте с 0:40"}))
        .await;
    assert_eq!((s, d["data"]["status"].as_str()), (StatusCode::OK, Some("disputed")), "{d}");
    refused(
        &app.post(&app.t.manager1, &format!("/api/v1/reviews/{a}/dispute"), json!({"text": "ещё раз"})).await,
        409,
        "review_dispute_once",
        Some("status"),
    );
    let (s, _) = app.post(&app.t.manager2, &format!("/api/v1/reviews/{b}/dispute"), json!({"text": "не моё"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    refused(
        &app.post(&app.t.head, &format!("/api/v1/reviews/{a}/resolve"), json!({"resolution": "maybe"})).await,
        422,
        "review_resolution",
        Some("resolution"),
    );
    let (s, res) = app
        .post(
            &app.t.head,
            &format!("/api/v1/reviews/{a}/resolve"),
            json!({"resolution": "changed", "points": max_points(&[]), "comment": "Согласен, перебивал клиент"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{res}");
    assert_eq!(
        (res["data"]["status"].as_str(), res["data"]["resolution"].as_str(), res["data"]["score_pct"].as_f64()),
        (Some("resolved"), Some("changed"), Some(100.0))
    );
    refused(
        &app.post(&app.t.manager1, &format!("/api/v1/reviews/{a}/dispute"), json!({"text": "снова"})).await,
        409,
        "review_dispute_once",
        Some("status"),
    );
    let (_, seen) = app.get(&app.t.manager1, &format!("/api/v1/reviews/{a}")).await;
    assert_eq!(seen["data"]["resolution_comment"], "Согласен, перебивал клиент");

    // The report: manager1's two reviews average (100 + 91.3) / 2; the weakest criterion first.
    let (s, rep) = app.get(&app.t.head, "/api/v1/reviews/report?from=2026-W47&to=2026-W47").await;
    assert_eq!(s, StatusCode::OK, "{rep}");
    let m = &rep["data"]["managers"][0];
    assert_eq!(
        (m["key"].as_str(), m["reviews"].as_i64(), m["score_pct"].as_f64()),
        (Some(m1.to_string().as_str()), Some(2), Some(95.7)),
        "{rep}"
    );
    assert_eq!(rep["data"]["criteria"][0]["key"], "questions", "{rep}");
    assert_eq!(rep["data"]["weeks"][0]["key"], "2026-W47");
    refused(&app.get(&app.t.head, "/api/v1/reviews/report?from=2026-48").await, 422, "review_week", Some("from"));
}

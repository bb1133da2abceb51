//! The dashboard read from the per-day aggregate the write path keeps gives exactly the figures
//! read from the deals, after every kind of deal write — creates, moves, wins, losses, a reopen,
//! reassignment, amount edits, deletes, bulk changes, a merge of clients, a stage moved in its
//! pipeline — in this month and the one before (fixed clock, 23 November 2026), for the head and
//! for each manager's own dashboard; and what the write path kept equals a rebuild from scratch.
use crate::helpers::*;
use crate::reports::{department, walk};
use poryadok_core::domain::Channel;
use poryadok_core::report::Period;
use poryadok_server::report::dashboard::{dashboard_from, Read};
use poryadok_server::ui::i18n::T;
use poryadok_store::report::ReportScope;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(the_dashboards_aggregate_gives_the_exact_figures_after_every_kind_of_deal_write,);

/// Both paths' JSON for one reader and period; they must be equal.
async fn both(app: &TestApp, actor: &poryadok_store::Actor, pairs: &[(&str, &str)]) -> Value {
    let t = T::new(actor.ws_lang());
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let fast = dashboard_from(&app.db, actor, &pairs, &t, Read::Aggregate).await.unwrap().json();
    let exact = dashboard_from(&app.db, actor, &pairs, &t, Read::Exact).await.unwrap().json();
    assert_eq!(fast, exact, "the aggregate and the deals disagree for user {} over {pairs:?}", actor.user_id());
    fast
}

async fn ok(r: (StatusCode, Value)) -> Value {
    assert!(r.0.is_success(), "{} {}", r.0, r.1);
    r.1
}

async fn the_dashboards_aggregate_gives_the_exact_figures_after_every_kind_of_deal_write(app: TestApp) {
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    let a = &app.t.admin;
    // October: one deal won then (the previous month's revenue), one left open and won in November.
    app.clock.advance(time::Duration::days(-30));
    walk(&app, m1, "октябрь, выиграна", &[1], Some("won")).await;
    let october = app.create(a, "deals", json!({"title": "октябрь, открыта", "owner_id": m1, "value": 40_000})).await;
    app.clock.advance(time::Duration::days(30));

    department(&app).await;
    let deal = |id: i64| format!("/api/v1/deals/{id}");
    ok(app.patch(a, &deal(october), json!({"status": "won"})).await).await;
    // A won deal handed to m2: its revenue is m2's now.
    let handed = walk(&app, m1, "передана", &[1, 2], Some("won")).await;
    ok(app.patch(a, &deal(handed), json!({"owner_id": m2})).await).await;
    // Amounts edited, on an open deal and on a won one.
    let edited = walk(&app, m2, "сумма открытой", &[1], None).await;
    ok(app.patch(a, &deal(edited), json!({"value": 55_000, "source": "Сайт"})).await).await;
    let won_edit = walk(&app, m1, "сумма выигранной", &[1], Some("won")).await;
    ok(app.patch(a, &deal(won_edit), json!({"value": 120_000})).await).await;
    // A lost deal deleted, a lost one reopened with an expected date in the month.
    let deleted = walk(&app, m1, "удалена", &[], Some("lost")).await;
    ok(app.delete(a, &deal(deleted)).await).await;
    let reopened = walk(&app, m1, "снова открыта", &[], Some("lost")).await;
    ok(app.patch(a, &deal(reopened), json!({"status": "open", "expected_close_date": "2026-11-28"})).await).await;
    // Bulk: two deals moved to the third stage, one deleted.
    let bulk = walk(&app, m2, "массово", &[], None).await;
    let bulk_gone = walk(&app, m2, "массово удалена", &[], None).await;
    let v = ok(app.post(a, "/api/v1/deals/bulk", json!({"ids": [edited, bulk], "update": {"stage_id": app.ids.stages[2]}})).await).await;
    assert_eq!(v["data"]["refused"], json!([]), "{v}");
    ok(app.post(a, "/api/v1/deals/bulk", json!({"ids": [bulk_gone], "delete": true})).await).await;
    // A partner's lead, and a client merged into another (their deal follows the kept card).
    app.create(a, "deals", json!({"title": "от партнёра", "owner_id": m1, "value": 10_000, "source": "Партнёр"})).await;
    let keep = app.create(a, "persons", json!({"name": "Клиент"})).await;
    let gone = app.create(a, "persons", json!({"name": "Клиент дубль"})).await;
    app.create(a, "deals", json!({"title": "дубля", "owner_id": m2, "person_id": gone, "value": 5_000})).await;
    ok(app.post(a, &format!("/api/v1/persons/{keep}/merge"), json!({"merge_id": gone})).await).await;
    // The first stage weighs half in the forecast.
    ok(app.patch(a, &format!("/api/v1/stages/{}", app.ids.stages[0]), json!({"probability": 50})).await).await;

    let head = app.db.system_actor(app.ws, Channel::Api).await.unwrap();
    let d = both(&app, &head, &[]).await;
    // November's revenue: the department's three, the handed one, the edited one, October's.
    assert_eq!(d["revenue"]["won_value"], 300_000 + 100_000 + 120_000 + 40_000, "{d}");
    assert_eq!((d["revenue"]["won"].as_i64(), d["revenue"]["previous_won_value"].as_i64()), (Some(6), Some(100_000)));
    // Created in November in the pipeline: the department's 15 and seven more (two deleted).
    let reached: Vec<i64> = d["funnel"]["stages"].as_array().unwrap().iter().map(|s| s["reached"].as_i64().unwrap()).collect();
    assert_eq!((d["funnel"]["deals"].as_i64(), reached), (Some(22), vec![22, 15, 11]), "{d}");
    assert_eq!(
        d["leads_by_source"],
        json!([{"source": null, "leads": 20}, {"source": "Партнёр", "leads": 1}, {"source": "Сайт", "leads": 1}])
    );
    let m2_row = d["managers"].as_array().unwrap().iter().find(|m| m["owner_id"] == m2).cloned().unwrap();
    assert_eq!((m2_row["won"].as_i64(), m2_row["won_value"].as_i64(), m2_row["lost"].as_i64()), (Some(1), Some(100_000), Some(2)));
    // The reopened deal (100 000 at the first stage, 50 %) is the month's weighted forecast.
    assert_eq!(d["forecast"]["weighted"], 50_000, "{d}");

    // The aggregate answered: the whole month, no filter, a head.
    let month = Period::parse("2026-11-01", "2026-11-30", &head.ws.timezone).unwrap();
    let scope = ReportScope { from: month.from, to: month.to, pipeline: app.ids.pipeline, from_aggregate: true, ..Default::default() };
    assert!(app.db.rollup_answers(&head, &scope).await.unwrap());
    let m1_actor = app.db.actor_for_user(m1, Channel::Api).await.unwrap();
    assert!(!app.db.rollup_answers(&m1_actor, &scope).await.unwrap(), "a manager's department-wide scope is not the aggregate's");
    assert!(app.db.rollup_answers(&m1_actor, &ReportScope { owner: Some(m1), ..scope.clone() }).await.unwrap());

    // A manager's own dashboard: only their figures, the same both ways.
    let m2_actor = app.db.actor_for_user(m2, Channel::Api).await.unwrap();
    let own = both(&app, &m2_actor, &[]).await;
    assert_eq!((own["own"].as_bool(), own["revenue"]["won_value"].as_i64()), (Some(true), Some(100_000)), "{own}");
    let own1 = both(&app, &m1_actor, &[]).await;
    assert_eq!(own1["revenue"]["won_value"], 300_000 + 120_000 + 40_000, "{own1}");
    // Other periods: October, the quarter, the year, a week inside the month.
    for period in [("2026-10-01", "2026-10-31"), ("2026-10-01", "2026-12-31"), ("2026-01-01", "2026-12-31"), ("2026-11-16", "2026-11-23")] {
        for actor in [&head, &m1_actor, &m2_actor] {
            both(&app, actor, &[("from", period.0), ("to", period.1)]).await;
        }
    }
    let october_head = both(&app, &head, &[("from", "2026-10-01"), ("to", "2026-10-31")]).await;
    assert_eq!(october_head["revenue"]["won_value"], 100_000);
    // The year: every win of both months, against the year before (none).
    let year = both(&app, &head, &[("from", "2026-01-01"), ("to", "2026-12-31")]).await;
    assert_eq!((year["revenue"]["won_value"].as_i64(), year["revenue"]["previous_won_value"].as_i64()), (Some(660_000), Some(0)));
    // The page offers the year a click away.
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (_, html) = ui.get("/dashboard").await;
    let year_link = html.split("Этот год").next().and_then(|before| before.rsplit("<a ").next()).unwrap_or("");
    assert!(html.contains("Этот год") && year_link.contains("from=2026-01-01") && year_link.contains("to=2026-12-31"), "{html}");

    // What the write path kept is what a rebuild from the deals counts.
    let kept = app.db.deal_stats_rows(&head).await.unwrap();
    assert!(!kept.is_empty());
    app.db.rebuild_deal_stats(Some(app.ws), &mut |_| {}).await.unwrap();
    assert_eq!(app.db.deal_stats_rows(&head).await.unwrap(), kept, "the write path's aggregate differs from a rebuild");

    // A stage moved to the end of its pipeline: the furthest stages are recounted with it.
    ok(app.patch(a, &format!("/api/v1/stages/{}", app.ids.stages[1]), json!({"position": 99})).await).await;
    both(&app, &head, &[]).await;
    both(&app, &m2_actor, &[]).await;
    let kept = app.db.deal_stats_rows(&head).await.unwrap();
    app.db.rebuild_deal_stats(Some(app.ws), &mut |_| {}).await.unwrap();
    assert_eq!(app.db.deal_stats_rows(&head).await.unwrap(), kept, "a stage's move left the aggregate stale");

    // Over the HTTP API the head's dashboard reads the same.
    let (s, v) = app.get(&app.t.head, "/api/v1/dashboard").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["revenue"]["won_value"], 560_000);
}

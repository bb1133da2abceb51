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

crate::both_dbs!(
    the_dashboards_aggregate_gives_the_exact_figures_after_every_kind_of_deal_write,
    a_change_of_zone_recounts_the_aggregate_by_itself,
);

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

    // The busiest pipeline, which the dashboard chose: the aggregate's count and the deals' agree.
    assert_eq!(app.db.largest_pipeline_rollup(&head).await.unwrap(), app.ids.pipeline);
    assert_eq!(app.db.largest_pipeline_exact(&head).await.unwrap(), app.ids.pipeline);
    assert_eq!(d["pipeline_id"], app.ids.pipeline);

    // Open and overdue tasks (read from the open tasks' index by owner, m0046): at 09:00 on the
    // 23rd, m1's task due on the 20th and m2's due at 08:59 are overdue, m1's due on the 30th is
    // open; a done task and a deleted one count nowhere; one without an owner counts in the total.
    let tasks = |actor: poryadok_store::Actor| {
        let app = &app;
        async move {
            let t = T::new(actor.ws_lang());
            let l = dashboard_from(&app.db, &actor, &[], &t, Read::Aggregate).await.unwrap().load.now;
            let row = |o: Option<i64>| l.rows.iter().find(|r| r.owner_id == o).map(|r| (r.counts.open_tasks, r.counts.overdue_tasks));
            ((l.total.open_tasks, l.total.overdue_tasks), row(Some(m1)).unwrap_or_default(), row(Some(m2)).unwrap_or_default())
        }
    };
    let before = tasks(head.clone()).await;
    let task = |owner: Option<i64>, due: &str, done: bool| json!({"type": "task", "subject": format!("задача {due}"), "due_at": due, "owner_id": owner, "done": done});
    app.create(a, "activities", task(Some(m1), "2026-11-20T08:00:00Z", false)).await;
    app.create(a, "activities", task(Some(m1), "2026-11-30T08:00:00Z", false)).await;
    app.create(a, "activities", task(Some(m2), "2026-11-23T08:59:00Z", false)).await;
    app.create(a, "activities", task(Some(m2), "2026-11-01T08:00:00Z", true)).await;
    let deleted = app.create(a, "activities", task(Some(m1), "2026-11-02T08:00:00Z", false)).await;
    ok(app.delete(a, &format!("/api/v1/activities/{deleted}")).await).await;
    app.create(a, "activities", task(None, "2026-11-24T08:00:00Z", false)).await;
    let after = tasks(head.clone()).await;
    let plus = |a: (i64, i64), b: (i64, i64)| (a.0 + b.0, a.1 + b.1);
    assert_eq!(after, (plus(before.0, (4, 2)), plus(before.1, (2, 1)), plus(before.2, (1, 1))), "{before:?} → {after:?}");
    let own = tasks(app.db.actor_for_user(m2, Channel::Api).await.unwrap()).await;
    assert_eq!(own.0, after.2, "a manager's own dashboard counts their own tasks");
    let d = both(&app, &head, &[]).await;
    assert_eq!(d["overdue_tasks"]["total"].as_i64(), Some(after.0 .1));

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

    // Every tile's number leads to the report (or the records) it is read from, and that page
    // shows the same number.
    let figures: Vec<(String, String, String)> = html
        .split("<section class=\"panel dash-tile\" id=\"")
        .skip(1)
        .map(|tile| {
            let id = tile.split('"').next().unwrap_or("").to_string();
            let fig = tile.split("<p class=\"dash-figure\"><a href=\"").nth(1).unwrap_or_else(|| panic!("{id}: the figure is no link"));
            let (href, rest) = fig.split_once("\">").unwrap();
            let figure = rest.split("</a>").next().unwrap().to_string();
            (id, href.replace("&#38;", "&").replace("&amp;", "&"), figure)
        })
        .collect();
    let ids: Vec<&str> = figures.iter().map(|f| f.0.as_str()).collect();
    let expected =
        ["revenue", "funnel", "managers", "forecast", "overdue", "violations", "sources", "marketing"].map(|t| format!("tile-{t}"));
    assert_eq!(ids, expected);
    for (id, href, figure) in &figures {
        let (status, page) = ui.get(href).await;
        assert_eq!(status, StatusCode::OK, "{id}: {href}");
        if !["tile-managers", "tile-violations"].contains(&id.as_str()) {
            assert!(page.contains(figure.as_str()), "{id}: {href} does not show {figure}");
        }
    }
    let funnel = &figures[1].1;
    assert!(funnel.starts_with("/reports/funnel?") && funnel.contains(&format!("pipeline_id={}", app.ids.pipeline)), "{funnel}");

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

/// A workspace that changes zone gets its aggregate counted again by a job the change queues:
/// meanwhile the dashboard reads the deals, afterwards the aggregate in the new zone's days, with
/// the same figures both ways.
async fn a_change_of_zone_recounts_the_aggregate_by_itself(app: TestApp) {
    let a = &app.t.admin;
    department(&app).await;
    // 18:00 UTC on the 30th: 21:00 in Moscow, 04:00 on 1 December in Vladivostok.
    app.clock.advance(time::Duration::days(7) + time::Duration::hours(9));
    walk(&app, app.ids.manager1, "на стыке месяцев", &[1], Some("won")).await;
    let head = app.db.system_actor(app.ws, Channel::Api).await.unwrap();
    let november = [("from", "2026-11-01"), ("to", "2026-11-30")];
    let moscow = both(&app, &head, &november).await;
    assert_eq!(app.db.stats_zone(&head).await.unwrap().as_deref(), Some("Europe/Moscow"));

    ok(app.patch(a, "/api/v1/workspace", json!({"timezone": "Asia/Vladivostok"})).await).await;
    let head = app.db.system_actor(app.ws, Channel::Api).await.unwrap();
    let month = Period::parse("2026-11-01", "2026-11-30", &head.ws.timezone).unwrap();
    let scope = ReportScope { from: month.from, to: month.to, pipeline: app.ids.pipeline, from_aggregate: true, ..Default::default() };
    assert!(!app.db.rollup_answers(&head, &scope).await.unwrap(), "counted in the old zone, the aggregate must not answer");
    let meanwhile = both(&app, &head, &november).await;
    assert_eq!(
        meanwhile["revenue"]["won_value"].as_i64(),
        moscow["revenue"]["won_value"].as_i64().map(|v| v - 100_000),
        "the deal won at 04:00 on 1 December in Vladivostok is not November's: {meanwhile}"
    );

    // The job the change queued recounts it in the new zone.
    poryadok_server::worker::Worker::new(&poryadok_server::AppState::new(app.db.clone())).run_once().await.unwrap();
    assert_eq!(app.db.stats_zone(&head).await.unwrap().as_deref(), Some("Asia/Vladivostok"));
    assert!(app.db.rollup_answers(&head, &scope).await.unwrap());
    assert_eq!(both(&app, &head, &november).await, meanwhile);
    both(&app, &head, &[("from", "2026-12-01"), ("to", "2026-12-31")]).await;
    let kept = app.db.deal_stats_rows(&head).await.unwrap();
    app.db.rebuild_deal_stats(Some(app.ws), &mut |_| {}).await.unwrap();
    assert_eq!(app.db.deal_stats_rows(&head).await.unwrap(), kept);
    // Setting the same zone again queues nothing.
    ok(app.patch(a, "/api/v1/workspace", json!({"timezone": "Asia/Vladivostok"})).await).await;
    let queued = app.db.list_jobs(app.ws, Some("queued"), 100).await.unwrap();
    assert!(!queued.iter().any(|j| j["kind"] == poryadok_store::deal_stats::REBUILD_JOB), "{queued:?}");
}

//! The forecast beside the same aggregates written by hand, the head's dashboard (every tile, as
//! its page computes them) and a manager's own, and the monthly review's workbook — over the first
//! workspace. The dashboard's aim is under 500 ms at a million deals.
use crate::bench::time;
use anyhow::{Context, Result};
use poryadok_core::domain::Channel;
use poryadok_core::report::Period;
use poryadok_core::schema::Entity;
use poryadok_server::report::{params, run as run_report};
use poryadok_server::ui::i18n::T;
use poryadok_store::{Db, ListQuery};
use serde_json::json;

/// The forecast's three reads, by hand.
fn forecast_sql(pipeline: i64, from: i64, to: i64) -> [String; 3] {
    let deals = format!("FROM deals WHERE workspace_id = $1 AND pipeline_id = {pipeline} AND deleted_at IS NULL");
    [
        format!("SELECT SUBSTR(expected_close_date, 1, 7), stage_id, COUNT(id), SUM(value) {deals} AND status = 'open' GROUP BY SUBSTR(expected_close_date, 1, 7), stage_id"),
        "SELECT v.record_id, r.name FROM violations v INNER JOIN rules r ON r.id = v.rule_id WHERE v.workspace_id = $1 AND v.entity = 'deal' \
         AND v.round_id = (SELECT MAX(id) FROM audit_rounds WHERE workspace_id = $1 AND status NOT IN ('running', 'failed')) \
         AND r.criticality = 1 AND (v.status <> 'fixed' OR v.recheck = 'still_matches')"
            .to_string(),
        format!(
            "SELECT COUNT(id), SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'won' THEN value ELSE 0 END) {deals} \
             AND status <> 'not_lead' AND created_at >= {from} AND created_at < {to}"
        ),
    ]
}

pub async fn run(db: &Db, iterations: usize) -> Result<()> {
    let ws = *db.workspace_ids().await?.first().context("no workspace; generate one first")?;
    let head = db.system_actor(ws, Channel::Api).await?;
    let t = T::new(head.ws_lang());
    let pipeline = db.largest_pipeline(&head).await?;
    let tz = head.ws.timezone.clone();
    let month = Period::month_of(db.clock.now_ms(), &tz);
    let window = month.months_before(3, &tz);
    let pairs = |extra: &[(&str, String)]| -> Vec<(String, String)> {
        let mut v = vec![("from".to_string(), month.from_date.clone()), ("to".to_string(), month.to_date.clone())];
        v.extend(extra.iter().map(|(k, x)| (k.to_string(), x.clone())));
        v
    };

    let forecast = pairs(&[("pipeline_id", pipeline.to_string())]);
    let (f50, f99) = time(iterations, || async {
        let p = params(db, &head, "forecast", &forecast).await?;
        Ok(run_report(db, &head, p, &t).await?)
    })
    .await?;
    let hand = forecast_sql(pipeline, window.from, window.to);
    let (h50, h99) = time(iterations, || async {
        for sql in &hand {
            db.raw_rows(sql, ws).await?;
        }
        Ok(())
    })
    .await?;
    println!(
        "{}",
        json!({"name": "report forecast: month", "unit": "ms", "median": f50, "p99": f99, "limit": h50, "limit_p99": h99,
               "limit_name": "hand-written SQL"})
    );

    let dashboard_pairs = pairs(&[]);
    let (d50, d99) =
        time(iterations, || async { Ok(poryadok_server::report::dashboard::dashboard(db, &head, &dashboard_pairs, &t).await?) }).await?;
    println!("{}", json!({"name": "dashboard: head, month", "unit": "ms", "median": d50, "p99": d99, "limit": 500.0, "limit_name": "aim"}));

    // Where the dashboard's time goes: each of its reports alone, once.
    for (name, extra) in [
        ("sales", vec![("group", "owner".to_string()), ("compare", "previous".to_string())]),
        ("funnel", vec![("pipeline_id", pipeline.to_string())]),
        ("forecast", vec![("pipeline_id", pipeline.to_string())]),
        ("load", vec![]),
        ("plan_fact", vec![]),
        ("marketing", vec![]),
    ] {
        let p = pairs(&extra);
        let (ms, _) = time(1, || async {
            let p = params(db, &head, name, &p).await?;
            Ok(run_report(db, &head, p, &t).await?)
        })
        .await?;
        println!("{}", json!({"name": format!("dashboard tile: {name}"), "unit": "ms", "median": ms}));
    }

    let q = ListQuery { limit: Some("1".into()), filters: vec![("role".into(), "manager".into())], ..Default::default() };
    if let Some(m) = db.list(&head, Entity::User, &q).await?.data.first() {
        let manager = db.actor_for_user(m.id(), Channel::Api).await?;
        let (m50, m99) =
            time(iterations, || async { Ok(poryadok_server::report::dashboard::dashboard(db, &manager, &dashboard_pairs, &t).await?) })
                .await?;
        println!(
            "{}",
            json!({"name": "dashboard: manager, month", "unit": "ms", "median": m50, "p99": m99, "limit": 500.0, "limit_name": "aim"})
        );
    }

    let last = month.months_before(1, &tz);
    let (r50, r99) =
        time(iterations.min(3), || async { Ok(poryadok_server::report::review::review_workbook(db, &head, &t, &last).await?) }).await?;
    println!("{}", json!({"name": "monthly review workbook", "unit": "ms", "median": r50, "p99": r99}));
    Ok(())
}

//! The sales reports over the first workspace, as its head: the funnel (cohort and movement) and
//! the managers' funnels over a month and over the whole year, each beside the same aggregates
//! written by hand in the same run; then, with `--backfill`, how many deals a second the stage
//! history is rebuilt from the history at (it replaces the generated stays, so it runs last).
use crate::bench::time;
use anyhow::{Context, Result};
use poryadok_core::domain::Channel;
use poryadok_core::report::Period;
use poryadok_store::report::ReportScope;
use poryadok_store::Db;
use serde_json::json;
use std::time::Instant;

/// The cohort funnel by hand: the furthest stage of each deal created in the period.
fn cohort_sql(pipeline: i64, from: i64, to: i64, by_owner: bool) -> String {
    let owner = if by_owner { ", owner_id" } else { "" };
    format!(
        "SELECT pos, status{owner}, COUNT(status) AS n, CAST(COALESCE(SUM(value), 0) AS BIGINT) AS total FROM (\
         SELECT COALESCE((SELECT MAX(s.position) FROM stage_stays ss INNER JOIN stages s ON s.id = ss.stage_id \
           WHERE ss.workspace_id = d.workspace_id AND ss.deal_id = d.id AND s.pipeline_id = d.pipeline_id), \
           (SELECT s.position FROM stages s WHERE s.id = d.stage_id)) AS pos, d.status, d.value, d.owner_id \
         FROM deals d WHERE d.workspace_id = $1 AND d.pipeline_id = {pipeline} AND d.deleted_at IS NULL AND d.status <> 'not_lead' \
           AND d.created_at >= {from} AND d.created_at < {to}) r GROUP BY pos, status{owner}"
    )
}

/// The movement funnel by hand: stage entries in the period, and deals closed in it.
fn movement_sql(pipeline: i64, from: i64, to: i64) -> [String; 3] {
    let deals =
        format!("SELECT 1 FROM deals WHERE workspace_id = $1 AND pipeline_id = {pipeline} AND deleted_at IS NULL AND status <> 'not_lead'");
    let entered = format!(
        "ss.workspace_id = $1 AND ss.pipeline_id = {pipeline} AND ss.entered_at >= {from} AND ss.entered_at < {to} \
         AND EXISTS ({deals} AND deals.id = ss.deal_id)"
    );
    [
        format!(
            "SELECT COALESCE(f.position, -1) AS fp, t.position AS tp, COUNT(ss.id) AS n FROM stage_stays ss \
             INNER JOIN stages t ON t.id = ss.stage_id LEFT JOIN stages f ON f.id = ss.from_stage_id AND f.pipeline_id = ss.pipeline_id \
             WHERE {entered} GROUP BY COALESCE(f.position, -1), t.position"
        ),
        format!("SELECT COUNT(DISTINCT ss.deal_id) FROM stage_stays ss WHERE {entered}"),
        format!(
            "SELECT status, COUNT(id), CAST(COALESCE(SUM(value), 0) AS BIGINT) FROM deals WHERE workspace_id = $1 AND pipeline_id = {pipeline} \
             AND deleted_at IS NULL AND status <> 'not_lead' AND status IN ('won', 'lost') AND closed_at >= {from} AND closed_at < {to} GROUP BY status"
        ),
    ]
}

pub async fn run(db: &Db, iterations: usize, backfill: bool) -> Result<()> {
    let ws = *db.workspace_ids().await?.first().context("no workspace; generate one first")?;
    let head = db.system_actor(ws, Channel::Api).await?;
    let pipeline = db.largest_pipeline(&head).await?;
    let tz = head.ws.timezone.clone();
    let now = db.clock.now_ms();
    let month = Period::month_of(now, &tz);
    let year = Period { from: now - 365 * 86_400_000, to: now + 86_400_000, ..month.clone() };
    for (label, p) in [("month", &month), ("year", &year)] {
        let scope = ReportScope { from: p.from, to: p.to, pipeline, ..Default::default() };
        let (f50, f99) = time(iterations, || async { Ok(db.funnel_report(&head, &scope).await?) }).await?;
        let mut hand = vec![cohort_sql(pipeline, p.from, p.to, false)];
        hand.extend(movement_sql(pipeline, p.from, p.to));
        let (h50, h99) = time(iterations, || async {
            for sql in &hand {
                db.raw_rows(sql, ws).await?;
            }
            Ok(())
        })
        .await?;
        let report = db.funnel_report(&head, &scope).await?;
        println!(
            "{}",
            json!({"name": format!("report funnel: {label}"), "unit": "ms", "median": f50, "p99": f99, "limit": h50, "limit_p99": h99,
                   "limit_name": "hand-written SQL", "deals": report.cohort.deals, "moved": report.movement.deals})
        );
        let (m50, m99) = time(iterations, || async { Ok(db.manager_funnels(&head, &scope).await?) }).await?;
        let hand = cohort_sql(pipeline, p.from, p.to, true);
        let (h50, h99) = time(iterations, || async { Ok(db.raw_rows(&hand, ws).await?) }).await?;
        println!(
            "{}",
            json!({"name": format!("report managers: {label}"), "unit": "ms", "median": m50, "p99": m99, "limit": h50, "limit_p99": h99,
                   "limit_name": "hand-written SQL"})
        );
    }
    if backfill {
        let started = Instant::now();
        let deals = db.backfill_stage_history(Some(ws)).await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{}",
            json!({"name": "stage history backfill", "unit": "deals/s", "median": deals as f64 / secs, "deals": deals, "seconds": secs})
        );
    }
    Ok(())
}

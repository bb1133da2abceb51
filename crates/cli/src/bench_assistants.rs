//! `bench assistants`: each assistant's run over the first workspace (1,000,000 deals and about
//! 333,000 organizations at `--size 1m`): a dry run (the plan alone) and a real run (plan and
//! acts), as of a time that makes each one busy. Invoices are made from the won deals first
//! (every fifth unpaid), and the clients' last activity is backfilled, timed too.
use anyhow::{Context, Result};
use poryadok_core::domain::Channel;
use poryadok_store::Db;
use serde_json::json;
use std::time::Instant;

const DAY: i64 = 86_400_000;

pub async fn run(db: &Db) -> Result<()> {
    let ws = *db.workspace_ids().await?.first().context("no workspace; generate one first")?;
    let now = db.clock.now_ms();
    let t = Instant::now();
    let made = make_invoices(db, ws, now).await?;
    emit("assistants_invoices_made", t.elapsed().as_secs_f64() * 1000.0, made as usize, json!({}));
    let report = db.backfill_last_activity(ws).await?;
    emit("assistants_backfill", report.total.as_secs_f64() * 1000.0, 0, json!({}));
    let sys = db.system_actor(ws, Channel::Cli).await?;
    db.add_default_templates(&sys).await?;
    // Forgotten first: release and escalation act on what it labelled, later.
    let plan = [
        ("forgotten", now),
        ("churned", now),
        ("unpaid", now),
        ("debtors", now),
        ("release", now + 15 * DAY),
        ("escalation", now + 10 * DAY),
    ];
    for (name, at) in plan {
        let dry = db.run_assistant(ws, name, Some(at), true).await?;
        emit(&format!("assistant_{name}_dry"), dry.elapsed_ms as f64, dry.actions.len(), json!({}));
        let real = db.run_assistant(ws, name, Some(at), false).await?;
        emit(&format!("assistant_{name}"), real.elapsed_ms as f64, real.actions.len(), json!({}));
    }
    Ok(())
}

fn emit(name: &str, ms: f64, actions: usize, extra: serde_json::Value) {
    let mut v = json!({"name": name, "unit": "ms", "median": ms, "actions": actions});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    println!("{v}");
}

/// An invoice per won deal of the workspace, issued when it was won, due 14 days later; four in
/// five paid in full. Skipped when the workspace has invoices already.
async fn make_invoices(db: &Db, ws: i64, now: i64) -> Result<i64> {
    let existing = db.raw_count("SELECT COUNT(*) FROM invoices WHERE workspace_id = $1 AND created_at <= $2", ws, now).await?;
    if existing > 0 {
        return Ok(0);
    }
    let (issued, due) = if db.is_postgres() {
        ("to_char(to_timestamp(d.closed_at / 1000), 'YYYY-MM-DD')", "to_char(to_timestamp(d.closed_at / 1000 + 14 * 86400), 'YYYY-MM-DD')")
    } else {
        ("date(d.closed_at / 1000, 'unixepoch')", "date(d.closed_at / 1000 + 14 * 86400, 'unixepoch')")
    };
    let sql = format!(
        "INSERT INTO invoices (workspace_id, number, deal_id, organization_id, owner_id, amount, currency, issued_on, due_on, paid_amount, status, created_at, updated_at) \
         SELECT $1, 'B-' || d.id, d.id, d.organization_id, d.owner_id, GREATEST(d.value, 100), d.currency, {issued}, {due}, \
         CASE WHEN d.id % 5 = 0 THEN 0 ELSE GREATEST(d.value, 100) END, CASE WHEN d.id % 5 = 0 THEN 'open' ELSE 'paid' END, $2, $2 \
         FROM deals d WHERE d.workspace_id = $1 AND d.status = 'won' AND d.closed_at IS NOT NULL AND d.deleted_at IS NULL"
    );
    let sql = if db.is_postgres() { sql } else { sql.replace("GREATEST", "MAX") };
    Ok(db.raw_execute(&[sql], ws, now).await?.first().copied().unwrap_or(0) as i64)
}

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
    activity(db, &head, &[("month", &month), ("year", &year)], iterations).await?;
    stage_time_load_partners(db, &head, pipeline, &[("month", &month), ("year", &year)], iterations).await?;
    plan_fact(db, &head, &month, iterations).await?;
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

/// The managers' activity by hand: the period's activities in one pass (as the report, grouped by
/// `+owner_id`), the messages by their deal's or person's owner, the invoices, the working users.
fn activity_sql(p: &Period, now: i64) -> [String; 4] {
    let (from, to) = (p.from, p.to);
    let held = format!("((a.due_at >= {from} AND a.due_at < {to}) OR (a.due_at IS NULL AND a.done_at >= {from} AND a.done_at < {to}))");
    let call = format!("a.type = 'call' AND a.call_direction IS NOT NULL AND a.done AND {held}");
    let answered = "(a.call_outcome IS NULL OR a.call_outcome = 'answered')";
    let deal_ok = |t: &str| {
        format!("EXISTS (SELECT 1 FROM deals d WHERE d.id = {t}.deal_id AND d.workspace_id = $1 AND d.deleted_at IS NULL AND d.status <> 'not_lead')")
    };
    let lead = |t: &str| {
        format!("({t}.person_id IS NULL OR NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = {t}.person_id AND p.not_lead_reason <> ''))")
    };
    let (first, last) = (&p.from_date, &p.to_date);
    [
        format!(
            "SELECT +a.owner_id AS o, \
             SUM(CASE WHEN {call} AND a.call_direction = 'inbound' AND {answered} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {call} AND a.call_direction = 'outbound' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {call} AND a.call_direction = 'inbound' AND a.call_outcome <> 'answered' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {call} AND {answered} THEN COALESCE(a.call_seconds, a.duration_min * 60, 0) ELSE 0 END), \
             SUM(CASE WHEN a.type = 'email' AND a.done AND {held} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN a.type IN ('meeting', 'demo', 'lunch') AND a.done AND {held} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN a.call_direction IS NULL AND a.done AND a.done_at >= {from} AND a.done_at < {to} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN a.call_direction IS NULL AND NOT a.done AND a.due_at >= {from} AND a.due_at < {until} THEN 1 ELSE 0 END) \
             FROM activities a WHERE a.workspace_id = $1 AND a.deleted_at IS NULL \
             AND ((a.due_at >= {from} AND a.due_at < {to}) OR (a.done_at >= {from} AND a.done_at < {to})) \
             AND ((a.deal_id IS NULL AND {lead_a}) OR {deal_a}) GROUP BY +a.owner_id",
            until = to.min(now),
            lead_a = lead("a"),
            deal_a = deal_ok("a"),
        ),
        format!(
            "SELECT COALESCE(d.owner_id, p.owner_id) AS o, m.direction, m.channel, COUNT(*) FROM messages m \
             LEFT JOIN deals d ON d.id = m.deal_id LEFT JOIN persons p ON p.id = m.person_id \
             WHERE m.workspace_id = $1 AND m.sent_at >= {from} AND m.sent_at < {to} \
             AND ((m.deal_id IS NULL AND p.id IS NOT NULL AND p.deleted_at IS NULL AND (p.not_lead_reason IS NULL OR p.not_lead_reason = '')) \
               OR (d.workspace_id = $1 AND d.deleted_at IS NULL AND d.status <> 'not_lead')) \
             GROUP BY COALESCE(d.owner_id, p.owner_id), m.direction, m.channel"
        ),
        format!(
            "SELECT +i.owner_id AS o, \
             SUM(CASE WHEN i.issued_on >= '{first}' AND i.issued_on <= '{last}' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.issued_on >= '{first}' AND i.issued_on <= '{last}' THEN i.amount ELSE 0 END), \
             SUM(CASE WHEN i.status = 'paid' AND i.paid_on >= '{first}' AND i.paid_on <= '{last}' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.status = 'paid' AND i.paid_on >= '{first}' AND i.paid_on <= '{last}' THEN i.amount ELSE 0 END) \
             FROM invoices i WHERE i.workspace_id = $1 AND i.deleted_at IS NULL AND i.status <> 'cancelled' \
             AND ((i.issued_on >= '{first}' AND i.issued_on <= '{last}') OR (i.status = 'paid' AND i.paid_on >= '{first}' AND i.paid_on <= '{last}')) \
             AND (i.deal_id IS NULL OR {deal_i}) GROUP BY +i.owner_id",
            deal_i = deal_ok("i"),
        ),
        "SELECT id FROM users WHERE workspace_id = $1 AND active AND role IN ('manager', 'consultant', 'partner_manager')".to_string(),
    ]
}

/// The managers' activity over `periods`, every pipeline (as the plans read it), beside the same
/// counts written by hand. The demo generator writes calls, meetings, e-mails and tasks; messages
/// and invoices come only with the demo's process (`poryadok demo`), not with `bench generate`.
async fn activity(db: &Db, head: &poryadok_store::Actor, periods: &[(&str, &Period)], iterations: usize) -> Result<()> {
    let ws = head.ws_id();
    for (label, p) in periods {
        let scope = ReportScope { from: p.from, to: p.to, ..Default::default() };
        let (r50, r99) = time(iterations, || async { Ok(db.activity_report(head, &scope).await?) }).await?;
        let hand = activity_sql(p, db.clock.now_ms());
        let (h50, h99) = time(iterations, || async {
            for sql in &hand {
                db.raw_rows(sql, ws).await?;
            }
            Ok(())
        })
        .await?;
        let t = db.activity_report(head, &scope).await?.total;
        println!(
            "{}",
            json!({"name": format!("report activity: {label}"), "unit": "ms", "median": r50, "p99": r99, "limit": h50, "limit_p99": h99,
                   "limit_name": "hand-written SQL", "calls": t.calls(), "meetings": t.meetings, "tasks_done": t.tasks_done,
                   "tasks_overdue": t.tasks_overdue, "messages": t.messages_in + t.messages_out, "invoices": t.invoices_issued})
        );
    }
    Ok(())
}

/// Time in stage, the managers' load and the partners over `periods`, each beside the same
/// aggregates written by hand (time in stage's by hand in calendar time: SQL knows no working
/// calendar, so the report's working time is its own cost on top).
async fn stage_time_load_partners(
    db: &Db,
    head: &poryadok_store::Actor,
    pipeline: i64,
    periods: &[(&str, &Period)],
    iterations: usize,
) -> Result<()> {
    let ws = head.ws_id();
    let now = db.clock.now_ms();
    let base = "workspace_id = $1 AND deleted_at IS NULL AND status <> 'not_lead'";
    let stages = db.pipeline_stages(head, pipeline).await?.iter().map(|s| s.id.to_string()).collect::<Vec<_>>().join(", ");
    for (label, p) in periods {
        let (from, to) = (p.from, p.to);
        let scope = ReportScope { from, to, pipeline, ..Default::default() };

        let (r50, r99) = time(iterations, || async { Ok(db.stage_time_report(head, &scope, true).await?) }).await?;
        let stays = format!(
            "SELECT ss.stage_id, ss.left_at - ss.entered_at AS d FROM stage_stays ss WHERE ss.workspace_id = $1 AND ss.pipeline_id = {pipeline} \
             AND ss.left_at >= {from} AND ss.left_at < {to} AND EXISTS (SELECT 1 FROM deals WHERE deals.id = ss.deal_id AND {base} AND pipeline_id = {pipeline}) \
             UNION ALL SELECT stage_id, closed_at - stage_entered_at FROM deals WHERE {base} AND pipeline_id = {pipeline} \
             AND status IN ('won', 'lost') AND closed_at >= {from} AND closed_at < {to}"
        );
        let hand = [
            format!(
                "SELECT stage_id, n, rn, d FROM (SELECT stage_id, d, ROW_NUMBER() OVER (PARTITION BY stage_id ORDER BY d) AS rn, \
                 COUNT(*) OVER (PARTITION BY stage_id) AS n FROM ({stays}) s) r WHERE rn = (n + 1) / 2 OR rn = (9 * n + 9) / 10"
            ),
            if db.is_postgres() {
                format!(
                    "SELECT stage_id, n, stage_entered_at, id FROM (SELECT stage_id, id, stage_entered_at, \
                     ROW_NUMBER() OVER (PARTITION BY stage_id ORDER BY stage_entered_at, id) AS rn, COUNT(*) OVER (PARTITION BY stage_id) AS n \
                     FROM deals WHERE {base} AND pipeline_id = {pipeline} AND stage_id IN ({stages}) AND status = 'open') o WHERE rn = 1"
                )
            } else {
                format!(
                    "SELECT stage_id, id, COUNT(*), MIN(stage_entered_at) FROM deals WHERE {base} AND pipeline_id = {pipeline} \
                     AND stage_id IN ({stages}) AND status = 'open' GROUP BY stage_id"
                )
            },
        ];
        let (h50, h99) = time(iterations, || async {
            for sql in &hand {
                db.raw_rows(sql, ws).await?;
            }
            Ok(())
        })
        .await?;
        let report = db.stage_time_report(head, &scope, true).await?;
        println!(
            "{}",
            json!({"name": format!("report stage_time: {label}"), "unit": "ms", "median": r50, "p99": r99, "limit": h50, "limit_p99": h99,
                   "limit_name": "hand-written SQL (calendar time)", "stays": report.stays(), "open": report.now()})
        );

        let (r50, r99) = time(iterations, || async { Ok(db.load_report(head, &scope, None).await?) }).await?;
        let hand = [
            format!("SELECT +owner_id AS o, COUNT(*), CAST(COALESCE(SUM(value), 0) AS BIGINT) FROM deals WHERE {base} AND status = 'open' GROUP BY o"),
            format!(
                "SELECT +owner_id AS o, COUNT(*), CAST(COALESCE(SUM(value), 0) AS BIGINT) FROM deals WHERE {base} AND status = 'won' \
                 AND closed_at >= {from} AND closed_at < {to} GROUP BY o"
            ),
            format!(
                "SELECT +owner_id AS o, COUNT(*), SUM(CASE WHEN due_at < {now} THEN 1 ELSE 0 END) FROM activities \
                 WHERE workspace_id = $1 AND done = {f} AND deleted_at IS NULL GROUP BY o",
                f = if db.is_postgres() { "false" } else { "0" }
            ),
        ];
        let (h50, h99) = time(iterations, || async {
            for sql in &hand {
                db.raw_rows(sql, ws).await?;
            }
            Ok(())
        })
        .await?;
        let report = db.load_report(head, &scope, None).await?;
        println!(
            "{}",
            json!({"name": format!("report load: {label}"), "unit": "ms", "median": r50, "p99": r99, "limit": h50, "limit_p99": h99,
                   "limit_name": "hand-written SQL", "managers": report.rows.len(), "open_deals": report.total.open_deals, "won": report.total.won})
        );

        let (r50, r99) = time(iterations, || async { Ok(db.partners_report(head, &scope, None).await?) }).await?;
        let partner = |json: &str| {
            if db.is_postgres() {
                format!(
                    "(CASE WHEN jsonb_typeof(({json})::jsonb -> 'partner_org') = 'number' AND (({json})::jsonb ->> 'partner_org') ~ '^-?[0-9]+$' \
                     THEN (({json})::jsonb ->> 'partner_org')::bigint END)"
                )
            } else {
                format!("(CASE WHEN json_type({json}, '$.\"partner_org\"') = 'integer' THEN json_extract({json}, '$.\"partner_org\"') END)")
            }
        };
        let of_deal = format!(
            "(SELECT {} FROM organizations o WHERE o.id = deals.organization_id AND o.workspace_id = deals.workspace_id AND o.deleted_at IS NULL)",
            partner("o.custom")
        );
        let deals = |when: &str, won: &str| {
            format!(
                "SELECT p, COUNT(*), CAST(COALESCE(SUM(value), 0) AS BIGINT), COUNT(DISTINCT organization_id) FROM (SELECT {of_deal} AS p, value, \
                 organization_id FROM deals WHERE {base} AND organization_id IS NOT NULL AND {when} >= {from} AND {when} < {to}{won}) d GROUP BY p"
            )
        };
        let hand = [
            deals("created_at", ""),
            deals("closed_at", " AND status = 'won'"),
            format!(
                "SELECT p, COUNT(*) FROM (SELECT {} AS p FROM organizations WHERE workspace_id = $1 AND deleted_at IS NULL \
                 AND custom LIKE '%\"partner_org\"%') c WHERE p IS NOT NULL GROUP BY p",
                partner("custom")
            ),
        ];
        let (h50, h99) = time(iterations, || async {
            for sql in &hand {
                db.raw_rows(sql, ws).await?;
            }
            Ok(())
        })
        .await?;
        let report = db.partners_report(head, &scope, None).await?;
        println!(
            "{}",
            json!({"name": format!("report partners: {label}"), "unit": "ms", "median": r50, "p99": r99, "limit": h50, "limit_p99": h99,
                   "limit_name": "hand-written SQL", "partners": report.rows.len(), "won": report.total.won})
        );
    }
    Ok(())
}

/// Plan vs fact for the current month over every pipeline beside the same reads by hand: the
/// calendar, the month's plans, the won deals by owner, the activity's four counts (as above),
/// the users and the teams.
async fn plan_fact(db: &Db, head: &poryadok_store::Actor, month: &Period, iterations: usize) -> Result<()> {
    let ws = head.ws_id();
    let today = poryadok_core::zone::local(&head.ws.timezone, db.clock.now_ms()).date();
    let period = poryadok_core::plan::PlanPeriod::month_of(today);
    let scope = ReportScope { from: month.from, to: month.to, ..Default::default() };
    let (r50, r99) = time(iterations, || async { Ok(db.plan_fact_report(head, &scope, None, period).await?) }).await?;
    let (from, to, key) = (month.from, month.to, period.key());
    let mut hand = vec![
        "SELECT business_hours FROM workspaces WHERE id = $1".to_string(),
        format!("SELECT id, user_id, team_id, period, metric, value FROM plans WHERE workspace_id = $1 AND period IN ('{key}')"),
        format!(
            "SELECT owner_id, COUNT(*), CAST(COALESCE(SUM(value), 0) AS BIGINT) FROM deals WHERE workspace_id = $1 AND deleted_at IS NULL \
             AND status = 'won' AND closed_at >= {from} AND closed_at < {to} GROUP BY owner_id"
        ),
        "SELECT id, name, email, role, team_id, active FROM users WHERE workspace_id = $1 ORDER BY name, id".to_string(),
        "SELECT id, name FROM teams WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY name, id".to_string(),
    ];
    hand.extend(activity_sql(month, db.clock.now_ms()));
    let (h50, h99) = time(iterations, || async {
        for sql in &hand {
            db.raw_rows(sql, ws).await?;
        }
        Ok(())
    })
    .await?;
    let report = db.plan_fact_report(head, &scope, None, period).await?;
    println!(
        "{}",
        json!({"name": "report plan_fact: month", "unit": "ms", "median": r50, "p99": r99, "limit": h50, "limit_p99": h99,
               "limit_name": "hand-written SQL", "managers": report.managers.len(), "metrics": report.metrics.len(),
               "working_days": report.pace.total})
    );
    Ok(())
}

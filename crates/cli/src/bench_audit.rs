//! `bench audit`: full audit rounds of the rule catalogue beside the same rules written by hand
//! as `INSERT … SELECT` statements, run in the same process over the same data.
use crate::bench::stats;
use anyhow::{Context, Result};
use poryadok_core::domain::Channel;
use poryadok_core::hygiene::catalogue;
use poryadok_store::Db;
use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;

/// Times full audit rounds of every catalogue rule over the first workspace (installing the
/// catalogue if it is not there): each round evaluates all rules and writes every hit. Then the
/// same rules, written by hand, insert into a scratch round, and each rule's count must match.
pub async fn run(db: &Db, iterations: usize) -> Result<()> {
    let ws = *db.workspace_ids().await?.first().context("no workspace; generate one first")?;
    let sys = db.system_actor(ws, Channel::Cli).await?;
    db.install_catalogue(&sys, &Default::default()).await?;
    let rules = db.list_rules(&sys).await?;
    let mut samples = Vec::new();
    let mut violations = 0;
    let mut last_round = 0;
    for _ in 0..iterations.max(1) {
        let t = Instant::now();
        let round = db.start_round(&sys).await?;
        violations = db.run_round(ws, round).await?;
        samples.push(t.elapsed());
        last_round = round;
    }
    let (p50, p99) = stats(samples);

    // The hand-written rules use the store round's own instant, so rules about time agree.
    let now = db
        .raw_count(
            &format!("SELECT finished_at FROM audit_rounds WHERE workspace_id = $1 AND id = {last_round} AND finished_at >= $2"),
            ws,
            0,
        )
        .await?;
    let by_key: HashMap<&str, i64> = rules.iter().filter_map(|r| Some((r.catalogue_key.as_deref()?, r.id))).collect();
    db.raw_execute(
        &["INSERT INTO audit_rounds (workspace_id, status, started_at, violations) VALUES ($1, 'closed', $2, 0)".to_string()],
        ws,
        now,
    )
    .await?;
    let scratch =
        db.raw_count("SELECT MAX(id) FROM audit_rounds WHERE workspace_id = $1 AND status = 'closed' AND started_at = $2", ws, now).await?;
    let hand = hand_rules(db.is_postgres());
    let missing: Vec<&str> = catalogue().iter().map(|r| r.key).filter(|k| !hand.iter().any(|(h, _, _)| h == k)).collect();
    anyhow::ensure!(missing.is_empty(), "no hand-written SQL for catalogue rules {missing:?}");
    let mut statements = Vec::with_capacity(hand.len());
    for (key, table, cond) in &hand {
        let rule = *by_key.get(key).with_context(|| format!("catalogue rule {key} is not installed"))?;
        statements.push(insert(table, scratch, rule, cond));
    }
    let cleanup = [format!("DELETE FROM violations WHERE workspace_id = $1 AND round_id = {scratch} AND created_at = $2")];
    let mut hand_samples = Vec::new();
    let mut counts = Vec::new();
    for _ in 0..iterations.max(1) {
        let t = Instant::now();
        counts = db.raw_execute(&statements, ws, now).await?;
        hand_samples.push(t.elapsed());
        db.raw_execute(&cleanup, ws, now).await?;
    }
    db.raw_execute(&[format!("DELETE FROM audit_rounds WHERE workspace_id = $1 AND id = {scratch} AND started_at = $2")], ws, now).await?;
    for ((key, _, _), n) in hand.iter().zip(&counts) {
        let rule = by_key.get(key).copied().unwrap_or(0);
        let store = db
            .raw_count(
                &format!("SELECT COUNT(*) FROM violations WHERE workspace_id = $1 AND round_id = {last_round} AND rule_id = {rule} AND created_at = $2"),
                ws,
                now,
            )
            .await?;
        anyhow::ensure!(store == *n as i64, "rule {key}: the store's round recorded {store} violations, the hand-written SQL {n}");
    }
    let (h50, h99) = stats(hand_samples);
    println!(
        "{}",
        json!({"name": "audit_round", "unit": "ms", "median": p50, "p99": p99, "rules": rules.len(), "violations": violations,
               "limit": h50, "limit_p99": h99, "limit_name": "the same rules as hand-written INSERT … SELECT",
               "note": "every enabled rule over the whole workspace, one INSERT…SELECT per rule, committed"})
    );
    Ok(())
}

/// One rule's hand-written `INSERT … SELECT` into `round`, for rows of `table` (aliased `t`).
fn insert(table: &str, round: i64, rule: i64, cond: &str) -> String {
    let entity = if table == "deals" { "deal" } else { "organization" };
    format!(
        "INSERT INTO violations (workspace_id, round_id, rule_id, entity, record_id, user_id, status, deadline_at, created_at) \
         SELECT $1, {round}, {rule}, '{entity}', t.id, \
         COALESCE((SELECT u.id FROM users u WHERE u.id = t.owner_id AND u.active = true), \
                  (SELECT MIN(h.id) FROM users h WHERE h.workspace_id = $1 AND h.role = 'head' AND h.active = true)), \
         'not_processed', $2 + 259200000, $2 \
         FROM {table} t WHERE t.workspace_id = $1 AND t.deleted_at IS NULL AND {cond}"
    )
}

/// The catalogue bound with its defaults (the demo workspace's names), written by hand: for each
/// rule its key, the table it is about and the condition on its row `t` (`$1` the workspace, `$2`
/// now in Unix ms). Custom fields count only when the JSON holds the field's type, as in the store.
fn hand_rules(pg: bool) -> Vec<(&'static str, &'static str, String)> {
    let text_empty = |col: &str, key: &str| {
        if pg {
            format!("(jsonb_typeof({col}::jsonb -> '{key}') IS DISTINCT FROM 'string' OR ({col}::jsonb ->> '{key}') = '')")
        } else {
            format!("(json_type({col}, '$.{key}') IS NOT 'text' OR json_extract({col}, '$.{key}') = '')")
        }
    };
    let number_empty = |col: &str, key: &str| {
        if pg {
            format!("jsonb_typeof({col}::jsonb -> '{key}') IS DISTINCT FROM 'number'")
        } else {
            format!("IFNULL(json_type({col}, '$.{key}'), '') NOT IN ('integer', 'real')")
        }
    };
    // Money and references are whole numbers.
    let int_empty = |col: &str, key: &str| {
        if pg {
            format!("NOT COALESCE(jsonb_typeof({col}::jsonb -> '{key}') = 'number' AND ({col}::jsonb ->> '{key}') ~ '^-?[0-9]+$', false)")
        } else {
            format!("json_type({col}, '$.{key}') IS NOT 'integer'")
        }
    };
    let is_true = |col: &str, key: &str| {
        if pg {
            format!("COALESCE(({col}::jsonb -> '{key}') = 'true'::jsonb, false)")
        } else {
            format!("json_type({col}, '$.{key}') IS 'true'")
        }
    };
    let lower = if pg { "lower" } else { "poryadok_lower" };
    let lacks = |hay: &str, needle: &str| {
        let needle = needle.to_lowercase();
        if pg {
            format!("strpos({lower}({hay}), '{needle}') = 0")
        } else {
            format!("instr({lower}({hay}), '{needle}') = 0")
        }
    };
    let has = |hay: &str, needle: &str| {
        let needle = needle.to_lowercase();
        if pg {
            format!("strpos({lower}({hay}), '{needle}') > 0")
        } else {
            format!("instr({lower}({hay}), '{needle}') > 0")
        }
    };
    let stage_from = |name: &str| {
        format!("t.stage_id IN (SELECT s.id FROM stages s JOIN stages x ON x.pipeline_id = s.pipeline_id AND x.workspace_id = $1 AND x.deleted_at IS NULL AND x.name = '{name}' WHERE s.workspace_id = $1 AND s.deleted_at IS NULL AND s.position >= x.position)")
    };
    let stage = |name: &str| format!("(SELECT id FROM stages WHERE workspace_id = $1 AND deleted_at IS NULL AND name = '{name}')");
    let pipelines =
        |names: &str| format!("(SELECT id FROM pipelines WHERE workspace_id = $1 AND deleted_at IS NULL AND name IN ({names}))");
    let open_tasks =
        "SELECT 1 FROM activities a WHERE a.workspace_id = $1 AND a.deal_id = t.id AND a.deleted_at IS NULL AND a.done = false";
    let day = 86_400_000i64;
    let (proposal, demo) = (stage_from("Отправлено КП"), stage_from("Проведено демо"));
    vec![
        ("open_without_task", "deals", format!("t.status = 'open' AND NOT EXISTS ({open_tasks})")),
        ("frozen_without_task", "deals", format!("t.status = 'frozen' AND NOT EXISTS ({open_tasks})")),
        // `value` is never NULL, so "is empty or 0" is 0.
        ("no_value_after_proposal", "deals", format!("t.status = 'open' AND {proposal} AND t.value = 0")),
        (
            "no_traffic_or_budget",
            "deals",
            format!("t.status = 'open' AND {proposal} AND ({} OR {})", number_empty("t.custom", "traffic"), int_empty("t.custom", "budget")),
        ),
        // A deal without a contact or organization has no bad name there.
        (
            "malformed_name",
            "deals",
            format!(
                "t.status = 'open' AND ({} OR t.person_id IN (SELECT p.id FROM persons p WHERE p.workspace_id = $1 AND p.deleted_at IS NULL AND {}) \
                 OR t.organization_id IN (SELECT o.id FROM organizations o WHERE o.workspace_id = $1 AND o.deleted_at IS NULL AND {} AND {}))",
                lacks("t.title", " — "),
                lacks("p.name", " "),
                lacks("o.name", "«"),
                lacks("o.name", "ИП "),
            ),
        ),
        (
            "from_partner_without_partner_org",
            "organizations",
            format!("{} AND {}", has("t.name", "от партнера"), int_empty("t.custom", "partner_org")),
        ),
        (
            "owners_differ",
            "deals",
            "t.status = 'open' AND (EXISTS (SELECT 1 FROM organizations o WHERE o.id = t.organization_id AND o.workspace_id = $1 AND o.deleted_at IS NULL AND o.owner_id <> t.owner_id) \
             OR EXISTS (SELECT 1 FROM persons p WHERE p.id = t.person_id AND p.workspace_id = $1 AND p.deleted_at IS NULL AND p.owner_id <> t.owner_id))"
                .to_string(),
        ),
        ("no_source", "deals", "t.status = 'open' AND (t.source IS NULL OR t.source = '')".to_string()),
        ("no_demo_link", "deals", format!("t.status = 'open' AND {demo} AND {}", text_empty("t.custom", "demo_link"))),
        ("no_proposal_link", "deals", format!("t.status = 'open' AND {proposal} AND {}", text_empty("t.custom", "proposal_link"))),
        (
            "open_without_org",
            "deals",
            format!("t.status = 'open' AND t.pipeline_id IN {} AND t.organization_id IS NULL", pipelines("'Клиенты', 'Партнеры'")),
        ),
        (
            "partner_deal_not_agency",
            "organizations",
            format!(
                "EXISTS (SELECT 1 FROM deals d WHERE d.workspace_id = $1 AND d.organization_id = t.id AND d.deleted_at IS NULL \
                 AND d.status = 'open' AND d.pipeline_id IN {}) AND NOT {}",
                pipelines("'Партнеры'"),
                is_true("t.custom", "is_agency")
            ),
        ),
        // A deleted organization is no agency and has no partner, so its deals are listed.
        (
            "partner_manager_client_deal",
            "deals",
            format!(
                "t.status = 'open' AND t.pipeline_id IN {} AND {demo} AND t.owner_id IN (SELECT id FROM users WHERE workspace_id = $1 AND role = 'partner_manager') \
                 AND t.organization_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = t.organization_id \
                 AND o.workspace_id = $1 AND o.deleted_at IS NULL AND ({} OR NOT {}))",
                pipelines("'Клиенты'"),
                is_true("o.custom", "is_agency"),
                int_empty("o.custom", "partner_org"),
            ),
        ),
        ("no_city_or_country", "organizations", format!("({} OR {})", text_empty("t.custom", "city"), text_empty("t.custom", "country"))),
        (
            "stuck_accepted",
            "deals",
            format!("t.status = 'open' AND t.stage_id IN {} AND t.stage_entered_at < $2 - {}", stage("Принял в работу"), 7 * day),
        ),
        ("overdue_tasks", "deals", format!("t.status = 'open' AND EXISTS ({open_tasks} AND a.due_at < $2)")),
        (
            "no_progress",
            "deals",
            format!(
                "t.status = 'open' AND t.stage_entered_at < $2 - {} AND (t.stage_id NOT IN {} OR t.stage_entered_at < $2 - {})",
                14 * day,
                stage("Проведено демо"),
                28 * day
            ),
        ),
        (
            "deactivated_owner",
            "deals",
            "t.status IN ('open', 'frozen') AND t.owner_id IN (SELECT id FROM users WHERE workspace_id = $1 AND active = false)".to_string(),
        ),
    ]
}

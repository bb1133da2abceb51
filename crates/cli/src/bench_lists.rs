//! The lists' tools over the first workspace: the count and value of a whole list (as the head
//! and as a manager, unfiltered and filtered) beside the same aggregate written by hand, and a
//! bulk reassignment of 1,000 deals through the write path beside one hand-written UPDATE of the
//! same rows.
use crate::bench::time;
use anyhow::{Context, Result};
use poryadok_core::domain::{Channel, Role};
use poryadok_core::schema::Entity;
use poryadok_store::bulk::BulkChange;
use poryadok_store::{Db, ListQuery};
use serde_json::json;
use std::time::Instant;

pub async fn run(db: &Db, iterations: usize) -> Result<()> {
    let ws = *db.workspace_ids().await?.first().context("no workspace; generate one first")?;
    let head = db.system_actor(ws, Channel::Api).await?;
    // Active managers: a deactivated one can be given nothing.
    let active_managers = vec![("role".into(), Role::Manager.as_str().into()), ("active".into(), "true".into())];
    let managers = db.list(&head, Entity::User, &ListQuery { filters: active_managers, ..Default::default() }).await?;
    let manager_id = managers.data.first().context("no manager")?.id();
    let manager = db.actor_for_user(manager_id, Channel::Api).await?;
    let open = ListQuery { filters: vec![("status".into(), "open".into())], ..Default::default() };
    let cases: [(&str, &poryadok_store::Actor, ListQuery, String); 3] = [
        (
            "list totals: all deals",
            &head,
            ListQuery::default(),
            "SELECT currency, COUNT(*), SUM(value) FROM deals WHERE workspace_id = $1 AND deleted_at IS NULL GROUP BY currency".into(),
        ),
        (
            "list totals: open deals",
            &head,
            open.clone(),
            "SELECT currency, COUNT(*), SUM(value) FROM deals WHERE workspace_id = $1 AND deleted_at IS NULL AND status = 'open' GROUP BY currency".into(),
        ),
        (
            "list totals: a manager's deals",
            &manager,
            ListQuery::default(),
            format!(
                "SELECT currency, COUNT(*), SUM(value) FROM deals WHERE workspace_id = $1 AND deleted_at IS NULL \
                 AND (owner_id = {manager_id} OR id IN (SELECT deal_id FROM deal_participants WHERE workspace_id = $1 AND user_id = {manager_id})) GROUP BY currency"
            ),
        ),
    ];
    for (name, actor, lq, hand) in cases {
        let (m50, m99) = time(iterations, || async { Ok(db.list_totals(actor, Entity::Deal, &lq).await?) }).await?;
        let (h50, h99) = time(iterations, || async { Ok(db.raw_rows(&hand, ws).await?) }).await?;
        let count = db.list_totals(actor, Entity::Deal, &lq).await?.count;
        println!(
            "{}",
            json!({"name": name, "unit": "ms", "median": m50, "p99": m99, "limit": h50, "limit_p99": h99, "limit_name": "hand-written SQL", "count": count})
        );
    }

    // 1,000 open deals of one manager handed to another, as the list's bulk action does.
    let lq = ListQuery { limit: Some("500".into()), filters: vec![("status".into(), "open".into())], ..Default::default() };
    let mut ids = Vec::new();
    let mut page = lq.clone();
    while ids.len() < 1_000 {
        let p = db.list(&head, Entity::Deal, &page).await?;
        ids.extend(p.data.iter().map(|r| r.id()));
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    ids.truncate(1_000);
    let target = managers.data.get(1).map_or(manager_id, |m| m.id());
    let started = Instant::now();
    let out = db.bulk(&head, Entity::Deal, &ids, &BulkChange::Update(json!({"owner_id": target}))).await?;
    let bulk = started.elapsed().as_secs_f64() * 1000.0;
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let hand = format!(
        "UPDATE deals SET owner_id = {manager_id}, updated_at = updated_at + 1 WHERE workspace_id = $1 AND id IN ({})",
        list.join(",")
    );
    let started = Instant::now();
    db.raw_write(&hand, ws).await?;
    let raw = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(out.refused.is_empty(), "the bulk reassignment refused {} deals: {:?}", out.refused.len(), out.refused.first());
    println!(
        "{}",
        json!({"name": "bulk reassign of 1000 deals", "unit": "ms", "median": bulk, "limit": raw, "changed": out.done.len(), "refused": out.refused.len(),
               "limit_name": "one hand-written UPDATE of the same rows (no history, no rules, no webhooks)"})
    );
    Ok(())
}

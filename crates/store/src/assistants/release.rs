//! Client release: a client forgotten `days` ago with nothing done since goes to another user —
//! the organization, its people and its open deals together, so ownership never splits — by
//! round-robin, least load (fewest open deals) or among a chosen pool. Release comes only after
//! "forgotten", so the manager always had the forgotten task and time to act; a task planned
//! ahead keeps the client (`skip_with_future_task`). Both users and the head are told.
use super::forgotten::LABEL as FORGOTTEN;
use super::support::{act, active_users, head, orgs_with_future_task, raw, Act, Planned, RunCtx};
use crate::error::Result;
use crate::notifications::NewNotification;
use poryadok_core::assistants::{flag, release_target};
use poryadok_core::domain::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Map, Value as Json};

pub(crate) async fn run(ctx: &RunCtx<'_>) -> Result<Vec<Planned>> {
    let days = ctx.setting("days");
    let cutoff = ctx.days_ago(days);
    let sql = "SELECT o.id, o.name, o.owner_id FROM labels l \
               JOIN organizations o ON o.workspace_id = l.workspace_id AND o.id = l.record_id AND o.deleted_at IS NULL \
               WHERE l.workspace_id = $1 AND l.entity = 'organization' AND l.label = $2 AND l.cleared_at IS NULL \
               AND l.set_at < $3 AND COALESCE(o.last_activity_at, 0) <= l.set_at ORDER BY o.id";
    let rows = ctx.db.read.query_all(raw(ctx.backend(), sql, vec![ctx.ws().into(), FORGOTTEN.into(), cutoff.into()])).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let skip = if flag(ctx.settings, "skip_with_future_task") { orgs_with_future_task(ctx).await? } else { Default::default() };
    let mode = ctx.settings.get("mode").and_then(Json::as_str).unwrap_or("round_robin").to_string();
    let pool: Vec<i64> =
        ctx.settings.get("pool").and_then(Json::as_array).map(|a| a.iter().filter_map(Json::as_i64).collect()).unwrap_or_default();
    let candidates = match mode.as_str() {
        "pool" => active_users(&ctx.db.read, ctx.backend(), ctx.ws(), Some(&pool), None).await?,
        _ => active_users(&ctx.db.read, ctx.backend(), ctx.ws(), None, Some(Role::Manager)).await?,
    };
    // Clients go only to people at work: nobody on vacation, sick leave or a day off today.
    let absent = crate::team::absent_now(&ctx.db.read, ctx.backend(), ctx.ws(), &ctx.actor.ws.timezone, ctx.now).await?;
    let candidates: Vec<i64> = candidates.into_iter().filter(|c| !absent.contains(c)).collect();
    let mut loads = open_deal_loads(ctx).await?;
    let mut last = None;
    let names = user_names(ctx).await?;
    let mut acts = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("", "id")?;
        if skip.contains(&id) {
            continue;
        }
        let name: String = r.try_get("", "name")?;
        let owner: Option<i64> = r.try_get("", "owner_id")?;
        let others: Vec<i64> = candidates.iter().copied().filter(|c| Some(*c) != owner).collect();
        let Some(to) = release_target(&mode, &others, &loads, last) else {
            continue;
        };
        last = Some(to);
        let key = to.to_string();
        let load = loads.get(&key).and_then(Json::as_i64).unwrap_or(0);
        loads.insert(key, Json::from(load + 1));
        let who = |u: Option<i64>| u.and_then(|u| names.get(&u).cloned()).unwrap_or_else(|| "—".into());
        let reason = ctx.texts.release_reason(days, &who(owner), &who(Some(to)));
        let mut notices = Vec::new();
        let head = head(ctx, owner).await?;
        for user in [owner, Some(to), head].into_iter().flatten().collect::<std::collections::BTreeSet<_>>() {
            notices.push(NewNotification {
                workspace_id: ctx.ws(),
                user_id: user,
                kind: "client_released".into(),
                title: ctx.texts.release_notice(&name),
                body: reason.clone(),
                link: Some(format!("/organizations/{id}")),
                dedupe_key: Some(format!("release:{id}:{}", ctx.now)),
                ..Default::default()
            });
        }
        acts.push(Act {
            clear_label: Some(FORGOTTEN),
            reassign_to: Some(to),
            notices,
            ..Act::new(Planned { action: "reassign", entity: "organization", record_id: id, title: name, reason, owner_id: owner })
        });
    }
    act(ctx, acts).await
}

async fn open_deal_loads(ctx: &RunCtx<'_>) -> Result<Map<String, Json>> {
    let sql = "SELECT owner_id, COUNT(*) AS n FROM deals WHERE workspace_id = $1 AND status = 'open' AND deleted_at IS NULL \
               AND owner_id IS NOT NULL GROUP BY owner_id";
    let mut out = Map::new();
    for r in ctx.db.read.query_all(raw(ctx.backend(), sql, vec![ctx.ws().into()])).await? {
        out.insert(r.try_get::<i64>("", "owner_id")?.to_string(), Json::from(r.try_get::<i64>("", "n")?));
    }
    Ok(out)
}

async fn user_names(ctx: &RunCtx<'_>) -> Result<std::collections::HashMap<i64, String>> {
    let rows =
        ctx.db.read.query_all(raw(ctx.backend(), "SELECT id, name FROM users WHERE workspace_id = $1", vec![ctx.ws().into()])).await?;
    rows.iter().map(|r| Ok((r.try_get("", "id")?, r.try_get("", "name")?))).collect()
}

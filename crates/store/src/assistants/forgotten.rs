//! Forgotten clients: an organization with no activity of any kind (calls, messages, notes,
//! documents, tasks done) for `days` gets the "forgotten" label and a task for its owner saying
//! why. With `skip_with_future_task`, a client with a task still ahead is not forgotten (the
//! manager planned the next touch: on holiday, waiting for the client). A label is cleared as
//! soon as the client has activity again.
use super::support::{act, day, orgs_with_future_task, raw, Act, Planned, RunCtx};
use crate::error::Result;
use sea_orm::ConnectionTrait;

pub const LABEL: &str = "forgotten";

pub(crate) async fn run(ctx: &RunCtx<'_>) -> Result<Vec<Planned>> {
    let days = ctx.setting("days");
    let cutoff = ctx.days_ago(days);
    let mut planned = clear_revived(ctx).await?;
    let skip = if poryadok_core::assistants::flag(ctx.settings, "skip_with_future_task") {
        orgs_with_future_task(ctx).await?
    } else {
        Default::default()
    };
    let sql = "SELECT o.id, o.name, o.owner_id, o.last_activity_at, o.created_at FROM organizations o \
               WHERE o.workspace_id = $1 AND o.deleted_at IS NULL AND COALESCE(o.last_activity_at, o.created_at) < $2 \
               AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.workspace_id = o.workspace_id AND l.entity = 'organization' \
                               AND l.record_id = o.id AND l.label = $3 AND l.cleared_at IS NULL) \
               ORDER BY o.id";
    let rows = ctx.db.read.query_all(raw(ctx.backend(), sql, vec![ctx.ws().into(), cutoff.into(), LABEL.into()])).await?;
    let due = ctx.task_due().await?;
    let mut acts = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("", "id")?;
        if skip.contains(&id) {
            continue;
        }
        let name: String = r.try_get("", "name")?;
        let owner: Option<i64> = r.try_get("", "owner_id")?;
        let last: Option<i64> = r.try_get("", "last_activity_at")?;
        let created: i64 = r.try_get("", "created_at")?;
        // The reason states how long the client has really been quiet, not the threshold.
        let quiet_days = (ctx.now - last.unwrap_or(created)).max(0) / poryadok_core::assistants::DAY_MS;
        let reason = ctx.texts.forgotten_reason(quiet_days, last.map(|l| day(ctx, l)).as_deref());
        acts.push(Act::label_client(id, name.clone(), owner, LABEL, reason, ctx.texts.forgotten_task(&name), due));
    }
    planned.extend(act(ctx, acts).await?);
    Ok(planned)
}

/// Clients with activity after they were labelled are not forgotten any more.
async fn clear_revived(ctx: &RunCtx<'_>) -> Result<Vec<Planned>> {
    let find =
        "SELECT l.id, l.record_id, o.name FROM labels l JOIN organizations o ON o.workspace_id = l.workspace_id AND o.id = l.record_id \
                WHERE l.workspace_id = $1 AND l.entity = 'organization' AND l.label = $2 AND l.cleared_at IS NULL \
                AND o.last_activity_at > l.set_at";
    let rows = ctx.db.read.query_all(raw(ctx.backend(), find, vec![ctx.ws().into(), LABEL.into()])).await?;
    let mut out = Vec::new();
    for r in &rows {
        out.push(Planned {
            action: "unlabel",
            entity: "organization",
            record_id: r.try_get("", "record_id")?,
            title: r.try_get("", "name")?,
            reason: ctx.texts.revived(),
            owner_id: None,
        });
    }
    if !ctx.dry_run && !rows.is_empty() {
        let clear =
            "UPDATE labels SET cleared_at = $1 WHERE workspace_id = $2 AND entity = 'organization' AND label = $3 AND cleared_at IS NULL \
                     AND record_id IN (SELECT o.id FROM organizations o WHERE o.workspace_id = $2 AND o.last_activity_at > labels.set_at)";
        ctx.db.write.execute(raw(ctx.backend(), clear, vec![ctx.now.into(), ctx.ws().into(), LABEL.into()])).await?;
    }
    Ok(out)
}

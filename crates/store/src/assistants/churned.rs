//! Churned clients: an organization that bought before (won deals) and has not bought for
//! `factor` times its usual interval (the average gap between its purchases), or for `days` when
//! it bought once, gets the "churned" label and a task for its owner. A new purchase after the
//! label clears it.
use super::support::{act, raw, Act, Planned, RunCtx};
use crate::error::Result;
use poryadok_core::assistants::{churn_threshold_ms, DAY_MS};
use sea_orm::ConnectionTrait;
use serde_json::Value as Json;

pub const LABEL: &str = "churned";

pub(crate) async fn run(ctx: &RunCtx<'_>) -> Result<Vec<Planned>> {
    let factor = ctx.settings.get("factor").and_then(Json::as_f64).unwrap_or(2.0);
    let days = ctx.setting("days");
    let mut planned = Vec::new();
    if !ctx.dry_run {
        // A purchase after the label: the client is back.
        let clear = "UPDATE labels SET cleared_at = $1 WHERE workspace_id = $2 AND entity = 'organization' AND label = $3 \
                     AND cleared_at IS NULL AND EXISTS (SELECT 1 FROM deals d WHERE d.workspace_id = $2 AND d.organization_id = labels.record_id \
                     AND d.status = 'won' AND d.deleted_at IS NULL AND d.closed_at > labels.set_at)";
        ctx.db.write.execute(raw(ctx.backend(), clear, vec![ctx.now.into(), ctx.ws().into(), LABEL.into()])).await?;
    }
    let sql = "SELECT o.id, o.name, o.owner_id, w.n, w.first_at, w.last_at FROM \
               (SELECT organization_id, COUNT(*) AS n, MIN(closed_at) AS first_at, MAX(closed_at) AS last_at FROM deals \
                WHERE workspace_id = $1 AND status = 'won' AND deleted_at IS NULL AND organization_id IS NOT NULL AND closed_at IS NOT NULL \
                GROUP BY organization_id) w \
               JOIN organizations o ON o.workspace_id = $1 AND o.id = w.organization_id AND o.deleted_at IS NULL \
               WHERE w.last_at < $2 AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.workspace_id = $1 AND l.entity = 'organization' \
                     AND l.record_id = o.id AND l.label = $3 AND l.cleared_at IS NULL) \
               ORDER BY o.id";
    // No client is churned sooner than a week after a purchase; the exact limit is per client.
    let rows = ctx.db.read.query_all(raw(ctx.backend(), sql, vec![ctx.ws().into(), (ctx.now - 7 * DAY_MS).into(), LABEL.into()])).await?;
    let due = ctx.task_due().await?;
    let mut acts = Vec::new();
    for r in rows {
        let n: i64 = r.try_get("", "n")?;
        let (first, last): (i64, i64) = (r.try_get("", "first_at")?, r.try_get("", "last_at")?);
        let limit = churn_threshold_ms(n, first, last, factor, days);
        let quiet = ctx.now - last;
        if quiet <= limit {
            continue;
        }
        let id: i64 = r.try_get("", "id")?;
        let name: String = r.try_get("", "name")?;
        let owner: Option<i64> = r.try_get("", "owner_id")?;
        let reason = ctx.texts.churned_reason(quiet / DAY_MS, limit / DAY_MS, n);
        acts.push(Act::label_client(id, name.clone(), owner, LABEL, reason, ctx.texts.churned_task(&name), due));
    }
    planned.extend(act(ctx, acts).await?);
    Ok(planned)
}

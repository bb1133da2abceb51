//! Escalation ("if nothing helped, complain"): a task an assistant created that is still not done
//! `days` after its deadline is reported to the head of the owner's team (or the first head),
//! once per task.
use super::support::{act, head, raw, Act, Planned, RunCtx};
use crate::error::Result;
use crate::notifications::NewNotification;
use poryadok_core::assistants::DAY_MS;
use sea_orm::ConnectionTrait;

pub(crate) async fn run(ctx: &RunCtx<'_>) -> Result<Vec<Planned>> {
    let days = ctx.setting("days");
    let sql = "SELECT a.id, a.subject, a.owner_id, a.due_at, a.organization_id, a.deal_id FROM activities a \
               WHERE a.workspace_id = $1 AND a.assistant IS NOT NULL AND a.done = false AND a.deleted_at IS NULL AND a.due_at < $2 \
               AND NOT EXISTS (SELECT 1 FROM assistant_actions x WHERE x.workspace_id = $1 AND x.assistant = 'escalation' \
                               AND x.entity = 'activity' AND x.record_id = a.id) \
               ORDER BY a.id";
    let rows = ctx.db.read.query_all(raw(ctx.backend(), sql, vec![ctx.ws().into(), ctx.days_ago(days).into()])).await?;
    let mut acts = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("", "id")?;
        let subject: String = r.try_get("", "subject")?;
        let owner: Option<i64> = r.try_get("", "owner_id")?;
        let due: i64 = r.try_get("", "due_at")?;
        let overdue = (ctx.now - due) / DAY_MS;
        let reason = ctx.texts.escalation(&subject, overdue);
        let link = match (r.try_get::<Option<i64>>("", "deal_id")?, r.try_get::<Option<i64>>("", "organization_id")?) {
            (Some(d), _) => Some(format!("/deals/{d}")),
            (None, Some(o)) => Some(format!("/organizations/{o}")),
            _ => None,
        };
        let notices = match head(ctx, owner).await? {
            Some(h) => vec![NewNotification {
                workspace_id: ctx.ws(),
                user_id: h,
                kind: "assistant_escalation".into(),
                title: ctx.texts.title("escalation"),
                body: reason.clone(),
                link,
                dedupe_key: Some(format!("escalation:{id}")),
                ..Default::default()
            }],
            None => Vec::new(),
        };
        acts.push(Act {
            notices,
            ..Act::new(Planned { action: "notify_head", entity: "activity", record_id: id, title: subject, reason, owner_id: owner })
        });
    }
    act(ctx, acts).await
}

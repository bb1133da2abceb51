//! The SLA check job: when a deal's time in a stage runs out and it has not moved on, its owner
//! and the responsible head are told, once each (the notification's key is the deal, the stage
//! and the moment it entered, so a second worker or a retry adds nothing).
use crate::worker::JobContext;
use poryadok_store::jobs::Job;
use poryadok_store::notifications::NewNotification;

pub async fn sla_job(ctx: &JobContext<'_>, job: &Job) -> Result<(), String> {
    let db = ctx.db;
    let Some(breach) = db.sla_breach(job.workspace_id, &job.payload).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let ws = db.workspace_info(job.workspace_id).await.map_err(|e| e.to_string())?;
    let deadline = job.payload.get("deadline").and_then(serde_json::Value::as_i64).unwrap_or(job.run_at);
    let lang = poryadok_core::Lang::from_locale(&ws.locale);
    let when = crate::ui::format::Fmt { lang, tz: ws.timezone.clone() }.datetime(deadline);
    let (title, body) = if ws.locale == "ru" {
        (
            format!("Просрочен срок этапа «{}»: {}", breach.stage, breach.title),
            format!("Сделка должна была уйти с этапа «{}» до {when}.", breach.stage),
        )
    } else {
        (
            format!("Stage time exceeded in '{}': {}", breach.stage, breach.title),
            format!("The deal was due to leave stage '{}' by {when}.", breach.stage),
        )
    };
    let mut users: Vec<i64> = [breach.owner, breach.head].into_iter().flatten().collect();
    users.dedup();
    let key = format!(
        "sla:{}:{}:{}",
        breach.deal_id,
        job.payload.get("stage_id").and_then(serde_json::Value::as_i64).unwrap_or(0),
        job.payload.get("entered_at").and_then(serde_json::Value::as_i64).unwrap_or(0)
    );
    for user in users {
        let n = NewNotification {
            workspace_id: job.workspace_id,
            user_id: user,
            kind: "sla_breach".into(),
            title: title.clone(),
            body: body.clone(),
            link: Some(format!("/deals/{}", breach.deal_id)),
            deal_id: Some(breach.deal_id),
            dedupe_key: Some(key.clone()),
            email: ctx.smtp.is_some(),
        };
        db.notify(&n).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

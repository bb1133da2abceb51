//! The mention job: a note that names colleagues (`@olga`) tells each of them, in the app and
//! (when the server sends mail) by e-mail, once per note whatever retries or edits follow.
use crate::worker::JobContext;
use poryadok_store::jobs::Job;
use poryadok_store::notifications::NewNotification;

/// Longer notes are cut in the notice; the card has the rest.
const EXCERPT_CHARS: usize = 300;

pub async fn mention_job(ctx: &JobContext<'_>, job: &Job) -> Result<(), String> {
    let db = ctx.db;
    let Some(note_id) = job.payload.get("note_id").and_then(serde_json::Value::as_i64) else {
        return Err("the job names no note".into());
    };
    let Some(n) = db.mention_notice(job.workspace_id, note_id).await.map_err(|e| e.to_string())? else {
        return Ok(()); // the note was deleted before anyone was told
    };
    let ws = db.workspace_info(job.workspace_id).await.map_err(|e| e.to_string())?;
    let mut body: String = n.content.chars().take(EXCERPT_CHARS).collect();
    if n.content.chars().count() > EXCERPT_CHARS {
        body.push('…');
    }
    let author = if n.author_name.is_empty() { "—".to_string() } else { n.author_name.clone() };
    for (user, locale) in &n.recipients {
        if Some(*user) == n.author_id {
            continue; // mentioning oneself is a reminder written, not news
        }
        let title = if locale.as_deref().unwrap_or(&ws.locale) == "en" {
            format!("{author} mentioned you in a note")
        } else {
            format!("{author} упоминает вас в заметке")
        };
        let notice = NewNotification {
            workspace_id: job.workspace_id,
            user_id: *user,
            kind: "mention".into(),
            title,
            body: body.clone(),
            link: n.link(),
            deal_id: n.deal_id,
            dedupe_key: Some(format!("mention:{}:{user}", n.note_id)),
            email: ctx.smtp.is_some(),
        };
        db.notify(&notice).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

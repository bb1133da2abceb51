//! The IMAP poller: a recurring job per e-mail source with IMAP settings. It fetches the messages
//! after the last UID it saw, stores each one in the intake inbox like a webhook delivery (the
//! same triage, the same replay-proof key), and remembers how far it got. Messages are peeked,
//! never marked read, so the mailbox stays as the team left it.
use crate::imap::{fetch_new, ImapConfig, ImapSecurity};
use crate::worker::JobContext;
use poryadok_store::intake::{NewEvent, Source};
use poryadok_store::jobs::Job;
use serde_json::{json, Value as Json};

/// Messages taken per IMAP round trip; a poll takes up to ten such batches.
const BATCH: usize = 100;

fn config_of(source: &Source) -> Option<ImapConfig> {
    let imap = source.config.get("imap")?;
    let text = |k: &str| imap.get(k).and_then(Json::as_str).map(str::to_string);
    let security = match imap.get("security").and_then(Json::as_str) {
        Some("plain") => ImapSecurity::Plain,
        Some("starttls") => ImapSecurity::StartTls,
        _ => ImapSecurity::Tls,
    };
    Some(ImapConfig {
        host: text("host")?,
        port: imap.get("port").and_then(Json::as_u64).and_then(|p| u16::try_from(p).ok()).unwrap_or(993),
        security,
        username: text("username")?,
        password: text("password")?,
        mailbox: text("mailbox").unwrap_or_else(|| "INBOX".into()),
    })
}

/// Polls one source's mailbox. A source that is gone, inactive or without IMAP settings is
/// skipped; a mailbox that cannot be reached fails the job, which retries and shows the error.
pub async fn poll_job(ctx: &JobContext<'_>, job: &Job) -> Result<(), String> {
    let id = job.payload.get("source_id").and_then(Json::as_i64).ok_or("the job names no source_id")?;
    let Some(source) = ctx.db.source_for_job(job.workspace_id, id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let Some(cfg) = config_of(&source).filter(|_| source.active) else {
        return Ok(());
    };
    let mut uidvalidity = source.state.get("uidvalidity").and_then(Json::as_u64).and_then(|v| u32::try_from(v).ok());
    let mut last_uid = source.state.get("last_uid").and_then(Json::as_u64).and_then(|v| u32::try_from(v).ok());
    for _ in 0..10 {
        let fetched = fetch_new(&cfg, uidvalidity, last_uid, BATCH).await?;
        if uidvalidity != Some(fetched.uidvalidity) {
            last_uid = None;
        }
        uidvalidity = Some(fetched.uidvalidity);
        let n = fetched.messages.len();
        for (uid, raw) in fetched.messages {
            let (external_id, arrival) = ctx.db.triage(&source, &raw, Some("message/rfc822")).await.map_err(|e| e.to_string())?;
            let ev = NewEvent {
                source: &source,
                external_id: external_id.or_else(|| Some(format!("imap:{}:{uid}", fetched.uidvalidity))),
                content_type: Some("message/rfc822".into()),
                body: &raw,
                remote_addr: Some(format!("imap://{}", cfg.host)),
                arrival,
            };
            ctx.db.accept_event(&ev).await.map_err(|e| e.to_string())?;
            last_uid = Some(uid);
            // Progress is saved per message: a crash re-reads at most one, and its key makes that a no-op.
            ctx.db
                .set_source_state(source.workspace_id, source.id, &json!({"uidvalidity": uidvalidity, "last_uid": last_uid}))
                .await
                .map_err(|e| e.to_string())?;
        }
        if n < BATCH {
            break;
        }
    }
    Ok(())
}

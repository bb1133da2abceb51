//! `poryadok webhooks` (list, add with the secret printed once, a webhook's delivery log) and
//! `poryadok outbox` (messages to clients, by status). Everything prints JSON lines.
use anyhow::{Context, Result};
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_store::channels::MessageQuery;
use poryadok_store::Db;
use serde_json::json;

#[derive(Subcommand)]
pub enum WebhooksCommand {
    /// List the webhooks (without their secrets).
    List {
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Add a webhook and print it with its signing secret (shown this once).
    Add {
        /// Where deliveries are POSTed (http or https).
        #[arg(long)]
        url: String,
        /// Comma-separated: deal.created,deal.updated, person.* or * for all.
        #[arg(long, default_value = "*")]
        events: String,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Print a webhook's deliveries, newest first.
    Deliveries {
        id: i64,
        /// queued, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

pub async fn webhooks(db: &Db, cmd: WebhooksCommand) -> Result<()> {
    match cmd {
        WebhooksCommand::List { workspace } => {
            for w in db.webhooks(&admin(db, workspace).await?).await.map_err(crate::describe)? {
                println!("{}", serde_json::to_string(&w)?);
            }
        }
        WebhooksCommand::Add { url, events, workspace } => {
            let events: Vec<&str> = events.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
            let body = json!({"url": url, "events": events});
            let w = db.create_webhook(&admin(db, workspace).await?, &body).await.map_err(crate::describe)?;
            println!("{}", serde_json::to_string(&w.with_secret())?);
        }
        WebhooksCommand::Deliveries { id, status, limit, workspace } => {
            let actor = admin(db, workspace).await?;
            for d in db.deliveries(&actor, id, status.as_deref(), limit, None).await.map_err(crate::describe)? {
                println!("{}", serde_json::to_string(&d)?);
            }
        }
    }
    Ok(())
}

/// `poryadok outbox`: messages to clients, newest first, optionally of one status.
pub async fn outbox(db: &Db, status: Option<String>, limit: u64, workspace: Option<i64>) -> Result<()> {
    let actor = admin(db, workspace).await?;
    let mut left = limit.max(1);
    let mut before = None;
    while left > 0 {
        let q = MessageQuery { status: status.clone(), limit: left.min(500), before_id: before, ..Default::default() };
        let page = db.outbound_messages(&actor, &q).await.map_err(crate::describe)?;
        for m in &page {
            println!("{}", serde_json::to_string(m)?);
        }
        left = left.saturating_sub(page.len() as u64);
        before = page.last().map(|m| m.id);
        if (page.len() as u64) < q.limit {
            break;
        }
    }
    Ok(())
}

async fn admin(db: &Db, workspace: Option<i64>) -> Result<poryadok_store::Actor> {
    let ws = crate::first_workspace(db, workspace).await?;
    db.system_actor(ws, Channel::Cli).await.context("no such workspace")
}

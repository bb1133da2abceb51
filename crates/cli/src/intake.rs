//! `poryadok intake`: sources (created with their secret printed once), the inbox of raw events,
//! and re-processing a failed event after a fix. Everything prints JSON lines.
use anyhow::{Context, Result};
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_store::Db;
use serde_json::{json, Value};

#[derive(Subcommand)]
pub enum IntakeCommand {
    /// List the intake sources (without their secrets).
    Sources {
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Create a source and print it with its secret (shown this once).
    AddSource {
        /// telephony, form, telegram or email.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        /// The source's settings as JSON, e.g. '{"preset": "ringostat", "mapping": {"caller": "numA"}}'.
        #[arg(long, default_value = "{}")]
        config: String,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Print inbound events, newest first, optionally of one status: pending, processed, failed, rejected.
    Events {
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// Print the raw bodies too.
        #[arg(long)]
        with_body: bool,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Queue a failed event to be processed again (after fixing the source's mapping or setup).
    Reprocess {
        id: i64,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

pub async fn run(db: &Db, cmd: IntakeCommand) -> Result<()> {
    match cmd {
        IntakeCommand::Sources { workspace } => {
            let actor = admin(db, workspace).await?;
            for s in db.sources(&actor).await? {
                println!("{}", s.to_json(false));
            }
        }
        IntakeCommand::AddSource { kind, name, config, workspace } => {
            let actor = admin(db, workspace).await?;
            let config: Value = serde_json::from_str(&config).context("--config is not valid JSON")?;
            let s = db.create_source(&actor, &json!({"kind": kind, "name": name, "config": config})).await?;
            println!("{}", s.to_json(true));
        }
        IntakeCommand::Events { status, limit, with_body, workspace } => {
            let actor = admin(db, workspace).await?;
            let mut before = None;
            let mut left = limit.max(1);
            while left > 0 {
                let page = db.events(&actor, status.as_deref(), None, left.min(500), before).await?;
                for e in &page {
                    if with_body {
                        println!("{}", serde_json::to_string(&db.event(&actor, e.id).await?)?);
                    } else {
                        println!("{}", serde_json::to_string(e)?);
                    }
                }
                left = left.saturating_sub(page.len() as u64);
                before = page.last().map(|e| e.id);
                if page.len() < 500 || before.is_none() {
                    break;
                }
            }
        }
        IntakeCommand::Reprocess { id, workspace } => {
            let actor = admin(db, workspace).await?;
            println!("{}", serde_json::to_string(&db.reprocess_event(&actor, id).await?)?);
        }
    }
    Ok(())
}

async fn admin(db: &Db, workspace: Option<i64>) -> Result<poryadok_store::Actor> {
    let ws = crate::first_workspace(db, workspace).await?;
    Ok(db.system_actor(ws, Channel::Cli).await?)
}

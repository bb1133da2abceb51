//! `poryadok assistant`: list the assistants, change one's settings, and run one now — or a dry
//! run that prints what it would do and why — as of a given time.
use anyhow::{Context, Result};
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_store::Db;
use serde_json::{json, Value};

#[derive(Subcommand)]
pub enum AssistantCommand {
    /// Every assistant with its settings, whether it is on, and its last run (JSON lines).
    List {
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Turn an assistant on or off and change its settings, e.g. --settings '{"days": 90}'.
    Set {
        name: String,
        #[arg(long)]
        enabled: Option<bool>,
        #[arg(long)]
        settings: Option<String>,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Run an assistant now: forgotten, release, churned, unpaid, debtors, escalation.
    Run {
        name: String,
        /// Print what it would do and why; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Run as of this time (RFC 3339), e.g. to see what a run next month would do.
        #[arg(long)]
        now: Option<String>,
        /// Print every action (one JSON line each) and not only the summary.
        #[arg(long)]
        verbose: bool,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

pub async fn run(db: &Db, cmd: AssistantCommand) -> Result<()> {
    match cmd {
        AssistantCommand::List { workspace } => {
            let actor = admin(db, workspace).await?;
            for a in db.assistants(&actor).await? {
                println!("{}", serde_json::to_string(&a)?);
            }
        }
        AssistantCommand::Set { name, enabled, settings, workspace } => {
            let actor = admin(db, workspace).await?;
            let mut body = json!({});
            if let Some(e) = enabled {
                body["enabled"] = json!(e);
            }
            if let Some(s) = settings {
                body["settings"] = serde_json::from_str::<Value>(&s).context("--settings is not valid JSON")?;
            }
            println!("{}", serde_json::to_string(&db.update_assistant(&actor, &name, &body).await?)?);
        }
        AssistantCommand::Run { name, dry_run, now, verbose, workspace } => {
            let ws = crate::first_workspace(db, workspace).await?;
            let now = match now {
                Some(t) => Some(poryadok_core::types::parse_timestamp(&t).map_err(anyhow::Error::msg).context("--now")?),
                None => None,
            };
            let report = db.run_assistant(ws, &name, now, dry_run).await?;
            if verbose {
                for a in &report.actions {
                    println!("{}", a.to_json());
                }
            }
            let verb = if dry_run { "would take" } else { "took" };
            println!("{name}: {verb} {} actions in {} ms", report.actions.len(), report.elapsed_ms);
        }
    }
    Ok(())
}

async fn admin(db: &Db, workspace: Option<i64>) -> Result<poryadok_store::Actor> {
    let ws = crate::first_workspace(db, workspace).await?;
    Ok(db.system_actor(ws, Channel::Cli).await?)
}

//! `poryadok calls sample [--week 2026-W47]`: draws a week's sample of answered calls per manager
//! into the call quality review queue (docs/TEAM.md). Drawing a week again adds nothing new.
use anyhow::Result;
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_store::reviews::{last_week, parse_week};
use poryadok_store::Db;

#[derive(Subcommand)]
pub enum CallsCommand {
    /// Sample a week (ISO week such as 2026-W47; default: last week) into the review queue.
    Sample {
        #[arg(long)]
        week: Option<String>,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

pub async fn run(db: &Db, command: CallsCommand) -> Result<()> {
    match command {
        CallsCommand::Sample { week, workspace } => {
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let monday = match week {
                Some(w) => parse_week(&w).ok_or_else(|| anyhow::anyhow!("--week: {w} is not a week such as 2026-W47"))?,
                None => last_week(&actor.ws.timezone, db.clock.now_ms()),
            };
            let bar = crate::progress::bar(1, "sampling calls", "weeks");
            let r = db.sample_week(&actor, monday).await.map_err(crate::describe)?;
            bar.inc(1);
            bar.finish_and_clear();
            println!("week {}: {} answered calls, {} sampled, {} new in the review queue", r.week, r.calls, r.sampled, r.queued);
            for m in &r.managers {
                println!(
                    "  manager {}: inbound {}/{}, outbound {}/{}",
                    m.manager_id, m.inbound_sampled, m.inbound_calls, m.outbound_sampled, m.outbound_calls
                );
            }
            Ok(())
        }
    }
}

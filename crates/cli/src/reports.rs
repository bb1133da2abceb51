//! `poryadok reports`: upkeep of what the reports read.
use anyhow::Result;
use clap::Subcommand;
use poryadok_store::Db;

#[derive(Subcommand)]
pub enum ReportsCommand {
    /// Count the deals' per-day aggregate (what the dashboard reads) again from the deals: after
    /// a change of the workspace's time zone, or to check it (docs/REPORTS.md).
    RebuildAggregates {
        /// One workspace (default: every one).
        #[arg(long)]
        workspace: Option<i64>,
    },
}

pub async fn run(db: &Db, command: ReportsCommand) -> Result<()> {
    match command {
        ReportsCommand::RebuildAggregates { workspace } => {
            let started = std::time::Instant::now();
            let bar = crate::progress::bar(db.deal_stats_deals(workspace).await?, "aggregate", "deals");
            let n = db.rebuild_deal_stats(workspace, &mut |k| bar.inc(k)).await?;
            bar.finish_and_clear();
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{}",
                serde_json::json!({"deals": n, "seconds": (secs * 100.0).round() / 100.0,
                    "deals_per_second": if secs > 0.0 { (n as f64 / secs).round() } else { 0.0 }})
            );
            Ok(())
        }
    }
}

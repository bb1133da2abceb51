//! `poryadok invoices`: import an accounting export (CSV or XLSX) and recompute each client's
//! last activity.
use anyhow::{Context, Result};
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_store::Db;

#[derive(Subcommand)]
pub enum InvoicesCommand {
    /// Import invoices from a CSV or XLSX export with the columns Номер, Дата, ИНН контрагента,
    /// Сумма, Оплачено (or number, date, tax id, amount, paid); see docs/ASSISTANTS.md.
    Import {
        file: std::path::PathBuf,
        /// Report what would change without saving anything.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Recompute every organization's last activity from its calls, messages, notes, finished
    /// tasks, invoices and payments (after a bulk load); prints the time per source.
    BackfillActivity {
        #[arg(long)]
        workspace: Option<i64>,
    },
}

pub async fn run(db: &Db, command: InvoicesCommand) -> Result<()> {
    match command {
        InvoicesCommand::Import { file, dry_run, workspace } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let r = db.import_invoices(&actor, &bytes, None, dry_run).await.map_err(crate::describe)?;
            if r.dry_run {
                println!("dry run: nothing was saved");
            }
            println!(
                "{} rows: {} invoices created, {} updated, {} unchanged, {} payments added, {} organizations created, {} rows with errors",
                r.rows,
                r.created,
                r.updated,
                r.unchanged,
                r.payments_added,
                r.organizations_created,
                r.errors.len()
            );
            for e in &r.errors {
                println!("line {}, column {}: {} ({})", e.line, e.column, e.message, e.code);
            }
            Ok(())
        }
        InvoicesCommand::BackfillActivity { workspace } => {
            let ws = crate::first_workspace(db, workspace).await?;
            let r = db.backfill_last_activity(ws).await.map_err(crate::describe)?;
            for (source, took) in &r.steps {
                println!("{source:<10} {:>9.1} ms", took.as_secs_f64() * 1000.0);
            }
            println!("{:<10} {:>9.1} ms", "total", r.total.as_secs_f64() * 1000.0);
            Ok(())
        }
    }
}

//! `poryadok reviews report [--from 2026-W45] [--to 2026-W48] [--by manager|criterion]
//! [--format text|csv|xlsx] [-o FILE]`: the call quality review report over ISO weeks — per
//! manager, or the manager × criterion table (average score, share given full marks, reviews
//! per criterion) — as text, CSV or a workbook (docs/TEAM.md).
use anyhow::{Context, Result};
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_server::ui::i18n::T;
use poryadok_server::ui::reviews::{criteria_table, period_of, report_csv, report_xlsx};
use poryadok_store::Db;

#[derive(Subcommand)]
pub enum ReviewsCommand {
    /// The review report of a period of ISO weeks (default: the last four weeks).
    Report {
        /// The first week, e.g. 2026-W45.
        #[arg(long)]
        from: Option<String>,
        /// The last week, e.g. 2026-W48.
        #[arg(long)]
        to: Option<String>,
        /// `manager` (the default: per manager over the period) or `criterion` (the manager ×
        /// criterion table).
        #[arg(long, default_value = "manager")]
        by: String,
        /// `text` (the default), `csv` or `xlsx`.
        #[arg(long, default_value = "text")]
        format: String,
        #[arg(short = 'o', long)]
        output: Option<std::path::PathBuf>,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "-".into())
}

pub async fn run(db: &Db, command: ReviewsCommand) -> Result<()> {
    let ReviewsCommand::Report { from, to, by, format, output, workspace } = command;
    let by_criterion = match by.as_str() {
        "criterion" => true,
        "manager" => false,
        other => anyhow::bail!("--by: {other} is not manager or criterion"),
    };
    let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
    let (from, to) = period_of(&actor.ws.timezone, db.clock.now_ms(), from.as_deref(), to.as_deref()).map_err(crate::describe)?;
    let r = db.review_report(&actor, &from, &to).await.map_err(crate::describe)?;
    let t = T::new(actor.ws_lang());
    let bytes = match (format.as_str(), by_criterion) {
        ("csv", true) => criteria_table(&r, &t).csv().into_bytes(),
        ("csv", false) => report_csv(&r, &t).into_bytes(),
        ("xlsx", true) => {
            poryadok_server::report::workbook(&[(t.t("reviews.sheet.manager_criteria").to_string(), &criteria_table(&r, &t))])?
        }
        ("xlsx", false) => report_xlsx(&r, &t)?,
        ("text", false) => {
            println!("{from} … {to}");
            println!("{:<32} {:>8} {:>8}", "manager", "calls", "score");
            for m in &r.managers {
                println!("{:<32} {:>8} {:>8}", m.label, m.reviews, pct(Some(m.score_pct)));
            }
            return Ok(());
        }
        ("text", true) => {
            println!("{from} … {to}: per manager and criterion, score / full marks (calls)");
            for m in &r.manager_criteria {
                println!("{} ({} calls)", m.manager_name, m.reviews);
                for (c, cell) in r.criterion_columns.iter().zip(&m.cells) {
                    println!("  {:<44} {:>7} / {:>7} ({})", c.title, pct(cell.score_pct), pct(cell.passed_pct), cell.reviews);
                }
            }
            return Ok(());
        }
        (other, _) => anyhow::bail!("--format: {other} is not text, csv or xlsx"),
    };
    match output {
        Some(path) => {
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            println!("{}: {} managers, {} criteria, {from} … {to}", path.display(), r.manager_criteria.len(), r.criterion_columns.len());
        }
        None if format == "csv" => print!("{}", String::from_utf8_lossy(&bytes)),
        None => anyhow::bail!("an XLSX file needs -o FILE"),
    }
    Ok(())
}

//! `poryadok plans`: import a plan sheet (CSV or XLSX) — a row per manager and period with a
//! column per metric — with a progress bar, or list a period's plans.
use anyhow::{Context, Result};
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_core::plan::PlanPeriod;
use poryadok_store::plans::{PlanQuery, Target};
use poryadok_store::Db;

#[derive(Subcommand)]
pub enum PlansCommand {
    /// Import plans from a CSV or XLSX sheet with the columns Менеджер (name or e-mail), Период
    /// (2026-11, ноябрь 2026, 2026-Q4), Выручка (currency units), Сделки, Звонки, Письма, Счета
    /// (or Manager, Period, Revenue, Won deals, Calls, E-mails, Invoices); see docs/REPORTS.md.
    Import {
        file: std::path::PathBuf,
        /// Report what would change without saving anything.
        #[arg(long)]
        dry_run: bool,
        /// The period of a sheet without a period column (2026-11 or 2026-Q4).
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Print a quarter's plans spread to its months (a month gives its quarter): target,
    /// metric, the quarter's plan, then each month's (`*` a month's own plan).
    Spread {
        period: String,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Print a period's plans: target, metric, value.
    List {
        period: String,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

pub async fn run(db: &Db, command: PlansCommand) -> Result<()> {
    match command {
        PlansCommand::Import { file, dry_run, period, workspace } => {
            let period = match period {
                Some(p) => Some(PlanPeriod::parse(&p).map_err(|m| anyhow::anyhow!("--period: {}", m.english()))?),
                None => None,
            };
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} rows {pos}/{len} [{bar:40}] {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            let r = db
                .import_plans(&actor, &bytes, None, period, dry_run, &mut |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .await
                .map_err(crate::describe)?;
            bar.finish_and_clear();
            if r.dry_run {
                println!("dry run: nothing was saved");
            }
            println!(
                "{} rows: {} plans created, {} changed, {} unchanged, {} rows with errors",
                r.rows,
                r.created,
                r.updated,
                r.unchanged,
                r.errors.len()
            );
            for e in &r.errors {
                println!("line {}, column {}: {} ({})", e.line, e.column, e.message, e.code);
            }
            Ok(())
        }
        PlansCommand::Spread { period, workspace } => {
            let period = PlanPeriod::parse(&period).map_err(|m| anyhow::anyhow!("period: {}", m.english()))?;
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let users = db.plan_users(&actor).await.map_err(crate::describe)?;
            let teams = db.plan_teams(&actor).await.map_err(crate::describe)?;
            let (quarter, lines) = db.plan_spread(&actor, period).await.map_err(crate::describe)?;
            println!("{}: quarterly plans by month (by working days; * a month's own plan)", quarter.key());
            for l in &lines {
                let who = match l.target {
                    Target::User(id) => users.iter().find(|u| u.id == id).map_or(format!("user {id}"), |u| u.name.clone()),
                    Target::Team(id) => teams.iter().find(|t| t.0 == id).map_or(format!("team {id}"), |t| format!("team {}", t.1)),
                };
                let months: Vec<String> =
                    l.months.iter().map(|(m, v, spread)| format!("{} {v}{}", m.key(), if *spread { "" } else { "*" })).collect();
                println!("{who}	{}	{}	{}", l.metric.as_str(), l.value, months.join("\t"));
            }
            Ok(())
        }
        PlansCommand::List { period, workspace } => {
            let period = PlanPeriod::parse(&period).map_err(|m| anyhow::anyhow!("period: {}", m.english()))?;
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let users = db.plan_users(&actor).await.map_err(crate::describe)?;
            let teams = db.plan_teams(&actor).await.map_err(crate::describe)?;
            let mut cursor = None;
            loop {
                let q = PlanQuery { period: Some(period), limit: Some("500".into()), cursor, ..Default::default() };
                let page = db.plans(&actor, &q).await.map_err(crate::describe)?;
                for p in &page.data {
                    let who = match p.target {
                        Target::User(id) => users.iter().find(|u| u.id == id).map_or(format!("user {id}"), |u| u.name.clone()),
                        Target::Team(id) => teams.iter().find(|t| t.0 == id).map_or(format!("team {id}"), |t| format!("team {}", t.1)),
                    };
                    println!("{who}\t{}\t{}", p.metric.as_str(), p.value);
                }
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            Ok(())
        }
    }
}

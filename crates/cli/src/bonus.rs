//! `poryadok bonus report`: the bonus of each user over a period (docs/TEAM.md, "Bonus split by
//! role") printed as a table, or written for payroll as CSV or XLSX.
use anyhow::{Context, Result};
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_core::report::Period;
use poryadok_server::api::bonus::{deals_table, users_table};
use poryadok_server::ui::i18n::T;
use poryadok_store::Db;

#[derive(Subcommand)]
pub enum BonusCommand {
    /// Each user's bonus over `--from`..=`--to` (days in the workspace's time zone) beside their
    /// revenue plan; `--format csv|xlsx` with `-o FILE` for payroll (XLSX adds a sheet of deals).
    Report {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// One user's deals instead of everyone's totals.
        #[arg(long)]
        user: Option<i64>,
        /// `text` (the default), `csv` or `xlsx`.
        #[arg(long, default_value = "text")]
        format: String,
        #[arg(short = 'o', long)]
        output: Option<std::path::PathBuf>,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

pub async fn run(db: &Db, command: BonusCommand) -> Result<()> {
    let BonusCommand::Report { from, to, user, format, output, workspace } = command;
    let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
    let period = Period::parse(&from, &to, &actor.ws.timezone).map_err(|e| anyhow::anyhow!("--{}: {}", e.field, e.message()))?;
    let r = db.bonus_report_of(&actor, &period, user, user.is_some() || format == "xlsx").await.map_err(crate::describe)?;
    let t = T::new(actor.ws_lang());
    let bytes = match format.as_str() {
        "csv" => (if user.is_some() { deals_table(&r, &t, &actor.ws.timezone) } else { users_table(&r, &t) }).csv().into_bytes(),
        "xlsx" => poryadok_server::report::workbook(&[
            (t.t("bonus.sheet_users").to_string(), &users_table(&r, &t)),
            (t.t("bonus.sheet_deals").to_string(), &deals_table(&r, &t, &actor.ws.timezone)),
        ])?,
        "text" => {
            let money = |m: i64| format!("{}.{:02}", m / 100, (m % 100).abs());
            println!("{:<32} {:>16} {:>16} {:>6} {:>14}", "user", "plan", "revenue", "deals", "bonus");
            for u in &r.users {
                let plan = u.plan.map(money).unwrap_or_else(|| "-".into());
                println!("{:<32} {:>16} {:>16} {:>6} {:>14}", u.name, plan, money(u.revenue), u.deals, money(u.bonus));
            }
            println!("total {} {} over {}..{}; won deals without a split: {}", money(r.total), r.currency, r.from, r.to, r.unsplit_deals);
            return Ok(());
        }
        other => anyhow::bail!("--format: {other} is not text, csv or xlsx"),
    };
    match output {
        Some(path) => {
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            println!("{}: {} users, total {} minor units", path.display(), r.users.len(), r.total);
        }
        None if format == "csv" => print!("{}", String::from_utf8_lossy(&bytes)),
        None => anyhow::bail!("an XLSX file needs -o FILE"),
    }
    Ok(())
}

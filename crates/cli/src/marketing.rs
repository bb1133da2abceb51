//! `poryadok marketing`: import spend from an ad cabinet's export (CSV or XLSX) with a progress
//! bar, and print spend totals by channel, campaign, keyword or day.
use anyhow::{Context, Result};
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_store::marketing::import::{Field, ImportOptions};
use poryadok_store::marketing::{SpendGroup, SpendQuery};
use poryadok_store::Db;

#[derive(Subcommand)]
pub enum MarketingCommand {
    /// Import spend from a Yandex Direct, VK Ads or Google Ads export (or any CSV/XLSX with a
    /// date and an amount column); see docs/MARKETING.md. A file with bad rows writes nothing.
    Import {
        file: std::path::PathBuf,
        /// The channel of rows without their own (a Yandex Direct file is yandex by itself).
        #[arg(long)]
        channel: Option<String>,
        /// The medium of rows without their own (cpc).
        #[arg(long)]
        medium: Option<String>,
        /// An explicit column: FIELD=HEADER (or FIELD=NUMBER from 1), e.g. --map amount=Стоимость;
        /// fields: date, channel, medium, campaign, term, impressions, clicks, amount, currency.
        #[arg(long = "map", value_name = "FIELD=HEADER")]
        map: Vec<String>,
        /// Report what would be written without saving anything.
        #[arg(long)]
        dry_run: bool,
        /// Read only this sheet of a workbook (its name or number from 1); by default every
        /// sheet that has a spend header.
        #[arg(long)]
        sheet: Option<String>,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Print spend totals (tab-separated, amounts in currency units).
    Spend {
        /// The first day, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// The last day, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
        /// Only this channel (any spelling; the aliases apply).
        #[arg(long)]
        channel: Option<String>,
        /// channel, campaign, term, day or all.
        #[arg(long, default_value = "channel")]
        by: String,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

fn units(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

pub async fn run(db: &Db, command: MarketingCommand) -> Result<()> {
    match command {
        MarketingCommand::Import { file, channel, medium, map, dry_run, sheet, workspace } => {
            let mut mapping = Vec::new();
            for m in &map {
                let (f, header) = m.split_once('=').with_context(|| format!("--map {m}: expected FIELD=HEADER"))?;
                let field = Field::parse(f).with_context(|| {
                    format!("--map {m}: {f} is not a field (date, channel, medium, campaign, term, impressions, clicks, amount, currency)")
                })?;
                mapping.push((field, header.to_string()));
            }
            let opts = ImportOptions { mapping, channel, medium, dry_run, sheet };
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} rows {pos}/{len} [{bar:40}] {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            let r = db
                .import_spend(&actor, &bytes, None, &opts, &mut |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .await
                .map_err(crate::describe)?;
            bar.finish_and_clear();
            println!(
                "{} ({}), channel {}: {} rows, {} added up, {} totals skipped; {} … {}, {} in all",
                file.display(),
                r.shape.as_str(),
                r.channel.as_deref().unwrap_or("from the file"),
                r.rows,
                r.merged,
                r.skipped,
                r.first_day.as_deref().unwrap_or("—"),
                r.last_day.as_deref().unwrap_or("—"),
                units(r.amount)
            );
            if !r.sheets.is_empty() {
                println!("sheets read: {}", r.sheets.join(", "));
            }
            for e in &r.errors {
                println!("line {}, column {}: {} ({})", e.line, e.column, e.message, e.code);
            }
            if !r.errors.is_empty() && !dry_run {
                anyhow::bail!("{} rows have mistakes; nothing was written", r.errors.len());
            }
            if dry_run {
                println!("dry run: nothing was saved");
            }
            println!("{} rows created, {} replaced, {} unchanged", r.created, r.updated, r.unchanged);
            Ok(())
        }
        MarketingCommand::Spend { from, to, channel, by, workspace } => {
            let group = SpendGroup::parse(&by).with_context(|| format!("--by {by}: expected channel, campaign, term, day or all"))?;
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let pairs: Vec<(&str, &str)> = [("from", &from), ("to", &to), ("channel", &channel)]
                .into_iter()
                .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
                .collect();
            let q = SpendQuery::from_pairs(pairs, &[]).map_err(crate::describe)?;
            let rows = db.spend_totals(&actor, &q, group).await.map_err(crate::describe)?;
            let mut head: Vec<&str> = match group {
                SpendGroup::All => vec![],
                SpendGroup::Channel => vec!["channel"],
                SpendGroup::Campaign => vec!["channel", "campaign"],
                SpendGroup::Term => vec!["channel", "campaign", "term"],
                SpendGroup::Day => vec!["day"],
            };
            head.extend(["amount", "impressions", "clicks", "rows", "first_day", "last_day"]);
            println!("{}", head.join("\t"));
            let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
            for r in &rows {
                let mut cells: Vec<String> = match group {
                    SpendGroup::All => vec![],
                    SpendGroup::Channel => vec![r.channel.clone()],
                    SpendGroup::Campaign => vec![r.channel.clone(), r.campaign.clone()],
                    SpendGroup::Term => vec![r.channel.clone(), r.campaign.clone(), r.term.clone()],
                    SpendGroup::Day => vec![r.day.clone()],
                };
                cells.extend([
                    units(r.amount),
                    opt(r.impressions),
                    opt(r.clicks),
                    r.rows.to_string(),
                    r.first_day.clone().unwrap_or_default(),
                    r.last_day.clone().unwrap_or_default(),
                ]);
                println!("{}", cells.join("\t"));
            }
            Ok(())
        }
    }
}

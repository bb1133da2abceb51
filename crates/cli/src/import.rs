//! `poryadok import FILE --entity deal|person|organization`: a base from another CRM's export
//! (amoCRM, Bitrix24, Pipedrive, any spreadsheet) with a progress bar and a summary;
//! `poryadok import rollback ID` undoes one; `poryadok import list` shows the latest.
//! See docs/IMPORT.md.
use anyhow::{anyhow, Context, Result};
use clap::{Args, Subcommand};
use poryadok_core::domain::Channel;
use poryadok_core::import::{Duplicates, ImportEntity, Preset};
use poryadok_store::imports::{ImportReport, Upload};
use poryadok_store::Db;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub command: Option<ImportCommand>,
    /// The export: CSV (UTF-8 or Windows-1251; `;`, `,` or tab), XLSX, XLS, or Bitrix24's HTML .xls.
    #[arg(required = true)]
    pub file: Option<std::path::PathBuf>,
    /// What the rows are.
    #[arg(long, default_value = "deal", value_parser = ["deal", "person", "organization"])]
    pub entity: String,
    /// Whose export it is; told by the headers when not given.
    #[arg(long, value_parser = ["amocrm", "bitrix24", "pipedrive", "generic"])]
    pub preset: Option<String>,
    /// Count what would happen (new, updated, skipped, failed rows) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// What to do with a record already there (the same phone, e-mail, tax id or site).
    #[arg(long, default_value = "skip", value_parser = ["skip", "update", "create"])]
    pub duplicates: String,
    /// A column's target instead of the preset's: `--map "Бюджет=value"`, `--map "Комментарий="` (skip).
    #[arg(long = "map", value_name = "HEADER=TARGET")]
    pub map: Vec<String>,
    /// A value's target: `--value "stage:Переговоры=12"` (a stage id, won or lost), `--value "owner:Иванов=3"`.
    #[arg(long = "value", value_name = "KIND:VALUE=TARGET")]
    pub values: Vec<String>,
    /// Keep an unmapped column in a new text custom field named by its header.
    #[arg(long = "new-custom", value_name = "HEADER")]
    pub new_custom: Vec<String>,
    #[arg(long)]
    pub workspace: Option<i64>,
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Delete what an import created and restore what it updated.
    Rollback {
        id: i64,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// The latest imports: id, status, file, counts.
    List {
        #[arg(long)]
        workspace: Option<i64>,
    },
}

fn print_report(r: &ImportReport) {
    if r.dry_run {
        println!("dry run: nothing was saved");
    }
    println!("{} rows: {} new, {} updated, {} skipped, {} failed", r.rows, r.created, r.updated, r.skipped, r.failed);
    println!(
        "also created: {} persons, {} organizations, {} notes, {} tasks, {} custom fields",
        r.persons_created, r.organizations_created, r.notes_created, r.tasks_created, r.custom_fields_created
    );
    for e in r.errors.iter().take(50) {
        println!("line {}, column «{}»: {} ({})", e.line, e.column, e.message.english(), e.code);
    }
    if r.errors.len() > 50 {
        println!("… and {} more failed cells", r.errors.len() - 50);
    }
}

pub async fn run(db: &Db, args: ImportArgs) -> Result<()> {
    match args.command {
        Some(ImportCommand::Rollback { id, workspace }) => {
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let r = db.rollback_import(&actor, id).await.map_err(crate::describe)?;
            println!("import {id} rolled back: {} records deleted, {} restored", r.deleted, r.restored);
            Ok(())
        }
        Some(ImportCommand::List { workspace }) => {
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            for i in db.imports(&actor, 50).await.map_err(crate::describe)? {
                let r = i.report.unwrap_or_default();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{} rows: {} new, {} updated, {} skipped, {} failed",
                    i.id,
                    i.status,
                    i.entity.as_str(),
                    i.preset.as_str(),
                    i.file_name,
                    i.rows,
                    r.created,
                    r.updated,
                    r.skipped,
                    r.failed
                );
            }
            Ok(())
        }
        None => {
            let file = args.file.ok_or_else(|| anyhow!("a FILE to import is required"))?;
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let entity = ImportEntity::parse(&args.entity).ok_or_else(|| anyhow!("--entity: deal, person or organization"))?;
            let preset = args.preset.as_deref().map(|p| Preset::parse(p).ok_or_else(|| anyhow!("--preset: unknown {p}"))).transpose()?;
            let actor = db.system_actor(crate::first_workspace(db, args.workspace).await?, Channel::Cli).await?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "import".into());
            let import = db
                .upload_import(&actor, &Upload { file_name: &name, content_type: None, bytes: &bytes, entity, preset })
                .await
                .map_err(crate::describe)?;
            println!(
                "import {}: {} rows of {} ({}, read as {})",
                import.id,
                import.rows,
                import.entity.as_str(),
                import.preset.as_str(),
                import.file_kind
            );
            let mut settings = import.settings.clone();
            settings.duplicates =
                Duplicates::parse(&args.duplicates).ok_or_else(|| anyhow!("--duplicates: skip, update or create"))?.as_str().into();
            let column = |header: &str| -> Result<usize> {
                import
                    .headers
                    .iter()
                    .position(|h| poryadok_core::import::same_name(h, header))
                    .ok_or_else(|| anyhow!("the file has no column «{header}»; its columns: {}", import.headers.join(", ")))
            };
            for m in &args.map {
                let (h, t) = m.split_once('=').ok_or_else(|| anyhow!("--map takes HEADER=TARGET, not {m}"))?;
                let i = column(h)?;
                settings.columns[i] = Some(t.trim().to_string()).filter(|t| !t.is_empty());
            }
            for v in &args.values {
                let (kind, rest) = v.split_once(':').ok_or_else(|| anyhow!("--value takes KIND:VALUE=TARGET, not {v}"))?;
                let (from, to) = rest.rsplit_once('=').ok_or_else(|| anyhow!("--value takes KIND:VALUE=TARGET, not {v}"))?;
                settings.values.entry(kind.trim().to_string()).or_default().insert(from.to_string(), to.trim().to_string());
            }
            for h in &args.new_custom {
                settings.new_custom.push(column(h)?);
            }
            for (h, t) in import.headers.iter().zip(&settings.columns) {
                println!("  «{h}» → {}", t.as_deref().unwrap_or("—"));
            }
            // Values the file holds that no mapping covers: their rows will fail; say so upfront.
            for (kind, values) in &import.values_found {
                let map = settings.values.get(kind);
                let missing: Vec<&String> = values.iter().filter(|v| map.is_none_or(|m| !m.contains_key(*v))).collect();
                if !missing.is_empty() {
                    println!(
                        "  {kind}: no mapping for {} (map with --value \"{kind}:VALUE=TARGET\")",
                        missing.iter().map(|s| format!("«{s}»")).collect::<Vec<_>>().join(", ")
                    );
                }
            }
            let bar = indicatif::ProgressBar::new(import.rows);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} rows {pos}/{len} [{bar:40}] {elapsed} ({per_sec})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            let started = std::time::Instant::now();
            let r = db
                .run_import(&actor, import.id, &settings, args.dry_run, &mut |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .await
                .map_err(crate::describe)?;
            bar.finish_and_clear();
            print_report(&r);
            let secs = started.elapsed().as_secs_f64();
            println!("{:.1} s, {:.0} rows/s; roll back with: poryadok import rollback {}", secs, r.rows as f64 / secs.max(1e-9), import.id);
            Ok(())
        }
    }
}

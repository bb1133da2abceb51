//! `poryadok regulation`: the workspace's regulation as one TOML file (docs/REGULATION_AS_CODE.md).
//! `export` writes it, `plan` says what a file would change and do to today's deals, `apply`
//! writes it all or nothing as a new version, `versions` lists them, `rollback N` applies an
//! earlier version again.
use anyhow::{Context, Result};
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_core::regulation_file::{Change, ChangeKind};
use poryadok_core::Lang;
use poryadok_store::regulation_file::{Applied, ApplyOptions, Plan, PlanError};
use poryadok_store::Db;
use std::io::{BufRead, Write};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum RegulationCommand {
    /// Write the regulation as TOML to FILE (or standard output).
    Export {
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// What applying FILE would change (added / changed / removed) and do to today's data.
    Plan {
        file: PathBuf,
        /// The plan as JSON (for scripts).
        #[arg(long)]
        json: bool,
        /// Where a removed stage's deals go: PIPELINE/STAGE:TARGET (repeatable).
        #[arg(long = "move", value_name = "FROM:TO")]
        moves: Vec<String>,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Apply FILE, all or nothing, as a new version; shows the plan and asks first unless --yes.
    Apply {
        file: PathBuf,
        #[arg(long)]
        yes: bool,
        #[arg(long = "move", value_name = "FROM:TO")]
        moves: Vec<String>,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// The versions of the regulation, newest first.
    Versions {
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Apply version N's file again (recorded as a new version).
    Rollback {
        version: i64,
        #[arg(long)]
        yes: bool,
        #[arg(long = "move", value_name = "FROM:TO")]
        moves: Vec<String>,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

fn options(moves: &[String]) -> Result<ApplyOptions> {
    let mut o = ApplyOptions::default();
    for m in moves {
        let (from, to) = m.split_once(':').with_context(|| format!("--move {m}: expected PIPELINE/STAGE:TARGET"))?;
        o.move_deals_to.insert(from.trim().to_string(), to.trim().to_string());
    }
    Ok(o)
}

fn read(file: &PathBuf) -> Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}

fn sign(k: ChangeKind) -> char {
    match k {
        ChangeKind::Added => '+',
        ChangeKind::Changed => '~',
        ChangeKind::Removed => '-',
    }
}

fn short(s: &Option<String>) -> String {
    match s {
        None => "∅".into(),
        Some(v) if v.chars().count() > 60 => format!("{}…", v.chars().take(60).collect::<String>()),
        Some(v) => v.replace('\n', " "),
    }
}

/// The plan as people read it.
pub fn print_changes(changes: &[Change]) {
    for c in changes {
        let section = serde_json::to_value(c.section).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        println!("{} {section} {} {}", sign(c.kind), c.key, if c.name.is_empty() { String::new() } else { format!("({})", c.name) });
        for f in &c.fields {
            println!("    {}: {} → {}", f.field, short(&f.old), short(&f.new));
        }
    }
}

fn print_errors(errors: &[PlanError], lang: Lang) {
    for e in errors {
        match e.line {
            Some(l) => eprintln!("error: line {l}: {}: {}", e.path, e.msg.text(lang)),
            None => eprintln!("error: {}: {}", e.path, e.msg.text(lang)),
        }
    }
}

fn print_plan(plan: &Plan, lang: Lang) {
    if plan.changes.is_empty() {
        println!("no changes");
    }
    print_changes(&plan.changes);
    for i in &plan.impacts {
        println!("impact: {}", i.msg.text(lang));
    }
    for w in &plan.warnings {
        println!("warning: {}", w.msg.text(lang));
    }
    print_errors(&plan.errors, lang);
}

fn confirm() -> Result<bool> {
    print!("apply? [y/N] ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "да" | "д"))
}

fn outcome(a: Applied, lang: Lang) -> Result<()> {
    match a {
        Applied::Applied { version, summary, .. } => {
            println!("applied: version {version} ({summary})");
            Ok(())
        }
        Applied::Unchanged {} => {
            println!("the file matches the current regulation; nothing applied");
            Ok(())
        }
        Applied::Refused { errors } => {
            print_errors(&errors, lang);
            anyhow::bail!("refused; nothing was changed")
        }
    }
}

pub async fn run(db: &Db, command: RegulationCommand) -> Result<()> {
    let ws = match &command {
        RegulationCommand::Export { workspace, .. }
        | RegulationCommand::Plan { workspace, .. }
        | RegulationCommand::Apply { workspace, .. }
        | RegulationCommand::Versions { workspace }
        | RegulationCommand::Rollback { workspace, .. } => crate::first_workspace(db, *workspace).await?,
    };
    let actor = db.system_actor(ws, Channel::Cli).await?;
    let lang = Lang::from_locale(&actor.ws.locale);
    match command {
        RegulationCommand::Export { output, .. } => {
            let text = db.regulation_export(&actor).await.map_err(crate::describe)?.to_toml();
            match output {
                Some(path) => {
                    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("regulation of workspace {ws} written to {}", path.display());
                }
                None => print!("{text}"),
            }
            Ok(())
        }
        RegulationCommand::Plan { file, json, moves, .. } => {
            let plan = db.regulation_plan(&actor, &read(&file)?, &options(&moves)?).await.map_err(crate::describe)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&plan)?);
            } else {
                print_plan(&plan, lang);
            }
            if !plan.ok() {
                anyhow::bail!("the file does not apply");
            }
            Ok(())
        }
        RegulationCommand::Apply { file, yes, moves, .. } => {
            let src = read(&file)?;
            let opts = options(&moves)?;
            if !yes {
                let plan = db.regulation_plan(&actor, &src, &opts).await.map_err(crate::describe)?;
                print_plan(&plan, lang);
                if !plan.ok() {
                    anyhow::bail!("the file does not apply; nothing was changed");
                }
                if plan.changes.is_empty() || !confirm()? {
                    return Ok(());
                }
            }
            outcome(db.regulation_apply(&actor, &src, &opts).await.map_err(crate::describe)?, lang)
        }
        RegulationCommand::Versions { .. } => {
            db.regulation_snapshot(ws, None).await.map_err(crate::describe)?;
            for v in db.regulation_versions(&actor).await.map_err(crate::describe)? {
                let when = poryadok_core::types::format_ms(v.created_at);
                println!("{:>4}  {when}  {:<20}  {}", v.version, v.author_name.as_deref().unwrap_or("—"), v.summary);
            }
            Ok(())
        }
        RegulationCommand::Rollback { version, yes, moves, .. } => {
            let opts = options(&moves)?;
            if !yes {
                let v = db.regulation_version(&actor, version).await.map_err(crate::describe)?;
                let plan = db.regulation_plan(&actor, &v.toml, &opts).await.map_err(crate::describe)?;
                print_plan(&plan, lang);
                if !plan.ok() {
                    anyhow::bail!("version {version} does not apply now; nothing was changed");
                }
                if plan.changes.is_empty() || !confirm()? {
                    return Ok(());
                }
            }
            outcome(db.regulation_rollback(&actor, version, &opts).await.map_err(crate::describe)?, lang)
        }
    }
}

//! `poryadok export`, `backup`, `restore` and `copy`: a workspace as files, a consistent copy of
//! the running system, a restore into an empty database, and a move from SQLite to PostgreSQL,
//! each with a progress bar and a table of counts and checksums where rows are loaded.
use anyhow::{bail, Context, Result};
use clap::Args;
use poryadok_core::SystemClock;
use poryadok_server::workspace_export::{self, Format};
use poryadok_store::dump::backup::{self as bk, BackupKind};
use poryadok_store::dump::jsonl::{JsonlSink, WriteOut};
use poryadok_store::dump::{copy_into, Scope, Snapshot, TableSum, Verified};
use poryadok_store::files::carry::{backup_files_dir, carry_blobs, files_of_backup};
use poryadok_store::files::{BlobStore, LocalDisk};
use poryadok_store::{DatabaseUrl, Db, SqliteCommit};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[derive(Args)]
pub struct ExportArgs {
    /// The workspace to export; defaults to the first one.
    #[arg(long)]
    workspace: Option<i64>,
    /// jsonl (every table of the workspace, one file), csv or xlsx (one file per entity).
    #[arg(long, default_value = "jsonl")]
    format: String,
    /// The file (jsonl), a directory, or a .zip (csv, xlsx) to write.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct BackupArgs {
    /// The backup file to write (it must not exist yet).
    #[arg(required_unless_present_any = ["schedule", "unschedule", "list"])]
    file: Option<PathBuf>,
    /// Instead of backing up now: back up every --every-hours into this directory, keeping the
    /// newest --keep files (run by the job worker of `poryadok serve`).
    #[arg(long, value_name = "DIR")]
    schedule: Option<PathBuf>,
    #[arg(long, default_value_t = 24)]
    every_hours: i64,
    #[arg(long, default_value_t = 7)]
    keep: i64,
    /// Stop the scheduled backups (their files stay).
    #[arg(long)]
    unschedule: bool,
    /// Print the schedule and the scheduled backups made so far.
    #[arg(long)]
    list: bool,
    /// auto (SQLite: VACUUM INTO; PostgreSQL: pg_dump when installed, else jsonl), sqlite,
    /// pg_dump or jsonl.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Leave the files' bytes out (by default they go into FILE.files beside the backup).
    #[arg(long)]
    no_files: bool,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A backup written by `poryadok backup` (SQLite file, pg_dump archive or JSON lines).
    file: PathBuf,
    /// Where the backup's files' bytes are; by default FILE.files beside it (or a scheduled
    /// backup's shared `files` directory). They go into --files-dir.
    #[arg(long, value_name = "DIR")]
    files_from: Option<PathBuf>,
}

#[derive(Args)]
pub struct CopyArgs {
    /// The database to copy into: postgres://USER:PASSWORD@HOST/DB (or sqlite://FILE). It is
    /// migrated first and must hold no rows.
    #[arg(long)]
    to: String,
    /// The database to copy from: a SQLite file, sqlite://FILE or postgres://…; defaults to the
    /// configured database (--database).
    #[arg(long)]
    from: Option<String>,
    /// Also copy the files' bytes from --files-dir into this directory (the new server's
    /// --files-dir). Without it they stay where they are.
    #[arg(long, value_name = "DIR")]
    to_files_dir: Option<PathBuf>,
}

fn bar(total: u64, what: &str) -> indicatif::ProgressBar {
    crate::progress::bar(total, what, "rows")
}

fn spinner(what: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new_spinner();
    b.set_message(what.to_string());
    b.enable_steady_tick(std::time::Duration::from_millis(120));
    b
}

fn url_of(s: &str) -> DatabaseUrl {
    let s = s.trim();
    if s.contains("://") || s.starts_with("sqlite:") {
        DatabaseUrl::new(s)
    } else {
        DatabaseUrl::new(format!("sqlite://{s}"))
    }
}

fn size_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0)
}

/// Prints each table's rows and whether its checksum matched; fails when any differs.
fn print_verified(v: &[Verified]) -> Result<u64> {
    println!("{:<22} {:>12} {:>12}  checksum", "table", "source", "target");
    let mut bad = Vec::new();
    let mut rows = 0;
    for t in v {
        let target = t.target.as_ref().map(|s| s.rows).unwrap_or(0);
        rows += t.source.rows;
        let state = if t.ok() { "ok" } else { "DIFFERS" };
        println!("{:<22} {:>12} {:>12}  {} {state}", t.table, t.source.rows, target, &t.source.sha256[..16]);
        if !t.ok() {
            bad.push(t.table.clone());
        }
    }
    if !bad.is_empty() {
        bail!("the copy differs from its source in: {}", bad.join(", "));
    }
    println!("all {} tables equal ({rows} rows)", v.len());
    Ok(rows)
}

fn print_sums(sums: &[TableSum]) -> u64 {
    println!("{:<22} {:>12}  checksum", "table", "rows");
    for s in sums {
        println!("{:<22} {:>12}  {}", s.table, s.rows, &s.sha256[..16]);
    }
    sums.iter().map(|s| s.rows).sum()
}

/// Copies the bytes of every file the rows of `db` name from `from` into `to`, with a progress
/// bar in bytes; fails naming what `from` lacks, after copying everything it has.
async fn carry_files(db: &Db, from: &dyn BlobStore, to: &Path, what: &str) -> Result<()> {
    let refs = db.blob_refs().await?;
    if refs.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let b = crate::progress::bar(refs.iter().map(|r| r.size).sum(), what, "bytes");
    let pb = b.clone();
    let done = carry_blobs(from, &LocalDisk::new(to), &refs, &mut move |n| pb.inc(n)).await?;
    b.finish_and_clear();
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "files: {} of {} → {} ({:.1} MB new in {secs:.1} s, {:.1} MB/s)",
        done.blobs - (done.missing.len() + done.corrupt.len()) as u64,
        done.blobs,
        to.display(),
        done.bytes as f64 / 1e6,
        done.bytes as f64 / 1e6 / secs
    );
    if !done.complete() {
        let first: Vec<&str> = done.missing.iter().chain(&done.corrupt).take(5).map(String::as_str).collect();
        bail!(
            "{} files' bytes are missing and {} damaged in {} (is --files-dir right?); the first: {}",
            done.missing.len(),
            done.corrupt.len(),
            from.describe(),
            first.join(", ")
        );
    }
    Ok(())
}

pub async fn export(args: &crate::DbArgs, a: ExportArgs) -> Result<()> {
    let db = args.open().await?;
    let r = export_in(&db, a).await;
    db.close().await;
    r
}

async fn export_in(db: &Db, a: ExportArgs) -> Result<()> {
    let ws = crate::first_workspace(db, a.workspace).await?;
    // Read from the replica when one is configured (--read-database-url).
    let db = &db.reader();
    let format = Format::parse(&a.format).with_context(|| format!("--format must be jsonl, csv or xlsx, not '{}'", a.format))?;
    let started = Instant::now();
    match format {
        Format::Jsonl => {
            let file = std::fs::File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
            let mut snap = Snapshot::open(db).await?;
            let b = bar(0, "export");
            let mut sink = JsonlSink::new(WriteOut(std::io::BufWriter::new(file)), Scope::Workspace(ws), db.clock.now_ms()).await?;
            let pb = b.clone();
            sink.progress = Box::new(move |t, n| {
                pb.set_message(t.to_string());
                pb.inc(n);
            });
            let pb = b.clone();
            let sums = snap.dump(Scope::Workspace(ws), &mut sink, &mut |c| pb.set_length(c.iter().map(|(_, n)| n).sum())).await?;
            snap.close().await?;
            std::io::Write::flush(&mut sink.out.0)?;
            b.finish_and_clear();
            let rows: u64 = sums.iter().map(|s| s.rows).sum();
            println!(
                "workspace {ws}: {} tables, {rows} rows → {} ({:.1} MB) in {:.1} s",
                sums.len(),
                a.out.display(),
                size_mb(&a.out),
                started.elapsed().as_secs_f64()
            );
        }
        Format::Csv | Format::Xlsx => {
            let s = spinner("reading the workspace");
            let sheets = db.export_sheets(ws).await?;
            s.finish_and_clear();
            let rows: usize = sheets.iter().map(|s| s.rows.len()).sum();
            if a.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
                let bytes = workspace_export::zip(&sheets, format).map_err(anyhow::Error::msg)?;
                std::fs::write(&a.out, bytes).with_context(|| format!("writing {}", a.out.display()))?;
            } else {
                std::fs::create_dir_all(&a.out).with_context(|| format!("creating the directory {}", a.out.display()))?;
                let b = bar(sheets.len() as u64, "files");
                for sh in &sheets {
                    b.set_message(sh.name.clone());
                    let path = a.out.join(format!("{}.{}", sh.name, format.ext()));
                    std::fs::write(&path, workspace_export::sheet_file(sh, format).map_err(anyhow::Error::msg)?)
                        .with_context(|| format!("writing {}", path.display()))?;
                    b.inc(1);
                }
                b.finish_and_clear();
            }
            println!(
                "workspace {ws}: {} entities, {rows} rows as {} → {} in {:.1} s",
                sheets.len(),
                format.ext(),
                a.out.display(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

async fn schedule(db: &Db, a: &BackupArgs) -> Result<()> {
    if let Some(dir) = &a.schedule {
        db.set_backup_schedule(dir, a.every_hours, a.keep).await.map_err(crate::describe)?;
        println!(
            "backups every {} h into {}, the newest {} kept (run by `poryadok serve`'s job worker)",
            a.every_hours,
            dir.display(),
            a.keep
        );
    } else if a.unschedule {
        db.disable_backup_schedule().await?;
        println!("scheduled backups are off (the files stay)");
    }
    match db.backup_schedule().await? {
        Some(s) => {
            let next = poryadok_core::types::format_ms(s.next_run_at);
            let state = if s.enabled { format!("on, next at {next}") } else { "off".into() };
            println!("schedule: every {} h into {}, keep {} ({state})", s.every_hours, s.dir, s.keep);
            for f in bk::list_backups(Path::new(&s.dir)) {
                println!("  {}  {:.1} MB  {}", f.name, f.bytes as f64 / 1e6, poryadok_core::types::format_ms(f.modified_ms));
            }
        }
        None => println!("no scheduled backups (poryadok backup --schedule DIR --every-hours 24 --keep 7)"),
    }
    Ok(())
}

pub async fn backup(args: &crate::DbArgs, a: BackupArgs) -> Result<()> {
    if a.schedule.is_some() || a.unschedule || a.list {
        let db = args.open().await?;
        let r = schedule(&db, &a).await;
        db.close().await;
        return r;
    }
    let Some(file) = a.file.clone() else { bail!("name the backup file: poryadok backup FILE") };
    if file.exists() {
        bail!("{} exists; a backup is written to a new file", file.display());
    }
    // pg_dump and the JSON-lines dump read from the replica when one is configured.
    let url = args.read_url()?.unwrap_or(args.url()?);
    let db = args.open().await?;
    let mut r = backup_in(&db.reader(), &url, &a, &file).await;
    if r.is_err() {
        let _ = std::fs::remove_file(&file);
    } else if !a.no_files {
        // After the database copy: every file row it holds has its bytes here.
        r = carry_files(&db.reader(), args.file_store()?.blobs.as_ref(), &backup_files_dir(&file), "files").await;
    }
    db.close().await;
    r
}

async fn backup_in(db: &Db, url: &DatabaseUrl, a: &BackupArgs, file: &Path) -> Result<()> {
    let kind = match a.format.as_str() {
        "auto" if db.is_postgres() => {
            if bk::pg_tools_installed() {
                BackupKind::PgDump
            } else {
                BackupKind::Jsonl
            }
        }
        "auto" | "sqlite" => BackupKind::Sqlite,
        "pg_dump" => BackupKind::PgDump,
        "jsonl" => BackupKind::Jsonl,
        other => bail!("--format must be auto, sqlite, pg_dump or jsonl, not '{other}'"),
    };
    if kind == BackupKind::Sqlite && db.is_postgres() {
        bail!("--format sqlite is for a SQLite database; PostgreSQL backs up as pg_dump or jsonl");
    }
    if kind == BackupKind::PgDump && !db.is_postgres() {
        bail!("--format pg_dump is for PostgreSQL; SQLite backs up as sqlite or jsonl");
    }
    let started = Instant::now();
    let rows = match kind {
        BackupKind::Sqlite => {
            let s = spinner("VACUUM INTO (a consistent copy while the system runs)…");
            db.vacuum_into(file).await?;
            s.finish_and_clear();
            None
        }
        BackupKind::PgDump => {
            let s = spinner("pg_dump…");
            bk::pg_dump(url, file).await?;
            s.finish_and_clear();
            None
        }
        BackupKind::Jsonl => {
            let file = std::fs::File::create(file).with_context(|| format!("creating {}", file.display()))?;
            let mut snap = Snapshot::open(db).await?;
            let b = bar(0, "backup");
            let mut sink = JsonlSink::new(WriteOut(std::io::BufWriter::new(file)), Scope::All, db.clock.now_ms()).await?;
            let pb = b.clone();
            sink.progress = Box::new(move |t, n| {
                pb.set_message(t.to_string());
                pb.inc(n);
            });
            let pb = b.clone();
            let sums = snap.dump(Scope::All, &mut sink, &mut |c| pb.set_length(c.iter().map(|(_, n)| n).sum())).await?;
            snap.close().await?;
            std::io::Write::flush(&mut sink.out.0)?;
            b.finish_and_clear();
            Some(sums.iter().map(|s| s.rows).sum::<u64>())
        }
    };
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let mb = size_mb(file);
    print!("backup ({}) → {}: {mb:.1} MB in {secs:.1} s ({:.1} MB/s", kind.name(), file.display(), mb / secs);
    match rows {
        Some(r) => println!(", {r} rows, {:.0} rows/s)", r as f64 / secs),
        None => println!(")"),
    }
    Ok(())
}

pub async fn restore(args: &crate::DbArgs, a: RestoreArgs) -> Result<()> {
    let kind = bk::detect(&a.file)?;
    let url = args.url()?;
    let db = args.open().await?;
    let mut r = restore_in(&db, &url, &a.file, kind).await;
    if r.is_ok() {
        r = restore_files(args, &db, &a).await;
    }
    db.close().await;
    r
}

/// The restored rows' files, from the backup's files directory into --files-dir.
async fn restore_files(args: &crate::DbArgs, db: &Db, a: &RestoreArgs) -> Result<()> {
    let to = args.files_dir()?;
    match a.files_from.clone().or_else(|| files_of_backup(&a.file)) {
        Some(from) if from.is_dir() => carry_files(db, &LocalDisk::new(&from), &to, "files").await,
        Some(from) => bail!("--files-from {} is not a directory", from.display()),
        None => {
            let n = db.blob_refs().await?.len();
            if n > 0 {
                eprintln!(
                    "warning: {} has no files directory ({}): the bytes of {n} files were not restored; \
                     copy them into {} or restore again with --files-from DIR",
                    a.file.display(),
                    backup_files_dir(&a.file).display(),
                    to.display()
                );
            }
            Ok(())
        }
    }
}

async fn restore_in(db: &Db, url: &DatabaseUrl, file: &Path, kind: BackupKind) -> Result<()> {
    if let Some((table, rows)) = db.first_nonempty_table().await? {
        bail!(
            "refusing to restore into {url}: the database is not empty (table {table} holds {rows} rows). \
             Restore into a new, empty database (or drop this one first)."
        );
    }
    let started = Instant::now();
    let b = bar(0, "restore");
    let pb = b.clone();
    let mut progress = move |t: &str, n: u64| {
        pb.set_message(t.to_string());
        pb.inc(n);
    };
    let rows = match kind {
        BackupKind::Sqlite => {
            let snap = Snapshot::open_sqlite_file(file).await.with_context(|| format!("opening {}", file.display()))?;
            let pb = b.clone();
            let v = copy_into(snap, db, &mut |c| pb.set_length(c.iter().map(|(_, n)| n).sum()), &mut progress)
                .await
                .map_err(crate::describe)?;
            b.finish_and_clear();
            print_verified(&v)?
        }
        BackupKind::Jsonl => {
            let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
            b.set_length(std::fs::metadata(file).map(|m| m.len() / 300).unwrap_or(0));
            let v = db.restore_jsonl(std::io::BufReader::new(f), &mut progress).await.map_err(crate::describe)?;
            b.finish_and_clear();
            print_verified(&v)?
        }
        BackupKind::PgDump => {
            if !db.is_postgres() {
                bail!("{} is a pg_dump archive: it restores into PostgreSQL only", file.display());
            }
            b.finish_and_clear();
            let s = spinner("pg_restore…");
            bk::pg_restore(url, file).await?;
            db.fix_sequences().await?;
            s.finish_and_clear();
            print_sums(&db.table_sums().await?)
        }
    };
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!("restored {} ({}) into {url}: {rows} rows in {secs:.1} s ({:.0} rows/s)", file.display(), kind.name(), rows as f64 / secs);
    Ok(())
}

pub async fn copy(args: &crate::DbArgs, a: CopyArgs) -> Result<()> {
    let clock = Arc::new(SystemClock);
    let source = match &a.from {
        Some(f) => {
            let url = url_of(f);
            let db = Db::connect(&url, clock.clone()).await.with_context(|| format!("connecting to {url}"))?;
            db.migrate().await.context("running migrations on the source")?;
            db
        }
        None => args.open().await?,
    };
    let to = url_of(&a.to);
    let target = Db::connect_with(&to, clock, SqliteCommit::PerWrite).await.with_context(|| format!("connecting to {to}"))?;
    let r = async {
        target.migrate().await.context("running migrations on the target")?;
        if let Some((table, rows)) = target.first_nonempty_table().await? {
            bail!(
                "refusing to copy into {to}: the database is not empty (table {table} holds {rows} rows); copy into a new, empty database"
            );
        }
        let started = Instant::now();
        let b = bar(0, "copy");
        let pb = b.clone();
        let pb2 = b.clone();
        let v = source
            .reader()
            .copy_to(&target, &mut |c| pb.set_length(c.iter().map(|(_, n)| n).sum()), &mut |t, n| {
                pb2.set_message(t.to_string());
                pb2.inc(n);
            })
            .await
            .map_err(crate::describe)?;
        b.finish_and_clear();
        let rows = print_verified(&v)?;
        target.analyze().await?;
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        println!("copied into {to}: {rows} rows in {secs:.1} s ({:.0} rows/s), ids, history and jobs intact", rows as f64 / secs);
        let files = args.file_store()?;
        match &a.to_files_dir {
            Some(dir) => carry_files(&source.reader(), files.blobs.as_ref(), dir, "files").await?,
            None if !source.reader().blob_refs().await?.is_empty() => println!(
                "the files' bytes stay in {}: start the server on the copy with --files-dir {0} (or copy with --to-files-dir DIR)",
                files.blobs.describe()
            ),
            None => {}
        }
        Ok(())
    }
    .await;
    source.close().await;
    target.close().await;
    r
}

//! Backups of a running system and restores into an empty database.
//!
//! - SQLite: `VACUUM INTO` on a reader connection writes a consistent, compacted copy of the
//!   database file while writers go on (WAL); the copy is an ordinary Poryadok database.
//! - PostgreSQL: `pg_dump --format=custom --data-only` when `pg_dump` is installed (the schema
//!   comes from the migrations of the binary that restores), else the JSON-lines dump of every
//!   table ([`super::jsonl`]), read in one `REPEATABLE READ` snapshot.
//!
//! A restore recognises the file by its first bytes, migrates the target, refuses a target that
//! holds rows, loads with ids intact and sets PostgreSQL's sequences after.
use crate::error::{Result, StoreError};
use crate::files::carry::{carry_blobs, scheduled_files_dir};
use crate::files::{BlobStore, LocalDisk};
use crate::{DatabaseUrl, Db};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a backup file holds, known from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupKind {
    /// A SQLite database file (`VACUUM INTO`).
    Sqlite,
    /// `pg_dump`'s custom format.
    PgDump,
    /// Poryadok's JSON-lines dump.
    Jsonl,
}

impl BackupKind {
    pub fn name(self) -> &'static str {
        match self {
            BackupKind::Sqlite => "sqlite",
            BackupKind::PgDump => "pg_dump",
            BackupKind::Jsonl => "jsonl",
        }
    }
}

/// The kind of the backup file at `path`.
pub fn detect(path: &Path) -> Result<BackupKind> {
    let mut head = vec![0u8; 4096];
    let mut f = std::fs::File::open(path).map_err(|e| StoreError::Internal(format!("{}: {e}", path.display())))?;
    let n = f.read(&mut head).map_err(|e| StoreError::Internal(format!("{}: {e}", path.display())))?;
    let head = &head[..n];
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let is_dump = serde_json::from_slice::<serde_json::Value>(first_line)
        .ok()
        .is_some_and(|v| v.get("format").and_then(serde_json::Value::as_str) == Some(super::jsonl::FORMAT));
    if head.starts_with(b"SQLite format 3\0") {
        Ok(BackupKind::Sqlite)
    } else if head.starts_with(b"PGDMP") {
        Ok(BackupKind::PgDump)
    } else if is_dump {
        Ok(BackupKind::Jsonl)
    } else {
        Err(StoreError::Internal(format!(
            "{}: not a Poryadok backup (neither a SQLite database, a pg_dump archive nor a JSON-lines dump)",
            path.display()
        )))
    }
}

/// Whether `pg_dump` and `pg_restore` can be run.
pub fn pg_tools_installed() -> bool {
    ["pg_dump", "pg_restore"].iter().all(|t| std::process::Command::new(t).arg("--version").output().is_ok_and(|o| o.status.success()))
}

/// Tables a `pg_dump` backup leaves out (see [`super::NOT_DUMPED`]).
fn pg_excludes() -> Vec<String> {
    super::NOT_DUMPED.iter().map(|t| format!("--exclude-table={t}")).collect()
}

async fn run(mut cmd: std::process::Command, what: &str) -> Result<()> {
    let what = what.to_string();
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .map_err(|e| StoreError::Internal(format!("{what}: {e}")))?;
    if !out.status.success() {
        return Err(StoreError::Internal(format!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    Ok(())
}

impl Db {
    /// SQLite: a consistent copy of the database at `path` (which must not exist), made while
    /// the system runs.
    pub async fn vacuum_into(&self, path: &Path) -> Result<()> {
        if self.backend != DbBackend::Sqlite {
            return Err(StoreError::Internal("VACUUM INTO is SQLite's".into()));
        }
        let p = path.to_string_lossy().replace('\'', "''");
        self.read.execute(Statement::from_string(DbBackend::Sqlite, format!("VACUUM INTO '{p}'"))).await?;
        Ok(())
    }
}

/// PostgreSQL: `pg_dump` of every row (not the schema) of the database at `url` into `path`.
pub async fn pg_dump(url: &DatabaseUrl, path: &Path) -> Result<()> {
    let mut cmd = std::process::Command::new("pg_dump");
    cmd.args(["--format=custom", "--data-only", "--no-owner", "--no-privileges"])
        .args(pg_excludes())
        .arg("--file")
        .arg(path)
        .arg("--dbname")
        .arg(url.expose());
    run(cmd, "pg_dump").await
}

/// PostgreSQL: loads a [`pg_dump`] archive into the (migrated, empty) database at `url`.
pub async fn pg_restore(url: &DatabaseUrl, path: &Path) -> Result<()> {
    let mut cmd = std::process::Command::new("pg_restore");
    cmd.args(["--data-only", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"])
        .arg("--dbname")
        .arg(url.expose())
        .arg(path);
    run(cmd, "pg_restore").await
}

/// The name of the scheduled backup's schedule and the kind of its jobs.
pub const JOB: &str = "backup";
/// Backup files the schedule writes start with this (and only such files are ever removed).
pub const FILE_PREFIX: &str = "poryadok-backup-";

/// The scheduled backup: where, how often, how many are kept.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BackupSchedule {
    pub dir: String,
    pub every_hours: i64,
    pub keep: i64,
    pub enabled: bool,
    pub next_run_at: i64,
}

/// A backup file in the scheduled backups' directory.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BackupFile {
    pub name: String,
    pub bytes: u64,
    pub modified_ms: i64,
}

/// The scheduled backups in `dir`, newest first.
pub fn list_backups(dir: &Path) -> Vec<BackupFile> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<BackupFile> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            if !name.starts_with(FILE_PREFIX) || name.ends_with(".part") {
                return None;
            }
            let meta = e.metadata().ok()?;
            let modified_ms =
                meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_millis() as i64).unwrap_or(0);
            Some(BackupFile { name, bytes: meta.len(), modified_ms })
        })
        .collect();
    // The names carry the time (YYYYMMDD-HHMMSS), so the order of names is the order of times.
    out.sort_by(|a, b| b.name.cmp(&a.name));
    out
}

fn stamp(ms: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)) {
        Ok(t) => format!("{:04}{:02}{:02}-{:02}{:02}{:02}", t.year(), t.month() as u8, t.day(), t.hour(), t.minute(), t.second()),
        Err(_) => ms.to_string(),
    }
}

impl Db {
    /// The workspace the system-wide schedule is kept under (the schedules table is per
    /// workspace): the first one.
    async fn schedule_workspace(&self) -> Result<Option<i64>> {
        Ok(self.workspace_ids().await?.first().copied())
    }

    /// Backs the whole database up every `every_hours` into `dir`, keeping the newest `keep`
    /// files; run by the job worker of `poryadok serve`.
    pub async fn set_backup_schedule(&self, dir: &Path, every_hours: i64, keep: i64) -> Result<()> {
        let ws = self.schedule_workspace().await?.ok_or_else(|| StoreError::Internal("no workspace yet".into()))?;
        if !(1..=24 * 31).contains(&every_hours) || !(1..=1000).contains(&keep) {
            return Err(StoreError::Internal("every_hours must be 1 to 744 and keep 1 to 1000".into()));
        }
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Internal(format!("{}: {e}", dir.display())))?;
        let dir = std::fs::canonicalize(dir).map_err(|e| StoreError::Internal(format!("{}: {e}", dir.display())))?;
        let payload = serde_json::json!({"dir": dir.to_string_lossy(), "keep": keep});
        let every_ms = every_hours * 3_600_000;
        self.upsert_schedule(ws, JOB, JOB, &payload, every_ms, self.clock.now_ms() + every_ms).await?;
        // The upsert keeps a disabled schedule disabled; setting it again turns it on.
        let sql = if self.is_postgres() {
            "UPDATE schedules SET enabled = TRUE WHERE name = $1"
        } else {
            "UPDATE schedules SET enabled = 1 WHERE name = ?"
        };
        self.write.execute(Statement::from_sql_and_values(self.backend, sql, [JOB.into()])).await?;
        Ok(())
    }

    /// Stops the scheduled backups (the files stay).
    pub async fn disable_backup_schedule(&self) -> Result<()> {
        let sql = if self.is_postgres() {
            "UPDATE schedules SET enabled = FALSE WHERE name = $1"
        } else {
            "UPDATE schedules SET enabled = 0 WHERE name = ?"
        };
        self.write.execute(Statement::from_sql_and_values(self.backend, sql, [JOB.into()])).await?;
        Ok(())
    }

    /// The scheduled backup, if one was ever set.
    pub async fn backup_schedule(&self) -> Result<Option<BackupSchedule>> {
        let sql = if self.is_postgres() {
            "SELECT payload, every_ms, enabled, next_run_at FROM schedules WHERE name = $1 ORDER BY id LIMIT 1"
        } else {
            "SELECT payload, every_ms, enabled, next_run_at FROM schedules WHERE name = ? ORDER BY id LIMIT 1"
        };
        let Some(r) = self.read.query_one(Statement::from_sql_and_values(self.backend, sql, [JOB.into()])).await? else {
            return Ok(None);
        };
        let payload: serde_json::Value = serde_json::from_str(&r.try_get::<String>("", "payload")?).unwrap_or_default();
        Ok(Some(BackupSchedule {
            dir: payload["dir"].as_str().unwrap_or_default().to_string(),
            keep: payload["keep"].as_i64().unwrap_or(7),
            every_hours: r.try_get::<i64>("", "every_ms")? / 3_600_000,
            enabled: r.try_get::<bool>("", "enabled")?,
            next_run_at: r.try_get::<i64>("", "next_run_at")?,
        }))
    }

    /// One scheduled backup: the database into `dir` (SQLite: `VACUUM INTO`; PostgreSQL: the
    /// JSON-lines dump, as the worker knows no URL for `pg_dump`), written under a temporary
    /// name and renamed when complete; then all but the newest `keep` backups are removed.
    /// With `blobs`, the files' bytes go into the directory's shared `files` (only the new ones
    /// are written), before the backup is renamed into place: a complete backup has its files.
    pub async fn scheduled_backup(&self, dir: &Path, keep: usize, blobs: Option<&dyn BlobStore>) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Internal(format!("{}: {e}", dir.display())))?;
        let ext = if self.is_postgres() { "jsonl" } else { "db" };
        let path = dir.join(format!("{FILE_PREFIX}{}.{ext}", stamp(self.clock.now_ms())));
        let part = dir.join(format!("{}.part", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
        let _ = std::fs::remove_file(&part);
        if self.is_postgres() {
            let file = std::fs::File::create(&part).map_err(|e| StoreError::Internal(format!("{}: {e}", part.display())))?;
            let mut snap = super::Snapshot::open(self).await?;
            let out = super::jsonl::WriteOut(std::io::BufWriter::new(file));
            let mut sink = super::jsonl::JsonlSink::new(out, super::Scope::All, self.clock.now_ms()).await?;
            snap.dump(super::Scope::All, &mut sink, &mut |_| {}).await?;
            snap.close().await?;
            std::io::Write::flush(&mut sink.out.0).map_err(|e| StoreError::Internal(e.to_string()))?;
        } else {
            self.vacuum_into(&part).await?;
        }
        if let Some(from) = blobs {
            // Read after the database copy, so every file row the copy holds is included.
            let to = LocalDisk::new(scheduled_files_dir(dir));
            let carried = carry_blobs(from, &to, &self.blob_refs().await?, &mut |_| {}).await?;
            if !carried.complete() {
                tracing::warn!(
                    missing = carried.missing.len(),
                    damaged = carried.corrupt.len(),
                    "a scheduled backup lacks the bytes of files the source does not have intact"
                );
            }
        }
        std::fs::rename(&part, &path).map_err(|e| StoreError::Internal(format!("{}: {e}", path.display())))?;
        for old in list_backups(dir).into_iter().skip(keep.max(1)) {
            let _ = std::fs::remove_file(dir.join(old.name));
        }
        Ok(path)
    }
}

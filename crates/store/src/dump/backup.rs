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
use crate::{DatabaseUrl, Db};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::io::Read;
use std::path::Path;

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

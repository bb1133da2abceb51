//! Connections to SQLite (embedded, WAL, one file) or PostgreSQL, chosen by the URL.
//! SQLite gets one writer connection and a pool of readers, so writes queue in-process
//! instead of failing on a busy database; PostgreSQL uses one pool for both.
use crate::error::Result;
use poryadok_core::Clock;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, SqlxPostgresConnector, SqlxSqliteConnector, Statement};
use sea_orm_migration::MigratorTrait;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A database URL that never prints its password.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[derive(Clone)]
pub struct Db {
    pub(crate) read: DatabaseConnection,
    pub(crate) write: DatabaseConnection,
    pub(crate) backend: DbBackend,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({:?})", self.backend)
    }
}

impl Db {
    pub async fn connect(url: &DatabaseUrl, clock: Arc<dyn Clock>) -> Result<Db> {
        if url.is_postgres() {
            let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url.expose()).await?;
            let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
            return Ok(Db { read: conn.clone(), write: conn, backend: DbBackend::Postgres, clock });
        }
        let opts = SqliteConnectOptions::from_str(url.expose())?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let with_functions = || {
            SqlitePoolOptions::new().after_connect(|conn, _| {
                Box::pin(async move {
                    let mut handle = conn.lock_handle().await?;
                    let rc = crate::sqlite_fn::register(handle.as_raw_handle().as_ptr());
                    if rc != 0 {
                        return Err(sqlx::Error::Protocol(format!("registering SQL functions failed ({rc})")));
                    }
                    Ok(())
                })
            })
        };
        let writer = with_functions().max_connections(1).min_connections(1).connect_with(opts.clone()).await?;
        let readers = with_functions().max_connections(4).connect_with(opts.read_only(true)).await?;
        Ok(Db {
            read: SqlxSqliteConnector::from_sqlx_sqlite_pool(readers),
            write: SqlxSqliteConnector::from_sqlx_sqlite_pool(writer),
            backend: DbBackend::Sqlite,
            clock,
        })
    }

    pub async fn migrate(&self) -> Result<()> {
        crate::migration::Migrator::up(&self.write, None).await?;
        Ok(())
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// Refreshes the planner's statistics after a bulk load, so that the first queries after it
    /// get the plans later ones would (PostgreSQL otherwise waits for autovacuum).
    pub async fn analyze(&self) -> Result<()> {
        self.write.execute(Statement::from_string(self.backend, "ANALYZE")).await?;
        Ok(())
    }

    /// Whether the database answers; for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        self.read.execute(Statement::from_string(self.backend, "SELECT 1")).await?;
        Ok(())
    }

    pub async fn close(self) {
        let _ = self.read.close().await;
        let _ = self.write.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_never_print_passwords() {
        let u = DatabaseUrl::new("postgres://app:s3cret@127.0.0.1:5432/crm");
        assert_eq!(format!("{u:?}"), "postgres://app:***@127.0.0.1:5432/crm");
        assert!(!format!("{u}").contains("s3cret"));
        assert_eq!(format!("{:?}", DatabaseUrl::new("sqlite://x.db")), "sqlite://x.db");
    }
}

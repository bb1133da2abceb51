//! Connections to SQLite (embedded, WAL, one file) or PostgreSQL, chosen by the URL.
//! SQLite gets one writer connection and a pool of readers, so writes queue in-process
//! instead of failing on a busy database; PostgreSQL uses one pool for both.
//! SQLite syncs every commit (`synchronous=FULL`): an acknowledged write survives a power
//! loss. Concurrent writes share commits through [`crate::writer`].
use crate::error::Result;
use crate::writer::{GroupCommit, TxFuture};
use poryadok_core::Clock;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, SqlxPostgresConnector, SqlxSqliteConnector, Statement,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
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

/// The URL with its secrets masked: the password of the user part, and any query parameter
/// that carries one (`password`, `sslpassword`, `passfile` stays, it is a path).
fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &base[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &base[..s], user, &base[at + 1..])
        }
        _ => base.to_string(),
    };
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.to_ascii_lowercase().contains("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// How SQLite commits the write path's transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteCommit {
    /// Every commit synced; concurrent writes share one commit (see [`crate::writer`]).
    #[default]
    Group,
    /// Every commit synced, one commit per write.
    PerWrite,
    /// `synchronous=NORMAL`, one commit per write: the last writes may be lost on a power cut
    /// although they were acknowledged. Only for measuring what durability costs.
    Unsynced,
}

impl SqliteCommit {
    pub fn parse(s: &str) -> Option<SqliteCommit> {
        match s {
            "group" => Some(SqliteCommit::Group),
            "per-write" => Some(SqliteCommit::PerWrite),
            "unsynced" => Some(SqliteCommit::Unsynced),
            _ => None,
        }
    }
}

/// The advisory lock key that serialises migrations between processes ("prdk" in ASCII).
const MIGRATION_LOCK: i64 = 0x7072_646b;

#[derive(Clone)]
pub struct Db {
    pub(crate) read: DatabaseConnection,
    pub(crate) write: DatabaseConnection,
    pub(crate) backend: DbBackend,
    pub clock: Arc<dyn Clock>,
    /// SQLite's group commit in front of the writer; `None` on PostgreSQL.
    group: Option<GroupCommit>,
    /// A read-only pool on a PostgreSQL streaming replica (`--read-database-url`), for the heavy
    /// reads that may lag a little behind the primary; see [`Db::reader`].
    replica: Option<DatabaseConnection>,
    /// The key third-party secrets are sealed under ([`crate::secrets`]): an ephemeral one until
    /// [`Db::with_secret_key`] installs the configured key.
    pub(crate) secrets: Arc<crate::secrets::SecretKey>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({:?})", self.backend)
    }
}

impl Db {
    pub async fn connect(url: &DatabaseUrl, clock: Arc<dyn Clock>) -> Result<Db> {
        Self::connect_with(url, clock, SqliteCommit::default()).await
    }

    /// [`Db::connect`] with SQLite's commit mode chosen (PostgreSQL ignores it).
    pub async fn connect_with(url: &DatabaseUrl, clock: Arc<dyn Clock>, commit: SqliteCommit) -> Result<Db> {
        if url.is_postgres() {
            // PostgreSQL's JIT compiles a report's plan when its estimated cost is high, and then
            // spends longer compiling than running: 574 ms of a 738 ms funnel at a million deals.
            // The reads here are short index-driven aggregates, so it stays off.
            let opts = PgConnectOptions::from_str(url.expose())?.options([("jit", "off")]);
            let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect_with(opts).await?;
            let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
            return Ok(Db {
                read: conn.clone(),
                write: conn,
                backend: DbBackend::Postgres,
                clock,
                group: None,
                replica: None,
                secrets: Arc::new(crate::secrets::SecretKey::ephemeral()),
            });
        }
        let opts = SqliteConnectOptions::from_str(url.expose())?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if commit == SqliteCommit::Unsynced { SqliteSynchronous::Normal } else { SqliteSynchronous::Full })
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
        let writer = with_functions()
            .max_connections(1)
            .min_connections(1)
            .after_release(|conn, _| Box::pin(async move { Ok(crate::writer::writer_is_clean(conn).await) }))
            .connect_with(opts.clone())
            .await?;
        let readers = with_functions().max_connections(4).connect_with(opts.read_only(true)).await?;
        let write = SqlxSqliteConnector::from_sqlx_sqlite_pool(writer);
        Ok(Db {
            read: SqlxSqliteConnector::from_sqlx_sqlite_pool(readers),
            group: (commit == SqliteCommit::Group).then(|| GroupCommit::start(write.clone())),
            write,
            backend: DbBackend::Sqlite,
            clock,
            replica: None,
            secrets: Arc::new(crate::secrets::SecretKey::ephemeral()),
        })
    }

    /// Adds a read-only pool on a PostgreSQL streaming replica (or any PostgreSQL with the same
    /// data): [`Db::reader`] then reads from it. Only a PostgreSQL primary has replicas. The pool
    /// opens every transaction read-only, so a write sent to it by mistake fails instead of
    /// diverging; it is never migrated (the replica follows the primary's schema). It connects on
    /// first use.
    pub async fn with_read_replica(mut self, url: &DatabaseUrl) -> Result<Db> {
        if !self.is_postgres() || !url.is_postgres() {
            return Err(crate::error::StoreError::Internal("a read replica needs PostgreSQL as the database and as the replica".into()));
        }
        let opts = PgConnectOptions::from_str(url.expose())?.options([("jit", "off"), ("default_transaction_read_only", "on")]);
        // Lazy: a replica that is down when the server starts fails the reads sent to it, not the start.
        let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect_lazy_with(opts);
        self.replica = Some(SqlxPostgresConnector::from_sqlx_postgres_pool(pool));
        Ok(self)
    }

    /// The database for heavy reads that may be a little stale: reports, the dashboard, exports
    /// and backups. With a replica configured its reads go there (it lags the primary by the
    /// replication delay, usually milliseconds, more under a heavy write burst); anything it
    /// writes still goes to the primary. Without one it is this same database. Pages that have
    /// just written and show what they wrote read from `self`, never from here.
    pub fn reader(&self) -> Db {
        match &self.replica {
            Some(replica) => Db {
                read: replica.clone(),
                write: self.write.clone(),
                backend: self.backend,
                clock: self.clock.clone(),
                group: self.group.clone(),
                replica: None,
                secrets: self.secrets.clone(),
            },
            None => self.clone(),
        }
    }

    /// Seals third-party secrets under `key` from now on (and opens them with it).
    pub fn with_secret_key(mut self, key: crate::secrets::SecretKey) -> Db {
        self.secrets = Arc::new(key);
        self
    }

    /// The key third-party secrets are sealed under.
    pub fn secret_key(&self) -> &crate::secrets::SecretKey {
        &self.secrets
    }

    /// Whether [`Db::reader`] reads from a replica.
    pub fn has_read_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// Whether this Db's reads are answered by a server in recovery (a streaming replica):
    /// `pg_is_in_recovery()` on the read pool; false on SQLite.
    pub async fn reads_from_standby(&self) -> Result<bool> {
        if !self.is_postgres() {
            return Ok(false);
        }
        let r = self.read.query_one(Statement::from_string(self.backend, "SELECT pg_is_in_recovery() AS r")).await?;
        Ok(r.map(|r| r.try_get::<bool>("", "r")).transpose()?.unwrap_or(false))
    }

    /// Brings the schema up to date. On PostgreSQL several processes may start at once (a
    /// deploy of `poryadok serve` behind a load balancer): a session advisory lock, held on a
    /// connection of its own while the migrations run, lets one of them migrate and the others
    /// wait for it and then find nothing left to do.
    pub async fn migrate(&self) -> Result<()> {
        if !self.is_postgres() {
            crate::migration::Migrator::up(&self.write, None).await?;
            return Ok(());
        }
        let mut lock = self.write.get_postgres_connection_pool().acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK).execute(&mut *lock).await?;
        let done = crate::migration::Migrator::up(&self.write, None).await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&mut *lock).await;
        done?;
        unlocked?;
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

    /// Runs `f` in a transaction of the write path and answers once it is committed (on
    /// SQLite, in a group commit with concurrent writes; see [`crate::writer`]).
    pub async fn write_tx<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a DatabaseTransaction) -> TxFuture<'a, T> + Send + 'static,
    {
        if let Some(group) = &self.group {
            return group.write(f).await;
        }
        let tx = self.write.begin().await?;
        let v = f(&tx).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Whether the database answers reads and takes a durable write; for `/healthz`. The write
    /// touches one row of its own, through the same writer as every other write.
    pub async fn ping(&self) -> Result<()> {
        self.read.execute(Statement::from_string(self.backend, "SELECT 1")).await?;
        let now = self.clock.now_ms();
        self.write_tx(move |tx| {
            Box::pin(async move {
                let backend = tx.get_database_backend();
                let sql = "UPDATE writer_probe SET probed_at = $1 WHERE id = 1";
                let sql = if backend == DbBackend::Sqlite { sql.replace("$1", "?") } else { sql.to_string() };
                tx.execute(Statement::from_sql_and_values(backend, sql, [now.into()])).await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn close(self) {
        let _ = self.read.close().await;
        let _ = self.write.close().await;
        if let Some(replica) = self.replica {
            let _ = replica.close().await;
        }
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
        let q = DatabaseUrl::new("postgres://app@db/crm?sslmode=require&password=s3cret&PGPASSWORD=x");
        assert_eq!(format!("{q}"), "postgres://app:***@db/crm?sslmode=require&password=***&PGPASSWORD=***");
    }
}

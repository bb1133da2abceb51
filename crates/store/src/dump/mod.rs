//! Table-level dumps of the whole database (or one workspace): the tables in dependency order,
//! rows streamed as JSON with their ids, and per table a row count and a checksum that reads the
//! same from SQLite and PostgreSQL.
//!
//! - [`TABLES`] lists every table Poryadok keeps, in the order a load must follow (a workspace
//!   before its users, a pipeline before its stages, a deal before its history). A test fails when
//!   a migration adds a table the list lacks; at run time a table the list lacks is still dumped,
//!   after the listed ones, so a backup never drops rows silently.
//! - A row becomes a JSON object whose values are normalised: integers as integers, booleans as
//!   `true`/`false` (SQLite's 0/1 in a `BOOLEAN` column included), text as text, reals as JSON
//!   numbers, blobs as hex. Timestamps are Unix milliseconds (integers) on both databases.
//! - A table's checksum is the sum modulo 2^256 of the SHA-256 of each row's canonical JSON
//!   (keys sorted): it does not depend on the order rows are read in, and equal tables on both
//!   databases give equal sums.
//! - Reads run in one snapshot ([`Snapshot`]): a read transaction on SQLite (WAL keeps it
//!   consistent while writers go on), `REPEATABLE READ READ ONLY` on PostgreSQL.
//! - Loads go into an empty database only ([`Db::first_nonempty_table`]), keep ids, and set
//!   PostgreSQL's identity sequences past the largest id after ([`Db::fix_sequences`]).
pub mod backup;
pub mod export;
pub mod jsonl;

use crate::error::{Result, StoreError};
use crate::Db;
use futures_util::TryStreamExt;
use sea_orm::DbBackend;
use serde_json::{Map, Number, Value as Json};
use sha2::{Digest, Sha256};
use sqlx::{Column as _, Row as _, TypeInfo as _, ValueRef as _};

/// Every table, in the order a load follows (what a row points at comes first).
pub const TABLES: &[&str] = &[
    "workspaces",
    "teams",
    "users",
    "api_tokens",
    "sessions",
    "organizations",
    "persons",
    "identities",
    "pipelines",
    "stages",
    "custom_field_defs",
    "labels",
    "deals",
    "deal_participants",
    "activities",
    "notes",
    "history",
    "stage_stays",
    "deal_day_stats",
    "deal_day_stats_state",
    "saved_filters",
    "jobs",
    "schedules",
    "leases",
    "notifications",
    "rules",
    "audit_rounds",
    "violations",
    "warnings",
    "intake_sources",
    "inbound_events",
    "messages",
    "touches",
    "round_robin",
    "provider_calls",
    "invoices",
    "payments",
    "assistants",
    "assistant_runs",
    "assistant_actions",
    "message_templates",
    "outbound_messages",
    "client_notify_rules",
    "webhooks",
    "webhook_deliveries",
    "login_failures",
    "login_lockouts",
    "search_terms",
    "plans",
    "marketing_spend",
    "channel_aliases",
    "imports",
    "import_records",
    "import_keys",
    "files",
    "workspace_requisites",
    "products",
    "deal_line_items",
    "deal_line_settings",
    "document_settings",
    "document_templates",
    "document_sequences",
    "document_prefixes",
    "documents",
    "calendar_feeds",
    "note_mentions",
    "work_schedules",
    "schedule_exceptions",
    "scorecards",
    "bonus_splits",
    "review_settings",
    "call_reviews",
    "regulation_versions",
    "kb_articles",
    "kb_versions",
    "kb_links",
    "regulation_doc_versions",
    "regulation_doc_reads",
    "quizzes",
    "quiz_assignments",
    "quiz_attempts",
    "quiz_starts",
];

/// Tables that exist but are never dumped: the migrations' own bookkeeping (the target is
/// migrated by the binary that loads it), the health probe's single row and the settings version
/// (each database has its own, see [`crate::settings_cache`]).
pub const NOT_DUMPED: &[&str] = &["seaql_migrations", "writer_probe", "settings_version"];

/// How a column's values are read and bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Bool,
    Real,
    Text,
    Bytes,
}

impl Kind {
    fn of_declared(t: &str) -> Kind {
        let t = t.to_ascii_uppercase();
        if t.contains("BOOL") {
            Kind::Bool
        } else if t.contains("INT") {
            Kind::Int
        } else if t.contains("REAL") || t.contains("DOUBLE") || t.contains("FLOA") || t.contains("NUMERIC") {
            Kind::Real
        } else if t.contains("BLOB") || t.contains("BYTEA") {
            Kind::Bytes
        } else {
            Kind::Text
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A table as the database holds it now.
#[derive(Debug, Clone)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<Column>,
}

impl TableInfo {
    pub fn has(&self, col: &str) -> bool {
        self.columns.iter().any(|c| c.name == col)
    }
    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }
}

/// A table's row count and checksum.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableSum {
    pub table: String,
    pub rows: u64,
    pub sha256: String,
}

/// The running checksum of a table: SHA-256 of each row's canonical JSON, summed mod 2^256.
#[derive(Debug, Clone, Default)]
pub struct Checksum {
    acc: [u8; 32],
    rows: u64,
}

impl Checksum {
    pub fn add_row(&mut self, row: &Map<String, Json>) {
        // serde_json's Map keeps keys sorted, so this is the canonical form.
        let text = serde_json::to_string(row).unwrap_or_default();
        let h = Sha256::digest(text.as_bytes());
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let s = self.acc[i] as u16 + h[i] as u16 + carry;
            self.acc[i] = (s & 0xff) as u8;
            carry = s >> 8;
        }
        self.rows += 1;
    }
    pub fn finish(&self, table: &str) -> TableSum {
        TableSum { table: table.to_string(), rows: self.rows, sha256: hex::encode(self.acc) }
    }
}

/// Which rows a dump holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every row of every table: a backup or a copy.
    All,
    /// One workspace's rows, without secrets (password and token hashes, webhook secrets) and
    /// without what only the running system needs (sessions, leases, sign-in failures, the
    /// search index): an export.
    Workspace(i64),
}

/// Tables an export of a workspace leaves out.
const EXPORT_SKIPS: &[&str] = &["sessions", "leases", "login_failures", "login_lockouts", "search_terms", "writer_probe"];
/// Columns an export leaves out (secrets, even hashed).
const EXPORT_SECRET_COLUMNS: &[&str] = &["password_hash", "token_hash", "csrf_token", "secret", "http_password", "hook_key"];

/// The tables of a database in load order: [`TABLES`] first, then any table the list lacks.
pub(crate) fn ordered(existing: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = TABLES.iter().filter(|t| existing.iter().any(|e| e == *t)).map(|t| t.to_string()).collect();
    let mut extra: Vec<String> = existing
        .into_iter()
        .filter(|e| !TABLES.contains(&e.as_str()) && !NOT_DUMPED.contains(&e.as_str()) && !e.starts_with("sqlite_"))
        .collect();
    extra.sort();
    out.extend(extra);
    out
}

/// One connection holding a read snapshot of the whole database.
pub struct Snapshot {
    conn: SnapConn,
    backend: DbBackend,
}

/// The snapshot's transaction: rolled back if the snapshot is dropped without [`Snapshot::close`]
/// (an error part-way), so the pooled connection never comes back inside a transaction.
enum SnapConn {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Told, before a dump's first row, every table it holds with its row count.
pub type OnStart<'a> = &'a mut (dyn FnMut(&[(String, u64)]) + Send);
/// Told after each batch: the table and how many rows the batch held.
pub type Progress<'a> = &'a mut (dyn FnMut(&str, u64) + Send);

/// Rows read at a time.
pub const BATCH: usize = 2000;

/// What receives the rows of a dump, table by table.
#[async_trait::async_trait]
pub trait RowSink: Send {
    /// A table starts; `rows` is how many it holds.
    async fn table(&mut self, t: &TableInfo, rows: u64) -> Result<()>;
    /// A batch of rows, each an object keyed by column name.
    async fn rows(&mut self, t: &TableInfo, batch: Vec<Map<String, Json>>) -> Result<()>;
    /// The table is complete.
    async fn done(&mut self, t: &TableInfo, sum: &TableSum) -> Result<()>;
}

impl Snapshot {
    /// Opens a snapshot on the read side of `db`.
    pub async fn open(db: &Db) -> Result<Snapshot> {
        let backend = db.backend;
        let conn = if backend == DbBackend::Postgres {
            let mut c = db.read.get_postgres_connection_pool().begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *c).await?;
            SnapConn::Postgres(c)
        } else {
            let mut c = db.read.get_sqlite_connection_pool().begin().await?;
            // The snapshot starts at the first read.
            sqlx::query("SELECT count(*) FROM sqlite_master").fetch_one(&mut *c).await?;
            SnapConn::Sqlite(c)
        };
        Ok(Snapshot { conn, backend })
    }

    /// A snapshot of a SQLite database file opened read-only (nothing in it changes, not even
    /// its journal mode): the source of a restore from a SQLite backup.
    pub async fn open_sqlite_file(path: &std::path::Path) -> Result<Snapshot> {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true).create_if_missing(false);
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
        let mut c = pool.begin().await?;
        sqlx::query("SELECT count(*) FROM sqlite_master").fetch_one(&mut *c).await?;
        Ok(Snapshot { conn: SnapConn::Sqlite(c), backend: DbBackend::Sqlite })
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// The tables to dump, in load order, with their columns.
    pub async fn tables(&mut self) -> Result<Vec<TableInfo>> {
        let names: Vec<String> = match &mut self.conn {
            SnapConn::Sqlite(c) => sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(&mut **c).await?,
            SnapConn::Postgres(c) => {
                sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                )
                .fetch_all(&mut **c)
                .await?
            }
        };
        let mut out = Vec::new();
        for name in ordered(names) {
            let columns = self.columns(&name).await?;
            out.push(TableInfo { name, columns });
        }
        Ok(out)
    }

    async fn columns(&mut self, table: &str) -> Result<Vec<Column>> {
        let rows: Vec<(String, String)> = match &mut self.conn {
            SnapConn::Sqlite(c) => {
                sqlx::query_as("SELECT name, type FROM pragma_table_info(?) ORDER BY cid").bind(table).fetch_all(&mut **c).await?
            }
            SnapConn::Postgres(c) => {
                sqlx::query_as(
                    "SELECT column_name::text, data_type::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(&mut **c)
                .await?
            }
        };
        Ok(rows.into_iter().map(|(name, t)| Column { kind: Kind::of_declared(&t), name }).collect())
    }

    /// The table as `scope` sees it: `None` when the scope leaves the table out.
    pub fn scoped(&self, t: &TableInfo, scope: Scope) -> Option<(TableInfo, String, Option<i64>)> {
        let cols_of = |t: &TableInfo| -> Vec<Column> {
            match scope {
                Scope::All => t.columns.clone(),
                Scope::Workspace(_) => t.columns.iter().filter(|c| !EXPORT_SECRET_COLUMNS.contains(&c.name.as_str())).cloned().collect(),
            }
        };
        let (filter, bound) = match scope {
            Scope::All => (String::new(), None),
            Scope::Workspace(ws) => {
                if EXPORT_SKIPS.contains(&t.name.as_str()) {
                    return None;
                }
                let key = if t.name == "workspaces" {
                    "id"
                } else if t.has("workspace_id") {
                    "workspace_id"
                } else {
                    return None;
                };
                let p = if self.backend == DbBackend::Postgres { "$1" } else { "?" };
                (format!(" WHERE {key} = {p}"), Some(ws))
            }
        };
        let info = TableInfo { name: t.name.clone(), columns: cols_of(t) };
        let list = info.columns.iter().map(|c| quote(&c.name)).collect::<Vec<_>>().join(", ");
        let order = if t.has("id") { " ORDER BY id" } else { "" };
        Some((info.clone(), format!("SELECT {list} FROM {}{filter}{order}", quote(&t.name)), bound))
    }

    /// How many rows of `t` the scope holds.
    pub async fn count(&mut self, t: &TableInfo, scope: Scope) -> Result<Option<u64>> {
        let Some((_, select, bound)) = self.scoped(t, scope) else { return Ok(None) };
        let sql = format!("SELECT count(*) FROM ({select}) AS c");
        let n: i64 = match &mut self.conn {
            SnapConn::Sqlite(c) => {
                let mut q = sqlx::query_scalar(&sql);
                if let Some(b) = bound {
                    q = q.bind(b);
                }
                q.fetch_one(&mut **c).await?
            }
            SnapConn::Postgres(c) => {
                let mut q = sqlx::query_scalar(&sql);
                if let Some(b) = bound {
                    q = q.bind(b);
                }
                q.fetch_one(&mut **c).await?
            }
        };
        Ok(Some(n.max(0) as u64))
    }

    /// Streams the rows of `t` in the scope to `sink`, in batches, and answers its sum.
    pub async fn stream(&mut self, t: &TableInfo, scope: Scope, rows: u64, sink: &mut dyn RowSink) -> Result<Option<TableSum>> {
        let Some((info, sql, bound)) = self.scoped(t, scope) else { return Ok(None) };
        sink.table(&info, rows).await?;
        let mut sum = Checksum::default();
        let mut batch: Vec<Map<String, Json>> = Vec::with_capacity(BATCH);
        match &mut self.conn {
            SnapConn::Sqlite(c) => {
                let mut q = sqlx::query(&sql);
                if let Some(b) = bound {
                    q = q.bind(b);
                }
                let mut s = q.fetch(&mut **c);
                while let Some(row) = s.try_next().await? {
                    let r = sqlite_row(&row, &info.columns)?;
                    sum.add_row(&r);
                    batch.push(r);
                    if batch.len() >= BATCH {
                        sink.rows(&info, std::mem::take(&mut batch)).await?;
                    }
                }
            }
            SnapConn::Postgres(c) => {
                let mut q = sqlx::query(&sql);
                if let Some(b) = bound {
                    q = q.bind(b);
                }
                let mut s = q.fetch(&mut **c);
                while let Some(row) = s.try_next().await? {
                    let r = pg_row(&row, &info.columns)?;
                    sum.add_row(&r);
                    batch.push(r);
                    if batch.len() >= BATCH {
                        sink.rows(&info, std::mem::take(&mut batch)).await?;
                    }
                }
            }
        }
        if !batch.is_empty() {
            sink.rows(&info, batch).await?;
        }
        let s = sum.finish(&info.name);
        sink.done(&info, &s).await?;
        Ok(Some(s))
    }

    /// Every table of the scope through `sink`, with the counts first (for a progress bar:
    /// `on_start` gets the total). Answers the sums in load order.
    pub async fn dump(&mut self, scope: Scope, sink: &mut dyn RowSink, on_start: OnStart<'_>) -> Result<Vec<TableSum>> {
        let tables = self.tables().await?;
        let mut counted = Vec::new();
        for t in &tables {
            if let Some(n) = self.count(t, scope).await? {
                counted.push((t.clone(), n));
            }
        }
        on_start(&counted.iter().map(|(t, n)| (t.name.clone(), *n)).collect::<Vec<_>>());
        let mut sums = Vec::new();
        for (t, n) in &counted {
            if let Some(s) = self.stream(t, scope, *n, sink).await? {
                sums.push(s);
            }
        }
        Ok(sums)
    }

    /// Counts and checksums of every table of the scope (nothing else is done with the rows).
    pub async fn sums(&mut self, scope: Scope) -> Result<Vec<TableSum>> {
        self.dump(scope, &mut NullSink, &mut |_| {}).await
    }

    pub async fn close(self) -> Result<()> {
        match self.conn {
            SnapConn::Sqlite(c) => c.commit().await?,
            SnapConn::Postgres(c) => c.commit().await?,
        }
        Ok(())
    }
}

struct NullSink;

#[async_trait::async_trait]
impl RowSink for NullSink {
    async fn table(&mut self, _: &TableInfo, _: u64) -> Result<()> {
        Ok(())
    }
    async fn rows(&mut self, _: &TableInfo, _: Vec<Map<String, Json>>) -> Result<()> {
        Ok(())
    }
    async fn done(&mut self, _: &TableInfo, _: &TableSum) -> Result<()> {
        Ok(())
    }
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn real(f: f64) -> Json {
    Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null)
}

fn sqlite_row(row: &sqlx::sqlite::SqliteRow, cols: &[Column]) -> Result<Map<String, Json>> {
    let mut m = Map::new();
    for (i, c) in cols.iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        let v = if raw.is_null() {
            Json::Null
        } else {
            match raw.type_info().name() {
                "INTEGER" | "INT" | "BIGINT" | "BOOLEAN" => {
                    let n: i64 = row.try_get(i)?;
                    if c.kind == Kind::Bool {
                        Json::Bool(n != 0)
                    } else {
                        Json::from(n)
                    }
                }
                "REAL" => real(row.try_get::<f64, _>(i)?),
                "BLOB" => Json::String(hex::encode(row.try_get::<Vec<u8>, _>(i)?)),
                _ => Json::String(row.try_get::<String, _>(i)?),
            }
        };
        m.insert(c.name.clone(), v);
    }
    Ok(m)
}

fn pg_row(row: &sqlx::postgres::PgRow, cols: &[Column]) -> Result<Map<String, Json>> {
    let mut m = Map::new();
    for (i, c) in cols.iter().enumerate() {
        let ty = row.columns()[i].type_info().name().to_string();
        let v = match ty.as_str() {
            "INT8" => row.try_get::<Option<i64>, _>(i)?.map(Json::from),
            "INT4" => row.try_get::<Option<i32>, _>(i)?.map(Json::from),
            "INT2" => row.try_get::<Option<i16>, _>(i)?.map(Json::from),
            "BOOL" => row.try_get::<Option<bool>, _>(i)?.map(Json::Bool),
            "FLOAT8" => row.try_get::<Option<f64>, _>(i)?.map(real),
            "FLOAT4" => row.try_get::<Option<f32>, _>(i)?.map(|f| real(f as f64)),
            "BYTEA" => row.try_get::<Option<Vec<u8>>, _>(i)?.map(|b| Json::String(hex::encode(b))),
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => row.try_get::<Option<String>, _>(i)?.map(Json::String),
            other => return Err(StoreError::Internal(format!("{}: column {} has type {other}, which dumps do not read", c.name, i))),
        };
        m.insert(c.name.clone(), v.unwrap_or(Json::Null));
    }
    Ok(m)
}

impl Db {
    /// The first table of the database that holds a row, with its count: a restore or a copy
    /// goes into an empty database only.
    pub async fn first_nonempty_table(&self) -> Result<Option<(String, u64)>> {
        let mut snap = Snapshot::open(self).await?;
        let tables = snap.tables().await?;
        for t in &tables {
            if let Some(n) = snap.count(t, Scope::All).await? {
                if n > 0 {
                    snap.close().await?;
                    return Ok(Some((t.name.clone(), n)));
                }
            }
        }
        snap.close().await?;
        Ok(None)
    }

    /// Counts and checksums of every table, read in one snapshot.
    pub async fn table_sums(&self) -> Result<Vec<TableSum>> {
        let mut snap = Snapshot::open(self).await?;
        let sums = snap.sums(Scope::All).await?;
        snap.close().await?;
        Ok(sums)
    }

    /// The tables of this database with their columns (for a load into it).
    pub async fn dump_tables(&self) -> Result<Vec<TableInfo>> {
        let mut snap = Snapshot::open(self).await?;
        let t = snap.tables().await?;
        snap.close().await?;
        Ok(t)
    }

    /// Sets every identity sequence past the largest id its table holds (PostgreSQL; SQLite
    /// takes the next rowid by itself).
    pub async fn fix_sequences(&self) -> Result<()> {
        if self.backend != DbBackend::Postgres {
            return Ok(());
        }
        let pool = self.write.get_postgres_connection_pool();
        for t in self.dump_tables().await? {
            if !t.has("id") {
                continue;
            }
            let name = quote(&t.name);
            let sql = format!(
                "SELECT setval(s, COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false) FROM pg_get_serial_sequence($1, 'id') AS s WHERE s IS NOT NULL"
            );
            sqlx::query(&sql).bind(&t.name).execute(pool).await?;
        }
        Ok(())
    }
}

/// Writes rows into the tables of an empty database, keeping their ids.
pub struct Loader {
    db: Db,
    targets: Vec<TableInfo>,
}

/// Bound parameters a statement may carry (SQLite's limit is 32766, PostgreSQL's 65535).
const MAX_PARAMS: usize = 30_000;

impl Loader {
    pub async fn new(db: &Db) -> Result<Loader> {
        Ok(Loader { db: db.clone(), targets: db.dump_tables().await? })
    }

    /// Inserts `rows` (objects keyed by column) into `table`, in one transaction. A column the
    /// target lacks is refused; a column the rows lack takes its default.
    pub async fn insert(&self, table: &str, rows: &[Map<String, Json>]) -> Result<()> {
        let Some(first) = rows.first() else { return Ok(()) };
        let target = self
            .targets
            .iter()
            .find(|t| t.name == table)
            .ok_or_else(|| StoreError::Internal(format!("the target database has no table {table}")))?;
        let mut cols: Vec<&Column> = Vec::new();
        for k in first.keys() {
            let c = target
                .columns
                .iter()
                .find(|c| &c.name == k)
                .ok_or_else(|| StoreError::Internal(format!("the target's table {table} has no column {k}")))?;
            cols.push(c);
        }
        let per_stmt = (MAX_PARAMS / cols.len().max(1)).clamp(1, 1000);
        let pg = self.db.backend == DbBackend::Postgres;
        let head = format!("INSERT INTO {} ({}) VALUES ", quote(table), cols.iter().map(|c| quote(&c.name)).collect::<Vec<_>>().join(", "));
        let sql_for = |n: usize| -> String {
            let mut s = head.clone();
            let mut p = 0;
            for r in 0..n {
                if r > 0 {
                    s.push_str(", ");
                }
                s.push('(');
                for i in 0..cols.len() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    p += 1;
                    if pg {
                        s.push_str(&format!("${p}"));
                    } else {
                        s.push('?');
                    }
                }
                s.push(')');
            }
            s
        };
        let full = sql_for(per_stmt.min(rows.len()));
        if pg {
            let mut tx = self.db.write.get_postgres_connection_pool().begin().await?;
            for chunk in rows.chunks(per_stmt) {
                let sql = if chunk.len() == per_stmt.min(rows.len()) { full.clone() } else { sql_for(chunk.len()) };
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    for c in &cols {
                        q = match bindable(table, c, r.get(&c.name))? {
                            B::Int(v) => q.bind(v),
                            B::Bool(v) => q.bind(v),
                            B::Real(v) => q.bind(v),
                            B::Text(v) => q.bind(v),
                            B::Bytes(v) => q.bind(v),
                        };
                    }
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        } else {
            let mut tx = self.db.write.get_sqlite_connection_pool().begin().await?;
            for chunk in rows.chunks(per_stmt) {
                let sql = if chunk.len() == per_stmt.min(rows.len()) { full.clone() } else { sql_for(chunk.len()) };
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    for c in &cols {
                        q = match bindable(table, c, r.get(&c.name))? {
                            B::Int(v) => q.bind(v),
                            B::Bool(v) => q.bind(v),
                            B::Real(v) => q.bind(v),
                            B::Text(v) => q.bind(v),
                            B::Bytes(v) => q.bind(v),
                        };
                    }
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }
}

/// A JSON value as the target column binds it (typed NULLs for PostgreSQL).
enum B {
    Int(Option<i64>),
    Bool(Option<bool>),
    Real(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

fn bindable(table: &str, c: &Column, v: Option<&Json>) -> Result<B> {
    let bad =
        || StoreError::Internal(format!("{table}.{}: {} does not fit a {:?} column", c.name, v.cloned().unwrap_or(Json::Null), c.kind));
    let v = match v {
        None | Some(Json::Null) => {
            return Ok(match c.kind {
                Kind::Int => B::Int(None),
                Kind::Bool => B::Bool(None),
                Kind::Real => B::Real(None),
                Kind::Text => B::Text(None),
                Kind::Bytes => B::Bytes(None),
            })
        }
        Some(v) => v,
    };
    Ok(match c.kind {
        Kind::Int => B::Int(Some(match v {
            Json::Number(n) => n.as_i64().ok_or_else(bad)?,
            Json::Bool(b) => *b as i64,
            _ => return Err(bad()),
        })),
        Kind::Bool => B::Bool(Some(match v {
            Json::Bool(b) => *b,
            Json::Number(n) => n.as_i64().ok_or_else(bad)? != 0,
            _ => return Err(bad()),
        })),
        Kind::Real => B::Real(Some(v.as_f64().ok_or_else(bad)?)),
        Kind::Text => B::Text(Some(match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        })),
        Kind::Bytes => B::Bytes(Some(hex::decode(v.as_str().ok_or_else(bad)?).map_err(|_| bad())?)),
    })
}

/// A sink that loads every batch into another database.
pub struct LoadSink<'a> {
    pub loader: Loader,
    pub progress: Progress<'a>,
}

#[async_trait::async_trait]
impl RowSink for LoadSink<'_> {
    async fn table(&mut self, _: &TableInfo, _: u64) -> Result<()> {
        Ok(())
    }
    async fn rows(&mut self, t: &TableInfo, batch: Vec<Map<String, Json>>) -> Result<()> {
        self.loader.insert(&t.name, &batch).await?;
        (self.progress)(&t.name, batch.len() as u64);
        Ok(())
    }
    async fn done(&mut self, _: &TableInfo, _: &TableSum) -> Result<()> {
        Ok(())
    }
}

/// The refusal of a load into a database that holds rows, naming the first such table.
pub fn not_empty(table: String, rows: u64) -> StoreError {
    StoreError::Conflict { field: None, msg: poryadok_core::msg::Common::DatabaseNotEmpty { table, rows: rows as i64 }.into() }
}

/// A table's sums on both sides of a copy or a restore.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verified {
    pub table: String,
    pub source: TableSum,
    pub target: Option<TableSum>,
}

impl Verified {
    pub fn ok(&self) -> bool {
        self.target.as_ref().is_some_and(|t| t.rows == self.source.rows && t.sha256 == self.source.sha256)
    }
}

/// Pairs the source's sums with the target's, table by table.
pub fn verify(source: &[TableSum], target: &[TableSum]) -> Vec<Verified> {
    source
        .iter()
        .map(|s| Verified { table: s.table.clone(), source: s.clone(), target: target.iter().find(|t| t.table == s.table).cloned() })
        .collect()
}

impl Db {
    /// Copies every table of this database into `target` (migrated, and empty: otherwise
    /// refused with the first table that holds rows), keeping ids; fixes the target's sequences
    /// and answers both sides' counts and checksums. `on_start` gets each table's row count,
    /// `progress` each batch written.
    pub async fn copy_to(&self, target: &Db, on_start: OnStart<'_>, progress: Progress<'_>) -> Result<Vec<Verified>> {
        copy_into(Snapshot::open(self).await?, target, on_start, progress).await
    }
}

/// Copies every table a snapshot sees into `target` (migrated and empty; see [`Db::copy_to`]).
pub async fn copy_into(mut snap: Snapshot, target: &Db, on_start: OnStart<'_>, progress: Progress<'_>) -> Result<Vec<Verified>> {
    {
        if let Some((table, rows)) = target.first_nonempty_table().await? {
            return Err(not_empty(table, rows));
        }
        let mut sink = LoadSink { loader: Loader::new(target).await?, progress };
        let sums = snap.dump(Scope::All, &mut sink, on_start).await?;
        snap.close().await?;
        target.fix_sequences().await?;
        let after = target.table_sums().await?;
        Ok(verify(&sums, &after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_do_not_depend_on_row_order() {
        let row = |id: i64, s: &str| {
            let mut m = Map::new();
            m.insert("id".into(), Json::from(id));
            m.insert("name".into(), Json::from(s));
            m
        };
        let mut a = Checksum::default();
        let mut b = Checksum::default();
        for r in [row(1, "x"), row(2, "y"), row(3, "=z")] {
            a.add_row(&r);
        }
        for r in [row(3, "=z"), row(1, "x"), row(2, "y")] {
            b.add_row(&r);
        }
        assert_eq!(a.finish("t"), b.finish("t"));
        b.add_row(&row(1, "x"));
        assert_ne!(a.finish("t").sha256, b.finish("t").sha256);
    }

    #[test]
    fn tables_are_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for t in TABLES.iter().chain(NOT_DUMPED) {
            assert!(seen.insert(*t), "{t} listed twice");
        }
    }
}

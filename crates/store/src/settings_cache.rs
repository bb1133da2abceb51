//! Settings the write path reads on every create, kept in memory: where a new deal lands (a
//! pipeline's first stage, a stage's pipeline), a stage's regulation, the workspace's calendar
//! and closing reasons, the client notifications switched on per stage, the outbound webhooks.
//!
//! # Invalidation
//!
//! The database keeps one settings version (`settings_version`, one row). Triggers on every table
//! these settings come from (`workspaces`, `pipelines`, `stages`, `custom_field_defs`,
//! `client_notify_rules`, `webhooks`) give it a new random value in the same statement, hence in
//! the same transaction, as the change — whoever makes it: this process, another server process on
//! the same PostgreSQL, the CLI on the same SQLite file, or someone with `psql`.
//!
//! A write that uses the cache ([`with_version`]) first reads the version in its own transaction;
//! a cached value is used only when it was loaded under that same version, else it is loaded
//! again through the write's transaction and kept under the version just read. So a cached value is
//! exactly what the write would have read itself at that point of its transaction:
//! - SQLite: the transaction sees one snapshot, and the version is part of it;
//! - PostgreSQL (read committed): a change commits its settings and its new version together, and
//!   a later statement of the same transaction never sees an older state than an earlier one, so
//!   a value loaded after reading version V is at least as new as V. A change that commits after
//!   the version was read is one the write could have missed anyway.
//!
//! There is no time-to-live: a value is never used under another version. The version is random
//! (not a counter) so that two databases opened by one process (tests, a restored copy) never
//! share one by chance while their settings differ.
//!
//! Outside [`with_version`] (updates, deletes, system producers) [`cached`] simply loads.
use crate::error::Result;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};

tokio::task_local! {
    /// The settings version the current write read in its transaction.
    static VERSION: i64;
}

/// What is cached: a kind of setting and its argument (a stage or pipeline id, or 0).
type Key = (&'static str, i64);

struct Entry {
    version: i64,
    values: HashMap<Key, Arc<dyn Any + Send + Sync>>,
}

/// Per workspace, the values loaded under the latest version seen.
static CACHE: LazyLock<Mutex<HashMap<i64, Entry>>> = LazyLock::new(Default::default);

/// Reads the settings version inside `conn` (the write's transaction) and runs `work` with the
/// cache open for it.
pub(crate) async fn with_version<T, F>(conn: &impl ConnectionTrait, backend: DbBackend, work: F) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    let row = conn.query_one(Statement::from_string(backend, "SELECT version FROM settings_version WHERE id = 1")).await?;
    match row.map(|r| r.try_get::<i64>("", "version")).transpose()? {
        // Boxed: the write's future is large (a create through intake nests a dozen async
        // calls), and a debug build copying it into the scope overflowed a 2 MiB stack.
        Some(v) => VERSION.scope(v, Box::pin(work)).await,
        None => Box::pin(work).await,
    }
}

/// The value of `what`/`arg` of workspace `ws`: from memory when loaded under the version the
/// current write read, else from `load` (kept for the next write under that version).
pub(crate) async fn cached<T, F, Fut>(ws: i64, what: &'static str, arg: i64, load: F) -> Result<T>
where
    T: Clone + Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let Ok(version) = VERSION.try_with(|v| *v) else { return load().await };
    let key = (what, arg);
    {
        let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) =
            cache.get(&ws).filter(|e| e.version == version).and_then(|e| e.values.get(&key)).and_then(|v| v.downcast_ref::<T>())
        {
            return Ok(v.clone());
        }
    }
    let value = load().await?;
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let entry = cache.entry(ws).or_insert_with(|| Entry { version, values: HashMap::new() });
    if entry.version != version {
        *entry = Entry { version, values: HashMap::new() };
    }
    entry.values.insert(key, Arc::new(value.clone()));
    Ok(value)
}

/// The tables whose changes give the settings a new version.
pub(crate) const WATCHED: &[&str] = &["workspaces", "pipelines", "stages", "custom_field_defs", "client_notify_rules", "webhooks"];

/// The statements creating `settings_version` and its triggers on `backend`.
pub(crate) fn migration(backend: DbBackend) -> Vec<String> {
    let mut out = vec!["CREATE TABLE settings_version (id BIGINT PRIMARY KEY, version BIGINT NOT NULL)".to_string()];
    match backend {
        DbBackend::Postgres => {
            out.push("INSERT INTO settings_version (id, version) VALUES (1, (random() * 9e18)::bigint)".into());
            out.push(
                // The search path is pinned: pg_restore loads rows with an empty one, and the
                // triggers fire while it copies the watched tables.
                "CREATE FUNCTION poryadok_settings_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ \
                 BEGIN UPDATE settings_version SET version = (random() * 9e18)::bigint WHERE id = 1; RETURN NULL; END $$"
                    .into(),
            );
            for t in WATCHED {
                out.push(format!(
                    "CREATE TRIGGER {t}_settings_version AFTER INSERT OR UPDATE OR DELETE ON {t} \
                     FOR EACH STATEMENT EXECUTE FUNCTION poryadok_settings_changed()"
                ));
            }
        }
        _ => {
            out.push("INSERT INTO settings_version (id, version) VALUES (1, random())".into());
            for t in WATCHED {
                for op in ["INSERT", "UPDATE", "DELETE"] {
                    out.push(format!(
                        "CREATE TRIGGER {t}_settings_version_{} AFTER {op} ON {t} \
                         BEGIN UPDATE settings_version SET version = random() WHERE id = 1; END",
                        op.to_lowercase()
                    ));
                }
            }
        }
    }
    out
}

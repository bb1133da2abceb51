//! The regulation document's store: what it is made of, its versions, and who has read which.
//!
//! [`Db::regulation_doc_source`] reads a [`DocSource`] from the configuration the CRM enforces
//! (pipelines, stages and their regulation, custom field labels, closing reasons, intake sources,
//! enabled hygiene rules), so the document cannot drift from it. [`Db::regulation_doc_sync`]
//! records a new version when that source differs from the last one kept (by fingerprint) and,
//! in the same transaction, notifies every active user of the workspace with a summary of what
//! changed in their language. It runs whenever the document is opened and after a stage's
//! regulation is saved in the settings; A's `regulation apply` may call it too. The first version
//! is a baseline and notifies nobody.
//!
//! Read receipts: a user records "I have read version N" ([`Db::regulation_doc_mark_read`]);
//! heads and administrators list who has read the current version ([`Db::regulation_doc_reads`]).
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::notifications::{notify_on, NewNotification};
use poryadok_core::domain::Role;
use poryadok_core::msg::{Common, Labels, Lang};
use poryadok_core::regulation_doc::{self, DocLeadSource, DocSource};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait, Value};
use serde::Serialize;

/// Notifications of a new version carry this kind.
pub const NOTIFY_KIND: &str = "regulation_version";
/// Where the document is read.
pub const DOC_LINK: &str = "/regulation";
/// The job that records a new version (and notifies everyone) when the configuration changed,
/// run every [`SYNC_EVERY_MS`] by each workspace's schedule.
pub const SYNC_JOB: &str = "regulation_doc_sync";
pub const SYNC_EVERY_MS: i64 = 5 * 60_000;
/// The most days a change may stay highlighted.
pub const MAX_HIGHLIGHT_DAYS: i64 = 365;

fn raw(backend: DbBackend, sql: &str, values: Vec<Value>) -> sea_orm::Statement {
    let sql = if backend == DbBackend::Postgres { sql.to_string() } else { sql.replace('$', "?") };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// The labels for each language a notification is written in (the UI's catalogue).
pub struct DocLabels<'a> {
    pub ru: &'a (dyn Labels + Sync),
    pub en: &'a (dyn Labels + Sync),
}

impl DocLabels<'_> {
    pub fn of(&self, lang: Lang) -> &(dyn Labels + Sync) {
        match lang {
            Lang::Ru => self.ru,
            Lang::En => self.en,
        }
    }
}

/// A kept version of the document.
#[derive(Debug, Clone, Serialize)]
pub struct DocVersion {
    pub version: i64,
    pub created_at: i64,
    #[serde(skip)]
    pub source: DocSource,
}

/// A user and whether they have read the current version.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DocReader {
    pub user_id: i64,
    pub name: String,
    pub role: String,
    /// When they marked the current version read; `None` when they have not.
    pub read_at: Option<i64>,
    /// The latest version they have read, if any.
    pub last_read_version: Option<i64>,
}

/// Everything a reader needs besides the document: the version, how long changes stay
/// highlighted, and whether the caller has read this version.
#[derive(Debug, Clone, Serialize)]
pub struct DocState {
    pub version: i64,
    pub created_at: i64,
    pub highlight_days: i64,
    pub read_at: Option<i64>,
}

/// Reads the document's source: the regulation file as `poryadok regulation export` writes it
/// (so the document and the file cannot drift) plus the intake sources, which the file does not
/// carry. On any connection (a transaction's too); the keys must exist
/// ([`crate::Db::ensure_regulation_keys`], or [`crate::regulation_file::ensure_keys`] in a
/// transaction).
pub async fn load_source(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<DocSource> {
    let w =
        conn.query_one(raw(backend, "SELECT name FROM workspaces WHERE id = $1", vec![ws.into()])).await?.ok_or(StoreError::NotFound)?;
    let name: String = w.try_get("", "name")?;
    let file = crate::regulation_file::export_on(conn, backend, ws).await?;
    let rows = conn
        .query_all(raw(
            backend,
            "SELECT id, name, kind FROM intake_sources WHERE workspace_id = $1 AND deleted_at IS NULL AND active = $2 ORDER BY id",
            vec![ws.into(), true.into()],
        ))
        .await?;
    let mut sources = Vec::with_capacity(rows.len());
    for s in &rows {
        let id: i64 = s.try_get("", "id")?;
        sources.push(DocLeadSource { key: format!("src{id}"), name: s.try_get("", "name")?, kind: s.try_get("", "kind")? });
    }
    Ok(DocSource::from_file(&file, &name, sources))
}

fn decode_version(r: &QueryResult) -> Result<DocVersion> {
    let source: String = r.try_get("", "source")?;
    Ok(DocVersion {
        version: r.try_get("", "version")?,
        created_at: r.try_get("", "created_at")?,
        source: serde_json::from_str(&source).map_err(|e| StoreError::Internal(format!("regulation document version: {e}")))?,
    })
}

async fn latest(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<Option<(DocVersion, String)>> {
    let r = conn
        .query_one(raw(
            backend,
            "SELECT version, fingerprint, source, created_at FROM regulation_doc_versions WHERE workspace_id = $1 ORDER BY version DESC LIMIT 1",
            vec![ws.into()],
        ))
        .await?;
    match r {
        Some(r) => Ok(Some((decode_version(&r)?, r.try_get("", "fingerprint")?))),
        None => Ok(None),
    }
}

/// Records the current source as a new version when it differs from the last one kept, and
/// notifies every active user of the workspace (not for the first version, the baseline).
/// Inside the caller's transaction: the settings' save and A's apply call it where they write.
pub async fn sync_on(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, now: i64, labels: &DocLabels<'_>) -> Result<DocVersion> {
    if crate::regulation_file::needs_keys(conn, backend, ws).await? {
        crate::regulation_file::ensure_keys(conn, backend, ws).await?;
    }
    let src = load_source(conn, backend, ws).await?;
    let fp = src.fingerprint();
    let last = latest(conn, backend, ws).await?;
    if let Some((v, f)) = &last {
        if *f == fp {
            return Ok(v.clone());
        }
    }
    let version = last.as_ref().map_or(1, |(v, _)| v.version + 1);
    let changes = match &last {
        Some((prev, _)) => {
            let lang = Lang::En;
            let before = regulation_doc::build(&prev.source, lang, labels.of(lang));
            let after = regulation_doc::build(&src, lang, labels.of(lang));
            regulation_doc::diff(&before, &after)
        }
        None => Default::default(),
    };
    let inserted = conn
        .execute(raw(
            backend,
            "INSERT INTO regulation_doc_versions (workspace_id, version, fingerprint, source, summary, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, version) DO NOTHING",
            vec![
                ws.into(),
                version.into(),
                fp.into(),
                serde_json::to_string(&src).unwrap_or_default().into(),
                serde_json::to_string(&changes).unwrap_or_default().into(),
                now.into(),
            ],
        ))
        .await?;
    if inserted.rows_affected() == 0 {
        // A concurrent opening recorded it first.
        return Ok(latest(conn, backend, ws).await?.map(|(v, _)| v).unwrap_or(DocVersion { version, created_at: now, source: src }));
    }
    if let Some((prev, _)) = &last {
        if !changes.is_empty() {
            let users = conn
                .query_all(raw(
                    backend,
                    "SELECT u.id, u.locale, w.locale AS ws_locale FROM users u JOIN workspaces w ON w.id = u.workspace_id \
                     WHERE u.workspace_id = $1 AND u.active = $2 ORDER BY u.id",
                    vec![ws.into(), true.into()],
                ))
                .await?;
            let mut texts: Vec<(Lang, (String, String))> = Vec::new();
            for u in &users {
                let lang = Lang::for_reader(u.try_get::<Option<String>>("", "locale")?.as_deref(), &u.try_get::<String>("", "ws_locale")?);
                if !texts.iter().any(|(l, _)| *l == lang) {
                    let before = regulation_doc::build(&prev.source, lang, labels.of(lang));
                    let after = regulation_doc::build(&src, lang, labels.of(lang));
                    texts.push((lang, regulation_doc::summary(version, &before, &after, lang, labels.of(lang))));
                }
                let (title, body) = texts.iter().find(|(l, _)| *l == lang).map(|(_, t)| t.clone()).unwrap_or_default();
                let n = NewNotification {
                    workspace_id: ws,
                    user_id: u.try_get("", "id")?,
                    kind: NOTIFY_KIND.into(),
                    title,
                    body,
                    link: Some(DOC_LINK.into()),
                    deal_id: None,
                    dedupe_key: Some(format!("regulation_version:{version}")),
                    email: false,
                };
                notify_on(conn, backend, &n, now).await?;
            }
        }
    }
    Ok(DocVersion { version, created_at: now, source: src })
}

/// The version to compare with for "changed since `at`": the last one kept at that moment, or,
/// when none is that old, the first one kept (the baseline).
pub async fn version_at(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, at_ms: i64) -> Result<Option<DocVersion>> {
    let before = conn
        .query_one(raw(
            backend,
            "SELECT version, source, created_at FROM regulation_doc_versions WHERE workspace_id = $1 AND created_at <= $2 \
             ORDER BY version DESC LIMIT 1",
            vec![ws.into(), at_ms.into()],
        ))
        .await?;
    let r = match before {
        Some(r) => Some(r),
        None => {
            conn.query_one(raw(
                backend,
                "SELECT version, source, created_at FROM regulation_doc_versions WHERE workspace_id = $1 ORDER BY version ASC LIMIT 1",
                vec![ws.into()],
            ))
            .await?
        }
    };
    r.as_ref().map(decode_version).transpose()
}

fn may_see_reads(actor: &Actor) -> Result<()> {
    match actor.caller.role {
        Role::Admin | Role::Head => Ok(()),
        _ => Err(StoreError::forbidden(Common::HeadOnly {})),
    }
}

impl crate::Db {
    /// The current document's source, version (recorded now if the configuration changed) and
    /// the caller's state.
    pub async fn regulation_doc_sync(&self, actor: &Actor, labels: &DocLabels<'_>) -> Result<(DocVersion, DocState)> {
        let ws = actor.ws_id();
        // Most readings find the configuration unchanged: answered from the read pool, so reading
        // the document takes no write transaction.
        self.ensure_regulation_keys(ws).await?;
        let fp = load_source(&self.read, self.backend, ws).await?.fingerprint();
        if let Some((v, f)) = latest(&self.read, self.backend, ws).await? {
            if f == fp {
                let state = self.regulation_doc_state(actor, &v).await?;
                return Ok((v, state));
            }
        }
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let v = sync_on(&tx, self.backend, ws, now, labels).await?;
        tx.commit().await?;
        let state = self.regulation_doc_state(actor, &v).await?;
        Ok((v, state))
    }

    async fn regulation_doc_state(&self, actor: &Actor, v: &DocVersion) -> Result<DocState> {
        let ws = actor.ws_id();
        let days = self
            .read
            .query_one(raw(self.backend, "SELECT regulation_highlight_days FROM workspaces WHERE id = $1", vec![ws.into()]))
            .await?
            .map(|r| r.try_get::<i64>("", "regulation_highlight_days"))
            .transpose()?
            .unwrap_or(14);
        let read_at = self
            .read
            .query_one(raw(
                self.backend,
                "SELECT read_at FROM regulation_doc_reads WHERE workspace_id = $1 AND user_id = $2 AND version = $3",
                vec![ws.into(), actor.user_id().into(), v.version.into()],
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "read_at"))
            .transpose()?;
        Ok(DocState { version: v.version, created_at: v.created_at, highlight_days: days, read_at })
    }

    /// The version kept at `at_ms` (see [`version_at`]).
    pub async fn regulation_doc_version_at(&self, actor: &Actor, at_ms: i64) -> Result<Option<DocVersion>> {
        version_at(&self.read, self.backend, actor.ws_id(), at_ms).await
    }

    /// The caller has read `version` (the current one, or an earlier one still kept): recorded
    /// once, the first time.
    pub async fn regulation_doc_mark_read(&self, actor: &Actor, version: i64) -> Result<i64> {
        let ws = actor.ws_id();
        let exists = self
            .read
            .query_one(raw(
                self.backend,
                "SELECT version FROM regulation_doc_versions WHERE workspace_id = $1 AND version = $2",
                vec![ws.into(), version.into()],
            ))
            .await?;
        if exists.is_none() {
            return Err(StoreError::invalid("version", Common::NoSuchRecord { what: "version".into(), id: version }));
        }
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        tx.execute(raw(
            self.backend,
            "INSERT INTO regulation_doc_reads (workspace_id, user_id, version, read_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, user_id, version) DO NOTHING",
            vec![ws.into(), actor.user_id().into(), version.into(), now.into()],
        ))
        .await?;
        let at = tx
            .query_one(raw(
                self.backend,
                "SELECT read_at FROM regulation_doc_reads WHERE workspace_id = $1 AND user_id = $2 AND version = $3",
                vec![ws.into(), actor.user_id().into(), version.into()],
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "read_at"))
            .transpose()?
            .unwrap_or(now);
        tx.commit().await?;
        Ok(at)
    }

    /// Every active user and whether they have read `version`: heads and administrators only.
    pub async fn regulation_doc_reads(&self, actor: &Actor, version: i64) -> Result<Vec<DocReader>> {
        may_see_reads(actor)?;
        let rows = self
            .read
            .query_all(raw(
                self.backend,
                "SELECT u.id, u.name, u.role, \
                   (SELECT r.read_at FROM regulation_doc_reads r WHERE r.workspace_id = u.workspace_id AND r.user_id = u.id AND r.version = $2) AS read_at, \
                   (SELECT MAX(r.version) FROM regulation_doc_reads r WHERE r.workspace_id = u.workspace_id AND r.user_id = u.id) AS last_read \
                 FROM users u WHERE u.workspace_id = $1 AND u.active = $3 ORDER BY u.name, u.id",
                vec![actor.ws_id().into(), version.into(), true.into()],
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DocReader {
                    user_id: r.try_get("", "id")?,
                    name: r.try_get("", "name")?,
                    role: r.try_get("", "role")?,
                    read_at: r.try_get("", "read_at")?,
                    last_read_version: r.try_get("", "last_read")?,
                })
            })
            .collect()
    }

    /// How many days a change stays highlighted (administrators and heads).
    pub async fn set_regulation_highlight_days(&self, actor: &Actor, days: i64) -> Result<()> {
        may_see_reads(actor)?;
        if !(0..=MAX_HIGHLIGHT_DAYS).contains(&days) {
            return Err(StoreError::invalid("highlight_days", Common::Between { min: 0, max: MAX_HIGHLIGHT_DAYS }));
        }
        let tx = self.write.begin().await?;
        tx.execute(raw(
            self.backend,
            "UPDATE workspaces SET regulation_highlight_days = $1 WHERE id = $2",
            vec![days.into(), actor.ws_id().into()],
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl crate::Db {
    /// What the document is made of, read now (the linter reads it too).
    pub async fn regulation_doc_source(&self, actor: &Actor) -> Result<DocSource> {
        self.ensure_regulation_keys(actor.ws_id()).await?;
        load_source(&self.read, self.backend, actor.ws_id()).await
    }
}

impl crate::Db {
    /// The workspace's schedule of [`SYNC_JOB`]: a change made anywhere (settings, API, an
    /// apply of the regulation file) is noticed and notified within [`SYNC_EVERY_MS`] even if
    /// nobody opens the document.
    pub async fn ensure_regulation_doc_schedule(&self, ws: i64) -> Result<()> {
        let now = self.clock.now_ms();
        self.upsert_schedule(ws, SYNC_JOB, SYNC_JOB, &serde_json::json!({}), SYNC_EVERY_MS, now + SYNC_EVERY_MS).await
    }

    /// [`sync_on`] for a workspace in its own transaction (the job); the version recorded or kept.
    pub async fn regulation_doc_sync_ws(&self, ws: i64, labels: &DocLabels<'_>) -> Result<i64> {
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let v = sync_on(&tx, self.backend, ws, now, labels).await?;
        tx.commit().await?;
        Ok(v.version)
    }
}

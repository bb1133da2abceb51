//! Files on cards: a deal's, a person's, an organization's, an activity's or a note's
//! attachments. The row (table `files`) names the record, the name, the size, the type, the kind
//! and the SHA-256 of the bytes; the bytes live in a [`BlobStore`], written durably before the
//! row is committed, so a committed row always has its bytes.
//!
//! Visibility is the record's: whoever may see the card sees its files, anyone else gets
//! [`StoreError::NotFound`], exactly as for the record. Attaching and removing need the right to
//! write records; each writes a history event on the record (`file_attached` /
//! `file_removed` in the event's changes), so the card's timeline shows it.
//!
//! Other code stores a generated file on a card with [`attach`] (documents keep their DOCX
//! and PDF on the deal this way).
pub mod blob;
pub mod carry;

pub use blob::{sha256_hex, BlobStore, LocalDisk};

use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::records::{append_history, fetch_one};
use crate::sql::{aliased, col, insert_id};
use crate::Db;
use poryadok_core::domain::HistoryAction;
use poryadok_core::files::{check_type, content_type, FileKind, FileName, BUILTIN_KINDS};
use poryadok_core::msg::FileMsg;
use poryadok_core::schema::Entity;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use sea_query::{Expr, Order, Query, SelectStatement};
use serde_json::{json, Map};
use std::path::PathBuf;
use std::sync::Arc;

/// The default size limit of one file: 25 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 25 * 1024 * 1024;

/// The records files are attached to.
pub const ATTACHABLE: [Entity; 5] = [Entity::Deal, Entity::Person, Entity::Organization, Entity::Activity, Entity::Note];

/// Where files go and how large one may be.
#[derive(Debug, Clone)]
pub struct FileStore {
    pub blobs: Arc<dyn BlobStore>,
    pub max_bytes: u64,
}

impl FileStore {
    /// Files on the local disk under `dir`.
    pub fn local(dir: impl Into<PathBuf>, max_bytes: u64) -> FileStore {
        FileStore { blobs: Arc::new(LocalDisk::new(dir)), max_bytes }
    }
    /// The limit in whole MiB, as messages say it.
    pub fn max_mb(&self) -> i64 {
        (self.max_bytes / 1024 / 1024).max(1) as i64
    }
}

/// The card a file is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef {
    pub entity: Entity,
    pub id: i64,
}

impl RecordRef {
    /// A record of an entity files attach to.
    pub fn new(entity: Entity, id: i64) -> Result<RecordRef> {
        if !ATTACHABLE.contains(&entity) {
            return Err(StoreError::invalid("entity", FileMsg::NotAttachable { entity: entity.name().to_string() }));
        }
        Ok(RecordRef { entity, id })
    }
}

/// A file on a card.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredFile {
    pub id: i64,
    /// `deal`, `person`, `organization`, `activity` or `note`.
    pub entity: String,
    pub record_id: i64,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub kind: Option<String>,
    pub uploaded_by: Option<i64>,
    pub uploaded_by_name: Option<String>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
}

/// A file to attach: what the user (or the code generating it) gives.
#[derive(Debug, Clone, Copy)]
pub struct NewFile<'a> {
    pub name: &'a str,
    /// The type, when trusted code knows it (a generated PDF); uploads leave it `None` and the
    /// type is decided from the content and the name.
    pub content_type: Option<&'a str>,
    /// The kind label (`signed_contract`), if any.
    pub kind: Option<&'a str>,
    pub bytes: &'a [u8],
}

fn select_files() -> SelectStatement {
    Query::select()
        .columns(
            ["id", "entity", "record_id", "name", "size", "content_type", "sha256", "kind", "uploaded_by", "created_at"]
                .map(|c| (col("f"), col(c))),
        )
        .expr_as(Expr::col((col("u"), col("name"))), col("uploaded_by_name"))
        .from_as(col("files"), col("f"))
        .left_join(
            aliased("users", "u"),
            Expr::col((col("u"), col("id")))
                .equals((col("f"), col("uploaded_by")))
                .and(Expr::col((col("u"), col("workspace_id"))).equals((col("f"), col("workspace_id")))),
        )
        .and_where(Expr::col((col("f"), col("deleted_at"))).is_null())
        .to_owned()
}

fn decode(r: &QueryResult) -> Result<StoredFile> {
    Ok(StoredFile {
        id: r.try_get("", "id")?,
        entity: r.try_get("", "entity")?,
        record_id: r.try_get("", "record_id")?,
        name: r.try_get("", "name")?,
        size: r.try_get("", "size")?,
        content_type: r.try_get("", "content_type")?,
        sha256: r.try_get("", "sha256")?,
        kind: r.try_get("", "kind")?,
        uploaded_by: r.try_get("", "uploaded_by")?,
        uploaded_by_name: r.try_get("", "uploaded_by_name")?,
        created_at: r.try_get("", "created_at")?,
    })
}

impl StoredFile {
    fn record(&self) -> Result<RecordRef> {
        let entity = Entity::from_name(&self.entity).ok_or(StoreError::NotFound)?;
        RecordRef::new(entity, self.record_id)
    }
    fn event(&self) -> serde_json::Value {
        json!({"id": self.id, "name": self.name, "kind": self.kind, "size": self.size})
    }
}

/// Checks a file before a byte of it is stored: the name, the size, the type, the kind.
pub fn check(files: &FileStore, new: &NewFile<'_>) -> Result<(FileName, Option<FileKind>)> {
    let name = FileName::parse(new.name).map_err(|m| StoreError::invalid("name", m))?;
    if new.bytes.is_empty() {
        return Err(StoreError::invalid("file", FileMsg::Empty {}));
    }
    if new.bytes.len() as u64 > files.max_bytes {
        return Err(StoreError::invalid("file", FileMsg::TooLarge { max_mb: files.max_mb() }));
    }
    check_type(&name, new.bytes).map_err(|m| StoreError::invalid("file", m))?;
    let kind = FileKind::parse_optional(new.kind).map_err(|m| StoreError::invalid("kind", m))?;
    Ok((name, kind))
}

/// Attaches a file to a card the actor may see and write: checks it ([`check`]), stores the
/// bytes durably, then commits the row and the record's history event in one transaction.
///
/// This is the one way files reach cards, for uploads and for generated documents alike.
pub async fn attach(db: &Db, files: &FileStore, actor: &Actor, record: RecordRef, new: NewFile<'_>) -> Result<StoredFile> {
    actor.caller.may_write(record.entity).map_err(StoreError::forbidden)?;
    let (name, kind) = check(files, &new)?;
    // The card must be visible before anything is written.
    fetch_one(&db.read, db.backend, record.entity, actor, record.id, false).await?;
    let sha256 = files.blobs.put(new.bytes).await?;
    let content_type = new.content_type.map(str::to_string).unwrap_or_else(|| content_type(&name, new.bytes).to_string());
    let now = db.clock.now_ms();
    let (db2, actor2, size) = (db.clone(), actor.clone(), new.bytes.len() as i64);
    let (name, kind) = (name.as_str().to_string(), kind.map(|k| k.as_str().to_string()));
    let id = db
        .write_tx(move |tx| {
            Box::pin(async move {
                let backend = db2.backend;
                // Still visible inside the transaction (not deleted or handed away meanwhile).
                fetch_one(tx, backend, record.entity, &actor2, record.id, false).await?;
                let q = Query::insert()
                    .into_table(col("files"))
                    .columns(
                        [
                            "workspace_id",
                            "entity",
                            "record_id",
                            "name",
                            "size",
                            "content_type",
                            "sha256",
                            "kind",
                            "uploaded_by",
                            "created_at",
                        ]
                        .map(col),
                    )
                    .values([
                        actor2.ws_id().into(),
                        record.entity.name().into(),
                        record.id.into(),
                        name.clone().into(),
                        size.into(),
                        content_type.into(),
                        sha256.into(),
                        kind.clone().into(),
                        (actor2.user_id() != 0).then_some(actor2.user_id()).into(),
                        now.into(),
                    ])
                    .map_err(|e| StoreError::Internal(e.to_string()))?
                    .to_owned();
                let id = insert_id(tx, backend, &q).await?;
                let changes = Map::from_iter([("file_attached".to_string(), json!({"id": id, "name": name, "kind": kind, "size": size}))]);
                append_history(tx, backend, &actor2, record.entity.name(), record.id, HistoryAction::Update, changes, now).await?;
                Ok(id)
            })
        })
        .await?;
    db.file(actor, id).await
}

/// The live files of a set of the workspace's records that have a kind among `kinds`: the kinds
/// present. For the stage gate, inside the deal's write transaction.
pub(crate) async fn kinds_present(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    record: RecordRef,
    kinds: &[String],
) -> Result<Vec<String>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let q = Query::select()
        .distinct()
        .column(col("kind"))
        .from(col("files"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("entity")).eq(record.entity.name()))
        .and_where(Expr::col(col("record_id")).eq(record.id))
        .and_where(Expr::col(col("kind")).is_in(kinds.iter().cloned()))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .to_owned();
    conn.query_all(backend.build(&q)).await?.iter().map(|r| Ok(r.try_get::<String>("", "kind")?)).collect()
}

impl Db {
    /// The files on a card, newest first; `NotFound` when the caller may not see the card.
    pub async fn list_files(&self, actor: &Actor, record: RecordRef) -> Result<Vec<StoredFile>> {
        fetch_one(&self.read, self.backend, record.entity, actor, record.id, false).await?;
        let q = select_files()
            .and_where(Expr::col((col("f"), col("workspace_id"))).eq(actor.ws_id()))
            .and_where(Expr::col((col("f"), col("entity"))).eq(record.entity.name()))
            .and_where(Expr::col((col("f"), col("record_id"))).eq(record.id))
            .order_by((col("f"), col("id")), Order::Desc)
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(decode).collect()
    }

    /// One file, if the caller may see its card.
    pub async fn file(&self, actor: &Actor, id: i64) -> Result<StoredFile> {
        let q = select_files()
            .and_where(Expr::col((col("f"), col("workspace_id"))).eq(actor.ws_id()))
            .and_where(Expr::col((col("f"), col("id"))).eq(id))
            .to_owned();
        let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        let file = decode(&r)?;
        let record = file.record()?;
        fetch_one(&self.read, self.backend, record.entity, actor, record.id, false).await?;
        Ok(file)
    }

    /// A file and its bytes, if the caller may see its card.
    pub async fn file_content(&self, files: &FileStore, actor: &Actor, id: i64) -> Result<(StoredFile, Vec<u8>)> {
        let file = self.file(actor, id).await?;
        let bytes = files.blobs.get(&file.sha256).await?;
        Ok((file, bytes))
    }

    /// Removes a file from its card (the row is kept, marked deleted, with its bytes), with a
    /// history event on the card.
    pub async fn delete_file(&self, actor: &Actor, id: i64) -> Result<()> {
        let file = self.file(actor, id).await?;
        let record = file.record()?;
        actor.caller.may_write(record.entity).map_err(StoreError::forbidden)?;
        let now = self.clock.now_ms();
        let (db, actor) = (self.clone(), actor.clone());
        self.write_tx(move |tx| {
            Box::pin(async move {
                let backend = db.backend;
                fetch_one(tx, backend, record.entity, &actor, record.id, false).await?;
                let q = Query::update()
                    .table(col("files"))
                    .value(col("deleted_at"), now)
                    .value(col("deleted_by"), (actor.user_id() != 0).then_some(actor.user_id()))
                    .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                    .and_where(Expr::col(col("id")).eq(file.id))
                    .and_where(Expr::col(col("deleted_at")).is_null())
                    .to_owned();
                if tx.execute(backend.build(&q)).await?.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                let changes = Map::from_iter([("file_removed".to_string(), file.event())]);
                append_history(tx, backend, &actor, record.entity.name(), record.id, HistoryAction::Update, changes, now).await
            })
        })
        .await
    }

    /// The kinds to offer when attaching: the built-in ones, then those the workspace has used.
    pub async fn file_kinds(&self, actor: &Actor) -> Result<Vec<String>> {
        let q = Query::select()
            .distinct()
            .column(col("kind"))
            .from(col("files"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("kind")).is_not_null())
            .order_by(col("kind"), Order::Asc)
            .to_owned();
        let mut kinds: Vec<String> = BUILTIN_KINDS.iter().map(|k| k.to_string()).collect();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let k: String = r.try_get("", "kind")?;
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        Ok(kinds)
    }
}

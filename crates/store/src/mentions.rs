//! `@mentions` in notes, as part of the note's write: the handles are resolved to users of the
//! workspace (an unknown or deactivated one refuses the note, naming the handle), recorded in
//! `note_mentions`, and a [`MENTION_JOB`] is enqueued in the same transaction. The worker turns it
//! into notifications (and their e-mail copies, which only the server knows whether it can send),
//! one per mentioned user however often the note is edited.
use crate::error::{Result, StoreError};
use crate::jobs::{enqueue_on, NewJob};
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::mentions::{handles, user_handle};
use poryadok_core::msg::RecordMsg;
use sea_orm::{ConnectionTrait, DbBackend};
use sea_query::{Expr, JoinType, OnConflict, Order, Query};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

/// The job that notifies the users a note mentions.
pub const MENTION_JOB: &str = "mention_notify";

/// A user a note mentions, as the note shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mentioned {
    pub user_id: i64,
    pub name: String,
}

/// What the notifications of a note's mentions need.
#[derive(Debug, Clone)]
pub struct MentionNotice {
    pub note_id: i64,
    pub content: String,
    pub author_name: String,
    pub author_id: Option<i64>,
    pub deal_id: Option<i64>,
    pub person_id: Option<i64>,
    pub organization_id: Option<i64>,
    /// Each mentioned user and their interface language, if they chose one.
    pub recipients: Vec<(i64, Option<String>)>,
}

impl MentionNotice {
    /// The card the note is on.
    pub fn link(&self) -> Option<String> {
        match (self.deal_id, self.person_id, self.organization_id) {
            (Some(d), _, _) => Some(format!("/deals/{d}")),
            (None, Some(p), _) => Some(format!("/persons/{p}")),
            (None, None, Some(o)) => Some(format!("/organizations/{o}")),
            _ => None,
        }
    }
}

/// The users `content` mentions; an unknown or deactivated handle is a validation error on
/// `content`. Reads the workspace's users only when the text has an `@` at all.
pub(crate) async fn resolve(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, content: &str) -> Result<Vec<i64>> {
    let wanted = handles(content);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let q = Query::select()
        .columns(["id", "email", "active"].map(col))
        .from(col("users"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .to_owned();
    let mut by_handle: HashMap<String, (i64, bool)> = HashMap::new();
    for r in conn.query_all(backend.build(&q)).await? {
        let email: String = r.try_get("", "email")?;
        let entry = (r.try_get::<i64>("", "id")?, r.try_get::<bool>("", "active")?);
        // Two users sharing a local part (olga@a.ru, olga@b.ru): the active one is meant.
        by_handle
            .entry(user_handle(&email))
            .and_modify(|e| {
                if !e.1 && entry.1 {
                    *e = entry
                }
            })
            .or_insert(entry);
    }
    let mut users = Vec::new();
    for handle in wanted {
        match by_handle.get(&handle) {
            None => return Err(StoreError::invalid("content", RecordMsg::UnknownMention { handle })),
            Some((_, false)) => return Err(StoreError::invalid("content", RecordMsg::InactiveMention { handle })),
            Some((id, true)) => users.push(*id),
        }
    }
    Ok(users)
}

/// Records that note `note_id` mentions `users` and, when any is new, queues their notices.
pub(crate) async fn record(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, note_id: i64, users: &[i64], now: i64) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let mut added = Vec::new();
    for user in users {
        let q = Query::insert()
            .into_table(col("note_mentions"))
            .columns(["workspace_id", "note_id", "user_id", "created_at"].map(col))
            .values_panic([ws.into(), note_id.into(), (*user).into(), now.into()])
            .on_conflict(OnConflict::columns([col("workspace_id"), col("note_id"), col("user_id")]).do_nothing().to_owned())
            .to_owned();
        if conn.execute(backend.build(&q)).await?.rows_affected() > 0 {
            added.push(user.to_string());
        }
    }
    if !added.is_empty() {
        // Keyed by who is new, so a later edit that mentions someone else queues again; the
        // notifications' own keys make each user's notice arrive once.
        let key = format!("mention:{note_id}:{}", added.join(","));
        let job = NewJob::new(ws, MENTION_JOB, json!({"note_id": note_id}), now).dedupe(key);
        enqueue_on(conn, backend, &job, now).await?;
    }
    Ok(())
}

/// Mentions (`m`) joined with the users they name (`u`), in workspace `ws`; callers pick the
/// columns and the notes.
fn mentioned_users(ws: i64) -> sea_query::SelectStatement {
    Query::select()
        .from_as(col("note_mentions"), col("m"))
        .join_as(
            JoinType::InnerJoin,
            col("users"),
            col("u"),
            Expr::col((col("u"), col("id")))
                .equals((col("m"), col("user_id")))
                .and(Expr::col((col("u"), col("workspace_id"))).equals((col("m"), col("workspace_id")))),
        )
        .and_where(Expr::col((col("m"), col("workspace_id"))).eq(ws))
        .to_owned()
}

impl Db {
    /// Who each of `note_ids` mentions (notes the caller reads on a timeline), by note.
    pub async fn note_mentions(&self, actor: &Actor, note_ids: &[i64]) -> Result<HashMap<i64, Vec<Mentioned>>> {
        let mut out: HashMap<i64, Vec<Mentioned>> = HashMap::new();
        if note_ids.is_empty() {
            return Ok(out);
        }
        let q = mentioned_users(actor.ws_id())
            .expr_as(Expr::col((col("m"), col("note_id"))), col("note_id"))
            .expr_as(Expr::col((col("u"), col("id"))), col("user_id"))
            .expr_as(Expr::col((col("u"), col("name"))), col("name"))
            .and_where(Expr::col((col("m"), col("note_id"))).is_in(note_ids.iter().copied()))
            .order_by((col("m"), col("id")), Order::Asc)
            .to_owned();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            out.entry(r.try_get("", "note_id")?)
                .or_default()
                .push(Mentioned { user_id: r.try_get("", "user_id")?, name: r.try_get("", "name")? });
        }
        Ok(out)
    }

    /// What the notices of note `note_id`'s mentions need; none when the note is gone.
    pub async fn mention_notice(&self, ws: i64, note_id: i64) -> Result<Option<MentionNotice>> {
        let q = Query::select()
            .expr_as(Expr::col((col("n"), col("content"))), col("content"))
            .expr_as(Expr::col((col("n"), col("author_id"))), col("author_id"))
            .expr_as(Expr::col((col("n"), col("deal_id"))), col("deal_id"))
            .expr_as(Expr::col((col("n"), col("person_id"))), col("person_id"))
            .expr_as(Expr::col((col("n"), col("organization_id"))), col("organization_id"))
            .expr_as(Expr::col((col("a"), col("name"))), col("author_name"))
            .from_as(col("notes"), col("n"))
            .join_as(
                JoinType::LeftJoin,
                col("users"),
                col("a"),
                Expr::col((col("a"), col("id")))
                    .equals((col("n"), col("author_id")))
                    .and(Expr::col((col("a"), col("workspace_id"))).equals((col("n"), col("workspace_id")))),
            )
            .and_where(Expr::col((col("n"), col("workspace_id"))).eq(ws))
            .and_where(Expr::col((col("n"), col("id"))).eq(note_id))
            .and_where(Expr::col((col("n"), col("deleted_at"))).is_null())
            .to_owned();
        let Some(n) = self.read.query_one(self.backend.build(&q)).await? else { return Ok(None) };
        let q = mentioned_users(ws)
            .expr_as(Expr::col((col("u"), col("id"))), col("id"))
            .expr_as(Expr::col((col("u"), col("locale"))), col("locale"))
            .and_where(Expr::col((col("m"), col("note_id"))).eq(note_id))
            .and_where(Expr::col((col("u"), col("active"))).eq(true))
            .order_by((col("m"), col("id")), Order::Asc)
            .to_owned();
        let mut recipients = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            recipients.push((r.try_get("", "id")?, r.try_get("", "locale")?));
        }
        Ok(Some(MentionNotice {
            note_id,
            content: n.try_get("", "content")?,
            author_name: n.try_get::<Option<String>>("", "author_name")?.unwrap_or_default(),
            author_id: n.try_get("", "author_id")?,
            deal_id: n.try_get("", "deal_id")?,
            person_id: n.try_get("", "person_id")?,
            organization_id: n.try_get("", "organization_id")?,
            recipients,
        }))
    }
}

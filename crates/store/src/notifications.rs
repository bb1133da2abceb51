//! In-app notifications: one row per recipient, read only by that recipient.
//!
//! An event notifies a user at most once: a dedupe key is unique per workspace and user, so two
//! workers that handle the same event (an SLA breach seen twice, a retried job) insert one row.
//! When e-mail copies are on, the same write enqueues a `notify_email` job for the new row, so a
//! notification never exists without its copy being on its way, and a deduplicated one sends none.
//!
//! This module owns the rows; sending the e-mail lives with the worker.
use crate::error::{Result, StoreError};
use crate::jobs::{enqueue_on, NewJob};
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::msg::{Common, RecordMsg};
use poryadok_core::types::format_ms;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use sea_query::{Expr, JoinType, OnConflict, Order, Query, SelectStatement};
use serde_json::{json, Value as Json};

/// The job kind that sends a notification's e-mail copy.
pub const EMAIL_JOB: &str = "notify_email";
pub const MAX_LIST: u64 = 200;

/// A notification to deliver to one user.
#[derive(Clone, Debug, Default)]
pub struct NewNotification {
    pub workspace_id: i64,
    pub user_id: i64,
    /// What happened, for filtering and icons: `sla_breach`, `task_assigned`…
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A local path to what the notification is about, such as `/deals/5`.
    pub link: Option<String>,
    pub deal_id: Option<i64>,
    /// The same key for the same user is notified once.
    pub dedupe_key: Option<String>,
    /// Also send an e-mail copy. The caller knows whether the server can send mail; the store does not.
    pub email: bool,
}

/// A notification as its recipient sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub deal_id: Option<i64>,
    pub read_at: Option<i64>,
    pub emailed_at: Option<i64>,
    pub created_at: i64,
}

impl Notification {
    /// The wire form: timestamps as RFC 3339 strings.
    pub fn to_json(&self) -> Json {
        json!({
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "link": self.link,
            "deal_id": self.deal_id,
            "read": self.read_at.is_some(),
            "read_at": self.read_at.map(format_ms),
            "emailed_at": self.emailed_at.map(format_ms),
            "created_at": format_ms(self.created_at),
        })
    }
}

/// What the e-mail copy of a notification needs: the notification and its recipient's address.
#[derive(Clone, Debug)]
pub struct EmailCopy {
    pub notification: Notification,
    pub to_email: String,
    pub to_name: String,
}

const COLUMNS: [&str; 10] = ["id", "user_id", "kind", "title", "body", "link", "deal_id", "read_at", "emailed_at", "created_at"];

fn decode(r: &QueryResult) -> Result<Notification> {
    Ok(Notification {
        id: r.try_get("", "id")?,
        user_id: r.try_get("", "user_id")?,
        kind: r.try_get("", "kind")?,
        title: r.try_get("", "title")?,
        body: r.try_get("", "body")?,
        link: r.try_get("", "link")?,
        deal_id: r.try_get("", "deal_id")?,
        read_at: r.try_get("", "read_at")?,
        emailed_at: r.try_get("", "emailed_at")?,
        created_at: r.try_get("", "created_at")?,
    })
}

/// The caller's own notifications: a user never sees anyone else's, whatever their role.
fn own(actor: &Actor) -> SelectStatement {
    Query::select()
        .columns(COLUMNS.map(col))
        .from(col("notifications"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("user_id")).eq(actor.user_id()))
        .to_owned()
}

/// A link is followed from the page and from e-mail, so it must stay on this server.
fn check(n: &NewNotification) -> Result<()> {
    if n.title.trim().is_empty() {
        return Err(StoreError::invalid("title", Common::Required {}));
    }
    match &n.link {
        Some(l) if !l.starts_with('/') || l.starts_with("//") || l.contains('\\') => {
            Err(StoreError::invalid("link", RecordMsg::LocalLink {}))
        }
        _ => Ok(()),
    }
}

impl Db {
    /// Notifies a user; `None` when the dedupe key already notified them.
    pub async fn notify(&self, n: &NewNotification) -> Result<Option<i64>> {
        let tx = self.write.begin().await?;
        let id = notify_on(&tx, self.backend, n, self.clock.now_ms()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The caller's notifications, newest first; `before_id` pages back from an earlier answer.
    pub async fn notifications(&self, actor: &Actor, unread_only: bool, limit: u64, before_id: Option<i64>) -> Result<Vec<Notification>> {
        let mut q = own(actor);
        q.order_by(col("id"), Order::Desc).limit(limit.clamp(1, MAX_LIST));
        if unread_only {
            q.and_where(Expr::col(col("read_at")).is_null());
        }
        if let Some(b) = before_id {
            q.and_where(Expr::col(col("id")).lt(b));
        }
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(decode).collect()
    }

    /// How many of the caller's notifications are unread (the bell on every page).
    pub async fn unread_count(&self, actor: &Actor) -> Result<i64> {
        let q = Query::select()
            .expr_as(Expr::col(col("id")).count(), col("n"))
            .from(col("notifications"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("user_id")).eq(actor.user_id()))
            .and_where(Expr::col(col("read_at")).is_null())
            .to_owned();
        let row = self.read.query_one(self.backend.build(&q)).await?;
        Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
    }

    /// Marks the caller's notifications read: those of `ids`, or all with `None`. Ids that are not
    /// the caller's are ignored. Returns how many changed.
    pub async fn mark_read(&self, actor: &Actor, ids: Option<&[i64]>) -> Result<u64> {
        let mut q = Query::update();
        q.table(col("notifications"))
            .value(col("read_at"), self.clock.now_ms())
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("user_id")).eq(actor.user_id()))
            .and_where(Expr::col(col("read_at")).is_null());
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok(0);
            }
            q.and_where(Expr::col(col("id")).is_in(ids.iter().copied()));
        }
        Ok(self.write.execute(self.backend.build(&q)).await?.rows_affected())
    }

    /// A notification with its recipient's address, for the e-mail job; `None` when it is gone or
    /// the recipient is deactivated (nobody to send to).
    pub async fn email_copy(&self, workspace_id: i64, id: i64) -> Result<Option<EmailCopy>> {
        let mut q = Query::select();
        q.columns(COLUMNS.map(|c| (col("n"), col(c))))
            .expr_as(Expr::col((col("u"), col("email"))), col("to_email"))
            .expr_as(Expr::col((col("u"), col("name"))), col("to_name"))
            .from_as(col("notifications"), col("n"))
            .join_as(
                JoinType::InnerJoin,
                col("users"),
                col("u"),
                Expr::col((col("u"), col("id")))
                    .equals((col("n"), col("user_id")))
                    .and(Expr::col((col("u"), col("workspace_id"))).equals((col("n"), col("workspace_id")))),
            )
            .and_where(Expr::col((col("n"), col("workspace_id"))).eq(workspace_id))
            .and_where(Expr::col((col("n"), col("id"))).eq(id))
            .and_where(Expr::col((col("u"), col("active"))).eq(true));
        let Some(r) = self.write.query_one(self.backend.build(&q)).await? else {
            return Ok(None);
        };
        Ok(Some(EmailCopy { notification: decode(&r)?, to_email: r.try_get("", "to_email")?, to_name: r.try_get("", "to_name")? }))
    }

    /// Records that the mail server accepted the copy.
    pub async fn mark_emailed(&self, workspace_id: i64, id: i64) -> Result<()> {
        let q = Query::update()
            .table(col("notifications"))
            .value(col("emailed_at"), self.clock.now_ms())
            .and_where(Expr::col(col("workspace_id")).eq(workspace_id))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }
}

/// Notifies on any connection (a transaction included), so a notification can be part of the
/// write that causes it; with `email` its copy's job is enqueued in the same write.
pub async fn notify_on(conn: &impl ConnectionTrait, backend: DbBackend, n: &NewNotification, now: i64) -> Result<Option<i64>> {
    check(n)?;
    let q = Query::insert()
        .into_table(col("notifications"))
        .columns(["workspace_id", "user_id", "kind", "title", "body", "link", "deal_id", "dedupe_key", "created_at"].map(col))
        .values_panic([
            n.workspace_id.into(),
            n.user_id.into(),
            n.kind.clone().into(),
            n.title.clone().into(),
            n.body.clone().into(),
            n.link.clone().into(),
            n.deal_id.into(),
            n.dedupe_key.clone().into(),
            now.into(),
        ])
        .on_conflict(OnConflict::columns([col("workspace_id"), col("user_id"), col("dedupe_key")]).do_nothing().to_owned())
        .returning_col(col("id"))
        .to_owned();
    let row = conn.query_one(backend.build(&q)).await?;
    let Some(id) = row.map(|r| r.try_get::<i64>("", "id")).transpose()? else {
        return Ok(None);
    };
    if n.email {
        let job = NewJob::new(n.workspace_id, EMAIL_JOB, json!({"notification_id": id}), now).dedupe(format!("email:{id}"));
        enqueue_on(conn, backend, &job, now).await?;
    }
    crate::live::wake(conn, backend).await?;
    Ok(Some(id))
}

//! A user's iCalendar feed: a secret address (`/ical/{secret}.ics`) a calendar application polls
//! without signing in, and the activities it lists.
//!
//! Only the secret's hash is stored, like an API token's; the address is shown once, when it is
//! made. Making a new one revokes the old, so a leaked address is closed by making another. The
//! feed reads as its user, through the same visibility as every other read: a deactivated user's
//! feed answers nothing, and a task on a record the user may no longer see drops out.
use crate::actor::Actor;
use crate::auth::{new_secret, sha256_hex};
use crate::error::{Result, StoreError};
use crate::records::visible_select;
use crate::sql::col;
use crate::workspace::actor_select;
use crate::Db;
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use sea_orm::{ConnectionTrait, TransactionTrait};
use sea_query::{Expr, JoinType, Order, Query};
use serde::Serialize;

/// Done activities older than this drop out of the feed; open ones stay however old.
pub const DONE_WINDOW_MS: i64 = 60 * 86_400_000;
/// A feed lists at most this many activities (the earliest open ones and the latest done ones
/// past this are a backlog, not a calendar).
pub const MAX_ITEMS: u64 = 10_000;
/// The last use is written at most once an hour: calendar applications poll often.
const USE_GRANULARITY_MS: i64 = 3_600_000;

/// A newly made feed address's secret, in clear: the only time it is visible.
#[derive(Debug, Clone, Serialize)]
pub struct NewFeed {
    pub secret: String,
    pub created_at: i64,
}

/// Whether the caller has a live feed, and since when.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FeedStatus {
    pub active: bool,
    pub created_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// One activity as a calendar shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FeedItem {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub description: Option<String>,
    pub due_at: i64,
    pub duration_min: Option<i64>,
    pub done: bool,
    pub deal_id: Option<i64>,
    pub person_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub updated_at: i64,
}

impl Db {
    /// Makes the caller a new feed address and revokes the one they had, in one transaction.
    pub async fn new_calendar_feed(&self, actor: &Actor) -> Result<NewFeed> {
        if actor.user_id() == 0 {
            // The system itself has no calendar.
            return Err(StoreError::Unauthorized);
        }
        let now = self.clock.now_ms();
        let secret = new_secret("cal_");
        let tx = self.write.begin().await?;
        tx.execute(self.backend.build(&revoke_live(actor, now))).await?;
        let q = Query::insert()
            .into_table(col("calendar_feeds"))
            .columns(["workspace_id", "user_id", "token_hash", "created_at"].map(col))
            .values([actor.ws_id().into(), actor.user_id().into(), sha256_hex(&secret).into(), now.into()])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        tx.commit().await?;
        Ok(NewFeed { secret, created_at: now })
    }

    /// Closes the caller's feed address; true when there was one.
    pub async fn revoke_calendar_feed(&self, actor: &Actor) -> Result<bool> {
        let done = self.write.execute(self.backend.build(&revoke_live(actor, self.clock.now_ms()))).await?;
        Ok(done.rows_affected() > 0)
    }

    /// The caller's live feed, if any.
    pub async fn calendar_feed_status(&self, actor: &Actor) -> Result<FeedStatus> {
        let q = Query::select()
            .columns(["created_at", "last_used_at"].map(col))
            .from(col("calendar_feeds"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("user_id")).eq(actor.user_id()))
            .and_where(Expr::col(col("revoked_at")).is_null())
            .order_by(col("id"), Order::Desc)
            .limit(1)
            .to_owned();
        Ok(match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => {
                FeedStatus { active: true, created_at: Some(r.try_get("", "created_at")?), last_used_at: r.try_get("", "last_used_at")? }
            }
            None => FeedStatus { active: false, created_at: None, last_used_at: None },
        })
    }

    /// The user a live feed secret belongs to, as an actor reading through the calendar. An
    /// unknown, revoked or deactivated user's secret is `NotFound`: the address simply is not there.
    pub async fn actor_for_calendar_feed(&self, secret: &str) -> Result<Actor> {
        let now = self.clock.now_ms();
        let mut q = actor_select();
        q.expr_as(Expr::cust("CAST(f.id AS TEXT) || ':' || CAST(COALESCE(f.last_used_at, 0) AS TEXT)"), col("extra"))
            .join_as(
                JoinType::InnerJoin,
                col("calendar_feeds"),
                col("f"),
                Expr::col((col("f"), col("user_id"))).equals((col("u"), col("id"))),
            )
            .and_where(Expr::col((col("f"), col("workspace_id"))).equals((col("u"), col("workspace_id"))))
            .and_where(Expr::col((col("f"), col("token_hash"))).eq(sha256_hex(secret)))
            .and_where(Expr::col((col("f"), col("revoked_at"))).is_null());
        let (actor, extra) = match self.resolve_actor(q, Channel::Api).await {
            Err(StoreError::Unauthorized) => return Err(StoreError::NotFound),
            other => other?,
        };
        let parsed = extra
            .as_deref()
            .and_then(|e| e.split_once(':'))
            .and_then(|(id, last)| Some((id.parse::<i64>().ok()?, last.parse::<i64>().ok()?)));
        if let Some((id, last)) = parsed.filter(|(_, last)| now - last >= USE_GRANULARITY_MS) {
            let q = Query::update()
                .table(col("calendar_feeds"))
                .value(col("last_used_at"), now)
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("id")).eq(id))
                .and_where(Expr::col(col("last_used_at")).is_null().or(Expr::col(col("last_used_at")).eq(last)))
                .to_owned();
            // Remembering the poll is a courtesy: a failure must not empty the calendar.
            if let Err(e) = self.write.execute(self.backend.build(&q)).await {
                tracing::warn!(error = %e, "could not record a calendar feed's last use");
            }
        }
        Ok(actor)
    }

    /// The caller's own dated activities for their calendar: every open one, and the done ones
    /// of the last [`DONE_WINDOW_MS`] (logged calls left out: they are history, not plans), in
    /// due order, at most [`MAX_ITEMS`].
    pub async fn calendar_feed_items(&self, actor: &Actor) -> Result<Vec<FeedItem>> {
        let since = self.clock.now_ms() - DONE_WINDOW_MS;
        let mut q = visible_select(Entity::Activity, actor, false);
        q.and_where(Expr::col(col("owner_id")).eq(actor.user_id()))
            .and_where(Expr::col(col("due_at")).is_not_null())
            .and_where(
                Expr::col(col("done")).eq(false).or(Expr::col(col("due_at")).gte(since).and(Expr::col(col("call_direction")).is_null())),
            )
            .order_by(col("due_at"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .limit(MAX_ITEMS);
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter()
            .map(|r| {
                Ok(FeedItem {
                    id: r.try_get("", "id")?,
                    kind: r.try_get("", "type")?,
                    subject: r.try_get("", "subject")?,
                    description: r.try_get("", "description")?,
                    due_at: r.try_get("", "due_at")?,
                    duration_min: r.try_get("", "duration_min")?,
                    done: r.try_get("", "done")?,
                    deal_id: r.try_get("", "deal_id")?,
                    person_id: r.try_get("", "person_id")?,
                    organization_id: r.try_get("", "organization_id")?,
                    updated_at: r.try_get("", "updated_at")?,
                })
            })
            .collect()
    }
}

fn revoke_live(actor: &Actor, now: i64) -> sea_query::UpdateStatement {
    Query::update()
        .table(col("calendar_feeds"))
        .value(col("revoked_at"), now)
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("user_id")).eq(actor.user_id()))
        .and_where(Expr::col(col("revoked_at")).is_null())
        .to_owned()
}

//! What a signed-in user's open pages hear without a reload (the UI's server-sent events): a new
//! notification (the bell's count), and a new inbound call or message from one of their clients
//! (a toast with a link to the card).
//!
//! The database is the source: a page keeps a [`LiveCursor`] (the newest notification, call and
//! message it has seen) and asks [`Db::live_since`] for what is newer, so every server process
//! sharing the database sees every event whichever process wrote it. On PostgreSQL a write that
//! creates one also sends `NOTIFY poryadok_live` (delivered at commit), which wakes the pages of
//! every process at once; without it a page looks every few seconds.
use crate::actor::Actor;
use crate::error::Result;
use crate::rules::scalar_i64;
use crate::sql::{aliased, col};
use crate::Db;
use poryadok_core::domain::ActivityType;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_query::{Expr, Order, Query, SelectStatement};

/// The PostgreSQL channel that wakes the pages.
pub const LIVE_CHANNEL: &str = "poryadok_live";

/// The newest ids a page has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveCursor {
    pub notification: i64,
    pub call: i64,
    pub message: i64,
}

/// Something a page shows as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// The bell's count of unread notifications changed.
    Bell { unread: i64 },
    /// An inbound call on one of the user's deals or clients: who called, and the card.
    Call { from: String, link: String },
    /// An inbound message (Telegram, e-mail) from one of the user's clients.
    Message { from: String, channel: String, link: String },
}

/// Events of one kind per look, at most: a flood shows as its newest few.
const PER_LOOK: u64 = 5;

/// The newest id of a workspace's rows: walked from the top of the primary key (a `MAX(id)`
/// over the workspace's index would read all of its millions of activities every few seconds).
fn max_id(table: &str, ws: i64) -> SelectStatement {
    Query::select()
        .column(col("id"))
        .from(col(table))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .order_by(col("id"), Order::Desc)
        .limit(1)
        .to_owned()
}

/// Wakes the pages of every process (PostgreSQL; SQLite pages look by themselves).
pub(crate) async fn wake(conn: &impl ConnectionTrait, backend: DbBackend) -> Result<()> {
    if backend == DbBackend::Postgres {
        conn.execute(Statement::from_string(backend, format!("SELECT pg_notify('{LIVE_CHANNEL}', '')"))).await?;
    }
    Ok(())
}

impl Db {
    /// Where a page starts: everything that exists now counts as seen.
    pub async fn live_start(&self, actor: &Actor) -> Result<LiveCursor> {
        let ws = actor.ws_id();
        let mut mine = max_id("notifications", ws);
        mine.and_where(Expr::col(col("user_id")).eq(actor.user_id()));
        Ok(LiveCursor {
            notification: scalar_i64(&self.read, self.backend, &mine).await?.unwrap_or(0),
            call: scalar_i64(&self.read, self.backend, &max_id("activities", ws)).await?.unwrap_or(0),
            message: scalar_i64(&self.read, self.backend, &max_id("messages", ws)).await?.unwrap_or(0),
        })
    }

    /// What happened for the caller after `seen`, which moves on past it.
    pub async fn live_since(&self, actor: &Actor, seen: &mut LiveCursor) -> Result<Vec<LiveEvent>> {
        let ws = actor.ws_id();
        let mut out = Vec::new();
        let mut mine = max_id("notifications", ws);
        mine.and_where(Expr::col(col("user_id")).eq(actor.user_id()));
        let newest = scalar_i64(&self.read, self.backend, &mine).await?.unwrap_or(0);
        if newest > seen.notification {
            seen.notification = newest;
            out.push(LiveEvent::Bell { unread: self.unread_count(actor).await? });
        }
        // Calls: inbound, on an activity the user owns (intake gives a call to the client's owner).
        let calls = Query::select()
            .columns(["id", "deal_id", "person_id", "phone"].map(|c| (col("a"), col(c))))
            .expr_as(Expr::col((col("p"), col("name"))), col("person_name"))
            .from_as(col("activities"), col("a"))
            .left_join(aliased("persons", "p"), Expr::col((col("p"), col("id"))).equals((col("a"), col("person_id"))))
            .and_where(Expr::col((col("a"), col("workspace_id"))).eq(ws))
            .and_where(Expr::col((col("a"), col("id"))).gt(seen.call))
            .and_where(Expr::col((col("a"), col("type"))).eq(ActivityType::Call.as_str()))
            .and_where(Expr::col((col("a"), col("call_direction"))).eq("inbound"))
            .and_where(Expr::col((col("a"), col("owner_id"))).eq(actor.user_id()))
            .order_by((col("a"), col("id")), Order::Desc)
            .limit(PER_LOOK)
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&calls)).await?;
        for r in rows.iter().rev() {
            let id: i64 = r.try_get("", "id")?;
            seen.call = seen.call.max(id);
            let (deal, person): (Option<i64>, Option<i64>) = (r.try_get("", "deal_id")?, r.try_get("", "person_id")?);
            let from = r.try_get::<Option<String>>("", "person_name")?.or(r.try_get::<Option<String>>("", "phone")?).unwrap_or_default();
            out.push(LiveEvent::Call { from, link: card_link(deal, person) });
        }
        // Messages: inbound, from a person the user owns.
        let messages = Query::select()
            .columns(["id", "deal_id", "person_id", "channel", "sender"].map(|c| (col("m"), col(c))))
            .expr_as(Expr::col((col("p"), col("name"))), col("person_name"))
            .from_as(col("messages"), col("m"))
            .inner_join(aliased("persons", "p"), Expr::col((col("p"), col("id"))).equals((col("m"), col("person_id"))))
            .and_where(Expr::col((col("m"), col("workspace_id"))).eq(ws))
            .and_where(Expr::col((col("m"), col("id"))).gt(seen.message))
            .and_where(Expr::col((col("m"), col("direction"))).eq("in"))
            .and_where(Expr::col((col("p"), col("owner_id"))).eq(actor.user_id()))
            .order_by((col("m"), col("id")), Order::Desc)
            .limit(PER_LOOK)
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&messages)).await?;
        for r in rows.iter().rev() {
            let id: i64 = r.try_get("", "id")?;
            seen.message = seen.message.max(id);
            let (deal, person): (Option<i64>, Option<i64>) = (r.try_get("", "deal_id")?, r.try_get("", "person_id")?);
            let from = r.try_get::<Option<String>>("", "person_name")?.or(r.try_get::<Option<String>>("", "sender")?).unwrap_or_default();
            out.push(LiveEvent::Message { from, channel: r.try_get("", "channel")?, link: card_link(deal, person) });
        }
        // Past what the look saw, the other workspaces' and users' rows do not matter: move on.
        seen.call = seen.call.max(scalar_i64(&self.read, self.backend, &max_id("activities", ws)).await?.unwrap_or(0));
        seen.message = seen.message.max(scalar_i64(&self.read, self.backend, &max_id("messages", ws)).await?.unwrap_or(0));
        Ok(out)
    }
}

fn card_link(deal: Option<i64>, person: Option<i64>) -> String {
    match (deal, person) {
        (Some(d), _) => format!("/deals/{d}"),
        (None, Some(p)) => format!("/persons/{p}"),
        _ => "/today".into(),
    }
}

impl Db {
    /// On PostgreSQL, listens on [`LIVE_CHANNEL`] and wakes `pages` for each notification (every
    /// process's pages then look at once), reconnecting after a lost connection; it stops when
    /// `pages` is dropped. Nothing on SQLite, whose pages look by themselves.
    pub fn listen_live(&self, pages: std::sync::Weak<tokio::sync::Notify>) {
        if !self.is_postgres() {
            return;
        }
        let pool = self.read.get_postgres_connection_pool().clone();
        tokio::spawn(async move {
            let tick = std::time::Duration::from_secs(30);
            while pages.strong_count() > 0 {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => match listener.listen(LIVE_CHANNEL).await {
                        Ok(()) => loop {
                            match tokio::time::timeout(tick, listener.recv()).await {
                                Ok(Ok(_)) => match pages.upgrade() {
                                    Some(n) => n.notify_waiters(),
                                    None => return,
                                },
                                Ok(Err(e)) => {
                                    tracing::warn!(error = %e, "live events: the listener lost its connection");
                                    break;
                                }
                                Err(_) if pages.strong_count() == 0 => return,
                                Err(_) => {}
                            }
                        },
                        Err(e) => tracing::warn!(error = %e, "live events: LISTEN failed"),
                    },
                    Err(e) => tracing::warn!(error = %e, "live events: no listener connection"),
                }
                // Meanwhile pages still look by themselves.
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
        });
    }
}

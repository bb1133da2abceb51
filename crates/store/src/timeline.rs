//! The timeline of a record: its history (and that of the records merged into it), notes,
//! activities and messages merged into one stream, newest first, in pages. Each source is read with its own `LIMIT` past the cursor and the results are
//! merged here, so a page costs the same however long the record's past is.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::records::{decode, visible_select, Row};
use crate::sql::col;
use crate::Db;
use poryadok_core::msg::{Common, RecordMsg};
use poryadok_core::schema::Entity;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Order, Query, SelectStatement, SimpleExpr};
use serde_json::Value as Json;

/// Most items one page may ask for.
pub const MAX_TIMELINE_LIMIT: u64 = 200;

/// The sources of a timeline. The order is the tie-break between items of the same instant, so a
/// new kind (messages) goes at the end with the next rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimelineKind {
    History = 0,
    Note = 1,
    Activity = 2,
    Message = 3,
}

impl TimelineKind {
    fn rank(self) -> i64 {
        self as i64
    }
    fn from_rank(r: i64) -> Option<Self> {
        [TimelineKind::History, TimelineKind::Note, TimelineKind::Activity, TimelineKind::Message].into_iter().find(|k| k.rank() == r)
    }
}

/// One history event of the record itself, or of a record merged into it.
#[derive(Debug, Clone)]
pub struct HistoryEvent {
    pub id: i64,
    /// The record the event is about: the timeline's own, or one merged into it.
    pub record_id: i64,
    pub action: String,
    pub actor_id: Option<i64>,
    pub channel: String,
    /// `{"field": {"from": …, "to": …}}`, wire form values.
    pub changes: Json,
    pub at: i64,
}

impl HistoryEvent {
    /// The import that wrote this event, when a CRM import created or updated the record.
    pub fn import_id(&self) -> Option<i64> {
        self.changes.get("import_id").and_then(Json::as_i64)
    }

    /// A file attached to (`true`) or removed from (`false`) the record, and its name.
    /// A merge's records: the one merged into this (`merged_from`) and the one this went into
    /// (`merged_into`).
    pub fn merged(&self) -> (Option<i64>, Option<i64>) {
        let id = |k: &str| self.changes.get(k).and_then(Json::as_i64);
        (id("merged_from"), id("merged_into"))
    }

    pub fn file_change(&self) -> Option<(bool, &str)> {
        let (attached, file) = match (self.changes.get("file_attached"), self.changes.get("file_removed")) {
            (Some(f), _) => (true, f),
            (None, Some(f)) => (false, f),
            (None, None) => return None,
        };
        Some((attached, file.get("name").and_then(Json::as_str).unwrap_or("")))
    }
}

/// A Telegram or e-mail message to or from the client.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: i64,
    pub channel: String,
    /// `in` or `out`.
    pub direction: String,
    pub person_id: Option<i64>,
    pub deal_id: Option<i64>,
    pub sender: Option<String>,
    pub recipients: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub sent_at: i64,
    /// A reply written on the card: `queued`, `sent` or `failed`, and why it failed.
    pub delivery: Option<String>,
    pub delivery_failure: Box<crate::intake::Failure>,
    /// The names of the files an outgoing e-mail carries.
    pub attachments: Vec<String>,
    /// A queued notification waits until then (the end of quiet hours).
    pub not_before: Option<i64>,
}

/// An outgoing message's state, beside its conversation row.
const DELIVERY: &str =
    "(SELECT o.status FROM outbound_messages o WHERE o.workspace_id = messages.workspace_id AND o.id = messages.outbound_id)";
const DELIVERY_ERROR: &str =
    "(SELECT o.error FROM outbound_messages o WHERE o.workspace_id = messages.workspace_id AND o.id = messages.outbound_id)";
const DELIVERY_FILES: &str =
    "(SELECT o.attachments FROM outbound_messages o WHERE o.workspace_id = messages.workspace_id AND o.id = messages.outbound_id)";
const DELIVERY_NOT_BEFORE: &str =
    "(SELECT o.not_before FROM outbound_messages o WHERE o.workspace_id = messages.workspace_id AND o.id = messages.outbound_id)";

#[derive(Debug, Clone)]
pub enum TimelineItem {
    History(HistoryEvent),
    Note(Row),
    Activity(Row),
    Message(Message),
}

impl TimelineItem {
    pub fn kind(&self) -> TimelineKind {
        match self {
            TimelineItem::History(_) => TimelineKind::History,
            TimelineItem::Note(_) => TimelineKind::Note,
            TimelineItem::Activity(_) => TimelineKind::Activity,
            TimelineItem::Message(_) => TimelineKind::Message,
        }
    }
    pub fn id(&self) -> i64 {
        match self {
            TimelineItem::History(h) => h.id,
            TimelineItem::Note(r) | TimelineItem::Activity(r) => r.id(),
            TimelineItem::Message(m) => m.id,
        }
    }
    /// When it happened: the event's or the record's creation time, or when a message was sent.
    pub fn at(&self) -> i64 {
        match self {
            TimelineItem::History(h) => h.at,
            TimelineItem::Message(m) => m.sent_at,
            TimelineItem::Note(r) | TimelineItem::Activity(r) => r.get("created_at").as_int().unwrap_or(0),
        }
    }
    /// The position in the stream: larger is newer.
    fn key(&self) -> (i64, i64, i64) {
        (self.at(), self.kind().rank(), self.id())
    }
}

/// Where a page ends; the next page starts strictly after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    at: i64,
    kind: TimelineKind,
    id: i64,
}

impl Cursor {
    fn encode(&self) -> String {
        format!("{}.{}.{}", self.at, self.kind.rank(), self.id)
    }
    fn decode(raw: &str) -> Result<Cursor> {
        let bad = || StoreError::invalid("before", Common::BadCursor {});
        let mut it = raw.split('.').map(|p| p.parse::<i64>().map_err(|_| bad()));
        let (Some(at), Some(kind), Some(id), None) = (it.next(), it.next(), it.next(), it.next()) else { return Err(bad()) };
        Ok(Cursor { at: at?, kind: TimelineKind::from_rank(kind?).ok_or_else(bad)?, id: id? })
    }

    /// Rows of source `kind` (timed by `time_col`) that come after the cursor in the newest-first order.
    fn condition(&self, kind: TimelineKind, time_col: &str) -> SimpleExpr {
        let t = || Expr::col(col(time_col));
        match kind.cmp(&self.kind) {
            std::cmp::Ordering::Less => t().lte(self.at),
            std::cmp::Ordering::Greater => t().lt(self.at),
            std::cmp::Ordering::Equal => t().lt(self.at).or(t().eq(self.at).and(Expr::col(col("id")).lt(self.id))),
        }
    }
}

/// Merges sources that are each sorted newest first into one page of `limit` and its cursor.
fn merge(mut items: Vec<TimelineItem>, limit: usize) -> (Vec<TimelineItem>, Option<String>) {
    items.sort_by_key(|i| std::cmp::Reverse(i.key()));
    if items.len() <= limit {
        return (items, None);
    }
    items.truncate(limit);
    let next = items.last().map(|l| Cursor { at: l.at(), kind: l.kind(), id: l.id() }.encode());
    (items, next)
}

/// Notes and activities belong to a record through its column; a person's or an organization's
/// also include those of their deals.
fn linked_to(entity: Entity, id: i64, ws: i64) -> SimpleExpr {
    let own = match entity {
        Entity::Deal => "deal_id",
        Entity::Person => "person_id",
        _ => "organization_id",
    };
    let cond = Expr::col(col(own)).eq(id);
    if entity != Entity::Deal {
        let deals = Query::select()
            .column(col("id"))
            .from(col(Entity::Deal.table()))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col(own)).eq(id))
            .to_owned();
        return cond.or(Expr::col(col("deal_id")).in_subquery(deals));
    }
    cond
}

impl Db {
    /// One page of the timeline of `entity` `id` (a deal, person or organization), newest first,
    /// starting after `before` (a cursor from the previous page). Fails as [`Db::get`] does when the
    /// caller may not see the record. Notes and activities are those the caller may see; messages
    /// and history come with the record.
    pub async fn timeline(
        &self,
        actor: &Actor,
        entity: Entity,
        id: i64,
        before: Option<&str>,
        limit: u64,
    ) -> Result<(Vec<TimelineItem>, Option<String>)> {
        if !matches!(entity, Entity::Deal | Entity::Person | Entity::Organization) {
            return Err(StoreError::invalid("entity", RecordMsg::NoTimeline {}));
        }
        if !(1..=MAX_TIMELINE_LIMIT).contains(&limit) {
            return Err(StoreError::invalid("limit", Common::Between { min: 1, max: MAX_TIMELINE_LIMIT as i64 }));
        }
        self.get(actor, entity, id).await?;
        let cursor = before.map(Cursor::decode).transpose()?;
        let mut items = self.history_items(actor, entity, id, cursor, limit).await?;
        for (kind, source) in [(TimelineKind::Note, Entity::Note), (TimelineKind::Activity, Entity::Activity)] {
            let mut q = visible_select(source, actor, false);
            q.and_where(linked_to(entity, id, actor.ws_id()));
            let rows = self.read.query_all(self.backend.build(&page_of(q, kind, cursor, limit, "created_at"))).await?;
            for r in &rows {
                let row = decode(source, r)?;
                items.push(if kind == TimelineKind::Note { TimelineItem::Note(row) } else { TimelineItem::Activity(row) });
            }
        }
        items.extend(self.message_items(actor, entity, id, cursor, limit).await?);
        Ok(merge(items, limit as usize))
    }

    /// Events of the record and of every person or organization merged into it (merges re-point
    /// older `merged_into`, so one level reaches them all).
    async fn history_items(&self, actor: &Actor, entity: Entity, id: i64, cursor: Option<Cursor>, limit: u64) -> Result<Vec<TimelineItem>> {
        let mut about = Expr::col(col("record_id")).eq(id);
        if matches!(entity, Entity::Person | Entity::Organization) {
            if let Some(merged) = self.linked(actor, "record_id", entity.table(), "merged_into", id).await? {
                about = about.or(merged);
            }
        }
        let q = Query::select()
            .columns(["id", "record_id", "action", "actor_id", "channel", "changes", "created_at"].map(col))
            .from(col("history"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("entity")).eq(entity.name()))
            .and_where(about)
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&page_of(q, TimelineKind::History, cursor, limit, "created_at"))).await?;
        rows.iter()
            .map(|r| {
                let changes: String = r.try_get("", "changes")?;
                Ok(TimelineItem::History(HistoryEvent {
                    id: r.try_get("", "id")?,
                    record_id: r.try_get("", "record_id")?,
                    action: r.try_get("", "action")?,
                    actor_id: r.try_get("", "actor_id")?,
                    channel: r.try_get("", "channel")?,
                    changes: serde_json::from_str(&changes).unwrap_or(Json::Null),
                    at: r.try_get("", "created_at")?,
                }))
            })
            .collect()
    }

    /// Messages of a deal; of a person, theirs and their deals'; of an organization, its people's
    /// and its deals'.
    async fn message_items(&self, actor: &Actor, entity: Entity, id: i64, cursor: Option<Cursor>, limit: u64) -> Result<Vec<TimelineItem>> {
        let ws = actor.ws_id();
        let mut parts = Vec::new();
        match entity {
            Entity::Deal => parts.push(Expr::col(col("deal_id")).eq(id)),
            Entity::Person => {
                parts.push(Expr::col(col("person_id")).eq(id));
                parts.extend(self.linked(actor, "deal_id", "deals", "person_id", id).await?);
            }
            _ => {
                parts.extend(self.linked(actor, "person_id", "persons", "organization_id", id).await?);
                parts.extend(self.linked(actor, "deal_id", "deals", "organization_id", id).await?);
            }
        }
        let Some(cond) = parts.into_iter().reduce(SimpleExpr::or) else { return Ok(Vec::new()) };
        let q = Query::select()
            .columns(["id", "channel", "direction", "person_id", "deal_id", "sender", "recipients", "subject", "body", "sent_at"].map(col))
            .expr_as(Expr::cust(DELIVERY), col("delivery"))
            .expr_as(Expr::cust(DELIVERY_ERROR), col("delivery_error"))
            .expr_as(Expr::cust(DELIVERY_FILES), col("delivery_files"))
            .expr_as(Expr::cust(DELIVERY_NOT_BEFORE), col("delivery_not_before"))
            .from(col("messages"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(cond)
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&page_of(q, TimelineKind::Message, cursor, limit, "sent_at"))).await?;
        rows.iter()
            .map(|r| {
                Ok(TimelineItem::Message(Message {
                    id: r.try_get("", "id")?,
                    channel: r.try_get("", "channel")?,
                    direction: r.try_get("", "direction")?,
                    person_id: r.try_get("", "person_id")?,
                    deal_id: r.try_get("", "deal_id")?,
                    sender: r.try_get("", "sender")?,
                    recipients: r.try_get("", "recipients")?,
                    subject: r.try_get("", "subject")?,
                    body: r.try_get("", "body")?,
                    sent_at: r.try_get("", "sent_at")?,
                    delivery: r.try_get("", "delivery")?,
                    delivery_failure: Box::new(crate::intake::Failure::read(r.try_get("", "delivery_error")?)),
                    attachments: r
                        .try_get::<Option<String>>("", "delivery_files")?
                        .and_then(|a| serde_json::from_str::<Vec<crate::channels::replies::Attachment>>(&a).ok())
                        .unwrap_or_default()
                        .into_iter()
                        .map(|a| a.name)
                        .collect(),
                    not_before: r.try_get("", "delivery_not_before")?,
                }))
            })
            .collect()
    }
}

/// Most linked ids written into a condition as a list; more are read by a subquery.
const LIST_MAX: u64 = 1000;

impl Db {
    /// `column IN` the ids of `table`'s rows (deleted ones too) whose `link` is `id`; `None` when
    /// there are none. A short list is written out: PostgreSQL turns `a = x OR b IN (subquery)`
    /// into a scan of the whole table, but `a = x OR b IN (list)` into index look-ups.
    async fn linked(&self, actor: &Actor, column: &str, table: &str, link: &str, id: i64) -> Result<Option<SimpleExpr>> {
        let sub = Query::select()
            .column(col("id"))
            .from(col(table))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col(link)).eq(id))
            .to_owned();
        let mut q = sub.clone();
        q.limit(LIST_MAX + 1);
        let ids =
            self.read.query_all(self.backend.build(&q)).await?.iter().map(|r| r.try_get::<i64>("", "id")).collect::<Result<Vec<_>, _>>()?;
        Ok(match ids.len() as u64 {
            0 => None,
            n if n <= LIST_MAX => Some(Expr::col(col(column)).is_in(ids)),
            _ => Some(Expr::col(col(column)).in_subquery(sub)),
        })
    }
}

/// The newest `limit + 1` rows of one source after the cursor, timed by `time_col`: one more
/// than a page tells the merge whether anything is left.
fn page_of(mut q: SelectStatement, kind: TimelineKind, cursor: Option<Cursor>, limit: u64, time_col: &str) -> SelectStatement {
    if let Some(c) = cursor {
        q.and_where(c.condition(kind, time_col));
    }
    q.order_by(col(time_col), Order::Desc).order_by(col("id"), Order::Desc).limit(limit + 1);
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64, at: i64) -> TimelineItem {
        TimelineItem::History(HistoryEvent {
            id,
            record_id: 1,
            action: "update".into(),
            actor_id: None,
            channel: "ui".into(),
            changes: Json::Null,
            at,
        })
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let c = Cursor { at: 1_700_000_000_000, kind: TimelineKind::Note, id: 42 };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "1.2", "1.9.3", "a.b.c", "1.1.1.1"] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn merging_keeps_newest_first_and_points_past_the_last_item() {
        let items = vec![ev(1, 10), ev(2, 30), ev(3, 20), ev(4, 30)];
        let (page, next) = merge(items, 3);
        assert_eq!(page.iter().map(TimelineItem::id).collect::<Vec<_>>(), [4, 2, 3]);
        assert_eq!(next.as_deref(), Some("20.0.3"));
        let (page, next) = merge(vec![ev(1, 10)], 3);
        assert_eq!((page.len(), next), (1, None));
    }
}

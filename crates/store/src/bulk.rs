//! One change applied to many records at once (the lists' bulk actions, `POST /api/v1/{…}/bulk`):
//! each record goes through the same write as a single change — its access check, validation,
//! regulation and history — so a bulk action refuses exactly what single changes would, record
//! by record, and changes nothing it reports as refused. The writes run a few at a time, so on
//! SQLite they share group commits.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::Db;
use poryadok_core::msg::Common;
use poryadok_core::schema::Entity;
use serde_json::{json, Value as Json};
use tokio::task::JoinSet;

/// Records one bulk action may change.
pub const MAX_BULK: usize = 1_000;
/// Writes in flight at once.
const IN_FLIGHT: usize = 32;

/// What a bulk action does to each record.
#[derive(Debug, Clone)]
pub enum BulkChange {
    /// The same fields written to each (owner, stage…).
    Update(Json),
    /// A task created for each deal (`deal_id` is added), with the deal's owner unless given.
    AddTask(Json),
    Delete,
}

/// What happened to each record.
#[derive(Debug, Default)]
pub struct BulkOutcome {
    pub done: Vec<i64>,
    pub refused: Vec<(i64, StoreError)>,
}

impl Db {
    pub async fn bulk(&self, actor: &Actor, entity: Entity, ids: &[i64], change: &BulkChange) -> Result<BulkOutcome> {
        if ids.is_empty() {
            return Err(StoreError::invalid("ids", Common::Required {}));
        }
        if ids.len() > MAX_BULK {
            return Err(StoreError::invalid("ids", Common::AtMostAtATime { n: MAX_BULK as i64, what: entity.path().into() }));
        }
        let mut unique = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let mut out = BulkOutcome::default();
        let mut running = JoinSet::new();
        let mut queue = unique.into_iter();
        loop {
            while running.len() < IN_FLIGHT {
                let Some(id) = queue.next() else { break };
                let (db, actor, change) = (self.clone(), actor.clone(), change.clone());
                running.spawn(async move { (id, db.bulk_one(&actor, entity, id, &change).await) });
            }
            let Some(joined) = running.join_next().await else { break };
            let (id, result) = joined.map_err(|e| StoreError::Internal(format!("bulk write failed: {e}")))?;
            match result {
                Ok(()) => out.done.push(id),
                Err(e) if e.is_internal() => return Err(e),
                Err(e) => out.refused.push((id, e)),
            }
        }
        out.done.sort_unstable();
        out.refused.sort_by_key(|(id, _)| *id);
        Ok(out)
    }

    async fn bulk_one(&self, actor: &Actor, entity: Entity, id: i64, change: &BulkChange) -> Result<()> {
        match change {
            BulkChange::Update(body) => self.update(actor, entity, id, body).await.map(|_| ()),
            BulkChange::Delete => self.delete(actor, entity, id).await,
            BulkChange::AddTask(task) => {
                // The deal must be the caller's to see; the task goes to its owner by default.
                let deal = self.get(actor, Entity::Deal, id).await?;
                let mut body = task.clone();
                if let Some(obj) = body.as_object_mut() {
                    obj.insert("deal_id".into(), json!(id));
                    if !obj.contains_key("owner_id") {
                        obj.insert("owner_id".into(), json!(deal.get("owner_id").as_int()));
                    }
                }
                self.create(actor, Entity::Activity, &body).await.map(|_| ())
            }
        }
    }
}

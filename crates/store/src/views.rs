//! Small read models the web UI needs around records it already shows: display names of linked
//! records and the next open task of deals. Each is one query for a whole page of records.
use crate::actor::Actor;
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::schema::Entity;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Func, Query};
use std::collections::HashMap;

/// Deals with an open task, and the earliest due time among them (`None` when no task has one).
pub type NextTasks = HashMap<i64, Option<i64>>;

impl Db {
    /// Display names of `ids` of `entity` (organizations, persons, users, stages, pipelines, teams;
    /// a deal's title) in the caller's workspace. The name of a record linked to one you see is
    /// shown even when the linked record itself is another manager's.
    pub async fn names(&self, actor: &Actor, entity: Entity, ids: impl IntoIterator<Item = i64>) -> Result<HashMap<i64, String>> {
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let name = if entity == Entity::Deal { "title" } else { "name" };
        let q = Query::select()
            .column(col("id"))
            .expr_as(Expr::col(col(name)), col("name"))
            .from(col(entity.table()))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).is_in(ids))
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(|r| Ok((r.try_get::<i64>("", "id")?, r.try_get::<String>("", "name")?))).collect()
    }

    /// For each of `deals` that has an open task: the earliest due time.
    pub async fn next_tasks(&self, actor: &Actor, deals: &[i64]) -> Result<NextTasks> {
        if deals.is_empty() {
            return Ok(HashMap::new());
        }
        let q = Query::select()
            .column(col("deal_id"))
            .expr_as(Func::min(Expr::col(col("due_at"))), col("due"))
            .from(col("activities"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deal_id")).is_in(deals.iter().copied()))
            .and_where(Expr::col(col("done")).eq(false))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .group_by_col(col("deal_id"))
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(|r| Ok((r.try_get::<i64>("", "deal_id")?, r.try_get::<Option<i64>>("", "due")?))).collect()
    }
}

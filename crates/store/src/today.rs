//! The "today" read model: a user's open tasks due up to a moment (overdue and today's), plus
//! those without a due time.
use crate::actor::Actor;
use crate::error::Result;
use crate::records::{decode, visible_select, Row};
use crate::sql::col;
use crate::Db;
use poryadok_core::schema::Entity;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Order};

/// More open tasks than this on one screen is a backlog to clean up, not a day's plan.
pub const MAX_TASKS: u64 = 500;

impl Db {
    /// The caller's own open activities due before `until_ms` or without a due time, in due order
    /// (undated last), at most [`MAX_TASKS`].
    pub async fn open_tasks(&self, actor: &Actor, until_ms: i64) -> Result<Vec<Row>> {
        let entity = Entity::Activity;
        let mut q = visible_select(entity, actor, false);
        q.and_where(Expr::col(col("owner_id")).eq(actor.user_id()))
            .and_where(Expr::col(col("done")).eq(false))
            .and_where(Expr::col(col("due_at")).lt(until_ms).or(Expr::col(col("due_at")).is_null()))
            // Backends disagree on where NULLs sort; ordering by "is null" first makes both put them last.
            .order_by_expr(Expr::col(col("due_at")).is_null(), Order::Asc)
            .order_by(col("due_at"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .limit(MAX_TASKS);
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(|r| decode(entity, r)).collect()
    }
}

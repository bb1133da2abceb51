//! The filter language against the database: the workspace's schema for the checker
//! (custom fields, stages, pipelines, teams), and checked filters as list conditions.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::filter_sql::Compiler;
use crate::sql::col;
use crate::Db;
use poryadok_core::filter::{self, Checked, FilterSchema, PipelineInfo, StageInfo};
use poryadok_core::msg::RecordMsg;
use poryadok_core::schema::Entity;
use poryadok_core::validate::CustomDef;
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
use sea_query::{Expr, Order, Query, SimpleExpr};

/// Entities a filter can select.
pub fn filterable(entity: Entity) -> bool {
    matches!(entity, Entity::Deal | Entity::Person | Entity::Organization | Entity::Activity)
}

pub(crate) async fn load_schema(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, entity: Entity) -> Result<FilterSchema> {
    let ws = actor.ws_id();
    let live = |table: &str, cols: &[&str]| {
        Query::select()
            .columns(cols.iter().map(|c| col(c)))
            .from(col(table))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("id"), Order::Asc)
            .to_owned()
    };
    let mut schema = FilterSchema::new(entity);
    schema.me = (actor.user_id() != 0).then_some(actor.user_id());
    for r in conn.query_all(backend.build(&live("stages", &["id", "pipeline_id", "name", "position"]))).await? {
        schema.stages.push(StageInfo {
            id: r.try_get("", "id")?,
            pipeline_id: r.try_get("", "pipeline_id")?,
            name: r.try_get("", "name")?,
            position: r.try_get("", "position")?,
        });
    }
    for r in conn.query_all(backend.build(&live("pipelines", &["id", "name"]))).await? {
        schema.pipelines.push(PipelineInfo { id: r.try_get("", "id")?, name: r.try_get("", "name")? });
    }
    for r in conn.query_all(backend.build(&live("teams", &["id", "name"]))).await? {
        schema.teams.push((r.try_get("", "id")?, r.try_get("", "name")?));
    }
    let mut by_entity: Vec<(Entity, Vec<CustomDef>)> = Vec::new();
    for (e, def) in crate::records::read_custom_defs(conn, backend, ws, None).await? {
        match by_entity.iter_mut().find(|(x, _)| *x == e) {
            Some((_, defs)) => defs.push(def),
            None => by_entity.push((e, vec![def])),
        }
    }
    schema.custom = by_entity;
    // Channel aliases, for `first_touch.channel` and the like (a deal's filter, or `exists deal(…)`).
    let aliases = Query::select()
        .columns(["alias", "channel"].map(col))
        .from(col("channel_aliases"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .to_owned();
    let mut pairs = Vec::new();
    for r in conn.query_all(backend.build(&aliases)).await? {
        pairs.push((r.try_get::<String>("", "alias")?, r.try_get::<String>("", "channel")?));
    }
    schema.channels = std::sync::Arc::new(poryadok_core::attribution::Channels::new(pairs));
    Ok(schema)
}

/// Parses and checks `src`; a mistake is a validation error on `field` with the position shown.
pub(crate) fn check_source(src: &str, schema: &FilterSchema, field: &str) -> Result<Checked> {
    filter::parse_and_check(src, schema).map_err(|e| StoreError::Filter {
        field: field.to_string(),
        error: Box::new(e),
        text: src.to_string(),
    })
}

pub(crate) async fn check_on(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    entity: Entity,
    src: &str,
    field: &str,
) -> Result<Checked> {
    if !filterable(entity) {
        return Err(StoreError::invalid(field, RecordMsg::NotFilterable { entity: entity.path().to_string() }));
    }
    let schema = load_schema(conn, backend, actor, entity).await?;
    check_source(src, &schema, field)
}

impl Db {
    pub async fn filter_schema(&self, actor: &Actor, entity: Entity) -> Result<FilterSchema> {
        load_schema(&self.read, self.backend, actor, entity).await
    }

    pub async fn check_filter(&self, actor: &Actor, entity: Entity, src: &str, field: &str) -> Result<Checked> {
        check_on(&self.read, self.backend, actor, entity, src, field).await
    }

    /// The SQL condition of a checked filter over `entity`'s table (unaliased), with `now` at `now_ms`.
    pub fn filter_condition(&self, actor: &Actor, checked: &Checked, now_ms: i64) -> SimpleExpr {
        Compiler::new(self.backend, &actor.caller, now_ms).compile(checked.cond(), checked.entity())
    }

    /// How many records the caller sees that match at `now_ms` (for editors showing a live hit count).
    pub async fn count_matching(&self, actor: &Actor, checked: &Checked, now_ms: i64) -> Result<i64> {
        let entity = checked.entity();
        let mut q = Query::select();
        q.expr(Expr::cust("COUNT(*)")).from(col(entity.table())).and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()));
        if entity.soft_delete() {
            q.and_where(Expr::col(col("deleted_at")).is_null());
        }
        if let Some(c) = crate::actor::scope_condition(entity, &actor.caller) {
            q.and_where(c);
        }
        q.and_where(self.filter_condition(actor, checked, now_ms));
        let row = self.read.query_one(self.backend.build(&q)).await?;
        Ok(match row {
            Some(r) => r.try_get_by_index::<i64>(0)?,
            None => 0,
        })
    }
}

impl Db {
    /// Runs a hand-written `SELECT COUNT(*)` with `$1` = workspace and `$2` = now (benchmarks).
    pub async fn raw_count(&self, sql: &str, workspace: i64, now_ms: i64) -> Result<i64> {
        let sql = if self.is_postgres() { sql.to_string() } else { sql.replace("$1", "?1").replace("$2", "?2") };
        let stmt = sea_orm::Statement::from_sql_and_values(self.backend, sql, [workspace.into(), now_ms.into()]);
        let row = self.read.query_one(stmt).await?;
        Ok(match row {
            Some(r) => r.try_get_by_index::<i64>(0)?,
            None => 0,
        })
    }

    /// Benchmarks: runs hand-written SQL with `$1` = the workspace; returns the rows it read.
    pub async fn raw_rows(&self, sql: &str, ws: i64) -> Result<usize> {
        let sql = if self.is_postgres() { sql.to_string() } else { sql.replace("$1", "?1") };
        Ok(self.read.query_all(sea_orm::Statement::from_sql_and_values(self.backend, sql, [ws.into()])).await?.len())
    }

    /// Benchmarks: runs one hand-written write with `$1` = the workspace, committed.
    pub async fn raw_write(&self, sql: &str, ws: i64) -> Result<u64> {
        let sql = if self.is_postgres() { sql.to_string() } else { sql.replace("$1", "?1") };
        Ok(self.write.execute(sea_orm::Statement::from_sql_and_values(self.backend, sql, [ws.into()])).await?.rows_affected())
    }

    /// Runs hand-written statements in one committed transaction with `$1` = workspace and
    /// `$2` = now (benchmarks; every statement must use both, as PostgreSQL refuses unused
    /// parameters); returns the rows each affected.
    pub async fn raw_execute(&self, statements: &[String], workspace: i64, now_ms: i64) -> Result<Vec<u64>> {
        let tx = self.write.begin().await?;
        let mut affected = Vec::with_capacity(statements.len());
        for sql in statements {
            let sql = if self.is_postgres() { sql.clone() } else { sql.replace("$1", "?1").replace("$2", "?2") };
            let stmt = sea_orm::Statement::from_sql_and_values(self.backend, sql, [workspace.into(), now_ms.into()]);
            affected.push(tx.execute(stmt).await?.rows_affected());
        }
        tx.commit().await?;
        Ok(affected)
    }
}

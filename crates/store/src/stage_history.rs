//! Every stay of a deal in a stage (`stage_stays`): the write path opens a stay when a deal is
//! created and, when its stage changes, closes the open one and opens the next, recording the
//! stage it came from. The funnel reads which stages a deal reached and the stage reports read how
//! long it stayed, exactly. Deals that existed before are filled in from their history
//! ([`backfill_all`], run by the migration that brought stage history).
use crate::error::{Result, StoreError};
use crate::records::Row;
use crate::sql::col;
use poryadok_core::schema::Entity;
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
use sea_query::{Expr, Order, Query};
use serde_json::Value as Json;
use std::collections::HashMap;

/// One stay, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Stay {
    pub workspace_id: i64,
    pub deal_id: i64,
    pub pipeline_id: i64,
    pub stage_id: i64,
    pub from_stage_id: Option<i64>,
    pub entered_at: i64,
    pub left_at: Option<i64>,
}

pub(crate) const COLUMNS: [&str; 7] = ["workspace_id", "deal_id", "pipeline_id", "stage_id", "from_stage_id", "entered_at", "left_at"];

impl Stay {
    pub(crate) fn values(&self) -> [sea_query::SimpleExpr; 7] {
        [
            self.workspace_id.into(),
            self.deal_id.into(),
            self.pipeline_id.into(),
            self.stage_id.into(),
            self.from_stage_id.into(),
            self.entered_at.into(),
            self.left_at.into(),
        ]
    }
}

/// Keeps a deal's stays in step after a write (`old` is the row before an update).
pub(crate) async fn after_write(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, row: &Row, old: Option<&Row>) -> Result<()> {
    if row.entity != Entity::Deal {
        return Ok(());
    }
    let (Some(stage), Some(pipeline)) = (row.get("stage_id").as_int(), row.get("pipeline_id").as_int()) else { return Ok(()) };
    let from = old.and_then(|o| o.get("stage_id").as_int());
    if from == Some(stage) {
        return Ok(());
    }
    let at = row.get("stage_entered_at").as_int().or_else(|| row.get("updated_at").as_int()).unwrap_or(0);
    if old.is_some() {
        let close = Query::update()
            .table(col("stage_stays"))
            .value(col("left_at"), at)
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("deal_id")).eq(row.id()))
            .and_where(Expr::col(col("left_at")).is_null())
            .to_owned();
        conn.execute(backend.build(&close)).await?;
    }
    let stay = Stay {
        workspace_id: ws,
        deal_id: row.id(),
        pipeline_id: pipeline,
        stage_id: stage,
        from_stage_id: from,
        entered_at: at,
        left_at: None,
    };
    insert(conn, backend, &[stay]).await
}

/// [`after_write`] for deals just created, many at once: each one's first stay, in multi-row
/// inserts.
pub(crate) async fn after_create_many(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, rows: &[Row]) -> Result<()> {
    let stays: Vec<Stay> = rows
        .iter()
        .filter(|row| row.entity == Entity::Deal)
        .filter_map(|row| {
            let (stage, pipeline) = (row.get("stage_id").as_int()?, row.get("pipeline_id").as_int()?);
            let at = row.get("stage_entered_at").as_int().or_else(|| row.get("updated_at").as_int()).unwrap_or(0);
            Some(Stay {
                workspace_id: ws,
                deal_id: row.id(),
                pipeline_id: pipeline,
                stage_id: stage,
                from_stage_id: None,
                entered_at: at,
                left_at: None,
            })
        })
        .collect();
    insert(conn, backend, &stays).await
}

/// Writes stays in multi-row inserts.
pub(crate) async fn insert(conn: &impl ConnectionTrait, backend: DbBackend, stays: &[Stay]) -> Result<()> {
    // Seven values a row, under SQLite's limit of bound values per statement.
    for chunk in stays.chunks(4_000) {
        let mut q = Query::insert();
        q.into_table(col("stage_stays")).columns(COLUMNS.map(col));
        for s in chunk {
            q.values(s.values()).map_err(|e| StoreError::Internal(e.to_string()))?;
        }
        conn.execute(backend.build(&q)).await?;
    }
    Ok(())
}

/// A deal's stays from what its history says: the stage it was created in, then every change
/// of `stage_id` with its time. Without any stage in its history (a bulk load), one stay in its
/// current stage since it entered it.
pub fn stays_from_history(deal: &DealNow, changes: &[(i64, Json)], pipeline_of: &HashMap<i64, i64>) -> Vec<Stay> {
    let mut path: Vec<(i64, Option<i64>, i64)> = Vec::new(); // (stage, from, entered)
    for (at, c) in changes {
        let Some(stage) = c.get("stage_id") else { continue };
        let to = stage.get("to").and_then(Json::as_i64);
        let from = stage.get("from").and_then(Json::as_i64);
        if let Some(to) = to {
            if path.is_empty() {
                if let Some(f) = from {
                    // The history starts with a move: the deal sat in `from` since it was created.
                    path.push((f, None, deal.created_at));
                }
            }
            let prev = path.last().map(|p| p.0);
            path.push((to, prev.or(from), *at));
        }
    }
    if path.last().map(|p| p.0) != Some(deal.stage_id) {
        let prev = path.last().map(|p| p.0);
        path.push((deal.stage_id, prev, if prev.is_none() { deal.created_at } else { deal.stage_entered_at.unwrap_or(deal.created_at) }));
    }
    let mut stays: Vec<Stay> = path
        .iter()
        .map(|(stage, from, entered)| Stay {
            workspace_id: deal.workspace_id,
            deal_id: deal.id,
            pipeline_id: pipeline_of.get(stage).copied().unwrap_or(deal.pipeline_id),
            stage_id: *stage,
            from_stage_id: *from,
            entered_at: *entered,
            left_at: None,
        })
        .collect();
    for i in 1..stays.len() {
        let next = stays[i].entered_at;
        stays[i - 1].left_at = Some(next.max(stays[i - 1].entered_at));
    }
    stays
}

/// What [`stays_from_history`] needs of a deal as it is now.
#[derive(Clone, Debug)]
pub struct DealNow {
    pub id: i64,
    pub workspace_id: i64,
    pub pipeline_id: i64,
    pub stage_id: i64,
    pub created_at: i64,
    pub stage_entered_at: Option<i64>,
}

/// Fills `stage_stays` for every deal of `ws` (every workspace when `None`), in pages of ids,
/// each page one transaction, from the deals' history; the workspace's stays are emptied first,
/// so it may be run again. `progress` hears each page's deal count.
pub async fn backfill_all<C: ConnectionTrait + TransactionTrait>(
    conn: &C,
    ws: Option<i64>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<()> {
    let backend = conn.get_database_backend();
    let workspaces: Vec<i64> = match ws {
        Some(ws) => vec![ws],
        None => {
            let q = Query::select().column(col("id")).from(col("workspaces")).order_by(col("id"), Order::Asc).to_owned();
            conn.query_all(backend.build(&q)).await?.iter().map(|r| r.try_get("", "id")).collect::<std::result::Result<_, _>>()?
        }
    };
    let stages = Query::select().columns(["id", "pipeline_id"].map(col)).from(col("stages")).to_owned();
    let mut pipeline_of = HashMap::new();
    for r in conn.query_all(backend.build(&stages)).await? {
        pipeline_of.insert(r.try_get::<i64>("", "id")?, r.try_get::<i64>("", "pipeline_id")?);
    }
    for ws in workspaces {
        backfill_workspace(conn, ws, &pipeline_of, progress).await?;
    }
    Ok(())
}

async fn backfill_workspace<C: ConnectionTrait + TransactionTrait>(
    conn: &C,
    ws: i64,
    pipeline_of: &HashMap<i64, i64>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<()> {
    const PAGE: u64 = 5_000;
    let backend = conn.get_database_backend();
    let del = Query::delete().from_table(col("stage_stays")).and_where(Expr::col(col("workspace_id")).eq(ws)).to_owned();
    conn.execute(backend.build(&del)).await?;
    let mut after = 0i64;
    loop {
        let q = Query::select()
            .columns(["id", "workspace_id", "pipeline_id", "stage_id", "created_at", "stage_entered_at"].map(col))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).gt(after))
            .order_by(col("id"), Order::Asc)
            .limit(PAGE)
            .to_owned();
        let tx = conn.begin().await?;
        let page = tx.query_all(backend.build(&q)).await?;
        let Some(last) = page.last() else { break };
        after = last.try_get("", "id")?;
        let deals: Vec<DealNow> = page
            .iter()
            .map(|r| {
                Ok(DealNow {
                    id: r.try_get("", "id")?,
                    workspace_id: r.try_get("", "workspace_id")?,
                    pipeline_id: r.try_get("", "pipeline_id")?,
                    stage_id: r.try_get("", "stage_id")?,
                    created_at: r.try_get("", "created_at")?,
                    stage_entered_at: r.try_get("", "stage_entered_at")?,
                })
            })
            .collect::<Result<_>>()?;
        let first = deals.first().map_or(0, |d| d.id);
        // Only the page's history events that mention a stage, by the history's own index.
        let h = Query::select()
            .columns(["record_id", "changes", "created_at"].map(col))
            .from(col("history"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("entity")).eq("deal"))
            .and_where(Expr::col(col("record_id")).between(first, after))
            .and_where(Expr::col(col("changes")).like("%\"stage_id\"%"))
            .order_by(col("id"), Order::Asc)
            .to_owned();
        let mut changes: HashMap<i64, Vec<(i64, Json)>> = HashMap::new();
        for r in tx.query_all(backend.build(&h)).await? {
            let text: String = r.try_get("", "changes")?;
            if let Ok(c) = serde_json::from_str::<Json>(&text) {
                changes.entry(r.try_get("", "record_id")?).or_default().push((r.try_get("", "created_at")?, c));
            }
        }
        let mut stays = Vec::new();
        for d in &deals {
            stays.extend(stays_from_history(d, changes.get(&d.id).map_or(&[][..], Vec::as_slice), pipeline_of));
        }
        insert(&tx, backend, &stays).await?;
        tx.commit().await?;
        progress(deals.len() as u64);
    }
    Ok(())
}

impl crate::Db {
    /// Rebuilds the stage history of a workspace (every workspace when `None`) from the deals'
    /// history; returns how many deals it went through.
    pub async fn backfill_stage_history(&self, ws: Option<i64>) -> Result<u64> {
        let mut n = 0u64;
        backfill_all(&self.write, ws, &mut |k| n += k).await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deal(stage: i64, entered: Option<i64>) -> DealNow {
        DealNow { id: 7, workspace_id: 1, pipeline_id: 1, stage_id: stage, created_at: 100, stage_entered_at: entered }
    }

    #[test]
    fn the_history_of_moves_becomes_stays() {
        let pipelines = HashMap::from([(1, 1), (2, 1), (3, 1), (9, 2)]);
        let changes = vec![
            (100, json!({"title": {"from": null, "to": "x"}, "stage_id": {"from": null, "to": 1}})),
            (200, json!({"stage_id": {"from": 1, "to": 3}})),
            (300, json!({"stage_id": {"from": 3, "to": 9}})),
        ];
        let stays = stays_from_history(&deal(9, Some(300)), &changes, &pipelines);
        let short: Vec<_> = stays.iter().map(|s| (s.stage_id, s.from_stage_id, s.entered_at, s.left_at, s.pipeline_id)).collect();
        assert_eq!(short, vec![(1, None, 100, Some(200), 1), (3, Some(1), 200, Some(300), 1), (9, Some(3), 300, None, 2)]);
    }

    #[test]
    fn a_deal_without_stage_history_stays_where_it_is() {
        let stays = stays_from_history(&deal(2, Some(150)), &[], &HashMap::new());
        assert_eq!(stays.len(), 1);
        assert_eq!((stays[0].stage_id, stays[0].from_stage_id, stays[0].entered_at, stays[0].left_at), (2, None, 100, None));
        // A history that starts with a move: the first stage since creation.
        let changes = vec![(250, json!({"stage_id": {"from": 1, "to": 2}}))];
        let stays = stays_from_history(&deal(2, Some(250)), &changes, &HashMap::new());
        let short: Vec<_> = stays.iter().map(|s| (s.stage_id, s.from_stage_id, s.entered_at, s.left_at)).collect();
        assert_eq!(short, vec![(1, None, 100, Some(250)), (2, Some(1), 250, None)]);
    }
}

//! Read models over many deals: the pipeline board (per stage: count, total, first cards) and
//! the funnel (deals and sums per stage and owner). Both honour the caller's visibility.
use crate::actor::{scope_condition, Actor};
use crate::error::{Result, StoreError};
use crate::records::{decode, fetch_one, visible_select, Row};
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::DealStatus;
use poryadok_core::schema::Entity;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Func, Order, Query, SimpleExpr};
use serde_json::Value as Json;

pub const BOARD_CARDS_PER_STAGE: u64 = 50;
const DAY_MS: i64 = 86_400_000;

/// A deal rots when it has stayed in its stage longer than the stage's rotting days.
pub fn is_rotting(rotting_days: Option<i64>, stage_entered_at: Option<i64>, now: i64) -> bool {
    match (rotting_days.filter(|d| *d > 0), stage_entered_at) {
        (Some(days), Some(entered)) => now - entered > days * DAY_MS,
        _ => false,
    }
}

/// What a board shows: how many cards per column, and which deals (a checked filter, one owner).
#[derive(Clone, Debug)]
pub struct BoardOptions {
    pub cards_per_stage: u64,
    pub filter: Option<poryadok_core::filter::Checked>,
    pub owner: Option<i64>,
}

impl Default for BoardOptions {
    fn default() -> Self {
        BoardOptions { cards_per_stage: BOARD_CARDS_PER_STAGE, filter: None, owner: None }
    }
}

/// One group of the funnel ([`Db::funnel`]): the deals of one stage, owner and status.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FunnelRow {
    pub stage_id: i64,
    pub owner_id: Option<i64>,
    pub status: String,
    pub count: i64,
    /// Their summed value, in minor units.
    pub total_value: i64,
}

/// The board of one pipeline.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Board {
    pub pipeline_id: i64,
    pub stages: Vec<BoardColumn>,
}

/// One stage's column: the open deals' count and total value, and the first cards.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BoardColumn {
    pub stage_id: i64,
    pub name: String,
    pub probability: Option<i64>,
    pub rotting_days: Option<i64>,
    pub count: i64,
    /// In minor units.
    pub total_value: i64,
    pub deals: Vec<BoardCard>,
}

/// A deal on the board, and whether it has stayed in its stage too long. The API writes it as
/// the deal's record with `rotting` added.
#[derive(Debug, Clone)]
pub struct BoardCard {
    pub deal: Row,
    pub rotting: bool,
}

impl serde::Serialize for BoardCard {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut j = self.deal.to_json();
        j["rotting"] = Json::Bool(self.rotting);
        j.serialize(s)
    }
}

impl Db {
    /// The board of one pipeline: a column per stage with the open deals' count and total value,
    /// and the most recently updated cards.
    pub async fn board(&self, actor: &Actor, pipeline: i64, opts: &BoardOptions) -> Result<Board> {
        fetch_one(&self.read, self.backend, Entity::Pipeline, actor, pipeline, false).await?;
        let now = self.clock.now_ms();
        let narrow = |q: &mut sea_query::SelectStatement| {
            if let Some(f) = &opts.filter {
                q.and_where(self.filter_condition(actor, f, now));
            }
            if let Some(owner) = opts.owner {
                q.and_where(Expr::col(col("owner_id")).eq(owner));
            }
        };
        let mut stages = Query::select();
        stages
            .columns(["id", "name", "position", "probability", "rotting_days"].map(col))
            .from(col("stages"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("pipeline_id")).eq(pipeline))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("position"), Order::Asc)
            .order_by(col("id"), Order::Asc);
        let stage_rows = self.read.query_all(self.backend.build(&stages)).await?;

        let mut totals = Query::select();
        totals
            .column(col("stage_id"))
            .expr_as(Func::count(Expr::col(col("id"))), col("n"))
            .expr_as(Expr::cust("CAST(COALESCE(SUM(value), 0) AS BIGINT)"), col("total"))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("pipeline_id")).eq(pipeline))
            .and_where(Expr::col(col("status")).eq("open"))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .group_by_col(col("stage_id"));
        if let Some(c) = scope_condition(Entity::Deal, &actor.caller) {
            totals.and_where(c);
        }
        narrow(&mut totals);
        let total_rows = self.read.query_all(self.backend.build(&totals)).await?;
        let mut sums = std::collections::HashMap::new();
        for r in &total_rows {
            let stage: i64 = r.try_get("", "stage_id")?;
            let n: i64 = r.try_get("", "n")?;
            let total: i64 = r.try_get("", "total")?;
            sums.insert(stage, (n, total));
        }

        let mut columns = Vec::with_capacity(stage_rows.len());
        for s in &stage_rows {
            let stage: i64 = s.try_get("", "id")?;
            let mut cards = visible_select(Entity::Deal, actor, false);
            cards
                .and_where(Expr::col(col("pipeline_id")).eq(pipeline))
                .and_where(Expr::col(col("stage_id")).eq(stage))
                .and_where(Expr::col(col("status")).eq("open"))
                .order_by(col("updated_at"), Order::Desc)
                .order_by(col("id"), Order::Desc)
                .limit(opts.cards_per_stage);
            narrow(&mut cards);
            let rows = self.read.query_all(self.backend.build(&cards)).await?;
            let rotting_days = s.try_get::<Option<i64>>("", "rotting_days")?.filter(|d| *d > 0);
            let deals = rows
                .iter()
                .map(|r| {
                    let deal: Row = decode(Entity::Deal, r)?;
                    let rotting = is_rotting(rotting_days, deal.get("stage_entered_at").as_int(), now);
                    Ok(BoardCard { deal, rotting })
                })
                .collect::<Result<Vec<_>>>()?;
            let (count, total_value) = sums.get(&stage).copied().unwrap_or((0, 0));
            columns.push(BoardColumn {
                stage_id: stage,
                name: s.try_get("", "name")?,
                probability: s.try_get("", "probability")?,
                rotting_days: s.try_get("", "rotting_days")?,
                count,
                total_value,
                deals,
            });
        }
        Ok(Board { pipeline_id: pipeline, stages: columns })
    }

    /// Deals and their summed value per stage and owner of one pipeline, every status but not a
    /// lead (those were never in the funnel).
    pub async fn funnel(&self, actor: &Actor, pipeline: i64) -> Result<Vec<FunnelRow>> {
        let mut q = Query::select();
        q.columns(["stage_id", "owner_id", "status"].map(col))
            .expr_as(Func::count(Expr::col(col("id"))), col("n"))
            .expr_as(Expr::cust("CAST(COALESCE(SUM(value), 0) AS BIGINT)"), col("total"))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("pipeline_id")).eq(pipeline))
            .and_where(Expr::col(col("status")).ne(DealStatus::NotLead.as_str()))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .group_by_columns(["stage_id", "owner_id", "status"].map(col))
            .order_by(col("stage_id"), Order::Asc)
            .order_by(col("owner_id"), Order::Asc)
            .order_by(col("status"), Order::Asc);
        if let Some(c) = scope_condition(Entity::Deal, &actor.caller) {
            q.and_where(c);
        }
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter()
            .map(|r| {
                Ok(FunnelRow {
                    stage_id: r.try_get("", "stage_id")?,
                    owner_id: r.try_get("", "owner_id")?,
                    status: r.try_get("", "status")?,
                    count: r.try_get("", "n")?,
                    total_value: r.try_get("", "total")?,
                })
            })
            .collect()
    }

    /// The same funnel as one hand-written SQL string, for the benchmark's comparison.
    pub async fn funnel_raw_sql(&self, workspace: i64, pipeline: i64) -> Result<usize> {
        let sql = "SELECT stage_id, owner_id, status, COUNT(id) AS n, CAST(COALESCE(SUM(value), 0) AS BIGINT) AS total \
                   FROM deals WHERE workspace_id = $1 AND pipeline_id = $2 AND status <> 'not_lead' AND deleted_at IS NULL \
                   GROUP BY stage_id, owner_id, status ORDER BY stage_id, owner_id, status";
        let sql = if self.is_postgres() { sql.to_string() } else { sql.replace('$', "?") };
        let stmt = sea_orm::Statement::from_sql_and_values(self.backend, sql, [workspace.into(), pipeline.into()]);
        Ok(self.read.query_all(stmt).await?.len())
    }

    /// The pipeline with the most deals in the caller's workspace: the most created in the last
    /// 90 days, else the most ever (a base that stopped growing). Read from the per-day aggregate
    /// (its `lead` rows: every live deal but those closed as not a lead, by creation day and
    /// pipeline) when it is counted in the workspace's zone, else from the deals
    /// ([`Db::largest_pipeline_exact`]). At a million deals the count from the deals took up to
    /// 0.96 s of every report and dashboard that names no pipeline.
    pub async fn largest_pipeline(&self, actor: &Actor) -> Result<i64> {
        if self.stats_zone(actor).await?.as_deref() == Some(actor.ws.timezone.as_str()) {
            return self.largest_pipeline_rollup(actor).await;
        }
        self.largest_pipeline_exact(actor).await
    }

    /// [`Db::largest_pipeline`] from the aggregate: the deals created since the local day 90 days
    /// ago, summed by pipeline in one range of its key; the live pipelines' order breaks ties.
    pub async fn largest_pipeline_rollup(&self, actor: &Actor) -> Result<i64> {
        let ws = actor.ws_id();
        let pipelines = Query::select()
            .columns(["id", "position"].map(col))
            .from(col("pipelines"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        let pipelines: Vec<(i64, Option<i64>)> = self
            .read
            .query_all(self.backend.build(&pipelines))
            .await?
            .iter()
            .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "position")?)))
            .collect::<Result<_>>()?;
        let since = crate::deal_stats::local_day(&actor.ws.timezone, self.clock.now_ms() - 90 * DAY_MS);
        for since in [Some(since), None] {
            let mut q = Query::select();
            q.column(col("pipeline_id"))
                .expr_as(Expr::cust("CAST(COALESCE(SUM(deals), 0) AS BIGINT)"), col("n"))
                .from(col(crate::deal_stats::TABLE))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("kind")).eq(crate::deal_stats::Kind::Lead.as_str()))
                .group_by_col(col("pipeline_id"));
            if let Some(since) = since {
                q.and_where(Expr::col(col("day")).gte(since));
            }
            let counts: std::collections::BTreeMap<i64, i64> = self
                .read
                .query_all(self.backend.build(&q))
                .await?
                .iter()
                .map(|r| Ok((r.try_get("", "pipeline_id")?, r.try_get("", "n")?)))
                .collect::<Result<_>>()?;
            let best = pipelines
                .iter()
                .map(|(id, position)| (counts.get(id).copied().unwrap_or(0), *position, *id))
                .filter(|(n, _, _)| *n > 0)
                .min_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            if let Some((_, _, id)) = best {
                return Ok(id);
            }
        }
        Err(StoreError::NotFound)
    }

    /// [`Db::largest_pipeline`] from the deals: each pipeline counted by a range of its
    /// `(workspace, pipeline, created)` index (deleted deals and those not a lead included: the
    /// index has neither), so a tie may fall otherwise than the aggregate's count.
    pub async fn largest_pipeline_exact(&self, actor: &Actor) -> Result<i64> {
        let since = self.clock.now_ms() - 90 * 86_400_000;
        for since in [Some(since), None] {
            let mut count = Query::select();
            count
                .expr(Func::count(Expr::col((col("d"), col("id")))))
                .from_as(col("deals"), col("d"))
                .and_where(Expr::col((col("d"), col("workspace_id"))).eq(actor.ws_id()))
                .and_where(Expr::col((col("d"), col("pipeline_id"))).equals((col("p"), col("id"))));
            if let Some(since) = since {
                count.and_where(Expr::col((col("d"), col("created_at"))).gte(since));
            }
            let q = Query::select()
                .column((col("p"), col("id")))
                .expr_as(SimpleExpr::SubQuery(None, Box::new(count.take().into_sub_query_statement())), col("n"))
                .from_as(col("pipelines"), col("p"))
                .and_where(Expr::col((col("p"), col("workspace_id"))).eq(actor.ws_id()))
                .and_where(Expr::col((col("p"), col("deleted_at"))).is_null())
                .order_by(col("n"), Order::Desc)
                .order_by((col("p"), col("position")), Order::Asc)
                .order_by((col("p"), col("id")), Order::Asc)
                .limit(1)
                .to_owned();
            if let Some(r) = self.read.query_one(self.backend.build(&q)).await? {
                if r.try_get::<i64>("", "n")? > 0 {
                    return Ok(r.try_get("", "id")?);
                }
            }
        }
        Err(StoreError::NotFound)
    }
}

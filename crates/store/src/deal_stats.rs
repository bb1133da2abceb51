//! The deals' per-day aggregate (`deal_day_stats`): sums of the deals by the local day they were
//! created or closed, pipeline, owner and — as each reader needs — source, stage and status, so the
//! dashboard reads a few rows per manager and day instead of a month's deals.
//!
//! Every deal **contributes** a few rows, a function of the deal as it is now
//! ([`contribution`]): `created` (its creation day, the furthest stage it reached, its status: the
//! cohort funnel and the forecast's history), `lead` (its creation day and source: incoming leads),
//! `closed` (the day it was won or lost, with created → closed: sales, the load's revenue) and
//! `open` (an open deal by expected close month and stage: the weighted forecast, the load's open
//! deals). A deleted deal and one closed as not a lead contribute nothing.
//!
//! The write path keeps it in the same transaction as the deal: [`before_write`] and
//! [`after_write`] bracket `rules::after_write` (creates, updates, moves, and so merges, bulk
//! changes and regulation moves), [`removed`] a delete, [`created_many`] an import's batch, and
//! [`snapshot`] / [`settle`] any producer that writes deals with its own statements (an
//! assistant's reassignment, intake's merge of duplicates). Each applies the difference between
//! the deal's contribution before and after, as upserts of the keys that changed.
//!
//! Days are counted in the zone the workspace's rows were built in (`deal_day_stats_state`);
//! after the workspace changes zone the reports read the deals ([`Db::stats_zone`] tells), until
//! [`rebuild_all`] counts them again: the change of zone queues it as a job ([`REBUILD_JOB`]),
//! and `poryadok reports rebuild-aggregates` runs it by hand. A stage's reached
//! order is its position: a change of a stage's position or pipeline recounts that pipeline.
//! This module must not decide what a report shows; it only keeps and reads sums.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::records::Row;
use crate::sql::col;
use crate::Db;
use poryadok_core::schema::Entity;
use poryadok_core::zone;
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
use sea_query::{Expr, OnConflict, Order, Query};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

pub const TABLE: &str = "deal_day_stats";
/// The job that counts a workspace's aggregate again, queued when the workspace changes zone.
pub const REBUILD_JOB: &str = "deal_stats.rebuild";
const STATE: &str = "deal_day_stats_state";
pub const DAY_MS: i64 = 86_400_000;

/// Nanoseconds the write path has spent keeping the aggregate in this process, and the deal
/// writes it kept it for: what `poryadok bench dashboard` reports as the aggregate's cost.
static SPENT_NS: AtomicU64 = AtomicU64::new(0);
static WRITES: AtomicU64 = AtomicU64::new(0);

/// The time the write path spent on the aggregate so far, and over how many deal writes.
pub fn write_path_spent() -> (std::time::Duration, u64) {
    (std::time::Duration::from_nanos(SPENT_NS.load(Relaxed)), WRITES.load(Relaxed))
}

fn spent(d: std::time::Duration, writes: u64) {
    SPENT_NS.fetch_add(d.as_nanos() as u64, Relaxed);
    WRITES.fetch_add(writes, Relaxed);
}

const KEY: [&str; 8] = ["workspace_id", "kind", "day", "pipeline_id", "owner_id", "source", "stage_id", "status"];
const COLUMNS: [&str; 11] =
    ["workspace_id", "kind", "day", "pipeline_id", "owner_id", "source", "stage_id", "status", "deals", "value", "cycle_ms"];

/// What a row sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Created,
    Lead,
    Closed,
    Open,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Created => "created",
            Kind::Lead => "lead",
            Kind::Closed => "closed",
            Kind::Open => "open",
        }
    }
}

/// A row's key (the workspace aside). A dimension the kind does not use is 0 or empty.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub kind: Kind,
    /// The local day number (days since 1970-01-01 in the zone); `open`: the expected close
    /// month as `YYYYMM`, 0 without a date.
    pub day: i64,
    pub pipeline: i64,
    /// 0: no owner.
    pub owner: i64,
    /// `lead`: the source, empty without one.
    pub source: String,
    /// `created`: the furthest stage reached; `open`: the stage it is at.
    pub stage: i64,
    /// `created`: the deal's status; `closed`: won or lost.
    pub status: String,
}

/// A row's sums.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    pub deals: i64,
    /// Minor units.
    pub value: i64,
    /// `closed`: the sum of created → closed, milliseconds.
    pub cycle_ms: i64,
}

impl Sums {
    fn add(&mut self, o: Sums, sign: i64) {
        self.deals += sign * o.deals;
        self.value += sign * o.value;
        self.cycle_ms += sign * o.cycle_ms;
    }
}

/// What the aggregate needs of one deal as it is (a live one: not deleted).
#[derive(Clone, Debug, PartialEq)]
pub struct DealFacts {
    pub id: i64,
    pub pipeline: i64,
    pub owner: Option<i64>,
    pub source: Option<String>,
    pub stage: i64,
    /// The stage of the highest position among its stays in its pipeline (its stage without any).
    pub furthest: i64,
    pub status: String,
    pub value: i64,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub expected_close_date: Option<String>,
}

/// The local day number of an instant in `tz`, as the reports bucket days.
pub fn local_day(tz: &str, ms: i64) -> i64 {
    (ms + i64::from(zone::offset_at(tz, ms).whole_seconds()) * 1000).div_euclid(DAY_MS)
}

/// `YYYYMM` of a `YYYY-MM-DD` date (0: none).
fn month_key(date: Option<&str>) -> i64 {
    date.and_then(|d| Some(d.get(0..4)?.parse::<i64>().ok()? * 100 + d.get(5..7)?.parse::<i64>().ok()?)).unwrap_or(0)
}

/// The month text of a `YYYYMM` key (none for 0), as the forecast names months.
pub fn month_text(key: i64) -> Option<String> {
    (key != 0).then(|| format!("{:04}-{:02}", key / 100, key % 100))
}

/// Adds `sign` × the deal's rows to `out`.
pub fn contribution(f: &DealFacts, tz: &str, sign: i64, out: &mut BTreeMap<Key, Sums>) {
    if f.status == "not_lead" {
        return;
    }
    let owner = f.owner.unwrap_or(0);
    let created = local_day(tz, f.created_at);
    let key = |kind, day, source: &str, stage, status: &str| Key {
        kind,
        day,
        pipeline: f.pipeline,
        owner,
        source: source.to_string(),
        stage,
        status: status.to_string(),
    };
    let mut add = |k: Key, s: Sums| out.entry(k).or_default().add(s, sign);
    add(key(Kind::Created, created, "", f.furthest, &f.status), Sums { deals: 1, value: f.value, cycle_ms: 0 });
    let source = f.source.as_deref().unwrap_or("");
    add(key(Kind::Lead, created, source, 0, ""), Sums { deals: 1, value: 0, cycle_ms: 0 });
    match (f.status.as_str(), f.closed_at) {
        ("won" | "lost", Some(at)) => {
            add(key(Kind::Closed, local_day(tz, at), "", 0, &f.status), Sums { deals: 1, value: f.value, cycle_ms: at - f.created_at })
        }
        ("open", _) => add(
            key(Kind::Open, month_key(f.expected_close_date.as_deref()), "", f.stage, ""),
            Sums { deals: 1, value: f.value, cycle_ms: 0 },
        ),
        _ => {}
    }
}

/// SQL for the furthest stage of the outer `deals` row: the stage of the highest position among
/// its stays in its pipeline, else its own stage (as the funnel's "reached" reads it).
const FURTHEST: &str = "COALESCE((SELECT ss.stage_id FROM stage_stays ss INNER JOIN stages s ON s.id = ss.stage_id \
     WHERE ss.workspace_id = deals.workspace_id AND ss.deal_id = deals.id AND s.pipeline_id = deals.pipeline_id \
     ORDER BY s.position DESC, s.id DESC LIMIT 1), deals.stage_id)";

const FACT_COLUMNS: [&str; 10] =
    ["id", "pipeline_id", "owner_id", "source", "stage_id", "status", "value", "created_at", "closed_at", "expected_close_date"];

fn facts_select(ws: i64) -> sea_query::SelectStatement {
    Query::select()
        .columns(FACT_COLUMNS.map(col))
        .expr_as(Expr::cust(FURTHEST), col("furthest"))
        // The zone comes with the facts, saving the write path a round trip; uncorrelated, so
        // both databases compute it once per statement. The id is the code's, never input.
        .expr_as(Expr::cust(format!("(SELECT z.timezone FROM {STATE} z WHERE z.workspace_id = {ws})")), col("zone"))
        .from(col("deals"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .to_owned()
}

fn read_facts(r: &sea_orm::QueryResult) -> Result<DealFacts> {
    let stage: Option<i64> = r.try_get("", "stage_id")?;
    let furthest: Option<i64> = r.try_get("", "furthest")?;
    Ok(DealFacts {
        id: r.try_get("", "id")?,
        pipeline: r.try_get::<Option<i64>>("", "pipeline_id")?.unwrap_or(0),
        owner: r.try_get("", "owner_id")?,
        source: r.try_get::<Option<String>>("", "source")?.filter(|s| !s.is_empty()),
        stage: stage.unwrap_or(0),
        furthest: furthest.or(stage).unwrap_or(0),
        status: r.try_get::<Option<String>>("", "status")?.unwrap_or_default(),
        value: r.try_get::<Option<i64>>("", "value")?.unwrap_or(0),
        created_at: r.try_get("", "created_at")?,
        closed_at: r.try_get("", "closed_at")?,
        expected_close_date: r.try_get("", "expected_close_date")?,
    })
}

/// The live deals `ids` of `ws` as they are in `conn` now, and the zone the workspace's rows
/// are counted in (none when no deal was read or the workspace has no rows yet).
async fn facts_of(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, ids: &[i64]) -> Result<(Vec<DealFacts>, Option<String>)> {
    let mut out = Vec::with_capacity(ids.len());
    let mut zone = None;
    for chunk in ids.chunks(500) {
        let q = facts_select(ws).and_where(Expr::col(col("id")).is_in(chunk.iter().copied())).to_owned();
        for r in conn.query_all(backend.build(&q)).await? {
            out.push(read_facts(&r)?);
            zone = r.try_get("", "zone")?;
        }
    }
    Ok((out, zone))
}

/// The furthest stage of deal `id` in `pipeline` among its stays as they are now (`stage`
/// without any there).
async fn furthest(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, id: i64, pipeline: i64, stage: i64) -> Result<i64> {
    let q = Query::select()
        .expr_as(Expr::col((col("ss"), col("stage_id"))), col("stage_id"))
        .from_as(col("stage_stays"), col("ss"))
        .inner_join(crate::sql::aliased("stages", "s"), Expr::col((col("s"), col("id"))).equals((col("ss"), col("stage_id"))))
        .and_where(Expr::col((col("ss"), col("workspace_id"))).eq(ws))
        .and_where(Expr::col((col("ss"), col("deal_id"))).eq(id))
        .and_where(Expr::col((col("s"), col("pipeline_id"))).eq(pipeline))
        .order_by((col("s"), col("position")), Order::Desc)
        .order_by((col("s"), col("id")), Order::Desc)
        .limit(1)
        .to_owned();
    Ok(match conn.query_one(backend.build(&q)).await? {
        Some(r) => r.try_get("", "stage_id")?,
        None => stage,
    })
}

/// A deal's facts from its row (the furthest stage given).
fn facts_of_row(row: &Row, furthest: i64) -> DealFacts {
    DealFacts {
        id: row.id(),
        pipeline: row.get("pipeline_id").as_int().unwrap_or(0),
        owner: row.get("owner_id").as_int(),
        source: row.get("source").as_text().filter(|s| !s.is_empty()).map(str::to_string),
        stage: row.get("stage_id").as_int().unwrap_or(0),
        furthest,
        status: row.get("status").as_text().unwrap_or_default().to_string(),
        value: row.get("value").as_int().unwrap_or(0),
        created_at: row.get("created_at").as_int().unwrap_or(0),
        closed_at: row.get("closed_at").as_int(),
        expected_close_date: row.get("expected_close_date").as_text().map(str::to_string),
    }
}

/// The deal fields a contribution depends on.
const COUNTED: [&str; 9] =
    ["pipeline_id", "owner_id", "source", "stage_id", "status", "value", "created_at", "closed_at", "expected_close_date"];

/// The zone `ws`'s rows are counted in; a workspace without rows yet starts in `tz`.
async fn zone_in(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, tz: &str) -> Result<String> {
    let q = Query::select().column(col("timezone")).from(col(STATE)).and_where(Expr::col(col("workspace_id")).eq(ws)).to_owned();
    if let Some(r) = conn.query_one(backend.build(&q)).await? {
        return Ok(r.try_get("", "timezone")?);
    }
    let mut ins = Query::insert();
    ins.into_table(col(STATE))
        .columns(["workspace_id", "timezone", "built_at"].map(col))
        .values([ws.into(), tz.into(), 0i64.into()])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .on_conflict(OnConflict::column(col("workspace_id")).do_nothing().to_owned());
    conn.execute(backend.build(&ins)).await?;
    Ok(tz.to_string())
}

/// Upserts the non-zero differences of `delta`, in one statement. A row a change empties stays
/// with zero deals (readers skip it, a rebuild drops it): removing it would cost every move a
/// statement more, and the keys are few.
async fn apply(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, delta: BTreeMap<Key, Sums>) -> Result<()> {
    let delta: Vec<(Key, Sums)> = delta.into_iter().filter(|(_, s)| *s != Sums::default()).collect();
    if delta.is_empty() {
        return Ok(());
    }
    insert(conn, backend, ws, &delta, true).await
}

/// Multi-row inserts of `rows`; `add` adds them to rows already there.
async fn insert(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, rows: &[(Key, Sums)], add: bool) -> Result<()> {
    // Eleven values a row, under SQLite's limit of bound values per statement.
    for chunk in rows.chunks(2_000) {
        let mut q = Query::insert();
        q.into_table(col(TABLE)).columns(COLUMNS.map(col));
        for (k, s) in chunk {
            q.values([
                ws.into(),
                k.kind.as_str().into(),
                k.day.into(),
                k.pipeline.into(),
                k.owner.into(),
                k.source.as_str().into(),
                k.stage.into(),
                k.status.as_str().into(),
                s.deals.into(),
                s.value.into(),
                s.cycle_ms.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        }
        if add {
            let mut on = OnConflict::columns(KEY.map(col));
            for c in ["deals", "value", "cycle_ms"] {
                on.value(col(c), Expr::cust(format!("{TABLE}.{c} + excluded.{c}")));
            }
            q.on_conflict(on);
        }
        conn.execute(backend.build(&q)).await?;
    }
    Ok(())
}

/// A deal write's contribution before it, taken before its stage stays change.
pub(crate) struct Pending {
    before: Option<DealFacts>,
    taken: std::time::Duration,
}

/// Before the rules after a write of `row` (`old`: the row before an update): the deal's
/// contribution as it was, when the write changes anything it counts.
pub(crate) async fn before_write(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    row: &Row,
    old: Option<&Row>,
) -> Result<Option<Pending>> {
    if row.entity != Entity::Deal {
        return Ok(None);
    }
    let start = Instant::now();
    let Some(old) = old else { return Ok(Some(Pending { before: None, taken: std::time::Duration::ZERO })) };
    if COUNTED.iter().all(|f| old.get(f) == row.get(f)) {
        return Ok(None);
    }
    let (pipeline, stage) = (old.get("pipeline_id").as_int().unwrap_or(0), old.get("stage_id").as_int().unwrap_or(0));
    let far = furthest(conn, backend, ws, old.id(), pipeline, stage).await?;
    // Only this step's own time: the stage stays are written between it and [`after_write`].
    Ok(Some(Pending { before: Some(facts_of_row(old, far)), taken: start.elapsed() }))
}

/// After the rules after a write: the difference between the deal's contribution now and
/// [`before_write`]'s.
pub(crate) async fn after_write(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    pending: Option<Pending>,
    id: i64,
) -> Result<()> {
    let Some(p) = pending else { return Ok(()) };
    let start = Instant::now();
    let ws = actor.ws_id();
    let (now, zone) = facts_of(conn, backend, ws, &[id]).await?;
    settle_facts(conn, backend, actor, p.before.into_iter().collect(), now, zone).await?;
    spent(start.elapsed() + p.taken, 1);
    Ok(())
}

/// A deal about to be deleted (`old`, live): its contribution goes.
pub(crate) async fn removed(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, old: &Row) -> Result<()> {
    if old.entity != Entity::Deal {
        return Ok(());
    }
    let start = Instant::now();
    let ws = actor.ws_id();
    let (pipeline, stage) = (old.get("pipeline_id").as_int().unwrap_or(0), old.get("stage_id").as_int().unwrap_or(0));
    let far = furthest(conn, backend, ws, old.id(), pipeline, stage).await?;
    settle_facts(conn, backend, actor, vec![facts_of_row(old, far)], Vec::new(), None).await?;
    spent(start.elapsed(), 1);
    Ok(())
}

/// Records just created many at once (an import's batch): the deals' contributions.
pub(crate) async fn created_many(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, rows: &[Row]) -> Result<()> {
    let ids: Vec<i64> = rows.iter().filter(|r| r.entity == Entity::Deal).map(Row::id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let start = Instant::now();
    let (now, zone) = facts_of(conn, backend, actor.ws_id(), &ids).await?;
    settle_facts(conn, backend, actor, Vec::new(), now, zone).await?;
    spent(start.elapsed(), ids.len() as u64);
    Ok(())
}

/// The contributions of deals a producer is about to write with its own statements.
pub(crate) struct Snapshot {
    ids: Vec<i64>,
    before: Vec<DealFacts>,
}

/// Takes the contributions of deals `ids` before a producer's own statements change them.
pub(crate) async fn snapshot(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, ids: &[i64]) -> Result<Snapshot> {
    Ok(Snapshot { ids: ids.to_vec(), before: facts_of(conn, backend, ws, ids).await?.0 })
}

/// After the producer's statements: applies the difference from the [`snapshot`].
pub(crate) async fn settle(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, snap: Snapshot) -> Result<()> {
    let (now, zone) = facts_of(conn, backend, actor.ws_id(), &snap.ids).await?;
    settle_facts(conn, backend, actor, snap.before, now, zone).await
}

async fn settle_facts(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    before: Vec<DealFacts>,
    after: Vec<DealFacts>,
    zone: Option<String>,
) -> Result<()> {
    if before == after {
        return Ok(());
    }
    let ws = actor.ws_id();
    let tz = match zone {
        Some(z) => z,
        None => zone_in(conn, backend, ws, &actor.ws.timezone).await?,
    };
    let mut delta = BTreeMap::new();
    for f in &before {
        contribution(f, &tz, -1, &mut delta);
    }
    for f in &after {
        contribution(f, &tz, 1, &mut delta);
    }
    apply(conn, backend, ws, delta).await
}

/// A stage changed position or pipeline: the furthest stages of the deals of `pipelines` are
/// recounted.
pub(crate) async fn stage_moved(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    row: &Row,
    old: Option<&Row>,
) -> Result<()> {
    let Some(old) = old.filter(|_| row.entity == Entity::Stage) else { return Ok(()) };
    if old.get("position") == row.get("position") && old.get("pipeline_id") == row.get("pipeline_id") {
        return Ok(());
    }
    let ws = actor.ws_id();
    let tz = zone_in(conn, backend, ws, &actor.ws.timezone).await?;
    let mut pipelines: Vec<i64> = [old, row].iter().filter_map(|r| r.get("pipeline_id").as_int()).collect();
    pipelines.dedup();
    for p in pipelines {
        rebuild_kind(conn, backend, ws, &tz, Some(p), Kind::Created).await?;
    }
    Ok(())
}

/// Recounts `ws`'s rows of `kind` (every kind: none) for the deals of `pipeline` (every one:
/// none) from the deals, inside the caller's transaction; `progress` hears each page's deals.
async fn recount(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    tz: &str,
    pipeline: Option<i64>,
    kind: Option<Kind>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64> {
    const PAGE: u64 = 5_000;
    let mut del = Query::delete();
    del.from_table(col(TABLE)).and_where(Expr::col(col("workspace_id")).eq(ws));
    if let Some(p) = pipeline {
        del.and_where(Expr::col(col("pipeline_id")).eq(p));
    }
    if let Some(k) = kind {
        del.and_where(Expr::col(col("kind")).eq(k.as_str()));
    }
    conn.execute(backend.build(&del)).await?;
    let mut sums: BTreeMap<Key, Sums> = BTreeMap::new();
    let (mut after, mut n) = (0i64, 0u64);
    loop {
        let mut q = facts_select(ws);
        q.and_where(Expr::col(col("id")).gt(after)).order_by(col("id"), Order::Asc).limit(PAGE);
        if let Some(p) = pipeline {
            q.and_where(Expr::col(col("pipeline_id")).eq(p));
        }
        let page = conn.query_all(backend.build(&q)).await?;
        let Some(last) = page.last() else { break };
        after = last.try_get("", "id")?;
        for r in &page {
            contribution(&read_facts(r)?, tz, 1, &mut sums);
        }
        n += page.len() as u64;
        progress(page.len() as u64);
    }
    let rows: Vec<(Key, Sums)> = sums.into_iter().filter(|(k, s)| s.deals != 0 && kind.is_none_or(|kind| k.kind == kind)).collect();
    insert(conn, backend, ws, &rows, false).await?;
    Ok(n)
}

async fn rebuild_kind(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, tz: &str, pipeline: Option<i64>, kind: Kind) -> Result<()> {
    recount(conn, backend, ws, tz, pipeline, Some(kind), &mut |_| {}).await.map(|_| ())
}

/// Counts the aggregate of `ws` (every workspace: none) again from its deals, in the
/// workspace's current zone, each workspace in one transaction (on PostgreSQL the table is
/// locked against writes meanwhile, so none is counted twice or lost); `progress` hears each
/// page's deal count. Returns the deals counted.
pub async fn rebuild_all<C: ConnectionTrait + TransactionTrait>(
    conn: &C,
    ws: Option<i64>,
    now: i64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64> {
    let backend = conn.get_database_backend();
    let mut q = Query::select().columns(["id", "timezone"].map(col)).from(col("workspaces")).order_by(col("id"), Order::Asc).to_owned();
    if let Some(ws) = ws {
        q.and_where(Expr::col(col("id")).eq(ws));
    }
    let workspaces: Vec<(i64, String)> = conn
        .query_all(backend.build(&q))
        .await?
        .iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "timezone")?)))
        .collect::<Result<_>>()?;
    let mut n = 0;
    for (ws, tz) in workspaces {
        let tx = conn.begin().await?;
        if backend == DbBackend::Postgres {
            tx.execute_unprepared(&format!("LOCK TABLE {TABLE} IN EXCLUSIVE MODE")).await?;
        }
        n += recount(&tx, backend, ws, &tz, None, None, progress).await?;
        let del = Query::delete().from_table(col(STATE)).and_where(Expr::col(col("workspace_id")).eq(ws)).to_owned();
        tx.execute(backend.build(&del)).await?;
        let mut ins = Query::insert();
        ins.into_table(col(STATE))
            .columns(["workspace_id", "timezone", "built_at"].map(col))
            .values([ws.into(), tz.into(), now.into()])
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        tx.execute(backend.build(&ins)).await?;
        tx.commit().await?;
    }
    Ok(n)
}

impl Db {
    /// [`rebuild_all`] on the writer; returns the deals counted.
    pub async fn rebuild_deal_stats(&self, ws: Option<i64>, progress: &mut (dyn FnMut(u64) + Send)) -> Result<u64> {
        rebuild_all(&self.write, ws, self.clock.now_ms(), progress).await
    }

    /// The live deals a rebuild of `ws` (every workspace: none) goes through, for its progress.
    pub async fn deal_stats_deals(&self, ws: Option<i64>) -> Result<u64> {
        let mut q = Query::select();
        q.expr_as(Expr::cust("COUNT(*)"), col("n")).from(col("deals")).and_where(Expr::col(col("deleted_at")).is_null());
        if let Some(ws) = ws {
            q.and_where(Expr::col(col("workspace_id")).eq(ws));
        }
        Ok(match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => r.try_get::<i64>("", "n")?.max(0) as u64,
            None => 0,
        })
    }

    /// The zone the caller's workspace's aggregate is counted in (none: not counted).
    pub async fn stats_zone(&self, actor: &Actor) -> Result<Option<String>> {
        let q =
            Query::select().column(col("timezone")).from(col(STATE)).and_where(Expr::col(col("workspace_id")).eq(actor.ws_id())).to_owned();
        Ok(match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => Some(r.try_get("", "timezone")?),
            None => None,
        })
    }

    /// Every row of the caller's workspace, for tests and checks: what [`rebuild_all`] would
    /// count must equal what the write path kept.
    pub async fn deal_stats_rows(&self, actor: &Actor) -> Result<Vec<(Key, Sums)>> {
        let q = Query::select()
            .columns(COLUMNS.map(col))
            .from(col(TABLE))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deals")).ne(0))
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let kind: String = r.try_get("", "kind")?;
            let kind = [Kind::Created, Kind::Lead, Kind::Closed, Kind::Open]
                .into_iter()
                .find(|k| k.as_str() == kind)
                .ok_or_else(|| StoreError::Internal(format!("unknown aggregate kind {kind}")))?;
            out.push((
                Key {
                    kind,
                    day: r.try_get("", "day")?,
                    pipeline: r.try_get("", "pipeline_id")?,
                    owner: r.try_get("", "owner_id")?,
                    source: r.try_get("", "source")?,
                    stage: r.try_get("", "stage_id")?,
                    status: r.try_get("", "status")?,
                },
                Sums { deals: r.try_get("", "deals")?, value: r.try_get("", "value")?, cycle_ms: r.try_get("", "cycle_ms")? },
            ));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(status: &str, closed: Option<i64>) -> DealFacts {
        DealFacts {
            id: 1,
            pipeline: 2,
            owner: Some(7),
            source: Some("сайт".into()),
            stage: 5,
            furthest: 6,
            status: status.into(),
            value: 1_000,
            created_at: 1_764_536_400_000, // 2025-11-30 21:00 UTC: 1 December in Moscow
            closed_at: closed,
            expected_close_date: Some("2026-01-15".into()),
        }
    }

    #[test]
    fn a_deal_counts_on_its_local_days_and_a_change_is_its_difference() {
        let tz = "Europe/Moscow";
        let mut rows = BTreeMap::new();
        contribution(&deal("open", None), tz, 1, &mut rows);
        let kinds: Vec<_> = rows.keys().map(|k| (k.kind, k.day, k.stage, k.source.as_str())).collect();
        let dec1 = local_day(tz, 1_764_536_400_000);
        assert_eq!(local_day("UTC", 1_764_536_400_000), dec1 - 1, "the day is the zone's");
        assert_eq!(kinds, vec![(Kind::Created, dec1, 6, ""), (Kind::Lead, dec1, 0, "сайт"), (Kind::Open, 202601, 5, "")]);
        // Won three days later: the open row goes, a closed row comes, the cohort's status changes;
        // the lead stays counted on its day.
        let won = deal("won", Some(1_764_536_400_000 + 3 * DAY_MS));
        contribution(&deal("open", None), tz, -1, &mut rows);
        contribution(&won, tz, 1, &mut rows);
        let changed: Vec<_> = rows.iter().filter(|(_, s)| **s != Sums::default()).map(|(k, s)| (k.kind, k.status.clone(), *s)).collect();
        assert_eq!(
            changed,
            vec![
                (Kind::Created, "won".into(), Sums { deals: 1, value: 1_000, cycle_ms: 0 }),
                (Kind::Lead, String::new(), Sums { deals: 1, value: 0, cycle_ms: 0 }),
                (Kind::Closed, "won".into(), Sums { deals: 1, value: 1_000, cycle_ms: 3 * DAY_MS }),
            ]
        );
        let mut none = BTreeMap::new();
        contribution(&deal("not_lead", None), tz, 1, &mut none);
        assert!(none.is_empty(), "not a lead counts nowhere");
        assert_eq!((month_text(202601), month_text(0)), (Some("2026-01".into()), None));
    }
}

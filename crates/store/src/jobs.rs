//! The durable job queue and recurring schedules.
//!
//! A job is a row before it runs: `queued` → `running` (claimed by one worker with a lease) →
//! `done`, or back to `queued` with a back-off after a failure, or `failed` after its last
//! attempt. A job whose worker died keeps its row in `running` until the lease runs out; then
//! any worker claims it again, so work in flight when a process is killed is done after restart.
//! Handlers must therefore be idempotent; the dedupe key (unique per workspace) makes enqueueing
//! the same work twice a no-op.
//!
//! Claiming is one statement: on PostgreSQL `FOR UPDATE SKIP LOCKED` lets several processes
//! claim side by side without taking the same row; SQLite has one writer, and between processes
//! on one file only the holder of the `jobs` lease claims at all.
//!
//! This module owns the rows; what a job kind does lives with the worker that runs it.
use crate::error::{Result, StoreError};
use crate::sql::col;
use crate::Db;
use poryadok_core::msg::{words, Common, RecordMsg};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use sea_query::{Expr, LockBehavior, LockType, OnConflict, Order, Query};
use serde_json::{json, Value as Json};

pub const STATUSES: &[&str] = &["queued", "running", "done", "failed"];
const DEFAULT_MAX_ATTEMPTS: i64 = 8;
/// First retry after 10 s, doubling, at most an hour apart.
const BACKOFF_BASE_MS: i64 = 10_000;
const BACKOFF_MAX_MS: i64 = 3_600_000;

/// Work to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub workspace_id: i64,
    pub kind: String,
    pub payload: Json,
    pub run_at: i64,
    /// Enqueueing again with the same key (in the workspace) does nothing.
    pub dedupe_key: Option<String>,
    pub max_attempts: i64,
}

impl NewJob {
    pub fn new(workspace_id: i64, kind: &str, payload: Json, run_at: i64) -> NewJob {
        NewJob { workspace_id, kind: kind.into(), payload, run_at, dedupe_key: None, max_attempts: DEFAULT_MAX_ATTEMPTS }
    }
    pub fn dedupe(mut self, key: impl Into<String>) -> NewJob {
        self.dedupe_key = Some(key.into());
        self
    }
}

/// A claimed job, as its handler sees it.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub workspace_id: i64,
    pub kind: String,
    pub payload: Json,
    pub run_at: i64,
    /// This run included.
    pub attempts: i64,
    pub max_attempts: i64,
}

fn backoff_ms(attempts: i64) -> i64 {
    let shift = attempts.clamp(1, 20) - 1;
    (BACKOFF_BASE_MS << shift).min(BACKOFF_MAX_MS)
}

fn decode_job(r: &QueryResult) -> Result<Job> {
    let payload: String = r.try_get("", "payload")?;
    Ok(Job {
        id: r.try_get("", "id")?,
        workspace_id: r.try_get("", "workspace_id")?,
        kind: r.try_get("", "kind")?,
        payload: serde_json::from_str(&payload).unwrap_or(Json::Null),
        run_at: r.try_get("", "run_at")?,
        attempts: r.try_get("", "attempts")?,
        max_attempts: r.try_get("", "max_attempts")?,
    })
}

const JOB_COLUMNS: [&str; 7] = ["id", "workspace_id", "kind", "payload", "run_at", "attempts", "max_attempts"];

impl Db {
    /// Enqueues a job; `None` when a job with the same dedupe key already exists.
    pub async fn enqueue(&self, job: &NewJob) -> Result<Option<i64>> {
        enqueue_on(&self.write, self.backend, job, self.clock.now_ms()).await
    }

    /// Claims up to `limit` due jobs for `worker`, holding each for `lease_ms`.
    pub async fn claim_jobs(&self, worker: &str, limit: u64, lease_ms: i64) -> Result<Vec<Job>> {
        let now = self.clock.now_ms();
        let mut due = Query::select();
        due.column(col("id"))
            .from(col("jobs"))
            .cond_where(
                sea_query::Cond::any()
                    .add(Expr::col(col("status")).eq("queued").and(Expr::col(col("run_at")).lte(now)))
                    .add(Expr::col(col("status")).eq("running").and(Expr::col(col("locked_until")).lt(now))),
            )
            .order_by(col("run_at"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .limit(limit);
        if self.backend == DbBackend::Postgres {
            due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let q = Query::update()
            .table(col("jobs"))
            .value(col("status"), "running")
            .value(col("locked_by"), worker)
            .value(col("locked_until"), now + lease_ms)
            .value(col("started_at"), now)
            .value(col("attempts"), Expr::col(col("attempts")).add(1))
            .and_where(Expr::col(col("id")).in_subquery(due))
            .returning(Query::returning().columns(JOB_COLUMNS.map(col)))
            .to_owned();
        let rows = self.write.query_all(self.backend.build(&q)).await?;
        let mut jobs = rows.iter().map(decode_job).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok(jobs)
    }

    /// Who holds the jobs that are running now.
    pub async fn running_job_holders(&self) -> Result<Vec<String>> {
        let q = Query::select()
            .distinct()
            .column(col("locked_by"))
            .from(col("jobs"))
            .and_where(Expr::col(col("status")).eq("running"))
            .and_where(Expr::col(col("locked_by")).is_not_null())
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(|r| Ok(r.try_get("", "locked_by")?)).collect()
    }

    /// Queues again, due now, the running jobs of holders known to be dead; returns how many.
    pub async fn requeue_jobs_of(&self, holders: &[String]) -> Result<u64> {
        let q = Query::update()
            .table(col("jobs"))
            .values([
                (col("status"), "queued".into()),
                (col("locked_by"), Option::<String>::None.into()),
                (col("locked_until"), Option::<i64>::None.into()),
                (col("run_at"), self.clock.now_ms().into()),
            ])
            .and_where(Expr::col(col("status")).eq("running"))
            .and_where(Expr::col(col("locked_by")).is_in(holders.iter().map(String::as_str)))
            .to_owned();
        Ok(self.write.execute(self.backend.build(&q)).await?.rows_affected())
    }

    /// Marks a job done; false if the worker no longer held it (its lease ran out and another took it).
    pub async fn complete_job(&self, job: &Job, worker: &str) -> Result<bool> {
        let now = self.clock.now_ms();
        let q = Query::update()
            .table(col("jobs"))
            .values([
                (col("status"), "done".into()),
                (col("finished_at"), now.into()),
                (col("locked_by"), Option::<String>::None.into()),
                (col("locked_until"), Option::<i64>::None.into()),
            ])
            .and_where(Expr::col(col("id")).eq(job.id))
            .and_where(Expr::col(col("locked_by")).eq(worker))
            .to_owned();
        Ok(self.write.execute(self.backend.build(&q)).await?.rows_affected() == 1)
    }

    /// Records a failure: retried after a back-off, or `failed` after the last attempt.
    pub async fn fail_job(&self, job: &Job, worker: &str, error: &str) -> Result<()> {
        let now = self.clock.now_ms();
        let last = job.attempts >= job.max_attempts;
        let error: String = error.chars().take(2000).collect();
        let q = Query::update()
            .table(col("jobs"))
            .values([
                (col("status"), if last { "failed" } else { "queued" }.into()),
                (col("run_at"), if last { job.run_at } else { now + backoff_ms(job.attempts) }.into()),
                (col("last_error"), error.into()),
                (col("finished_at"), if last { Some(now) } else { None }.into()),
                (col("locked_by"), Option::<String>::None.into()),
                (col("locked_until"), Option::<i64>::None.into()),
            ])
            .and_where(Expr::col(col("id")).eq(job.id))
            .and_where(Expr::col(col("locked_by")).eq(worker))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// Takes or renews the named lease for `holder`; true if `holder` has it now.
    pub async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool> {
        let now = self.clock.now_ms();
        let mut on_conflict = OnConflict::column(col("name"));
        on_conflict.update_columns([col("holder"), col("expires_at")]).action_and_where(
            Expr::col((col("leases"), col("holder"))).eq(holder).or(Expr::col((col("leases"), col("expires_at"))).lt(now)),
        );
        let q = Query::insert()
            .into_table(col("leases"))
            .columns([col("name"), col("holder"), col("expires_at")])
            .values_panic([name.into(), holder.into(), (now + ttl_ms).into()])
            .on_conflict(on_conflict)
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        let check = Query::select().column(col("holder")).from(col("leases")).and_where(Expr::col(col("name")).eq(name)).to_owned();
        let r = self.write.query_one(self.backend.build(&check)).await?;
        Ok(r.map(|r| r.try_get::<String>("", "holder")).transpose()?.as_deref() == Some(holder))
    }

    /// Creates or changes a recurring schedule (by workspace and name).
    pub async fn upsert_schedule(
        &self,
        workspace_id: i64,
        name: &str,
        kind: &str,
        payload: &Json,
        every_ms: i64,
        first_run_at: i64,
    ) -> Result<()> {
        if every_ms <= 0 {
            return Err(StoreError::invalid("every", RecordMsg::PositiveInterval {}));
        }
        let now = self.clock.now_ms();
        let q = Query::insert()
            .into_table(col("schedules"))
            .columns(["workspace_id", "name", "kind", "payload", "every_ms", "next_run_at", "enabled", "created_at", "updated_at"].map(col))
            .values_panic([
                workspace_id.into(),
                name.into(),
                kind.into(),
                payload.to_string().into(),
                every_ms.into(),
                first_run_at.into(),
                true.into(),
                now.into(),
                now.into(),
            ])
            .on_conflict(
                OnConflict::columns([col("workspace_id"), col("name")])
                    .update_columns(["kind", "payload", "every_ms", "enabled", "updated_at"].map(col))
                    .to_owned(),
            )
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// Enqueues a job for every schedule that is due and moves it to its next time. Two workers
    /// firing the same schedule enqueue one job: the key is the schedule and the planned time.
    pub async fn fire_schedules(&self) -> Result<usize> {
        let now = self.clock.now_ms();
        let due = Query::select()
            .columns(["id", "workspace_id", "kind", "payload", "every_ms", "next_run_at"].map(col))
            .from(col("schedules"))
            .and_where(Expr::col(col("enabled")).eq(true))
            .and_where(Expr::col(col("next_run_at")).lte(now))
            .to_owned();
        let rows = self.write.query_all(self.backend.build(&due)).await?;
        let mut fired = 0;
        for r in rows {
            let (id, ws, every, planned): (i64, i64, i64, i64) =
                (r.try_get("", "id")?, r.try_get("", "workspace_id")?, r.try_get("", "every_ms")?, r.try_get("", "next_run_at")?);
            let payload: String = r.try_get("", "payload")?;
            let kind: String = r.try_get("", "kind")?;
            // Skip missed firings (the server was down): the next time is the first one after now.
            let next = planned + ((now - planned) / every + 1) * every;
            let tx = sea_orm::TransactionTrait::begin(&self.write).await?;
            let moved = Query::update()
                .table(col("schedules"))
                .value(col("next_run_at"), next)
                .and_where(Expr::col(col("id")).eq(id))
                .and_where(Expr::col(col("next_run_at")).eq(planned))
                .to_owned();
            if tx.execute(self.backend.build(&moved)).await?.rows_affected() == 1 {
                let job = NewJob::new(ws, &kind, serde_json::from_str(&payload).unwrap_or(json!({})), planned)
                    .dedupe(format!("schedule:{id}:{planned}"));
                if enqueue_on(&tx, self.backend, &job, now).await?.is_some() {
                    fired += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(fired)
    }

    /// Jobs of a workspace, newest first, optionally of one status (for the API and the UI).
    pub async fn list_jobs(&self, workspace_id: i64, status: Option<&str>, limit: u64) -> Result<Vec<Json>> {
        let mut q = Query::select();
        q.columns(
            [
                "id",
                "kind",
                "payload",
                "dedupe_key",
                "status",
                "run_at",
                "attempts",
                "max_attempts",
                "last_error",
                "created_at",
                "finished_at",
            ]
            .map(col),
        )
        .from(col("jobs"))
        .and_where(Expr::col(col("workspace_id")).eq(workspace_id))
        .order_by(col("id"), Order::Desc)
        .limit(limit);
        if let Some(s) = status {
            if !STATUSES.contains(&s) {
                return Err(StoreError::invalid("status", Common::OneOf { list: words(STATUSES) }));
            }
            q.and_where(Expr::col(col("status")).eq(s));
        }
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        let ts = |ms: Option<i64>| ms.map(poryadok_core::types::format_ms);
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("", "payload")?;
                Ok(json!({
                    "id": r.try_get::<i64>("", "id")?,
                    "kind": r.try_get::<String>("", "kind")?,
                    "payload": serde_json::from_str::<Json>(&payload).unwrap_or(Json::Null),
                    "dedupe_key": r.try_get::<Option<String>>("", "dedupe_key")?,
                    "status": r.try_get::<String>("", "status")?,
                    "run_at": ts(Some(r.try_get("", "run_at")?)),
                    "attempts": r.try_get::<i64>("", "attempts")?,
                    "max_attempts": r.try_get::<i64>("", "max_attempts")?,
                    "last_error": r.try_get::<Option<String>>("", "last_error")?,
                    "created_at": ts(Some(r.try_get("", "created_at")?)),
                    "finished_at": ts(r.try_get("", "finished_at")?),
                }))
            })
            .collect()
    }

    /// When the earliest queued job is due (across workspaces: the worker serves them all).
    pub async fn next_due_at(&self) -> Result<Option<i64>> {
        let q = Query::select()
            .expr_as(sea_query::Func::min(Expr::col(col("run_at"))), col("due"))
            .from(col("jobs"))
            .and_where(Expr::col(col("status")).eq("queued"))
            .to_owned();
        Ok(self.read.query_one(self.backend.build(&q)).await?.map(|r| r.try_get::<Option<i64>>("", "due")).transpose()?.flatten())
    }

    /// For each finished job of `kind`: how late it started after it was due, in ms (the benchmark's measure).
    pub async fn job_start_delays(&self, workspace_id: i64, kind: &str) -> Result<Vec<i64>> {
        let q = Query::select()
            .columns(["run_at", "started_at"].map(col))
            .from(col("jobs"))
            .and_where(Expr::col(col("workspace_id")).eq(workspace_id))
            .and_where(Expr::col(col("kind")).eq(kind))
            .and_where(Expr::col(col("status")).eq("done"))
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(|r| Ok(r.try_get::<i64>("", "started_at")? - r.try_get::<i64>("", "run_at")?)).collect()
    }

    /// Puts a failed job back in the queue to run now (after the cause was fixed).
    pub async fn retry_job(&self, workspace_id: i64, id: i64) -> Result<()> {
        let now = self.clock.now_ms();
        let q = Query::update()
            .table(col("jobs"))
            .values([(col("status"), "queued".into()), (col("run_at"), now.into()), (col("attempts"), 0i64.into())])
            .and_where(Expr::col(col("workspace_id")).eq(workspace_id))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("status")).eq("failed"))
            .to_owned();
        match self.write.execute(self.backend.build(&q)).await?.rows_affected() {
            1 => Ok(()),
            _ => Err(StoreError::Conflict { field: Some("status".into()), msg: RecordMsg::RetryFailedOnly {}.into() }),
        }
    }
}

/// Enqueues on any connection (a transaction included), so a job can be part of the write that causes it.
pub(crate) async fn enqueue_on(conn: &impl ConnectionTrait, backend: DbBackend, job: &NewJob, now: i64) -> Result<Option<i64>> {
    let mut q = insert_jobs(std::slice::from_ref(job), now)?;
    q.returning_col(col("id"));
    let row = conn.query_one(backend.build(&q)).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "id")).transpose()?)
}

/// Enqueues several jobs with one statement (a batch of intake events); duplicates by dedupe key
/// are skipped as with [`enqueue_on`].
pub(crate) async fn enqueue_many_on(conn: &impl ConnectionTrait, backend: DbBackend, jobs: &[NewJob], now: i64) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    conn.execute(backend.build(&insert_jobs(jobs, now)?)).await?;
    Ok(())
}

/// The insert of queued jobs; a row whose dedupe key exists already is skipped.
fn insert_jobs(jobs: &[NewJob], now: i64) -> Result<sea_query::InsertStatement> {
    let mut q = Query::insert();
    q.into_table(col("jobs"))
        .columns(["workspace_id", "kind", "payload", "dedupe_key", "status", "run_at", "attempts", "max_attempts", "created_at"].map(col));
    for job in jobs {
        q.values([
            job.workspace_id.into(),
            job.kind.clone().into(),
            job.payload.to_string().into(),
            job.dedupe_key.clone().into(),
            "queued".into(),
            job.run_at.into(),
            0i64.into(),
            job.max_attempts.into(),
            now.into(),
        ])
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    }
    q.on_conflict(OnConflict::columns([col("workspace_id"), col("dedupe_key")]).do_nothing().to_owned());
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(1), 10_000);
        assert_eq!(backoff_ms(2), 20_000);
        assert_eq!(backoff_ms(4), 80_000);
        assert_eq!(backoff_ms(30), 3_600_000);
    }
}

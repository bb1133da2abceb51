//! The background worker: fires due schedules, claims due jobs and runs each by its kind.
//!
//! Every server process runs one worker. On PostgreSQL they all claim side by side (the queue
//! hands each job to one of them); on SQLite only the process holding the `jobs` lease works,
//! the others wait for it to lapse. A handler's error is recorded on the job, which is retried
//! with a back-off and finally shown as failed; a handler never takes the worker down.
use crate::mail::SmtpConfig;
use poryadok_store::jobs::Job;
use poryadok_store::Db;
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How long a claimed job is held before another worker may take it (the job's time budget).
pub const DEFAULT_LEASE_MS: i64 = 5 * 60_000;
const SQLITE_LEASE: &str = "jobs";
/// On SQLite the working process renews its lease on every pass; a crashed one is replaced
/// within this time.
const MAX_PROCESS_LEASE_MS: i64 = 15_000;
const BATCH: u64 = 32;

#[derive(Clone)]
pub struct Worker {
    pub id: String,
    pub db: Db,
    pub lease_ms: i64,
    pub poll: Duration,
    /// Woken when work is enqueued in this process, so it runs without waiting for the poll.
    pub wake: Arc<Notify>,
    /// The mail server for notifications' e-mail copies, if this server has one.
    pub smtp: Option<Arc<SmtpConfig>>,
    /// Where generated documents' files go.
    pub files: poryadok_store::files::FileStore,
    pub telegram_api: Arc<str>,
}

/// What a job handler may use.
pub struct JobContext<'a> {
    pub db: &'a Db,
    pub smtp: Option<&'a SmtpConfig>,
    pub files: &'a poryadok_store::files::FileStore,
    /// The Telegram Bot API's base URL.
    pub telegram_api: &'a str,
}

/// What a job run did: how many jobs were run, and how many of them failed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    pub ran: usize,
    pub failed: usize,
}

impl Worker {
    /// A worker for the server whose state is `st` (requests wake it when they enqueue work).
    pub fn new(st: &crate::AppState) -> Worker {
        let id = format!(
            "{}/{}/{}",
            host_name(),
            std::process::id(),
            poryadok_store::auth::new_secret("w").chars().take(10).collect::<String>()
        );
        Worker {
            id,
            db: st.db.clone(),
            lease_ms: DEFAULT_LEASE_MS,
            poll: Duration::from_millis(500),
            wake: st.worker_wake.clone(),
            smtp: st.smtp.clone(),
            files: st.files.clone(),
            telegram_api: st.telegram_api.clone(),
        }
    }

    /// One pass: fire due schedules, then run due jobs until none is left.
    pub async fn run_once(&self) -> poryadok_store::Result<RunReport> {
        let mut report = RunReport::default();
        if !self.db.is_postgres() && !self.db.acquire_lease(SQLITE_LEASE, &self.id, self.lease_ms.min(MAX_PROCESS_LEASE_MS)).await? {
            return Ok(report);
        }
        self.db.fire_schedules().await?;
        loop {
            let jobs = self.db.claim_jobs(&self.id, BATCH, self.lease_ms).await?;
            if jobs.is_empty() {
                return Ok(report);
            }
            let ctx = JobContext { db: &self.db, smtp: self.smtp.as_deref(), files: &self.files, telegram_api: &self.telegram_api };
            for job in jobs {
                report.ran += 1;
                match run_job(&ctx, &job).await {
                    Ok(()) => {
                        self.db.complete_job(&job, &self.id).await?;
                    }
                    Err(e) => {
                        report.failed += 1;
                        tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                        self.db.fail_job(&job, &self.id, &e).await?;
                    }
                }
            }
        }
    }

    /// Runs until `shutdown` completes: a pass, then a nap until the next poll or a wake-up.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        // Every workspace runs its schedules (scheduled reports, the regulation document's sync);
        // a workspace created while the server runs gets them at the next check.
        let mut scheduled = std::collections::HashSet::new();
        let mut next_check = std::time::Instant::now() + SCHEDULE_CHECK;
        self.install_schedules(&mut scheduled).await;
        match self.reclaim_dead_leases().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "re-queued jobs left running by a process of this host that is gone"),
            Err(e) => tracing::error!(error = %e, "reclaiming dead leases failed"),
        }
        loop {
            if std::time::Instant::now() >= next_check {
                self.install_schedules(&mut scheduled).await;
                next_check = std::time::Instant::now() + SCHEDULE_CHECK;
            }
            if let Err(e) = self.run_once().await {
                tracing::error!(error = %e, "job worker pass failed");
            }
            // Sleep until the next job is due (or the poll interval, whichever is first), so a
            // timer set for 09:30 runs at 09:30 and not up to a poll later.
            let nap = match self.db.next_due_at().await {
                Ok(Some(due)) => Duration::from_millis((due - self.db.clock.now_ms()).clamp(0, self.poll.as_millis() as i64) as u64),
                _ => self.poll,
            };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(nap) => {}
            }
        }
    }
}

/// How often the worker looks for workspaces created since it started.
const SCHEDULE_CHECK: Duration = Duration::from_secs(60);

impl Worker {
    /// Installs the schedules every workspace runs, for each workspace not yet in `done`; a
    /// schedule already there is kept. A failure is logged and retried at the next check.
    async fn install_schedules(&self, done: &mut std::collections::HashSet<i64>) {
        let ids = match self.db.workspace_ids().await {
            Ok(ids) => ids,
            Err(e) => return tracing::error!(error = %e, "listing workspaces for their schedules failed"),
        };
        let new: Vec<i64> = ids.into_iter().filter(|ws| !done.contains(ws)).collect();
        for ws in new {
            let installed = async {
                self.db.ensure_digest_schedule(ws).await?;
                self.db.ensure_review_sample_schedule(ws).await?;
                self.db.ensure_regulation_doc_schedule(ws).await
            };
            match installed.await {
                Ok(()) => {
                    done.insert(ws);
                }
                Err(e) => tracing::error!(workspace = ws, error = %e, "installing the workspace's schedules failed"),
            }
        }
    }

    /// Jobs left `running` by an earlier process of this host that is gone (killed, crashed)
    /// are queued again at once instead of waiting out their lease. A worker's id is
    /// `host/pid/random`: a holder on this host whose process no longer exists is dead.
    pub async fn reclaim_dead_leases(&self) -> poryadok_store::Result<u64> {
        let host = host_name();
        let dead: Vec<String> = self
            .db
            .running_job_holders()
            .await?
            .into_iter()
            .filter(|holder| {
                let mut parts = holder.split('/');
                let (Some(h), Some(pid)) = (parts.next(), parts.next().and_then(|p| p.parse::<u32>().ok())) else { return false };
                h == host && pid != std::process::id() && !process_alive(pid)
            })
            .collect();
        if dead.is_empty() {
            return Ok(0);
        }
        self.db.requeue_jobs_of(&dead).await
    }
}

/// This machine's name, as workers' ids carry it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().replace('/', "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The kinds of work the engine knows. An unknown kind fails (and is visible as failed), so a
/// job written by a newer version is not silently dropped by an older one.
pub async fn run_job(ctx: &JobContext<'_>, job: &Job) -> Result<(), String> {
    match job.kind.as_str() {
        "probe" => probe(job).await,
        poryadok_store::dump::backup::JOB => {
            let dir = job.payload["dir"].as_str().unwrap_or_default();
            if dir.is_empty() {
                return Err("the backup schedule names no directory".into());
            }
            let keep = job.payload["keep"].as_u64().unwrap_or(7) as usize;
            // From the read replica when one is configured.
            ctx.db
                .reader()
                .scheduled_backup(std::path::Path::new(dir), keep, Some(ctx.files.blobs.as_ref()))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        poryadok_store::notifications::EMAIL_JOB => crate::mail::email_job(ctx, job).await,
        poryadok_store::documents::PDF_JOB => crate::documents::pdf_job(ctx.db, ctx.files, job).await,
        poryadok_store::regulation::SLA_JOB => crate::sla::sla_job(ctx, job).await,
        poryadok_store::mentions::MENTION_JOB => crate::mention::mention_job(ctx, job).await,
        poryadok_store::audit::ROUND_JOB => {
            // A round started "as of" a moment carries it, so its time rules read that moment.
            let now = job.payload.get("now").and_then(Json::as_i64);
            ctx.db.run_round_at(job.workspace_id, round_of(job)?, now).await.map(|_| ()).map_err(|e| e.to_string())
        }
        poryadok_store::audit::SCHEDULED_JOB => ctx.db.scheduled_round(job.workspace_id).await.map(|_| ()).map_err(|e| e.to_string()),
        poryadok_store::audit::RECHECK_JOB => {
            ctx.db.recheck_round(job.workspace_id, round_of(job)?).await.map(|_| ()).map_err(|e| e.to_string())
        }
        poryadok_store::assistants::RUN_JOB => {
            let name = job.payload.get("name").and_then(Json::as_str).ok_or_else(|| "the job names no assistant".to_string())?;
            ctx.db.scheduled_assistant(job.workspace_id, name).await.map(|_| ()).map_err(|e| e.to_string())
        }
        poryadok_store::channels::MESSAGE_JOB => crate::channels::message_job(ctx, job).await,
        poryadok_store::client_notify::NOTIFY_JOB => {
            ctx.db.run_client_notify(job.workspace_id, &job.payload).await.map_err(|e| e.to_string())
        }
        poryadok_store::channels::webhooks::DELIVERY_JOB => crate::channels::delivery_job(ctx, job).await,
        poryadok_store::intake::IMAP_JOB => crate::mailbox::poll_job(ctx, job).await,
        poryadok_store::report::digest::DIGEST_JOB => crate::digest::digest_job(ctx, job).await,
        poryadok_store::regulation_doc::SYNC_JOB => crate::api::regulation_doc::sync_job(ctx.db, job.workspace_id).await,
        poryadok_store::deal_stats::REBUILD_JOB => {
            ctx.db.rebuild_deal_stats(Some(job.workspace_id), &mut |_| {}).await.map(|_| ()).map_err(|e| e.to_string())
        }
        poryadok_store::reviews::SAMPLE_JOB => ctx.db.scheduled_sample(job.workspace_id).await.map(|_| ()).map_err(|e| e.to_string()),
        poryadok_store::quiz::REASSIGN_JOB => ctx.db.reassign_quizzes(job.workspace_id).await.map(|_| ()).map_err(|e| e.to_string()),
        poryadok_store::intake::EVENT_JOB => {
            let id = job.payload.get("event_id").and_then(Json::as_i64).ok_or_else(|| "the job names no event_id".to_string())?;
            ctx.db.process_event(job.workspace_id, id).await.map_err(|e| e.to_string())
        }
        other => Err(format!("unknown job kind '{other}'")),
    }
}

fn round_of(job: &Job) -> Result<i64, String> {
    job.payload.get("round_id").and_then(Json::as_i64).ok_or_else(|| "the job names no round_id".to_string())
}

/// A job that only takes time: operators use it to see that workers are alive and how fast
/// the queue moves (`poryadok jobs probe`). `stall_first_ms` makes its first attempt hang, which
/// is how a job in flight during a crash is reproduced.
async fn probe(job: &Job) -> Result<(), String> {
    let payload = &job.payload;
    let stall = if job.attempts == 1 { payload.get("stall_first_ms").and_then(Json::as_u64).unwrap_or(0) } else { 0 };
    let ms = (payload.get("sleep_ms").and_then(Json::as_u64).unwrap_or(0) + stall).min(600_000);
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    match payload.get("fail").and_then(Json::as_str) {
        Some(reason) => Err(reason.to_string()),
        None => Ok(()),
    }
}

//! `poryadok jobs`: look at the queue, run due work once, retry a failure, and probe the workers.
use anyhow::Result;
use clap::Subcommand;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use poryadok_store::jobs::NewJob;
use poryadok_store::Db;
use serde_json::json;

#[derive(Subcommand)]
pub enum JobsCommand {
    /// Print the newest jobs (JSON lines), optionally of one status: queued, running, done, failed.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Run every due job once in this process and exit (for cron-style setups and checks).
    Run,
    /// Put a failed job back in the queue.
    Retry {
        id: i64,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Enqueue probe jobs that only take time: shows that workers run and how fast.
    Probe {
        #[arg(long, default_value_t = 1)]
        count: u64,
        #[arg(long, default_value_t = 0)]
        sleep_ms: u64,
        /// Make the first attempt hang this long (to see a crashed job picked up again).
        #[arg(long, default_value_t = 0)]
        stall_first_ms: u64,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

pub async fn run(db: &Db, cmd: JobsCommand, smtp: Option<poryadok_server::mail::SmtpConfig>, telegram_api: Option<&str>) -> Result<()> {
    match cmd {
        JobsCommand::List { status, limit, workspace: ws } => {
            let ws = crate::first_workspace(db, ws).await?;
            for job in db.list_jobs(ws, status.as_deref(), limit.clamp(1, 500)).await? {
                println!("{job}");
            }
        }
        JobsCommand::Run => {
            let report = Worker::new(&AppState::new(db.clone()).with_smtp(smtp).with_telegram_api(telegram_api)).run_once().await?;
            println!("{}", json!({"ran": report.ran, "failed": report.failed}));
        }
        JobsCommand::Retry { id, workspace: ws } => {
            let ws = crate::first_workspace(db, ws).await?;
            db.retry_job(ws, id).await?;
            println!("job {id} queued again");
        }
        JobsCommand::Probe { count, sleep_ms, stall_first_ms, workspace: ws } => {
            let ws = crate::first_workspace(db, ws).await?;
            let now = db.clock.now_ms();
            for _ in 0..count {
                let payload = json!({"sleep_ms": sleep_ms, "stall_first_ms": stall_first_ms});
                let id = db.enqueue(&NewJob::new(ws, "probe", payload, now)).await?;
                println!("{}", json!({"enqueued": id}));
            }
        }
    }
    Ok(())
}

//! The job engine's figures: how many jobs a worker runs per second, and how late a job starts
//! after it is due when a worker is running (polling, or woken by work enqueued in-process).
use anyhow::Result;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use poryadok_store::jobs::NewJob;
use poryadok_store::workspace::NewWorkspace;
use poryadok_store::Db;
use serde_json::json;
use std::time::{Duration, Instant};

pub async fn run(db: &Db, count: u64, timed: u64) -> Result<()> {
    let ws = db.create_workspace(&NewWorkspace { name: "Job benchmark".into(), ..Default::default() }).await?.id;
    let state = AppState::new(db.clone());

    // Throughput: a backlog of due jobs drained by one worker.
    let t = Instant::now();
    for _ in 0..count {
        db.enqueue(&NewJob::new(ws, "probe", json!({}), db.clock.now_ms())).await?;
    }
    let enqueue_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    // One worker for the whole run: on SQLite a second one would wait for the first one's lease.
    let worker = Worker::new(&state);
    let report = worker.run_once().await?;
    let run_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(report.ran as u64 == count && report.failed == 0, "the worker ran {report:?} of {count}");
    println!("{}", json!({"name": "jobs_enqueue", "unit": "jobs/s", "median": count as f64 / enqueue_s, "jobs": count}));
    println!(
        "{}",
        json!({"name": "jobs_throughput", "unit": "jobs/s", "median": count as f64 / run_s, "jobs": count,
                          "note": "one worker draining a backlog of due jobs: claim, run, mark done"})
    );

    // Latency: jobs due over two seconds while a worker loop runs as in `serve`; each job's
    // start is compared with its due time (in a workspace of their own).
    let timed_ws = db.create_workspace(&NewWorkspace { name: "Job latency benchmark".into(), ..Default::default() }).await?.id;
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(worker.run(async move {
        let _ = stop_rx.wait_for(|s| *s).await;
    }));
    let start = db.clock.now_ms() + 300;
    let spacing = 2_000 / timed.max(1) as i64;
    for i in 0..timed {
        db.enqueue(&NewJob::new(timed_ws, "probe", json!({}), start + i as i64 * spacing)).await?;
    }
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let _ = stop_tx.send(true);
    let _ = handle.await;
    let delays = db.job_start_delays(timed_ws, "probe").await?;
    anyhow::ensure!(delays.len() as u64 == timed, "only {} of {timed} timed jobs ran", delays.len());
    let max = delays.iter().max().copied();
    let (p50, p99) = crate::bench::stats(delays.iter().map(|d| Duration::from_millis((*d).max(0) as u64)).collect());
    println!(
        "{}",
        json!({"name": "jobs_due_to_start", "unit": "ms", "median": p50, "p99": p99, "max": max, "jobs": timed,
                          "note": "from a job's due time to its start, with a worker running"})
    );
    Ok(())
}

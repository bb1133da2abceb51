//! The durable job queue: dedupe, retries with back-off, leases that survive a dead worker,
//! several workers side by side, schedules, and the administrators' API.
use crate::helpers::*;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use poryadok_store::jobs::NewJob;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(
    enqueueing_twice_with_one_key_makes_one_job,
    a_failing_job_is_retried_with_back_off_then_failed_and_can_be_retried,
    a_job_whose_worker_died_is_taken_over_after_its_lease,
    two_workers_never_run_the_same_job_twice,
    a_schedule_fires_once_per_period_however_many_workers,
);

fn worker(app: &TestApp) -> Worker {
    Worker::new(&AppState::new(app.db.clone()))
}

fn probe(app: &TestApp, payload: serde_json::Value) -> NewJob {
    NewJob::new(app.ws, "probe", payload, app.db.clock.now_ms())
}

async fn jobs(app: &TestApp, status: &str) -> Vec<serde_json::Value> {
    app.db.list_jobs(app.ws, Some(status), 500).await.unwrap()
}

async fn enqueueing_twice_with_one_key_makes_one_job(app: TestApp) {
    let first = app.db.enqueue(&probe(&app, json!({})).dedupe("sla:1:2")).await.unwrap();
    let again = app.db.enqueue(&probe(&app, json!({})).dedupe("sla:1:2")).await.unwrap();
    assert!(first.is_some() && again.is_none());
    app.db.enqueue(&probe(&app, json!({}))).await.unwrap();
    app.db.enqueue(&probe(&app, json!({}))).await.unwrap();
    assert_eq!(jobs(&app, "queued").await.len(), 3, "jobs without a key never collide");
}

async fn a_failing_job_is_retried_with_back_off_then_failed_and_can_be_retried(app: TestApp) {
    let mut job = probe(&app, json!({"fail": "gateway unreachable"}));
    job.max_attempts = 3;
    let id = app.db.enqueue(&job).await.unwrap().unwrap();
    let w = worker(&app);
    assert_eq!(w.run_once().await.unwrap().failed, 1);
    let queued = jobs(&app, "queued").await;
    assert_eq!(queued[0]["last_error"], "gateway unreachable");
    assert_eq!(queued[0]["run_at"], "2026-11-23T09:00:10.000Z", "the first retry waits 10 s");
    assert_eq!(w.run_once().await.unwrap().ran, 0, "not before its time");
    app.clock.advance(time::Duration::seconds(10));
    w.run_once().await.unwrap();
    app.clock.advance(time::Duration::seconds(20));
    w.run_once().await.unwrap();
    let failed = jobs(&app, "failed").await;
    assert_eq!((failed.len(), failed[0]["attempts"].as_i64()), (1, Some(3)));

    // Administrators see it and put it back; others may not.
    let (status, v) = app.get(&app.t.admin, "/api/v1/jobs?status=failed").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["data"][0]["id"], id);
    assert_error(&app.get(&app.t.manager1, "/api/v1/jobs").await, 403, "forbidden", None);
    assert_error(&app.get(&app.t.admin, "/api/v1/jobs?status=lost").await, 422, "validation", Some("status"));
    let (status, _) = app.post(&app.t.admin, &format!("/api/v1/jobs/{id}/retry"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(jobs(&app, "queued").await.len(), 1);
    assert_error(&app.post(&app.t.admin, &format!("/api/v1/jobs/{id}/retry"), json!({})).await, 409, "conflict", Some("status"));
    // Another workspace's administrator cannot touch it.
    let (status, _) = app.post(&app.t.other_admin, &format!("/api/v1/jobs/{id}/retry"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

async fn a_job_whose_worker_died_is_taken_over_after_its_lease(app: TestApp) {
    app.db.enqueue(&probe(&app, json!({}))).await.unwrap();
    let dead = app.db.claim_jobs("dead-worker", 10, 60_000).await.unwrap();
    assert_eq!(dead.len(), 1);
    let mut alive = worker(&app);
    alive.lease_ms = 60_000;
    assert_eq!(alive.run_once().await.unwrap().ran, 0, "held by the dead worker's lease");
    app.clock.advance(time::Duration::seconds(61));
    let report = alive.run_once().await.unwrap();
    assert_eq!((report.ran, report.failed), (1, 0));
    let done = jobs(&app, "done").await;
    assert_eq!(done[0]["attempts"], 2);
    assert!(!app.db.complete_job(&dead[0], "dead-worker").await.unwrap(), "the dead worker's late answer changes nothing");
}

async fn two_workers_never_run_the_same_job_twice(app: TestApp) {
    for _ in 0..200 {
        app.db.enqueue(&probe(&app, json!({}))).await.unwrap();
    }
    let (a, b) = (worker(&app), worker(&app));
    let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.ran + rb.ran, 200, "{ra:?} {rb:?}");
    let done = jobs(&app, "done").await;
    assert_eq!(done.len(), 200);
    assert!(done.iter().all(|j| j["attempts"] == 1), "no job ran twice");
}

async fn a_schedule_fires_once_per_period_however_many_workers(app: TestApp) {
    let now = app.db.clock.now_ms();
    app.db.upsert_schedule(app.ws, "probe-hourly", "probe", &json!({}), 3_600_000, now).await.unwrap();
    let (a, b) = (worker(&app), worker(&app));
    let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
    assert_eq!(ra.unwrap().ran + rb.unwrap().ran, 1);
    assert_eq!(a.run_once().await.unwrap().ran, 0, "nothing more within the hour");
    // Three hours later (the server was down): one firing, not three.
    app.clock.advance(time::Duration::hours(3));
    assert_eq!(a.run_once().await.unwrap().ran, 1);
    assert_eq!(jobs(&app, "done").await.len(), 2);
    let err = app.db.upsert_schedule(app.ws, "never", "probe", &json!({}), 0, now).await.unwrap_err();
    assert!(err.to_string().contains("positive"), "{err}");
}

//! Outgoing messages per second through the job engine: SMS to clients queued from the
//! workspace's template (row + `client_message` job in one write), then sent by one worker
//! through the SMS gateway to a local HTTP sink on 127.0.0.1, each recorded as sent. The floor
//! is the same number of POSTs to the same sink from one client, with nothing stored.
//! Several rounds; medians. Writes target/bench/messages.json.
use anyhow::{Context, Result};
use poryadok_core::domain::Channel;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use poryadok_store::channels::ClientMessage;
use poryadok_store::workspace::NewWorkspace;
use poryadok_store::Db;
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A sink that takes every POST with 200 and counts it.
async fn sink() -> Result<(String, Arc<AtomicU64>)> {
    let seen = Arc::new(AtomicU64::new(0));
    let count = seen.clone();
    let app = axum::Router::new().fallback(axum::routing::post(move |_body: String| {
        let count = count.clone();
        async move {
            count.fetch_add(1, Ordering::Relaxed);
            r#"{"status":"ok"}"#
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, seen))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub async fn run(db: &Db, count: u64, rounds: usize) -> Result<()> {
    let ws = db.create_workspace(&NewWorkspace { name: "Messages benchmark".into(), ..Default::default() }).await?.id;
    let admin = db.system_actor(ws, Channel::Cli).await?;
    let (url, seen) = sink().await?;
    let gateway = json!({"url": format!("{url}/sms"), "method": "POST", "content_type": "application/json",
                         "headers": {"Authorization": "Bearer bench"}, "body": "{\"to\": \"{to}\", \"text\": \"{text}\"}"});
    db.set_sms_gateway(&admin, &gateway).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    db.add_default_templates(&admin).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let state = AppState::new(db.clone());
    // One worker for the whole run: on SQLite a second one would wait for the first one's lease.
    let worker = Worker::new(&state);
    let (mut queued, mut sent, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let before = seen.load(Ordering::Relaxed);
        let t = Instant::now();
        for i in 0..count {
            let vars: Map<String, Value> =
                json!({"invoice": format!("{round}-{i}"), "amount": "12 500 ₽", "manager": "Мария", "manager_phone": "+7 999 000-00-01"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
            let m = ClientMessage {
                channel: "sms".into(),
                recipient: format!("+7999{:07}", (round as u64 * count + i) % 10_000_000),
                template_key: "unpaid_reminder".into(),
                vars,
                dedupe_key: Some(format!("bench:{round}:{i}")),
                ..Default::default()
            };
            db.queue_client_message(ws, &m).await.map_err(|e| anyhow::anyhow!("{e}"))?.context("a dedupe key repeated")?;
        }
        queued.push(count as f64 / t.elapsed().as_secs_f64());
        let t = Instant::now();
        let report = worker.run_once().await?;
        let secs = t.elapsed().as_secs_f64();
        let got = seen.load(Ordering::Relaxed) - before;
        anyhow::ensure!(report.failed == 0 && got == count, "round {round}: the worker ran {report:?}, the sink got {got} of {count}");
        sent.push(count as f64 / secs);

        // The floor: the same POSTs from one client, nothing stored.
        let client = reqwest::Client::new();
        let t = Instant::now();
        for i in 0..count {
            client
                .post(format!("{url}/sms"))
                .json(&json!({"to": format!("+7999{i:07}"), "text": "floor"}))
                .send()
                .await?
                .error_for_status()?;
        }
        floor.push(count as f64 / t.elapsed().as_secs_f64());
    }
    let backend = if db.is_postgres() { "postgres" } else { "sqlite" };
    let results = vec![
        json!({"name": "messages_queue", "unit": "messages/s", "median": median(queued.clone()), "rounds": queued, "messages": count,
               "backend": backend, "note": "a message row and its client_message job, one write each"}),
        json!({"name": "messages_send", "unit": "messages/s", "median": median(sent.clone()), "rounds": sent, "messages": count,
               "limit": median(floor.clone()), "limit_name": "the same POSTs to the sink from one client, nothing stored",
               "backend": backend, "note": "one worker: claim, fill the gateway's request, POST to the local sink, record sent"}),
    ];
    for r in &results {
        println!("{r}");
    }
    let dir = PathBuf::from("target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("messages.json"), serde_json::to_string_pretty(&results)?)?;
    Ok(())
}

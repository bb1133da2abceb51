//! `poryadok bench files`: files attached through the HTTP API — `count` uploads of `size_kib`
//! KiB each (distinct contents, as multipart forms, `concurrency` at a time) to one deal of the
//! first workspace, on a server started in this process on 127.0.0.1 with its files under
//! target/bench/files; then each file downloaded once. Files/s and MB/s, printed and written to
//! target/bench/files.json.
use anyhow::{bail, Context, Result};
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_server::AppState;
use poryadok_store::files::FileStore;
use poryadok_store::Db;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

fn body(i: u64, size: usize) -> Vec<u8> {
    let mut b = format!("%PDF-1.7\n% poryadok bench file {i}\n").into_bytes();
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while b.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b.extend_from_slice(&x.to_le_bytes());
    }
    b.truncate(size);
    b
}

pub async fn run(db: &Db, count: u64, size_kib: usize, concurrency: usize) -> Result<()> {
    let ws = *db.workspace_ids().await?.first().context("no workspace; run poryadok demo first")?;
    let sys = db.system_actor(ws, Channel::Cli).await?;
    let email = format!("bench-files-{}@bench.test", db.clock.now_ms());
    let user = db.create(&sys, Entity::User, &json!({"email": email, "name": "Bench files", "role": "admin"})).await?.id();
    let token = db.create_token(ws, user, "bench files").await?;
    let deal = db.create(&sys, Entity::Deal, &json!({"title": "Bench files", "owner_id": user})).await?.id();

    let dir = std::path::PathBuf::from("target/bench");
    std::fs::create_dir_all(&dir)?;
    let mut state = AppState::new(db.clone());
    state.files = FileStore::local(dir.join("files"), 64 * 1024 * 1024);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(poryadok_server::serve(listener, state, async move {
        let _ = stop_rx.changed().await;
    }));

    let client = reqwest::Client::new();
    let size = size_kib * 1024;
    let boundary = "poryadok-bench-boundary";
    let upload = |i: u64| {
        let (client, token, base) = (client.clone(), token.clone(), base.clone());
        async move {
            let mut form = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nscan\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Скан {i}.pdf\"\r\n\r\n"
            )
            .into_bytes();
            form.extend_from_slice(&body(i, size));
            form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let r = client
                .post(format!("{base}/api/v1/deals/{deal}/files"))
                .bearer_auth(&token)
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(form)
                .send()
                .await?;
            if r.status() != reqwest::StatusCode::CREATED {
                bail!("upload {i}: {} {}", r.status(), r.text().await.unwrap_or_default());
            }
            let v: serde_json::Value = r.json().await?;
            v["data"]["id"].as_i64().context("an id")
        }
    };
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..count {
        let permit = sem.clone().acquire_owned().await?;
        let job = upload(i);
        tasks.push(tokio::spawn(async move {
            let r = job.await;
            drop(permit);
            r
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await??);
    }
    let up_secs = t.elapsed().as_secs_f64().max(1e-9);

    let t = Instant::now();
    let mut down_bytes = 0u64;
    for id in &ids {
        let r = client.get(format!("{base}/api/v1/files/{id}/content")).bearer_auth(&token).send().await?;
        if !r.status().is_success() {
            bail!("download {id}: {}", r.status());
        }
        down_bytes += r.bytes().await?.len() as u64;
    }
    let down_secs = t.elapsed().as_secs_f64().max(1e-9);
    let _ = stop_tx.send(true);
    let _ = server.await;

    let mb = (count as usize * size) as f64 / 1e6;
    let backend = if db.is_postgres() { "postgres" } else { "sqlite" };
    let results = vec![
        json!({"name": "files_upload", "unit": "files/s", "median": count as f64 / up_secs, "files": count, "size_kib": size_kib,
               "concurrency": concurrency, "seconds": up_secs, "mb_per_s": mb / up_secs, "backend": backend}),
        json!({"name": "files_download", "unit": "files/s", "median": ids.len() as f64 / down_secs, "files": ids.len(), "size_kib": size_kib,
               "seconds": down_secs, "mb_per_s": down_bytes as f64 / 1e6 / down_secs, "backend": backend}),
    ];
    for r in &results {
        println!("{r}");
    }
    std::fs::write(dir.join("files.json"), serde_json::to_string_pretty(&results)?)?;
    Ok(())
}

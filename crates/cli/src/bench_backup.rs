//! `poryadok bench backup`: the whole database's backup (VACUUM INTO on SQLite), its JSON-lines
//! dump and a verified copy into an empty database, each in rows/s and MB/s (one JSON object per
//! line, for scripts/bench).
use anyhow::{bail, Result};
use poryadok_core::SystemClock;
use poryadok_store::dump::jsonl::{JsonlSink, WriteOut};
use poryadok_store::dump::{Scope, Snapshot};
use poryadok_store::{DatabaseUrl, Db, SqliteCommit};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

fn emit(name: &str, rows: u64, bytes: u64, secs: f64) {
    let secs = secs.max(1e-9);
    println!(
        "{}",
        json!({"name": name, "unit": "rows/s", "median": rows as f64 / secs, "rows": rows, "seconds": secs,
               "mb": bytes as f64 / 1e6, "mb_per_s": bytes as f64 / 1e6 / secs})
    );
}

fn size(p: &std::path::Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

pub async fn run(db: &Db, copy_to: Option<String>) -> Result<()> {
    let dir = PathBuf::from("target/bench");
    std::fs::create_dir_all(&dir)?;
    let t = Instant::now();
    let sums = db.table_sums().await?;
    let rows: u64 = sums.iter().map(|s| s.rows).sum();
    emit("backup_checksums", rows, 0, t.elapsed().as_secs_f64());

    if !db.is_postgres() {
        let file = dir.join("bench-backup.db");
        let _ = std::fs::remove_file(&file);
        let t = Instant::now();
        db.vacuum_into(&file).await?;
        emit("backup_sqlite", rows, size(&file), t.elapsed().as_secs_f64());
        let _ = std::fs::remove_file(&file);
    }

    let file = dir.join("bench-backup.jsonl");
    let t = Instant::now();
    let mut snap = Snapshot::open(db).await?;
    let out = WriteOut(std::io::BufWriter::new(std::fs::File::create(&file)?));
    let mut sink = JsonlSink::new(out, Scope::All, db.clock.now_ms()).await?;
    snap.dump(Scope::All, &mut sink, &mut |_| {}).await?;
    snap.close().await?;
    std::io::Write::flush(&mut sink.out.0)?;
    drop(sink);
    let jsonl_bytes = size(&file);
    emit("backup_jsonl", rows, jsonl_bytes, t.elapsed().as_secs_f64());
    let _ = std::fs::remove_file(&file);

    let copy_file = dir.join("bench-copy.db");
    let url = match copy_to {
        Some(u) => DatabaseUrl::new(u),
        None => {
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", copy_file.display()));
            }
            DatabaseUrl::new(format!("sqlite://{}", copy_file.display()))
        }
    };
    let target = Db::connect_with(&url, Arc::new(SystemClock), SqliteCommit::PerWrite).await?;
    target.migrate().await?;
    let t = Instant::now();
    let v = db.copy_to(&target, &mut |_| {}, &mut |_, _| {}).await?;
    let secs = t.elapsed().as_secs_f64();
    if let Some(bad) = v.iter().find(|t| !t.ok()) {
        bail!("the copy differs in {}", bad.table);
    }
    // MB/s of a copy: the data as the JSON-lines dump measures it.
    emit(if url.is_postgres() { "copy_to_postgres" } else { "copy_to_sqlite" }, rows, jsonl_bytes, secs);
    target.close().await;
    if !url.is_postgres() {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", copy_file.display()));
        }
    }
    Ok(())
}

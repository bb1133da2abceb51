//! The import of a base from another CRM: `rows` deal rows in amoCRM's shape (a generated CSV in
//! Windows-1251, `;`-separated: a deal with its stage, owner, contact with a phone and e-mail,
//! company and utm source), uploaded and run into the first workspace; rows/s beside the raw
//! bulk insert the demo generator's path reaches on the same driver (the generator's own figure
//! is the `generate` line of the same run).
//!
//! Every run's ids are new (a re-import of the same ids would change nothing), so it can run
//! against a workspace more than once.
use anyhow::{Context, Result};
use poryadok_core::domain::Channel;
use poryadok_core::import::ImportEntity;
use poryadok_store::imports::Upload;
use poryadok_store::Db;
use serde_json::json;
use std::fmt::Write as _;
use std::time::Instant;

/// The CSV: two deals per contact, twenty contacts per company.
fn csv(rows: u64, run: i64, stages: &[String], pipeline: &str, owners: &[String]) -> Vec<u8> {
    let mut s = String::with_capacity(rows as usize * 200);
    s.push_str("ID;Название сделки;Бюджет;Этап сделки;Воронка;Ответственный;Основной контакт;Компания;Рабочий телефон;Рабочий email;utm_source;Дата создания\n");
    for i in 0..rows {
        let person = i / 2;
        let stage = &stages[(i as usize * 7) % stages.len()];
        let owner = &owners[(i as usize * 13) % owners.len()];
        let _ = writeln!(
            s,
            "{run}-{i};Сделка {i};{} {:03},00;{stage};{pipeline};{owner};Контакт {run}-{person};ООО Компания {run}-{};+7 (9{:02}) {:03}-{:02}-{:02};c{run}x{person}@example.ru;{};{:02}.{:02}.2026 {:02}:{:02}:00",
            1 + i % 900,
            i % 1000,
            person / 10,
            (run + person as i64) % 100,
            person / 10_000 % 1000,
            person / 100 % 100,
            person % 100,
            ["yandex", "google", "vk", "direct"][(i % 4) as usize],
            1 + i % 28,
            1 + i % 12,
            i % 24,
            i % 60,
        );
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&s);
    bytes.into_owned()
}

pub async fn run(db: &Db, rows: u64) -> Result<()> {
    let ws = *db.workspace_ids().await?.first().context("no workspace; generate one first")?;
    let actor = db.system_actor(ws, Channel::Cli).await?;
    let choices = db.import_choices(&actor, ImportEntity::Deal).await?;
    let (pipeline_id, pipeline) = choices.pipelines.first().cloned().context("no pipeline")?;
    let stages: Vec<String> = choices.stages.iter().filter(|(_, p, _)| *p == pipeline_id).map(|(_, _, n)| n.clone()).collect();
    let owners: Vec<String> = choices.users.iter().map(|(_, n, _)| n.clone()).take(20).collect();
    let run = db.clock.now_ms() % 1_000_000;
    let bytes = csv(rows, run, &stages, &pipeline, &owners);
    let started = Instant::now();
    let import = db
        .upload_import(
            &actor,
            &Upload { file_name: "bench.csv", content_type: Some("text/csv"), bytes: &bytes, entity: ImportEntity::Deal, preset: None },
        )
        .await?;
    let uploaded = started.elapsed().as_secs_f64();
    let ran = Instant::now();
    let report = db.run_import(&actor, import.id, &import.settings, false, &mut |_, _| {}).await?;
    let run_secs = ran.elapsed().as_secs_f64();
    let total = started.elapsed().as_secs_f64();
    anyhow::ensure!(report.created == rows, "imported {} of {rows} rows: {:?}", report.created, report.errors.first());
    let raw = db.raw_insert_limit(rows).await?.as_secs_f64();
    println!(
        "{}",
        json!({"name": "import", "unit": "rows/s", "rows": rows, "bytes": bytes.len(), "seconds": total,
               "upload_seconds": uploaded, "run_seconds": run_secs, "median": rows as f64 / total,
               "persons_created": report.persons_created, "organizations_created": report.organizations_created,
               "limit": rows as f64 / raw, "limit_name": "raw bulk insert (the demo generator's path), same driver"})
    );
    Ok(())
}

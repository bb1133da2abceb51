//! `poryadok bench regulation`: export, plan and apply of a large regulation — 10 pipelines ×
//! 12 stages (required fields, an entry task and an SLA on each), 200 custom fields, 100 rules —
//! in a workspace of its own with open deals on the first stages. The applies alternate between
//! two files that differ in 12 stage names, 10 new required fields and 10 rule expressions, so
//! every apply writes. Then a file that removes a stage holding `moved` deals is applied with a
//! target stage (the deals move through the write pipeline). Medians printed as JSON lines and
//! written to target/bench/regulation.json.
use crate::bench::time;
use anyhow::Result;
use poryadok_core::domain::Channel;
use poryadok_core::regulation_file::{DurationSpec, EntryTaskSpec, FieldSpec, PipelineSpec, RegulationFile, RuleSpec, StageSpec};
use poryadok_core::schema::Entity;
use poryadok_store::regulation_file::{Applied, ApplyOptions};
use poryadok_store::workspace::NewWorkspace;
use poryadok_store::Db;
use serde_json::json;
use std::path::PathBuf;

/// The benchmark's regulation; `variant` 1 renames, requires and rewrites a few items.
pub fn big_regulation(variant: u8) -> RegulationFile {
    let mut f = RegulationFile::default();
    for i in 0..200 {
        let (entity, field_type) = if i < 150 { ("deal", ["text", "number", "money", "url"][i % 4]) } else { ("organization", "text") };
        f.fields.push(FieldSpec {
            entity: entity.into(),
            key: format!("f{i}"),
            label: format!("Поле {i}"),
            field_type: field_type.into(),
            options: vec![],
        });
    }
    for p in 0..10 {
        let mut stages = Vec::new();
        for s in 0..12 {
            let renamed = variant == 1 && p == 0;
            let mut required = vec![format!("custom.f{}", (p * 12 + s) % 150)];
            if variant == 1 && s == 3 {
                required.push("value".into());
            }
            stages.push(StageSpec {
                key: format!("s{s}"),
                name: if renamed { format!("Этап {s} (новый)") } else { format!("Этап {s}") },
                goal: Some(format!("Результат этапа {s}")),
                probability: Some((s * 8) as i64),
                rotting_days: Some(14),
                sla: Some(DurationSpec { amount: 2, unit: "days".into() }),
                sla_clock: None,
                required_fields: if s == 0 { vec![] } else { required },
                required_files: vec![],
                naming: None,
                entry_tasks: vec![EntryTaskSpec {
                    kind: "call".into(),
                    subject: format!("Звонок на этапе {s}"),
                    description: String::new(),
                    due: DurationSpec { amount: 1, unit: "days".into() },
                    assignee: "owner".into(),
                }],
            });
        }
        f.pipelines.push(PipelineSpec {
            key: format!("p{p}"),
            name: format!("Воронка {p}"),
            active: true,
            won_required_fields: vec!["value".into()],
            role_ranges: vec![],
            stages,
            bonus: None,
        });
    }
    for r in 0..100 {
        let field = if variant == 1 && r < 10 { format!("f{}", r + 50) } else { format!("f{}", r % 150) };
        f.rules.push(RuleSpec {
            key: format!("r{r}"),
            name: format!("Правило {r}"),
            entity: "deal".into(),
            expression: format!("status = open and {field} is empty"),
            criticality: 1 + (r % 2) as i64,
            why: Some("Без этого поля сделка не движется".into()),
            fix: Some("Заполните поле".into()),
            responsible: "owner".into(),
            enabled: true,
        });
    }
    f
}

/// `file` with a stage `tmp` (no regulation of its own) at the end of the first pipeline.
fn with_extra_stage(mut file: RegulationFile) -> RegulationFile {
    file.pipelines[0].stages.push(StageSpec {
        key: "tmp".into(),
        name: "Временный этап".into(),
        goal: Some("Сделка разобрана".into()),
        probability: None,
        rotting_days: None,
        sla: None,
        sla_clock: None,
        required_fields: vec![],
        required_files: vec![],
        naming: None,
        entry_tasks: vec![],
    });
    file
}

/// Applies `text` or fails the benchmark.
async fn must_apply(db: &Db, sys: &poryadok_store::actor::Actor, text: &str, opts: &ApplyOptions) -> Result<()> {
    match db.regulation_apply(sys, text, opts).await? {
        Applied::Refused { errors } => anyhow::bail!("refused: {errors:?}"),
        _ => Ok(()),
    }
}

/// The apply of a file that removes a stage holding `moved` deals, which move to the first
/// stage (its entry task is created for each): `rounds` samples, each set up untimed.
async fn removed_stage(db: &Db, sys: &poryadok_store::actor::Actor, moved: u64, rounds: usize) -> Result<(f64, f64)> {
    let with = with_extra_stage(big_regulation(0)).to_toml();
    let without = big_regulation(0).to_toml();
    let opts = ApplyOptions { move_deals_to: [("p0/tmp".to_string(), "s0".to_string())].into() };
    let mut ids: Vec<i64> = Vec::new();
    let mut samples = Vec::new();
    for _ in 0..rounds {
        must_apply(db, sys, &with, &ApplyOptions::default()).await?;
        let lq = poryadok_store::ListQuery { limit: Some("500".into()), ..Default::default() };
        let tmp = db
            .list(sys, Entity::Stage, &lq)
            .await?
            .data
            .into_iter()
            .find(|s| s.get("name").as_text() == Some("Временный этап"))
            .ok_or_else(|| anyhow::anyhow!("no stage tmp"))?
            .id();
        if ids.is_empty() {
            for i in 0..moved {
                let body = json!({"title": format!("Перенос {i}"), "stage_id": tmp});
                ids.push(db.create(sys, Entity::Deal, &body).await?.id());
            }
        } else {
            for chunk in ids.chunks(poryadok_store::bulk::MAX_BULK) {
                let change = poryadok_store::bulk::BulkChange::Update(json!({"stage_id": tmp}));
                let out = db.bulk(sys, Entity::Deal, chunk, &change).await?;
                anyhow::ensure!(out.refused.is_empty(), "deals not moved back: {:?}", out.refused.first());
            }
        }
        let t = std::time::Instant::now();
        must_apply(db, sys, &without, &opts).await?;
        samples.push(t.elapsed());
    }
    Ok(crate::bench::stats(samples))
}

pub async fn run(db: &Db, iterations: usize, deals: u64, moved: u64) -> Result<()> {
    let ws = db.create_workspace(&NewWorkspace { name: "Regulation benchmark".into(), ..Default::default() }).await?.id;
    let sys = db.system_actor(ws, Channel::Cli).await?;
    let a = big_regulation(0).to_toml();
    let b = big_regulation(1).to_toml();
    let opts = ApplyOptions::default();
    match db.regulation_apply(&sys, &a, &opts).await? {
        Applied::Applied { .. } => {}
        other => anyhow::bail!("the benchmark's regulation did not apply: {other:?}"),
    }
    let pipelines = db.list(&sys, Entity::Pipeline, &poryadok_store::ListQuery::default()).await?.data;
    let lq = poryadok_store::ListQuery { limit: Some("500".into()), ..Default::default() };
    let stages = db.list(&sys, Entity::Stage, &lq).await?.data;
    let bar = crate::progress::bar(deals, "regulation benchmark", "deals");
    for i in 0..deals {
        let p = &pipelines[i as usize % pipelines.len()];
        let first: Vec<_> = stages.iter().filter(|s| s.get("pipeline_id").as_int() == Some(p.id())).take(3).collect();
        let s = first[(i / 10) as usize % first.len()];
        // Through the stage's own rule: the first stage requires nothing; later ones need their field.
        let body = json!({"title": format!("Сделка {i}"), "pipeline_id": p.id(), "stage_id": first[0].id()});
        let id = db.create(&sys, Entity::Deal, &body).await?.id();
        if s.id() != first[0].id() {
            let _ = db.update(&sys, Entity::Deal, id, &json!({"stage_id": s.id(), "value": 1000, "custom": {"f1": "x", "f2": 1, "f3": 1, "f13": "x", "f14": 1, "f25": "x", "f26": 1}})).await;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let (e50, e99) = time(iterations, || async { Ok(db.regulation_export(&sys).await?) }).await?;
    let (p50, p99) = time(iterations, || async { Ok(db.regulation_plan(&sys, &b, &opts).await?) }).await?;
    let mut flip = false;
    let (a50, a99) = time(iterations, || {
        flip = !flip;
        let text = if flip { &b } else { &a };
        let (sys, opts) = (&sys, &opts);
        async move {
            match db.regulation_apply(sys, text, opts).await? {
                Applied::Refused { errors } => anyhow::bail!("refused: {errors:?}"),
                other => Ok(other),
            }
        }
    })
    .await?;
    let (m50, m99) = if moved > 0 { removed_stage(db, &sys, moved, iterations.clamp(1, 3)).await? } else { (0.0, 0.0) };
    let size = json!({"pipelines": 10, "stages": 120, "fields": 200, "rules": 100, "deals": deals, "file_bytes": a.len()});
    let results = vec![
        json!({"name": "regulation_export", "unit": "ms", "median": e50, "p99": e99, "size": size}),
        json!({"name": "regulation_plan", "unit": "ms", "median": p50, "p99": p99, "size": size,
               "note": "diff + impacts (filter-compiled counts) + the whole apply run in a transaction rolled back"}),
        json!({"name": "regulation_apply", "unit": "ms", "median": a50, "p99": a99, "size": size,
               "note": "one transaction through the write pipeline; alternates two files differing in 12 names, 10 required fields, 10 rules"}),
        json!({"name": "regulation_apply_removed_stage", "unit": "ms", "median": m50, "p99": m99, "size": size, "moved_deals": moved,
               "per_deal_ms": if moved > 0 { m50 / moved as f64 } else { 0.0 },
               "note": "a file removing a stage that holds the deals, moved to the first stage (its entry task created for each) in the apply's transaction"}),
    ];
    for r in &results {
        println!("{r}");
    }
    let dir = PathBuf::from("target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("regulation.json"), serde_json::to_string_pretty(&results)?)?;
    Ok(())
}

//! In-process benchmarks: demo generation beside a raw bulk insert, and the board, funnel and
//! list queries timed over repeated runs. Figures are printed as JSON lines for scripts/bench.
use anyhow::{Context, Result};
use clap::Subcommand;
use poryadok_core::domain::{Channel, Role};
use poryadok_core::schema::Entity;
use poryadok_store::demo::DemoOptions;
use poryadok_store::{Db, ListQuery};
use serde_json::json;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Generate a demo workspace and, in the same run, bulk-insert as many plain rows.
    Generate {
        #[arg(long)]
        deals: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Time the board, the funnel (store vs hand-written SQL) and list-50 on the first workspace.
    Queries {
        #[arg(long, default_value_t = 30)]
        iterations: usize,
    },
}

fn stats(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| ms(samples[((samples.len() as f64 - 1.0) * q).round() as usize]);
    (pick(0.5), pick(0.99))
}

async fn time<F, Fut, T>(iterations: usize, mut f: F) -> Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    f().await?; // warm caches once
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        std::hint::black_box(f().await?);
        samples.push(t.elapsed());
    }
    Ok(stats(samples))
}

pub async fn run(db: &Db, cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Generate { deals, seed } => {
            let report = db.generate_demo(&DemoOptions { deals, seed }).await?;
            let secs = report.elapsed.as_secs_f64();
            let raw = db.raw_insert_limit(report.rows).await?.as_secs_f64();
            println!(
                "{}",
                json!({"name": "generate", "unit": "rows/s", "rows": report.rows, "seconds": secs,
                       "median": report.rows as f64 / secs, "limit": report.rows as f64 / raw, "limit_name": "raw bulk insert, same driver"})
            );
        }
        BenchCommand::Queries { iterations } => {
            let ws = *db.workspace_ids().await?.first().context("no workspace; generate one first")?;
            let head = db.system_actor(ws, Channel::Api).await?;
            let pipeline = db.largest_pipeline(&head).await?;
            let (p50, p99) = time(iterations, || async { Ok(serde_json::to_string(&db.board(&head, pipeline, 50).await?)?.len()) }).await?;
            println!("{}", json!({"name": "board", "unit": "ms", "median": p50, "p99": p99}));
            let (raw50, raw99) = time(iterations, || async { Ok(db.funnel_raw_sql(ws, pipeline).await?) }).await?;
            let (f50, f99) = time(iterations, || async { Ok(db.funnel(&head, pipeline).await?.len()) }).await?;
            println!(
                "{}",
                json!({"name": "funnel", "unit": "ms", "median": f50, "p99": f99, "limit": raw50, "limit_p99": raw99, "limit_name": "hand-written SQL"})
            );
            let lq = ListQuery { limit: Some("50".into()), ..Default::default() };
            let (l50, l99) = time(iterations * 5, || async { Ok(db.list(&head, Entity::Deal, &lq).await?.data.len()) }).await?;
            println!("{}", json!({"name": "list50_inproc", "unit": "ms", "median": l50, "p99": l99}));
            let managers = db
                .list(
                    &head,
                    Entity::User,
                    &ListQuery { filters: vec![("role".into(), Role::Manager.as_str().into())], ..Default::default() },
                )
                .await?;
            if let Some(m) = managers.data.first() {
                let manager = db.actor_for_user(m.id(), Channel::Api).await?;
                let (m50, m99) = time(iterations * 5, || async { Ok(db.list(&manager, Entity::Deal, &lq).await?.data.len()) }).await?;
                println!("{}", json!({"name": "list50_manager_inproc", "unit": "ms", "median": m50, "p99": m99}));
            }
        }
    }
    Ok(())
}

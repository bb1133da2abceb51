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
    /// Server-side render time of the web UI's board (5,000 open deals) and a deal card
    /// (500 timeline entries), in a workspace of their own beside the existing data.
    Ui {
        #[arg(long, default_value_t = 20)]
        iterations: usize,
    },
    /// A full audit round (every catalogue rule) over the first workspace, beside the same rules
    /// as hand-written `INSERT … SELECT` statements in the same run.
    Audit {
        #[arg(long, default_value_t = 3)]
        iterations: usize,
    },
    /// Export, plan and apply of a regulation of 10 pipelines × 12 stages, 200 fields, 100 rules
    /// (target/bench/regulation.json).
    Regulation {
        #[arg(long, default_value_t = 5)]
        iterations: usize,
        /// Open deals on the pipelines' first stages (the plan's impacts count them).
        #[arg(long, default_value_t = 300)]
        deals: u64,
        /// Deals on a stage a file removes, moved by the apply (0: not measured).
        #[arg(long, default_value_t = 500)]
        moved: u64,
    },
    /// Global search: typical top-bar queries as the head and as a manager, beside hand-written SQL.
    Search {
        #[arg(long, default_value_t = 50)]
        iterations: usize,
    },
    /// The lists' count and value of a whole list, and a bulk reassignment of 1,000 deals.
    Lists {
        #[arg(long, default_value_t = 20)]
        iterations: usize,
    },
    /// The sales reports (funnel, managers) over a month and a year beside hand-written SQL;
    /// with `--backfill`, the stage history's rebuild rate (it replaces the generated stays).
    Reports {
        #[arg(long, default_value_t = 10)]
        iterations: usize,
        #[arg(long)]
        backfill: bool,
    },
    /// The forecast beside hand-written SQL, the head's and a manager's dashboard, and the
    /// monthly review's workbook.
    Dashboard {
        #[arg(long, default_value_t = 10)]
        iterations: usize,
    },
    /// The marketing report over the last 30 days and the last year beside hand-written SQL; the
    /// first run adds three touches per deal and a year of daily spend for 200 campaigns.
    Marketing {
        #[arg(long, default_value_t = 10)]
        iterations: usize,
    },
    /// The import of `rows` deal rows in amoCRM's shape (a generated Windows-1251 CSV) into the
    /// first workspace, in rows/s beside the raw bulk insert (see docs/IMPORT.md).
    Import {
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
    },
    /// Backup (VACUUM INTO on SQLite), the JSON-lines dump and a verified copy of the whole
    /// database: rows/s and MB/s.
    Backup {
        /// Copy into this empty database (default: a new SQLite file under target/bench).
        #[arg(long)]
        copy_to: Option<String>,
    },
    /// Files attached through the HTTP API: `count` uploads of `size_kib` KiB to one deal, then
    /// each downloaded; files/s and MB/s (target/bench/files.json).
    Files {
        #[arg(long, default_value_t = 200)]
        count: u64,
        #[arg(long, default_value_t = 1024)]
        size_kib: usize,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Documents from the built-in invoice template for one deal with `lines` line items
    /// (`rounds` × `count`, DOCX without PDF), then `pdfs` LibreOffice conversions when it can
    /// be started; documents/s (target/bench/documents.json).
    Documents {
        #[arg(long, default_value_t = 50)]
        count: u64,
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        #[arg(long, default_value_t = 20)]
        lines: u64,
        #[arg(long, default_value_t = 5)]
        pdfs: usize,
    },
    /// Each assistant's dry run and real run over the first workspace (invoices made from its
    /// won deals, last activity backfilled first).
    Assistants,
    /// The iCalendar feed of one user with `tasks` dated activities (in a workspace of its own),
    /// beside the same rows by hand-written SQL.
    Calendar {
        #[arg(long, default_value_t = 5_000)]
        tasks: u64,
        #[arg(long, default_value_t = 20)]
        iterations: usize,
    },
    /// The routing answer for a caller's phone (`GET /api/v1/routing`) with `clients` people
    /// (a workspace of its own), beside a hand-written SQL lookup of the phone's owner.
    Routing {
        #[arg(long, default_value_t = 5_000)]
        clients: u64,
        #[arg(long, default_value_t = 200)]
        iterations: usize,
    },
    /// The team (issue 22): the routing answer for a caller's phone in the store (`iterations`)
    /// and over HTTP under load (`concurrency` clients × `iterations` requests), with `clients`
    /// people; the weekly call sample over `calls` answered calls (medians of `rounds`);
    /// target/bench/team.json.
    Team {
        #[arg(long, default_value_t = 5_000)]
        clients: u64,
        #[arg(long, default_value_t = 200)]
        iterations: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 1_000_000)]
        calls: u64,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// The weekly call sample over `calls` answered calls of one week (a workspace of its own).
    Sampling {
        #[arg(long, default_value_t = 1_000_000)]
        calls: u64,
    },
    /// The bonus report over `deals` deals won in one month (a third with a consultant), medians
    /// (target/bench/bonus.json).
    Bonus {
        #[arg(long, default_value_t = 100_000)]
        deals: u64,
        #[arg(long, default_value_t = 5)]
        iterations: usize,
    },
    /// Outgoing messages per second through the job engine to a local HTTP sink (SMS gateway),
    /// medians of `rounds` (target/bench/messages.json).
    Messages {
        #[arg(long, default_value_t = 1_000)]
        count: u64,
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// The job engine: jobs run per second by one worker, and how late a due job starts.
    Jobs {
        #[arg(long, default_value_t = 10_000)]
        count: u64,
        #[arg(long, default_value_t = 200)]
        timed: u64,
    },
}

pub(crate) fn stats(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| ms(samples[((samples.len() as f64 - 1.0) * q).round() as usize]);
    (pick(0.5), pick(0.99))
}

pub(crate) async fn time<F, Fut, T>(iterations: usize, mut f: F) -> Result<(f64, f64)>
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
        BenchCommand::Ui { iterations } => crate::bench_ui::run(db, iterations).await?,
        BenchCommand::Jobs { count, timed } => crate::bench_jobs::run(db, count, timed).await?,
        BenchCommand::Bonus { deals, iterations } => crate::bench_bonus::run(db, deals, iterations).await?,
        BenchCommand::Messages { count, rounds } => crate::bench_messages::run(db, count, rounds).await?,
        BenchCommand::Calendar { tasks, iterations } => crate::bench_calendar::run(db, tasks, iterations).await?,
        BenchCommand::Routing { clients, iterations } => crate::bench_team::routing(db, clients, iterations).await?,
        BenchCommand::Sampling { calls } => crate::bench_team::sampling(db, calls).await?,
        BenchCommand::Team { clients, iterations, concurrency, calls, rounds } => {
            crate::bench_team::team(db, clients, iterations, concurrency, calls, rounds).await?
        }
        BenchCommand::Audit { iterations } => crate::bench_audit::run(db, iterations).await?,
        BenchCommand::Assistants => crate::bench_assistants::run(db).await?,
        BenchCommand::Regulation { iterations, deals, moved } => crate::bench_regulation::run(db, iterations, deals, moved).await?,
        BenchCommand::Search { iterations } => crate::bench_search::run(db, iterations).await?,
        BenchCommand::Lists { iterations } => crate::bench_lists::run(db, iterations).await?,
        BenchCommand::Reports { iterations, backfill } => crate::bench_reports::run(db, iterations, backfill).await?,
        BenchCommand::Dashboard { iterations } => crate::bench_dashboard::run(db, iterations).await?,
        BenchCommand::Marketing { iterations } => crate::bench_marketing::run(db, iterations).await?,
        BenchCommand::Import { rows } => crate::bench_import::run(db, rows).await?,
        BenchCommand::Backup { copy_to } => crate::bench_backup::run(db, copy_to).await?,
        BenchCommand::Files { count, size_kib, concurrency } => crate::bench_files::run(db, count, size_kib, concurrency).await?,
        BenchCommand::Documents { count, rounds, lines, pdfs } => crate::bench_documents::run(db, count, rounds, lines, pdfs).await?,
        BenchCommand::Generate { deals, seed } => {
            let report = db.generate_demo(&DemoOptions { deals, seed }).await?;
            let secs = report.elapsed.as_secs_f64();
            let raw = db.raw_insert_limit(report.rows).await?.as_secs_f64();
            db.analyze().await?;
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
            let (p50, p99) =
                time(iterations, || async { Ok(serde_json::to_string(&db.board(&head, pipeline, &Default::default()).await?)?.len()) })
                    .await?;
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
            for (src, hand) in filter_examples(db.is_postgres()) {
                let checked = db.check_filter(&head, Entity::Deal, src, "filter").await.map_err(|e| anyhow::anyhow!("{src}: {e}"))?;
                let now = db.clock.now_ms();
                let (c50, c99) = time(iterations.min(5), || async { Ok(db.count_matching(&head, &checked, now).await?) }).await?;
                let (h50, h99) = time(iterations.min(5), || async { Ok(db.raw_count(&hand, ws, now).await?) }).await?;
                let (n, h) = (db.count_matching(&head, &checked, now).await?, db.raw_count(&hand, ws, now).await?);
                anyhow::ensure!(n == h, "filter and hand-written SQL disagree on {src}: {n} vs {h}");
                println!(
                    "{}",
                    json!({"name": format!("filter: {src}"), "unit": "ms", "median": c50, "p99": c99, "limit": h50, "limit_p99": h99,
                           "limit_name": "hand-written SQL", "matches": n})
                );
            }
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

/// The filter examples of docs/FILTERS.md over the demo workspace, each with the same condition
/// written by hand (`$1` the workspace, `$2` now in Unix ms).
fn filter_examples(pg: bool) -> Vec<(&'static str, String)> {
    let j = |col: &str, key: &str| if pg { format!("({col}::jsonb ->> '{key}')") } else { format!("json_extract({col}, '$.{key}')") };
    let lower = if pg { "lower" } else { "poryadok_lower" };
    let contains = |hay: &str, needle: &str| {
        if pg {
            format!("strpos({lower}({hay}), '{needle}') > 0")
        } else {
            format!("instr({lower}({hay}), '{needle}') > 0")
        }
    };
    let base = "SELECT COUNT(*) FROM deals d WHERE d.workspace_id = $1 AND d.deleted_at IS NULL";
    let open_tasks =
        "SELECT 1 FROM activities a WHERE a.workspace_id = $1 AND a.deal_id = d.id AND a.deleted_at IS NULL AND a.done = false";
    let stage_from = |name: &str| {
        format!("d.stage_id IN (SELECT s.id FROM stages s JOIN stages x ON x.pipeline_id = s.pipeline_id AND x.workspace_id = $1 AND x.name = '{name}' WHERE s.workspace_id = $1 AND s.position >= x.position)")
    };
    let last = "(SELECT MAX(CASE WHEN a.done AND a.done_at IS NOT NULL THEN a.done_at ELSE a.created_at END) FROM activities a WHERE a.workspace_id = $1 AND a.deleted_at IS NULL AND a.deal_id = d.id)";
    vec![
        ("status = open and not exists activity(done = false)", format!("{base} AND d.status = 'open' AND NOT EXISTS ({open_tasks})")),
        ("status = frozen and count activity(done = false) = 0", format!("{base} AND d.status = 'frozen' AND NOT EXISTS ({open_tasks})")),
        (
            "stage >= \"Отправлено КП\" and (budget is empty or traffic is empty)",
            format!("{base} AND {} AND ({} IS NULL OR {} IS NULL)", stage_from("Отправлено КП"), j("d.custom", "budget"), j("d.custom", "traffic")),
        ),
        (
            "stage = \"Принял в работу\" and stage_entered_at < now - 7d",
            format!("{base} AND d.stage_id IN (SELECT id FROM stages WHERE workspace_id = $1 AND name = 'Принял в работу') AND d.stage_entered_at < $2 - 604800000"),
        ),
        ("status = open and exists activity(done = false and due_at < now)", format!("{base} AND d.status = 'open' AND EXISTS ({open_tasks} AND a.due_at < $2)")),
        (
            "org.name ~ \"от партнера\" and org.partner_org is empty",
            format!("{base} AND EXISTS (SELECT 1 FROM organizations o WHERE o.id = d.organization_id AND o.deleted_at IS NULL AND {} AND {} IS NULL)", contains("o.name", "от партнера"), j("o.custom", "partner_org")),
        ),
        (
            "owner != org.owner or owner != person.owner",
            format!("{base} AND (EXISTS (SELECT 1 FROM organizations o WHERE o.id = d.organization_id AND o.deleted_at IS NULL AND o.owner_id <> d.owner_id) OR EXISTS (SELECT 1 FROM persons p WHERE p.id = d.person_id AND p.deleted_at IS NULL AND p.owner_id <> d.owner_id))"),
        ),
        ("owner.active = false", format!("{base} AND d.owner_id IN (SELECT id FROM users WHERE workspace_id = $1 AND active = false)")),
        ("pipeline = \"Партнеры\"", format!("{base} AND d.pipeline_id IN (SELECT id FROM pipelines WHERE workspace_id = $1 AND name = 'Партнеры')")),
        ("status in (open, frozen)", format!("{base} AND d.status IN ('open', 'frozen')")),
        ("value > 100000", format!("{base} AND d.value > 10000000")),
        ("city is empty", format!("{base} AND ({city} IS NULL OR {city} = '')", city = j("d.custom", "city"))),
        ("last_activity_at < now - 60d", format!("{base} AND {last} < $2 - 5184000000")),
    ]
}

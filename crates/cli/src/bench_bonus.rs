//! The bonus report over many won deals, in a workspace of its own: 40 managers in 4 teams with
//! heads, `deals` deals won in one month (every third with a consultant, every tenth with a
//! manager named beside the owner), inserted by SQL; the month's report timed, medians. Writes
//! target/bench/bonus.json.
use crate::bench::time;
use anyhow::Result;
use poryadok_core::domain::Channel;
use poryadok_core::report::Period;
use poryadok_core::schema::Entity;
use poryadok_store::workspace::NewWorkspace;
use poryadok_store::Db;
use serde_json::json;
use std::time::Instant;

pub async fn run(db: &Db, deals: u64, iterations: usize) -> Result<()> {
    let ws = db.create_workspace(&NewWorkspace { name: "Bonus benchmark".into(), ..Default::default() }).await?.id;
    let sys = db.system_actor(ws, Channel::Cli).await?;
    // Heads and teams first, so the managers' ids are consecutive (the SQL below counts on it).
    let mut teams = Vec::new();
    for t in 0..4 {
        let body = json!({"email": format!("bh{t}@bench.test"), "name": format!("Руководитель {t}"), "role": "head"});
        let head = db.create(&sys, Entity::User, &body).await?.id();
        teams.push(db.create(&sys, Entity::Team, &json!({"name": format!("Команда {t}"), "head_id": head})).await?.id());
    }
    let mut managers = Vec::new();
    for (t, team) in teams.iter().enumerate() {
        for m in 0..10 {
            let body =
                json!({"email": format!("b{t}{m}@bench.test"), "name": format!("Менеджер {t}.{m}"), "role": "manager", "team_id": team});
            managers.push(db.create(&sys, Entity::User, &body).await?.id());
        }
    }
    anyhow::ensure!(managers.windows(2).all(|w| w[1] == w[0] + 1), "the managers' ids are not consecutive");
    let pipeline = db.create(&sys, Entity::Pipeline, &json!({"name": "Продажи"})).await?.id();
    let stage = db.create(&sys, Entity::Stage, &json!({"pipeline_id": pipeline, "name": "Новый"})).await?.id();
    db.put_bonus_split(&sys, pipeline, &json!({"basis": "revenue", "shares": {"manager": 5, "consultant": 10, "head": 1}}), None).await?;
    let (first, n) = (managers[0], managers.len());
    // 2026-11-01 00:00 Moscow time; the deals close over the month's 29 days.
    let month_ms: i64 = 1_793_480_400_000;
    let t = Instant::now();
    let insert = format!(
        "WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < {deals}) \
         INSERT INTO deals (workspace_id, title, pipeline_id, stage_id, status, value, currency, owner_id, stage_entered_at, closed_at, custom, created_at, updated_at) \
         SELECT $1, 'bench', {pipeline}, {stage}, 'won', 100000 + (i * 7919) % 10000000, 'RUB', {first} + (i % {n}), $2, \
         {month_ms} + (i * 60013) % 2505600000, '{{}}', $2, $2 FROM n"
    );
    let participants = |role: &str, every: u64, shift: usize| {
        format!(
            "INSERT INTO deal_participants (workspace_id, deal_id, user_id, role, created_at) \
             SELECT $1, id, {first} + ((owner_id - {first} + {shift}) % {n}), '{role}', $2 FROM deals \
             WHERE workspace_id = $1 AND id % {every} = 0"
        )
    };
    db.raw_execute(&[insert, participants("consultant", 3, 7), participants("manager", 10, 3)], ws, db.clock.now_ms()).await?;
    db.analyze().await?;
    let insert_s = t.elapsed().as_secs_f64();
    let period = Period::parse("2026-11-01", "2026-11-30", &sys.ws.timezone).map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = db.bonus_report(&sys, &period, None).await?;
    anyhow::ensure!(report.users.len() == 44 && report.total > 0, "the month's deals are not in the report");
    // Everyone's totals, as the page and the API without user_id ask; with every deal line (the
    // workbook); one manager's own report with their deals.
    let (p50, p99) = time(iterations, || async { Ok(db.bonus_report_of(&sys, &period, None, false).await?.total) }).await?;
    let (d50, d99) = time(iterations, || async { Ok(db.bonus_report(&sys, &period, None).await?.total) }).await?;
    let (o50, o99) = time(iterations, || async { Ok(db.bonus_report(&sys, &period, Some(first)).await?.total) }).await?;
    let hand = "SELECT d.id, d.value, d.owner_id, p.user_id, p.role FROM deals d LEFT JOIN deal_participants p \
                ON p.workspace_id = d.workspace_id AND p.deal_id = d.id WHERE d.workspace_id = $1 AND d.status = 'won'";
    let (h50, h99) = time(iterations, || async { Ok(db.raw_rows(hand, ws).await?) }).await?;
    let results = json!([
        {"name": "bonus_report", "unit": "ms", "median": p50, "p99": p99, "limit": h50, "limit_p99": h99,
         "limit_name": "hand-written SQL reading the same deals and participants (no split)", "deals": deals,
         "users": report.users.len(), "total": report.total, "insert_s": insert_s},
        {"name": "bonus_report_with_deals", "unit": "ms", "median": d50, "p99": d99, "limit": h50, "deals": deals,
         "note": "everyone's report with a line per deal and person (the XLSX export)"},
        {"name": "bonus_report_one_user", "unit": "ms", "median": o50, "p99": o99, "deals": deals,
         "note": "one manager's report still reads the month's deals: a consultant earns on deals others own"},
    ]);
    for r in results.as_array().into_iter().flatten() {
        println!("{r}");
    }
    let dir = std::path::Path::new("target/bench");
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("bonus.json"), serde_json::to_string_pretty(&results)?)?;
    Ok(())
}

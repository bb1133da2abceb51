//! The team's benchmarks, each in a workspace of its own: the routing answer for a caller's phone
//! (`GET /api/v1/routing`'s store call) beside a hand-written SQL lookup of the phone's owner, and
//! the weekly call sample over many calls.
use crate::bench::time;
use anyhow::Result;
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_store::team::RouteMode;
use poryadok_store::workspace::NewWorkspace;
use poryadok_store::Db;
use serde_json::json;
use std::time::Instant;

/// `clients` people with phones owned by 12 managers in 3 teams, each with a weekly pattern and
/// a few on vacation; the answer for random known and unknown phones.
pub async fn routing(db: &Db, clients: u64, iterations: usize) -> Result<()> {
    let ws = db.create_workspace(&NewWorkspace { name: "Routing benchmark".into(), ..Default::default() }).await?.id;
    let sys = db.system_actor(ws, Channel::Cli).await?;
    let mut managers = Vec::new();
    for t in 0..3 {
        let team = db.create(&sys, Entity::Team, &json!({"name": format!("Команда {t}")})).await?.id();
        for m in 0..4 {
            let body = json!({"email": format!("r{t}{m}@bench.test"), "name": format!("Менеджер {t}.{m}"), "role": "manager",
                              "team_id": team, "extension": format!("{}{}", 100 + t, m)});
            let id = db.create(&sys, Entity::User, &body).await?.id();
            let shifts: Vec<_> =
                (1..=7).map(|d| json!({"day": d, "start": "00:00", "end": if m % 2 == 0 { "24:00" } else { "12:00" }})).collect();
            db.put_schedule(&sys, id, &json!({"shifts": shifts}), None).await?;
            if m == 0 {
                db.add_schedule_exception(&sys, id, &json!({"kind": "vacation", "from": "2000-01-01", "to": "2000-12-31"})).await?;
            }
            managers.push(id);
        }
    }
    let bar = crate::progress::bar(clients, "routing benchmark", "clients");
    for i in 0..clients {
        let body =
            json!({"name": format!("Клиент {i}"), "phone": format!("+7916{:07}", i), "owner_id": managers[i as usize % managers.len()]});
        db.create(&sys, Entity::Person, &body).await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut n = 0u64;
    let (r50, r99) = time(iterations, || {
        n = (n * 7919 + 13) % (clients + clients / 10 + 1);
        let phone = format!("+7916{:07}", n);
        let sys = &sys;
        async move { Ok(db.routing_for_phone(sys, &phone, RouteMode::RoundRobin).await?.user_id) }
    })
    .await?;
    let hand = "SELECT p.owner_id FROM identities i JOIN persons p ON p.workspace_id = i.workspace_id AND p.id = i.person_id \
                WHERE i.workspace_id = $1 AND i.kind = 'phone' AND i.value = '+79160000042'";
    let (h50, h99) = time(iterations, || async { Ok(db.raw_rows(hand, ws).await?) }).await?;
    println!(
        "{}",
        json!({"name": "routing", "unit": "ms", "median": r50, "p99": r99, "limit": h50, "limit_p99": h99,
               "limit_name": "hand-written SQL (the phone's owner only)", "clients": clients, "managers": managers.len(),
               "note": "whom to connect a caller to: identity lookup, the workspace's schedules and calendar, team, head"})
    );
    Ok(())
}

/// `calls` answered calls of one week over 50 managers, inserted by one SQL statement, then the
/// week's sample drawn twice (the second adds nothing).
pub async fn sampling(db: &Db, calls: u64) -> Result<()> {
    let ws = db.create_workspace(&NewWorkspace { name: "Sampling benchmark".into(), ..Default::default() }).await?.id;
    let sys = db.system_actor(ws, Channel::Cli).await?;
    let mut managers = Vec::new();
    for m in 0..50 {
        let body = json!({"email": format!("s{m}@bench.test"), "name": format!("Менеджер {m}"), "role": "manager"});
        managers.push(db.create(&sys, Entity::User, &body).await?.id());
    }
    let first = managers[0];
    // Monday 2026-11-16 00:00 Moscow time is 2026-11-15 21:00 UTC.
    let monday_ms: i64 = 1_763_229_600_000;
    let t = Instant::now();
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {calls}) \
         INSERT INTO activities (workspace_id, type, subject, due_at, done, owner_id, call_direction, call_outcome, call_seconds, created_at, updated_at) \
         SELECT $1, 'call', 'bench', {monday_ms} + (i * 6047) % 604800000, TRUE, {first} + (i % 50), \
         CASE WHEN i % 3 = 0 THEN 'outbound' ELSE 'inbound' END, 'answered', 20 + (i % 300), $2, $2 FROM n"
    );
    db.raw_execute(&[sql], ws, db.clock.now_ms()).await?;
    let insert_s = t.elapsed().as_secs_f64();
    let week = ::time::Date::from_calendar_date(2026, ::time::Month::November, 16)?;
    let t = Instant::now();
    let r = db.sample_week(&sys, week).await?;
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let again = db.sample_week(&sys, week).await?;
    let again_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{}",
        json!({"name": "review_sampling", "unit": "ms", "median": first_ms, "again": again_ms, "calls": calls,
               "answered_long_enough": r.calls, "sampled": r.sampled, "queued": r.queued, "queued_again": again.queued,
               "insert_s": insert_s, "note": "one week's sample over all managers; drawn again it queues nothing"})
    );
    Ok(())
}

//! The team's benchmarks, each in a workspace of its own: the routing answer for a caller's phone
//! (`GET /api/v1/routing`'s store call) beside a hand-written SQL lookup of the phone's owner, the
//! same answer over HTTP under load (`concurrency` clients at once against a server started in
//! this process on 127.0.0.1), and the weekly call sample over many calls. `poryadok bench team`
//! runs them all and writes target/bench/team.json.
use crate::bench::{stats, time};
use anyhow::{bail, Result};
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_store::team::RouteMode;
use poryadok_store::workspace::NewWorkspace;
use poryadok_store::Db;
use serde_json::json;
use std::time::Instant;

/// A workspace of `clients` people with phones owned by 12 managers in 3 teams, each with a
/// weekly pattern and a few on vacation.
async fn routing_workspace(db: &Db, clients: u64) -> Result<(i64, Vec<i64>)> {
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
    Ok((ws, managers))
}

/// The routing answer for random known and unknown phones, in the store; beside the
/// hand-written SQL lookup of the phone's owner.
async fn routing_in(db: &Db, ws: i64, clients: u64, managers: usize, iterations: usize) -> Result<serde_json::Value> {
    let sys = db.system_actor(ws, Channel::Cli).await?;
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
    Ok(json!({"name": "routing", "unit": "ms", "median": r50, "p99": r99, "limit": h50, "limit_p99": h99,
              "limit_name": "hand-written SQL (the phone's owner only)", "clients": clients, "managers": managers,
              "note": "whom to connect a caller to: identity lookup, the workspace's schedules and calendar, team, head"}))
}

/// `clients` people with phones owned by 12 managers in 3 teams, each with a weekly pattern and
/// a few on vacation; the answer for random known and unknown phones.
pub async fn routing(db: &Db, clients: u64, iterations: usize) -> Result<()> {
    let (ws, managers) = routing_workspace(db, clients).await?;
    println!("{}", routing_in(db, ws, clients, managers.len(), iterations).await?);
    Ok(())
}

/// `GET /api/v1/routing?phone=…` over HTTP: `requests` in all, `concurrency` at a time, each
/// request's latency as the provider's client sees it (connection reused).
async fn routing_http(db: &Db, ws: i64, clients: u64, requests: usize, concurrency: usize) -> Result<serde_json::Value> {
    let sys = db.system_actor(ws, Channel::Cli).await?;
    let user = db.create(&sys, Entity::User, &json!({"email": "telephony@bench.test", "name": "Телефония", "role": "admin"})).await?.id();
    let token = db.create_token(ws, user, "telephony").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(poryadok_server::serve(listener, poryadok_server::AppState::new(db.clone()), async move {
        let _ = stop_rx.changed().await;
    }));
    let client = reqwest::Client::new();
    let one = move |i: u64| {
        let (client, token, base) = (client.clone(), token.clone(), base.clone());
        async move {
            let phone = format!("%2B7916{:07}", (i * 7919 + 13) % (clients + clients / 10 + 1));
            let t = Instant::now();
            let r = client.get(format!("{base}/api/v1/routing?phone={phone}")).bearer_auth(&token).send().await?;
            let ok = r.status().is_success();
            let body = r.bytes().await?;
            if !ok {
                bail!("routing: {}", String::from_utf8_lossy(&body));
            }
            Ok::<_, anyhow::Error>(t.elapsed())
        }
    };
    one(0).await?; // warm up
    let per = requests.div_ceil(concurrency.max(1));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..concurrency.max(1) {
        let one = one.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(per);
            for k in 0..per {
                out.push(one((c * per + k) as u64 + 1).await?);
            }
            Ok::<_, anyhow::Error>(out)
        }));
    }
    let mut samples = Vec::with_capacity(requests);
    for task in tasks {
        samples.extend(task.await??);
    }
    let wall = t.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    let _ = server.await;
    let n = samples.len();
    let (p50, p99) = stats(samples);
    Ok(json!({"name": "routing_http_under_load", "unit": "ms", "median": p50, "p99": p99, "requests": n, "concurrency": concurrency,
              "per_second": n as f64 / wall, "clients": clients, "target_ms": 10,
              "note": "GET /api/v1/routing over HTTP on 127.0.0.1 with a bearer token, this many requests in flight at once"}))
}

/// `calls` answered calls of one week over 50 managers, inserted by one SQL statement, then the
/// week's sample drawn into an empty queue `rounds` times (the queue emptied between rounds) and
/// drawn again over a full queue (adds nothing); medians.
async fn sampling_in(db: &Db, calls: u64, rounds: usize) -> Result<serde_json::Value> {
    let ws = db.create_workspace(&NewWorkspace { name: "Sampling benchmark".into(), ..Default::default() }).await?.id;
    let sys = db.system_actor(ws, Channel::Cli).await?;
    let mut managers = Vec::new();
    for m in 0..50 {
        let body = json!({"email": format!("s{m}@bench.test"), "name": format!("Менеджер {m}"), "role": "manager"});
        managers.push(db.create(&sys, Entity::User, &body).await?.id());
    }
    let first = managers[0];
    // The week's calls start at its Monday's local midnight in the workspace's zone.
    let week = ::time::Date::from_calendar_date(2026, ::time::Month::November, 16)?;
    let monday_ms = poryadok_core::schedule::to_utc(&sys.ws.timezone, week, 0);
    let t = Instant::now();
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < {calls}) \
         INSERT INTO activities (workspace_id, type, subject, due_at, done, owner_id, call_direction, call_outcome, call_seconds, created_at, updated_at) \
         SELECT $1, 'call', 'bench', {monday_ms} + (i * 6047) % 604800000, TRUE, {first} + (i % 50), \
         CASE WHEN i % 3 = 0 THEN 'outbound' ELSE 'inbound' END, 'answered', 20 + (i % 300), $2, $2 FROM n"
    );
    db.raw_execute(&[sql], ws, db.clock.now_ms()).await?;
    let insert_s = t.elapsed().as_secs_f64();
    let rounds = rounds.max(1);
    let bar = crate::progress::bar(rounds as u64 * 2, "sampling benchmark", "draws");
    let (mut first_draws, mut again_draws) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..rounds {
        db.raw_execute(&["DELETE FROM call_reviews WHERE workspace_id = $1 AND created_at <= $2".to_string()], ws, db.clock.now_ms())
            .await?;
        let t = Instant::now();
        let r = db.sample_week(&sys, week).await?;
        first_draws.push(t.elapsed());
        bar.inc(1);
        let t = Instant::now();
        let again = db.sample_week(&sys, week).await?;
        again_draws.push(t.elapsed());
        if again.queued != 0 {
            bail!("drawn again the week queued {} calls", again.queued);
        }
        bar.inc(1);
        last = Some(r);
    }
    bar.finish_and_clear();
    let r = last.ok_or_else(|| anyhow::anyhow!("no round"))?;
    let ((f50, f99), (a50, a99)) = (stats(first_draws), stats(again_draws));
    Ok(json!({"name": "review_sampling", "unit": "ms", "median": f50, "p99": f99, "again_median": a50, "again_p99": a99,
              "rounds": rounds, "calls": calls, "answered_long_enough": r.calls, "sampled": r.sampled, "queued": r.queued,
              "insert_s": insert_s, "note": "one week's sample over 50 managers into an empty queue; drawn again it queues nothing"}))
}

/// The weekly call sample over `calls` answered calls of one week (one round).
pub async fn sampling(db: &Db, calls: u64) -> Result<()> {
    println!("{}", sampling_in(db, calls, 1).await?);
    Ok(())
}

/// `poryadok bench team`: the routing answer in the store and over HTTP under load, and the
/// weekly sample; printed and written to target/bench/team.json.
pub async fn team(db: &Db, clients: u64, iterations: usize, concurrency: usize, calls: u64, rounds: usize) -> Result<()> {
    let (ws, managers) = routing_workspace(db, clients).await?;
    let mut results = vec![routing_in(db, ws, clients, managers.len(), iterations).await?];
    println!("{}", results[0]);
    results.push(routing_http(db, ws, clients, iterations * concurrency.max(1), concurrency).await?);
    println!("{}", results[1]);
    results.push(sampling_in(db, calls, rounds).await?);
    println!("{}", results[2]);
    let dir = std::path::Path::new("target/bench");
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("team.json"), serde_json::to_string_pretty(&results)?)?;
    Ok(())
}

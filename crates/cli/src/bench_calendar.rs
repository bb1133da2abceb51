//! The iCalendar feed of a user with many tasks: the store's read plus the rendered calendar,
//! beside the same rows read by hand-written SQL (the floor), in a workspace of its own.
use crate::bench::time;
use anyhow::Result;
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_store::workspace::NewWorkspace;
use poryadok_store::Db;
use serde_json::json;

pub async fn run(db: &Db, tasks: u64, iterations: usize) -> Result<()> {
    let ws = db.create_workspace(&NewWorkspace { name: "Calendar benchmark".into(), ..Default::default() }).await?.id;
    let sys = db.system_actor(ws, Channel::Cli).await?;
    let user = db.create(&sys, Entity::User, &json!({"email": "cal@bench.test", "name": "Календарь", "role": "manager"})).await?.id();
    let now = db.clock.now_ms();
    let bar = crate::progress::bar(tasks, "calendar benchmark", "tasks");
    for i in 0..tasks as i64 {
        // Spread over a year around now, an hour apart per day's slot; every tenth one done.
        let due_ms = now + (i - tasks as i64 / 2) * 3_600_000;
        let due = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(due_ms) * 1_000_000)?
            .format(&time::format_description::well_known::Rfc3339)?;
        let body = json!({"type": if i % 3 == 0 { "meeting" } else { "task" }, "subject": format!("Задача {i}"),
                          "owner_id": user, "due_at": due, "done": i % 10 == 0, "duration_min": 30 + (i % 4) * 15});
        db.create(&sys, Entity::Activity, &body).await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let actor = db.actor_for_user(user, Channel::Api).await?;
    let items = db.calendar_feed_items(&actor).await?.len();
    let (f50, f99) = time(iterations, || async {
        let items = db.calendar_feed_items(&actor).await?;
        Ok(poryadok_server::calendar_feed::calendar("http://127.0.0.1", ws, &actor.user_name, "Europe/Moscow", now, &items)
            .to_string()
            .len())
    })
    .await?;
    let since = now - poryadok_store::calendar_feed::DONE_WINDOW_MS;
    let hand = format!(
        "SELECT id, type, subject, description, due_at, duration_min, done, deal_id, person_id, organization_id, updated_at \
         FROM activities WHERE workspace_id = $1 AND owner_id = {user} AND deleted_at IS NULL AND due_at IS NOT NULL \
         AND (done = false OR (due_at >= {since} AND call_direction IS NULL)) ORDER BY due_at, id LIMIT 10000"
    );
    let (h50, h99) = time(iterations, || async { Ok(db.raw_rows(&hand, ws).await?) }).await?;
    println!(
        "{}",
        json!({"name": "calendar_feed", "unit": "ms", "median": f50, "p99": f99, "limit": h50, "limit_p99": h99,
               "limit_name": "hand-written SQL (rows only)", "tasks": tasks, "events": items,
               "note": "the store's read and the rendered .ics text of one user's feed"})
    );
    Ok(())
}

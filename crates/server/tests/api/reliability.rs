//! Nothing acknowledged is lost, nobody sees what they may not: concurrent changes of one
//! record, versions (`ETag` / `If-Match`), filters over related records the caller cannot see,
//! later events of one call, jobs of a dead process, and a full disk under the writer.
use crate::helpers::{assert_error, spawn_app_at, TestApp};
use crate::intake::{call, source, work};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

crate::both_dbs!(
    concurrent_patches_of_different_custom_fields_keep_every_key,
    a_stale_if_match_is_refused_and_retries_add_up,
    filters_never_answer_about_records_the_caller_cannot_see,
    a_later_event_of_a_call_updates_the_call_once,
    jobs_of_a_dead_process_of_this_host_are_queued_again_at_start,
);

async fn custom_text_field(app: &TestApp, key: &str) {
    let body = json!({"entity": "deal", "key": key, "label": key.to_uppercase(), "field_type": "text"});
    app.create(&app.t.admin, "custom_fields", body).await;
}

async fn concurrent_patches_of_different_custom_fields_keep_every_key(app: TestApp) {
    let keys: Vec<String> = (0..7).map(|i| format!("k{i}")).collect();
    for k in &keys {
        custom_text_field(&app, k).await;
    }
    let deal = app.create(&app.t.admin, "deals", json!({"title": "Параллельно", "pipeline_id": app.ids.pipeline})).await;
    let path = format!("/api/v1/deals/{deal}");
    let mut tasks = Vec::new();
    for k in &keys {
        let (client, base, token, path, k) = (app.client.clone(), app.base.clone(), app.t.admin.clone(), path.clone(), k.clone());
        tasks.push(tokio::spawn(async move {
            let resp = client
                .patch(format!("{base}{path}"))
                .bearer_auth(token)
                .json(&json!({"custom": {k.as_str(): format!("value of {k}")}}))
                .send()
                .await
                .unwrap();
            resp.status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    let (_, v) = app.get(&app.t.admin, &path).await;
    for k in &keys {
        assert_eq!(v["data"]["custom"][k], format!("value of {k}"), "key {k} kept: {v}");
    }
    assert_eq!(v["data"]["version"], 8, "one version per change: {v}");
    let (_, h) = app.get(&app.t.admin, &format!("{path}/history?limit=50")).await;
    let updates = h["data"].as_array().unwrap().iter().filter(|e| e["action"] == "update").count();
    assert_eq!(updates, 7, "history and data agree: {h}");
}

async fn read_etag(app: &TestApp, path: &str) -> (String, i64) {
    let resp = app.client.get(format!("{}{path}", app.base)).bearer_auth(&app.t.admin).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tag = resp.headers().get("etag").expect("a record carries its ETag").to_str().unwrap().to_string();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(tag, format!("\"{}\"", v["data"]["version"]));
    (tag, v["data"]["value"].as_i64().unwrap_or(0))
}

async fn patch_if(app: &TestApp, path: &str, tag: &str, body: Value) -> (StatusCode, Value) {
    let resp = app
        .client
        .request(Method::PATCH, format!("{}{path}", app.base))
        .bearer_auth(&app.t.admin)
        .header("if-match", tag)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn a_stale_if_match_is_refused_and_retries_add_up(app: TestApp) {
    let deal = app.create(&app.t.admin, "deals", json!({"title": "Версии", "pipeline_id": app.ids.pipeline, "value": 0})).await;
    let path = format!("/api/v1/deals/{deal}");
    let (tag, _) = read_etag(&app, &path).await;
    assert_eq!(patch_if(&app, &path, &tag, json!({"value": 100})).await.0, StatusCode::OK);
    // The same tag again is stale now: refused, and the value stays.
    let stale = patch_if(&app, &path, &tag, json!({"value": 999})).await;
    assert_error(&stale, 412, "precondition_failed", Some("If-Match"));
    assert_eq!(read_etag(&app, &path).await.1, 100);
    // A tag that is not ours matches nothing; `*` matches anything.
    assert_eq!(patch_if(&app, &path, "\"abc\"", json!({"value": 1})).await.0, StatusCode::PRECONDITION_FAILED);
    assert_eq!(patch_if(&app, &path, "*", json!({"value": 100})).await.0, StatusCode::OK);
    // A stale delete is refused too.
    let resp = app.client.delete(format!("{}{path}", app.base)).bearer_auth(&app.t.admin).header("if-match", &tag).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);

    // 30 clients each add 100 by read-then-write, retrying when someone was faster: no update is lost.
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let (client, base, token, path) = (app.client.clone(), app.base.clone(), app.t.admin.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..200 {
                let resp = client.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap();
                let tag = resp.headers()["etag"].to_str().unwrap().to_string();
                let v: Value = resp.json().await.unwrap();
                let value = v["data"]["value"].as_i64().unwrap();
                let resp = client
                    .patch(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .header("if-match", tag)
                    .json(&json!({"value": value + 100}))
                    .send()
                    .await
                    .unwrap();
                match resp.status() {
                    StatusCode::OK => return true,
                    StatusCode::PRECONDITION_FAILED => continue,
                    other => panic!("unexpected {other}"),
                }
            }
            false
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap(), "every client got its update in");
    }
    assert_eq!(read_etag(&app, &path).await.1, 100 + 3000);
}

/// How many records of `collection` the caller finds with `filter`.
async fn found(app: &TestApp, token: &str, collection: &str, filter: &str) -> usize {
    let q = format!("/api/v1/{collection}?limit=500&filter={}", urlencode(filter));
    let (s, v) = app.get(token, &q).await;
    assert_eq!(s, StatusCode::OK, "{filter}: {v}");
    v["data"].as_array().unwrap().len()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn filters_never_answer_about_records_the_caller_cannot_see(app: TestApp) {
    let (m1, m2, m3) = (&app.t.manager1, &app.t.manager2, &app.t.manager3);
    let (id1, id2, id3) = (app.ids.manager1, app.ids.manager2, app.ids.manager3);
    // Values are in kopecks; filters speak roubles. manager1 owns a person and a deal; the organization, a second deal and an activity on the
    // person belong to manager3 (another team); manager2 (manager1's team) owns a note-worthy deal.
    let org =
        app.create(&app.t.admin, "organizations", json!({"name": "Секретная Организация", "tax_id": "7701234567", "owner_id": id3})).await;
    let person = app.create(&app.t.admin, "persons", json!({"name": "Видимый Клиент", "owner_id": id1, "organization_id": org})).await;
    let mine = app
        .create(&app.t.admin, "deals", json!({"title": "Моя", "pipeline_id": app.ids.pipeline, "owner_id": id1, "organization_id": org, "person_id": person, "value": 1000}))
        .await;
    app.create(
        &app.t.admin,
        "deals",
        json!({"title": "Чужая", "pipeline_id": app.ids.pipeline, "owner_id": id3, "person_id": person, "value": 77_700_000}),
    )
    .await;
    app.create(
        &app.t.admin,
        "deals",
        json!({"title": "Коллеги", "pipeline_id": app.ids.pipeline, "owner_id": id2, "person_id": person, "value": 55_500_000}),
    )
    .await;
    app.create(&app.t.admin, "activities", json!({"type": "call", "subject": "Тайный звонок", "owner_id": id3, "person_id": person})).await;

    let probes = [
        ("persons", r#"name = "Видимый Клиент" and exists deal(value > 700000)"#),
        ("persons", r#"name = "Видимый Клиент" and count deal(value > 500000) >= 1"#),
        ("persons", r#"name = "Видимый Клиент" and exists activity(subject ~ "Тайный")"#),
        ("persons", r#"org.name ~ "Секретная""#),
        ("persons", r#"not org.name is empty"#),
        ("deals", r#"org.name ~ "Секретная""#),
        ("deals", r#"org.tax_id = "7701234567""#),
        ("deals", r#"org.owner = org.owner"#),
        ("deals", r#"title = "Моя" and not org.name is empty"#),
        ("deals", r#"title = "Моя" and exists activity(subject ~ "Тайный")"#),
    ];
    // With `own`, manager1 sees their person and deal, nothing of manager3's nor manager2's.
    set_visibility(&app, "own").await;
    assert_eq!(app.get(m1, &format!("/api/v1/deals/{mine}")).await.0, StatusCode::OK);
    assert_eq!(app.get(m1, &format!("/api/v1/organizations/{org}")).await.0, StatusCode::NOT_FOUND);
    for (collection, f) in probes {
        assert_eq!(found(&app, m1, collection, f).await, 0, "own: {collection}?filter={f}");
    }
    // Control: what manager1 may see still answers.
    assert_eq!(found(&app, m1, "persons", r#"name = "Видимый Клиент" and exists deal(value = 10)"#).await, 1);
    assert_eq!(found(&app, m1, "persons", r#"name = "Видимый Клиент" and count deal() = 1"#).await, 1);
    // `team`: the colleague's deal is visible, the other team's records are not.
    set_visibility(&app, "team").await;
    assert_eq!(found(&app, m1, "persons", r#"name = "Видимый Клиент" and count deal(value > 500000) >= 1"#).await, 1);
    assert_eq!(found(&app, m1, "persons", r#"name = "Видимый Клиент" and exists deal(value > 700000)"#).await, 0);
    assert_eq!(found(&app, m1, "deals", r#"org.name ~ "Секретная""#).await, 0);
    assert_eq!(found(&app, m2, "deals", r#"org.tax_id = "7701234567""#).await, 0);
    // The other team's manager sees their organization through the filter, and a head sees all.
    assert_eq!(found(&app, m3, "deals", r#"title = "Чужая" and person.name = "Видимый Клиент""#).await, 0);
    assert_eq!(found(&app, &app.t.head, "persons", r#"name = "Видимый Клиент" and exists deal(value > 700000)"#).await, 1);
    assert_eq!(found(&app, &app.t.head, "deals", r#"org.tax_id = "7701234567""#).await, 1);
    // `all`: every manager sees everything, filters included.
    set_visibility(&app, "all").await;
    for (collection, f) in [
        ("persons", r#"name = "Видимый Клиент" and exists deal(value > 700000)"#),
        ("deals", r#"org.name ~ "Секретная""#),
        ("persons", r#"name = "Видимый Клиент" and exists activity(subject ~ "Тайный")"#),
    ] {
        assert!(found(&app, m1, collection, f).await >= 1, "all: {collection}?filter={f}");
    }
}

async fn set_visibility(app: &TestApp, visibility: &str) {
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", json!({"visibility": visibility})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn a_later_event_of_a_call_updates_the_call_once(app: TestApp) {
    let hook = source(&app, "telephony", json!({"preset": "generic"})).await;
    let start = json!({"call_id": "call-77", "from": "+79995550077", "direction": "in", "status": "missed"});
    let end = json!({"call_id": "call-77", "from": "+79995550077", "direction": "in", "status": "answered", "duration": 125,
                     "recording_url": "https://rec.example/77.mp3"});
    assert_eq!(call(&app, &hook, start.clone()).await.0, StatusCode::ACCEPTED);
    work(&app).await;
    let (s, v) = call(&app, &hook, end.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "the end of the call is a new event, not a replay: {v}");
    work(&app).await;
    // Replays of either are duplicates.
    assert_eq!(call(&app, &hook, end.clone()).await.0, StatusCode::OK);
    assert_eq!(call(&app, &hook, start.clone()).await.0, StatusCode::OK);
    work(&app).await;
    let persons = crate::intake::persons_with_phone(&app, "+79995550077").await;
    assert_eq!(persons.len(), 1);
    let deals = crate::intake::deals_of(&app, persons[0]["id"].as_i64().unwrap()).await;
    assert_eq!(deals.len(), 1);
    let acts = app.all_records(&app.t.admin, "activities", &format!("&deal_id={}", deals[0]["id"]), 50).await;
    let calls: Vec<&Value> = acts.iter().filter(|a| a["call_direction"].is_string()).collect();
    assert_eq!(calls.len(), 1, "one call, updated: {acts:?}");
    let c = calls[0];
    assert_eq!((c["call_outcome"].as_str(), c["call_seconds"].as_i64()), (Some("answered"), Some(125)), "{c}");
    assert_eq!(c["recording_url"], "https://rec.example/77.mp3");
    // The callback task of the missed start is done once the call turned out answered.
    assert!(acts.iter().all(|a| a["done"] == true), "no open callback task left: {acts:?}");
}

async fn jobs_of_a_dead_process_of_this_host_are_queued_again_at_start(app: TestApp) {
    use poryadok_store::jobs::NewJob;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
    let dead = NewJob::new(app.ws, "probe", json!({}), 0);
    app.db.enqueue(&dead).await.unwrap();
    // A process of this host that no longer exists held it (pids this high are never handed out)…
    let claimed = app.db.claim_jobs(&format!("{host}/4194999/dead"), 10, 300_000).await.unwrap();
    assert_eq!(claimed.len(), 1);
    // …and one of another host, which this host cannot judge, holds another.
    app.db.enqueue(&NewJob::new(app.ws, "probe", json!({"n": 2}), 0)).await.unwrap();
    app.db.claim_jobs("elsewhere/1/x", 10, 300_000).await.unwrap();
    let w = poryadok_server::worker::Worker::new(&poryadok_server::AppState::new(app.db.clone()));
    assert_eq!(w.reclaim_dead_leases().await.unwrap(), 1);
    let queued = app.db.list_jobs(app.ws, Some("queued"), 10).await.unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["id"].as_i64(), Some(claimed[0].id));
    assert_eq!(app.db.list_jobs(app.ws, Some("running"), 10).await.unwrap().len(), 1);
}

/// A full disk under SQLite: every write answered 2xx is stored and survives a restart, every
/// other answer is a 503, `/healthz` says the writer cannot write, and once space returns the
/// writer works again without a restart. Runs on a small tmpfs that `.ci/run` mounts and names
/// in `PORYADOK_TEST_TMPFS`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_loses_no_acknowledged_write() {
    let Ok(dir) = std::env::var("PORYADOK_TEST_TMPFS") else {
        eprintln!("disk-full test not run: PORYADOK_TEST_TMPFS is not set");
        return;
    };
    let dir = std::path::PathBuf::from(dir).join(format!("full-{}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = poryadok_store::DatabaseUrl::new(format!("sqlite://{}", dir.join("crm.db").display()));
    let app = spawn_app_at(url.clone()).await;
    let filler = dir.join("filler");
    let fill = || {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![7u8; 64 * 1024];
        while f.write_all(&chunk).and_then(|_| f.flush()).is_ok() {}
        let _ = f.sync_all();
    };
    let note = "примечание ".repeat(400);
    let create_burst = |n: usize| {
        let (client, base, token, note) = (app.client.clone(), app.base.clone(), app.t.admin.clone(), note.clone());
        async move {
            let mut out = Vec::new();
            let mut tasks = Vec::new();
            for i in 0..n {
                let (client, base, token, note) = (client.clone(), base.clone(), token.clone(), note.clone());
                tasks.push(tokio::spawn(async move {
                    let resp = client
                        .post(format!("{base}/api/v1/notes"))
                        .bearer_auth(token)
                        .json(&json!({"content": format!("{i}: {note}")}))
                        .send()
                        .await
                        .unwrap();
                    let status = resp.status();
                    let v: Value = resp.json().await.unwrap_or(Value::Null);
                    (status, v["data"]["id"].as_i64(), v["error"]["code"].as_str().map(str::to_string))
                }));
            }
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        }
    };
    let mut acknowledged = Vec::new();
    // Empty the write-ahead log first (what the migrations and the seed wrote goes into the
    // database file), so the writes below need new space: otherwise SQLite reuses the log's room,
    // every write fits, and the test proves nothing.
    {
        use sea_orm::ConnectionTrait;
        let c = sea_orm::Database::connect(format!("sqlite://{}", dir.join("crm.db").display())).await.unwrap();
        c.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.unwrap();
        c.close().await.unwrap();
    }
    fill();
    let during = create_burst(60).await;
    let mut refused = 0;
    for (status, id, code) in &during {
        match status.as_u16() {
            201 => acknowledged.push(id.unwrap()),
            503 => {
                refused += 1;
                assert_eq!(code.as_deref(), Some("unavailable"));
            }
            other => panic!("a write on a full disk answered {other}"),
        }
    }
    assert!(refused > 0, "the disk was full: some writes must be refused");
    let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE, "healthz must report a writer that cannot write");
    // Every acknowledged write is readable now.
    for id in &acknowledged {
        assert_eq!(app.get(&app.t.admin, &format!("/api/v1/notes/{id}")).await.0, StatusCode::OK, "note {id} was acknowledged");
    }
    // Space returns: the writer works again, without a restart.
    std::fs::remove_file(&filler).unwrap();
    let after = create_burst(20).await;
    for (status, id, _) in &after {
        assert_eq!(*status, StatusCode::CREATED);
        acknowledged.push(id.unwrap());
    }
    let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    for id in &acknowledged {
        assert_eq!(app.get(&app.t.admin, &format!("/api/v1/notes/{id}")).await.0, StatusCode::OK, "note {id} was acknowledged");
    }
    // And after a restart, every one of them is still there.
    let ws = app.ws;
    app.db.clone().close().await;
    let db =
        poryadok_store::Db::connect(&url, std::sync::Arc::new(poryadok_core::FixedClock::new(crate::helpers::start_time()))).await.unwrap();
    let sys = db.system_actor(ws, poryadok_core::domain::Channel::Cli).await.unwrap();
    for id in &acknowledged {
        db.get(&sys, poryadok_core::schema::Entity::Note, *id).await.unwrap_or_else(|e| panic!("note {id} lost after restart: {e}"));
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

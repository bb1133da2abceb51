//! Dumps, backups, restores, copies between databases and the workspace export, on SQLite and
//! PostgreSQL.
use crate::helpers::{fresh_database, Backend, TestApp};
use poryadok_core::FixedClock;
use poryadok_server::AppState;
use poryadok_store::dump::jsonl::{JsonlSink, WriteOut};
use poryadok_store::dump::{backup, copy_into, Scope, Snapshot, Verified, TABLES};
use poryadok_store::files::carry::{carry_blobs, files_of_backup as backup_files_of};
use poryadok_store::files::BlobStore;
use poryadok_store::{DatabaseUrl, Db, StoreError};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Read;
use std::sync::Arc;

async fn empty_db(backend: Backend) -> Option<(Db, DatabaseUrl)> {
    let url = fresh_database(backend).await?;
    let db = Db::connect(&url, Arc::new(FixedClock::new(crate::helpers::start_time()))).await.unwrap();
    db.migrate().await.unwrap();
    Some((db, url))
}

fn all_ok(v: &[Verified]) {
    assert!(!v.is_empty());
    for t in v {
        assert!(t.ok(), "{} differs: {:?} vs {:?}", t.table, t.source, t.target);
    }
}

fn refused_as_not_empty(r: Result<Vec<Verified>, StoreError>) {
    match r {
        Err(e @ StoreError::Conflict { .. }) => {
            assert_eq!(e.msg().unwrap().code(), "database_not_empty");
            assert!(e.to_string().contains("not empty"), "{e}");
        }
        other => panic!("a load into a non-empty database went ahead: {other:?}"),
    }
}

/// Some of everything: the test workspace's records through the API, and a demo workspace.
async fn fill(app: &TestApp) {
    let org = app.create(&app.t.admin, "organizations", json!({"name": "=HYPERLINK(\"http://evil.test\",\"click\")"})).await;
    let person = app.create(&app.t.admin, "persons", json!({"name": "Анна", "organization_id": org, "phone": "+79001234567"})).await;
    let deal = app
        .create(
            &app.t.admin,
            "deals",
            json!({"title": "+7 Сделка", "organization_id": org, "person_id": person, "value": 150000, "stage_id": app.ids.stages[0]}),
        )
        .await;
    app.create(&app.t.admin, "notes", json!({"content": "@m1 заметка", "deal_id": deal})).await;
    app.create(
        &app.t.admin,
        "activities",
        json!({"subject": "Позвонить", "type": "call", "deal_id": deal, "due_at": "2026-11-24T10:00:00Z"}),
    )
    .await;
    let r = app.db.generate_demo(&poryadok_store::demo::DemoOptions { deals: 60, seed: 7 }).await.unwrap();
    app.db.apply_demo_process(r.workspace_id).await.unwrap();
}

async fn dump_bytes(db: &Db, scope: Scope) -> Vec<u8> {
    let mut snap = Snapshot::open(db).await.unwrap();
    let mut sink = JsonlSink::new(WriteOut(Vec::new()), scope, 0).await.unwrap();
    snap.dump(scope, &mut sink, &mut |_| {}).await.unwrap();
    snap.close().await.unwrap();
    sink.out.0
}

async fn backup_restore_copy(app: TestApp) {
    fill(&app).await;
    let before = app.db.table_sums().await.unwrap();
    assert!(before.iter().any(|s| s.table == "deals" && s.rows > 60));
    assert!(before.iter().any(|s| s.table == "history" && s.rows > 0));

    // A copy into each kind of database keeps every table's count and checksum.
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((target, _)) = empty_db(backend).await else { continue };
        let v = app.db.copy_to(&target, &mut |_| {}, &mut |_, _| {}).await.unwrap();
        all_ok(&v);
        assert_eq!(target.table_sums().await.unwrap(), before, "{backend:?}");
        // A second copy into it is refused: it is not empty any more.
        refused_as_not_empty(app.db.copy_to(&target, &mut |_| {}, &mut |_, _| {}).await);
        // Ids go on after the copied ones (PostgreSQL's sequences were set past them).
        let ws = app.ws;
        let sys = target.system_actor(ws, poryadok_core::domain::Channel::Cli).await.unwrap();
        let id = target.create(&sys, poryadok_core::schema::Entity::Organization, &json!({"name": "После копии"})).await.unwrap().id();
        let max: i64 = before.iter().find(|s| s.table == "organizations").map(|s| s.rows as i64).unwrap();
        assert!(id > max, "new id {id} after {max} organizations");
        target.close().await;
    }

    // The JSON-lines dump restores into an empty database of the same kind, ids and sums intact.
    let backend = if app.db.is_postgres() { Backend::Postgres } else { Backend::Sqlite };
    let bytes = dump_bytes(&app.db, Scope::All).await;
    let as_file = std::env::temp_dir().join(format!("dump-{}-{}.jsonl", std::process::id(), rand::random::<u64>()));
    std::fs::write(&as_file, &bytes).unwrap();
    assert_eq!(backup::detect(&as_file).unwrap(), backup::BackupKind::Jsonl);
    let _ = std::fs::remove_file(&as_file);
    let (target, _) = empty_db(backend).await.unwrap();
    let v = target.restore_jsonl(std::io::Cursor::new(&bytes), &mut |_, _| {}).await.unwrap();
    all_ok(&v);
    assert_eq!(target.table_sums().await.unwrap(), before);
    // ...and never into a database that holds rows.
    refused_as_not_empty(target.restore_jsonl(std::io::Cursor::new(&bytes), &mut |_, _| {}).await);
    refused_as_not_empty(app.db.restore_jsonl(std::io::Cursor::new(&bytes), &mut |_, _| {}).await);
    target.close().await;

    // The database's own backup: VACUUM INTO on SQLite, pg_dump on PostgreSQL.
    let dir = std::env::temp_dir().join("poryadok-tests");
    let file = dir.join(format!("backup-{}-{}", std::process::id(), rand::random::<u64>()));
    let (target, url) = empty_db(backend).await.unwrap();
    if app.db.is_postgres() {
        if !backup::pg_tools_installed() {
            eprintln!("pg_dump not installed: the pg_dump backup is not tested");
            return;
        }
        backup::pg_dump(&app.url, &file).await.unwrap();
        assert_eq!(backup::detect(&file).unwrap(), backup::BackupKind::PgDump);
        backup::pg_restore(&url, &file).await.unwrap();
        target.fix_sequences().await.unwrap();
    } else {
        app.db.vacuum_into(&file).await.unwrap();
        assert_eq!(backup::detect(&file).unwrap(), backup::BackupKind::Sqlite);
        let snap = Snapshot::open_sqlite_file(&file).await.unwrap();
        all_ok(&copy_into(snap, &target, &mut |_| {}, &mut |_, _| {}).await.unwrap());
    }
    assert_eq!(target.table_sums().await.unwrap(), before);
    target.close().await;
    let _ = std::fs::remove_file(&file);
}

/// The list of tables a dump follows is every table the migrations create, in that order.
async fn the_table_list_is_complete(app: TestApp) {
    let names: Vec<String> = app.db.dump_tables().await.unwrap().into_iter().map(|t| t.name).collect();
    for n in &names {
        assert!(TABLES.contains(&n.as_str()), "a migration added the table {n}: add it to poryadok_store::dump::TABLES");
    }
    // In the list's order (a table listed before what it points at would load first).
    let listed: Vec<&str> = TABLES.iter().copied().filter(|t| names.iter().any(|n| n == t)).collect();
    assert_eq!(names, listed);
    assert!(names.len() >= 48, "{names:?}");
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            (f.name().unwrap().to_string(), out)
        })
        .collect()
}

async fn get_bytes(app: &TestApp, token: &str, path: &str) -> (StatusCode, Vec<u8>, String) {
    let r = app.client.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap();
    let status = r.status();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, r.bytes().await.unwrap().to_vec(), ct)
}

async fn export_is_scoped_and_safe(app: TestApp) {
    fill(&app).await;
    // Administrators only.
    let (status, body, _) = get_bytes(&app, &app.t.manager1, "/api/v1/export").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "forbidden");
    let (status, body, _) = get_bytes(&app, &app.t.admin, "/api/v1/export?format=pdf").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["field"], "format");

    // JSON lines: every entity, only this workspace's rows, no secrets.
    let (status, body, ct) = get_bytes(&app, &app.t.admin, "/api/v1/export?format=jsonl").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/x-ndjson"), "{ct}");
    let text = String::from_utf8(body).unwrap();
    assert!(!text.contains("password_hash") && !text.contains("token_hash"));
    assert!(!text.contains("ООО Чужие"), "another workspace's organization was exported");
    let mut tables = std::collections::BTreeMap::<String, u64>::new();
    for l in text.lines().skip(1) {
        let v: Value = serde_json::from_str(l).unwrap();
        if let Some(row) = v.get("row") {
            let t = v["table"].as_str().unwrap().to_string();
            let ws = if t == "workspaces" { &row["id"] } else { &row["workspace_id"] };
            assert_eq!(ws, &json!(app.ws), "{l}");
            *tables.entry(t).or_default() += 1;
        }
    }
    for t in ["workspaces", "users", "teams", "pipelines", "stages", "organizations", "persons", "deals", "activities", "notes", "history"]
    {
        assert!(tables.get(t).copied().unwrap_or(0) > 0, "{t} missing from the export: {tables:?}");
    }

    // CSV: one file per entity, names beside ids, formulas neutralised.
    let (status, body, ct) = get_bytes(&app, &app.t.admin, "/api/v1/export?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/zip");
    let files = unzip(&body);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for f in ["deals.csv", "persons.csv", "organizations.csv", "activities.csv", "notes.csv", "history.csv", "messages.csv"] {
        assert!(names.contains(&f), "{f} not in {names:?}");
    }
    let orgs = String::from_utf8(files.iter().find(|(n, _)| n == "organizations.csv").unwrap().1.clone()).unwrap();
    assert!(orgs.contains("'=HYPERLINK"), "{orgs}");
    assert!(!orgs.contains(",=HYPERLINK") && !orgs.contains("\"=HYPERLINK"), "{orgs}");
    let deals = String::from_utf8(files.iter().find(|(n, _)| n == "deals.csv").unwrap().1.clone()).unwrap();
    let head = deals.lines().next().unwrap();
    for c in ["owner_name", "organization_name", "stage_name", "pipeline_name"] {
        assert!(head.contains(c), "{head}");
    }
    assert!(deals.contains("'+7 Сделка") && deals.contains("admin"), "{deals}");
    assert!(!deals.contains("ООО Чужие"));

    // XLSX: strings stay strings (no formula cells anywhere).
    let (status, body, _) = get_bytes(&app, &app.t.admin, "/api/v1/export?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let files = unzip(&body);
    let orgs = &files.iter().find(|(n, _)| n == "organizations.xlsx").unwrap().1;
    let inner = unzip(orgs);
    let sheet = String::from_utf8(inner.iter().find(|(n, _)| n.starts_with("xl/worksheets/sheet")).unwrap().1.clone()).unwrap();
    assert!(!sheet.contains("<f>"), "a formula cell in the export");
    let strings = String::from_utf8(inner.iter().find(|(n, _)| n == "xl/sharedStrings.xml").unwrap().1.clone()).unwrap();
    assert!(strings.contains("=HYPERLINK"));
}

crate::both_dbs!(backup_restore_copy, the_table_list_is_complete, export_is_scoped_and_safe);

/// The product's demo workspace copied from SQLite to PostgreSQL: equal counts and checksums,
/// and the product serves the copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_copied_from_sqlite_to_postgres_runs() {
    let Some((pg, _)) = empty_db(Backend::Postgres).await else {
        eprintln!("PostgreSQL variant not run: PORYADOK_TEST_POSTGRES is not set");
        return;
    };
    let (sqlite, _) = empty_db(Backend::Sqlite).await.unwrap();
    let report = sqlite.generate_demo(&poryadok_store::demo::DemoOptions { deals: 300, seed: 1 }).await.unwrap();
    sqlite.apply_demo_process(report.workspace_id).await.unwrap();
    let v = sqlite.copy_to(&pg, &mut |_| {}, &mut |_, _| {}).await.unwrap();
    all_ok(&v);
    assert!(v.iter().any(|t| t.table == "deals" && t.source.rows >= 100));
    assert!(v.iter().any(|t| t.table == "jobs"));
    let (ws, user) = pg.user_by_email(&report.users[0].email).await.unwrap().unwrap();
    let token = pg.create_token(ws, user, "copy").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(pg.clone());
    tokio::spawn(async move {
        let _ = poryadok_server::serve(listener, state, std::future::pending()).await;
    });
    let r = reqwest::Client::new().get(format!("http://{addr}/api/v1/deals?limit=5")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"].as_array().unwrap().len(), 5, "{v}");
}

/// The scheduled backup: the job worker writes a backup every N hours into the directory and
/// keeps the newest K; each restores with the source's checksums.
async fn scheduled_backups_keep_the_newest(app: TestApp) {
    fill(&app).await;
    let dir = std::env::temp_dir().join(format!("poryadok-tests/backups-{}-{}", std::process::id(), rand::random::<u64>()));
    app.db.set_backup_schedule(&dir, 6, 2).await.unwrap();
    let s = app.db.backup_schedule().await.unwrap().unwrap();
    assert!(s.enabled && s.every_hours == 6 && s.keep == 2);
    // A file on a card: its bytes go with every backup.
    let state = AppState::new(app.db.clone());
    let contract = format!("%PDF-1.4 contract {}", rand::random::<u64>());
    let sys = app.db.system_actor(app.ws, poryadok_core::domain::Channel::Cli).await.unwrap();
    let deal = poryadok_store::files::RecordRef::new(
        poryadok_core::schema::Entity::Deal,
        app.create(&app.t.admin, "deals", json!({"title": "С договором"})).await,
    )
    .unwrap();
    let new = poryadok_store::files::NewFile { name: "contract.pdf", content_type: None, kind: None, bytes: contract.as_bytes() };
    let stored = poryadok_store::files::attach(&app.db, &state.files, &sys, deal, new).await.unwrap();
    let worker = poryadok_server::worker::Worker::new(&state);
    worker.run_once().await.unwrap(); // what the records enqueued
    assert!(backup::list_backups(&dir).is_empty(), "not before its time");
    for i in 1..=3 {
        app.clock.advance(time::Duration::hours(6));
        // (The demo's other jobs, e-mails without a mail server among them, may fail here.)
        assert!(worker.run_once().await.unwrap().ran >= 1);
        assert_eq!(backup::list_backups(&dir).len(), i.min(2));
    }
    let files = backup::list_backups(&dir);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[0].name > files[1].name);
    let before = app.db.table_sums().await.unwrap();
    let newest = dir.join(&files[0].name);
    let backend = if app.db.is_postgres() { Backend::Postgres } else { Backend::Sqlite };
    let (target, _) = empty_db(backend).await.unwrap();
    let v = match backup::detect(&newest).unwrap() {
        backup::BackupKind::Sqlite => {
            copy_into(Snapshot::open_sqlite_file(&newest).await.unwrap(), &target, &mut |_| {}, &mut |_, _| {}).await
        }
        backup::BackupKind::Jsonl => {
            target.restore_jsonl(std::io::BufReader::new(std::fs::File::open(&newest).unwrap()), &mut |_, _| {}).await
        }
        other => panic!("{other:?}"),
    }
    .unwrap();
    all_ok(&v);
    // The file's bytes are in the schedule directory's shared blobs, found from the backup.
    let blobs = backup_files_of(&newest).expect("the backup has its files");
    assert_eq!(blobs, dir.join("files"));
    let restored =
        poryadok_store::files::LocalDisk::new(std::env::temp_dir().join(format!("poryadok-tests/restored-{}", rand::random::<u64>())));
    let carried = carry_blobs(&poryadok_store::files::LocalDisk::new(&blobs), &restored, &target.blob_refs().await.unwrap(), &mut |_| {})
        .await
        .unwrap();
    assert!(carried.complete() && carried.copied >= 1, "{carried:?}");
    assert_eq!(restored.get(&stored.sha256).await.unwrap(), contract.as_bytes());
    // The worker's own bookkeeping (its job rows) moved on after the backup; the records did not.
    let after = target.table_sums().await.unwrap();
    for t in ["deals", "persons", "organizations", "history", "activities", "notes"] {
        assert_eq!(after.iter().find(|s| s.table == t), before.iter().find(|s| s.table == t), "{t}");
    }
    app.db.disable_backup_schedule().await.unwrap();
    assert!(!app.db.backup_schedule().await.unwrap().unwrap().enabled);
    let _ = std::fs::remove_dir_all(&dir);
}

crate::both_dbs!(scheduled_backups_keep_the_newest);

/// Settings → Export & backup: administrators only; the downloads are the API's files; the
/// schedule and its files are listed.
async fn settings_page_downloads(app: TestApp) {
    fill(&app).await;
    let admin = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (status, html) = admin.get("/settings/export").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"export-jsonl\"") && html.contains("id=\"export-xlsx\""), "{html}");
    assert!(html.contains("href=\"/settings/export\""), "the settings menu links the page");
    let r = admin.client.get(format!("{}/settings/export/download?format=csv", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let files = unzip(&r.bytes().await.unwrap());
    assert!(files.iter().any(|(n, _)| n == "deals.csv"));
    let dir = std::env::temp_dir().join(format!("poryadok-tests/ui-backups-{}-{}", std::process::id(), rand::random::<u64>()));
    app.db.set_backup_schedule(&dir, 24, 3).await.unwrap();
    app.db.scheduled_backup(&dir, 3, None).await.unwrap();
    let (_, html) = admin.get("/settings/export").await;
    assert!(html.contains("id=\"backup-files\"") && html.contains("poryadok-backup-"), "{html}");
    let manager = app.ui_login(app.ids.manager1, "m1@a.test").await;
    assert_eq!(manager.get("/settings/export").await.0, StatusCode::FORBIDDEN);
    let r = manager.client.get(format!("{}/settings/export/download?format=jsonl", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let _ = std::fs::remove_dir_all(&dir);
}

crate::both_dbs!(settings_page_downloads);

/// Settings → Export & backup on a phone, in Russian and English: nothing scrolls sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_page_on_a_phone() {
    let Some(b) = crate::browser::start_browser().await else { return };
    let app = crate::helpers::spawn_app(Backend::Sqlite).await.unwrap();
    let dir = std::env::temp_dir().join(format!("poryadok-tests/phone-backups-{}-{}", std::process::id(), rand::random::<u64>()));
    app.db.set_backup_schedule(&dir, 24, 7).await.unwrap();
    app.db.scheduled_backup(&dir, 7, None).await.unwrap();
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;
    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        b.client.goto(&format!("{}/settings/export", app.base)).await.unwrap();
        b.wait_for("#export-jsonl").await;
        b.wait_for("#backup-files").await;
        let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
        assert!(wide.as_i64().unwrap_or(99) <= 0, "the export page scrolls sideways by {wide}px on a phone ({lang})");
        b.shot(&format!("export-backup-phone-{lang}")).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

//! A job in flight when the server process is killed (SIGKILL, no chance to clean up) is done
//! after a restart: the real binary, a real SQLite file, a real kill.
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_poryadok");

fn poryadok(db: &str, args: &[&str]) -> String {
    let out = Command::new(BIN).args(["--database", db]).args(args).output().expect("run poryadok");
    assert!(out.status.success(), "poryadok {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn serve(db: &str) -> Child {
    Command::new(BIN)
        .args(["--database", db, "serve", "--addr", "127.0.0.1:0", "--job-lease-ms", "1500"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server")
}

fn wait_for(db: &str, status: &str) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let out = poryadok(db, &["jobs", "list", "--status", status]);
        if let Some(line) = out.lines().next() {
            return serde_json::from_str(line).unwrap();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no job became {status}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_job_interrupted_by_killing_the_process_completes_after_restart() {
    let file = std::env::temp_dir().join(format!("poryadok-restart-{}.db", std::process::id()));
    let db = format!("sqlite://{}", file.display());
    poryadok(&db, &["user", "create", "--email", "admin@restart.test", "--name", "Admin", "--role", "admin"]);
    // The probe hangs for a minute on its first attempt: it is surely in flight when the kill comes.
    poryadok(&db, &["jobs", "probe", "--stall-first-ms", "60000"]);

    let mut first = serve(&db);
    let running = wait_for(&db, "running");
    assert_eq!(running["attempts"], 1);
    first.kill().unwrap();
    first.wait().unwrap();

    let mut second = serve(&db);
    let done = wait_for(&db, "done");
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!((done["id"].clone(), done["attempts"].clone()), (running["id"].clone(), 2.into()), "the same job, on its second attempt");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

/// Two server processes' workers on one PostgreSQL share a backlog without running any job twice.
/// Runs when `PORYADOK_TEST_POSTGRES` names a server (CI sets it); it needs `psql` to make a
/// database of its own.
#[test]
fn two_processes_on_one_postgres_never_run_a_job_twice() {
    let Ok(base) = std::env::var("PORYADOK_TEST_POSTGRES") else {
        eprintln!("PostgreSQL variant not run: PORYADOK_TEST_POSTGRES is not set");
        return;
    };
    let name = format!("poryadok_two_{}", std::process::id());
    let psql = |sql: &str| {
        let out = Command::new("psql").args([base.as_str(), "-q", "-c", sql]).output().expect("psql");
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
    };
    psql(&format!("CREATE DATABASE {name}"));
    let (prefix, _) = base.rsplit_once('/').expect("a database URL");
    let db = format!("{prefix}/{name}");
    poryadok(&db, &["user", "create", "--email", "admin@two.test", "--name", "Admin", "--role", "admin"]);
    poryadok(&db, &["jobs", "probe", "--count", "300", "--sleep-ms", "20"]);

    let run = || Command::new(BIN).args(["--database", db.as_str(), "jobs", "run"]).output().expect("jobs run");
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(run);
        let b = s.spawn(run);
        (a.join().unwrap(), b.join().unwrap())
    });
    let ran = |o: &std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["ran"].as_u64().unwrap()
    };
    let (ra, rb) = (ran(&a), ran(&b));
    assert_eq!(ra + rb, 300, "every job ran once in all: {ra} + {rb}");
    assert!(ra > 0 && rb > 0, "both processes took a share: {ra} + {rb}");
    let done = poryadok(&db, &["jobs", "list", "--status", "done", "--limit", "500"]);
    let jobs: Vec<serde_json::Value> = done.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(jobs.len(), 300);
    assert!(jobs.iter().all(|j| j["attempts"] == 1), "no job ran twice");
    psql(&format!("DROP DATABASE {name} WITH (FORCE)"));
}

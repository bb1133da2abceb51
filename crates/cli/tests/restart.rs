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

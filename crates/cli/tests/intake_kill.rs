//! The server is killed with SIGKILL in the middle of a burst of calls; after a restart every
//! acknowledged event is there exactly once and is processed into exactly one call. The real
//! binary, a real SQLite file, real HTTP over loopback.
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_poryadok");
const SENDERS: usize = 4;
/// Acknowledged calls before the kill.
const KILL_AFTER: usize = 150;

fn poryadok(db: &str, args: &[&str]) -> String {
    let out = Command::new(BIN).args(["--database", db]).args(args).output().expect("run poryadok");
    assert!(out.status.success(), "poryadok {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Starts the server on a free port and returns it with the port it printed.
fn serve(db: &str) -> (Child, u16) {
    let mut child = Command::new(BIN)
        .args(["--database", db, "serve", "--addr", "127.0.0.1:0", "--job-lease-ms", "1500"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines.next().expect("the server printed its address").unwrap();
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest.split('/').next().unwrap().parse::<u16>().unwrap();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

/// One POST over a fresh connection; the status code, or None when the server is gone.
fn post(port: u16, path: &str, secret: &str, body: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Poryadok-Token: {secret}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.split_whitespace().nth(1)?.parse().ok()
}

/// The events of one source (the demo's own sources have deliveries of their own).
fn events(db: &str, source: i64) -> Vec<serde_json::Value> {
    let all = poryadok(db, &["intake", "events", "--limit", "100000"]);
    all.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()).filter(|e| e["source_id"] == source).collect()
}

#[test]
fn every_acknowledged_call_is_there_exactly_once_after_a_kill() {
    let file = std::env::temp_dir().join(format!("poryadok-intake-kill-{}.db", std::process::id()));
    let db = format!("sqlite://{}", file.display());
    // A small demo workspace: pipelines, managers, a regulation; new callers become its leads.
    poryadok(&db, &["demo", "--deals", "50"]);
    let source: serde_json::Value =
        serde_json::from_str(poryadok(&db, &["intake", "add-source", "--kind", "telephony", "--name", "PBX"]).trim()).unwrap();
    let (path, secret) = (source["hook_path"].as_str().unwrap().to_string(), source["secret"].as_str().unwrap().to_string());

    let (mut first, port) = serve(&db);
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..SENDERS)
        .map(|t| {
            let (acked, count, stop, path, secret) = (acked.clone(), count.clone(), stop.clone(), path.clone(), secret.clone());
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let call_id = format!("kill-{t}-{i}");
                    // Every fifth caller calls again, so some calls land in an existing deal.
                    let number = format!("+7999{:07}", (t * 100_000 + i) / 5 % 10_000_000 + 1_000_000);
                    let body = format!(r#"{{"call_id":"{call_id}","from":"{number}","status":"answered","duration":30}}"#);
                    match post(port, &path, &secret, &body) {
                        Some(202) => {
                            acked.lock().unwrap().push(call_id);
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                        Some(code) => panic!("call {call_id} answered {code}"),
                        None => return,
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while count.load(Ordering::Relaxed) < KILL_AFTER {
        assert!(started.elapsed() < Duration::from_secs(60), "the burst is too slow");
        std::thread::sleep(Duration::from_millis(2));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.join().unwrap();
    }
    let acked: Vec<String> = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER);

    let (mut second, _) = serve(&db);
    let started = Instant::now();
    let evs = loop {
        let evs = events(&db, source["id"].as_i64().unwrap());
        if evs.iter().all(|e| e["status"] == "processed") {
            break evs;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "events still waiting: {}",
            evs.iter().filter(|e| e["status"] != "processed").count()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    second.kill().unwrap();
    second.wait().unwrap();

    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in &evs {
        // A call event's key is its call id, then the body's hash (a call has several events).
        let call_id = e["external_id"].as_str().unwrap().split(' ').next().unwrap();
        *seen.entry(call_id.to_string()).or_default() += 1;
    }
    for id in &acked {
        assert_eq!(seen.get(id), Some(&1), "acknowledged call {id} is stored exactly once");
    }
    let calls: HashSet<i64> = evs.iter().map(|e| e["result"]["activity_id"].as_i64().expect("a processed call made an activity")).collect();
    assert_eq!(calls.len(), evs.len(), "one call activity per event");
    println!("{} acknowledged before the kill, {} stored (some in flight), all processed once", acked.len(), evs.len());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

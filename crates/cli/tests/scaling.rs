//! Past one machine (docs/SCALING.md), with the real binary on PostgreSQL:
//! - two `poryadok serve` processes behind nginx (round-robin) on one database share one user's
//!   session and CSRF token, lock an account out together, run each job once, and deliver a
//!   notification raised on one to the event stream held open on the other;
//! - reports read from a streaming replica named by `--read-database-url`, while the pages that
//!   write keep reading the primary.
//!
//! Both run when `PORYADOK_TEST_POSTGRES` names a server (CI sets it). The first makes its database
//! there with `psql` and needs nginx; the second runs a primary and a replica of its own with the
//! same PostgreSQL binaries (a base backup of the shared test server would copy every other test's
//! databases too). Every process a test starts is ended by a guard, also when the test fails.
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_poryadok");

fn pg_base() -> Option<String> {
    let base = std::env::var("PORYADOK_TEST_POSTGRES").ok();
    if base.is_none() {
        eprintln!("PostgreSQL variant not run: PORYADOK_TEST_POSTGRES is not set");
    }
    base
}

fn poryadok(db: &str, args: &[&str]) -> String {
    let out = Command::new(BIN).args(["--database", db]).args(args).output().expect("run poryadok");
    assert!(out.status.success(), "poryadok {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql").args([url, "-Atq", "-c", sql]).output().expect("psql");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "{what} does not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0")))
        .unwrap_or(false)
}

/// A directory of the test's own, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("poryadok-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A process started by the test: killed and reaped at the end.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// nginx's master, asked to stop (SIGTERM) so that it ends its workers too; killed if it lingers.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A database of the test's own on the shared test server, dropped at the end.
struct TestDb {
    base: String,
    name: String,
    url: String,
}

impl TestDb {
    fn new(base: &str, tag: &str) -> TestDb {
        let name = format!("poryadok_{tag}_{}", std::process::id());
        psql(base, &format!("DROP DATABASE IF EXISTS {name}"));
        psql(base, &format!("CREATE DATABASE {name}"));
        let (prefix, _) = base.rsplit_once('/').expect("PORYADOK_TEST_POSTGRES must end with /DBNAME");
        TestDb { base: base.to_string(), url: format!("{prefix}/{name}"), name }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([self.base.as_str(), "-q", "-c", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)])
            .output();
    }
}

/// Starts `poryadok serve` on a free port (its log in `log`); returns it once it listens.
fn start_server(db: &str, extra: &[&str], log: &Path) -> (Proc, u16) {
    let mut child = Command::new(BIN)
        .args(["--database", db, "serve", "--addr", "127.0.0.1:0", "--trusted-proxy-header", "x-real-ip"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start the server");
    let stdout = child.stdout.take().unwrap();
    let proc = Proc(child);
    (proc, port_printed(stdout, log))
}

fn port_printed(stdout: std::process::ChildStdout, log: &Path) -> u16 {
    let mut lines = BufReader::new(stdout).lines();
    let port = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("the server stopped before listening: {}", std::fs::read_to_string(log).unwrap_or_default());
        };
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest.split('/').next().unwrap().parse::<u16>().unwrap();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    port
}

const NGINX: &str = "/usr/sbin/nginx";

/// nginx in front of `upstreams`, round-robin, as docs/SCALING.md sets it up; each answer says
/// which process served it (`X-Upstream`), which only this test needs.
fn start_nginx(dir: &TempDir, upstreams: &[u16]) -> (Nginx, u16) {
    let port = free_port();
    let d = dir.0.display();
    let servers: String = upstreams.iter().map(|p| format!("    server 127.0.0.1:{p};\n")).collect();
    let conf = format!(
        "daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {d}/nginx-body;
  proxy_temp_path {d}/nginx-proxy;
  fastcgi_temp_path {d}/nginx-fastcgi;
  uwsgi_temp_path {d}/nginx-uwsgi;
  scgi_temp_path {d}/nginx-scgi;
  upstream poryadok {{
{servers}    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 110m;
    location / {{
      proxy_pass http://poryadok;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host $http_host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_read_timeout 600s;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"
    );
    let path = dir.path("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let child = Command::new(NGINX)
        .args(["-p", &d.to_string(), "-c", &path.display().to_string(), "-e", &dir.path("nginx-error.log").display().to_string()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path("nginx-stderr.log")).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("start {NGINX} (Debian's nginx-light; .ci/run installs it): {e}"));
    let proc = Nginx(child);
    wait_for_port(port, "nginx");
    (proc, port)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Which server process answered (nginx's `X-Upstream`: 127.0.0.1:PORT).
fn upstream(r: &reqwest::Response) -> String {
    r.headers().get("x-upstream").and_then(|v| v.to_str().ok()).expect("nginx names the upstream").to_string()
}

/// The CSRF token a page's forms carry.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf_token\" value=\"").expect("a form with a CSRF token") + "name=\"csrf_token\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Signs in through `base`'s login form; the status of the answer and who served the form and the post.
async fn sign_in(c: &reqwest::Client, base: &str, email: &str, password: &str) -> (reqwest::StatusCode, Option<String>, Option<String>) {
    let page = c.get(format!("{base}/login")).send().await.unwrap();
    let page_by = page.headers().get("x-upstream").map(|v| v.to_str().unwrap().to_string());
    let token = csrf_of(&page.text().await.unwrap());
    let r = c
        .post(format!("{base}/login"))
        .form(&[("csrf_token", token.as_str()), ("email", email), ("password", password), ("next", "/today")])
        .send()
        .await
        .unwrap();
    (r.status(), page_by, r.headers().get("x-upstream").map(|v| v.to_str().unwrap().to_string()))
}

/// Reads an event stream until `want` is in it (or fails after a while).
async fn read_until(resp: &mut reqwest::Response, seen: &mut String, want: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains(want) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            other => panic!("no {want:?} in the stream ({other:?}); read so far: {seen}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_behind_nginx_share_sessions_jobs_and_live_events() {
    let Some(base) = pg_base() else { return };
    let dir = TempDir::new("lb");
    let db = TestDb::new(&base, "lb");
    // Both start at once on the empty database: one migrates, the other waits for it.
    let spawn = |log: &str| {
        let mut child = Command::new(BIN)
            .args(["--database", db.url.as_str(), "serve", "--addr", "127.0.0.1:0", "--trusted-proxy-header", "x-real-ip"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path(log)).unwrap())
            .spawn()
            .expect("start the server");
        let out = child.stdout.take().unwrap();
        (Proc(child), out)
    };
    let ((a, out_a), (b, out_b)) = (spawn("a.log"), spawn("b.log"));
    let (pa, pb) = (port_printed(out_a, &dir.path("a.log")), port_printed(out_b, &dir.path("b.log")));
    let (_a, _b) = (a, b);
    poryadok(&db.url, &["user", "create", "--email", "admin@lb.test", "--name", "Admin", "--role", "admin", "--password", "admin-pass-1"]);
    poryadok(&db.url, &["user", "create", "--email", "m1@lb.test", "--name", "M1", "--role", "manager", "--password", "manager-pass-1"]);
    let (_nginx, port) = start_nginx(&dir, &[pa, pb]);
    let lb = format!("http://127.0.0.1:{port}");
    let (ua, ub) = (format!("127.0.0.1:{pa}"), format!("127.0.0.1:{pb}"));

    // Sign in: the login form comes from one process and is posted to the other (its token is a
    // cookie, not process memory).
    let admin = client();
    let (status, form_by, login_by) = sign_in(&admin, &lb, "admin@lb.test", "admin-pass-1").await;
    assert_eq!(status, 303, "signed in");
    let login_by = login_by.unwrap();
    assert_ne!(form_by.unwrap(), login_by, "round-robin: the form and the sign-in went to different processes");

    // The session cookie works on both processes.
    let mut served = HashSet::new();
    let mut csrf = String::new();
    for _ in 0..4 {
        let r = admin.get(format!("{lb}/today")).send().await.unwrap();
        assert_eq!(r.status(), 200, "the session is known to {}", upstream(&r));
        served.insert(upstream(&r));
        csrf = csrf_of(&r.text().await.unwrap());
    }
    assert_eq!(served, HashSet::from([ua.clone(), ub.clone()]), "both processes served the session");

    // A CSRF-protected form, posted to the process that did not sign the user in.
    let mut posted_by = Vec::new();
    for _ in 0..4 {
        let r = admin
            .post(format!("{lb}/lang"))
            .form(&[("csrf_token", csrf.as_str()), ("lang", "en"), ("back", "/today")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "the form's token is accepted by {}", upstream(&r));
        posted_by.push(upstream(&r));
        if posted_by.last() != Some(&login_by) {
            break;
        }
    }
    assert_ne!(posted_by.last(), Some(&login_by), "a post reached the other process: {posted_by:?}");
    for _ in 0..2 {
        let r = admin.get(format!("{lb}/today")).send().await.unwrap();
        let by = upstream(&r);
        assert!(r.text().await.unwrap().contains("data-lang=\"en\""), "{by} reads the language the other process stored");
    }
    // A wrong token is refused by either.
    for _ in 0..2 {
        let r =
            admin.post(format!("{lb}/lang")).form(&[("csrf_token", "forged"), ("lang", "ru"), ("back", "/today")]).send().await.unwrap();
        assert_eq!(r.status(), 403, "{}", upstream(&r));
    }

    // Jobs: a backlog queued at once is worked off by both processes' workers, each job once.
    poryadok(&db.url, &["jobs", "probe", "--count", "200", "--sleep-ms", "5"]);
    let start = Instant::now();
    let done = loop {
        let out = poryadok(&db.url, &["jobs", "list", "--status", "done", "--limit", "1000"]);
        let jobs: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        if jobs.iter().filter(|j| j["kind"] == "probe").count() >= 200 {
            break jobs;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the backlog was not worked off: {} done", jobs.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let probes: Vec<_> = done.iter().filter(|j| j["kind"] == "probe").collect();
    assert_eq!(probes.len(), 200);
    assert!(probes.iter().all(|j| j["attempts"] == 1), "no job ran twice");
    for status in ["queued", "running", "failed"] {
        assert_eq!(poryadok(&db.url, &["jobs", "list", "--status", status]).trim(), "", "no job is left {status}");
    }

    // Live events: the admin's page listens through nginx, on one of the processes…
    let mut stream = admin.get(format!("{lb}/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let listening_on = upstream(&stream);
    let (here, other) = if listening_on == ua { (pa, pb) } else { (pb, pa) };
    // …while m1's password is guessed wrong through nginx: both processes count the failures…
    let guesser = client();
    let token = csrf_of(&guesser.get(format!("{lb}/login")).send().await.unwrap().text().await.unwrap());
    let mut failed_on = HashSet::new();
    for _ in 0..4 {
        let form = [("csrf_token", token.as_str()), ("email", "m1@lb.test"), ("password", "wrong-password")];
        let r = guesser.post(format!("{lb}/login")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 401);
        failed_on.insert(upstream(&r));
    }
    assert_eq!(failed_on.len(), 2, "the failures were spread over both processes");
    // …the fifth, on the process the page does not listen on, locks the account and tells the admins…
    let (status, _, _) = sign_in(&client(), &format!("http://127.0.0.1:{other}"), "m1@lb.test", "wrong-password").await;
    assert_eq!(status, 429, "five failures over two processes lock the account");
    // …the lockout holds on the other process, the right password included…
    let (status, _, _) = sign_in(&client(), &format!("http://127.0.0.1:{here}"), "m1@lb.test", "manager-pass-1").await;
    assert_eq!(status, 429);
    // …and the admin's page, on the other process, hears the bell.
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "event: bell").await;
    read_until(&mut stream, &mut seen, "\"unread\":1").await;
    drop(stream);
}

/// PostgreSQL's server binaries of the version the test server runs (Debian keeps them off PATH).
fn pg_bin(base: &str) -> PathBuf {
    let major = psql(base, "SHOW server_version_num").parse::<u32>().unwrap() / 10000;
    let dir = PathBuf::from(format!("/usr/lib/postgresql/{major}/bin"));
    assert!(dir.join("pg_ctl").exists(), "no PostgreSQL {major} server binaries in {}", dir.display());
    dir
}

/// A PostgreSQL server of the test's own (run as `postgres` when the test runs as root, since
/// PostgreSQL refuses root), stopped at the end.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run_ok(mut c: Command, what: &str) {
    let out = c.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

impl Cluster {
    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    fn start(bin: &Path, data: PathBuf, sockets: &Path) -> Cluster {
        let port = free_port();
        let cluster = Cluster { bin: bin.to_path_buf(), data, port };
        let opts = format!(
            "-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off -c max_connections=60 -c shared_buffers=16MB",
            sockets.display()
        );
        let mut c = as_postgres(&bin.join("pg_ctl"));
        c.args(["-D"])
            .arg(&cluster.data)
            .args(["-l"])
            .arg(cluster.data.with_extension("log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"]);
        run_ok(c, "pg_ctl start");
        cluster
    }

    /// A primary: a fresh `initdb` (trust, so replication connections from 127.0.0.1 are allowed).
    fn primary(bin: &Path, dir: &TempDir) -> Cluster {
        let data = dir.path("primary");
        let mut c = as_postgres(&bin.join("initdb"));
        c.args(["-D"]).arg(&data).args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "-N"]);
        run_ok(c, "initdb");
        Cluster::start(bin, data, &dir.0)
    }

    /// A streaming replica of `primary`: `pg_basebackup -R` (it writes standby.signal and the
    /// primary's address), then started as a hot standby.
    fn replica_of(primary: &Cluster, dir: &TempDir) -> Cluster {
        let data = dir.path("replica");
        let mut c = as_postgres(&primary.bin.join("pg_basebackup"));
        c.args(["-d", &primary.url("postgres"), "-D"]).arg(&data).args(["-R", "-X", "stream", "-c", "fast", "--no-sync"]);
        run_ok(c, "pg_basebackup");
        Cluster::start(&primary.bin, data, &dir.0)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut c = as_postgres(&self.bin.join("pg_ctl"));
        c.args(["-D"]).arg(&self.data).args(["-m", "immediate", "-w", "stop"]).stdout(Stdio::null()).stderr(Stdio::null());
        let _ = c.status();
    }
}

async fn funnel_deals(c: &reqwest::Client, base: &str, token: &str) -> i64 {
    let r = c.get(format!("{base}/api/v1/reports/funnel")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    v["data"]["cohort"]["deals"].as_i64().unwrap_or_else(|| panic!("{v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_read_from_a_streaming_replica() {
    let Some(base) = pg_base() else { return };
    let bin = pg_bin(&base);
    let dir = TempDir::new("replica");
    if is_root() {
        run_ok(
            {
                let mut c = Command::new("chown");
                c.args(["postgres"]).arg(&dir.0);
                c
            },
            "chown",
        );
    }
    let primary = Cluster::primary(&bin, &dir);
    let replica = Cluster::replica_of(&primary, &dir);
    let (primary_url, replica_url) = (primary.url("postgres"), replica.url("postgres"));
    assert_eq!(psql(&replica_url, "SELECT pg_is_in_recovery()"), "t", "the replica is a standby");

    // A read database needs PostgreSQL on both sides.
    let out = Command::new(BIN).args(["--database", "sqlite::memory:", "--read-database-url", &replica_url, "migrate"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("needs PostgreSQL"), "{out:?}");

    poryadok(&primary_url, &["user", "create", "--email", "head@replica.test", "--name", "Head", "--role", "admin"]);
    let token = poryadok(&primary_url, &["token", "create", "--email", "head@replica.test"]).trim().to_string();
    let (_server, port) = start_server(&primary_url, &["--read-database-url", &replica_url], &dir.path("server.log"));
    let web = format!("http://127.0.0.1:{port}");
    let c = client();
    let create = |entity: &'static str, body: serde_json::Value| {
        let c = c.clone();
        let (web, token) = (web.clone(), token.clone());
        async move {
            let r = c.post(format!("{web}/api/v1/{entity}")).bearer_auth(&token).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
            r.json::<serde_json::Value>().await.unwrap()["data"]["id"].as_i64().unwrap()
        }
    };
    let pipeline = create("pipelines", serde_json::json!({"name": "Продажи"})).await;
    create("stages", serde_json::json!({"pipeline_id": pipeline, "name": "Новая"})).await;
    let new_deal = |title: &'static str| create("deals", serde_json::json!({"title": title}));
    let replicated = |n: i64| {
        let start = Instant::now();
        while psql(&replica_url, "SELECT count(*) FROM deals WHERE title LIKE 'Реплика%'") != n.to_string() {
            assert!(start.elapsed() < Duration::from_secs(20), "the replica did not receive deal {n}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    new_deal("Реплика 1").await;
    replicated(1);
    assert_eq!(funnel_deals(&c, &web, &token).await, 1, "the report counts the replicated deal");

    // The replica stops replaying: the primary moves on, the report does not.
    psql(&replica_url, "SELECT pg_wal_replay_pause()");
    new_deal("Реплика 2").await;
    let r = c.get(format!("{web}/api/v1/deals")).bearer_auth(&token).send().await.unwrap();
    let listed: serde_json::Value = r.json().await.unwrap();
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(2), "the list reads the primary: the writer sees its write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(funnel_deals(&c, &web, &token).await, 1, "the report reads the paused replica");
    let r = c.get(format!("{web}/api/v1/dashboard")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200, "the dashboard reads the replica");

    // Replaying again, the replica catches up and so does the report.
    psql(&replica_url, "SELECT pg_wal_replay_resume()");
    replicated(2);
    assert_eq!(funnel_deals(&c, &web, &token).await, 2);
}

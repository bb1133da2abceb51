//! The IMAP poller against a real server: a throwaway Dovecot (Debian package dovecot-imapd)
//! on 127.0.0.1 with its own config, port and directories in a temp dir, so nothing
//! system-wide is touched and the distro's own Dovecot service (if any) does not matter.
//!
//! CI sets `PORYADOK_TEST_IMAP=1`, and then a missing Dovecot is a failure. Outside CI a
//! machine without /usr/sbin/dovecot says so and runs nothing here.
use poryadok_core::email::parse_email;
use poryadok_server::imap::{fetch_new, Fetched, ImapConfig, ImapSecurity};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const DOVECOT: &str = "/usr/sbin/dovecot";
const USER: &str = "crm";
const PASSWORD: &str = "imap-test-pass";

fn required() -> bool {
    std::env::var("PORYADOK_TEST_IMAP").is_ok_and(|v| v == "1")
}

/// A running Dovecot serving one user's maildir; stopped and removed when dropped.
struct Dovecot {
    port: u16,
    /// The implicit-TLS port, when started with TLS.
    tls_port: Option<u16>,
    dir: PathBuf,
    /// Who owns the mail files: the mail processes cannot run as root.
    mail_owner: Option<(u32, u32)>,
    master: Child,
}

/// A local account as /etc/passwd has it.
struct Account {
    name: String,
    uid: u32,
    gid: u32,
}

fn account(pred: impl Fn(&Account) -> bool) -> Option<Account> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        let acc = Account { name: f.first()?.to_string(), uid: f.get(2)?.parse().ok()?, gid: f.get(3)?.parse().ok()? };
        pred(&acc).then_some(acc)
    })
}

fn group_name(gid: u32) -> String {
    let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
    groups
        .lines()
        .find_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            (f.get(2)?.parse::<u32>().ok()? == gid).then(|| f[0].to_string())
        })
        .unwrap_or_else(|| panic!("no group with gid {gid} in /etc/group"))
}

fn named(name: &str) -> Option<Account> {
    account(|a| a.name == name)
}

/// (major, minor) of the installed Dovecot: 2.4 renamed many settings.
fn dovecot_version() -> (u32, u32) {
    let out = Command::new(DOVECOT).arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse().ok());
    let version = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    assert!(version.0 >= 2, "cannot read the Dovecot version from {text:?}");
    version
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// Who Dovecot's processes run as.
struct Accounts {
    internal: Account,
    login: String,
    mail: Account,
}

/// As root, Dovecot runs its helpers and the mail process as unprivileged users (mail access as
/// UID 0 is refused); as anyone else, everything runs as that user.
fn accounts(uid: u32, gid: u32) -> Accounts {
    if uid == 0 {
        let nobody = named("nobody").unwrap_or(Account { name: "nobody".into(), uid: 65534, gid: 65534 });
        let internal = named("dovecot").unwrap_or(Account { name: nobody.name.clone(), uid: nobody.uid, gid: nobody.gid });
        let login = named("dovenull").map_or_else(|| internal.name.clone(), |a| a.name);
        Accounts { internal, login, mail: nobody }
    } else {
        let me = account(|a| a.uid == uid).unwrap_or_else(|| panic!("uid {uid} is not in /etc/passwd; Dovecot needs a user name"));
        let login = me.name.clone();
        Accounts { mail: Account { name: me.name.clone(), uid, gid }, internal: Account { gid, ..me }, login }
    }
}

/// A self-signed certificate for "localhost" (openssl comes with dovecot-core).
fn self_signed(dir: &Path) {
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl could not make a test certificate");
}

impl Dovecot {
    /// Starts Dovecot, or returns None (after saying so) when it is not installed and not required.
    fn start() -> Option<Dovecot> {
        Self::start_with(false)
    }

    /// `tls`: a self-signed certificate, STARTTLS on the IMAP port and TLS on `tls_port`.
    fn start_with(tls: bool) -> Option<Dovecot> {
        if !Path::new(DOVECOT).exists() {
            assert!(!required(), "PORYADOK_TEST_IMAP=1 but {DOVECOT} is missing (install the Debian package dovecot-imapd)");
            eprintln!("IMAP tests skipped: {DOVECOT} is missing (Debian package dovecot-imapd; PORYADOK_TEST_IMAP=1 makes this a failure)");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("poryadok-dovecot-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::SeqCst)));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["run", "state", "home", "maildir/new", "maildir/cur", "maildir/tmp"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // Dovecot's unprivileged helpers must be able to reach the sockets and files in here.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let me = std::fs::metadata(&dir).unwrap();
        let accounts = accounts(me.uid(), me.gid());
        let mail_owner = (me.uid() == 0).then_some((accounts.mail.uid, accounts.mail.gid));
        let users = format!("{USER}:{{PLAIN}}{PASSWORD}:{}:{}::{}::\n", accounts.mail.uid, accounts.mail.gid, dir.join("home").display());
        std::fs::write(dir.join("users"), users).unwrap();
        if tls {
            self_signed(&dir);
        }
        let setup = Setup { dir: &dir, port: free_port(), tls_port: tls.then(free_port), accounts: &accounts };
        std::fs::write(dir.join("dovecot.conf"), config(dovecot_version(), &setup)).unwrap();
        if let Some((uid, gid)) = mail_owner {
            for sub in ["home", "maildir", "maildir/new", "maildir/cur", "maildir/tmp"] {
                std::os::unix::fs::chown(dir.join(sub), Some(uid), Some(gid)).unwrap();
            }
        }
        let master = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (port, tls_port) = (setup.port, setup.tls_port);
        let mut dovecot = Dovecot { port, tls_port, dir, mail_owner, master };
        dovecot.wait_ready();
        Some(dovecot)
    }

    /// Waits for the "ready" greeting (Dovecot first says "Waiting for authentication process"
    /// while its auth process starts).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.master.try_wait().unwrap() {
                panic!("Dovecot exited at start ({status}); its log:\n{}", self.log());
            }
            if self.greets() {
                return;
            }
            assert!(Instant::now() < deadline, "Dovecot did not greet on 127.0.0.1:{} within 20 s; its log:\n{}", self.port, self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn greets(&self) -> bool {
        let Ok(sock) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
        let mut reader = BufReader::new(sock);
        let mut line = String::new();
        for _ in 0..3 {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return false;
            }
            if line.contains("ready") {
                return true;
            }
        }
        false
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_else(|e| format!("(no log: {e})"))
    }

    fn config(&self, password: &str) -> ImapConfig {
        ImapConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            security: ImapSecurity::Plain,
            username: USER.into(),
            password: password.into(),
            mailbox: "INBOX".into(),
        }
    }

    /// Delivers like an MTA: write into tmp/, then move into new/.
    fn deliver(&self, raw: &str) {
        let name = format!("{}.P{}Q{}.poryadok-test", 1_700_000_000 + SEQ.fetch_add(1, Ordering::SeqCst), std::process::id(), self.port);
        let tmp = self.dir.join("maildir/tmp").join(&name);
        std::fs::write(&tmp, raw).unwrap();
        if let Some((uid, gid)) = self.mail_owner {
            std::os::unix::fs::chown(&tmp, Some(uid), Some(gid)).unwrap();
        }
        std::fs::rename(&tmp, self.dir.join("maildir/new").join(&name)).unwrap();
    }

    /// Maildir keeps flags in file names ("…:2,S" when \Seen).
    fn seen_files(&self) -> Vec<String> {
        ["new", "cur"]
            .iter()
            .flat_map(|sub| std::fs::read_dir(self.dir.join("maildir").join(sub)).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.rsplit_once(":2,").is_some_and(|(_, flags)| flags.contains('S')))
            .collect()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its helpers; SIGKILL would leave them running. `kill`
        // comes with procps, which a slim image may lack; doveadm comes with Dovecot.
        let term = Command::new("kill").arg("-TERM").arg(self.master.id().to_string()).stderr(Stdio::null()).status();
        if !term.is_ok_and(|s| s.success()) {
            let _ = Command::new("doveadm").arg("-c").arg(self.dir.join("dovecot.conf")).arg("stop").stderr(Stdio::null()).status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && matches!(self.master.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.master.kill();
        let _ = self.master.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Setup<'a> {
    dir: &'a Path,
    port: u16,
    tls_port: Option<u16>,
    accounts: &'a Accounts,
}

/// A minimal single-user configuration; no file of the system's Dovecot is included. Dovecot
/// 2.4 renamed many settings (and wants its config version first), so the version picks the names.
fn config((major, minor): (u32, u32), setup: &Setup<'_>) -> String {
    let d = setup.dir.display();
    let v24 = (major, minor) >= (2, 4);
    let ssl = match (setup.tls_port.is_some(), v24) {
        (false, _) => "ssl = no\n".to_owned(),
        (true, false) => format!("ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n"),
        (true, true) => format!("ssl = yes\nssl_server_cert_file = {d}/cert.pem\nssl_server_key_file = {d}/key.pem\n"),
    };
    let Accounts { internal, login, .. } = setup.accounts;
    let common = format!(
        "protocols = imap\n\
         listen = 127.0.0.1\n\
         base_dir = {d}/run\n\
         state_dir = {d}/state\n\
         log_path = {d}/dovecot.log\n\
         {ssl}\
         default_internal_user = {internal}\n\
         default_internal_group = {group}\n\
         default_login_user = {login}\n\
         first_valid_uid = 1\n\
         auth_mechanisms = plain login\n\
         service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = {tls_port}\n  }}\n}}\n\
         service anvil {{\n  chroot =\n}}\n",
        internal = internal.name,
        group = group_name(internal.gid),
        port = setup.port,
        tls_port = setup.tls_port.unwrap_or(0),
    );
    if v24 {
        format!(
            "dovecot_config_version = {major}.{minor}.0\n\
             dovecot_storage_version = {major}.{minor}.0\n\
             {common}\
             auth_allow_cleartext = yes\n\
             mail_driver = maildir\n\
             mail_path = {d}/maildir\n\
             namespace inbox {{\n  inbox = yes\n}}\n\
             passdb passwd-file {{\n  passwd_file_path = {d}/users\n}}\n\
             userdb passwd-file {{\n  passwd_file_path = {d}/users\n}}\n"
        )
    } else {
        format!(
            "{common}\
             disable_plaintext_auth = no\n\
             mail_location = maildir:{d}/maildir\n\
             passdb {{\n  driver = passwd-file\n  args = {d}/users\n}}\n\
             userdb {{\n  driver = passwd-file\n  args = {d}/users\n}}\n"
        )
    }
}

fn message(n: u32) -> String {
    format!(
        "From: Client {n} <client{n}@example.ru>\n\
         To: sales@poryadok.local\n\
         Subject: =?UTF-8?B?0JfQsNC/0YDQvtGB?= {n}\n\
         Message-ID: <m{n}@example.ru>\n\
         Date: Tue, 24 Nov 2026 10:0{n}:00 +0300\n\
         Content-Type: text/plain; charset=utf-8\n\
         Content-Transfer-Encoding: 8bit\n\
         \n\
         Сообщение {n}.\n\
         Тел. +7 (999) 123-45-6{n}\n"
    )
}

fn ids(f: &Fetched) -> Vec<String> {
    f.messages.iter().map(|(_, raw)| parse_email(raw).unwrap().message_id.unwrap()).collect()
}

#[tokio::test]
async fn new_messages_arrive_once_and_stay_unread() {
    let Some(dovecot) = Dovecot::start() else { return };
    let cfg = dovecot.config(PASSWORD);
    for n in 1..=3 {
        dovecot.deliver(&message(n));
    }

    let first = fetch_new(&cfg, None, None, 50).await.unwrap();
    assert_eq!(first.messages.len(), 3);
    let uids: Vec<u32> = first.messages.iter().map(|(uid, _)| *uid).collect();
    assert!(uids.windows(2).all(|w| w[0] < w[1]), "oldest first: {uids:?}");
    let mut got = ids(&first);
    got.sort();
    assert_eq!(got, ["m1@example.ru", "m2@example.ru", "m3@example.ru"]);
    for (_, raw) in &first.messages {
        let m = parse_email(raw).unwrap();
        assert!(m.subject.starts_with("Запрос ") && m.text.starts_with("Сообщение "), "{m:?}");
        assert!(m.from_addr.starts_with("client"));
    }

    // Nothing new after the last UID: the server's "n:*" answer (the highest UID) is dropped.
    let last = *uids.last().unwrap();
    let again = fetch_new(&cfg, Some(first.uidvalidity), Some(last), 50).await.unwrap();
    assert_eq!(again, Fetched { uidvalidity: first.uidvalidity, messages: vec![] });

    dovecot.deliver(&message(4));
    let fourth = fetch_new(&cfg, Some(first.uidvalidity), Some(last), 50).await.unwrap();
    assert_eq!(ids(&fourth), ["m4@example.ru"]);
    assert!(fourth.messages[0].0 > last);
    let last = fourth.messages[0].0;

    // A changed UIDVALIDITY means the old UIDs are meaningless: everything again, up to the limit.
    let renumbered = fetch_new(&cfg, Some(first.uidvalidity.wrapping_add(1)), Some(last), 2).await.unwrap();
    assert_eq!(renumbered.messages.iter().map(|(uid, _)| *uid).collect::<Vec<_>>(), uids[..2]);
    assert!(fetch_new(&cfg, None, Some(last), 0).await.unwrap().messages.is_empty());

    assert_eq!(dovecot.seen_files(), Vec::<String>::new(), "BODY.PEEK[] must not set \\Seen");
    assert_eq!(unseen_count(&dovecot).await, 4);
}

/// Asks the server itself, in a separate session, how many messages are not \Seen.
async fn unseen_count(dovecot: &Dovecot) -> usize {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", dovecot.port)).await.unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().unwrap();
    let mut session = client.login(USER, PASSWORD).await.map_err(|(e, _)| e).unwrap();
    session.examine("INBOX").await.unwrap();
    let unseen = session.search("UNSEEN").await.unwrap().len();
    session.logout().await.unwrap();
    unseen
}

#[tokio::test]
async fn a_wrong_password_is_a_login_error() {
    let Some(dovecot) = Dovecot::start() else { return };
    let e = fetch_new(&dovecot.config("wrong"), None, None, 10).await.unwrap_err();
    let prefix = format!("imap 127.0.0.1:{}: login failed: the server answered NO: [AUTHENTICATIONFAILED] ", dovecot.port);
    assert!(e.starts_with(&prefix) && !e.contains('\n') && !e.contains("wrong"), "{e}");
}

#[tokio::test]
async fn a_missing_mailbox_is_a_select_error() {
    let Some(dovecot) = Dovecot::start() else { return };
    let cfg = ImapConfig { mailbox: "Nope".into(), ..dovecot.config(PASSWORD) };
    let e = fetch_new(&cfg, None, None, 10).await.unwrap_err();
    assert!(e.starts_with(&format!("imap 127.0.0.1:{}: SELECT \"Nope\" failed: ", dovecot.port)), "{e}");
    // An empty INBOX is not an error.
    let empty = fetch_new(&dovecot.config(PASSWORD), None, None, 10).await.unwrap();
    assert!(empty.messages.is_empty() && empty.uidvalidity > 0);
}

/// Both TLS modes reach a real handshake, and a certificate no public CA signed is refused.
#[tokio::test]
async fn tls_and_starttls_verify_the_certificate() {
    let Some(dovecot) = Dovecot::start_with(true) else { return };
    let tls_port = dovecot.tls_port.unwrap();
    for (security, port) in [(ImapSecurity::Tls, tls_port), (ImapSecurity::StartTls, dovecot.port)] {
        let cfg = ImapConfig { host: "localhost".into(), port, security, ..dovecot.config(PASSWORD) };
        let e = fetch_new(&cfg, None, None, 10).await.unwrap_err();
        assert!(e.starts_with(&format!("imap localhost:{port}: TLS handshake failed: ")) && e.contains("certificate"), "{security:?}: {e}");
    }
}

/// The whole way in: an e-mail source with IMAP settings is polled by the worker on its
/// schedule, each new message lands in the inbox once and on its sender's card, and the next
/// poll takes only what is new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_brings_new_mail_onto_cards_once() {
    let Some(dovecot) = Dovecot::start() else { return };
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await.unwrap();
    let imap = serde_json::json!({"host": "127.0.0.1", "port": dovecot.port, "security": "plain", "username": USER, "password": PASSWORD, "every_minutes": 1});
    let source = crate::intake::source(&app, "email", serde_json::json!({"imap": imap})).await;
    for n in 1..=2 {
        dovecot.deliver(&message(n));
    }
    // The schedule is due at once; one worker pass polls and then processes what it stored.
    crate::intake::work(&app).await;
    crate::intake::work(&app).await;
    let (_, events) = app.get(&app.t.admin, &format!("/api/v1/intake/events?source_id={}", source.id)).await;
    let events = events["data"].as_array().unwrap().clone();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e["status"] == "processed"), "{events:?}");
    let persons = app.all_records(&app.t.admin, "persons", "&email=client1@example.ru", 10).await;
    assert_eq!(persons.len(), 1);
    let (_, messages) = app.get(&app.t.admin, &format!("/api/v1/persons/{}/messages", persons[0]["id"])).await;
    assert_eq!(messages["data"][0]["subject"], "Запрос 1");
    // The password is never listed back.
    let (_, listed) = app.get(&app.t.admin, &format!("/api/v1/intake/sources/{}", source.id)).await;
    assert_eq!(listed["data"]["config"]["imap"]["password"], "***");

    // A minute later only the new message comes in.
    dovecot.deliver(&message(3));
    app.clock.advance(time::Duration::minutes(2));
    crate::intake::work(&app).await;
    crate::intake::work(&app).await;
    let (_, events) = app.get(&app.t.admin, &format!("/api/v1/intake/events?source_id={}", source.id)).await;
    assert_eq!(events["data"].as_array().unwrap().len(), 3);
    assert_eq!(dovecot.seen_files(), Vec::<String>::new(), "polling leaves mail unread");
}

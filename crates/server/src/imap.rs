//! Polling one IMAP mailbox for the e-mail intake: log in, select the mailbox, find the messages
//! newer than the last one seen (by UID, guarded by UIDVALIDITY) and download them untouched
//! (`BODY.PEEK[]`, so nothing is marked read). Parsing the messages is `poryadok_core::email`'s job.
use async_imap::imap_proto::{Response, Status};
use async_imap::{Client, Session};
use futures_util::StreamExt;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// How long the connection and each command may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapSecurity {
    /// TLS from the first byte (usually port 993).
    Tls,
    /// Plain connection upgraded with STARTTLS before logging in (usually port 143).
    StartTls,
    /// No encryption: the password would cross the network in clear, so it is refused for
    /// any host but a loopback one (tests, a local relay).
    Plain,
}

#[derive(Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    pub username: String,
    pub password: String,
    /// E.g. "INBOX"; sent as is, so a non-ASCII name must already be in IMAP's modified UTF-7.
    pub mailbox: String,
}

impl fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("mailbox", &self.mailbox)
            .finish()
    }
}

/// The result of one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The mailbox's UIDVALIDITY: UIDs seen before are meaningful only while it stays the same.
    pub uidvalidity: u32,
    /// (UID, raw RFC 822 message), lowest UID (oldest) first.
    pub messages: Vec<(u32, Vec<u8>)>,
}

/// Messages with a UID greater than `after_uid`, oldest first, at most `limit`.
///
/// All messages (up to `limit`) come back when `after_uid` is None, or when `known_uidvalidity`
/// is given and differs from the mailbox's (the server renumbered it, so old UIDs mean nothing).
/// With `known_uidvalidity` None, `after_uid` is trusted as is. The caller keeps the returned
/// `uidvalidity` and the last UID for the next poll. Uses `BODY.PEEK[]`, so nothing is marked
/// read. The connection and each command time out after [`TIMEOUT`].
///
/// Errors are one line naming the server, e.g. "imap 127.0.0.1:1143: login failed: …".
pub async fn fetch_new(cfg: &ImapConfig, known_uidvalidity: Option<u32>, after_uid: Option<u32>, limit: usize) -> Result<Fetched, String> {
    let want = Want { known_uidvalidity, after_uid, limit };
    fetch_within(cfg, want, TIMEOUT).await
}

#[derive(Debug, Clone, Copy)]
struct Want {
    known_uidvalidity: Option<u32>,
    after_uid: Option<u32>,
    limit: usize,
}

async fn fetch_within(cfg: &ImapConfig, want: Want, limit: Duration) -> Result<Fetched, String> {
    poll_server(cfg, want, &Steps { limit }).await.map_err(|e| format!("imap {}:{}: {}", cfg.host, cfg.port, one_line(&e)))
}

async fn poll_server(cfg: &ImapConfig, want: Want, steps: &Steps) -> Result<Fetched, String> {
    if cfg.security == ImapSecurity::Plain && !is_loopback(&cfg.host) {
        return Err("unencrypted IMAP is allowed only to this machine (localhost, 127.0.0.1, ::1); use TLS or STARTTLS".into());
    }
    let tcp = steps.connect(cfg).await?;
    match cfg.security {
        ImapSecurity::Plain => {
            let client = steps.greeted(Client::new(tcp)).await?;
            steps.poll(client, cfg, want).await
        }
        ImapSecurity::Tls => {
            let tls = steps.tls(cfg, tcp).await?;
            let client = steps.greeted(Client::new(tls)).await?;
            steps.poll(client, cfg, want).await
        }
        ImapSecurity::StartTls => {
            let mut client = steps.greeted(Client::new(tcp)).await?;
            steps.imap("STARTTLS", client.run_command_and_check_ok("STARTTLS", None)).await?;
            let tls = steps.tls(cfg, client.into_inner()).await?;
            // No second greeting after STARTTLS (RFC 3501 6.2.1).
            steps.poll(Client::new(tls), cfg, want).await
        }
    }
}

/// The steps of a poll, each bounded by the same time limit.
struct Steps {
    limit: Duration,
}

impl Steps {
    /// Runs one step; its error or time-out becomes "<what> failed: …" / "<what> timed out …".
    async fn run<T, E: fmt::Display>(&self, what: &str, fut: impl Future<Output = Result<T, E>>) -> Result<T, String> {
        match tokio::time::timeout(self.limit, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(format!("{what} failed: {e}")),
            Err(_) => Err(format!("{what} timed out after {} s", self.limit.as_secs_f32())),
        }
    }

    async fn imap<T>(&self, what: &str, fut: impl Future<Output = async_imap::error::Result<T>>) -> Result<T, String> {
        self.run(what, async { fut.await.map_err(describe) }).await
    }

    async fn connect(&self, cfg: &ImapConfig) -> Result<TcpStream, String> {
        self.run("connect", TcpStream::connect((cfg.host.as_str(), cfg.port))).await
    }

    async fn tls(&self, cfg: &ImapConfig, tcp: TcpStream) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
        let name = ServerName::try_from(cfg.host.clone()).map_err(|_| format!("{:?} is not a valid TLS server name", cfg.host))?;
        let connector = tls_connector()?;
        self.run("TLS handshake", connector.connect(name, tcp)).await
    }

    /// Reads the server's greeting, which must not be a BYE.
    async fn greeted<T: Stream>(&self, mut client: Client<T>) -> Result<Client<T>, String> {
        let greeting = self.run("greeting", client.read_response()).await?;
        match greeting.as_ref().map(|g| g.parsed()) {
            None => Err("the server closed the connection without a greeting".into()),
            Some(Response::Data { status: Status::Bye, information, .. }) => {
                Err(format!("the server refused the connection: {}", information.as_deref().unwrap_or("BYE")))
            }
            Some(_) => Ok(client),
        }
    }

    async fn poll<T: Stream>(&self, client: Client<T>, cfg: &ImapConfig, want: Want) -> Result<Fetched, String> {
        let mut session = self.imap("login", async { client.login(&cfg.username, &cfg.password).await.map_err(|(e, _)| e) }).await?;
        let fetched = self.poll_session(&mut session, &cfg.mailbox, want).await;
        // The messages are in hand; a server that fumbles the goodbye does not undo the poll.
        let _ = self.imap("LOGOUT", session.logout()).await;
        fetched
    }

    async fn poll_session<T: Stream>(&self, session: &mut Session<T>, mailbox: &str, want: Want) -> Result<Fetched, String> {
        let selected = self.imap(&format!("SELECT {mailbox:?}"), session.select(mailbox)).await?;
        let uidvalidity = selected.uid_validity.ok_or_else(|| format!("SELECT {mailbox:?} did not report UIDVALIDITY"))?;
        let after = match want.known_uidvalidity {
            Some(known) if known != uidvalidity => None,
            _ => want.after_uid,
        };
        if selected.exists == 0 || want.limit == 0 {
            return Ok(Fetched { uidvalidity, messages: Vec::new() });
        }
        let query = match after {
            Some(uid) => match uid.checked_add(1) {
                Some(next) => format!("UID {next}:*"),
                None => return Ok(Fetched { uidvalidity, messages: Vec::new() }),
            },
            None => "ALL".to_owned(),
        };
        let found = self.imap("UID SEARCH", session.uid_search(&query)).await?;
        let uids = oldest_after(found, after, want.limit);
        if uids.is_empty() {
            return Ok(Fetched { uidvalidity, messages: Vec::new() });
        }
        let messages = self.fetch_bodies(session, &uids).await?;
        Ok(Fetched { uidvalidity, messages })
    }

    async fn fetch_bodies<T: Stream>(&self, session: &mut Session<T>, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, String> {
        let collect = async {
            let mut stream = session.uid_fetch(uid_set(uids), "(UID BODY.PEEK[])").await?;
            let mut out = Vec::with_capacity(uids.len());
            while let Some(fetch) = stream.next().await {
                let fetch = fetch?;
                // Untagged FETCHes about other messages (flag changes) may be interleaved.
                if let (Some(uid), Some(body)) = (fetch.uid, fetch.body()) {
                    if uids.contains(&uid) {
                        out.push((uid, body.to_vec()));
                    }
                }
            }
            Ok::<_, async_imap::error::Error>(out)
        };
        let mut messages = self.imap("UID FETCH", collect).await?;
        messages.sort_by_key(|(uid, _)| *uid);
        messages.dedup_by_key(|(uid, _)| *uid);
        Ok(messages)
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What async-imap needs of a connection.
trait Stream: AsyncRead + AsyncWrite + Unpin + fmt::Debug + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + fmt::Debug + Send> Stream for T {}

/// The `limit` lowest UIDs above `after`. `UID SEARCH UID n:*` always matches the highest UID,
/// even when it is below n (RFC 3501 6.4.8: "*" is the largest UID in use), so it is dropped here.
fn oldest_after(found: impl IntoIterator<Item = u32>, after: Option<u32>, limit: usize) -> Vec<u32> {
    let mut uids: Vec<u32> = found.into_iter().filter(|uid| after.is_none_or(|a| *uid > a)).collect();
    uids.sort_unstable();
    uids.dedup();
    uids.truncate(limit);
    uids
}

/// async-imap renders a NO or BAD answer as `code: …, info: Some("text")`; the server's text
/// is what a person can act on.
fn describe(e: async_imap::error::Error) -> String {
    use async_imap::error::Error;
    let server_text = |detail: &str| -> String {
        detail.split_once("info: Some(\"").and_then(|(_, rest)| rest.strip_suffix("\")")).unwrap_or(detail).to_owned()
    };
    match &e {
        Error::No(detail) => format!("the server answered NO: {}", server_text(detail)),
        Error::Bad(detail) => format!("the server answered BAD: {}", server_text(detail)),
        _ => e.to_string(),
    }
}

/// An IMAP sequence set for sorted UIDs, runs written as ranges: "3:5,9".
fn uid_set(uids: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        while i + 1 < uids.len() && uids[i + 1] == uids[i].saturating_add(1) {
            i += 1;
        }
        parts.push(if uids[i] == start { start.to_string() } else { format!("{start}:{}", uids[i]) });
        i += 1;
    }
    parts.join(",")
}

fn tls_connector() -> Result<TlsConnector, String> {
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Server texts may carry line breaks; a poll error is logged and shown on one line.
fn one_line(s: &str) -> String {
    s.split(['\r', '\n']).map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn cfg(port: u16, security: ImapSecurity) -> ImapConfig {
        ImapConfig {
            host: "127.0.0.1".into(),
            port,
            security,
            username: "u".into(),
            password: "s3cret-pass".into(),
            mailbox: "INBOX".into(),
        }
    }

    const ALL: Want = Want { known_uidvalidity: None, after_uid: None, limit: 10 };

    #[test]
    fn debug_hides_the_password() {
        let s = format!("{:?}", cfg(1, ImapSecurity::Tls));
        assert!(!s.contains("s3cret-pass") && s.contains("<redacted>") && s.contains("127.0.0.1"), "{s}");
    }

    #[test]
    fn search_results_are_filtered_sorted_and_capped() {
        // The server answers "UID 8:*" with 7 when 7 is the highest UID.
        assert_eq!(oldest_after([7], Some(7), 10), Vec::<u32>::new());
        assert_eq!(oldest_after([12, 9, 10, 7], Some(7), 2), vec![9, 10]);
        assert_eq!(oldest_after([3, 1, 2, 2], None, 10), vec![1, 2, 3]);
        assert_eq!(oldest_after([1, 2], None, 0), Vec::<u32>::new());
    }

    #[tokio::test]
    async fn plain_is_refused_off_this_machine() {
        let remote = ImapConfig { host: "mail.example.com".into(), ..cfg(143, ImapSecurity::Plain) };
        let e = fetch_new(&remote, None, None, 10).await.unwrap_err();
        assert!(e.starts_with("imap mail.example.com:143: unencrypted IMAP is allowed only to this machine"), "{e}");
        assert!(["localhost", "127.0.0.1", "127.0.0.2", "::1", "[::1]"].into_iter().all(is_loopback));
        assert!(!["10.0.0.1", "localhost.example.com", "", "0.0.0.0"].into_iter().any(is_loopback));
    }

    #[test]
    fn uid_sets_use_ranges() {
        assert_eq!(uid_set(&[3, 4, 5, 9, 11, 12]), "3:5,9,11:12");
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), format!("{}:{}", u32::MAX - 1, u32::MAX));
    }

    #[test]
    fn errors_are_one_line_and_readable() {
        assert_eq!(one_line("a\r\n b\n\nc "), "a b c");
        let no = async_imap::error::Error::No(r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#.into());
        assert_eq!(describe(no), "the server answered NO: [AUTHENTICATIONFAILED] Authentication failed.");
        assert_eq!(describe(async_imap::error::Error::Bad("odd".into())), "the server answered BAD: odd");
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let e = fetch_new(&cfg(port, ImapSecurity::Plain), None, None, 10).await.unwrap_err();
        assert!(e.starts_with(&format!("imap 127.0.0.1:{port}: connect failed: ")), "{e}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let _hold = tokio::spawn(async move {
            let (_sock, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let e = fetch_within(&cfg(port, ImapSecurity::Plain), ALL, Duration::from_millis(200)).await.unwrap_err();
        assert_eq!(e, format!("imap 127.0.0.1:{port}: greeting timed out after 0.2 s"));
    }

    /// Answers each line with the next scripted reply; records what the client sent.
    async fn scripted(replies: &'static [&'static str]) -> (u16, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut seen = String::new();
            let mut buf = [0u8; 4096];
            sock.write_all(replies[0].as_bytes()).await.unwrap();
            for reply in &replies[1..] {
                let n = sock.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                sock.write_all(reply.as_bytes()).await.unwrap();
            }
            seen
        });
        (port, task)
    }

    #[tokio::test]
    async fn a_bye_greeting_is_refused() {
        let (port, _task) = scripted(&["* BYE too many connections\r\n"]).await;
        let e = fetch_new(&cfg(port, ImapSecurity::Plain), None, None, 10).await.unwrap_err();
        assert_eq!(e, format!("imap 127.0.0.1:{port}: the server refused the connection: too many connections"));
    }

    #[tokio::test]
    async fn starttls_is_sent_before_login() {
        // The server accepts STARTTLS and then talks plain text, so the TLS handshake fails.
        let (port, task) = scripted(&["* OK ready\r\n", "A0001 OK begin TLS\r\n", "garbage\r\n"]).await;
        let e = fetch_new(&cfg(port, ImapSecurity::StartTls), None, None, 10).await.unwrap_err();
        assert!(e.starts_with(&format!("imap 127.0.0.1:{port}: TLS handshake failed: ")), "{e}");
        let seen = task.await.unwrap();
        assert!(seen.starts_with("A0001 STARTTLS\r\n") && !seen.contains("LOGIN"), "{seen:?}");
    }

    #[tokio::test]
    async fn a_scripted_poll_filters_the_highest_uid() {
        let (port, task) = scripted(&[
            "* OK ready\r\n",
            "A0001 OK LOGIN done\r\n",
            "* 2 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\nA0002 OK [READ-WRITE] SELECT done\r\n",
            "* SEARCH 7\r\nA0003 OK SEARCH done\r\n",
            "* BYE\r\nA0004 OK LOGOUT done\r\n",
        ])
        .await;
        let want = Want { known_uidvalidity: Some(42), after_uid: Some(7), limit: 10 };
        let got = fetch_within(&cfg(port, ImapSecurity::Plain), want, Duration::from_secs(5)).await.unwrap();
        assert_eq!(got, Fetched { uidvalidity: 42, messages: vec![] });
        let seen = task.await.unwrap();
        assert!(seen.contains("A0003 UID SEARCH UID 8:*\r\n") && !seen.contains("FETCH"), "{seen:?}");
    }

    #[tokio::test]
    async fn a_scripted_poll_fetches_with_peek() {
        let (port, task) = scripted(&[
            "* OK ready\r\n",
            "A0001 OK LOGIN done\r\n",
            "* 3 EXISTS\r\n* OK [UIDVALIDITY 9] ok\r\nA0002 OK SELECT done\r\n",
            "* SEARCH 5 3 4\r\nA0003 OK SEARCH done\r\n",
            "* 2 FETCH (UID 4 BODY[] {9}\r\nFrom: b\r\n)\r\n* 1 FETCH (UID 3 BODY[] {9}\r\nFrom: a\r\n)\r\nA0004 OK FETCH done\r\n",
            "A0005 OK LOGOUT done\r\n",
        ])
        .await;
        // UIDVALIDITY changed (9 ≠ 1): everything again, despite after_uid.
        let want = Want { known_uidvalidity: Some(1), after_uid: Some(4), limit: 2 };
        let got = fetch_within(&cfg(port, ImapSecurity::Plain), want, Duration::from_secs(5)).await.unwrap();
        assert_eq!(got.uidvalidity, 9);
        assert_eq!(got.messages, vec![(3, b"From: a\r\n".to_vec()), (4, b"From: b\r\n".to_vec())]);
        let seen = task.await.unwrap();
        assert!(seen.contains("A0003 UID SEARCH ALL\r\n") && seen.contains("A0004 UID FETCH 3:4 (UID BODY.PEEK[])\r\n"), "{seen:?}");
    }
}

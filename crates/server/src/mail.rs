//! E-mail copies of notifications, sent over SMTP by the `notify_email` job.
//!
//! The server sends mail only when it is configured with a mail server (`PORYADOK_SMTP_URL`
//! and `PORYADOK_SMTP_FROM`); notifications made by such a server enqueue a copy each. A copy is
//! marked sent only after the mail server accepted it; a refusal or an unreachable server fails
//! the job, which the queue retries with a back-off and finally shows as failed.
use crate::worker::JobContext;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use poryadok_store::channels::replies::Thread;
use poryadok_store::jobs::Job;
use poryadok_store::notifications::EmailCopy;
use poryadok_store::own_smtp::OwnSmtp;
use serde_json::Value as Json;
use std::time::Duration;

/// A mail server that does not answer within this time counts as a failed attempt.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A file to attach to a letter.
pub struct MailFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// How to reach the mail server and whom mail comes from.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The URL with any password masked, for logs and `Debug`.
    shown: String,
    from: Mailbox,
    /// Prepended to a notification's local link, so the link in a message opens this server.
    public_url: Option<String>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig").field("url", &self.shown).field("from", &self.from.to_string()).finish()
    }
}

impl SmtpConfig {
    /// `url`: `smtp://[user:password@]host[:port]` (plain; add `?tls=required` for STARTTLS) or
    /// `smtps://…` (TLS from the start). `from`: `Name <address>` or a bare address.
    pub fn new(url: &str, from: &str, public_url: Option<&str>) -> Result<SmtpConfig, String> {
        let shown = mask_password(url);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP URL {shown}: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = from.parse::<Mailbox>().map_err(|e| format!("SMTP sender '{from}': {e}"))?;
        let public_url = public_url.map(|u| u.trim_end_matches('/').to_string()).filter(|u| !u.is_empty());
        Ok(SmtpConfig { shown, from, public_url, transport })
    }

    /// The message for a notification: its title as the subject, its text and link as the body.
    fn message(&self, copy: &EmailCopy) -> Result<Message, String> {
        let n = &copy.notification;
        let to = Mailbox::new(Some(copy.to_name.clone()), copy.to_email.parse().map_err(|e| format!("recipient {}: {e}", copy.to_email))?);
        let mut text = n.body.clone();
        if let Some(link) = &n.link {
            text.push_str("\n\n");
            text.push_str(self.public_url.as_deref().unwrap_or(""));
            text.push_str(link);
        }
        text.push('\n');
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(n.title.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|e| format!("building the message: {e}"))
    }

    async fn send(&self, copy: &EmailCopy) -> Result<(), String> {
        self.deliver(self.message(copy)?).await
    }

    /// Sends a plain-text message to one address (a client's message); `Ok` only when the mail
    /// server accepted it.
    pub async fn send_text(&self, to: &str, subject: &str, text: &str) -> Result<(), String> {
        let to = to.parse::<Mailbox>().map_err(|e| format!("recipient {to}: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(format!("{}\n", text.trim_end()))
            .map_err(|e| format!("building the message: {e}"))?;
        self.deliver(message).await
    }

    /// A user's own mail account ([`OwnSmtp`]): their letters go through it, from their address
    /// (named as the user).
    pub fn for_account(account: &OwnSmtp, name: &str) -> Result<SmtpConfig, String> {
        let shown =
            format!("smtp://{}{}:{}", account.login.as_deref().map(|l| format!("{l}@")).unwrap_or_default(), account.host, account.port);
        let builder = match account.tls.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&account.host).map_err(|e| format!("SMTP {shown}: {e}"))?,
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&account.host).map_err(|e| format!("SMTP {shown}: {e}"))?,
            _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&account.host),
        };
        let mut builder = builder.port(account.port).timeout(Some(SMTP_TIMEOUT));
        if let Some(login) = &account.login {
            builder = builder.credentials(Credentials::new(login.clone(), account.password.clone().unwrap_or_default()));
        }
        let address = account.from.as_deref().or(account.login.as_deref()).unwrap_or_default();
        let from = Mailbox::new(
            Some(name.to_string()).filter(|n| !n.is_empty()),
            address.parse().map_err(|e| format!("SMTP sender '{address}': {e}"))?,
        );
        Ok(SmtpConfig { shown, from, public_url: None, transport: builder.build() })
    }

    /// Sends a client a reply written on their card: plain text, with its own Message-ID and, when
    /// it answers a letter of theirs, `In-Reply-To` and `References`, so their mail program shows
    /// it in the conversation and their answer comes back to the card. Files go as attachments
    /// (a `multipart/mixed` letter: the text first, then each file with its name and type).
    pub async fn send_in_thread(&self, to: &str, subject: &str, text: &str, thread: &Thread, files: Vec<MailFile>) -> Result<(), String> {
        let to = to.parse::<Mailbox>().map_err(|e| format!("recipient {to}: {e}"))?;
        let bracketed = |id: &str| format!("<{}>", id.trim_matches(['<', '>']));
        let mut builder =
            Message::builder().from(self.from.clone()).to(to).subject(subject).message_id(thread.message_id.as_deref().map(bracketed));
        if let Some(parent) = &thread.in_reply_to {
            builder = builder.in_reply_to(bracketed(parent));
        }
        if !thread.references.is_empty() {
            builder = builder.references(thread.references.iter().map(|r| bracketed(r)).collect::<Vec<_>>().join(" "));
        }
        let body = format!("{}\n", text.trim_end());
        let message = if files.is_empty() {
            builder.header(ContentType::TEXT_PLAIN).body(body)
        } else {
            let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body));
            for f in files {
                let ct = ContentType::parse(&f.content_type)
                    .unwrap_or_else(|_| ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN));
                parts = parts.singlepart(Attachment::new(f.name).body(f.bytes, ct));
            }
            builder.multipart(parts)
        }
        .map_err(|e| format!("building the message: {e}"))?;
        self.deliver(message).await
    }

    async fn deliver(&self, message: Message) -> Result<(), String> {
        self.transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP {}: {e}", self.shown))
    }
}

/// `user:password@` becomes `user:***@`, so configuration can be logged.
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_string(),
    }
}

/// The `notify_email` job: sends one notification's copy and records it. A copy already sent (an
/// earlier attempt got through but its worker died before finishing) is not sent again.
pub async fn email_job(ctx: &JobContext<'_>, job: &Job) -> Result<(), String> {
    let smtp = ctx.smtp.ok_or("this server has no mail server configured (PORYADOK_SMTP_URL)")?;
    let id = job.payload.get("notification_id").and_then(Json::as_i64).ok_or("the payload has no notification_id")?;
    let copy = ctx.db.email_copy(job.workspace_id, id).await.map_err(|e| e.to_string())?;
    // Gone, or the recipient was deactivated: nobody to send to, nothing to retry.
    let Some(copy) = copy.filter(|c| c.notification.emailed_at.is_none()) else {
        return Ok(());
    };
    smtp.send(&copy).await?;
    ctx.db.mark_emailed(job.workspace_id, id).await.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        assert_eq!(mask_password("smtp://bot:s3cr@t@mail.local:2525"), "smtp://bot:***@mail.local:2525");
        assert_eq!(mask_password("smtps://mail.local?tls=required"), "smtps://mail.local?tls=required");
        let cfg = SmtpConfig::new("smtp://bot:hunter2@127.0.0.1:2525", "CRM <crm@example.com>", None).unwrap();
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("hunter2") && shown.contains("bot:***@127.0.0.1"), "{shown}");
    }

    #[test]
    fn bad_settings_are_explained() {
        let err = SmtpConfig::new("http://x", "a@b.c", None).map(|_| ()).unwrap_err();
        assert!(err.contains("SMTP URL"), "{err}");
        let err = SmtpConfig::new("smtp://127.0.0.1", "not an address", None).map(|_| ()).unwrap_err();
        assert!(err.contains("sender"), "{err}");
    }
}

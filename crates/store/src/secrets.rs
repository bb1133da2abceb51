//! Third-party secrets at rest: the passwords, tokens and keys a workspace gives Poryadok to act
//! for it elsewhere (a user's own SMTP password, the SMS and WhatsApp gateways' headers, a
//! Telegram bot's token, an IMAP password, a click-to-call request's headers, an intake source's
//! signing secret, an outbound webhook's secret and basic-auth password) are sealed with
//! ChaCha20-Poly1305 under the server's key before they are written, and opened when they are
//! used. A database dump or backup alone therefore does not hand them out; it needs the key too.
//!
//! A sealed value is text: [`PREFIX`] then base64url of a random 96-bit nonce and the ciphertext
//! with its tag. A value without the prefix is one stored before sealing existed: it is read as
//! it is and sealed on its next save (or by `poryadok secrets seal`). A sealed value that does not
//! open (another key, or damaged) is a [`SecretError`], never a panic and never the ciphertext
//! passed on as if it were the secret.
//!
//! This module owns the key and the format only; it never logs a value, and [`SecretKey`]'s
//! `Debug` shows nothing of the key. Reading the key from the environment or its file is the
//! binary's job ([`SecretKey::load`] is the helper it calls).
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use std::path::{Path, PathBuf};

/// What a sealed value starts with (the format's version is in it).
pub const PREFIX: &str = "pdk1:";
/// The environment variable that holds the key (64 hex digits or 43 base64url characters).
pub const ENV: &str = "PORYADOK_SECRET_KEY";
/// The key file's name when the environment does not give one.
pub const KEY_FILE: &str = "secret.key";

/// A stored secret that could not be opened, or a key that could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error(
        "a stored secret does not decrypt with this server's key: the database was sealed under another PORYADOK_SECRET_KEY \
         (or another key file); restore the key that goes with this database"
    )]
    WrongKey,
    #[error("a stored secret is damaged (not a sealed value this server can read)")]
    Damaged,
    #[error("the secret key must be 32 bytes written as 64 hex digits or 43 base64url characters")]
    BadKey,
}

/// The server's key. `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey {
    bytes: [u8; 32],
    /// Where it came from, for messages ("PORYADOK_SECRET_KEY", a file path, "ephemeral").
    origin: String,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey(from {}, ***)", self.origin)
    }
}

impl SecretKey {
    /// A random key for this process only: what a [`crate::Db`] seals with until the binary
    /// installs the configured one (tests and tools that never restart on the same data).
    pub fn ephemeral() -> SecretKey {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SecretKey { bytes, origin: "ephemeral".into() }
    }

    /// Reads a key written as 64 hex digits or as base64url (padding optional).
    pub fn parse(text: &str, origin: &str) -> Result<SecretKey, SecretError> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(t).map_err(|_| SecretError::BadKey)?
        } else {
            URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')).map_err(|_| SecretError::BadKey)?
        };
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        Ok(SecretKey { bytes, origin: origin.to_string() })
    }

    /// Where the key came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The key as the environment variable takes it (for `poryadok secrets key`, to back it up).
    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }

    /// The configured key: `PORYADOK_SECRET_KEY` when `env` holds one, else the file `dir/secret.key`,
    /// created once with a new random key (mode 0600) when it does not exist. Answers the key and
    /// whether the file was just created.
    pub fn load(env: Option<&str>, dir: &Path) -> std::io::Result<(SecretKey, Option<PathBuf>)> {
        let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
        if let Some(v) = env.filter(|v| !v.trim().is_empty()) {
            return SecretKey::parse(v, ENV).map(|k| (k, None)).map_err(|e| invalid(format!("{ENV}: {e}")));
        }
        let path = dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let key = SecretKey::parse(&text, &path.display().to_string()).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
                Ok((key, None))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = SecretKey::ephemeral();
                key.origin = path.display().to_string();
                std::fs::create_dir_all(dir)?;
                write_private(&path, &format!("{}\n", key.to_hex()))?;
                Ok((key, Some(path)))
            }
            Err(e) => Err(e),
        }
    }

    fn aead(&self) -> Result<LessSafeKey, SecretError> {
        Ok(LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &self.bytes).map_err(|_| SecretError::BadKey)?))
    }

    /// Seals `plain` (an already sealed value is kept as it is).
    pub fn seal(&self, plain: &str) -> Result<String, SecretError> {
        if plain.starts_with(PREFIX) {
            return Ok(plain.to_string());
        }
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut buf = plain.as_bytes().to_vec();
        self.aead()?
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(PREFIX.as_bytes()), &mut buf)
            .map_err(|_| SecretError::Damaged)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// [`SecretKey::seal`] for an optional value.
    pub fn seal_opt(&self, plain: Option<&str>) -> Result<Option<String>, SecretError> {
        plain.map(|p| self.seal(p)).transpose()
    }

    /// The secret in `stored`: opened when it is sealed, as it is when it was stored before
    /// sealing existed.
    pub fn open(&self, stored: &str) -> Result<String, SecretError> {
        let Some(b64) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_string()) };
        let raw = URL_SAFE_NO_PAD.decode(b64).map_err(|_| SecretError::Damaged)?;
        if raw.len() < NONCE_LEN + CHACHA20_POLY1305.tag_len() {
            return Err(SecretError::Damaged);
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Damaged)?;
        let mut buf = sealed.to_vec();
        let plain = self.aead()?.open_in_place(nonce, Aad::from(PREFIX.as_bytes()), &mut buf).map_err(|_| SecretError::WrongKey)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SecretError::Damaged)
    }

    /// [`SecretKey::open`] for an optional column.
    pub fn open_opt(&self, stored: Option<String>) -> Result<Option<String>, SecretError> {
        stored.map(|s| self.open(&s)).transpose()
    }
}

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

impl From<SecretError> for crate::error::StoreError {
    fn from(e: SecretError) -> Self {
        crate::error::StoreError::Internal(e.to_string())
    }
}

/// What [`crate::Db::seal_stored_secrets`] sealed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Sealed {
    /// Values that were stored in plain text and are now sealed.
    pub sealed: u64,
    /// Values already sealed (opened to check the key).
    pub already: u64,
}

/// One column of stored third-party secrets and what its values are now
/// ([`crate::Db::secrets_status`]). A JSON column (a user's SMTP account, an intake source's
/// settings) counts each secret inside it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// Sealed, and they open with the configured key.
    pub sealed: u64,
    /// Stored in plain text (before sealing existed); sealed at the next start or by `secrets seal`.
    pub plain: u64,
    /// Sealed, but they do not open with the configured key (another key, or damaged).
    pub unreadable: u64,
}

/// How a column's stored text holds its secrets.
#[derive(Clone, Copy)]
enum How {
    /// The whole text is one secret.
    Whole,
    /// A JSON object whose `password` is the secret.
    SmtpAccount,
    /// An intake source's settings ([`crate::intake::each_config_secret`]).
    SourceConfig,
}

/// Every stored third-party secret: (table, column, how the text holds it).
const COLUMNS: [(&str, &str, How); 7] = [
    ("users", "smtp_account", How::SmtpAccount),
    ("workspaces", "sms_gateway", How::Whole),
    ("workspaces", "whatsapp_gateway", How::Whole),
    ("intake_sources", "secret", How::Whole),
    ("intake_sources", "config", How::SourceConfig),
    ("webhooks", "secret", How::Whole),
    ("webhooks", "http_password", How::Whole),
];

/// `stored` with `f` applied to each secret in it: the new text, or none when nothing changed.
fn map_secrets(stored: &str, how: How, f: &mut dyn FnMut(&str) -> Result<String, SecretError>) -> Result<Option<String>, SecretError> {
    use serde_json::Value as Json;
    match how {
        How::Whole if stored.is_empty() => Ok(None),
        How::Whole => {
            let text = f(stored)?;
            Ok((text != stored).then_some(text))
        }
        How::SmtpAccount | How::SourceConfig => {
            let Ok(mut v) = serde_json::from_str::<Json>(stored) else { return Ok(None) };
            let before = v.clone();
            match how {
                How::SmtpAccount => {
                    if let Some(Json::String(p)) = v.get_mut("password") {
                        *p = f(p)?;
                    }
                }
                _ => crate::intake::each_config_secret(&mut v, f)?,
            }
            Ok((v != before).then(|| v.to_string()))
        }
    }
}

/// Runs `f` over every stored secret through `conn`, writing back each text it changes (only if
/// it is still the text read). Answers per column how many values there were and how many changed.
async fn each_stored_secret(
    conn: &impl sea_orm::ConnectionTrait,
    backend: sea_orm::DbBackend,
    f: &mut dyn FnMut(&'static str, &'static str, &str) -> Result<String, SecretError>,
) -> crate::error::Result<u64> {
    use crate::sql::col;
    use sea_query::{Expr, Query};
    let mut changed = 0;
    for (table, column, how) in COLUMNS {
        let q =
            Query::select().columns([col("id"), col(column)]).from(col(table)).and_where(Expr::col(col(column)).is_not_null()).to_owned();
        for r in conn.query_all(backend.build(&q)).await? {
            let id: i64 = r.try_get("", "id")?;
            let stored: String = r.try_get("", column)?;
            if let Some(text) = map_secrets(&stored, how, &mut |s| f(table, column, s))? {
                let u = Query::update()
                    .table(col(table))
                    .value(col(column), text)
                    .and_where(Expr::col(col("id")).eq(id))
                    .and_where(Expr::col(col(column)).eq(stored))
                    .to_owned();
                conn.execute(backend.build(&u)).await?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}

impl crate::Db {
    /// Seals every third-party secret still stored in plain text (written before sealing
    /// existed), in every workspace, and checks that the sealed ones open with this key: a wrong
    /// key is an error here, at start, rather than at the first send. Idempotent; the binary runs
    /// it after the migrations, and `poryadok secrets seal` on demand.
    pub async fn seal_stored_secrets(&self) -> crate::error::Result<Sealed> {
        let key = self.secrets.clone();
        let mut out = Sealed::default();
        let mut f = |_: &'static str, _: &'static str, s: &str| -> Result<String, SecretError> {
            if is_sealed(s) {
                key.open(s)?;
                out.already += 1;
                Ok(s.to_string())
            } else {
                out.sealed += 1;
                key.seal(s)
            }
        };
        each_stored_secret(&self.write, self.backend, &mut f).await?;
        Ok(out)
    }

    /// Per column, how many stored secrets are sealed (and open with this key), still in plain
    /// text, or sealed under another key. Writes nothing.
    pub async fn secrets_status(&self) -> crate::error::Result<Vec<SecretColumn>> {
        let key = self.secrets.clone();
        let mut out: Vec<SecretColumn> =
            COLUMNS.iter().map(|(table, column, _)| SecretColumn { table, column, sealed: 0, plain: 0, unreadable: 0 }).collect();
        let mut f = |table: &'static str, column: &'static str, s: &str| -> Result<String, SecretError> {
            if let Some(c) = out.iter_mut().find(|c| c.table == table && c.column == column) {
                match (is_sealed(s), is_sealed(s) && key.open(s).is_ok()) {
                    (false, _) => c.plain += 1,
                    (true, true) => c.sealed += 1,
                    (true, false) => c.unreadable += 1,
                }
            }
            Ok(s.to_string())
        };
        // The function leaves every value as it is: nothing is written.
        each_stored_secret(&self.read, self.backend, &mut f).await?;
        Ok(out)
    }

    /// Seals every stored secret again under `new` (plain ones included), in one transaction:
    /// each is opened with the configured key first, so a value that does not open stops the
    /// whole rotation with nothing changed. Answers how many values were sealed under `new`.
    /// The configured key must then be replaced by `new` before the server starts again.
    pub async fn rotate_secrets(&self, new: &SecretKey) -> crate::error::Result<u64> {
        use sea_orm::TransactionTrait;
        let key = self.secrets.clone();
        let mut count = 0;
        let mut f = |_: &'static str, _: &'static str, s: &str| -> Result<String, SecretError> {
            count += 1;
            new.seal(&key.open(s)?)
        };
        let tx = self.write.begin().await?;
        each_stored_secret(&tx, self.backend, &mut f).await?;
        tx.commit().await?;
        Ok(count)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_only() {
        let k = SecretKey::ephemeral();
        let sealed = k.seal("p4ssw0rd").unwrap();
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("p4ssw0rd"));
        assert_ne!(sealed, k.seal("p4ssw0rd").unwrap(), "a fresh nonce each time");
        assert_eq!(k.open(&sealed).unwrap(), "p4ssw0rd");
        assert_eq!(k.seal(&sealed).unwrap(), sealed, "sealing twice keeps one layer");
        assert_eq!(k.open("plain-from-before").unwrap(), "plain-from-before");
        assert_eq!(SecretKey::ephemeral().open(&sealed), Err(SecretError::WrongKey));
        assert_eq!(k.open("pdk1:AAAA"), Err(SecretError::Damaged));
        assert!(!format!("{k:?}").contains(&k.to_hex()));
    }

    #[test]
    fn a_key_is_read_from_the_environment_or_made_once_in_its_file() {
        let hex_key = "00".repeat(32);
        let dir = std::env::temp_dir().join(format!("poryadok-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (k, made) = SecretKey::load(Some(&hex_key), &dir).unwrap();
        assert_eq!((k.to_hex(), made), (hex_key, None));
        assert!(SecretKey::load(Some("short"), &dir).is_err());
        let (k1, made) = SecretKey::load(None, &dir).unwrap();
        assert_eq!(made, Some(dir.join(KEY_FILE)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(dir.join(KEY_FILE)).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let (k2, made) = SecretKey::load(None, &dir).unwrap();
        assert_eq!((k2.to_hex(), made), (k1.to_hex(), None), "the file is made once and then read");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

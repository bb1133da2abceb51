//! `poryadok secrets`: which stored third-party secrets are sealed, sealing those left in plain
//! text, and sealing them all again under a new key (docs/BACKUP.md, "The secret key").
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use poryadok_store::secrets::{SecretKey, ENV};
use poryadok_store::Db;

/// Where `rotate` reads the new key when `--new-key-file` is not given.
pub const NEW_ENV: &str = "PORYADOK_NEW_SECRET_KEY";

#[derive(Subcommand)]
pub enum SecretsCommand {
    /// Per column, how many stored secrets are sealed, still in plain text, or sealed under another
    /// key (JSON lines; writes nothing). Exits with status 1 when one is in plain text or unreadable.
    Status,
    /// Seal every secret still stored in plain text under the configured key (the server also does
    /// this at start).
    Seal,
    /// Seal every stored secret again under a new key, in one transaction, then print what to
    /// change. The new key (64 hex digits or 43 base64url characters) comes from --new-key-file or
    /// PORYADOK_NEW_SECRET_KEY; the current one is the configured key. Stop the server first.
    Rotate {
        /// A file holding the new key (e.g. made with `openssl rand -hex 32`).
        #[arg(long)]
        new_key_file: Option<std::path::PathBuf>,
    },
}

/// Runs `command` on `db`, which was opened with the configured key and without sealing.
pub async fn run(db: &Db, command: SecretsCommand) -> Result<()> {
    match command {
        SecretsCommand::Status => {
            let columns = db.secrets_status().await?;
            for c in &columns {
                println!("{}", serde_json::to_string(c)?);
            }
            let (plain, unreadable): (u64, u64) = columns.iter().fold((0, 0), |(p, u), c| (p + c.plain, u + c.unreadable));
            if unreadable > 0 {
                bail!("{unreadable} sealed secret(s) do not open with the configured key ({})", db.secret_key().origin());
            }
            if plain > 0 {
                bail!("{plain} secret(s) are stored in plain text: `poryadok secrets seal` seals them");
            }
            eprintln!("every stored secret is sealed and opens with the configured key ({})", db.secret_key().origin());
            Ok(())
        }
        SecretsCommand::Seal => {
            let sealed = db.seal_stored_secrets().await.context("sealing the stored secrets")?;
            println!("{}", serde_json::to_string(&sealed)?);
            eprintln!("sealed {} secret(s) stored in plain text; {} were sealed already", sealed.sealed, sealed.already);
            Ok(())
        }
        SecretsCommand::Rotate { new_key_file } => {
            let new = new_key(new_key_file.as_deref())?;
            if new.to_hex() == db.secret_key().to_hex() {
                bail!("the new key is the configured one: nothing to rotate");
            }
            let count = db.rotate_secrets(&new).await.context("sealing the stored secrets under the new key (nothing was changed)")?;
            println!("{}", serde_json::json!({"resealed": count, "new_key": new.origin()}));
            eprintln!(
                "{count} secret(s) are now sealed under the key of {}. Before starting the server, make it the configured key: \
                 put it in {ENV} (or the file {ENV}_FILE names), or replace {} with it. Keep the old key until a backup \
                 made after this rotation exists: older backups still need it.",
                new.origin(),
                db.secret_key().origin()
            );
            Ok(())
        }
    }
}

fn new_key(file: Option<&std::path::Path>) -> Result<SecretKey> {
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading the new key from {}", path.display()))?;
            SecretKey::parse(&text, &path.display().to_string()).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        }
        None => match std::env::var(NEW_ENV) {
            Ok(text) if !text.trim().is_empty() => SecretKey::parse(&text, NEW_ENV).map_err(|e| anyhow::anyhow!("{NEW_ENV}: {e}")),
            _ => bail!("give the new key with --new-key-file FILE or {NEW_ENV}"),
        },
    }
}

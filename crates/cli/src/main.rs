//! `poryadok`: serve the CRM, migrate, generate demo data, manage users and API tokens.
use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use poryadok_core::domain::{Channel, Role};
use poryadok_core::schema::Entity;
use poryadok_core::SystemClock;
use poryadok_server::AppState;
use poryadok_store::demo::DemoOptions;
use poryadok_store::workspace::NewWorkspace;
use poryadok_store::{DatabaseUrl, Db};
use serde_json::json;
use std::sync::Arc;

mod assistant;
mod backup;
mod bench;
mod bench_assistants;
mod bench_audit;
mod bench_backup;
mod bench_bonus;
mod bench_calendar;
mod bench_dashboard;
mod bench_documents;
mod bench_files;
mod bench_import;
mod bench_jobs;
mod bench_lists;
mod bench_marketing;
mod bench_messages;
mod bench_regulation;
mod bench_reports;
mod bench_search;
mod bench_team;
mod bench_ui;
mod bonus;
mod calls;
mod channels;
mod documents;
mod import;
mod intake;
mod invoices;
mod jobs;
mod marketing;
mod merge;
mod plans;
mod progress;
mod quiz;
mod regulation;
mod reports;
mod reviews;
mod secrets;

// glibc malloc showed up as ~20 % of the server's profile under list load; mimalloc halves that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "poryadok", version, about = "Poryadok: the sales CRM that keeps itself in order")]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    smtp: SmtpArgs,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true, env = "PORYADOK_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct DbArgs {
    /// sqlite://FILE (embedded, the default) or postgres://USER:PASSWORD@HOST/DB.
    /// Also PORYADOK_DATABASE_URL, or PORYADOK_DATABASE_URL_FILE naming a file that holds it.
    #[arg(long, global = true, env = "PORYADOK_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// postgres://… of a streaming replica of the database, for reports, the dashboard, exports
    /// and backups (they may lag the primary by the replication delay; see docs/SCALING.md).
    /// Also PORYADOK_READ_DATABASE_URL, or PORYADOK_READ_DATABASE_URL_FILE naming a file that holds it.
    #[arg(long, global = true, env = "PORYADOK_READ_DATABASE_URL", hide_env_values = true)]
    read_database_url: Option<String>,
    /// How SQLite commits writes: `group` (synced, concurrent writes share a commit; the
    /// default), `per-write` (synced, one commit each) or `unsynced` (may lose acknowledged
    /// writes on a power cut; for measuring what durability costs only).
    #[arg(long, global = true, env = "PORYADOK_SQLITE_COMMIT", default_value = "group", hide = true)]
    sqlite_commit: String,
    /// The directory files on cards are kept in (content-addressed). Default: `files` beside
    /// the SQLite database file, or `./files` with PostgreSQL. Also PORYADOK_FILES_DIR.
    #[arg(long, global = true, env = "PORYADOK_FILES_DIR")]
    files_dir: Option<std::path::PathBuf>,
    /// The largest file that may be attached, in MiB. Also PORYADOK_MAX_FILE_MB.
    #[arg(long, global = true, env = "PORYADOK_MAX_FILE_MB", default_value_t = 25)]
    max_file_mb: u64,
}

impl DbArgs {
    fn url(&self) -> Result<DatabaseUrl> {
        if let Some(u) = &self.database {
            return Ok(DatabaseUrl::new(u.trim()));
        }
        if let Ok(path) = std::env::var("PORYADOK_DATABASE_URL_FILE") {
            let u = std::fs::read_to_string(&path).with_context(|| format!("reading PORYADOK_DATABASE_URL_FILE {path}"))?;
            return Ok(DatabaseUrl::new(u.trim()));
        }
        Ok(DatabaseUrl::new("sqlite://poryadok.db"))
    }

    /// Where files on cards go: `--files-dir`, else `files` beside the SQLite file (or in the
    /// working directory with PostgreSQL).
    fn file_store(&self) -> Result<poryadok_store::files::FileStore> {
        Ok(poryadok_store::files::FileStore::local(self.files_dir()?, self.max_file_mb.max(1) * 1024 * 1024))
    }

    /// The directory of [`DbArgs::file_store`].
    fn files_dir(&self) -> Result<std::path::PathBuf> {
        Ok(match &self.files_dir {
            Some(d) => d.clone(),
            None => default_files_dir(&self.url()?),
        })
    }

    /// The replica's URL, if one is configured.
    fn read_url(&self) -> Result<Option<DatabaseUrl>> {
        let given = match &self.read_database_url {
            Some(u) => Some(u.trim().to_string()),
            None => match std::env::var("PORYADOK_READ_DATABASE_URL_FILE") {
                Ok(path) => Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading PORYADOK_READ_DATABASE_URL_FILE {path}"))?
                        .trim()
                        .to_string(),
                ),
                Err(_) => None,
            },
        };
        Ok(given.filter(|u| !u.is_empty()).map(DatabaseUrl::new))
    }

    async fn open(&self) -> Result<Db> {
        self.open_with(true).await
    }

    /// [`DbArgs::open`]; `seal` false leaves secrets stored in plain text as they are (`secrets`).
    async fn open_with(&self, seal: bool) -> Result<Db> {
        let url = self.url()?;
        let commit = poryadok_store::SqliteCommit::parse(&self.sqlite_commit)
            .with_context(|| format!("--sqlite-commit must be group, per-write or unsynced, not '{}'", self.sqlite_commit))?;
        let db = Db::connect_with(&url, Arc::new(SystemClock), commit).await.with_context(|| format!("connecting to {url}"))?;
        db.migrate().await.context("running migrations")?;
        let db = db.with_secret_key(self.secret_key(&url)?);
        if seal {
            let sealed =
                db.seal_stored_secrets().await.context("sealing the stored third-party secrets (docs/BACKUP.md, the secret key)")?;
            if sealed.sealed > 0 {
                eprintln!("sealed {} stored secret(s) under the server's key", sealed.sealed);
            }
        }
        let Some(read) = self.read_url()? else { return Ok(db) };
        if !url.is_postgres() || !read.is_postgres() {
            bail!("--read-database-url needs PostgreSQL: both it and --database must be postgres://… URLs");
        }
        let db = db.with_read_replica(&read).await.with_context(|| format!("connecting to the read database {read}"))?;
        match db.reader().reads_from_standby().await {
            Ok(true) => {}
            Ok(false) => eprintln!("warning: the read database {read} is not a standby (pg_is_in_recovery() is false)"),
            Err(e) => eprintln!("warning: the read database {read} does not answer ({e}); reports and the dashboard fail until it does"),
        }
        Ok(db)
    }
}

impl DbArgs {
    /// The key third-party secrets are sealed under: PORYADOK_SECRET_KEY (or the file that
    /// PORYADOK_SECRET_KEY_FILE names), else `secret.key` beside the SQLite database (with
    /// PostgreSQL: in the files directory), made once with mode 0600.
    fn secret_key(&self, url: &DatabaseUrl) -> Result<poryadok_store::secrets::SecretKey> {
        use poryadok_store::secrets::{SecretKey, ENV};
        let from_file = match std::env::var(format!("{ENV}_FILE")) {
            Ok(path) => Some(std::fs::read_to_string(&path).with_context(|| format!("reading {ENV}_FILE {path}"))?),
            Err(_) => None,
        };
        let env = std::env::var(ENV).ok().or(from_file);
        let dir = match (&self.files_dir, default_files_dir(url).parent()) {
            (Some(files), _) if url.is_postgres() => files.clone(),
            (_, Some(beside)) if !url.is_postgres() => beside.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let (key, made) = SecretKey::load(env.as_deref(), &dir).context("reading the secret key")?;
        if let Some(path) = made {
            eprintln!("made a new secret key in {} (back it up with the database: docs/BACKUP.md)", path.display());
        }
        Ok(key)
    }
}

/// `files` beside a SQLite database file; `./files` for PostgreSQL or an in-memory database.
fn default_files_dir(url: &DatabaseUrl) -> std::path::PathBuf {
    let path = url.expose().strip_prefix("sqlite://").or_else(|| url.expose().strip_prefix("sqlite:")).unwrap_or("");
    let path = path.split('?').next().unwrap_or("");
    match std::path::Path::new(path).parent() {
        Some(dir) if !url.is_postgres() && !path.is_empty() && !path.contains(":memory:") => dir.join("files"),
        _ => std::path::PathBuf::from("files"),
    }
}

/// The mail server for e-mail copies of notifications (used by the job worker: `serve`, `jobs run`).
#[derive(Args)]
struct SmtpArgs {
    /// smtp://USER:PASSWORD@HOST:PORT (plain; add ?tls=required for STARTTLS) or smtps://… (TLS).
    /// Without it notifications stay in the app.
    #[arg(long, global = true, env = "PORYADOK_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of those e-mails, e.g. "Poryadok <crm@example.com>".
    #[arg(long, global = true, env = "PORYADOK_SMTP_FROM")]
    smtp_from: Option<String>,
    /// This server's address as users open it (https://crm.example.com), for the links in e-mails.
    #[arg(long, global = true, env = "PORYADOK_PUBLIC_URL")]
    public_url: Option<String>,
    /// The Telegram Bot API's base URL, for replies through a workspace's bot (default
    /// https://api.telegram.org; another one behind a proxy).
    #[arg(long, global = true, env = "PORYADOK_TELEGRAM_API_URL")]
    telegram_api_url: Option<String>,
}

impl SmtpArgs {
    fn config(&self) -> Result<Option<poryadok_server::mail::SmtpConfig>> {
        let Some(url) = self.smtp_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let from = self.smtp_from.as_deref().context("--smtp-url needs --smtp-from (PORYADOK_SMTP_FROM)")?;
        let cfg = poryadok_server::mail::SmtpConfig::new(url, from, self.public_url.as_deref()).map_err(anyhow::Error::msg)?;
        Ok(Some(cfg))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (JSON API and web UI).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", env = "PORYADOK_ADDR")]
        addr: String,
        /// Fill an empty database with the demo workspace and print its logins.
        #[arg(long)]
        demo: bool,
        /// Size of the demo workspace created by --demo.
        #[arg(long, default_value_t = 2000)]
        demo_deals: u64,
        /// Do not run background jobs in this process (another process does).
        #[arg(long)]
        no_worker: bool,
        /// How long a claimed job is held before another worker may take it over, in ms.
        #[arg(long, default_value_t = poryadok_server::worker::DEFAULT_LEASE_MS, env = "PORYADOK_JOB_LEASE_MS")]
        job_lease_ms: i64,
        /// The header a reverse proxy in front of this server names the client in: none (the
        /// socket's address), x-real-ip, or x-forwarded-for (its right-most address, the one the
        /// proxy appended). Set it only behind a proxy that overwrites or appends that header.
        #[arg(long, default_value = "none", env = "PORYADOK_TRUSTED_PROXY_HEADER")]
        trusted_proxy_header: poryadok_server::security::ProxyHeader,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Generate a demo workspace (deterministic for a seed).
    Demo {
        #[arg(long, default_value_t = 2000)]
        deals: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Manage users.
    #[command(visible_alias = "users")]
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Third-party secrets at rest: status (sealed or plain), seal the plain ones, rotate the key.
    Secrets {
        #[command(subcommand)]
        command: secrets::SecretsCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Assistants that scan the base: list, settings, run (or dry-run) one now.
    Assistant {
        #[command(subcommand)]
        command: assistant::AssistantCommand,
    },
    /// Intake: sources, the inbox of raw events, re-processing.
    Intake {
        #[command(subcommand)]
        command: intake::IntakeCommand,
    },
    /// Documents: make a deal's document from a template (DOCX, or PDF with --pdf).
    Document {
        #[command(subcommand)]
        command: documents::DocumentCommand,
    },
    /// Invoices: import an accounting export (1C), recompute clients' last activity.
    Invoices {
        #[command(subcommand)]
        command: invoices::InvoicesCommand,
    },
    /// Marketing spend: import an ad cabinet's export (Yandex Direct, VK Ads, Google Ads), print totals.
    Marketing {
        #[command(subcommand)]
        command: marketing::MarketingCommand,
    },
    /// Import organizations, persons or deals from another CRM's export (amoCRM, Bitrix24,
    /// Pipedrive, a spreadsheet); `import rollback ID` undoes one. See docs/IMPORT.md.
    Import(import::ImportArgs),
    /// Call quality review: draw a week's sample of calls into the review queue.
    Calls {
        #[command(subcommand)]
        command: calls::CallsCommand,
    },
    /// Call quality review: the report per manager or per manager and criterion (docs/TEAM.md).
    Reviews {
        #[command(subcommand)]
        command: reviews::ReviewsCommand,
    },
    /// The regulation as one TOML file: export, plan, apply, versions, rollback (docs/REGULATION_AS_CODE.md).
    Regulation {
        #[command(subcommand)]
        command: regulation::RegulationCommand,
    },
    /// The bonus split by role: each user's bonus over a period, for payroll (docs/TEAM.md).
    Bonus {
        #[command(subcommand)]
        command: bonus::BonusCommand,
    },
    /// Sales plans: import a plan sheet (CSV or XLSX), list a period's plans.
    Plans {
        #[command(subcommand)]
        command: plans::PlansCommand,
    },
    /// Quizzes on the regulation: list them, everyone's results (also as CSV), assign one now.
    Quiz {
        #[command(subcommand)]
        command: quiz::QuizCommand,
    },
    /// Reports' upkeep: count the dashboard's per-day aggregate again (rebuild-aggregates).
    Reports {
        #[command(subcommand)]
        command: reports::ReportsCommand,
    },
    /// Hygiene audits: run a round now (every enabled rule over the whole workspace).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Outbound webhooks: list, add (the secret is printed once), a webhook's deliveries.
    Webhooks {
        #[command(subcommand)]
        command: channels::WebhooksCommand,
    },
    /// E-mail and SMS to clients, newest first (JSON lines).
    Outbox {
        /// queued, sent or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// The background job queue.
    Jobs {
        #[command(subcommand)]
        command: jobs::JobsCommand,
    },
    /// Print groups of persons or organizations that look like one client (same phone, e-mail,
    /// tax id, website or a similar name).
    Duplicates {
        /// persons or organizations.
        #[arg(long, default_value = "persons")]
        entity: String,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Merge REMOVE_ID into KEEP_ID: its deals, calls, messages, notes and history move to KEEP_ID.
    Merge {
        /// persons or organizations.
        entity: String,
        keep_id: i64,
        remove_id: i64,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Export a workspace: every table as JSON lines, or one CSV/XLSX file per entity (docs/BACKUP.md).
    Export(backup::ExportArgs),
    /// A consistent copy of the running system: VACUUM INTO (SQLite), pg_dump or JSON lines (PostgreSQL).
    Backup(backup::BackupArgs),
    /// Load a backup into the configured database, which must be empty.
    Restore(backup::RestoreArgs),
    /// Copy the whole database (ids, history, jobs) into another, e.g. SQLite → PostgreSQL, and verify it.
    Copy(backup::CopyArgs),
    /// In-process measurements used by scripts/bench (prints one JSON object per line).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Start a round and run it in this process; prints how many violations it recorded.
    Run {
        #[arg(long)]
        workspace: Option<i64>,
        /// Evaluate the rules as of this moment (RFC 3339, e.g. 2026-11-24T09:00:00Z) instead of now.
        #[arg(long)]
        now: Option<String>,
    },
    /// Install the built-in rule catalogue; `--param stage_demo_done=Демо` maps it to this workspace.
    Install {
        #[arg(long)]
        workspace: Option<i64>,
        #[arg(long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user (and the workspace, if the database has none).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, head, manager, consultant, partner_manager or analyst.
        #[arg(long)]
        role: String,
        /// Team name; created if the workspace has no such team.
        #[arg(long)]
        team: Option<String>,
        /// Password for signing in to the web UI (at least 8 characters).
        #[arg(long, env = "PORYADOK_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Workspace id; defaults to the only (or first) workspace.
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Lift the sign-in lockout of the user with this e-mail (after too many wrong passwords)
    /// and forget their recent failures.
    Unlock {
        #[arg(long)]
        email: String,
    },
    /// Set the own time zone of the user with this e-mail (an IANA name such as
    /// Asia/Yekaterinburg, or UTC+05:00): their dates, e-mails and shifts are in it. An empty
    /// --timezone "" follows the workspace's zone again.
    SetTimezone {
        #[arg(long)]
        email: String,
        #[arg(long)]
        timezone: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new API token for the user with this e-mail (the only time it is shown).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the token stops working (1 to 3650); without it, it never expires.
        #[arg(long)]
        expires_days: Option<i64>,
    },
    /// List the live tokens of the user with this e-mail (never their secrets).
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a token by its id (as `token list` shows it).
    Revoke { id: i64 },
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PORYADOK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=error,sea_orm=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    if let Err(e) = run(cli).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { addr, demo, demo_deals, no_worker, job_lease_ms, trusted_proxy_header } => {
            let public_url = cli.smtp.public_url.clone();
            let security = poryadok_server::security::Settings { trusted_proxy_header };
            let worker = (!no_worker).then_some(job_lease_ms);
            let outgoing = (cli.smtp.config()?, cli.smtp.telegram_api_url.clone());
            serve(&cli.db, &addr, demo.then_some(demo_deals), worker, outgoing, public_url, security).await
        }
        Command::Audit { command: AuditCommand::Install { workspace, params } } => {
            let db = cli.db.open().await?;
            let actor = db.system_actor(first_workspace(&db, workspace).await?, Channel::Cli).await?;
            let mut map = std::collections::HashMap::new();
            for p in params {
                let (k, v) = p.split_once('=').with_context(|| format!("--param {p}: expected KEY=VALUE"))?;
                map.insert(k.to_string(), v.to_string());
            }
            let added = db.install_catalogue(&actor, &map).await.map_err(describe)?;
            println!("{} rules installed", added.len());
            db.close().await;
            Ok(())
        }
        Command::Audit { command: AuditCommand::Run { workspace, now } } => {
            let now = match now {
                Some(t) => Some(poryadok_core::types::parse_timestamp(&t).map_err(anyhow::Error::msg).context("--now")?),
                None => None,
            };
            let db = cli.db.open().await?;
            let actor = db.system_actor(first_workspace(&db, workspace).await?, Channel::Cli).await?;
            let ws = actor.ws_id();
            let round = db.start_round_at(&actor, now).await.map_err(describe)?;
            let started = std::time::Instant::now();
            let n = db.run_round_at(ws, round, now).await.map_err(describe)?;
            println!("audit round {round}: {n} violations recorded in {:.2} s", started.elapsed().as_secs_f64());
            db.close().await;
            Ok(())
        }
        Command::Assistant { command } => {
            let db = cli.db.open().await?;
            let r = assistant::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Intake { command } => {
            let db = cli.db.open().await?;
            let r = intake::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Document { command } => {
            let files = cli.db.file_store()?;
            let db = cli.db.open().await?;
            let r = documents::run(&db, &files, command).await;
            db.close().await;
            r
        }
        Command::Invoices { command } => {
            let db = cli.db.open().await?;
            let r = invoices::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Marketing { command } => {
            let db = cli.db.open().await?;
            let r = marketing::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Import(args) => {
            let db = cli.db.open().await?;
            let r = import::run(&db, args).await;
            db.close().await;
            r
        }
        Command::Calls { command } => {
            let db = cli.db.open().await?;
            let r = calls::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Reviews { command } => {
            let db = cli.db.open().await?;
            let r = reviews::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Regulation { command } => {
            let db = cli.db.open().await?;
            let r = regulation::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Bonus { command } => {
            let db = cli.db.open().await?;
            let r = bonus::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Plans { command } => {
            let db = cli.db.open().await?;
            let r = plans::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Quiz { command } => {
            let db = cli.db.open().await?;
            let r = quiz::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Reports { command } => {
            let db = cli.db.open().await?;
            let r = reports::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Webhooks { command } => {
            let db = cli.db.open().await?;
            let r = channels::webhooks(&db, command).await;
            db.close().await;
            r
        }
        Command::Outbox { status, limit, workspace } => {
            let db = cli.db.open().await?;
            let r = channels::outbox(&db, status, limit, workspace).await;
            db.close().await;
            r
        }
        Command::Jobs { command } => {
            let db = cli.db.open().await?;
            let r = jobs::run(&db, command, cli.smtp.config()?, cli.smtp.telegram_api_url.as_deref()).await;
            db.close().await;
            r
        }
        Command::Migrate => {
            let db = cli.db.open().await?;
            println!("migrations applied to {}", cli.db.url()?);
            db.close().await;
            Ok(())
        }
        Command::Demo { deals, seed } => {
            let db = cli.db.open().await?;
            let report = db.generate_demo(&DemoOptions { deals, seed }).await?;
            db.apply_demo_process(report.workspace_id).await?;
            poryadok_server::docx_builtin::install_in(&db, report.workspace_id).await?;
            db.analyze().await?;
            let secs = report.elapsed.as_secs_f64().max(1e-9);
            println!(
                "demo workspace {} created: {} deals, {} activities, {} rows in {:.1} s ({:.0} rows/s)",
                report.workspace_id,
                report.deals,
                report.activities,
                report.rows,
                secs,
                report.rows as f64 / secs
            );
            print_logins(&report.users);
            db.close().await;
            Ok(())
        }
        Command::User { command: UserCommand::Create { email, name, role, team, password, workspace } } => {
            let db = cli.db.open().await?;
            if Role::parse(&role).is_none() {
                bail!("--role must be one of: {}", Role::ALL.join(", "));
            }
            let ws = match workspace {
                Some(id) => id,
                None => match db.workspace_ids().await?.first() {
                    Some(id) => *id,
                    None => db.create_workspace(&NewWorkspace::default()).await?.id,
                },
            };
            let actor = db.system_actor(ws, Channel::Cli).await.context("no such workspace")?;
            let mut body = json!({"email": email, "name": name, "role": role});
            if let Some(p) = password {
                body["password"] = json!(p);
            }
            if let Some(team) = team {
                body["team_id"] = json!(find_or_create_team(&db, &actor, &team).await?);
            }
            let user = db.create(&actor, Entity::User, &body).await.map_err(describe)?;
            println!("user {} created in workspace {ws}: {}", user.id(), user.to_json());
            db.close().await;
            Ok(())
        }
        Command::User { command: UserCommand::Unlock { email } } => {
            let db = cli.db.open().await?;
            let r = async {
                let (ws, user) = db.user_by_email(&email).await?.with_context(|| format!("no user with e-mail {email}"))?;
                let actor = db.system_actor(ws, Channel::Cli).await?;
                if db.unlock_user(&actor, user).await.map_err(describe)? {
                    println!("{email}: the lockout is lifted; the user can sign in again");
                } else {
                    println!("{email}: was not locked; recent failed sign-ins are forgotten");
                }
                Ok(())
            }
            .await;
            db.close().await;
            r
        }
        Command::Duplicates { entity, limit, workspace } => {
            let db = cli.db.open().await?;
            let r = merge::duplicates(&db, first_workspace(&db, workspace).await?, &entity, limit).await;
            db.close().await;
            r
        }
        Command::Merge { entity, keep_id, remove_id, workspace } => {
            let db = cli.db.open().await?;
            let r = merge::merge(&db, first_workspace(&db, workspace).await?, &entity, keep_id, remove_id).await;
            db.close().await;
            r
        }
        Command::Export(a) => backup::export(&cli.db, a).await,
        Command::Backup(a) => backup::backup(&cli.db, a).await,
        Command::Restore(a) => backup::restore(&cli.db, a).await,
        Command::Copy(a) => backup::copy(&cli.db, a).await,
        Command::Bench { command } => {
            let db = cli.db.open().await?;
            let r = bench::run(&db, command).await;
            db.close().await;
            r
        }
        Command::User { command: UserCommand::SetTimezone { email, timezone } } => {
            let db = cli.db.open().await?;
            let r = async {
                let (_, user) = db.user_by_email(&email).await?.with_context(|| format!("no user with e-mail {email}"))?;
                let actor = db.actor_for_user(user, Channel::Cli).await.map_err(describe)?;
                let tz = Some(timezone.trim()).filter(|t| !t.is_empty());
                db.set_own_timezone(&actor, tz).await.map_err(describe)?;
                let actor = db.actor_for_user(user, Channel::Cli).await.map_err(describe)?;
                match tz {
                    Some(_) => println!("{email}: own time zone {}", actor.reader_tz()),
                    None => println!("{email}: follows the workspace's time zone ({})", actor.reader_tz()),
                }
                Ok(())
            }
            .await;
            db.close().await;
            r
        }
        Command::Secrets { command } => {
            let db = cli.db.open_with(false).await?;
            let r = secrets::run(&db, command).await;
            db.close().await;
            r
        }
        Command::Token { command } => {
            let db = cli.db.open().await?;
            let r = token_command(&db, command).await;
            db.close().await;
            r
        }
    }
}

async fn token_command(db: &Db, command: TokenCommand) -> Result<()> {
    use poryadok_store::auth::TokenOwner;
    match command {
        TokenCommand::Create { email, name, expires_days } => {
            let (ws, user) = db.user_by_email(&email).await?.with_context(|| format!("no user with e-mail {email}"))?;
            let made = db.new_token(ws, user, &name, expires_days).await.map_err(describe)?;
            println!("{}", made.secret);
            Ok(())
        }
        TokenCommand::List { email } => {
            let (ws, user) = db.user_by_email(&email).await?.with_context(|| format!("no user with e-mail {email}"))?;
            let actor = db.system_actor(ws, Channel::Cli).await?;
            let now = db.clock.now_ms();
            for t in db.list_tokens(&actor, TokenOwner::User(user)).await? {
                println!("{}", t.to_json(now));
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            let ws = db.token_workspace(id).await.map_err(describe)?;
            let actor = db.system_actor(ws, Channel::Cli).await?;
            db.revoke_token(&actor, id).await.map_err(|e| match e {
                poryadok_store::StoreError::NotFound => anyhow::anyhow!("token {id} is already revoked"),
                other => describe(other),
            })?;
            println!("token {id} revoked");
            Ok(())
        }
    }
}

fn describe(e: poryadok_store::StoreError) -> anyhow::Error {
    match e {
        poryadok_store::StoreError::Validation(fe) => anyhow::anyhow!("{}: {}", fe.field, fe.message()),
        poryadok_store::StoreError::Conflict { field, msg } => anyhow::anyhow!("{}: {msg}", field.unwrap_or_default()),
        other => anyhow::anyhow!(other),
    }
}

async fn find_or_create_team(db: &Db, actor: &poryadok_store::Actor, name: &str) -> Result<i64> {
    let lq = poryadok_store::ListQuery { filters: vec![("name".into(), name.into())], ..Default::default() };
    if let Some(t) = db.list(actor, Entity::Team, &lq).await?.data.first() {
        return Ok(t.id());
    }
    Ok(db.create(actor, Entity::Team, &json!({"name": name})).await.map_err(describe)?.id())
}

/// The given workspace, or the first one.
async fn first_workspace(db: &poryadok_store::Db, given: Option<i64>) -> Result<i64> {
    match given {
        Some(id) => Ok(id),
        None => db.workspace_ids().await?.first().copied().context("no workspace yet"),
    }
}

/// Resolves on SIGTERM (how service managers stop a process) or Ctrl-C.
async fn terminated() {
    #[cfg(unix)]
    {
        if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => return,
                _ = tokio::signal::ctrl_c() => return,
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn print_logins(users: &[poryadok_store::demo::DemoUser]) {
    println!("demo logins (e-mail / password / role):");
    for u in users {
        println!("  {:<40} {:<28} {}", u.email, u.password, u.role);
    }
}

/// Serves HTTP and, with `job_lease_ms`, runs the job worker beside it until Ctrl-C or SIGTERM;
/// with `demo_deals`, fills an empty database with a demo workspace of that many deals first.
async fn serve(
    args: &DbArgs,
    addr: &str,
    demo_deals: Option<u64>,
    job_lease_ms: Option<i64>,
    (smtp, telegram_api): (Option<poryadok_server::mail::SmtpConfig>, Option<String>),
    public_url: Option<String>,
    security: poryadok_server::security::Settings,
) -> Result<()> {
    let db = args.open().await?;
    match &smtp {
        Some(smtp) => println!("e-mail copies of notifications go through {smtp:?}"),
        None => println!("e-mail copies of notifications are off (no --smtp-url)"),
    }
    let files = args.file_store()?;
    println!("files on cards are kept in {}", files.blobs.describe());
    let mut state = AppState::new(db.clone()).with_smtp(smtp).with_telegram_api(telegram_api.as_deref());
    state.security = security;
    state.files = files;
    if let Some(demo_deals) = demo_deals {
        if db.workspace_ids().await?.is_empty() {
            println!("filling the empty database with the demo workspace ({demo_deals} deals)…");
            let report = db.generate_demo(&DemoOptions { deals: demo_deals, seed: 1 }).await?;
            db.apply_demo_process(report.workspace_id).await?;
            poryadok_server::docx_builtin::install_in(&db, report.workspace_id).await?;
            db.analyze().await?;
            print_logins(&report.users);
        } else {
            println!("the database already has data; demo data is added only to an empty database");
            print_logins(&poryadok_store::demo::demo_users(1));
        }
    }
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    println!("Poryadok is running at http://{local}/ (database {})", args.url()?);
    if let Some(read) = args.read_url()? {
        println!("reports, the dashboard, exports and backups read from {read}");
    }
    state.public_url = Some(public_url.map(|u| u.trim_end_matches('/').to_string()).unwrap_or_else(|| format!("http://{local}")));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = job_lease_ms.map(|lease| {
        let mut w = poryadok_server::worker::Worker::new(&state);
        w.lease_ms = lease;
        let mut stop = stop_rx.clone();
        tokio::spawn(w.run(async move {
            let _ = stop.wait_for(|s| *s).await;
        }))
    });
    let mut stop = stop_rx.clone();
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    };
    tokio::spawn(async move {
        terminated().await;
        let _ = stop_tx.send(true);
    });
    poryadok_server::serve(listener, state, shutdown).await?;
    if let Some(w) = worker {
        let _ = w.await;
    }
    db.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use poryadok_server::security::ProxyHeader;

    fn proxy_of(args: &[&str]) -> Result<ProxyHeader, clap::Error> {
        let cli = Cli::try_parse_from([&["poryadok", "serve"], args].concat())?;
        match cli.command {
            Command::Serve { trusted_proxy_header, .. } => Ok(trusted_proxy_header),
            _ => unreachable!("parsed serve"),
        }
    }

    #[test]
    fn the_trusted_proxy_header_is_none_unless_named() {
        assert_eq!(proxy_of(&[]).unwrap(), ProxyHeader::None);
        assert_eq!(proxy_of(&["--trusted-proxy-header", "x-real-ip"]).unwrap(), ProxyHeader::XRealIp);
        assert_eq!(proxy_of(&["--trusted-proxy-header=X-Forwarded-For"]).unwrap(), ProxyHeader::XForwardedFor);
        assert!(proxy_of(&["--trusted-proxy-header", "forwarded"]).is_err());
    }
}

//! Passwords (argon2), API tokens and UI sessions. Secrets are shown once and stored only as
//! SHA-256 hashes; a lookup by hash is constant work whatever the input.
//!
//! Sign-in is throttled per account (e-mail) and per client address. Every wrong password is a
//! row in `login_failures`; [`ACCOUNT_FAILURES`] of them for one e-mail (or [`CLIENT_FAILURES`]
//! from one address) within [`FAILURE_WINDOW_MS`] lock that subject for [`FIRST_LOCKOUT_MS`], and
//! each further failure after a lockout doubles the next one, up to [`MAX_LOCKOUT_MS`]. While a
//! subject is locked no password is checked at all, the right one included, and refused attempts
//! are not counted (an attacker cannot extend a lockout by hammering it). A successful sign-in
//! clears the account's failures and lockout; a client address's record only ages out. An
//! administrator may lift an account's lockout early ([`Db::unlock_user`]): that clears the same.
//! Everything lives in the database, so it holds across server processes, and time is the
//! [`Db`]'s clock.
//!
//! A password change ends every session of the user ([`end_sessions_on`], called from the record
//! write path); API tokens stay, since they are credentials the user manages on their own.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::sql::col;
use crate::workspace::actor_select;
use crate::Db;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use poryadok_core::domain::{Channel, Role};
use poryadok_core::msg::{Common, RecordMsg};
use poryadok_core::schema::{Field, Kind};
use poryadok_core::types::format_ms;
use poryadok_core::Val;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use sea_query::{Expr, JoinType, OnConflict, Order, Query};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub const SESSION_DAYS: i64 = 14;

/// Failures older than this no longer count towards a lockout.
pub const FAILURE_WINDOW_MS: i64 = 15 * 60_000;
/// Wrong passwords for one e-mail within the window that lock the account.
pub const ACCOUNT_FAILURES: i64 = 5;
/// Wrong passwords from one client address within the window that lock the address. Higher than
/// the account's: an office behind one address has many people mistyping.
pub const CLIENT_FAILURES: i64 = 20;
pub const FIRST_LOCKOUT_MS: i64 = 5 * 60_000;
pub const MAX_LOCKOUT_MS: i64 = 60 * 60_000;
/// A lockout within this time of the previous one continues its episode (and doubles).
pub const EPISODE_MS: i64 = 24 * 3_600_000;
/// `last_used_at` of a token is written at most this often.
pub const TOKEN_USE_GRANULARITY_MS: i64 = 60_000;
/// The longest expiry a token may be given.
pub const MAX_TOKEN_DAYS: i64 = 3650;

/// The outcome of a sign-in attempt.
#[derive(Debug)]
pub enum SignIn {
    /// A new session: its token, its CSRF token and the user.
    Ok { token: String, csrf: String, actor: Box<Actor> },
    /// Wrong e-mail or password (or a deactivated user): the same answer for all three.
    Refused,
    /// Too many failures: no password was checked (or this one started the lockout).
    Throttled { retry_after_ms: i64, lockout: Option<Lockout> },
}

/// A lockout of a known account that has just begun a new episode: the user and the workspace's
/// administrators are told once per episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockout {
    pub workspace_id: i64,
    pub user_id: i64,
    pub email: String,
    pub until_ms: i64,
    pub episode_started_at: i64,
}

/// Someone to tell about a lockout, with the language to tell them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: i64,
    pub locale: String,
}

/// An API token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
}

impl ApiToken {
    pub fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }

    /// The wire form: timestamps as RFC 3339 strings.
    pub fn to_json(&self, now: i64) -> Json {
        json!({
            "id": self.id,
            "user_id": self.user_id,
            "user_name": self.user_name,
            "name": self.name,
            "created_at": format_ms(self.created_at),
            "last_used_at": self.last_used_at.map(format_ms),
            "expires_at": self.expires_at.map(format_ms),
            "expired": self.expired(now),
        })
    }
}

/// A token just made: the secret is here and nowhere else, ever again.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Whose tokens to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOwner {
    Me,
    User(i64),
    /// Everyone's in the workspace (administrators only).
    Workspace,
}

pub fn hash_password(plain: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(plain.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(plain: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(plain.as_bytes(), &h).is_ok())
}

/// A fresh random secret with a recognisable prefix (`pat_` for tokens, `ses_` for sessions).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Compared against when the e-mail is unknown, so a wrong e-mail costs as much as a wrong
/// password. A real hash made with the same parameters: an unparsable one would return at once.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no user has this password").unwrap_or_default())
}

impl Db {
    /// Creates an API token for a user and returns it in clear, the only time it is visible.
    pub async fn create_token(&self, workspace_id: i64, user_id: i64, name: &str) -> Result<String> {
        Ok(self.new_token(workspace_id, user_id, name, None).await?.secret)
    }

    /// Creates an API token, optionally expiring after `expires_in_days`.
    pub async fn new_token(&self, workspace_id: i64, user_id: i64, name: &str, expires_in_days: Option<i64>) -> Result<NewToken> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::invalid("name", Common::Length { min: 1, max: 100 }));
        }
        if let Some(d) = expires_in_days {
            if !(1..=MAX_TOKEN_DAYS).contains(&d) {
                return Err(StoreError::invalid("expires_in_days", Common::Between { min: 1, max: MAX_TOKEN_DAYS }));
            }
        }
        let secret = new_secret("pat_");
        let now = self.clock.now_ms();
        let expires_at = expires_in_days.map(|d| now + d * 86_400_000);
        let q = Query::insert()
            .into_table(col("api_tokens"))
            .columns(["workspace_id", "user_id", "name", "token_hash", "created_at", "expires_at"].map(col))
            .values([workspace_id.into(), user_id.into(), name.into(), sha256_hex(&secret).into(), now.into(), expires_at.into()])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .returning_col(col("id"))
            .to_owned();
        let row = self.write.query_one(self.backend.build(&q)).await?;
        let id: i64 = row.ok_or_else(|| StoreError::Internal("insert returned no id".into()))?.try_get("", "id")?;
        let token =
            ApiToken { id, user_id, user_name: String::new(), name: name.to_string(), created_at: now, last_used_at: None, expires_at };
        Ok(NewToken { token, secret })
    }

    /// The caller of a live (not revoked, not expired) token. Its last use is written at most
    /// once a minute, so a busy script does not turn every read into a write.
    pub async fn actor_for_token(&self, token: &str) -> Result<Actor> {
        let now = self.clock.now_ms();
        let mut q = actor_select();
        // The token's id and last use ride along in the one `extra` text column.
        q.expr_as(Expr::cust("CAST(t.id AS TEXT) || ':' || CAST(COALESCE(t.last_used_at, 0) AS TEXT)"), col("extra"))
            .join_as(JoinType::InnerJoin, col("api_tokens"), col("t"), Expr::col((col("t"), col("user_id"))).equals((col("u"), col("id"))))
            .and_where(Expr::col((col("t"), col("token_hash"))).eq(sha256_hex(token)))
            .and_where(Expr::col((col("t"), col("revoked_at"))).is_null())
            .and_where(Expr::col((col("t"), col("expires_at"))).is_null().or(Expr::col((col("t"), col("expires_at"))).gt(now)));
        let (actor, extra) = self.resolve_actor(q, Channel::Api).await?;
        let parsed = extra
            .as_deref()
            .and_then(|e| e.split_once(':'))
            .and_then(|(id, last)| Some((id.parse::<i64>().ok()?, last.parse::<i64>().ok()?)));
        if let Some((id, last)) = parsed {
            if now - last >= TOKEN_USE_GRANULARITY_MS {
                let q = Query::update()
                    .table(col("api_tokens"))
                    .value(col("last_used_at"), now)
                    .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                    .and_where(Expr::col(col("id")).eq(id))
                    .and_where(
                        Expr::col(col("last_used_at")).is_null().or(Expr::col(col("last_used_at")).lte(now - TOKEN_USE_GRANULARITY_MS)),
                    )
                    .to_owned();
                // Remembering the use is a courtesy: a failure here must not refuse the request.
                if let Err(e) = self.write.execute(self.backend.build(&q)).await {
                    tracing::warn!(error = %e, "could not record a token's last use");
                }
            }
        }
        Ok(actor)
    }

    /// Live tokens (not revoked; expired ones included, marked) of the caller, of one user, or of
    /// the whole workspace. Only administrators see anyone else's.
    pub async fn list_tokens(&self, actor: &Actor, owner: TokenOwner) -> Result<Vec<ApiToken>> {
        let admin = actor.caller.role == Role::Admin;
        let mut q = Query::select();
        q.columns(["id", "user_id", "name", "created_at", "last_used_at", "expires_at"].map(|c| (col("t"), col(c))))
            .expr_as(Expr::col((col("u"), col("name"))), col("user_name"))
            .from_as(col("api_tokens"), col("t"))
            .join_as(
                JoinType::InnerJoin,
                col("users"),
                col("u"),
                Expr::col((col("u"), col("id")))
                    .equals((col("t"), col("user_id")))
                    .and(Expr::col((col("u"), col("workspace_id"))).equals((col("t"), col("workspace_id")))),
            )
            .and_where(Expr::col((col("t"), col("workspace_id"))).eq(actor.ws_id()))
            .and_where(Expr::col((col("t"), col("revoked_at"))).is_null())
            .order_by((col("t"), col("id")), Order::Desc);
        match owner {
            TokenOwner::Me => {
                q.and_where(Expr::col((col("t"), col("user_id"))).eq(actor.user_id()));
            }
            TokenOwner::User(u) if u == actor.user_id() || admin => {
                q.and_where(Expr::col((col("t"), col("user_id"))).eq(u));
            }
            TokenOwner::Workspace if admin => {}
            _ => return Err(StoreError::forbidden(RecordMsg::TokensAdminOnly {})),
        }
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(decode_token).collect()
    }

    /// Revokes a token of the caller's, or any token of the workspace for an administrator. A
    /// token the caller may not revoke is `NotFound`, exactly like a missing one.
    pub async fn revoke_token(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut q = Query::update();
        q.table(col("api_tokens"))
            .value(col("revoked_at"), self.clock.now_ms())
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("revoked_at")).is_null());
        if actor.caller.role != Role::Admin {
            q.and_where(Expr::col(col("user_id")).eq(actor.user_id()));
        }
        match self.write.execute(self.backend.build(&q)).await?.rows_affected() {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// The workspace of a token by its id, for the command line, which names tokens by id alone.
    pub async fn token_workspace(&self, id: i64) -> Result<i64> {
        let q = Query::select().column(col("workspace_id")).from(col("api_tokens")).and_where(Expr::col(col("id")).eq(id)).to_owned();
        let row = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        Ok(row.try_get("", "workspace_id")?)
    }

    /// Checks e-mail and password; on success opens a session and returns (session token, CSRF token, actor).
    /// Throttling applies as to any client without an address; see [`Db::sign_in`].
    pub async fn login(&self, email: &str, password: &str) -> Result<(String, String, Actor)> {
        match self.sign_in(email, password, None).await? {
            SignIn::Ok { token, csrf, actor } => Ok((token, csrf, *actor)),
            SignIn::Refused | SignIn::Throttled { .. } => Err(StoreError::Unauthorized),
        }
    }

    /// A sign-in attempt from `client` (its network address, when known).
    pub async fn sign_in(&self, email: &str, password: &str, client: Option<&str>) -> Result<SignIn> {
        let email = email.trim().to_lowercase();
        let client = client.unwrap_or("").trim().to_string();
        let now = self.clock.now_ms();
        if let Some(until) = self.locked_until(&email, &client, now).await? {
            return Ok(SignIn::Throttled { retry_after_ms: until - now, lockout: None });
        }
        let q = Query::select()
            .columns(["id", "workspace_id", "password_hash", "active"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("email")).eq(email.clone()))
            .to_owned();
        let row = self.read.query_one(self.backend.build(&q)).await?;
        let (user, ws, hash, active) = match row {
            Some(r) => (
                r.try_get::<i64>("", "id")?,
                r.try_get::<i64>("", "workspace_id")?,
                r.try_get::<Option<String>>("", "password_hash")?,
                r.try_get::<bool>("", "active")?,
            ),
            None => (0, 0, None, false),
        };
        let pw = password.to_string();
        let h = hash.clone().unwrap_or_else(|| dummy_hash().to_string());
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &h)).await.map_err(|e| StoreError::Internal(e.to_string()))?;
        if !ok || hash.is_none() || !active {
            return self.failed_sign_in(ws, user, &email, &client, now).await;
        }
        self.clear_failures(&email).await?;
        let actor = self.actor_for_user(user, Channel::Ui).await?;
        let token = new_secret("ses_");
        let csrf = new_secret("");
        let q = Query::insert()
            .into_table(col("sessions"))
            .columns(["workspace_id", "user_id", "token_hash", "csrf_token", "created_at", "expires_at"].map(col))
            .values([
                actor.ws_id().into(),
                user.into(),
                sha256_hex(&token).into(),
                csrf.clone().into(),
                now.into(),
                (now + SESSION_DAYS * 86_400_000).into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(SignIn::Ok { token, csrf, actor: Box::new(actor) })
    }

    /// The end of the latest lockout of the e-mail or the client address, if one is on now.
    async fn locked_until(&self, email: &str, client: &str, now: i64) -> Result<Option<i64>> {
        let mut subjects = Expr::col(col("scope")).eq("email").and(Expr::col(col("subject")).eq(email));
        if !client.is_empty() {
            subjects = subjects.or(Expr::col(col("scope")).eq("client").and(Expr::col(col("subject")).eq(client)));
        }
        let q = Query::select()
            .column(col("locked_until"))
            .from(col("login_lockouts"))
            .cond_where(subjects)
            .and_where(Expr::col(col("locked_until")).gt(now))
            .to_owned();
        let rows = self.write.query_all(self.backend.build(&q)).await?;
        let untils: Vec<i64> = rows.iter().map(|r| r.try_get::<i64>("", "locked_until")).collect::<std::result::Result<_, _>>()?;
        Ok(untils.into_iter().max())
    }

    /// Records a wrong password and locks what has failed too often.
    async fn failed_sign_in(&self, ws: i64, user: i64, email: &str, client: &str, now: i64) -> Result<SignIn> {
        let since = now - FAILURE_WINDOW_MS;
        let q = Query::insert()
            .into_table(col("login_failures"))
            .columns(["workspace_id", "email", "client", "created_at"].map(col))
            .values([ws.into(), email.into(), client.into(), now.into()])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        let mut until = None;
        let mut lockout = None;
        for (scope, subject, limit) in [("email", email, ACCOUNT_FAILURES), ("client", client, CLIENT_FAILURES)] {
            if subject.is_empty() {
                continue;
            }
            // What can no longer count is dropped, so the table stays small.
            let prune = Query::delete()
                .from_table(col("login_failures"))
                .and_where(Expr::col(col(scope)).eq(subject))
                .and_where(Expr::col(col("created_at")).lte(since))
                .to_owned();
            self.write.execute(self.backend.build(&prune)).await?;
            let count = Query::select()
                .expr_as(Expr::col(col("id")).count(), col("n"))
                .from(col("login_failures"))
                .and_where(Expr::col(col(scope)).eq(subject))
                .and_where(Expr::col(col("created_at")).gt(since))
                .to_owned();
            let n: i64 = match self.write.query_one(self.backend.build(&count)).await? {
                Some(r) => r.try_get("", "n")?,
                None => 0,
            };
            if n < limit {
                continue;
            }
            let (locked, level, episode) = self.lock(if scope == "email" { ws } else { 0 }, scope, subject, now).await?;
            until = until.max(Some(locked));
            if scope == "email" && level == 1 && user != 0 {
                lockout = Some(Lockout {
                    workspace_id: ws,
                    user_id: user,
                    email: email.to_string(),
                    until_ms: locked,
                    episode_started_at: episode,
                });
            }
        }
        Ok(match until {
            Some(u) => SignIn::Throttled { retry_after_ms: u - now, lockout },
            None => SignIn::Refused,
        })
    }

    /// Locks a subject: the first lockout of an episode lasts [`FIRST_LOCKOUT_MS`], each next one
    /// twice the previous, at most [`MAX_LOCKOUT_MS`]. Returns (locked until, level, episode start).
    async fn lock(&self, ws: i64, scope: &str, subject: &str, now: i64) -> Result<(i64, i64, i64)> {
        let q = Query::select()
            .columns(["level", "episode_started_at", "updated_at"].map(col))
            .from(col("login_lockouts"))
            .and_where(Expr::col(col("scope")).eq(scope))
            .and_where(Expr::col(col("subject")).eq(subject))
            .to_owned();
        let prev = self.write.query_one(self.backend.build(&q)).await?;
        let (level, episode) = match prev {
            Some(r) if r.try_get::<i64>("", "updated_at")? > now - EPISODE_MS => {
                (r.try_get::<i64>("", "level")? + 1, r.try_get::<i64>("", "episode_started_at")?)
            }
            _ => (1, now),
        };
        let duration = FIRST_LOCKOUT_MS.saturating_mul(1_i64 << (level - 1).clamp(0, 20)).min(MAX_LOCKOUT_MS);
        let until = now + duration;
        let upsert = Query::insert()
            .into_table(col("login_lockouts"))
            .columns(["workspace_id", "scope", "subject", "level", "episode_started_at", "locked_until", "updated_at"].map(col))
            .values([ws.into(), scope.into(), subject.into(), level.into(), episode.into(), until.into(), now.into()])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .on_conflict(
                OnConflict::columns([col("scope"), col("subject")])
                    .update_columns(["level", "episode_started_at", "locked_until", "updated_at"].map(col))
                    .to_owned(),
            )
            .to_owned();
        self.write.execute(self.backend.build(&upsert)).await?;
        Ok((until, level, episode))
    }

    /// After a successful sign-in the account starts afresh (its client address does not).
    async fn clear_failures(&self, email: &str) -> Result<()> {
        let q = Query::delete().from_table(col("login_failures")).and_where(Expr::col(col("email")).eq(email)).to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        let q = Query::delete()
            .from_table(col("login_lockouts"))
            .and_where(Expr::col(col("scope")).eq("email"))
            .and_where(Expr::col(col("subject")).eq(email))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// Lifts the lockout of a user's account (administrators only): the e-mail's lockout and its
    /// recent failures go, so the next wrong password counts from zero and a new lockout starts a
    /// new episode (with its notice). The user's client address, if locked, stays locked: it may
    /// be someone else's. Returns whether a lockout was on. A user of another workspace is
    /// `NotFound`.
    pub async fn unlock_user(&self, actor: &Actor, user_id: i64) -> Result<bool> {
        if actor.caller.role != Role::Admin {
            return Err(StoreError::forbidden(RecordMsg::UnlockAdminOnly {}));
        }
        let q = Query::select()
            .column(col("email"))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(user_id))
            .to_owned();
        let row = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        let email: String = row.try_get("", "email")?;
        let now = self.clock.now_ms();
        let was_on = self.locked_until(&email, "", now).await?.is_some();
        self.clear_failures(&email).await?;
        tracing::info!(
            workspace_id = actor.ws_id(),
            by_user_id = actor.user_id(),
            channel = actor.channel.as_str(),
            user_id,
            was_locked = was_on,
            "sign-in lockout lifted"
        );
        Ok(was_on)
    }

    /// The users of the caller's workspace whose account is locked now, with the end of the
    /// lockout (user id → locked until), for the administrator's list of users.
    pub async fn locked_users(&self, actor: &Actor) -> Result<HashMap<i64, i64>> {
        if actor.caller.role != Role::Admin {
            return Err(StoreError::forbidden(RecordMsg::UnlockAdminOnly {}));
        }
        let q = Query::select()
            .expr_as(Expr::col((col("u"), col("id"))), col("id"))
            .expr_as(Expr::col((col("l"), col("locked_until"))), col("locked_until"))
            .from_as(col("login_lockouts"), col("l"))
            .join_as(JoinType::InnerJoin, col("users"), col("u"), Expr::col((col("u"), col("email"))).equals((col("l"), col("subject"))))
            .and_where(Expr::col((col("u"), col("workspace_id"))).eq(actor.ws_id()))
            .and_where(Expr::col((col("l"), col("scope"))).eq("email"))
            .and_where(Expr::col((col("l"), col("locked_until"))).gt(self.clock.now_ms()))
            .to_owned();
        let rows = self.write.query_all(self.backend.build(&q)).await?;
        rows.iter().map(|r| Ok((r.try_get::<i64>("", "id")?, r.try_get::<i64>("", "locked_until")?))).collect()
    }

    /// Who hears of a lockout: the account's user and the workspace's active administrators, each
    /// with their language (the workspace's when they chose none).
    pub async fn lockout_recipients(&self, lockout: &Lockout) -> Result<Vec<Recipient>> {
        let q = Query::select()
            .expr_as(Expr::col((col("u"), col("id"))), col("id"))
            .expr_as(Expr::col((col("u"), col("locale"))), col("locale"))
            .expr_as(Expr::col((col("w"), col("locale"))), col("ws_locale"))
            .from_as(col("users"), col("u"))
            .join_as(
                JoinType::InnerJoin,
                col("workspaces"),
                col("w"),
                Expr::col((col("w"), col("id"))).equals((col("u"), col("workspace_id"))),
            )
            .and_where(Expr::col((col("u"), col("workspace_id"))).eq(lockout.workspace_id))
            .and_where(Expr::col((col("u"), col("active"))).eq(true))
            .cond_where(
                Expr::col((col("u"), col("id"))).eq(lockout.user_id).or(Expr::col((col("u"), col("role"))).eq(Role::Admin.as_str())),
            )
            .order_by((col("u"), col("id")), Order::Asc)
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter()
            .map(|r| {
                let own: Option<String> = r.try_get("", "locale")?;
                Ok(Recipient { user_id: r.try_get("", "id")?, locale: own.map_or_else(|| r.try_get("", "ws_locale"), Ok)? })
            })
            .collect()
    }

    /// The actor and CSRF token of a live session.
    pub async fn actor_for_session(&self, token: &str) -> Result<(Actor, String)> {
        let mut q = actor_select();
        q.expr_as(Expr::col((col("s"), col("csrf_token"))), col("extra"))
            .join_as(JoinType::InnerJoin, col("sessions"), col("s"), Expr::col((col("s"), col("user_id"))).equals((col("u"), col("id"))))
            .and_where(Expr::col((col("s"), col("token_hash"))).eq(sha256_hex(token)))
            .and_where(Expr::col((col("s"), col("expires_at"))).gt(self.clock.now_ms()));
        let (actor, csrf) = self.resolve_actor(q, Channel::Ui).await?;
        Ok((actor, csrf.ok_or(StoreError::Unauthorized)?))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        let q = Query::delete().from_table(col("sessions")).and_where(Expr::col(col("token_hash")).eq(sha256_hex(token))).to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }
}

fn decode_token(r: &QueryResult) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("", "id")?,
        user_id: r.try_get("", "user_id")?,
        user_name: r.try_get("", "user_name")?,
        name: r.try_get("", "name")?,
        created_at: r.try_get("", "created_at")?,
        last_used_at: r.try_get("", "last_used_at")?,
        expires_at: r.try_get("", "expires_at")?,
    })
}

/// Ends every session of a user, inside the write that changes their password: whoever held a
/// session opened with the old password has to sign in again. API tokens are not touched.
pub(crate) async fn end_sessions_on(conn: &impl ConnectionTrait, backend: DbBackend, workspace_id: i64, user_id: i64) -> Result<()> {
    let q = Query::delete()
        .from_table(col("sessions"))
        .and_where(Expr::col(col("workspace_id")).eq(workspace_id))
        .and_where(Expr::col(col("user_id")).eq(user_id))
        .to_owned();
    conn.execute(backend.build(&q)).await?;
    Ok(())
}

/// The password policy against the account's e-mail, for a write whose body did not carry the
/// e-mail (validation already checked it when it did).
pub(crate) fn check_password_email(values: &[(&'static Field, Val)], email: Option<&str>) -> Result<()> {
    for (f, v) in values {
        if let (Kind::Password, Val::Text(plain)) = (f.kind, v) {
            poryadok_core::password::check(plain, email).map_err(|p| StoreError::invalid("password", p.msg()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
        // The stand-in for unknown e-mails is a real argon2 hash, so checking it costs a full verification.
        assert!(PasswordHash::new(dummy_hash()).is_ok());
        assert!(!verify_password("x", dummy_hash()));
    }

    #[test]
    fn secrets_are_random_and_hashes_stable() {
        assert_ne!(new_secret("pat_"), new_secret("pat_"));
        assert!(new_secret("pat_").starts_with("pat_"));
        assert_eq!(sha256_hex("a").len(), 64);
    }
}

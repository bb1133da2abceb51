//! Passwords (argon2), API tokens and UI sessions. Secrets are shown once and stored only as
//! SHA-256 hashes; a lookup by hash is constant work whatever the input.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::sql::col;
use crate::workspace::actor_select;
use crate::Db;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use poryadok_core::domain::Channel;
use rand::RngCore;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, JoinType, Query};
use sha2::{Digest, Sha256};

pub const SESSION_DAYS: i64 = 14;

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
        let token = new_secret("pat_");
        let q = Query::insert()
            .into_table(col("api_tokens"))
            .columns(["workspace_id", "user_id", "name", "token_hash", "created_at"].map(col))
            .values([workspace_id.into(), user_id.into(), name.into(), sha256_hex(&token).into(), self.clock.now_ms().into()])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(token)
    }

    pub async fn actor_for_token(&self, token: &str) -> Result<Actor> {
        let mut q = actor_select();
        q.join_as(JoinType::InnerJoin, col("api_tokens"), col("t"), Expr::col((col("t"), col("user_id"))).equals((col("u"), col("id"))))
            .and_where(Expr::col((col("t"), col("token_hash"))).eq(sha256_hex(token)))
            .and_where(Expr::col((col("t"), col("revoked_at"))).is_null());
        Ok(self.resolve_actor(q, Channel::Api).await?.0)
    }

    /// Checks e-mail and password; on success opens a session and returns (session token, CSRF token, actor).
    pub async fn login(&self, email: &str, password: &str) -> Result<(String, String, Actor)> {
        let email = email.trim().to_lowercase();
        let q = Query::select()
            .columns(["id", "password_hash", "active"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("email")).eq(email))
            .to_owned();
        let row = self.read.query_one(self.backend.build(&q)).await?;
        let (user, hash, active) = match row {
            Some(r) => (r.try_get::<i64>("", "id")?, r.try_get::<Option<String>>("", "password_hash")?, r.try_get::<bool>("", "active")?),
            None => (0, None, false),
        };
        let pw = password.to_string();
        let h = hash.clone().unwrap_or_else(|| dummy_hash().to_string());
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &h)).await.map_err(|e| StoreError::Internal(e.to_string()))?;
        if !ok || hash.is_none() || !active {
            return Err(StoreError::Unauthorized);
        }
        let actor = self.actor_for_user(user, Channel::Ui).await?;
        let token = new_secret("ses_");
        let csrf = new_secret("");
        let now = self.clock.now_ms();
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
        Ok((token, csrf, actor))
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

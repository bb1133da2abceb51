//! A user's own mail account: their e-mails to clients from the card go through it instead of
//! the workspace's shared one, so the client sees (and answers) the manager's own address.
//!
//! The password is sealed under the server's key in the database ([`crate::secrets`]), like the
//! bots' tokens and the gateways' keys: never shown back (the settings say only that one is set),
//! never in `Debug` output or history.
use crate::error::{Result, StoreError};
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::domain::HistoryAction;
use poryadok_core::msg::{words, ChannelMsg, Common};
use poryadok_core::types::Email;
use sea_orm::{ConnectionTrait, TransactionTrait};
use sea_query::{Expr, Query};
use serde_json::{json, Map, Value as Json};

/// How the connection to the mail server is protected.
pub const TLS_MODES: [&str; 3] = ["tls", "starttls", "none"];

/// A user's mail account, as sending needs it.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OwnSmtp {
    pub host: String,
    pub port: u16,
    /// One of [`TLS_MODES`].
    pub tls: String,
    #[serde(default)]
    pub login: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The sender's address (the login when not given).
    #[serde(default)]
    pub from: Option<String>,
}

impl std::fmt::Debug for OwnSmtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnSmtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("login", &self.login)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .finish()
    }
}

/// The account as its owner sees it: everything but the password.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ShownOwnSmtp {
    pub host: String,
    pub port: u16,
    pub tls: String,
    pub login: Option<String>,
    pub password_set: bool,
    pub from: Option<String>,
}

impl ShownOwnSmtp {
    fn of(a: &OwnSmtp) -> ShownOwnSmtp {
        ShownOwnSmtp {
            host: a.host.clone(),
            port: a.port,
            tls: a.tls.clone(),
            login: a.login.clone(),
            password_set: a.password.as_deref().is_some_and(|p| !p.is_empty()),
            from: a.from.clone(),
        }
    }
}

/// Reads `{host, port, tls, login?, password?, from?}` over the stored account: a password not
/// given (or given as `***`) keeps the stored one.
fn parse(v: &Json, stored: Option<&OwnSmtp>) -> Result<OwnSmtp> {
    let obj = v.as_object().ok_or_else(|| StoreError::invalid("smtp", Common::BodyNotObject {}))?;
    const KEYS: [&str; 6] = ["host", "port", "tls", "login", "password", "from"];
    if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(StoreError::invalid(k, Common::UnknownField { expected: words(KEYS) }));
    }
    let text = |k: &str| -> Result<Option<String>> {
        match obj.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Some(_) => Err(StoreError::invalid(k, Common::NotString {})),
        }
    };
    let host = text("host")?.ok_or_else(|| StoreError::invalid("host", Common::Required {}))?;
    if host.contains(['/', ' ', '@']) {
        return Err(StoreError::invalid("host", Common::NotString {}));
    }
    let tls = text("tls")?.unwrap_or_else(|| "starttls".into());
    if !TLS_MODES.contains(&tls.as_str()) {
        return Err(StoreError::invalid("tls", ChannelMsg::OwnSmtpTls { list: words(TLS_MODES) }));
    }
    let port = match obj.get("port") {
        None | Some(Json::Null) => match tls.as_str() {
            "tls" => 465,
            "starttls" => 587,
            _ => 25,
        },
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| StoreError::invalid("port", Common::NotInteger {}))?,
    };
    let login = text("login")?;
    let password = match text("password")? {
        Some(p) if p == poryadok_core::template::MASK => stored.and_then(|s| s.password.clone()),
        Some(p) => Some(p),
        None => stored.and_then(|s| s.password.clone()),
    };
    let from = match text("from")? {
        Some(f) => Some(Email::parse(&f).map(Email::into_string).map_err(|m| StoreError::invalid("from", m))?),
        None => None,
    };
    if from.is_none() && login.as_deref().is_none_or(|l| Email::parse(l).is_err()) {
        return Err(StoreError::invalid("from", Common::Required {}));
    }
    Ok(OwnSmtp { host, port, tls, login, password, from })
}

impl Db {
    /// The caller's own mail account, without its password; `None` when they have none.
    pub async fn own_smtp(&self, actor: &Actor) -> Result<Option<ShownOwnSmtp>> {
        Ok(self.own_smtp_for(actor.ws_id(), actor.user_id()).await?.as_ref().map(ShownOwnSmtp::of))
    }

    /// Sets the caller's own mail account (`null` removes it).
    pub async fn set_own_smtp(&self, actor: &Actor, v: &Json) -> Result<Option<ShownOwnSmtp>> {
        if actor.user_id() <= 0 {
            return Err(StoreError::NotFound);
        }
        let stored = self.own_smtp_for(actor.ws_id(), actor.user_id()).await?;
        let account = match v {
            Json::Null => None,
            v => Some(parse(v, stored.as_ref())?),
        };
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let q = Query::update()
            .table(col("users"))
            .value(col("smtp_account"), account.as_ref().map(|a| self.seal_smtp(a)).transpose()?)
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(actor.user_id()))
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        // The account holds a password: the history says that it changed, not to what.
        let mut changes = Map::new();
        changes.insert("smtp_account".into(), json!(if account.is_some() { "changed" } else { "removed" }));
        crate::records::append_history(&tx, self.backend, actor, "user", actor.user_id(), HistoryAction::Update, changes, now).await?;
        tx.commit().await?;
        Ok(account.as_ref().map(ShownOwnSmtp::of))
    }

    /// A user's name (their letters' sender name).
    pub async fn user_name(&self, ws: i64, user: i64) -> Result<String> {
        let q = Query::select()
            .column(col("name"))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(user))
            .to_owned();
        match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => Ok(r.try_get("", "name")?),
            None => Err(StoreError::NotFound),
        }
    }

    /// A user's own mail account with its password, for sending their e-mail.
    pub async fn own_smtp_for(&self, ws: i64, user: i64) -> Result<Option<OwnSmtp>> {
        let q = Query::select()
            .column(col("smtp_account"))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(user))
            .to_owned();
        let stored: Option<String> = match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => r.try_get("", "smtp_account")?,
            None => None,
        };
        let Some(text) = stored else { return Ok(None) };
        let Ok(mut account) = serde_json::from_str::<OwnSmtp>(&text) else { return Ok(None) };
        account.password = self.secrets.open_opt(account.password)?;
        Ok(Some(account))
    }

    /// The account as stored: its password sealed.
    fn seal_smtp(&self, a: &OwnSmtp) -> Result<String> {
        let mut stored = a.clone();
        stored.password = self.secrets.seal_opt(a.password.as_deref())?;
        serde_json::to_string(&stored).map_err(|e| StoreError::Internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_parses_and_keeps_its_password() {
        let a = parse(&json!({"host": "smtp.yandex.ru", "tls": "tls", "login": "olga@firm.ru", "password": "p4ss"}), None).unwrap();
        assert_eq!((a.port, a.password.as_deref()), (465, Some("p4ss")));
        let b =
            parse(&json!({"host": "smtp.yandex.ru", "port": 2525, "tls": "none", "login": "olga@firm.ru", "password": "***"}), Some(&a))
                .unwrap();
        assert_eq!((b.port, b.password.as_deref()), (2525, Some("p4ss")), "the mask keeps the stored password");
        assert!(!format!("{b:?}").contains("p4ss"));
        let field = |v: Json| match parse(&v, None) {
            Err(StoreError::Validation(fe)) => fe.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(json!({"tls": "tls"})), "host");
        assert_eq!(field(json!({"host": "h", "tls": "ssl", "login": "a@b.ru"})), "tls");
        assert_eq!(field(json!({"host": "h", "port": 70000, "login": "a@b.ru"})), "port");
        assert_eq!(field(json!({"host": "h", "login": "olga"})), "from");
    }
}

//! What can go wrong in the store, in terms the API can answer with. Database failures stay
//! internal (logged by the caller, never shown); unique-key clashes become conflicts.
use poryadok_core::{FieldError, Msg};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Validation(FieldError),
    /// A filter expression that does not parse or check, with the text it came from.
    #[error("{field}: {error}")]
    Filter { field: String, error: Box<poryadok_core::filter::FilterError>, text: String },
    #[error("not found")]
    NotFound,
    #[error("{msg}")]
    Conflict { field: Option<String>, msg: Msg },
    #[error("{msg}")]
    Forbidden { field: Option<String>, msg: Msg },
    #[error("unauthorized")]
    Unauthorized,
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
    /// The database cannot take writes now (disk full, I/O error, the writer stopped); the
    /// write was not stored and may be retried.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// An `If-Match` version that is no longer the record's: someone changed it since.
    #[error("the record was changed by someone else (now version {current})")]
    Stale { current: i64 },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub fn invalid(field: impl Into<String>, msg: impl Into<Msg>) -> Self {
        StoreError::Validation(FieldError::new(field, msg))
    }
    pub fn conflict(field: impl Into<String>, msg: impl Into<Msg>) -> Self {
        StoreError::Conflict { field: Some(field.into()), msg: msg.into() }
    }
    pub fn forbidden(msg: impl Into<Msg>) -> Self {
        StoreError::Forbidden { field: None, msg: msg.into() }
    }

    /// The catalogue message a reader is shown for this refusal, if it is one.
    pub fn msg(&self) -> Option<&Msg> {
        match self {
            StoreError::Validation(fe) => Some(&fe.msg),
            StoreError::Conflict { msg, .. } | StoreError::Forbidden { msg, .. } => Some(msg),
            _ => None,
        }
    }
    /// The field a refusal names, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            StoreError::Validation(fe) => Some(&fe.field),
            StoreError::Conflict { field, .. } | StoreError::Forbidden { field, .. } => field.as_deref(),
            StoreError::Filter { field, .. } => Some(field),
            _ => None,
        }
    }
    /// Errors nobody but the log should read the details of.
    pub fn is_internal(&self) -> bool {
        matches!(self, StoreError::Db(_) | StoreError::Sqlx(_) | StoreError::Internal(_) | StoreError::Unavailable(_))
    }

    /// Whether SQLite may have rolled back the whole transaction on this error (its result
    /// codes BUSY, NOMEM, IOERR, CORRUPT, FULL): nothing more may run in it.
    pub fn ends_transaction(&self) -> bool {
        let db = match self {
            StoreError::Db(sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e)))
            | StoreError::Db(sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)))
            | StoreError::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)))
            | StoreError::Sqlx(e) => e,
            StoreError::Db(sea_orm::DbErr::ConnectionAcquire(_)) => return true,
            StoreError::Db(_) => return false,
            _ => return false,
        };
        match db {
            sqlx::Error::Database(d) => {
                let code = d.code().and_then(|c| c.parse::<i64>().ok()).unwrap_or(0) & 0xff;
                matches!(code, 5 | 7 | 10 | 11 | 13)
            }
            sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed | sqlx::Error::PoolClosed | sqlx::Error::PoolTimedOut => true,
            _ => false,
        }
    }

    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Db(e) => matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))),
            _ => false,
        }
    }
}

impl From<FieldError> for StoreError {
    fn from(e: FieldError) -> Self {
        StoreError::Validation(e)
    }
}

//! What can go wrong in the store, in terms the API can answer with. Database failures stay
//! internal (logged by the caller, never shown); unique-key clashes become conflicts.
use poryadok_core::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Validation(FieldError),
    /// A filter expression that does not parse or check, with the text it came from.
    #[error("{field}: {error}")]
    Filter { field: String, error: Box<poryadok_core::filter::FilterError>, text: String },
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    #[error("{message}")]
    Forbidden { field: Option<String>, message: String },
    #[error("unauthorized")]
    Unauthorized,
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError::Validation(FieldError::new(field, message))
    }
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError::Conflict { field: Some(field.into()), message: message.into() }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        StoreError::Forbidden { field: None, message: message.into() }
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

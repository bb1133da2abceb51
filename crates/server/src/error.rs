//! The one error envelope of the HTTP API.
//!
//! Policy: every failure answers `{"error": {"code", "message", "field"}}` with a stable,
//! machine-readable `code` that maps to one HTTP status:
//! `validation` 422 (400 for an unreadable body), `not_found` 404, `conflict` 409,
//! `unauthorized` 401, `forbidden` 403, `precondition_failed` 412 (a stale `If-Match`),
//! `payload_too_large` 413, `internal` 500, `unavailable` 503 (the database cannot take writes:
//! nothing was stored).
//! `field` names the offending input where there is one; a filter expression's mistakes add
//! `position` (line, column, length, hint, and the line with a caret under the mistake). Internal errors are logged with their
//! cause and answered with a generic message: nothing about the database leaks to clients.
//! A record the caller may not see is `not_found`, exactly like a missing one.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Where in a filter expression the problem is: `{"line", "column", "length", "hint", "display"}`.
    pub position: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), field: None, position: None }
    }
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such record")
    }
    pub fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn bad_body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation", message).with_field("body")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Validation(fe) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", fe.message).with_field(fe.field),
            StoreError::Filter { field, error, text } => {
                let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", error.to_string()).with_field(field);
                e.position = Some(json!({
                    "line": error.line, "column": error.column, "length": error.len,
                    "hint": error.hint, "display": error.render(&text),
                }));
                e
            }
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict { field, message } => {
                ApiError { status: StatusCode::CONFLICT, code: "conflict", message, field, position: None }
            }
            StoreError::Forbidden { field, message } => {
                ApiError { status: StatusCode::FORBIDDEN, code: "forbidden", message, field, position: None }
            }
            StoreError::Unauthorized => ApiError::unauthorized("authentication required"),
            StoreError::Stale { current } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                format!("the record was changed by someone else since you read it (it is now at version {current}); read it again"),
            )
            .with_field("If-Match"),
            StoreError::Unavailable(why) => {
                tracing::error!(error = %why, "write refused: storage unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database cannot take writes now; nothing was stored, try again later",
                )
            }
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        if let Some(p) = self.position {
            body["error"]["position"] = p;
        }
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

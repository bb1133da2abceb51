//! The one error envelope of the HTTP API.
//!
//! Policy: every failure answers `{"error": {"code", "message", "field"}}` with a stable,
//! machine-readable `code` that maps to one HTTP status:
//! `validation` 422 (400 for an unreadable body), `not_found` 404, `conflict` 409,
//! `unauthorized` 401, `forbidden` 403, `precondition_failed` 412 (a stale `If-Match`),
//! `payload_too_large` 413, `internal` 500, `unavailable` 503 (the database cannot take writes:
//! nothing was stored).
//! `field` names the offending input where there is one. A refusal from the message catalogue
//! adds `message_code` (the catalogue's stable code, e.g. `stage_needs_fields`) and `args` (its
//! typed arguments), so a client can render it in its own language; `message` is the English
//! text with field keys. A filter expression's mistakes add
//! `position` (line, column, length, hint, and the line with a caret under the mistake). Internal errors are logged with their
//! cause and answered with a generic message: nothing about the database leaks to clients.
//! A record the caller may not see is `not_found`, exactly like a missing one.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::msg::ApiMsg;
use poryadok_core::Msg;
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
    /// The catalogue message behind `message`, for readers in another language.
    pub msg: Option<Box<Msg>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), field: None, position: None, msg: None }
    }
    /// A refusal from the catalogue: `message` is its English text.
    pub fn from_msg(status: StatusCode, code: &'static str, msg: impl Into<Msg>) -> Self {
        let msg = msg.into();
        ApiError { status, code, message: msg.english(), field: None, position: None, msg: Some(Box::new(msg)) }
    }
    /// 422 for `field` with a catalogue message.
    pub fn invalid(field: impl Into<String>, msg: impl Into<Msg>) -> Self {
        Self::from_msg(StatusCode::UNPROCESSABLE_ENTITY, "validation", msg).with_field(field)
    }
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn not_found() -> Self {
        Self::from_msg(StatusCode::NOT_FOUND, "not_found", ApiMsg::NotFound {})
    }
    pub fn unauthorized(msg: impl Into<Msg>) -> Self {
        Self::from_msg(StatusCode::UNAUTHORIZED, "unauthorized", msg)
    }
    pub fn forbidden(msg: impl Into<Msg>) -> Self {
        Self::from_msg(StatusCode::FORBIDDEN, "forbidden", msg)
    }
    pub fn bad_body(msg: impl Into<Msg>) -> Self {
        Self::from_msg(StatusCode::BAD_REQUEST, "validation", msg).with_field("body")
    }
    /// 500 with nothing about the cause (which the caller logs).
    pub fn internal() -> Self {
        Self::from_msg(StatusCode::INTERNAL_SERVER_ERROR, "internal", ApiMsg::Internal {})
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Validation(fe) => ApiError::invalid(fe.field, fe.msg),
            StoreError::Filter { field, error, text } => {
                let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", error.to_string()).with_field(field);
                let hint = error.hint.as_deref().map(|h| h.clone().into_msg());
                e.position = Some(json!({
                    "line": error.line, "column": error.column, "offset": error.offset, "length": error.len,
                    "hint": hint.as_ref().map(Msg::english),
                    "hint_code": hint.as_ref().map(Msg::code),
                    "hint_args": hint.as_ref().map(Msg::args_json),
                    "display": error.render(&text),
                }));
                e.msg = Some(Box::new((*error.msg).clone().into()));
                e
            }
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict { field, msg } => ApiError { field, ..ApiError::from_msg(StatusCode::CONFLICT, "conflict", msg) },
            StoreError::Forbidden { field, msg } => ApiError { field, ..ApiError::from_msg(StatusCode::FORBIDDEN, "forbidden", msg) },
            StoreError::Unauthorized => ApiError::unauthorized(ApiMsg::AuthRequired {}),
            StoreError::Stale { current } => {
                ApiError::from_msg(StatusCode::PRECONDITION_FAILED, "precondition_failed", ApiMsg::Stale { current }).with_field("If-Match")
            }
            StoreError::Unavailable(why) => {
                tracing::error!(error = %why, "write refused: storage unavailable");
                ApiError::from_msg(StatusCode::SERVICE_UNAVAILABLE, "unavailable", ApiMsg::Unavailable {})
            }
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::internal()
            }
        }
    }
}

impl ApiError {
    /// The envelope's `error` object: also what a bulk action reports per refused record.
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({"code": self.code, "message": self.message, "field": self.field});
        if let Some(p) = &self.position {
            body["position"] = p.clone();
        }
        if let Some(m) = &self.msg {
            body["message_code"] = m.code().into();
            body["args"] = serde_json::Value::Object(m.args_json());
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": self.body()}))).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

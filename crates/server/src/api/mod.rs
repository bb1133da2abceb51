//! The JSON API under `/api/v1`. One file per resource family; handlers parse, call the store, map.
pub mod assistants;
pub mod audit;
pub mod bonus;
pub mod channels;
pub mod client_notify;
pub mod documents;
pub mod export;
pub mod extract;
pub mod files;
pub mod imports;
pub mod intake;
pub mod invoices;
pub mod jobs;
pub mod kb;
pub mod merge;
pub mod notifications;
pub mod plans;
pub mod quiz;
pub mod records;
pub mod regulation_doc;
pub mod regulation_file;
pub mod reports;
pub mod requisites;
pub mod reviews;
pub mod search;
pub mod session;
pub mod spend;
pub mod team;
pub mod tokens;
pub mod users;
pub mod workspace;

use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use serde_json::Value;

/// Parses a JSON body; an unreadable one is a `validation` error on `body`.
pub fn json_body(bytes: &Bytes) -> ApiResult<Value> {
    if bytes.is_empty() {
        return Err(ApiError::bad_body(poryadok_core::msg::ApiMsg::ObjectRequired {}));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_body(poryadok_core::msg::ApiMsg::NotJson { why: e.to_string() }))
}

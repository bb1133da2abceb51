//! Extractors that keep the envelope promise for what axum's own would answer in plain text:
//! a query string that does not fit its typed struct, a path parameter that does not parse, a
//! JSON body that does not fit. Every API handler takes its query, path and typed body through
//! these, never through `axum::extract::{Query, Path, Json}`.
//!
//! Query structs are `#[serde(deny_unknown_fields)]`, so an unknown parameter is a 422 naming it.
//! Paging (`limit`, `cursor`) is the same on every list: [`Paging`], [`limit`], [`paginate`].
use crate::error::{ApiError, ApiResult};
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, RawPathParams};
use axum::http::request::Parts;
use poryadok_core::msg::ApiMsg;
use serde::de::DeserializeOwned;
use serde::Deserialize;

fn invalid(field: impl Into<String>, msg: impl Into<poryadok_core::Msg>) -> ApiError {
    ApiError::invalid(field, msg)
}

/// The query string as a typed struct; a mismatch is a 422 `validation` naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query()).map(ApiQuery)
    }
}

/// Parses a query string into `T`, naming the offending parameter on failure.
pub fn parse_query<T: DeserializeOwned>(raw: Option<&str>) -> ApiResult<T> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.unwrap_or("").as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner().to_string();
        if let Some(rest) = inner.strip_prefix("unknown field `") {
            let name = rest.split('`').next().unwrap_or_default().to_string();
            let expected: Vec<String> = rest.split('`').skip(2).step_by(2).map(str::to_string).collect();
            let message = if expected.is_empty() { ApiMsg::NoParameters {} } else { ApiMsg::UnknownParameter { expected } };
            return invalid(name, message);
        }
        let path = e.path().to_string();
        if let Some(rest) = inner.strip_prefix("duplicate field `") {
            return invalid(rest.split('`').next().unwrap_or_default(), ApiMsg::GivenTwice {});
        }
        let message = if inner.contains("invalid digit") || inner.contains("cannot parse integer") {
            ApiMsg::MustBeInteger {}
        } else if inner.contains("provided string was not `true` or `false`") {
            return invalid(
                if path.is_empty() || path == "." { "query".to_string() } else { path },
                poryadok_core::msg::Common::NotBool {},
            );
        } else {
            ApiMsg::NotValid { why: inner }
        };
        if path.is_empty() || path == "." {
            invalid("query", message)
        } else {
            invalid(path, message)
        }
    })
}

/// Path parameters as a typed value. A parameter that does not parse cannot name anything that
/// exists: 404 `not_found` naming the parameter, like a missing record.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(t)) => Ok(ApiPath(t)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind;
                let key = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key }
                    | ErrorKind::DeserializeError { key, .. } => Some(key.clone()),
                    // A tuple names its parameters by position: the route's names say which.
                    ErrorKind::ParseErrorAtIndex { index, .. } => RawPathParams::from_request_parts(parts, state)
                        .await
                        .ok()
                        .and_then(|raw| raw.iter().nth(*index).map(|(k, _)| k.to_string())),
                    _ => None,
                };
                let err = ApiError::not_found();
                Err(match key {
                    Some(k) => err.with_field(k),
                    None => err,
                })
            }
            Err(other) => {
                tracing::error!(error = %other, "path parameters");
                Err(ApiError::internal())
            }
        }
    }
}

/// The largest page any list gives.
pub const MAX_LIMIT: u64 = poryadok_store::list::MAX_LIMIT;

/// A page size: an integer from 1 to [`MAX_LIMIT`], the list's default when absent; anything else
/// is a 422 on `limit`, as on the record lists.
pub fn limit(raw: Option<&str>, default: u64) -> ApiResult<u64> {
    match raw {
        None => Ok(default),
        Some(s) => s
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| invalid("limit", ApiMsg::LimitRange { max: MAX_LIMIT as i64 })),
    }
}

/// The query of a list that takes nothing but paging.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// A cursor that is an id (lists ordered by id): the last id of the previous page.
pub fn id_cursor(raw: Option<&str>) -> ApiResult<Option<i64>> {
    match raw {
        None | Some("") => Ok(None),
        Some(s) => s.parse::<i64>().ok().filter(|i| *i > 0).map(Some).ok_or_else(|| invalid("cursor", ApiMsg::NotCursor {})),
    }
}

/// The position a [`paginate`] cursor names (0 without one).
pub fn offset(raw: Option<&str>) -> ApiResult<u64> {
    match raw {
        None | Some("") => Ok(0),
        Some(s) => s.parse::<u64>().ok().ok_or_else(|| invalid("cursor", ApiMsg::NotCursor {})),
    }
}

/// One page of a list the store gives whole (short lists: settings, a record's satellites).
/// The cursor is the position after the page.
pub fn paginate<T>(items: Vec<T>, p: &Paging, default: u64) -> ApiResult<(Vec<T>, Option<String>)> {
    let limit = limit(p.limit.as_deref(), default)? as usize;
    let from = offset(p.cursor.as_deref())? as usize;
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(from).take(limit).collect();
    let next = (from + limit < total).then(|| (from + limit).to_string());
    Ok((page, next))
}

/// `{"data": [...], "next_cursor": ...}`.
pub fn page_of(data: impl serde::Serialize, next: Option<String>) -> serde_json::Value {
    serde_json::json!({"data": data, "next_cursor": next})
}

//! The Pipedrive-compatible API (docs/PIPEDRIVE.md): `/api/v2/*` and `/v1/*` (and `/api/v1/*`
//! when the request carries a Pipedrive token form), so the official clients and integrations
//! written against Pipedrive work by changing the base URL and the token. Every call goes through
//! the same store calls as the native API: the same rights, visibility, stage gates and history.
//! Only the names, the envelopes and the paging differ ([`shape`]).
use crate::error::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use poryadok_store::{Actor, StoreError};
use serde_json::{json, Value};

mod handlers;
pub mod hooks;
pub mod shape;

pub use shape::Version;

/// The caller, by any of the token forms Pipedrive's clients send: `x-api-token`, the
/// `api_token` query parameter, or `Authorization: Bearer`.
pub struct PdAuth(pub Actor);

/// The token a request carries in a Pipedrive form (not `Bearer`, which the native API takes).
pub fn pipedrive_token(parts_headers: &axum::http::HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(t) = parts_headers.get("x-api-token").and_then(|v| v.to_str().ok()) {
        return Some(t.trim().to_string());
    }
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).find(|(k, _)| k == "api_token").map(|(_, v)| v.trim().to_string())
}

impl FromRequestParts<AppState> for PdAuth {
    type Rejection = PdError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let token = pipedrive_token(&parts.headers, parts.uri.query())
            .or(bearer)
            .ok_or_else(|| PdError(ApiError::unauthorized(poryadok_core::msg::ApiMsg::PdAuthRequired {})))?;
        match state.db.actor_for_token(&token).await {
            Ok(a) => Ok(PdAuth(a)),
            Err(StoreError::Unauthorized) => Err(PdError(ApiError::unauthorized(poryadok_core::msg::ApiMsg::PdTokenInvalid {}))),
            Err(e) => Err(PdError(e.into())),
        }
    }
}

/// An error in Pipedrive's envelope: `{"success": false, "error", "error_info"}` with the status
/// its clients map; our stable `code` and the `field` ride along.
#[derive(Debug)]
pub struct PdError(pub ApiError);

impl From<ApiError> for PdError {
    fn from(e: ApiError) -> Self {
        PdError(e)
    }
}

impl From<StoreError> for PdError {
    fn from(e: StoreError) -> Self {
        PdError(e.into())
    }
}

impl From<shape::BadField> for PdError {
    fn from(b: shape::BadField) -> Self {
        PdError(ApiError::new(StatusCode::BAD_REQUEST, "validation", format!("{}: {}", b.field, b.why)).with_field(b.field))
    }
}

impl IntoResponse for PdError {
    fn into_response(self) -> Response {
        let e = self.0;
        // Pipedrive answers a failed precondition and a conflict as a bad request.
        let status = match e.status {
            StatusCode::PRECONDITION_FAILED | StatusCode::CONFLICT => StatusCode::BAD_REQUEST,
            s => s,
        };
        let info = match &e.field {
            Some(f) => format!("field '{f}'; see docs/PIPEDRIVE.md"),
            None => "see docs/PIPEDRIVE.md".to_string(),
        };
        let mut body = json!({"success": false, "error": e.message, "error_info": info, "data": null, "additional_data": null,
            "code": e.code, "field": e.field});
        if let Some(m) = &e.msg {
            body["message_code"] = m.code().into();
        }
        (status, Json(body)).into_response()
    }
}

pub type PdResult<T> = Result<T, PdError>;

/// `{"success": true, "data": …}`
pub fn ok(data: Value) -> Json<Value> {
    envelope(data, None)
}

/// `{"success": true, "data": …, "additional_data": …}`, the data moved in (`json!` would copy a
/// page of rows value by value).
pub fn envelope(data: Value, additional: Option<Value>) -> Json<Value> {
    let mut m = serde_json::Map::new();
    m.insert("success".into(), Value::Bool(true));
    m.insert("data".into(), data);
    if let Some(a) = additional {
        m.insert("additional_data".into(), a);
    }
    Json(Value::Object(m))
}

/// The compatible routes. `/api/v1/*` requests reach them through [`route_compat`].
pub fn routes() -> Router<AppState> {
    use handlers::*;
    Router::new()
        .route("/api/v2/itemSearch", get(item_search))
        .route("/api/v2/{entity}/search", get(entity_search))
        .route("/api/v2/{entity}", get(list).post(create_one))
        .route("/api/v2/{entity}/{id}", get(read).patch(update_one).delete(delete_one))
        .route("/v1/itemSearch", get(item_search))
        .route("/v1/{entity}/search", get(entity_search))
        .route("/v1/webhooks", get(list_webhooks).post(create_webhook))
        .route("/v1/webhooks/{id}", axum::routing::delete(delete_webhook))
        .route("/v1/users/me", get(me))
        .route("/v1/users/find", get(find_users))
        .route("/v1/{entity}", get(list).post(create_one))
        .route("/v1/{entity}/{id}", get(read).put(update_one).patch(update_one).delete(delete_one))
}

/// `/api/v1/…` is the native API, except for a request in a Pipedrive token form (`api_token`
/// or `x-api-token`): that is an older Pipedrive client and goes to `/v1/…`.
pub fn route_compat(mut req: axum::extract::Request) -> axum::extract::Request {
    let path = req.uri().path();
    if let Some(rest) = path.strip_prefix("/api/v1/") {
        if pipedrive_token(req.headers(), req.uri().query()).is_some() {
            let pq = match req.uri().query() {
                Some(q) => format!("/v1/{rest}?{q}"),
                None => format!("/v1/{rest}"),
            };
            if let Ok(uri) = pq.parse() {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

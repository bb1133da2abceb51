//! The workspace's own requisites: `GET /api/v1/workspace/requisites` (everyone in the
//! workspace; documents print them) and `PUT` (administrators; `If-Match` with the ETag gives 412
//! on a stale write). An organization's requisites are its `requisites` field in the records API.
use crate::api::json_body;
use crate::api::records::{etag, if_match};
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_store::requisites::WorkspaceRequisites;
use serde_json::json;

fn respond(r: &WorkspaceRequisites) -> Response {
    let mut resp = Json(json!({"data": r.to_json()})).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(r.version)) {
        resp.headers_mut().insert(header::ETAG, tag);
    }
    resp
}

pub async fn get(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Response> {
    Ok(respond(&st.db.workspace_requisites(&actor).await?))
}

pub async fn put(State(st): State<AppState>, Auth(actor): Auth, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    Ok(respond(&st.db.put_workspace_requisites(&actor, &json_body(&body)?, expected).await?))
}

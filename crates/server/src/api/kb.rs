//! The knowledge base: `/api/v1/kb/articles` (list with `?q=` and `?section=`, create),
//! `/api/v1/kb/articles/{key}` (get with the safe HTML, `PUT` with `If-Match`, delete),
//! `/versions`, `/versions/{n}`, `/versions/{n}/restore`, `/api/v1/kb/sections` and `/api/v1/kb/targets`
//! (what an article may link to). Everyone
//! reads; administrators and heads of sales write. See docs/KNOWLEDGE_BASE.md.
use super::json_body;
use crate::api::extract::ApiPath;
use crate::api::records::{etag, if_match};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::kb::{ArticleKind, Link};
use poryadok_core::msg::{words, Common, KbMsg};
use poryadok_store::kb::{Article, ArticleInput};
use serde_json::{json, Value};
use std::collections::HashMap;

const FIELDS: [&str; 6] = ["key", "section", "title", "kind", "body", "links"];

/// An article body: `{key?, section, title, kind?, body, links?}`; `key` only when creating.
pub fn parse_input(v: &Value, creating: bool) -> ApiResult<ArticleInput> {
    let o = v.as_object().ok_or_else(|| ApiError::invalid("body", Common::BodyNotObject {}))?;
    let mut input = ArticleInput::default();
    let text = |k: &str, v: &Value| v.as_str().map(str::to_string).ok_or_else(|| ApiError::invalid(k, Common::NotString {}));
    for (k, v) in o {
        match k.as_str() {
            "key" if creating => input.key = if v.is_null() { None } else { Some(text(k, v)?) },
            "section" => input.section = text(k, v)?,
            "title" => input.title = text(k, v)?,
            "body" => input.body = text(k, v)?,
            "kind" => {
                let s = text(k, v)?;
                input.kind = ArticleKind::parse(&s).ok_or_else(|| ApiError::invalid("kind", KbMsg::KindUnknown { kind: s.clone() }))?;
            }
            "links" => {
                let list = v.as_array().ok_or_else(|| ApiError::invalid("links", Common::StringList {}))?;
                for l in list {
                    let s = l.as_str().ok_or_else(|| ApiError::invalid("links", Common::StringList {}))?;
                    input.links.push(Link::parse(s).ok_or_else(|| ApiError::invalid("links", KbMsg::LinkShape { link: s.to_string() }))?);
                }
            }
            // The read-only parts of an article as read back, so a client can PUT what it got.
            "id" | "version" | "created_at" | "updated_at" | "updated_by" | "updated_by_name" | "html" | "key" => {}
            other => return Err(ApiError::invalid(other, Common::UnknownField { expected: words(FIELDS) })),
        }
    }
    Ok(input)
}

fn respond(status: StatusCode, a: &Article) -> Response {
    let mut data = serde_json::to_value(a).unwrap_or(Value::Null);
    if let Some(m) = data.as_object_mut() {
        m.insert("html".into(), crate::markdown::render(&a.body).into());
    }
    let mut resp = (status, Json(json!({"data": data}))).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(a.version)) {
        resp.headers_mut().insert(header::ETAG, tag);
    }
    resp
}

fn version_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(ApiError::not_found)
}

pub async fn list(State(st): State<AppState>, Auth(actor): Auth, Query(q): Query<HashMap<String, String>>) -> ApiResult<Json<Value>> {
    for k in q.keys() {
        if k != "q" && k != "section" {
            return Err(ApiError::invalid(k.as_str(), Common::UnknownField { expected: words(["q", "section"]) }));
        }
    }
    let data = st.db.kb_list(&actor, q.get("q").map(String::as_str), q.get("section").map(String::as_str)).await?;
    Ok(Json(json!({"data": data})))
}

/// `GET /api/v1/kb/targets`: what articles may link to, with labels (the editor's picker).
pub async fn targets(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.kb_link_targets(&actor).await?})))
}

pub async fn sections(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.kb_sections(&actor).await?})))
}

pub async fn create(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let input = parse_input(&json_body(&body)?, true)?;
    Ok(respond(StatusCode::CREATED, &st.db.kb_create(&actor, input).await?))
}

pub async fn get(State(st): State<AppState>, Auth(actor): Auth, ApiPath(key): ApiPath<String>) -> ApiResult<Response> {
    Ok(respond(StatusCode::OK, &st.db.kb_get(&actor, &key).await?))
}

pub async fn put(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(key): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    let input = parse_input(&json_body(&body)?, false)?;
    Ok(respond(StatusCode::OK, &st.db.kb_update(&actor, &key, input, expected).await?))
}

pub async fn delete(State(st): State<AppState>, Auth(actor): Auth, ApiPath(key): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.kb_delete(&actor, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn versions(State(st): State<AppState>, Auth(actor): Auth, ApiPath(key): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.kb_versions(&actor, &key).await?})))
}

pub async fn version(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((key, n)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let v = st.db.kb_version(&actor, &key, version_of(&n)?).await?;
    let html = crate::markdown::render(&v.body);
    let mut data = serde_json::to_value(&v).unwrap_or(Value::Null);
    if let Some(m) = data.as_object_mut() {
        m.insert("html".into(), html.into());
    }
    Ok(Json(json!({"data": data})))
}

pub async fn restore(State(st): State<AppState>, Auth(actor): Auth, ApiPath((key, n)): ApiPath<(String, String)>) -> ApiResult<Response> {
    Ok(respond(StatusCode::OK, &st.db.kb_restore(&actor, &key, version_of(&n)?).await?))
}

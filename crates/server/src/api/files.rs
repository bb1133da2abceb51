//! Files on cards: `POST|GET /api/v1/{deals|persons|organizations|activities|notes}/{id}/files`
//! (upload as multipart, or the raw body with `?name=`; list), `GET /api/v1/files/{id}` (the
//! file's description), `GET /api/v1/files/{id}/content` (its bytes, always as an attachment),
//! `DELETE /api/v1/files/{id}`. A file is visible exactly when its card is. See docs/FILES.md.
use crate::api::extract::ApiPath;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::files::{content_disposition, FileName};
use poryadok_core::msg::{words, Common, FileMsg};
use poryadok_core::schema::Entity;
use poryadok_store::files::{FileStore, NewFile, RecordRef};
use serde_json::{json, Value};

/// What an upload may carry besides the file.
const OPTIONS: [&str; 2] = ["name", "kind"];

pub(crate) fn too_large(files: &FileStore) -> ApiError {
    ApiError::from_msg(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", FileMsg::TooLarge { max_mb: files.max_mb() }).with_field("file")
}

/// The card a collection path and an id name, if files attach to it.
pub(crate) fn record_of(collection: &str, id: i64) -> ApiResult<RecordRef> {
    let entity = Entity::from_path(collection).ok_or_else(ApiError::not_found)?;
    RecordRef::new(entity, id).map_err(|_| ApiError::not_found())
}

/// An upload: the file's bytes, its name and kind.
pub(crate) struct Upload {
    pub bytes: Vec<u8>,
    pub name: String,
    pub kind: Option<String>,
}

/// Reads an upload: a `multipart/form-data` body whose `file` part is the file (its file name
/// the name unless a `name` part gives one, a `kind` part the kind), or the raw file as the
/// body with `name` and `kind` in the query. Over the size limit: 413.
pub(crate) async fn read_upload(files: &FileStore, headers: &HeaderMap, query: Option<&str>, body: Body) -> ApiResult<Upload> {
    let limit = files.max_bytes as usize + 64 * 1024;
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| too_large(files))?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut options: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let (mut bytes, mut name) = (None, None);
    if content_type.starts_with("multipart/form-data") {
        let parts = crate::api::imports::multipart(content_type, &body).ok_or_else(|| ApiError::invalid("file", FileMsg::Missing {}))?;
        for (part, filename, data) in parts {
            match part.as_str() {
                "file" => {
                    bytes = Some(data);
                    name = filename;
                }
                "csrf_token" => {}
                _ => options.push((part, String::from_utf8_lossy(&data).into_owned())),
            }
        }
    } else {
        bytes = Some(body.to_vec());
    }
    let mut kind = None;
    for (k, v) in options {
        match k.as_str() {
            "name" if !v.trim().is_empty() => name = Some(v),
            "name" => {}
            "kind" => kind = Some(v),
            other => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(OPTIONS) })),
        }
    }
    let bytes = bytes.ok_or_else(|| ApiError::invalid("file", FileMsg::Missing {}))?;
    if bytes.len() as u64 > files.max_bytes {
        return Err(too_large(files));
    }
    Ok(Upload { bytes, name: name.unwrap_or_default(), kind })
}

/// `POST /api/v1/{collection}/{id}/files`: 201 with the file.
pub async fn upload(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((collection, id)): ApiPath<(String, i64)>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let record = record_of(&collection, id)?;
    let up = read_upload(&st.files, &headers, q.as_deref(), body).await?;
    let new = NewFile { name: &up.name, content_type: None, kind: up.kind.as_deref(), bytes: &up.bytes };
    let file = poryadok_store::files::attach(&st.db, &st.files, &actor, record, new).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": file}))).into_response())
}

/// `GET /api/v1/{collection}/{id}/files`: the card's files, newest first.
pub async fn list(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((collection, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let record = record_of(&collection, id)?;
    Ok(Json(json!({"data": st.db.list_files(&actor, record).await?})))
}

/// `GET /api/v1/files/{id}`.
pub async fn get(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.file(&actor, id).await?})))
}

/// A file's bytes as a download: the stored type, the name in `filename*`, never rendered by the
/// browser (attachment, `nosniff`, a sandboxing CSP).
pub(crate) fn download(file: &poryadok_store::files::StoredFile, bytes: Vec<u8>) -> Response {
    let disposition = FileName::parse(&file.name).map(|n| content_disposition(&n)).unwrap_or_else(|_| "attachment".into());
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, &file.content_type);
    set(header::CONTENT_DISPOSITION, &disposition);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'");
    set(header::CACHE_CONTROL, "private, max-age=0, must-revalidate");
    set(header::ETAG, &format!("\"{}\"", file.sha256));
    resp
}

/// `GET /api/v1/files/{id}/content`.
pub async fn content(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    let (file, bytes) = st.db.file_content(&st.files, &actor, id).await?;
    Ok(download(&file, bytes))
}

/// `DELETE /api/v1/files/{id}`: 204.
pub async fn delete(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    st.db.delete_file(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

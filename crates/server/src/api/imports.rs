//! Imports of a base from another CRM's export: `/api/v1/imports` (upload a file: the proposed
//! mappings and a preview), `/api/v1/imports/{id}` (one, with its last report),
//! `/api/v1/imports/{id}/run` (with the confirmed mappings; `dry_run` counts without writing)
//! and `/api/v1/imports/{id}/rollback`. See docs/IMPORT.md.
use super::json_body;
use crate::api::extract::ApiPath;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::import::{Duplicates, ImportEntity, Preset};
use poryadok_core::msg::{words, Common, ImportMsg, InvoiceMsg};
use poryadok_store::imports::{Import, ImportSettings, Upload, MAX_BYTES};
use serde_json::{json, Value};

/// What an upload request may carry besides the file (multipart parts take the same names).
const UPLOAD_OPTIONS: [&str; 3] = ["entity", "preset", "file_name"];

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

fn too_large() -> ApiError {
    ApiError::from_msg(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", ImportMsg::TooLarge { max_mb: (MAX_BYTES / 1024 / 1024) as i64 })
        .with_field("file")
}

/// The request body, at most [`MAX_BYTES`] of file plus a little for a multipart envelope; a
/// larger one is a 413 saying the limit.
pub(crate) async fn read_limited(body: Body) -> ApiResult<Vec<u8>> {
    let bytes = axum::body::to_bytes(body, MAX_BYTES + 64 * 1024).await.map_err(|_| too_large())?;
    Ok(bytes.to_vec())
}

/// The parts of a `multipart/form-data` body: `(name, file name, bytes)`.
/// A multipart part: its name, its file name, its bytes.
pub(crate) type Part = (String, Option<String>, Vec<u8>);

pub(crate) fn multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = content_type.split(';').map(str::trim).find_map(|p| p.strip_prefix("boundary="))?.trim_matches('"');
    if boundary.is_empty() {
        return None;
    }
    let delim = format!("--{boundary}").into_bytes();
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let mut rest = &body[find(body, &delim)? + delim.len()..];
    let mut parts = Vec::new();
    let mut end_marker = b"\r\n".to_vec();
    end_marker.extend_from_slice(&delim);
    while !rest.starts_with(b"--") {
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]).to_string();
        rest = &rest[head_end + 4..];
        let end = find(rest, &end_marker)?;
        let disposition = head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition")).unwrap_or("");
        let param =
            |key: &str| disposition.split(';').map(str::trim).find_map(|p| p.strip_prefix(key)).map(|n| n.trim_matches('"').to_string());
        parts.push((param("name=").unwrap_or_default(), param("filename="), rest[..end].to_vec()));
        rest = &rest[end + end_marker.len()..];
    }
    Some(parts)
}

/// An upload's file and options, from a multipart form or a raw body with the options in the query.
pub(crate) struct Uploaded {
    pub file: Vec<u8>,
    pub file_name: String,
    pub content_type: Option<String>,
    pub entity: ImportEntity,
    pub preset: Option<Preset>,
}

pub(crate) fn parse_upload(headers: &HeaderMap, query: Option<&str>, body: Vec<u8>) -> ApiResult<Uploaded> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut options: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let (file, mut file_name, file_type) = if content_type.starts_with("multipart/form-data") {
        let parts = multipart(&content_type, &body).ok_or_else(|| ApiError::invalid("file", InvoiceMsg::FileEmpty {}))?;
        let (mut file, mut name) = (Vec::new(), None);
        for (part, filename, data) in parts {
            if part == "file" {
                file = data;
                name = filename;
            } else if part != "csrf_token" {
                options.push((part, String::from_utf8_lossy(&data).into_owned()));
            }
        }
        (file, name, None)
    } else {
        let disposition = headers.get(header::CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let name = disposition.split(';').map(str::trim).find_map(|p| p.strip_prefix("filename=")).map(|n| n.trim_matches('"').to_string());
        (body, name, Some(content_type.clone()).filter(|t| !t.is_empty()))
    };
    if file.len() > MAX_BYTES {
        return Err(too_large());
    }
    let (mut entity, mut preset) = (ImportEntity::Deal, None);
    for (k, v) in &options {
        match k.as_str() {
            "entity" => entity = ImportEntity::parse(v).ok_or_else(|| ApiError::invalid("entity", ImportMsg::UnknownEntity {}))?,
            "preset" if v.is_empty() || v == "auto" => preset = None,
            "preset" => {
                preset = Some(
                    Preset::parse(v)
                        .ok_or_else(|| ApiError::invalid("preset", ImportMsg::UnknownPreset { expected: words(Preset::ALL) }))?,
                )
            }
            "file_name" => file_name = Some(v.clone()).filter(|n| !n.is_empty()),
            other => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(UPLOAD_OPTIONS) })),
        }
    }
    Ok(Uploaded { file, file_name: file_name.unwrap_or_else(|| "upload".into()), content_type: file_type, entity, preset })
}

async fn with_choices(st: &AppState, actor: &poryadok_store::Actor, import: &Import) -> ApiResult<Value> {
    let choices = st.db.import_choices(actor, import.entity).await?;
    Ok(json!({"data": import.to_json(), "choices": choices.to_json()}))
}

/// `POST /api/v1/imports[?entity=deal|person|organization][&preset=amocrm|bitrix24|pipedrive|generic][&file_name=…]`
/// with the file as the body, or as the `file` part of a multipart form whose other parts carry
/// the same options: 201 with the import, its proposed mappings, a preview and the workspace's
/// lists to map values to. A file over 100 MB is a 413.
pub async fn upload(
    State(st): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let body = read_limited(body).await?;
    let up = parse_upload(&headers, q.as_deref(), body)?;
    let import = st
        .db
        .upload_import(
            &actor,
            &Upload {
                file_name: &up.file_name,
                content_type: up.content_type.as_deref(),
                bytes: &up.file,
                entity: up.entity,
                preset: up.preset,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(with_choices(&st, &actor, &import).await?)).into_response())
}

/// `GET /api/v1/imports`: the latest imports first, with their counts.
pub async fn list(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    let list = st.db.imports(&actor, 100).await?;
    Ok(Json(json!({"data": list.iter().map(Import::to_json).collect::<Vec<_>>()})))
}

/// `GET /api/v1/imports/{id}`
pub async fn get(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    let import = st.db.import(&actor, id_of(&id)?).await?;
    Ok(Json(with_choices(&st, &actor, &import).await?))
}

/// The settings a run uses: the stored (proposed) ones with what the body changes — `columns`
/// (a target or null per header), `mapping` (`{"header": "target"}`), `values` (per list,
/// `{"file value": "target"}`, merged into the proposal), `duplicates`, `new_custom`.
pub(crate) fn settings_from(stored: &ImportSettings, headers: &[String], body: &Value) -> ApiResult<ImportSettings> {
    let mut s = stored.clone();
    let known = ["dry_run", "columns", "mapping", "values", "duplicates", "new_custom"];
    if let Some(obj) = body.as_object() {
        if let Some(k) = obj.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::invalid(k.as_str(), Common::UnknownParameter { expected: words(known) }));
        }
    }
    if let Some(cols) = body.get("columns").filter(|v| !v.is_null()) {
        let arr = cols.as_array().ok_or_else(|| ApiError::invalid("columns", Common::NotList {}))?;
        s.columns = arr.iter().map(|v| v.as_str().filter(|t| !t.is_empty()).map(str::to_string)).collect();
    }
    if let Some(map) = body.get("mapping").and_then(Value::as_object) {
        for (header, target) in map {
            let i = headers
                .iter()
                .position(|h| poryadok_core::import::same_name(h, header))
                .ok_or_else(|| ApiError::invalid(format!("mapping.{header}"), ImportMsg::NoColumn { header: header.clone() }))?;
            s.columns.resize(headers.len(), None);
            s.columns[i] = target.as_str().filter(|t| !t.is_empty()).map(str::to_string);
        }
    }
    if let Some(values) = body.get("values").and_then(Value::as_object) {
        for (kind, map) in values {
            let entry = s.values.entry(kind.clone()).or_default();
            for (from, to) in map.as_object().into_iter().flatten() {
                let to = match to {
                    Value::String(t) => t.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => String::new(),
                };
                entry.insert(from.clone(), to);
            }
        }
    }
    if let Some(d) = body.get("duplicates").filter(|v| !v.is_null()) {
        let d = d.as_str().and_then(Duplicates::parse).ok_or_else(|| ApiError::invalid("duplicates", ImportMsg::UnknownDuplicates {}))?;
        s.duplicates = d.as_str().to_string();
    }
    if let Some(n) = body.get("new_custom").and_then(Value::as_array) {
        s.new_custom = n
            .iter()
            .filter_map(|v| v.as_u64().map(|i| i as usize).or_else(|| v.as_str().and_then(|h| headers.iter().position(|x| x == h))))
            .collect();
    }
    Ok(s)
}

/// `POST /api/v1/imports/{id}/run` with `{"dry_run": true|false, …settings}`: the report —
/// counts of new, updated, skipped and failed rows and every failed row (line, column, code).
pub async fn run(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let id = id_of(&id)?;
    let body = if body.is_empty() { json!({}) } else { json_body(&body)? };
    let dry_run = match body.get("dry_run") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::invalid("dry_run", Common::NotBool {})),
    };
    let import = st.db.import(&actor, id).await?;
    let settings = settings_from(&import.settings, &import.headers, &body)?;
    let report = st.db.run_import(&actor, id, &settings, dry_run, &mut |_, _| {}).await?;
    Ok(Json(json!({"data": report.to_json()})))
}

/// `POST /api/v1/imports/{id}/rollback`: deletes what the import created and restores what it
/// updated; `{"deleted": n, "restored": n}`.
pub async fn rollback(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    let r = st.db.rollback_import(&actor, id_of(&id)?).await?;
    Ok(Json(json!({"data": r.to_json()})))
}

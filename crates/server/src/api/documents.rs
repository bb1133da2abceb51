//! Products, line items, document templates, numbering and documents (docs/DOCUMENTS.md):
//! `/api/v1/products[/{id}]`, `/api/v1/deals/{id}/line_items[/{item}]`,
//! `/api/v1/deals/{id}/line_items/settings`, `/api/v1/document_settings`,
//! `/api/v1/document_templates[/{id}[/content]]`, `/api/v1/document_templates/fields`,
//! `/api/v1/deals/{id}/documents`, `/api/v1/documents/{id}[/docx|/pdf]`.
use super::json_body;
use crate::api::extract::ApiPath;
use crate::api::records::{etag, if_match};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::documents::{DocType, PLACEHOLDERS};
use poryadok_core::msg::{words, Common, DocumentMsg};
use poryadok_core::Msg;
use poryadok_store::documents::{NewTemplate, MAX_TEMPLATE_MB};
use serde_json::{json, Value};

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn tagged(status: StatusCode, version: i64, body: Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

/// A template refusal: 422 with the message's own code (`template_not_docx`,
/// `docx_unknown_placeholder`…) and the position in its arguments.
pub fn template_error(field: &str, m: Msg) -> ApiError {
    ApiError::from_msg(StatusCode::UNPROCESSABLE_ENTITY, m.code(), m).with_field(field)
}

// -- Products ---------------------------------------------------------------------------------------

/// `GET /api/v1/products[?archived=true]`
pub async fn list_products(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let mut archived = false;
    for (k, v) in pairs(q.as_deref()) {
        match (k.as_str(), v.as_str()) {
            ("archived", "true" | "1") => archived = true,
            ("archived", "false" | "0" | "") => archived = false,
            ("archived", _) => return Err(ApiError::invalid("archived", Common::NotBool {})),
            (other, _) => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["archived"]) })),
        }
    }
    Ok(Json(json!({"data": st.db.products(&actor, archived).await?})))
}

pub async fn create_product(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let p = st.db.create_product(&actor, &json_body(&body)?).await?;
    Ok(tagged(StatusCode::CREATED, p.version, json!({"data": p})))
}

pub async fn get_product(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let p = st.db.product(&actor, id_of(&id)?).await?;
    Ok(tagged(StatusCode::OK, p.version, json!({"data": p})))
}

pub async fn update_product(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let p = st.db.update_product(&actor, id_of(&id)?, &json_body(&body)?, if_match(&headers)?).await?;
    Ok(tagged(StatusCode::OK, p.version, json!({"data": p})))
}

/// `DELETE /api/v1/products/{id}`: archives it (deals' lines keep their copy).
pub async fn archive_product(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    st.db.update_product(&actor, id_of(&id)?, &json!({"status": "archived"}), if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

// -- Line items -------------------------------------------------------------------------------------

/// `GET /api/v1/deals/{id}/line_items`: the lines, their sums and the totals.
pub async fn list_lines(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.line_items(&actor, id_of(&id)?).await?})))
}

pub async fn add_line(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>, body: Bytes) -> ApiResult<Response> {
    let l = st.db.add_line_item(&actor, id_of(&id)?, &json_body(&body)?).await?;
    Ok(tagged(StatusCode::CREATED, l.version, json!({"data": l})))
}

pub async fn update_line(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((deal, item)): ApiPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let l = st.db.update_line_item(&actor, id_of(&deal)?, id_of(&item)?, &json_body(&body)?, if_match(&headers)?).await?;
    Ok(tagged(StatusCode::OK, l.version, json!({"data": l})))
}

pub async fn delete_line(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((deal, item)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    st.db.delete_line_item(&actor, id_of(&deal)?, id_of(&item)?, if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/deals/{id}/line_items/settings` with `{value_from_items}`.
pub async fn line_settings(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_body(&body)?;
    let on =
        body.get("value_from_items").and_then(Value::as_bool).ok_or_else(|| ApiError::invalid("value_from_items", Common::NotBool {}))?;
    if let Some(k) = body.as_object().and_then(|o| o.keys().find(|k| *k != "value_from_items")) {
        return Err(ApiError::invalid(k.clone(), Common::UnknownField { expected: words(["value_from_items"]) }));
    }
    Ok(Json(json!({"data": st.db.set_value_from_items(&actor, id_of(&id)?, on).await?})))
}

// -- Settings and numbering ---------------------------------------------------------------------------

fn year_of(day: &str) -> i32 {
    day.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970)
}

/// `GET /api/v1/document_settings`: whether prices include VAT and each type's numbering.
pub async fn get_settings(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    let year = year_of(&st.db.today(&actor));
    Ok(Json(json!({"data": {
        "prices_include_vat": st.db.prices_include_vat(actor.ws_id()).await?,
        "numbering": st.db.numbering(&actor, year).await?,
    }})))
}

/// `PUT /api/v1/document_settings` with `{prices_include_vat?, prefixes?: {invoice: "СЧ-{year}-"}}`.
pub async fn put_settings(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    let body = json_body(&body)?;
    let obj = body.as_object().ok_or_else(|| ApiError::invalid("body", Common::BodyNotObject {}))?;
    for (k, v) in obj {
        match k.as_str() {
            "prices_include_vat" => {
                let on = v.as_bool().ok_or_else(|| ApiError::invalid(k.clone(), Common::NotBool {}))?;
                st.db.set_prices_include_vat(&actor, on).await?;
            }
            "prefixes" => {
                let m = v.as_object().ok_or_else(|| ApiError::invalid(k.clone(), Common::BodyNotObject {}))?;
                for (t, p) in m {
                    let t = DocType::parse(t).map_err(|m| ApiError::invalid(format!("prefixes.{t}"), m))?;
                    let p = p.as_str().ok_or_else(|| ApiError::invalid("prefixes", Common::NotString {}))?;
                    st.db.set_prefix(&actor, t, p).await?;
                }
            }
            other => return Err(ApiError::invalid(other, Common::UnknownField { expected: words(["prices_include_vat", "prefixes"]) })),
        }
    }
    get_settings(State(st), Auth(actor)).await
}

// -- Templates --------------------------------------------------------------------------------------

/// `GET /api/v1/document_templates/fields`: every placeholder with its labels.
pub async fn fields() -> Json<Value> {
    let list: Vec<Value> = PLACEHOLDERS
        .iter()
        .map(|p| json!({"name": p.name, "placeholder": format!("{{{}}}", p.name), "label_ru": p.ru, "label_en": p.en, "optional": p.optional, "per_item": p.per_item}))
        .collect();
    Json(json!({"data": list, "loop": {"open": "{#items}", "close": "{/items}"}}))
}

pub async fn list_templates(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.doc_templates(&actor).await?})))
}

pub async fn get_template(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let (t, _) = st.db.doc_template(&actor, id_of(&id)?).await?;
    Ok(tagged(StatusCode::OK, t.version, json!({"data": t})))
}

/// `GET /api/v1/document_templates/{id}/content`: the DOCX as uploaded.
pub async fn template_content(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let (t, bytes) = st.db.doc_template(&actor, id_of(&id)?).await?;
    Ok(download(&format!("{}.docx", t.name), DOCX_TYPE, bytes))
}

pub const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn download(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    if let Some(v) = poryadok_core::files::FileName::parse(name)
        .ok()
        .and_then(|n| HeaderValue::from_str(&poryadok_core::files::content_disposition(&n)).ok())
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// Checks and stores an uploaded template; the shared path of the API and the settings page.
pub async fn store_template(st: &AppState, actor: &poryadok_store::Actor, name: &str, doc_type: &str, bytes: &[u8]) -> ApiResult<Value> {
    if bytes.len() as i64 > MAX_TEMPLATE_MB * 1024 * 1024 {
        return Err(ApiError::from_msg(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            DocumentMsg::TemplateTooLarge { max_mb: MAX_TEMPLATE_MB },
        )
        .with_field("file"));
    }
    let t = DocType::parse(doc_type).map_err(|m| ApiError::invalid("doc_type", m))?;
    let checked = crate::docx::check(bytes).map_err(|m| template_error("file", m))?;
    let info = st.db.create_doc_template(actor, &NewTemplate { name, doc_type: t, bytes, fields: &checked.fields, builtin: false }).await?;
    Ok(json!(info))
}

/// `POST /api/v1/document_templates?name=&kind=` with the DOCX as the body, or multipart
/// (`file`, `name`, `kind`); `kind` is the document type (`invoice`, `act`, `contract`,
/// `proposal`, `other`; default `other`).
pub async fn upload_template(
    State(st): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let up = crate::api::files::read_upload(&st.files, &headers, q.as_deref(), body).await?;
    let doc_type = up.kind.clone().unwrap_or_else(|| "other".into());
    let name = up.name.trim_end_matches(".docx").to_string();
    let info = store_template(&st, &actor, &name, &doc_type, &up.bytes).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": info}))).into_response())
}

/// `POST /api/v1/document_templates/builtin`: adds the built-in Russian templates the workspace
/// does not have yet (administrators); the ones added.
pub async fn install_builtin(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Response> {
    if !actor.caller.role.can_manage_settings() {
        return Err(ApiError::from_msg(StatusCode::FORBIDDEN, "forbidden", DocumentMsg::AdminsOnly {}));
    }
    let added = crate::docx_builtin::install(&st.db, &actor).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": added}))).into_response())
}

pub async fn delete_template(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.delete_doc_template(&actor, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

// -- Documents --------------------------------------------------------------------------------------

/// `POST /api/v1/deals/{id}/documents` with `{template_id, pdf?: true}`: the document, its DOCX
/// on the deal and its PDF queued.
pub async fn create_document(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let obj = body.as_object().ok_or_else(|| ApiError::invalid("body", Common::BodyNotObject {}))?;
    if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "template_id" | "pdf")) {
        return Err(ApiError::invalid(k.clone(), Common::UnknownField { expected: words(["template_id", "pdf"]) }));
    }
    let template_id = obj
        .get("template_id")
        .ok_or_else(|| ApiError::invalid("template_id", Common::Required {}))?
        .as_i64()
        .ok_or_else(|| ApiError::invalid("template_id", Common::NotInteger {}))?;
    let pdf = match obj.get("pdf") {
        None => true,
        Some(v) => v.as_bool().ok_or_else(|| ApiError::invalid("pdf", Common::NotBool {}))?,
    };
    let r = crate::documents::render(&st.db, &st.files, &actor, id_of(&id)?, template_id, pdf).await?;
    if pdf {
        st.worker_wake.notify_one();
    }
    Ok((StatusCode::CREATED, Json(json!({"data": r.document}))).into_response())
}

pub async fn list_documents(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.documents(&actor, id_of(&id)?).await?})))
}

pub async fn get_document(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.document(&actor, id_of(&id)?).await?})))
}

/// `GET /api/v1/documents/{id}/docx` and `/pdf`: the file, as an attachment.
pub async fn document_file(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((id, kind)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let d = st.db.document(&actor, id_of(&id)?).await?;
    let file_id = match kind.as_str() {
        "docx" => d.docx_file_id,
        "pdf" => Some(d.pdf_file_id.ok_or_else(|| ApiError::from_msg(StatusCode::CONFLICT, "document_no_pdf", DocumentMsg::NoPdf {}))?),
        _ => return Err(ApiError::not_found()),
    }
    .ok_or_else(ApiError::not_found)?;
    let (f, bytes) = st.db.file_content(&st.files, &actor, file_id).await?;
    Ok(download(&f.name, &f.content_type, bytes))
}

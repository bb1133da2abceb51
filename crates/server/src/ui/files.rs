//! The "Files" block of the deal, person and organization cards: the card's files (name, size,
//! who, when, kind) with a download link and a delete button that asks first, and an upload form
//! whose file input also takes a file dropped on it (`files.js`).
//!
//! - `GET /files/card/{collection}/{id}` — the block (the cards load it with htmx);
//! - `POST /files/card/{collection}/{id}` — attach (multipart, htmx; the CSRF token in the header);
//! - `POST /files/{id}/delete` — remove, then the block again;
//! - `GET /files/{id}/download` — the bytes, as the API's download.
use super::i18n::T;
use super::kit::{render, render_status, OrUi, UiResult};
use super::Ui;
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use poryadok_store::files::{NewFile, RecordRef, StoredFile};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/files/card/{collection}/{id}", get(block).post(upload))
        .route("/files/{id}/delete", post(delete))
        .route("/files/{id}/download", get(download))
}

pub struct FileRow {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub who: String,
    pub when: String,
    pub kind: String,
}

#[derive(Template)]
#[template(path = "files_block.html")]
pub struct Block {
    pub t: T,
    pub csrf: String,
    pub action: String,
    pub rows: Vec<FileRow>,
    pub kinds: Vec<(String, String)>,
    pub may_write: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub max: String,
}

/// A size as people read it: 512 Б, 2,4 КБ, 1,5 МБ.
pub fn size(t: T, bytes: i64) -> String {
    let (n, unit) = match bytes {
        b if b < 1024 => (b.to_string(), "files.unit.b"),
        b if b < 1024 * 1024 => (one_decimal(t, b as f64 / 1024.0), "files.unit.kb"),
        b => (one_decimal(t, b as f64 / 1024.0 / 1024.0), "files.unit.mb"),
    };
    format!("{n} {}", t.t(unit))
}

fn one_decimal(t: T, x: f64) -> String {
    let s = format!("{x:.1}");
    if t.lang == poryadok_core::Lang::Ru {
        s.replace('.', ",")
    } else {
        s
    }
}

/// A kind as the reader reads it: a built-in kind in their language, any other as typed.
pub fn kind_label(t: T, kind: &str) -> String {
    let key = format!("files.kind.{kind}");
    let label = t.t(&key);
    if label == key {
        kind.to_string()
    } else {
        label.to_string()
    }
}

fn record_of(ui: &Ui, collection: &str, id: i64) -> Result<RecordRef, super::UiError> {
    crate::api::files::record_of(collection, id).map_err(|_| ui.fail(poryadok_store::StoreError::NotFound))
}

async fn build(st: &AppState, ui: &Ui, record: RecordRef) -> Result<Block, super::UiError> {
    let files = st.db.list_files(&ui.actor, record).await.or_ui(ui)?;
    let fmt = ui.fmt();
    let rows = files
        .iter()
        .map(|f: &StoredFile| FileRow {
            id: f.id,
            name: f.name.clone(),
            size: size(ui.t, f.size),
            who: f.uploaded_by_name.clone().unwrap_or_else(|| ui.t.t("card.h.system").to_string()),
            when: fmt.datetime(f.created_at),
            kind: f.kind.as_deref().map(|k| kind_label(ui.t, k)).unwrap_or_default(),
        })
        .collect();
    let kinds = st.db.file_kinds(&ui.actor).await.or_ui(ui)?.into_iter().map(|k| (kind_label(ui.t, &k), k)).collect();
    Ok(Block {
        t: ui.t,
        csrf: ui.csrf.clone(),
        action: format!("/files/card/{}/{}", record.entity.path(), record.id),
        rows,
        kinds,
        may_write: ui.actor.caller.may_write(record.entity).is_ok(),
        notice: None,
        error: None,
        max: size(ui.t, st.files.max_bytes as i64),
    })
}

async fn block(State(st): State<AppState>, ui: Ui, Path((collection, id)): Path<(String, i64)>) -> UiResult {
    let record = record_of(&ui, &collection, id)?;
    Ok(render(&build(&st, &ui, record).await?))
}

async fn upload(
    State(st): State<AppState>,
    ui: Ui,
    Path((collection, id)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Body,
) -> UiResult {
    let record = record_of(&ui, &collection, id)?;
    let attached = match crate::api::files::read_upload(&st.files, &headers, None, body).await {
        Ok(up) => {
            let new = NewFile { name: &up.name, content_type: None, kind: up.kind.as_deref(), bytes: &up.bytes };
            poryadok_store::files::attach(&st.db, &st.files, &ui.actor, record, new).await.map_err(|e| {
                let line = super::messages::refusal_line(&ui.t, &e);
                let api: crate::error::ApiError = e.into();
                (api.status, line.unwrap_or_else(|| ui.t.t("error.internal").to_string()))
            })
        }
        Err(e) => Err((e.status, super::messages::say_api_error(&ui.t, &e))),
    };
    let mut page = build(&st, &ui, record).await?;
    match attached {
        Ok(f) => {
            page.notice = Some(ui.t.fmt("files.attached", [("name", f.name.as_str())].as_slice()));
            Ok(render(&page))
        }
        Err((StatusCode::NOT_FOUND, _)) => Err(ui.fail(poryadok_store::StoreError::NotFound)),
        Err((status, message)) => {
            page.error = Some(message);
            Ok(render_status(status, &page))
        }
    }
}

async fn delete(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    let file = st.db.file(&ui.actor, id).await.or_ui(&ui)?;
    let entity = poryadok_core::schema::Entity::from_name(&file.entity).ok_or_else(|| ui.fail(poryadok_store::StoreError::NotFound))?;
    let record = RecordRef::new(entity, file.record_id).or_ui(&ui)?;
    st.db.delete_file(&ui.actor, id).await.or_ui(&ui)?;
    let mut page = build(&st, &ui, record).await?;
    page.notice = Some(ui.t.fmt("files.removed", [("name", file.name.as_str())].as_slice()));
    Ok(render(&page))
}

async fn download(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    let (file, bytes) = st.db.file_content(&st.files, &ui.actor, id).await.or_ui(&ui)?;
    Ok(crate::api::files::download(&file, bytes))
}

//! The "Documents" panel of the deal card (docs/DOCUMENTS.md): the workspace's templates to make
//! a document from, the deal's documents (number, type, date) with their DOCX and the state of
//! their PDF, and — when the workspace has no templates — the built-in ones for administrators.
//!
//! - `GET /documents/card/deals/{id}` — the panel (the card loads it with htmx);
//! - `POST /documents/card/deals/{id}` — make a document (`template_id`), then the panel again;
//! - `POST /documents/card/deals/{id}/builtin` — install the built-in templates (administrators).
//!
//! The files themselves download through the files block's `/files/{id}/download`.
use super::i18n::T;
use super::kit::{render, render_status, OrUi, UiResult};
use super::Ui;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::documents::DocType;
use poryadok_core::Msg;
use poryadok_store::documents::Document;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/documents/card/deals/{id}", get(block).post(generate)).route("/documents/card/deals/{id}/builtin", post(builtin))
}

pub struct DocRow {
    pub id: i64,
    pub number: String,
    pub kind: String,
    pub date: String,
    pub docx: Option<i64>,
    pub pdf: Option<i64>,
    /// `pending`, `done`, `failed` or `none`.
    pub pdf_status: String,
    pub pdf_error: String,
}

#[derive(Template)]
#[template(path = "documents_block.html")]
pub struct Block {
    pub t: T,
    pub csrf: String,
    pub deal_id: i64,
    pub rows: Vec<DocRow>,
    /// (id, name)
    pub templates: Vec<(i64, String)>,
    pub may_write: bool,
    pub is_admin: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

fn row(ui: &Ui, d: &Document) -> DocRow {
    let why = d.pdf_error.as_ref().map(|e| {
        let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
        let args = e.get("args").and_then(|a| a.as_object()).cloned().unwrap_or_default();
        match Msg::from_code(code, &args) {
            Some(m) => super::messages::say(&ui.t, &m),
            None => e.get("message").and_then(|m| m.as_str()).unwrap_or("").to_string(),
        }
    });
    DocRow {
        id: d.id,
        number: d.number.clone(),
        kind: DocType::parse(&d.doc_type).unwrap_or(DocType::Other).label(ui.t.lang).to_string(),
        date: ui.fmt().date_str(&d.date),
        docx: d.docx_file_id,
        pdf: d.pdf_file_id,
        pdf_status: d.pdf_status.clone(),
        pdf_error: why.unwrap_or_default(),
    }
}

async fn build(st: &AppState, ui: &Ui, deal_id: i64) -> Result<Block, super::UiError> {
    let docs = st.db.documents(&ui.actor, deal_id).await.or_ui(ui)?;
    let templates = st.db.doc_templates(&ui.actor).await.or_ui(ui)?.into_iter().map(|t| (t.id, t.name)).collect();
    Ok(Block {
        t: ui.t,
        csrf: ui.csrf.clone(),
        deal_id,
        rows: docs.iter().map(|d| row(ui, d)).collect(),
        templates,
        may_write: ui.actor.caller.may_write(poryadok_core::schema::Entity::Deal).is_ok(),
        is_admin: ui.is_admin(),
        notice: None,
        error: None,
    })
}

async fn block(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    Ok(render(&build(&st, &ui, id).await?))
}

async fn generate(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let template_id = form.get("template_id").and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(0);
    let made = crate::documents::render(&st.db, &st.files, &ui.actor, id, template_id, true).await;
    if made.is_ok() {
        st.worker_wake.notify_one();
    }
    let mut page = build(&st, &ui, id).await?;
    match made {
        Ok(r) => {
            page.notice = Some(ui.t.fmt("documents.made", [("number", r.document.number.as_str())].as_slice()));
            Ok(render(&page))
        }
        Err(poryadok_store::StoreError::NotFound) => Err(ui.fail(poryadok_store::StoreError::NotFound)),
        Err(e) => {
            let line = super::messages::refusal_line(&ui.t, &e).unwrap_or_else(|| ui.t.t("error.internal").to_string());
            let api: crate::error::ApiError = e.into();
            page.error = Some(line);
            Ok(render_status(api.status, &page))
        }
    }
}

async fn builtin(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    if !ui.actor.caller.role.can_manage_settings() {
        return Err(ui.forbidden());
    }
    let added = crate::docx_builtin::install(&st.db, &ui.actor).await.or_ui(&ui)?;
    let mut page = build(&st, &ui, id).await?;
    page.notice = Some(ui.t.fmt("documents.installed", [("count", added.len().to_string().as_str())].as_slice()));
    Ok(render_status(StatusCode::OK, &page))
}

//! Settings → Документы / Documents (administrators; docs/DOCUMENTS.md): the DOCX templates —
//! upload (multipart, checked: a file that is not a DOCX, an unknown placeholder named with its
//! place, too large), list, download, replace, delete, the built-in ones — with every placeholder
//! the filler understands listed beside the upload; and the numbering: each document type's
//! prefix and this year's next number, and whether prices include VAT.
//!
//! - `GET /settings/documents` — the page;
//! - `POST /settings/documents/templates` — upload (multipart: `file`, `name`, `kind`; htmx sends
//!   the CSRF token in its header); with `replace` = a template id, the new file takes that
//!   template's place (the old one is removed once the new one is stored);
//! - `GET /settings/documents/templates/{id}/download`, `POST …/{id}/delete`;
//! - `POST /settings/documents/builtin` — add the built-in Russian templates;
//! - `POST /settings/documents/numbering` — prefixes, next numbers, prices with VAT.
use super::i18n::T;
use super::kit::{render_status, Admin, OrUi, UiResult};
use super::settings::NavItem;
use super::{Ctx, Ui};
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::documents::{DocType, PLACEHOLDERS};
use poryadok_store::documents::MAX_TEMPLATE_MB;
use std::collections::HashMap;

pub const HREF: &str = "/settings/documents";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HREF, get(show))
        .route("/settings/documents/templates", post(upload))
        .route("/settings/documents/templates/{id}/download", get(download))
        .route("/settings/documents/templates/{id}/delete", post(delete))
        .route("/settings/documents/builtin", post(builtin))
        .route("/settings/documents/numbering", post(numbering))
}

pub fn nav_item(t: &T, active: bool) -> NavItem {
    NavItem { href: HREF.into(), label: t.t("docset.nav"), active }
}

pub struct TemplateRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub size: String,
    pub fields: usize,
    pub builtin: bool,
}

pub struct FieldGroup {
    pub title: String,
    /// (placeholder as typed, label, optional)
    pub fields: Vec<(String, String, bool)>,
}

pub struct NumberRow {
    pub code: &'static str,
    pub label: &'static str,
    pub prefix: String,
    pub next_number: String,
    pub next: String,
    pub error: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "settings_documents.html")]
struct Page {
    ctx: Ctx,
    t: T,
    nav: Vec<NavItem>,
    csrf: String,
    templates: Vec<TemplateRow>,
    kinds: Vec<(&'static str, &'static str)>,
    groups: Vec<FieldGroup>,
    numbers: Vec<NumberRow>,
    year: i32,
    prices_include_vat: bool,
    max_mb: i64,
    /// The upload's name and kind as sent, when it was refused.
    upload_name: String,
    upload_kind: String,
    notice: Option<String>,
    error: Option<String>,
    numbering_notice: Option<String>,
}

fn year_of(day: &str) -> i32 {
    day.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970)
}

fn groups(t: T) -> Vec<FieldGroup> {
    let mut out: Vec<FieldGroup> = Vec::new();
    for p in PLACEHOLDERS {
        let group = p.name.split('.').next().unwrap_or("");
        let title = t.t(&format!("docset.group.{group}")).to_string();
        let field = (format!("{{{}}}", p.name), p.label(t.lang).to_string(), p.optional && !p.per_item);
        match out.last_mut() {
            Some(g) if g.title == title => g.fields.push(field),
            _ => out.push(FieldGroup { title, fields: vec![field] }),
        }
    }
    out
}

type TypedNumbering = (HashMap<String, (String, String)>, String, (String, String));

#[derive(Default)]
struct View {
    notice: Option<String>,
    error: Option<String>,
    upload_name: String,
    upload_kind: String,
    numbering_notice: Option<String>,
    /// The numbering form as typed, when refused: code → (prefix, next number), the type refused
    /// and the refusal (field, text).
    typed: Option<TypedNumbering>,
}

async fn page(st: &AppState, ui: &Ui, v: View, status: StatusCode) -> UiResult {
    let year = year_of(&st.db.today(&ui.actor));
    let list = st.db.doc_templates(&ui.actor).await.or_ui(ui)?;
    let templates = list
        .iter()
        .map(|t| TemplateRow {
            id: t.id,
            name: t.name.clone(),
            kind: DocType::parse(&t.doc_type).unwrap_or(DocType::Other).label(ui.t.lang).to_string(),
            size: super::files::size(ui.t, t.size),
            fields: t.fields.len(),
            builtin: t.builtin,
        })
        .collect();
    let numbering = st.db.numbering(&ui.actor, year).await.or_ui(ui)?;
    let numbers = numbering
        .into_iter()
        .filter_map(|n| {
            let t = DocType::parse(&n.doc_type).ok()?;
            let (prefix, next_number, error) = match &v.typed {
                Some((typed, code, err)) => {
                    let (p, x) = typed.get(t.code()).cloned().unwrap_or((n.prefix.clone(), n.next_number.to_string()));
                    (p, x, (code == t.code()).then(|| err.clone()))
                }
                None => (n.prefix.clone(), n.next_number.to_string(), None),
            };
            Some(NumberRow { code: t.code(), label: t.label(ui.t.lang), prefix, next_number, next: n.next, error })
        })
        .collect();
    let mut nav = super::settings::nav_outside(&ui.t);
    for item in &mut nav {
        item.active = item.href == HREF;
    }
    let title = format!("{} · {}", ui.t.t("nav.settings"), ui.t.t("docset.title"));
    let page = Page {
        ctx: ui.ctx("settings", title),
        t: ui.t,
        nav,
        csrf: ui.csrf.clone(),
        templates,
        kinds: DocType::ALL.iter().map(|k| (k.code(), k.label(ui.t.lang))).collect(),
        groups: groups(ui.t),
        numbers,
        year,
        prices_include_vat: st.db.prices_include_vat(ui.actor.ws_id()).await.or_ui(ui)?,
        max_mb: MAX_TEMPLATE_MB,
        upload_name: v.upload_name,
        upload_kind: v.upload_kind,
        notice: v.notice,
        error: v.error,
        numbering_notice: v.numbering_notice,
    };
    Ok(render_status(status, &page))
}

async fn show(State(st): State<AppState>, Admin(ui): Admin) -> UiResult {
    page(&st, &ui, View::default(), StatusCode::OK).await
}

/// Reads the multipart upload: the file, `name`, `kind` and `replace`.
async fn upload(State(st): State<AppState>, Admin(ui): Admin, headers: HeaderMap, body: Body) -> UiResult {
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let limit = (MAX_TEMPLATE_MB as usize + 1) * 1024 * 1024;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            let error = ui.t.fmt("docset.too_large", [("max", MAX_TEMPLATE_MB.to_string().as_str())].as_slice());
            return page(&st, &ui, View { error: Some(error), ..View::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let parts = crate::api::imports::multipart(&content_type, &bytes).unwrap_or_default();
    let text =
        |k: &str| parts.iter().find(|(n, _, _)| n == k).map(|(_, _, v)| String::from_utf8_lossy(v).trim().to_string()).unwrap_or_default();
    let (name, kind, replace) = (text("name"), text("kind"), text("replace").parse::<i64>().ok());
    let (file_name, file) =
        parts.iter().find(|(n, _, _)| n == "file").map(|(_, f, v)| (f.clone().unwrap_or_default(), v.as_slice())).unwrap_or_default();
    let refuse = |msg: String| View { error: Some(msg), upload_name: name.clone(), upload_kind: kind.clone(), ..View::default() };
    if file.is_empty() {
        return page(&st, &ui, refuse(ui.t.t("docset.no_file").to_string()), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    // The name: as typed; else, for a replacement, the replaced template's; else the file's.
    let old = match replace {
        Some(id) => Some(st.db.doc_template(&ui.actor, id).await.or_ui(&ui)?.0),
        None => None,
    };
    let name = if !name.is_empty() {
        name.clone()
    } else if let Some(o) = &old {
        o.name.clone()
    } else {
        file_name.trim_end_matches(".docx").trim_end_matches(".DOCX").to_string()
    };
    let kind = if kind.is_empty() { old.as_ref().map(|o| o.doc_type.clone()).unwrap_or_else(|| "other".into()) } else { kind.clone() };
    match crate::api::documents::store_template(&st, &ui.actor, &name, &kind, file).await {
        Ok(_) => {
            if let Some(o) = &old {
                st.db.delete_doc_template(&ui.actor, o.id).await.or_ui(&ui)?;
            }
            let key = if old.is_some() { "docset.replaced" } else { "docset.uploaded" };
            let notice = ui.t.fmt(key, [("name", name.as_str())].as_slice());
            page(&st, &ui, View { notice: Some(notice), ..View::default() }, StatusCode::OK).await
        }
        Err(e) => {
            let mut msg = super::messages::say_api_error(&ui.t, &e);
            if let Some(o) = &old {
                msg = format!("{} {msg}", ui.t.fmt("docset.replace_refused", [("name", o.name.as_str())].as_slice()));
            }
            page(&st, &ui, refuse(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

async fn download(State(st): State<AppState>, Admin(ui): Admin, Path(id): Path<i64>) -> UiResult {
    let (t, bytes) = st.db.doc_template(&ui.actor, id).await.or_ui(&ui)?;
    Ok(super::kit::download(bytes, crate::api::documents::DOCX_TYPE, &format!("{}.docx", t.name)))
}

async fn delete(State(st): State<AppState>, Admin(ui): Admin, Path(id): Path<i64>) -> UiResult {
    let (t, _) = st.db.doc_template(&ui.actor, id).await.or_ui(&ui)?;
    st.db.delete_doc_template(&ui.actor, id).await.or_ui(&ui)?;
    let notice = ui.t.fmt("docset.deleted", [("name", t.name.as_str())].as_slice());
    page(&st, &ui, View { notice: Some(notice), ..View::default() }, StatusCode::OK).await
}

async fn builtin(State(st): State<AppState>, Admin(ui): Admin) -> UiResult {
    let added = crate::docx_builtin::install(&st.db, &ui.actor).await.or_ui(&ui)?;
    let notice = ui.t.fmt("documents.installed", [("count", added.len().to_string().as_str())].as_slice());
    page(&st, &ui, View { notice: Some(notice), ..View::default() }, StatusCode::OK).await
}

async fn numbering(State(st): State<AppState>, Admin(ui): Admin, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let year = year_of(&st.db.today(&ui.actor));
    let current = st.db.numbering(&ui.actor, year).await.or_ui(&ui)?;
    let typed: HashMap<String, (String, String)> = DocType::ALL
        .iter()
        .map(|t| {
            let get = |k: &str| form.get(&format!("{k}_{}", t.code())).map(|s| s.trim().to_string()).unwrap_or_default();
            (t.code().to_string(), (get("prefix"), get("next")))
        })
        .collect();
    let refuse = |code: &str, e: poryadok_store::StoreError| -> Result<View, super::UiError> {
        let err = super::kit::field_error(&ui.t, &e).ok_or_else(|| ui.fail(e))?;
        Ok(View { typed: Some((typed.clone(), code.to_string(), err)), ..View::default() })
    };
    for n in &current {
        let Ok(t) = DocType::parse(&n.doc_type) else { continue };
        let (prefix, next) = typed.get(t.code()).cloned().unwrap_or_default();
        if prefix != n.prefix {
            if let Err(e) = st.db.set_prefix(&ui.actor, t, &prefix).await {
                return page(&st, &ui, refuse(t.code(), e)?, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
        if next != n.next_number.to_string() {
            let r = match next.parse::<i64>() {
                Ok(x) => st.db.set_next_number(&ui.actor, t, year, x).await,
                Err(_) => Err(poryadok_store::StoreError::invalid("next_number", poryadok_core::msg::DocumentMsg::NextNumberShape {})),
            };
            if let Err(e) = r {
                return page(&st, &ui, refuse(t.code(), e)?, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
    }
    let with_vat = form.contains_key("prices_include_vat");
    if with_vat != st.db.prices_include_vat(ui.actor.ws_id()).await.or_ui(&ui)? {
        st.db.set_prices_include_vat(&ui.actor, with_vat).await.or_ui(&ui)?;
    }
    let notice = ui.t.t("docset.numbering_saved").to_string();
    page(&st, &ui, View { numbering_notice: Some(notice), ..View::default() }, StatusCode::OK).await
}

//! Регламент / Regulation: the document every user reads (seed 004), generated from the
//! configuration. `GET /regulation[?since=YYYY-MM-DD]` shows it with the changes since the date
//! (or within the workspace's highlight period) in yellow; `POST /regulation/read` records "I
//! have read version N"; heads and administrators see who has read the current version and set
//! how many days a change stays highlighted (`POST /regulation/settings`). The DOCX and the PDF
//! are `/regulation/document.docx` and `/regulation/document.pdf` (same `since`).
use super::i18n::T;
use super::kit::{render, OrUi, UiResult};
use super::{Ctx, Ui};
use crate::api::regulation_doc::{assemble, download, local_date, parse_day, Assembled};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::domain::Role;
use poryadok_core::msg::Msg;
use poryadok_core::regulation_doc::BlockKind;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/regulation", get(show))
        .route("/regulation/document.docx", get(docx))
        .route("/regulation/document.pdf", get(pdf))
        .route("/regulation/read", post(read))
        .route("/regulation/settings", post(settings))
}

/// One line of the document as the page shows it.
pub struct Line {
    /// `h3`, `h4`, `p`, `warn`, `req`, `li`, `toc`.
    pub tag: &'static str,
    pub text: String,
    pub changed: bool,
    /// A contents line's target.
    pub href: String,
}

/// Consecutive lines of a kind: a list (`ul`) or standalone lines.
pub struct Group {
    pub list: bool,
    pub lines: Vec<Line>,
}

pub struct SectionView {
    pub id: String,
    pub title: String,
    pub groups: Vec<Group>,
}

pub struct ReaderRow {
    pub name: String,
    pub role: String,
    pub read_at: Option<String>,
    pub last: Option<i64>,
}

#[derive(Template)]
#[template(path = "regulation_doc.html")]
struct Page {
    ctx: Ctx,
    t: T,
    csrf: String,
    title: String,
    version: i64,
    version_line: String,
    since: String,
    since_line: Option<String>,
    sections: Vec<SectionView>,
    removed: Vec<String>,
    read_line: Option<String>,
    query: String,
    can_manage: bool,
    readers: Vec<ReaderRow>,
    read_count: String,
    highlight_days: i64,
    notice: Option<String>,
}

fn sections(a: &Assembled) -> Vec<SectionView> {
    a.document
        .sections
        .iter()
        .map(|s| {
            let mut groups: Vec<Group> = Vec::new();
            for b in &s.blocks {
                let (tag, list) = match b.kind {
                    BlockKind::Heading2 => ("h3", false),
                    BlockKind::Heading3 => ("h4", false),
                    BlockKind::Para => ("p", false),
                    BlockKind::Warning => ("warn", false),
                    BlockKind::Required => ("req", true),
                    BlockKind::Item => ("li", true),
                    BlockKind::Contents => ("toc", true),
                };
                let href = b.key.strip_prefix("contents.").map(|id| format!("#{id}")).unwrap_or_default();
                let line = Line { tag, text: b.text.clone(), changed: b.changed, href };
                match groups.last_mut() {
                    Some(g) if g.list == list => g.lines.push(line),
                    _ => groups.push(Group { list, lines: vec![line] }),
                }
            }
            SectionView { id: s.id.clone(), title: s.title.clone(), groups }
        })
        .collect()
}

fn params(q: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn may_manage(ui: &Ui) -> bool {
    matches!(ui.actor.caller.role, Role::Admin | Role::Head)
}

async fn page(st: &AppState, ui: &Ui, since_raw: &str, notice: Option<String>) -> Result<Page, super::kit::UiError> {
    let since = parse_day(since_raw);
    let lang = ui.t.lang;
    let (a, _) = assemble(&st.db, &ui.actor, lang, since).await.or_ui(ui)?;
    let say = |m: poryadok_core::msg::RegDocMsg| Msg::from(m).render(lang, &poryadok_core::msg::Keys);
    let tz = ui.actor.ws.timezone.clone();
    let can_manage = may_manage(ui);
    let mut readers = Vec::new();
    let mut read_count = String::new();
    if can_manage {
        let list = st.db.regulation_doc_reads(&ui.actor, a.version).await.or_ui(ui)?;
        let read = list.iter().filter(|r| r.read_at.is_some()).count();
        read_count = ui.t.fmt(
            "regdoc.read_count",
            &[("read", read.to_string().as_str()), ("total", list.len().to_string().as_str()), ("version", a.version.to_string().as_str())],
        );
        readers = list
            .into_iter()
            .map(|r| ReaderRow {
                role: ui.t.t(&format!("settings.role.{}", r.role)).to_string(),
                name: r.name,
                read_at: r.read_at.map(|ms| local_date(&tz, ms)),
                last: r.last_read_version,
            })
            .collect();
    }
    let read_line = a
        .read_at
        .map(|ms| ui.t.fmt("regdoc.read_done", &[("version", a.version.to_string().as_str()), ("date", local_date(&tz, ms).as_str())]));
    let since_line = match (&a.since, a.changed) {
        (Some(d), n) if n > 0 => Some(say(poryadok_core::msg::RegDocMsg::ChangedSince { date: show_day(d) })),
        _ => None,
    };
    let query = match since {
        Some(_) => format!("?since={since_raw}"),
        None => String::new(),
    };
    Ok(Page {
        ctx: ui.ctx("regulation", ui.t.t("regdoc.nav")),
        t: ui.t,
        csrf: ui.csrf.clone(),
        title: a.document.title.clone(),
        version: a.version,
        version_line: say(poryadok_core::msg::RegDocMsg::VersionLine { version: a.version, date: a.version_date.clone() }),
        since: a.since.clone().unwrap_or_default(),
        since_line,
        sections: sections(&a),
        removed: a.document.removed.iter().map(|r| say(poryadok_core::msg::RegDocMsg::Removed { item: r.clone() })).collect(),
        read_line,
        query,
        can_manage,
        readers,
        read_count,
        highlight_days: a.highlight_days,
        notice,
    })
}

/// `2026-12-01` as `01.12.2026`.
fn show_day(iso: &str) -> String {
    let p: Vec<&str> = iso.split('-').collect();
    match p.as_slice() {
        [y, m, d] => format!("{d}.{m}.{y}"),
        _ => iso.to_string(),
    }
}

async fn show(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    let p = params(q.as_deref());
    let since = p.get("since").cloned().unwrap_or_default();
    let notice = match p.get("saved").map(String::as_str) {
        Some("read") => Some(ui.t.t("regdoc.read_saved").to_string()),
        Some("settings") => Some(ui.t.t("regdoc.settings_saved").to_string()),
        _ => None,
    };
    Ok(render(&page(&st, &ui, &since, notice).await?))
}

async fn file(st: &AppState, ui: &Ui, q: Option<&str>, format: &str) -> UiResult {
    let p = params(q);
    let since = p.get("since").and_then(|s| parse_day(s));
    let (a, _) = assemble(&st.db, &ui.actor, ui.t.lang, since).await.or_ui(ui)?;
    match download(&a, ui.t.lang, format).await {
        Ok(r) => Ok(r),
        Err(e) => {
            let text = super::messages::say_api_error(&ui.t, &e);
            Ok(super::kit::error_page(ui.t, ui.htmx, e.status, &text))
        }
    }
}

async fn docx(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    file(&st, &ui, q.as_deref(), "docx").await
}

async fn pdf(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    file(&st, &ui, q.as_deref(), "pdf").await
}

async fn read(State(st): State<AppState>, ui: Ui, Form(form): Form<HashMap<String, String>>) -> Result<Response, super::kit::UiError> {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    st.db.regulation_doc_mark_read(&ui.actor, version).await.or_ui(&ui)?;
    Ok(Redirect::to("/regulation?saved=read#read").into_response())
}

async fn settings(State(st): State<AppState>, ui: Ui, Form(form): Form<HashMap<String, String>>) -> Result<Response, super::kit::UiError> {
    if !may_manage(&ui) {
        return Err(ui.forbidden());
    }
    let days = form.get("highlight_days").and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(-1);
    st.db.set_regulation_highlight_days(&ui.actor, days).await.or_ui(&ui)?;
    Ok(Redirect::to("/regulation?saved=settings#regdoc-settings").into_response())
}

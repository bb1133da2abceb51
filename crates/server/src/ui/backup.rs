//! Settings → Export & backup, for administrators: download the workspace (JSON lines, or CSV
//! or XLSX per entity in a zip; the same files as `GET /api/v1/export`), and the scheduled
//! backups — where, how often, how many are kept, and the recent files. The schedule itself is
//! set on the server (`poryadok backup --schedule DIR …`): a directory on the server's disk is
//! the operator's choice, not a web form's.
use super::i18n::T;
use super::settings::NavItem;
use super::{render_status, store_error, Ctx, Ui};
use crate::workspace_export::Format;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use poryadok_store::dump::backup::list_backups;

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/export", get(page)).route("/settings/export/download", get(download))
}

pub fn nav_item(t: &T, active: bool) -> NavItem {
    NavItem { href: "/settings/export".into(), label: t.t("backup.nav"), active }
}

pub struct FileView {
    pub name: String,
    pub size: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "settings_export.html")]
struct Page {
    ctx: Ctx,
    t: T,
    nav: Vec<NavItem>,
    schedule: Option<String>,
    files: Vec<FileView>,
}

async fn page(State(st): State<AppState>, ui: Ui) -> Response {
    if !ui.is_admin() {
        return ui.forbidden().into_response();
    }
    let schedule = match st.db.backup_schedule().await {
        Ok(s) => s,
        Err(e) => return store_error(&ui, e),
    };
    let f = ui.fmt();
    let (text, files) = match schedule {
        Some(s) => {
            let files = list_backups(std::path::Path::new(&s.dir))
                .into_iter()
                .take(50)
                .map(|b| FileView { name: b.name, size: format!("{:.1} MB", b.bytes as f64 / 1e6), when: f.datetime(b.modified_ms) })
                .collect();
            let every = s.every_hours.to_string();
            let keep = s.keep.to_string();
            let next = f.datetime(s.next_run_at);
            let args = [("dir", s.dir.as_str()), ("every", every.as_str()), ("keep", keep.as_str()), ("next", next.as_str())];
            let key = if s.enabled { "backup.schedule_on" } else { "backup.schedule_off" };
            (Some(ui.t.fmt(key, args.as_slice())), files)
        }
        None => (None, Vec::new()),
    };
    let mut nav = super::settings::nav_outside(&ui.t);
    for item in &mut nav {
        item.active = item.href == "/settings/export";
    }
    let title = format!("{} · {}", ui.t.t("nav.settings"), ui.t.t("backup.nav"));
    render_status(StatusCode::OK, &Page { ctx: ui.ctx("settings", title), t: ui.t, nav, schedule: text, files })
}

async fn download(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> Response {
    if !ui.is_admin() {
        return ui.forbidden().into_response();
    }
    let given = form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes()).find(|(k, _)| k == "format").map(|(_, v)| v.into_owned());
    let Some(format) = Format::parse(given.as_deref().unwrap_or("")) else {
        return store_error(
            &ui,
            poryadok_store::StoreError::invalid("format", poryadok_core::msg::Common::ExportFormat { given: given.unwrap_or_default() }),
        );
    };
    match crate::api::export::export_response(&st, &ui.actor, format).await {
        Ok(r) => r,
        Err(e) => store_error(&ui, e),
    }
}

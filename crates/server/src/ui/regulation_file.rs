//! Settings → Регламент как код / Regulation as code (administrators): the whole regulation as
//! one TOML file (docs/REGULATION_AS_CODE.md).
//!
//! - `GET /settings/regulation-file` — download, upload or paste a file, the versions
//! - `GET /settings/regulation-file/download` — the file
//! - `POST /settings/regulation-file/plan` (multipart from htmx: `file` or `toml`, `moves`) — the
//!   plan: added / changed / removed, impacts, warnings, errors with their lines, and the apply
//!   form when it applies
//! - `POST /settings/regulation-file/apply` (form: `toml`, `moves`) — all or nothing; the page
//!   again with the new version confirmed, or the refusals
//! - `GET /settings/regulation-file/versions/{n}` — a version's diff and file;
//!   `POST …/rollback` applies it again as a new version
use super::i18n::T;
use super::kit::{download, render, render_status, Admin, OrUi, UiResult};
use super::{messages, Ui};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use poryadok_core::regulation_file::{Change, ChangeKind};
use poryadok_store::regulation_file::{Applied, ApplyOptions, Plan, PlanError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/regulation-file", get(show))
        .route("/settings/regulation-file/download", get(file))
        .route("/settings/regulation-file/plan", post(plan))
        .route("/settings/regulation-file/apply", post(apply))
        .route("/settings/regulation-file/versions/{n}", get(version))
        .route("/settings/regulation-file/versions/{n}/rollback", post(rollback))
}

pub struct FieldRow {
    pub field: String,
    pub old: String,
    pub new: String,
}

pub struct ChangeRow {
    /// `added`, `changed` or `removed` (the row's class).
    pub kind: &'static str,
    pub kind_label: String,
    pub section: String,
    pub key: String,
    pub name: String,
    pub fields: Vec<FieldRow>,
}

pub struct PlanView {
    pub ok: bool,
    pub summary: String,
    pub changes: Vec<ChangeRow>,
    pub impacts: Vec<String>,
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
    /// The file and the moves, carried to the apply form.
    pub toml: String,
    pub moves: String,
}

pub struct VersionRow {
    pub version: i64,
    pub date: String,
    pub author: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "regulation_file.html")]
struct Page {
    ctx: super::Ctx,
    t: T,
    csrf: String,
    notice: Option<String>,
    plan: Option<PlanView>,
    versions: Vec<VersionRow>,
    pasted: String,
}

#[derive(Template)]
#[template(path = "regulation_file_plan.html")]
struct PlanFragment {
    t: T,
    csrf: String,
    plan: PlanView,
}

#[derive(Template)]
#[template(path = "regulation_file_version.html")]
struct VersionPage {
    ctx: super::Ctx,
    t: T,
    csrf: String,
    v: VersionRow,
    changes: Vec<ChangeRow>,
    toml: String,
}

fn section_label(t: &T, c: &Change) -> String {
    let key = serde_json::to_value(c.section).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    t.t(&format!("regfile.section.{key}")).to_string()
}

fn short(v: &Option<String>) -> String {
    match v {
        None => "—".into(),
        Some(s) if s.chars().count() > 120 => format!("{}…", s.chars().take(120).collect::<String>()),
        Some(s) => s.clone(),
    }
}

pub fn change_rows(t: &T, changes: &[Change]) -> Vec<ChangeRow> {
    changes
        .iter()
        .map(|c| {
            let kind = match c.kind {
                ChangeKind::Added => "added",
                ChangeKind::Changed => "changed",
                ChangeKind::Removed => "removed",
            };
            ChangeRow {
                kind,
                kind_label: t.t(&format!("regfile.kind.{kind}")).to_string(),
                section: section_label(t, c),
                key: c.key.clone(),
                name: c.name.clone(),
                fields: c.fields.iter().map(|f| FieldRow { field: f.field.clone(), old: short(&f.old), new: short(&f.new) }).collect(),
            }
        })
        .collect()
}

fn error_line(t: &T, e: &PlanError) -> String {
    let msg = messages::say(t, &e.msg);
    match e.line {
        Some(l) => t.fmt("regfile.error_line", &[("line", &l.to_string()), ("path", &e.path), ("message", &msg)]),
        None if e.path.is_empty() => msg,
        None => format!("{}: {msg}", e.path),
    }
}

fn plan_view(t: &T, plan: &Plan, toml: String, moves: String) -> PlanView {
    PlanView {
        ok: plan.ok(),
        summary: plan.summary.clone(),
        changes: change_rows(t, &plan.changes),
        impacts: plan.impacts.iter().map(|i| messages::say(t, &i.msg)).collect(),
        warnings: plan.warnings.iter().map(|w| messages::say(t, &w.msg)).collect(),
        errors: plan.errors.iter().map(|e| error_line(t, e)).collect(),
        toml,
        moves,
    }
}

fn local(tz: &str, ms: i64) -> String {
    let d = poryadok_core::zone::local(tz, ms);
    format!("{:02}.{:02}.{:04} {:02}:{:02}", d.day(), u8::from(d.month()), d.year(), d.hour(), d.minute())
}

async fn versions(st: &AppState, ui: &Ui) -> Result<Vec<VersionRow>, poryadok_store::StoreError> {
    st.db.regulation_snapshot_by(&ui.actor).await?;
    Ok(st
        .db
        .regulation_versions(&ui.actor)
        .await?
        .into_iter()
        .map(|v| VersionRow {
            version: v.version,
            date: local(&ui.actor.ws.timezone, v.created_at),
            author: v.author_name.unwrap_or_else(|| ui.t.t("regfile.author_settings").to_string()),
            summary: v.summary,
        })
        .collect())
}

async fn page(
    st: &AppState,
    ui: &Ui,
    notice: Option<String>,
    plan: Option<PlanView>,
    pasted: String,
) -> Result<Page, poryadok_store::StoreError> {
    Ok(Page {
        ctx: ui.ctx("settings", ui.t.t("regfile.title")),
        t: ui.t,
        csrf: ui.csrf.clone(),
        notice,
        plan,
        versions: versions(st, ui).await?,
        pasted,
    })
}

async fn show(State(st): State<AppState>, Admin(ui): Admin) -> UiResult {
    Ok(render(&page(&st, &ui, None, None, String::new()).await.or_ui(&ui)?))
}

async fn file(State(st): State<AppState>, Admin(ui): Admin) -> UiResult {
    let text = st.db.regulation_export(&ui.actor).await.or_ui(&ui)?.to_toml();
    Ok(download(text.into_bytes(), crate::api::regulation_file::TOML_TYPE, "regulation.toml"))
}

fn options(moves: &str) -> ApplyOptions {
    let mut o = ApplyOptions::default();
    for line in moves.lines() {
        if let Some((from, to)) = line.split_once(':') {
            o.move_deals_to.insert(from.trim().to_string(), to.trim().to_string());
        }
    }
    o
}

/// The form's fields, multipart (a file) or urlencoded.
fn fields(headers: &HeaderMap, body: &Bytes) -> Vec<(String, String)> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ct.starts_with("multipart/form-data") {
        super::invoices::multipart_parts(ct, body)
            .unwrap_or_default()
            .into_iter()
            .map(|(n, d)| (n, String::from_utf8_lossy(&d).into_owned()))
            .collect()
    } else {
        form_urlencoded::parse(body).into_owned().collect()
    }
}

fn get_field(f: &[(String, String)], name: &str) -> String {
    f.iter().find(|(n, v)| n == name && !v.trim().is_empty()).map(|(_, v)| v.clone()).unwrap_or_default()
}

async fn plan(State(st): State<AppState>, Admin(ui): Admin, headers: HeaderMap, body: Bytes) -> UiResult {
    let f = fields(&headers, &body);
    let toml = match get_field(&f, "file") {
        t if !t.is_empty() => t,
        _ => get_field(&f, "toml"),
    };
    let moves = get_field(&f, "moves");
    if toml.trim().is_empty() {
        let notice = Some(ui.t.t("regfile.no_file").to_string());
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&st, &ui, notice, None, String::new()).await.or_ui(&ui)?));
    }
    let p = st.db.regulation_plan(&ui.actor, &toml, &options(&moves)).await.or_ui(&ui)?;
    let view = plan_view(&ui.t, &p, toml.clone(), moves);
    if ui.htmx {
        return Ok(render(&PlanFragment { t: ui.t, csrf: ui.csrf.clone(), plan: view }));
    }
    Ok(render(&page(&st, &ui, None, Some(view), toml).await.or_ui(&ui)?))
}

async fn after_apply(st: &AppState, ui: &Ui, outcome: Applied, toml: String, moves: String) -> UiResult {
    match outcome {
        Applied::Applied { version, .. } => {
            let notice = ui.t.fmt("regfile.applied", &[("version", &version.to_string())]);
            Ok(render(&page(st, ui, Some(notice), None, String::new()).await.or_ui(ui)?))
        }
        Applied::Unchanged {} => {
            Ok(render(&page(st, ui, Some(ui.t.t("regfile.unchanged").to_string()), None, String::new()).await.or_ui(ui)?))
        }
        Applied::Refused { errors } => {
            let view = PlanView {
                ok: false,
                summary: String::new(),
                changes: Vec::new(),
                impacts: Vec::new(),
                warnings: Vec::new(),
                errors: errors.iter().map(|e| error_line(&ui.t, e)).collect(),
                toml: toml.clone(),
                moves,
            };
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(st, ui, None, Some(view), toml).await.or_ui(ui)?))
        }
    }
}

async fn apply(State(st): State<AppState>, Admin(ui): Admin, headers: HeaderMap, body: Bytes) -> UiResult {
    let f = fields(&headers, &body);
    let (toml, moves) = (get_field(&f, "toml"), get_field(&f, "moves"));
    let outcome = st.db.regulation_apply(&ui.actor, &toml, &options(&moves)).await.or_ui(&ui)?;
    after_apply(&st, &ui, outcome, toml, moves).await
}

async fn version(State(st): State<AppState>, Admin(ui): Admin, Path(n): Path<i64>) -> UiResult {
    let v = st.db.regulation_version(&ui.actor, n).await.or_ui(&ui)?;
    let row = VersionRow {
        version: v.info.version,
        date: local(&ui.actor.ws.timezone, v.info.created_at),
        author: v.info.author_name.clone().unwrap_or_else(|| ui.t.t("regfile.author_settings").to_string()),
        summary: v.info.summary.clone(),
    };
    let title = ui.t.fmt("regfile.version_title", &[("version", &n.to_string())]);
    Ok(render(&VersionPage {
        ctx: ui.ctx("settings", title),
        t: ui.t,
        csrf: ui.csrf.clone(),
        v: row,
        changes: change_rows(&ui.t, &v.diff),
        toml: v.toml,
    }))
}

async fn rollback(State(st): State<AppState>, Admin(ui): Admin, Path(n): Path<i64>) -> UiResult {
    let v = st.db.regulation_version(&ui.actor, n).await.or_ui(&ui)?;
    let outcome = st.db.regulation_rollback(&ui.actor, n, &ApplyOptions::default()).await.or_ui(&ui)?;
    after_apply(&st, &ui, outcome, v.toml, String::new()).await
}

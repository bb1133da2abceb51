//! The import pages (More → Import, heads of sales and administrators): upload a file → map its
//! columns (selects prefilled by the preset) and its values (stages, pipelines, owners, lost
//! reasons) → a dry run's counts and failed rows → run → the result, with links to the records
//! and a rollback; the history of imports. See docs/IMPORT.md.
use super::i18n::T;
use super::kit::{go_to, render, render_status, HeadOrAdmin, OrUi, UiResult};
use super::messages;
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use poryadok_core::import::{ImportEntity, TARGETS};
use poryadok_store::imports::{Choices, Import, ImportReport, Upload, MAX_BYTES};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(list).post(upload).layer(DefaultBodyLimit::max(MAX_BYTES + 64 * 1024)))
        .route("/imports/{id}", get(one))
        .route("/imports/{id}/run", post(run))
        .route("/imports/{id}/rollback", post(rollback))
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct HistoryRow {
    pub id: i64,
    pub href: String,
    pub when: String,
    pub file_name: String,
    pub entity: String,
    pub status: String,
    pub counts: String,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ListPage {
    ctx: super::Ctx,
    t: T,
    rows: Vec<HistoryRow>,
    entities: Vec<Opt>,
    presets: Vec<Opt>,
}

pub struct ColumnView {
    pub index: usize,
    pub header: String,
    pub sample: String,
    pub options: Vec<Opt>,
    pub unmapped: bool,
}

pub struct ValueRow {
    pub n: usize,
    pub value: String,
    pub options: Vec<Opt>,
    /// A free text (lost reasons) instead of a select.
    pub text: Option<String>,
}

pub struct ValueGroup {
    pub kind: String,
    pub label: String,
    pub rows: Vec<ValueRow>,
}

pub struct ErrorRow {
    pub line: u64,
    pub column: String,
    pub message: String,
}

pub struct ReportView {
    pub dry_run: bool,
    pub counts: Vec<(String, u64)>,
    pub extra: String,
    pub errors: Vec<ErrorRow>,
    pub more: String,
}

pub struct RecordLink {
    pub href: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "import.html")]
struct OnePage {
    ctx: super::Ctx,
    t: T,
    id: i64,
    file_name: String,
    about: String,
    status: String,
    uploaded: bool,
    done: bool,
    columns: Vec<ColumnView>,
    values: Vec<ValueGroup>,
    duplicates: Vec<Opt>,
    report: Option<ReportView>,
    records: Vec<RecordLink>,
    list_href: String,
}

#[derive(Template)]
#[template(path = "import_report.html")]
struct ReportFragment {
    t: T,
    report: Option<ReportView>,
}

fn entity_label(t: &T, e: ImportEntity) -> String {
    t.t(&format!("imports.entity.{}", e.as_str())).to_string()
}

fn status_label(t: &T, s: &str) -> String {
    t.t(&format!("imports.status.{s}")).to_string()
}

fn report_view(ui: &super::Ui, r: &ImportReport) -> ReportView {
    let t = &ui.t;
    let counts = vec![
        (t.t("imports.count.created").to_string(), r.created),
        (t.t("imports.count.updated").to_string(), r.updated),
        (t.t("imports.count.skipped").to_string(), r.skipped),
        (t.t("imports.count.failed").to_string(), r.failed),
    ];
    let n = |v: u64| v.to_string();
    let extra = t.fmt(
        "imports.count.extra",
        &[
            ("persons", n(r.persons_created).as_str()),
            ("orgs", n(r.organizations_created).as_str()),
            ("notes", n(r.notes_created).as_str()),
            ("tasks", n(r.tasks_created).as_str()),
        ],
    );
    let errors = r
        .errors
        .iter()
        .take(200)
        .map(|e| ErrorRow { line: e.line, column: e.column.clone(), message: messages::say(t, &e.message) })
        .collect();
    let more = if r.errors.len() > 200 {
        t.fmt("imports.more_errors", &[("n", (r.errors.len() - 200).to_string().as_str())])
    } else {
        String::new()
    };
    ReportView { dry_run: r.dry_run, counts, extra, errors, more }
}

fn target_label(t: &T, target: &str, choices: &Choices) -> String {
    if let Some(key) = target.strip_prefix("custom.") {
        let label = choices.custom.iter().find(|(k, _)| k == key).map_or(key, |(_, l)| l.as_str());
        return format!("{}: {label}", t.t("imports.custom"));
    }
    t.t(&format!("imports.target.{target}")).to_string()
}

fn column_views(t: &T, imp: &Import, choices: &Choices) -> Vec<ColumnView> {
    imp.headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let current = imp.settings.columns.get(i).cloned().flatten();
            let mut options = vec![Opt { value: String::new(), label: t.t("imports.skip").to_string(), selected: current.is_none() }];
            for target in TARGETS.iter().map(|s| s.to_string()).chain(choices.custom.iter().map(|(k, _)| format!("custom.{k}"))) {
                options.push(Opt {
                    selected: current.as_deref() == Some(target.as_str()),
                    label: target_label(t, &target, choices),
                    value: target,
                });
            }
            let sample = imp.preview.iter().filter_map(|r| r.get(i)).find(|c| !c.is_empty()).cloned().unwrap_or_default();
            ColumnView { index: i, header: h.clone(), sample: sample.chars().take(60).collect(), options, unmapped: current.is_none() }
        })
        .collect()
}

fn value_groups(t: &T, imp: &Import, choices: &Choices) -> Vec<ValueGroup> {
    let mut groups = Vec::new();
    for (kind, values) in &imp.values_found {
        let map = imp.settings.values.get(kind);
        let rows = values
            .iter()
            .enumerate()
            .map(|(n, v)| {
                let current = map.and_then(|m| m.get(v)).cloned();
                let opt = |value: String, label: String| Opt { selected: current.as_deref() == Some(value.as_str()), value, label };
                let mut options = vec![Opt { value: "-".into(), label: t.t("imports.unmapped").to_string(), selected: current.is_none() }];
                options.push(Opt {
                    value: String::new(),
                    label: t.t("imports.default").to_string(),
                    selected: current.as_deref() == Some(""),
                });
                let mut text = None;
                match kind.as_str() {
                    "stage" => {
                        for (id, p, name) in &choices.stages {
                            let pipeline = choices.pipelines.iter().find(|(pid, _)| pid == p).map_or("", |(_, n)| n.as_str());
                            options.push(opt(id.to_string(), format!("{pipeline} → {name}")));
                        }
                        options.push(opt("won".into(), t.t("imports.won").to_string()));
                        options.push(opt("lost".into(), t.t("imports.lost").to_string()));
                    }
                    "status" => {
                        for s in ["open", "won", "lost"] {
                            options.push(opt(s.into(), t.t(&format!("imports.{s}")).to_string()));
                        }
                    }
                    "pipeline" => options.extend(choices.pipelines.iter().map(|(id, n)| opt(id.to_string(), n.clone()))),
                    "owner" => options.extend(choices.users.iter().map(|(id, n, e)| opt(id.to_string(), format!("{n} ({e})")))),
                    _ => text = Some(current.clone().unwrap_or_default()),
                }
                ValueRow { n, value: v.clone(), options, text }
            })
            .collect();
        groups.push(ValueGroup { kind: kind.clone(), label: t.t(&format!("imports.values.{kind}")).to_string(), rows });
    }
    groups
}

/// `GET /imports`: the upload form and the history.
async fn list(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin) -> UiResult {
    let imports = st.db.imports(&ui.actor, 50).await.or_ui(&ui)?;
    let fmt = ui.fmt();
    let rows = imports
        .iter()
        .map(|i| {
            let r = i.report.clone().unwrap_or_default();
            HistoryRow {
                id: i.id,
                href: format!("/imports/{}", i.id),
                when: fmt.datetime(i.created_at),
                file_name: i.file_name.clone(),
                entity: entity_label(&ui.t, i.entity),
                status: status_label(&ui.t, &i.status),
                counts: if i.report.is_some() {
                    ui.t.fmt(
                        "imports.history.counts",
                        &[
                            ("rows", i.rows.to_string().as_str()),
                            ("created", r.created.to_string().as_str()),
                            ("updated", r.updated.to_string().as_str()),
                            ("failed", r.failed.to_string().as_str()),
                        ],
                    )
                } else {
                    ui.t.fmt("imports.history.rows", &[("rows", i.rows.to_string().as_str())])
                },
            }
        })
        .collect();
    let entities = ImportEntity::ALL
        .iter()
        .map(|e| Opt { value: e.to_string(), label: ui.t.t(&format!("imports.entity.{e}")).to_string(), selected: *e == "deal" })
        .collect();
    let presets = ["auto", "amocrm", "bitrix24", "pipedrive", "generic"]
        .iter()
        .map(|p| Opt { value: p.to_string(), label: ui.t.t(&format!("imports.preset.{p}")).to_string(), selected: *p == "auto" })
        .collect();
    Ok(render(&ListPage { ctx: ui.ctx("imports", ui.t.t("imports.title")), t: ui.t, rows, entities, presets }))
}

/// `POST /imports` (multipart, htmx): keeps the file and goes to its mapping.
async fn upload(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, headers: HeaderMap, body: Bytes) -> UiResult {
    let up = crate::api::imports::parse_upload(&headers, None, body.to_vec())
        .map_err(|e| super::UiError::from(super::kit::error_page(ui.t, ui.htmx, e.status, &messages::say_api_error(&ui.t, &e))))?;
    if up.file.is_empty() {
        return Err(super::UiError::from(super::kit::error_page(
            ui.t,
            ui.htmx,
            StatusCode::UNPROCESSABLE_ENTITY,
            ui.t.t("imports.no_file"),
        )));
    }
    let import = st
        .db
        .upload_import(
            &ui.actor,
            &Upload {
                file_name: &up.file_name,
                content_type: up.content_type.as_deref(),
                bytes: &up.file,
                entity: up.entity,
                preset: up.preset,
            },
        )
        .await
        .or_ui(&ui)?;
    Ok(go_to(&ui, &format!("/imports/{}", import.id)))
}

async fn page(st: &AppState, ui: &super::Ui, id: i64) -> UiResult {
    let imp = st.db.import(&ui.actor, id).await.or_ui(ui)?;
    let choices = st.db.import_choices(&ui.actor, imp.entity).await.or_ui(ui)?;
    let t = &ui.t;
    let records = if imp.status == "done" {
        st.db
            .import_records(&ui.actor, id, 30)
            .await
            .or_ui(ui)?
            .into_iter()
            .map(|(e, rid, action)| RecordLink {
                href: format!("/{}/{rid}", e.path()),
                label: format!("{} #{rid} ({})", t.t(&format!("imports.entity.{}", e.name())), t.t(&format!("imports.action.{action}"))),
            })
            .collect()
    } else {
        Vec::new()
    };
    let list_href = format!("/{}", poryadok_core::schema::Entity::from_name(imp.entity.as_str()).map_or("deals", |e| e.path()));
    let duplicates = ["skip", "update", "create"]
        .iter()
        .map(|d| Opt {
            value: d.to_string(),
            label: t.t(&format!("imports.duplicates.{d}")).to_string(),
            selected: imp.settings.duplicates == *d,
        })
        .collect();
    let about = t.fmt(
        "imports.about",
        &[
            ("rows", imp.rows.to_string().as_str()),
            ("entity", entity_label(t, imp.entity).as_str()),
            ("preset", t.t(&format!("imports.preset.{}", imp.preset.as_str()))),
            ("kind", imp.file_kind.to_uppercase().as_str()),
        ],
    );
    let v = OnePage {
        ctx: ui.ctx("imports", format!("{} — {}", t.t("imports.title"), imp.file_name)),
        t: ui.t,
        id,
        file_name: imp.file_name.clone(),
        about,
        status: status_label(t, &imp.status),
        uploaded: imp.status == "uploaded",
        done: imp.status == "done",
        columns: column_views(t, &imp, &choices),
        values: value_groups(t, &imp, &choices),
        duplicates,
        report: imp.report.as_ref().map(|r| report_view(ui, r)),
        records,
        list_href,
    };
    Ok(render(&v))
}

/// `GET /imports/{id}`: the mapping (while uploaded) or the result.
async fn one(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<String>) -> UiResult {
    let id = id.parse::<i64>().map_err(|_| ui.fail(poryadok_store::StoreError::NotFound))?;
    page(&st, &ui, id).await
}

/// The settings the mapping form sends: `col.{i}`, `valkey.{kind}.{n}` with `val.{kind}.{n}`
/// ("-" for not mapped), `duplicates`, `custom.{i}`.
fn settings_of(imp: &Import, form: &[(String, String)]) -> poryadok_store::imports::ImportSettings {
    let mut s = imp.settings.clone();
    s.columns = vec![None; imp.headers.len()];
    s.new_custom.clear();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    for (k, v) in form {
        if let Some(i) = k.strip_prefix("col.").and_then(|i| i.parse::<usize>().ok()) {
            if i < s.columns.len() {
                s.columns[i] = Some(v.clone()).filter(|v| !v.is_empty());
            }
        } else if let Some(i) = k.strip_prefix("custom.").and_then(|i| i.parse::<usize>().ok()) {
            if v == "1" {
                s.new_custom.push(i);
            }
        } else if let Some(rest) = k.strip_prefix("valkey.") {
            if let (Some((kind, _)), Some(to)) = (rest.split_once('.'), get(&format!("val.{rest}"))) {
                let entry = s.values.entry(kind.to_string()).or_default();
                if to == "-" {
                    entry.remove(v);
                } else {
                    entry.insert(v.clone(), to.trim().to_string());
                }
            }
        }
    }
    if let Some(d) = get("duplicates") {
        s.duplicates = d.to_string();
    }
    s
}

/// `POST /imports/{id}/run[?dry_run=1]`: a dry run answers its report in place; a run leads to
/// the import's page with the result.
async fn run(
    State(st): State<AppState>,
    HeadOrAdmin(ui): HeadOrAdmin,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> UiResult {
    let id = id.parse::<i64>().map_err(|_| ui.fail(poryadok_store::StoreError::NotFound))?;
    let dry_run = form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes()).any(|(k, v)| k == "dry_run" && (v == "1" || v == "true"));
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let imp = st.db.import(&ui.actor, id).await.or_ui(&ui)?;
    let settings = settings_of(&imp, &form);
    let report = st.db.run_import(&ui.actor, id, &settings, dry_run, &mut |_, _| {}).await.or_ui(&ui)?;
    if dry_run && ui.htmx {
        return Ok(render_status(StatusCode::OK, &ReportFragment { t: ui.t, report: Some(report_view(&ui, &report)) }));
    }
    Ok(go_to(&ui, &format!("/imports/{id}")))
}

/// `POST /imports/{id}/rollback` (confirmed in the page).
async fn rollback(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<String>) -> UiResult {
    let id = id.parse::<i64>().map_err(|_| ui.fail(poryadok_store::StoreError::NotFound))?;
    st.db.rollback_import(&ui.actor, id).await.or_ui(&ui)?;
    Ok(go_to(&ui, &format!("/imports/{id}")))
}

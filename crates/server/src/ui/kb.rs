//! База знаний / Knowledge base: the sections and articles with search (`/kb`), an article
//! rendered safely (`/kb/{key}`), the editor with a preview (`/kb/new`, `/kb/{key}/edit`), the
//! version history with an old text and its restore (`/kb/{key}/versions…`), and the call-script
//! panel of the deal card (`/kb/card/deals/{id}`, loaded by the card). Everyone reads;
//! administrators and heads of sales write (the store refuses anyone else too).
use super::i18n::T;
use super::kit::{go_to, render, render_status, OrUi, UiResult};
use super::messages::{field_error, say};
use super::{Ctx, Ui};
use crate::markdown;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::kb::{parse_links, ArticleKind};
use poryadok_core::msg::KbMsg;
use poryadok_core::schema::Entity;
use poryadok_store::kb::{Article, ArticleInput, ArticleSummary, ArticleVersion, Section};
use poryadok_store::StoreError;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/kb", get(index))
        .route("/kb/new", get(new_form).post(create))
        .route("/kb/preview", post(preview))
        .route("/kb/card/deals/{id}", get(card_scripts))
        .route("/kb/{key}", get(show))
        .route("/kb/{key}/edit", get(edit_form).post(update))
        .route("/kb/{key}/delete", post(delete))
        .route("/kb/{key}/versions", get(versions))
        .route("/kb/{key}/versions/{n}", get(version))
        .route("/kb/{key}/versions/{n}/restore", post(restore))
}

fn may_edit(ui: &Ui) -> bool {
    ui.actor.caller.role.can_configure_regulation()
}

pub struct SectionView {
    pub name: String,
    pub count: i64,
    pub active: bool,
    pub articles: Vec<ArticleSummary>,
}

#[derive(Template)]
#[template(path = "kb.html")]
struct IndexPage {
    ctx: Ctx,
    t: T,
    q: String,
    section: String,
    sections: Vec<SectionView>,
    found: usize,
    /// A search's results, most relevant first (empty without a query).
    ranked: Vec<ArticleSummary>,
    editor: bool,
}

async fn index(State(st): State<AppState>, ui: Ui, Query(params): Query<HashMap<String, String>>) -> UiResult {
    let q = params.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let section = params.get("section").map(|s| s.trim().to_string()).unwrap_or_default();
    let all: Vec<Section> = st.db.kb_sections(&ui.actor).await.or_ui(&ui)?;
    let found = st.db.kb_list(&ui.actor, Some(&q), Some(&section)).await.or_ui(&ui)?;
    let n = found.len();
    let mut sections: Vec<SectionView> =
        all.into_iter().map(|s| SectionView { active: s.name == section, articles: Vec::new(), count: s.articles, name: s.name }).collect();
    let ranked = if q.is_empty() {
        for a in found {
            if let Some(s) = sections.iter_mut().find(|s| s.name == a.section) {
                s.articles.push(a);
            }
        }
        Vec::new()
    } else {
        found
    };
    let page = IndexPage { ctx: ui.ctx("kb", ui.t.t("kb.title")), t: ui.t, q, section, sections, found: n, ranked, editor: may_edit(&ui) };
    Ok(render(&page))
}

pub struct LinkView {
    pub label: String,
    pub key: String,
}

#[derive(Template)]
#[template(path = "kb_article.html")]
struct ArticlePage {
    ctx: Ctx,
    t: T,
    csrf: String,
    a: Article,
    html: String,
    links: Vec<LinkView>,
    updated: String,
    editor: bool,
    notice: Option<String>,
    /// Viewing an old version: its number, author and time.
    old: Option<(i64, String, String)>,
}

fn link_views(t: T, links: &[String]) -> Vec<LinkView> {
    links
        .iter()
        .map(|l| {
            let (kind, key) = l.split_once(':').unwrap_or(("", l));
            LinkView { label: t.t(&format!("kb.link.{kind}")).to_string(), key: key.to_string() }
        })
        .collect()
}

async fn show(State(st): State<AppState>, ui: Ui, Path(key): Path<String>, Query(params): Query<HashMap<String, String>>) -> UiResult {
    let a = st.db.kb_get(&ui.actor, &key).await.or_ui(&ui)?;
    let notice = if params.contains_key("restored") {
        Some(say(&ui.t, &KbMsg::Restored { n: params.get("restored").and_then(|n| n.parse().ok()).unwrap_or(0) }.into()))
    } else {
        params.contains_key("saved").then(|| say(&ui.t, &KbMsg::Saved {}.into()))
    };
    let updated = format!("{} · {}", ui.fmt().datetime(a.updated_at), a.updated_by_name.clone().unwrap_or_default());
    let page = ArticlePage {
        ctx: ui.ctx("kb", a.title.clone()),
        t: ui.t,
        csrf: ui.csrf.clone(),
        html: markdown::render(&a.body),
        links: link_views(ui.t, &a.links),
        updated,
        editor: may_edit(&ui),
        notice,
        old: None,
        a,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "kb_edit.html")]
struct EditPage {
    ctx: Ctx,
    t: T,
    csrf: String,
    /// The article's key when editing, empty for a new one.
    key: String,
    new_key: String,
    section: String,
    title: String,
    script: bool,
    body: String,
    /// What the article may link to, by kind, with the chosen ones ticked.
    targets: Vec<TargetGroup>,
    version: i64,
    sections: Vec<String>,
    error: Option<(String, String)>,
}

/// One kind of object in the editor's link picker (stages, entry tasks, rules, templates).
pub struct TargetGroup {
    pub kind: String,
    pub title: String,
    pub items: Vec<TargetItem>,
    /// Some item is ticked: the group starts open.
    pub open: bool,
}

pub struct TargetItem {
    pub link: String,
    pub label: String,
    pub checked: bool,
    /// A link the article has to an object that no longer exists.
    pub missing: bool,
}

/// The links a form chose: the ticked boxes (`link.<link>`) and any typed in `links`.
fn chosen_links(form: &HashMap<String, String>) -> Vec<String> {
    let mut out: Vec<String> =
        form.get("links").map(|v| v.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()).unwrap_or_default();
    let mut ticked: Vec<String> = form.keys().filter_map(|k| k.strip_prefix("link.")).map(str::to_string).collect();
    ticked.sort();
    for l in ticked {
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

fn target_groups(t: T, targets: Vec<poryadok_store::kb::LinkTarget>, chosen: &[String]) -> Vec<TargetGroup> {
    let mut groups: Vec<TargetGroup> = ["stage", "entry_task", "rule", "template"]
        .into_iter()
        .map(|k| TargetGroup { kind: k.to_string(), title: t.t(&format!("kb.link.{k}")).to_string(), items: Vec::new(), open: false })
        .collect();
    let mut seen: Vec<String> = Vec::new();
    for x in targets {
        if let Some(g) = groups.iter_mut().find(|g| g.kind == x.kind) {
            let checked = chosen.contains(&x.link)
                // A stage named by its key alone is the same stage.
                || x.link.split_once(':').and_then(|(k, r)| r.split_once('/').map(|(_, s)| format!("{k}:{s}"))).is_some_and(|short| {
                    let hit = chosen.contains(&short);
                    if hit {
                        seen.push(short);
                    }
                    hit
                });
            if checked {
                seen.push(x.link.clone());
            }
            g.items.push(TargetItem { link: x.link, label: x.label, checked, missing: false });
        }
    }
    for l in chosen.iter().filter(|l| !seen.contains(l)) {
        let kind = l.split_once(':').map(|(k, _)| k).unwrap_or("");
        if let Some(g) = groups.iter_mut().find(|g| g.kind == kind) {
            g.items.push(TargetItem { link: l.clone(), label: l.clone(), checked: true, missing: true });
        }
    }
    for g in &mut groups {
        g.open = g.items.iter().any(|i| i.checked);
    }
    groups.into_iter().filter(|g| !g.items.is_empty()).collect()
}

impl EditPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    fn other_error(&self) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| !["key", "section", "title", "body", "links", "kind"].contains(&f.as_str()))
            .map(|(_, m)| m.as_str())
    }
}

async fn edit_page(
    st: &AppState,
    ui: &Ui,
    key: String,
    form: &HashMap<String, String>,
    version: i64,
    error: Option<(String, String)>,
) -> Result<EditPage, super::kit::UiError> {
    let sections = st.db.kb_sections(&ui.actor).await.or_ui(ui)?.into_iter().map(|s| s.name).collect();
    let targets = target_groups(ui.t, st.db.kb_link_targets(&ui.actor).await.or_ui(ui)?, &chosen_links(form));
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let title = if key.is_empty() { ui.t.t("kb.new").to_string() } else { v("title") };
    Ok(EditPage {
        ctx: ui.ctx("kb", title),
        t: ui.t,
        csrf: ui.csrf.clone(),
        key,
        new_key: v("key"),
        section: v("section"),
        title: v("title"),
        script: v("kind") == "script",
        body: v("body"),
        targets,
        version,
        sections,
        error,
    })
}

fn require_editor(ui: &Ui) -> Result<(), super::kit::UiError> {
    if may_edit(ui) {
        Ok(())
    } else {
        Err(ui.forbidden())
    }
}

async fn new_form(State(st): State<AppState>, ui: Ui, Query(params): Query<HashMap<String, String>>) -> UiResult {
    require_editor(&ui)?;
    let mut form = HashMap::new();
    if let Some(s) = params.get("section") {
        form.insert("section".to_string(), s.clone());
    }
    Ok(render(&edit_page(&st, &ui, String::new(), &form, 0, None).await?))
}

async fn edit_form(State(st): State<AppState>, ui: Ui, Path(key): Path<String>) -> UiResult {
    require_editor(&ui)?;
    let a = st.db.kb_get(&ui.actor, &key).await.or_ui(&ui)?;
    let form: HashMap<String, String> = [
        ("section", a.section.clone()),
        ("title", a.title.clone()),
        ("kind", a.kind.clone()),
        ("body", a.body.clone()),
        ("links", a.links.join("\n")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Ok(render(&edit_page(&st, &ui, key, &form, a.version, None).await?))
}

fn input_of(form: &HashMap<String, String>) -> Result<ArticleInput, StoreError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    Ok(ArticleInput {
        key: Some(v("key")).filter(|k| !k.trim().is_empty()),
        section: v("section"),
        title: v("title"),
        kind: if v("kind") == "script" { ArticleKind::Script } else { ArticleKind::Article },
        body: v("body").replace("\r\n", "\n"),
        links: parse_links(&chosen_links(form).join("\n")).map_err(StoreError::Validation)?,
    })
}

async fn refused(st: &AppState, ui: &Ui, key: String, form: &HashMap<String, String>, version: i64, e: StoreError) -> UiResult {
    let error = match field_error(&ui.t, &e) {
        Some(err) => err,
        None => match e {
            StoreError::Stale { .. } => ("version".to_string(), ui.t.t("kb.stale").to_string()),
            StoreError::Forbidden { msg, .. } => ("".to_string(), say(&ui.t, &msg)),
            e => return Err(ui.fail(e)),
        },
    };
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &edit_page(st, ui, key, form, version, Some(error)).await?))
}

async fn create(State(st): State<AppState>, ui: Ui, Form(form): Form<HashMap<String, String>>) -> UiResult {
    require_editor(&ui)?;
    let saved = match input_of(&form) {
        Ok(input) => st.db.kb_create(&ui.actor, input).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(a) => Ok(go_to(&ui, &format!("/kb/{}?saved=1", a.key))),
        Err(e) => refused(&st, &ui, String::new(), &form, 0, e).await,
    }
}

async fn update(State(st): State<AppState>, ui: Ui, Path(key): Path<String>, Form(form): Form<HashMap<String, String>>) -> UiResult {
    require_editor(&ui)?;
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let saved = match input_of(&form) {
        Ok(mut input) => {
            input.key = None;
            st.db.kb_update(&ui.actor, &key, input, version).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(a) => Ok(go_to(&ui, &format!("/kb/{}?saved=1", a.key))),
        Err(e) => refused(&st, &ui, key, &form, version.unwrap_or(0), e).await,
    }
}

#[derive(Template)]
#[template(path = "kb_preview.html")]
struct PreviewTpl {
    t: T,
    html: String,
}

async fn preview(ui: Ui, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let body = form.get("body").cloned().unwrap_or_default();
    Ok(render(&PreviewTpl { t: ui.t, html: markdown::render(&body) }))
}

async fn delete(State(st): State<AppState>, ui: Ui, Path(key): Path<String>) -> UiResult {
    require_editor(&ui)?;
    st.db.kb_delete(&ui.actor, &key).await.or_ui(&ui)?;
    Ok(go_to(&ui, "/kb"))
}

pub struct VersionRow {
    pub n: i64,
    pub title: String,
    pub author: String,
    pub at: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "kb_versions.html")]
struct VersionsPage {
    ctx: Ctx,
    t: T,
    csrf: String,
    a: Article,
    rows: Vec<VersionRow>,
    editor: bool,
}

async fn versions(State(st): State<AppState>, ui: Ui, Path(key): Path<String>) -> UiResult {
    let a = st.db.kb_get(&ui.actor, &key).await.or_ui(&ui)?;
    let list: Vec<ArticleVersion> = st.db.kb_versions(&ui.actor, &key).await.or_ui(&ui)?;
    let fmt = ui.fmt();
    let rows = list
        .into_iter()
        .map(|v| VersionRow {
            n: v.version,
            current: v.version == a.version,
            title: v.title,
            author: v.author_name.unwrap_or_default(),
            at: fmt.datetime(v.created_at),
        })
        .collect();
    let page = VersionsPage { ctx: ui.ctx("kb", a.title.clone()), t: ui.t, csrf: ui.csrf.clone(), a, rows, editor: may_edit(&ui) };
    Ok(render(&page))
}

async fn version(State(st): State<AppState>, ui: Ui, Path((key, n)): Path<(String, i64)>) -> UiResult {
    let a = st.db.kb_get(&ui.actor, &key).await.or_ui(&ui)?;
    let v = st.db.kb_version(&ui.actor, &key, n).await.or_ui(&ui)?;
    let old = Some((v.version, v.author_name.clone().unwrap_or_default(), ui.fmt().datetime(v.created_at)));
    let page = ArticlePage {
        ctx: ui.ctx("kb", v.title.clone()),
        t: ui.t,
        csrf: ui.csrf.clone(),
        html: markdown::render(&v.body),
        links: link_views(ui.t, &v.links),
        updated: String::new(),
        editor: may_edit(&ui),
        notice: None,
        old,
        a: Article { title: v.title, section: v.section, kind: v.kind, body: v.body, links: v.links, ..a },
    };
    Ok(render(&page))
}

async fn restore(State(st): State<AppState>, ui: Ui, Path((key, n)): Path<(String, i64)>) -> UiResult {
    require_editor(&ui)?;
    let a = st.db.kb_restore(&ui.actor, &key, n).await.or_ui(&ui)?;
    Ok(go_to(&ui, &format!("/kb/{}?restored={n}", a.key)))
}

#[derive(Template)]
#[template(path = "kb_script_panel.html")]
struct ScriptPanel {
    t: T,
    scripts: Vec<(Article, String)>,
    /// Other articles linked to the stage: (key, title).
    others: Vec<(String, String)>,
}

/// The deal card's call scripts: those linked to the stage the deal is at (nothing when none).
async fn card_scripts(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    let deal = st.db.get(&ui.actor, Entity::Deal, id).await.or_ui(&ui)?;
    let (scripts, others) = match deal.get("stage_id").as_int() {
        Some(stage) => st.db.kb_for_stage(&ui.actor, stage).await.or_ui(&ui)?,
        None => (Vec::new(), Vec::new()),
    };
    let others = others.into_iter().map(|a| (a.key, a.title)).collect();
    let scripts = scripts
        .into_iter()
        .map(|a| {
            let html = markdown::render(&a.body);
            (a, html)
        })
        .collect();
    Ok(render(&ScriptPanel { t: ui.t, scripts, others }).into_response())
}

//! The lists of deals, persons and organizations: a sortable table with keyset paging, a filter
//! box that takes the filter language or a plain search, `field=value` filters from links, and the
//! saved filters of each list. Also owns how a filter box's text becomes an expression, which the
//! board shares.
use super::i18n::T;
use super::messages::field_label;
use super::{render_status, store_error, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Form, Router};
use poryadok_core::filter::FilterError;
use poryadok_core::schema::{Entity, Kind};
use poryadok_core::types::Val;
use poryadok_store::{ListQuery, Row, StoreError};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/deals", list_route(Entity::Deal))
        .route("/persons", list_route(Entity::Person))
        .route("/organizations", list_route(Entity::Organization))
        .route("/saved-filters", post(save_filter))
        .route("/saved-filters/{id}/delete", post(delete_filter))
}

/// Rows per page.
const PAGE: &str = "50";
/// Saved filters offered on one list; more than this is not a menu any more.
const MAX_SAVED: &str = "100";

/// A filter-box text with none of the language's operators is a plain search.
pub(crate) fn looks_like_expression(s: &str) -> bool {
    s.contains(['=', '<', '>', '~', '"', '(']) || s.split_whitespace().any(|w| matches!(w, "and" | "or" | "not" | "is" | "in"))
}

/// Quotes `s` as a string literal of the filter language.
pub(crate) fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The expression a filter box's text stands for: the text itself, or a search in `fields`;
/// `true` when it was read as a search.
pub(crate) fn box_expression(text: &str, fields: &[&str]) -> (String, bool) {
    if looks_like_expression(text) {
        return (text.to_string(), false);
    }
    let needle = quoted(text);
    (fields.iter().map(|f| format!("{f} ~ {needle}")).collect::<Vec<_>>().join(" or "), true)
}

/// A filter mistake as shown under a filter box: the message and its hint in the reader's
/// language, then the text with a caret line under the mistake.
pub(crate) fn filter_message(t: &super::i18n::T, error: &FilterError, text: &str) -> String {
    error.render_in(t.lang, text)
}

/// The three lists, by the path segment they live at.
fn list_entity(path: &str) -> Option<Entity> {
    match path {
        "deals" => Some(Entity::Deal),
        "persons" => Some(Entity::Person),
        "organizations" => Some(Entity::Organization),
        _ => None,
    }
}

/// Fields a plain search looks in.
pub(crate) fn search_fields(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Deal => &["title"],
        Entity::Person => &["name", "email", "phone"],
        _ => &["name"],
    }
}

/// A column: its id (kept in the column picker's cookie), its heading's key, the field it sorts
/// by, and whether a list shows it until the reader picks.
pub(crate) struct Col {
    pub(crate) id: &'static str,
    pub(crate) key: &'static str,
    pub(crate) sort: &'static str,
    pub(crate) num: bool,
    pub(crate) default: bool,
}

const fn col(id: &'static str, key: &'static str, sort: &'static str, num: bool, default: bool) -> Col {
    Col { id, key, sort, num, default }
}

/// Every column a list may show, in their order.
pub(crate) fn columns(entity: Entity) -> &'static [Col] {
    const DEAL: &[Col] = &[
        col("title", "lists.col.title", "title", false, true),
        col("organization", "lists.col.organization", "organization_id", false, true),
        col("person", "lists.col.person", "person_id", false, false),
        col("stage", "lists.col.stage", "stage_id", false, true),
        col("value", "lists.col.value", "value", true, true),
        col("owner", "lists.col.owner", "owner_id", false, true),
        col("status", "lists.col.status", "status", false, true),
        col("expected_close", "lists.col.expected_close", "expected_close_date", false, true),
        col("source", "lists.col.source", "source", false, false),
        col("created", "lists.col.created", "created_at", false, false),
        col("updated", "lists.col.updated", "updated_at", false, true),
    ];
    const PERSON: &[Col] = &[
        col("name", "lists.col.name", "name", false, true),
        col("organization", "lists.col.organization", "organization_id", false, true),
        col("job_title", "lists.col.job_title", "job_title", false, false),
        col("phone", "lists.col.phone", "phone", false, true),
        col("email", "lists.col.email", "email", false, true),
        col("owner", "lists.col.owner", "owner_id", false, true),
        col("created", "lists.col.created", "created_at", false, false),
        col("updated", "lists.col.updated", "updated_at", false, true),
    ];
    const ORGANIZATION: &[Col] = &[
        col("name", "lists.col.name", "name", false, true),
        col("address", "lists.col.address", "address", false, true),
        col("tax_id", "lists.col.tax_id", "tax_id", false, false),
        col("owner", "lists.col.owner", "owner_id", false, true),
        col("labels", "lists.col.labels", "", false, true),
        col("created", "lists.col.created", "created_at", false, false),
        col("updated", "lists.col.updated", "updated_at", false, true),
    ];
    match entity {
        Entity::Deal => DEAL,
        Entity::Person => PERSON,
        _ => ORGANIZATION,
    }
}

/// The cookie that keeps a reader's columns of one list.
pub(crate) fn columns_cookie(entity: Entity) -> String {
    format!("cols_{}", entity.path())
}

/// The columns the reader picked for `entity`'s list (from their cookie), else the defaults;
/// the title column is always shown.
/// A `cols=title.value` in the address (an export link, a shared view) wins over the cookie.
pub(crate) fn chosen_columns(entity: Entity, headers: &HeaderMap, query: &str) -> Vec<&'static Col> {
    let all = columns(entity);
    let in_query = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "cols").map(|(_, v)| v.into_owned());
    let picked: Option<Vec<String>> = in_query
        .or_else(|| crate::auth::cookie(headers, &columns_cookie(entity)).map(str::to_string))
        .map(|v| v.split('.').map(str::to_string).collect());
    let chosen: Vec<&Col> = match picked {
        Some(ids) => all.iter().enumerate().filter(|(i, c)| *i == 0 || ids.iter().any(|id| id == c.id)).map(|(_, c)| c).collect(),
        None => all.iter().filter(|c| c.default).collect(),
    };
    if chosen.len() < 2 {
        return all.iter().filter(|c| c.default).collect();
    }
    chosen
}

/// What a list shows, as read from its query string.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ListParams {
    /// The filter box: an expression or a plain search.
    pub q: String,
    /// A sort the entity allows (`title`, `-value`); `None` is the entity's default.
    pub sort: Option<String>,
    pub cursor: Option<String>,
    /// `field=value` filters on the entity's own fields (the board's "N more" link uses them).
    pub filters: Vec<(String, String)>,
}

impl ListParams {
    /// Reads `q` (or `filter`, as the API spells it), `sort`, `cursor` and filters on the
    /// entity's fields; an unknown sort falls back to the default, other keys are ignored.
    pub fn parse(entity: Entity, raw: &str) -> ListParams {
        let mut p = ListParams::default();
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            match k.as_ref() {
                "q" | "filter" => p.q = v.trim().to_string(),
                "sort" if sortable(entity, &v) => p.sort = Some(v.into_owned()),
                "cursor" if !v.is_empty() => p.cursor = Some(v.into_owned()),
                name if entity.field(name).is_some_and(|f| f.filterable() && f.readable()) => {
                    p.filters.push((k.into_owned(), v.into_owned()))
                }
                _ => {}
            }
        }
        p
    }

    /// The query string of this view with another sort and cursor.
    fn query(&self, sort: Option<&str>, cursor: Option<&str>) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        if let Some(sort) = sort {
            s.append_pair("sort", sort);
        }
        for (k, v) in &self.filters {
            s.append_pair(k, v);
        }
        if let Some(c) = cursor {
            s.append_pair("cursor", c);
        }
        s.finish()
    }

    /// The store's query of this view over all its pages (the list pages it, the totals count it,
    /// exports walk it), and whether its filter box was read as a plain search.
    pub(crate) fn store_query(&self, entity: Entity) -> (ListQuery, bool) {
        let (filter, plain) = match self.q.as_str() {
            "" => (None, false),
            q => {
                let (e, plain) = box_expression(q, search_fields(entity));
                (Some(e), plain)
            }
        };
        (ListQuery { limit: None, cursor: None, sort: self.sort.clone(), filter, filters: self.filters.clone(), offset: None }, plain)
    }

    /// This view from its first page.
    fn view(&self) -> String {
        self.query(self.sort.as_deref(), None)
    }
}

fn sortable(entity: Entity, sort: &str) -> bool {
    entity.field(sort.strip_prefix('-').unwrap_or(sort)).is_some_and(|f| f.sortable)
}

fn href(path: &str, query: &str) -> String {
    if query.is_empty() {
        format!("/{path}")
    } else {
        format!("/{path}?{query}")
    }
}

pub struct SortLink {
    pub href: String,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    pub aria: &'static str,
    pub arrow: &'static str,
}

pub struct Header {
    pub label: String,
    pub num: bool,
    pub sort: Option<SortLink>,
}

pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub num: bool,
    /// A badge class (`ok`, `danger`…) to show the text as a badge; empty for plain text.
    pub badge: &'static str,
}

impl Cell {
    fn text(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), href: None, num: false, badge: "" }
    }
    fn link(text: impl Into<String>, href: String) -> Cell {
        Cell { href: Some(href), ..Cell::text(text) }
    }
    /// A linked record by its name, or an empty cell.
    fn linked(names: &HashMap<i64, String>, id: Option<i64>, path: &str) -> Cell {
        match id.and_then(|i| names.get(&i).map(|n| (i, n))) {
            Some((i, n)) => Cell::link(n.clone(), format!("/{path}/{i}")),
            None => Cell::text(""),
        }
    }
    fn name(names: &HashMap<i64, String>, id: Option<i64>) -> Cell {
        Cell::text(id.and_then(|i| names.get(&i).cloned()).unwrap_or_default())
    }
}

/// A column offered by the column picker.
pub struct ColumnChoice {
    pub id: &'static str,
    pub label: String,
    pub shown: bool,
}

pub struct SavedView {
    pub id: i64,
    pub name: String,
    pub href: String,
    pub shared: bool,
    pub own: bool,
    pub active: bool,
}

/// A `field=value` filter in force, as the reader names it.
pub struct Chip {
    pub label: String,
    pub value: String,
}

/// The save-filter form's state after a failed attempt.
#[derive(Default)]
pub struct SaveForm {
    pub name: String,
    pub shared: bool,
    pub error: Option<String>,
}

pub struct ListView {
    pub path: &'static str,
    pub csrf: String,
    pub q: String,
    /// The current view's query string, handed back by the save and delete forms.
    pub view: String,
    /// Sort and `field=value` filters, kept by the filter box when its text changes.
    pub keep: Vec<(String, String)>,
    pub headers: Vec<Header>,
    /// Every column the list may show, for the column picker.
    pub columns: Vec<ColumnChoice>,
    /// Where the count and value of the whole list load from (after the page itself).
    pub totals_link: String,
    /// The view's query string, for the export links.
    pub export_query: String,
    /// Each row: the record's id (for bulk actions) and its cells.
    pub rows: Vec<(i64, Vec<Cell>)>,
    pub next_link: Option<String>,
    pub first_link: Option<String>,
    pub chips: Vec<Chip>,
    /// The list without its `field=value` filters.
    pub clear_link: String,
    pub filter_error: Option<String>,
    pub plain_search: bool,
    pub saved: Vec<SavedView>,
    pub save: SaveForm,
    pub notice: Option<String>,
}

impl ListView {
    /// One of the saved filters is the one in force.
    pub fn saved_active(&self) -> bool {
        self.saved.iter().any(|s| s.active)
    }
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    ctx: super::Ctx,
    t: T,
    title: String,
    oob: bool,
    list: ListView,
}

#[derive(Template)]
#[template(path = "list_fragment.html")]
struct ListFragment {
    t: T,
    oob: bool,
    list: ListView,
}

/// `GET /{entity path}`: the list of `entity`.
fn list_route(entity: Entity) -> MethodRouter<AppState> {
    get(move |State(st): State<AppState>, ui: Ui, headers: HeaderMap, RawQuery(q): RawQuery| async move {
        list_page(&st, &ui, &headers, entity, q.as_deref().unwrap_or("")).await
    })
}

/// htmx restoring a page missing from its history cache wants the whole page, not a fragment.
fn wants_fragment(ui: &Ui, headers: &HeaderMap) -> bool {
    ui.htmx && headers.get("hx-history-restore-request").is_none()
}

async fn list_page(st: &AppState, ui: &Ui, headers: &HeaderMap, entity: Entity, raw: &str) -> Response {
    let ui = Ui { htmx: wants_fragment(ui, headers), ..ui.clone() };
    respond(st, &ui, headers, entity, ListParams::parse(entity, raw), SaveForm::default(), None).await
}

/// Renders a list as a page or, for htmx, as the `#list` fragment; 422 when the filter or the
/// save form has a mistake to show.
pub(crate) async fn respond(
    st: &AppState,
    ui: &Ui,
    headers: &HeaderMap,
    entity: Entity,
    params: ListParams,
    save: SaveForm,
    notice: Option<String>,
) -> Response {
    let mut list = match load_list(st, ui, entity, &params, &chosen_columns(entity, headers, "")).await {
        Ok(l) => l,
        Err(e) => return store_error(ui, e),
    };
    let status = if list.filter_error.is_some() || save.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    list.save = save;
    list.notice = notice;
    if ui.htmx {
        return render_status(status, &ListFragment { t: ui.t, oob: true, list });
    }
    let title = ui.t.t(nav_key(entity)).to_string();
    render_status(status, &ListPage { ctx: ui.ctx(list.path, title.clone()), t: ui.t, title, oob: false, list })
}

fn nav_key(entity: Entity) -> &'static str {
    match entity {
        Entity::Deal => "nav.deals",
        Entity::Person => "nav.persons",
        _ => "nav.organizations",
    }
}

async fn load_list(st: &AppState, ui: &Ui, entity: Entity, params: &ListParams, cols: &[&'static Col]) -> Result<ListView, StoreError> {
    let path = entity.path();
    let (lq, plain_search) = params.store_query(entity);
    let expression = lq.filter.clone();
    let lq = ListQuery { limit: Some(PAGE.into()), cursor: params.cursor.clone(), ..lq };
    let (page, filter_error) = match st.db.list(&ui.actor, entity, &lq).await {
        Ok(p) => (Some(p), None),
        Err(StoreError::Filter { error, text, .. }) => (None, Some(filter_message(&ui.t, &error, &text))),
        Err(e @ StoreError::Validation(_)) => (None, super::messages::refusal_line(&ui.t, &e)),
        Err(e) => return Err(e),
    };
    let (data, next_cursor) = page.map(|p| (p.data, p.next_cursor)).unwrap_or_default();
    let ids: Vec<i64> = data.iter().map(Row::id).collect();
    let rows = row_cells(st, ui, entity, &data).await?.into_iter().map(|c| pick(c, cols)).zip(ids).map(|(c, id)| (id, c)).collect();
    let view = params.view();
    let mut keep: Vec<(String, String)> = params.sort.iter().map(|s| ("sort".to_string(), s.clone())).collect();
    keep.extend(params.filters.iter().cloned());
    let unfiltered = ListParams { filters: Vec::new(), ..params.clone() };
    Ok(ListView {
        path,
        csrf: ui.csrf.clone(),
        q: params.q.clone(),
        headers: headers(ui.t, entity, params, cols),
        columns: columns(entity)
            .iter()
            .map(|c| ColumnChoice { id: c.id, label: ui.t.t(c.key).to_string(), shown: cols.iter().any(|x| x.id == c.id) })
            .collect(),
        totals_link: format!("/{path}/totals{}", if view.is_empty() { String::new() } else { format!("?{view}") }),
        export_query: view.clone(),
        rows,
        next_link: next_cursor.map(|c| href(path, &params.query(params.sort.as_deref(), Some(&c)))),
        first_link: params.cursor.is_some().then(|| href(path, &view)),
        chips: chips(st, ui, entity, &params.filters).await?,
        clear_link: href(path, &unfiltered.view()),
        keep,
        filter_error,
        plain_search,
        saved: saved_filters(st, ui, entity, expression.as_deref()).await?,
        save: SaveForm::default(),
        notice: None,
        view,
    })
}

fn headers(t: T, entity: Entity, params: &ListParams, cols: &[&Col]) -> Vec<Header> {
    let current = params.sort.as_deref().unwrap_or(entity.default_sort());
    cols.iter()
        .map(|c| Header {
            label: t.t(c.key).to_string(),
            num: c.num,
            sort: Some(c.sort).filter(|f| !f.is_empty() && sortable(entity, f)).map(|field| {
                let desc = format!("-{field}");
                let (aria, arrow, next) = if current == field {
                    ("ascending", "▲", desc.clone())
                } else if current == desc {
                    ("descending", "▼", field.to_string())
                } else if entity.field(field).is_some_and(|f| matches!(f.kind, Kind::Text(_) | Kind::Email | Kind::Phone | Kind::Enum(_))) {
                    // Names read best A to Z, amounts and dates largest and newest first.
                    ("none", "", field.to_string())
                } else {
                    ("none", "", desc.clone())
                };
                SortLink { href: href(entity.path(), &params.query(Some(&next), None)), aria, arrow }
            }),
        })
        .collect()
}

fn ids<'a>(rows: &'a [Row], field: &'a str) -> impl Iterator<Item = i64> + 'a {
    rows.iter().filter_map(move |r| r.get(field).as_int())
}

fn text(r: &Row, field: &str) -> String {
    r.get(field).as_text().unwrap_or("").to_string()
}

fn status_cell(t: T, status: &str) -> Cell {
    let (key, badge) = match status {
        "won" => ("lists.status.won", "ok"),
        "lost" => ("lists.status.lost", "danger"),
        "frozen" => ("lists.status.frozen", "warn"),
        "not_lead" => ("lists.status.not_lead", "muted"),
        _ => ("lists.status.open", "info"),
    };
    Cell { badge, ..Cell::text(t.t(key)) }
}

/// One record's cells, each under its column's id.
pub(crate) type Cells = Vec<(&'static str, Cell)>;

fn date_cell(ui: &Ui, r: &Row, field: &str) -> Cell {
    Cell::text(r.get(field).as_int().map(|ms| ui.fmt().date(ms)).unwrap_or_default())
}

/// The cells of `rows` for every column of `entity`'s list, the linked records named.
pub(crate) async fn row_cells(st: &AppState, ui: &Ui, entity: Entity, rows: &[Row]) -> Result<Vec<Cells>, StoreError> {
    let names = |e: Entity, field: &'static str| st.db.names(&ui.actor, e, ids(rows, field));
    let owners = names(Entity::User, "owner_id").await?;
    let orgs = if entity == Entity::Organization { HashMap::new() } else { names(Entity::Organization, "organization_id").await? };
    let fmt = ui.fmt();
    match entity {
        Entity::Deal => {
            let stages = names(Entity::Stage, "stage_id").await?;
            let persons = names(Entity::Person, "person_id").await?;
            Ok(rows
                .iter()
                .map(|r| {
                    let currency = r.get("currency").as_text().unwrap_or(&ui.actor.ws.currency);
                    let value = r.get("value").as_int().map(|v| fmt.money(v, currency)).unwrap_or_default();
                    vec![
                        ("title", Cell::link(text(r, "title"), format!("/deals/{}", r.id()))),
                        ("organization", Cell::linked(&orgs, r.get("organization_id").as_int(), "organizations")),
                        ("person", Cell::linked(&persons, r.get("person_id").as_int(), "persons")),
                        ("stage", Cell::name(&stages, r.get("stage_id").as_int())),
                        ("value", Cell { num: true, ..Cell::text(value) }),
                        ("owner", Cell::name(&owners, r.get("owner_id").as_int())),
                        ("status", status_cell(ui.t, r.get("status").as_text().unwrap_or("open"))),
                        ("expected_close", Cell::text(r.get("expected_close_date").as_text().map(|d| fmt.date_str(d)).unwrap_or_default())),
                        ("source", Cell::text(text(r, "source"))),
                        ("created", date_cell(ui, r, "created_at")),
                        ("updated", date_cell(ui, r, "updated_at")),
                    ]
                })
                .collect())
        }
        Entity::Person => Ok(rows
            .iter()
            .map(|r| {
                let email = text(r, "email");
                let phone = text(r, "phone");
                vec![
                    ("name", Cell::link(text(r, "name"), format!("/persons/{}", r.id()))),
                    ("organization", Cell::linked(&orgs, r.get("organization_id").as_int(), "organizations")),
                    ("job_title", Cell::text(text(r, "job_title"))),
                    ("phone", if phone.is_empty() { Cell::text("") } else { Cell::link(phone.clone(), format!("tel:{phone}")) }),
                    ("email", if email.is_empty() { Cell::text("") } else { Cell::link(email.clone(), format!("mailto:{email}")) }),
                    ("owner", Cell::name(&owners, r.get("owner_id").as_int())),
                    ("created", date_cell(ui, r, "created_at")),
                    ("updated", date_cell(ui, r, "updated_at")),
                ]
            })
            .collect()),
        _ => {
            let row_ids: Vec<i64> = rows.iter().map(Row::id).collect();
            let labels = st.db.labels_of(&ui.actor, Entity::Organization, &row_ids).await?;
            Ok(rows
                .iter()
                .map(|r| {
                    // The assistants' marks ("forgotten", "debtor"…), so a head sees them while scanning the list.
                    let marks = labels
                        .get(&r.id())
                        .map(|ls| ls.iter().map(|l| super::assistants::label_text(&ui.t, l)).collect::<Vec<_>>().join(", "));
                    vec![
                        ("name", Cell::link(text(r, "name"), format!("/organizations/{}", r.id()))),
                        ("address", Cell::text(text(r, "address"))),
                        ("tax_id", Cell::text(text(r, "tax_id"))),
                        ("owner", Cell::name(&owners, r.get("owner_id").as_int())),
                        (
                            "labels",
                            match marks {
                                Some(m) => Cell { badge: "warn", ..Cell::text(m) },
                                None => Cell::text(""),
                            },
                        ),
                        ("created", date_cell(ui, r, "created_at")),
                        ("updated", date_cell(ui, r, "updated_at")),
                    ]
                })
                .collect())
        }
    }
}

/// The cells of the chosen columns, in the columns' order.
pub(crate) fn pick(cells: Cells, cols: &[&Col]) -> Vec<Cell> {
    let mut cells = cells;
    cols.iter().filter_map(|c| cells.iter().position(|(id, _)| *id == c.id).map(|at| cells.swap_remove(at).1)).collect()
}

/// The `field=value` filters in force, with linked records named and statuses translated.
async fn chips(st: &AppState, ui: &Ui, entity: Entity, filters: &[(String, String)]) -> Result<Vec<Chip>, StoreError> {
    let mut out = Vec::with_capacity(filters.len());
    for (field, raw) in filters {
        let value = match (field.as_str(), entity.field(field).map(|f| f.kind)) {
            ("status", _) => status_cell(ui.t, raw).text,
            (_, Some(Kind::Ref(target))) if target != Entity::Deal => {
                let id = raw.parse::<i64>().ok();
                let names = st.db.names(&ui.actor, target, id).await?;
                id.and_then(|i| names.get(&i).cloned()).unwrap_or_else(|| raw.clone())
            }
            _ => raw.clone(),
        };
        out.push(Chip { label: field_label(&ui.t, field), value });
    }
    Ok(out)
}

/// The saved filters of this list the caller sees; `active` marks the one in force.
async fn saved_filters(st: &AppState, ui: &Ui, entity: Entity, expression: Option<&str>) -> Result<Vec<SavedView>, StoreError> {
    let lq = ListQuery {
        limit: Some(MAX_SAVED.into()),
        sort: Some("name".into()),
        filters: vec![("entity".into(), entity.name().into())],
        ..ListQuery::default()
    };
    let rows = st.db.list(&ui.actor, Entity::SavedFilter, &lq).await?.data;
    Ok(rows
        .iter()
        .map(|r| {
            let expr = text(r, "expression");
            let query = form_urlencoded::Serializer::new(String::new()).append_pair("q", &expr).finish();
            SavedView {
                id: r.id(),
                name: text(r, "name"),
                href: href(entity.path(), &query),
                shared: matches!(r.get("shared"), Val::Bool(true)),
                own: r.get("owner_id").as_int() == Some(ui.actor.user_id()),
                active: expression == Some(expr.as_str()),
            }
        })
        .collect())
}

#[derive(Deserialize)]
struct SaveFilterForm {
    entity: String,
    #[serde(default)]
    name: String,
    shared: Option<String>,
    #[serde(default)]
    view: String,
}

/// After a change: htmx gets the refreshed list, a plain form goes back to the list.
async fn after_change(st: &AppState, ui: &Ui, headers: &HeaderMap, entity: Entity, params: ListParams, notice: &str) -> Response {
    if ui.htmx {
        return respond(st, ui, headers, entity, params, SaveForm::default(), Some(ui.t.t(notice).to_string())).await;
    }
    Redirect::to(&href(entity.path(), &params.view())).into_response()
}

/// Saves the current filter box's expression under a name, for the caller or the workspace.
async fn save_filter(State(st): State<AppState>, ui: Ui, headers: HeaderMap, Form(form): Form<SaveFilterForm>) -> Response {
    let Some(entity) = list_entity(&form.entity) else {
        return store_error(&ui, StoreError::NotFound);
    };
    let params = ListParams::parse(entity, &form.view);
    let name = form.name.trim().to_string();
    let shared = form.shared.is_some_and(|v| v == "1" || v == "on");
    let failed = |error: String| SaveForm { name: name.clone(), shared, error: Some(error) };
    if params.q.is_empty() {
        return respond(&st, &ui, &headers, entity, params, failed(ui.t.t("lists.save_empty").to_string()), None).await;
    }
    if name.is_empty() {
        return respond(&st, &ui, &headers, entity, params, failed(ui.t.t("lists.save_name_required").to_string()), None).await;
    }
    let (expression, _) = box_expression(&params.q, search_fields(entity));
    let body = json!({"name": name, "entity": entity.name(), "expression": expression, "shared": shared});
    match st.db.create(&ui.actor, Entity::SavedFilter, &body).await {
        Ok(_) => after_change(&st, &ui, &headers, entity, params, "lists.saved").await,
        Err(StoreError::Filter { error, text, .. }) => {
            respond(&st, &ui, &headers, entity, params, failed(filter_message(&ui.t, &error, &text)), None).await
        }
        Err(e) => match super::field_error(&ui.t, &e) {
            Some((_, message)) => {
                let error = format!("{}: {}", ui.t.t("lists.save_name"), message);
                respond(&st, &ui, &headers, entity, params, failed(error), None).await
            }
            None => store_error(&ui, e),
        },
    }
}

#[derive(Deserialize)]
struct DeleteFilterForm {
    entity: String,
    #[serde(default)]
    view: String,
}

async fn delete_filter(
    State(st): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<DeleteFilterForm>,
) -> Response {
    let Some(entity) = list_entity(&form.entity) else {
        return store_error(&ui, StoreError::NotFound);
    };
    if let Err(e) = st.db.delete(&ui.actor, Entity::SavedFilter, id).await {
        return store_error(&ui, e);
    }
    after_change(&st, &ui, &headers, entity, ListParams::parse(entity, &form.view), "lists.deleted").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_text_searches_and_operators_make_an_expression() {
        assert_eq!(box_expression("Ромашка", &["title"]), (r#"title ~ "Ромашка""#.to_string(), true));
        assert_eq!(box_expression(r#"a"b"#, &["title"]).0, r#"a"b"#);
        assert_eq!(box_expression("Иван", &["name", "email"]).0, r#"name ~ "Иван" or email ~ "Иван""#);
        assert_eq!(box_expression("value > 5", &["title"]), ("value > 5".to_string(), false));
    }

    #[test]
    fn params_keep_known_fields_and_a_valid_sort_only() {
        let p = ListParams::parse(Entity::Deal, "filter=value+%3E+1&sort=-value&stage_id=5&status=open&junk=1&cursor=abc");
        assert_eq!(p.q, "value > 1");
        assert_eq!(p.sort.as_deref(), Some("-value"));
        assert_eq!(p.filters, vec![("stage_id".into(), "5".into()), ("status".into(), "open".into())]);
        assert_eq!(p.view(), "q=value+%3E+1&sort=-value&stage_id=5&status=open");
        assert_eq!(ListParams::parse(Entity::Deal, "sort=-address").sort, None);
        assert_eq!(ListParams::parse(Entity::Person, "custom=x&name=Ann").filters, vec![("name".into(), "Ann".into())]);
    }

    #[test]
    fn headers_toggle_the_direction_and_mark_the_current_sort() {
        let t = T::new(super::super::i18n::Lang::En);
        let cols = chosen_columns(Entity::Deal, &HeaderMap::new(), "");
        let p = ListParams::parse(Entity::Deal, "sort=title");
        let h = headers(t, Entity::Deal, &p, &cols);
        let title = h[0].sort.as_ref().unwrap();
        assert_eq!((title.aria, title.href.as_str()), ("ascending", "/deals?sort=-title"));
        let value = h[3].sort.as_ref().unwrap();
        assert_eq!((value.aria, value.href.as_str()), ("none", "/deals?sort=-value"));
        // Every column sorts; a linked record's by its id (grouping each company's deals).
        assert!(h.iter().all(|c| c.sort.is_some()));
        let by_default = headers(t, Entity::Deal, &ListParams::default(), &cols);
        assert_eq!(by_default[7].sort.as_ref().unwrap().aria, "descending");
        // The labels column of organizations is the one that does not sort.
        let org_cols = chosen_columns(Entity::Organization, &HeaderMap::new(), "");
        assert!(headers(t, Entity::Organization, &ListParams::default(), &org_cols).iter().any(|c| c.sort.is_none()));
    }

    #[test]
    fn picked_columns_come_from_the_address_then_the_cookie_and_keep_the_title() {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::COOKIE, "cols_deals=value.source".parse().unwrap());
        let ids = |cols: Vec<&Col>| cols.iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(chosen_columns(Entity::Deal, &h, "")), ["title", "value", "source"]);
        assert_eq!(ids(chosen_columns(Entity::Deal, &h, "cols=stage")), ["title", "stage"]);
        assert_eq!(ids(chosen_columns(Entity::Deal, &HeaderMap::new(), "")).len(), 8, "the defaults");
        assert_eq!(ids(chosen_columns(Entity::Deal, &HeaderMap::new(), "cols=nothing")).len(), 8, "nothing known: the defaults");
    }
}

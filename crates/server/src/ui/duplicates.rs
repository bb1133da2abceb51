//! Duplicates: the page that lists groups of persons or organizations that look like one client,
//! side by side, with "keep this one" merging the others into the chosen card; and the "merge
//! with…" block of a person's or organization's card, which offers the card's own look-alikes
//! and takes the id of any other card.
//!
//! Finding and merging are the store's ([`poryadok_store::merge`]), called with the signed-in
//! user, so the page shows and merges only what the API would.
use super::card::FieldView;
use super::i18n::T;
use super::{render, render_status, store_error, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::msg::RecordMsg;
use poryadok_core::schema::Entity;
use poryadok_core::Msg;
use poryadok_store::merge::DuplicateGroup;
use poryadok_store::{Row, StoreError};
use serde::Deserialize;
use std::collections::HashMap;

/// Groups one page shows.
const GROUPS: usize = 50;

pub fn routes() -> Router<AppState> {
    let mut r = Router::new().route("/duplicates", get(page)).route("/duplicates/merge", post(merge_group));
    for entity in [Entity::Person, Entity::Organization] {
        r = r.route(
            &format!("/{}/{{id}}/merge", entity.path()),
            get(move |st: State<AppState>, ui: Ui, id: Path<i64>| merge_block(st, ui, id, entity))
                .post(move |st: State<AppState>, ui: Ui, id: Path<i64>, f: Form<CardMergeForm>| merge_into_card(st, ui, id, f, entity)),
        );
    }
    r
}

fn card_url(entity: Entity, id: i64) -> String {
    format!("/{}/{id}", entity.path())
}

fn mergeable(path: &str) -> Option<Entity> {
    Entity::from_path(path).filter(|e| matches!(e, Entity::Person | Entity::Organization))
}

fn reason_key(reason: &str) -> &'static str {
    match reason {
        "phone" => "duplicates.reason.phone",
        "email" => "duplicates.reason.email",
        "tax_id" => "duplicates.reason.tax_id",
        "domain" => "duplicates.reason.domain",
        _ => "duplicates.reason.name",
    }
}

fn text(row: &Row, field: &str) -> String {
    row.get(field).as_text().unwrap_or("").to_string()
}

/// One card of a group, as compared side by side.
pub struct RecordView {
    pub id: i64,
    pub name: String,
    pub href: String,
    pub fields: Vec<FieldView>,
    pub deals: i64,
    pub created: String,
    /// The question asked before keeping this one.
    pub confirm: String,
}

pub struct GroupView {
    pub dom_id: String,
    pub reason: String,
    pub reason_code: String,
    pub key: String,
    /// `persons` or `organizations`.
    pub path: &'static str,
    /// Every id of the group, comma-separated, for "keep this one".
    pub ids: String,
    pub records: Vec<RecordView>,
    pub error: Option<String>,
    /// After a merge: the kept card's link and name.
    pub done: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct Page {
    ctx: super::Ctx,
    t: T,
    csrf: String,
    tab: &'static str,
    groups: Vec<GroupView>,
    limited: bool,
    limit: String,
}

#[derive(Template)]
#[template(path = "duplicates_group.html")]
struct GroupTpl {
    t: T,
    csrf: String,
    g: GroupView,
}

/// What a group's cards need beyond their rows: deal counts and linked names.
#[derive(Default)]
struct Extras {
    deals: HashMap<i64, i64>,
    orgs: HashMap<i64, String>,
    users: HashMap<i64, String>,
}

async fn extras(st: &AppState, ui: &Ui, entity: Entity, rows: &[Row]) -> Result<Extras, StoreError> {
    let ids: Vec<i64> = rows.iter().map(Row::id).collect();
    let (db, a) = (&st.db, &ui.actor);
    Ok(Extras {
        deals: db.deal_counts(a, entity, &ids).await?,
        orgs: db.names(a, Entity::Organization, rows.iter().filter_map(|r| r.get("organization_id").as_int())).await?,
        users: db.names(a, Entity::User, rows.iter().filter_map(|r| r.get("owner_id").as_int())).await?,
    })
}

fn record_view(ui: &Ui, entity: Entity, row: &Row, x: &Extras) -> RecordView {
    let t = ui.t;
    let line = |key: &str, value: String, href: Option<String>| FieldView { label: t.t(key).to_string(), value, href };
    let mut fields = Vec::new();
    let contacts: &[(&str, &str)] = if entity == Entity::Person {
        &[("phone", "card.f.phone"), ("whatsapp", "card.f.whatsapp"), ("email", "card.f.email"), ("telegram", "card.f.telegram")]
    } else {
        &[("tax_id", "card.f.tax_id"), ("website", "card.f.website"), ("address", "card.f.address")]
    };
    for (field, key) in contacts {
        let v = text(row, field);
        if !v.is_empty() {
            let href = if *field == "website" { crate::security::safe_href(&v) } else { None };
            fields.push(line(key, v, href));
        }
    }
    if let Some(org) = row.get("organization_id").as_int() {
        let name = x.orgs.get(&org).cloned().unwrap_or_else(|| format!("#{org}"));
        fields.push(line("card.f.organization", name, Some(card_url(Entity::Organization, org))));
    }
    if let Some(owner) = row.get("owner_id").as_int() {
        fields.push(line("card.f.owner", x.users.get(&owner).cloned().unwrap_or_else(|| format!("#{owner}")), None));
    }
    let name = text(row, "name");
    RecordView {
        id: row.id(),
        href: card_url(entity, row.id()),
        fields,
        deals: x.deals.get(&row.id()).copied().unwrap_or(0),
        created: row.get("created_at").as_int().map(|ms| ui.fmt().date(ms)).unwrap_or_default(),
        confirm: t.fmt("duplicates.keep_confirm", [("name", name.as_str())].as_slice()),
        name,
    }
}

fn group_view(ui: &Ui, entity: Entity, g: &DuplicateGroup, rows: &[&Row], x: &Extras) -> GroupView {
    GroupView {
        dom_id: format!("dup-{}-{}", g.reason, g.ids.first().copied().unwrap_or(0)),
        reason: ui.t.t(reason_key(g.reason)).to_string(),
        reason_code: g.reason.to_string(),
        key: g.key.clone(),
        path: entity.path(),
        ids: g.ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        records: rows.iter().map(|r| record_view(ui, entity, r, x)).collect(),
        error: None,
        done: None,
    }
}

/// The groups with their cards; a group whose cards were merged or hidden since is left out.
async fn load_groups(st: &AppState, ui: &Ui, entity: Entity, groups: &[DuplicateGroup]) -> Result<Vec<GroupView>, StoreError> {
    let ids: Vec<i64> = groups.iter().flat_map(|g| g.ids.iter().copied()).collect();
    let rows = st.db.rows_by_ids(&ui.actor, entity, &ids).await?;
    let x = extras(st, ui, entity, &rows).await?;
    let by_id: HashMap<i64, &Row> = rows.iter().map(|r| (r.id(), r)).collect();
    Ok(groups
        .iter()
        .filter_map(|g| {
            let members: Vec<&Row> = g.ids.iter().filter_map(|id| by_id.get(id).copied()).collect();
            (members.len() > 1).then(|| group_view(ui, entity, g, &members, &x))
        })
        .collect())
}

#[derive(Deserialize)]
struct PageQuery {
    entity: Option<String>,
}

async fn page(State(st): State<AppState>, ui: Ui, Query(q): Query<PageQuery>) -> Response {
    let entity = q.entity.as_deref().and_then(mergeable).unwrap_or(Entity::Person);
    let loaded = async {
        let found = st.db.find_duplicates(&ui.actor, entity, GROUPS).await?;
        let views = load_groups(&st, &ui, entity, &found).await?;
        Ok::<_, StoreError>((views, found.len() == GROUPS))
    };
    match loaded.await {
        Ok((groups, limited)) => render(&Page {
            ctx: ui.ctx("duplicates", ui.t.t("duplicates.title")),
            t: ui.t,
            csrf: ui.csrf.clone(),
            tab: entity.path(),
            groups,
            limited,
            limit: GROUPS.to_string(),
        }),
        Err(e) => store_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct GroupMergeForm {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    keep: String,
    /// Every id of the group (the kept one may be among them).
    #[serde(default)]
    ids: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    key: String,
}

/// "Keep this one": merges the group's other cards into the chosen one. Answers htmx with the
/// group replaced by a notice, or on a refusal with the group and the reason.
async fn merge_group(State(st): State<AppState>, ui: Ui, Form(f): Form<GroupMergeForm>) -> Response {
    let Some(entity) = mergeable(&f.entity) else {
        return store_error(
            &ui,
            StoreError::invalid(
                "entity",
                poryadok_core::msg::Common::OneOf { list: poryadok_core::msg::words(["persons", "organizations"]) },
            ),
        );
    };
    let Ok(keep) = f.keep.trim().parse::<i64>() else {
        return store_error(&ui, StoreError::invalid("merge_id", poryadok_core::msg::Common::Required {}));
    };
    let ids: Vec<i64> = f.ids.split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let mut result = Ok(None);
    for id in ids.iter().copied().filter(|id| *id != keep) {
        result = st.db.merge(&ui.actor, entity, keep, id).await.map(Some);
        if result.is_err() {
            break;
        }
    }
    if !ui.htmx {
        return match result {
            Ok(_) => Redirect::to(&format!("/duplicates?entity={}", entity.path())).into_response(),
            Err(e) => store_error(&ui, e),
        };
    }
    let reason = ["phone", "email", "tax_id", "domain", "name"].into_iter().find(|r| *r == f.reason).unwrap_or("name");
    let group = DuplicateGroup { reason, key: f.key.clone(), ids: ids.clone() };
    match result {
        Ok(kept) => {
            let name = kept.map(|r| text(&r, "name")).unwrap_or_default();
            let mut g = group_view(&ui, entity, &group, &[], &Extras::default());
            g.done = Some((card_url(entity, keep), name));
            render(&GroupTpl { t: ui.t, csrf: ui.csrf.clone(), g })
        }
        Err(e) => {
            let message = merge_error(&ui, &e);
            match (message, load_groups(&st, &ui, entity, std::slice::from_ref(&group)).await) {
                (Some(m), Ok(mut views)) if !views.is_empty() => {
                    let mut g = views.remove(0);
                    g.error = Some(m);
                    render_status(StatusCode::UNPROCESSABLE_ENTITY, &GroupTpl { t: ui.t, csrf: ui.csrf.clone(), g })
                }
                _ => store_error(&ui, e),
            }
        }
    }
}

/// A merge refusal in the reader's words, when it is about the choice of cards.
fn merge_error(ui: &Ui, e: &StoreError) -> Option<String> {
    let t = ui.t;
    Some(match e.msg()? {
        Msg::RecordMsg(RecordMsg::MergeBusy {}) => t.t("duplicates.err.busy").to_string(),
        Msg::RecordMsg(RecordMsg::MergeSelf {}) => t.t("duplicates.err.self").to_string(),
        Msg::RecordMsg(RecordMsg::NoRecord { id, .. }) => t.fmt("duplicates.err.unknown", [("id", id.to_string().as_str())].as_slice()),
        _ => super::messages::refusal_line(&t, e)?,
    })
}

// ---------------------------------------------------------------------------------------------
// "Merge with…" on a card.

pub struct CandidateView {
    pub id: i64,
    pub name: String,
    pub href: String,
    pub reason: String,
    pub confirm: String,
}

pub struct MergeBlock {
    pub action: String,
    pub csrf: String,
    pub candidates: Vec<CandidateView>,
    pub merge_id: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "duplicates_merge.html")]
struct MergeTpl {
    t: T,
    b: MergeBlock,
}

async fn candidates(st: &AppState, ui: &Ui, entity: Entity, id: i64) -> Result<Vec<CandidateView>, StoreError> {
    let found = st.db.duplicates_of(&ui.actor, entity, id).await?;
    let rows = st.db.rows_by_ids(&ui.actor, entity, &found.iter().map(|c| c.id).collect::<Vec<_>>()).await?;
    Ok(found
        .iter()
        .filter_map(|c| {
            let name = text(rows.iter().find(|r| r.id() == c.id)?, "name");
            Some(CandidateView {
                id: c.id,
                href: card_url(entity, c.id),
                reason: ui.t.t(reason_key(c.reason)).to_string(),
                confirm: ui.t.fmt("duplicates.card.confirm", [("name", name.as_str())].as_slice()),
                name,
            })
        })
        .collect())
}

fn block(ui: &Ui, entity: Entity, id: i64, candidates: Vec<CandidateView>) -> MergeBlock {
    MergeBlock {
        action: format!("{}/merge", card_url(entity, id)),
        csrf: ui.csrf.clone(),
        candidates,
        merge_id: String::new(),
        error: None,
    }
}

/// The block's content, loaded when it is opened: look-alikes of this card and the id form.
async fn merge_block(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, entity: Entity) -> Response {
    match candidates(&st, &ui, entity, id).await {
        Ok(c) => render(&MergeTpl { t: ui.t, b: block(&ui, entity, id, c) }),
        Err(e) => store_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct CardMergeForm {
    #[serde(default)]
    merge_id: String,
}

/// Merges the other card into this one, then opens this card afresh.
async fn merge_into_card(
    State(st): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Form(f): Form<CardMergeForm>,
    entity: Entity,
) -> Response {
    let refuse = |message: String| async {
        let found = candidates(&st, &ui, entity, id).await.unwrap_or_default();
        let b = MergeBlock { merge_id: f.merge_id.clone(), error: Some(message), ..block(&ui, entity, id, found) };
        render_status(StatusCode::UNPROCESSABLE_ENTITY, &MergeTpl { t: ui.t, b })
    };
    let Some(other) = f.merge_id.trim().trim_start_matches('#').parse::<i64>().ok().filter(|i| *i > 0) else {
        return refuse(ui.t.t("duplicates.err.id").to_string()).await;
    };
    if let Err(e) = st.db.merge(&ui.actor, entity, id, other).await {
        return match merge_error(&ui, &e) {
            Some(m) if ui.htmx => refuse(m).await,
            _ => store_error(&ui, e),
        };
    }
    let url = card_url(entity, id);
    if !ui.htmx {
        return Redirect::to(&url).into_response();
    }
    let mut resp = StatusCode::OK.into_response();
    if let Ok(v) = HeaderValue::from_str(&url) {
        resp.headers_mut().insert("hx-redirect", v);
    }
    resp
}

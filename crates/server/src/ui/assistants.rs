//! The assistants in the web UI: their page under Settings — one panel per assistant with what it
//! does, on/off, a typed form of its settings, a dry run and a run now that both list what the
//! assistant would do (or did) and why — the labels and recent actions block of a card, and the
//! sentence a card's timeline shows for an assistant's act.
//!
//! Everything goes through the store with the signed-in user, so the rules are the API's:
//! administrators change settings and run, heads of sales read the settings and dry-run, anyone
//! else is refused. A refused setting comes back with 422, the message under its input and the
//! typed values kept.
use super::card::Entry;
use super::format::Fmt;
use super::i18n::T;
use super::settings::{self, NavItem};
use super::{error_page, messages, render_status, store_error, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::assistants::{CHANNELS, NAMES, RELEASE_MODES};
use poryadok_core::domain::Role;
use poryadok_core::schema::Entity;
use poryadok_core::types::Val;
use poryadok_store::assistants::{AssistantInfo, LastRun, Planned, RunReport};
use poryadok_store::{ListQuery, StoreError};
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HREF, get(page))
        .route("/settings/assistants/{name}", post(save))
        .route("/settings/assistants/{name}/dry-run", post(|st: State<AppState>, ui: Ui, name: Path<String>| run(st, ui, name, true)))
        .route("/settings/assistants/{name}/run", post(|st: State<AppState>, ui: Ui, name: Path<String>| run(st, ui, name, false)))
}

const HREF: &str = "/settings/assistants";
/// Rows a run's table shows; the rest is only counted.
const SHOWN: usize = 200;
/// Assistant actions listed on a card.
const RECENT: usize = 5;
/// Enough users for any pool.
const ALL_USERS: &str = "500";
/// The order settings are shown in; a key not listed (a newer setting) comes after these.
const KEY_ORDER: &[&str] =
    &["days", "grace_days", "factor", "mode", "pool", "channel", "escalate_after_days", "task_due_days", "skip_with_future_task"];

/// The page's item of the Settings sub-navigation.
pub fn nav_item(t: &T, active: bool) -> NavItem {
    NavItem { href: HREF.into(), label: t.t("assistants.nav"), active }
}

/// The sub-navigation with this page active; a head sees the regulation's tabs and this page
/// (the rest is an administrator's).
fn nav(ui: &Ui) -> Vec<NavItem> {
    let mut items = if ui.is_admin() { settings::nav_outside(&ui.t) } else { settings::head_nav_outside(&ui.t) };
    for item in &mut items {
        item.active = item.href == HREF;
    }
    if ui.is_admin() {
        items.push(super::intake::nav_item(&ui.t, false));
    }
    items
}

fn may_view(ui: &Ui) -> bool {
    ui.is_admin() || ui.actor.caller.role == Role::Head
}

fn refuse(ui: &Ui) -> Response {
    error_page(ui.t, ui.htmx, StatusCode::FORBIDDEN, ui.t.t("error.forbidden"))
}

// ---------------------------------------------------------------------------------------------
// Words.

pub fn title(t: &T, name: &str) -> String {
    match name {
        "forgotten" => t.t("assistants.title.forgotten"),
        "release" => t.t("assistants.title.release"),
        "churned" => t.t("assistants.title.churned"),
        "unpaid" => t.t("assistants.title.unpaid"),
        "debtors" => t.t("assistants.title.debtors"),
        "escalation" => t.t("assistants.title.escalation"),
        other => other,
    }
    .to_string()
}

fn about(t: &T, name: &str) -> &'static str {
    match name {
        "forgotten" => t.t("assistants.about.forgotten"),
        "release" => t.t("assistants.about.release"),
        "churned" => t.t("assistants.about.churned"),
        "unpaid" => t.t("assistants.about.unpaid"),
        "debtors" => t.t("assistants.about.debtors"),
        "escalation" => t.t("assistants.about.escalation"),
        _ => "",
    }
}

/// The label an assistant sets, to name it in its acts.
fn label_of(assistant: &str) -> Option<&'static str> {
    match assistant {
        "forgotten" => Some("forgotten"),
        "churned" => Some("churned"),
        _ => None,
    }
}

/// An act of `assistant` in a few words: its label named when it sets or clears one.
fn act_text(t: &T, assistant: &str, action: &str) -> String {
    match (action, label_of(assistant)) {
        ("label", Some(l)) => t.fmt("assistants.tl.labelled", [("label", label_text(t, l).as_str())].as_slice()),
        ("unlabel", Some(l)) => t.fmt("assistants.action.unlabel_named", [("label", label_text(t, l).as_str())].as_slice()),
        _ => action_label(t, action),
    }
}

fn action_label(t: &T, action: &str) -> String {
    match action {
        "label" => t.t("assistants.action.label"),
        "unlabel" => t.t("assistants.action.unlabel"),
        "task" => t.t("assistants.action.task"),
        "reassign" => t.t("assistants.action.reassign"),
        "remind" => t.t("assistants.action.remind"),
        "notify_head" => t.t("assistants.action.notify_head"),
        other => other,
    }
    .to_string()
}

/// A label's name; a label this version does not know shows as stored.
pub fn label_text(t: &T, label: &str) -> String {
    match label {
        "forgotten" => t.t("assistants.label.forgotten"),
        "churned" => t.t("assistants.label.churned"),
        "debtor" => t.t("assistants.label.debtor"),
        other => other,
    }
    .to_string()
}

fn label_class(label: &str) -> &'static str {
    match label {
        "forgotten" => "warn",
        "churned" | "debtor" => "danger",
        _ => "info",
    }
}

fn setting_label(t: &T, name: &str, key: &str) -> String {
    match (name, key) {
        ("forgotten", "days") => t.t("assistants.s.forgotten.days"),
        ("release", "days") => t.t("assistants.s.release.days"),
        ("churned", "days") => t.t("assistants.s.churned.days"),
        ("unpaid", "days") => t.t("assistants.s.unpaid.days"),
        ("escalation", "days") => t.t("assistants.s.escalation.days"),
        (_, "days") => t.t("assistants.s.days"),
        (_, "task_due_days") => t.t("assistants.s.task_due_days"),
        (_, "skip_with_future_task") => t.t("assistants.s.skip_with_future_task"),
        (_, "mode") => t.t("assistants.s.mode"),
        (_, "pool") => t.t("assistants.s.pool"),
        (_, "factor") => t.t("assistants.s.factor"),
        (_, "channel") => t.t("assistants.s.channel"),
        (_, "grace_days") => t.t("assistants.s.grace_days"),
        (_, "escalate_after_days") => t.t("assistants.s.escalate_after_days"),
        (_, other) => other,
    }
    .to_string()
}

fn option_label(t: &T, value: &str) -> String {
    match value {
        "round_robin" => t.t("assistants.mode.round_robin"),
        "least_load" => t.t("assistants.mode.least_load"),
        "pool" => t.t("assistants.mode.pool"),
        "email" => t.t("assistants.channel.email"),
        "sms" => t.t("assistants.channel.sms"),
        "both" => t.t("assistants.channel.both"),
        "none" => t.t("assistants.channel.none"),
        other => other,
    }
    .to_string()
}

/// A refusal that belongs to the form (a setting, or the panel), in the reader's language; `None`
/// when it is not the user's to fix there.
fn form_error(t: &T, e: &StoreError) -> Option<(String, String)> {
    messages::field_error(t, e)
}

fn last_run(t: &T, fmt: &Fmt, last: Option<&LastRun>) -> String {
    match last {
        Some(LastRun { finished_at: Some(done), actions, .. }) => {
            t.fmt("assistants.last", [("when", fmt.datetime(*done).as_str()), ("n", actions.to_string().as_str())].as_slice())
        }
        Some(LastRun { finished_at: None, as_of, .. }) => {
            t.fmt("assistants.last.unfinished", [("when", fmt.datetime(*as_of).as_str())].as_slice())
        }
        None => t.t("assistants.last.never").to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// The settings page.

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One setting's input.
pub struct Input {
    pub key: String,
    pub dom_id: String,
    pub label: String,
    /// `number`, `check`, `select`, `pool` or `text`.
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub unit: &'static str,
    pub min: &'static str,
    pub step: &'static str,
    pub options: Vec<Choice>,
    pub error: Option<String>,
}

pub struct Panel {
    pub name: String,
    pub title: String,
    pub about: &'static str,
    /// As stored, for the badge.
    pub enabled: bool,
    /// As the form shows it (the sent value after a refusal).
    pub enabled_checked: bool,
    pub enabled_error: Option<String>,
    pub last: String,
    pub inputs: Vec<Input>,
    /// A refusal that names no input of the form.
    pub error: Option<String>,
    pub saved: bool,
    pub admin: bool,
    pub csrf: String,
    pub report: Option<Report>,
}

pub struct ActionRow {
    pub action: String,
    pub href: Option<String>,
    pub title: String,
    pub reason: String,
    pub owner: String,
}

/// What a run did, or a dry run would do.
pub struct Report {
    pub name: String,
    pub dry: bool,
    pub summary: String,
    pub rows: Vec<ActionRow>,
    pub more: Option<String>,
    /// Why the run did not happen (an assistant not available yet).
    pub error: Option<String>,
    /// After a real run in place: the panel's new "last run" line, swapped out of band.
    pub last: Option<String>,
}

#[derive(Template)]
#[template(path = "assistants.html")]
struct PageTpl {
    ctx: super::Ctx,
    t: T,
    nav: Vec<NavItem>,
    admin: bool,
    panels: Vec<Panel>,
}

#[derive(Template)]
#[template(path = "assistants_panel.html")]
struct PanelTpl {
    t: T,
    p: Panel,
}

#[derive(Template)]
#[template(path = "assistants_report.html")]
struct ReportTpl {
    t: T,
    r: Report,
}

/// A save the store refused: the form as sent, and where and why.
struct Failed {
    name: String,
    sent: Vec<(String, String)>,
    field: String,
    message: String,
}

/// What the page shows besides the stored state.
#[derive(Default)]
struct Extra {
    failed: Option<Failed>,
    report: Option<Report>,
    saved: Option<String>,
}

/// A user a pool may hold.
struct PoolUser {
    id: i64,
    name: String,
    active: bool,
}

async fn pool_users(st: &AppState, ui: &Ui) -> Result<Vec<PoolUser>, StoreError> {
    let q = ListQuery { sort: Some("name".into()), limit: Some(ALL_USERS.into()), ..ListQuery::default() };
    let rows = st.db.list(&ui.actor, Entity::User, &q).await?.data;
    Ok(rows
        .iter()
        .map(|r| PoolUser {
            id: r.id(),
            name: r.get("name").as_text().unwrap_or("").to_string(),
            active: r.get("active") == &Val::Bool(true),
        })
        .collect())
}

/// The settings keys of an assistant in the order they are shown.
fn ordered_keys(settings: &Json) -> Vec<String> {
    let Some(map) = settings.as_object() else { return Vec::new() };
    let mut keys: Vec<String> = KEY_ORDER.iter().filter(|k| map.contains_key(**k)).map(|k| k.to_string()).collect();
    keys.extend(map.keys().filter(|k| !KEY_ORDER.contains(&k.as_str())).cloned());
    keys
}

/// The values a form sent, as the page reads them back.
struct Sent<'a>(&'a [(String, String)]);

impl Sent<'_> {
    fn one(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
    fn has(&self, key: &str) -> bool {
        self.one(key).is_some()
    }
}

fn stored_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        // A float prints without a trailing ".0" (2.0 reads as 2).
        Json::Number(n) => n.as_i64().map_or_else(|| n.as_f64().map(|f| f.to_string()).unwrap_or_default(), |i| i.to_string()),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// Unit, minimum and step of a number setting.
fn number_shape(t: &T, key: &str) -> (&'static str, &'static str, &'static str) {
    match key {
        "factor" => (t.t("assistants.unit.times"), "0.1", "0.1"),
        "grace_days" => (t.t("assistants.unit.days"), "0", "1"),
        "task_due_days" => (t.t("assistants.unit.working_days"), "1", "1"),
        k if k.ends_with("days") => (t.t("assistants.unit.days"), "1", "1"),
        _ => ("", "", "any"),
    }
}

fn input(t: &T, name: &str, key: &str, stored: &Json, sent: Option<&Sent<'_>>, users: &[PoolUser]) -> Input {
    let value = sent.map_or_else(|| stored_text(stored), |s| s.one(key).unwrap_or("").to_string());
    let select = |values: &[&str]| {
        values.iter().map(|v| Choice { value: v.to_string(), label: option_label(t, v), selected: *v == value }).collect()
    };
    let (kind, options) = match (key, stored) {
        ("mode", _) => ("select", select(RELEASE_MODES)),
        ("channel", _) => ("select", select(CHANNELS)),
        ("pool", _) => {
            let chosen: HashSet<String> = match sent {
                Some(s) => s.all(key).into_iter().map(str::to_string).collect(),
                None => stored.as_array().into_iter().flatten().map(stored_text).collect(),
            };
            let options = users
                .iter()
                .filter(|u| u.active || chosen.contains(&u.id.to_string()))
                .map(|u| Choice {
                    value: u.id.to_string(),
                    label: if u.active {
                        u.name.clone()
                    } else {
                        t.fmt("assistants.inactive_user", [("name", u.name.as_str())].as_slice())
                    },
                    selected: chosen.contains(&u.id.to_string()),
                })
                .collect();
            ("pool", options)
        }
        (_, Json::Bool(_)) => ("check", Vec::new()),
        (_, Json::Number(_)) => ("number", Vec::new()),
        _ => ("text", Vec::new()),
    };
    let (unit, min, step) = if kind == "number" { number_shape(t, key) } else { ("", "", "") };
    Input {
        key: key.to_string(),
        dom_id: format!("assistant-{name}-{key}"),
        label: setting_label(t, name, key),
        kind,
        checked: sent.map_or_else(|| stored.as_bool().unwrap_or(false), |s| s.has(key)),
        value,
        unit,
        min,
        step,
        options,
        error: None,
    }
}

/// One assistant's panel from the store's entry.
fn panel(ui: &Ui, a: &AssistantInfo, users: &[PoolUser], extra: &mut Extra) -> Panel {
    let t = &ui.t;
    let name = a.name.to_string();
    let failed = extra.failed.as_ref().filter(|f| f.name == name);
    let sent = failed.map(|f| Sent(&f.sent));
    let mut inputs: Vec<Input> = ordered_keys(&a.settings)
        .iter()
        .filter_map(|k| a.settings.get(k).map(|stored| input(t, &name, k, stored, sent.as_ref(), users)))
        .collect();
    let enabled = a.enabled;
    let (mut error, mut enabled_error) = (None, None);
    if let Some(f) = failed {
        let key = f.field.strip_prefix("settings.").unwrap_or(&f.field);
        match inputs.iter_mut().find(|i| i.key == key) {
            Some(i) => i.error = Some(f.message.clone()),
            None if f.field == "enabled" => enabled_error = Some(f.message.clone()),
            None => error = Some(f.message.clone()),
        }
    }
    Panel {
        title: title(t, &name),
        about: about(t, &name),
        enabled,
        enabled_checked: sent.as_ref().map_or(enabled, |s| s.has("enabled")),
        enabled_error,
        last: last_run(t, &ui.fmt(), a.last_run.as_ref()),
        inputs,
        error,
        saved: extra.saved.as_deref() == Some(name.as_str()),
        admin: ui.is_admin(),
        csrf: ui.csrf.clone(),
        report: extra.report.take_if(|r| r.name == name),
        name,
    }
}

async fn panels(st: &AppState, ui: &Ui, mut extra: Extra) -> Result<Vec<Panel>, StoreError> {
    let list = st.db.assistants(&ui.actor).await?;
    let users = if list.iter().any(|a| a.settings.get("pool").is_some()) { pool_users(st, ui).await? } else { Vec::new() };
    Ok(list.iter().map(|a| panel(ui, a, &users, &mut extra)).collect())
}

async fn full_page(st: &AppState, ui: &Ui, status: StatusCode, extra: Extra) -> Response {
    match panels(st, ui, extra).await {
        Ok(panels) => {
            let ctx = ui.ctx("settings", format!("{} · {}", ui.t.t("nav.settings"), ui.t.t("assistants.nav")));
            render_status(status, &PageTpl { ctx, t: ui.t, nav: nav(ui), admin: ui.is_admin(), panels })
        }
        Err(e) => store_error(ui, e),
    }
}

/// One panel, for htmx to swap in place of the one whose form was sent.
async fn one_panel(st: &AppState, ui: &Ui, name: &str, status: StatusCode, extra: Extra) -> Response {
    match panels(st, ui, extra).await {
        Ok(all) => match all.into_iter().find(|p| p.name == name) {
            Some(p) => render_status(status, &PanelTpl { t: ui.t, p }),
            None => store_error(ui, StoreError::NotFound),
        },
        Err(e) => store_error(ui, e),
    }
}

async fn page(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> Response {
    if !may_view(&ui) {
        return refuse(&ui);
    }
    // A browser without scripts comes back here after saving.
    let saved = form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes()).find(|(k, _)| k == "saved").map(|(_, v)| v.into_owned());
    full_page(&st, &ui, StatusCode::OK, Extra { saved, ..Extra::default() }).await
}

/// The store's body for a form: every setting the assistant has, read by its type; a value that
/// does not read as a number goes as typed, so the store names what is wrong with it.
fn body_of(current: &Json, sent: &Sent<'_>) -> Json {
    let mut settings = serde_json::Map::new();
    for (key, stored) in current.as_object().into_iter().flatten() {
        let value = match (key.as_str(), stored) {
            ("pool", _) => Json::Array(sent.all(key).iter().filter_map(|v| v.trim().parse::<i64>().ok()).map(Json::from).collect()),
            (_, Json::Bool(_)) => Json::Bool(sent.has(key)),
            (_, Json::Number(_)) => number(sent.one(key).unwrap_or("")),
            _ => Json::String(sent.one(key).unwrap_or("").trim().to_string()),
        };
        settings.insert(key.clone(), value);
    }
    serde_json::json!({"enabled": sent.has("enabled"), "settings": settings})
}

/// A typed number: whole when it is one, a fraction (a comma as the decimal mark too), else the
/// text itself.
fn number(typed: &str) -> Json {
    let s = typed.trim().replace(',', ".");
    if let Ok(i) = s.parse::<i64>() {
        return Json::from(i);
    }
    match s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
        Some(n) => Json::Number(n),
        None => Json::String(typed.trim().to_string()),
    }
}

async fn save(State(st): State<AppState>, ui: Ui, Path(name): Path<String>, Form(sent): Form<Vec<(String, String)>>) -> Response {
    if !ui.is_admin() {
        return refuse(&ui);
    }
    if !NAMES.contains(&name.as_str()) {
        return store_error(&ui, StoreError::NotFound);
    }
    let current = match st.db.assistant_settings(ui.actor.ws_id(), &name).await {
        Ok((_, s)) => s,
        Err(e) => return store_error(&ui, e),
    };
    let body = body_of(&current, &Sent(&sent));
    match st.db.update_assistant(&ui.actor, &name, &body).await {
        Ok(_) if ui.htmx => one_panel(&st, &ui, &name, StatusCode::OK, Extra { saved: Some(name.clone()), ..Extra::default() }).await,
        Ok(_) => Redirect::to(&format!("{HREF}?saved={name}#assistant-{name}")).into_response(),
        Err(e) => match form_error(&ui.t, &e) {
            Some((field, message)) => {
                let failed = Failed { name: name.clone(), sent, field, message };
                let extra = Extra { failed: Some(failed), ..Extra::default() };
                if ui.htmx {
                    one_panel(&st, &ui, &name, StatusCode::UNPROCESSABLE_ENTITY, extra).await
                } else {
                    full_page(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, extra).await
                }
            }
            None => store_error(&ui, e),
        },
    }
}

/// A dry run (administrators and heads) or a run now (administrators): the table of what the
/// assistant would do or did, in place of the panel's report.
async fn run(State(st): State<AppState>, ui: Ui, Path(name): Path<String>, dry: bool) -> Response {
    if !(if dry { may_view(&ui) } else { ui.is_admin() }) {
        return refuse(&ui);
    }
    if !NAMES.contains(&name.as_str()) {
        return store_error(&ui, StoreError::NotFound);
    }
    let (status, mut report) = match st.db.run_assistant(ui.actor.ws_id(), &name, None, dry).await {
        Ok(r) => {
            if !dry {
                // Tasks, notices and messages the run queued go out now, not at the next tick.
                st.wake_worker();
            }
            match report_view(&st, &ui, &r).await {
                Ok(v) => (StatusCode::OK, v),
                Err(e) => return store_error(&ui, e),
            }
        }
        Err(e) => match form_error(&ui.t, &e) {
            Some((_, message)) => (StatusCode::UNPROCESSABLE_ENTITY, refused_report(&name, dry, message)),
            None => return store_error(&ui, e),
        },
    };
    if !ui.htmx {
        return full_page(&st, &ui, status, Extra { report: Some(report), ..Extra::default() }).await;
    }
    if !dry && report.error.is_none() {
        report.last = match st.db.assistants(&ui.actor).await {
            Ok(list) => list.iter().find(|a| a.name == name).map(|a| last_run(&ui.t, &ui.fmt(), a.last_run.as_ref())),
            Err(e) => return store_error(&ui, e),
        };
    }
    render_status(status, &ReportTpl { t: ui.t, r: report })
}

fn refused_report(name: &str, dry: bool, error: String) -> Report {
    Report { name: name.to_string(), dry, summary: String::new(), rows: Vec::new(), more: None, error: Some(error), last: None }
}

async fn report_view(st: &AppState, ui: &Ui, r: &RunReport) -> Result<Report, StoreError> {
    let t = &ui.t;
    let shown = &r.actions[..r.actions.len().min(SHOWN)];
    let owners = st.db.names(&ui.actor, Entity::User, shown.iter().filter_map(|a| a.owner_id)).await?;
    let links = links(st, ui, shown).await;
    let rows = shown
        .iter()
        .map(|a| ActionRow {
            action: act_text(t, &r.assistant, a.action),
            href: record_href(a, &links),
            title: a.title.clone(),
            reason: a.reason.clone(),
            owner: a.owner_id.and_then(|o| owners.get(&o).cloned()).unwrap_or_default(),
        })
        .collect();
    let (n, ms) = (r.actions.len().to_string(), r.elapsed_ms.to_string());
    let key = if r.dry_run { "assistants.report.dry" } else { "assistants.report.done" };
    let hidden = r.actions.len().saturating_sub(SHOWN);
    Ok(Report {
        name: r.assistant.clone(),
        dry: r.dry_run,
        summary: t.fmt(key, [("n", n.as_str()), ("ms", ms.as_str())].as_slice()),
        rows,
        more: (hidden > 0).then(|| t.fmt("assistants.report.more", [("n", hidden.to_string().as_str())].as_slice())),
        error: None,
        last: None,
    })
}

fn record_href(a: &Planned, links: &HashMap<(&str, i64), String>) -> Option<String> {
    match a.entity {
        "organization" => Some(format!("/organizations/{}", a.record_id)),
        "person" => Some(format!("/persons/{}", a.record_id)),
        "deal" => Some(format!("/deals/{}", a.record_id)),
        other => links.get(&(other, a.record_id)).cloned(),
    }
}

/// The card an activity's or an invoice's row links to (neither has a page of its own): its
/// deal, else its organization or person. A link is a convenience: when the record cannot be
/// read the row shows its title alone.
async fn links(st: &AppState, ui: &Ui, actions: &[Planned]) -> HashMap<(&'static str, i64), String> {
    let first = |ids: [(Option<i64>, &str); 3]| ids.iter().find_map(|(id, path)| id.map(|id| format!("/{path}/{id}")));
    let mut out = HashMap::new();
    let activities: Vec<String> = actions.iter().filter(|a| a.entity == "activity").map(|a| a.record_id.to_string()).collect();
    if !activities.is_empty() {
        let q = ListQuery {
            filter: Some(format!("id in ({})", activities.join(", "))),
            limit: Some(SHOWN.to_string()),
            ..ListQuery::default()
        };
        for r in st.db.list(&ui.actor, Entity::Activity, &q).await.map(|p| p.data).unwrap_or_default() {
            let ids = [
                (r.get("deal_id").as_int(), "deals"),
                (r.get("organization_id").as_int(), "organizations"),
                (r.get("person_id").as_int(), "persons"),
            ];
            if let Some(link) = first(ids) {
                out.insert(("activity", r.id()), link);
            }
        }
    }
    for a in actions.iter().filter(|a| a.entity == "invoice") {
        if let Ok(inv) = st.db.invoice(&ui.actor, a.record_id).await {
            if let Some(link) = first([(inv.deal_id, "deals"), (inv.organization_id, "organizations"), (None, "")]) {
                out.insert(("invoice", a.record_id), link);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A card's block and its timeline.

pub struct Badge {
    pub text: String,
    pub class: &'static str,
    pub title: String,
}

pub struct Recent {
    pub when: String,
    pub title: String,
    pub action: String,
    pub reason: String,
}

/// A record's live labels and what assistants did to it lately.
#[derive(Default)]
pub struct CardBlock {
    pub labels: Vec<Badge>,
    pub recent: Vec<Recent>,
}

impl CardBlock {
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.recent.is_empty()
    }
}

pub async fn card_block(st: &AppState, ui: &Ui, entity: Entity, id: i64) -> Result<CardBlock, StoreError> {
    let (t, fmt) = (&ui.t, ui.fmt());
    let labels = st.db.labels(&ui.actor, entity, id).await?;
    let actions = st.db.assistant_actions(&ui.actor, entity, id).await?;
    Ok(CardBlock {
        labels: labels
            .iter()
            .map(|l| {
                let since = fmt.date(l.set_at);
                Badge {
                    text: label_text(t, &l.label),
                    class: label_class(&l.label),
                    title: match &l.reason {
                        Some(reason) => {
                            t.fmt("assistants.card.label_since", [("reason", reason.as_str()), ("when", since.as_str())].as_slice())
                        }
                        None => since,
                    },
                }
            })
            .collect(),
        recent: actions
            .iter()
            .take(RECENT)
            .map(|a| Recent {
                when: fmt.datetime(a.created_at),
                title: title(t, &a.assistant),
                action: act_text(t, &a.assistant, &a.action),
                reason: a.reason.clone(),
            })
            .collect(),
    })
}

/// A history event an assistant wrote (`{"assistant", "assistant_action", "reason", "label"}`)
/// reads as a sentence with its reason instead of field changes; any other entry is kept.
pub fn explained(t: &T, changes: &Json, entry: Entry) -> Entry {
    let (Some(name), Some(reason)) = (changes["assistant"].as_str(), changes["reason"].as_str()) else {
        return entry;
    };
    let mut meta = entry.meta;
    let what = match (changes["label"].as_str(), changes["assistant_action"].as_str()) {
        (Some(l), _) => Some(t.fmt("assistants.tl.labelled", [("label", label_text(t, l).as_str())].as_slice())),
        (None, Some(a)) => Some(act_text(t, name, a)),
        _ => None,
    };
    if let Some(w) = what {
        meta.insert(0, w);
    }
    Entry {
        icon: "⚙",
        class: "assistant",
        headline: t.fmt("assistants.tl.said", [("title", title(t, name).as_str()), ("reason", reason)].as_slice()),
        who: t.t("assistants.tl.who").to_string(),
        changes: Vec::new(),
        meta,
        ..entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang;
    use serde_json::json;

    #[test]
    fn a_form_becomes_the_stores_body_by_the_settings_types() {
        let current = json!({"days": 14, "mode": "round_robin", "pool": [], "skip_with_future_task": true, "factor": 2.0});
        let sent: Vec<(String, String)> =
            [("enabled", "1"), ("days", " 30 "), ("mode", "pool"), ("pool", "3"), ("pool", "5"), ("factor", "1,5")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(
            body_of(&current, &Sent(&sent)),
            json!({"enabled": true, "settings": {"days": 30, "mode": "pool", "pool": [3, 5], "skip_with_future_task": false, "factor": 1.5}})
        );
        assert_eq!(number("abc"), json!("abc"));
        assert_eq!(number(""), json!(""));
    }

    #[test]
    fn settings_are_ordered_and_typed() {
        let t = T::new(Lang::Ru);
        let s = json!({"task_due_days": 1, "skip_with_future_task": true, "days": 60, "extra": "x"});
        assert_eq!(ordered_keys(&s), vec!["days", "task_due_days", "skip_with_future_task", "extra"]);
        let days = input(&t, "forgotten", "days", &s["days"], None, &[]);
        assert_eq!((days.kind, days.value.as_str(), days.unit, days.min), ("number", "60", "дн.", "1"));
        assert!(input(&t, "forgotten", "skip_with_future_task", &json!(true), None, &[]).checked);
        assert_eq!(
            (input(&t, "churned", "factor", &json!(2.0), None, &[]).value, input(&t, "churned", "factor", &json!(1.5), None, &[]).value),
            ("2".into(), "1.5".into())
        );
        let mode = input(&t, "release", "mode", &json!("least_load"), None, &[]);
        assert_eq!(mode.options.iter().filter(|o| o.selected).map(|o| o.value.as_str()).collect::<Vec<_>>(), vec!["least_load"]);
    }

    #[test]
    fn a_refused_setting_reads_in_the_readers_language() {
        let refused =
            |settings: Json| StoreError::Validation(poryadok_core::assistants::check_settings("forgotten", &settings).unwrap_err());
        let ru = T::new(Lang::Ru);
        assert_eq!(
            form_error(&ru, &refused(json!({"days": 0}))),
            Some(("settings.days".to_string(), "укажите целое число дней от 1 до 3650".to_string()))
        );
        assert_eq!(form_error(&T::new(Lang::En), &refused(json!({"dayz": 1}))).map(|e| e.0), Some("settings.dayz".to_string()));
        assert_eq!(form_error(&ru, &StoreError::forbidden(poryadok_core::msg::AssistantMsg::AdminOnly {})), None, "a refusal is a page");
    }

    #[test]
    fn an_assistants_history_event_reads_as_a_sentence() {
        let t = T::new(Lang::Ru);
        let entry = || Entry {
            dom_id: "x".into(),
            icon: "✎",
            class: "history",
            headline: "Изменено".into(),
            who: "Система".into(),
            when: String::new(),
            changes: Vec::new(),
            body: None,
            meta: Vec::new(),
            recording: None,
            task: None,
            deal: None,
        };
        let changes =
            json!({"assistant": "forgotten", "assistant_action": "label", "reason": "нет активности 60 дн.", "label": "forgotten"});
        let e = explained(&t, &changes, entry());
        assert_eq!(e.headline, "Помощник «Забытые клиенты»: нет активности 60 дн.");
        assert_eq!(e.meta, vec!["Метка «Забыт»".to_string()]);
        assert_eq!(explained(&t, &json!({"name": {"from": "a", "to": "b"}}), entry()).headline, "Изменено");
        assert_eq!(label_text(&t, "vip"), "vip");
    }
}

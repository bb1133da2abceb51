//! Intake in the web UI: the sources page of Settings (the webhook address, how a sender
//! authenticates, the secret shown once on creation and rotation), a source's own page (routing
//! of new leads, the telephony mapping, the IMAP mailbox), the inbox of raw events with their
//! errors and "re-process" after a fix, and the attribution block of a deal's card.
//!
//! Everything goes through the store's intake calls with the signed-in user, so the rules are the
//! API's: administrators manage sources and re-process events, heads of sales read the inbox.
//! A source's config is edited as a whole: the page starts from the stored config and replaces
//! only the keys its inputs own, so keys another editor writes (a web form's fields) survive.
use super::i18n::{Lang, T};
use super::settings::{self, NavItem};
use super::{error_page, field_error, messages, render, render_status, store_error, Ctx, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::domain::Role;
use poryadok_core::intake::{preset_mapping, Attribution as Touch, CALL_FIELDS, CALL_PRESETS};
use poryadok_core::schema::Entity;
use poryadok_core::types::{parse_timestamp, Val};
use poryadok_store::intake::{msg_of, Source, EVENT_STATUSES, SOURCE_KINDS};
use poryadok_store::{ListQuery, Row, StoreError};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, HashMap};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/intake", get(sources_page).post(create_source))
        .route("/settings/intake/{id}", get(source_page).post(save_source))
        .route("/settings/intake/{id}/mapping", get(mapping_table))
        .route("/settings/intake/{id}/rotate", post(rotate_secret))
        .route("/settings/intake/{id}/delete", post(delete_source))
        .route("/intake/events", get(inbox_page))
        .route("/intake/events/{id}", get(event_page))
        .route("/intake/events/{id}/status", get(event_status))
        .route("/intake/events/{id}/reprocess", post(reprocess))
}

/// Events one inbox page shows.
const PAGE: u64 = 50;
/// Failed events counted per source on the sources page; more shows as "100+".
const FAILED_SHOWN: u64 = 100;
/// Enough rows for the pipelines, stages and users a routing form offers.
const ALL: &str = "500";
/// The config keys the source page edits; every other key is kept as stored.
const EDITED_KEYS: [&str; 8] = ["pipeline_id", "stage_id", "owner_id", "pool", "callback_minutes", "preset", "mapping", "imap"];
/// The fields of the IMAP block, each an input named `imap_<field>`.
const IMAP_FIELDS: [&str; 7] = ["host", "port", "security", "username", "password", "mailbox", "every_minutes"];
const SECURITIES: [&str; 3] = ["tls", "starttls", "plain"];

/// The sources page's item of the Settings sub-navigation (the tabs are the settings module's).
pub fn nav_item(t: &T, active: bool) -> NavItem {
    NavItem { href: "/settings/intake".into(), label: t.t("intake.nav"), active }
}

fn settings_nav(t: &T) -> Vec<NavItem> {
    let mut nav = settings::nav_outside(t);
    nav.push(nav_item(t, true));
    nav
}

fn refuse(ui: &Ui) -> Response {
    error_page(ui.t, ui.htmx, StatusCode::FORBIDDEN, ui.t.t("error.forbidden"))
}

/// Sources are managed by administrators only: the refusal for anyone else.
fn not_admin(ui: &Ui) -> Option<Response> {
    (!ui.is_admin()).then(|| refuse(ui))
}

/// The inbox is read by administrators and heads of sales: the refusal for anyone else.
fn not_reader(ui: &Ui) -> Option<Response> {
    (!ui.is_admin() && ui.actor.caller.role != Role::Head).then(|| refuse(ui))
}

fn kind_label(t: &T, kind: &str) -> &'static str {
    match kind {
        "telephony" => t.t("intake.kind.telephony"),
        "form" => t.t("intake.kind.form"),
        "telegram" => t.t("intake.kind.telegram"),
        "email" => t.t("intake.kind.email"),
        _ => t.t("intake.kind.other"),
    }
}

/// A status as a tab names its events ("Failed").
fn status_label(t: &T, status: &str) -> &'static str {
    match status {
        "pending" => t.t("intake.status.pending"),
        "processed" => t.t("intake.status.processed"),
        "failed" => t.t("intake.status.failed"),
        "rejected" => t.t("intake.status.rejected"),
        _ => t.t("intake.status.all"),
    }
}

/// A status as a badge names one event ("failed").
fn state_label(t: &T, status: &str) -> &'static str {
    match status {
        "pending" => t.t("intake.state.pending"),
        "processed" => t.t("intake.state.processed"),
        "failed" => t.t("intake.state.failed"),
        "rejected" => t.t("intake.state.rejected"),
        _ => t.t("intake.kind.other"),
    }
}

fn status_class(status: &str) -> &'static str {
    match status {
        "processed" => "ok",
        "failed" => "danger",
        "rejected" => "warn",
        _ => "info",
    }
}

fn channel_label(t: &T, channel: &str) -> String {
    match channel {
        "call" => t.t("intake.channel.call").to_string(),
        "form" => t.t("intake.channel.form").to_string(),
        "telegram" => t.t("intake.channel.telegram").to_string(),
        "email" => t.t("intake.channel.email").to_string(),
        other => other.to_string(),
    }
}

fn attribution_label(t: &T, field: &str) -> &'static str {
    match field {
        // The card names the deal's own attribution fields; the same words here.
        "utm_source" => t.t("card.f.utm_source"),
        "utm_medium" => t.t("card.f.utm_medium"),
        "utm_campaign" => t.t("card.f.utm_campaign"),
        "utm_term" => t.t("card.f.utm_term"),
        "utm_content" => t.t("card.f.utm_content"),
        "tracking_number" => t.t("card.f.tracking_number"),
        "landing_page" => t.t("intake.attr.landing_page"),
        _ => t.t("intake.attr.referrer"),
    }
}

/// The form fields of a request as sent, in order (checkbox lists repeat a name).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
    }
}

fn fields_of(raw: Option<&str>) -> Fields {
    Fields(form_urlencoded::parse(raw.unwrap_or("").as_bytes()).into_owned().collect())
}

/// A number typed into a form: a JSON number when it reads as one, else the text as typed so the
/// store's check names the field; nothing when empty.
fn number_or_text(s: &str) -> Option<Json> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Some(s.parse::<i64>().map_or_else(|_| json!(s), |n| json!(n)))
}

/// A stored text or number as an input shows it.
fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn config_text(config: &Json, key: &str) -> String {
    config.get(key).map(json_text).unwrap_or_default()
}

/// Where a sender posts, with the server's public address when it is known.
pub struct Address {
    /// `/hooks/{key}` (for forms `/f/{key}`) prefixed by the public URL.
    pub url: String,
    /// A web form's embed snippet.
    pub embed: Option<String>,
}

fn address(st: &AppState, s: &Source) -> Address {
    let base = st.public_url.as_deref().unwrap_or("").trim_end_matches('/');
    if s.kind == "form" {
        let page = format!("{base}/f/{}", s.hook_key);
        return Address { embed: Some(format!("<script src=\"{page}/embed.js\" async></script>")), url: page };
    }
    Address { url: format!("{base}{}", s.hook_path()), embed: None }
}

// ---- the sources page ----

pub struct SourceRow {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub active: bool,
    pub address: Address,
    /// Failed events of this source ("100+" past the count's limit); empty when none.
    pub failed: String,
}

/// The "new source" form as sent, with its refusal.
#[derive(Default)]
pub struct NewForm {
    pub kind: String,
    pub name: String,
    pub error: Option<(String, String)>,
}

impl NewForm {
    pub fn err(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    /// A refusal that is about no input of the form.
    pub fn general(&self) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f != "kind" && f != "name").map(|(_, m)| m.as_str())
    }
}

pub struct Opt {
    pub value: String,
    pub label: String,
}

pub struct SourcesView {
    pub csrf: String,
    pub sources: Vec<SourceRow>,
    pub kinds: Vec<Opt>,
    pub new: NewForm,
    pub failed: i64,
    /// No public URL is configured: addresses are paths on this server.
    pub relative: bool,
}

#[derive(Template)]
#[template(path = "intake.html")]
struct SourcesPage {
    ctx: Ctx,
    t: T,
    nav: Vec<NavItem>,
    v: SourcesView,
}

#[derive(Template)]
#[template(path = "intake_sources.html")]
struct SourcesFragment {
    t: T,
    v: SourcesView,
}

async fn failed_of(st: &AppState, ui: &Ui, source: i64) -> Result<String, StoreError> {
    let n = st.db.events(&ui.actor, Some("failed"), Some(source), FAILED_SHOWN, None).await?.len() as u64;
    Ok(match n {
        0 => String::new(),
        n if n >= FAILED_SHOWN => format!("{FAILED_SHOWN}+"),
        n => n.to_string(),
    })
}

fn failed_total(counts: &Map<String, Json>) -> i64 {
    counts.get("failed").and_then(Json::as_i64).unwrap_or(0)
}

async fn load_sources(st: &AppState, ui: &Ui, new: NewForm) -> Result<SourcesView, StoreError> {
    let mut sources = Vec::new();
    for s in st.db.sources(&ui.actor).await? {
        let failed = failed_of(st, ui, s.id).await?;
        sources.push(SourceRow {
            id: s.id,
            name: s.name.clone(),
            kind: kind_label(&ui.t, &s.kind),
            active: s.active,
            address: address(st, &s),
            failed,
        });
    }
    let kinds = SOURCE_KINDS.iter().map(|k| Opt { value: (*k).to_string(), label: kind_label(&ui.t, k).to_string() }).collect();
    let failed = failed_total(&st.db.event_counts(&ui.actor).await?);
    Ok(SourcesView { csrf: ui.csrf.clone(), sources, kinds, new, failed, relative: st.public_url.is_none() })
}

async fn respond_sources(st: &AppState, ui: &Ui, status: StatusCode, new: NewForm) -> Response {
    let v = match load_sources(st, ui, new).await {
        Ok(v) => v,
        Err(e) => return store_error(ui, e),
    };
    if ui.htmx {
        return render_status(status, &SourcesFragment { t: ui.t, v });
    }
    let title = format!("{} · {}", ui.t.t("nav.settings"), ui.t.t("intake.nav"));
    render_status(status, &SourcesPage { ctx: ui.ctx("settings", title), t: ui.t, nav: settings_nav(&ui.t), v })
}

async fn sources_page(State(st): State<AppState>, ui: Ui) -> Response {
    if let Some(r) = not_admin(&ui) {
        return r;
    }
    respond_sources(&st, &ui, StatusCode::OK, NewForm::default()).await
}

async fn create_source(State(st): State<AppState>, ui: Ui, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    if let Some(r) = not_admin(&ui) {
        return r;
    }
    let f = Fields(pairs);
    let (kind, name) = (f.get("kind").trim().to_string(), f.get("name").trim().to_string());
    let config = if kind == "form" { starter_form(&ui) } else { json!({}) };
    match st.db.create_source(&ui.actor, &json!({"kind": kind, "name": name, "config": config})).await {
        Ok(s) => {
            let shown = Shown { secret: s.secret.clone(), created: true };
            let mut resp = respond_source(&st, &ui, StatusCode::OK, &s, None, Outcome::Secret(shown)).await;
            if let Ok(url) = HeaderValue::from_str(&format!("/settings/intake/{}", s.id)) {
                resp.headers_mut().insert("hx-push-url", url);
            }
            resp
        }
        Err(e) => match field_error(&ui.t, &e) {
            Some((field, message)) => {
                let new = NewForm { kind, name, error: Some((field, message)) };
                respond_sources(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, new).await
            }
            None => store_error(&ui, e),
        },
    }
}

/// A new web form starts with the fields most forms ask, labelled in the workspace's language
/// (its visitors read them); the form's editor changes them.
fn starter_form(ui: &Ui) -> Json {
    let t = T::new(Lang::parse(&ui.actor.ws.locale).unwrap_or(ui.t.lang));
    let field = |name: &str, key: &str, kind: &str, required: bool, maps_to: &str| json!({"name": name, "label": t.t(key), "type": kind, "required": required, "maps_to": maps_to});
    json!({"fields": [
        field("name", "intake.form.name", "text", true, "person.name"),
        field("phone", "intake.form.phone", "phone", true, "person.phone"),
        field("email", "intake.form.email", "email", false, "person.email"),
        field("comment", "intake.form.comment", "textarea", false, "note"),
    ]})
}

// ---- a source's page ----

/// A secret shown once: right after creation or rotation.
pub struct Shown {
    pub secret: String,
    pub created: bool,
}

/// What the last write did, for the page to say.
pub enum Outcome {
    None,
    Saved,
    Secret(Shown),
}

/// One call field of the mapping table: the preset's parameter and the workspace's override.
pub struct MapRow {
    pub field: &'static str,
    pub preset: String,
    pub value: String,
}

pub struct OptGroup {
    pub label: String,
    pub options: Vec<Opt>,
}

/// The inputs of a source's form, from the stored source or as sent.
pub struct SourceEdit {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub active: bool,
    pub pipeline_id: String,
    pub stage_id: String,
    pub owner_id: String,
    pub pool: Vec<String>,
    pub callback_minutes: String,
    pub preset: String,
    pub mapping: Vec<MapRow>,
    /// `imap_<field>` → value; the password shows as `***` when one is stored.
    pub imap: HashMap<String, String>,
}

impl SourceEdit {
    pub fn in_pool(&self, user: &str) -> bool {
        self.pool.iter().any(|p| p == user)
    }

    pub fn imap(&self, field: &str) -> &str {
        self.imap.get(field).map_or("", String::as_str)
    }
}

fn mapping_rows(preset: &str, overrides: &BTreeMap<String, String>) -> Vec<MapRow> {
    let names = preset_mapping(preset).unwrap_or_default();
    CALL_FIELDS
        .iter()
        .map(|f| MapRow {
            field: f,
            preset: names.get(*f).cloned().unwrap_or_default(),
            value: overrides.get(*f).cloned().unwrap_or_default(),
        })
        .collect()
}

fn edit_of_source(s: &Source) -> SourceEdit {
    let c = &s.config;
    let overrides: BTreeMap<String, String> = c
        .get("mapping")
        .and_then(Json::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect())
        .unwrap_or_default();
    let preset = c.get("preset").and_then(Json::as_str).unwrap_or("generic").to_string();
    let imap_stored = c.get("imap").cloned().unwrap_or(Json::Null);
    let imap = IMAP_FIELDS
        .iter()
        .map(|f| {
            let v = match *f {
                "password" if imap_stored.get("password").and_then(Json::as_str).is_some_and(|p| !p.is_empty()) => "***".to_string(),
                "password" => String::new(),
                _ => config_text(&imap_stored, f),
            };
            (format!("imap_{f}"), v)
        })
        .collect();
    SourceEdit {
        id: s.id,
        kind: s.kind.clone(),
        name: s.name.clone(),
        active: s.active,
        pipeline_id: config_text(c, "pipeline_id"),
        stage_id: config_text(c, "stage_id"),
        owner_id: config_text(c, "owner_id"),
        pool: c.get("pool").and_then(Json::as_array).map(|a| a.iter().map(json_text).collect()).unwrap_or_default(),
        callback_minutes: config_text(c, "callback_minutes"),
        mapping: mapping_rows(&preset, &overrides),
        preset,
        imap,
    }
}

fn edit_of_form(s: &Source, f: &Fields) -> SourceEdit {
    let preset = match f.get("preset") {
        "" => "generic".to_string(),
        p => p.to_string(),
    };
    let overrides: BTreeMap<String, String> =
        CALL_FIELDS.iter().map(|c| (c.to_string(), f.get(&format!("map_{c}")).trim().to_string())).filter(|(_, v)| !v.is_empty()).collect();
    SourceEdit {
        id: s.id,
        kind: s.kind.clone(),
        name: f.get("name").to_string(),
        active: !f.get("active").is_empty(),
        pipeline_id: f.get("pipeline_id").trim().to_string(),
        stage_id: f.get("stage_id").trim().to_string(),
        owner_id: f.get("owner_id").trim().to_string(),
        pool: f.all("pool"),
        callback_minutes: f.get("callback_minutes").trim().to_string(),
        mapping: mapping_rows(&preset, &overrides),
        preset,
        imap: IMAP_FIELDS.iter().map(|x| format!("imap_{x}")).map(|k| (k.clone(), f.get(&k).to_string())).collect(),
    }
}

/// The stored config with the page's keys replaced by what the form says.
fn config_of(e: &SourceEdit, stored: &Json) -> Json {
    let mut c: Map<String, Json> = stored.as_object().cloned().unwrap_or_default();
    for k in EDITED_KEYS {
        c.remove(k);
    }
    for (key, value) in [("pipeline_id", &e.pipeline_id), ("stage_id", &e.stage_id), ("owner_id", &e.owner_id)] {
        if let Some(v) = number_or_text(value) {
            c.insert(key.into(), v);
        }
    }
    if !e.pool.is_empty() {
        c.insert("pool".into(), Json::Array(e.pool.iter().filter_map(|p| number_or_text(p)).collect()));
    }
    match e.kind.as_str() {
        "telephony" => {
            if let Some(v) = number_or_text(&e.callback_minutes) {
                c.insert("callback_minutes".into(), v);
            }
            c.insert("preset".into(), json!(e.preset));
            let mapping: Map<String, Json> =
                e.mapping.iter().filter(|r| !r.value.is_empty()).map(|r| (r.field.to_string(), json!(r.value))).collect();
            if !mapping.is_empty() {
                c.insert("mapping".into(), Json::Object(mapping));
            }
        }
        "email" => c.extend(imap_config(e).map(|imap| ("imap".to_string(), imap))),
        _ => {}
    }
    Json::Object(c)
}

/// The IMAP block as typed; none when the server and the user name are empty, which switches the
/// mailbox off (the webhook still takes e-mails).
fn imap_config(e: &SourceEdit) -> Option<Json> {
    if e.imap("imap_host").trim().is_empty() && e.imap("imap_username").trim().is_empty() {
        return None;
    }
    let mut imap = Map::new();
    for f in IMAP_FIELDS {
        let raw = e.imap(&format!("imap_{f}"));
        let value = match f {
            "port" | "every_minutes" => number_or_text(raw),
            "password" => Some(json!(raw)),
            _ => Some(json!(raw.trim())).filter(|_| !raw.trim().is_empty()),
        };
        if let Some(v) = value {
            imap.insert(f.into(), v);
        }
    }
    Some(Json::Object(imap))
}

/// The choices of the routing inputs.
pub struct Routing {
    pub pipelines: Vec<Opt>,
    pub stages: Vec<OptGroup>,
    pub users: Vec<Opt>,
}

async fn all_rows(st: &AppState, ui: &Ui, entity: Entity, sort: &str) -> Result<Vec<Row>, StoreError> {
    let q = ListQuery { sort: Some(sort.into()), limit: Some(ALL.into()), ..ListQuery::default() };
    Ok(st.db.list(&ui.actor, entity, &q).await?.data)
}

fn row_text(r: &Row, name: &str) -> String {
    r.get(name).as_text().unwrap_or("").to_string()
}

async fn load_routing(st: &AppState, ui: &Ui) -> Result<Routing, StoreError> {
    let pipelines = all_rows(st, ui, Entity::Pipeline, "position").await?;
    let stages = all_rows(st, ui, Entity::Stage, "position").await?;
    let users = all_rows(st, ui, Entity::User, "name").await?;
    let opt = |r: &Row| Opt { value: r.id().to_string(), label: row_text(r, "name") };
    Ok(Routing {
        pipelines: pipelines.iter().map(opt).collect(),
        stages: pipelines
            .iter()
            .map(|p| OptGroup {
                label: row_text(p, "name"),
                options: stages.iter().filter(|s| s.get("pipeline_id").as_int() == Some(p.id())).map(opt).collect(),
            })
            .filter(|g| !g.options.is_empty())
            .collect(),
        users: users.iter().filter(|u| u.get("active") == &Val::Bool(true)).map(opt).collect(),
    })
}

pub struct SourceView {
    pub csrf: String,
    pub e: SourceEdit,
    pub kind_label: &'static str,
    pub address: Address,
    pub relative: bool,
    pub routing: Routing,
    pub presets: Vec<Opt>,
    pub securities: &'static [&'static str],
    pub imap_fields: &'static [&'static str],
    /// A web form's config as stored, for reading (its fields are edited elsewhere).
    pub form_config: String,
    pub failed: String,
    pub saved: bool,
    pub shown: Option<Shown>,
    /// The field the store refused (`config.` stripped, a pool entry as the pool) and why.
    pub error: Option<(String, String)>,
}

impl SourceView {
    pub fn err(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    pub fn bad(&self, field: &str) -> bool {
        self.err(field).is_some()
    }

    /// The refusal for the top of the form: a pointer when an input shows it, else the reason.
    pub fn summary(&self, t: &T) -> Option<String> {
        let (field, message) = self.error.as_ref()?;
        let routing = ["name", "pipeline_id", "stage_id", "owner_id", "pool", "callback_minutes", "preset"];
        let inline = routing.contains(&field.as_str()) || field.starts_with("map_") || field.starts_with("imap_");
        Some(if inline { t.t("intake.see_field").to_string() } else { t.fmt("intake.not_saved", &[("why", message.as_str())]) })
    }

    /// The secret for the examples: the real one only while it is shown.
    pub fn secret<'a>(&'a self, t: &T) -> &'a str {
        self.shown.as_ref().map_or_else(|| t.t("intake.secret.placeholder"), |s| s.secret.as_str())
    }

    pub fn imap_label(&self, t: &T, field: &str) -> &'static str {
        match field {
            "host" => t.t("intake.imap.host"),
            "port" => t.t("intake.imap.port"),
            "security" => t.t("intake.imap.security"),
            "username" => t.t("intake.imap.username"),
            "password" => t.t("intake.imap.password"),
            "mailbox" => t.t("intake.imap.mailbox"),
            _ => t.t("intake.imap.every_minutes"),
        }
    }
}

/// The store names config fields `config.x`, pool entries `config.pool.N`; the page's inputs are `x`.
fn input_of(field: &str) -> String {
    let f = field.strip_prefix("config.").unwrap_or(field);
    let f = if f.starts_with("pool.") { "pool" } else { f };
    f.replace("imap.", "imap_").replace("mapping.", "map_")
}

#[derive(Template)]
#[template(path = "intake_source.html")]
struct SourcePage {
    ctx: Ctx,
    t: T,
    nav: Vec<NavItem>,
    v: SourceView,
}

#[derive(Template)]
#[template(path = "intake_source_body.html")]
struct SourceFragment {
    t: T,
    v: SourceView,
}

#[derive(Template)]
#[template(path = "intake_mapping.html")]
struct MappingFragment {
    t: T,
    v: SourceView,
}

async fn source_view(
    st: &AppState,
    ui: &Ui,
    s: &Source,
    e: SourceEdit,
    outcome: Outcome,
    error: Option<(String, String)>,
) -> Result<SourceView, StoreError> {
    let (saved, shown) = match outcome {
        Outcome::None => (false, None),
        Outcome::Saved => (true, None),
        Outcome::Secret(x) => (false, Some(x)),
    };
    Ok(SourceView {
        csrf: ui.csrf.clone(),
        kind_label: kind_label(&ui.t, &e.kind),
        e,
        address: address(st, s),
        relative: st.public_url.is_none(),
        routing: load_routing(st, ui).await?,
        presets: CALL_PRESETS.iter().map(|p| Opt { value: (*p).to_string(), label: preset_label(&ui.t, p) }).collect(),
        securities: &SECURITIES,
        imap_fields: &IMAP_FIELDS,
        form_config: serde_json::to_string_pretty(&s.to_json(false)["config"]).unwrap_or_default(),
        failed: failed_of(st, ui, s.id).await?,
        saved,
        shown,
        error,
    })
}

fn preset_label(t: &T, preset: &str) -> String {
    match preset {
        "generic" => t.t("intake.preset.generic").to_string(),
        "ringostat" => "Ringostat".to_string(),
        "retailcrm" => "retailCRM".to_string(),
        other => other.to_string(),
    }
}

async fn respond_source(st: &AppState, ui: &Ui, status: StatusCode, s: &Source, edit: Option<SourceEdit>, outcome: Outcome) -> Response {
    respond_source_with(st, ui, status, s, edit, outcome, None).await
}

async fn respond_source_with(
    st: &AppState,
    ui: &Ui,
    status: StatusCode,
    s: &Source,
    edit: Option<SourceEdit>,
    outcome: Outcome,
    error: Option<(String, String)>,
) -> Response {
    let e = edit.unwrap_or_else(|| edit_of_source(s));
    let v = match source_view(st, ui, s, e, outcome, error).await {
        Ok(v) => v,
        Err(e) => return store_error(ui, e),
    };
    if ui.htmx {
        return render_status(status, &SourceFragment { t: ui.t, v });
    }
    let title = format!("{} · {}", ui.t.t("nav.settings"), s.name);
    render_status(status, &SourcePage { ctx: ui.ctx("settings", title), t: ui.t, nav: settings_nav(&ui.t), v })
}

/// The source behind `id` for an administrator, or the page that says why not.
async fn admin_source(st: &AppState, ui: &Ui, id: i64) -> Result<Source, Response> {
    if let Some(r) = not_admin(ui) {
        return Err(r);
    }
    st.db.source(&ui.actor, id).await.map_err(|e| store_error(ui, e))
}

async fn source_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    match admin_source(&st, &ui, id).await {
        Ok(s) => respond_source(&st, &ui, StatusCode::OK, &s, None, Outcome::None).await,
        Err(r) => r,
    }
}

async fn save_source(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let s = match admin_source(&st, &ui, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let e = edit_of_form(&s, &Fields(pairs));
    let body = json!({"name": e.name.trim(), "active": e.active, "config": config_of(&e, &s.config)});
    match st.db.update_source(&ui.actor, id, &body).await {
        Ok(saved) => respond_source(&st, &ui, StatusCode::OK, &saved, None, Outcome::Saved).await,
        Err(err) => match field_error(&ui.t, &err) {
            Some((field, message)) => {
                let error = Some((input_of(&field), message));
                respond_source_with(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, &s, Some(e), Outcome::None, error).await
            }
            None => store_error(&ui, err),
        },
    }
}

/// The mapping table for the preset chosen in the form (the preset select asks for it).
async fn mapping_table(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, RawQuery(raw): RawQuery) -> Response {
    let s = match admin_source(&st, &ui, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let e = edit_of_form(&s, &fields_of(raw.as_deref()));
    match source_view(&st, &ui, &s, e, Outcome::None, None).await {
        Ok(v) => render(&MappingFragment { t: ui.t, v }),
        Err(e) => store_error(&ui, e),
    }
}

async fn rotate_secret(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = not_admin(&ui) {
        return r;
    }
    match st.db.rotate_source_secret(&ui.actor, id).await {
        Ok(s) => {
            let shown = Shown { secret: s.secret.clone(), created: false };
            respond_source(&st, &ui, StatusCode::OK, &s, None, Outcome::Secret(shown)).await
        }
        Err(e) => store_error(&ui, e),
    }
}

async fn delete_source(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = not_admin(&ui) {
        return r;
    }
    if let Err(e) = st.db.delete_source(&ui.actor, id).await {
        return store_error(&ui, e);
    }
    if ui.htmx {
        let mut resp = StatusCode::OK.into_response();
        resp.headers_mut().insert("hx-redirect", HeaderValue::from_static("/settings/intake"));
        return resp;
    }
    Redirect::to("/settings/intake").into_response()
}

// ---- the inbox ----

pub struct Link {
    pub href: String,
    pub label: String,
}

pub struct StatusTab {
    pub href: String,
    pub label: &'static str,
    pub count: i64,
    pub active: bool,
    pub class: &'static str,
}

pub struct EventRow {
    pub id: i64,
    pub received: String,
    pub source: String,
    pub external_id: String,
    pub status: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    /// "field: message" of a failed or rejected event.
    pub error: Option<String>,
    pub links: Vec<Link>,
}

pub struct InboxView {
    pub tabs: Vec<StatusTab>,
    pub sources: Vec<Opt>,
    pub status: String,
    pub source: String,
    pub rows: Vec<EventRow>,
    pub older: Option<String>,
    pub newest: Option<String>,
    pub is_admin: bool,
}

#[derive(Template)]
#[template(path = "intake_events.html")]
struct InboxPage {
    ctx: Ctx,
    t: T,
    v: InboxView,
}

/// What the inbox shows, from its query string (`status`, `source`, `before`).
struct InboxQuery {
    status: Option<String>,
    source: Option<i64>,
    before: Option<i64>,
}

impl InboxQuery {
    fn parse(raw: Option<&str>) -> InboxQuery {
        let f = fields_of(raw);
        InboxQuery {
            status: Some(f.get("status").to_string()).filter(|s| EVENT_STATUSES.contains(&s.as_str())),
            source: f.get("source").parse().ok(),
            before: f.get("before").parse().ok(),
        }
    }

    fn href(&self, status: Option<&str>, before: Option<i64>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(s) = status {
            q.append_pair("status", s);
        }
        if let Some(s) = self.source {
            q.append_pair("source", &s.to_string());
        }
        if let Some(b) = before {
            q.append_pair("before", &b.to_string());
        }
        let q = q.finish();
        if q.is_empty() {
            "/intake/events".into()
        } else {
            format!("/intake/events?{q}")
        }
    }
}

fn when(ui: &Ui, rfc3339: Option<&str>) -> String {
    rfc3339.and_then(|s| parse_timestamp(s).ok()).map(|ms| ui.fmt().datetime(ms)).unwrap_or_default()
}

/// An event's error in the reader's language ("caller: «12» — не номер телефона"); an error
/// stored before messages had codes is shown as it was stored.
fn error_text(t: &T, ev: &Json) -> Option<String> {
    let stored = ev["error"].as_str().filter(|m| !m.is_empty())?;
    let message = msg_of(ev, "error").map_or_else(|| stored.to_string(), |m| messages::say(t, &m));
    Some(match ev["error_field"].as_str().filter(|f| !f.is_empty()) {
        Some(field) => format!("{}: {message}", messages::field_label(t, field)),
        None => message,
    })
}

/// The person and the deal an event made or found, by name.
async fn result_links(st: &AppState, ui: &Ui, events: &[Json]) -> Result<Vec<Vec<Link>>, StoreError> {
    let ids = |key: &str| events.iter().filter_map(|e| e["result"][key].as_i64()).collect::<Vec<_>>();
    let persons = st.db.names(&ui.actor, Entity::Person, ids("person_id")).await?;
    let deals = st.db.names(&ui.actor, Entity::Deal, ids("deal_id")).await?;
    Ok(events
        .iter()
        .map(|e| {
            let mut links = Vec::new();
            for (key, entity, names, new_key) in
                [("person_id", Entity::Person, &persons, "person_created"), ("deal_id", Entity::Deal, &deals, "deal_created")]
            {
                let Some(id) = e["result"][key].as_i64() else { continue };
                let name = names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
                let label = if e["result"][new_key] == true { ui.t.fmt("intake.result.new", &[("name", name.as_str())]) } else { name };
                links.push(Link { href: format!("/{}/{id}", entity.path()), label });
            }
            links
        })
        .collect())
}

fn source_names(sources: &[Source]) -> HashMap<i64, String> {
    sources.iter().map(|s| (s.id, s.name.clone())).collect()
}

fn source_name(t: &T, names: &HashMap<i64, String>, id: i64) -> String {
    names.get(&id).cloned().unwrap_or_else(|| t.fmt("intake.source.deleted", &[("id", id.to_string().as_str())]))
}

async fn load_inbox(st: &AppState, ui: &Ui, q: &InboxQuery) -> Result<InboxView, StoreError> {
    let a = &ui.actor;
    let mut events = st.db.events(a, q.status.as_deref(), q.source, PAGE + 1, q.before).await?;
    let more = events.len() as u64 > PAGE;
    events.truncate(PAGE as usize);
    let counts = st.db.event_counts(a).await?;
    let sources = st.db.sources(a).await?;
    let names = source_names(&sources);
    let links = result_links(st, ui, &events).await?;
    let count = |s: &str| counts.get(s).and_then(Json::as_i64).unwrap_or(0);
    let mut tabs = vec![StatusTab {
        href: q.href(None, None),
        label: ui.t.t("intake.status.all"),
        count: EVENT_STATUSES.iter().map(|s| count(s)).sum(),
        active: q.status.is_none(),
        class: "",
    }];
    tabs.extend(EVENT_STATUSES.iter().map(|s| StatusTab {
        href: q.href(Some(s), None),
        label: status_label(&ui.t, s),
        count: count(s),
        active: q.status.as_deref() == Some(*s),
        class: if *s == "failed" && count(s) > 0 { "danger" } else { "" },
    }));
    let rows = events
        .iter()
        .zip(links)
        .map(|(e, links)| {
            let status = e["status"].as_str().unwrap_or("").to_string();
            EventRow {
                id: e["id"].as_i64().unwrap_or(0),
                received: when(ui, e["received_at"].as_str()),
                source: source_name(&ui.t, &names, e["source_id"].as_i64().unwrap_or(0)),
                external_id: e["external_id"].as_str().unwrap_or("").to_string(),
                status_label: state_label(&ui.t, &status),
                status_class: status_class(&status),
                status,
                error: error_text(&ui.t, e),
                links,
            }
        })
        .collect();
    let last = events.last().and_then(|e| e["id"].as_i64());
    Ok(InboxView {
        tabs,
        sources: sources.iter().map(|s| Opt { value: s.id.to_string(), label: s.name.clone() }).collect(),
        status: q.status.clone().unwrap_or_default(),
        source: q.source.map(|s| s.to_string()).unwrap_or_default(),
        rows,
        older: if more { last.map(|id| q.href(q.status.as_deref(), Some(id))) } else { None },
        newest: q.before.map(|_| q.href(q.status.as_deref(), None)),
        is_admin: ui.is_admin(),
    })
}

async fn inbox_page(State(st): State<AppState>, ui: Ui, RawQuery(raw): RawQuery) -> Response {
    if let Some(r) = not_reader(&ui) {
        return r;
    }
    match load_inbox(&st, &ui, &InboxQuery::parse(raw.as_deref())).await {
        Ok(v) => render(&InboxPage { ctx: ui.ctx("settings", ui.t.t("intake.inbox")), t: ui.t, v }),
        Err(e) => store_error(&ui, e),
    }
}

// ---- one event ----

/// The part of an event that processing changes: refreshed after "re-process".
pub struct EventStatus {
    pub id: i64,
    pub csrf: String,
    pub status: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub error: Option<String>,
    pub attempts: i64,
    pub processed: String,
    pub links: Vec<Link>,
    /// Why processing left the event without a card (a bot's own message…).
    pub ignored: Option<String>,
    pub may_reprocess: bool,
}

impl EventStatus {
    pub fn is_pending(&self) -> bool {
        self.status == "pending"
    }
}

pub struct EventView {
    pub source: String,
    pub source_href: Option<String>,
    pub kind: &'static str,
    pub external_id: String,
    pub received: String,
    pub content_type: String,
    pub remote_addr: String,
    pub body: String,
    pub base64: bool,
}

#[derive(Template)]
#[template(path = "intake_event.html")]
struct EventPage {
    ctx: Ctx,
    t: T,
    v: EventView,
    s: EventStatus,
}

#[derive(Template)]
#[template(path = "intake_event_status.html")]
struct EventStatusFragment {
    t: T,
    s: EventStatus,
}

async fn event_status_of(st: &AppState, ui: &Ui, ev: &Json) -> Result<EventStatus, StoreError> {
    let status = ev["status"].as_str().unwrap_or("").to_string();
    let links = result_links(st, ui, std::slice::from_ref(ev)).await?.pop().unwrap_or_default();
    Ok(EventStatus {
        id: ev["id"].as_i64().unwrap_or(0),
        csrf: ui.csrf.clone(),
        status_label: state_label(&ui.t, &status),
        status_class: status_class(&status),
        error: error_text(&ui.t, ev),
        attempts: ev["attempts"].as_i64().unwrap_or(0),
        processed: when(ui, ev["processed_at"].as_str()),
        links,
        ignored: match msg_of(&ev["result"], "ignored") {
            Some(m) => Some(messages::say(&ui.t, &m)),
            None => ev["result"]["ignored"].as_str().map(str::to_string),
        },
        may_reprocess: status == "failed" && ui.is_admin(),
        status,
    })
}

async fn load_event(st: &AppState, ui: &Ui, id: i64) -> Result<(EventView, EventStatus), StoreError> {
    let ev = st.db.event(&ui.actor, id).await?;
    let sources = st.db.sources(&ui.actor).await?;
    let source_id = ev["source_id"].as_i64().unwrap_or(0);
    let text = |k: &str| ev[k].as_str().unwrap_or("").to_string();
    let v = EventView {
        source: source_name(&ui.t, &source_names(&sources), source_id),
        source_href: (ui.is_admin() && sources.iter().any(|s| s.id == source_id)).then(|| format!("/settings/intake/{source_id}")),
        kind: kind_label(&ui.t, ev["kind"].as_str().unwrap_or("")),
        external_id: text("external_id"),
        received: when(ui, ev["received_at"].as_str()),
        content_type: text("content_type"),
        remote_addr: text("remote_addr"),
        body: text("body"),
        base64: ev["body_encoding"] == "base64",
    };
    Ok((v, event_status_of(st, ui, &ev).await?))
}

async fn event_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = not_reader(&ui) {
        return r;
    }
    match load_event(&st, &ui, id).await {
        Ok((v, s)) => {
            let title = ui.t.fmt("intake.event.title", &[("id", id.to_string().as_str())]);
            render(&EventPage { ctx: ui.ctx("settings", title), t: ui.t, v, s })
        }
        Err(e) => store_error(&ui, e),
    }
}

async fn status_fragment(st: &AppState, ui: &Ui, ev: &Json) -> Response {
    match event_status_of(st, ui, ev).await {
        Ok(s) => render(&EventStatusFragment { t: ui.t, s }),
        Err(e) => store_error(ui, e),
    }
}

/// The event's status block alone: polled while the event waits for the worker.
async fn event_status(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = not_reader(&ui) {
        return r;
    }
    match st.db.event(&ui.actor, id).await {
        Ok(ev) => status_fragment(&st, &ui, &ev).await,
        Err(e) => store_error(&ui, e),
    }
}

async fn reprocess(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = not_admin(&ui) {
        return r;
    }
    let ev = match st.db.reprocess_event(&ui.actor, id).await {
        Ok(ev) => ev,
        Err(e) => return store_error(&ui, e),
    };
    st.wake_worker();
    if !ui.htmx {
        return Redirect::to(&format!("/intake/events/{id}")).into_response();
    }
    status_fragment(&st, &ui, &ev).await
}

// ---- the deal card's attribution ----

pub struct AttrLine {
    pub label: &'static str,
    pub value: String,
}

pub struct TouchView {
    pub channel: String,
    pub when: String,
    /// "source / medium / campaign", the parts the touch has.
    pub utm: String,
}

/// A deal's first touch (its own attribution fields) and every touch since.
#[derive(Default)]
pub struct Attribution {
    pub lines: Vec<AttrLine>,
    pub touches: Vec<TouchView>,
}

impl Attribution {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.touches.is_empty()
    }
}

/// The attribution block of the deal `row` (already read with the signed-in user's rights).
pub async fn deal_attribution(st: &AppState, ui: &Ui, row: &Row) -> Result<Attribution, StoreError> {
    let lines = Touch::FIELDS
        .iter()
        .filter_map(|f| {
            let value = row.get(f).as_text().map(str::trim).filter(|v| !v.is_empty())?;
            Some(AttrLine { label: attribution_label(&ui.t, f), value: value.to_string() })
        })
        .collect();
    let touches = st
        .db
        .touches(&ui.actor, row.id())
        .await?
        .iter()
        .map(|t| TouchView {
            channel: channel_label(&ui.t, t["channel"].as_str().unwrap_or("")),
            when: when(ui, t["occurred_at"].as_str()),
            utm: ["utm_source", "utm_medium", "utm_campaign"].iter().filter_map(|f| t[*f].as_str()).collect::<Vec<_>>().join(" / "),
        })
        .collect();
    Ok(Attribution { lines, touches })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang;
    use poryadok_core::msg::{Common, IntakeMsg};
    use poryadok_core::{FieldError, Msg};

    fn source(kind: &str, config: Json) -> Source {
        Source {
            id: 1,
            workspace_id: 1,
            kind: kind.into(),
            name: "S".into(),
            hook_key: "k".into(),
            secret: "whsec_x".into(),
            config,
            state: json!({}),
            active: true,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn form(pairs: &[(&str, &str)]) -> Fields {
        Fields(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn the_form_replaces_only_its_own_keys() {
        let s = source("form", json!({"fields": [{"name": "phone"}], "pipeline_id": 3, "owner_id": 5}));
        let e = edit_of_form(&s, &form(&[("name", "Site"), ("pipeline_id", "4"), ("pool", "7"), ("pool", "8")]));
        assert_eq!(config_of(&e, &s.config), json!({"fields": [{"name": "phone"}], "pipeline_id": 4, "pool": [7, 8]}));
    }

    #[test]
    fn telephony_overrides_and_bad_numbers_reach_the_store_as_typed() {
        let s = source("telephony", json!({"preset": "generic"}));
        let e = edit_of_form(&s, &form(&[("preset", "ringostat"), ("map_caller", " numA "), ("callback_minutes", "abc")]));
        assert_eq!(config_of(&e, &s.config), json!({"preset": "ringostat", "mapping": {"caller": "numA"}, "callback_minutes": "abc"}));
        let row = e.mapping.iter().find(|r| r.field == "caller").unwrap();
        assert_eq!((row.preset.as_str(), row.value.as_str()), ("caller", "numA"));
    }

    #[test]
    fn a_stored_password_shows_as_stars_and_comes_back_as_them() {
        let s = source("email", json!({"imap": {"host": "imap.x", "port": 993, "username": "u", "password": "p", "security": "tls"}}));
        let e = edit_of_source(&s);
        assert_eq!((e.imap("imap_password"), e.imap("imap_port")), ("***", "993"));
        let c = config_of(&e, &s.config);
        assert_eq!(c["imap"]["password"], "***");
        assert_eq!(c["imap"]["port"], 993);
        let off = edit_of_form(&s, &form(&[("imap_password", "***")]));
        assert!(config_of(&off, &s.config).get("imap").is_none(), "no host and no user switch the mailbox off");
    }

    #[test]
    fn store_fields_name_the_inputs() {
        assert_eq!(input_of("config.pool.2"), "pool");
        assert_eq!(input_of("config.imap.host"), "imap_host");
        assert_eq!(input_of("config.mapping.caller"), "map_caller");
        assert_eq!(input_of("name"), "name");
    }

    #[test]
    fn intake_messages_are_translated() {
        let ru = T::new(Lang::Ru);
        let say = |m: Msg| messages::say(&ru, &m);
        assert_eq!(say(IntakeMsg::CallbackMinutes {}.into()), "целое число рабочих минут от 1 до 10080");
        assert!(say(Common::NotActiveUser { id: 7 }.into()).contains('7'));
        let refused = StoreError::invalid("config.stage_id", IntakeMsg::NoStageInPipeline { id: 4 });
        assert_eq!(field_error(&ru, &refused), Some(("config.stage_id".to_string(), "этап 4 не из выбранной воронки".to_string())));
    }

    /// An event as the store lists it, failed with `e`.
    fn failed_event(e: &FieldError) -> Json {
        json!({
            "status": "failed",
            "error": e.message(),
            "error_code": e.msg.code(),
            "error_args": e.msg.args_json(),
            "error_field": e.field,
        })
    }

    #[test]
    fn the_inbox_shows_a_refused_phone_number_in_the_readers_language() {
        let mapping = preset_mapping("generic").unwrap();
        let params = json!({"from": "12"}).as_object().cloned().unwrap();
        let e = poryadok_core::intake::parse_call(&params, &mapping, "RU", "UTC").unwrap_err();
        let ev = failed_event(&e);
        assert_eq!(error_text(&T::new(Lang::Ru), &ev).unwrap(), "caller: «12» — не номер телефона");
        assert_eq!(error_text(&T::new(Lang::En), &ev).unwrap(), "caller: '12' is not a valid phone number");
        // What was stored before messages had codes reads as it was stored.
        let old = json!({"status": "failed", "error": "the body is empty", "error_field": null});
        assert_eq!(error_text(&T::new(Lang::Ru), &old).unwrap(), "the body is empty");
        let ignored = json!({"ignored": "not a message update", "ignored_code": "telegram_not_a_message", "ignored_args": {}});
        assert_eq!(
            msg_of(&ignored, "ignored").map(|m| messages::say(&T::new(Lang::Ru), &m)).as_deref(),
            Some("это обновление — не сообщение")
        );
    }
}

//! The settings: pipelines and their stages, custom fields, users, teams and the workspace itself
//! (with its reasons for lost and frozen deals and its working calendar). The sales regulation of
//! stages and pipelines has its own pages in [`regulation`]. Pipelines, stages, fields and the
//! regulation are configured by heads of sales and administrators; users, teams, the workspace
//! and the integrations by administrators only.
//!
//! Every tab is one fragment (`#settings-body`) that each form of the tab re-renders: htmx swaps
//! it in place, a browser without scripts posts the form and is sent back to the tab. A refused
//! form comes back with 422, the user's input and the reason next to it. All writes go through
//! the store with the signed-in user as the actor, so validation, refusals ("a stage with deals
//! cannot be deleted") and history are the API's; the store also refuses everyone else.
#[path = "settings_regulation.rs"]
mod regulation;

use super::i18n::T;
use super::{messages, render_status, store_error, Admin, Ctx, HeadOrAdmin, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Form, Router};
use poryadok_core::calendar::BusinessHours;
use poryadok_core::domain::{CustomFieldType, Role, Visibility};
use poryadok_core::regulation::{StageRegulation, WorkingTime};
use poryadok_core::schema::{Entity, CUSTOM_FIELD_ENTITIES};
use poryadok_core::types::Val;
use poryadok_store::{ListQuery, Row, StoreError};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(|HeadOrAdmin(_): HeadOrAdmin| async { Redirect::to("/settings/pipelines") }))
        .route("/settings/pipelines", show(Tab::Pipelines).post(create_pipeline))
        .route("/settings/pipelines/{id}", post(rename_pipeline))
        .route("/settings/pipelines/{id}/move", post(move_pipeline))
        .route("/settings/pipelines/{id}/delete", post(delete_pipeline))
        .route("/settings/stages", post(create_stage))
        .route("/settings/stages/{id}", post(update_stage))
        .route("/settings/stages/{id}/move", post(move_stage))
        .route("/settings/stages/{id}/delete", post(delete_stage))
        .route("/settings/fields", show(Tab::Fields).post(create_field))
        .route("/settings/fields/{id}", post(update_field))
        .route("/settings/fields/{id}/delete", post(delete_field))
        .route("/settings/users", show(Tab::Users).post(create_user))
        .route("/settings/users/{id}", post(update_user))
        .route("/settings/users/{id}/active", post(set_user_active))
        .route("/settings/users/{id}/unlock", post(unlock_user))
        .route("/settings/teams", show(Tab::Teams).post(create_team))
        .route("/settings/teams/{id}", post(rename_team))
        .route("/settings/teams/{id}/delete", post(delete_team))
        .route("/settings/workspace", show(Tab::Workspace).post(update_workspace))
        .route("/settings/workspace/calendar", post(update_calendar))
        .merge(regulation::routes())
}

/// Enough rows for any one settings list of a sales department (the store's page limit).
const ALL: &str = "500";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Pipelines,
    Fields,
    Users,
    Teams,
    Workspace,
}

impl Tab {
    const ALL: [Tab; 5] = [Tab::Pipelines, Tab::Fields, Tab::Users, Tab::Teams, Tab::Workspace];

    fn slug(self) -> &'static str {
        match self {
            Tab::Pipelines => "pipelines",
            Tab::Fields => "fields",
            Tab::Users => "users",
            Tab::Teams => "teams",
            Tab::Workspace => "workspace",
        }
    }

    fn label(self, t: &T) -> &'static str {
        match self {
            Tab::Pipelines => t.t("settings.nav.pipelines"),
            Tab::Fields => t.t("settings.nav.fields"),
            Tab::Users => t.t("settings.nav.users"),
            Tab::Teams => t.t("settings.nav.teams"),
            Tab::Workspace => t.t("settings.nav.workspace"),
        }
    }

    fn href(self) -> String {
        format!("/settings/{}", self.slug())
    }

    /// The tabs of the sales regulation, which heads of sales configure too; users, teams and
    /// the workspace stay the administrator's.
    fn for_heads(self) -> bool {
        matches!(self, Tab::Pipelines | Tab::Fields)
    }

    /// Whether `ui` may open this tab.
    fn open_to(self, ui: &Ui) -> bool {
        ui.is_admin() || (self.for_heads() && ui.actor.caller.role == Role::Head)
    }
}

/// A form the store (or the form's own parsing) refused: which form, which field, why, and what
/// the user had typed, so the form comes back as they left it.
#[derive(Debug, Default)]
pub struct Failed {
    form: String,
    field: String,
    message: String,
    values: HashMap<String, String>,
}

/// The state of the tab's forms for one rendering.
pub struct Forms {
    pub csrf: String,
    pub notice: Option<String>,
    failed: Option<Failed>,
}

impl Forms {
    fn failed_for(&self, form: &str) -> Option<&Failed> {
        self.failed.as_ref().filter(|f| f.form == form)
    }

    /// What the input `name` of `form` shows: the rejected input, else the stored value.
    pub fn val<'a>(&'a self, form: &str, name: &str, stored: &'a str) -> &'a str {
        self.failed_for(form).and_then(|f| f.values.get(name)).map_or(stored, String::as_str)
    }

    /// Whether `option` is the chosen one of the select `name` of `form`.
    pub fn is(&self, form: &str, name: &str, stored: &str, option: &str) -> bool {
        self.val(form, name, stored) == option
    }

    /// Why `form` was refused.
    pub fn error(&self, form: &str) -> Option<&str> {
        self.failed_for(form).map(|f| f.message.as_str())
    }

    /// Whether the input `field` of `form` is the one the refusal is about.
    pub fn invalid(&self, form: &str, field: &str) -> bool {
        self.failed_for(form).is_some_and(|f| f.field == field)
    }

    /// Whether the checkbox `name` of `form` is ticked: as sent, else as stored.
    pub fn checked(&self, form: &str, name: &str, stored: &bool) -> bool {
        self.failed_for(form).map_or(*stored, |f| f.values.contains_key(name))
    }
}

pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

pub struct StageView {
    pub id: i64,
    pub form: String,
    pub name: String,
    pub probability: String,
    pub rotting_days: String,
    /// What the stage's regulation sets, in a few words; empty when nothing.
    pub regulation: String,
    /// The stage linter's findings (a vague name, no goal), with the advice, in the reader's language.
    pub lint: Vec<String>,
    pub first: bool,
    pub last: bool,
}

pub struct PipelineView {
    pub id: i64,
    pub form: String,
    pub new_stage_form: String,
    pub name: String,
    pub stages: Vec<StageView>,
    pub first: bool,
    pub last: bool,
}

pub struct FieldView {
    pub id: i64,
    pub form: String,
    pub key: String,
    pub label: String,
    pub type_label: &'static str,
    pub is_enum: bool,
    /// Enum options, one per line as the textarea edits them.
    pub options: String,
}

pub struct FieldGroup {
    pub entity: &'static str,
    pub label: &'static str,
    pub fields: Vec<FieldView>,
}

/// A value of a closed vocabulary with its label.
pub struct Choice {
    pub value: String,
    pub label: String,
}

pub struct FieldsView {
    pub groups: Vec<FieldGroup>,
    pub entities: Vec<Choice>,
    pub types: Vec<Choice>,
}

pub struct UserView {
    pub id: i64,
    pub form: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub team_id: String,
    /// The telephony extension click-to-call rings first.
    pub extension: String,
    pub active: bool,
    pub me: bool,
    /// "Locked until 14:05" while wrong passwords keep the user from signing in.
    pub locked: Option<String>,
}

pub struct UsersView {
    pub users: Vec<UserView>,
    pub roles: Vec<Choice>,
    pub teams: Vec<Choice>,
}

pub struct TeamView {
    pub id: i64,
    pub form: String,
    pub name: String,
    pub members: usize,
}

pub struct WorkspaceView {
    pub name: String,
    pub currency: String,
    pub timezone: String,
    pub locale: String,
    pub region: String,
    pub visibility: String,
    pub visibilities: Vec<Choice>,
    /// Working weekdays, `day1` (Monday) to `day7`.
    pub days: Vec<regulation::Check>,
    /// Working intervals as typed: `09:00-13:00, 14:00-18:00`.
    pub hours: String,
    /// One date (`YYYY-MM-DD`) or reason a line.
    pub holidays: String,
    pub workdays: String,
    pub lost_reasons: String,
    pub frozen_reasons: String,
    pub not_lead_reasons: String,
}

pub enum Body {
    Pipelines(Vec<PipelineView>),
    Fields(FieldsView),
    Users(UsersView),
    Teams(Vec<TeamView>),
    Workspace(Box<WorkspaceView>),
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    ctx: Ctx,
    t: T,
    nav: Vec<NavItem>,
    f: Forms,
    body: Body,
}

#[derive(Template)]
#[template(path = "settings_fragment.html")]
struct SettingsFragment {
    t: T,
    f: Forms,
    body: Body,
}

fn text_of(r: &Row, name: &str) -> String {
    r.get(name).as_text().unwrap_or("").to_string()
}

fn int_of(r: &Row, name: &str) -> String {
    r.get(name).as_int().map(|i| i.to_string()).unwrap_or_default()
}

async fn all(st: &AppState, ui: &Ui, entity: Entity, sort: &str, filters: Vec<(String, String)>) -> Result<Vec<Row>, StoreError> {
    let lq = ListQuery { sort: Some(sort.into()), limit: Some(ALL.into()), filters, ..ListQuery::default() };
    Ok(st.db.list(&ui.actor, entity, &lq).await?.data)
}

async fn load(st: &AppState, ui: &Ui, tab: Tab) -> Result<Body, StoreError> {
    Ok(match tab {
        Tab::Pipelines => Body::Pipelines(load_pipelines(st, ui).await?),
        Tab::Fields => Body::Fields(load_fields(st, ui).await?),
        Tab::Users => Body::Users(load_users(st, ui).await?),
        Tab::Teams => Body::Teams(load_teams(st, ui).await?),
        Tab::Workspace => Body::Workspace(Box::new(load_workspace(st, ui).await?)),
    })
}

/// "2 fields · naming · 1 task · SLA 4 h" for a stage's row; empty without a regulation.
fn regulation_summary(t: &T, stage: &Row) -> String {
    let stored: Option<Value> = stage.get("regulation").as_text().and_then(|s| serde_json::from_str(s).ok());
    let Some(r) = stored.and_then(|v| StageRegulation::parse(&v).ok()) else { return String::new() };
    let mut parts = Vec::new();
    if !r.required_fields.is_empty() {
        parts.push(t.fmt("settings.reg.sum.fields", &[("n", r.required_fields.len().to_string().as_str())]));
    }
    if r.naming.is_some() {
        parts.push(t.t("settings.reg.sum.naming").to_string());
    }
    if !r.entry_tasks.is_empty() {
        parts.push(t.fmt("settings.reg.sum.tasks", &[("n", r.entry_tasks.len().to_string().as_str())]));
    }
    if let Some(sla) = r.sla {
        parts.push(t.fmt("settings.reg.sum.sla", &[("time", working_time(t, sla).as_str())]));
    }
    parts.join(" · ")
}

fn working_time(t: &T, w: WorkingTime) -> String {
    let amount = w.amount.to_string();
    match w.minutes() {
        None => t.fmt("settings.reg.short.days", &[("n", amount.as_str())]),
        Some(m) if m == w.amount => t.fmt("settings.reg.short.minutes", &[("n", amount.as_str())]),
        Some(_) => t.fmt("settings.reg.short.hours", &[("n", amount.as_str())]),
    }
}

async fn load_pipelines(st: &AppState, ui: &Ui) -> Result<Vec<PipelineView>, StoreError> {
    let pipelines = all(st, ui, Entity::Pipeline, "position", Vec::new()).await?;
    let stages = all(st, ui, Entity::Stage, "position", Vec::new()).await?;
    let n = pipelines.len();
    Ok(pipelines
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let own: Vec<&Row> = stages.iter().filter(|s| s.get("pipeline_id").as_int() == Some(p.id())).collect();
            let stages = own
                .iter()
                .enumerate()
                .map(|(j, s)| StageView {
                    id: s.id(),
                    form: format!("stage-{}", s.id()),
                    name: text_of(s, "name"),
                    probability: int_of(s, "probability"),
                    rotting_days: int_of(s, "rotting_days"),
                    regulation: regulation_summary(&ui.t, s),
                    lint: poryadok_core::regulation_doc::lint_stage("", "", &text_of(s, "name"), s.get("goal").as_text())
                        .iter()
                        .map(|f| super::messages::say(&ui.t, &f.msg))
                        .collect(),
                    first: j == 0,
                    last: j + 1 == own.len(),
                })
                .collect();
            PipelineView {
                id: p.id(),
                form: format!("pipeline-{}", p.id()),
                new_stage_form: format!("new-stage-{}", p.id()),
                name: text_of(p, "name"),
                stages,
                first: i == 0,
                last: i + 1 == n,
            }
        })
        .collect())
}

fn type_label(t: &T, ft: &str) -> &'static str {
    match CustomFieldType::parse(ft) {
        Some(CustomFieldType::Text) => t.t("settings.type.text"),
        Some(CustomFieldType::Number) => t.t("settings.type.number"),
        Some(CustomFieldType::Money) => t.t("settings.type.money"),
        Some(CustomFieldType::Date) => t.t("settings.type.date"),
        Some(CustomFieldType::Enum) => t.t("settings.type.enum"),
        Some(CustomFieldType::Bool) => t.t("settings.type.bool"),
        Some(CustomFieldType::Url) => t.t("settings.type.url"),
        Some(CustomFieldType::User) => t.t("settings.type.user"),
        Some(CustomFieldType::Organization) => t.t("settings.type.organization"),
        None => t.t("common.none"),
    }
}

fn entity_label(t: &T, entity: &str) -> &'static str {
    match entity {
        "organization" => t.t("settings.entity.organization"),
        "person" => t.t("settings.entity.person"),
        "deal" => t.t("settings.entity.deal"),
        "activity" => t.t("settings.entity.activity"),
        _ => t.t("common.none"),
    }
}

fn role_label(t: &T, role: &str) -> &'static str {
    match Role::parse(role) {
        Some(Role::Admin) => t.t("settings.role.admin"),
        Some(Role::Head) => t.t("settings.role.head"),
        Some(Role::Manager) => t.t("settings.role.manager"),
        Some(Role::Consultant) => t.t("settings.role.consultant"),
        Some(Role::PartnerManager) => t.t("settings.role.partner_manager"),
        Some(Role::Analyst) => t.t("settings.role.analyst"),
        None => t.t("common.none"),
    }
}

fn visibility_label(t: &T, v: &str) -> &'static str {
    match Visibility::parse(v) {
        Some(Visibility::Own) => t.t("settings.visibility.own"),
        Some(Visibility::Team) => t.t("settings.visibility.team"),
        Some(Visibility::All) => t.t("settings.visibility.all"),
        None => t.t("common.none"),
    }
}

fn choices(values: &[&str], label: impl Fn(&str) -> &'static str) -> Vec<Choice> {
    values.iter().map(|v| Choice { value: (*v).to_string(), label: label(v).to_string() }).collect()
}

/// Enum options as stored (a JSON array of strings), one per line.
fn options_lines(r: &Row) -> String {
    let parsed: Vec<String> = r.get("options").as_text().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    parsed.join("\n")
}

async fn load_fields(st: &AppState, ui: &Ui) -> Result<FieldsView, StoreError> {
    let rows = all(st, ui, Entity::CustomField, "position", Vec::new()).await?;
    let t = ui.t;
    let groups = CUSTOM_FIELD_ENTITIES
        .iter()
        .map(|entity| FieldGroup {
            entity,
            label: entity_label(&t, entity),
            fields: rows
                .iter()
                .filter(|r| r.get("entity").as_text() == Some(entity))
                .map(|r| {
                    let ft = text_of(r, "field_type");
                    FieldView {
                        id: r.id(),
                        form: format!("field-{}", r.id()),
                        key: text_of(r, "key"),
                        label: text_of(r, "label"),
                        type_label: type_label(&t, &ft),
                        is_enum: ft == CustomFieldType::Enum.as_str(),
                        options: options_lines(r),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(FieldsView {
        groups,
        entities: choices(CUSTOM_FIELD_ENTITIES, |e| entity_label(&t, e)),
        types: choices(CustomFieldType::ALL, |ft| type_label(&t, ft)),
    })
}

async fn team_choices(st: &AppState, ui: &Ui) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(all(st, ui, Entity::Team, "name", Vec::new()).await?.iter().map(|r| (r.id(), text_of(r, "name"))).collect())
}

async fn load_users(st: &AppState, ui: &Ui) -> Result<UsersView, StoreError> {
    let rows = all(st, ui, Entity::User, "name", Vec::new()).await?;
    let locked = st.db.locked_users(&ui.actor).await?;
    let t = ui.t;
    let (fmt, now) = (ui.fmt(), st.db.clock.now_ms());
    let users = rows
        .iter()
        .map(|r| UserView {
            id: r.id(),
            form: format!("user-{}", r.id()),
            name: text_of(r, "name"),
            email: text_of(r, "email"),
            role: text_of(r, "role"),
            team_id: int_of(r, "team_id"),
            extension: text_of(r, "extension"),
            active: r.get("active") == &Val::Bool(true),
            me: r.id() == ui.actor.user_id(),
            locked: locked.get(&r.id()).map(|&until| t.fmt("settings.users.locked_until", &[("time", &until_time(&fmt, now, until))])),
        })
        .collect();
    let teams = team_choices(st, ui).await?.into_iter().map(|(id, name)| Choice { value: id.to_string(), label: name }).collect();
    Ok(UsersView { users, roles: choices(Role::ALL, |r| role_label(&t, r)), teams })
}

/// When a lockout ends: the time alone when that is today in the workspace's zone, else date and time.
fn until_time(fmt: &super::format::Fmt, now: i64, until: i64) -> String {
    let (when, today) = (fmt.datetime(until), fmt.date(now));
    match when.strip_prefix(today.as_str()) {
        Some(time) => time.trim_start().to_string(),
        None => when,
    }
}

async fn load_teams(st: &AppState, ui: &Ui) -> Result<Vec<TeamView>, StoreError> {
    let users = all(st, ui, Entity::User, "name", Vec::new()).await?;
    Ok(team_choices(st, ui)
        .await?
        .into_iter()
        .map(|(id, name)| TeamView {
            id,
            form: format!("team-{id}"),
            name,
            members: users.iter().filter(|u| u.get("team_id").as_int() == Some(id)).count(),
        })
        .collect())
}

/// The calendar's canonical JSON (`start`/`end` or `hours`, `holidays`, `workdays` always there).
fn canonical_hours(v: &Value) -> Option<Value> {
    BusinessHours::parse(v).ok().map(|b| b.to_json())
}

/// Strings of a JSON list, joined with `sep`.
fn joined(v: &Value, sep: &str) -> String {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(sep)).unwrap_or_default()
}

async fn load_workspace(st: &AppState, ui: &Ui) -> Result<WorkspaceView, StoreError> {
    let ws = st.db.workspace_json(&ui.actor).await?;
    let s = |k: &str| ws[k].as_str().unwrap_or("").to_string();
    let t = ui.t;
    let bh = canonical_hours(&ws["business_hours"]).unwrap_or(Value::Null);
    let intervals: Vec<String> = match bh["hours"].as_array() {
        Some(list) => list.iter().map(|pair| joined(pair, "-")).collect(),
        None => vec![format!("{}-{}", bh["start"].as_str().unwrap_or("09:00"), bh["end"].as_str().unwrap_or("18:00"))],
    };
    let working: Vec<u64> = bh["days"].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
    let days = (1..=7u64)
        .map(|d| regulation::Check {
            name: format!("day{d}"),
            label: t.t(&format!("settings.day.{d}")).to_string(),
            checked: working.contains(&d),
        })
        .collect();
    Ok(WorkspaceView {
        days,
        hours: intervals.join(", "),
        holidays: joined(&bh["holidays"], "\n"),
        workdays: joined(&bh["workdays"], "\n"),
        lost_reasons: joined(&ws["lost_reasons"], "\n"),
        frozen_reasons: joined(&ws["frozen_reasons"], "\n"),
        not_lead_reasons: joined(&ws["not_lead_reasons"], "\n"),
        name: s("name"),
        currency: s("currency"),
        timezone: s("timezone"),
        locale: s("locale"),
        region: s("region"),
        visibility: s("visibility"),
        visibilities: choices(Visibility::ALL, |v| visibility_label(&t, v)),
    })
}

/// Renders a tab: the whole page, or for htmx only `#settings-body`.
async fn respond(st: &AppState, ui: &Ui, tab: Tab, status: StatusCode, notice: Option<String>, failed: Option<Failed>) -> Response {
    let body = match load(st, ui, tab).await {
        Ok(b) => b,
        Err(e) => return store_error(ui, e),
    };
    let f = Forms { csrf: ui.csrf.clone(), notice, failed };
    if ui.htmx {
        return render_status(status, &SettingsFragment { t: ui.t, f, body });
    }
    let title = format!("{} · {}", ui.t.t("nav.settings"), tab.label(&ui.t));
    render_status(status, &SettingsPage { ctx: ui.ctx("settings", title), t: ui.t, nav: nav(ui, tab), f, body })
}

/// The tabs, `active` marked, and the assistants, channels and intake pages (their own modules)
/// after them; a head of sales sees the regulation's tabs and the assistants only.
fn nav(ui: &Ui, active: Tab) -> Vec<NavItem> {
    if !ui.is_admin() {
        let mut items = tab_items(&ui.t, Some(active), false);
        items.push(super::assistants::nav_item(&ui.t, false));
        return items;
    }
    let t = &ui.t;
    let mut items = tab_items(t, Some(active), true);
    items.push(super::assistants::nav_item(t, false));
    items.extend(super::channels::nav_items(t));
    items.push(super::backup::nav_item(t, false));
    items.push(super::products::nav_item(t, false));
    items.push(super::doc_settings::nav_item(t, false));
    items.push(super::intake::nav_item(t, false));
    items
}

/// The tabs and the assistants and channels pages for a settings page another module owns
/// (intake, which adds itself last; assistants; channels): none of them is active.
pub fn nav_outside(t: &T) -> Vec<NavItem> {
    let mut items = tab_items(t, None, true);
    items.push(super::assistants::nav_item(t, false));
    items.extend(super::channels::nav_items(t));
    items.push(super::backup::nav_item(t, false));
    items.push(super::products::nav_item(t, false));
    items.push(super::doc_settings::nav_item(t, false));
    items
}

/// What a head of sales is offered on a settings page another module owns (assistants): the
/// regulation's tabs and the assistants page, none of them active.
pub fn head_nav_outside(t: &T) -> Vec<NavItem> {
    let mut items = tab_items(t, None, false);
    items.push(super::assistants::nav_item(t, false));
    items
}

fn tab_items(t: &T, active: Option<Tab>, admin: bool) -> Vec<NavItem> {
    Tab::ALL
        .into_iter()
        .filter(|x| admin || x.for_heads())
        .map(|x| NavItem { href: x.href(), label: x.label(t), active: Some(x) == active })
        .collect()
}

/// A tab's page. Each tab has its own route: a tab's address also takes its "create" form.
fn show(tab: Tab) -> MethodRouter<AppState> {
    get(move |State(st): State<AppState>, ui: Ui| async move {
        if !tab.open_to(&ui) {
            return ui.forbidden().into_response();
        }
        respond(&st, &ui, tab, StatusCode::OK, None, None).await
    })
}

/// The label of a field in a message shown next to its form: the tab's own word for it (a
/// user's "name" is not a pipeline's), the settings' word, else the shared one.
fn label(t: &T, tab: Tab, field: &str) -> String {
    for key in [format!("settings.field.{}.{field}", tab.slug()), format!("settings.field.{field}")] {
        let found = t.t(&key);
        if found != key {
            return found.to_string();
        }
    }
    messages::field_label(t, field)
}

/// A refusal that belongs next to a form; anything else (not found, forbidden) is an error page.
fn failure(t: &T, tab: Tab, e: &StoreError) -> Option<(String, String)> {
    if let StoreError::Conflict { field: None, msg } = e {
        return Some((String::new(), messages::say(t, msg)));
    }
    let (field, message) = super::field_error(t, e)?;
    Some((field.clone(), format!("{}: {}", label(t, tab, &field), message)))
}

/// Where a write lands: which tab to show again and which form to blame if it fails.
struct Target {
    tab: Tab,
    form: String,
    values: HashMap<String, String>,
}

impl Target {
    fn new(tab: Tab, form: impl Into<String>, values: HashMap<String, String>) -> Target {
        Target { tab, form: form.into(), values }
    }
}

/// Answers a write: the refreshed tab with a notice (htmx) or a redirect to it (plain form), or
/// the same tab with the refusal next to the form and 422.
async fn outcome<R>(st: &AppState, ui: &Ui, target: Target, result: Result<R, StoreError>, notice: &str) -> Response {
    match result {
        Ok(_) if ui.htmx => respond(st, ui, target.tab, StatusCode::OK, Some(ui.t.t(notice).to_string()), None).await,
        Ok(_) => Redirect::to(&target.tab.href()).into_response(),
        Err(e) => match failure(&ui.t, target.tab, &e) {
            Some((field, message)) => {
                let failed = Failed { form: target.form, field, message, values: target.values };
                respond(st, ui, target.tab, StatusCode::UNPROCESSABLE_ENTITY, None, Some(failed)).await
            }
            None => store_error(ui, e),
        },
    }
}

type Values = HashMap<String, String>;

fn field(v: &Values, name: &str) -> String {
    v.get(name).map(|s| s.trim().to_string()).unwrap_or_default()
}

/// A text input as JSON: empty is `null`, which the store reads as "not given" or "required".
fn text(v: &Values, name: &str) -> Value {
    match field(v, name) {
        s if s.is_empty() => Value::Null,
        s => Value::String(s),
    }
}

/// A number input as JSON: empty is `null`; anything but an integer is refused here, in the
/// same shape as a store refusal.
fn int(v: &Values, name: &str) -> Result<Value, StoreError> {
    match field(v, name) {
        s if s.is_empty() => Ok(Value::Null),
        s => s.parse::<i64>().map(Value::from).map_err(|_| StoreError::invalid(name, poryadok_core::msg::Common::NotInteger {})),
    }
}

/// Enum options, one per line in the textarea; blank lines are ignored.
fn options(v: &Values) -> Value {
    let lines = v.get("options").map(String::as_str).unwrap_or("");
    Value::from(lines.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>())
}

fn stage_body(v: &Values) -> Result<Map<String, Value>, StoreError> {
    let mut body = Map::new();
    body.insert("name".into(), text(v, "name"));
    body.insert("probability".into(), int(v, "probability")?);
    body.insert("rotting_days".into(), int(v, "rotting_days")?);
    Ok(body)
}

async fn create_pipeline(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Form(v): Form<Values>) -> Response {
    let result = st.db.create(&ui.actor, Entity::Pipeline, &json!({"name": text(&v, "name")})).await;
    outcome(&st, &ui, Target::new(Tab::Pipelines, "new-pipeline", v), result, "settings.notice.created").await
}

async fn rename_pipeline(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>, Form(v): Form<Values>) -> Response {
    let result = st.db.update(&ui.actor, Entity::Pipeline, id, &json!({"name": text(&v, "name")})).await;
    outcome(&st, &ui, Target::new(Tab::Pipelines, format!("pipeline-{id}"), v), result, "settings.notice.saved").await
}

async fn delete_pipeline(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>) -> Response {
    let result = st.db.delete(&ui.actor, Entity::Pipeline, id).await;
    outcome(&st, &ui, Target::new(Tab::Pipelines, format!("pipeline-{id}"), Values::new()), result, "settings.notice.deleted").await
}

async fn create_stage(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Form(v): Form<Values>) -> Response {
    let pipeline = field(&v, "pipeline_id");
    let result = match (stage_body(&v), pipeline.parse::<i64>()) {
        (Ok(mut body), Ok(p)) => {
            body.insert("pipeline_id".into(), Value::from(p));
            st.db.create(&ui.actor, Entity::Stage, &Value::Object(body)).await
        }
        (Err(e), _) => Err(e),
        (_, Err(_)) => Err(StoreError::NotFound),
    };
    outcome(&st, &ui, Target::new(Tab::Pipelines, format!("new-stage-{pipeline}"), v), result, "settings.notice.created").await
}

async fn update_stage(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>, Form(v): Form<Values>) -> Response {
    let result = match stage_body(&v) {
        Ok(body) => st.db.update(&ui.actor, Entity::Stage, id, &Value::Object(body)).await,
        Err(e) => Err(e),
    };
    outcome(&st, &ui, Target::new(Tab::Pipelines, format!("stage-{id}"), v), result, "settings.notice.saved").await
}

async fn delete_stage(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>) -> Response {
    let result = st.db.delete(&ui.actor, Entity::Stage, id).await;
    outcome(&st, &ui, Target::new(Tab::Pipelines, format!("stage-{id}"), Values::new()), result, "settings.notice.deleted").await
}

/// Swaps `id` with its neighbour above (`up`) or below among `siblings` (in display order) by
/// exchanging their positions; equal positions (never written by the UI, possible through the API)
/// are first spread out so the swap changes the order.
async fn swap(st: &AppState, ui: &Ui, entity: Entity, siblings: &[Row], id: i64, up: bool) -> Result<(), StoreError> {
    let Some(i) = siblings.iter().position(|r| r.id() == id) else { return Err(StoreError::NotFound) };
    let j = if up { i.checked_sub(1) } else { Some(i + 1) };
    let Some(other) = j.and_then(|j| siblings.get(j)) else { return Ok(()) };
    let pos = |r: &Row| r.get("position").as_int().unwrap_or(0);
    let set = |rid: i64, p: i64| async move { st.db.update(&ui.actor, entity, rid, &json!({"position": p})).await.map(|_| ()) };
    if pos(&siblings[i]) != pos(other) {
        set(id, pos(other)).await?;
        return set(other.id(), pos(&siblings[i])).await;
    }
    let mut order: Vec<i64> = siblings.iter().map(Row::id).collect();
    order.swap(i, j.unwrap_or(i));
    for (k, rid) in order.into_iter().enumerate() {
        set(rid, k as i64).await?;
    }
    Ok(())
}

fn is_up(v: &Values) -> bool {
    v.get("dir").is_some_and(|d| d == "up")
}

async fn move_stage(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>, Form(v): Form<Values>) -> Response {
    let result = async {
        let stage = st.db.get(&ui.actor, Entity::Stage, id).await?;
        let pipeline = stage.get("pipeline_id").as_int().unwrap_or(0).to_string();
        let siblings = all(&st, &ui, Entity::Stage, "position", vec![("pipeline_id".into(), pipeline)]).await?;
        swap(&st, &ui, Entity::Stage, &siblings, id, is_up(&v)).await
    }
    .await;
    outcome(&st, &ui, Target::new(Tab::Pipelines, format!("stage-{id}"), Values::new()), result, "settings.notice.moved").await
}

async fn move_pipeline(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>, Form(v): Form<Values>) -> Response {
    let result = async {
        let siblings = all(&st, &ui, Entity::Pipeline, "position", Vec::new()).await?;
        swap(&st, &ui, Entity::Pipeline, &siblings, id, is_up(&v)).await
    }
    .await;
    outcome(&st, &ui, Target::new(Tab::Pipelines, format!("pipeline-{id}"), Values::new()), result, "settings.notice.moved").await
}

async fn create_field(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Form(v): Form<Values>) -> Response {
    let mut body = json!({
        "entity": text(&v, "entity"),
        "key": text(&v, "key"),
        "label": text(&v, "label"),
        "field_type": text(&v, "field_type"),
    });
    let opts = options(&v);
    if opts.as_array().is_some_and(|a| !a.is_empty()) {
        body["options"] = opts;
    }
    let result = st.db.create(&ui.actor, Entity::CustomField, &body).await;
    outcome(&st, &ui, Target::new(Tab::Fields, "new-field", v), result, "settings.notice.created").await
}

/// Changes a field's label and, for enum fields (whose form has the options box), its options.
async fn update_field(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>, Form(v): Form<Values>) -> Response {
    let mut body = json!({"label": text(&v, "label")});
    if v.contains_key("options") {
        body["options"] = options(&v);
    }
    let result = st.db.update(&ui.actor, Entity::CustomField, id, &body).await;
    outcome(&st, &ui, Target::new(Tab::Fields, format!("field-{id}"), v), result, "settings.notice.saved").await
}

async fn delete_field(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>) -> Response {
    let result = st.db.delete(&ui.actor, Entity::CustomField, id).await;
    outcome(&st, &ui, Target::new(Tab::Fields, format!("field-{id}"), Values::new()), result, "settings.notice.deleted").await
}

/// A team select as JSON: empty is "no team".
fn team(v: &Values) -> Result<Value, StoreError> {
    int(v, "team_id")
}

async fn create_user(State(st): State<AppState>, Admin(ui): Admin, Form(v): Form<Values>) -> Response {
    let result = async {
        let mut body = json!({"name": text(&v, "name"), "email": text(&v, "email"), "role": text(&v, "role"), "team_id": team(&v)?});
        // The password is the only input not trimmed: spaces may be part of it.
        if let Some(p) = v.get("password").filter(|p| !p.is_empty()) {
            body["password"] = Value::from(p.as_str());
        }
        st.db.create(&ui.actor, Entity::User, &body).await
    }
    .await;
    let mut kept = v;
    kept.remove("password");
    outcome(&st, &ui, Target::new(Tab::Users, "new-user", kept), result, "settings.notice.created").await
}

/// Changes a user's name, role and team. An administrator does not take their own
/// administrator role away: nobody could give it back from the UI.
async fn update_user(State(st): State<AppState>, Admin(ui): Admin, Path(id): Path<i64>, Form(v): Form<Values>) -> Response {
    let result = async {
        let role = text(&v, "role");
        if id == ui.actor.user_id() && role.as_str() != Some(Role::Admin.as_str()) {
            return Err(StoreError::invalid("role", poryadok_core::msg::RecordMsg::OwnAdminRole {}));
        }
        let body = json!({"name": text(&v, "name"), "role": role, "team_id": team(&v)?, "extension": text(&v, "extension")});
        st.db.update(&ui.actor, Entity::User, id, &body).await
    }
    .await;
    outcome(&st, &ui, Target::new(Tab::Users, format!("user-{id}"), v), result, "settings.notice.saved").await
}

/// Deactivates or reactivates a user; the store refuses an administrator deactivating themselves.
async fn set_user_active(State(st): State<AppState>, Admin(ui): Admin, Path(id): Path<i64>, Form(v): Form<Values>) -> Response {
    let active = v.get("active").is_some_and(|a| a == "1");
    let result = if !active && id == ui.actor.user_id() {
        // The store refuses this too; asking first keeps the message the same on every backend.
        Err(StoreError::invalid("active", poryadok_core::msg::RecordMsg::DeactivateSelf {}))
    } else {
        st.db.update(&ui.actor, Entity::User, id, &json!({"active": active})).await
    };
    let notice = if active { "settings.notice.activated" } else { "settings.notice.deactivated" };
    outcome(&st, &ui, Target::new(Tab::Users, format!("user-{id}"), Values::new()), result, notice).await
}

/// Lifts a user's sign-in lockout (wrong passwords); the notice says whether one was on.
async fn unlock_user(State(st): State<AppState>, Admin(ui): Admin, Path(id): Path<i64>) -> Response {
    let result = st.db.unlock_user(&ui.actor, id).await;
    let notice = if matches!(result, Ok(false)) { "settings.notice.not_locked" } else { "settings.notice.unlocked" };
    outcome(&st, &ui, Target::new(Tab::Users, format!("user-{id}"), Values::new()), result, notice).await
}

async fn create_team(State(st): State<AppState>, Admin(ui): Admin, Form(v): Form<Values>) -> Response {
    let result = st.db.create(&ui.actor, Entity::Team, &json!({"name": text(&v, "name")})).await;
    outcome(&st, &ui, Target::new(Tab::Teams, "new-team", v), result, "settings.notice.created").await
}

async fn rename_team(State(st): State<AppState>, Admin(ui): Admin, Path(id): Path<i64>, Form(v): Form<Values>) -> Response {
    let result = st.db.update(&ui.actor, Entity::Team, id, &json!({"name": text(&v, "name")})).await;
    outcome(&st, &ui, Target::new(Tab::Teams, format!("team-{id}"), v), result, "settings.notice.saved").await
}

async fn delete_team(State(st): State<AppState>, Admin(ui): Admin, Path(id): Path<i64>) -> Response {
    let result = st.db.delete(&ui.actor, Entity::Team, id).await;
    outcome(&st, &ui, Target::new(Tab::Teams, format!("team-{id}"), Values::new()), result, "settings.notice.deleted").await
}

const WORKSPACE_SETTINGS: [&str; 6] = ["name", "currency", "timezone", "locale", "region", "visibility"];

/// Saves the workspace settings that changed (the history records only real changes).
async fn update_workspace(State(st): State<AppState>, Admin(ui): Admin, Form(v): Form<Values>) -> Response {
    let result = async {
        let current = st.db.workspace_json(&ui.actor).await?;
        let mut changes = Map::new();
        for k in WORKSPACE_SETTINGS {
            let given = field(&v, k);
            if current[k].as_str() != Some(given.as_str()) {
                changes.insert(k.into(), Value::String(given));
            }
        }
        st.db.update_workspace(&ui.actor, &Value::Object(changes)).await
    }
    .await;
    outcome(&st, &ui, Target::new(Tab::Workspace, "workspace", v), result, "settings.notice.saved").await
}

/// One item a line; blank lines are ignored.
fn lines(v: &Values, name: &str) -> Vec<String> {
    v.get(name).map(String::as_str).unwrap_or("").lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// `9:00` as the calendar writes it: `09:00`.
fn clock(s: &str) -> String {
    let s = s.trim();
    match s.split_once(':') {
        Some((h, m)) if h.len() == 1 => format!("0{h}:{m}"),
        _ => s.to_string(),
    }
}

/// "09:00-13:00, 14:00-18:00" (commas, semicolons or lines between intervals) as the calendar's
/// `hours`; the store checks the times and that the intervals do not overlap.
fn intervals(typed: &str) -> Result<Value, StoreError> {
    let mut out = Vec::new();
    for part in typed.split([',', ';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let (from, to) = part
            .split_once(['-', '–', '—'])
            .ok_or_else(|| StoreError::invalid("business_hours.hours", poryadok_core::msg::RegulationMsg::HoursFormat {}))?;
        out.push(json!([clock(from), clock(to)]));
    }
    Ok(Value::from(out))
}

/// The working calendar from the form, in the store's shape.
fn business_hours(v: &Values) -> Result<Value, StoreError> {
    let days: Vec<u8> = (1..=7).filter(|d| v.contains_key(&format!("day{d}"))).collect();
    Ok(json!({
        "days": days,
        "hours": intervals(v.get("hours").map(String::as_str).unwrap_or(""))?,
        "holidays": lines(v, "holidays"),
        "workdays": lines(v, "workdays"),
    }))
}

/// Saves the reasons and the working calendar, each only when it changed (the history records
/// only real changes; the calendar is compared in its canonical form).
async fn update_calendar(State(st): State<AppState>, Admin(ui): Admin, Form(v): Form<Values>) -> Response {
    let result = async {
        let current = st.db.workspace_json(&ui.actor).await?;
        let mut changes = Map::new();
        let hours = business_hours(&v)?;
        if canonical_hours(&hours).is_none_or(|h| Some(h) != canonical_hours(&current["business_hours"])) {
            changes.insert("business_hours".into(), hours);
        }
        for k in ["lost_reasons", "frozen_reasons", "not_lead_reasons"] {
            let given = Value::from(lines(&v, k));
            if current[k] != given {
                changes.insert(k.into(), given);
            }
        }
        st.db.update_workspace(&ui.actor, &Value::Object(changes)).await
    }
    .await;
    outcome(&st, &ui, Target::new(Tab::Workspace, "calendar", v), result, "settings.notice.saved").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang;

    #[test]
    fn refusals_of_deletes_in_use_are_translated_with_their_count() {
        let ru = T::new(Lang::Ru);
        use poryadok_core::msg::{Common, RecordMsg};
        assert_eq!(messages::say(&ru, &RecordMsg::InUseStage { n: 3 }.into()), "в этом этапе сделок: 3; сначала перенесите их");
        assert_eq!(messages::say(&T::new(Lang::En), &RecordMsg::InUseTeam { n: 2 }.into()), "2 users are in this team; move them first");
        assert_eq!(messages::say(&ru, &Common::Between { min: 0, max: 100 }.into()), "должно быть от 0 до 100");
    }

    #[test]
    fn a_rejected_form_shows_what_was_typed_and_others_their_stored_values() {
        let values = HashMap::from([("probability".to_string(), "150".to_string())]);
        let f = Forms {
            csrf: String::new(),
            notice: None,
            failed: Some(Failed { form: "stage-3".into(), field: "probability".into(), message: "bad".into(), values }),
        };
        assert_eq!(f.val("stage-3", "probability", "40"), "150");
        assert_eq!(f.val("stage-4", "probability", "40"), "40");
        assert_eq!(f.val("stage-3", "name", "Новый"), "Новый");
        assert!(f.invalid("stage-3", "probability") && !f.invalid("stage-3", "name"));
        assert_eq!((f.error("stage-3"), f.error("stage-4")), (Some("bad"), None));
    }

    #[test]
    fn numbers_and_options_are_read_from_the_form() {
        let v: Values = HashMap::from([
            ("p".to_string(), " 40 ".to_string()),
            ("e".to_string(), String::new()),
            ("x".to_string(), "4o".to_string()),
            ("options".to_string(), "SMB\n\n Enterprise \r\n".to_string()),
        ]);
        assert_eq!(int(&v, "p").unwrap(), json!(40));
        assert_eq!(int(&v, "e").unwrap(), Value::Null);
        assert!(matches!(int(&v, "x"), Err(StoreError::Validation(fe)) if fe.field == "x"));
        assert_eq!(options(&v), json!(["SMB", "Enterprise"]));
    }

    #[test]
    fn regulation_and_calendar_messages_and_generated_keys_are_translated() {
        let ru = T::new(Lang::Ru);
        let generated = poryadok_core::regulation::PLACEHOLDERS.iter().map(|p| format!("settings.reg.ph.{p}"));
        let generated = generated.chain(poryadok_core::domain::ActivityType::ALL.iter().map(|a| format!("settings.activity.{a}")));
        let generated = generated.chain(["minutes", "hours", "days"].map(|u| format!("settings.reg.unit.{u}")));
        for key in generated.chain((1..=7).map(|d| format!("settings.day.{d}"))) {
            assert_ne!(ru.t(&key), key, "{key} is missing from the catalogue");
        }
        let overlap = poryadok_core::msg::RegulationMsg::Overlap { a: "09:00–13:00".into(), b: "12:00–18:00".into() };
        assert_eq!(messages::say(&ru, &overlap.into()), "интервалы 09:00–13:00 и 12:00–18:00 пересекаются");
    }

    #[test]
    fn working_hours_are_read_as_typed() {
        assert_eq!(intervals("9:00-13:00, 14:00–18:00").unwrap(), json!([["09:00", "13:00"], ["14:00", "18:00"]]));
        assert_eq!(intervals("10:00-19:00\n").unwrap(), json!([["10:00", "19:00"]]));
        assert!(matches!(intervals("9 to 6"), Err(StoreError::Validation(fe)) if fe.field == "business_hours.hours"));
        let v: Values =
            HashMap::from([("day1".to_string(), "1".to_string()), ("holidays".to_string(), "2026-01-01\n\n2026-01-02".to_string())]);
        let bh = business_hours(&v).unwrap();
        assert_eq!((&bh["days"], &bh["holidays"], &bh["workdays"]), (&json!([1]), &json!(["2026-01-01", "2026-01-02"]), &json!([])));
    }
}

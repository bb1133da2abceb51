//! The sales regulation in the settings: a stage's regulation (required fields, naming, entry
//! tasks, SLA) and a pipeline's rules (how far each role moves deals, what winning needs).
//!
//! Each has its own page under the Pipelines tab. A refused save (422) and the buttons that add
//! or remove a task row re-render the form from what was typed, so nothing typed is lost; only
//! "Save" writes. Heads of sales configure the regulation as administrators do. Writes go through
//! the store with the signed-in user as the actor, so every check (unknown placeholders, custom
//! fields that do not exist, stages of another pipeline) and the refusal of everyone else are
//! the API's; a message is shown next to the input its path names.
use super::{all, field, nav, text_of, Choice, NavItem, Tab, Values};
use crate::ui::i18n::T;
use crate::ui::{field_error, messages, render_status, store_error, Ctx, HeadOrAdmin, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use poryadok_core::domain::{ActivityType, Role};
use poryadok_core::regulation::{PLACEHOLDERS, REQUIRABLE};
use poryadok_core::schema::Entity;
use poryadok_store::{Row, StoreError};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/stages/{id}/regulation", get(show_stage).post(save_stage))
        .route("/settings/pipelines/{id}/rules", get(show_pipeline).post(save_pipeline))
}

/// The store's limit of entry tasks per stage; the add button stops there.
const MAX_TASKS: usize = 20;
/// Roles a pipeline may limit; administrators and heads move deals anywhere, analysts nowhere.
const LIMITED_ROLES: [Role; 3] = [Role::Manager, Role::Consultant, Role::PartnerManager];
const UNITS: [&str; 3] = ["minutes", "hours", "days"];

/// A checkbox: the input's name, its label and whether it is ticked.
pub struct Check {
    pub name: String,
    pub label: String,
    pub checked: bool,
}

/// Where a refusal is shown (`at`: a row or a fieldset) and which input it is about.
pub struct Slot {
    at: String,
    input: String,
    message: String,
}

/// One entry task as its row of inputs shows it.
pub struct TaskRow {
    pub kind: String,
    pub subject: String,
    pub description: String,
    pub due_amount: String,
    pub due_unit: String,
    /// `owner`, `head` or `participant` (with `role`).
    pub assignee: String,
    pub role: String,
    /// Just added: its subject takes the focus.
    pub fresh: bool,
}

impl TaskRow {
    fn empty() -> TaskRow {
        TaskRow {
            kind: ActivityType::Task.as_str().into(),
            subject: String::new(),
            description: String::new(),
            due_amount: "1".into(),
            due_unit: "days".into(),
            assignee: "owner".into(),
            role: String::new(),
            fresh: true,
        }
    }

    fn from_json(v: &Value) -> TaskRow {
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let who = s("assignee");
        let (assignee, role) = match who.strip_prefix("participant:") {
            Some(r) => ("participant".to_string(), r.to_string()),
            None => (who, String::new()),
        };
        TaskRow {
            kind: s("type"),
            subject: s("subject"),
            description: s("description"),
            due_amount: v["due"]["amount"].as_i64().map(|n| n.to_string()).unwrap_or_default(),
            due_unit: v["due"]["unit"].as_str().unwrap_or("days").to_string(),
            assignee,
            role,
            fresh: false,
        }
    }

    fn from_form(v: &Values, i: usize) -> TaskRow {
        let f = |k: &str| field(v, &format!("task.{i}.{k}"));
        TaskRow {
            kind: f("type"),
            subject: f("subject"),
            description: f("description"),
            due_amount: f("due_amount"),
            due_unit: f("due_unit"),
            assignee: f("assignee"),
            role: f("role"),
            fresh: false,
        }
    }

    /// A row left empty (an added row nobody filled in) is not a task.
    fn is_blank(&self) -> bool {
        self.subject.is_empty() && self.description.is_empty()
    }

    fn to_json(&self) -> Value {
        let assignee = match self.assignee.as_str() {
            "participant" => format!("participant:{}", self.role),
            other => other.to_string(),
        };
        json!({
            "type": self.kind, "subject": self.subject, "description": self.description,
            "due": {"amount": number(&self.due_amount), "unit": self.due_unit}, "assignee": assignee,
        })
    }
}

/// A typed amount: a number when it is one, else the text for the store to refuse by name.
fn number(s: &str) -> Value {
    s.parse::<i64>().map_or_else(|_| Value::from(s), Value::from)
}

pub struct StageForm {
    pub stage_id: i64,
    pub stage_name: String,
    pub pipeline_id: i64,
    pub pipeline_name: String,
    /// The stage's goal: the result that ends it (its exit criterion).
    pub goal: String,
    pub required: Vec<Check>,
    pub template: String,
    pub mode: String,
    /// `{org}`, `{custom.city}`… with what each stands for.
    pub placeholders: Vec<Choice>,
    pub tasks: Vec<TaskRow>,
    pub sla_amount: String,
    pub sla_unit: String,
    /// Kinds of file the stage needs, comma-separated as typed (`signed_contract, act`).
    pub files: String,
    pub types: Vec<Choice>,
    pub units: Vec<Choice>,
    pub error: Option<Slot>,
    /// Knowledge-base articles linked to the stage or its entry tasks: `(key, title)`.
    pub articles: Vec<(String, String)>,
}

/// Reads the slots of refusals; shared by both forms.
pub trait Slots {
    fn slot(&self) -> Option<&Slot>;

    /// The message shown at `at` (a row or a fieldset).
    fn err(&self, at: &str) -> Option<&str> {
        self.slot().filter(|s| s.at == at).map(|s| s.message.as_str())
    }

    /// Whether `input` is the one the refusal is about.
    fn bad(&self, input: &str) -> bool {
        self.slot().is_some_and(|s| s.input == input)
    }
}

impl Slots for StageForm {
    fn slot(&self) -> Option<&Slot> {
        self.error.as_ref()
    }
}

impl StageForm {
    pub fn task_err(&self, i: &usize) -> Option<&str> {
        self.err(&format!("task.{i}"))
    }

    pub fn task_bad(&self, i: &usize, input: &str) -> bool {
        self.bad(&format!("task.{i}.{input}"))
    }

    pub fn can_add(&self) -> bool {
        self.tasks.len() < MAX_TASKS
    }

    /// The regulation to save, `null` when nothing is set; and for each task sent, its row.
    fn regulation(&self) -> (Value, Vec<usize>) {
        let required: Vec<&str> = self.required.iter().filter(|c| c.checked).filter_map(|c| c.name.strip_prefix("req.")).collect();
        let rows: Vec<usize> = (0..self.tasks.len()).filter(|&i| !self.tasks[i].is_blank()).collect();
        // No mode chosen (a form without the radios) is the store's default, apply.
        let mode = Some(self.mode.as_str()).filter(|m| !m.is_empty());
        let naming = (!self.template.is_empty()).then(|| json!({"template": self.template, "mode": mode.unwrap_or("apply")}));
        let sla = (!self.sla_amount.is_empty()).then(|| json!({"amount": number(&self.sla_amount), "unit": self.sla_unit}));
        let files = kinds_of(&self.files);
        if required.is_empty() && naming.is_none() && rows.is_empty() && sla.is_none() && files.is_empty() {
            return (Value::Null, rows);
        }
        let tasks: Vec<Value> = rows.iter().map(|&i| self.tasks[i].to_json()).collect();
        (json!({"required_fields": required, "required_files": files, "naming": naming, "entry_tasks": tasks, "sla": sla}), rows)
    }
}

pub struct RangeRow {
    pub role: &'static str,
    pub label: &'static str,
    /// The last stage the role may move deals to; empty for anywhere.
    pub up_to: String,
}

pub struct RulesForm {
    pub pipeline_id: i64,
    pub pipeline_name: String,
    pub ranges: Vec<RangeRow>,
    pub stages: Vec<Choice>,
    pub won: Vec<Check>,
    /// Kinds of file winning needs, comma-separated as typed.
    pub won_files: String,
    /// Ranges of roles this form does not offer (set through the API), kept as they are.
    kept: Vec<Value>,
    pub error: Option<Slot>,
}

impl Slots for RulesForm {
    fn slot(&self) -> Option<&Slot> {
        self.error.as_ref()
    }
}

impl RulesForm {
    pub fn range_bad(&self, role: &str) -> bool {
        self.bad(&format!("range.{role}"))
    }

    fn body(&self) -> (Value, Vec<&'static str>) {
        let mut ranges = Vec::new();
        let mut roles = Vec::new();
        for r in self.ranges.iter().filter(|r| !r.up_to.is_empty()) {
            ranges.push(json!({"role": r.role, "up_to_stage_id": number(&r.up_to)}));
            roles.push(r.role);
        }
        ranges.extend(self.kept.iter().cloned());
        let mut won: Vec<String> =
            self.won.iter().filter(|c| c.checked).filter_map(|c| c.name.strip_prefix("won.")).map(str::to_string).collect();
        won.extend(kinds_of(&self.won_files).into_iter().map(|k| format!("file.{k}")));
        (json!({"role_ranges": ranges, "won_required_fields": won}), roles)
    }
}

/// File kinds typed as a list (`signed_contract, act`): each trimmed, empty ones dropped.
fn kinds_of(typed: &str) -> Vec<String> {
    typed.split([',', ';', ' ']).map(str::trim).filter(|k| !k.is_empty()).map(str::to_string).collect()
}

pub enum Sub {
    Stage(StageForm),
    Pipeline(RulesForm),
}

#[derive(Template)]
#[template(path = "settings_sub.html")]
struct SubPage {
    ctx: Ctx,
    t: T,
    nav: Vec<NavItem>,
    csrf: String,
    notice: Option<String>,
    body: Sub,
}

#[derive(Template)]
#[template(path = "settings_sub_fragment.html")]
struct SubFragment {
    t: T,
    csrf: String,
    notice: Option<String>,
    body: Sub,
}

fn respond(ui: &Ui, status: StatusCode, notice: Option<&str>, body: Sub) -> Response {
    let notice = notice.map(|k| ui.t.t(k).to_string());
    let csrf = ui.csrf.clone();
    if ui.htmx {
        return render_status(status, &SubFragment { t: ui.t, csrf, notice, body });
    }
    let title = match &body {
        Sub::Stage(f) => ui.t.fmt("settings.reg.title", &[("name", f.stage_name.as_str())]),
        Sub::Pipeline(f) => ui.t.fmt("settings.rules.title", &[("name", f.pipeline_name.as_str())]),
    };
    let ctx = ui.ctx("settings", format!("{} · {title}", ui.t.t("nav.settings")));
    render_status(status, &SubPage { ctx, t: ui.t, nav: nav(ui, Tab::Pipelines), csrf, notice, body })
}

/// Deal fields a stage or a win may require: the requirable ones, then the deal's custom fields.
fn requirable(t: &T, custom: &[(String, String)]) -> Vec<(String, String)> {
    let label = |f: &str| match f {
        "source" => t.t("settings.reg.field.source").to_string(),
        "utm_source" => t.t("settings.reg.field.utm_source").to_string(),
        "utm_medium" => t.t("settings.reg.field.utm_medium").to_string(),
        "utm_campaign" => t.t("settings.reg.field.utm_campaign").to_string(),
        other => messages::field_label(t, other),
    };
    let own = REQUIRABLE.iter().map(|f| ((*f).to_string(), label(f)));
    own.chain(custom.iter().map(|(k, l)| (format!("custom.{k}"), l.clone()))).collect()
}

fn checks(fields: Vec<(String, String)>, prefix: &str, checked: impl Fn(&str) -> bool) -> Vec<Check> {
    fields.into_iter().map(|(f, label)| Check { checked: checked(&f), name: format!("{prefix}.{f}"), label }).collect()
}

/// Deal custom fields: (key, label).
async fn deal_fields(st: &AppState, ui: &Ui) -> Result<Vec<(String, String)>, StoreError> {
    let rows = all(st, ui, Entity::CustomField, "position", vec![("entity".into(), "deal".into())]).await?;
    Ok(rows.iter().map(|r| (text_of(r, "key"), text_of(r, "label"))).collect())
}

fn stored_json(r: &Row, name: &str) -> Value {
    r.get(name).as_text().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(Value::Null)
}

fn placeholders(t: &T, custom: &[(String, String)]) -> Vec<Choice> {
    let own = PLACEHOLDERS.iter().map(|p| Choice { value: format!("{{{p}}}"), label: t.t(&format!("settings.reg.ph.{p}")).to_string() });
    own.chain(custom.iter().map(|(k, l)| Choice { value: format!("{{custom.{k}}}"), label: l.clone() })).collect()
}

fn activity_types(t: &T) -> Vec<Choice> {
    ActivityType::ALL
        .iter()
        .map(|a| Choice { value: (*a).to_string(), label: t.t(&format!("settings.activity.{a}")).to_string() })
        .collect()
}

/// The stage's form: as stored, or as `typed` when the form comes back.
async fn stage_form(st: &AppState, ui: &Ui, id: i64, typed: Option<&Values>) -> Result<StageForm, StoreError> {
    let stage = st.db.get(&ui.actor, Entity::Stage, id).await?;
    let pipeline_id = stage.get("pipeline_id").as_int().unwrap_or(0);
    let pipeline = st.db.get(&ui.actor, Entity::Pipeline, pipeline_id).await?;
    let custom = deal_fields(st, ui).await?;
    let t = &ui.t;
    let stored = stored_json(&stage, "regulation");
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut form = StageForm {
        stage_id: id,
        stage_name: text_of(&stage, "name"),
        pipeline_id,
        pipeline_name: text_of(&pipeline, "name"),
        goal: text_of(&stage, "goal"),
        required: Vec::new(),
        template: s(&stored["naming"]["template"]),
        mode: stored["naming"]["mode"].as_str().unwrap_or("apply").to_string(),
        placeholders: placeholders(t, &custom),
        tasks: stored["entry_tasks"].as_array().map(|a| a.iter().map(TaskRow::from_json).collect()).unwrap_or_default(),
        sla_amount: stored["sla"]["amount"].as_i64().map(|n| n.to_string()).unwrap_or_default(),
        sla_unit: stored["sla"]["unit"].as_str().unwrap_or("hours").to_string(),
        files: stored["required_files"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
            .unwrap_or_default(),
        types: activity_types(t),
        units: UNITS
            .iter()
            .map(|u| Choice { value: (*u).to_string(), label: t.t(&format!("settings.reg.unit.{u}")).to_string() })
            .collect(),
        error: None,
        articles: {
            let (scripts, others) = st.db.kb_for_stage(&ui.actor, id).await?;
            scripts.into_iter().map(|a| (a.key, a.title)).chain(others.into_iter().map(|a| (a.key, a.title))).collect()
        },
    };
    let fields = requirable(t, &custom);
    match typed {
        None => {
            let chosen: Vec<&str> =
                stored["required_fields"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            form.required = checks(fields, "req", |f| chosen.contains(&f));
        }
        Some(v) => {
            form.required = checks(fields, "req", |f| v.contains_key(&format!("req.{f}")));
            form.goal = field(v, "goal");
            form.template = field(v, "naming_template");
            form.mode = field(v, "naming_mode");
            form.tasks = (0..).take_while(|i| v.contains_key(&format!("task.{i}.subject"))).map(|i| TaskRow::from_form(v, i)).collect();
            form.sla_amount = field(v, "sla_amount");
            form.sla_unit = field(v, "sla_unit");
            form.files = field(v, "required_files");
        }
    }
    Ok(form)
}

async fn show_stage(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>) -> Response {
    match stage_form(&st, &ui, id, None).await {
        Ok(f) => respond(&ui, StatusCode::OK, None, Sub::Stage(f)),
        Err(e) => store_error(&ui, e),
    }
}

/// What the form's button asked for: save, or add or remove a task row (no write).
enum Op {
    Save,
    Add,
    Remove(usize),
}

fn op(v: &Values) -> Op {
    let o = field(v, "op");
    match (o.as_str(), o.strip_prefix("remove.").and_then(|i| i.parse().ok())) {
        ("add", _) => Op::Add,
        (_, Some(i)) => Op::Remove(i),
        _ => Op::Save,
    }
}

async fn save_stage(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>, Form(v): Form<Values>) -> Response {
    let mut form = match stage_form(&st, &ui, id, Some(&v)).await {
        Ok(f) => f,
        Err(e) => return store_error(&ui, e),
    };
    match op(&v) {
        Op::Add => {
            if form.can_add() {
                form.tasks.push(TaskRow::empty());
            }
            return respond(&ui, StatusCode::OK, None, Sub::Stage(form));
        }
        Op::Remove(i) => {
            if i < form.tasks.len() {
                form.tasks.remove(i);
            }
            return respond(&ui, StatusCode::OK, None, Sub::Stage(form));
        }
        Op::Save => {}
    }
    let (regulation, rows) = form.regulation();
    let goal = Some(form.goal.trim()).filter(|g| !g.is_empty());
    match st.db.update(&ui.actor, Entity::Stage, id, &json!({ "regulation": regulation, "goal": goal })).await {
        Ok(_) if ui.htmx => match stage_form(&st, &ui, id, None).await {
            Ok(fresh) => respond(&ui, StatusCode::OK, Some("settings.notice.saved"), Sub::Stage(fresh)),
            Err(e) => store_error(&ui, e),
        },
        Ok(_) => Redirect::to(&format!("/settings/stages/{id}/regulation")).into_response(),
        Err(e) => match field_error(&ui.t, &e) {
            Some((path, message)) => {
                form.error = Some(stage_slot(&ui.t, &path, &message, &rows));
                respond(&ui, StatusCode::UNPROCESSABLE_ENTITY, None, Sub::Stage(form))
            }
            None => store_error(&ui, e),
        },
    }
}

/// Where a stage's refusal goes; `rows` maps the index of a task sent to its row on the form.
fn stage_slot(t: &T, path: &str, message: &str, rows: &[usize]) -> Slot {
    let parts: Vec<&str> = path.split('.').collect();
    let slot = |at: String, input: String, label: &str| Slot { at, input, message: format!("{}: {message}", t.t(label)) };
    match parts.as_slice() {
        ["regulation", "required_fields", ..] => slot("required".into(), "required".into(), "settings.reg.required"),
        ["regulation", "required_files", ..] => slot("files".into(), "files".into(), "settings.reg.files"),
        ["regulation", "naming", "mode", ..] => slot("naming".into(), "naming.mode".into(), "settings.reg.naming_mode"),
        ["regulation", "naming", ..] => slot("naming".into(), "naming.template".into(), "settings.reg.naming_template"),
        ["regulation", "sla", "unit", ..] => slot("sla".into(), "sla.unit".into(), "settings.reg.sla"),
        ["regulation", "sla", ..] => slot("sla".into(), "sla.amount".into(), "settings.reg.sla"),
        ["regulation", "entry_tasks", i, rest @ ..] => {
            let row = i.parse::<usize>().ok().and_then(|i| rows.get(i).copied()).unwrap_or(0);
            let (input, label) = match rest.first().copied().unwrap_or("subject") {
                "type" => ("type", "settings.reg.task.type"),
                "description" => ("description", "settings.reg.task.description"),
                "due" => ("due", "settings.reg.task.due"),
                "assignee" => ("assignee", "settings.reg.task.assignee"),
                _ => ("subject", "settings.reg.task.subject"),
            };
            slot(format!("task.{row}"), format!("task.{row}.{input}"), label)
        }
        ["regulation", "entry_tasks"] => slot("tasks".into(), String::new(), "settings.reg.tasks"),
        ["goal", ..] => slot("goal".into(), "goal".into(), "settings.reg.goal"),
        _ => Slot { at: String::new(), input: String::new(), message: message.to_string() },
    }
}

/// The pipeline's rules form: as stored, or as `typed` when the form comes back.
async fn rules_form(st: &AppState, ui: &Ui, id: i64, typed: Option<&Values>) -> Result<RulesForm, StoreError> {
    let pipeline = st.db.get(&ui.actor, Entity::Pipeline, id).await?;
    let stages = all(st, ui, Entity::Stage, "position", vec![("pipeline_id".into(), id.to_string())]).await?;
    let custom = deal_fields(st, ui).await?;
    let t = &ui.t;
    let stored_ranges: Vec<Value> = stored_json(&pipeline, "role_ranges").as_array().cloned().unwrap_or_default();
    let stored_up_to = |role: &str| {
        stored_ranges
            .iter()
            .find(|r| r["role"] == role)
            .and_then(|r| r["up_to_stage_id"].as_i64())
            .map(|n| n.to_string())
            .unwrap_or_default()
    };
    let ranges = LIMITED_ROLES
        .iter()
        .map(|r| RangeRow {
            role: r.as_str(),
            label: super::role_label(t, r.as_str()),
            up_to: typed.map_or_else(|| stored_up_to(r.as_str()), |v| field(v, &format!("range.{}", r.as_str()))),
        })
        .collect();
    let kept = stored_ranges.iter().filter(|r| !LIMITED_ROLES.iter().any(|l| r["role"] == l.as_str())).cloned().collect();
    let stored_won = stored_json(&pipeline, "won_required_fields");
    let won_now: Vec<&str> = stored_won.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let won = match typed {
        None => checks(requirable(t, &custom), "won", |f| won_now.contains(&f)),
        Some(v) => checks(requirable(t, &custom), "won", |f| v.contains_key(&format!("won.{f}"))),
    };
    let won_files = match typed {
        None => won_now.iter().filter_map(|f| f.strip_prefix("file.")).collect::<Vec<_>>().join(", "),
        Some(v) => field(v, "won_files"),
    };
    Ok(RulesForm {
        pipeline_id: id,
        pipeline_name: text_of(&pipeline, "name"),
        ranges,
        stages: stages.iter().map(|s| Choice { value: s.id().to_string(), label: text_of(s, "name") }).collect(),
        won,
        won_files,
        kept,
        error: None,
    })
}

async fn show_pipeline(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>) -> Response {
    match rules_form(&st, &ui, id, None).await {
        Ok(f) => respond(&ui, StatusCode::OK, None, Sub::Pipeline(f)),
        Err(e) => store_error(&ui, e),
    }
}

async fn save_pipeline(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>, Form(v): Form<Values>) -> Response {
    let mut form = match rules_form(&st, &ui, id, Some(&v)).await {
        Ok(f) => f,
        Err(e) => return store_error(&ui, e),
    };
    let (body, roles) = form.body();
    match st.db.update(&ui.actor, Entity::Pipeline, id, &body).await {
        Ok(_) if ui.htmx => match rules_form(&st, &ui, id, None).await {
            Ok(fresh) => respond(&ui, StatusCode::OK, Some("settings.notice.saved"), Sub::Pipeline(fresh)),
            Err(e) => store_error(&ui, e),
        },
        Ok(_) => Redirect::to(&format!("/settings/pipelines/{id}/rules")).into_response(),
        Err(e) => match field_error(&ui.t, &e) {
            Some((path, message)) => {
                form.error = Some(rules_slot(&ui.t, &path, &message, &roles));
                respond(&ui, StatusCode::UNPROCESSABLE_ENTITY, None, Sub::Pipeline(form))
            }
            None => store_error(&ui, e),
        },
    }
}

/// Where a pipeline's refusal goes; `roles` names the role of each range sent.
fn rules_slot(t: &T, path: &str, message: &str, roles: &[&str]) -> Slot {
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["role_ranges", i, ..] if i.parse::<usize>().ok().and_then(|i| roles.get(i)).is_some() => {
            let role = i.parse::<usize>().ok().and_then(|i| roles.get(i)).copied().unwrap_or("");
            let label = super::role_label(t, role);
            Slot { at: "ranges".into(), input: format!("range.{role}"), message: format!("{label}: {message}") }
        }
        ["role_ranges", ..] => Slot { at: "ranges".into(), input: String::new(), message: message.to_string() },
        ["won_required_fields", ..] => {
            Slot { at: "won".into(), input: String::new(), message: format!("{}: {message}", t.t("settings.rules.won")) }
        }
        _ => Slot { at: String::new(), input: String::new(), message: message.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang;
    use std::collections::HashMap;

    fn typed(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<HashMap<_, _>>()
    }

    fn form(tasks: Vec<TaskRow>) -> StageForm {
        StageForm {
            stage_id: 1,
            stage_name: String::new(),
            pipeline_id: 1,
            pipeline_name: String::new(),
            goal: String::new(),
            required: vec![
                Check { name: "req.value".into(), label: String::new(), checked: true },
                Check { name: "req.custom.city".into(), label: String::new(), checked: false },
            ],
            template: String::new(),
            mode: "apply".into(),
            placeholders: Vec::new(),
            tasks,
            sla_amount: "2".into(),
            sla_unit: "hours".into(),
            files: "signed_contract, ".into(),
            types: Vec::new(),
            units: Vec::new(),
            error: None,
            articles: Vec::new(),
        }
    }

    #[test]
    fn the_form_becomes_the_regulation_and_blank_rows_are_skipped() {
        let v = typed(&[
            ("task.0.subject", ""),
            ("task.1.subject", "Позвонить {org}"),
            ("task.1.type", "call"),
            ("task.1.due_amount", "3"),
            ("task.1.due_unit", "hours"),
            ("task.1.assignee", "participant"),
            ("task.1.role", "consultant"),
        ]);
        let tasks = vec![TaskRow::from_form(&v, 0), TaskRow::from_form(&v, 1)];
        let (reg, rows) = form(tasks).regulation();
        assert_eq!(rows, vec![1]);
        assert_eq!(reg["required_fields"], json!(["value"]));
        assert_eq!(reg["sla"], json!({"amount": 2, "unit": "hours"}));
        assert_eq!(reg["required_files"], json!(["signed_contract"]), "the blank after the comma is skipped");
        assert_eq!(reg["naming"], Value::Null);
        assert_eq!(
            reg["entry_tasks"],
            json!([{"type": "call", "subject": "Позвонить {org}", "description": "", "due": {"amount": 3, "unit": "hours"},
                    "assignee": "participant:consultant"}])
        );
        let mut empty = form(Vec::new());
        empty.required.clear();
        empty.sla_amount.clear();
        empty.files.clear();
        assert_eq!(empty.regulation().0, Value::Null, "nothing set is no regulation");
    }

    #[test]
    fn refusals_land_next_to_the_input_their_path_names() {
        let t = T::new(Lang::En);
        let e = StoreError::invalid("regulation.entry_tasks.0.due.amount", poryadok_core::msg::Common::Positive {});
        let (path, message) = field_error(&t, &e).unwrap();
        assert_eq!((path.as_str(), message.as_str()), ("regulation.entry_tasks.0.due.amount", "must be positive"));
        let s = stage_slot(&t, &path, &message, &[2]);
        assert_eq!((s.at.as_str(), s.input.as_str()), ("task.2", "task.2.due"));
        let s = stage_slot(&t, "regulation.naming.template", "x", &[]);
        assert_eq!((s.at.as_str(), s.input.as_str()), ("naming", "naming.template"));
        let s = stage_slot(&t, "regulation", "no deal custom field 'x'", &[]);
        assert_eq!((s.at.as_str(), s.message.as_str()), ("", "no deal custom field 'x'"));
        let s = rules_slot(&t, "role_ranges.0.up_to_stage_id", "no stage 9 in this pipeline", &["consultant"]);
        assert_eq!((s.at.as_str(), s.input.as_str()), ("ranges", "range.consultant"));
    }

    #[test]
    fn the_buttons_say_what_they_do() {
        assert!(matches!(op(&typed(&[("op", "add")])), Op::Add));
        assert!(matches!(op(&typed(&[("op", "remove.3")])), Op::Remove(3)));
        assert!(matches!(op(&typed(&[])), Op::Save));
    }
}

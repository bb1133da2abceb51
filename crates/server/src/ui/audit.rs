//! "Order in the CRM" in the web UI: the rules and their editor with a live hit count, the audit
//! rounds, a manager's violations inbox with answers, a head's review with the deal's evidence at
//! hand, and the standings with a trend chart. Every read and write goes through the store's
//! audit calls with the signed-in user, so who may see, answer or review is the API's rule.
use super::i18n::T;
use super::lists::filter_message;
use super::{error_page, messages, render, render_status, store_error, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::domain::Role;
use poryadok_core::msg::Common;
use poryadok_core::schema::Entity;
use poryadok_store::audit::{Round, Rule, Violation, ViolationQuery, ViolationState};
use poryadok_store::{ListQuery, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(rounds_page))
        .route("/audit/rounds", post(start_round))
        .route("/audit/rounds/{id}/review", get(review_page))
        .route("/audit/rules", get(rules_page).post(create_rule))
        .route("/audit/rules/new", get(new_rule))
        .route("/audit/rules/preview", get(preview))
        .route("/audit/rules/{id}", get(edit_rule).post(update_rule))
        .route("/audit/rules/{id}/delete", post(delete_rule))
        .route("/audit/rules/{id}/kb", post(link_article))
        .route("/audit/standings", get(standings_page))
        .route("/violations", get(inbox))
        .route("/violations/answer", post(answer_many))
        .route("/violations/{id}/answer", post(answer))
        .route("/violations/{id}/review", post(review))
}

const RULE_ENTITIES: [Entity; 3] = [Entity::Deal, Entity::Person, Entity::Organization];
const PREVIEW_HITS: &str = "10";

fn manages(ui: &Ui) -> bool {
    matches!(ui.actor.caller.role, Role::Admin | Role::Head)
}

/// A stored instant (milliseconds) as the reader's local date, or local date and time; nothing
/// when there is none.
fn when(fmt: &super::format::Fmt, ms: Option<i64>, with_time: bool) -> String {
    match ms {
        Some(ms) if with_time => fmt.datetime(ms),
        Some(ms) => fmt.date(ms),
        None => String::new(),
    }
}

fn entity_label(t: &T, entity: Entity) -> String {
    match entity {
        Entity::Person => t.t("audit.entity.person"),
        Entity::Organization => t.t("audit.entity.organization"),
        _ => t.t("audit.entity.deal"),
    }
    .to_string()
}

fn record_href(entity: Entity, id: i64) -> String {
    match entity {
        Entity::Person => format!("/persons/{id}"),
        Entity::Organization => format!("/organizations/{id}"),
        _ => format!("/deals/{id}"),
    }
}

fn responsible_label(t: &T, r: &str) -> String {
    if r == "owner" {
        t.t("audit.responsible.owner").to_string()
    } else {
        t.t(&format!("settings.role.{r}")).to_string()
    }
}

/// A store failure as an inline message: the filter's mistake with its caret, or the field's text
/// in the reader's language. A refusal naming no field is not the form's (`None`).
fn inline_error(t: &T, e: &StoreError) -> Option<(String, String)> {
    match e {
        StoreError::Filter { field, error, text } => Some((field.clone(), filter_message(t, error, text))),
        _ => messages::field_error(t, e),
    }
}

// ---- rules ----

pub struct RuleView {
    pub id: i64,
    pub name: String,
    pub entity: String,
    pub critical: bool,
    pub expression: String,
    pub enabled: bool,
    pub responsible: String,
    /// The rule as a saved filter: the list of what it selects (a manager sees their own).
    pub list_url: String,
}

/// A rule's expression opened in its entity's list.
fn list_url(entity: Entity, expression: &str) -> String {
    format!("/{}?q={}", entity.path(), form_urlencoded::byte_serialize(expression.as_bytes()).collect::<String>())
}

#[derive(Template)]
#[template(path = "audit_rules.html")]
struct RulesPage {
    ctx: super::Ctx,
    t: T,
    rules: Vec<RuleView>,
    manages: bool,
}

async fn rules_page(State(st): State<AppState>, ui: Ui) -> Response {
    let rules = match st.db.list_rules(&ui.actor).await {
        Ok(r) => r,
        Err(e) => return store_error(&ui, e),
    };
    let rules = rules
        .iter()
        .map(|r| RuleView {
            id: r.id,
            name: r.name.clone(),
            entity: entity_label(&ui.t, r.entity),
            critical: r.critical(),
            expression: r.expression.clone(),
            enabled: r.enabled,
            responsible: responsible_label(&ui.t, &r.responsible),
            list_url: list_url(r.entity, &r.expression),
        })
        .collect();
    render(&RulesPage { ctx: ui.ctx("audit", ui.t.t("audit.rules.title")), t: ui.t, rules, manages: manages(&ui) })
}

#[derive(Deserialize, Default)]
struct RuleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    criticality: String,
    #[serde(default)]
    expression: String,
    #[serde(default)]
    why: String,
    #[serde(default)]
    fix: String,
    #[serde(default)]
    responsible: String,
    enabled: Option<String>,
}

impl RuleForm {
    fn from_rule(r: &Rule) -> RuleForm {
        RuleForm {
            name: r.name.clone(),
            entity: r.entity.name().to_string(),
            criticality: r.criticality.to_string(),
            expression: r.expression.clone(),
            why: r.why.clone().unwrap_or_default(),
            fix: r.fix.clone().unwrap_or_default(),
            responsible: r.responsible.clone(),
            enabled: r.enabled.then(|| "1".to_string()),
        }
    }

    fn to_json(&self) -> Value {
        let criticality = self.criticality.trim().parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(self.criticality));
        json!({
            "name": self.name, "entity": self.entity, "criticality": criticality, "expression": self.expression,
            "why": self.why, "fix": self.fix, "responsible": self.responsible, "enabled": self.enabled.is_some(),
        })
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Hit {
    pub href: String,
    pub title: String,
}

/// What the editor shows under the expression: the hit count and the first hits, or the mistake.
#[derive(Default)]
pub struct Preview {
    pub count: Option<i64>,
    pub hits: Vec<Hit>,
    pub error: Option<String>,
}

impl Preview {
    /// More records match than the preview lists.
    pub fn more(&self) -> bool {
        self.count.is_some_and(|n| n > self.hits.len() as i64)
    }
}

pub struct RuleEdit {
    pub id: Option<i64>,
    pub name: String,
    pub expression: String,
    pub why: String,
    pub fix: String,
    pub enabled: bool,
    pub entities: Vec<Choice>,
    pub criticalities: Vec<Choice>,
    pub responsibles: Vec<Choice>,
    pub error_field: String,
    pub error: Option<String>,
    pub preview: Preview,
}

impl RuleEdit {
    pub fn action(&self) -> String {
        self.id.map_or_else(|| "/audit/rules".to_string(), |id| format!("/audit/rules/{id}"))
    }
    pub fn error_on(&self, field: &str) -> Option<&str> {
        (self.error_field == field).then_some(self.error.as_deref()).flatten()
    }
    /// An error on a field the form has no input for shows above the buttons.
    pub fn other_error(&self) -> Option<&str> {
        let known = ["name", "entity", "criticality", "expression", "why", "fix", "responsible", "enabled"];
        (!known.contains(&self.error_field.as_str())).then_some(self.error.as_deref()).flatten()
    }
}

fn choices(options: &[(&str, String)], current: &str) -> Vec<Choice> {
    options.iter().map(|(v, l)| Choice { value: v.to_string(), label: l.clone(), selected: *v == current }).collect()
}

fn rule_edit(ui: &Ui, id: Option<i64>, f: &RuleForm, preview: Preview) -> RuleEdit {
    let t = &ui.t;
    let entity = if f.entity.is_empty() { "deal" } else { f.entity.as_str() };
    let entities: Vec<(&str, String)> = RULE_ENTITIES.iter().map(|e| (e.name(), entity_label(t, *e))).collect();
    let crit = [("1", t.t("audit.critical").to_string()), ("2", t.t("audit.important").to_string())];
    let mut resp = vec![("owner", responsible_label(t, "owner"))];
    resp.extend(Role::ALL.iter().map(|r| (*r, responsible_label(t, r))));
    let responsible = if f.responsible.is_empty() { "owner" } else { f.responsible.as_str() };
    RuleEdit {
        id,
        name: f.name.clone(),
        expression: f.expression.clone(),
        why: f.why.clone(),
        fix: f.fix.clone(),
        enabled: f.enabled.is_some(),
        entities: choices(&entities, entity),
        criticalities: choices(&crit, if f.criticality.is_empty() { "1" } else { f.criticality.as_str() }),
        responsibles: choices(&resp, responsible),
        error_field: String::new(),
        error: None,
        preview,
    }
}

#[derive(Template)]
#[template(path = "audit_rule.html")]
struct RulePage {
    ctx: super::Ctx,
    t: T,
    csrf: String,
    f: RuleEdit,
    manages: bool,
    kb: RuleKb,
}

/// The knowledge-base articles linked to a rule (its FAQ) and, for an editor, the articles to link.
#[derive(Default)]
pub struct RuleKb {
    /// `(key, title)`.
    pub linked: Vec<(String, String)>,
    /// `(key, section · title)` of the articles not linked yet.
    pub others: Vec<(String, String)>,
    pub notice: Option<String>,
    /// The reader may link and unlink (administrators and heads of sales).
    pub editor: bool,
}

async fn rule_kb(st: &AppState, ui: &Ui, id: i64) -> Result<RuleKb, StoreError> {
    let linked: Vec<(String, String)> =
        st.db.kb_rule_articles(&ui.actor).await?.remove(&id).unwrap_or_default().into_iter().map(|a| (a.key, a.title)).collect();
    let editor = ui.actor.caller.role.can_configure_regulation();
    let others = if editor {
        st.db
            .kb_list(&ui.actor, None, None)
            .await?
            .into_iter()
            .filter(|a| !linked.iter().any(|(k, _)| *k == a.key))
            .map(|a| (a.key, format!("{} · {}", a.section, a.title)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(RuleKb { linked, others, notice: None, editor })
}

#[derive(Deserialize)]
struct LinkForm {
    #[serde(default)]
    article: String,
    #[serde(default)]
    unlink: Option<String>,
}

/// Links the chosen article to the rule (or unlinks one) and shows the rule again.
async fn link_article(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<LinkForm>) -> Response {
    let (key, on) = match &form.unlink {
        Some(k) if !k.is_empty() => (k.clone(), false),
        _ => (form.article.clone(), true),
    };
    let result = st.db.kb_link_rule(&ui.actor, id, &key, on).await;
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(StoreError::NotFound) => return store_error(&ui, StoreError::NotFound),
        Err(StoreError::Forbidden { .. }) => StatusCode::FORBIDDEN,
        Err(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let rule = match st.db.get_rule(&ui.actor, id).await {
        Ok(r) => r,
        Err(e) => return store_error(&ui, e),
    };
    let f = RuleForm::from_rule(&rule);
    let preview = load_preview(&st, &ui, &f.entity, &f.expression).await;
    let mut kb = match rule_kb(&st, &ui, id).await {
        Ok(kb) => kb,
        Err(e) => return store_error(&ui, e),
    };
    kb.notice = Some(match result {
        Ok(_) => ui.t.t(if on { "audit.kb.linked" } else { "audit.kb.unlinked" }).to_string(),
        Err(e) => super::messages::refusal_line(&ui.t, &e).unwrap_or_else(|| ui.t.t("audit.forbidden").to_string()),
    });
    let edit = rule_edit(&ui, Some(id), &f, preview);
    let page =
        RulePage { ctx: ui.ctx("audit", ui.t.t("audit.rules.edit")), t: ui.t, csrf: ui.csrf.clone(), f: edit, manages: manages(&ui), kb };
    render_status(status, &page)
}

#[derive(Template)]
#[template(path = "audit_rule_form.html")]
struct RuleFormFragment {
    t: T,
    csrf: String,
    f: RuleEdit,
    manages: bool,
}

fn rule_response(ui: &Ui, status: StatusCode, f: RuleEdit) -> Response {
    rule_response_kb(ui, status, f, RuleKb::default())
}

fn rule_response_kb(ui: &Ui, status: StatusCode, f: RuleEdit, kb: RuleKb) -> Response {
    let manages = manages(ui);
    if ui.htmx {
        return render_status(status, &RuleFormFragment { t: ui.t, csrf: ui.csrf.clone(), f, manages });
    }
    let title = if f.id.is_some() { ui.t.t("audit.rules.edit") } else { ui.t.t("audit.rules.new") };
    render_status(status, &RulePage { ctx: ui.ctx("audit", title), t: ui.t, csrf: ui.csrf.clone(), f, manages, kb })
}

async fn new_rule(ui: Ui) -> Response {
    if !manages(&ui) {
        return error_page(ui.t, ui.htmx, StatusCode::FORBIDDEN, ui.t.t("audit.forbidden"));
    }
    let f = RuleForm { enabled: Some("1".into()), ..RuleForm::default() };
    rule_response(&ui, StatusCode::OK, rule_edit(&ui, None, &f, Preview::default()))
}

async fn edit_rule(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    let rule = match st.db.get_rule(&ui.actor, id).await {
        Ok(r) => r,
        Err(e) => return store_error(&ui, e),
    };
    let f = RuleForm::from_rule(&rule);
    let preview = load_preview(&st, &ui, &f.entity, &f.expression).await;
    let kb = match rule_kb(&st, &ui, id).await {
        Ok(kb) => kb,
        Err(e) => return store_error(&ui, e),
    };
    rule_response_kb(&ui, StatusCode::OK, rule_edit(&ui, Some(id), &f, preview), kb)
}

async fn create_rule(State(st): State<AppState>, ui: Ui, Form(f): Form<RuleForm>) -> Response {
    let result = st.db.create_rule(&ui.actor, &f.to_json()).await.map(|_| ());
    after_save(&st, &ui, None, f, result).await
}

async fn update_rule(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(f): Form<RuleForm>) -> Response {
    let result = st.db.update_rule(&ui.actor, id, &f.to_json()).await.map(|_| ());
    after_save(&st, &ui, Some(id), f, result).await
}

/// A saved rule goes back to the list; a refused one comes back with the message at its field.
async fn after_save(st: &AppState, ui: &Ui, id: Option<i64>, f: RuleForm, result: Result<(), StoreError>) -> Response {
    match result {
        Ok(()) => go_to(ui, "/audit/rules"),
        Err(e) => match inline_error(&ui.t, &e) {
            Some((field, message)) => {
                let preview = load_preview(st, ui, &f.entity, &f.expression).await;
                let mut edit = rule_edit(ui, id, &f, preview);
                edit.error_field = field;
                edit.error = Some(message);
                rule_response(ui, StatusCode::UNPROCESSABLE_ENTITY, edit)
            }
            None => store_error(ui, e),
        },
    }
}

/// Sends the browser to `to`: htmx follows `HX-Redirect`, a plain form a 303.
fn go_to(ui: &Ui, to: &'static str) -> Response {
    if ui.htmx {
        let mut resp = StatusCode::OK.into_response();
        resp.headers_mut().insert("hx-redirect", HeaderValue::from_static(to));
        return resp;
    }
    Redirect::to(to).into_response()
}

async fn delete_rule(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    match st.db.delete_rule(&ui.actor, id).await {
        Ok(()) => go_to(&ui, "/audit/rules"),
        Err(e) => store_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct PreviewParams {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    expression: String,
}

#[derive(Template)]
#[template(path = "audit_rule_preview.html")]
struct PreviewFragment {
    t: T,
    p: Preview,
}

async fn preview(State(st): State<AppState>, ui: Ui, Query(p): Query<PreviewParams>) -> Response {
    let p = load_preview(&st, &ui, &p.entity, &p.expression).await;
    render(&PreviewFragment { t: ui.t, p })
}

/// Checks the expression and counts its hits among the records the user sees, with the first ten.
async fn load_preview(st: &AppState, ui: &Ui, entity: &str, expression: &str) -> Preview {
    let Some(entity) = Entity::from_name(entity).filter(|e| RULE_ENTITIES.contains(e)) else {
        return Preview::default();
    };
    if expression.trim().is_empty() {
        return Preview::default();
    }
    let failed = |e: StoreError| Preview {
        error: Some(inline_error(&ui.t, &e).map_or_else(|| ui.t.t("error.internal").to_string(), |m| m.1)),
        ..Preview::default()
    };
    let checked = match st.db.check_filter(&ui.actor, entity, expression, "expression").await {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let count = match st.db.count_matching(&ui.actor, &checked, st.db.clock.now_ms()).await {
        Ok(n) => n,
        Err(e) => return failed(e),
    };
    let lq = ListQuery { filter: Some(expression.to_string()), limit: Some(PREVIEW_HITS.into()), ..ListQuery::default() };
    let rows = match st.db.list(&ui.actor, entity, &lq).await {
        Ok(p) => p.data,
        Err(e) => return failed(e),
    };
    let title_field = if entity == Entity::Deal { "title" } else { "name" };
    let hits = rows
        .iter()
        .map(|r| Hit { href: record_href(entity, r.id()), title: r.get(title_field).as_text().unwrap_or("").to_string() })
        .collect();
    Preview { count: Some(count), hits, error: None }
}

// ---- rounds ----

pub struct RoundView {
    pub id: i64,
    pub status: String,
    pub status_class: &'static str,
    pub started: String,
    pub deadline: String,
    pub violations: i64,
    pub error: String,
}

#[derive(Template)]
#[template(path = "audit_rounds.html")]
struct RoundsPage {
    ctx: super::Ctx,
    t: T,
    rounds: Vec<RoundView>,
    manages: bool,
    notice: Option<String>,
    refused: Option<String>,
}

fn round_status(t: &T, status: &str) -> (String, &'static str) {
    let (key, class) = match status {
        "running" => ("audit.round.running", "info"),
        "open" => ("audit.round.open", "warn"),
        "failed" => ("audit.round.failed", "danger"),
        "closed" => ("audit.round.closed", "ok"),
        other => return (other.to_string(), ""),
    };
    (t.t(key).to_string(), class)
}

async fn round_views(st: &AppState, ui: &Ui) -> Result<Vec<RoundView>, StoreError> {
    let fmt = ui.fmt();
    Ok(st
        .db
        .rounds(&ui.actor)
        .await?
        .iter()
        .map(|r| {
            let (status, status_class) = round_status(&ui.t, &r.status);
            RoundView {
                id: r.id,
                status,
                status_class,
                started: when(&fmt, Some(r.started_at), true),
                deadline: when(&fmt, r.deadline_at, true),
                violations: r.violations,
                error: r.error.clone().unwrap_or_default(),
            }
        })
        .collect())
}

#[derive(Deserialize)]
struct RoundsParams {
    started: Option<i64>,
}

async fn rounds_page(State(st): State<AppState>, ui: Ui, Query(p): Query<RoundsParams>) -> Response {
    let notice = p.started.map(|id| ui.t.fmt("audit.round.started", &[("n", id.to_string().as_str())]));
    rounds_response(&st, &ui, StatusCode::OK, notice, None).await
}

async fn rounds_response(st: &AppState, ui: &Ui, status: StatusCode, notice: Option<String>, refused: Option<String>) -> Response {
    match round_views(st, ui).await {
        Ok(rounds) => render_status(
            status,
            &RoundsPage { ctx: ui.ctx("audit", ui.t.t("audit.rounds.title")), t: ui.t, rounds, manages: manages(ui), notice, refused },
        ),
        Err(e) => store_error(ui, e),
    }
}

/// Starts a round like the API does; a round already running is a notice on the page, not an error page.
async fn start_round(State(st): State<AppState>, ui: Ui) -> Response {
    match crate::api::audit::begin_round(&st, &ui.actor).await {
        Ok(id) => Redirect::to(&format!("/audit?started={id}")).into_response(),
        Err(StoreError::Conflict { .. }) => {
            let ui = Ui { htmx: false, ..ui };
            rounds_response(&st, &ui, StatusCode::CONFLICT, None, Some(ui.t.t("audit.round.already_running").to_string())).await
        }
        Err(e) => store_error(&ui, e),
    }
}

// ---- violations: the inbox and the review ----

pub struct Call {
    pub when: String,
    pub subject: String,
    pub recording: Option<String>,
}

/// A value a user typed as a link: a link only when it is an http(s) URL, else shown as text.
pub struct TypedLink {
    pub text: String,
    pub href: Option<String>,
}

impl TypedLink {
    fn of(value: &str) -> Option<TypedLink> {
        let text = value.trim();
        (!text.is_empty()).then(|| TypedLink { text: text.to_string(), href: crate::security::safe_href(text) })
    }
}

/// What a head needs at hand to judge an answer about a deal.
#[derive(Default)]
pub struct Evidence {
    pub demo_link: Option<TypedLink>,
    pub proposal_link: Option<TypedLink>,
    pub calls: Vec<Call>,
    pub notes: Vec<String>,
}

pub struct ViolationView {
    pub id: i64,
    pub rule_id: i64,
    pub href: String,
    pub title: String,
    pub user: String,
    pub deadline: String,
    pub overdue: bool,
    pub status: String,
    pub status_label: String,
    pub comment: String,
    /// The re-check found a "fixed" claim still matching.
    pub still_matches: bool,
    /// Reviewed or resolved: read-only, with the outcome.
    pub outcome: Option<String>,
    pub outcome_class: &'static str,
    pub review_comment: String,
    pub error_field: String,
    pub error: Option<String>,
    /// The deal behind the violation, for the review's evidence.
    pub deal_id: Option<i64>,
    pub evidence: Option<Evidence>,
    /// In the inbox, an open violation has a box to answer it with others of its rule.
    pub selectable: bool,
    /// Its box is ticked (a bulk answer that was refused keeps the choice).
    pub checked: bool,
    /// Its answer was just saved.
    pub saved: bool,
}

impl ViolationView {
    pub fn closed(&self) -> bool {
        self.outcome.is_some()
    }
    pub fn error_on(&self, field: &str) -> Option<&str> {
        (self.error_field == field).then_some(self.error.as_deref()).flatten()
    }
    pub fn other_error(&self) -> Option<&str> {
        (self.error_field != "comment").then_some(self.error.as_deref()).flatten()
    }
    pub fn is(&self, status: &str) -> bool {
        self.status == status
    }
}

pub struct RuleGroup {
    pub rule_id: i64,
    pub name: String,
    pub critical: bool,
    pub why: String,
    pub fix: String,
    pub items: Vec<ViolationView>,
    /// The bulk answer's form, when several of the group are open (the inbox only).
    pub bulk: Option<BulkForm>,
    /// Knowledge-base articles linked to the rule (its FAQ), as (key, title).
    pub articles: Vec<(String, String)>,
}

/// One answer for the ticked violations of a rule, with what was typed when it was refused.
#[derive(Default)]
pub struct BulkForm {
    pub status: String,
    pub comment: String,
}

impl BulkForm {
    pub fn is(&self, status: &str) -> bool {
        self.status == status
    }
}

fn status_label(t: &T, status: &str) -> String {
    match status {
        "fixed" => t.t("audit.status.fixed"),
        "not_fixed" => t.t("audit.status.not_fixed"),
        _ => t.t("audit.status.not_processed"),
    }
    .to_string()
}

fn outcome(t: &T, review: &str) -> (String, &'static str) {
    match review {
        "warned" => (t.t("audit.review.warned").to_string(), "danger"),
        "accepted" => (t.t("audit.review.accepted").to_string(), "ok"),
        _ => (t.t("audit.review.closed").to_string(), "ok"),
    }
}

/// Violations as rows, with their records' titles and their users' names.
async fn violation_views(st: &AppState, ui: &Ui, list: &[Violation]) -> Result<Vec<ViolationView>, StoreError> {
    let mut titles: HashMap<(Entity, i64), String> = HashMap::new();
    for entity in RULE_ENTITIES {
        let ids = list.iter().filter(|v| v.entity == entity).map(|v| v.record_id);
        for (id, name) in st.db.names(&ui.actor, entity, ids).await? {
            titles.insert((entity, id), name);
        }
    }
    let users = st.db.names(&ui.actor, Entity::User, list.iter().filter_map(|v| v.user_id)).await?;
    let (fmt, now) = (ui.fmt(), st.db.clock.now_ms());
    Ok(list
        .iter()
        .map(|v| {
            let (entity, record) = (v.entity, v.record_id);
            let review = v.review.as_deref().map(|r| outcome(&ui.t, r));
            ViolationView {
                id: v.id,
                rule_id: v.rule_id,
                href: record_href(entity, record),
                // A record deleted since (or hidden from the reader) shows by its id.
                title: titles.get(&(entity, record)).cloned().unwrap_or_else(|| format!("#{record}")),
                user: v.user_id.and_then(|u| users.get(&u).cloned()).unwrap_or_default(),
                deadline: when(&fmt, Some(v.deadline_at), true),
                overdue: v.status == "not_processed" && v.deadline_at < now,
                status: v.status.clone(),
                status_label: status_label(&ui.t, &v.status),
                comment: v.comment.clone().unwrap_or_default(),
                still_matches: v.recheck.as_deref() == Some("still_matches"),
                outcome_class: review.as_ref().map_or("", |r| r.1),
                outcome: review.map(|r| r.0),
                review_comment: v.review_comment.clone().unwrap_or_default(),
                error_field: String::new(),
                error: None,
                deal_id: (entity == Entity::Deal).then_some(record),
                evidence: None,
                selectable: false,
                checked: false,
                saved: false,
            }
        })
        .collect())
}

/// Groups rows by rule, in the rules' order, with each rule's explanation.
async fn grouped(st: &AppState, ui: &Ui, list: &[Violation], rows: Vec<ViolationView>) -> Result<Vec<RuleGroup>, StoreError> {
    let mut groups = group_by_rule(&st.db.list_rules(&ui.actor).await?, list, rows);
    with_articles(st, ui, &mut groups).await?;
    Ok(groups)
}

/// Fills each group's knowledge-base articles (the rule's FAQ).
async fn with_articles(st: &AppState, ui: &Ui, groups: &mut [RuleGroup]) -> Result<(), StoreError> {
    let mut linked = st.db.kb_rule_articles(&ui.actor).await?;
    for g in groups {
        g.articles = linked.remove(&g.rule_id).unwrap_or_default().into_iter().map(|a| (a.key, a.title)).collect();
    }
    Ok(())
}

fn group_by_rule(rules: &[Rule], list: &[Violation], rows: Vec<ViolationView>) -> Vec<RuleGroup> {
    let mut by_rule: BTreeMap<i64, Vec<ViolationView>> = BTreeMap::new();
    for (v, row) in list.iter().zip(rows) {
        by_rule.entry(v.rule_id).or_default().push(row);
    }
    let mut groups = Vec::new();
    for r in rules {
        if let Some(items) = by_rule.remove(&r.id) {
            groups.push(RuleGroup {
                rule_id: r.id,
                name: r.name.clone(),
                critical: r.critical(),
                why: r.why.clone().unwrap_or_default(),
                fix: r.fix.clone().unwrap_or_default(),
                items,
                bulk: None,
                articles: Vec::new(),
            });
        }
    }
    // Violations of rules deleted since the round keep their rule's name from the violation.
    for (rule, items) in by_rule {
        let name = list.iter().find(|v| v.rule_id == rule).map(|v| v.rule_name.clone()).unwrap_or_default();
        groups.push(RuleGroup {
            rule_id: rule,
            name,
            critical: false,
            why: String::new(),
            fix: String::new(),
            items,
            bulk: None,
            articles: Vec::new(),
        });
    }
    groups
}

/// The round a page is about: the asked one, or the latest that has finished evaluating.
async fn pick_round(st: &AppState, ui: &Ui, asked: Option<i64>) -> Result<Option<Round>, StoreError> {
    let rounds = st.db.rounds(&ui.actor).await?;
    Ok(match asked {
        Some(id) => rounds.into_iter().find(|r| r.id == id),
        None => latest_round(&rounds).cloned(),
    })
}

/// Of `rounds` (newest first), the latest that has finished evaluating, else the latest.
fn latest_round(rounds: &[Round]) -> Option<&Round> {
    rounds.iter().find(|r| r.status != "running" && r.status != "failed").or_else(|| rounds.first())
}

/// Violations one inbox page shows; the rest are a "next" link away (keyset, by id).
pub const INBOX_PAGE: u64 = 50;
/// Violations one bulk answer takes (two pages' worth).
const BULK_MAX: usize = 100;

/// What the inbox is narrowed to, from the address (so a reload or a shared link keeps it).
/// Values that do not parse are ignored, as a hand-edited address should not break the page.
#[derive(Deserialize, Default, Clone)]
struct InboxParams {
    #[serde(default)]
    round: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    answered: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    before: String,
}

fn positive(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok().filter(|n| *n > 0)
}

impl InboxParams {
    fn from_pairs(pairs: &[(String, String)]) -> InboxParams {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        InboxParams {
            round: get("round"),
            rule: get("rule"),
            state: get("state"),
            answered: get("answered"),
            after: get("after"),
            before: get("before"),
        }
    }
    fn rule(&self) -> Option<i64> {
        positive(&self.rule)
    }
    fn state(&self) -> Option<ViolationState> {
        ViolationState::parse(self.state.trim())
    }
    fn answered(&self) -> Option<bool> {
        match self.answered.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

/// The filters as they stand (the round resolved), for the form, the paging links and the bulk
/// form's hidden fields.
#[derive(Default)]
pub struct InboxFilters {
    pub round: Option<i64>,
    pub rule: Option<i64>,
    pub state: Option<ViolationState>,
    pub answered: Option<bool>,
}

impl InboxFilters {
    /// The filters as query pairs (paging left out).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(r) = self.round {
            out.push(("round", r.to_string()));
        }
        if let Some(r) = self.rule {
            out.push(("rule", r.to_string()));
        }
        if let Some(s) = self.state {
            out.push(("state", s.name().to_string()));
        }
        if let Some(a) = self.answered {
            out.push(("answered", a.to_string()));
        }
        out
    }

    /// The inbox's address with these filters and `extra` (a page's cursor).
    fn href(&self, extra: Option<(&'static str, i64)>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            q.append_pair(k, &v);
        }
        if let Some((k, v)) = extra {
            q.append_pair(k, &v.to_string());
        }
        let q = q.finish();
        if q.is_empty() {
            "/violations".to_string()
        } else {
            format!("/violations?{q}")
        }
    }

    fn narrowed(&self) -> bool {
        self.rule.is_some() || self.state.is_some() || self.answered.is_some()
    }
}

/// The inbox as both the page and its fragment show it.
pub struct Inbox {
    pub round: Option<i64>,
    pub deadline: String,
    pub groups: Vec<RuleGroup>,
    pub filters: InboxFilters,
    pub rounds: Vec<Choice>,
    pub rules: Vec<Choice>,
    pub states: Vec<Choice>,
    pub answered: Vec<Choice>,
    /// The page's position, kept by the bulk form so the same page comes back.
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Without the narrowing filters (the round kept).
    pub reset: Option<String>,
    pub notice: Option<String>,
    pub refused: Option<String>,
}

impl Inbox {
    /// The hidden fields that bring the bulk answer back to this page.
    pub fn keep(&self) -> Vec<(&'static str, String)> {
        let mut out = self.filters.pairs();
        if let Some(a) = self.after {
            out.push(("after", a.to_string()));
        }
        if let Some(b) = self.before {
            out.push(("before", b.to_string()));
        }
        out
    }
}

#[derive(Template)]
#[template(path = "audit_inbox.html")]
struct InboxPage {
    ctx: super::Ctx,
    t: T,
    csrf: String,
    ib: Inbox,
}

#[derive(Template)]
#[template(path = "audit_inbox_body.html")]
struct InboxFragment {
    t: T,
    csrf: String,
    ib: Inbox,
}

fn inbox_response(ui: &Ui, status: StatusCode, ib: Inbox) -> Response {
    if ui.htmx {
        return render_status(status, &InboxFragment { t: ui.t, csrf: ui.csrf.clone(), ib });
    }
    render_status(status, &InboxPage { ctx: ui.ctx("audit", ui.t.t("audit.inbox.title")), t: ui.t, csrf: ui.csrf.clone(), ib })
}

async fn inbox(State(st): State<AppState>, ui: Ui, Query(p): Query<InboxParams>) -> Response {
    match load_inbox(&st, &ui, &p, &Bulk::default()).await {
        Ok(ib) => inbox_response(&ui, StatusCode::OK, ib),
        Err(e) => store_error(&ui, e),
    }
}

fn state_label(t: &T, s: ViolationState) -> String {
    match s {
        ViolationState::Open => t.t("audit.state.open"),
        ViolationState::Closed => t.t("audit.state.closed"),
        ViolationState::NotProcessed => t.t("audit.status.not_processed"),
        ViolationState::Fixed => t.t("audit.status.fixed"),
        ViolationState::NotFixed => t.t("audit.status.not_fixed"),
        ViolationState::StillMatches => t.t("audit.still_matches"),
    }
    .to_string()
}

/// What a bulk answer left for the page to show: the notices, and the refused group's form as typed.
#[derive(Default)]
struct Bulk {
    notice: Option<String>,
    refused: Option<String>,
    rule: Option<i64>,
    form: BulkForm,
    /// Violations whose answer was refused: their boxes stay ticked.
    ticked: Vec<i64>,
}

/// One page of the signed-in user's violations of a round, narrowed by the filters, grouped by rule.
async fn load_inbox(st: &AppState, ui: &Ui, p: &InboxParams, bulk: &Bulk) -> Result<Inbox, StoreError> {
    let t = &ui.t;
    let rounds = st.db.rounds(&ui.actor).await?;
    // A round the address names that is not there (deleted, or a typo) shows the latest.
    let asked = positive(&p.round).and_then(|id| rounds.iter().find(|r| r.id == id));
    let round = asked.or_else(|| latest_round(&rounds)).cloned();
    let rules = st.db.list_rules(&ui.actor).await?;
    let filters = InboxFilters { round: round.as_ref().map(|r| r.id), rule: p.rule(), state: p.state(), answered: p.answered() };
    let (after, before) = (positive(&p.after), positive(&p.before).filter(|_| positive(&p.after).is_none()));
    let (mut groups, mut deadline, mut prev, mut next) = (Vec::new(), String::new(), None, None);
    if let Some(r) = &round {
        deadline = when(&ui.fmt(), r.deadline_at, true);
        let q = ViolationQuery {
            round: Some(r.id),
            // The inbox is the reader's own, whatever more their role may see.
            user: Some(ui.actor.user_id()),
            rule: filters.rule,
            state: filters.state,
            answered: filters.answered,
            limit: Some(INBOX_PAGE + 1),
            after_id: after,
            before_id: before,
            ..ViolationQuery::default()
        };
        let mut list = st.db.violations(&ui.actor, &q).await?;
        let more = list.len() as u64 > INBOX_PAGE;
        if more && before.is_some() {
            // Read backwards from the cursor: the one beyond the page is the oldest.
            list.remove(0);
        } else {
            list.truncate(INBOX_PAGE as usize);
        }
        let (has_prev, has_next) = if before.is_some() { (more, true) } else { (after.is_some(), more) };
        if has_prev {
            prev = list.first().map(|v| v.id).or(after.map(|a| a + 1)).map(|id| filters.href(Some(("before", id))));
        }
        if has_next {
            next = list.last().map(|v| v.id).or(before.map(|b| b - 1)).map(|id| filters.href(Some(("after", id))));
        }
        let mut rows = violation_views(st, ui, &list).await?;
        for row in &mut rows {
            row.selectable = !row.closed();
            row.checked = bulk.ticked.contains(&row.id);
        }
        groups = group_by_rule(&rules, &list, rows);
        with_articles(st, ui, &mut groups).await?;
        for g in &mut groups {
            if g.items.iter().filter(|v| v.selectable).count() > 1 {
                let mut form = BulkForm::default();
                if bulk.rule == Some(g.rule_id) {
                    form = BulkForm { status: bulk.form.status.clone(), comment: bulk.form.comment.clone() };
                }
                g.bulk = Some(form);
            } else {
                // One open violation is answered on its own.
                g.items.iter_mut().for_each(|v| v.selectable = false);
            }
        }
    }
    let fmt = ui.fmt();
    let round_choices = rounds
        .iter()
        .filter(|r| r.status != "running" || filters.round == Some(r.id))
        .map(|r| Choice {
            value: r.id.to_string(),
            label: format!("№{} · {}", r.id, when(&fmt, Some(r.started_at), false)),
            selected: filters.round == Some(r.id),
        })
        .collect();
    let any = |key: &str, selected: bool| Choice { value: String::new(), label: t.t(key).to_string(), selected };
    let mut rule_choices = vec![any("audit.filter.any_rule", filters.rule.is_none())];
    rule_choices.extend(rules.iter().map(|r| Choice {
        value: r.id.to_string(),
        label: r.name.clone(),
        selected: filters.rule == Some(r.id),
    }));
    let mut states = vec![any("audit.filter.any_state", filters.state.is_none())];
    states.extend(ViolationState::ALL.iter().map(|s| Choice {
        value: s.name().to_string(),
        label: state_label(t, *s),
        selected: filters.state == Some(*s),
    }));
    let answered = vec![
        any("audit.filter.answered.any", filters.answered.is_none()),
        Choice { value: "false".into(), label: t.t("audit.filter.answered.no").to_string(), selected: filters.answered == Some(false) },
        Choice { value: "true".into(), label: t.t("audit.filter.answered.yes").to_string(), selected: filters.answered == Some(true) },
    ];
    let reset = filters.narrowed().then(|| InboxFilters { round: filters.round, ..InboxFilters::default() }.href(None));
    Ok(Inbox {
        round: round.map(|r| r.id),
        deadline,
        groups,
        filters,
        rounds: round_choices,
        rules: rule_choices,
        states,
        answered,
        after,
        before,
        prev,
        next,
        reset,
        notice: bulk.notice.clone(),
        refused: bulk.refused.clone(),
    })
}

#[derive(Template)]
#[template(path = "audit_violation.html")]
struct ViolationFragment {
    t: T,
    csrf: String,
    v: ViolationView,
}

#[derive(Template)]
#[template(path = "audit_review_row.html")]
struct ReviewFragment {
    t: T,
    csrf: String,
    v: ViolationView,
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    comment: String,
    /// The row had a box for the bulk answer, and keeps it.
    #[serde(default)]
    selectable: String,
}

async fn one_view(st: &AppState, ui: &Ui, id: i64) -> Result<ViolationView, StoreError> {
    let v = st.db.violation(&ui.actor, id).await?;
    violation_views(st, ui, &[v]).await?.pop().ok_or(StoreError::NotFound)
}

/// Saves a manager's answer and answers with the row and a "saved" notice; a refusal comes back
/// inside the row (422).
async fn answer(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(f): Form<AnswerForm>) -> Response {
    let result = st.db.answer_violation(&ui.actor, id, &json!({"status": f.status, "comment": f.comment})).await;
    if !ui.htmx && result.is_ok() {
        return Redirect::to("/violations?saved=1").into_response();
    }
    let (status, error) = match result {
        Ok(_) => (StatusCode::OK, None),
        Err(e) => match inline_error(&ui.t, &e) {
            Some(fe) => (StatusCode::UNPROCESSABLE_ENTITY, Some(fe)),
            None => return store_error(&ui, e),
        },
    };
    let mut v = match one_view(&st, &ui, id).await {
        Ok(v) => v,
        Err(e) => return store_error(&ui, e),
    };
    v.selectable = !f.selectable.is_empty() && !v.closed();
    v.saved = error.is_none();
    if let Some((field, message)) = error {
        // Keep what was typed, so the user only adds what is missing.
        v.status = f.status.clone();
        v.comment = f.comment.clone();
        v.error_field = field;
        v.error = Some(message);
    }
    render_status(status, &ViolationFragment { t: ui.t, csrf: ui.csrf.clone(), v })
}

/// A refusal as one line in the reader's language, for a list of what was not done.
fn refusal_text(t: &T, e: &StoreError) -> String {
    if let Some(line) = messages::refusal_line(t, e) {
        return line;
    }
    match e {
        StoreError::NotFound => t.t("error.not_found").to_string(),
        other => {
            tracing::error!(error = %other, "bulk answer");
            t.t("error.internal").to_string()
        }
    }
}

/// One answer for several violations of one rule: each is answered through the store like a
/// single answer, under the same rules; those refused are left as they were and reported as
/// "N of M not answered: why". Answers with the same inbox page and the notices.
async fn answer_many(State(st): State<AppState>, ui: Ui, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let t = &ui.t;
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let (status, comment, rule) = (field("status"), field("comment"), positive(&field("bulk_rule")));
    let mut ids: Vec<i64> = pairs.iter().filter(|(n, _)| n == "ids").filter_map(|(_, v)| positive(v)).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut bulk = Bulk { rule, form: BulkForm { status: status.clone(), comment: comment.clone() }, ..Bulk::default() };
    let mut done = 0;
    if ids.is_empty() {
        bulk.refused = Some(t.t("audit.bulk.none").to_string());
    } else if ids.len() > BULK_MAX {
        let what = t.t("audit.bulk.what").to_string();
        bulk.refused = Some(messages::say(t, &Common::AtMostAtATime { n: BULK_MAX as i64, what }.into()));
        bulk.ticked = ids.clone();
    } else {
        let body = json!({"status": status, "comment": comment});
        let mut reasons: Vec<String> = Vec::new();
        for &id in &ids {
            // The form is a rule's: a violation of another rule is not answered with its text.
            let result = match st.db.violation(&ui.actor, id).await {
                Ok(v) if Some(v.rule_id) != rule => Err(t.t("audit.bulk.other_rule").to_string()),
                Ok(_) => st.db.answer_violation(&ui.actor, id, &body).await.map(|_| ()).map_err(|e| refusal_text(t, &e)),
                Err(e) => Err(refusal_text(t, &e)),
            };
            match result {
                Ok(()) => done += 1,
                Err(reason) => {
                    bulk.ticked.push(id);
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                }
            }
        }
        if done > 0 {
            bulk.notice = Some(t.fmt("audit.bulk.saved", &[("n", done.to_string().as_str())]));
            // What was saved need not be typed again.
            bulk.form = BulkForm::default();
        }
        if !bulk.ticked.is_empty() {
            let (n, m) = (bulk.ticked.len().to_string(), ids.len().to_string());
            bulk.refused =
                Some(t.fmt("audit.bulk.refused", &[("n", n.as_str()), ("m", m.as_str()), ("reason", reasons.join("; ").as_str())]));
        }
    }
    let code = if done > 0 { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    match load_inbox(&st, &ui, &InboxParams::from_pairs(&pairs), &bulk).await {
        Ok(ib) => inbox_response(&ui, code, ib),
        Err(e) => store_error(&ui, e),
    }
}

#[derive(Template)]
#[template(path = "audit_review.html")]
struct ReviewPage {
    ctx: super::Ctx,
    t: T,
    csrf: String,
    round: i64,
    groups: Vec<RuleGroup>,
    /// Violations waiting beyond the first page (their evidence is not read).
    hidden: usize,
}

/// How many violations one review page shows with their evidence (a few queries each).
const REVIEW_PAGE: usize = 100;

/// Answered, overdue and still-matching violations wait for a review; reviewed ones stay visible.
fn wants_review(v: &ViolationView) -> bool {
    v.closed() || v.status != "not_processed" || v.overdue || v.still_matches
}

async fn review_page(State(st): State<AppState>, ui: Ui, Path(round): Path<i64>) -> Response {
    if !manages(&ui) {
        return error_page(ui.t, ui.htmx, StatusCode::FORBIDDEN, ui.t.t("audit.forbidden"));
    }
    match load_review(&st, &ui, round).await {
        Ok((groups, hidden)) => render(&ReviewPage {
            ctx: ui.ctx("audit", ui.t.fmt("audit.review.title", &[("n", round.to_string().as_str())])),
            t: ui.t,
            csrf: ui.csrf.clone(),
            round,
            groups,
            hidden,
        }),
        Err(e) => store_error(&ui, e),
    }
}

async fn load_review(st: &AppState, ui: &Ui, round: i64) -> Result<(Vec<RuleGroup>, usize), StoreError> {
    if pick_round(st, ui, Some(round)).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    let all = st.db.violations(&ui.actor, &ViolationQuery { round: Some(round), ..ViolationQuery::default() }).await?;
    let rows = violation_views(st, ui, &all).await?;
    // Those still waiting come first, so the page always shows what is left to do.
    let mut waiting: Vec<_> = all.into_iter().zip(rows).filter(|(_, row)| wants_review(row)).collect();
    waiting.sort_by_key(|(_, row)| row.closed());
    let (mut list, mut kept, mut hidden) = (Vec::new(), Vec::new(), 0);
    for (v, mut row) in waiting {
        if kept.len() == REVIEW_PAGE {
            hidden += usize::from(!row.closed());
            continue;
        }
        if let Some(deal) = row.deal_id {
            row.evidence = Some(evidence(st, ui, deal).await);
        }
        list.push(v);
        kept.push(row);
    }
    Ok((grouped(st, ui, &list, kept).await?, hidden))
}

/// The deal's demo and proposal links and its latest calls and notes; what cannot be read is left out.
async fn evidence(st: &AppState, ui: &Ui, deal: i64) -> Evidence {
    let mut ev = Evidence::default();
    if let Ok(row) = st.db.get(&ui.actor, Entity::Deal, deal).await {
        let custom = row.to_json()["custom"].clone();
        // The fields may be plain text in a workspace: only an http(s) value becomes a link.
        let link = |k: &str| custom[k].as_str().and_then(TypedLink::of);
        ev.demo_link = link("demo_link");
        ev.proposal_link = link("proposal_link");
    }
    let of_deal = |extra: Vec<(String, String)>, limit: &str| ListQuery {
        sort: Some("-created_at".into()),
        limit: Some(limit.into()),
        filters: [vec![("deal_id".to_string(), deal.to_string())], extra].concat(),
        ..ListQuery::default()
    };
    let fmt = ui.fmt();
    if let Ok(p) = st.db.list(&ui.actor, Entity::Activity, &of_deal(vec![("type".into(), "call".into())], "3")).await {
        ev.calls = p
            .data
            .iter()
            .map(|r| Call {
                when: when(&fmt, ["done_at", "due_at", "created_at"].into_iter().find_map(|k| r.get(k).as_int()), false),
                subject: r.get("subject").as_text().unwrap_or("").to_string(),
                recording: r.get("recording_url").as_text().and_then(crate::security::safe_href),
            })
            .collect();
    }
    if let Ok(p) = st.db.list(&ui.actor, Entity::Note, &of_deal(Vec::new(), "2")).await {
        ev.notes = p.data.iter().map(|r| r.get("content").as_text().unwrap_or("").chars().take(300).collect()).collect();
    }
    ev
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

/// Accepts or warns; answers with the row (closed), or the row with the message (422).
async fn review(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(f): Form<ReviewForm>) -> Response {
    let result = st.db.review_violation(&ui.actor, id, &json!({"decision": f.decision, "comment": f.comment})).await;
    let (status, error) = match result {
        Ok(_) => (StatusCode::OK, None),
        Err(e) => match inline_error(&ui.t, &e) {
            Some(fe) if !matches!(e, StoreError::Forbidden { .. }) => (StatusCode::UNPROCESSABLE_ENTITY, Some(fe)),
            _ => return store_error(&ui, e),
        },
    };
    let mut v = match one_view(&st, &ui, id).await {
        Ok(v) => v,
        Err(e) => return store_error(&ui, e),
    };
    if let Some(deal) = v.deal_id {
        v.evidence = Some(evidence(&st, &ui, deal).await);
    }
    if let Some((field, message)) = error {
        v.review_comment = f.comment.clone();
        v.error_field = if field == "decision" { "comment".into() } else { field };
        v.error = Some(message);
    }
    if !ui.htmx && status == StatusCode::OK {
        return Redirect::to("/audit").into_response();
    }
    render_status(status, &ReviewFragment { t: ui.t, csrf: ui.csrf.clone(), v })
}

// ---- standings ----

pub struct StandingRow {
    pub round: String,
    pub user: String,
    pub violations: i64,
    pub fixed_on_time: i64,
    pub warnings: i64,
}

/// One bar of the trend chart, in the SVG's coordinates.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub h: i64,
    pub warn_y: i64,
    pub warn_h: i64,
    pub label: String,
    pub violations: i64,
    pub warnings: i64,
}

pub const CHART_H: i64 = 160;
pub const BAR_W: i64 = 44;
pub const BAR_GAP: i64 = 24;

pub struct Chart {
    pub width: i64,
    pub bar_w: i64,
    pub bars: Vec<Bar>,
}

#[derive(Template)]
#[template(path = "audit_standings.html")]
struct StandingsPage {
    ctx: super::Ctx,
    t: T,
    rows: Vec<StandingRow>,
    never: Vec<String>,
    chart: Chart,
}

/// Totals per round, oldest first, as bars scaled to the chart's height.
pub fn chart(totals: &[(String, i64, i64)]) -> Chart {
    let max = totals.iter().map(|t| t.1).max().unwrap_or(0).max(1);
    let scale = |n: i64| n * CHART_H / max;
    let bars = totals
        .iter()
        .enumerate()
        .map(|(i, (label, v, w))| Bar {
            x: BAR_GAP + i as i64 * (BAR_W + BAR_GAP),
            y: 20 + CHART_H - scale(*v),
            h: scale(*v),
            warn_y: 20 + CHART_H - scale(*w),
            warn_h: scale(*w),
            label: label.clone(),
            violations: *v,
            warnings: *w,
        })
        .collect();
    Chart { bar_w: BAR_W, width: BAR_GAP + totals.len().max(1) as i64 * (BAR_W + BAR_GAP), bars }
}

async fn standings_page(State(st): State<AppState>, ui: Ui) -> Response {
    match load_standings(&st, &ui).await {
        Ok(page) => render(&page),
        Err(e) => store_error(&ui, e),
    }
}

async fn load_standings(st: &AppState, ui: &Ui) -> Result<StandingsPage, StoreError> {
    let data = st.db.standings(&ui.actor).await?;
    let users = st.db.names(&ui.actor, Entity::User, data.rows.iter().filter_map(|r| r.user_id)).await?;
    let fmt = ui.fmt();
    let started: HashMap<i64, String> =
        st.db.rounds(&ui.actor).await?.iter().map(|r| (r.id, when(&fmt, Some(r.started_at), false))).collect();
    let label = |round: i64| format!("№{round} · {}", started.get(&round).cloned().unwrap_or_default());
    let mut totals: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    let rows = data
        .rows
        .iter()
        .map(|r| {
            let t = totals.entry(r.round_id).or_default();
            *t = (t.0 + r.violations, t.1 + r.warnings);
            StandingRow {
                round: label(r.round_id),
                user: r.user_id.and_then(|u| users.get(&u).cloned()).unwrap_or_else(|| ui.t.t("audit.nobody").to_string()),
                violations: r.violations,
                fixed_on_time: r.fixed_on_time,
                warnings: r.warnings,
            }
        })
        .collect();
    let totals: Vec<(String, i64, i64)> = totals.into_iter().map(|(r, (v, w))| (format!("№{r}"), v, w)).collect();
    let never = data.never_listed.into_iter().map(|u| u.name).collect();
    Ok(StandingsPage { ctx: ui.ctx("audit", ui.t.t("audit.standings.title")), t: ui.t, rows, never, chart: chart(&totals) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_answer_reads_in_the_readers_language() {
        use crate::ui::i18n::Lang;
        use poryadok_core::msg::AuditMsg;
        let ru = T::new(Lang::Ru);
        let no_comment = StoreError::invalid("comment", AuditMsg::CommentNotFixed {});
        assert_eq!(
            inline_error(&ru, &no_comment),
            Some(("comment".to_string(), "напишите комментарий: почему нарушение не исправлено".to_string()))
        );
        let closed = StoreError::conflict("status", AuditMsg::ViolationClosed {});
        assert_eq!(inline_error(&ru, &closed).map(|e| e.1), Some("нарушение закрыто".to_string()));
        assert_eq!(inline_error(&ru, &StoreError::forbidden(AuditMsg::AnswerForbidden {})), None, "a refusal is a page");
    }

    #[test]
    fn the_chart_scales_bars_to_the_largest_round() {
        let c = chart(&[("№1".into(), 10, 2), ("№2".into(), 5, 0)]);
        assert_eq!((c.bars[0].h, c.bars[1].h, c.bars[0].warn_h), (CHART_H, CHART_H / 2, CHART_H / 5));
        assert_eq!(c.bars[1].x - c.bars[0].x, BAR_W + BAR_GAP);
        assert!(chart(&[]).bars.is_empty());
    }
}

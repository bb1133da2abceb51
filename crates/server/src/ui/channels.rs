//! Channels in the administrator's settings: message templates (an editor with a live preview
//! filled with sample values, and the standard set), the SMS gateway (with a test send that
//! answers at once), outbound webhooks (the secret shown once, the delivery log, redelivery), and
//! the outbox of messages to clients with their errors and a retry.
//!
//! Every page is one fragment (`#channels-body`) that its forms re-render in place; a refused form
//! comes back with 422 and the reason next to the input. Everything goes through the store's
//! channel calls with the signed-in administrator, so the rules and the checks are the API's.
use super::i18n::T;
use super::settings::{self, NavItem};
use super::{error_page, field_error, messages, render_status, store_error, Ctx, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::msg::ChannelMsg;
use poryadok_core::template::{self as tpl, GATEWAY_PLACEHOLDERS};
use poryadok_store::channels::webhooks::{ACTIONS, ENTITIES};
use poryadok_store::channels::{
    render_template, MessageQuery, OutboundMessage, ShownGateway, CHANNELS, DEFAULT_TEMPLATES, MESSAGE_STATUSES,
};
use poryadok_store::intake::Failure;
use poryadok_store::StoreError;
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/templates", get(templates_page).post(create_template))
        .route("/settings/templates/new", get(new_template_page))
        .route("/settings/templates/preview", post(preview))
        .route("/settings/templates/defaults", post(add_defaults))
        .route("/settings/templates/{id}", get(template_page).post(save_template))
        .route("/settings/templates/{id}/delete", post(delete_template))
        .route("/settings/sms", get(sms_page).post(save_gateway))
        .route("/settings/sms/remove", post(remove_gateway))
        .route("/settings/sms/test", post(test_sms))
        .route("/settings/webhooks", get(webhooks_page).post(create_webhook))
        .route("/settings/webhooks/{id}", get(webhook_page).post(save_webhook))
        .route("/settings/webhooks/{id}/delete", post(delete_webhook))
        .route("/settings/webhook_deliveries/{id}/redeliver", post(redeliver))
        .route("/settings/outbox", get(outbox_page))
        .route("/settings/outbox/{id}/retry", post(retry_message))
}

/// Deliveries a webhook's page shows; messages an outbox page shows.
const PAGE: u64 = 50;

const PAGES: [(&str, &str); 4] = [
    ("/settings/templates", "channels.nav.templates"),
    ("/settings/sms", "channels.nav.sms"),
    ("/settings/webhooks", "channels.nav.webhooks"),
    ("/settings/outbox", "channels.nav.outbox"),
];

/// This module's items of the Settings sub-navigation, none of them active.
pub fn nav_items(t: &T) -> Vec<NavItem> {
    PAGES.iter().map(|(href, key)| NavItem { href: (*href).into(), label: t.t(key), active: false }).collect()
}

/// The whole sub-navigation with `active` (one of this module's pages) marked.
fn nav(t: &T, active: &str) -> Vec<NavItem> {
    let mut items = settings::nav_outside(t);
    for item in &mut items {
        item.active = item.href == active;
    }
    items.push(super::intake::nav_item(t, false));
    items
}

fn refuse(ui: &Ui) -> Option<Response> {
    (!ui.is_admin()).then(|| error_page(ui.t, ui.htmx, StatusCode::FORBIDDEN, ui.t.t("error.forbidden")))
}

type Fields = HashMap<String, String>;

fn field(f: &Fields, name: &str) -> String {
    f.get(name).map(|s| s.trim().to_string()).unwrap_or_default()
}

/// Why a form was refused: the input it is about (when the form has it) and the reason in the
/// reader's language.
#[derive(Default)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    fn of(t: &T, e: &StoreError) -> Option<Problem> {
        if let StoreError::Conflict { field: None, msg } = e {
            return Some(Problem { field: String::new(), message: messages::say(t, msg) });
        }
        let (field, message) = field_error(t, e)?;
        Some(Problem { field: input_of(&field).to_string(), message })
    }

    /// The reason, when it is about the input `name`.
    pub fn at(&self, name: &str) -> Option<&str> {
        (!self.message.is_empty() && self.field == name).then_some(self.message.as_str())
    }

    pub fn bad(&self, name: &str) -> bool {
        self.at(name).is_some()
    }

    /// The reason, when it is about none of `inputs` (shown above the form).
    pub fn other(&self, inputs: &str) -> Option<&str> {
        (!self.message.is_empty() && !inputs.split(',').any(|i| i == self.field)).then_some(self.message.as_str())
    }
}

/// The form input a store field name belongs to: `sms_gateway.headers.X-Key` → `headers`.
fn input_of(field: &str) -> &str {
    let f = field.strip_prefix("sms_gateway.").unwrap_or(field);
    f.split('.').next().unwrap_or(f)
}

/// An error a record keeps in the reader's language: the message when it was stored as one,
/// else the text as it was stored (none: empty).
fn said(t: &T, failure: &Failure) -> String {
    failure.said(|m| messages::say(t, m)).unwrap_or_default()
}

pub struct Opt {
    pub value: String,
    pub label: String,
}

fn channel_label(t: &T, channel: &str) -> &'static str {
    match channel {
        "email" => t.t("channels.channel.email"),
        "sms" => t.t("channels.channel.sms"),
        _ => t.t("common.none"),
    }
}

fn status_label(t: &T, status: &str) -> &'static str {
    match status {
        "queued" => t.t("channels.status.queued"),
        "sent" => t.t("channels.status.sent"),
        "delivered" => t.t("channels.status.delivered"),
        "failed" => t.t("channels.status.failed"),
        _ => t.t("channels.status.all"),
    }
}

/// A status as a tab of the outbox names its messages ("Failed").
fn tab_label(t: &T, status: &str) -> &'static str {
    match status {
        "queued" => t.t("channels.tab.queued"),
        "sent" => t.t("channels.tab.sent"),
        "failed" => t.t("channels.tab.failed"),
        _ => t.t("channels.status.all"),
    }
}

fn status_class(status: &str) -> &'static str {
    match status {
        "sent" | "delivered" => "ok",
        "failed" => "danger",
        _ => "info",
    }
}

// ---- pages ----

pub enum View {
    Templates(TemplatesView),
    Template(Box<TemplateView>),
    Sms(Box<SmsView>),
    Webhooks(WebhooksView),
    Webhook(Box<WebhookView>),
    Outbox(OutboxView),
}

impl View {
    fn href(&self) -> &'static str {
        match self {
            View::Templates(_) | View::Template(_) => "/settings/templates",
            View::Sms(_) => "/settings/sms",
            View::Webhooks(_) | View::Webhook(_) => "/settings/webhooks",
            View::Outbox(_) => "/settings/outbox",
        }
    }
}

#[derive(Template)]
#[template(path = "channels.html")]
struct Page {
    ctx: Ctx,
    t: T,
    nav: Vec<NavItem>,
    csrf: String,
    notice: Option<String>,
    v: View,
}

#[derive(Template)]
#[template(path = "channels_body.html")]
struct Fragment {
    t: T,
    csrf: String,
    notice: Option<String>,
    v: View,
}

/// The page, or for htmx its fragment.
fn show(ui: &Ui, status: StatusCode, notice: Option<&str>, v: View) -> Response {
    let notice = notice.map(|k| ui.t.t(k).to_string());
    if ui.htmx {
        return render_status(status, &Fragment { t: ui.t, csrf: ui.csrf.clone(), notice, v });
    }
    let label = PAGES.iter().find(|(h, _)| *h == v.href()).map_or("", |(_, k)| ui.t.t(k));
    let title = format!("{} · {label}", ui.t.t("nav.settings"));
    let nav = nav(&ui.t, v.href());
    render_status(status, &Page { ctx: ui.ctx("settings", title), t: ui.t, nav, csrf: ui.csrf.clone(), notice, v })
}

/// After a write: htmx gets the page's new state, a plain form is sent to `to`.
fn after(ui: &Ui, to: &str, shown: Result<Response, StoreError>) -> Response {
    match shown {
        Ok(r) if ui.htmx => r,
        Ok(_) => Redirect::to(to).into_response(),
        Err(e) => store_error(ui, e),
    }
}

/// Points the browser's address at `path` (after a create that showed the new record's page).
fn pushed(mut resp: Response, path: &str) -> Response {
    if let Ok(url) = HeaderValue::from_str(path) {
        resp.headers_mut().insert("hx-push-url", url);
    }
    resp
}

// ---- templates ----

pub struct TemplateRow {
    pub id: i64,
    pub key: String,
    pub channel: &'static str,
    pub subject: String,
    pub excerpt: String,
    /// Knowledge-base articles linked to the template (`template:<key>`): (key, title).
    pub articles: Vec<(String, String)>,
}

pub struct TemplatesView {
    pub rows: Vec<TemplateRow>,
    /// Standard templates the workspace lacks.
    pub missing: usize,
}

pub struct Placeholder {
    pub name: &'static str,
    pub about: String,
}

pub struct PreviewView {
    pub email: bool,
    pub subject: Option<String>,
    pub body: String,
    pub error: Option<String>,
}

pub struct TemplateView {
    pub id: Option<i64>,
    pub key: String,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub channels: Vec<Opt>,
    pub placeholders: Vec<Placeholder>,
    pub problem: Problem,
    pub preview: PreviewView,
}

impl TemplateView {
    pub fn action(&self) -> String {
        self.id.map_or_else(|| "/settings/templates".to_string(), |id| format!("/settings/templates/{id}"))
    }
}

/// The text on one line, cut after `n` characters.
fn excerpt(s: &str, n: usize) -> String {
    let line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    }
}

async fn load_templates(st: &AppState, ui: &Ui) -> Result<TemplatesView, StoreError> {
    let list = st.db.templates(&ui.actor).await?;
    let missing = DEFAULT_TEMPLATES.iter().filter(|(k, c, _, _)| !list.iter().any(|t| t.key == *k && t.channel == *c)).count();
    let keys: Vec<String> = list.iter().map(|t| t.key.clone()).collect();
    let linked = st.db.kb_linked(&ui.actor, poryadok_core::kb::LinkKind::Template, &keys).await?;
    let rows = list
        .into_iter()
        .map(|m| TemplateRow {
            id: m.id,
            channel: channel_label(&ui.t, &m.channel),
            subject: m.subject.unwrap_or_default(),
            excerpt: excerpt(&m.body, 90),
            articles: linked.iter().filter(|a| a.target_key == m.key).map(|a| (a.key.clone(), a.title.clone())).collect(),
            key: m.key,
        })
        .collect();
    Ok(TemplatesView { rows, missing })
}

async fn templates_page(State(st): State<AppState>, ui: Ui) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    match load_templates(&st, &ui).await {
        Ok(v) => show(&ui, StatusCode::OK, None, View::Templates(v)),
        Err(e) => store_error(&ui, e),
    }
}

/// Sample values for the preview, in the reader's language; `company` is the workspace's name.
fn samples(ui: &Ui) -> Map<String, Json> {
    tpl::PLACEHOLDERS
        .iter()
        .map(|(name, _)| {
            let v = match *name {
                "company" => ui.actor.ws.name.clone(),
                _ => ui.t.t(&format!("channels.sample.{name}")).to_string(),
            };
            ((*name).to_string(), Json::String(v))
        })
        .collect()
}

fn render_preview(ui: &Ui, channel: &str, subject: &str, body: &str) -> PreviewView {
    let email = channel != "sms";
    if body.trim().is_empty() {
        return PreviewView { email, subject: None, body: String::new(), error: None };
    }
    match render_template(channel, Some(subject).filter(|_| email), body, &samples(ui)) {
        Ok((subject, body)) => PreviewView { email, subject, body, error: None },
        Err(e) => {
            let p = Problem::of(&ui.t, &e).unwrap_or_default();
            let part = match p.field.as_str() {
                "subject" => ui.t.t("channels.tpl.subject"),
                _ => ui.t.t("channels.tpl.body"),
            };
            PreviewView { email, subject: None, body: String::new(), error: Some(format!("{part}: {}", p.message)) }
        }
    }
}

fn template_view(ui: &Ui, id: Option<i64>, key: String, channel: String, subject: String, body: String, problem: Problem) -> TemplateView {
    let preview = render_preview(ui, &channel, &subject, &body);
    TemplateView {
        id,
        key,
        channel,
        subject,
        body,
        channels: CHANNELS.iter().map(|c| Opt { value: (*c).to_string(), label: channel_label(&ui.t, c).to_string() }).collect(),
        placeholders: tpl::PLACEHOLDERS
            .iter()
            .map(|(name, _)| Placeholder { name, about: ui.t.t(&format!("channels.ph.{name}")).to_string() })
            .collect(),
        problem,
        preview,
    }
}

async fn new_template_page(ui: Ui) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    let v = template_view(&ui, None, String::new(), "email".into(), String::new(), String::new(), Problem::default());
    show(&ui, StatusCode::OK, None, View::Template(Box::new(v)))
}

async fn template_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    match st.db.template(&ui.actor, id).await {
        Ok(m) => {
            let v = template_view(&ui, Some(id), m.key, m.channel, m.subject.unwrap_or_default(), m.body, Problem::default());
            show(&ui, StatusCode::OK, None, View::Template(Box::new(v)))
        }
        Err(e) => store_error(&ui, e),
    }
}

fn template_body(f: &Fields) -> Json {
    let channel = field(f, "channel");
    let subject = (channel == "email").then(|| field(f, "subject"));
    json!({"key": field(f, "key"), "channel": channel, "subject": subject, "body": f.get("body").cloned().unwrap_or_default()})
}

/// Answers a save: the saved template's page, or the form as typed with the reason and 422.
async fn template_saved(
    ui: &Ui,
    id: Option<i64>,
    f: &Fields,
    result: Result<poryadok_store::channels::MessageTemplate, StoreError>,
) -> Response {
    match result {
        Ok(m) => {
            let path = format!("/settings/templates/{}", m.id);
            let v = template_view(ui, Some(m.id), m.key, m.channel, m.subject.unwrap_or_default(), m.body, Problem::default());
            let shown = show(ui, StatusCode::OK, Some("channels.saved"), View::Template(Box::new(v)));
            if ui.htmx {
                pushed(shown, &path)
            } else {
                Redirect::to(&path).into_response()
            }
        }
        Err(e) => match Problem::of(&ui.t, &e) {
            Some(p) => {
                let v = template_view(
                    ui,
                    id,
                    field(f, "key"),
                    field(f, "channel"),
                    field(f, "subject"),
                    f.get("body").cloned().unwrap_or_default(),
                    p,
                );
                show(ui, StatusCode::UNPROCESSABLE_ENTITY, None, View::Template(Box::new(v)))
            }
            None => store_error(ui, e),
        },
    }
}

async fn create_template(State(st): State<AppState>, ui: Ui, Form(f): Form<Fields>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    let result = st.db.create_template(&ui.actor, &template_body(&f)).await;
    template_saved(&ui, None, &f, result).await
}

async fn save_template(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(f): Form<Fields>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    let result = st.db.update_template(&ui.actor, id, &template_body(&f)).await;
    template_saved(&ui, Some(id), &f, result).await
}

async fn delete_template(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    if let Err(e) = st.db.delete_template(&ui.actor, id).await {
        return store_error(&ui, e);
    }
    let shown = load_templates(&st, &ui).await.map(|v| show(&ui, StatusCode::OK, Some("channels.deleted"), View::Templates(v)));
    after(&ui, "/settings/templates", shown.map(|r| pushed(r, "/settings/templates")))
}

async fn add_defaults(State(st): State<AppState>, ui: Ui) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    if let Err(e) = st.db.add_default_templates(&ui.actor).await {
        return store_error(&ui, e);
    }
    let shown = load_templates(&st, &ui).await.map(|v| show(&ui, StatusCode::OK, Some("channels.tpl.defaults_added"), View::Templates(v)));
    after(&ui, "/settings/templates", shown)
}

#[derive(Template)]
#[template(path = "channels_preview.html")]
struct PreviewFragment {
    t: T,
    p: PreviewView,
}

/// The preview of the editor's current text (always 200: a mistake is shown in the preview).
async fn preview(ui: Ui, Form(f): Form<Fields>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    let p = render_preview(&ui, &field(&f, "channel"), &field(&f, "subject"), f.get("body").map_or("", String::as_str));
    render_status(StatusCode::OK, &PreviewFragment { t: ui.t, p })
}

// ---- the SMS gateway ----

pub struct TestResult {
    pub ok: bool,
    pub to: String,
    pub code: String,
    pub error: String,
}

pub struct SmsView {
    pub configured: bool,
    pub url: String,
    pub method: String,
    pub content_type: String,
    /// `Name: value` a line; stored values show as `***`.
    pub headers: String,
    pub body: String,
    pub problem: Problem,
    pub test_to: String,
    pub test_text: String,
    pub test_problem: Problem,
    pub result: Option<TestResult>,
    pub placeholders: String,
}

impl SmsView {
    fn new(t: &T) -> SmsView {
        SmsView {
            configured: false,
            url: String::new(),
            method: "POST".into(),
            content_type: String::new(),
            headers: String::new(),
            body: String::new(),
            problem: Problem::default(),
            test_to: String::new(),
            test_text: t.t("channels.sms.test_text_default").to_string(),
            test_problem: Problem::default(),
            result: None,
            placeholders: GATEWAY_PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(", "),
        }
    }

    fn fill_from(&mut self, stored: ShownGateway) {
        self.configured = true;
        self.url = stored.url;
        self.method = stored.method.to_string();
        self.content_type = stored.content_type.unwrap_or_default();
        self.body = stored.body.unwrap_or_default();
        self.headers = stored.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n");
    }

    fn fill_typed(&mut self, f: &Fields) {
        self.url = field(f, "url");
        self.method = field(f, "method");
        self.content_type = field(f, "content_type");
        self.headers = field(f, "headers");
        self.body = field(f, "body");
    }
}

async fn load_sms(st: &AppState, ui: &Ui) -> Result<SmsView, StoreError> {
    let mut v = SmsView::new(&ui.t);
    if let Some(stored) = st.db.sms_gateway(&ui.actor).await? {
        v.fill_from(stored);
    }
    Ok(v)
}

async fn sms_page(State(st): State<AppState>, ui: Ui) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    match load_sms(&st, &ui).await {
        Ok(v) => show(&ui, StatusCode::OK, None, View::Sms(Box::new(v))),
        Err(e) => store_error(&ui, e),
    }
}

/// The gateway as the API takes it, from the form; headers are `Name: value` lines.
fn gateway_body(f: &Fields) -> Result<Json, StoreError> {
    let mut headers = Map::new();
    for line in field(f, "headers").lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or_else(|| StoreError::invalid("sms_gateway.headers", ChannelMsg::HeaderLine {}))?;
        headers.insert(name.trim().to_string(), Json::String(value.trim().to_string()));
    }
    let opt = |k: &str| Some(field(f, k)).filter(|s| !s.is_empty());
    Ok(
        json!({"url": field(f, "url"), "method": opt("method"), "headers": headers, "content_type": opt("content_type"), "body": opt("body")}),
    )
}

async fn save_gateway(State(st): State<AppState>, ui: Ui, Form(f): Form<Fields>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    let result = match gateway_body(&f) {
        Ok(body) => st.db.set_sms_gateway(&ui.actor, &body).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => after(
            &ui,
            "/settings/sms",
            load_sms(&st, &ui).await.map(|v| show(&ui, StatusCode::OK, Some("channels.saved"), View::Sms(Box::new(v)))),
        ),
        Err(e) => match Problem::of(&ui.t, &e) {
            Some(p) => {
                let mut v = match load_sms(&st, &ui).await {
                    Ok(v) => v,
                    Err(e) => return store_error(&ui, e),
                };
                v.fill_typed(&f);
                v.problem = p;
                show(&ui, StatusCode::UNPROCESSABLE_ENTITY, None, View::Sms(Box::new(v)))
            }
            None => store_error(&ui, e),
        },
    }
}

async fn remove_gateway(State(st): State<AppState>, ui: Ui) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    if let Err(e) = st.db.set_sms_gateway(&ui.actor, &Json::Null).await {
        return store_error(&ui, e);
    }
    after(
        &ui,
        "/settings/sms",
        load_sms(&st, &ui).await.map(|v| show(&ui, StatusCode::OK, Some("channels.sms.removed"), View::Sms(Box::new(v)))),
    )
}

/// Sends a test SMS at once and shows what the gateway answered.
async fn test_sms(State(st): State<AppState>, ui: Ui, Form(f): Form<Fields>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    let mut v = match load_sms(&st, &ui).await {
        Ok(v) => v,
        Err(e) => return store_error(&ui, e),
    };
    v.test_to = field(&f, "to");
    v.test_text = field(&f, "text");
    match crate::channels::test_sms(&st.db, &ui.actor, &v.test_to, &v.test_text).await {
        Ok(r) => {
            v.result = Some(TestResult {
                ok: r.status == "sent",
                code: r.response_code.map(|c| c.to_string()).unwrap_or_default(),
                error: said(&ui.t, &r.failure),
                to: r.to,
            });
            show(&ui, StatusCode::OK, None, View::Sms(Box::new(v)))
        }
        Err(e) => match Problem::of(&ui.t, &e) {
            Some(p) => {
                v.test_problem = p;
                show(&ui, StatusCode::UNPROCESSABLE_ENTITY, None, View::Sms(Box::new(v)))
            }
            None => store_error(&ui, e),
        },
    }
}

// ---- webhooks ----

pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    pub events: String,
    pub active: bool,
}

pub struct WebhooksView {
    pub rows: Vec<WebhookRow>,
    pub url: String,
    pub events: String,
    pub problem: Problem,
    pub hint: String,
}

pub struct DeliveryRow {
    pub id: i64,
    pub at: String,
    pub event: String,
    pub status: &'static str,
    pub class: &'static str,
    pub code: String,
    pub attempts: i64,
    pub error: String,
    /// A delivery still being retried is not sent again by hand.
    pub redeliver: bool,
    pub payload: String,
}

pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub events: String,
    pub active: bool,
    pub problem: Problem,
    /// Right after creation: the secret, shown this once.
    pub secret: Option<String>,
    pub deliveries: Vec<DeliveryRow>,
    pub hint: String,
}

fn events_hint(t: &T) -> String {
    t.fmt("channels.hooks.events_hint", &[("records", ENTITIES.join(", ").as_str()), ("actions", ACTIONS.join(", ").as_str())])
}

/// `deal.created, person.*` as typed → the list the store checks.
fn events_of(typed: &str) -> Json {
    json!(typed.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>())
}

async fn load_webhooks(st: &AppState, ui: &Ui) -> Result<WebhooksView, StoreError> {
    let rows = st
        .db
        .webhooks(&ui.actor)
        .await?
        .into_iter()
        .map(|w| WebhookRow { id: w.id, url: w.url, events: w.events.join(", "), active: w.active })
        .collect();
    Ok(WebhooksView {
        rows,
        url: String::new(),
        events: "deal.created, deal.updated".into(),
        problem: Problem::default(),
        hint: events_hint(&ui.t),
    })
}

async fn webhooks_page(State(st): State<AppState>, ui: Ui) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    match load_webhooks(&st, &ui).await {
        Ok(v) => show(&ui, StatusCode::OK, None, View::Webhooks(v)),
        Err(e) => store_error(&ui, e),
    }
}

async fn load_webhook(st: &AppState, ui: &Ui, id: i64) -> Result<WebhookView, StoreError> {
    let w = st.db.webhook(&ui.actor, id).await?;
    let fmt = ui.fmt();
    let deliveries = st
        .db
        .deliveries(&ui.actor, id, None, PAGE, None)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            id: d.id,
            at: fmt.datetime(d.created_at),
            status: status_label(&ui.t, &d.status),
            class: status_class(&d.status),
            code: d.response_code.map(|c| c.to_string()).unwrap_or_default(),
            attempts: d.attempts,
            error: said(&ui.t, &d.failure),
            redeliver: d.status != "queued",
            payload: serde_json::to_string_pretty(&d.payload).unwrap_or_default(),
            event: d.event,
        })
        .collect();
    Ok(WebhookView {
        id,
        url: w.url,
        events: w.events.join(", "),
        active: w.active,
        problem: Problem::default(),
        secret: None,
        deliveries,
        hint: events_hint(&ui.t),
    })
}

async fn webhook_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    match load_webhook(&st, &ui, id).await {
        Ok(v) => show(&ui, StatusCode::OK, None, View::Webhook(Box::new(v))),
        Err(e) => store_error(&ui, e),
    }
}

async fn create_webhook(State(st): State<AppState>, ui: Ui, Form(f): Form<Fields>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    let body = json!({"url": field(&f, "url"), "events": events_of(&field(&f, "events"))});
    match st.db.create_webhook(&ui.actor, &body).await {
        // The secret is shown on the page that answers the creation, and never again.
        Ok(w) => match load_webhook(&st, &ui, w.id).await {
            Ok(mut v) => {
                v.secret = Some(w.secret);
                pushed(show(&ui, StatusCode::OK, None, View::Webhook(Box::new(v))), &format!("/settings/webhooks/{}", w.id))
            }
            Err(e) => store_error(&ui, e),
        },
        Err(e) => match Problem::of(&ui.t, &e) {
            Some(p) => match load_webhooks(&st, &ui).await {
                Ok(mut v) => {
                    v.url = field(&f, "url");
                    v.events = field(&f, "events");
                    v.problem = p;
                    show(&ui, StatusCode::UNPROCESSABLE_ENTITY, None, View::Webhooks(v))
                }
                Err(e) => store_error(&ui, e),
            },
            None => store_error(&ui, e),
        },
    }
}

async fn save_webhook(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(f): Form<Fields>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    let body = json!({"url": field(&f, "url"), "events": events_of(&field(&f, "events")), "active": f.contains_key("active")});
    let path = format!("/settings/webhooks/{id}");
    match st.db.update_webhook(&ui.actor, id, &body).await {
        Ok(_) => after(
            &ui,
            &path,
            load_webhook(&st, &ui, id).await.map(|v| show(&ui, StatusCode::OK, Some("channels.saved"), View::Webhook(Box::new(v)))),
        ),
        Err(e) => match Problem::of(&ui.t, &e) {
            Some(p) => match load_webhook(&st, &ui, id).await {
                Ok(mut v) => {
                    v.url = field(&f, "url");
                    v.events = field(&f, "events");
                    v.active = f.contains_key("active");
                    v.problem = p;
                    show(&ui, StatusCode::UNPROCESSABLE_ENTITY, None, View::Webhook(Box::new(v)))
                }
                Err(e) => store_error(&ui, e),
            },
            None => store_error(&ui, e),
        },
    }
}

async fn delete_webhook(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    if let Err(e) = st.db.delete_webhook(&ui.actor, id).await {
        return store_error(&ui, e);
    }
    let shown = load_webhooks(&st, &ui)
        .await
        .map(|v| pushed(show(&ui, StatusCode::OK, Some("channels.deleted"), View::Webhooks(v)), "/settings/webhooks"));
    after(&ui, "/settings/webhooks", shown)
}

async fn redeliver(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    let d = match st.db.redeliver(&ui.actor, id).await {
        Ok(d) => d,
        Err(e) => return store_error(&ui, e),
    };
    st.wake_worker();
    let hook = d.webhook_id;
    let path = format!("/settings/webhooks/{hook}");
    after(
        &ui,
        &path,
        load_webhook(&st, &ui, hook)
            .await
            .map(|v| show(&ui, StatusCode::OK, Some("channels.hooks.redelivered"), View::Webhook(Box::new(v)))),
    )
}

// ---- the outbox ----

pub struct StatusTab {
    pub href: String,
    pub label: &'static str,
    pub count: String,
    pub class: &'static str,
    pub active: bool,
}

pub struct MessageRow {
    pub id: i64,
    pub at: String,
    pub channel: &'static str,
    pub recipient: String,
    pub template: String,
    pub subject: String,
    pub body: String,
    /// The body on one line, shortened; the whole body unfolds under it when longer.
    pub excerpt: String,
    pub status: &'static str,
    pub class: &'static str,
    pub failed: bool,
    pub attempts: i64,
    pub error: String,
    pub sent_at: String,
}

pub struct OutboxView {
    pub tabs: Vec<StatusTab>,
    pub rows: Vec<MessageRow>,
    /// The next page's address, when there is one.
    pub more: Option<String>,
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    before: Option<i64>,
}

fn message_row(ui: &Ui, m: &OutboundMessage) -> MessageRow {
    let fmt = ui.fmt();
    MessageRow {
        id: m.id,
        at: fmt.datetime(m.created_at),
        channel: channel_label(&ui.t, &m.channel),
        recipient: m.recipient.clone(),
        template: m.template_key.clone().unwrap_or_default(),
        subject: m.subject.clone().unwrap_or_default(),
        body: m.body.clone(),
        status: status_label(&ui.t, &m.status),
        class: status_class(&m.status),
        failed: m.status == "failed",
        attempts: m.attempts,
        error: said(&ui.t, &m.failure),
        excerpt: excerpt(&m.body, 160),
        sent_at: m.sent_at.map(|s| fmt.datetime(s)).unwrap_or_default(),
    }
}

async fn load_outbox(st: &AppState, ui: &Ui, q: &OutboxQuery) -> Result<OutboxView, StoreError> {
    let status = q.status.clone().filter(|s| MESSAGE_STATUSES.contains(&s.as_str()));
    let filter = MessageQuery { status: status.clone(), limit: PAGE, before_id: q.before, ..Default::default() };
    let list = st.db.outbound_messages(&ui.actor, &filter).await?;
    let counts = st.db.message_counts(&ui.actor).await?;
    let total = counts.total();
    let mut tabs = vec![StatusTab {
        href: "/settings/outbox".into(),
        label: tab_label(&ui.t, ""),
        count: total.to_string(),
        class: "",
        active: status.is_none(),
    }];
    for s in MESSAGE_STATUSES {
        let n = counts.of(s);
        tabs.push(StatusTab {
            href: format!("/settings/outbox?status={s}"),
            label: tab_label(&ui.t, s),
            count: n.to_string(),
            class: if *s == "failed" && n > 0 { "danger" } else { "" },
            active: status.as_deref() == Some(*s),
        });
    }
    let more = (list.len() as u64 == PAGE).then(|| list.last().map(|m| m.id)).flatten().map(|last| match &status {
        Some(s) => format!("/settings/outbox?status={s}&before={last}"),
        None => format!("/settings/outbox?before={last}"),
    });
    Ok(OutboxView { tabs, rows: list.iter().map(|m| message_row(ui, m)).collect(), more })
}

async fn outbox_page(State(st): State<AppState>, ui: Ui, Query(q): Query<OutboxQuery>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    match load_outbox(&st, &ui, &q).await {
        Ok(v) => show(&ui, StatusCode::OK, None, View::Outbox(v)),
        Err(e) => store_error(&ui, e),
    }
}

async fn retry_message(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = refuse(&ui) {
        return r;
    }
    if let Err(e) = st.db.retry_message(&ui.actor, id).await {
        return store_error(&ui, e);
    }
    st.wake_worker();
    let q = OutboxQuery { status: None, before: None };
    after(
        &ui,
        "/settings/outbox",
        load_outbox(&st, &ui, &q).await.map(|v| show(&ui, StatusCode::OK, Some("channels.outbox.retried"), View::Outbox(v))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang;

    #[test]
    fn store_messages_are_translated_and_fields_find_their_inputs() {
        let ru = T::new(Lang::Ru);
        let say = |m: ChannelMsg| messages::say(&ru, &m.into());
        assert_eq!(say(ChannelMsg::SmsNoSubject {}), "у SMS нет темы");
        assert_eq!(say(ChannelMsg::MustContain { placeholder: "text".into() }), "должно содержать {text}");
        let bad = ChannelMsg::NotEvent { event: "deal.moved".into(), records: vec!["deal".into()], actions: vec!["created".into()] };
        assert!(say(bad).starts_with("«deal.moved» — не событие"));
        assert!(say(ChannelMsg::UnknownPlaceholder { placeholder: "debt".into(), known: vec!["{client}".into()] }).contains("{debt}"));
        assert_eq!(say(ChannelMsg::GatewayAnswered { code: 500, answer: "busy".into() }), "SMS-шлюз ответил 500: busy");
        // A delivery's or a test send's error: said in the reader's language, or as stored.
        let m: poryadok_core::Msg = ChannelMsg::ReceiverTimeout { seconds: 10 }.into();
        assert_eq!(said(&ru, &Failure::of_msg(Some(m))), "получатель не ответил за 10 с");
        let plain = Failure { error: Some("SMTP x: refused".into()), ..Failure::default() };
        assert_eq!((said(&ru, &plain), said(&ru, &Failure::default())), ("SMTP x: refused".to_string(), String::new()));
        let refused = Problem::of(&ru, &StoreError::conflict("key", ChannelMsg::TemplateTaken {})).unwrap();
        assert_eq!((refused.field.as_str(), refused.message.as_str()), ("key", "шаблон с таким ключом и каналом уже есть"));
        assert_eq!(input_of("sms_gateway.headers.X-Key"), "headers");
        assert_eq!(input_of("events.2"), "events");
        assert_eq!(input_of("body"), "body");
        assert_eq!(events_of("deal.created, person.*\nnote.deleted"), json!(["deal.created", "person.*", "note.deleted"]));
        assert_eq!(excerpt("\n Первая  строка\nвторая", 13), "Первая строка…");
        assert_eq!(excerpt("Коротко", 13), "Коротко");
    }

    #[test]
    fn every_placeholder_has_a_description_and_a_sample() {
        for lang in [Lang::Ru, Lang::En] {
            let t = T::new(lang);
            for (name, _) in tpl::PLACEHOLDERS {
                for key in [format!("channels.ph.{name}"), format!("channels.sample.{name}")] {
                    assert_ne!(t.t(&key), key, "{key} is missing");
                }
            }
        }
    }
}

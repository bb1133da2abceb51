//! Record cards: the deal, the person and the organization. A side panel with the record's fields
//! (the deal's editable in place, with its stage and status actions) and, beside it, the record's
//! timeline — history, notes and activities, newest first, paged — with forms to add a note or a
//! task and to mark a task done.
//!
//! Every change goes through the store with the signed-in user, so the card refuses what the API
//! refuses. A change answers with the part of the card it affects; a refused form comes back with
//! status 422 and the message next to the field, retargeted to the form itself.
use super::format::Fmt;
use super::i18n::T;
use super::{field_error, render, render_status, store_error, Ui};
use crate::security::safe_href;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::domain::{ActivityType, CustomFieldType, DealStatus};
use poryadok_core::schema::Entity;
use poryadok_core::types::{parse_timestamp, Val};
use poryadok_store::timeline::{HistoryEvent, Message, TimelineItem};
use poryadok_store::{ListQuery, Row, StoreError};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Timeline items per page.
const PAGE: u64 = 50;
/// Choices offered in one select of the edit form (owners, organizations, persons).
const CHOICES: &str = "500";

pub fn routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/deals/{id}", get(deal_page).post(deal_save))
        .route("/deals/{id}/edit", get(deal_edit))
        .route("/deals/{id}/fields", get(deal_fields))
        .route("/deals/{id}/stage", post(deal_stage))
        .route("/deals/{id}/status", post(deal_status))
        .route("/persons/{id}", get(|st: State<AppState>, ui: Ui, id: Path<i64>| contact_page(st, ui, id, Entity::Person)))
        .route("/organizations/{id}", get(|st: State<AppState>, ui: Ui, id: Path<i64>| contact_page(st, ui, id, Entity::Organization)))
        .route("/activities/{id}/done", post(activity_done));
    for entity in [Entity::Deal, Entity::Person, Entity::Organization] {
        let base = format!("/{}/{{id}}", entity.path());
        r = r
            .route(
                &format!("{base}/timeline"),
                get(move |st: State<AppState>, ui: Ui, id: Path<i64>, q: Query<MoreQuery>| timeline_more(st, ui, id, q, entity)),
            )
            .route(
                &format!("{base}/notes"),
                post(move |st: State<AppState>, ui: Ui, id: Path<i64>, f: Form<NoteForm>| add_note(st, ui, id, f, entity)),
            )
            .route(
                &format!("{base}/tasks"),
                post(move |st: State<AppState>, ui: Ui, id: Path<i64>, f: Form<TaskForm>| add_task(st, ui, id, f, entity)),
            );
    }
    r
}

fn card_url(entity: Entity, id: i64) -> String {
    format!("/{}/{id}", entity.path())
}

// ---------------------------------------------------------------------------------------------
// Shared pieces: options, display names, custom field definitions, value formatting.

/// One choice of a select.
pub struct Opt {
    pub value: String,
    pub label: String,
}

/// A read-only line of a side panel.
pub struct FieldView {
    pub label: String,
    pub value: String,
    pub href: Option<String>,
}

/// A custom field definition as the card needs it.
pub struct Def {
    pub key: String,
    pub label: String,
    pub ty: CustomFieldType,
    pub options: Vec<String>,
}

async fn custom_defs(st: &AppState, ui: &Ui, entity: Entity) -> Result<Vec<Def>, StoreError> {
    let lq = ListQuery {
        limit: Some("500".into()),
        sort: Some("position".into()),
        filters: vec![("entity".into(), entity.name().into())],
        ..ListQuery::default()
    };
    let rows = st.db.list(&ui.actor, Entity::CustomField, &lq).await?.data;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let options = r.get("options").as_text().and_then(|o| serde_json::from_str(o).ok()).unwrap_or_default();
            Some(Def {
                key: r.get("key").as_text()?.to_string(),
                label: r.get("label").as_text().unwrap_or("").to_string(),
                ty: CustomFieldType::parse(r.get("field_type").as_text()?)?,
                options,
            })
        })
        .collect())
}

/// Ids whose display names a card needs, gathered before one look-up per kind.
#[derive(Default)]
struct NameIds {
    users: Vec<i64>,
    stages: Vec<i64>,
    pipelines: Vec<i64>,
    orgs: Vec<i64>,
    persons: Vec<i64>,
}

/// Which kind of name a field's id stands for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RefKind {
    User,
    Stage,
    Pipeline,
    Org,
    Person,
}

fn ref_kind(field: &str, defs: &[Def]) -> Option<RefKind> {
    match field {
        "owner_id" | "author_id" => Some(RefKind::User),
        "stage_id" => Some(RefKind::Stage),
        "pipeline_id" => Some(RefKind::Pipeline),
        "organization_id" => Some(RefKind::Org),
        "person_id" => Some(RefKind::Person),
        _ => match custom_def(field, defs)?.ty {
            CustomFieldType::User => Some(RefKind::User),
            CustomFieldType::Organization => Some(RefKind::Org),
            _ => None,
        },
    }
}

fn custom_def<'a>(field: &str, defs: &'a [Def]) -> Option<&'a Def> {
    let key = field.strip_prefix("custom.")?;
    defs.iter().find(|d| d.key == key)
}

impl NameIds {
    fn push(&mut self, kind: RefKind, id: Option<i64>) {
        let Some(id) = id else { return };
        match kind {
            RefKind::User => self.users.push(id),
            RefKind::Stage => self.stages.push(id),
            RefKind::Pipeline => self.pipelines.push(id),
            RefKind::Org => self.orgs.push(id),
            RefKind::Person => self.persons.push(id),
        }
    }

    /// The linked records of a row: its reference fields and its custom user/organization values.
    fn of_row(&mut self, row: &Row, defs: &[Def]) {
        for (f, v) in &row.values {
            if let Some(k) = ref_kind(f.name, defs) {
                self.push(k, v.as_int());
            }
        }
        let custom = custom_map(row);
        for d in defs {
            if let Some(k) = ref_kind(&format!("custom.{}", d.key), defs) {
                self.push(k, custom.get(&d.key).and_then(Value::as_i64));
            }
        }
    }

    fn of_items(&mut self, items: &[TimelineItem], defs: &[Def], entity: Entity) {
        for item in items {
            match item {
                TimelineItem::History(h) => {
                    self.push(RefKind::User, h.actor_id);
                    // Merges name the other record, and events of merged records name theirs.
                    if let Some(kind) = record_kind(entity) {
                        self.push(kind, Some(h.record_id));
                        for key in ["merged_from", "merged_into"] {
                            self.push(kind, h.changes[key].as_i64());
                        }
                    }
                    for (field, change) in h.changes.as_object().into_iter().flatten() {
                        for side in ["from", "to"] {
                            if field == "participants" {
                                self.push(RefKind::User, change[side]["user_id"].as_i64());
                            } else if let Some(k) = ref_kind(field, defs) {
                                self.push(k, change[side].as_i64());
                            }
                        }
                    }
                }
                TimelineItem::Note(r) => self.push(RefKind::User, r.get("author_id").as_int()),
                TimelineItem::Activity(r) => self.push(RefKind::User, r.get("owner_id").as_int()),
                TimelineItem::Message(_) => {}
            }
        }
    }
}

/// The kind of name a person's or organization's own id stands for.
fn record_kind(entity: Entity) -> Option<RefKind> {
    match entity {
        Entity::Person => Some(RefKind::Person),
        Entity::Organization => Some(RefKind::Org),
        _ => None,
    }
}

#[derive(Default)]
pub struct Names {
    users: HashMap<i64, String>,
    stages: HashMap<i64, String>,
    pipelines: HashMap<i64, String>,
    orgs: HashMap<i64, String>,
    persons: HashMap<i64, String>,
}

impl Names {
    async fn load(st: &AppState, ui: &Ui, ids: NameIds) -> Result<Names, StoreError> {
        let (db, a) = (&st.db, &ui.actor);
        Ok(Names {
            users: db.names(a, Entity::User, ids.users).await?,
            stages: db.names(a, Entity::Stage, ids.stages).await?,
            pipelines: db.names(a, Entity::Pipeline, ids.pipelines).await?,
            orgs: db.names(a, Entity::Organization, ids.orgs).await?,
            persons: db.names(a, Entity::Person, ids.persons).await?,
        })
    }

    fn get(&self, kind: RefKind, id: i64) -> String {
        let map = match kind {
            RefKind::User => &self.users,
            RefKind::Stage => &self.stages,
            RefKind::Pipeline => &self.pipelines,
            RefKind::Org => &self.orgs,
            RefKind::Person => &self.persons,
        };
        map.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }

    fn user(&self, id: Option<i64>) -> Option<String> {
        id.map(|i| self.get(RefKind::User, i))
    }
}

/// The translation key of a schema field's label.
fn field_key(name: &str) -> Option<&'static str> {
    Some(match name {
        "title" => "card.f.title",
        "name" => "card.f.name",
        "value" => "card.f.value",
        "currency" => "card.f.currency",
        "status" => "card.f.status",
        "pipeline_id" => "card.f.pipeline",
        "stage_id" => "card.f.stage",
        "owner_id" => "card.f.owner",
        "person_id" => "card.f.person",
        "organization_id" => "card.f.organization",
        "deal_id" => "card.f.deal",
        "source" => "card.f.source",
        "utm_source" => "card.f.utm_source",
        "utm_medium" => "card.f.utm_medium",
        "utm_campaign" => "card.f.utm_campaign",
        "utm_term" => "card.f.utm_term",
        "utm_content" => "card.f.utm_content",
        "tracking_number" => "card.f.tracking_number",
        "expected_close_date" => "card.f.expected_close_date",
        "lost_reason" => "card.f.lost_reason",
        "frozen_reason" => "card.f.frozen_reason",
        "close_comment" => "card.f.close_comment",
        "return_on" => "card.f.return_on",
        "job_title" => "card.f.job_title",
        "phone" => "card.f.phone",
        "email" => "card.f.email",
        "telegram" => "card.f.telegram",
        "whatsapp" => "card.f.whatsapp",
        "address" => "card.f.address",
        "website" => "card.f.website",
        "tax_id" => "card.f.tax_id",
        "participants" => "card.f.participants",
        "content" => "card.f.content",
        "subject" => "card.f.subject",
        "type" => "card.f.type",
        "due_at" => "card.f.due_at",
        "description" => "card.f.description",
        "done" => "card.f.done",
        _ => return None,
    })
}

fn status_key(s: &str) -> &'static str {
    match DealStatus::parse(s) {
        Some(DealStatus::Open) => "card.status.open",
        Some(DealStatus::Won) => "card.status.won",
        Some(DealStatus::Lost) => "card.status.lost",
        Some(DealStatus::Frozen) => "card.status.frozen",
        None => "common.none",
    }
}

fn status_class(s: &str) -> &'static str {
    match DealStatus::parse(s) {
        Some(DealStatus::Won) => "ok",
        Some(DealStatus::Lost) => "danger",
        Some(DealStatus::Frozen) => "warn",
        _ => "info",
    }
}

fn type_key(s: &str) -> &'static str {
    match ActivityType::parse(s) {
        Some(ActivityType::Task) => "card.type.task",
        Some(ActivityType::Call) => "card.type.call",
        Some(ActivityType::Meeting) => "card.type.meeting",
        Some(ActivityType::Email) => "card.type.email",
        Some(ActivityType::Demo) => "card.type.demo",
        Some(ActivityType::Deadline) => "card.type.deadline",
        Some(ActivityType::Lunch) => "card.type.lunch",
        None => "card.type.task",
    }
}

fn call_key(s: &str) -> &'static str {
    match s {
        "inbound" => "card.call.inbound",
        "outbound" => "card.call.outbound",
        "answered" => "card.call.answered",
        "missed" => "card.call.missed",
        "busy" => "card.call.busy",
        "failed" => "card.call.failed",
        _ => "common.none",
    }
}

/// How values read on a card: in the reader's language, with names instead of ids.
pub struct Show<'a> {
    pub t: T,
    pub fmt: Fmt,
    pub names: &'a Names,
    pub defs: &'a [Def],
    /// The record's currency, for money values.
    pub currency: String,
}

impl Show<'_> {
    pub fn label(&self, field: &str) -> String {
        if let Some(d) = custom_def(field, self.defs) {
            return d.label.clone();
        }
        match field_key(field) {
            Some(k) => self.t.t(k).to_string(),
            None => field.to_string(),
        }
    }

    /// A wire-form value of `field` as a reader reads it.
    pub fn value(&self, field: &str, v: &Value) -> String {
        let none = || self.t.t("common.none").to_string();
        match v {
            Value::Null => return none(),
            Value::String(s) if s.is_empty() => return none(),
            _ => {}
        }
        if let Some(k) = ref_kind(field, self.defs) {
            return v.as_i64().map_or_else(none, |id| self.names.get(k, id));
        }
        if let Some(d) = custom_def(field, self.defs) {
            return match (d.ty, v) {
                (CustomFieldType::Money, Value::Number(n)) => self.fmt.money(n.as_i64().unwrap_or(0), &self.currency),
                (CustomFieldType::Date, Value::String(s)) => self.fmt.date_str(s),
                _ => self.plain(v),
            };
        }
        match (field, v) {
            ("value", Value::Number(n)) => self.fmt.money(n.as_i64().unwrap_or(0), &self.currency),
            ("status", Value::String(s)) => self.t.t(status_key(s)).to_string(),
            ("type", Value::String(s)) => self.t.t(type_key(s)).to_string(),
            ("expected_close_date", Value::String(s)) => self.fmt.date_str(s),
            ("participants", Value::Object(p)) => {
                let who = p.get("user_id").and_then(Value::as_i64).map_or_else(none, |id| self.names.get(RefKind::User, id));
                format!("{who} ({})", p.get("role").and_then(Value::as_str).unwrap_or(""))
            }
            (_, Value::String(s)) if field.ends_with("_at") => parse_timestamp(s).map_or_else(|_| s.clone(), |ms| self.fmt.datetime(ms)),
            _ => self.plain(v),
        }
    }

    fn plain(&self, v: &Value) -> String {
        match v {
            Value::Bool(true) => self.t.t("common.yes").to_string(),
            Value::Bool(false) => self.t.t("common.no").to_string(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// The link a value opens, for linked organizations and persons.
    fn href(&self, field: &str, v: &Value) -> Option<String> {
        let id = v.as_i64()?;
        match ref_kind(field, self.defs)? {
            RefKind::Org => Some(card_url(Entity::Organization, id)),
            RefKind::Person => Some(card_url(Entity::Person, id)),
            _ => None,
        }
    }

    /// Side-panel lines for `fields` of `row`; empty values are left out.
    fn lines(&self, row: &Row, fields: &[&str]) -> Vec<FieldView> {
        let json = row.to_json();
        fields
            .iter()
            .filter_map(|field| {
                let v = json.get(*field).filter(|v| !v.is_null() && v.as_str() != Some(""))?;
                let href = if *field == "website" { v.as_str().and_then(safe_href) } else { self.href(field, v) };
                Some(FieldView { label: self.label(field), value: self.value(field, v), href })
            })
            .collect()
    }

    /// Every custom field of the record, set or not, in definition order.
    fn custom_lines(&self, row: &Row) -> Vec<FieldView> {
        let custom = custom_map(row);
        self.defs
            .iter()
            .map(|d| {
                let field = format!("custom.{}", d.key);
                let v = custom.get(&d.key).cloned().unwrap_or(Value::Null);
                let href = match d.ty {
                    CustomFieldType::Url => v.as_str().and_then(safe_href),
                    _ => self.href(&field, &v),
                };
                FieldView { label: d.label.clone(), value: self.value(&field, &v), href }
            })
            .collect()
    }
}

fn custom_map(row: &Row) -> Map<String, Value> {
    row.get("custom").as_text().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
}

fn text(row: &Row, field: &str) -> String {
    row.get(field).as_text().unwrap_or("").to_string()
}

// ---------------------------------------------------------------------------------------------
// The timeline.

/// One change of a history event: the field and its value before and after.
#[derive(Debug, PartialEq, Eq)]
pub struct Change {
    pub label: String,
    pub from: String,
    pub to: String,
}

/// Task state shown (and changed) on an activity.
pub struct TaskMark {
    pub id: i64,
    pub done: bool,
    pub overdue: bool,
    /// The card it is shown on, sent back when it is marked done.
    pub back: String,
}

pub struct Entry {
    pub dom_id: String,
    pub icon: &'static str,
    pub class: &'static str,
    pub headline: String,
    pub who: String,
    pub when: String,
    pub changes: Vec<Change>,
    pub body: Option<String>,
    pub meta: Vec<String>,
    pub recording: Option<String>,
    pub task: Option<TaskMark>,
    /// On a person's or organization's card: the deal the item belongs to.
    pub deal: Option<(String, String)>,
}

/// The note and task forms at the top of the timeline, with what was typed and what was wrong.
#[derive(Default)]
pub struct AddForms {
    pub content: String,
    pub note_error: Option<String>,
    pub task_type: String,
    pub subject: String,
    pub due: String,
    pub task_error: Option<(String, String)>,
}

impl AddForms {
    pub fn task_error_for(&self, field: &str) -> Option<&str> {
        self.task_error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

pub struct TimelineView {
    pub base: String,
    pub csrf: String,
    pub entries: Vec<Entry>,
    /// The "show more" address, when there is more.
    pub more: Option<String>,
    pub forms: AddForms,
    pub types: Vec<Opt>,
}

/// History fields not worth a line: stamps that follow from another change.
const QUIET_FIELDS: &[&str] = &["stage_entered_at", "closed_at", "done_at", "merged_from", "merged_into"];

/// The lines of an update event, in a stable order.
pub fn changes(show: &Show<'_>, changes: &Value) -> Vec<Change> {
    let Some(map) = changes.as_object() else { return Vec::new() };
    let mut out: Vec<Change> = map
        .iter()
        .filter(|(field, _)| !QUIET_FIELDS.contains(&field.as_str()) && field.as_str() != "password")
        .map(|(field, c)| Change {
            label: show.label(field),
            from: show.value(field, c.get("from").unwrap_or(&Value::Null)),
            to: show.value(field, c.get("to").unwrap_or(&Value::Null)),
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

fn history_entry(show: &Show<'_>, place: &Place<'_>, entity: Entity, h: &HistoryEvent) -> Entry {
    let name_of = |id: i64| record_kind(entity).map_or_else(|| format!("#{id}"), |k| show.names.get(k, id));
    let merged = |key: &str, id: i64| show.t.fmt(key, [("name", name_of(id).as_str())].as_slice());
    let (headline, lines) = match (h.action.as_str(), h.changes["merged_from"].as_i64(), h.changes["merged_into"].as_i64()) {
        ("create", _, _) => (show.t.t(created_key(entity)).to_string(), Vec::new()),
        ("delete", _, Some(into)) => (merged("timeline.h.merged_into", into), Vec::new()),
        ("delete", _, None) => (show.t.t("card.h.deleted").to_string(), Vec::new()),
        (_, Some(from), _) => (merged("timeline.h.merged_from", from), changes(show, &h.changes)),
        _ => (show.t.t("card.h.changed").to_string(), changes(show, &h.changes)),
    };
    let mut meta = Vec::new();
    if card_url(entity, h.record_id) != place.card {
        meta.push(merged("timeline.h.of_merged", h.record_id));
    }
    let who = show.names.user(h.actor_id).unwrap_or_else(|| show.t.t("card.h.system").to_string());
    let entry = Entry {
        dom_id: format!("tl-history-{}", h.id),
        icon: "✎",
        class: "history",
        headline,
        who,
        when: show.fmt.datetime(h.at),
        changes: lines,
        body: None,
        meta,
        recording: None,
        task: None,
        deal: None,
    };
    super::assistants::explained(&show.t, &h.changes, entry)
}

fn created_key(entity: Entity) -> &'static str {
    match entity {
        Entity::Deal => "card.h.created_deal",
        Entity::Person => "card.h.created_person",
        _ => "card.h.created_org",
    }
}

/// Context of an item on a card: the card, its deal if it is one, and titles of other deals.
pub struct Place<'a> {
    pub card: String,
    pub deal: Option<i64>,
    pub deal_titles: &'a HashMap<i64, String>,
}

impl Place<'_> {
    fn deal_link(&self, t: T, row: &Row) -> Option<(String, String)> {
        self.deal_link_of(t, row.get("deal_id").as_int())
    }

    fn deal_link_of(&self, t: T, deal: Option<i64>) -> Option<(String, String)> {
        let id = deal.filter(|d| Some(*d) != self.deal)?;
        let title =
            self.deal_titles.get(&id).cloned().unwrap_or_else(|| t.fmt("card.deal_n", [("id", id.to_string().as_str())].as_slice()));
        Some((card_url(Entity::Deal, id), title))
    }
}

fn note_entry(show: &Show<'_>, place: &Place<'_>, r: &Row) -> Entry {
    Entry {
        dom_id: format!("tl-note-{}", r.id()),
        icon: "¶",
        class: "note",
        headline: show.t.t("card.note").to_string(),
        who: show.names.user(r.get("author_id").as_int()).unwrap_or_default(),
        when: r.get("created_at").as_int().map(|ms| show.fmt.datetime(ms)).unwrap_or_default(),
        changes: Vec::new(),
        body: Some(text(r, "content")),
        meta: Vec::new(),
        recording: None,
        task: None,
        deal: place.deal_link(show.t, r),
    }
}

fn activity_entry(show: &Show<'_>, place: &Place<'_>, r: &Row, now: i64) -> Entry {
    let t = show.t;
    let ty = text(r, "type");
    let done = matches!(r.get("done"), Val::Bool(true));
    let due = r.get("due_at").as_int();
    let mut meta = Vec::new();
    if let Some(ms) = due {
        meta.push(t.fmt("card.due", [("when", show.fmt.datetime(ms).as_str())].as_slice()));
    }
    for f in ["call_direction", "call_outcome"] {
        if let Some(v) = r.get(f).as_text() {
            meta.push(t.t(call_key(v)).to_string());
        }
    }
    if let Some(p) = r.get("phone").as_text() {
        meta.push(p.to_string());
    }
    if let Some(m) = r.get("duration_min").as_int() {
        meta.push(t.fmt("card.minutes", [("n", m.to_string().as_str())].as_slice()));
    }
    let desc = text(r, "description");
    Entry {
        dom_id: format!("tl-activity-{}", r.id()),
        icon: match ActivityType::parse(&ty) {
            Some(ActivityType::Call) => "☎",
            Some(ActivityType::Meeting | ActivityType::Demo | ActivityType::Lunch) => "◷",
            Some(ActivityType::Email) => "@",
            _ => "✓",
        },
        class: "activity",
        headline: format!("{}: {}", t.t(type_key(&ty)), text(r, "subject")),
        who: show.names.user(r.get("owner_id").as_int()).unwrap_or_default(),
        when: r.get("created_at").as_int().map(|ms| show.fmt.datetime(ms)).unwrap_or_default(),
        changes: Vec::new(),
        body: (!desc.is_empty()).then_some(desc),
        meta,
        recording: r.get("recording_url").as_text().map(str::to_string),
        task: Some(TaskMark { id: r.id(), done, overdue: !done && due.is_some_and(|d| d < now), back: place.card.clone() }),
        deal: place.deal_link(t, r),
    }
}

/// A Telegram or e-mail message: its channel and direction, sender, subject and text.
fn message_entry(show: &Show<'_>, place: &Place<'_>, m: &Message) -> Entry {
    let t = show.t;
    let channel = match m.channel.as_str() {
        "email" => t.t("timeline.msg.email"),
        "telegram" => t.t("timeline.msg.telegram"),
        "whatsapp" => t.t("timeline.msg.whatsapp"),
        other => other,
    };
    let direction = if m.direction == "out" { "timeline.msg.out" } else { "timeline.msg.in" };
    let mut headline = t.fmt(direction, [("channel", channel)].as_slice());
    if let Some(subject) = m.subject.as_deref().filter(|s| !s.trim().is_empty()) {
        headline = format!("{headline}: {subject}");
    }
    let meta = m.recipients.iter().filter(|r| !r.is_empty()).map(|r| t.fmt("timeline.msg.to", [("to", r.as_str())].as_slice())).collect();
    Entry {
        dom_id: format!("tl-message-{}", m.id),
        icon: match m.channel.as_str() {
            "telegram" => "✈",
            "whatsapp" => "✆",
            _ => "✉",
        },
        class: "message",
        headline,
        who: m.sender.clone().unwrap_or_default(),
        when: show.fmt.datetime(m.sent_at),
        changes: Vec::new(),
        body: Some(m.body.clone()),
        meta,
        recording: None,
        task: None,
        deal: place.deal_link_of(t, m.deal_id),
    }
}

fn entry(show: &Show<'_>, place: &Place<'_>, entity: Entity, item: &TimelineItem, now: i64) -> Entry {
    match item {
        TimelineItem::History(h) => history_entry(show, place, entity, h),
        TimelineItem::Note(r) => note_entry(show, place, r),
        TimelineItem::Activity(r) => activity_entry(show, place, r, now),
        TimelineItem::Message(m) => message_entry(show, place, m),
    }
}

fn type_options(t: T) -> Vec<Opt> {
    ActivityType::ALL.iter().map(|s| Opt { value: s.to_string(), label: t.t(type_key(s)).to_string() }).collect()
}

/// Everything needed to render timeline items of one record.
struct TimelineSource<'a> {
    entity: Entity,
    id: i64,
    defs: &'a [Def],
    currency: String,
    deal_titles: &'a HashMap<i64, String>,
}

async fn load_timeline(st: &AppState, ui: &Ui, src: &TimelineSource<'_>, before: Option<&str>) -> Result<TimelineView, StoreError> {
    let (items, next) = st.db.timeline(&ui.actor, src.entity, src.id, before, PAGE).await?;
    let mut ids = NameIds::default();
    ids.of_items(&items, src.defs, src.entity);
    let names = Names::load(st, ui, ids).await?;
    let show = Show { t: ui.t, fmt: ui.fmt(), names: &names, defs: src.defs, currency: src.currency.clone() };
    let base = card_url(src.entity, src.id);
    let place = Place { card: base.clone(), deal: (src.entity == Entity::Deal).then_some(src.id), deal_titles: src.deal_titles };
    let now = st.db.clock.now_ms();
    let more = next.map(|c| format!("{base}/timeline?before={}", form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>()));
    Ok(TimelineView {
        entries: items.iter().map(|i| entry(&show, &place, src.entity, i, now)).collect(),
        more,
        base,
        csrf: ui.csrf.clone(),
        forms: AddForms { task_type: "task".into(), ..AddForms::default() },
        types: type_options(ui.t),
    })
}

#[derive(Template)]
#[template(path = "timeline.html")]
struct TimelineTpl {
    t: T,
    tl: TimelineView,
}

#[derive(Template)]
#[template(path = "timeline_items.html")]
struct TimelineItemsTpl {
    t: T,
    tl: TimelineView,
}

#[derive(Template)]
#[template(path = "timeline_note_form.html")]
struct NoteFormTpl {
    t: T,
    tl: TimelineView,
}

#[derive(Template)]
#[template(path = "timeline_task_form.html")]
struct TaskFormTpl {
    t: T,
    tl: TimelineView,
}

#[derive(Template)]
#[template(path = "timeline_item.html")]
struct ItemTpl {
    t: T,
    e: Entry,
}

/// What the record's side needs for its timeline: custom fields of the record (history of custom
/// values names them), its currency and, for persons and organizations, their deals' titles.
async fn timeline_source_parts(
    st: &AppState,
    ui: &Ui,
    entity: Entity,
    id: i64,
) -> Result<(Vec<Def>, String, HashMap<i64, String>), StoreError> {
    let row = st.db.get(&ui.actor, entity, id).await?;
    let defs = custom_defs(st, ui, entity).await?;
    let currency = row.get("currency").as_text().unwrap_or(&ui.actor.ws.currency).to_string();
    let titles = if entity == Entity::Deal { HashMap::new() } else { deal_titles(&related_deals(st, ui, entity, id).await?) };
    Ok((defs, currency, titles))
}

fn deal_titles(deals: &[Row]) -> HashMap<i64, String> {
    deals.iter().map(|d| (d.id(), text(d, "title"))).collect()
}

#[derive(Deserialize)]
struct MoreQuery {
    before: Option<String>,
}

/// The next page of a timeline: its items and the next "show more".
async fn timeline_more(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Query(q): Query<MoreQuery>, entity: Entity) -> Response {
    let (defs, currency, titles) = match timeline_source_parts(&st, &ui, entity, id).await {
        Ok(p) => p,
        Err(e) => return store_error(&ui, e),
    };
    let src = TimelineSource { entity, id, defs: &defs, currency, deal_titles: &titles };
    match load_timeline(&st, &ui, &src, q.before.as_deref()).await {
        Ok(tl) => render(&TimelineItemsTpl { t: ui.t, tl }),
        Err(e) => store_error(&ui, e),
    }
}

/// The whole timeline panel, fresh, after something was added to it.
async fn timeline_panel(st: &AppState, ui: &Ui, entity: Entity, id: i64) -> Response {
    let (defs, currency, titles) = match timeline_source_parts(st, ui, entity, id).await {
        Ok(p) => p,
        Err(e) => return store_error(ui, e),
    };
    let src = TimelineSource { entity, id, defs: &defs, currency, deal_titles: &titles };
    match load_timeline(st, ui, &src, None).await {
        Ok(tl) => render(&TimelineTpl { t: ui.t, tl }),
        Err(e) => store_error(ui, e),
    }
}

/// A refusal that names a field, in the reader's language, for showing next to that field.
fn inline_error(ui: &Ui, e: &StoreError) -> Option<(String, String)> {
    field_error(&ui.t, e)
}

/// A refused form: status 422, swapped in place of the form (`target`) rather than what a
/// success replaces.
fn refused<P: Template>(target: &str, page: &P) -> Response {
    let mut resp = render_status(StatusCode::UNPROCESSABLE_ENTITY, page);
    if let Ok(v) = HeaderValue::from_str(target) {
        resp.headers_mut().insert("hx-retarget", v);
        resp.headers_mut().insert("hx-reswap", HeaderValue::from_static("outerHTML"));
    }
    resp
}

/// After a plain (script-less) form post: back to the card.
fn back_to(ui: &Ui, url: &str) -> Option<Response> {
    (!ui.htmx).then(|| Redirect::to(url).into_response())
}

fn bare_forms(ui: &Ui, entity: Entity, id: i64, forms: AddForms) -> TimelineView {
    TimelineView { base: card_url(entity, id), csrf: ui.csrf.clone(), entries: Vec::new(), more: None, forms, types: type_options(ui.t) }
}

/// The column a note or task of `entity` is linked through.
fn link_field(entity: Entity) -> &'static str {
    match entity {
        Entity::Deal => "deal_id",
        Entity::Person => "person_id",
        _ => "organization_id",
    }
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    content: String,
}

async fn add_note(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<NoteForm>, entity: Entity) -> Response {
    let refuse = |message: String| {
        let forms = AddForms { content: form.content.clone(), note_error: Some(message), ..AddForms::default() };
        refused("#note-form", &NoteFormTpl { t: ui.t, tl: bare_forms(&ui, entity, id, forms) })
    };
    if form.content.trim().is_empty() {
        return refuse(ui.t.t("card.err.note_empty").to_string());
    }
    // The record must be visible before anything is linked to it.
    if let Err(e) = st.db.get(&ui.actor, entity, id).await {
        return store_error(&ui, e);
    }
    let body = json!({"content": form.content, link_field(entity): id});
    if let Err(e) = st.db.create(&ui.actor, Entity::Note, &body).await {
        return match inline_error(&ui, &e) {
            Some((_, m)) => refuse(m),
            None => store_error(&ui, e),
        };
    }
    back_to(&ui, &card_url(entity, id)).unwrap_or(timeline_panel(&st, &ui, entity, id).await)
}

#[derive(Deserialize)]
struct TaskForm {
    #[serde(default)]
    r#type: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    due: String,
}

async fn add_task(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<TaskForm>, entity: Entity) -> Response {
    let refuse = |field: &str, message: String| {
        let forms = AddForms {
            task_type: form.r#type.clone(),
            subject: form.subject.clone(),
            due: form.due.clone(),
            task_error: Some((field.to_string(), message)),
            ..AddForms::default()
        };
        refused("#task-form", &TaskFormTpl { t: ui.t, tl: bare_forms(&ui, entity, id, forms) })
    };
    if form.subject.trim().is_empty() {
        return refuse("subject", ui.t.t("card.err.required").to_string());
    }
    let mut body = json!({"type": form.r#type, "subject": form.subject, link_field(entity): id});
    if !form.due.trim().is_empty() {
        match ui.fmt().parse_input_datetime(&form.due) {
            Some(ms) => body["due_at"] = json!(poryadok_core::types::format_ms(ms)),
            None => return refuse("due_at", ui.t.t("card.err.datetime").to_string()),
        }
    }
    if let Err(e) = st.db.get(&ui.actor, entity, id).await {
        return store_error(&ui, e);
    }
    if let Err(e) = st.db.create(&ui.actor, Entity::Activity, &body).await {
        return match inline_error(&ui, &e) {
            Some((f, m)) => refuse(&f, m),
            None => store_error(&ui, e),
        };
    }
    back_to(&ui, &card_url(entity, id)).unwrap_or(timeline_panel(&st, &ui, entity, id).await)
}

#[derive(Deserialize)]
struct DoneForm {
    /// The card the task is shown on, to come back to and to tell whether to link its deal.
    #[serde(default)]
    back: String,
}

/// Marks a task done and answers with its refreshed timeline item.
async fn activity_done(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<DoneForm>) -> Response {
    let row = match st.db.update(&ui.actor, Entity::Activity, id, &json!({"done": true})).await {
        Ok(r) => r,
        Err(e) => return store_error(&ui, e),
    };
    if !ui.htmx {
        let safe = form.back.starts_with('/') && !form.back.starts_with("//");
        return Redirect::to(if safe { &form.back } else { "/today" }).into_response();
    }
    let mut ids = NameIds::default();
    ids.push(RefKind::User, row.get("owner_id").as_int());
    let names = match Names::load(&st, &ui, ids).await {
        Ok(n) => n,
        Err(e) => return store_error(&ui, e),
    };
    let deal = row.get("deal_id").as_int();
    let on_deal = deal.filter(|d| form.back == card_url(Entity::Deal, *d));
    let mut titles = HashMap::new();
    if let (Some(d), None) = (deal, on_deal) {
        if let Ok(r) = st.db.get(&ui.actor, Entity::Deal, d).await {
            titles.insert(d, text(&r, "title"));
        }
    }
    let show = Show { t: ui.t, fmt: ui.fmt(), names: &names, defs: &[], currency: ui.actor.ws.currency.clone() };
    let place = Place { card: form.back.clone(), deal: on_deal, deal_titles: &titles };
    render(&ItemTpl { t: ui.t, e: activity_entry(&show, &place, &row, st.db.clock.now_ms()) })
}

// ---------------------------------------------------------------------------------------------
// The deal card.

pub struct StageStep {
    pub name: String,
    pub done: bool,
    pub current: bool,
}

pub struct StageGroup {
    pub pipeline: String,
    pub stages: Vec<Opt>,
}

pub struct Participant {
    pub name: String,
    pub role: String,
}

/// The deal's side: the head panel (title, status, stage), the fields and the participants.
pub struct DealView {
    pub id: i64,
    pub csrf: String,
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub status_class: &'static str,
    pub pipeline: String,
    pub stage: String,
    pub stage_id: String,
    pub path: Vec<StageStep>,
    pub stage_groups: Vec<StageGroup>,
    pub fields: Vec<FieldView>,
    pub custom: Vec<FieldView>,
    pub participants: Vec<Participant>,
    pub status_form: StatusFormState,
    /// The first touch and the touches since (`intake_touches.html`); filled for the whole card.
    pub attribution: super::intake::Attribution,
    /// The deal's invoices and payments (`invoices_block.html`); filled for the whole card.
    pub invoices: super::invoices::InvoicesBlock,
}

impl DealView {
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }
}

/// What the lost/frozen forms show after a refused submit.
#[derive(Default)]
pub struct StatusFormState {
    /// Which form to show open: `lost` or `frozen`.
    pub open: String,
    pub reason: String,
    pub comment: String,
    pub return_on: String,
    pub error: Option<String>,
    pub stage_error: Option<String>,
}

#[derive(Template)]
#[template(path = "card_deal.html")]
struct DealPage {
    ctx: super::Ctx,
    t: T,
    d: DealView,
    tl: TimelineView,
}

#[derive(Template)]
#[template(path = "card_deal_record.html")]
struct DealRecordTpl {
    t: T,
    d: DealView,
    tl: TimelineView,
}

#[derive(Template)]
#[template(path = "card_deal_head.html")]
struct DealHeadTpl {
    t: T,
    d: DealView,
}

#[derive(Template)]
#[template(path = "card_deal_fields.html")]
struct DealFieldsTpl {
    t: T,
    d: DealView,
}

/// Reads a deal with what its card shows around it.
struct DealData {
    row: Row,
    defs: Vec<Def>,
    names: Names,
    stages: Vec<Row>,
    pipelines: Vec<Row>,
    participants: Vec<Value>,
}

async fn load_deal(st: &AppState, ui: &Ui, id: i64) -> Result<DealData, StoreError> {
    let (db, a) = (&st.db, &ui.actor);
    let row = db.get(a, Entity::Deal, id).await?;
    let defs = custom_defs(st, ui, Entity::Deal).await?;
    let by_position = |limit: &str| ListQuery { limit: Some(limit.into()), sort: Some("position".into()), ..ListQuery::default() };
    let stages = db.list(a, Entity::Stage, &by_position("500")).await?.data;
    let pipelines = db.list(a, Entity::Pipeline, &by_position("100")).await?.data;
    let participants = db.participants(a, id).await?;
    let mut ids = NameIds::default();
    ids.of_row(&row, &defs);
    for p in &participants {
        ids.push(RefKind::User, p["user_id"].as_i64());
    }
    let names = Names::load(st, ui, ids).await?;
    Ok(DealData { row, defs, names, stages, pipelines, participants })
}

/// The deal's fields shown in the side panel, in reading order; empty ones are left out.
const DEAL_LINES: &[&str] = &[
    "value",
    "owner_id",
    "organization_id",
    "person_id",
    "expected_close_date",
    "lost_reason",
    "frozen_reason",
    "close_comment",
    "return_on",
    "source",
];

fn deal_view(ui: &Ui, data: &DealData, status_form: StatusFormState) -> DealView {
    let row = &data.row;
    let currency = row.get("currency").as_text().unwrap_or(&ui.actor.ws.currency).to_string();
    let show = Show { t: ui.t, fmt: ui.fmt(), names: &data.names, defs: &data.defs, currency };
    let status = text(row, "status");
    let (stage_id, pipeline_id) = (row.get("stage_id").as_int(), row.get("pipeline_id").as_int());
    let in_pipeline: Vec<&Row> = data.stages.iter().filter(|s| s.get("pipeline_id").as_int() == pipeline_id).collect();
    let current_pos = in_pipeline.iter().position(|s| Some(s.id()) == stage_id);
    let path = in_pipeline
        .iter()
        .enumerate()
        .map(|(i, s)| StageStep { name: text(s, "name"), done: current_pos.is_some_and(|c| i <= c), current: Some(i) == current_pos })
        .collect();
    let stage_groups = data
        .pipelines
        .iter()
        .map(|p| StageGroup {
            pipeline: text(p, "name"),
            stages: data
                .stages
                .iter()
                .filter(|s| s.get("pipeline_id").as_int() == Some(p.id()))
                .map(|s| Opt { value: s.id().to_string(), label: text(s, "name") })
                .collect(),
        })
        .filter(|g| !g.stages.is_empty())
        .collect();
    let name_of = |rows: &[Row], id: Option<i64>| rows.iter().find(|r| Some(r.id()) == id).map(|r| text(r, "name")).unwrap_or_default();
    DealView {
        id: row.id(),
        csrf: ui.csrf.clone(),
        title: text(row, "title"),
        status_label: ui.t.t(status_key(&status)).to_string(),
        status_class: status_class(&status),
        status,
        pipeline: name_of(&data.pipelines, pipeline_id),
        stage: name_of(&data.stages, stage_id),
        stage_id: stage_id.map(|s| s.to_string()).unwrap_or_default(),
        path,
        stage_groups,
        fields: show.lines(row, DEAL_LINES),
        custom: show.custom_lines(row),
        participants: data
            .participants
            .iter()
            .map(|p| Participant {
                name: data.names.get(RefKind::User, p["user_id"].as_i64().unwrap_or(0)),
                role: p["role"].as_str().unwrap_or("").to_string(),
            })
            .collect(),
        status_form,
        attribution: Default::default(),
        invoices: Default::default(),
    }
}

async fn deal_record(st: &AppState, ui: &Ui, id: i64, status_form: StatusFormState) -> Result<(DealView, TimelineView), StoreError> {
    let data = load_deal(st, ui, id).await?;
    let mut d = deal_view(ui, &data, status_form);
    d.attribution = super::intake::deal_attribution(st, ui, &data.row).await?;
    d.invoices = super::invoices::deal_invoices(st, ui, &data.row).await?;
    let titles = HashMap::new();
    let currency = data.row.get("currency").as_text().unwrap_or(&ui.actor.ws.currency).to_string();
    let src = TimelineSource { entity: Entity::Deal, id, defs: &data.defs, currency, deal_titles: &titles };
    let tl = load_timeline(st, ui, &src, None).await?;
    Ok((d, tl))
}

/// The deal card: the whole page, or for htmx the `#record` part of it.
pub async fn render_deal_card(st: &AppState, ui: &Ui, id: i64) -> Response {
    let (d, tl) = match deal_record(st, ui, id, StatusFormState::default()).await {
        Ok(x) => x,
        Err(e) => return store_error(ui, e),
    };
    if ui.htmx {
        return render(&DealRecordTpl { t: ui.t, d, tl });
    }
    render(&DealPage { ctx: ui.ctx("deals", d.title.clone()), t: ui.t, d, tl })
}

async fn deal_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    render_deal_card(&st, &ui, id).await
}

/// After a change to the deal: the refreshed `#record`, or for a plain form post the card.
async fn deal_changed(st: &AppState, ui: &Ui, id: i64) -> Response {
    if let Some(r) = back_to(ui, &card_url(Entity::Deal, id)) {
        return r;
    }
    render_deal_card(st, &Ui { htmx: true, ..ui.clone() }, id).await
}

/// The head panel again, with the refusal in it.
async fn deal_head_refused(st: &AppState, ui: &Ui, id: i64, form: StatusFormState) -> Response {
    match load_deal(st, ui, id).await {
        Ok(data) => refused("#deal-head", &DealHeadTpl { t: ui.t, d: deal_view(ui, &data, form) }),
        Err(e) => store_error(ui, e),
    }
}

#[derive(Deserialize)]
struct StageForm {
    stage_id: i64,
}

/// Moves the deal to a stage of any pipeline: the keyboard's way to do what the board's drag does.
async fn deal_stage(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<StageForm>) -> Response {
    let moved = match st.db.get(&ui.actor, Entity::Stage, form.stage_id).await {
        Ok(stage) => {
            let body = json!({"stage_id": form.stage_id, "pipeline_id": stage.get("pipeline_id").as_int()});
            st.db.update(&ui.actor, Entity::Deal, id, &body).await
        }
        Err(StoreError::NotFound) => Err(StoreError::invalid("stage_id", ui.t.t("card.err.no_stage"))),
        Err(e) => Err(e),
    };
    match moved {
        Ok(_) => deal_changed(&st, &ui, id).await,
        Err(e) => match inline_error(&ui, &e) {
            Some((_, m)) => deal_head_refused(&st, &ui, id, StatusFormState { stage_error: Some(m), ..StatusFormState::default() }).await,
            None => store_error(&ui, e),
        },
    }
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    return_on: String,
}

/// The store's write for a status change: the reason and comment go with lost and frozen (and
/// the return date with frozen), and are cleared otherwise so a reopened deal keeps nothing stale.
fn status_body(status: DealStatus, form: &StatusForm) -> Value {
    let (reason, comment, back) = (form.reason.trim(), form.comment.trim(), form.return_on.trim());
    let or_null = |s: &str| if s.is_empty() { Value::Null } else { json!(s) };
    match status {
        DealStatus::Lost => {
            json!({"status": "lost", "lost_reason": reason, "frozen_reason": null, "close_comment": or_null(comment), "return_on": null})
        }
        DealStatus::Frozen => {
            json!({"status": "frozen", "frozen_reason": reason, "lost_reason": null, "close_comment": or_null(comment), "return_on": or_null(back)})
        }
        other => json!({"status": other.as_str(), "lost_reason": null, "frozen_reason": null, "close_comment": null, "return_on": null}),
    }
}

async fn deal_status(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<StatusForm>) -> Response {
    let Some(status) = DealStatus::parse(&form.status) else {
        return store_error(&ui, StoreError::invalid("status", "unknown status"));
    };
    let refuse = |message: String| StatusFormState {
        open: form.status.clone(),
        reason: form.reason.clone(),
        comment: form.comment.clone(),
        return_on: form.return_on.clone(),
        error: Some(message),
        stage_error: None,
    };
    let needs_reason = matches!(status, DealStatus::Lost | DealStatus::Frozen);
    if needs_reason && form.reason.trim().is_empty() {
        return deal_head_refused(&st, &ui, id, refuse(ui.t.t("card.err.reason").to_string())).await;
    }
    if let Err(e) = st.db.update(&ui.actor, Entity::Deal, id, &status_body(status, &form)).await {
        return match inline_error(&ui, &e) {
            Some((_, m)) => deal_head_refused(&st, &ui, id, refuse(m)).await,
            None => store_error(&ui, e),
        };
    }
    deal_changed(&st, &ui, id).await
}

/// The read-only fields panel (what "Cancel" of the edit form goes back to).
async fn deal_fields(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    match load_deal(&st, &ui, id).await {
        Ok(data) => render(&DealFieldsTpl { t: ui.t, d: deal_view(&ui, &data, StatusFormState::default()) }),
        Err(e) => store_error(&ui, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Editing the deal in place.

/// One input of the edit form.
pub struct Input {
    pub name: String,
    pub label: String,
    /// `text`, `number`, `date`, `url`, `select`.
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<Opt>,
    pub required: bool,
    pub error: Option<String>,
    /// Takes the focus when the form comes back refused, so the reader lands on the problem.
    pub focus: bool,
}

impl Input {
    /// The `type` of its `<input>`: amounts and numbers are text so a comma or spaces can be typed.
    pub fn html_type(&self) -> &'static str {
        match self.kind {
            "date" | "url" => self.kind,
            _ => "text",
        }
    }
    pub fn numeric(&self) -> bool {
        matches!(self.kind, "money" | "number")
    }
    pub fn dom_id(&self) -> String {
        format!("f-{}", self.name.replace('.', "-"))
    }
    pub fn error_id(&self) -> String {
        format!("{}-error", self.dom_id())
    }
}

pub struct DealFormView {
    pub id: i64,
    pub csrf: String,
    /// The version the form was filled from; the save applies only to that version.
    pub version: i64,
    pub inputs: Vec<Input>,
    /// A refusal that names no field of the form.
    pub error: Option<String>,
    /// Someone else saved the deal after this form was opened.
    pub stale: bool,
}

#[derive(Template)]
#[template(path = "card_deal_form.html")]
struct DealFormTpl {
    t: T,
    f: DealFormView,
}

/// Owners, organizations and persons the form offers, by name.
struct Choices {
    users: Vec<Opt>,
    orgs: Vec<Opt>,
    persons: Vec<Opt>,
}

async fn choices(st: &AppState, ui: &Ui, deal: &Row, names: &Names) -> Result<Choices, StoreError> {
    let named = |filters: Vec<(String, String)>| ListQuery {
        limit: Some(CHOICES.into()),
        sort: Some("name".into()),
        filters,
        ..ListQuery::default()
    };
    let opts = |rows: Vec<Row>| rows.iter().map(|r| Opt { value: r.id().to_string(), label: text(r, "name") }).collect::<Vec<_>>();
    let (db, a) = (&st.db, &ui.actor);
    let mut c = Choices {
        users: opts(db.list(a, Entity::User, &named(vec![("active".into(), "true".into())])).await?.data),
        orgs: opts(db.list(a, Entity::Organization, &named(Vec::new())).await?.data),
        persons: opts(db.list(a, Entity::Person, &named(Vec::new())).await?.data),
    };
    // The current link stays choosable even when it is not among the offered ones.
    for (list, field, kind) in [
        (&mut c.users, "owner_id", RefKind::User),
        (&mut c.orgs, "organization_id", RefKind::Org),
        (&mut c.persons, "person_id", RefKind::Person),
    ] {
        if let Some(id) = deal.get(field).as_int() {
            if !list.iter().any(|o| o.value == id.to_string()) {
                list.insert(0, Opt { value: id.to_string(), label: names.get(kind, id) });
            }
        }
    }
    Ok(c)
}

fn with_none(t: T, opts: &[Opt]) -> Vec<Opt> {
    std::iter::once(Opt { value: String::new(), label: t.t("common.none").to_string() })
        .chain(opts.iter().map(|o| Opt { value: o.value.clone(), label: o.label.clone() }))
        .collect()
}

/// `150000` minor units as typed in a form: `1500` or `1500.50`.
fn money_input(minor: i64) -> String {
    if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        format!("{}.{:02}", minor / 100, (minor % 100).abs())
    }
}

/// A typed amount (`1 500,50`, `1500.5`) in minor units; `None` for an empty field.
fn parse_money(s: &str) -> Result<Option<i64>, ()> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace(',', ".");
    if s.is_empty() {
        return Ok(None);
    }
    let (units, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if !digits(units) || !digits(frac) || frac.len() > 2 || (units.is_empty() && frac.is_empty()) {
        return Err(());
    }
    let units: i64 = if units.is_empty() { 0 } else { units.parse().map_err(|_| ())? };
    let cents: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| ())? };
    units.checked_mul(100).and_then(|u| u.checked_add(cents)).map(Some).ok_or(())
}

/// The form's inputs, their values read through `value_of` (a stored deal or a submitted form).
fn deal_inputs(t: T, defs: &[Def], c: &Choices, value_of: &dyn Fn(&str) -> String) -> Vec<Input> {
    let input = |name: &str, label: String, kind: &'static str, options: Vec<Opt>| Input {
        name: name.to_string(),
        label,
        kind,
        value: value_of(name),
        options,
        required: name == "title",
        error: None,
        focus: false,
    };
    let mut v = vec![
        input("title", t.t("card.f.title").into(), "text", Vec::new()),
        input("value", t.t("card.f.value").into(), "money", Vec::new()),
        input("currency", t.t("card.f.currency").into(), "text", Vec::new()),
        input("owner_id", t.t("card.f.owner").into(), "select", with_none(t, &c.users)),
        input("organization_id", t.t("card.f.organization").into(), "select", with_none(t, &c.orgs)),
        input("person_id", t.t("card.f.person").into(), "select", with_none(t, &c.persons)),
        input("expected_close_date", t.t("card.f.expected_close_date").into(), "date", Vec::new()),
        input("source", t.t("card.f.source").into(), "text", Vec::new()),
    ];
    for d in defs {
        let name = format!("custom.{}", d.key);
        let (kind, options) = match d.ty {
            CustomFieldType::Number => ("number", Vec::new()),
            CustomFieldType::Money => ("money", Vec::new()),
            CustomFieldType::Date => ("date", Vec::new()),
            CustomFieldType::Url => ("url", Vec::new()),
            CustomFieldType::Enum => {
                ("select", with_none(t, &d.options.iter().map(|o| Opt { value: o.clone(), label: o.clone() }).collect::<Vec<_>>()))
            }
            CustomFieldType::Bool => (
                "select",
                with_none(
                    t,
                    &[
                        Opt { value: "true".into(), label: t.t("common.yes").into() },
                        Opt { value: "false".into(), label: t.t("common.no").into() },
                    ],
                ),
            ),
            CustomFieldType::User => ("select", with_none(t, &c.users)),
            CustomFieldType::Organization => ("select", with_none(t, &c.orgs)),
            CustomFieldType::Text => ("text", Vec::new()),
        };
        v.push(input(&name, d.label.clone(), kind, options));
    }
    v
}

/// A stored deal's value for a form input.
fn stored_value(row: &Row, defs: &[Def], name: &str) -> String {
    if let Some(d) = custom_def(name, defs) {
        return match (d.ty, custom_map(row).get(&d.key)) {
            (_, None | Some(Value::Null)) => String::new(),
            (CustomFieldType::Money, Some(v)) => v.as_i64().map(money_input).unwrap_or_default(),
            (_, Some(Value::String(s))) => s.clone(),
            (_, Some(v)) => v.to_string(),
        };
    }
    match (name, row.get(name)) {
        ("value", Val::Int(m)) => money_input(*m),
        (_, Val::Int(i)) => i.to_string(),
        (_, Val::Text(s)) => s.clone(),
        (_, Val::Bool(b)) => b.to_string(),
        (_, Val::Null) => String::new(),
    }
}

/// The submitted form as the store's update body; a value that cannot be read names its field.
fn deal_body(inputs: &[Input], defs: &[Def], t: T) -> Result<Value, (String, String)> {
    let mut body = Map::new();
    let mut custom = Map::new();
    for i in inputs {
        let raw = i.value.trim();
        let bad = |key: &str| (i.name.clone(), t.t(key).to_string());
        let v = if raw.is_empty() {
            Value::Null
        } else {
            match (i.kind, i.name.as_str()) {
                ("money", _) => json!(parse_money(raw).map_err(|_| bad("card.err.money"))?),
                ("number", _) => match raw.replace(',', ".") {
                    n if n.parse::<i64>().is_ok() => json!(n.parse::<i64>().unwrap_or_default()),
                    n => json!(n.parse::<f64>().ok().filter(|f| f.is_finite()).ok_or_else(|| bad("card.err.number"))?),
                },
                (_, "owner_id" | "organization_id" | "person_id") => json!(raw.parse::<i64>().map_err(|_| bad("card.err.number"))?),
                _ => match custom_def(&i.name, defs).map(|d| d.ty) {
                    Some(CustomFieldType::Bool) => json!(raw == "true"),
                    Some(CustomFieldType::User | CustomFieldType::Organization) => {
                        json!(raw.parse::<i64>().map_err(|_| bad("card.err.number"))?)
                    }
                    _ => json!(raw),
                },
            }
        };
        // An emptied amount means zero, as a new deal starts.
        let v = if i.name == "value" && v.is_null() { json!(0) } else { v };
        match i.name.strip_prefix("custom.") {
            Some(key) => {
                custom.insert(key.to_string(), v);
            }
            None => {
                body.insert(i.name.clone(), v);
            }
        }
    }
    if !custom.is_empty() {
        body.insert("custom".into(), Value::Object(custom));
    }
    Ok(Value::Object(body))
}

async fn deal_form(st: &AppState, ui: &Ui, id: i64, submitted: Option<&[(String, String)]>) -> Result<DealFormView, StoreError> {
    let data = load_deal(st, ui, id).await?;
    let c = choices(st, ui, &data.row, &data.names).await?;
    let inputs = match submitted {
        Some(pairs) => {
            let lookup = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
            deal_inputs(ui.t, &data.defs, &c, &lookup)
        }
        None => deal_inputs(ui.t, &data.defs, &c, &|name| stored_value(&data.row, &data.defs, name)),
    };
    let stored = data.row.get("version").as_int().unwrap_or(1);
    let version =
        submitted.and_then(|pairs| pairs.iter().find(|(k, _)| k == "version")).and_then(|(_, v)| v.parse::<i64>().ok()).unwrap_or(stored);
    Ok(DealFormView { id, csrf: ui.csrf.clone(), version, inputs, error: None, stale: false })
}

async fn deal_edit(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    match deal_form(&st, &ui, id, None).await {
        Ok(f) => render(&DealFormTpl { t: ui.t, f }),
        Err(e) => store_error(&ui, e),
    }
}

/// The form again, with the message next to its field (or above the form).
fn form_refused(t: T, mut f: DealFormView, field: String, message: String) -> DealFormView {
    match f.inputs.iter_mut().find(|i| i.name == field) {
        Some(i) => {
            i.error = Some(message);
            i.focus = true;
        }
        None => f.error = Some(format!("{}: {message}", super::messages::field_label(&t, &field))),
    }
    f
}

async fn deal_save(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let f = match deal_form(&st, &ui, id, Some(&pairs)).await {
        Ok(f) => f,
        Err(e) => return store_error(&ui, e),
    };
    let defs = match custom_defs(&st, &ui, Entity::Deal).await {
        Ok(d) => d,
        Err(e) => return store_error(&ui, e),
    };
    let body = match deal_body(&f.inputs, &defs, ui.t) {
        Ok(b) => b,
        Err((field, message)) => return refused("#deal-fields", &DealFormTpl { t: ui.t, f: form_refused(ui.t, f, field, message) }),
    };
    match st.db.update_if(&ui.actor, Entity::Deal, id, &body, Some(f.version)).await {
        Ok(_) => deal_changed(&st, &ui, id).await,
        Err(StoreError::Stale { .. }) => refused("#deal-fields", &DealFormTpl { t: ui.t, f: DealFormView { stale: true, ..f } }),
        Err(e) => match inline_error(&ui, &e) {
            Some((field, message)) => refused("#deal-fields", &DealFormTpl { t: ui.t, f: form_refused(ui.t, f, field, message) }),
            None => store_error(&ui, e),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Person and organization cards.

pub struct DealRow {
    pub id: i64,
    pub title: String,
    pub stage: String,
    pub value: String,
    pub status_label: String,
    pub status_class: &'static str,
}

pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub job_title: String,
}

pub struct ContactView {
    pub title: String,
    pub subtitle: String,
    pub fields: Vec<FieldView>,
    pub custom: Vec<FieldView>,
    pub deals: Vec<DealRow>,
    /// An organization's people (empty for a person).
    pub people: Vec<PersonRow>,
    pub is_org: bool,
    /// Where the "merge with…" block loads from, for users who may change the record.
    pub merge_url: Option<String>,
    /// Labels assistants set and what they did lately.
    pub assistants: super::assistants::CardBlock,
}

#[derive(Template)]
#[template(path = "card_contact.html")]
struct ContactPage {
    ctx: super::Ctx,
    t: T,
    c: ContactView,
    tl: TimelineView,
}

/// A contact's deals shown on their card, newest first.
const RELATED: &str = "100";

async fn related_deals(st: &AppState, ui: &Ui, entity: Entity, id: i64) -> Result<Vec<Row>, StoreError> {
    let lq = ListQuery {
        limit: Some(RELATED.into()),
        sort: Some("-updated_at".into()),
        filters: vec![(link_field(entity).into(), id.to_string())],
        ..ListQuery::default()
    };
    Ok(st.db.list(&ui.actor, Entity::Deal, &lq).await?.data)
}

const PERSON_LINES: &[&str] = &["organization_id", "phone", "email", "telegram", "whatsapp", "owner_id"];
const ORG_LINES: &[&str] = &["address", "website", "tax_id", "owner_id"];

async fn contact_view(st: &AppState, ui: &Ui, entity: Entity, row: &Row, defs: &[Def], deals: &[Row]) -> Result<ContactView, StoreError> {
    let is_org = entity == Entity::Organization;
    let people = if is_org {
        let lq = ListQuery {
            limit: Some(RELATED.into()),
            sort: Some("name".into()),
            filters: vec![("organization_id".into(), row.id().to_string())],
            ..ListQuery::default()
        };
        st.db.list(&ui.actor, Entity::Person, &lq).await?.data
    } else {
        Vec::new()
    };
    let mut ids = NameIds::default();
    ids.of_row(row, defs);
    for d in deals {
        ids.push(RefKind::Stage, d.get("stage_id").as_int());
    }
    let names = Names::load(st, ui, ids).await?;
    let show = Show { t: ui.t, fmt: ui.fmt(), names: &names, defs, currency: ui.actor.ws.currency.clone() };
    let lines = if is_org { ORG_LINES } else { PERSON_LINES };
    Ok(ContactView {
        title: text(row, "name"),
        subtitle: if is_org { String::new() } else { text(row, "job_title") },
        fields: show.lines(row, lines),
        custom: show.custom_lines(row),
        deals: deals
            .iter()
            .map(|d| {
                let status = text(d, "status");
                let currency = d.get("currency").as_text().unwrap_or(&ui.actor.ws.currency).to_string();
                DealRow {
                    id: d.id(),
                    title: text(d, "title"),
                    stage: d.get("stage_id").as_int().map(|s| names.get(RefKind::Stage, s)).unwrap_or_default(),
                    value: ui.fmt().money(d.get("value").as_int().unwrap_or(0), &currency),
                    status_label: ui.t.t(status_key(&status)).to_string(),
                    status_class: status_class(&status),
                }
            })
            .collect(),
        people: people.iter().map(|p| PersonRow { id: p.id(), name: text(p, "name"), job_title: text(p, "job_title") }).collect(),
        is_org,
        merge_url: ui.actor.caller.may_write(entity).is_ok().then(|| format!("{}/merge", card_url(entity, row.id()))),
        assistants: super::assistants::card_block(st, ui, entity, row.id()).await?,
    })
}

async fn contact_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, entity: Entity) -> Response {
    let loaded = async {
        let row = st.db.get(&ui.actor, entity, id).await?;
        let defs = custom_defs(&st, &ui, entity).await?;
        let deals = related_deals(&st, &ui, entity, id).await?;
        let c = contact_view(&st, &ui, entity, &row, &defs, &deals).await?;
        let titles = deal_titles(&deals);
        let src = TimelineSource { entity, id, defs: &defs, currency: ui.actor.ws.currency.clone(), deal_titles: &titles };
        let tl = load_timeline(&st, &ui, &src, None).await?;
        Ok::<_, StoreError>((c, tl))
    };
    match loaded.await {
        Ok((c, tl)) => {
            let nav = if entity == Entity::Person { "persons" } else { "organizations" };
            render(&ContactPage { ctx: ui.ctx(nav, c.title.clone()), t: ui.t, c, tl })
        }
        Err(e) => store_error(&ui, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang;

    fn names() -> Names {
        let mut n = Names::default();
        n.users.insert(7, "Анна".into());
        n.stages.insert(1, "Новый".into());
        n.stages.insert(2, "Переговоры".into());
        n
    }

    fn defs() -> Vec<Def> {
        vec![
            Def { key: "budget".into(), label: "Бюджет".into(), ty: CustomFieldType::Money, options: vec![] },
            Def { key: "vip".into(), label: "VIP".into(), ty: CustomFieldType::Bool, options: vec![] },
        ]
    }

    #[test]
    fn history_changes_read_as_labels_and_names() {
        let (n, d) = (names(), defs());
        let show = Show {
            t: T::new(Lang::Ru),
            fmt: Fmt { lang: Lang::Ru, tz: "Europe/Moscow".into() },
            names: &n,
            defs: &d,
            currency: "RUB".into(),
        };
        let c = json!({
            "stage_id": {"from": 1, "to": 2},
            "owner_id": {"from": null, "to": 7},
            "value": {"from": 0, "to": 15_000_000},
            "status": {"from": "open", "to": "lost"},
            "stage_entered_at": {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"},
            "custom.budget": {"from": null, "to": 500_000},
            "custom.vip": {"from": false, "to": true},
            "expected_close_date": {"from": null, "to": "2026-12-31"},
            "participants": {"from": null, "to": {"user_id": 7, "role": "consultant"}},
        });
        let lines = changes(&show, &c);
        let find = |label: &str| lines.iter().find(|l| l.label == label).map(|l| (l.from.as_str(), l.to.as_str()));
        assert_eq!(find("Этап"), Some(("Новый", "Переговоры")));
        assert_eq!(find("Ответственный"), Some(("—", "Анна")));
        assert_eq!(find("Сумма"), Some(("0\u{a0}₽", "150\u{a0}000\u{a0}₽")));
        assert_eq!(find("Статус"), Some(("Открыта", "Проиграна")));
        assert_eq!(find("Бюджет"), Some(("—", "5\u{a0}000\u{a0}₽")));
        assert_eq!(find("VIP"), Some(("Нет", "Да")));
        assert_eq!(find("Ожидаемая дата закрытия"), Some(("—", "31.12.2026")));
        assert_eq!(find("Участники"), Some(("—", "Анна (consultant)")));
        assert!(find("stage_entered_at").is_none(), "derived stamps are not listed: {lines:?}");
        assert_eq!(lines.len(), 8);
    }

    #[test]
    fn amounts_are_read_as_typed_and_written_back_the_same() {
        assert_eq!(parse_money("1 500,50"), Ok(Some(150_050)));
        assert_eq!(parse_money("1500.5"), Ok(Some(150_050)));
        assert_eq!(parse_money("\u{a0}"), Ok(None));
        assert_eq!(parse_money(",5"), Ok(Some(50)));
        for bad in ["1.234", "abc", "-5", "1.2.3", "."] {
            assert_eq!(parse_money(bad), Err(()), "{bad}");
        }
        assert_eq!(money_input(150_050), "1500.50");
        assert_eq!(money_input(150_000), "1500");
        assert_eq!(parse_money(&money_input(7)), Ok(Some(7)));
    }

    #[test]
    fn every_generated_key_is_translated() {
        let t = T::new(Lang::En);
        let fields = [Entity::Deal, Entity::Person, Entity::Organization, Entity::Activity, Entity::Note]
            .iter()
            .flat_map(|e| e.fields().iter().map(|f| f.name))
            .chain(["participants"]);
        let mut keys: Vec<&str> = fields.filter_map(field_key).collect();
        keys.extend(DealStatus::ALL.iter().map(|s| status_key(s)));
        keys.extend(ActivityType::ALL.iter().map(|s| type_key(s)));
        keys.extend(["inbound", "outbound", "answered", "missed", "busy", "failed"].map(call_key));
        keys.extend([Entity::Deal, Entity::Person, Entity::Organization].map(created_key));
        for k in keys {
            assert_ne!(t.t(k), k, "{k} is not in the catalogue");
        }
    }

    #[test]
    fn status_writes_carry_the_right_reason() {
        let form = |reason: &str, comment: &str| StatusForm {
            status: String::new(),
            reason: reason.into(),
            comment: comment.into(),
            return_on: String::new(),
        };
        assert_eq!(
            status_body(DealStatus::Lost, &form(" Дорого ", "Бюджет")),
            json!({"status": "lost", "lost_reason": "Дорого", "frozen_reason": null, "close_comment": "Бюджет", "return_on": null})
        );
        assert_eq!(
            status_body(DealStatus::Open, &form("x", "y")),
            json!({"status": "open", "lost_reason": null, "frozen_reason": null, "close_comment": null, "return_on": null})
        );
    }
}

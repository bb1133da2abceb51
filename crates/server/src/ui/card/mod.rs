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
        .route("/persons/{id}/unmark", post(unmark_person))
        .route("/activities/{id}/done", post(activity_done))
        .merge(record_form::routes())
        .merge(deal_close::routes());
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
    for entity in [Entity::Deal, Entity::Person] {
        let base = format!("/{}/{{id}}", entity.path());
        r = r
            .route(
                &format!("{base}/reply"),
                get(move |st: State<AppState>, ui: Ui, id: Path<i64>| reply_form(st, ui, id, entity))
                    .post(move |st: State<AppState>, ui: Ui, id: Path<i64>, f: Form<ReplyForm>| reply_send(st, ui, id, f, entity)),
            )
            .route(
                &format!("{base}/reply/fill"),
                get(move |st: State<AppState>, ui: Ui, id: Path<i64>, q: Query<ReplyForm>| reply_fill(st, ui, id, q, entity)),
            )
            .route(
                &format!("{base}/reply/upload"),
                post(move |st: State<AppState>, ui: Ui, id: Path<i64>, h: axum::http::HeaderMap, b: axum::body::Body| {
                    reply_upload(st, ui, id, h, b, entity)
                }),
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
    pub(super) users: Vec<i64>,
    pub(super) stages: Vec<i64>,
    pub(super) pipelines: Vec<i64>,
    pub(super) orgs: Vec<i64>,
    pub(super) persons: Vec<i64>,
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
        "not_lead_reason" => "card.f.not_lead_reason",
        "close_comment" => "card.f.close_comment",
        "return_on" => "card.f.return_on",
        "job_title" => "card.f.job_title",
        "phone" => "card.f.phone",
        "email" => "card.f.email",
        "other_phones" => "card.f.other_phones",
        "other_emails" => "card.f.other_emails",
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
        Some(DealStatus::NotLead) => "card.status.not_lead",
        None => "common.none",
    }
}

fn status_class(s: &str) -> &'static str {
    match DealStatus::parse(s) {
        Some(DealStatus::Won) => "ok",
        Some(DealStatus::Lost) => "danger",
        Some(DealStatus::Frozen) => "warn",
        Some(DealStatus::NotLead) => "muted",
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
            // A list of phones, e-mails or options reads as the values, comma-separated.
            Value::Array(items) => items.iter().map(|i| self.plain(i)).collect::<Vec<_>>().join(", "),
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
        let mut out = Vec::new();
        for field in fields {
            let Some(v) = json.get(*field).filter(|v| !v.is_null() && v.as_str() != Some("")) else { continue };
            // A list (more phones, more e-mails) is a line per value.
            if let Some(items) = v.as_array() {
                out.extend(items.iter().map(|i| FieldView { label: self.label(field), value: self.value(field, i), href: None }));
                continue;
            }
            let href = if *field == "website" { v.as_str().and_then(safe_href) } else { self.href(field, v) };
            out.push(FieldView { label: self.label(field), value: self.value(field, v), href });
        }
        out
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

mod contact;
mod deal;
mod deal_close;
mod deal_form;
mod record_form;
mod reply;
#[cfg(test)]
mod tests;
mod timeline;

use contact::*;
pub use contact::{ContactView, DealRow, PersonRow};
use deal::*;
pub use deal::{render_deal_card, DealView, Participant, StageGroup, StageStep, StatusFormState};
pub use deal_close::{ask_for_fields, missing_fields, CloseView, CompleteView};
use deal_form::*;
pub use deal_form::{DealFormView, Input};
pub use record_form::{PickView, RecordFormView, Taken};
use reply::*;
pub use reply::{ChannelOpt, ReplyView, TemplateOpt};
use timeline::*;
pub use timeline::{AddForms, Change, Entry, Place, TaskMark, TimelineView};

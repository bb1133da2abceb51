//! Intake in the web UI: the sources page of Settings (the webhook address, how a sender
//! authenticates, the secret shown once on creation and rotation), a source's own page (routing
//! of new leads, the telephony mapping, the IMAP mailbox), the inbox of raw events with their
//! errors and "re-process" after a fix, and the attribution block of a deal's card.
//!
//! Everything goes through the store's intake calls with the signed-in user, so the rules are the
//! API's: administrators manage sources and re-process events, heads of sales read the inbox.
//! A source's config is edited as a whole: the page starts from the stored config and replaces
//! only the keys its inputs own, so keys another editor writes (a web form's fields) survive.
use super::settings::{self, NavItem};
use super::{error_page, field_error, messages, render, render_status, store_error, Ctx, Ui};
use crate::ui::i18n::{Lang, T};
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
use poryadok_core::types::Val;
use poryadok_store::intake::{BodyEncoding, EventDetail, InboundEvent, Made, Source, StoredMsg, EVENT_STATUSES, SOURCE_KINDS};
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
const EDITED_KEYS: [&str; 10] =
    ["pipeline_id", "stage_id", "owner_id", "pool", "callback_minutes", "preset", "mapping", "imap", "bot_token", "callback"];
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

/// The menu item the inbox and an event's page light up: a head's *Intake inbox*; an
/// administrator's *Settings*, where their way to the inbox starts (Settings → Intake).
fn inbox_nav(ui: &Ui) -> &'static str {
    if ui.is_admin() {
        "settings"
    } else {
        "intake"
    }
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
        "whatsapp" => t.t("intake.kind.whatsapp"),
        "meetings" => t.t("intake.kind.meetings"),
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
        "whatsapp" => "WhatsApp".to_string(),
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

mod attribution;
mod event;
mod inbox;
mod source;
mod sources;
#[cfg(test)]
mod tests;

pub use attribution::*;
use event::*;
use inbox::*;
use source::*;
use sources::*;

//! Settings → Уведомления клиентам / Client notifications (administrators): quiet hours and,
//! per stage and event, a switch, a channel and a template — the same store calls as
//! `GET|PUT /api/v1/client_notifications`. And the user's own mail account (`/profile/mail`,
//! each user for themselves; `/api/v1/me/smtp`): the password is never shown back.
use super::i18n::T;
use super::kit::{render, render_status, Admin, OrUi, UiResult};
use super::{Ctx, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Form, Router};
use poryadok_core::client_notify::NOTIFY_CHANNELS;
use poryadok_store::client_notify::ClientNotifySettings;
use poryadok_store::own_smtp::{ShownOwnSmtp, TLS_MODES};
use serde_json::{json, Value};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/client_notifications", get(show).post(save)).route("/profile/mail", get(mail_show).post(mail_save))
}

pub struct RuleRow {
    pub n: usize,
    pub event: &'static str,
    pub stage_id: String,
    /// What it is: "Stage: Pipeline → Stage" or the event's name.
    pub label: String,
    pub enabled: bool,
    pub channel: String,
    pub template_key: String,
}

#[derive(Template)]
#[template(path = "settings_client_notify.html")]
struct Page {
    ctx: Ctx,
    t: T,
    csrf: String,
    quiet_hours: String,
    timezone: String,
    rows: Vec<RuleRow>,
    channels: Vec<(&'static str, String)>,
    /// The workspace's template keys.
    keys: Vec<String>,
    notice: Option<String>,
    error: Option<String>,
}

fn channel_label(t: T, c: &str) -> String {
    t.t(&format!("client_notify.channel.{c}")).to_string()
}

fn page(ui: &Ui, s: &ClientNotifySettings, keys: Vec<String>) -> Page {
    let t = ui.t;
    let rows = s
        .rules
        .iter()
        .enumerate()
        .map(|(n, r)| RuleRow {
            n,
            event: r.event,
            stage_id: r.stage_id.map(|s| s.to_string()).unwrap_or_default(),
            label: match (&r.stage, &r.pipeline) {
                (Some(s), Some(p)) => t.fmt("client_notify.stage_entry", [("pipeline", p.as_str()), ("stage", s.as_str())].as_slice()),
                _ => t.t(&format!("client_notify.event.{}", r.event)).to_string(),
            },
            enabled: r.enabled,
            channel: r.channel.clone(),
            template_key: r.template_key.clone(),
        })
        .collect();
    Page {
        ctx: ui.ctx("settings", t.t("client_notify.title")),
        t,
        csrf: ui.csrf.clone(),
        quiet_hours: s.quiet_hours.clone().unwrap_or_default(),
        timezone: s.timezone.clone(),
        rows,
        channels: NOTIFY_CHANNELS.iter().map(|c| (*c, channel_label(t, c))).collect(),
        keys,
        notice: None,
        error: None,
    }
}

async fn template_keys(st: &AppState, ui: &Ui) -> Vec<String> {
    let mut keys: Vec<String> = st.db.reply_templates(&ui.actor).await.unwrap_or_default().into_iter().map(|t| t.key).collect();
    keys.dedup();
    keys
}

async fn show(State(st): State<AppState>, Admin(ui): Admin) -> UiResult {
    let s = st.db.client_notify_settings(&ui.actor).await.or_ui(&ui)?;
    let keys = template_keys(&st, &ui).await;
    Ok(render(&page(&ui, &s, keys)))
}

async fn save(State(st): State<AppState>, Admin(ui): Admin, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let current = st.db.client_notify_settings(&ui.actor).await.or_ui(&ui)?;
    let get = |k: String| form.get(&k).map(|v| v.trim().to_string()).unwrap_or_default();
    let rules: Vec<Value> = current
        .rules
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let mut v = json!({
                "event": r.event,
                "enabled": form.contains_key(&format!("enabled_{n}")),
                "channel": get(format!("channel_{n}")),
                "template_key": get(format!("template_{n}")),
            });
            if let Some(s) = r.stage_id {
                v["stage_id"] = json!(s);
            }
            v
        })
        .collect();
    let body = json!({"quiet_hours": get("quiet_hours".into()), "rules": rules});
    let keys = template_keys(&st, &ui).await;
    match st.db.set_client_notify_settings(&ui.actor, &body).await {
        Ok(s) => {
            let mut p = page(&ui, &s, keys);
            p.notice = Some(ui.t.t("client_notify.saved").to_string());
            Ok(render(&p))
        }
        Err(e) => match super::messages::refusal_line(&ui.t, &e) {
            Some(line) if matches!(e, poryadok_store::StoreError::Validation(_)) => {
                let mut p = page(&ui, &current, keys);
                p.quiet_hours = get("quiet_hours".into());
                p.error = Some(line);
                Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p))
            }
            _ => Err(ui.fail(e)),
        },
    }
}

#[derive(Template)]
#[template(path = "profile_mail.html")]
struct MailPage {
    ctx: Ctx,
    t: T,
    csrf: String,
    host: String,
    port: String,
    tls: String,
    login: String,
    from: String,
    password_set: bool,
    modes: Vec<(&'static str, String)>,
    notice: Option<String>,
    error: Option<String>,
}

fn mail_page(ui: &Ui, a: Option<&ShownOwnSmtp>) -> MailPage {
    MailPage {
        ctx: ui.ctx("profile", ui.t.t("own_smtp.title")),
        t: ui.t,
        csrf: ui.csrf.clone(),
        host: a.map(|a| a.host.clone()).unwrap_or_default(),
        port: a.map(|a| a.port.to_string()).unwrap_or_default(),
        tls: a.map_or_else(|| "starttls".to_string(), |a| a.tls.clone()),
        login: a.and_then(|a| a.login.clone()).unwrap_or_default(),
        from: a.and_then(|a| a.from.clone()).unwrap_or_default(),
        password_set: a.is_some_and(|a| a.password_set),
        modes: TLS_MODES.iter().map(|m| (*m, ui.t.t(&format!("own_smtp.tls.{m}")).to_string())).collect(),
        notice: None,
        error: None,
    }
}

async fn mail_show(State(st): State<AppState>, ui: Ui) -> UiResult {
    let a = st.db.own_smtp(&ui.actor).await.or_ui(&ui)?;
    Ok(render(&mail_page(&ui, a.as_ref())))
}

async fn mail_save(State(st): State<AppState>, ui: Ui, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let get = |k: &str| form.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let body = if form.contains_key("remove") || get("host").is_empty() {
        Value::Null
    } else {
        let opt = |k: &str| Some(get(k)).filter(|v| !v.is_empty()).map_or(Value::Null, Value::from);
        json!({"host": get("host"), "port": opt("port"), "tls": get("tls"), "login": opt("login"), "password": opt("password"), "from": opt("from")})
    };
    match st.db.set_own_smtp(&ui.actor, &body).await {
        Ok(a) => {
            let mut p = mail_page(&ui, a.as_ref());
            p.notice = Some(ui.t.t(if a.is_some() { "own_smtp.saved" } else { "own_smtp.removed" }).to_string());
            Ok(render(&p))
        }
        Err(e) => match super::messages::refusal_line(&ui.t, &e) {
            Some(line) if matches!(e, poryadok_store::StoreError::Validation(_)) => {
                let stored = st.db.own_smtp(&ui.actor).await.or_ui(&ui)?;
                let mut p = mail_page(&ui, stored.as_ref());
                (p.host, p.port, p.tls, p.login, p.from) = (get("host"), get("port"), get("tls"), get("login"), get("from"));
                p.error = Some(line);
                Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p))
            }
            _ => Err(ui.fail(e)),
        },
    }
}

//! Settings → Реквизиты / Requisites: the workspace's own legal details (administrators), which
//! documents print. `GET /settings/requisites` shows them, `POST` saves them (a refused value is
//! shown beside its input, the form keeps what was typed).
use super::i18n::T;
use super::kit::{render, render_status, Admin, OrUi, UiResult};
use super::{Ctx, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Form, Router};
use poryadok_core::requisites::KEYS;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/requisites", get(show).post(save))
}

pub struct Input {
    pub key: &'static str,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
    pub wide: bool,
}

#[derive(Template)]
#[template(path = "settings_requisites.html")]
struct Page {
    ctx: Ctx,
    t: T,
    csrf: String,
    inputs: Vec<Input>,
    notice: Option<String>,
    version: i64,
}

fn inputs(t: T, value: impl Fn(&str) -> String, error: Option<(String, String)>) -> Vec<Input> {
    KEYS.iter()
        .map(|k| Input {
            key: k,
            label: t.t(&format!("requisites.{k}")).to_string(),
            value: value(k),
            error: error.as_ref().filter(|(f, _)| f == k).map(|(_, m)| m.clone()),
            wide: matches!(*k, "legal_name" | "legal_address" | "bank_name"),
        })
        .collect()
}

fn page(ui: &Ui, inputs: Vec<Input>, notice: Option<String>, version: i64) -> Page {
    Page { ctx: ui.ctx("settings", ui.t.t("requisites.title")), t: ui.t, csrf: ui.csrf.clone(), inputs, notice, version }
}

async fn show(State(st): State<AppState>, Admin(ui): Admin) -> UiResult {
    let r = st.db.workspace_requisites(&ui.actor).await.or_ui(&ui)?;
    let inputs = inputs(ui.t, |k| r.requisites.get(k).unwrap_or("").to_string(), None);
    Ok(render(&page(&ui, inputs, None, r.version)))
}

async fn save(State(st): State<AppState>, Admin(ui): Admin, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let body = serde_json::Value::Object(KEYS.iter().map(|k| (k.to_string(), form.get(*k).cloned().unwrap_or_default().into())).collect());
    let expected = form.get("version").and_then(|v| v.parse::<i64>().ok());
    match st.db.put_workspace_requisites(&ui.actor, &body, expected).await {
        Ok(r) => {
            let inputs = inputs(ui.t, |k| r.requisites.get(k).unwrap_or("").to_string(), None);
            Ok(render(&page(&ui, inputs, Some(ui.t.t("requisites.saved").to_string()), r.version)))
        }
        Err(e) => match super::kit::field_error(&ui.t, &e) {
            Some(err) => {
                let typed = |k: &str| form.get(k).cloned().unwrap_or_default();
                Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&ui, inputs(ui.t, typed, Some(err)), None, expected.unwrap_or(0))))
            }
            None => Err(ui.fail(e)),
        },
    }
}

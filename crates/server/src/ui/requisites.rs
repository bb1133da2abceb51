//! Settings → Реквизиты / Requisites: the workspace's own legal details (administrators), which
//! documents print. `GET /settings/requisites` shows them, `POST` saves them (a refused value is
//! shown beside its input, the form keeps what was typed).
//!
//! The organization card's «Реквизиты» block: `GET /requisites/card/organizations/{id}` (the card
//! loads it with htmx) shows the client's requisites and, for whoever may change records, a form;
//! `POST` saves them through the organization's write path (`requisites`, ИНН check digits and the
//! rest checked as in the API), a refused value beside its input.
use super::i18n::T;
use super::kit::{render, render_status, Admin, OrUi, UiResult};
use super::{Ctx, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Form, Router};
use poryadok_core::requisites::KEYS;
use poryadok_core::schema::Entity;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/requisites", get(show).post(save))
        .route("/requisites/card/organizations/{id}", get(org_block).post(org_save))
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

/// A refusal by field: (key, text).
type FieldRefusal = (String, String);

/// The organization card's requisites block.
#[derive(Template)]
#[template(path = "org_requisites_block.html")]
struct OrgBlock {
    t: T,
    csrf: String,
    org_id: i64,
    /// (label, value) of the parts that are filled.
    filled: Vec<(String, String)>,
    inputs: Vec<Input>,
    may_write: bool,
    open: bool,
    notice: Option<String>,
}

fn org_view(
    ui: &Ui,
    org_id: i64,
    r: &poryadok_core::requisites::Requisites,
    typed: Option<(&HashMap<String, String>, FieldRefusal)>,
) -> OrgBlock {
    let filled = KEYS
        .iter()
        .filter_map(|k| r.get(k).filter(|v| !v.is_empty()).map(|v| (ui.t.t(&format!("requisites.{k}")).to_string(), v.to_string())))
        .collect();
    let (inputs, open) = match typed {
        Some((form, err)) => (inputs(ui.t, |k| form.get(k).cloned().unwrap_or_default(), Some(err)), true),
        None => (inputs(ui.t, |k| r.get(k).unwrap_or("").to_string(), None), false),
    };
    OrgBlock {
        t: ui.t,
        csrf: ui.csrf.clone(),
        org_id,
        filled,
        inputs,
        may_write: ui.actor.caller.may_write(Entity::Organization).is_ok(),
        open,
        notice: None,
    }
}

async fn org_block(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    st.db.get(&ui.actor, Entity::Organization, id).await.or_ui(&ui)?;
    let r = poryadok_store::requisites::organization(&st.db, ui.actor.ws_id(), id).await.or_ui(&ui)?;
    Ok(render(&org_view(&ui, id, &r, None)))
}

async fn org_save(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let body =
        serde_json::Value::Object(KEYS.iter().map(|k| (k.to_string(), form.get(*k).map(|v| v.trim()).unwrap_or("").into())).collect());
    match st.db.update(&ui.actor, Entity::Organization, id, &serde_json::json!({ "requisites": body })).await {
        Ok(_) => {
            let r = poryadok_store::requisites::organization(&st.db, ui.actor.ws_id(), id).await.or_ui(&ui)?;
            let mut view = org_view(&ui, id, &r, None);
            view.notice = Some(ui.t.t("requisites.saved").to_string());
            Ok(render(&view))
        }
        Err(e) => match super::kit::field_error(&ui.t, &e) {
            Some((field, msg)) => {
                let key = field.strip_prefix("requisites.").unwrap_or(&field).to_string();
                let r = poryadok_store::requisites::organization(&st.db, ui.actor.ws_id(), id).await.or_ui(&ui)?;
                Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &org_view(&ui, id, &r, Some((&form, (key, msg))))))
            }
            None => Err(ui.fail(e)),
        },
    }
}

//! Settings → Товары / Products: the catalogue that line items are picked from (administrators;
//! docs/DOCUMENTS.md). The list with a search and the archived products on demand, a form to
//! add a product, one per row to change it, and archive / restore.
//!
//! - `GET /settings/products[?q=…&archived=1]` — the page;
//! - `POST /settings/products` — add (`name`, `sku`, `unit`, `price` as typed money, `currency`,
//!   `vat_rate`);
//! - `POST /settings/products/{id}` — change (the same fields and `version`);
//! - `POST /settings/products/{id}/archive`, `/restore`.
//!
//! Writes go through the store's product calls with the signed-in user; a refused value is shown
//! beside its input and the form keeps what was typed (422).
use super::i18n::T;
use super::kit::{render_status, Admin, OrUi, UiResult};
use super::settings::NavItem;
use super::{Ctx, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::line_items::VatRate;
use poryadok_store::documents::Product;
use poryadok_store::StoreError;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub const HREF: &str = "/settings/products";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HREF, get(show).post(create))
        .route("/settings/products/{id}", post(update))
        .route("/settings/products/{id}/archive", post(archive))
        .route("/settings/products/{id}/restore", post(restore))
}

pub fn nav_item(t: &T, active: bool) -> NavItem {
    NavItem { href: HREF.into(), label: t.t("products.nav"), active }
}

/// An amount as typed into a form: `1234,56` (or `1234.56` in English).
pub fn input_amount(t: T, minor: i64) -> String {
    let sep = if t.lang == poryadok_core::Lang::Ru { ',' } else { '.' };
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}{sep}{:02}", minor.unsigned_abs() / 100, minor.unsigned_abs() % 100)
}

/// Typed money (`1 500,50`, `1500.5`, `1500`) in minor units, or the refusal for `field`, in the
/// reader's language (the API's `price_shape` speaks of minor units, which the form does not).
pub fn typed_price(t: T, field: &str, raw: &str) -> Result<i64, (String, String)> {
    match poryadok_store::invoices::import::parse_amount(raw) {
        Ok(v) if v >= 0 => Ok(v),
        _ => Err((field.to_string(), t.t("products.err.price").to_string())),
    }
}

/// The VAT rates as a select offers them: (code, label).
pub fn vat_choices(t: T) -> Vec<(String, String)> {
    VatRate::ALL.iter().map(|r| (r.code().to_string(), r.label(t.lang))).collect()
}

/// What a product form shows: the values (as stored or as typed) and a refusal by field.
#[derive(Default, Clone)]
pub struct ProductForm {
    pub name: String,
    pub sku: String,
    pub unit: String,
    pub price: String,
    pub currency: String,
    pub vat_rate: String,
    pub version: i64,
    pub error: Option<(String, String)>,
}

impl ProductForm {
    pub fn err(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    /// A refusal that names none of the form's inputs.
    pub fn other_error(&self) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| !matches!(f.as_str(), "name" | "sku" | "unit" | "price" | "currency" | "vat_rate"))
            .map(|(_, m)| m.as_str())
    }
}

pub struct Row {
    pub id: i64,
    pub name: String,
    pub sku: Option<String>,
    pub unit: String,
    pub price: String,
    pub vat: String,
    pub archived: bool,
    pub form: ProductForm,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "settings_products.html")]
struct Page {
    ctx: Ctx,
    t: T,
    nav: Vec<NavItem>,
    csrf: String,
    q: String,
    archived: bool,
    rows: Vec<Row>,
    /// Products in the catalogue at all (the empty state differs from "nothing found").
    total: usize,
    vat: Vec<(String, String)>,
    currencies: Vec<String>,
    new: ProductForm,
    new_open: bool,
    notice: Option<String>,
}

fn form_of(t: T, p: &Product) -> ProductForm {
    ProductForm {
        name: p.name.clone(),
        sku: p.sku.clone().unwrap_or_default(),
        unit: p.unit.clone(),
        price: input_amount(t, p.price),
        currency: p.currency.clone(),
        vat_rate: p.vat_rate.clone(),
        version: p.version,
        error: None,
    }
}

#[derive(Default)]
struct View {
    q: String,
    archived: bool,
    notice: Option<String>,
    new: Option<ProductForm>,
    /// A row's form as typed, with its refusal.
    edited: Option<(i64, ProductForm)>,
}

fn query_view(raw: Option<&str>) -> View {
    let mut v = View::default();
    for (k, val) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "q" => v.q = val.trim().to_string(),
            "archived" => v.archived = matches!(val.as_ref(), "1" | "true" | "on"),
            _ => {}
        }
    }
    v
}

async fn page(st: &AppState, ui: &Ui, v: View, status: StatusCode) -> UiResult {
    let all = st.db.products(&ui.actor, true).await.or_ui(ui)?;
    let fmt = ui.fmt();
    let needle = v.q.to_lowercase();
    let rows = all
        .iter()
        .filter(|p| v.archived || p.status == "active" || v.edited.as_ref().is_some_and(|(id, _)| *id == p.id))
        .filter(|p| {
            needle.is_empty()
                || p.name.to_lowercase().contains(&needle)
                || p.sku.as_ref().is_some_and(|s| s.to_lowercase().contains(&needle))
        })
        .map(|p| {
            let edited = v.edited.as_ref().filter(|(id, _)| *id == p.id).map(|(_, f)| f.clone());
            Row {
                id: p.id,
                name: p.name.clone(),
                sku: p.sku.clone(),
                unit: p.unit.clone(),
                price: fmt.money(p.price, &p.currency),
                vat: VatRate::parse(&p.vat_rate).map(|r| r.label(ui.t.lang)).unwrap_or_default(),
                archived: p.status == "archived",
                open: edited.is_some(),
                form: edited.unwrap_or_else(|| form_of(ui.t, p)),
            }
        })
        .collect();
    let mut nav = super::settings::nav_outside(&ui.t);
    for item in &mut nav {
        item.active = item.href == HREF;
    }
    let title = format!("{} · {}", ui.t.t("nav.settings"), ui.t.t("products.title"));
    let new_open = v.new.is_some();
    let ws_currency = ui.actor.ws.currency.clone();
    let new = v.new.unwrap_or_else(|| ProductForm {
        unit: "шт".into(),
        vat_rate: "22".into(),
        currency: ws_currency.clone(),
        ..ProductForm::default()
    });
    let mut currencies = super::kit::currency_choices(&ws_currency);
    for p in &all {
        if !currencies.contains(&p.currency) {
            currencies.push(p.currency.clone());
        }
    }
    let page = Page {
        ctx: ui.ctx("settings", title),
        t: ui.t,
        nav,
        csrf: ui.csrf.clone(),
        q: v.q,
        archived: v.archived,
        rows,
        total: all.len(),
        vat: vat_choices(ui.t),
        currencies,
        new,
        new_open,
        notice: v.notice,
    };
    Ok(render_status(status, &page))
}

async fn show(State(st): State<AppState>, Admin(ui): Admin, RawQuery(q): RawQuery) -> UiResult {
    page(&st, &ui, query_view(q.as_deref()), StatusCode::OK).await
}

/// The typed form and the JSON body it stands for (a price that does not read is refused here).
fn read_form(t: T, form: &HashMap<String, String>) -> (ProductForm, Result<Value, (String, String)>) {
    let get = |k: &str| form.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let typed = ProductForm {
        name: get("name"),
        sku: get("sku"),
        unit: get("unit"),
        price: get("price"),
        currency: get("currency"),
        vat_rate: get("vat_rate"),
        version: get("version").parse().unwrap_or(0),
        error: None,
    };
    let body = (|| {
        let mut m = Map::new();
        m.insert("name".into(), json!(typed.name));
        m.insert("sku".into(), json!(typed.sku));
        m.insert("unit".into(), json!(typed.unit));
        if !typed.currency.is_empty() {
            m.insert("currency".into(), json!(typed.currency));
        }
        m.insert("price".into(), json!(typed_price(t, "price", &typed.price)?));
        m.insert("vat_rate".into(), json!(typed.vat_rate));
        Ok(Value::Object(m))
    })();
    (typed, body)
}

fn refused(ui: &Ui, e: StoreError) -> Result<(String, String), super::UiError> {
    match super::kit::field_error(&ui.t, &e) {
        Some(err) => Ok(err),
        None => Err(ui.fail(e)),
    }
}

async fn create(State(st): State<AppState>, Admin(ui): Admin, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let (mut typed, body) = read_form(ui.t, &form);
    let made = match body {
        Ok(b) => st.db.create_product(&ui.actor, &b).await.map_err(|e| refused(&ui, e)),
        Err(e) => Err(Ok(e)),
    };
    match made {
        Ok(p) => {
            let notice = ui.t.fmt("products.created", [("name", p.name.as_str())].as_slice());
            page(&st, &ui, View { notice: Some(notice), ..View::default() }, StatusCode::OK).await
        }
        Err(e) => {
            typed.error = Some(e?);
            page(&st, &ui, View { new: Some(typed), ..View::default() }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

async fn update(State(st): State<AppState>, Admin(ui): Admin, Path(id): Path<i64>, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let (mut typed, body) = read_form(ui.t, &form);
    let changed = match body {
        Ok(b) => match st.db.update_product(&ui.actor, id, &b, Some(typed.version)).await {
            Err(StoreError::Stale { .. }) => {
                let notice = ui.t.t("products.stale").to_string();
                return page(&st, &ui, View { notice: Some(notice), ..View::default() }, StatusCode::PRECONDITION_FAILED).await;
            }
            r => r.map_err(|e| refused(&ui, e)),
        },
        Err(e) => Err(Ok(e)),
    };
    match changed {
        Ok(p) => {
            let notice = ui.t.fmt("products.saved", [("name", p.name.as_str())].as_slice());
            page(&st, &ui, View { notice: Some(notice), ..View::default() }, StatusCode::OK).await
        }
        Err(e) => {
            typed.error = Some(e?);
            page(&st, &ui, View { edited: Some((id, typed)), ..View::default() }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

async fn set_status(st: &AppState, ui: &Ui, id: i64, status: &str, key: &str) -> UiResult {
    let p = st.db.update_product(&ui.actor, id, &json!({ "status": status }), None).await.or_ui(ui)?;
    let notice = ui.t.fmt(key, [("name", p.name.as_str())].as_slice());
    page(st, ui, View { notice: Some(notice), archived: status == "archived", ..View::default() }, StatusCode::OK).await
}

async fn archive(State(st): State<AppState>, Admin(ui): Admin, Path(id): Path<i64>) -> UiResult {
    set_status(&st, &ui, id, "archived", "products.archived_notice").await
}

async fn restore(State(st): State<AppState>, Admin(ui): Admin, Path(id): Path<i64>) -> UiResult {
    set_status(&st, &ui, id, "active", "products.restored").await
}

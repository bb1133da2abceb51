//! The «Позиции» / "Line items" panel of the deal card (docs/DOCUMENTS.md): the deal's lines
//! (name, quantity × price, discount, VAT rate, sum) with the totals (without VAT, VAT, to pay),
//! a form to add a line from the catalogue or a free one, each line changed in place or removed,
//! and the switch that makes the lines' sum the deal's value.
//!
//! - `GET /line-items/card/deals/{id}` — the panel (the card loads it with htmx);
//! - `POST /line-items/card/deals/{id}` — add a line;
//! - `POST /line-items/card/deals/{id}/{item}` — change it (with its `version`);
//! - `POST /line-items/card/deals/{id}/{item}/delete` — remove it;
//! - `POST /line-items/card/deals/{id}/value` — the "sum drives the deal value" switch.
//!
//! Every change goes through the store's line-item calls with the signed-in user; a refused value
//! is shown beside its input (422) and the panel keeps what was typed.
use super::i18n::T;
use super::kit::{render_status, OrUi, UiResult};
use super::products::{input_amount, typed_price, vat_choices};
use super::Ui;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::line_items::Discount;
use poryadok_store::documents::{DealLines, LineItem};
use poryadok_store::StoreError;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/line-items/card/deals/{id}", get(block).post(add))
        .route("/line-items/card/deals/{id}/value", post(value_switch))
        .route("/line-items/card/deals/{id}/{item}", post(update))
        .route("/line-items/card/deals/{id}/{item}/delete", post(delete))
}

/// A line form as shown: the values (stored or typed) and a refusal by field.
#[derive(Default, Clone)]
pub struct LineForm {
    pub product_id: String,
    pub name: String,
    pub quantity: String,
    pub price: String,
    pub discount: String,
    pub vat_rate: String,
    pub version: i64,
    pub error: Option<(String, String)>,
}

impl LineForm {
    pub fn err(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    pub fn other_error(&self) -> Option<&str> {
        const OWN: [&str; 6] = ["product_id", "name", "quantity", "price", "discount", "vat_rate"];
        self.error.as_ref().filter(|(f, _)| !OWN.contains(&f.as_str())).map(|(_, m)| m.as_str())
    }
}

pub struct Row {
    pub id: i64,
    pub n: usize,
    pub name: String,
    pub quantity: String,
    pub unit: String,
    pub price: String,
    pub discount: String,
    pub vat: String,
    pub sum: String,
    pub form: LineForm,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "line_items_block.html")]
pub struct Block {
    pub t: T,
    pub csrf: String,
    pub deal_id: i64,
    pub rows: Vec<Row>,
    pub net: String,
    pub vat: String,
    pub gross: String,
    pub discount: String,
    pub prices_include_vat: bool,
    pub value_from_items: bool,
    /// (id, "name — price / unit")
    pub products: Vec<(i64, String)>,
    pub vat_choices: Vec<(String, String)>,
    pub new: LineForm,
    pub new_open: bool,
    pub may_write: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The lines changed the deal's value: the block has the card reload the deal's details.
    pub refresh_value: bool,
}

/// A quantity as the reader writes it: `1,5` in Russian.
fn show_quantity(t: T, q: &str) -> String {
    if t.lang == poryadok_core::Lang::Ru {
        q.replace('.', ",")
    } else {
        q.to_string()
    }
}

/// A discount as typed back into the form: `10%`, or money.
fn discount_input(t: T, d: Discount) -> String {
    match d {
        Discount::None => String::new(),
        Discount::Percent(bp) => format!("{}%", show_quantity(t, &poryadok_core::line_items::format_percent(bp))),
        Discount::Amount(a) => input_amount(t, a),
    }
}

fn form_of(t: T, l: &LineItem) -> LineForm {
    LineForm {
        product_id: l.product_id.map(|p| p.to_string()).unwrap_or_default(),
        name: l.name.clone(),
        quantity: show_quantity(t, &l.quantity),
        price: input_amount(t, l.price),
        discount: discount_input(t, l.discount_parts),
        vat_rate: l.vat_rate.clone(),
        version: l.version,
        error: None,
    }
}

#[derive(Default)]
struct View {
    notice: Option<String>,
    error: Option<String>,
    new: Option<LineForm>,
    edited: Option<(i64, LineForm)>,
    /// A line or the switch was changed (the deal's value may follow).
    changed: bool,
}

async fn build(st: &AppState, ui: &Ui, deal_id: i64, v: View) -> Result<Block, super::UiError> {
    let lines: DealLines = st.db.line_items(&ui.actor, deal_id).await.or_ui(ui)?;
    let fmt = ui.fmt();
    let cur = lines.currency.clone();
    let money = |m: i64| fmt.money(m, &cur);
    let rows = lines
        .items
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let edited = v.edited.as_ref().filter(|(id, _)| *id == l.id).map(|(_, f)| f.clone());
            let discount = match l.discount_parts {
                Discount::None => String::new(),
                Discount::Percent(bp) => format!("−{} %", show_quantity(ui.t, &poryadok_core::line_items::format_percent(bp))),
                Discount::Amount(_) => format!("−{}", money(l.sums.discount)),
            };
            Row {
                id: l.id,
                n: i + 1,
                name: l.name.clone(),
                quantity: show_quantity(ui.t, &l.quantity),
                unit: l.unit.clone(),
                price: money(l.price),
                discount,
                vat: l.vat().label(ui.t.lang),
                sum: money(l.sums.payable),
                open: edited.is_some(),
                form: edited.unwrap_or_else(|| form_of(ui.t, l)),
            }
        })
        .collect();
    let may_write = ui.actor.caller.may_write(poryadok_core::schema::Entity::Deal).is_ok();
    let products = if may_write {
        st.db
            .products(&ui.actor, false)
            .await
            .or_ui(ui)?
            .into_iter()
            .map(|p| {
                let label = match &p.sku {
                    Some(sku) => format!("{} ({sku}) — {} / {}", p.name, fmt.money(p.price, &p.currency), p.unit),
                    None => format!("{} — {} / {}", p.name, fmt.money(p.price, &p.currency), p.unit),
                };
                (p.id, label)
            })
            .collect()
    } else {
        Vec::new()
    };
    let t = &lines.totals;
    let new_open = v.new.is_some();
    Ok(Block {
        t: ui.t,
        csrf: ui.csrf.clone(),
        deal_id,
        rows,
        net: money(t.payable - t.vat),
        vat: money(t.vat),
        gross: money(t.payable),
        discount: if t.discount > 0 { money(t.discount) } else { String::new() },
        prices_include_vat: lines.prices_include_vat,
        value_from_items: lines.value_from_items,
        products,
        vat_choices: vat_choices(ui.t),
        new: v.new.unwrap_or_else(|| LineForm { quantity: "1".into(), ..LineForm::default() }),
        new_open,
        may_write,
        notice: v.notice,
        error: v.error,
        refresh_value: v.changed && lines.value_from_items,
    })
}

async fn respond(st: &AppState, ui: &Ui, deal_id: i64, v: View, status: StatusCode) -> UiResult {
    Ok(render_status(status, &build(st, ui, deal_id, v).await?))
}

async fn block(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    respond(&st, &ui, id, View::default(), StatusCode::OK).await
}

/// The form as typed and the JSON body it stands for; `adding` leaves out what the product
/// gives when a product is chosen and the input was left empty.
fn read_form(t: T, form: &HashMap<String, String>, adding: bool) -> (LineForm, Result<Value, (String, String)>) {
    let get = |k: &str| form.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let typed = LineForm {
        product_id: get("product_id"),
        name: get("name"),
        quantity: get("quantity"),
        price: get("price"),
        discount: get("discount"),
        vat_rate: get("vat_rate"),
        version: get("version").parse().unwrap_or(0),
        error: None,
    };
    let body = (|| {
        let mut m = Map::new();
        let product = typed.product_id.parse::<i64>().ok().filter(|p| *p > 0);
        if adding {
            if let Some(p) = product {
                m.insert("product_id".into(), json!(p));
            }
        }
        let from_product = adding && product.is_some();
        if !typed.name.is_empty() || !from_product {
            m.insert("name".into(), json!(typed.name));
        }
        if !typed.quantity.is_empty() || !adding {
            m.insert("quantity".into(), json!(typed.quantity.replace(',', ".").replace(' ', "")));
        }
        if !typed.price.is_empty() || !from_product {
            m.insert("price".into(), json!(typed_price(t, "price", &typed.price)?));
        }
        let d = typed.discount.replace(' ', "");
        let discount = if d.is_empty() {
            Value::Null
        } else if let Some(p) = d.strip_suffix('%') {
            json!({"percent": p.replace(',', ".")})
        } else {
            json!({"amount": typed_price(t, "discount", &d).map_err(|_| ("discount".to_string(), t.t("lines.err.discount").to_string()))?})
        };
        m.insert("discount".into(), discount);
        if !typed.vat_rate.is_empty() {
            m.insert("vat_rate".into(), json!(typed.vat_rate));
        }
        Ok(Value::Object(m))
    })();
    (typed, body)
}

fn refused(ui: &Ui, e: StoreError) -> Result<(String, String), super::UiError> {
    super::kit::field_error(&ui.t, &e).ok_or_else(|| ui.fail(e))
}

async fn add(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let (mut typed, body) = read_form(ui.t, &form, true);
    let made = match body {
        Ok(b) => st.db.add_line_item(&ui.actor, id, &b).await.map_err(|e| refused(&ui, e)),
        Err(e) => Err(Ok(e)),
    };
    match made {
        Ok(l) => {
            let notice = ui.t.fmt("lines.added", [("name", l.name.as_str())].as_slice());
            respond(&st, &ui, id, View { notice: Some(notice), changed: true, ..View::default() }, StatusCode::OK).await
        }
        Err(e) => {
            typed.error = Some(e?);
            respond(&st, &ui, id, View { new: Some(typed), ..View::default() }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

async fn update(
    State(st): State<AppState>,
    ui: Ui,
    Path((id, item)): Path<(i64, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> UiResult {
    let (mut typed, body) = read_form(ui.t, &form, false);
    let changed = match body {
        Ok(b) => match st.db.update_line_item(&ui.actor, id, item, &b, Some(typed.version)).await {
            Err(StoreError::Stale { .. }) => {
                let error = ui.t.t("lines.stale").to_string();
                return respond(&st, &ui, id, View { error: Some(error), ..View::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            r => r.map_err(|e| refused(&ui, e)),
        },
        Err(e) => Err(Ok(e)),
    };
    match changed {
        Ok(l) => {
            let notice = ui.t.fmt("lines.saved", [("name", l.name.as_str())].as_slice());
            respond(&st, &ui, id, View { notice: Some(notice), changed: true, ..View::default() }, StatusCode::OK).await
        }
        Err(e) => {
            typed.error = Some(e?);
            respond(&st, &ui, id, View { edited: Some((item, typed)), ..View::default() }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

async fn delete(State(st): State<AppState>, ui: Ui, Path((id, item)): Path<(i64, i64)>) -> UiResult {
    let lines = st.db.line_items(&ui.actor, id).await.or_ui(&ui)?;
    let name = lines.items.iter().find(|l| l.id == item).map(|l| l.name.clone()).ok_or_else(|| ui.fail(StoreError::NotFound))?;
    st.db.delete_line_item(&ui.actor, id, item, None).await.or_ui(&ui)?;
    let notice = ui.t.fmt("lines.removed", [("name", name.as_str())].as_slice());
    respond(&st, &ui, id, View { notice: Some(notice), changed: true, ..View::default() }, StatusCode::OK).await
}

async fn value_switch(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<HashMap<String, String>>) -> UiResult {
    let on = form.get("value_from_items").is_some_and(|v| v == "1");
    match st.db.set_value_from_items(&ui.actor, id, on).await {
        Ok(_) => {
            let notice = ui.t.t(if on { "lines.value_on" } else { "lines.value_off" }).to_string();
            respond(&st, &ui, id, View { notice: Some(notice), changed: true, ..View::default() }, StatusCode::OK).await
        }
        Err(e) => {
            let line = super::messages::refusal_line(&ui.t, &e).ok_or_else(|| ui.fail(e))?;
            respond(&st, &ui, id, View { error: Some(line), ..View::default() }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

//! Invoices in the web UI: the block on the deal card (the deal's invoices with what is paid and
//! due, a form for a new invoice and one to record a payment per open invoice), and the
//! `/invoices` list with its filters and, for administrators and heads, the import of an
//! accounting export with its report.
//!
//! Writes go through the same store calls as the API with the signed-in user. A refused form
//! answers 422 with the block again, the message next to the field, so htmx swaps it in place.
use super::format::Fmt;
use super::i18n::T;
use super::{messages, render, render_status, store_error, Ui};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::domain::Role;
use poryadok_core::msg::InvoiceMsg;
use poryadok_core::schema::Entity;
use poryadok_core::Msg;
use poryadok_store::invoices::import::{parse_amount, ImportReport};
use poryadok_store::invoices::{Invoice, InvoiceQuery, Payment};
use poryadok_store::{Row, StoreError};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/invoices", get(list_page))
        .route("/invoices/import", post(import).layer(DefaultBodyLimit::max(crate::api::invoices::MAX_IMPORT_BYTES)))
        .route("/deals/{id}/invoices", get(deal_block).post(create))
        .route("/invoices/{id}/payments", post(pay))
}

// ---------------------------------------------------------------------------------------------
// Shared: how an invoice reads.

fn status_view(t: &T, inv: &Invoice, today: &str) -> (String, &'static str) {
    let status = inv.display_status(today);
    let class = match status {
        "overdue" => "danger",
        "paid" => "ok",
        "open" => "info",
        _ => "",
    };
    (t.t(&format!("invoices.status.{status}")).to_string(), class)
}

/// An amount as typed back into a form: `1234,56` (or `1234.56` in English).
fn input_amount(t: &T, minor: i64) -> String {
    let sep = if t.code() == "ru" { ',' } else { '.' };
    format!("{}{sep}{:02}", minor / 100, minor % 100)
}

/// A refusal that belongs next to a form field, in the reader's language, or `None` when it is
/// not about the form. The open balance reads as money in the invoice's currency.
fn form_error(ui: &Ui, fmt: &Fmt, currency: &str, e: &StoreError) -> Option<(String, String)> {
    match e {
        StoreError::Validation(fe) => match fe.msg.as_ref() {
            Msg::InvoiceMsg(InvoiceMsg::ExceedsBalance { balance }) => {
                Some((fe.field.clone(), ui.t.fmt("invoices.err.over_balance", &[("balance", fmt.money(*balance, currency).as_str())])))
            }
            _ => messages::field_error(&ui.t, e),
        },
        _ => messages::field_error(&ui.t, e),
    }
}

// ---------------------------------------------------------------------------------------------
// The block on the deal card.

pub struct PaymentView {
    pub date: String,
    pub amount: String,
    pub reference: String,
    pub imported: bool,
}

/// The "record a payment" form of one invoice.
#[derive(Default)]
pub struct PayForm {
    pub open: bool,
    pub amount: String,
    pub paid_on: String,
    pub reference: String,
    pub error: Option<(String, String)>,
}

/// What every view shows of an invoice: its number, dates, sums and status, formatted.
pub struct Figures {
    pub number: String,
    pub issued: String,
    pub due: String,
    pub amount: String,
    pub paid: String,
    pub balance: String,
    pub status_label: String,
    pub status_class: &'static str,
    pub overdue: bool,
}

fn figures(t: &T, fmt: &Fmt, inv: &Invoice, today: &str) -> Figures {
    let (status_label, status_class) = status_view(t, inv, today);
    Figures {
        number: inv.number.clone(),
        issued: fmt.date_str(&inv.issued_on),
        due: inv.due_on.as_deref().map(|d| fmt.date_str(d)).unwrap_or_default(),
        amount: fmt.money(inv.amount, &inv.currency),
        paid: fmt.money(inv.paid_amount, &inv.currency),
        balance: fmt.money(inv.balance(), &inv.currency),
        status_label,
        status_class,
        overdue: inv.is_overdue(today),
    }
}

pub struct InvoiceView {
    pub id: i64,
    pub f: Figures,
    pub can_pay: bool,
    pub comment: String,
    pub payments: Vec<PaymentView>,
    pub pay: PayForm,
}

/// The "new invoice" form.
#[derive(Default)]
pub struct NewForm {
    pub open: bool,
    pub number: String,
    pub amount: String,
    pub issued_on: String,
    pub due_on: String,
    pub comment: String,
    pub error: Option<(String, String)>,
}

impl NewForm {
    pub fn error_for(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|(f, _)| f == field)
    }
}

/// The deal's invoices, as `invoices_block.html` shows them.
#[derive(Default)]
pub struct InvoicesBlock {
    pub deal_id: i64,
    pub csrf: String,
    pub may_write: bool,
    pub rows: Vec<InvoiceView>,
    /// What is still owed on the deal's open invoices.
    pub owed: String,
    pub today: String,
    pub notice: Option<String>,
    pub new: NewForm,
}

/// `d.invoices` for rendering the block on its own.
pub struct BlockHolder {
    pub invoices: InvoicesBlock,
}

#[derive(Template)]
#[template(path = "invoices_block.html")]
struct BlockTpl {
    t: T,
    d: BlockHolder,
}

fn payment_view(fmt: &Fmt, currency: &str, p: &Payment) -> PaymentView {
    PaymentView {
        date: fmt.date_str(&p.paid_on),
        amount: fmt.money(p.amount, currency),
        reference: p.reference.clone().unwrap_or_default(),
        imported: p.source == poryadok_store::invoices::SOURCE_IMPORT,
    }
}

/// The block of the deal `row` (already read with the signed-in user's rights).
pub async fn deal_invoices(st: &AppState, ui: &Ui, row: &Row) -> Result<InvoicesBlock, StoreError> {
    load_block(st, ui, row.id(), NewForm::default(), None, None).await
}

/// The block with a form re-opened: the new-invoice form's state, or one invoice's payment form.
async fn load_block(
    st: &AppState,
    ui: &Ui,
    deal_id: i64,
    new: NewForm,
    pay: Option<(i64, PayForm)>,
    notice: Option<String>,
) -> Result<InvoicesBlock, StoreError> {
    let (db, a) = (&st.db, &ui.actor);
    let iq = InvoiceQuery { deal_id: Some(deal_id), limit: Some("200".into()), ..InvoiceQuery::default() };
    let invoices = db.invoices(a, &iq).await?.data;
    let today = db.today(a);
    let fmt = ui.fmt();
    let may_write = ui.actor.caller.role.can_write_records();
    let mut pay = pay;
    let mut rows = Vec::with_capacity(invoices.len());
    let mut owed: HashMap<String, i64> = HashMap::new();
    let paid: Vec<i64> = invoices.iter().filter(|i| i.paid_amount > 0).map(|i| i.id).collect();
    let mut payments = db.payments_of_invoices(a, &paid).await?;
    for inv in &invoices {
        if inv.status == "open" {
            *owed.entry(inv.currency.clone()).or_default() += inv.balance();
        }
        let payments = payments.remove(&inv.id).unwrap_or_default();
        let form = match pay.take() {
            Some((id, f)) if id == inv.id => f,
            other => {
                pay = other;
                PayForm { amount: input_amount(&ui.t, inv.balance()), paid_on: today.clone(), ..PayForm::default() }
            }
        };
        rows.push(InvoiceView {
            id: inv.id,
            f: figures(&ui.t, &fmt, inv, &today),
            can_pay: may_write && inv.status == "open" && inv.balance() > 0,
            comment: inv.comment.clone().unwrap_or_default(),
            payments: payments.iter().map(|p| payment_view(&fmt, &inv.currency, p)).collect(),
            pay: form,
        });
    }
    let mut owed: Vec<String> = owed.iter().filter(|(_, v)| **v > 0).map(|(c, v)| fmt.money(*v, c)).collect();
    owed.sort();
    let new = if new.issued_on.is_empty() { NewForm { issued_on: today.clone(), ..new } } else { new };
    Ok(InvoicesBlock { deal_id, csrf: ui.csrf.clone(), may_write, rows, owed: owed.join(" + "), today, notice, new })
}

async fn block_response(
    st: &AppState,
    ui: &Ui,
    deal_id: i64,
    status: StatusCode,
    new: NewForm,
    pay: Option<(i64, PayForm)>,
    notice: Option<String>,
) -> Response {
    match load_block(st, ui, deal_id, new, pay, notice).await {
        Ok(invoices) => render_status(status, &BlockTpl { t: ui.t, d: BlockHolder { invoices } }),
        Err(e) => store_error(ui, e),
    }
}

/// `GET /deals/{id}/invoices`: the block alone.
async fn deal_block(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Err(e) = st.db.get(&ui.actor, Entity::Deal, id).await {
        return store_error(&ui, e);
    }
    block_response(&st, &ui, id, StatusCode::OK, NewForm::default(), None, None).await
}

#[derive(Deserialize)]
struct NewInvoiceForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    comment: String,
}

/// `POST /deals/{id}/invoices`: a new invoice on the deal.
async fn create(State(st): State<AppState>, ui: Ui, Path(deal_id): Path<i64>, Form(f): Form<NewInvoiceForm>) -> Response {
    let deal = match st.db.get(&ui.actor, Entity::Deal, deal_id).await {
        Ok(d) => d,
        Err(e) => return store_error(&ui, e),
    };
    let currency = deal.get("currency").as_text().unwrap_or(&ui.actor.ws.currency).to_string();
    let form = NewForm {
        open: true,
        number: f.number.clone(),
        amount: f.amount.clone(),
        issued_on: f.issued_on.clone(),
        due_on: f.due_on.clone(),
        comment: f.comment.clone(),
        error: None,
    };
    let refuse = |field: &str, message: String| {
        let new = NewForm { error: Some((field.to_string(), message)), ..form_copy(&form) };
        block_response(&st, &ui, deal_id, StatusCode::UNPROCESSABLE_ENTITY, new, None, None)
    };
    let amount = match parse_amount(&f.amount) {
        Ok(a) if a > 0 => a,
        _ => return refuse("amount", ui.t.t("invoices.err.amount").to_string()).await,
    };
    let mut body = Map::new();
    body.insert("deal_id".into(), json!(deal_id));
    body.insert("number".into(), json!(f.number));
    body.insert("amount".into(), json!(amount));
    body.insert("issued_on".into(), json!(f.issued_on.trim()));
    for (k, v) in [("due_on", &f.due_on), ("comment", &f.comment)] {
        if !v.trim().is_empty() {
            body.insert(k.into(), json!(v.trim()));
        }
    }
    match st.db.create_invoice(&ui.actor, &Value::Object(body)).await {
        Ok(inv) => {
            if !ui.htmx {
                return Redirect::to(&format!("/deals/{deal_id}")).into_response();
            }
            let notice = ui.t.fmt("invoices.created", &[("number", inv.number.as_str())]);
            block_response(&st, &ui, deal_id, StatusCode::OK, NewForm::default(), None, Some(notice)).await
        }
        Err(e) => match form_error(&ui, &ui.fmt(), &currency, &e) {
            Some((field, message)) => refuse(&field, message).await,
            None => store_error(&ui, e),
        },
    }
}

fn form_copy(f: &NewForm) -> NewForm {
    NewForm {
        open: f.open,
        number: f.number.clone(),
        amount: f.amount.clone(),
        issued_on: f.issued_on.clone(),
        due_on: f.due_on.clone(),
        comment: f.comment.clone(),
        error: None,
    }
}

#[derive(Deserialize)]
struct PaymentForm {
    #[serde(default)]
    deal_id: Option<i64>,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    paid_on: String,
    #[serde(default)]
    reference: String,
}

/// `POST /invoices/{id}/payments`: records a payment and answers the deal's block.
async fn pay(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(f): Form<PaymentForm>) -> Response {
    let inv = match st.db.invoice(&ui.actor, id).await {
        Ok(i) => i,
        Err(e) => return store_error(&ui, e),
    };
    let Some(deal_id) = inv.deal_id.or(f.deal_id) else {
        return Redirect::to("/invoices").into_response();
    };
    let refuse = |field: &str, message: String| {
        let form = PayForm {
            open: true,
            amount: f.amount.clone(),
            paid_on: f.paid_on.clone(),
            reference: f.reference.clone(),
            error: Some((field.to_string(), message)),
        };
        block_response(&st, &ui, deal_id, StatusCode::UNPROCESSABLE_ENTITY, NewForm::default(), Some((id, form)), None)
    };
    let amount = match parse_amount(&f.amount) {
        Ok(a) if a > 0 => a,
        _ => return refuse("amount", ui.t.t("invoices.err.amount").to_string()).await,
    };
    let mut body = json!({"amount": amount, "reference": f.reference.trim()});
    if !f.paid_on.trim().is_empty() {
        body["paid_on"] = json!(f.paid_on.trim());
    }
    match st.db.add_payment(&ui.actor, id, &body).await {
        Ok((p, _)) => {
            if !ui.htmx {
                return Redirect::to(&format!("/deals/{deal_id}")).into_response();
            }
            let fmt = ui.fmt();
            let notice = ui
                .t
                .fmt("invoices.paid_notice", &[("amount", fmt.money(p.amount, &inv.currency).as_str()), ("number", inv.number.as_str())]);
            block_response(&st, &ui, deal_id, StatusCode::OK, NewForm::default(), None, Some(notice)).await
        }
        Err(e) => match form_error(&ui, &ui.fmt(), &inv.currency, &e) {
            Some((field, message)) => refuse(&field, message).await,
            None => store_error(&ui, e),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The list and the import.

pub struct Opt {
    pub value: &'static str,
    pub label: String,
}

pub struct Link {
    pub href: String,
    pub text: String,
}

pub struct ListRow {
    pub f: Figures,
    pub deal: Option<Link>,
    pub org: Option<Link>,
    pub owner: String,
}

pub struct ErrorLine {
    pub line: u64,
    pub column: String,
    pub message: String,
}

/// An import's outcome as the page shows it.
pub struct ReportView {
    pub dry_run: bool,
    pub lines: Vec<(String, u64)>,
    pub errors: Vec<ErrorLine>,
    /// More errors than shown.
    pub more_errors: usize,
}

pub struct ListView {
    pub status: String,
    pub statuses: Vec<Opt>,
    pub rows: Vec<ListRow>,
    pub next: Option<String>,
    pub first: Option<String>,
    pub may_import: bool,
    pub csrf: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "invoices.html")]
struct ListPage {
    ctx: super::Ctx,
    t: T,
    v: ListView,
}

#[derive(Template)]
#[template(path = "invoices_import_report.html")]
struct ReportTpl {
    t: T,
    r: ReportView,
}

const STATUS_FILTERS: [&str; 5] = ["", "open", "overdue", "paid", "cancelled"];
const ERRORS_SHOWN: usize = 200;

fn status_filter_label(t: &T, s: &str) -> String {
    if s.is_empty() {
        t.t("invoices.filter.all").to_string()
    } else {
        t.t(&format!("invoices.status.{s}")).to_string()
    }
}

fn may_import(ui: &Ui) -> bool {
    matches!(ui.actor.caller.role, Role::Admin | Role::Head)
}

async fn list_rows(st: &AppState, ui: &Ui, invoices: &[Invoice]) -> Result<Vec<ListRow>, StoreError> {
    let (db, a) = (&st.db, &ui.actor);
    let deals = db.names(a, Entity::Deal, invoices.iter().filter_map(|i| i.deal_id)).await?;
    let orgs = db.names(a, Entity::Organization, invoices.iter().filter_map(|i| i.organization_id)).await?;
    let users = db.names(a, Entity::User, invoices.iter().filter_map(|i| i.owner_id)).await?;
    let today = db.today(a);
    let fmt = ui.fmt();
    Ok(invoices
        .iter()
        .map(|inv| {
            let link = |path: &str, id: Option<i64>, names: &HashMap<i64, String>| {
                id.map(|id| Link { href: format!("/{path}/{id}"), text: names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")) })
            };
            ListRow {
                f: figures(&ui.t, &fmt, inv, &today),
                deal: link("deals", inv.deal_id, &deals),
                org: link("organizations", inv.organization_id, &orgs),
                owner: inv.owner_id.and_then(|o| users.get(&o).cloned()).unwrap_or_default(),
            }
        })
        .collect())
}

fn list_link(status: &str, cursor: Option<&str>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if !status.is_empty() {
        s.append_pair("status", status);
    }
    if let Some(c) = cursor {
        s.append_pair("cursor", c);
    }
    let q = s.finish();
    if q.is_empty() {
        "/invoices".into()
    } else {
        format!("/invoices?{q}")
    }
}

/// `GET /invoices?status=&overdue=&cursor=`
async fn list_page(State(st): State<AppState>, ui: Ui, RawQuery(raw): RawQuery) -> Response {
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let mut status = pairs.iter().find(|(k, _)| k == "status").map(|(_, v)| v.clone()).unwrap_or_default();
    if !STATUS_FILTERS.contains(&status.as_str()) {
        status.clear();
    }
    if pairs.iter().any(|(k, v)| k == "overdue" && matches!(v.as_str(), "1" | "true")) {
        status = "overdue".into();
    }
    let cursor = pairs.iter().find(|(k, _)| k == "cursor").map(|(_, v)| v.clone());
    let iq = InvoiceQuery { status: Some(status.clone()).filter(|s| !s.is_empty()), cursor: cursor.clone(), ..InvoiceQuery::default() };
    let (rows, next, error) = match st.db.invoices(&ui.actor, &iq).await {
        Ok(page) => match list_rows(&st, &ui, &page.data).await {
            Ok(rows) => (rows, page.next_cursor.map(|c| list_link(&status, Some(&c))), None),
            Err(e) => return store_error(&ui, e),
        },
        Err(StoreError::Validation(_)) => (Vec::new(), None, Some(ui.t.t("invoices.err.cursor").to_string())),
        Err(e) => return store_error(&ui, e),
    };
    let v = ListView {
        statuses: STATUS_FILTERS.iter().map(|s| Opt { value: s, label: status_filter_label(&ui.t, s) }).collect(),
        first: cursor.map(|_| list_link(&status, None)),
        status,
        rows,
        next,
        may_import: may_import(&ui),
        csrf: ui.csrf.clone(),
        error,
    };
    render(&ListPage { ctx: ui.ctx("invoices", ui.t.t("invoices.list_title")), t: ui.t, v })
}

/// A `multipart/form-data` body's parts: `(name, content)`; `None` when it is not one.
pub(crate) fn multipart_parts(content_type: &str, body: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let boundary = content_type.split(';').map(str::trim).find_map(|p| p.strip_prefix("boundary="))?.trim_matches('"');
    if boundary.is_empty() {
        return None;
    }
    let delim = format!("--{boundary}").into_bytes();
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let mut rest = &body[find(body, &delim)? + delim.len()..];
    let mut parts = Vec::new();
    while !rest.starts_with(b"--") {
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]).to_string();
        rest = &rest[head_end + 4..];
        let mut end_marker = b"\r\n".to_vec();
        end_marker.extend_from_slice(&delim);
        let end = find(rest, &end_marker)?;
        let name = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .and_then(|l| l.split(';').map(str::trim).find_map(|p| p.strip_prefix("name=")))
            .map(|n| n.trim_matches('"').to_string())
            .unwrap_or_default();
        parts.push((name, rest[..end].to_vec()));
        rest = &rest[end + end_marker.len()..];
    }
    Some(parts)
}

fn report_view(t: &T, r: &ImportReport) -> ReportView {
    let lines = [
        ("invoices.import.rows", r.rows),
        ("invoices.import.created", r.created),
        ("invoices.import.updated", r.updated),
        ("invoices.import.payments_added", r.payments_added),
        ("invoices.import.unchanged", r.unchanged),
        ("invoices.import.organizations_created", r.organizations_created),
        ("invoices.import.errors", r.errors.len() as u64),
    ];
    let errors = r
        .errors
        .iter()
        .take(ERRORS_SHOWN)
        .map(|e| ErrorLine { line: e.line, column: e.column.clone(), message: messages::say(t, &e.message) })
        .collect();
    ReportView {
        dry_run: r.dry_run,
        lines: lines.iter().map(|(k, n)| (t.t(k).to_string(), *n)).collect(),
        errors,
        more_errors: r.errors.len().saturating_sub(ERRORS_SHOWN),
    }
}

/// The refusal of a whole file as the reader's text: a missing column is named as 1C writes it.
fn file_error(ui: &Ui, e: &StoreError) -> Option<String> {
    let StoreError::Validation(fe) = e else { return None };
    let column = match (fe.msg.as_ref(), fe.field.as_str()) {
        (Msg::InvoiceMsg(InvoiceMsg::MissingColumns { .. }), "number") => "Номер / Number",
        (Msg::InvoiceMsg(InvoiceMsg::MissingColumns { .. }), "date") => "Дата / Date",
        (Msg::InvoiceMsg(InvoiceMsg::MissingColumns { .. }), "tax_id") => "ИНН контрагента / Tax ID",
        (Msg::InvoiceMsg(InvoiceMsg::MissingColumns { .. }), "amount") => "Сумма / Amount",
        (Msg::InvoiceMsg(InvoiceMsg::MissingColumns { .. }), "paid") => "Оплачено / Paid",
        (m, _) => return Some(messages::say(&ui.t, m)),
    };
    Some(ui.t.fmt("invoices.import.missing_column", &[("column", column)]))
}

/// `POST /invoices/import` (multipart: `file`, `dry_run`): the report, as a fragment.
async fn import(State(st): State<AppState>, ui: Ui, headers: HeaderMap, body: Bytes) -> Response {
    let error = |status: StatusCode, message: String| {
        render_status(
            status,
            &ReportTpl {
                t: ui.t,
                r: ReportView {
                    dry_run: false,
                    lines: Vec::new(),
                    errors: vec![ErrorLine { line: 0, column: String::new(), message }],
                    more_errors: 0,
                },
            },
        )
    };
    if !may_import(&ui) {
        return error(StatusCode::FORBIDDEN, ui.t.t("invoices.import.forbidden").to_string());
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(parts) = multipart_parts(content_type, &body) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, ui.t.t("invoices.import.no_file").to_string());
    };
    let file = parts.iter().find(|(n, _)| n == "file").map(|(_, d)| d.as_slice()).unwrap_or_default();
    let dry_run = parts.iter().any(|(n, d)| n == "dry_run" && matches!(d.as_slice(), b"1" | b"true" | b"on"));
    if file.is_empty() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, ui.t.t("invoices.import.no_file").to_string());
    }
    match st.db.import_invoices(&ui.actor, file, None, dry_run).await {
        Ok(report) => render(&ReportTpl { t: ui.t, r: report_view(&ui.t, &report) }),
        Err(e) => match file_error(&ui, &e) {
            Some(message) => error(StatusCode::UNPROCESSABLE_ENTITY, message),
            None => store_error(&ui, e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_give_their_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n\xcd\xee\xec\xe5\xf0;x\r\n1;2\r\n--XyZ--\r\n";
        let parts = multipart_parts("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], ("dry_run".to_string(), b"1".to_vec()));
        assert_eq!(parts[1].0, "file");
        assert_eq!(parts[1].1, b"\xcd\xee\xec\xe5\xf0;x\r\n1;2".to_vec());
        assert!(multipart_parts("text/plain", body).is_none());
        assert!(multipart_parts("multipart/form-data; boundary=XyZ", b"junk").is_none());
    }

    #[test]
    fn amounts_go_back_into_forms_in_the_reader_language() {
        use crate::ui::i18n::Lang;
        assert_eq!(input_amount(&T::new(Lang::Ru), 123_456), "1234,56");
        assert_eq!(input_amount(&T::new(Lang::En), 5), "0.05");
    }
}

//! Invoices and the payments against them: what a client owes and what came in, entered by hand
//! or imported from accounting ([`import`]), read by the unpaid-orders and debtors assistants.
//!
//! An invoice has a number unique among the workspace's live invoices, an amount in minor units,
//! an issue date and an optional due date (local `YYYY-MM-DD` days of the workspace). Its
//! `paid_amount`, `paid_on` (the latest payment's date) and `status` (`open`, `paid`,
//! `cancelled`) are never written by callers: every payment write recomputes them in its own
//! transaction, with the invoice's row locked first so two payments cannot both fit one balance.
//! A payment larger than the open balance is refused (422 on `amount`). `overdue` is not stored:
//! an open invoice is overdue once its due date is before today in the workspace's zone.
//!
//! Visibility follows the invoice's owner like a deal's (own, team or all; a participant of the
//! invoice's deal sees it too). Each change writes a history event (`invoice`, `payment`) and
//! moves the client's last activity ([`crate::activity_clock`]) to the document's date.
pub mod import;

use crate::activity_clock::{self, Links};
use crate::actor::{scope_condition, Actor};
use crate::error::{Result, StoreError};
use crate::list::parse_limit;
use crate::records::{append_history, check_refs, fetch_one};
use crate::sql::col;
use crate::{Db, Page};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use poryadok_core::domain::HistoryAction;
use poryadok_core::msg::{words, Common, InvoiceMsg};
use poryadok_core::schema::Entity;
use poryadok_core::types::{format_ms, parse_currency, parse_date};
use poryadok_core::validate::RefCheck;
use poryadok_core::Msg;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use sea_query::{Expr, Func, Order, Query, SelectStatement, SimpleExpr};
use serde_json::{json, Map, Value as Json};

pub const STATUSES: &[&str] = &["open", "paid", "cancelled"];
pub const NUMBER_MAX: usize = 64;
const COMMENT_MAX: usize = 2000;
const REFERENCE_MAX: usize = 255;
/// Where a payment came from.
pub const SOURCE_MANUAL: &str = "manual";
pub const SOURCE_IMPORT: &str = "import";

/// One invoice as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: i64,
    pub number: String,
    pub deal_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub amount: i64,
    pub currency: String,
    pub issued_on: String,
    pub due_on: Option<String>,
    pub paid_amount: i64,
    pub paid_on: Option<String>,
    pub status: String,
    pub comment: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One payment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub invoice_id: i64,
    pub amount: i64,
    pub paid_on: String,
    pub reference: Option<String>,
    /// `manual` or `import`.
    pub source: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// Days from `from` to `to` (both `YYYY-MM-DD`); `None` if either does not parse.
pub fn days_between(from: &str, to: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let (a, b) = (time::Date::parse(from, &fmt).ok()?, time::Date::parse(to, &fmt).ok()?);
    Some((b - a).whole_days())
}

/// `YYYY-MM-DD` shifted by `days`.
pub fn add_days(day: &str, days: i64) -> Option<String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(day, &fmt).ok()?.checked_add(time::Duration::days(days))?;
    d.format(&fmt).ok()
}

impl Invoice {
    /// What is still owed (never negative).
    pub fn balance(&self) -> i64 {
        (self.amount - self.paid_amount).max(0)
    }

    /// Open and past its due date on `today` (`YYYY-MM-DD`, the workspace's local day).
    pub fn is_overdue(&self, today: &str) -> bool {
        self.status == "open" && self.due_on.as_deref().is_some_and(|d| d < today)
    }

    /// Whole days past the due date on `today`; 0 when not overdue.
    pub fn days_overdue(&self, today: &str) -> i64 {
        if !self.is_overdue(today) {
            return 0;
        }
        self.due_on.as_deref().and_then(|d| days_between(d, today)).unwrap_or(0)
    }

    /// The status to show: the stored one, or `overdue` for an open invoice past its due date.
    pub fn display_status(&self, today: &str) -> &str {
        if self.is_overdue(today) {
            "overdue"
        } else {
            &self.status
        }
    }

    /// The writable and derived fields, in wire form, for JSON and for history diffs.
    fn fields(&self) -> [(&'static str, Json); 12] {
        [
            ("number", json!(self.number)),
            ("deal_id", json!(self.deal_id)),
            ("organization_id", json!(self.organization_id)),
            ("owner_id", json!(self.owner_id)),
            ("amount", json!(self.amount)),
            ("currency", json!(self.currency)),
            ("issued_on", json!(self.issued_on)),
            ("due_on", json!(self.due_on)),
            ("paid_amount", json!(self.paid_amount)),
            ("paid_on", json!(self.paid_on)),
            ("status", json!(self.status)),
            ("comment", json!(self.comment)),
        ]
    }

    /// The wire form: stored fields plus `balance`, `overdue` and `days_overdue` as of `today`.
    pub fn to_json(&self, today: &str) -> Json {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        for (k, v) in self.fields() {
            m.insert(k.into(), v);
        }
        m.insert("balance".into(), json!(self.balance()));
        m.insert("overdue".into(), json!(self.is_overdue(today)));
        m.insert("days_overdue".into(), json!(self.days_overdue(today)));
        m.insert("created_at".into(), json!(format_ms(self.created_at)));
        m.insert("updated_at".into(), json!(format_ms(self.updated_at)));
        Json::Object(m)
    }
}

impl Payment {
    pub fn to_json(&self) -> Json {
        json!({
            "id": self.id,
            "invoice_id": self.invoice_id,
            "amount": self.amount,
            "paid_on": self.paid_on,
            "reference": self.reference,
            "source": self.source,
            "created_by": self.created_by,
            "created_at": format_ms(self.created_at),
        })
    }
}

/// `{"field": {"from", "to"}}` for the fields that differ.
fn diff(old: Option<&Invoice>, new: &Invoice) -> Map<String, Json> {
    let before = old.map(Invoice::fields);
    let mut out = Map::new();
    for (i, (name, to)) in new.fields().into_iter().enumerate() {
        let from = before.as_ref().map_or(Json::Null, |b| b[i].1.clone());
        if from != to {
            out.insert(name.into(), json!({"from": from, "to": to}));
        }
    }
    out
}

const INVOICE_COLUMNS: [&str; 15] = [
    "id",
    "number",
    "deal_id",
    "organization_id",
    "owner_id",
    "amount",
    "currency",
    "issued_on",
    "due_on",
    "paid_amount",
    "paid_on",
    "status",
    "comment",
    "created_at",
    "updated_at",
];

const PAYMENT_COLUMNS: [&str; 8] = ["id", "invoice_id", "amount", "paid_on", "reference", "source", "created_by", "created_at"];

fn decode_invoice(r: &QueryResult) -> Result<Invoice> {
    Ok(Invoice {
        id: r.try_get("", "id")?,
        number: r.try_get("", "number")?,
        deal_id: r.try_get("", "deal_id")?,
        organization_id: r.try_get("", "organization_id")?,
        owner_id: r.try_get("", "owner_id")?,
        amount: r.try_get("", "amount")?,
        currency: r.try_get("", "currency")?,
        issued_on: r.try_get("", "issued_on")?,
        due_on: r.try_get("", "due_on")?,
        paid_amount: r.try_get("", "paid_amount")?,
        paid_on: r.try_get("", "paid_on")?,
        status: r.try_get("", "status")?,
        comment: r.try_get("", "comment")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn decode_payment(r: &QueryResult) -> Result<Payment> {
    Ok(Payment {
        id: r.try_get("", "id")?,
        invoice_id: r.try_get("", "invoice_id")?,
        amount: r.try_get("", "amount")?,
        paid_on: r.try_get("", "paid_on")?,
        reference: r.try_get("", "reference")?,
        source: r.try_get("", "source")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
    })
}

/// The invoices the caller may see: their owner is within the caller's scope, or the caller takes
/// part in the invoice's deal.
fn scope(actor: &Actor) -> Option<SimpleExpr> {
    let own = scope_condition(Entity::Organization, &actor.caller)?;
    let taking_part = Query::select()
        .column(col("deal_id"))
        .from(col("deal_participants"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("user_id")).eq(actor.user_id()))
        .to_owned();
    Some(own.or(Expr::col(col("deal_id")).in_subquery(taking_part)))
}

fn live_invoices(ws: i64) -> SelectStatement {
    Query::select()
        .columns(INVOICE_COLUMNS.map(col))
        .from(col("invoices"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .to_owned()
}

fn visible_invoices(actor: &Actor) -> SelectStatement {
    let mut q = live_invoices(actor.ws_id());
    if let Some(c) = scope(actor) {
        q.and_where(c);
    }
    q
}

fn may_write(actor: &Actor) -> Result<()> {
    actor.caller.may_write(Entity::Deal).map_err(StoreError::forbidden)
}

/// What a create or change asks for; `Some(None)` clears an optional field.
#[derive(Debug, Default, Clone)]
struct Input {
    number: Option<String>,
    deal_id: Option<Option<i64>>,
    organization_id: Option<Option<i64>>,
    owner_id: Option<Option<i64>>,
    amount: Option<i64>,
    currency: Option<String>,
    issued_on: Option<String>,
    due_on: Option<Option<String>>,
    comment: Option<Option<String>>,
    status: Option<String>,
}

const WRITABLE: &[&str] =
    &["number", "deal_id", "organization_id", "owner_id", "amount", "currency", "issued_on", "due_on", "comment", "status"];
const READ_ONLY: &[&str] = &["id", "paid_amount", "paid_on", "balance", "overdue", "days_overdue", "created_at", "updated_at"];

/// Checks a number as the store keeps it: trimmed, non-empty, at most [`NUMBER_MAX`] characters.
pub fn check_number(raw: &str) -> std::result::Result<String, Msg> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > NUMBER_MAX {
        return Err(InvoiceMsg::NumberShape { max: NUMBER_MAX as i64 }.into());
    }
    Ok(n.to_string())
}

fn opt_id(name: &str, v: &Json) -> Result<Option<i64>> {
    match v {
        Json::Null => Ok(None),
        v => v.as_i64().filter(|i| *i > 0).map(Some).ok_or_else(|| StoreError::invalid(name, InvoiceMsg::IdOrNull {})),
    }
}

fn amount_of(name: &str, v: &Json) -> Result<i64> {
    v.as_i64().filter(|a| *a > 0).ok_or_else(|| StoreError::invalid(name, InvoiceMsg::AmountPositive {}))
}

fn date_of(name: &str, v: &Json) -> Result<String> {
    v.as_str()
        .ok_or_else(|| StoreError::invalid(name, InvoiceMsg::DateValue {}))
        .and_then(|s| parse_date(s.trim()).map_err(|m| StoreError::invalid(name, m)))
}

fn text_of(name: &str, v: &Json, max: usize) -> Result<Option<String>> {
    match v {
        Json::Null => Ok(None),
        Json::String(s) if s.chars().count() <= max => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Json::String(_) => Err(StoreError::invalid(name, Common::TooLong { max: max as i64 })),
        _ => Err(StoreError::invalid(name, Common::NotString {})),
    }
}

fn read_input(body: &Json) -> Result<Input> {
    let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
    let mut inp = Input::default();
    for (k, v) in obj {
        match k.as_str() {
            "number" => {
                let s = v.as_str().ok_or_else(|| StoreError::invalid("number", Common::NotString {}))?;
                inp.number = Some(check_number(s).map_err(|m| StoreError::invalid("number", m))?);
            }
            "deal_id" => inp.deal_id = Some(opt_id(k, v)?),
            "organization_id" => inp.organization_id = Some(opt_id(k, v)?),
            "owner_id" => inp.owner_id = Some(opt_id(k, v)?),
            "amount" => inp.amount = Some(amount_of(k, v)?),
            "currency" => {
                let s = v.as_str().ok_or_else(|| StoreError::invalid("currency", Common::NotString {}))?;
                inp.currency = Some(parse_currency(s).map_err(|m| StoreError::invalid("currency", m))?);
            }
            "issued_on" => inp.issued_on = Some(date_of(k, v)?),
            "due_on" => inp.due_on = Some(if v.is_null() { None } else { Some(date_of(k, v)?) }),
            "comment" => inp.comment = Some(text_of(k, v, COMMENT_MAX)?),
            "status" => {
                let s = v.as_str().unwrap_or_default();
                if !matches!(s, "open" | "cancelled") {
                    return Err(StoreError::invalid("status", InvoiceMsg::StatusChoice {}));
                }
                inp.status = Some(s.to_string());
            }
            k if READ_ONLY.contains(&k) => return Err(StoreError::invalid(k, Common::ReadOnly {})),
            k => return Err(StoreError::invalid(k, Common::UnknownField { expected: words(WRITABLE) })),
        }
    }
    Ok(inp)
}

fn check_dates(issued_on: &str, due_on: Option<&str>) -> Result<()> {
    match due_on {
        Some(d) if d < issued_on => Err(StoreError::invalid("due_on", InvoiceMsg::DueBeforeIssued {})),
        _ => Ok(()),
    }
}

/// The status the payments give an invoice; a cancelled one stays cancelled.
fn status_for(current: &str, amount: i64, paid: i64) -> &'static str {
    match current {
        "cancelled" => "cancelled",
        _ if paid >= amount => "paid",
        _ => "open",
    }
}

/// Keyset position in the list (issued_on and id, both descending).
fn encode_cursor(inv: &Invoice) -> String {
    URL_SAFE_NO_PAD.encode(json!([inv.issued_on, inv.id]).to_string())
}

fn decode_cursor(raw: &str) -> Result<(String, i64)> {
    let bad = || StoreError::invalid("cursor", Common::BadCursor {});
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let v: Vec<Json> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    match v.as_slice() {
        [Json::String(d), Json::Number(id)] => Ok((parse_date(d).map_err(|_| bad())?, id.as_i64().ok_or_else(bad)?)),
        _ => Err(bad()),
    }
}

/// Narrowing of the invoice list; every part optional.
#[derive(Debug, Default, Clone)]
pub struct InvoiceQuery {
    /// `open`, `paid`, `cancelled`, or `overdue` (the same as `overdue=true`).
    pub status: Option<String>,
    pub organization_id: Option<i64>,
    pub deal_id: Option<i64>,
    /// `true`: open and past due today; `false`: everything else.
    pub overdue: Option<bool>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl InvoiceQuery {
    /// Reads `status`, `organization_id`, `deal_id`, `overdue`, `limit` and `cursor` from query
    /// pairs; anything else, or a value that does not read, is a validation error naming it.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<InvoiceQuery> {
        let mut q = InvoiceQuery::default();
        let id =
            |k: &str, v: &str| v.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| StoreError::invalid(k, InvoiceMsg::IntegerId {}));
        for (k, v) in pairs {
            if v.is_empty() {
                continue;
            }
            match k {
                "status" if STATUSES.contains(&v) || v == "overdue" => q.status = Some(v.to_string()),
                "status" => {
                    return Err(StoreError::invalid("status", Common::OneOf { list: words(["open", "paid", "cancelled", "overdue"]) }))
                }
                "organization_id" => q.organization_id = Some(id(k, v)?),
                "deal_id" => q.deal_id = Some(id(k, v)?),
                "overdue" => {
                    q.overdue = Some(match v {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => return Err(StoreError::invalid("overdue", Common::NotBool {})),
                    })
                }
                "limit" => q.limit = Some(v.to_string()),
                "cursor" => q.cursor = Some(v.to_string()),
                other => {
                    let expected = words(["status", "organization_id", "deal_id", "overdue", "limit", "cursor"]);
                    return Err(StoreError::invalid(other, Common::UnknownParameter { expected }));
                }
            }
        }
        Ok(q)
    }
}

/// An open invoice found by a scan, with what an assistant needs to act on it.
#[derive(Debug, Clone)]
pub struct OpenInvoice {
    pub invoice: Invoice,
    pub organization_name: Option<String>,
    /// The owner's name and whether they are still active (a task goes to an active user).
    pub owner_name: Option<String>,
    pub owner_active: bool,
    /// Days since the issue date, and past the due date (0 when not overdue), on the scan's day.
    pub days_open: i64,
    pub days_overdue: i64,
}

/// Which open invoices a scan returns.
#[derive(Debug, Clone, Copy)]
pub enum Unpaid {
    /// Issued at least this many days before the scan's day (the unpaid-orders assistant).
    IssuedDaysAgo(i64),
    /// Due at least this many days before the scan's day, i.e. overdue by that many days or more
    /// (the debtors assistant; 1 is "overdue at all").
    OverdueDays(i64),
}

impl Db {
    /// Today in the workspace's time zone, as `YYYY-MM-DD`.
    pub fn today(&self, actor: &Actor) -> String {
        activity_clock::local_day(&actor.ws.timezone, self.clock.now_ms())
    }

    /// One invoice the caller sees.
    pub async fn invoice(&self, actor: &Actor, id: i64) -> Result<Invoice> {
        let mut q = visible_invoices(actor);
        q.and_where(Expr::col(col("id")).eq(id));
        let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        decode_invoice(&r)
    }

    /// The invoices the caller sees, newest issue date first, paged by cursor.
    pub async fn invoices(&self, actor: &Actor, iq: &InvoiceQuery) -> Result<Page<Invoice>> {
        let limit = parse_limit(iq.limit.as_deref())?;
        let today = self.today(actor);
        let mut q = visible_invoices(actor);
        let overdue = iq.overdue.or((iq.status.as_deref() == Some("overdue")).then_some(true));
        match iq.status.as_deref() {
            Some("overdue") | None => {}
            Some(s) => {
                q.and_where(Expr::col(col("status")).eq(s));
            }
        }
        let is_overdue = Expr::col(col("status")).eq("open").and(Expr::col(col("due_on")).lt(today.as_str()));
        match overdue {
            Some(true) => {
                q.and_where(is_overdue);
            }
            Some(false) => {
                q.and_where(is_overdue.not());
            }
            None => {}
        }
        if let Some(o) = iq.organization_id {
            q.and_where(Expr::col(col("organization_id")).eq(o));
        }
        if let Some(d) = iq.deal_id {
            q.and_where(Expr::col(col("deal_id")).eq(d));
        }
        if let Some(raw) = &iq.cursor {
            let (day, id) = decode_cursor(raw)?;
            let issued = Expr::col(col("issued_on"));
            q.and_where(issued.clone().lt(day.as_str()).or(issued.eq(day.as_str()).and(Expr::col(col("id")).lt(id))));
        }
        q.order_by(col("issued_on"), Order::Desc).order_by(col("id"), Order::Desc).limit(limit + 1);
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        let mut data = rows.iter().map(decode_invoice).collect::<Result<Vec<_>>>()?;
        let next_cursor = if data.len() as u64 > limit {
            data.truncate(limit as usize);
            data.last().map(encode_cursor)
        } else {
            None
        };
        Ok(Page { data, next_cursor })
    }

    /// Creates an invoice: `{number, amount, issued_on}` required; `deal_id`, `organization_id`
    /// (default: the deal's, else the deal's person's), `owner_id` (default: the deal's owner,
    /// else the organization's, else the caller), `currency` (default: the deal's, else the
    /// workspace's), `due_on`, `comment`.
    pub async fn create_invoice(&self, actor: &Actor, body: &Json) -> Result<Invoice> {
        may_write(actor)?;
        let inp = read_input(body)?;
        if inp.status.is_some() {
            return Err(StoreError::invalid("status", InvoiceMsg::StatusOnCreate {}));
        }
        let tx = self.write.begin().await?;
        let new = self.complete_new(&tx, actor, inp).await?;
        let inv = insert_invoice(&tx, self.backend, actor, &new, self.clock.now_ms()).await?;
        tx.commit().await?;
        Ok(inv)
    }

    /// Fills an invoice's defaults from its deal and organization and checks its references.
    async fn complete_new(&self, conn: &impl ConnectionTrait, actor: &Actor, inp: Input) -> Result<NewInvoice> {
        let number = inp.number.ok_or_else(|| StoreError::invalid("number", Common::Required {}))?;
        let amount = inp.amount.ok_or_else(|| StoreError::invalid("amount", Common::Required {}))?;
        let issued_on = inp.issued_on.ok_or_else(|| StoreError::invalid("issued_on", Common::Required {}))?;
        let due_on = inp.due_on.flatten();
        check_dates(&issued_on, due_on.as_deref())?;
        let deal_id = inp.deal_id.flatten();
        let deal = match deal_id {
            Some(d) => Some(self.deal_defaults(conn, actor, d).await?),
            None => None,
        };
        let organization_id = match inp.organization_id {
            Some(given) => given,
            None => deal.as_ref().and_then(|d| d.organization_id),
        };
        if let (Some(org), Some(Some(_))) = (organization_id, inp.organization_id) {
            check_refs(conn, self.backend, actor, &[RefCheck { field: "organization_id".into(), entity: Entity::Organization, id: org }])
                .await?;
        }
        let owner_id = match inp.owner_id {
            Some(given) => {
                self.check_owner(conn, actor, given).await?;
                given
            }
            None => match deal.as_ref().and_then(|d| d.owner_id) {
                Some(o) => Some(o),
                None => match organization_id {
                    Some(org) => org_owner(conn, self.backend, actor.ws_id(), org).await?,
                    None => None,
                }
                .or((actor.user_id() != 0).then_some(actor.user_id())),
            },
        };
        let currency = inp.currency.or_else(|| deal.as_ref().and_then(|d| d.currency.clone())).unwrap_or_else(|| actor.ws.currency.clone());
        Ok(NewInvoice { number, deal_id, organization_id, owner_id, amount, currency, issued_on, due_on, comment: inp.comment.flatten() })
    }

    /// The deal an invoice is for, which the caller must see.
    async fn deal_defaults(&self, conn: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<DealDefaults> {
        let row = match fetch_one(conn, self.backend, Entity::Deal, actor, id, false).await {
            Err(StoreError::NotFound) => return Err(StoreError::invalid("deal_id", InvoiceMsg::NoDeal { id })),
            other => other?,
        };
        let mut organization_id = row.get("organization_id").as_int();
        if let (None, Some(person)) = (organization_id, row.get("person_id").as_int()) {
            let q = Query::select()
                .column(col("organization_id"))
                .from(col("persons"))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("id")).eq(person))
                .to_owned();
            organization_id = crate::rules::scalar_i64(conn, self.backend, &q).await?;
        }
        Ok(DealDefaults {
            organization_id,
            owner_id: row.get("owner_id").as_int(),
            currency: row.get("currency").as_text().map(str::to_string),
        })
    }

    /// An owner given explicitly must be an active user the caller may assign records to.
    async fn check_owner(&self, conn: &impl ConnectionTrait, actor: &Actor, owner: Option<i64>) -> Result<()> {
        if let Some(o) = owner {
            check_refs(conn, self.backend, actor, &[RefCheck { field: "owner_id".into(), entity: Entity::User, id: o }]).await?;
        }
        crate::rules::check_assignee(conn, self.backend, actor, "owner_id", owner).await
    }

    /// Changes an invoice: any of the create fields, and `status` `cancelled` (or `open` to
    /// reopen; it becomes `paid` again if the payments cover it).
    pub async fn update_invoice(&self, actor: &Actor, id: i64, body: &Json) -> Result<Invoice> {
        may_write(actor)?;
        let inp = read_input(body)?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let old = lock_invoice(&tx, self.backend, actor, id, now).await?;
        let mut new = old.clone();
        if let Some(n) = inp.number {
            new.number = n;
        }
        if let Some(d) = inp.deal_id {
            if d.is_some() && d != old.deal_id {
                if let Some(deal) = d {
                    self.deal_defaults(&tx, actor, deal).await?;
                }
            }
            new.deal_id = d;
        }
        if let Some(o) = inp.organization_id {
            if let Some(org) = o.filter(|org| Some(*org) != old.organization_id) {
                check_refs(
                    &tx,
                    self.backend,
                    actor,
                    &[RefCheck { field: "organization_id".into(), entity: Entity::Organization, id: org }],
                )
                .await?;
            }
            new.organization_id = o;
        }
        if let Some(o) = inp.owner_id {
            if o != old.owner_id {
                self.check_owner(&tx, actor, o).await?;
            }
            new.owner_id = o;
        }
        if let Some(a) = inp.amount {
            new.amount = a;
        }
        if let Some(c) = inp.currency {
            new.currency = c;
        }
        if let Some(d) = inp.issued_on {
            new.issued_on = d;
        }
        if let Some(d) = inp.due_on {
            new.due_on = d;
        }
        if let Some(c) = inp.comment {
            new.comment = c;
        }
        if let Some(s) = inp.status {
            // Reopening starts from open; the payments decide whether it is paid.
            new.status = s;
        }
        check_dates(&new.issued_on, new.due_on.as_deref())?;
        new.status = status_for(&new.status, new.amount, new.paid_amount).to_string();
        let saved = save_invoice(&tx, self.backend, actor, &old, new, now).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Soft delete: the invoice, its payments and their history stay; its number is free again.
    pub async fn delete_invoice(&self, actor: &Actor, id: i64) -> Result<()> {
        may_write(actor)?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        lock_invoice(&tx, self.backend, actor, id, now).await?;
        let q = Query::update()
            .table(col("invoices"))
            .value(col("deleted_at"), now)
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        append_history(&tx, self.backend, actor, "invoice", id, HistoryAction::Delete, Map::new(), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a payment: `{amount, paid_on (default today), reference}`. A payment beyond the
    /// open balance, on a cancelled invoice, or dated in the future is refused.
    pub async fn add_payment(&self, actor: &Actor, invoice_id: i64, body: &Json) -> Result<(Payment, Invoice)> {
        may_write(actor)?;
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "amount" | "paid_on" | "reference")) {
            return Err(StoreError::invalid(k, Common::UnknownField { expected: words(["amount", "paid_on", "reference"]) }));
        }
        let amount = amount_of("amount", obj.get("amount").ok_or_else(|| StoreError::invalid("amount", Common::Required {}))?)?;
        let today = self.today(actor);
        let paid_on = match obj.get("paid_on") {
            None | Some(Json::Null) => today.clone(),
            Some(v) => date_of("paid_on", v)?,
        };
        if paid_on > today {
            return Err(StoreError::invalid("paid_on", InvoiceMsg::PaidInFuture {}));
        }
        let reference = match obj.get("reference") {
            Some(v) => text_of("reference", v, REFERENCE_MAX)?,
            None => None,
        };
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let inv = lock_invoice(&tx, self.backend, actor, invoice_id, now).await?;
        if inv.status == "cancelled" {
            return Err(StoreError::conflict("status", InvoiceMsg::InvoiceCancelled {}));
        }
        if amount > inv.balance() {
            return Err(StoreError::invalid("amount", InvoiceMsg::ExceedsBalance { balance: inv.balance() }));
        }
        let p = insert_payment(&tx, self.backend, actor, &inv, amount, &paid_on, reference, SOURCE_MANUAL, now).await?;
        let at = activity_clock::day_start_ms(&actor.ws.timezone, &paid_on).map_or(now, |t| t.min(now));
        activity_clock::touch(&tx, self.backend, actor.ws_id(), links(&inv), at).await?;
        let inv = settle(&tx, self.backend, actor, &inv, now).await?;
        tx.commit().await?;
        Ok((p, inv))
    }

    /// An invoice's live payments, oldest first.
    pub async fn payments(&self, actor: &Actor, invoice_id: i64) -> Result<Vec<Payment>> {
        self.invoice(actor, invoice_id).await?;
        payments_of(&self.read, self.backend, actor.ws_id(), invoice_id).await
    }

    /// The live payments of several invoices the caller sees, oldest first, by invoice.
    pub async fn payments_of_invoices(&self, actor: &Actor, invoice_ids: &[i64]) -> Result<std::collections::HashMap<i64, Vec<Payment>>> {
        let mut out: std::collections::HashMap<i64, Vec<Payment>> = std::collections::HashMap::new();
        if invoice_ids.is_empty() {
            return Ok(out);
        }
        let mut visible = visible_invoices(actor);
        visible.clear_selects().column(col("id")).and_where(Expr::col(col("id")).is_in(invoice_ids.iter().copied()));
        let q = Query::select()
            .columns(PAYMENT_COLUMNS.map(col))
            .from(col("payments"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("invoice_id")).in_subquery(visible))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("paid_on"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .to_owned();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let p = decode_payment(&r)?;
            out.entry(p.invoice_id).or_default().push(p);
        }
        Ok(out)
    }

    /// Soft-deletes a payment and recomputes its invoice; answers the invoice.
    pub async fn delete_payment(&self, actor: &Actor, id: i64) -> Result<Invoice> {
        may_write(actor)?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let q = Query::select()
            .column(col("invoice_id"))
            .from(col("payments"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        let invoice_id = crate::rules::scalar_i64(&tx, self.backend, &q).await?.ok_or(StoreError::NotFound)?;
        let inv = lock_invoice(&tx, self.backend, actor, invoice_id, now).await?;
        remove_payment(&tx, self.backend, actor, id, now).await?;
        let inv = settle(&tx, self.backend, actor, &inv, now).await?;
        tx.commit().await?;
        Ok(inv)
    }

    /// One live invoice of a workspace, for background work (no caller).
    pub async fn invoice_for_job(&self, ws: i64, id: i64) -> Result<Option<Invoice>> {
        let mut q = live_invoices(ws);
        q.and_where(Expr::col(col("id")).eq(id));
        self.read.query_one(self.backend.build(&q)).await?.as_ref().map(decode_invoice).transpose()
    }

    /// Open invoices of workspace `ws` matching `which` on the local day of `as_of` (ms), with
    /// their organization's and owner's names, in id order after `after_id`, at most `limit`.
    /// For assistants, which run as the system over the whole workspace.
    pub async fn open_invoices(&self, ws: i64, which: Unpaid, as_of: i64, after_id: i64, limit: u64) -> Result<Vec<OpenInvoice>> {
        let tz = self.workspace_info(ws).await?.timezone;
        let today = activity_clock::local_day(&tz, as_of);
        let mut q = live_invoices(ws);
        q.and_where(Expr::col(col("status")).eq("open")).and_where(Expr::col(col("id")).gt(after_id));
        match which {
            Unpaid::IssuedDaysAgo(n) => {
                let day = add_days(&today, -n.max(0)).ok_or_else(|| StoreError::invalid("days", Common::OutOfRange {}))?;
                q.and_where(Expr::col(col("issued_on")).lte(day));
            }
            Unpaid::OverdueDays(n) => {
                let day = add_days(&today, -n.max(1) + 1).ok_or_else(|| StoreError::invalid("days", Common::OutOfRange {}))?;
                q.and_where(Expr::col(col("due_on")).lt(day));
            }
        }
        q.order_by(col("id"), Order::Asc).limit(limit.clamp(1, 10_000));
        let invoices = self.read.query_all(self.backend.build(&q)).await?.iter().map(decode_invoice).collect::<Result<Vec<_>>>()?;
        let orgs = self.names_in(ws, "organizations", invoices.iter().filter_map(|i| i.organization_id)).await?;
        let owners = self.users_in(ws, invoices.iter().filter_map(|i| i.owner_id)).await?;
        Ok(invoices
            .into_iter()
            .map(|invoice| {
                let owner = invoice.owner_id.and_then(|o| owners.get(&o));
                OpenInvoice {
                    organization_name: invoice.organization_id.and_then(|o| orgs.get(&o).cloned()),
                    owner_name: owner.map(|(n, _)| n.clone()),
                    owner_active: owner.is_some_and(|(_, a)| *a),
                    days_open: days_between(&invoice.issued_on, &today).unwrap_or(0).max(0),
                    days_overdue: invoice.days_overdue(&today),
                    invoice,
                }
            })
            .collect())
    }

    /// Demo invoices: one for each of the workspace's `limit` most recently won deals, issued the
    /// day it was won and due ten days later; most are paid (by hand, a few days after issue),
    /// some half paid and some not at all, so the debtors and unpaid-orders assistants have work.
    /// Does nothing when the workspace has invoices already.
    pub async fn demo_invoices(&self, ws: i64, limit: u64) -> Result<u64> {
        let any =
            Query::select().column(col("id")).from(col("invoices")).and_where(Expr::col(col("workspace_id")).eq(ws)).limit(1).to_owned();
        if self.read.query_one(self.backend.build(&any)).await?.is_some() {
            return Ok(0);
        }
        let q = Query::select()
            .columns(["id", "organization_id", "owner_id", "value", "currency", "closed_at"].map(col))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("status")).eq("won"))
            .and_where(Expr::col(col("closed_at")).is_not_null())
            .and_where(Expr::col(col("deleted_at")).is_null())
            .and_where(Expr::col(col("value")).gt(0))
            .order_by(col("closed_at"), Order::Desc)
            .order_by(col("id"), Order::Desc)
            .limit(limit)
            .to_owned();
        let deals = self.read.query_all(self.backend.build(&q)).await?;
        let actor = self.system_actor(ws, poryadok_core::domain::Channel::Demo).await?;
        let now = self.clock.now_ms();
        let today = activity_clock::local_day(&actor.ws.timezone, now);
        let tx = self.write.begin().await?;
        let mut made = 0;
        for (i, r) in deals.iter().rev().enumerate() {
            // Won deals of a fresh demo closed moments ago: spread the invoices over the last six
            // weeks, so the unpaid and debtor assistants have something to find from the start.
            let closed: i64 = r.try_get("", "closed_at")?;
            let issued_on = activity_clock::local_day(&actor.ws.timezone, closed.min(now) - (i as i64 % 42) * 86_400_000);
            let amount: i64 = r.try_get("", "value")?;
            let new = NewInvoice {
                number: format!("СЧ-{:05}", i + 1),
                deal_id: Some(r.try_get("", "id")?),
                organization_id: r.try_get("", "organization_id")?,
                owner_id: r.try_get("", "owner_id")?,
                amount,
                currency: r.try_get("", "currency")?,
                due_on: add_days(&issued_on, 10),
                issued_on,
                comment: None,
            };
            let inv = insert_invoice(&tx, self.backend, &actor, &new, now).await?;
            let paid = match i % 7 {
                0 => 0,
                3 => amount / 2,
                _ => amount,
            };
            if paid > 0 {
                let day = add_days(&inv.issued_on, (i % 9) as i64).filter(|d| *d <= today).unwrap_or_else(|| today.clone());
                insert_payment(&tx, self.backend, &actor, &inv, paid, &day, Some(format!("п/п {}", 1000 + i)), SOURCE_MANUAL, now).await?;
                settle(&tx, self.backend, &actor, &inv, now).await?;
            }
            made += 1;
        }
        tx.commit().await?;
        Ok(made)
    }

    async fn names_in(&self, ws: i64, table: &str, ids: impl Iterator<Item = i64>) -> Result<std::collections::HashMap<i64, String>> {
        let ids: Vec<i64> = ids.collect();
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let q = Query::select()
            .columns(["id", "name"].map(col))
            .from(col(table))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).is_in(ids))
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(|r| Ok((r.try_get("", "id")?, r.try_get("", "name")?))).collect()
    }

    async fn users_in(&self, ws: i64, ids: impl Iterator<Item = i64>) -> Result<std::collections::HashMap<i64, (String, bool)>> {
        let ids: Vec<i64> = ids.collect();
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let q = Query::select()
            .columns(["id", "name", "active"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).is_in(ids))
            .to_owned();
        self.read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| Ok((r.try_get("", "id")?, (r.try_get("", "name")?, r.try_get("", "active")?))))
            .collect()
    }
}

struct DealDefaults {
    organization_id: Option<i64>,
    owner_id: Option<i64>,
    currency: Option<String>,
}

/// A checked invoice before it is written.
#[derive(Debug, Clone)]
pub(crate) struct NewInvoice {
    pub number: String,
    pub deal_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub amount: i64,
    pub currency: String,
    pub issued_on: String,
    pub due_on: Option<String>,
    pub comment: Option<String>,
}

fn links(inv: &Invoice) -> Links {
    Links { organization_id: inv.organization_id, deal_id: inv.deal_id, person_id: None }
}

/// An invoice's document date as an activity instant: the start of its issue day, never later
/// than now.
fn issued_at(actor: &Actor, inv: &Invoice, now: i64) -> i64 {
    activity_clock::day_start_ms(&actor.ws.timezone, &inv.issued_on).map_or(now, |t| t.min(now))
}

async fn org_owner(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, org: i64) -> Result<Option<i64>> {
    let q = Query::select()
        .column(col("owner_id"))
        .from(col("organizations"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("id")).eq(org))
        .to_owned();
    crate::rules::scalar_i64(conn, backend, &q).await
}

fn number_taken(e: sea_orm::DbErr) -> StoreError {
    let err = StoreError::Db(e);
    if err.is_unique_violation() {
        StoreError::conflict("number", InvoiceMsg::NumberTaken {})
    } else {
        err
    }
}

/// Inserts a checked invoice with its history event and the client's activity.
pub(crate) async fn insert_invoice(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    n: &NewInvoice,
    now: i64,
) -> Result<Invoice> {
    let q = Query::insert()
        .into_table(col("invoices"))
        .columns(
            [
                "workspace_id",
                "number",
                "deal_id",
                "organization_id",
                "owner_id",
                "amount",
                "currency",
                "issued_on",
                "due_on",
                "paid_amount",
                "status",
                "comment",
                "created_at",
                "updated_at",
            ]
            .map(col),
        )
        .values([
            actor.ws_id().into(),
            n.number.as_str().into(),
            n.deal_id.into(),
            n.organization_id.into(),
            n.owner_id.into(),
            n.amount.into(),
            n.currency.as_str().into(),
            n.issued_on.as_str().into(),
            n.due_on.clone().into(),
            0i64.into(),
            "open".into(),
            n.comment.clone().into(),
            now.into(),
            now.into(),
        ])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .returning_col(col("id"))
        .to_owned();
    let id: i64 = conn
        .query_one(backend.build(&q))
        .await
        .map_err(number_taken)?
        .ok_or_else(|| StoreError::Internal("insert returned no id".into()))?
        .try_get("", "id")?;
    let inv = Invoice {
        id,
        number: n.number.clone(),
        deal_id: n.deal_id,
        organization_id: n.organization_id,
        owner_id: n.owner_id,
        amount: n.amount,
        currency: n.currency.clone(),
        issued_on: n.issued_on.clone(),
        due_on: n.due_on.clone(),
        paid_amount: 0,
        paid_on: None,
        status: "open".into(),
        comment: n.comment.clone(),
        created_at: now,
        updated_at: now,
    };
    append_history(conn, backend, actor, "invoice", id, HistoryAction::Create, diff(None, &inv), now).await?;
    activity_clock::touch(conn, backend, actor.ws_id(), links(&inv), issued_at(actor, &inv, now)).await?;
    Ok(inv)
}

/// Writes the fields of `new` that differ from `old`, with a history event; `new.status` must
/// already follow from its amount and payments.
pub(crate) async fn save_invoice(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    old: &Invoice,
    new: Invoice,
    now: i64,
) -> Result<Invoice> {
    let changes = diff(Some(old), &new);
    if changes.is_empty() {
        return Ok(old.clone());
    }
    let q = Query::update()
        .table(col("invoices"))
        .values([
            (col("number"), new.number.as_str().into()),
            (col("deal_id"), new.deal_id.into()),
            (col("organization_id"), new.organization_id.into()),
            (col("owner_id"), new.owner_id.into()),
            (col("amount"), new.amount.into()),
            (col("currency"), new.currency.as_str().into()),
            (col("issued_on"), new.issued_on.as_str().into()),
            (col("due_on"), new.due_on.clone().into()),
            (col("paid_amount"), new.paid_amount.into()),
            (col("paid_on"), new.paid_on.clone().into()),
            (col("status"), new.status.as_str().into()),
            (col("comment"), new.comment.clone().into()),
            (col("updated_at"), now.into()),
        ])
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("id")).eq(old.id))
        .to_owned();
    conn.execute(backend.build(&q)).await.map_err(number_taken)?;
    append_history(conn, backend, actor, "invoice", old.id, HistoryAction::Update, changes, now).await?;
    if new.issued_on != old.issued_on || new.organization_id != old.organization_id || new.deal_id != old.deal_id {
        activity_clock::touch(conn, backend, actor.ws_id(), links(&new), issued_at(actor, &new, now)).await?;
    }
    Ok(Invoice { updated_at: now, ..new })
}

/// Takes the invoice's row lock (PostgreSQL) by touching it, then reads it: the caller must see it.
async fn lock_invoice(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, id: i64, now: i64) -> Result<Invoice> {
    let mut q = Query::update();
    q.table(col("invoices"))
        .value(col("updated_at"), now)
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("id")).eq(id))
        .and_where(Expr::col(col("deleted_at")).is_null());
    if let Some(c) = scope(actor) {
        q.and_where(c);
    }
    if conn.execute(backend.build(&q)).await?.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let mut s = live_invoices(actor.ws_id());
    s.and_where(Expr::col(col("id")).eq(id));
    let r = conn.query_one(backend.build(&s)).await?.ok_or(StoreError::NotFound)?;
    decode_invoice(&r)
}

pub(crate) async fn payments_of(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, invoice_id: i64) -> Result<Vec<Payment>> {
    let q = Query::select()
        .columns(PAYMENT_COLUMNS.map(col))
        .from(col("payments"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("invoice_id")).eq(invoice_id))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .order_by(col("paid_on"), Order::Asc)
        .order_by(col("id"), Order::Asc)
        .to_owned();
    conn.query_all(backend.build(&q)).await?.iter().map(decode_payment).collect()
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_payment(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    inv: &Invoice,
    amount: i64,
    paid_on: &str,
    reference: Option<String>,
    source: &str,
    now: i64,
) -> Result<Payment> {
    let created_by = (actor.user_id() != 0).then_some(actor.user_id());
    let q = Query::insert()
        .into_table(col("payments"))
        .columns(["workspace_id", "invoice_id", "amount", "paid_on", "reference", "source", "created_by", "created_at"].map(col))
        .values([
            actor.ws_id().into(),
            inv.id.into(),
            amount.into(),
            paid_on.into(),
            reference.clone().into(),
            source.into(),
            created_by.into(),
            now.into(),
        ])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .to_owned();
    let id = crate::sql::insert_id(conn, backend, &q).await?;
    let p = Payment {
        id,
        invoice_id: inv.id,
        amount,
        paid_on: paid_on.to_string(),
        reference,
        source: source.to_string(),
        created_by,
        created_at: now,
    };
    let changes = ["invoice_id", "amount", "paid_on", "reference", "source"]
        .iter()
        .map(|k| ((*k).to_string(), json!({"from": null, "to": p.to_json()[*k]})))
        .filter(|(_, v)| !v["to"].is_null())
        .collect();
    append_history(conn, backend, actor, "payment", id, HistoryAction::Create, changes, now).await?;
    Ok(p)
}

pub(crate) async fn remove_payment(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, id: i64, now: i64) -> Result<()> {
    let q = Query::update()
        .table(col("payments"))
        .value(col("deleted_at"), now)
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("id")).eq(id))
        .to_owned();
    conn.execute(backend.build(&q)).await?;
    append_history(conn, backend, actor, "payment", id, HistoryAction::Delete, Map::new(), now).await
}

/// Recomputes the paid amount, the latest payment's date and the status from the live payments.
pub(crate) async fn settle(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, inv: &Invoice, now: i64) -> Result<Invoice> {
    let q = Query::select()
        .expr_as(Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"), col("paid"))
        .expr_as(Func::max(Expr::col(col("paid_on"))), col("last"))
        .from(col("payments"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("invoice_id")).eq(inv.id))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .to_owned();
    let r = conn.query_one(backend.build(&q)).await?.ok_or_else(|| StoreError::Internal("no sum row".into()))?;
    let paid: i64 = r.try_get("", "paid")?;
    let mut new = inv.clone();
    new.paid_amount = paid;
    new.paid_on = r.try_get("", "last")?;
    new.status = status_for(&inv.status, inv.amount, paid).to_string();
    save_invoice(conn, backend, actor, inv, new, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(status: &str, due: Option<&str>) -> Invoice {
        Invoice {
            id: 1,
            number: "1".into(),
            deal_id: None,
            organization_id: None,
            owner_id: None,
            amount: 1000,
            currency: "RUB".into(),
            issued_on: "2026-11-01".into(),
            due_on: due.map(str::to_string),
            paid_amount: 400,
            paid_on: None,
            status: status.into(),
            comment: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn overdue_is_open_and_past_due_in_whole_days() {
        let i = inv("open", Some("2026-11-10"));
        assert!(!i.is_overdue("2026-11-10"));
        assert!(i.is_overdue("2026-11-11"));
        assert_eq!(i.days_overdue("2026-11-23"), 13);
        assert_eq!(i.display_status("2026-11-23"), "overdue");
        assert_eq!(i.balance(), 600);
        assert!(!inv("paid", Some("2026-11-10")).is_overdue("2026-12-01"));
        assert!(!inv("open", None).is_overdue("2030-01-01"));
    }

    #[test]
    fn status_follows_payments_and_cancelled_sticks() {
        assert_eq!(status_for("open", 100, 100), "paid");
        assert_eq!(status_for("paid", 200, 100), "open");
        assert_eq!(status_for("cancelled", 100, 100), "cancelled");
    }

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        let c = encode_cursor(&inv("open", None));
        assert_eq!(decode_cursor(&c).unwrap(), ("2026-11-01".to_string(), 1));
        assert!(decode_cursor("junk!").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode(r#"["2026-13-01; DROP", 1]"#)).is_err());
    }

    #[test]
    fn query_parameters_are_checked() {
        let q = InvoiceQuery::from_pairs([("status", "overdue"), ("deal_id", "5"), ("overdue", "")]).unwrap();
        assert_eq!((q.status.as_deref(), q.deal_id, q.overdue), (Some("overdue"), Some(5), None));
        assert!(InvoiceQuery::from_pairs([("status", "late")]).is_err());
        assert!(InvoiceQuery::from_pairs([("deal_id", "x")]).is_err());
        assert!(InvoiceQuery::from_pairs([("sort", "x")]).is_err());
    }

    #[test]
    fn days_shift_and_count() {
        assert_eq!(add_days("2026-03-01", -1).as_deref(), Some("2026-02-28"));
        assert_eq!(days_between("2026-11-10", "2026-11-23"), Some(13));
    }
}

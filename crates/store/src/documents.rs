//! Products, a deal's line items, DOCX templates, numbering sequences and the documents made for
//! deals (docs/DOCUMENTS.md). The sums come from [`poryadok_core::line_items`]; the DOCX filling
//! is the server's; the files a document produces are on the deal ([`crate::files::attach`]).
//!
//! The catalogue, the templates, the numbering prefixes and the VAT setting are administrators'
//! (`can_manage_settings`). Line items are the deal's: whoever may see the deal sees them, whoever
//! may write deals changes them, and each change writes a `line_item` history event in its
//! transaction. When the deal's "value from line items" is on, every change of its lines sets the
//! deal's value to their total through the records' write path ([`Db::update`]), so the deal's
//! own history, rules and webhooks see it like any other change of the value.
//!
//! Numbers: one row per workspace, document type and year holds the next number; a document takes
//! it with one `UPDATE … RETURNING` in the transaction that inserts the document, so concurrent
//! documents get consecutive numbers and a failed insert gives its number back.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::records::append_history;
use crate::sql::{col, insert_id};
use crate::Db;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use poryadok_core::documents::{check_prefix, format_number, DocType};
use poryadok_core::domain::HistoryAction;
use poryadok_core::line_items::{
    check_name, check_price, check_unit, format_percent, format_quantity, line_sums, parse_percent, parse_quantity, totals, Discount,
    LineInput, LineSums, Totals, VatRate,
};
use poryadok_core::msg::{Common, DocumentMsg};
use poryadok_core::schema::Entity;
use poryadok_core::types::parse_currency;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use sea_query::{Expr, OnConflict, Order, Query};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};

/// The most lines one deal takes.
pub const MAX_LINES: i64 = 500;
/// The largest template accepted, in MiB.
pub const MAX_TEMPLATE_MB: i64 = 10;

fn admins_only(actor: &Actor) -> Result<()> {
    if actor.caller.role.can_manage_settings() {
        Ok(())
    } else {
        Err(StoreError::forbidden(DocumentMsg::AdminsOnly {}))
    }
}

fn check_version(if_match: Option<i64>, current: i64) -> Result<()> {
    match if_match {
        Some(v) if v != current => Err(StoreError::Stale { current }),
        _ => Ok(()),
    }
}

fn obj(body: &Json) -> Result<&Map<String, Json>> {
    body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))
}

fn text(name: &str, v: &Json) -> Result<String> {
    v.as_str().map(str::to_string).ok_or_else(|| StoreError::invalid(name, Common::NotString {}))
}

/// A number given as JSON number or as text (`"1.5"`, `"1,5"`).
fn decimal_text(v: &Json) -> Option<String> {
    match v {
        Json::Number(n) => Some(n.to_string()),
        Json::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn price_of(name: &str, v: &Json) -> Result<i64> {
    let p = v.as_i64().ok_or_else(|| StoreError::invalid(name, DocumentMsg::PriceShape {}))?;
    check_price(p).map_err(|m| StoreError::invalid(name, m))
}

fn vat_of(name: &str, v: &Json) -> Result<VatRate> {
    let s = decimal_text(v).ok_or_else(|| StoreError::invalid(name, DocumentMsg::VatRateChoice {}))?;
    VatRate::parse(&s).map_err(|m| StoreError::invalid(name, m))
}

fn vat_from_db(s: &str) -> VatRate {
    VatRate::parse(s).unwrap_or(VatRate::None)
}

// ---------------------------------------------------------------------------------------------
// Products.

/// A product of the catalogue.
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: i64,
    pub name: String,
    /// The article code, unique in the workspace when given.
    pub sku: Option<String>,
    pub unit: String,
    /// Minor units.
    pub price: i64,
    pub currency: String,
    /// `22`, `10`, `0` or `none`.
    pub vat_rate: String,
    /// `active` or `archived`.
    pub status: String,
    pub version: i64,
}

const PRODUCT_COLUMNS: [&str; 9] = ["id", "name", "sku", "unit", "price", "currency", "vat_rate", "status", "version"];

fn decode_product(r: &QueryResult) -> Result<Product> {
    Ok(Product {
        id: r.try_get("", "id")?,
        name: r.try_get("", "name")?,
        sku: r.try_get("", "sku")?,
        unit: r.try_get("", "unit")?,
        price: r.try_get("", "price")?,
        currency: r.try_get("", "currency")?,
        vat_rate: r.try_get("", "vat_rate")?,
        status: r.try_get("", "status")?,
        version: r.try_get("", "version")?,
    })
}

const PRODUCT_FIELDS: [&str; 7] = ["name", "sku", "unit", "price", "currency", "vat_rate", "status"];

/// Applies a product body to `p` (a create starts from defaults).
fn apply_product(p: &mut Product, body: &Json) -> Result<()> {
    for (k, v) in obj(body)? {
        match k.as_str() {
            "name" => p.name = check_name(&text(k, v)?).map_err(|m| StoreError::invalid(k, m))?,
            "sku" => p.sku = sku_of(k, v)?,
            "unit" => p.unit = check_unit(&text(k, v)?).map_err(|m| StoreError::invalid(k, m))?,
            "price" => p.price = price_of(k, v)?,
            "currency" => p.currency = parse_currency(&text(k, v)?).map_err(|m| StoreError::invalid(k, m))?,
            "vat_rate" => p.vat_rate = vat_of(k, v)?.code().to_string(),
            "status" => {
                let s = text(k, v)?;
                if !matches!(s.as_str(), "active" | "archived") {
                    return Err(StoreError::invalid(k, DocumentMsg::ProductStatusChoice {}));
                }
                p.status = s;
            }
            "id" | "version" => return Err(StoreError::invalid(k, Common::ReadOnly {})),
            other => return Err(StoreError::invalid(other, Common::UnknownField { expected: poryadok_core::msg::words(PRODUCT_FIELDS) })),
        }
    }
    if p.name.is_empty() {
        return Err(StoreError::invalid("name", Common::Required {}));
    }
    Ok(())
}

/// An article code: trimmed, up to 64 characters without control characters; empty or null
/// clears it.
fn sku_of(k: &str, v: &Json) -> Result<Option<String>> {
    if v.is_null() {
        return Ok(None);
    }
    let s = text(k, v)?;
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > 64 || s.chars().any(char::is_control) {
        return Err(StoreError::invalid(k, DocumentMsg::SkuShape {}));
    }
    Ok(Some(s.to_string()))
}

/// Refuses an article code another product of the workspace already has.
async fn check_sku_free(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, p: &Product) -> Result<()> {
    let Some(sku) = &p.sku else { return Ok(()) };
    let q = Query::select()
        .column(col("name"))
        .from(col("products"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("sku")).eq(sku.as_str()))
        .and_where(Expr::col(col("id")).ne(p.id))
        .limit(1)
        .to_owned();
    match conn.query_one(backend.build(&q)).await? {
        Some(r) => Err(StoreError::invalid("sku", DocumentMsg::SkuTaken { sku: sku.clone(), name: r.try_get("", "name")? })),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Line items.

/// One line of a deal, with its sums.
#[derive(Debug, Clone, Serialize)]
pub struct LineItem {
    pub id: i64,
    pub deal_id: i64,
    pub product_id: Option<i64>,
    pub name: String,
    /// The product's article code when the line was added (or as given).
    pub sku: Option<String>,
    /// The exact quantity as a decimal text (`1.5`).
    pub quantity: String,
    #[serde(skip)]
    pub quantity_milli: i64,
    pub unit: String,
    pub price: i64,
    /// `{"percent": "10"}`, `{"amount": 5000}` or null.
    pub discount: Json,
    #[serde(skip)]
    pub discount_parts: Discount,
    pub vat_rate: String,
    pub position: i64,
    pub version: i64,
    pub sums: LineSums,
}

impl LineItem {
    pub fn input(&self) -> LineInput {
        LineInput {
            price: self.price,
            quantity_milli: self.quantity_milli,
            discount: self.discount_parts,
            vat: vat_from_db(&self.vat_rate),
        }
    }
    pub fn vat(&self) -> VatRate {
        vat_from_db(&self.vat_rate)
    }
}

fn discount_json(d: Discount) -> Json {
    match d {
        Discount::None => Json::Null,
        Discount::Percent(bp) => json!({"percent": format_percent(bp)}),
        Discount::Amount(a) => json!({"amount": a}),
    }
}

/// A deal's lines, their totals and the settings they were summed with.
#[derive(Debug, Clone, Serialize)]
pub struct DealLines {
    pub deal_id: i64,
    pub currency: String,
    pub items: Vec<LineItem>,
    pub totals: Totals,
    pub value_from_items: bool,
    pub prices_include_vat: bool,
}

const LINE_COLUMNS: [&str; 14] = [
    "id",
    "deal_id",
    "product_id",
    "name",
    "sku",
    "quantity_milli",
    "unit",
    "price",
    "discount_kind",
    "discount_value",
    "vat_rate",
    "position",
    "version",
    "created_at",
];

fn decode_line(r: &QueryResult, include_vat: bool) -> Result<LineItem> {
    let kind: String = r.try_get("", "discount_kind")?;
    let discount = Discount::from_parts(&kind, r.try_get("", "discount_value")?);
    let quantity_milli: i64 = r.try_get("", "quantity_milli")?;
    let mut item = LineItem {
        id: r.try_get("", "id")?,
        deal_id: r.try_get("", "deal_id")?,
        product_id: r.try_get("", "product_id")?,
        name: r.try_get("", "name")?,
        sku: r.try_get("", "sku")?,
        quantity: format_quantity(quantity_milli),
        quantity_milli,
        unit: r.try_get("", "unit")?,
        price: r.try_get("", "price")?,
        discount: discount_json(discount),
        discount_parts: discount,
        vat_rate: r.try_get("", "vat_rate")?,
        position: r.try_get("", "position")?,
        version: r.try_get("", "version")?,
        sums: LineSums::default(),
    };
    item.sums = line_sums(&item.input(), include_vat);
    Ok(item)
}

fn discount_of(v: &Json) -> Result<Discount> {
    let bad = || StoreError::invalid("discount", DocumentMsg::DiscountShape {});
    match v {
        Json::Null => Ok(Discount::None),
        Json::Object(m) if m.len() == 1 => {
            if let Some(p) = m.get("percent") {
                let s = decimal_text(p).ok_or_else(bad)?;
                let bp = parse_percent(&s).map_err(|m| StoreError::invalid("discount", m))?;
                Ok(if bp == 0 { Discount::None } else { Discount::Percent(bp) })
            } else if let Some(a) = m.get("amount") {
                let a = a.as_i64().filter(|a| *a >= 0).ok_or_else(bad)?;
                Ok(if a == 0 { Discount::None } else { Discount::Amount(a) })
            } else {
                Err(bad())
            }
        }
        _ => Err(bad()),
    }
}

/// What a line body asks for.
#[derive(Default)]
struct LineBody {
    product_id: Option<Option<i64>>,
    name: Option<String>,
    sku: Option<Option<String>>,
    quantity: Option<i64>,
    unit: Option<String>,
    price: Option<i64>,
    discount: Option<Discount>,
    vat_rate: Option<VatRate>,
    position: Option<i64>,
}

const LINE_FIELDS: [&str; 9] = ["product_id", "name", "sku", "quantity", "unit", "price", "discount", "vat_rate", "position"];

fn read_line(body: &Json) -> Result<LineBody> {
    let mut b = LineBody::default();
    for (k, v) in obj(body)? {
        match k.as_str() {
            "product_id" => {
                b.product_id = Some(match v {
                    Json::Null => None,
                    v => Some(v.as_i64().filter(|i| *i > 0).ok_or_else(|| StoreError::invalid(k, Common::NotInteger {}))?),
                })
            }
            "name" => b.name = Some(check_name(&text(k, v)?).map_err(|m| StoreError::invalid(k, m))?),
            "sku" => b.sku = Some(sku_of(k, v)?),
            "quantity" => {
                let s = decimal_text(v).ok_or_else(|| StoreError::invalid(k, DocumentMsg::QuantityShape {}))?;
                b.quantity = Some(parse_quantity(&s).map_err(|m| StoreError::invalid(k, m))?);
            }
            "unit" => b.unit = Some(check_unit(&text(k, v)?).map_err(|m| StoreError::invalid(k, m))?),
            "price" => b.price = Some(price_of(k, v)?),
            "discount" => b.discount = Some(discount_of(v)?),
            "vat_rate" => b.vat_rate = Some(vat_of(k, v)?),
            "position" => b.position = Some(v.as_i64().filter(|p| *p >= 0).ok_or_else(|| StoreError::invalid(k, Common::NotInteger {}))?),
            "id" | "deal_id" | "version" | "sums" => return Err(StoreError::invalid(k, Common::ReadOnly {})),
            other => return Err(StoreError::invalid(other, Common::UnknownField { expected: poryadok_core::msg::words(LINE_FIELDS) })),
        }
    }
    Ok(b)
}

// ---------------------------------------------------------------------------------------------
// Templates and documents.

/// A template as listed (without its bytes).
#[derive(Debug, Clone, Serialize)]
pub struct TemplateInfo {
    pub id: i64,
    pub name: String,
    /// `invoice`, `act`, `contract`, `proposal` or `other`.
    pub doc_type: String,
    pub size: i64,
    /// The placeholders it uses.
    pub fields: Vec<String>,
    pub builtin: bool,
    pub version: i64,
    pub created_by: Option<i64>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
}

const TEMPLATE_COLUMNS: [&str; 9] = ["id", "name", "doc_type", "size", "fields", "builtin", "version", "created_by", "created_at"];

fn decode_template(r: &QueryResult) -> Result<TemplateInfo> {
    let fields: String = r.try_get("", "fields")?;
    Ok(TemplateInfo {
        id: r.try_get("", "id")?,
        name: r.try_get("", "name")?,
        doc_type: r.try_get("", "doc_type")?,
        size: r.try_get("", "size")?,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        builtin: r.try_get::<i64>("", "builtin")? != 0,
        version: r.try_get("", "version")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
    })
}

/// A template to store: already read and checked by the DOCX filler.
pub struct NewTemplate<'a> {
    pub name: &'a str,
    pub doc_type: DocType,
    pub bytes: &'a [u8],
    pub fields: &'a [String],
    pub builtin: bool,
}

/// A document made for a deal.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub id: i64,
    pub deal_id: i64,
    pub template_id: i64,
    pub doc_type: String,
    pub number: String,
    /// `YYYY-MM-DD`, the workspace's day the document was made.
    pub date: String,
    /// The line items' total payable, when the document lists them.
    pub total: Option<i64>,
    pub currency: Option<String>,
    pub docx_file_id: Option<i64>,
    pub pdf_file_id: Option<i64>,
    /// `pending` (queued), `done`, `failed` or `none` (not asked for).
    pub pdf_status: String,
    /// Why the PDF failed: the message's code and its English text.
    pub pdf_error: Option<Json>,
    pub created_by: Option<i64>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
}

const DOCUMENT_COLUMNS: [&str; 14] = [
    "id",
    "deal_id",
    "template_id",
    "doc_type",
    "number",
    "doc_date",
    "total",
    "currency",
    "docx_file_id",
    "pdf_file_id",
    "pdf_status",
    "pdf_error",
    "created_by",
    "created_at",
];

fn decode_document(r: &QueryResult) -> Result<Document> {
    let err: Option<String> = r.try_get("", "pdf_error")?;
    Ok(Document {
        id: r.try_get("", "id")?,
        deal_id: r.try_get("", "deal_id")?,
        template_id: r.try_get("", "template_id")?,
        doc_type: r.try_get("", "doc_type")?,
        number: r.try_get("", "number")?,
        date: r.try_get("", "doc_date")?,
        total: r.try_get("", "total")?,
        currency: r.try_get("", "currency")?,
        docx_file_id: r.try_get("", "docx_file_id")?,
        pdf_file_id: r.try_get("", "pdf_file_id")?,
        pdf_status: r.try_get("", "pdf_status")?,
        pdf_error: err.and_then(|e| serde_json::from_str(&e).ok()),
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
    })
}

/// A numbering prefix of one document type and the number the next document of this year gets.
#[derive(Debug, Clone, Serialize)]
pub struct Numbering {
    pub doc_type: String,
    pub prefix: String,
    pub next_number: i64,
    /// How the next number reads: «СЧ-2026-0001».
    pub next: String,
}

/// The job that converts a document's DOCX to PDF.
pub const PDF_JOB: &str = "document_pdf";

/// Takes the next number of a sequence in `conn`'s transaction: the row is created on first use,
/// then one `UPDATE … RETURNING` moves it on (a row lock on PostgreSQL, the single writer on
/// SQLite), so two transactions never get the same number.
async fn take_number(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, doc_type: &str, year: i64) -> Result<i64> {
    let ins = Query::insert()
        .into_table(col("document_sequences"))
        .columns(["workspace_id", "doc_type", "year", "next_number"].map(col))
        .values_panic([ws.into(), doc_type.into(), year.into(), 1i64.into()])
        .on_conflict(OnConflict::columns(["workspace_id", "doc_type", "year"].map(col)).do_nothing().to_owned())
        .to_owned();
    conn.execute(backend.build(&ins)).await?;
    let mut upd = Query::update()
        .table(col("document_sequences"))
        .value(col("next_number"), Expr::col(col("next_number")).add(1))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("doc_type")).eq(doc_type))
        .and_where(Expr::col(col("year")).eq(year))
        .to_owned();
    upd.returning_col(col("next_number"));
    let row = conn.query_one(backend.build(&upd)).await?.ok_or_else(|| StoreError::Internal("no numbering row".into()))?;
    let next: i64 = row.try_get("", "next_number")?;
    Ok(next - 1)
}

async fn prefix_of(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, t: DocType) -> Result<String> {
    let q = Query::select()
        .column(col("prefix"))
        .from(col("document_prefixes"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("doc_type")).eq(t.code()))
        .to_owned();
    Ok(match conn.query_one(backend.build(&q)).await? {
        Some(r) => r.try_get("", "prefix")?,
        None => t.default_prefix().to_string(),
    })
}

impl Db {
    // -- Settings --------------------------------------------------------------------------------

    /// Whether the workspace's prices include VAT (on unless an administrator turned it off).
    pub async fn prices_include_vat(&self, ws: i64) -> Result<bool> {
        let q = Query::select()
            .column(col("prices_include_vat"))
            .from(col("document_settings"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .to_owned();
        Ok(match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => r.try_get::<i64>("", "prices_include_vat")? != 0,
            None => true,
        })
    }

    /// Sets whether prices include VAT (administrators).
    pub async fn set_prices_include_vat(&self, actor: &Actor, on: bool) -> Result<()> {
        admins_only(actor)?;
        let q = Query::insert()
            .into_table(col("document_settings"))
            .columns(["workspace_id", "prices_include_vat", "updated_at"].map(col))
            .values_panic([actor.ws_id().into(), i64::from(on).into(), self.clock.now_ms().into()])
            .on_conflict(OnConflict::column(col("workspace_id")).update_columns(["prices_include_vat", "updated_at"].map(col)).to_owned())
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    // -- Products ----------------------------------------------------------------------------------

    /// The catalogue, by name; archived products only when asked.
    pub async fn products(&self, actor: &Actor, include_archived: bool) -> Result<Vec<Product>> {
        let mut q = Query::select()
            .columns(PRODUCT_COLUMNS.map(col))
            .from(col("products"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .order_by(col("name"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .to_owned();
        if !include_archived {
            q.and_where(Expr::col(col("status")).eq("active"));
        }
        self.read.query_all(self.backend.build(&q)).await?.iter().map(decode_product).collect()
    }

    pub async fn product(&self, actor: &Actor, id: i64) -> Result<Product> {
        product_on(&self.read, self.backend, actor.ws_id(), id).await?.ok_or(StoreError::NotFound)
    }

    /// Adds a product: `{name, price}` required; `unit` (default «шт»), `currency` (the
    /// workspace's), `vat_rate` (default 22).
    pub async fn create_product(&self, actor: &Actor, body: &Json) -> Result<Product> {
        admins_only(actor)?;
        let mut p = Product {
            id: 0,
            name: String::new(),
            sku: None,
            unit: "шт".into(),
            price: -1,
            currency: actor.ws.currency.clone(),
            vat_rate: VatRate::Vat22.code().into(),
            status: "active".into(),
            version: 1,
        };
        apply_product(&mut p, body)?;
        if p.price < 0 {
            return Err(StoreError::invalid("price", Common::Required {}));
        }
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        check_sku_free(&tx, self.backend, actor.ws_id(), &p).await?;
        let q = Query::insert()
            .into_table(col("products"))
            .columns(
                ["workspace_id", "name", "sku", "unit", "price", "currency", "vat_rate", "status", "version", "created_at", "updated_at"]
                    .map(col),
            )
            .values_panic([
                actor.ws_id().into(),
                p.name.clone().into(),
                p.sku.clone().into(),
                p.unit.clone().into(),
                p.price.into(),
                p.currency.clone().into(),
                p.vat_rate.clone().into(),
                p.status.clone().into(),
                1i64.into(),
                now.into(),
                now.into(),
            ])
            .to_owned();
        p.id = insert_id(&tx, self.backend, &q).await?;
        let changes = product_changes(None, &p);
        append_history(&tx, self.backend, actor, "product", p.id, HistoryAction::Create, changes, now).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Changes a product (`If-Match` checks its version). Lines already on deals keep their own
    /// name, price and rate.
    pub async fn update_product(&self, actor: &Actor, id: i64, body: &Json, if_match: Option<i64>) -> Result<Product> {
        admins_only(actor)?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let old = product_on(&tx, self.backend, actor.ws_id(), id).await?.ok_or(StoreError::NotFound)?;
        check_version(if_match, old.version)?;
        let mut p = old.clone();
        apply_product(&mut p, body)?;
        check_sku_free(&tx, self.backend, actor.ws_id(), &p).await?;
        p.version = old.version + 1;
        let q = Query::update()
            .table(col("products"))
            .values([
                (col("name"), p.name.clone().into()),
                (col("sku"), p.sku.clone().into()),
                (col("unit"), p.unit.clone().into()),
                (col("price"), p.price.into()),
                (col("currency"), p.currency.clone().into()),
                (col("vat_rate"), p.vat_rate.clone().into()),
                (col("status"), p.status.clone().into()),
                (col("version"), p.version.into()),
                (col("updated_at"), now.into()),
            ])
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("version")).eq(old.version))
            .to_owned();
        if tx.execute(self.backend.build(&q)).await?.rows_affected() != 1 {
            return Err(StoreError::Stale { current: old.version + 1 });
        }
        let changes = product_changes(Some(&old), &p);
        append_history(&tx, self.backend, actor, "product", id, HistoryAction::Update, changes, now).await?;
        tx.commit().await?;
        Ok(p)
    }

    // -- Line items --------------------------------------------------------------------------------

    /// A deal's lines and totals; the deal must be visible to the caller.
    pub async fn line_items(&self, actor: &Actor, deal_id: i64) -> Result<DealLines> {
        let deal = self.get(actor, Entity::Deal, deal_id).await?;
        let currency = deal.get("currency").as_text().map(str::to_string).unwrap_or_else(|| actor.ws.currency.clone());
        self.lines_on(&self.read, actor, deal_id, currency).await
    }

    async fn lines_on(&self, conn: &impl ConnectionTrait, actor: &Actor, deal_id: i64, currency: String) -> Result<DealLines> {
        let include = self.prices_include_vat(actor.ws_id()).await?;
        let q = Query::select()
            .columns(LINE_COLUMNS.map(col))
            .from(col("deal_line_items"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deal_id")).eq(deal_id))
            .order_by(col("position"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .to_owned();
        let items = conn.query_all(self.backend.build(&q)).await?.iter().map(|r| decode_line(r, include)).collect::<Result<Vec<_>>>()?;
        let t = totals(&items.iter().map(LineItem::input).collect::<Vec<_>>(), include);
        let value_from_items = value_from_items(conn, self.backend, actor.ws_id(), deal_id).await?;
        Ok(DealLines { deal_id, currency, items, totals: t, value_from_items, prices_include_vat: include })
    }

    /// Adds a line: from a product (`product_id`; its name, unit, price and rate unless given) or
    /// free (`name` and `price`); `quantity` (default 1), `discount`, `vat_rate`, `position`.
    pub async fn add_line_item(&self, actor: &Actor, deal_id: i64, body: &Json) -> Result<LineItem> {
        actor.caller.may_write(Entity::Deal).map_err(StoreError::forbidden)?;
        let deal = self.get(actor, Entity::Deal, deal_id).await?;
        let b = read_line(body)?;
        let product = match b.product_id.flatten() {
            Some(pid) => {
                let p = self.product(actor, pid).await.map_err(|e| match e {
                    StoreError::NotFound => StoreError::invalid("product_id", DocumentMsg::NoProduct { id: pid }),
                    e => e,
                })?;
                if p.status != "active" {
                    return Err(StoreError::invalid("product_id", DocumentMsg::ProductArchived { name: p.name }));
                }
                Some(p)
            }
            None => None,
        };
        let name =
            b.name.or_else(|| product.as_ref().map(|p| p.name.clone())).ok_or_else(|| StoreError::invalid("name", Common::Required {}))?;
        if let (Some(p), None) = (&product, b.price) {
            // The product's price is in its own currency: a deal in another one needs the price given.
            let deal_currency = deal.get("currency").as_text().map(str::to_string).unwrap_or_else(|| actor.ws.currency.clone());
            if p.currency != deal_currency {
                return Err(StoreError::invalid("price", DocumentMsg::CurrencyMismatch { deal: deal_currency, line: p.currency.clone() }));
            }
        }
        let price = b.price.or(product.as_ref().map(|p| p.price)).ok_or_else(|| StoreError::invalid("price", Common::Required {}))?;
        let sku = b.sku.unwrap_or_else(|| product.as_ref().and_then(|p| p.sku.clone()));
        let unit = b.unit.or_else(|| product.as_ref().map(|p| p.unit.clone())).unwrap_or_else(|| "шт".into());
        let vat = b.vat_rate.or_else(|| product.as_ref().map(|p| vat_from_db(&p.vat_rate))).unwrap_or(VatRate::Vat22);
        let discount = b.discount.unwrap_or_default();
        let quantity = b.quantity.unwrap_or(1000);
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let count = crate::rules::scalar_i64(
            &tx,
            self.backend,
            &Query::select()
                .expr(Expr::col(col("id")).count())
                .from(col("deal_line_items"))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("deal_id")).eq(deal_id))
                .to_owned(),
        )
        .await?
        .unwrap_or(0);
        if count >= MAX_LINES {
            return Err(StoreError::invalid("deal_id", DocumentMsg::TooManyLines { max: MAX_LINES }));
        }
        let position = match b.position {
            Some(p) => p,
            None => crate::rules::scalar_i64(
                &tx,
                self.backend,
                &Query::select()
                    .expr(Expr::col(col("position")).max())
                    .from(col("deal_line_items"))
                    .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                    .and_where(Expr::col(col("deal_id")).eq(deal_id))
                    .to_owned(),
            )
            .await?
            .map_or(1, |p| p + 1),
        };
        let q = Query::insert()
            .into_table(col("deal_line_items"))
            .columns(
                [
                    "workspace_id",
                    "deal_id",
                    "product_id",
                    "name",
                    "sku",
                    "quantity_milli",
                    "unit",
                    "price",
                    "discount_kind",
                    "discount_value",
                    "vat_rate",
                    "position",
                    "version",
                    "created_at",
                    "updated_at",
                ]
                .map(col),
            )
            .values_panic([
                actor.ws_id().into(),
                deal_id.into(),
                product.as_ref().map(|p| p.id).into(),
                name.clone().into(),
                sku.into(),
                quantity.into(),
                unit.clone().into(),
                price.into(),
                discount.kind().into(),
                discount.value().into(),
                vat.code().into(),
                position.into(),
                1i64.into(),
                now.into(),
                now.into(),
            ])
            .to_owned();
        let id = insert_id(&tx, self.backend, &q).await?;
        let item = line_on(&tx, self, actor.ws_id(), deal_id, id).await?;
        append_history(&tx, self.backend, actor, "line_item", id, HistoryAction::Create, line_changes(None, &item, deal_id), now).await?;
        tx.commit().await?;
        self.follow_value(actor, deal_id).await?;
        Ok(item)
    }

    /// Changes a line (`If-Match` checks its version).
    pub async fn update_line_item(&self, actor: &Actor, deal_id: i64, id: i64, body: &Json, if_match: Option<i64>) -> Result<LineItem> {
        actor.caller.may_write(Entity::Deal).map_err(StoreError::forbidden)?;
        self.get(actor, Entity::Deal, deal_id).await?;
        let b = read_line(body)?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let old = line_on(&tx, self, actor.ws_id(), deal_id, id).await?;
        check_version(if_match, old.version)?;
        let mut values = vec![(col("version"), (old.version + 1).into()), (col("updated_at"), now.into())];
        if let Some(p) = b.product_id {
            values.push((col("product_id"), p.into()));
        }
        if let Some(n) = b.name {
            values.push((col("name"), n.into()));
        }
        if let Some(s) = b.sku {
            values.push((col("sku"), s.into()));
        }
        if let Some(q) = b.quantity {
            values.push((col("quantity_milli"), q.into()));
        }
        if let Some(u) = b.unit {
            values.push((col("unit"), u.into()));
        }
        if let Some(p) = b.price {
            values.push((col("price"), p.into()));
        }
        if let Some(d) = b.discount {
            values.push((col("discount_kind"), d.kind().into()));
            values.push((col("discount_value"), d.value().into()));
        }
        if let Some(v) = b.vat_rate {
            values.push((col("vat_rate"), v.code().into()));
        }
        if let Some(p) = b.position {
            values.push((col("position"), p.into()));
        }
        let q = Query::update()
            .table(col("deal_line_items"))
            .values(values)
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("version")).eq(old.version))
            .to_owned();
        if tx.execute(self.backend.build(&q)).await?.rows_affected() != 1 {
            return Err(StoreError::Stale { current: old.version + 1 });
        }
        let item = line_on(&tx, self, actor.ws_id(), deal_id, id).await?;
        append_history(&tx, self.backend, actor, "line_item", id, HistoryAction::Update, line_changes(Some(&old), &item, deal_id), now)
            .await?;
        tx.commit().await?;
        self.follow_value(actor, deal_id).await?;
        Ok(item)
    }

    /// Removes a line.
    pub async fn delete_line_item(&self, actor: &Actor, deal_id: i64, id: i64, if_match: Option<i64>) -> Result<()> {
        actor.caller.may_write(Entity::Deal).map_err(StoreError::forbidden)?;
        self.get(actor, Entity::Deal, deal_id).await?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let old = line_on(&tx, self, actor.ws_id(), deal_id, id).await?;
        check_version(if_match, old.version)?;
        let q = Query::delete()
            .from_table(col("deal_line_items"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        let mut changes = Map::new();
        changes.insert("deal_id".into(), json!({"from": deal_id, "to": null}));
        append_history(&tx, self.backend, actor, "line_item", id, HistoryAction::Delete, changes, now).await?;
        tx.commit().await?;
        self.follow_value(actor, deal_id).await?;
        Ok(())
    }

    /// Turns "the deal's value is its line items' total" on or off; on sets the value at once.
    pub async fn set_value_from_items(&self, actor: &Actor, deal_id: i64, on: bool) -> Result<DealLines> {
        actor.caller.may_write(Entity::Deal).map_err(StoreError::forbidden)?;
        self.get(actor, Entity::Deal, deal_id).await?;
        let q = Query::insert()
            .into_table(col("deal_line_settings"))
            .columns(["workspace_id", "deal_id", "value_from_items"].map(col))
            .values_panic([actor.ws_id().into(), deal_id.into(), i64::from(on).into()])
            .on_conflict(OnConflict::columns(["workspace_id", "deal_id"].map(col)).update_column(col("value_from_items")).to_owned())
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        self.follow_value(actor, deal_id).await?;
        self.line_items(actor, deal_id).await
    }

    /// When the deal's value follows its lines, writes their total as its value (and its
    /// currency's lines) through the records' write path; nothing when it already matches.
    async fn follow_value(&self, actor: &Actor, deal_id: i64) -> Result<()> {
        if !value_from_items(&self.read, self.backend, actor.ws_id(), deal_id).await? {
            return Ok(());
        }
        let lines = self.line_items(actor, deal_id).await?;
        let deal = self.get(actor, Entity::Deal, deal_id).await?;
        if deal.get("value").as_int() != Some(lines.totals.payable) {
            self.update(actor, Entity::Deal, deal_id, &json!({"value": lines.totals.payable})).await?;
        }
        Ok(())
    }

    // -- Templates ---------------------------------------------------------------------------------

    pub async fn doc_templates(&self, actor: &Actor) -> Result<Vec<TemplateInfo>> {
        let q = Query::select()
            .columns(TEMPLATE_COLUMNS.map(col))
            .from(col("document_templates"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("doc_type"), Order::Asc)
            .order_by(col("name"), Order::Asc)
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(decode_template).collect()
    }

    /// A template and its DOCX bytes.
    pub async fn doc_template(&self, actor: &Actor, id: i64) -> Result<(TemplateInfo, Vec<u8>)> {
        let q = Query::select()
            .columns(TEMPLATE_COLUMNS.map(col))
            .column(col("content"))
            .from(col("document_templates"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        let content: String = r.try_get("", "content")?;
        let bytes = STANDARD.decode(content).map_err(|e| StoreError::Internal(format!("template {id}: {e}")))?;
        Ok((decode_template(&r)?, bytes))
    }

    /// A live template by its name (the command line names templates).
    pub async fn doc_template_by_name(&self, actor: &Actor, name: &str) -> Result<(TemplateInfo, Vec<u8>)> {
        let id = self.doc_templates(actor).await?.into_iter().find(|t| t.name == name).map(|t| t.id).ok_or(StoreError::NotFound)?;
        self.doc_template(actor, id).await
    }

    /// Stores a checked template (administrators).
    pub async fn create_doc_template(&self, actor: &Actor, t: &NewTemplate<'_>) -> Result<TemplateInfo> {
        admins_only(actor)?;
        let name = t.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StoreError::invalid("name", DocumentMsg::TemplateNameShape {}));
        }
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let q = Query::insert()
            .into_table(col("document_templates"))
            .columns(
                [
                    "workspace_id",
                    "name",
                    "doc_type",
                    "content",
                    "size",
                    "fields",
                    "builtin",
                    "version",
                    "created_by",
                    "created_at",
                    "updated_at",
                ]
                .map(col),
            )
            .values_panic([
                actor.ws_id().into(),
                name.into(),
                t.doc_type.code().into(),
                STANDARD.encode(t.bytes).into(),
                (t.bytes.len() as i64).into(),
                serde_json::to_string(t.fields).unwrap_or_else(|_| "[]".into()).into(),
                i64::from(t.builtin).into(),
                1i64.into(),
                (actor.user_id() != 0).then_some(actor.user_id()).into(),
                now.into(),
                now.into(),
            ])
            .to_owned();
        let id = insert_id(&tx, self.backend, &q).await?;
        let mut changes = Map::new();
        changes.insert("name".into(), json!({"from": null, "to": name}));
        changes.insert("doc_type".into(), json!({"from": null, "to": t.doc_type.code()}));
        append_history(&tx, self.backend, actor, "document_template", id, HistoryAction::Create, changes, now).await?;
        tx.commit().await?;
        Ok(self.doc_template(actor, id).await?.0)
    }

    /// Removes a template (documents made from it stay).
    pub async fn delete_doc_template(&self, actor: &Actor, id: i64) -> Result<()> {
        admins_only(actor)?;
        self.doc_template(actor, id).await?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        crate::sql::soft_delete(&tx, self.backend, "document_templates", actor.ws_id(), id, now).await?;
        append_history(&tx, self.backend, actor, "document_template", id, HistoryAction::Delete, Map::new(), now).await?;
        tx.commit().await?;
        Ok(())
    }

    // -- Numbering ---------------------------------------------------------------------------------

    /// Every document type's prefix and the next number of `year`.
    pub async fn numbering(&self, actor: &Actor, year: i32) -> Result<Vec<Numbering>> {
        let mut out = Vec::new();
        for t in DocType::ALL {
            let prefix = prefix_of(&self.read, self.backend, actor.ws_id(), t).await?;
            let q = Query::select()
                .column(col("next_number"))
                .from(col("document_sequences"))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("doc_type")).eq(t.code()))
                .and_where(Expr::col(col("year")).eq(year))
                .to_owned();
            let next = crate::rules::scalar_i64(&self.read, self.backend, &q).await?.unwrap_or(1);
            out.push(Numbering { doc_type: t.code().into(), next: format_number(&prefix, year, next), prefix, next_number: next });
        }
        Ok(out)
    }

    /// Sets a document type's prefix (administrators); `{year}` in it becomes the year.
    pub async fn set_prefix(&self, actor: &Actor, t: DocType, prefix: &str) -> Result<()> {
        admins_only(actor)?;
        let prefix = check_prefix(prefix).map_err(|m| StoreError::invalid("prefix", m))?;
        let q = Query::insert()
            .into_table(col("document_prefixes"))
            .columns(["workspace_id", "doc_type", "prefix"].map(col))
            .values_panic([actor.ws_id().into(), t.code().into(), prefix.into()])
            .on_conflict(OnConflict::columns(["workspace_id", "doc_type"].map(col)).update_column(col("prefix")).to_owned())
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// Sets the number the next document of a type gets in `year` (administrators), e.g. to go on
    /// from another system's numbering. It only moves forward: one `UPDATE … WHERE next_number <=`
    /// so no number already given (or being given by a concurrent document) is given again.
    pub async fn set_next_number(&self, actor: &Actor, t: DocType, year: i32, next: i64) -> Result<()> {
        admins_only(actor)?;
        if !(1..=999_999_999).contains(&next) {
            return Err(StoreError::invalid("next_number", DocumentMsg::NextNumberShape {}));
        }
        let ws = actor.ws_id();
        let tx = self.write.begin().await?;
        let ins = Query::insert()
            .into_table(col("document_sequences"))
            .columns(["workspace_id", "doc_type", "year", "next_number"].map(col))
            .values_panic([ws.into(), t.code().into(), i64::from(year).into(), 1i64.into()])
            .on_conflict(OnConflict::columns(["workspace_id", "doc_type", "year"].map(col)).do_nothing().to_owned())
            .to_owned();
        tx.execute(self.backend.build(&ins)).await?;
        let upd = Query::update()
            .table(col("document_sequences"))
            .value(col("next_number"), next)
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("doc_type")).eq(t.code()))
            .and_where(Expr::col(col("year")).eq(year))
            .and_where(Expr::col(col("next_number")).lte(next))
            .to_owned();
        if tx.execute(self.backend.build(&upd)).await?.rows_affected() != 1 {
            let q = Query::select()
                .column(col("next_number"))
                .from(col("document_sequences"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("doc_type")).eq(t.code()))
                .and_where(Expr::col(col("year")).eq(year))
                .to_owned();
            let current = crate::rules::scalar_i64(&tx, self.backend, &q).await?.unwrap_or(1);
            return Err(StoreError::invalid("next_number", DocumentMsg::NextNumberUsed { next: current }));
        }
        tx.commit().await?;
        Ok(())
    }

    // -- Documents ---------------------------------------------------------------------------------

    /// Starts a document for a deal: takes its number and inserts its row in one transaction.
    /// The DOCX is attached next ([`Db::set_document_docx`]).
    pub async fn begin_document(
        &self,
        actor: &Actor,
        deal_id: i64,
        template: &TemplateInfo,
        day: &str,
        total: Option<(i64, String)>,
    ) -> Result<Document> {
        actor.caller.may_write(Entity::Deal).map_err(StoreError::forbidden)?;
        self.get(actor, Entity::Deal, deal_id).await?;
        let t = DocType::parse(&template.doc_type).unwrap_or(DocType::Other);
        let year: i32 = day.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970);
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let n = take_number(&tx, self.backend, actor.ws_id(), t.code(), i64::from(year)).await?;
        let prefix = prefix_of(&tx, self.backend, actor.ws_id(), t).await?;
        let number = format_number(&prefix, year, n);
        let (amount, currency) = total.map_or((None, None), |(a, c)| (Some(a), Some(c)));
        let q = Query::insert()
            .into_table(col("documents"))
            .columns(
                [
                    "workspace_id",
                    "deal_id",
                    "template_id",
                    "doc_type",
                    "number",
                    "doc_date",
                    "total",
                    "currency",
                    "pdf_status",
                    "created_by",
                    "created_at",
                    "updated_at",
                ]
                .map(col),
            )
            .values_panic([
                actor.ws_id().into(),
                deal_id.into(),
                template.id.into(),
                t.code().into(),
                number.clone().into(),
                day.into(),
                amount.into(),
                currency.into(),
                "pending".into(),
                (actor.user_id() != 0).then_some(actor.user_id()).into(),
                now.into(),
                now.into(),
            ])
            .to_owned();
        let id = insert_id(&tx, self.backend, &q).await?;
        let mut changes = Map::new();
        changes.insert("number".into(), json!({"from": null, "to": number}));
        changes.insert("deal_id".into(), json!({"from": null, "to": deal_id}));
        append_history(&tx, self.backend, actor, "document", id, HistoryAction::Create, changes, now).await?;
        tx.commit().await?;
        self.document_in(actor.ws_id(), id).await
    }

    /// Records the document's DOCX file.
    pub async fn set_document_docx(&self, ws: i64, id: i64, file_id: i64) -> Result<()> {
        let q = Query::update()
            .table(col("documents"))
            .value(col("docx_file_id"), file_id)
            .value(col("updated_at"), self.clock.now_ms())
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// Records the PDF's outcome: `done` with its file, `failed` with the reason (a message), or
    /// `none` when no PDF was asked for.
    pub async fn set_document_pdf(&self, ws: i64, id: i64, file_id: Option<i64>, error: Option<&poryadok_core::Msg>) -> Result<()> {
        let status = match (file_id, error) {
            (Some(_), _) => "done",
            (None, Some(_)) => "failed",
            (None, None) => "none",
        };
        let err = error.map(|m| {
            json!({"code": m.code(), "message": m.render(poryadok_core::Lang::En, &poryadok_core::msg::Keys), "args": m.args_json()})
                .to_string()
        });
        let q = Query::update()
            .table(col("documents"))
            .value(col("pdf_file_id"), file_id)
            .value(col("pdf_status"), status)
            .value(col("pdf_error"), err)
            .value(col("updated_at"), self.clock.now_ms())
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// A document by id within a workspace (the PDF job reads it so; no visibility check).
    pub async fn document_in(&self, ws: i64, id: i64) -> Result<Document> {
        let q = Query::select()
            .columns(DOCUMENT_COLUMNS.map(col))
            .from(col("documents"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        decode_document(&self.write.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?)
    }

    /// A document the caller may see (they see its deal).
    pub async fn document(&self, actor: &Actor, id: i64) -> Result<Document> {
        let d = self.document_in(actor.ws_id(), id).await?;
        self.get(actor, Entity::Deal, d.deal_id).await?;
        Ok(d)
    }

    /// A deal's documents, newest first.
    pub async fn documents(&self, actor: &Actor, deal_id: i64) -> Result<Vec<Document>> {
        self.get(actor, Entity::Deal, deal_id).await?;
        let q = Query::select()
            .columns(DOCUMENT_COLUMNS.map(col))
            .from(col("documents"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deal_id")).eq(deal_id))
            .order_by(col("id"), Order::Desc)
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(decode_document).collect()
    }
}

async fn product_on(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, id: i64) -> Result<Option<Product>> {
    let q = Query::select()
        .columns(PRODUCT_COLUMNS.map(col))
        .from(col("products"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("id")).eq(id))
        .to_owned();
    conn.query_one(backend.build(&q)).await?.as_ref().map(decode_product).transpose()
}

async fn line_on(conn: &impl ConnectionTrait, db: &Db, ws: i64, deal_id: i64, id: i64) -> Result<LineItem> {
    let include = db.prices_include_vat(ws).await?;
    let q = Query::select()
        .columns(LINE_COLUMNS.map(col))
        .from(col("deal_line_items"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("deal_id")).eq(deal_id))
        .and_where(Expr::col(col("id")).eq(id))
        .to_owned();
    decode_line(&conn.query_one(db.backend.build(&q)).await?.ok_or(StoreError::NotFound)?, include)
}

async fn value_from_items(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, deal_id: i64) -> Result<bool> {
    let q = Query::select()
        .column(col("value_from_items"))
        .from(col("deal_line_settings"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("deal_id")).eq(deal_id))
        .to_owned();
    Ok(crate::rules::scalar_i64(conn, backend, &q).await?.unwrap_or(0) != 0)
}

fn product_changes(old: Option<&Product>, new: &Product) -> Map<String, Json> {
    let fields = |p: &Product| {
        [
            ("name", json!(p.name)),
            ("sku", json!(p.sku)),
            ("unit", json!(p.unit)),
            ("price", json!(p.price)),
            ("currency", json!(p.currency)),
            ("vat_rate", json!(p.vat_rate)),
            ("status", json!(p.status)),
        ]
    };
    let before = old.map(fields);
    let mut out = Map::new();
    for (i, (k, to)) in fields(new).into_iter().enumerate() {
        let from = before.as_ref().map_or(Json::Null, |b| b[i].1.clone());
        if from != to {
            out.insert(k.into(), json!({"from": from, "to": to}));
        }
    }
    out
}

fn line_changes(old: Option<&LineItem>, new: &LineItem, deal_id: i64) -> Map<String, Json> {
    let fields = |l: &LineItem| {
        [
            ("name", json!(l.name)),
            ("sku", json!(l.sku)),
            ("quantity", json!(l.quantity)),
            ("unit", json!(l.unit)),
            ("price", json!(l.price)),
            ("discount", l.discount.clone()),
            ("vat_rate", json!(l.vat_rate)),
            ("position", json!(l.position)),
        ]
    };
    let before = old.map(fields);
    let mut out = Map::new();
    if old.is_none() {
        out.insert("deal_id".into(), json!({"from": null, "to": deal_id}));
    }
    for (i, (k, to)) in fields(new).into_iter().enumerate() {
        let from = before.as_ref().map_or(Json::Null, |b| b[i].1.clone());
        if from != to {
            out.insert(k.into(), json!({"from": from, "to": to}));
        }
    }
    out
}

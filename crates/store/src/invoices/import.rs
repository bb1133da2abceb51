//! Invoices from accounting: a CSV or XLSX export (1C and the like) with a row per invoice —
//! number, date, the counterparty's tax id, amount, and the amount paid so far.
//!
//! Columns are found by their header, in Russian or English, whatever their order; a title row
//! or two above the header is skipped. CSV may be separated by `;`, `,` or tabs, in UTF-8 (with
//! or without a BOM), UTF-16 with a BOM, or windows-1251; amounts may use a decimal comma and
//! spaces between thousands.
//!
//! Each good row finds its organization by tax id (creating it from the counterparty's name when
//! there is none and the file names it), creates or updates the invoice with that number, and
//! brings its payments up to the file's paid amount with one `import` payment for the
//! difference; payments entered by hand are never removed. Importing the same file again changes
//! nothing. A row with a mistake is skipped and reported with its line and column; the others
//! are applied. The whole import is one transaction; a dry run rolls it back at the end, so it
//! reports exactly what the import would do.
use super::{insert_invoice, insert_payment, payments_of, remove_payment, save_invoice, settle, status_for, Invoice, NewInvoice};
use crate::error::{Result, StoreError};
use crate::sql::col;
#[cfg(test)]
use crate::tabular::{decode_text, read_csv, read_xlsx, MAX_COLUMNS};
pub(crate) use crate::tabular::{read_table, Table};
use crate::{Actor, Db};
use poryadok_core::domain::Role;
use poryadok_core::msg::InvoiceMsg;
use poryadok_core::schema::Entity;
use poryadok_core::Msg;
use sea_orm::{ConnectionTrait, TransactionTrait};
use sea_query::{Expr, Order, Query};
use serde_json::{json, Value as Json};
use std::collections::HashMap;

/// Rows in one file at most; a larger export is split by the user.
pub const MAX_ROWS: usize = crate::tabular::MAX_ROWS;
/// How many leading rows may sit above the header (report titles, blank lines).
const HEADER_SEARCH: usize = crate::tabular::HEADER_SEARCH;
const IN_CHUNK: usize = 500;

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The line of a CSV file or the row of a sheet, counting from 1 like a spreadsheet does.
    pub line: u64,
    /// The column's header as written in the file.
    pub column: String,
    /// A stable code: required, bad_number, bad_date, bad_amount, bad_tax_id, duplicate_number,
    /// paid_exceeds_amount, due_before_date, no_organization, manual_payments_exceed_paid, invalid.
    pub code: &'static str,
    /// What is wrong, from the message catalogue (shown as its English text).
    pub message: Box<Msg>,
}

impl RowError {
    pub fn to_json(&self) -> Json {
        json!({
            "line": self.line, "column": self.column, "code": self.code, "message": self.message.english(),
            "message_code": self.message.code(), "args": Json::Object(self.message.args_json()),
        })
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Data rows read (the header and blank rows not counted).
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub payments_added: u64,
    pub unchanged: u64,
    pub organizations_created: u64,
    pub errors: Vec<RowError>,
}

impl ImportReport {
    pub fn to_json(&self) -> Json {
        json!({
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "payments_added": self.payments_added,
            "unchanged": self.unchanged,
            "organizations_created": self.organizations_created,
            "errors": self.errors.iter().map(RowError::to_json).collect::<Vec<_>>(),
        })
    }
}

/// The columns an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Number,
    Date,
    TaxId,
    Amount,
    Paid,
    Due,
    Name,
}

impl Column {
    const ALL: [Column; 7] = [Column::Number, Column::Date, Column::TaxId, Column::Amount, Column::Paid, Column::Due, Column::Name];
    const REQUIRED: [Column; 5] = [Column::Number, Column::Date, Column::TaxId, Column::Amount, Column::Paid];

    /// The column's name in errors (the API's field).
    pub fn key(self) -> &'static str {
        match self {
            Column::Number => "number",
            Column::Date => "date",
            Column::TaxId => "tax_id",
            Column::Amount => "amount",
            Column::Paid => "paid",
            Column::Due => "due_on",
            Column::Name => "counterparty",
        }
    }

    /// Headers that name the column, normalised (see [`normalise_header`]); the first is how
    /// 1C writes it.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Number => {
                &["номер", "номер документа", "номер счета", "№", "n", "no", "number", "invoice number", "invoice no", "invoice"]
            }
            Column::Date => &["дата", "дата документа", "дата счета", "date", "invoice date", "issued", "issued on", "issue date"],
            Column::TaxId => &["инн контрагента", "инн", "инн покупателя", "tax id", "counterparty tax id", "taxpayer id", "inn", "vat id"],
            Column::Amount => &["сумма", "сумма документа", "сумма счета", "amount", "total", "invoice amount", "sum"],
            Column::Paid => &["оплачено", "оплата", "сумма оплаты", "paid", "paid amount", "amount paid", "payment"],
            Column::Due => &["срок оплаты", "оплатить до", "дата оплаты по договору", "due", "due date", "due on", "payment due"],
            Column::Name => &["контрагент", "покупатель", "наименование контрагента", "counterparty", "customer", "client", "organization"],
        }
    }
}

/// Lower case, `ё` as `е`, single spaces, no surrounding quotes or trailing `:`/`.`.
fn normalise_header(h: &str) -> String {
    let h =
        h.trim().trim_matches(|c| c == '"' || c == '\'' || c == '\u{feff}').trim_end_matches([':', '.']).to_lowercase().replace('ё', "е");
    h.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where each column is in a header row; `Err` names the required columns it lacks.
fn map_header(cells: &[String]) -> std::result::Result<HashMap<Column, usize>, Vec<Column>> {
    let norm: Vec<String> = cells.iter().map(|c| normalise_header(c)).collect();
    let mut found = HashMap::new();
    for c in Column::ALL {
        if let Some(i) = norm.iter().position(|h| c.aliases().contains(&h.as_str())) {
            found.insert(c, i);
        }
    }
    let missing: Vec<Column> = Column::REQUIRED.into_iter().filter(|c| !found.contains_key(c)).collect();
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(missing)
    }
}

/// An amount as minor units: `1 234,56`, `1234.5`, `1.234.567,00`, `1,234.56`, `1234`.
pub fn parse_amount(raw: &str) -> std::result::Result<i64, Msg> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\'')).collect();
    let s = s.trim_end_matches(|c: char| c.is_alphabetic() || matches!(c, '₽' | '$' | '€' | '.')).to_string();
    let bad = || Msg::from(InvoiceMsg::NotImportAmount { raw: raw.to_string() });
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.') {
        return Err(bad());
    }
    let (int_raw, frac) = match s.rfind([',', '.']) {
        None => (s, ""),
        Some(i) => {
            let sep = &s[i..=i];
            let other = if sep == "," { '.' } else { ',' };
            let frac = &s[i + 1..];
            // One kind repeated (1.234.567) is thousands; a fraction of three digits is ambiguous.
            if s.matches(sep).count() > 1 && !s.contains(other) {
                (s, "")
            } else if (1..=2).contains(&frac.len()) {
                (&s[..i], frac)
            } else {
                return Err(bad());
            }
        }
    };
    let groups: Vec<&str> = int_raw.split([',', '.']).collect();
    if groups.len() > 1 && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)) {
        return Err(bad());
    }
    let int_part = groups.concat();
    if int_part.is_empty() || !int_part.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let units: i64 = int_part.parse().map_err(|_| bad())?;
    let cents: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    let minor = units.checked_mul(100).and_then(|u| u.checked_add(cents)).ok_or_else(bad)?;
    if negative && minor != 0 {
        return Err(InvoiceMsg::NegativeAmount { raw: raw.to_string() }.into());
    }
    Ok(minor)
}

/// A date as `YYYY-MM-DD`: `23.11.2026`, `23.11.26`, `23/11/2026`, `2026-11-23`, with any time
/// after it ignored.
pub(crate) fn parse_day(raw: &str) -> std::result::Result<String, Msg> {
    let bad = || Msg::from(InvoiceMsg::NotImportDate { raw: raw.to_string() });
    let token = raw.split([' ', 'T']).next().unwrap_or("").trim();
    let date = poryadok_core::types::parse_loose_day(token).ok_or_else(bad)?;
    Ok(format!("{:04}-{:02}-{:02}", date.year(), date.month() as u8, date.day()))
}

/// A tax id as digits (`7701234567`; `7701234567/770101001` keeps the part before the slash).
pub(crate) fn parse_tax_id(raw: &str) -> std::result::Result<String, Msg> {
    let main = raw.split('/').next().unwrap_or("");
    let digits: String = main.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = digits.strip_suffix(".0").unwrap_or(&digits).to_string();
    if (4..=20).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(InvoiceMsg::NotTaxId { raw: raw.to_string() }.into())
    }
}

/// One data row, read and checked.
#[derive(Debug, Clone)]
struct Line {
    line: u64,
    number: String,
    issued_on: String,
    tax_id: String,
    amount: i64,
    paid: i64,
    due_on: Option<String>,
    name: Option<String>,
}

/// The header row and its columns, or a 422 naming the missing columns (of the first row that
/// looks most like a header).
fn find_header(table: &Table) -> Result<(usize, HashMap<Column, usize>, Vec<String>)> {
    let mut best: Option<Vec<Column>> = None;
    for (i, (_, cells)) in table.rows.iter().enumerate().take(HEADER_SEARCH) {
        match map_header(cells) {
            Ok(map) => return Ok((i, map, cells.clone())),
            Err(missing) if best.as_ref().is_none_or(|b| missing.len() < b.len()) => best = Some(missing),
            Err(_) => {}
        }
    }
    let missing = best.unwrap_or_else(|| Column::REQUIRED.to_vec());
    let first = missing.first().copied().unwrap_or(Column::Number);
    let columns: Vec<String> = missing.iter().map(|c| format!("{} ({})", c.aliases()[0], c.key())).collect();
    Err(StoreError::invalid(first.key(), InvoiceMsg::MissingColumns { columns }))
}

/// The header text of each column the file has.
#[derive(Debug, Default)]
struct Headers(HashMap<Column, String>);

impl Headers {
    fn of(&self, c: Column) -> String {
        self.0.get(&c).cloned().unwrap_or_else(|| c.key().to_string())
    }
}

/// The rows of a file, read and checked, with the ones that failed.
#[derive(Debug)]
pub struct Parsed {
    lines: Vec<Line>,
    errors: Vec<RowError>,
    rows: u64,
    headers: Headers,
}

impl Parsed {
    /// Data rows read (the header and blank rows not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Rows that passed every check.
    pub fn good_rows(&self) -> u64 {
        self.lines.len() as u64
    }

    /// Rows refused before the database.
    pub fn errors(&self) -> &[RowError] {
        &self.errors
    }
}

/// Everything an import does before the database: the file's table, its header and each row
/// read and checked. Pure, so the fuzz target `invoice_import` runs it on any bytes.
pub fn parse_rows(bytes: &[u8], content_type: Option<&str>) -> Result<Parsed> {
    read_lines(&read_table(bytes, content_type)?)
}

fn read_lines(table: &Table) -> Result<Parsed> {
    let (at, map, header) = find_header(table)?;
    let headers = Headers(map.iter().filter_map(|(c, i)| Some((*c, header.get(*i)?.clone()))).collect());
    let data = &table.rows[at + 1..];
    if data.len() > MAX_ROWS {
        return Err(StoreError::invalid("file", InvoiceMsg::TooManyRowsCount { n: data.len() as i64, max: MAX_ROWS as i64 }));
    }
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, cells) in data {
        let cell = |c: Column| map.get(&c).and_then(|i| cells.get(*i)).map_or("", |s| s.trim());
        let err =
            |c: Column, code: &'static str, message: Msg| RowError { line: *line, column: headers.of(c), code, message: Box::new(message) };
        let required = |c: Column| if cell(c).is_empty() { Err(err(c, "required", InvoiceMsg::CellEmpty {}.into())) } else { Ok(cell(c)) };
        let parsed = (|| {
            let number = super::check_number(required(Column::Number)?).map_err(|m| err(Column::Number, "bad_number", m))?;
            let issued_on = parse_day(required(Column::Date)?).map_err(|m| err(Column::Date, "bad_date", m))?;
            let tax_id = parse_tax_id(required(Column::TaxId)?).map_err(|m| err(Column::TaxId, "bad_tax_id", m))?;
            let amount = parse_amount(required(Column::Amount)?).map_err(|m| err(Column::Amount, "bad_amount", m))?;
            if amount == 0 {
                return Err(err(Column::Amount, "bad_amount", poryadok_core::msg::Common::Positive {}.into()));
            }
            let paid = if cell(Column::Paid).is_empty() {
                0
            } else {
                parse_amount(cell(Column::Paid)).map_err(|m| err(Column::Paid, "bad_amount", m))?
            };
            if paid > amount {
                return Err(err(Column::Paid, "paid_exceeds_amount", InvoiceMsg::PaidExceedsAmount {}.into()));
            }
            let due_on = match cell(Column::Due) {
                "" => None,
                raw => Some(parse_day(raw).map_err(|m| err(Column::Due, "bad_date", m))?),
            };
            if due_on.as_deref().is_some_and(|d| d < issued_on.as_str()) {
                return Err(err(Column::Due, "due_before_date", InvoiceMsg::DueBeforeDate {}.into()));
            }
            let name = Some(cell(Column::Name).to_string()).filter(|n| !n.is_empty());
            if let Some(first) = seen.get(&number) {
                return Err(err(Column::Number, "duplicate_number", InvoiceMsg::DuplicateNumber { first: *first as i64 }.into()));
            }
            Ok(Line { line: *line, number, issued_on, tax_id, amount, paid, due_on, name })
        })();
        match parsed {
            Ok(l) => {
                seen.insert(l.number.clone(), l.line);
                lines.push(l);
            }
            Err(e) => errors.push(e),
        }
    }
    Ok(Parsed { lines, errors, rows: data.len() as u64, headers })
}

/// Organizations by tax id: `(id, owner)`, the oldest live one where several share it.
async fn orgs_by_tax_id(conn: &impl ConnectionTrait, db: &Db, ws: i64, tax_ids: &[String]) -> Result<HashMap<String, (i64, Option<i64>)>> {
    let mut out = HashMap::new();
    for chunk in tax_ids.chunks(IN_CHUNK) {
        let q = Query::select()
            .columns(["id", "tax_id", "owner_id"].map(col))
            .from(col("organizations"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .and_where(Expr::col(col("tax_id")).is_in(chunk.iter().map(String::as_str)))
            .order_by(col("id"), Order::Desc)
            .to_owned();
        for r in conn.query_all(db.backend.build(&q)).await? {
            out.insert(r.try_get::<String>("", "tax_id")?, (r.try_get("", "id")?, r.try_get("", "owner_id")?));
        }
    }
    Ok(out)
}

async fn invoices_by_number(conn: &impl ConnectionTrait, db: &Db, ws: i64, numbers: &[String]) -> Result<HashMap<String, Invoice>> {
    let mut out = HashMap::new();
    for chunk in numbers.chunks(IN_CHUNK) {
        let mut q = super::live_invoices(ws);
        q.and_where(Expr::col(col("number")).is_in(chunk.iter().map(String::as_str)));
        for r in conn.query_all(db.backend.build(&q)).await? {
            let inv = super::decode_invoice(&r)?;
            out.insert(inv.number.clone(), inv);
        }
    }
    Ok(out)
}

/// What one row did.
enum Outcome {
    Created { payments: u64 },
    Updated { payments: u64 },
    Unchanged,
}

impl Db {
    /// Imports invoices from a CSV or XLSX export (administrators and heads); see the module docs.
    pub async fn import_invoices(&self, actor: &Actor, bytes: &[u8], content_type: Option<&str>, dry_run: bool) -> Result<ImportReport> {
        if !matches!(actor.caller.role, Role::Admin | Role::Head) {
            return Err(StoreError::forbidden(InvoiceMsg::ImportForbidden {}));
        }
        let Parsed { lines, mut errors, rows, headers } = parse_rows(bytes, content_type)?;
        let mut report = ImportReport { dry_run, rows, ..Default::default() };
        let ws = actor.ws_id();
        let tx = self.write.begin().await?;
        let mut tax_ids: Vec<String> = lines.iter().map(|l| l.tax_id.clone()).collect();
        tax_ids.sort();
        tax_ids.dedup();
        let mut orgs = orgs_by_tax_id(&tx, self, ws, &tax_ids).await?;
        let numbers: Vec<String> = lines.iter().map(|l| l.number.clone()).collect();
        let mut invoices = invoices_by_number(&tx, self, ws, &numbers).await?;
        let today = self.today(actor);
        for l in &lines {
            let org = match orgs.get(&l.tax_id) {
                Some(o) => *o,
                None => match self.new_org(&tx, actor, l, &headers).await? {
                    Ok(o) => {
                        report.organizations_created += 1;
                        orgs.insert(l.tax_id.clone(), o);
                        o
                    }
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                },
            };
            let outcome = match invoices.get(&l.number) {
                Some(old) => self.update_from(&tx, actor, old, l, org.0, &today, &headers).await?,
                None => self.create_from(&tx, actor, l, org, &today).await?,
            };
            match outcome {
                Ok((Outcome::Created { payments }, inv)) => {
                    report.created += 1;
                    report.payments_added += payments;
                    invoices.insert(l.number.clone(), inv);
                }
                Ok((Outcome::Updated { payments }, inv)) => {
                    report.updated += 1;
                    report.payments_added += payments;
                    invoices.insert(l.number.clone(), inv);
                }
                Ok((Outcome::Unchanged, _)) => report.unchanged += 1,
                Err(e) => errors.push(e),
            }
        }
        errors.sort_by_key(|e| e.line);
        report.errors = errors;
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(report)
    }

    /// The organization of a tax id the workspace does not know yet, named by the file. A
    /// refused name is the row's error; a database failure fails the import (on PostgreSQL the
    /// transaction could not go on).
    async fn new_org(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        l: &Line,
        headers: &Headers,
    ) -> Result<std::result::Result<(i64, Option<i64>), RowError>> {
        let Some(name) = &l.name else {
            return Ok(Err(RowError {
                line: l.line,
                column: headers.of(Column::TaxId),
                code: "no_organization",
                message: Box::new(InvoiceMsg::NoOrganization { tax_id: l.tax_id.clone() }.into()),
            }));
        };
        let body = json!({"name": name, "tax_id": l.tax_id});
        match self.create_in(tx, actor, Entity::Organization, &body).await {
            Ok(row) => Ok(Ok((row.id(), row.get("owner_id").as_int()))),
            // The refusal names the organization's field; the row names the file's column it came from.
            Err(StoreError::Validation(fe)) => Ok(Err(RowError {
                line: l.line,
                column: headers.of(if fe.field == "tax_id" { Column::TaxId } else { Column::Name }),
                code: "invalid",
                message: fe.msg,
            })),
            Err(e) => Err(e),
        }
    }

    async fn create_from(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        l: &Line,
        org: (i64, Option<i64>),
        today: &str,
    ) -> Result<std::result::Result<(Outcome, Invoice), RowError>> {
        let now = self.clock.now_ms();
        let new = NewInvoice {
            number: l.number.clone(),
            deal_id: None,
            organization_id: Some(org.0),
            owner_id: org.1.or((actor.user_id() != 0).then_some(actor.user_id())),
            amount: l.amount,
            currency: actor.ws.currency.clone(),
            issued_on: l.issued_on.clone(),
            due_on: l.due_on.clone(),
            comment: None,
        };
        let inv = insert_invoice(tx, self.backend, actor, &new, now).await?;
        if l.paid == 0 {
            return Ok(Ok((Outcome::Created { payments: 0 }, inv)));
        }
        insert_payment(tx, self.backend, actor, &inv, l.paid, today, None, super::SOURCE_IMPORT, now).await?;
        let inv = settle(tx, self.backend, actor, &inv, now).await?;
        Ok(Ok((Outcome::Created { payments: 1 }, inv)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn update_from(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        old: &Invoice,
        l: &Line,
        org: i64,
        today: &str,
        headers: &Headers,
    ) -> Result<std::result::Result<(Outcome, Invoice), RowError>> {
        let now = self.clock.now_ms();
        let payments = payments_of(tx, self.backend, actor.ws_id(), old.id).await?;
        let manual: i64 = payments.iter().filter(|p| p.source != super::SOURCE_IMPORT).map(|p| p.amount).sum();
        let imported: i64 = payments.iter().filter(|p| p.source == super::SOURCE_IMPORT).map(|p| p.amount).sum();
        if manual > l.paid {
            return Ok(Err(RowError {
                line: l.line,
                column: headers.of(Column::Paid),
                code: "manual_payments_exceed_paid",
                message: Box::new(InvoiceMsg::ManualPaymentsExceedPaid { manual }.into()),
            }));
        }
        let mut new = old.clone();
        new.amount = l.amount;
        new.issued_on = l.issued_on.clone();
        new.organization_id = Some(org);
        if l.due_on.is_some() {
            new.due_on = l.due_on.clone();
        }
        new.status = status_for(&new.status, new.amount, new.paid_amount).to_string();
        let mut inv = save_invoice(tx, self.backend, actor, old, new, now).await?;
        let fields_changed = inv != *old;
        let needed = l.paid - manual;
        let mut added = 0;
        if imported != needed {
            let mut have = imported;
            if imported > needed {
                for p in payments.iter().filter(|p| p.source == super::SOURCE_IMPORT) {
                    remove_payment(tx, self.backend, actor, p.id, now).await?;
                }
                have = 0;
            }
            if needed > have {
                insert_payment(tx, self.backend, actor, &inv, needed - have, today, None, super::SOURCE_IMPORT, now).await?;
                added = 1;
            }
            inv = settle(tx, self.backend, actor, &inv, now).await?;
        }
        if fields_changed || imported != needed {
            Ok(Ok((Outcome::Updated { payments: added }, inv)))
        } else {
            Ok(Ok((Outcome::Unchanged, inv)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_the_ways_accounting_writes_them() {
        for (raw, minor) in [
            ("1 234,56", 123_456),
            ("1\u{a0}234,5", 123_450),
            ("1234.56", 123_456),
            ("1.234.567", 123_456_700),
            ("1.234.567,89", 123_456_789),
            ("1,234.56", 123_456),
            ("1234", 123_400),
            ("0", 0),
            ("12 000,00 руб.", 1_200_000),
        ] {
            assert_eq!(parse_amount(raw), Ok(minor), "{raw}");
        }
        for bad in ["", "abc", "1,234", "12,345,6.7.8", "-5", "1e5", "1..2"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_in_the_ways_accounting_writes_them() {
        for (raw, day) in [
            ("23.11.2026", "2026-11-23"),
            ("23.11.26", "2026-11-23"),
            ("2026-11-23", "2026-11-23"),
            ("01.02.2026 0:00:00", "2026-02-01"),
            ("5/3/2026", "2026-03-05"),
        ] {
            assert_eq!(parse_day(raw).as_deref(), Ok(day), "{raw}");
        }
        for bad in ["31.02.2026", "2026", "tomorrow", "23.13.2026", ""] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tax_ids_are_digits() {
        assert_eq!(parse_tax_id("7701 234567").as_deref(), Ok("7701234567"));
        assert_eq!(parse_tax_id("7701234567/770101001").as_deref(), Ok("7701234567"));
        assert!(parse_tax_id("ООО").is_err());
    }

    #[test]
    fn csv_with_semicolons_quotes_and_windows_1251() {
        let text = "Реестр счетов\r\n\r\nНомер;Дата;ИНН контрагента;Контрагент;Сумма;Оплачено\r\n\"С-1\";23.11.2026;7701234567;\"ООО \"\"Ромашка\"\";\nфилиал\";1 000,00;500\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let table = read_csv(&decode_text(&bytes));
        assert_eq!(table.rows.len(), 3);
        assert_eq!(table.rows[1].0, 3);
        assert_eq!(table.rows[2].0, 4, "a record starts on its first line");
        assert_eq!(table.rows[2].1[3], "ООО \"Ромашка\";\nфилиал");
        let p = read_lines(&table).unwrap();
        let (lines, errors, rows) = (p.lines, p.errors, p.rows);
        assert_eq!((lines.len(), errors.len(), rows), (1, 0, 1));
        assert_eq!((lines[0].amount, lines[0].paid, lines[0].issued_on.as_str()), (100_000, 50_000, "2026-11-23"));
    }

    #[test]
    fn commas_and_english_headers() {
        let table = read_csv("Number,Date,Tax ID,Amount,Paid,Due date\nA-1,2026-11-01,7701234567,\"1,200.50\",0,2026-11-15\n");
        let Parsed { lines, errors, .. } = read_lines(&table).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((lines[0].amount, lines[0].due_on.as_deref()), (120_050, Some("2026-11-15")));
    }

    #[test]
    fn a_header_without_a_required_column_names_it() {
        let err = read_lines(&read_csv("Номер;Дата;Сумма;Оплачено\n1;01.01.2026;1;0\n")).unwrap_err();
        match err {
            StoreError::Validation(fe) => {
                assert_eq!(fe.field, "tax_id");
                assert!(fe.message().contains("инн контрагента"), "{}", fe.message());
                assert_eq!(fe.msg.code(), "import_missing_columns");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(read_table(b"  \n", None), Err(StoreError::Validation(_))));
        assert!(matches!(read_table(b"PK\x03\x04junk", None), Err(StoreError::Validation(_))));
    }

    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (row, col, text) in cells {
            sheet.write_string(*row, *col, *text).unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_sheet_is_read_cell_by_cell_never_as_its_whole_rectangle() {
        // Two cells at the sheet's opposite corners: read as a rectangle, 17 billion cells.
        let bytes = workbook(&[(0, 0, "Номер"), (1_048_575, 16_383, "x")]);
        let table = read_xlsx(&bytes).unwrap();
        assert_eq!(table.rows, vec![(1, vec!["Номер".to_string()])], "cells beyond column {MAX_COLUMNS} are ignored");

        let header = ["Номер", "Дата", "ИНН контрагента", "Сумма", "Оплачено"];
        let mut cells: Vec<(u32, u16, &str)> = header.iter().enumerate().map(|(i, h)| (2, i as u16 + 3, *h)).collect();
        cells.extend([(1_000_000, 3, "С-1"), (1_000_000, 4, "23.11.2026"), (1_000_000, 5, "7701234567"), (1_000_000, 6, "1 000,00")]);
        cells.push((1_000_000, 7, "0"));
        let p = parse_rows(&workbook(&cells), None).unwrap();
        assert_eq!((p.rows(), p.good_rows()), (1, 1));
        assert_eq!(p.lines[0].line, 1_000_001, "a row keeps its number in the sheet");
    }

    #[test]
    fn a_sheet_with_too_many_rows_is_refused_while_reading() {
        let many: Vec<(u32, u16, &str)> = (0..=(MAX_ROWS + HEADER_SEARCH) as u32 + 1).map(|r| (r, 0, "1")).collect();
        let err = read_xlsx(&workbook(&many)).unwrap_err();
        assert_eq!(err, InvoiceMsg::TooManyRows { max: 50_000 }.into());
        assert!(err.english().contains("at most 50000"), "{err}");
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let csv = "Номер;Дата;ИНН;Сумма;Оплачено\n1;32.01.2026;7701234567;10;0\n2;01.01.2026;x;10;0\n3;01.01.2026;7701234567;10;20\n1;01.01.2026;7701234567;10;0\n4;01.01.2026;7701234567;10;0\n4;01.01.2026;7701234567;10;0\n";
        let Parsed { lines, errors, rows, .. } = read_lines(&read_csv(csv)).unwrap();
        assert_eq!(rows, 6);
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), vec![5, 6]);
        let got: Vec<(u64, &str, &str)> = errors.iter().map(|e| (e.line, e.column.as_str(), e.code)).collect();
        assert_eq!(
            got,
            vec![
                (2, "Дата", "bad_date"),
                (3, "ИНН", "bad_tax_id"),
                (4, "Оплачено", "paid_exceeds_amount"),
                (7, "Номер", "duplicate_number")
            ]
        );
    }
}

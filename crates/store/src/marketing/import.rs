//! The import of spend from an ad cabinet's export (CSV or XLSX): a row per day and campaign
//! (and keyword), with impressions, clicks and the cost.
//!
//! Columns are found by their header, in Russian or English, whatever their order; title rows
//! above the header (a report's name, its period) and total rows («Итого», `Total: …`) are
//! skipped. The shapes the cabinets export are recognised by their headers, and give the
//! file's channel when it has no channel column:
//!
//! - Yandex Direct: «Дата», «Кампания», «Условие показа» or «Ключевая фраза», «Показы», «Клики»,
//!   «Расход» / «Расход (руб.)» → `yandex`;
//! - VK Ads: «Дата» / Date, «Кампания» / Campaign, «Показы» / Impressions, «Клики» / Clicks,
//!   «Потрачено» / Spent → `vk`;
//! - Google Ads: Day, Campaign, Keyword, Impr., Clicks, Cost → `google`.
//!
//! Any column may be named explicitly (`map.amount=Стоимость`), and a channel (and medium)
//! given for the whole file. CSV may be separated by `;`, `,` or tabs, in UTF-8 with or without
//! a BOM, UTF-16 or windows-1251; amounts may use a decimal comma and spaces between thousands;
//! dates are `YYYY-MM-DD`, `DD.MM.YYYY`, `DD/MM/YYYY`, `Nov 23, 2026`, `23 ноября 2026` or a
//! sheet's date cell.
//!
//! Rows of the same day, channel, medium, campaign and term (a report split by ad group or
//! device) add up to one. A file with any bad row writes nothing: the report names each bad
//! row's line and column. Otherwise the rows are written in one transaction, replacing the
//! figures of the keys already stored, so importing the same file again changes nothing. A dry
//! run writes and rolls back, so its report is exactly what the import would do.
use super::{import_number, write_lines, RowAction};
use crate::error::{Result, StoreError};
use crate::invoices::import::{parse_amount, RowError};
use crate::tabular::{decode_text, is_xlsx, read_csv_with, read_table, read_xlsx_sheets, Table};
use crate::{Actor, Db};
use poryadok_core::msg::{words, InvoiceMsg, SpendMsg};
use poryadok_core::spend::{self as core_spend, Aliases, RawSpend, SpendLine};
use poryadok_core::Msg;
use sea_orm::TransactionTrait;
use serde_json::{json, Value as Json};
use std::collections::HashMap;

/// Data rows in one file at most.
pub const MAX_ROWS: usize = 50_000;
/// Rows above the header that may hold titles.
const HEADER_SEARCH: usize = 20;
/// Rows of the preview a report carries.
pub const PREVIEW_LINES: usize = 200;

/// What a column of a spend file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Date,
    Channel,
    Medium,
    Campaign,
    Term,
    Impressions,
    Clicks,
    Amount,
    Currency,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::Date,
        Field::Channel,
        Field::Medium,
        Field::Campaign,
        Field::Term,
        Field::Impressions,
        Field::Clicks,
        Field::Amount,
        Field::Currency,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Field::Date => "date",
            Field::Channel => "channel",
            Field::Medium => "medium",
            Field::Campaign => "campaign",
            Field::Term => "term",
            Field::Impressions => "impressions",
            Field::Clicks => "clicks",
            Field::Amount => "amount",
            Field::Currency => "currency",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == s.trim())
    }

    /// Headers that name the column (normalised: see [`normalise_header`]), most telling first.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Date => &["дата", "день", "date", "day", "дата показа", "reporting starts"],
            Field::Channel => &["канал", "источник", "рекламная система", "channel", "source", "utm_source", "utm source"],
            Field::Medium => &["utm_medium", "utm medium", "medium", "тип трафика"],
            Field::Campaign => &[
                "кампания",
                "название кампании",
                "рекламная кампания",
                "campaign",
                "campaign name",
                "campaignname",
                "utm_campaign",
                "utm campaign",
            ],
            Field::Term => &[
                "условие показа",
                "ключевая фраза",
                "ключевое слово",
                "фраза",
                "keyword",
                "search keyword",
                "criterion",
                "term",
                "utm_term",
                "utm term",
            ],
            Field::Impressions => &["показы", "impressions", "impr", "impr.", "shows"],
            Field::Clicks => &["клики", "переходы", "clicks"],
            Field::Amount => &[
                "расход",
                "расход с ндс",
                "расход без ндс",
                "расходы",
                "потрачено",
                "списания",
                "затраты",
                "стоимость",
                "сумма",
                "cost",
                "spent",
                "amount spent",
                "spend",
                "amount",
            ],
            Field::Currency => &["валюта", "код валюты", "currency", "currency code"],
        }
    }
}

/// The cabinet a file looks exported from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    YandexDirect,
    VkAds,
    GoogleAds,
    /// Columns found by their headers, the channel given or in a column.
    Generic,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::YandexDirect => "yandex_direct",
            Shape::VkAds => "vk_ads",
            Shape::GoogleAds => "google_ads",
            Shape::Generic => "generic",
        }
    }

    /// The channel of a file of this shape without a channel column.
    pub fn channel(self) -> Option<&'static str> {
        match self {
            Shape::YandexDirect => Some("yandex"),
            Shape::VkAds => Some("vk"),
            Shape::GoogleAds => Some("google"),
            Shape::Generic => None,
        }
    }
}

/// How to read a file: the column mapping, the channel and medium of the whole file, a dry run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Fields named explicitly: the header text (as in the file, any case) or the column's number
    /// from 1.
    pub mapping: Vec<(Field, String)>,
    /// The channel of every row without one of its own (any spelling; the aliases apply).
    pub channel: Option<String>,
    pub medium: Option<String>,
    pub dry_run: bool,
    /// The one sheet of a workbook to read (its name, or its number from 1); none: every sheet
    /// that has a header of spend.
    pub sheet: Option<String>,
}

impl ImportOptions {
    /// Reads `map.<field>=<header>`, `channel`, `medium` and `dry_run` pairs; `others` are the
    /// caller's to read and skipped here.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>, others: &[&str]) -> Result<ImportOptions> {
        let mut o = ImportOptions::default();
        for (k, v) in pairs {
            let v = v.trim();
            if let Some(field) = k.strip_prefix("map.") {
                let f = Field::parse(field)
                    .ok_or_else(|| StoreError::invalid(k, SpendMsg::ImportMapField { expected: words(Field::ALL.map(Field::key)) }))?;
                if !v.is_empty() {
                    o.mapping.retain(|(g, _)| *g != f);
                    o.mapping.push((f, v.to_string()));
                }
                continue;
            }
            match k {
                "channel" => o.channel = Some(v.to_string()).filter(|s| !s.is_empty()),
                "medium" => o.medium = Some(v.to_string()).filter(|s| !s.is_empty()),
                "sheet" => o.sheet = Some(v.to_string()).filter(|s| !s.is_empty()),
                "dry_run" => {
                    o.dry_run = match v {
                        "true" | "1" | "on" => true,
                        "false" | "0" | "" => false,
                        _ => return Err(StoreError::invalid("dry_run", poryadok_core::msg::Common::NotBool {})),
                    }
                }
                k if others.contains(&k) => {}
                other => {
                    let mut expected = words(["dry_run", "channel", "medium", "sheet", "map.<field>"]);
                    expected.extend(others.iter().map(|s| s.to_string()));
                    return Err(StoreError::invalid(other, poryadok_core::msg::Common::UnknownParameter { expected }));
                }
            }
        }
        Ok(o)
    }
}

/// One row of the preview: what the file's line becomes and what writing it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewLine {
    /// The file's line (of the first row, when several added up to this one).
    pub line: u64,
    pub spend: SpendLine,
    pub action: RowAction,
}

/// What an import did (or, in a dry run or with bad rows, would do).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpendImportReport {
    pub dry_run: bool,
    /// Written: not a dry run and no bad rows.
    pub applied: bool,
    pub shape: Shape,
    /// The sheets of a workbook read, in its order (empty for CSV).
    pub sheets: Vec<String>,
    /// The channel of rows without one of their own.
    pub channel: Option<String>,
    /// Where each field was read from: the header as written.
    pub columns: Vec<(Field, String)>,
    /// Data rows read (the header, titles, totals and blank rows not counted).
    pub rows: u64,
    /// Total rows skipped.
    pub skipped: u64,
    /// Rows added to an earlier row of the same day, channel, medium, campaign and term.
    pub merged: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The sum of the file's amounts, minor units.
    pub amount: i64,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// The import's number, on the rows it wrote.
    pub import_id: Option<i64>,
    /// The first [`PREVIEW_LINES`] rows.
    pub lines: Vec<PreviewLine>,
    /// Spend rows after adding up (what the file writes).
    pub lines_total: u64,
    pub errors: Vec<RowError>,
}

impl SpendImportReport {
    pub fn to_json(&self) -> Json {
        json!({
            "dry_run": self.dry_run,
            "applied": self.applied,
            "shape": self.shape.as_str(),
            "sheets": self.sheets,
            "channel": self.channel,
            "columns": self.columns.iter().map(|(f, h)| (f.key().to_string(), json!(h))).collect::<serde_json::Map<_, _>>(),
            "rows": self.rows,
            "skipped": self.skipped,
            "merged": self.merged,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "amount": self.amount,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "import_id": self.import_id,
            "lines_total": self.lines_total,
            "lines": self.lines.iter().map(|l| json!({
                "line": l.line,
                "day": l.spend.day,
                "channel": l.spend.channel,
                "medium": l.spend.medium,
                "campaign": l.spend.campaign,
                "term": l.spend.term,
                "impressions": l.spend.impressions,
                "clicks": l.spend.clicks,
                "amount": l.spend.amount,
                "action": l.action.as_str(),
            })).collect::<Vec<_>>(),
            "errors": self.errors.iter().map(RowError::to_json).collect::<Vec<_>>(),
        })
    }

    /// The refusal of a run with bad rows: how many, and the first one's line and column.
    pub fn refusal(&self) -> Option<StoreError> {
        let first = self.errors.first()?;
        Some(StoreError::invalid(
            "file",
            SpendMsg::ImportRowsRefused { n: self.errors.len() as i64, line: first.line as i64, column: first.column.clone() },
        ))
    }
}

/// Lower case, `ё` as `е`, single spaces, no quotes, BOM or trailing `:`; the part before a
/// comma or a parenthesis (`Расход, ₽`, `Расход (руб.)`) and what that part said (`руб.`).
fn normalise_header(h: &str) -> (String, String) {
    let h = h.trim().trim_matches(|c| c == '"' || c == '\'' || c == '\u{feff}').trim_end_matches(':').to_lowercase().replace('ё', "е");
    let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
    match h.find([',', '(']) {
        Some(i) => (h[..i].trim().to_string(), h[i + 1..].trim_end_matches(')').trim().to_string()),
        None => (h, String::new()),
    }
}

/// A currency a header's note names (`руб.`, `₽`, `USD`), if it names one.
fn header_currency(note: &str) -> Option<&str> {
    let n = note.trim().trim_end_matches('.');
    let known = ["руб", "₽", "р", "rub", "rur", "usd", "$", "eur", "€", "kzt", "₸", "byn", "uah", "cny", "try"];
    known.contains(&n.to_lowercase().as_str()).then_some(n)
}

/// The header row: its index, the column of each field found, and the shape.
#[derive(Debug)]
struct Header {
    at: usize,
    columns: HashMap<Field, usize>,
    cells: Vec<String>,
    shape: Shape,
}

fn match_header(cells: &[String], mapping: &[(Field, String)]) -> std::result::Result<HashMap<Field, usize>, (Field, String)> {
    let norm: Vec<(String, String)> = cells.iter().map(|c| normalise_header(c)).collect();
    let full: Vec<String> = cells.iter().map(|c| c.trim().trim_matches('\u{feff}').to_lowercase().replace('ё', "е")).collect();
    let mut found = HashMap::new();
    for (f, want) in mapping {
        let w = want.trim().to_lowercase().replace('ё', "е");
        let by_number = w.parse::<usize>().ok().filter(|n| (1..=cells.len()).contains(n)).map(|n| n - 1);
        let at =
            by_number.or_else(|| full.iter().position(|h| *h == w)).or_else(|| norm.iter().position(|(h, _)| *h == normalise_header(&w).0));
        match at {
            Some(i) => {
                found.insert(*f, i);
            }
            None => return Err((*f, want.clone())),
        }
    }
    for f in Field::ALL {
        if found.contains_key(&f) {
            continue;
        }
        // The most telling alias first: «Расход» before «Сумма» where a file has both.
        let taken: Vec<usize> = found.values().copied().collect();
        if let Some(i) = f.aliases().iter().find_map(|a| norm.iter().enumerate().position(|(i, (h, _))| h == a && !taken.contains(&i))) {
            found.insert(f, i);
        }
    }
    Ok(found)
}

fn shape_of(cells: &[String], columns: &HashMap<Field, usize>) -> Shape {
    let head = |f: Field| columns.get(&f).and_then(|i| cells.get(*i)).map(|c| normalise_header(c).0).unwrap_or_default();
    let (amount, term, impressions, clicks, date) =
        (head(Field::Amount), head(Field::Term), head(Field::Impressions), head(Field::Clicks), head(Field::Date));
    // A header says which cabinet only together with its neighbours: «Расход» alone is anyone's.
    let keyword = ["условие показа", "ключевая фраза"].contains(&term.as_str());
    if ["потрачено", "spent", "списания", "amount spent"].contains(&amount.as_str()) {
        Shape::VkAds
    } else if amount.starts_with("расход") && (keyword || (impressions == "показы" && clicks == "клики")) {
        Shape::YandexDirect
    } else if amount == "cost" && (impressions.starts_with("impr") || date == "day") {
        Shape::GoogleAds
    } else {
        Shape::Generic
    }
}

fn find_header(table: &Table, opts: &ImportOptions) -> Result<Header> {
    let mut best: Option<Vec<Field>> = None;
    for (at, (_, cells)) in table.rows.iter().enumerate().take(HEADER_SEARCH) {
        let columns = match match_header(cells, &opts.mapping) {
            Ok(c) => c,
            // A mapping names a header this row lacks: a title row, or a mistake (said below).
            Err(_) => continue,
        };
        let missing: Vec<Field> = [Field::Date, Field::Amount].into_iter().filter(|f| !columns.contains_key(f)).collect();
        if missing.is_empty() {
            let shape = shape_of(cells, &columns);
            return Ok(Header { at, columns, cells: cells.clone(), shape });
        }
        if best.as_ref().is_none_or(|b| missing.len() < b.len()) {
            best = Some(missing);
        }
    }
    // A mapping that fits no row of the top: name the header it wants.
    if let Some((f, want)) = opts
        .mapping
        .iter()
        .find(|(f, want)| !table.rows.iter().take(HEADER_SEARCH).any(|(_, cells)| match_header(cells, &[(*f, want.clone())]).is_ok()))
    {
        return Err(StoreError::invalid(format!("map.{}", f.key()), SpendMsg::ImportNoMappedColumn { header: want.clone() }));
    }
    let missing = best.unwrap_or_else(|| vec![Field::Date, Field::Amount]);
    let first = missing.first().copied().unwrap_or(Field::Date);
    let columns = missing
        .iter()
        .map(|f| match f {
            Field::Date => "Дата / Date / Day".to_string(),
            _ => "Расход / Потрачено / Cost / Spent".to_string(),
        })
        .collect();
    Err(StoreError::invalid(format!("map.{}", first.key()), SpendMsg::ImportNoColumns { columns }))
}

const MONTHS_EN: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTHS_RU: [&str; 12] = ["янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"];

fn month_word(w: &str) -> Option<u8> {
    let w = w.trim_end_matches(['.', ',']).to_lowercase();
    if w.chars().count() < 3 {
        return None;
    }
    MONTHS_EN.iter().position(|m| w.starts_with(m)).or_else(|| MONTHS_RU.iter().position(|m| w.starts_with(m))).map(|i| i as u8 + 1)
}

/// A date cell as a day: the numeric forms [`crate::invoices::import`] reads, `Nov 23, 2026`,
/// `23 Nov 2026`, `23 ноября 2026 г.`, or a sheet's date serial (days since 1899-12-30).
fn parse_date(raw: &str) -> std::result::Result<time::Date, Msg> {
    let s = raw.trim();
    let bad = || Msg::from(InvoiceMsg::NotImportDate { raw: s.to_string() });
    let ymd = |y: i32, m: u8, d: u8| -> Option<time::Date> { time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok() };
    let date = if let Ok(day) = crate::invoices::import::parse_day(s) {
        time::Date::parse(&day, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| bad())?
    } else if let Some(serial) = s.strip_suffix(".0").unwrap_or(s).parse::<i64>().ok().filter(|n| (36_526..=73_415).contains(n)) {
        let epoch = ymd(1899, 12, 30).ok_or_else(bad)?;
        epoch.checked_add(time::Duration::days(serial)).ok_or_else(bad)?
    } else {
        let words: Vec<&str> =
            s.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty() && !matches!(*w, "г" | "г." | "года")).collect();
        let num = |w: &str| w.trim_end_matches('.').parse::<u32>().ok();
        let (m, d, y) = match words.as_slice() {
            [m, d, y] if month_word(m).is_some() => (month_word(m), num(d), num(y)),
            [d, m, y] if month_word(m).is_some() => (month_word(m), num(d), num(y)),
            _ => return Err(bad()),
        };
        let (Some(m), Some(d), Some(y)) = (m, d, y) else { return Err(bad()) };
        ymd(i32::try_from(y).map_err(|_| bad())?, m, u8::try_from(d).map_err(|_| bad())?).ok_or_else(bad)?
    };
    core_spend::check_day(date)
}

/// Whether a cell says "no figure" (`--` in Google's exports, a dash elsewhere).
fn is_dash(s: &str) -> bool {
    matches!(s.trim(), "-" | "--" | "—" | "–" | " --")
}

/// A count cell: `1 234`, `1,234`, `1.234`, `12.0`; empty or a dash is none.
fn parse_count(raw: &str) -> std::result::Result<Option<i64>, Msg> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\'')).collect();
    if s.is_empty() || is_dash(&s) {
        return Ok(None);
    }
    let bad = || Msg::from(SpendMsg::ImportNotCount { raw: raw.trim().to_string() });
    let s = s.strip_suffix(".0").or_else(|| s.strip_suffix(",0")).or_else(|| s.strip_suffix(".00")).unwrap_or(&s);
    let groups: Vec<&str> = s.split([',', '.']).collect();
    if groups.len() > 1 && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)) {
        return Err(bad());
    }
    let digits = groups.concat();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let n = digits.parse::<i64>().map_err(|_| bad())?;
    core_spend::check_count(n).map(Some)
}

/// Whether a row is a total line of the report («Итого», `Total: Account`).
fn is_total(cells: &[String]) -> bool {
    cells.iter().take(3).any(|c| {
        let c = c.trim().to_lowercase();
        c.starts_with("итого") || c.starts_with("всего") || c.starts_with("total")
    })
}

/// A file's rows, read and checked.
#[derive(Debug)]
struct Parsed {
    header: Header,
    rows: u64,
    skipped: u64,
    /// Good rows added up by key, each with the first line it came from.
    lines: Vec<(u64, SpendLine)>,
    merged: u64,
    errors: Vec<RowError>,
    channel: Option<String>,
}

/// A workbook's sheets to read, each with its header: the one `opts.sheet` names (by name, any
/// case, or number from 1), or every sheet that has a header of spend — a sheet without one
/// (notes, a chart's data) is left out; when none has one, the first sheet's reason is the
/// file's.
fn read_sheets(bytes: &[u8], opts: &ImportOptions) -> Result<Vec<(Option<String>, Table, Header)>> {
    let sheets = read_xlsx_sheets(bytes, MAX_ROWS).map_err(|m| StoreError::invalid("file", m))?;
    if let Some(want) = opts.sheet.as_deref().map(str::trim) {
        let by_number = want.parse::<usize>().ok().filter(|n| (1..=sheets.len()).contains(n)).map(|n| n - 1);
        let names: Vec<String> = sheets.iter().map(|(n, _)| n.clone()).collect();
        let at = by_number.or_else(|| names.iter().position(|n| n.trim().to_lowercase() == want.to_lowercase()));
        let Some(at) = at else {
            return Err(StoreError::invalid("sheet", SpendMsg::ImportNoSheet { sheet: want.to_string(), sheets: names }));
        };
        let (name, table) = sheets.into_iter().nth(at).ok_or(StoreError::NotFound)?;
        if table.rows.is_empty() {
            return Err(StoreError::invalid("file", InvoiceMsg::FileNoRows {}));
        }
        let header = find_header(&table, opts)?;
        return Ok(vec![(Some(name), table, header)]);
    }
    let mut found = Vec::new();
    let mut first_error = None;
    for (name, table) in sheets {
        if table.rows.is_empty() {
            continue;
        }
        match find_header(&table, opts) {
            Ok(h) => found.push((Some(name), table, h)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if found.is_empty() {
        return Err(first_error.unwrap_or_else(|| StoreError::invalid("file", InvoiceMsg::FileNoRows {})));
    }
    Ok(found)
}

/// The file as tables and their headers: a workbook's sheets ([`read_sheets`]), or a CSV. A
/// CSV's separator is the one its first lines suggest, unless the header is then not found and
/// another separator finds it (a title line such as `November 1, 2026 - November 30, 2026`
/// above a tab-separated report).
fn read_file(bytes: &[u8], content_type: Option<&str>, opts: &ImportOptions) -> Result<Vec<(Option<String>, Table, Header)>> {
    if is_xlsx(bytes, content_type) {
        return read_sheets(bytes, opts);
    }
    let table = read_table(bytes, content_type)?;
    let first = find_header(&table, opts);
    if first.is_ok() {
        return first.map(|h| vec![(None, table, h)]);
    }
    let text = decode_text(bytes);
    for sep in [';', '\t', ','] {
        let t = read_csv_with(&text, sep);
        if let Ok(h) = find_header(&t, opts) {
            return Ok(vec![(None, t, h)]);
        }
    }
    first.map(|h| vec![(None, table, h)])
}

/// The sheets' rows as one file's: rows of the same key on several sheets add up as rows of one
/// sheet do; with more than one sheet a bad row's column names its sheet (`Яндекс · Расход`).
fn join_sheets(mut parts: Vec<(Option<String>, Parsed)>) -> Option<Parsed> {
    let many = parts.len() > 1;
    if many {
        for (name, p) in &mut parts {
            for e in &mut p.errors {
                e.column = format!("{} · {}", name.as_deref().unwrap_or_default(), e.column);
            }
        }
    }
    let mut it = parts.into_iter().map(|(_, p)| p);
    let mut out = it.next()?;
    let mut index: HashMap<(String, String, String, String, String), usize> =
        out.lines.iter().enumerate().map(|(i, (_, l))| (l.key(), i)).collect();
    for p in it {
        out.rows += p.rows;
        out.skipped += p.skipped;
        out.merged += p.merged;
        out.errors.extend(p.errors);
        if out.channel != p.channel {
            out.channel = None;
        }
        for (line, spend) in p.lines {
            match index.get(&spend.key()) {
                Some(i) => {
                    let first = &mut out.lines[*i].1;
                    first.amount = first.amount.saturating_add(spend.amount);
                    let add = |a: Option<i64>, b: Option<i64>| match (a, b) {
                        (None, None) => None,
                        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
                    };
                    first.impressions = add(first.impressions, spend.impressions);
                    first.clicks = add(first.clicks, spend.clicks);
                    out.merged += 1;
                }
                None => {
                    index.insert(spend.key(), out.lines.len());
                    out.lines.push((line, spend));
                }
            }
        }
    }
    if many {
        let head = out.header.columns.get(&Field::Amount).and_then(|i| out.header.cells.get(*i)).cloned().unwrap_or_default();
        for (line, s) in &out.lines {
            if let Err(m) = core_spend::check_amount(s.amount) {
                out.errors.push(RowError { line: *line, column: head.clone(), code: "bad_amount", message: Box::new(m) });
            }
        }
    }
    Some(out)
}

#[cfg(test)]
fn read_rows(table: &Table, opts: &ImportOptions, aliases: &Aliases, currency: &str) -> Result<Parsed> {
    let header = find_header(table, opts)?;
    read_rows_at(table, header, opts, aliases, currency)
}

fn read_rows_at(table: &Table, header: Header, opts: &ImportOptions, aliases: &Aliases, currency: &str) -> Result<Parsed> {
    let data = &table.rows[header.at + 1..];
    if data.len() > MAX_ROWS {
        return Err(StoreError::invalid("file", InvoiceMsg::TooManyRowsCount { n: data.len() as i64, max: MAX_ROWS as i64 }));
    }
    let head = |f: Field| header.columns.get(&f).and_then(|i| header.cells.get(*i)).cloned().unwrap_or_else(|| f.key().to_string());
    // The currency a header says the amounts are in must be the workspace's.
    if let Some(i) = header.columns.get(&Field::Amount) {
        let note = normalise_header(header.cells.get(*i).map_or("", String::as_str)).1;
        if let Some(c) = header_currency(&note) {
            core_spend::check_currency(c, currency).map_err(|m| StoreError::invalid(format!("map.{}", Field::Amount.key()), m))?;
        }
    }
    let file_channel = match opts.channel.as_deref().or(header.shape.channel()) {
        Some(c) => Some(aliases.channel(c).map_err(|m| StoreError::invalid("channel", m))?),
        None => None,
    };
    if file_channel.is_none() && !header.columns.contains_key(&Field::Channel) {
        return Err(StoreError::invalid("channel", SpendMsg::ImportNoChannel {}));
    }
    let medium = opts.medium.clone().unwrap_or_default();
    let (mut rows, mut skipped) = (0u64, 0u64);
    let (mut errors, mut order): (Vec<RowError>, Vec<(u64, SpendLine)>) = (Vec::new(), Vec::new());
    let mut index: HashMap<(String, String, String, String, String), usize> = HashMap::new();
    let mut merged = 0u64;
    for (line, cells) in data {
        let cell = |f: Field| header.columns.get(&f).and_then(|i| cells.get(*i)).map_or("", |s| s.trim());
        // A total has no day of its own (a campaign may well be called «Total …»).
        if is_total(cells) && parse_date(cell(Field::Date)).is_err() {
            skipped += 1;
            continue;
        }
        rows += 1;
        let err = |f: Field, code: &'static str, message: Msg| RowError { line: *line, column: head(f), code, message: Box::new(message) };
        let parsed = (|| {
            let raw_day = cell(Field::Date);
            if raw_day.is_empty() {
                return Err(err(Field::Date, "required", InvoiceMsg::CellEmpty {}.into()));
            }
            let day = parse_date(raw_day).map_err(|m| {
                let code = if m.code() == "spend_day_range" { "date_range" } else { "bad_date" };
                err(Field::Date, code, m)
            })?;
            let raw_amount = cell(Field::Amount);
            let amount = if raw_amount.is_empty() {
                return Err(err(Field::Amount, "required", InvoiceMsg::CellEmpty {}.into()));
            } else if is_dash(raw_amount) {
                0
            } else {
                parse_amount(raw_amount).map_err(|m| {
                    let code = if raw_amount.trim_start().starts_with('-') { "negative" } else { "bad_amount" };
                    let m = if code == "negative" { SpendMsg::AmountNegative {}.into() } else { m };
                    err(Field::Amount, code, m)
                })?
            };
            let impressions = parse_count(cell(Field::Impressions)).map_err(|m| err(Field::Impressions, "bad_count", m))?;
            let clicks = parse_count(cell(Field::Clicks)).map_err(|m| err(Field::Clicks, "bad_count", m))?;
            let own_channel = cell(Field::Channel);
            let channel = if own_channel.is_empty() { file_channel.clone().unwrap_or_default() } else { own_channel.to_string() };
            let own_medium = cell(Field::Medium);
            let raw = RawSpend {
                channel,
                medium: if own_medium.is_empty() { medium.clone() } else { own_medium.to_string() },
                campaign: cell(Field::Campaign).to_string(),
                term: if is_dash(cell(Field::Term)) { String::new() } else { cell(Field::Term).to_string() },
                amount,
                impressions,
                clicks,
                currency: Some(cell(Field::Currency).to_string()).filter(|c| !c.is_empty()),
            };
            let mut spend = core_spend::check(&raw, aliases, currency).map_err(|(f, m)| {
                let field = Field::parse(f).unwrap_or(Field::Amount);
                let code = match f {
                    "currency" => "currency",
                    "channel" if m.code() == "spend_channel_empty" => "required",
                    "amount" => "bad_amount",
                    "impressions" | "clicks" => "bad_count",
                    _ => "too_long",
                };
                err(field, code, m)
            })?;
            spend.day = core_spend::day_key(day);
            Ok(spend)
        })();
        match parsed {
            Ok(spend) => match index.get(&spend.key()) {
                Some(i) => {
                    let (_, first) = &mut order[*i];
                    first.amount = first.amount.saturating_add(spend.amount);
                    let add = |a: Option<i64>, b: Option<i64>| match (a, b) {
                        (None, None) => None,
                        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
                    };
                    first.impressions = add(first.impressions, spend.impressions);
                    first.clicks = add(first.clicks, spend.clicks);
                    merged += 1;
                }
                None => {
                    index.insert(spend.key(), order.len());
                    order.push((*line, spend));
                }
            },
            Err(e) => errors.push(e),
        }
    }
    // Rows added up must stay within a row's bounds.
    for (line, s) in &order {
        if let Err(m) = core_spend::check_amount(s.amount) {
            errors.push(RowError { line: *line, column: head(Field::Amount), code: "bad_amount", message: Box::new(m) });
        }
    }
    errors.sort_by_key(|e| e.line);
    Ok(Parsed { header, rows, skipped, lines: order, merged, errors, channel: file_channel })
}

impl Db {
    /// Imports spend from an ad cabinet's export; see the module docs. `progress` hears
    /// `(rows written, rows)`. A file with bad rows writes nothing and its report lists them
    /// ([`SpendImportReport::applied`] is false; [`SpendImportReport::refusal`] says it whole).
    pub async fn import_spend(
        &self,
        actor: &Actor,
        bytes: &[u8],
        content_type: Option<&str>,
        opts: &ImportOptions,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<SpendImportReport> {
        super::may_write(actor)?;
        let files = read_file(bytes, content_type, opts)?;
        let aliases = self.channel_alias_map(actor.ws_id()).await?;
        let sheets: Vec<String> = files.iter().filter_map(|(n, _, _)| n.clone()).collect();
        let mut parts = Vec::new();
        for (name, table, header) in files {
            parts.push((name, read_rows_at(&table, header, opts, &aliases, &actor.ws.currency)?));
        }
        let parsed = join_sheets(parts).ok_or_else(|| StoreError::invalid("file", InvoiceMsg::FileNoRows {}))?;
        let lines: Vec<SpendLine> = parsed.lines.iter().map(|(_, s)| s.clone()).collect();
        let mut report = SpendImportReport {
            dry_run: opts.dry_run,
            applied: false,
            shape: parsed.header.shape,
            sheets,
            channel: parsed.channel.clone(),
            columns: {
                let mut c: Vec<(Field, String)> =
                    parsed.header.columns.iter().map(|(f, i)| (*f, parsed.header.cells.get(*i).cloned().unwrap_or_default())).collect();
                c.sort();
                c
            },
            rows: parsed.rows,
            skipped: parsed.skipped,
            merged: parsed.merged,
            created: 0,
            updated: 0,
            unchanged: 0,
            amount: lines.iter().fold(0i64, |a, l| a.saturating_add(l.amount)),
            first_day: lines.iter().map(|l| l.day.clone()).min(),
            last_day: lines.iter().map(|l| l.day.clone()).max(),
            import_id: None,
            lines: Vec::new(),
            lines_total: lines.len() as u64,
            errors: parsed.errors,
        };
        // A real run with bad rows writes nothing; a dry run still says what the good rows would do.
        let write = report.errors.is_empty() || opts.dry_run;
        let mut actions = vec![RowAction::Created; lines.len()];
        if write && !lines.is_empty() {
            let tx = self.write.begin().await?;
            let import_id = import_number(&tx, self.backend, actor.ws_id()).await?;
            let (w, a) = write_lines(&tx, self.backend, actor, &lines, Some(import_id), self.clock.now_ms(), false, progress).await?;
            (report.created, report.updated, report.unchanged) = (w.created, w.updated, w.unchanged);
            actions = a;
            if opts.dry_run || !report.errors.is_empty() {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
                report.applied = true;
                report.import_id = (w.created + w.updated > 0).then_some(import_id);
            }
        } else if write {
            report.applied = !opts.dry_run;
        }
        report.lines = parsed
            .lines
            .into_iter()
            .zip(actions)
            .take(PREVIEW_LINES)
            .map(|((line, spend), action)| PreviewLine { line, spend, action })
            .collect();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabular::read_csv;

    fn csv(text: &str) -> Table {
        read_csv(text)
    }

    fn parse(t: &Table, opts: &ImportOptions) -> Parsed {
        read_rows(t, opts, &Aliases::defaults(), "RUB").unwrap()
    }

    #[test]
    fn a_yandex_direct_report_is_read_with_its_titles_and_totals() {
        let t = csv("\u{feff}Статистика по дням\nПериод: 01.11.2026 - 02.11.2026\n\
             Дата;Кампания;Условие показа;Показы;Клики;Расход (руб.)\n\
             01.11.2026;brand;внедрение crm;1 200;35;1 234,56\n\
             01.11.2026;brand;внедрение crm;100;5;100\n\
             02.11.2026;crm_msk_search;--;3 400;80;10 000\n\
             02.11.2026;Total brand;--;1;1;1\n\
             Итого;;;4 701;121;11 335,56\n");
        let p = parse(&t, &ImportOptions::default());
        assert_eq!(p.header.shape, Shape::YandexDirect);
        assert_eq!(p.channel.as_deref(), Some("yandex"));
        assert_eq!((p.rows, p.skipped, p.merged), (4, 1, 1));
        assert_eq!(p.lines[2].1.campaign, "Total brand", "a campaign, not a total");
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let (line, first) = &p.lines[0];
        assert_eq!(*line, 4);
        assert_eq!(
            (first.day.as_str(), first.campaign.as_str(), first.term.as_str(), first.amount, first.impressions, first.clicks),
            ("2026-11-01", "brand", "внедрение crm", 133_456, Some(1_300), Some(40))
        );
        assert_eq!((p.lines[1].1.term.as_str(), p.lines[1].1.amount), ("", 1_000_000));
    }

    #[test]
    fn vk_and_google_shapes_and_a_mapping() {
        let vk = csv("Date,Campaign,Impressions,Clicks,Spent\n2026-11-01,Ретаргет,\"1,500\",12,\"2,500.50\"\n");
        let p = parse(&vk, &ImportOptions::default());
        assert_eq!((p.header.shape, p.lines[0].1.channel.as_str(), p.lines[0].1.amount), (Shape::VkAds, "vk", 250_050));
        assert_eq!(p.lines[0].1.impressions, Some(1_500));
        let vk_ru = csv("Дата;Кампания;Показы;Клики;Потрачено, ₽\n23.11.2026;Осень;10;1;99,9\n");
        assert_eq!(parse(&vk_ru, &ImportOptions::default()).header.shape, Shape::VkAds);
        // A title line with commas above a tab-separated report (Google's "Excel CSV", UTF-16).
        let text = "Campaign report\nNovember 1, 2026 - November 30, 2026\nDay\tCampaign\tCost\n2026-11-23\tSearch RU\t1,234.50\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let (_, t, h) = read_file(&bytes, None, &ImportOptions::default()).unwrap().remove(0);
        let p = read_rows_at(&t, h, &ImportOptions::default(), &Aliases::defaults(), "RUB").unwrap();
        assert_eq!((p.header.shape, p.lines[0].1.amount, p.lines[0].1.campaign.as_str()), (Shape::GoogleAds, 123_450, "Search RU"));
        let google = csv("Campaign report\n\"November 1, 2026 - November 30, 2026\"\n\
             Day\tCampaign\tKeyword\tCurrency code\tImpr.\tClicks\tCost\n\
             \"Nov 23, 2026\"\tSearch RU\tcrm system\tRUB\t1,234\t56\t789.01\n\
             Total: Account\t\t\t\t1,234\t56\t789.01\n");
        let p = parse(&google, &ImportOptions::default());
        assert_eq!(p.header.shape, Shape::GoogleAds);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!((p.lines[0].1.day.as_str(), p.lines[0].1.channel.as_str(), p.lines[0].1.amount), ("2026-11-23", "google", 78_901));
        // An explicit mapping and a channel for a file of no known shape.
        let own = csv("Когда;Что;Деньги\n2026-11-23;Промо;500\n");
        let opts = ImportOptions {
            mapping: vec![(Field::Date, "когда".into()), (Field::Campaign, "Что".into()), (Field::Amount, "3".into())],
            channel: Some("Дзен".into()),
            ..Default::default()
        };
        let p = parse(&own, &opts);
        assert_eq!((p.header.shape, p.lines[0].1.channel.as_str(), p.lines[0].1.amount), (Shape::Generic, "дзен", 50_000));
        assert!(
            matches!(read_rows(&own, &ImportOptions::default(), &Aliases::defaults(), "RUB"), Err(StoreError::Validation(e)) if e.field == "map.date")
        );
        let no_channel = csv("Дата;Сумма\n2026-11-23;500\n");
        assert!(
            matches!(read_rows(&no_channel, &ImportOptions::default(), &Aliases::defaults(), "RUB"), Err(StoreError::Validation(e)) if e.field == "channel")
        );
        let wrong = ImportOptions { mapping: vec![(Field::Amount, "Бюджет".into())], ..Default::default() };
        assert!(matches!(read_rows(&own, &wrong, &Aliases::defaults(), "RUB"), Err(StoreError::Validation(e)) if e.field == "map.amount"));
        // Amounts in another currency than the workspace's.
        assert!(
            matches!(read_rows(&vk_ru, &ImportOptions::default(), &Aliases::defaults(), "USD"), Err(StoreError::Validation(e)) if e.field == "map.amount")
        );
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let t = csv("Дата;Кампания;Клики;Расход\n\
             2026-11-01;a;1;100\n\
             31.02.2026;b;1;100\n\
             1999-12-31;c;1;100\n\
             2026-11-02;d;много;100\n\
             2026-11-03;e;1;-5\n\
             2026-11-04;f;1;\n\
             2026-11-05;g;1;12,345\n");
        let p = parse(&t, &ImportOptions { channel: Some("yandex".into()), ..Default::default() });
        assert_eq!(p.header.shape, Shape::Generic, "«Расход» alone names no cabinet");
        let errs: Vec<(u64, &str, &str)> = p.errors.iter().map(|e| (e.line, e.column.as_str(), e.code)).collect();
        assert_eq!(
            errs,
            vec![
                (3, "Дата", "bad_date"),
                (4, "Дата", "date_range"),
                (5, "Клики", "bad_count"),
                (6, "Расход", "negative"),
                (7, "Расход", "required"),
                (8, "Расход", "bad_amount"),
            ]
        );
        assert_eq!(p.lines.len(), 1);
        for (raw, day) in [
            ("23 ноября 2026 г.", "2026-11-23"),
            ("23 Nov 2026", "2026-11-23"),
            ("46349", "2026-11-23"),
            ("2026-11-23 00:00:00", "2026-11-23"),
        ] {
            assert_eq!(core_spend::day_key(parse_date(raw).unwrap()), day, "{raw}");
        }
        assert_eq!(parse_count("1 234").unwrap(), Some(1234));
        assert_eq!(parse_count("1.234").unwrap(), Some(1234));
        assert_eq!(parse_count("--").unwrap(), None);
        assert!(parse_count("1,5").is_err());
    }
}

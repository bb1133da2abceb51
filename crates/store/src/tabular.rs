//! Reading a spreadsheet export into rows of text cells, whatever wrote it: CSV (UTF-8 with or
//! without a BOM, UTF-16 with a BOM, or Windows-1251; `;`, `,` or tab separated, detected; quoted
//! cells may span lines), XLSX (the first sheet, or every sheet with [`read_xlsx_sheets`]) and XLS workbooks (the first sheet), and the HTML `<table>` that
//! Bitrix24 saves as an "Excel" `.xls`. Used by the imports of invoices, marketing spend, plans
//! and of a whole base from another CRM ([`crate::imports`]).
//!
//! The kind of file is told by its content, never by its name alone: a ZIP signature is XLSX, an
//! OLE signature is XLS, text that opens with `<` and holds a `<table` is HTML, anything else is
//! CSV text. Cells are never evaluated: a formula in a CSV cell is just its text.
use crate::error::{Result, StoreError};
use poryadok_core::msg::{ImportMsg, InvoiceMsg};
use poryadok_core::Msg;

/// Rows one file may hold by default (invoices, spend); a caller may allow more.
pub const MAX_ROWS: usize = 50_000;
/// How many leading rows may sit above the header (report titles, blank lines).
pub(crate) const HEADER_SEARCH: usize = 20;
/// Columns read from a sheet; cells further right are ignored. A sheet may name any cell up
/// to XFD1048576, and a workbook of two cells far apart would otherwise be read as a rectangle
/// of billions of cells (a 2 KB upload aborted the process out of memory; reproduced with the
/// `invoice_import` fuzz target).
pub(crate) const MAX_COLUMNS: usize = 64;

/// A sheet of text cells with the line (or row) each record starts on.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub rows: Vec<(u64, Vec<String>)>,
}

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
    Xls,
    Html,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Csv => "csv",
            FileKind::Xlsx => "xlsx",
            FileKind::Xls => "xls",
            FileKind::Html => "html",
        }
    }
}

/// Bytes of a CSV export as text: UTF-8 (a BOM is dropped), UTF-16 with a BOM, or windows-1251
/// when the bytes are not UTF-8 (1C's default for CSV).
pub(crate) fn decode_text(bytes: &[u8]) -> String {
    decode_checked(bytes).unwrap_or_else(|| encoding_rs::WINDOWS_1251.decode_without_bom_handling(bytes).0.into_owned())
}

/// [`decode_text`] that refuses bytes which are no text in any of those encodings: control
/// bytes other than tab and line ends, or (read as Windows-1251) mostly letters that are not
/// Cyrillic — a KOI8 or Mac file, or a binary one.
pub(crate) fn decode_checked(bytes: &[u8]) -> Option<String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Some(String::from_utf8_lossy(rest).into_owned());
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Some(encoding_rs::UTF_16LE.decode_without_bom_handling(rest).0.into_owned());
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Some(encoding_rs::UTF_16BE.decode_without_bom_handling(rest).0.into_owned());
    }
    let control = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (!s.chars().take(65_536).any(control)).then(|| s.to_string());
    }
    let (text, _, bad) = encoding_rs::WINDOWS_1251.decode(bytes);
    if bad || text.chars().take(65_536).any(control) {
        return None;
    }
    // Text in Windows-1251 is Cyrillic words: upper-case letters mostly start them. KOI8-R read
    // as Windows-1251 is mostly upper case and odd symbols.
    let (mut lower, mut other) = (0usize, 0usize);
    for c in text.chars().take(65_536).filter(|c| !c.is_ascii()) {
        if ('а'..='я').contains(&c) || c == 'ё' {
            lower += 1;
        } else if !(('А'..='Я').contains(&c) || matches!(c, 'Ё' | '№' | '«' | '»' | '—' | '–' | '\u{a0}' | '…' | '“' | '”' | '„'))
        {
            other += 1;
        }
    }
    let upper = text.chars().take(65_536).filter(|c| ('А'..='Я').contains(c)).count();
    (lower + upper == 0 || (lower >= upper && other * 10 <= lower + upper)).then(|| text.into_owned())
}

/// The separator of the first line that has one: whichever of `;`, tab and `,` occurs most
/// outside quotes (`;` on a tie, as 1C writes).
pub(crate) fn separator(text: &str) -> char {
    for line in text.lines().take(HEADER_SEARCH) {
        let mut counts = [0usize; 3];
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ';' if !quoted => counts[0] += 1,
                '\t' if !quoted => counts[1] += 1,
                ',' if !quoted => counts[2] += 1,
                _ => {}
            }
        }
        let best = counts.iter().enumerate().max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i))).map_or(0, |(i, _)| i);
        if counts[best] > 0 {
            return [';', '\t', ','][best];
        }
    }
    ';'
}

/// Splits CSV text into records: `"…"` quotes a cell (`""` inside is a quote, and it may span
/// lines); blank records are dropped.
pub(crate) fn read_csv(text: &str) -> Table {
    read_csv_with(text, separator(text))
}

/// [`read_csv`] with the separator given (a caller that knows better than the first lines).
pub(crate) fn read_csv_with(text: &str, sep: char) -> Table {
    let mut table = Table::default();
    let (mut cells, mut cell) = (Vec::new(), String::new());
    let (mut line, mut start, mut quoted) = (1u64, 1u64, false);
    let mut chars = text.chars().peekable();
    let mut end_record = |cells: &mut Vec<String>, cell: &mut String, start: u64| {
        cells.push(std::mem::take(cell).trim().to_string());
        let record = std::mem::take(cells);
        if record.iter().any(|c| !c.is_empty()) {
            table.rows.push((start, record));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            '\n' if quoted => {
                line += 1;
                cell.push('\n');
            }
            '\r' => {}
            '\n' => {
                end_record(&mut cells, &mut cell, start);
                line += 1;
                start = line;
            }
            c if c == sep && !quoted => cells.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    end_record(&mut cells, &mut cell, start);
    table
}

/// A calamine cell as text, dates as `YYYY-MM-DD` (with ` HH:MM:SS` when it has a time).
fn cell_text(data: calamine::Data) -> String {
    use calamine::Data;
    match data {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
            if (hh, mm, ss) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
            }
        }
        Data::Error(e) => format!("#{e}"),
    }
}

/// The first sheet of an XLSX workbook, dates as `YYYY-MM-DD`. Cells are read one by one, so
/// memory follows the cells the file holds, never the rectangle they span.
pub(crate) fn read_xlsx(bytes: &[u8]) -> std::result::Result<Table, Msg> {
    read_xlsx_limited(bytes, MAX_ROWS)
}

/// [`read_xlsx`] with the largest number of rows given.
pub(crate) fn read_xlsx_limited(bytes: &[u8], max_rows: usize) -> std::result::Result<Table, Msg> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| Msg::from(InvoiceMsg::XlsxUnreadable { why: e.to_string() }))?;
    let first = book.sheet_names().into_iter().next().ok_or(InvoiceMsg::XlsxNoSheet {})?;
    xlsx_sheet(&mut book, &first, max_rows)
}

/// Every sheet of an XLSX workbook with its name, in the workbook's order (a workbook with
/// one sheet per campaign or per month); each at most `max_rows` rows.
pub(crate) fn read_xlsx_sheets(bytes: &[u8], max_rows: usize) -> std::result::Result<Vec<(String, Table)>, Msg> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| Msg::from(InvoiceMsg::XlsxUnreadable { why: e.to_string() }))?;
    let names = book.sheet_names();
    if names.is_empty() {
        return Err(InvoiceMsg::XlsxNoSheet {}.into());
    }
    names.into_iter().map(|n| xlsx_sheet(&mut book, &n, max_rows).map(|t| (n, t))).collect()
}

/// One sheet of a workbook, cell by cell.
fn xlsx_sheet<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<RS>,
    name: &str,
    max_rows: usize,
) -> std::result::Result<Table, Msg> {
    use calamine::Data;
    let unreadable = |e: calamine::XlsxError| Msg::from(InvoiceMsg::XlsxSheetUnreadable { why: e.to_string() });
    let mut cells = book.worksheet_cells_reader(name).map_err(unreadable)?;
    let mut rows: std::collections::BTreeMap<u32, Vec<String>> = std::collections::BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (row, column) = cell.get_position();
        let Ok(column) = usize::try_from(column) else { continue };
        let text = cell_text(Data::from(cell.get_value().clone()));
        if column >= MAX_COLUMNS || text.is_empty() {
            continue;
        }
        if !rows.contains_key(&row) && rows.len() > max_rows + HEADER_SEARCH {
            return Err(InvoiceMsg::TooManyRows { max: max_rows as i64 }.into());
        }
        let cells = rows.entry(row).or_default();
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
    }
    Ok(Table { rows: rows.into_iter().map(|(row, cells)| (u64::from(row) + 1, cells)).collect() })
}

/// The first sheet of an XLS (BIFF) workbook.
pub(crate) fn read_xls(bytes: &[u8], max_rows: usize) -> std::result::Result<Table, Msg> {
    use calamine::{Reader, Xls};
    let unreadable = |e: calamine::XlsError| Msg::from(ImportMsg::XlsUnreadable { why: e.to_string() });
    let mut book: Xls<_> = Xls::new(std::io::Cursor::new(bytes)).map_err(unreadable)?;
    let first = book.sheet_names().into_iter().next().ok_or(InvoiceMsg::XlsxNoSheet {})?;
    let range = book.worksheet_range(&first).map_err(unreadable)?;
    let (top, _) = range.start().unwrap_or((0, 0));
    let mut table = Table::default();
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().take(MAX_COLUMNS).map(|c| cell_text(c.clone())).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if table.rows.len() > max_rows + HEADER_SEARCH {
            return Err(InvoiceMsg::TooManyRows { max: max_rows as i64 }.into());
        }
        table.rows.push((u64::from(top) + i as u64 + 1, cells));
    }
    Ok(table)
}

/// Whether the text is an HTML page holding a table (Bitrix24's "Excel" export).
fn is_html_table(text: &str) -> bool {
    let head: String = text.trim_start_matches('\u{feff}').trim_start().chars().take(65_536).collect::<String>().to_lowercase();
    head.starts_with('<') && head.contains("<table")
}

/// Text with HTML's character references replaced.
fn unescape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|e| *e <= 10);
        let Some(end) = end else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16).ok().and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse::<u32>().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The rows of an HTML page's tables: each `<tr>` a row, each `<td>`/`<th>` a cell (a
/// `colspan` repeats no cell; `<br>` is a line break). A tolerant reader of what spreadsheet
/// exports write: unclosed cells and rows end at the next one, tags inside cells are dropped,
/// comments, scripts and styles are skipped.
pub(crate) fn read_html(text: &str, max_rows: usize) -> std::result::Result<Table, Msg> {
    let mut table = Table::default();
    let (mut row, mut cell): (Option<Vec<String>>, Option<String>) = (None, None);
    let mut number = 0u64;
    let mut seen_table = false;
    let finish_cell = |row: &mut Option<Vec<String>>, cell: &mut Option<String>| {
        if let Some(c) = cell.take() {
            let text = unescape_html(&c);
            let text = text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("\n");
            row.get_or_insert_with(Vec::new).push(text.trim().to_string());
        }
    };
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        if let Some(c) = cell.as_mut() {
            c.push_str(&rest[..lt].replace(['\n', '\r'], " "));
        }
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |e| &rest[e + 3..]);
            continue;
        }
        let Some(gt) = rest.find('>') else { break };
        let tag = rest[1..gt].trim().to_lowercase();
        rest = &rest[gt + 1..];
        let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let closing = tag.starts_with('/');
        match (name.as_str(), closing) {
            ("script" | "style", false) => {
                let end = format!("</{name}");
                rest = rest.to_ascii_lowercase().find(&end).map_or("", |e| &rest[e..]);
            }
            ("table", false) => seen_table = true,
            ("tr", _) | ("table", true) | ("tbody" | "thead" | "tfoot", _) => {
                finish_cell(&mut row, &mut cell);
                if let Some(r) = row.take() {
                    number += 1;
                    if r.iter().any(|c| !c.is_empty()) {
                        if table.rows.len() > max_rows + HEADER_SEARCH {
                            return Err(InvoiceMsg::TooManyRows { max: max_rows as i64 }.into());
                        }
                        table.rows.push((number, r.into_iter().take(MAX_COLUMNS).collect()));
                    }
                }
            }
            ("td" | "th", false) => {
                finish_cell(&mut row, &mut cell);
                cell = Some(String::new());
            }
            ("td" | "th", true) => finish_cell(&mut row, &mut cell),
            ("br", _) | ("p" | "div", true) => {
                if let Some(c) = cell.as_mut() {
                    c.push('\n');
                }
            }
            _ => {}
        }
    }
    finish_cell(&mut row, &mut cell);
    if let Some(r) = row.take() {
        if r.iter().any(|c| !c.is_empty()) {
            table.rows.push((number + 1, r));
        }
    }
    if !seen_table {
        return Err(ImportMsg::HtmlNoTable {}.into());
    }
    Ok(table)
}

/// Whether the bytes (or the declared type) are an XLSX workbook rather than CSV text.
pub fn is_xlsx(bytes: &[u8], content_type: Option<&str>) -> bool {
    bytes.starts_with(b"PK\x03\x04") || content_type.is_some_and(|t| t.contains("spreadsheetml") || t.contains("ms-excel"))
}

/// What the bytes are, by their content (the declared type only breaks a tie for XLSX).
pub fn file_kind(bytes: &[u8], content_type: Option<&str>) -> FileKind {
    if bytes.starts_with(b"PK\x03\x04") {
        return FileKind::Xlsx;
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return FileKind::Xls;
    }
    let head = &bytes[..bytes.len().min(65_536)];
    let text = String::from_utf8_lossy(head);
    if is_html_table(&text) {
        return FileKind::Html;
    }
    if content_type.is_some_and(|t| t.contains("spreadsheetml")) {
        return FileKind::Xlsx;
    }
    FileKind::Csv
}

/// Reads a file into a table: XLSX by its signature or type, otherwise CSV text.
pub(crate) fn read_table(bytes: &[u8], content_type: Option<&str>) -> Result<Table> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(StoreError::invalid("file", InvoiceMsg::FileEmpty {}));
    }
    let table = if is_xlsx(bytes, content_type) {
        read_xlsx(bytes).map_err(|m| StoreError::invalid("file", m))?
    } else {
        read_csv(&decode_text(bytes))
    };
    if table.rows.is_empty() {
        return Err(StoreError::invalid("file", InvoiceMsg::FileNoRows {}));
    }
    Ok(table)
}

/// Reads any file [`file_kind`] knows, refusing text in an unknown encoding; at most
/// `max_rows` rows. The table and what the file was.
pub(crate) fn read_any(bytes: &[u8], content_type: Option<&str>, max_rows: usize) -> Result<(Table, FileKind)> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(StoreError::invalid("file", InvoiceMsg::FileEmpty {}));
    }
    let kind = file_kind(bytes, content_type);
    let bad = |m: Msg| StoreError::invalid("file", m);
    let table = match kind {
        FileKind::Xlsx => read_xlsx_limited(bytes, max_rows).map_err(bad)?,
        FileKind::Xls => read_xls(bytes, max_rows).map_err(bad)?,
        FileKind::Html => {
            read_html(&decode_checked(bytes).ok_or_else(|| bad(ImportMsg::UnknownEncoding {}.into()))?, max_rows).map_err(bad)?
        }
        FileKind::Csv => read_csv(&decode_checked(bytes).ok_or_else(|| bad(ImportMsg::UnknownEncoding {}.into()))?),
    };
    if table.rows.is_empty() {
        return Err(StoreError::invalid("file", InvoiceMsg::FileNoRows {}));
    }
    if table.rows.len() > max_rows + 1 {
        return Err(StoreError::invalid("file", InvoiceMsg::TooManyRowsCount { n: table.rows.len() as i64 - 1, max: max_rows as i64 }));
    }
    Ok((table, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(t: &Table) -> Vec<Vec<&str>> {
        t.rows.iter().map(|(_, r)| r.iter().map(String::as_str).collect()).collect()
    }

    #[test]
    fn windows_1251_is_detected_and_other_bytes_are_refused() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("Название сделки;Бюджет\nПоставка «Ромашка»;1 000\n");
        let (t, kind) = read_any(&bytes, None, 10).unwrap();
        assert_eq!(kind, FileKind::Csv);
        assert_eq!(cells(&t), vec![vec!["Название сделки", "Бюджет"], vec!["Поставка «Ромашка»", "1 000"]]);
        // KOI8-R read as Windows-1251 is mostly capitals and symbols.
        let (koi, _, _) = encoding_rs::KOI8_R.encode("Название сделки;Бюджет\nпоставка товара;1 000\n");
        let err = read_any(&koi, None, 10).unwrap_err();
        assert!(format!("{err:?}").contains("crm_import_unknown_encoding") || format!("{err:?}").contains("UnknownEncoding"), "{err:?}");
        assert!(read_any(b"\x00\x01\x02binary\xff\xfe", None, 10).is_err());
    }

    #[test]
    fn separators_bom_and_quoted_newlines() {
        let t = read_any("\u{feff}a\tb\n\"x\ny\"\t2\n".as_bytes(), None, 10).unwrap().0;
        assert_eq!(cells(&t), vec![vec!["a", "b"], vec!["x\ny", "2"]]);
        let t = read_any(b"a,b\n1,\"2,5\"\n", None, 10).unwrap().0;
        assert_eq!(cells(&t), vec![vec!["a", "b"], vec!["1", "2,5"]]);
    }

    #[test]
    fn an_html_table_saved_as_xls_is_read_cell_by_cell() {
        let html = "<html><head><meta charset=\"utf-8\"><style>td{color:red}</style></head><body>\
            <table border=1><tr><th>ID</th><th>Название сделки</th></tr>\n<tr><td>7</td><td>Ромашка &amp; Co<br>вторая</td></tr>\
            <tr><td>8<td>=HYPERLINK(&quot;x&quot;)</tr></table></body></html>";
        let (t, kind) = read_any(html.as_bytes(), Some("application/vnd.ms-excel"), 10).unwrap();
        assert_eq!(kind, FileKind::Html);
        assert_eq!(cells(&t), vec![vec!["ID", "Название сделки"], vec!["7", "Ромашка & Co\nвторая"], vec!["8", "=HYPERLINK(\"x\")"]]);
        assert!(read_any(b"<html><body>no</body></html>", None, 10).is_ok_and(|(_, k)| k == FileKind::Csv));
    }

    #[test]
    fn too_many_rows_are_refused() {
        let csv = "a\n1\n2\n3\n";
        assert!(read_any(csv.as_bytes(), None, 3).is_ok());
        assert!(read_any(csv.as_bytes(), None, 2).is_err());
    }
}

//! A whole workspace as files: JSON lines (streamed, [`poryadok_store::dump::jsonl`]) or one
//! CSV or XLSX file per entity in a zip ([`poryadok_store::dump::export`]), for
//! `GET /api/v1/export`, the settings page and `poryadok export`.
//!
//! Nothing a user typed runs when the file is opened: CSV cells that a spreadsheet would read as
//! a formula (`=`, `+`, `-`, `@`…) get a leading apostrophe ([`crate::security::csv_text`]);
//! XLSX cells are written as strings (never formulas), numbers only from integer columns.
use crate::security::csv_text;
use poryadok_store::dump::export::Sheet;
use serde_json::Value as Json;
use std::io::Write;

/// What an export is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "json" | "" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
    pub fn ext(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// The largest rows an XLSX sheet holds (Excel's limit less the header).
pub const XLSX_MAX_ROWS: usize = 1_048_575;

fn text_of(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        other => other.to_string(),
    }
}

/// One sheet as CSV (UTF-8 with a byte-order mark, comma-separated, formulas neutralised).
pub fn csv(sheet: &Sheet) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&sheet.headers.iter().map(|h| csv_text(h)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for r in &sheet.rows {
        let cells: Vec<String> = r
            .iter()
            .map(|v| match v {
                Json::Number(n) => n.to_string(),
                other => csv_text(&text_of(other)),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One sheet as an XLSX workbook: the header bold and frozen, text as string cells.
pub fn xlsx(sheet: &Sheet) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(&sheet.name)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in sheet.rows.iter().take(XLSX_MAX_ROWS).enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match v {
                Json::Null => {}
                Json::Number(n) => match n.as_i64() {
                    Some(i) if i.abs() < (1 << 53) => {
                        ws.write_number(r, c, i as f64)?;
                    }
                    _ => {
                        ws.write_string(r, c, n.to_string())?;
                    }
                },
                other => {
                    ws.write_string(r, c, text_of(other))?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

/// The file of one sheet in the format.
pub fn sheet_file(sheet: &Sheet, format: Format) -> Result<Vec<u8>, String> {
    match format {
        Format::Csv => Ok(csv(sheet).into_bytes()),
        Format::Xlsx => xlsx(sheet).map_err(|e| e.to_string()),
        Format::Jsonl => Err("JSON lines are one file, not one per sheet".into()),
    }
}

/// Every sheet as a file in one zip (`deals.csv`, `persons.csv`…).
pub fn zip(sheets: &[Sheet], format: Format) -> Result<Vec<u8>, String> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for s in sheets {
        w.start_file(format!("{}.{}", s.name, format.ext()), opts).map_err(|e| e.to_string())?;
        w.write_all(&sheet_file(s, format)?).map_err(|e| e.to_string())?;
    }
    Ok(w.finish().map_err(|e| e.to_string())?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formulas_are_neutralised() {
        let s = Sheet {
            name: "deals".into(),
            headers: vec!["id".into(), "title".into()],
            rows: vec![vec![json!(1), json!("=HYPERLINK(\"http://x\",\"y\")")], vec![json!(2), json!("-1+2")], vec![json!(3), json!("@x")]],
        };
        let c = csv(&s);
        assert!(c.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""), "{c}");
        assert!(c.contains("'-1+2") && c.contains("'@x"), "{c}");
        assert!(!c.contains(",=HYPERLINK"));
    }
}

//! Any uploaded file at the invoice import (CSV in any of its encodings, or XLSX): reading it
//! into checked rows answers with rows and row errors or a refusal, never a panic. This is the
//! whole of the import before the database (`invoices::import::parse_rows`, which
//! `Db::import_invoices` calls).
#![no_main]
use libfuzzer_sys::fuzz_target;
use poryadok_store::invoices::import;

fuzz_target!(|data: &[u8]| {
    // The CLI and the web form send no type; the API passes the request's Content-Type, which
    // only matters for a workbook without its signature.
    if let Ok(parsed) = import::parse_rows(data, None) {
        assert_eq!(parsed.good_rows() + parsed.errors().len() as u64, parsed.rows(), "every data row is imported or reported");
        for e in parsed.errors() {
            assert!(e.line >= 1, "lines count from 1");
        }
    }
    if data.starts_with(b"PK") {
        let _ = import::parse_rows(data, Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    }
});

//! SQL functions Poryadok adds to every SQLite connection.
//! `poryadok_lower(text)` folds case like Rust's `str::to_lowercase`: SQLite's own `lower()`
//! folds only ASCII, and `~` in filters must match "От Партнера" with "от партнера".
use libsqlite3_sys as ffi;
use std::os::raw::c_int;

static LOWER: &[u8] = b"poryadok_lower\0";

/// Registers the functions on one connection; returns SQLite's result code.
pub fn register(db: *mut ffi::sqlite3) -> c_int {
    // SAFETY: `db` is a live connection handle owned by the caller for the duration of the call;
    // the name is NUL-terminated and static; the callback matches SQLite's scalar function ABI.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            LOWER.as_ptr().cast(),
            1,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
            std::ptr::null_mut(),
            Some(lower),
            None,
            None,
            None,
        )
    }
}

unsafe extern "C" fn lower(ctx: *mut ffi::sqlite3_context, n: c_int, args: *mut *mut ffi::sqlite3_value) {
    // SAFETY: SQLite passes `n` valid argument pointers; text pointers stay valid until the
    // value is changed, which nothing here does; the result is copied (SQLITE_TRANSIENT).
    unsafe {
        if n != 1 || args.is_null() {
            ffi::sqlite3_result_null(ctx);
            return;
        }
        let v = *args;
        if ffi::sqlite3_value_type(v) == ffi::SQLITE_NULL {
            ffi::sqlite3_result_null(ctx);
            return;
        }
        let p = ffi::sqlite3_value_text(v);
        let len = ffi::sqlite3_value_bytes(v);
        if p.is_null() || len < 0 {
            ffi::sqlite3_result_null(ctx);
            return;
        }
        let folded = String::from_utf8_lossy(std::slice::from_raw_parts(p, len as usize)).to_lowercase();
        ffi::sqlite3_result_text(ctx, folded.as_ptr().cast(), folded.len() as c_int, ffi::SQLITE_TRANSIENT());
    }
}

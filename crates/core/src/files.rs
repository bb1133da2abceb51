//! What a file on a card may be: its name, its type and its kind, decided before any byte is
//! stored. Pure: the store keeps the bytes, the server serves them.
//!
//! Policy (docs/FILES.md):
//! - a name is kept as the user gave it (Cyrillic and spaces included), trimmed, at most 255
//!   characters; a name with `/`, `\`, a control character, or `.`/`..` is refused, never
//!   silently rewritten, so what the card shows is what was uploaded;
//! - programs and scripts are refused, by extension (`.exe`, `.bat`, `.js`, `.sh`, …) and by
//!   their first bytes (a Windows `MZ` header, ELF, Mach-O, a `#!` script), whatever the name;
//! - the content type the server answers with is decided here from the name (and a PDF's, an
//!   image's or a ZIP's first bytes), never taken from the uploader, and downloads are always
//!   attachments: an uploaded HTML or SVG file is not rendered by the browser;
//! - a kind (`signed_contract`) is a key: Latin letters, digits and `_`, at most 64.
use crate::msg::{FileMsg, Msg};

pub const MAX_NAME_CHARS: usize = 255;
pub const MAX_KIND_CHARS: usize = 64;

/// Kinds a workspace starts with; any other key may be typed.
pub const BUILTIN_KINDS: &[&str] = &["signed_contract", "contract", "invoice", "act", "proposal", "scan", "other"];

/// Extensions of programs and scripts that run when opened.
const EXECUTABLE_EXTENSIONS: &[&str] = &[
    "exe", "dll", "com", "bat", "cmd", "scr", "msi", "msp", "pif", "cpl", "hta", "jar", "js", "jse", "vbs", "vbe", "wsf", "wsh", "ps1",
    "psm1", "sh", "bash", "csh", "ksh", "zsh", "run", "bin", "elf", "app", "apk", "deb", "rpm", "lnk", "reg", "msc", "gadget", "dmg",
    "pkg", "action", "command", "out", "so", "dylib", "appimage",
];

/// A file name checked for storing and showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub fn parse(raw: &str) -> Result<FileName, Msg> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FileMsg::NameEmpty {}.into());
        }
        if s.chars().any(char::is_control) {
            return Err(FileMsg::NameControl {}.into());
        }
        if s.contains(['/', '\\']) || s == "." || s == ".." {
            return Err(FileMsg::NameSeparator {}.into());
        }
        if s.chars().count() > MAX_NAME_CHARS {
            return Err(FileMsg::NameTooLong { max: MAX_NAME_CHARS as i64 }.into());
        }
        Ok(FileName(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The extension in lower case, without the dot (`pdf`), if any.
    pub fn extension(&self) -> Option<String> {
        let (stem, ext) = self.0.rsplit_once('.')?;
        (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_lowercase())
    }
    /// The name in ASCII for the `filename=` fallback of a Content-Disposition header: other
    /// characters, quotes and backslashes become `_`.
    pub fn ascii_fallback(&self) -> String {
        self.0.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect()
    }
}

/// A file's kind label (`signed_contract`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileKind(String);

impl FileKind {
    /// A kind as typed: trimmed; empty is no kind.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<FileKind>, Msg> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => FileKind::parse(s).map(Some),
        }
    }
    pub fn parse(raw: &str) -> Result<FileKind, Msg> {
        let s = raw.trim();
        let ok = !s.is_empty()
            && s.len() <= MAX_KIND_CHARS
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(FileMsg::KindShape {}.into());
        }
        Ok(FileKind(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether the bytes start like a program: Windows PE, ELF, Mach-O, or a `#!` script.
fn looks_executable(bytes: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[b"MZ", b"\x7fELF", b"#!", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"];
    MAGIC.iter().any(|m| bytes.starts_with(m))
}

/// Refuses programs and scripts, by name and by content.
pub fn check_type(name: &FileName, bytes: &[u8]) -> Result<(), Msg> {
    let by_name = name.extension().is_some_and(|e| EXECUTABLE_EXTENSIONS.contains(&e.as_str()));
    if by_name || looks_executable(bytes) {
        return Err(FileMsg::Executable { name: name.as_str().to_string() }.into());
    }
    Ok(())
}

/// The content type the server answers with: from the first bytes for the formats that have a
/// signature, else from the extension, else `application/octet-stream`.
pub fn content_type(name: &FileName, bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"%PDF-") {
        return "application/pdf";
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return "image/png";
    }
    if bytes.starts_with(b"\xff\xd8\xff") {
        return "image/jpeg";
    }
    let ext = name.extension().unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "heic" => "image/heic",
        "svg" => "image/svg+xml",
        "txt" | "log" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "xml" => "application/xml",
        "json" => "application/json",
        "rtf" => "application/rtf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "zip" => "application/zip",
        "7z" => "application/x-7z-compressed",
        "rar" => "application/vnd.rar",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "eml" => "message/rfc822",
        _ if bytes.starts_with(b"PK\x03\x04") => "application/zip",
        _ => "application/octet-stream",
    }
}

/// `Content-Disposition: attachment` for a name in any script: an ASCII `filename=` for old
/// clients and the exact name as RFC 5987 `filename*=UTF-8''…` (percent-encoded bytes).
pub fn content_disposition(name: &FileName) -> String {
    let mut encoded = String::with_capacity(name.as_str().len() * 3);
    for b in name.as_str().bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{}\"; filename*=UTF-8''{encoded}", name.ascii_fallback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<impl std::fmt::Debug, Msg>) -> &'static str {
        r.unwrap_err().code()
    }

    #[test]
    fn names_keep_cyrillic_and_refuse_paths_and_control_characters() {
        assert_eq!(FileName::parse("  Договор №12 (подписан).pdf ").unwrap().as_str(), "Договор №12 (подписан).pdf");
        assert_eq!(code(FileName::parse("../../etc/passwd")), "file_name_separator");
        assert_eq!(code(FileName::parse("C:\\Users\\me\\scan.pdf")), "file_name_separator");
        assert_eq!(code(FileName::parse("..")), "file_name_separator");
        assert_eq!(code(FileName::parse("scan\u{0}.pdf")), "file_name_control");
        assert_eq!(code(FileName::parse("a\nb.pdf")), "file_name_control");
        assert_eq!(code(FileName::parse("   ")), "file_name_empty");
        assert_eq!(code(FileName::parse(&"я".repeat(256))), "file_name_too_long");
        assert!(FileName::parse(&"я".repeat(255)).is_ok());
    }

    #[test]
    fn programs_are_refused_by_name_and_by_content() {
        let n = |s: &str| FileName::parse(s).unwrap();
        assert_eq!(code(check_type(&n("setup.EXE"), b"hello")), "file_executable");
        assert_eq!(code(check_type(&n("run.sh"), b"echo")), "file_executable");
        assert_eq!(code(check_type(&n("invoice.pdf"), b"MZ\x90\x00")), "file_executable");
        assert_eq!(code(check_type(&n("notes.txt"), b"#!/bin/sh\nrm -rf /")), "file_executable");
        assert_eq!(code(check_type(&n("photo.jpg"), b"\x7fELF\x02")), "file_executable");
        assert!(check_type(&n("Скан.pdf"), b"%PDF-1.7").is_ok());
        assert!(check_type(&n("README"), b"plain text").is_ok());
    }

    #[test]
    fn content_types_come_from_content_then_name() {
        let n = |s: &str| FileName::parse(s).unwrap();
        assert_eq!(content_type(&n("scan.bin.txt"), b"%PDF-1.4"), "application/pdf");
        assert_eq!(
            content_type(&n("Договор.docx"), b"PK\x03\x04"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(content_type(&n("archive"), b"PK\x03\x04"), "application/zip");
        assert_eq!(content_type(&n("x.unknown"), b"??"), "application/octet-stream");
    }

    #[test]
    fn content_disposition_carries_cyrillic_names_safely() {
        let d = content_disposition(&FileName::parse("Счёт \"№5\".pdf").unwrap());
        assert_eq!(d, "attachment; filename=\"____ __5_.pdf\"; filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82%20%22%E2%84%965%22.pdf");
        assert!(d.is_ascii());
    }

    #[test]
    fn kinds_are_keys() {
        assert_eq!(FileKind::parse(" signed_contract ").unwrap().as_str(), "signed_contract");
        assert_eq!(code(FileKind::parse("Signed contract")), "file_kind_shape");
        assert_eq!(code(FileKind::parse("скан")), "file_kind_shape");
        assert_eq!(FileKind::parse_optional(Some("  ")).unwrap(), None);
    }
}

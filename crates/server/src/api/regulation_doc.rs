//! The regulation document (issue 23, seed 004): generated from the configuration the CRM
//! enforces, in the reader's language, with what changed since a date highlighted.
//!
//! - `GET /api/v1/regulation/document?lang=ru|en&format=json|html|docx|pdf&since=YYYY-MM-DD`
//! - `POST /api/v1/regulation/document/read` with `{"version": N}` (the current one when absent)
//! - `GET /api/v1/regulation/document/reads[?version=N]`: who has read it (heads, administrators)
//! - `GET /api/v1/regulation/lint`: the stage linter's findings
//!
//! [`assemble`] is shared with the UI page: it records a new version when the configuration
//! changed (notifying everyone), builds the document and highlights the lines changed since the
//! date asked for, or for the workspace's highlight period (14 days unless set).
use super::json_body;
use crate::auth::Auth;
use crate::docx::escape;
use crate::error::{ApiError, ApiResult};
use crate::ui::i18n::T;
use crate::ui::messages::UiLabels as CatalogueLabels;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::msg::Labels;
use poryadok_core::msg::{words, Common, DocumentMsg, Lang, Msg, RegDocMsg};
use poryadok_core::regulation_doc::{self, BlockKind, Document};
use poryadok_core::zone;
use poryadok_store::regulation_doc::{DocLabels, DocState};
use poryadok_store::{Actor, Db, StoreError};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{Cursor, Write};

const DAY_MS: i64 = 86_400_000;

/// The UI catalogue's labels, with the document's own vocabularies: a lead source's kind
/// (`intake.kind.*`), a file's kind (`files.kind.*`) and a participant's role (`settings.role.*`).
#[derive(Clone, Copy)]
pub struct UiLabels(pub T);

impl Labels for UiLabels {
    fn label(&self, field: &str) -> Option<String> {
        CatalogueLabels(self.0).label(field)
    }
    fn term(&self, kind: &str, key: &str) -> Option<String> {
        let name = match kind {
            "source_kind" => format!("intake.kind.{key}"),
            "file_kind" => format!("files.kind.{key}"),
            "participant_role" => format!("settings.role.{key}"),
            _ => return CatalogueLabels(self.0).term(kind, key),
        };
        let text = self.0.t(&name);
        (text != name).then(|| text.to_string())
    }
}

/// The document as a reader gets it.
#[derive(Debug, Clone, Serialize)]
pub struct Assembled {
    pub lang: &'static str,
    pub version: i64,
    /// The version's date in the workspace's zone (DD.MM.YYYY).
    pub version_date: String,
    /// The day changes are highlighted from (YYYY-MM-DD), when anything is compared.
    pub since: Option<String>,
    pub highlight_days: i64,
    pub read_at: Option<i64>,
    pub changed: usize,
    pub document: Document,
}

/// `YYYY-MM-DD` as a day; `None` for anything else.
pub fn parse_day(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

fn day_text(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `ms` as the workspace's local date, DD.MM.YYYY.
pub fn local_date(tz: &str, ms: i64) -> String {
    let t = zone::local(tz, ms);
    format!("{:02}.{:02}.{:04}", t.day(), u8::from(t.month()), t.year())
}

/// The document for `actor` in `lang`, changes since `since` (or for the highlight period)
/// highlighted.
pub async fn assemble(db: &Db, actor: &Actor, lang: Lang, since: Option<time::Date>) -> Result<(Assembled, DocState), StoreError> {
    let (uil_ru, uil_en) = (UiLabels(T::new(Lang::Ru)), UiLabels(T::new(Lang::En)));
    let labels = DocLabels { ru: &uil_ru, en: &uil_en };
    let (v, state) = db.regulation_doc_sync(actor, &labels).await?;
    let tz = actor.ws.timezone.clone();
    let now = db.clock.now_ms();
    let from = match since {
        Some(d) => {
            let noon = d.with_hms(12, 0, 0).map(|t| poryadok_core::types::to_ms(t.assume_utc())).unwrap_or(now);
            Some((zone::day_bounds(&tz, noon).0, d))
        }
        None if state.highlight_days > 0 => {
            let at = now - state.highlight_days * DAY_MS;
            Some((at, zone::local(&tz, at).date()))
        }
        None => None,
    };
    let current = regulation_doc::build(&v.source, lang, labels.of(lang));
    let (document, since_text) = match from {
        Some((at, day)) => match db.regulation_doc_version_at(actor, at).await? {
            Some(prev) if prev.version != v.version => {
                let before = regulation_doc::build(&prev.source, lang, labels.of(lang));
                (regulation_doc::compare(&before, current), Some(day_text(day)))
            }
            _ => (current, Some(day_text(day))),
        },
        None => (current, None),
    };
    let changed = document.changed_count() + document.removed.len();
    let a = Assembled {
        lang: lang.code(),
        version: v.version,
        version_date: local_date(&tz, v.created_at),
        since: since_text,
        highlight_days: state.highlight_days,
        read_at: state.read_at,
        changed,
        document,
    };
    Ok((a, state))
}

// -- Rendering ----------------------------------------------------------------------------------

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The document as a standalone HTML page (no script, no style attribute): a change is a
/// `<mark>`, which every browser and printer shows in yellow.
pub fn to_html(a: &Assembled, lang: Lang) -> String {
    let say = |m: RegDocMsg| Msg::from(m).render(lang, &poryadok_core::msg::Keys);
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(&format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>\n<h1>{}</h1>\n<p>{}</p>\n",
        lang.code(),
        esc(&a.document.title),
        esc(&a.document.title),
        esc(&say(RegDocMsg::VersionLine { version: a.version, date: a.version_date.clone() }))
    ));
    if let (Some(since), true) = (&a.since, a.changed > 0) {
        out.push_str(&format!("<p><mark>{}</mark></p>\n", esc(&say(RegDocMsg::ChangedSince { date: since.clone() }))));
    }
    for s in &a.document.sections {
        out.push_str(&format!("<section id=\"{}\">\n<h2>{}</h2>\n", esc(&s.id), esc(&s.title)));
        let mut in_list = false;
        for b in &s.blocks {
            let listy = matches!(b.kind, BlockKind::Item | BlockKind::Required | BlockKind::Contents);
            if listy && !in_list {
                out.push_str("<ul>\n");
                in_list = true;
            } else if !listy && in_list {
                out.push_str("</ul>\n");
                in_list = false;
            }
            let text = if b.changed { format!("<mark>{}</mark>", esc(&b.text)) } else { esc(&b.text) };
            let line = match b.kind {
                BlockKind::Heading2 => format!("<h3>{text}</h3>"),
                BlockKind::Heading3 => format!("<h4>{text}</h4>"),
                BlockKind::Para => format!("<p>{text}</p>"),
                BlockKind::Warning => format!("<p role=\"note\"><strong>⚠ {text}</strong></p>"),
                BlockKind::Required => format!("<li><strong>{text}</strong></li>"),
                BlockKind::Contents => {
                    let id = b.key.strip_prefix("contents.").unwrap_or("");
                    format!("<li><a href=\"#{}\">{text}</a></li>", esc(id))
                }
                BlockKind::Item => format!("<li>{text}</li>"),
            };
            out.push_str(&line);
            out.push('\n');
        }
        if in_list {
            out.push_str("</ul>\n");
        }
        out.push_str("</section>\n");
    }
    if !a.document.removed.is_empty() {
        out.push_str("<section id=\"removed\"><ul>\n");
        for r in &a.document.removed {
            out.push_str(&format!("<li><mark><s>{}</s></mark></li>\n", esc(&say(RegDocMsg::Removed { item: r.clone() }))));
        }
        out.push_str("</ul></section>\n");
    }
    out.push_str("</body></html>\n");
    out
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans" w:cs="Liberation Sans"/><w:sz w:val="22"/><w:lang w:val="ru-RU"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="240"/></w:pPr><w:rPr><w:b/><w:sz w:val="40"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="360" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="32"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="28"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading3"><w:name w:val="heading 3"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="200" w:after="80"/><w:outlineLvl w:val="2"/></w:pPr><w:rPr><w:b/><w:sz w:val="24"/></w:rPr></w:style></w:styles>"#;

fn para(out: &mut String, style: Option<&str>, text: &str, changed: bool, bold: bool, indent: bool) {
    out.push_str("<w:p>");
    if style.is_some() || indent {
        out.push_str("<w:pPr>");
        if let Some(s) = style {
            out.push_str(&format!("<w:pStyle w:val=\"{s}\"/>"));
        }
        if indent {
            out.push_str("<w:ind w:left=\"360\"/>");
        }
        out.push_str("</w:pPr>");
    }
    out.push_str("<w:r>");
    if changed || bold {
        out.push_str("<w:rPr>");
        if bold {
            out.push_str("<w:b/>");
        }
        if changed {
            out.push_str("<w:highlight w:val=\"yellow\"/>");
        }
        out.push_str("</w:rPr>");
    }
    out.push_str(&format!("<w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>", escape(text)));
}

/// The document as a DOCX built by code: headings as Word headings, list lines indented with
/// a bullet, required fields in bold, changes highlighted in yellow.
pub fn to_docx(a: &Assembled, lang: Lang) -> Vec<u8> {
    let say = |m: RegDocMsg| Msg::from(m).render(lang, &poryadok_core::msg::Keys);
    let mut body = String::with_capacity(32 * 1024);
    para(&mut body, Some("Title"), &a.document.title, false, false, false);
    para(&mut body, None, &say(RegDocMsg::VersionLine { version: a.version, date: a.version_date.clone() }), false, false, false);
    if let (Some(since), true) = (&a.since, a.changed > 0) {
        para(&mut body, None, &say(RegDocMsg::ChangedSince { date: since.clone() }), true, false, false);
    }
    for s in &a.document.sections {
        para(&mut body, Some("Heading1"), &s.title, false, false, false);
        for b in &s.blocks {
            match b.kind {
                BlockKind::Heading2 => para(&mut body, Some("Heading2"), &b.text, b.changed, false, false),
                BlockKind::Heading3 => para(&mut body, Some("Heading3"), &b.text, b.changed, false, false),
                BlockKind::Para => para(&mut body, None, &b.text, b.changed, false, false),
                BlockKind::Warning => para(&mut body, None, &format!("⚠ {}", b.text), b.changed, true, false),
                BlockKind::Required => para(&mut body, None, &b.text, b.changed, true, true),
                BlockKind::Item | BlockKind::Contents => para(&mut body, None, &format!("• {}", b.text), b.changed, false, true),
            }
        }
    }
    for r in &a.document.removed {
        para(&mut body, None, &say(RegDocMsg::Removed { item: r.clone() }), true, false, false);
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1134\" w:right=\"850\" w:bottom=\"1134\" w:left=\"1418\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    );
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(document.len() / 2 + 4096)));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("word/_rels/document.xml.rels", DOC_RELS),
        ("word/styles.xml", STYLES),
        ("word/document.xml", document.as_str()),
    ] {
        // Writing into memory does not fail but for a bug; the empty file would show it.
        if w.start_file(name, opts).is_err() || w.write_all(text.as_bytes()).is_err() {
            return Vec::new();
        }
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// The file name of a download: «Регламент v3.docx», "Regulation v3.pdf".
pub fn file_name(lang: Lang, version: i64, ext: &str) -> String {
    let base = match lang {
        Lang::Ru => "Регламент",
        Lang::En => "Regulation",
    };
    format!("{base} v{version}.{ext}")
}

fn attachment(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut res = (StatusCode::OK, bytes).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let ascii: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

pub const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The document in a format: `html`, `docx` or `pdf` (converted by LibreOffice with the
/// documents engine's timeout; 503 `pdf_no_converter` / 422 when it fails).
pub async fn download(a: &Assembled, lang: Lang, format: &str) -> Result<Response, ApiError> {
    match format {
        "html" => {
            let mut res = (StatusCode::OK, to_html(a, lang)).into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            Ok(res)
        }
        "docx" => Ok(attachment(to_docx(a, lang), DOCX_TYPE, &file_name(lang, a.version, "docx"))),
        "pdf" => {
            let pdf = crate::documents::convert_to_pdf(&to_docx(a, lang), crate::documents::pdf_timeout()).await.map_err(|m| {
                let status = match &m {
                    Msg::DocumentMsg(DocumentMsg::PdfNoConverter { .. }) => StatusCode::SERVICE_UNAVAILABLE,
                    Msg::DocumentMsg(DocumentMsg::PdfTimeout { .. }) => StatusCode::GATEWAY_TIMEOUT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                ApiError::from_msg(status, m.code(), m)
            })?;
            Ok(attachment(pdf, "application/pdf", &file_name(lang, a.version, "pdf")))
        }
        _ => Ok(Json(json!({"data": a})).into_response()),
    }
}

/// The sync job ([`poryadok_store::regulation_doc::SYNC_JOB`]): records a new version and
/// notifies everyone when the workspace's configuration changed since the last one.
pub async fn sync_job(db: &Db, ws: i64) -> Result<(), String> {
    let (ru, en) = (UiLabels(T::new(Lang::Ru)), UiLabels(T::new(Lang::En)));
    db.regulation_doc_sync_ws(ws, &DocLabels { ru: &ru, en: &en }).await.map(|_| ()).map_err(|e| e.to_string())
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// `GET /api/v1/regulation/document?lang=&format=json|html|docx|pdf&since=YYYY-MM-DD`
pub async fn document(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let mut lang = actor.reader_lang();
    let mut format = "json".to_string();
    let mut since = None;
    for (k, v) in pairs(q.as_deref()) {
        match k.as_str() {
            "lang" => lang = Lang::parse(&v).ok_or_else(|| ApiError::invalid("lang", Common::OneOf { list: words(["ru", "en"]) }))?,
            "format" if ["json", "html", "docx", "pdf"].contains(&v.as_str()) => format = v,
            "format" => return Err(ApiError::invalid("format", Common::OneOf { list: words(["json", "html", "docx", "pdf"]) })),
            "since" if v.is_empty() => {}
            "since" => since = Some(parse_day(&v).ok_or_else(|| ApiError::invalid("since", Common::NotDate { s: v.clone() }))?),
            other => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["lang", "format", "since"]) })),
        }
    }
    let (a, _) = assemble(&st.db, &actor, lang, since).await?;
    download(&a, lang, &format).await
}

/// `POST /api/v1/regulation/document/read` with `{"version": N}`; without a version, the
/// current one. Answers the version and when the caller read it (the first time).
pub async fn mark_read(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let version = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let v = json_body(&body)?;
        let obj = v.as_object().ok_or_else(|| ApiError::invalid("body", Common::BodyNotObject {}))?;
        if let Some(k) = obj.keys().find(|k| *k != "version") {
            return Err(ApiError::invalid(k.as_str(), Common::UnknownField { expected: words(["version"]) }));
        }
        match obj.get("version") {
            None | Some(Value::Null) => None,
            Some(n) => Some(n.as_i64().filter(|n| *n > 0).ok_or_else(|| ApiError::invalid("version", Common::PositiveInteger {}))?),
        }
    };
    let version = match version {
        Some(v) => v,
        None => {
            let (ru, en) = (UiLabels(T::new(Lang::Ru)), UiLabels(T::new(Lang::En)));
            st.db.regulation_doc_sync(&actor, &DocLabels { ru: &ru, en: &en }).await?.0.version
        }
    };
    let read_at = st.db.regulation_doc_mark_read(&actor, version).await?;
    Ok((StatusCode::OK, Json(json!({"data": {"version": version, "read_at": poryadok_core::types::format_ms(read_at)}}))).into_response())
}

/// `GET /api/v1/regulation/document/reads[?version=N]`: every active user and whether they
/// have read the version (the current one by default); heads and administrators.
pub async fn reads(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let mut version = None;
    for (k, v) in pairs(q.as_deref()) {
        match k.as_str() {
            "version" => {
                version =
                    Some(v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::invalid("version", Common::PositiveInteger {}))?)
            }
            other => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["version"]) })),
        }
    }
    if !matches!(actor.caller.role, poryadok_core::domain::Role::Admin | poryadok_core::domain::Role::Head) {
        return Err(StoreError::forbidden(Common::HeadOnly {}).into());
    }
    let current = {
        let (ru, en) = (UiLabels(T::new(Lang::Ru)), UiLabels(T::new(Lang::En)));
        st.db.regulation_doc_sync(&actor, &DocLabels { ru: &ru, en: &en }).await?.0.version
    };
    let version = version.unwrap_or(current);
    let list = st.db.regulation_doc_reads(&actor, version).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|r| {
            json!({
                "user_id": r.user_id, "name": r.name, "role": r.role,
                "read": r.read_at.is_some(),
                "read_at": r.read_at.map(poryadok_core::types::format_ms),
                "last_read_version": r.last_read_version,
            })
        })
        .collect();
    let read = list.iter().filter(|r| r.read_at.is_some()).count();
    Ok(Json(json!({"data": rows, "version": version, "current_version": current, "read": read, "unread": list.len() - read})))
}

/// `GET /api/v1/regulation/lint[?lang=]`: the stage linter's findings on the configuration.
pub async fn lint(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let mut lang = actor.reader_lang();
    for (k, v) in pairs(q.as_deref()) {
        match k.as_str() {
            "lang" => lang = Lang::parse(&v).ok_or_else(|| ApiError::invalid("lang", Common::OneOf { list: words(["ru", "en"]) }))?,
            other => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["lang"]) })),
        }
    }
    let src = st.db.regulation_doc_source(&actor).await?;
    let labels = UiLabels(T::new(lang));
    let rows: Vec<Value> = regulation_doc::lint(&src)
        .iter()
        .map(|f| {
            json!({
                "pipeline": f.pipeline_key, "stage": f.stage_key, "stage_name": f.stage,
                "kind": f.kind, "code": f.msg.code(), "message": f.msg.render(lang, &labels), "args": f.msg.args_json(),
            })
        })
        .collect();
    Ok(Json(json!({"data": rows})))
}

//! Making documents for deals: gathers a deal's values (the deal, its client's requisites, the
//! contact, the manager, the workspace's requisites, the line items and their totals in words),
//! fills a DOCX template ([`crate::docx`]), keeps the DOCX on the deal as a file, and converts it
//! to PDF with LibreOffice in a job ([`PDF_JOB`]) with a timeout. The same code serves the API, the
//! web UI and `poryadok document render`.
//!
//! Order: the template's required values are checked first, then the document takes its number
//! (so a refused document uses no number), then the DOCX is filled and attached.
use crate::docx::{self, Values};
use poryadok_core::amount_words::amount_in_words;
use poryadok_core::documents::{format_day, format_money, DocType};
use poryadok_core::line_items::{format_percent, Discount};
use poryadok_core::msg::DocumentMsg;
use poryadok_core::schema::Entity;
use poryadok_core::{Lang, Msg};
use poryadok_store::actor::Actor;
use poryadok_store::documents::{Document, TemplateInfo, PDF_JOB};
use poryadok_store::files::{attach, FileStore, NewFile, RecordRef};
use poryadok_store::jobs::NewJob;
use poryadok_store::{Db, StoreError};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use poryadok_store::documents::PDF_JOB as JOB;

/// How long LibreOffice may take for one document before it is stopped.
pub fn pdf_timeout() -> Duration {
    let secs = std::env::var("PORYADOK_PDF_TIMEOUT_SECS").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(60);
    Duration::from_secs(secs.clamp(1, 3600))
}

/// The LibreOffice command (`soffice` unless `PORYADOK_SOFFICE` names another).
pub fn soffice() -> String {
    std::env::var("PORYADOK_SOFFICE").ok().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "soffice".into())
}

fn text_of(row: &poryadok_store::records::Row, field: &str) -> String {
    match row.get(field) {
        poryadok_core::Val::Text(s) => s.clone(),
        poryadok_core::Val::Int(i) => i.to_string(),
        _ => String::new(),
    }
}

/// Everything a template can print for `deal_id`, except the document's own number and date.
pub async fn values_for(db: &Db, actor: &Actor, deal_id: i64, lang: Lang) -> Result<Values, StoreError> {
    let deal = db.get(actor, Entity::Deal, deal_id).await?;
    let lines = db.line_items(actor, deal_id).await?;
    let currency = lines.currency.clone();
    let mut f: HashMap<String, String> = HashMap::new();
    let mut put = |k: &str, v: String| {
        f.insert(k.to_string(), v);
    };
    put("deal.id", deal_id.to_string());
    put("deal.title", text_of(&deal, "title"));
    let value = deal.get("value").as_int();
    put("deal.value", value.map(|v| format_money(v, lang)).unwrap_or_default());
    put("deal.value_words", value.map(|v| amount_in_words(v, &currency, lang)).unwrap_or_default());
    put("deal.currency", currency.clone());
    if let Some(org_id) = deal.get("organization_id").as_int() {
        if let Ok(org) = db.get(actor, Entity::Organization, org_id).await {
            let req = poryadok_store::requisites::organization(db, actor.ws_id(), org_id).await?;
            let r = |k: &str| req.get(k).unwrap_or_default().to_string();
            put("org.name", req.get("legal_name").map(str::to_string).unwrap_or_else(|| text_of(&org, "name")));
            put("org.inn", r("inn"));
            put("org.kpp", r("kpp"));
            put("org.address", r("legal_address"));
            put("org.bank", r("bank_name"));
            put("org.bik", r("bik"));
            put("org.account", r("account"));
            put("org.corr_account", r("corr_account"));
        }
    }
    if let Some(pid) = deal.get("person_id").as_int() {
        if let Ok(p) = db.get(actor, Entity::Person, pid).await {
            put("person.name", text_of(&p, "name"));
            put("person.email", text_of(&p, "email"));
            put("person.phone", text_of(&p, "phone"));
        }
    }
    if let Some(uid) = deal.get("owner_id").as_int() {
        if let Ok(u) = db.get(actor, Entity::User, uid).await {
            put("user.name", text_of(&u, "name"));
            put("user.email", text_of(&u, "email"));
        }
    }
    let ws = poryadok_store::requisites::workspace(db, actor.ws_id()).await?;
    let w = |k: &str| ws.get(k).unwrap_or_default().to_string();
    put("workspace.name", w("legal_name"));
    put("workspace.inn", w("inn"));
    put("workspace.kpp", w("kpp"));
    put("workspace.ogrn", w("ogrn"));
    put("workspace.address", w("legal_address"));
    put("workspace.bank", w("bank_name"));
    put("workspace.bik", w("bik"));
    put("workspace.corr_account", w("corr_account"));
    put("workspace.account", w("account"));
    put("workspace.signatory", w("signatory_name"));
    put("workspace.signatory_position", w("signatory_title"));
    let t = &lines.totals;
    put("invoice.subtotal", format_money(t.amount, lang));
    put("invoice.discount", format_money(t.discount, lang));
    put("invoice.vat", format_money(t.vat, lang));
    let vat_label = if t.vat == 0 {
        match lang {
            Lang::Ru => "Без НДС".to_string(),
            Lang::En => "No VAT".to_string(),
        }
    } else {
        let rates: Vec<String> = t.by_rate.iter().filter(|p| p.vat != 0).map(|p| format!("{} %", p.rate.percent())).collect();
        match (lang, t.prices_include_vat) {
            (Lang::Ru, true) => format!("В том числе НДС {}", rates.join(", ")),
            (Lang::Ru, false) => format!("НДС {}", rates.join(", ")),
            (Lang::En, true) => format!("Including VAT {}", rates.join(", ")),
            (Lang::En, false) => format!("VAT {}", rates.join(", ")),
        }
    };
    put("invoice.vat_label", vat_label);
    put("invoice.total", format_money(t.payable, lang));
    put("invoice.total_words", amount_in_words(t.payable, &currency, lang));
    put("invoice.items_count", lines.items.len().to_string());
    put("invoice.currency", currency.clone());
    let items = lines
        .items
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let discount = match l.discount_parts {
                Discount::None => String::new(),
                Discount::Percent(bp) => format!("{} %", format_percent(bp)),
                Discount::Amount(a) => format_money(a, lang),
            };
            let quantity = match lang {
                Lang::Ru => l.quantity.replace('.', ","),
                Lang::En => l.quantity.clone(),
            };
            HashMap::from([
                ("item.n".to_string(), (i + 1).to_string()),
                ("item.name".to_string(), l.name.clone()),
                ("item.sku".to_string(), l.sku.clone().unwrap_or_default()),
                ("item.quantity".to_string(), quantity),
                ("item.unit".to_string(), l.unit.clone()),
                ("item.price".to_string(), format_money(l.price, lang)),
                ("item.amount".to_string(), format_money(l.sums.amount, lang)),
                ("item.discount".to_string(), discount),
                ("item.vat_rate".to_string(), l.vat().label(lang)),
                ("item.vat".to_string(), format_money(l.sums.vat, lang)),
                ("item.total".to_string(), format_money(l.sums.payable, lang)),
            ])
        })
        .collect();
    Ok(Values { fields: f, items })
}

/// A document made: its row and its DOCX bytes.
pub struct Rendered {
    pub document: Document,
    pub docx: Vec<u8>,
}

/// Makes a document of `template_id` for `deal_id`: checks the values, takes a number, fills the
/// DOCX, attaches it to the deal and (when `pdf`) queues its PDF.
pub async fn render(db: &Db, files: &FileStore, actor: &Actor, deal_id: i64, template_id: i64, pdf: bool) -> Result<Rendered, StoreError> {
    let (info, bytes) = db.doc_template(actor, template_id).await.map_err(|e| match e {
        StoreError::NotFound => StoreError::invalid("template_id", DocumentMsg::NoTemplate { id: template_id }),
        e => e,
    })?;
    render_with(db, files, actor, deal_id, &info, &bytes, pdf).await
}

pub async fn render_with(
    db: &Db,
    files: &FileStore,
    actor: &Actor,
    deal_id: i64,
    info: &TemplateInfo,
    bytes: &[u8],
    pdf: bool,
) -> Result<Rendered, StoreError> {
    let lang = actor.ws_lang();
    let template = docx::check(bytes).map_err(|m| StoreError::invalid("template_id", m))?;
    let mut values = values_for(db, actor, deal_id, lang).await?;
    // The number and date are not taken yet; everything else must be there first.
    for k in ["document.number", "document.date", "document.date_long"] {
        values.fields.insert(k.into(), "-".into());
    }
    if let Some((field, label)) = template.missing(&values, lang) {
        return Err(StoreError::invalid(field.clone(), DocumentMsg::MissingValue { field, label }));
    }
    if template.has_items && values.items.is_empty() {
        return Err(StoreError::invalid("line_items", DocumentMsg::NoLineItems {}));
    }
    let lines = db.line_items(actor, deal_id).await?;
    let total = (!lines.items.is_empty()).then(|| (lines.totals.payable, lines.currency.clone()));
    let day = db.today(actor);
    let doc = db.begin_document(actor, deal_id, info, &day, total).await?;
    let (short, long) = format_day(&day, lang).unwrap_or_else(|| (day.clone(), day.clone()));
    values.fields.insert("document.number".into(), doc.number.clone());
    values.fields.insert("document.date".into(), short);
    values.fields.insert("document.date_long".into(), long);
    let filled = template.fill(&values, lang).map_err(|m| StoreError::invalid("template_id", m))?;
    let t = DocType::parse(&doc.doc_type).unwrap_or(DocType::Other);
    let name = file_name(t, &doc.number, lang, "docx");
    let stored = attach(
        db,
        files,
        actor,
        RecordRef::new(Entity::Deal, deal_id)?,
        NewFile {
            name: &name,
            content_type: Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            kind: Some(kind_of(t)),
            bytes: &filled,
        },
    )
    .await?;
    db.set_document_docx(actor.ws_id(), doc.id, stored.id).await?;
    if pdf {
        let mut job = NewJob::new(actor.ws_id(), PDF_JOB, json!({"document_id": doc.id, "user_id": actor.user_id()}), db.clock.now_ms());
        // LibreOffice missing or hanging does not get better by retrying.
        job.max_attempts = 1;
        db.enqueue(&job).await?;
    } else {
        db.set_document_pdf(actor.ws_id(), doc.id, None, None).await?;
    }
    let document = db.document_in(actor.ws_id(), doc.id).await?;
    Ok(Rendered { document, docx: filled })
}

/// The file kind a generated document carries on the deal.
pub fn kind_of(t: DocType) -> &'static str {
    match t {
        DocType::Invoice => "invoice",
        DocType::Act => "act",
        DocType::Contract => "contract",
        DocType::Proposal => "proposal",
        DocType::Other => "document",
    }
}

/// «Счёт на оплату СЧ-2026-0001.docx»; characters a file name cannot carry become `-`.
pub fn file_name(t: DocType, number: &str, lang: Lang, ext: &str) -> String {
    let safe: String = number.chars().map(|c| if matches!(c, '/' | '\\' | ':' | '\0') || c.is_control() { '-' } else { c }).collect();
    format!("{} {safe}.{ext}", t.label(lang))
}

static SCRATCH: AtomicU64 = AtomicU64::new(0);

/// Converts a DOCX to PDF with LibreOffice headless, in a private scratch directory that is its
/// HOME and its user profile; stopped (its whole process group) after `timeout`.
pub async fn convert_to_pdf(docx: &[u8], timeout: Duration) -> Result<Vec<u8>, Msg> {
    let dir = std::env::temp_dir().join(format!("poryadok-pdf-{}-{}", std::process::id(), SCRATCH.fetch_add(1, Ordering::Relaxed)));
    let result = convert_in(&dir, docx, timeout).await;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    result
}

async fn convert_in(dir: &std::path::Path, docx: &[u8], timeout: Duration) -> Result<Vec<u8>, Msg> {
    let failed = |why: String| Msg::from(DocumentMsg::PdfFailed { why });
    tokio::fs::create_dir_all(dir.join("profile")).await.map_err(|e| failed(e.to_string()))?;
    let input = dir.join("document.docx");
    tokio::fs::write(&input, docx).await.map_err(|e| failed(e.to_string()))?;
    let profile = format!("-env:UserInstallation=file://{}", dir.join("profile").display());
    let mut cmd = tokio::process::Command::new(soffice());
    cmd.arg("--headless")
        .arg("--norestore")
        .arg("--nolockcheck")
        .arg("--nodefault")
        .arg(&profile)
        .arg("--convert-to")
        .arg("pdf")
        .arg("--outdir")
        .arg(dir)
        .arg(&input)
        .env("HOME", dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| Msg::from(DocumentMsg::PdfNoConverter { why: e.to_string() }))?;
    let pid = child.id();
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => {
            // The group: soffice starts soffice.bin, which outlives a kill of the first alone.
            if let Some(pid) = pid {
                let _ = tokio::process::Command::new("kill").arg("-KILL").arg(format!("-{pid}")).status().await;
            }
            Err(DocumentMsg::PdfTimeout { seconds: timeout.as_secs() as i64 }.into())
        }
        Ok(Err(e)) => Err(failed(e.to_string())),
        Ok(Ok(out)) => {
            let pdf = dir.join("document.pdf");
            match tokio::fs::read(&pdf).await {
                Ok(bytes) if out.status.success() && bytes.starts_with(b"%PDF") => Ok(bytes),
                _ => {
                    let err = String::from_utf8_lossy(&out.stderr);
                    let why = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no PDF was written").trim().to_string();
                    Err(failed(format!("{} ({why})", out.status)))
                }
            }
        }
    }
}

/// The PDF job: converts the document's DOCX and attaches the PDF to the deal; a failure is
/// recorded on the document (its reason shown beside it) and fails the job visibly.
pub async fn pdf_job(db: &Db, files: &FileStore, job: &poryadok_store::jobs::Job) -> Result<(), String> {
    let id = job.payload.get("document_id").and_then(serde_json::Value::as_i64).ok_or("the job names no document_id")?;
    let ws = job.workspace_id;
    let user = job.payload.get("user_id").and_then(serde_json::Value::as_i64).unwrap_or(0);
    let actor = match user {
        0 => db.system_actor(ws, poryadok_core::domain::Channel::Api).await,
        u => db.actor_for_user(u, poryadok_core::domain::Channel::Api).await,
    }
    .map_err(|e| e.to_string())?;
    let doc = db.document_in(ws, id).await.map_err(|e| e.to_string())?;
    let docx_id = doc.docx_file_id.ok_or("the document has no DOCX")?;
    let (_, docx) = db.file_content(files, &actor, docx_id).await.map_err(|e| e.to_string())?;
    match convert_to_pdf(&docx, pdf_timeout()).await {
        Ok(pdf) => {
            let t = DocType::parse(&doc.doc_type).unwrap_or(DocType::Other);
            let name = file_name(t, &doc.number, actor.ws_lang(), "pdf");
            let stored = attach(
                db,
                files,
                &actor,
                RecordRef::new(Entity::Deal, doc.deal_id).map_err(|e| e.to_string())?,
                NewFile { name: &name, content_type: Some("application/pdf"), kind: Some(kind_of(t)), bytes: &pdf },
            )
            .await
            .map_err(|e| e.to_string())?;
            db.set_document_pdf(ws, id, Some(stored.id), None).await.map_err(|e| e.to_string())?;
            Ok(())
        }
        Err(msg) => {
            db.set_document_pdf(ws, id, None, Some(&msg)).await.map_err(|e| e.to_string())?;
            Err(msg.render(Lang::En, &poryadok_core::msg::Keys))
        }
    }
}

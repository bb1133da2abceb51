//! `poryadok bench documents`: documents made from the built-in «Счёт на оплату» for one deal of
//! the first workspace with `lines` line items — the whole path of the card's button without the
//! PDF (values checked, a number taken, the DOCX filled and attached to the deal) — in `rounds`
//! rounds of `count`; then, when LibreOffice can be started, `pdfs` conversions of that DOCX to
//! PDF one after another (the job's call). Documents/s per round, the median printed and written
//! to target/bench/documents.json; without LibreOffice the PDF figure says why it is missing.
use anyhow::{Context, Result};
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_store::files::FileStore;
use poryadok_store::Db;
use serde_json::json;
use std::time::{Duration, Instant};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

pub async fn run(db: &Db, count: u64, rounds: usize, lines: u64, pdfs: usize) -> Result<()> {
    let ws = *db.workspace_ids().await?.first().context("no workspace; run poryadok demo first")?;
    let sys = db.system_actor(ws, Channel::Cli).await?;
    poryadok_server::docx_builtin::install_in(db, ws).await?;
    // The workspace's requisites: the demo has them; a bare workspace gets the demo's.
    if db.workspace_requisites(&sys).await?.requisites.get("inn").unwrap_or("").is_empty() {
        let own = json!({
            "legal_name": "ООО «Бенчмарк»", "inn": poryadok_store::documents_demo::company_inn(42),
            "ogrn": poryadok_store::documents_demo::company_ogrn(42), "legal_address": "г. Москва",
            "bank_name": "ПАО Сбербанк", "bik": "044525225", "corr_account": "30101810400000000225",
            "account": poryadok_store::documents_demo::keyed_account("044525225", "40702810", "38000000042"),
            "signatory_name": "Бенчмарков Б. Б."
        });
        db.put_workspace_requisites(&sys, &own, None).await?;
    }
    let stamp = db.clock.now_ms();
    let org = db
        .create(
            &sys,
            Entity::Organization,
            &json!({"name": format!("Bench documents {stamp}"), "requisites": {
                "inn": poryadok_store::documents_demo::company_inn(stamp as u64 % 9_000_000), "legal_address": "г. Москва, ул. Бенча, д. 1"}}),
        )
        .await?
        .id();
    let person = db.create(&sys, Entity::Person, &json!({"name": "Бенч Бенчевич", "organization_id": org})).await?.id();
    let owner = db.list(&sys, Entity::User, &Default::default()).await?.data.first().map(|u| u.id()).context("no user")?;
    let deal = db
        .create(&sys, Entity::Deal, &json!({"title": "Bench documents", "organization_id": org, "person_id": person, "owner_id": owner}))
        .await?
        .id();
    for i in 0..lines {
        let body = json!({"name": format!("Позиция {i} <&> «кавычки»"), "price": 100_000 + i as i64 * 1_234, "quantity": "2.5",
                          "discount": if i % 3 == 0 { json!({"percent": "5"}) } else { json!(null) }});
        db.add_line_item(&sys, deal, &body).await?;
    }
    let (info, _) = db.doc_template_by_name(&sys, "Счёт на оплату").await.context("the built-in invoice template")?;

    let dir = std::path::PathBuf::from("target/bench");
    std::fs::create_dir_all(&dir)?;
    let files = FileStore::local(dir.join("documents-files"), 64 * 1024 * 1024);
    let mut rates = Vec::new();
    let mut last = Vec::new();
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        for _ in 0..count {
            last = poryadok_server::documents::render(db, &files, &sys, deal, info.id, false).await?.docx;
        }
        rates.push(count as f64 / t.elapsed().as_secs_f64().max(1e-9));
    }
    let backend = if db.is_postgres() { "postgres" } else { "sqlite" };
    let mut results = vec![json!({"name": "documents_docx", "unit": "documents/s", "median": median(rates.clone()), "rounds": rates,
        "per_round": count, "line_items": lines, "docx_bytes": last.len(), "template": "Счёт на оплату", "backend": backend})];

    let timeout = Duration::from_secs(120);
    let mut pdf_rates = Vec::new();
    let mut why = None;
    for _ in 0..pdfs {
        let t = Instant::now();
        match poryadok_server::documents::convert_to_pdf(&last, timeout).await {
            Ok(_) => pdf_rates.push(1.0 / t.elapsed().as_secs_f64().max(1e-9)),
            Err(m) => {
                why = Some(m.text(poryadok_core::Lang::En));
                break;
            }
        }
    }
    results.push(match why {
        None => json!({"name": "documents_pdf", "unit": "documents/s", "median": median(pdf_rates.clone()), "runs": pdf_rates,
                       "converter": poryadok_server::documents::soffice(), "note": "LibreOffice headless, one conversion at a time, a fresh profile each"}),
        Some(w) => json!({"name": "documents_pdf", "unit": "documents/s", "median": null, "skipped": format!("LibreOffice is not available: {w}")}),
    });
    for r in &results {
        println!("{r}");
    }
    std::fs::write(dir.join("documents.json"), serde_json::to_string_pretty(&results)?)?;
    Ok(())
}

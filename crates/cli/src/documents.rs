//! `poryadok document render`: a document for a deal from a template named as in the workspace,
//! by the same path as the API (a number taken, the DOCX attached to the deal), written to a file;
//! with `--pdf` the PDF is made here and now by LibreOffice (the job's timeout) and written instead.
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use poryadok_core::documents::DocType;
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_store::files::{attach, FileStore, NewFile, RecordRef};
use poryadok_store::Db;

#[derive(Subcommand)]
pub enum DocumentCommand {
    /// Make a document for a deal from a template (its name as in the workspace, e.g. «Счёт на
    /// оплату») and write the DOCX — or, with --pdf, the PDF — to FILE.
    Render {
        #[arg(long)]
        deal: i64,
        #[arg(long)]
        template: String,
        #[arg(long)]
        out: std::path::PathBuf,
        /// Convert to PDF now (LibreOffice, PORYADOK_PDF_TIMEOUT_SECS) and write the PDF.
        #[arg(long)]
        pdf: bool,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

pub async fn run(db: &Db, files: &FileStore, command: DocumentCommand) -> Result<()> {
    match command {
        DocumentCommand::Render { deal, template, out, pdf, workspace } => {
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let (info, bytes) = match db.doc_template_by_name(&actor, &template).await {
                Ok(t) => t,
                Err(poryadok_store::StoreError::NotFound) => {
                    let names: Vec<String> = db.doc_templates(&actor).await.map_err(crate::describe)?.into_iter().map(|t| t.name).collect();
                    bail!(
                        "no document template named «{template}»; the workspace has: {}",
                        if names.is_empty() { "none".into() } else { names.join(", ") }
                    )
                }
                Err(e) => return Err(crate::describe(e)),
            };
            // The PDF is made below, synchronously: no job is queued for it.
            let r =
                poryadok_server::documents::render_with(db, files, &actor, deal, &info, &bytes, false).await.map_err(crate::describe)?;
            let written = if pdf {
                let timeout = poryadok_server::documents::pdf_timeout();
                let ws = actor.ws_id();
                match poryadok_server::documents::convert_to_pdf(&r.docx, timeout).await {
                    Ok(p) => {
                        // As the PDF job does: the PDF on the deal beside the DOCX.
                        let t = DocType::parse(&r.document.doc_type).unwrap_or(DocType::Other);
                        let name = poryadok_server::documents::file_name(t, &r.document.number, actor.ws_lang(), "pdf");
                        let new = NewFile {
                            name: &name,
                            content_type: Some("application/pdf"),
                            kind: Some(poryadok_server::documents::kind_of(t)),
                            bytes: &p,
                        };
                        let stored = attach(db, files, &actor, RecordRef::new(Entity::Deal, deal).map_err(crate::describe)?, new)
                            .await
                            .map_err(crate::describe)?;
                        db.set_document_pdf(ws, r.document.id, Some(stored.id), None).await.map_err(crate::describe)?;
                        p
                    }
                    Err(m) => {
                        db.set_document_pdf(ws, r.document.id, None, Some(&m)).await.map_err(crate::describe)?;
                        bail!(
                            "document {} was made (its DOCX is on the deal) but its PDF failed: {}",
                            r.document.number,
                            m.render(poryadok_core::Lang::En, &poryadok_core::msg::Keys)
                        )
                    }
                }
            } else {
                r.docx
            };
            std::fs::write(&out, &written).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "document {} ({}) for deal {deal}: {} bytes written to {}",
                r.document.number,
                info.name,
                written.len(),
                out.display()
            );
            Ok(())
        }
    }
}

//! The built-in Russian templates (счёт на оплату, акт, договор, коммерческое предложение),
//! written as real DOCX files in code: a minimal package (content types, relationships, styles
//! with Liberation fonts, the document) that Word and LibreOffice open.
use poryadok_core::documents::DocType;
use std::io::{Cursor, Write};

/// One block of a document.
enum Block {
    /// A paragraph: its text (placeholders included), bold, centred, size in points.
    P { text: &'static str, bold: bool, center: bool, size: u32 },
    /// A table: rows of cells; the first row bold.
    Table { rows: Vec<Vec<&'static str>>, header: bool },
}

fn p(text: &'static str) -> Block {
    Block::P { text, bold: false, center: false, size: 11 }
}
fn b(text: &'static str) -> Block {
    Block::P { text, bold: true, center: false, size: 11 }
}
fn h(text: &'static str) -> Block {
    Block::P { text, bold: true, center: true, size: 14 }
}

fn esc(s: &str) -> String {
    crate::docx::escape(s)
}

fn run(text: &str, bold: bool, size: u32) -> String {
    let b = if bold { "<w:b/>" } else { "" };
    format!(r#"<w:r><w:rPr>{b}<w:sz w:val="{}"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r>"#, size * 2, esc(text))
}

fn para(text: &str, bold: bool, center: bool, size: u32) -> String {
    let jc = if center { r#"<w:jc w:val="center"/>"# } else { "" };
    format!(r#"<w:p><w:pPr><w:spacing w:after="80"/>{jc}</w:pPr>{}</w:p>"#, run(text, bold, size))
}

fn document_xml(blocks: &[Block]) -> String {
    let mut body = String::new();
    for block in blocks {
        match block {
            Block::P { text, bold, center, size } => body.push_str(&para(text, *bold, *center, *size)),
            Block::Table { rows, header } => {
                let cols = rows.first().map_or(1, Vec::len);
                body.push_str(r#"<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>"#);
                for side in ["top", "left", "bottom", "right", "insideH", "insideV"] {
                    body.push_str(&format!(r#"<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>"#));
                }
                body.push_str("</w:tblBorders></w:tblPr><w:tblGrid>");
                for _ in 0..cols {
                    body.push_str(&format!(r#"<w:gridCol w:w="{}"/>"#, 9600 / cols));
                }
                body.push_str("</w:tblGrid>");
                for (i, row) in rows.iter().enumerate() {
                    body.push_str("<w:tr>");
                    for cell in row {
                        body.push_str(&format!(
                            "<w:tc><w:tcPr><w:tcW w:w=\"0\" w:type=\"auto\"/></w:tcPr>{}</w:tc>",
                            para(cell, *header && i == 0, false, 10)
                        ));
                    }
                    body.push_str("</w:tr>");
                }
                body.push_str("</w:tbl>");
            }
        }
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="850" w:bottom="1134" w:left="1418" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>"#
    )
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Liberation Serif" w:hAnsi="Liberation Serif" w:cs="Liberation Serif" w:eastAsia="Liberation Serif"/><w:sz w:val="22"/><w:lang w:val="ru-RU"/></w:rPr></w:rPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>"#;

fn package(blocks: &[Block]) -> Vec<u8> {
    let build = || -> zip::result::ZipResult<Vec<u8>> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in [
            ("[Content_Types].xml", CONTENT_TYPES.to_string()),
            ("_rels/.rels", RELS.to_string()),
            ("word/_rels/document.xml.rels", DOC_RELS.to_string()),
            ("word/styles.xml", STYLES.to_string()),
            ("word/document.xml", document_xml(blocks)),
        ] {
            w.start_file(name, o)?;
            w.write_all(body.as_bytes())?;
        }
        Ok(w.finish()?.into_inner())
    };
    build().unwrap_or_default()
}

const ITEMS_HEADER: [&str; 7] = ["№", "Наименование", "Кол-во", "Ед.", "Цена", "Ставка НДС", "Сумма"];

fn items_table() -> Block {
    Block::Table {
        rows: vec![
            ITEMS_HEADER.to_vec(),
            vec![
                "{#items}{item.n}",
                "{item.name}",
                "{item.quantity}",
                "{item.unit}",
                "{item.price}",
                "{item.vat_rate}",
                "{item.total}{/items}",
            ],
        ],
        header: true,
    }
}

fn supplier() -> Vec<Block> {
    vec![
        Block::Table {
            rows: vec![
                vec!["Банк получателя", "{workspace.bank}"],
                vec!["БИК", "{workspace.bik}"],
                vec!["Корр. счёт", "{workspace.corr_account}"],
                vec!["Расчётный счёт", "{workspace.account}"],
                vec!["Получатель", "{workspace.name}, ИНН {workspace.inn}, КПП {workspace.kpp}"],
            ],
            header: false,
        },
        p(""),
    ]
}

/// The built-in templates: name, type and DOCX bytes.
pub fn builtin() -> Vec<(&'static str, DocType, Vec<u8>)> {
    let mut invoice = supplier();
    invoice.extend([
        h("Счёт на оплату № {document.number} от {document.date}"),
        p("Поставщик: {workspace.name}, ИНН {workspace.inn}, КПП {workspace.kpp}, {workspace.address}"),
        p("Покупатель: {org.name}, ИНН {org.inn}, КПП {org.kpp}, {org.address}"),
        p("Основание: {deal.title}"),
        items_table(),
        b("Итого: {invoice.total} {invoice.currency}"),
        p("{invoice.vat_label}: {invoice.vat}"),
        p("Всего наименований {invoice.items_count}, на сумму {invoice.total} {invoice.currency}"),
        b("{invoice.total_words}"),
        p(""),
        p("{workspace.signatory_position} ____________________ {workspace.signatory}"),
    ]);
    let act = vec![
        h("Акт № {document.number} от {document.date}"),
        p("Исполнитель: {workspace.name}, ИНН {workspace.inn}, {workspace.address}"),
        p("Заказчик: {org.name}, ИНН {org.inn}, {org.address}"),
        p("Основание: {deal.title}"),
        items_table(),
        b("Итого: {invoice.total} {invoice.currency}"),
        p("{invoice.vat_label}: {invoice.vat}"),
        p("Всего оказано услуг {invoice.items_count}, на сумму {invoice.total} {invoice.currency}"),
        b("{invoice.total_words}"),
        p("Вышеперечисленные услуги выполнены полностью и в срок. Заказчик претензий по объёму, качеству и срокам оказания услуг не имеет."),
        p(""),
        p("Исполнитель ____________________ {workspace.signatory}        Заказчик ____________________"),
    ];
    let contract = vec![
        h("Договор № {document.number}"),
        p("{document.date_long}"),
        p("{workspace.name} в лице {workspace.signatory_position} {workspace.signatory}, именуемое в дальнейшем «Исполнитель», с одной стороны, и {org.name}, именуемое в дальнейшем «Заказчик», с другой стороны, заключили настоящий договор о нижеследующем."),
        b("1. Предмет договора"),
        p("1.1. Исполнитель обязуется выполнить, а Заказчик принять и оплатить: {deal.title}."),
        items_table(),
        b("2. Цена и порядок расчётов"),
        p("2.1. Цена договора составляет {invoice.total} {invoice.currency} ({invoice.total_words}), {invoice.vat_label}: {invoice.vat}."),
        p("2.2. Оплата производится на расчётный счёт Исполнителя в течение 5 (пяти) рабочих дней со дня выставления счёта."),
        b("3. Реквизиты сторон"),
        Block::Table {
            rows: vec![
                vec!["Исполнитель", "Заказчик"],
                vec!["{workspace.name}", "{org.name}"],
                vec!["ИНН {workspace.inn}, КПП {workspace.kpp}, ОГРН {workspace.ogrn}", "ИНН {org.inn}, КПП {org.kpp}"],
                vec!["{workspace.address}", "{org.address}"],
                vec!["р/с {workspace.account} в {workspace.bank}, БИК {workspace.bik}, к/с {workspace.corr_account}", "Контактное лицо: {person.name}"],
                vec!["____________________ {workspace.signatory}", "____________________"],
            ],
            header: true,
        },
    ];
    let proposal = vec![
        h("Коммерческое предложение № {document.number}"),
        p("от {document.date_long}"),
        p("Для: {org.name}, {person.name}"),
        p("Предмет: {deal.title}"),
        items_table(),
        b("Итого: {invoice.total} {invoice.currency} ({invoice.total_words})"),
        p("{invoice.vat_label}: {invoice.vat}"),
        p("Предложение подготовил: {user.name}, {user.email}"),
        p("{workspace.name}, ИНН {workspace.inn}"),
    ];
    vec![
        ("Счёт на оплату", DocType::Invoice, package(&invoice)),
        ("Акт", DocType::Act, package(&act)),
        ("Договор", DocType::Contract, package(&contract)),
        ("Коммерческое предложение", DocType::Proposal, package(&proposal)),
    ]
}

/// Adds the built-in templates a workspace does not have yet (by name); the templates added.
pub async fn install(
    db: &poryadok_store::Db,
    actor: &poryadok_store::Actor,
) -> poryadok_store::Result<Vec<poryadok_store::documents::TemplateInfo>> {
    let have: Vec<String> = db.doc_templates(actor).await?.into_iter().map(|t| t.name).collect();
    let mut added = Vec::new();
    for (name, t, bytes) in builtin() {
        if have.iter().any(|h| h == name) {
            continue;
        }
        let checked = crate::docx::check(&bytes).map_err(|m| poryadok_store::StoreError::invalid("file", m))?;
        let new = poryadok_store::documents::NewTemplate { name, doc_type: t, bytes: &bytes, fields: &checked.fields, builtin: true };
        added.push(db.create_doc_template(actor, &new).await?);
    }
    Ok(added)
}

/// The built-in templates in workspace `ws`, added as its system (the demo command and the
/// server's `--demo` call it after the demo workspace is filled).
pub async fn install_in(db: &poryadok_store::Db, ws: i64) -> poryadok_store::Result<usize> {
    let sys = db.system_actor(ws, poryadok_core::domain::Channel::Demo).await?;
    Ok(install(db, &sys).await?.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_template_checks() {
        for (name, _, bytes) in super::builtin() {
            let t = crate::docx::check(&bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(t.has_items, "{name}");
            assert!(t.fields.iter().any(|f| f == "invoice.total"), "{name}");
        }
    }
}

//! Products, line items, document templates, numbering and rendered documents.
use super::{catalogue, Arg, FromArgJson, Labels, Lang};
use serde_json::{json, Value as Json};

/// Where in a DOCX template something is: the part (`document`, `header1`, `footer1`…) and the
/// paragraph (counted from 1 over the part's body text) or the table cell (table, row and cell
/// counted from 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocPlace {
    pub part: String,
    pub paragraph: i64,
    /// `(table, row, cell)` when the place is inside a table.
    pub cell: Option<(i64, i64, i64)>,
}

impl Arg for DocPlace {
    fn show(&self, lang: Lang, _: &dyn Labels) -> String {
        let part = match (self.part.as_str(), lang) {
            ("document" | "", _) => String::new(),
            (p, Lang::Ru) if p.starts_with("header") => "верхний колонтитул, ".into(),
            (p, Lang::Ru) if p.starts_with("footer") => "нижний колонтитул, ".into(),
            (p, _) => format!("{p}, "),
        };
        match (self.cell, lang) {
            (Some((t, r, c)), Lang::Ru) => format!("{part}таблица {t}, строка {r}, ячейка {c}"),
            (Some((t, r, c)), Lang::En) => format!("{part}table {t}, row {r}, cell {c}"),
            (None, Lang::Ru) => format!("{part}абзац {}", self.paragraph),
            (None, Lang::En) => format!("{part}paragraph {}", self.paragraph),
        }
    }
    fn json(&self) -> Json {
        match self.cell {
            Some((t, r, c)) => json!({"part": self.part, "paragraph": self.paragraph, "table": t, "row": r, "cell": c}),
            None => json!({"part": self.part, "paragraph": self.paragraph}),
        }
    }
}

impl FromArgJson for DocPlace {
    fn from_arg_json(v: &Json) -> Option<Self> {
        let o = v.as_object()?;
        let cell = match (o.get("table"), o.get("row"), o.get("cell")) {
            (Some(t), Some(r), Some(c)) => Some((t.as_i64()?, r.as_i64()?, c.as_i64()?)),
            _ => None,
        };
        Some(DocPlace { part: o.get("part")?.as_str()?.to_string(), paragraph: o.get("paragraph")?.as_i64()?, cell })
    }
}

catalogue! {
    /// Products, line items, DOCX templates, numbering sequences and rendered documents.
    DocumentMsg {
        // Products and line items.
        VatRateChoice {} = "vat_rate_choice",
            en "must be one of: 22, 10, 0, none (without VAT)", ru "ставка НДС: 22, 10, 0 или none (без НДС)";
        QuantityShape {} = "quantity_shape",
            en "must be a positive quantity with at most three decimals, such as 2 or 1.5",
            ru "количество — число больше нуля, не больше трёх знаков после запятой (например, 2 или 1,5)";
        PercentShape {} = "percent_shape",
            en "must be a percentage from 0 to 100 with at most two decimals", ru "процент — от 0 до 100, не больше двух знаков после запятой";
        PriceShape {} = "price_shape",
            en "must be a whole number of minor units, zero or more", ru "цена — целое число копеек, не меньше нуля";
        UnitShape {} = "unit_shape",
            en "a unit of measure has 1 to 20 characters (pcs, h, kg)", ru "единица измерения — от 1 до 20 символов (шт, час, кг)";
        DiscountShape {} = "discount_shape",
            en "a discount is {{\"percent\": 10}} or {{\"amount\": 5000}} (minor units) or null",
            ru "скидка — {{\"percent\": 10}} или {{\"amount\": 5000}} (в копейках) или null";
        NoProduct { id: i64 } = "product_not_found", en "no product {id} in this workspace", ru "в каталоге нет товара {id}";
        ProductArchived { name: String } = "product_archived",
            en "the product '{name}' is archived; restore it or pick another", ru "товар «{name}» в архиве; верните его из архива или выберите другой";
        SkuShape {} = "sku_shape",
            en "an article code has at most 64 characters, without line breaks", ru "артикул — не больше 64 символов, без переносов строк";
        SkuTaken { sku: String, name: String } = "sku_taken",
            en "the article code {sku} is already the product '{name}'", ru "артикул {sku} уже у товара «{name}»";
        ProductStatusChoice {} = "product_status_choice", en "must be active or archived", ru "статус товара: active или archived";
        CurrencyMismatch { deal: String, line: String } = "line_currency_mismatch",
            en "the deal is in {deal}, the price in {line}; a deal's lines share its currency",
            ru "сделка в валюте {deal}, а цена — в {line}; позиции сделки должны быть в её валюте";
        AdminsOnly {} = "documents_admins_only",
            en "only administrators change the catalogue, templates and numbering", ru "каталог, шаблоны и нумерацию меняют только администраторы";
        TooManyLines { max: i64 } = "too_many_line_items",
            en "a deal has at most {max} line items", ru "в сделке не больше {max} позиций";
        // Templates.
        TemplateNotDocx {} = "template_not_docx",
            en "the file is not a DOCX document (a Word file saved as .docx)",
            ru "файл не является документом DOCX (сохраните его в Word как .docx)";
        TemplateXml { part: String } = "template_bad_xml",
            en "the DOCX's {part} is not well-formed XML", ru "в DOCX испорчена часть {part} (неверный XML)";
        UnknownPlaceholder { name: String, at: Box<DocPlace> } = "docx_unknown_placeholder",
            en "unknown placeholder {{{name}}} at {at}", ru "неизвестное поле {{{name}}} ({at})";
        UnclosedPlaceholder { at: Box<DocPlace> } = "template_unclosed_placeholder",
            en "a placeholder is opened with {{ but not closed at {at}", ru "поле открыто скобкой {{, но не закрыто ({at})";
        UnclosedLoop { name: String, at: Box<DocPlace> } = "template_unclosed_loop",
            en "the loop {{#{name}}} at {at} has no {{/{name}}} in the same table or the same text",
            ru "у цикла {{#{name}}} ({at}) нет закрывающего {{/{name}}} в той же таблице или том же тексте";
        StrayLoopEnd { name: String, at: Box<DocPlace> } = "template_stray_loop_end",
            en "{{/{name}}} at {at} closes no loop", ru "{{/{name}}} ({at}) не закрывает никакой цикл";
        ItemOutsideLoop { name: String, at: Box<DocPlace> } = "template_item_outside_loop",
            en "{{{name}}} at {at} is a line item field; put it inside {{#items}}…{{/items}}",
            ru "{{{name}}} ({at}) — поле позиции; оно должно стоять внутри {{#items}}…{{/items}}";
        TemplateTooLarge { max_mb: i64 } = "template_too_large",
            en "the template is larger than {max_mb} MB", ru "шаблон больше {max_mb} МБ";
        TemplateNameShape {} = "template_name_shape",
            en "a template's name has 1 to 200 characters", ru "название шаблона — от 1 до 200 символов";
        DocumentTypeChoice {} = "document_type_choice",
            en "must be one of: invoice, act, contract, proposal, other", ru "тип документа: invoice, act, contract, proposal или other";
        NoTemplate { id: i64 } = "template_not_found", en "no template {id} in this workspace", ru "в пространстве нет шаблона {id}";
        // Rendering.
        MissingValue { field: String, label: String } = "document_missing_value",
            en "the document needs {label} ({field}), which is empty; fill it in first",
            ru "для документа нужно поле «{label}» ({field}), а оно пустое; заполните его";
        NoLineItems {} = "document_no_line_items",
            en "the template lists line items, but the deal has none; add them on the deal first",
            ru "в шаблоне есть таблица позиций, а в сделке нет ни одной позиции; добавьте их в сделку";
        // Numbering.
        PrefixShape {} = "numbering_prefix_shape",
            en "a prefix has at most 20 characters without spaces at the ends; {{year}} stands for the year",
            ru "префикс — не больше 20 символов; {{year}} заменяется годом";
        NextNumberShape {} = "numbering_next_shape",
            en "the next number is a whole number from 1 to 999999999", ru "следующий номер — целое число от 1 до 999999999";
        NextNumberUsed { next: i64 } = "numbering_next_used",
            en "numbers below {next} are already taken this year; the next number can only move forward",
            ru "номера меньше {next} в этом году уже выданы; следующий номер можно только увеличить";
        // The PDF job.
        PdfNoConverter { why: String } = "pdf_no_converter",
            en "LibreOffice (soffice) could not be started: {why}; the DOCX is available",
            ru "не удалось запустить LibreOffice (soffice): {why}; DOCX доступен";
        PdfTimeout { seconds: i64 } = "pdf_timeout",
            en "LibreOffice did not finish within {seconds} s and was stopped; the DOCX is available",
            ru "LibreOffice не справился за {seconds} с и был остановлен; DOCX доступен";
        PdfFailed { why: String } = "pdf_failed",
            en "LibreOffice could not convert the document: {why}; the DOCX is available",
            ru "LibreOffice не смог преобразовать документ: {why}; DOCX доступен";
        NoPdf {} = "document_no_pdf", en "the PDF is not ready", ru "PDF ещё не готов";
    }
}

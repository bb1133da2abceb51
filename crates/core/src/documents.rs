//! Documents made from templates: the document types, the placeholders a template may use (with
//! their labels for the field list beside the upload) and the numbering format. Pure code; the DOCX
//! filler lives in the server, the data in the store.
//!
//! A placeholder is `{group.field}`. The line-item loop is `{#items}…{/items}`; inside it the
//! `item.*` fields name the current line. Every placeholder a template uses must have a value when
//! the document is made — an empty requisite refuses the document naming the field — except the
//! fields marked optional here (a person's phone, a discount column), which print empty.
use crate::msg::{DocumentMsg, Lang};
use crate::Msg;

/// What a template makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocType {
    Invoice,
    Act,
    Contract,
    Proposal,
    Other,
}

impl DocType {
    pub const ALL: [DocType; 5] = [DocType::Invoice, DocType::Act, DocType::Contract, DocType::Proposal, DocType::Other];

    pub fn code(self) -> &'static str {
        match self {
            DocType::Invoice => "invoice",
            DocType::Act => "act",
            DocType::Contract => "contract",
            DocType::Proposal => "proposal",
            DocType::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<DocType, Msg> {
        DocType::ALL.into_iter().find(|t| t.code() == s.trim()).ok_or_else(|| DocumentMsg::DocumentTypeChoice {}.into())
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (DocType::Invoice, Lang::Ru) => "Счёт на оплату",
            (DocType::Act, Lang::Ru) => "Акт",
            (DocType::Contract, Lang::Ru) => "Договор",
            (DocType::Proposal, Lang::Ru) => "Коммерческое предложение",
            (DocType::Other, Lang::Ru) => "Другой документ",
            (DocType::Invoice, Lang::En) => "Invoice",
            (DocType::Act, Lang::En) => "Act of acceptance",
            (DocType::Contract, Lang::En) => "Contract",
            (DocType::Proposal, Lang::En) => "Commercial proposal",
            (DocType::Other, Lang::En) => "Other document",
        }
    }

    /// The numbering prefix a workspace starts with: «СЧ-{year}-» for invoices and so on.
    pub fn default_prefix(self) -> &'static str {
        match self {
            DocType::Invoice => "СЧ-{year}-",
            DocType::Act => "АКТ-{year}-",
            DocType::Contract => "ДОГ-{year}-",
            DocType::Proposal => "КП-{year}-",
            DocType::Other => "ДОК-{year}-",
        }
    }
}

/// One placeholder a template may use.
#[derive(Debug, Clone, Copy)]
pub struct Placeholder {
    pub name: &'static str,
    pub ru: &'static str,
    pub en: &'static str,
    /// Prints empty when there is no value instead of refusing the document.
    pub optional: bool,
    /// Only inside `{#items}…{/items}`.
    pub per_item: bool,
}

impl Placeholder {
    pub fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ru => self.ru,
            Lang::En => self.en,
        }
    }
}

const fn f(name: &'static str, ru: &'static str, en: &'static str) -> Placeholder {
    Placeholder { name, ru, en, optional: false, per_item: false }
}
const fn opt(name: &'static str, ru: &'static str, en: &'static str) -> Placeholder {
    Placeholder { name, ru, en, optional: true, per_item: false }
}
const fn item(name: &'static str, ru: &'static str, en: &'static str) -> Placeholder {
    Placeholder { name, ru, en, optional: true, per_item: true }
}

/// The name of the line-item loop: `{#items}…{/items}`.
pub const ITEMS_LOOP: &str = "items";

/// Every placeholder, in the order the field list shows them.
pub const PLACEHOLDERS: &[Placeholder] = &[
    f("document.number", "Номер документа", "Document number"),
    f("document.date", "Дата документа (ДД.ММ.ГГГГ)", "Document date (DD.MM.YYYY)"),
    f("document.date_long", "Дата документа прописью месяца («7 декабря 2026 г.»)", "Document date, month in words (7 December 2026)"),
    f("deal.id", "Номер сделки в CRM", "Deal id"),
    f("deal.title", "Название сделки", "Deal title"),
    f("deal.value", "Сумма сделки", "Deal value"),
    f("deal.value_words", "Сумма сделки прописью", "Deal value in words"),
    f("deal.currency", "Валюта сделки", "Deal currency"),
    f("org.name", "Клиент: название организации", "Client: organization name"),
    f("org.inn", "Клиент: ИНН", "Client: INN (tax id)"),
    opt("org.kpp", "Клиент: КПП (у ИП нет)", "Client: KPP (none for an entrepreneur)"),
    f("org.address", "Клиент: юридический адрес", "Client: legal address"),
    opt("org.bank", "Клиент: банк", "Client: bank"),
    opt("org.bik", "Клиент: БИК", "Client: BIK"),
    opt("org.account", "Клиент: расчётный счёт", "Client: settlement account"),
    opt("org.corr_account", "Клиент: корреспондентский счёт", "Client: correspondent account"),
    f("person.name", "Контактное лицо", "Contact person"),
    opt("person.email", "Контактное лицо: e-mail", "Contact person: e-mail"),
    opt("person.phone", "Контактное лицо: телефон", "Contact person: phone"),
    f("user.name", "Ответственный менеджер", "Responsible manager"),
    opt("user.email", "Ответственный менеджер: e-mail", "Responsible manager: e-mail"),
    f("workspace.name", "Наша организация: название", "Our company: name"),
    f("workspace.inn", "Наша организация: ИНН", "Our company: INN"),
    opt("workspace.kpp", "Наша организация: КПП", "Our company: KPP"),
    f("workspace.ogrn", "Наша организация: ОГРН", "Our company: OGRN"),
    f("workspace.address", "Наша организация: юридический адрес", "Our company: legal address"),
    f("workspace.bank", "Наша организация: банк", "Our company: bank"),
    f("workspace.bik", "Наша организация: БИК", "Our company: BIK"),
    f("workspace.corr_account", "Наша организация: корреспондентский счёт", "Our company: correspondent account"),
    f("workspace.account", "Наша организация: расчётный счёт", "Our company: settlement account"),
    f("workspace.signatory", "Наша организация: подписант (ФИО)", "Our company: signatory (name)"),
    opt("workspace.signatory_position", "Наша организация: должность подписанта", "Our company: signatory's position"),
    f("invoice.subtotal", "Итого по позициям", "Line items total"),
    f("invoice.discount", "Скидка по позициям", "Line items discount"),
    f("invoice.vat", "Сумма НДС", "VAT amount"),
    f("invoice.vat_label", "Строка НДС («В том числе НДС 22 %» / «Без НДС»)", "VAT line (\"incl. VAT 22 %\" / \"No VAT\")"),
    f("invoice.total", "Всего к оплате", "Total payable"),
    f("invoice.total_words", "Всего к оплате прописью", "Total payable in words"),
    f("invoice.items_count", "Количество позиций", "Number of line items"),
    f("invoice.currency", "Валюта", "Currency"),
    item("item.n", "Позиция: № по порядку", "Line: number"),
    item("item.name", "Позиция: наименование", "Line: name"),
    item("item.sku", "Позиция: артикул", "Line: article code (SKU)"),
    item("item.quantity", "Позиция: количество", "Line: quantity"),
    item("item.unit", "Позиция: единица измерения", "Line: unit"),
    item("item.price", "Позиция: цена", "Line: price"),
    item("item.amount", "Позиция: сумма без скидки", "Line: amount before discount"),
    item("item.discount", "Позиция: скидка", "Line: discount"),
    item("item.vat_rate", "Позиция: ставка НДС", "Line: VAT rate"),
    item("item.vat", "Позиция: сумма НДС", "Line: VAT"),
    item("item.total", "Позиция: сумма", "Line: total"),
];

/// The placeholder called `name`, if there is one.
pub fn placeholder(name: &str) -> Option<&'static Placeholder> {
    PLACEHOLDERS.iter().find(|p| p.name == name)
}

/// A document number: the prefix with `{year}` replaced, then the sequence number with at least
/// four digits — «СЧ-2026-0001».
pub fn format_number(prefix: &str, year: i32, n: i64) -> String {
    format!("{}{n:04}", prefix.replace("{year}", &year.to_string()))
}

/// Checks a numbering prefix: at most 20 characters, no surrounding spaces, no control characters.
pub fn check_prefix(raw: &str) -> Result<String, Msg> {
    let bad = raw.chars().count() > 20 || raw.trim() != raw || raw.chars().any(char::is_control);
    if bad {
        Err(DocumentMsg::PrefixShape {}.into())
    } else {
        Ok(raw.to_string())
    }
}

/// Minor units as a document prints money: `150 000,00` (Russian: non-breaking space groups and a
/// comma) or `150,000.00` (English).
pub fn format_money(minor: i64, lang: Lang) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let (major, cents) = (abs / 100, abs % 100);
    let digits = major.to_string();
    let (sep, dec) = match lang {
        Lang::Ru => ('\u{a0}', ','),
        Lang::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{dec}{cents:02}")
}

const RU_MONTHS_GENITIVE: [&str; 12] =
    ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"];
const EN_MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// `YYYY-MM-DD` as `DD.MM.YYYY` and as «7 декабря 2026 г.» / "7 December 2026"; `None` if it does
/// not read.
pub fn format_day(day: &str, lang: Lang) -> Option<(String, String)> {
    let mut parts = day.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let (mi, di): (usize, u32) = (m.parse().ok()?, d.parse().ok()?);
    let month = mi.checked_sub(1)?;
    let long = match lang {
        Lang::Ru => format!("{di} {} {y} г.", RU_MONTHS_GENITIVE.get(month)?),
        Lang::En => format!("{di} {} {y}", EN_MONTHS.get(month)?),
    };
    Some((format!("{d}.{m}.{y}"), long))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_money() {
        assert_eq!(format_number("СЧ-{year}-", 2026, 1), "СЧ-2026-0001");
        assert_eq!(format_number("", 2026, 12345), "12345");
        assert_eq!(format_money(15_000_000, Lang::Ru), "150\u{a0}000,00");
        assert_eq!(format_money(100_000_101, Lang::En), "1,000,001.01");
        assert_eq!(format_money(5, Lang::En), "0.05");
        assert!(check_prefix(" A").is_err());
        assert!(check_prefix("СЧ-{year}-").is_ok());
        assert_eq!(format_day("2026-12-07", Lang::Ru).unwrap(), ("07.12.2026".into(), "7 декабря 2026 г.".into()));
    }

    #[test]
    fn placeholder_names_are_unique() {
        let mut names: Vec<_> = PLACEHOLDERS.iter().map(|p| p.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PLACEHOLDERS.len());
        assert!(PLACEHOLDERS.iter().all(|p| p.per_item == p.name.starts_with("item.")));
    }
}

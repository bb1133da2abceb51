//! The import of organizations, persons and deals from another CRM's export.
use super::{catalogue, FieldName};

catalogue! {
    /// Importing a base from amoCRM, Bitrix24, Pipedrive or a spreadsheet.
    ImportMsg {
        UnknownEncoding {} = "crm_import_unknown_encoding",
            en "the file is neither UTF-8 nor Windows-1251 text, nor an XLSX, XLS or HTML table; save it as CSV in UTF-8",
            ru "файл не в кодировке UTF-8 или Windows-1251 и не таблица XLSX, XLS или HTML; сохраните его как CSV в UTF-8";
        XlsUnreadable { why: String } = "crm_import_xls_unreadable",
            en "the XLS workbook cannot be read: {why}", ru "не удалось прочитать книгу XLS: {why}";
        HtmlNoTable {} = "crm_import_html_no_table",
            en "the HTML file has no table", ru "в HTML-файле нет таблицы";
        TooLarge { max_mb: i64 } = "crm_import_too_large",
            en "the file is larger than {max_mb} MB; split it into parts", ru "файл больше {max_mb} МБ; разделите его на части";
        NoHeader {} = "crm_import_no_header",
            en "the file has no header row", ru "в файле нет строки заголовков";
        UnknownPreset { expected: Vec<String> } = "crm_import_unknown_preset",
            en "the preset is one of: {expected}", ru "шаблон — один из: {expected}";
        UnknownEntity {} = "crm_import_unknown_entity",
            en "the entity is deal, person or organization", ru "тип записей — deal, person или organization";
        UnknownDuplicates {} = "crm_import_unknown_duplicates",
            en "duplicates are skip, update or create", ru "дубликаты: skip, update или create";
        UnknownTarget { target: String } = "crm_import_unknown_target",
            en "“{target}” is not a field an import fills", ru "«{target}» — не поле, которое заполняет импорт";
        NoColumn { header: String } = "crm_import_no_column",
            en "the file has no column “{header}”", ru "в файле нет колонки «{header}»";
        RequiredColumn { field: String } = "crm_import_required_column",
            en "no column is mapped to {field}, which is required", ru "ни одна колонка не сопоставлена обязательному полю {field}";
        Required { field: String } = "crm_import_required",
            en "{field} is empty", ru "поле {field} не заполнено";
        UnmappedValue { kind: FieldName, value: String } = "crm_import_unmapped_value",
            en "the {kind} “{value}” is not in the value mapping", ru "значение «{value}» ({kind}) не сопоставлено";
        BadPhone { raw: String } = "crm_import_bad_phone",
            en "“{raw}” is not a phone number", ru "«{raw}» — не номер телефона";
        BadEmail { raw: String } = "crm_import_bad_email",
            en "“{raw}” is not an e-mail address", ru "«{raw}» — не адрес электронной почты";
        BadDate { raw: String } = "crm_import_bad_date",
            en "“{raw}” is not a date such as 23.11.2026 14:05:00", ru "«{raw}» — не дата вида 23.11.2026 14:05:00";
        BadAmount { raw: String } = "crm_import_bad_amount",
            en "“{raw}” is not an amount such as 1 234,56", ru "«{raw}» — не сумма вида 1 234,56";
        BadValue { why: String } = "crm_import_bad_value",
            en "{why}", ru "{why}";
        DuplicateInFile { line: i64 } = "crm_import_duplicate_in_file",
            en "the same id as line {line}", ru "тот же ID, что в строке {line}";
        NotFound { id: i64 } = "crm_import_not_found",
            en "no import {id}", ru "импорта {id} нет";
        AlreadyRun {} = "crm_import_already_run",
            en "this import has already been run; upload the file again to import it once more",
            ru "этот импорт уже выполнен; чтобы импортировать ещё раз, загрузите файл заново";
        NotRun {} = "crm_import_not_run",
            en "only a finished import can be rolled back", ru "откатить можно только выполненный импорт";
        AlreadyRolledBack {} = "crm_import_rolled_back",
            en "this import has already been rolled back", ru "этот импорт уже откачен";
        AdminsOnly {} = "crm_import_admins_only",
            en "imports are run by administrators and heads of sales", ru "импорт выполняют администратор и руководитель отдела продаж";
        HistoryNote { id: i64 } = "crm_import_history_note",
            en "imported (import {id}); stage rules and entry tasks were not applied", ru "импортировано (импорт {id}); правила этапов и задачи на входе не применялись";
    }
}

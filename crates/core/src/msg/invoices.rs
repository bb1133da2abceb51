//! Invoices, payments and their import.
use super::catalogue;

catalogue! {
    /// Invoices, payments and their import.
    InvoiceMsg {
        InvoiceCancelled {} = "invoice_cancelled", en "the invoice is cancelled; reopen it before recording a payment", ru "счёт отменён; откройте его снова, прежде чем вносить оплату";
        // An invoice's fields.
        NumberShape { max: i64 } = "invoice_number_shape",
            en "must be a non-empty text of at most {max} characters", ru "номер счёта — от 1 до {max} символов";
        NumberTaken {} = "invoice_number_taken", en "an invoice with this number already exists", ru "счёт с таким номером уже есть";
        IdOrNull {} = "invoice_id_or_null", en "must be an integer id or null", ru "нужен идентификатор записи или null";
        IntegerId {} = "invoice_integer_id", en "must be an integer id", ru "нужен целочисленный идентификатор";
        AmountPositive {} = "invoice_amount_positive",
            en "must be a positive integer amount in minor units", ru "укажите сумму больше нуля, в копейках (целое число)";
        DateValue {} = "invoice_date_value", en "must be a date in the form YYYY-MM-DD", ru "укажите дату в виде ГГГГ-ММ-ДД";
        StatusChoice {} = "invoice_status_choice",
            en "must be one of: open, cancelled (paid follows from the payments)",
            ru "допустимые значения: open, cancelled (статус «оплачен» следует из платежей)";
        StatusOnCreate {} = "invoice_status_on_create", en "is read-only on creation", ru "при создании счёта статус не задаётся";
        DueBeforeIssued {} = "invoice_due_before_issued", en "must not be before issued_on", ru "срок оплаты не может быть раньше даты счёта";
        NoDeal { id: i64 } = "invoice_no_deal", en "no deal with id {id} in this workspace", ru "нет сделки с идентификатором {id}";
        // Payments.
        PaidInFuture {} = "payment_in_future", en "must not be in the future", ru "дата оплаты не может быть в будущем";
        ExceedsBalance { balance: i64 } = "payment_exceeds_balance",
            en "exceeds the open balance of {balance}", ru "больше остатка по счёту ({balance} коп.)";
        // The import of an accounting export.
        ImportForbidden {} = "invoice_import_forbidden",
            en "only an administrator or a head imports invoices", ru "загружать счета могут администратор и руководитель";
        FileEmpty {} = "import_file_empty", en "is empty", ru "файл пустой";
        FileNoRows {} = "import_file_no_rows", en "has no rows", ru "в файле нет строк";
        TooManyRows { max: i64 } = "import_too_many_rows",
            en "has more than {max} rows; at most {max} per import", ru "в файле больше {max} строк; разбейте его на части";
        TooManyRowsCount { n: i64, max: i64 } = "import_too_many_rows_count",
            en "has {n} rows; at most {max} per import", ru "в файле {n} строк, а за раз можно загрузить не больше {max}; разбейте его на части";
        XlsxUnreadable { why: String } = "import_xlsx_unreadable",
            en "is not a readable XLSX workbook: {why}", ru "файл не читается как XLSX; сохраните его заново или выгрузите в CSV";
        XlsxNoSheet {} = "import_xlsx_no_sheet", en "the workbook has no sheet", ru "в книге нет ни одного листа";
        XlsxSheetUnreadable { why: String } = "import_xlsx_sheet_unreadable",
            en "the first sheet cannot be read: {why}", ru "первый лист книги не читается; сохраните файл заново или выгрузите в CSV";
        MissingColumns { columns: Vec<String> } = "import_missing_columns",
            en "the file has no column {columns}; the header needs Номер, Дата, ИНН контрагента, Сумма and Оплачено (or number, date, tax id, amount, paid)",
            ru "в заголовке нет колонки {columns}; нужны: Номер, Дата, ИНН контрагента, Сумма, Оплачено";
        // One row of an import.
        CellEmpty {} = "import_cell_empty", en "is empty", ru "пустая ячейка";
        NotImportDate { raw: String } = "import_not_date",
            en "'{raw}' is not a date such as 23.11.2026", ru "«{raw}» — не дата; нужна дата вида 23.11.2026";
        NotImportAmount { raw: String } = "import_not_amount",
            en "'{raw}' is not an amount such as 1234,56", ru "«{raw}» — не сумма; нужна сумма вида 1 234,56";
        NegativeAmount { raw: String } = "import_negative_amount", en "'{raw}' is negative", ru "«{raw}» — отрицательная сумма";
        NotTaxId { raw: String } = "import_not_tax_id",
            en "'{raw}' is not a tax id (4 to 20 digits)", ru "«{raw}» — не ИНН: нужно от 4 до 20 цифр";
        PaidExceedsAmount {} = "import_paid_exceeds_amount", en "is more than the amount", ru "оплачено больше суммы счёта";
        DueBeforeDate {} = "import_due_before_date", en "is before the invoice date", ru "срок оплаты раньше даты счёта";
        DuplicateNumber { first: i64 } = "import_duplicate_number",
            en "appears again (first on line {first})", ru "этот номер уже был в файле (строка {first})";
        NoOrganization { tax_id: String } = "import_no_organization",
            en "no organization with tax id {tax_id}; add a Контрагент (counterparty) column to create it",
            ru "организации с ИНН {tax_id} нет; добавьте колонку «Контрагент», чтобы создать её";
        ManualPaymentsExceedPaid { manual: i64 } = "import_manual_payments_exceed_paid",
            en "payments entered by hand ({manual}) exceed it; correct them in the CRM",
            ru "оплаты, внесённые вручную ({manual} коп.), больше суммы «Оплачено» в файле; поправьте их в CRM";
    }
}

//! Marketing spend: its rows, the channel aliases and the import of ad cabinets' exports.
use super::catalogue;

catalogue! {
    /// Marketing spend (what advertising cost per day and channel) and its import.
    SpendMsg {
        WritersOnly {} = "spend_writers_only",
            en "only heads of sales, administrators and analysts enter marketing spend",
            ru "расходы на рекламу вносят руководитель отдела продаж, администратор и аналитик";
        ReadersOnly {} = "spend_readers_only",
            en "marketing spend is for heads of sales, administrators and analysts",
            ru "расходы на рекламу видят руководитель отдела продаж, администратор и аналитик";
        AmountNegative {} = "spend_amount_negative",
            en "the amount spent must not be negative", ru "сумма расхода не может быть отрицательной";
        AmountShape {} = "spend_amount_shape",
            en "the amount spent must be a whole number of minor units (kopecks, cents), zero or more",
            ru "сумма расхода — целое число копеек (центов), не меньше нуля";
        AmountTooLarge {} = "spend_amount_too_large", en "the amount spent is too large", ru "сумма расхода слишком велика";
        Currency { currency: String, given: String } = "spend_currency",
            en "spend is kept in the workspace currency {currency}; “{given}” is not accepted",
            ru "расходы ведутся в валюте пространства ({currency}); «{given}» не принимается";
        DayShape { raw: String } = "spend_day_shape",
            en "“{raw}” is not a date such as 2026-11-23", ru "«{raw}» — не дата вида 2026-11-23";
        DayRange { raw: String } = "spend_day_range",
            en "the date {raw} is outside 2000-01-01 … 2100-12-31", ru "дата {raw} вне диапазона 2000-01-01 … 2100-12-31";
        PeriodOrder {} = "spend_period_order",
            en "the period ends before it begins (to is earlier than from)", ru "конец периода раньше начала (to раньше from)";
        PeriodTooLong { max: i64 } = "spend_period_too_long",
            en "a period spread over days is at most {max} days long", ru "период для распределения по дням — не длиннее {max} дней";
        ChannelEmpty {} = "spend_channel_empty",
            en "the channel (source) is required, e.g. yandex", ru "укажите канал (источник), например yandex";
        TextTooLong { max: i64 } = "spend_text_too_long",
            en "is too long (at most {max} characters)", ru "слишком длинно (не больше {max} символов)";
        CountShape {} = "spend_count_shape",
            en "impressions and clicks are whole numbers, zero or more", ru "показы и клики — целые числа, не меньше нуля";
        DayOrPeriod {} = "spend_day_or_period",
            en "give a day, or a period from … to with its total", ru "укажите день или период (from … to) с общей суммой";
        // Channel aliases.
        AliasEmpty {} = "spend_alias_empty", en "the alias is required", ru "укажите псевдоним канала";
        AliasExists { alias: String, channel: String } = "spend_alias_exists",
            en "“{alias}” is already an alias of {channel}", ru "«{alias}» уже псевдоним канала {channel}";
        // The import of an ad cabinet's export.
        ImportNoColumns { columns: Vec<String> } = "spend_import_missing_columns",
            en "the file has no column {columns}; map it with map.<field>=<header>",
            ru "в файле нет колонки {columns}; укажите её в сопоставлении колонок";
        ImportNoMappedColumn { header: String } = "spend_import_no_mapped_column",
            en "the file has no column “{header}”", ru "в файле нет колонки «{header}»";
        ImportMapField { expected: Vec<String> } = "spend_import_map_field",
            en "a column mapping names one of: {expected}", ru "в сопоставлении колонок допустимы поля: {expected}";
        ImportNoChannel {} = "spend_import_no_channel",
            en "the file has no channel column and its shape is not a known cabinet's; give the channel for the whole file",
            ru "в файле нет колонки с каналом, и по заголовкам не понятно, из какого он кабинета; укажите канал для всего файла";
        ImportNoSheet { sheet: String, sheets: Vec<String> } = "spend_import_no_sheet",
            en "the workbook has no sheet “{sheet}”; its sheets: {sheets}", ru "в книге нет листа «{sheet}»; её листы: {sheets}";
        ImportNotCount { raw: String } = "spend_import_not_count",
            en "“{raw}” is not a whole number such as 1 234", ru "«{raw}» — не целое число вида 1 234";
        ImportRowsRefused { n: i64, line: i64, column: String } = "spend_import_rows_refused",
            en "{n} row(s) cannot be imported, so nothing was written; the first is line {line}, column “{column}”",
            ru "строк с ошибками: {n}, поэтому ничего не записано; первая — строка {line}, колонка «{column}»";
    }
}

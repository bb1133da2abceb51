//! Sales reports: their parameters.
use super::catalogue;

catalogue! {
    /// Refusals of a report's parameters.
    ReportMsg {
        FromAfterTo {} = "from_after_to", en "the period starts after it ends", ru "период начинается позже, чем заканчивается";
        PeriodTooLong { years: i64 } = "period_too_long", en "a period is at most {years} years", ru "период — не больше {years} лет";
        UnknownReport { known: Vec<String> } = "unknown_report", en "no such report; known: {known}", ru "такого отчёта нет; есть: {known}";
        CompareWord {} = "compare_word", en "compare takes only 'previous'", ru "compare принимает только previous";
        FormatWord {} = "format_word", en "format is json, csv or xlsx", ru "формат — json, csv или xlsx";
        NotMonth { s: String } = "not_month", en "'{s}' is not a month YYYY-MM", ru "«{s}» — не месяц ГГГГ-ММ";
    }
}

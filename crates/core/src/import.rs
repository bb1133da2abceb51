//! Importing a base from another CRM's export: the presets that know each CRM's column
//! headers, the fields a column may fill, and the reading of the cells those CRMs write
//! (dates as `dd.mm.YYYY HH:MM:SS`, amounts with spaces and a decimal comma).
//!
//! The store ([`poryadok_store::imports`]) keeps the uploads, proposes the mappings from what is
//! here, and writes the records.
use crate::msg::{ImportMsg, Msg};

crate::domain::string_enum!(
    /// Whose export a file is: which column headers mean what.
    Preset { AmoCrm = "amocrm", Bitrix24 = "bitrix24", Pipedrive = "pipedrive", Generic = "generic" }
);

crate::domain::string_enum!(
    /// What to do with a row whose record already exists (the same phone, e-mail, tax id or site).
    Duplicates { Skip = "skip", Update = "update", Create = "create" }
);

crate::domain::string_enum!(
    /// Which records a file's rows are.
    ImportEntity { Deal = "deal", Person = "person", Organization = "organization" }
);

crate::domain::string_enum!(
    /// The lists whose values are mapped one by one (a stage's name in the file to a stage).
    ValueKind { Stage = "stage", Pipeline = "pipeline", Owner = "owner", LostReason = "lost_reason", Status = "status" }
);

/// What a column fills. `custom.<key>` fills a custom field of the row's record; the rest are
/// below. The row's own record is the import's entity; `person_*` and `org_*` describe the
/// person and organization it links to (or, in a person import, its organization).
pub const TARGETS: &[&str] = &[
    "external_id",
    "title",
    "value",
    "currency",
    "stage",
    "pipeline",
    "status",
    "owner",
    "lost_reason",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "expected_close_date",
    "created_at",
    "person_external_id",
    "person_name",
    "person_first_name",
    "person_last_name",
    // Several phone (e-mail) columns and several values in a cell: the first is the person's
    // phone (e-mail), the rest its other phones (e-mails).
    "person_phone",
    "person_email",
    "person_job_title",
    "org_external_id",
    "org_name",
    "org_tax_id",
    "org_website",
    "org_address",
    "note",
    "task",
    "task_due",
];

/// Whether `target` is something a column may fill.
pub fn is_target(target: &str) -> bool {
    TARGETS.contains(&target) || target.strip_prefix("custom.").is_some_and(|k| !k.is_empty())
}

/// Lower case, `ё` as `е`, single spaces, no quotes, BOM or trailing `:`.
pub fn normalise(h: &str) -> String {
    let h = h.trim().trim_matches(|c| c == '"' || c == '\'' || c == '\u{feff}').trim_end_matches(':').to_lowercase().replace('ё', "е");
    h.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The headers a preset knows, normalised, and what each fills.
pub fn preset_headers(preset: Preset, entity: ImportEntity) -> Vec<(&'static str, &'static str)> {
    let main_id = "external_id";
    let (person_id, org_id) = match entity {
        ImportEntity::Deal => ("person_external_id", "org_external_id"),
        ImportEntity::Person => (main_id, "org_external_id"),
        ImportEntity::Organization => ("person_external_id", main_id),
    };
    let main_name = match entity {
        ImportEntity::Deal => "title",
        ImportEntity::Person => "person_name",
        ImportEntity::Organization => "org_name",
    };
    let mut out: Vec<(&'static str, &'static str)> = match preset {
        Preset::AmoCrm => vec![
            ("id", main_id),
            ("название сделки", "title"),
            ("бюджет", "value"),
            ("валюта", "currency"),
            ("этап сделки", "stage"),
            ("статус", "stage"),
            ("воронка", "pipeline"),
            ("ответственный", "owner"),
            ("основной контакт", "person_name"),
            ("контакт", "person_name"),
            ("полное имя", "person_name"),
            ("имя", "person_name"),
            ("компания", "org_name"),
            ("название компании", "org_name"),
            ("рабочий телефон", "person_phone"),
            ("мобильный телефон", "person_phone"),
            ("рабочий прямой телефон", "person_phone"),
            ("домашний телефон", "person_phone"),
            ("другой телефон", "person_phone"),
            ("телефон", "person_phone"),
            ("рабочий email", "person_email"),
            ("личный email", "person_email"),
            ("другой email", "person_email"),
            ("email", "person_email"),
            ("должность", "person_job_title"),
            ("причина отказа", "lost_reason"),
            ("utm_source", "utm_source"),
            ("utm_medium", "utm_medium"),
            ("utm_campaign", "utm_campaign"),
            ("utm_term", "utm_term"),
            ("utm_content", "utm_content"),
            ("дата создания", "created_at"),
            ("примечание", "note"),
            ("примечания", "note"),
            ("задача", "task"),
            ("инн", "org_tax_id"),
            ("web", "org_website"),
            ("сайт", "org_website"),
            ("адрес", "org_address"),
        ],
        Preset::Bitrix24 => vec![
            ("id", main_id),
            ("название сделки", "title"),
            ("стадия сделки", "stage"),
            ("стадия", "stage"),
            ("направление", "pipeline"),
            ("воронка", "pipeline"),
            ("сумма", "value"),
            ("валюта", "currency"),
            ("ответственный", "owner"),
            ("компания", "org_name"),
            ("название компании", "org_name"),
            ("контакт", "person_name"),
            ("имя", "person_first_name"),
            ("фамилия", "person_last_name"),
            ("рабочий телефон", "person_phone"),
            ("мобильный телефон", "person_phone"),
            ("домашний телефон", "person_phone"),
            ("другой телефон", "person_phone"),
            ("телефон", "person_phone"),
            ("рабочий e-mail", "person_email"),
            ("частный e-mail", "person_email"),
            ("другой e-mail", "person_email"),
            ("e-mail", "person_email"),
            ("должность", "person_job_title"),
            ("источник", "source"),
            ("дата создания", "created_at"),
            ("предполагаемая дата закрытия", "expected_close_date"),
            ("комментарий", "note"),
            ("utm_source", "utm_source"),
            ("utm_medium", "utm_medium"),
            ("utm_campaign", "utm_campaign"),
            ("utm_term", "utm_term"),
            ("utm_content", "utm_content"),
            ("инн", "org_tax_id"),
            ("сайт", "org_website"),
            ("адрес", "org_address"),
        ],
        Preset::Pipedrive => vec![
            ("deal - id", if entity == ImportEntity::Deal { main_id } else { "" }),
            ("deal - title", "title"),
            ("deal - value", "value"),
            ("deal - currency", "currency"),
            ("deal - stage", "stage"),
            ("deal - pipeline", "pipeline"),
            ("deal - status", "status"),
            ("deal - owner", "owner"),
            ("deal - lost reason", "lost_reason"),
            ("deal - deal created", "created_at"),
            ("deal - expected close date", "expected_close_date"),
            ("deal - source channel", "source"),
            ("person - id", person_id),
            ("person - name", "person_name"),
            ("person - phone", "person_phone"),
            ("person - phone - work", "person_phone"),
            ("person - phone - mobile", "person_phone"),
            ("person - phone - home", "person_phone"),
            ("person - phone - other", "person_phone"),
            ("person - email", "person_email"),
            ("person - email - work", "person_email"),
            ("person - email - home", "person_email"),
            ("person - email - other", "person_email"),
            ("person - job title", "person_job_title"),
            ("person - owner", if entity == ImportEntity::Person { "owner" } else { "" }),
            ("organization - id", org_id),
            ("organization - name", "org_name"),
            ("organization - address", "org_address"),
            ("organization - owner", if entity == ImportEntity::Organization { "owner" } else { "" }),
            ("note - content", "note"),
            ("activity - subject", "task"),
            ("activity - due date", "task_due"),
        ],
        Preset::Generic => {
            let mut v: Vec<(&'static str, &'static str)> = TARGETS.iter().map(|t| (*t, *t)).collect();
            v.extend([
                ("id", main_id),
                ("name", main_name),
                ("название", main_name),
                ("наименование", main_name),
                ("сделка", "title"),
                ("сумма", "value"),
                ("бюджет", "value"),
                ("валюта", "currency"),
                ("этап", "stage"),
                ("стадия", "stage"),
                ("воронка", "pipeline"),
                ("статус", "status"),
                ("ответственный", "owner"),
                ("менеджер", "owner"),
                ("причина проигрыша", "lost_reason"),
                ("источник", "source"),
                ("дата создания", "created_at"),
                ("created", "created_at"),
                ("контакт", "person_name"),
                ("фио", "person_name"),
                ("имя", "person_name"),
                ("person", "person_name"),
                ("телефон", "person_phone"),
                ("телефоны", "person_phone"),
                ("мобильный телефон", "person_phone"),
                ("рабочий телефон", "person_phone"),
                ("другой телефон", "person_phone"),
                ("phone", "person_phone"),
                ("phones", "person_phone"),
                ("mobile", "person_phone"),
                ("email", "person_email"),
                ("e-mail", "person_email"),
                ("почта", "person_email"),
                ("должность", "person_job_title"),
                ("организация", "org_name"),
                ("компания", "org_name"),
                ("organization", "org_name"),
                ("company", "org_name"),
                ("инн", "org_tax_id"),
                ("tax id", "org_tax_id"),
                ("сайт", "org_website"),
                ("website", "org_website"),
                ("адрес", "org_address"),
                ("примечание", "note"),
                ("заметка", "note"),
                ("задача", "task"),
                ("срок задачи", "task_due"),
            ]);
            v
        }
    };
    // In a person or organization import the file's name column is the record's name.
    if entity != ImportEntity::Deal {
        for (h, t) in out.iter_mut() {
            if matches!(preset, Preset::AmoCrm | Preset::Bitrix24) && *h == "id" {
                *t = main_id;
            }
            if entity == ImportEntity::Organization && matches!(*h, "название компании" | "компания" | "название" | "наименование")
            {
                *t = "org_name";
            }
        }
    }
    out.retain(|(_, t)| !t.is_empty());
    out
}

/// The preset whose headers the file's header row matches best; generic when no CRM's does.
pub fn detect_preset(headers: &[String], entity: ImportEntity) -> Preset {
    let norm: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    if norm.iter().filter(|h| h.starts_with("deal - ") || h.starts_with("person - ") || h.starts_with("organization - ")).count() >= 2 {
        return Preset::Pipedrive;
    }
    let score = |p: Preset| {
        let known = preset_headers(p, entity);
        norm.iter().filter(|h| known.iter().any(|(k, _)| k == *h)).count()
            + norm
                .iter()
                .filter(|h| match p {
                    Preset::AmoCrm => matches!(h.as_str(), "бюджет" | "этап сделки" | "основной контакт" | "рабочий email"),
                    Preset::Bitrix24 => matches!(h.as_str(), "стадия сделки" | "сумма" | "рабочий e-mail" | "направление"),
                    _ => false,
                })
                .count()
                * 2
    };
    let (amo, bitrix) = (score(Preset::AmoCrm), score(Preset::Bitrix24));
    if amo.max(bitrix) >= 4 {
        if amo >= bitrix {
            Preset::AmoCrm
        } else {
            Preset::Bitrix24
        }
    } else {
        Preset::Generic
    }
}

/// What each header fills under a preset (`None`: not imported). A header matched by no alias
/// that starts with `utm_` fills that utm field; custom fields are matched by their label or key.
pub fn propose_columns(headers: &[String], preset: Preset, entity: ImportEntity, custom: &[(String, String)]) -> Vec<Option<String>> {
    let known = preset_headers(preset, entity);
    let mut used: Vec<String> = Vec::new();
    headers
        .iter()
        .map(|h| {
            let n = normalise(h);
            let target = known
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, t)| t.to_string())
                .or_else(|| {
                    custom.iter().find(|(key, label)| normalise(label) == n || normalise(key) == n).map(|(k, _)| format!("custom.{k}"))
                })
                .or_else(|| n.starts_with("utm_").then(|| n.clone()).filter(|t| TARGETS.contains(&t.as_str())));
            // One column a target, except notes (several note columns are several notes) and phones.
            match target {
                Some(t) if used.contains(&t) && !matches!(t.as_str(), "note" | "person_phone" | "person_email") => None,
                Some(t) => {
                    used.push(t.clone());
                    Some(t)
                }
                None => None,
            }
        })
        .collect()
}

/// A value written as a formula (`=HYPERLINK("…")`, `+7…` is a phone, not this): it is kept as
/// the text it is and never evaluated.
pub fn looks_like_formula(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with('=')
        || (t.starts_with('@') && t.contains('('))
        || ((t.starts_with('+') || t.starts_with('-')) && t.contains('(') && t.chars().any(char::is_alphabetic))
}

/// Names compared as people compare them: case, `ё` and spaces ignored.
pub fn same_name(a: &str, b: &str) -> bool {
    normalise(a) == normalise(b)
}

/// What a status cell means: won, lost or open, in the words CRMs use (amoCRM's closing stages
/// are statuses: «Успешно реализовано», «Закрыто и не реализовано»; Bitrix24's «Сделка успешна»,
/// «Сделка провалена»; Pipedrive's won/lost).
pub fn status_of(value: &str) -> Option<crate::domain::DealStatus> {
    use crate::domain::DealStatus;
    match normalise(value).as_str() {
        "успешно реализовано" | "сделка успешна" | "won" | "выиграна" | "выигран" | "успешно" | "успех" => {
            Some(DealStatus::Won)
        }
        "закрыто и не реализовано" | "сделка провалена" | "lost" | "проиграна" | "проигран" | "провал" | "анализ причины провала" => {
            Some(DealStatus::Lost)
        }
        "open" | "открыта" | "в работе" => Some(DealStatus::Open),
        _ => None,
    }
}

/// A date and time as UTC milliseconds, the cell read in `tz`: `23.11.2026 14:05:00`,
/// `23.11.2026 14:05`, `23.11.2026`, `2026-11-23 14:05:00`, `2026-11-23T14:05:00`, `2026-11-23`.
pub fn parse_datetime(raw: &str, tz: &str) -> Result<i64, Msg> {
    let bad = || Msg::from(ImportMsg::BadDate { raw: raw.to_string() });
    let s = raw.trim();
    let (day, clock) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d.trim(), t.trim()),
        None => (s, ""),
    };
    let date = crate::types::parse_loose_day(day).ok_or_else(bad)?;
    let clock = clock.trim_end_matches('Z');
    let hms: Vec<&str> = if clock.is_empty() { vec![] } else { clock.split(':').collect() };
    let part =
        |i: usize| -> Result<u8, Msg> { hms.get(i).map_or(Ok(0), |p| p.split('.').next().unwrap_or("").parse::<u8>().map_err(|_| bad())) };
    if hms.len() > 3 {
        return Err(bad());
    }
    let t = time::Time::from_hms(part(0)?, part(1)?, part(2)?).map_err(|_| bad())?;
    let naive = date.with_time(t).assume_utc();
    let naive_ms = (naive.unix_timestamp_nanos() / 1_000_000) as i64;
    let offset = crate::zone::offset_at(tz, naive_ms);
    Ok(naive_ms - i64::from(offset.whole_seconds()) * 1000)
}

/// An amount in minor units: `1 234,56`, `1234.5`, `1,234.56`, `150000`, `150 000 ₽`, `RUB 10`.
pub fn parse_money(raw: &str) -> Result<i64, Msg> {
    let bad = || Msg::from(ImportMsg::BadAmount { raw: raw.to_string() });
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\''))
        .collect::<String>()
        .trim_matches(|c: char| c.is_alphabetic() || matches!(c, '₽' | '$' | '€' | '.'))
        .to_string();
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.') {
        return Err(bad());
    }
    let (int_raw, frac) = match s.rfind([',', '.']) {
        None => (s.as_str(), ""),
        Some(i) => {
            let frac = &s[i + 1..];
            let sep = &s[i..=i];
            if s.matches(sep).count() > 1 && frac.len() == 3 {
                (s.as_str(), "")
            } else if (1..=2).contains(&frac.len()) {
                (&s[..i], frac)
            } else if frac.len() == 3 && !s[..i].contains([',', '.']) && sep == "," {
                (s.as_str(), "")
            } else if frac.len() == 3 && sep == "." && !s[..i].contains([',', '.']) {
                (&s[..i], frac)
            } else {
                return Err(bad());
            }
        }
    };
    let int: String = int_raw.chars().filter(char::is_ascii_digit).collect();
    if int.is_empty() || int.len() > 15 {
        return Err(bad());
    }
    let units: i64 = int.parse().map_err(|_| bad())?;
    let frac: String = frac.chars().take(2).collect();
    let cents: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    units.checked_mul(100).and_then(|u| u.checked_add(cents)).ok_or_else(bad)
}

/// A site's domain, lower case without `www.`: how organizations are matched by their site.
pub fn site_domain(raw: &str) -> Option<String> {
    let s = raw.trim().to_lowercase();
    let s = s.split("://").last().unwrap_or("");
    let host = s.split(['/', '?', '#']).next().unwrap_or("").split(':').next().unwrap_or("");
    let host = host.strip_prefix("www.").unwrap_or(host);
    (host.contains('.') && !host.starts_with('.')).then(|| host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn presets_are_told_by_their_headers() {
        let amo = h(&[
            "ID",
            "Название сделки",
            "Бюджет",
            "Этап сделки",
            "Воронка",
            "Ответственный",
            "Основной контакт",
            "Компания",
            "Рабочий телефон",
        ]);
        assert_eq!(detect_preset(&amo, ImportEntity::Deal), Preset::AmoCrm);
        let bitrix = h(&["ID", "Название сделки", "Стадия сделки", "Сумма", "Валюта", "Ответственный", "Компания", "Контакт"]);
        assert_eq!(detect_preset(&bitrix, ImportEntity::Deal), Preset::Bitrix24);
        let pd = h(&["Deal - ID", "Deal - Title", "Deal - Value", "Person - Name", "Organization - Name"]);
        assert_eq!(detect_preset(&pd, ImportEntity::Deal), Preset::Pipedrive);
        assert_eq!(detect_preset(&h(&["title", "value", "stage"]), ImportEntity::Deal), Preset::Generic);
        let cols = propose_columns(&amo, Preset::AmoCrm, ImportEntity::Deal, &[]);
        assert_eq!(cols[1].as_deref(), Some("title"));
        assert_eq!(cols[8].as_deref(), Some("person_phone"));
        let cols = propose_columns(&h(&["Название", "Бонус"]), Preset::Generic, ImportEntity::Deal, &[("bonus".into(), "Бонус".into())]);
        assert_eq!(cols, vec![Some("title".into()), Some("custom.bonus".into())]);
    }

    #[test]
    fn cells_as_crms_write_them() {
        assert_eq!(parse_money("150 000").unwrap(), 15_000_000);
        assert_eq!(parse_money("1 234,56 ₽").unwrap(), 123_456);
        assert_eq!(parse_money("1,234.5").unwrap(), 123_450);
        assert_eq!(parse_money("2500.00").unwrap(), 250_000);
        assert!(parse_money("сто").is_err());
        let ms = parse_datetime("23.11.2026 14:05:00", "Europe/Moscow").unwrap();
        assert_eq!(ms, parse_datetime("2026-11-23T11:05:00", "UTC").unwrap());
        assert!(parse_datetime("32.11.2026", "UTC").is_err());
        assert_eq!(status_of("Успешно реализовано"), Some(crate::domain::DealStatus::Won));
        assert_eq!(status_of("ЗАКРЫТО И НЕ  РЕАЛИЗОВАНО"), Some(crate::domain::DealStatus::Lost));
        assert!(looks_like_formula("=HYPERLINK(\"http://x\")"));
        assert!(!looks_like_formula("+7 (912) 345-67-89"));
        assert_eq!(site_domain("https://www.Romashka.ru/about").as_deref(), Some("romashka.ru"));
    }
}

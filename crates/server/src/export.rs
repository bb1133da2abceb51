//! A round's workbook, as the seed's department kept it: one sheet per rule with a link to each
//! record and what the head needs to judge it, a FAQ sheet with every rule's explanation, and a
//! tally per user; and the same rows as CSV.
//!
//! Neither runs what users typed: the workbook writes every text as a string cell (never a
//! formula; numbers only where the column is a count), and the CSV neutralises cells that a
//! spreadsheet would read as a formula ([`crate::security::csv_text`]).
use crate::security::csv_text as csv_field;
use poryadok_store::audit::ExportRow;
use rust_xlsxwriter::{Format, Url, Workbook, Worksheet, XlsxError};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Column titles and fixed words, in the workspace's language.
struct Words {
    columns: [&'static str; 9],
    faq: &'static str,
    faq_columns: [&'static str; 5],
    tally: &'static str,
    tally_columns: [&'static str; 6],
}

fn words(ru: bool) -> Words {
    if ru {
        Words {
            columns: ["Ссылка", "Название", "Ответственный", "Состояние", "Этап", "Причина", "Статус", "Комментарий", "Решение"],
            faq: "FAQ",
            faq_columns: ["Правило", "Критичность", "Почему это важно", "Как исправить", "Выражение"],
            tally: "Учёт",
            tally_columns: ["Сотрудник", "Нарушений", "Исправлено", "Не исправлено", "Не обработано", "Предупреждений"],
        }
    } else {
        Words {
            columns: ["Link", "Title", "Owner", "State", "Stage", "Reason", "Status", "Comment", "Review"],
            faq: "FAQ",
            faq_columns: ["Rule", "Criticality", "Why it matters", "How to fix", "Expression"],
            tally: "Tally",
            tally_columns: ["User", "Violations", "Fixed", "Not fixed", "Not processed", "Warnings"],
        }
    }
}

/// A stored status word (a deal's state, an answer, a review) as the reader's language says it;
/// an unknown one as it is.
fn status_word(ru: bool, value: &str) -> &str {
    let (r, e) = match value {
        "open" => ("Открыта", "Open"),
        "won" => ("Выиграна", "Won"),
        "lost" => ("Проиграна", "Lost"),
        "frozen" => ("Заморожена", "Frozen"),
        "not_lead" => ("Не лид", "Not a lead"),
        "not_processed" => ("Не обработано", "Not processed"),
        "fixed" => ("Исправлено", "Fixed"),
        "not_fixed" => ("Не исправлено", "Not fixed"),
        "warned" => ("Предупреждение", "Warned"),
        "accepted" => ("Принято", "Accepted"),
        "closed" => ("Закрыто", "Closed"),
        other => return other,
    };
    if ru {
        r
    } else {
        e
    }
}

fn path_of(entity: &str) -> &'static str {
    match entity {
        "person" => "persons",
        "organization" => "organizations",
        _ => "deals",
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique in the book.
fn sheet_name(name: &str, taken: &mut HashSet<String>) -> String {
    let clean: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c }).collect();
    let base: String = clean.trim().chars().take(28).collect::<String>().trim_end().to_string();
    let base = if base.is_empty() { "Sheet".to_string() } else { base };
    let mut candidate = base.clone();
    let mut n = 2;
    while !taken.insert(candidate.to_lowercase()) {
        candidate = format!("{base} {n}");
        n += 1;
    }
    candidate
}

/// The workbook: `rules` are the workspace's rules (JSON as the API gives them), `base` the
/// server's address for links.
pub fn workbook(rules: &[Json], rows: &[ExportRow], base: &str, ru: bool) -> Result<Vec<u8>, XlsxError> {
    let w = words(ru);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut taken = HashSet::new();
    let mut by_rule: HashMap<i64, Vec<&ExportRow>> = HashMap::new();
    for r in rows {
        by_rule.entry(r.rule_id).or_default().push(r);
    }
    for rule in rules {
        let id = rule["id"].as_i64().unwrap_or(0);
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(rule["name"].as_str().unwrap_or(""), &mut taken))?;
        header(sheet, &w.columns, &bold)?;
        for (i, r) in by_rule.get(&id).into_iter().flatten().enumerate() {
            let row = i as u32 + 1;
            let link = format!("{base}/{}/{}", path_of(&r.entity), r.record_id);
            sheet.write_url_with_text(row, 0, Url::new(link), format!("#{}", r.record_id))?;
            let (state, answer, review) = (status_word(ru, &r.deal_status), status_word(ru, &r.answer), status_word(ru, &r.review));
            for (c, v) in [&r.title, &r.owner, state, &r.stage, &r.reason, answer, &r.comment, review].into_iter().enumerate() {
                sheet.write_string(row, c as u16 + 1, v)?;
            }
        }
        sheet.set_column_width(1, 40)?;
        sheet.set_column_width(7, 40)?;
    }
    let faq = book.add_worksheet();
    faq.set_name(w.faq)?;
    header(faq, &w.faq_columns, &bold)?;
    for (i, rule) in rules.iter().enumerate() {
        let row = i as u32 + 1;
        faq.write_string(row, 0, rule["name"].as_str().unwrap_or(""))?;
        faq.write_number(row, 1, rule["criticality"].as_f64().unwrap_or(0.0))?;
        faq.write_string(row, 2, rule["why"].as_str().unwrap_or(""))?;
        faq.write_string(row, 3, rule["fix"].as_str().unwrap_or(""))?;
        faq.write_string(row, 4, rule["expression"].as_str().unwrap_or(""))?;
    }
    faq.set_column_width(0, 40)?;
    faq.set_column_width(2, 60)?;
    faq.set_column_width(3, 60)?;
    let tally = book.add_worksheet();
    tally.set_name(w.tally)?;
    header(tally, &w.tally_columns, &bold)?;
    for (i, (owner, counts)) in tallies(rows).into_iter().enumerate() {
        let row = i as u32 + 1;
        tally.write_string(row, 0, owner)?;
        for (c, n) in counts.iter().enumerate() {
            tally.write_number(row, c as u16 + 1, *n as f64)?;
        }
    }
    tally.set_column_width(0, 30)?;
    book.save_to_buffer()
}

/// The bold first row of a sheet.
fn header(sheet: &mut Worksheet, titles: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (c, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *title, bold)?;
    }
    Ok(())
}

/// Per owner: violations, fixed, not fixed, not processed, warnings.
fn tallies(rows: &[ExportRow]) -> BTreeMap<String, [u32; 5]> {
    let mut out: BTreeMap<String, [u32; 5]> = BTreeMap::new();
    for r in rows {
        let t = out.entry(r.owner.clone()).or_default();
        t[0] += 1;
        match r.answer.as_str() {
            "fixed" => t[1] += 1,
            "not_fixed" => t[2] += 1,
            _ => t[3] += 1,
        }
        if r.review == "warned" {
            t[4] += 1;
        }
    }
    out
}

/// The same rows as one CSV table, with the rule's name in the first column. Every column is text
/// (names, titles, the manager's comment), so every cell goes through [`csv_text`]: one typed as
/// `=HYPERLINK(…)` or `-100` opens as that text, never as a formula.
pub fn csv(rules: &[Json], rows: &[ExportRow], base: &str, ru: bool) -> String {
    let w = words(ru);
    let mut out = String::new();
    let header: Vec<String> = std::iter::once(w.faq_columns[0]).chain(w.columns).map(csv_field).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in rows {
        let rule = rules.iter().find(|x| x["id"].as_i64() == Some(r.rule_id)).and_then(|x| x["name"].as_str()).unwrap_or("");
        let link = format!("{base}/{}/{}", path_of(&r.entity), r.record_id);
        let (state, answer, review) = (status_word(ru, &r.deal_status), status_word(ru, &r.answer), status_word(ru, &r.review));
        let cells = [rule, &link, &r.title, &r.owner, state, &r.stage, &r.reason, answer, &r.comment, review];
        out.push_str(&cells.map(csv_field).join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(sheet_name("Сделка без задачи: открытая [критично]", &mut taken), "Сделка без задачи  открытая");
        assert_eq!(sheet_name("Сделка без задачи: открытая [критично]", &mut taken), "Сделка без задачи  открытая 2");
        assert_eq!(sheet_name("???", &mut taken), "Sheet");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("=1+1"), "'=1+1");
    }

    #[test]
    fn a_typed_formula_is_text_in_the_csv() {
        let row = ExportRow {
            rule_id: 1,
            entity: "deal".into(),
            record_id: 7,
            title: "=HYPERLINK(\"http://evil.example\",\"x\")".into(),
            owner: "Анна".into(),
            deal_status: "open".into(),
            stage: "Новый".into(),
            reason: "no task".into(),
            answer: "fixed".into(),
            comment: "@SUM(1+1)".into(),
            review: String::new(),
        };
        let out = csv(&[serde_json::json!({"id": 1, "name": "+rule"})], &[row], "http://crm", false);
        let line = out.lines().nth(1).unwrap();
        assert!(line.starts_with("'+rule,http://crm/deals/7,\"'=HYPERLINK("), "{line}");
        assert!(line.contains(",'@SUM(1+1),"), "{line}");
    }
}

//! The store's validation and refusal messages in the reader's language.
//!
//! The store and the API speak English with stable codes; the UI recognises each message by its
//! pattern (`{name}` parts are captured) and shows the catalogue's version, with the captured
//! parts put back. A message no pattern knows is shown as the store wrote it. Field names become
//! their labels through `field.<name>` keys where the catalogue has one.
use super::i18n::T;

/// English pattern → catalogue key. More specific patterns come before general ones.
const PATTERNS: &[(&str, &str)] = &[
    // The regulation's and the calendar's (more specific ones first).
    ("unknown placeholder {p}; known: {list}", "msg.reg_placeholder"),
    ("'{f}' cannot be required; choose from {list}", "msg.reg_not_requirable"),
    ("'{f}' cannot be required", "msg.reg_not_requirable"),
    ("no deal custom field '{k}'", "msg.reg_no_custom_field"),
    ("must be positive", "msg.reg_positive"),
    ("must be a whole number", "msg.reg_integer"),
    ("must be at most {n}", "msg.reg_at_most"),
    ("is too long (at most {max} characters)", "msg.reg_too_long"),
    ("at most {n} tasks per stage", "msg.reg_max_tasks"),
    ("must be owner, head or participant:<role>", "msg.reg_assignee"),
    ("no stage {id} in this pipeline", "msg.reg_no_stage"),
    ("is listed twice", "msg.reg_twice"),
    ("intervals {a} and {b} overlap", "msg.reg_overlap"),
    ("intervals {a} and {b} touch; write them as one interval {c}", "msg.reg_touch"),
    ("interval {a} must end after it starts", "msg.reg_backwards"),
    ("needs at least one interval", "msg.reg_no_hours"),
    ("allows at most {n} intervals a day", "msg.reg_max_intervals"),
    ("{s} is not a time HH:MM", "msg.reg_time"),
    ("needs at least one working day", "msg.reg_no_days"),
    ("must be dates YYYY-MM-DD", "msg.reg_dates"),
    ("{d} is also listed as a holiday", "msg.reg_workday_holiday"),
    ("is required", "msg.required"),
    ("is read-only", "msg.read_only"),
    ("must be a string", "msg.string"),
    ("must be at least 10 characters long", "msg.password_short"),
    ("must be at most 256 characters long", "msg.password_long"),
    ("must not be only spaces", "msg.password_blank"),
    ("must not be one character repeated", "msg.password_repeated"),
    ("must not be the e-mail address", "msg.password_email"),
    ("is a well-known password; choose another", "msg.password_common"),
    ("must be between {min} and {max}", "msg.between"),
    ("must be {min} to {max} characters", "msg.length"),
    ("is too long ({n} characters, at most {max})", "msg.too_long"),
    ("must be one of: {list}", "msg.one_of"),
    ("must be the integer id of a {what}", "msg.id_of"),
    ("'{s}' is not an e-mail address", "msg.email"),
    ("'{s}' is not a valid phone number", "msg.phone"),
    ("'{s}' is not an http(s) URL", "msg.url"),
    ("'{s}' is not an ISO 4217 currency code such as RUB", "msg.currency"),
    ("'{s}' is not a time zone such as Europe/Moscow", "msg.timezone"),
    ("this e-mail cannot be used", "msg.email_taken"),
    ("a custom field with this key already exists for this entity", "msg.key_taken"),
    ("person {id} already has this {what}", "msg.identity_taken"),
    ("you cannot deactivate yourself", "msg.deactivate_self"),
    ("analysts have read-only access", "msg.analyst_read_only"),
    ("only administrators change settings, users and teams", "msg.admin_only"),
    ("you may assign records only to yourself", "msg.assign_self"),
    ("you may assign records only within your team", "msg.assign_team"),
    ("only the owner changes a saved filter", "msg.filter_owner"),
    ("an enum field needs at least one option", "msg.enum_options"),
    ("only enum fields have options", "msg.options_enum_only"),
    ("{n} deals are in this stage; move them first", "msg.in_use_stage"),
    ("{n} deals are in this pipeline; move them first", "msg.in_use_pipeline"),
    ("{n} users are in this team; move them first", "msg.in_use_team"),
];

/// Matches `text` against `pattern`; the captured `{name}` parts on success.
fn captures<'a>(pattern: &'a str, text: &'a str) -> Option<Vec<(&'a str, &'a str)>> {
    let mut out = Vec::new();
    let (mut p, mut t) = (pattern, text);
    loop {
        let Some(open) = p.find('{') else {
            return (p == t).then_some(out);
        };
        t = t.strip_prefix(&p[..open])?;
        let close = open + p[open..].find('}')?;
        let name = &p[open + 1..close];
        p = &p[close + 1..];
        let next_literal = &p[..p.find('{').unwrap_or(p.len())];
        let end = if next_literal.is_empty() { t.len() } else { t.find(next_literal)? };
        out.push((name, &t[..end]));
        t = &t[end..];
    }
}

/// `message` in the reader's language when it is a known one.
pub fn translate(t: &T, message: &str) -> String {
    for (pattern, key) in PATTERNS {
        if let Some(args) = captures(pattern, message) {
            return t.fmt(key, &args);
        }
    }
    message.to_string()
}

/// The label of a field for messages (`custom.budget` keeps its key).
pub fn field_label(t: &T, field: &str) -> String {
    let key = format!("field.{field}");
    match t.t(&key) {
        k if k == key => field.to_string(),
        label => label.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang;

    #[test]
    fn known_messages_are_translated_with_their_values() {
        let ru = T::new(Lang::Ru);
        assert_eq!(translate(&ru, "must be between 0 and 100"), "должно быть от 0 до 100");
        assert_eq!(translate(&ru, "'x@' is not an e-mail address"), "«x@» — не адрес электронной почты");
        assert_eq!(translate(&ru, "something new"), "something new");
        assert_eq!(translate(&T::new(Lang::En), "is required"), "is required");
        assert_eq!(field_label(&ru, "title"), "Название");
        assert_eq!(field_label(&ru, "custom.budget"), "custom.budget");
    }

    #[test]
    fn patterns_capture_between_literals() {
        assert_eq!(
            captures("is too long ({n} characters, at most {max})", "is too long (300 characters, at most 255)"),
            Some(vec![("n", "300"), ("max", "255")])
        );
        assert_eq!(captures("must be one of: {list}", "must be one of: a, b"), Some(vec![("list", "a, b")]));
        assert_eq!(captures("is required", "is required!"), None);
    }

    #[test]
    fn every_pattern_has_a_message() {
        for (_, key) in PATTERNS {
            assert_ne!(T::new(Lang::Ru).t(key), *key, "{key} is missing from the catalogue");
        }
    }
}

//! A stage's regulation and a pipeline's role ranges, as data: parsed and checked once when an
//! administrator saves them, then applied by the store whenever a deal enters a stage.
//!
//! A stage may say which fields must be filled to enter it, how a deal there is named, which
//! tasks entering it creates, and how long a deal may wait there (an SLA in working time). A
//! pipeline may say how far each role may move a deal. Everything here is pure: the store
//! supplies the deal's values and the workspace's calendar.
use crate::domain::{ActivityType, Role};
use crate::error::FieldError;
use crate::msg::{words, Common, Msg, RegulationMsg as R};
use serde_json::{json, Map, Value};

/// A pipeline's "what winning needs" entry for a file of a kind: `file.<kind>`
/// (`file.signed_contract`); `None` for a field.
pub fn won_file_kind(entry: &str) -> Option<&str> {
    entry.strip_prefix("file.")
}

/// Fields of a deal that a template may name, besides `custom.<key>`.
pub const PLACEHOLDERS: &[&str] = &["title", "org", "person", "value", "owner", "stage", "pipeline", "expected_close_date", "source"];
/// Deal fields a stage may require, besides `custom.<key>`.
pub const REQUIRABLE: &[&str] =
    &["value", "organization_id", "person_id", "expected_close_date", "source", "utm_source", "utm_medium", "utm_campaign"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamingMode {
    /// The title is rewritten from the template when the deal enters the stage.
    Apply,
    /// The title is compared with the template and a mismatch is reported on the deal.
    Check,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    pub template: String,
    pub mode: NamingMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Working minutes/hours/days in the workspace's calendar.
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    fn parse(s: &str) -> Option<TimeUnit> {
        match s {
            "minutes" => Some(TimeUnit::Minutes),
            "hours" => Some(TimeUnit::Hours),
            "days" => Some(TimeUnit::Days),
            _ => None,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Minutes => "minutes",
            TimeUnit::Hours => "hours",
            TimeUnit::Days => "days",
        }
    }
}

/// An amount of working time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingTime {
    pub amount: i64,
    pub unit: TimeUnit,
}

impl WorkingTime {
    /// Minutes of working time for minute and hour units; `None` for days (counted as days).
    pub fn minutes(self) -> Option<i64> {
        match self.unit {
            TimeUnit::Minutes => Some(self.amount),
            TimeUnit::Hours => Some(self.amount * 60),
            TimeUnit::Days => None,
        }
    }
    fn to_json(self) -> Value {
        json!({"amount": self.amount, "unit": self.unit.as_str()})
    }
}

/// Who gets a task a stage creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Owner,
    /// The head of the owner's team, or a head of sales.
    Head,
    /// The deal's participant with this role (e.g. `consultant`); the owner when there is none.
    Participant(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTemplate {
    pub kind: ActivityType,
    pub subject: String,
    pub description: String,
    pub due: WorkingTime,
    pub assignee: Assignee,
}

/// Whose hours a stage's SLA counts: the workspace's business hours (the default), or the
/// deal owner's shifts (their weekly pattern, vacations and extra shifts, `core::schedule`), so a
/// manager on a weekend turn or away for a week is held to the time they actually work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SlaClock {
    #[default]
    BusinessHours,
    OwnerShift,
}

impl SlaClock {
    pub const ALL: [&'static str; 2] = ["business_hours", "owner_shift"];
    pub fn parse(s: &str) -> Option<SlaClock> {
        match s {
            "business_hours" => Some(SlaClock::BusinessHours),
            "owner_shift" => Some(SlaClock::OwnerShift),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SlaClock::BusinessHours => "business_hours",
            SlaClock::OwnerShift => "owner_shift",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageRegulation {
    pub required_fields: Vec<String>,
    /// Kinds of file (`signed_contract`) a deal must have attached to enter the stage.
    pub required_files: Vec<String>,
    pub naming: Option<Naming>,
    pub entry_tasks: Vec<TaskTemplate>,
    pub sla: Option<WorkingTime>,
    /// Whose hours the SLA runs on (`"sla_clock": "owner_shift"`).
    pub sla_clock: SlaClock,
}

fn err(path: &str, message: impl Into<crate::msg::Msg>) -> FieldError {
    FieldError::new(format!("regulation.{path}"), message)
}

fn is_custom_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The `{placeholder}`s of a template, checked against what a deal offers; `custom.<key>`
/// names are returned for the store to check against the workspace's custom fields.
/// Why a deal is not a lead, as a workspace starts out: the usual kinds of calls and messages
/// that reach a sales line without being a client (seed 000: a wrong number, someone selling to
/// us). A workspace edits its own list in the settings.
pub fn default_not_lead_reasons(lang: crate::msg::Lang) -> Vec<String> {
    let list: &[&str] = match lang {
        crate::msg::Lang::Ru => &["Ошиблись номером", "Продают нам", "Спам", "Ищут работу", "Повторное обращение"],
        crate::msg::Lang::En => &["Wrong number", "Selling to us", "Spam", "Job seeker", "Repeat request"],
    };
    list.iter().map(|s| s.to_string()).collect()
}

pub fn template_placeholders(template: &str) -> Result<Vec<String>, Msg> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| R::UnclosedBrace { at: rest[open..].chars().take(20).collect::<String>() })?;
        let name = &after[..close];
        let known = PLACEHOLDERS.contains(&name) || name.strip_prefix("custom.").is_some_and(is_custom_key);
        if !known {
            let mut known: Vec<String> = PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect();
            known.push("{custom.<key>}".into());
            return Err(R::UnknownPlaceholder { name: format!("{{{name}}}"), known }.into());
        }
        out.push(name.to_string());
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(R::StrayBrace {}.into());
    }
    Ok(out)
}

/// Fills a template; `lookup` gives a placeholder's text (empty when the deal has no value).
pub fn render(template: &str, lookup: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push_str(&lookup(&after[..close]));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders of a template that have no value (`lookup` gives empty text), in order.
pub fn missing_placeholders(template: &str, lookup: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if lookup(name).trim().is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
        rest = &after[close + 1..];
    }
    out
}

/// Short words that only make sense before a value: "КП для {org}", "call with {person}".
const LINKING_WORDS: &[&str] = &[
    "для", "с", "со", "в", "во", "по", "от", "до", "из", "на", "у", "к", "ко", "о", "об", "обо", "при", "за", "про", "и", "for", "to",
    "with", "at", "by", "from", "of", "in", "on", "and", "until", "till",
];

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '—' | '–' | '-' | ',' | ':' | ';' | '/' | '|' | '·' | '(' | '«' | '"' | '№' | '#')
}

/// Cuts what stood only for a missing value off the end of `text`: separators, then linking
/// words ("для", "до", "with"), repeatedly.
fn trim_dangling_tail(text: &mut String) {
    loop {
        let trimmed = text.trim_end_matches(is_separator).len();
        text.truncate(trimmed);
        let word_start = text.rfind(is_separator).map_or(0, |i| i + text[i..].chars().next().map_or(1, char::len_utf8));
        let word = text[word_start..].to_lowercase();
        if word.is_empty() || !LINKING_WORDS.contains(&word.as_str()) {
            return;
        }
        text.truncate(word_start);
    }
}

/// Fills a template, leaving a placeholder without a value out cleanly: the separators and the
/// linking word that led to it go with it ("Подготовить КП для {org}" without an organization
/// reads "Подготовить КП"), so a task never reads "…для ".
pub fn render_without_missing(template: &str, lookup: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    let mut left_out = false;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let value = lookup(&after[..close]);
                if value.trim().is_empty() {
                    left_out = true;
                    let before = out.len();
                    let opened = |out: &str, c: char| out.matches(c).count();
                    let (parens, quotes) = (opened(&out, '('), opened(&out, '«'));
                    trim_dangling_tail(&mut out);
                    let mut next = &after[close + 1..];
                    // A bracket opened only for the missing value closes with it.
                    if out.len() < before && opened(&out, '(') < parens {
                        next = next.strip_prefix(')').unwrap_or(next);
                    }
                    if out.len() < before && opened(&out, '«') < quotes {
                        next = next.strip_prefix('»').unwrap_or(next);
                    }
                    // Nothing before it: the text after must not start with its separator.
                    rest = if out.is_empty() { next.trim_start_matches(is_separator) } else { next };
                    continue;
                } else {
                    out.push_str(&value);
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    if left_out {
        trim_dangling_tail(&mut out);
    }
    out.trim().to_string()
}

fn working_time(v: Option<&Value>, path: &str) -> Result<WorkingTime, FieldError> {
    let obj = v.and_then(Value::as_object).ok_or_else(|| err(path, R::DurationShape {}))?;
    let amount = obj.get("amount").and_then(Value::as_i64).ok_or_else(|| err(&format!("{path}.amount"), Common::NotInteger {}))?;
    if amount <= 0 {
        return Err(err(&format!("{path}.amount"), Common::Positive {}));
    }
    if amount > 100_000 {
        return Err(err(&format!("{path}.amount"), Common::AtMost { n: 100_000 }));
    }
    let unit = obj
        .get("unit")
        .and_then(Value::as_str)
        .and_then(TimeUnit::parse)
        .ok_or_else(|| err(&format!("{path}.unit"), Common::OneOf { list: words(["minutes", "hours", "days"]) }))?;
    Ok(WorkingTime { amount, unit })
}

fn text_of(obj: &Map<String, Value>, key: &str, path: &str, max: usize, required: bool) -> Result<String, FieldError> {
    match obj.get(key) {
        None | Some(Value::Null) if !required => Ok(String::new()),
        Some(Value::String(s)) if !s.trim().is_empty() || !required => {
            if s.chars().count() > max {
                return Err(err(path, Common::TooLong { max: max as i64 }));
            }
            template_placeholders(s).map_err(|m| err(path, m))?;
            Ok(s.trim().to_string())
        }
        _ => Err(err(path, if required { Msg::from(Common::Required {}) } else { Common::NotString {}.into() })),
    }
}

impl StageRegulation {
    pub fn is_empty(&self) -> bool {
        *self == StageRegulation::default()
    }

    /// Parses and checks a stage's regulation; errors name the part (`regulation.entry_tasks.0.subject`).
    pub fn parse(v: &Value) -> Result<StageRegulation, FieldError> {
        let obj = v.as_object().ok_or_else(|| FieldError::new("regulation", Common::NotObject {}))?;
        const KEYS: &[&str] = &["required_fields", "required_files", "naming", "entry_tasks", "sla", "sla_clock"];
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(err(k, Common::UnknownKey { expected: words(KEYS) }));
        }
        let mut r = StageRegulation::default();
        if let Some(list) = obj.get("required_fields").filter(|v| !v.is_null()) {
            for (i, f) in list.as_array().ok_or_else(|| err("required_fields", Common::NotList {}))?.iter().enumerate() {
                let name = f.as_str().unwrap_or("");
                let ok = REQUIRABLE.contains(&name) || name.strip_prefix("custom.").is_some_and(is_custom_key);
                if !ok {
                    let mut choices = words(REQUIRABLE);
                    choices.push("custom.<key>".into());
                    return Err(err(&format!("required_fields.{i}"), R::NotRequirable { name: name.to_string(), choices }));
                }
                if !r.required_fields.iter().any(|x| x == name) {
                    r.required_fields.push(name.to_string());
                }
            }
        }
        if let Some(list) = obj.get("required_files").filter(|v| !v.is_null()) {
            for (i, k) in list.as_array().ok_or_else(|| err("required_files", Common::NotList {}))?.iter().enumerate() {
                let kind = crate::files::FileKind::parse(k.as_str().unwrap_or("")).map_err(|m| err(&format!("required_files.{i}"), m))?;
                if !r.required_files.iter().any(|x| x == kind.as_str()) {
                    r.required_files.push(kind.as_str().to_string());
                }
            }
        }
        if let Some(n) = obj.get("naming").filter(|v| !v.is_null()) {
            let n = n.as_object().ok_or_else(|| err("naming", R::NamingShape {}))?;
            let template = text_of(n, "template", "naming.template", 255, true)?;
            let mode = match n.get("mode").and_then(Value::as_str).unwrap_or("apply") {
                "apply" => NamingMode::Apply,
                "check" => NamingMode::Check,
                _ => return Err(err("naming.mode", Common::OneOf { list: words(["apply", "check"]) })),
            };
            r.naming = Some(Naming { template, mode });
        }
        if let Some(tasks) = obj.get("entry_tasks").filter(|v| !v.is_null()) {
            let tasks = tasks.as_array().ok_or_else(|| err("entry_tasks", Common::NotList {}))?;
            if tasks.len() > 20 {
                return Err(err("entry_tasks", R::MaxTasks { n: 20 }));
            }
            for (i, t) in tasks.iter().enumerate() {
                let p = |k: &str| format!("entry_tasks.{i}.{k}");
                let t = t.as_object().ok_or_else(|| err(&format!("entry_tasks.{i}"), Common::NotObject {}))?;
                let kind = t.get("type").and_then(Value::as_str).unwrap_or("task");
                let kind = ActivityType::parse(kind).ok_or_else(|| err(&p("type"), Common::OneOf { list: words(ActivityType::ALL) }))?;
                let assignee = match t.get("assignee").and_then(Value::as_str).unwrap_or("owner") {
                    "owner" => Assignee::Owner,
                    "head" => Assignee::Head,
                    other => match other.strip_prefix("participant:") {
                        Some(role) if is_custom_key(role) => Assignee::Participant(role.to_string()),
                        _ => return Err(err(&p("assignee"), R::AssigneeShape {})),
                    },
                };
                r.entry_tasks.push(TaskTemplate {
                    kind,
                    subject: text_of(t, "subject", &p("subject"), 255, true)?,
                    description: text_of(t, "description", &p("description"), 10_000, false)?,
                    due: working_time(t.get("due"), &p("due"))?,
                    assignee,
                });
            }
        }
        if let Some(s) = obj.get("sla").filter(|v| !v.is_null()) {
            r.sla = Some(working_time(Some(s), "sla")?);
        }
        if let Some(c) = obj.get("sla_clock").filter(|v| !v.is_null()) {
            r.sla_clock =
                c.as_str().and_then(SlaClock::parse).ok_or_else(|| err("sla_clock", Common::OneOf { list: words(SlaClock::ALL) }))?;
        }
        Ok(r)
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "required_fields": self.required_fields,
            "required_files": self.required_files,
            "naming": self.naming.as_ref().map(|n| json!({"template": n.template, "mode": match n.mode { NamingMode::Apply => "apply", NamingMode::Check => "check" }})),
            "entry_tasks": self.entry_tasks.iter().map(|t| json!({
                "type": t.kind.as_str(), "subject": t.subject, "description": t.description, "due": t.due.to_json(),
                "assignee": match &t.assignee { Assignee::Owner => "owner".to_string(), Assignee::Head => "head".to_string(), Assignee::Participant(r) => format!("participant:{r}") },
            })).collect::<Vec<_>>(),
            "sla": self.sla.map(WorkingTime::to_json),
        });
        // Only a clock other than the default is written, so a regulation without one reads as before.
        if self.sla_clock != SlaClock::BusinessHours {
            v["sla_clock"] = json!(self.sla_clock.as_str());
        }
        v
    }

    /// Every `custom.<key>` the regulation names (required fields and placeholders), for the
    /// store to check against the workspace's custom fields.
    pub fn custom_keys(&self) -> Vec<String> {
        let mut texts: Vec<&str> = self.naming.iter().map(|n| n.template.as_str()).collect();
        for t in &self.entry_tasks {
            texts.push(&t.subject);
            texts.push(&t.description);
        }
        let mut keys: Vec<String> = self.required_fields.iter().filter_map(|f| f.strip_prefix("custom.")).map(str::to_string).collect();
        for t in texts {
            keys.extend(template_placeholders(t).unwrap_or_default().iter().filter_map(|p| p.strip_prefix("custom.")).map(str::to_string));
        }
        keys.sort();
        keys.dedup();
        keys
    }
}

/// How far a role may move deals in a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRange {
    pub role: Role,
    pub up_to_stage_id: i64,
}

/// Parses a pipeline's role ranges; the store checks that each stage is in the pipeline.
pub fn parse_role_ranges(v: &Value) -> Result<Vec<RoleRange>, FieldError> {
    let e = |i: usize, k: &str, m: Msg| FieldError::new(format!("role_ranges.{i}.{k}"), m);
    let list = v.as_array().ok_or_else(|| FieldError::new("role_ranges", R::RoleRangesShape {}))?;
    let mut out: Vec<RoleRange> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let role = item
            .get("role")
            .and_then(Value::as_str)
            .and_then(Role::parse)
            .ok_or_else(|| e(i, "role", Common::OneOf { list: words(Role::ALL) }.into()))?;
        if matches!(role, Role::Admin | Role::Head) {
            return Err(e(i, "role", R::RoleUnlimited {}.into()));
        }
        if out.iter().any(|r| r.role == role) {
            return Err(e(i, "role", Common::ListedTwice {}.into()));
        }
        let stage = item
            .get("up_to_stage_id")
            .and_then(Value::as_i64)
            .filter(|s| *s > 0)
            .ok_or_else(|| e(i, "up_to_stage_id", Common::IdOf { what: "stage".into() }.into()))?;
        out.push(RoleRange { role, up_to_stage_id: stage });
    }
    Ok(out)
}

pub fn role_ranges_json(ranges: &[RoleRange]) -> Value {
    Value::Array(ranges.iter().map(|r| json!({"role": r.role.as_str(), "up_to_stage_id": r.up_to_stage_id})).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_without_a_value_is_left_out_with_the_words_that_led_to_it() {
        let deal = |k: &str| match k {
            "title" => "заявка с сайта".to_string(),
            "person" => "Анна Петрова".to_string(),
            _ => String::new(),
        };
        assert_eq!(render_without_missing("Подготовить КП для {org}", &deal), "Подготовить КП");
        assert_eq!(render_without_missing("Созвониться с {person}", &deal), "Созвониться с Анна Петрова");
        assert_eq!(render_without_missing("{org} — сайт — до {expected_close_date}", &deal), "сайт");
        assert_eq!(render_without_missing("{title} — {org} — до {expected_close_date}", &deal), "заявка с сайта");
        assert_eq!(render_without_missing("Бриф ({org}): {title}", &deal), "Бриф: заявка с сайта");
        assert_eq!(render_without_missing("Call with {org}, then {person}", &deal), "Call, then Анна Петрова");
        assert_eq!(missing_placeholders("{org} — {title} — до {expected_close_date}", &deal), ["org", "expected_close_date"]);
        assert!(missing_placeholders("{title}", &deal).is_empty());
    }

    #[test]
    fn a_full_regulation_round_trips() {
        let v = json!({
            "required_fields": ["value", "custom.proposal_link", "value"],
            "naming": {"template": "{org} — {custom.product} — до {expected_close_date}", "mode": "apply"},
            "entry_tasks": [{"type": "task", "subject": "Подготовить КП для {org}", "description": "Бриф получен: {title}",
                             "due": {"amount": 1, "unit": "days"}, "assignee": "participant:consultant"}],
            "sla": {"amount": 1, "unit": "hours"},
        });
        let r = StageRegulation::parse(&v).unwrap();
        assert_eq!(r.required_fields, vec!["value", "custom.proposal_link"]);
        assert_eq!(r.sla.and_then(WorkingTime::minutes), Some(60));
        assert_eq!(r.entry_tasks[0].assignee, Assignee::Participant("consultant".into()));
        assert_eq!(StageRegulation::parse(&r.to_json()).unwrap(), r);
        assert_eq!(r.custom_keys(), vec!["product", "proposal_link"]);
    }

    #[test]
    fn bad_regulations_name_the_part() {
        let field = |v: Value| StageRegulation::parse(&v).unwrap_err().field;
        assert_eq!(field(json!({"naming": {"template": "{org} — {budget}"}})), "regulation.naming.template");
        assert_eq!(field(json!({"sla": {"amount": 0, "unit": "hours"}})), "regulation.sla.amount");
        assert_eq!(field(json!({"sla": {"amount": -5, "unit": "hours"}})), "regulation.sla.amount");
        assert_eq!(field(json!({"sla": {"amount": 1, "unit": "weeks"}})), "regulation.sla.unit");
        assert_eq!(field(json!({"required_fields": ["title", "bogus"]})), "regulation.required_fields.0");
        assert_eq!(
            field(json!({"entry_tasks": [{"subject": "", "due": {"amount": 1, "unit": "days"}}]})),
            "regulation.entry_tasks.0.subject"
        );
        assert_eq!(
            field(json!({"entry_tasks": [{"subject": "x", "due": {"amount": 1, "unit": "days"}, "assignee": "boss"}]})),
            "regulation.entry_tasks.0.assignee"
        );
        assert_eq!(field(json!({"gates": []})), "regulation.gates");
        assert_eq!(field(json!({"required_files": ["signed_contract", "Скан"]})), "regulation.required_files.1");
        let files = StageRegulation::parse(&json!({"required_files": ["signed_contract", "signed_contract"]})).unwrap();
        assert_eq!(files.required_files, vec!["signed_contract"]);
        assert_eq!(StageRegulation::parse(&files.to_json()).unwrap(), files);
        let msg = StageRegulation::parse(&json!({"naming": {"template": "{org} — {budget}"}})).unwrap_err().message();
        assert!(msg.contains("{budget}") && msg.contains("{org}"), "{msg}");
    }

    #[test]
    fn templates_fill_known_values_and_leave_text_alone() {
        let lookup = |k: &str| match k {
            "org" => "ООО Ромашка".to_string(),
            "expected_close_date" => "01.12.2026".to_string(),
            _ => String::new(),
        };
        assert_eq!(render("{org} — сайт — до {expected_close_date}", &lookup), "ООО Ромашка — сайт — до 01.12.2026");
        assert_eq!(template_placeholders("без подстановок").unwrap(), Vec::<String>::new());
        assert!(template_placeholders("{org").is_err() && template_placeholders("org}").is_err());
    }

    #[test]
    fn role_ranges_are_checked() {
        let r = parse_role_ranges(&json!([{"role": "manager", "up_to_stage_id": 3}])).unwrap();
        assert_eq!(r, vec![RoleRange { role: Role::Manager, up_to_stage_id: 3 }]);
        assert_eq!(parse_role_ranges(&json!([{"role": "head", "up_to_stage_id": 3}])).unwrap_err().field, "role_ranges.0.role");
        assert_eq!(parse_role_ranges(&json!([{"role": "manager"}])).unwrap_err().field, "role_ranges.0.up_to_stage_id");
        assert_eq!(role_ranges_json(&r), json!([{"role": "manager", "up_to_stage_id": 3}]));
    }
}

//! The regulation of a workspace as one human-readable TOML file with stable keys.
//!
//! Everything the CRM enforces — workspace calendar and closing reasons, custom fields, pipelines
//! with their stages (goal, probability, rotting, SLA, required fields, naming, entry tasks, role
//! ranges), hygiene rules with their FAQ, message templates — is one [`RegulationFile`]. Items are
//! named by keys an integrator chooses (`sales`, `proposal_sent`), never by database ids, so a
//! file exported from one workspace applies to another. Pure: parsing ([`parse`]), checking the
//! file's own references and shapes ([`RegulationFile::check`]) and the typed difference of two
//! files ([`diff`]); the store exports, plans and applies.
use crate::calendar::BusinessHours;
use crate::domain::{CustomFieldType, Role};
use crate::error::FieldError;
use crate::msg::{words, Common, Msg, RegFileMsg as F};
use crate::regulation::StageRegulation;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

/// The file format this version reads and writes.
pub const FORMAT: i64 = 1;

fn format_one() -> i64 {
    FORMAT
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn owner() -> String {
    "owner".into()
}
fn is_owner(s: &String) -> bool {
    s == "owner"
}
fn one() -> i64 {
    1
}

/// The whole regulation of a workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegulationFile {
    /// Always 1 for now.
    #[serde(default = "format_one")]
    pub format: i64,
    #[serde(default)]
    pub workspace: WorkspaceSpec,
    /// Custom fields of deals, persons, organizations and activities (`[[field]]`).
    #[serde(default, rename = "field", skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldSpec>,
    /// Pipelines with their stages, in display order (`[[pipeline]]`, `[[pipeline.stage]]`).
    #[serde(default, rename = "pipeline", skip_serializing_if = "Vec::is_empty")]
    pub pipelines: Vec<PipelineSpec>,
    /// Hygiene rules with their FAQ (`[[rule]]`).
    #[serde(default, rename = "rule", skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleSpec>,
    /// Message templates (`[[template]]`).
    #[serde(default, rename = "template", skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<TemplateSpec>,
    /// Knowledge-base articles (`[[articles]]`, [`crate::kb::ArticleSpec`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub articles: Vec<crate::kb::ArticleSpec>,
    /// Quizzes (`[[quizzes]]`, [`crate::quiz::QuizSpec`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quizzes: Vec<crate::quiz::QuizSpec>,
    /// The assistants' switches and settings (`[[assistant]]`, `[assistant.settings]`).
    #[serde(default, rename = "assistant", skip_serializing_if = "Vec::is_empty")]
    pub assistants: Vec<AssistantSpec>,
    /// The call-review scorecard (`[scorecard]`, `[[scorecard.criterion]]`). Absent: the
    /// workspace's scorecard is left as it is (a scorecard is versioned, never removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scorecard: Option<ScorecardSpec>,
    /// Which calls are drawn for review each week (`[review_sampling]`). Absent: the
    /// workspace's sampling settings are left as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_sampling: Option<ReviewSamplingSpec>,
}

/// The call-review sampling settings: per manager and direction the share of the answered calls
/// at least `min_seconds` long, drawn in the order `seed` gives; `lost_deals` adds every answered
/// call of a lost deal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewSamplingSpec {
    /// Percent of the inbound calls, 0–100.
    pub inbound_pct: f64,
    /// Percent of the outbound calls, 0–100.
    pub outbound_pct: f64,
    /// Calls shorter than this (seconds, 0–36000) are not drawn.
    pub min_seconds: i64,
    /// The draw's seed: the same seed draws the same calls of a week.
    pub seed: i64,
    #[serde(default)]
    pub lost_deals: bool,
}

impl ReviewSamplingSpec {
    /// The first refusal of a value: `(field, message)`.
    pub fn check(&self) -> Result<(), FieldError> {
        let pct = |v: f64, f: &str| crate::review::parse_pct(&json!(v), f).map(|_| ());
        pct(self.inbound_pct, "inbound_pct")?;
        pct(self.outbound_pct, "outbound_pct")?;
        if !(0..=36_000).contains(&self.min_seconds) {
            return Err(FieldError::new("min_seconds", crate::msg::ReviewMsg::MinSeconds {}));
        }
        Ok(())
    }
}

impl Default for RegulationFile {
    fn default() -> Self {
        RegulationFile {
            format: FORMAT,
            workspace: WorkspaceSpec::default(),
            fields: Vec::new(),
            pipelines: Vec::new(),
            rules: Vec::new(),
            templates: Vec::new(),
            articles: Vec::new(),
            quizzes: Vec::new(),
            assistants: Vec::new(),
            scorecard: None,
            review_sampling: None,
        }
    }
}

/// An assistant: whether it runs, and its settings ([`crate::assistants::check_settings`]); the
/// file names it by its fixed name (`forgotten`, `release`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistantSpec {
    pub name: String,
    #[serde(default)]
    pub enabled: bool,
    /// A table of settings; what is left out takes its default.
    #[serde(default = "empty_object")]
    pub settings: Json,
}

fn empty_object() -> Json {
    json!({})
}

/// The call-review scorecard: its name and criteria (see [`crate::review::parse_criteria`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardSpec {
    pub name: String,
    #[serde(default, rename = "criterion")]
    pub criteria: Vec<CriterionSpec>,
}

/// One criterion of the scorecard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionSpec {
    pub key: String,
    /// The call's step: `contact`, `needs`, `presentation`, `objections`, `next_step`.
    pub step: String,
    pub title: String,
    /// The points a reviewer may give (default 0, 1, 2).
    #[serde(default = "zero_one_two")]
    pub points: Vec<i64>,
    #[serde(default = "one")]
    pub weight: i64,
    /// Zero points on it zero the whole call.
    #[serde(default, skip_serializing_if = "is_false")]
    pub critical: bool,
}

fn zero_one_two() -> Vec<i64> {
    vec![0, 1, 2]
}
fn is_false(b: &bool) -> bool {
    !*b
}

impl ScorecardSpec {
    /// The criteria as the scorecard stores them.
    pub fn criteria_json(&self) -> Json {
        Json::Array(
            self.criteria
                .iter()
                .map(|c| json!({"key": c.key, "step": c.step, "title": c.title, "points": c.points, "weight": c.weight, "critical": c.critical}))
                .collect(),
        )
    }

    /// The file form of stored criteria.
    pub fn from_criteria(name: &str, criteria: &[crate::review::Criterion]) -> ScorecardSpec {
        ScorecardSpec {
            name: name.to_string(),
            criteria: criteria
                .iter()
                .map(|c| CriterionSpec {
                    key: c.key.clone(),
                    step: c.step.clone(),
                    title: c.title.clone(),
                    points: c.points.clone(),
                    weight: c.weight,
                    critical: c.critical,
                })
                .collect(),
        }
    }
}

/// Workspace-wide settings of the regulation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_hours: Option<HoursSpec>,
    /// Why deals are lost / frozen / not a lead, as the closing dialogs offer them.
    #[serde(default)]
    pub lost_reasons: Vec<String>,
    #[serde(default)]
    pub frozen_reasons: Vec<String>,
    #[serde(default)]
    pub not_lead_reasons: Vec<String>,
}

/// Working days and hours (the SLA and task deadlines count in them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursSpec {
    /// ISO weekdays, 1 = Monday … 7 = Sunday.
    pub days: Vec<u8>,
    /// One working interval (`"09:00"`–`"18:00"`) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// … or several (`[["09:00", "13:00"], ["14:00", "18:00"]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<[String; 2]>,
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub workdays: Vec<String>,
}

/// A custom field definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// `deal`, `person`, `organization` or `activity`.
    pub entity: String,
    pub key: String,
    pub label: String,
    /// One of the custom field types (`text`, `number`, `money`, `enum`, …).
    #[serde(rename = "type")]
    pub field_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// A pipeline with its stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    pub key: String,
    pub name: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub active: bool,
    /// What winning a deal needs: deal fields, `custom.<key>`, `file.<kind>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub won_required_fields: Vec<String>,
    /// How far each role may move deals (`[[pipeline.role_range]]`).
    #[serde(default, rename = "role_range", skip_serializing_if = "Vec::is_empty")]
    pub role_ranges: Vec<RoleRangeSpec>,
    #[serde(default, rename = "stage")]
    pub stages: Vec<StageSpec>,
    /// The bonus split by role (`[pipeline.bonus]`); none: the pipeline pays no bonus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bonus: Option<BonusSpec>,
}

/// A pipeline's bonus split as the file writes it: the basis and each role's share in percent
/// (a number, up to two decimals; a role left out has no share).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BonusSpec {
    #[serde(default = "revenue")]
    pub basis: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consultant: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<Json>,
}

fn revenue() -> String {
    crate::bonus::Basis::Revenue.as_str().to_string()
}

impl BonusSpec {
    /// The split, checked as the settings page checks it (`field` is relative: `shares.head`).
    pub fn split(&self) -> Result<crate::bonus::Split, FieldError> {
        crate::bonus::Split::parse(&json!({
            "basis": self.basis,
            "shares": {"manager": self.manager, "consultant": self.consultant, "head": self.head},
        }))
    }

    /// The file form of a stored split: whole percents as integers, others with their decimals.
    pub fn of(split: &crate::bonus::Split) -> BonusSpec {
        let pct = |bp: i64| -> Option<Json> {
            match bp {
                0 => None,
                bp if bp % 100 == 0 => Some(json!(bp / 100)),
                bp => Some(json!(bp as f64 / 100.0)),
            }
        };
        BonusSpec {
            basis: split.basis.as_str().to_string(),
            manager: pct(split.manager_bp),
            consultant: pct(split.consultant_bp),
            head: pct(split.head_bp),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRangeSpec {
    pub role: String,
    /// The key of the last stage of this pipeline the role may move deals to.
    pub up_to_stage: String,
}

/// A stage and its regulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    pub key: String,
    pub name: String,
    /// The exit criterion: the objective result that ends the stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotting_days: Option<i64>,
    /// How long a deal may wait here, in working time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<DurationSpec>,
    /// Whose hours the SLA runs on: `business_hours` (the default, not written) or `owner_shift`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_clock: Option<String>,
    /// Fields to fill before entering: deal fields or `custom.<key>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_fields: Vec<String>,
    /// Kinds of file to attach before entering (`signed_contract`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub naming: Option<NamingSpec>,
    /// Tasks created when a deal enters (`[[pipeline.stage.entry_task]]`).
    #[serde(default, rename = "entry_task", skip_serializing_if = "Vec::is_empty")]
    pub entry_tasks: Vec<EntryTaskSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationSpec {
    pub amount: i64,
    /// `minutes`, `hours` or `days` (working time).
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamingSpec {
    /// `{placeholder}`s: title, org, person, value, owner, stage, pipeline, custom.<key>, …
    pub template: String,
    /// `apply` (rewrite the title) or `check` (report a mismatch).
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryTaskSpec {
    /// Activity type (`task`, `call`, `meeting`, …).
    #[serde(rename = "type")]
    pub kind: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub due: DurationSpec,
    /// `owner`, `head` or `participant:<role>`.
    #[serde(default = "owner", skip_serializing_if = "is_owner")]
    pub assignee: String,
}

/// A hygiene rule: a filter expression with its why and how to fix it (the FAQ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub key: String,
    pub name: String,
    /// `deal`, `person` or `organization`.
    pub entity: String,
    /// A filter expression (stages and fields by name, never by id).
    pub expression: String,
    /// 1 critical, 2 important.
    #[serde(default = "one")]
    pub criticality: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// `owner` or a role.
    #[serde(default = "owner", skip_serializing_if = "is_owner")]
    pub responsible: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

/// A message template (e-mail, SMS, messenger).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSpec {
    pub key: String,
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
}

/// A mistake in a file: where (line, when known, and the item's path) and what (a catalogue message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// 1-based line of the file.
    pub line: Option<usize>,
    /// The item and its field: `pipeline.sales.stage.kp.required_fields`.
    pub path: String,
    pub msg: Msg,
}

impl FileError {
    fn new(line: Option<usize>, path: impl Into<String>, msg: impl Into<Msg>) -> Self {
        FileError { line, path: path.into(), msg: msg.into() }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}: {}", self.path, self.msg),
            None => write!(f, "{}: {}", self.path, self.msg),
        }
    }
}

/// The line of the item a path names (`pipeline.sales.stage.kp.required_fields`,
/// `rule.no_task.expression`, `field.budget.label`, `workspace.timezone`) in `src`.
pub fn line_of_path(src: &str, path: &str) -> Option<usize> {
    let lines = Lines { src: Some(src) };
    let seg: Vec<&str> = path.split('.').collect();
    let section = |header: &str| lines.of_table(header, 0).map(|l| l - 1);
    match seg.as_slice() {
        ["pipeline", p, "stage", s, ..] => {
            let pl = lines.of_key(p, section("[[pipeline]]"));
            lines.of_key(s, pl).or(pl)
        }
        ["pipeline", p, ..] => lines.of_key(p, section("[[pipeline]]")),
        ["field", k, ..] => lines.of_key(k, section("[[field]]")),
        ["rule", k, ..] => lines.of_key(k, section("[[rule]]")),
        ["template", k, ..] => lines.of_key(k, section("[[template]]")),
        ["articles", i, ..] => lines.of_table("[[articles]]", i.parse().ok()?),
        ["quizzes", i, ..] => lines.of_table("[[quizzes]]", i.parse().ok()?),
        ["assistant", name, "settings", k, ..] => {
            let at = lines.of_value("name", name, "[[assistant]]")?;
            lines.of_setting(k, at).or(Some(at))
        }
        ["assistant", name, ..] => lines.of_value("name", name, "[[assistant]]"),
        ["scorecard", "criteria", i, ..] => lines.of_table("[[scorecard.criterion]]", i.parse().ok()?).or(lines.of_table("[scorecard]", 0)),
        ["scorecard", ..] => lines.of_table("[scorecard]", 0),
        ["review_sampling", k, ..] => {
            lines.of_setting(k, lines.of_table("[review_sampling]", 0)?).or(lines.of_table("[review_sampling]", 0))
        }
        ["review_sampling"] => lines.of_table("[review_sampling]", 0),
        ["workspace", "business_hours", ..] => lines.of_table("[workspace.business_hours]", 0).or(lines.of_table("[workspace]", 0)),
        ["workspace", ..] => lines.of_table("[workspace]", 0),
        _ => None,
    }
}

/// The 1-based line of byte offset `at` in `src`.
pub fn line_at(src: &str, at: usize) -> usize {
    src.get(..at.min(src.len())).map_or(1, |s| s.matches('\n').count() + 1)
}

/// Reads a file: syntax and shape errors (an unknown key, a value of the wrong type) come with
/// their line; then [`RegulationFile::check`] checks the file's own references, each error with
/// the line of the item it is about.
pub fn parse(src: &str) -> Result<RegulationFile, Vec<FileError>> {
    let file: RegulationFile = toml::from_str(src).map_err(|e| {
        let line = e.span().map(|s| line_at(src, s.start));
        vec![FileError::new(line, "", F::Syntax { detail: e.message().trim().to_string() })]
    })?;
    file.check(Some(src))?;
    Ok(file.normalized())
}

fn is_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Finds the line of an item in the source: the `key = "…"` line of the `nth` table with that
/// key after line `after` (so a stage is found inside its pipeline).
struct Lines<'a> {
    src: Option<&'a str>,
}

impl Lines<'_> {
    fn of_key(&self, key: &str, after: Option<usize>) -> Option<usize> {
        let src = self.src?;
        let start = after.unwrap_or(0);
        src.lines().enumerate().skip(start).find_map(|(i, l)| {
            let t = l.trim();
            let rest = t.strip_prefix("key")?.trim_start().strip_prefix('=')?.trim();
            let v = rest.trim_matches(|c| c == '"' || c == '\'');
            (v == key).then_some(i + 1)
        })
    }
    fn of_table(&self, header: &str, nth: usize) -> Option<usize> {
        let src = self.src?;
        src.lines().enumerate().filter(|(_, l)| l.trim() == header).nth(nth).map(|(i, _)| i + 1)
    }
}

/// The JSON a stage's regulation is stored as, from its file form.
impl StageSpec {
    /// The stage's regulation, checked exactly as the store keeps and enforces it.
    pub fn regulation(&self) -> Result<StageRegulation, FieldError> {
        StageRegulation::parse(&self.regulation_wire())
    }

    fn regulation_wire(&self) -> Json {
        let s = self;
        let dur = |d: &DurationSpec| json!({"amount": d.amount, "unit": d.unit});
        json!({
            "required_fields": s.required_fields,
            "required_files": s.required_files,
            "naming": s.naming.as_ref().map(|n| json!({"template": n.template, "mode": n.mode})),
            "entry_tasks": s.entry_tasks.iter().map(|t| json!({
                "type": t.kind, "subject": t.subject, "description": t.description, "due": dur(&t.due), "assignee": t.assignee,
            })).collect::<Vec<_>>(),
            "sla": s.sla.as_ref().map(dur),
            "sla_clock": s.sla_clock,
        })
    }
}

/// A stage's file form of its stored regulation (the parts of [`StageSpec`] it holds).
pub fn stage_regulation_spec(r: &StageRegulation, into: &mut StageSpec) {
    let v = r.to_json();
    let dur = |d: &Json| DurationSpec {
        amount: d.get("amount").and_then(Json::as_i64).unwrap_or_default(),
        unit: d.get("unit").and_then(Json::as_str).unwrap_or_default().to_string(),
    };
    let s = |v: &Json, k: &str| v.get(k).and_then(Json::as_str).unwrap_or_default().to_string();
    into.required_fields = r.required_fields.clone();
    into.required_files = r.required_files.clone();
    into.naming = v.get("naming").filter(|n| !n.is_null()).map(|n| NamingSpec { template: s(n, "template"), mode: s(n, "mode") });
    into.entry_tasks = v
        .get("entry_tasks")
        .and_then(Json::as_array)
        .map(|l| {
            l.iter()
                .map(|t| EntryTaskSpec {
                    kind: s(t, "type"),
                    subject: s(t, "subject"),
                    description: s(t, "description"),
                    due: dur(&t["due"]),
                    assignee: s(t, "assignee"),
                })
                .collect()
        })
        .unwrap_or_default();
    into.sla = v.get("sla").filter(|d| !d.is_null()).map(dur);
    into.sla_clock = (r.sla_clock != crate::regulation::SlaClock::BusinessHours).then(|| r.sla_clock.as_str().to_string());
}

/// The JSON the business hours are stored as.
impl HoursSpec {
    /// The business hours, checked exactly as the workspace keeps them.
    pub fn business_hours(&self) -> Result<BusinessHours, FieldError> {
        BusinessHours::parse(&self.wire())
    }

    fn wire(&self) -> Json {
        let h = self;
        let mut v = json!({"days": h.days, "holidays": h.holidays, "workdays": h.workdays});
        if let Some(s) = &h.start {
            v["start"] = json!(s);
        }
        if let Some(e) = &h.end {
            v["end"] = json!(e);
        }
        if !h.hours.is_empty() {
            v["hours"] = json!(h.hours);
        }
        v
    }
}

/// The file form of stored business hours.
pub fn hours_spec(h: &BusinessHours) -> HoursSpec {
    let v = h.to_json();
    let list = |k: &str| -> Vec<String> {
        v.get(k).and_then(Json::as_array).map(|l| l.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
    };
    HoursSpec {
        days: h.days.clone(),
        start: v.get("start").and_then(Json::as_str).map(str::to_string),
        end: v.get("end").and_then(Json::as_str).map(str::to_string),
        hours: v
            .get("hours")
            .and_then(Json::as_array)
            .map(|l| {
                l.iter().map(|p| [p[0].as_str().unwrap_or_default().to_string(), p[1].as_str().unwrap_or_default().to_string()]).collect()
            })
            .unwrap_or_default(),
        holidays: list("holidays"),
        workdays: list("workdays"),
    }
}

impl RegulationFile {
    /// The file as TOML; [`parse`] of it gives back an equal file.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// The file with the assistants' settings completed from their defaults and the scorecard's
    /// criteria as they are stored (points in order), so a file compares equal to its export.
    /// Only for a file that passed [`RegulationFile::check`].
    pub fn normalized(mut self) -> RegulationFile {
        for a in &mut self.assistants {
            if let Ok(s) = crate::assistants::check_settings(&a.name, &a.settings) {
                a.settings = s;
            }
        }
        if let Some(card) = &mut self.scorecard {
            if let Ok(c) = crate::review::parse_criteria(&card.criteria_json()) {
                *card = ScorecardSpec::from_criteria(card.name.trim(), &c);
            }
        }
        // Shares are kept to a hundredth of a percent.
        if let Some(r) = &mut self.review_sampling {
            r.inbound_pct = (r.inbound_pct * 100.0).round() / 100.0;
            r.outbound_pct = (r.outbound_pct * 100.0).round() / 100.0;
        }
        self
    }

    /// The deal custom field keys the file defines.
    fn deal_fields(&self) -> Vec<&str> {
        self.fields.iter().filter(|f| f.entity == "deal").map(|f| f.key.as_str()).collect()
    }

    /// Checks shapes and references inside the file; `src` (the text it was read from) gives the
    /// errors their lines. All errors are returned, not just the first.
    pub fn check(&self, src: Option<&str>) -> Result<(), Vec<FileError>> {
        let lines = Lines { src };
        let mut errs: Vec<FileError> = Vec::new();
        if self.format != FORMAT {
            errs.push(FileError::new(lines.of_key_line("format"), "format", F::Format { found: self.format }));
        }
        self.check_workspace(&lines, &mut errs);
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            let line = lines.of_table("[[field]]", i);
            let p = |k: &str| format!("field.{}.{k}", f.key);
            if !is_key(&f.key) {
                errs.push(FileError::new(line, p("key"), Common::NotIdentifierKey {}));
            }
            if seen.contains(&(f.entity.as_str(), f.key.as_str())) {
                errs.push(FileError::new(line, p("key"), F::KeyTwice { key: f.key.clone() }));
            }
            seen.push((&f.entity, &f.key));
            if !crate::schema::CUSTOM_FIELD_ENTITIES.contains(&f.entity.as_str()) {
                errs.push(FileError::new(line, p("entity"), Common::OneOf { list: words(crate::schema::CUSTOM_FIELD_ENTITIES) }));
            }
            if CustomFieldType::parse(&f.field_type).is_none() {
                errs.push(FileError::new(line, p("type"), Common::OneOf { list: words(CustomFieldType::ALL) }));
            }
            if f.label.trim().is_empty() {
                errs.push(FileError::new(line, p("label"), Common::Required {}));
            }
        }
        let deal_fields = self.deal_fields();
        let custom_ok = |name: &str| name.strip_prefix("custom.").is_none_or(|k| deal_fields.contains(&k));
        let mut pkeys: Vec<&str> = Vec::new();
        for p in &self.pipelines {
            let pline = lines.of_key(&p.key, None);
            let path = |k: &str| format!("pipeline.{}.{k}", p.key);
            if !is_key(&p.key) {
                errs.push(FileError::new(pline, path("key"), Common::NotIdentifierKey {}));
            }
            if pkeys.contains(&p.key.as_str()) {
                errs.push(FileError::new(pline, path("key"), F::KeyTwice { key: p.key.clone() }));
            }
            pkeys.push(&p.key);
            if p.name.trim().is_empty() {
                errs.push(FileError::new(pline, path("name"), Common::Required {}));
            }
            if let Some(Err(e)) = p.bonus.as_ref().map(BonusSpec::split) {
                let line = lines.of_key(&p.key, None);
                errs.push(FileError::new(line, path(&format!("bonus.{}", e.field.strip_prefix("shares.").unwrap_or(&e.field))), *e.msg));
            }
            for w in &p.won_required_fields {
                if !custom_ok(w) {
                    errs.push(FileError::new(pline, path("won_required_fields"), F::NoField { name: w.clone() }));
                }
            }
            let mut skeys: Vec<&str> = Vec::new();
            for s in &p.stages {
                let sline = lines.of_key(&s.key, pline);
                let spath = |k: &str| format!("pipeline.{}.stage.{}.{k}", p.key, s.key);
                if !is_key(&s.key) {
                    errs.push(FileError::new(sline, spath("key"), Common::NotIdentifierKey {}));
                }
                if skeys.contains(&s.key.as_str()) {
                    errs.push(FileError::new(sline, spath("key"), F::KeyTwice { key: s.key.clone() }));
                }
                skeys.push(&s.key);
                if s.name.trim().is_empty() {
                    errs.push(FileError::new(sline, spath("name"), Common::Required {}));
                }
                if s.probability.is_some_and(|v| !(0..=100).contains(&v)) {
                    errs.push(FileError::new(sline, spath("probability"), Common::Between { min: 0, max: 100 }));
                }
                if s.rotting_days.is_some_and(|v| !(0..=3650).contains(&v)) {
                    errs.push(FileError::new(sline, spath("rotting_days"), Common::Between { min: 0, max: 3650 }));
                }
                if let Err(e) = s.regulation() {
                    let sub = e.field.strip_prefix("regulation.").unwrap_or(&e.field).to_string();
                    errs.push(FileError::new(sline, spath(&sub), *e.msg));
                }
                for r in &s.required_fields {
                    if !custom_ok(r) {
                        errs.push(FileError::new(sline, spath("required_fields"), F::NoField { name: r.clone() }));
                    }
                }
            }
            let mut roles: Vec<&str> = Vec::new();
            for (i, r) in p.role_ranges.iter().enumerate() {
                let rpath = format!("pipeline.{}.role_range.{i}", p.key);
                match Role::parse(&r.role) {
                    Some(Role::Admin | Role::Head) => {
                        errs.push(FileError::new(pline, format!("{rpath}.role"), crate::msg::RegulationMsg::RoleUnlimited {}))
                    }
                    Some(_) if roles.contains(&r.role.as_str()) => {
                        errs.push(FileError::new(pline, format!("{rpath}.role"), Common::ListedTwice {}))
                    }
                    Some(_) => roles.push(&r.role),
                    None => errs.push(FileError::new(pline, format!("{rpath}.role"), Common::OneOf { list: words(Role::ALL) })),
                }
                if !skeys.contains(&r.up_to_stage.as_str()) {
                    errs.push(FileError::new(pline, format!("{rpath}.up_to_stage"), F::NoStage { key: r.up_to_stage.clone() }));
                }
            }
        }
        let mut rkeys: Vec<&str> = Vec::new();
        for r in &self.rules {
            let line = lines.of_key(&r.key, lines.of_table("[[rule]]", 0).map(|l| l - 1));
            let path = |k: &str| format!("rule.{}.{k}", r.key);
            if !is_key(&r.key) {
                errs.push(FileError::new(line, path("key"), Common::NotIdentifierKey {}));
            }
            if rkeys.contains(&r.key.as_str()) {
                errs.push(FileError::new(line, path("key"), F::KeyTwice { key: r.key.clone() }));
            }
            rkeys.push(&r.key);
            if !["deal", "person", "organization"].contains(&r.entity.as_str()) {
                errs.push(FileError::new(line, path("entity"), Common::OneOf { list: words(["deal", "person", "organization"]) }));
            }
            if ![1, 2].contains(&r.criticality) {
                errs.push(FileError::new(line, path("criticality"), F::Criticality {}));
            }
            if r.responsible != "owner" && Role::parse(&r.responsible).is_none() {
                errs.push(FileError::new(line, path("responsible"), crate::msg::AuditMsg::Responsible { roles: words(Role::ALL) }));
            }
            if r.name.trim().is_empty() {
                errs.push(FileError::new(line, path("name"), Common::Required {}));
            }
            if r.expression.trim().is_empty() {
                errs.push(FileError::new(line, path("expression"), Common::Required {}));
            }
        }
        let mut tkeys: Vec<(&str, &str)> = Vec::new();
        for t in &self.templates {
            let line = lines.of_key(&t.key, lines.of_table("[[template]]", 0).map(|l| l - 1));
            if tkeys.contains(&(t.key.as_str(), t.channel.as_str())) {
                errs.push(FileError::new(line, format!("template.{}.key", t.key), F::KeyTwice { key: t.key.clone() }));
            }
            tkeys.push((&t.key, &t.channel));
        }
        let mut names: Vec<&str> = Vec::new();
        for a in &self.assistants {
            let line = lines.of_value("name", &a.name, "[[assistant]]");
            let path = format!("assistant.{}", a.name);
            if names.contains(&a.name.as_str()) {
                errs.push(FileError::new(line, format!("{path}.name"), F::KeyTwice { key: a.name.clone() }));
            }
            names.push(&a.name);
            if let Err(e) = crate::assistants::check_settings(&a.name, &a.settings) {
                let l = line.and_then(|at| e.field.strip_prefix("settings.").and_then(|k| lines.of_setting(k, at))).or(line);
                errs.push(FileError::new(l, format!("{path}.{}", e.field), *e.msg));
            }
        }
        if let Some(card) = &self.scorecard {
            if let Err(e) = crate::review::parse_criteria(&card.criteria_json()) {
                let i = e.field.split('.').nth(1).and_then(|i| i.parse().ok());
                let line = i.and_then(|i| lines.of_table("[[scorecard.criterion]]", i)).or(lines.of_table("[scorecard]", 0));
                errs.push(FileError::new(line, format!("scorecard.{}", e.field), *e.msg));
            }
            if card.name.trim().is_empty() {
                errs.push(FileError::new(lines.of_table("[scorecard]", 0), "scorecard.name", Common::Required {}));
            }
        }
        if let Err(e) = self.review_sampling.as_ref().map_or(Ok(()), ReviewSamplingSpec::check) {
            let at = lines.of_table("[review_sampling]", 0);
            let line = at.and_then(|at| lines.of_setting(&e.field, at)).or(at);
            errs.push(FileError::new(line, format!("review_sampling.{}", e.field), *e.msg));
        }
        if let Err(e) = crate::kb::check_all(&self.articles) {
            let line = e.field.split('.').nth(1).and_then(|i| i.parse().ok()).and_then(|i| lines.of_table("[[articles]]", i));
            errs.push(FileError::new(line, e.field, *e.msg));
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }

    fn check_workspace(&self, lines: &Lines, errs: &mut Vec<FileError>) {
        let w = &self.workspace;
        let line = lines.of_table("[workspace]", 0);
        if let Some(tz) = &w.timezone {
            if let Err(m) = crate::types::parse_timezone(tz) {
                errs.push(FileError::new(line, "workspace.timezone", m));
            }
        }
        if let Some(h) = &w.business_hours {
            if let Err(e) = h.business_hours() {
                errs.push(FileError::new(
                    lines.of_table("[workspace.business_hours]", 0).or(line),
                    format!("workspace.{}", e.field),
                    *e.msg,
                ));
            }
        }
    }
}

impl Lines<'_> {
    /// The line of `name = "<value>"` inside a table headed `header`.
    fn of_value(&self, name: &str, value: &str, header: &str) -> Option<usize> {
        let src = self.src?;
        let mut inside = false;
        src.lines().enumerate().find_map(|(i, l)| {
            let t = l.trim();
            if t.starts_with('[') {
                inside = t == header;
                return None;
            }
            let rest = t.strip_prefix(name)?.trim_start().strip_prefix('=')?.trim();
            (inside && rest.trim_matches(|c| c == '"' || c == '\'') == value).then_some(i + 1)
        })
    }

    /// The line of setting `key` in the settings of the assistant whose name is on line `at`
    /// (`[assistant.settings]` or an inline table), up to the next assistant.
    fn of_setting(&self, key: &str, at: usize) -> Option<usize> {
        let src = self.src?;
        src.lines().enumerate().skip(at).take_while(|(_, l)| l.trim() != "[[assistant]]").find_map(|(i, l)| {
            let t = l.trim();
            let rest = t.strip_prefix(key)?.trim_start();
            (rest.starts_with('=') || t.contains(&format!("{key} ="))).then_some(i + 1)
        })
    }

    fn of_key_line(&self, name: &str) -> Option<usize> {
        let src = self.src?;
        src.lines().position(|l| l.trim_start().starts_with(name)).map(|i| i + 1)
    }
}

/// Which part of the file an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Workspace,
    Field,
    Pipeline,
    Stage,
    Rule,
    Template,
    Article,
    Quiz,
    Assistant,
    Scorecard,
    ReviewSampling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Changed,
    Removed,
}

/// One field of an item that differs, with both values as TOML text (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One item added, changed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub section: Section,
    /// The item's key; a stage's is `pipeline/stage`, a field's `entity.key`.
    pub key: String,
    /// The item's name or label, for people.
    pub name: String,
    pub kind: ChangeKind,
    /// For changed items: the fields that differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The top-level values of an item, by field name (`skip` names left out: a pipeline's stages).
fn item_table<T: Serialize>(item: &T, skip: &[&str]) -> toml::Table {
    let mut t = toml::Table::try_from(item).unwrap_or_default();
    for k in skip {
        t.remove(*k);
    }
    t
}

fn field_changes(old: &toml::Table, new: &toml::Table) -> Vec<FieldChange> {
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| FieldChange { field: k.clone(), old: old.get(k).map(value_text), new: new.get(k).map(value_text) })
        .collect()
}

/// Compares the items of one section by key: added, changed (with their fields, position
/// included when the order changed), removed.
fn diff_items<T: Serialize>(
    out: &mut Vec<Change>,
    section: Section,
    old: &[T],
    new: &[T],
    key: impl Fn(&T) -> String,
    name: impl Fn(&T) -> String,
    skip: &[&str],
) {
    let old_keys: Vec<String> = old.iter().map(&key).collect();
    let new_keys: Vec<String> = new.iter().map(&key).collect();
    // Positions count among the items both files have, so an insertion does not move the rest.
    let common_old: Vec<&String> = old_keys.iter().filter(|k| new_keys.contains(k)).collect();
    let common_new: Vec<&String> = new_keys.iter().filter(|k| old_keys.contains(k)).collect();
    for (i, n) in new.iter().enumerate() {
        let k = &new_keys[i];
        match old_keys.iter().position(|o| o == k) {
            None => out.push(Change { section, key: k.clone(), name: name(n), kind: ChangeKind::Added, fields: Vec::new() }),
            Some(j) => {
                let mut fields = field_changes(&item_table(&old[j], skip), &item_table(n, skip));
                let (po, pn) = (common_old.iter().position(|x| *x == k), common_new.iter().position(|x| *x == k));
                if po != pn {
                    fields.push(FieldChange {
                        field: "position".into(),
                        old: po.map(|p| (p + 1).to_string()),
                        new: pn.map(|p| (p + 1).to_string()),
                    });
                }
                if !fields.is_empty() {
                    out.push(Change { section, key: k.clone(), name: name(n), kind: ChangeKind::Changed, fields });
                }
            }
        }
    }
    for (j, o) in old.iter().enumerate() {
        if !new_keys.contains(&old_keys[j]) {
            out.push(Change { section, key: old_keys[j].clone(), name: name(o), kind: ChangeKind::Removed, fields: Vec::new() });
        }
    }
}

/// What changes from `old` to `new`, item by item, in file order.
pub fn diff(old: &RegulationFile, new: &RegulationFile) -> Vec<Change> {
    let mut out = Vec::new();
    let fields = field_changes(&item_table(&old.workspace, &[]), &item_table(&new.workspace, &[]));
    if !fields.is_empty() {
        out.push(Change { section: Section::Workspace, key: "workspace".into(), name: String::new(), kind: ChangeKind::Changed, fields });
    }
    diff_items(&mut out, Section::Field, &old.fields, &new.fields, |f| format!("{}.{}", f.entity, f.key), |f| f.label.clone(), &[]);
    diff_items(&mut out, Section::Pipeline, &old.pipelines, &new.pipelines, |p| p.key.clone(), |p| p.name.clone(), &["stage"]);
    let stages = |f: &RegulationFile| -> Vec<(String, StageSpec)> {
        f.pipelines.iter().flat_map(|p| p.stages.iter().map(|s| (p.key.clone(), s.clone()))).collect()
    };
    let (os, ns) = (stages(old), stages(new));
    // Stage positions compare within a pipeline.
    for p in
        new.pipelines.iter().map(|p| p.key.as_str()).chain(old.pipelines.iter().map(|p| p.key.as_str())).fold(Vec::new(), |mut v, k| {
            if !v.contains(&k) {
                v.push(k);
            }
            v
        })
    {
        let o: Vec<StageSpec> = os.iter().filter(|(pk, _)| pk == p).map(|(_, s)| s.clone()).collect();
        let n: Vec<StageSpec> = ns.iter().filter(|(pk, _)| pk == p).map(|(_, s)| s.clone()).collect();
        diff_items(&mut out, Section::Stage, &o, &n, |s| format!("{p}/{}", s.key), |s| s.name.clone(), &[]);
    }
    diff_items(&mut out, Section::Rule, &old.rules, &new.rules, |r| r.key.clone(), |r| r.name.clone(), &[]);
    diff_items(&mut out, Section::Template, &old.templates, &new.templates, |t| format!("{}.{}", t.channel, t.key), |t| t.key.clone(), &[]);
    diff_items(&mut out, Section::Article, &old.articles, &new.articles, |a| a.key.clone(), |a| a.title.clone(), &[]);
    diff_items(&mut out, Section::Quiz, &old.quizzes, &new.quizzes, |q| q.key.clone(), |q| q.title.clone(), &[]);
    diff_assistants(&mut out, &old.assistants, &new.assistants);
    if let (Some(o), Some(n)) = (&old.scorecard, &new.scorecard) {
        let fields = scorecard_changes(o, n);
        if !fields.is_empty() {
            out.push(Change {
                section: Section::Scorecard,
                key: "scorecard".into(),
                name: n.name.clone(),
                kind: ChangeKind::Changed,
                fields,
            });
        }
    } else if let (None, Some(n)) = (&old.scorecard, &new.scorecard) {
        out.push(Change {
            section: Section::Scorecard,
            key: "scorecard".into(),
            name: n.name.clone(),
            kind: ChangeKind::Added,
            fields: vec![],
        });
    }
    // The sampling settings: a file without them leaves them as they are.
    if let Some(n) = &new.review_sampling {
        let (key, name) = ("review_sampling".to_string(), String::new());
        match &old.review_sampling {
            None => out.push(Change { section: Section::ReviewSampling, key, name, kind: ChangeKind::Added, fields: vec![] }),
            Some(o) => {
                let fields = field_changes(&item_table(o, &[]), &item_table(n, &[]));
                if !fields.is_empty() {
                    out.push(Change { section: Section::ReviewSampling, key, name, kind: ChangeKind::Changed, fields });
                }
            }
        }
    }
    out
}

/// Assistants by name; a changed setting is its own field (`settings.days`).
fn diff_assistants(out: &mut Vec<Change>, old: &[AssistantSpec], new: &[AssistantSpec]) {
    let settings = |a: &AssistantSpec| -> toml::Table { toml::Table::try_from(&a.settings).unwrap_or_default() };
    for n in new {
        match old.iter().find(|o| o.name == n.name) {
            None => out.push(Change {
                section: Section::Assistant,
                key: n.name.clone(),
                name: n.name.clone(),
                kind: ChangeKind::Added,
                fields: vec![],
            }),
            Some(o) => {
                let mut fields = field_changes(&item_table(o, &["settings"]), &item_table(n, &["settings"]));
                fields.extend(field_changes(&settings(o), &settings(n)).into_iter().map(|mut f| {
                    f.field = format!("settings.{}", f.field);
                    f
                }));
                if !fields.is_empty() {
                    out.push(Change {
                        section: Section::Assistant,
                        key: n.name.clone(),
                        name: n.name.clone(),
                        kind: ChangeKind::Changed,
                        fields,
                    });
                }
            }
        }
    }
    for o in old.iter().filter(|o| !new.iter().any(|n| n.name == o.name)) {
        out.push(Change {
            section: Section::Assistant,
            key: o.name.clone(),
            name: o.name.clone(),
            kind: ChangeKind::Removed,
            fields: vec![],
        });
    }
}

/// The scorecard's name and its criteria by key (`criterion.<key>`, each as an inline table),
/// and their order when it changed.
fn scorecard_changes(o: &ScorecardSpec, n: &ScorecardSpec) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    if o.name != n.name {
        fields.push(FieldChange { field: "name".into(), old: Some(o.name.clone()), new: Some(n.name.clone()) });
    }
    let text = |c: &CriterionSpec| toml::Value::Table(item_table(c, &[])).to_string();
    let mut keys: Vec<&str> = n.criteria.iter().map(|c| c.key.as_str()).collect();
    keys.extend(o.criteria.iter().map(|c| c.key.as_str()).filter(|k| !n.criteria.iter().any(|c| c.key == *k)));
    for k in keys {
        let (a, b) = (o.criteria.iter().find(|c| c.key == k), n.criteria.iter().find(|c| c.key == k));
        if a != b {
            fields.push(FieldChange { field: format!("criterion.{k}"), old: a.map(text), new: b.map(text) });
        }
    }
    let order = |s: &ScorecardSpec, other: &ScorecardSpec| -> Vec<String> {
        s.criteria.iter().filter(|c| other.criteria.iter().any(|x| x.key == c.key)).map(|c| c.key.clone()).collect()
    };
    let (oo, no) = (order(o, n), order(n, o));
    if oo != no {
        fields.push(FieldChange { field: "order".into(), old: Some(oo.join(", ")), new: Some(no.join(", ")) });
    }
    fields
}

/// A one-line summary of a diff: counts per kind (`+2 ~3 -1`), language-neutral.
pub fn summary(changes: &[Change]) -> String {
    let n = |k: ChangeKind| changes.iter().filter(|c| c.kind == k).count();
    if changes.is_empty() {
        return "=".into();
    }
    let mut parts: Vec<String> = Vec::new();
    for (k, sign) in [(ChangeKind::Added, '+'), (ChangeKind::Changed, '~'), (ChangeKind::Removed, '-')] {
        if n(k) > 0 {
            parts.push(format!("{sign}{}", n(k)));
        }
    }
    let keys: Vec<String> = changes.iter().take(6).map(|c| c.key.clone()).collect();
    let more = if changes.len() > 6 { ", …" } else { "" };
    format!("{}: {}{more}", parts.join(" "), keys.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
format = 1

[workspace]
timezone = "Europe/Moscow"
lost_reasons = ["Дорого"]
frozen_reasons = []
not_lead_reasons = []

[workspace.business_hours]
days = [1, 2, 3, 4, 5]
start = "09:00"
end = "18:00"
holidays = []
workdays = []

[[field]]
entity = "deal"
key = "budget"
label = "Бюджет"
type = "money"

[[pipeline]]
key = "sales"
name = "Продажи"

[[pipeline.role_range]]
role = "manager"
up_to_stage = "kp"

[[pipeline.stage]]
key = "new"
name = "Новый лид"
goal = "Лид квалифицирован"
probability = 10

[[pipeline.stage]]
key = "kp"
name = "Отправлено КП"
required_fields = ["value", "custom.budget"]
sla = { amount = 2, unit = "days" }

[[pipeline.stage.entry_task]]
type = "call"
subject = "Позвонить по КП"
due = { amount = 1, unit = "days" }

[[rule]]
key = "no_task"
name = "Нет задачи"
entity = "deal"
expression = "status = open"
why = "Сделка без задачи забывается"

[[assistant]]
name = "forgotten"
enabled = true

[assistant.settings]
days = 30

[[assistant]]
name = "churned"

[scorecard]
name = "Оценка звонка"

[[scorecard.criterion]]
key = "greeting"
step = "contact"
title = "Поздоровался"
points = [2, 1, 0]

[[scorecard.criterion]]
key = "price"
step = "presentation"
title = "Назвал верную цену"
points = [0, 1]
critical = true
"#;

    #[test]
    fn a_file_reads_writes_and_reads_back_the_same() {
        let f = parse(SAMPLE).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(f.pipelines[0].stages[1].required_fields, vec!["value", "custom.budget"]);
        let again = parse(&f.to_toml()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(f, again);
        assert_eq!(f.to_toml(), again.to_toml());
        let text = f.to_toml();
        assert!(text.contains("days = [1, 2, 3, 4, 5]"), "short lists stay on one line:\n{text}");
        let mut long = f.clone();
        long.rules[0].fix = Some("Поставьте задачу.\nПозвоните клиенту.".into());
        let text = long.to_toml();
        assert!(text.contains("Поставьте задачу.\nПозвоните клиенту."), "a text of several lines reads as lines:\n{text}");
        assert_eq!(parse(&text).map_err(|e| format!("{e:?}")), Ok(long));
    }

    #[test]
    fn assistants_and_the_scorecard_read_with_defaults_and_write_back() {
        let f = parse(SAMPLE).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(f.assistants[0].settings["days"], json!(30));
        assert_eq!(f.assistants[0].settings["skip_with_future_task"], json!(true), "the rest take their defaults");
        assert_eq!(f.assistants[1].settings["factor"], json!(2.0));
        let card = f.scorecard.clone().unwrap_or_else(|| panic!("no scorecard"));
        assert_eq!(card.criteria[0].points, vec![0, 1, 2], "points are kept in order");
        let text = f.to_toml();
        assert!(text.contains("[assistant.settings]"), "{text}");
        assert!(text.contains("[[scorecard.criterion]]"), "{text}");
        assert_eq!(parse(&text).map_err(|e| format!("{e:?}")), Ok(f.clone()));
        let mut new = f.clone();
        new.assistants[0].settings["days"] = json!(45);
        new.scorecard.as_mut().unwrap_or_else(|| panic!("card")).criteria[1].weight = 3;
        let d = diff(&f, &new);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!((d[0].section, d[0].key.as_str(), d[0].kind), (Section::Assistant, "forgotten", ChangeKind::Changed));
        assert_eq!(d[0].fields, vec![FieldChange { field: "settings.days".into(), old: Some("30".into()), new: Some("45".into()) }]);
        assert_eq!((d[1].section, d[1].fields.len()), (Section::Scorecard, 1));
        assert_eq!(d[1].fields[0].field, "criterion.price");
    }

    #[test]
    fn a_bad_setting_or_criterion_is_refused_with_its_line() {
        let src = SAMPLE.replace("days = 30", "days = 0").replace("step = \"presentation\"", "step = \"smalltalk\"");
        let e = parse(&src).unwrap_err();
        let days = src.lines().position(|l| l.trim() == "days = 0").map(|i| i + 1);
        let setting = e.iter().find(|e| e.path == "assistant.forgotten.settings.days").unwrap_or_else(|| panic!("{e:?}"));
        assert_eq!((setting.line, setting.msg.code()), (days, "assistant_days"));
        let second = src.lines().enumerate().filter(|(_, l)| l.trim() == "[[scorecard.criterion]]").nth(1).map(|(i, _)| i + 1);
        let crit = e.iter().find(|e| e.path == "scorecard.criteria.1.step").unwrap_or_else(|| panic!("{e:?}"));
        assert_eq!(crit.line, second);
        let unknown = SAMPLE.replace("days = 30", "dayz = 30");
        assert!(parse(&unknown).unwrap_err().iter().any(|e| e.path == "assistant.forgotten.settings.dayz"));
    }

    #[test]
    fn an_sla_on_the_owners_shift_reads_writes_and_is_checked() {
        let src =
            SAMPLE.replace("sla = { amount = 2, unit = \"days\" }", "sla = { amount = 2, unit = \"days\" }\nsla_clock = \"owner_shift\"");
        let f = parse(&src).unwrap_or_else(|e| panic!("{e:?}"));
        let stage = &f.pipelines[0].stages[1];
        assert_eq!(stage.regulation().map(|r| r.sla_clock), Ok(crate::regulation::SlaClock::OwnerShift));
        assert!(f.to_toml().contains("sla_clock = \"owner_shift\""));
        let mut back = stage.clone();
        stage_regulation_spec(&stage.regulation().unwrap_or_default(), &mut back);
        assert_eq!(&back, stage, "the stored regulation gives the same stage");
        let bad = src.replace("\"owner_shift\"", "\"moon\"");
        let e = parse(&bad).unwrap_err();
        let line = bad.lines().position(|l| l.starts_with("sla_clock")).map(|i| i + 1);
        let err = e.iter().find(|e| e.path.ends_with("sla_clock")).unwrap_or_else(|| panic!("{e:?}"));
        assert!(err.line.is_some() && err.line <= line, "{err:?}");
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let src = SAMPLE.replace("probability = 10", "probability = 10\ncolour = \"red\"");
        let e = parse(&src).unwrap_err();
        let line = src.lines().position(|l| l.starts_with("colour")).map(|i| i + 1);
        assert_eq!(e[0].line, line);
        assert_eq!(e[0].msg.code(), "regulation_file_syntax");
        assert!(e[0].msg.to_string().contains("colour"), "{}", e[0].msg);
    }

    #[test]
    fn references_are_checked_with_the_item_line() {
        let src = SAMPLE.replace("\"custom.budget\"", "\"custom.nope\"").replace("up_to_stage = \"kp\"", "up_to_stage = \"zz\"");
        let e = parse(&src).unwrap_err();
        let codes: Vec<&str> = e.iter().map(|e| e.msg.code()).collect();
        assert!(codes.contains(&"regulation_no_field"), "{codes:?}");
        assert!(codes.contains(&"regulation_no_stage"), "{codes:?}");
        let kp = src.lines().position(|l| l.trim() == "key = \"kp\"").map(|i| i + 1);
        assert_eq!(e.iter().find(|e| e.msg.code() == "regulation_no_field").and_then(|e| e.line), kp);
        let twice = SAMPLE.replace("key = \"kp\"", "key = \"new\"");
        let e = parse(&twice).unwrap_err();
        assert!(e.iter().any(|e| e.msg.code() == "regulation_key_twice"), "{e:?}");
    }

    #[test]
    fn a_diff_lists_exactly_the_edits() {
        let old = parse(SAMPLE).unwrap_or_else(|e| panic!("{e:?}"));
        let mut new = old.clone();
        new.pipelines[0].stages[0].goal = Some("Квалифицирован".into());
        new.pipelines[0].stages.push(StageSpec {
            key: "won".into(),
            name: "Оплачено".into(),
            goal: None,
            probability: None,
            rotting_days: None,
            sla: None,
            sla_clock: None,
            required_fields: vec![],
            required_files: vec![],
            naming: None,
            entry_tasks: vec![],
        });
        new.rules.clear();
        let d = diff(&old, &new);
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!((d[0].key.as_str(), d[0].kind), ("sales/new", ChangeKind::Changed));
        assert_eq!(
            d[0].fields,
            vec![FieldChange {
                field: "goal".into(), old: Some("Лид квалифицирован".into()), new: Some("Квалифицирован".into())
            }]
        );
        assert_eq!((d[1].key.as_str(), d[1].kind), ("sales/won", ChangeKind::Added));
        assert_eq!((d[2].key.as_str(), d[2].kind), ("no_task", ChangeKind::Removed));
        assert!(diff(&old, &old).is_empty());
    }
}

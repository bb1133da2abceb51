//! The regulation document a department reads (seed 004), generated from the configuration the
//! CRM enforces, and the stage linter.
//!
//! [`DocSource`] is what the document is made of: the pipelines and stages with their goals,
//! required fields (with their labels), naming, entry tasks and SLAs, the closing reasons, the
//! sources of leads and the hygiene rules. The store reads it from the workspace; a version of it
//! is kept (JSON) so that "what changed since a date" compares two of them.
//!
//! [`build`] turns a source into a [`Document`] in the reader's language: sections in the order of
//! seed 004, each a list of [`Block`]s with a stable, language-free `key`. Comparing the blocks of
//! two versions by key ([`compare`]) gives what to highlight and the summary of a new version, so
//! the highlighting always matches exactly what the reader sees.
//!
//! [`lint_stage`] flags stage names that state no objective result («В работе», «Думает», «Жду
//! ответ»…) and stages without a goal, with the seed's advice.
use crate::domain::Role;
use crate::msg::{FieldName, Labels, Lang, Msg, RegDocMsg as D, RoleName};
use crate::regulation_file::RegulationFile;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A field a stage requires, by key, with the workspace's label for a custom one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocField {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl DocField {
    fn name(&self) -> FieldName {
        FieldName { key: self.key.clone(), label: self.label.clone() }
    }
}

/// An amount of working time: `unit` is `minutes`, `hours` or `days`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocDuration {
    pub amount: i64,
    pub unit: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocTask {
    pub subject: String,
    pub due: DocDuration,
    /// `owner`, `head` or `participant:<role>`.
    pub assignee: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocNaming {
    pub template: String,
    /// The CRM renames the deal (`true`) or only checks its name.
    pub apply: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocStage {
    /// Stable within the workspace: the stage's key, or its id when it has none.
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub goal: Option<String>,
    #[serde(default)]
    pub probability: Option<i64>,
    #[serde(default)]
    pub rotting_days: Option<i64>,
    #[serde(default)]
    pub required: Vec<DocField>,
    #[serde(default)]
    pub required_files: Vec<String>,
    #[serde(default)]
    pub naming: Option<DocNaming>,
    #[serde(default)]
    pub entry_tasks: Vec<DocTask>,
    #[serde(default)]
    pub sla: Option<DocDuration>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRoleRange {
    pub role: String,
    /// The name of the last stage the role may move a deal to.
    pub stage: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocPipeline {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub stages: Vec<DocStage>,
    #[serde(default)]
    pub role_ranges: Vec<DocRoleRange>,
    #[serde(default)]
    pub won_required: Vec<DocField>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocLeadSource {
    pub key: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRule {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub why: Option<String>,
    #[serde(default)]
    pub fix: Option<String>,
}

/// Everything the document says about a workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSource {
    pub workspace: String,
    #[serde(default)]
    pub pipelines: Vec<DocPipeline>,
    #[serde(default)]
    pub lost_reasons: Vec<String>,
    #[serde(default)]
    pub frozen_reasons: Vec<String>,
    #[serde(default)]
    pub not_lead_reasons: Vec<String>,
    #[serde(default)]
    pub sources: Vec<DocLeadSource>,
    #[serde(default)]
    pub rules: Vec<DocRule>,
}

impl DocSource {
    /// A stable fingerprint of the content: equal sources, equal fingerprints (FNV-1a of the JSON).
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in json.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

impl DocSource {
    /// The document's source from the regulation file (`poryadok regulation export`): the same
    /// pipelines, stages, goals, fields, reasons and rules, so the document and the file cannot
    /// drift. Intake sources are not part of the file; the store adds them.
    pub fn from_file(file: &RegulationFile, workspace: &str, sources: Vec<DocLeadSource>) -> DocSource {
        let field = |key: &str| DocField {
            key: key.to_string(),
            label: key
                .strip_prefix("custom.")
                .and_then(|k| file.fields.iter().find(|f| f.entity == "deal" && f.key == k))
                .map(|f| f.label.clone()),
        };
        let duration = |d: &crate::regulation_file::DurationSpec| DocDuration { amount: d.amount, unit: d.unit.clone() };
        let pipelines = file
            .pipelines
            .iter()
            .filter(|p| p.active)
            .map(|p| {
                let mut role_ranges: Vec<DocRoleRange> = p
                    .role_ranges
                    .iter()
                    .filter_map(|r| {
                        let stage = p.stages.iter().find(|s| s.key == r.up_to_stage)?.name.clone();
                        Some(DocRoleRange { role: r.role.clone(), stage })
                    })
                    .collect();
                role_ranges.sort_by_key(|r| role_order(&r.role));
                DocPipeline {
                    key: p.key.clone(),
                    name: p.name.clone(),
                    stages: p
                        .stages
                        .iter()
                        .map(|s| DocStage {
                            key: s.key.clone(),
                            name: s.name.clone(),
                            goal: s.goal.clone(),
                            probability: s.probability,
                            rotting_days: s.rotting_days,
                            required: s.required_fields.iter().map(|f| field(f)).collect(),
                            required_files: s.required_files.clone(),
                            naming: s.naming.as_ref().map(|n| DocNaming { template: n.template.clone(), apply: n.mode == "apply" }),
                            entry_tasks: s
                                .entry_tasks
                                .iter()
                                .map(|t| DocTask { subject: t.subject.clone(), due: duration(&t.due), assignee: t.assignee.clone() })
                                .collect(),
                            sla: s.sla.as_ref().map(duration),
                        })
                        .collect(),
                    role_ranges,
                    won_required: p.won_required_fields.iter().filter(|f| !f.starts_with("file.")).map(|f| field(f)).collect(),
                }
            })
            .collect();
        DocSource {
            workspace: workspace.to_string(),
            pipelines,
            lost_reasons: file.workspace.lost_reasons.clone(),
            frozen_reasons: file.workspace.frozen_reasons.clone(),
            not_lead_reasons: file.workspace.not_lead_reasons.clone(),
            sources,
            rules: file
                .rules
                .iter()
                .filter(|r| r.enabled)
                .map(|r| DocRule { key: r.key.clone(), name: r.name.clone(), why: r.why.clone(), fix: r.fix.clone() })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The stage linter.

/// Why a stage's name or goal is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LintKind {
    /// The name is an activity («В работе», "In progress").
    VagueActivity,
    /// The name is a wait («Жду ответ», "Waiting for reply").
    VagueWaiting,
    /// The name is the client's mood («Думает», "Thinking").
    VagueThinking,
    /// The stage has no goal (exit criterion).
    NoGoal,
}

/// One finding of the linter about one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintFinding {
    pub pipeline_key: String,
    pub stage_key: String,
    pub stage: String,
    pub kind: LintKind,
    /// The finding with the seed's advice, in the reader's language when rendered.
    pub msg: Msg,
}

/// The maintained list of vague stage names, normalised (lower case, «ё» as «е», single spaces,
/// no punctuation). Activities, waits and moods: none states a result a manager can reach.
const VAGUE: &[(&str, LintKind)] = &[
    ("в работе", LintKind::VagueActivity),
    ("в процессе", LintKind::VagueActivity),
    ("в обработке", LintKind::VagueActivity),
    ("обработка", LintKind::VagueActivity),
    ("работа с клиентом", LintKind::VagueActivity),
    ("переговоры", LintKind::VagueActivity),
    ("на согласовании", LintKind::VagueWaiting),
    ("согласование", LintKind::VagueWaiting),
    ("жду ответ", LintKind::VagueWaiting),
    ("жду ответа", LintKind::VagueWaiting),
    ("ждем ответ", LintKind::VagueWaiting),
    ("ждем ответа", LintKind::VagueWaiting),
    ("ждем оплату", LintKind::VagueWaiting),
    ("ожидание", LintKind::VagueWaiting),
    ("ожидание ответа", LintKind::VagueWaiting),
    ("ожидание оплаты", LintKind::VagueWaiting),
    ("думает", LintKind::VagueThinking),
    ("клиент думает", LintKind::VagueThinking),
    ("размышляет", LintKind::VagueThinking),
    ("in progress", LintKind::VagueActivity),
    ("in work", LintKind::VagueActivity),
    ("working", LintKind::VagueActivity),
    ("working on it", LintKind::VagueActivity),
    ("processing", LintKind::VagueActivity),
    ("negotiation", LintKind::VagueActivity),
    ("negotiations", LintKind::VagueActivity),
    ("waiting", LintKind::VagueWaiting),
    ("waiting for reply", LintKind::VagueWaiting),
    ("waiting for response", LintKind::VagueWaiting),
    ("waiting for answer", LintKind::VagueWaiting),
    ("awaiting reply", LintKind::VagueWaiting),
    ("awaiting response", LintKind::VagueWaiting),
    ("waiting for payment", LintKind::VagueWaiting),
    ("pending", LintKind::VagueWaiting),
    ("on approval", LintKind::VagueWaiting),
    ("thinking", LintKind::VagueThinking),
    ("thinking about it", LintKind::VagueThinking),
    ("client is thinking", LintKind::VagueThinking),
    ("considering", LintKind::VagueThinking),
];

/// Words a name starting with them is a wait, whatever follows («Жду звонка», "Waiting for
/// the contract").
const WAIT_PREFIXES: &[&str] = &["жду ", "ждем ", "ожидаем ", "ожидание ", "waiting for ", "awaiting "];

/// A name as the list compares it: lower case, «ё» as «е», punctuation dropped, single spaces.
pub fn normalise_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            'ё' | 'Ё' => 'е',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .flat_map(char::to_lowercase)
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a stage name is vague, and how.
pub fn vague_name(name: &str) -> Option<LintKind> {
    let n = normalise_name(name);
    if let Some((_, k)) = VAGUE.iter().find(|(v, _)| *v == n) {
        return Some(*k);
    }
    let spaced = format!("{n} ");
    WAIT_PREFIXES.iter().any(|p| spaced.starts_with(p)).then_some(LintKind::VagueWaiting)
}

/// The findings about one stage: a vague name, a missing goal.
pub fn lint_stage(pipeline_key: &str, stage_key: &str, name: &str, goal: Option<&str>) -> Vec<LintFinding> {
    let mut out = Vec::new();
    let finding = |kind: LintKind| {
        let stage = name.to_string();
        let msg: Msg = match kind {
            LintKind::VagueActivity => D::VagueActivity { stage: stage.clone() }.into(),
            LintKind::VagueWaiting => D::VagueWaiting { stage: stage.clone() }.into(),
            LintKind::VagueThinking => D::VagueThinking { stage: stage.clone() }.into(),
            LintKind::NoGoal => D::NoGoal { stage: stage.clone() }.into(),
        };
        LintFinding { pipeline_key: pipeline_key.to_string(), stage_key: stage_key.to_string(), stage, kind, msg }
    };
    if let Some(kind) = vague_name(name) {
        out.push(finding(kind));
    }
    if goal.is_none_or(|g| g.trim().is_empty()) {
        out.push(finding(LintKind::NoGoal));
    }
    out
}

/// The findings about every stage of a regulation file (the plan shows them).
pub fn lint_file(file: &RegulationFile) -> Vec<LintFinding> {
    file.pipelines.iter().flat_map(|p| p.stages.iter().flat_map(move |s| lint_stage(&p.key, &s.key, &s.name, s.goal.as_deref()))).collect()
}

/// The findings about every stage of a source, in the pipelines' order.
pub fn lint(src: &DocSource) -> Vec<LintFinding> {
    src.pipelines.iter().flat_map(|p| p.stages.iter().flat_map(move |s| lint_stage(&p.key, &s.key, &s.name, s.goal.as_deref()))).collect()
}

// ---------------------------------------------------------------------------------------------
// The document.

/// What a block is, for its rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// A heading inside a section: a pipeline (level 2) or a stage (level 3).
    Heading2,
    Heading3,
    Para,
    /// An item of a bulleted list.
    Item,
    /// A required field or file, marked with a star.
    Required,
    /// A linter's finding: shown as a warning.
    Warning,
    /// A link of the contents to a section.
    Contents,
}

/// One line of the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    /// Stable across languages and versions: what a change is recognised by.
    pub key: String,
    pub kind: BlockKind,
    pub text: String,
    /// Changed since the date compared with: highlighted.
    pub changed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// The anchor: `purpose`, `contents`, `tour`, …
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub title: String,
    pub sections: Vec<Section>,
    /// Lines of the version compared with that are gone, as they read then.
    pub removed: Vec<String>,
}

impl Document {
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.sections.iter().flat_map(|s| s.blocks.iter())
    }

    pub fn changed_count(&self) -> usize {
        self.blocks().filter(|b| b.changed).count()
    }
}

struct Writer<'a> {
    lang: Lang,
    labels: &'a dyn Labels,
    blocks: Vec<Block>,
}

impl Writer<'_> {
    fn say(&self, m: impl Into<Msg>) -> String {
        m.into().render(self.lang, self.labels)
    }
    fn push(&mut self, key: impl Into<String>, kind: BlockKind, m: impl Into<Msg>) {
        let text = self.say(m);
        self.blocks.push(Block { key: key.into(), kind, text, changed: false });
    }
    fn take(&mut self) -> Vec<Block> {
        std::mem::take(&mut self.blocks)
    }
}

/// The sample deal naming examples are filled from, in the reader's language.
fn sample_value(lang: Lang, placeholder: &str, stage: &str, pipeline: &str, src: &DocSource) -> String {
    let ru = lang == Lang::Ru;
    match placeholder {
        "title" => (if ru { "Поставка оборудования" } else { "Equipment supply" }).into(),
        "org" => (if ru { "ООО «Ромашка»" } else { "Acme Ltd" }).into(),
        "person" => (if ru { "Иван Петров" } else { "John Smith" }).into(),
        "value" => (if ru { "150000 RUB" } else { "150000 USD" }).into(),
        "owner" => (if ru { "Анна Смирнова" } else { "Anna Smith" }).into(),
        "stage" => stage.into(),
        "pipeline" => pipeline.into(),
        "expected_close_date" => "25.12.2026".into(),
        "source" => (if ru { "Сайт" } else { "Website" }).into(),
        other => {
            let key = other.strip_prefix("custom.").unwrap_or(other);
            let label = src
                .pipelines
                .iter()
                .flat_map(|p| p.stages.iter().flat_map(|s| s.required.iter()).chain(p.won_required.iter()))
                .find(|f| f.key == other)
                .and_then(|f| f.label.clone())
                .unwrap_or_else(|| key.to_string());
            format!("‹{label}›")
        }
    }
}

fn due_text(w: &Writer, d: &DocDuration) -> String {
    match d.unit.as_str() {
        "minutes" => w.say(D::DueMinutes { n: d.amount }),
        "hours" => w.say(D::DueHours { n: d.amount }),
        _ => w.say(D::DueDays { n: d.amount }),
    }
}

fn who_text(w: &Writer, assignee: &str) -> String {
    match assignee {
        "head" => w.say(D::WhoHead {}),
        other => match other.strip_prefix("participant:") {
            Some(role) => {
                let role = w.labels.term("participant_role", role).unwrap_or_else(|| role.to_string());
                w.say(D::WhoParticipant { role })
            }
            None => w.say(D::WhoOwner {}),
        },
    }
}

/// The document of `src` in `lang`, nothing highlighted (see [`compare`]).
pub fn build(src: &DocSource, lang: Lang, labels: &dyn Labels) -> Document {
    let mut w = Writer { lang, labels, blocks: Vec::new() };
    let mut sections: Vec<Section> = Vec::new();
    let mut section = |id: &str, title: String, blocks: Vec<Block>| sections.push(Section { id: id.into(), title, blocks });

    // 1. Purpose.
    w.push("purpose.1", BlockKind::Para, D::Purpose1 {});
    w.push("purpose.2", BlockKind::Para, D::Purpose2 {});
    section("purpose", w.say(D::HPurpose {}), w.take());
    // 2. Contents: filled once every section is known.
    section("contents", w.say(D::HContents {}), Vec::new());
    // 3. Tour.
    w.push("tour.board", BlockKind::Item, D::TourBoard {});
    w.push("tour.card", BlockKind::Item, D::TourCard {});
    w.push("tour.today", BlockKind::Item, D::TourToday {});
    w.push("tour.lists", BlockKind::Item, D::TourLists {});
    w.push("tour.notifications", BlockKind::Item, D::TourNotifications {});
    w.push("tour.audit", BlockKind::Item, D::TourAudit {});
    w.push("tour.settings", BlockKind::Item, D::TourSettings {});
    section("tour", w.say(D::HTour {}), w.take());
    // 4. Naming.
    w.push("naming.intro", BlockKind::Para, D::NamingIntro {});
    let mut any_naming = false;
    for p in &src.pipelines {
        for s in &p.stages {
            let Some(n) = &s.naming else { continue };
            any_naming = true;
            let example = crate::regulation::render(&n.template, &|k| sample_value(lang, k, &s.name, &p.name, src));
            let template = format!("«{}»", n.template);
            let example = format!("«{example}»");
            let stage = s.name.clone();
            let key = format!("naming.{}.{}", p.key, s.key);
            if n.apply {
                w.push(key, BlockKind::Item, D::NamingApply { stage, template, example });
            } else {
                w.push(key, BlockKind::Item, D::NamingCheck { stage, template, example });
            }
        }
    }
    if !any_naming {
        w.push("naming.none", BlockKind::Para, D::NamingNone {});
    }
    section("naming", w.say(D::HNaming {}), w.take());
    // 5. Leads.
    if src.sources.is_empty() {
        w.push("leads.none", BlockKind::Para, D::LeadsNone {});
    } else {
        w.push("leads.intro", BlockKind::Para, D::LeadsIntro {});
        for s in &src.sources {
            let kind = labels.term("source_kind", &s.kind).unwrap_or_else(|| s.kind.clone());
            w.push(format!("leads.source.{}", s.key), BlockKind::Item, D::LeadSource { name: s.name.clone(), kind });
        }
    }
    w.push("leads.manual", BlockKind::Para, D::LeadsManual {});
    w.push("leads.duplicates", BlockKind::Para, D::LeadsDuplicates {});
    w.push("leads.not_lead", BlockKind::Para, D::LeadsNotLead {});
    section("leads", w.say(D::HLeads {}), w.take());
    // 6. Pipelines and stages.
    w.push("pipelines.intro", BlockKind::Para, D::PipelinesIntro {});
    for p in &src.pipelines {
        let pk = &p.key;
        w.push(format!("pipeline.{pk}"), BlockKind::Heading2, D::PipelineHeading { name: p.name.clone() });
        for r in &p.role_ranges {
            let role = RoleName(r.role.clone());
            w.push(format!("pipeline.{pk}.range.{}", r.role), BlockKind::Item, D::RoleRange { role, stage: r.stage.clone() });
        }
        for (i, s) in p.stages.iter().enumerate() {
            let sk = format!("stage.{pk}.{}", s.key);
            w.push(sk.clone(), BlockKind::Heading3, D::StageHeading { n: i as i64 + 1, name: s.name.clone() });
            for f in lint_stage(pk, &s.key, &s.name, s.goal.as_deref()) {
                let kind = serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                let text = w.say(f.msg);
                w.blocks.push(Block { key: format!("{sk}.lint.{kind}"), kind: BlockKind::Warning, text, changed: false });
            }
            if let Some(goal) = s.goal.as_deref().filter(|g| !g.trim().is_empty()) {
                w.push(format!("{sk}.goal"), BlockKind::Para, D::Goal { goal: goal.to_string() });
            }
            if let Some(p) = s.probability {
                w.push(format!("{sk}.probability"), BlockKind::Para, D::Probability { p });
            }
            if let Some(days) = s.rotting_days {
                w.push(format!("{sk}.rotting"), BlockKind::Para, D::Rotting { days });
            }
            if s.required.is_empty() && s.required_files.is_empty() {
                w.push(format!("{sk}.required"), BlockKind::Para, D::NoRequired {});
            } else {
                w.push(format!("{sk}.required"), BlockKind::Para, D::RequiredHeading {});
                for f in &s.required {
                    w.push(format!("{sk}.field.{}", f.key), BlockKind::Required, D::RequiredField { field: f.name() });
                }
                for kind in &s.required_files {
                    let label = labels.term("file_kind", kind).unwrap_or_else(|| kind.clone());
                    w.push(format!("{sk}.file.{kind}"), BlockKind::Required, D::RequiredFile { kind: label });
                }
            }
            if !s.entry_tasks.is_empty() {
                w.push(format!("{sk}.tasks"), BlockKind::Para, D::TasksHeading {});
                for (j, t) in s.entry_tasks.iter().enumerate() {
                    let due = due_text(&w, &t.due);
                    let who = who_text(&w, &t.assignee);
                    w.push(format!("{sk}.task.{j}"), BlockKind::Item, D::EntryTask { subject: t.subject.clone(), due, who });
                }
            }
            if let Some(sla) = &s.sla {
                let due = due_text(&w, sla);
                w.push(format!("{sk}.sla"), BlockKind::Para, D::Sla { due });
            }
        }
        if !p.won_required.is_empty() {
            let fields = p.won_required.iter().map(DocField::name).collect();
            w.push(format!("pipeline.{pk}.won"), BlockKind::Para, D::WonNeeds { fields });
        }
    }
    section("pipelines", w.say(D::HPipelines {}), w.take());
    // 7. Statuses and reasons.
    w.push("statuses.intro", BlockKind::Para, D::StatusesIntro {});
    w.push("statuses.won", BlockKind::Item, D::StatusWon {});
    w.push("statuses.lost", BlockKind::Item, D::StatusLost {});
    w.push("statuses.frozen", BlockKind::Item, D::StatusFrozen {});
    if src.lost_reasons.is_empty() && src.frozen_reasons.is_empty() {
        w.push("statuses.free", BlockKind::Para, D::FreeReasons {});
    }
    if !src.lost_reasons.is_empty() {
        w.push("statuses.lost_reasons", BlockKind::Para, D::LostReasons { list: src.lost_reasons.clone() });
    }
    if !src.frozen_reasons.is_empty() {
        w.push("statuses.frozen_reasons", BlockKind::Para, D::FrozenReasons { list: src.frozen_reasons.clone() });
    }
    if !src.not_lead_reasons.is_empty() {
        w.push("statuses.not_lead_reasons", BlockKind::Para, D::NotLeadReasons { list: src.not_lead_reasons.clone() });
    }
    section("statuses", w.say(D::HStatuses {}), w.take());
    // 8. Rules.
    if src.rules.is_empty() {
        w.push("rules.none", BlockKind::Para, D::RulesNone {});
    } else {
        w.push("rules.intro", BlockKind::Para, D::RulesIntro {});
    }
    for r in &src.rules {
        let rk = format!("rule.{}", r.key);
        w.blocks.push(Block { key: rk.clone(), kind: BlockKind::Heading3, text: r.name.clone(), changed: false });
        if let Some(why) = r.why.as_deref().filter(|s| !s.trim().is_empty()) {
            w.push(format!("{rk}.why"), BlockKind::Para, D::RuleWhy { why: why.to_string() });
        }
        if let Some(fix) = r.fix.as_deref().filter(|s| !s.trim().is_empty()) {
            w.push(format!("{rk}.fix"), BlockKind::Para, D::RuleFix { fix: fix.to_string() });
        }
    }
    section("rules", w.say(D::HRules {}), w.take());
    // 9–11.
    w.push("comments.1", BlockKind::Para, D::Comments1 {});
    w.push("comments.2", BlockKind::Para, D::Comments2 {});
    section("comments", w.say(D::HComments {}), w.take());
    w.push("telephony.1", BlockKind::Para, D::Telephony1 {});
    w.push("telephony.2", BlockKind::Para, D::Telephony2 {});
    section("telephony", w.say(D::HTelephony {}), w.take());
    w.push("tasks.1", BlockKind::Para, D::Tasks1 {});
    w.push("tasks.2", BlockKind::Para, D::Tasks2 {});
    section("tasks", w.say(D::HTasks {}), w.take());

    let contents: Vec<Block> = sections
        .iter()
        .filter(|s| s.id != "contents")
        .map(|s| Block { key: format!("contents.{}", s.id), kind: BlockKind::Contents, text: s.title.clone(), changed: false })
        .collect();
    if let Some(c) = sections.iter_mut().find(|s| s.id == "contents") {
        c.blocks = contents;
    }
    Document { title: w.say(D::Title { workspace: src.workspace.clone() }), sections, removed: Vec::new() }
}

/// What changed between two versions of the document, by block key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The lines whose key is new or whose text differs, and the keys that are gone. Generated lines
/// (contents, the linter's warnings) do not count as changes of the regulation.
pub fn diff(before: &Document, after: &Document) -> Changes {
    let counted = |b: &&Block| b.kind != BlockKind::Contents && b.kind != BlockKind::Warning;
    let old: BTreeMap<&str, &str> = before.blocks().filter(counted).map(|b| (b.key.as_str(), b.text.as_str())).collect();
    let new: BTreeSet<&str> = after.blocks().filter(counted).map(|b| b.key.as_str()).collect();
    let mut c = Changes::default();
    for b in after.blocks().filter(counted) {
        match old.get(b.key.as_str()) {
            None => c.added.push(b.key.clone()),
            Some(t) if *t != b.text => c.changed.push(b.key.clone()),
            Some(_) => {}
        }
    }
    c.removed = old.keys().filter(|k| !new.contains(*k)).map(|k| k.to_string()).collect();
    c
}

/// `after` with the lines changed since `before` highlighted and the removed lines listed, as
/// they read in `before`.
pub fn compare(before: &Document, mut after: Document) -> Document {
    let c = diff(before, &after);
    let changed: BTreeSet<&String> = c.added.iter().chain(c.changed.iter()).collect();
    for s in &mut after.sections {
        for b in &mut s.blocks {
            b.changed = changed.contains(&b.key);
        }
    }
    let gone: BTreeSet<&String> = c.removed.iter().collect();
    after.removed = before.blocks().filter(|b| gone.contains(&b.key)).map(|b| b.text.clone()).collect();
    after
}

/// The notification of a new version: its title and summary in `lang`.
pub fn summary(version: i64, before: &Document, after: &Document, lang: Lang, labels: &dyn Labels) -> (String, String) {
    let c = diff(before, after);
    let changed: BTreeSet<&String> = c.added.iter().chain(c.changed.iter()).collect();
    let mut items: Vec<String> = after.blocks().filter(|b| changed.contains(&b.key)).map(|b| b.text.clone()).take(5).collect();
    if c.added.len() + c.changed.len() > items.len() {
        items.push("…".into());
    }
    let title = Msg::from(D::NewVersionTitle { version }).render(lang, labels);
    let body = Msg::from(D::NewVersionSummary {
        added: c.added.len() as i64,
        changed: c.changed.len() as i64,
        removed: c.removed.len() as i64,
        items: vec![items.join("; ")],
    })
    .render(lang, labels);
    (title, body)
}

/// Roles whose range a pipeline may limit, in the order the document lists them.
pub fn role_order(role: &str) -> usize {
    [Role::Manager, Role::Consultant, Role::PartnerManager].iter().position(|r| r.as_str() == role).unwrap_or(9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Keys;

    fn stage(key: &str, name: &str, goal: Option<&str>) -> DocStage {
        DocStage { key: key.into(), name: name.into(), goal: goal.map(str::to_string), ..Default::default() }
    }

    fn source() -> DocSource {
        DocSource {
            workspace: "Acme".into(),
            pipelines: vec![DocPipeline {
                key: "sales".into(),
                name: "Продажи".into(),
                stages: vec![
                    DocStage {
                        required: vec![DocField { key: "custom.budget".into(), label: Some("Бюджет".into()) }],
                        naming: Some(DocNaming { template: "КП для {org}".into(), apply: true }),
                        ..stage("kp", "Отправлено КП", Some("КП у клиента"))
                    },
                    stage("think", "Думает", None),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn vague_names_are_found_whatever_the_case_and_spacing() {
        assert_eq!(vague_name("  думает "), Some(LintKind::VagueThinking));
        assert_eq!(vague_name("В  РАБОТЕ"), Some(LintKind::VagueActivity));
        assert_eq!(vague_name("Ждём ответ"), Some(LintKind::VagueWaiting));
        assert_eq!(vague_name("Жду звонка от клиента"), Some(LintKind::VagueWaiting));
        assert_eq!(vague_name("Waiting for reply"), Some(LintKind::VagueWaiting));
        assert_eq!(vague_name("In progress..."), Some(LintKind::VagueActivity));
        assert_eq!(vague_name("Отправлено КП"), None);
        assert_eq!(vague_name("Назначена встреча"), None);
        assert_eq!(vague_name("Думаем над КП"), None);
    }

    #[test]
    fn the_linter_flags_a_vague_name_and_a_missing_goal() {
        let found = lint(&source());
        let kinds: Vec<(&str, LintKind)> = found.iter().map(|f| (f.stage_key.as_str(), f.kind)).collect();
        assert_eq!(kinds, vec![("think", LintKind::VagueThinking), ("think", LintKind::NoGoal)]);
        assert!(found[0].msg.render(Lang::Ru, &Keys).contains("«Проведена презентация»"));
        assert_eq!(found[1].msg.code(), "stage_no_goal");
    }

    #[test]
    fn the_document_marks_required_fields_by_label_and_names_an_example() {
        let doc = build(&source(), Lang::Ru, &Keys);
        let texts: Vec<&str> = doc.blocks().map(|b| b.text.as_str()).collect();
        assert!(texts.contains(&"* Бюджет"), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("«КП для ООО «Ромашка»»")), "{texts:?}");
        assert!(texts.contains(&"Цель: КП у клиента"));
        let ids: Vec<&str> = doc.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            ["purpose", "contents", "tour", "naming", "leads", "pipelines", "statuses", "rules", "comments", "telephony", "tasks"]
        );
    }

    #[test]
    fn a_field_added_since_is_highlighted_and_a_removed_one_listed() {
        let before = source();
        let mut after = before.clone();
        after.pipelines[0].stages[0].required.push(DocField { key: "expected_close_date".into(), label: None });
        after.pipelines[0].stages[1].name = "Проведена презентация".into();
        let (b, a) = (build(&before, Lang::En, &Keys), build(&after, Lang::En, &Keys));
        let doc = compare(&b, a.clone());
        let changed: Vec<&str> = doc.blocks().filter(|x| x.changed).map(|x| x.key.as_str()).collect();
        let want: BTreeSet<&str> = ["stage.sales.think", "stage.sales.kp.field.expected_close_date"].into_iter().collect();
        assert_eq!(changed.into_iter().collect::<BTreeSet<_>>(), want);
        assert!(doc.blocks().any(|x| x.changed && x.text == "* expected_close_date"));
        let back = compare(&a, build(&before, Lang::En, &Keys));
        assert_eq!(back.removed, ["* expected_close_date"]);
        assert_eq!(compare(&b, build(&before, Lang::En, &Keys)).changed_count(), 0);
    }

    const FILE: &str = r#"
[workspace]
lost_reasons = ["Дорого"]

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
key = "kp"
name = "Отправлено КП"
goal = "КП у клиента"
required_fields = ["value", "custom.budget"]

[[pipeline.stage.entry_task]]
type = "call"
subject = "Позвонить по КП"
due = { amount = 1, unit = "days" }

[[pipeline.stage]]
key = "wait"
name = "Жду ответ"
"#;

    #[test]
    fn the_document_reads_the_regulation_file_and_lints_it() {
        let file = crate::regulation_file::parse(FILE).unwrap_or_else(|e| panic!("{e:?}"));
        let src = DocSource::from_file(&file, "Acme", Vec::new());
        let doc = build(&src, Lang::Ru, &Keys);
        let texts: Vec<&str> = doc.blocks().map(|b| b.text.as_str()).collect();
        for want in [
            "* Бюджет",
            "Цель: КП у клиента",
            "Позвонить по КП — срок через 1 раб. дн., исполнитель: ответственный по сделке",
            "Причины проигрыша: Дорого",
        ] {
            assert!(texts.contains(&want), "{want} in {texts:?}");
        }
        assert!(texts.iter().any(|t| t.contains("до этапа «Отправлено КП»")), "{texts:?}");
        let found = lint_file(&file);
        let kinds: Vec<(&str, LintKind)> = found.iter().map(|f| (f.stage_key.as_str(), f.kind)).collect();
        assert_eq!(kinds, vec![("wait", LintKind::VagueWaiting), ("wait", LintKind::NoGoal)]);
    }
}

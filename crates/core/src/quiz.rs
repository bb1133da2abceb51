//! Quizzes on the regulation: their specification, scoring, and questions generated from the
//! stage regulation the workspace enforces.
//!
//! A quiz has a stable key, a title, a pass mark in percent and questions; a question has two to
//! twelve options, one right (single) or several (multiple), and an optional explanation shown
//! after the attempt. A question counts as answered right when the chosen options are exactly the
//! right ones; the score is right questions / questions, in whole percent (rounded down), and the
//! quiz is passed at the pass mark or above.
//!
//! Generated questions carry the catalogue code and arguments of their wording ([`QuestionSpec::code`]),
//! so a reader sees them in their language; `text` is the same wording in the workspace's locale
//! (what API clients and the regulation file read). An option that names a field keeps the field's
//! key in `field`, so it is shown with the reader's label. Generation is deterministic: the same
//! regulation and seed give the same quiz.
use crate::error::FieldError;
use crate::msg::{Common, Lang, Msg, QuizMsg as Q};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const MAX_QUESTIONS: usize = 100;
/// The key of the quiz generated from the regulation (generating again replaces it).
pub const GENERATED_KEY: &str = "regulation";

/// A quiz as the API writes it and the regulation file keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuizSpec {
    pub key: String,
    pub title: String,
    pub pass_percent: i64,
    /// A user must pass this quiz before their role is changed to this one (attestation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_for_role: Option<String>,
    /// Assigned to a user when the user is created (their first day).
    #[serde(default = "yes")]
    pub assign_new_users: bool,
    /// Assigned again to every active user this many days after their last assignment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_days: Option<i64>,
    /// Minutes an attempt may take from its start (1–600); a later submit is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_minutes: Option<i64>,
    /// How many attempts one user has (1–100); a started attempt counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<i64>,
    pub questions: Vec<QuestionSpec>,
}

fn yes() -> bool {
    true
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSpec {
    pub key: String,
    pub text: String,
    /// Several options are right (check boxes); otherwise exactly one (radio buttons).
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple: bool,
    pub options: Vec<OptionSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// The catalogue code of a generated question's wording (with `args`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, serde_json::Value>,
    /// The catalogue code of a generated explanation (arguments as `args`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    pub text: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub right: bool,
    /// The field this option names (`value`, `custom.budget`), shown with the reader's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A number of days this option is (a generated rotting question), shown in the reader's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
}

impl OptionSpec {
    /// The option's wording as a catalogue message, when it is a number of days.
    pub fn msg(&self) -> Option<Msg> {
        self.days.map(|n| Q::Days { n }.into())
    }
}

impl QuestionSpec {
    /// The indexes of the right options.
    pub fn right(&self) -> BTreeSet<usize> {
        self.options.iter().enumerate().filter(|(_, o)| o.right).map(|(i, _)| i).collect()
    }

    /// The wording as a catalogue message, for a generated question.
    pub fn msg(&self) -> Option<Msg> {
        Msg::from_code(self.code.as_deref()?, &self.args.clone().into_iter().collect())
    }

    /// The explanation as a catalogue message, for a generated question.
    pub fn explanation_msg(&self) -> Option<Msg> {
        Msg::from_code(self.explanation_code.as_deref()?, &self.args.clone().into_iter().collect())
    }
}

pub fn is_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Reads a quiz from JSON (the API's body), refusing unknown keys.
pub fn from_json(v: &serde_json::Value) -> Result<QuizSpec, FieldError> {
    let spec: QuizSpec = serde_json::from_value(v.clone()).map_err(|e| FieldError::new("body", Q::Spec { error: e.to_string() }))?;
    check(spec)
}

/// Checks a quiz and trims its texts: see the module's rules. `roles` are checked by the caller
/// against [`crate::domain::Role`].
pub fn check(mut spec: QuizSpec) -> Result<QuizSpec, FieldError> {
    spec.key = spec.key.trim().to_string();
    if !is_key(&spec.key) {
        return Err(FieldError::new("key", Q::KeyShape {}));
    }
    spec.title = spec.title.trim().chars().take(200).collect();
    if spec.title.is_empty() {
        return Err(FieldError::new("title", Common::Required {}));
    }
    if !(1..=100).contains(&spec.pass_percent) {
        return Err(FieldError::new("pass_percent", Q::PassPercent {}));
    }
    if let Some(r) = &spec.required_for_role {
        if crate::domain::Role::parse(r).is_none() {
            return Err(FieldError::new("required_for_role", Q::Role {}));
        }
    }
    if let Some(d) = spec.repeat_days {
        if !(1..=3650).contains(&d) {
            return Err(FieldError::new("repeat_days", Q::RepeatDays {}));
        }
    }
    if spec.time_limit_minutes.is_some_and(|m| !(1..=600).contains(&m)) {
        return Err(FieldError::new("time_limit_minutes", Q::TimeLimit {}));
    }
    if spec.max_attempts.is_some_and(|n| !(1..=100).contains(&n)) {
        return Err(FieldError::new("max_attempts", Q::MaxAttempts {}));
    }
    if spec.questions.is_empty() {
        return Err(FieldError::new("questions", Q::NoQuestions {}));
    }
    if spec.questions.len() > MAX_QUESTIONS {
        return Err(FieldError::new("questions", Q::TooManyQuestions { n: MAX_QUESTIONS as i64 }));
    }
    let mut keys = BTreeSet::new();
    for (i, q) in spec.questions.iter_mut().enumerate() {
        let at = |f: &str| format!("questions.{i}.{f}");
        q.key = q.key.trim().to_string();
        if !is_key(&q.key) {
            return Err(FieldError::new(at("key"), Q::KeyShape {}));
        }
        if !keys.insert(q.key.clone()) {
            return Err(FieldError::new(at("key"), Q::DuplicateQuestion { key: q.key.clone() }));
        }
        q.text = q.text.trim().chars().take(1000).collect();
        if q.text.is_empty() {
            return Err(FieldError::new(at("text"), Common::Required {}));
        }
        q.explanation = q.explanation.take().map(|e| e.trim().chars().take(2000).collect::<String>()).filter(|e| !e.is_empty());
        if !(2..=12).contains(&q.options.len()) {
            return Err(FieldError::new(at("options"), Q::TooFewOptions {}));
        }
        for (j, o) in q.options.iter_mut().enumerate() {
            o.text = o.text.trim().chars().take(500).collect();
            if o.text.is_empty() {
                return Err(FieldError::new(format!("questions.{i}.options.{j}.text"), Common::Required {}));
            }
        }
        let right = q.right().len();
        if right == 0 {
            return Err(FieldError::new(at("options"), Q::NoRightOption {}));
        }
        if !q.multiple && right != 1 {
            return Err(FieldError::new(at("options"), Q::SingleOneRight {}));
        }
    }
    Ok(spec)
}

/// The order one attempt shows a quiz in: each question's index in `spec.questions`, with its
/// options' indices, both shuffled by `seed` (the attempt's id, so a reload shows the same order
/// and another attempt another one). Answers keep naming options by their index in the spec.
pub fn shuffled(spec: &QuizSpec, seed: u64) -> Vec<(usize, Vec<usize>)> {
    let mut rng = Rng(seed ^ 0x5155_495A_5348_5546);
    let mut order: Vec<usize> = (0..spec.questions.len()).collect();
    rng.shuffle(&mut order);
    order
        .into_iter()
        .map(|q| {
            let mut options: Vec<usize> = (0..spec.questions[q].options.len()).collect();
            rng.shuffle(&mut options);
            (q, options)
        })
        .collect()
}

/// The questions as the one-page editor shows them: a question on a line starting with `?`
/// (`?+` for several right answers even when one is marked), its options on lines starting with
/// `+` (right) or `-` (wrong), an optional explanation on a line starting with `=`.
pub fn to_text(questions: &[QuestionSpec]) -> String {
    let mut out = String::new();
    for (i, q) in questions.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let forced = q.multiple && q.right().len() < 2;
        out.push_str(&format!("{} {}\n", if forced { "?+" } else { "?" }, q.text));
        for o in &q.options {
            out.push_str(&format!("{} {}\n", if o.right { "+" } else { "-" }, o.text));
        }
        if let Some(e) = &q.explanation {
            out.push_str(&format!("= {e}\n"));
        }
    }
    out
}

/// Reads the editor's text back (see [`to_text`]). A question whose text and options are those of
/// one of `old` keeps it whole (its key, a generated question's wording code, the fields its
/// options name); the others get keys `q1`, `q2`… not taken. The result is checked by [`check`].
pub fn from_text(text: &str, old: &[QuestionSpec]) -> Result<Vec<QuestionSpec>, FieldError> {
    let bad = |n: usize| FieldError::new("questions", Q::TextLine { line: n as i64 + 1 });
    let mut out: Vec<QuestionSpec> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (mark, rest) =
            if let Some(r) = line.strip_prefix("?+") { ("?+", r) } else { line.split_at(line.chars().next().map_or(0, char::len_utf8)) };
        let rest = rest.trim().to_string();
        match mark {
            "?" | "?+" => out.push(QuestionSpec {
                key: String::new(),
                text: rest,
                multiple: mark == "?+",
                options: Vec::new(),
                explanation: None,
                code: None,
                args: BTreeMap::new(),
                explanation_code: None,
            }),
            "+" | "-" => {
                out.last_mut().ok_or_else(|| bad(n))?.options.push(OptionSpec { text: rest, right: mark == "+", field: None, days: None })
            }
            "=" => {
                let q = out.last_mut().ok_or_else(|| bad(n))?;
                q.explanation = Some(match q.explanation.take() {
                    Some(e) => format!("{e}\n{rest}"),
                    None => rest,
                });
            }
            _ => return Err(bad(n)),
        }
    }
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for q in &mut out {
        if q.right().len() > 1 {
            q.multiple = true;
        }
        let same = old.iter().find(|o| {
            o.text == q.text
                && o.options.len() == q.options.len()
                && o.options.iter().zip(&q.options).all(|(a, b)| a.text == b.text && a.right == b.right)
                && !taken.contains(&o.key)
        });
        if let Some(o) = same {
            let explanation = q.explanation.take();
            let kept_explanation = explanation == o.explanation;
            *q = o.clone();
            if !kept_explanation {
                q.explanation = explanation;
                q.explanation_code = None;
            }
            taken.insert(q.key.clone());
        }
    }
    let mut n = 0;
    for q in &mut out {
        if q.key.is_empty() {
            q.key = loop {
                n += 1;
                let k = format!("q{n}");
                if !taken.contains(&k) && !old.iter().any(|o| o.key == k && !taken.contains(&o.key)) {
                    break k;
                }
            };
            taken.insert(q.key.clone());
        }
    }
    Ok(out)
}

/// How one question was answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionResult {
    pub key: String,
    pub chosen: Vec<usize>,
    pub right: Vec<usize>,
    pub correct: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub right: i64,
    pub total: i64,
    pub percent: i64,
    pub passed: bool,
    pub questions: Vec<QuestionResult>,
}

/// Reads `{question key: [option index, …]}` (a single-answer question may be given as a bare
/// index); an unanswered question counts as wrong.
pub fn parse_answers(spec: &QuizSpec, v: &serde_json::Value) -> Result<BTreeMap<String, Vec<usize>>, FieldError> {
    let o = v.as_object().ok_or_else(|| FieldError::new("answers", Q::AnswerShape {}))?;
    let mut out = BTreeMap::new();
    for (k, a) in o {
        let q = spec
            .questions
            .iter()
            .find(|q| &q.key == k)
            .ok_or_else(|| FieldError::new(format!("answers.{k}"), Q::UnknownQuestion { key: k.clone() }))?;
        let list: Vec<&serde_json::Value> = match a {
            serde_json::Value::Array(l) => l.iter().collect(),
            other => vec![other],
        };
        let mut chosen = BTreeSet::new();
        for x in list {
            let i = x.as_u64().ok_or_else(|| FieldError::new(format!("answers.{k}"), Q::AnswerShape {}))? as usize;
            if i >= q.options.len() {
                return Err(FieldError::new(format!("answers.{k}"), Q::OptionRange {}));
            }
            chosen.insert(i);
        }
        if !q.multiple && chosen.len() > 1 {
            return Err(FieldError::new(format!("answers.{k}"), Q::SingleOneAnswer {}));
        }
        out.insert(k.clone(), chosen.into_iter().collect());
    }
    Ok(out)
}

/// Scores answers: a question is right when exactly its right options are chosen.
pub fn score(spec: &QuizSpec, answers: &BTreeMap<String, Vec<usize>>) -> Score {
    let questions: Vec<QuestionResult> = spec
        .questions
        .iter()
        .map(|q| {
            let right: Vec<usize> = q.right().into_iter().collect();
            let chosen = answers.get(&q.key).cloned().unwrap_or_default();
            QuestionResult { key: q.key.clone(), correct: chosen == right, chosen, right }
        })
        .collect();
    let total = questions.len() as i64;
    let right = questions.iter().filter(|q| q.correct).count() as i64;
    let percent = if total == 0 { 0 } else { right * 100 / total };
    Score { right, total, percent, passed: percent >= spec.pass_percent, questions }
}

/// What the regulation says about one stage, for generated questions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageFacts {
    pub name: String,
    pub required_fields: Vec<String>,
    pub rotting_days: Option<i64>,
    pub goal: Option<String>,
}

/// A field a deal may have: its key and the label shown when the reader's catalogue has none
/// (a custom field's own label).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldFacts {
    pub key: String,
    pub label: String,
}

/// The regulation as generation reads it: stages in pipeline and position order, the deal fields
/// distractors are drawn from, the lost reasons.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegulationFacts {
    pub stages: Vec<StageFacts>,
    pub fields: Vec<FieldFacts>,
    pub lost_reasons: Vec<String>,
}

/// A small deterministic generator (splitmix64): the same seed gives the same quiz.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// Most questions of each kind in a generated quiz.
const PER_KIND: usize = 5;

fn generated(key: String, m: Msg, why: Option<Msg>, lang: Lang, multiple: bool, options: Vec<OptionSpec>) -> QuestionSpec {
    let mut args: BTreeMap<String, serde_json::Value> = m.args_json().into_iter().collect();
    if let Some(w) = &why {
        args.extend(w.args_json());
    }
    QuestionSpec {
        key,
        text: m.text(lang),
        multiple,
        options,
        explanation: why.as_ref().map(|w| w.text(lang)),
        code: Some(m.code().to_string()),
        args,
        explanation_code: why.map(|w| w.code().to_string()),
    }
}

/// The quiz generated from the regulation (key [`GENERATED_KEY`]), worded in `lang`, or `None`
/// when there is nothing to ask. Questions, in this order:
/// - for each stage with required fields: which fields are required there (multiple answers:
///   the required fields right, up to three other deal fields as distractors);
/// - for each stage with a rotting period: how many days a deal may stay (one answer: the period;
///   distractors around it);
/// - which lost reason is on the list (one reason of the list right, three made-up ones wrong);
/// - for each stage with a goal: its goal (other stages' goals as distractors).
///
/// At most five questions of each kind; options are shuffled by `seed`.
pub fn generate(facts: &RegulationFacts, seed: u64, lang: Lang) -> Option<QuizSpec> {
    let mut rng = Rng(seed);
    let mut questions = Vec::new();
    let with_required = facts.stages.iter().filter(|s| !s.required_fields.is_empty());
    for (n, s) in with_required.take(PER_KIND).enumerate() {
        let mut pool: Vec<&FieldFacts> = facts.fields.iter().filter(|f| !s.required_fields.contains(&f.key)).collect();
        rng.shuffle(&mut pool);
        let label = |k: &str| facts.fields.iter().find(|f| f.key == k).map(|f| f.label.clone()).unwrap_or_else(|| k.to_string());
        let mut options: Vec<OptionSpec> =
            s.required_fields.iter().map(|k| OptionSpec { text: label(k), right: true, field: Some(k.clone()), days: None }).collect();
        options.extend(pool.into_iter().take(3).map(|f| OptionSpec {
            text: f.label.clone(),
            right: false,
            field: Some(f.key.clone()),
            days: None,
        }));
        options.truncate(12);
        if options.len() < 2 {
            continue;
        }
        rng.shuffle(&mut options);
        let stage = s.name.clone();
        let (m, why) = (Q::GenRequiredFields { stage: stage.clone() }.into(), Q::GenRequiredFieldsWhy { stage }.into());
        questions.push(generated(format!("required_{}", n + 1), m, Some(why), lang, true, options));
    }
    let with_rotting = facts.stages.iter().filter_map(|s| s.rotting_days.filter(|d| *d > 0).map(|d| (s, d)));
    for (n, (s, days)) in with_rotting.take(PER_KIND).enumerate() {
        let mut values = vec![days];
        for c in [days * 2, (days / 2).max(2), days + 3, days + 7, days + 1] {
            if values.len() < 4 && !values.contains(&c) {
                values.push(c);
            }
        }
        values.sort_unstable();
        let options = values
            .into_iter()
            .map(|v| OptionSpec { text: Msg::from(Q::Days { n: v }).text(lang), right: v == days, field: None, days: Some(v) })
            .collect();
        let stage = s.name.clone();
        let m = Q::GenRottingDays { stage: stage.clone() }.into();
        let why = Q::GenRottingDaysWhy { stage, n: days }.into();
        questions.push(generated(format!("rotting_{}", n + 1), m, Some(why), lang, false, options));
    }
    if !facts.lost_reasons.is_empty() {
        let right = facts.lost_reasons[rng.below(facts.lost_reasons.len())].clone();
        let made_up: [Msg; 3] = [Q::NotReasonWeather {}.into(), Q::NotReasonMood {}.into(), Q::NotReasonOther {}.into()];
        let mut options = vec![OptionSpec { text: right, right: true, field: None, days: None }];
        for m in made_up {
            let text = m.text(lang);
            if !facts.lost_reasons.contains(&text) {
                options.push(OptionSpec { text, right: false, field: None, days: None });
            }
        }
        rng.shuffle(&mut options);
        questions.push(generated(
            "lost_reason".into(),
            Q::GenLostReason {}.into(),
            Some(Q::GenLostReasonWhy {}.into()),
            lang,
            false,
            options,
        ));
    }
    let goals: Vec<(&StageFacts, &str)> =
        facts.stages.iter().filter_map(|s| s.goal.as_deref().map(str::trim).filter(|g| !g.is_empty()).map(|g| (s, g))).collect();
    if goals.len() >= 2 {
        for (n, (s, goal)) in goals.iter().take(PER_KIND).enumerate() {
            let mut others: Vec<&str> = goals.iter().map(|(_, g)| *g).filter(|g| g != goal).collect();
            others.sort_unstable();
            others.dedup();
            rng.shuffle(&mut others);
            let mut options = vec![OptionSpec { text: goal.to_string(), right: true, field: None, days: None }];
            options.extend(others.into_iter().take(3).map(|g| OptionSpec { text: g.to_string(), right: false, field: None, days: None }));
            rng.shuffle(&mut options);
            questions.push(generated(format!("goal_{}", n + 1), Q::GenGoal { stage: s.name.clone() }.into(), None, lang, false, options));
        }
    }
    if questions.is_empty() {
        return None;
    }
    Some(QuizSpec {
        key: GENERATED_KEY.into(),
        title: Msg::from(Q::GenTitle {}).text(lang),
        pass_percent: 80,
        required_for_role: None,
        assign_new_users: true,
        repeat_days: None,
        time_limit_minutes: None,
        max_attempts: None,
        questions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts() -> RegulationFacts {
        RegulationFacts {
            stages: vec![
                StageFacts { name: "Принял в работу".into(), required_fields: vec![], rotting_days: Some(3), goal: None },
                StageFacts {
                    name: "Отправлено КП".into(),
                    required_fields: vec!["value".into(), "custom.budget".into()],
                    rotting_days: None,
                    goal: None,
                },
            ],
            fields: ["title", "value", "person_id", "organization_id", "expected_close_date", "source"]
                .iter()
                .map(|k| FieldFacts { key: k.to_string(), label: k.to_string() })
                .chain([FieldFacts { key: "custom.budget".into(), label: "Бюджет".into() }])
                .collect(),
            lost_reasons: vec!["Дорого".into(), "Выбрали конкурента".into()],
        }
    }

    #[test]
    fn generated_answers_match_the_regulation() {
        let q = generate(&facts(), 7, Lang::Ru).unwrap();
        let req = &q.questions[0];
        assert_eq!(req.text, "Какие поля обязательны на этапе «Отправлено КП»?");
        let right: BTreeSet<String> = req.options.iter().filter(|o| o.right).filter_map(|o| o.field.clone()).collect();
        assert_eq!(right, ["custom.budget".to_string(), "value".to_string()].into());
        assert!(req.options.iter().filter(|o| !o.right).all(|o| !["value", "custom.budget"].contains(&o.field.as_deref().unwrap())));
        assert_eq!(req.options.len(), 5);
        let rot = &q.questions[1];
        assert_eq!(rot.text, "Сколько дней сделка может находиться на этапе «Принял в работу»?");
        assert_eq!(rot.options.iter().filter(|o| o.right).map(|o| o.text.as_str()).collect::<Vec<_>>(), ["3 дн."]);
        let lost = &q.questions[2];
        let right: Vec<&str> = lost.options.iter().filter(|o| o.right).map(|o| o.text.as_str()).collect();
        assert_eq!(right.len(), 1);
        assert!(facts().lost_reasons.iter().any(|r| r == right[0]));
        assert!(lost.options.iter().filter(|o| !o.right).all(|o| !facts().lost_reasons.contains(&o.text)));
        // Deterministic, and the seed only reorders.
        assert_eq!(generate(&facts(), 7, Lang::Ru), Some(q.clone()));
        // The wording is a catalogue message: in English for an English reader.
        assert_eq!(req.msg().unwrap().text(Lang::En), "Which fields are required at the stage “Отправлено КП”?");
        assert!(check(q).is_ok());
    }

    #[test]
    fn nothing_to_ask() {
        assert_eq!(generate(&RegulationFacts::default(), 1, Lang::En), None);
    }

    fn quiz() -> QuizSpec {
        from_json(&json!({
            "key": "basics", "title": "Basics", "pass_percent": 50,
            "questions": [
                {"key": "one", "text": "Pick b", "options": [{"text": "a"}, {"text": "b", "right": true}]},
                {"key": "many", "text": "Pick a and c", "multiple": true,
                 "options": [{"text": "a", "right": true}, {"text": "b"}, {"text": "c", "right": true}]}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn scoring_single_and_multiple() {
        let q = quiz();
        let s = score(&q, &parse_answers(&q, &json!({"one": 1, "many": [0, 2]})).unwrap());
        assert_eq!((s.right, s.total, s.percent, s.passed), (2, 2, 100, true));
        // A partly right multiple answer is wrong.
        let s = score(&q, &parse_answers(&q, &json!({"one": [1], "many": [0]})).unwrap());
        assert_eq!((s.right, s.percent, s.passed), (1, 50, true));
        let s = score(&q, &parse_answers(&q, &json!({"one": 0, "many": [0, 1, 2]})).unwrap());
        assert_eq!((s.right, s.percent, s.passed), (0, 0, false));
        assert!(parse_answers(&q, &json!({"one": [0, 1]})).is_err());
        assert!(parse_answers(&q, &json!({"one": 5})).is_err());
        assert!(parse_answers(&q, &json!({"nope": 0})).is_err());
    }

    #[test]
    fn the_editor_text_round_trips_and_keeps_generated_questions() {
        let generated = generate(&facts(), 3, Lang::Ru).unwrap();
        let text = to_text(&generated.questions);
        assert_eq!(from_text(&text, &generated.questions).unwrap(), generated.questions);
        let edited = format!("? Новый вопрос?\n- нет\n+ да\n= потому что\n\n{text}");
        let q = from_text(&edited, &generated.questions).unwrap();
        assert_eq!((q[0].key.as_str(), q[0].multiple, q[0].explanation.as_deref()), ("q1", false, Some("потому что")));
        assert_eq!(&q[1..], &generated.questions[..]);
        assert_eq!(from_text("+ без вопроса", &[]).unwrap_err().msg.code(), "quiz_text_line");
        assert!(from_text("?+ Несколько\n+ а\n- б", &[]).unwrap()[0].multiple);
    }

    #[test]
    fn bad_quizzes() {
        let bad = |v: serde_json::Value| from_json(&v).unwrap_err().msg.code();
        let base = json!({"key": "k", "title": "T", "pass_percent": 80, "questions": [{"key": "q", "text": "?", "options": [{"text": "a", "right": true}, {"text": "b", "right": true}]}]});
        assert_eq!(bad(base.clone()), "quiz_single_one_right");
        let mut v = base.clone();
        v["extra"] = json!(1);
        assert_eq!(bad(v), "quiz_spec");
        let mut v = base.clone();
        v["pass_percent"] = json!(0);
        assert_eq!(bad(v), "quiz_pass_percent");
        let mut v = base;
        v["required_for_role"] = json!("boss");
        v["questions"][0]["multiple"] = json!(true);
        assert_eq!(bad(v), "quiz_role");
    }

    #[test]
    fn limits_are_checked() {
        let bad = |v: serde_json::Value| from_json(&v).unwrap_err().msg.code().to_string();
        let mut v = serde_json::to_value(quiz()).unwrap();
        v["time_limit_minutes"] = json!(0);
        assert_eq!(bad(v.clone()), "quiz_time_limit");
        v["time_limit_minutes"] = json!(10);
        v["max_attempts"] = json!(101);
        assert_eq!(bad(v.clone()), "quiz_max_attempts");
        v["max_attempts"] = json!(3);
        let q = from_json(&v).unwrap();
        assert_eq!((q.time_limit_minutes, q.max_attempts), (Some(10), Some(3)));
    }

    #[test]
    fn each_attempt_shuffles_questions_and_options_its_own_stable_way() {
        let mut q = quiz();
        for i in 2..8 {
            let mut extra = q.questions[0].clone();
            extra.key = format!("extra_{i}");
            q.questions.push(extra);
        }
        let a = shuffled(&q, 41);
        // Stable for one attempt: the same id gives the same order.
        assert_eq!(a, shuffled(&q, 41));
        // A permutation of the questions, each with a permutation of its options.
        let mut qs: Vec<usize> = a.iter().map(|(i, _)| *i).collect();
        qs.sort_unstable();
        assert_eq!(qs, (0..q.questions.len()).collect::<Vec<_>>());
        for (i, opts) in &a {
            let mut o = opts.clone();
            o.sort_unstable();
            assert_eq!(o, (0..q.questions[*i].options.len()).collect::<Vec<_>>());
        }
        // Another attempt sees another order (some of these ids differ from 41's).
        assert!((42..50).any(|seed| shuffled(&q, seed) != a));
        let identity: Vec<usize> = (0..q.questions.len()).collect();
        assert!((1..20).any(|seed| shuffled(&q, seed).iter().map(|(i, _)| *i).collect::<Vec<_>>() != identity));
    }
}

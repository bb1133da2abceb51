//! The filter language: conditions over deals, persons, organizations and activities, such as
//! `status = open and not exists activity(done = false)`.
//!
//! Three steps, each with its own type, so that nothing unchecked reaches a database:
//!
//! 1. [`parse`] turns text into a syntax tree ([`Expr`]) whose nodes carry [`Span`]s;
//! 2. [`check`] resolves that tree against a [`FilterSchema`] (the entity, its custom fields,
//!    pipelines, stages, teams and the current user) into a [`Checked`] condition: names are
//!    ids, literals are in storage units, both sides of every comparison have one type;
//! 3. [`eval`] runs a [`Checked`] condition over an in-memory [`EvalRecord`]; the store compiles
//!    the same [`Checked`] into SQL following the contract written on [`Cond`].
//!
//! Time is never read here: `now` and `today` stay symbolic ([`Operand::Now`], [`Operand::Today`])
//! and the evaluator (like the SQL compiler) is given `now_ms`.
//!
//! # Grammar
//!
//! ```text
//! filter     = or_expr EOF
//! or_expr    = and_expr { "or" and_expr }
//! and_expr   = unary { "and" unary }
//! unary      = "not" unary | primary
//! primary    = "(" or_expr ")"
//!            | "exists" collection
//!            | predicate
//! predicate  = term cmp_op term                         (* status = open, stage >= "Договор" *)
//!            | term ( "~" | "!~" ) term                 (* contains, case-insensitive *)
//!            | term [ "not" ] "in" "(" term { "," term } ")"
//!            | term "is" [ "not" ] "empty"
//!            | term                                     (* a true/false field: done, owner.active *)
//! cmp_op     = "=" | "!=" | "<" | "<=" | ">" | ">="
//! term       = atom { ( "+" | "-" ) atom }              (* now - 7d, today + 1d, 2026-01-31 + 2w *)
//! atom       = path | STRING | NUMBER | "-" NUMBER | DURATION | DATE
//!            | "true" | "false" | "now" | "today" | "me"
//!            | "count" collection                       (* count activity(done = false) = 0 *)
//! collection = IDENT [ "(" [ or_expr ] ")" ]            (* activity(...), deal(...) *)
//! path       = IDENT [ "." IDENT ]                       (* status, org.name, owner.team *)
//!
//! IDENT      = (letter | "_") { letter | digit | "_" }  (* Unicode letters allowed *)
//! STRING     = '"' { any character but '"' and '\', or '\"', or '\\' } '"'
//! NUMBER     = digit { digit } [ "." digit { digit } ]
//! DURATION   = digit { digit } unit                     (* no space between: 7d *)
//! unit       = "m" (minute) | "h" | "d" | "w" | "mo" (30 days)
//! DATE       = digit{4} "-" digit{2} "-" digit{2}       (* 2026-01-31, midnight UTC *)
//! ```
//!
//! Keywords (`and or not in is empty exists count true false now today me`) and duration
//! units are case-insensitive, and so are enum values where that is unambiguous
//! (`status = OPEN`); field names, strings and `=` between texts are not. `now` is the
//! current instant, `today` the start of the current UTC day, `me` the current user's id.
//! A bare identifier on the value side is an enum value (`status = open`, `type = call`);
//! other text goes in double quotes. Whitespace, including newlines, separates tokens.
//!
//! # Meaning
//!
//! * Fields are the entity's columns from [`crate::schema`] by name, plus aliases: `owner`
//!   (`owner_id`), `org`/`organization` (`organization_id`), `person`, `deal`, `pipeline`
//!   (compared with a pipeline name), `stage` (compared with a stage name, ordered by the
//!   stage's position in the deal's pipeline) and, on users, `team` (a team name). Custom
//!   fields are addressed by their key. `last_activity_at` is derived on deals, persons and
//!   organizations: the latest of their activities' `done_at` (or `created_at` for one not
//!   done); empty when there are none.
//! * Relations, one step deep: `org.` and `person.` on deals, `org.` on persons and
//!   activities, `person.` on activities, `owner.` (the user) everywhere.
//! * The touch a deal is credited to, per attribution model ([`crate::attribution`]):
//!   `first_touch.`, `last_touch.` and `last_non_direct_touch.` with `channel` (the `utm_source`
//!   through the workspace's channel aliases), `campaign` and `term`, text folded as the marks
//!   are (`first_touch.channel = "Яндекс"` is `= "yandex"`); empty for a deal without a touch.
//! * Collections: `activity` on deals, persons and organizations; `deal` on persons and
//!   organizations. `exists activity(cond)` and `count activity(cond) >= 2`; the condition
//!   is written over the collection's entity, and may be left out.
//! * Money is written in major units (`value > 100000` is 100 000 roubles) and compared in
//!   minor units. Text `=` is exact; `~` (contains) ignores case, Cyrillic included.
//! * At most [`MAX_LEN`] characters and [`MAX_DEPTH`] levels of nesting (parentheses, `not`,
//!   `exists`, `count`).
mod ast;
mod check;
mod eval;
mod lexer;
mod parser;

#[cfg(test)]
mod tests;

pub use ast::{CmpOp, Collection, Expr, ExprKind, Ident, Sign, Span, Term, TermKind};
pub use check::{
    check, touch_relation, Checked, Column, ColumnRef, Cond, FilterSchema, Lit, Operand, PipelineInfo, Side, StageInfo, Sub, TouchPart,
    TouchRef, Ty, DAY_MS,
};
pub use eval::{eval, EvalRecord};
pub use parser::parse;

/// Writes text as a filter string literal, escaping `"` and `\`.
pub(crate) use ast::quote;

use crate::msg::{FilterMistake, FilterMsg, Lang};
use std::fmt;

/// The longest filter accepted, in characters.
pub const MAX_LEN: usize = 4000;
/// Source lines longer than this are shown cut around the error's position.
const RENDER_WIDTH: usize = 100;
/// The deepest nesting accepted: parentheses, `not`, `exists` and `count` each add a level.
pub const MAX_DEPTH: usize = 32;

/// A filter that cannot be parsed or checked, with the place it went wrong.
/// `line` and `column` are 1-based; `column`, `offset` and `len` count characters
/// (Unicode scalar values), not bytes. The mistake and its hint are catalogue messages
/// ([`FilterMsg`]): a reader sees them in their language, the API carries their codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub msg: Box<FilterMsg>,
    pub hint: Option<Box<FilterMsg>>,
    pub line: usize,
    pub column: usize,
    pub offset: usize,
    pub len: usize,
}

impl FilterError {
    pub(crate) fn new(span: Span, msg: FilterMsg) -> Self {
        FilterError { msg: Box::new(msg), hint: None, line: span.line, column: span.column, offset: span.offset, len: span.len }
    }

    pub(crate) fn hint(mut self, hint: FilterMsg) -> Self {
        self.hint = Some(Box::new(hint));
        self
    }

    /// The mistake and its hint as an argument of another message.
    pub fn mistake(&self) -> FilterMistake {
        FilterMistake { msg: self.msg.clone(), hint: self.hint.clone() }
    }

    /// The mistake in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        (*self.msg).clone().into_msg().text(lang)
    }

    /// The hint in `lang`, if there is one.
    pub fn hint_text(&self, lang: Lang) -> Option<String> {
        self.hint.as_deref().map(|h| h.clone().into_msg().text(lang))
    }

    /// The mistake and its hint in `lang`: `unknown field 'citty' — did you mean 'city'?`.
    pub fn summary(&self, lang: Lang) -> String {
        let mut out = self.message(lang);
        if let Some(h) = self.hint_text(lang) {
            out.push_str(" — ");
            out.push_str(&h);
        }
        out
    }

    /// [`Self::render_in`] in English.
    pub fn render(&self, source: &str) -> String {
        self.render_in(Lang::En, source)
    }

    /// The message in `lang`, then the offending line of `source` with carets under the position:
    ///
    /// ```text
    /// unknown field 'citty' — did you mean 'city'?
    /// 1 | citty is empty
    ///   | ^^^^^
    /// ```
    pub fn render_in(&self, lang: Lang, source: &str) -> String {
        let mut out = self.summary(lang);
        if let Some(lines) = self.pointer(source) {
            out.push('\n');
            out.push_str(&lines);
        }
        out
    }

    /// The offending line of `source` and a line of carets under the position (two lines).
    pub fn pointer(&self, source: &str) -> Option<String> {
        let text = source.split('\n').nth(self.line.saturating_sub(1))?;
        let chars: Vec<char> = text.strip_suffix('\r').unwrap_or(text).chars().collect();
        let at = self.column.saturating_sub(1).min(chars.len());
        // A long line is cut to a window around the position.
        let (mut start, mut end) = (0, chars.len());
        if chars.len() > RENDER_WIDTH {
            start = at.saturating_sub(RENDER_WIDTH / 2);
            end = (start + RENDER_WIDTH).min(chars.len());
            start = end.saturating_sub(RENDER_WIDTH).min(start);
        }
        let shown: String = chars.get(start..end).unwrap_or_default().iter().collect();
        let before: String = chars.get(start..at).unwrap_or_default().iter().map(|c| if *c == '\t' { '\t' } else { ' ' }).collect();
        let (open, pad) = if start > 0 { ("…", " ") } else { ("", "") };
        let close = if end < chars.len() { "…" } else { "" };
        let carets = self.len.min(end.saturating_sub(at)).max(1);
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        Some(format!("{number} | {open}{shown}{close}\n{gutter} | {pad}{before}{}", "^".repeat(carets)))
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.summary(Lang::En))
    }
}

impl std::error::Error for FilterError {}

/// Parses and checks in one step.
pub fn parse_and_check(src: &str, schema: &FilterSchema) -> Result<Checked, FilterError> {
    check(&parse(src)?, schema)
}

//! The knowledge base, pure: an article as the regulation file writes it ([`ArticleSpec`]), its
//! kind (an article or a call script), its stable key, and its links to the objects of the
//! regulation (stages, hygiene rules, a stage's entry tasks, message templates), each named by
//! that object's stable key — never a database id, so a file applies to any workspace.
//!
//! Text elsewhere (a rule's FAQ, an entry task's description) may point at an article with
//! `kb:<key>`; [`refs`] finds those references so views can make them links.
//!
//! This module checks shapes only; whether a linked stage exists is the store's question (a link
//! to a stage that is later removed stays and simply shows nowhere).
use crate::domain::string_enum;
use crate::error::FieldError;
use crate::msg::{Common, KbMsg};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashSet;

/// Longest title and section name, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest article body, in characters (a long instruction fits; a book does not).
pub const BODY_MAX: usize = 100_000;
/// Most links one article may have.
pub const LINKS_MAX: usize = 50;

string_enum!(
    /// What an article is: an instruction or rule to read, or a script to follow on a call (shown
    /// on the deal card at the stages it is linked to).
    ArticleKind { Article = "article", Script = "script" }
);

#[expect(clippy::derivable_impls, reason = "string_enum! declares the enum; #[default] cannot be put on its variant")]
impl Default for ArticleKind {
    fn default() -> Self {
        ArticleKind::Article
    }
}

impl Serialize for ArticleKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ArticleKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ArticleKind::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown article kind '{s}', expected article or script")))
    }
}

string_enum!(
    /// What an article may be linked from.
    LinkKind { Stage = "stage", Rule = "rule", EntryTask = "entry_task", Template = "template" }
);

/// A link from an object of the regulation to an article: `stage:first_call`, `rule:no_task`,
/// `entry_task:first_call` (the entry tasks of that stage), `template:welcome`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Link {
    pub kind: LinkKind,
    pub key: String,
}

impl PartialOrd for LinkKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LinkKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Link {
    /// Parses `kind:key`; the key is any non-empty text of at most 128 characters without spaces
    /// (stage and rule keys are the regulation file's).
    pub fn parse(s: &str) -> Option<Link> {
        let (kind, key) = s.trim().split_once(':')?;
        let kind = LinkKind::parse(kind.trim())?;
        let key = key.trim();
        if key.is_empty() || key.chars().count() > 128 || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        Some(Link { kind, key: key.to_string() })
    }
}

impl std::fmt::Display for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.key)
    }
}

impl Serialize for Link {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Link {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Link::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{s}' is not a link: write stage:<key>, rule:<key>, entry_task:<stage key> or template:<key>"
            ))
        })
    }
}

/// One article as the regulation file holds it (`[[articles]]`). Keys are stable; the body is
/// Markdown, stored as written and sanitised when rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleSpec {
    pub key: String,
    pub section: String,
    pub title: String,
    #[serde(default)]
    pub kind: ArticleKind,
    pub body: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

/// Whether `key` is an article key: starts with a-z or 0-9, then a-z, 0-9, `_` or `-`, at most 64.
pub fn key_ok(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && key.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// A key made from a title: Russian letters transliterated, everything else folded to `-`.
/// Used when an editor does not type a key; the store makes it unique.
pub fn slug(title: &str) -> String {
    let s = crate::translit::joined(title, '-', 56);
    if s.is_empty() {
        "article".into()
    } else {
        s
    }
}

fn text(field: &str, v: &str, max: usize) -> Result<(), FieldError> {
    if v.trim().is_empty() {
        return Err(FieldError::new(field, Common::Required {}));
    }
    if v.contains('\0') {
        return Err(FieldError::new(field, Common::NoNul {}));
    }
    let n = v.chars().count();
    if n > max {
        return Err(FieldError::new(field, Common::TooLongCount { n: n as i64, max: max as i64 }));
    }
    Ok(())
}

impl ArticleSpec {
    /// Checks one article's shape; errors name the part (`key`, `title`, `body`, `links`).
    pub fn check(&self) -> Result<(), FieldError> {
        if !key_ok(&self.key) {
            return Err(FieldError::new("key", KbMsg::KeyShape {}));
        }
        text("title", &self.title, TITLE_MAX)?;
        text("section", &self.section, TITLE_MAX)?;
        if self.body.contains('\0') {
            return Err(FieldError::new("body", Common::NoNul {}));
        }
        let n = self.body.chars().count();
        if n > BODY_MAX {
            return Err(FieldError::new("body", Common::TooLongCount { n: n as i64, max: BODY_MAX as i64 }));
        }
        if self.links.len() > LINKS_MAX {
            return Err(FieldError::new("links", Common::AtMost { n: LINKS_MAX as i64 }));
        }
        Ok(())
    }

    /// The links sorted and without repeats, as stored.
    pub fn normalized_links(&self) -> Vec<Link> {
        let mut l = self.links.clone();
        l.sort();
        l.dedup();
        l
    }
}

/// Checks a whole set of articles (a regulation file's): each one, and that no key is used twice.
/// Errors name the article by position: `articles.3.key`.
pub fn check_all(specs: &[ArticleSpec]) -> Result<(), FieldError> {
    let mut seen = HashSet::new();
    for (i, a) in specs.iter().enumerate() {
        a.check().map_err(|e| FieldError { field: format!("articles.{i}.{}", e.field), ..e })?;
        if !seen.insert(a.key.as_str()) {
            return Err(FieldError::new(format!("articles.{i}.key"), KbMsg::KeyTwice { key: a.key.clone() }));
        }
    }
    Ok(())
}

/// Parses links typed one per line or comma-separated (the editor's field); a bad one is an error
/// naming it.
pub fn parse_links(s: &str) -> Result<Vec<Link>, FieldError> {
    let mut out = Vec::new();
    for part in s.split(['\n', ',']).map(str::trim).filter(|p| !p.is_empty()) {
        out.push(Link::parse(part).ok_or_else(|| FieldError::new("links", KbMsg::LinkShape { link: part.to_string() }))?);
    }
    if out.len() > LINKS_MAX {
        return Err(FieldError::new("links", Common::AtMost { n: LINKS_MAX as i64 }));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The article keys referenced as `kb:<key>` in a text, in order, each once.
pub fn refs(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    pieces(text, |p| {
        if let Piece::Ref { key, .. } = p {
            if !out.contains(&key) {
                out.push(key);
            }
        }
    });
    out
}

/// A part of a text: plain text, or a `kb:<key>` reference (`in_link` when it is a Markdown
/// link's target, right after `(`).
pub enum Piece<'a> {
    Text(&'a str),
    Ref { key: &'a str, in_link: bool },
}

/// Walks `text`, handing each plain part and each `kb:<key>` reference to `on`, in order. A
/// reference starts at a word boundary and names a valid key; any other `kb:` is text.
pub fn pieces<'a>(text: &'a str, mut on: impl FnMut(Piece<'a>)) {
    let mut rest = text;
    while let Some(i) = rest.find("kb:") {
        let (before, after) = rest.split_at(i);
        on(Piece::Text(before));
        let after = &after[3..];
        let end = after.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')).unwrap_or(after.len());
        let key = after[..end].trim_end_matches(['-', '_']);
        let boundary = !before.chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_');
        if boundary && key_ok(key) {
            on(Piece::Ref { key, in_link: before.ends_with('(') });
            rest = &after[key.len()..];
        } else {
            on(Piece::Text("kb:"));
            rest = after;
        }
    }
    on(Piece::Text(rest));
}

/// How well an article found by a search matches it, for the order of the results: a word of
/// the query in the title weighs most, in the section less, only in the text least (every word
/// is somewhere, or the article would not be found); a title that starts with the query, or is
/// it, comes first.
pub fn relevance(query: &str, title: &str, section: &str) -> u32 {
    let (q, title, section) = (query.trim().to_lowercase(), title.to_lowercase(), section.to_lowercase());
    let words: Vec<&str> = q.split_whitespace().collect();
    let mut score: u32 = words
        .iter()
        .map(|w| {
            if title.contains(w) {
                3
            } else if section.contains(w) {
                2
            } else {
                1
            }
        })
        .sum();
    if !q.is_empty() && title.starts_with(&q) {
        score += 5;
    }
    if title == q {
        score += 5;
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ArticleSpec {
        ArticleSpec {
            key: "first-call".into(),
            section: "Скрипты".into(),
            title: "Первый звонок".into(),
            kind: ArticleKind::Script,
            body: "**Здравствуйте!**".into(),
            links: vec![Link::parse("stage:new").unwrap_or_else(|| unreachable!())],
        }
    }

    #[test]
    fn a_spec_round_trips_through_toml_with_links_as_text() {
        #[derive(Serialize, Deserialize)]
        struct F {
            articles: Vec<ArticleSpec>,
        }
        let text = toml::to_string(&F { articles: vec![spec()] }).unwrap_or_default();
        assert!(text.contains("links = [\"stage:new\"]"), "{text}");
        assert!(text.contains("kind = \"script\""), "{text}");
        let back: F = toml::from_str(&text).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(back.articles, vec![spec()]);
    }

    #[test]
    fn unknown_fields_kinds_and_links_are_refused() {
        let bad = |s: &str| toml::from_str::<ArticleSpec>(s).is_err();
        assert!(bad("key='a'\nsection='s'\ntitle='t'\nbody=''\ncolour='red'"));
        assert!(bad("key='a'\nsection='s'\ntitle='t'\nbody=''\nkind='poem'"));
        assert!(bad("key='a'\nsection='s'\ntitle='t'\nbody=''\nlinks=['deal:1']"));
        assert!(!bad("key='a'\nsection='s'\ntitle='t'\nbody=''"));
    }

    #[test]
    fn checks_name_the_part() {
        let mut s = spec();
        s.key = "Первый".into();
        assert_eq!(s.check().map_err(|e| e.field), Err("key".to_string()));
        let mut s = spec();
        s.title = " ".into();
        assert_eq!(s.check().map_err(|e| e.field), Err("title".to_string()));
        let err = check_all(&[spec(), spec()]).map_err(|e| (e.field, e.msg.code()));
        assert_eq!(err, Err(("articles.1.key".to_string(), "kb_key_twice")));
    }

    #[test]
    fn slugs_transliterate_and_stay_keys() {
        assert_eq!(slug("Как заполнить название сделки?"), "kak-zapolnit-nazvanie-sdelki");
        assert_eq!(slug("!!!"), "article");
        assert!(key_ok(&slug(&"очень длинное название ".repeat(10))));
    }

    #[test]
    fn kb_references_are_found_once_and_only_at_word_starts() {
        assert_eq!(refs("См. kb:deal-name и kb:first_call, ещё раз kb:deal-name."), vec!["deal-name", "first_call"]);
        assert!(refs("mykb:x").is_empty());
        assert_eq!(parse_links("stage:a, rule:b\nstage:a").map(|l| l.len()), Ok(2));
        assert_eq!(parse_links("stag:a").map_err(|e| e.msg.code()), Err("kb_link_shape"));
    }

    #[test]
    fn a_title_match_ranks_above_a_section_match_above_the_text() {
        let title = relevance("скидка", "Когда дать скидка-купон", "Продажи");
        let section = relevance("скидка", "Согласование", "Скидка и цены");
        let text = relevance("скидка", "Согласование", "Продажи");
        assert!(title > section && section > text, "{title} {section} {text}");
        assert!(relevance("скидки", "Скидки", "") > relevance("скидки", "Скидки партнёрам", ""));
        assert!(relevance("скидки", "Скидки партнёрам", "") > relevance("скидки", "Партнёрам скидки", ""));
        assert_eq!(relevance("", "Скидки", ""), 0);
    }
}

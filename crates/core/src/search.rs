//! Global search: what a typed query means, and the words a record is found by.
//!
//! A record is indexed by the words of its name (a deal by its title): lower-cased, `ё` read as
//! `е`, split at anything that is not a letter or a digit. A query matches a record when every
//! query word is the beginning of one of the record's words, so `петр ив` finds "Иван Петров".
//! Beside the words, a query that reads as a phone number (in any spelling the workspace's region
//! understands), an e-mail address or a tax id is looked up exactly, the way intake finds a client.
use crate::msg::{Common, Msg};
use crate::types::{Email, Phone};

/// Words kept per record: a title longer than this is found by its first words.
pub const MAX_TERMS: usize = 16;
/// Characters kept per word; a longer word is found by its beginning.
pub const MAX_TERM_CHARS: usize = 40;
/// The shortest query worth running: one character matches half the base.
pub const MIN_QUERY_CHARS: usize = 2;
/// Words of a query that are used; the rest would not narrow a result of a few rows.
pub const MAX_QUERY_WORDS: usize = 4;

/// The normal form of one word: lower case, `ё` as `е`, at most [`MAX_TERM_CHARS`] characters.
fn fold(word: &str) -> String {
    word.chars().flat_map(char::to_lowercase).map(|c| if c == 'ё' { 'е' } else { c }).take(MAX_TERM_CHARS).collect()
}

/// The distinct words a text is found by, in their order of first appearance.
pub fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let t = fold(word);
        if !out.contains(&t) {
            out.push(t);
            if out.len() == MAX_TERMS {
                break;
            }
        }
    }
    out
}

/// The exclusive upper end of the range of words that begin with `prefix`: the prefix with its
/// last character moved one code point on (byte order of UTF-8 is code point order).
pub fn prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1).or_else(|| char::from_u32(last as u32 + 0x801)) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    // Only an empty prefix gets here; every word sorts below this.
    char::MAX.to_string()
}

/// A parsed search query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// The query as typed, trimmed (for display).
    pub text: String,
    /// Word prefixes, longest first (the longest narrows most).
    pub words: Vec<String>,
    /// The query as a phone number in E.164, when it reads as one.
    pub phone: Option<String>,
    /// The query as an e-mail address, normalised as identities are.
    pub email: Option<String>,
    /// The query as a Russian tax id (ИНН: 10 or 12 digits), when it is one.
    pub tax_id: Option<String>,
}

impl SearchQuery {
    /// Reads a query; refuses one too short to be useful.
    pub fn parse(raw: &str, region: &str) -> Result<Self, Msg> {
        let text = raw.trim();
        if text.chars().filter(|c| c.is_alphanumeric()).count() < MIN_QUERY_CHARS {
            return Err(Common::SearchTooShort { min: MIN_QUERY_CHARS as i64 }.into());
        }
        let mut words = terms(text);
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        words.truncate(MAX_QUERY_WORDS);
        let phoneish = text.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let phone = phoneish.then(|| Phone::parse(text, region).ok()).flatten().map(Phone::into_string);
        let email = text.contains('@').then(|| Email::parse(text).ok()).flatten().map(|e| e.as_str().to_string());
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let tax_id = (phoneish && matches!(digits.len(), 10 | 12) && !text.contains('+')).then_some(digits);
        Ok(SearchQuery { text: text.to_string(), words, phone, email, tax_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_split_and_deduplicated() {
        assert_eq!(terms("Иван Петров"), vec!["иван", "петров"]);
        assert_eq!(terms("ООО «Ёлки-Палки», ООО"), vec!["ооо", "елки", "палки"]);
        assert_eq!(terms("Поставка 12 станков / ЧПУ"), vec!["поставка", "12", "станков", "чпу"]);
        assert!(terms(" — ").is_empty());
        let long = "слово ".repeat(3) + &(0..40).map(|i| format!("w{i} ")).collect::<String>();
        assert_eq!(terms(&long).len(), MAX_TERMS);
    }

    #[test]
    fn a_prefix_range_holds_exactly_the_words_that_begin_with_it() {
        let end = prefix_end("пет");
        for w in ["пет", "петров", "петя"] {
            assert!(w >= "пет" && w < end.as_str(), "{w}");
        }
        for w in ["пес", "пеу", "петр".replace('т', "у").as_str()] {
            assert!(!(w >= "пет" && w < end.as_str()), "{w}");
        }
        assert_eq!(prefix_end("az"), "a{");
    }

    #[test]
    fn a_phone_in_any_spelling_reads_as_one_number() {
        for typed in ["8 968 481-03-92", "+7 (968) 481 03 92", "79684810392", "9684810392"] {
            let q = SearchQuery::parse(typed, "RU").expect(typed);
            assert_eq!(q.phone.as_deref(), Some("+79684810392"), "{typed}");
        }
        assert_eq!(SearchQuery::parse("Петров", "RU").expect("name").phone, None);
    }

    #[test]
    fn email_and_tax_id_are_recognised() {
        let q = SearchQuery::parse(" Ivan@Example.COM ", "RU").expect("email");
        assert_eq!(q.email.as_deref(), Some("ivan@example.com"));
        assert_eq!(SearchQuery::parse("7707083893", "RU").expect("inn").tax_id.as_deref(), Some("7707083893"));
        assert_eq!(SearchQuery::parse("+7707083893", "RU").expect("phone").tax_id, None);
    }

    #[test]
    fn a_query_too_short_is_refused_and_words_come_longest_first() {
        assert!(SearchQuery::parse(" п ", "RU").is_err());
        assert!(SearchQuery::parse("", "RU").is_err());
        assert_eq!(SearchQuery::parse("ив петро", "RU").expect("ok").words, vec!["петро", "ив"]);
    }
}

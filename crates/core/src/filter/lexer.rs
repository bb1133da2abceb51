//! Characters to tokens, each with its [`Span`].
use super::ast::Span;
use super::FilterError;
use crate::msg::{FilterMsg as M, Found};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Str(String),
    Number(String),
    Duration { ms: i64, text: String },
    Date(String),
    LParen,
    RParen,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Tilde,
    NotTilde,
    Plus,
    Minus,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
}

impl Token {
    /// Whether this is the keyword `kw` (given in lower case), in any case.
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }

    /// How the token is named in messages.
    pub fn describe(&self) -> Found {
        match &self.tok {
            Tok::Ident(s) => Found::Word(s.clone()),
            Tok::Str(s) => Found::Literal(super::ast::quote(s)),
            Tok::Number(n) => Found::Literal(n.clone()),
            Tok::Duration { text, .. } => Found::Literal(text.clone()),
            Tok::Date(d) => Found::Literal(d.clone()),
            Tok::Eof => Found::End,
            other => Found::Word(symbol(other).to_string()),
        }
    }
}

fn symbol(t: &Tok) -> &'static str {
    match t {
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::Comma => ",",
        Tok::Dot => ".",
        Tok::Eq => "=",
        Tok::Ne => "!=",
        Tok::Lt => "<",
        Tok::Le => "<=",
        Tok::Gt => ">",
        Tok::Ge => ">=",
        Tok::Tilde => "~",
        Tok::NotTilde => "!~",
        Tok::Plus => "+",
        Tok::Minus => "-",
        _ => "",
    }
}

pub(crate) const MINUTE_MS: i64 = 60_000;

/// Length of one unit in milliseconds, for `m h d w mo` in any case.
fn unit_ms(unit: &str) -> Option<i64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "m" => MINUTE_MS,
        "h" => 60 * MINUTE_MS,
        "d" => 24 * 60 * MINUTE_MS,
        "w" => 7 * 24 * 60 * MINUTE_MS,
        "mo" => 30 * 24 * 60 * MINUTE_MS,
        _ => return None,
    })
}

struct Cursor {
    chars: Vec<char>,
    i: usize,
    line: usize,
    column: usize,
}

impl Cursor {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }
    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).copied()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }
    fn here(&self) -> Span {
        Span { offset: self.i, len: 0, line: self.line, column: self.column }
    }
    fn from(&self, start: Span) -> Span {
        Span { len: self.i - start.offset, ..start }
    }
    fn take_while(&mut self, f: impl Fn(char) -> bool) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek().filter(|c| f(*c)) {
            s.push(c);
            self.bump();
        }
        s
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The span of the `n`-th character of `src` (or of its end), for errors found before lexing.
pub(crate) fn span_at(src: &str, n: usize, len: usize) -> Span {
    let mut c = Cursor { chars: src.chars().take(n).collect(), i: 0, line: 1, column: 1 };
    while c.bump().is_some() {}
    Span { len, ..c.here() }
}

pub(crate) fn lex(src: &str) -> Result<Vec<Token>, FilterError> {
    let mut c = Cursor { chars: src.chars().collect(), i: 0, line: 1, column: 1 };
    let mut out = Vec::new();
    loop {
        while c.peek().is_some_and(char::is_whitespace) {
            c.bump();
        }
        let start = c.here();
        let Some(ch) = c.peek() else {
            out.push(Token { tok: Tok::Eof, span: start });
            return Ok(out);
        };
        let tok = if is_ident_start(ch) {
            Tok::Ident(c.take_while(is_ident_char))
        } else if ch.is_ascii_digit() {
            number(&mut c, start)?
        } else if ch == '"' {
            string(&mut c, start)?
        } else {
            c.bump();
            let next = c.peek();
            let two = |tok: Tok, c: &mut Cursor| {
                c.bump();
                tok
            };
            match (ch, next) {
                ('(', _) => Tok::LParen,
                (')', _) => Tok::RParen,
                (',', _) => Tok::Comma,
                ('.', _) => Tok::Dot,
                ('+', _) => Tok::Plus,
                ('-', _) => Tok::Minus,
                ('~', _) => Tok::Tilde,
                ('=', Some('=')) => {
                    c.bump();
                    return Err(FilterError::new(c.from(start), M::Unexpected { token: "==".into() }).hint(M::HintSingleEquals {}));
                }
                ('=', _) => Tok::Eq,
                ('!', Some('=')) => two(Tok::Ne, &mut c),
                ('!', Some('~')) => two(Tok::NotTilde, &mut c),
                ('<', Some('=')) => two(Tok::Le, &mut c),
                ('<', Some('>')) => {
                    c.bump();
                    return Err(FilterError::new(c.from(start), M::Unexpected { token: "<>".into() }).hint(M::HintNotEqual {}));
                }
                ('<', _) => Tok::Lt,
                ('>', Some('=')) => two(Tok::Ge, &mut c),
                ('>', _) => Tok::Gt,
                ('!', _) => return Err(FilterError::new(c.from(start), M::Unexpected { token: "!".into() }).hint(M::HintBang {})),
                ('&' | '|', _) => {
                    let word = if ch == '&' { "and" } else { "or" };
                    return Err(
                        FilterError::new(c.from(start), M::Unexpected { token: ch.to_string() }).hint(M::HintWrite { word: word.into() })
                    );
                }
                ('\'' | '«' | '“', _) => {
                    return Err(FilterError::new(c.from(start), M::Unexpected { token: ch.to_string() }).hint(M::HintDoubleQuotes {}))
                }
                _ => return Err(FilterError::new(c.from(start), M::UnexpectedChar { ch: ch.to_string() })),
            }
        };
        out.push(Token { tok, span: c.from(start) });
    }
}

fn digits(c: &mut Cursor) -> String {
    c.take_while(|d| d.is_ascii_digit())
}

fn number(c: &mut Cursor, start: Span) -> Result<Tok, FilterError> {
    let mut text = digits(c);
    // A date: exactly YYYY-MM-DD, with nothing glued after it.
    let date_shape = text.len() == 4
        && c.peek() == Some('-')
        && (1..=2).all(|k| c.peek_at(k).is_some_and(|d| d.is_ascii_digit()))
        && c.peek_at(3) == Some('-')
        && (4..=5).all(|k| c.peek_at(k).is_some_and(|d| d.is_ascii_digit()))
        && !c.peek_at(6).is_some_and(is_ident_char);
    if date_shape {
        for _ in 0..6 {
            if let Some(d) = c.bump() {
                text.push(d);
            }
        }
        return Ok(Tok::Date(text));
    }
    let mut decimal = false;
    if c.peek() == Some('.') && c.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
        c.bump();
        text.push('.');
        text.push_str(&digits(c));
        decimal = true;
    }
    if !c.peek().is_some_and(is_ident_start) {
        return Ok(Tok::Number(text));
    }
    let unit = c.take_while(is_ident_char);
    let span = c.from(start);
    let Some(ms) = unit_ms(&unit) else {
        return Err(FilterError::new(span, M::BadUnit { unit, number: text }).hint(M::HintUnits {}));
    };
    if decimal {
        return Err(FilterError::new(span, M::NotWholeUnits { value: format!("{text}{unit}") }).hint(M::HintWholeUnits {}));
    }
    let ms = text.parse::<i64>().ok().and_then(|n| n.checked_mul(ms));
    match ms {
        Some(ms) => Ok(Tok::Duration { ms, text: format!("{text}{unit}") }),
        None => Err(FilterError::new(span, M::DurationTooLong { value: format!("{text}{unit}") })),
    }
}

fn string(c: &mut Cursor, start: Span) -> Result<Tok, FilterError> {
    c.bump();
    let mut s = String::new();
    loop {
        let at = c.here();
        match c.bump() {
            None => {
                return Err(FilterError::new(Span { len: 1, ..start }, M::UnclosedString {}).hint(M::HintCloseString {}));
            }
            Some('"') => return Ok(Tok::Str(s)),
            Some('\\') => match c.bump() {
                Some(e @ ('"' | '\\')) => s.push(e),
                Some(other) => {
                    return Err(FilterError::new(c.from(at), M::UnknownEscape { escape: other.to_string() }).hint(M::HintEscapes {}));
                }
                None => {
                    return Err(FilterError::new(Span { len: 1, ..start }, M::UnclosedString {}).hint(M::HintCloseString {}));
                }
            },
            Some(ch) => s.push(ch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            toks("stage_entered_at < now - 7d"),
            [Tok::Ident("stage_entered_at".into()), Tok::Lt, Tok::Ident("now".into()), Tok::Minus, dur(7 * 86_400_000, "7d"), Tok::Eof]
        );
        assert_eq!(
            toks("3mo 2w 1h 5m 2MO"),
            [
                dur(3 * 30 * 86_400_000, "3mo"),
                dur(14 * 86_400_000, "2w"),
                dur(3_600_000, "1h"),
                dur(300_000, "5m"),
                dur(60 * 86_400_000, "2MO"),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("2026-01-31 1.5 100000"),
            [Tok::Date("2026-01-31".into()), Tok::Number("1.5".into()), Tok::Number("100000".into()), Tok::Eof]
        );
        assert_eq!(
            toks(r#""a \"b\" \\ c" != !~ <= >="#),
            [Tok::Str(r#"a "b" \ c"#.into()), Tok::Ne, Tok::NotTilde, Tok::Le, Tok::Ge, Tok::Eof]
        );
        assert_eq!(toks("город"), [Tok::Ident("город".into()), Tok::Eof]);
    }

    fn dur(ms: i64, text: &str) -> Tok {
        Tok::Duration { ms, text: text.into() }
    }

    #[test]
    fn positions_count_characters() {
        let t = lex("name ~ \"Ёж\"\n  and x").unwrap();
        assert_eq!(t[2].span, Span { offset: 7, len: 4, line: 1, column: 8 });
        assert_eq!(t[3].span, Span { offset: 14, len: 3, line: 2, column: 3 });
        assert_eq!(t[4].span, Span { offset: 18, len: 1, line: 2, column: 7 });
    }

    #[test]
    fn bad_input() {
        assert!(lex("\"abc").is_err());
        assert!(lex("7y").is_err());
        assert!(lex("1.5h").is_err());
        assert!(lex("a == b").is_err());
        assert!(lex("a & b").is_err());
        assert!(lex("\"\\n\"").is_err());
        assert!(lex("99999999999999999999d").is_err());
    }
}

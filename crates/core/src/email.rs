//! Inbound e-mail: turns a raw RFC 5322 / MIME message into the few facts the intake needs
//! (who wrote, to whom, the thread it belongs to, a readable text), and finds phone numbers
//! in that text. Pure: the bytes come from a webhook or an IMAP poller elsewhere.
use mail_parser::{Addr, Address, HeaderValue, Message, MessageParser, MessagePart, PartType};
use std::fmt;

/// The longest body text kept, in characters; a CRM note does not need a whole newsletter.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// The most phone numbers [`phone_candidates`] returns.
pub const MAX_PHONES: usize = 5;

/// What the intake needs from one inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEmail {
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// Without angle brackets.
    pub in_reply_to: Vec<String>,
    /// Without angle brackets, oldest first as written.
    pub references: Vec<String>,
    /// Lower-cased.
    pub from_addr: String,
    pub from_name: Option<String>,
    /// Lower-cased addresses, groups flattened.
    pub to: Vec<String>,
    /// Empty when the message has none.
    pub subject: String,
    /// The plain-text body, or a text made from the HTML body; trimmed, at most
    /// [`MAX_TEXT_CHARS`] characters.
    pub text: String,
    /// The Date header as Unix milliseconds.
    pub sent_at: Option<i64>,
}

/// Why a message was refused, naming the part at fault ("body" or "from").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailError {
    pub field: &'static str,
    pub message: String,
}

impl EmailError {
    fn body(why: &str) -> Self {
        EmailError { field: "body", message: format!("the body is not a MIME message: {why}") }
    }

    fn sender(message: String) -> Self {
        EmailError { field: "from", message }
    }
}

impl fmt::Display for EmailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for EmailError {}

/// Parses a raw message. Lenient about everything except what the intake cannot do without:
/// a header block and a usable From address.
pub fn parse_email(raw: &[u8]) -> Result<InboundEmail, EmailError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(EmailError::body("it is empty"));
    }
    let raw = skip_mbox_line(raw);
    if !starts_with_header(raw) {
        return Err(EmailError::body("it does not start with a header block (\"Name: value\" lines)"));
    }
    let msg = MessageParser::default().parse(raw).ok_or_else(|| EmailError::body("it could not be parsed"))?;
    let (from_addr, from_name) = sender(&msg)?;
    Ok(InboundEmail {
        message_id: msg.message_id().and_then(clean_id),
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        from_addr,
        from_name,
        to: msg.all_to().flat_map(Address::iter).filter_map(address_of).collect(),
        subject: msg.subject().map(str::trim).unwrap_or_default().to_owned(),
        text: body_text(&msg),
        sent_at: msg.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp().saturating_mul(1000)),
    })
}

/// A message saved from an mbox file starts with a "From sender date" separator line, which is
/// not a header.
fn skip_mbox_line(raw: &[u8]) -> &[u8] {
    match raw.strip_prefix(b"From ") {
        Some(rest) => rest.iter().position(|b| *b == b'\n').map_or(&[], |nl| &rest[nl + 1..]),
        None => raw,
    }
}

/// mail-parser accepts any bytes; a message must begin with a header field ("Name:"), else a
/// pasted text or an HTML page would pass as a message without headers.
fn starts_with_header(raw: &[u8]) -> bool {
    let start = raw.iter().position(|b| !matches!(b, b'\r' | b'\n')).unwrap_or(raw.len());
    let line = &raw[start..];
    let name_len = line.iter().take_while(|b| b.is_ascii_graphic() && **b != b':').count();
    name_len > 0 && line.get(name_len) == Some(&b':')
}

fn sender(msg: &Message<'_>) -> Result<(String, Option<String>), EmailError> {
    let first = msg.from().and_then(|a| a.iter().next()).ok_or_else(|| EmailError::sender("the message has no From address".into()))?;
    let addr = address_of(first).ok_or_else(|| {
        let raw = first.address().or(first.name()).unwrap_or_default();
        EmailError::sender(format!("the From address {raw:?} is not an e-mail address"))
    })?;
    let name = first.name().map(str::trim).filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(&addr)).map(str::to_owned);
    Ok((addr, name))
}

/// The lower-cased address when it looks like one: one @, something on both sides, no blanks.
fn address_of(addr: &Addr<'_>) -> Option<String> {
    let a = addr.address()?.trim().to_lowercase();
    let (local, domain) = a.split_once('@')?;
    let ok = !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !a.chars().any(char::is_whitespace);
    ok.then_some(a)
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(t) => t.split_whitespace().collect(),
        HeaderValue::TextList(l) => l.iter().flat_map(|t| t.split_whitespace()).collect(),
        _ => Vec::new(),
    };
    list.into_iter().filter_map(clean_id).collect()
}

fn clean_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>').trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// The text parts joined; falls back to the HTML parts when there is no text worth keeping.
fn body_text(msg: &Message<'_>) -> String {
    let text = join_parts(msg.text_bodies());
    let text = if text.is_empty() { join_parts(msg.html_bodies()) } else { text };
    truncate_chars(&text, MAX_TEXT_CHARS)
}

fn join_parts<'a>(parts: impl Iterator<Item = &'a MessagePart<'a>>) -> String {
    let texts: Vec<String> = parts
        .filter_map(|p| match &p.body {
            PartType::Text(t) => Some(normalize_newlines(t)),
            PartType::Html(h) => Some(html_to_text(h)),
            _ => None,
        })
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    texts.join("\n\n")
}

fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].trim_end().to_owned(),
        None => s.to_owned(),
    }
}

/// Tags after which the text continues on a new line.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Tags whose content is never shown.
const HIDDEN_TAGS: &[&str] = &["head", "script", "style", "template", "title"];

/// A readable text from HTML: tags dropped, hidden elements skipped, entities decoded,
/// runs of blanks collapsed, block elements on their own lines.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut hidden: Option<String> = None;
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        if hidden.is_none() {
            push_text(&mut out, &rest[..lt]);
        }
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(gt) = rest.find('>') else {
            rest = "";
            break;
        };
        let (name, closing) = tag_name(&rest[1..gt]);
        rest = &rest[gt + 1..];
        match &hidden {
            Some(h) if closing && *h == name => hidden = None,
            Some(_) => {}
            None if !closing && HIDDEN_TAGS.contains(&name.as_str()) => hidden = Some(name),
            None if BLOCK_TAGS.contains(&name.as_str()) => out.push('\n'),
            None => {}
        }
    }
    if hidden.is_none() {
        push_text(&mut out, rest);
    }
    tidy_lines(&out)
}

fn tag_name(inner: &str) -> (String, bool) {
    let inner = inner.trim_start();
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let name: String = inner.chars().take_while(char::is_ascii_alphanumeric).collect();
    (name.to_ascii_lowercase(), closing)
}

/// Appends a text node: HTML whitespace (newlines included) is a blank, entities decoded.
fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        push_blanked(out, &rest[..amp]);
        rest = &rest[amp..];
        match decode_entity(rest) {
            Some((ch, len)) => {
                out.push(if ch == '\u{a0}' { ' ' } else { ch });
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    push_blanked(out, rest);
}

fn push_blanked(out: &mut String, text: &str) {
    out.extend(text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }));
}

/// `&name;`, `&#123;` or `&#x1F;` at the start of `s`: the character and the length consumed.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let end = s.char_indices().take(12).find(|(_, c)| *c == ';').map(|(i, _)| i)?;
    let body = &s[1..end];
    let ch = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
    } else {
        named_entity(body)?
    };
    Some((ch, end + 1))
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "laquo" => '«',
        "raquo" => '»',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "times" => '×',
        "deg" => '°',
        "numero" => '№',
        "shy" => '\u{ad}',
        "zwnj" => '\u{200c}',
        "zwj" => '\u{200d}',
        _ => return None,
    })
}

/// Trims each line, collapses blank runs inside lines and drops empty lines: block tags leave
/// too many of them to tell a paragraph break from markup noise.
fn tidy_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Phone-number-looking sequences in a text (e.g. a signature), raw as written, at most
/// [`MAX_PHONES`], each number once.
///
/// A candidate is 7 to 15 digits separated by single blanks, dashes, dots or parentheses,
/// optionally after a `+`. Not taken: dates (2026-11-24, 24.11.2026), numbers glued to letters,
/// numbers after `№`, `#` or a requisites label (ИНН, order…), and a bare run of digits unless
/// it is a 10-digit or a Russian 11-digit (7… / 8…) number.
pub fn phone_candidates(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let masked = mask_dates(&chars);
    let mut found: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < chars.len() && found.len() < MAX_PHONES {
        let Some(end) = run_at(&chars, &masked, i) else {
            i += 1;
            continue;
        };
        let raw: String = chars[i..end].iter().collect();
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let glued_tail = chars.get(end).is_some_and(|c| c.is_alphanumeric());
        if !glued_tail && looks_like_phone(&raw, &digits) && !after_label(&chars[..i]) && !found.iter().any(|(_, d)| *d == digits) {
            found.push((raw, digits));
        }
        // The whole run is judged once: no number is looked for inside a rejected one.
        i = end;
    }
    found.into_iter().map(|(raw, _)| raw).collect()
}

fn is_sep(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '-' | '.' | '(' | ')')
}

/// The end (after its last digit) of the phone-shaped run starting at `i`, when one starts there.
fn run_at(chars: &[char], masked: &[bool], i: usize) -> Option<usize> {
    let c = chars[i];
    let glued = i > 0 && chars[i - 1].is_alphanumeric();
    if masked[i] || glued || !(c.is_ascii_digit() || c == '+' || c == '(') {
        return None;
    }
    let mut last_digit = c.is_ascii_digit().then_some(i);
    for end in i + 1..chars.len() {
        let ch = chars[end];
        if masked[end] || !(ch.is_ascii_digit() || is_sep(ch)) || (is_sep(ch) && is_sep(chars[end - 1]) && !paren_pair(chars[end - 1], ch))
        {
            break;
        }
        if ch.is_ascii_digit() {
            last_digit = Some(end);
        }
    }
    // Trailing separators (a full stop, a closing parenthesis of the sentence) are not the number's.
    last_digit.map(|d| d + 1)
}

/// ") " and " (" are the usual ways a parenthesised area code meets its neighbours.
fn paren_pair(prev: char, next: char) -> bool {
    matches!((prev, next), (')', ' ' | '\u{a0}' | '-') | (' ' | '\u{a0}', '('))
}

fn looks_like_phone(raw: &str, digits: &str) -> bool {
    if !(7..=15).contains(&digits.len()) {
        return false;
    }
    if raw.starts_with('+') || raw.len() != digits.len() {
        return raw.matches('(').count() == raw.matches(')').count();
    }
    digits.len() == 10 || (digits.len() == 11 && (digits.starts_with('7') || digits.starts_with('8')))
}

/// Labels after which a number is a requisite or an order, not a phone.
const NOT_PHONE_LABELS: &[&str] =
    &["инн", "кпп", "огрн", "огрнип", "бик", "окпо", "р/с", "к/с", "счет", "счёт", "заказ", "order", "invoice", "id"];

fn after_label(before: &[char]) -> bool {
    let tail: String = before.iter().rev().skip_while(|c| c.is_whitespace() || **c == ':').take(8).collect();
    let word: String = tail.chars().take_while(|c| !c.is_whitespace()).collect::<Vec<_>>().into_iter().rev().collect();
    let word = word.to_lowercase();
    let word = word.trim_end_matches([':', '.']);
    word.ends_with(['№', '#']) || NOT_PHONE_LABELS.contains(&word)
}

/// Marks the characters of dates (yyyy-mm-dd, dd.mm.yyyy, dd/mm/yyyy, dd.mm.yy) so no phone
/// candidate spans them.
fn mask_dates(chars: &[char]) -> Vec<bool> {
    let mut masked = vec![false; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit()) {
            if let Some(end) = date_at(chars, i) {
                masked[i..end].iter_mut().for_each(|m| *m = true);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    masked
}

fn date_at(chars: &[char], start: usize) -> Option<usize> {
    let run = |from: usize| chars[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let a = run(start);
    let sep = *chars.get(start + a)?;
    if !matches!(sep, '-' | '.' | '/') {
        return None;
    }
    let b = run(start + a + 1);
    if chars.get(start + a + 1 + b) != Some(&sep) {
        return None;
    }
    let c = run(start + a + b + 2);
    let shape = matches!((a, b, c), (4, 1..=2, 1..=2) | (1..=2, 1..=2, 4)) || (sep == '.' && (a, b, c) == (2, 2, 2));
    shape.then_some(start + a + b + c + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> InboundEmail {
        parse_email(raw.as_bytes()).unwrap()
    }

    #[test]
    fn plain_text_message() {
        let m = parse(
            "Return-Path: <ivan@example.ru>\r\n\
             Message-ID: <abc.123@mail.example.ru>\r\n\
             Date: Tue, 24 Nov 2026 10:15:00 +0300\r\n\
             From: Ivan Petrov <Ivan.Petrov@Example.RU>\r\n\
             To: Sales <sales@poryadok.local>, boss@Poryadok.Local\r\n\
             Subject: Price request\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             \r\n\
             Hello!\r\nPlease send the price list.\r\n\r\n-- \r\nIvan\r\n+7 (999) 123-45-67\r\n",
        );
        assert_eq!(m.message_id.as_deref(), Some("abc.123@mail.example.ru"));
        assert_eq!(m.from_addr, "ivan.petrov@example.ru");
        assert_eq!(m.from_name.as_deref(), Some("Ivan Petrov"));
        assert_eq!(m.to, vec!["sales@poryadok.local", "boss@poryadok.local"]);
        assert_eq!(m.subject, "Price request");
        assert_eq!(m.text, "Hello!\nPlease send the price list.\n\n-- \nIvan\n+7 (999) 123-45-67");
        // 2026-11-24T07:15:00Z
        assert_eq!(m.sent_at, Some(1_795_504_500_000));
        assert!(m.in_reply_to.is_empty() && m.references.is_empty());
        assert_eq!(phone_candidates(&m.text), vec!["+7 (999) 123-45-67"]);
    }

    #[test]
    fn reply_carries_thread_ids() {
        let m = parse(
            "From: client@example.com\n\
             To: sales@poryadok.local\n\
             Subject: Re: Offer\n\
             Message-ID: <r2@example.com>\n\
             In-Reply-To: <offer-1@poryadok.local>\n\
             References: <start@example.com>\n <offer-1@poryadok.local>\n\
             \n\
             Agreed.\n\n> quoted\n",
        );
        assert_eq!(m.message_id.as_deref(), Some("r2@example.com"));
        assert_eq!(m.in_reply_to, vec!["offer-1@poryadok.local"]);
        assert_eq!(m.references, vec!["start@example.com", "offer-1@poryadok.local"]);
        assert_eq!(m.from_addr, "client@example.com");
        assert_eq!(m.from_name, None);
        assert_eq!(m.text, "Agreed.\n\n> quoted");
        assert_eq!(m.sent_at, None);
    }

    #[test]
    fn russian_windows_1251_headers_and_body() {
        let mut raw = b"From: =?windows-1251?B?yOLg7SDP5fLw7uI=?= <ivan@example.ru>\r\n\
To: sales@poryadok.local\r\n\
Subject: =?windows-1251?Q?=C7=E0=EF=F0=EE=F1_=F6=E5=ED=FB?=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=\"windows-1251\"\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n"
            .to_vec();
        // "Добрый день! Тел. 8 999 123 45 67" in windows-1251.
        raw.extend_from_slice(&[
            0xC4, 0xEE, 0xE1, 0xF0, 0xFB, 0xE9, 0x20, 0xE4, 0xE5, 0xED, 0xFC, 0x21, 0x20, 0xD2, 0xE5, 0xEB, 0x2E, 0x20,
        ]);
        raw.extend_from_slice(b"8 999 123 45 67\r\n");
        let m = parse_email(&raw).unwrap();
        assert_eq!(m.from_name.as_deref(), Some("Иван Петров"));
        assert_eq!(m.subject, "Запрос цены");
        assert_eq!(m.text, "Добрый день! Тел. 8 999 123 45 67");
        assert_eq!(phone_candidates(&m.text), vec!["8 999 123 45 67"]);
    }

    #[test]
    fn koi8_r_body_and_utf8_base64_subject() {
        let mut raw = b"From: =?koi8-r?Q?=EF=CC=D8=C7=C1?= <olga@example.ru>\n\
Subject: =?UTF-8?B?0KHRh9GR0YIg4oSWIDE=?=\n\
Content-Type: text/plain; charset=koi8-r\n\
\n"
        .to_vec();
        // "Привет" in KOI8-R.
        raw.extend_from_slice(&[0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4, b'\n']);
        let m = parse_email(&raw).unwrap();
        assert_eq!(m.from_name.as_deref(), Some("Ольга"));
        assert_eq!(m.subject, "Счёт № 1");
        assert_eq!(m.text, "Привет");
    }

    #[test]
    fn multipart_alternative_prefers_plain_text() {
        let m = parse(
            "From: \"Анна\" <anna@example.ru>\r\n\
             To: sales@poryadok.local\r\n\
             Subject: =?UTF-8?Q?=D0=9A=D0=9F?=\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/alternative; boundary=\"b1\"\r\n\
             \r\n\
             --b1\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\
             \r\n\
             =D0=94=D0=BE=D0=B1=D1=80=D1=8B=D0=B9 =D0=B4=D0=B5=D0=BD=D1=8C, a long line =\r\n\
             joined.\r\n\
             --b1\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Transfer-Encoding: base64\r\n\
             \r\n\
             PHA+SFRNTCB2ZXJzaW9uPC9wPg==\r\n\
             --b1--\r\n",
        );
        assert_eq!(m.from_name.as_deref(), Some("Анна"));
        assert_eq!(m.subject, "КП");
        assert_eq!(m.text, "Добрый день, a long line joined.");
    }

    #[test]
    fn mixed_with_attachment_keeps_only_the_text() {
        let m = parse(
            "From: a@example.com\n\
             Content-Type: multipart/mixed; boundary=XX\n\
             \n\
             --XX\n\
             Content-Type: text/plain\n\
             \n\
             See attached.\n\
             --XX\n\
             Content-Type: application/pdf; name=offer.pdf\n\
             Content-Disposition: attachment; filename=offer.pdf\n\
             Content-Transfer-Encoding: base64\n\
             \n\
             JVBERi0xLjQK\n\
             --XX--\n",
        );
        assert_eq!(m.text, "See attached.");
    }

    #[test]
    fn html_only_becomes_readable_text() {
        let m = parse(
            "From: Shop <noreply@shop.example>\n\
             Subject: Order\n\
             Content-Type: text/html; charset=utf-8\n\
             \n\
             <html><head><title>T</title><style>p{color:red}</style></head>\n\
             <body><p>Hello&nbsp;&laquo;Client&raquo;,</p>\n<p>Your   order\n is <b>ready</b> &amp; paid.</p>\
             <ul><li>One</li><li>Two &#8470;2 &#x41;</li></ul><!-- hidden -->\
             <div>Call:<br>+7 999 1234567</div><script>alert(1)</script></body></html>\n",
        );
        assert_eq!(m.text, "Hello «Client»,\nYour order is ready & paid.\nOne\nTwo №2 A\nCall:\n+7 999 1234567");
        assert_eq!(phone_candidates(&m.text), vec!["+7 999 1234567"]);
    }

    #[test]
    fn html_to_text_edge_cases() {
        assert_eq!(html_to_text("a &unknown; & b &lt;tag&gt;"), "a &unknown; & b <tag>");
        assert_eq!(html_to_text("x<br/>y<BR>z<p>p</p><p>q"), "x\ny\nz\np\nq");
        assert_eq!(html_to_text("unclosed <b"), "unclosed");
        assert_eq!(html_to_text("<p>a</p><p></p><p></p><p>b</p>"), "a\nb");
        assert_eq!(html_to_text("a<!-- never closed"), "a");
        assert_eq!(html_to_text("&#99999999; &#xZZ;"), "\u{fffd} &#xZZ;");
    }

    #[test]
    fn long_text_is_cut() {
        let body = "я".repeat(MAX_TEXT_CHARS + 10);
        let m = parse(&format!("From: a@b.c\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"));
        assert_eq!(m.text.chars().count(), MAX_TEXT_CHARS);
    }

    #[test]
    fn missing_parts_are_tolerated() {
        let m = parse("From: x@y.z\n\n");
        assert_eq!((m.subject.as_str(), m.text.as_str(), m.message_id.as_deref()), ("", "", None));
        assert!(m.to.is_empty());
        let m = parse("From: x@y.z\nDate: not a date\nMessage-ID: <>\n\nhi");
        assert_eq!((m.sent_at, m.message_id), (None, None));
    }

    #[test]
    fn an_mbox_separator_line_is_skipped() {
        let m = parse("From ivan@example.ru Tue Nov 24 10:15:00 2026\nFrom: ivan@example.ru\nSubject: s\n\nhi\n");
        assert_eq!((m.from_addr.as_str(), m.subject.as_str(), m.text.as_str()), ("ivan@example.ru", "s", "hi"));
        assert_eq!(parse_email(b"From ivan@example.ru Tue Nov 24 10:15:00 2026").unwrap_err().field, "body");
    }

    #[test]
    fn group_recipients_are_flattened() {
        let m = parse("From: x@y.z\nTo: Team: A@x.ru, b@x.ru;, c@x.ru\n\nhi");
        assert_eq!(m.to, vec!["a@x.ru", "b@x.ru", "c@x.ru"]);
    }

    #[test]
    fn malformed_messages_name_the_part() {
        for raw in ["", "  \r\n\r\n ", "just some text without headers", "<html><body>hi</body></html>", "\n\nbody only"] {
            let e = parse_email(raw.as_bytes()).unwrap_err();
            assert_eq!(e.field, "body", "{raw:?}");
            assert!(e.message.starts_with("the body is not a MIME message: "), "{e}");
        }
        let e = parse_email(b"To: a@b.c\nSubject: hi\n\ntext").unwrap_err();
        assert_eq!(e.field, "from");
        assert_eq!(e.to_string(), "from: the message has no From address");
        for from in ["From: nobody\n\nx", "From: Ivan <ivan(at)example.ru>\n\nx", "From: <@example.ru>\n\nx", "From: \n\nx"] {
            let e = parse_email(from.as_bytes()).unwrap_err();
            assert_eq!(e.field, "from", "{from:?}");
        }
        let e = parse_email(&[0xFF, 0xFE, 0x00, 0x01]).unwrap_err();
        assert_eq!(e.field, "body");
    }

    #[test]
    fn binary_garbage_after_headers_does_not_panic() {
        let mut raw = b"From: a@b.c\nContent-Type: multipart/mixed; boundary=\"q\"\nContent-Transfer-Encoding: base64\n\n".to_vec();
        raw.extend((0..2000u32).map(|i| (i * 37 % 256) as u8));
        assert_eq!(parse_email(&raw).unwrap().from_addr, "a@b.c");
    }

    #[test]
    fn phone_shapes() {
        let text = "Тел.: +7 (999) 123-45-67, моб. 8 999 123 45 67\nили 89161234567; WhatsApp +7 916 7654321.\n\
                    Офис: (495) 123-45-67 доб. 12, +44 20 7946 0958";
        assert_eq!(
            phone_candidates(text),
            vec!["+7 (999) 123-45-67", "8 999 123 45 67", "89161234567", "+7 916 7654321", "(495) 123-45-67"]
        );
        assert_eq!(phone_candidates("+44 20 7946 0958 and 8.800.555.35.35"), vec!["+44 20 7946 0958", "8.800.555.35.35"]);
    }

    #[test]
    fn things_that_are_not_phones() {
        let none = [
            "Встреча 2026-11-24 в 10:30",
            "Дата 24.11.2026, сумма 1 500 руб.",
            "Заказ №123456789012 оплачен",
            "Order #98765432 shipped",
            "ИНН 7701234567, КПП 770101001",
            "ID123456789",
            "tracking 1234567890123456789",
            "version 1.2.3 build 45",
            "число 1234567",
            "abc89991234567",
        ];
        for text in none {
            assert!(phone_candidates(text).is_empty(), "{text:?}: {:?}", phone_candidates(text));
        }
        assert_eq!(phone_candidates("2026-11-24 10:30 звонок 8 999 123-45-67"), vec!["8 999 123-45-67"]);
    }

    #[test]
    fn phones_are_deduplicated_and_capped() {
        assert_eq!(phone_candidates("+7 999 123-45-67\n> +7 999 123-45-67"), vec!["+7 999 123-45-67"]);
        let many = (0..8).map(|i| format!("+7 999 000-00-0{i}")).collect::<Vec<_>>().join(", ");
        assert_eq!(phone_candidates(&many).len(), MAX_PHONES);
        assert!(phone_candidates("").is_empty());
        assert!(phone_candidates("+ ( ) - .").is_empty());
    }
}

//! A small DOCX template filler on `zip` and `quick-xml`.
//!
//! A template is a Word document whose text holds placeholders (`{deal.title}`, see
//! [`poryadok_core::documents::PLACEHOLDERS`]) and one kind of loop, `{#items}…{/items}`, which
//! repeats the line-item block once per line: the table row (or rows) holding the markers when
//! they are in a table, otherwise the paragraphs from the opening marker to the closing one.
//!
//! Word splits what a user typed into several runs (`<w:r>`) whenever formatting, spell checking
//! or editing history changes mid-word, so `{deal.title}` may arrive as `{deal.` + `title}`.
//! Before anything else each paragraph's text is merged: the characters of every `{…}` move into
//! the run where the placeholder starts (the other runs keep their text and formatting).
//!
//! Values are plain text, escaped on the way in (`<`, `>`, `&`, quotes; control characters
//! dropped), the same in table rows as anywhere else. [`check`] is what an upload runs: it refuses
//! a file that is not a DOCX and names an unknown placeholder with its position. [`fill`] refuses
//! a document when a required placeholder has no value, naming the field — a document is never
//! made with a blank where a requisite belongs. This module does not read the database.
use poryadok_core::documents::{placeholder, ITEMS_LOOP};
use poryadok_core::msg::{DocPlace, DocumentMsg, Lang};
use poryadok_core::Msg;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

/// The parts of a DOCX that carry text a template may fill.
fn is_text_part(name: &str) -> bool {
    match name.strip_prefix("word/") {
        Some("document.xml") => true,
        Some(rest) => !rest.contains('/') && rest.ends_with(".xml") && (rest.starts_with("header") || rest.starts_with("footer")),
        None => false,
    }
}

fn part_label(name: &str) -> String {
    name.trim_start_matches("word/").trim_end_matches(".xml").to_string()
}

/// One node of a part's XML, kept close to its source so that what is not filled is written back
/// as it was read.
#[derive(Debug, Clone)]
enum Node {
    Elem {
        name: String,
        raw: String,
        children: Vec<Node>,
        empty: bool,
    },
    /// Character data as it stands in the file (escaped).
    Text(String),
    /// A declaration, comment, processing instruction, CDATA or doctype, written back verbatim.
    Raw(String),
}

impl Node {
    fn is(&self, tag: &str) -> bool {
        matches!(self, Node::Elem { name, .. } if name == tag)
    }
}

fn parse(xml: &str) -> Result<Vec<Node>, ()> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<(String, String, Vec<Node>)> = Vec::new();
    let mut top: Vec<Node> = Vec::new();
    fn push(stack: &mut [(String, String, Vec<Node>)], top: &mut Vec<Node>, n: Node) {
        let list = match stack.last_mut() {
            Some((_, _, c)) => c,
            None => top,
        };
        if let (Node::Text(t), Some(Node::Text(prev))) = (&n, list.last_mut()) {
            prev.push_str(t);
            return;
        }
        list.push(n);
    }
    loop {
        match reader.read_event().map_err(|_| ())? {
            Event::Start(s) => stack.push((s.name().as_ref().to_string(), s.to_string(), Vec::new())),
            Event::End(e) => {
                let (name, raw, children) = stack.pop().ok_or(())?;
                if name != e.name().as_ref() {
                    return Err(());
                }
                push(&mut stack, &mut top, Node::Elem { name, raw, children, empty: false });
            }
            Event::Empty(s) => {
                let n = Node::Elem { name: s.name().as_ref().to_string(), raw: s.to_string(), children: Vec::new(), empty: true };
                push(&mut stack, &mut top, n);
            }
            Event::Text(t) => push(&mut stack, &mut top, Node::Text(t.to_string())),
            Event::GeneralRef(r) => push(&mut stack, &mut top, Node::Text(format!("&{};", &*r))),
            Event::CData(c) => push(&mut stack, &mut top, Node::Raw(format!("<![CDATA[{}]]>", &*c))),
            Event::Comment(c) => push(&mut stack, &mut top, Node::Raw(format!("<!--{}-->", &*c))),
            Event::Decl(d) => push(&mut stack, &mut top, Node::Raw(format!("<?{}?>", &*d))),
            Event::PI(p) => push(&mut stack, &mut top, Node::Raw(format!("<?{}?>", &*p))),
            Event::DocType(d) => push(&mut stack, &mut top, Node::Raw(format!("<!DOCTYPE {}>", &*d))),
            Event::Eof => break,
        }
    }
    if stack.is_empty() {
        Ok(top)
    } else {
        Err(())
    }
}

fn write_nodes(nodes: &[Node], out: &mut String) {
    for n in nodes {
        match n {
            Node::Elem { name, raw, children, empty } => {
                if *empty && children.is_empty() {
                    out.push('<');
                    out.push_str(raw);
                    out.push_str("/>");
                } else {
                    out.push('<');
                    out.push_str(raw);
                    out.push('>');
                    write_nodes(children, out);
                    out.push_str("</");
                    out.push_str(name);
                    out.push('>');
                }
            }
            Node::Text(t) | Node::Raw(t) => out.push_str(t),
        }
    }
}

/// XML character data back to text: the five named entities and character references.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let ent = &after[..end];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => out.push(c),
            None => {
                out.push('&');
                out.push_str(ent);
                out.push(';');
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Text as XML character data: `&`, `<`, `>` and both quotes escaped; characters XML 1.0 cannot
/// carry (most control characters) dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The decoded text of a `w:t` element.
fn t_text(n: &Node) -> String {
    match n {
        Node::Elem { children, .. } => children
            .iter()
            .map(|c| match c {
                Node::Text(t) => unescape(t),
                _ => String::new(),
            })
            .collect(),
        _ => String::new(),
    }
}

/// Sets a `w:t` element's text (escaped) and keeps its spaces (`xml:space="preserve"`).
fn set_t_text(n: &mut Node, text: &str) {
    if let Node::Elem { raw, children, empty, .. } = n {
        if !raw.contains("xml:space") {
            raw.push_str(" xml:space=\"preserve\"");
        }
        *children = vec![Node::Text(escape(text))];
        *empty = false;
    }
}

/// The `w:t` elements of one paragraph, in order, leaving out nested paragraphs (text boxes).
fn collect_t<'a>(nodes: &'a mut [Node], out: &mut Vec<&'a mut Node>) {
    for n in nodes.iter_mut() {
        if n.is("w:t") {
            out.push(n);
        } else if n.is("w:p") {
            continue;
        } else if let Node::Elem { children, .. } = n {
            collect_t(children, out);
        }
    }
}

fn collect_t_ref<'a>(nodes: &'a [Node], out: &mut Vec<&'a Node>) {
    for n in nodes {
        if n.is("w:t") {
            out.push(n);
        } else if n.is("w:p") {
            continue;
        } else if let Node::Elem { children, .. } = n {
            collect_t_ref(children, out);
        }
    }
}

/// A paragraph's own text (without nested paragraphs).
fn paragraph_text(p: &Node) -> String {
    let mut ts = Vec::new();
    if let Node::Elem { children, .. } = p {
        collect_t_ref(children, &mut ts);
    }
    ts.iter().map(|t| t_text(t)).collect()
}

/// Where the `{…}` spans of a text are, as char ranges; an unclosed `{` gives `Err` with its start.
fn brace_spans(chars: &[char]) -> Result<Vec<(usize, usize)>, usize> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '{' {
            match chars[i + 1..].iter().position(|c| *c == '}') {
                Some(len) => {
                    spans.push((i, i + len + 2));
                    i += len + 2;
                }
                None => return Err(i),
            }
        } else {
            i += 1;
        }
    }
    Ok(spans)
}

/// Moves every placeholder's characters into the `w:t` where it starts (see the module docs).
fn merge_paragraph(p: &mut Node) {
    let Node::Elem { children, .. } = p else { return };
    let mut ts = Vec::new();
    collect_t(children, &mut ts);
    if ts.len() < 2 {
        return;
    }
    let texts: Vec<Vec<char>> = ts.iter().map(|t| t_text(t).chars().collect()).collect();
    let mut chars = Vec::new();
    let mut owner = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        chars.extend(t.iter().copied());
        owner.extend(std::iter::repeat_n(i, t.len()));
    }
    let spans = brace_spans(&chars).unwrap_or_else(|_| Vec::new());
    let mut changed = false;
    for (a, b) in spans {
        let first = owner[a];
        for o in &mut owner[a..b] {
            if *o != first {
                *o = first;
                changed = true;
            }
        }
    }
    if !changed {
        return;
    }
    let mut rebuilt = vec![String::new(); ts.len()];
    for (c, o) in chars.iter().zip(&owner) {
        rebuilt[*o].push(*c);
    }
    for (i, t) in ts.into_iter().enumerate() {
        if rebuilt[i].chars().ne(texts[i].iter().copied()) {
            set_t_text(t, &rebuilt[i]);
        }
    }
}

fn merge_all(nodes: &mut [Node]) {
    for n in nodes.iter_mut() {
        if n.is("w:p") {
            merge_paragraph(n);
        }
        if let Node::Elem { children, .. } = n {
            merge_all(children);
        }
    }
}

/// What a `{…}` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Field(String),
    Open(String),
    Close(String),
}

fn token(inner: &str) -> Token {
    let t = inner.trim();
    if let Some(n) = t.strip_prefix('#') {
        Token::Open(n.trim().to_string())
    } else if let Some(n) = t.strip_prefix('/') {
        Token::Close(n.trim().to_string())
    } else {
        Token::Field(t.to_string())
    }
}

/// Every token of a text with its char span.
fn tokens(text: &str) -> Result<Vec<(Token, usize, usize)>, usize> {
    let chars: Vec<char> = text.chars().collect();
    Ok(brace_spans(&chars)?.into_iter().map(|(a, b)| (token(&chars[a + 1..b - 1].iter().collect::<String>()), a, b)).collect())
}

/// One part of a template, parsed and with its placeholders merged into single runs.
#[derive(Debug, Clone)]
struct Part {
    name: String,
    nodes: Vec<Node>,
}

/// A DOCX template read and checked.
#[derive(Debug, Clone)]
pub struct Template {
    bytes: Vec<u8>,
    parts: Vec<Part>,
    /// The placeholders the template uses, each once, in the order of first use.
    pub fields: Vec<String>,
    /// Whether it lists line items (`{#items}`).
    pub has_items: bool,
}

/// A token found by the check walk, with where it is and which block it belongs to.
struct Found {
    token: Token,
    place: Box<DocPlace>,
    /// The loop block: the path of its parent and its index there (the table row for text in a
    /// table, the paragraph otherwise).
    block: (Vec<usize>, usize),
}

struct Walk {
    part: String,
    paragraph: i64,
    tables: i64,
    /// (table number, row, cell) for each table we are in.
    cells: Vec<(i64, i64, i64)>,
    path: Vec<usize>,
    /// The innermost table row's parent path and index.
    row: Option<(Vec<usize>, usize)>,
    found: Vec<Found>,
}

impl Walk {
    fn place(&self) -> Box<DocPlace> {
        Box::new(DocPlace { part: self.part.clone(), paragraph: self.paragraph, cell: self.cells.last().copied() })
    }

    fn nodes(&mut self, nodes: &[Node]) -> Result<(), Msg> {
        for (i, n) in nodes.iter().enumerate() {
            let Node::Elem { name, children, .. } = n else { continue };
            let saved_row = self.row.clone();
            match name.as_str() {
                "w:tbl" => {
                    self.tables += 1;
                    self.cells.push((self.tables, 0, 0));
                }
                "w:tr" => {
                    if let Some(c) = self.cells.last_mut() {
                        c.1 += 1;
                        c.2 = 0;
                    }
                    self.row = Some((self.path.clone(), i));
                }
                "w:tc" => {
                    if let Some(c) = self.cells.last_mut() {
                        c.2 += 1;
                    }
                }
                "w:p" => {
                    self.paragraph += 1;
                    let text = paragraph_text(n);
                    let place = self.place();
                    let toks = tokens(&text).map_err(|_| DocumentMsg::UnclosedPlaceholder { at: place.clone() })?;
                    let block = self.row.clone().unwrap_or_else(|| (self.path.clone(), i));
                    for (t, _, _) in toks {
                        self.found.push(Found { token: t, place: place.clone(), block: block.clone() });
                    }
                }
                _ => {}
            }
            self.path.push(i);
            self.nodes(children)?;
            self.path.pop();
            if name == "w:tbl" {
                self.cells.pop();
            }
            self.row = saved_row;
        }
        Ok(())
    }
}

/// Checks the tokens of one part: known names, item fields only inside the loop, each loop
/// closed within the same table or the same run of paragraphs.
fn check_tokens(found: &[Found], fields: &mut Vec<String>, has_items: &mut bool) -> Result<(), Msg> {
    let mut open: Option<&Found> = None;
    for f in found {
        match &f.token {
            Token::Open(name) => {
                if name != ITEMS_LOOP {
                    return Err(DocumentMsg::UnknownPlaceholder { name: format!("#{name}"), at: f.place.clone() }.into());
                }
                if let Some(o) = open {
                    return Err(DocumentMsg::UnclosedLoop { name: ITEMS_LOOP.into(), at: o.place.clone() }.into());
                }
                open = Some(f);
                *has_items = true;
            }
            Token::Close(name) => {
                if name != ITEMS_LOOP {
                    return Err(DocumentMsg::UnknownPlaceholder { name: format!("/{name}"), at: f.place.clone() }.into());
                }
                match open.take() {
                    Some(o) if o.block.0 == f.block.0 && o.block.1 <= f.block.1 => {}
                    Some(o) => return Err(DocumentMsg::UnclosedLoop { name: ITEMS_LOOP.into(), at: o.place.clone() }.into()),
                    None => return Err(DocumentMsg::StrayLoopEnd { name: name.clone(), at: f.place.clone() }.into()),
                }
            }
            Token::Field(name) => {
                let Some(p) = placeholder(name) else {
                    return Err(DocumentMsg::UnknownPlaceholder { name: name.clone(), at: f.place.clone() }.into());
                };
                if p.per_item && open.is_none() {
                    return Err(DocumentMsg::ItemOutsideLoop { name: name.clone(), at: f.place.clone() }.into());
                }
                if !fields.contains(name) {
                    fields.push(name.clone());
                }
            }
        }
    }
    if let Some(o) = open {
        return Err(DocumentMsg::UnclosedLoop { name: ITEMS_LOOP.into(), at: o.place.clone() }.into());
    }
    Ok(())
}

/// Reads and checks a template: a DOCX whose placeholders are all known and whose loops close.
pub fn check(bytes: &[u8]) -> Result<Template, Msg> {
    let not_docx = || Msg::from(DocumentMsg::TemplateNotDocx {});
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_docx())?;
    let names: Vec<String> = zip.file_names().map(|n| n.map(|c| c.into_owned())).collect::<Result<_, _>>().map_err(|_| not_docx())?;
    if !names.iter().any(|n| n == "word/document.xml") {
        return Err(not_docx());
    }
    let mut parts = Vec::new();
    let mut fields = Vec::new();
    let mut has_items = false;
    let mut text_parts: Vec<String> = names.iter().filter(|n| is_text_part(n)).cloned().collect();
    // The body first, then headers and footers, so positions read in a natural order.
    text_parts.sort_by(|a, b| (a != "word/document.xml", a).cmp(&(b != "word/document.xml", b)));
    for name in text_parts {
        let mut xml = String::new();
        zip.by_name(&name).map_err(|_| not_docx())?.read_to_string(&mut xml).map_err(|_| not_docx())?;
        let bad_xml = || Msg::from(DocumentMsg::TemplateXml { part: name.clone() });
        let mut nodes = parse(&xml).map_err(|_| bad_xml())?;
        merge_all(&mut nodes);
        let mut walk =
            Walk { part: part_label(&name), paragraph: 0, tables: 0, cells: Vec::new(), path: Vec::new(), row: None, found: Vec::new() };
        walk.nodes(&nodes)?;
        check_tokens(&walk.found, &mut fields, &mut has_items)?;
        parts.push(Part { name: name.clone(), nodes });
    }
    Ok(Template { bytes: bytes.to_vec(), parts, fields, has_items })
}

/// What a document is filled with: a value for each placeholder it uses (missing or empty means
/// "no value"), and the line items, each a map of `item.*` values.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub fields: HashMap<String, String>,
    pub items: Vec<HashMap<String, String>>,
}

/// The text of a node and its descendants, leaving out nested tables (their loops are their own).
fn own_text(n: &Node) -> String {
    fn walk(nodes: &[Node], out: &mut String) {
        for n in nodes {
            if n.is("w:tbl") {
                continue;
            }
            if n.is("w:t") {
                out.push_str(&t_text(n));
            } else if let Node::Elem { children, .. } = n {
                walk(children, out);
            }
        }
    }
    let mut s = String::new();
    walk(std::slice::from_ref(n), &mut s);
    s
}

/// Replaces the placeholders in every `w:t` below `nodes`; loop markers become empty.
fn substitute(nodes: &mut [Node], fields: &HashMap<String, String>, item: Option<&HashMap<String, String>>) {
    for n in nodes.iter_mut() {
        if n.is("w:t") {
            let text = t_text(n);
            if !text.contains('{') {
                continue;
            }
            let Ok(toks) = tokens(&text) else { continue };
            let chars: Vec<char> = text.chars().collect();
            let mut out = String::new();
            let mut at = 0;
            for (t, a, b) in toks {
                out.extend(&chars[at..a]);
                if let Token::Field(name) = t {
                    let v = item.and_then(|i| i.get(&name)).or_else(|| fields.get(&name));
                    out.push_str(v.map(String::as_str).unwrap_or(""));
                }
                at = b;
            }
            out.extend(&chars[at..]);
            set_t_text(n, &out);
        } else if let Node::Elem { children, .. } = n {
            substitute(children, fields, item);
        }
    }
}

fn has_marker(n: &Node, open: bool) -> bool {
    let text = own_text(n);
    tokens(&text)
        .map(|ts| ts.iter().any(|(t, _, _)| if open { matches!(t, Token::Open(_)) } else { matches!(t, Token::Close(_)) }))
        .unwrap_or(false)
}

/// Expands the loops in a list of siblings and fills everything.
fn expand(nodes: Vec<Node>, v: &Values) -> Vec<Node> {
    let mut out = Vec::with_capacity(nodes.len());
    let mut it = nodes.into_iter().peekable();
    while let Some(n) = it.next() {
        let block_level = n.is("w:tr") || n.is("w:p");
        if block_level && has_marker(&n, true) {
            let mut block = vec![n];
            if !has_marker(&block[0], false) {
                for next in it.by_ref() {
                    let end = next.is("w:tr") || next.is("w:p");
                    let closes = end && has_marker(&next, false);
                    block.push(next);
                    if closes {
                        break;
                    }
                }
            }
            for item in &v.items {
                let mut copy = block.clone();
                substitute(&mut copy, &v.fields, Some(item));
                out.extend(copy);
            }
            continue;
        }
        match n {
            Node::Elem { name, raw, children, empty } => {
                let mut children = expand(children, v);
                if name == "w:t" {
                    let mut node = Node::Elem { name, raw, children, empty };
                    substitute(std::slice::from_mut(&mut node), &v.fields, None);
                    out.push(node);
                } else {
                    if name == "w:tc" && !children.iter().any(|c| c.is("w:p")) {
                        // A table cell must end with a paragraph; a loop over no lines may have taken it.
                        children.push(Node::Elem { name: "w:p".into(), raw: "w:p".into(), children: Vec::new(), empty: true });
                    }
                    out.push(Node::Elem { name, raw, children, empty });
                }
            }
            other => out.push(other),
        }
    }
    out
}

impl Template {
    /// The first placeholder the template uses that is required and has no value: `(name,
    /// label)`.
    pub fn missing(&self, values: &Values, lang: Lang) -> Option<(String, String)> {
        self.fields.iter().find_map(|name| {
            let p = placeholder(name)?;
            let empty = values.fields.get(name).is_none_or(|s| s.trim().is_empty());
            (!p.optional && empty).then(|| (name.clone(), p.label(lang).to_string()))
        })
    }

    /// Fills the template: a new DOCX. Refused when a required value is missing.
    pub fn fill(&self, values: &Values, lang: Lang) -> Result<Vec<u8>, Msg> {
        if let Some((field, label)) = self.missing(values, lang) {
            return Err(DocumentMsg::MissingValue { field, label }.into());
        }
        if self.has_items && values.items.is_empty() {
            return Err(DocumentMsg::NoLineItems {}.into());
        }
        let mut filled: HashMap<&str, String> = HashMap::new();
        for part in &self.parts {
            let nodes = expand(part.nodes.clone(), values);
            let mut xml = String::with_capacity(self.bytes.len());
            write_nodes(&nodes, &mut xml);
            filled.insert(part.name.as_str(), xml);
        }
        write_zip(&self.bytes, &filled).map_err(|_| DocumentMsg::TemplateNotDocx {}.into())
    }
}

/// The template's archive with some parts replaced; every other entry copied as it was.
fn write_zip(source: &[u8], replaced: &HashMap<&str, String>) -> zip::result::ZipResult<Vec<u8>> {
    let mut zin = zip::ZipArchive::new(Cursor::new(source))?;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(source.len() + 4096)));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..zin.len() {
        let file = zin.by_index_raw(i)?;
        let name = file.name()?.into_owned();
        match replaced.get(name.as_str()) {
            Some(xml) => {
                drop(file);
                w.start_file(name, opts)?;
                w.write_all(xml.as_bytes())?;
            }
            None => w.raw_copy_file(file)?,
        }
    }
    Ok(w.finish()?.into_inner())
}

/// The text of a DOCX's body, paragraphs on their own lines and table cells separated by tabs:
/// what tests and the command line read back.
pub fn text_of(bytes: &[u8]) -> Result<String, Msg> {
    let not_docx = || Msg::from(DocumentMsg::TemplateNotDocx {});
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_docx())?;
    let mut xml = String::new();
    zip.by_name("word/document.xml").map_err(|_| not_docx())?.read_to_string(&mut xml).map_err(|_| not_docx())?;
    let nodes = parse(&xml).map_err(|_| Msg::from(DocumentMsg::TemplateXml { part: "word/document.xml".into() }))?;
    fn walk(nodes: &[Node], out: &mut String) {
        for n in nodes {
            if n.is("w:t") {
                out.push_str(&t_text(n));
            } else if let Node::Elem { name, children, .. } = n {
                walk(children, out);
                match name.as_str() {
                    "w:p" => out.push('\n'),
                    "w:tc" => out.push('\t'),
                    _ => {}
                }
            }
        }
    }
    let mut out = String::new();
    walk(&nodes, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_and_unescape_round_trip() {
        let s = "A <b> & \"c\" 'd' \u{1}";
        assert_eq!(escape(s), "A &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; ");
        assert_eq!(unescape("&lt;&#1071;&#x42F;&amp;"), "<ЯЯ&");
    }

    #[test]
    fn text_parts() {
        assert!(is_text_part("word/document.xml"));
        assert!(is_text_part("word/header1.xml"));
        assert!(is_text_part("word/footer2.xml"));
        assert!(!is_text_part("word/theme/theme1.xml"));
        assert!(!is_text_part("word/styles.xml"));
    }
}

#[cfg(test)]
mod fill_tests {
    use super::*;
    use poryadok_core::msg::Keys;

    /// A minimal DOCX around a body.
    fn docx(body: &str) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default();
        w.start_file("[Content_Types].xml", o).unwrap();
        w.write_all(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
        w.start_file("_rels/.rels", o).unwrap();
        w.write_all(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#).unwrap();
        w.start_file("word/document.xml", o).unwrap();
        let doc = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
        );
        w.write_all(doc.as_bytes()).unwrap();
        w.finish().unwrap().into_inner()
    }

    fn p(runs: &[&str]) -> String {
        let rs: String = runs.iter().map(|r| format!("<w:r><w:rPr><w:b/></w:rPr><w:t>{r}</w:t></w:r>")).collect();
        format!("<w:p>{rs}</w:p>")
    }

    fn row(cells: &[&str]) -> String {
        let cs: String = cells.iter().map(|c| format!("<w:tc>{}</w:tc>", p(&[c]))).collect();
        format!("<w:tr>{cs}</w:tr>")
    }

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values { fields: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), items: Vec::new() }
    }

    fn item(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn render(m: &Msg) -> String {
        m.render(Lang::En, &Keys)
    }

    #[test]
    fn a_placeholder_split_across_runs_is_filled() {
        let t = check(&docx(&p(&["Сделка: {de", "al.ti", "tle} — ", "ок"]))).unwrap();
        assert_eq!(t.fields, vec!["deal.title".to_string()]);
        let out = t.fill(&values(&[("deal.title", "Поставка")]), Lang::Ru).unwrap();
        let text = text_of(&out).unwrap();
        assert_eq!(text.trim(), "Сделка: Поставка — ок");
    }

    #[test]
    fn values_are_escaped_inside_table_rows() {
        let body = format!(
            "<w:tbl>{}{}</w:tbl>{}",
            row(&["№", "Наименование"]),
            row(&["{#items}{item.n}", "{item.name}{/items}"]),
            p(&["{org.name}"])
        );
        let t = check(&docx(&body)).unwrap();
        assert!(t.has_items);
        let mut v = values(&[("org.name", "ООО \"Рога & Копыта\" <опт>")]);
        v.items = vec![
            item(&[("item.n", "1"), ("item.name", "Болт <M8> & гайка \"Люкс\" 'A'")]),
            item(&[("item.n", "2"), ("item.name", "Шайба & <b>")]),
        ];
        let out = t.fill(&v, Lang::Ru).unwrap();
        let mut xml = String::new();
        zip::ZipArchive::new(Cursor::new(&out)).unwrap().by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
        assert!(xml.contains("Болт &lt;M8&gt; &amp; гайка &quot;Люкс&quot; &apos;A&apos;"), "{xml}");
        assert!(xml.contains("Шайба &amp; &lt;b&gt;"));
        let text = text_of(&out).unwrap();
        assert!(text.contains("1\n\tБолт <M8> & гайка \"Люкс\" 'A'\n\t"), "{text}");
        assert!(text.contains("2\n\tШайба & <b>\n\t"), "{text}");
        assert!(text.contains("ООО \"Рога & Копыта\" <опт>"));
        assert!(!text.contains('{'));
        // Three rows now: the header and one per line; the markers are gone.
        assert_eq!(xml.matches("<w:tr>").count(), 3);
    }

    #[test]
    fn a_loop_over_several_rows_and_over_paragraphs() {
        let body = format!(
            "<w:tbl>{}{}</w:tbl>{}{}{}",
            row(&["{#items}{item.name}"]),
            row(&["{item.total}{/items}"]),
            p(&["{#items}"]),
            p(&["- {item.name}"]),
            p(&["{/items}"])
        );
        let t = check(&docx(&body)).unwrap();
        let mut v = values(&[]);
        v.items = vec![item(&[("item.name", "A"), ("item.total", "10")]), item(&[("item.name", "B"), ("item.total", "20")])];
        let text = text_of(&t.fill(&v, Lang::Ru).unwrap()).unwrap();
        assert_eq!(text, "A\n\t10\n\tB\n\t20\n\t\n- A\n\n\n- B\n\n");
    }

    #[test]
    fn an_unknown_placeholder_is_named_with_its_position() {
        let split_cell = format!("<w:tr><w:tc>{}</w:tc><w:tc>{}</w:tc></w:tr>", p(&["z"]), p(&["{org.in", "nn}"]));
        let body = format!("{}<w:tbl>{}{split_cell}</w:tbl>", p(&["{deal.title}"]), row(&["x", "y"]));
        let err = check(&docx(&body)).unwrap_err();
        assert_eq!(err.code(), "docx_unknown_placeholder");
        assert_eq!(render(&err), "unknown placeholder {org.innn} at table 1, row 2, cell 2");
        assert_eq!(err.render(Lang::Ru, &Keys), "неизвестное поле {org.innn} (таблица 1, строка 2, ячейка 2)");
        let err = check(&docx(&format!("{}{}", p(&["a"]), p(&["b {deal.nope}"])))).unwrap_err();
        assert_eq!(render(&err), "unknown placeholder {deal.nope} at paragraph 2");
    }

    #[test]
    fn loops_and_braces_must_be_well_formed() {
        let err = check(&docx(&p(&["{deal.title"]))).unwrap_err();
        assert_eq!(err.code(), "template_unclosed_placeholder");
        let err = check(&docx(&p(&["{#items} {item.name}"]))).unwrap_err();
        assert_eq!(err.code(), "template_unclosed_loop");
        let err = check(&docx(&p(&["{item.name}"]))).unwrap_err();
        assert_eq!(err.code(), "template_item_outside_loop");
        let err = check(&docx(&p(&["{/items}"]))).unwrap_err();
        assert_eq!(err.code(), "template_stray_loop_end");
        let body = format!("<w:tbl>{}</w:tbl>{}", row(&["{#items}"]), p(&["{/items}"]));
        assert_eq!(check(&docx(&body)).unwrap_err().code(), "template_unclosed_loop");
    }

    #[test]
    fn a_file_that_is_not_a_docx_is_refused() {
        assert_eq!(check(b"%PDF-1.4 not a docx").unwrap_err().code(), "template_not_docx");
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("hello.txt", zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(b"hi").unwrap();
        assert_eq!(check(&w.finish().unwrap().into_inner()).unwrap_err().code(), "template_not_docx");
    }

    #[test]
    fn a_missing_required_value_refuses_the_document() {
        let t = check(&docx(&p(&["ИНН {workspace.inn}, КПП {workspace.kpp}"]))).unwrap();
        let err = t.fill(&values(&[("workspace.inn", " ")]), Lang::Ru).unwrap_err();
        assert_eq!(err.code(), "document_missing_value");
        assert_eq!(
            err.render(Lang::Ru, &Keys),
            "для документа нужно поле «Наша организация: ИНН» (workspace.inn), а оно пустое; заполните его"
        );
        // An optional field prints empty.
        let out = t.fill(&values(&[("workspace.inn", "7707083893")]), Lang::Ru).unwrap();
        assert_eq!(text_of(&out).unwrap().trim(), "ИНН 7707083893, КПП");
    }
}

//! Markdown to safe HTML, for knowledge-base articles and call scripts.
//!
//! An article is written by an editor but read by everyone, so its HTML is never trusted:
//! pulldown-cmark renders the Markdown (raw HTML in it passes through), then ammonia keeps only an
//! allow-list of tags and attributes. What is dropped: `<script>` and `<style>` with their content,
//! every `on*` attribute and `style`, and any link or image whose URL is not http(s), mailto or
//! relative (`javascript:`, `data:`, `vbscript:` …). Links get `rel="noopener noreferrer"`.
//!
//! `kb:<key>` in a text is a reference to another article ([`poryadok_core::kb::refs`]): written
//! bare, it becomes a link to `/kb/<key>`; as a link target (`[см. скрипт](kb:first-call)`), its
//! URL becomes `/kb/<key>`.
use ammonia::Builder;
use poryadok_core::kb::{pieces, Piece};
use pulldown_cmark::{html, Options, Parser};
use std::collections::HashSet;
use std::sync::OnceLock;

fn sanitizer() -> &'static Builder<'static> {
    static B: OnceLock<Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"])).link_rel(Some("noopener noreferrer"));
        b
    })
}

/// `kb:<key>` references rewritten as Markdown links (or, as a link's target, as the article's URL).
fn link_refs(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    pieces(md, |p| match p {
        Piece::Text(t) => out.push_str(t),
        Piece::Ref { key, in_link: true } => out.push_str(&format!("/kb/{key}")),
        Piece::Ref { key, in_link: false } => out.push_str(&format!("[kb:{key}](/kb/{key})")),
    });
    out
}

/// An article's Markdown as HTML that is safe to put into a page.
pub fn render(md: &str) -> String {
    let md = link_refs(md);
    let parser = Parser::new_ext(&md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS);
    let mut raw = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    sanitizer().clean(&raw).to_string()
}

/// A plain text (a rule's FAQ, a task's description) as HTML: escaped, with `kb:<key>`
/// references as links to the articles.
pub fn text_with_refs(text: &str) -> String {
    let mut out = String::new();
    pieces(text, |p| match p {
        Piece::Text(t) => out.push_str(&escape(t)),
        Piece::Ref { key, .. } => out.push_str(&format!("<a href=\"/kb/{key}\" class=\"kb-ref\">kb:{key}</a>")),
    });
    out
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_javascript_links_never_survive() {
        let html = render(
            "# Скрипт\n\n<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n[нажми](javascript:alert(3)) \
             <a href=\"JaVaScRiPt:alert(4)\">x</a> <p style=\"color:red\" onclick=\"alert(5)\">p</p>",
        );
        assert!(html.contains("<h1>Скрипт</h1>"), "{html}");
        for bad in ["<script", "alert(1)", "onerror", "javascript:", "JaVaScRiPt", "onclick", "style="] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }

    #[test]
    fn allowed_links_keep_their_targets() {
        let html = render("[сайт](https://example.ru) [почта](mailto:a@b.ru) [карточка](/deals/1)");
        assert!(html.contains("href=\"https://example.ru\""), "{html}");
        assert!(html.contains("href=\"mailto:a@b.ru\""), "{html}");
        assert!(html.contains("href=\"/deals/1\""), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
    }

    #[test]
    fn kb_references_become_article_links() {
        let html = render("См. kb:deal-name. И [скрипт](kb:first-call).");
        assert!(html.contains("<a href=\"/kb/deal-name\""), "{html}");
        assert!(html.contains("<a href=\"/kb/first-call\""), "{html}");
        assert_eq!(text_with_refs("<b> см. kb:x1"), "&lt;b&gt; см. <a href=\"/kb/x1\" class=\"kb-ref\">kb:x1</a>");
    }
}

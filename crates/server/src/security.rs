//! What every answer promises a browser, and the small rules that keep user data from acting as
//! code: the security headers (one middleware on the whole router), the one test a user-supplied
//! link passes before it is rendered as a link ([`safe_href`]), the one way a text cell of a CSV
//! export is written ([`csv_text`]), and the client's address behind a trusted reverse proxy
//! ([`client_ip`]).
//!
//! Headers: HTML gets [`UI_CSP`] and `X-Frame-Options: DENY`; everything else (JSON, files) gets
//! [`API_CSP`] — nothing in it may run or be framed. A handler that set its own
//! `Content-Security-Policy` keeps it (the public web-form page, which allowed sites may frame),
//! and then no `X-Frame-Options` is added: its `frame-ancestors` says who may frame it. Every
//! answer carries `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`.
//!
//! The templates load scripts and styles only from `/assets/…` and use no inline script, inline
//! event handler or `style` attribute, so the policy needs neither `'unsafe-inline'` nor a nonce.
//! This module must not know about views; views call [`safe_href`].
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

/// The policy of every HTML page of the web UI.
pub const UI_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
     media-src 'self' https: http:; \
     object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The policy of every answer that is not a page: nothing runs, nothing loads, nobody frames it.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of a public web form's page: like the UI's, but framed by `ancestors` (this server
/// and the form's allowed origins) and posting to `targets` besides this server (the origin of the
/// form's thank-you page, which a good post redirects to; browsers check `form-action` on it).
pub fn form_csp(ancestors: &[String], targets: &[String]) -> String {
    let list = |extra: &[String]| std::iter::once("'self'").chain(extra.iter().map(String::as_str)).collect::<Vec<_>>().join(" ");
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         frame-ancestors {}; form-action {}; base-uri 'none'",
        list(ancestors),
        list(targets)
    )
}

/// Adds the security headers to an answer (a `map_response` layer over the whole router).
pub async fn headers(mut resp: Response) -> Response {
    let html = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    let h = resp.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.entry(REFERRER_POLICY).or_insert(HeaderValue::from_static("same-origin"));
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(if html { UI_CSP } else { API_CSP }));
        h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    resp
}

/// A user-supplied URL as a link target, or `None` when it must be shown as plain text: only an
/// absolute `http://` or `https://` URL with a host (scheme in any case, surrounding blanks
/// ignored) is a link, so `javascript:`, `data:`, `vbscript:` and relative or protocol-relative
/// values never become one. The scheme comes back lower-cased.
pub fn safe_href(raw: &str) -> Option<String> {
    let t = raw.trim();
    let (scheme, rest) = t.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') || authority.contains('\\') || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some(format!("{scheme}://{rest}"))
}

/// Leading characters that make a spreadsheet read a cell as a formula (or, after a tab or a
/// carriage return, still as one).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell of a CSV export, safe to open in a spreadsheet: a value that would start a formula
/// gets a leading `'` (shown by Excel and LibreOffice as text), and a value with a comma, a
/// semicolon (the separator of Russian-locale Excel), a quote or a line break is quoted.
/// Numbers the exporter itself writes as numbers do not go through here.
pub fn csv_text(s: &str) -> String {
    let s = if s.starts_with(FORMULA_STARTS) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', ';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Which request header, set by the reverse proxy in front of this server, names the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProxyHeader {
    /// No proxy is trusted: the client is the socket's peer.
    #[default]
    None,
    /// `X-Real-IP`, as nginx's `proxy_set_header X-Real-IP $remote_addr` sets it.
    XRealIp,
    /// The right-most `X-Forwarded-For` address: the one the proxy appended (anything left of it
    /// came from the client and may be forged).
    XForwardedFor,
}

impl std::str::FromStr for ProxyHeader {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Ok(ProxyHeader::None),
            "x-real-ip" => Ok(ProxyHeader::XRealIp),
            "x-forwarded-for" => Ok(ProxyHeader::XForwardedFor),
            other => Err(format!("'{other}' is not one of: none, x-real-ip, x-forwarded-for")),
        }
    }
}

/// Security settings of a server process.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The header a trusted reverse proxy names the client in (`--trusted-proxy-header`).
    pub trusted_proxy_header: ProxyHeader,
}

/// An address as a proxy writes it: `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443` or `203.0.113.7:5000`.
fn parse_addr(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>().ok().or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// The client's address: the socket's peer, or, when a proxy header is trusted, the address that
/// header names (the peer again when the header is missing or unreadable: a request that did not
/// come through the proxy). Every reader of a client address (web-form rate limits, the intake
/// inbox, sign-in throttling) goes through here.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, settings: &Settings) -> Option<IpAddr> {
    let peer = peer.map(|a| a.ip());
    let named = match settings.trusted_proxy_header {
        ProxyHeader::None => None,
        ProxyHeader::XRealIp => headers.get("x-real-ip").and_then(|v| v.to_str().ok()).and_then(parse_addr),
        // Several header lines are one list; the proxy appends to the last.
        ProxyHeader::XForwardedFor => headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(parse_addr),
    };
    named.or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_links_are_links() {
        assert_eq!(safe_href(" https://demo.example/x?a=1 ").as_deref(), Some("https://demo.example/x?a=1"));
        assert_eq!(safe_href("HTTP://Demo.example").as_deref(), Some("http://Demo.example"));
        for bad in [
            "javascript:alert(1)",
            "JavaScript://%0aalert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "//evil.example",
            "/deals/1",
            "demo.example",
            "http://",
            "https:///path",
            "https://user@",
            "https://a b.example",
            "https://evil.example\\@good.example",
            "ftp://files.example",
            "java\tscript:alert(1)",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }

    #[test]
    fn csv_cells_do_not_start_formulas() {
        assert_eq!(csv_text("=HYPERLINK(\"http://evil\",\"x\")"), "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"");
        assert_eq!(csv_text("+7 916"), "'+7 916");
        assert_eq!(csv_text("-100"), "'-100");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("\t=1"), "'\t=1");
        assert_eq!(csv_text("\r=1"), "\"'\r=1\"");
        assert_eq!(csv_text("a;=1"), "\"a;=1\"");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("plain"), "plain");
        assert_eq!(csv_text(""), "");
    }

    #[test]
    fn the_client_is_the_peer_unless_a_proxy_header_is_trusted() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("6.6.6.6, 203.0.113.7"));
        h.insert("x-real-ip", HeaderValue::from_static("198.51.100.2"));
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let with = |p| Settings { trusted_proxy_header: p };
        assert_eq!(client_ip(&h, Some(peer), &with(ProxyHeader::None)), Some(peer.ip()));
        assert_eq!(client_ip(&h, Some(peer), &with(ProxyHeader::XRealIp)), "198.51.100.2".parse().ok());
        assert_eq!(client_ip(&h, Some(peer), &with(ProxyHeader::XForwardedFor)), "203.0.113.7".parse().ok());
        h.append("x-forwarded-for", HeaderValue::from_static("[2001:db8::1]:443"));
        assert_eq!(client_ip(&h, Some(peer), &with(ProxyHeader::XForwardedFor)), "2001:db8::1".parse().ok());
        h.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4, junk"));
        assert_eq!(client_ip(&h, Some(peer), &with(ProxyHeader::XForwardedFor)), Some(peer.ip()), "unreadable: the peer");
        assert_eq!(client_ip(&HeaderMap::new(), None, &with(ProxyHeader::XRealIp)), None);
        assert_eq!("X-Forwarded-For".parse::<ProxyHeader>(), Ok(ProxyHeader::XForwardedFor));
        assert!("forwarded".parse::<ProxyHeader>().is_err());
    }
}

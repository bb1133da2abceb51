//! Static assets embedded in the binary and served under a content hash, so they can be cached
//! for a year and a new release is never mixed with an old stylesheet.
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// `/assets/<hash8>/<name>`
    pub url: String,
}

const FILES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/app.js")),
    ("htmx.min.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/vendor/htmx.min.js")),
    ("form.css", "text/css; charset=utf-8", include_bytes!("../../assets/form.css")),
    ("form.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/form.js")),
    ("files.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/files.js")),
    ("reviews.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/reviews.js")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../assets/favicon.svg")),
];

fn all() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, content_type, body)| {
                let hash = hex::encode(&Sha256::digest(body)[..4]);
                Asset { name, content_type, body, url: format!("/assets/{hash}/{name}") }
            })
            .collect()
    })
}

/// The versioned URL of an asset, for templates.
pub fn url(name: &str) -> &'static str {
    all().iter().find(|a| a.name == name).map(|a| a.url.as_str()).unwrap_or("/assets/missing")
}

/// `/favicon.ico`, which browsers ask for on their own (pages link the versioned icon): the icon
/// itself, cached for a day, since that address cannot carry a version.
pub async fn favicon() -> Response {
    match all().iter().find(|a| a.name == "favicon.svg") {
        Some(a) => ([(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, "public, max-age=86400")], a.body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn serve(Path((hash, name)): Path<(String, String)>) -> Response {
    match all().iter().find(|a| a.name == name) {
        Some(a) if a.url.ends_with(&format!("/{hash}/{name}")) => {
            ([(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], a.body)
                .into_response()
        }
        // An old hash after an upgrade: serve the current file, but do not let it be cached.
        Some(a) => ([(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, "no-cache")], a.body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The stylesheet without its comments.
    fn stylesheet() -> String {
        let css = std::str::from_utf8(all().iter().find(|a| a.name == "app.css").unwrap().body).unwrap();
        let mut out = String::new();
        let mut rest = css;
        while let Some(start) = rest.find("/*") {
            out.push_str(&rest[..start]);
            rest = rest[start..].find("*/").map_or("", |end| &rest[start + end + 2..]);
        }
        out.push_str(rest);
        out
    }

    /// Every rule as (selector, declarations).
    fn rules(css: &str) -> Vec<(String, HashMap<String, String>)> {
        css.split('}')
            .filter_map(|block| block.split_once('{'))
            .map(|(selector, body)| {
                let decls =
                    body.split(';').filter_map(|d| d.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
                (selector.trim().to_string(), decls)
            })
            .collect()
    }

    /// The relative luminance of `#rrggbb` (WCAG 2).
    fn luminance(hex: &str) -> f64 {
        let hex = hex.trim_start_matches('#');
        assert_eq!(hex.len(), 6, "a colour as #rrggbb: {hex}");
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    /// Badges (the board's "no task" among them) are 11px text: WCAG AA asks 4.5:1 of them.
    #[test]
    fn every_badge_meets_wcag_aa_contrast() {
        let rules = rules(&stylesheet());
        let vars: HashMap<String, String> = rules.iter().filter(|(s, _)| s == ":root").flat_map(|(_, d)| d.clone()).collect();
        let resolve = |v: &str| match v.strip_prefix("var(").and_then(|v| v.strip_suffix(')')) {
            Some(name) => vars.get(name).cloned().unwrap_or_else(|| panic!("no {name} in :root")),
            None => v.to_string(),
        };
        let base = &rules.iter().find(|(s, _)| s == ".badge").expect("a .badge rule").1;
        let variants: Vec<_> = rules.iter().filter(|(s, _)| s.starts_with(".badge.") && !s.contains(' ')).collect();
        assert!(variants.iter().any(|(s, _)| s == ".badge.warn"), "the no-task badge's rule");
        for (selector, decls) in std::iter::once(&(".badge".to_string(), base.clone())).chain(variants) {
            let pick = |k: &str| resolve(decls.get(k).or_else(|| base.get(k)).unwrap_or_else(|| panic!("{selector}: no {k}")));
            let (fg, bg) = (pick("color"), pick("background"));
            let ratio = contrast(&fg, &bg);
            assert!(ratio >= 4.5, "{selector}: {fg} on {bg} is {ratio:.2}:1, below 4.5:1");
        }
        assert!((contrast("#9a6700", "#fff4d6") - 4.44).abs() < 0.01, "the old no-task colours, for the record");
    }
}

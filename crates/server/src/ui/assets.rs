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

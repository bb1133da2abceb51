//! The translation catalogue: every string a page shows comes from here, in Russian and English.
//!
//! Messages live in `crates/server/i18n/*.ini`, one file per area of the UI, embedded at build
//! time. A section names the key, and each language is a line in it:
//!
//! ```text
//! [board.title]
//! ru = Воронка
//! en = Pipeline
//! ```
//!
//! `{name}` in a message is a placeholder filled by [`T::fmt`]. A key missing from the catalogue
//! shows as the key itself, so a slip is visible on the page; a test checks that every key used in
//! the templates and the code has both languages.
use std::collections::HashMap;
use std::sync::OnceLock;

pub use poryadok_core::Lang;

/// The catalogue files, in a fixed order so a duplicate key is reported the same way every time.
pub const SOURCES: &[(&str, &str)] = &[
    ("common", include_str!("../../i18n/common.ini")),
    ("auth", include_str!("../../i18n/auth.ini")),
    ("messages", include_str!("../../i18n/messages.ini")),
    ("board", include_str!("../../i18n/board.ini")),
    ("card", include_str!("../../i18n/card.ini")),
    ("client_notify", include_str!("../../i18n/client_notify.ini")),
    ("lists", include_str!("../../i18n/lists.ini")),
    ("today", include_str!("../../i18n/today.ini")),
    ("settings", include_str!("../../i18n/settings.ini")),
    ("notifications", include_str!("../../i18n/notifications.ini")),
    ("audit", include_str!("../../i18n/audit.ini")),
    ("duplicates", include_str!("../../i18n/duplicates.ini")),
    ("forms", include_str!("../../i18n/forms.ini")),
    ("intake", include_str!("../../i18n/intake.ini")),
    ("channels", include_str!("../../i18n/channels.ini")),
    ("invoices", include_str!("../../i18n/invoices.ini")),
    ("assistants", include_str!("../../i18n/assistants.ini")),
    ("search", include_str!("../../i18n/search.ini")),
    ("reports", include_str!("../../i18n/reports.ini")),
    ("reports_activity", include_str!("../../i18n/reports_activity.ini")),
    ("dashboard", include_str!("../../i18n/dashboard.ini")),
    ("plans", include_str!("../../i18n/plans.ini")),
    ("spend", include_str!("../../i18n/spend.ini")),
    ("reports_more", include_str!("../../i18n/reports_more.ini")),
    ("analytics", include_str!("../../i18n/analytics.ini")),
    ("backup", include_str!("../../i18n/backup.ini")),
    ("imports", include_str!("../../i18n/imports.ini")),
    ("team", include_str!("../../i18n/team.ini")),
    ("reviews", include_str!("../../i18n/reviews.ini")),
    ("files", include_str!("../../i18n/files.ini")),
    ("documents", include_str!("../../i18n/documents.ini")),
    ("documents_ui", include_str!("../../i18n/documents_ui.ini")),
    ("quiz", include_str!("../../i18n/quiz.ini")),
    ("regulation_doc", include_str!("../../i18n/regulation_doc.ini")),
    ("regulation_file", include_str!("../../i18n/regulation_file.ini")),
    ("kb", include_str!("../../i18n/kb.ini")),
    ("bonus", include_str!("../../i18n/bonus.ini")),
    ("calls", include_str!("../../i18n/calls.ini")),
];

type Catalogue = HashMap<&'static str, [Option<&'static str>; 2]>;

/// Parses one file into `catalogue`; returns the problems found (duplicate keys, stray lines).
pub fn parse_into(catalogue: &mut Catalogue, file: &str, src: &'static str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut key: Option<&'static str> = None;
    for (n, line) in src.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(k) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if catalogue.insert(k, [None, None]).is_some() {
                problems.push(format!("{file}:{}: key '{k}' is defined twice", n + 1));
            }
            key = Some(k);
            continue;
        }
        let parsed = line.split_once('=').map(|(l, v)| (l.trim(), v.trim()));
        match (key, parsed.and_then(|(l, v)| Lang::parse(l).map(|l| (l, v)))) {
            (Some(k), Some((lang, v))) => {
                if let Some(entry) = catalogue.get_mut(k) {
                    entry[lang as usize] = Some(v);
                }
            }
            _ => problems.push(format!("{file}:{}: expected '[key]' or 'ru = …' / 'en = …'", n + 1)),
        }
    }
    problems
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut c = Catalogue::new();
        for (file, src) in SOURCES {
            for p in parse_into(&mut c, file, src) {
                tracing::error!(problem = %p, "translation catalogue");
            }
        }
        c
    })
}

/// The translator handed to every template.
#[derive(Clone, Copy, Debug)]
pub struct T {
    pub lang: Lang,
}

impl T {
    pub fn new(lang: Lang) -> T {
        T { lang }
    }

    /// The message for `key` in this language (falling back to Russian, then to the key).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match catalogue().get(key) {
            Some(entry) => entry[self.lang as usize].or(entry[Lang::Ru as usize]).unwrap_or(key),
            None => key,
        }
    }

    /// The message with `{name}` placeholders filled.
    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = self.t(key).to_string();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages_and_no_file_has_stray_lines() {
        let mut c = Catalogue::new();
        let mut problems = Vec::new();
        for (file, src) in SOURCES {
            problems.extend(parse_into(&mut c, file, src));
        }
        for (k, v) in &c {
            if v[0].is_none() || v[1].is_none() {
                problems.push(format!("key '{k}' lacks a language"));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// Every translated key in the templates and the UI code exists, so no page shows a raw key.
    #[test]
    fn every_used_key_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![root.join("templates"), root.join("src/ui")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if !path.ends_with("i18n.rs") {
                    files.push(path);
                }
            }
        }
        let mut missing = Vec::new();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for marker in ["t.t(\"", "t.fmt(\""] {
                for (i, _) in text.match_indices(marker) {
                    let rest = &text[i + marker.len()..];
                    let key = &rest[..rest.find('"').unwrap_or(0)];
                    if !catalogue().contains_key(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys missing from the catalogue: {missing:#?}");
    }

    #[test]
    fn placeholders_are_filled_and_unknown_keys_show_themselves() {
        let t = T::new(Lang::En);
        assert_eq!(t.t("no.such.key"), "no.such.key");
        assert_eq!(T::new(Lang::Ru).t("nav.board"), "Воронка");
        assert_eq!(t.t("nav.board"), "Pipeline");
    }
}

//! The store's messages in the reader's language.
//!
//! The store and the core speak in catalogue messages ([`Msg`]: a code with typed arguments);
//! a page renders each in the reader's language with field labels instead of keys. Built-in
//! fields are labelled by the UI catalogue's `field.<name>` keys; a custom field carries the label
//! its workspace gave it.
use poryadok_core::msg::Labels;
use poryadok_core::Msg;
use poryadok_store::StoreError;

use super::i18n::T;

/// Built-in field labels from the UI catalogue.
pub struct UiLabels(pub T);

impl Labels for UiLabels {
    fn label(&self, field: &str) -> Option<String> {
        let key = format!("field.{field}");
        let label = self.0.t(&key);
        (label != key).then(|| label.to_string())
    }
    fn term(&self, kind: &str, key: &str) -> Option<String> {
        let name = format!("settings.{kind}.{key}");
        let label = self.0.t(&name);
        (label != name).then(|| label.to_string())
    }
}

/// `m` in the reader's language.
pub fn say(t: &T, m: &Msg) -> String {
    m.render(t.lang, &UiLabels(*t))
}

/// An API error as its reader reads it: its catalogue message in the reader's language, or for an
/// error that carries none (not found, forbidden…) the UI's own text for its status — never the
/// API's English prose.
pub fn say_api_error(t: &T, e: &crate::error::ApiError) -> String {
    use axum::http::StatusCode as S;
    match e.msg.as_deref() {
        // The envelope's own refusals other than a bad input (not found, sign in…) read as the
        // UI's texts for their status.
        Some(m) if !matches!(m, Msg::ApiMsg(_)) || matches!(e.status, S::UNPROCESSABLE_ENTITY | S::BAD_REQUEST) => say(t, m),
        _ => t
            .t(match e.status {
                S::NOT_FOUND => "error.not_found",
                S::FORBIDDEN => "error.forbidden",
                S::UNAUTHORIZED => "error.unauthorized",
                S::CONFLICT | S::PRECONDITION_FAILED => "error.stale",
                S::METHOD_NOT_ALLOWED => "error.method_not_allowed",
                S::SERVICE_UNAVAILABLE => "error.unavailable",
                _ => "error.internal",
            })
            .to_string(),
    }
}

/// The label of a field for messages (`custom.budget` keeps its key).
pub fn field_label(t: &T, field: &str) -> String {
    UiLabels(*t).label(field).unwrap_or_else(|| field.to_string())
}

/// A refusal that names a field: the field (key) and the text in the reader's language, for
/// inline display in forms. `None` for the rest (a refusal of the whole action, not found,
/// internal), which [`super::store_error`] shows as a page or a notice with its own status.
pub fn field_error(t: &T, e: &StoreError) -> Option<(String, String)> {
    match e {
        StoreError::Validation(fe) => Some((fe.field.clone(), say(t, &fe.msg))),
        StoreError::Conflict { field: Some(f), msg } | StoreError::Forbidden { field: Some(f), msg } => Some((f.clone(), say(t, msg))),
        StoreError::Filter { field, error, text } => Some((field.clone(), super::lists::filter_message(t, error, text))),
        _ => None,
    }
}

/// A refusal as one line: "Label: text", or the text alone when no field is named.
pub fn refusal_line(t: &T, e: &StoreError) -> Option<String> {
    let label = match e {
        StoreError::Validation(fe) => Some(fe.label.clone().unwrap_or_else(|| field_label(t, &fe.field))),
        StoreError::Conflict { field, .. } | StoreError::Forbidden { field, .. } => field.as_deref().map(|f| field_label(t, f)),
        _ => None,
    };
    let text = match e {
        StoreError::Conflict { field: None, msg } | StoreError::Forbidden { field: None, msg } => say(t, msg),
        _ => field_error(t, e)?.1,
    };
    Some(match label {
        Some(l) if !l.is_empty() => format!("{l}: {text}"),
        _ => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang;
    use poryadok_core::msg::{Common, RegulationMsg};

    #[test]
    fn store_messages_read_in_the_readers_language_with_labels() {
        let ru = T::new(Lang::Ru);
        assert_eq!(say(&ru, &Common::Between { min: 0, max: 100 }.into()), "должно быть от 0 до 100");
        assert_eq!(say(&T::new(Lang::En), &Common::Required {}.into()), "is required");
        let gate = StoreError::Forbidden {
            field: Some("stage_id".into()),
            msg: RegulationMsg::StageNeedsFields { stage: "КП".into(), fields: vec!["value".into()] }.into(),
        };
        let line = refusal_line(&ru, &gate).unwrap();
        assert!(line.ends_with("чтобы перейти на этап «КП», заполните: Сумма"), "{line}");
        assert_eq!(field_label(&ru, "title"), "Название");
        assert_eq!(field_label(&ru, "custom.budget"), "custom.budget");
        assert_eq!(refusal_line(&ru, &StoreError::NotFound), None);
    }
}

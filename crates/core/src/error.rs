//! The one validation error of the domain: which field, which problem (a catalogue message).
use std::fmt;

use crate::msg::Msg;

/// A rejected input, naming the field (dotted path for nested values, e.g. `custom.city`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    /// Boxed: a message with its arguments is large, and errors travel through every `?`.
    pub msg: Box<Msg>,
    /// The field's label where the workspace named it (a custom field); built-ins are labelled by
    /// the reader's catalogue.
    pub label: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, msg: impl Into<Msg>) -> Self {
        Self { field: field.into(), msg: Box::new(msg.into()), label: None }
    }

    /// The same error with the field's own label (a custom field's).
    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The message in English, as the API's `message` carries it.
    pub fn message(&self) -> String {
        self.msg.english()
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.msg)
    }
}

impl std::error::Error for FieldError {}

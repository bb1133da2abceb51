//! Assistants: their settings, reasons and task texts.
use super::catalogue;

catalogue! {
    /// Assistants' refusals, reasons and task texts.
    AssistantMsg {
        UnknownAssistant { name: String, known: Vec<String> } = "unknown_assistant", en "unknown assistant '{name}'; assistants: {known}", ru "нет помощника «{name}»; есть: {known}";
    }
}

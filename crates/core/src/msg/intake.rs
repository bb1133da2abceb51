//! Calls, web forms, messages: what intake refuses and the texts it writes.
use super::catalogue;

catalogue! {
    /// Intake's refusals and the texts it writes into a workspace.
    IntakeMsg {
        BodyNotUtf8 {} = "body_not_utf8", en "the body is not UTF-8 text", ru "тело запроса — не текст UTF-8";
    }
}

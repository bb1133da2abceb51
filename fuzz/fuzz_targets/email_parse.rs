//! Any bytes posted to the e-mail intake (or fetched over IMAP): the MIME reader answers with a
//! message or an error, never a panic, and the steps the intake takes next (the sender's
//! address as an `Email`, phone numbers found in the text) never panic either.
#![no_main]
use libfuzzer_sys::fuzz_target;
use poryadok_core::email::{self, MAX_PHONES, MAX_TEXT_CHARS};
use poryadok_core::types::Email;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = email::parse_email(data) else { return };
    assert!(!m.from_addr.is_empty(), "a message is only accepted with a From address");
    assert!(m.text.chars().count() <= MAX_TEXT_CHARS, "the text is clipped");
    let _ = Email::parse(&m.from_addr);
    assert!(email::phone_candidates(&m.text).len() <= MAX_PHONES);
    assert!(email::phone_candidates(&m.subject).len() <= MAX_PHONES);
});

//! A telephony webhook: both the provider's body and the workspace's field mapping come from
//! outside (the mapping is typed by an administrator). The input is split like a tiny HTTP
//! request so that seeds stay readable:
//!
//! ```text
//! ringostat                       <- preset
//! application/json                <- Content-Type (an empty line: none)
//! caller=caller_number            <- mapping overrides, `call field=provider parameter`,
//! utm_source=utm.source              up to a blank line
//!
//! {"uniqueid": "…", …}            <- the body
//! ```
//!
//! It runs the same steps as the store's call intake (`store::intake::calls`): the mapping
//! from the preset and overrides, the body's parameters, the call's external id, the call.
//! Nothing may panic; an accepted call keeps the invariants the store relies on.
#![no_main]
use libfuzzer_sys::fuzz_target;
use poryadok_core::intake::{self, CallMapping};

/// Regions and zones a workspace may have; the input picks one by its length.
const PLACES: &[(&str, &str)] = &[("RU", "Europe/Moscow"), ("KZ", "Asia/Almaty"), ("US", "America/New_York"), ("ZZ", "Not/A_Zone")];

fuzz_target!(
    // The phone number library loads its metadata on first use, which takes seconds under a
    // sanitizer; done here, it does not count against the first input's timeout.
    init: {
        let _ = poryadok_core::types::Phone::parse("+79161234567", "RU");
    },
    |data: &[u8]| run(data)
);

fn run(data: &[u8]) {
    let (head, body) = split_head(data);
    let Ok(head) = std::str::from_utf8(head) else { return };
    let mut lines = head.lines();
    let preset = lines.next().unwrap_or("").trim();
    let content_type = lines.next().map(str::trim).filter(|c| !c.is_empty());
    let overrides: CallMapping =
        lines.map(|l| l.split_once('=').unwrap_or((l, ""))).map(|(k, v)| (k.trim().to_string(), v.to_string())).collect();
    let (region, tz) = PLACES[data.len() % PLACES.len()];

    // A preset the workspace never saved still gets its body read, with the generic names.
    let mapping = intake::call_mapping(preset, &overrides)
        .or_else(|_| intake::call_mapping("generic", &overrides))
        .unwrap_or_else(|_| intake::preset_mapping("generic").unwrap_or_default());
    let Ok(params) = intake::body_params(body, content_type) else { return };
    if let Some(id) = intake::call_external_id(&params, &mapping) {
        assert!(id.chars().count() <= 200, "an external id is clipped to its column");
    }
    if let Ok(call) = intake::parse_call(&params, &mapping, region, tz) {
        assert!(call.client_phone.starts_with('+'), "the client's number is E.164: {}", call.client_phone);
        assert!(call.seconds.is_none_or(|s| s >= 0), "a duration is never negative");
        let _ = intake::display_phone(&call.client_phone);
        let _ = call.is_missed();
    }
}

/// The head (preset, content type, mapping) up to the first blank line, and the body after it.
fn split_head(data: &[u8]) -> (&[u8], &[u8]) {
    for (sep, len) in [(&b"\r\n\r\n"[..], 4), (&b"\n\n"[..], 2)] {
        if let Some(at) = data.windows(len).position(|w| w == sep) {
            return (&data[..at], &data[at + len..]);
        }
    }
    (data, &[])
}

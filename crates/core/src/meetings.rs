//! Reading a finished online meeting's webhook (Zoom's `recording.completed`, or a generic JSON
//! shape) through a mapping, like a telephony source's calls: for each of Poryadok's meeting
//! fields, the provider's parameter (a dotted path into the JSON; a number picks an array's item,
//! `*` the first item that has the rest of the path). Pure: the store finds the client's card.
use crate::error::FieldError;
use crate::intake::parse_time;
use crate::msg::{words, CallMsg};
use crate::types::{Email, Phone};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Poryadok's meeting fields a provider's parameters map onto.
pub const MEETING_FIELDS: &[&str] =
    &["meeting_id", "topic", "started_at", "duration", "host_email", "participants", "recording_url", "download_url"];

/// Presets of provider parameter names.
pub const MEETING_PRESETS: &[&str] = &["generic", "zoom"];

/// For each meeting field, the provider's parameter.
pub type MeetingMapping = BTreeMap<String, String>;

/// The parameter names of a preset; `None` for an unknown preset.
pub fn preset_mapping(preset: &str) -> Option<MeetingMapping> {
    let pairs: &[(&str, &str)] = match preset {
        "generic" => &[
            ("meeting_id", "id"),
            ("topic", "topic"),
            ("started_at", "start_time"),
            ("duration", "duration"),
            ("host_email", "host_email"),
            ("participants", "participants"),
            ("recording_url", "recording_url"),
            ("download_url", "download_url"),
        ],
        // Zoom's `recording.completed` event.
        "zoom" => &[
            ("meeting_id", "payload.object.uuid"),
            ("topic", "payload.object.topic"),
            ("started_at", "payload.object.start_time"),
            ("duration", "payload.object.duration"),
            ("host_email", "payload.object.host_email"),
            ("participants", "payload.object.participants"),
            ("recording_url", "payload.object.recording_files.*.play_url"),
            ("download_url", "payload.object.recording_files.*.download_url"),
        ],
        _ => return None,
    };
    Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

/// A preset's names with the source's overrides (an empty override drops the field).
pub fn meeting_mapping(preset: &str, overrides: &MeetingMapping) -> Result<MeetingMapping, FieldError> {
    let mut mapping = preset_mapping(preset).ok_or_else(|| {
        FieldError::new("preset", CallMsg::UnknownMeetingPreset { preset: preset.to_string(), known: words(MEETING_PRESETS) })
    })?;
    for (field, param) in overrides {
        if !MEETING_FIELDS.contains(&field.as_str()) {
            return Err(FieldError::new(
                format!("mapping.{field}"),
                CallMsg::NotMeetingField { field: field.clone(), known: words(MEETING_FIELDS) },
            ));
        }
        if param.trim().is_empty() {
            mapping.remove(field);
        } else {
            mapping.insert(field.clone(), param.trim().to_string());
        }
    }
    Ok(mapping)
}

/// A finished meeting as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingEvent {
    pub meeting_id: String,
    pub topic: Option<String>,
    pub started_at: Option<i64>,
    pub duration_minutes: Option<i64>,
    /// The host's e-mail, in lower case (usually a colleague).
    pub host_email: Option<String>,
    /// The participants' e-mails (lower case) and phones (E.164), in the order given.
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    /// Where the recording plays (http or https only).
    pub recording_url: String,
    pub download_url: Option<String>,
}

/// The value at a dotted path: a number picks an array's item, `*` the first item that has the
/// rest of the path.
pub fn value_at<'a>(v: &'a Json, path: &str) -> Option<&'a Json> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let next = match (v, head) {
        (Json::Array(items), "*") => {
            return items.iter().find_map(|i| match rest {
                Some(r) => value_at(i, r).filter(|x| !x.is_null()),
                None => Some(i),
            });
        }
        (Json::Array(items), n) => items.get(n.parse::<usize>().ok()?)?,
        (Json::Object(m), k) => m.get(k)?,
        _ => return None,
    };
    match rest {
        Some(r) => value_at(next, r),
        None => Some(next),
    }
}

fn text_at(v: &Json, path: Option<&String>) -> Option<String> {
    match value_at(v, path?)? {
        Json::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Only an http(s) link is kept: anything else would be a script or a local file on the card.
pub fn web_link(s: &str) -> Option<String> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    ((lower.starts_with("https://") || lower.starts_with("http://")) && s.len() > 8 && s.len() <= 2000 && !s.contains(char::is_whitespace))
        .then(|| s.to_string())
}

/// Reads a meeting through `mapping`; `region` reads participants' phones, `tz` local times.
pub fn parse_meeting(body: &Json, mapping: &MeetingMapping, region: &str, tz: &str) -> Result<MeetingEvent, FieldError> {
    let at = |f: &str| text_at(body, mapping.get(f));
    let field_of = |f: &str| mapping.get(f).cloned().unwrap_or_else(|| f.to_string());
    let meeting_id = at("meeting_id").ok_or_else(|| FieldError::new(field_of("meeting_id"), CallMsg::MeetingNoId {}))?;
    let recording_url = at("recording_url")
        .and_then(|u| web_link(&u))
        .ok_or_else(|| FieldError::new(field_of("recording_url"), CallMsg::MeetingNoRecording {}))?;
    let duration_minutes = match at("duration") {
        None => None,
        Some(d) => Some(
            d.parse::<f64>()
                .ok()
                .filter(|m| m.is_finite() && *m >= 0.0 && *m < 100_000.0)
                .map(|m| m.ceil() as i64)
                .ok_or_else(|| FieldError::new(field_of("duration"), CallMsg::MeetingFieldShape { field: "duration".into() }))?,
        ),
    };
    let mut emails = Vec::new();
    let mut phones = Vec::new();
    let mut take = |s: &str| {
        let s = s.trim();
        if s.contains('@') {
            if let Ok(e) = Email::parse(s) {
                let e = e.into_string();
                if !emails.contains(&e) {
                    emails.push(e);
                }
            }
        } else if let Ok(p) = Phone::parse(s, region) {
            let p = p.into_string();
            if !phones.contains(&p) {
                phones.push(p);
            }
        }
    };
    match mapping.get("participants").and_then(|p| value_at(body, p)) {
        None | Some(Json::Null) => {}
        Some(Json::String(s)) => s.split([',', ';']).for_each(&mut take),
        Some(Json::Array(items)) => {
            for i in items {
                match i {
                    Json::String(s) => take(s),
                    Json::Object(o) => {
                        for k in ["email", "user_email", "phone", "phone_number"] {
                            if let Some(s) = o.get(k).and_then(Json::as_str) {
                                take(s);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Some(_) => {
            return Err(FieldError::new(field_of("participants"), CallMsg::MeetingFieldShape { field: "participants".into() }));
        }
    }
    Ok(MeetingEvent {
        meeting_id: meeting_id.chars().take(200).collect(),
        topic: at("topic").map(|t| t.chars().take(200).collect()),
        started_at: at("started_at").and_then(|s| parse_time(&s, tz)),
        duration_minutes,
        host_email: at("host_email").and_then(|e| Email::parse(&e).ok()).map(Email::into_string),
        emails,
        phones,
        recording_url,
        download_url: at("download_url").and_then(|u| web_link(&u)),
    })
}

/// The body as a JSON object (a meeting webhook is JSON).
pub fn body_json(body: &[u8]) -> Result<Json, FieldError> {
    let v: Json =
        serde_json::from_slice(body).map_err(|e| FieldError::new("body", crate::msg::Common::BodyNotJson { why: e.to_string() }))?;
    match v {
        Json::Object(_) => Ok(v),
        _ => Err(FieldError::new("body", crate::msg::Common::BodyNotObject {})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn zoom() -> Json {
        json!({"event": "recording.completed", "payload": {"object": {
            "uuid": "4444AAAiAAAAAiAiAiiAii==", "topic": "Демо для ООО Ромашка", "start_time": "2026-03-02T10:00:00Z",
            "duration": 42, "host_email": "Olga@Firm.ru",
            "participants": [{"name": "Иван", "email": "Ivan@Client.ru"}, "+7 999 123-45-67"],
            "recording_files": [{"file_type": "TIMELINE"}, {"file_type": "MP4", "play_url": "https://zoom.us/rec/play/abc",
                                 "download_url": "https://zoom.us/rec/download/abc"}]}}})
    }

    #[test]
    fn a_zoom_recording_reads_with_its_preset() {
        let m = parse_meeting(&zoom(), &preset_mapping("zoom").unwrap(), "RU", "Europe/Moscow").unwrap();
        assert_eq!(m.meeting_id, "4444AAAiAAAAAiAiAiiAii==");
        assert_eq!(m.recording_url, "https://zoom.us/rec/play/abc");
        assert_eq!(m.download_url.as_deref(), Some("https://zoom.us/rec/download/abc"));
        assert_eq!((m.duration_minutes, m.host_email.as_deref()), (Some(42), Some("olga@firm.ru")));
        assert_eq!(m.emails, vec!["ivan@client.ru"]);
        assert_eq!(m.phones, vec!["+79991234567"]);
        assert!(m.started_at.is_some());
    }

    #[test]
    fn a_link_that_is_not_http_is_refused() {
        let mut z = zoom();
        z["payload"]["object"]["recording_files"][1]["play_url"] = json!("javascript:alert(1)");
        let e = parse_meeting(&z, &preset_mapping("zoom").unwrap(), "RU", "UTC").unwrap_err();
        assert_eq!(e.msg.code(), "meeting_no_recording");
        let generic = json!({"topic": "x", "recording_url": "https://r.example/1"});
        assert_eq!(parse_meeting(&generic, &preset_mapping("generic").unwrap(), "RU", "UTC").unwrap_err().field, "id");
    }

    #[test]
    fn overrides_name_known_fields_only() {
        let o = MeetingMapping::from([("recording_url".to_string(), "rec.link".to_string())]);
        assert_eq!(meeting_mapping("generic", &o).unwrap()["recording_url"], "rec.link");
        let bad = MeetingMapping::from([("nope".to_string(), "x".to_string())]);
        assert_eq!(meeting_mapping("generic", &bad).unwrap_err().field, "mapping.nope");
        assert_eq!(meeting_mapping("teams", &MeetingMapping::new()).unwrap_err().field, "preset");
    }
}

//! Reading inbound events: a telephony provider's call notification (with the workspace's own
//! parameter names), a Telegram update, and the attribution a touch carries. Pure functions from
//! the raw body to typed values; what happens to a client's card is the store's business.
//!
//! Providers name their parameters differently, and some (Ringostat) let each customer choose the
//! names, so a call is read through a [`CallMapping`]: for each of Poryadok's call fields, the
//! provider's parameter name (a dotted path into JSON). A preset supplies the usual names and the
//! workspace overrides any of them.
use crate::domain::{CallDirection, CallOutcome};
use crate::error::FieldError;
use crate::msg::{words, Common, IntakeMsg, Lang};
use crate::types::Phone;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// Poryadok's call fields a provider's parameters map onto.
pub const CALL_FIELDS: &[&str] = &[
    "call_id",
    "caller",
    "callee",
    "client",
    "direction",
    "disposition",
    "duration",
    "recording",
    "started_at",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "tracking_number",
    "landing_page",
    "referrer",
];

/// Presets of provider parameter names.
pub const CALL_PRESETS: &[&str] = &["generic", "ringostat", "retailcrm"];

/// For each call field, the provider's parameter (a dotted path into a JSON body).
pub type CallMapping = BTreeMap<String, String>;

/// The parameter names of a preset; `None` for an unknown preset.
pub fn preset_mapping(preset: &str) -> Option<CallMapping> {
    let pairs: &[(&str, &str)] = match preset {
        "generic" => &[
            ("call_id", "call_id"),
            ("caller", "from"),
            ("callee", "to"),
            ("direction", "direction"),
            ("disposition", "status"),
            ("duration", "duration"),
            ("recording", "recording_url"),
            ("started_at", "started_at"),
            ("utm_source", "utm.source"),
            ("utm_medium", "utm.medium"),
            ("utm_campaign", "utm.campaign"),
            ("utm_term", "utm.term"),
            ("utm_content", "utm.content"),
            ("tracking_number", "tracking_number"),
            ("landing_page", "landing_page"),
            ("referrer", "referrer"),
        ],
        "ringostat" => &[
            ("call_id", "uniqueid"),
            ("caller", "caller"),
            ("callee", "dst"),
            ("direction", "call_type"),
            ("disposition", "disposition"),
            ("duration", "billsec"),
            ("recording", "recording"),
            ("started_at", "calldate"),
            ("utm_source", "utm_source"),
            ("utm_medium", "utm_medium"),
            ("utm_campaign", "utm_campaign"),
            ("utm_term", "utm_term"),
            ("utm_content", "utm_content"),
            ("tracking_number", "substitution_number"),
            ("landing_page", "landing"),
            ("referrer", "referrer"),
        ],
        // retailCRM's telephony call event: `phone` is always the client's number.
        "retailcrm" => &[
            ("call_id", "callExternalId"),
            ("client", "phone"),
            ("direction", "type"),
            ("disposition", "hangupStatus"),
            ("duration", "duration"),
            ("recording", "recordUrl"),
            ("started_at", "date"),
            ("tracking_number", "externalPhone"),
        ],
        _ => return None,
    };
    Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

/// A preset's names with the workspace's overrides; checks that every overridden field exists.
pub fn call_mapping(preset: &str, overrides: &CallMapping) -> Result<CallMapping, FieldError> {
    let mut mapping = preset_mapping(preset)
        .ok_or_else(|| FieldError::new("preset", IntakeMsg::UnknownPreset { preset: preset.to_string(), known: words(CALL_PRESETS) }))?;
    for (field, param) in overrides {
        if !CALL_FIELDS.contains(&field.as_str()) {
            return Err(FieldError::new(
                format!("mapping.{field}"),
                IntakeMsg::NotCallField { field: field.clone(), known: words(CALL_FIELDS) },
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

/// Where a touch came from, as marketing counts it. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Attribution {
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub tracking_number: Option<String>,
    pub landing_page: Option<String>,
    pub referrer: Option<String>,
}

impl Attribution {
    pub const FIELDS: [&'static str; 8] =
        ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "tracking_number", "landing_page", "referrer"];

    /// Reads the fields by name through `get`; an empty value is no value. Text is clipped to
    /// what the deal's columns hold, so a long landing URL never fails a lead.
    pub fn from_lookup(mut get: impl FnMut(&str) -> Option<String>) -> Attribution {
        let mut a = Attribution::default();
        for name in Self::FIELDS {
            let limit = match name {
                "landing_page" | "referrer" => 2000,
                "tracking_number" => 32,
                _ => 255,
            };
            let v = get(name).map(|v| v.trim().chars().take(limit).collect::<String>()).filter(|v| !v.is_empty());
            *a.slot(name) = v;
        }
        a
    }

    fn slot(&mut self, name: &str) -> &mut Option<String> {
        match name {
            "utm_source" => &mut self.utm_source,
            "utm_medium" => &mut self.utm_medium,
            "utm_campaign" => &mut self.utm_campaign,
            "utm_term" => &mut self.utm_term,
            "utm_content" => &mut self.utm_content,
            "tracking_number" => &mut self.tracking_number,
            "landing_page" => &mut self.landing_page,
            _ => &mut self.referrer,
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        let v = match name {
            "utm_source" => &self.utm_source,
            "utm_medium" => &self.utm_medium,
            "utm_campaign" => &self.utm_campaign,
            "utm_term" => &self.utm_term,
            "utm_content" => &self.utm_content,
            "tracking_number" => &self.tracking_number,
            "landing_page" => &self.landing_page,
            "referrer" => &self.referrer,
            _ => &None,
        };
        v.as_deref()
    }

    pub fn is_empty(&self) -> bool {
        Self::FIELDS.iter().all(|f| self.get(f).is_none())
    }
}

/// A call as Poryadok records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// The provider's call id, when it sends one.
    pub call_id: Option<String>,
    /// The client's number in E.164.
    pub client_phone: String,
    pub direction: CallDirection,
    pub outcome: CallOutcome,
    pub seconds: Option<i64>,
    pub recording_url: Option<String>,
    /// When the call started (Unix ms); the time it was received when the provider does not say.
    pub started_at: Option<i64>,
    pub attribution: Attribution,
}

impl CallEvent {
    /// An incoming call nobody answered: it gets a callback task.
    pub fn is_missed(&self) -> bool {
        self.direction == CallDirection::Inbound && self.outcome != CallOutcome::Answered
    }
}

/// The parameters of a body: a JSON object, or form fields (`a=1&b=2`). A form field whose value
/// is a JSON object (retailCRM posts `event={…}`) is opened in place, so paths reach into it.
pub fn body_params(body: &[u8], content_type: Option<&str>) -> Result<Map<String, Json>, FieldError> {
    let text = std::str::from_utf8(body).map_err(|_| FieldError::new("body", IntakeMsg::BodyNotUtf8 {}))?;
    let trimmed = text.trim_start();
    let looks_json = trimmed.starts_with('{') || trimmed.starts_with('[');
    let is_form = content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if looks_json && !is_form {
        return match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(m)) => Ok(m),
            Ok(_) => Err(FieldError::new("body", Common::BodyNotObject {})),
            Err(e) => Err(FieldError::new("body", Common::BodyNotJson { why: e.to_string() })),
        };
    }
    if trimmed.is_empty() {
        return Err(FieldError::new("body", IntakeMsg::BodyEmpty {}));
    }
    // Text without a single `name=value` pair is not form fields: reading it as a field named
    // by the whole text would leave the call without a client number and blame that instead.
    let is_pair = |p: &str| p.split_once('=').is_some_and(|(k, _)| !k.trim().is_empty());
    if !text.split('&').any(is_pair) {
        let says_json = content_type.is_some_and(|c| c.split(';').next().is_some_and(|m| m.trim().ends_with("json")));
        let message = if says_json { IntakeMsg::BodyNotValidJson {} } else { IntakeMsg::BodyNotParams {} };
        return Err(FieldError::new("body", message));
    }
    let mut params = Map::new();
    for (k, v) in form_urlencoded_pairs(text) {
        let value = match serde_json::from_str::<Json>(&v) {
            Ok(obj @ Json::Object(_)) => obj,
            _ => Json::String(v),
        };
        params.insert(k, value);
    }
    if params.is_empty() {
        return Err(FieldError::new("body", IntakeMsg::BodyNotParams {}));
    }
    if let Some(Json::Object(inner)) = params.get("event").cloned() {
        for (k, v) in inner {
            params.entry(k).or_insert(v);
        }
    }
    Ok(params)
}

/// `a=1&b=%D0%B0+b` as decoded pairs.
pub fn form_urlencoded_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).map(|(k, v)| (decode(k), decode(v))).collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value at a dotted path, as text (numbers and booleans are written out).
pub fn lookup(params: &Map<String, Json>, path: &str) -> Option<String> {
    let mut parts = path.split('.');
    let mut cur = params.get(parts.next()?)?;
    for p in parts {
        cur = match cur {
            Json::Object(m) => m.get(p)?,
            Json::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match cur {
        Json::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The provider's id of an event in this body, if the mapping finds one.
pub fn call_external_id(params: &Map<String, Json>, mapping: &CallMapping) -> Option<String> {
    mapping.get("call_id").and_then(|p| lookup(params, p)).map(|id| id.chars().take(200).collect())
}

/// Reads a call. `region` parses local numbers (`8 (999) …` in RU); `tz` reads a provider's
/// local `YYYY-MM-DD HH:MM:SS` times.
pub fn parse_call(params: &Map<String, Json>, mapping: &CallMapping, region: &str, tz: &str) -> Result<CallEvent, FieldError> {
    let get = |field: &str| mapping.get(field).and_then(|p| lookup(params, p));
    // A value was found, so the field is mapped: its parameter's name.
    let param = |field: &str| mapping.get(field).cloned().unwrap_or_default();
    let raw_direction = get("direction");
    let (direction, missed_by_type) = match raw_direction.as_deref() {
        Some(d) => parse_direction(d)
            .ok_or_else(|| FieldError::new("direction", IntakeMsg::BadDirection { value: d.to_string(), param: param("direction") }))?,
        None => (CallDirection::Inbound, false),
    };
    let seconds = match get("duration") {
        Some(d) => Some(
            parse_seconds(&d)
                .ok_or_else(|| FieldError::new("duration", IntakeMsg::BadDuration { value: d.clone(), param: param("duration") }))?,
        ),
        None => None,
    };
    let outcome = match get("disposition") {
        Some(d) if !missed_by_type => parse_outcome(&d)
            .ok_or_else(|| FieldError::new("disposition", IntakeMsg::BadOutcome { value: d.clone(), param: param("disposition") }))?,
        _ if missed_by_type => CallOutcome::Missed,
        _ => {
            if seconds.unwrap_or(0) > 0 {
                CallOutcome::Answered
            } else {
                CallOutcome::Missed
            }
        }
    };
    // The client is whoever is not us: the caller of an incoming call, the callee of an outgoing one.
    let (client_field, raw_client) = match get("client") {
        Some(c) => ("client", Some(c)),
        None if direction == CallDirection::Inbound => ("caller", get("caller")),
        None => ("callee", get("callee")),
    };
    let raw_client = raw_client.ok_or_else(|| {
        let missing = match mapping.get(client_field) {
            Some(p) => IntakeMsg::NoClientNumber { param: p.clone() },
            None => IntakeMsg::NoClientNumberMapped {},
        };
        FieldError::new(client_field, missing)
    })?;
    let client_phone = Phone::parse(&raw_client, region).map_err(|e| FieldError::new(client_field, e))?.into_string();
    let recording_url = match get("recording") {
        Some(u) => Some(crate::types::parse_url(&u).map_err(|e| FieldError::new("recording", e))?),
        None => None,
    };
    let started_at = match get("started_at") {
        Some(t) => Some(
            parse_time(&t, tz)
                .ok_or_else(|| FieldError::new("started_at", IntakeMsg::BadStartTime { value: t.clone(), param: param("started_at") }))?,
        ),
        None => None,
    };
    let mut attribution = Attribution::from_lookup(|name| get(name));
    if attribution.tracking_number.is_none() && direction == CallDirection::Inbound {
        // The number an incoming client dialled is the tracking number when the provider does not name one.
        attribution.tracking_number = get("callee").map(|n| Phone::parse(&n, region).map(Phone::into_string).unwrap_or(n));
    }
    Ok(CallEvent {
        call_id: call_external_id(params, mapping),
        client_phone,
        direction,
        outcome,
        seconds,
        recording_url,
        started_at,
        attribution,
    })
}

/// The direction, and whether the word itself says the call was missed.
fn parse_direction(s: &str) -> Option<(CallDirection, bool)> {
    match s.trim().to_lowercase().as_str() {
        "in" | "inbound" | "incoming" | "входящий" | "входящая" => Some((CallDirection::Inbound, false)),
        "out" | "outbound" | "outgoing" | "callback" | "исходящий" | "исходящая" => {
            Some((CallDirection::Outbound, false))
        }
        "missed" | "пропущенный" | "пропущенная" => Some((CallDirection::Inbound, true)),
        _ => None,
    }
}

fn parse_outcome(s: &str) -> Option<CallOutcome> {
    let s = s.trim().to_lowercase().replace(['_', '-'], " ");
    match s.as_str() {
        "answered" | "answer" | "success" | "ok" | "proper" | "принят" | "отвечен" => Some(CallOutcome::Answered),
        "missed" | "no answer" | "noanswer" | "no answered" | "not answered" | "cancel" | "canceled" | "cancelled" | "пропущен" => {
            Some(CallOutcome::Missed)
        }
        "busy" | "занято" => Some(CallOutcome::Busy),
        "failed" | "congestion" | "chanunavail" | "error" | "ошибка" => Some(CallOutcome::Failed),
        _ => None,
    }
}

fn parse_seconds(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return (n >= 0).then_some(n);
    }
    if let Ok(f) = s.parse::<f64>() {
        return (f >= 0.0 && f.is_finite()).then_some(f.round() as i64);
    }
    // "mm:ss" or "hh:mm:ss"; a sum too large for i64 is no duration (it wrapped to a negative
    // one in release builds and panicked in debug ones; reproduced with the `call_mapping` fuzz target).
    let parts: Vec<i64> = s.split(':').map(|p| p.parse::<i64>().ok().filter(|n| *n >= 0)).collect::<Option<_>>()?;
    let (h, m, sec) = match parts.as_slice() {
        [m, sec] => (0, *m, *sec),
        [h, m, sec] => (*h, *m, *sec),
        _ => return None,
    };
    h.checked_mul(3600)?.checked_add(m.checked_mul(60)?)?.checked_add(sec)
}

/// RFC 3339, a local `YYYY-MM-DD HH:MM:SS` in `tz`, or Unix seconds or milliseconds.
pub fn parse_time(s: &str, tz: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(ms) = crate::types::parse_timestamp(s) {
        return Some(ms);
    }
    if let Ok(n) = s.parse::<i64>() {
        // Seconds far in the past overflow as milliseconds: no time, not a wrapped one.
        return if n > 100_000_000_000 { Some(n) } else { n.checked_mul(1000) };
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let naive = time::PrimitiveDateTime::parse(s, &fmt).ok()?;
    let as_utc = (naive.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    let offset = crate::zone::offset_at(tz, as_utc);
    Some(as_utc - i64::from(offset.whole_seconds()) * 1000)
}

/// Texts intake writes into a workspace, in its language.
pub struct Words {
    lang: Lang,
}

impl Words {
    pub fn new(locale: &str) -> Words {
        Words { lang: Lang::from_locale(locale) }
    }
    fn say(&self, m: IntakeMsg) -> String {
        crate::msg::Msg::from(m).text(self.lang)
    }
    pub fn call_deal(&self, phone: &str, missed: bool) -> String {
        let phone = phone.to_string();
        self.say(if missed { IntakeMsg::MissedCallDeal { phone } } else { IntakeMsg::CallDeal { phone } })
    }
    pub fn callback(&self, phone: &str) -> String {
        self.say(IntakeMsg::CallbackTask { phone: phone.to_string() })
    }
    pub fn lead_deal(&self, form: &str, who: &str) -> String {
        self.say(IntakeMsg::LeadDeal { form: form.to_string(), who: who.to_string() })
    }
    pub fn message_deal(&self, channel: &str, who: &str) -> String {
        let who = who.to_string();
        self.say(match channel {
            "email" => IntakeMsg::EmailDeal { who },
            "whatsapp" => IntakeMsg::WhatsappDeal { who },
            _ => IntakeMsg::TelegramDeal { who },
        })
    }
}

/// A phone number as people read it: `+7 999 123-45-67` for Russian numbers, E.164 otherwise.
pub fn display_phone(e164: &str) -> String {
    let digits = e164.trim_start_matches('+');
    if e164.starts_with("+7") && digits.len() == 11 {
        return format!("+7 {} {}-{}-{}", &digits[1..4], &digits[4..7], &digits[7..9], &digits[9..11]);
    }
    e164.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Json) -> Map<String, Json> {
        match v {
            Json::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn every_spelling_of_a_number_is_one_client() {
        let m = preset_mapping("generic").unwrap();
        for raw in ["8 (999) 123-45-67", "+7 999 1234567", "89991234567"] {
            let c = parse_call(
                &params(json!({"call_id": "1", "from": raw, "direction": "in", "status": "answered"})),
                &m,
                "RU",
                "Europe/Moscow",
            )
            .unwrap();
            assert_eq!(c.client_phone, "+79991234567", "{raw}");
        }
    }

    #[test]
    fn ringostat_form_fields_with_tracking() {
        let body = b"uniqueid=abc.1&caller=%2B79991234567&dst=74951112233&call_type=in&disposition=NO+ANSWER&billsec=0\
&recording=https%3A%2F%2Frec.example%2F1.mp3&utm_source=yandex&utm_medium=cpc&utm_campaign=spring&calldate=2026-11-20+10%3A00%3A00";
        let p = body_params(body, Some("application/x-www-form-urlencoded")).unwrap();
        let c = parse_call(&p, &preset_mapping("ringostat").unwrap(), "RU", "Europe/Moscow").unwrap();
        assert_eq!(c.call_id.as_deref(), Some("abc.1"));
        assert_eq!(c.outcome, CallOutcome::Missed);
        assert!(c.is_missed());
        assert_eq!(c.attribution.utm_source.as_deref(), Some("yandex"));
        assert_eq!(c.attribution.tracking_number.as_deref(), Some("+74951112233"));
        assert_eq!(c.recording_url.as_deref(), Some("https://rec.example/1.mp3"));
        // 10:00 in Moscow is 07:00 UTC.
        assert_eq!(c.started_at, crate::types::parse_timestamp("2026-11-20T07:00:00Z").ok());
    }

    #[test]
    fn retailcrm_event_in_a_form_field_and_outgoing_client_number() {
        let body = "event=%7B%22phone%22%3A%2289991234567%22%2C%22type%22%3A%22out%22%2C%22hangupStatus%22%3A%22answered%22%2C%22callExternalId%22%3A%22r-9%22%2C%22duration%22%3A42%7D";
        let p = body_params(body.as_bytes(), Some("application/x-www-form-urlencoded")).unwrap();
        let c = parse_call(&p, &preset_mapping("retailcrm").unwrap(), "RU", "UTC").unwrap();
        assert_eq!(
            (c.client_phone.as_str(), c.direction, c.outcome, c.seconds),
            ("+79991234567", CallDirection::Outbound, CallOutcome::Answered, Some(42))
        );
        assert_eq!(c.call_id.as_deref(), Some("r-9"));
        assert!(!c.is_missed());
    }

    #[test]
    fn overrides_rename_parameters_and_unknown_fields_are_refused() {
        let mut o = CallMapping::new();
        o.insert("caller".into(), "numA".into());
        let m = call_mapping("ringostat", &o).unwrap();
        let c = parse_call(&params(json!({"numA": "+79991234567", "billsec": "0:35"})), &m, "RU", "UTC").unwrap();
        assert_eq!((c.outcome, c.seconds), (CallOutcome::Answered, Some(35)));
        o.insert("colour".into(), "x".into());
        assert_eq!(call_mapping("ringostat", &o).unwrap_err().field, "mapping.colour");
        assert_eq!(call_mapping("asterisk", &CallMapping::new()).unwrap_err().field, "preset");
    }

    #[test]
    fn bad_calls_name_the_field() {
        let m = preset_mapping("generic").unwrap();
        let err = |v: Json| parse_call(&params(v), &m, "RU", "UTC").unwrap_err();
        assert_eq!(err(json!({"call_id": "1"})).field, "caller");
        assert_eq!(err(json!({"from": "12"})).field, "caller");
        assert_eq!(err(json!({"from": "89991234567", "direction": "sideways"})).field, "direction");
        assert_eq!(err(json!({"from": "89991234567", "status": "maybe"})).field, "disposition");
        assert_eq!(err(json!({"from": "89991234567", "duration": "long"})).field, "duration");
        assert_eq!(body_params(b"{not json", Some("application/json")).unwrap_err().field, "body");
        assert_eq!(body_params(b"[1,2]", None).unwrap_err().field, "body");
        assert_eq!(body_params(b"", None).unwrap_err().field, "body");
        assert_eq!(body_params(&[0xff, 0xfe], None).unwrap_err().field, "body");
    }

    #[test]
    fn durations_and_times_too_large_for_i64_are_refused_not_wrapped() {
        assert_eq!(parse_seconds("01:34"), Some(94));
        assert_eq!(parse_seconds("1:00:01"), Some(3601));
        assert_eq!(parse_seconds("9223372036854775807:00"), None);
        assert_eq!(parse_seconds("0:9223372036854775807:1"), None);
        assert_eq!(parse_seconds("2562047788015216:0:0"), None);
        assert_eq!(parse_time("1764000000", "UTC"), Some(1_764_000_000_000));
        assert_eq!(parse_time("-9223372036854775808", "UTC"), None);
        let m = preset_mapping("generic").unwrap();
        let err = |v: Json| parse_call(&params(v), &m, "RU", "UTC").unwrap_err().field;
        assert_eq!(err(json!({"from": "89991234567", "duration": "9223372036854775807:00"})), "duration");
        assert_eq!(err(json!({"from": "89991234567", "started_at": "-9223372036854775808"})), "started_at");
    }

    #[test]
    fn a_body_that_is_neither_json_nor_form_fields_is_unreadable_not_a_call_without_a_number() {
        for (body, ct) in [
            (&b"not json at all"[..], Some("application/json")),
            (b"hello", None),
            (b"<xml>caller</xml>", Some("text/xml")),
            (b"caller", Some("application/x-www-form-urlencoded")),
        ] {
            let e = body_params(body, ct).unwrap_err();
            assert_eq!(e.field, "body", "{body:?}");
            assert!(e.message().contains("body"), "{}", e.message());
        }
        // Form fields with an empty value still read.
        assert!(body_params(b"caller=79161234567&callee=", None).is_ok());
    }

    #[test]
    fn a_bad_number_names_the_field_and_reads_in_russian() {
        let m = preset_mapping("generic").unwrap();
        let e = parse_call(&params(json!({"from": "12"})), &m, "RU", "UTC").unwrap_err();
        assert_eq!(e.to_string(), "caller: '12' is not a valid phone number");
        assert_eq!(e.msg.text(Lang::Ru), "«12» — не номер телефона");
        let e = parse_call(&params(json!({"from": "89991234567", "status": "maybe"})), &m, "RU", "UTC").unwrap_err();
        assert_eq!(e.message(), "'maybe' (parameter 'status') is not a call outcome: use answered, missed, busy or failed");
        let e = parse_call(&params(json!({"call_id": "1"})), &m, "RU", "UTC").unwrap_err();
        assert_eq!(e.message(), "the call has no client number (parameter 'from')");
    }

    #[test]
    fn words_follow_the_workspace_locale() {
        assert_eq!(Words::new("ru").call_deal("+7 999", true), "Пропущенный звонок +7 999");
        assert_eq!(Words::new("en-GB").callback("+7 999"), "Call back +7 999: missed call");
        assert_eq!(Words::new("ru").lead_deal("Сайт", "Анна"), "Заявка «Сайт»: Анна");
        assert_eq!(Words::new("en").message_deal("email", "a@b.ru"), "E-mail: a@b.ru");
        assert_eq!(Words::new("ru").message_deal("telegram", "@x"), "Telegram: @x");
    }

    #[test]
    fn phones_display_grouped() {
        assert_eq!(display_phone("+79991234567"), "+7 999 123-45-67");
        assert_eq!(display_phone("+12025550123"), "+12025550123");
    }
}

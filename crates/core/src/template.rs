//! Messages to clients: the `{placeholder}`s a workspace's e-mail and SMS templates may use, checked
//! when a template is saved and filled when a message is queued, and the SMS gateway, an HTTP
//! request described as data (`{to}` and `{text}` filled in, encoded for where they stand).
//!
//! Pure: the store keeps templates and gateways, the server sends.
use crate::error::FieldError;
use crate::msg::{words, ChannelMsg, Common, Msg};
use serde_json::{json, Map, Value};

/// The placeholders a message template may use, with what each one stands for. The caller that
/// queues a message gives the values it has; one not given is left empty, except `company`, which
/// defaults to the workspace's name.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("client", "the client: the organization's name, else the person's"),
    ("contact", "the contact person's name"),
    ("company", "your company (the workspace's name unless the sender gives another)"),
    ("manager", "the client's manager"),
    ("manager_phone", "the manager's phone"),
    ("manager_email", "the manager's e-mail"),
    ("deal", "the deal's title"),
    ("stage", "the deal's stage"),
    ("invoice", "the invoice's number"),
    ("amount", "the amount due, with its currency"),
    ("due_date", "when the invoice was due"),
    ("days_overdue", "how many days the payment is late"),
];

pub fn is_placeholder(name: &str) -> bool {
    PLACEHOLDERS.iter().any(|(p, _)| *p == name)
}

fn known_list() -> Vec<String> {
    PLACEHOLDERS.iter().map(|(p, _)| format!("{{{p}}}")).collect()
}

fn excerpt(s: &str) -> String {
    s.chars().take(20).collect()
}

/// The placeholders a template uses, in order; an unknown one or an unbalanced brace is an error
/// that lists the known ones.
pub fn check(template: &str) -> Result<Vec<String>, Msg> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(ChannelMsg::StrayClose { at: excerpt(&rest[open..]) }.into());
        }
        let after = &rest[open + 1..];
        let close = match after.find(['{', '}']) {
            Some(i) if after[i..].starts_with('}') => i,
            _ => return Err(ChannelMsg::Unclosed { at: excerpt(&rest[open..]) }.into()),
        };
        let name = after[..close].trim();
        if !is_placeholder(name) {
            return Err(ChannelMsg::UnknownPlaceholder { placeholder: name.to_string(), known: known_list() }.into());
        }
        out.push(name.to_string());
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// A value as text in a message: strings as they are, numbers as written, nothing for null.
fn as_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Fills a checked template with `vars` (placeholder → value). A placeholder without a value is
/// left out with the separator that led to it, so a message never ends "…Мария Кузнецова, ".
pub fn fill(template: &str, vars: &Map<String, Value>) -> String {
    crate::regulation::render_without_missing(template, &|name| as_text(vars.get(name.trim())))
}

/// How the SMS gateway is called: `{to}` and `{text}` may stand in the URL and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsGateway {
    pub url: String,
    pub method: Method,
    /// Sent as they are (an API key, an `Authorization`); never shown back in full.
    pub headers: Vec<(String, String)>,
    /// POST only. Values are JSON-escaped in a JSON body, percent-encoded in a form body.
    pub body: Option<String>,
    pub content_type: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One request to the gateway, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub content_type: Option<String>,
}

pub const GATEWAY_PLACEHOLDERS: [&str; 2] = ["to", "text"];
const FORM: &str = "application/x-www-form-urlencoded";

/// What one kind of HTTP request template may hold: the SMS and WhatsApp gateways (`{to}`,
/// `{text}`) and a telephony source's click-to-call request share the parser, the masking of
/// headers and the encoding of values; they differ only in their placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewaySpec {
    /// The field errors name (`sms_gateway.url`, `config.callback.body`).
    pub field: &'static str,
    /// Every placeholder the URL and the body may use.
    pub placeholders: &'static [&'static str],
    /// The placeholders the URL or the body must use.
    pub required: &'static [&'static str],
    /// The form body a POST without a body sends.
    pub default_form_body: &'static str,
}

/// The SMS gateway and the WhatsApp provider: `{to}` and `{text}`.
pub const SMS_SPEC: GatewaySpec = GatewaySpec {
    field: "sms_gateway",
    placeholders: &GATEWAY_PLACEHOLDERS,
    required: &GATEWAY_PLACEHOLDERS,
    default_form_body: "to={to}&text={text}",
};

/// The placeholders of a click-to-call request: who calls (the user's extension, phone and
/// e-mail), whom (the client's number, E.164) and from which card.
pub const CALLBACK_PLACEHOLDERS: [&str; 7] =
    ["manager_extension", "manager_phone", "manager_email", "client_phone", "deal_id", "person_id", "organization_id"];

/// A telephony source's click-to-call request (`config.callback`): the provider rings the manager,
/// then the client.
pub const CALLBACK_SPEC: GatewaySpec = GatewaySpec {
    field: "config.callback",
    placeholders: &CALLBACK_PLACEHOLDERS,
    required: &["client_phone"],
    default_form_body: "extension={manager_extension}&phone={client_phone}",
};
/// What a header value is shown as; sent back unchanged, it keeps the stored value.
pub const MASK: &str = "***";
const MAX_HEADERS: usize = 30;

fn gw_err(spec: &GatewaySpec, part: &str, message: impl Into<Msg>) -> FieldError {
    FieldError::new(format!("{}.{part}", spec.field), message)
}

/// `{name}` tokens of a URL or body; braces around anything else (JSON's own) are literal text.
fn gateway_tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_token(&after[..close]) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Replaces the `{name}`s of `vars` in one pass, so a value never has its own braces filled.
fn fill_tokens(text: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(text.len() + vars.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = text;
    'scan: while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        for (name, value) in vars {
            if let Some(r) = after.strip_prefix(name).and_then(|r| r.strip_prefix('}')) {
                out.push_str(value);
                rest = r;
                continue 'scan;
            }
        }
        out.push('{');
        rest = after;
    }
    out.push_str(rest);
    out
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A JSON string's contents without its quotes, for a value inside `"…"` of a JSON body.
fn json_escape(s: &str) -> String {
    let quoted = Value::String(s.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

fn check_tokens(spec: &GatewaySpec, part: &str, text: &str) -> Result<(), FieldError> {
    for t in gateway_tokens(text) {
        if !spec.placeholders.contains(&t) {
            let known = spec.placeholders.iter().map(|p| format!("{{{p}}}")).collect();
            return Err(gw_err(spec, part, ChannelMsg::UnknownPlaceholder { placeholder: t.to_string(), known }));
        }
    }
    Ok(())
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 100 && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

impl SmsGateway {
    /// Parses and checks `{url, method, headers, body, content_type}`; errors name the part
    /// (`sms_gateway.url`). `stored` is the current gateway: a header sent back as `***` keeps
    /// its stored value.
    pub fn parse(v: &Value, stored: Option<&SmsGateway>) -> Result<SmsGateway, FieldError> {
        Self::parse_as(&SMS_SPEC, v, stored)
    }

    /// [`SmsGateway::parse`] for a request of another kind (`spec`'s placeholders and field).
    pub fn parse_as(spec: &GatewaySpec, v: &Value, stored: Option<&SmsGateway>) -> Result<SmsGateway, FieldError> {
        let obj = v.as_object().ok_or_else(|| FieldError::new(spec.field, ChannelMsg::GatewayNotObject {}))?;
        const KEYS: [&str; 5] = ["url", "method", "headers", "body", "content_type"];
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(gw_err(spec, k, Common::UnknownKey { expected: words(KEYS) }));
        }
        let text = |k: &str| -> Result<Option<String>, FieldError> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) if s.chars().count() > 10_000 => Err(gw_err(spec, k, Common::TooLong { max: 10_000 })),
                Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
                Some(_) => Err(gw_err(spec, k, Common::NotString {})),
            }
        };
        let url = text("url")?.ok_or_else(|| gw_err(spec, "url", Common::Required {}))?;
        let url = crate::types::parse_url(&url).map_err(|m| gw_err(spec, "url", m))?;
        check_tokens(spec, "url", &url)?;
        let method = match text("method")?.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None | Some("POST") => Method::Post,
            Some("GET") => Method::Get,
            Some(_) => return Err(gw_err(spec, "method", Common::OneOf { list: words(["POST", "GET"]) })),
        };
        let mut headers = Vec::new();
        match obj.get("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(h)) => {
                if h.len() > MAX_HEADERS {
                    return Err(gw_err(spec, "headers", ChannelMsg::TooManyHeaders { max: MAX_HEADERS as i64 }));
                }
                for (name, value) in h {
                    let part = format!("headers.{name}");
                    if !is_header_name(name) {
                        return Err(gw_err(spec, &part, ChannelMsg::NotHeaderName {}));
                    }
                    if name.eq_ignore_ascii_case("content-type") {
                        return Err(gw_err(spec, &part, ChannelMsg::ContentTypeHeader {}));
                    }
                    let value = value.as_str().ok_or_else(|| gw_err(spec, &part, Common::NotString {}))?;
                    let value = match (value, stored) {
                        (MASK, Some(s)) => s.header(name).ok_or_else(|| gw_err(spec, &part, ChannelMsg::NoStoredValue {}))?.to_string(),
                        (MASK, None) => return Err(gw_err(spec, &part, ChannelMsg::NoStoredValue {})),
                        (v, _) if v.contains(['\r', '\n']) || v.len() > 4000 => return Err(gw_err(spec, &part, ChannelMsg::OneLine {})),
                        (v, _) => v.to_string(),
                    };
                    headers.push((name.clone(), value));
                }
            }
            Some(_) => return Err(gw_err(spec, "headers", ChannelMsg::HeadersNotObject {})),
        }
        let mut body = text("body")?;
        let mut content_type = text("content_type")?;
        match method {
            Method::Get if body.is_some() => return Err(gw_err(spec, "body", ChannelMsg::GetHasNoBody {})),
            Method::Get => content_type = None,
            Method::Post if body.is_none() => {
                if content_type.as_deref().is_some_and(|ct| !ct.to_ascii_lowercase().starts_with(FORM)) {
                    return Err(gw_err(spec, "body", ChannelMsg::BodyForContentType {}));
                }
                body = Some(spec.default_form_body.into());
                content_type = Some(FORM.into());
            }
            Method::Post => {}
        }
        if let Some(b) = &body {
            check_tokens(spec, "body", b)?;
        }
        let content_type = match content_type {
            Some(ct) if ct.contains('/') && !ct.contains(['\r', '\n']) && ct.len() <= 200 => ct,
            Some(_) => return Err(gw_err(spec, "content_type", ChannelMsg::MediaType {})),
            None if method == Method::Post => "application/json".into(),
            None => String::new(),
        };
        let everywhere = format!("{url} {}", body.as_deref().unwrap_or(""));
        let used = gateway_tokens(&everywhere);
        for needed in spec.required {
            if !used.contains(needed) {
                let part = if method == Method::Get { "url" } else { "body" };
                return Err(gw_err(spec, part, ChannelMsg::MustContain { placeholder: needed.to_string() }));
            }
        }
        Ok(SmsGateway { url, method, headers, body, content_type })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The stored form, with header values in full.
    pub fn to_json(&self) -> Value {
        let headers: Map<String, Value> = self.headers.iter().map(|(n, v)| (n.clone(), Value::String(v.clone()))).collect();
        json!({
            "url": self.url,
            "method": self.method.as_str(),
            "headers": headers,
            "body": self.body,
            "content_type": (!self.content_type.is_empty()).then_some(&self.content_type),
        })
    }

    /// What the settings show: header values masked.
    pub fn to_shown_json(&self) -> Value {
        let mut v = self.to_json();
        if let Some(h) = v.get_mut("headers").and_then(Value::as_object_mut) {
            for value in h.values_mut() {
                *value = Value::String(MASK.into());
            }
        }
        v
    }

    /// The request that sends `text` to `to`.
    pub fn request(&self, to: &str, text: &str) -> GatewayRequest {
        self.request_with(&[("to", to), ("text", text)])
    }

    /// The request with `vars` filled in: percent-encoded in the URL and in a form body,
    /// JSON-escaped in a JSON body, as they are in any other body.
    pub fn request_with(&self, vars: &[(&str, &str)]) -> GatewayRequest {
        let encoded = |f: fn(&str) -> String| -> Vec<(&str, String)> { vars.iter().map(|(n, v)| (*n, f(v))).collect() };
        let url = fill_tokens(&self.url, &encoded(percent_encode));
        let ct = self.content_type.to_ascii_lowercase();
        let body = self.body.as_ref().map(|b| {
            if ct.starts_with("application/json") {
                fill_tokens(b, &encoded(json_escape))
            } else if ct.starts_with(FORM) {
                fill_tokens(b, &encoded(percent_encode))
            } else {
                fill_tokens(b, &encoded(str::to_string))
            }
        });
        GatewayRequest {
            method: self.method,
            url,
            headers: self.headers.clone(),
            content_type: body.as_ref().map(|_| self.content_type.clone()),
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_use_known_placeholders_only() {
        assert_eq!(check("Счёт № {invoice} на {amount}").unwrap(), vec!["invoice", "amount"]);
        assert_eq!(check("без подстановок").unwrap(), Vec::<String>::new());
        let e = check("Долг {debt}").unwrap_err().english();
        assert!(e.starts_with("unknown placeholder {debt}; known: {client}"), "{e}");
        assert!(check("Счёт {invoice").unwrap_err().english().contains("never closed"));
        assert!(check("Счёт {in{voice}").unwrap_err().english().contains("never closed"));
        assert!(check("Счёт invoice}").unwrap_err().english().contains("closing brace"));
        let ru = check("Долг {debt}").unwrap_err().text(crate::msg::Lang::Ru);
        assert!(ru.starts_with("неизвестная подстановка {debt}; можно: {client}, {contact}"), "{ru}");
    }

    #[test]
    fn templates_fill_what_is_given_and_leave_the_rest_empty() {
        let vars = json!({"invoice": "1024", "days_overdue": 12, "client": null}).as_object().cloned().unwrap();
        assert_eq!(fill("Счёт {invoice}: {days_overdue} дн. {client}{manager}", &vars), "Счёт 1024: 12 дн.");
    }

    #[test]
    fn a_missing_value_leaves_no_dangling_separator() {
        let vars = json!({"company": "Порядок", "invoice": "1024", "manager": "Мария Кузнецова", "manager_phone": null})
            .as_object()
            .cloned()
            .unwrap();
        let sms = "{company}: счёт № {invoice} ожидает оплаты. Вопросы: {manager}, {manager_phone}";
        assert_eq!(fill(sms, &vars), "Порядок: счёт № 1024 ожидает оплаты. Вопросы: Мария Кузнецова");
        let mail = "Звоните: {manager}, {manager_phone}.\n\nС уважением,\n{company}";
        assert_eq!(fill(mail, &vars), "Звоните: Мария Кузнецова.\n\nС уважением,\nПорядок");
    }

    #[test]
    fn a_json_gateway_escapes_and_a_get_gateway_encodes() {
        let g = SmsGateway::parse(
            &json!({"url": "https://sms.example/api", "headers": {"Authorization": "Bearer k"},
                    "content_type": "application/json", "body": "{\"to\": \"{to}\", \"text\": \"{text}\"}"}),
            None,
        )
        .unwrap();
        let r = g.request("+79990001122", "Счёт \"1\"\n{to}");
        assert_eq!(r.body.as_deref(), Some("{\"to\": \"+79990001122\", \"text\": \"Счёт \\\"1\\\"\\n{to}\"}"));
        assert_eq!((r.method, r.content_type.as_deref()), (Method::Post, Some("application/json")));
        let sent: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(sent["text"], "Счёт \"1\"\n{to}");

        let g = SmsGateway::parse(&json!({"url": "http://127.0.0.1:9/send?to={to}&msg={text}", "method": "get"}), None).unwrap();
        let r = g.request("+7999", "a b&c");
        assert_eq!(r.url, "http://127.0.0.1:9/send?to=%2B7999&msg=a%20b%26c");
        assert_eq!((r.body, r.content_type), (None, None));

        let g = SmsGateway::parse(&json!({"url": "https://sms.example/api"}), None).unwrap();
        assert_eq!(g.request("+7", "да").body.as_deref(), Some("to=%2B7&text=%D0%B4%D0%B0"));
    }

    #[test]
    fn bad_gateways_name_the_part() {
        let field = |v: Value| SmsGateway::parse(&v, None).unwrap_err().field;
        assert_eq!(field(json!({"url": "ftp://x"})), "sms_gateway.url");
        assert_eq!(field(json!({"url": "https://x/{phone}"})), "sms_gateway.url");
        assert_eq!(field(json!({"url": "https://x", "method": "PUT"})), "sms_gateway.method");
        assert_eq!(field(json!({"url": "https://x", "body": "{\"to\": \"{to}\"}"})), "sms_gateway.body");
        assert_eq!(field(json!({"url": "https://x?to={to}", "method": "GET"})), "sms_gateway.url");
        assert_eq!(field(json!({"url": "https://x", "method": "GET", "body": "x"})), "sms_gateway.body");
        assert_eq!(field(json!({"url": "https://x", "headers": {"Content-Type": "x"}})), "sms_gateway.headers.Content-Type");
        assert_eq!(field(json!({"url": "https://x", "headers": {"X-Key": "***"}})), "sms_gateway.headers.X-Key");
        assert_eq!(field(json!({"url": "https://x", "token": "k"})), "sms_gateway.token");
        assert_eq!(field(json!([])), "sms_gateway");
        let message = |v: Value| SmsGateway::parse(&v, None).unwrap_err().message();
        assert_eq!(
            message(json!({"url": "https://x", "method": "GET", "body": "x"})),
            "a GET request has no body; put {to} and {text} in the URL"
        );
        assert_eq!(message(json!({"url": "https://x?to={to}", "method": "GET"})), "must contain {text}");
        assert_eq!(message(json!({"url": "https://x/{phone}"})), "unknown placeholder {phone}; known: {to}, {text}");
    }

    #[test]
    fn a_callback_request_fills_its_own_placeholders() {
        let g = SmsGateway::parse_as(
            &CALLBACK_SPEC,
            &json!({"url": "https://pbx.example/call?from={manager_extension}", "content_type": "application/json",
                    "body": "{\"to\": \"{client_phone}\", \"deal\": \"{deal_id}\", \"x\": \"{text}\"}"}),
            None,
        )
        .unwrap_err();
        assert_eq!(g.field, "config.callback.body");
        let g = SmsGateway::parse_as(
            &CALLBACK_SPEC,
            &json!({"url": "https://pbx.example/call?from={manager_extension}", "content_type": "application/json",
                    "body": "{\"to\": \"{client_phone}\", \"deal\": \"{deal_id}\"}"}),
            None,
        )
        .unwrap();
        let r = g.request_with(&[("manager_extension", "10 1"), ("client_phone", "+7\"9"), ("deal_id", "5")]);
        assert_eq!(r.url, "https://pbx.example/call?from=10%201");
        assert_eq!(r.body.as_deref(), Some("{\"to\": \"+7\\\"9\", \"deal\": \"5\"}"));
        let e = SmsGateway::parse_as(
            &CALLBACK_SPEC,
            &json!({"url": "https://pbx.example/call?from={manager_extension}", "method": "GET"}),
            None,
        )
        .unwrap_err();
        assert_eq!((e.field.as_str(), e.message().as_str()), ("config.callback.url", "must contain {client_phone}"));
        let g = SmsGateway::parse_as(&CALLBACK_SPEC, &json!({"url": "https://pbx.example/call"}), None).unwrap();
        assert_eq!(
            g.request_with(&[("manager_extension", "101"), ("client_phone", "+7")]).body.as_deref(),
            Some("extension=101&phone=%2B7")
        );
    }

    #[test]
    fn masked_headers_keep_their_stored_values() {
        let stored = SmsGateway::parse(&json!({"url": "https://x", "headers": {"X-Key": "secret"}}), None).unwrap();
        assert_eq!(stored.to_shown_json()["headers"]["X-Key"], MASK);
        let again = SmsGateway::parse(&stored.to_shown_json(), Some(&stored)).unwrap();
        assert_eq!(again, stored);
    }
}
